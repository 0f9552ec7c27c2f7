//! Message sets of the selected state (RFC 2060 §9 `set`, sequence numbers and UIDs,
//! §2.3.1) and the writers of STORE (§6.4.6) and COPY (§6.4.7).

use arbitrary::Unstructured;

use super::{Deliberate, Session, KEYWORDS, SYSTEM_FLAGS};
use crate::gen::entropy::{chance, int, pick};
use crate::gen::sets::{draw_set, MessageSet};
use crate::gen::syntax::CommandText;

impl<'c> Session<'c> {
    // ----- selected state commands (RFC 2060 §6.4) -----

    /// Numbers in use in the selected mailbox: sequence numbers or UIDs, and the first
    /// number beyond them.
    fn numbers_in_use(&self, uid: bool) -> (Vec<u32>, u32) {
        let Some(m) = self.model.selected_mailbox() else {
            return (Vec::new(), 1);
        };
        if uid {
            (m.messages.iter().map(|m| m.uid).collect(), m.next_uid)
        } else {
            let n = m.messages.len() as u32;
            ((1..=n).collect(), n + 1)
        }
    }

    /// A set over the selected mailbox; a sequence set reaching beyond its last message
    /// is a deliberate mistake (UIDs that do not exist are simply skipped, §6.4.8).
    pub(super) fn draw_set(&mut self, u: &mut Unstructured, uid: bool) -> MessageSet {
        let (numbers, beyond) = self.numbers_in_use(uid);
        let set = draw_set(u, &numbers, beyond);
        if !uid && self.model.selected.is_some() && self.positions(&set, false).is_none() {
            self.mark(Deliberate::OutOfRange);
        }
        if set.has_reversed_range() {
            self.mark(Deliberate::ReversedRange);
        }
        set
    }

    /// The positions a set names in the selected mailbox, if the command would succeed.
    fn positions(&self, set: &MessageSet, uid: bool) -> Option<Vec<usize>> {
        let m = self.model.selected_mailbox()?;
        if uid {
            let uids: Vec<u32> = m.messages.iter().map(|m| m.uid).collect();
            Some(set.uid_positions(&uids))
        } else {
            set.sequence_positions(m.messages.len())
        }
    }

    pub(super) fn uid_prefix(c: &mut CommandText, uid: bool) {
        if uid {
            c.raw("UID ");
        }
    }

    /// RFC 2060 §6.4.6 STORE `set SP store_att_flags`.
    pub(super) fn store(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        if self.model.selected.as_ref().is_some_and(|s| s.read_only) {
            self.mark(Deliberate::ReadOnly);
        }
        let set = self.draw_set(u, uid);
        let sign = *pick(u, &["+", "-", ""]);
        let silent = chance(u, 1, 3);
        let flags = draw_flags(u, 1);
        Self::uid_prefix(c, uid);
        c.raw("STORE ")
            .raw(&set.render())
            .space()
            .raw(sign)
            .raw("FLAGS");
        if silent {
            c.raw(".SILENT");
        }
        c.space();
        if flags.len() == 1 && chance(u, 1, 5) {
            c.raw(flags[0]);
        } else if sign.is_empty() && chance(u, 1, 12) {
            c.raw("()");
        } else {
            c.raw("(").raw(&flags.join(" ")).raw(")");
        }
        let has_deleted = flags.contains(&"\\Deleted");
        let effect = match sign {
            "+" => has_deleted.then_some(true),
            "-" => has_deleted.then_some(false),
            _ => Some(has_deleted),
        };
        if let (Some(deleted), Some(positions)) = (effect, self.positions(&set, uid)) {
            self.model.store_deleted(&positions, deleted);
        }
    }

    /// RFC 2060 §6.4.7 COPY `set SP mailbox`.
    pub(super) fn copy(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        let set = self.draw_set(u, uid);
        let to = self.target_mailbox(u, 16);
        Self::uid_prefix(c, uid);
        c.raw("COPY ").raw(&set.render()).space();
        self.write_mailbox(u, c, &to);
        if let Some(positions) = self.positions(&set, uid) {
            self.model.copy(&positions, &to);
        }
    }
}

/// `min..` flags (system flags other than \Recent, and keywords), without repeats.
pub(super) fn draw_flags(u: &mut Unstructured, min: u32) -> Vec<&'static str> {
    let mut flags: Vec<&'static str> = Vec::new();
    for _ in 0..int(u, min, 3) {
        let flag = if chance(u, 1, 3) {
            *pick(u, KEYWORDS)
        } else {
            *pick(u, SYSTEM_FLAGS)
        };
        if !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    flags
}
