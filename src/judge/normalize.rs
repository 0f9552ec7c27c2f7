//! Normalisation of exchanges before servers are compared.
//!
//! Servers may legitimately answer the same command differently; only differences that
//! remain after the following rewrites are reported (as divergences, never violations).
//! One normalised line is produced per server message (FETCH responses for the same
//! message within one exchange are merged into one line). What is rewritten, and why:
//!
//! - **Tags** become `<tag>`: the client chooses them (RFC 3501 §2.2.1).
//! - **Status text**: the human-readable `text` of OK/NO/BAD/PREAUTH/BYE is dropped; the
//!   status and the response code name are kept (RFC 3501 §7.1: the text is for humans,
//!   e.g. Dovecot's "(0.001 + 0.000 secs)").
//! - **Untagged `* OK` without a code, and untagged `* OK` with an extension code**
//!   (HIGHESTMODSEQ, MAILBOXID, URLMECH, CLOSED, ...) are dropped: informational, and
//!   present only on servers implementing the extension. Extension codes are likewise
//!   removed from other status responses (APPENDUID/COPYUID of RFC 4315, ALREADYEXISTS of
//!   RFC 5530, ...), keeping the status. RFC 3501 codes are kept: ALERT, BADCHARSET,
//!   PARSE, PERMANENTFLAGS, READ-ONLY, READ-WRITE, TRYCREATE, UIDNEXT, UIDVALIDITY, UNSEEN.
//! - **CAPABILITY**: `* CAPABILITY` lists become `<capabilities>`; CAPABILITY response
//!   codes are dropped (optional, RFC 3501 §7.1 and §7.2.1). `* ID`, `* NAMESPACE` and
//!   `* ENABLED` data become `<...>` (server identity and configuration).
//! - **Values servers pick**: UIDVALIDITY and UIDNEXT values become `<uidvalidity>` and
//!   `<uidnext>` (RFC 3501 §2.3.1.1; a UIDVALIDITY value the server announced becomes
//!   `<uidvalidity>` wherever else it appears too, e.g. in the `X-IMAPbase` header GNU
//!   Mailutils writes into the messages of an mbox), PERMANENTFLAGS contents become `<flags>`, the LIST
//!   hierarchy delimiter becomes `<delim>` (RFC 3501 §5.1.1; mailbox names that contain
//!   it still differ), mod-sequences (FETCH MODSEQ, SEARCH `(MODSEQ n)`, STATUS
//!   HIGHESTMODSEQ, ESEARCH MODSEQ; RFC 7162) become `<modseq>`, object ids (EMAILID,
//!   THREADID, STATUS MAILBOXID; RFC 8474) `<objectid>`, FETCH SAVEDATE `<savedate>`.
//! - **UIDs** name messages through the model: where the oracle followed a target and
//!   knows which message a UID identifies, the UID becomes `m<id>`, the model's identity
//!   of that message, so servers compare by message identity, not raw UIDs. Elsewhere
//!   UIDs are renamed `u1`, `u2`, ... per target per session in order of first
//!   appearance (FETCH UID, UID SEARCH results), so equal structure compares equal.
//! - **INTERNALDATE** values are compared as instants (zone applied); one that matches no
//!   date the script gave in an APPEND becomes `<internaldate>` (the server stamps
//!   messages appended without a date with its clock, RFC 3501 §6.3.11).
//! - **`\Recent`** (RFC 3501 §2.3.2: whether a session is "first" is up to the server) is
//!   removed from FETCH FLAGS and from the `* FLAGS` list; `* n RECENT` becomes
//!   `* <n> RECENT` after SELECT and EXAMINE (where it is required, RFC 3501 §6.3.1) and
//!   is dropped elsewhere (when servers re-announce it differs); the STATUS RECENT
//!   count becomes `<n>`.
//! - **Orderless data**: untagged responses within one exchange are sorted (RFC 3501 §7:
//!   the order is not fixed), except that `* n EXPUNGE` stays in order and separates the
//!   responses before it from those after it (sequence numbers change there). A run of
//!   EXPUNGEs with nothing between them is rewritten as the same removals highest first
//!   (`1 1 1` and `3 2 1` remove the same three messages, RFC 3501 §7.4.1). Flags in
//!   lists, FETCH items, STATUS items, SEARCH numbers and ESEARCH return data (RFC 4731;
//!   its correlator becomes `(TAG <tag>)`) are sorted. Several FETCH
//!   responses for the same message in one exchange are merged (RFC 3501 §7.4.2 allows
//!   the data to be split, e.g. the `\Seen` update after BODY[]).
//! - **Repeated EXISTS**: `* n EXISTS` that repeats the last count the target reported
//!   (EXPUNGE decrements it) is dropped; servers differ in when they re-announce.
//! - **FLAGS and PERMANENTFLAGS outside SELECT/EXAMINE** are dropped: RFC 2060 §7.2.6
//!   lets a server send FLAGS at any time, and some re-announce both when a STORE or
//!   APPEND brings a new keyword, others never do.
//! - **`* OK [UIDNEXT n]`** is dropped: RFC 3501 §6.3.1 requires it at SELECT, RFC 2060
//!   does not define it; the oracle's `rfc3501` profile checks it.
//! - **`* LSUB` of INBOX** is dropped until the script subscribes or unsubscribes INBOX:
//!   before that, whether it is subscribed is the account's state (Cyrus subscribes it
//!   when it creates it), not something the session did.
//! - **LIST attributes** other than `\Noinferiors` and `\Noselect` (\HasChildren,
//!   \HasNoChildren of RFC 3348, \Marked/\Unmarked which are optional, special-use) are
//!   dropped; `INBOX` is case-insensitive (RFC 3501 §5.1).
//! - **Lexical forms**: quoted strings and literals with the same content are the same
//!   string (RFC 3501 §4.3), and so are a quoted field name and an atom in an echoed
//!   `HEADER.FIELDS` list, whose order is not fixed either (sorted); atoms such as NIL, item names and system flags compare
//!   case-insensitively; BODYSTRUCTURE strings for types, subtypes, parameters and
//!   encodings compare case-insensitively (MIME, RFC 2045), and its optional extension
//!   data (MD5, disposition, language, location) is dropped.
//! - **Continuation requests** become `+` (their text is for humans); those that only
//!   ask for a synchronizing literal are left out, since the driver sends literals
//!   non-synchronizing where LITERAL+ is advertised and the request is then absent.
//!
//! Left visible on purpose: sequence numbers, flags and keywords, message sizes and
//! contents, mailbox names and delimiters, NO versus OK, the timing of EXISTS/EXPUNGE
//! announcements, and which RFC 3501 codes appear.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::wire::{escape, Event, Exchange, Fragment, Message};

