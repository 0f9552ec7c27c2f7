//! 8-bit APPEND data a server re-encodes (RFC 2060 §6.3.11): "A server implementation
//! that is unable to preserve 8-bit data properly MUST be able to reversibly convert 8-bit
//! APPEND data to 7-bit using a [MIME-IMB] content transfer encoding."
//!
//! The oracle does not compare the data of a message that holds 8-bit octets (a server
//! may convert it), so this judge does, from the transcript alone: a message the session
//! appended (tagged OK) that is a single part with 8-bit octets in its body, served later
//! whole (`BODY[]` or `RFC822`) with the same header but its body in base64 or
//! quoted-printable, must decode to the appended body ([`conversion`]). The served message
//! is matched to the appended one by its header (the Content-Transfer-Encoding field
//! aside), and only where exactly one appended message has that header. Decoding is
//! compared leniently: line ends as CRLF, trailing line ends ignored.

use crate::wire::{escape, Exchange, Fragment, Transcript};

use super::{requirement_kind, Kind, Verdict};
use crate::model::message::{decode_base64, decode_quoted_printable, Message};

/// RFC 2060 §6.3.11: the sentence an irreversible conversion of 8-bit APPEND data breaks.
pub const EIGHT_BIT_REVERSIBLE: &str = "2060-6.3.11-8bit-reversible";

/// How a server converted the 8-bit body of an appended single-part message to 7 bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// Decoding the served body gives the appended body back (and the header differs at
    /// most in Content-Transfer-Encoding).
    Reversible,
    /// The served body, in this transfer encoding, decodes to other octets.
    Irreversible { encoding: String },
}

/// The Content-Transfer-Encoding of a message, lower case (`None` when it has none).
fn encoding(m: &Message) -> Option<String> {
    m.header_values(b"Content-Transfer-Encoding")
        .first()
        .map(|v| String::from_utf8_lossy(v.trim_ascii()).to_ascii_lowercase())
}

