//! What a COPY copied, where the server chose and showed it.
//!
//! - A set that names a message more than once (RFC 3501 §9 `sequence-set`: "Servers MAY
//!   coalesce overlaps and/or execute the sequence in any order"): a server may copy
//!   `1,1` once or twice. The model coalesces; when the server shows that it did not
//!   (COPYUID names as many copies as the set has members with repeats, or EXISTS of the
//!   selected mailbox grows by that many), the oracle follows the server's choice.
//! - A set the model refuses (a number past the last message) that the server carried out
//!   as far as it could, where the RFC allows the OK: the COPYUID response code (RFC 4315
//!   §3: "the first is the set of UIDs of the source messages... the second is the set of
//!   UIDs assigned to the copied messages, in the same order") names every copy made, so
//!   the oracle makes the same copies.

use imap_types::command::CommandBody;
use imap_types::core::Vec1;
use imap_types::response::Code as WireCode;
use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::{last_exists, Done, Oracle, Seen};
use crate::model::response::{Outcome, Reply};
use crate::model::session::{Session, Store};

/// The UIDs of a COPYUID set, in its order (a range ascending, RFC 4315 §3 `uid-range`:
/// "2:4 and 4:2 are equivalent").
fn uids_in_order(set: &imap_types::extensions::uidplus::UidSet) -> Vec<u32> {
    use imap_types::extensions::uidplus::UidElement;
    let mut out = Vec::new();
    for e in set.0.as_ref() {
        match e {
            UidElement::Single(u) => out.push(u.get()),
            UidElement::Range(a, b) => {
                let (lo, hi) = (a.get().min(b.get()), a.get().max(b.get()));
                // A COPYUID cannot name more copies than a session could make: a huge
                // range is not expanded.
                if hi - lo > 100_000 {
                    return Vec::new();
                }
                out.extend(lo..=hi);
            }
        }
    }
    out
}

/// Whether a sequence set names no message of a mailbox of `count` messages: every number
/// above the count, and no `*` (RFC 2060 §9 `set`: "*" is the largest number in use).
fn names_no_message(set: &SequenceSet, count: usize) -> bool {
    let above = |v: &SeqOrUid| match v {
        SeqOrUid::Value(n) => n.get() as usize > count,
        SeqOrUid::Asterisk => false,
    };
    set.0.as_ref().iter().all(|e| match e {
        Sequence::Single(a) => above(a),
        Sequence::Range(a, b) => above(a) && above(b),
    })
}

/// How many UIDs a COPYUID destination set names.
pub(super) fn copyuid_count(done: &Done) -> Option<u64> {
    let Some(WireCode::CopyUid { destination, .. }) = &done.code else {
        return None;
    };
    Some(
        destination
            .0
            .as_ref()
            .iter()
            .map(|e| match e {
                imap_types::extensions::uidplus::UidElement::Single(_) => 1,
                imap_types::extensions::uidplus::UidElement::Range(a, b) => {
                    u64::from(a.get().abs_diff(b.get())) + 1
                }
            })
            .sum(),
    )
}

