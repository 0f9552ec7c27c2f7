//! The closed world: a target whose account the tool owns for the session (`exclusive =
//! true` in the targets file: the store is emptied before the session and no other client
//! uses it meanwhile).
//!
//! There every message of a mailbox is one this session added, so the oracle holds the
//! server's counts to the model: an EXISTS that is not the number of messages the session
//! put there is a finding citing RFC 2060 §7.3.1 ("The EXISTS response reports the number
//! of messages in the mailbox", §6.3.1 for SELECT), not a reason to stop following. What
//! servers may still choose in a closed world is left to them: the values of UIDs (any,
//! strictly ascending) and of UIDVALIDITY, whether the session's own APPEND or COPY makes a
//! message `\Recent`, and when a new message is announced (RFC 2060 §5.2: with the
//! command that added it or at a later one; the model allows both).
//!
//! The checks here read the server's own numbers only where no choice explains them:
//! - a RECENT count above every message count the server gives in the same exchange
//!   (§7.3.2 "the number of messages with the \Recent flag set" cannot exceed the number
//!   of messages), and a STATUS RECENT above its own MESSAGES (§6.3.10);
//! - an EXPUNGE naming a sequence number above the mailbox's count (§7.4.1 "reports that
//!   the specified message sequence number has been permanently removed");
//! - a UIDNEXT at or below a UID the server gave a message still in the mailbox
//!   (§6.3.10 "The next UID value that will be assigned to a new message", RFC 3501
//!   §6.3.1 `[UIDNEXT]`; with §2.3.1.1 "strictly ascending" a new message's UID is above
//!   every UID in use), and a UIDNEXT that changed with no message added since
//!   (§6.3.10 "this value will not change unless new messages are added"; a MUST in RFC
//!   3501 §2.3.1.1).
//!
//! After a count the model did not predict the oracle cannot know which messages the
//! server holds, and stops following with the reason (as in an open world); after a
//! UIDNEXT it continues from the server's value.

use std::collections::BTreeMap;

use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;
use imap_types::command::CommandBody;
use imap_types::response::Code as WireCode;

use super::{Gap, Oracle, Seen};
use crate::model::account::Account;
use crate::model::session::{Session, State, Store};
use crate::model::Profile;
use crate::wire::Message;

mod rename;

/// Who may change the account while the session runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum World {
    /// A shared account: other clients may add, remove or flag messages meanwhile, so a
    /// count the model did not predict only stops the oracle following.
    #[default]
    Open,
    /// The tool owns the account for the session, which starts with an empty INBOX and no
    /// other client: every count must be the model's.
    Closed,
}

impl World {
    /// The world of a target with `exclusive` as the targets file says.
    pub fn of(exclusive: bool) -> World {
        if exclusive {
            World::Closed
        } else {
            World::Open
        }
    }

    pub fn is_closed(self) -> bool {
        self == World::Closed
    }
}

/// Requirement ids the closed world cites.
pub mod rule {
    pub const SELECT_EXISTS: &str = "2060-6.3.1-exists";
    pub const EXISTS_COUNT: &str = "2060-7.3.1-count";
    pub const RECENT_COUNT: &str = "2060-7.3.2-count";
    pub const SELECT_RECENT: &str = "2060-6.3.1-recent";
    pub const STATUS_RECENT: &str = "2060-6.3.10-recent";
    pub const EXPUNGE_REMOVED: &str = "2060-7.4.1-removed";
    pub const STATUS_UIDNEXT: &str = "2060-6.3.10-uidnext";
    pub const UIDNEXT_CHANGES: &str = "2060-6.3.10-uidnext-changes";
    pub const UIDNEXT_CHANGES_3501: &str = "3501-2.3.1.1-uidnext-changes";
    pub const SELECT_UIDNEXT_3501: &str = "3501-6.3.1-uidnext";
    pub const APPENDS: &str = "2060-6.3.11-appends-at-end";
    pub const COPIES: &str = "2060-6.4.7-copies-to-end";
    pub const INBOX_MOVED: &str = "2060-6.3.5-inbox-moves-messages";
}

