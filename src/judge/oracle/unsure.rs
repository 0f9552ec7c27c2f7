//! Following commands whose effect depends on flags the model does not know (the flags a
//! server chose for an APPENDed or COPYed message are a SHOULD, RFC 2060 §6.3.11 and
//! §6.4.7): the model holds a prediction (the flags asked for), and the server's own
//! bytes decide where they can.
//!
//! - EXPUNGE: its EXPUNGE responses (RFC 2060 §7.4.1) tell which messages went. A message
//!   whose flags the model knows goes exactly when it has `\Deleted`; one whose flags it
//!   does not know went if the server says so.
//! - CLOSE: it sends nothing (§6.4.2). The model removes the messages it predicts to
//!   carry `\Deleted`; the mailbox's count is then checked at its next SELECT (as for a
//!   mailbox the model did not see made). The prediction puts every message of unknown
//!   flags on one side (all go, or all stay), so the count decides between it and the
//!   other side ([`CloseFlip`]). Where the prediction splits the unknown messages both
//!   ways, a matching count would not tell which went: a gap.

use std::collections::BTreeSet;

use imap_types::command::CommandBody;

use super::{last_exists, Gap, Oracle, Seen, Stop};
use crate::model::account::Account;

impl Oracle {
    /// Applies an EXPUNGE the model could not predict, by the server's EXPUNGE responses.
    /// Stops where they contradict what the model knows (which the closed-world judge
    /// reports), or name a message the client was not shown.
    pub(super) fn follow_unsure_expunge(&mut self, seen: &[Seen]) {
        let Some(sel) = self.session.selection().cloned() else {
            return self.stop(Stop::in_command(Gap::FlagsNotShown, "EXPUNGE"));
        };
        let Some(mb) = self.selected_mailbox_mut() else {
            return self.stop(Stop::in_command(Gap::FlagsNotShown, "EXPUNGE"));
        };
        // Messages the client was not shown yet are announced by EXISTS among the
        // responses, and then expunged by number like the others.
        let mut unshown: std::collections::VecDeque<u64> = mb
            .messages
            .iter()
            .filter(|m| !sel.view.contains(&m.id))
            .map(|m| m.id)
            .collect();
        let mut view = sel.view.clone();
        let mut gone = BTreeSet::new();
        // The mailbox's size as the server last told it in these responses.
        let mut told: Option<usize> = None;
        for s in seen {
            match s {
                Seen::Exists(n) => {
                    while view.len() < *n as usize {
                        let Some(id) = unshown.pop_front() else { break };
                        view.push(id);
                    }
                    if view.len() < *n as usize {
                        return self.stop(Gap::CountDiffers);
                    }
                    told = Some(*n as usize);
                }
                Seen::Expunge(n) => {
                    let i = (*n as usize).wrapping_sub(1);
                    if i >= view.len() {
                        return self.stop(Gap::ExpungedDiffer);
                    }
                    gone.insert(view.remove(i));
                    told = told.map(|t| t.saturating_sub(1));
                }
                _ => {}
            }
        }
        let may_have_gone = |id: &u64| {
            mb.messages
                .iter()
                .find(|m| m.id == *id)
                .is_some_and(|m| !m.flags_known || m.flags.contains("\\Deleted"))
        };
        if told == Some(view.len()) && unshown.iter().all(may_have_gone) {
            // RFC 2060 §7.3.1: EXISTS "reports the number of messages in the mailbox".
            // Counted after every EXPUNGE response, it leaves no room for the messages
            // still not announced, each of which may have carried \Deleted: they went.
            // (One the model knows to lack \Deleted stays unannounced, for the mailbox's
            // next count to judge.)
            gone.extend(unshown.drain(..));
        }
        // Messages still not announced: whether they went is not shown.
        let unsure_unshown = mb
            .messages
            .iter()
            .any(|m| unshown.contains(&m.id) && (!m.flags_known || m.flags.contains("\\Deleted")));
        if unsure_unshown {
            return self.stop(Stop::in_command(Gap::FlagsNotShown, "EXPUNGE"));
        }
        let deleted = |m: &crate::model::account::StoredMessage| m.flags.contains("\\Deleted");
        let contradicts = mb
            .messages
            .iter()
            .any(|m| m.flags_known && (deleted(m) != gone.contains(&m.id)));
        if contradicts {
            return self.stop(Gap::ExpungedDiffer);
        }
        mb.messages.retain(|m| !gone.contains(&m.id));
        if let Some(s) = self.session.selection_mut() {
            s.view = view;
            s.recent.retain(|id| !gone.contains(id));
            s.recent_maybe.retain(|id| !gone.contains(id));
        }
    }

