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

use super::conn::Stop;
use super::{reset, DriveError, DriveOptions};
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

/// One run of a session, and what the timeouts did in it.
pub(crate) struct Run {
    pub transcript: Transcript,
    /// The wait that ran out, if the session ended in a timeout.
    pub timed_out: Option<TimedOut>,
    /// In a second run ([`Recheck`]): how long the wait asked again took, if it was
    /// answered.
    pub answered_after: Option<Duration>,
}

/// Runs a session once. With `recheck`, that wait gets the longer deadline and the
/// session ends when it is answered.
pub(crate) async fn run_once(
    target: &Target,
    creds: Option<&Credentials>,
    script: &[Message],
    opts: &DriveOptions,
    recheck: Option<Recheck>,
) -> Result<Run, DriveError> {
    let session_dir = super::SessionDir::new().map_err(|e| DriveError::Spawn(e.to_string()))?;
    let mut session = super::Session::connect(target, creds, opts, &session_dir).await?;
    session.recheck = recheck;
    let result = session.run(target, creds, script).await;
    if let Some(e) = session.setup_error.take() {
        return Err(e);
    }
    let timed_out = matches!(result, Err(Stop::Timeout)).then_some(session.waiting);
    let end = session.end_of(result).await;
    let mut t = session.t;
    t.end = end;
    drop(session_dir);
    Ok(Run {
        transcript: t,
        timed_out,
        answered_after: session.answered_after,
    })
}

/// What the driver is waiting for: the deadline of each wait is set by its kind, and a
/// timeout names the wait it happened in ([`recheck`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The greeting.
    Greeting,
    /// The answer to the setup command at this index of [`Transcript::setup`].
    Setup(usize),
    /// The answer to the script command at this index.
    Script(usize),
    /// The server closing the connection after LOGOUT.
    Close,
    /// Anything else (the TLS handshake after STARTTLS): not asked again.
    Other,
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
        }) if command_at(&transcript, out.wait) == command_at(&first, out.wait) => {
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

/// The first line of the command a wait was for, if it was one.
fn command_at(t: &Transcript, wait: Wait) -> Option<Vec<u8>> {
    let e = match wait {
        Wait::Setup(i) => t.setup.get(i)?,
        Wait::Script(i) => t.script.get(i)?,
        Wait::Greeting | Wait::Close | Wait::Other => return None,
    };
    Some(e.command().first_line().to_vec())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::run_session;
    use crate::wire::Exchange;

    use crate::drive::tests::{shell_target, PREAUTH};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn run(target: &Target) -> Transcript {
        block_on(run_session(
            target,
            None,
            &[Message::line("a1 NOOP")],
            &DriveOptions::default(),
        ))
        .unwrap()
    }

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
    fn an_answer_to_another_command_proves_nothing() {
        let other = Transcript {
            script: vec![Exchange::from_lines("a1 CHECK", &["a1 OK"])],
            ..Transcript::default()
        };
        let t = conclude(
            first(),
            OUT,
            Duration::from_millis(600),
            Ok(Run {
                transcript: other,
                timed_out: None,
                answered_after: Some(Duration::from_millis(150)),
            }),
        );
        assert!(matches!(t.end, End::Timeout(_)), "{:?}", t.end);
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

    #[test]
    fn an_answer_after_the_timeout_is_asked_again_and_ends_slow_with_the_delay_measured() {
        // NOOP is answered after 450 ms; the timeout is 300 ms, so the first run times
        // out and the second, with 1800 ms for that wait, gets the answer.
        let t = shell_target(
            &format!("{PREAUTH}sleep 0.45; printf 'a1 OK late\\r\\n'"),
            300,
        );
        let tr = run(&t);
        let End::Slow(late) = tr.end else {
            panic!("{:?}", tr.end)
        };
        assert_eq!(
            (late.timeout_ms, late.deadline_ms),
            (300, 300 * u64::from(RECHECK_FACTOR))
        );
        assert!(
            (450..1800).contains(&late.after_ms),
            "measured {} ms",
            late.after_ms
        );
        assert_eq!(tr.script.len(), 1);
        assert_eq!(
            tr.script[0].completion().map(|m| m.first_line().to_vec()),
            Some(b"a1 OK late".to_vec()),
            "the record is the second run, with the late answer"
        );
    }

    #[test]
    fn a_command_never_answered_stays_a_timeout_after_the_longer_deadline() {
        let t = shell_target(&format!("{PREAUTH}sleep 30"), 200);
        let start = std::time::Instant::now();
        let tr = run(&t);
        let took = start.elapsed();
        assert_eq!(
            tr.end,
            End::Timeout(
                "no complete answer within 200 ms, nor within 1200 ms when asked again from a fresh session".into()
            )
        );
        // Both runs, and no more: the second is bounded by its longer deadline.
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_millis(1400 + 1500),
            "took {took:?}"
        );
    }

    #[test]
    fn login_waits_for_the_auth_timeout_not_the_command_timeout() {
        // LOGIN is answered after 400 ms: past `timeout_ms` (150), within
        // `auth_timeout_ms` (3000), so no wait runs out.
        let t = Target {
            auth_timeout_ms: Some(3000),
            ..shell_target(
                "printf '* OK [CAPABILITY IMAP4rev1] hi\\r\\n'; read x; sleep 0.4; \
                 printf 's1 OK in\\r\\n'; read y; printf 'a1 OK\\r\\n'",
                150,
            )
        };
        let c = Credentials {
            user: "u".into(),
            password: "p".into(),
        };
        let tr = block_on(run_session(
            &t,
            Some(&c),
            &[Message::line("a1 NOOP")],
            &DriveOptions::default(),
        ))
        .unwrap();
        assert_eq!(tr.end, End::Completed);
        assert_eq!(tr.script[0].status().as_deref(), Some("OK"));
    }

    #[test]
    fn the_auth_timeout_is_at_least_15_s_and_never_below_the_command_timeout() {
        let t = Target::default();
        assert_eq!(t.timeout(), Duration::from_secs(10));
        assert_eq!(t.auth_timeout(), Duration::from_secs(15));
        let long = Target {
            timeout_ms: Some(60_000),
            ..Target::default()
        };
        assert_eq!(long.auth_timeout(), Duration::from_secs(60));
        let own = Target {
            auth_timeout_ms: Some(500),
            ..Target::default()
        };
        assert_eq!(own.auth_timeout(), Duration::from_millis(500));
    }
}
