//! One session being generated: the model of the account, the tag counter, and one
//! writer per RFC 2060 §6 command.

use arbitrary::Unstructured;

use super::entropy::{chance, index, int, weighted};
use super::kind::{Kind, Situation};
use super::model::{Model, INBOX};
use super::mutate::Operator;
use super::syntax::CommandText;
use super::{Command, GenConfig};

mod fetch;
mod mailbox;
mod search;
mod selected;
mod twin;

use search::body_search_word;

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
}

#[cfg(test)]
mod tests;
