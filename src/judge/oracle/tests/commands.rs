//! SELECT, EXAMINE, states, RENAME and APPEND answers against the oracle (RFC 2060 §3,
//! §6.3).

use super::*;

#[test]
fn a_conforming_select_gives_no_finding() {
    let t = session(vec![ex("a1 SELECT INBOX", &SELECT_OK)]);
    assert_eq!(judge(&t, Profile::Rfc2060), vec![]);
}

#[test]
fn select_without_flags_breaks_rfc2060_6_3_1() {
    let t = session(vec![ex("a1 SELECT INBOX", &SELECT_OK[1..])]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec![rule::SELECT_UNTAGGED]);
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].step, Some(0));
}

#[test]
fn uidnext_at_select_is_required_only_by_the_rfc3501_profile() {
    let t = session(vec![ex("a1 SELECT INBOX", &SELECT_OK)]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    assert_eq!(
        rules(&judge(&t, Profile::Rfc3501)),
        vec![rule::SELECT_UIDNEXT]
    );
}

#[test]
fn examine_without_read_only_breaks_rfc2060_6_3_2() {
    let mut resp = SELECT_OK.to_vec();
    resp[4] = "a1 OK [READ-WRITE] done";
    let t = session(vec![ex("a1 EXAMINE INBOX", &resp)]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::EXAMINE_READ_ONLY]
    );
}

#[test]
fn a_command_in_the_wrong_state_must_not_succeed_rfc2060_3() {
    let t = session(vec![ex("a1 FETCH 1 FLAGS", &["a1 OK fetched nothing"])]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-3-wrong-state-bad-or-no"]);
    // NO and BAD are both what the RFC allows.
    for answer in ["a1 NO not selected", "a1 BAD not selected"] {
        let t = session(vec![ex("a1 FETCH 1 FLAGS", &[answer])]);
        assert!(judge(&t, Profile::Rfc2060).is_empty(), "{answer}");
    }
}

#[test]
fn renaming_a_mailbox_that_does_not_exist_is_an_error_rfc2060_6_3_5() {
    let t = session(vec![ex(
        "a1 RENAME INBOX.nosuch INBOX.other",
        &["a1 OK renamed"],
    )]);
    let v = judge(&t, Profile::Rfc2060);
    assert_eq!(rules(&v), vec!["2060-6.3.5-error-missing-or-existing"]);
    assert_eq!(v[0].kind, Kind::Violation);
}

#[test]
fn a_server_may_refuse_for_reasons_of_its_own_and_is_followed() {
    // CREATE refused: the mailbox does not exist afterwards, so SELECT's NO is right.
    let t = session(vec![
        ex("a1 CREATE INBOX.x", &["a1 NO [OVERQUOTA] no room"]),
        ex("a2 SELECT INBOX.x", &["a2 NO no such mailbox"]),
    ]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
}

#[test]
fn append_to_a_missing_mailbox_needs_trycreate_rfc2060_6_3_11() {
    let msg = "Subject: hi\r\n\r\nbody\r\n";
    let t = session(vec![append(
        "a1",
        "INBOX.nosuch",
        msg,
        &["a1 NO no such mailbox"],
    )]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec![rule::APPEND_TRYCREATE]
    );
    let t = session(vec![append(
        "a1",
        "INBOX.nosuch",
        msg,
        &["a1 NO [TRYCREATE] no such mailbox"],
    )]);
    assert!(judge(&t, Profile::Rfc2060).is_empty());
    // And it must not succeed.
    let t = session(vec![append("a1", "INBOX.nosuch", msg, &["a1 OK appended"])]);
    assert_eq!(
        rules(&judge(&t, Profile::Rfc2060)),
        vec!["2060-6.3.11-missing-mailbox-error"]
    );
}
