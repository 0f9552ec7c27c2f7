//! RFC 2060 §9 `set`: ranges written high end first.
//!
//! RFC 2060 §9: "set ::= sequence_num / (sequence_num ":" sequence_num) / (set "," set)
//! ;; Identifies a set of messages. ... Comma delimits individual numbers, colon delimits
//! between two numbers inclusive." `4:2` and, with 500 the last UID, `UID 559:*` are
//! grammatical sets; RFC 2060 says nothing of the order of a range's two numbers ("between
//! two numbers inclusive" reads as 2, 3, 4), and RFC 3501 §9 made that reading explicit:
//! "Example: 2:4 and 4:2 are equivalent and indicate values 2, 3, and 4"; §6.4.8: "a UID
//! range of 559:* always includes the UID of the last message in the mailbox, even if 559
//! is higher than any assigned UID value".
//!
//! The model reads them that way under both profiles (the reference server answers them
//! so). An oracle under rfc2060 also accepts a server that reads them otherwise (as no
//! message, or refuses them): which messages such a command touched is then left to the
//! server, as RFC 2060 leaves the order of a range open.

use imap_types::command::CommandBody;
use imap_types::search::SearchKey;
use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::{search, Latitude, Session, Store};
use crate::model::response::{Allowed, Reply};

/// Whether a set has a range written high to low (`4:2`).
pub(super) fn reversed_range(set: &SequenceSet) -> bool {
    set.0
        .as_ref()
        .iter()
        .any(|s| matches!(s, Sequence::Range(SeqOrUid::Value(a), SeqOrUid::Value(b)) if a > b))
}

/// Whether a range with `*` runs high end first once `*` is `largest` (`5:*` with 3).
pub(super) fn reversed_by_star(set: &SequenceSet, largest: u32) -> bool {
    set.0.as_ref().iter().any(|s| {
        matches!(s,
            Sequence::Range(SeqOrUid::Value(a), SeqOrUid::Asterisk)
            | Sequence::Range(SeqOrUid::Asterisk, SeqOrUid::Value(a)) if a.get() > largest)
    })
}

impl Session {
    /// The largest UID in the selected mailbox (`*` of a UID set), 0 if none.
    fn largest_uid(&self, store: &Store) -> u32 {
        let (Some(sel), Some(acc)) = (self.selection(), self.account(store)) else {
            return 0;
        };
        acc.get(&sel.mailbox)
            .and_then(|mb| mb.messages.iter().map(|m| m.uid).max())
            .unwrap_or(0)
    }

    /// Whether `cmd` names a range high end first (see the module documentation).
    pub(super) fn has_reversed_range(&self, store: &Store, cmd: &CommandBody<'_>) -> bool {
        let largest = self.largest_uid(store);
        if largest == 0 {
            // An empty mailbox: no reading of a set names a message.
            return false;
        }
        let reversed = |set: &SequenceSet, uid: bool| {
            reversed_range(set) || (uid && reversed_by_star(set, largest))
        };
        match cmd {
            CommandBody::Fetch {
                sequence_set, uid, ..
            }
            | CommandBody::Store {
                sequence_set, uid, ..
            }
            | CommandBody::Copy {
                sequence_set, uid, ..
            } => reversed(sequence_set, *uid),
            CommandBody::Search { criteria, .. } => {
                // A SEARCH key's `4:*` with 3 messages is `4:3`: high end first too.
                let count = self.selection().map_or(0, |s| s.view.len() as u32);
                search::any_key(criteria.as_ref(), &|k| match k {
                    SearchKey::SequenceSet(s) => reversed(s, false) || reversed_by_star(s, count),
                    SearchKey::Uid(s) => reversed(s, true),
                    _ => false,
                })
            }
            _ => false,
        }
    }
}

/// An oracle under rfc2060 following a command with a range high end first: any outcome,
/// data not judged, and effects the server's (flags a STORE or an implicit `\Seen` may have
/// changed are learnt again; what a COPY copied is not known).
pub(super) fn leave_open(latitude: &mut Latitude, reply: &mut Reply, cmd: &CommandBody<'_>) {
    reply.allowed = Allowed::any();
    latitude.data_unsure = true;
    match cmd {
        CommandBody::Store { .. } => latitude.flags_lost = true,
        CommandBody::Fetch { .. } => latitude.flags_lost |= latitude.seen_in_flight,
        CommandBody::Copy { .. } => latitude.unsure = true,
        _ => {}
    }
}
