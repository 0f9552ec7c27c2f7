use super::*;
use crate::wire::{End, Event, Fragment};

mod authenticate;
mod commands;
mod model_errors;

/// A session logged in as `u1`, whose setup listed only INBOX.
pub(in crate::judge::oracle) fn session(script: Vec<Exchange>) -> Transcript {
    Transcript {
        greeting: Some(Message::line("* OK ready")),
        setup: vec![
            Exchange::from_lines("s1 LOGIN u1 pw", &["s1 OK logged in"]),
            Exchange::from_lines("s3 LIST \"\" *", &["* LIST () \".\" INBOX", "s3 OK listed"]),
        ],
        script,
        end: End::Completed,
    }
}

pub(in crate::judge::oracle) fn ex(cmd: &str, resp: &[&str]) -> Exchange {
    Exchange::from_lines(cmd, resp)
}

/// `tag APPEND mailbox {n}` + message + the server's answer.
fn append(tag: &str, mailbox: &str, msg: &str, resp: &[&str]) -> Exchange {
    let line = format!("{tag} APPEND {mailbox} {{{}}}\r\n", msg.len());
    let mut c = Message::default();
    c.fragments.push(Fragment::Line(line.into_bytes()));
    c.fragments.push(Fragment::Literal(msg.as_bytes().to_vec()));
    c.fragments.push(Fragment::Line(b"\r\n".to_vec()));
    let mut events = vec![Event::Client(c)];
    events.extend(resp.iter().map(|r| Event::Server(Message::line(r))));
    Exchange { events }
}

const SELECT_OK: [&str; 5] = [
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* 0 EXISTS",
    "* 0 RECENT",
    "* OK [UIDVALIDITY 7] ok",
    "a1 OK [READ-WRITE] done",
];

/// SELECT's answer for a mailbox of `n` messages (all \\Recent).
fn select_with(n: u32) -> Vec<String> {
    vec![
        SELECT_OK[0].to_string(),
        format!("* {n} EXISTS"),
        format!("* {n} RECENT"),
        SELECT_OK[3].to_string(),
        "a1 OK [READ-WRITE] done".to_string(),
    ]
}

fn judge(t: &Transcript, profile: Profile) -> Vec<Verdict> {
    judge_oracle("srv", t, profile).0
}

fn rules(v: &[Verdict]) -> Vec<&str> {
    v.iter().filter_map(|v| v.rule.as_deref()).collect()
}

