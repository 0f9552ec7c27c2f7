use super::encode::{base64, q_encode};
use super::mime::child;
use super::*;
use crate::gen::entropy::SplitMix64;
use crate::model::message::{Message, SectionText};
use crate::model::search::{evaluate, SearchScope, SearchSubject, Truth};
use crate::model::value::{BodyStructure, SingleKind};
use chrono::{DateTime, FixedOffset};
use imap_types::core::AString;
use imap_types::search::SearchKey;

/// Message `i` of a batch drawn from fresh bytes (as a session's APPEND would).
pub(crate) fn drawn(seed: u64, i: u64) -> MailMessage {
    let mut bytes = vec![0u8; 4096];
    SplitMix64::for_session(seed, i).fill(&mut bytes);
    draw_message(&mut Unstructured::new(&bytes), (seed, i), 1)
}

/// A parsed message as RFC 2060 §6.4.4 SEARCH sees it, for the model's evaluator.
struct Searched(Message);

impl SearchSubject for Searched {
    fn seq(&self) -> u32 {
        1
    }
    fn uid(&self) -> u32 {
        1
    }
    fn has_flag(&self, _: &str) -> bool {
        false
    }
    fn internal_date(&self) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc2822("Tue, 15 Feb 1994 12:00:00 +0000").unwrap()
    }
    fn size(&self) -> u32 {
        self.0.size()
    }
    fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>> {
        self.0.header_values(name)
    }
    fn header_bytes(&self) -> &[u8] {
        self.0.header_bytes()
    }
    fn body_bytes(&self) -> &[u8] {
        self.0.body_bytes()
    }
    fn sent_date(&self) -> Option<DateTime<FixedOffset>> {
        self.0.sent_date()
    }
    fn encoded(&self) -> bool {
        self.0.has_transfer_encoding()
    }
    fn plain_text_ranges(&self) -> Vec<std::ops::Range<usize>> {
        self.0.plain_text_ranges()
    }
    fn decoded_text_parts(&self) -> Vec<Vec<u8>> {
        self.0.decoded_text_parts()
    }
}

fn astring(s: &str) -> AString<'static> {
    AString::try_from(s.to_string()).unwrap()
}

/// The part numbers the model's BODYSTRUCTURE implies, by the rule [`PartFact`]
/// states (RFC 2060 §6.4.5).
fn model_parts(b: &BodyStructure) -> Vec<PartFact> {
    fn message_parts(b: &BodyStructure, path: &[u32], out: &mut Vec<PartFact>) {
        match b {
            BodyStructure::Multipart { parts, .. } => {
                for (i, p) in parts.iter().enumerate() {
                    body_part(p, &child(path, i), out);
                }
            }
            BodyStructure::Single {
                kind: SingleKind::Message { .. },
                ..
            } => body_part(b, &child(path, 0), out),
            BodyStructure::Single { kind, .. } => out.push(PartFact {
                path: child(path, 0),
                kind: leaf_kind(kind),
                has_mime_header: false,
            }),
        }
    }
    fn leaf_kind(k: &SingleKind) -> PartKind {
        match k {
            SingleKind::Text { .. } => PartKind::Text,
            SingleKind::Basic => PartKind::Other,
            SingleKind::Message { .. } => PartKind::Message,
        }
    }
    fn body_part(b: &BodyStructure, path: &[u32], out: &mut Vec<PartFact>) {
        let kind = match b {
            BodyStructure::Multipart { .. } => PartKind::Multipart,
            BodyStructure::Single { kind, .. } => leaf_kind(kind),
        };
        out.push(PartFact {
            path: path.to_vec(),
            kind,
            has_mime_header: true,
        });
        match b {
            BodyStructure::Multipart { parts, .. } => {
                for (i, p) in parts.iter().enumerate() {
                    body_part(p, &child(path, i), out);
                }
            }
            BodyStructure::Single {
                kind: SingleKind::Message { body, .. },
                ..
            } => message_parts(body, path, out),
            BodyStructure::Single { .. } => {}
        }
    }
    let mut out = Vec::new();
    message_parts(b, &[], &mut out);
    out
}

