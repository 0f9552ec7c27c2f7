//! The oracle on answers the model once got wrong: keywords in another case, `\Recent`
//! left to the server, and ranges written high to low.

use super::{append, ex, judge, rules, select_with, session};
use crate::model::Profile;

#[test]
fn a_keyword_shown_in_another_case_is_the_stored_keyword_rfc2060_9() {
    // RFC 2060 §9: "flag_keyword ::= atom"; "all alphabetic characters are case-insensitive
    // ... Implementations MUST accept these strings in a case-insensitive fashion."
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let select = select_with(1);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let t = session(vec![
        append("a0", "INBOX", msg, &["a0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex(
            "a3 STORE 1 +FLAGS ($forwarded)",
            &["* 1 FETCH (FLAGS ($Forwarded \\Recent))", "a3 OK stored"],
        ),
        ex(
            "a4 FETCH 1 FLAGS",
            &["* 1 FETCH (FLAGS ($FORWARDED \\Recent))", "a4 OK done"],
        ),
    ]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    // A keyword really missing is still a finding.
    let t = session(vec![
        append("a0", "INBOX", msg, &["a0 OK appended"]),
        ex("a1 SELECT INBOX", &select),
        ex(
            "a3 STORE 1 +FLAGS ($forwarded)",
            &["* 1 FETCH (FLAGS ($Junk \\Recent))", "a3 OK stored"],
        ),
    ]);
    assert!(!rules(&judge(&t, Profile::Rfc2060)).is_empty());
}

#[test]
fn a_reversed_range_may_be_read_either_way_under_rfc2060_9() {
    // RFC 2060 §9: "colon delimits between two numbers inclusive", naming no order: a
    // server answering `FETCH 3:1` with no message is not judged under rfc2060; under
    // rfc3501 (§9: "2:4 and 4:2 are equivalent") the same answer lacks messages.
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let script = |resp: &[&str], profile: Profile| {
        let mut select = select_with(3);
        if profile == Profile::Rfc3501 {
            select.insert(3, "* OK [UIDNEXT 4] next".into());
        }
        let select: Vec<&str> = select.iter().map(String::as_str).collect();
        let t = session(vec![
            append("a0", "INBOX", msg, &["a0 OK appended"]),
            append("b0", "INBOX", msg, &["b0 OK appended"]),
            append("c0", "INBOX", msg, &["c0 OK appended"]),
            ex("a1 SELECT INBOX", &select),
            ex("a2 FETCH 3:1 RFC822.SIZE", resp),
        ]);
        judge(&t, profile)
    };
    let size = msg.len();
    let all = [
        format!("* 1 FETCH (RFC822.SIZE {size})"),
        format!("* 2 FETCH (RFC822.SIZE {size})"),
        format!("* 3 FETCH (RFC822.SIZE {size})"),
        "a2 OK done".to_string(),
    ];
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert!(script(&all, Profile::Rfc2060).is_empty());
    assert!(script(&["a2 OK done"], Profile::Rfc2060).is_empty());
    assert!(script(&["a2 BAD no such set"], Profile::Rfc2060).is_empty());
    let v = script(&all, Profile::Rfc3501);
    assert!(v.is_empty(), "{v:#?}");
    assert!(!script(&["a2 BAD no such set"], Profile::Rfc3501).is_empty());
}

#[test]
fn a_search_key_range_past_the_last_message_may_be_read_either_way_under_rfc2060_9() {
    // `SEARCH 4:*` with 3 messages is the range 4:3 ("`*` ... the largest number in use"):
    // RFC 2060 names no order for a range, so an empty answer is not judged under rfc2060;
    // RFC 3501 §9 reads it as 3:4, so there the same answer lacks message 3.
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let script = |resp: &[&str], profile: Profile| {
        let mut select = select_with(3);
        if profile == Profile::Rfc3501 {
            select.insert(3, "* OK [UIDNEXT 4] next".into());
        }
        let select: Vec<&str> = select.iter().map(String::as_str).collect();
        let t = session(vec![
            append("a0", "INBOX", msg, &["a0 OK appended"]),
            append("b0", "INBOX", msg, &["b0 OK appended"]),
            append("c0", "INBOX", msg, &["c0 OK appended"]),
            ex("a1 SELECT INBOX", &select),
            ex("a2 SEARCH 4:*", resp),
        ]);
        judge(&t, profile)
    };
    let empty = ["* SEARCH", "a2 OK done"];
    let three = ["* SEARCH 3", "a2 OK done"];
    assert!(script(&empty, Profile::Rfc2060).is_empty());
    assert!(script(&three, Profile::Rfc2060).is_empty());
    assert!(script(&three, Profile::Rfc3501).is_empty());
    assert!(!script(&empty, Profile::Rfc3501).is_empty());
}

#[test]
fn a_comment_may_or_may_not_be_taken_for_the_personal_name_rfc2060_7_4_2() {
    // RFC 2060 §7.4.2: "The fields of an address structure are in the following order:
    // personal name, ..." RFC 822 §6.1 makes no comment a phrase (the model sends NIL), but
    // nothing forbids a server from naming `joe@example.org (Joe)` "Joe".
    let msg = "From: joe@example.org (Joe)\r\nSubject: hi\r\n\r\nbody\r\n";
    let select = select_with(1);
    let select: Vec<&str> = select.iter().map(String::as_str).collect();
    let script = |name: &str| {
        let addr = format!("(({name} NIL \"joe\" \"example.org\"))");
        let env =
            format!("* 1 FETCH (ENVELOPE (NIL \"hi\" {addr} {addr} {addr} NIL NIL NIL NIL NIL))");
        let t = session(vec![
            append("a0", "INBOX", msg, &["a0 OK appended"]),
            ex("a1 SELECT INBOX", &select),
            ex("a2 FETCH 1 ENVELOPE", &[env.as_str(), "a2 OK done"]),
        ]);
        judge(&t, Profile::Rfc2060)
    };
    assert!(script("NIL").is_empty());
    let v = script("\"Joe\"");
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(rules(&script("\"Jim\"")), vec!["2060-6.4.5-envelope"]);
}
