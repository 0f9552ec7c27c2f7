//! Metamorphic checks: the same question asked two ways must get the same answer.
//!
//! No model of the server is needed: the judge compares the server's answers with each
//! other, so it also holds where the oracle is unsure. Two exchanges are compared only
//! inside a *quiet window*: a run of exchanges, each completed with OK, each a command
//! that changes nothing (FETCH of non-body items or `BODY.PEEK`, SEARCH, STATUS, LIST,
//! LSUB, CAPABILITY, NOOP, CHECK, and their UID forms), and none carrying an update the
//! client did not ask for (an untagged EXISTS, EXPUNGE or RECENT; a FETCH response in
//! answer to another command; FLAGS the command did not request). Anything else ends the
//! window. A `BODY.PEEK` fetch also ends the window for flags and searches, so that a
//! server that sets `\Seen` on a peek is not blamed under another sentence. SELECT and
//! EXAMINE start a new window holding the mailbox's EXISTS.
//!
//! Relations, each citing the sentences that make the two answers equal:
//! - the same FETCH item of one message twice (RFC 2060 §6.4.5, each item's definition);
//!   FLAGS through FETCH and through UID FETCH (§6.4.8: the set names UIDs instead);
//! - `BODY[]` = `BODY[HEADER]` followed by `BODY[TEXT]` (§6.4.5), and RFC822.SIZE = the
//!   length of `BODY[]` (§2.3.4: "The number of octets in the message");
//! - `SEARCH k` twice, `SEARCH k` vs `UID SEARCH k` through the UID map the server showed
//!   (§6.4.8), `SEARCH k` and `SEARCH NOT k` disjoint and together `SEARCH ALL` (§6.4.4);
//! - STATUS of one mailbox twice (§6.3.10), STATUS MESSAGES and UIDNEXT vs the EXISTS
//!   (§7.3.1) and `[UIDNEXT]` (RFC 3501 §6.3.1) of the next SELECT of that mailbox, unless
//!   it was the selected one (RFC 3501 §6.3.10: STATUS "SHOULD NOT be used" there);
//! - an argument sent quoted and the same argument sent as a literal (§4.3: "A string is
//!   in one of two forms"), for SEARCH and LIST/LSUB (a STATUS answer names its mailbox,
//!   so there the item's own sentence is cited).
//!
//! A new UIDVALIDITY between two STATUS answers is a [`Kind::Note`]: RFC 2060 §2.3.1.1
//! allows a greater one where UIDs did not persist.
//!
//! A broken relation is the server contradicting itself: a [`Kind::Violation`] where the
//! sentence fixes a value (a DEFINITION "value", [`super::requirement_kind`]).
//!
//! [`Kind::Note`]: super::Kind::Note
//! [`Kind::Violation`]: super::Kind::Violation

use std::collections::{BTreeMap, BTreeSet};

use super::lex::{items, Tok, TokKind};
use super::syntax::observed;
use super::Verdict;
use crate::wire::{escape, Exchange, Message, Transcript};

mod relations;
#[cfg(test)]
mod tests;

/// `imapconform rfc`'s name for this judge (`check = "metamorphic"`).
pub const JUDGE: &str = "metamorphic";

/// Every relation between two answers of one server that the server broke.
pub fn judge_metamorphic(target: &str, t: &Transcript) -> Vec<Verdict> {
    let mut w = Window::new(target);
    for (step, e) in t.steps() {
        w.exchange(step, e);
    }
    w.out
}

/// One answer the judge compares: where it came from and the bytes that said it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub step: Option<usize>,
    /// The command, escaped and shortened.
    pub command: String,
    /// The response that carries the answer, escaped and shortened.
    pub response: String,
    /// The command was a UID command (RFC 2060 §6.4.8).
    pub uid: bool,
    /// An argument of the command was sent as a literal (RFC 2060 §4.3).
    pub literal: bool,
}

impl Seen {
    pub fn describe(&self) -> String {
        let at = self
            .step
            .map_or("setup".to_string(), |s| format!("step {s}"));
        format!("{at} `{}` answered `{}`", self.command, self.response)
    }
}

