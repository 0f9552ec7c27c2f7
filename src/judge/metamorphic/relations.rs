//! The relations between two answers, and the findings when one breaks.

use std::collections::BTreeSet;

use super::{
    flag_set, same_all, show_escaped, show_set, show_tok, Listing, Search, Seen, Selected, Status,
    Window,
};
use crate::judge::lex::{Tok, TokKind};
use crate::judge::{requirement_kind, Kind, Verdict};

/// RFC 2060 §2.3.4: "The number of octets in the message, as expressed in [RFC-822]
/// format."
pub const SIZE: &str = "2060-2.3.4-size";
/// RFC 2060 §4.3: "A string is in one of two forms: literal and quoted string."
pub const STRING_FORMS: &str = "2060-4.3-two-forms";
/// RFC 2060 §6.4.5: HEADER refers to "the [RFC-822] header of the message".
pub const HEADER: &str = "2060-6.4.5-header";
/// RFC 2060 §6.4.5: TEXT is "the text body of the message, omitting the [RFC-822] header".
pub const TEXT: &str = "2060-6.4.5-text";
/// RFC 2060 §6.4.5: "An empty section specification refers to the entire message,
/// including the header."
pub const ENTIRE: &str = "2060-6.4.5-empty-section";
/// RFC 2060 §6.4.8: the numbers of a UID command's set are UIDs.
pub const UID_SET: &str = "2060-6.4.8-uid-set";
/// RFC 2060 §6.4.8: UID SEARCH interprets its arguments as SEARCH and returns UIDs.
pub const UID_SEARCH: &str = "2060-6.4.8-uid-search-returns-uids";
/// RFC 2060 §6.4.4: the SEARCH response lists the messages that match.
pub const SEARCH: &str = "2060-6.4.4-sequence-numbers";
/// RFC 2060 §6.4.4: "NOT <search-key> Messages that do not match the specified search key."
pub const NOT: &str = "2060-6.4.4-key-not";
/// RFC 2060 §6.3.10: "MESSAGES The number of messages in the mailbox."
pub const MESSAGES: &str = "2060-6.3.10-messages";
/// RFC 2060 §7.3.1: "The EXISTS response reports the number of messages in the mailbox."
pub const EXISTS: &str = "2060-7.3.1-count";
/// RFC 2060 §2.3.1.1: "The unique identifier of a message MUST NOT change during the
/// session".
pub const UID_STABLE: &str = "2060-2.3.1.1-uid-stable-in-session";
/// RFC 2060 §6.3.10: "UIDNEXT The next UID value that will be assigned to a new message
/// in the mailbox."
pub const UIDNEXT: &str = "2060-6.3.10-uidnext";
/// RFC 2060 §6.3.10: "UIDVALIDITY The unique identifier validity value of the mailbox."
pub const UIDVALIDITY: &str = "2060-6.3.10-uidvalidity";
/// RFC 2060 §6.4.5: "FLAGS The flags that are set for this message."
pub const FLAGS: &str = "2060-6.4.5-flags";

/// The definition that fixes a FETCH item's value (RFC 2060 §6.4.5), for items that can
/// only change by a command the window excludes; `None` for items the judge does not
/// compare (partial fetches, whose answer depends on the requested length, and unknown
/// items).
fn item_rule(name: &str) -> Option<&'static str> {
    if name.contains('<') {
        return None;
    }
    Some(match name {
        "RFC822.SIZE" => "2060-6.4.5-rfc822-size",
        "INTERNALDATE" => "2060-6.4.5-internaldate",
        "ENVELOPE" => "2060-6.4.5-envelope",
        "BODYSTRUCTURE" => "2060-6.4.5-bodystructure",
        "BODY" => "2060-6.4.5-body",
        "BODY[]" => ENTIRE,
        "BODY[HEADER]" => HEADER,
        "BODY[TEXT]" => TEXT,
        n if n.starts_with("BODY[HEADER.FIELDS") => "2060-6.4.5-header-fields",
        n if n.starts_with("BODY[") => "2060-6.4.5-body-section",
        _ => return None,
    })
}

/// The quoted sentence of a requirement, for `expected`.
fn cite(id: &str) -> String {
    crate::catalogue::catalogue()
        .cite(id)
        .unwrap_or_else(|| id.to_string())
}

