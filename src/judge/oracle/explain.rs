//! FETCH data that differ from the model's, explained before they are reported
//! ([`crate::judge::fetch_cause`]): one cause, one rule, every affected item as evidence.

use std::sync::Arc;

use imap_types::command::CommandBody;

use super::{fetch_items, render, rule, value_matches, Oracle};
use crate::judge::cause::Cause;
use crate::judge::fetch_cause::{message_changes, params_decoded, served_candidates, wrong_part};
use crate::judge::lex::Tok;
use crate::judge::Kind;
use crate::model::message::Message;
use crate::model::response::Untagged;

/// RFC 2060 §6.3.11: "The APPEND command appends the literal argument as a new message":
/// the sentence a server that stores other bytes than it was given breaks.
pub const APPEND_STORES: &str = "2060-6.3.11-appends-at-end";

/// A candidate served message, the items the model computes from it, and how many
/// differing items it explains.
type Candidate = (crate::judge::fetch_cause::Served, Vec<(String, Tok)>, usize);

/// At most this many FETCH items are quoted as a cause's evidence.
const EVIDENCE: usize = 6;

/// One FETCH item whose data differ from the model's.
#[derive(Clone, Debug)]
pub(in crate::judge) struct Differing {
    pub name: String,
    pub want: Tok,
    pub have: Tok,
    /// The sentence that defines the item's data.
    pub rule: &'static str,
}

/// A differing item nothing in its own response explained: judged when the session
/// ends, when a later FETCH may have shown the message the server stores.
#[derive(Clone, Debug)]
pub(in crate::judge) struct Pending {
    pub step: Option<usize>,
    pub seq: u32,
    pub id: u64,
    pub item: Differing,
}

/// Whether the server's value `have` of item `name` is the value `want`, compared as
/// the oracle compares that item.
fn item_matches(name: &str, want: &Tok, have: &Tok) -> bool {
    match name {
        "BODY" => value_matches(want, have, true, false),
        "BODYSTRUCTURE" => value_matches(want, have, true, true),
        _ => value_matches(want, have, false, false),
    }
}

/// `NAME value`, the value cut to a readable length.
fn quote_item(name: &str, t: &Tok) -> String {
    let r = render(t);
    if r.chars().count() > 600 {
        format!("{name} {}…", r.chars().take(600).collect::<String>())
    } else {
        format!("{name} {r}")
    }
}

/// Whether two structures differ only in numbers (sizes, line counts).
fn only_numbers_differ(want: &Tok, have: &Tok) -> bool {
    use crate::judge::lex::TokKind;
    match (&want.kind, &have.kind) {
        (TokKind::List(a), TokKind::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| only_numbers_differ(x, y))
        }
        (TokKind::Atom(a), TokKind::Atom(b)) => {
            a.eq_ignore_ascii_case(b)
                || (a.iter().all(u8::is_ascii_digit) && b.iter().all(u8::is_ascii_digit))
        }
        _ => value_matches(want, have, true, false),
    }
}

/// `want` with the transfer encoding of every single part (field 6 of RFC 2060 §7.4.2
/// `body_type_basic`) taken from `have`, parts matched by position; `None` when the
/// shapes differ or no encoding differs.
fn with_encoding_of(want: &Tok, have: &Tok) -> Option<Tok> {
    use crate::judge::lex::TokKind;
    let (TokKind::List(a), TokKind::List(b)) = (&want.kind, &have.kind) else {
        return None;
    };
    let mut out = a.clone();
    let mut changed = false;
    if a.first()?.list().is_some() {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x.list().is_none() {
                break;
            }
            if let Some(t) = with_encoding_of(x, y) {
                out[i] = t;
                changed = true;
            }
        }
    } else {
        let (x, y) = (a.get(5)?, b.get(5)?);
        if !value_matches(x, y, true, false) {
            out[5] = y.clone();
            changed = true;
            // NIL for the parameters of a part whose only parameter is the default
            // charset (RFC 2045 §5.2: "charset=us-ascii" is assumed) says the same.
            let default = a.get(2).and_then(Tok::list).is_some_and(|p| {
                p.len() == 2
                    && p[0]
                        .text()
                        .is_some_and(|t| t.eq_ignore_ascii_case(b"CHARSET"))
                    && p[1]
                        .text()
                        .is_some_and(|t| t.eq_ignore_ascii_case(b"US-ASCII"))
            });
            let nil = b
                .get(2)
                .and_then(Tok::atom)
                .is_some_and(|t| t.eq_ignore_ascii_case(b"NIL"));
            if default && nil {
                out[2] = b[2].clone();
            }
        }
        if let (Some(x), Some(y)) = (a.get(8), b.get(8)) {
            if let Some(t) = with_encoding_of(x, y) {
                out[8] = t;
                changed = true;
            }
        }
    }
    changed.then_some(Tok {
        kind: TokKind::List(out),
        span: want.span,
    })
}