impl Oracle {
    /// The COPY run element by element of its set (overlaps not coalesced), when the
    /// server shows it copied that way and the model, coalescing, copies fewer: the
    /// session, store and reply to follow instead.
    pub(super) fn uncoalesced_copy(
        &self,
        body: &CommandBody<'_>,
        done: &Done,
        seen: &[Seen],
        coalesced: Option<usize>,
    ) -> Option<(Session, Store, Reply)> {
        let CommandBody::Copy {
            sequence_set,
            mailbox,
            uid,
        } = body
        else {
            return None;
        };
        let elements = sequence_set.0.as_ref();
        if elements.len() < 2 || done.outcome != Outcome::Ok {
            return None;
        }
        // `*` is read before any copy is made: the copies a first element makes into the
        // selected mailbox are not members of the next.
        let sel = self.session.selection()?;
        let largest = if *uid {
            let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
            mb.messages.iter().map(|m| m.uid).max()?
        } else {
            u32::try_from(sel.view.len()).ok()?
        };
        let largest = SeqOrUid::Value(std::num::NonZeroU32::new(largest)?);
        let fixed = |v: &SeqOrUid| match v {
            SeqOrUid::Asterisk => largest,
            other => *other,
        };
        let mut session = self.session.clone();
        let mut store = self.store.clone();
        let mut total = 0usize;
        let mut last = None;
        for e in elements {
            let e = match e {
                Sequence::Single(a) => Sequence::Single(fixed(a)),
                Sequence::Range(a, b) => Sequence::Range(fixed(a), fixed(b)),
            };
            let one = CommandBody::Copy {
                sequence_set: SequenceSet(Vec1::from(e)),
                mailbox: mailbox.clone(),
                uid: *uid,
            };
            let reply = session.execute(&mut store, &one);
            if reply.completion.outcome != Outcome::Ok {
                return None;
            }
            total += session.latitude.copied?;
            last = Some(reply);
        }
        if Some(total) == coalesced {
            return None;
        }
        let made = match copyuid_count(done) {
            Some(n) => n as usize,
            None => {
                let sel = self.session.selection()?;
                let into_selected =
                    crate::model::account::Account::key(&super::mailbox_bytes(mailbox))
                        == crate::model::account::Account::key(&sel.mailbox);
                let exists = last_exists(seen)?;
                if !into_selected {
                    return None;
                }
                exists.checked_sub(sel.view.len())?
            }
        };
        if made != total {
            return None;
        }
        session.latitude.copied = Some(total);
        Some((session, store, last?))
    }

    /// The COPY the server made, copy by copy from its COPYUID, when the model refused the
    /// command but allows the OK the server gave (`refused`: the model's reply): the
    /// session, store and reply to follow instead. `None` when the COPYUID is missing,
    /// its two sets differ in length, or a source UID is not one the model knows in the
    /// selected mailbox.
    pub(super) fn copy_by_copyuid(
        &self,
        body: &CommandBody<'_>,
        done: &Done,
        refused: &Reply,
    ) -> Option<(Session, Store, Reply)> {
        let CommandBody::Copy { mailbox, .. } = body else {
            return None;
        };
        if done.outcome != Outcome::Ok
            || refused.completion.outcome == Outcome::Ok
            || !refused.allowed.permits(Outcome::Ok)
        {
            return None;
        }
        let Some(WireCode::CopyUid {
            source,
            destination,
            ..
        }) = &done.code
        else {
            return None;
        };
        let (from, to) = (uids_in_order(source), uids_in_order(destination));
        if from.is_empty() || from.len() != to.len() {
            return None;
        }
        let mut session = self.session.clone();
        let mut store = self.store.clone();
        let mut last = None;
        for uid in &from {
            let one = CommandBody::Copy {
                sequence_set: SequenceSet(Vec1::from(Sequence::Single(SeqOrUid::Value(
                    std::num::NonZeroU32::new(*uid)?,
                )))),
                mailbox: mailbox.clone(),
                uid: true,
            };
            let reply = session.execute(&mut store, &one);
            if reply.completion.outcome != Outcome::Ok
                || session.latitude.copied != Some(1)
                || session.latitude.unsure
            {
                return None;
            }
            last = Some(reply);
        }
        session.latitude.copied = Some(from.len());
        Some((session, store, last?))
    }

    /// A COPY by sequence numbers that names no message of the selected mailbox, which
    /// the server answered OK (RFC 2060 leaves a set beyond the mailbox to the server):
    /// it had nothing to copy, so following it changes nothing. Not when the server
    /// reported the selected mailbox grown or shrunk meanwhile (`seen`).
    pub(super) fn copy_of_nothing(&self, body: &CommandBody<'_>, seen: &[Seen]) -> bool {
        let CommandBody::Copy {
            sequence_set,
            uid: false,
            ..
        } = body
        else {
            return false;
        };
        let Some(sel) = self.session.selection() else {
            return false;
        };
        let count = sel.view.len();
        let moved = seen.iter().any(|s| match s {
            Seen::Exists(n) => *n as usize != count,
            Seen::Expunge(_) => true,
            _ => false,
        });
        !moved && names_no_message(sequence_set, count)
    }

