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

use super::lex::{self, Tok, TokKind};
use super::syntax::is_core_fetch_item;
use crate::wire::{escape, Event, Exchange, Fragment, Message};

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

fn untagged(m: &Message, ctx: &mut NormContext, uid_cmd: bool, segs: &mut Vec<Segment>) {
    let bytes = m.to_bytes();
    let line = m.first_line();
    let seg = segs.last_mut().expect("one segment at least");
    if let Some(kw) = status_kw(line) {
        let c = code(&line[2 + kw.len()..]);
        if kw == "OK" && c.is_none() {
            return; // informational, or an extension code
        }
        if kw == "OK" && !ctx.selecting && c.as_deref() == Some("PERMANENTFLAGS <flags>") {
            return; // re-announced with a new keyword, as some servers do
        }
        if kw == "OK" && c.as_deref() == Some("UIDNEXT <uidnext>") {
            return; // RFC 3501 §6.3.1 added it; RFC 2060 has no UIDNEXT code
        }
        seg.lines.push(match c {
            Some(c) => format!("* {kw} [{c}]"),
            None => format!("* {kw}"),
        });
        return;
    }
    let Some(toks) = lex::items(&bytes, 2) else {
        seg.lines.push(format!("* <malformed> {}", escape(&bytes)));
        return;
    };
    let first = toks.first().and_then(Tok::atom).unwrap_or(b"");
    if first.eq_ignore_ascii_case(b"FLAGS") && !ctx.selecting {
        return; // re-announced with a new keyword, as some servers do
    }
    if first.iter().all(u8::is_ascii_digit) && !first.is_empty() {
        let n: u64 = std::str::from_utf8(first)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        let kw = toks
            .get(1)
            .and_then(Tok::atom)
            .unwrap_or(b"")
            .to_ascii_uppercase();
        match kw.as_slice() {
            b"EXISTS" if toks.len() == 2 => {
                if ctx.exists != Some(n) {
                    ctx.exists = Some(n);
                    seg.lines.push(format!("* {n} EXISTS"));
                }
            }
            b"RECENT" if toks.len() == 2 => {
                if ctx.selecting {
                    seg.lines.push("* <n> RECENT".into());
                }
            }
            b"EXPUNGE" if toks.len() == 2 => {
                ctx.exists = ctx.exists.map(|e| e.saturating_sub(1));
                seg.expunge = Some(format!("* {n} EXPUNGE"));
                segs.push(Segment::default());
            }
            b"FETCH" if toks.len() == 3 && toks[2].list().is_some() => {
                let items = toks[2].list().unwrap_or(&[]);
                let entry = seg.fetch.entry(n).or_default();
                for p in items.chunks(2) {
                    let name = header_list_canonical(&render(&p[0]).to_ascii_uppercase());
                    let value = p
                        .get(1)
                        .map(|v| fetch_value(&name, v, ctx))
                        .unwrap_or_default();
                    entry.insert(name, value);
                }
            }
            _ => seg.lines.push(format!("* {}", render_all(&toks))),
        }
        return;
    }
    let kw = String::from_utf8_lossy(first).to_ascii_uppercase();
    let rest = toks.get(1..).unwrap_or(&[]);
    let line = match kw.as_str() {
        "CAPABILITY" => "* CAPABILITY <capabilities>".into(),
        "ID" | "NAMESPACE" | "ENABLED" => format!("* {kw} <...>"),
        "FLAGS" => format!(
            "* FLAGS {}",
            rest.first().map(|f| flags(f, true)).unwrap_or_default()
        ),
        "SEARCH" => {
            // Numbers sorted numerically first, so UIDs are renamed in ascending order.
            let mut nums: Vec<(u64, &Tok)> = rest
                .iter()
                .map(|t| {
                    let a = t.atom().unwrap_or(b"");
                    let v = std::str::from_utf8(a).ok().and_then(|s| s.parse().ok());
                    (v.unwrap_or(u64::MAX), t)
                })
                .collect();
            nums.sort_by_key(|(v, _)| *v);
            let v: Vec<String> = nums
                .into_iter()
                .map(|(_, t)| match (t.list(), t.atom()) {
                    // RFC 7162 §3.1.5: `(MODSEQ n)`, a value the server chooses.
                    (Some(_), _) => "(MODSEQ <modseq>)".to_string(),
                    (_, Some(a)) if uid_cmd => ctx.uid(a),
                    _ => render(t),
                })
                .collect();
            format!("* SEARCH {}", v.join(" ")).trim_end().to_string()
        }
        "ESEARCH" => esearch(rest),
        "LSUB"
            if !ctx.inbox_subscription_sent
                && rest
                    .get(2)
                    .and_then(Tok::text)
                    .is_some_and(|n| n.eq_ignore_ascii_case(b"INBOX")) =>
        {
            // Whether INBOX is subscribed before the client said is the account's
            // state, not the session's (Cyrus subscribes it on creation).
            return;
        }
        "LIST" | "LSUB" => {
            let mut parts = vec![format!("* {kw}")];
            if let Some(attrs) = rest.first() {
                parts.push(list_attrs(attrs));
            }
            // RFC 3501 §5.1.1 / §7.2.2: the hierarchy delimiter (or NIL) is the server's.
            parts.extend(rest.get(1).map(|_| "<delim>".to_string()));
            parts.extend(rest.get(2).map(mailbox));
            parts.extend(rest.iter().skip(3).map(render));
            parts.join(" ")
        }
        "STATUS" => {
            let mb = rest.first().map(mailbox).unwrap_or_default();
            let mut items: Vec<String> = rest
                .get(1)
                .and_then(Tok::list)
                .unwrap_or(&[])
                .chunks(2)
                .map(|p| {
                    let name = render(&p[0]).to_ascii_uppercase();
                    let v = match name.as_str() {
                        "UIDVALIDITY" => "<uidvalidity>".into(),
                        "UIDNEXT" => "<uidnext>".into(),
                        "HIGHESTMODSEQ" => "<modseq>".into(),
                        "MAILBOXID" => "<objectid>".into(),
                        // Whether a message is still recent is up to the server, as
                        // for `\Recent` in FETCH (RFC 3501 §2.3.2).
                        "RECENT" => "<n>".into(),
                        _ => p.get(1).map(render).unwrap_or_default(),
                    };
                    format!("{name} {v}")
                })
                .collect();
            items.sort();
            format!("* STATUS {mb} ({})", items.join(" "))
        }
        _ => format!("* {}", render_all(&toks)),
    };
    seg.lines.push(line);
}

