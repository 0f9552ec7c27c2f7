//! How many generated commands are valid: each session is run on the reference server
//! (the executable RFC 2060 model, in process), and a command counts as valid when the
//! model carries it out (tagged OK). Issue 4 asks for at least 90%, with the rest
//! deliberately wrong; the generator labels each command it means to fail
//! ([`Intent::Deliberate`]), so the measurement also shows how often the generator's own
//! belief about the account was wrong (a command meant to succeed that the model refused).

use std::collections::BTreeMap;

use crate::gen::mutate::Operator;
use crate::gen::session::{Deliberate, Intent};
use crate::gen::{self, GenConfig, Kind};
use crate::model::Profile;
use crate::serve::loopback::run_script;
use crate::wire::Message;

/// Tagged answers of the model to one class of generated commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub ok: u64,
    pub no: u64,
    pub bad: u64,
}

impl Tally {
    pub fn total(&self) -> u64 {
        self.ok + self.no + self.bad
    }

    fn add(&mut self, status: Option<&str>) {
        match status {
            Some("OK") => self.ok += 1,
            Some("NO") => self.no += 1,
            _ => self.bad += 1,
        }
    }
}

/// The measurement over a number of sessions.
#[derive(Clone, Debug, Default)]
pub struct Validity {
    pub sessions: u64,
    /// Every command, by what the model answered.
    pub all: Tally,
    /// Commands the generator meant to succeed.
    pub intended_valid: Tally,
    /// Commands meant to fail, by reason.
    pub deliberate: BTreeMap<Deliberate, Tally>,
    /// Commands broken by a mutation operator, by operator.
    pub mutated: BTreeMap<Operator, Tally>,
    /// Every command not mutated, by command.
    pub by_kind: BTreeMap<Kind, Tally>,
}

impl Validity {
    /// Share of all commands the model carried out.
    pub fn valid_rate(&self) -> f64 {
        ratio(self.all.ok, self.all.total())
    }

    /// Share of the commands meant to succeed that the model carried out.
    pub fn intended_valid_rate(&self) -> f64 {
        ratio(self.intended_valid.ok, self.intended_valid.total())
    }

    /// Share of all commands that were deliberately wrong (mutated ones included).
    pub fn deliberate_share(&self) -> f64 {
        let wrong: u64 = self
            .deliberate
            .values()
            .chain(self.mutated.values())
            .map(Tally::total)
            .sum();
        ratio(wrong, self.all.total())
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "generated commands valid (model answered OK): {:.1}% of {} in {} sessions\n\
             meant to succeed: {:.1}% of commands, of which the model carried out {:.2}%\n\
             deliberately wrong: {:.1}% of commands:\n",
            100.0 * self.valid_rate(),
            self.all.total(),
            self.sessions,
            100.0 * ratio(self.intended_valid.total(), self.all.total()),
            100.0 * self.intended_valid_rate(),
            100.0 * self.deliberate_share(),
        );
        let line = |what: String, t: &Tally| {
            format!(
                "  {what}: {} (model: {} OK, {} NO, {} BAD)\n",
                t.total(),
                t.ok,
                t.no,
                t.bad
            )
        };
        for (why, t) in &self.deliberate {
            out.push_str(&line(format!("{why:?}"), t));
        }
        for (op, t) in &self.mutated {
            out.push_str(&line(format!("mutation {}", op.name()), t));
        }
        out
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Runs sessions `0..sessions` of `seed` on the reference server and tallies the answers.
pub fn measure(seed: u64, sessions: u64, cfg: &GenConfig, profile: Profile) -> Validity {
    let users = [("u1".to_string(), "pw-u1".to_string())];
    let setup = [Message::line("s1 LOGIN u1 pw-u1")];
    let mut v = Validity {
        sessions,
        ..Validity::default()
    };
    for index in 0..sessions {
        let planned = gen::plan(seed, index, cfg);
        let script: Vec<Message> = planned.iter().map(|p| p.command.message.clone()).collect();
        let t = run_script(&users, profile, &setup, &script);
        for (p, exchange) in planned.iter().zip(&t.script) {
            let status = exchange.status();
            let status = status.as_deref();
            v.all.add(status);
            match p.intent {
                Intent::Mutated(_) => {}
                _ => v.by_kind.entry(p.kind).or_default().add(status),
            }
            match p.intent {
                Intent::Valid => v.intended_valid.add(status),
                Intent::Deliberate(why) => v.deliberate.entry(why).or_default().add(status),
                Intent::Mutated(op) => v.mutated.entry(op).or_default().add(status),
            }
        }
    }
    v
}
