//! The oracle: follows each session of a target with its own model instance
//! ([`crate::model`]) and checks every response against it.
//!
//! For each command the model runs on a copy of its state. The copy is kept when the
//! server's outcome agrees with the model's; when the server refuses a command the model
//! accepts, the model stays as it was (the RFC lets a server refuse for reasons of its own);
//! when the server accepts what the model refuses, that is a finding if the RFC says so,
//! and the oracle stops following the session, since it no longer knows the server's state.
//! It also stops where the model cannot predict the effects (a UID set over UIDs the server
//! has not shown, a count that disagrees with the model's): it never guesses. On an account
//! the tool owns for the session (an `exclusive` target) such a count is a finding first
//! (`oracle/closed.rs`).
//!
//! What the server may choose it learns and holds the server to afterwards: which
//! mailboxes exist (`LIST "" *`; before that, any name may exist), UIDs (from FETCH and
//! APPENDUID, checked for order, stability and reuse), UIDVALIDITY, internal dates and
//! flags it set itself (APPEND's and COPY's are SHOULDs), when it announces new messages,
//! and `[READ-ONLY]` on SELECT. `\Recent` is left to the server.
//!
//! Checks, each with its requirement id (`rfc/requirements.toml`): outcomes per state and
//! per error rule; SELECT/EXAMINE's required responses and codes; CAPABILITY; LOGOUT's BYE;
//! EXISTS counts and sizes announced by NOOP; EXPUNGE responses (which messages, and never
//! during FETCH, STORE or SEARCH); FETCH data (FLAGS, UID, RFC822.SIZE, INTERNALDATE,
//! ENVELOPE, BODY, BODYSTRUCTURE, `BODY[section]<partial>`, RFC822.*), `\Seen` set by a body
//! FETCH and not under EXAMINE; the UID item in UID command responses; UID sets;
//! SEARCH results (three-valued); STATUS counts; TRYCREATE; COPYUID counts; LIST names
//! against the pattern, separators, inferiors kept by DELETE and moved by RENAME; LSUB
//! and subscriptions; case variants of INBOX; X responses and undefined flags.
//!
//! A difference is reported with the sentence the server's bytes break, found from its
//! cause ([`super::Cause`]): FETCH data are explained against the message the server
//! serves before any item's own sentence is cited (`oracle/explain.rs`); a FETCH FLAGS that lacks
//! flags waits for the server's next FLAGS of that message (`oracle/flags.rs`); SEARCH SMALLER and
//! LARGER are held to the sizes the server itself gives (`oracle/search.rs`); a COPY of a set that
//! repeats a message may copy it once or once per mention (`oracle/copy.rs`).

use std::collections::BTreeMap;

use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, ResponseCodec};
use imap_types::command::CommandBody;
use imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName};
use imap_types::response::{Code as WireCode, Data, Response, Status, StatusKind};
use imap_types::status::StatusDataItem;

use super::lex::{self, Tok, TokKind};
use super::{Kind, Verdict};
use crate::model::account::Account;
use crate::model::flags::FlagSet;
use crate::model::response::{Outcome, Reply, Untagged};
use crate::model::session::{Session, State, Store};
use crate::model::Profile;
use crate::wire::{escape, End, Exchange, Message, Transcript};

mod auth;
mod check_ok;
mod closed;
mod copy;
mod exchange;
mod explain;
mod fetch_check;
mod flags;
#[cfg(test)]
mod follow_tests;
mod gap;
#[cfg(test)]
mod lab_cases;
mod learn;
mod lenient;
mod mailboxes;
mod mutated;
mod reading;
mod search;
#[cfg(test)]
mod unshown_tests;
mod unsure;

use reading::*;
pub(in crate::judge) use reading::{fetch_items, flags_of, read};

pub use gap::{ranked, Gap, Skip, Stop, Tally};

