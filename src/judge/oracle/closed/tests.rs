use super::rule as closed_rule;
use super::World;
use crate::judge::oracle::tests::{ex, session};
use crate::judge::oracle::Gap;
use crate::judge::{judge_oracle_in, Coverage, Kind, Verdict};
use crate::model::Profile;
use crate::wire::{Event, Exchange, Fragment, Message, Transcript};

const MSG: &str = "Subject: x\r\n\r\nbody\r\n";

/// `tag APPEND mailbox {n}` with a small message, and the server's answer.
fn append(tag: &str, mailbox: &str, resp: &[&str]) -> Exchange {
    let line = format!("{tag} APPEND {mailbox} {{{}}}\r\n", MSG.len());
    let mut c = Message::default();
    c.fragments.push(Fragment::Line(line.into_bytes()));
    c.fragments.push(Fragment::Literal(MSG.as_bytes().to_vec()));
    c.fragments.push(Fragment::Line(b"\r\n".to_vec()));
    let mut events = vec![Event::Client(c)];
    events.extend(resp.iter().map(|r| Event::Server(Message::line(r))));
    Exchange { events }
}

/// SELECT's answer: `exists` messages, `recent` of them `\Recent`, and `extra` OK codes.
fn select(tag: &str, exists: u32, recent: u32, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)".to_string(),
        format!("* {exists} EXISTS"),
        format!("* {recent} RECENT"),
        "* OK [UIDVALIDITY 7] ok".to_string(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v.push(format!("{tag} OK [READ-WRITE] done"));
    v
}

fn lines(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn judge(t: &Transcript, world: World) -> (Vec<Verdict>, Coverage) {
    judge_oracle_in("srv", t, Profile::Rfc2060, world)
}

fn rules(v: &[Verdict]) -> Vec<&str> {
    v.iter().filter_map(|v| v.rule.as_deref()).collect()
}

#[test]
fn an_exists_for_an_empty_mailbox_is_a_finding_in_a_closed_world_rfc2060_6_3_1() {
    // "<n> EXISTS The number of messages in the mailbox": the account was reset before
    // the session, and the session added nothing.
    let sel = select("a1", 1, 0, &[]);
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&sel)),
        ex("a2 NOOP", &["a2 OK done"]),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::SELECT_EXISTS], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].step, Some(0));
    assert_eq!(v[0].expected, "* 0 EXISTS");
    assert_eq!(v[0].observed, "* 1 EXISTS");
    // Which message the server holds is unknown: the oracle stops with the reason.
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
}

#[test]
fn an_exists_above_the_messages_added_is_a_finding_in_a_closed_world_rfc2060_7_3_1() {
    // "The EXISTS response reports the number of messages in the mailbox."
    let sel = select("a2", 1, 1, &[]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 NOOP", &["* 2 EXISTS", "a3 OK done"]),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::EXISTS_COUNT], "{v:#?}");
    assert_eq!(v[0].step, Some(2));
    assert_eq!(v[0].observed, "* 2 EXISTS");
    assert!(cov.stopped.is_some());
}

#[test]
fn the_same_mismatch_without_exclusive_only_stops_following() {
    // A shared account: another client may have delivered the message.
    let sel = select("a1", 1, 0, &[]);
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&sel)),
        ex("a2 NOOP", &["a2 OK done"]),
    ]);
    let (v, cov) = judge(&t, World::Open);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::UnknownContents));
    let sel = select("a2", 1, 1, &[]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 NOOP", &["* 2 EXISTS", "* 2 RECENT", "a3 OK done"]),
    ]);
    let (v, cov) = judge(&t, World::Open);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
}

