//! How a session ended.
//!
//! - `End::Timeout` is a [`Kind::Timeout`] at the step that was waiting: the driver asked
//!   it again from fresh state with a deadline [`crate::drive::RECHECK_FACTOR`] times
//!   longer, and it was still not answered (or could not be asked again).
//! - `End::Slow`, a wait that ran past the timeout but was answered when asked again with
//!   the longer deadline, is only a [`Kind::Note`] with the delay measured: the RFC sets
//!   no time limit, and servers delay answers on purpose (Courier-IMAP answers a failed
//!   AUTHENTICATE after 5 s).
//! - `End::Closed` without a BYE from the server and without a LOGOUT from the client is a
//!   [`Kind::Crash`]: the server closed the connection without completing the command in
//!   flight. RFC 2060 §2.2.1 (and RFC 3501 §2.2.1): the server "reads a command line
//!   from the client, parses the command and its arguments, and transmits server data
//!   and a server command completion result response" ([`COMPLETION_RULE`]); the finding
//!   names that command and quotes the server's last bytes.
//! - `End::Broken` is a [`Kind::Crash`] as well: the stream failed (I/O error, a spawned
//!   server killed by a signal or exiting with an error).
//! - `End::Limit`, the driver stopped at one of *our* limits (a line, a literal, the
//!   responses to one command or the bytes of a session larger than we accept), is only a
//!   [`Kind::Warning`]: RFC 2060 sets no such limits (a literal's `number` may be any
//!   32-bit value, §9), so the server is not proven wrong. Case files written before
//!   `End::Limit` existed say `broken: ` with the limit's words; they are read the same.

use super::syntax::{is_partial, observed as shown};
use super::{Kind, Verdict};
use crate::wire::{escape, End, Exchange, Late, Message, Transcript};

/// The requirement a server breaks when it closes the connection (or the stream breaks)
/// with a command in flight: RFC 2060 §2.2.1, "The protocol receiver of an IMAP4rev1
/// server reads a command line from the client, parses the command and its arguments,
/// and transmits server data and a server command completion result response."
pub const COMPLETION_RULE: &str = "2060-2.2.1-completion-result";

/// At most this many of the server's messages are quoted from one exchange.
const QUOTED_MESSAGES: usize = 4;

fn all_exchanges(t: &Transcript) -> impl Iterator<Item = &Exchange> {
    t.setup.iter().chain(t.script.iter())
}

fn step_of_last(t: &Transcript) -> Option<usize> {
    t.script.len().checked_sub(1)
}

fn sent_logout(t: &Transcript) -> bool {
    all_exchanges(t).any(|e| {
        let c = e.command();
        let l = c.first_line();
        l.split(|&b| b == b' ')
            .nth(1)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGOUT"))
    })
}

fn got_bye(t: &Transcript) -> bool {
    let is_bye = |m: &Message| {
        let l = m.first_line();
        l.len() >= 5 && l[..5].eq_ignore_ascii_case(b"* BYE")
    };
    t.greeting.as_ref().is_some_and(is_bye)
        || all_exchanges(t).flat_map(|e| e.responses()).any(is_bye)
}

/// What the session was waiting for when it ended: the last exchange (the command in
/// flight), or the greeting when no command was sent.
enum InFlight<'a> {
    Greeting,
    Command(&'a Exchange),
}

impl InFlight<'_> {
    fn of(t: &Transcript) -> InFlight<'_> {
        match all_exchanges(t).last() {
            Some(e) => InFlight::Command(e),
            None => InFlight::Greeting,
        }
    }

    /// `` `a4 SEARCH UNKEYWORD Junk` ``, or `the greeting`.
    fn name(&self) -> String {
        match self {
            InFlight::Greeting => "the greeting".into(),
            InFlight::Command(e) => format!("`{}`", escape(e.command().first_line())),
        }
    }

    /// Whether a command was sent and not completed.
    fn incomplete_command(&self) -> bool {
        matches!(self, InFlight::Command(e) if e.completion().is_none())
    }

    /// Whether the wait was for the close after a completed LOGOUT (RFC 2060 §6.1.3:
    /// the server sends BYE, the tagged OK, "and then close[s] the network connection").
    fn closing(&self) -> bool {
        matches!(self, InFlight::Command(e) if e.completion().is_some() && {
            let c = e.command();
            c.first_line()
                .split(|&b| b == b' ')
                .nth(1)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGOUT"))
        })
    }
}

