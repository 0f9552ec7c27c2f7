//! Why the oracle stops following a session ([`Gap`]), and what it passed over without
//! stopping ([`Skip`]).
//!
//! The oracle follows a session while the model accounts for every message, flag and
//! name the server holds. Each gap below is a place where the model, as written, cannot
//! know the server's state from the exchanges alone: past it, a judgement would be a
//! guess, so the oracle stops. Each is counted per target in `results.json`, so that the
//! largest gaps are the ones closed first.

use std::collections::BTreeMap;
use std::fmt;

/// A named gap in the model: where the oracle stops following a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gap {
    /// The server did not greet with `* OK` or `* PREAUTH` (RFC 2060 §7.1): the session
    /// state it starts in is unknown.
    NoGreeting,
    /// An exchange without a tagged completion (the session ended or timed out before
    /// it): whether the command took effect is unknown.
    NoCompletion,
    /// A tagged completion whose status word cannot be read: the outcome is unknown.
    UnreadableCompletion,
    /// A command the strict decoder cannot read (a mutated one) was accepted, and its
    /// effect is not bounded by what its responses show (STORE, COPY, EXPUNGE, APPEND,
    /// a mailbox command, ...): the model cannot run it.
    UnreadableCommandAccepted,
    /// A command's set uses `*` while the server has not announced every message the
    /// model holds: `*` may mean the last message the client was told of, or the last
    /// one the server holds.
    StarUnannounced,
    /// The server asked for more AUTHENTICATE answers than the mechanism needs.
    AuthenticateLonger,
    /// The server completed AUTHENTICATE with OK before the mechanism's exchange ended.
    AuthenticateShorter,
    /// AUTHENTICATE with a mechanism the model does not implement succeeded: as whom is
    /// unknown.
    AuthenticateMechanism,
    /// The server accepted a command the model refuses (a choice the RFC may allow): the
    /// model does not know what the command did on this server.
    AcceptedWhereRefused,
    /// The command's effects depend on something the model does not know: the model
    /// holds no prediction for them.
    Unpredictable,
    /// A CLOSE or EXPUNGE over messages whose flags the server chose and has not shown
    /// (an APPEND's or COPY's flags are a SHOULD, RFC 2060 §6.3.11, §6.4.7), where
    /// neither the model's prediction nor the server's responses decide which went.
    FlagsNotShown,
    /// A UID command over UIDs the server has not shown (it assigns them, RFC 2060
    /// §2.3.1.1), where neither their bounds nor the server's count decide which
    /// messages the set names.
    UidsNotShown,
    /// DELETE or RENAME of the selected mailbox: what becomes of the selection is not
    /// specified.
    SelectionTouched,
    /// A mailbox the model did not see created (it existed before the session) holds
    /// a count other than the model's: its messages are unknown.
    UnknownContents,
    /// The server counts other messages than the model (EXISTS): the model lost track
    /// earlier, and where is not certain.
    CountDiffers,
    /// A COPY made other copies than the model (COPYUID): which messages are unknown.
    CopiesDiffer,
    /// EXISTS shrank the mailbox without EXPUNGE responses.
    ExistsShrank,
    /// The server expunged other messages than the model.
    ExpungedDiffer,
    /// The server expunged a message where the model expects none.
    UnexpectedExpunge,
    /// An inferior name the model holds is not listed.
    InferiorMissing,
    /// A subscription the model holds is not listed by LSUB.
    SubscriptionMissing,
    /// LSUB lists a name this session unsubscribed.
    UnsubscribedListed,
    /// A message's UID changed within its UIDVALIDITY.
    UidChanged,
    /// The server's UIDs are not in ascending order.
    UidOrder,
    /// The server gave a UID it gave another message before.
    UidReused,
    /// The server gave a UID at the top of the 32-bit range: the next message needs a
    /// new UIDVALIDITY, which the model cannot predict.
    UidExhausted,
}

