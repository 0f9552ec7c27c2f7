//! Untagged response types the active document does not define.
//!
//! RFC 2060 §7 (and RFC 3501 §7, with the same list) defines the untagged responses a
//! server sends: the status responses OK, NO, BAD, PREAUTH and BYE; CAPABILITY, LIST,
//! LSUB, STATUS, SEARCH and FLAGS; and after a number EXISTS, RECENT, EXPUNGE and FETCH
//! (§9 `response_data`). Response *codes* are open (§9 `resp_text_code` ends with
//! `atom [SPACE 1*<any TEXT_CHAR except "]">]`); response *types* are not. An extension
//! adds a type, and RFC 2060 §7.2.1 says when a server may use it: "Server responses MUST
//! conform to this document until the client issues a command that uses the associated
//! capability."
//!
//! This judge reads that sentence leniently, so that what it reports is certain: an
//! untagged response of a type outside the document is accepted where the server
//! advertised a capability that defines the type (in a CAPABILITY response or a
//! `[CAPABILITY ...]` code, anywhere in the session), where the client enabled one
//! (RFC 5161 ENABLE), or where the client sent a command of the type's own name. Anything
//! else is a [`Kind::Syntax`] finding of `2060-7.2.1-conform-until-used` naming the
//! response. When the server advertised a capability this judge does not know (which might
//! define the type) the finding is only a [`Kind::Warning`] that says so.
//!
//! Left to other judges: numbered responses (`* n WORD`, [`super::syntax`]: no extension
//! adds to `message_data`), and types beginning with X (RFC 2060 §6.5.1, the oracle).

use std::collections::HashSet;

use super::syntax::observed;
use super::Kind;
use super::Verdict;
use crate::model::Profile;
use crate::wire::{Event, Message, Transcript};

/// The requirement broken by a response type the document does not define.
pub const RULE: &str = "2060-7.2.1-conform-until-used";

/// RFC 2060 §7 / RFC 3501 §7: the untagged response types not preceded by a number.
const BASE: [&str; 11] = [
    "OK",
    "NO",
    "BAD",
    "PREAUTH",
    "BYE",
    "CAPABILITY",
    "LIST",
    "LSUB",
    "STATUS",
    "SEARCH",
    "FLAGS",
];

/// The untagged response types a capability adds (empty: none), or `None` for a
/// capability this judge does not know. Capability names are upper-case.
fn types_of(cap: &str) -> Option<&'static [&'static str]> {
    const NONE: &[&str] = &[];
    let prefixed = |p: &str| cap.starts_with(p);
    Some(match cap {
        // RFC 2342, RFC 2971, RFC 5161, RFC 4731 / RFC 5267 / RFC 9051, RFC 7162.
        "NAMESPACE" => &["NAMESPACE"],
        "ID" => &["ID"],
        "ENABLE" => &["ENABLED"],
        "ESEARCH" | "ESORT" | "MULTISEARCH" | "PARTIAL" | "IMAP4REV2" => &["ESEARCH"],
        "QRESYNC" => &["VANISHED"],
        // RFC 2087 / RFC 9208, RFC 2086 / RFC 4314, RFC 5256, RFC 5464.
        "QUOTA" | "QUOTASET" => &["QUOTA", "QUOTAROOT"],
        "ACL" => &["ACL", "LISTRIGHTS", "MYRIGHTS"],
        "SORT" => &["SORT"],
        "METADATA" | "METADATA-SERVER" => &["METADATA"],
        // RFC 5255, RFC 5259, RFC 5257 (and its draft ANNOTATEMORE), RFC 4467 / RFC 5524.
        "LANGUAGE" => &["LANGUAGE", "COMPARATOR"],
        "CONVERT" => &["CONVERTED"],
        "ANNOTATE-EXPERIMENT-1" | "ANNOTATEMORE" => &["ANNOTATION"],
        "URLAUTH" => &["GENURLAUTH", "URLFETCH", "URLMECH"],
        _ if prefixed("CONTEXT=") => &["ESEARCH"],
        _ if prefixed("SORT=") => &["SORT"],
        _ if prefixed("THREAD=") => &["THREAD"],
        _ if prefixed("QUOTA=") => &["QUOTA", "QUOTAROOT"],
        _ if prefixed("RIGHTS=") => &["ACL", "LISTRIGHTS", "MYRIGHTS"],
        _ if prefixed("I18NLEVEL=") => &["LANGUAGE", "COMPARATOR"],
        _ if prefixed("URLAUTH=") => &["GENURLAUTH", "URLFETCH", "URLMECH"],
        // RFC 2060 §6.5.1: an experimental capability adds only X responses.
        _ if prefixed("X") => NONE,
        // Capabilities known to add no untagged response type (new commands, response
        // codes, FETCH, STATUS or LIST items, or changes to the base responses).
        "IMAP4REV1" | "IMAP4" | "STARTTLS" | "LOGINDISABLED" | "SASL-IR" | "LITERAL+"
        | "LITERAL-" | "IDLE" | "UIDPLUS" | "CHILDREN" | "UNSELECT" | "BINARY" | "CATENATE"
        | "CONDSTORE" | "MOVE" | "MULTIAPPEND" | "LIST-EXTENDED" | "LIST-STATUS"
        | "LIST-MYRIGHTS" | "LIST-METADATA" | "SPECIAL-USE" | "CREATE-SPECIAL-USE" | "SAVEDATE"
        | "OBJECTID" | "PREVIEW" | "WITHIN" | "SEARCHRES" | "NOTIFY" | "LOGIN-REFERRALS"
        | "MAILBOX-REFERRALS" | "URL-PARTIAL" | "UNAUTHENTICATE" | "REPLACE" | "APPENDLIMIT"
        | "CHILDREN-EXTENDED" | "UIDONLY" | "INPROGRESS" => NONE,
        _ if [
            "AUTH=",
            "STATUS=",
            "SEARCH=",
            "UTF8=",
            "APPENDLIMIT=",
            "COMPRESS=",
            "DIGEST=",
            "PREVIEW=",
            "SNIPPET=",
        ]
        .iter()
        .any(|p| prefixed(p)) =>
        {
            NONE
        }
        _ => return None,
    })
}

