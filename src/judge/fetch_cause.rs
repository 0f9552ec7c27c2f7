//! Why a FETCH item differs from the model's: the cause first, then the rule.
//!
//! The rule a FETCH item's data break is not chosen from the item's name. A server that
//! stores a message with header fields of its own (an mbox server's `X-UID`) sends a
//! RFC822.HEADER that *is* functionally equivalent to its `BODY.PEEK[HEADER]`, a header
//! that *does* end in the blank line, and an RFC822.SIZE that *is* the size of the
//! message it holds: those sentences are not broken. What is broken is that the stored
//! message is not the one APPEND was given (RFC 2060 §6.3.11: "The APPEND command appends
//! the literal argument as a new message").
//!
//! So the oracle rebuilds the message the server serves from the server's own FETCH data
//! ([`served_candidates`]: BODY[] or RFC822; a header and a text; one of them with the
//! appended message's other half), computes every item again from it with the model,
//! and sorts each differing item:
//! - right for the served message: the cause is how the served message differs from the
//!   appended one ([`message_changes`]: header fields added or removed, line endings, the
//!   body re-encoded or changed), reported once against the APPEND sentence;
//! - wrong even for the served message the server itself sends in full: the server
//!   contradicts itself, a violation of the item's own sentence;
//! - another section of the message ([`wrong_part`]): the part numbering is broken;
//! - RFC 2231 parameters served decoded ([`params_decoded`]): RFC 2060 predates RFC 2231,
//!   a note;
//! - nothing the server sent explains it: left to the end of the session (a later FETCH
//!   may show the stored bytes).

use super::cause::Cause;
use super::lex::{Tok, TokKind};
use crate::model::message::{Message, SectionText};
use crate::wire::escape;

/// A message the server may be serving, rebuilt from its FETCH data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub bytes: Vec<u8>,
    /// Built from the server's data alone (the whole message, or its header and text in
    /// one response): items that disagree with it contradict the server's own data.
    pub certain: bool,
    /// Which items it was built from, for the finding's text.
    pub from: String,
}

fn text_of<'a>(items: &'a [(String, Tok)], names: &[&str]) -> Option<(&'a str, Vec<u8>)> {
    items.iter().find_map(|(n, t)| {
        if !names.contains(&n.as_str()) {
            return None;
        }
        t.text().map(|b| (n.as_str(), b.to_vec()))
    })
}

fn is_multipart(m: &Message) -> bool {
    matches!(
        m.body_structure(),
        crate::model::value::BodyStructure::Multipart { .. }
    )
}

