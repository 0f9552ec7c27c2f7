//! Concurrency scenarios: two connections of one user on one mailbox (RFC 2060 §5.2,
//! §5.5, §7.4.1).
//!
//! RFC 2060 §5.2: "agents other than the server MAY add messages to the mailbox (e.g. new
//! mail delivery), change the flags of message in the mailbox (e.g. simultaneous access to
//! the same mailbox by multiple agents), or even remove messages from the mailbox." Here
//! the other agent is a second connection of the same user: while connection A has the
//! mailbox selected, B appends, stores, copies and expunges, and A polls (NOOP, CHECK),
//! fetches, searches and stores, or has no command in progress. Now and then A's FETCH is
//! still in progress when B's command runs, or A idles (RFC 2177 IDLE) while it runs
//! ([`RaceStep::overlap`]). The judge
//! (`judge::race`) then holds both connections to the rules about unsolicited EXISTS,
//! EXPUNGE, FETCH and `\Recent`.
//!
//! The generator consults the model: both connections run on one in-process model store,
//! so that sequence numbers name messages the connection has been told of.

use arbitrary::Unstructured;
use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;

use super::entropy::{chance, index, int, pick, weighted, SplitMix64};
use super::message::draw_message;
use super::syntax::CommandText;
use super::GenConfig;
use crate::model::session::{Session, Store};
use crate::model::Profile;
use crate::wire::Message;

/// Mixed into the seed so that race scenarios draw from streams of their own.
const RACE_SALT: u64 = 0x005E_ED0F_2ACE;

/// Bytes of entropy per scenario (a scenario of 60 steps uses well under half).
const SCENARIO_BYTES: usize = 16 * 1024;

/// Flags an APPEND may set (RFC 2060 §6.3.11 "flag parenthesized list").
const APPEND_FLAGS: [&str; 3] = ["\\Flagged", "\\Seen", "\\Answered \\Draft"];

/// Which of the two connections a step runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    #[default]
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    pub fn letter(self) -> char {
        match self {
            Side::A => 'A',
            Side::B => 'B',
        }
    }

    pub fn from_letter(c: char) -> Option<Side> {
        match c {
            'A' => Some(Side::A),
            'B' => Some(Side::B),
            _ => None,
        }
    }
}

/// One command of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceStep {
    pub side: Side,
    pub command: Message,
    /// The command is sent, and the next step (on the other connection) runs to its
    /// completion before this command's answer is read: the server sees both commands at
    /// once (RFC 2060 §5.5). For IDLE, the next step runs once the server is idling, and
    /// DONE follows it (`drive::race`). Only single-line commands overlap.
    pub overlap: bool,
}

/// A whole scenario: both connections' commands in the order they are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceScript {
    pub seed: u64,
    pub index: u64,
    /// The mailbox both connections select.
    pub mailbox: String,
    pub steps: Vec<RaceStep>,
}

/// What one connection does in one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Noop,
    Check,
    FetchAll,
    FetchOne,
    UidFetchAll,
    Search,
    Append,
    Store,
    DeleteAndExpunge,
    Copy,
    Reselect,
    /// The actor's FETCH is in progress while the other connection changes the mailbox.
    FetchDuring,
    /// The actor idles (RFC 2177 IDLE) while the other connection changes the mailbox.
    IdleDuring,
}

/// The planner: both connections on one model store.
struct Planner {
    profile: Profile,
    store: Store,
    sessions: [Session; 2],
    tags: [u32; 2],
    steps: Vec<RaceStep>,
    mailbox: String,
    seed: u64,
    index: u64,
    serial: u32,
}

impl Planner {
    fn new(seed: u64, index: u64, cfg: &GenConfig, profile: Profile) -> Planner {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+00:00")
            .expect("a fixed, valid date");
        let store = Store::with_users(b'.', &[("race".into(), "race".into())]);
        let mut p = Planner {
            profile,
            store,
            sessions: [Session::new(profile, now), Session::new(profile, now)],
            tags: [0, 0],
            steps: Vec::new(),
            mailbox: format!("{}race", cfg.mailbox_prefix),
            seed,
            index,
            serial: 0,
        };
        for side in [Side::A, Side::B] {
            p.model(side, &Message::line("s1 LOGIN race race"));
        }
        p
    }

