//! The oracle follows on past what the server has not shown: flags an APPEND or COPY
//! asked for (a SHOULD), UIDs it never sent, messages it has not announced; its later
//! bytes (counts, COPYUID, FLAGS) settle them, and a finding leaves the server's own
//! state to judge from.

use super::follow_tests::{append, select_empty, select_one, MSG};
use super::tests::{ex, session};
use super::*;

#[test]
fn a_copy_of_a_message_whose_flags_are_unknown_is_followed_rfc2060_6_4_7() {
    let t = session(vec![
        append("a1", "INBOX (\\Seen)", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 COPY 1 INBOX", &["* 2 EXISTS", "a3 OK copied"]),
        ex("a4 NOOP", &["a4 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
}

#[test]
fn a_close_over_unknown_flags_is_checked_by_the_next_count_rfc2060_6_4_2() {
    // RFC 2060 §6.3.11: the server SHOULD keep the flags APPEND asked for, so the appended
    // message may or may not carry \\Deleted; the count at the next SELECT tells which
    // (0: it did, as predicted; 1: it did not, the other side), and nothing else fits.
    for (flags, exists, stopped) in [
        ("\\Deleted", "* 0 EXISTS", None),
        ("\\Deleted", "* 1 EXISTS", None),
        ("\\Deleted", "* 2 EXISTS", Some(Gap::UnknownContents)),
        ("\\Seen", "* 1 EXISTS", None),
        ("\\Seen", "* 0 EXISTS", None),
        ("\\Seen", "* 2 EXISTS", Some(Gap::UnknownContents)),
    ] {
        let t = session(vec![
            append("a1", &format!("INBOX ({flags})"), MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 CLOSE", &["a3 OK closed"]),
            ex(
                "a4 SELECT INBOX",
                &[
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    exists,
                    "* 0 RECENT",
                    "* OK [UIDVALIDITY 7] ok",
                    "a4 OK [READ-WRITE] done",
                ],
            ),
        ]);
        let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
        assert_eq!(cov.stopped.map(|s| s.gap), stopped, "{flags} {exists}");
        assert!(v.is_empty(), "{flags} {exists}: {v:#?}");
    }
}

#[test]
fn the_side_a_close_took_is_then_held_to_the_server_rfc2060_6_4_2() {
    // The appended message asked for \\Seen; the server's count after CLOSE shows it gone
    // (it carried \\Deleted after all). The model goes on from an empty mailbox, and holds
    // the server to it: a SEARCH that then finds message 1 is a finding.
    let t = session(vec![
        append("a1", "INBOX (\\Seen)", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 CLOSE", &["a3 OK closed"]),
        select_empty("a4"),
        ex("a5 FETCH 1 (FLAGS)", &["a5 NO no such message"]),
        ex("a6 NOOP", &["a6 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped, None, "{v:#?}");
    assert_eq!(cov.judged, cov.total);
    assert!(v.is_empty(), "{v:#?}");
    let gone = session(vec![
        append("a1", "INBOX (\\Seen)", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 CLOSE", &["a3 OK closed"]),
        select_empty("a4"),
        ex("a5 SEARCH ALL", &["* SEARCH 1", "a5 OK done"]),
    ]);
    let (v, _) = judge_oracle("srv", &gone, Profile::Rfc2060);
    assert!(
        v.iter().any(|v| v.step == Some(4)),
        "a SEARCH naming a message the server counted gone is judged: {v:#?}"
    );
}

#[test]
fn a_uid_copy_over_a_uid_not_shown_is_told_by_the_servers_count_rfc2060_6_4_7() {
    // The reference server sends no APPENDUID: message 1's UID is unknown, so whether
    // `UID COPY 1` names it depends on it; the EXISTS after the copy says it did.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 UID COPY 1 INBOX", &["* 2 EXISTS", "a3 OK copied"]),
        ex(
            "a4 UID FETCH 1:* FLAGS",
            &[
                "* 1 FETCH (UID 1 FLAGS ())",
                "* 2 FETCH (UID 2 FLAGS ())",
                "a4 OK done",
            ],
        ),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn a_uid_deduced_from_uidnext_is_used_and_a_wrong_one_is_no_finding_rfc2060_2_3_1_1() {
    // UIDNEXT 2 with one message: its UID is 1, so `UID FETCH 1` names it.
    let select = |tag: &str, next: u32| {
        ex(
            &format!("{tag} SELECT INBOX"),
            &[
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                "* 1 EXISTS",
                "* 1 RECENT",
                "* OK [UIDVALIDITY 7] ok",
                &format!("* OK [UIDNEXT {next}] next"),
                &format!("{tag} OK [READ-WRITE] done"),
            ],
        )
    };
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select("a2", 2),
        ex("a3 UID STORE 1 +FLAGS.SILENT (\\Flagged)", &["a3 OK done"]),
        ex("a4 SEARCH FLAGGED", &["* SEARCH 1", "a4 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    let known = |step: usize| {
        cov.identities[step]
            .as_ref()
            .is_some_and(|ids| ids.contains_key(&1))
    };
    assert!(!known(0), "before the SELECT nothing tells the UID");
    assert!(known(1), "the SELECT's UIDNEXT leaves UID 1 only");
    // A server whose UIDNEXT was wrong shows another UID later: the oracle stops, and
    // does not blame that answer for a changed UID.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select("a2", 2),
        ex("a3 FETCH 1 UID", &["* 1 FETCH (UID 5)", "a3 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::UidChanged));
}

#[test]
fn an_expunge_that_announces_a_message_first_numbers_it_like_the_others_rfc2060_7_4_1() {
    // Courier: an APPEND into the selected mailbox announced only by the EXPUNGE's
    // EXISTS; the STORE it refused to apply left the flags unknown to the model.
    let t = session(vec![
        select_empty("a1"),
        append("a2", "INBOX", MSG, &["a2 OK done"]),
        ex(
            "a3 STORE 1 -FLAGS (\\Answered)",
            &[
                "* NO Invalid message sequence number: 1",
                "a3 OK STORE completed.",
            ],
        ),
        ex("a4 EXPUNGE", &["* 1 EXISTS", "* 0 RECENT", "a4 OK done"]),
        ex("a5 FETCH 1 FLAGS", &["* 1 FETCH (FLAGS ())", "a5 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn a_uid_copy_elsewhere_over_a_uid_not_shown_is_checked_by_the_destinations_count() {
    let t = |exists: &str| {
        session(vec![
            ex("a0 CREATE INBOX.b", &["a0 OK done"]),
            append("a1", "INBOX", MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 UID COPY 1 INBOX.b", &["a3 OK copied"]),
            ex(
                "a4 SELECT INBOX.b",
                &[
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    exists,
                    "* 0 RECENT",
                    "* OK [UIDVALIDITY 8] ok",
                    "a4 OK [READ-WRITE] done",
                ],
            ),
        ])
    };
    let (v, cov) = judge_oracle("srv", &t("* 1 EXISTS"), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    // The set did not name the message (its UID was not 1): the prediction is dropped.
    let (v, cov) = judge_oracle("srv", &t("* 0 EXISTS"), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::UnknownContents));
}

#[test]
fn a_uid_copy_the_model_refuses_is_not_judged_as_the_copy_it_may_mean() {
    // RFC 2060 does not define `3:1`: the BAD is the server's to give.
    let t = session(vec![
        ex("a0 CREATE INBOX.b", &["a0 OK done"]),
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 UID COPY 3,3:1,1 INBOX.b", &["a3 BAD out of range"]),
    ]);
    let (v, _) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_copy_beyond_the_mailbox_accepted_copies_what_is_in_it_as_the_count_shows() {
    // RFC 2060 does not say what a COPY naming a message beyond the mailbox does: a
    // server that copies the messages that exist, and counts them, is followed.
    let t = |exists: &str| {
        session(vec![
            append("a1", "INBOX", MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 COPY 1:15 INBOX", &[exists, "a3 OK copied"]),
            ex("a4 NOOP", &["a4 OK done"]),
        ])
    };
    let (v, cov) = judge_oracle("srv", &t("* 2 EXISTS"), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    // Three messages after copying one: not what the set can have copied.
    let (_, cov) = judge_oracle("srv", &t("* 3 EXISTS"), Profile::Rfc2060);
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::AcceptedWhereRefused));
}

#[test]
fn a_close_whose_prediction_splits_the_unknown_messages_stops_at_a_named_gap() {
    // One APPEND asked for \Deleted, one did not; both sets of flags are the server's
    // choice (SHOULD): a count after CLOSE would not tell which message went.
    let t = session(vec![
        append("a1", "INBOX (\\Deleted)", MSG, &["a1 OK done"]),
        append("a2", "INBOX (\\Seen)", MSG, &["a2 OK done"]),
        ex(
            "a3 SELECT INBOX",
            &[
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                "* 2 EXISTS",
                "* 2 RECENT",
                "* OK [UIDVALIDITY 7] ok",
                "a3 OK [READ-WRITE] done",
            ],
        ),
        ex("a4 CLOSE", &["a4 OK closed"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    let stop = cov.stopped.expect("a gap");
    assert_eq!(stop.gap, Gap::FlagsNotShown);
    assert_eq!(
        stop.to_string(),
        "CLOSE over flags the server has not shown"
    );
}

#[test]
fn a_copy_of_a_range_written_high_to_low_is_followed_where_the_count_tells_its_reading() {
    // RFC 2060 does not say what `2:1` means; two copies read it as `1:2`.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        append("a2", "INBOX", MSG, &["a2 OK done"]),
        ex(
            "a3 SELECT INBOX",
            &[
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                "* 2 EXISTS",
                "* 2 RECENT",
                "* OK [UIDVALIDITY 7] ok",
                "a3 OK [READ-WRITE] done",
            ],
        ),
        ex("a4 COPY 2:1 INBOX", &["* 4 EXISTS", "a4 OK copied"]),
        ex("a5 NOOP", &["a5 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
}

#[test]
fn a_copy_beyond_the_mailbox_accepted_makes_the_copies_its_copyuid_names_rfc4315_3() {
    // `1,1,5` names a message that does not exist; the server copied message 1 twice and
    // said so in COPYUID: the destination then holds two messages.
    let t = |dest_exists: &str| {
        session(vec![
            ex("a0 CREATE INBOX.b", &["a0 OK done"]),
            append("a1", "INBOX", MSG, &["a1 OK [APPENDUID 7 1] done"]),
            select_one("a2"),
            ex(
                "a3 COPY 1,1,5 INBOX.b",
                &["* NO no message 5", "a3 OK [COPYUID 9 1,1 1:2] copied"],
            ),
            ex("a4 STATUS INBOX.b (MESSAGES)", &[dest_exists, "a4 OK done"]),
        ])
    };
    let (v, cov) = judge_oracle("srv", &t("* STATUS INBOX.b (MESSAGES 2)"), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    // Where the tool owns the account, a count the copies do not make is a finding.
    let (v, _) = judge_oracle_in(
        "srv",
        &t("* STATUS INBOX.b (MESSAGES 3)"),
        Profile::Rfc2060,
        World::Closed,
    );
    assert!(
        v.iter().any(|v| v.kind == Kind::Violation),
        "a third message in INBOX.b went unnoticed: {v:#?}"
    );
}

#[test]
fn a_copy_the_model_refuses_is_not_followed_from_a_copyuid_whose_sets_differ_in_length() {
    let t = session(vec![
        ex("a0 CREATE INBOX.b", &["a0 OK done"]),
        append("a1", "INBOX", MSG, &["a1 OK [APPENDUID 7 1] done"]),
        select_one("a2"),
        ex("a3 COPY 1,5 INBOX.b", &["a3 OK [COPYUID 9 1 1:2] copied"]),
        ex("a4 NOOP", &["a4 OK done"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::AcceptedWhereRefused));
}

#[test]
fn status_messages_is_held_where_only_the_copies_flags_are_unknown_rfc2060_6_3_10() {
    // A copy's flags are the server's choice (SHOULD, §6.4.7): UNSEEN is unknown, but
    // MESSAGES is "the number of messages in the mailbox" all the same.
    let t = |messages: u32| {
        session(vec![
            ex("a0 CREATE INBOX.b", &["a0 OK done"]),
            append("a1", "INBOX", MSG, &["a1 OK [APPENDUID 7 1] done"]),
            select_one("a2"),
            ex("a3 COPY 1 INBOX.b", &["a3 OK copied"]),
            ex(
                "a4 STATUS INBOX.b (MESSAGES UNSEEN)",
                &[
                    &format!("* STATUS INBOX.b (MESSAGES {messages} UNSEEN 0)"),
                    "a4 OK done",
                ],
            ),
        ])
    };
    let (v, cov) = judge_oracle_in("srv", &t(1), Profile::Rfc2060, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    let (v, _) = judge_oracle_in("srv", &t(3), Profile::Rfc2060, World::Closed);
    assert_eq!(
        v.iter().map(|v| v.rule.as_deref()).collect::<Vec<_>>(),
        vec![Some(rule::STATUS_VALUE)],
        "{v:#?}"
    );
    // A shared account: another client may have added the two, so only a stop.
    let (v, cov) = judge_oracle_in("srv", &t(3), Profile::Rfc2060, World::Open);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
}

#[test]
fn a_stop_at_or_after_the_servers_own_fault_is_not_counted_against_the_model() {
    let verdict = |kind: Kind, target: &str, step: Option<usize>| Verdict {
        kind,
        targets: vec![target.to_string()],
        step,
        rule: None,
        summary: String::new(),
        expected: String::new(),
        observed: String::new(),
        cause: None,
    };
    let stopped_at_3 = || Coverage {
        judged: 3,
        total: 10,
        stopped: Some(Stop::at(Gap::CountDiffers)),
        stopped_at: Some(3),
        ..Coverage::default()
    };
    let marked = |v: Vec<Verdict>| {
        let mut c = stopped_at_3();
        c.mark_fault("srv", &v);
        c.after_fault
    };
    assert!(marked(vec![verdict(Kind::Violation, "srv", Some(2))]));
    assert!(marked(vec![verdict(Kind::Syntax, "srv", Some(3))]));
    assert!(marked(vec![verdict(Kind::Crash, "srv", Some(9))]));
    // Later, elsewhere, of the setup, or only a SHOULD: the stop is the model's gap.
    assert!(!marked(vec![verdict(Kind::Violation, "srv", Some(4))]));
    assert!(!marked(vec![verdict(Kind::Violation, "other", Some(1))]));
    assert!(!marked(vec![verdict(Kind::Violation, "srv", None)]));
    assert!(!marked(vec![verdict(Kind::Warning, "srv", Some(1))]));
    // Counted: the exchanges lost are left out of the rate where the server was right.
    let mut c = stopped_at_3();
    c.mark_fault("srv", &[verdict(Kind::Violation, "srv", Some(1))]);
    let mut t = Tally::default();
    t.add(&c);
    t.add(&Coverage {
        judged: 10,
        total: 10,
        ..Coverage::default()
    });
    assert_eq!(t.lost_after_fault, 7);
    assert_eq!(t.percent(), 65.0);
    assert_eq!(t.percent_where_correct(), 100.0);
}

#[test]
fn a_copy_naming_no_message_answered_ok_copied_nothing_rfc2060_6_4_7() {
    // `COPY 5` of a mailbox of one message: whatever the server says, there was nothing
    // to copy.
    let t = |messages: u32| {
        session(vec![
            ex("a0 CREATE INBOX.b", &["a0 OK done"]),
            append("a1", "INBOX", MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 COPY 5 INBOX.b", &["* NO no message 5", "a3 OK copied"]),
            ex(
                "a4 STATUS INBOX.b (MESSAGES)",
                &[
                    &format!("* STATUS INBOX.b (MESSAGES {messages})"),
                    "a4 OK done",
                ],
            ),
        ])
    };
    let (v, cov) = judge_oracle_in("srv", &t(0), Profile::Rfc2060, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.skipped.get(&Skip::AcceptedBounded), Some(&1));
    let (v, _) = judge_oracle_in("srv", &t(1), Profile::Rfc2060, World::Closed);
    assert!(!v.is_empty(), "a message from nowhere went unnoticed");
}

#[test]
fn the_uids_of_copies_are_learnt_from_copyuid_rfc4315_3() {
    // "the second is the set of UIDs assigned to the copied messages, in the same order"
    let t = |copyuid: &str| {
        session(vec![
            ex("a0 CREATE INBOX.b", &["a0 OK done"]),
            append("a1", "INBOX", MSG, &["a1 OK [APPENDUID 7 1] done"]),
            select_one("a2"),
            ex(
                "a3 COPY 1 INBOX",
                &["* 2 EXISTS", &format!("a3 OK [{copyuid}] copied")],
            ),
            ex("a4 UID COPY 2 INBOX.b", &["a4 OK copied"]),
            ex(
                "a5 STATUS INBOX.b (MESSAGES)",
                &["* STATUS INBOX.b (MESSAGES 1)", "a5 OK done"],
            ),
        ])
    };
    let (v, cov) = judge_oracle_in("srv", &t("COPYUID 7 1 2"), Profile::Rfc2060, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None, "UID 2 is the copy");
    // Without COPYUID the copy's UID is the server's secret: UID 2 names nothing known.
    let knows_uid_2 = |c: &Coverage| c.identities[3].as_ref().is_some_and(|m| m.contains_key(&2));
    assert!(knows_uid_2(&cov), "{cov:?}");
    // Without COPYUID the copy's UID is the server's to show.
    let (_, cov) = judge_oracle_in("srv", &t("READ-WRITE"), Profile::Rfc2060, World::Closed);
    assert!(!knows_uid_2(&cov), "{cov:?}");
}

#[test]
fn an_expunge_under_examine_answered_ok_without_expunge_responses_removed_nothing_rfc2060_6_3_2() {
    let t = |answer: &[&str]| {
        session(vec![
            append("a1", "INBOX (\\Deleted)", MSG, &["a1 OK done"]),
            ex(
                "a2 EXAMINE INBOX",
                &[
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    "* 1 EXISTS",
                    "* 1 RECENT",
                    "* OK [UIDVALIDITY 7] ok",
                    "a2 OK [READ-ONLY] done",
                ],
            ),
            ex("a3 EXPUNGE", answer),
            ex("a4 NOOP", &["a4 OK done"]),
        ])
    };
    let (v, cov) = judge_oracle_in(
        "srv",
        &t(&["* 1 EXISTS", "a3 OK done"]),
        Profile::Rfc2060,
        World::Closed,
    );
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.skipped.get(&Skip::AcceptedBounded), Some(&1));
    // An EXPUNGE response says something went: not followed as nothing.
    let (_, cov) = judge_oracle_in(
        "srv",
        &t(&["* 1 EXPUNGE", "a3 OK done"]),
        Profile::Rfc2060,
        World::Closed,
    );
    assert_ne!(cov.skipped.get(&Skip::AcceptedBounded), Some(&1));
}

/// `tag LIST "" {n+}` whose literal is `<tag>z NOOP`, refused with BAD by a server
/// without LITERAL+, which then ran the literal as a NOOP: its responses follow.
fn literal_noop(tag: &str, noop: &[&str]) -> Exchange {
    use crate::wire::{Event, Fragment};
    let inner = format!("{tag}z NOOP");
    let mut c = Message::default();
    c.fragments.push(Fragment::Line(
        format!("{tag} LIST \"\" {{{}+}}\r\n", inner.len()).into_bytes(),
    ));
    c.fragments.push(Fragment::Literal(inner.into_bytes()));
    c.fragments.push(Fragment::Line(b"\r\n".to_vec()));
    let mut events = vec![
        Event::Client(c),
        Event::Server(Message::line(format!("{tag} BAD Invalid command"))),
    ];
    events.extend(noop.iter().map(|r| Event::Server(Message::line(r))));
    events.push(Event::Server(Message::line(format!("{tag}z OK NOOP done"))));
    Exchange { events }
}

#[test]
fn a_literal_run_as_a_noop_announces_the_messages_the_model_holds_rfc2060_7_3_1() {
    // The copy is made but not announced; the NOOP the literal became announces it, so a
    // SEARCH that then finds message 2 finds the copy (whose flags are unknown: a COPY
    // SHOULD keep them, RFC 2060 §6.4.7), and no message the model lacks.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 COPY 1 INBOX", &["a3 OK [COPYUID 7 1 2] copied"]),
        literal_noop("a4", &["* 2 EXISTS", "* 0 RECENT"]),
        ex("a5 SEARCH UNKEYWORD todo", &["* SEARCH 1 2", "a5 OK done"]),
        ex("a6 SEARCH ALL", &["* SEARCH 1 2", "a6 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn an_exists_above_every_message_the_model_holds_stops_it_and_blames_no_search() {
    // The NOOP announces a second message the model never saw made: it lost track, and
    // what the server then finds is not held against the model's one message.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        literal_noop("a3", &["* 2 EXISTS", "* 0 RECENT"]),
        ex("a4 SEARCH UNKEYWORD todo", &["* SEARCH 1 2", "a4 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
}

#[test]
fn an_expunge_whose_exists_leaves_no_room_for_unannounced_messages_removed_them_rfc2060_7_3_1() {
    // The copy is not announced and its flags are unknown (a COPY SHOULD keep them, RFC
    // 2060 §6.4.7). EXPUNGE sends no EXPUNGE response and `* 1 EXISTS`: the mailbox holds
    // one message, the announced one, so the copy is not in it. Without the EXISTS
    // whether it went is not shown.
    let t = |exists: &[&str]| {
        let mut resp = exists.to_vec();
        resp.push("a4 OK expunged");
        session(vec![
            append("a1", "INBOX", MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 COPY 1 INBOX", &["a3 OK copied"]),
            ex("a4 EXPUNGE", &resp),
            ex("a5 SEARCH ALL", &["* SEARCH 1", "a5 OK done"]),
            ex("a6 NOOP", &["a6 OK done"]),
        ])
    };
    let (v, cov) = judge_oracle("srv", &t(&["* 1 EXISTS"]), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    let (_, cov) = judge_oracle("srv", &t(&[]), Profile::Rfc2060);
    assert_eq!(
        cov.stopped.map(|s| (s.gap, s.command)),
        Some((Gap::FlagsNotShown, Some("EXPUNGE".to_string())))
    );
}

#[test]
fn a_uid_copy_of_a_range_written_high_to_low_is_followed_where_the_count_tells_rfc2060_6_4_8() {
    // RFC 2060 does not say what `2:1` means; a reading that copies anything copies UIDs
    // 1 to 2, and the EXISTS that counts two copies says the server read it so.
    let t = |exists: &str| {
        session(vec![
            append("a1", "INBOX", MSG, &["a1 OK done"]),
            append("a2", "INBOX", MSG, &["a2 OK done"]),
            ex(
                "a3 SELECT INBOX",
                &[
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    "* 2 EXISTS",
                    "* 2 RECENT",
                    "* OK [UIDVALIDITY 7] ok",
                    "a3 OK [READ-WRITE] done",
                ],
            ),
            ex(
                "a4 UID FETCH 1:* UID",
                &["* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "a4 OK done"],
            ),
            ex("a5 UID COPY 2:1 INBOX", &[exists, "a5 OK copied"]),
            ex("a6 SEARCH ALL", &["* SEARCH 1 2 3 4", "a6 OK done"]),
        ])
    };
    let (v, cov) = judge_oracle("srv", &t("* 4 EXISTS"), Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    let (_, cov) = judge_oracle("srv", &t("* 3 EXISTS"), Profile::Rfc2060);
    assert!(cov.stopped.is_some());
}

#[test]
fn flags_a_server_showed_for_a_message_it_fetched_unasked_are_its_state_afterwards() {
    // `UID FETCH 9` names no message; the server sends message 1's body and sets \Seen on
    // it. That is one finding (RFC 2060 §6.4.8); message 1 then has \Seen on the server,
    // and a later FLAGS that shows it is right for that state, not a second finding.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex(
            "a3 UID FETCH 1 FLAGS",
            &["* 1 FETCH (UID 1 FLAGS ())", "a3 OK done"],
        ),
        ex(
            "a4 UID FETCH 9 RFC822.TEXT",
            &[
                "* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.TEXT \"body\\r\\n\")",
                "a4 OK done",
            ],
        ),
        ex(
            "a5 FETCH 1 FLAGS",
            &["* 1 FETCH (FLAGS (\\Seen))", "a5 OK done"],
        ),
    ]);
    let (v, _) = judge_oracle("srv", &t, Profile::Rfc2060);
    let steps: Vec<Option<usize>> = v.iter().map(|v| v.step).collect();
    assert_eq!(steps, vec![Some(3)], "{v:#?}");
}

#[test]
fn a_flags_list_lacking_a_set_flag_is_blamed_where_it_was_sent_rfc2060_7_4_2() {
    // \Draft was set (STORE answered OK); a FETCH then lists FLAGS () only. A later
    // STORE removes \Draft, so its FLAGS cannot tell a partial list from a lost flag:
    // the first reading stands, and it is the FETCH's answer that lacks the flag, not
    // the later STORE's, whose FLAGS are right.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 STORE 1 +FLAGS.SILENT (\\Draft)", &["a3 OK done"]),
        ex("a4 FETCH 1 FLAGS", &["* 1 FETCH (FLAGS ())", "a4 OK done"]),
        ex(
            "a5 STORE 1 -FLAGS (\\Draft)",
            &["* 1 FETCH (FLAGS ())", "a5 OK done"],
        ),
    ]);
    let (v, _) = judge_oracle("srv", &t, Profile::Rfc2060);
    let steps: Vec<Option<usize>> = v.iter().map(|v| v.step).collect();
    assert_eq!(steps, vec![Some(3)], "{v:#?}");
}
