//! Property tests: relations the model keeps whatever the commands, checked over a few
//! hundred deterministic random cases each (bytes from a local SplitMix64, read through
//! `arbitrary::Unstructured`).
//!
//! - RFC 2060 §6.4.4: `SEARCH k` and `SEARCH NOT k` partition the mailbox (the reference
//!   server), and are disjoint and cover it with the unsure messages (an oracle);
//!   `OR a b` is the union of `a` and `b`.
//! - RFC 2060 §7.3.2: RECENT never exceeds EXISTS; RFC 2060 §2.3.2: a message is
//!   `\Recent` in at most one read-write session.
//! - RFC 2060 §2.3.1.1: UIDs are strictly ascending in a mailbox and never reused.
//! - RFC 2060 §6.3.10: STATUS reports what a SELECT right after shows.

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::Unstructured;
use chrono::DateTime;
use imap_codec::decode::Decoder;
use imap_codec::CommandCodec;

use super::response::{Code, Outcome, Reply, Untagged};
use super::session::{Session, State, Store};
use super::Profile;

/// SplitMix64 (Steele, Lea, Flood 2014), for reproducible case bytes.
fn case_bytes(case: u64, len: usize) -> Vec<u8> {
    let mut state = case.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(len);
    out
}

const CASES: u64 = 300;

/// Connections of user u1 to one store.
struct World {
    store: Store,
    s: Vec<Session>,
}

impl World {
    fn new(sessions: usize, profile: Profile) -> World {
        let now = DateTime::parse_from_rfc3339("2024-03-01T12:00:00+00:00").unwrap();
        let mut w = World {
            store: Store::with_users(b'.', &[("u1".into(), "pw".into())]),
            s: (0..sessions).map(|_| Session::new(profile, now)).collect(),
        };
        for i in 0..sessions {
            assert_eq!(w.run(i, "LOGIN u1 pw").completion.outcome, Outcome::Ok);
        }
        w
    }

    fn bytes(&mut self, i: usize, b: &[u8]) -> Reply {
        let (_, cmd) = CommandCodec::default()
            .decode(b)
            .unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(b)));
        self.s[i].execute(&mut self.store, &cmd.body)
    }

    fn run(&mut self, i: usize, line: &str) -> Reply {
        self.bytes(i, format!("a1 {line}\r\n").as_bytes())
    }

    fn append(&mut self, i: usize, mailbox: &str, flags: &str, text: &str) -> Reply {
        let b = format!(
            "a1 APPEND {mailbox} ({flags}) {{{}}}\r\n{text}\r\n",
            text.len()
        );
        self.bytes(i, b.as_bytes())
    }
}

const FROMS: [&str; 6] = [
    "From: x@example.org (x)",
    "From: \"x\" <x@example.org>",
    "From: =?utf-8?q?x?= <y@example.org>",
    "From: group: x@example.org;",
    "From: y@example.org",
    "Subject: no from",
];

const DATES: [&str; 3] = [
    "Date: Tue, 15 Feb 1994 23:30:00 -0800",
    "Date: Wed, 16 Feb 1994 00:30:00 +0100",
    "X-No-Date: yes",
];

const FLAGS: [&str; 5] = ["", "\\Seen", "\\Flagged", "$Forwarded", "\\Seen \\Deleted"];

/// A message of random From, Date and body, with random flags.
fn message(u: &mut Unstructured) -> (String, String) {
    let from = *u.choose(&FROMS).unwrap_or(&FROMS[0]);
    let date = *u.choose(&DATES).unwrap_or(&DATES[0]);
    let body = *u.choose(&["hi x", "body", "=?x?= (x"]).unwrap_or(&"body");
    let flags = *u.choose(&FLAGS).unwrap_or(&"");
    (
        flags.to_string(),
        format!("{from}\r\n{date}\r\nSubject: hi x\r\n\r\n{body}\r\n"),
    )
}