/// The server's messages, escaped, one per line: the first [`QUOTED_MESSAGES`] and how
/// many more; a message left unfinished (the stream ended, or the wait ran out) is
/// marked.
fn quote_messages<'a>(messages: impl Iterator<Item = &'a Message>) -> String {
    let all: Vec<&Message> = messages.collect();
    let mut out: Vec<String> = all
        .iter()
        .take(QUOTED_MESSAGES)
        .map(|m| {
            if is_partial(m) {
                format!("{} (unfinished)", shown(&m.to_bytes()))
            } else {
                shown(&m.to_bytes())
            }
        })
        .collect();
    if all.len() > QUOTED_MESSAGES {
        out.push(format!(
            "... and {} more messages",
            all.len() - QUOTED_MESSAGES
        ));
    }
    out.join("\n")
}

/// The server's last bytes around the wait that did not end well: what it sent in
/// answer to the command in flight; if nothing, the last message before it.
fn last_bytes(t: &Transcript, f: &InFlight) -> String {
    match f {
        InFlight::Greeting => "nothing (no greeting)".into(),
        InFlight::Command(e) => {
            if e.responses().next().is_some() {
                return format!(
                    "in answer to {}: {}",
                    f.name(),
                    quote_messages(e.responses())
                );
            }
            let before = all_exchanges(t)
                .flat_map(|e| e.responses())
                .last()
                .or(t.greeting.as_ref());
            match before {
                Some(m) => format!(
                    "nothing in answer to {}; the last bytes before it: {}",
                    f.name(),
                    quote_messages(std::iter::once(m))
                ),
                None => format!("nothing in answer to {}, and no greeting", f.name()),
            }
        }
    }
}

/// The note for a wait answered late ([`End::Slow`]).
fn slow(target: &str, t: &Transcript, late: Late) -> Verdict {
    let f = InFlight::of(t);
    let (what, answer) = match &f {
        InFlight::Greeting => (
            "the greeting came".to_string(),
            t.greeting
                .as_ref()
                .map(|g| quote_messages(std::iter::once(g)))
                .unwrap_or_default(),
        ),
        InFlight::Command(e) if f.closing() => (
            format!("the connection was closed after {}", f.name()),
            quote_messages(e.responses()),
        ),
        InFlight::Command(e) => (
            format!("{} was answered", f.name()),
            quote_messages(e.responses()),
        ),
    };
    Verdict {
        kind: Kind::Note,
        targets: vec![target.to_string()],
        step: step_of_last(t),
        rule: None,
        summary: format!(
            "slow: {what} after {} ms (the per-command timeout is {} ms)",
            late.after_ms,
            late.timeout_ms
        ),
        expected: format!(
            "an answer within the target's timeout of {} ms; the RFC sets no time limit (raise `timeout_ms` or `auth_timeout_ms` in the targets file where a delay is deliberate)",
            late.timeout_ms
        ),
        observed: format!(
            "asked again from a fresh session with a {} ms deadline, answered after {} ms: {answer}",
            late.deadline_ms,
            late.after_ms
        ),
        cause: None,
    }
}