/// The header without its Content-Transfer-Encoding field (continuation lines included).
fn header_without_encoding(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len());
    let mut skipping = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        if !continuation {
            skipping =
                line.len() >= 26 && line[..26].eq_ignore_ascii_case(b"Content-Transfer-Encoding:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Whether `served` is `appended`, a single-part message with 8-bit octets in its body,
/// with that body converted to base64 or quoted-printable, and if so whether the
/// conversion is reversible. `None` for any other difference (the oracle reports those
/// against what APPEND stores).
pub fn conversion(appended: &[u8], served: &[u8]) -> Option<Conversion> {
    let (a, s) = (
        Message::parse(appended.to_vec()),
        Message::parse(served.to_vec()),
    );
    let single_part = |m: &Message| {
        !m.header_values(b"Content-Type").first().is_some_and(|v| {
            v.trim_ascii()
                .to_ascii_lowercase()
                .starts_with(b"multipart/")
        })
    };
    if !single_part(&a) || !single_part(&s) || a.body_bytes().is_ascii() {
        return None;
    }
    let served_encoding = encoding(&s)?;
    if encoding(&a) == Some(served_encoding.clone()) || !s.body_bytes().is_ascii() {
        return None;
    }
    let decoded = match served_encoding.as_str() {
        "base64" => decode_base64(s.body_bytes()),
        "quoted-printable" => decode_quoted_printable(s.body_bytes()),
        _ => return None,
    };
    let same_header =
        header_without_encoding(a.header_bytes()) == header_without_encoding(s.header_bytes());
    Some(
        if canonical(&decoded) == canonical(a.body_bytes()) && same_header {
            Conversion::Reversible
        } else {
            Conversion::Irreversible {
                encoding: served_encoding,
            }
        },
    )
}

/// Line ends as CRLF and trailing CR, LF and spaces removed: what a text body's
/// conversion to and from a transfer encoding may change without losing data.
fn canonical(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut prev = 0u8;
    for &b in body {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    while out
        .last()
        .is_some_and(|b| matches!(b, b'\r' | b'\n' | b' '))
    {
        out.pop();
    }
    out
}

/// The messages of tagged-OK APPENDs with one literal each, in order.
fn appended_messages(t: &Transcript) -> Vec<Vec<u8>> {
    t.steps()
        .filter(|(_, e)| {
            let cmd = e.command();
            let verb = cmd.first_line().split(|&c| c == b' ').nth(1).unwrap_or(b"");
            verb.eq_ignore_ascii_case(b"APPEND")
                && e.completion().is_some_and(|c| {
                    c.first_line()
                        .split(|&c| c == b' ')
                        .nth(1)
                        .is_some_and(|k| k.eq_ignore_ascii_case(b"OK"))
                })
        })
        .filter_map(|(_, e)| {
            let cmd = e.command();
            let literals: Vec<&Vec<u8>> = cmd
                .fragments
                .iter()
                .filter_map(|f| match f {
                    Fragment::Literal(b) => Some(b),
                    Fragment::Line(_) => None,
                })
                .collect();
            match literals.as_slice() {
                [one] => Some(one.to_vec()),
                _ => None,
            }
        })
        .collect()
}

/// The whole messages a server's responses in `e` serve: the literal after `BODY[] ` or
/// `RFC822 ` in a FETCH response.
fn served_messages(e: &Exchange) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for m in e.responses() {
        if !m.is_untagged() {
            continue;
        }
        let mut before: &[u8] = b"";
        for f in &m.fragments {
            match f {
                Fragment::Line(l) => before = l,
                Fragment::Literal(b) => {
                    let head = before
                        .iter()
                        .rposition(|&c| c == b'{')
                        .map_or(before, |i| &before[..i]);
                    let head = head.to_ascii_uppercase();
                    if head.ends_with(b"BODY[] ") || head.ends_with(b"RFC822 ") {
                        out.push(b.clone());
                    }
                }
            }
        }
    }
    out
}

/// One violation per appended 8-bit message the session saw served in a transfer
/// encoding that does not decode to it.
pub fn judge_eight_bit(target: &str, t: &Transcript) -> Vec<Verdict> {
    let appended: Vec<Vec<u8>> = appended_messages(t)
        .into_iter()
        .filter(|m| !Message::parse(m.clone()).body_bytes().is_ascii())
        .collect();
    if appended.is_empty() {
        return Vec::new();
    }
    let header_key =
        |raw: &[u8]| header_without_encoding(Message::parse(raw.to_vec()).header_bytes());
    let mut reported: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::new();
    for (step, e) in t.steps() {
        for served in served_messages(e) {
            let key = header_key(&served);
            let mut same: Vec<&Vec<u8>> =
                appended.iter().filter(|a| header_key(a) == key).collect();
            same.sort();
            same.dedup();
            let [original] = same.as_slice() else {
                continue;
            };
            if reported.contains(original) {
                continue;
            }
            let Some(Conversion::Irreversible { encoding }) = conversion(original, &served) else {
                continue;
            };
            reported.push(original.to_vec());
            let body = Message::parse(served.clone());
            let shown: Vec<u8> = body.body_bytes().iter().copied().take(300).collect();
            out.push(Verdict {
                kind: requirement_kind(EIGHT_BIT_REVERSIBLE).unwrap_or(Kind::Violation),
                targets: vec![target.to_string()],
                step,
                rule: Some(EIGHT_BIT_REVERSIBLE.into()),
                summary: format!(
                    "an appended message with 8-bit octets is served with its body in {encoding} \
                     that does not decode to the appended body"
                ),
                expected: format!(
                    "the appended body ({} octets, 8-bit), or a 7-bit transfer encoding of it that \
                     decodes to those octets: \"{}\"",
                    Message::parse(original.to_vec()).body_bytes().len(),
                    escape(&Message::parse(original.to_vec()).body_bytes().iter().copied().take(300).collect::<Vec<u8>>())
                ),
                observed: format!("Content-Transfer-Encoding: {encoding}, body: \"{}\"", escape(&shown)),
                cause: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{End, Event, Message as WireMessage};

    const HEAD: &str =
        "From: a@example.org\r\nSubject: cafe\r\nContent-Type: text/plain; charset=utf-8\r\n";
    const BODY: &str = "Caf\u{e9} cr\u{e8}me \u{2014} na\u{ef}ve\r\n";

    fn appended() -> Vec<u8> {
        format!("{HEAD}Content-Transfer-Encoding: 8bit\r\n\r\n{BODY}").into_bytes()
    }

    fn served(encoding: &str, body: &str) -> Vec<u8> {
        format!("{HEAD}Content-Transfer-Encoding: {encoding}\r\n\r\n{body}").into_bytes()
    }

    /// `Café crème — naïve\r\n` in base64 and in quoted-printable.
    const B64: &str = "Q2Fmw6kgY3LDqG1lIOKAlCBuYcOvdmUNCg==\r\n";
    const QP: &str = "Caf=C3=A9 cr=C3=A8me =E2=80=94 na=C3=AFve\r\n";

    #[test]
    fn base64_or_quoted_printable_that_decodes_to_the_appended_octets_is_reversible_rfc2060_6_3_11()
    {
        assert_eq!(
            conversion(&appended(), &served("base64", B64)),
            Some(Conversion::Reversible)
        );
        assert_eq!(
            conversion(&appended(), &served("quoted-printable", QP)),
            Some(Conversion::Reversible)
        );
        assert_eq!(
            conversion(&appended(), &served("BASE64", B64)),
            Some(Conversion::Reversible),
            "the encoding's name is case-insensitive"
        );
    }

    /// RFC 2060 §6.3.11: the conversion MUST be reversible.
    #[test]
    fn a_conversion_that_loses_octets_is_irreversible_rfc2060_6_3_11() {
        // The 8-bit characters replaced by `?` before encoding.
        let lossy = "Caf? cr?me ? na?ve\r\n";
        assert_eq!(
            conversion(&appended(), &served("quoted-printable", lossy)),
            Some(Conversion::Irreversible {
                encoding: "quoted-printable".into()
            })
        );
        // Decodes right, but the header was changed besides the encoding.
        let other_header = format!(
            "From: a@example.org\r\nSubject: other\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{B64}"
        );
        assert!(matches!(
            conversion(&appended(), other_header.as_bytes()),
            Some(Conversion::Irreversible { .. })
        ));
    }

    #[test]
    fn only_an_eight_bit_body_converted_to_seven_bits_is_judged_here() {
        // 7-bit appended body: the sentence is about 8-bit data.
        let seven = format!("{HEAD}\r\nplain\r\n").into_bytes();
        let seven_b64 = format!("{HEAD}Content-Transfer-Encoding: base64\r\n\r\ncGxhaW4NCg==\r\n");
        assert_eq!(conversion(&seven, seven_b64.as_bytes()), None);
        // Served in the same encoding, or still 8-bit, or in no 7-bit encoding.
        assert_eq!(conversion(&appended(), &served("8bit", "other\r\n")), None);
        assert_eq!(conversion(&appended(), &served("7bit", BODY)), None);
        assert_eq!(
            conversion(&appended(), &served("x-uuencode", "x\r\n")),
            None
        );
        assert_eq!(conversion(&appended(), &appended()), None);
        // A multipart message's parts are not taken apart here.
        let multi =
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n\xc3\xa9\r\n--b--\r\n";
        assert_eq!(conversion(multi, &served("base64", B64)), None);
    }

    #[test]
    fn the_encoding_field_is_removed_with_its_continuation_lines() {
        assert_eq!(
            header_without_encoding(b"A: 1\r\ncontent-transfer-encoding:\r\n base64\r\nB: 2\r\n"),
            b"A: 1\r\nB: 2\r\n"
        );
    }

    fn fetch_body(tag: &str, seq: u32, message: &[u8]) -> Exchange {
        let mut m = WireMessage::default();
        m.fragments.push(Fragment::Line(
            format!(
                "* {seq} FETCH (RFC822.SIZE {} BODY[] {{{}}}\r\n",
                message.len(),
                message.len()
            )
            .into_bytes(),
        ));
        m.fragments.push(Fragment::Literal(message.to_vec()));
        m.fragments.push(Fragment::Line(b")\r\n".to_vec()));
        Exchange {
            events: vec![
                Event::Client(WireMessage::line(format!(
                    "{tag} FETCH {seq} (RFC822.SIZE BODY.PEEK[])"
                ))),
                Event::Server(m),
                Event::Server(WireMessage::line(format!("{tag} OK done"))),
            ],
        }
    }

    /// SELECT INBOX, APPEND the 8-bit message (announced by EXISTS), its UID and flags,
    /// then its BODY[] as the server serves `message`.
    fn session_serving(message: &[u8]) -> Transcript {
        let raw = appended();
        let mut c = WireMessage::default();
        c.fragments.push(Fragment::Line(
            format!("a2 APPEND INBOX {{{}}}\r\n", raw.len()).into_bytes(),
        ));
        c.fragments.push(Fragment::Literal(raw));
        c.fragments.push(Fragment::Line(b"\r\n".to_vec()));
        let append = Exchange {
            events: vec![
                Event::Client(c),
                Event::Server(WireMessage::line("* 1 EXISTS")),
                Event::Server(WireMessage::line("* 1 RECENT")),
                Event::Server(WireMessage::line("a2 OK appended")),
            ],
        };
        Transcript {
            greeting: Some(WireMessage::line("* OK ready")),
            setup: vec![
                Exchange::from_lines("s1 LOGIN u1 pw", &["s1 OK logged in"]),
                Exchange::from_lines("s3 LIST \"\" *", &["* LIST () \".\" INBOX", "s3 OK listed"]),
            ],
            script: vec![
                Exchange::from_lines(
                    "a1 SELECT INBOX",
                    &[
                        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                        "* 0 EXISTS",
                        "* 0 RECENT",
                        "* OK [UIDVALIDITY 7] ok",
                        "a1 OK [READ-WRITE] done",
                    ],
                ),
                append,
                Exchange::from_lines(
                    "a3 FETCH 1 (UID FLAGS)",
                    &["* 1 FETCH (UID 1 FLAGS (\\Recent))", "a3 OK done"],
                ),
                fetch_body("a4", 1, message),
            ],
            end: End::Completed,
        }
    }

    /// RFC 2060 §6.3.11 on a session: the appended 8-bit message served as it was, or
    /// re-encoded reversibly, is no finding; re-encoded with octets lost is a violation.
    #[test]
    fn a_session_serving_an_irreversible_conversion_is_a_violation_rfc2060_6_3_11() {
        assert!(judge_eight_bit("srv", &session_serving(&appended())).is_empty());
        assert!(judge_eight_bit("srv", &session_serving(&served("base64", B64))).is_empty());
        assert!(
            judge_eight_bit("srv", &session_serving(&served("quoted-printable", QP))).is_empty()
        );
        let lossy = served("quoted-printable", "Caf? cr?me ? na?ve\r\n");
        let v = judge_eight_bit("srv", &session_serving(&lossy));
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some(EIGHT_BIT_REVERSIBLE));
        assert_eq!(v[0].step, Some(3));
        assert!(v[0].observed.contains("Caf? cr?me"), "{}", v[0].observed);
        // Served under another header: not known to be that message, not judged.
        let other = lossy
            .iter()
            .copied()
            .skip("From: a@example.org".len())
            .collect::<Vec<u8>>();
        let other = [b"From: b@example.org".to_vec(), other].concat();
        assert!(judge_eight_bit("srv", &session_serving(&other)).is_empty());
    }

    #[test]
    fn an_append_that_failed_is_not_a_stored_message() {
        let lossy = served("quoted-printable", "Caf? cr?me ? na?ve\r\n");
        let mut t = session_serving(&lossy);
        if let Some(Event::Server(m)) = t.script[1].events.last_mut() {
            *m = WireMessage::line("a2 NO refused");
        }
        assert!(judge_eight_bit("srv", &t).is_empty());
    }

    #[test]
    fn line_ends_and_trailing_line_ends_do_not_make_a_conversion_irreversible() {
        assert_eq!(canonical(b"a\nb\r\n\r\n"), b"a\r\nb");
        let no_final_crlf = format!("{HEAD}Content-Transfer-Encoding: 8bit\r\n\r\nCaf\u{e9}");
        let qp = served("quoted-printable", "Caf=C3=A9\r\n");
        assert_eq!(
            conversion(no_final_crlf.as_bytes(), &qp),
            Some(Conversion::Reversible)
        );
    }
}
