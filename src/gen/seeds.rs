//! The hand-written messages of `corpus/messages/`, built into the binary, with their
//! facts written down by hand (a unit test checks them against the executable model's
//! parser, `crate::model::message`).
//!
//! [`draw_seed`] is what APPEND sends in about one case in ten instead of a generated
//! message (RFC 2060 §6.3.11).

use arbitrary::Unstructured;

use super::entropy::index;
use super::message::{MailMessage, MessageFacts, Moment, PartFact, PartKind};

/// One seed message and what a session may rely on in it.
pub struct Seed {
    /// The file name in `corpus/messages/`.
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub cc: Option<&'static str>,
    /// The Subject text outside encoded words (see [`MessageFacts::subject`]).
    pub subject: &'static str,
    /// Words written unencoded in text/plain parts outside nested messages.
    pub body_words: &'static [&'static str],
    pub sent: Option<Moment>,
    /// Part number, kind, and whether `.MIME` applies (see [`PartFact`]).
    pub parts: &'static [(&'static str, PartKind, bool)],
    pub eight_bit: bool,
    pub bare_lf: bool,
}

const fn at(year: u32, month: u32, day: u32, hms: (u32, u32, u32), zone: i32) -> Option<Moment> {
    Some(Moment {
        year,
        month,
        day,
        hour: hms.0,
        minute: hms.1,
        second: hms.2,
        zone_minutes: zone,
    })
}

use PartKind::{Message as M, Multipart as Mp, Other as O, Text as T};

