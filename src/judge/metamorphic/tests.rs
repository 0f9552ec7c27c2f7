use super::relations::*;
use super::*;
use crate::judge::fixture;
use crate::judge::Kind;

use crate::judge::fixture::logged_in as t;

fn x(command: &str, responses: &[&str]) -> Exchange {
    Exchange::from_lines(command, responses)
}

fn select() -> Exchange {
    x(
        "a1 SELECT INBOX",
        &["* 3 EXISTS", "* 0 RECENT", "a1 OK [READ-WRITE] done"],
    )
}

fn rules(v: &[Verdict]) -> Vec<&str> {
    v.iter().filter_map(|v| v.rule.as_deref()).collect()
}

#[test]
fn flags_through_fetch_and_uid_fetch_must_agree_rfc2060_6_4_8() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 FETCH 1:* (FLAGS UID)",
                &[
                    "* 1 FETCH (FLAGS () UID 4)",
                    "* 2 FETCH (FLAGS (\\Seen) UID 7)",
                    "* 3 FETCH (FLAGS () UID 9)",
                    "a2 OK done",
                ],
            ),
            x(
                "a3 UID FETCH 1:* (FLAGS)",
                &[
                    "* 1 FETCH (UID 4 FLAGS ())",
                    "* 2 FETCH (UID 7 FLAGS ())",
                    "* 3 FETCH (UID 9 FLAGS ())",
                    "a3 OK done",
                ],
            ),
        ]),
    );
    assert_eq!(rules(&v), [UID_SET], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].step, Some(2));
    assert!(v[0].summary.contains("message 2"), "{}", v[0].summary);
    assert!(
        v[0].summary.contains("(\\seen) then ()"),
        "{}",
        v[0].summary
    );
    assert!(v[0].observed.contains("step 1") && v[0].observed.contains("step 2"));
    assert!(v[0]
        .expected
        .contains("unique identifiers instead of message sequence numbers"));
}

#[test]
fn a_consistent_pair_is_not_a_finding() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 FETCH 1:* (FLAGS UID)",
                &["* 1 FETCH (FLAGS (\\Seen $Work) UID 4)", "a2 OK done"],
            ),
            // Flags are case-insensitive (RFC 3501 §2.3.2), and a NOOP changes nothing.
            x("a3 NOOP", &["a3 OK done"]),
            x(
                "a4 UID FETCH 1:* (FLAGS)",
                &["* 1 FETCH (UID 4 FLAGS ($work \\SEEN))", "a4 OK done"],
            ),
            x("a5 SEARCH SEEN", &["* SEARCH 1", "a5 OK done"]),
            x("a6 UID SEARCH SEEN", &["* SEARCH 4", "a6 OK done"]),
            x("a7 SEARCH NOT SEEN", &["* SEARCH 2 3", "a7 OK done"]),
            x("a8 SEARCH ALL", &["* SEARCH 1 2 3", "a8 OK done"]),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_pair_separated_by_a_store_is_not_compared() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 FETCH 2 (FLAGS)",
                &["* 2 FETCH (FLAGS ())", "a2 OK done"],
            ),
            x("a3 STORE 2 +FLAGS.SILENT (\\Seen)", &["a3 OK done"]),
            x(
                "a4 FETCH 2 (FLAGS)",
                &["* 2 FETCH (FLAGS (\\Seen))", "a4 OK done"],
            ),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn an_unsolicited_expunge_between_breaks_the_pair() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 SEARCH ALL", &["* SEARCH 1 2 3", "a2 OK done"]),
            x("a3 NOOP", &["* 1 EXPUNGE", "a3 OK done"]),
            x("a4 SEARCH ALL", &["* SEARCH 1 2", "a4 OK done"]),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
    // An unsolicited EXISTS inside the second answer breaks it too.
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 SEARCH ALL", &["* SEARCH 1 2 3", "a2 OK done"]),
            x(
                "a3 SEARCH ALL",
                &["* 4 EXISTS", "* SEARCH 1 2 3 4", "a3 OK done"],
            ),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn the_same_search_twice_must_get_the_same_answer_rfc2060_6_4_4() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 SEARCH FLAGGED", &["* SEARCH 1", "a2 OK done"]),
            x("a3 search flagged", &["* SEARCH 1 3", "a3 OK done"]),
        ]),
    );
    assert_eq!(rules(&v), [SEARCH], "{v:#?}");
}

