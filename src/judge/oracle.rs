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

mod closed;
mod copy;
mod explain;
mod flags;
#[cfg(test)]
mod follow_tests;
mod gap;
#[cfg(test)]
mod lab_cases;
mod lenient;
mod mutated;
mod search;
mod unsure;

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
    /// What it passed over and followed on (lines it could not read, commands whose
    /// effect is bounded by their responses), with how often.
    pub skipped: BTreeMap<Skip, u64>,
    /// For each script step the oracle followed to its end: the UIDs of the selected
    /// mailbox it knows and the model message each identifies (the differential judge
    /// compares targets by these identities).
    pub identities: Vec<Option<BTreeMap<u32, u64>>>,
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

/// FETCH items read from a `* n FETCH (...)` message with the lexer, so that data are
/// compared as IMAP values whatever their form (quoted or literal).
/// The ENVELOPE of a message as a server that names addresses by their comments sends it
/// ([`crate::model::message::Message::envelope_comment_names`]).
fn comment_named_envelope(seq: u32, m: &crate::model::message::Message) -> Option<Tok> {
    let item = crate::model::response::FetchItem::Envelope(m.envelope_comment_names());
    let mut bytes = Vec::new();
    Untagged::Fetch(seq, vec![item]).write(&mut bytes);
    fetch_items(&bytes)?.1.into_iter().next().map(|(_, t)| t)
}

pub(super) fn fetch_items(bytes: &[u8]) -> Option<(u32, Vec<(String, Tok)>)> {
    let toks = lex::items(bytes, 2)?;
    let seq: u32 = std::str::from_utf8(toks.first()?.atom()?)
        .ok()?
        .parse()
        .ok()?;
    if !toks.get(1)?.atom()?.eq_ignore_ascii_case(b"FETCH") {
        return None;
    }
    let list = toks.get(2)?.list()?;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < list.len() {
        let name = String::from_utf8_lossy(list[i].atom()?).to_ascii_uppercase();
        out.push((normalize_item_name(&name), list[i + 1].clone()));
        i += 2;
    }
    Some((seq, out))
}

/// `BODY[HEADER.FIELDS ("From" to)]` and `BODY[HEADER.FIELDS (FROM TO)]` name the same
/// item: upper-case, no quotes, single spaces.
///
/// RFC 2060 §6.4.5 fixes no order for the field names a server echoes back in
/// `HEADER.FIELDS (...)`: the names of the list are sorted, so that an echo in another
/// order names the same item.
fn normalize_item_name(name: &str) -> String {
    let s: String = name.chars().filter(|c| *c != '"').collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = s
        .find("HEADER.FIELDS")
        .and_then(|i| s[i..].find('(').map(|j| i + j))
    else {
        return s;
    };
    let Some(close) = s[open..].find(')').map(|j| open + j) else {
        return s;
    };
    let mut names: Vec<&str> = s[open + 1..close]
        .split(' ')
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    format!("{}({}){}", &s[..open], names.join(" "), &s[close + 1..])
}

pub(super) fn read(m: &Message) -> Seen {
    read_counted(m).0
}

/// Reads an untagged response, and says whether only the lenient reader made sense of
/// it ([`Skip::ReadLeniently`]) or nothing did ([`Skip::UnreadableUntagged`]).
fn read_counted(m: &Message) -> (Seen, Option<Skip>) {
    let bytes = m.to_bytes();
    if m.is_continuation() {
        return (Seen::Other, None);
    }
    let decoded = ResponseCodec::default().decode(&bytes);
    let Ok((_, resp)) = decoded else {
        // Extension or malformed: FETCH is still read by the lexer, and other shapes by
        // the lenient reader.
        if let Some((seq, items)) = fetch_items(&bytes) {
            return (Seen::Fetch(seq, items), Some(Skip::ReadLeniently));
        }
        return match lenient::read(&bytes) {
            Some(seen) => (seen, Some(Skip::ReadLeniently)),
            None => (Seen::Unreadable, Some(Skip::UnreadableUntagged)),
        };
    };
    match read_decoded(resp, &bytes) {
        Seen::Unreadable => (Seen::Unreadable, Some(Skip::UnreadableUntagged)),
        seen => (seen, None),
    }
}

fn read_decoded(resp: Response<'_>, bytes: &[u8]) -> Seen {
    match resp {
        Response::Data(Data::Exists(n)) => Seen::Exists(n),
        Response::Data(Data::Recent(_)) => Seen::Recent,
        Response::Data(Data::Expunge(n)) => Seen::Expunge(n.get()),
        Response::Data(Data::Flags(f)) => Seen::Flags(f.iter().map(|x| x.to_string()).collect()),
        Response::Data(Data::Capability(c)) => {
            Seen::Capability(c.as_ref().iter().map(|x| x.to_string()).collect())
        }
        Response::Data(Data::Fetch { .. }) => match fetch_items(bytes) {
            Some((seq, items)) => Seen::Fetch(seq, items),
            None => Seen::Unreadable,
        },
        Response::Data(Data::Search(n, ..)) => Seen::Search(n.iter().map(|x| x.get()).collect()),
        Response::Data(Data::List {
            items,
            mailbox,
            delimiter,
        }) => {
            let name = match mailbox {
                imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
                imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
            };
            let noselect = items
                .iter()
                .any(|i| format!("{i:?}").to_ascii_lowercase().contains("noselect"));
            Seen::List(name, noselect, delimiter.map(|d| d.inner()))
        }
        Response::Data(Data::Lsub { mailbox, .. }) => Seen::Lsub(mailbox_bytes(&mailbox)),
        Response::Data(Data::Status { items, .. }) => {
            let items = items
                .iter()
                .filter_map(|i| match i {
                    StatusDataItem::Messages(n) => Some(("MESSAGES".into(), *n)),
                    StatusDataItem::Recent(n) => Some(("RECENT".into(), *n)),
                    StatusDataItem::UidNext(n) => Some(("UIDNEXT".into(), n.get())),
                    StatusDataItem::UidValidity(n) => Some(("UIDVALIDITY".into(), n.get())),
                    StatusDataItem::Unseen(n) => Some(("UNSEEN".into(), *n)),
                    _ => None,
                })
                .collect();
            Seen::Status(items)
        }
        Response::Status(Status::Untagged(b)) if b.kind == StatusKind::Ok => {
            Seen::UntaggedOk(b.code.map(imap_types::IntoStatic::into_static))
        }
        Response::Status(Status::Bye(_)) => Seen::Bye,
        _ => Seen::Other,
    }
}

/// Whether the exchange ended in a tagged BAD with nothing else but continuation requests
/// and untagged BAD responses.
fn rejected_without_data(e: &Exchange) -> bool {
    let (Some(done), Some("BAD")) = (e.completion(), e.status().as_deref()) else {
        return false;
    };
    e.responses()
        .filter(|m| !std::ptr::eq(*m, done))
        .all(|m| m.is_continuation() || m.first_line().to_ascii_uppercase().starts_with(b"* BAD"))
}

/// Whether the command carried a non-synchronizing literal (RFC 2088 `{n+}`) and was
/// answered BAD together with an answer tagged with the literal's first word: the server
/// read the literal as a command line (the `literal-plus-unadvertised` mutation).
fn unadvertised_literal_refused(e: &Exchange) -> bool {
    if e.status().as_deref() != Some("BAD") {
        return false;
    }
    let inner = crate::wire::non_sync_literal_tag(&e.command());
    inner.is_some_and(|tag| e.responses().any(|m| m.tag() == tag.as_slice()))
}

/// A message whose bytes every server must store unchanged: CRLF line ends only, 7-bit,
/// no NUL (RFC 2060 §6.3.11 lets a server convert 8-bit data, and bare CR or LF are not
/// RFC 822).
fn is_clean(raw: &[u8]) -> bool {
    let mut prev = 0u8;
    for &b in raw {
        if b == 0 || b >= 0x80 {
            return false;
        }
        if b == b'\n' && prev != b'\r' {
            return false;
        }
        if prev == b'\r' && b != b'\n' {
            return false;
        }
        prev = b;
    }
    prev != b'\r'
}

