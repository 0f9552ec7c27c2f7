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

use super::oracle::{read, Seen};
use super::Verdict;
use crate::drive::race::{RaceRecord, RaceTranscript};
use crate::gen::race::Side;
use crate::model::flags::FlagSet;
use crate::model::Profile;
use crate::wire::Message;

mod count;
mod fetch;

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

    fn note(&mut self, what: &str, when: &str) {
        *self
            .coverage
            .updates
            .entry(format!("{what} {when}"))
            .or_default() += 1;
    }
}

#[cfg(test)]
mod tests;
