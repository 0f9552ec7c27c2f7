//! One user's mail store: mailboxes, their messages and the subscription list
//! (RFC 2060 §2.3 message attributes, §5.1 mailbox naming, §6.3 mailbox commands).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::flags::FlagSet;
use super::message::Message;
use super::names;

/// RFC 2060 §2.3.2 `\Recent`: "this is the first session to have been notified about this
/// message". Whether a message still waits for its first session, as far as the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// No session has been notified yet: the next SELECT sees it as \Recent.
    Unclaimed,
    /// A session has been notified.
    Claimed,
    /// The RFC does not decide whether a session was notified (e.g. EXAMINE, or the message
    /// arrived while its mailbox was selected); servers differ.
    Undecided,
}

/// A message in a mailbox.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    /// Identity of this copy, unique in the account; stable across renumbering and renames.
    pub id: u64,
    /// RFC 2060 §2.3.1.1: unique identifier, strictly ascending in the mailbox.
    pub uid: u32,
    /// Whether `uid` is known (the model's own, or learnt from a server); an oracle following
    /// a server may not know a UID the server assigned until the server shows it.
    pub uid_known: bool,
    /// Stored flags, without `\Recent` (which is per session).
    pub flags: FlagSet,
    /// Whether flags are known exactly (false after an operation the oracle could not follow).
    pub flags_known: bool,
    pub arrival: Arrival,
    /// RFC 2060 §2.3.3 INTERNALDATE.
    pub internal_date: DateTime<FixedOffset>,
    /// Whether the internal date is fixed by the client (APPEND with a date, or a COPY of
    /// such a message); otherwise it is the server's clock and only learnt.
    pub date_known: bool,
    pub message: Arc<Message>,
    /// Flags a client asked for that the RFC only says a server SHOULD keep (APPEND's flag
    /// list, RFC 2060 §6.3.11; a COPY's source flags, §6.4.7), with that requirement's id:
    /// an oracle learns the real flags from the server and warns if these are missing.
    pub expected_flags: Option<(FlagSet, &'static str)>,
}

/// A mailbox. `selectable == false` is a name kept only as a hierarchy level
/// (RFC 2060 §6.3.4: `\Noselect`).
#[derive(Clone, Debug)]
pub struct Mailbox {
    pub name: Vec<u8>,
    pub selectable: bool,
    /// RFC 2060 §2.3.1.1 unique identifier validity value.
    pub uid_validity: u32,
    /// The next UID this mailbox will assign.
    pub uid_next: u32,
    pub messages: Vec<StoredMessage>,
    /// Keywords ever stored in this mailbox (for the FLAGS response, RFC 2060 §7.2.6).
    pub keywords: FlagSet,
    /// Whether `messages` is all the mailbox holds. An oracle following a server knows a
    /// mailbox it did not see created only once the server shows its size.
    pub known: bool,
}

impl Mailbox {
    pub fn uids(&self) -> Vec<u32> {
        self.messages.iter().map(|m| m.uid).collect()
    }

    pub fn position(&self, id: u64) -> Option<usize> {
        self.messages.iter().position(|m| m.id == id)
    }
}

/// One user's store.
#[derive(Clone, Debug)]
pub struct Account {
    /// RFC 2060 §6.3.8: the hierarchy delimiter this server uses.
    pub delimiter: u8,
    mailboxes: BTreeMap<Vec<u8>, Mailbox>,
    pub subscriptions: BTreeSet<Vec<u8>>,
    next_uid_validity: u32,
    next_id: u64,
    /// Whether every existing mailbox is in `mailboxes` (the model as a server; an oracle
    /// after the server listed `LIST "" *`). Otherwise a name not in `mailboxes` and not
    /// in `absent` may exist.
    pub closed_world: bool,
    /// Names known not to exist (deleted or renamed away in this session).
    pub absent: BTreeSet<Vec<u8>>,
}

impl Account {
    /// A fresh account with an empty INBOX (RFC 2060 §5.1: "The case-insensitive mailbox name
    /// INBOX is a special name reserved to mean "the primary mailbox for this user on this
    /// server".").
    pub fn new(delimiter: u8) -> Account {
        let mut a = Account {
            delimiter,
            mailboxes: BTreeMap::new(),
            subscriptions: BTreeSet::new(),
            next_uid_validity: 1,
            next_id: 1,
            closed_world: true,
            absent: BTreeSet::new(),
        };
        a.create_one(b"INBOX".to_vec(), true);
        a
    }

    /// The account as an oracle first sees it: INBOX exists (RFC 2060 §5.1) with contents
    /// not yet known, and other mailboxes may exist.
    pub fn unknown(delimiter: u8) -> Account {
        let mut a = Account::new(delimiter);
        a.closed_world = false;
        if let Some(inbox) = a.get_mut(b"INBOX") {
            inbox.known = false;
        }
        a
    }