#[test]
fn counts_that_agree_with_the_model_are_followed_to_the_end_in_a_closed_world() {
    let sel = select("a2", 1, 1, &["* OK [UIDNEXT 2] next"]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK [APPENDUID 7 1] appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 NOOP", &["a3 OK done"]),
        ex(
            "a4 STATUS INBOX (MESSAGES RECENT UIDNEXT)",
            &[
                "* STATUS INBOX (MESSAGES 1 RECENT 1 UIDNEXT 2)",
                "a4 OK done",
            ],
        ),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn whether_the_sessions_own_append_is_recent_is_the_servers_choice_rfc3501_2_3_2() {
    // RFC 3501 §2.3.2 defines \Recent by the first session notified; servers differ on
    // whether the appending session is it.
    for recent in [0, 1] {
        let sel = select("a2", 1, recent, &[]);
        let t = session(vec![
            append("a1", "INBOX", &["a1 OK appended"]),
            ex("a2 SELECT INBOX", &lines(&sel)),
        ]);
        let (v, cov) = judge(&t, World::Closed);
        assert!(v.is_empty(), "RECENT {recent}: {v:#?}");
        assert_eq!(cov.stopped, None);
    }
}

#[test]
fn a_recent_count_above_the_messages_is_a_finding_rfc2060_6_3_1() {
    // "<n> RECENT The number of messages with the \Recent flag set": not more than exist.
    let sel = select("a2", 1, 2, &[]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::SELECT_RECENT], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].observed, "* 2 RECENT");
    let (v, _) = judge(&t, World::Open);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn recent_before_exists_in_one_exchange_is_no_finding_rfc2060_7_3_2() {
    // The RFC fixes no order between the EXISTS and RECENT of one change.
    let sel = select("a1", 0, 0, &[]);
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&sel)),
        append(
            "a2",
            "INBOX",
            &["* 1 RECENT", "* 1 EXISTS", "a2 OK appended"],
        ),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    // A RECENT above every count of the exchange is one.
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&sel)),
        append(
            "a2",
            "INBOX",
            &["* 1 EXISTS", "* 2 RECENT", "a2 OK appended"],
        ),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::RECENT_COUNT], "{v:#?}");
}

#[test]
fn an_expunge_of_a_number_above_the_count_is_a_finding_rfc2060_7_4_1() {
    // "The EXPUNGE response reports that the specified message sequence number has been
    // permanently removed": the mailbox has no message 2.
    let sel = select("a2", 1, 1, &[]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 NOOP", &["* 2 EXPUNGE", "a3 OK done"]),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::EXPUNGE_REMOVED], "{v:#?}");
    assert_eq!(v[0].observed, "* 2 EXPUNGE");
    assert!(cov.stopped.is_some());
    let (v, _) = judge(&t, World::Open);
    assert!(v.is_empty(), "{v:#?}");
    // Message 1 exists: what removed it is not known, and no sentence is broken.
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 NOOP", &["* 1 EXPUNGE", "a3 OK done"]),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_status_recent_above_its_own_messages_is_a_finding_rfc2060_6_3_10() {
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex(
            "a2 STATUS INBOX (MESSAGES RECENT)",
            &["* STATUS INBOX (MESSAGES 1 RECENT 3)", "a2 OK done"],
        ),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::STATUS_RECENT], "{v:#?}");
}

/// A message whose UID the server shows as `uid`, then (INBOX no longer selected) STATUS
/// answered with `status`.
fn with_uid(uid: u32, status: &[&str]) -> Transcript {
    let sel = select("a2", 1, 1, &[]);
    let fetch = format!("* 1 FETCH (UID {uid})");
    session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex("a2 SELECT INBOX", &lines(&sel)),
        ex("a3 FETCH 1 (UID)", &[fetch.as_str(), "a3 OK done"]),
        ex("a9 CLOSE", &["a9 OK closed"]),
        ex("a4 STATUS INBOX (UIDNEXT)", status),
    ])
}

