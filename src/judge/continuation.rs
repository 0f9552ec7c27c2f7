//! Continuation requests only where a command waits for one.
//!
//! RFC 2060 §7.5: "This form of response indicates that the server is ready to accept
//! the continuation of a command from the client." §7.5 and §2.2.1 name the two cases in
//! which a command has a continuation: an argument sent as a literal (after its `{n}` the
//! client waits for the request) and AUTHENTICATE (challenges until the tagged
//! completion). RFC 2177 adds IDLE (one request, after which the client sends DONE).
//!
//! A `+` at any other point (a command with no literal left to send, or a second `+` for
//! one literal) tells the client the server is ready for more of a command that has no
//! more. No sentence requires or forbids it in so many words, and the formal syntax
//! allows a `continue_req` among any command's responses (§9: `response ::=
//! *(continue_req / response_data) response_done`), so it is neither a syntax finding
//! nor a violation: the sentence that gives `+` its meaning only describes, and the
//! finding is a [`Kind::Note`] of `2060-7.5-ready` (the level of a description).
//!
//! Lenient where the client's own bytes leave room: each literal the client announced
//! (synchronizing or not: a server without LITERAL+ may ask for a `{n+}` literal) may get
//! one request, AUTHENTICATE any number, IDLE one; commands mutated on purpose are left to
//! [`super::mutation`] (a server that misreads a broken command may ask for anything).

use super::syntax::observed;
use super::{requirement_kind, Kind, Verdict};
use crate::model::Profile;
use crate::wire::{literal_announcement, Event, Fragment, Message, Transcript};

/// The requirement a continuation request nobody waits for contradicts.
pub const RULE: &str = "2060-7.5-ready";

/// The verb of a command line, upper-case.
fn verb(line: &[u8]) -> Vec<u8> {
    line.split(|&b| b == b' ')
        .nth(1)
        .map(|w| crate::wire::strip_eol(w).to_ascii_uppercase())
        .unwrap_or_default()
}

/// Whether a server message is shaped as a continuation request: `+` then SP (RFC 2060
/// §9 `continue_req ::= "+" SPACE (resp_text / base64)`), or a bare `+` that many servers
/// send. Other lines that start with `+` are the syntax judge's.
fn is_continue_req(m: &Message) -> bool {
    let l = m.first_line();
    l == b"+" || l.starts_with(b"+ ")
}