impl Gap {
    /// The gap in words, for a command named `command` where it names one.
    pub fn text(self, command: Option<&str>) -> String {
        let cmd = command.unwrap_or("a command");
        match self {
            Gap::NoGreeting => "no OK greeting".into(),
            Gap::NoCompletion => "no tagged completion".into(),
            Gap::UnreadableCompletion => "unreadable completion".into(),
            Gap::UnreadableCommandAccepted => {
                "a command the strict decoder does not read succeeded".into()
            }
            Gap::StarUnannounced => "`*` while the server has not announced every message".into(),
            Gap::AuthenticateLonger => {
                "the server asked for more AUTHENTICATE answers than the model".into()
            }
            Gap::AuthenticateShorter => {
                "AUTHENTICATE completed before the mechanism's exchange ended".into()
            }
            Gap::AuthenticateMechanism => {
                "AUTHENTICATE with a mechanism the model does not implement succeeded".into()
            }
            Gap::AcceptedWhereRefused => format!("{cmd} succeeded where the model refused"),
            Gap::Unpredictable => format!("{cmd} has effects the model cannot predict"),
            Gap::FlagsNotShown => format!("{cmd} over flags the server has not shown"),
            Gap::UidsNotShown => format!("{cmd} over UIDs the server has not shown"),
            Gap::SelectionTouched => format!("{cmd} of the selected mailbox"),
            Gap::UnknownContents => "a mailbox whose contents the model does not know".into(),
            Gap::CountDiffers => "message count differs from the model's".into(),
            Gap::CopiesDiffer => "COPY made other copies than the model".into(),
            Gap::ExistsShrank => "EXISTS shrank the mailbox".into(),
            Gap::ExpungedDiffer => "expunged messages differ".into(),
            Gap::UnexpectedExpunge => "EXPUNGE the model did not expect".into(),
            Gap::InferiorMissing => "an inferior is missing".into(),
            Gap::SubscriptionMissing => "a subscription is missing".into(),
            Gap::UnsubscribedListed => "an unsubscribed name is listed".into(),
            Gap::UidChanged => "UID changed".into(),
            Gap::UidOrder => "UID order broken".into(),
            Gap::UidReused => "UID reused".into(),
            Gap::UidExhausted => "the server gave a UID at the top of the 32-bit range".into(),
        }
    }
}

/// Where and why the oracle stopped following a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub gap: Gap,
    /// The command's name, for the gaps that name one (`COPY`, `UID FETCH`).
    pub command: Option<String>,
}

impl Stop {
    /// A stop at `gap` with no command named.
    pub fn at(gap: Gap) -> Stop {
        Stop { gap, command: None }
    }

    /// A stop at `gap` in the command `command`.
    pub fn in_command(gap: Gap, command: impl Into<String>) -> Stop {
        Stop {
            gap,
            command: Some(command.into()),
        }
    }
}

impl From<Gap> for Stop {
    fn from(gap: Gap) -> Stop {
        Stop::at(gap)
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.gap.text(self.command.as_deref()))
    }
}

/// Something the oracle passed over without stopping: it follows on, and counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// An untagged response no reader makes sense of, strict or lenient (the syntax
    /// judge reports its grammar once); the oracle learns nothing from it.
    UnreadableUntagged,
    /// An untagged response the grammar rejects that the lenient reader made sense of.
    ReadLeniently,
    /// A tagged completion the grammar rejects whose tag and status word are readable.
    CompletionReadLeniently,
    /// A command the strict decoder does not read (a mutated one) that the server
    /// refused: RFC 2060 §6 (and RFC 3501 §6 for BAD) — a refused command changes
    /// nothing the model holds.
    UnreadableCommandRefused,
    /// A command the strict decoder does not read that the server accepted, whose
    /// effect is bounded by its responses (FETCH, SEARCH, STATUS, LIST, NOOP, ...).
    UnreadableCommandBounded,
    /// A command the model refuses that the server accepted, whose effect is bounded
    /// by its responses (FETCH, SEARCH, STATUS, LIST, NOOP, ...).
    AcceptedBounded,
}

