//! Mailbox names a session draws (existing, fresh, missing; RFC 2060 §5.1) and the writers
//! of LOGIN (§6.2.2) and of the authenticated-state commands (§6.3): SELECT, EXAMINE,
//! CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS and APPEND.

use arbitrary::Unstructured;

use super::selected::draw_flags;
use super::{Deliberate, Session, MAILBOX_WORDS, SPACED_WORDS};
use crate::gen::entropy::{chance, index, int, pick};
use crate::gen::message::{draw_message, Moment};
use crate::gen::model::INBOX;
use crate::gen::seeds::draw_seed;
use crate::gen::syntax::{is_atom_char, CommandText};

impl<'c> Session<'c> {
    // ----- mailbox names -----

    /// A mailbox the session believes exists (INBOX included).
    pub(super) fn existing_mailbox(&self, u: &mut Unstructured) -> String {
        let name = self.model.mailboxes[index(u, self.model.mailboxes.len())]
            .name
            .clone();
        if name == INBOX && chance(u, 1, 10) {
            // RFC 2060 §5.1: INBOX is case-insensitive.
            return pick(u, &["inbox", "Inbox"]).to_string();
        }
        name
    }

    /// An existing mailbox other than INBOX and the selected one, if there is any.
    fn existing_non_inbox(&self, u: &mut Unstructured) -> Option<String> {
        let candidates: Vec<&str> = self
            .model
            .mailboxes
            .iter()
            .map(|m| m.name.as_str())
            .filter(|n| *n != INBOX && !self.model.is_selected(n))
            .collect();
        (!candidates.is_empty()).then(|| candidates[index(u, candidates.len())].to_string())
    }

