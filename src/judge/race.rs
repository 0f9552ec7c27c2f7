//! The race judge: holds the two connections of a concurrency scenario
//! ([`crate::gen::race`], [`crate::drive::race`]) to the rules about changes made by
//! another agent (RFC 2060 §5.2, §5.3, §5.5, §7.3.1, §7.4.1, §2.3.2).
//!
//! It follows, per connection, the numbering the client was told: the UID of each message
//! sequence number where a FETCH showed it, extended by EXISTS and shortened by EXPUNGE
//! responses only. For the mailbox itself it knows which UIDs a connection expunged, how
//! many messages were added, and every value each message's flags have had.
//!
//! Interleavings the RFC allows are all accepted: a change announced at the next command,
//! at a later one, or (EXISTS, FETCH) while no command is in progress; EXISTS before or
//! after pending EXPUNGEs; a FETCH of a message another connection expunged answered with
//! its old data, with NO, or with nothing; flags shown before or after a concurrent STORE;
//! `\Recent` in either connection. What it reports (each a certain violation, but the
//! last):
//!
//! - an EXPUNGE response while no command is in progress, or during FETCH, STORE or SEARCH
//!   (`2060-7.4.1-not-idle-fetch-store-search`);
//! - an EXPUNGE response for a sequence number the client does not have, or for a message
//!   no connection expunged (`2060-7.4.1-removed`);
//! - a FETCH whose UID does not match the message the client holds at that number, when
//!   no EXPUNGE response came in between (`2060-7.4.1-immediate-decrement`);
//! - EXISTS larger than the messages added allow (`2060-7.3.1-count`), a SELECT's EXISTS
//!   that is not the mailbox's size, or (RFC 3501) smaller than the client's count
//!   (`3501-5.2-exists-not-shrink`);
//! - a FETCH for a message number never announced by the end of the command
//!   (`2060-5.2-size-updates`);
//! - flags a message never had (`2060-6.4.5-flags`);
//! - `\Recent` on one message in both sessions (`2060-2.3.2-recent-first-session`);
//! - a warning when a poll (NOOP, CHECK) does not show flags the other connection
//!   changed since this one last saw them (`2060-5.2-flag-updates`, a SHOULD).
//!
//! The judge trusts that nothing but the two connections changes the mailbox: the driver
//! uses one pool user for the scenario and resets it first.

use std::collections::{BTreeMap, BTreeSet};

use super::oracle::{flags_of, read, Seen};
use super::Verdict;
use crate::drive::race::{RaceRecord, RaceTranscript};
use crate::gen::race::Side;
use crate::model::flags::{FlagSet, RECENT};
use crate::model::Profile;
use crate::wire::Message;

/// Requirement ids the race judge cites.
pub mod rule {
    pub const EXPUNGE_FORBIDDEN: &str = "2060-7.4.1-not-idle-fetch-store-search";
    pub const EXPUNGE_REMOVED: &str = "2060-7.4.1-removed";
    pub const DECREMENT: &str = "2060-7.4.1-immediate-decrement";
    pub const EXISTS_COUNT: &str = "2060-7.3.1-count";
    pub const EXISTS_SHRINK_3501: &str = "3501-5.2-exists-not-shrink";
    pub const SIZE_UPDATES: &str = "2060-5.2-size-updates";
    pub const FLAGS_VALUE: &str = "2060-6.4.5-flags";
    pub const RECENT_FIRST: &str = "2060-2.3.2-recent-first-session";
    pub const FLAG_UPDATES: &str = "2060-5.2-flag-updates";
}

/// How far the judge followed a scenario, and when each connection learnt of the other's
/// changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaceCoverage {
    pub steps: usize,
    /// Steps judged (on a connection the judge still followed).
    pub judged: usize,
    /// Why the judge stopped following a connection, per side.
    pub stopped: [Option<String>; 2],
    /// When each connection was told of changes to the mailbox (its own and the other's):
    /// EXISTS and EXPUNGE responses, and FETCH responses it did not ask for, by what it
    /// was doing: `"EXISTS during NOOP"`, `"FETCH while idle"`, ...
    pub updates: BTreeMap<String, usize>,
}

/// What one connection has been told.
#[derive(Clone, Debug, Default)]
struct ConnView {
    selected: bool,
    /// UID per message sequence number, where the connection saw it.
    view: Vec<Option<u32>>,
    /// UIDs this connection was shown with `\Recent`.
    recent: BTreeSet<u32>,
    /// Messages added to the mailbox when the connection selected it.
    base_added: usize,
    /// New messages EXISTS announced since then.
    told_new: usize,
    /// PERMANENTFLAGS of the selection, when the server sent them.
    permanent: Option<FlagSet>,
    /// The flags (without `\Recent`) this connection was last shown, by UID.
    last_seen: BTreeMap<u32, FlagSet>,
    /// Flag updates already reported missing on this connection.
    flag_update_missed: bool,
    /// In the current command: FETCH data for a number beyond the client's count (the
    /// number, and the count then), until an EXISTS announces it.
    beyond: Option<(u32, usize)>,
}