#[test]
fn a_seen_shown_under_examine_is_not_taken_for_the_stored_flags() {
    let msg = "Subject: x\r\n\r\nbody\r\n";
    let examine = [
        SELECT_OK[0],
        "* 1 EXISTS",
        "* 1 RECENT",
        SELECT_OK[3],
        "a2 OK [READ-ONLY] done",
    ];
    let select = [
        SELECT_OK[0],
        "* 1 EXISTS",
        "* 0 RECENT",
        SELECT_OK[3],
        "* OK [UNSEEN 1] first unseen",
        "a5 OK [READ-WRITE] done",
    ];
    let t = session(vec![
        // The APPEND's flags are not yet shown: the oracle learns them from FLAGS.
        append("a1", "INBOX (\\Draft)", msg, &["a1 OK done"]),
        ex("a2 EXAMINE INBOX", &examine),
        // A \Seen under EXAMINE need not outlive the selection.
        ex(
            "a3 FETCH 1 FLAGS",
            &["* 1 FETCH (FLAGS (\\Seen))", "a3 OK done"],
        ),
        ex("a4 CLOSE", &["a4 OK done"]),
        ex("a5 SELECT INBOX", &select),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert!(!rules(&v).contains(&rule::UNSEEN_CODE), "{v:#?}");
}

#[test]
fn status_must_not_take_the_recent_flag_rfc2060_6_3_10() {
    let create = ex("a1 CREATE box", &["a1 OK done"]);
    let status = |tag: &str, n: u32| {
        let line = format!("* STATUS box (RECENT {n})");
        let done = format!("{tag} OK done");
        ex(&format!("{tag} STATUS box (RECENT)"), &[&line, &done])
    };
    let msg = "Subject: x\r\n\r\nbody\r\n";
    // The second STATUS lost the \Recent flag the first one saw.
    let t = session(vec![create.clone(), status("a2", 0), status("a3", 0)]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    let t = session(vec![
        create.clone(),
        append("a2", "box", msg, &["a2 OK done"]),
        status("a3", 1),
        status("a4", 0),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::STATUS_NO_SIDE_EFFECTS], "{v:#?}");
    assert_eq!(v[0].step, Some(3));
    // An APPEND between them may change the count.
    let t = session(vec![
        create,
        status("a2", 0),
        append("a3", "box", msg, &["a3 OK done"]),
        status("a4", 1),
    ]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

#[test]
fn a_refused_append_or_copy_leaves_its_destination_as_it_was() {
    let msg = "Subject: x\r\n\r\nbody\r\n";
    // RFC 2060 §6.3.11: the APPEND was refused, yet the mailbox gained a message.
    let mut select = SELECT_OK.to_vec();
    select[4] = "a2 OK [READ-WRITE] done";
    let t = session(vec![
        ex("a1 CREATE box", &["a1 OK done"]),
        ex("a2 SELECT box", &select),
        append("a3", "box", msg, &["a3 NO [OVERQUOTA] quota exceeded"]),
        ex("a4 NOOP", &["* 1 EXISTS", "a4 OK done"]),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::APPEND_ATOMIC], "{v:#?}");
    assert_eq!(v[0].step, Some(3));
    // RFC 2060 §6.4.7: a refused COPY, seen through STATUS of the destination.
    let t = session(vec![
        ex("a1 CREATE box", &["a1 OK done"]),
        append("a2", "INBOX", msg, &["a2 OK done"]),
        ex(
            "a3 SELECT INBOX",
            &select_with(1)
                .iter()
                .map(|l| l.replace("a1 ", "a3 "))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
        ex("a4 COPY 1 box", &["a4 NO no room"]),
        ex(
            "a5 STATUS box (MESSAGES)",
            &["* STATUS box (MESSAGES 1)", "a5 OK done"],
        ),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::COPY_ATOMIC], "{v:#?}");
    // Without a refused APPEND or COPY the oracle only stops following.
    let t = session(vec![
        ex("a1 CREATE box", &["a1 OK done"]),
        ex("a2 SELECT box", &select),
        ex("a4 NOOP", &["* 1 EXISTS", "a4 OK done"]),
    ]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

#[test]
fn a_listed_name_is_valid_for_select_and_as_a_reference_rfc2060_7_2_2() {
    // The setup's `LIST "" *` listed INBOX without \Noselect.
    let t = session(vec![ex(
        "a1 SELECT INBOX",
        &["a1 BAD invalid mailbox name"],
    )]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::NAME_SELECTABLE], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    let t = session(vec![ex(
        "a1 STATUS INBOX (MESSAGES)",
        &["a1 NO [TRYCREATE] no such mailbox"],
    )]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::NAME_SELECTABLE]
    );
    let t = session(vec![ex("a1 LIST INBOX %", &["a1 BAD bad reference"])]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::NAME_VALID_REFERENCE]
    );
    // NO for the server's own reasons is allowed.
    let t = session(vec![ex("a1 SELECT INBOX", &["a1 NO [INUSE] try later"])]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

/// `command`, then one FETCH response `head {n} CRLF data )`, then `done`.
fn fetch_literal(command: &str, head: &str, data: &[u8], done: &str) -> Exchange {
    let mut m = Message::default();
    m.fragments.push(Fragment::Line(
        format!("{head}{{{}}}\r\n", data.len()).into_bytes(),
    ));
    m.fragments.push(Fragment::Literal(data.to_vec()));
    m.fragments.push(Fragment::Line(b")\r\n".to_vec()));
    Exchange {
        events: vec![
            Event::Client(Message::line(command)),
            Event::Server(m),
            Event::Server(Message::line(done)),
        ],
    }
}

#[test]
fn a_search_in_utf8_decodes_text_parts_rfc2060_6_4_4() {
    let msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
               Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
               dXJnZW50\r\n--b--\r\n";
    let select = select_with(1)
        .iter()
        .map(|l| l.replace("a1 ", "a2 "))
        .collect::<Vec<_>>();
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let run = |charset: &str, answer: &str| {
        session(vec![
            append("a1", "INBOX", msg, &["a1 OK done"]),
            ex("a2 SELECT INBOX", &select),
            ex(
                &format!("a3 SEARCH {charset}BODY urgent"),
                &[answer, "a3 OK done"],
            ),
        ])
    };
    let v = judge(&run("CHARSET UTF-8 ", "* SEARCH"), Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::DECODE_BEFORE_COMPARE], "{v:#?}");
    assert!(judge(&run("CHARSET UTF-8 ", "* SEARCH 1"), Profile::Rfc2060).is_empty());
    // Without a CHARSET the server may search the encoded octets.
    assert!(judge(&run("", "* SEARCH"), Profile::Rfc2060).is_empty());
    assert!(judge(&run("", "* SEARCH 1"), Profile::Rfc2060).is_empty());
}

#[test]
fn names_the_server_makes_up_are_modified_utf7_rfc2060_5_1_3() {
    assert_eq!(mutf7_problem(b"Entw&APw-rfe"), None);
    assert_eq!(mutf7_problem(b"a&-b"), None);
    // "&AGE-" encodes "a".
    assert_eq!(
        mutf7_problem(b"&AGE-").map(|p| p.0),
        Some(rule::MUTF7_NO_ENCODED_ASCII)
    );
    assert_eq!(
        mutf7_problem(b"x&APw").map(|p| p.0),
        Some(rule::MUTF7_END_ASCII)
    );
    let listed = |name: &str| {
        let line = format!("* LIST () \".\" \"{name}\"");
        ex("a1 LIST \"\" *", &[&line, "a1 OK done"])
    };
    let v = judge(&session(vec![listed("&AGE-")]), Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::MUTF7_NO_ENCODED_ASCII], "{v:#?}");
    // A name the client made up is the client's business.
    let t = session(vec![
        ex("a1 CREATE &AGE-", &["a1 OK done"]),
        listed("&AGE-"),
    ]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

#[test]
fn headers_are_seven_bit_rfc2060_7_4_2() {
    let msg = "Subject: plain\r\n\r\nbody\r\n";
    let select = select_with(1)
        .iter()
        .map(|l| l.replace("a1 ", "a2 "))
        .collect::<Vec<_>>();
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let t = session(vec![
        append("a1", "INBOX", msg, &["a1 OK done"]),
        ex("a2 SELECT INBOX", &select),
        fetch_literal(
            "a3 FETCH 1 BODY.PEEK[HEADER]",
            "* 1 FETCH (BODY[HEADER] ",
            "Subject: pl\u{e4}in\r\n\r\n".as_bytes(),
            "a3 OK done",
        ),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::HEADERS_7BIT], "{v:#?}");
    assert!(is_header_section("BODY[1.MIME]") && is_header_section("RFC822.HEADER"));
    assert!(!is_header_section("BODY[TEXT]"));
}

#[test]
fn command_names_are_case_insensitive_rfc2060_9() {
    let t = session(vec![ex("a1 nOoP", &["a1 BAD unknown command"])]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::CASE_INSENSITIVE], "{v:#?}");
    assert_eq!(v[0].kind, Kind::Violation);
    // In upper case a BAD is only a warning (the model cannot say what was wrong).
    let t = session(vec![ex("a1 NOOP", &["a1 BAD unknown command"])]);
    assert_eq!(rules(&judge(&t, Profile::Rfc2060)), vec![rule::BAD_MEANING]);
    assert!(!only_a_recased_name(b"a1 fetch 1 FLAGS\r\n"));
    assert!(only_a_recased_name(b"a1 check\r\n"));
}

#[test]
fn a_count_is_blamed_on_a_refused_append_only_when_nothing_else_changed() {
    let msg = "Subject: x\r\n\r\nbody\r\n";
    let mut select = SELECT_OK.to_vec();
    select[4] = "a2 OK [READ-WRITE] done";
    // A STATUS between them showed the refused APPEND left nothing.
    let t = session(vec![
        ex("a1 CREATE box", &["a1 OK done"]),
        append("a2", "box", msg, &["a2 NO no"]),
        ex(
            "a3 STATUS box (MESSAGES)",
            &["* STATUS box (MESSAGES 0)", "a3 OK done"],
        ),
        ex(
            "a4 STATUS box (MESSAGES)",
            &["* STATUS box (MESSAGES 1)", "a4 OK done"],
        ),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert!(!rules(&v).contains(&rule::APPEND_ATOMIC), "{v:#?}");
    // A RENAME between them may have brought the message.
    let t = session(vec![
        ex("a1 CREATE box", &["a1 OK done"]),
        append("a2", "box", msg, &["a2 NO no"]),
        ex("a3 RENAME other box2", &["a3 NO no"]),
        ex(
            "a4 STATUS box (MESSAGES)",
            &["* STATUS box (MESSAGES 1)", "a4 OK done"],
        ),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert!(!rules(&v).contains(&rule::APPEND_ATOMIC), "{v:#?}");
}

#[test]
fn extension_data_beyond_language_and_location_is_undefined() {
    let body = |s: &str| crate::judge::lex::items(s.as_bytes(), 0).unwrap()[0].clone();
    // RFC 2060 §7.4.2: a TEXT part: 7 fields, lines, then MD5, disposition,
    // language; RFC 3501 adds location.
    let text = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 3 1";
    assert_eq!(undefined_extension(&body(&format!("{text})"))), None);
    assert_eq!(
        undefined_extension(&body(&format!("{text} NIL NIL NIL NIL)"))),
        None
    );
    assert_eq!(
        undefined_extension(&body(&format!("{text} NIL NIL NIL NIL \"x\")"))),
        Some((false, 1))
    );
    // A multipart: parts, subtype, then parameters, disposition, language, location.
    let mpart = format!("{text}) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL");
    assert_eq!(undefined_extension(&body(&format!("({mpart})"))), None);
    assert_eq!(
        undefined_extension(&body(&format!("({mpart} 1 2)"))),
        Some((true, 2))
    );
    // The first offending part is found inside a multipart.
    let inner = format!("{text} NIL NIL NIL NIL 9) \"MIXED\"");
    assert_eq!(
        undefined_extension(&body(&format!("({inner})"))),
        Some((false, 1))
    );
}

#[test]
fn no_expunge_while_answering_fetch_rfc2060_7_4_1() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let t = session(vec![
        append("a0", "INBOX", msg, &["a0 OK appended"]),
        ex(
            "a1 SELECT INBOX",
            &[
                SELECT_OK[0],
                "* 1 EXISTS",
                "* 1 RECENT",
                SELECT_OK[3],
                "a1 OK [READ-WRITE] done",
            ],
        ),
        ex(
            "a2 FETCH 1 UID",
            &["* 1 FETCH (UID 4)", "* 1 EXPUNGE", "a2 OK done"],
        ),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert!(rules(&v).contains(&rule::EXPUNGE_FORBIDDEN), "{v:#?}");
}

#[test]
fn expunge_must_name_each_deleted_message_rfc2060_6_4_3() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(2);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let script = |expunged: &[&str]| {
        let mut resp = expunged.to_vec();
        resp.push("a4 OK expunged");
        session(vec![
            append("a0", "INBOX", msg, &["a0 OK appended"]),
            append("b0", "INBOX", msg, &["b0 OK appended"]),
            ex("a1 SELECT INBOX", &select),
            ex("a3 STORE 2 +FLAGS.SILENT (\\Deleted)", &["a3 OK stored"]),
            ex("a4 EXPUNGE", &resp),
        ])
    };
    assert!(judge(&script(&["* 2 EXPUNGE"]), Profile::Rfc2060).is_empty());
    assert_eq!(
        rules(&judge(&script(&["* 1 EXPUNGE"]), Profile::Rfc2060)),
        vec![rule::EXPUNGE_EACH]
    );
    assert_eq!(
        rules(&judge(&script(&[]), Profile::Rfc2060)),
        vec![rule::EXPUNGE_EACH]
    );
}

#[test]
fn search_results_are_the_matching_messages_rfc2060_6_4_4() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(2);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let script = |result: &str| {
        session(vec![
            append("a0", "INBOX", msg, &["a0 OK appended"]),
            append("b0", "INBOX", msg, &["b0 OK appended"]),
            ex("a1 SELECT INBOX", &select),
            ex(
                "a3 STORE 2 +FLAGS (\\Flagged)",
                &["* 2 FETCH (FLAGS (\\Flagged \\Recent))", "a3 OK stored"],
            ),
            ex("a4 SEARCH FLAGGED", &[result, "a4 OK searched"]),
        ])
    };
    assert!(judge(&script("* SEARCH 2"), Profile::Rfc2060).is_empty());
    let v = judge(&script("* SEARCH 1 2"), Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-6.4.4-key-flagged"]);
    let v = judge(&script("* SEARCH"), Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-6.4.4-key-flagged"]);
}

#[test]
fn stored_flags_come_back_rfc2060_6_4_6() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(1);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let t = session(vec![
        append("a0", "INBOX", msg, &["a0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex(
            "a3 STORE 1 +FLAGS (\\Flagged)",
            &["* 1 FETCH (FLAGS (\\Seen))", "a3 OK stored"],
        ),
    ]);
    assert_eq!(rules(&judge(&t, Profile::Rfc2060)), vec![rule::FLAGS_VALUE]);
}

#[test]
fn logout_needs_bye_rfc2060_6_1_3() {
    let t = session(vec![ex("a1 LOGOUT", &["a1 OK bye"])]);
    assert_eq!(rules(&judge(&t, Profile::Rfc2060)), vec![rule::LOGOUT_BYE]);
    let t = session(vec![ex("a1 LOGOUT", &["* BYE bye", "a1 OK bye"])]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

#[test]
fn uids_must_ascend_rfc2060_2_3_1_1() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(2);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let t = session(vec![
        append("a0", "INBOX", msg, &["a0 OK appended"]),
        append("b0", "INBOX", msg, &["b0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex(
            "a2 FETCH 1:2 UID",
            &["* 1 FETCH (UID 9)", "* 2 FETCH (UID 5)", "a2 OK done"],
        ),
    ]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::UID_ASCENDING]
    );
}

#[test]
fn a_late_exists_after_append_to_the_selected_mailbox_is_allowed() {
    // RFC 2060 §6.3.11: the server SHOULD notify at once; it may wait for a NOOP.
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let t = session(vec![
        ex("a1 SELECT INBOX", &SELECT_OK),
        append("a2", "INBOX", msg, &["a2 OK appended"]),
        ex("a3 FETCH 1:* UID", &["a3 BAD no messages"]),
        ex("a4 NOOP", &["* 1 EXISTS", "* 1 RECENT", "a4 OK done"]),
        ex("a5 FETCH 1 UID", &["* 1 FETCH (UID 3)", "a5 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, 7);
}

#[test]
fn flags_asked_for_at_append_are_learnt_and_seen_set_in_flight_is_kept() {
    // APPEND's flags are a SHOULD: learnt from the server. A FETCH of a body section
    // sets \Seen, and the server may show the flags before and after it.
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(1);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let t = session(vec![
        append("a0", "INBOX (\\Answered)", msg, &["a0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex(
            "a2 FETCH 1 (FLAGS BODY[TEXT])",
            &[
                "* 1 FETCH (FLAGS (\\Answered) BODY[TEXT] \"body\\r\\n\")",
                "* 1 FETCH (FLAGS (\\Answered \\Seen))",
                "a2 OK done",
            ],
        ),
        ex(
            "a3 FETCH 1 FLAGS",
            &["* 1 FETCH (FLAGS (\\Answered \\Seen))", "a3 OK done"],
        ),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    // A server that drops the flags gets a warning (SHOULD), not a violation.
    let t = session(vec![
        append("a0", "INBOX (\\Answered)", msg, &["a0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex("a3 FETCH 1 FLAGS", &["* 1 FETCH (FLAGS ())", "a3 OK done"]),
    ]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-6.3.11-flags-set"]);
    assert_eq!(v[0].kind, Kind::Warning);
}

#[test]
fn a_subscription_outlives_its_mailbox_rfc2060_6_3_9() {
    let script = |lsub: &[&str]| {
        let mut resp = lsub.to_vec();
        resp.push("a4 OK done");
        session(vec![
            ex("a1 CREATE INBOX.x", &["a1 OK created"]),
            ex("a2 SUBSCRIBE INBOX.x", &["a2 OK subscribed"]),
            ex("a3 DELETE INBOX.x", &["a3 OK deleted"]),
            ex("a4 LSUB \"\" *", &resp),
        ])
    };
    assert!(judge(&script(&["* LSUB () \".\" INBOX.x"]), Profile::Rfc2060).is_empty());
    assert_eq!(
        rules(&judge(&script(&[]), Profile::Rfc2060)),
        vec![rule::KEEPS_SUBSCRIPTION]
    );
}

#[test]
fn delete_keeps_and_rename_moves_inferiors_rfc2060_6_3_4_and_6_3_5() {
    let script = |cmd: &str, listed: &[&str]| {
        let mut resp = listed.to_vec();
        resp.push("a4 OK done");
        session(vec![
            ex("a1 CREATE INBOX.a.b", &["a1 OK created"]),
            ex(
                "a2 LIST \"\" *",
                &[
                    "* LIST () \".\" INBOX",
                    "* LIST () \".\" INBOX.a",
                    "* LIST () \".\" INBOX.a.b",
                    "a2 OK done",
                ],
            ),
            ex(cmd, &["a3 OK done"]),
            ex("a4 LIST \"\" *", &resp),
        ])
    };
    let kept = [
        "* LIST () \".\" INBOX",
        "* LIST (\\Noselect) \".\" INBOX.a",
        "* LIST () \".\" INBOX.a.b",
    ];
    assert!(judge(&script("a3 DELETE INBOX.a", &kept), Profile::Rfc2060).is_empty());
    assert_eq!(
        rules(&judge(
            &script("a3 DELETE INBOX.a", &kept[..1]),
            Profile::Rfc2060
        )),
        vec![rule::KEEP_INFERIORS]
    );
    let moved = [
        "* LIST () \".\" INBOX",
        "* LIST () \".\" INBOX.z",
        "* LIST () \".\" INBOX.z.b",
    ];
    assert!(judge(
        &script("a3 RENAME INBOX.a INBOX.z", &moved),
        Profile::Rfc2060
    )
    .is_empty());
    assert_eq!(
        rules(&judge(
            &script("a3 RENAME INBOX.a INBOX.z", &moved[..2]),
            Profile::Rfc2060
        )),
        vec![rule::RENAME_INFERIORS]
    );
}

#[test]
fn envelope_strings_compare_whitespace_runs_as_one_rfc822_3_1_1() {
    let toks = lex::items(
        b"(\"minutes attached\" NIL) (\"minutes  attached \" NIL)",
        0,
    )
    .expect("lexes");
    assert!(!value_matches(&toks[0], &toks[1], false, false));
    assert!(value_matches(
        &collapse_whitespace(&toks[0]),
        &collapse_whitespace(&toks[1]),
        false,
        false
    ));
    let other = lex::items(b"(\"minutes attachedx\" NIL)", 0).expect("lexes");
    assert!(!value_matches(
        &collapse_whitespace(&toks[0]),
        &collapse_whitespace(&other[0]),
        false,
        false
    ));
}

#[test]
fn every_case_variant_of_inbox_is_inbox_rfc2060_9() {
    let t = session(vec![ex("a1 SELECT iNbOx", &["a1 NO no such mailbox"])]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::INBOX_VARIANTS]
    );
    let t = session(vec![ex("a1 SELECT INBOX", &["a1 NO locked"])]);
    assert!(
        judge(&t, Profile::Rfc2060).is_empty(),
        "a server may refuse INBOX itself"
    );
    // An APPEND may be refused for its message (here: no From); only [TRYCREATE]
    // shows the name was taken for a missing mailbox.
    let msg = "To: a@b\r\nSubject: x\r\n\r\nbody\r\n";
    let t = session(vec![append(
        "a1",
        "inbox",
        msg,
        &["a1 NO message has no From"],
    )]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    let t = session(vec![append(
        "a1",
        "inbox",
        msg,
        &["a1 NO [TRYCREATE] no such mailbox"],
    )]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::INBOX_VARIANTS]
    );
}

#[test]
fn a_trailing_separator_in_create_is_ignored_rfc2060_6_3_3() {
    let script = |listed: &[&str]| {
        let mut resp = listed.to_vec();
        resp.push("a2 OK done");
        session(vec![
            ex("a1 CREATE INBOX.owatagusiam.", &["a1 OK created"]),
            ex("a2 LIST \"\" *", &resp),
        ])
    };
    assert!(judge(
        &script(&["* LIST () \".\" INBOX", "* LIST () \".\" INBOX.owatagusiam"]),
        Profile::Rfc2060
    )
    .is_empty());
    assert_eq!(
        rules(&judge(
            &script(&["* LIST () \".\" INBOX"]),
            Profile::Rfc2060
        )),
        vec![rule::TRAILING_SEPARATOR]
    );
}

#[test]
fn without_a_full_list_the_oracle_does_not_assume_a_mailbox_is_missing() {
    // A user's real server may hold mailboxes the session did not create.
    let mut t = session(vec![ex(
        "a1 RENAME INBOX.old INBOX.new",
        &["a1 OK renamed"],
    )]);
    t.setup.pop();
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert!(
        cov.stopped.is_some(),
        "it stops following instead of guessing"
    );
}

#[test]
fn a_listed_mailbox_exists_and_its_contents_are_learnt_at_select() {
    let mut t = session(vec![
        ex(
            "a1 SELECT INBOX.old",
            &[
                SELECT_OK[0],
                "* 0 EXISTS",
                "* 0 RECENT",
                SELECT_OK[3],
                "a1 OK [READ-WRITE] done",
            ],
        ),
        ex("a2 CREATE INBOX.old", &["a2 OK created"]),
    ]);
    t.setup[1] = Exchange::from_lines(
        "s3 LIST \"\" *",
        &[
            "* LIST () \".\" INBOX",
            "* LIST () \".\" INBOX.old",
            "s3 OK listed",
        ],
    );
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-6.3.3-error-inbox-or-existing"]);
}

/// Found by the `oracle` fuzz target: an APPENDUID naming UID 4294967295 (a valid
/// `nz-number`) made the oracle compute the next UID as 4294967296, an overflow. The
/// oracle now stops following there, as the model cannot go on in 32 bits.
#[test]
fn the_last_uid_stops_the_oracle_without_overflow() {
    let t = session(vec![
        append(
            "a1",
            "INBOX",
            "Subject: x\r\n\r\nbody\r\n",
            &["a1 OK [APPENDUID 7 4294967295] done"],
        ),
        append("a2", "INBOX", "Subject: y\r\n\r\nbody\r\n", &["a2 OK done"]),
    ]);
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        let (verdicts, coverage) = judge_oracle("srv", &t, profile);
        assert!(verdicts.is_empty(), "{verdicts:?}");
        assert!(
            coverage
                .stopped
                .as_ref()
                .is_some_and(|s| s.gap == super::Gap::UidExhausted),
            "{coverage:?}"
        );
        assert_eq!(
            coverage.identities.len(),
            1,
            "it stopped after the first APPEND"
        );
    }
}