#[test]
fn a_uidnext_not_above_a_uid_in_use_is_a_finding_rfc2060_6_3_10() {
    // "UIDNEXT The next UID value that will be assigned to a new message", and UIDs are
    // "strictly ascending": a new message's UID is above 5.
    let t = with_uid(5, &["* STATUS INBOX (UIDNEXT 5)", "a4 OK done"]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::STATUS_UIDNEXT], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    // Any value above is the server's choice: UIDs need not be consecutive.
    let t = with_uid(5, &["* STATUS INBOX (UIDNEXT 900)", "a4 OK done"]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
}

#[test]
fn a_uidnext_that_changes_with_nothing_added_is_a_finding_rfc2060_6_3_10() {
    // "this value will not change unless new messages are added to the mailbox".
    let status = |tag: &str, next: u32| {
        (
            format!("{tag} STATUS INBOX (UIDNEXT)"),
            vec![
                format!("* STATUS INBOX (UIDNEXT {next})"),
                format!("{tag} OK done"),
            ],
        )
    };
    let (c1, r1) = status("a2", 2);
    let (c3, r3) = status("a4", 3);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex(&c1, &lines(&r1)),
        ex("a3 NOOP", &["a3 OK done"]),
        ex(&c3, &lines(&r3)),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::UIDNEXT_CHANGES], "{v:#?}");
    let v3501 = judge_oracle_in("srv", &t, Profile::Rfc3501, World::Closed).0;
    assert_eq!(rules(&v3501), vec![closed_rule::UIDNEXT_CHANGES_3501]);
    // An APPEND between may add a message: the value may change.
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex(&c1, &lines(&r1)),
        append("a3", "INBOX", &["a3 OK appended"]),
        ex(&c3, &lines(&r3)),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    let (v, _) = judge(
        &with_uid(5, &["* STATUS INBOX (UIDNEXT 5)", "a4 OK done"]),
        World::Open,
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn the_uidnext_code_of_select_is_held_under_rfc3501_only_rfc3501_6_3_1() {
    // RFC 2060 defines no UIDNEXT response code; RFC 3501 §6.3.1 "OK [UIDNEXT <n>] The
    // next unique identifier value."
    let sel = select("a4", 1, 0, &["* OK [UIDNEXT 5] next"]);
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK appended"]),
        ex(
            "a2 SELECT INBOX",
            &lines(&select("a2", 1, 1, &["* OK [UIDNEXT 6] next"])),
        ),
        ex("a3 FETCH 1 (UID)", &["* 1 FETCH (UID 5)", "a3 OK done"]),
        ex("a4 SELECT INBOX", &lines(&sel)),
    ]);
    let v = judge_oracle_in("srv", &t, Profile::Rfc3501, World::Closed).0;
    assert!(
        rules(&v).contains(&closed_rule::SELECT_UIDNEXT_3501),
        "{v:#?}"
    );
    let (v, _) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_copy_answered_ok_that_copied_nothing_is_blamed_on_copy_rfc2060_6_4_7() {
    // "The COPY command copies the specified message(s) to the end of the specified
    // destination mailbox": the count the server shows may be true; the OK was not.
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&select("a1", 0, 0, &[]))),
        append(
            "a2",
            "INBOX",
            &["* 1 EXISTS", "* 1 RECENT", "a2 OK appended"],
        ),
        ex(
            "a9 FETCH 1 (FLAGS)",
            &["* 1 FETCH (FLAGS (\\Recent))", "a9 OK done"],
        ),
        ex("a3 COPY 1:* INBOX", &["a3 OK copied"]),
        ex("a4 SELECT INBOX", &lines(&select("a4", 1, 1, &[]))),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::COPIES], "{v:#?}");
    // The finding is the COPY's; the SELECT shows it.
    assert_eq!(v[0].step, Some(3));
    assert!(v[0].summary.contains("COPY at step 4"), "{}", v[0].summary);
    assert!(
        v[0].summary.contains("SELECT at step 5"),
        "{}",
        v[0].summary
    );
    assert!(cov.stopped.is_some());
    let (v, _) = judge(&t, World::Open);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_missing_message_after_commands_of_two_kinds_is_not_blamed_on_either() {
    // An APPEND and a COPY since the server last showed the count: which one failed is
    // not known, and the EXISTS itself may be true.
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&select("a1", 0, 0, &[]))),
        append(
            "a2",
            "INBOX",
            &["* 1 EXISTS", "* 1 RECENT", "a2 OK appended"],
        ),
        ex(
            "a9 FETCH 1 (FLAGS)",
            &["* 1 FETCH (FLAGS (\\Recent))", "a9 OK done"],
        ),
        ex("a3 COPY 1 INBOX", &["a3 OK copied"]),
        append("a4", "INBOX", &["a4 OK appended"]),
        ex("a5 SELECT INBOX", &lines(&select("a5", 2, 0, &[]))),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
}