impl Skip {
    pub fn text(self) -> &'static str {
        match self {
            Skip::UnreadableUntagged => "an untagged response no reader makes sense of",
            Skip::ReadLeniently => "an untagged response read leniently",
            Skip::CompletionReadLeniently => "a tagged completion read leniently",
            Skip::UnreadableCommandRefused => {
                "a command the strict decoder does not read, refused: no effect"
            }
            Skip::UnreadableCommandBounded => {
                "a command the strict decoder does not read, accepted with bounded effects"
            }
            Skip::AcceptedBounded => "a command the model refuses, accepted with bounded effects",
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// How far the oracle followed the sessions of one target, summed: exchanges judged and
/// in all, and how often each reason to stop and each thing passed over occurred (by
/// their texts, so that tallies read back from older runs add up with new ones).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub judged: u64,
    pub total: u64,
    /// Sessions stopped, by reason.
    pub stops: BTreeMap<String, u64>,
    /// Things passed over without stopping, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Exchanges not followed because the oracle stopped at or after the server's own
    /// fault ([`super::Coverage::after_fault`]).
    pub lost_after_fault: u64,
}

impl Tally {
    /// Adds one session's coverage.
    pub fn add(&mut self, c: &super::Coverage) {
        self.judged += c.judged as u64;
        self.total += c.total as u64;
        if let Some(s) = &c.stopped {
            *self.stops.entry(s.to_string()).or_default() += 1;
        }
        if c.after_fault {
            self.lost_after_fault += c.total.saturating_sub(c.judged) as u64;
        }
        for (what, n) in &c.skipped {
            *self.skipped.entry(what.to_string()).or_default() += n;
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &Tally) {
        self.judged += other.judged;
        self.total += other.total;
        self.lost_after_fault += other.lost_after_fault;
        for (r, n) in &other.stops {
            *self.stops.entry(r.clone()).or_default() += n;
        }
        for (r, n) in &other.skipped {
            *self.skipped.entry(r.clone()).or_default() += n;
        }
    }

    /// Exchanges judged, in percent of all (100 for none).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.judged as f64 / self.total as f64
        }
    }

    /// Exchanges judged, in percent of those where the server had not broken a rule
    /// first (all of them less [`Tally::lost_after_fault`]; 100 for none).
    pub fn percent_where_correct(&self) -> f64 {
        let total = self.total.saturating_sub(self.lost_after_fault);
        if total == 0 {
            100.0
        } else {
            100.0 * self.judged as f64 / total as f64
        }
    }

    /// The reasons to stop, most frequent first (ties by text).
    pub fn top_stops(&self) -> Vec<(&str, u64)> {
        ranked(&self.stops)
    }

    /// One line: `87% (3332/3813; 98.1% of 3400 where the server had not broken a rule
    /// first); stopped: 23 COPY has ..., 11 CLOSE ...` with at most `top` reasons.
    pub fn line(&self, top: usize) -> String {
        let mut s = format!("{:.1}% ({}/{}", self.percent(), self.judged, self.total);
        if self.lost_after_fault > 0 {
            s.push_str(&format!(
                "; {:.1}% of {} where the server had not broken a rule first",
                self.percent_where_correct(),
                self.total.saturating_sub(self.lost_after_fault)
            ));
        }
        s.push(')');
        let stops = self.top_stops();
        if !stops.is_empty() {
            let shown: Vec<String> = stops
                .iter()
                .take(top)
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            let more = stops.len().saturating_sub(top);
            s.push_str(&format!("; stopped: {}", shown.join(", ")));
            if more > 0 {
                s.push_str(&format!(" (+{more} more)"));
            }
        }
        s
    }
}

/// Counts by reason, most frequent first (ties by text).
pub fn ranked(counts: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut v: Vec<(&str, u64)> = counts.iter().map(|(r, n)| (r.as_str(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_each_stop_by_its_text_and_ranks_the_largest_first() {
        let mut t = Tally::default();
        for (judged, stop) in [
            (3, Some(Stop::in_command(Gap::Unpredictable, "COPY"))),
            (5, None),
            (1, Some(Stop::at(Gap::NoCompletion))),
            (2, Some(Stop::in_command(Gap::Unpredictable, "COPY"))),
        ] {
            let mut skipped = BTreeMap::new();
            skipped.insert(Skip::ReadLeniently, 2);
            t.add(&super::super::Coverage {
                judged,
                total: 5,
                stopped: stop,
                skipped,
                ..super::super::Coverage::default()
            });
        }
        assert_eq!((t.judged, t.total), (11, 20));
        assert_eq!(
            t.top_stops(),
            vec![
                ("COPY has effects the model cannot predict", 2),
                ("no tagged completion", 1)
            ]
        );
        assert_eq!(
            t.skipped.get("an untagged response read leniently"),
            Some(&8)
        );
        assert_eq!(
            t.line(1),
            "55.0% (11/20); stopped: 2 COPY has effects the model cannot predict (+1 more)"
        );
        let mut sum = Tally::default();
        sum.merge(&t);
        sum.merge(&t);
        assert_eq!(sum.stops.get("no tagged completion"), Some(&2));
        assert_eq!(sum.total, 40);
    }
}
