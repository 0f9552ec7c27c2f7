//! The generator's own picture of the account, updated as if every command it sends
//! succeeded the way an RFC 2060 server would make it succeed.
//!
//! The generator never sees the answers, so this is a belief, not the truth: it assumes
//! commands that should succeed do, and commands that should fail (a nonexistent
//! mailbox, an out-of-range sequence number, a STORE on a read-only mailbox) change
//! nothing. Unique identifiers are assumed to start at 1 in every new mailbox, which most
//! servers do but RFC 2060 §2.3.1.1 does not promise.

use super::message::MessageFacts;

/// RFC 2060 §5.1: "The case-insensitive mailbox name INBOX is a special name reserved to
/// mean 'the primary mailbox for this user on this server'."
pub const INBOX: &str = "INBOX";

/// One message as the session believes it is stored.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    /// RFC 2060 §2.3.1.1 unique identifier (assumed: 1, 2, ... per mailbox).
    pub uid: u32,
    /// Whether the \Deleted flag is set (so the next EXPUNGE removes it).
    pub deleted: bool,
    /// Index into [`Model::facts`].
    pub fact: usize,
}

#[derive(Clone, Debug)]
pub struct Mailbox {
    pub name: String,
    pub messages: Vec<StoredMessage>,
    /// RFC 2060 §2.3.1.1: the next unique identifier this mailbox will assign.
    pub next_uid: u32,
}

impl Mailbox {
    fn new(name: String) -> Self {
        Mailbox {
            name,
            messages: Vec::new(),
            next_uid: 1,
        }
    }

    fn add(&mut self, fact: usize, deleted: bool) {
        self.messages.push(StoredMessage {
            uid: self.next_uid,
            deleted,
            fact,
        });
        self.next_uid += 1;
    }

    /// RFC 2060 §6.4.3: EXPUNGE "permanently removes all messages that have the \Deleted
    /// flag set".
    fn expunge(&mut self) {
        self.messages.retain(|m| !m.deleted);
    }
}

/// RFC 2060 §3: which state the connection is in, as far as the session knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    /// Selected by EXAMINE (RFC 2060 §6.3.2), so STORE and EXPUNGE must fail.
    pub read_only: bool,
}

/// The whole believed state of the account and connection.
#[derive(Clone, Debug)]
pub struct Model {
    pub mailboxes: Vec<Mailbox>,
    pub subscribed: Vec<String>,
    pub selected: Option<Selection>,
    pub facts: Vec<MessageFacts>,
    pub delimiter: char,
}