    /// A COPY by sequence numbers whose set names no message, answered OK, after which
    /// the server counts more messages in the selected mailbox, its destination, than the
    /// model holds there (announced or not). RFC 2060 §6.4.7: "The COPY command copies
    /// the specified message(s)"; none was specified, so the messages it added were not
    /// specified. Only in a closed world (no other client adds messages). A finding; the
    /// oracle then stops, not knowing what was copied. True when it found so.
    pub(super) fn copy_of_nothing_made_copies(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        seen: &[Seen],
    ) -> bool {
        let CommandBody::Copy {
            sequence_set,
            mailbox,
            uid: false,
        } = body
        else {
            return false;
        };
        if !self.world.is_closed() {
            return false;
        }
        let Some(sel) = self.session.selection() else {
            return false;
        };
        let count = sel.view.len();
        let dest = crate::model::account::Account::key(&super::mailbox_bytes(mailbox));
        let Some(held) = self
            .session
            .account(&self.store)
            .and_then(|a| a.get(&sel.mailbox))
            .filter(|m| m.known)
            .map(|m| m.messages.len())
        else {
            return false;
        };
        let exists = last_exists(seen);
        let expunged = seen.iter().any(|s| matches!(s, Seen::Expunge(_)));
        let Some(exists) = exists.filter(|e| *e > held) else {
            return false;
        };
        // Numbers past every message held, announced or not, name none.
        if dest != sel.mailbox || expunged || !names_no_message(sequence_set, held) {
            return false;
        }
        self.find(
            step,
            super::closed::rule::COPIES,
            format!(
                "COPY of a set that names no message (the mailbox held {held}, {count} of \
                 them announced) answered OK, yet the mailbox, its destination, then counts \
                 {exists}, {} more: it copied messages the set does not name",
                exists - held
            ),
            format!("* {held} EXISTS (nothing copied)"),
            format!("* {exists} EXISTS"),
        );
        self.stop(super::Gap::CountDiffers);
        true
    }

    /// RFC 4315 §3 COPYUID: "the second is the set of UIDs assigned to the copied
    /// messages, in the same order" as the source UIDs. Where the source UIDs ascend (the
    /// order the model copies in) and name as many messages as the model copied, the
    /// copies, the last messages of the destination, take those UIDs.
    pub(super) fn learn_copyuid(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        done: &Done,
        copied: usize,
    ) {
        let (
            CommandBody::Copy { mailbox, .. },
            Some(WireCode::CopyUid {
                source,
                destination,
                ..
            }),
        ) = (body, &done.code)
        else {
            return;
        };
        let (from, to) = (uids_in_order(source), uids_in_order(destination));
        if from.len() != copied || to.len() != copied || !from.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        let name = crate::model::account::Account::key(&super::mailbox_bytes(mailbox));
        let ids: Vec<u64> = match self.session.account(&self.store).and_then(|a| a.get(&name)) {
            Some(mb) if mb.messages.len() >= copied => mb.messages[mb.messages.len() - copied..]
                .iter()
                .map(|m| m.id)
                .collect(),
            _ => return,
        };
        for (id, uid) in ids.into_iter().zip(to) {
            if !self.learn_uid(step, &name, id, uid) {
                return;
            }
        }
    }

    /// An EXPUNGE of a mailbox selected read-only (RFC 2060 §6.3.2: under EXAMINE "no
    /// changes to the permanent state of the mailbox ... are permitted"), answered OK with
    /// no EXPUNGE response (§6.4.3: one "is sent for each message that is removed") and
    /// no change of count: it removed nothing, and following it changes nothing.
    pub(super) fn expunge_of_nothing(&self, body: &CommandBody<'_>, seen: &[Seen]) -> bool {
        let Some(sel) = self.session.selection() else {
            return false;
        };
        let count = sel.view.len();
        matches!(body, CommandBody::Expunge)
            && sel.read_only
            && !seen.iter().any(|s| match s {
                Seen::Exists(n) => *n as usize != count,
                Seen::Expunge(_) => true,
                _ => false,
            })
    }
}
