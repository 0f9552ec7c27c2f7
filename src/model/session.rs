//! RFC 2060 §3 and §6: one connection's state and what each command does to it.
//!
//! [`Session::execute`] runs one decoded command against a [`Store`] and returns the
//! [`Reply`] the reference server sends, together with the outcomes the RFC allows a
//! server ([`Allowed`]) and the room it leaves a server ([`Latitude`]). The oracle runs the
//! same code on a copy of the state and keeps the copy only when the server succeeded too.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use imap_types::command::CommandBody;
use imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName, Part, Section};
use imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_types::search::SearchKey;
use imap_types::sequence::SequenceSet;
use imap_types::status::StatusDataItemName;

use super::account::{Account, Arrival, StoredMessage};
use super::flags::{FlagSet, RECENT, SYSTEM_FLAGS};
use super::message::{Message, SectionText};
use super::names;
use super::response::{Allowed, Code, Completion, FetchItem, Outcome, Reply, Untagged};
use super::search::{self, SearchScope, SearchSubject, ServerZones, Truth};
use super::sequence;
use super::Profile;

/// RFC 2060 §3: the four states of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    NotAuthenticated,
    Authenticated,
    Selected(Selection),
    Logout,
}

/// RFC 2060 §3.3: the selected mailbox as this connection sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The mailbox's name (INBOX canonical).
    pub mailbox: Vec<u8>,
    /// Selected with EXAMINE (RFC 2060 §6.3.2), or SELECT answered `[READ-ONLY]`.
    pub read_only: bool,
    /// The messages the client has been told of, in sequence-number order
    /// (RFC 2060 §2.3.1.2): message identities.
    pub view: Vec<u64>,
    /// Messages that are `\Recent` in this session for certain.
    pub recent: BTreeSet<u64>,
    /// Messages that may or may not be `\Recent` in this session (servers differ).
    pub recent_maybe: BTreeSet<u64>,
}

/// All users' stores, and the passwords when the model is a server (None: the oracle,
/// which accepts whatever user the real server accepted).
#[derive(Clone, Debug)]
pub struct Store {
    pub delimiter: u8,
    pub accounts: BTreeMap<String, Account>,
    pub passwords: Option<BTreeMap<String, String>>,
}

impl Store {
    pub fn with_users(delimiter: u8, users: &[(String, String)]) -> Store {
        Store {
            delimiter,
            accounts: users
                .iter()
                .map(|(u, _)| (u.clone(), Account::new(delimiter)))
                .collect(),
            passwords: Some(users.iter().cloned().collect()),
        }
    }

    /// The same store, with UIDVALIDITY values counted from `first` (RFC 2060 §2.3.1.1: "One
    /// such method is to use a 32-bit representation of the creation date/time of the
    /// mailbox"; a server serving the model passes the time it started, so that values
    /// differ between runs as a real server's do).
    pub fn first_uid_validity(mut self, first: u32) -> Store {
        for a in self.accounts.values_mut() {
            a.renumber_uid_validity(first);
        }
        self
    }

    /// A store for following a real server: any user, each with a fresh account.
    pub fn open(delimiter: u8) -> Store {
        Store {
            delimiter,
            accounts: BTreeMap::new(),
            passwords: None,
        }
    }
}

/// What the RFC leaves to the server in one reply: the oracle accepts these differences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Latitude {
    /// SEARCH results (numbers as answered) that may or may not be in a server's answer.
    pub search_maybe: Vec<u32>,
    /// SEARCH results that match only once encoded text parts are decoded (RFC 2060
    /// §6.4.4, a CHARSET other than US-ASCII).
    pub search_decoded_only: Vec<u32>,
    /// The model cannot predict this command's effects on the state (e.g. a UID COPY whose
    /// UIDs it has not learnt): an oracle stops following the session.
    pub unsure: bool,
    /// The model cannot predict this command's data exactly (unknown UIDs or flags), but
    /// its effects are known: the oracle follows without judging the data.
    pub data_unsure: bool,
    /// Which messages' flags changed is not known (a UID STORE over UIDs not learnt): the
    /// oracle forgets the flags of the selected mailbox until the server shows them.
    pub flags_lost: bool,
    /// Names of mailboxes whose existence was implied (superiors made by CREATE), which a
    /// server may or may not have made.
    pub implied: bool,
    /// FETCH items whose value is the server's choice, as (sequence number, item name):
    /// a section of a part that does not exist (RFC 2060 does not say what to send).
    pub free_items: Vec<(u32, String)>,
    /// The FETCH sets \Seen: its own FLAGS item may show the flags before or after.
    pub seen_in_flight: bool,
    /// SELECT or EXAMINE of a mailbox whose contents the model does not know: the server's
    /// EXISTS tells whether the model's messages are all of them.
    pub contents_unknown: bool,
    /// How many messages a COPY copied.
    pub copied: Option<usize>,
}

/// One connection to the model.
#[derive(Clone, Debug)]
pub struct Session {
    pub state: State,
    pub profile: Profile,
    pub user: Option<String>,
    /// The reply's room for server choices (see [`Latitude`]), for the last command.
    pub latitude: Latitude,
    /// Mailboxes created only as superiors (RFC 2060 §6.3.3 "SHOULD create any superior
    /// hierarchical names"): a server may not have them.
    pub implied: BTreeSet<Vec<u8>>,
    /// The clock for INTERNALDATE of APPEND without a date.
    pub now: DateTime<FixedOffset>,
    /// The model follows a real server (the oracle): UIDs of new messages are the
    /// server's, unknown until it shows them.
    pub follower: bool,
}

/// Requirement ids (see `rfc/requirements.toml`).
pub mod rule {
    pub const STATE: &str = "2060-3-wrong-state-bad-or-no";
    pub const BAD_MEANING: &str = "2060-7.1.3-tagged-protocol-error";
    pub const LOGOUT_BYE: &str = "2060-6.1.3-bye-before-ok";
    pub const SELECT_NONEXISTENT: &str = "2060-6.3.1-no-authenticated";
    pub const SELECT_UNTAGGED: &str = "2060-6.3.1-untagged-before-ok";
    pub const SELECT_UIDNEXT: &str = "3501-6.3.1-uidnext";
    pub const EXAMINE_READ_ONLY: &str = "2060-6.3.2-read-only-code";
    pub const EXAMINE_NO_CHANGES: &str = "2060-6.3.2-no-changes";
    pub const CREATE_EXISTING: &str = "2060-6.3.3-error-inbox-or-existing";
    pub const DELETE_INBOX: &str = "2060-6.3.4-error-inbox-or-missing";
    pub const DELETE_NOSELECT_INFERIORS: &str = "2060-6.3.4-error-noselect-with-inferiors";
    pub const RENAME_ERRORS: &str = "2060-6.3.5-error-missing-or-existing";
    pub const STATUS_NONEXISTENT: &str = "2060-6.3.10-result-no";
    pub const APPEND_NONEXISTENT: &str = "2060-6.3.11-missing-mailbox-error";
    pub const APPEND_TRYCREATE: &str = "2060-6.3.11-trycreate";
    pub const COPY_NONEXISTENT: &str = "2060-6.4.7-missing-mailbox-error";
    pub const COPY_TRYCREATE: &str = "2060-6.4.7-trycreate";
    pub const SEARCH_CHARSET: &str = "2060-6.4.4-us-ascii";
    /// RFC 2060 §6.2.1: a cancelled AUTHENTICATE gets BAD.
    pub const CANCEL_BAD: &str = "2060-6.2.1-cancel-bad";
    /// RFC 2060 §6.2.1: a client answer is base64; one that is not cannot succeed.
    pub const AUTHENTICATE_BASE64: &str = "2060-6.2.1-answer-base64";
    /// RFC 2060 §6.2.1: an unsupported mechanism SHOULD get NO.
    pub const UNSUPPORTED_MECHANISM: &str = "2060-6.2.1-unsupported-mechanism-no";
}

fn completion(outcome: Outcome, code: Option<Code>, text: &str) -> Completion {
    Completion {
        outcome,
        code,
        text: text.to_string(),
    }
}