/// How far the oracle could follow a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Exchanges checked against the model.
    pub judged: usize,
    /// Exchanges in the session.
    pub total: usize,
    /// Why the oracle stopped following, if it did.
    pub stopped: Option<Stop>,
    /// The script step it stopped at (`None`: in the setup, or it did not stop).
    pub stopped_at: Option<usize>,
    /// It stopped at or after an exchange where the server broke a rule
    /// ([`Coverage::mark_fault`]): the exchanges it did not follow are lost to the
    /// server's fault, not to a gap in the model.
    pub after_fault: bool,
    /// It stopped at a state that breaks a rule whichever command is to blame, where no
    /// one command can be named (so no finding): e.g. INBOX holding more messages after a
    /// `RENAME INBOX` and APPENDs than the APPENDs added.
    pub fault_unattributed: bool,
    /// What it passed over and followed on (lines it could not read, commands whose
    /// effect is bounded by their responses), with how often.
    pub skipped: BTreeMap<Skip, u64>,
    /// For each script step the oracle followed to its end: the UIDs of the selected
    /// mailbox it knows and the model message each identifies (the differential judge
    /// compares targets by these identities).
    pub identities: Vec<Option<BTreeMap<u32, u64>>>,
}

impl Coverage {
    /// Marks the stop as following the server's own fault when `verdicts` hold one for
    /// `target` at or before the step it stopped at: a violation, syntax finding, crash
    /// or timeout at a script step (findings of the setup, such as the capabilities the
    /// greeting offers, change nothing the oracle follows), or a crash or timeout that
    /// ended the session.
    pub fn mark_fault(&mut self, target: &str, verdicts: &[Verdict]) {
        if self.stopped.is_none() {
            return;
        }
        let at = self.stopped_at;
        self.after_fault = self.fault_unattributed
            || verdicts.iter().any(|v| {
                v.targets.iter().any(|t| t == target)
                    && match v.kind {
                        Kind::Crash | Kind::Timeout => true,
                        Kind::Violation | Kind::Syntax => {
                            v.step.is_some() && at.is_some() && v.step <= at
                        }
                        _ => false,
                    }
            });
    }
}

pub use closed::World;