/// What the session shows that lets a server use an extension's responses.
#[derive(Default)]
struct Allowed {
    /// Capabilities advertised anywhere in the session, or enabled by the client.
    caps: HashSet<String>,
    /// Verbs of the commands the client sent (upper-case).
    verbs: HashSet<String>,
}

impl Allowed {
    fn of(t: &Transcript) -> Allowed {
        let mut a = Allowed::default();
        let note = |m: &Message, a: &mut Allowed| {
            if let Some(caps) = crate::drive::capabilities_in(m.first_line()) {
                a.caps
                    .extend(caps.into_iter().map(|c| c.to_ascii_uppercase()));
            }
        };
        if let Some(g) = &t.greeting {
            note(g, &mut a);
        }
        for (_, e) in t.steps() {
            let cmd = e.command();
            let line = String::from_utf8_lossy(cmd.first_line()).to_ascii_uppercase();
            let mut words = line.split(' ').skip(1);
            if let Some(verb) = words.next() {
                // A command named by a capability uses it (NAMESPACE, ID, ENABLE, SORT).
                if types_of(verb).is_some_and(|t| !t.is_empty()) {
                    a.caps.insert(verb.to_string());
                }
                if verb == "ENABLE" {
                    a.caps.extend(words.clone().map(str::to_string));
                }
                a.verbs.insert(verb.to_string());
            }
            for ev in &e.events {
                if let Event::Server(m) = ev {
                    note(m, &mut a);
                }
            }
        }
        a
    }

    /// Whether `ty` may be sent; `Err` with the unknown capabilities that might define it.
    fn permits(&self, ty: &str) -> Result<(), Vec<String>> {
        if self.verbs.contains(ty) || self.caps.contains(ty) {
            return Ok(());
        }
        let mut unknown = Vec::new();
        for cap in &self.caps {
            match types_of(cap) {
                Some(types) if types.contains(&ty) => return Ok(()),
                Some(_) => {}
                None => unknown.push(cap.clone()),
            }
        }
        unknown.sort();
        Err(unknown)
    }
}

/// The extension and capability that define `ty`, for the summary.
fn defined_by(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "NAMESPACE" => "RFC 2342 (NAMESPACE)",
        "ID" => "RFC 2971 (ID)",
        "ENABLED" => "RFC 5161 (ENABLE)",
        "ESEARCH" => "RFC 4731 (ESEARCH)",
        "VANISHED" => "RFC 7162 (QRESYNC)",
        "QUOTA" | "QUOTAROOT" => "RFC 9208 (QUOTA)",
        "ACL" | "LISTRIGHTS" | "MYRIGHTS" => "RFC 4314 (ACL)",
        "SORT" => "RFC 5256 (SORT)",
        "THREAD" => "RFC 5256 (THREAD=)",
        "METADATA" => "RFC 5464 (METADATA)",
        "LANGUAGE" | "COMPARATOR" => "RFC 5255 (LANGUAGE, I18NLEVEL=)",
        "CONVERTED" => "RFC 5259 (CONVERT)",
        "ANNOTATION" => "RFC 5257 (ANNOTATE-EXPERIMENT-1)",
        "GENURLAUTH" | "URLFETCH" | "URLMECH" => "RFC 4467 (URLAUTH)",
        _ => return None,
    })
}