/// The sentence a differing header item's own bytes break, read hostilely: RFC 2060
/// §6.4.5 "the delimiting blank line ... is always included" only when it is missing;
/// HEADER.FIELDS "contains only those header fields with a field-name that matches one of
/// the names in the list" (HEADER.FIELDS.NOT: only non-matching ones) only when a field
/// of the other kind is there. Otherwise "The text of a particular body section".
fn refine_rule(name: &str, have: &Tok, rule: &'static str) -> &'static str {
    let Some(text) = have.text() else {
        return rule;
    };
    let section = name.split('<').next().unwrap_or(name);
    let partial = name.contains('<');
    if rule == "2060-6.4.5-blank-line" {
        if partial || text.is_empty() || text.ends_with(b"\r\n\r\n") || text == b"\r\n" {
            return rule::SECTION_VALUE;
        }
        return rule;
    }
    if rule == "2060-6.4.5-header-fields" && !partial {
        let not = section.contains("HEADER.FIELDS.NOT");
        let listed: Vec<String> = section
            .split('(')
            .nth(1)
            .and_then(|l| l.split(')').next())
            .map(|l| l.split(' ').map(|n| n.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        let broken = crate::judge::fetch_cause::field_names(text)
            .iter()
            .any(|f| listed.contains(f) == not);
        return if broken { rule } else { rule::SECTION_VALUE };
    }
    rule
}

/// RFC 2060 §6.4.5: RFC822, RFC822.HEADER and RFC822.TEXT are "functionally equivalent"
/// to BODY[], BODY.PEEK[HEADER] and BODY[TEXT]: pairs of items of one response that must
/// hold the same data, with the sentence that says so.
const EQUIVALENT: [(&str, &str, &str); 3] = [
    ("RFC822", "BODY[]", "2060-6.4.5-rfc822"),
    ("RFC822.HEADER", "BODY[HEADER]", "2060-6.4.5-rfc822-header"),
    ("RFC822.TEXT", "BODY[TEXT]", "2060-6.4.5-rfc822-text"),
];

impl Oracle {
    /// The FETCH items the model computes for message `id` (sequence number `seq`) if it
    /// held `bytes` instead of the appended message.
    fn items_for(
        &self,
        body: &CommandBody<'_>,
        id: u64,
        seq: u32,
        bytes: &[u8],
    ) -> Option<Vec<(String, Tok)>> {
        let mut session = self.session.clone();
        let mut store = self.store.clone();
        let user = session.user.clone()?;
        let mailbox = session.selection()?.mailbox.clone();
        let m = store
            .accounts
            .get_mut(&user)?
            .get_mut(&mailbox)?
            .messages
            .iter_mut()
            .find(|m| m.id == id)?;
        m.message = Arc::new(Message::parse(bytes.to_vec()));
        let reply = session.execute(&mut store, body);
        let u = reply
            .untagged
            .iter()
            .find(|u| matches!(u, Untagged::Fetch(s, _) if *s == seq))?;
        let mut out = Vec::new();
        u.write(&mut out);
        fetch_items(&out).map(|(_, items)| items)
    }

    /// Records a finding with a cause, once per session for each (rule, cause): a later
    /// one adds its evidence to the first.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn find_cause(
        &mut self,
        step: Option<usize>,
        id: &str,
        kind: Option<Kind>,
        cause: Cause,
        summary: String,
        expected: String,
        observed: String,
    ) {
        if let Some(&i) = self.cause_found.get(&(id.to_string(), cause)) {
            let v = &mut self.verdicts[i];
            if v.observed.lines().count() < EVIDENCE {
                for line in observed.lines() {
                    if !v.observed.lines().any(|l| l == line) {
                        v.observed.push('\n');
                        v.observed.push_str(line);
                    }
                }
            }
            return;
        }
        // The kind is the one `find` gives the requirement, unless the caller names one.
        let before = self.verdicts.len();
        self.find(step, id, summary, expected, observed);
        if let Some(v) = self.verdicts.get_mut(before) {
            v.cause = Some(cause);
            if let Some(k) = kind {
                v.kind = k;
            }
            self.cause_found.insert((id.to_string(), cause), before);
        }
    }

    /// Explains the items of one FETCH response (message `seq`, identity `id`) that
    /// differ from the model's, and reports each cause once.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn explain_fetch(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        seq: u32,
        id: u64,
        appended: &Message,
        got: &[(String, Tok)],
        differing: Vec<Differing>,
    ) {
        let mut differing = differing;
        for (a, b, id_rule) in EQUIVALENT {
            let value = |n: &str| got.iter().find(|(x, _)| x == n).map(|(_, t)| t);
            if let (Some(x), Some(y)) = (value(a), value(b)) {
                if x.text().is_some() && y.text().is_some() && x.text() != y.text() {
                    // The server contradicts itself: that is the finding for this item.
                    differing.retain(|d| d.name != a);
                    self.find(
                        step,
                        id_rule,
                        format!("{a} of message {seq} differs from its {b} in the same response"),
                        quote_item(b, y),
                        quote_item(a, x),
                    );
                }
            }
        }
        if differing.is_empty() {
            return;
        }
        let earlier = self.served.get(&id).cloned();
        let mut best: Option<Candidate> = None;
        for c in served_candidates(appended, got, earlier.as_deref()) {
            let Some(exp) = self.items_for(body, id, seq, &c.bytes) else {
                continue;
            };
            let n = differing
                .iter()
                .filter(|d| {
                    exp.iter()
                        .any(|(n, t)| *n == d.name && item_matches(n, t, &d.have))
                })
                .count();
            if c.certain {
                best = Some((c, exp, n));
                break;
            }
            if n > 0 && best.as_ref().is_none_or(|b| b.2 < n) {
                best = Some((c, exp, n));
            }
        }
        let certain = best.as_ref().is_some_and(|b| b.0.certain);
        let served = best.as_ref().map(|b| b.0.bytes.clone());
        let from = best.as_ref().map(|b| b.0.from.clone()).unwrap_or_default();
        let from_served = best.map(|b| b.1).unwrap_or_default();
        if certain {
            if let Some(s) = &served {
                self.served.insert(id, s.clone());
            }
        }
        let mut explained: Vec<&Differing> = Vec::new();
        let mut rest: Vec<(&Differing, Option<Tok>)> = Vec::new();
        for d in &differing {
            let want = from_served
                .iter()
                .find(|(n, _)| *n == d.name)
                .map(|(_, t)| t.clone());
            match &want {
                Some(w) if item_matches(&d.name, w, &d.have) => explained.push(d),
                _ => rest.push((d, want)),
            }
        }
        if let (Some(s), false) = (&served, explained.is_empty()) {
            let changes = message_changes(appended.raw(), s);
            if !changes.is_empty() {
                self.altered.insert(id);
            }
            let items: Vec<&str> = explained.iter().map(|d| d.name.as_str()).collect();
            let observed = explained
                .iter()
                .map(|d| quote_item(&d.name, &d.have))
                .collect::<Vec<_>>()
                .join("\n");
            for (cause, what) in changes {
                let (summary, expected) = match cause {
                    Cause::HeaderFieldsAdded => (
                        format!("the server serves message {seq} with header fields the APPEND did not give it ({what})"),
                        format!("the appended header: \"{}\"", crate::wire::escape(appended.header_bytes())),
                    ),
                    Cause::HeaderFieldsRemoved => (
                        format!("the server serves message {seq} without header fields the APPEND gave it ({what})"),
                        format!("the appended header: \"{}\"", crate::wire::escape(appended.header_bytes())),
                    ),
                    Cause::LineEndings => (
                        format!("the server serves message {seq} with {what}"),
                        "the appended message, CRLF line ends".to_string(),
                    ),
                    _ => (
                        format!("the server serves message {seq} with {what}, not the appended message"),
                        format!("the appended message ({} octets)", appended.raw().len()),
                    ),
                };
                self.find_cause(
                    step,
                    APPEND_STORES,
                    None,
                    cause,
                    format!(
                        "{summary}; {} {} with the message it serves (seen in {from})",
                        items.join(", "),
                        if items.len() == 1 { "agrees" } else { "agree" }
                    ),
                    expected,
                    observed.clone(),
                );
            }
        }
        for (d, from_s) in rest {
            let want = from_s.clone().unwrap_or_else(|| d.want.clone());
            let have_bytes = d.have.text().unwrap_or_default().to_vec();
            let message = served
                .as_ref()
                .filter(|_| certain)
                .map(|s| Message::parse(s.clone()))
                .unwrap_or_else(|| appended.clone());
            if let Some(other) = wrong_part(&message, &d.name, &have_bytes) {
                self.find_cause(
                    step,
                    d.rule,
                    None,
                    Cause::WrongPart,
                    format!("{} of message {seq} is {other}, another section", d.name),
                    quote_item(&d.name, &want),
                    quote_item(&d.name, &d.have),
                );
                continue;
            }
            if d.name == "BODY" || d.name == "BODYSTRUCTURE" {
                let encoding =
                    with_encoding_of(&want, &d.have).filter(|w| item_matches(&d.name, w, &d.have));
                if encoding.is_some() {
                    if certain {
                        self.encoding_differs(step, seq, &d.name, d.rule, &want, &d.have);
                    } else {
                        // A later FETCH may show that the stored header says so.
                        self.pending.push(Pending {
                            step,
                            seq,
                            id,
                            item: d.clone(),
                        });
                    }
                    continue;
                }
                let (w, h, decoded) = match params_decoded(&want, &d.have) {
                    Some((w, h)) => (w, h, true),
                    None => (want.clone(), d.have.clone(), false),
                };
                let mut settled = false;
                if d.name == "BODY"
                    && !item_matches("BODY", &w, &h)
                    && value_matches(&w, &h, true, true)
                {
                    // The server sent BODYSTRUCTURE's extension data with BODY.
                    self.find(
                        step,
                        rule::BODY_NO_EXTENSION,
                        format!("BODY of message {seq} carries extension data, which only BODYSTRUCTURE has"),
                        quote_item(&d.name, &want),
                        quote_item(&d.name, &d.have),
                    );
                    settled = true;
                }
                if decoded && (settled || item_matches(&d.name, &w, &h)) {
                    // RFC 2060 (1996) predates RFC 2231 (1997): it says nothing of such
                    // parameters, so this breaks none of its sentences.
                    self.find_cause(
                        step,
                        d.rule,
                        Some(Kind::Note),
                        Cause::ParametersDecoded,
                        format!(
                            "{} of message {seq} gives RFC 2231 parameters (name*=charset''value) \
                             decoded or re-encoded; {}",
                            d.name,
                            match self.session.profile {
                                crate::model::Profile::Rfc2060 => {
                                    "RFC 2060 predates RFC 2231 and does not say"
                                }
                                crate::model::Profile::Rfc3501 => {
                                    "RFC 3501 does not say whether a server decodes them"
                                }
                            }
                        ),
                        quote_item(&d.name, &want),
                        quote_item(&d.name, &d.have),
                    );
                    continue;
                }
                if settled {
                    continue;
                }
            }
            if certain {
                // The server contradicts the message it serves in the same response.
                let counts = d.name == "RFC822.SIZE" || only_numbers_differ(&want, &d.have);
                let summary = format!(
                    "{} of message {seq} disagrees with the message the server itself serves \
                     (seen in {from})",
                    d.name
                );
                if counts {
                    self.find_cause(
                        step,
                        d.rule,
                        None,
                        Cause::CountsOff,
                        summary,
                        quote_item(&d.name, &want),
                        quote_item(&d.name, &d.have),
                    );
                } else {
                    self.find(
                        step,
                        refine_rule(&d.name, &d.have, d.rule),
                        summary,
                        quote_item(&d.name, &want),
                        quote_item(&d.name, &d.have),
                    );
                }
                continue;
            }
            self.pending.push(Pending {
                step,
                seq,
                id,
                item: d.clone(),
            });
        }
    }

    /// RFC 2060 §7.4.2: "body encoding" is the Content-Transfer-Encoding the part's
    /// header gives (7BIT when it gives none); a structure that gives another breaks the
    /// body structure's definition.
    fn encoding_differs(
        &mut self,
        step: Option<usize>,
        seq: u32,
        name: &str,
        rule: &'static str,
        want: &Tok,
        have: &Tok,
    ) {
        self.find_cause(
            step,
            rule,
            None,
            Cause::TransferEncodingField,
            format!(
                "{name} of message {seq} gives a part's body encoding otherwise than its \
                 Content-Transfer-Encoding header field (7BIT when absent)"
            ),
            quote_item(name, want),
            quote_item(name, have),
        );
    }

    /// Judges the differing items nothing explained when they were fetched: an item of a
    /// message the server was shown to store with other bytes is folded into that finding;
    /// a body structure whose part encoding contradicts the part's header field is that
    /// finding; any other is a warning (cause `unexplained`): the item is not the appended
    /// message's, and nothing the server sent shows whether it stores other bytes (RFC 2060
    /// §6.3.11) or sends wrong data (the item's own sentence).
    pub(super) fn judge_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            if self.altered.contains(&p.id) {
                continue;
            }
            let d = &p.item;
            if (d.name == "BODY" || d.name == "BODYSTRUCTURE")
                && with_encoding_of(&d.want, &d.have)
                    .is_some_and(|w| item_matches(&d.name, &w, &d.have))
            {
                let (want, have) = (d.want.clone(), d.have.clone());
                self.encoding_differs(p.step, p.seq, &d.name, d.rule, &want, &have);
                continue;
            }
            let what = if d.name == "RFC822.SIZE" {
                "whether it stores other bytes or miscounts"
            } else {
                "whether it stores other bytes or sends the wrong data"
            };
            // Part numbering and partial origins are not in question when nothing shows
            // which bytes the server holds: the data of the section are.
            let id = match refine_rule(&d.name, &d.have, d.rule) {
                "2060-6.4.5-part-numbers"
                | "2060-6.4.5-nested-part-numbers"
                | "2060-7.4.2-origin-substring" => rule::SECTION_VALUE,
                r => r,
            };
            self.find_cause(
                p.step,
                id,
                Some(Kind::Warning),
                Cause::Unexplained,
                format!(
                    "{} of message {} differs from the appended message; nothing the server \
                     sent in this session shows {what}",
                    d.name, p.seq
                ),
                quote_item(&d.name, &d.want),
                quote_item(&d.name, &d.have),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::lex::TokKind;

    fn s(b: &[u8]) -> Tok {
        Tok {
            kind: TokKind::Str(b.to_vec()),
            span: (0, 0),
        }
    }

    #[test]
    fn a_header_that_ends_in_the_blank_line_does_not_break_the_blank_line_sentence_rfc2060_6_4_5() {
        let blank = "2060-6.4.5-blank-line";
        assert_eq!(
            refine_rule("BODY[HEADER]", &s(b"Subject: x\r\nX-UID: 1\r\n\r\n"), blank),
            rule::SECTION_VALUE
        );
        assert_eq!(
            refine_rule("BODY[HEADER]", &s(b"Subject: x\r\n"), blank),
            blank
        );
        assert_eq!(
            refine_rule("BODY[HEADER]<0>", &s(b"Subject"), blank),
            rule::SECTION_VALUE,
            "a partial need not end in the blank line"
        );
    }

    #[test]
    fn header_fields_not_with_only_non_matching_fields_keeps_its_sentence_rfc2060_6_4_5() {
        let fields = "2060-6.4.5-header-fields";
        // Mailutils: the added X-UID field is non-matching, as HEADER.FIELDS.NOT allows.
        let have = s(b"From: a@example.org\r\nX-UID: 2\r\n\r\n");
        assert_eq!(
            refine_rule("BODY[HEADER.FIELDS.NOT (CC MESSAGE-ID)]", &have, fields),
            rule::SECTION_VALUE
        );
        assert_eq!(
            refine_rule("BODY[HEADER.FIELDS.NOT (FROM)]", &have, fields),
            fields,
            "a matching field in a HEADER.FIELDS.NOT answer"
        );
        assert_eq!(
            refine_rule("BODY[HEADER.FIELDS (FROM)]", &have, fields),
            fields,
            "a non-matching field in a HEADER.FIELDS answer"
        );
        assert_eq!(
            refine_rule("BODY[HEADER.FIELDS (FROM X-UID)]", &have, fields),
            rule::SECTION_VALUE
        );
    }
}