    fn tag(&mut self, side: Side) -> String {
        self.tags[side.index()] += 1;
        format!(
            "{}{}",
            side.letter().to_ascii_lowercase(),
            self.tags[side.index()]
        )
    }

    /// Runs a command on the model (the generator's belief of what the server does).
    fn model(&mut self, side: Side, m: &Message) {
        let bytes = m.to_bytes();
        if let Ok((_, cmd)) = CommandCodec::default().decode(&bytes) {
            self.sessions[side.index()].execute(&mut self.store, &cmd.body);
        }
    }

    fn push(&mut self, side: Side, command: Message, overlap: bool) {
        self.model(side, &command);
        self.steps.push(RaceStep {
            side,
            command,
            overlap,
        });
    }

    fn line(&mut self, side: Side, text: &str) {
        let tag = self.tag(side);
        self.push(side, Message::line(format!("{tag} {text}")), false);
    }

    /// How many messages the connection has been told of (0 when nothing is selected).
    fn known(&self, side: Side) -> u32 {
        self.sessions[side.index()]
            .selection()
            .map_or(0, |s| s.view.len() as u32)
    }

    fn read_only(&self, side: Side) -> bool {
        self.sessions[side.index()]
            .selection()
            .is_some_and(|s| s.read_only)
    }

    fn append(&mut self, u: &mut Unstructured, side: Side) {
        self.serial += 1;
        let msg = draw_message(u, (self.seed ^ RACE_SALT, self.index), self.serial);
        let tag = self.tag(side);
        let mut c = CommandText::new(&tag);
        c.raw("APPEND ").quoted(&self.mailbox.clone());
        if chance(u, 1, 3) {
            let flags = APPEND_FLAGS[index(u, APPEND_FLAGS.len())];
            c.raw(" (").raw(flags).raw(")");
        }
        c.space().literal(&msg.bytes);
        self.push(side, c.finish(), false);
    }

    fn store(&mut self, u: &mut Unstructured, side: Side, n: u32) {
        let how = *pick(
            u,
            &[
                "+FLAGS",
                "-FLAGS",
                "FLAGS",
                "+FLAGS.SILENT",
                "-FLAGS.SILENT",
            ],
        );
        let flags = *pick(
            u,
            &[
                "\\Flagged",
                "\\Answered",
                "\\Draft",
                "\\Seen",
                "\\Flagged \\Seen",
            ],
        );
        self.line(side, &format!("STORE {n} {how} ({flags})"));
    }

    /// Learns the UID and flags of every message the connection was told of (`1:n`, not
    /// `1:*`: with messages not yet announced, what `*` means is the server's reading); in
    /// an empty mailbox a NOOP instead.
    fn fetch_all(&mut self, side: Side) {
        match self.known(side) {
            0 => self.line(side, "NOOP"),
            n => self.line(side, &format!("FETCH 1:{n} (UID FLAGS)")),
        }
    }

    /// One round: the actor does something the model says it can.
    fn round(&mut self, u: &mut Unstructured) {
        let side = if chance(u, 1, 2) { Side::B } else { Side::A };
        let n = self.known(side);
        let writable = !self.read_only(side);
        let other_can_change = !self.read_only(side.other());
        let action = weighted(
            u,
            &[
                (Action::Noop, 6),
                (Action::Check, 1),
                (Action::FetchAll, 5),
                (Action::FetchOne, if n > 0 { 2 } else { 0 }),
                (Action::UidFetchAll, if n > 0 { 2 } else { 0 }),
                (Action::Search, 2),
                (Action::Append, 5),
                (Action::Store, if n > 0 && writable { 5 } else { 0 }),
                (
                    Action::DeleteAndExpunge,
                    if n > 0 && writable { 3 } else { 0 },
                ),
                (Action::Copy, if n > 0 { 2 } else { 0 }),
                (Action::Reselect, 1),
                (
                    Action::FetchDuring,
                    if n > 0 && other_can_change { 4 } else { 0 },
                ),
                (Action::IdleDuring, if other_can_change { 3 } else { 0 }),
            ],
        );
        match action {
            Action::Noop => self.line(side, "NOOP"),
            Action::Check => self.line(side, "CHECK"),
            Action::FetchAll => self.fetch_all(side),
            Action::FetchOne => {
                let k = int(u, 1, n);
                self.line(side, &format!("FETCH {k} (FLAGS)"));
            }
            Action::UidFetchAll => self.line(side, "UID FETCH 1:* (FLAGS)"),
            Action::Search => {
                let key = *pick(u, &["ALL", "FLAGGED", "UNSEEN", "DELETED", "NEW"]);
                self.line(side, &format!("SEARCH {key}"));
            }
            Action::Append => self.append(u, side),
            Action::Store => {
                let k = int(u, 1, n);
                self.store(u, side, k);
            }
            Action::DeleteAndExpunge => {
                let k = int(u, 1, n);
                self.line(side, &format!("STORE {k} +FLAGS.SILENT (\\Deleted)"));
                self.line(side, "EXPUNGE");
            }
            Action::Copy => {
                let k = int(u, 1, n);
                let mailbox = self.mailbox.clone();
                self.line(side, &format!("COPY {k} \"{mailbox}\""));
            }
            Action::Reselect => {
                let verb = if self.read_only(side) {
                    "EXAMINE"
                } else {
                    "SELECT"
                };
                let mailbox = self.mailbox.clone();
                self.line(side, &format!("{verb} \"{mailbox}\""));
                // A fresh numbering: learn which message each number is.
                self.fetch_all(side);
            }
            Action::FetchDuring => self.during(u, side, false),
            Action::IdleDuring => self.during(u, side, true),
        }
    }