/// The messages the server may be serving, most certain first: its BODY[] or RFC822;
/// its header and text from one response; its header with the appended text; the
/// appended header with its text (TEXT, or part 1 of a message that is not multipart,
/// whole or from origin 0); the message it served earlier in the session (`earlier`).
pub fn served_candidates(
    appended: &Message,
    have: &[(String, Tok)],
    earlier: Option<&[u8]>,
) -> Vec<Served> {
    let mut out = Vec::new();
    if let Some((n, full)) = text_of(have, &["BODY[]", "RFC822"]) {
        out.push(Served {
            bytes: full,
            certain: true,
            from: n.to_string(),
        });
    }
    let header = text_of(have, &["RFC822.HEADER", "BODY[HEADER]"]);
    let mut texts = vec![];
    if let Some(t) = text_of(have, &["RFC822.TEXT", "BODY[TEXT]"]) {
        texts.push((t, true));
    }
    if !is_multipart(appended) {
        if let Some(t) = text_of(have, &["BODY[1]"]) {
            texts.push((t, false));
        }
    }
    for names in [["BODY[TEXT]<0>"], ["BODY[1]<0>"]] {
        if names[0].starts_with("BODY[1]") && is_multipart(appended) {
            continue;
        }
        if let Some(t) = text_of(have, &names) {
            texts.push((t, false));
        }
    }
    if let (Some((hn, h)), Some(((tn, t), whole))) = (&header, texts.first()) {
        let mut bytes = h.clone();
        bytes.extend_from_slice(t);
        out.push(Served {
            bytes,
            certain: *whole,
            from: format!("{hn} and {tn}"),
        });
    }
    if let Some((hn, h)) = &header {
        let mut bytes = h.clone();
        bytes.extend_from_slice(appended.body_bytes());
        out.push(Served {
            bytes,
            certain: false,
            from: format!("{hn} and the appended text"),
        });
    }
    for ((tn, t), _) in &texts {
        let mut bytes = appended.header_bytes().to_vec();
        bytes.extend_from_slice(t);
        out.push(Served {
            bytes,
            certain: false,
            from: format!("the appended header and {tn}"),
        });
    }
    // Fields a HEADER.FIELDS or HEADER.FIELDS.NOT answer holds that the appended header
    // lacks: the appended message with them at the end of its header.
    for (n, t) in have {
        if !n.contains("HEADER.FIELDS") {
            continue;
        }
        let Some(text) = t.text() else { continue };
        let known = field_names(appended.header_bytes());
        let mut extra: Vec<u8> = Vec::new();
        let mut keep = false;
        for line in text.split_inclusive(|&c| c == b'\n') {
            let continuation = line.first().is_some_and(|c| *c == b' ' || *c == b'\t');
            if !continuation {
                keep = field_names(line)
                    .first()
                    .is_some_and(|f| !known.contains(f));
            }
            if keep {
                extra.extend_from_slice(line);
            }
        }
        let header = appended.header_bytes();
        if extra.is_empty() || !header.ends_with(b"\r\n\r\n") {
            continue;
        }
        let mut bytes = header[..header.len() - 2].to_vec();
        bytes.extend_from_slice(&extra);
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(appended.body_bytes());
        out.push(Served {
            bytes,
            certain: false,
            from: format!("the appended message with the fields {n} adds"),
        });
    }
    if let Some(e) = earlier {
        out.push(Served {
            bytes: e.to_vec(),
            certain: false,
            from: "the message the server served earlier in the session".into(),
        });
    }
    out
}

/// Field names of a header, lower-cased, in order (continuation lines skipped).
pub fn field_names(header: &[u8]) -> Vec<String> {
    header
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b' ' && l[0] != b'\t')
        .filter_map(|l| l.iter().position(|&c| c == b':').map(|i| &l[..i]))
        .filter(|n| !n.is_empty() && !n.contains(&b' '))
        .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
        .collect()
}

fn has_bare_lf(b: &[u8]) -> bool {
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'\n' && (i == 0 || b[i - 1] != b'\r'))
}

fn to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 20);
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' && (i == 0 || b[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// A short quotation of `b`: the escaped bytes when short, else its length.
fn short(b: &[u8]) -> String {
    if b.len() <= 40 {
        format!("\"{}\"", escape(b))
    } else {
        format!("{} octets", b.len())
    }
}

/// How the message the server serves differs from the appended one: each cause once,
/// with what changed in a few words (`x-imapbase, x-uid`). Empty when they are equal.
pub fn message_changes(appended: &[u8], served: &[u8]) -> Vec<(Cause, String)> {
    if appended == served {
        return vec![];
    }
    let mut out = Vec::new();
    let served = if has_bare_lf(served) && !has_bare_lf(appended) {
        out.push((
            Cause::LineEndings,
            "bare LF line ends where the appended message has CRLF".to_string(),
        ));
        to_crlf(served)
    } else {
        served.to_vec()
    };
    let (a, s) = (Message::parse(appended.to_vec()), Message::parse(served));
    let (ha, hs) = (field_names(a.header_bytes()), field_names(s.header_bytes()));
    let added: Vec<&String> = hs.iter().filter(|n| !ha.contains(n)).collect();
    let removed: Vec<&String> = ha.iter().filter(|n| !hs.contains(n)).collect();
    let list = |v: &[&String]| {
        let mut v: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        v.dedup();
        v.join(", ")
    };
    if !added.is_empty() {
        out.push((Cause::HeaderFieldsAdded, list(&added)));
    }
    if !removed.is_empty() {
        out.push((Cause::HeaderFieldsRemoved, list(&removed)));
    }
    if added.is_empty() && removed.is_empty() && a.header_bytes() != s.header_bytes() {
        out.push((Cause::HeaderChanged, "header fields rewritten".to_string()));
    }
    if a.body_bytes() != s.body_bytes() {
        let cte = |m: &Message| {
            m.header_values(b"Content-Transfer-Encoding")
                .first()
                .map(|v| v.trim_ascii().to_ascii_lowercase())
        };
        if cte(&a) != cte(&s) {
            out.push((
                Cause::BodyReencoded,
                format!(
                    "the body in another transfer encoding ({})",
                    cte(&s)
                        .map(|v| String::from_utf8_lossy(&v).into_owned())
                        .unwrap_or_else(|| "none".into())
                ),
            ));
        } else {
            out.push((
                Cause::BodyChanged,
                format!(
                    "the body {} served as {}",
                    short(a.body_bytes()),
                    short(s.body_bytes())
                ),
            ));
        }
    }
    if out.is_empty() {
        out.push((Cause::HeaderChanged, "other bytes".to_string()));
    }
    out
}

