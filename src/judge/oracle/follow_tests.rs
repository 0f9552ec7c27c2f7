//! The oracle follows on past what it cannot read strictly: lenient reading, mutated
//! commands, and every stop a named gap.

use super::tests::{ex, session};
use super::*;

pub(super) fn select_empty(tag: &str) -> Exchange {
    ex(
        &format!("{tag} SELECT INBOX"),
        &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 0 EXISTS",
            "* 0 RECENT",
            "* OK [UIDVALIDITY 7] ok",
            &format!("{tag} OK [READ-WRITE] done"),
        ],
    )
}

#[test]
fn a_mutated_fetch_answered_bad_does_not_stop_the_oracle() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 FETCH 1 (FLAGS", &["a2 BAD missing parenthesis"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    assert_eq!(cov.skipped.get(&Skip::UnreadableCommandRefused), Some(&1));
}

#[test]
fn a_mutated_command_answered_no_changed_nothing_rfc2060_7_1_2() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 COPY 1:* (INBOX", &["a2 NO cannot"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn a_mutated_search_accepted_is_followed_as_its_effect_is_its_response() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 SEARCH ALL)", &["* SEARCH", "a2 OK done"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.skipped.get(&Skip::UnreadableCommandBounded), Some(&1));
}

#[test]
fn a_mutated_store_accepted_stops_at_a_named_gap() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 STORE 1 +FLAGS (\\Seen", &["a2 OK done"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    let stop = cov
        .stopped
        .expect("the oracle cannot run an unreadable STORE");
    assert_eq!(stop.gap, Gap::UnreadableCommandAccepted);
    assert_eq!(stop.command.as_deref(), Some("STORE"));
    assert_eq!(
        stop.to_string(),
        "a command the strict decoder does not read succeeded"
    );
}