/// The words that say nothing between the two answers could change them.
const QUIET: &str = "with only commands that change nothing between them";

/// A string's bytes, if the item is a string (NIL is not).
fn string(t: &Tok) -> Option<&[u8]> {
    match &t.kind {
        TokKind::Str(s) => Some(s),
        _ => None,
    }
}

/// The index after the one search key starting at `i` (RFC 2060 §6.4.4), if the words
/// there form one.
fn one_key(t: &[Tok], i: usize) -> Option<usize> {
    let first = t.get(i)?;
    if first.list().is_some() {
        return Some(i + 1);
    }
    let word = super::upper(first.atom()?);
    let args = match word.as_str() {
        "ALL" | "ANSWERED" | "DELETED" | "DRAFT" | "FLAGGED" | "NEW" | "OLD" | "RECENT"
        | "SEEN" | "UNANSWERED" | "UNDELETED" | "UNDRAFT" | "UNFLAGGED" | "UNSEEN" => 0,
        "BCC" | "BEFORE" | "BODY" | "CC" | "FROM" | "KEYWORD" | "LARGER" | "ON" | "SENTBEFORE"
        | "SENTON" | "SENTSINCE" | "SINCE" | "SMALLER" | "SUBJECT" | "TEXT" | "TO" | "UID"
        | "UNKEYWORD" => 1,
        "HEADER" => 2,
        "NOT" => return one_key(t, i + 1),
        "OR" => return one_key(t, one_key(t, i + 1)?),
        w if w.bytes().all(|c| c.is_ascii_digit() || b"*:,".contains(&c)) => 0,
        _ => return None,
    };
    (i + 1 + args <= t.len()).then_some(i + 1 + args)
}

/// Whether the words are search keys and nothing else.
fn keys(t: &[Tok]) -> bool {
    let mut i = 0;
    while i < t.len() {
        match one_key(t, i) {
            Some(j) => i = j,
            None => return false,
        }
    }
    !t.is_empty()
}

/// `b` is `NOT a`: `NOT key` where `a` is one key, `NOT (keys)` for any keys (RFC 2060
/// §9). `NOT k1 k2` is `(NOT k1) k2`, not the complement of `k1 k2`.
fn is_not_of(b: &[Tok], a: &[Tok]) -> bool {
    let Some((not, rest)) = b.split_first() else {
        return false;
    };
    if !not.atom().is_some_and(|w| w.eq_ignore_ascii_case(b"NOT")) || !keys(a) {
        return false;
    }
    let single = one_key(a, 0) == Some(a.len());
    match rest {
        [list] if list.list().is_some_and(|l| same_all(l, a)) => true,
        _ => single && same_all(rest, a),
    }
}

fn is_all(a: &[Tok]) -> bool {
    matches!(a, [t] if t.atom().is_some_and(|w| w.eq_ignore_ascii_case(b"ALL")))
}

/// Keys whose answer depends on the time of asking (RFC 5032 WITHIN) or on what other
/// extensions track: never compared.
fn time_dependent(toks: &[Tok]) -> bool {
    toks.iter().any(|t| match &t.kind {
        TokKind::List(l) => time_dependent(l),
        TokKind::Atom(a) => {
            a.eq_ignore_ascii_case(b"YOUNGER")
                || a.eq_ignore_ascii_case(b"OLDER")
                || a.eq_ignore_ascii_case(b"RETURN")
        }
        TokKind::Str(_) => false,
    })
}

