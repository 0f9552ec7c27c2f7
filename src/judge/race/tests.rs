//! Each test is one interleaving: connection A has `INBOX.r` selected with messages
//! UID 1, 2, 3 (numbers 1, 2, 3), and B changes the mailbox.
use super::*;
use crate::judge::Kind;
use crate::wire::{End, Exchange, Transcript};

/// A step: `"A"`/`"B"`, `"A&"` (overlapped), or `"A~"` (idle messages before A's
/// next step, command empty).
fn race(steps: &[(&str, &str, &[&str])]) -> RaceTranscript {
    let mut out: Vec<RaceRecord> = Vec::new();
    let mut idle: Vec<Message> = Vec::new();
    for (who, cmd, responses) in steps {
        let side = Side::from_letter(who.chars().next().unwrap()).unwrap();
        if who.ends_with('~') {
            idle.extend(responses.iter().map(Message::line));
            continue;
        }
        out.push(RaceRecord {
            side,
            idle: std::mem::take(&mut idle),
            exchange: Exchange::from_lines(cmd, responses),
            overlap: who.ends_with('&'),
        });
    }
    RaceTranscript {
        setup: [Transcript::default(), Transcript::default()],
        steps: out,
        end: End::Completed,
    }
}

const SELECTED: &[(&str, &str, &[&str])] = &[
    (
        "A",
        "a1 SELECT INBOX.r",
        &["* 3 EXISTS", "* 3 RECENT", "a1 OK [READ-WRITE] done"],
    ),
    (
        "A",
        "a2 FETCH 1:* (UID FLAGS)",
        &[
            "* 1 FETCH (UID 1 FLAGS (\\Recent))",
            "* 2 FETCH (UID 2 FLAGS (\\Recent))",
            "* 3 FETCH (UID 3 FLAGS (\\Recent))",
            "a2 OK done",
        ],
    ),
    (
        "B",
        "b1 SELECT INBOX.r",
        &["* 3 EXISTS", "* 0 RECENT", "b1 OK [READ-WRITE] done"],
    ),
    (
        "B",
        "b2 FETCH 1:* (UID FLAGS)",
        &[
            "* 1 FETCH (UID 1 FLAGS ())",
            "* 2 FETCH (UID 2 FLAGS ())",
            "* 3 FETCH (UID 3 FLAGS ())",
            "b2 OK done",
        ],
    ),
];

/// B expunges message 2 (UID 2).
const B_EXPUNGES_2: &[(&str, &str, &[&str])] = &[
    ("B", "b3 STORE 2 +FLAGS.SILENT (\\Deleted)", &["b3 OK done"]),
    ("B", "b4 EXPUNGE", &["* 2 EXPUNGE", "b4 OK done"]),
];

fn judge(parts: &[&[(&str, &str, &[&str])]], profile: Profile) -> Vec<Verdict> {
    let steps: Vec<_> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let (v, coverage) = judge_race("t", &race(&steps), profile);
    assert_eq!(
        coverage.steps,
        steps.iter().filter(|s| !s.0.ends_with('~')).count()
    );
    v
}

fn rules(v: &[Verdict]) -> Vec<&str> {
    v.iter().filter_map(|v| v.rule.as_deref()).collect()
}

#[test]
fn the_expunge_may_be_announced_at_the_next_noop_and_the_old_numbers_hold_until_then() {
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[
                // The expunged message's old data, or nothing: both allowed.
                (
                    "A",
                    "a3 FETCH 1:3 (UID FLAGS)",
                    &[
                        "* 1 FETCH (UID 1 FLAGS ())",
                        "* 3 FETCH (UID 3 FLAGS ())",
                        "a3 OK done",
                    ],
                ),
                (
                    "A",
                    "a4 FETCH 2 (UID)",
                    &["* 2 FETCH (UID 2)", "a4 OK done"],
                ),
                ("A", "a5 NOOP", &["* 2 EXPUNGE", "a5 OK done"]),
                (
                    "A",
                    "a6 FETCH 2 (UID)",
                    &["* 2 FETCH (UID 3)", "a6 OK done"],
                ),
            ],
        ],
        Profile::Rfc3501,
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_fetch_of_the_expunged_message_may_be_refused() {
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[("A", "a3 FETCH 2 (FLAGS)", &["a3 NO message expunged"])],
        ],
        Profile::Rfc2060,
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn no_expunge_response_during_fetch_store_or_search_nor_while_idle() {
    for (who, cmd) in [
        ("A", "a3 FETCH 1 (FLAGS)"),
        ("A", "a3 STORE 1 +FLAGS (\\Seen)"),
        ("A", "a3 SEARCH ALL"),
        ("A~", ""),
    ] {
        let mut steps: Vec<(&str, &str, &[&str])> =
            vec![(who, cmd, &["* 2 EXPUNGE", "a3 OK done"])];
        if who.ends_with('~') {
            steps.push(("A", "a3 NOOP", &["a3 OK done"]));
        }
        let v = judge(&[SELECTED, B_EXPUNGES_2, &steps], Profile::Rfc3501);
        assert_eq!(rules(&v), [rule::EXPUNGE_FORBIDDEN], "{cmd:?}: {v:#?}");
    }
    // RFC 3501 §7.4.1: "An EXPUNGE response MAY be sent during a UID command."
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[(
                "A",
                "a3 UID FETCH 1:* (FLAGS)",
                &["* 2 EXPUNGE", "a3 OK done"],
            )],
        ],
        Profile::Rfc3501,
    );
    assert!(v.is_empty(), "{v:#?}");
}