    /// Before a CLOSE the model could not predict is applied: the selected mailbox's
    /// name if the prediction decides which messages go once the count is known (the
    /// messages of unknown flags are all predicted to go, or all to stay).
    ///
    /// The other way the unknown messages can have gone is kept in `self.close_flip`.
    pub(super) fn close_predictable(&mut self) -> Option<Vec<u8>> {
        let sel = self.session.selection().cloned()?;
        let mb = self.selected_mailbox_mut()?;
        let predicted: BTreeSet<bool> = mb
            .messages
            .iter()
            .filter(|m| !m.flags_known)
            .map(|m| m.flags.contains("\\Deleted"))
            .collect();
        if predicted.len() > 1 {
            return None;
        }
        let all_go = predicted.contains(&true);
        let other = mb
            .messages
            .iter()
            .filter(|m| {
                if m.flags_known {
                    !m.flags.contains("\\Deleted")
                } else {
                    all_go
                }
            })
            .cloned()
            .map(|mut m| {
                // Kept by the CLOSE: it did not carry \Deleted after all.
                m.flags.remove("\\Deleted");
                m
            })
            .collect();
        self.close_flip = Some(CloseFlip {
            mailbox: sel.mailbox.clone(),
            predicted: Vec::new(),
            other,
        });
        Some(sel.mailbox)
    }

    /// After a CLOSE applied on the prediction: the mailbox's count is to be checked at
    /// its next SELECT.
    pub(super) fn closed_on_prediction(&mut self, mailbox: &[u8]) {
        let Some(user) = self.session.user.clone() else {
            return;
        };
        if let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(mailbox))
        {
            mb.known = false;
            if let Some(flip) = self.close_flip.as_mut().filter(|f| f.mailbox == mailbox) {
                flip.predicted = mb.messages.iter().map(|m| m.id).collect();
            }
        }
    }

    /// Before the model runs a SELECT or EXAMINE of the mailbox a CLOSE was applied to on
    /// a prediction: where the server's EXISTS counts the other side of that prediction
    /// ([`CloseFlip`]), and nothing changed the mailbox since, the model takes that side.
    /// Every SELECT or EXAMINE of the mailbox ends the flip's use.
    pub(super) fn settle_close_flip(&mut self, body: &CommandBody<'_>, seen: &[Seen]) {
        let (CommandBody::Select { mailbox, .. } | CommandBody::Examine { mailbox, .. }) = body
        else {
            return;
        };
        let key = Account::key(&super::mailbox_bytes(mailbox));
        let Some(flip) = self.close_flip.take_if(|f| f.mailbox == key) else {
            return;
        };
        let exists = last_exists(seen);
        if exists != Some(flip.other.len()) || exists == Some(flip.predicted.len()) {
            return;
        }
        let Some(user) = self.session.user.clone() else {
            return;
        };
        let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(&key))
        else {
            return;
        };
        let now: Vec<u64> = mb.messages.iter().map(|m| m.id).collect();
        if now == flip.predicted && !mb.known {
            mb.messages = flip.other;
        }
    }
}

/// RFC 2060 §6.4.2 CLOSE "permanently removes from the currently selected mailbox all
/// messages that have the \\Deleted flag set", and sends nothing that says which. Where
/// the model did not know some messages' flags (an APPEND's or COPY's flags are a SHOULD)
/// and predicted them all on one side, the other side: those messages all kept (without
/// `\\Deleted`) where it predicted them all removed, or all removed where it predicted them
/// all kept. The mailbox's next SELECT counts which side the server took.
#[derive(Clone, Debug)]
pub(super) struct CloseFlip {
    /// The mailbox closed.
    mailbox: Vec<u8>,
    /// The identities of its messages as the model predicted them after the CLOSE.
    predicted: Vec<u64>,
    /// Its messages on the other side.
    other: Vec<crate::model::account::StoredMessage>,
}