/// The part numbers of a `BODY[...]` item name (`BODY[2.1]<0>` → `[2, 1]`), if it names
/// a numbered part with no text specifier.
fn part_path(name: &str) -> Option<Vec<u32>> {
    let inner = name.strip_prefix("BODY[")?.split(']').next()?;
    if inner.is_empty() {
        return None;
    }
    inner.split('.').map(|p| p.parse().ok()).collect()
}

/// RFC 2060 §6.4.5 part numbers: when the data of item `name` are exactly another
/// section of the message (a parent part, the whole message, a part's header or text),
/// that section's name. Only numbered parts without partial are judged.
pub fn wrong_part(message: &Message, name: &str, have: &[u8]) -> Option<String> {
    if name.contains('<') {
        return None;
    }
    let path = part_path(name)?;
    if message.section(&path, None).as_deref() == Some(have) {
        return None;
    }
    if split_is_ambiguous(message, name) {
        return None;
    }
    let label = |p: &[u32], t: &str| {
        let mut s = p.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
        if !t.is_empty() {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(t);
        }
        format!("BODY[{s}]")
    };
    let mut tries: Vec<(Vec<u32>, Option<SectionText>, &str)> = vec![];
    for cut in (0..path.len()).rev() {
        let p = path[..cut].to_vec();
        tries.push((p.clone(), None, ""));
        tries.push((p.clone(), Some(SectionText::Text), "TEXT"));
    }
    tries.push((path.clone(), Some(SectionText::Text), "TEXT"));
    tries.push((path.clone(), Some(SectionText::Mime), "MIME"));
    for (p, t, tn) in tries {
        if p.is_empty() && t.is_none() && have.is_empty() {
            continue;
        }
        if message.section(&p, t.as_ref()).as_deref() == Some(have) {
            return Some(label(&p, tn));
        }
    }
    None
}

/// Whether the section `name` (`BODY[2.1]`, `BODY[1.HEADER]`, ...) lies in a message, or
/// passes through an encapsulated one, that does not begin with a header field: such a
/// message has no clear header/body split (RFC 822 §3.1 header fields are `name ":"
/// ...`), a server that reads it all as body numbers its parts otherwise, and nothing in
/// RFC 2060 says which reading is right.
pub fn split_is_ambiguous(message: &Message, name: &str) -> bool {
    let Some(path) = part_path(name) else {
        return false;
    };
    (0..path.len().max(1)).any(|cut| {
        let whole = if cut == 0 {
            Some(message.raw().to_vec())
        } else {
            // Only an encapsulated message has a header of its own to split off.
            let mime = message
                .section(&path[..cut], Some(&SectionText::Mime))
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !mime.windows(14).any(|w| w == b"message/rfc822") {
                return false;
            }
            message.section(&path[..cut], None)
        };
        whole.is_some_and(|w| !begins_with_header_field(&w))
    })
}

/// Whether `m` starts with an RFC 822 header field (`name:`) or an empty header (a blank
/// line).
fn begins_with_header_field(m: &[u8]) -> bool {
    let first = m.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    first.is_empty()
        || first
            .iter()
            .position(|&b| b == b':')
            .is_some_and(|i| i > 0 && first[..i].iter().all(|&b| b.is_ascii_graphic()))
}

fn is_params(l: &[Tok]) -> bool {
    !l.is_empty() && l.len() % 2 == 0 && l.iter().all(|t| matches!(t.kind, TokKind::Str(_)))
}