impl Window<'_> {
    /// Records a finding: `rule` is the sentence the two answers break.
    fn report(
        &mut self,
        rule: &str,
        later: &Seen,
        summary: String,
        expected: String,
        observed: String,
    ) {
        self.out.push(Verdict {
            kind: requirement_kind(rule).unwrap_or(Kind::Warning),
            targets: vec![self.target.to_string()],
            step: later.step,
            rule: Some(rule.to_string()),
            summary,
            expected,
            observed,
            cause: None,
        });
    }

    /// The items of one `* n FETCH (...)` response.
    pub(super) fn fetched(&mut self, n: u32, att: &[Tok], seen: Seen, flags: bool) {
        let mut touched = false;
        for pair in att.chunks(2) {
            let [name, value] = pair else { return };
            let Some(name) = name.atom().map(super::upper) else {
                return;
            };
            match name.as_str() {
                "FLAGS" if flags => self.flags_answer(n, value, &seen),
                "FLAGS" => {}
                "UID" => self.uid_answer(n, value, &seen),
                _ => {
                    let Some(rule) = item_rule(&name) else {
                        continue;
                    };
                    touched |= matches!(
                        name.as_str(),
                        "BODY[]" | "BODY[HEADER]" | "BODY[TEXT]" | "RFC822.SIZE"
                    );
                    let key = (n, name.clone());
                    if let Some((before, first)) = self.items.get(&key).cloned() {
                        if !super::same(&before, value) {
                            self.report(
                                rule,
                                &seen,
                                format!(
                                    "{name} of message {n} differs between two answers {QUIET}: `{}` then `{}`",
                                    show_tok(&before),
                                    show_tok(value)
                                ),
                                format!("the same {name} both times: {}", cite(rule)),
                                format!("{}; {}", first.describe(), seen.describe()),
                            );
                        }
                    }
                    self.items.insert(key, (value.clone(), seen.clone()));
                }
            }
        }
        if touched {
            self.whole_message(n, &seen);
        }
    }

    /// FLAGS of message `n`, through FETCH or UID FETCH.
    fn flags_answer(&mut self, n: u32, value: &Tok, seen: &Seen) {
        let Some(set) = flag_set(value) else { return };
        if let Some((before, first)) = self.flags.get(&n).cloned() {
            if before != set {
                let (rule, how) = if first.uid != seen.uid {
                    (UID_SET, "through FETCH and through UID FETCH")
                } else {
                    (FLAGS, "asked twice")
                };
                let expected = if rule == UID_SET {
                    format!(
                        "the same FLAGS both times, the UID naming the same message as its sequence number: {}; {}",
                        cite(UID_SET),
                        cite(FLAGS)
                    )
                } else {
                    format!("the same FLAGS both times: {}", cite(FLAGS))
                };
                self.report(
                    rule,
                    seen,
                    format!(
                        "FLAGS of message {n} {how} differ {QUIET}: {} then {}",
                        show_set(&before),
                        show_set(&set)
                    ),
                    expected,
                    format!("{}; {}", first.describe(), seen.describe()),
                );
            }
        }
        self.flags.insert(n, (set, seen.clone()));
    }

    /// UID of message `n` (RFC 2060 §2.3.1.1).
    fn uid_answer(&mut self, n: u32, value: &Tok, seen: &Seen) {
        let Some(uid) = value
            .atom()
            .and_then(|a| std::str::from_utf8(a).ok()?.parse::<u32>().ok())
        else {
            return;
        };
        let key = (n, "UID".to_string());
        if let Some((before, first)) = self.items.get(&key).cloned() {
            if !super::same(&before, value) {
                self.report(
                    UID_STABLE,
                    seen,
                    format!(
                        "message {n} has UID {} in one answer and {uid} in the next, {QUIET}",
                        show_tok(&before)
                    ),
                    format!("the same UID both times: {}", cite(UID_STABLE)),
                    format!("{}; {}", first.describe(), seen.describe()),
                );
            }
        }
        self.items.insert(key, (value.clone(), seen.clone()));
        self.uids.insert(n, uid);
    }

    /// `BODY[]` = `BODY[HEADER]` + `BODY[TEXT]` and RFC822.SIZE = the length of `BODY[]`
    /// for message `n`, once the answer at `seen` gave one of them.
    fn whole_message(&mut self, n: u32, seen: &Seen) {
        let items = &self.items;
        let get = |name: &str| items.get(&(n, name.to_string())).cloned();
        let (body, header, text, size) = (
            get("BODY[]"),
            get("BODY[HEADER]"),
            get("BODY[TEXT]"),
            get("RFC822.SIZE"),
        );
        let Some((body, body_seen)) = body else {
            return;
        };
        let Some(body_bytes) = string(&body).map(<[u8]>::to_vec) else {
            return;
        };
        if let (Some((h, hs)), Some((t, ts))) = (header, text) {
            if let (Some(hb), Some(tb)) = (string(&h), string(&t)) {
                if [hb, tb].concat() != body_bytes {
                    let split = hb.len().min(body_bytes.len());
                    self.report(
                        TEXT,
                        seen,
                        format!(
                            "BODY[HEADER] ({} octets) followed by BODY[TEXT] ({} octets) of message {n} is not its BODY[] ({} octets) {QUIET}",
                            hb.len(),
                            tb.len(),
                            body_bytes.len()
                        ),
                        format!(
                            "BODY[] = BODY[HEADER] followed by BODY[TEXT]: {}; {}; {}; {}",
                            cite(ENTIRE),
                            cite(HEADER),
                            cite("2060-6.4.5-blank-line"),
                            cite(TEXT)
                        ),
                        format!(
                            "BODY[] `{}` | `{}`; BODY[HEADER] `{}`; BODY[TEXT] `{}` ({}; {}; {})",
                            show_escaped(&body_bytes[..split]),
                            show_escaped(&body_bytes[split..]),
                            show_escaped(hb),
                            show_escaped(tb),
                            body_seen.describe(),
                            hs.describe(),
                            ts.describe()
                        ),
                    );
                }
            }
        }
        if let Some((size, size_seen)) = size {
            let size_n = size
                .atom()
                .and_then(|a| std::str::from_utf8(a).ok()?.parse::<usize>().ok());
            if let Some(s) = size_n.filter(|&s| s != body_bytes.len()) {
                self.report(
                    SIZE,
                    seen,
                    format!(
                        "RFC822.SIZE of message {n} is {s} but its BODY[] has {} octets {QUIET}",
                        body_bytes.len()
                    ),
                    format!(
                        "RFC822.SIZE = the octets of BODY[]: {}; {}; {}",
                        cite(SIZE),
                        cite("2060-6.4.5-rfc822-size"),
                        cite(ENTIRE)
                    ),
                    format!("{}; {}", size_seen.describe(), body_seen.describe()),
                );
            }
        }
    }

    /// A SEARCH or UID SEARCH answer, against the earlier ones.
    pub(super) fn searched(&mut self, s: Search) {
        if time_dependent(&s.args) {
            return;
        }
        // The same criteria are compared with the latest earlier answer of each form only:
        // one change, one finding.
        let (mut same_form, mut other_form) = (false, false);
        for p in self.searches.clone().iter().rev() {
            if same_all(&p.args, &s.args) {
                let done = if p.seen.uid == s.seen.uid {
                    &mut same_form
                } else {
                    &mut other_form
                };
                if !std::mem::replace(done, true) {
                    self.same_search(p, &s);
                }
            } else if p.seen.uid == s.seen.uid
                && (is_not_of(&s.args, &p.args) || is_not_of(&p.args, &s.args))
            {
                let both: BTreeSet<u32> = p.numbers.intersection(&s.numbers).copied().collect();
                if !both.is_empty() {
                    self.report(
                        NOT,
                        &s.seen,
                        format!(
                            "a search key and its NOT both match {} {QUIET}",
                            show_set(&both)
                        ),
                        format!("no message in both answers: {}", cite(NOT)),
                        format!("{}; {}", p.seen.describe(), s.seen.describe()),
                    );
                }
            }
        }
        self.searches.push(s.clone());
        self.complement(&s);
    }

    /// The same search criteria asked twice.
    fn same_search(&mut self, p: &Search, s: &Search) {
        if p.seen.uid == s.seen.uid {
            if p.numbers == s.numbers {
                return;
            }
            let rule = if p.seen.literal != s.seen.literal {
                STRING_FORMS
            } else if s.seen.uid {
                UID_SEARCH
            } else {
                SEARCH
            };
            self.report(
                rule,
                &s.seen,
                format!(
                    "the same search criteria{} answered {} then {} {QUIET}",
                    if rule == STRING_FORMS {
                        ", once with a string quoted and once as a literal,"
                    } else {
                        ""
                    },
                    show_set(&p.numbers),
                    show_set(&s.numbers)
                ),
                format!("the same answer both times: {}", cite(rule)),
                format!("{}; {}", p.seen.describe(), s.seen.describe()),
            );
            return;
        }
        self.cross_search(p, s);
    }

    /// SEARCH and UID SEARCH of the same criteria, mapped through the UIDs the server
    /// itself showed in the window (RFC 2060 §6.4.8); each answer in one finding at most.
    fn cross_search(&mut self, p: &Search, s: &Search) {
        // An answer already shown to contradict the other form is not reported again.
        if self.cross_reported.contains(&p.seen.step) || self.cross_reported.contains(&s.seen.step)
        {
            return;
        }
        let (seqs, uids) = if s.seen.uid { (p, s) } else { (s, p) };
        let mut wrong = Vec::new();
        let mut shown = Vec::new();
        for (&n, &uid) in &self.uids {
            if seqs.numbers.contains(&n) != uids.numbers.contains(&uid) {
                let side = |b: bool| if b { "in" } else { "not in" };
                wrong.push(format!(
                    "message {n} (UID {uid}) {} SEARCH but {} UID SEARCH",
                    side(seqs.numbers.contains(&n)),
                    side(uids.numbers.contains(&uid))
                ));
                if let Some((_, at)) = self.items.get(&(n, "UID".to_string())) {
                    shown.push(at.describe());
                }
            }
        }
        if wrong.is_empty() {
            return;
        }
        self.cross_reported.insert(p.seen.step);
        self.cross_reported.insert(s.seen.step);
        shown.dedup();
        self.report(
            UID_SEARCH,
            &s.seen,
            format!(
                "SEARCH answered {} and UID SEARCH {} for the same criteria {QUIET}: {}",
                show_set(&seqs.numbers),
                show_set(&uids.numbers),
                wrong.join("; ")
            ),
            format!(
                "the UIDs of the messages SEARCH found, by the UIDs FETCH showed: {}",
                cite(UID_SEARCH)
            ),
            format!(
                "{}; {}; UIDs: {}",
                p.seen.describe(),
                s.seen.describe(),
                shown.join("; ")
            ),
        );
    }

    /// After a FETCH showed new UIDs: SEARCH and UID SEARCH pairs asked before it.
    pub(super) fn recheck_cross_searches(&mut self) {
        let searches = self.searches.clone();
        for (i, p) in searches.iter().enumerate() {
            for s in &searches[i + 1..] {
                if p.seen.uid != s.seen.uid && same_all(&p.args, &s.args) {
                    self.cross_search(p, s);
                }
            }
        }
    }

    /// `SEARCH k` ∪ `SEARCH NOT k` = `SEARCH ALL`, once all three are known and `s` is one
    /// of them.
    fn complement(&mut self, s: &Search) {
        let same_kind: Vec<Search> = self
            .searches
            .iter()
            .filter(|x| x.seen.uid == s.seen.uid)
            .cloned()
            .collect();
        let Some(all) = same_kind.iter().rev().find(|x| is_all(&x.args)) else {
            return;
        };
        for a in &same_kind {
            for b in &same_kind {
                if !is_not_of(&b.args, &a.args) {
                    continue;
                }
                let ours = [&a.seen, &b.seen, &all.seen]
                    .iter()
                    .any(|x| x.step == s.seen.step);
                let union: BTreeSet<u32> = a.numbers.union(&b.numbers).copied().collect();
                if ours && union != all.numbers {
                    self.report(
                        NOT,
                        &s.seen,
                        format!(
                            "a search key matches {} and its NOT {}: together {}, but ALL is {} {QUIET}",
                            show_set(&a.numbers),
                            show_set(&b.numbers),
                            show_set(&union),
                            show_set(&all.numbers)
                        ),
                        format!(
                            "every message in exactly one of the two answers: {}; {}",
                            cite(NOT),
                            cite("2060-6.4.4-key-all")
                        ),
                        format!(
                            "{}; {}; {}",
                            a.seen.describe(),
                            b.seen.describe(),
                            all.seen.describe()
                        ),
                    );
                    return;
                }
            }
        }
    }

    /// A STATUS answer, against earlier STATUS answers for the mailbox.
    pub(super) fn status(&mut self, s: Status) {
        // Each item against the latest earlier answer that gave it: one change, one finding.
        let mut compared: BTreeSet<&str> = BTreeSet::new();
        for p in self.statuses.clone().iter().rev() {
            if p.mailbox != s.mailbox {
                continue;
            }
            for (item, v) in &s.items {
                if !p.items.contains_key(item) || !compared.insert(item.as_str()) {
                    continue;
                }
                let Some(before) = p.items.get(item).filter(|b| *b != v) else {
                    continue;
                };
                // Both answers name the mailbox asked for, so the string's form (RFC 2060
                // §4.3) did not change which mailbox was meant: the item's own sentence is
                // the one the two answers break.
                let rule = match item.as_str() {
                    "MESSAGES" => MESSAGES,
                    "RECENT" => "2060-6.3.10-recent",
                    "UIDNEXT" => UIDNEXT,
                    "UIDVALIDITY" => UIDVALIDITY,
                    "UNSEEN" => "2060-6.3.10-unseen",
                    _ => continue,
                };
                let at = self.out.len();
                self.report(
                    rule,
                    &s.seen,
                    format!(
                        "STATUS {item} of `{}` is {before} then {v} {QUIET}",
                        show_escaped(&s.mailbox)
                    ),
                    format!("the same {item} both times: {}", cite(rule)),
                    format!("{}; {}", p.seen.describe(), s.seen.describe()),
                );
                if rule == UIDVALIDITY {
                    // RFC 2060 §2.3.1.1 lets a mailbox take a new, greater UIDVALIDITY when
                    // its UIDs do not persist: a change is worth knowing (clients drop
                    // their caches), not a contradiction.
                    let v = &mut self.out[at];
                    v.kind = Kind::Note;
                    v.summary.push_str(
                        " (RFC 2060 §2.3.1.1 allows a new, greater UIDVALIDITY where UIDs did not persist; every client that saw the first value must now discard what it cached)",
                    );
                }
            }
        }
        let on_selected = self.current.as_deref() == Some(&s.mailbox[..]);
        // RFC 3501 §6.3.10 discourages STATUS on the selected mailbox: only STATUS of
        // another mailbox is held to the EXISTS of a later SELECT.
        if !on_selected {
            self.statuses.push(s);
        }
    }

    /// STATUS MESSAGES and UIDNEXT asked before a SELECT or EXAMINE of the same mailbox.
    pub(super) fn status_vs_exists(&mut self, sel: &Selected) {
        for p in self.statuses.clone() {
            if p.mailbox != sel.mailbox {
                continue;
            }
            if let (Some(&before), Some((next, next_seen))) =
                (p.items.get("UIDNEXT"), sel.uidnext.as_ref())
            {
                if before != *next {
                    self.report(
                        UIDNEXT,
                        next_seen,
                        format!(
                            "STATUS UIDNEXT of `{}` is {before} but SELECT/EXAMINE then reports [UIDNEXT {next}] {QUIET}",
                            show_escaped(&sel.mailbox)
                        ),
                        format!(
                            "the same next UID: {}; {}",
                            cite(UIDNEXT),
                            cite("3501-6.3.1-uidnext")
                        ),
                        format!("{}; {}", p.seen.describe(), next_seen.describe()),
                    );
                }
            }
            let Some(&m) = p.items.get("MESSAGES").filter(|&&m| m != sel.exists) else {
                continue;
            };
            self.report(
                MESSAGES,
                &sel.seen,
                format!(
                    "STATUS MESSAGES of `{}` is {m} but SELECT/EXAMINE then reports {} EXISTS {QUIET}",
                    show_escaped(&sel.mailbox),
                    sel.exists
                ),
                format!(
                    "the same number of messages: {}; {}",
                    cite(MESSAGES),
                    cite(EXISTS)
                ),
                format!("{}; {}", p.seen.describe(), sel.seen.describe()),
            );
        }
    }

    /// A LIST or LSUB answer, against the same question asked with the other string form.
    pub(super) fn listed(&mut self, l: Listing) {
        for p in self.listings.clone() {
            if p.verb != l.verb
                || p.seen.literal == l.seen.literal
                || !same_all(&p.args, &l.args)
                || p.entries == l.entries
            {
                continue;
            }
            let names = |x: &Listing| {
                x.entries
                    .iter()
                    .map(|e| show_escaped(&e.0))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            self.report(
                STRING_FORMS,
                &l.seen,
                format!(
                    "{} with the same arguments, once quoted and once as a literal, returns [{}] then [{}] {QUIET}",
                    l.verb,
                    names(&p),
                    names(&l)
                ),
                format!("the same mailboxes both times: {}", cite(STRING_FORMS)),
                format!("{}; {}", p.seen.describe(), l.seen.describe()),
            );
        }
        self.listings.push(l);
    }
}