fn reply(untagged: Vec<Untagged>, completion: Completion, allowed: Allowed) -> Reply {
    Reply {
        untagged,
        completion,
        allowed,
    }
}

/// Success, with the outcomes any valid command allows: OK, or NO for the server's own
/// reasons (RFC 2060 §7.1.2); BAD would call a valid command an error (§7.1.3).
fn done(untagged: Vec<Untagged>, text: &str) -> Reply {
    reply(
        untagged,
        completion(Outcome::Ok, None, text),
        Allowed::ok_or_refusal(rule::BAD_MEANING),
    )
}

fn bytes_of_mailbox(m: &imap_types::mailbox::Mailbox<'_>) -> Vec<u8> {
    match m {
        imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
        imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
    }
}

fn flag_name(f: &Flag<'_>) -> String {
    f.to_string()
}

/// A stored message seen from a session, for SEARCH (RFC 2060 §6.4.4).
struct Subject<'a> {
    seq: u32,
    msg: &'a StoredMessage,
    recent: bool,
}

impl SearchSubject for Subject<'_> {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.msg.uid
    }
    fn has_flag(&self, flag: &str) -> bool {
        if flag.eq_ignore_ascii_case(RECENT) {
            self.recent
        } else {
            self.msg.flags.contains(flag)
        }
    }
    fn internal_date(&self) -> DateTime<FixedOffset> {
        self.msg.internal_date
    }
    fn size(&self) -> u32 {
        self.msg.message.size()
    }
    fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>> {
        self.msg.message.header_values(name)
    }
    fn header_bytes(&self) -> &[u8] {
        self.msg.message.header_bytes()
    }
    fn body_bytes(&self) -> &[u8] {
        self.msg.message.body_bytes()
    }
    fn sent_date(&self) -> Option<DateTime<FixedOffset>> {
        self.msg.message.sent_date()
    }
    fn encoded(&self) -> bool {
        self.msg.message.has_transfer_encoding()
    }
    fn plain_text_ranges(&self) -> Vec<std::ops::Range<usize>> {
        self.msg.message.plain_text_ranges()
    }
    fn decoded_text_parts(&self) -> Vec<Vec<u8>> {
        self.msg.message.decoded_text_parts()
    }
}

/// Whether a command is one of RFC 2060 §6's, and in which states it is valid.
fn valid_in(cmd: &CommandBody<'_>, state: &State) -> Option<bool> {
    use CommandBody::*;
    let selected = matches!(state, State::Selected(_));
    let authed = selected || matches!(state, State::Authenticated);
    Some(match cmd {
        Capability | Noop | Logout => true,
        Login { .. } | Authenticate { .. } => matches!(state, State::NotAuthenticated),
        Select { .. }
        | Examine { .. }
        | Create { .. }
        | Delete { .. }
        | Rename { .. }
        | Subscribe { .. }
        | Unsubscribe { .. }
        | List { .. }
        | Lsub { .. }
        | Status { .. }
        | Append { .. } => authed,
        Check | Close | Expunge | Search { .. } | Fetch { .. } | Store { .. } | Copy { .. } => {
            selected
        }
        _ => return None,
    })
}

impl Session {
    pub fn new(profile: Profile, now: DateTime<FixedOffset>) -> Session {
        Session {
            state: State::NotAuthenticated,
            profile,
            user: None,
            latitude: Latitude::default(),
            implied: BTreeSet::new(),
            now,
            follower: false,
        }
    }

    /// The greeting (RFC 2060 §7.1.1).
    pub fn greeting(&self) -> Untagged {
        Untagged::Ok(None, "imapconform reference server ready".into())
    }

    /// RFC 2060 §7.2.1 CAPABILITY: IMAP4rev1, and the SASL mechanisms of
    /// [`super::sasl`] (RFC 3501 §6.1.1: servers "MUST implement the STARTTLS,
    /// LOGINDISABLED, and AUTH=PLAIN" capabilities; the model has no TLS, so it advertises
    /// only AUTH=PLAIN of those) and SASL-IR (RFC 4959: initial responses are accepted).
    pub fn capabilities(&self) -> Vec<String> {
        let mut caps = vec!["IMAP4rev1".to_string()];
        caps.extend(super::sasl::MECHANISMS.iter().map(|m| format!("AUTH={m}")));
        caps.push("SASL-IR".into());
        caps
    }

    pub fn selection(&self) -> Option<&Selection> {
        match &self.state {
            State::Selected(s) => Some(s),
            _ => None,
        }
    }

    pub fn selection_mut(&mut self) -> Option<&mut Selection> {
        match &mut self.state {
            State::Selected(s) => Some(s),
            _ => None,
        }
    }