/// Requirement ids the oracle cites besides the model's own (`model::session::rule`).
pub mod rule {
    pub const SELECT_UNTAGGED: &str = "2060-6.3.1-untagged-before-ok";
    pub const SELECT_UIDNEXT: &str = "3501-6.3.1-untagged-before-ok";
    pub const EXISTS_SHRINK_3501: &str = "3501-5.2-exists-not-shrink";
    pub const EXAMINE_READ_ONLY: &str = "2060-6.3.2-read-only-code";
    pub const EXAMINE_NO_CHANGES: &str = "2060-6.3.2-no-changes";
    pub const EXISTS_COUNT: &str = "2060-7.3.1-count";
    pub const UID_SET: &str = "2060-6.4.8-uid-set";
    pub const NONEXISTENT_UID_3501: &str = "3501-6.4.8-nonexistent-uid-ignored";
    pub const UNSEEN_CODE: &str = "2060-7.1-unseen-code";
    pub const EXPUNGE_EACH: &str = "2060-6.4.3-expunge-responses";
    pub const EXPUNGE_FORBIDDEN: &str = "2060-7.4.1-not-idle-fetch-store-search";
    pub const FETCH_DATA: &str = "2060-6.4.5-retrieves-data";
    pub const FLAGS_VALUE: &str = "2060-6.4.5-flags";
    pub const UID_ASCENDING: &str = "2060-2.3.1.1-uid-strictly-ascending";
    pub const UID_IN_UID_FETCH: &str = "2060-6.4.8-implicit-uid";
    pub const SIZE_VALUE: &str = "2060-6.4.5-rfc822-size";
    pub const INTERNALDATE_APPEND: &str = "2060-6.3.11-internaldate-set";
    pub const ENVELOPE_VALUE: &str = "2060-6.4.5-envelope";
    pub const BODYSTRUCTURE_VALUE: &str = "2060-6.4.5-bodystructure";
    pub const SECTION_VALUE: &str = "2060-6.4.5-body-section";
    pub const SEARCH_RESULT: &str = "2060-6.4.4-sequence-numbers";
    pub const STATUS_UNSEEN: &str = "2060-6.3.10-unseen";
    pub const SEARCH_REQUIRED: &str = "2060-6.4.4-responses-required";
    pub const STATUS_VALUE: &str = "2060-6.3.10-messages";
    pub const STATUS_REQUIRED: &str = "2060-6.3.10-requests-status";
    pub const APPEND_TRYCREATE: &str = "2060-6.3.11-trycreate";
    pub const COPY_TRYCREATE: &str = "2060-6.4.7-trycreate";
    pub const LOGOUT_BYE: &str = "2060-6.1.3-bye-before-ok";
    pub const BAD_MEANING: &str = "2060-7.1.3-tagged-protocol-error";
    pub const BODY_NO_EXTENSION: &str = "2060-7.4.2-body-no-extension";
    pub const COPY_SET: &str = "2060-6.4.7-copies-to-end";
    pub const EXAMINE_REQUIRED: &str = "2060-6.3.2-responses-required";
    pub const CAPABILITY_REQUIRED: &str = "2060-6.1.1-responses-required";
    pub const CAPABILITY_SINGLE: &str = "2060-6.1.1-single-response-with-imap4rev1";
    pub const IMAP4_FIRST: &str = "2060-9-imap4-first";
    pub const SIZE_UPDATES: &str = "2060-5.2-size-updates";
    pub const NAMES_MATCH: &str = "2060-6.3.8-names-match-pattern";
    pub const SAME_SEPARATOR: &str = "2060-7.2.2-same-separator";
    pub const X_RESPONSES: &str = "2060-6.5.1-no-unrequested-x-responses";
    pub const FLAG_EXTENSION: &str = "2060-9-flag-extension-not-generated";
    pub const DEFAULT_SENDER: &str = "2060-7.4.2-default-sender-reply-to";
    pub const RECREATED_UIDS: &str = "2060-6.3.3-recreated-uids-greater";
    pub const SEEN_SET: &str = "2060-6.4.5-seen-set";
    pub const KEEP_INFERIORS: &str = "2060-6.3.4-keep-inferiors";
    pub const RENAME_INFERIORS: &str = "2060-6.3.5-rename-inferiors";
    pub const ADDS_TO_LSUB: &str = "2060-6.3.6-adds-to-lsub";
    pub const KEEPS_SUBSCRIPTION: &str = "2060-6.3.9-no-unilateral-removal";
    pub const REMOVES_FROM_LSUB: &str = "2060-6.3.7-removes-from-lsub";
    pub const INBOX_VARIANTS: &str = "2060-9-inbox-case-variants";
    pub const TRAILING_SEPARATOR: &str = "2060-6.3.3-trailing-separator-ignored";
    pub const MUTF7_NO_ENCODED_ASCII: &str = "2060-5.1.3-mutf7-no-encoded-ascii";
    pub const MUTF7_END_ASCII: &str = "2060-5.1.3-mutf7-end-ascii";
    pub const DECODE_BEFORE_COMPARE: &str = "2060-6.4.4-decode-before-compare";
    pub const HEADERS_7BIT: &str = "2060-7.4.2-headers-7bit";
    pub const CANCEL_BAD: &str = "2060-6.2.1-cancel-bad";
    pub const AUTHENTICATE_BASE64: &str = "2060-6.2.1-answer-base64";
    pub const UNSUPPORTED_MECHANISM: &str = "2060-6.2.1-unsupported-mechanism-no";
    pub const CASE_INSENSITIVE: &str = "2060-9-case-insensitive";
    pub const NAME_SELECTABLE: &str = "2060-7.2.2-name-selectable";
    pub const NAME_VALID_REFERENCE: &str = "2060-7.2.2-name-valid-reference";
    pub const APPEND_ATOMIC: &str = "2060-6.3.11-atomic";
    pub const COPY_ATOMIC: &str = "2060-6.4.7-atomic";
    pub const STATUS_NO_SIDE_EFFECTS: &str = "2060-6.3.10-no-side-effects";
    pub const UNDEFINED_EXTENSION_1PART: &str = "2060-7.4.2-no-undefined-extension-data";
    pub const UNDEFINED_EXTENSION_MPART: &str = "2060-9-body-extension-not-generated";