impl Model {
    /// An empty account: INBOX exists and is empty (the driver's promise).
    pub fn new(delimiter: char) -> Self {
        Model {
            mailboxes: vec![Mailbox::new(INBOX.into())],
            subscribed: Vec::new(),
            selected: None,
            facts: Vec::new(),
            delimiter,
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.mailboxes
            .iter()
            .position(|m| same_mailbox(&m.name, name))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// RFC 2060 §5.1.1: whether some other mailbox lies below `name` in the hierarchy.
    pub fn has_inferiors(&self, name: &str) -> bool {
        self.mailboxes.iter().any(|m| {
            m.name
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(self.delimiter))
        })
    }

    pub fn mailbox(&self, name: &str) -> Option<&Mailbox> {
        self.position(name).map(|i| &self.mailboxes[i])
    }

    fn mailbox_mut(&mut self, name: &str) -> Option<&mut Mailbox> {
        self.position(name).map(move |i| &mut self.mailboxes[i])
    }

    pub fn selected_mailbox(&self) -> Option<&Mailbox> {
        self.selected.as_ref().and_then(|s| self.mailbox(&s.name))
    }

    fn selected_mailbox_mut(&mut self) -> Option<&mut Mailbox> {
        let name = self.selected.as_ref()?.name.clone();
        self.mailbox_mut(&name)
    }

    pub fn is_selected(&self, name: &str) -> bool {
        self.selected
            .as_ref()
            .is_some_and(|s| same_mailbox(&s.name, name))
    }

    /// Whether the selected mailbox may be changed (selected with SELECT, not EXAMINE).
    pub fn selected_writable(&self) -> bool {
        self.selected.as_ref().is_some_and(|s| !s.read_only)
    }

    /// RFC 2060 §6.3.1: "if a mailbox is selected and a SELECT command that fails is
    /// attempted, no mailbox is selected."
    pub fn select(&mut self, name: &str, read_only: bool) {
        self.selected = self.mailbox(name).map(|m| Selection {
            name: m.name.clone(),
            read_only,
        });
    }

    /// RFC 2060 §6.3.3: CREATE of an existing name, or of INBOX, fails.
    pub fn create(&mut self, name: &str) {
        if !self.exists(name) {
            self.mailboxes.push(Mailbox::new(name.into()));
        }
    }

    /// RFC 2060 §6.3.4: DELETE permanently removes the mailbox (INBOX cannot be deleted).
    pub fn delete(&mut self, name: &str) {
        if same_mailbox(name, INBOX) {
            return;
        }
        if let Some(i) = self.position(name) {
            self.mailboxes.remove(i);
        }
    }

    /// RFC 2060 §6.3.5: RENAME. Inferior names move along; renaming INBOX instead moves
    /// its messages to a new mailbox and leaves INBOX empty (its inferiors stay put).
    pub fn rename(&mut self, from: &str, to: &str) {
        if !self.exists(from) || self.exists(to) {
            return;
        }
        if same_mailbox(from, INBOX) {
            let inbox = self.mailbox_mut(INBOX).expect("INBOX always exists");
            let messages = std::mem::take(&mut inbox.messages);
            let next_uid = inbox.next_uid;
            let mut moved = Mailbox::new(to.into());
            moved.messages = messages;
            moved.next_uid = next_uid;
            self.mailboxes.push(moved);
            return;
        }
        let from = self.mailbox(from).expect("checked above").name.clone();
        let renamed = |name: &str| -> Option<String> {
            if name == from {
                return Some(to.into());
            }
            let rest = name.strip_prefix(&from)?.strip_prefix(self.delimiter)?;
            Some(format!("{to}{}{rest}", self.delimiter))
        };
        for m in &mut self.mailboxes {
            if let Some(new) = renamed(&m.name) {
                m.name = new;
            }
        }
        // The selected mailbox keeps its messages under its new name.
        if let Some(s) = &mut self.selected {
            if let Some(new) = renamed(&s.name) {
                s.name = new;
            }
        }
    }

    /// RFC 2060 §6.3.11: APPEND to an existing mailbox adds one message at the end.
    pub fn append(&mut self, name: &str, facts: MessageFacts, deleted: bool) {
        self.facts.push(facts);
        let fact = self.facts.len() - 1;
        if let Some(m) = self.mailbox_mut(name) {
            m.add(fact, deleted);
        }
    }

    /// RFC 2060 §6.4.7: COPY of the given positions of the selected mailbox to `to`;
    /// flags travel with the messages.
    pub fn copy(&mut self, positions: &[usize], to: &str) {
        let Some(from) = self.selected_mailbox() else {
            return;
        };
        let copied: Vec<(usize, bool)> = positions
            .iter()
            .filter_map(|&p| from.messages.get(p))
            .map(|m| (m.fact, m.deleted))
            .collect();
        if let Some(dest) = self.mailbox_mut(to) {
            for (fact, deleted) in copied {
                dest.add(fact, deleted);
            }
        }
    }

    /// RFC 2060 §6.4.6: the effect of a STORE on the \Deleted flag of the given positions.
    pub fn store_deleted(&mut self, positions: &[usize], deleted: bool) {
        if !self.selected_writable() {
            return;
        }
        if let Some(m) = self.selected_mailbox_mut() {
            for &p in positions {
                if let Some(msg) = m.messages.get_mut(p) {
                    msg.deleted = deleted;
                }
            }
        }
    }

    /// RFC 2060 §6.4.3 EXPUNGE (nothing happens in a read-only mailbox).
    pub fn expunge(&mut self) {
        if self.selected_writable() {
            if let Some(m) = self.selected_mailbox_mut() {
                m.expunge();
            }
        }
    }

    /// RFC 2060 §6.4.2 CLOSE: expunge silently if writable, then back to authenticated.
    pub fn close(&mut self) {
        self.expunge();
        self.selected = None;
    }

    pub fn subscribe(&mut self, name: &str) {
        if !self.subscribed.iter().any(|s| s == name) {
            self.subscribed.push(name.into());
        }
    }

    pub fn unsubscribe(&mut self, name: &str) {
        self.subscribed.retain(|s| s != name);
    }
}

/// RFC 2060 §5.1: INBOX is case-insensitive; every other name is compared exactly.
pub fn same_mailbox(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(INBOX) || b.eq_ignore_ascii_case(INBOX) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::message::Moment;

    fn facts() -> MessageFacts {
        MessageFacts {
            from: Some("a@b"),
            to: "c@d",
            cc: None,
            subject: "s".into(),
            body_words: vec!["w"],
            encoded_words: Vec::new(),
            sent: Some(Moment {
                year: 2000,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                zone_minutes: 0,
            }),
            internal: None,
            size: 10,
            parts: Vec::new(),
            eight_bit: false,
            bare_lf: false,
            seed: None,
        }
    }

    #[test]
    fn rename_moves_inferiors_but_inbox_rename_moves_messages() {
        let mut m = Model::new('.');
        m.create("INBOX.a");
        m.create("INBOX.a.b");
        assert!(m.has_inferiors("INBOX.a") && !m.has_inferiors("INBOX.a.b"));
        m.rename("INBOX.a", "INBOX.c");
        assert!(m.exists("INBOX.c") && m.exists("INBOX.c.b") && !m.exists("INBOX.a.b"));
        m.append("inbox", facts(), false);
        m.rename("INBOX", "INBOX.old");
        assert_eq!(m.mailbox("INBOX").unwrap().messages.len(), 0);
        assert_eq!(m.mailbox("INBOX.old").unwrap().messages.len(), 1);
        assert!(m.exists("INBOX.c.b"));
        m.select("INBOX.c.b", false);
        m.rename("INBOX.c", "INBOX.d");
        assert_eq!(m.selected_mailbox().unwrap().name, "INBOX.d.b");
    }

    #[test]
    fn expunge_removes_deleted_only_when_writable() {
        let mut m = Model::new('.');
        for _ in 0..3 {
            m.append(INBOX, facts(), false);
        }
        m.select(INBOX, true);
        m.store_deleted(&[0, 2], true);
        m.expunge();
        assert_eq!(m.selected_mailbox().unwrap().messages.len(), 3);
        m.select(INBOX, false);
        m.store_deleted(&[0, 2], true);
        m.close();
        assert_eq!(m.mailbox(INBOX).unwrap().messages.len(), 1);
        assert_eq!(m.mailbox(INBOX).unwrap().messages[0].uid, 2);
        assert!(m.selected.is_none());
    }

    #[test]
    fn failed_select_deselects() {
        let mut m = Model::new('.');
        m.select(INBOX, false);
        assert!(m.selected.is_some());
        m.select("INBOX.nosuch", false);
        assert!(m.selected.is_none());
    }
}