    /// A name no mailbox has: under the prefix, sometimes nested under an existing
    /// mailbox, sometimes with a space in it.
    fn fresh_mailbox(&mut self, u: &mut Unstructured) -> String {
        let word = if chance(u, 1, 8) {
            *pick(u, SPACED_WORDS)
        } else {
            *pick(u, MAILBOX_WORDS)
        };
        let parent = if chance(u, 1, 4) {
            self.existing_non_inbox(u)
                .map(|p| format!("{p}{}", self.cfg.hierarchy_delimiter))
        } else {
            None
        };
        let base = parent.unwrap_or_else(|| self.cfg.mailbox_prefix.clone()) + word;
        let mut name = base.clone();
        let mut n = 2;
        while self.model.exists(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    /// An existing mailbox other than INBOX and the selected one, with no inferiors.
    fn existing_leaf(&self, u: &mut Unstructured) -> Option<String> {
        let candidates: Vec<&str> = self
            .model
            .mailboxes
            .iter()
            .map(|m| m.name.as_str())
            .filter(|n| *n != INBOX && !self.model.is_selected(n) && !self.model.has_inferiors(n))
            .collect();
        (!candidates.is_empty()).then(|| candidates[index(u, candidates.len())].to_string())
    }

    /// A fresh name that is not inside `outside`'s hierarchy: renaming a mailbox into
    /// itself is refused by some servers and not by others, a difference not worth finding.
    fn fresh_mailbox_outside(&mut self, u: &mut Unstructured, outside: &str) -> String {
        let inside = format!("{outside}{}", self.cfg.hierarchy_delimiter);
        let name = self.fresh_mailbox(u);
        // INBOX's inferiors are unaffected by renaming INBOX (RFC 3501 §6.3.5), and the
        // prefix may itself lie under INBOX.
        if outside.eq_ignore_ascii_case(INBOX)
            || !name.starts_with(&inside)
            || self.cfg.mailbox_prefix.starts_with(&inside)
        {
            return name;
        }
        let mut name = format!("{}{}", self.cfg.mailbox_prefix, pick(u, MAILBOX_WORDS));
        while self.model.exists(&name) || name.starts_with(&inside) {
            name.push('x');
        }
        name
    }

    /// A name the session believes does not exist.
    fn missing_mailbox(&mut self, u: &mut Unstructured) -> String {
        self.mark(Deliberate::MissingMailbox);
        if chance(u, 1, 3) {
            return self.fresh_mailbox(u);
        }
        let mut name = format!("{}nosuch{}", self.cfg.mailbox_prefix, int(u, 1, 99));
        while self.model.exists(&name) {
            name.push('x');
        }
        name
    }

    /// A mailbox argument: mostly one that exists, sometimes (1 in `miss`) one that
    /// does not.
    pub(super) fn target_mailbox(&mut self, u: &mut Unstructured, miss: u32) -> String {
        if chance(u, 1, miss) {
            self.missing_mailbox(u)
        } else {
            self.existing_mailbox(u)
        }
    }

    /// RFC 2060 §9 `mailbox ::= "INBOX" / astring`, occasionally as a literal.
    pub(super) fn write_mailbox(&self, u: &mut Unstructured, c: &mut CommandText, name: &str) {
        if chance(u, 1, 15) {
            c.literal(name.as_bytes());
        } else {
            c.astring(u, name);
        }
    }

    // ----- non-authenticated state commands, sent in the authenticated state -----

    /// RFC 2060 §6.2.2 LOGIN with made-up credentials: valid syntax, wrong state.
    pub(super) fn login(&self, u: &mut Unstructured, c: &mut CommandText) {
        const CREDENTIALS: &[(&str, &str)] = &[
            ("nobody", "secret"),
            ("imapconform", "not-the-password"),
            ("test user", "pass word"),
            ("mallory", "p\"w\\d"),
        ];
        let (user, pass) = *pick(u, CREDENTIALS);
        c.raw("LOGIN ").astring(u, user).space().astring(u, pass);
    }

    // ----- authenticated state commands (RFC 2060 §6.3) -----

    /// RFC 2060 §6.3.1 SELECT / §6.3.2 EXAMINE.
    pub(super) fn select(&mut self, u: &mut Unstructured, c: &mut CommandText, read_only: bool) {
        let name = self.target_mailbox(u, 20);
        c.raw(if read_only { "EXAMINE " } else { "SELECT " });
        self.write_mailbox(u, c, &name);
        self.model.select(&name, read_only);
    }

    /// RFC 2060 §6.3.3 CREATE: mostly a new name, sometimes one that exists or INBOX.
    pub(super) fn create(&mut self, u: &mut Unstructured, c: &mut CommandText) {
        let name = if chance(u, 1, 16) {
            self.mark(Deliberate::ExistingMailbox);
            self.existing_mailbox(u)
        } else {
            self.fresh_mailbox(u)
        };
        c.raw("CREATE ");
        self.write_mailbox(u, c, &name);
        self.model.create(&name);
    }

    /// RFC 2060 §6.3.4 DELETE: mostly a mailbox the session created without inferiors
    /// (servers differ, legitimately, on deleting one that has them) and never the
    /// selected one, whose fate differs too; sometimes a missing one or INBOX.
    pub(super) fn delete(&mut self, u: &mut Unstructured, c: &mut CommandText) {
        let leaf = if chance(u, 1, 6) {
            self.existing_non_inbox(u)
        } else {
            self.existing_leaf(u)
        };
        let name = match leaf {
            Some(n) if !chance(u, 1, 12) => n,
            _ if chance(u, 1, 4) => {
                self.mark(Deliberate::DeleteInbox);
                INBOX.to_string()
            }
            _ => self.missing_mailbox(u),
        };
        c.raw("DELETE ");
        self.write_mailbox(u, c, &name);
        self.model.delete(&name);
    }

    /// RFC 2060 §6.3.5 RENAME: mostly an existing mailbox to a fresh name; sometimes INBOX
    /// (which moves its messages), a missing source, or an existing destination.
    pub(super) fn rename(&mut self, u: &mut Unstructured, c: &mut CommandText) {
        let from = match self.existing_non_inbox(u) {
            Some(n) if !chance(u, 1, 10) => n,
            _ if !self.model.is_selected(INBOX) && chance(u, 1, 2) => INBOX.to_string(),
            _ => self.missing_mailbox(u),
        };
        let to = if chance(u, 1, 16) {
            self.mark(Deliberate::ExistingMailbox);
            self.existing_mailbox(u)
        } else {
            self.fresh_mailbox_outside(u, &from)
        };
        c.raw("RENAME ");
        self.write_mailbox(u, c, &from);
        c.space();
        self.write_mailbox(u, c, &to);
        self.model.rename(&from, &to);
    }

    /// RFC 2060 §6.3.6 SUBSCRIBE / §6.3.7 UNSUBSCRIBE.
    pub(super) fn subscribe(&mut self, u: &mut Unstructured, c: &mut CommandText, subscribe: bool) {
        let name = if !subscribe && !self.model.subscribed.is_empty() && !chance(u, 1, 5) {
            self.model.subscribed[index(u, self.model.subscribed.len())].clone()
        } else {
            self.target_mailbox(u, 16)
        };
        c.raw(if subscribe {
            "SUBSCRIBE "
        } else {
            "UNSUBSCRIBE "
        });
        self.write_mailbox(u, c, &name);
        if subscribe {
            self.model.subscribe(&name);
        } else {
            self.model.unsubscribe(&name);
        }
    }

    /// RFC 2060 §6.3.8 LIST / §6.3.9 LSUB: `reference SP list_mailbox`.
    pub(super) fn list(&mut self, u: &mut Unstructured, c: &mut CommandText, verb: &str) {
        let prefix = self.cfg.mailbox_prefix.clone();
        // RFC 2060 §7.2.2: a name LIST returned "MUST be valid for use as a reference".
        let reference = match int(u, 0, 9) {
            0 | 1 => prefix.clone(),
            2 => self.existing_mailbox(u),
            _ => String::new(),
        };
        let pattern = match int(u, 0, 8) {
            0 | 1 => "*".to_string(),
            2 => "%".to_string(),
            3 => format!("{prefix}*"),
            4 => format!("{prefix}%"),
            5 => INBOX.to_string(),
            6 => String::new(),
            7 => self.existing_mailbox(u),
            _ => format!("{prefix}{}*", &pick(u, MAILBOX_WORDS)[..1]),
        };
        c.raw(verb).space();
        if reference.is_empty() {
            c.quoted("");
        } else {
            self.write_mailbox(u, c, &reference);
        }
        c.space();
        write_list_mailbox(u, c, &pattern);
    }

    /// RFC 2060 §6.3.10 STATUS with a non-empty list of status_att in any order.
    pub(super) fn status(&mut self, u: &mut Unstructured, c: &mut CommandText) {
        const ITEMS: &[&str] = &["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];
        let name = self.target_mailbox(u, 16);
        c.raw("STATUS ");
        self.write_mailbox(u, c, &name);
        let start = index(u, ITEMS.len());
        let count = int(u, 1, ITEMS.len() as u32) as usize;
        let items: Vec<&str> = (0..count)
            .map(|i| ITEMS[(start + i) % ITEMS.len()])
            .collect();
        c.raw(" (").raw(&items.join(" ")).raw(")");
    }

    /// RFC 2060 §6.3.11 APPEND: `mailbox [SP flag_list] [SP date_time] SP literal`.
    pub(super) fn append(&mut self, u: &mut Unstructured, c: &mut CommandText) {
        let name = if chance(u, 1, 3) {
            INBOX.to_string()
        } else {
            self.target_mailbox(u, 20)
        };
        c.raw("APPEND ");
        self.write_mailbox(u, c, &name);
        let flags = if chance(u, 1, 3) {
            draw_flags(u, 0)
        } else {
            Vec::new()
        };
        if !flags.is_empty() || chance(u, 1, 20) {
            c.raw(" (").raw(&flags.join(" ")).raw(")");
        }
        let internal = chance(u, 1, 3).then(|| Moment::draw(u));
        if let Some(when) = internal {
            c.space().quoted(&when.internal_date(chance(u, 1, 2)));
        }
        self.serial += 1;
        // One APPEND in ten sends a hand-written message of corpus/messages/.
        let mut message = if chance(u, 1, 10) {
            draw_seed(u)
        } else {
            draw_message(u, (self.seed, self.index), self.serial)
        };
        message.facts.internal = internal;
        c.space().literal(&message.bytes);
        let deleted = flags.contains(&"\\Deleted");
        self.model.append(&name, message.facts, deleted);
    }
}

/// RFC 2060 §9 `list_mailbox ::= 1*(ATOM_CHAR / list_wildcards) / string`.
fn write_list_mailbox(u: &mut Unstructured, c: &mut CommandText, pattern: &str) {
    let bare = !pattern.is_empty()
        && pattern
            .bytes()
            .all(|b| is_atom_char(b) || b == b'%' || b == b'*');
    if bare && !chance(u, 1, 6) {
        c.raw(pattern);
    } else {
        c.string(u, pattern);
    }
}
