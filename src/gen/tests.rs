//! Properties of whole generated sessions.

use std::collections::BTreeSet;

use imap_codec::{decode::Decoder, CommandCodec};

use super::*;
use crate::wire::{literal_announcement, Fragment};

fn sessions(seed: u64, n: u64) -> impl Iterator<Item = Script> {
    let cfg = GenConfig::default();
    (0..n).map(move |i| generate(seed, i, &cfg))
}

#[test]
fn same_seed_and_index_give_identical_bytes() {
    let cfg = GenConfig::default();
    for i in 0..50 {
        let a = generate(42, i, &cfg);
        let b = generate(42, i, &cfg);
        assert_eq!(a, b);
    }
}

#[test]
fn different_seeds_and_indices_give_different_sessions() {
    let cfg = GenConfig::default();
    let bytes = |s: &Script| -> Vec<u8> {
        s.commands
            .iter()
            .flat_map(|c| c.message.to_bytes())
            .collect()
    };
    let mut seen = BTreeSet::new();
    for seed in 0..10 {
        for index in 0..10 {
            assert!(
                seen.insert(bytes(&generate(seed, index, &cfg))),
                "seed {seed} index {index} repeats an earlier session"
            );
        }
    }
}

#[test]
fn every_rfc_2060_command_appears_over_a_few_hundred_sessions() {
    let mut seen = BTreeSet::new();
    for s in sessions(7, 300) {
        for c in &s.commands {
            seen.insert(c.name.clone());
        }
    }
    let missing: Vec<_> = Kind::ALL
        .iter()
        .filter(|&&k| k != Kind::Twin)
        .map(|k| k.name())
        .filter(|n| !seen.contains(*n))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

/// imap-codec's strict (no quirks) command parser, which follows RFC 3501, decodes the
/// command completely, with the tag we gave it.
fn assert_grammatical(c: &Command) {
    let bytes = c.message.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    match CommandCodec::default().decode(&bytes) {
        Ok((rest, decoded)) => {
            assert!(rest.is_empty(), "left over {rest:?} after {text}");
            assert_eq!(decoded.tag.inner().as_bytes(), c.message.tag(), "{text}");
        }
        Err(e) => panic!("does not decode ({e:?}): {text}"),
    }
}

/// Every command must be grammatical.
#[test]
fn every_command_decodes_with_the_strict_command_codec() {
    let mut checked = 0;
    for seed in [1, 2, 3] {
        for s in sessions(seed, 300) {
            for c in s.commands.iter().filter(|c| c.mutation.is_none()) {
                assert_grammatical(c);
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} commands checked");
}

/// RFC 2060 §4.3: after `{n}` CRLF come exactly n octets, and the command goes on with a
/// line; lines themselves hold no CR or LF except their final CRLF.
#[test]
fn literal_announcements_match_literal_lengths() {
    let mut literals = 0;
    for s in sessions(11, 300) {
        for c in s.commands.iter().filter(|c| c.mutation.is_none()) {
            let f = &c.message.fragments;
            assert!(matches!(f.last(), Some(Fragment::Line(_))), "{c:?}");
            for (i, frag) in f.iter().enumerate() {
                match frag {
                    Fragment::Line(l) => {
                        assert!(l.ends_with(b"\r\n"), "{c:?}");
                        let body = &l[..l.len() - 2];
                        assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
                        match literal_announcement(l) {
                            Some((n, sync)) => {
                                assert!(sync, "non-synchronizing literal in {c:?}");
                                let Some(Fragment::Literal(data)) = f.get(i + 1) else {
                                    panic!("announced literal missing in {c:?}");
                                };
                                assert_eq!(data.len() as u64, n);
                                assert!(matches!(f.get(i + 2), Some(Fragment::Line(_))));
                                literals += 1;
                            }
                            None => assert_eq!(i, f.len() - 1, "line break mid-command"),
                        }
                    }
                    Fragment::Literal(data) => {
                        assert!(i > 0 && !data.contains(&0), "{c:?}");
                    }
                }
            }
        }
    }
    assert!(literals > 100, "only {literals} literals");
}

#[test]
fn tags_are_sequential_from_a1() {
    for s in sessions(5, 100) {
        for (i, c) in s.commands.iter().enumerate() {
            let tag = format!("a{}", i + 1);
            if c.mutation == Some(mutate::Operator::OverlongTag) {
                assert!(c.message.tag().starts_with(tag.as_bytes()));
                assert_eq!(c.message.tag().len(), 1000);
            } else {
                assert_eq!(c.message.tag(), tag.as_bytes());
            }
        }
    }
}

#[test]
fn logout_comes_only_last_and_sometimes() {
    let mut logouts = 0;
    for s in sessions(9, 200) {
        for (i, c) in s.commands.iter().enumerate() {
            if c.name == "LOGOUT" {
                assert_eq!(i + 1, s.commands.len(), "LOGOUT before the end");
                logouts += 1;
            }
        }
    }
    assert!(
        (10..=100).contains(&logouts),
        "{logouts} of 200 end in LOGOUT"
    );
}

#[test]
fn session_lengths_respect_the_config() {
    let cfg = GenConfig {
        min_commands: 3,
        max_commands: 4,
        ..GenConfig::default()
    };
    for i in 0..100 {
        let n = generate(1, i, &cfg).commands.len();
        assert!((3..=4).contains(&n), "{n} commands");
    }
}

#[test]
fn selected_state_commands_are_mostly_issued_with_a_mailbox_selected() {
    let cfg = GenConfig::default();
    let (mut right, mut wrong) = (0, 0);
    for i in 0..500 {
        for p in plan(13, i, &cfg) {
            if p.kind.needs_selection() {
                if p.believed_selected {
                    right += 1;
                } else {
                    wrong += 1;
                }
            }
        }
    }
    let rate = right as f64 / (right + wrong) as f64;
    eprintln!("{right} right, {wrong} wrong: {rate:.3}");
    assert!(
        rate >= 0.8,
        "only {rate:.3} of selected-state commands in selected state"
    );
    assert!(
        wrong > 0,
        "never a selected-state command in the wrong state"
    );
}

#[test]
fn mailbox_names_mostly_use_the_prefix() {
    let (mut prefixed, mut total) = (0, 0);
    for s in sessions(17, 200) {
        for c in &s.commands {
            if c.name == "CREATE" {
                total += 1;
                let line = String::from_utf8_lossy(&c.message.to_bytes()).into_owned();
                if line.contains("INBOX.") {
                    prefixed += 1;
                }
            }
        }
    }
    assert!(
        total > 50 && prefixed * 10 >= total * 8,
        "{prefixed} of {total}"
    );
}

#[test]
fn fuzzer_bytes_run_the_same_decision_code_and_stay_grammatical() {
    let cfg = GenConfig::default();
    for len in [0usize, 1, 7, 100, 5000] {
        let mut bytes = vec![0u8; len];
        SplitMix64::for_session(99, len as u64).fill(&mut bytes);
        let cmds = commands_from(&mut Unstructured::new(&bytes), 99, 0, &cfg);
        assert!(cmds.len() >= cfg.min_commands);
        cmds.iter().for_each(assert_grammatical);
    }
}

#[test]
fn describe_lists_every_command() {
    let s = generate(3, 3, &GenConfig::default());
    let d = describe(&s);
    assert_eq!(d.lines().count(), s.commands.len() + 1);
    assert!(d.lines().nth(1).unwrap().starts_with("a1 "));
}

#[test]
fn other_prefixes_and_delimiters_stay_grammatical() {
    for (prefix, delimiter) in [
        ("", '/'),
        ("INBOX/", '/'),
        ("Mail.", '.'),
        ("INBOX.a.", '.'),
    ] {
        let cfg = GenConfig {
            mailbox_prefix: prefix.into(),
            hierarchy_delimiter: delimiter,
            min_commands: 20,
            max_commands: 60,
            ..GenConfig::default()
        };
        for i in 0..100 {
            generate(5, i, &cfg)
                .commands
                .iter()
                .filter(|c| c.mutation.is_none())
                .for_each(assert_grammatical);
        }
    }
}

#[test]
fn message_commands_mostly_meet_messages() {
    let cfg = GenConfig::default();
    let (mut with, mut total) = (0, 0);
    for i in 0..500 {
        for p in plan(21, i, &cfg) {
            if matches!(
                p.kind,
                Kind::Fetch | Kind::Store | Kind::Copy | Kind::UidFetch
            ) {
                total += 1;
                if p.believed_messages > 0 {
                    with += 1;
                }
            }
        }
    }
    eprintln!("{with} of {total} message commands meet messages");
    assert!(with * 2 >= total, "only {with} of {total} meet messages");
}

#[test]
fn seeded_commands_never_run_out_of_bytes() {
    let cfg = GenConfig::default();
    for i in 0..500 {
        for p in plan(23, i, &cfg) {
            assert!(!p.ran_dry, "session {i}: {:?} ran dry", p.command.name);
        }
    }
}

#[test]
fn the_command_mix_steers_what_sessions_send() {
    let count = |cfg: &GenConfig, name: &str| -> usize {
        (0..200)
            .flat_map(|i| generate(9, i, cfg).commands)
            .filter(|c| c.name == name)
            .count()
    };
    let plain = GenConfig::default();
    let no_fetch = GenConfig {
        mix: CommandMix::parse("FETCH=0").unwrap(),
        ..GenConfig::default()
    };
    let more_search = GenConfig {
        mix: CommandMix::parse("SEARCH=5").unwrap(),
        ..GenConfig::default()
    };
    assert!(count(&plain, "FETCH") > 0);
    assert_eq!(count(&no_fetch, "FETCH"), 0);
    assert!(count(&more_search, "SEARCH") > 2 * count(&plain, "SEARCH"));
}

/// Issue 4 §3: about one command in 50 is broken on purpose, every operator is drawn, and
/// selected-state operators only while a mailbox is believed selected.
#[test]
fn mutations_are_rare_labelled_and_fit_the_state() {
    let cfg = GenConfig::default();
    let (mut total, mut mutated) = (0usize, 0usize);
    let mut seen = BTreeSet::new();
    for i in 0..2000 {
        for p in plan(21, i, &cfg) {
            total += 1;
            if let Some(op) = p.command.mutation {
                mutated += 1;
                seen.insert(op);
                assert_eq!(p.intent, session::Intent::Mutated(op));
                assert_eq!(p.command.name, op.name());
                assert!(p.believed_selected || !op.needs_selection(), "{op:?}");
            }
        }
    }
    let share = mutated as f64 / total as f64;
    assert!((0.012..0.03).contains(&share), "mutated share {share}");
    assert_eq!(seen.len(), mutate::Operator::ALL.len(), "drawn: {seen:?}");
    let none = GenConfig {
        mutate_one_in: 0,
        ..GenConfig::default()
    };
    assert!((0..200).all(|i| generate(21, i, &none)
        .commands
        .iter()
        .all(|c| c.mutation.is_none())));
}

/// The messages a session APPENDs (the literals of its APPEND commands).
fn appended(s: &Script) -> Vec<Vec<u8>> {
    s.commands
        .iter()
        .filter(|c| c.name == "APPEND")
        .filter_map(|c| {
            c.message.fragments.iter().find_map(|f| match f {
                Fragment::Literal(b) => Some(b.clone()),
                Fragment::Line(_) => None,
            })
        })
        .collect()
}

/// The part numbers of every `BODY[...]` / `BODY.PEEK[...]` section of a FETCH that has
/// them, with what follows them (`MIME`, `HEADER`, ...; empty if nothing).
fn part_sections(line: &str) -> Vec<(Vec<u32>, String)> {
    let mut out = Vec::new();
    for piece in line.split('[').skip(1) {
        let section = piece.split(']').next().unwrap_or_default();
        let mut numbers = Vec::new();
        let mut rest = String::new();
        for (i, p) in section.split('.').enumerate() {
            match p.parse::<u32>() {
                Ok(n) if rest.is_empty() => numbers.push(n),
                _ => {
                    rest = section.split('.').skip(i).collect::<Vec<_>>().join(".");
                    break;
                }
            }
        }
        if !numbers.is_empty() {
            out.push((numbers, rest));
        }
    }
    out
}

/// RFC 2060 §6.4.5: FETCH part numbers mostly name parts that exist in the messages the
/// session appended, and MIME/HEADER/TEXT after a part number mostly apply to that part.
#[test]
fn fetch_sections_mostly_name_parts_that_exist() {
    use crate::model::message::{Message, SectionText};
    let (mut exist, mut total, mut deep) = (0, 0, 0);
    for s in sessions(31, 600) {
        let messages: Vec<Message> = appended(&s).into_iter().map(Message::parse).collect();
        for c in s.commands.iter().filter(|c| c.name.ends_with("FETCH")) {
            let line = String::from_utf8_lossy(&c.message.to_bytes()).into_owned();
            for (path, rest) in part_sections(&line) {
                let text = match rest.as_str() {
                    "" => None,
                    "MIME" => Some(SectionText::Mime),
                    "TEXT" => Some(SectionText::Text),
                    _ => Some(SectionText::Header),
                };
                total += 1;
                deep += usize::from(path.len() > 1);
                if messages
                    .iter()
                    .any(|m| m.section(&path, text.as_ref()).is_some())
                {
                    exist += 1;
                }
            }
        }
    }
    eprintln!("{exist} of {total} part sections exist, {deep} nested");
    assert!(
        total > 300 && deep > 30,
        "{total} part sections, {deep} nested"
    );
    assert!(exist * 3 >= total * 2, "only {exist} of {total} exist");
    assert!(exist < total, "never a part that does not exist");
}

/// SEARCH BODY and TEXT values are mostly words of the appended messages.
#[test]
fn search_body_values_mostly_come_from_appended_messages() {
    let (mut found, mut total) = (0, 0);
    for s in sessions(37, 800) {
        let messages = appended(&s);
        for c in s.commands.iter().filter(|c| c.name.ends_with("SEARCH")) {
            let line = String::from_utf8_lossy(&c.message.to_bytes()).into_owned();
            let words: Vec<&str> = line.split(' ').collect();
            for pair in words.windows(2) {
                if !["BODY", "TEXT"].contains(&pair[0]) {
                    continue;
                }
                let value = pair[1].trim_matches(['"', ')', '\r', '\n']);
                if value.is_empty() {
                    continue;
                }
                total += 1;
                if messages
                    .iter()
                    .any(|m| String::from_utf8_lossy(m).contains(value))
                {
                    found += 1;
                }
            }
        }
    }
    eprintln!("{found} of {total} BODY/TEXT values occur in an appended message");
    assert!(
        total > 100 && found * 20 >= total * 11,
        "{found} of {total}"
    );
}

/// About one APPEND in ten sends a seed message of corpus/messages/.
#[test]
fn some_appends_send_the_seed_messages() {
    let (mut seeds, mut total) = (0, 0);
    for s in sessions(41, 300) {
        for m in appended(&s) {
            total += 1;
            if crate::gen::seeds::SEEDS
                .iter()
                .any(|seed| seed.bytes == m.as_slice())
            {
                seeds += 1;
            }
        }
    }
    assert!(
        total > 300 && seeds * 25 > total && seeds * 6 < total,
        "{seeds} of {total} APPENDs are seeds"
    );
}

/// Issue 4 §5: a derived session replays its parent's first commands byte for byte (the
/// state the parent reached), then goes its own way; it is deterministic.
#[test]
fn derived_sessions_start_as_their_parent_and_then_differ() {
    let cfg = GenConfig::default();
    let mut mutated_first = 0;
    for index in 100..160 {
        let parent = index - 100;
        let p = generate(5, parent, &cfg);
        let d = derive(5, index, parent, &cfg);
        assert_eq!(d, derive(5, index, parent, &cfg));
        let same = p
            .commands
            .iter()
            .zip(&d.commands)
            .take_while(|(a, b)| a.message == b.message)
            .count();
        assert!(same >= 1, "session {index}: no prefix of {parent} kept");
        assert_ne!(
            d.commands, p.commands,
            "session {index} is its parent again"
        );
        let last_kept = &p.commands[same - 1];
        assert!(
            !String::from_utf8_lossy(last_kept.message.first_line()).ends_with("LOGOUT"),
            "a prefix must not end the session"
        );
        if d.commands.get(same).is_some_and(|c| c.mutation.is_some()) {
            mutated_first += 1;
        }
    }
    assert!(
        mutated_first > 15,
        "only {mutated_first} of 60 mutated after the prefix"
    );
}

/// The text of each command, literals inline.
fn texts(s: &Script) -> Vec<String> {
    s.commands
        .iter()
        .map(|c| {
            let b = c.message.to_bytes();
            let t = String::from_utf8_lossy(&b);
            // Without the tag.
            t.split_once(' ')
                .map_or(String::new(), |(_, r)| r.trim_end().to_string())
        })
        .collect()
}

#[test]
fn twin_questions_ask_one_question_two_ways_in_consecutive_commands() {
    // LOGOUT, which ends a session, may cut a twin question short.
    let cut = |x: &str| x.eq_ignore_ascii_case("LOGOUT");
    let mut found = BTreeSet::new();
    for s in sessions(7, 300) {
        let t = texts(&s);
        for w in t.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.starts_with("FETCH ")
                && a.ends_with(" (FLAGS UID)")
                && b == "UID FETCH 1:* (FLAGS)"
            {
                found.insert("flags");
            }
            if let Some(n) = b
                .strip_prefix("FETCH ")
                .and_then(|r| r.strip_suffix(" (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)"))
            {
                assert_eq!(a, &format!("FETCH {n} BODY.PEEK[]"));
                found.insert("body");
            }
            if let Some(m) = a
                .strip_prefix("STATUS ")
                .and_then(|r| r.strip_suffix(" (MESSAGES UIDNEXT UIDVALIDITY)"))
            {
                assert!(cut(b) || b == &format!("EXAMINE {m}"), "{a} then {b}");
                found.insert("status-examine");
            }
            if let Some(k) = a.strip_prefix("SEARCH ") {
                if b == &format!("UID SEARCH {k}") {
                    found.insert("uid-search");
                }
                if b == &format!("SEARCH NOT {k}") {
                    found.insert("not");
                }
            }
            let literal = |x: &str| x.contains("}\r\n");
            if a.starts_with("LIST \"\" ")
                && b.starts_with("LIST \"\" ")
                && literal(a) != literal(b)
            {
                found.insert("list-literal");
            }
            if a.starts_with("STATUS ") && b.starts_with("STATUS ") && literal(a) != literal(b) {
                found.insert("status-literal");
            }
        }
        for w in t.windows(3) {
            if w[0].starts_with("SEARCH ") && w[1] == format!("UID {}", w[0]) {
                assert!(cut(&w[2]) || w[2] == "FETCH 1:* (UID)", "{w:?}");
            }
            if w[1].starts_with("SEARCH NOT ") && w[1] == format!("SEARCH NOT {}", &w[0][7..]) {
                assert!(cut(&w[2]) || w[2] == "SEARCH ALL", "{w:?}");
            }
        }
    }
    let all: BTreeSet<&str> = [
        "flags",
        "body",
        "status-examine",
        "uid-search",
        "not",
        "list-literal",
        "status-literal",
    ]
    .into();
    assert_eq!(found, all);
}

#[test]
fn twin_questions_keep_to_the_mix() {
    let cfg = GenConfig {
        mix: CommandMix::parse("TWIN=0").unwrap(),
        ..GenConfig::default()
    };
    let no_twins = (0..200)
        .flat_map(|i| texts(&generate(7, i, &cfg)))
        .all(|t| {
            !t.ends_with("(BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)")
                && t != "UID FETCH 1:* (FLAGS)"
        });
    assert!(no_twins);
    // A command the mix leaves out is not sent inside a twin question either.
    let cfg = GenConfig {
        mix: CommandMix::parse("TWIN=20,FETCH=0,UID FETCH=0,EXAMINE=0").unwrap(),
        ..GenConfig::default()
    };
    let names: BTreeSet<String> = (0..100)
        .flat_map(|i| generate(7, i, &cfg).commands)
        .map(|c| c.name)
        .collect();
    assert!(!names.contains("FETCH") && !names.contains("UID FETCH") && !names.contains("EXAMINE"));
    assert!(names.contains("STATUS") && names.contains("UID SEARCH"));
}