#[test]
fn the_uidnext_of_the_selected_mailbox_in_status_is_not_held() {
    // RFC 3501 §6.3.10: STATUS "SHOULD NOT be used on the currently selected mailbox";
    // a server may answer it from the session's view.
    let sel = select("a1", 0, 0, &[]);
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&sel)),
        append("a2", "INBOX", &["a2 OK [APPENDUID 7 1] appended"]),
        ex(
            "a3 STATUS INBOX (UIDNEXT)",
            &["* STATUS INBOX (UIDNEXT 1)", "a3 OK done"],
        ),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
}

/// Two messages marked `\Deleted`, then EXPUNGE answered with `expunges`, FETCH of what
/// is left, and NOOP answered with `noop`.
fn expunge_session(expunges: &[&str], noop: &[&str]) -> Transcript {
    let mut answer: Vec<&str> = expunges.to_vec();
    answer.push("a5 OK expunged");
    session(vec![
        ex("a1 SELECT INBOX", &lines(&select("a1", 0, 0, &[]))),
        append(
            "a2",
            "INBOX",
            &["* 1 EXISTS", "* 1 RECENT", "a2 OK appended"],
        ),
        append(
            "a3",
            "INBOX",
            &["* 2 EXISTS", "* 2 RECENT", "a3 OK appended"],
        ),
        ex(
            "a4 STORE 1:2 FLAGS (\\Deleted)",
            &[
                "* 1 FETCH (FLAGS (\\Deleted \\Recent))",
                "* 2 FETCH (FLAGS (\\Deleted \\Recent))",
                "a4 OK stored",
            ],
        ),
        ex("a5 EXPUNGE", &answer),
        ex(
            "a6 FETCH 1 (FLAGS)",
            &["* 1 FETCH (FLAGS (\\Deleted \\Recent))", "a6 OK done"],
        ),
        ex("a7 NOOP", noop),
    ])
}

#[test]
fn after_an_expunge_that_kept_a_deleted_message_the_oracle_goes_on_from_the_servers_mailbox_rfc2060_6_4_3(
) {
    // "permanently removes all messages that have the \Deleted flag set": the server
    // removed one of two. The finding is made once; the FETCH of the message it kept is
    // right for the mailbox the server showed.
    let each = crate::judge::oracle::rule::EXPUNGE_EACH;
    let t = expunge_session(&["* 1 EXPUNGE"], &["a7 OK done"]);
    let (v, cov) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![each], "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    // The mailbox the server showed holds one message: a later count of two is wrong.
    let t = expunge_session(&["* 1 EXPUNGE"], &["* 2 EXISTS", "a7 OK done"]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![each, closed_rule::EXISTS_COUNT], "{v:#?}");
    // Without exclusive the oracle stops, as before.
    let (v, cov) = judge(&t, World::Open);
    assert_eq!(rules(&v), vec![each], "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::ExpungedDiffer));
}

#[test]
fn a_copy_answered_ok_that_made_more_copies_is_blamed_on_copy_rfc2060_6_4_7() {
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&select("a1", 0, 0, &[]))),
        append(
            "a2",
            "INBOX",
            &["* 1 EXISTS", "* 1 RECENT", "a2 OK appended"],
        ),
        ex(
            "a9 FETCH 1 (FLAGS)",
            &["* 1 FETCH (FLAGS (\\Recent))", "a9 OK done"],
        ),
        ex("a3 COPY 1 INBOX", &["* 3 EXISTS", "a3 OK copied"]),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::COPIES], "{v:#?}");
    assert!(v[0].summary.contains("1 more;"), "{}", v[0].summary);
}