    /// `side`'s FETCH (or IDLE, RFC 2177) is in progress while the other connection changes
    /// the mailbox. The other's message is marked `\Deleted` first when it expunges, so
    /// that the overlap is the EXPUNGE itself.
    fn during(&mut self, u: &mut Unstructured, side: Side, idle: bool) {
        let other = side.other();
        let m = self.known(other);
        let change = weighted(
            u,
            &[
                ("store", if m > 0 { 3 } else { 0 }),
                ("expunge", if m > 0 { 3 } else { 0 }),
                ("append", 2),
            ],
        );
        if change == "expunge" {
            let k = int(u, 1, m);
            self.line(other, &format!("STORE {k} +FLAGS.SILENT (\\Deleted)"));
        }
        let tag = self.tag(side);
        let command = if idle {
            format!("{tag} IDLE")
        } else {
            let items = *pick(
                u,
                &[
                    "(UID FLAGS BODY.PEEK[])",
                    "(UID FLAGS RFC822.SIZE ENVELOPE)",
                    "(FLAGS UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
                ],
            );
            format!("{tag} FETCH 1:* {items}")
        };
        self.push(side, Message::line(command), true);
        match change {
            "store" => {
                let k = int(u, 1, m);
                self.store(u, other, k);
            }
            "expunge" => self.line(other, "EXPUNGE"),
            _ => self.append(u, other),
        }
    }
}

/// Scenario `index` of campaign `seed`: the same pair always gives the same bytes.
pub fn race(seed: u64, index: u64, cfg: &GenConfig, profile: Profile) -> RaceScript {
    let mut bytes = vec![0u8; SCENARIO_BYTES];
    SplitMix64::for_session(seed ^ RACE_SALT, index).fill(&mut bytes);
    race_from(&mut Unstructured::new(&bytes), seed, index, cfg, profile)
}

