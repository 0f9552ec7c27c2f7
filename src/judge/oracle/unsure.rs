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
//!   mailbox the model did not see made). Where the prediction splits the unknown
//!   messages both ways, a matching count would not tell which went: a gap.

use std::collections::BTreeSet;

use super::{Gap, Oracle, Seen, Stop};

impl Oracle {
    /// Applies an EXPUNGE the model could not predict, by the server's EXPUNGE responses.
    /// Stops where they contradict what the model knows (which the closed-world judge
    /// reports), or name a message the client was not shown.
    pub(super) fn follow_unsure_expunge(&mut self, seen: &[Seen]) {
        let Some(sel) = self.session.selection().cloned() else {
            return self.stop(Stop::in_command(Gap::Unpredictable, "EXPUNGE"));
        };
        let Some(mb) = self.selected_mailbox_mut() else {
            return self.stop(Stop::in_command(Gap::Unpredictable, "EXPUNGE"));
        };
        // Messages the client was not shown may carry \Deleted too: their numbers
        // would not be the view's.
        if mb.messages.iter().any(|m| !sel.view.contains(&m.id)) {
            return self.stop(Stop::in_command(Gap::Unpredictable, "EXPUNGE"));
        }
        let mut view = sel.view.clone();
        let mut gone = BTreeSet::new();
        for s in seen {
            let Seen::Expunge(n) = s else { continue };
            let i = (*n as usize).wrapping_sub(1);
            if i >= view.len() {
                return self.stop(Gap::ExpungedDiffer);
            }
            gone.insert(view.remove(i));
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
    pub(super) fn close_predictable(&mut self) -> Option<Vec<u8>> {
        let sel = self.session.selection().cloned()?;
        let mb = self.selected_mailbox_mut()?;
        let predicted: BTreeSet<bool> = mb
            .messages
            .iter()
            .filter(|m| !m.flags_known)
            .map(|m| m.flags.contains("\\Deleted"))
            .collect();
        (predicted.len() <= 1).then_some(sel.mailbox)
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
        }
    }
}