    pub fn account<'s>(&self, store: &'s Store) -> Option<&'s Account> {
        self.user.as_ref().and_then(|u| store.accounts.get(u))
    }

    fn account_mut<'s>(&self, store: &'s mut Store) -> Option<&'s mut Account> {
        let d = store.delimiter;
        let u = self.user.clone()?;
        let follower = self.follower;
        Some(store.accounts.entry(u).or_insert_with(|| {
            if follower {
                Account::unknown(d)
            } else {
                Account::new(d)
            }
        }))
    }

    /// Whether the model cannot tell if mailbox `name` exists: a superior CREATE may or may
    /// not have made (RFC 2060 §6.3.3 "SHOULD"), or, for an oracle, a name the server has
    /// not listed. Commands on such names may have any outcome.
    fn doubtful(&self, store: &Store, name: &[u8]) -> bool {
        let key = Account::key(name);
        self.implied.contains(&key)
            || self
                .account(store)
                .is_some_and(|a| a.existence(&key).is_none())
    }

    /// A command the server refused: RFC 2060 §6.3.1 "if a mailbox is selected and a SELECT
    /// command that fails is attempted, no mailbox is selected."
    pub fn refused(&mut self, cmd: &CommandBody<'_>) {
        // A refused CREATE, DELETE or RENAME should have changed nothing, but a server that
        // did part of it (made the new name, say) would make later answers about those
        // names look wrong: the model stops asserting whether they exist.
        match cmd {
            CommandBody::Create { mailbox } | CommandBody::Delete { mailbox } => {
                self.implied
                    .insert(Account::key(&bytes_of_mailbox(mailbox)));
            }
            CommandBody::Rename { from, to } => {
                self.implied.insert(Account::key(&bytes_of_mailbox(from)));
                self.implied.insert(Account::key(&bytes_of_mailbox(to)));
            }
            _ => {}
        }
        if matches!(
            cmd,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        ) && matches!(self.state, State::Selected(_))
        {
            self.state = State::Authenticated;
        }
    }

    /// Runs one command. `cmd` must have come from a strict decoder; commands outside
    /// RFC 2060 §6 get BAD from the reference server and no judgement (Allowed::any).
    pub fn execute(&mut self, store: &mut Store, cmd: &CommandBody<'_>) -> Reply {
        self.latitude = Latitude::default();
        match valid_in(cmd, &self.state) {
            None => {
                return reply(
                    vec![],
                    completion(Outcome::Bad, None, "command not supported"),
                    Allowed::any(),
                )
            }
            Some(false) => {
                return reply(
                    vec![],
                    completion(Outcome::Bad, None, "command not valid in this state"),
                    Allowed::not_ok(rule::STATE),
                )
            }
            Some(true) => {}
        }
        // RFC 2060 leaves the order of a range's two numbers open (see `ranges`).
        let open_range = self.follower
            && self.profile == Profile::Rfc2060
            && self.has_reversed_range(store, cmd);
        let mut r = self.run(store, cmd);
        if open_range {
            ranges::leave_open(&mut self.latitude, &mut r, cmd);
        }
        // RFC 2060 §7.3.1, §7.4.1: tell the client of new and removed messages, but never
        // EXPUNGE while answering FETCH, STORE or SEARCH.
        let quiet = matches!(
            cmd,
            CommandBody::Fetch { .. } | CommandBody::Store { .. } | CommandBody::Search { .. }
        );
        if r.completion.outcome != Outcome::Bad {
            let news = self.sync(store, !quiet);
            r.untagged.extend(news);
        }
        r
    }

    /// Announces changes to the selected mailbox made by anyone (this connection's APPEND
    /// or COPY into it, or other connections): EXPUNGE for removed messages (unless
    /// `expunge` is false), then EXISTS and RECENT for new ones. New messages no session
    /// was notified of become `\Recent` here (see [`recent`]).
    pub fn sync(&mut self, store: &mut Store, expunge: bool) -> Vec<Untagged> {
        let Some(sel) = self.selection().cloned() else {
            return vec![];
        };
        let follower = self.follower;
        let Some(mb) = self
            .account_mut(store)
            .and_then(|a| a.get_mut(&sel.mailbox))
        else {
            return vec![];
        };
        let present: BTreeSet<u64> = mb.messages.iter().map(|m| m.id).collect();
        let mut out = Vec::new();
        let mut view = sel.view.clone();
        if expunge {
            let mut i = view.len();
            while i > 0 {
                i -= 1;
                if !present.contains(&view[i]) {
                    view.remove(i);
                    out.push(Untagged::Expunge(i as u32 + 1));
                }
            }
        }
        let known: BTreeSet<u64> = view.iter().copied().collect();
        let mut news = recent::Notified::default();
        for m in mb.messages.iter_mut().filter(|m| !known.contains(&m.id)) {
            view.push(m.id);
            news.notify(m, recent::Notice::Update, follower, sel.read_only);
        }
        let sel = self.selection_mut().expect("selected");
        sel.view = view;
        if news.count > 0 {
            out.push(Untagged::Exists(sel.view.len() as u32));
        }
        // RFC 2060 §7.3.2 RECENT counts messages of the mailbox: one that was expunged is
        // no longer \Recent anywhere (RECENT never exceeds EXISTS).
        let view: BTreeSet<u64> = sel.view.iter().copied().collect();
        sel.recent.retain(|id| view.contains(id));
        sel.recent_maybe.retain(|id| view.contains(id));
        if !news.recent.is_empty() || !news.recent_maybe.is_empty() {
            sel.recent.extend(news.recent);
            sel.recent_maybe.extend(news.recent_maybe);
            let n = sel.recent.len() + sel.recent_maybe.len();
            out.push(Untagged::Recent(n as u32));
        }
        out
    }

    fn run(&mut self, store: &mut Store, cmd: &CommandBody<'_>) -> Reply {
        use CommandBody::*;
        let ok = |text: &str| completion(Outcome::Ok, None, text);
        match cmd {
            Capability => reply(
                vec![Untagged::Capability(self.capabilities())],
                ok("CAPABILITY completed"),
                Allowed::ok_or_refusal(rule::BAD_MEANING),
            ),
            Noop | Check => reply(
                vec![],
                ok("done"),
                Allowed::ok_or_refusal(rule::BAD_MEANING),
            ),
            Logout => {
                self.state = State::Logout;
                reply(
                    vec![Untagged::Bye("logging out".into())],
                    ok("LOGOUT completed"),
                    Allowed::ok_or_refusal(rule::BAD_MEANING),
                )
            }
            Login { username, password } => {
                self.login(store, username.as_ref(), password.declassify().as_ref())
            }
            Authenticate {
                mechanism,
                initial_response,
            } => {
                // The exchange of challenges is the caller's (`sasl`); a decoded command
                // carries at most the initial response.
                let ir = initial_response.as_ref().map(|r| {
                    let data: &[u8] = r.declassify().as_ref();
                    if data.is_empty() {
                        b"=".to_vec()
                    } else {
                        super::sasl::encode_base64(data).into_bytes()
                    }
                });
                match self.authenticate(store, mechanism.to_string().as_bytes(), ir.as_deref()) {
                    (super::sasl::AuthStep::Done(r), _) => r,
                    (super::sasl::AuthStep::Challenge(_), _) => reply(
                        vec![],
                        completion(Outcome::No, None, "AUTHENTICATE needs its exchange"),
                        Allowed::any(),
                    ),
                }
            }
            Select { mailbox, .. } => self.select(store, &bytes_of_mailbox(mailbox), false),
            Examine { mailbox, .. } => self.select(store, &bytes_of_mailbox(mailbox), true),
            Create { mailbox } => self.create(store, &bytes_of_mailbox(mailbox)),
            Delete { mailbox } => self.delete(store, &bytes_of_mailbox(mailbox)),
            Rename { from, to } => {
                self.rename(store, &bytes_of_mailbox(from), &bytes_of_mailbox(to))
            }
            Subscribe { mailbox } => {
                let name = Account::key(&bytes_of_mailbox(mailbox));
                let acc = self.account_mut(store).expect("authenticated");
                acc.subscriptions.insert(name);
                reply(vec![], ok("SUBSCRIBE completed"), Allowed::any())
            }
            Unsubscribe { mailbox } => {
                let name = Account::key(&bytes_of_mailbox(mailbox));
                let acc = self.account_mut(store).expect("authenticated");
                acc.subscriptions.remove(&name);
                reply(vec![], ok("UNSUBSCRIBE completed"), Allowed::any())
            }
            List {
                reference,
                mailbox_wildcard,
            } => self.list(
                store,
                &bytes_of_mailbox(reference),
                list_bytes(mailbox_wildcard),
                false,
            ),
            Lsub {
                reference,
                mailbox_wildcard,
            } => self.list(
                store,
                &bytes_of_mailbox(reference),
                list_bytes(mailbox_wildcard),
                true,
            ),
            Status {
                mailbox,
                item_names,
            } => self.status(store, &bytes_of_mailbox(mailbox), item_names),
            Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let data = match message {
                    imap_types::extensions::binary::LiteralOrLiteral8::Literal(l) => {
                        l.data().to_vec()
                    }
                    imap_types::extensions::binary::LiteralOrLiteral8::Literal8(l) => {
                        l.data.to_vec()
                    }
                };
                self.append(
                    store,
                    &bytes_of_mailbox(mailbox),
                    flags,
                    date.as_ref().map(|d| *d.as_ref()),
                    data,
                )
            }
            Close => {
                let sel = self.selection().cloned().expect("selected");
                if !sel.read_only {
                    if let Some(mb) = self
                        .account_mut(store)
                        .and_then(|a| a.get_mut(&sel.mailbox))
                    {
                        if mb.messages.iter().any(|m| !m.flags_known) {
                            self.latitude.unsure = true;
                        }
                        mb.messages.retain(|m| !m.flags.contains("\\Deleted"));
                    }
                }
                self.state = State::Authenticated;
                reply(
                    vec![],
                    ok("CLOSE completed"),
                    Allowed::ok_or_refusal(rule::BAD_MEANING),
                )
            }
            Expunge => self.expunge(store),
            Search {
                charset,
                criteria,
                uid,
            } => self.search(
                store,
                charset.as_ref().map(|c| c.as_ref()),
                criteria.as_ref(),
                *uid,
            ),
            Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => self.fetch(store, sequence_set, macro_or_item_names, *uid),
            Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => self.store(store, sequence_set, kind, response, flags, *uid),
            Copy {
                sequence_set,
                mailbox,
                uid,
            } => self.copy(store, sequence_set, &bytes_of_mailbox(mailbox), *uid),
            _ => reply(
                vec![],
                completion(Outcome::Bad, None, "command not supported"),
                Allowed::any(),
            ),
        }
    }

    fn login(&mut self, store: &mut Store, user: &[u8], password: &[u8]) -> Reply {
        match self.log_in(store, user, password) {
            Some(allowed) => reply(
                vec![],
                completion(Outcome::Ok, None, "LOGIN completed"),
                allowed,
            ),
            None => reply(
                vec![],
                completion(Outcome::No, None, "LOGIN failed"),
                Allowed::any(),
            ),
        }
    }

    /// Checks a user's password (any, when following a real server) and, if good, makes
    /// the session authenticated as that user (RFC 2060 §6.2.1, §6.2.2 "now in
    /// authenticated state"). `None` when the credentials are rejected; else the outcomes
    /// allowed a server for the same credentials.
    pub fn log_in(&mut self, store: &mut Store, user: &[u8], password: &[u8]) -> Option<Allowed> {
        let user = String::from_utf8_lossy(user).to_string();
        let good = match &store.passwords {
            Some(p) => p.get(&user).map(|w| w.as_bytes()) == Some(password),
            None => true,
        };
        if !good {
            return None;
        }
        let d = store.delimiter;
        let follower = self.follower;
        store.accounts.entry(user.clone()).or_insert_with(|| {
            if follower {
                Account::unknown(d)
            } else {
                Account::new(d)
            }
        });
        self.user = Some(user);
        self.state = State::Authenticated;
        Some(if store.passwords.is_some() {
            Allowed::ok_or_refusal(rule::BAD_MEANING)
        } else {
            Allowed::any()
        })
    }

    fn select(&mut self, store: &mut Store, name: &[u8], examine: bool) -> Reply {
        // RFC 2060 §6.3.1: "The SELECT command automatically deselects any currently
        // selected mailbox before attempting the new selection."
        self.state = State::Authenticated;
        let implied = self.doubtful(store, name);
        self.latitude.implied = implied;
        let profile = self.profile;
        let follower = self.follower;
        let acc = self.account_mut(store).expect("authenticated");
        let Some(mb) = acc.get_mut(name).filter(|m| m.selectable) else {
            let allowed = unless_doubtful(implied, Allowed::not_ok(rule::SELECT_NONEXISTENT));
            return reply(
                vec![],
                completion(Outcome::No, None, "no such mailbox"),
                allowed,
            );
        };
        self.latitude.contents_unknown = !mb.known;
        let mut news = recent::Notified::default();
        for m in mb.messages.iter_mut() {
            news.notify(m, recent::Notice::Select, follower, examine);
        }
        let recent: BTreeSet<u64> = news.recent.into_iter().collect();
        let recent_maybe: BTreeSet<u64> = news.recent_maybe.into_iter().collect();
        let mut flags: Vec<String> = SYSTEM_FLAGS.iter().map(|s| s.to_string()).collect();
        flags.extend(mb.keywords.names());
        let mut untagged = vec![
            Untagged::Flags(flags),
            Untagged::Exists(mb.messages.len() as u32),
            Untagged::Recent((recent.len() + recent_maybe.len()) as u32),
        ];
        if let Some(i) = mb.messages.iter().position(|m| !m.flags.contains("\\Seen")) {
            untagged.push(Untagged::Ok(
                Some(Code::Unseen(i as u32 + 1)),
                "first unseen".into(),
            ));
        }
        let mut permanent: Vec<String> = if examine {
            vec![]
        } else {
            SYSTEM_FLAGS.iter().map(|s| s.to_string()).collect()
        };
        if !examine {
            permanent.push("\\*".into());
        }
        untagged.push(Untagged::Ok(
            Some(Code::PermanentFlags(permanent)),
            "flags".into(),
        ));
        untagged.push(Untagged::Ok(
            Some(Code::UidValidity(mb.uid_validity)),
            "UIDs valid".into(),
        ));
        if profile == Profile::Rfc3501 {
            untagged.push(Untagged::Ok(
                Some(Code::UidNext(mb.uid_next)),
                "predicted next UID".into(),
            ));
        }
        let view = mb.messages.iter().map(|m| m.id).collect();
        self.state = State::Selected(Selection {
            mailbox: mb.name.clone(),
            read_only: examine,
            view,
            recent,
            recent_maybe,
        });
        let code = if examine {
            Code::ReadOnly
        } else {
            Code::ReadWrite
        };
        let rule = if implied { "" } else { rule::BAD_MEANING };
        let allowed = unless_doubtful(implied, Allowed::ok_or_refusal(rule));
        reply(
            untagged,
            completion(
                Outcome::Ok,
                Some(code),
                if examine {
                    "EXAMINE completed"
                } else {
                    "SELECT completed"
                },
            ),
            allowed,
        )
    }

    fn create(&mut self, store: &mut Store, name: &[u8]) -> Reply {
        let delimiter = store.delimiter;
        let stripped = Account::key(names::strip_trailing_delimiter(name, delimiter).0);
        let implied = self.doubtful(store, &stripped);
        let acc = self.account_mut(store).expect("authenticated");
        if names::is_inbox(name) || acc.get(&stripped).is_some_and(|m| m.selectable) {
            // RFC 2060 §6.3.3: "It is an error to attempt to create INBOX or a mailbox with a
            // name that refers to an extant mailbox."
            let allowed = unless_doubtful(implied, Allowed::must_fail(rule::CREATE_EXISTING));
            return reply(
                vec![],
                completion(Outcome::No, None, "mailbox exists"),
                allowed,
            );
        }
        let before: BTreeSet<Vec<u8>> = acc.names().into_iter().collect();
        acc.create(name);
        for n in acc.names() {
            if !before.contains(&n) && n != stripped {
                self.implied.insert(n);
            }
        }
        self.implied.remove(&stripped);
        done(vec![], "CREATE completed")
    }

    fn delete(&mut self, store: &mut Store, name: &[u8]) -> Reply {
        let key = Account::key(name);
        let implied = self.doubtful(store, &key);
        let selected_here = self.selection().is_some_and(|s| s.mailbox == key);
        let acc = self.account_mut(store).expect("authenticated");
        let exists = acc.get(name).map(|m| m.selectable);
        if names::is_inbox(name) || exists.is_none() {
            // RFC 2060 §6.3.4: "It is an error to attempt to delete INBOX or a mailbox name
            // that does not exist."
            return reply(
                vec![],
                completion(Outcome::No, None, "cannot delete"),
                unless_doubtful(implied, Allowed::must_fail(rule::DELETE_INBOX)),
            );
        }
        if exists == Some(false) && acc.has_inferiors(name) {
            return reply(
                vec![],
                completion(Outcome::No, None, "has inferiors"),
                unless_doubtful(implied, Allowed::must_fail(rule::DELETE_NOSELECT_INFERIORS)),
            );
        }
        acc.delete(name);
        self.implied.remove(&key);
        let allowed = if implied || selected_here {
            // Deleting the selected mailbox: what happens to the selection is not specified.
            Allowed::any()
        } else {
            Allowed::ok_or_refusal(rule::BAD_MEANING)
        };
        if selected_here {
            self.latitude.unsure = true;
        }
        reply(
            vec![],
            completion(Outcome::Ok, None, "DELETE completed"),
            allowed,
        )
    }

    fn rename(&mut self, store: &mut Store, from: &[u8], to: &[u8]) -> Reply {
        let delimiter = store.delimiter;
        let implied = self.doubtful(store, from)
            || self.doubtful(
                store,
                names::strip_trailing_delimiter(to, store.delimiter).0,
            );
        let selected = self.selection().map(|s| s.mailbox.clone());
        let acc = self.account_mut(store).expect("authenticated");
        let to_key = Account::key(names::strip_trailing_delimiter(to, delimiter).0);
        // RFC 2060 §6.3.5: "It is an error to attempt to rename from a mailbox name that
        // does not exist or to a mailbox name that already exists."
        if !acc.exists(from) || acc.exists(&to_key) || names::is_inbox(to) {
            return reply(
                vec![],
                completion(Outcome::No, None, "cannot rename"),
                unless_doubtful(implied, Allowed::must_fail(rule::RENAME_ERRORS)),
            );
        }
        let from_key = Account::key(from);
        // Renaming a mailbox into its own hierarchy is not specified.
        let into_itself = names::inferiors_of(&from_key, &to_key, delimiter);
        acc.rename(from, &to_key);
        let touches_selection = selected.as_ref().is_some_and(|s| {
            *s == from_key || names::inferiors_of(&from_key, s, delimiter) || names::is_inbox(from)
        });
        if touches_selection {
            self.latitude.unsure = true;
        }
        let allowed = if implied || into_itself || touches_selection {
            Allowed::any()
        } else {
            Allowed::ok_or_refusal(rule::BAD_MEANING)
        };
        reply(
            vec![],
            completion(Outcome::Ok, None, "RENAME completed"),
            allowed,
        )
    }

    fn list(&mut self, store: &mut Store, reference: &[u8], pattern: Vec<u8>, lsub: bool) -> Reply {
        let d = store.delimiter;
        let acc = self.account_mut(store).expect("authenticated");
        let mut untagged = Vec::new();
        if pattern.is_empty() && !lsub {
            // RFC 2060 §6.3.8: "An empty ("" string) mailbox name argument is a special
            // request to return the hierarchy delimiter and the root name of the name given
            // in the reference."
            let root = reference
                .iter()
                .position(|&b| b == d)
                .map(|i| reference[..=i].to_vec())
                .unwrap_or_default();
            untagged.push(Untagged::List {
                lsub: false,
                attributes: vec!["\\Noselect".into()],
                delimiter: Some(d),
                name: root,
            });
        } else {
            let full = names::list_canonical_pattern(reference, &pattern, Some(d));
            if lsub {
                untagged = lsub::lsub(acc, &full, d);
            } else {
                for mb in acc.mailboxes() {
                    if names::list_pattern_matches(&full, &mb.name, Some(d)) {
                        let mut attributes = Vec::new();
                        if !mb.selectable {
                            attributes.push("\\Noselect".to_string());
                        }
                        untagged.push(Untagged::List {
                            lsub,
                            attributes,
                            delimiter: Some(d),
                            name: mb.name.clone(),
                        });
                    }
                }
            }
        }
        reply(
            untagged,
            completion(
                Outcome::Ok,
                None,
                if lsub {
                    "LSUB completed"
                } else {
                    "LIST completed"
                },
            ),
            Allowed::ok_or_refusal(rule::BAD_MEANING),
        )
    }

    fn status(&mut self, store: &mut Store, name: &[u8], items: &[StatusDataItemName]) -> Reply {
        let implied = self.doubtful(store, name);
        let sel = self.selection().cloned();
        let acc = self.account_mut(store).expect("authenticated");
        let Some(mb) = acc.get(name).filter(|m| m.selectable) else {
            return reply(
                vec![],
                completion(Outcome::No, None, "no such mailbox"),
                unless_doubtful(implied, Allowed::not_ok(rule::STATUS_NONEXISTENT)),
            );
        };
        let mut out = Vec::new();
        for item in items {
            let (k, v) = match item {
                StatusDataItemName::Messages => ("MESSAGES", mb.messages.len() as u32),
                StatusDataItemName::Recent => (
                    "RECENT",
                    // RFC 2060 §2.3.2: a message stays \Recent in the session that
                    // claimed it; STATUS counts those of this session's selection too.
                    mb.messages
                        .iter()
                        .filter(|m| {
                            m.arrival != Arrival::Claimed
                                || sel.as_ref().is_some_and(|s| {
                                    s.mailbox == mb.name
                                        && (s.recent.contains(&m.id)
                                            || s.recent_maybe.contains(&m.id))
                                })
                        })
                        .count() as u32,
                ),
                StatusDataItemName::UidNext => ("UIDNEXT", mb.uid_next),
                StatusDataItemName::UidValidity => ("UIDVALIDITY", mb.uid_validity),
                // Unknown flags: UNSEEN unknown, and left out (the other counts stand).
                StatusDataItemName::Unseen if mb.messages.iter().any(|m| !m.flags_known) => {
                    continue
                }
                StatusDataItemName::Unseen => (
                    "UNSEEN",
                    mb.messages
                        .iter()
                        .filter(|m| !m.flags.contains("\\Seen"))
                        .count() as u32,
                ),
                _ => continue,
            };
            out.push((k.to_string(), v));
        }
        // STATUS of the selected mailbox: the RFC advises against it; counts may include
        // messages this connection has not been told of.
        if sel.is_some_and(|s| s.mailbox == mb.name) || !mb.known {
            self.latitude.data_unsure = true;
        }
        reply(
            vec![Untagged::Status {
                name: mb.name.clone(),
                items: out,
            }],
            completion(Outcome::Ok, None, "STATUS completed"),
            Allowed::ok_or_refusal(rule::BAD_MEANING),
        )
    }

    fn append(
        &mut self,
        store: &mut Store,
        name: &[u8],
        flags: &[Flag<'_>],
        date: Option<DateTime<FixedOffset>>,
        data: Vec<u8>,
    ) -> Reply {
        let implied = self.doubtful(store, name);
        let selected_here = self
            .selection()
            .is_some_and(|s| s.mailbox == Account::key(name));
        let now = self.now;
        let follower = self.follower;
        let acc = self.account_mut(store).expect("authenticated");
        if !acc.get(name).is_some_and(|m| m.selectable) {
            // RFC 2060 §6.3.11: "If the destination mailbox does not exist, a server MUST
            // return an error, and MUST NOT automatically create the mailbox."
            return missing_destination(acc, name, implied, rule::APPEND_NONEXISTENT);
        }
        let mut set = FlagSet::new();
        for f in flags {
            let n = flag_name(f);
            if !n.eq_ignore_ascii_case(RECENT) {
                set.insert(&n);
            }
        }
        let arrival = if selected_here {
            Arrival::Undecided
        } else {
            Arrival::Unclaimed
        };
        let message = Arc::new(Message::parse(data));
        let requested = set.clone();
        let delivered = acc.deliver(
            name,
            message,
            set,
            date.unwrap_or(now),
            date.is_some() || !follower,
            arrival,
            !follower,
        );
        if follower && !requested.is_empty() {
            // RFC 2060 §6.3.11: "the flags SHOULD be set in the resulting message".
            if let (Some((id, _)), Some(mb)) = (delivered, acc.get_mut(name)) {
                if let Some(m) = mb.messages.iter_mut().find(|m| m.id == id) {
                    m.flags_known = false;
                    m.expected_flags = Some((requested, "2060-6.3.11-flags-set"));
                }
            }
        }
        reply(
            vec![],
            completion(Outcome::Ok, None, "APPEND completed"),
            unless_doubtful(implied, Allowed::ok_or_refusal(rule::BAD_MEANING)),
        )
    }

    fn expunge(&mut self, store: &mut Store) -> Reply {
        let sel = self.selection().cloned().expect("selected");
        if sel.read_only {
            // Servers refuse, or succeed without removing anything (RFC 2060 §6.3.2).
            return reply(
                vec![],
                completion(Outcome::No, None, "mailbox is read-only"),
                Allowed::any(),
            );
        }
        let mut untagged = Vec::new();
        let mut view = sel.view.clone();
        if let Some(mb) = self
            .account_mut(store)
            .and_then(|a| a.get_mut(&sel.mailbox))
        {
            if mb.messages.iter().any(|m| !m.flags_known) {
                // Which messages carry \Deleted is not known.
                self.latitude.unsure = true;
            }
            let deleted: BTreeSet<u64> = mb
                .messages
                .iter()
                .filter(|m| m.flags.contains("\\Deleted"))
                .map(|m| m.id)
                .collect();
            mb.messages.retain(|m| !deleted.contains(&m.id));
            // RFC 2060 §7.4.1: each EXPUNGE decrements the numbers of later messages, so
            // removing from the end first keeps every number valid as sent.
            let mut i = view.len();
            while i > 0 {
                i -= 1;
                if deleted.contains(&view[i]) {
                    view.remove(i);
                    untagged.push(Untagged::Expunge(i as u32 + 1));
                }
            }
        }
        let s = self.selection_mut().expect("selected");
        s.recent.retain(|id| view.contains(id));
        s.recent_maybe.retain(|id| view.contains(id));
        s.view = view;
        done(untagged, "EXPUNGE completed")
    }

    /// The messages a command's set names, and whether a UID set met UIDs the model does not
    /// know; a set the model cannot resolve gets BAD from the reference server and any
    /// answer from a real one.
    #[allow(clippy::result_large_err)]
    fn targets(
        &self,
        store: &Store,
        set: &SequenceSet,
        uid: bool,
    ) -> Result<(Vec<(u32, u64)>, bool), Reply> {
        let uid_unsure = uid && self.unknown_uids(store);
        // UIDs the model does not know are bounded by the ones it knows: the set may name
        // the same messages whatever they are ([`super::uid_bounds`]).
        let bounded = uid_unsure
            .then(|| self.resolve_by_bounds(store, set))
            .flatten();
        match (self.resolve(store, set, uid), bounded) {
            (Some(_), Some(b)) => Ok((b, false)),
            (Some(t), None) => Ok((t, uid_unsure)),
            (None, _) => Err(reply(
                vec![],
                completion(
                    Outcome::Bad,
                    None,
                    if uid {
                        "UID set not valid here"
                    } else {
                        "message sequence number out of range"
                    },
                ),
                Allowed::any(),
            )),
        }
    }

    /// Whether a message of the selection has a UID the model does not know (an oracle that
    /// has not yet seen the server's UID for it).
    /// The messages of the view a UID set names, as (sequence number, identity), when
    /// that does not depend on the UIDs the model does not know.
    fn resolve_by_bounds(&self, store: &Store, set: &SequenceSet) -> Option<Vec<(u32, u64)>> {
        let (sel, acc) = (self.selection()?, self.account(store)?);
        let mb = acc.get(&sel.mailbox)?;
        let uids: Vec<Option<u32>> = sel
            .view
            .iter()
            .map(|id| {
                let m = mb.messages.iter().find(|m| m.id == *id)?;
                m.uid_known.then_some(m.uid)
            })
            .collect();
        let members = super::uid_bounds::members(set, &uids, self.profile == Profile::Rfc3501)?;
        Some(
            members
                .into_iter()
                .map(|i| (i as u32 + 1, sel.view[i]))
                .collect(),
        )
    }

    fn unknown_uids(&self, store: &Store) -> bool {
        let (Some(sel), Some(acc)) = (self.selection(), self.account(store)) else {
            return false;
        };
        acc.get(&sel.mailbox).is_some_and(|mb| {
            mb.messages
                .iter()
                .any(|m| !m.uid_known && sel.view.contains(&m.id))
        })
    }

    /// The messages of the view a sequence set names, as (sequence number, identity);
    /// `None` when a sequence number is out of range (servers answer that differently).
    fn resolve(&self, store: &Store, set: &SequenceSet, uid: bool) -> Option<Vec<(u32, u64)>> {
        let sel = self.selection()?;
        let mb = self.account(store)?.get(&sel.mailbox)?;
        if self.follower && has_asterisk(set) && mb.messages.len() > sel.view.len() {
            // `*` is "the largest number in use" (RFC 2060 §9): with messages the server
            // has not announced yet, whether it counts them is the server's reading (the
            // reference server counts those the client was told of).
            return None;
        }
        let by_id: BTreeMap<u64, &StoredMessage> = mb.messages.iter().map(|m| (m.id, m)).collect();
        if uid && sel.view.is_empty() {
            // A UID set names messages of the mailbox; in an empty one it names none,
            // however `*` or a range written high to low is read.
            return Some(vec![]);
        }
        if uid {
            let pairs: Vec<(u32, u64, u32)> = sel
                .view
                .iter()
                .enumerate()
                .filter_map(|(i, id)| by_id.get(id).map(|m| (i as u32 + 1, *id, m.uid)))
                .collect();
            let uids: Vec<u32> = pairs.iter().map(|p| p.2).collect();
            let chosen = sequence::resolve_uid(set, &uids);
            Some(
                pairs
                    .into_iter()
                    .filter(|p| chosen.contains(&p.2))
                    .map(|p| (p.0, p.1))
                    .collect(),
            )
        } else {
            let r = sequence::resolve_seq(set, sel.view.len() as u32);
            if r.out_of_range {
                return None;
            }
            Some(
                r.members
                    .into_iter()
                    .map(|n| (n, sel.view[n as usize - 1]))
                    .collect(),
            )
        }
    }

    fn search(
        &mut self,
        store: &mut Store,
        charset: Option<&str>,
        keys: &[SearchKey<'_>],
        uid: bool,
    ) -> Reply {
        if let Some(c) = charset {
            if !c.eq_ignore_ascii_case("US-ASCII") && !c.eq_ignore_ascii_case("UTF-8") {
                // RFC 2060 §6.4.4: "US-ASCII MUST be supported; other [CHARSET]s MAY be
                // supported."
                // "If the server does not support the specified [CHARSET], it MUST return a
                // tagged NO response (not a BAD)."
                return reply(
                    vec![],
                    completion(Outcome::No, Some(Code::BadCharset), "charset not supported"),
                    Allowed {
                        ok: true,
                        no: true,
                        bad: false,
                        rule: "2060-6.4.4-unknown-charset-no",
                    },
                );
            }
        }
        let sel = self.selection().cloned().expect("selected");
        let Some(mb) = self.account(store).and_then(|a| a.get(&sel.mailbox)) else {
            return reply(
                vec![],
                completion(Outcome::No, None, "gone"),
                Allowed::any(),
            );
        };
        let by_id: BTreeMap<u64, &StoredMessage> = mb.messages.iter().map(|m| (m.id, m)).collect();
        let scope = SearchScope {
            message_count: sel.view.len() as u32,
            uids: sel
                .view
                .iter()
                .filter_map(|id| by_id.get(id).map(|m| m.uid))
                .collect(),
            decode_mime: charset.is_some_and(|c| !c.eq_ignore_ascii_case("US-ASCII")),
            // RFC 3501 §6.4.4 "disregarding time and timezone"; the reference server reads
            // RFC 2060's "Date: header is earlier than the specified date" the same way.
            sent_dates_as_written: !self.follower || self.profile == Profile::Rfc3501,
        };
        let undecoded_scope = SearchScope {
            decode_mime: false,
            ..scope.clone()
        };
        let mut decoded_only = Vec::new();
        // The reference server answers for its own zone (UTC); an oracle following a real
        // server allows every zone a server may use (see `search::ServerZones`).
        let zones = if self.follower {
            ServerZones::default()
        } else {
            ServerZones {
                min_offset_secs: 0,
                max_offset_secs: 0,
            }
        };
        let uid_keys = search::any_key(keys, &|k| matches!(k, SearchKey::Uid(_)));
        let internal_date_keys = search::any_key(keys, &|k| {
            matches!(
                k,
                SearchKey::Before(_) | SearchKey::On(_) | SearchKey::Since(_)
            )
        });
        let asterisk = search::any_key(
            keys,
            &|k| matches!(k, SearchKey::SequenceSet(s) | SearchKey::Uid(s) if has_asterisk(s)),
        );
        // `*` with messages the server has not announced: the server's reading decides.
        if asterisk && mb.messages.len() > sel.view.len() {
            self.latitude.data_unsure = true;
        }
        let mut yes = Vec::new();
        let mut maybe = Vec::new();
        let mut unsure = false;
        for (i, id) in sel.view.iter().enumerate() {
            let Some(m) = by_id.get(id) else { continue };
            // Results that depend on flags or UIDs the model has not learnt cannot be judged.
            unsure |= !m.flags_known || (!m.uid_known && (uid || uid_keys));
            let recent = sel.recent.contains(id);
            let subject = Subject {
                seq: i as u32 + 1,
                msg: m,
                recent,
            };
            let mut t = search::evaluate_all_with(keys, &subject, &scope, zones);
            // RFC 2060 §2.3.2: which session is "first" to see a message is for the server
            // to say (Cyrus counts \Recent per user, Courier per maildir): an oracle does
            // not hold a server to the model's \Recent.
            if sel.recent_maybe.contains(id) || self.follower {
                // Whether this message is \Recent here is the server's choice.
                let other = Subject {
                    seq: i as u32 + 1,
                    msg: m,
                    recent: !recent,
                };
                if search::evaluate_all_with(keys, &other, &scope, zones) != t {
                    t = Truth::Maybe;
                }
            }
            if !m.date_known && internal_date_keys {
                // The internal date is the server's clock: date keys may go either way.
                t = Truth::Maybe;
            }
            let n = if uid { m.uid } else { i as u32 + 1 };
            if !self.follower {
                // The reference server answers every message yes or no, with one reading
                // of what servers may read differently (`search::decide`).
                t = match (t, search::decide_all(keys, &subject, &scope, zones)) {
                    (Truth::Maybe, true) => {
                        maybe.push(n);
                        Truth::Yes
                    }
                    (Truth::Maybe, false) => {
                        maybe.push(n);
                        Truth::No
                    }
                    (t, _) => t,
                };
            }
            if t == Truth::Yes
                && scope.decode_mime
                && search::evaluate_all_with(keys, &subject, &undecoded_scope, zones) != Truth::Yes
            {
                decoded_only.push(n);
            }
            match t {
                Truth::Yes => yes.push(n),
                Truth::Maybe => maybe.push(n),
                Truth::No => {}
            }
        }
        self.latitude.search_maybe = maybe;
        self.latitude.search_decoded_only = decoded_only;
        self.latitude.data_unsure |= unsure;
        reply(
            vec![Untagged::Search(yes)],
            completion(Outcome::Ok, None, "SEARCH completed"),
            Allowed::ok_or_refusal(rule::BAD_MEANING),
        )
    }

    fn fetch(
        &mut self,
        store: &mut Store,
        set: &SequenceSet,
        what: &MacroOrMessageDataItemNames<'_>,
        uid: bool,
    ) -> Reply {
        let items: Vec<MessageDataItemName<'_>> = match what {
            MacroOrMessageDataItemNames::Macro(m) => m.expand().into_iter().collect(),
            MacroOrMessageDataItemNames::MessageDataItemNames(v) => v.clone(),
        };
        if items.iter().any(|i| {
            matches!(
                i,
                MessageDataItemName::Binary { .. } | MessageDataItemName::BinarySize { .. }
            )
        }) {
            return reply(
                vec![],
                completion(Outcome::Bad, None, "not IMAP4rev1"),
                Allowed::any(),
            );
        }
        // RFC 2060 §6.4.5: BODY[...] (not BODY.PEEK), RFC822 and RFC822.TEXT set \Seen.
        let marks_seen = items.iter().any(|i| {
            matches!(
                i,
                MessageDataItemName::Rfc822
                    | MessageDataItemName::Rfc822Text
                    | MessageDataItemName::BodyExt { peek: false, .. }
            )
        });
        let (targets, uid_unsure) = match self.targets(store, set, uid) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let sel = self.selection().cloned().expect("selected");
        let read_only = sel.read_only;
        let mut untagged = Vec::new();
        let acc = self.account_mut(store).expect("authenticated");
        let Some(mb) = acc.get_mut(&sel.mailbox) else {
            return reply(
                vec![],
                completion(Outcome::No, None, "gone"),
                Allowed::any(),
            );
        };
        let mut unsure = false;
        for (seq, id) in targets {
            let Some(m) = mb.messages.iter_mut().find(|m| m.id == id) else {
                continue;
            };
            let recent = sel.recent.contains(&id);
            let mut out = Vec::new();
            let mut set_seen = false;
            let mut wants_flags = false;
            for item in &items {
                match item {
                    MessageDataItemName::Flags => wants_flags = true,
                    MessageDataItemName::Uid => out.push(FetchItem::Uid(m.uid)),
                    MessageDataItemName::Rfc822Size => {
                        out.push(FetchItem::Rfc822Size(m.message.size()))
                    }
                    MessageDataItemName::InternalDate => {
                        out.push(FetchItem::InternalDate(m.internal_date))
                    }
                    MessageDataItemName::Envelope => {
                        out.push(FetchItem::Envelope(m.message.envelope()))
                    }
                    MessageDataItemName::Body => {
                        out.push(FetchItem::Structure(m.message.body_structure(), false))
                    }
                    MessageDataItemName::BodyStructure => {
                        out.push(FetchItem::Structure(m.message.body_structure(), true))
                    }
                    MessageDataItemName::Rfc822 => {
                        set_seen = true;
                        out.push(FetchItem::Section(
                            "RFC822".into(),
                            Some(m.message.raw().to_vec()),
                        ))
                    }
                    MessageDataItemName::Rfc822Header => out.push(FetchItem::Section(
                        "RFC822.HEADER".into(),
                        m.message.section(&[], Some(&SectionText::Header)),
                    )),
                    MessageDataItemName::Rfc822Text => {
                        set_seen = true;
                        out.push(FetchItem::Section(
                            "RFC822.TEXT".into(),
                            m.message.section(&[], Some(&SectionText::Text)),
                        ))
                    }
                    MessageDataItemName::BodyExt {
                        section,
                        partial,
                        peek,
                    } => {
                        if !peek {
                            set_seen = true;
                        }
                        let (part, text) = section_spec(section.as_ref());
                        let data = m.message.section(&part, text.as_ref());
                        // RFC 2060 §6.4.5 does not say what the MIME header of part 1 of
                        // a message that is not multipart is (servers send its header, or
                        // an empty one): the server's choice.
                        let single = !matches!(
                            m.message.body_structure(),
                            super::value::BodyStructure::Multipart { .. }
                        );
                        let data = if single && part.len() == 1 && text == Some(SectionText::Mime) {
                            None
                        } else {
                            data
                        };
                        let mut name = format!("BODY[{}]", section_label(section.as_ref()));
                        let data = match partial {
                            Some((origin, len)) => {
                                name.push_str(&format!("<{origin}>"));
                                data.map(|d| super::message::partial(&d, *origin, len.get()))
                            }
                            None => data,
                        };
                        // RFC 2060 §6.4.5: a part that does not exist is not specified;
                        // the reference server sends an empty string, others send NIL.
                        if data.is_none() {
                            self.latitude.free_items.push((seq, name.clone()));
                        }
                        out.push(FetchItem::Section(name, Some(data.unwrap_or_default())));
                    }
                    _ => {}
                }
            }
            let mut flags_changed = false;
            if set_seen && !read_only && !m.flags.contains("\\Seen") {
                // RFC 2060 §6.4.5: "The \Seen flag is implicitly set; if this causes the
                // flags to change they SHOULD be included as part of the FETCH responses."
                m.flags.insert("\\Seen");
                flags_changed = true;
            }
            if wants_flags || flags_changed {
                let mut f = m.flags.clone();
                if recent {
                    f.insert(RECENT);
                }
                out.insert(0, FetchItem::Flags(f.names()));
            }
            // RFC 2060 §6.4.8: "server implementations MUST implicitly include the UID
            // message data item as part of any FETCH response caused by a UID command".
            if uid && !out.iter().any(|i| matches!(i, FetchItem::Uid(_))) {
                out.push(FetchItem::Uid(m.uid));
            }
            unsure |= !m.flags_known;
            if !out.is_empty() {
                untagged.push(Untagged::Fetch(seq, out));
            }
        }
        self.latitude.data_unsure = unsure || uid_unsure;
        self.latitude.flags_lost = uid_unsure && marks_seen && !read_only;
        self.latitude.seen_in_flight = marks_seen && !read_only;
        done(untagged, "FETCH completed")
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        store: &mut Store,
        set: &SequenceSet,
        kind: &StoreType,
        response: &StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
    ) -> Reply {
        let names: Vec<String> = flags.iter().map(flag_name).collect();
        if names.iter().any(|n| n.eq_ignore_ascii_case(RECENT)) {
            // RFC 2060 §2.3.2: \Recent cannot be altered by the client.
            return reply(
                vec![],
                completion(Outcome::Bad, None, "\\Recent"),
                Allowed::any(),
            );
        }
        let (targets, uid_unsure) = match self.targets(store, set, uid) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let sel = self.selection().cloned().expect("selected");
        if sel.read_only {
            // RFC 2060 §6.3.2: "No changes to the permanent state of the mailbox, including
            // per-user state, are permitted." A server may refuse, or succeed changing
            // nothing; the oracle checks the flags afterwards.
            return reply(
                vec![],
                completion(Outcome::No, None, "mailbox is read-only"),
                Allowed::any(),
            );
        }
        let silent = matches!(response, StoreResponse::Silent);
        let mut untagged = Vec::new();
        let mut unsure = false;
        let acc = self.account_mut(store).expect("authenticated");
        let Some(mb) = acc.get_mut(&sel.mailbox) else {
            return reply(
                vec![],
                completion(Outcome::No, None, "gone"),
                Allowed::any(),
            );
        };
        for n in &names {
            if !super::flags::is_system(n) {
                mb.keywords.insert(n);
            }
        }
        for (seq, id) in targets {
            let Some(m) = mb.messages.iter_mut().find(|m| m.id == id) else {
                continue;
            };
            m.expected_flags = None;
            match kind {
                StoreType::Replace => {
                    m.flags = names.iter().map(|s| s.as_str()).collect();
                    m.flags_known = true;
                }
                StoreType::Add => {
                    for n in &names {
                        m.flags.insert(n);
                    }
                }
                StoreType::Remove => {
                    for n in &names {
                        m.flags.remove(n);
                    }
                }
            }
            unsure |= !m.flags_known;
            if !silent {
                let mut f = m.flags.clone();
                if sel.recent.contains(&id) {
                    f.insert(RECENT);
                }
                let mut items = vec![FetchItem::Flags(f.names())];
                if uid {
                    items.push(FetchItem::Uid(m.uid));
                }
                untagged.push(Untagged::Fetch(seq, items));
            }
        }
        self.latitude.data_unsure = unsure || uid_unsure;
        self.latitude.flags_lost = uid_unsure;
        done(untagged, "STORE completed")
    }

    fn copy(&mut self, store: &mut Store, set: &SequenceSet, dest: &[u8], uid: bool) -> Reply {
        let implied = self.doubtful(store, dest);
        let (targets, uid_unsure) = match self.targets(store, set, uid) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let sel = self.selection().cloned().expect("selected");
        let acc = self.account_mut(store).expect("authenticated");
        if !acc.get(dest).is_some_and(|m| m.selectable) {
            // RFC 2060 §6.4.7: "If the destination mailbox does not exist, a server SHOULD
            // return an error."
            return missing_destination(acc, dest, implied, rule::COPY_NONEXISTENT);
        }
        let src: Vec<StoredMessage> = {
            let mb = acc.get(&sel.mailbox).expect("selected mailbox");
            targets
                .iter()
                .filter_map(|(_, id)| mb.messages.iter().find(|m| m.id == *id).cloned())
                .collect()
        };
        self.latitude.copied = Some(src.len());
        let into_selected = Account::key(dest) == sel.mailbox;
        let follower = self.follower;
        for m in src {
            // RFC 2060 §6.4.7: "The flags and internal date of the message(s) SHOULD be
            // preserved in the copy." A source whose flags the model does not know gives
            // a copy whose flags it does not know either: the model holds its prediction
            // (the source's), and expects nothing of the server.
            let requested = m.flags.clone();
            let source_flags_known = m.flags_known;
            let delivered = acc.deliver(
                dest,
                m.message.clone(),
                m.flags.clone(),
                m.internal_date,
                m.date_known,
                if into_selected {
                    Arrival::Undecided
                } else {
                    Arrival::Unclaimed
                },
                !follower,
            );
            if follower {
                if let (Some((id, _)), Some(mb)) = (delivered, acc.get_mut(dest)) {
                    if let Some(c) = mb.messages.iter_mut().find(|c| c.id == id) {
                        c.flags_known = false;
                        c.date_known = false;
                        c.expected_flags = source_flags_known
                            .then_some((requested, "2060-6.4.7-preserve-flags-date"));
                    }
                }
            }
        }
        self.latitude.unsure = uid_unsure;
        reply(
            vec![],
            completion(Outcome::Ok, None, "COPY completed"),
            unless_doubtful(implied, Allowed::ok_or_refusal(rule::BAD_MEANING)),
        )
    }
}

