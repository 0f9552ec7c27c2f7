//! The autologout timer (RFC 2060 §5.4: "If a server has an inactivity autologout timer,
//! that timer MUST be of at least 30 minutes' duration."), judged from idle connections
//! ([`crate::drive::idle`]).
//!
//! | what is seen | conclusion |
//! |--------------|------------|
//! | the server closed the idle connection before 30 minutes, and closed a second one before 30 minutes too | violation of `2060-5.4-autologout-30-minutes`, with both idle times and the bytes the server sent while the client was idle (e.g. its BYE) |
//! | it closed the first before 30 minutes, but not the second | nothing: one close may have been a restart, not a timer |
//! | the connection stayed open for 30 minutes (plus the clock's slack) and `NOOP` was answered | the MUST is kept |
//! | it stayed open, but the window was shorter than 30 minutes | nothing is concluded |
//! | it closed only after 30 minutes | nothing: that timer is long enough |
//!
//! The idle time is the client's measure ([`crate::drive::idle`]), never shorter than the
//! server's; a close counts as too soon only when it came [`SLACK`] or more before 30
//! minutes, so that no clock or scheduling jitter can make a correct server's close at
//! 30 minutes look early.

use std::time::Duration;

use super::{requirement_kind, Kind, Verdict};
use crate::drive::idle::{IdleEnd, IdleRecord, NoopAnswer};
use crate::wire::{escape, Message};

/// The requirement this judge checks.
pub const RULE: &str = "2060-5.4-autologout-30-minutes";

/// RFC 2060 §5.4: the shortest autologout timer allowed.
pub const MINIMUM: Duration = Duration::from_secs(30 * 60);

/// How much earlier than [`MINIMUM`] a close must come to count as too soon.
pub const SLACK: Duration = Duration::from_secs(2);

/// What the idle connections of one target show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conclusion {
    /// Closed twice before 30 minutes: the timer is shorter than the RFC allows.
    TooSoon { first: Duration, again: Duration },
    /// Open after 30 minutes of silence, and `NOOP` answered: any timer is long enough.
    Kept { idle: Duration },
    /// Closed, but only after 30 minutes.
    ClosedAfterMinimum { idle: Duration },
    /// Nothing can be said; the text says why.
    Inconclusive(String),
}

impl Conclusion {
    /// One line for a person.
    pub fn describe(&self) -> String {
        match self {
            Conclusion::TooSoon { first, again } => format!(
                "VIOLATION: closed the idle connection after {} of inactivity, and a second one after {} (RFC 2060 §5.4: at least 30 minutes)",
                human(*first),
                human(*again)
            ),
            Conclusion::Kept { idle } => format!(
                "kept: still open after {} of inactivity and NOOP answered, so any autologout timer is at least 30 minutes",
                human(*idle)
            ),
            Conclusion::ClosedAfterMinimum { idle } => format!(
                "closed the idle connection after {} of inactivity: not sooner than 30 minutes",
                human(*idle)
            ),
            Conclusion::Inconclusive(why) => format!("nothing concluded: {why}"),
        }
    }
}

/// Whether `r` ended with the server closing the connection clearly before 30 minutes of
/// inactivity.
pub fn closed_too_soon(r: &IdleRecord) -> bool {
    matches!(r.end, IdleEnd::Closed { .. }) && r.idle + SLACK <= MINIMUM
}

/// What the first idle connection and, where the first closed too soon, the second one
/// (`again`) show.
pub fn conclude(first: &IdleRecord, again: Option<&IdleRecord>) -> Conclusion {
    if closed_too_soon(first) {
        return match again {
            Some(a) if closed_too_soon(a) => Conclusion::TooSoon {
                first: first.idle,
                again: a.idle,
            },
            Some(a) => Conclusion::Inconclusive(format!(
                "the first connection was closed after {} of inactivity, but a second one was not ({})",
                human(first.idle),
                ended(a)
            )),
            None => Conclusion::Inconclusive(format!(
                "the connection was closed after {} of inactivity; no second connection confirmed it",
                human(first.idle)
            )),
        };
    }
    match &first.end {
        IdleEnd::Closed { .. } => Conclusion::ClosedAfterMinimum { idle: first.idle },
        IdleEnd::Open {
            noop: NoopAnswer::Completed(_),
        } if first.idle >= MINIMUM + SLACK => Conclusion::Kept { idle: first.idle },
        IdleEnd::Open {
            noop: NoopAnswer::Completed(_),
        } => Conclusion::Inconclusive(format!(
            "still open after {} of inactivity, a window shorter than 30 minutes",
            human(first.idle)
        )),
        _ => Conclusion::Inconclusive(ended(first)),
    }
}