/// The type word of an untagged response that is not numbered: `* WORD ...`.
fn type_word(m: &Message) -> Option<String> {
    let line = m.first_line().strip_prefix(b"* ")?;
    let word = line.split(|&b| b == b' ').next()?;
    let is_atom = !word.is_empty()
        && word
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-._=".contains(c))
        && word.first().is_some_and(u8::is_ascii_alphabetic);
    is_atom.then(|| String::from_utf8_lossy(word).to_ascii_uppercase())
}

/// Every untagged response whose type neither `profile`'s document nor an extension the
/// session made available defines.
pub fn judge_untagged_in(target: &str, t: &Transcript, profile: Profile) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
    let allowed = Allowed::of(t);
    let mut out = Vec::new();
    let mut check = |m: &Message, step: Option<usize>| {
        let Some(ty) = type_word(m) else {
            return;
        };
        if BASE.contains(&ty.as_str()) || ty.starts_with('X') {
            return;
        }
        let Err(unknown) = allowed.permits(&ty) else {
            return;
        };
        let what = match defined_by(&ty) {
            Some(ext) => format!("defined by {ext}, which the server did not advertise"),
            None => "a type no RFC in force and no advertised extension defines".to_string(),
        };
        let (kind, summary) = if unknown.is_empty() {
            (
                Kind::Syntax,
                format!(
                    "untagged {ty} response: {what} ({doc} §7.2.1: server responses MUST conform to this document until the client issues a command that uses the associated capability)"
                ),
            )
        } else {
            (
                Kind::Warning,
                format!(
                    "doubtful untagged {ty} response: {what}, unless the advertised capabilit{} {} define{} it ({doc} §7.2.1)",
                    if unknown.len() == 1 { "y" } else { "ies" },
                    unknown.join(", "),
                    if unknown.len() == 1 { "s" } else { "" },
                ),
            )
        };
        out.push(Verdict {
            kind,
            targets: vec![target.to_string()],
            step,
            rule: Some(RULE.to_string()),
            summary,
            expected: format!(
                "untagged responses of {doc} §7 (OK, NO, BAD, PREAUTH, BYE, CAPABILITY, LIST, LSUB, STATUS, SEARCH, FLAGS, EXISTS, RECENT, EXPUNGE, FETCH) or of an advertised extension"
            ),
            observed: observed(&m.to_bytes()),
            cause: None,
        });
    };
    if let Some(g) = &t.greeting {
        check(g, None);
    }
    for (step, e) in t.steps() {
        for m in e.responses() {
            check(m, step);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{End, Exchange};

    fn t(greeting: &str, script: Vec<Exchange>) -> Transcript {
        Transcript {
            greeting: Some(Message::line(greeting)),
            setup: vec![Exchange::from_lines("s1 LOGIN u p", &["s1 OK in"])],
            script,
            end: End::Completed,
        }
    }

    fn judge(greeting: &str, script: Vec<Exchange>) -> Vec<Verdict> {
        judge_untagged_in("h", &t(greeting, script), Profile::Rfc2060)
    }

    #[test]
    fn the_responses_of_rfc2060_7_need_no_capability() {
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1] hi",
            vec![
                Exchange::from_lines(
                    "a1 SELECT INBOX",
                    &[
                        "* FLAGS (\\Seen)",
                        "* 2 EXISTS",
                        "* 0 RECENT",
                        "* OK [UIDVALIDITY 1] x",
                        "* OK [XSOMETHING 12] an unknown code is fine",
                        "a1 OK [READ-WRITE] done",
                    ],
                ),
                Exchange::from_lines(
                    "a2 LIST \"\" *",
                    &["* LIST () \"/\" INBOX", "* LSUB () \"/\" INBOX", "a2 OK"],
                ),
                Exchange::from_lines(
                    "a3 STATUS INBOX (MESSAGES)",
                    &[
                        "* STATUS INBOX (MESSAGES 2)",
                        "* SEARCH 1",
                        "* NO hm",
                        "* BAD hm",
                        "a3 OK",
                    ],
                ),
                Exchange::from_lines("a4 CAPABILITY", &["* CAPABILITY IMAP4rev1", "a4 OK"]),
                Exchange::from_lines("a5 LOGOUT", &["* BYE", "a5 OK"]),
            ],
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn an_extension_response_without_its_capability_is_a_syntax_finding_rfc2060_7_2_1() {
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1 IDLE] hi",
            vec![Exchange::from_lines(
                "a1 NOOP",
                &["* NAMESPACE ((\"\" \"/\")) NIL NIL", "a1 OK"],
            )],
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Syntax);
        assert_eq!(v[0].rule.as_deref(), Some(RULE));
        assert_eq!(v[0].step, Some(0));
        assert!(
            v[0].summary.starts_with("untagged NAMESPACE response"),
            "{}",
            v[0].summary
        );
        assert!(v[0].summary.contains("RFC 2342"), "{}", v[0].summary);
        assert!(v[0].summary.contains("RFC 2060 §7.2.1"), "{}", v[0].summary);
    }

    #[test]
    fn an_advertised_capability_permits_its_responses_rfc2060_7_2_1() {
        for (caps, line) in [
            ("NAMESPACE", "* NAMESPACE ((\"\" \"/\")) NIL NIL"),
            ("ID", "* ID NIL"),
            ("ESEARCH", "* ESEARCH (TAG \"a1\") ALL 1"),
            ("CONTEXT=SEARCH", "* ESEARCH (TAG \"a1\") ALL 1"),
            ("QUOTA", "* QUOTAROOT INBOX \"\""),
            ("RIGHTS=kxten", "* MYRIGHTS INBOX lrs"),
            ("THREAD=REFERENCES", "* THREAD (1)"),
            ("SORT=DISPLAY", "* SORT 1"),
        ] {
            let v = judge(
                &format!("* OK [CAPABILITY IMAP4rev1 {caps}] hi"),
                vec![Exchange::from_lines("a1 NOOP", &[line, "a1 OK"])],
            );
            assert!(v.is_empty(), "{caps}: {v:?}");
        }
    }

    #[test]
    fn a_capability_advertised_later_in_the_session_counts() {
        let v = judge(
            "* OK hi",
            vec![
                Exchange::from_lines("a1 NOOP", &["* ID NIL", "a1 OK"]),
                Exchange::from_lines("a2 CAPABILITY", &["* CAPABILITY IMAP4rev1 ID", "a2 OK"]),
            ],
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn enabled_needs_enable_and_vanished_needs_qresync_rfc2060_7_2_1() {
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1 ENABLE] hi",
            vec![Exchange::from_lines(
                "a1 NOOP",
                &["* ENABLED", "* VANISHED 1:2", "a1 OK"],
            )],
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].summary.contains("VANISHED"), "{}", v[0].summary);
        assert!(v[0].summary.contains("RFC 7162"), "{}", v[0].summary);
    }

    #[test]
    fn a_command_of_the_types_own_name_or_an_enabled_capability_permits_it() {
        let v = judge(
            "* OK hi",
            vec![
                Exchange::from_lines("a1 ID NIL", &["* ID NIL", "a1 OK"]),
                Exchange::from_lines("a2 ENABLE QRESYNC", &["* ENABLED QRESYNC", "a2 OK"]),
                Exchange::from_lines("a3 NOOP", &["* VANISHED 1", "a3 OK"]),
            ],
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn an_unknown_type_is_named_and_only_doubtful_beside_an_unknown_capability() {
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1 IDLE] hi",
            vec![Exchange::from_lines("a1 NOOP", &["* FROB 1 2", "a1 OK"])],
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Syntax);
        assert!(
            v[0].summary.starts_with("untagged FROB response"),
            "{}",
            v[0].summary
        );
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1 FROBNICATE] hi",
            vec![Exchange::from_lines("a1 NOOP", &["* FROB 1 2", "a1 OK"])],
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Warning);
        assert!(v[0].summary.contains("FROBNICATE"), "{}", v[0].summary);
    }

    #[test]
    fn experimental_capabilities_define_only_x_responses_rfc2060_6_5_1() {
        let v = judge(
            "* OK [CAPABILITY IMAP4rev1 X-FROB XLIST] hi",
            vec![Exchange::from_lines(
                "a1 NOOP",
                &["* FROB 1", "* XLIST () \"/\" INBOX", "a1 OK"],
            )],
        );
        // FROB is certain (X capabilities add only X responses); XLIST is the oracle's.
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Syntax);
    }

    #[test]
    fn numbered_and_malformed_responses_are_left_to_the_syntax_judge() {
        let v = judge(
            "* OK hi",
            vec![Exchange::from_lines(
                "a1 NOOP",
                &["* 1 EXPUNGED", "* (odd)", "*", "+ go", "a1 OK"],
            )],
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn the_summary_cites_rfc3501_under_its_profile() {
        let v = judge_untagged_in(
            "h",
            &t(
                "* OK hi",
                vec![Exchange::from_lines("a1 NOOP", &["* ID NIL", "a1 OK"])],
            ),
            Profile::Rfc3501,
        );
        assert!(v[0].summary.contains("RFC 3501 §7.2.1"), "{}", v[0].summary);
        assert!(!v[0].summary.contains("RFC 2060"), "{}", v[0].summary);
    }
}