/// The model's message count per mailbox before an exchange, with the exchange's step and
/// command name.
type Before = (Option<usize>, &'static str, BTreeMap<Vec<u8>, usize>);

/// What the closed world remembers between exchanges.
#[derive(Clone, Debug, Default)]
pub(super) struct Memory {
    /// The last UIDNEXT the server gave per mailbox (STATUS, or SELECT's code), with its
    /// step and UIDVALIDITY, kept while no command could add a message anywhere.
    uid_next: BTreeMap<Vec<u8>, (u32, Option<u32>, Option<usize>)>,
    /// The message count of each mailbox of the model before the exchange being judged,
    /// with its step and command name, to learn which commands added messages where.
    before: Option<Before>,
    /// Per mailbox, the commands (step, name) that added messages to it, as the server
    /// answered OK, since the server last showed its count agreeing with the model's.
    added: BTreeMap<Vec<u8>, Vec<(Option<usize>, &'static str)>>,
    /// Mailboxes a COPY of several set elements (or of `*`) added to since the server last
    /// showed their count: RFC 3501 §9 lets a server copy overlapping elements once or
    /// more ("Servers MAY coalesce overlaps"), so more messages than the model's are no
    /// claim there.
    overlapping: std::collections::BTreeSet<Vec<u8>>,
    /// Whether the exchange being judged is such a COPY.
    copy_may_overlap: bool,
    /// The model's store before an EXPUNGE command, to go on from the messages the
    /// server removed where they are not the model's.
    store_before: Option<Store>,
    /// The names RENAMEs of this session moved from and to (with their inferiors, RFC 2060
    /// §6.3.5): which of them holds which messages is the model's reading (INBOX's move is
    /// special), not held against the server's counts.
    renamed: Vec<Vec<u8>>,
    /// The step of the last `RENAME INBOX ...` answered OK: RFC 2060 §6.3.5 "It moves all
    /// messages in INBOX to a new mailbox with the given name, leaving INBOX empty".
    inbox_renamed: Option<Option<usize>>,
    /// The name that `RENAME INBOX` gave INBOX's messages, as the key of the new mailbox.
    inbox_renamed_to: Option<Vec<u8>>,
    /// Whether the exchange under way has not yet reached the closed world's checks: one
    /// that never does was skipped (a command refused unread, whose effects the model does
    /// not follow).
    awaiting: bool,
    /// Exchanges skipped so far, and their number when the server last showed each
    /// mailbox's count agreeing with the model's: a count is held to the model only while
    /// no skipped command could have changed it.
    skips: usize,
    confirmed_skips: BTreeMap<Vec<u8>, usize>,
}

/// One count-bearing untagged response, read from its first line: `* n EXISTS`,
/// `* n RECENT`, `* n EXPUNGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    Exists(u32),
    Recent(u32),
    Expunge(u32),
}

fn count_of(m: &Message) -> Option<Count> {
    let line = m.first_line();
    let line = line.strip_suffix(b"\r\n").unwrap_or(line);
    let mut words = line.split(|&b| b == b' ');
    if words.next()? != b"*" {
        return None;
    }
    let n: u32 = std::str::from_utf8(words.next()?).ok()?.parse().ok()?;
    let name = words.next()?;
    if words.next().is_some() {
        return None;
    }
    if name.eq_ignore_ascii_case(b"EXISTS") {
        Some(Count::Exists(n))
    } else if name.eq_ignore_ascii_case(b"RECENT") {
        Some(Count::Recent(n))
    } else if name.eq_ignore_ascii_case(b"EXPUNGE") {
        Some(Count::Expunge(n))
    } else {
        None
    }
}

/// Whether a command cannot add a message to any mailbox, nor make a mailbox anew under a
/// name (RFC 2060 §6.3.10: UIDNEXT changes only when messages are added).
fn adds_nothing(command: &[u8]) -> bool {
    use CommandBody::*;
    let Ok((_, cmd)) = CommandCodec::default().decode(command) else {
        return false;
    };
    matches!(
        cmd.body,
        Status { .. }
            | Noop
            | Capability
            | List { .. }
            | Lsub { .. }
            | Fetch { .. }
            | Store { .. }
            | Search { .. }
            | Check
            | Subscribe { .. }
            | Unsubscribe { .. }
            | Select { .. }
            | Examine { .. }
            | Expunge
            | Close
            | Logout
    )
}

impl Oracle {
    /// The closed world's checks of one exchange, before the model runs the command:
    /// counts ([`Oracle::closed_counts`]), STATUS and SELECT's UIDNEXT.
    pub(super) fn closed_exchange(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        responses: &[&Message],
        seen: &[Seen],
    ) {
        if !self.world.is_closed() {
            return;
        }
        self.closed.awaiting = false;
        self.settle_additions();
        if let CommandBody::Rename { from, to } = body {
            for m in [from, to] {
                self.closed
                    .renamed
                    .push(Account::key(&super::mailbox_bytes(m)));
            }
        }
        self.closed.before = Some((step, body.name(), self.mailbox_counts()));
        self.closed.copy_may_overlap = match body {
            CommandBody::Copy { sequence_set, .. } => {
                sequence_set.0.as_ref().len() > 1
                    || crate::model::session::has_asterisk(sequence_set)
            }
            _ => false,
        };
        self.closed.store_before = matches!(body, CommandBody::Expunge).then(|| self.store.clone());
        self.closed_counts(step, body, responses);
        match body {
            CommandBody::Status { mailbox, .. } => {
                self.closed_status(step, &super::mailbox_bytes(mailbox), seen)
            }
            CommandBody::Select { mailbox, .. } | CommandBody::Examine { mailbox, .. } => {
                self.closed_select(step, &super::mailbox_bytes(mailbox), seen)
            }
            _ => {}
        }
    }

    /// The model's message count per mailbox.
    fn mailbox_counts(&self) -> BTreeMap<Vec<u8>, usize> {
        let Some(acc) = self.session.account(&self.store) else {
            return BTreeMap::new();
        };
        acc.names()
            .into_iter()
            .filter_map(|n| acc.get(&n).map(|mb| (n, mb.messages.len())))
            .collect()
    }

    /// Records which mailboxes the last exchange added messages to. A RENAME moves
    /// messages under other names: what was added where is then forgotten.
    fn settle_additions(&mut self) {
        let Some((step, name, before)) = self.closed.before.take() else {
            return;
        };
        if name == "RENAME" {
            self.closed.added.clear();
            self.closed.overlapping.clear();
            return;
        }
        for (mailbox, now) in self.mailbox_counts() {
            if before.get(&mailbox).is_some_and(|b| now > *b) {
                if self.closed.copy_may_overlap {
                    self.closed.overlapping.insert(mailbox.clone());
                }
                self.closed
                    .added
                    .entry(mailbox)
                    .or_default()
                    .push((step, name));
            }
        }
    }

    /// The server showed the selected mailbox's count agreeing with the model's.
    pub(super) fn count_confirmed(&mut self) {
        if !self.world.is_closed() {
            return;
        }
        self.settle_additions();
        if let Some(sel) = self.session.selection() {
            let key = Account::key(&sel.mailbox);
            self.closed.added.remove(&key);
            self.closed.overlapping.remove(&key);
            self.closed.confirmed_skips.insert(key, self.closed.skips);
        }
    }

    /// RFC 2060 §6.4.3 EXPUNGE removed other messages than the model's (a finding made
    /// already): in a closed world the oracle goes on from the server's state, the
    /// mailbox as it was less the messages the server's EXPUNGE responses name (RFC 2060
    /// §7.4.1, each number counted after the ones before it). False where that state is
    /// not known: an open world, or a number that names no message.
    pub(super) fn follow_expunges(&mut self, before: &Session, server: &[u32]) -> bool {
        if !self.world.is_closed() {
            return false;
        }
        let Some(store) = self.closed.store_before.take() else {
            return false;
        };
        let Some(sel) = before.selection() else {
            return false;
        };
        let mut view = sel.view.clone();
        let mut gone = Vec::new();
        for n in server {
            let Some(i) = (*n as usize).checked_sub(1).filter(|i| *i < view.len()) else {
                return false;
            };
            gone.push(view.remove(i));
        }
        let mut session = before.clone();
        session.latitude = self.session.latitude.clone();
        if let State::Selected(s) = &mut session.state {
            s.view = view;
            s.recent.retain(|id| !gone.contains(id));
            s.recent_maybe.retain(|id| !gone.contains(id));
        }
        let mut store = store;
        let key = Account::key(&sel.mailbox);
        let Some(mb) = session
            .user
            .as_ref()
            .and_then(|u| store.accounts.get_mut(u))
            .and_then(|a| a.get_mut(&key))
        else {
            return false;
        };
        mb.messages.retain(|m| !gone.contains(&m.id));
        self.session = session;
        self.store = store;
        true
    }

    /// RFC 2060 §5.1 INBOX: in a closed world the session starts with an empty INBOX (the
    /// store was reset before it), so its contents are known from the start. Called once,
    /// after the setup has logged in.
    pub(super) fn own_account(&mut self) {
        if !self.world.is_closed() {
            return;
        }
        let Some(user) = self.session.user.clone() else {
            return;
        };
        let d = self.store.delimiter;
        let acc = self
            .store
            .accounts
            .entry(user)
            .or_insert_with(|| Account::unknown(d));
        if let Some(inbox) = acc.get_mut(b"INBOX") {
            if inbox.messages.is_empty() {
                inbox.known = true;
            }
        }
    }

    /// Before each exchange: forgets the UIDNEXT values a command may change.
    pub(super) fn closed_before(&mut self, command: &[u8]) {
        if !self.world.is_closed() {
            return;
        }
        if self.closed.awaiting {
            self.closed.skips += 1;
            self.closed.uid_next.clear();
        }
        self.closed.awaiting = true;
        if !adds_nothing(command) {
            self.closed.uid_next.clear();
        }
    }

    /// RFC 2060 §7.3.2 and §7.4.1 against the server's own counts in one exchange: a
    /// RECENT above every count of messages the server gives (its last one before the
    /// exchange, `announced`, any EXISTS in it, and the model's count), and an EXPUNGE of a
    /// sequence number above the mailbox's count at that point (the EXPUNGE command's own
    /// responses are held to the messages it removes, RFC 2060 §6.4.3, elsewhere). For
    /// SELECT and EXAMINE only the exchange's own EXISTS counts.
    fn closed_counts(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        responses: &[&Message],
    ) {
        if !self.world.is_closed() {
            return;
        }
        let select = matches!(
            body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        );
        let counts: Vec<Count> = responses.iter().filter_map(|m| count_of(m)).collect();
        // The model's count: the messages the client was told of, or every message the
        // mailbox holds (the server may announce one the client was not yet told of).
        let model = if select {
            None
        } else {
            let held = self.session.selection().and_then(|s| {
                self.session
                    .account(&self.store)
                    .and_then(|a| a.get(&s.mailbox))
                    .map(|mb| mb.messages.len().max(s.view.len()))
            });
            held.or_else(|| self.session.selection().map(|s| s.view.len()))
                .map(|n| n as u32)
        };
        let before = if select {
            None
        } else {
            self.announced.map(|n| n as u32)
        };
        // RECENT: whatever the order of EXISTS and RECENT, no count of messages the
        // server or the model gives is as large.
        let ceiling = counts
            .iter()
            .filter_map(|c| match c {
                Count::Exists(n) => Some(*n),
                _ => None,
            })
            .chain(before)
            .chain(model)
            .max();
        if let Some(ceiling) = ceiling {
            if let Some(r) = counts.iter().find_map(|c| match c {
                Count::Recent(r) if *r > ceiling => Some(*r),
                _ => None,
            }) {
                self.find(
                    step,
                    if select {
                        rule::SELECT_RECENT
                    } else {
                        rule::RECENT_COUNT
                    },
                    format!(
                        "RECENT {r} is more messages than the mailbox holds (at most {ceiling})"
                    ),
                    format!("* n RECENT with n <= {ceiling}"),
                    format!("* {r} RECENT"),
                );
            }
        }
        if matches!(body, CommandBody::Expunge) {
            return;
        }
        // EXPUNGE: the count at that point is the server's last (or the model's, where
        // the server has not announced every message), less the EXPUNGEs before it. An
        // EXISTS later in the exchange may announce a message the EXPUNGE removed.
        let Some(mut count) = before.into_iter().chain(model).max() else {
            return;
        };
        for (i, c) in counts.iter().enumerate() {
            match c {
                Count::Exists(n) => count = count.max(*n),
                Count::Expunge(n) => {
                    let later_exists = counts[i..].iter().any(|c| matches!(c, Count::Exists(_)));
                    if (*n == 0 || *n > count) && !later_exists {
                        self.find(
                            step,
                            rule::EXPUNGE_REMOVED,
                            format!(
                                "EXPUNGE {n} names no message: the mailbox holds {count} at that point"
                            ),
                            format!("* n EXPUNGE with 1 <= n <= {count}"),
                            format!("* {n} EXPUNGE"),
                        );
                        return;
                    }
                    count = count.saturating_sub(1);
                }
                Count::Recent(_) => {}
            }
        }
    }

    /// The server counts `server` messages in the selected mailbox where the model holds
    /// `model`, every one of which this session put there. In a closed world that is a
    /// finding, citing the sentence the server's state breaks:
    /// - since the server last showed this mailbox's count, only APPENDs (or only COPYs)
    ///   answered OK added messages to it: the count may be true, and the command's OK was
    ///   not (RFC 2060 §6.3.11 "appends the literal argument as a new message", §6.4.7
    ///   "copies the specified message(s)"), more messages or fewer;
    /// - nothing added any: more messages than the session left is an EXISTS that does
    ///   not report the number of messages in the mailbox (§6.3.1 for SELECT and EXAMINE,
    ///   §7.3.1 otherwise); fewer is not claimed (which command removed them is unknown);
    /// - commands of several kinds, a RENAME from or to this name or a superior in the
    ///   session (it moves messages between names, INBOX's specially), or a command the
    ///   oracle skipped (refused unread) since the server last showed the count: no claim.
    ///
    /// Either way the oracle no longer knows which messages the server holds: returns the
    /// reason to stop following.
    pub(super) fn count_differs(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        model: usize,
        server: usize,
    ) -> Gap {
        const WHY: Gap = Gap::CountDiffers;
        if !self.world.is_closed() {
            return WHY;
        }
        self.settle_additions();
        let key = self
            .session
            .selection()
            .map(|s| Account::key(&s.mailbox))
            .unwrap_or_default();
        if let Some(gap) = self.count_after_rename(&key, model, server, "EXISTS") {
            return gap;
        }
        // A command the oracle skipped since the server last showed this count may have
        // changed it.
        if self.closed.confirmed_skips.get(&key).copied().unwrap_or(0) != self.closed.skips {
            return WHY;
        }
        let select = matches!(
            body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        );
        let mailbox = String::from_utf8_lossy(&key).into_owned();
        let added = self.closed.added.get(&key).cloned().unwrap_or_default();
        let seen_at = step
            .map(|s| format!(" at step {}", s + 1))
            .unwrap_or_default();
        let Some(&(_, kind)) = added.first() else {
            if server < model {
                return WHY;
            }
            self.find(
                step,
                if select {
                    rule::SELECT_EXISTS
                } else {
                    rule::EXISTS_COUNT
                },
                format!(
                    "{} reported {server} EXISTS for {mailbox}, which holds {model} message(s): \
                     the account is the session's own (reset before it, no other client), and \
                     nothing added a message to it since the server last showed its count",
                    body.name()
                ),
                format!("* {model} EXISTS"),
                format!("* {server} EXISTS"),
            );
            return WHY;
        };
        let id = match kind {
            "APPEND" => rule::APPENDS,
            "COPY" => rule::COPIES,
            _ => return WHY,
        };
        if added.iter().any(|(_, n)| *n != kind) {
            return WHY;
        }
        if server > model && self.closed.overlapping.contains(&key) {
            return WHY;
        }
        let at: Vec<String> = added
            .iter()
            .map(|(s, n)| match s {
                Some(s) => format!("{n} at step {}", s + 1),
                None => n.to_string(),
            })
            .collect();
        // One command to blame: the finding is its own.
        let blamed = match added.as_slice() {
            [(s, _)] => *s,
            _ => step,
        };
        let (differ, than) = if server < model {
            (model - server, "fewer")
        } else {
            (server - model, "more")
        };
        self.find(
            blamed,
            id,
            format!(
                "{kind} answered OK, yet the mailbox then holds {than} messages than the \
                 session's commands put there ({mailbox}: {server} message(s), {differ} \
                 {than}; {}{seen_at} reported {server} EXISTS; {})",
                body.name(),
                at.join(", ")
            ),
            format!("* {model} EXISTS"),
            format!("* {server} EXISTS"),
        );
        WHY
    }

    /// STATUS in a closed world: RECENT no more than MESSAGES (RFC 2060 §6.3.10), and
    /// UIDNEXT above the UIDs in use and unchanged while nothing was added.
    fn closed_status(&mut self, step: Option<usize>, name: &[u8], seen: &[Seen]) {
        let Some(items) = seen.iter().find_map(|s| match s {
            Seen::Status(i) => Some(i.clone()),
            _ => None,
        }) else {
            return;
        };
        let get = |k: &str| items.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        // STATUS of the selected mailbox: the model allows it the session's view (RFC 3501
        // §6.3.10: the STATUS command "SHOULD NOT be used on the currently selected
        // mailbox"), so its UIDNEXT is not held.
        let selected = self
            .session
            .selection()
            .is_some_and(|s| Account::key(&s.mailbox) == Account::key(name));
        if let (Some(r), Some(m)) = (get("RECENT"), get("MESSAGES")) {
            if r > m {
                self.find(
                    step,
                    rule::STATUS_RECENT,
                    format!("STATUS RECENT {r} is more than its own MESSAGES {m}"),
                    format!("RECENT n with n <= {m}"),
                    format!("RECENT {r}"),
                );
            }
        }
        if let Some(next) = get("UIDNEXT").filter(|_| !selected) {
            let validity = get("UIDVALIDITY");
            self.check_uid_next(
                step,
                name,
                next,
                validity,
                rule::STATUS_UIDNEXT,
                format!("STATUS UIDNEXT {next}"),
            );
        }
    }

    /// SELECT or EXAMINE in a closed world: RFC 3501 §6.3.1 `[UIDNEXT n]` held like STATUS
    /// UIDNEXT (RFC 2060 defines no UIDNEXT code).
    fn closed_select(&mut self, step: Option<usize>, name: &[u8], seen: &[Seen]) {
        if self.session.profile != Profile::Rfc3501 {
            return;
        }
        let code = |f: &dyn Fn(&WireCode<'static>) -> Option<u32>| {
            seen.iter().find_map(|s| match s {
                Seen::UntaggedOk(Some(c)) => f(c),
                _ => None,
            })
        };
        let next = code(&|c| match c {
            WireCode::UidNext(n) => Some(n.get()),
            _ => None,
        });
        let validity = code(&|c| match c {
            WireCode::UidValidity(v) => Some(v.get()),
            _ => None,
        });
        if let Some(next) = next {
            self.check_uid_next(
                step,
                name,
                next,
                validity,
                rule::SELECT_UIDNEXT_3501,
                format!("* OK [UIDNEXT {next}]"),
            );
        }
    }

    /// A UIDNEXT `next` for mailbox `name`: above the highest UID the server gave a message
    /// the mailbox still holds (under the same UIDVALIDITY), and the same as the last one
    /// given while no command could add a message. The oracle goes on from `next`.
    fn check_uid_next(
        &mut self,
        step: Option<usize>,
        name: &[u8],
        next: u32,
        validity: Option<u32>,
        id: &'static str,
        observed: String,
    ) {
        let key = Account::key(name);
        let highest = self
            .session
            .account(&self.store)
            .and_then(|a| a.get(&key))
            .filter(|mb| validity.is_none_or(|v| v == mb.uid_validity))
            .and_then(|mb| {
                mb.messages
                    .iter()
                    .filter(|m| m.uid_known)
                    .map(|m| m.uid)
                    .max()
            });
        let mut found = false;
        if let Some(high) = highest.filter(|h| next <= *h) {
            self.find(
                step,
                id,
                format!(
                    "UIDNEXT {next} is not above UID {high}, which a message of {} has: a new \
                     message's UID must be higher (RFC 2060 §2.3.1.1)",
                    String::from_utf8_lossy(name)
                ),
                format!("UIDNEXT above {high}"),
                observed.clone(),
            );
            found = true;
        }
        if let Some(&(before, v_before, at)) = self.closed.uid_next.get(&key) {
            let same_validity = match (v_before, validity) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if before != next && same_validity && !found {
                let when = at
                    .map(|s| format!(" at step {}", s + 1))
                    .unwrap_or_default();
                self.find(
                    step,
                    if self.session.profile == Profile::Rfc3501 {
                        rule::UIDNEXT_CHANGES_3501
                    } else {
                        rule::UIDNEXT_CHANGES
                    },
                    format!(
                        "UIDNEXT of {} is {next}; it was {before}{when}, and no command since \
                         could add a message",
                        String::from_utf8_lossy(name)
                    ),
                    format!("UIDNEXT {before}"),
                    observed,
                );
            }
        }
        self.closed.uid_next.insert(key, (next, validity, step));
    }
}

#[cfg(test)]
mod tests;