const LEAVES: [&str; 24] = [
    "FROM x",
    "FROM \"x (\"",
    "FROM \"<x\"",
    "TO x",
    "SUBJECT hi",
    "BODY x",
    "TEXT \"x (\"",
    "HEADER X-No-Date yes",
    "SEEN",
    "FLAGGED",
    "DELETED",
    "RECENT",
    "NEW",
    "OLD",
    "KEYWORD $forwarded",
    "1:3",
    "4:2",
    "UID 2:*",
    "LARGER 70",
    "SENTON 15-Feb-1994",
    "SENTBEFORE 16-Feb-1994",
    "SENTSINCE 16-Feb-1994",
    "ON 1-Mar-2024",
    "ALL",
];

/// A random search key of bounded depth, as written on the wire.
fn key(u: &mut Unstructured, depth: u32) -> String {
    let pick = if depth == 0 {
        0
    } else {
        u.int_in_range(0..=5u8).unwrap_or(0)
    };
    match pick {
        3 => format!("NOT {}", key(u, depth - 1)),
        4 => format!("OR {} {}", key(u, depth - 1), key(u, depth - 1)),
        5 => format!("({} {})", key(u, depth - 1), key(u, depth - 1)),
        _ => u.choose(&LEAVES).unwrap_or(&"ALL").to_string(),
    }
}

fn search_result(r: &Reply) -> Vec<u32> {
    assert_eq!(r.completion.outcome, Outcome::Ok, "{r:?}");
    r.untagged
        .iter()
        .find_map(|u| match u {
            Untagged::Search(v) => Some(v.clone()),
            _ => None,
        })
        .expect("SEARCH response")
}

/// A selected INBOX of 3 to 9 random messages.
fn mailbox(u: &mut Unstructured) -> (World, u32) {
    let mut w = World::new(1, Profile::Rfc2060);
    let n = u.int_in_range(3..=9u32).unwrap_or(3);
    for _ in 0..n {
        let (flags, text) = message(u);
        assert_eq!(
            w.append(0, "INBOX", &flags, &text).completion.outcome,
            Outcome::Ok
        );
    }
    assert_eq!(w.run(0, "SELECT INBOX").completion.outcome, Outcome::Ok);
    (w, n)
}

#[test]
fn a_key_and_its_negation_partition_the_mailbox_rfc2060_6_4_4() {
    for case in 0..CASES {
        let bytes = case_bytes(case, 512);
        let mut u = Unstructured::new(&bytes);
        let (mut w, n) = mailbox(&mut u);
        let k = key(&mut u, 3);
        // The reference server: disjoint, and together every message.
        let yes = search_result(&w.run(0, &format!("SEARCH {k}")));
        let no = search_result(&w.run(0, &format!("SEARCH NOT {k}")));
        let mut both: Vec<u32> = yes.iter().chain(&no).copied().collect();
        both.sort();
        assert_eq!(both, (1..=n).collect::<Vec<_>>(), "case {case}: {k}");
        // An oracle: sure answers disjoint; sure and unsure together cover the mailbox;
        // a message unsure for k is unsure for NOT k.
        w.s[0].follower = true;
        let yes = search_result(&w.run(0, &format!("SEARCH {k}")));
        let maybe_yes = w.s[0].latitude.search_maybe.clone();
        let no = search_result(&w.run(0, &format!("SEARCH NOT {k}")));
        let maybe_no = w.s[0].latitude.search_maybe.clone();
        assert!(yes.iter().all(|m| !no.contains(m)), "case {case}: {k}");
        assert_eq!(maybe_yes, maybe_no, "case {case}: {k}");
        let mut all: Vec<u32> = yes.iter().chain(&no).chain(&maybe_yes).copied().collect();
        all.sort();
        assert_eq!(all, (1..=n).collect::<Vec<_>>(), "case {case}: {k}");
    }
}

