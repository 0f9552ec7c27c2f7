//! One session being generated: the model of the account, the tag counter, and one
//! writer per RFC 2060 §6 command.

use arbitrary::Unstructured;

use super::entropy::{chance, index, int, pick, weighted};
use super::kind::{Kind, Situation};
use super::message::{draw_message, render_path, MessageFacts, Moment, PartKind};
use super::model::{Model, INBOX};
use super::mutate::Operator;
use super::seeds::draw_seed;
use super::sets::{draw_set, MessageSet};
use super::syntax::{is_atom_char, CommandText};
use super::{Command, GenConfig};

mod twin;

/// Last parts of mailbox names the session creates.
const MAILBOX_WORDS: &[&str] = &[
    "work", "archive", "drafts", "Sent", "trash", "lists", "projects", "2024", "receipts",
    "Family", "notes", "old",
];

/// Mailbox name parts that need quoting (RFC 2060 §9: SPACE is an atom_special).
const SPACED_WORDS: &[&str] = &["my folder", "old mail", "to do", "Q&-A list"];

/// RFC 2060 §2.3.2 system flags a client may set (\Recent is the server's alone).
const SYSTEM_FLAGS: &[&str] = &["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];

/// RFC 2060 §2.3.2 keywords: atoms without a backslash.
const KEYWORDS: &[&str] = &["$Forwarded", "Junk", "NonJunk", "todo", "$label1", "work"];

/// Header field names for HEADER.FIELDS and SEARCH HEADER.
const HEADER_FIELDS: &[&str] = &[
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "Cc",
    "X-Imapconform-Serial",
    "Content-Type",
    "References",
    "Content-Transfer-Encoding",
];

/// Why the generator sent a command it expects the server to refuse: each is something
/// RFC 2060 says a server must not carry out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Deliberate {
    /// RFC 2060 §3: a command outside the state it is valid in (LOGIN and AUTHENTICATE
    /// once authenticated, §6.4 commands with no mailbox selected).
    WrongState,
    /// RFC 2060 §6.3: a mailbox argument naming a mailbox that does not exist.
    MissingMailbox,
    /// RFC 2060 §6.3.3 / §6.3.5: CREATE, or RENAME to, a name that exists.
    ExistingMailbox,
    /// RFC 2060 §6.3.4: "It is an error to attempt to delete INBOX".
    DeleteInbox,
    /// RFC 2060 §9 / §6.4: a message sequence number beyond the mailbox's last message.
    OutOfRange,
    /// RFC 2060 §6.3.2: STORE or EXPUNGE in a mailbox selected with EXAMINE.
    ReadOnly,
    /// RFC 2060 §9 gives no meaning to a range written high end first (`4:2`); RFC 3501
    /// §9 made it the same as `2:4`. Not a mistake under RFC 3501, but a server of RFC
    /// 2060 may refuse it.
    ReversedRange,
    /// RFC 2060 §6.4.4: "If the server does not support the specified [CHARSET], it MUST
    /// return a tagged NO response".
    UnknownCharset,
}

/// Whether the generator meant the command to succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    /// Valid in the believed state, and every mailbox, message and number it names exists.
    Valid,
    /// Meant to be refused, for the first reason the generator chose.
    Deliberate(Deliberate),
    /// Broken on purpose by a mutation operator, whose label says what the server must
    /// answer.
    Mutated(Operator),
}

/// A command together with what the session believed when it issued it.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The command drawn; for a mutated command `Noop`, the command that changes nothing
    /// in the session's belief (its name is in `command.name`).
    pub kind: Kind,
    pub command: Command,
    /// Whether the command is meant to succeed.
    pub intent: Intent,
    /// Whether the session believed a mailbox was selected when it issued the command.
    pub believed_selected: bool,
    /// How many messages the session believed the selected mailbox held (0 if none).
    pub believed_messages: usize,
    /// Whether the command used up its bytes (so later decisions took defaults).
    pub ran_dry: bool,
}