impl Oracle {
    /// RFC 2060 §6.3.10: UIDNEXT is "The next UID value that will be assigned to a new
    /// message in the mailbox", and a new message gets a higher UID than every message
    /// before it (§2.3.1.1): every UID in the mailbox is below it. With the known UIDs
    /// below them, that can leave one value for a UID the server has not shown, which
    /// the model then takes (after SELECT or EXAMINE, whose `[UIDNEXT n]` describes the
    /// mailbox just selected).
    pub(super) fn learn_uids_from_uidnext(&mut self, step: Option<usize>, seen: &[Seen]) {
        let Some(next) = seen.iter().find_map(|s| match s {
            Seen::UntaggedOk(Some(imap_types::response::Code::UidNext(n))) => Some(n.get()),
            _ => None,
        }) else {
            return;
        };
        let Some(sel) = self.session.selection().cloned() else {
            return;
        };
        let Some(mb) = self.selected_mailbox_mut() else {
            return;
        };
        if mb.messages.len() != sel.view.len() {
            return;
        }
        let uids: Vec<Option<u32>> = sel
            .view
            .iter()
            .map(|id| {
                let m = mb.messages.iter().find(|m| m.id == *id)?;
                m.uid_known.then_some(m.uid)
            })
            .collect();
        if uids.iter().all(Option::is_some) {
            return;
        }
        let bounds = crate::model::uid_bounds::bounds(&uids);
        let n = uids.len();
        let mut learnt = Vec::new();
        for (i, (lo, hi)) in bounds.into_iter().enumerate() {
            if uids[i].is_some() {
                continue;
            }
            // Below UIDNEXT, with the later messages' UIDs above it.
            let ceiling = u64::from(next).saturating_sub(1 + (n - 1 - i) as u64);
            let hi = u64::from(hi).min(ceiling);
            if u64::from(lo) == hi {
                learnt.push((sel.view[i], lo));
            }
        }
        // A UID the server gave a message before in this mailbox is not taken: the
        // bounds above count only the messages it holds now.
        let given: BTreeSet<u32> = self
            .uids_seen
            .get(&sel.mailbox)
            .map(|u| u.keys().copied().collect())
            .unwrap_or_default();
        for (id, uid) in learnt {
            if given.contains(&uid) {
                continue;
            }
            self.deduced_uids.insert(id);
            if !self.learn_uid(step, &sel.mailbox, id, uid) {
                return;
            }
        }
    }
}

impl Oracle {
    /// A UID COPY over UIDs the server has not shown, or with a range written high to
    /// low: the messages its set surely names, and those it may name, are bounded
    /// ([`crate::model::uid_bounds`]).
    ///
    /// Into the selected mailbox, the server's EXISTS tells how many it copied (RFC 2060
    /// §6.4.7 appends the copies to the mailbox). When that count is the sure ones alone,
    /// or all that may be named, the copy is that of those messages, run on the model as
    /// a COPY of their sequence numbers. A set of one UID that named one message whose UID
    /// was unknown also gives that message's UID.
    ///
    /// Into another mailbox, the model predicts that every message the set may name was
    /// copied, and the destination's count is checked at its next SELECT (the second
    /// value: the destination's name).
    pub(super) fn uid_copy_by_count(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        seen: &[Seen],
    ) -> Option<(CommandBody<'static>, Option<Vec<u8>>)> {
        use crate::model::uid_bounds::{classify, Member};
        let CommandBody::Copy {
            sequence_set,
            mailbox,
            uid: true,
        } = body
        else {
            return None;
        };
        // Only where the model itself takes the command and stops at its UIDs alone.
        let mut probe = self.session.clone();
        let mut probe_store = self.store.clone();
        let r = probe.execute(&mut probe_store, body);
        if r.completion.outcome != crate::model::response::Outcome::Ok || !probe.latitude.unsure {
            return None;
        }
        let sel = self.session.selection()?.clone();
        let dest = Account::key(&super::mailbox_bytes(mailbox));
        let into_selected = dest == sel.mailbox;
        let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
        if mb.messages.len() != sel.view.len() {
            return None;
        }
        let uids: Vec<Option<u32>> = sel
            .view
            .iter()
            .map(|id| {
                let m = mb.messages.iter().find(|m| m.id == *id)?;
                m.uid_known.then_some(m.uid)
            })
            .collect();
        // With every UID known the model is unsure only of a range written high to low,
        // which RFC 2060 does not define: read as from the lower to the higher, as any
        // reading that copies something must; the count decides as for unknown UIDs.
        let rfc3501 = self.session.profile == crate::model::Profile::Rfc3501;
        let classes = classify(sequence_set, &uids, rfc3501)?;
        let sure = classes.iter().filter(|c| **c == Member::In).count();
        let maybe = classes.iter().filter(|c| **c == Member::Unknown).count();
        let take_maybe = if into_selected {
            let exists = last_exists(seen)?;
            let copied = exists.checked_sub(sel.view.len())?;
            if copied == sure {
                false
            } else if copied == sure + maybe {
                true
            } else {
                return None;
            }
        } else {
            true
        };
        let members: Vec<usize> = classes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == Member::In || (take_maybe && **c == Member::Unknown))
            .map(|(i, _)| i)
            .collect();
        let text: Vec<String> = members.iter().map(|i| (i + 1).to_string()).collect();
        let set = imap_types::sequence::SequenceSet::try_from(text.join(",").as_str()).ok()?;
        // `UID COPY x` that copied one message of unknown UID: its UID is x.
        if !into_selected {
            // The destination's count, checked at its next SELECT, decides.
            return Some((
                CommandBody::Copy {
                    sequence_set: set,
                    mailbox: imap_types::IntoStatic::into_static(mailbox.clone()),
                    uid: false,
                },
                Some(dest),
            ));
        }
        if let (
            [only],
            [imap_types::sequence::Sequence::Single(imap_types::sequence::SeqOrUid::Value(x))],
        ) = (members.as_slice(), sequence_set.0.as_ref())
        {
            if uids[*only].is_none() {
                self.deduced_uids.insert(sel.view[*only]);
                if !self.learn_uid(step, &sel.mailbox, sel.view[*only], x.get()) {
                    return None;
                }
            }
        }
        Some((
            CommandBody::Copy {
                sequence_set: set,
                mailbox: imap_types::IntoStatic::into_static(mailbox.clone()),
                uid: false,
            },
            None,
        ))
    }
}