    /// Whether `name` exists: `Some(true)`, `Some(false)`, or `None` when the model
    /// cannot tell.
    pub fn existence(&self, name: &[u8]) -> Option<bool> {
        let key = Self::key(name);
        if self.mailboxes.contains_key(&key) {
            Some(true)
        } else if self.closed_world || self.absent.contains(&key) {
            Some(false)
        } else {
            None
        }
    }

    /// A mailbox the server showed (LIST) that the model did not know of: its contents
    /// are unknown until the server shows its size.
    pub fn learn_mailbox(&mut self, name: &[u8], selectable: bool) {
        if self.exists(name) {
            return;
        }
        self.create_one(Self::key(name), selectable);
        self.absent.remove(&Self::key(name));
        if let Some(mb) = self.get_mut(name) {
            mb.known = false;
        }
    }

    /// The key a mailbox is stored under: INBOX in any case is `INBOX`.
    pub fn key(name: &[u8]) -> Vec<u8> {
        names::canonical(name)
    }

    pub fn get(&self, name: &[u8]) -> Option<&Mailbox> {
        self.mailboxes.get(&Self::key(name))
    }

    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut Mailbox> {
        self.mailboxes.get_mut(&Self::key(name))
    }

    pub fn exists(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    pub fn mailboxes(&self) -> impl Iterator<Item = &Mailbox> {
        self.mailboxes.values()
    }

    pub fn names(&self) -> Vec<Vec<u8>> {
        self.mailboxes.keys().cloned().collect()
    }

    /// Gives every mailbox, in name order, a new UIDVALIDITY counted from `first`, and
    /// goes on from there. For a fresh account, before any client has seen the values.
    pub fn renumber_uid_validity(&mut self, first: u32) {
        let mut v = first.max(1);
        for mb in self.mailboxes.values_mut() {
            mb.uid_validity = v;
            v = v.wrapping_add(1).max(1);
        }
        self.next_uid_validity = v;
    }

    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn create_one(&mut self, name: Vec<u8>, selectable: bool) {
        let v = self.next_uid_validity;
        self.next_uid_validity = v.wrapping_add(1).max(1);
        let key = Self::key(&name);
        self.mailboxes.insert(
            key.clone(),
            Mailbox {
                name: key.clone(),
                selectable,
                uid_validity: v,
                uid_next: 1,
                messages: Vec::new(),
                keywords: FlagSet::new(),
                known: true,
            },
        );
        self.absent.remove(&key);
    }

    /// RFC 2060 §6.3.3: "If the server's hierarchy separator character appears elsewhere in
    /// the name, the server SHOULD create any superior hierarchical names that are needed for
    /// the CREATE command to complete successfully." A trailing separator only declares the
    /// name as a hierarchy: the model creates the name as `\Noselect`-free mailbox without it.
    pub fn create(&mut self, name: &[u8]) {
        let name = names::strip_trailing_delimiter(name, self.delimiter)
            .0
            .to_vec();
        for sup in names::superiors(&name, self.delimiter) {
            if !self.exists(&sup) {
                self.create_one(sup, true);
            }
        }
        if let Some(mb) = self.get_mut(&name) {
            // An existing \Noselect level becomes a real mailbox again.
            mb.selectable = true;
        } else {
            self.create_one(name, true);
        }
    }

    /// Whether `name` has inferior hierarchical names (RFC 2060 §6.3.4).
    pub fn has_inferiors(&self, name: &[u8]) -> bool {
        let d = self.delimiter;
        self.mailboxes
            .keys()
            .any(|k| names::inferiors_of(name, k, d))
    }

    /// RFC 2060 §6.3.4: "It is an error to attempt to delete a name that has inferior
    /// hierarchical names and also has the \Noselect mailbox name attribute"; a deleted name
    /// with inferiors keeps existing as `\Noselect`, its messages removed.
    pub fn delete(&mut self, name: &[u8]) {
        if self.has_inferiors(name) {
            if let Some(mb) = self.get_mut(name) {
                mb.selectable = false;
                mb.messages.clear();
            }
        } else {
            self.mailboxes.remove(&Self::key(name));
            self.absent.insert(Self::key(name));
        }
    }

    /// RFC 2060 §6.3.5: renames a mailbox and its inferiors. "Renaming INBOX is permitted,
    /// and has special behavior. It moves all messages in INBOX to a new mailbox with the
    /// given name, leaving INBOX empty."
    pub fn rename(&mut self, from: &[u8], to: &[u8]) {
        let d = self.delimiter;
        let to = names::strip_trailing_delimiter(to, d).0.to_vec();
        if names::is_inbox(from) {
            for sup in names::superiors(&to, d) {
                if !self.exists(&sup) {
                    self.create_one(sup, true);
                }
            }
            self.create_one(to.clone(), true);
            let moved = std::mem::take(&mut self.get_mut(b"INBOX").expect("INBOX").messages);
            let target = self.get_mut(&to).expect("just created");
            for m in moved {
                let mut m = m;
                m.uid = target.uid_next;
                target.uid_next += 1;
                target.messages.push(m);
            }
            return;
        }
        let from_key = Self::key(from);
        let moving: Vec<Vec<u8>> = self
            .mailboxes
            .keys()
            .filter(|k| **k == from_key || names::inferiors_of(&from_key, k, d))
            .cloned()
            .collect();
        for sup in names::superiors(&to, d) {
            if !self.exists(&sup) && !moving.contains(&sup) {
                self.create_one(sup, true);
            }
        }
        let mut taken = Vec::new();
        for k in moving {
            if let Some(mb) = self.mailboxes.remove(&k) {
                taken.push(mb);
            }
            self.absent.insert(k);
        }
        for mut mb in taken {
            let suffix = mb.name[from_key.len()..].to_vec();
            let mut new_name = to.clone();
            new_name.extend_from_slice(&suffix);
            mb.name = Self::key(&new_name);
            self.mailboxes.insert(mb.name.clone(), mb);
        }
    }

    /// Adds a message at the end of a mailbox, assigning the next UID (RFC 2060 §2.3.1.1:
    /// "Unique identifiers are assigned in a strictly ascending fashion in the mailbox").
    #[allow(clippy::too_many_arguments)]
    pub fn deliver(
        &mut self,
        mailbox: &[u8],
        message: Arc<Message>,
        flags: FlagSet,
        internal_date: DateTime<FixedOffset>,
        date_known: bool,
        arrival: Arrival,
        uid_known: bool,
    ) -> Option<(u64, u32)> {
        let id = self.fresh_id();
        let mb = self.get_mut(mailbox)?;
        let uid = mb.uid_next;
        mb.uid_next += 1;
        for f in flags.names() {
            if !super::flags::is_system(&f) {
                mb.keywords.insert(&f);
            }
        }
        mb.messages.push(StoredMessage {
            id,
            uid,
            uid_known,
            flags,
            flags_known: true,
            arrival,
            internal_date,
            date_known,
            message,
            expected_flags: None,
        });
        Some((id, uid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(a: &Account) -> Vec<String> {
        a.names()
            .into_iter()
            .map(|n| String::from_utf8(n).unwrap())
            .collect()
    }

    #[test]
    fn inbox_is_case_insensitive_rfc2060_5_1() {
        let a = Account::new(b'.');
        assert!(a.exists(b"inbox"));
        assert!(a.exists(b"InBoX"));
    }

    #[test]
    fn create_makes_superiors_rfc2060_6_3_3() {
        let mut a = Account::new(b'.');
        a.create(b"a.b.c");
        assert_eq!(names(&a), vec!["INBOX", "a", "a.b", "a.b.c"]);
        a.create(b"x.");
        assert!(a.exists(b"x"));
    }

    #[test]
    fn delete_with_inferiors_leaves_noselect_rfc2060_6_3_4() {
        let mut a = Account::new(b'.');
        a.create(b"a.b");
        a.delete(b"a");
        assert!(!a.get(b"a").unwrap().selectable);
        a.delete(b"a.b");
        assert!(!a.exists(b"a.b"));
        a.delete(b"a");
        assert!(!a.exists(b"a"));
    }

    #[test]
    fn rename_moves_inferiors_and_inbox_rename_moves_messages_rfc2060_6_3_5() {
        let mut a = Account::new(b'.');
        a.create(b"a.b");
        a.rename(b"a", b"z");
        assert_eq!(names(&a), vec!["INBOX", "z", "z.b"]);
        let msg = Arc::new(Message::parse(b"Subject: x\r\n\r\nbody\r\n".to_vec()));
        let now = DateTime::parse_from_rfc3339("2020-01-01T00:00:00+00:00").unwrap();
        a.deliver(
            b"INBOX",
            msg,
            FlagSet::new(),
            now,
            true,
            Arrival::Unclaimed,
            true,
        );
        a.rename(b"INBOX", b"old");
        assert_eq!(a.get(b"INBOX").unwrap().messages.len(), 0);
        assert_eq!(a.get(b"old").unwrap().messages.len(), 1);
    }

    #[test]
    fn uidvalidity_counts_from_the_chosen_start_rfc2060_2_3_1_1() {
        let mut a = Account::new(b'.');
        a.renumber_uid_validity(1_795_000_000);
        a.create(b"box");
        assert_eq!(a.get(b"INBOX").unwrap().uid_validity, 1_795_000_000);
        assert_eq!(a.get(b"box").unwrap().uid_validity, 1_795_000_001);
    }

    #[test]
    fn uids_ascend_rfc2060_2_3_1_1() {
        let mut a = Account::new(b'.');
        let now = DateTime::parse_from_rfc3339("2020-01-01T00:00:00+00:00").unwrap();
        let mut last = 0;
        for _ in 0..3 {
            let msg = Arc::new(Message::parse(b"\r\n".to_vec()));
            let (_, uid) = a
                .deliver(
                    b"inbox",
                    msg,
                    FlagSet::new(),
                    now,
                    true,
                    Arrival::Unclaimed,
                    true,
                )
                .unwrap();
            assert!(uid > last);
            last = uid;
        }
    }
}
