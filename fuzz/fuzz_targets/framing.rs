//! Response framing and the strict syntax judge on arbitrary server bytes: the framer
//! never loses or invents a byte, and judging never panics.
#![no_main]

use imapconform::wire::{Event, Exchange, FrameLimits, Framer, Message, Transcript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a chunk size, so framing is exercised across split points.
    let (chunk, bytes) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c).max(1), rest),
        None => return,
    };
    let limits = FrameLimits {
        max_line: 4096,
        max_literal: 1 << 16,
        max_message: 1 << 17,
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
    if !failed {
        if let Some(rest) = framer.finish() {
            messages.push(rest);
        }
        let joined: Vec<u8> = messages.iter().flat_map(|m| m.to_bytes()).collect();
        assert_eq!(joined, bytes, "framing lost or invented bytes");
    }
    let mut t = Transcript::default();
    let mut e = Exchange::default();
    e.events.push(Event::Client(Message::line("a1 NOOP")));
    e.events.extend(messages.into_iter().map(Event::Server));
    t.script.push(e);
    let _ = imapconform::judge::judge_syntax("fuzz", &t);
});