/// RFC 4731 ESEARCH: `[(TAG "x")] [UID] *(name SP value)`; the order of the returned
/// data items is not fixed, so they are sorted.
fn esearch(rest: &[Tok]) -> String {
    let mut head = vec!["* ESEARCH".to_string()];
    let mut i = 0;
    if rest.first().and_then(Tok::list).is_some() {
        head.push("(TAG <tag>)".into());
        i = 1;
    }
    if rest
        .get(i)
        .and_then(Tok::atom)
        .is_some_and(|a| a.eq_ignore_ascii_case(b"UID"))
    {
        head.push("UID".into());
        i += 1;
    }
    let mut pairs: Vec<String> = rest[i.min(rest.len())..]
        .chunks(2)
        .map(|p| {
            let name = render(&p[0]).to_ascii_uppercase();
            let v = match name.as_str() {
                "MODSEQ" => "<modseq>".to_string(),
                _ => p.get(1).map(render).unwrap_or_default(),
            };
            format!("{name} {v}")
        })
        .collect();
    pairs.sort();
    head.extend(pairs);
    head.join(" ")
}

fn status_kw(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"* ")?;
    let end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let kw = String::from_utf8_lossy(&rest[..end]).to_ascii_uppercase();
    matches!(kw.as_str(), "OK" | "NO" | "BAD" | "BYE" | "PREAUTH").then_some(kw)
}

fn fetch_value(name: &str, v: &Tok, ctx: &mut NormContext) -> String {
    match name {
        "UID" => ctx.uid(v.atom().unwrap_or(b"")),
        "MODSEQ" => "(<modseq>)".into(),
        "SAVEDATE" => "<savedate>".into(),
        "EMAILID" | "THREADID" => "<objectid>".into(),
        "FLAGS" => flags(v, true),
        "INTERNALDATE" => match v.text().and_then(date_instant) {
            Some(i) if ctx.supplied_dates.contains(&i) => format!("@{i}"),
            _ => "<internaldate>".into(),
        },
        "BODY" | "BODYSTRUCTURE" => body(v),
        _ if !is_core_fetch_item(name.as_bytes()) => render(v),
        _ => render(v),
    }
}

