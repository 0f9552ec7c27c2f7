//! Response framing and the strict syntax judge on arbitrary server bytes.
//!
//! The first three bytes choose how the stream arrives (chunk size), the framer's limits
//! (small ones, so that every limit is reached) and whether the first message is the
//! greeting; the rest is what the server sent. Asserted:
//! - the framer never loses, reorders or invents a byte: the messages it returns are the
//!   stream (all of it, or a prefix when it stops at a limit);
//! - every complete message keeps to the limits, and only the last one may be cut short;
//! - the strict syntax judge (`judge_syntax`) never panics on the framed messages, grouped
//!   into exchanges as the driver groups them; each verdict is a syntax finding or a
//!   warning about one message, at a step that exists, citing a requirement of the
//!   catalogue (`rfc/requirements.toml`).
#![no_main]

use imapconform::judge::syntax::is_partial;
use imapconform::judge::{judge_syntax, Kind};
use imapconform::wire::{Event, Exchange, Fragment, FrameLimits, Framer, Message, Transcript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [chunk, limits, mode, bytes @ ..] = data else {
        return;
    };
    let chunk = usize::from(*chunk).max(1);
    let limits = FrameLimits {
        max_line: [16, 64, 512, 4096][usize::from(limits & 3)],
        max_literal: [0, 8, 256, 1 << 16][usize::from((limits >> 2) & 3)],
        max_message: [32, 300, 4096, 1 << 17][usize::from((limits >> 4) & 3)],
    };
    let mut framer = Framer::new(limits);
    let mut messages: Vec<Message> = Vec::new();
    let mut failed = false;
    'outer: for piece in bytes.chunks(chunk) {
        framer.push(piece);
        loop {
            match framer.next_message() {
                Ok(Some(m)) => messages.push(m),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break 'outer;
                }
            }
        }
    }
    for m in &messages {
        assert!(!is_partial(m), "a complete message is cut short: {m:?}");
        assert!(m.len() <= limits.max_message, "message over the limit");
        for f in &m.fragments {
            match f {
                Fragment::Line(l) => assert!(l.len() <= limits.max_line, "line over the limit"),
                Fragment::Literal(b) => {
                    assert!(
                        b.len() as u64 <= limits.max_literal,
                        "literal over the limit"
                    )
                }
            }
        }
    }
    if !failed {
        if let Some(rest) = framer.finish() {
            messages.push(rest);
        }
    }
    let joined: Vec<u8> = messages.iter().flat_map(|m| m.to_bytes()).collect();
    if failed {
        assert!(
            bytes.starts_with(&joined),
            "framing reordered or invented bytes"
        );
    } else {
        assert_eq!(joined, bytes, "framing lost or invented bytes");
    }

    // Group the messages as the driver records them: an exchange ends with a tagged
    // response, whose tag the command carries.
    let n_messages = messages.len();
    let mut t = Transcript::default();
    let mut messages = messages.into_iter();
    if mode & 1 == 1 {
        t.greeting = messages.next();
    }
    let mut e = Exchange::default();
    for m in messages {
        let tagged = !m.is_untagged() && !m.is_continuation();
        if e.events.is_empty() {
            let tag = if tagged && !m.tag().is_empty() {
                m.tag().to_vec()
            } else {
                b"a1".to_vec()
            };
            let mut line = tag;
            line.extend_from_slice(b" NOOP");
            e.events.push(Event::Client(Message::line(line)));
        }
        e.events.push(Event::Server(m));
        if tagged {
            t.script.push(std::mem::take(&mut e));
        }
    }
    if !e.events.is_empty() {
        t.script.push(e);
    }
    let verdicts = judge_syntax("fuzz", &t);
    assert!(
        verdicts.len() <= n_messages,
        "more than one verdict per message"
    );
    let catalogue = imapconform::catalogue::catalogue();
    for v in &verdicts {
        assert!(matches!(v.kind, Kind::Syntax | Kind::Warning), "{v:?}");
        match v.step {
            None => assert!(t.greeting.is_some(), "{v:?}"),
            Some(i) => assert!(i < t.script.len(), "{v:?}"),
        }
        let rule = v.rule.as_deref().expect("a syntax verdict cites a rule");
        assert!(catalogue.get(rule).is_some(), "unknown rule {rule}");
    }
});