/// The seed set. The bytes are the files themselves (CRLF line ends except where a
/// file says otherwise).
pub const SEEDS: &[Seed] = &[
    Seed {
        name: "newsletter.eml",
        bytes: include_bytes!("../../corpus/messages/newsletter.eml"),
        from: Some("newsletter@lists.example.org"),
        to: "alice@example.org",
        cc: None,
        subject: "Example Weekly: the quarterly roadmap issue",
        body_words: &["quarterly", "roadmap", "pumpkin", "conformance", "sprint"],
        sent: at(2024, 3, 5, (9, 30, 0), 60),
        parts: &[("1", T, true), ("2", T, true)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "reply-references.eml",
        bytes: include_bytes!("../../corpus/messages/reply-references.eml"),
        from: Some("bob@example.net"),
        to: "alice@example.org",
        cc: Some("carol@example.com"),
        subject: "Re: Re: budget meeting agenda",
        body_words: &["Thursday", "travel", "agenda", "budget"],
        sent: at(2023, 11, 17, (16, 5, 12), -300),
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "calendar-invite.eml",
        bytes: include_bytes!("../../corpus/messages/calendar-invite.eml"),
        from: Some("carol@example.com"),
        to: "dave@lists.example.org",
        cc: None,
        subject: "Invitation: release review",
        body_words: &["invited", "release", "review", "Lovelace"],
        sent: at(2025, 1, 9, (14, 0, 0), 0),
        parts: &[("1", T, true), ("2", T, true)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "forwarded-multipart.eml",
        bytes: include_bytes!("../../corpus/messages/forwarded-multipart.eml"),
        from: Some("erin@example.org"),
        to: "frank@sub.example.net",
        cc: None,
        subject: "Fwd: invoice for October",
        body_words: &["forwarded", "invoice", "zebra"],
        sent: at(2022, 7, 21, (11, 45, 30), 120),
        parts: &[
            ("1", T, true),
            ("2", M, true),
            ("2.1", T, true),
            ("2.2", O, true),
        ],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "inline-image.eml",
        bytes: include_bytes!("../../corpus/messages/inline-image.eml"),
        from: Some("frank@sub.example.net"),
        to: "alice@example.org",
        cc: None,
        subject: "holiday photo",
        body_words: &["Greetings", "holiday", "logo"],
        sent: at(2024, 12, 2, (19, 20, 0), 540),
        parts: &[
            ("1", Mp, true),
            ("1.1", T, true),
            ("1.2", T, true),
            ("2", O, true),
        ],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "encoded-words.eml",
        bytes: include_bytes!("../../corpus/messages/encoded-words.eml"),
        from: Some("rene@example.org"),
        to: "juergen@example.net",
        cc: None,
        subject: "minutes attached",
        body_words: &["minutes", "meeting", "plain"],
        sent: at(2021, 6, 14, (7, 0, 0), 120),
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "utf8-8bit.eml",
        bytes: include_bytes!("../../corpus/messages/utf8-8bit.eml"),
        from: Some("carol@example.com"),
        to: "bob@example.net",
        cc: None,
        subject: "travel notes",
        body_words: &["travel", "report", "octet", "appendix"],
        sent: at(2024, 8, 30, (22, 10, 5), 0),
        parts: &[("1", T, false)],
        eight_bit: true,
        bare_lf: false,
    },
    Seed {
        name: "no-date.eml",
        bytes: include_bytes!("../../corpus/messages/no-date.eml"),
        from: Some("dave@lists.example.org"),
        to: "erin@example.org",
        cc: None,
        subject: "draft without a date",
        body_words: &["draft", "scripts"],
        sent: None,
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "no-from.eml",
        bytes: include_bytes!("../../corpus/messages/no-from.eml"),
        from: None,
        to: "alice@example.org",
        cc: None,
        subject: "automated report",
        body_words: &["nightly", "mailbox", "report"],
        sent: at(2023, 2, 28, (3, 0, 0), 0),
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "empty-body.eml",
        bytes: include_bytes!("../../corpus/messages/empty-body.eml"),
        from: Some("alice@example.org"),
        to: "bob@example.net",
        cc: None,
        subject: "lunch?",
        body_words: &[],
        sent: at(2020, 10, 1, (12, 0, 0), -420),
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "bare-lf.eml",
        bytes: include_bytes!("../../corpus/messages/bare-lf.eml"),
        from: Some("bob@example.net"),
        to: "carol@example.com",
        cc: None,
        subject: "pasted from a unix tool",
        body_words: &["protocol", "first", "again"],
        sent: at(2024, 5, 15, (10, 0, 0), 0),
        parts: &[("1", T, false)],
        eight_bit: false,
        bare_lf: true,
    },
    Seed {
        name: "digest.eml",
        bytes: include_bytes!("../../corpus/messages/digest.eml"),
        from: Some("dave@lists.example.org"),
        to: "alice@example.org",
        cc: None,
        subject: "lists digest, volume 4",
        body_words: &[],
        sent: at(2025, 6, 3, (6, 0, 0), 0),
        // RFC 2046 §5.1.5: digest parts without Content-Type are message/rfc822.
        parts: &[
            ("1", M, true),
            ("1.1", T, false),
            ("2", M, true),
            ("2.1", T, false),
        ],
        eight_bit: false,
        bare_lf: false,
    },
    Seed {
        name: "rfc2231-params.eml",
        bytes: include_bytes!("../../corpus/messages/rfc2231-params.eml"),
        from: Some("erin@example.org"),
        to: "frank@sub.example.net",
        cc: None,
        subject: "the conformance report, with a long file name",
        body_words: &["conformance", "report", "attached"],
        sent: at(2019, 9, 9, (17, 45, 0), 60),
        parts: &[("1", T, true), ("2", O, true)],
        eight_bit: false,
        bare_lf: false,
    },
];

impl Seed {
    /// The seed as an APPEND message with its facts.
    pub fn message(&self) -> MailMessage {
        let parts = self
            .parts
            .iter()
            .map(|&(path, kind, has_mime_header)| PartFact {
                path: path
                    .split('.')
                    .map(|n| n.parse().expect("a part number"))
                    .collect(),
                kind,
                has_mime_header,
            })
            .collect();
        MailMessage {
            bytes: self.bytes.to_vec(),
            facts: MessageFacts {
                from: self.from,
                to: self.to,
                cc: self.cc,
                subject: self.subject.to_string(),
                body_words: self.body_words.to_vec(),
                encoded_words: Vec::new(),
                sent: self.sent,
                internal: None,
                size: self.bytes.len(),
                parts,
                eight_bit: self.eight_bit,
                bare_lf: self.bare_lf,
                seed: Some(self.name),
            },
        }
    }
}

/// One of the seed messages.
pub fn draw_seed(u: &mut Unstructured) -> MailMessage {
    SEEDS[index(u, SEEDS.len())].message()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::message::tests::check_against_model;

    #[test]
    fn the_seed_set_is_a_dozen_distinct_files_listed_in_the_readme() {
        assert!((10..=15).contains(&SEEDS.len()));
        let readme = include_str!("../../corpus/messages/README.md");
        for (i, s) in SEEDS.iter().enumerate() {
            assert!(SEEDS[..i].iter().all(|t| t.name != s.name), "{}", s.name);
            assert!(readme.contains(s.name), "{} not in the README", s.name);
        }
    }

    /// The hand-written facts agree with the executable model's parser and SEARCH
    /// evaluation, and the files are what their facts say (RFC 822 CRLF line ends,
    /// 7-bit headers, no NUL).
    #[test]
    fn seed_facts_match_the_model() {
        for s in SEEDS {
            let m = s.message();
            check_against_model(&m);
            assert!(!s.bytes.contains(&0), "{}", s.name);
            let text = std::str::from_utf8(s.bytes).expect("UTF-8");
            let header = text.split("\r\n\r\n").next().unwrap_or_default();
            assert!(header.is_ascii(), "{}", s.name);
            assert_eq!(!text.is_ascii(), s.eight_bit, "{}", s.name);
            let bare = text.replace("\r\n", "").contains(['\r', '\n']);
            assert_eq!(bare, s.bare_lf, "{}", s.name);
            for w in s.body_words {
                assert!(text.contains(w), "{w} in {}", s.name);
            }
        }
    }

    #[test]
    fn the_seed_set_covers_the_issue_4_cases() {
        let all = |needle: &str| {
            SEEDS
                .iter()
                .any(|s| String::from_utf8_lossy(s.bytes).contains(needle))
        };
        for needle in [
            "multipart/alternative",
            "multipart/related",
            "multipart/digest",
            "message/rfc822",
            "text/calendar",
            "quoted-printable",
            "8bit",
            "=?UTF-8?B?",
            "=?ISO-8859-1?Q?",
            "References:",
            "name*=UTF-8''",
        ] {
            assert!(all(needle), "no seed has {needle}");
        }
        assert!(SEEDS.iter().any(|s| s.sent.is_none()));
        assert!(SEEDS.iter().any(|s| s.from.is_none()));
        assert!(SEEDS.iter().any(|s| s.bare_lf));
        assert!(SEEDS.iter().any(|s| s.bytes.ends_with(b"\r\n\r\n")));
    }
}