/// RFC 2177: while IDLE is active "the server is now free to send untagged EXISTS,
/// EXPUNGE, and other messages at any time". A idles while B expunges message 2.
#[test]
fn an_idling_connection_may_be_told_of_the_expunge() {
    let v = judge(
        &[
            SELECTED,
            &[
                ("B", "b3 STORE 2 +FLAGS.SILENT (\\Deleted)", &["b3 OK done"]),
                (
                    "A&",
                    "a3 IDLE",
                    &["+ idling", "* 2 EXPUNGE", "a3 OK IDLE terminated"],
                ),
                ("B", "b4 EXPUNGE", &["* 2 EXPUNGE", "b4 OK done"]),
                (
                    "A",
                    "a4 FETCH 2 (UID)",
                    &["* 2 FETCH (UID 3)", "a4 OK done"],
                ),
            ],
        ],
        Profile::Rfc3501,
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn numbers_do_not_move_without_an_expunge_response() {
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[(
                "A",
                "a3 FETCH 2 (UID)",
                &["* 2 FETCH (UID 3)", "a3 OK done"],
            )],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::DECREMENT], "{v:#?}");
}

#[test]
fn an_expunge_response_names_a_message_that_was_expunged() {
    let v = judge(
        &[
            SELECTED,
            &[("A", "a3 NOOP", &["* 1 EXPUNGE", "a3 OK done"])],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::EXPUNGE_REMOVED], "{v:#?}");
    let v = judge(
        &[
            SELECTED,
            &[("A", "a3 NOOP", &["* 4 EXPUNGE", "a3 OK done"])],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::EXPUNGE_REMOVED], "{v:#?}");
}

#[test]
fn exists_counts_only_messages_that_were_added() {
    let b_appends: &[(&str, &str, &[&str])] =
        &[("B", "b3 APPEND INBOX.r {1}", &["* 4 EXISTS", "b3 OK done"])];
    // Announced during the next command, or while idle (RFC 2060 §5.3): both fine.
    for who in ["A", "A~"] {
        let v = judge(
            &[
                SELECTED,
                b_appends,
                &[
                    (who, "a3 NOOP", &["* 4 EXISTS", "a3 OK done"]),
                    ("A", "a4 NOOP", &["a4 OK done"]),
                ],
            ],
            Profile::Rfc3501,
        );
        assert!(v.is_empty(), "{who}: {v:#?}");
    }
    let v = judge(
        &[
            SELECTED,
            b_appends,
            &[("A", "a3 NOOP", &["* 5 EXISTS", "a3 OK done"])],
        ],
        Profile::Rfc3501,
    );
    assert_eq!(rules(&v), [rule::EXISTS_COUNT], "{v:#?}");
}

#[test]
fn exists_may_come_before_the_pending_expunge_but_may_not_shrink_under_rfc3501() {
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[("A", "a3 NOOP", &["* 3 EXISTS", "* 2 EXPUNGE", "a3 OK done"])],
        ],
        Profile::Rfc3501,
    );
    assert!(v.is_empty(), "{v:#?}");
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[("A", "a3 NOOP", &["* 2 EXISTS", "a3 OK done"])],
        ],
        Profile::Rfc3501,
    );
    assert_eq!(rules(&v), [rule::EXISTS_SHRINK_3501], "{v:#?}");
    let v = judge(
        &[
            SELECTED,
            B_EXPUNGES_2,
            &[("A", "a3 NOOP", &["* 2 EXISTS", "a3 OK done"])],
        ],
        Profile::Rfc2060,
    );
    assert!(v.is_empty(), "RFC 2060 does not say: {v:#?}");
}

