//! STORE's untagged FETCH: sent without `.SILENT`, withheld with it.
//!
//! RFC 2060 §6.4.6: "Normally, STORE will return the updated value of the data with an
//! untagged FETCH response. A suffix of ".SILENT" in the data item name prevents the
//! untagged FETCH, and the server SHOULD assume that the client has determined the updated
//! value itself or does not care about the updated value." For FLAGS, +FLAGS and -FLAGS:
//! "The new value of the flags are returned as if a FETCH of those flags was done."
//!
//! Both checks are [`Kind::Warning`]s: "Normally" leaves the loud case room, and a FETCH
//! under `.SILENT` is owed where another agent changed the flags (§6.4.6: "regardless of
//! whether or not the ".SILENT" suffix was used, the server SHOULD send an untagged FETCH
//! response if a change to a message's flags from an external source is observed"), which
//! the session's bytes alone cannot rule out. Each is made only where the sentence clearly
//! applies, read from the session's own bytes:
//!
//! - **Loud STORE without FETCH** (`2060-6.4.6-new-value-returned`): a STORE without
//!   `.SILENT` completed with OK for a message that exists (its number within the last
//!   EXISTS count; for UID STORE, a UID the server showed for that number) and whose flags
//!   it changed (the flags before were shown by the server in this selection), with no
//!   untagged FETCH of that message's FLAGS among its responses.
//! - **Silent STORE with FETCH** (`2060-6.4.6-silent`): a `.SILENT` STORE completed with
//!   OK, and among its responses an untagged FETCH with FLAGS for a message whose flags it
//!   changed, showing exactly the value the client set (the echo `.SILENT` prevents). A
//!   FETCH that shows other flags tells the client something it could not determine itself
//!   (a flag that did not stick, a change from elsewhere: §6.4.6's note says such changes
//!   SHOULD be sent regardless), and is not judged; nor is one carrying MODSEQ (RFC 7162
//!   §3.1.3 requires a FETCH even under `.SILENT` for a conditional STORE).
//!
//! Commands mutated on purpose are left to [`super::mutation`].

use std::collections::{BTreeSet, HashMap};

use super::lex::{self, Tok};
use super::syntax::observed;
use super::{Kind, Verdict};
use crate::model::Profile;
use crate::wire::{escape, strip_eol, Exchange, Message, Transcript};

/// A loud STORE answered without the new flags.
pub const RULE_LOUD: &str = "2060-6.4.6-new-value-returned";
/// A `.SILENT` STORE answered with them.
pub const RULE_SILENT: &str = "2060-6.4.6-silent";

/// A flag set, compared case-insensitively (RFC 3501 §2.3.2: flags are case-insensitive).
type Flags = BTreeSet<String>;

const RECENT: &str = "\\RECENT";

fn flags_of(toks: &[Tok]) -> Flags {
    toks.iter()
        .filter_map(Tok::atom)
        .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
        .collect()
}

/// How a STORE changes flags (RFC 2060 §6.4.6 data items).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Replace,
    Add,
    Remove,
}

/// A STORE command read from its line: `tag [UID] STORE set item flags`.
#[derive(Debug)]
struct Store {
    uid: bool,
    set: Vec<u8>,
    op: Op,
    silent: bool,
    flags: Flags,
}

fn parse_store(line: &[u8]) -> Option<Store> {
    let line = String::from_utf8_lossy(strip_eol(line)).to_string();
    let mut words = line.split(' ').skip(1);
    let mut verb = words.next()?.to_ascii_uppercase();
    let uid = verb == "UID";
    if uid {
        verb = words.next()?.to_ascii_uppercase();
    }
    if verb != "STORE" {
        return None;
    }
    let set = words.next()?.as_bytes().to_vec();
    let item = words.next()?.to_ascii_uppercase();
    let (item, silent) = match item.strip_suffix(".SILENT") {
        Some(i) => (i.to_string(), true),
        None => (item, false),
    };
    let op = match item.as_str() {
        "FLAGS" => Op::Replace,
        "+FLAGS" => Op::Add,
        "-FLAGS" => Op::Remove,
        _ => return None,
    };
    let rest: Vec<&str> = words.collect();
    let rest = rest.join(" ");
    let inner = rest.trim();
    let inner = match inner.strip_prefix('(') {
        Some(i) => i.strip_suffix(')')?,
        None => inner,
    };
    if inner.contains(['(', ')', '"', '{']) {
        return None;
    }
    let flags = inner
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    Some(Store {
        uid,
        set,
        op,
        silent,
        flags,
    })
}