#[test]
fn search_and_uid_search_agree_through_the_uid_map_rfc2060_6_4_8() {
    let script = |uid_answer: &str| {
        t(vec![
            select(),
            x("a2 SEARCH SUBJECT hello", &["* SEARCH 2", "a2 OK done"]),
            x("a3 UID SEARCH SUBJECT hello", &[uid_answer, "a3 OK done"]),
            x(
                "a4 FETCH 1:* (UID)",
                &[
                    "* 1 FETCH (UID 4)",
                    "* 2 FETCH (UID 7)",
                    "* 3 FETCH (UID 9)",
                    "a4 OK done",
                ],
            ),
            x("a5 SEARCH SUBJECT hello", &["* SEARCH 2", "a5 OK done"]),
        ])
    };
    assert!(judge_metamorphic("h", &script("* SEARCH 7")).is_empty());
    let v = judge_metamorphic("h", &script("* SEARCH 9"));
    assert_eq!(rules(&v), [UID_SEARCH], "{v:#?}");
    assert!(v[0]
        .summary
        .contains("message 2 (UID 7) in SEARCH but not in UID SEARCH"));
}

#[test]
fn a_key_and_its_not_cover_all_and_never_overlap_rfc2060_6_4_4() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 SEARCH FROM x", &["* SEARCH 1", "a2 OK done"]),
            x("a3 SEARCH NOT FROM x", &["* SEARCH 2", "a3 OK done"]),
            x("a4 SEARCH ALL", &["* SEARCH 1 2 3", "a4 OK done"]),
        ]),
    );
    assert_eq!(rules(&v), [NOT], "{v:#?}");
    assert!(v[0].summary.contains("ALL is (1 2 3)"), "{}", v[0].summary);
    // Several keys are negated as a parenthesized list; an overlap is a finding at once.
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 UID SEARCH SEEN FLAGGED",
                &["* SEARCH 4 7", "a2 OK done"],
            ),
            x(
                "a3 UID SEARCH NOT (SEEN FLAGGED)",
                &["* SEARCH 7 9", "a3 OK done"],
            ),
        ]),
    );
    assert_eq!(rules(&v), [NOT], "{v:#?}");
    assert!(v[0].summary.contains("(7)"), "{}", v[0].summary);
}

#[test]
fn body_is_header_then_text_and_its_length_is_the_size_rfc2060_6_4_5() {
    let header = "Subject: a\r\n\r\n";
    let good = |text: &str, size: usize| {
        t(vec![
            select(),
            x(
                "a2 FETCH 1 BODY.PEEK[]",
                &[
                    &format!("* 1 FETCH (BODY[] {{18}}\r\n{header}hi\r\n)"),
                    "a2 OK done",
                ],
            ),
            x(
                "a3 FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)",
                &[
                    &format!(
                        "* 1 FETCH (BODY[HEADER] {{{}}}\r\n{header} BODY[TEXT] {{{}}}\r\n{text} RFC822.SIZE {size})",
                        header.len(),
                        text.len()
                    ),
                    "a3 OK done",
                ],
            ),
        ])
    };
    let v = judge_metamorphic("h", &good("hi\r\n", 18));
    assert!(v.is_empty(), "{v:#?}");
    let v = judge_metamorphic("h", &good("hi\n", 18));
    assert_eq!(rules(&v), [TEXT], "{v:#?}");
    assert!(v[0].expected.contains("refers to the entire message"));
    let v = judge_metamorphic("h", &good("hi\r\n", 20));
    assert_eq!(rules(&v), [SIZE], "{v:#?}");
    assert!(v[0].summary.contains("is 20 but its BODY[] has 18 octets"));
}

#[test]
fn a_fetch_that_may_set_seen_breaks_the_window_and_a_peek_only_for_flags() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 FETCH 1 (FLAGS RFC822.SIZE)",
                &["* 1 FETCH (FLAGS () RFC822.SIZE 10)", "a2 OK done"],
            ),
            x(
                "a3 FETCH 1 BODY.PEEK[TEXT]",
                &["* 1 FETCH (BODY[TEXT] \"x\")", "a3 OK done"],
            ),
            // A server that wrongly sets \Seen on a peek is not blamed for FLAGS here.
            x(
                "a4 FETCH 1 (FLAGS RFC822.SIZE)",
                &["* 1 FETCH (FLAGS (\\Seen) RFC822.SIZE 11)", "a4 OK done"],
            ),
            x(
                "a5 FETCH 1 BODY[TEXT]",
                &["* 1 FETCH (BODY[TEXT] \"x\" FLAGS (\\Seen))", "a5 OK done"],
            ),
            x(
                "a6 FETCH 1 (RFC822.SIZE)",
                &["* 1 FETCH (RFC822.SIZE 12)", "a6 OK done"],
            ),
        ]),
    );
    // Only the size that changed across the peek is a finding.
    assert_eq!(rules(&v), ["2060-6.4.5-rfc822-size"], "{v:#?}");
    assert_eq!(v[0].step, Some(3));
}