/// A scenario drawn from any bytes (a fuzzer's, or a seeded stream's).
///
/// Shape: A creates the mailbox, appends one to four messages and selects it; B selects
/// it too (one time in five with EXAMINE, so that it cannot change anything); then 8 to
/// 24 rounds of [`Action`]s by either side; then both poll and fetch everything, so that
/// every change is announced, and log out.
pub fn race_from(
    u: &mut Unstructured,
    seed: u64,
    index: u64,
    cfg: &GenConfig,
    profile: Profile,
) -> RaceScript {
    let mut p = Planner::new(seed, index, cfg, profile);
    let mailbox = p.mailbox.clone();
    p.line(Side::A, &format!("CREATE \"{mailbox}\""));
    for _ in 0..int(u, 1, 4) {
        p.append(u, Side::A);
    }
    p.line(Side::A, &format!("SELECT \"{mailbox}\""));
    p.fetch_all(Side::A);
    let verb = if chance(u, 1, 5) { "EXAMINE" } else { "SELECT" };
    p.line(Side::B, &format!("{verb} \"{mailbox}\""));
    p.fetch_all(Side::B);
    for _ in 0..int(u, 8, 24) {
        p.round(u);
    }
    for side in [Side::A, Side::B] {
        p.line(side, "NOOP");
    }
    for side in [Side::A, Side::B] {
        p.fetch_all(side);
    }
    for side in [Side::A, Side::B] {
        p.line(side, "LOGOUT");
    }
    let _ = p.profile;
    RaceScript {
        seed,
        index,
        mailbox,
        steps: p.steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(index: u64) -> RaceScript {
        race(3, index, &GenConfig::default(), Profile::Rfc3501)
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_bytes() {
        assert_eq!(scenario(4), scenario(4));
        assert_ne!(scenario(4), scenario(5));
    }

    #[test]
    fn every_command_is_grammatical() {
        for i in 0..50 {
            for step in scenario(i).steps {
                let bytes = step.command.to_bytes();
                let decoded = CommandCodec::default().decode(&bytes);
                assert!(
                    matches!(decoded, Ok((b"", _))),
                    "{}",
                    crate::wire::escape(&bytes)
                );
            }
        }
    }

    #[test]
    fn an_overlapped_fetch_is_followed_by_the_other_side_changing_the_mailbox() {
        let mut overlaps = 0;
        for i in 0..50 {
            let s = scenario(i);
            for (k, step) in s.steps.iter().enumerate() {
                if !step.overlap {
                    continue;
                }
                overlaps += 1;
                assert_eq!(step.command.fragments.len(), 1, "single line");
                let line = step.command.first_line();
                assert!(line.windows(5).any(|w| w == b"FETCH") || line.ends_with(b" IDLE"));
                let next = &s.steps[k + 1];
                assert_eq!(next.side, step.side.other());
                assert!(!next.overlap);
            }
        }
        assert!(overlaps >= 20, "{overlaps} overlaps in 50 scenarios");
    }

    #[test]
    fn both_sides_change_the_mailbox_and_both_log_out() {
        let mut by_b = [0usize; 4];
        for i in 0..50 {
            let s = scenario(i);
            let last: Vec<Side> = s.steps.iter().rev().take(2).map(|st| st.side).collect();
            assert!(last.contains(&Side::A) && last.contains(&Side::B));
            for st in s.steps.iter().filter(|st| st.side == Side::B) {
                let line = String::from_utf8_lossy(st.command.first_line()).into_owned();
                for (k, verb) in [" APPEND ", " STORE ", " EXPUNGE", " COPY "]
                    .iter()
                    .enumerate()
                {
                    by_b[k] += line.contains(verb) as usize;
                }
            }
        }
        assert!(by_b.iter().all(|&n| n > 10), "{by_b:?}");
    }

    /// Sequence numbers name messages the connection was told of: on the model, every
    /// command succeeds but a few with `*` (left to the server's reading while the other
    /// connection's messages are not announced).
    #[test]
    fn the_model_carries_out_nearly_every_command() {
        let (mut ok, mut all, mut idles) = (0, 0, 0);
        for i in 0..30 {
            let s = scenario(i);
            let now = crate::serve::now();
            let mut store = Store::with_users(b'.', &[("race".into(), "race".into())]);
            let mut sessions = [
                Session::new(Profile::Rfc3501, now),
                Session::new(Profile::Rfc3501, now),
            ];
            for se in &mut sessions {
                let (_, login) = CommandCodec::default()
                    .decode(b"s1 LOGIN race race\r\n")
                    .unwrap();
                se.execute(&mut store, &login.body);
            }
            for st in &s.steps {
                let bytes = st.command.to_bytes();
                let (_, cmd) = CommandCodec::default().decode(&bytes).unwrap();
                let r = sessions[st.side.index()].execute(&mut store, &cmd.body);
                if matches!(cmd.body, imap_types::command::CommandBody::Idle) {
                    // RFC 2177, an extension the RFC 2060 model does not have.
                    idles += 1;
                    continue;
                }
                all += 1;
                if r.completion.outcome == crate::model::response::Outcome::Ok {
                    ok += 1;
                } else {
                    // Only `*` while the other connection's messages are not announced
                    // yet, which the model leaves to the server's reading.
                    let line = String::from_utf8_lossy(st.command.first_line()).into_owned();
                    assert!(line.contains(":*"), "{line}: {:?}", r.completion);
                }
            }
        }
        assert!(ok as f64 / all as f64 > 0.98, "{ok} of {all}");
        assert!(idles >= 10, "{idles} IDLE commands in 30 scenarios");
    }
}