/// The state of one session under generation.
pub struct Session<'c> {
    cfg: &'c GenConfig,
    model: Model,
    next_tag: u64,
    seed: u64,
    index: u64,
    serial: u32,
    /// The first deliberate mistake in the command being written.
    deliberate: Option<Deliberate>,
    /// The SEARCH being written names a CHARSET other than US-ASCII, so RFC 2060 §6.4.4
    /// requires decoding base64 and quoted-printable text before comparing.
    search_decodes: bool,
    /// Twin-question commands still to send ([`twin`]).
    twins: twin::Queue,
}

impl<'c> Session<'c> {
    pub fn new(cfg: &'c GenConfig, seed: u64, index: u64) -> Self {
        Session {
            cfg,
            model: Model::new(cfg.hierarchy_delimiter),
            next_tag: 1,
            seed,
            index,
            serial: 0,
            deliberate: None,
            search_decodes: false,
            twins: twin::Queue::new(),
        }
    }

    /// Draws which command comes next, given what is selected. Never LOGOUT.
    pub fn draw_kind(&self, u: &mut Unstructured) -> Kind {
        let selected_is_empty = self
            .model
            .selected_mailbox()
            .is_some_and(|m| m.messages.is_empty());
        let situation = Situation {
            selected: self.model.selected.is_some(),
            needs_messages: selected_is_empty || self.model.facts.is_empty(),
            has_own_mailboxes: self
                .model
                .mailboxes
                .iter()
                .any(|m| m.name != INBOX && !self.model.is_selected(&m.name)),
            selected_is_empty,
            read_only: self.model.selected.as_ref().is_some_and(|s| s.read_only),
        };
        weighted(u, &self.cfg.mix.table(situation))
    }

    /// Writes the next command of the given kind and updates the model. For
    /// [`Kind::Twin`], the first command of a twin question; the others are queued
    /// ([`Session::next_twin`]).
    pub fn command(&mut self, u: &mut Unstructured, kind: Kind) -> Planned {
        if kind == Kind::Twin {
            return self.twin(u);
        }
        let (tag, believed_selected, believed_messages) = self.begin();
        let mut c = CommandText::new(&tag);
        self.deliberate = None;
        if matches!(kind, Kind::Login | Kind::Authenticate)
            || (kind.needs_selection() && !believed_selected)
        {
            self.mark(Deliberate::WrongState);
        }
        self.write(u, kind, &mut c);
        // RFC 2060 §9: "Implementations MUST accept these strings in a case-insensitive
        // fashion": now and then the command name is sent in lower or mixed case.
        if chance(u, 1, 12) {
            c.recase_verb(chance(u, 1, 2));
        }
        Planned {
            kind,
            command: Command {
                name: kind.name().into(),
                message: c.finish(),
                mutation: None,
            },
            intent: self.deliberate.map_or(Intent::Valid, Intent::Deliberate),
            believed_selected,
            believed_messages,
            ran_dry: u.is_empty(),
        }
    }

    /// The next tag, and what the session believes before the command: whether a mailbox
    /// is selected and how many messages it holds.
    fn begin(&mut self) -> (String, bool, usize) {
        let tag = format!("a{}", self.next_tag);
        self.next_tag += 1;
        let messages = self
            .model
            .selected_mailbox()
            .map_or(0, |m| m.messages.len());
        (tag, self.model.selected.is_some(), messages)
    }

    /// One command in this many is mutated.
    pub fn mutate_one_in(&self) -> u32 {
        self.cfg.mutate_one_in
    }

    /// Draws a mutation operator that fits the believed state (selected-state operators
    /// only while a mailbox is selected).
    pub fn draw_operator(&self, u: &mut Unstructured) -> Operator {
        let selected = self.model.selected.is_some();
        let fitting: Vec<Operator> = Operator::ALL
            .into_iter()
            .filter(|o| selected || !o.needs_selection())
            .collect();
        fitting[index(u, fitting.len())]
    }