#[test]
fn a_new_message_is_announced_before_or_with_its_data() {
    let b_appends: &[(&str, &str, &[&str])] = &[("B", "b3 APPEND INBOX.r {1}", &["b3 OK done"])];
    let v = judge(
        &[
            SELECTED,
            b_appends,
            &[(
                "A",
                "a3 NOOP",
                &["* 4 FETCH (FLAGS ())", "* 4 EXISTS", "a3 OK done"],
            )],
        ],
        Profile::Rfc2060,
    );
    assert!(v.is_empty(), "{v:#?}");
    let v = judge(
        &[
            SELECTED,
            b_appends,
            &[("A", "a3 NOOP", &["* 4 FETCH (FLAGS ())", "a3 OK done"])],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::SIZE_UPDATES], "{v:#?}");
}

#[test]
fn a_fetch_in_progress_during_a_store_shows_the_flags_before_or_after() {
    for shown in ["()", "(\\Flagged)"] {
        let row = format!("* 1 FETCH (UID 1 FLAGS {shown})");
        let v = judge(
            &[
                SELECTED,
                &[
                    (
                        "A&",
                        "a3 FETCH 1 (UID FLAGS)",
                        &[row.as_str(), "a3 OK done"],
                    ),
                    (
                        "B",
                        "b3 STORE 1 +FLAGS (\\Flagged)",
                        &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
                    ),
                ],
            ],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "{shown}: {v:#?}");
    }
    let v = judge(
        &[
            SELECTED,
            &[
                (
                    "B",
                    "b3 STORE 1 +FLAGS (\\Flagged)",
                    &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
                ),
                (
                    "A",
                    "a3 NOOP",
                    &["* 1 FETCH (FLAGS (\\Answered))", "a3 OK done"],
                ),
            ],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::FLAGS_VALUE], "{v:#?}");
}

#[test]
fn a_poll_should_show_flags_the_other_connection_changed() {
    let b_flags: &[(&str, &str, &[&str])] = &[(
        "B",
        "b3 STORE 1 +FLAGS (\\Flagged)",
        &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
    )];
    for shown in [
        &["* 1 FETCH (FLAGS (\\Flagged \\Recent))", "a3 OK done"][..],
        &["* 1 FETCH (UID 1 FLAGS (\\Flagged))", "a3 OK done"][..],
    ] {
        let v = judge(
            &[SELECTED, b_flags, &[("A", "a3 NOOP", shown)]],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "{v:#?}");
    }
    let v = judge(
        &[
            SELECTED,
            b_flags,
            &[
                ("A", "a3 NOOP", &["a3 OK done"]),
                ("A", "a4 NOOP", &["a4 OK done"]),
            ],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(
        rules(&v),
        [rule::FLAG_UPDATES],
        "once per connection: {v:#?}"
    );
    assert_eq!(v[0].kind, Kind::Warning, "a SHOULD");
}

#[test]
fn recent_is_shown_to_one_session_only() {
    let v = judge(
        &[
            SELECTED,
            &[(
                "B",
                "b3 FETCH 1 (FLAGS)",
                &["* 1 FETCH (FLAGS (\\Recent))", "b3 OK done"],
            )],
        ],
        Profile::Rfc2060,
    );
    assert_eq!(rules(&v), [rule::RECENT_FIRST], "{v:#?}");
    // A new message may be \Recent in either connection (RFC 2060 §2.3.2: "it is
    // undefined which of these connections will see newly-arrives messages with
    // \Recent set").
    let v = judge(
        &[
            SELECTED,
            &[
                (
                    "B",
                    "b3 APPEND INBOX.r {1}",
                    &["* 4 EXISTS", "* 1 RECENT", "b3 OK done"],
                ),
                (
                    "B",
                    "b4 FETCH 4 (UID FLAGS)",
                    &["* 4 FETCH (UID 4 FLAGS (\\Recent))", "b4 OK done"],
                ),
                (
                    "A",
                    "a3 FETCH 4 (UID FLAGS)",
                    &["* 4 EXISTS", "* 4 FETCH (UID 4 FLAGS ())", "a3 OK done"],
                ),
            ],
        ],
        Profile::Rfc2060,
    );
    assert!(v.is_empty(), "{v:#?}");
}