    /// Requirements the checks above test besides the id their findings name.
    pub const ALSO_COVERED: &[(&str, &str)] = &[
        ("2060-3.1-auth-required", "the state check: before LOGIN only CAPABILITY, NOOP, LOGOUT, LOGIN and AUTHENTICATE may succeed"),
        ("2060-6.2.1-ok-authenticated", "an AUTHENTICATE answered OK puts the oracle's session in the authenticated state, where LOGIN and AUTHENTICATE must not succeed and the state check applies"),
        ("2060-3.2-select-required", "the state check: CHECK, CLOSE, EXPUNGE, SEARCH, FETCH, STORE, COPY and UID need a selected mailbox"),
        ("2060-6.1.3-responses-required", "LOGOUT's BYE"),
        ("2060-6.3.1-responses-required", "SELECT's required untagged responses"),
        ("2060-6.3.11-no-autocreate", "APPEND to a missing mailbox must fail (the mailbox is not created)"),
        ("2060-2.3.1.1-uid-stable-in-session", "a message's UID shown twice must not change"),
        ("2060-2.3.1.2-seq-ordered-by-uid", "UIDs ascend with sequence numbers"),
        ("2060-9-uniqueid-ascending", "UIDs ascend with sequence numbers"),
        ("2060-5.1.1-hierarchy-single-char", "the LIST delimiter read as one character (the strict decoder of judge::syntax rejects more)"),
        ("2060-6.3.6-no-unilateral-removal", "LSUB \"\" * still shows a subscribed name whose mailbox was deleted"),
        ("2060-9-body-ext-1part-not-on-body", "BODY without extension data"),
        ("2060-9-body-ext-mpart-not-on-body", "BODY without extension data"),
        ("2060-6.3.4-preserve-highest-uid", "UIDs of a mailbox re-created under the same UIDVALIDITY"),
        ("2060-6.3.5-preserve-highest-uid", "UIDs of a mailbox re-created under the same UIDVALIDITY"),
        ("2060-2.3.1.1-new-uidvalidity-if-uids-change", "UIDs of a mailbox re-created under the same UIDVALIDITY"),
        ("2060-2.3.1.1-uidvalidity-greater-if-not-persistent", "UIDs of a mailbox re-created under the same UIDVALIDITY"),
    ];
}

/// The client's answers in an AUTHENTICATE exchange (RFC 2060 §6.2.1): every client line
/// after the command line, without its CRLF.
fn authenticate_answers(e: &Exchange) -> Vec<Vec<u8>> {
    e.command()
        .fragments
        .iter()
        .skip(1)
        .filter_map(|f| match f {
            crate::wire::Fragment::Line(l) => Some(crate::wire::strip_eol(l).to_vec()),
            crate::wire::Fragment::Literal(_) => None,
        })
        .collect()
}