#[test]
fn after_a_rename_counts_are_not_claimed_rfc2060_6_3_5() {
    // RENAME moves messages between names: which name holds which is the model's
    // reading; a count that disagrees only stops the oracle. Only INBOX's rename fixes a
    // value ("leaving INBOX empty"), held in its own test.
    let t = session(vec![
        ex("a0 CREATE c", &["a0 OK created"]),
        append("a1", "c", &["a1 OK done"]),
        ex("a2 RENAME c b", &["a2 OK renamed"]),
        ex("a3 SELECT b", &lines(&select("a3", 2, 0, &[]))),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
    assert!(!cov.fault_unattributed, "no rule is broken for certain");
    // A RENAME of other names leaves INBOX's count to be judged.
    let t = session(vec![
        ex("a1 CREATE a", &["a1 OK created"]),
        ex("a2 RENAME a b", &["a2 OK renamed"]),
        ex("a3 SELECT INBOX", &lines(&select("a3", 1, 0, &[]))),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::SELECT_EXISTS], "{v:#?}");
}

#[test]
fn a_uidnext_under_another_uidvalidity_is_not_held_to_the_old_uids_rfc2060_2_3_1_1() {
    // A new UIDVALIDITY says the old UIDs no longer hold: UIDNEXT may start again.
    let t = with_uid(
        5,
        &["* STATUS INBOX (UIDNEXT 1 UIDVALIDITY 8)", "a4 OK done"],
    );
    let (v, _) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    let t = with_uid(
        5,
        &["* STATUS INBOX (UIDNEXT 1 UIDVALIDITY 7)", "a4 OK done"],
    );
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::STATUS_UIDNEXT], "{v:#?}");
}

#[test]
fn count_responses_are_read_from_their_first_line() {
    let m = |l: &str| super::count_of(&Message::line(l));
    assert_eq!(m("* 3 EXISTS"), Some(super::Count::Exists(3)));
    assert_eq!(m("* 0 recent"), Some(super::Count::Recent(0)));
    assert_eq!(m("* 2 EXPUNGE"), Some(super::Count::Expunge(2)));
    assert_eq!(m("* 2 FETCH (FLAGS ())"), None);
    assert_eq!(m("a1 OK 2 EXISTS"), None);
}

#[test]
fn only_commands_that_cannot_add_a_message_keep_uidnext_rfc2060_6_3_10() {
    for c in [
        "a NOOP\r\n",
        "a FETCH 1 (UID)\r\n",
        "a EXPUNGE\r\n",
        "a SELECT x\r\n",
    ] {
        assert!(super::adds_nothing(c.as_bytes()), "{c}");
    }
    for c in [
        "a COPY 1 x\r\n",
        "a CREATE x\r\n",
        "a RENAME x y\r\n",
        "a XYZZY\r\n",
    ] {
        assert!(!super::adds_nothing(c.as_bytes()), "{c}");
    }
}