/// Whether `n` is in the sequence set `set` (RFC 2060 §9 `set`), `*` standing for `star`;
/// `None` where the set does not parse or holds `*` with `star` unknown.
fn in_set(set: &[u8], n: u32, star: Option<u32>) -> Option<bool> {
    let num = |s: &[u8]| -> Option<u32> {
        if s == b"*" {
            return star;
        }
        std::str::from_utf8(s).ok()?.parse().ok().filter(|&v| v > 0)
    };
    let mut found = false;
    for part in set.split(|&b| b == b',') {
        let mut ends = part.splitn(2, |&b| b == b':');
        let a = num(ends.next()?)?;
        let b = match ends.next() {
            Some(e) => num(e)?,
            None => a,
        };
        found |= (a.min(b)..=a.max(b)).contains(&n);
    }
    Some(found)
}

fn apply(op: Op, old: &Flags, arg: &Flags) -> Flags {
    match op {
        Op::Add => old.union(arg).cloned().collect(),
        Op::Remove => old.difference(arg).cloned().collect(),
        // RFC 3501 §6.4.6: "Replace the flags for the message (other than \Recent)".
        Op::Replace => {
            let mut f: Flags = arg.iter().filter(|f| *f != RECENT).cloned().collect();
            if old.contains(RECENT) {
                f.insert(RECENT.to_string());
            }
            f
        }
    }
}

fn without_recent(f: &Flags) -> Flags {
    f.iter().filter(|f| *f != RECENT).cloned().collect()
}

/// What the session showed of the selected mailbox so far.
#[derive(Default)]
struct Shown {
    /// The mailbox was selected read-only (EXAMINE, or `[READ-ONLY]`): RFC 2060 §6.3.2 "no
    /// changes are permitted", so a STORE a server answers OK there changed nothing
    /// (Dovecot: `OK Store ignored with read-only mailbox`).
    read_only: bool,
    exists: Option<u32>,
    flags: HashMap<u32, Flags>,
    uids: HashMap<u32, u32>,
}

/// An untagged FETCH: its number, FLAGS and UID where present.
fn fetch_of(m: &Message) -> Option<(u32, Option<Flags>, Option<u32>)> {
    let toks = lex::items(&m.to_bytes(), 2)?;
    let n: u32 = std::str::from_utf8(toks.first()?.atom()?)
        .ok()?
        .parse()
        .ok()?;
    if !toks.get(1)?.atom()?.eq_ignore_ascii_case(b"FETCH") {
        return None;
    }
    let items = toks.get(2)?.list()?;
    let mut flags = None;
    let mut uid = None;
    for pair in items.chunks(2) {
        let [name, value] = pair else { break };
        let Some(name) = name.atom() else { break };
        if name.eq_ignore_ascii_case(b"FLAGS") {
            flags = value.list().map(flags_of);
        } else if name.eq_ignore_ascii_case(b"UID") {
            uid = value
                .atom()
                .and_then(|a| std::str::from_utf8(a).ok()?.parse().ok());
        }
    }
    Some((n, flags, uid))
}

/// `* n WORD` with WORD upper-case.
fn numbered(m: &Message) -> Option<(u32, String)> {
    let line = m.first_line().strip_prefix(b"* ")?;
    let mut w = line.split(|&b| b == b' ');
    let n = std::str::from_utf8(w.next()?).ok()?.parse().ok()?;
    let word = String::from_utf8_lossy(strip_eol(w.next()?)).to_ascii_uppercase();
    Some((n, word))
}

/// RFC 2060 §7.4.1: after `* n EXPUNGE` each message above n is one number lower.
fn renumber<V>(map: &mut HashMap<u32, V>, n: u32) {
    map.remove(&n);
    let mut moved: Vec<u32> = map.keys().copied().filter(|&k| k > n).collect();
    moved.sort_unstable();
    for k in moved {
        if let Some(v) = map.remove(&k) {
            map.insert(k - 1, v);
        }
    }
}

