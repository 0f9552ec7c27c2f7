//! The oracle follows on past what it cannot read strictly: lenient reading, mutated
//! commands, and every stop a named gap.

use super::*;
use crate::wire::End;

fn session(script: Vec<Exchange>) -> Transcript {
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

fn ex(cmd: &str, resp: &[&str]) -> Exchange {
    Exchange::from_lines(cmd, resp)
}

fn select_empty(tag: &str) -> Exchange {
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