#[test]
fn status_messages_matches_the_exists_of_the_next_select_rfc2060_6_3_10() {
    let script = |exists: u32| {
        t(vec![
            x(
                "a1 STATUS INBOX.work (MESSAGES UIDNEXT)",
                &["* STATUS INBOX.work (MESSAGES 2 UIDNEXT 3)", "a1 OK done"],
            ),
            x(
                "a2 EXAMINE INBOX.work",
                &[
                    &format!("* {exists} EXISTS"),
                    "* 0 RECENT",
                    "a2 OK [READ-ONLY] done",
                ],
            ),
        ])
    };
    assert!(judge_metamorphic("h", &script(2)).is_empty());
    let v = judge_metamorphic("h", &script(3));
    assert_eq!(rules(&v), [MESSAGES], "{v:#?}");
    assert!(v[0]
        .expected
        .contains("The EXISTS response reports the number of messages"));
}

#[test]
fn a_quoted_argument_and_the_same_as_a_literal_ask_the_same_rfc2060_4_3() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 SEARCH SUBJECT \"to do\"", &["* SEARCH 1", "a2 OK done"]),
            x(
                "a3 SEARCH SUBJECT {5}\r\nto do",
                &["* SEARCH", "a3 OK done"],
            ),
            x(
                "a4 STATUS \"INBOX.my folder\" (MESSAGES)",
                &["* STATUS \"INBOX.my folder\" (MESSAGES 1)", "a4 OK done"],
            ),
            x(
                "a5 STATUS {15}\r\nINBOX.my folder (MESSAGES)",
                &["* STATUS \"INBOX.my folder\" (MESSAGES 1)", "a5 OK done"],
            ),
            x(
                "a6 LIST \"\" \"INBOX.my folder\"",
                &["* LIST () \".\" \"INBOX.my folder\"", "a6 OK done"],
            ),
            x("a7 LIST \"\" {15}\r\nINBOX.my folder", &["a7 OK done"]),
        ]),
    );
    assert_eq!(rules(&v), [STRING_FORMS, STRING_FORMS], "{v:#?}");
    assert!(v[0]
        .summary
        .contains("once with a string quoted and once as a literal"));
    assert!(v[1].summary.starts_with("LIST"), "{}", v[1].summary);
}

#[test]
fn recorded_sessions_of_real_servers_contradict_themselves_nowhere() {
    for (name, text) in [
        ("dovecot", fixture::DOVECOT),
        ("cyrus", fixture::CYRUS),
        ("courier", fixture::COURIER),
        ("mailutils", fixture::MAILUTILS),
        ("dovecot", fixture::DOVECOT_EXT),
        ("cyrus", fixture::CYRUS_EXT),
    ] {
        let v = judge_metamorphic(name, &fixture::load(text));
        assert!(v.is_empty(), "{name}: {v:#?}");
    }
}

