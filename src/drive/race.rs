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
use crate::gen::race::{RaceScript, Side};
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
        let r = s.open(creds).await;
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
            let o = &mut sessions[next.side.index()];
            let idle_next = o.drain(IDLE_WAIT).await.map_err(|e| (next.side, e))?;
            let r = o.step(&next.command).await;
            out.push(RaceRecord {
                side: next.side,
                idle: idle_next,
                exchange: o.t.script.pop().unwrap_or_default(),
                overlap: false,
            });
            r.map_err(|e| (next.side, e))?;
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
                    self.learn_capabilities(&m);
                    got.push(m);
                }
                Err(Stop::Timeout) => return Ok(got),
                Err(other) => return Err(other),
            }
        }
    }

    /// Sends a one-line command and records it as a new exchange, without reading.
    async fn send_only(&mut self, cmd: &Message) -> Result<(), Stop> {
        self.t.script.push(Exchange {
            events: vec![Event::Client(cmd.clone())],
        });
        self.send(&cmd.to_bytes()).await
    }

    /// Reads the answer of the command [`Session::send_only`] sent (the last exchange).
    async fn finish(&mut self, cmd: &Message) -> Result<(), Stop> {
        let tag = cmd.tag().to_vec();
        let idx = self.t.script.len() - 1;
        for _ in 0..self.opts.max_responses_per_command {
            let (_, done) = self.receive(false, idx, &tag).await?;
            if done {
                return Ok(());
            }
        }
        Err(Stop::Broken(format!(
            "more than {} responses to one command",
            self.opts.max_responses_per_command
        )))
    }
}