/// One server response, as the oracle reads it.
#[derive(Debug)]
pub(super) enum Seen {
    Exists(u32),
    Recent,
    Expunge(u32),
    /// A FLAGS response and its flags.
    Flags(Vec<String>),
    /// A CAPABILITY response and its capabilities.
    Capability(Vec<String>),
    /// Sequence number and the items as `(NAME, value)`, names upper-cased.
    Fetch(u32, Vec<(String, Tok)>),
    Search(Vec<u32>),
    Status(Vec<(String, u32)>),
    /// A LIST response: the name, whether it is `\Noselect`, and the delimiter.
    List(Vec<u8>, bool, Option<char>),
    /// An LSUB response: the name.
    Lsub(Vec<u8>),
    UntaggedOk(Option<WireCode<'static>>),
    Bye,
    Other,
    /// Did not decode; the syntax judge reports it.
    Unreadable,
}

/// The tagged completion as the oracle reads it.
struct Done {
    outcome: Outcome,
    code: Option<WireCode<'static>>,
}

fn outcome_of(k: StatusKind) -> Outcome {
    match k {
        StatusKind::Ok => Outcome::Ok,
        StatusKind::No => Outcome::No,
        StatusKind::Bad => Outcome::Bad,
    }
}

/// Follows one session of one target.
pub struct Oracle {
    target: String,
    session: Session,
    store: Store,
    verdicts: Vec<Verdict>,
    coverage: Coverage,
    /// UIDs seen per mailbox and message identity, to check they are never reused.
    uids_seen: BTreeMap<Vec<u8>, BTreeMap<u32, u64>>,
    /// The UIDVALIDITY the server last showed per mailbox: when it changes, the UIDs seen
    /// before it bind nothing (RFC 2060 §2.3.1.1).
    validity_shown: BTreeMap<Vec<u8>, u32>,
    /// Hierarchy separator the server showed per top-level name (RFC 2060 §7.2.2).
    separators: BTreeMap<Vec<u8>, u8>,
    /// Mailboxes deleted or renamed away: their UIDVALIDITY and highest UID seen, which a
    /// mailbox later made under the same name must not reuse (RFC 2060 §6.3.3).
    gone: BTreeMap<Vec<u8>, (u32, u32)>,
    /// Messages a FETCH of a body section (not PEEK) marked \\Seen, by identity: the step.
    implicit_seen: BTreeMap<u64, Option<usize>>,
    /// Names SUBSCRIBEd in this session, and whether the mailbox was deleted since.
    subscribed: BTreeMap<Vec<u8>, bool>,
    /// Names UNSUBSCRIBEd in this session.
    unsubscribed: std::collections::BTreeSet<Vec<u8>>,
    /// Inferiors a DELETE had to keep or a RENAME had to move, with that requirement: a
    /// `LIST "" *` must show them while the model holds them.
    must_list: BTreeMap<Vec<u8>, &'static str>,
    /// Every command line the client sent in this session.
    client_text: Vec<u8>,
    /// The message count the server last announced for the selected mailbox (EXISTS,
    /// less the EXPUNGEs since).
    announced: Option<usize>,
    /// Names the server listed (LIST or LSUB) that the model still holds, and whether
    /// they were `\Noselect`.
    listed: BTreeMap<Vec<u8>, bool>,
    /// Mailboxes a refused APPEND or COPY was aimed at: the requirement that it leave
    /// them unchanged, and its step.
    failed_into: BTreeMap<Vec<u8>, (&'static str, Option<usize>)>,
    /// RECENT counts STATUS reported per mailbox (not the selected one) since the last
    /// command that could change one: another STATUS must report the same.
    status_recent: BTreeMap<Vec<u8>, (u32, Option<usize>)>,
    /// The message the server served in full (BODY[], RFC822, or header and text in one
    /// response), by identity, when it differs from the appended one.
    served: BTreeMap<u64, Vec<u8>>,
    /// Messages the server was shown to store with other bytes than were appended.
    altered: std::collections::BTreeSet<u64>,
    /// FETCH items that differ and that nothing explained yet ([`explain`]).
    pending: Vec<explain::Pending>,
    /// Findings with a cause already made in this session, by (rule, cause): the index
    /// of the verdict, which later evidence joins.
    cause_found: BTreeMap<(String, super::Cause), usize>,
    /// Every RFC822.SIZE the server gave for each message (or the length of the whole
    /// message it sent), with the step and the item; a server that rewrites its store
    /// may give several.
    own_size: BTreeMap<u64, Vec<(u32, Option<usize>, String)>>,
    /// Searches by size whose result differs from the model's ([`search`]).
    size_searches: Vec<search::SizeSearch>,
    /// The command being judged, as sent.
    command_line: Vec<u8>,
    /// FETCH FLAGS that lacked flags, until the server shows those messages' flags again
    /// ([`flags`]).
    flag_claims: Vec<flags::FlagClaim>,
    /// Messages whose UID the oracle deduced from UIDNEXT rather than saw ([`unsure`]).
    deduced_uids: std::collections::BTreeSet<u64>,
    /// The other side of a CLOSE applied on a prediction of flags ([`unsure::CloseFlip`]).
    close_flip: Option<unsure::CloseFlip>,
    /// Whether the tool owns the account for the session ([`closed`]).
    world: World,
    /// What the closed world remembers between exchanges.
    closed: closed::Memory,
}

impl Oracle {
    pub fn new(target: &str, profile: Profile, world: World) -> Oracle {
        let mut session = Session::new(profile, crate::serve::now());
        session.follower = true;
        Oracle {
            target: target.to_string(),
            session,
            store: Store::open(b'.'),
            verdicts: Vec::new(),
            coverage: Coverage::default(),
            uids_seen: BTreeMap::new(),
            validity_shown: BTreeMap::new(),
            separators: BTreeMap::new(),
            gone: BTreeMap::new(),
            implicit_seen: BTreeMap::new(),
            subscribed: BTreeMap::new(),
            unsubscribed: Default::default(),
            must_list: BTreeMap::new(),
            status_recent: BTreeMap::new(),
            failed_into: BTreeMap::new(),
            listed: BTreeMap::new(),
            client_text: Vec::new(),
            announced: None,
            served: BTreeMap::new(),
            altered: Default::default(),
            pending: Vec::new(),
            cause_found: BTreeMap::new(),
            own_size: BTreeMap::new(),
            size_searches: Vec::new(),
            command_line: Vec::new(),
            flag_claims: Vec::new(),
            deduced_uids: Default::default(),
            close_flip: None,
            world,
            closed: closed::Memory::default(),
        }
    }