/// The finding, if the connections show one: a violation of RFC 2060 §5.4 when the
/// server closed both idle connections before 30 minutes.
pub fn judge_autologout(
    target: &str,
    first: &IdleRecord,
    again: Option<&IdleRecord>,
) -> Vec<Verdict> {
    let Conclusion::TooSoon {
        first: t1,
        again: t2,
    } = conclude(first, again)
    else {
        return Vec::new();
    };
    let mut observed = evidence("first connection", first);
    if let Some(a) = again {
        observed.push_str("; ");
        observed.push_str(&evidence("second connection", a));
    }
    let kind = requirement_kind(RULE).unwrap_or(Kind::Violation);
    vec![Verdict {
        kind,
        targets: vec![target.to_string()],
        step: None,
        rule: Some(RULE.to_string()),
        summary: format!(
            "the server closed an idle connection after {} of inactivity, and a second one after {}: its autologout timer is shorter than 30 minutes",
            human(t1),
            human(t2)
        ),
        expected: crate::catalogue::catalogue()
            .cite(RULE)
            .unwrap_or_else(|| RULE.to_string()),
        observed,
        cause: None,
    }]
}

/// What the server sent after the client fell silent, and when it closed.
fn evidence(which: &str, r: &IdleRecord) -> String {
    let said: Vec<String> = idle_messages(r)
        .into_iter()
        .map(|m| escape(&m.to_bytes()))
        .collect();
    let closed = match &r.end {
        IdleEnd::Closed { how: Some(how) } => format!("closed ({how})"),
        _ => "closed".to_string(),
    };
    let sent = if said.is_empty() {
        "nothing".to_string()
    } else {
        said.join("")
    };
    format!(
        "{which}: after its last command the client sent nothing; the server sent {sent} and {closed} after {} ({} ms) of inactivity",
        human(r.idle),
        r.idle.as_millis()
    )
}

/// The server messages after the completion of the last command sent before the
/// silence: what the server said while the client was idle.
pub fn idle_messages(r: &IdleRecord) -> Vec<&Message> {
    let Some(e) = r.transcript.setup.last() else {
        return Vec::new();
    };
    // What the server sent while the client was idle, after the login's completion.
    e.after_completion()
}

/// How a watch that shows nothing ended, for [`Conclusion::Inconclusive`].
fn ended(r: &IdleRecord) -> String {
    match &r.end {
        IdleEnd::Closed { .. } => format!("closed after {} of inactivity", human(r.idle)),
        IdleEnd::Open {
            noop: NoopAnswer::Completed(status),
        } => format!(
            "still open after {} of inactivity; NOOP answered {status}",
            human(r.idle)
        ),
        IdleEnd::Open {
            noop: NoopAnswer::Closed,
        } => format!(
            "still open after {} of inactivity, but closed when NOOP was sent",
            human(r.idle)
        ),
        IdleEnd::Open {
            noop: NoopAnswer::NoAnswer,
        } => format!(
            "still open after {} of inactivity, but NOOP got no answer",
            human(r.idle)
        ),
        IdleEnd::Interrupted => {
            format!("stopped by a signal after {} of inactivity", human(r.idle))
        }
        IdleEnd::Limit(why) => format!("the watch stopped at a limit: {why}"),
    }
}

/// `4.012 s`, `29 min 58.1 s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.3} s")
    } else {
        let min = (secs / 60.0).floor();
        format!("{min:.0} min {:.1} s", secs - min * 60.0)
    }
}

#[cfg(test)]
mod tests;