impl Oracle {
    /// A COPY the model refuses (a number beyond the mailbox) or cannot tell the effect of
    /// (a range written high to low, which RFC 2060 does not define) that the server
    /// carried out: the messages its
    /// set names within the mailbox are the ones it can have copied. Into the selected
    /// mailbox the server's EXISTS (or COPYUID) must count exactly those; into another
    /// mailbox COPYUID, where sent, must count them, and the
    /// model predicts them, and the destination's count is checked at its next SELECT
    /// (the second value). Only where the model allows the OK.
    pub(super) fn copy_in_range(
        &self,
        body: &CommandBody<'_>,
        seen: &[Seen],
        done: &super::Done,
    ) -> Option<(CommandBody<'static>, Option<Vec<u8>>)> {
        let CommandBody::Copy {
            sequence_set,
            mailbox,
            uid: false,
        } = body
        else {
            return None;
        };
        let mut probe = self.session.clone();
        let mut probe_store = self.store.clone();
        let r = probe.execute(&mut probe_store, body);
        // Refused by the model where the RFC lets the server accept, or taken with an
        // effect the model cannot tell (a range written high to low, which RFC 2060 leaves
        // open).
        let refused = r.completion.outcome != crate::model::response::Outcome::Ok;
        if refused && !r.allowed.permits(crate::model::response::Outcome::Ok)
            || !refused && !probe.latitude.unsure
        {
            return None;
        }
        let sel = self.session.selection()?.clone();
        let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
        if crate::model::session::has_asterisk(sequence_set) && mb.messages.len() > sel.view.len() {
            // `*` may be the last message announced or the last one held.
            return None;
        }
        let members =
            crate::model::sequence::resolve_seq(sequence_set, sel.view.len() as u32).members;
        if members.is_empty() {
            return None;
        }
        let dest = Account::key(&super::mailbox_bytes(mailbox));
        let into_selected = dest == sel.mailbox;
        // RFC 4315 COPYUID names the copies; EXISTS counts them in the selected mailbox.
        let copyuid = super::copy::copyuid_count(done);
        if copyuid.is_some_and(|n| n != members.len() as u64) {
            return None;
        }
        let exists = last_exists(seen);
        if into_selected {
            match exists {
                Some(e) if e.checked_sub(sel.view.len())? != members.len() => return None,
                None if copyuid.is_none() => return None,
                _ => {}
            }
        }
        let text: Vec<String> = members.iter().map(u32::to_string).collect();
        let set = imap_types::sequence::SequenceSet::try_from(text.join(",").as_str()).ok()?;
        Some((
            CommandBody::Copy {
                sequence_set: set,
                mailbox: imap_types::IntoStatic::into_static(mailbox.clone()),
                uid: false,
            },
            (!into_selected).then_some(dest),
        ))
    }
}