mod untagged;
mod value;

use untagged::untagged;
pub use value::date_instant;

/// Per-target, per-session state of the normaliser.
#[derive(Clone, Debug, Default)]
pub struct NormContext {
    /// UID as sent → renamed number, in order of first appearance.
    uids: HashMap<Vec<u8>, usize>,
    /// Last `* n EXISTS` count of the selected mailbox.
    exists: Option<u64>,
    /// INTERNALDATE instants the script supplied in APPEND commands (seconds, UTC).
    supplied_dates: HashSet<i64>,
    /// The exchange being normalised is a SELECT or EXAMINE.
    selecting: bool,
    /// UIDVALIDITY values the server announced, replaced wherever they appear.
    uidvalidities: HashSet<String>,
    /// Message identity for the exchange being normalised: UID of the selected mailbox →
    /// the model's message id, as the oracle followed this target. When set, UIDs are
    /// named `m<id>` instead of by first appearance.
    identity: Option<BTreeMap<u32, u64>>,
    /// A UID of this exchange was not in `identity`.
    identity_missed: bool,
    /// The script sent SUBSCRIBE or UNSUBSCRIBE for INBOX: from then on whether LSUB
    /// lists INBOX is compared.
    inbox_subscription_sent: bool,
}

impl NormContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// Names UIDs by model message identity for the next exchange (see
    /// [`normalize_exchange_by_identity`]).
    fn set_identity(&mut self, identity: BTreeMap<u32, u64>) {
        self.identity = Some(identity);
        self.identity_missed = false;
    }

    fn uid(&mut self, u: &[u8]) -> String {
        if let Some(map) = &self.identity {
            let id = std::str::from_utf8(u)
                .ok()
                .and_then(|s| s.parse::<u32>().ok())
                .and_then(|uid| map.get(&uid));
            match id {
                Some(id) => return format!("m{id}"),
                None => self.identity_missed = true,
            }
        }
        let n = self.uids.len() + 1;
        format!("u{}", self.uids.entry(u.to_vec()).or_insert(n))
    }
}

/// Normalises an exchange naming each UID by the message it identifies in the model
/// (`m<id>`): two servers that gave the same messages different UIDs, or gave them in a
/// different order, compare equal. `None` when a UID in the exchange is not in
/// `identity` (the oracle had not learnt it): compare by first appearance then.
pub fn normalize_exchange_by_identity(
    e: &Exchange,
    ctx: &mut NormContext,
    identity: BTreeMap<u32, u64>,
) -> Option<Vec<String>> {
    ctx.set_identity(identity);
    let lines = normalize_exchange(e, ctx);
    let missed = ctx.identity_missed;
    ctx.identity = None;
    (!missed).then_some(lines)
}