#[test]
fn an_ok_with_a_code_and_no_text_does_not_stop_the_oracle_at_select() {
    // Servers outside the lab send `* OK [UIDVALIDITY 3]` with no text after the code
    // (RFC 2060 §7.1 wants text): the syntax judge reports it; the oracle reads its code.
    let t = session(vec![
        ex(
            "a1 SELECT INBOX",
            &[
                "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                "* 0 EXISTS",
                "* 0 RECENT",
                "* OK [UIDVALIDITY 3]",
                "a1 OK [READ-WRITE]",
            ],
        ),
        ex("a2 NOOP", &["a2 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
    assert_eq!(cov.skipped.get(&Skip::ReadLeniently), Some(&1));
    assert_eq!(cov.skipped.get(&Skip::CompletionReadLeniently), Some(&1));
}

#[test]
fn an_examine_answered_read_write_without_text_is_still_judged() {
    // RFC 2060 §6.3.2: EXAMINE's tagged OK "MUST be [READ-ONLY]": a code without text is
    // read, so the MUST is judged.
    let t = session(vec![ex(
        "a1 EXAMINE INBOX",
        &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 0 EXISTS",
            "* 0 RECENT",
            "* OK [UIDVALIDITY 3]",
            "a1 OK [READ-WRITE]",
        ],
    )]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped, None);
    assert!(
        !v.is_empty(),
        "the READ-WRITE answer to EXAMINE is a finding"
    );
}

#[test]
fn an_unreadable_untagged_response_is_skipped_and_counted_not_a_stop() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 NOOP", &["* WHATEVER (", "a2 OK done"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.skipped.get(&Skip::UnreadableUntagged), Some(&1));
}

#[test]
fn every_gap_has_a_text_and_the_command_named_where_it_takes_one() {
    let s = Stop::in_command(Gap::Unpredictable, "COPY");
    assert_eq!(s.to_string(), "COPY has effects the model cannot predict");
    assert_eq!(
        Stop::in_command(Gap::AcceptedWhereRefused, "FETCH").to_string(),
        "FETCH succeeded where the model refused"
    );
    assert_eq!(
        Stop::at(Gap::NoCompletion).to_string(),
        "no tagged completion"
    );
}

/// `tag APPEND mailbox {n}` + message + the server's answer.
pub(super) fn append(tag: &str, mailbox: &str, msg: &str, resp: &[&str]) -> Exchange {
    use crate::wire::{Event, Fragment};
    let line = format!("{tag} APPEND {mailbox} {{{}}}\r\n", msg.len());
    let mut c = Message::default();
    c.fragments.push(Fragment::Line(line.into_bytes()));
    c.fragments.push(Fragment::Literal(msg.as_bytes().to_vec()));
    c.fragments.push(Fragment::Line(b"\r\n".to_vec()));
    let mut events = vec![Event::Client(c)];
    events.extend(resp.iter().map(|r| Event::Server(Message::line(r))));
    Exchange { events }
}

pub(super) const MSG: &str = "Subject: x\r\n\r\nbody\r\n";

pub(super) fn select_one(tag: &str) -> Exchange {
    ex(
        &format!("{tag} SELECT INBOX"),
        &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 1 EXISTS",
            "* 1 RECENT",
            "* OK [UIDVALIDITY 7] ok",
            &format!("{tag} OK [READ-WRITE] done"),
        ],
    )
}

#[test]
fn a_fetch_beyond_the_mailbox_accepted_is_followed_as_rfc2060_leaves_it_to_the_server() {
    let t = session(vec![
        select_empty("a1"),
        ex("a2 FETCH 1 ENVELOPE", &["a2 OK nothing to fetch"]),
        ex("a3 NOOP", &["a3 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.skipped.get(&Skip::AcceptedBounded), Some(&1));
}

#[test]
fn a_store_accepted_where_the_model_refuses_forgets_the_flags_until_the_server_shows_them() {
    // STORE changes flags only (RFC 2060 §6.4.6): the flags the server shows next are
    // taken, not judged against the model's.
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
        select_one("a2"),
        ex("a3 STORE 1:5 +FLAGS (\\Flagged)", &["a3 OK stored"]),
        ex(
            "a4 FETCH 1 FLAGS",
            &["* 1 FETCH (FLAGS (\\Flagged))", "a4 OK done"],
        ),
        ex("a5 SEARCH FLAGGED", &["* SEARCH 1", "a5 OK done"]),
    ]);
    let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(cov.stopped, None);
    assert_eq!(cov.judged, cov.total);
}

#[test]
fn an_expunge_over_unknown_flags_follows_the_servers_expunge_responses_rfc2060_7_4_1() {
    // The flags an APPEND asked for are a SHOULD (RFC 2060 §6.3.11): whether the message
    // carries \Deleted is the server's to show, and its EXPUNGE response shows it.
    for (expunged, left) in [(true, 0), (false, 1)] {
        let mut expunge = vec!["a3 OK expunged"];
        if expunged {
            expunge.insert(0, "* 1 EXPUNGE");
        }
        let t = session(vec![
            append("a1", "INBOX (\\Deleted)", MSG, &["a1 OK done"]),
            select_one("a2"),
            ex("a3 EXPUNGE", &expunge),
            ex(
                "a4 SEARCH ALL",
                &[
                    if left == 1 { "* SEARCH 1" } else { "* SEARCH" },
                    "a4 OK done",
                ],
            ),
        ]);
        let (v, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
        assert!(v.is_empty(), "expunged {expunged}: {v:#?}");
        assert_eq!(cov.stopped, None, "expunged {expunged}");
        assert_eq!(cov.judged, cov.total);
    }
}

#[test]
fn an_expunge_that_keeps_a_message_known_deleted_is_not_followed() {
    let t = session(vec![
        append("a1", "INBOX", MSG, &["a1 OK done"]),
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
        ex("a4 STORE 1 +FLAGS.SILENT (\\Deleted)", &["a4 OK done"]),
        // Message 1 is known to carry \\Deleted, yet the server expunged message 2.
        ex("a5 EXPUNGE", &["* 2 EXPUNGE", "a5 OK expunged"]),
    ]);
    let (_, cov) = judge_oracle("srv", &t, Profile::Rfc2060);
    assert_eq!(cov.stopped.map(|s| s.gap), Some(Gap::ExpungedDiffer));
}