/// A SEARCH answer.
#[derive(Clone, Debug)]
pub(crate) struct Search {
    pub seen: Seen,
    pub args: Vec<Tok>,
    pub numbers: BTreeSet<u32>,
}

/// A STATUS answer.
#[derive(Clone, Debug)]
pub(crate) struct Status {
    pub seen: Seen,
    pub mailbox: Vec<u8>,
    pub items: BTreeMap<String, u32>,
}

/// A LIST or LSUB answer.
#[derive(Clone, Debug)]
pub(crate) struct Listing {
    pub seen: Seen,
    pub verb: String,
    pub args: Vec<Tok>,
    /// Each mailbox returned with its delimiter and attributes (lower case, without the
    /// `\Marked`/`\Unmarked` hints, which may change without any command).
    pub entries: BTreeSet<(Vec<u8>, Vec<u8>, BTreeSet<String>)>,
}

/// The selected mailbox and the EXISTS its SELECT or EXAMINE reported.
#[derive(Clone, Debug)]
pub(crate) struct Selected {
    pub seen: Seen,
    pub mailbox: Vec<u8>,
    pub exists: u32,
    /// RFC 3501 §6.3.1 `OK [UIDNEXT n]`, if the server sent it, with the response.
    pub uidnext: Option<(u32, Seen)>,
}

/// What the judge knows within the current quiet window.
pub(crate) struct Window<'t> {
    pub target: &'t str,
    /// FETCH items other than FLAGS, by message sequence number and item name.
    pub items: BTreeMap<(u32, String), (Tok, Seen)>,
    /// UID of each message sequence number, as FETCH responses showed it.
    pub uids: BTreeMap<u32, u32>,
    /// FLAGS by message sequence number (reset by a body fetch).
    pub flags: BTreeMap<u32, (BTreeSet<String>, Seen)>,
    pub searches: Vec<Search>,
    /// Steps of SEARCH and UID SEARCH answers already reported as contradicting each other.
    pub cross_reported: BTreeSet<Option<usize>>,
    pub statuses: Vec<Status>,
    pub listings: Vec<Listing>,
    pub selected: Option<Selected>,
    /// The mailbox the session has selected, whatever the window: RFC 3501 §6.3.10 says
    /// STATUS "SHOULD NOT be used on the currently selected mailbox", so a STATUS of it is
    /// never held to a later SELECT.
    pub current: Option<Vec<u8>>,
    pub out: Vec<Verdict>,
}

/// What an exchange may have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// Nothing.
    Quiet,
    /// Nothing but, if the server got `.PEEK` wrong, `\Seen`.
    BodyPeek,
    /// A mailbox was selected (SELECT or EXAMINE completed with OK).
    Select,
    /// Anything: the window ends.
    Breaks,
}

/// A command read with the lexer: `tag [UID] VERB args`.
pub(crate) struct Command {
    pub uid: bool,
    pub verb: String,
    pub args: Vec<Tok>,
    pub bytes: Vec<u8>,
}