#[test]
fn a_command_refused_unread_keeps_the_next_count_from_being_claimed() {
    // A command broken on purpose and answered BAD is not followed: had the server acted
    // on it anyway, a count the model did not predict would be its doing.
    let t = session(vec![
        ex("a1 APPEND INBOX {x}", &["a1 BAD bad literal"]),
        ex("a2 SELECT INBOX", &lines(&select("a2", 1, 0, &[]))),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.judged, cov.total);
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
    // Once the server showed the count, later ones are held again.
    let t = session(vec![
        ex("a1 APPEND INBOX {x}", &["a1 BAD bad literal"]),
        ex("a2 SELECT INBOX", &lines(&select("a2", 0, 0, &[]))),
        ex("a3 NOOP", &["* 1 EXISTS", "a3 OK done"]),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::EXISTS_COUNT], "{v:#?}");
}

#[test]
fn a_copy_of_overlapping_elements_may_copy_each_once_or_more_rfc3501_9() {
    // RFC 3501 §9: "Servers MAY coalesce overlaps and/or execute the sequence in any
    // order": `COPY 1,1` may add one message or two, so two is no finding; none is.
    let copied = |exists: u32| {
        session(vec![
            ex("a1 SELECT INBOX", &lines(&select("a1", 0, 0, &[]))),
            append(
                "a2",
                "INBOX",
                &["* 1 EXISTS", "* 1 RECENT", "a2 OK appended"],
            ),
            ex(
                "a3 FETCH 1 (FLAGS)",
                &["* 1 FETCH (FLAGS (\\Recent))", "a3 OK done"],
            ),
            ex("a4 CREATE other", &["a4 OK created"]),
            ex("a5 COPY 1,1 other", &["a5 OK copied"]),
            ex("a6 SELECT other", &lines(&select("a6", exists, 0, &[]))),
        ])
    };
    let (v, _) = judge(&copied(2), World::Closed);
    assert!(v.is_empty(), "two copies of `1,1` are allowed: {v:#?}");
    let (v, _) = judge(&copied(0), World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::COPIES], "{v:#?}");
}

#[test]
fn inbox_keeping_its_messages_after_rename_inbox_is_a_finding_rfc2060_6_3_5() {
    // "It moves all messages in INBOX to a new mailbox with the given name, leaving
    // INBOX empty."
    let t = |exists: u32| {
        session(vec![
            append("a1", "INBOX", &["a1 OK done"]),
            ex("a2 RENAME INBOX INBOX.old", &["a2 OK renamed"]),
            ex("a3 SELECT INBOX", &lines(&select("a3", exists, 0, &[]))),
        ])
    };
    let (v, c) = judge(&t(1), World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::INBOX_MOVED], "{v:#?} {c:?}");
    assert_eq!(v[0].step, Some(1), "blamed on the RENAME");
    let (v, cov) = judge(&t(0), World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    // A shared account: another client may have delivered to the new INBOX.
    let (v, _) = judge(&t(1), World::Open);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_status_count_after_a_rename_is_not_blamed_on_status_rfc2060_6_3_10() {
    // INBOX renamed, then an APPEND: whether the extra message stayed behind or the
    // APPEND added two is not told apart, and STATUS reports what the mailbox holds.
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK done"]),
        ex("a2 RENAME INBOX INBOX.notes", &["a2 OK renamed"]),
        append("a3", "INBOX", &["a3 OK done"]),
        ex(
            "a4 STATUS INBOX (MESSAGES UNSEEN)",
            &["* STATUS INBOX (MESSAGES 2 UNSEEN 2)", "a4 OK done"],
        ),
    ]);
    let (v, mut cov) = judge(&t, World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.as_ref().map(|s| s.gap), Some(Gap::CountDiffers));
    // Either sentence is broken, so the exchanges lost are the server's fault.
    assert!(cov.fault_unattributed);
    cov.mark_fault("srv", &v);
    assert!(cov.after_fault);
    // The same STATUS with no APPEND since the RENAME: INBOX was not left empty.
    let t = session(vec![
        append("a1", "INBOX", &["a1 OK done"]),
        ex("a2 RENAME INBOX INBOX.notes", &["a2 OK renamed"]),
        ex(
            "a3 STATUS INBOX (MESSAGES)",
            &["* STATUS INBOX (MESSAGES 1)", "a3 OK done"],
        ),
    ]);
    let (v, _) = judge(&t, World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::INBOX_MOVED], "{v:#?}");
}