    /// Writes a command broken by `op`; the believed state does not change (the label
    /// expects it refused, or it changes nothing).
    pub fn mutated(&mut self, u: &mut Unstructured, op: Operator) -> Planned {
        let (tag, believed_selected, believed_messages) = self.begin();
        let mailbox = self.existing_mailbox(u);
        let message = op.write(u, &tag, &mailbox, &self.cfg.mailbox_prefix);
        Planned {
            kind: Kind::Noop,
            command: Command {
                name: op.name().into(),
                message,
                mutation: Some(op),
            },
            intent: Intent::Mutated(op),
            believed_selected,
            believed_messages,
            ran_dry: u.is_empty(),
        }
    }

    /// Notes a deliberate mistake in the command being written (the first one counts).
    fn mark(&mut self, why: Deliberate) {
        self.deliberate.get_or_insert(why);
    }

    fn write(&mut self, u: &mut Unstructured, kind: Kind, c: &mut CommandText) {
        match kind {
            Kind::Capability | Kind::Noop | Kind::Logout | Kind::Check => {
                c.raw(kind.name());
            }
            Kind::Authenticate => {
                // RFC 2060 §6.2.1 in the wrong state: without or with an initial response
                // (RFC 4959, made-up credentials), or a mechanism no server offers. A
                // server that asks for an answer anyway gets the driver's `*`.
                c.raw(match int(u, 0, 3) {
                    0 => "AUTHENTICATE PLAIN",
                    1 => "AUTHENTICATE LOGIN",
                    2 => "AUTHENTICATE PLAIN AGltYXBjb25mb3JtAG5vdC10aGUtcGFzc3dvcmQ=",
                    _ => "AUTHENTICATE X-UNKNOWN-MECH",
                });
            }
            Kind::Login => self.login(u, c),
            Kind::Select => self.select(u, c, false),
            Kind::Examine => self.select(u, c, true),
            Kind::Create => self.create(u, c),
            Kind::Delete => self.delete(u, c),
            Kind::Rename => self.rename(u, c),
            Kind::Subscribe => self.subscribe(u, c, true),
            Kind::Unsubscribe => self.subscribe(u, c, false),
            Kind::List => self.list(u, c, "LIST"),
            Kind::Lsub => self.list(u, c, "LSUB"),
            Kind::Status => self.status(u, c),
            Kind::Append => self.append(u, c),
            Kind::Close => {
                c.raw("CLOSE");
                self.model.close();
            }
            Kind::Expunge => {
                if self.model.selected.as_ref().is_some_and(|s| s.read_only) {
                    self.mark(Deliberate::ReadOnly);
                }
                c.raw("EXPUNGE");
                self.model.expunge();
            }
            Kind::Search => self.search(u, c, false),
            Kind::UidSearch => self.search(u, c, true),
            Kind::Fetch => self.fetch(u, c, false),
            Kind::UidFetch => self.fetch(u, c, true),
            Kind::Store => self.store(u, c, false),
            Kind::UidStore => self.store(u, c, true),
            Kind::Copy => self.copy(u, c, false),
            Kind::UidCopy => self.copy(u, c, true),
            Kind::Twin => unreachable!("`command` writes twin questions through `twin`"),
        }
    }

    // ----- mailbox names -----

