//! The names a server may put in its capability list (RFC 2060 §7.2.1): "Capability
//! names MUST either begin with "X" or be standard or standards-track IMAP4rev1
//! extensions, revisions, or amendments registered with IANA. A server MUST NOT offer
//! unregistered or non-standard capability names, unless such names are prefixed with an
//! "X"." (§9: ";; New capabilities MUST begin with "X" or be registered with IANA as
//! standard or standards-track".)
//!
//! Every capability list a server sends (`* CAPABILITY ...` and the `[CAPABILITY ...]`
//! response code) is read, and each name that neither begins with "X" nor is in the IANA
//! registry, `rfc/iana-imap-capabilities.txt`, is reported once per session, all such
//! names in one finding. The registry may grow after the copy was made, so the check is
//! lenient: `NAME=VALUE` counts as registered when `NAME` or `NAME=` is (`THREAD=REFS`,
//! `SORT=UID` pass because THREAD and SORT are registered), and `IMAP4` is the RFC 1730
//! name RFC 2060 §9 itself names ("IMAP4rev1 servers which offer RFC 1730 compatibility
//! MUST list "IMAP4" as the first capability"). It runs with the syntax judge
//! ([`super::syntax::judge_syntax_in`]).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::{requirement_kind, Kind, Verdict};
use crate::wire::{escape, Message, Transcript};

/// RFC 2060 §7.2.1: "A server MUST NOT offer unregistered or non-standard capability
/// names, unless such names are prefixed with an "X"." The sentence a finding cites.
pub const NO_UNREGISTERED: &str = "2060-7.2.1-no-unregistered";

/// The other sentences this check tests: RFC 2060 §7.2.1 "Capability names MUST either
/// begin with "X" or be standard or standards-track IMAP4rev1 extensions ... registered
/// with IANA" and its §9 comment on `capability`.
pub const ALSO_COVERED: [&str; 2] = [
    "2060-7.2.1-names-registered",
    "2060-9-capability-x-or-registered",
];

/// The registry's copy, `rfc/iana-imap-capabilities.txt`.
const REGISTRY: &str = include_str!("../../rfc/iana-imap-capabilities.txt");

/// When the copy of the registry was last updated, as findings quote it.
const REGISTRY_DATE: &str = "2025-03-18";

/// The registered names and prefixes, upper case.
fn registry() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        REGISTRY
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_ascii_uppercase)
            .collect()
    })
}

/// Whether a server may offer capability `name`: it begins with "X", or it (or, for
/// `NAME=VALUE`, `NAME` or the prefix `NAME=`) is registered, or it is RFC 1730's `IMAP4`.
pub fn may_offer(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    if up.starts_with('X') || up == "IMAP4" {
        return true;
    }
    let reg = registry();
    if reg.contains(&up) {
        return true;
    }
    match up.find('=') {
        Some(i) => reg.contains(&up[..i]) || reg.contains(&up[..=i]),
        None => false,
    }
}