/// `allowed`, or any outcome when the model doubts the premise (a mailbox whose existence
/// it cannot tell).
fn unless_doubtful(doubtful: bool, allowed: Allowed) -> Allowed {
    if doubtful {
        Allowed::any()
    } else {
        allowed
    }
}

/// The answer to APPEND or COPY into a mailbox that does not exist: NO with `[TRYCREATE]`
/// (RFC 2060 §6.3.11, §6.4.7: "Unless it is certain that the destination mailbox can not be
/// created, the server MUST send the response code "[TRYCREATE]""). A `\\Noselect` name or
/// one whose existence is in doubt may get any answer.
fn missing_destination(acc: &Account, name: &[u8], doubtful: bool, rule: &'static str) -> Reply {
    let noselect = acc.exists(name);
    reply(
        vec![],
        completion(
            Outcome::No,
            (!noselect).then_some(Code::TryCreate),
            "no such mailbox",
        ),
        unless_doubtful(doubtful || noselect, Allowed::must_fail(rule)),
    )
}

/// Whether a set uses `*` (RFC 2060 §9: "the largest number in use").
pub fn has_asterisk(set: &SequenceSet) -> bool {
    use imap_types::sequence::{SeqOrUid, Sequence};
    set.0.as_ref().iter().any(|s| match s {
        Sequence::Single(x) => matches!(x, SeqOrUid::Asterisk),
        Sequence::Range(a, b) => matches!(a, SeqOrUid::Asterisk) || matches!(b, SeqOrUid::Asterisk),
    })
}

