//! RENAME in a closed world: which name holds which messages after a RENAME is the
//! RENAME's doing, not a count's. RFC 2060 §6.3.5 fixes one value: after `RENAME INBOX`
//! "It moves all messages in INBOX to a new mailbox with the given name, leaving INBOX
//! empty."

use imap_types::command::CommandBody;

use super::{rule, Gap, Oracle};
use crate::model::account::Account;

impl Oracle {
    /// A RENAME the server and the model both answered OK: one of INBOX is remembered.
    pub(in crate::judge::oracle) fn renamed_ok(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
    ) {
        if let CommandBody::Rename { from, to } = body {
            if self.world.is_closed()
                && Account::key(&crate::judge::oracle::mailbox_bytes(from)) == b"INBOX"
            {
                self.closed.inbox_renamed = Some(step);
                self.closed.inbox_renamed_to =
                    Some(Account::key(&crate::judge::oracle::mailbox_bytes(to)));
            }
        }
    }

    /// A count the server showed for `key` (EXISTS, or STATUS MESSAGES or UNSEEN: `what`)
    /// that differs from the model's, where a RENAME of this session moved messages from
    /// or to that name: which name holds which messages is the RENAME's doing, so the
    /// count itself is not blamed. One case is a finding: INBOX holding more messages than
    /// were added to it since a `RENAME INBOX` answered OK, with nothing else since that
    /// could add one (§6.3.5: "leaving INBOX empty"). `None` when no RENAME touched the
    /// name (the caller judges the count); otherwise the reason to stop following.
    pub(in crate::judge::oracle) fn count_after_rename(
        &mut self,
        key: &[u8],
        model: usize,
        server: usize,
        what: &str,
    ) -> Option<Gap> {
        if !self.closed.renamed.iter().any(|r| key.starts_with(r)) {
            return None;
        }
        let unskipped =
            self.closed.confirmed_skips.get(key).copied().unwrap_or(0) == self.closed.skips;
        let nothing_added = self.closed.added.get(key).is_none_or(|a| a.is_empty());
        if let (b"INBOX", Some(at), true, true, true, "EXISTS" | "MESSAGES") = (
            key,
            self.closed.inbox_renamed,
            unskipped,
            nothing_added,
            server > model,
            what,
        ) {
            self.find(
                at,
                rule::INBOX_MOVED,
                format!(
                    "RENAME of INBOX answered OK, yet INBOX then holds {server} message(s) \
                     where the session added {model} since (it reported {what} {server}): \
                     the messages were not all moved"
                ),
                format!("INBOX left empty: {what} {model}"),
                format!("{what} {server}"),
            );
        }
        // APPENDs since the RENAME and more messages than they added: either the RENAME
        // left messages in INBOX ("leaving INBOX empty") or an APPEND added more than
        // one ("appends the literal argument as a new message"). Which is not told, so no
        // finding; but the server broke a rule.
        let only_appends = self
            .closed
            .added
            .get(key)
            .is_some_and(|a| !a.is_empty() && a.iter().all(|(_, n)| *n == "APPEND"));
        if key == b"INBOX"
            && self.closed.inbox_renamed.is_some()
            && unskipped
            && only_appends
            && server > model
            && matches!(what, "EXISTS" | "MESSAGES")
        {
            self.coverage.fault_unattributed = true;
        }
        // The new name holding fewer messages than INBOX gave it, with nothing added,
        // skipped or unknown since: either the RENAME did not move them all ("It moves
        // all messages in INBOX to a new mailbox with the given name") or a command that
        // put them in INBOX did not add them. Which is not told, so no finding.
        let known = self
            .session
            .account(&self.store)
            .and_then(|a| a.get(key))
            .is_some_and(|m| m.known);
        if self.closed.inbox_renamed_to.as_deref() == Some(key)
            && unskipped
            && nothing_added
            && known
            && server < model
            && matches!(what, "EXISTS" | "MESSAGES")
        {
            self.coverage.fault_unattributed = true;
        }
        Some(Gap::CountDiffers)
    }
}