#[test]
fn status_of_the_selected_mailbox_is_not_held_to_the_next_select_rfc3501_6_3_10() {
    // RFC 3501 §6.3.10: STATUS "SHOULD NOT be used on the currently selected mailbox";
    // an APPEND in between ends the window but INBOX stays selected.
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x("a2 APPEND INBOX {1}\r\nx", &["a2 OK done"]),
            x(
                "a3 STATUS INBOX (MESSAGES)",
                &["* STATUS INBOX (MESSAGES 3)", "a3 OK done"],
            ),
            x(
                "a4 EXAMINE INBOX",
                &["* 4 EXISTS", "a4 OK [READ-ONLY] done"],
            ),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_message_expunged_underneath_breaks_the_window_rfc2180_4_1_3() {
    let body = "* 1 FETCH (BODY[] {4}\r\nab\r\n)";
    for second in [
        vec![
            "* 1 FETCH (RFC822.SIZE 0 BODY[HEADER] NIL BODY[TEXT] NIL)",
            "a3 OK done",
        ],
        vec![
            "* 1 FETCH (RFC822.SIZE 0)",
            "a3 OK [EXPUNGEISSUED] Some messages were already expunged",
        ],
    ] {
        let v = judge_metamorphic(
            "h",
            &t(vec![
                select(),
                x("a2 FETCH 1 BODY.PEEK[]", &[body, "a2 OK done"]),
                x(
                    "a3 FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)",
                    &second,
                ),
            ]),
        );
        assert!(v.is_empty(), "{v:#?}");
    }
}

#[test]
fn a_new_uidvalidity_between_two_status_is_a_note_rfc2060_2_3_1_1() {
    let v = judge_metamorphic(
        "h",
        &t(vec![
            x(
                "a1 STATUS \"INBOX.a\" (UIDVALIDITY MESSAGES)",
                &["* STATUS INBOX.a (UIDVALIDITY 7 MESSAGES 0)", "a1 OK done"],
            ),
            x(
                "a2 STATUS {7}\r\nINBOX.a (UIDVALIDITY MESSAGES)",
                &["* STATUS INBOX.a (UIDVALIDITY 8 MESSAGES 0)", "a2 OK done"],
            ),
        ]),
    );
    assert_eq!(rules(&v), [UIDVALIDITY], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Note);
}

#[test]
fn a_fetch_response_for_a_message_not_asked_for_breaks_the_window() {
    // `* 3 FETCH (FLAGS ...)` in answer to `FETCH 1 ...` reports a change, whatever it asks.
    let v = judge_metamorphic(
        "h",
        &t(vec![
            select(),
            x(
                "a2 FETCH 3 (FLAGS)",
                &["* 3 FETCH (FLAGS ())", "a2 OK done"],
            ),
            x(
                "a3 FETCH 1 (FLAGS)",
                &[
                    "* 1 FETCH (FLAGS ())",
                    "* 3 FETCH (FLAGS (\\Deleted))",
                    "a3 OK done",
                ],
            ),
            x(
                "a4 FETCH 3 (FLAGS)",
                &["* 3 FETCH (FLAGS (\\Deleted))", "a4 OK done"],
            ),
        ]),
    );
    assert!(v.is_empty(), "{v:#?}");
    assert!(in_set(b"2:4,7", 3) && in_set(b"4:2", 3) && !in_set(b"2:4,7", 5));
    assert!(in_set(b"5:*", 9) && in_set(b"5:*", 4) && in_set(b"*", 1_000));
}

#[test]
fn status_uidnext_matches_the_uidnext_of_the_next_select_rfc3501_6_3_1() {
    let script = |next: u32| {
        t(vec![
            x(
                "a1 STATUS INBOX.work (UIDNEXT)",
                &["* STATUS INBOX.work (UIDNEXT 3)", "a1 OK done"],
            ),
            x(
                "a2 SELECT INBOX.work",
                &[
                    "* 2 EXISTS",
                    &format!("* OK [UIDNEXT {next}] Predicted next UID"),
                    "a2 OK [READ-WRITE] done",
                ],
            ),
        ])
    };
    assert!(judge_metamorphic("h", &script(3)).is_empty());
    let v = judge_metamorphic("h", &script(5));
    assert_eq!(rules(&v), [UIDNEXT], "{v:#?}");
    assert!(v[0]
        .summary
        .contains("is 3 but SELECT/EXAMINE then reports [UIDNEXT 5]"));
}

#[test]
fn one_change_between_status_answers_is_one_finding() {
    let status = |tag: &str, messages: u32| {
        x(
            &format!("{tag} STATUS INBOX.a (MESSAGES)"),
            &[
                &format!("* STATUS INBOX.a (MESSAGES {messages})"),
                &format!("{tag} OK done"),
            ],
        )
    };
    let v = judge_metamorphic(
        "h",
        &t(vec![
            status("a1", 1),
            status("a2", 1),
            status("a3", 2),
            status("a4", 2),
        ]),
    );
    assert_eq!(rules(&v), [MESSAGES], "{v:#?}");
    assert_eq!(v[0].step, Some(2));
}

#[test]
fn a_uid_map_shown_after_the_two_searches_still_maps_them_rfc2060_6_4_8() {
    // The generator's twin: SEARCH k, UID SEARCH k, then FETCH 1:* (UID).
    let script = |uid_answer: &str| {
        t(vec![
            select(),
            x("a2 SEARCH SUBJECT hello", &["* SEARCH 2", "a2 OK done"]),
            x("a3 UID SEARCH SUBJECT hello", &[uid_answer, "a3 OK done"]),
            x(
                "a4 FETCH 1:* (UID)",
                &[
                    "* 1 FETCH (UID 4)",
                    "* 2 FETCH (UID 7)",
                    "* 3 FETCH (UID 9)",
                    "a4 OK done",
                ],
            ),
        ])
    };
    assert!(judge_metamorphic("h", &script("* SEARCH 7")).is_empty());
    let v = judge_metamorphic("h", &script("* SEARCH 4 7"));
    assert_eq!(rules(&v), [UID_SEARCH], "{v:#?}");
    assert!(v[0]
        .summary
        .contains("message 1 (UID 4) not in SEARCH but in UID SEARCH"));
    assert!(
        v[0].observed.contains("`* 1 FETCH (UID 4)`"),
        "{}",
        v[0].observed
    );
}