/// The capability names of a `* CAPABILITY ...` response or of a status response with a
/// `[CAPABILITY ...]` code; empty for any other message.
pub fn advertised(m: &Message) -> Vec<String> {
    let line = crate::wire::strip_eol(m.first_line());
    let words: Vec<&[u8]> = line
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let names: &[&[u8]] = match words.as_slice() {
        [star, cap, rest @ ..] if *star == b"*" && cap.eq_ignore_ascii_case(b"CAPABILITY") => rest,
        [_, status, code, rest @ ..]
            if [&b"OK"[..], b"NO", b"BAD", b"PREAUTH", b"BYE"]
                .iter()
                .any(|s| status.eq_ignore_ascii_case(s))
                && code.eq_ignore_ascii_case(b"[CAPABILITY") =>
        {
            let end = rest
                .iter()
                .position(|w| w.ends_with(b"]"))
                .map_or(rest.len(), |i| i + 1);
            &rest[..end]
        }
        _ => return Vec::new(),
    };
    names
        .iter()
        .map(|w| w.strip_suffix(b"]").unwrap_or(w))
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// One finding for the session if any capability list named a capability a server may
/// not offer: every such name, at the step where the first appeared.
pub fn judge_capability_names(target: &str, t: &Transcript) -> Vec<Verdict> {
    let mut bad: Vec<String> = Vec::new();
    let mut first: Option<(Option<usize>, Vec<u8>)> = None;
    let greeting = t.greeting.iter().map(|m| (None, m));
    let responses = t
        .steps()
        .flat_map(|(step, e)| e.responses().map(move |m| (step, m)));
    for (step, m) in greeting.chain(responses) {
        for name in advertised(m) {
            if may_offer(&name) || bad.iter().any(|b| b.eq_ignore_ascii_case(&name)) {
                continue;
            }
            if first.is_none() {
                first = Some((step, m.first_line().to_vec()));
            }
            bad.push(name);
        }
    }
    let Some((step, line)) = first else {
        return Vec::new();
    };
    vec![Verdict {
        kind: requirement_kind(NO_UNREGISTERED).unwrap_or(Kind::Violation),
        targets: vec![target.to_string()],
        step,
        rule: Some(NO_UNREGISTERED.into()),
        summary: "offers capability names that neither begin with \"X\" nor are registered \
                  with IANA"
            .into(),
        expected: format!(
            "capability names that begin with \"X\" or are standard or standards-track \
             extensions registered with IANA (RFC 2060 §7.2.1; the IANA IMAP capabilities \
             registry as of {REGISTRY_DATE}, where a name NAME=VALUE counts as registered \
             when NAME or NAME= is)"
        ),
        observed: format!(
            "not registered, not beginning with \"X\": {}; first in: {}",
            bad.join(" "),
            escape(&line)
        ),
        cause: None,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Exchange;

    fn session(greeting: &str, responses: &[&str]) -> Transcript {
        Transcript {
            greeting: Some(Message::line(greeting)),
            script: vec![Exchange::from_lines("a1 CAPABILITY", responses)],
            ..Transcript::default()
        }
    }

    #[test]
    fn registered_names_and_x_names_may_be_offered_rfc2060_7_2_1() {
        for name in [
            "IMAP4rev1",
            "imap4rev1",
            "IMAP4",
            "IDLE",
            "AUTH=PLAIN",
            "AUTH=SCRAM-SHA-256-PLUS",
            "RIGHTS=kxten",
            "THREAD=REFERENCES",
            "SORT=DISPLAY",
            "LITERAL+",
            "APPENDLIMIT=4294967295",
            "QUOTA=RES-STORAGE",
            "XLIST",
            "X-GM-EXT-1",
            "XPIG-LATIN",
        ] {
            assert!(may_offer(name), "{name}");
        }
    }

    /// RFC 2060 §7.2.1: "A server MUST NOT offer unregistered or non-standard capability
    /// names, unless such names are prefixed with an "X"."
    #[test]
    fn unregistered_names_without_x_may_not_be_offered_rfc2060_7_2_1() {
        for name in [
            "SCAN",
            "NO_ATOMIC_RENAME",
            "DIGEST=SHA1",
            "ACL2=UNION",
            "SNIPPET=FUZZY",
            "PIG-LATIN",
        ] {
            assert!(!may_offer(name), "{name}");
        }
    }

    /// Lenient where the copy of the registry may be older than the server: a value
    /// under a registered name passes.
    #[test]
    fn a_value_under_a_registered_name_is_not_reported() {
        for name in ["THREAD=REFS", "SORT=UID", "PREVIEW=FUZZY", "URLAUTH=FOO"] {
            assert!(may_offer(name), "{name}");
        }
    }

    #[test]
    fn capability_lists_are_read_from_responses_and_codes() {
        assert_eq!(
            advertised(&Message::line("* CAPABILITY IMAP4rev1 SCAN")),
            ["IMAP4rev1", "SCAN"]
        );
        assert_eq!(
            advertised(&Message::line(
                "* OK [CAPABILITY IMAP4rev1 ACL2=UNION] Courier-IMAP ready. [x]"
            )),
            ["IMAP4rev1", "ACL2=UNION"]
        );
        assert_eq!(
            advertised(&Message::line("s1 OK [CAPABILITY IMAP4rev1] Logged in")),
            ["IMAP4rev1"]
        );
        assert!(advertised(&Message::line("* OK [UIDVALIDITY 3] x")).is_empty());
        assert!(advertised(&Message::line("* SEARCH 1 2")).is_empty());
        assert!(advertised(&Message::line("* OK CAPABILITY SCAN is no list")).is_empty());
    }

    #[test]
    fn one_finding_per_session_names_every_unregistered_capability() {
        let t = session(
            "* OK [CAPABILITY IMAP4rev1 SCAN XLIST] ready",
            &[
                "* CAPABILITY IMAP4rev1 SCAN NO_ATOMIC_RENAME IDLE",
                "a1 OK done",
            ],
        );
        let v = judge_capability_names("cyrus", &t);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some(NO_UNREGISTERED));
        assert_eq!(v[0].step, None, "first seen in the greeting");
        assert!(v[0]
            .observed
            .contains(": SCAN NO_ATOMIC_RENAME; first in: * OK [CAPABILITY"));
    }

    #[test]
    fn a_server_offering_only_registered_names_has_no_finding() {
        let t = session(
            "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready",
            &[
                "* CAPABILITY IMAP4rev1 IDLE X-FOO THREAD=REFS",
                "a1 OK done",
            ],
        );
        assert!(judge_capability_names("reference", &t).is_empty());
    }

    #[test]
    fn the_registry_copy_is_well_formed() {
        let reg = registry();
        assert!(reg.len() > 70);
        assert!(reg.iter().all(|n| !n.starts_with('X')
            && n.bytes()
                .all(|b| b.is_ascii_graphic() && !b.is_ascii_lowercase())));
        assert!(reg.contains("IMAP4REV1") && reg.contains("AUTH="));
    }
}