/// Every continuation request for which the command in progress had nothing to continue.
/// `mutated`: script steps whose command was broken on purpose (not judged).
pub fn judge_continuations_in(
    target: &str,
    t: &Transcript,
    profile: Profile,
    mutated: &[usize],
) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
    let kind = requirement_kind(RULE).unwrap_or(Kind::Note);
    let mut out = Vec::new();
    for (step, e) in t.steps() {
        if step.is_some_and(|s| mutated.contains(&s)) {
            continue;
        }
        let cmd = e.command();
        let verb = verb(cmd.first_line());
        let authenticate = verb == b"AUTHENTICATE";
        // Requests the client may still be waiting for.
        let mut owed: usize = usize::from(verb == b"IDLE");
        let mut completed = false;
        for ev in &e.events {
            match ev {
                Event::Client(m) => {
                    owed += m
                        .fragments
                        .iter()
                        .filter(|f| match f {
                            Fragment::Line(l) => literal_announcement(l).is_some(),
                            Fragment::Literal(_) => false,
                        })
                        .count();
                }
                Event::Server(m) if is_continue_req(m) => {
                    if authenticate && !completed {
                        continue;
                    }
                    if owed > 0 && !completed {
                        owed -= 1;
                        continue;
                    }
                    out.push(Verdict {
                        kind,
                        targets: vec![target.to_string()],
                        step,
                        rule: Some(RULE.to_string()),
                        summary: format!(
                            "continuation request while no command waits for one: `{}` has no literal, AUTHENTICATE or IDLE continuation left ({doc} §7.5)",
                            crate::wire::escape(crate::wire::strip_eol(cmd.first_line()))
                        ),
                        expected: "a `+` only before a literal the client announced, during AUTHENTICATE, or to start IDLE".into(),
                        observed: observed(&m.to_bytes()),
                        cause: None,
                    });
                }
                Event::Server(m) => {
                    if m.tag() == cmd.tag() {
                        completed = true;
                    }
                }
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

    fn judge(script: Vec<Exchange>, mutated: &[usize]) -> Vec<Verdict> {
        judge_continuations_in("h", &t(script), Profile::Rfc2060, mutated)
    }

    /// An exchange of client and server lines in the order given (`C:`/`S:` prefixes).
    fn ex(lines: &[&str]) -> Exchange {
        Exchange {
            events: lines
                .iter()
                .map(|l| match l.split_at(3) {
                    ("C: ", rest) => Event::Client(Message::line(rest)),
                    (_, rest) => Event::Server(Message::line(rest)),
                })
                .collect(),
        }
    }

    #[test]
    fn a_continuation_request_for_a_complete_command_is_a_note_rfc2060_7_5() {
        let v = judge(vec![ex(&["C: a1 NOOP", "S: + go on", "S: a1 OK"])], &[]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Note);
        assert_eq!(v[0].rule.as_deref(), Some(RULE));
        assert_eq!(v[0].step, Some(0));
        assert!(v[0].summary.contains("`a1 NOOP`"), "{}", v[0].summary);
        assert!(
            v[0].summary.ends_with("(RFC 2060 §7.5)"),
            "{}",
            v[0].summary
        );
    }

    #[test]
    fn one_request_per_announced_literal_is_expected_rfc2060_7_5() {
        let v = judge(
            vec![ex(&[
                "C: a1 LOGIN {3}",
                "S: + Ready",
                "C: foo {3}",
                "S: + Ready",
                "C: bar",
                "S: a1 OK",
            ])],
            &[],
        );
        assert!(v.is_empty(), "{v:?}");
        // A second request for one literal is not.
        let v = judge(
            vec![ex(&[
                "C: a1 APPEND INBOX {3}",
                "S: + Ready",
                "S: + Ready again",
                "C: abc",
                "S: a1 OK",
            ])],
            &[],
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn a_request_after_the_completion_is_one_nobody_waits_for_rfc2060_7_5() {
        let v = judge(
            vec![ex(&["C: a1 LOGIN {3}", "S: a1 BAD no", "S: + late"])],
            &[],
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn authenticate_may_ask_any_number_of_times_and_idle_once_rfc2060_6_2_1() {
        let v = judge(
            vec![
                ex(&[
                    "C: a1 AUTHENTICATE LOGIN",
                    "S: + VXNlcm5hbWU6",
                    "C: dQ==",
                    "S: + UGFzc3dvcmQ6",
                    "C: cA==",
                    "S: + ",
                    "C: *",
                    "S: a1 BAD cancelled",
                ]),
                ex(&["C: a2 IDLE", "S: + idling", "C: DONE", "S: a2 OK"]),
            ],
            &[],
        );
        assert!(v.is_empty(), "{v:?}");
        let v = judge(
            vec![ex(&[
                "C: a2 IDLE",
                "S: + idling",
                "S: + again",
                "C: DONE",
                "S: a2 OK",
            ])],
            &[],
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn a_line_that_only_starts_with_plus_is_left_to_the_syntax_judge() {
        let v = judge(vec![ex(&["C: a1 NOOP", "S: +garbage", "S: a1 OK"])], &[]);
        assert!(v.is_empty(), "{v:?}");
        let v = judge(vec![ex(&["C: a1 NOOP", "S: +", "S: a1 OK"])], &[]);
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn a_mutated_command_is_not_judged_here() {
        let v = judge(vec![ex(&["C: a1 NOOP {", "S: + go on", "S: a1 OK"])], &[0]);
        assert!(v.is_empty(), "{v:?}");
    }
}