fn str_tok(b: &[u8], like: &Tok) -> Tok {
    Tok {
        kind: TokKind::Str(b.to_vec()),
        span: like.span,
    }
}

/// Both values with RFC 2231 parameters made comparable: a model parameter `name*` (or
/// `name*0`, `name*0*`) becomes `name` with the value `*`, and the server's parameter of
/// that name gets the value `*` too. `None` when the model's value has no such parameter.
fn without_2231(want: &Tok, have: &Tok) -> Option<(Tok, Tok)> {
    match (&want.kind, &have.kind) {
        (TokKind::List(a), TokKind::List(b)) if is_params(a) && is_params(b) => {
            let base = |k: &[u8]| -> Option<Vec<u8>> {
                let i = k.iter().position(|&c| c == b'*')?;
                Some(k[..i].to_ascii_lowercase())
            };
            let mut starred: Vec<Vec<u8>> = vec![];
            let mut wa: Vec<Tok> = vec![];
            for c in a.chunks(2) {
                let k = c[0].text().unwrap_or_default();
                match base(k) {
                    Some(n) => {
                        if !starred.contains(&n) {
                            wa.push(str_tok(&n, &c[0]));
                            wa.push(str_tok(b"*", &c[1]));
                            starred.push(n);
                        }
                    }
                    None => wa.extend(c.iter().cloned()),
                }
            }
            if starred.is_empty() {
                return None;
            }
            let mut hb: Vec<Tok> = vec![];
            let mut done: Vec<Vec<u8>> = vec![];
            for c in b.chunks(2) {
                let k = c[0].text().unwrap_or_default();
                let n = base(k).unwrap_or_else(|| k.to_ascii_lowercase());
                if starred.contains(&n) {
                    if !done.contains(&n) {
                        hb.push(str_tok(&n, &c[0]));
                        hb.push(str_tok(b"*", &c[1]));
                        done.push(n);
                    }
                } else {
                    hb.extend(c.iter().cloned());
                }
            }
            Some((
                Tok {
                    kind: TokKind::List(wa),
                    span: want.span,
                },
                Tok {
                    kind: TokKind::List(hb),
                    span: have.span,
                },
            ))
        }
        (TokKind::List(a), TokKind::List(b)) => {
            let mut changed = false;
            let mut wa = a.clone();
            let mut hb = b.clone();
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                if let Some((x2, y2)) = without_2231(x, y) {
                    wa[i] = x2;
                    hb[i] = y2;
                    changed = true;
                }
            }
            changed.then_some({
                (
                    Tok {
                        kind: TokKind::List(wa),
                        span: want.span,
                    },
                    Tok {
                        kind: TokKind::List(hb),
                        span: have.span,
                    },
                )
            })
        }
        _ => None,
    }
}

