//! Runs a concurrency scenario ([`crate::gen::race`]): two connections of one user to
//! one target, the steps in the scenario's order.
//!
//! Each step runs to its tagged completion before the next is sent, except an
//! overlapping step: it is sent, the next step (on the other connection) runs to its
//! completion, and only then is the overlapping command's answer read. Before a command
//! on a connection that was left idle while the other one worked, the driver waits
//! [`IDLE_WAIT`] for anything the server sends unasked: those messages were sent while no
//! command was in progress on that connection (RFC 2060 §5.3, §7.4.1).

use std::time::Duration;

use tokio::time::Instant;

use super::conn::Stop;
use super::{is_logout, reset, DriveError, DriveOptions, Session, SessionDir};
use crate::gen::race::{RaceScript, RaceStep, Side};
use crate::targets::{Credentials, Target};
use crate::wire::{End, Event, Exchange, Message, Transcript};

/// How long the driver listens on an idle connection before its next command.
pub const IDLE_WAIT: Duration = Duration::from_millis(40);

/// One step as it happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaceRecord {
    pub side: Side,
    /// What the server sent this connection while no command was in progress on it,
    /// just before this step's command.
    pub idle: Vec<Message>,
    pub exchange: Exchange,
    /// The command's answer was read only after the next step completed.
    pub overlap: bool,
}

/// Everything a scenario exchanged with one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceTranscript {
    /// Per connection (A, B): the greeting and setup (LOGIN, CAPABILITY); `script` empty.
    pub setup: [Transcript; 2],
    /// The scenario's steps, in the order they were sent.
    pub steps: Vec<RaceRecord>,
    pub end: End,
}

/// Runs `script` against `target` as the pool user `creds` (reset first).
pub async fn run_race(
    target: &Target,
    creds: Option<&Credentials>,
    script: &RaceScript,
    opts: &DriveOptions,
) -> Result<RaceTranscript, DriveError> {
    reset(target, creds).await?;
    let dir = SessionDir::new().map_err(|e| DriveError::Spawn(e.to_string()))?;
    let mut a = Session::connect(target, creds, opts, &dir).await?;
    let mut b = Session::connect(target, creds, opts, &dir).await?;
    let mut t = RaceTranscript {
        setup: [Transcript::default(), Transcript::default()],
        steps: Vec::new(),
        end: End::Completed,
    };
    let mut opened = true;
    for s in [&mut a, &mut b] {
        let r = s.open(target, creds).await;
        if let Some(e) = s.setup_error.take() {
            return Err(e);
        }
        match r {
            Ok(true) => {}
            Ok(false) => opened = false,
            Err(stop) => {
                t.end = s.end_of(Err(stop)).await;
                opened = false;
            }
        }
    }
    if opened {
        let mut sessions = [a, b];
        let result = run_steps(&mut sessions, script, &mut t.steps).await;
        if let Err((side, stop)) = result {
            t.end = sessions[side.index()].end_of(Err(stop)).await;
        }
        let [a, b] = sessions;
        t.setup = [a.t, b.t];
    } else {
        t.setup = [a.t, b.t];
    }
    drop(dir);
    Ok(t)
}

type Failed = (Side, Stop);

async fn run_steps(
    sessions: &mut [Session<'_>; 2],
    script: &RaceScript,
    out: &mut Vec<RaceRecord>,
) -> Result<(), Failed> {
    let mut last: Option<Side> = None;
    let mut i = 0;
    while i < script.steps.len() {
        let step = &script.steps[i];
        let side = step.side;
        let s = &mut sessions[side.index()];
        let idle = if last.is_some_and(|l| l != side) {
            s.drain(IDLE_WAIT).await.map_err(|e| (side, e))?
        } else {
            Vec::new()
        };
        let next = script.steps.get(i + 1).filter(|n| n.side != side);
        if let (true, Some(next), true) = (step.overlap, next, is_idle(&step.command)) {
            idle_during(sessions, side, &step.command, next, out, idle).await?;
            last = Some(side);
            i += 2;
            continue;
        }
        if let (true, Some(next)) = (step.overlap, next) {
            let first = out.len();
            out.push(RaceRecord {
                side,
                idle,
                exchange: Exchange::default(),
                overlap: true,
            });
            let sent = s.send_only(&step.command).await;
            out[first].exchange = s.t.script.pop().unwrap_or_default();
            sent.map_err(|e| (side, e))?;
            // The other side's step runs while this command is in progress.
            run_other(sessions, next, out).await?;
            let s = &mut sessions[side.index()];
            s.t.script.push(std::mem::take(&mut out[first].exchange));
            let r = s.finish(&step.command).await;
            out[first].exchange = s.t.script.pop().unwrap_or_default();
            r.map_err(|e| (side, e))?;
            last = Some(side);
            i += 2;
            continue;
        }
        let r = s.step(&step.command).await;
        out.push(RaceRecord {
            side,
            idle,
            exchange: s.t.script.pop().unwrap_or_default(),
            overlap: false,
        });
        r.map_err(|e| (side, e))?;
        last = Some(side);
        i += 1;
    }
    Ok(())
}

/// Whether a command is RFC 2177 IDLE.
fn is_idle(cmd: &Message) -> bool {
    cmd.first_line()
        .split(|&b| b == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"IDLE"))
}

/// How long an idling connection is listened to after the other connection's change,
/// before DONE.
pub const IDLE_SETTLE: Duration = Duration::from_millis(200);

