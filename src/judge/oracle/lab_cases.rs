//! The oracle on sessions recorded against real servers (the seed-7 lab campaign), each
//! named after the sentence its bytes break or keep.

use crate::case::Case;
use crate::judge::oracle::Gap;
use crate::judge::{judge_oracle, Cause, Kind, Verdict};
use crate::model::Profile;

fn judged(case: &str) -> Vec<Verdict> {
    let c = Case::parse(case).expect("case file");
    judge_oracle("lab", &c.transcript, Profile::Rfc2060).0
}

fn show(v: &[Verdict]) -> String {
    v.iter()
        .map(|v| format!("{} {:?} {:?}: {}", v.kind, v.rule, v.cause, v.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn header_fields_added_by_the_server_are_one_finding_against_append_rfc2060_6_3_11() {
    let v = judged(include_str!(
        "../testdata/causes/mailutils-header-fields-added.imap"
    ));
    let added: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.cause == Some(Cause::HeaderFieldsAdded))
        .collect();
    assert_eq!(added.len(), 1, "{}", show(&v));
    assert_eq!(added[0].rule.as_deref(), Some("2060-6.3.11-appends-at-end"));
    assert!(
        added[0].summary.contains("x-imapbase"),
        "{}",
        added[0].summary
    );
    assert!(
        added[0].observed.contains("X-UID: 1"),
        "{}",
        added[0].observed
    );
    // Items that are right for the message the server serves break no sentence of their
    // own: no RFC822.HEADER, blank-line, HEADER.FIELDS.NOT or BODY[] finding.
    for r in [
        "2060-6.4.5-rfc822-header",
        "2060-6.4.5-blank-line",
        "2060-6.4.5-header-fields",
        "2060-6.4.5-body-section",
        "2060-6.4.5-rfc822",
        "2060-6.4.5-rfc822-size",
    ] {
        assert!(
            !v.iter().any(|v| v.rule.as_deref() == Some(r)),
            "{r}:\n{}",
            show(&v)
        );
    }
    // RFC 2231 parameters served decoded: a note, never a violation of RFC 2060.
    for p in v
        .iter()
        .filter(|v| v.cause == Some(Cause::ParametersDecoded))
    {
        assert_eq!(p.kind, Kind::Note);
    }
}

#[test]
fn an_empty_body_served_as_crlf_is_a_changed_message_not_a_part_or_partial_fault() {
    let v = judged(include_str!("../testdata/causes/mailutils-empty-body.imap"));
    for r in [
        "2060-6.4.5-part-numbers",
        "2060-7.4.2-origin-substring",
        "2060-6.4.5-bodystructure",
    ] {
        assert!(
            !v.iter().any(|v| v.rule.as_deref() == Some(r)),
            "{r}:\n{}",
            show(&v)
        );
    }
    let changed: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.cause == Some(Cause::BodyChanged))
        .collect();
    assert_eq!(changed.len(), 1, "{}", show(&v));
    assert!(
        changed[0].summary.contains("\"\\r\\n\""),
        "{}",
        changed[0].summary
    );
}

#[test]
fn trycreate_inside_the_text_is_not_the_response_code_rfc2060_6_3_11() {
    let v = judged(include_str!("../testdata/causes/mailutils-trycreate.imap"));
    let t: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref().is_some_and(|r| r.ends_with("-trycreate")))
        .collect();
    assert!(!t.is_empty(), "{}", show(&v));
    for f in t {
        assert!(f.observed.contains("[TRYCREATE] failed"), "{}", f.observed);
        assert!(f.observed.contains("not a response code"), "{}", f.observed);
        assert!(!f.summary.contains("without"), "{}", f.summary);
    }
}

#[test]
fn search_larger_contradicting_the_servers_own_size_is_a_violation_rfc2060_6_4_4() {
    // Courier: RFC822 {316} for message 1, then `UID SEARCH CHARSET us-ascii LARGER 314`
    // answered `* SEARCH` (empty).
    let v = judged(include_str!("../testdata/causes/courier-larger.imap"));
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.4-key-larger"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert_eq!(f[0].kind, Kind::Violation);
    assert_eq!(f[0].cause, Some(Cause::ContradictsOwnSize));
    assert!(f[0].summary.contains("gives as 316"), "{}", f[0].summary);
}

