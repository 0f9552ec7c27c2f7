//! One tagged completion per command.
//!
//! RFC 2060 §2.2.2: "The server completion result response indicates the success or
//! failure of the operation. It is tagged with the same tag as the client command which
//! began the operation." An operation has one result: a command is begun once and
//! completed once (§2.2: "These client/server interactions consist of a client command,
//! server data, and a server completion result response"). A second tagged status
//! response (`tag OK|NO|BAD`, §7.1) under the tag of a command that already got its
//! completion reports a result for an operation that is over: a [`Kind::Violation`] of
//! `2060-2.2.2-one-completion`.
//!
//! The driver reads each command's responses up to the first response under its tag, so a
//! duplicate completion shows up at the start of the next exchange (or among the late
//! responses after LOGOUT). This judge counts, per tag, the lines the client began with
//! that word (command lines, continuation lines, and lines inside literals: a server that
//! misreads a literal's length may take such a line for a command and answer it, which is
//! a different fault) and the tagged status responses under it; a response beyond that
//! count is a second completion. A tag the client never sent is [`super::tags`]'s.

use std::collections::HashMap;

use super::syntax::observed;
use super::tags::tagged_status;
use super::{requirement_kind, Kind, Verdict};
use crate::model::Profile;
use crate::wire::{escape, strip_eol, Event, Fragment, Message, Transcript};

/// The requirement broken by a second completion of one command.
pub const RULE: &str = "2060-2.2.2-one-completion";

/// How often each first word began a line the client sent.
fn count_first_words(bytes: &[u8], into: &mut HashMap<Vec<u8>, usize>) {
    for line in bytes.split(|&b| b == b'\n') {
        let word = strip_eol(line.split(|&b| b == b' ').next().unwrap_or_default());
        if !word.is_empty() {
            *into.entry(word.to_vec()).or_default() += 1;
        }
    }
}

