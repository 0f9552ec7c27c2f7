//! How a session ended.
//!
//! - `End::Timeout` is a [`Kind::Timeout`] at the step that was waiting.
//! - `End::Closed` without a BYE from the server and without a LOGOUT from the client is a
//!   [`Kind::Crash`]: RFC 2060 §7.1.5 and RFC 3501 §7.1.5, the BYE response "indicates
//!   that the server is about to close the connection"; a server that closes without one
//!   dropped the connection.
//! - `End::Broken` is a [`Kind::Crash`]: the stream failed (I/O error, a spawned server
//!   killed by a signal or exiting with an error).
//! - `End::Limit`, the driver stopped at one of *our* limits (a line, a literal, the
//!   responses to one command or the bytes of a session larger than we accept), is only a
//!   [`Kind::Warning`]: RFC 2060 sets no such limits (a literal's `number` may be any
//!   32-bit value, §9), so the server is not proven wrong. Case files written before
//!   `End::Limit` existed say `broken: ` with the limit's words; they are read the same.

use super::syntax::{is_partial, observed as shown};
use super::{Kind, Verdict};
use crate::wire::{escape, End, Exchange, Message, Transcript};

fn all_exchanges(t: &Transcript) -> impl Iterator<Item = &Exchange> {
    t.setup.iter().chain(t.script.iter())
}

fn last_server_message(t: &Transcript) -> Option<&Message> {
    all_exchanges(t)
        .flat_map(|e| e.responses())
        .last()
        .or(t.greeting.as_ref())
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

fn command_text(t: &Transcript) -> String {
    all_exchanges(t)
        .last()
        .map(|e| escape(e.command().first_line()))
        .unwrap_or_else(|| "the greeting".into())
}

fn observed(t: &Transcript) -> String {
    match last_server_message(t) {
        Some(m) if is_partial(m) => format!("(cut off) {}", shown(&m.to_bytes())),
        Some(m) => format!("last message: {}", shown(&m.to_bytes())),
        None => "(nothing received)".into(),
    }
}

/// Judges how the session ended.
pub fn judge_end(target: &str, t: &Transcript) -> Vec<Verdict> {
    let v = |kind, summary: String, expected: String| Verdict {
        kind,
        targets: vec![target.to_string()],
        step: step_of_last(t),
        // A dropped connection breaks RFC 2060 §7.1.5: "The BYE response is always
        // untagged, and indicates that the server is about to close the connection."
        rule: (kind == Kind::Crash).then(|| "2060-7.1.5-bye-closes".to_string()),
        summary,
        expected,
        observed: observed(t),
        cause: None,
    };
    let our_limit = |why: &str| {
        v(
            Kind::Warning,
            format!("stream not judged past the driver's limit: {why}"),
            "answers within the driver's limits (the RFC sets none; raise the limit in the targets file)".into(),
        )
    };
    match &t.end {
        End::Completed => Vec::new(),
        End::Timeout(what) => vec![v(
            Kind::Timeout,
            format!("no answer within the timeout: {what}"),
            format!("a tagged completion for `{}`", command_text(t)),
        )],
        End::Closed => {
            if got_bye(t) || sent_logout(t) {
                return Vec::new();
            }
            vec![v(
                Kind::Crash,
                "connection closed without BYE (RFC 2060 §7.1.5, RFC 3501 §7.1.5)".into(),
                format!(
                    "a tagged completion for `{}`, or `* BYE` before closing",
                    command_text(t)
                ),
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
                    format!("connection broke: {why}"),
                    format!("a tagged completion for `{}`", command_text(t)),
                )]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn completed_sessions_have_no_end_finding() {
        assert!(judge_end("d", &t(End::Completed, vec![ex("a1 NOOP", &["a1 OK"])])).is_empty());
    }

    #[test]
    fn timeout_names_the_waiting_step() {
        let v = judge_end(
            "d",
            &t(
                End::Timeout("a2 completion".into()),
                vec![ex("a1 NOOP", &["a1 OK x"]), ex("a2 NOOP", &[])],
            ),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Timeout);
        assert_eq!(v[0].step, Some(1));
    }

    #[test]
    fn close_without_bye_is_a_crash_but_not_after_logout_or_bye() {
        let v = judge_end("c", &t(End::Closed, vec![ex("a1 FETCH 1 BODY[]", &[])]));
        assert_eq!(v[0].kind, Kind::Crash);
        assert!(v[0].summary.contains("RFC 3501 §7.1.5"));
        assert!(judge_end("c", &t(End::Closed, vec![ex("a1 LOGOUT", &[])])).is_empty());
        assert!(judge_end(
            "c",
            &t(End::Closed, vec![ex("a1 NOOP", &["* BYE shutting down"])])
        )
        .is_empty());
    }

    #[test]
    fn broken_streams() {
        let v = judge_end(
            "c",
            &t(End::Broken("connection reset by peer".into()), vec![]),
        );
        assert_eq!(v[0].kind, Kind::Crash);
        assert_eq!(v[0].step, None);
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