#[test]
fn or_is_the_union_of_its_keys_rfc2060_6_4_4() {
    for case in 0..CASES {
        let bytes = case_bytes(case ^ 0x0A, 512);
        let mut u = Unstructured::new(&bytes);
        let (mut w, _) = mailbox(&mut u);
        let (a, b) = (key(&mut u, 2), key(&mut u, 2));
        let either = search_result(&w.run(0, &format!("SEARCH OR {a} {b}")));
        let mut union: BTreeSet<u32> = search_result(&w.run(0, &format!("SEARCH {a}")))
            .into_iter()
            .collect();
        union.extend(search_result(&w.run(0, &format!("SEARCH {b}"))));
        assert_eq!(
            either,
            union.into_iter().collect::<Vec<_>>(),
            "case {case}: OR {a} {b}"
        );
    }
}

/// A random command of one session among several on INBOX and `box`.
fn command(u: &mut Unstructured) -> String {
    let n = u.int_in_range(1..=4u32).unwrap_or(1);
    let ops: [&dyn Fn() -> String; 14] = [
        &|| "SELECT INBOX".into(),
        &|| "EXAMINE INBOX".into(),
        &|| "SELECT box".into(),
        &|| "NOOP".into(),
        &|| "EXPUNGE".into(),
        &|| "CLOSE".into(),
        &|| format!("STORE {n} +FLAGS (\\Deleted)"),
        &|| format!("STORE {n} -FLAGS (\\Deleted)"),
        &|| "FETCH 1:* FLAGS".into(),
        &|| "SEARCH RECENT".into(),
        &|| format!("COPY {n} box"),
        &|| format!("COPY {n} INBOX"),
        &|| "APPEND".into(),
        &|| "APPEND".into(),
    ];
    let i = u.int_in_range(0..=ops.len() - 1).unwrap_or(0);
    ops[i]()
}

/// Runs a random command (an APPEND gets a message) in a random session.
fn step(w: &mut World, u: &mut Unstructured) -> (usize, Reply) {
    let i = u.int_in_range(0..=w.s.len() - 1).unwrap_or(0);
    let c = command(u);
    let r = if c == "APPEND" {
        let mailbox = *u.choose(&["INBOX", "box"]).unwrap_or(&"INBOX");
        let (flags, text) = message(u);
        w.append(i, mailbox, &flags, &text)
    } else {
        w.run(i, &c)
    };
    (i, r)
}

/// Several sessions driven at random, with a mailbox `box` beside INBOX.
fn world(u: &mut Unstructured, profile: Profile) -> World {
    let sessions = u.int_in_range(2..=4usize).unwrap_or(2);
    let mut w = World::new(sessions, profile);
    assert_eq!(w.run(0, "CREATE box").completion.outcome, Outcome::Ok);
    w
}

#[test]
fn recent_never_exceeds_exists_and_a_message_is_recent_in_one_read_write_session_rfc2060_2_3_2() {
    for case in 0..CASES {
        let bytes = case_bytes(case ^ 0xB0, 2048);
        let mut u = Unstructured::new(&bytes);
        let mut w = world(&mut u, Profile::Rfc2060);
        // What each client was told: EXISTS, less each EXPUNGE since.
        let mut exists: BTreeMap<usize, u32> = BTreeMap::new();
        for _ in 0..40 {
            let (i, r) = step(&mut w, &mut u);
            for un in &r.untagged {
                match un {
                    Untagged::Exists(n) => {
                        exists.insert(i, *n);
                    }
                    Untagged::Expunge(_) => {
                        *exists.entry(i).or_default() -= 1;
                    }
                    // RFC 2060 §7.3.2: "the number of messages with the \Recent flag set".
                    Untagged::Recent(n) => assert!(
                        *n <= exists.get(&i).copied().unwrap_or(0),
                        "case {case}: RECENT {n} above EXISTS {:?}: {r:?}",
                        exists.get(&i)
                    ),
                    _ => {}
                }
            }
            let mut owner: BTreeMap<u64, usize> = BTreeMap::new();
            for (j, s) in w.s.iter().enumerate() {
                let State::Selected(sel) = &s.state else {
                    continue;
                };
                let view: BTreeSet<u64> = sel.view.iter().copied().collect();
                assert!(sel.recent.is_subset(&view), "case {case}");
                assert!(
                    sel.recent_maybe.is_empty(),
                    "case {case}: the server decides"
                );
                if sel.read_only {
                    continue;
                }
                for id in &sel.recent {
                    if let Some(k) = owner.insert(*id, j) {
                        panic!("case {case}: message {id} \\Recent in sessions {k} and {j}");
                    }
                }
            }
        }
    }
}