const CORE_CODES: &[&str] = &[
    "ALERT",
    "BADCHARSET",
    "PARSE",
    "PERMANENTFLAGS",
    "READ-ONLY",
    "READ-WRITE",
    "TRYCREATE",
    "UIDNEXT",
    "UIDVALIDITY",
    "UNSEEN",
];

/// The command verb, upper-cased, with `UID` joined to its sub-command.
fn verb(cmd: &Message) -> String {
    let l = cmd.first_line().to_ascii_uppercase();
    let mut w = l.split(|&c| c == b' ').skip(1);
    let v = String::from_utf8_lossy(w.next().unwrap_or(b"")).into_owned();
    if v == "UID" {
        format!("UID {}", String::from_utf8_lossy(w.next().unwrap_or(b"")))
    } else {
        v
    }
}

/// Normalises one exchange: one line per server message (see the module documentation).
pub fn normalize_exchange(e: &Exchange, ctx: &mut NormContext) -> Vec<String> {
    let cmd = e.command();
    let tag = cmd.tag().to_vec();
    let verb = verb(&cmd);
    if verb == "APPEND" {
        // The optional date-time is a quoted string on the command's first line.
        for (i, q) in cmd.first_line().split(|&c| c == b'"').enumerate() {
            if let Some(d) = date_instant(q).filter(|_| i % 2 == 1) {
                ctx.supplied_dates.insert(d);
            }
        }
    }
    if matches!(verb.as_str(), "SELECT" | "EXAMINE" | "CLOSE" | "UNSELECT") {
        ctx.exists = None;
    }
    if matches!(verb.as_str(), "SUBSCRIBE" | "UNSUBSCRIBE") {
        let l = cmd.first_line().to_ascii_uppercase();
        let arg = l.split(|&c| c == b' ').nth(2).unwrap_or(b"");
        if arg == b"INBOX" || arg == b"\"INBOX\"" {
            ctx.inbox_subscription_sent = true;
        }
    }
    let uid_cmd = verb.starts_with("UID ");
    ctx.selecting = matches!(verb.as_str(), "SELECT" | "EXAMINE");
    let mut conts = Vec::new();
    let mut segments: Vec<Segment> = vec![Segment::default()];
    let mut tail = Vec::new();
    for (i, ev) in e.events.iter().enumerate() {
        let Event::Server(m) = ev else { continue };
        learn_uidvalidities(m, ctx);
        let line = m.first_line();
        if m.is_continuation() {
            // A request for a synchronizing literal is mechanics of the literal form the
            // driver chose (where LITERAL+ is advertised there is none): left out.
            let literal_follows = matches!(
                e.events.get(i + 1),
                Some(Event::Client(c)) if matches!(c.fragments.first(), Some(Fragment::Literal(_)))
            );
            if !literal_follows {
                conts.push("+".to_string());
            }
        } else if m.is_untagged() {
            untagged(m, ctx, uid_cmd, &mut segments);
        } else {
            let t = if m.tag() == tag.as_slice() {
                "<tag>".to_string()
            } else {
                format!("<other tag {}>", escape(m.tag()))
            };
            tail.push(status_line(&t, &line[m.tag().len()..]));
        }
    }
    let mut out = conts;
    let uidvalidities = &ctx.uidvalidities;
    let mut expunged: Vec<u32> = Vec::new();
    for s in segments {
        if !(s.lines.is_empty() && s.fetch.is_empty()) {
            out.extend(expunges_in_canonical_order(&mut expunged));
        }
        let mut lines = s.lines;
        for (n, items) in s.fetch {
            let body: Vec<String> = items.into_iter().map(|(k, v)| format!("{k} {v}")).collect();
            lines.push(format!("* {n} FETCH ({})", body.join(" ")));
        }
        lines.sort();
        out.extend(lines);
        match s.expunge {
            Some(e) => match e
                .strip_prefix("* ")
                .and_then(|r| r.strip_suffix(" EXPUNGE"))
                .and_then(|n| n.parse().ok())
            {
                Some(n) => expunged.push(n),
                None => out.push(e),
            },
            None => out.extend(expunges_in_canonical_order(&mut expunged)),
        }
    }
    out.extend(expunges_in_canonical_order(&mut expunged));
    out.extend(tail);
    if !uidvalidities.is_empty() {
        for line in &mut out {
            *line = replace_numbers(line, uidvalidities, "<uidvalidity>");
        }
    }
    out
}