/// Flags sorted, system flags case-folded; `\Recent` dropped if asked.
fn flags(t: &Tok, drop_recent: bool) -> String {
    let Some(l) = t.list() else { return render(t) };
    let mut v: Vec<String> = l
        .iter()
        .map(|f| fold_flag(render(f)))
        .filter(|s| !(drop_recent && s == "\\Recent"))
        .collect();
    v.sort();
    format!("({})", v.join(" "))
}

/// System flags and attributes compare case-insensitively: `\\SEEN` becomes `\\Seen`.
fn fold_flag(s: String) -> String {
    if s.starts_with('\\') && s.len() > 1 {
        let mut c = s.to_ascii_lowercase();
        c[1..2].make_ascii_uppercase();
        c
    } else {
        s
    }
}

fn list_attrs(t: &Tok) -> String {
    let Some(l) = t.list() else { return render(t) };
    let mut v: Vec<String> = l
        .iter()
        .map(|f| fold_flag(render(f)))
        .filter(|s| s == "\\Noinferiors" || s == "\\Noselect")
        .collect();
    v.sort();
    format!("({})", v.join(" "))
}

fn mailbox(t: &Tok) -> String {
    match t.text() {
        Some(s) if s.eq_ignore_ascii_case(b"INBOX") => "INBOX".into(),
        Some(s) => quote(s),
        None => render(t),
    }
}

/// BODY/BODYSTRUCTURE without extension data, MIME tokens upper-cased.
fn body(t: &Tok) -> String {
    let Some(l) = t.list() else { return render(t) };
    let up = |t: &Tok| render(t).to_ascii_uppercase();
    if l.first().and_then(Tok::list).is_some() {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        let parts: Vec<String> = l
            .iter()
            .take_while(|p| p.list().is_some())
            .map(body)
            .collect();
        let sub = l.get(parts.len()).map(up).unwrap_or_default();
        return format!("({} {sub})", parts.join(""));
    }
    // body-type-1part: type subtype params id desc enc octets [lines | env body lines]
    let ty = l.first().map(up).unwrap_or_default();
    let sub = l.get(1).map(up).unwrap_or_default();
    let mut n = 7;
    if ty == "\"TEXT\"" {
        n = 8;
    } else if ty == "\"MESSAGE\"" && sub == "\"RFC822\"" && l.len() >= 10 && l[8].list().is_some() {
        n = 10;
    }
    let mut out: Vec<String> = Vec::new();
    for (i, f) in l.iter().take(n).enumerate() {
        out.push(match i {
            0 | 1 | 2 | 5 => up(f),
            8 if n == 10 => body(f),
            _ => render(f),
        });
    }
    format!("({})", out.join(" "))
}

/// A FETCH item name whose section holds a header list (`BODY[HEADER.FIELDS (DATE
/// "CONTENT-TYPE")]`) with the list's field names as atoms where they can be, sorted:
/// `BODY[HEADER.FIELDS (CONTENT-TYPE DATE)]`. A quoted field name and an atom with the
/// same characters are the same `astring` (RFC 3501 §9 `header-fld-name`), and no rule
/// fixes the order in which a server echoes the list.
fn header_list_canonical(name: &str) -> String {
    let Some(open) = name.find("HEADER.FIELDS") else {
        return name.to_string();
    };
    let Some(lp) = name[open..].find('(').map(|p| p + open) else {
        return name.to_string();
    };
    let Some(rp) = name[lp..].find(')').map(|p| p + lp) else {
        return name.to_string();
    };
    let mut fields: Vec<String> = Vec::new();
    let mut rest = &name[lp + 1..rp];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(q) = rest.strip_prefix('"') {
            let Some(end) = q.find('"') else {
                return name.to_string();
            };
            let inner = &q[..end];
            let atom_safe = !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"(){%*\\\"]".contains(&b));
            fields.push(if atom_safe {
                inner.to_string()
            } else {
                format!("\"{inner}\"")
            });
            rest = &q[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    fields.sort();
    format!("{}{}{}", &name[..=lp], fields.join(" "), &name[rp..])
}

fn render_all(toks: &[Tok]) -> String {
    toks.iter().map(render).collect::<Vec<_>>().join(" ")
}

/// Canonical text of a token: strings always quoted, atoms as sent (NIL upper-cased).
fn render(t: &Tok) -> String {
    match &t.kind {
        TokKind::Atom(a) if a.eq_ignore_ascii_case(b"NIL") => "NIL".into(),
        TokKind::Atom(a) => show(a),
        TokKind::Str(s) => quote(s),
        TokKind::List(l) => format!("({})", render_all(l)),
    }
}

/// Printable ASCII as is, other bytes as `\xHH`.
fn show(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02X}")),
        }
    }
    s
}