#[test]
fn search_smaller_is_judged_against_a_size_the_server_gives_later_rfc2060_6_4_4() {
    // Courier: `SEARCH CHARSET US-ASCII SMALLER 1154` answered `* SEARCH 1`; the next
    // command's `RFC822.SIZE 1161` is the server's own size of message 1.
    let v = judged(include_str!("../testdata/causes/courier-smaller.imap"));
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.4-key-smaller"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert_eq!(f[0].kind, Kind::Violation);
    assert!(
        f[0].summary.contains("returned message 1"),
        "{}",
        f[0].summary
    );
    assert!(
        f[0].observed.contains("RFC822.SIZE 1161"),
        "{}",
        f[0].observed
    );
}

#[test]
fn a_fetch_flags_listing_only_some_flags_is_one_violation_of_the_flags_definition_rfc2060_6_4_5() {
    // Mailutils: `UID STORE 1 FLAGS (\Answered)`, then a body FETCH answers
    // `FLAGS (\Seen)`, then its own STORE response shows `(\Answered \Seen \Recent)`.
    let v = judged(include_str!(
        "../testdata/causes/mailutils-flags-partial.imap"
    ));
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.5-flags"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert_eq!(f[0].kind, Kind::Violation);
    assert_eq!(f[0].cause, Some(Cause::FlagsPartial));
    assert!(f[0].observed.contains("(\\Seen)"), "{}", f[0].observed);
    assert!(f[0].observed.contains("\\Answered"), "{}", f[0].observed);
    // No SHOULD of APPEND or COPY is blamed for it.
    assert!(
        !v.iter().any(|v| {
            v.rule.as_deref().is_some_and(|r| {
                r == "2060-6.3.11-flags-set" || r == "2060-6.4.7-preserve-flags-date"
            })
        }),
        "{}",
        show(&v)
    );
}

#[test]
fn copy_of_an_overlapping_set_may_copy_twice_rfc3501_9() {
    // Courier: `COPY 1:*,1 INBOX` of a mailbox of one message answered
    // `[COPYUID 796651781 1,1 1:2]`: two copies, one per mention. RFC 3501 §9: "Servers
    // MAY coalesce overlaps", so they may also not.
    for case in [
        include_str!("../testdata/causes/courier-copy-overlap.imap"),
        include_str!("../testdata/causes/courier-uid-copy-overlap.imap"),
    ] {
        let c = Case::parse(case).unwrap();
        let (v, cov) = judge_oracle("lab", &c.transcript, Profile::Rfc2060);
        assert!(
            !v.iter()
                .any(|v| v.rule.as_deref() == Some("2060-6.4.7-copies-to-end")),
            "{}",
            show(&v)
        );
        assert!(
            cov.stopped
                .as_ref()
                .is_none_or(|s| s.gap != Gap::CopiesDiffer && s.gap != Gap::CountDiffers),
            "{:?}",
            cov.stopped
        );
    }
}

#[test]
fn copy_of_an_overlapping_set_may_also_coalesce_but_not_copy_more_rfc3501_9() {
    let twice = include_str!("../testdata/causes/courier-copy-overlap.imap");
    let code = "[COPYUID 796651781 1,1 1:2]";
    assert!(twice.contains(code));
    let once = twice.replace(code, "[COPYUID 796651781 1 1]");
    let thrice = twice.replace(code, "[COPYUID 796651781 1,1,1 1:3]");
    let copies = |case: &str| {
        judged(case)
            .into_iter()
            .filter(|v| v.rule.as_deref() == Some("2060-6.4.7-copies-to-end"))
            .count()
    };
    assert_eq!(copies(&once), 0, "coalesced");
    assert_eq!(copies(&thrice), 1, "a copy the set does not name");
}

