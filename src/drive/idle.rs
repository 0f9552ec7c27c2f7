//! An idle connection, for the autologout probe (RFC 2060 §5.4: "If a server has an
//! inactivity autologout timer, that timer MUST be of at least 30 minutes' duration."):
//! greeting and login as every session has them, then nothing is sent; the connection is
//! watched until the server closes it or a window runs out, and then `NOOP` is sent.
//!
//! The idle time is measured on the client's clock from the moment the last bytes it
//! sent (the login, or the CAPABILITY sent after a PREAUTH greeting) were handed to the
//! stream, to the moment the close was seen. The server received those bytes no earlier
//! and closed no later, so the time measured is never shorter than the server's own
//! inactivity: a close measured below 30 minutes was below 30 minutes for the server too.
//! [`crate::judge::autologout`] judges the records.

use std::time::Duration;

use tokio::sync::watch;

use super::conn::Stop;
use super::{DriveError, DriveOptions, Session, SessionDir};
use crate::targets::{Credentials, Target};
use crate::wire::{End, Message, Transcript};

/// The command sent when the window ran out with the connection still open.
pub const NOOP_TAG: &str = "a1";

/// What one idle connection showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleRecord {
    /// The greeting, the login (with whatever the server sent while the client was idle
    /// after it) and, when the window ran out, the `NOOP` exchange in `script`.
    pub transcript: Transcript,
    /// How long the client had sent nothing when the watch ended: to the close, to the
    /// `NOOP`, or to the interruption.
    pub idle: Duration,
    pub end: IdleEnd,
    /// The window the connection was watched for.
    pub window: Duration,
}

/// How the watch of an idle connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdleEnd {
    /// The server closed the connection (end of stream, a reset, or the spawned server
    /// exited) while the client was idle; `how` says more where there is more to say (a
    /// read error, the process' exit status).
    Closed { how: Option<String> },
    /// The window ran out with the connection open, and `NOOP` was sent.
    Open { noop: NoopAnswer },
    /// A signal stopped the probe before either.
    Interrupted,
    /// The driver's own limit (bytes recorded while idle) ended the watch.
    Limit(String),
}

/// What the `NOOP` sent at the end of the window got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoopAnswer {
    /// Its tagged completion, with this status (`OK`, `NO`, `BAD`).
    Completed(String),
    /// The connection closed before the completion.
    Closed,
    /// No completion within the target's timeout.
    NoAnswer,
}