impl Shown {
    /// Takes in one server message.
    fn observe(&mut self, m: &Message) {
        if let Some((n, flags, uid)) = fetch_of(m) {
            if let Some(f) = flags {
                self.flags.insert(n, f);
            }
            if let Some(u) = uid {
                self.uids.insert(n, u);
            }
            return;
        }
        match numbered(m) {
            Some((n, w)) if w == "EXISTS" => self.exists = Some(n),
            Some((n, w)) if w == "EXPUNGE" => {
                renumber(&mut self.flags, n);
                renumber(&mut self.uids, n);
                self.exists = self.exists.map(|e| e.saturating_sub(1));
            }
            _ => {}
        }
    }

    /// The message numbers `s` is known to address: numbers within EXISTS, or (UID
    /// STORE) numbers whose UID was shown and is in the set. `None` if unknown.
    fn targets(&self, s: &Store) -> Option<Vec<u32>> {
        let exists = self.exists?;
        let mut out = Vec::new();
        if s.uid {
            let max_uid = (1..=exists)
                .map(|n| self.uids.get(&n).copied())
                .collect::<Option<Vec<u32>>>()
                .and_then(|u| u.into_iter().max());
            for n in 1..=exists {
                if let Some(&u) = self.uids.get(&n) {
                    if in_set(&s.set, u, max_uid)? {
                        out.push(n);
                    }
                }
            }
        } else {
            for n in 1..=exists {
                if in_set(&s.set, n, Some(exists))? {
                    out.push(n);
                }
            }
        }
        Some(out)
    }
}

fn verb_of(e: &Exchange) -> String {
    let cmd = e.command();
    let w = cmd
        .first_line()
        .split(|&b| b == b' ')
        .nth(1)
        .unwrap_or_default();
    String::from_utf8_lossy(strip_eol(w)).to_ascii_uppercase()
}