#[test]
fn an_echoed_header_fields_list_in_another_order_is_the_same_item_rfc2060_6_4_5() {
    // Courier echoes `BODY[HEADER.FIELDS ("Date" "Content-Type")]` as asked; a server
    // that echoes the names in another order sends the same item: no rule fixes the order.
    let asked = include_str!("../testdata/causes/courier-smaller.imap");
    let echo = r#"S>  BODY[HEADER.FIELDS ("Date" "Content-Type")] {103}"#;
    assert!(asked.contains(echo));
    let reordered = asked.replace(echo, r#"S>  BODY[HEADER.FIELDS (CONTENT-TYPE DATE)] {103}"#);
    let before = judged(asked);
    let after = judged(&reordered);
    assert_eq!(show(&before), show(&after));
    assert!(
        !after
            .iter()
            .any(|v| v.summary.contains("lacks") || v.summary.contains("HEADER.FIELDS")),
        "{}",
        show(&after)
    );
    assert_eq!(
        super::normalize_item_name("BODY[HEADER.FIELDS (\"DATE\" \"CONTENT-TYPE\")]<0>"),
        super::normalize_item_name("BODY[HEADER.FIELDS (CONTENT-TYPE DATE)]<0>")
    );
    assert_ne!(
        super::normalize_item_name("BODY[HEADER.FIELDS (DATE)]"),
        super::normalize_item_name("BODY[HEADER.FIELDS.NOT (DATE)]")
    );
}

#[test]
fn a_body_encoding_other_than_the_parts_header_field_is_one_finding_rfc2060_6_4_5() {
    // Courier gives "8bit" for a text part appended without Content-Transfer-Encoding
    // (7BIT by default), in BODY and BODYSTRUCTURE alike: one cause.
    let v = judged(include_str!("../testdata/causes/courier-8bit.imap"));
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.5-bodystructure"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert_eq!(f[0].kind, Kind::Violation);
    assert_eq!(f[0].cause, Some(Cause::TransferEncodingField));
    assert!(f[0].observed.contains("\"8bit\""), "{}", f[0].observed);
}

#[test]
fn a_fetch_of_a_set_naming_a_message_several_times_may_answer_once_per_mention_rfc3501_9() {
    // Courier answers `FETCH 1,1:*,1,1:* FAST` of one message with four FETCH responses.
    let case = include_str!("../testdata/causes/courier-smaller.imap");
    assert_eq!(
        case.matches("S: * 1 FETCH (FLAGS () INTERNALDATE").count(),
        4
    );
    let c = Case::parse(case).unwrap();
    let (v, cov) = judge_oracle("lab", &c.transcript, Profile::Rfc2060);
    assert!(!v.iter().any(|v| v.step == Some(3)), "{}", show(&v));
    assert!(cov.judged > 4, "{cov:?}");
}

#[test]
fn a_wrong_search_result_names_the_message_and_why_in_plain_words_rfc2060_6_4_4() {
    // Mailutils answers `SEARCH KEYWORD todo` with `* SEARCH 1`; message 1 has no flags.
    let v = judged(include_str!(
        "../testdata/causes/mailutils-search-keyword.imap"
    ));
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.4-key-keyword"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert_eq!(
        f[0].summary,
        "SEARCH `KEYWORD todo` returned what does not match (message 1 (no flags))"
    );
    assert!(!f[0].summary.contains("[]"));
}

#[test]
fn rfc822_header_that_differs_from_body_header_in_one_response_breaks_equivalence_rfc2060_6_4_5() {
    let case = include_str!("../testdata/causes/courier-smaller.imap");
    let i = case.find("S>  RFC822.HEADER {504}").unwrap();
    let (head, tail) = case.split_at(i);
    let changed = format!("{head}{}", tail.replacen("Weekly <news", "WeeklY <news", 1));
    let v = judged(&changed);
    let f: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.5-rfc822-header"))
        .collect();
    assert_eq!(f.len(), 1, "{}", show(&v));
    assert!(
        f[0].summary.contains("differs from its BODY[HEADER]"),
        "{}",
        f[0].summary
    );
    assert!(judged(case)
        .iter()
        .all(|v| v.rule.as_deref() != Some("2060-6.4.5-rfc822-header")));
}

/// A session: `Subject: x` with body `body` appended and selected, then `fetch` and the
/// server's answer records (`S:`, `S|`, `S>` lines).
fn fetch_case(fetch: &str, answer: &str) -> String {
    format!(
        "# imapconform case v1\n# target: x\nS: * OK ready\nC: s1 LOGIN u1 pw\nS: s1 OK done\n\
         C: s2 LIST \"\" *\nS: * LIST () \".\" INBOX\nS: s2 OK done\n== script ==\n\
         C: a1 SELECT INBOX\nS: * FLAGS (\\\\Seen)\nS: * 0 EXISTS\nS: * 0 RECENT\n\
         S: * OK [UIDVALIDITY 7] ok\nS: a1 OK [READ-WRITE] done\n\
         C: a2 APPEND INBOX (\\\\Seen) {{20}}\nS: + go\nC| Subject: x\nC|\nC| body\nC>\n\
         S: * 1 EXISTS\nS: * 1 RECENT\nS: a2 OK done\n\
         C: a3 FETCH 1 (UID FLAGS)\nS: * 1 FETCH (UID 1 FLAGS (\\\\Seen \\\\Recent))\nS: a3 OK done\n\
         C: a4 {fetch}\n{answer}\nS: a4 OK done\n"
    )
}