/// What the current command is, for the rules that depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Idle,
    /// FETCH, STORE or SEARCH (not their UID forms).
    FetchStoreSearch,
    /// UID FETCH, UID STORE or UID SEARCH: RFC 3501 §7.4.1 "An EXPUNGE response MAY be
    /// sent during a UID command"; its FETCH responses were asked for.
    UidFetchStoreSearch,
    /// This connection's own EXPUNGE.
    Expunge,
    Other,
}

struct Judge<'a> {
    target: &'a str,
    profile: Profile,
    conns: [ConnView; 2],
    /// Messages in the mailbox, when known.
    count: Option<usize>,
    /// Messages added (APPEND, COPY) since the scenario began.
    added: usize,
    /// UIDs a connection's EXPUNGE removed.
    gone: BTreeSet<u32>,
    /// An EXPUNGE removed a message whose UID the judge did not know.
    gone_unidentified: bool,
    /// Every value each message's flags (without `\Recent`) have had, by UID.
    flags: BTreeMap<u32, Vec<FlagSet>>,
    /// A STORE changed a message the judge could not identify: flags are no longer judged.
    flags_lost: bool,
    /// UIDs already reported `\Recent` in both connections (once each is enough).
    recent_reported: BTreeSet<u32>,
    /// A connection the judge no longer follows may have added messages.
    adds_lost: bool,
    verdicts: Vec<Verdict>,
    coverage: RaceCoverage,
}

/// Judges one scenario's transcript.
pub fn judge_race(
    target: &str,
    t: &RaceTranscript,
    profile: Profile,
) -> (Vec<Verdict>, RaceCoverage) {
    let mut j = Judge {
        target,
        profile,
        conns: Default::default(),
        count: None,
        added: 0,
        gone: BTreeSet::new(),
        gone_unidentified: false,
        flags: BTreeMap::new(),
        flags_lost: false,
        recent_reported: BTreeSet::new(),
        adds_lost: false,
        verdicts: Vec::new(),
        coverage: RaceCoverage {
            steps: t.steps.len(),
            ..RaceCoverage::default()
        },
    };
    // An overlapped command completed after the next step: the next step's effects are
    // applied first, so that the overlapped answer may show the state before or after.
    let mut order: Vec<usize> = (0..t.steps.len()).collect();
    let mut i = 0;
    while i + 1 < order.len() {
        if t.steps[i].overlap {
            order.swap(i, i + 1);
            i += 2;
        } else {
            i += 1;
        }
    }
    for i in order {
        j.step(i, &t.steps[i]);
    }
    (j.verdicts, j.coverage)
}