/// RFC 2231 parameter values: when a BODY or BODYSTRUCTURE differs from the model's
/// only in parameters the message gives in RFC 2231 form (`name*=UTF-8''...`), which
/// the server serves decoded or re-encoded, the two values with those parameters made
/// equal (for the rest of the comparison); `None` otherwise.
pub fn params_decoded(want: &Tok, have: &Tok) -> Option<(Tok, Tok)> {
    without_2231(want, have)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str) -> Tok {
        super::super::lex::items(s.as_bytes(), 0).unwrap().remove(0)
    }

    /// The value without positions.
    fn shape(t: &Tok) -> String {
        match &t.kind {
            TokKind::List(l) => format!("({})", l.iter().map(shape).collect::<Vec<_>>().join(" ")),
            TokKind::Str(b) => format!("{:?}", String::from_utf8_lossy(b)),
            TokKind::Atom(a) => String::from_utf8_lossy(a).into_owned(),
        }
    }

    /// Mailutils, seed 7 session 2: the appended message and the BODY[] it served.
    const APPENDED: &[u8] = b"From: Bob Baker <bob@example.net>\r\nSubject: invoice\r\nContent-Type: text/plain\r\n\r\nquarterly pumpkin\r\n";
    const SERVED: &[u8] = b"From: Bob Baker <bob@example.net>\r\nSubject: invoice\r\nContent-Type: text/plain\r\nX-IMAPbase: 1796651778                    4\r\nX-UID: 1\r\n\r\nquarterly pumpkin\r\n";

    #[test]
    fn header_fields_an_mbox_server_adds_are_one_cause_rfc2060_6_3_11_appends_the_literal() {
        assert_eq!(
            message_changes(APPENDED, SERVED),
            vec![(Cause::HeaderFieldsAdded, "x-imapbase, x-uid".to_string())]
        );
        assert_eq!(
            message_changes(SERVED, APPENDED),
            vec![(Cause::HeaderFieldsRemoved, "x-imapbase, x-uid".to_string())]
        );
        assert!(message_changes(APPENDED, APPENDED).is_empty());
    }

    #[test]
    fn an_empty_body_served_as_crlf_is_a_changed_body_not_a_part_numbering_fault() {
        let a = b"Subject: x\r\n\r\n";
        let s = b"Subject: x\r\n\r\n\r\n";
        assert_eq!(
            message_changes(a, s),
            vec![(
                Cause::BodyChanged,
                "the body \"\" served as \"\\r\\n\"".to_string()
            )]
        );
    }

    #[test]
    fn line_ends_changed_to_lf_are_named_as_such() {
        let s = b"From: Bob Baker <bob@example.net>\nSubject: invoice\nContent-Type: text/plain\n\nquarterly pumpkin\n";
        assert_eq!(message_changes(APPENDED, s)[0].0, Cause::LineEndings);
        assert_eq!(message_changes(APPENDED, s).len(), 1);
    }

    #[test]
    fn a_reencoded_body_names_its_new_transfer_encoding() {
        let a = b"Content-Type: text/plain\r\n\r\ncaf\xc3\xa9\r\n";
        let s = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n";
        let c = message_changes(a, s);
        assert!(c.iter().any(|(c, _)| *c == Cause::BodyReencoded), "{c:?}");
    }

    #[test]
    fn the_served_message_is_rebuilt_from_the_servers_own_items() {
        let appended = Message::parse(APPENDED.to_vec());
        let header = &SERVED[..SERVED.len() - b"quarterly pumpkin\r\n".len()];
        let have = vec![(
            "RFC822.HEADER".to_string(),
            Tok {
                kind: TokKind::Str(header.to_vec()),
                span: (0, 0),
            },
        )];
        let c = served_candidates(&appended, &have, None);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].bytes, SERVED);
        assert!(!c[0].certain, "the text is the appended one: a guess");
        let have = vec![(
            "BODY[]".to_string(),
            Tok {
                kind: TokKind::Str(SERVED.to_vec()),
                span: (0, 0),
            },
        )];
        let c = served_candidates(&appended, &have, None);
        assert!(c[0].certain);
        // Mailutils, seed 7 session 103: a HEADER.FIELDS.NOT answer with an X-UID field.
        let have = vec![(
            "BODY[HEADER.FIELDS.NOT (CONTENT-TYPE)]".to_string(),
            Tok {
                kind: TokKind::Str(
                    b"From: Bob Baker <bob@example.net>\r\nSubject: invoice\r\nX-UID: 2\r\n\r\n"
                        .to_vec(),
                ),
                span: (0, 0),
            },
        )];
        let c = served_candidates(&appended, &have, None);
        assert_eq!(c.len(), 1);
        assert!(c[0].bytes.windows(10).any(|w| w == b"X-UID: 2\r\n"));
        assert_eq!(
            message_changes(APPENDED, &c[0].bytes),
            vec![(Cause::HeaderFieldsAdded, "x-uid".to_string())]
        );
    }

    #[test]
    fn a_whole_encapsulated_message_for_its_part_1_is_another_part_rfc2060_6_4_5() {
        // Mailutils, seed 7 session 34: BODY[2.1] of a MESSAGE/RFC822 part whose message
        // is not multipart is that message's text; the server sent the whole message.
        let inner = b"From: a@example.org\r\nSubject: s\r\n\r\nconformance octet\r\n";
        let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
        m.extend_from_slice(inner);
        m.extend_from_slice(b"\r\n--b--\r\n");
        let msg = Message::parse(m);
        assert_eq!(
            msg.section(&[2, 1], None).as_deref(),
            Some(&b"conformance octet\r\n"[..])
        );
        assert_eq!(
            wrong_part(&msg, "BODY[2.1]", inner).as_deref(),
            Some("BODY[2]")
        );
        assert_eq!(
            wrong_part(&msg, "BODY[2.1]", b"conformance octet\r\n"),
            None
        );
        assert_eq!(wrong_part(&msg, "BODY[2.1]", b"something else"), None);
    }

    #[test]
    fn an_encapsulated_message_without_a_header_field_has_no_wrong_part_rfc822_3_1() {
        // Mailutils, seed 7 session 101: the MESSAGE/RFC822 part holds one line with no
        // colon. Read as all body, its part 1 is the whole line, as the server sent; read
        // as a header, it has no text. RFC 2060 does not say which reading is right.
        let inner = b"protocol draft travel draft meeting";
        let mut m = b"From: b@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
        m.extend_from_slice(inner);
        m.extend_from_slice(b"\r\n--b--\r\n");
        let msg = Message::parse(m);
        assert_eq!(wrong_part(&msg, "BODY[2.1]", inner), None);
        assert!(begins_with_header_field(b"From: a\r\n\r\nx"));
        assert!(begins_with_header_field(b"\r\nbody only"));
        assert!(!begins_with_header_field(b"protocol draft travel\r\n"));
        assert!(!begins_with_header_field(b": no name\r\n"));
    }

    #[test]
    fn rfc2231_parameters_served_decoded_are_told_apart_rfc2060_predates_rfc2231() {
        // Mailutils, seed 7 session 2 (BODY of message 1).
        let want = tok(
            r#"(("text" "plain" ("charset" "us-ascii" "name*" "UTF-8''r%C3%A9sum%C3%A9.txt") NIL NIL "7BIT" 126 1) "alternative")"#,
        );
        let have = tok(
            r#"(("text" "plain" ("charset" "us-ascii" "name" "=?UTF-8?B?csOpc3Vtw6kudHh0?=") NIL NIL "7BIT" 126 1) "alternative" NIL NIL NIL)"#,
        );
        let (w, h) = params_decoded(&want, &have).expect("RFC 2231 parameter");
        let (TokKind::List(wl), TokKind::List(hl)) = (&w.kind, &h.kind) else {
            panic!("lists")
        };
        assert_eq!(
            shape(&wl[0]),
            shape(&hl[0]),
            "the part is otherwise the same"
        );
        let plain = tok(r#"("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 1 1)"#);
        assert!(params_decoded(&plain, &plain).is_none());
    }

    /// A message as a session's APPEND would send it.
    fn drawn(seed: u64, i: u64) -> Vec<u8> {
        let mut bytes = vec![0u8; 4096];
        crate::gen::entropy::SplitMix64::for_session(seed, i).fill(&mut bytes);
        crate::gen::message::draw_message(&mut arbitrary::Unstructured::new(&bytes), (seed, i), 1)
            .bytes
    }

    #[test]
    fn fields_added_at_the_end_of_any_header_are_named_and_nothing_else_rfc2060_6_3_11() {
        // Property over drawn messages: a server that adds `X-UID` and `Status` at the end
        // of the header (as an mbox server does) is one cause, named with those fields;
        // the message rebuilt from its RFC822.HEADER and the appended text is its message.
        let mut tried = 0;
        for i in 0..200 {
            let raw = drawn(7, i);
            let appended = Message::parse(raw.clone());
            let header = appended.header_bytes();
            if !header.ends_with(b"\r\n\r\n") {
                continue;
            }
            let mut served = header[..header.len() - 2].to_vec();
            served.extend_from_slice(b"X-UID: 4\r\nStatus: RO\r\n\r\n");
            let served_header = served.clone();
            served.extend_from_slice(appended.body_bytes());
            assert_eq!(
                message_changes(&raw, &served),
                vec![(Cause::HeaderFieldsAdded, "x-uid, status".to_string())],
                "message {i}"
            );
            assert!(message_changes(&raw, &raw).is_empty());
            let have = vec![(
                "RFC822.HEADER".to_string(),
                Tok {
                    kind: TokKind::Str(served_header),
                    span: (0, 0),
                },
            )];
            let c = served_candidates(&appended, &have, None);
            assert_eq!(c[0].bytes, served, "message {i}");
            tried += 1;
        }
        assert!(tried > 150, "{tried} messages with a header");
    }
}