/// Every STORE whose untagged FETCH responses break §6.4.6 as described in the module
/// documentation. `mutated`: script steps whose command was broken on purpose.
pub fn judge_store_echo_in(
    target: &str,
    t: &Transcript,
    profile: Profile,
    mutated: &[usize],
) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
    let mut shown = Shown::default();
    let mut out = Vec::new();
    for (step, e) in t.steps() {
        let verb = verb_of(e);
        if matches!(
            verb.as_str(),
            "SELECT" | "EXAMINE" | "CLOSE" | "UNSELECT" | "LOGOUT"
        ) {
            shown = Shown::default();
            shown.read_only = e.status().as_deref() == Some("OK")
                && (verb == "EXAMINE"
                    || e.completion().is_some_and(|m| {
                        let line = m.first_line().to_ascii_uppercase();
                        line.windows(11).any(|w| w == b"[READ-ONLY]")
                    }));
        }
        let cmd = e.command();
        let store = parse_store(cmd.first_line())
            .filter(|_| !step.is_some_and(|s| mutated.contains(&s)))
            .filter(|_| e.status().as_deref() == Some("OK"))
            .filter(|_| !shown.read_only);
        // What this STORE changes, judged on the flags shown before it.
        let changes: Vec<(u32, Flags)> = match &store {
            Some(s) => shown
                .targets(s)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| {
                    let old = shown.flags.get(&n)?;
                    let new = apply(s.op, old, &s.flags);
                    (without_recent(&new) != without_recent(old)).then_some((n, new))
                })
                .collect(),
            None => Vec::new(),
        };
        let mut fetched: Vec<(u32, Flags, &Message)> = Vec::new();
        for m in e.responses() {
            if let Some((n, Some(f), _)) = fetch_of(m) {
                fetched.push((n, f, m));
            }
            shown.observe(m);
        }
        let Some(s) = store else {
            continue;
        };
        let line = escape(strip_eol(cmd.first_line()));
        let echo = |n: &u32| fetched.iter().find(|(k, _, _)| k == n);
        // One finding per STORE, naming every message it concerns.
        let (missing, echoed): (Vec<u32>, Vec<(u32, &Message)>) = if s.silent {
            let echoed = changes
                .iter()
                .filter_map(|(n, new)| {
                    let (_, f, m) = echo(n)?;
                    // RFC 7162 §3.1.3: with CONDSTORE a FETCH carrying MODSEQ may be
                    // owed even for .SILENT; not judged.
                    let condstore = lex::items(&m.to_bytes(), 2).is_some_and(|t| {
                        t.get(2).and_then(Tok::list).is_some_and(|items| {
                            items
                                .iter()
                                .filter_map(Tok::atom)
                                .any(|a| a.eq_ignore_ascii_case(b"MODSEQ"))
                        })
                    });
                    (!condstore && without_recent(f) == without_recent(new)).then_some((*n, *m))
                })
                .collect();
            (Vec::new(), echoed)
        } else {
            let missing = changes
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| echo(n).is_none())
                .collect();
            (missing, Vec::new())
        };
        let list = |ns: &mut dyn Iterator<Item = u32>| {
            ns.map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
        };
        if !missing.is_empty() {
            out.push(Verdict {
                kind: Kind::Warning,
                targets: vec![target.to_string()],
                step,
                rule: Some(RULE_LOUD.to_string()),
                summary: format!(
                    "STORE without .SILENT changed flags (of message(s) {}) but returned no untagged FETCH of them ({doc} §6.4.6: \"The new value of the flags are returned as if a FETCH of those flags was done\")",
                    list(&mut missing.iter().copied())
                ),
                expected: format!(
                    "`* {} FETCH (FLAGS (...))` among the responses to `{line}`",
                    missing[0]
                ),
                observed: observed(&e.responses().flat_map(Message::to_bytes).collect::<Vec<u8>>()),
                cause: None,
            });
        }
        if let Some((_, first)) = echoed.first() {
            out.push(Verdict {
                kind: Kind::Warning,
                targets: vec![target.to_string()],
                step,
                rule: Some(RULE_SILENT.to_string()),
                summary: format!(
                    "STORE .SILENT answered with untagged FETCH of the flags it set (on message(s) {}) ({doc} §6.4.6: \"A suffix of \".SILENT\" in the data item name prevents the untagged FETCH\")",
                    list(&mut echoed.iter().map(|(n, _)| *n))
                ),
                expected: format!(
                    "no FETCH echoing the new flags of `{line}` (only flags changed elsewhere)"
                ),
                observed: observed(&first.to_bytes()),
                cause: None,
            });
        }
        // Flags a STORE changed without showing them are no longer known.
        for (n, _) in &changes {
            if !fetched.iter().any(|(k, _, _)| k == n) {
                shown.flags.remove(n);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::judge::fixture::logged_in as t;

    fn judge(script: Vec<Exchange>) -> Vec<Verdict> {
        judge_store_echo_in("h", &t(script), Profile::Rfc2060, &[])
    }

    fn select() -> Exchange {
        Exchange::from_lines(
            "a1 SELECT INBOX",
            &["* 2 EXISTS", "* 0 RECENT", "a1 OK [READ-WRITE] done"],
        )
    }

    fn flags() -> Exchange {
        Exchange::from_lines(
            "a2 FETCH 1:2 (FLAGS UID)",
            &[
                "* 1 FETCH (FLAGS () UID 7)",
                "* 2 FETCH (FLAGS (\\Seen) UID 9)",
                "a2 OK",
            ],
        )
    }

    #[test]
    fn a_store_that_changes_flags_without_returning_them_is_a_warning_rfc2060_6_4_6() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines("a3 STORE 1 +FLAGS (\\Flagged)", &["a3 OK done"]),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].kind, Kind::Warning);
        assert_eq!(v[0].rule.as_deref(), Some(RULE_LOUD));
        assert_eq!(v[0].step, Some(2));
        assert!(v[0].summary.contains("message(s) 1)"), "{}", v[0].summary);
    }

    #[test]
    fn a_store_answered_ok_in_a_read_only_mailbox_changed_nothing_rfc2060_6_3_2() {
        // EXAMINE: "no changes are permitted"; Dovecot answers such a STORE
        // `OK Store ignored with read-only mailbox` and sends no FETCH: no finding.
        for (cmd, ok) in [
            ("a1 EXAMINE INBOX", "a1 OK [READ-ONLY] done"),
            ("a1 SELECT INBOX", "a1 OK [READ-ONLY] done"),
        ] {
            let v = judge(vec![
                Exchange::from_lines(cmd, &["* 1 EXISTS", ok]),
                flags(),
                Exchange::from_lines("a3 STORE 1 +FLAGS (\\Flagged)", &["a3 OK ignored"]),
            ]);
            assert!(v.is_empty(), "{cmd}: {v:?}");
        }
    }

    #[test]
    fn a_store_that_returns_the_new_flags_is_fine_rfc2060_6_4_6() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines(
                "a3 STORE 1:2 +FLAGS (\\Flagged)",
                &[
                    "* 1 FETCH (FLAGS (\\Flagged))",
                    "* 2 FETCH (FLAGS (\\Seen \\Flagged))",
                    "a3 OK done",
                ],
            ),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn flags_never_shown_or_left_unchanged_are_not_judged() {
        // Message 2 was \Seen already; the flags of the STORE before any FETCH are unknown.
        let v = judge(vec![
            select(),
            Exchange::from_lines("a2 STORE 1 +FLAGS (\\Seen)", &["a2 OK"]),
            flags(),
            Exchange::from_lines("a3 STORE 2 +FLAGS (\\Seen)", &["a3 OK"]),
            Exchange::from_lines("a4 STORE 5 +FLAGS (\\Seen)", &["a4 OK"]),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_silent_store_echoing_the_flags_it_set_is_a_warning_rfc2060_6_4_6() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines(
                "a3 UID STORE 9 FLAGS.SILENT (\\Deleted)",
                &["* 2 FETCH (FLAGS (\\Deleted) UID 9)", "a3 OK"],
            ),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].rule.as_deref(), Some(RULE_SILENT));
        assert_eq!(v[0].kind, Kind::Warning);
        assert_eq!(v[0].observed, "* 2 FETCH (FLAGS (\\\\Deleted) UID 9)\\r\\n");
    }

    #[test]
    fn a_silent_store_echoing_several_messages_is_one_finding_naming_them_rfc2060_6_4_6() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines(
                "a3 STORE 1:* +FLAGS.SILENT (work)",
                &[
                    "* 1 FETCH (FLAGS (\\Recent work))",
                    "* 2 FETCH (FLAGS (\\Seen work))",
                    "a3 OK",
                ],
            ),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].summary.contains("message(s) 1, 2)"),
            "{}",
            v[0].summary
        );
    }

    #[test]
    fn a_silent_store_may_report_flags_other_than_those_set_rfc2060_6_4_6() {
        // The keyword did not stick: the FETCH tells what the client could not know.
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines(
                "a3 STORE 1 +FLAGS.SILENT (\\Seen foo)",
                &["* 1 FETCH (FLAGS (\\Seen))", "a3 OK"],
            ),
            Exchange::from_lines(
                "a4 STORE 2 +FLAGS.SILENT (\\Seen)",
                &["* 2 FETCH (FLAGS (\\Seen))", "a4 OK"],
            ),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_silent_store_echo_carrying_modseq_is_left_to_condstore_rfc7162_3_1_3() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines(
                "a3 STORE 1 +FLAGS.SILENT (\\Seen)",
                &["* 1 FETCH (FLAGS (\\Seen) MODSEQ (12))", "a3 OK"],
            ),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_silent_store_without_fetch_and_a_refused_store_are_fine() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines("a3 STORE 1 +FLAGS.SILENT (\\Seen)", &["a3 OK"]),
            Exchange::from_lines("a4 STORE 2 -FLAGS (\\Seen)", &["a4 NO read-only"]),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn expunge_renumbers_what_was_shown_rfc2060_7_4_1() {
        let v = judge(vec![
            select(),
            flags(),
            Exchange::from_lines("a3 EXPUNGE", &["* 1 EXPUNGE", "a3 OK"]),
            // Former message 2 (\Seen) is now 1: -FLAGS \Seen changes it.
            Exchange::from_lines("a4 STORE 1 -FLAGS (\\Seen)", &["a4 OK"]),
            // And there is no message 2 any more.
            Exchange::from_lines("a5 STORE 2 +FLAGS (\\Seen)", &["a5 OK"]),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].step, Some(3));
    }

    #[test]
    fn a_new_selection_forgets_the_flags_shown() {
        let v = judge(vec![
            select(),
            flags(),
            select(),
            Exchange::from_lines("a3 STORE 1 +FLAGS (\\Flagged)", &["a3 OK"]),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    /// Over every old flag set, argument and operation on three flags, loud or silent,
    /// echoed or not: a finding exactly where the STORE changed the flags and a loud one
    /// was not echoed, or a silent one was (RFC 2060 §6.4.6).
    #[test]
    fn a_finding_exactly_where_the_echo_contradicts_the_suffix_rfc2060_6_4_6() {
        let universe = ["\\Seen", "\\Flagged", "work"];
        let subset = |bits: usize| -> Vec<&str> {
            (0..3)
                .filter(|b| bits & (1 << b) != 0)
                .map(|b| universe[b])
                .collect()
        };
        for old_bits in 0..8 {
            for arg_bits in 0..8 {
                for (op, item) in [
                    (Op::Add, "+FLAGS"),
                    (Op::Remove, "-FLAGS"),
                    (Op::Replace, "FLAGS"),
                ] {
                    for silent in [false, true] {
                        for echo in [false, true] {
                            let old = subset(old_bits).join(" ");
                            let arg = subset(arg_bits).join(" ");
                            let old_set: Flags = subset(old_bits)
                                .iter()
                                .map(|f| f.to_ascii_uppercase())
                                .collect();
                            let arg_set: Flags = subset(arg_bits)
                                .iter()
                                .map(|f| f.to_ascii_uppercase())
                                .collect();
                            let new = apply(op, &old_set, &arg_set);
                            let changed = new != old_set;
                            let shown: Vec<&str> = universe
                                .iter()
                                .copied()
                                .filter(|f| new.contains(&f.to_ascii_uppercase()))
                                .collect();
                            let suffix = if silent { ".SILENT" } else { "" };
                            let fetch = format!("* 1 FETCH (FLAGS ({}))", shown.join(" "));
                            let mut lines = vec![];
                            if echo {
                                lines.push(fetch.as_str());
                            }
                            lines.push("a3 OK");
                            let v = judge(vec![
                                Exchange::from_lines("a1 SELECT INBOX", &["* 1 EXISTS", "a1 OK"]),
                                Exchange::from_lines(
                                    "a2 FETCH 1 FLAGS",
                                    &[&format!("* 1 FETCH (FLAGS ({old}))"), "a2 OK"],
                                ),
                                Exchange::from_lines(
                                    &format!("a3 STORE 1 {item}{suffix} ({arg})"),
                                    &lines,
                                ),
                            ]);
                            let want = changed && (silent == echo);
                            assert_eq!(
                                !v.is_empty(),
                                want,
                                "old ({old}) {item}{suffix} ({arg}) echo {echo}: {v:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn sequence_sets_are_read_as_rfc2060_9_set() {
        assert_eq!(in_set(b"1:3,7", 2, None), Some(true));
        assert_eq!(in_set(b"3:1", 2, None), Some(true));
        assert_eq!(in_set(b"1:3,7", 5, None), Some(false));
        assert_eq!(in_set(b"4:*", 9, Some(9)), Some(true));
        assert_eq!(in_set(b"*", 9, None), None);
        assert_eq!(in_set(b"0", 1, None), None);
        assert_eq!(in_set(b"a", 1, None), None);
    }

    #[test]
    fn store_commands_parse_with_or_without_parentheses() {
        let s = parse_store(b"a1 uid store 1:* -flags.silent \\Seen $Foo\r\n").unwrap();
        assert!(s.uid && s.silent);
        assert_eq!(s.op, Op::Remove);
        assert_eq!(s.flags.len(), 2);
        assert!(s.flags.contains("$FOO"));
        assert!(parse_store(b"a1 STORE 1 X-GM-LABELS (a)").is_none());
        assert!(parse_store(b"a1 FETCH 1 FLAGS").is_none());
    }
}