impl Judge<'_> {
    fn find(
        &mut self,
        step: usize,
        side: Side,
        id: &str,
        summary: String,
        expected: String,
        observed: String,
    ) {
        let Some(kind) = super::requirement_kind(id) else {
            return;
        };
        self.verdicts.push(Verdict {
            kind,
            targets: vec![self.target.to_string()],
            step: Some(step),
            rule: Some(id.to_string()),
            summary: format!("connection {}: {summary}", side.letter()),
            expected,
            observed,
            cause: None,
        });
    }

    /// Stops following one connection. What it does from here on is not known, so the
    /// facts about the mailbox it could change are given up too.
    fn stop(&mut self, side: Side, why: &str) {
        let s = &mut self.coverage.stopped[side.index()];
        if s.is_none() {
            *s = Some(why.to_string());
        }
        self.count = None;
        self.gone_unidentified = true;
        self.flags_lost = true;
        self.adds_lost = true;
    }

    fn live(&self, side: Side) -> bool {
        self.coverage.stopped[side.index()].is_none()
    }

    fn step(&mut self, i: usize, r: &RaceRecord) {
        let side = r.side;
        if !self.live(side) {
            return;
        }
        for m in &r.idle {
            self.update(i, side, m, Doing::Idle, "while idle");
        }
        let e = &r.exchange;
        let line = String::from_utf8_lossy(e.command().first_line()).to_ascii_uppercase();
        let words: Vec<&str> = line.split(' ').collect();
        let verb = words.get(1).copied().unwrap_or("");
        let uid = verb == "UID";
        let name = if uid {
            format!("UID {}", words.get(2).copied().unwrap_or(""))
        } else {
            verb.to_string()
        };
        let Some(done) = e.completion() else {
            return self.stop(side, "no tagged completion");
        };
        let ok = e.status().as_deref() == Some("OK");
        self.coverage.judged += 1;
        let doing = match (verb, words.get(2).copied()) {
            ("FETCH" | "STORE" | "SEARCH", _) => Doing::FetchStoreSearch,
            ("UID", Some("FETCH" | "STORE" | "SEARCH")) => Doing::UidFetchStoreSearch,
            ("EXPUNGE", _) => Doing::Expunge,
            _ => Doing::Other,
        };
        if matches!(verb, "SELECT" | "EXAMINE") {
            return self.select(
                i,
                side,
                e.responses().filter(|m| !std::ptr::eq(*m, done)),
                ok,
            );
        }
        // The command's own effects come first: its untagged responses may show them.
        match verb {
            "STORE" if ok => self.store(side, &words),
            "APPEND" if ok => {
                self.added += 1;
                self.count = self.count.map(|c| c + 1);
            }
            "COPY" if ok => {
                self.added += 1;
                let source = words.get(2).and_then(|w| w.parse::<usize>().ok());
                let uid = source.and_then(|n| self.uid_at(side, n));
                self.count = match uid {
                    Some(u) if !self.gone.contains(&u) => self.count.map(|c| c + 1),
                    _ => None,
                };
            }
            _ => {}
        }
        let during = format!("during {name}");
        self.conns[side.index()].beyond = None;
        for m in e.responses().filter(|m| !std::ptr::eq(*m, done)) {
            if !self.live(side) {
                return;
            }
            self.update(i, side, m, doing, &during);
        }
        if !self.live(side) {
            return;
        }
        if let Some((seq, known)) = self.conns[side.index()].beyond.take() {
            self.find(
                i,
                side,
                rule::SIZE_UPDATES,
                format!(
                    "FETCH data for message {seq} when the client held {known} messages, and no \
                     EXISTS response announced it by the end of {name}"
                ),
                format!("an EXISTS response of at least {seq}"),
                format!("{known} messages announced when the FETCH came"),
            );
            self.stop(side, "FETCH of a message never announced");
        }
        if matches!(verb, "NOOP" | "CHECK") && self.conns[side.index()].selected {
            self.owed_flag_updates(i, side, &name);
        }
        if verb == "LOGOUT" {
            self.conns[side.index()].selected = false;
        }
    }

    fn uid_at(&self, side: Side, n: usize) -> Option<u32> {
        let v = &self.conns[side.index()].view;
        n.checked_sub(1).and_then(|k| v.get(k).copied().flatten())
    }

    /// SELECT or EXAMINE: a fresh numbering, whose size is the mailbox's.
    fn select<'m>(
        &mut self,
        i: usize,
        side: Side,
        responses: impl Iterator<Item = &'m Message>,
        ok: bool,
    ) {
        let mut exists = None;
        let mut permanent = None;
        for m in responses {
            match read(m) {
                Seen::Exists(n) => exists = Some(n as usize),
                Seen::UntaggedOk(Some(imap_types::response::Code::PermanentFlags(f))) => {
                    let mut set = FlagSet::new();
                    for x in f {
                        match x {
                            imap_types::flag::FlagPerm::Flag(fl) => set.insert(&fl.to_string()),
                            imap_types::flag::FlagPerm::Asterisk => set.insert("\\*"),
                        };
                    }
                    permanent = Some(set);
                }
                Seen::Unreadable => {
                    return self.stop(side, "an untagged response the judge cannot read")
                }
                _ => {}
            }
        }
        let c = &mut self.conns[side.index()];
        c.selected = ok;
        c.recent.clear();
        if !ok {
            c.view.clear();
            return;
        }
        let Some(n) = exists else {
            return self.stop(side, "SELECT without EXISTS");
        };
        c.view = vec![None; n];
        c.base_added = self.added;
        c.told_new = 0;
        c.permanent = permanent;
        match self.count {
            None if !self.gone_unidentified => self.count = Some(n),
            Some(have) if have != n => {
                self.find(
                    i,
                    side,
                    rule::EXISTS_COUNT,
                    format!(
                        "SELECT reported {n} messages, but the mailbox holds {have} (the \
                         connections' APPENDs, COPYs and EXPUNGEs so far)"
                    ),
                    format!("* {have} EXISTS"),
                    format!("* {n} EXISTS"),
                );
                self.count = Some(n);
            }
            _ => {}
        }
    }

    /// A STORE the server carried out: the message's flags get a new value.
    fn store(&mut self, side: Side, words: &[&str]) {
        let n = words.get(2).and_then(|w| w.parse::<usize>().ok());
        let Some(uid) = n.and_then(|n| self.uid_at(side, n)) else {
            // Which message changed is not known: no value can be trusted from here on
            // (an answer in flight may still show the old one).
            self.flags.clear();
            self.flags_lost = true;
            return;
        };
        let how = words.get(3).copied().unwrap_or("");
        let mut given = FlagSet::new();
        for w in words.iter().skip(4) {
            let f = w.trim_matches(|c| c == '(' || c == ')');
            if !f.is_empty() {
                given.insert(f);
            }
        }
        let permanent = self.conns[side.index()].permanent.clone();
        let all_permanent = permanent
            .as_ref()
            .is_none_or(|p| p.contains("\\*") || given.names().iter().all(|f| p.contains(f)));
        let Some(history) = self.flags.get_mut(&uid) else {
            return;
        };
        if !all_permanent {
            // RFC 2060 §2.3.2: a flag that is not permanent changes only this session.
            self.flags.remove(&uid);
            return;
        }
        let mut now = history.last().cloned().unwrap_or_default();
        if how.starts_with("+FLAGS") {
            for f in given.names() {
                now.insert(&f);
            }
        } else if how.starts_with("-FLAGS") {
            for f in given.names() {
                now.remove(&f);
            }
        } else {
            now = given;
        }
        history.push(now.clone());
        // The connection knows what it stored, even when the answer was .SILENT.
        self.conns[side.index()].last_seen.insert(uid, now);
    }

    /// One server message on `side`.
    fn update(&mut self, i: usize, side: Side, m: &Message, doing: Doing, when: &str) {
        let seen = read(m);
        let observed = crate::wire::escape(m.first_line());
        match seen {
            Seen::Unreadable => self.stop(side, "an untagged response the judge cannot read"),
            Seen::Exists(n) => self.exists(i, side, n as usize, when, observed),
            Seen::Expunge(n) => self.expunge(i, side, n as usize, doing, when, observed),
            Seen::Fetch(seq, items) => self.fetch(i, side, seq, &items, doing, when, observed),
            _ => {}
        }
    }

    /// RFC 2060 §5.2: "A server SHOULD send message flag updates automatically". After a
    /// poll (NOOP, CHECK), every message whose flags the other connection changed since
    /// this one was last shown them should have been shown again.
    fn owed_flag_updates(&mut self, i: usize, side: Side, name: &str) {
        if self.flags_lost || self.conns[side.index()].flag_update_missed {
            return;
        }
        let c = &self.conns[side.index()];
        let owed = c.view.iter().flatten().find_map(|uid| {
            let seen = c.last_seen.get(uid)?;
            let now = self.flags.get(uid)?.last()?;
            (seen != now && !self.gone.contains(uid)).then(|| (*uid, seen.clone(), now.clone()))
        });
        let Some((uid, seen, now)) = owed else {
            return;
        };
        self.conns[side.index()].flag_update_missed = true;
        let show = |f: &FlagSet| format!("({})", f.names().join(" "));
        self.find(
            i,
            side,
            rule::FLAG_UPDATES,
            format!(
                "{name} did not show that the other connection changed the flags of UID {uid} \
                 from {} to {}",
                show(&seen),
                show(&now)
            ),
            format!("* n FETCH (FLAGS {})", show(&now)),
            "no FETCH response for it".into(),
        );
    }

    fn note(&mut self, what: &str, when: &str) {
        *self
            .coverage
            .updates
            .entry(format!("{what} {when}"))
            .or_default() += 1;
    }

    fn exists(&mut self, i: usize, side: Side, n: usize, when: &str, observed: String) {
        let added = self.added;
        let c = &self.conns[side.index()];
        let have = c.view.len();
        if n < have {
            if self.profile == Profile::Rfc3501 {
                self.find(
                    i,
                    side,
                    rule::EXISTS_SHRINK_3501,
                    format!("EXISTS {n} {when}, but the client holds {have} messages and no EXPUNGE response said one went"),
                    format!("an EXISTS of at least {have}, or EXPUNGE responses"),
                    observed,
                );
            }
            return self.stop(side, "EXISTS smaller than the client's count");
        }
        let new = n - have;
        if new == 0 {
            return;
        }
        let may = added - c.base_added - c.told_new.min(added - c.base_added);
        if new > may && !self.adds_lost {
            self.find(
                i,
                side,
                rule::EXISTS_COUNT,
                format!(
                    "EXISTS {n} {when}: {new} new messages, but only {may} were added since \
                     this connection was told of {have}"
                ),
                format!("at most * {} EXISTS", have + may),
                observed,
            );
            return self.stop(side, "EXISTS counts messages that were never added");
        }
        let c = &mut self.conns[side.index()];
        if c.beyond.is_some_and(|(s, _)| s as usize <= n) {
            c.beyond = None;
        }
        c.told_new += new;
        c.view.extend(std::iter::repeat_n(None, new));
        self.note("EXISTS", when);
    }

    fn expunge(
        &mut self,
        i: usize,
        side: Side,
        n: usize,
        doing: Doing,
        when: &str,
        observed: String,
    ) {
        if matches!(doing, Doing::Idle | Doing::FetchStoreSearch) {
            self.find(
                i,
                side,
                rule::EXPUNGE_FORBIDDEN,
                format!("EXPUNGE response ({n}) {when}"),
                "no EXPUNGE response while no command is in progress, or during FETCH, STORE or SEARCH".into(),
                observed.clone(),
            );
        }
        let have = self.conns[side.index()].view.len();
        if n == 0 || n > have {
            self.find(
                i,
                side,
                rule::EXPUNGE_REMOVED,
                format!("EXPUNGE {n} {when}, but the client holds only {have} messages"),
                format!("an EXPUNGE of a message from 1 to {have}"),
                observed,
            );
            return self.stop(side, "EXPUNGE of a message the client does not have");
        }
        let c = &mut self.conns[side.index()];
        let uid = c.view.remove(n - 1);
        // A number beyond the count moves down with the rest.
        if let Some((s, k)) = c.beyond {
            c.beyond = Some((if n < s as usize { s - 1 } else { s }, k));
        }
        match (uid, doing) {
            (Some(u), Doing::Expunge) => {
                if self.gone.insert(u) {
                    self.count = if self.gone_unidentified {
                        None
                    } else {
                        self.count.map(|c| c.saturating_sub(1))
                    };
                } else {
                    self.note("EXPUNGE", when);
                }
            }
            (None, Doing::Expunge) => {
                self.gone_unidentified = true;
                self.count = None;
            }
            (Some(u), _) => {
                if !self.gone.contains(&u) && !self.gone_unidentified {
                    self.find(
                        i,
                        side,
                        rule::EXPUNGE_REMOVED,
                        format!(
                            "EXPUNGE {n} {when} reports UID {u} removed, but neither connection expunged it"
                        ),
                        "EXPUNGE responses only for messages removed from the mailbox".into(),
                        observed,
                    );
                }
                self.note("EXPUNGE", when);
            }
            (None, _) => self.note("EXPUNGE", when),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch(
        &mut self,
        i: usize,
        side: Side,
        seq: u32,
        items: &[(String, super::lex::Tok)],
        doing: Doing,
        when: &str,
        observed: String,
    ) {
        let have = self.conns[side.index()].view.len();
        if seq == 0 || seq as usize > have {
            // Judged at the end of the command: an EXISTS may still come.
            let c = &mut self.conns[side.index()];
            if c.beyond.is_none_or(|(s, _)| s < seq) && seq > 0 {
                c.beyond = Some((seq, have));
            }
            return;
        }
        let shown_uid = items
            .iter()
            .find(|(n, _)| n == "UID")
            .and_then(|(_, t)| t.atom())
            .and_then(|a| std::str::from_utf8(a).ok()?.parse::<u32>().ok());
        let at = seq as usize - 1;
        let held = self.conns[side.index()].view[at];
        if let Some(u) = shown_uid {
            let elsewhere = self.conns[side.index()]
                .view
                .iter()
                .position(|x| *x == Some(u))
                .filter(|&p| p != at);
            match (held, elsewhere) {
                (Some(h), _) if h != u => {
                    self.find(
                        i,
                        side,
                        rule::DECREMENT,
                        format!(
                            "FETCH {when} says message {seq} has UID {u}, but the client holds \
                             UID {h} at {seq} and no EXPUNGE response renumbered it"
                        ),
                        format!("* {seq} FETCH (UID {h} ...)"),
                        observed,
                    );
                    return self.stop(side, "numbering differs from the server's");
                }
                (_, Some(p)) => {
                    self.find(
                        i,
                        side,
                        rule::DECREMENT,
                        format!(
                            "FETCH {when} says message {seq} has UID {u}, but the client holds \
                             UID {u} at {} and no EXPUNGE response renumbered it",
                            p + 1
                        ),
                        format!("* {} FETCH (UID {u} ...)", p + 1),
                        observed,
                    );
                    return self.stop(side, "numbering differs from the server's");
                }
                _ => self.conns[side.index()].view[at] = Some(u),
            }
        }
        let Some(uid) = shown_uid.or(held) else {
            return;
        };
        let Some(flags) = items
            .iter()
            .find(|(n, _)| n == "FLAGS")
            .and_then(|(_, t)| flags_of(t))
        else {
            return;
        };
        if !matches!(doing, Doing::FetchStoreSearch | Doing::UidFetchStoreSearch) {
            self.note("FETCH", when);
        }
        if flags.contains(RECENT) {
            self.conns[side.index()].recent.insert(uid);
            if self.conns[side.other().index()].recent.contains(&uid)
                && self.recent_reported.insert(uid)
            {
                self.find(
                    i,
                    side,
                    rule::RECENT_FIRST,
                    format!(
                        "UID {uid} is \\Recent in both connections (connection {} was shown it \
                         \\Recent first)",
                        side.other().letter()
                    ),
                    "\\Recent in at most one session".into(),
                    observed.clone(),
                );
            }
        }
        let value = flags.without_recent();
        self.conns[side.index()]
            .last_seen
            .insert(uid, value.clone());
        if self.flags_lost {
            return;
        }
        match self.flags.get(&uid) {
            None => {
                self.flags.insert(uid, vec![value]);
            }
            Some(h) if h.contains(&value) => {}
            Some(h) => {
                let had = h
                    .iter()
                    .map(|f| format!("({})", f.names().join(" ")))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.find(
                    i,
                    side,
                    rule::FLAGS_VALUE,
                    format!(
                        "FETCH {when} shows flags ({}) for UID {uid}, which it never had (it \
                         had {had})",
                        value.names().join(" ")
                    ),
                    format!("one of {had}"),
                    observed,
                );
                self.flags.entry(uid).or_default().push(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each test is one interleaving: connection A has `INBOX.r` selected with messages
    //! UID 1, 2, 3 (numbers 1, 2, 3), and B changes the mailbox.
    use super::*;
    use crate::judge::Kind;
    use crate::wire::{End, Exchange, Transcript};

    /// A step: `"A"`/`"B"`, `"A&"` (overlapped), or `"A~"` (idle messages before A's
    /// next step, command empty).
    fn race(steps: &[(&str, &str, &[&str])]) -> RaceTranscript {
        let mut out: Vec<RaceRecord> = Vec::new();
        let mut idle: Vec<Message> = Vec::new();
        for (who, cmd, responses) in steps {
            let side = Side::from_letter(who.chars().next().unwrap()).unwrap();
            if who.ends_with('~') {
                idle.extend(responses.iter().map(Message::line));
                continue;
            }
            out.push(RaceRecord {
                side,
                idle: std::mem::take(&mut idle),
                exchange: Exchange::from_lines(cmd, responses),
                overlap: who.ends_with('&'),
            });
        }
        RaceTranscript {
            setup: [Transcript::default(), Transcript::default()],
            steps: out,
            end: End::Completed,
        }
    }

    const SELECTED: &[(&str, &str, &[&str])] = &[
        (
            "A",
            "a1 SELECT INBOX.r",
            &["* 3 EXISTS", "* 3 RECENT", "a1 OK [READ-WRITE] done"],
        ),
        (
            "A",
            "a2 FETCH 1:* (UID FLAGS)",
            &[
                "* 1 FETCH (UID 1 FLAGS (\\Recent))",
                "* 2 FETCH (UID 2 FLAGS (\\Recent))",
                "* 3 FETCH (UID 3 FLAGS (\\Recent))",
                "a2 OK done",
            ],
        ),
        (
            "B",
            "b1 SELECT INBOX.r",
            &["* 3 EXISTS", "* 0 RECENT", "b1 OK [READ-WRITE] done"],
        ),
        (
            "B",
            "b2 FETCH 1:* (UID FLAGS)",
            &[
                "* 1 FETCH (UID 1 FLAGS ())",
                "* 2 FETCH (UID 2 FLAGS ())",
                "* 3 FETCH (UID 3 FLAGS ())",
                "b2 OK done",
            ],
        ),
    ];

    /// B expunges message 2 (UID 2).
    const B_EXPUNGES_2: &[(&str, &str, &[&str])] = &[
        ("B", "b3 STORE 2 +FLAGS.SILENT (\\Deleted)", &["b3 OK done"]),
        ("B", "b4 EXPUNGE", &["* 2 EXPUNGE", "b4 OK done"]),
    ];

    fn judge(parts: &[&[(&str, &str, &[&str])]], profile: Profile) -> Vec<Verdict> {
        let steps: Vec<_> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        let (v, coverage) = judge_race("t", &race(&steps), profile);
        assert_eq!(
            coverage.steps,
            steps.iter().filter(|s| !s.0.ends_with('~')).count()
        );
        v
    }

    fn rules(v: &[Verdict]) -> Vec<&str> {
        v.iter().filter_map(|v| v.rule.as_deref()).collect()
    }

    #[test]
    fn the_expunge_may_be_announced_at_the_next_noop_and_the_old_numbers_hold_until_then() {
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[
                    // The expunged message's old data, or nothing: both allowed.
                    (
                        "A",
                        "a3 FETCH 1:3 (UID FLAGS)",
                        &[
                            "* 1 FETCH (UID 1 FLAGS ())",
                            "* 3 FETCH (UID 3 FLAGS ())",
                            "a3 OK done",
                        ],
                    ),
                    (
                        "A",
                        "a4 FETCH 2 (UID)",
                        &["* 2 FETCH (UID 2)", "a4 OK done"],
                    ),
                    ("A", "a5 NOOP", &["* 2 EXPUNGE", "a5 OK done"]),
                    (
                        "A",
                        "a6 FETCH 2 (UID)",
                        &["* 2 FETCH (UID 3)", "a6 OK done"],
                    ),
                ],
            ],
            Profile::Rfc3501,
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn a_fetch_of_the_expunged_message_may_be_refused() {
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[("A", "a3 FETCH 2 (FLAGS)", &["a3 NO message expunged"])],
            ],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn no_expunge_response_during_fetch_store_or_search_nor_while_idle() {
        for (who, cmd) in [
            ("A", "a3 FETCH 1 (FLAGS)"),
            ("A", "a3 STORE 1 +FLAGS (\\Seen)"),
            ("A", "a3 SEARCH ALL"),
            ("A~", ""),
        ] {
            let mut steps: Vec<(&str, &str, &[&str])> =
                vec![(who, cmd, &["* 2 EXPUNGE", "a3 OK done"])];
            if who.ends_with('~') {
                steps.push(("A", "a3 NOOP", &["a3 OK done"]));
            }
            let v = judge(&[SELECTED, B_EXPUNGES_2, &steps], Profile::Rfc3501);
            assert_eq!(rules(&v), [rule::EXPUNGE_FORBIDDEN], "{cmd:?}: {v:#?}");
        }
        // RFC 3501 §7.4.1: "An EXPUNGE response MAY be sent during a UID command."
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[(
                    "A",
                    "a3 UID FETCH 1:* (FLAGS)",
                    &["* 2 EXPUNGE", "a3 OK done"],
                )],
            ],
            Profile::Rfc3501,
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    /// RFC 2177: while IDLE is active "the server is now free to send untagged EXISTS,
    /// EXPUNGE, and other messages at any time". A idles while B expunges message 2.
    #[test]
    fn an_idling_connection_may_be_told_of_the_expunge() {
        let v = judge(
            &[
                SELECTED,
                &[
                    ("B", "b3 STORE 2 +FLAGS.SILENT (\\Deleted)", &["b3 OK done"]),
                    (
                        "A&",
                        "a3 IDLE",
                        &["+ idling", "* 2 EXPUNGE", "a3 OK IDLE terminated"],
                    ),
                    ("B", "b4 EXPUNGE", &["* 2 EXPUNGE", "b4 OK done"]),
                    (
                        "A",
                        "a4 FETCH 2 (UID)",
                        &["* 2 FETCH (UID 3)", "a4 OK done"],
                    ),
                ],
            ],
            Profile::Rfc3501,
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn numbers_do_not_move_without_an_expunge_response() {
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[(
                    "A",
                    "a3 FETCH 2 (UID)",
                    &["* 2 FETCH (UID 3)", "a3 OK done"],
                )],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::DECREMENT], "{v:#?}");
    }

    #[test]
    fn an_expunge_response_names_a_message_that_was_expunged() {
        let v = judge(
            &[
                SELECTED,
                &[("A", "a3 NOOP", &["* 1 EXPUNGE", "a3 OK done"])],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::EXPUNGE_REMOVED], "{v:#?}");
        let v = judge(
            &[
                SELECTED,
                &[("A", "a3 NOOP", &["* 4 EXPUNGE", "a3 OK done"])],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::EXPUNGE_REMOVED], "{v:#?}");
    }

    #[test]
    fn exists_counts_only_messages_that_were_added() {
        let b_appends: &[(&str, &str, &[&str])] =
            &[("B", "b3 APPEND INBOX.r {1}", &["* 4 EXISTS", "b3 OK done"])];
        // Announced during the next command, or while idle (RFC 2060 §5.3): both fine.
        for who in ["A", "A~"] {
            let v = judge(
                &[
                    SELECTED,
                    b_appends,
                    &[
                        (who, "a3 NOOP", &["* 4 EXISTS", "a3 OK done"]),
                        ("A", "a4 NOOP", &["a4 OK done"]),
                    ],
                ],
                Profile::Rfc3501,
            );
            assert!(v.is_empty(), "{who}: {v:#?}");
        }
        let v = judge(
            &[
                SELECTED,
                b_appends,
                &[("A", "a3 NOOP", &["* 5 EXISTS", "a3 OK done"])],
            ],
            Profile::Rfc3501,
        );
        assert_eq!(rules(&v), [rule::EXISTS_COUNT], "{v:#?}");
    }

    #[test]
    fn exists_may_come_before_the_pending_expunge_but_may_not_shrink_under_rfc3501() {
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[("A", "a3 NOOP", &["* 3 EXISTS", "* 2 EXPUNGE", "a3 OK done"])],
            ],
            Profile::Rfc3501,
        );
        assert!(v.is_empty(), "{v:#?}");
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[("A", "a3 NOOP", &["* 2 EXISTS", "a3 OK done"])],
            ],
            Profile::Rfc3501,
        );
        assert_eq!(rules(&v), [rule::EXISTS_SHRINK_3501], "{v:#?}");
        let v = judge(
            &[
                SELECTED,
                B_EXPUNGES_2,
                &[("A", "a3 NOOP", &["* 2 EXISTS", "a3 OK done"])],
            ],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "RFC 2060 does not say: {v:#?}");
    }

    #[test]
    fn a_new_message_is_announced_before_or_with_its_data() {
        let b_appends: &[(&str, &str, &[&str])] =
            &[("B", "b3 APPEND INBOX.r {1}", &["b3 OK done"])];
        let v = judge(
            &[
                SELECTED,
                b_appends,
                &[(
                    "A",
                    "a3 NOOP",
                    &["* 4 FETCH (FLAGS ())", "* 4 EXISTS", "a3 OK done"],
                )],
            ],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "{v:#?}");
        let v = judge(
            &[
                SELECTED,
                b_appends,
                &[("A", "a3 NOOP", &["* 4 FETCH (FLAGS ())", "a3 OK done"])],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::SIZE_UPDATES], "{v:#?}");
    }

    #[test]
    fn a_fetch_in_progress_during_a_store_shows_the_flags_before_or_after() {
        for shown in ["()", "(\\Flagged)"] {
            let row = format!("* 1 FETCH (UID 1 FLAGS {shown})");
            let v = judge(
                &[
                    SELECTED,
                    &[
                        (
                            "A&",
                            "a3 FETCH 1 (UID FLAGS)",
                            &[row.as_str(), "a3 OK done"],
                        ),
                        (
                            "B",
                            "b3 STORE 1 +FLAGS (\\Flagged)",
                            &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
                        ),
                    ],
                ],
                Profile::Rfc2060,
            );
            assert!(v.is_empty(), "{shown}: {v:#?}");
        }
        let v = judge(
            &[
                SELECTED,
                &[
                    (
                        "B",
                        "b3 STORE 1 +FLAGS (\\Flagged)",
                        &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
                    ),
                    (
                        "A",
                        "a3 NOOP",
                        &["* 1 FETCH (FLAGS (\\Answered))", "a3 OK done"],
                    ),
                ],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::FLAGS_VALUE], "{v:#?}");
    }

    #[test]
    fn a_poll_should_show_flags_the_other_connection_changed() {
        let b_flags: &[(&str, &str, &[&str])] = &[(
            "B",
            "b3 STORE 1 +FLAGS (\\Flagged)",
            &["* 1 FETCH (FLAGS (\\Flagged))", "b3 OK done"],
        )];
        for shown in [
            &["* 1 FETCH (FLAGS (\\Flagged \\Recent))", "a3 OK done"][..],
            &["* 1 FETCH (UID 1 FLAGS (\\Flagged))", "a3 OK done"][..],
        ] {
            let v = judge(
                &[SELECTED, b_flags, &[("A", "a3 NOOP", shown)]],
                Profile::Rfc2060,
            );
            assert!(v.is_empty(), "{v:#?}");
        }
        let v = judge(
            &[
                SELECTED,
                b_flags,
                &[
                    ("A", "a3 NOOP", &["a3 OK done"]),
                    ("A", "a4 NOOP", &["a4 OK done"]),
                ],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(
            rules(&v),
            [rule::FLAG_UPDATES],
            "once per connection: {v:#?}"
        );
        assert_eq!(v[0].kind, Kind::Warning, "a SHOULD");
    }

    #[test]
    fn recent_is_shown_to_one_session_only() {
        let v = judge(
            &[
                SELECTED,
                &[(
                    "B",
                    "b3 FETCH 1 (FLAGS)",
                    &["* 1 FETCH (FLAGS (\\Recent))", "b3 OK done"],
                )],
            ],
            Profile::Rfc2060,
        );
        assert_eq!(rules(&v), [rule::RECENT_FIRST], "{v:#?}");
        // A new message may be \Recent in either connection (RFC 2060 §2.3.2: "it is
        // undefined which of these connections will see newly-arrives messages with
        // \Recent set").
        let v = judge(
            &[
                SELECTED,
                &[
                    (
                        "B",
                        "b3 APPEND INBOX.r {1}",
                        &["* 4 EXISTS", "* 1 RECENT", "b3 OK done"],
                    ),
                    (
                        "B",
                        "b4 FETCH 4 (UID FLAGS)",
                        &["* 4 FETCH (UID 4 FLAGS (\\Recent))", "b4 OK done"],
                    ),
                    (
                        "A",
                        "a3 FETCH 4 (UID FLAGS)",
                        &["* 4 EXISTS", "* 4 FETCH (UID 4 FLAGS ())", "a3 OK done"],
                    ),
                ],
            ],
            Profile::Rfc2060,
        );
        assert!(v.is_empty(), "{v:#?}");
    }
}