#[test]
fn an_rfc822_size_that_contradicts_the_servers_own_body_is_a_violation_rfc2060_6_4_5() {
    // The server's BODY[] is the appended message (20 octets); its RFC822.SIZE says 25.
    let v = judged(&fetch_case(
        "FETCH 1 (RFC822.SIZE BODY.PEEK[])",
        "S: * 1 FETCH (RFC822.SIZE 25 BODY[] {20}\nS| Subject: x\nS|\nS| body\nS> )",
    ));
    assert_eq!(v.len(), 1, "{}", show(&v));
    assert_eq!(v[0].rule.as_deref(), Some("2060-6.4.5-rfc822-size"));
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].cause, Some(Cause::CountsOff));
    // Its BODY[] with a field of its own, and the size of that: the APPEND sentence alone.
    let v = judged(&fetch_case(
        "FETCH 1 (RFC822.SIZE BODY.PEEK[])",
        "S: * 1 FETCH (RFC822.SIZE 30 BODY[] {30}\nS| Subject: x\nS| X-UID: 1\nS|\nS| body\nS> )",
    ));
    assert_eq!(v.len(), 1, "{}", show(&v));
    assert_eq!(v[0].rule.as_deref(), Some("2060-6.3.11-appends-at-end"));
    assert_eq!(v[0].cause, Some(Cause::HeaderFieldsAdded));
    assert!(
        v[0].observed.contains("RFC822.SIZE 30"),
        "{}",
        v[0].observed
    );
    // And the conforming answer: nothing.
    let v = judged(&fetch_case(
        "FETCH 1 (RFC822.SIZE BODY.PEEK[])",
        "S: * 1 FETCH (RFC822.SIZE 20 BODY[] {20}\nS| Subject: x\nS|\nS| body\nS> )",
    ));
    assert!(v.is_empty(), "{}", show(&v));
}

#[test]
fn a_search_by_size_and_another_key_is_judged_on_the_other_key_when_the_size_is_met_rfc2060_6_4_4()
{
    let search = |answer: &str, size: Option<u32>| {
        let mut case = fetch_case("SEARCH SMALLER 100 SUBJECT y", answer);
        if let Some(n) = size {
            case.push_str(&format!(
                "C: a5 FETCH 1 RFC822.SIZE\nS: * 1 FETCH (RFC822.SIZE {n})\nS: a5 OK done\n"
            ));
        }
        judged(&case)
    };
    // Message 1 (`Subject: x`, 20 octets) does not match SUBJECT y.
    let v = search("S: * SEARCH 1", Some(20));
    assert_eq!(v.len(), 1, "{}", show(&v));
    assert_eq!(v[0].kind, Kind::Violation);
    assert!(
        v[0].summary.contains("another key decides"),
        "{}",
        v[0].summary
    );
    // Its own size excludes it: a contradiction of SMALLER (and the size itself, 150 for
    // 20 octets appended, a warning of its own).
    let v = search("S: * SEARCH 1", Some(150));
    let smaller: Vec<&Verdict> = v
        .iter()
        .filter(|v| v.rule.as_deref() == Some("2060-6.4.4-key-smaller"))
        .collect();
    assert_eq!(smaller.len(), 1, "{}", show(&v));
    assert_eq!(smaller[0].cause, Some(Cause::ContradictsOwnSize));
    assert_eq!(v.len(), 2, "{}", show(&v));
    // No size from the server: only a warning.
    let v = search("S: * SEARCH 1", None);
    assert_eq!(v.len(), 1, "{}", show(&v));
    assert_eq!(v[0].kind, Kind::Warning);
    // The right answer: nothing.
    assert!(search("S: * SEARCH", Some(20)).is_empty());
}