/// Every tagged status response beyond the one completion each command sent under its
/// tag may have; summaries cite `profile`'s document (both number the section 2.2.2).
pub fn judge_completions_in(target: &str, t: &Transcript, profile: Profile) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
    let kind = requirement_kind(RULE).unwrap_or(Kind::Violation);
    let mut begun: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut completed: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut check = |m: &Message,
                     step: Option<usize>,
                     begun: &HashMap<Vec<u8>, usize>,
                     completed: &mut HashMap<Vec<u8>, usize>| {
        let Some((tag, status)) = tagged_status(m.first_line()) else {
            return;
        };
        let sent = begun.get(tag).copied().unwrap_or(0);
        if sent == 0 {
            return; // a tag never sent: judge::tags
        }
        let n = completed.entry(tag.to_vec()).or_default();
        *n += 1;
        if *n <= sent {
            return;
        }
        out.push(Verdict {
            kind,
            targets: vec![target.to_string()],
            step,
            rule: Some(RULE.to_string()),
            summary: format!(
                "second tagged completion ({}) for the command tagged `{}`, which was already completed ({doc} §2.2.2)",
                String::from_utf8_lossy(status).to_ascii_uppercase(),
                escape(tag)
            ),
            expected: format!(
                "one completion per command: `{}` was sent {sent} time(s) and answered as often",
                escape(tag)
            ),
            observed: observed(&m.to_bytes()),
            cause: None,
        });
    };
    for (step, e) in t.steps() {
        for ev in &e.events {
            match ev {
                Event::Client(m) => {
                    for f in &m.fragments {
                        match f {
                            Fragment::Line(l) | Fragment::Literal(l) => {
                                count_first_words(l, &mut begun)
                            }
                        }
                    }
                }
                Event::Server(m) => check(m, step, &begun, &mut completed),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Exchange;

    use crate::judge::fixture::logged_in as t;

    fn judge(script: Vec<Exchange>) -> Vec<Verdict> {
        judge_completions_in("h", &t(script), Profile::Rfc2060)
    }

    #[test]
    fn a_second_completion_at_the_start_of_the_next_exchange_is_a_violation_rfc2060_2_2_2() {
        let v = judge(vec![
            Exchange::from_lines("a1 NOOP", &["a1 OK done"]),
            Exchange::from_lines("a2 NOOP", &["a1 OK again", "a2 OK done"]),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some(RULE));
        assert_eq!(v[0].step, Some(1));
        assert!(v[0].summary.contains("`a1`"), "{}", v[0].summary);
        assert!(
            v[0].summary.ends_with("(RFC 2060 §2.2.2)"),
            "{}",
            v[0].summary
        );
        assert_eq!(v[0].observed, "a1 OK again\\r\\n");
    }

    #[test]
    fn a_late_no_after_an_ok_is_a_second_completion_too_rfc2060_2_2_2() {
        let v = judge(vec![
            Exchange::from_lines(
                "a1 SELECT INBOX",
                &["* 0 EXISTS", "a1 OK [READ-WRITE] done"],
            ),
            Exchange::from_lines("a2 NOOP", &["a2 OK done"]),
            Exchange::from_lines("a3 LOGOUT", &["* BYE", "a3 OK bye", "a1 NO late"]),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].step, Some(2));
        assert!(v[0].summary.contains("(NO)"), "{}", v[0].summary);
    }

    #[test]
    fn the_setup_counts_a_second_completion_of_login_rfc2060_2_2_2() {
        let v = judge(vec![Exchange::from_lines(
            "a1 NOOP",
            &["s1 OK in again", "a1 OK"],
        )]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].summary.contains("`s1`"));
    }

    #[test]
    fn one_completion_per_command_is_not_judged() {
        let v = judge(vec![
            Exchange::from_lines("a1 NOOP", &["* 1 EXISTS", "a1 OK"]),
            Exchange::from_lines("a2 FETCH 1 FLAGS", &["* 1 FETCH (FLAGS ())", "a2 NO no"]),
            Exchange::from_lines("a3 LOGOUT", &["* BYE", "a3 OK"]),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_tag_sent_twice_may_be_completed_twice() {
        // The client reused a tag (RFC 2060 §2.2.1 says it should not, but the server
        // answers each command it began).
        let v = judge(vec![
            Exchange::from_lines("a1 NOOP", &["a1 OK"]),
            Exchange::from_lines("a1 NOOP", &["a1 OK"]),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_line_inside_a_literal_read_as_a_command_may_be_answered() {
        let mut append = Exchange::from_lines("a2 APPEND INBOX {12}", &["a2 OK"]);
        if let Event::Client(m) = &mut append.events[0] {
            m.fragments
                .push(Fragment::Literal(b"x1 NOOP\r\nhi\r\n".to_vec()));
        }
        append
            .events
            .insert(1, Event::Server(Message::line("x1 OK what")));
        let v = judge(vec![append]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_tag_never_sent_is_left_to_the_tags_judge() {
        let v = judge(vec![Exchange::from_lines(
            "a1 NOOP",
            &["zz OK", "zz OK", "a1 OK"],
        )]);
        assert!(v.is_empty(), "{v:?}");
    }

    /// For every session of up to six commands and every place a duplicate can land
    /// (the completion of command i again at the start of exchange j > i), exactly one
    /// finding, at step j; and none without the duplicate.
    #[test]
    fn exactly_the_duplicate_is_found_wherever_it_lands_rfc2060_2_2_2() {
        let session = |n: usize, dup: Option<(usize, usize)>| -> Vec<Exchange> {
            (0..n)
                .map(|k| {
                    let cmd = format!("a{k} NOOP");
                    let done = format!("a{k} OK done");
                    let mut lines = vec!["* 1 EXISTS".to_string()];
                    if let Some((i, j)) = dup {
                        if j == k {
                            lines.insert(0, format!("a{i} NO again"));
                        }
                    }
                    lines.push(done);
                    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                    Exchange::from_lines(&cmd, &refs)
                })
                .collect()
        };
        for n in 1..=6 {
            assert!(judge(session(n, None)).is_empty());
            for j in 1..n {
                for i in 0..j {
                    let v = judge(session(n, Some((i, j))));
                    assert_eq!(v.len(), 1, "n={n} i={i} j={j}: {v:?}");
                    assert_eq!(v[0].step, Some(j));
                    assert!(v[0].summary.contains(&format!("`a{i}`")));
                }
            }
        }
    }

    #[test]
    fn the_summary_cites_rfc3501_under_its_profile() {
        let v = judge_completions_in(
            "h",
            &t(vec![
                Exchange::from_lines("a1 NOOP", &["a1 OK"]),
                Exchange::from_lines("a2 NOOP", &["a1 BAD", "a2 OK"]),
            ]),
            Profile::Rfc3501,
        );
        assert!(
            v[0].summary.ends_with("(RFC 3501 §2.2.2)"),
            "{}",
            v[0].summary
        );
    }
}