/// Whether two IMAP values agree, upper/lower case aside where `ci`; a server may add
/// parameters (`(name value ...)` lists) and trailing extension data to BODYSTRUCTURE.
/// `tag name CRLF` where the name has a lower-case letter: a command with no
/// arguments, sent in lower or mixed case.
fn only_a_recased_name(command: &[u8]) -> bool {
    let line = command.strip_suffix(b"\r\n").unwrap_or(command);
    let mut words = line.split(|&b| b == b' ');
    let (Some(_tag), Some(name), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    name.iter().all(u8::is_ascii_alphabetic) && name.iter().any(u8::is_ascii_lowercase)
}

/// Extension data in a body structure beyond what a revision of IMAP4rev1 defines:
/// `Some((multipart, count))` for the first part that has any. RFC 2060 §7.4.2 defines,
/// after a single part's fields (and the line count of TEXT, the envelope, body and line
/// count of MESSAGE/RFC822), MD5, disposition and language; after a multipart's parts and
/// subtype, parameters, disposition and language. RFC 3501 §7.4.2 added location to
/// both. "Any following extension data are not yet defined": §7.4.2 (single part) and
/// §9 `body_extension` (both) forbid sending it.
fn undefined_extension(body: &Tok) -> Option<(bool, usize)> {
    let l = body.list()?;
    let defined_ext = 4;
    if l.first()?.list().is_some() {
        let parts = l.iter().take_while(|t| t.list().is_some()).count();
        if let Some(inner) = l[..parts].iter().find_map(undefined_extension) {
            return Some(inner);
        }
        let extra = l.len().saturating_sub(parts + 1 + defined_ext);
        return (extra > 0).then_some((true, extra));
    }
    let is = |i: usize, v: &[u8]| {
        l.get(i)
            .and_then(Tok::text)
            .is_some_and(|t| t.eq_ignore_ascii_case(v))
    };
    let base = if is(0, b"TEXT") {
        8
    } else if is(0, b"MESSAGE") && is(1, b"RFC822") {
        if let Some(inner) = l.get(8).and_then(undefined_extension) {
            return Some(inner);
        }
        10
    } else {
        7
    };
    let extra = l.len().saturating_sub(base + defined_ext);
    (extra > 0).then_some((false, extra))
}

/// The value with every run of SP, HTAB, CR and LF inside its strings made one SP, and
/// none at either end.
fn collapse_whitespace(t: &Tok) -> Tok {
    let kind = match &t.kind {
        TokKind::Str(b) => {
            let words: Vec<&[u8]> = b
                .split(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                .filter(|w| !w.is_empty())
                .collect();
            TokKind::Str(words.join(&b' '))
        }
        TokKind::List(l) => TokKind::List(l.iter().map(collapse_whitespace).collect()),
        other => other.clone(),
    };
    Tok { kind, span: t.span }
}

fn value_matches(model: &Tok, server: &Tok, ci: bool, extensible: bool) -> bool {
    match (&model.kind, &server.kind) {
        (TokKind::List(a), TokKind::List(b)) => {
            let is_params = |l: &[Tok]| {
                !l.is_empty()
                    && l.len() % 2 == 0
                    && l.iter().all(|t| matches!(t.kind, TokKind::Str(_)))
            };
            if extensible && is_params(a) && is_params(b) {
                let pairs = |l: &[Tok]| -> Vec<(Vec<u8>, Vec<u8>)> {
                    l.chunks(2)
                        .map(|c| {
                            (
                                c[0].text().unwrap_or_default().to_ascii_lowercase(),
                                c[1].text().unwrap_or_default().to_ascii_lowercase(),
                            )
                        })
                        .collect()
                };
                let sb = pairs(b);
                return pairs(a).iter().all(|p| sb.contains(p));
            }
            if b.len() < a.len() || (!extensible && b.len() != a.len()) {
                return false;
            }
            a.iter()
                .zip(b.iter())
                .all(|(x, y)| value_matches(x, y, ci, extensible))
        }
        (TokKind::List(_), _) | (_, TokKind::List(_)) => false,
        _ => {
            let nil =
                |t: &Tok| matches!(&t.kind, TokKind::Atom(a) if a.eq_ignore_ascii_case(b"NIL"));
            if nil(model) || nil(server) {
                return nil(model) && nil(server);
            }
            let (x, y) = (
                model.text().unwrap_or_default(),
                server.text().unwrap_or_default(),
            );
            if ci {
                x.eq_ignore_ascii_case(y)
            } else {
                x == y
            }
        }
    }
}

fn render(t: &Tok) -> String {
    match &t.kind {
        TokKind::Atom(a) => String::from_utf8_lossy(a).into_owned(),
        TokKind::Str(s) => format!("\"{}\"", escape(s)),
        TokKind::List(l) => format!("({})", l.iter().map(render).collect::<Vec<_>>().join(" ")),
    }
}

pub(super) fn flags_of(t: &Tok) -> Option<FlagSet> {
    let l = t.list()?;
    let mut s = FlagSet::new();
    for f in l {
        s.insert(std::str::from_utf8(f.atom()?).ok()?);
    }
    Some(s)
}

/// The requirement that defines a FETCH item's data (RFC 2060 §6.4.5), by item name.
/// RFC 2060 §7.4.2: "headers (part specifiers HEADER or MIME, or the header portion of
/// a MESSAGE/RFC822 part)": the fetch items whose data is a header.
fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// RFC 2060 §5.1.3 modified UTF-7: "Modified BASE64 MUST NOT be used to represent any
/// printing US-ASCII character which can represent itself", and names "MUST end in
/// US-ASCII (that is, a name that ends with a Unicode 16-bit octet MUST end with a
/// "-")". The requirement a name breaks, and how.
fn mutf7_problem(name: &[u8]) -> Option<(&'static str, String)> {
    let mut i = 0;
    while i < name.len() {
        if name[i] != b'&' {
            i += 1;
            continue;
        }
        let Some(len) = name[i + 1..].iter().position(|&b| b == b'-') else {
            return Some((
                rule::MUTF7_END_ASCII,
                "a \"&\" shift is not closed by \"-\"".into(),
            ));
        };
        let octets = crate::model::message::decode_base64_with(&name[i + 1..i + 1 + len], b',');
        let mut units = octets
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]));
        if let Some(u) = units.find(|u| (0x20..=0x7e).contains(u)) {
            return Some((
                rule::MUTF7_NO_ENCODED_ASCII,
                format!(
                    "{:?} is encoded, though it can represent itself",
                    u as u8 as char
                ),
            ));
        }
        i += len + 2;
    }
    None
}

fn is_header_section(name: &str) -> bool {
    let section = name.split('<').next().unwrap_or(name);
    section == "RFC822.HEADER"
        || section.ends_with("HEADER]")
        || section.ends_with("MIME]")
        || section.contains("HEADER.FIELDS")
}

/// Whether a string value holds an octet above 127.
fn has_8bit(t: &Tok) -> bool {
    t.text().is_some_and(|b| !b.is_ascii())
}

fn section_requirement(name: &str) -> &'static str {
    if name.contains('<') {
        return "2060-7.4.2-origin-substring";
    }
    match name {
        "RFC822" => "2060-6.4.5-rfc822",
        "RFC822.HEADER" => "2060-6.4.5-rfc822-header",
        "RFC822.TEXT" => "2060-6.4.5-rfc822-text",
        "BODY[]" => rule::SECTION_VALUE,
        n if n.contains("HEADER.FIELDS") => "2060-6.4.5-header-fields",
        n if n.ends_with("HEADER]") => "2060-6.4.5-blank-line",
        n if n.ends_with("TEXT]") => "2060-6.4.5-text",
        n if n.ends_with("MIME]") => "2060-6.4.5-mime",
        n if n.contains('.') => "2060-6.4.5-nested-part-numbers",
        _ => "2060-6.4.5-part-numbers",
    }
}

fn mailbox_bytes(m: &imap_types::mailbox::Mailbox<'_>) -> Vec<u8> {
    match m {
        imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
        imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
    }
}

/// INBOX as the first level of a name is case-insensitive (RFC 2060 §5.1): upper-cased.
fn inbox_upper(n: &[u8], delimiter: u8) -> Vec<u8> {
    let first = n.iter().position(|&b| b == delimiter).unwrap_or(n.len());
    if n[..first].eq_ignore_ascii_case(b"INBOX") {
        let mut v = b"INBOX".to_vec();
        v.extend_from_slice(&n[first..]);
        v
    } else {
        n.to_vec()
    }
}

/// RFC 2060 §6.3.11 and §6.4.7: the server "MUST send the response code "[TRYCREATE]" as
/// the prefix of the text of the tagged NO response". The summary and observed text of a
/// tagged NO `line` that breaks it: a response code comes directly after the status word
/// (§7.1), so `NO APPEND [TRYCREATE] failed` holds the word, but in the text, not as
/// the response code. `observed` quotes the server's line.
fn trycreate_evidence(command: &str, line: &[u8]) -> (String, String) {
    let line = crate::wire::strip_eol(line);
    let upper = line.to_ascii_uppercase();
    let quoted = escape(line);
    if contains_bytes(&upper, b"[TRYCREATE]") {
        (
            format!(
                "{command} to a mailbox that does not exist: \"[TRYCREATE]\" is in the text of \
                 the NO, not the response code directly after NO"
            ),
            format!("{quoted} (\"[TRYCREATE]\" follows other text, so it is not a response code)"),
        )
    } else {
        (
            format!("{command} to a mailbox that does not exist: NO without [TRYCREATE]"),
            format!("{quoted} (no [TRYCREATE] response code)"),
        )
    }
}