/// Checks a message's facts against the executable model (`crate::model::message`
/// and `crate::model::search`): the same part numbers, each resolving as a section
/// with the specifiers its kind allows; nothing beyond them; the search words found;
/// the Date and From as recorded.
pub(crate) fn check_against_model(m: &MailMessage) {
    let f = &m.facts;
    let what = String::from_utf8_lossy(&m.bytes).into_owned();
    let parsed = Message::parse(m.bytes.clone());
    assert_eq!(f.size, m.bytes.len());
    assert_eq!(f.parts, model_parts(&parsed.body_structure()), "{what}");
    for p in &f.parts {
        assert!(parsed.section(&p.path, None).is_some(), "{p:?} in {what}");
        let mime = parsed.section(&p.path, Some(&SectionText::Mime));
        assert!(!p.has_mime_header || mime.is_some(), "{p:?} in {what}");
        let header = parsed.section(&p.path, Some(&SectionText::Header));
        assert_eq!(
            header.is_some(),
            p.kind == PartKind::Message,
            "{p:?} {what}"
        );
    }
    let top = f.parts.iter().filter(|p| p.path.len() == 1).count() as u32;
    assert!(parsed.section(&[top + 1], None).is_none(), "{what}");

    let searched = Searched(parsed.clone());
    let plain = SearchScope::default();
    for w in &f.body_words {
        for key in [SearchKey::Body(astring(w)), SearchKey::Text(astring(w))] {
            assert_eq!(evaluate(&key, &searched, &plain), Truth::Yes, "{w}: {what}");
        }
    }
    let decoding = SearchScope {
        decode_mime: true,
        ..SearchScope::default()
    };
    for w in &f.encoded_words {
        let key = SearchKey::Body(astring(w));
        assert_eq!(
            evaluate(&key, &searched, &decoding),
            Truth::Yes,
            "{w}: {what}"
        );
    }
    if !f.subject.is_empty() {
        let key = SearchKey::Subject(astring(&f.subject));
        assert_ne!(evaluate(&key, &searched, &plain), Truth::No, "{what}");
        if !what.contains("Subject: =?") {
            assert_eq!(evaluate(&key, &searched, &plain), Truth::Yes, "{what}");
        }
    }
    let sent = parsed.sent_date();
    assert_eq!(sent.is_some(), f.sent.is_some(), "{what}");
    if let (Some(s), Some(m)) = (sent, f.sent) {
        let written = s.format("%a, %-d %b %Y %H:%M:%S %z").to_string();
        assert_eq!(written, m.rfc822(), "{what}");
    }
    let envelope = parsed.envelope();
    let address = |a: &crate::model::value::Address| {
        format!(
            "{}@{}",
            String::from_utf8_lossy(a.mailbox.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(a.host.as_deref().unwrap_or_default())
        )
    };
    assert_eq!(
        envelope.from.first().map(address).as_deref(),
        f.from,
        "{what}"
    );
    assert_eq!(
        envelope.to.first().map(address).as_deref(),
        Some(f.to),
        "{what}"
    );
    assert_eq!(envelope.cc.first().map(address).as_deref(), f.cc, "{what}");
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn quoted_printable_escapes_and_soft_breaks_rfc2045_6_7() {
    assert_eq!(
        quoted_printable("a=b café \r\nx"),
        "a=3Db caf=C3=A9=20\r\nx"
    );
    let long = "word ".repeat(40);
    let qp = quoted_printable(long.trim_end());
    assert!(qp.contains("=\r\n"));
    assert!(qp.split("\r\n").all(|l| l.len() <= 76), "{qp}");
    assert_eq!(
        crate::model::message::decode_quoted_printable(qp.as_bytes()),
        long.trim_end().as_bytes()
    );
}

#[test]
fn encoded_words_follow_rfc2047_4() {
    assert_eq!(q_encode("Grüße aus".as_bytes()), "Gr=C3=BC=C3=9Fe_aus");
    let mut bytes = vec![0u8; 256];
    SplitMix64::for_session(1, 1).fill(&mut bytes);
    let u = &mut Unstructured::new(&bytes);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let w = encoded_word(u, "café crème");
        assert!(
            w.starts_with("=?") && w.ends_with("?=") && w.len() <= 75,
            "{w}"
        );
        assert!(w.is_ascii() && !w.contains(' '));
        seen.insert(w[..6].to_string());
    }
    assert!(seen.len() >= 3, "{seen:?}");
}

#[test]
fn folding_unfolds_to_the_original_rfc822_3_1_1() {
    let text = "one two three four five six seven eight nine ten eleven twelve";
    let folded = fold(text, 20);
    assert!(folded.contains("\r\n "));
    assert_eq!(folded.replace("\r\n", ""), text);
}

#[test]
fn weekdays_and_dates_are_right() {
    let m = Moment {
        year: 1994,
        month: 2,
        day: 7,
        hour: 21,
        minute: 52,
        second: 25,
        zone_minutes: -480,
    };
    assert_eq!(m.rfc822(), "Mon, 7 Feb 1994 21:52:25 -0800");
    assert_eq!(m.search_date(), "7-Feb-1994");
    assert_eq!(m.internal_date(true), " 7-Feb-1994 21:52:25 -0800");
    assert_eq!(m.internal_date(false), "07-Feb-1994 21:52:25 -0800");
}

#[test]
fn messages_are_deterministic() {
    for i in 0..100 {
        let (a, b) = (drawn(5, i), drawn(5, i));
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(format!("{:?}", a.facts), format!("{:?}", b.facts));
    }
}

/// Headers are always 7-bit and no message holds a NUL; the messages that are not
/// 7-bit CRLF say so in their facts, and most messages are plain.
#[test]
fn messages_are_crlf_7bit_and_have_the_required_headers_unless_labelled() {
    let mut plain = 0;
    for i in 0..400 {
        let m = drawn(3, i);
        let f = &m.facts;
        assert!(!m.bytes.contains(&0));
        let text = std::str::from_utf8(&m.bytes).unwrap();
        let (header, _) = text.split_once("\r\n\r\n").expect("a blank line");
        assert!(header.is_ascii(), "{header}");
        assert!(
            !header.replace("\r\n", "").contains(['\r', '\n']),
            "{header}"
        );
        assert_eq!(f.eight_bit, !text.is_ascii(), "{text}");
        let bare = text.replace("\r\n", "").contains(['\r', '\n']);
        assert_eq!(f.bare_lf, bare, "{text}");
        let has_from = header.starts_with("From: ") || header.contains("\r\nFrom: ");
        assert_eq!(f.from.is_some(), has_from, "{text}");
        assert_eq!(f.sent.is_some(), header.contains("\r\nDate: "), "{text}");
        for h in ["To: ", "Subject: ", "Message-ID: "] {
            assert!(header.contains(h), "{h} missing in {text}");
        }
        for w in &f.body_words {
            assert!(text.contains(w));
        }
        assert_eq!(f.size, m.bytes.len());
        let ordinary = !header.contains("MIME-Version") && !f.bare_lf;
        if ordinary && f.from.is_some() && f.sent.is_some() {
            plain += 1;
        }
    }
    assert!((120..300).contains(&plain), "{plain} of 400 plain");
}

#[test]
fn recorded_facts_agree_with_the_model() {
    for i in 0..400 {
        check_against_model(&drawn(4, i));
    }
}

/// Each feature of issue 4 §2 appears over a few hundred messages, and they stay
/// small.
#[test]
fn every_feature_appears_and_messages_stay_small() {
    let messages: Vec<MailMessage> = (0..400).map(|i| drawn(6, i)).collect();
    let texts: Vec<String> = messages
        .iter()
        .map(|m| String::from_utf8(m.bytes.clone()).unwrap())
        .collect();
    let count = |p: &dyn Fn(&MailMessage, &str) -> bool| {
        messages.iter().zip(&texts).filter(|(m, t)| p(m, t)).count()
    };
    let has_message = |m: &MailMessage| m.facts.parts.iter().any(|p| p.kind == PartKind::Message);
    let features: Vec<(&str, usize)> = vec![
        (
            "multipart/mixed",
            count(&|_, t| t.contains("multipart/mixed")),
        ),
        (
            "alternative",
            count(&|_, t| t.contains("multipart/alternative")),
        ),
        ("related", count(&|_, t| t.contains("multipart/related"))),
        (
            "image with Content-ID",
            count(&|_, t| t.contains("Content-ID: <")),
        ),
        ("message/rfc822", count(&|m, _| has_message(m))),
        (
            "multipart inside message/rfc822",
            count(&|m, _| {
                let parts = &m.facts.parts;
                parts
                    .iter()
                    .filter(|p| p.kind == PartKind::Message)
                    .any(|p| {
                        let second = child(&p.path, 1);
                        parts.iter().any(|q| q.path == second)
                    })
            }),
        ),
        ("base64", count(&|_, t| t.contains("base64"))),
        (
            "quoted-printable",
            count(&|_, t| {
                t.contains("quoted-printable") && t.contains("=\r\n") && t.contains("=C3")
            }),
        ),
        (
            "8bit",
            count(&|m, t| m.facts.eight_bit && t.contains("8bit")),
        ),
        ("B encoded word", count(&|_, t| t.contains("=?UTF-8?B?"))),
        (
            "Q encoded word",
            count(&|_, t| t.contains("=?ISO-8859-1?Q?")),
        ),
        ("encoded From", count(&|_, t| t.contains("From: =?"))),
        (
            "folded Subject",
            count(&|_, t| {
                t.split_once("Subject: ").is_some_and(|(_, r)| {
                    r.split_once("\r\n")
                        .is_some_and(|(_, n)| n.starts_with(' '))
                })
            }),
        ),
        ("folded References", count(&|_, t| t.contains(">\r\n\t<"))),
        ("no Date", count(&|m, _| m.facts.sent.is_none())),
        ("no From", count(&|m, _| m.facts.from.is_none())),
        (
            "odd parameters",
            count(&|_, t| t.contains("CHARSET=US-ASCII") || t.contains("x-imapconform-note")),
        ),
        ("RFC 2231", count(&|_, t| t.contains("*=UTF-8''"))),
        (
            "empty body",
            count(&|_, t| t.ends_with("\r\n\r\n") && !t.contains("MIME-Version")),
        ),
        ("bare LF", count(&|m, _| m.facts.bare_lf)),
    ];
    eprintln!("{features:#?}");
    let missing: Vec<&str> = features.iter().filter(|f| f.1 == 0).map(|f| f.0).collect();
    assert!(missing.is_empty(), "never drawn: {missing:?}");
    let large = messages.iter().filter(|m| m.bytes.len() > 4096).count();
    let largest = messages.iter().map(|m| m.bytes.len()).max().unwrap();
    assert!(
        large * 20 < messages.len() && largest < 8192,
        "{large} large, {largest}"
    );
}

/// RFC 2046 §5.1.1: a delimiter must not occur inside the parts it encloses, so no
/// boundary of a message begins with another.
#[test]
fn no_boundary_is_a_prefix_of_another() {
    for i in 0..400 {
        let m = drawn(7, i);
        let text = String::from_utf8_lossy(&m.bytes);
        let boundaries: Vec<&str> = text
            .split("boundary=\"")
            .skip(1)
            .filter_map(|r| r.split('"').next())
            .collect();
        for (j, a) in boundaries.iter().enumerate() {
            for (k, b) in boundaries.iter().enumerate() {
                assert!(j == k || !b.starts_with(a), "{a} {b}");
            }
        }
    }
}

#[test]
fn exhausted_bytes_give_a_plain_message() {
    let m = draw_message(&mut Unstructured::new(&[]), (0, 0), 1);
    let text = String::from_utf8(m.bytes.clone()).unwrap();
    assert!(
        !text.contains("MIME-Version") && text.contains("Date: "),
        "{text}"
    );
    check_against_model(&m);
}