fn list_bytes(m: &imap_types::mailbox::ListMailbox<'_>) -> Vec<u8> {
    match m {
        imap_types::mailbox::ListMailbox::Token(t) => t.as_ref().to_vec(),
        imap_types::mailbox::ListMailbox::String(s) => s.as_ref().to_vec(),
    }
}

fn part_numbers(p: &Option<Part>) -> Vec<u32> {
    p.as_ref()
        .map(|p| p.0.as_ref().iter().map(|n: &NonZeroU32| n.get()).collect())
        .unwrap_or_default()
}

/// RFC 2060 §6.4.5 section specification as part numbers and the text part.
fn section_spec(section: Option<&Section<'_>>) -> (Vec<u32>, Option<SectionText>) {
    let astrings = |v: &imap_types::core::Vec1<imap_types::core::AString<'_>>| -> Vec<Vec<u8>> {
        v.as_ref().iter().map(|a| a.as_ref().to_vec()).collect()
    };
    match section {
        None => (vec![], None),
        Some(Section::Part(p)) => (part_numbers(&Some(p.clone())), None),
        Some(Section::Header(p)) => (part_numbers(p), Some(SectionText::Header)),
        Some(Section::HeaderFields(p, f)) => (
            part_numbers(p),
            Some(SectionText::HeaderFields(astrings(f))),
        ),
        Some(Section::HeaderFieldsNot(p, f)) => (
            part_numbers(p),
            Some(SectionText::HeaderFieldsNot(astrings(f))),
        ),
        Some(Section::Text(p)) => (part_numbers(p), Some(SectionText::Text)),
        Some(Section::Mime(p)) => (part_numbers(&Some(p.clone())), Some(SectionText::Mime)),
    }
}

/// The section as written back in the FETCH response (RFC 2060 §7.4.2 `BODY[section]`).
pub fn section_label(section: Option<&Section<'_>>) -> String {
    let (part, text) = section_spec(section);
    let mut s: String = part
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(".");
    let field_list = |f: &[Vec<u8>]| -> String {
        f.iter()
            .map(|x| String::from_utf8_lossy(x).to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if let Some(t) = text {
        if !s.is_empty() {
            s.push('.');
        }
        match t {
            SectionText::Header => s.push_str("HEADER"),
            SectionText::Text => s.push_str("TEXT"),
            SectionText::Mime => s.push_str("MIME"),
            SectionText::HeaderFields(f) => {
                s.push_str(&format!("HEADER.FIELDS ({})", field_list(&f)))
            }
            SectionText::HeaderFieldsNot(f) => {
                s.push_str(&format!("HEADER.FIELDS.NOT ({})", field_list(&f)))
            }
        }
    }
    s
}

mod lsub;
mod ranges;
mod recent;

#[cfg(test)]
mod tests;