/// The other connection's step, run while `side`'s command is in progress: listen on it
/// (it was idle), then run its command to completion.
async fn run_other(
    sessions: &mut [Session<'_>; 2],
    next: &RaceStep,
    out: &mut Vec<RaceRecord>,
) -> Result<(), Failed> {
    let o = &mut sessions[next.side.index()];
    let idle = o.drain(IDLE_WAIT).await.map_err(|e| (next.side, e))?;
    let r = o.step(&next.command).await;
    out.push(RaceRecord {
        side: next.side,
        idle,
        exchange: o.t.script.pop().unwrap_or_default(),
        overlap: false,
    });
    r.map_err(|e| (next.side, e))
}

/// RFC 2177 IDLE on `side` while `next` runs on the other connection: IDLE, the server's
/// continuation request, the other's command, [`IDLE_SETTLE`] of listening, DONE, and the
/// tagged answer, all one exchange. A server that did not advertise IDLE is sent NOOP
/// instead (RFC 2177: "the client MUST NOT use the IDLE command").
async fn idle_during(
    sessions: &mut [Session<'_>; 2],
    side: Side,
    cmd: &Message,
    next: &RaceStep,
    out: &mut Vec<RaceRecord>,
    idle: Vec<Message>,
) -> Result<(), Failed> {
    let first = out.len();
    out.push(RaceRecord {
        side,
        idle,
        exchange: Exchange::default(),
        overlap: false,
    });
    let s = &mut sessions[side.index()];
    if !s.idle {
        let tag = String::from_utf8_lossy(cmd.tag()).into_owned();
        let r = s.step(&Message::line(format!("{tag} NOOP"))).await;
        out[first].exchange = s.t.script.pop().unwrap_or_default();
        r.map_err(|e| (side, e))?;
        return run_other(sessions, next, out).await;
    }
    let started = s.start_idle(cmd).await;
    let idling = match started {
        Ok(idling) => idling,
        Err(e) => {
            out[first].exchange = s.t.script.pop().unwrap_or_default();
            return Err((side, e));
        }
    };
    if !idling {
        // Refused: the command is over, and the other step runs after it.
        out[first].exchange = s.t.script.pop().unwrap_or_default();
        return run_other(sessions, next, out).await;
    }
    out[first].overlap = true;
    let other = run_other(sessions, next, out).await;
    let s = &mut sessions[side.index()];
    let r = match other {
        Ok(()) => s.end_idle(cmd).await,
        Err(e) => {
            out[first].exchange = s.t.script.pop().unwrap_or_default();
            return Err(e);
        }
    };
    out[first].exchange = s.t.script.pop().unwrap_or_default();
    r.map_err(|e| (side, e))
}

impl Session<'_> {
    /// One command to its completion (and, after LOGOUT, to the server's close), recorded
    /// as the last exchange of the script.
    async fn step(&mut self, cmd: &Message) -> Result<(), Stop> {
        self.exchange(cmd, false).await?;
        if is_logout(cmd) {
            // RFC 2060 §6.1.3: after LOGOUT the server closes the connection.
            self.expect_close().await?;
        }
        Ok(())
    }

    /// Everything the server sends within `wait`, with no command in progress.
    async fn drain(&mut self, wait: Duration) -> Result<Vec<Message>, Stop> {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        loop {
            match self.conn.next_message(deadline).await {
                Ok(m) => {
                    self.count(&m)?;
                    self.learn_capabilities(&m);
                    got.push(m);
                    if got.len() >= self.max_responses {
                        return Err(self.too_many_responses());
                    }
                }
                Err(Stop::Timeout) => return Ok(got),
                Err(other) => return Err(other),
            }
        }
    }

    /// Sends IDLE and reads until the continuation request (true: idling) or the tagged
    /// answer (false: refused).
    async fn start_idle(&mut self, cmd: &Message) -> Result<bool, Stop> {
        self.send_only(cmd).await?;
        let tag = cmd.tag().to_vec();
        let idx = self.t.script.len() - 1;
        for _ in 0..self.max_responses {
            let (cont, done) = self.receive(false, idx, &tag).await?;
            if done {
                return Ok(false);
            }
            if cont {
                return Ok(true);
            }
        }
        Err(self.too_many_responses())
    }

    /// Listens for [`IDLE_SETTLE`], sends DONE, and reads the tagged answer (RFC 2177:
    /// the server "MUST immediately send the tagged response").
    async fn end_idle(&mut self, cmd: &Message) -> Result<(), Stop> {
        let idx = self.t.script.len() - 1;
        let deadline = Instant::now() + IDLE_SETTLE;
        loop {
            match self.conn.next_message(deadline).await {
                Ok(m) => {
                    let counted = self.count(&m);
                    self.push_event(false, idx, Event::Server(m));
                    counted?;
                }
                Err(Stop::Timeout) => break,
                Err(other) => return Err(other),
            }
        }
        // DONE and the tagged answer get the timeout afresh.
        self.start_clock(super::Wait::Other, false);
        self.send(b"DONE\r\n").await?;
        self.push_event(false, idx, Event::Client(Message::line("DONE")));
        self.finish(cmd).await
    }

    /// Sends a one-line command and records it as a new exchange, without reading.
    async fn send_only(&mut self, cmd: &Message) -> Result<(), Stop> {
        self.t.script.push(Exchange {
            events: vec![Event::Client(cmd.clone())],
        });
        self.start_clock(super::Wait::Other, false);
        self.send(&cmd.to_bytes()).await
    }

    /// Reads the answer of the command [`Session::send_only`] sent (the last exchange),
    /// within the timeout counted from now (an overlapping command's answer is read
    /// only after the other connection's step).
    async fn finish(&mut self, cmd: &Message) -> Result<(), Stop> {
        self.start_clock(super::Wait::Other, false);
        let tag = cmd.tag().to_vec();
        let idx = self.t.script.len() - 1;
        for _ in 0..self.max_responses {
            let (_, done) = self.receive(false, idx, &tag).await?;
            if done {
                return Ok(());
            }
        }
        Err(self.too_many_responses())
    }
}