fn done_text(done: &Done) -> Vec<u8> {
    format!("{} {:?}", done.outcome.as_str(), done.code).into_bytes()
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
            let identity = self.live().then(|| self.identity()).flatten();
            self.coverage.identities.push(identity);
        }
        self.judge_flag_claims();
        self.judge_pending();
        self.judge_size_searches();
        (self.verdicts, self.coverage)
    }

    /// RFC 2060 §6.2.1 AUTHENTICATE, in whatever state and with whatever answers: the
    /// exchange is run on the model ([`crate::model::sasl`]) answer by answer, and the
    /// server's outcome must be one the model allows: BAD for a cancelled exchange, never
    /// OK for an answer or initial response that is not base64, NO (SHOULD) for a
    /// mechanism the server does not know, never OK outside the non-authenticated state.
    /// An OK puts the session in the authenticated state as the user the exchange named
    /// ("OK - authenticate completed, now in authenticated state"). True when `e` is an
    /// AUTHENTICATE exchange (judged here); `end` is how the session ended when it was the
    /// last exchange.
    fn authenticate(&mut self, step: Option<usize>, e: &Exchange, end: Option<&End>) -> bool {
        use crate::model::sasl::{self, AuthStep};
        let cmd = e.command();
        let Some(line) = sasl::authenticate_line(cmd.first_line()) else {
            return false;
        };
        self.client_text.extend_from_slice(&cmd.to_bytes());
        if self.cancelled_authenticate(step, e, end) {
            self.coverage.judged += 1;
            return true;
        }
        let answers = authenticate_answers(e);
        let Some(done) = e.completion() else {
            self.stop(Gap::NoCompletion);
            return true;
        };
        // A case file keeps no AUTHENTICATE data of a login ([`crate::redact`]): whose
        // credentials they were is unknown, and an OK logs in as someone.
        let marker = crate::redact::MARKER.as_bytes();
        let redacted =
            line.initial.as_deref() == Some(marker) || answers.iter().any(|a| a == marker);
        if redacted && self.session.state == State::NotAuthenticated {
            self.coverage.judged += 1;
            if done.first_line().split(|&b| b == b' ').nth(1) == Some(b"OK") {
                self.session.log_in(&mut self.store, b"redacted", b"");
            }
            return true;
        }
        let outcome = match done.first_line().split(|&b| b == b' ').nth(1) {
            Some(w) if w.eq_ignore_ascii_case(b"OK") => Outcome::Ok,
            Some(w) if w.eq_ignore_ascii_case(b"NO") => Outcome::No,
            Some(w) if w.eq_ignore_ascii_case(b"BAD") => Outcome::Bad,
            _ => {
                self.stop(Gap::UnreadableCompletion);
                return true;
            }
        };
        let mut trial = self.session.clone();
        let mut store = self.store.clone();
        let (mut next, mut a) =
            trial.authenticate(&mut store, &line.mechanism, line.initial.as_deref());
        for answer in &answers {
            match next {
                AuthStep::Challenge(_) => {
                    next = trial.authenticate_answer(&mut store, &mut a, answer);
                }
                AuthStep::Done(_) => {
                    // The server asked for more than the mechanism needs: not a finding
                    // of RFC 2060, but the model no longer knows what the server did.
                    self.stop(Gap::AuthenticateLonger);
                    return true;
                }
            }
        }
        self.coverage.judged += 1;
        let reply = match next {
            AuthStep::Done(reply) => reply,
            AuthStep::Challenge(_) => {
                // The server ended the exchange before the mechanism did: a refusal
                // changes nothing; an OK the model cannot follow.
                if outcome == Outcome::Ok {
                    self.stop(Gap::AuthenticateShorter);
                }
                return true;
            }
        };
        if !reply.allowed.permits(outcome) && !reply.allowed.rule.is_empty() {
            let mechanism = String::from_utf8_lossy(&line.mechanism).to_ascii_uppercase();
            let (summary, expected) = match reply.allowed.rule {
                r if r == crate::model::session::rule::AUTHENTICATE_BASE64 => (
                    format!(
                        "AUTHENTICATE {mechanism} with {} that is not base64 was accepted",
                        if line
                            .initial
                            .as_deref()
                            .is_some_and(|i| i != b"=" && sasl::decode_base64(i).is_none())
                        {
                            "an initial response"
                        } else {
                            "an answer"
                        }
                    ),
                    "<tag> BAD ... or <tag> NO ...",
                ),
                r if r == crate::model::session::rule::UNSUPPORTED_MECHANISM => (
                    format!(
                        "AUTHENTICATE with the unsupported mechanism {mechanism} got BAD, not NO"
                    ),
                    "<tag> NO ...",
                ),
                _ => (
                    format!(
                        "AUTHENTICATE {mechanism} succeeded outside the non-authenticated state"
                    ),
                    "<tag> BAD ... or <tag> NO ...",
                ),
            };
            self.find(
                step,
                reply.allowed.rule,
                summary,
                expected.into(),
                escape(&done.to_bytes()),
            );
            if outcome == Outcome::Ok {
                self.stop(Stop::in_command(Gap::AcceptedWhereRefused, "AUTHENTICATE"));
            }
            return true;
        }
        match (outcome, reply.completion.outcome) {
            (Outcome::Ok, Outcome::Ok) => {
                self.session = trial;
                self.store = store;
            }
            (Outcome::Ok, _) => {
                // A mechanism the model does not implement, carried out by the server.
                self.stop(Gap::AuthenticateMechanism);
            }
            // RFC 2060 §6.2.1: a refused AUTHENTICATE leaves the session as it was.
            _ => {}
        }
        true
    }

    /// RFC 2060 §6.2.1: "If the client wishes to cancel an authentication exchange, it
    /// issues a line with a single "*". If the server receives such an answer, it MUST
    /// reject the AUTHENTICATE command by sending a tagged BAD response." Judges an
    /// AUTHENTICATE exchange the client cancelled (true), which changes no state; `end` is
    /// how the session ended when this was its last exchange (a server still waiting
    /// after the `*` times out).
    fn cancelled_authenticate(
        &mut self,
        step: Option<usize>,
        e: &Exchange,
        end: Option<&End>,
    ) -> bool {
        let cancelled = authenticate_answers(e)
            .iter()
            .any(|a| crate::model::sasl::is_cancel(a));
        if !cancelled {
            return false;
        }
        let observed = match (e.completion(), end) {
            (Some(done), _) => {
                let text = done.first_line();
                let status = text.split(|&b| b == b' ').nth(1).unwrap_or_default();
                if status.eq_ignore_ascii_case(b"BAD") {
                    return true;
                }
                escape(&done.to_bytes())
            }
            (None, Some(End::Timeout(_))) => {
                "no tagged response before the session timed out: the server kept waiting for more"
                    .into()
            }
            (None, _) => return true,
        };
        self.find(
            step,
            rule::CANCEL_BAD,
            "AUTHENTICATE cancelled with \"*\" was not rejected with a tagged BAD".into(),
            "<tag> BAD ...".into(),
            observed,
        );
        true
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

    fn exchange(&mut self, step: Option<usize>, e: &Exchange) {
        let bytes = e.command().to_bytes();
        self.command_line = bytes.clone();
        self.client_text.extend_from_slice(&bytes);
        self.closed_before(&bytes);
        if unadvertised_literal_refused(e) {
            // A `{n+}` literal the server did not read as one (it did not advertise
            // LITERAL+): the command was refused, and the literal ran as a command of its
            // own, which the oracle does not follow.
            self.coverage.judged += 1;
            return;
        }
        let decoded = CommandCodec::default().decode(&bytes);
        let cmd = match decoded {
            Ok((b"", cmd)) => cmd,
            _ if rejected_without_data(e) => {
                // RFC 3501 §6: "A rejected command (BAD response) never changes the state
                // of the connection or of the selected mailbox." A command broken on
                // purpose and refused leaves the model as it was.
                self.skip(Skip::UnreadableCommandRefused);
                self.coverage.judged += 1;
                return;
            }
            _ => return self.unreadable_command(e, &bytes),
        };
        let responses: Vec<&Message> = e.responses().collect();
        let Some(done_msg) = e.completion() else {
            return self.stop(Gap::NoCompletion);
        };
        let done = match self.read_completion(done_msg) {
            Some((kind, code)) => Done {
                outcome: outcome_of(kind),
                code,
            },
            None => return self.stop(Gap::UnreadableCompletion),
        };
        // A line no reader makes sense of is skipped (the syntax judge reports it); what
        // the exchange seems to lack may be in it, so its data are not judged.
        let (seen, blind) = self.read_responses(e, done_msg);
        if matches!(
            cmd.body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        ) {
            self.announced = None;
        }
        // `*` is "the largest number in use": while the server has not announced every
        // message the model holds, it may mean the last one the client was told of.
        let unannounced = self
            .session
            .selection()
            .is_some_and(|s| self.announced.is_some_and(|n| n < s.view.len()));
        let star = match &cmd.body {
            CommandBody::Fetch { sequence_set, .. }
            | CommandBody::Store { sequence_set, .. }
            | CommandBody::Copy { sequence_set, .. } => {
                crate::model::session::has_asterisk(sequence_set)
            }
            _ => false,
        };
        if star && unannounced {
            return self.stop(Gap::StarUnannounced);
        }
        let untagged: Vec<&Message> = responses
            .iter()
            .copied()
            .filter(|m| !std::ptr::eq(*m, done_msg))
            .collect();
        self.closed_exchange(step, &cmd.body, &untagged, &seen);
        for s in &seen {
            match s {
                Seen::Exists(n) => self.announced = Some(*n as usize),
                Seen::Expunge(_) => self.announced = self.announced.map(|n| n.saturating_sub(1)),
                _ => {}
            }
        }
        self.coverage.judged += 1;
        let body = &cmd.body;
        self.forget_recent(body);
        // RFC 2060 §6.5.1: untagged X responses only for the client's own X commands.
        for m in &responses {
            let line = m.first_line();
            let word = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
            if line.starts_with(b"* ") && word.first().is_some_and(|c| *c == b'X' || *c == b'x') {
                self.find(
                    step,
                    rule::X_RESPONSES,
                    format!(
                        "untagged {} response the client did not ask for",
                        String::from_utf8_lossy(word)
                    ),
                    "no X responses without an X command".into(),
                    escape(line),
                );
                break;
            }
        }
        // RFC 2060 §9: "Server implementations MUST NOT generate flag_extension flags".
        let bad_flag = seen.iter().find_map(|s| {
            let flags: Vec<String> = match s {
                Seen::Flags(f) => f.clone(),
                Seen::Fetch(_, items) => items
                    .iter()
                    .filter(|(n, _)| n == "FLAGS")
                    .filter_map(|(_, t)| flags_of(t))
                    .flat_map(|f| f.names())
                    .collect(),
                _ => vec![],
            };
            flags
                .into_iter()
                .find(|f| f.starts_with('\\') && !crate::model::flags::is_system(f))
        });
        if let Some(f) = bad_flag {
            self.find(
                step,
                rule::FLAG_EXTENSION,
                format!(
                    "the server sent the flag {f}, which {} does not define",
                    super::grammar::document(self.session.profile)
                ),
                format!(
                    "system flags of {} §2.3.2 or keywords",
                    super::grammar::document(self.session.profile)
                ),
                f,
            );
        }
        // A mailbox about to be deleted or renamed: its UIDs, its inferiors and its
        // subscription, kept if the server succeeds.
        let mut gone_now: Option<(Vec<u8>, (u32, u32))> = None;
        let mut inferiors_now: Vec<(Vec<u8>, &'static str)> = Vec::new();
        let mut unsubscribed_by_delete: Option<Vec<u8>> = None;
        if let CommandBody::Delete { mailbox } | CommandBody::Rename { from: mailbox, .. } = body {
            let name = Account::key(&mailbox_bytes(mailbox));
            let d = self.store.delimiter;
            if let Some(acc) = self.session.account(&self.store) {
                if let Some(mb) = acc.get(&name) {
                    if let Some(max) = self.uids_seen.get(&name).and_then(|u| u.keys().max()) {
                        gone_now = Some((name.clone(), (mb.uid_validity, *max)));
                    }
                }
                let to = match body {
                    CommandBody::Rename { to, .. } => Some(Account::key(&mailbox_bytes(to))),
                    _ => None,
                };
                for other in acc.names() {
                    if crate::model::names::inferiors_of(&name, &other, d)
                        && !crate::model::names::is_inbox(&name)
                    {
                        match &to {
                            // RFC 2060 §6.3.4: "The DELETE command MUST NOT remove inferior
                            // hierarchical names."
                            None => inferiors_now.push((other, rule::KEEP_INFERIORS)),
                            // RFC 2060 §6.3.5: inferiors "MUST also be renamed".
                            Some(to) => {
                                let mut n = to.clone();
                                n.extend_from_slice(&other[name.len()..]);
                                inferiors_now.push((n, rule::RENAME_INFERIORS));
                            }
                        }
                    }
                }
            }
            unsubscribed_by_delete = Some(name);
        }
        // RFC 2060 §7.4.1: "An EXPUNGE response MUST NOT be sent when no command is in
        // progress; nor while responding to a FETCH, STORE, or SEARCH command." RFC 3501
        // §7.4.1 makes explicit that the UID forms are other commands, during which an
        // EXPUNGE response MAY be sent; RFC 2060 does not say, so they are not judged.
        let is_fss = matches!(
            body,
            CommandBody::Fetch { uid: false, .. }
                | CommandBody::Store { uid: false, .. }
                | CommandBody::Search { uid: false, .. }
        );
        if is_fss {
            if let Some(Seen::Expunge(n)) = seen.iter().find(|s| matches!(s, Seen::Expunge(_))) {
                self.find(
                    step,
                    rule::EXPUNGE_FORBIDDEN,
                    format!("EXPUNGE response ({n}) while responding to {}", body.name()),
                    "no EXPUNGE response".into(),
                    format!("* {n} EXPUNGE"),
                );
            }
        }

        // UIDs the server shows in this exchange (FETCH ... UID n) are learnt first, so
        // that a UID command's set can be resolved the way the server did.
        if let CommandBody::Store { flags, .. } = body {
            let names: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            self.touch_flags(&names);
        }
        if matches!(body, CommandBody::Fetch { .. } | CommandBody::Store { .. }) {
            self.learn_sizes(step, &seen);
            // Flags shown again settle a FLAGS that lacked some, whatever the model makes
            // of this command (sequence numbers hold: no EXPUNGE during FETCH or STORE).
            let expunged = seen.iter().any(|s| matches!(s, Seen::Expunge(_)));
            if let (Some(sel), false) = (self.session.selection().cloned(), expunged) {
                for s in &seen {
                    let Seen::Fetch(seq, items) = s else { continue };
                    let flags = items
                        .iter()
                        .find(|(n, _)| n == "FLAGS")
                        .and_then(|(_, t)| flags_of(t));
                    let id = sel.view.get((*seq as usize).wrapping_sub(1)).copied();
                    if let (Some(flags), Some(id)) = (flags, id) {
                        self.settle_flags(step, *seq, id, &flags);
                    }
                }
            }
            if let Some(sel) = self.session.selection().cloned() {
                for s in &seen {
                    let Seen::Fetch(seq, items) = s else { continue };
                    let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)).copied() else {
                        continue;
                    };
                    let uid = items
                        .iter()
                        .find(|(n, _)| n == "UID")
                        .and_then(|(_, t)| t.atom())
                        .and_then(|a| std::str::from_utf8(a).ok())
                        .and_then(|a| a.parse::<u32>().ok());
                    if let Some(u) = uid {
                        if !self.learn_uid(step, &sel.mailbox, id, u) {
                            return;
                        }
                    }
                }
            }
        }
        // A UID COPY over UIDs not shown, whose copied messages the server's count tells,
        // runs as the COPY of those messages.
        let by_count = (done.outcome == Outcome::Ok)
            .then(|| {
                self.uid_copy_by_count(step, body, &seen)
                    .or_else(|| self.copy_in_range(body, &seen, &done))
            })
            .flatten();
        let (by_count, predicted_into) = match by_count {
            Some((b, into)) => (Some(b), into),
            None => (None, None),
        };
        let before_session = self.session.clone();
        let mut trial = self.session.clone();
        let mut trial_store = self.store.clone();
        let mut reply = trial.execute(&mut trial_store, by_count.as_ref().unwrap_or(body));
        // A COPY whose set repeats a message: copied once (coalesced) or once per mention,
        // as the server chose.
        if let Some((s, st, r)) = self.uncoalesced_copy(body, &done, &seen, trial.latitude.copied) {
            trial = s;
            trial_store = st;
            reply = r;
        }
        let latitude = trial.latitude.clone();

        let listed_refused = self.listed_name_refused(step, body, &reply, &done);
        if !reply.allowed.permits(done.outcome) && !reply.allowed.rule.is_empty() && !listed_refused
        {
            let model = reply.completion.outcome;
            // RFC 2060 §9: command names are case-insensitive. A command that is only its
            // name, valid in this state, refused with BAD when not in upper case, can be
            // refused for nothing else.
            let case_only = done.outcome == Outcome::Bad && only_a_recased_name(&bytes);
            self.find(
                step,
                if case_only {
                    rule::CASE_INSENSITIVE
                } else {
                    reply.allowed.rule
                },
                if case_only {
                    format!(
                        "{} in other than upper case answered BAD; the RFC makes command names case-insensitive",
                        body.name()
                    )
                } else if reply.allowed.rule == rule::BAD_MEANING {
                    format!(
                        "{} answered BAD (a client error) to a command the model reads as valid in this state",
                        body.name()
                    )
                } else {
                    let allowed: Vec<&str> = [
                        (reply.allowed.ok, "OK"),
                        (reply.allowed.no, "NO"),
                        (reply.allowed.bad, "BAD"),
                    ]
                    .iter()
                    .filter(|(a, _)| *a)
                    .map(|(_, n)| *n)
                    .collect();
                    format!(
                        "{} answered {}; the RFC allows only {} here",
                        body.name(),
                        done.outcome.as_str(),
                        allowed.join(" or ")
                    )
                },
                format!("{} (or another outcome the RFC allows)", model.as_str()),
                escape(&done_msg.to_bytes()),
            );
        }
        match (done.outcome, reply.completion.outcome) {
            (Outcome::Ok, Outcome::Ok)
                if latitude.unsure && matches!(body, CommandBody::Expunge) =>
            {
                self.follow_unsure_expunge(&seen);
            }
            (Outcome::Ok, Outcome::Ok) => {
                let closed = (latitude.unsure && matches!(body, CommandBody::Close))
                    .then(|| self.close_predictable())
                    .flatten();
                self.session = trial;
                self.store = trial_store;
                if let Some((name, v)) = gone_now {
                    self.gone.insert(name, v);
                }
                self.must_list.extend(inferiors_now);
                if let Some(name) = unsubscribed_by_delete {
                    if let Some(deleted) = self.subscribed.get_mut(&name) {
                        *deleted = true;
                    }
                }
                if latitude.unsure {
                    return match closed {
                        Some(mailbox) => self.closed_on_prediction(&mailbox),
                        None => {
                            let gap = match body {
                                CommandBody::Close | CommandBody::Expunge => Gap::FlagsNotShown,
                                CommandBody::Copy { uid: true, .. }
                                | CommandBody::Fetch { uid: true, .. }
                                | CommandBody::Store { uid: true, .. } => Gap::UidsNotShown,
                                CommandBody::Delete { .. } | CommandBody::Rename { .. } => {
                                    Gap::SelectionTouched
                                }
                                _ => Gap::Unpredictable,
                            };
                            self.stop(Stop::in_command(gap, body.name()))
                        }
                    };
                }
                if let Some(dest) = &predicted_into {
                    self.closed_on_prediction(dest);
                }
                if latitude.flags_lost {
                    self.forget_flags();
                }
                if latitude.seen_in_flight {
                    // Messages this FETCH of a body section marked \\Seen.
                    if let Some(sel) = self.session.selection() {
                        for s in &seen {
                            if let Seen::Fetch(n, _) = s {
                                if let Some(id) = sel.view.get((*n as usize).wrapping_sub(1)) {
                                    self.implicit_seen.insert(*id, step);
                                }
                            }
                        }
                    }
                }
                if latitude.data_unsure || blind {
                    self.apply_exists(&seen, before_session.selection().map(|s| s.view.len()));
                } else {
                    self.check_ok(step, body, &reply, &seen, &done, &before_session);
                }
                self.learn_flags(step, &seen);
                if matches!(
                    body,
                    CommandBody::Select { .. } | CommandBody::Examine { .. }
                ) {
                    self.learn_uids_from_uidnext(step, &seen);
                }
            }
            (Outcome::Ok, _) => {
                if !self.accepted_bounded(&seen, &bytes) {
                    self.stop(Stop::in_command(Gap::AcceptedWhereRefused, body.name()));
                }
            }
            (_, _) => {
                self.session.refused(body);
                // RFC 2060 §6.3.11 and §6.4.7: a failed APPEND or COPY leaves its
                // destination as it was; remember it, so that a message it left behind
                // is reported against that requirement.
                match body {
                    CommandBody::Append { mailbox, .. } => {
                        self.failed_into.insert(
                            Account::key(&mailbox_bytes(mailbox)),
                            (rule::APPEND_ATOMIC, step),
                        );
                    }
                    CommandBody::Copy { mailbox, .. } => {
                        self.failed_into.insert(
                            Account::key(&mailbox_bytes(mailbox)),
                            (rule::COPY_ATOMIC, step),
                        );
                    }
                    _ => {}
                }
                let done_line = done_msg.first_line().to_vec();
                self.check_refusal(step, body, &bytes, &reply, &done, &done_line);
                // Unsolicited EXISTS in a refused command still announce messages.
                self.apply_exists(&seen, None);
            }
        }
    }

    fn check_refusal(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        raw: &[u8],
        reply: &Reply,
        done: &Done,
        done_line: &[u8],
    ) {
        // RFC 2060 §9: "All case variants of INBOX (e.g. "iNbOx") MUST be interpreted as
        // INBOX". A NO the model does not expect for a case variant means the server took
        // it for another (missing) mailbox.
        // (imap-types reads every variant as `Mailbox::Inbox`: the command's own bytes tell.)
        let variant = match body {
            CommandBody::Select { mailbox, .. }
            | CommandBody::Examine { mailbox, .. }
            | CommandBody::Status { mailbox, .. }
            | CommandBody::Append { mailbox, .. }
            | CommandBody::Copy { mailbox, .. }
                if matches!(mailbox, imap_types::mailbox::Mailbox::Inbox) =>
            {
                raw.split(|&b| b == b' ' || b == b'"' || b == b'\r' || b == b'\n')
                    .find(|w| w.eq_ignore_ascii_case(b"INBOX") && *w != b"INBOX")
                    .map(<[u8]>::to_vec)
            }
            _ => None,
        };
        if let Some(n) = variant {
            // A server may refuse an APPEND for its message (no From, a bare LF, 8-bit
            // data): only [TRYCREATE] says it took the name for a missing mailbox.
            let for_the_message = matches!(body, CommandBody::Append { .. });
            if done.outcome == Outcome::No
                && reply.completion.outcome == Outcome::Ok
                && (matches!(done.code, Some(WireCode::TryCreate))
                    || (!reply.allowed.rule.is_empty() && !for_the_message))
            {
                self.find(
                    step,
                    rule::INBOX_VARIANTS,
                    format!(
                        "{} of {:?} refused: the server does not read it as INBOX",
                        body.name(),
                        escape(&n)
                    ),
                    "the answer INBOX gets".into(),
                    escape(&done_text(done)),
                );
                return;
            }
        }
        if done.outcome != Outcome::No || reply.completion.outcome != Outcome::No {
            return;
        }
        let wants_trycreate = matches!(
            reply.completion.code,
            Some(crate::model::response::Code::TryCreate)
        );
        if !wants_trycreate || reply.allowed.rule.is_empty() {
            return;
        }
        if !matches!(done.code, Some(WireCode::TryCreate)) {
            let id = match body {
                CommandBody::Append { .. } => rule::APPEND_TRYCREATE,
                _ => rule::COPY_TRYCREATE,
            };
            let (summary, observed) = trycreate_evidence(body.name(), done_line);
            self.find(
                step,
                id,
                summary,
                "<tag> NO [TRYCREATE] ...".into(),
                observed,
            );
        }
    }

    /// Sets the selection's view to what the server announced: a server may tell of new
    /// messages later than the model does (RFC 2060 §6.3.11 "SHOULD notify ...
    /// immediately").
    fn apply_exists(&mut self, seen: &[Seen], model_view_before: Option<usize>) {
        let announced = seen.iter().rev().find_map(|s| match s {
            Seen::Exists(n) => Some(*n as usize),
            _ => None,
        });
        let Some(sel) = self.session.selection_mut() else {
            return;
        };
        match announced {
            Some(n) if n <= sel.view.len() => sel.view.truncate(n),
            Some(_) => {}
            None => {
                if let Some(before) = model_view_before {
                    if sel.view.len() > before {
                        sel.view.truncate(before);
                    }
                }
            }
        }
    }

    fn check_ok(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        reply: &Reply,
        seen: &[Seen],
        done: &Done,
        before: &Session,
    ) {
        // Messages the server announced; more than the model knows means the model lost
        // track.
        let model_exists = reply.untagged.iter().rev().find_map(|u| match u {
            Untagged::Exists(n) => Some(*n as usize),
            _ => None,
        });
        let server_exists = seen.iter().rev().find_map(|s| match s {
            Seen::Exists(n) => Some(*n as usize),
            _ => None,
        });
        let is_select = matches!(
            body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        );
        if is_select && self.session.latitude.contents_unknown {
            // A mailbox the model did not see created: its messages are the model's only if
            // the server counts as many.
            if model_exists.is_some() && model_exists == server_exists {
                self.mark_selected_known();
            } else {
                return self.stop(Gap::UnknownContents);
            }
        }
        let model_count = model_exists.or_else(|| self.session.selection().map(|s| s.view.len()));
        if let (Some(m), Some(s)) = (model_count, server_exists) {
            if s == m {
                // The count agrees: a refused APPEND or COPY left nothing behind here.
                if let Some(sel) = self.session.selection() {
                    self.failed_into.remove(&Account::key(&sel.mailbox));
                }
                self.count_confirmed();
            }
            if s > m && matches!(body, CommandBody::Copy { uid: true, .. }) {
                // The copy into the selected mailbox made more messages than the UID set
                // names: a non-existent UID was not ignored.
                self.find(
                    step,
                    self.uid_set_rule(),
                    format!(
                        "{} reported {s} EXISTS; copying the messages its UID set names leaves {m}",
                        body.name()
                    ),
                    format!("* {m} EXISTS"),
                    format!("* {s} EXISTS"),
                );
                return self.stop(Gap::CountDiffers);
            }
            if s > m {
                let selected = self.session.selection().map(|s| Account::key(&s.mailbox));
                self.left_behind(step, selected, m, s, &format!("* {m} EXISTS"));
            }
            if s > m || (is_select && s != m) {
                // The model lost track earlier (a command whose effect it could not see);
                // where is not certain, so no finding unless a failed APPEND or COPY
                // into this mailbox explains it (above); in a closed world it is a finding.
                let why = self.count_differs(step, body, m, s);
                return self.stop(why);
            }
        }
        // RFC 4315 COPYUID names the copies: a COPY that made more copies than its set
        // names messages copied something twice or something else.
        // RFC 3501 §9: "Servers MAY coalesce overlaps": a set that names a message twice
        // makes one or two copies of it ([`copy`]); the model follows the server's choice.
        if let (CommandBody::Copy { .. }, Some(made), Some(copied)) = (
            body,
            copy::copyuid_count(done),
            self.session.latitude.copied,
        ) {
            if made != copied as u64 {
                self.find(
                    step,
                    rule::COPY_SET,
                    format!(
                        "COPY made {made} copies (COPYUID) of the {copied} messages its set names"
                    ),
                    format!(
                        "{copied} copies, or one per mention of a message the set names more than once"
                    ),
                    format!("COPYUID destination of {made} UIDs"),
                );
                return self.stop(Gap::CopiesDiffer);
            }
        }
        if !is_select {
            // RFC 3501 §5.2 (and RFC 2060 §7.3.1): only EXPUNGE makes the mailbox smaller.
            let expunged = seen
                .iter()
                .filter(|s| matches!(s, Seen::Expunge(_)))
                .count();
            let floor = before
                .selection()
                .map(|s| s.view.len().saturating_sub(expunged));
            if let (Some(floor), Some(s)) = (floor, server_exists) {
                if s < floor {
                    let id = if self.session.profile == Profile::Rfc3501 {
                        rule::EXISTS_SHRINK_3501
                    } else {
                        rule::EXISTS_COUNT
                    };
                    self.find(
                        step,
                        id,
                        format!(
                            "{} reported {s} EXISTS after {floor} without EXPUNGE",
                            body.name()
                        ),
                        format!("* n EXISTS with n >= {floor}"),
                        format!("* {s} EXISTS"),
                    );
                    return self.stop(Gap::ExistsShrank);
                }
            }
            // EXPUNGE responses outside EXPUNGE: the model removed nothing.
            let server_expunges: Vec<u32> = seen
                .iter()
                .filter_map(|s| match s {
                    Seen::Expunge(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let model_expunges: Vec<u32> = reply
                .untagged
                .iter()
                .filter_map(|u| match u {
                    Untagged::Expunge(n) => Some(*n),
                    _ => None,
                })
                .collect();
            if matches!(body, CommandBody::Expunge) {
                let removed = |list: &[u32]| -> Option<Vec<u64>> {
                    let mut view = before.selection()?.view.clone();
                    let mut out = Vec::new();
                    for n in list {
                        let i = (*n as usize).checked_sub(1)?;
                        if i >= view.len() {
                            return None;
                        }
                        out.push(view.remove(i));
                    }
                    out.sort();
                    Some(out)
                };
                if removed(&server_expunges) != removed(&model_expunges) {
                    self.find(
                        step,
                        rule::EXPUNGE_EACH,
                        "EXPUNGE responses do not name the messages with \\Deleted".into(),
                        model_expunges
                            .iter()
                            .map(|n| format!("* {n} EXPUNGE"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        server_expunges
                            .iter()
                            .map(|n| format!("* {n} EXPUNGE"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    if !self.follow_expunges(before, &server_expunges) {
                        return self.stop(Gap::ExpungedDiffer);
                    }
                }
            } else if !server_expunges.is_empty() {
                return self.stop(Gap::UnexpectedExpunge);
            }
            let view_before = before.selection().map(|s| s.view.len());
            if model_exists.is_some() && server_exists.is_none() {
                self.apply_exists(seen, view_before.map(|b| b - model_expunges.len().min(b)));
            }
        }
        match body {
            CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                self.check_select(step, body, seen, done)
            }
            CommandBody::Fetch {
                uid,
                macro_or_item_names,
                ..
            } => {
                let wants_flags = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => m
                        .expand()
                        .iter()
                        .any(|i| matches!(i, MessageDataItemName::Flags)),
                    MacroOrMessageDataItemNames::MessageDataItemNames(v) => {
                        v.iter().any(|i| matches!(i, MessageDataItemName::Flags))
                    }
                };
                self.check_fetch(step, body, reply, seen, *uid, wants_flags, true)
            }
            CommandBody::Store { uid, .. } => {
                self.check_fetch(step, body, reply, seen, *uid, false, false)
            }
            CommandBody::Search { criteria, uid, .. } => {
                let command = std::mem::take(&mut self.command_line);
                self.check_search(step, criteria.as_ref(), *uid, &command, reply, seen);
                self.command_line = command;
            }
            CommandBody::Status { mailbox, .. } => {
                let name = mailbox_bytes(mailbox);
                self.check_status(step, &name, reply, seen);
                self.check_status_recent(step, &name, seen);
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => {
                // Mailboxes the server lists exist; `LIST "" *` lists them all.
                let all = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty())
                    && matches!(mailbox_wildcard, imap_types::mailbox::ListMailbox::Token(t) if t.as_ref() == b"*");
                let Some(user) = self.session.user.clone() else {
                    return;
                };
                let d = self.store.delimiter;
                let acc = self
                    .store
                    .accounts
                    .entry(user)
                    .or_insert_with(|| crate::model::account::Account::unknown(d));
                for s in seen {
                    if let Seen::List(name, noselect, _) = s {
                        acc.learn_mailbox(name, !noselect);
                        self.listed.insert(Account::key(name), *noselect);
                    }
                }
                if all {
                    acc.closed_world = true;
                    let listed: Vec<Vec<u8>> = seen
                        .iter()
                        .filter_map(|s| match s {
                            Seen::List(n, _, _) => Some(inbox_upper(n, d)),
                            _ => None,
                        })
                        .collect();
                    let implied = &self.session.implied;
                    let missing = self.must_list.iter().find(|(n, _)| {
                        acc.exists(n)
                            && !implied.contains(&Account::key(n))
                            && !listed.contains(&inbox_upper(n, d))
                    });
                    if let Some((n, why)) = missing {
                        let (n, why) = (n.clone(), *why);
                        self.find(
                            step,
                            why,
                            format!("LIST \"\" * does not show {:?}", escape(&n)),
                            format!("* LIST (...) ... {}", escape(&n)),
                            "not listed".into(),
                        );
                        return self.stop(Gap::InferiorMissing);
                    }
                }
                let reference_empty = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty());
                let pattern = match mailbox_wildcard {
                    imap_types::mailbox::ListMailbox::Token(t) => t.as_ref().to_vec(),
                    imap_types::mailbox::ListMailbox::String(t) => t.as_ref().to_vec(),
                };
                self.check_list(step, reference_empty, &pattern, seen);
            }
            CommandBody::Create { mailbox } => {
                // RFC 2060 §6.3.3: a trailing separator is a declaration that "Server
                // implementations that do not require this declaration MUST ignore": the name
                // without it exists afterwards.
                let n = mailbox_bytes(mailbox);
                let d = self.store.delimiter;
                if n.len() > 1 && n.last() == Some(&d) {
                    self.must_list
                        .insert(Account::key(&n[..n.len() - 1]), rule::TRAILING_SEPARATOR);
                }
            }
            CommandBody::Subscribe { mailbox } => {
                let n = inbox_upper(&mailbox_bytes(mailbox), self.store.delimiter);
                self.unsubscribed.remove(&n);
                self.subscribed.insert(n, false);
            }
            CommandBody::Unsubscribe { mailbox } => {
                let n = inbox_upper(&mailbox_bytes(mailbox), self.store.delimiter);
                self.subscribed.remove(&n);
                self.unsubscribed.insert(n);
            }
            CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                let all = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty())
                    && matches!(mailbox_wildcard, imap_types::mailbox::ListMailbox::Token(t) if t.as_ref() == b"*");
                if all {
                    let d = self.store.delimiter;
                    let listed: Vec<Vec<u8>> = seen
                        .iter()
                        .filter_map(|s| match s {
                            Seen::Lsub(n) => Some(inbox_upper(n, d)),
                            _ => None,
                        })
                        .collect();
                    let missing = self.subscribed.iter().find(|(n, _)| !listed.contains(n));
                    if let Some((n, deleted)) = missing {
                        let why = if *deleted {
                            rule::KEEPS_SUBSCRIPTION
                        } else {
                            rule::ADDS_TO_LSUB
                        };
                        let n = n.clone();
                        self.find(
                            step,
                            why,
                            format!(
                                "LSUB \"\" * does not show {:?}, which this session subscribed",
                                escape(&n)
                            ),
                            format!("* LSUB (...) ... {}", escape(&n)),
                            "not listed".into(),
                        );
                        return self.stop(Gap::SubscriptionMissing);
                    }
                    let extra = self
                        .unsubscribed
                        .iter()
                        .find(|n| listed.contains(n))
                        .cloned();
                    if let Some(n) = extra {
                        self.find(
                            step,
                            rule::REMOVES_FROM_LSUB,
                            format!("LSUB \"\" * still shows {:?} after UNSUBSCRIBE", escape(&n)),
                            "not listed".into(),
                            format!("* LSUB (...) ... {}", escape(&n)),
                        );
                        self.stop(Gap::UnsubscribedListed);
                    }
                }
            }
            CommandBody::Capability => {
                let lists: Vec<&Vec<String>> = seen
                    .iter()
                    .filter_map(|s| match s {
                        Seen::Capability(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                let with_rev1 = lists
                    .iter()
                    .any(|c| c.iter().any(|x| x.eq_ignore_ascii_case("IMAP4rev1")));
                if lists.len() != 1 || !with_rev1 {
                    self.find(
                        step,
                        if lists.is_empty() {
                            rule::CAPABILITY_REQUIRED
                        } else {
                            rule::CAPABILITY_SINGLE
                        },
                        format!(
                            "CAPABILITY answered with {} CAPABILITY responses{}",
                            lists.len(),
                            if with_rev1 {
                                ""
                            } else {
                                ", none listing IMAP4rev1"
                            }
                        ),
                        "one untagged CAPABILITY response listing IMAP4rev1".into(),
                        format!("{} CAPABILITY responses", lists.len()),
                    );
                }
            }
            CommandBody::Noop => {
                // RFC 2060 §5.2: size changes the server has seen are sent without being
                // asked; a NOOP after this session's own APPEND or COPY must show them.
                if let (Some(sel), Some(acc)) =
                    (self.session.selection(), self.session.account(&self.store))
                {
                    let held = acc.get(&sel.mailbox).map_or(0, |m| m.messages.len());
                    if held > sel.view.len() {
                        let shown = sel.view.len();
                        self.find(
                            step,
                            rule::SIZE_UPDATES,
                            format!("NOOP did not announce the mailbox's new size ({held} messages; the client was told {shown})"),
                            format!("* {held} EXISTS"),
                            "no EXISTS".into(),
                        );
                        // The MUST binds a change the server "observed"; whether it did is
                        // not visible: a warning, not a violation.
                        if let Some(v) = self.verdicts.last_mut() {
                            v.kind = Kind::Warning;
                            v.summary.push_str(
                                " (the RFC requires it once the server has observed the change)",
                            );
                        }
                        self.stop(Gap::SizeNotAnnounced);
                    }
                }
            }
            CommandBody::Append { mailbox, .. } => {
                // RFC 4315 APPENDUID (UIDPLUS) tells the new message's UID.
                if let Some(WireCode::AppendUid { uid, .. }) = &done.code {
                    let name = match mailbox {
                        imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
                        imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
                    };
                    let name = Account::key(&name);
                    let last = self
                        .session
                        .account(&self.store)
                        .and_then(|a| a.get(&name))
                        .and_then(|mb| mb.messages.last())
                        .map(|m| m.id);
                    if let Some(id) = last {
                        self.learn_uid(step, &name, id, uid.get());
                    }
                }
            }
            CommandBody::Logout if !seen.iter().any(|s| matches!(s, Seen::Bye)) => {
                self.find(
                    step,
                    rule::LOGOUT_BYE,
                    "LOGOUT completed without an untagged BYE".into(),
                    "* BYE ...".into(),
                    "no BYE".into(),
                );
            }
            _ => {}
        }
    }

    /// RFC 2060 §6.3.8: "The returned mailbox names MUST match the supplied mailbox name
    /// pattern" (judged when the reference is empty: a reference's meaning is partly the
    /// server's); §7.2.2: children of a top-level node share one separator.
    fn check_list(
        &mut self,
        step: Option<usize>,
        reference_empty: bool,
        pattern: &[u8],
        seen: &[Seen],
    ) {
        for s in seen {
            let Seen::List(name, _, delimiter) = s else {
                continue;
            };
            // RFC 2060 §5.1.3 binds whoever makes up a name: judged for names the client
            // never sent, which the server made up.
            if !contains_bytes(&self.client_text, name) {
                if let Some((id, why)) = mutf7_problem(name) {
                    self.find(
                        step,
                        id,
                        format!(
                            "LIST returned the name {:?}, which breaks modified UTF-7: {why}",
                            String::from_utf8_lossy(name)
                        ),
                        format!(
                            "a name in modified UTF-7 ({} §5.1.3)",
                            super::grammar::document(self.session.profile)
                        ),
                        escape(name),
                    );
                }
            }
            let d = delimiter.and_then(|c| u8::try_from(c).ok());
            if let Some(d) = d {
                let top = name
                    .split(|&b| b == d)
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                match self.separators.get(&top) {
                    Some(prev) if *prev != d => {
                        let prev = *prev as char;
                        self.find(
                            step,
                            rule::SAME_SEPARATOR,
                            format!("LIST shows the separator {:?} under a top-level name that used {prev:?}", d as char),
                            format!("{prev:?}"),
                            format!("{:?}", d as char),
                        );
                        return;
                    }
                    _ => {
                        self.separators.insert(top, d);
                    }
                }
            }
            if !reference_empty || pattern.is_empty() {
                continue;
            }
            // INBOX is case-insensitive (RFC 2060 §5.1): compare it upper-cased on both sides.
            let inbox_up = |n: &[u8]| -> Vec<u8> {
                let first = d
                    .and_then(|d| n.iter().position(|&b| b == d))
                    .unwrap_or(n.len());
                if n[..first].eq_ignore_ascii_case(b"INBOX") {
                    let mut v = b"INBOX".to_vec();
                    v.extend_from_slice(&n[first..]);
                    v
                } else {
                    n.to_vec()
                }
            };
            if !crate::model::names::list_pattern_matches(&inbox_up(pattern), &inbox_up(name), d) {
                self.find(
                    step,
                    rule::NAMES_MATCH,
                    format!(
                        "LIST returned {:?}, which does not match the pattern {:?}",
                        escape(name),
                        escape(pattern)
                    ),
                    format!("names matching {:?}", escape(pattern)),
                    escape(name),
                );
                return;
            }
        }
    }

    fn check_select(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        seen: &[Seen],
        done: &Done,
    ) {
        let examine = matches!(body, CommandBody::Examine { .. });
        let has = |f: &dyn Fn(&Seen) -> bool| seen.iter().any(f);
        let mut missing = Vec::new();
        if !has(&|s| matches!(s, Seen::Flags(_))) {
            missing.push("FLAGS");
        }
        if !has(&|s| matches!(s, Seen::Exists(_))) {
            missing.push("EXISTS");
        }
        if !has(&|s| matches!(s, Seen::Recent)) {
            missing.push("RECENT");
        }
        if !has(&|s| matches!(s, Seen::UntaggedOk(Some(WireCode::UidValidity(_))))) {
            missing.push("OK [UIDVALIDITY]");
        }
        if !missing.is_empty() {
            self.find(
                step,
                if examine {
                    rule::EXAMINE_REQUIRED
                } else {
                    rule::SELECT_UNTAGGED
                },
                format!("{} completed without {}", body.name(), missing.join(", ")),
                "FLAGS, EXISTS, RECENT and OK [UIDVALIDITY] before the tagged OK".into(),
                format!("missing: {}", missing.join(", ")),
            );
        }
        if self.session.profile == Profile::Rfc3501
            && !has(&|s| matches!(s, Seen::UntaggedOk(Some(WireCode::UidNext(_)))))
        {
            self.find(
                step,
                rule::SELECT_UIDNEXT,
                format!(
                    "{} completed without OK [UIDNEXT] (RFC 3501 requires it; RFC 2060 did not)",
                    body.name()
                ),
                "* OK [UIDNEXT n]".into(),
                "no UIDNEXT".into(),
            );
        }
        // The server's UIDVALIDITY, kept to check UIDs of a re-created mailbox.
        if let Some(v) = seen.iter().find_map(|s| match s {
            Seen::UntaggedOk(Some(WireCode::UidValidity(v))) => Some(v.get()),
            _ => None,
        }) {
            if let (Some(user), Some(sel)) =
                (self.session.user.clone(), self.session.selection().cloned())
            {
                if let Some(mb) = self
                    .store
                    .accounts
                    .get_mut(&user)
                    .and_then(|a| a.get_mut(&sel.mailbox))
                {
                    // RFC 2060 §2.3.1.1: a new UIDVALIDITY says the UIDs of the mailbox's
                    // messages need not persist; UIDs seen under the old one bind nothing.
                    let before = self.validity_shown.insert(sel.mailbox.clone(), v);
                    if before.is_some_and(|b| b != v) {
                        for m in &mut mb.messages {
                            m.uid_known = false;
                        }
                        self.uids_seen.remove(&sel.mailbox);
                    }
                    mb.uid_validity = v;
                }
            }
        }
        let read_only = matches!(done.code, Some(WireCode::ReadOnly));
        if examine && !read_only {
            self.find(
                step,
                rule::EXAMINE_READ_ONLY,
                "EXAMINE's tagged OK does not begin with [READ-ONLY]".into(),
                "OK [READ-ONLY] ...".into(),
                format!("{:?}", done.code),
            );
        }
        if read_only {
            if let Some(s) = self.session.selection_mut() {
                s.read_only = true;
            }
        }
        // RFC 2060 §7.1 UNSEEN: "the message sequence number of the first unseen message".
        let unseen = seen.iter().find_map(|s| match s {
            Seen::UntaggedOk(Some(WireCode::Unseen(n))) => Some(n.get()),
            _ => None,
        });
        if let (Some(n), Some(sel), Some(acc)) = (
            unseen,
            self.session.selection(),
            self.session.account(&self.store),
        ) {
            if let Some(mb) = acc.get(&sel.mailbox) {
                let all_known = mb.messages.iter().all(|m| m.flags_known);
                let first = mb.messages.iter().position(|m| !m.flags.contains("\\Seen"));
                if all_known && first.map(|i| i as u32 + 1) != Some(n) {
                    self.find(
                        step,
                        rule::UNSEEN_CODE,
                        format!("[UNSEEN {n}] is not the first unseen message"),
                        match first {
                            Some(i) => format!("[UNSEEN {}] (or no UNSEEN code)", i + 1),
                            None => "no UNSEEN code: every message is \\Seen".into(),
                        },
                        format!("[UNSEEN {n}]"),
                    );
                }
            }
        }
    }

    /// FETCH and STORE data against the model's.
    #[allow(clippy::too_many_arguments)]
    fn check_fetch(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        reply: &Reply,
        seen: &[Seen],
        uid: bool,
        wants_flags: bool,
        fetch: bool,
    ) {
        let mut server: BTreeMap<u32, Vec<(String, Tok)>> = BTreeMap::new();
        for s in seen {
            if let Seen::Fetch(n, items) = s {
                server.entry(*n).or_default().extend(items.iter().cloned());
            }
        }
        let Some(sel) = self.session.selection().cloned() else {
            return;
        };
        // Data for messages the command did not name: only flag updates may come
        // unasked (RFC 2060 §7.4.2: "as well as by unilateral server decision (e.g. flag
        // updates)"). For a UID command this is a non-existent UID the server did not ignore.
        if fetch {
            let asked: Vec<u32> = reply
                .untagged
                .iter()
                .filter_map(|u| match u {
                    Untagged::Fetch(n, _) => Some(*n),
                    _ => None,
                })
                .collect();
            for (seq, items) in &server {
                if asked.contains(seq) {
                    continue;
                }
                let data: Vec<&str> = items
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| *n != "FLAGS" && *n != "UID")
                    .collect();
                if !data.is_empty() {
                    self.find(
                        step,
                        if uid { self.uid_set_rule() } else { rule::FETCH_DATA },
                        format!("FETCH data ({}) for message {seq}, which the command did not name", data.join(" ")),
                        "no FETCH data for messages outside the set (non-existent UIDs are ignored)".into(),
                        // The server's data as it sent them (literals written quoted).
                        format!(
                            "* {seq} FETCH ({})",
                            items
                                .iter()
                                .map(|(n, t)| format!("{n} {}", render(t)))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    return;
                }
            }
        }
        for u in &reply.untagged {
            let Untagged::Fetch(seq, _) = u else { continue };
            let mut bytes = Vec::new();
            u.write(&mut bytes);
            let Some((_, model_items)) = fetch_items(&bytes) else {
                continue;
            };
            let Some(id) = sel.view.get(*seq as usize - 1).copied() else {
                continue;
            };
            if fetch && self.session.latitude.seen_in_flight {
                self.implicit_seen.insert(id, step);
            }
            let got = server.get(seq).cloned().unwrap_or_default();
            if uid && !got.iter().any(|(n, _)| n == "UID") && !got.is_empty() {
                self.find(
                    step,
                    rule::UID_IN_UID_FETCH,
                    format!("FETCH response for message {seq} of a UID command has no UID item"),
                    "UID n among the FETCH items".into(),
                    got.iter()
                        .map(|(n, _)| n.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            // Learn the UID first: everything else may need it.
            if let Some((_, t)) = got.iter().find(|(n, _)| n == "UID") {
                if let Some(u) = t
                    .atom()
                    .and_then(|a| std::str::from_utf8(a).ok())
                    .and_then(|s| s.parse::<u32>().ok())
                {
                    if !self.learn_uid(step, &sel.mailbox, id, u) {
                        return;
                    }
                }
            }
            let Some(msg) = self
                .session
                .account(&self.store)
                .and_then(|a| a.get(&sel.mailbox))
                .and_then(|mb| mb.messages.iter().find(|m| m.id == id))
                .cloned()
            else {
                continue;
            };
            let clean = is_clean(msg.message.raw());
            let free: Vec<String> = self
                .session
                .latitude
                .free_items
                .iter()
                .filter(|(n, _)| n == seq)
                .map(|(_, name)| normalize_item_name(&name.to_ascii_uppercase()))
                .collect();
            // Message data that differ, explained together once every item is compared.
            let mut differing: Vec<explain::Differing> = Vec::new();
            for (name, want) in &model_items {
                if free.contains(name) {
                    continue;
                }
                let have = got.iter().find(|(n, _)| n == name).map(|(_, t)| t);
                let Some(have) = have else {
                    let required =
                        fetch && (name != "FLAGS" || wants_flags) && (name != "UID" || !uid);
                    if required {
                        self.find(
                            step,
                            rule::FETCH_DATA,
                            format!("FETCH response for message {seq} lacks {name}"),
                            format!("{name} {}", render(want)),
                            got.iter()
                                .map(|(n, _)| n.clone())
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                    continue;
                };
                let (ok, id_rule) = match name.as_str() {
                    "FLAGS" => {
                        if !msg.flags_known {
                            continue;
                        }
                        let a = flags_of(want).map(|f| f.without_recent());
                        let b = flags_of(have).map(|f| f.without_recent());
                        // The \Seen this FETCH sets may or may not show in its own FLAGS.
                        let before_seen = self.session.latitude.seen_in_flight
                            && a.as_ref().map(|f| {
                                let mut f = f.clone();
                                f.remove("\\Seen");
                                f
                            }) == b;
                        let lacks_seen = a.as_ref().is_some_and(|f| f.contains("\\Seen"))
                            && b.as_ref().is_some_and(|f| !f.contains("\\Seen"));
                        let gained_seen = b.as_ref().is_some_and(|f| f.contains("\\Seen"))
                            && a.as_ref().is_some_and(|f| !f.contains("\\Seen"));
                        let why = if gained_seen && sel.read_only {
                            // RFC 2060 §6.3.2: nothing changes in a mailbox selected with EXAMINE.
                            rule::EXAMINE_NO_CHANGES
                        } else if lacks_seen && self.implicit_seen.contains_key(&id) {
                            // A FETCH of a body section (not PEEK) should have set \Seen.
                            rule::SEEN_SET
                        } else {
                            rule::FLAGS_VALUE
                        };
                        let ok = a == b || before_seen;
                        if let (false, rule::FLAGS_VALUE, Some(a), Some(b)) = (ok, why, &a, &b) {
                            let missing: Vec<String> =
                                a.names().into_iter().filter(|f| !b.contains(f)).collect();
                            let only_lacks = b.names().iter().all(|f| a.contains(f));
                            if only_lacks {
                                // A partial list, or flags lost: a later FLAGS tells.
                                let mut m = FlagSet::new();
                                for f in &missing {
                                    m.insert(f);
                                }
                                self.claim_flags(flags::FlagClaim {
                                    step,
                                    seq: *seq,
                                    id,
                                    shown: b.clone(),
                                    missing: m,
                                    touched: FlagSet::new(),
                                    learnt_later: false,
                                    otherwise: Some((
                                        rule::FLAGS_VALUE,
                                        format!(
                                            "FLAGS of message {seq} lacks {}, which the server set \
                                             and no command removed",
                                            missing.join(" ")
                                        ),
                                        format!("FLAGS {}", render(want)),
                                    )),
                                });
                                continue;
                            }
                        }
                        (ok, why)
                    }
                    "UID" => continue,
                    "RFC822.SIZE" => {
                        if !clean {
                            continue;
                        }
                        (value_matches(want, have, false, false), rule::SIZE_VALUE)
                    }
                    "INTERNALDATE" => {
                        let instant = |t: &Tok| t.text().and_then(super::normalize::date_instant);
                        if !msg.date_known {
                            self.learn_date(&sel.mailbox, id, have);
                            continue;
                        }
                        (
                            instant(want).is_some() && instant(want) == instant(have),
                            rule::INTERNALDATE_APPEND,
                        )
                    }
                    "ENVELOPE" => {
                        if !clean {
                            continue;
                        }
                        // RFC 822 §3.1.1 unfolding ("CRLF immediately followed by a
                        // LWSP-char as equivalent to the LWSP-char") is read differently
                        // by servers (some keep the CRLF, some write a second space), and
                        // RFC 2060 §7.4.2 does not say: whitespace runs compare as one.
                        let same = |want: &Tok| {
                            value_matches(want, have, false, false)
                                || value_matches(
                                    &collapse_whitespace(want),
                                    &collapse_whitespace(have),
                                    false,
                                    false,
                                )
                        };
                        // RFC 2060 §7.4.2 says only "personal name": a server may take
                        // an address's comment for it (`a@b (Name)`).
                        let ok = same(want)
                            || comment_named_envelope(*seq, &msg.message).is_some_and(|w| same(&w));
                        // Only sender or reply-to differ: RFC 2060 §7.4.2 says how to default them.
                        let only_defaults = !ok
                            && matches!((want.list(), have.list()), (Some(a), Some(b)) if a.len() == b.len()
                                && a.iter().zip(b).enumerate().all(|(i, (x, y))| i == 3 || i == 4 || value_matches(x, y, false, false)));
                        (
                            ok,
                            if only_defaults {
                                rule::DEFAULT_SENDER
                            } else {
                                rule::ENVELOPE_VALUE
                            },
                        )
                    }
                    "BODY" | "BODYSTRUCTURE" => {
                        if let Some((multipart, extra)) = undefined_extension(have) {
                            self.find(
                                step,
                                if multipart {
                                    rule::UNDEFINED_EXTENSION_MPART
                                } else {
                                    rule::UNDEFINED_EXTENSION_1PART
                                },
                                format!(
                                    "{name} of message {seq} has {extra} extension field(s) after \
                                     body language and location, which no revision defines"
                                ),
                                format!("{name} {}", render(want)),
                                format!("{name} {}", render(have)),
                            );
                            continue;
                        }
                        if !clean {
                            continue;
                        }
                        (
                            value_matches(want, have, true, name == "BODYSTRUCTURE"),
                            rule::BODYSTRUCTURE_VALUE,
                        )
                    }
                    _ => {
                        if !clean || super::fetch_cause::split_is_ambiguous(&msg.message, name) {
                            continue;
                        }
                        // An empty section sent as NIL says the same: nothing there.
                        let empty_as_nil = want.text().is_some_and(<[u8]>::is_empty)
                            && have.atom().is_some_and(|a| a.eq_ignore_ascii_case(b"NIL"));
                        (
                            empty_as_nil || value_matches(want, have, false, false),
                            section_requirement(name),
                        )
                    }
                };
                if ok {
                    continue;
                }
                let message_data = name == "RFC822.SIZE"
                    || name == "BODY"
                    || name == "BODYSTRUCTURE"
                    || name.starts_with("BODY[")
                    || name.starts_with("RFC822");
                // 8-bit octets in a header the client appended in 7 bits break §7.4.2
                // whatever message the server stores.
                let eight_bit = is_header_section(name) && has_8bit(have) && !has_8bit(want);
                if message_data && !eight_bit {
                    differing.push(explain::Differing {
                        name: name.clone(),
                        want: want.clone(),
                        have: have.clone(),
                        rule: id_rule,
                    });
                    continue;
                }
                let summary = if id_rule == rule::EXAMINE_NO_CHANGES {
                    format!(
                        "FLAGS of message {seq} show \\Seen, which it did not have, in a mailbox \
                         selected with EXAMINE"
                    )
                } else if id_rule == rule::SEEN_SET {
                    format!(
                        "FLAGS of message {seq} lack \\Seen after a FETCH of a body section \
                         (not BODY.PEEK)"
                    )
                } else {
                    format!("{name} of message {seq} differs from the stored message")
                };
                self.find(
                    step,
                    if eight_bit {
                        rule::HEADERS_7BIT
                    } else {
                        id_rule
                    },
                    summary,
                    format!("{name} {}", render(want)),
                    format!("{name} {}", render(have)),
                );
            }
            self.explain_fetch(step, body, *seq, id, &msg.message, &got, differing);
        }
    }

    /// Learns the sizes the server gives in FETCH responses (RFC822.SIZE, or the length
    /// of a whole message), against which its SEARCH SMALLER and LARGER are judged.
    fn learn_sizes(&mut self, step: Option<usize>, seen: &[Seen]) {
        let Some(sel) = self.session.selection().cloned() else {
            return;
        };
        for s in seen {
            let Seen::Fetch(seq, items) = s else { continue };
            let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)).copied() else {
                continue;
            };
            for (n, t) in items {
                let size = match n.as_str() {
                    "RFC822.SIZE" => t
                        .atom()
                        .and_then(|a| std::str::from_utf8(a).ok())
                        .and_then(|a| a.parse::<u32>().ok()),
                    "RFC822" | "BODY[]" => t.text().map(|b| b.len() as u32),
                    _ => None,
                };
                if let Some(size) = size {
                    let item = if n == "RFC822.SIZE" {
                        format!("* {seq} FETCH (RFC822.SIZE {size})")
                    } else {
                        format!("* {seq} FETCH ({n} {{{size}}} ...)")
                    };
                    self.learn_own_size(id, size, step, item);
                }
            }
        }
    }

    /// Records the server's UID for a message; false (and a finding) if it breaks
    /// ascending order or reuses a UID.
    fn learn_uid(&mut self, step: Option<usize>, mailbox: &[u8], id: u64, uid: u32) -> bool {
        let Some(user) = self.session.user.clone() else {
            return true;
        };
        let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(mailbox))
        else {
            return true;
        };
        let Some(pos) = mb.position(id) else {
            return true;
        };
        if mb.messages[pos].uid_known {
            if mb.messages[pos].uid != uid {
                let old = mb.messages[pos].uid;
                if self.deduced_uids.contains(&id) {
                    // Deduced from the server's UIDNEXT, which was wrong then: where the
                    // fault lies is not this answer's to say.
                    self.stop(Gap::UidChanged);
                    return false;
                }
                self.find(
                    step,
                    rule::UID_ASCENDING,
                    format!("message's UID changed from {old} to {uid} within one UIDVALIDITY"),
                    format!("UID {old}"),
                    format!("UID {uid}"),
                );
                self.stop(Gap::UidChanged);
                return false;
            }
            return true;
        }
        let below = mb.messages[..pos]
            .iter()
            .rev()
            .find(|m| m.uid_known)
            .map(|m| m.uid);
        let above = mb.messages[pos + 1..]
            .iter()
            .find(|m| m.uid_known)
            .map(|m| m.uid);
        let reused = self
            .uids_seen
            .get(mailbox)
            .and_then(|m| m.get(&uid))
            .is_some_and(|other| *other != id);
        if below.is_some_and(|b| b >= uid) || above.is_some_and(|a| a <= uid) || reused {
            self.find(
                step,
                rule::UID_ASCENDING,
                format!("UID {uid} breaks strictly ascending order (before: {below:?}, after: {above:?}) or is reused"),
                "UIDs ascending with sequence numbers, never reused".into(),
                format!("UID {uid}"),
            );
            self.stop(Gap::UidOrder);
            return false;
        }
        if let Some((v, max)) = self.gone.get(mailbox) {
            if *v == mb.uid_validity && uid <= *max {
                let (v, max) = (*v, *max);
                self.find(
                    step,
                    rule::RECREATED_UIDS,
                    format!("a mailbox made again under an old name reuses UID {uid} within UIDVALIDITY {v} (the old one had UIDs up to {max})"),
                    format!("UIDs above {max}, or a new UIDVALIDITY"),
                    format!("UID {uid}"),
                );
                self.stop(Gap::UidReused);
                return false;
            }
        }
        let m = &mut mb.messages[pos];
        m.uid = uid;
        m.uid_known = true;
        if mb.uid_next <= uid {
            mb.uid_next = uid.saturating_add(1);
        }
        self.uids_seen
            .entry(mailbox.to_vec())
            .or_default()
            .insert(uid, id);
        // RFC 3501 §2.3.1.1: UIDs are 32-bit; once the server has given the last ones, a
        // message it adds needs a new UIDVALIDITY (or none can be added), which the model
        // cannot predict, and the model's next UID would not fit.
        if uid >= u32::MAX - 1 {
            // The next message's UID would not fit in 32 bits.
            self.stop(Gap::UidExhausted);
        }
        true
    }

    /// The model's selected mailbox, to learn about it.
    fn selected_mailbox_mut(&mut self) -> Option<&mut crate::model::account::Mailbox> {
        let user = self.session.user.clone()?;
        let name = self.session.selection()?.mailbox.clone();
        self.store.accounts.get_mut(&user)?.get_mut(&name)
    }

    fn mark_selected_known(&mut self) {
        if let Some(mb) = self.selected_mailbox_mut() {
            mb.known = true;
        }
    }

    /// Forgets the flags of the selected mailbox's messages (after a change the model could
    /// not follow), until the server shows them again.
    fn forget_flags(&mut self) {
        if let Some(mb) = self.selected_mailbox_mut() {
            for m in mb.messages.iter_mut() {
                m.flags_known = false;
            }
        }
    }

    /// Takes the flags of messages whose flags the model does not know from the server's
    /// FETCH FLAGS responses.
    fn learn_flags(&mut self, step: Option<usize>, seen: &[Seen]) {
        let (Some(user), Some(sel)) =
            (self.session.user.clone(), self.session.selection().cloned())
        else {
            return;
        };
        // The last FLAGS shown for each message in this exchange (a server may send the
        // flags again after a FETCH set \\Seen).
        let mut last: BTreeMap<u32, FlagSet> = BTreeMap::new();
        for s in seen {
            let Seen::Fetch(seq, items) = s else { continue };
            if let Some(flags) = items
                .iter()
                .find(|(n, _)| n == "FLAGS")
                .and_then(|(_, t)| flags_of(t))
            {
                last.insert(*seq, flags);
            }
        }
        let mut lost: Vec<(u32, FlagSet, FlagSet, &'static str)> = Vec::new();
        let mut claims: Vec<flags::FlagClaim> = Vec::new();
        let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(&sel.mailbox))
        else {
            return;
        };
        let seen_in_flight = self.session.latitude.seen_in_flight;
        for (seq, flags) in &last {
            let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)) else {
                continue;
            };
            if let Some(m) = mb.messages.iter_mut().find(|m| m.id == *id) {
                // Under EXAMINE a `\\Seen` may be the effect of a body FETCH that must not
                // set it (RFC 2060 §6.3.2, reported where it shows) and need not outlive
                // the selection: not learnt as the stored flags.
                let doubtful_seen = sel.read_only && flags.contains("\\Seen");
                if !m.flags_known && !doubtful_seen {
                    // The FLAGS of a FETCH that set \\Seen may list only what changed: one
                    // that lacks flags the APPEND or COPY asked for is held until the
                    // server shows the flags again, and not learnt.
                    if let (true, Some((want, rule))) = (seen_in_flight, &m.expected_flags) {
                        let mut missing = FlagSet::new();
                        for f in want.names() {
                            if !flags.contains(&f) {
                                missing.insert(&f);
                            }
                        }
                        if !missing.names().is_empty() {
                            // Never shown again: the FLAGS is read as it stands, against
                            // the SHOULD that asked for the flags.
                            let otherwise = (
                                *rule,
                                format!(
                                    "message {seq} lacks flags the client asked for ({}), as the \
                                     FLAGS of a FETCH that set \\Seen shows them; the server did \
                                     not show its flags again",
                                    missing.names().join(" ")
                                ),
                                format!("FLAGS including ({})", want.names().join(" ")),
                            );
                            claims.push(flags::FlagClaim {
                                step,
                                seq: *seq,
                                id: *id,
                                shown: flags.clone(),
                                missing,
                                touched: FlagSet::new(),
                                otherwise: Some(otherwise),
                                learnt_later: true,
                            });
                            continue;
                        }
                    }
                    m.flags = flags.without_recent();
                    if seen_in_flight {
                        // This FETCH set \\Seen; its FLAGS may show them from before.
                        m.flags.insert("\\Seen");
                    }
                    m.flags_known = true;
                    if let Some((want, rule)) = m.expected_flags.take() {
                        if want.names().iter().any(|f| !m.flags.contains(f)) {
                            lost.push((*seq, want, m.flags.clone(), rule));
                        }
                    }
                }
            }
        }
        for c in claims {
            self.claim_flags(c);
        }
        for (seq, want, got, rule) in lost {
            self.find_cause(
                step,
                rule,
                None,
                super::Cause::FlagsNotSet,
                format!("message {seq} lacks flags the client asked for"),
                format!("FLAGS including ({})", want.names().join(" ")),
                format!("* {seq} FETCH (FLAGS ({}))", got.names().join(" ")),
            );
        }
    }

    fn learn_date(&mut self, mailbox: &[u8], id: u64, t: &Tok) {
        let Some(text) = t.text() else { return };
        let Some(d) = std::str::from_utf8(text)
            .ok()
            .and_then(|s| chrono::DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok())
        else {
            return;
        };
        let Some(user) = self.session.user.clone() else {
            return;
        };
        if let Some(m) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(mailbox))
            .and_then(|mb| mb.messages.iter_mut().find(|m| m.id == id))
        {
            m.internal_date = d;
            m.date_known = true;
        }
    }

    /// RFC 2060 §6.3.10: "STATUS MUST NOT cause messages to lose the \Recent flag". Two
    /// STATUS RECENT answers for a mailbox that is not selected, with nothing between
    /// them that could change its messages, must agree (see [`Oracle::forget_recent`]).
    fn check_status_recent(&mut self, step: Option<usize>, name: &[u8], seen: &[Seen]) {
        let key = Account::key(name);
        let selected = self
            .session
            .selection()
            .is_some_and(|s| Account::key(&s.mailbox) == key);
        let recent = seen.iter().find_map(|s| match s {
            Seen::Status(items) => items.iter().find(|(k, _)| k == "RECENT").map(|(_, v)| *v),
            _ => None,
        });
        let Some(now) = recent.filter(|_| !selected) else {
            return;
        };
        match self.status_recent.get(&key) {
            Some(&(before, at)) if before != now => {
                let earlier = at
                    .map(|s| format!(" at step {}", s + 1))
                    .unwrap_or_default();
                self.find(
                    step,
                    rule::STATUS_NO_SIDE_EFFECTS,
                    format!(
                        "STATUS RECENT is {now}; an earlier STATUS{earlier} said {before}, and \
                         nothing between them could change the mailbox's messages"
                    ),
                    format!("RECENT {before}"),
                    format!("RECENT {now}"),
                );
            }
            _ => {
                self.status_recent.insert(key, (now, step));
            }
        }
    }

    /// Forgets the STATUS RECENT counts a command may change (anything but the commands
    /// that touch no other mailbox's messages), and the refused APPEND and COPY commands a
    /// later count may be blamed on.
    fn forget_recent(&mut self, body: &CommandBody<'_>) {
        use CommandBody::*;
        let harmless = matches!(
            body,
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
                | Login { .. }
        );
        if !harmless {
            self.status_recent.clear();
        }
        // Only a refused APPEND or COPY followed by nothing that changes messages (SELECT
        // and EXAMINE only look) explains a message the model lacks.
        if !harmless && !matches!(body, Select { .. } | Examine { .. }) {
            self.failed_into.clear();
        }
    }

    fn check_status(&mut self, step: Option<usize>, name: &[u8], reply: &Reply, seen: &[Seen]) {
        let Some(Untagged::Status { items, .. }) = reply
            .untagged
            .iter()
            .find(|u| matches!(u, Untagged::Status { .. }))
        else {
            return;
        };
        let Some(got) = seen.iter().find_map(|s| match s {
            Seen::Status(i) => Some(i.clone()),
            _ => None,
        }) else {
            self.find(
                step,
                rule::STATUS_REQUIRED,
                "STATUS completed without an untagged STATUS response".into(),
                "* STATUS ...".into(),
                "no STATUS response".into(),
            );
            return;
        };
        for (k, v) in items {
            // Counts the model knows exactly; UIDNEXT/UIDVALIDITY are the server's choice
            // and RECENT depends on other sessions.
            if k != "MESSAGES" && k != "UNSEEN" {
                continue;
            }
            if let Some((_, g)) = got.iter().find(|(n, _)| n == k) {
                if k == "MESSAGES" && g == v {
                    self.failed_into.remove(&Account::key(name));
                }
                if k == "MESSAGES" && g > v {
                    let before = self.verdicts.len();
                    self.left_behind(
                        step,
                        Some(Account::key(name)),
                        *v as usize,
                        *g as usize,
                        &format!("MESSAGES {v}"),
                    );
                    if self.verdicts.len() > before {
                        continue;
                    }
                }
                if g != v {
                    self.find(
                        step,
                        if k == "UNSEEN" {
                            rule::STATUS_UNSEEN
                        } else {
                            rule::STATUS_VALUE
                        },
                        format!("STATUS {k} is {g}; the mailbox has {v}"),
                        format!("{k} {v}"),
                        format!("{k} {g}"),
                    );
                }
            }
        }
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