#[test]
fn a_noop_that_does_not_announce_an_append_is_followed_until_a_count_shows_it_lost() {
    // RFC 2060 §5.2 asks that size changes be sent (a warning here: whether the server
    // "observed" its own APPEND is not visible); the oracle goes on with the message
    // unannounced. The next SELECT counts one message where two were appended and
    // nothing removed: the second APPEND's OK added nothing (§6.3.11).
    let empty = select("a1", 0, 0, &[]);
    let after = select("a5", 1, 0, &[]);
    let t = session(vec![
        ex("a1 SELECT INBOX", &lines(&empty)),
        append("a2", "INBOX", &["* 1 EXISTS", "a2 OK done"]),
        append("a3", "INBOX", &["a3 OK done"]),
        ex("a4 NOOP", &["a4 OK done"]),
        ex("a5 SELECT INBOX", &lines(&after)),
    ]);
    let (v, cov) = judge(&t, World::Closed);
    // Followed past the NOOP; it stops at the count that shows the loss, after its finding.
    assert_eq!(cov.stopped_at, Some(4), "{v:#?}");
    let kinds: Vec<(Kind, &str)> = v
        .iter()
        .map(|v| (v.kind, v.rule.as_deref().unwrap_or_default()))
        .collect();
    assert!(
        kinds.contains(&(Kind::Warning, crate::judge::oracle::rule::SIZE_UPDATES)),
        "{v:#?}"
    );
    assert!(
        kinds.contains(&(Kind::Violation, closed_rule::APPENDS)),
        "{v:#?}"
    );
}

#[test]
fn the_new_name_of_inbox_holding_fewer_messages_is_a_fault_without_a_finding_rfc2060_6_3_5() {
    // "It moves all messages in INBOX to a new mailbox with the given name": the new name
    // counting fewer than INBOX held breaks that sentence, or the APPEND's ("appends the
    // literal argument as a new message"); which is not told, so no finding, but the
    // exchanges the oracle then loses are the server's fault.
    let t = |exists: u32| {
        session(vec![
            append("a1", "INBOX", &["a1 OK done"]),
            ex("a2 RENAME INBOX INBOX.old", &["a2 OK renamed"]),
            ex("a3 SELECT INBOX.old", &lines(&select("a3", exists, 0, &[]))),
        ])
    };
    let (v, cov) = judge(&t(0), World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped.as_ref().map(|s| s.gap), Some(Gap::CountDiffers));
    assert!(cov.fault_unattributed);
    let (v, cov) = judge(&t(1), World::Closed);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert!(!cov.fault_unattributed);
}

#[test]
fn a_copy_naming_no_message_that_adds_one_copied_what_it_did_not_name_rfc2060_6_4_7() {
    // "The COPY command copies the specified message(s)": `COPY 5` of a mailbox holding
    // one message specifies none, so a copy it makes is of a message not specified.
    let t = |set: &str| {
        session(vec![
            append("a1", "INBOX", &["a1 OK done"]),
            ex("a2 SELECT INBOX", &lines(&select("a2", 1, 1, &[]))),
            append("a3", "INBOX", &["a3 OK done"]),
            ex(
                &format!("a4 COPY {set} INBOX"),
                &["* 3 EXISTS", "a4 OK copied"],
            ),
        ])
    };
    let (v, cov) = judge(&t("5"), World::Closed);
    assert_eq!(rules(&v), vec![closed_rule::COPIES], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].step, Some(3));
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::CountDiffers));
    // Message 2, held but not announced (the second APPEND sent no EXISTS), may be what
    // `COPY 2` copied: no finding.
    let (v, _) = judge(&t("2"), World::Closed);
    assert!(!rules(&v).contains(&closed_rule::COPIES), "{v:#?}");
    // A shared account: another client may have added the message.
    let (v, _) = judge(&t("5"), World::Open);
    assert!(v.is_empty(), "{v:#?}");
}
