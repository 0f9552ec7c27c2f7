//! Timeouts asked again before they are reported.
//!
//! A server that answers after the per-command timeout has broken no sentence of the RFC
//! (it sets no time limit), and servers delay some answers on purpose: Courier-IMAP
//! answers every failed AUTHENTICATE after 5 s. So a session whose wait ran out is run
//! again from fresh state (the target's `reset` hook, a new connection), the same script
//! up to and including the wait that ran out, and that one wait gets a deadline
//! [`RECHECK_FACTOR`] times longer; every other wait keeps its own timeout, so the second
//! run is bounded like the first. If the answer comes, the second run is the session's
//! record, ending in [`End::Slow`] with the delay measured (the end judge makes it a
//! note); if it does not, the first run stays a timeout, its text saying it was asked
//! again. Either way the run happens inside the session that timed out, so a campaign's
//! Ctrl-C (finish the sessions in flight) and `--resume` treat it like any session.

use std::time::Duration;

use super::{reset, run_once, DriveError, DriveOptions, Run, Wait};
use crate::targets::{Credentials, Target};
use crate::wire::{End, Late, Message, Transcript};

/// How many times longer the deadline is when a timeout is asked again.
pub const RECHECK_FACTOR: u32 = 6;

/// The wait that ran out, the timeout it had, and where to ask again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimedOut {
    pub wait: Wait,
    pub timeout: Duration,
}

/// The wait a second run gives the longer deadline to, and ends after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recheck {
    pub wait: Wait,
    pub deadline: Duration,
}

/// `first` ended in a timeout at `out`: runs the session again from fresh state with the
/// longer deadline for that wait, and returns the session's record.
pub(crate) async fn recheck(
    target: &Target,
    creds: Option<&Credentials>,
    script: &[Message],
    opts: &DriveOptions,
    first: Transcript,
    out: TimedOut,
) -> Transcript {
    let deadline = out.timeout * RECHECK_FACTOR;
    let again = match reset(target, creds).await {
        Ok(()) => {
            let r = Recheck {
                wait: out.wait,
                deadline,
            };
            run_once(target, creds, script, opts, Some(r)).await
        }
        Err(e) => Err(e),
    };
    conclude(first, out, deadline, again)
}

/// What the second run shows about the first one's timeout.
fn conclude(
    mut first: Transcript,
    out: TimedOut,
    deadline: Duration,
    again: Result<Run, DriveError>,
) -> Transcript {
    let (timeout_ms, deadline_ms) = (millis(out.timeout), millis(deadline));
    let why = match again {
        Ok(Run {
            transcript,
            answered_after: Some(after),
            ..
        }) => {
            let mut t = transcript;
            t.end = End::Slow(Late {
                after_ms: millis(after),
                timeout_ms,
                deadline_ms,
            });
            return t;
        }
        Ok(Run {
            timed_out: Some(o), ..
        }) if o.wait == out.wait => {
            format!("no complete answer within {timeout_ms} ms, nor within {deadline_ms} ms when asked again from a fresh session")
        }
        Ok(Run { transcript, .. }) => format!(
            "no complete answer within {timeout_ms} ms (asked again from a fresh session with a {deadline_ms} ms deadline, that session did not reach the same wait: it ended {})",
            transcript.end.to_line()
        ),
        Err(e) => format!(
            "no complete answer within {timeout_ms} ms (it could not be asked again from a fresh session: {e})"
        ),
    };
    first.end = End::Timeout(why);
    first
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Exchange;

    fn first() -> Transcript {
        Transcript {
            script: vec![Exchange::from_lines("a1 NOOP", &[])],
            end: End::Timeout("no complete answer within 100 ms".into()),
            ..Transcript::default()
        }
    }

    const OUT: TimedOut = TimedOut {
        wait: Wait::Script(0),
        timeout: Duration::from_millis(100),
    };

    #[test]
    fn an_answer_within_the_longer_deadline_makes_the_second_run_the_record() {
        let second = Transcript {
            script: vec![Exchange::from_lines("a1 NOOP", &["a1 OK late"])],
            ..Transcript::default()
        };
        let t = conclude(
            first(),
            OUT,
            Duration::from_millis(600),
            Ok(Run {
                transcript: second,
                timed_out: None,
                answered_after: Some(Duration::from_millis(150)),
            }),
        );
        assert_eq!(
            t.end,
            End::Slow(Late {
                after_ms: 150,
                timeout_ms: 100,
                deadline_ms: 600
            })
        );
        assert!(
            t.script[0].completion().is_some(),
            "the late answer is kept"
        );
    }

    #[test]
    fn no_answer_within_the_longer_deadline_stays_a_timeout_that_says_so() {
        let t = conclude(
            first(),
            OUT,
            Duration::from_millis(600),
            Ok(Run {
                transcript: first(),
                timed_out: Some(TimedOut {
                    timeout: Duration::from_millis(600),
                    ..OUT
                }),
                answered_after: None,
            }),
        );
        assert_eq!(
            t.end,
            End::Timeout(
                "no complete answer within 100 ms, nor within 600 ms when asked again from a fresh session".into()
            )
        );
    }

    #[test]
    fn a_second_run_that_stops_elsewhere_proves_nothing_and_the_timeout_stays() {
        let t = conclude(
            first(),
            OUT,
            Duration::from_millis(600),
            Ok(Run {
                transcript: Transcript {
                    end: End::Closed,
                    ..Transcript::default()
                },
                timed_out: None,
                answered_after: None,
            }),
        );
        let End::Timeout(why) = &t.end else {
            panic!("{:?}", t.end)
        };
        assert!(why.contains("ended closed"), "{why}");
        let t = conclude(
            first(),
            OUT,
            Duration::from_millis(600),
            Err(DriveError::Reset("hook failed".into())),
        );
        let End::Timeout(why) = &t.end else {
            panic!("{:?}", t.end)
        };
        assert!(why.contains("hook failed"), "{why}");
    }
}