/// A string in IMAP quoted form (`"` and `\` escaped), other bytes as `\xHH`.
fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(c as char);
            }
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02X}")),
        }
    }
    s.push('"');
    s
}

/// RFC 3501 `date-time` ("dd-Mmm-yyyy hh:mm:ss +zzzz") as seconds since 1970 UTC.
pub fn date_instant(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?.trim_start();
    let (date, rest) = s.split_once(' ')?;
    let (time, zone) = rest.split_once(' ')?;
    let mut d = date.split('-');
    let day: i64 = d.next()?.parse().ok()?;
    let mon = d.next()?.to_ascii_uppercase();
    let year: i64 = d.next()?.parse().ok()?;
    const M: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let month = M.iter().position(|m| *m == mon)? as i64 + 1;
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (h, mi, se) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if zone.len() != 5 {
        return None;
    }
    let sign = match &zone[..1] {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let zh: i64 = zone[1..3].parse().ok()?;
    let zm: i64 = zone[3..5].parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se - sign * (zh * 3600 + zm * 60))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_announced_uidvalidity_is_normalised_wherever_it_appears() {
        let e = super::Exchange {
            events: vec![
                crate::wire::Event::Client(crate::wire::Message::line("a1 SELECT INBOX")),
                crate::wire::Event::Server(crate::wire::Message::line(
                    "* OK [UIDVALIDITY 1795712278] ok",
                )),
                crate::wire::Event::Server(crate::wire::Message::line(
                    "* 1 FETCH (RFC822.HEADER \"X-IMAPbase: 1795712278 2\r\nX-Size: 17952\r\n\")",
                )),
                crate::wire::Event::Server(crate::wire::Message::line("a1 OK done")),
            ],
        };
        let lines = super::normalize_exchange(&e, &mut super::NormContext::new());
        let all = lines.join("\n");
        assert!(all.contains("X-IMAPbase: <uidvalidity> 2"), "{all}");
        assert!(
            all.contains("17952"),
            "only whole numbers are replaced: {all}"
        );
        assert!(!all.contains("1795712278"), "{all}");
    }

    #[test]
    fn a_small_uidvalidity_is_normalised_only_where_it_is_one() {
        let e = super::Exchange {
            events: vec![
                crate::wire::Event::Client(crate::wire::Message::line("a1 SELECT INBOX")),
                crate::wire::Event::Server(crate::wire::Message::line("* 1 EXISTS")),
                crate::wire::Event::Server(crate::wire::Message::line("* OK [UIDVALIDITY 1] ok")),
                crate::wire::Event::Server(crate::wire::Message::line("a1 OK done")),
            ],
        };
        let lines = super::normalize_exchange(&e, &mut super::NormContext::new());
        let all = lines.join("\n");
        assert!(all.contains("* 1 EXISTS"), "{all}");
        assert!(all.contains("[UIDVALIDITY <uidvalidity>]"), "{all}");
    }

    use super::*;

    fn ex(cmd: &str, resp: &[&[u8]]) -> Exchange {
        let mut events = vec![Event::Client(Message::line(cmd))];
        for r in resp {
            let mut fr = crate::wire::Framer::new(Default::default());
            fr.push(r);
            events.push(Event::Server(fr.next_message().unwrap().unwrap()));
        }
        Exchange { events }
    }

    fn norm(cmd: &str, resp: &[&[u8]]) -> Vec<String> {
        normalize_exchange(&ex(cmd, resp), &mut NormContext::new())
    }

    #[test]
    fn tags_and_status_text_are_dropped_codes_kept() {
        assert_eq!(
            norm(
                "a1 SELECT foo",
                &[b"a1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"]
            ),
            vec!["<tag> OK [READ-WRITE]"]
        );
        assert_eq!(
            norm(
                "x9 SELECT foo",
                &[b"x9 ok [read-write] SELECT Completed\r\n"]
            ),
            vec!["<tag> OK [READ-WRITE]"]
        );
        assert_eq!(
            norm(
                "a2 COPY 1 nosuch",
                &[b"a2 NO [TRYCREATE] Mailbox doesn't exist\r\n"]
            ),
            vec!["<tag> NO [TRYCREATE]"]
        );
    }

    #[test]
    fn values_servers_choose_are_placeholders() {
        let cyrus = norm(
            "a1 SELECT INBOX",
            &[
                b"* OK [UIDVALIDITY 1732612345] Ok\r\n",
                b"* OK [UIDNEXT 7] Ok\r\n",
                b"* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok\r\n",
                b"* OK [HIGHESTMODSEQ 4] Ok\r\n",
                b"* OK [URLMECH INTERNAL] Ok\r\n",
                b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Draft \\Seen \\*)] Ok\r\n",
                b"a1 OK [READ-WRITE] Completed\r\n",
            ],
        );
        let courier = norm(
            "b1 SELECT INBOX",
            &[
                b"* OK [PERMANENTFLAGS (\\* \\Draft \\Answered \\Flagged \\Deleted \\Seen)] Limited\r\n",
                b"* OK [UIDVALIDITY 1795709673] Ok\r\n",
                b"* OK [UIDNEXT 3] Ok\r\n",
                b"b1 OK [READ-WRITE] Ok\r\n",
            ],
        );
        assert_eq!(cyrus, courier);
        assert_eq!(
            cyrus,
            vec![
                "* OK [PERMANENTFLAGS <flags>]",
                "* OK [UIDVALIDITY <uidvalidity>]",
                "<tag> OK [READ-WRITE]"
            ]
        );
        let reference = norm(
            "c1 SELECT INBOX",
            &[
                b"* OK [PERMANENTFLAGS (\\Answered \\Seen)] flags\r\n",
                b"* OK [UIDVALIDITY 1795729425] UIDs valid\r\n",
                b"c1 OK [READ-WRITE] SELECT completed\r\n",
            ],
        );
        assert_eq!(cyrus, reference, "RFC 2060 defines no UIDNEXT code");
    }

    #[test]
    fn capabilities_and_extension_codes_are_not_compared() {
        let d = norm(
            "a1 APPEND foo {3}",
            &[
                b"+ OK\r\n",
                b"a1 OK [APPENDUID 1795709673 4] Append completed (0.001 + 0.000 secs).\r\n",
            ],
        );
        let m = norm(
            "a1 APPEND foo {3}",
            &[b"+ GO AHEAD\r\n", b"a1 OK APPEND Completed\r\n"],
        );
        assert_eq!(d, m);
        assert_eq!(
            norm(
                "a1 CAPABILITY",
                &[b"* CAPABILITY IMAP4rev1 IDLE\r\n", b"a1 OK x\r\n"]
            ),
            norm(
                "a1 CAPABILITY",
                &[
                    b"* CAPABILITY IMAP4rev1 NAMESPACE ID\r\n",
                    b"a1 OK [CAPABILITY IMAP4rev1] y\r\n"
                ]
            ),
        );
    }

    #[test]
    fn uids_are_renamed_in_order_of_first_appearance() {
        let mut a = NormContext::new();
        let mut b = NormContext::new();
        let fa = normalize_exchange(
            &ex(
                "a1 UID FETCH 1:* UID",
                &[
                    b"* 1 FETCH (UID 17)\r\n",
                    b"* 2 FETCH (UID 40)\r\n",
                    b"a1 OK\r\n",
                ],
            ),
            &mut a,
        );
        let fb = normalize_exchange(
            &ex(
                "a1 UID FETCH 1:* UID",
                &[
                    b"* 1 FETCH (UID 1)\r\n",
                    b"* 2 FETCH (UID 2)\r\n",
                    b"a1 OK\r\n",
                ],
            ),
            &mut b,
        );
        assert_eq!(fa, fb);
        assert_eq!(fa[0], "* 1 FETCH (UID u1)");
        let sa = normalize_exchange(
            &ex("a2 UID SEARCH ALL", &[b"* SEARCH 40 17\r\n", b"a2 OK\r\n"]),
            &mut a,
        );
        let sb = normalize_exchange(
            &ex("a2 UID SEARCH ALL", &[b"* SEARCH 1 2\r\n", b"a2 OK\r\n"]),
            &mut b,
        );
        assert_eq!(sa, sb);
    }

    #[test]
    fn untagged_order_flags_order_and_split_fetches_do_not_matter() {
        let dovecot = norm(
            "a1 FETCH 1 (FLAGS BODY[])",
            &[
                b"* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[] {3}\r\nabc)\r\n",
                b"a1 OK Fetch completed.\r\n",
            ],
        );
        let other = norm(
            "a1 FETCH 1 (FLAGS BODY[])",
            &[
                b"* 1 FETCH (BODY[] \"abc\")\r\n",
                b"* 1 FETCH (FLAGS (\\SEEN))\r\n",
                b"a1 OK done\r\n",
            ],
        );
        assert_eq!(dovecot, other);
        assert_eq!(dovecot[0], "* 1 FETCH (BODY[] \"abc\" FLAGS (\\Seen))");
        assert_eq!(
            norm(
                "a SELECT x",
                &[
                    b"* 3 EXISTS\r\n",
                    b"* FLAGS (\\Seen \\Answered)\r\n",
                    b"a OK x\r\n"
                ]
            ),
            norm(
                "a SELECT x",
                &[
                    b"* FLAGS (\\Answered \\Seen)\r\n",
                    b"* 3 EXISTS\r\n",
                    b"a OK y\r\n"
                ]
            ),
        );
    }

    #[test]
    fn an_echoed_header_list_compares_as_astrings_in_any_order_rfc3501_9() {
        let quoted = norm(
            "a FETCH 1 BODY.PEEK[HEADER.FIELDS (Date \"Content-Type\")]",
            &[
                b"* 1 FETCH (BODY[HEADER.FIELDS (DATE \"CONTENT-TYPE\")] \"x\")\r\n",
                b"a OK\r\n",
            ],
        );
        let atoms = norm(
            "a FETCH 1 BODY.PEEK[HEADER.FIELDS (Date \"Content-Type\")]",
            &[
                b"* 1 FETCH (BODY[HEADER.FIELDS (Content-Type Date)] \"x\")\r\n",
                b"a OK\r\n",
            ],
        );
        assert_eq!(quoted, atoms);
        assert_eq!(
            quoted[0],
            "* 1 FETCH (BODY[HEADER.FIELDS (CONTENT-TYPE DATE)] \"x\")"
        );
        // A name that is not an atom stays quoted; other fields still differ.
        assert_eq!(
            header_list_canonical("BODY[HEADER.FIELDS.NOT (\"A B\" C)]<0>"),
            "BODY[HEADER.FIELDS.NOT (\"A B\" C)]<0>"
        );
        assert_ne!(
            header_list_canonical("BODY[HEADER.FIELDS (DATE)]"),
            header_list_canonical("BODY[HEADER.FIELDS (SUBJECT)]")
        );
    }

    #[test]
    fn lsub_of_inbox_is_compared_only_once_the_script_subscribed_or_unsubscribed_it() {
        let mut cyrus = NormContext::new();
        let mut dovecot = NormContext::new();
        let lsub = |c: &mut NormContext, lines: &[&[u8]]| {
            normalize_exchange(&ex("a LSUB \"\" *", lines), c)
        };
        let with = [b"* LSUB () \".\" INBOX\r\n".as_slice(), b"a OK\r\n"];
        let without = [b"a OK\r\n".as_slice()];
        assert_eq!(lsub(&mut cyrus, &with), lsub(&mut dovecot, &without));
        // Other mailboxes are compared as ever.
        let foo = [b"* LSUB () \".\" foo\r\n".as_slice(), b"a OK\r\n"];
        assert_ne!(lsub(&mut cyrus, &foo), lsub(&mut dovecot, &without));
        for c in [&mut cyrus, &mut dovecot] {
            normalize_exchange(&ex("b unsubscribe inbox", &[b"b OK\r\n"]), c);
        }
        assert_ne!(lsub(&mut cyrus, &with), lsub(&mut dovecot, &without));
    }

    #[test]
    fn expunge_keeps_its_order_and_separates() {
        let n = norm(
            "a EXPUNGE",
            &[b"* 3 EXPUNGE\r\n", b"* 2 EXPUNGE\r\n", b"a OK\r\n"],
        );
        assert_eq!(n, vec!["* 3 EXPUNGE", "* 2 EXPUNGE", "<tag> OK"]);
        // A FETCH between two EXPUNGEs stays between them.
        let n = norm(
            "a EXPUNGE",
            &[
                b"* 2 EXPUNGE\r\n",
                b"* 1 FETCH (FLAGS ())\r\n",
                b"* 1 EXPUNGE\r\n",
                b"a OK\r\n",
            ],
        );
        assert_eq!(
            n,
            vec![
                "* 2 EXPUNGE",
                "* 1 FETCH (FLAGS ())",
                "* 1 EXPUNGE",
                "<tag> OK"
            ]
        );
    }

    #[test]
    fn expunges_that_remove_the_same_messages_compare_equal_rfc3501_7_4_1() {
        // Messages 1, 2 and 3 removed: Cyrus says `1 1 1`, Dovecot `3 2 1`; RFC 3501
        // §7.4.1's own example removes 3, 4, 7 and 11 as `3 3 5 8`.
        let cyrus = norm(
            "a EXPUNGE",
            &[
                b"* 1 EXPUNGE\r\n",
                b"* 1 EXPUNGE\r\n",
                b"* 1 EXPUNGE\r\n",
                b"a OK\r\n",
            ],
        );
        let dovecot = norm(
            "a EXPUNGE",
            &[
                b"* 3 EXPUNGE\r\n",
                b"* 2 EXPUNGE\r\n",
                b"* 1 EXPUNGE\r\n",
                b"a OK\r\n",
            ],
        );
        assert_eq!(cyrus, dovecot);
        let rfc = norm(
            "a EXPUNGE",
            &[
                b"* 3 EXPUNGE\r\n",
                b"* 3 EXPUNGE\r\n",
                b"* 5 EXPUNGE\r\n",
                b"* 8 EXPUNGE\r\n",
                b"a OK\r\n",
            ],
        );
        assert_eq!(
            rfc,
            vec![
                "* 11 EXPUNGE",
                "* 7 EXPUNGE",
                "* 4 EXPUNGE",
                "* 3 EXPUNGE",
                "<tag> OK"
            ]
        );
        // Other messages removed (2, 3 and 4): still different.
        let other = norm(
            "a EXPUNGE",
            &[
                b"* 2 EXPUNGE\r\n",
                b"* 2 EXPUNGE\r\n",
                b"* 2 EXPUNGE\r\n",
                b"a OK\r\n",
            ],
        );
        assert_ne!(cyrus, other);
    }

    #[test]
    fn recent_and_repeated_exists() {
        let mut c = NormContext::new();
        let s = normalize_exchange(
            &ex(
                "a SELECT x",
                &[b"* 2 EXISTS\r\n", b"* 2 RECENT\r\n", b"a OK\r\n"],
            ),
            &mut c,
        );
        assert_eq!(s, vec!["* 2 EXISTS", "* <n> RECENT", "<tag> OK"]);
        let n = normalize_exchange(&ex("b NOOP", &[b"* 2 EXISTS\r\n", b"b OK\r\n"]), &mut c);
        assert_eq!(n, vec!["<tag> OK"]);
    }

    #[test]
    fn internaldate_of_undated_append_is_a_placeholder() {
        let mut c = NormContext::new();
        normalize_exchange(
            &ex(
                "a APPEND foo \"07-Feb-1994 21:52:25 -0800\" {3}",
                &[b"a OK\r\n"],
            ),
            &mut c,
        );
        let n = normalize_exchange(
            &ex(
                "b FETCH 1:2 INTERNALDATE",
                &[
                    b"* 1 FETCH (INTERNALDATE \"08-Feb-1994 05:52:25 +0000\")\r\n",
                    b"* 2 FETCH (INTERNALDATE \"26-Nov-2026 16:14:33 +0000\")\r\n",
                    b"b OK\r\n",
                ],
            ),
            &mut c,
        );
        assert_eq!(n[0], "* 1 FETCH (INTERNALDATE @760686745)");
        assert_eq!(n[1], "* 2 FETCH (INTERNALDATE <internaldate>)");
    }

    #[test]
    fn list_attributes_and_bodystructure_case() {
        assert_eq!(
            norm(
                "a LIST \"\" *",
                &[b"* LIST (\\HasNoChildren) \".\" inbox\r\n", b"a OK\r\n"]
            )[0],
            "* LIST () <delim> INBOX"
        );
        assert_eq!(
            norm(
                "a LIST \"\" *",
                &[b"* LIST (\\NoInferiors) NIL INBOX\r\n", b"a OK\r\n"]
            )[0],
            "* LIST (\\Noinferiors) <delim> INBOX"
        );
        let dovecot = norm(
            "a FETCH 1 BODYSTRUCTURE",
            &[b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 1 NIL NIL NIL NIL))\r\n", b"a OK\r\n"],
        );
        let mailutils = norm(
            "a FETCH 1 BODYSTRUCTURE",
            &[b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 9 1 NIL NIL NIL))\r\n", b"a OK\r\n"],
        );
        assert_eq!(dovecot, mailutils);
    }

    #[test]
    fn condstore_esearch_and_object_ids() {
        // Dovecot and Cyrus, same script (RFC 7162, RFC 4731, RFC 8474).
        let dovecot = norm(
            "e8 SEARCH RETURN (ALL COUNT MIN MAX MODSEQ) ALL",
            &[
                b"* ESEARCH (TAG \"e8\") MIN 1 MAX 2 ALL 1:2 COUNT 2 MODSEQ 9\r\n",
                b"e8 OK Search completed (0.001 + 0.000 secs).\r\n",
            ],
        );
        let cyrus = norm(
            "e8 SEARCH RETURN (ALL COUNT MIN MAX MODSEQ) ALL",
            &[
                b"* ESEARCH (TAG \"e8\") COUNT 2 MIN 1 MAX 2 ALL 1:2 MODSEQ 4\r\n",
                b"e8 OK Completed\r\n",
            ],
        );
        assert_eq!(dovecot, cyrus);
        assert_eq!(
            norm("e6 FETCH 1 (MODSEQ EMAILID SAVEDATE)", &[b"* 1 FETCH (MODSEQ (2) EMAILID (M3ed7) SAVEDATE \"26-Nov-2026 16:29:11 +0000\")\r\n", b"e6 OK\r\n"])[0],
            "* 1 FETCH (EMAILID <objectid> MODSEQ (<modseq>) SAVEDATE <savedate>)"
        );
        assert_eq!(
            norm(
                "e10 SEARCH MODSEQ 1",
                &[b"* SEARCH 2 1 (MODSEQ 3)\r\n", b"e10 OK\r\n"]
            )[0],
            "* SEARCH 1 2 (MODSEQ <modseq>)"
        );
        assert_eq!(
            norm(
                "e12 STATUS foo (HIGHESTMODSEQ SIZE)",
                &[
                    b"* STATUS foo (SIZE 430 HIGHESTMODSEQ 3)\r\n",
                    b"e12 OK\r\n"
                ]
            )[0],
            "* STATUS \"foo\" (HIGHESTMODSEQ <modseq> SIZE 430)"
        );
    }

    #[test]
    fn status_recent_is_not_compared_as_whether_a_session_is_first_is_the_servers() {
        let courier = norm(
            "a5 STATUS old (MESSAGES RECENT)",
            &[b"* STATUS old (MESSAGES 1 RECENT 0)\r\n", b"a5 OK\r\n"],
        );
        let cyrus = norm(
            "a5 STATUS old (MESSAGES RECENT)",
            &[b"* STATUS old (RECENT 1 MESSAGES 1)\r\n", b"a5 OK\r\n"],
        );
        assert_eq!(courier, cyrus);
        assert_eq!(courier[0], "* STATUS \"old\" (MESSAGES 1 RECENT <n>)");
    }

    #[test]
    fn recent_is_only_compared_after_select() {
        // Dovecot re-announces RECENT after EXPUNGE, Cyrus does not.
        let dovecot = norm(
            "e21 UID EXPUNGE 2",
            &[b"* 2 EXPUNGE\r\n", b"* 1 RECENT\r\n", b"e21 OK\r\n"],
        );
        let cyrus = norm(
            "e21 UID EXPUNGE 2",
            &[
                b"* 2 EXPUNGE\r\n",
                b"e21 OK [HIGHESTMODSEQ 6] Completed\r\n",
            ],
        );
        assert_eq!(dovecot, cyrus);
    }

    #[test]
    fn uid_search_renames_in_ascending_order() {
        let mut a = NormContext::new();
        let mut b = NormContext::new();
        let x = normalize_exchange(
            &ex("s UID SEARCH ALL", &[b"* SEARCH 9 4 12\r\n", b"s OK\r\n"]),
            &mut a,
        );
        let y = normalize_exchange(
            &ex("s UID SEARCH ALL", &[b"* SEARCH 1 2 3\r\n", b"s OK\r\n"]),
            &mut b,
        );
        assert_eq!(x, y);
        assert_eq!(x[0], "* SEARCH u1 u2 u3");
    }

    #[test]
    fn dates_are_instants() {
        assert_eq!(date_instant(b"01-Jan-1970 00:00:00 +0000"), Some(0));
        assert_eq!(
            date_instant(b"07-Feb-1994 21:52:25 -0800"),
            date_instant(b"08-Feb-1994 05:52:25 +0000")
        );
        assert_eq!(date_instant(b" 1-Jan-1970 01:00:00 +0100"), Some(0));
    }
}