    /// A mailbox the session believes exists (INBOX included).
    fn existing_mailbox(&self, u: &mut Unstructured) -> String {
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
    fn target_mailbox(&mut self, u: &mut Unstructured, miss: u32) -> String {
        if chance(u, 1, miss) {
            self.missing_mailbox(u)
        } else {
            self.existing_mailbox(u)
        }
    }

    /// RFC 2060 §9 `mailbox ::= "INBOX" / astring`, occasionally as a literal.
    fn write_mailbox(&self, u: &mut Unstructured, c: &mut CommandText, name: &str) {
        if chance(u, 1, 15) {
            c.literal(name.as_bytes());
        } else {
            c.astring(u, name);
        }
    }

    // ----- non-authenticated state commands, sent in the authenticated state -----

    /// RFC 2060 §6.2.2 LOGIN with made-up credentials: valid syntax, wrong state.
    fn login(&self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn select(&mut self, u: &mut Unstructured, c: &mut CommandText, read_only: bool) {
        let name = self.target_mailbox(u, 20);
        c.raw(if read_only { "EXAMINE " } else { "SELECT " });
        self.write_mailbox(u, c, &name);
        self.model.select(&name, read_only);
    }

    /// RFC 2060 §6.3.3 CREATE: mostly a new name, sometimes one that exists or INBOX.
    fn create(&mut self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn delete(&mut self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn rename(&mut self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn subscribe(&mut self, u: &mut Unstructured, c: &mut CommandText, subscribe: bool) {
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
    fn list(&mut self, u: &mut Unstructured, c: &mut CommandText, verb: &str) {
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
    fn status(&mut self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn append(&mut self, u: &mut Unstructured, c: &mut CommandText) {
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
    fn draw_set(&mut self, u: &mut Unstructured, uid: bool) -> MessageSet {
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

    fn uid_prefix(c: &mut CommandText, uid: bool) {
        if uid {
            c.raw("UID ");
        }
    }

    /// RFC 2060 §6.4.4 SEARCH `["CHARSET" SP astring SP] 1#search_key`.
    fn search(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        Self::uid_prefix(c, uid);
        c.raw("SEARCH");
        self.search_decodes = false;
        if chance(u, 1, 8) {
            let charset = *pick(u, &["US-ASCII", "UTF-8", "us-ascii", "X-UNKNOWN-8"]);
            if charset == "X-UNKNOWN-8" {
                self.mark(Deliberate::UnknownCharset);
            }
            c.raw(" CHARSET ").raw(charset);
            self.search_decodes = charset == "UTF-8";
        }
        let keys = if chance(u, 1, 3) { int(u, 2, 3) } else { 1 };
        for _ in 0..keys {
            c.space();
            self.search_key(u, c, 0);
        }
    }

    /// One RFC 2060 §9 search_key; `depth` bounds NOT/OR/parenthesis nesting.
    fn search_key(&mut self, u: &mut Unstructured, c: &mut CommandText, depth: u32) {
        #[derive(Clone, Copy)]
        enum Key {
            Flag,
            Address,
            Text,
            Header,
            Keyword,
            Size,
            Date,
            Uid,
            Sequence,
            Not,
            Or,
            List,
        }
        let nest = if depth < 2 { 2 } else { 0 };
        let key = weighted(
            u,
            &[
                (Key::Flag, 6),
                (Key::Address, 4),
                (Key::Text, 5),
                (Key::Header, 2),
                (Key::Keyword, 2),
                (Key::Size, 2),
                (Key::Date, 4),
                (Key::Uid, 2),
                (Key::Sequence, 2),
                (Key::Not, nest),
                (Key::Or, nest),
                (Key::List, nest / 2),
            ],
        );
        let fact = self.some_fact(u);
        match key {
            Key::Flag => {
                c.raw(pick::<&str>(
                    u,
                    &[
                        "ALL",
                        "ANSWERED",
                        "DELETED",
                        "DRAFT",
                        "FLAGGED",
                        "NEW",
                        "OLD",
                        "RECENT",
                        "SEEN",
                        "UNANSWERED",
                        "UNDELETED",
                        "UNDRAFT",
                        "UNFLAGGED",
                        "UNSEEN",
                    ],
                ));
            }
            Key::Address => {
                let field = *pick(u, &["FROM", "TO", "CC", "BCC"]);
                let value = match (&fact, field) {
                    (
                        Some(MessageFacts {
                            from: Some(from), ..
                        }),
                        "FROM",
                    ) => address_part(u, from),
                    (Some(f), "TO") => address_part(u, f.to),
                    (Some(f), "CC") => address_part(u, f.cc.unwrap_or(f.to)),
                    _ => pick(u, &["nobody@example.invalid", "alice", "example"]).to_string(),
                };
                c.raw(field).space().astring(u, &value);
            }
            Key::Text => {
                let field = *pick(u, &["SUBJECT", "BODY", "TEXT"]);
                let value = match &fact {
                    Some(f) if !chance(u, 1, 6) => match field {
                        "SUBJECT" if f.subject.is_empty() => String::new(),
                        "SUBJECT" if chance(u, 1, 2) => f.subject.clone(),
                        "SUBJECT" => f.subject.split(' ').next().unwrap_or("").to_string(),
                        _ => body_search_word(u, f, self.search_decodes),
                    },
                    _ => pick(u, &["nomatch", "no such phrase", "", "Budget"]).to_string(),
                };
                c.raw(field).space().astring(u, &value);
            }
            Key::Header => {
                let name = *pick(u, HEADER_FIELDS);
                let value = match (&fact, name) {
                    (Some(f), "Subject") => f.subject.clone(),
                    (Some(f), "From") => f.from.unwrap_or("nobody").to_string(),
                    (Some(f), "To") => f.to.to_string(),
                    (_, "Message-ID") => "imapconform".to_string(),
                    _ => pick(u, &["", "example", "1"]).to_string(),
                };
                c.raw("HEADER ").astring(u, name).space().astring(u, &value);
            }
            Key::Keyword => {
                let verb = *pick(u, &["KEYWORD", "UNKEYWORD"]);
                c.raw(verb).space().raw(pick::<&str>(u, KEYWORDS));
            }
            Key::Size => {
                let verb = *pick(u, &["LARGER", "SMALLER"]);
                let size = match &fact {
                    Some(f) if chance(u, 3, 4) => (f.size as u32)
                        .saturating_add(int(u, 0, 20))
                        .saturating_sub(10),
                    _ => int(u, 0, 5000),
                };
                c.raw(verb).space().raw(&size.to_string());
            }
            Key::Date => {
                let verb = *pick(
                    u,
                    &["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"],
                );
                // BEFORE/ON/SINCE look at the internal date, the SENT keys at Date:.
                let known = match &fact {
                    // No Date field: the SENT keys are up to the server, so no date
                    // is drawn from it.
                    Some(f) if verb.starts_with("SENT") => f.sent,
                    Some(f) => f.internal,
                    None => None,
                };
                let date = match known {
                    Some(d) if chance(u, 2, 3) => d,
                    _ => Moment::draw(u),
                };
                c.raw(verb).space();
                if chance(u, 1, 3) {
                    c.quoted(&date.search_date());
                } else {
                    c.raw(&date.search_date());
                }
            }
            Key::Uid => {
                let set = self.draw_set(u, true);
                c.raw("UID ").raw(&set.render());
            }
            Key::Sequence => {
                let set = self.draw_set(u, false);
                c.raw(&set.render());
            }
            Key::Not => {
                c.raw("NOT ");
                self.search_key(u, c, depth + 1);
            }
            Key::Or => {
                c.raw("OR ");
                self.search_key(u, c, depth + 1);
                c.space();
                self.search_key(u, c, depth + 1);
            }
            Key::List => {
                c.raw("(");
                self.search_key(u, c, depth + 1);
                for _ in 0..int(u, 0, 2) {
                    c.space();
                    self.search_key(u, c, depth + 1);
                }
                c.raw(")");
            }
        }
    }

    /// Facts of a message the session appended, mostly one in the selected mailbox.
    fn some_fact(&self, u: &mut Unstructured) -> Option<MessageFacts> {
        if let Some(m) = self.model.selected_mailbox() {
            if !m.messages.is_empty() && !chance(u, 1, 5) {
                let fact = m.messages[index(u, m.messages.len())].fact;
                return Some(self.model.facts[fact].clone());
            }
        }
        (!self.model.facts.is_empty())
            .then(|| self.model.facts[index(u, self.model.facts.len())].clone())
    }

    /// RFC 2060 §6.4.5 FETCH `set SP ("ALL" / "FULL" / "FAST" / fetch_att /
    /// "(" 1#fetch_att ")")`.
    fn fetch(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        let set = self.draw_set(u, uid);
        // Sections are drawn from one message's real parts (RFC 2060 §6.4.5).
        let fact = self.some_fact(u);
        let fact = fact.as_ref();
        Self::uid_prefix(c, uid);
        c.raw("FETCH ").raw(&set.render()).space();
        match int(u, 0, 9) {
            0 => {
                c.raw(pick::<&str>(u, &["ALL", "FAST", "FULL"]));
            }
            1..=3 => {
                c.raw(&draw_fetch_att(u, fact));
            }
            _ => {
                let mut atts: Vec<String> = Vec::new();
                for _ in 0..int(u, 1, 4) {
                    let att = draw_fetch_att(u, fact);
                    // RFC 2060 §7.4.2 names a partial answer `BODY[section]<origin>`
                    // without its length, so two partial fetches of one section from
                    // one origin with different lengths could not be told apart.
                    let clash = atts.iter().any(|a| {
                        a != &att
                            && partial_answer_name(a).is_some()
                            && partial_answer_name(a) == partial_answer_name(&att)
                    });
                    if !clash {
                        atts.push(att);
                    }
                }
                c.raw("(").raw(&atts.join(" ")).raw(")");
            }
        }
    }

    /// RFC 2060 §6.4.6 STORE `set SP store_att_flags`.
    fn store(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
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
    fn copy(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
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

/// A BODY or TEXT search string from a message: a word written unencoded in a text
/// part, or, when the SEARCH's CHARSET requires decoding, sometimes a word only found in
/// a base64 or quoted-printable part. A message without words gives one that matches
/// nothing.
fn body_search_word(u: &mut Unstructured, f: &MessageFacts, decodes: bool) -> String {
    if decodes && !f.encoded_words.is_empty() && chance(u, 1, 2) {
        return pick(u, &f.encoded_words).to_string();
    }
    if f.body_words.is_empty() {
        return "nomatch".into();
    }
    pick(u, &f.body_words).to_string()
}

/// A search string taken from an address: the whole address or the part before `@`.
fn address_part(u: &mut Unstructured, address: &str) -> String {
    if chance(u, 1, 3) {
        address.split('@').next().unwrap_or(address).to_string()
    } else {
        address.to_string()
    }
}

/// `min..` flags (system flags other than \Recent, and keywords), without repeats.
fn draw_flags(u: &mut Unstructured, min: u32) -> Vec<&'static str> {
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

/// One RFC 2060 §9 fetch_att; `BODY[section]` part numbers come mostly from `fact`.
fn draw_fetch_att(u: &mut Unstructured, fact: Option<&MessageFacts>) -> String {
    const SIMPLE: &[&str] = &[
        "FLAGS",
        "UID",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.TEXT",
    ];
    if chance(u, 3, 5) {
        return pick(u, SIMPLE).to_string();
    }
    let verb = if chance(u, 1, 2) { "BODY.PEEK" } else { "BODY" };
    let mut att = format!("{verb}[{}]", draw_section(u, fact));
    if chance(u, 1, 4) {
        let start = *pick(u, &[0u32, 0, 1, 5, 100]);
        let len = *pick(u, &[10u32, 1, 100, 4096]);
        att.push_str(&format!("<{start}.{len}>"));
    }
    att
}

/// The name a FETCH answer gives a partial `BODY[section]<origin.length>` request:
/// `BODY[section]<origin>` (RFC 2060 §7.4.2; `.PEEK` is not echoed); None for other
/// items.
fn partial_answer_name(att: &str) -> Option<String> {
    let (name, partial) = att.strip_suffix('>')?.split_once("]<")?;
    let origin = partial.split('.').next()?;
    Some(format!(
        "{}]<{origin}>",
        name.replace("BODY.PEEK[", "BODY[")
    ))
}

/// RFC 2060 §9 `section_text ::= "HEADER" / "HEADER.FIELDS" [".NOT"] SPACE header_list /
/// "TEXT"` (MIME is only allowed after a part number, so it is not drawn here).
fn draw_section_text(u: &mut Unstructured) -> String {
    match int(u, 0, 3) {
        0 => "HEADER".into(),
        1 => "TEXT".into(),
        n => {
            let not = if n == 3 { ".NOT" } else { "" };
            let count = int(u, 1, 3);
            let mut names: Vec<&str> = Vec::new();
            for _ in 0..count {
                let name = *pick(u, HEADER_FIELDS);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            // RFC 2060 §9 header_fld_name ::= astring: sometimes quoted.
            let names: Vec<String> = names
                .iter()
                .map(|n| {
                    if chance(u, 1, 10) {
                        format!("\"{n}\"")
                    } else {
                        n.to_string()
                    }
                })
                .collect();
            format!("HEADER.FIELDS{not} ({})", names.join(" "))
        }
    }
}

/// RFC 2060 §9 `section ::= "[" [section_text / (nz_number *["." nz_number]
/// ["." (section_text / "MIME")])] "]"`, without the brackets. Part numbers mostly name
/// a part of `fact` that exists, with `.MIME` only on a body part of a multipart and
/// HEADER/TEXT only on a message/rfc822 part (RFC 2060 §6.4.5); about one in six names a
/// part that does not exist. Without facts the part numbers are blind.
fn draw_section(u: &mut Unstructured, fact: Option<&MessageFacts>) -> String {
    match int(u, 0, 5) {
        0 => return String::new(),
        1 | 2 => return draw_section_text(u),
        _ => {}
    }
    let Some(f) = fact.filter(|f| !f.parts.is_empty()) else {
        return blind_part_section(u);
    };
    if chance(u, 1, 6) {
        return missing_part(u, f);
    }
    let part = pick(u, &f.parts);
    let mut section = part.render();
    match part.kind {
        PartKind::Message => match int(u, 0, 4) {
            0 => {}
            1 if part.has_mime_header => section.push_str(".MIME"),
            _ => {
                section.push('.');
                section.push_str(&draw_section_text(u));
            }
        },
        _ if part.has_mime_header && chance(u, 1, 4) => section.push_str(".MIME"),
        _ => {}
    }
    section
}

/// A part number that `f` does not have: one past the last top-level part, or one past
/// the last child of some part (a leaf has none).
fn missing_part(u: &mut Unstructured, f: &MessageFacts) -> String {
    let path = if chance(u, 1, 2) {
        let top = f.parts.iter().filter(|p| p.path.len() == 1).count() as u32;
        vec![top + int(u, 1, 2)]
    } else {
        let parent = &pick(u, &f.parts).path;
        let children = f
            .parts
            .iter()
            .filter(|p| p.path.len() == parent.len() + 1 && p.path.starts_with(parent))
            .count() as u32;
        let mut path = parent.clone();
        path.push(children + 1);
        path
    };
    debug_assert!(f.parts.iter().all(|p| p.path != path));
    render_path(&path)
}

/// Part numbers drawn without knowing the message.
fn blind_part_section(u: &mut Unstructured) -> String {
    let mut part = int(u, 1, 3).to_string();
    if chance(u, 1, 8) {
        part.push_str(&format!(".{}", int(u, 1, 2)));
    }
    match int(u, 0, 3) {
        0 => part.push_str(".MIME"),
        1 => part = format!("{part}.{}", draw_section_text(u)),
        _ => {}
    }
    part
}

#[cfg(test)]
mod tests;