#[test]
fn uids_ascend_strictly_and_are_never_reused_rfc2060_2_3_1_1() {
    for case in 0..CASES {
        let bytes = case_bytes(case ^ 0xC0, 2048);
        let mut u = Unstructured::new(&bytes);
        let mut w = world(&mut u, Profile::Rfc2060);
        // (mailbox, UIDVALIDITY, UID) -> the message first given that UID.
        let mut given: BTreeMap<(Vec<u8>, u32, u32), u64> = BTreeMap::new();
        for _ in 0..40 {
            step(&mut w, &mut u);
            for mb in w.store.accounts["u1"].mailboxes() {
                let uids = mb.uids();
                assert!(
                    uids.windows(2).all(|p| p[0] < p[1]),
                    "case {case}: {uids:?}"
                );
                assert!(uids.iter().all(|&x| x < mb.uid_next), "case {case}");
                for m in &mb.messages {
                    let k = (mb.name.clone(), mb.uid_validity, m.uid);
                    let first = *given.entry(k).or_insert(m.id);
                    assert_eq!(first, m.id, "case {case}: UID {} reused", m.uid);
                }
            }
        }
    }
}

/// The STATUS items of a reply, by name.
fn status_items(r: &Reply) -> BTreeMap<String, u32> {
    r.untagged
        .iter()
        .find_map(|u| match u {
            Untagged::Status { items, .. } => Some(items.iter().cloned().collect()),
            _ => None,
        })
        .expect("STATUS response")
}

#[test]
fn status_reports_what_select_then_shows_rfc2060_6_3_10() {
    for case in 0..CASES {
        let bytes = case_bytes(case ^ 0xD0, 2048);
        let mut u = Unstructured::new(&bytes);
        let mut w = world(&mut u, Profile::Rfc3501);
        for _ in 0..30 {
            step(&mut w, &mut u);
        }
        // A further session, with nothing selected, asks both ways.
        let now = w.s[0].now;
        w.s.push(Session::new(Profile::Rfc3501, now));
        let c = w.s.len() - 1;
        assert_eq!(w.run(c, "LOGIN u1 pw").completion.outcome, Outcome::Ok);
        for name in ["INBOX", "box"] {
            let st = status_items(&w.run(
                c,
                &format!("STATUS {name} (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"),
            ));
            let r = w.run(c, &format!("SELECT {name}"));
            assert_eq!(r.completion.outcome, Outcome::Ok, "case {case}");
            let mut shown = BTreeMap::new();
            for un in &r.untagged {
                match un {
                    Untagged::Exists(n) => {
                        shown.insert("MESSAGES", *n);
                    }
                    Untagged::Recent(n) => {
                        shown.insert("RECENT", *n);
                    }
                    Untagged::Ok(Some(Code::UidNext(n)), _) => {
                        shown.insert("UIDNEXT", *n);
                    }
                    Untagged::Ok(Some(Code::UidValidity(n)), _) => {
                        shown.insert("UIDVALIDITY", *n);
                    }
                    _ => {}
                }
            }
            for k in ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY"] {
                assert_eq!(st.get(k), shown.get(k), "case {case}: {name} {k}");
            }
            // [UNSEEN n] is the first unseen message: present exactly when one is.
            let first_unseen = r
                .untagged
                .iter()
                .any(|un| matches!(un, Untagged::Ok(Some(Code::Unseen(_)), _)));
            assert_eq!(st["UNSEEN"] > 0, first_unseen, "case {case}: {name}");
            // Leave without CLOSE's expunge: a failed SELECT deselects (RFC 2060 §6.3.1).
            w.run(c, "SELECT nosuch");
        }
    }
}
