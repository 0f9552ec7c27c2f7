//! RFC 2060 §6.2.1 AUTHENTICATE followed on the model, answer by answer.

use super::*;

impl Oracle {
    /// RFC 2060 §6.2.1 AUTHENTICATE, in whatever state and with whatever answers: the
    /// exchange is run on the model ([`crate::model::sasl`]) answer by answer, and the
    /// server's outcome must be one the model allows: BAD for a cancelled exchange, never
    /// OK for an answer or initial response that is not base64, NO (SHOULD) for a
    /// mechanism the server does not know, never OK outside the non-authenticated state.
    /// An OK puts the session in the authenticated state as the user the exchange named
    /// ("OK - authenticate completed, now in authenticated state"). True when `e` is an
    /// AUTHENTICATE exchange (judged here); `end` is how the session ended when it was the
    /// last exchange.
    pub(super) fn authenticate(
        &mut self,
        step: Option<usize>,
        e: &Exchange,
        end: Option<&End>,
    ) -> bool {
        use crate::model::sasl::{self, AuthStep};
        let cmd = e.command();
        let Some(line) = sasl::authenticate_line(cmd.first_line()) else {
            return false;
        };
        self.client_text.extend_from_slice(&cmd.to_bytes());
        if self.cancelled_authenticate(step, e, end) {
            self.coverage.judged += 1;
            return true;
        }
        let answers = authenticate_answers(e);
        let Some(done) = e.completion() else {
            self.stop(Gap::NoCompletion);
            return true;
        };
        // A case file keeps no AUTHENTICATE data of a login ([`crate::redact`]): whose
        // credentials they were is unknown, and an OK logs in as someone.
        let marker = crate::redact::MARKER.as_bytes();
        let redacted =
            line.initial.as_deref() == Some(marker) || answers.iter().any(|a| a == marker);
        if redacted && self.session.state == State::NotAuthenticated {
            self.coverage.judged += 1;
            if done.first_line().split(|&b| b == b' ').nth(1) == Some(b"OK") {
                self.session.log_in(&mut self.store, b"redacted", b"");
            }
            return true;
        }
        let outcome = match done.first_line().split(|&b| b == b' ').nth(1) {
            Some(w) if w.eq_ignore_ascii_case(b"OK") => Outcome::Ok,
            Some(w) if w.eq_ignore_ascii_case(b"NO") => Outcome::No,
            Some(w) if w.eq_ignore_ascii_case(b"BAD") => Outcome::Bad,
            _ => {
                self.stop(Gap::UnreadableCompletion);
                return true;
            }
        };
        let mut trial = self.session.clone();
        let mut store = self.store.clone();
        let (mut next, mut a) =
            trial.authenticate(&mut store, &line.mechanism, line.initial.as_deref());
        for answer in &answers {
            match next {
                AuthStep::Challenge(_) => {
                    next = trial.authenticate_answer(&mut store, &mut a, answer);
                }
                AuthStep::Done(_) => {
                    // The server asked for more than the mechanism needs: not a finding
                    // of RFC 2060, but the model no longer knows what the server did.
                    self.stop(Gap::AuthenticateLonger);
                    return true;
                }
            }
        }
        self.coverage.judged += 1;
        let reply = match next {
            AuthStep::Done(reply) => reply,
            AuthStep::Challenge(_) => {
                // The server ended the exchange before the mechanism did: a refusal
                // changes nothing; an OK the model cannot follow.
                if outcome == Outcome::Ok {
                    self.stop(Gap::AuthenticateShorter);
                }
                return true;
            }
        };
        if !reply.allowed.permits(outcome) && !reply.allowed.rule.is_empty() {
            let mechanism = String::from_utf8_lossy(&line.mechanism).to_ascii_uppercase();
            let (summary, expected) = match reply.allowed.rule {
                r if r == crate::model::session::rule::AUTHENTICATE_BASE64 => (
                    format!(
                        "AUTHENTICATE {mechanism} with {} that is not base64 was accepted",
                        if line
                            .initial
                            .as_deref()
                            .is_some_and(|i| i != b"=" && sasl::decode_base64(i).is_none())
                        {
                            "an initial response"
                        } else {
                            "an answer"
                        }
                    ),
                    "<tag> BAD ... or <tag> NO ...",
                ),
                r if r == crate::model::session::rule::UNSUPPORTED_MECHANISM => (
                    format!(
                        "AUTHENTICATE with the unsupported mechanism {mechanism} got BAD, not NO"
                    ),
                    "<tag> NO ...",
                ),
                _ => (
                    format!(
                        "AUTHENTICATE {mechanism} succeeded outside the non-authenticated state"
                    ),
                    "<tag> BAD ... or <tag> NO ...",
                ),
            };
            self.find(
                step,
                reply.allowed.rule,
                summary,
                expected.into(),
                escape(&done.to_bytes()),
            );
            if outcome == Outcome::Ok {
                self.stop(Stop::in_command(Gap::AcceptedWhereRefused, "AUTHENTICATE"));
            }
            return true;
        }
        match (outcome, reply.completion.outcome) {
            (Outcome::Ok, Outcome::Ok) => {
                self.session = trial;
                self.store = store;
            }
            (Outcome::Ok, _) => {
                // A mechanism the model does not implement, carried out by the server.
                self.stop(Gap::AuthenticateMechanism);
            }
            // RFC 2060 §6.2.1: a refused AUTHENTICATE leaves the session as it was.
            _ => {}
        }
        true
    }

    /// RFC 2060 §6.2.1: "If the client wishes to cancel an authentication exchange, it
    /// issues a line with a single "*". If the server receives such an answer, it MUST
    /// reject the AUTHENTICATE command by sending a tagged BAD response." Judges an
    /// AUTHENTICATE exchange the client cancelled (true), which changes no state; `end` is
    /// how the session ended when this was its last exchange (a server still waiting
    /// after the `*` times out).
    pub(super) fn cancelled_authenticate(
        &mut self,
        step: Option<usize>,
        e: &Exchange,
        end: Option<&End>,
    ) -> bool {
        let cancelled = authenticate_answers(e)
            .iter()
            .any(|a| crate::model::sasl::is_cancel(a));
        if !cancelled {
            return false;
        }
        let observed = match (e.completion(), end) {
            (Some(done), _) => {
                let text = done.first_line();
                let status = text.split(|&b| b == b' ').nth(1).unwrap_or_default();
                if status.eq_ignore_ascii_case(b"BAD") {
                    return true;
                }
                escape(&done.to_bytes())
            }
            (None, Some(End::Timeout(_))) => {
                "no tagged response before the session timed out: the server kept waiting for more"
                    .into()
            }
            (None, _) => return true,
        };
        self.find(
            step,
            rule::CANCEL_BAD,
            "AUTHENTICATE cancelled with \"*\" was not rejected with a tagged BAD".into(),
            "<tag> BAD ...".into(),
            observed,
        );
        true
    }
}