    /// RFC 2060 §7.2.2: a name LIST returned "MUST be valid for use as a reference in
    /// LIST and LSUB commands" and, unless `\Noselect`, "valid as an argument for
    /// commands, such as SELECT, that accept mailbox names". A BAD (the name is not
    /// valid), or a NO that says the mailbox does not exist (`[TRYCREATE]`, RFC 5530
    /// `[NONEXISTENT]`), for a name the server listed and the model still holds is a
    /// violation. True if it found one.
    fn listed_name_refused(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        reply: &Reply,
        done: &Done,
    ) -> bool {
        if reply.completion.outcome != Outcome::Ok {
            return false;
        }
        let (name, id) = match body {
            CommandBody::Select { mailbox, .. }
            | CommandBody::Examine { mailbox, .. }
            | CommandBody::Status { mailbox, .. } => {
                (mailbox_bytes(mailbox), rule::NAME_SELECTABLE)
            }
            CommandBody::List { reference, .. } | CommandBody::Lsub { reference, .. } => {
                (mailbox_bytes(reference), rule::NAME_VALID_REFERENCE)
            }
            _ => return false,
        };
        let key = Account::key(&name);
        let Some(&noselect) = self.listed.get(&key) else {
            return false;
        };
        // Deleted or renamed away since it was listed: the name is free again.
        let held = self
            .session
            .account(&self.store)
            .and_then(|a| a.get(&name))
            .is_some_and(|m| m.selectable != noselect);
        if !held {
            return false;
        }
        if noselect && id == rule::NAME_SELECTABLE {
            return false;
        }
        let says_missing = match &done.code {
            Some(WireCode::TryCreate) => true,
            Some(WireCode::Other(o)) => o.inner().eq_ignore_ascii_case(b"NONEXISTENT"),
            _ => false,
        };
        let refused = done.outcome == Outcome::Bad || (done.outcome == Outcome::No && says_missing);
        if !refused {
            return false;
        }
        let shown = String::from_utf8_lossy(&name).into_owned();
        self.find(
            step,
            id,
            format!(
                "{} refused the name {shown:?} ({}{}), which the server listed{}",
                body.name(),
                done.outcome.as_str(),
                if says_missing { ", as missing" } else { "" },
                if noselect {
                    " (\\Noselect)"
                } else {
                    " without \\Noselect"
                }
            ),
            "OK: a listed name is valid as a mailbox name and as a LIST reference".into(),
            done.outcome.as_str().to_string(),
        );
        true
    }

    /// A mailbox holds more messages (`server`) than the model (`model`) after an APPEND
    /// or COPY into it was refused: the refused command left messages behind (RFC 2060
    /// §6.3.11 "no partial appending is permitted", §6.4.7 "restore the destination").
    /// The oracle follows a session only while the model accounts for every message, so
    /// the refused command is the one whose effect the model did not apply.
    fn left_behind(
        &mut self,
        step: Option<usize>,
        mailbox: Option<Vec<u8>>,
        model: usize,
        server: usize,
        expected: &str,
    ) {
        let Some((id, at)) = mailbox.and_then(|k| self.failed_into.get(&k).copied()) else {
            return;
        };
        let verb = if id == rule::APPEND_ATOMIC {
            "APPEND"
        } else {
            "COPY"
        };
        let when = at
            .map(|s| format!(" at step {}", s + 1))
            .unwrap_or_default();
        self.find(
            step,
            id,
            format!(
                "the mailbox holds {server} messages, {} more than the model, after a refused \
                 {verb}{when} into it",
                server - model
            ),
            expected.to_string(),
            format!("{server} messages"),
        );
    }