/// Opens a session to `target` (greeting, STARTTLS where configured, login unless
/// PREAUTH), sends nothing more, and watches the connection for `window` from the end of
/// the last bytes sent; then sends `NOOP`. `stop` turning true ends the watch early
/// ([`IdleEnd::Interrupted`]). `Err` only for problems of the setup (cannot connect,
/// cannot log in, the connection stopped before the login completed).
pub async fn watch_idle(
    target: &Target,
    creds: Option<&Credentials>,
    opts: &DriveOptions,
    window: Duration,
    mut stop: watch::Receiver<bool>,
) -> Result<IdleRecord, DriveError> {
    let dir = SessionDir::new().map_err(|e| DriveError::Spawn(e.to_string()))?;
    let mut s = Session::connect(target, creds, opts, &dir).await?;
    let opened = s.open(target, creds).await;
    if let Some(e) = s.setup_error.take() {
        return Err(e);
    }
    let stopped_early = |why: String| {
        DriveError::Login(format!(
            "the connection stopped before the login completed ({why}), so it could not be left idle"
        ))
    };
    match opened {
        Ok(true) => {}
        Ok(false) => return Err(stopped_early("the session could not be opened".into())),
        Err(stop) => return Err(stopped_early(describe(&stop))),
    }
    if s.t.setup.is_empty() {
        // PREAUTH and nothing sent: one command, so that the silence starts from a byte
        // the client sent and the idle time has an exchange to be recorded after.
        if let Err(stop) = s.exchange(&Message::line("s2 CAPABILITY"), true).await {
            return Err(stopped_early(describe(&stop)));
        }
    }
    let quiet_since = s
        .conn
        .last_sent()
        .expect("the login or CAPABILITY was sent");
    let until = quiet_since + window;
    let end = loop {
        let next = tokio::select! {
            m = s.conn.next_message(until) => Some(m),
            _ = stop.wait_for(|stopped| *stopped) => None,
        };
        let Some(next) = next else {
            let idle = quiet_since.elapsed();
            s.t.end = End::Limit("stopped by a signal while the connection was idle".into());
            return Ok(IdleRecord {
                transcript: s.t,
                idle,
                end: IdleEnd::Interrupted,
                window,
            });
        };
        match next {
            Ok(m) => {
                // Anything the server says while the client is silent (a BYE announcing
                // the autologout, RFC 2060 §7.1.5) is evidence: kept after the login.
                let counted = s.count(&m);
                s.record_late(m);
                if let Err(Stop::Limit(why)) = counted {
                    break IdleEnd::Limit(why);
                }
            }
            Err(Stop::Timeout) | Err(Stop::Reached) => break ask_noop(&mut s).await,
            Err(Stop::Closed) => {
                let idle = quiet_since.elapsed();
                let how = s.conn.exit_description(Duration::from_millis(500)).await;
                s.t.end = match &how {
                    Some(why) => End::Broken(why.clone()),
                    None => End::Closed,
                };
                return Ok(IdleRecord {
                    transcript: s.t,
                    idle,
                    end: IdleEnd::Closed { how },
                    window,
                });
            }
            Err(Stop::Broken(why)) => {
                let idle = quiet_since.elapsed();
                s.t.end = End::Broken(why.clone());
                return Ok(IdleRecord {
                    transcript: s.t,
                    idle,
                    end: IdleEnd::Closed { how: Some(why) },
                    window,
                });
            }
            Err(Stop::Limit(why)) => break IdleEnd::Limit(why),
        }
    };
    if let IdleEnd::Limit(why) = &end {
        s.t.end = End::Limit(why.clone());
    }
    let idle = match &end {
        // The NOOP's exchange starts with it: the silence ended when it was sent.
        IdleEnd::Open { .. } => s.conn.last_sent().unwrap_or(until) - quiet_since,
        _ => quiet_since.elapsed(),
    };
    drop(dir);
    Ok(IdleRecord {
        transcript: s.t,
        idle,
        end,
        window,
    })
}

/// The window ran out: sends `NOOP` and reads until its completion (RFC 2060 §6.1.2:
/// "NOOP ... can be used to reset any inactivity autologout timer on the server").
async fn ask_noop(s: &mut Session<'_>) -> IdleEnd {
    let noop = Message::line(format!("{NOOP_TAG} NOOP"));
    let result = s.exchange(&noop, false).await.map(|e| e.status());
    let (noop, end) = match result {
        Ok(Some(status)) => (NoopAnswer::Completed(status), End::Completed),
        Ok(None) => (NoopAnswer::NoAnswer, End::Completed),
        Err(Stop::Timeout) => (
            NoopAnswer::NoAnswer,
            End::Timeout(format!(
                "no answer to NOOP within {} ms",
                s.timeout.as_millis()
            )),
        ),
        Err(Stop::Closed) => (NoopAnswer::Closed, End::Closed),
        Err(Stop::Broken(why)) => (NoopAnswer::Closed, End::Broken(why)),
        Err(Stop::Limit(why)) => (NoopAnswer::NoAnswer, End::Limit(why)),
        Err(Stop::Reached) => (NoopAnswer::NoAnswer, End::Completed),
    };
    s.t.end = end;
    IdleEnd::Open { noop }
}

fn describe(stop: &Stop) -> String {
    match stop {
        Stop::Timeout => "no answer within the target's timeout".into(),
        Stop::Closed => "the server closed the connection".into(),
        Stop::Broken(why) | Stop::Limit(why) => why.clone(),
        Stop::Reached => "stopped".into(),
    }
}
