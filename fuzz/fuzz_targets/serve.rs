//! The reference server (`imapconform serve`: `serve::Connection` over a shared model
//! `Store`) on arbitrary client bytes, fed in chunks the fuzzer chooses.
//!
//! The first byte chooses the profile (bit 0), the hierarchy delimiter (bit 1) and the
//! chunk size (the other bits); the rest is what the client sent. The limits are small,
//! so that every one of them is reached. Asserted:
//! - the server never panics, and once it says it closes, it is not fed again;
//! - every response it writes, the greeting included, is framed and judged by the strict
//!   syntax judge (`judge_syntax`, imap-codec plus our ABNF checks) without a single
//!   finding or warning: the reference server speaks RFC 3501 §9 exactly;
//! - a tagged response carries a tag the client sent at the start of a command line
//!   (RFC 2060 §2.2.1), and the server sends `* BYE` before it closes (RFC 2060 §7.1.5);
//! - what it writes stays within its limits: at most one continuation request per line
//!   the client sent, and no literal larger than the largest literal it accepts (all it
//!   writes as a literal is, or is part of, something the client sent as one).
#![no_main]

use std::sync::Mutex;

use chrono::DateTime;
use imapconform::judge::judge_syntax;
use imapconform::model::session::Store;
use imapconform::model::Profile;
use imapconform::serve::{Connection, Limits};
use imapconform::wire::{Event, Exchange, Fragment, FrameLimits, Framer, Message, Transcript};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_line: 512,
    max_literal: 2048,
    max_command: 4096,
};

fuzz_target!(|data: &[u8]| {
    let [mode, input @ ..] = data else {
        return;
    };
    let profile = if mode & 1 == 0 {
        Profile::Rfc2060
    } else {
        Profile::Rfc3501
    };
    let delimiter = if mode & 2 == 0 { b'.' } else { b'/' };
    let chunk = usize::from(mode >> 2) + 1;
    let now = DateTime::parse_from_rfc3339("2026-11-27T08:00:00+00:00").expect("a date");
    let store = Mutex::new(Store::with_users(
        delimiter,
        &[("u1".into(), "pw".into()), ("u2".into(), "pw2".into())],
    ));
    let (mut conn, greeting) = Connection::open(profile, now, LIMITS);
    let mut out = Vec::new();
    let mut fed = 0;
    let mut closed = false;
    for piece in input.chunks(chunk) {
        let o = conn.feed(&store, piece);
        out.extend_from_slice(&o.bytes);
        fed += piece.len();
        if o.close {
            closed = true;
            break;
        }
    }
    let sent = &input[..fed];

    // Frame what the server wrote; it must be whole messages only.
    let mut framer = Framer::new(FrameLimits::default());
    framer.push(&out);
    let mut responses = Vec::new();
    while let Some(m) = framer.next_message().expect("server output frames") {
        responses.push(m);
    }
    assert!(
        framer.finish().is_none(),
        "the server wrote a partial message"
    );

    // The first word of every line the client sent (a command starts at a line start).
    let mut line_starts = 0;
    let mut tags = std::collections::HashSet::new();
    for line in std::iter::once(sent).chain(
        sent.windows(2)
            .enumerate()
            .filter(|(_, w)| w == b"\r\n")
            .map(|(i, _)| &sent[i + 2..]),
    ) {
        line_starts += 1;
        // The word ends at a space, or the line at CR or LF: each line is read once.
        if let Some(sp) = line.iter().position(|&b| b <= b' ') {
            if line[sp] == b' ' {
                tags.insert(&line[..sp]);
            }
        }
    }
    let mut continuations = 0;
    let mut saw_bye = false;
    for m in &responses {
        for f in &m.fragments {
            if let Fragment::Literal(b) = f {
                // What it writes as a literal came from one literal the client sent.
                assert!(
                    b.len() <= LIMITS.max_literal,
                    "a literal of {} bytes",
                    b.len()
                );
            }
        }
        if m.is_continuation() {
            continuations += 1;
        } else if m.is_untagged() {
            saw_bye |= m.first_line().starts_with(b"* BYE");
        } else {
            assert!(
                tags.contains(m.tag()),
                "tag {:?} was never sent",
                String::from_utf8_lossy(m.tag())
            );
        }
    }
    assert!(
        continuations <= line_starts,
        "more continuation requests than lines"
    );
    if closed {
        assert!(saw_bye, "the server closed without BYE");
    }
    let mut t = Transcript {
        greeting: Some(Message {
            fragments: vec![Fragment::Line(greeting)],
        }),
        ..Transcript::default()
    };
    let mut e = Exchange::default();
    e.events.push(Event::Client(Message::line("fuzz NOOP")));
    e.events.extend(responses.into_iter().map(Event::Server));
    t.script.push(e);
    let verdicts = judge_syntax("serve", &t);
    assert!(
        verdicts.is_empty(),
        "the reference server broke the syntax: {verdicts:#?}"
    );
});