/// A run of `* n EXPUNGE` responses with nothing between them, as the same removals in
/// one canonical order: the messages' numbers before the run, highest first. RFC 3501
/// §7.4.1: each EXPUNGE renumbers the messages after it, so `1 1 1` and `3 2 1` remove
/// the same three messages; which order a server sends is its choice. Empties `run`.
fn expunges_in_canonical_order(run: &mut Vec<u32>) -> Vec<String> {
    // The numbers before the run of the messages removed so far, ascending.
    let mut before: Vec<u32> = Vec::with_capacity(run.len());
    for &n in run.iter() {
        let mut original = n;
        for &r in &before {
            if r <= original {
                original = original.saturating_add(1);
            }
        }
        let at = before.partition_point(|&r| r < original);
        before.insert(at, original);
    }
    run.clear();
    before
        .into_iter()
        .rev()
        .map(|n| format!("* {n} EXPUNGE"))
        .collect()
}

/// How many digits a UIDVALIDITY value needs before it is normalised outside the places
/// that name it (`[UIDVALIDITY n]`, STATUS): a clock value, as servers choose, never
/// stands for a count by accident.
const MIN_FREE_UIDVALIDITY_DIGITS: usize = 5;

/// Notes every UIDVALIDITY value in a message: `[UIDVALIDITY n]` and STATUS's
/// `UIDVALIDITY n`.
fn learn_uidvalidities(m: &Message, ctx: &mut NormContext) {
    let bytes = m.to_bytes();
    let upper = bytes.to_ascii_uppercase();
    let key = b"UIDVALIDITY ";
    let mut from = 0;
    while let Some(p) = upper[from..].windows(key.len()).position(|w| w == key) {
        let start = from + p + key.len();
        let digits: Vec<u8> = bytes[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .copied()
            .collect();
        // A short value (a server counting from 1) would also match sequence numbers,
        // counts and part numbers: it is normalised only where it is a UIDVALIDITY.
        if digits.len() >= MIN_FREE_UIDVALIDITY_DIGITS {
            ctx.uidvalidities
                .insert(String::from_utf8_lossy(&digits).into_owned());
        }
        from = start;
    }
}

/// Replaces each whole number of `values` in `line` by `with`. RFC 3501 §2.3.1.1: the
/// UIDVALIDITY value is the server's choice, and some servers also write it into data
/// (GNU Mailutils' mbox `X-IMAPbase` header), so it is normalised wherever it appears.
fn replace_numbers(line: &str, values: &HashSet<String>, with: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let end = i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let number = &line[i..end];
            out.push_str(if values.contains(number) {
                with
            } else {
                number
            });
            i = end;
        } else {
            let ch = line[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[derive(Default)]
struct Segment {
    lines: Vec<String>,
    /// FETCH items per message number, merged; a later value for an item wins.
    fetch: BTreeMap<u64, BTreeMap<String, String>>,
    /// The EXPUNGE that closes the segment.
    expunge: Option<String>,
}

/// `rest` is everything after the tag: ` OK [CODE args] text`.
fn status_line(tag: &str, rest: &[u8]) -> String {
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let kw_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let kw = String::from_utf8_lossy(&rest[..kw_end]).to_ascii_uppercase();
    if !matches!(kw.as_str(), "OK" | "NO" | "BAD" | "BYE" | "PREAUTH") {
        return format!("{tag} {}", escape(rest));
    }
    match code(&rest[kw_end..]) {
        Some(c) => format!("{tag} {kw} [{c}]"),
        None => format!("{tag} {kw}"),
    }
}

/// The normalised RFC 3501 response code of a resp-text, if any.
fn code(text: &[u8]) -> Option<String> {
    let t = text.strip_prefix(b" ")?.strip_prefix(b"[")?;
    let close = t.iter().position(|&c| c == b']')?;
    let inner = &t[..close];
    let name_end = inner.iter().position(|&c| c == b' ').unwrap_or(inner.len());
    let name = String::from_utf8_lossy(&inner[..name_end]).to_ascii_uppercase();
    if !CORE_CODES.contains(&name.as_str()) {
        return None;
    }
    Some(match name.as_str() {
        "UIDVALIDITY" => "UIDVALIDITY <uidvalidity>".into(),
        "UIDNEXT" => "UIDNEXT <uidnext>".into(),
        "PERMANENTFLAGS" => "PERMANENTFLAGS <flags>".into(),
        "BADCHARSET" => "BADCHARSET".into(),
        _ if name_end < inner.len() => format!("{name} {}", escape(&inner[name_end + 1..])),
        _ => name,
    })
}

#[cfg(test)]
mod tests;