/// Judges how the session ended.
pub fn judge_end(target: &str, t: &Transcript) -> Vec<Verdict> {
    let f = InFlight::of(t);
    let v = |kind, rule: Option<&str>, summary: String, expected: String| Verdict {
        kind,
        targets: vec![target.to_string()],
        step: step_of_last(t),
        rule: rule.map(str::to_string),
        summary,
        expected,
        observed: last_bytes(t, &f),
        cause: None,
    };
    let our_limit = |why: &str| {
        v(
            Kind::Warning,
            None,
            format!("stream not judged past the driver's limit: {why}"),
            "answers within the driver's limits (the RFC sets none; raise the limit in the targets file)".into(),
        )
    };
    // A crash breaks the completion requirement only where a command was left without
    // its completion; a server that closes before its greeting breaks no sentence of it.
    let crash_rule = f.incomplete_command().then_some(COMPLETION_RULE);
    let owed = match &f {
        InFlight::Greeting => "a greeting (`* OK`, `* PREAUTH` or `* BYE`)".to_string(),
        InFlight::Command(_) => format!("a tagged completion (OK, NO or BAD) for {}", f.name()),
    };
    match &t.end {
        End::Completed => Vec::new(),
        End::Slow(late) => vec![slow(target, t, *late)],
        End::Timeout(what) if f.closing() => vec![v(
            Kind::Timeout,
            None,
            format!(
                "the server did not close the connection after {} within the timeout: {what}",
                f.name()
            ),
            format!("the connection closed after {}", f.name()),
        )],
        End::Timeout(what) => vec![v(
            Kind::Timeout,
            None,
            format!("no answer to {} within the timeout: {what}", f.name()),
            owed,
        )],
        End::Closed => {
            if got_bye(t) || sent_logout(t) {
                return Vec::new();
            }
            let summary = match &f {
                InFlight::Command(_) if f.incomplete_command() => format!(
                    "the server closed the connection without completing {}: no tagged response, no BYE",
                    f.name()
                ),
                InFlight::Command(_) => format!(
                    "the server closed the connection after completing {}, without BYE",
                    f.name()
                ),
                InFlight::Greeting => {
                    "the server closed the connection before its greeting".into()
                }
            };
            vec![v(
                Kind::Crash,
                crash_rule,
                summary,
                format!("{owed}, or `* BYE` before closing"),
            )]
        }
        End::Limit(why) => vec![our_limit(why)],
        End::Broken(why) => {
            let legacy_limit = why.contains("exceeded") || why.contains("was announced");
            if legacy_limit {
                vec![our_limit(why)]
            } else {
                vec![v(
                    Kind::Crash,
                    crash_rule,
                    format!(
                        "the connection broke while waiting for {}: {why}",
                        match &f {
                            InFlight::Greeting => "the greeting".to_string(),
                            InFlight::Command(_) => format!("the answer to {}", f.name()),
                        }
                    ),
                    owed,
                )]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Fragment;

    fn ex(cmd: &str, resp: &[&str]) -> Exchange {
        Exchange::from_lines(cmd, resp)
    }

    fn t(end: End, script: Vec<Exchange>) -> Transcript {
        Transcript {
            greeting: Some(Message::line("* PREAUTH ready")),
            setup: vec![],
            script,
            end,
        }
    }

    const LATE: Late = Late {
        after_ms: 5021,
        timeout_ms: 5000,
        deadline_ms: 30000,
    };

    #[test]
    fn completed_sessions_have_no_end_finding() {
        assert!(judge_end("d", &t(End::Completed, vec![ex("a1 NOOP", &["a1 OK"])])).is_empty());
    }

    #[test]
    fn a_timeout_names_the_waiting_step_and_quotes_what_the_server_sent() {
        let v = judge_end(
            "d",
            &t(
                End::Timeout(
                    "no complete answer within 5000 ms, nor within 30000 ms when asked again from a fresh session".into(),
                ),
                vec![ex("a1 NOOP", &["a1 OK x"]), ex("a2 AUTHENTICATE PLAIN", &["+ "])],
            ),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Timeout);
        assert_eq!(v[0].step, Some(1));
        assert_eq!(v[0].rule, None, "no sentence of the RFC sets a time limit");
        assert!(
            v[0].summary.contains("`a2 AUTHENTICATE PLAIN`")
                && v[0].summary.contains("nor within 30000 ms"),
            "{}",
            v[0].summary
        );
        assert_eq!(
            v[0].observed,
            "in answer to `a2 AUTHENTICATE PLAIN`: + \\r\\n"
        );
        assert_eq!(
            v[0].expected,
            "a tagged completion (OK, NO or BAD) for `a2 AUTHENTICATE PLAIN`"
        );
    }

    #[test]
    fn a_timeout_with_nothing_answered_quotes_the_last_bytes_before_the_command() {
        let v = judge_end(
            "m",
            &t(
                End::Timeout("no complete answer within 5000 ms".into()),
                vec![
                    ex("a5 CLOSE", &["a5 OK CLOSE Completed"]),
                    ex("a6 STATUS INBOX (MESSAGES)", &[]),
                ],
            ),
        );
        assert_eq!(
            v[0].observed,
            "nothing in answer to `a6 STATUS INBOX (MESSAGES)`; the last bytes before it: a5 OK CLOSE Completed\\r\\n"
        );
    }

    #[test]
    fn an_answer_that_came_when_asked_again_is_a_slow_note_with_the_delay_measured() {
        let v = judge_end(
            "courier",
            &Transcript {
                greeting: Some(Message::line("* OK ready")),
                setup: vec![ex(
                    "p1 AUTHENTICATE X-UNKNOWN",
                    &["p1 NO Unknown mechanism"],
                )],
                script: vec![],
                end: End::Slow(LATE),
            },
        );
        assert_eq!(v.len(), 1);
        let n = &v[0];
        assert_eq!(n.kind, Kind::Note);
        assert!(!n.kind.fails(Kind::Note), "a slow answer never fails a run");
        assert_eq!(n.rule, None);
        assert_eq!(n.step, None, "a setup command");
        assert_eq!(
            n.summary,
            "slow: `p1 AUTHENTICATE X-UNKNOWN` was answered after 5021 ms (the per-command timeout is 5000 ms)"
        );
        assert_eq!(
            n.observed,
            "asked again from a fresh session with a 30000 ms deadline, answered after 5021 ms: p1 NO Unknown mechanism\\r\\n"
        );
        assert!(
            n.expected.contains("the RFC sets no time limit"),
            "{}",
            n.expected
        );
    }

    #[test]
    fn slow_notes_of_different_delays_are_one_distinct_finding() {
        let note = |after_ms| {
            judge_end(
                "c",
                &t(
                    End::Slow(Late { after_ms, ..LATE }),
                    vec![ex("a1 NOOP", &["a1 OK"])],
                ),
            )
            .remove(0)
        };
        let (a, b) = (note(5004), note(17480));
        assert_ne!(a.summary, b.summary);
        assert_eq!(
            crate::report::distinct::summary_shape(&a.summary),
            crate::report::distinct::summary_shape(&b.summary)
        );
    }

    /// Courier-IMAP's failed AUTHENTICATE, replayed from the seed-7 lab campaign with a
    /// 5000 ms timeout: past it by 6 ms, answered when asked again.
    #[test]
    fn courier_s_failed_authenticate_answered_after_5_s_is_a_slow_note_not_a_timeout() {
        let text = "# imapconform case v1\n# target: courier\n\
            # end: slow: answered after 5006 ms (timeout 5000 ms; asked again with a 30000 ms deadline)\n\
            S: * OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE] Courier-IMAP ready.\n\
            C: p1 AUTHENTICATE PLAIN\nS: + \nC> AGlt YXBj\nS: p1 NO Login failed.\n== script ==\n";
        let case = crate::case::Case::parse(text).unwrap();
        let v = judge_end("courier", &case.transcript);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Note);
        assert_eq!(
            v[0].summary,
            "slow: `p1 AUTHENTICATE PLAIN` was answered after 5006 ms (the per-command timeout is 5000 ms)"
        );
        assert!(
            v[0].observed
                .ends_with("answered after 5006 ms: + \\r\\n\np1 NO Login failed.\\r\\n"),
            "{}",
            v[0].observed
        );
    }

    /// Dovecot closing the connection at a COPY in the seed-7 lab campaign: the report
    /// must show that command, not the SELECT answered before it.
    #[test]
    fn dovecot_s_close_at_copy_names_the_copy_and_quotes_the_select_before_it() {
        let text = "# imapconform case v1\n# target: dovecot\n# end: closed\n\
            S: * PREAUTH ready\n== script ==\nC: a2 SELECT INBOX\nS: * 1 EXISTS\n\
            S: a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\n\
            C: a8 COPY 2,*,3,9 INBOX.trash\n";
        let case = crate::case::Case::parse(text).unwrap();
        let v = judge_end("dovecot", &case.transcript);
        assert_eq!(v[0].kind, Kind::Crash);
        assert_eq!(v[0].step, Some(1));
        assert_eq!(
            v[0].summary,
            "the server closed the connection without completing `a8 COPY 2,*,3,9 INBOX.trash`: no tagged response, no BYE"
        );
        assert_eq!(
            v[0].observed,
            "nothing in answer to `a8 COPY 2,*,3,9 INBOX.trash`; the last bytes before it: a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\\r\\n"
        );
    }

    #[test]
    fn a_late_close_after_logout_is_named_as_such() {
        let logout = || vec![ex("a1 LOGOUT", &["* BYE bye", "a1 OK done"])];
        let v = judge_end("c", &t(End::Slow(LATE), logout()));
        assert!(
            v[0].summary
                .starts_with("slow: the connection was closed after `a1 LOGOUT` after 5021 ms"),
            "{}",
            v[0].summary
        );
        let v = judge_end(
            "c",
            &t(
                End::Timeout("no complete answer within 5000 ms".into()),
                logout(),
            ),
        );
        assert_eq!(v[0].kind, Kind::Timeout);
        assert!(
            v[0].summary
                .starts_with("the server did not close the connection after `a1 LOGOUT`"),
            "{}",
            v[0].summary
        );
    }

    /// RFC 2060 §2.2.1: the server "transmits server data and a server command completion
    /// result response"; a close without one, and without BYE, leaves the command in
    /// flight uncompleted.
    #[test]
    fn a_close_without_completion_or_bye_is_a_crash_naming_the_command_in_flight_rfc2060_2_2_1() {
        let v = judge_end(
            "mailutils",
            &t(
                End::Closed,
                vec![
                    ex("a3 APPEND INBOX {3}", &["a3 OK APPEND Completed"]),
                    ex("a4 SEARCH UNKEYWORD Junk", &[]),
                ],
            ),
        );
        assert_eq!(v.len(), 1);
        let c = &v[0];
        assert_eq!(c.kind, Kind::Crash);
        assert_eq!(c.rule.as_deref(), Some(COMPLETION_RULE));
        assert_eq!(c.step, Some(1));
        assert_eq!(
            c.summary,
            "the server closed the connection without completing `a4 SEARCH UNKEYWORD Junk`: no tagged response, no BYE"
        );
        assert!(
            !c.summary.contains("7.1.5"),
            "the BYE definition has no MUST"
        );
        assert_eq!(
            c.observed,
            "nothing in answer to `a4 SEARCH UNKEYWORD Junk`; the last bytes before it: a3 OK APPEND Completed\\r\\n"
        );
        assert!(
            c.expected.contains("`a4 SEARCH UNKEYWORD Junk`"),
            "{}",
            c.expected
        );
    }

    #[test]
    fn a_close_inside_a_literal_quotes_the_unfinished_response() {
        let mut e = ex("a2 FETCH 1 BODY[]", &[]);
        e.events.push(crate::wire::Event::Server(Message {
            fragments: vec![
                Fragment::Line(b"* 1 FETCH (BODY[] {100}\r\n".to_vec()),
                Fragment::Literal(b"only this".to_vec()),
            ],
        }));
        let v = judge_end("h", &t(End::Closed, vec![e]));
        assert_eq!(v[0].kind, Kind::Crash);
        assert_eq!(
            v[0].observed,
            "in answer to `a2 FETCH 1 BODY[]`: * 1 FETCH (BODY[] {100}\\r\\nonly this (unfinished)"
        );
    }

    #[test]
    fn no_crash_after_logout_or_bye() {
        assert!(judge_end("c", &t(End::Closed, vec![ex("a1 LOGOUT", &[])])).is_empty());
        assert!(judge_end(
            "c",
            &t(End::Closed, vec![ex("a1 NOOP", &["* BYE shutting down"])])
        )
        .is_empty());
    }

    #[test]
    fn a_close_before_the_greeting_is_a_crash_that_cites_no_command_rule() {
        let v = judge_end(
            "c",
            &Transcript {
                greeting: None,
                end: End::Closed,
                ..Transcript::default()
            },
        );
        assert_eq!(v[0].kind, Kind::Crash);
        assert_eq!(v[0].rule, None);
        assert_eq!(v[0].observed, "nothing (no greeting)");
    }

    #[test]
    fn broken_streams() {
        let v = judge_end(
            "c",
            &t(
                End::Broken("connection reset by peer".into()),
                vec![ex("a1 NOOP", &[])],
            ),
        );
        assert_eq!(v[0].kind, Kind::Crash);
        assert_eq!(v[0].rule.as_deref(), Some(COMPLETION_RULE));
        assert!(
            v[0].summary.contains("`a1 NOOP`") && v[0].summary.contains("reset by peer"),
            "{}",
            v[0].summary
        );
        let v = judge_end(
            "c",
            &t(
                End::Broken("a line exceeded 65536 bytes without a line ending".into()),
                vec![],
            ),
        );
        assert_eq!(v[0].kind, Kind::Warning);
    }

    #[test]
    fn the_completion_rule_is_in_the_catalogue() {
        let r = crate::catalogue::catalogue()
            .get(COMPLETION_RULE)
            .expect("in rfc/requirements.toml");
        assert!(
            r.quote
                .contains("transmits server data and a server command completion result response"),
            "{}",
            r.quote
        );
    }

    #[test]
    fn stopping_at_our_own_limit_is_a_warning_not_a_crash() {
        for why in [
            "the responses to one command exceeded 1000 (max_responses)",
            "the session's record exceeded 4096 bytes (max_session_bytes)",
            "a literal of 4294967295 bytes was announced (max_literal is 16777216 bytes)",
        ] {
            let v = judge_end("h", &t(End::Limit(why.into()), vec![ex("a1 NOOP", &[])]));
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].kind, Kind::Warning, "{why}");
            assert_eq!(v[0].rule, None, "no requirement is broken: {why}");
            assert!(v[0].summary.contains(why));
        }
    }
}
