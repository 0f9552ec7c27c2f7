//! RFC 2060 §2.3.2 `\Recent`: in which session a new message is recent.
//!
//! "\Recent Message is "recently" arrived in this mailbox.  This session is the first
//! session to have been notified about this message; subsequent sessions will not see
//! \Recent set for this message." RFC 3501 §2.3.2 adds "if the session is read-write":
//! a read-only (EXAMINE) session may see a message as \Recent without taking the flag from
//! the next session, and the model as a server does just that.
//!
//! The model as a server decides: a message is \Recent in the first read-write session
//! notified of it (by SELECT, or by EXISTS while the mailbox is selected), and in no
//! later one. An oracle following a real server leaves what the RFC leaves open ("If
//! multiple connections have the same mailbox selected simultaneously, it is undefined
//! which of these connections will see newly-arrived messages with \Recent set") to the
//! server.

use super::super::account::{Arrival, StoredMessage};

/// How a session learns of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Notice {
    /// SELECT or EXAMINE (RFC 2060 §6.3.1 "RECENT").
    Select,
    /// EXISTS while the mailbox is selected (RFC 2060 §7.3.1).
    Update,
}

/// Whether message is `\Recent` in a session just notified of it: `Some(true)` or
/// `Some(false)` when the model knows, `None` when it is the server's choice (only for
/// an oracle). Updates `arrival` to record the notification.
pub(super) fn notified(
    arrival: &mut Arrival,
    notice: Notice,
    follower: bool,
    read_only: bool,
) -> Option<bool> {
    if !follower {
        // The model as a server: the first read-write session notified takes the flag.
        return match arrival {
            Arrival::Claimed => Some(false),
            Arrival::Unclaimed | Arrival::Undecided => {
                *arrival = if read_only {
                    Arrival::Unclaimed
                } else {
                    Arrival::Claimed
                };
                Some(true)
            }
        };
    }
    match (notice, *arrival) {
        (_, Arrival::Claimed) => Some(false),
        (Notice::Select, Arrival::Unclaimed) => {
            *arrival = if read_only {
                Arrival::Undecided
            } else {
                Arrival::Claimed
            };
            Some(true)
        }
        (Notice::Select, Arrival::Undecided) => {
            if !read_only {
                *arrival = Arrival::Claimed;
            }
            None
        }
        // A message that arrived while the mailbox was selected: whether this session or
        // another was first to see it, and whether a later SELECT sees it again, is the
        // server's reading.
        (Notice::Update, Arrival::Unclaimed | Arrival::Undecided) => {
            *arrival = Arrival::Undecided;
            None
        }
    }
}

/// The messages one update notified a session of, split by whether they are `\Recent`.
#[derive(Debug, Default)]
pub(super) struct Notified {
    /// How many messages were new to the session.
    pub count: usize,
    pub recent: Vec<u64>,
    pub recent_maybe: Vec<u64>,
}

impl Notified {
    pub fn notify(
        &mut self,
        m: &mut StoredMessage,
        notice: Notice,
        follower: bool,
        read_only: bool,
    ) {
        self.count += 1;
        match notified(&mut m.arrival, notice, follower, read_only) {
            Some(true) => self.recent.push(m.id),
            Some(false) => {}
            None => self.recent_maybe.push(m.id),
        }
    }
}