    /// What a UID command that acted on messages outside its set breaks: RFC 2060 says the
    /// numbers are UIDs (§6.4.8); RFC 3501 adds that non-existent ones are ignored.
    fn uid_set_rule(&self) -> &'static str {
        match self.session.profile {
            Profile::Rfc2060 => rule::UID_SET,
            Profile::Rfc3501 => rule::NONEXISTENT_UID_3501,
        }
    }

    fn stop(&mut self, why: impl Into<Stop>) {
        if self.coverage.stopped.is_none() {
            self.coverage.stopped = Some(why.into());
        }
    }

    /// Counts something passed over without stopping.
    fn skip(&mut self, what: Skip) {
        *self.coverage.skipped.entry(what).or_default() += 1;
    }

    fn live(&self) -> bool {
        self.coverage.stopped.is_none()
    }

    /// Records a finding against requirement `id`: a violation for a MUST, MUST NOT or a
    /// definition, a warning for a SHOULD or SHOULD NOT.
    fn find(
        &mut self,
        step: Option<usize>,
        id: &str,
        summary: String,
        expected: String,
        observed: String,
    ) {
        let Some(kind) = super::requirement_kind(id) else {
            return;
        };
        let kind = if id == rule::BAD_MEANING {
            Kind::Warning
        } else {
            kind
        };
        self.verdicts.push(Verdict {
            kind,
            targets: vec![self.target.clone()],
            step,
            rule: Some(id.to_string()),
            summary,
            expected,
            observed,
            cause: None,
        });
    }

    /// Judges a whole transcript.
    pub fn judge(mut self, t: &Transcript) -> (Vec<Verdict>, Coverage) {
        self.coverage.total = t.setup.len() + t.script.len();
        match &t.greeting {
            Some(g) if g.first_line().starts_with(b"* PREAUTH") => {
                self.session.user = Some("preauth".into());
                self.session.state = State::Authenticated;
            }
            Some(g) if g.first_line().starts_with(b"* OK") => {}
            _ => self.stop(Gap::NoGreeting),
        }
        for (i, e) in t.setup.iter().enumerate() {
            if !self.live() {
                break;
            }
            let last = i + 1 == t.setup.len() && t.script.is_empty();
            if self.authenticate(None, e, last.then_some(&t.end)) {
                continue;
            }
            self.exchange(None, e);
        }
        self.own_account();
        for (i, e) in t.script.iter().enumerate() {
            if !self.live() {
                break;
            }
            let last = i + 1 == t.script.len();
            if !self.authenticate(Some(i), e, last.then_some(&t.end)) {
                self.exchange(Some(i), e);
            }
            if !self.live() && self.coverage.stopped_at.is_none() {
                self.coverage.stopped_at = Some(i);
            }
            let identity = self.live().then(|| self.identity()).flatten();
            self.coverage.identities.push(identity);
        }
        self.judge_flag_claims();
        self.judge_pending();
        self.judge_size_searches();
        (self.verdicts, self.coverage)
    }

    /// UID → model message id in the selected mailbox, for the UIDs the oracle knows.
    fn identity(&self) -> Option<BTreeMap<u32, u64>> {
        let sel = self.session.selection()?;
        let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
        Some(
            mb.messages
                .iter()
                .filter(|m| m.uid_known)
                .map(|m| (m.uid, m.id))
                .collect(),
        )
    }
}

/// Judges one transcript of one target with the oracle, in an open world (a shared
/// account).
pub fn judge_oracle(target: &str, t: &Transcript, profile: Profile) -> (Vec<Verdict>, Coverage) {
    judge_oracle_in(target, t, profile, World::Open)
}

/// Judges one transcript of one target with the oracle, in the world the target declares
/// (`exclusive`: [`World::Closed`]).
pub fn judge_oracle_in(
    target: &str,
    t: &Transcript,
    profile: Profile,
    world: World,
) -> (Vec<Verdict>, Coverage) {
    Oracle::new(target, profile, world).judge(t)
}

#[cfg(test)]
mod tests;
