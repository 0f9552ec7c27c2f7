//! Why the oracle stops following a session ([`Gap`]), and what it passed over without
//! stopping ([`Skip`]).
//!
//! The oracle follows a session while the model accounts for every message, flag and
//! name the server holds. Each gap below is a place where the model, as written, cannot
//! know the server's state from the exchanges alone: past it, a judgement would be a
//! guess, so the oracle stops. Each is counted per target in `results.json`, so that the
//! largest gaps are the ones closed first.

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
    /// The command's effects depend on something the model does not know (flags a
    /// server chose for a copied or appended message, UIDs it has not shown): the
    /// model holds no prediction for them.
    Unpredictable,
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
    /// A message's size was not announced where the model needs it.
    SizeNotAnnounced,
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
            Gap::UnknownContents => "a mailbox whose contents the model does not know".into(),
            Gap::CountDiffers => "message count differs from the model's".into(),
            Gap::CopiesDiffer => "COPY made other copies than the model".into(),
            Gap::ExistsShrank => "EXISTS shrank the mailbox".into(),
            Gap::ExpungedDiffer => "expunged messages differ".into(),
            Gap::UnexpectedExpunge => "EXPUNGE the model did not expect".into(),
            Gap::InferiorMissing => "an inferior is missing".into(),
            Gap::SubscriptionMissing => "a subscription is missing".into(),
            Gap::UnsubscribedListed => "an unsubscribed name is listed".into(),
            Gap::SizeNotAnnounced => "size not announced".into(),
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