fn upper(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

fn command(e: &Exchange) -> Option<Command> {
    let bytes = e.command().to_bytes();
    let toks = items(&bytes, 0)?;
    let mut it = toks.into_iter();
    it.next()?; // the tag
    let mut verb = upper(it.next()?.atom()?);
    let uid = verb == "UID";
    if uid {
        verb = upper(it.next()?.atom()?);
    }
    Some(Command {
        uid,
        verb,
        args: it.collect(),
        bytes,
    })
}

/// FETCH items that read without changing anything (RFC 2060 §6.4.5): `Some(false)` for
/// items that touch no body section, `Some(true)` for `BODY.PEEK[...]` (and RFC 3516's
/// `BINARY.PEEK`), `None` for anything else (`BODY[...]`, RFC822, RFC822.TEXT,
/// RFC822.HEADER and unknown items, which may set `\Seen` or mean something else).
fn fetch_item_peeks(item: &Tok) -> Option<bool> {
    let name = upper(item.atom()?);
    match name.as_str() {
        "ALL" | "FAST" | "FULL" | "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE"
        | "BODY" | "BODYSTRUCTURE" => Some(false),
        n if n.starts_with("BODY.PEEK[") || n.starts_with("BINARY.PEEK[") => Some(true),
        _ => None,
    }
}

/// What a command may change, from its words alone.
fn effect_of(c: &Command) -> Effect {
    match c.verb.as_str() {
        "SELECT" | "EXAMINE" if !c.uid && c.args.len() == 1 => Effect::Select,
        "FETCH" if c.args.len() == 2 => {
            let list: Vec<&Tok> = match &c.args[1].kind {
                TokKind::List(l) => l.iter().collect(),
                _ => vec![&c.args[1]],
            };
            let mut peek = false;
            for i in list {
                match fetch_item_peeks(i) {
                    Some(p) => peek |= p,
                    None => return Effect::Breaks,
                }
            }
            if peek {
                Effect::BodyPeek
            } else {
                Effect::Quiet
            }
        }
        "SEARCH" => Effect::Quiet,
        "STATUS" | "LIST" | "LSUB" | "CAPABILITY" | "NOOP" | "CHECK" if !c.uid => Effect::Quiet,
        _ => Effect::Breaks,
    }
}

/// Whether the command asks for FLAGS (directly or through a macro).
fn asks_flags(c: &Command) -> bool {
    let list: Vec<&Tok> = match c.args.get(1).map(|t| &t.kind) {
        Some(TokKind::List(l)) => l.iter().collect(),
        Some(_) => vec![&c.args[1]],
        None => vec![],
    };
    list.iter().any(|t| {
        t.atom()
            .is_some_and(|a| ["FLAGS", "ALL", "FAST", "FULL"].contains(&upper(a).as_str()))
    })
}

/// An untagged response's words, if the lexer can read it.
fn untagged(m: &Message) -> Option<Vec<Tok>> {
    if !m.is_untagged() {
        return None;
    }
    items(&m.to_bytes(), 0)
}

/// `* n NAME ...`: the number and the upper-cased name.
fn numbered(toks: &[Tok]) -> Option<(u32, String)> {
    let n = std::str::from_utf8(toks.get(1)?.atom()?)
        .ok()?
        .parse()
        .ok()?;
    Some((n, upper(toks.get(2)?.atom()?)))
}

/// Whether a response in answer to `c` carries an update the client did not ask for
/// (RFC 2060 §7: a server may send EXISTS, EXPUNGE, RECENT and FETCH at any time): the
/// answers around it may describe different mailboxes.
fn unsolicited(c: &Command, effect: Effect, m: &Message) -> bool {
    let Some(toks) = untagged(m) else {
        // An untagged line the lexer cannot read could be anything.
        return m.is_untagged();
    };
    let Some((n, name)) = numbered(&toks) else {
        return false;
    };
    match name.as_str() {
        "EXISTS" | "RECENT" => effect != Effect::Select,
        "EXPUNGE" => true,
        "FETCH" => {
            if c.verb != "FETCH" {
                return true;
            }
            let att = toks.get(3).and_then(Tok::list).unwrap_or_default();
            let item = |name: &[u8]| {
                att.chunks(2).find_map(|p| match p {
                    [k, v] if k.atom().is_some_and(|k| k.eq_ignore_ascii_case(name)) => Some(v),
                    _ => None,
                })
            };
            // FLAGS in answer to a FETCH that did not ask for them report a change; so
            // does a FETCH response for a message outside the set asked for (by sequence
            // number, or by the UID a UID command's answer carries, RFC 2060 §6.4.8).
            let number = if c.uid {
                item(b"UID").and_then(|v| std::str::from_utf8(v.atom()?).ok()?.parse().ok())
            } else {
                Some(n)
            };
            let outside = match (c.args.first().and_then(Tok::atom), number) {
                (Some(set), Some(k)) => !in_set(set, k),
                _ => true,
            };
            outside || (!asks_flags(c) && item(b"FLAGS").is_some())
        }
        _ => false,
    }
}

/// Whether `k` may be in the RFC 2060 §9 `set`. A part with `*` may hold any number: the
/// judge does not know the largest one, and `5:*` in a mailbox of 3 is `3:5` (RFC 3501 §9).
fn in_set(set: &[u8], k: u32) -> bool {
    let num = |s: &[u8]| -> Option<u32> { std::str::from_utf8(s).ok()?.parse().ok() };
    set.split(|&b| b == b',').any(|part| {
        if part.contains(&b'*') {
            return true;
        }
        let mut ends = part.splitn(2, |&b| b == b':');
        let a = ends.next().and_then(num);
        let b = ends.next().map_or(a, num);
        match (a, b) {
            (Some(a), Some(b)) => (a.min(b)..=a.max(b)).contains(&k),
            _ => true,
        }
    })
}

/// Whether a response says a message was expunged underneath the session (RFC 5530
/// `[EXPUNGEISSUED]`), or answers a body section with NIL, as RFC 2180 §4.1.3 lets a
/// server answer for a message another session expunged: the answers around it need not
/// describe one mailbox.
fn vanished(m: &Message) -> bool {
    let line = m.first_line();
    let upper_line = line.to_ascii_uppercase();
    if upper_line.windows(15).any(|w| w == b"[EXPUNGEISSUED]") {
        return true;
    }
    let Some(toks) = untagged(m) else {
        return false;
    };
    let att = match numbered(&toks) {
        Some((_, name)) if name == "FETCH" => toks.get(3).and_then(Tok::list).unwrap_or_default(),
        _ => return false,
    };
    att.chunks(2).any(|p| {
        matches!(p, [name, value]
            if name.atom().is_some_and(|n| n.to_ascii_uppercase().starts_with(b"BODY["))
                && value.atom().is_some_and(|v| v.eq_ignore_ascii_case(b"NIL")))
    })
}

/// The number of an untagged `* OK [CODE n]` response (RFC 3501 §7.1), e.g. UIDNEXT.
fn response_code_number(m: &Message, code: &[u8]) -> Option<u32> {
    let line = crate::wire::strip_eol(m.first_line());
    let rest = line
        .get(..5)?
        .eq_ignore_ascii_case(b"* OK ")
        .then(|| &line[5..])?;
    let rest = rest.strip_prefix(b"[")?;
    let rest = rest
        .get(..code.len())?
        .eq_ignore_ascii_case(code)
        .then(|| &rest[code.len()..])?;
    let rest = rest.strip_prefix(b" ")?;
    let end = rest.iter().position(|&b| b == b']')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Shortened, escaped bytes for a finding.
fn show(bytes: &[u8]) -> String {
    observed(crate::wire::strip_eol(bytes))
}

/// Whether the two lexical items say the same: strings by their content whatever their
/// form (RFC 2060 §4.3), atoms case-insensitively (command words and flags are), lists
/// item by item.
pub(crate) fn same(a: &Tok, b: &Tok) -> bool {
    match (&a.kind, &b.kind) {
        (TokKind::Atom(x), TokKind::Atom(y)) => x.eq_ignore_ascii_case(y),
        (TokKind::Atom(x) | TokKind::Str(x), TokKind::Atom(y) | TokKind::Str(y)) => x == y,
        (TokKind::List(x), TokKind::List(y)) => same_all(x, y),
        _ => false,
    }
}

pub(crate) fn same_all(a: &[Tok], b: &[Tok]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

/// Whether any item (at any depth) was written as a literal.
fn has_literal(bytes: &[u8], toks: &[Tok]) -> bool {
    toks.iter().any(|t| match &t.kind {
        TokKind::List(l) => has_literal(bytes, l),
        TokKind::Str(_) => matches!(bytes.get(t.span.0), Some(b'{' | b'~')),
        TokKind::Atom(_) => false,
    })
}

/// A mailbox name as compared: INBOX in any case is INBOX (RFC 2060 §5.1).
fn mailbox_key(name: &[u8]) -> Vec<u8> {
    if name.eq_ignore_ascii_case(b"INBOX") {
        b"INBOX".to_vec()
    } else {
        name.to_vec()
    }
}

impl<'t> Window<'t> {
    pub fn new(target: &'t str) -> Self {
        Window {
            target,
            items: BTreeMap::new(),
            uids: BTreeMap::new(),
            flags: BTreeMap::new(),
            searches: Vec::new(),
            cross_reported: BTreeSet::new(),
            statuses: Vec::new(),
            listings: Vec::new(),
            selected: None,
            current: None,
            out: Vec::new(),
        }
    }

    /// Ends the window: nothing known before is compared with what follows.
    fn reset(&mut self) {
        self.items.clear();
        self.uids.clear();
        self.selected = None;
        self.reset_flags();
    }

    /// Ends the window for what `\Seen` could change: flags, searches, STATUS answers.
    fn reset_flags(&mut self) {
        self.flags.clear();
        self.searches.clear();
        self.cross_reported.clear();
        self.statuses.clear();
        self.listings.clear();
    }

    fn exchange(&mut self, step: Option<usize>, e: &Exchange) {
        let Some(c) = command(e).filter(|_| step.is_some()) else {
            self.reset();
            return;
        };
        let mut effect = effect_of(&c);
        let ok = e.status().as_deref() == Some("OK");
        if !ok {
            effect = Effect::Breaks;
        }
        if e.responses()
            .any(|m| unsolicited(&c, effect, m) || vanished(m))
        {
            effect = Effect::Breaks;
        }
        // RFC 2060 §6.3.1: a SELECT that fails leaves no mailbox selected; CLOSE closes it.
        match c.verb.as_str() {
            "SELECT" | "EXAMINE" => {
                self.current = c
                    .args
                    .first()
                    .and_then(Tok::text)
                    .filter(|_| ok)
                    .map(mailbox_key)
            }
            "CLOSE" if ok => self.current = None,
            _ => {}
        }
        let seen = |response: &Message| Seen {
            step,
            command: show(&c.bytes),
            response: show(&response.to_bytes()),
            uid: c.uid,
            literal: has_literal(&c.bytes, &c.args),
        };
        match effect {
            Effect::Breaks => self.reset(),
            Effect::Select => self.select(&c, e, &seen),
            Effect::BodyPeek => {
                self.reset_flags();
                self.answers(&c, e, &seen, false);
            }
            Effect::Quiet => self.answers(&c, e, &seen, true),
        }
    }

    /// SELECT or EXAMINE: compare the EXISTS with STATUS MESSAGES of the same mailbox
    /// asked just before, then start a new window.
    fn select(&mut self, c: &Command, e: &Exchange, seen: &dyn Fn(&Message) -> Seen) {
        let mailbox = c.args[0].text().map(mailbox_key);
        let exists = e.responses().find_map(|m| {
            let toks = untagged(m)?;
            match numbered(&toks)? {
                (n, name) if name == "EXISTS" => Some((n, m)),
                _ => None,
            }
        });
        let uidnext = e
            .responses()
            .find_map(|m| Some((response_code_number(m, b"UIDNEXT")?, seen(m))));
        let selected = match (mailbox, exists) {
            (Some(mailbox), Some((exists, m))) => Some(Selected {
                seen: seen(m),
                mailbox,
                exists,
                uidnext,
            }),
            _ => None,
        };
        if let Some(s) = &selected {
            self.status_vs_exists(s);
        }
        self.reset();
        self.selected = selected;
    }

    /// Records the answers of a quiet exchange, comparing each with what the window knew.
    fn answers(&mut self, c: &Command, e: &Exchange, seen: &dyn Fn(&Message) -> Seen, flags: bool) {
        match c.verb.as_str() {
            "FETCH" => {
                let known = self.uids.len();
                for m in e.responses() {
                    let Some(toks) = untagged(m) else { continue };
                    let Some((n, name)) = numbered(&toks) else {
                        continue;
                    };
                    if name != "FETCH" {
                        continue;
                    }
                    let Some(att) = toks.get(3).and_then(Tok::list) else {
                        continue;
                    };
                    self.fetched(n, att, seen(m), flags);
                }
                if self.uids.len() > known {
                    self.recheck_cross_searches();
                }
            }
            "SEARCH" if flags => {
                let found: Vec<(&Message, BTreeSet<u32>)> = e
                    .responses()
                    .filter_map(|m| Some((m, search_numbers(&untagged(m)?)?)))
                    .collect();
                if let [(m, numbers)] = found.as_slice() {
                    self.searched(Search {
                        seen: seen(m),
                        args: c.args.clone(),
                        numbers: numbers.clone(),
                    });
                }
            }
            "STATUS" if flags => {
                for m in e.responses() {
                    if let Some(s) = untagged(m).and_then(|t| status_answer(&t)) {
                        let asked = c.args.first().and_then(Tok::text).map(mailbox_key);
                        if asked.as_deref() == Some(&s.0[..]) {
                            self.status(Status {
                                seen: seen(m),
                                mailbox: s.0,
                                items: s.1,
                            });
                        }
                    }
                }
            }
            "LIST" | "LSUB" if flags && c.args.len() == 2 => {
                let mut entries = BTreeSet::new();
                let mut last = None;
                for m in e.responses() {
                    let Some(toks) = untagged(m) else { continue };
                    if toks.get(1).and_then(Tok::atom).map(upper).as_deref() != Some(&c.verb) {
                        continue;
                    }
                    match list_entry(&toks) {
                        Some(entry) => {
                            entries.insert(entry);
                            last = Some(m);
                        }
                        None => return,
                    }
                }
                let fallback = e.completion().cloned().unwrap_or_default();
                self.listed(Listing {
                    seen: seen(last.unwrap_or(&fallback)),
                    verb: c.verb.clone(),
                    args: c.args.clone(),
                    entries,
                });
            }
            _ => {}
        }
    }
}

/// The numbers of a `* SEARCH` response (RFC 2060 §7.2.5), up to any extension data.
fn search_numbers(toks: &[Tok]) -> Option<BTreeSet<u32>> {
    if upper(toks.get(1)?.atom()?) != "SEARCH" {
        return None;
    }
    let mut out = BTreeSet::new();
    for t in &toks[2..] {
        match t
            .atom()
            .and_then(|a| std::str::from_utf8(a).ok()?.parse().ok())
        {
            Some(n) => {
                out.insert(n);
            }
            // RFC 4551 `(MODSEQ n)` after the numbers.
            None if t.list().is_some() => break,
            None => return None,
        }
    }
    Some(out)
}

/// `* STATUS mailbox (name value ...)` (RFC 2060 §7.2.4).
fn status_answer(toks: &[Tok]) -> Option<(Vec<u8>, BTreeMap<String, u32>)> {
    if upper(toks.get(1)?.atom()?) != "STATUS" || toks.len() != 4 {
        return None;
    }
    let mailbox = mailbox_key(toks[2].text()?);
    let list = toks[3].list()?;
    let mut items = BTreeMap::new();
    for pair in list.chunks(2) {
        let [name, value] = pair else { return None };
        let v = std::str::from_utf8(value.atom()?).ok()?.parse().ok()?;
        items.insert(upper(name.atom()?), v);
    }
    Some((mailbox, items))
}

/// `* LIST (attributes) delimiter name` (RFC 2060 §7.2.2).
fn list_entry(toks: &[Tok]) -> Option<(Vec<u8>, Vec<u8>, BTreeSet<String>)> {
    if toks.len() != 5 {
        return None;
    }
    let attrs = toks[2]
        .list()?
        .iter()
        .map(|a| {
            a.atom()
                .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        })
        .collect::<Option<BTreeSet<String>>>()?
        .into_iter()
        .filter(|a| a != "\\marked" && a != "\\unmarked")
        .collect();
    let delimiter = toks[3].text().map(<[u8]>::to_vec).unwrap_or_default();
    Some((mailbox_key(toks[4].text()?), delimiter, attrs))
}

/// The flags of a FLAGS list, compared case-insensitively (RFC 3501 §2.3.2: flags and
/// keywords are not case-sensitive).
fn flag_set(t: &Tok) -> Option<BTreeSet<String>> {
    t.list()?
        .iter()
        .map(|f| {
            f.atom()
                .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        })
        .collect()
}

/// Shown in findings: a set of numbers or flags.
pub(crate) fn show_set<T: std::fmt::Display>(s: &BTreeSet<T>) -> String {
    let v: Vec<String> = s.iter().map(ToString::to_string).collect();
    format!("({})", v.join(" "))
}

/// Shown in findings: a string's bytes.
pub(crate) fn show_tok(t: &Tok) -> String {
    match &t.kind {
        TokKind::Atom(a) | TokKind::Str(a) => observed(a),
        TokKind::List(_) => "(list)".into(),
    }
}

pub(crate) fn show_escaped(b: &[u8]) -> String {
    escape(b)
}
