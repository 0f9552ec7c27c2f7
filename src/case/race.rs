//! The race case file: a concurrency scenario with one target, both connections in the
//! order their bytes crossed the wire, in the records of a `.imap` case file.
//!
//! ```text
//! # imapconform race v1
//! # seed: 7
//! # scenario: 3
//! # target: dovecot
//! # end: completed
//! == setup A ==
//! S: * OK Dovecot ready.
//! C: s1 LOGIN u1 pw-u1
//! S: s1 OK Logged in
//! == setup B ==
//! ...
//! == step 12 A overlapped ==
//! C: a7 FETCH 1:* (UID FLAGS BODY.PEEK[])
//! S: * 1 FETCH (UID 4 FLAGS () BODY[] {31}
//! ...
//! == step 13 B ==
//! C: b6 EXPUNGE
//! S: * 2 EXPUNGE
//! S: b6 OK Expunge completed.
//! == idle A ==
//! S: * 4 EXISTS
//! == step 14 A ==
//! ...
//! ```
//!
//! A step marked `overlapped` was sent, then the next step ran to its completion, and then
//! its own answer was read. An `idle` block holds what the server sent a connection while
//! no command was in progress on it, before that connection's next step.

use std::fmt::Write as _;

use super::{write_exchange, write_message, Case, CaseError};
use crate::drive::race::{RaceRecord, RaceTranscript};
use crate::gen::race::Side;
use crate::wire::{End, Exchange, Message, Transcript};

/// The first line of every race case file.
pub const RACE_MAGIC: &str = "# imapconform race v1";

/// A scenario with one target and the header that says where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceCase {
    pub header: Vec<(String, String)>,
    pub transcript: RaceTranscript,
}

impl RaceCase {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{RACE_MAGIC}");
        for (k, v) in &self.header {
            if k != "end" {
                let _ = writeln!(out, "# {k}: {}", v.replace(['\r', '\n'], " "));
            }
        }
        let _ = writeln!(out, "# end: {}", self.transcript.end.to_line());
        for side in [Side::A, Side::B] {
            let _ = writeln!(out, "== setup {} ==", side.letter());
            let t = &self.transcript.setup[side.index()];
            if let Some(g) = &t.greeting {
                write_message(&mut out, 'S', g, true);
            }
            for e in &t.setup {
                write_exchange(&mut out, e);
            }
        }
        for (i, r) in self.transcript.steps.iter().enumerate() {
            let side = r.side.letter();
            if !r.idle.is_empty() {
                let _ = writeln!(out, "== idle {side} ==");
                let e = Exchange {
                    events: r
                        .idle
                        .iter()
                        .map(|m| crate::wire::Event::Server(m.clone()))
                        .collect(),
                };
                write_exchange(&mut out, &e);
            }
            let mark = if r.overlap { " overlapped" } else { "" };
            let _ = writeln!(out, "== step {} {side}{mark} ==", i + 1);
            write_exchange(&mut out, &r.exchange);
        }
        out
    }

    pub fn parse(text: &str) -> Result<RaceCase, CaseError> {
        let mut lines = text.split('\n').enumerate();
        match lines.next() {
            Some((_, l)) if l.trim_end_matches('\r') == RACE_MAGIC => {}
            _ => {
                return Err(CaseError {
                    line: 1,
                    message: format!("not a race case file: the first line must be `{RACE_MAGIC}`"),
                })
            }
        }
        let mut header = Vec::new();
        let mut end = End::Completed;
        let mut setup: [Transcript; 2] = Default::default();
        let mut steps: Vec<RaceRecord> = Vec::new();
        let mut idle: (Option<Side>, Vec<Message>) = (None, Vec::new());
        let mut block: Option<(usize, Block)> = None;
        let mut body = String::new();
        let finish = |block: Option<(usize, Block)>,
                      body: &mut String,
                      setup: &mut [Transcript; 2],
                      steps: &mut Vec<RaceRecord>,
                      idle: &mut (Option<Side>, Vec<Message>)|
         -> Result<(), CaseError> {
            let Some((line, b)) = block else {
                return Ok(());
            };
            let text = std::mem::take(body);
            let at = |e: CaseError| CaseError {
                line: line + e.line.saturating_sub(2),
                message: e.message,
            };
            match b {
                Block::Setup(side) => {
                    let c = Case::parse(&format!("{}\n{text}", super::MAGIC)).map_err(at)?;
                    setup[side.index()] = c.transcript;
                }
                Block::Idle(side) => {
                    idle.0 = Some(side);
                    let c =
                        Case::parse(&format!("{}\n== script ==\nC: idle\n{text}", super::MAGIC))
                            .map_err(at)?;
                    let e = c.transcript.script.into_iter().next().unwrap_or_default();
                    idle.1.extend(e.responses().cloned());
                }
                Block::Step(side, overlap) => {
                    let c = Case::parse(&format!("{}\n== script ==\n{text}", super::MAGIC))
                        .map_err(at)?;
                    let mut script = c.transcript.script;
                    if script.len() != 1 {
                        return Err(CaseError {
                            line,
                            message: format!("a step holds one command, found {}", script.len()),
                        });
                    }
                    if !idle.1.is_empty() && idle.0 != Some(side) {
                        return Err(CaseError {
                            line,
                            message:
                                "an idle block must come just before a step of the same connection"
                                    .into(),
                        });
                    }
                    steps.push(RaceRecord {
                        side,
                        idle: std::mem::take(&mut idle.1),
                        exchange: script.remove(0),
                        overlap,
                    });
                }
            }
            Ok(())
        };
        for (i, raw) in lines {
            let n = i + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(h) = line.strip_prefix('#') {
                if block.is_none() {
                    let (k, v) = h.trim_start().split_once(':').ok_or_else(|| CaseError {
                        line: n,
                        message: "header line must be `# key: value`".into(),
                    })?;
                    let (k, v) = (k.trim().to_string(), v.trim().to_string());
                    if k == "end" {
                        end = End::from_line(&v).ok_or_else(|| CaseError {
                            line: n,
                            message: format!("unknown end {v:?}"),
                        })?;
                    } else {
                        header.push((k, v));
                    }
                }
                continue;
            }
            if let Some(title) = line.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")) {
                finish(block.take(), &mut body, &mut setup, &mut steps, &mut idle)?;
                block = Some((n, Block::parse(title).ok_or_else(|| CaseError {
                    line: n,
                    message: format!(
                        "unknown block `== {title} ==` (setup A|B, idle A|B, step N A|B [overlapped])"
                    ),
                })?));
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if block.is_none() {
                return Err(CaseError {
                    line: n,
                    message: "a record before the first `== ... ==` block".into(),
                });
            }
            body.push_str(line);
            body.push('\n');
        }
        finish(block.take(), &mut body, &mut setup, &mut steps, &mut idle)?;
        Ok(RaceCase {
            header,
            transcript: RaceTranscript { setup, steps, end },
        })
    }
}

/// What a `== ... ==` block holds.
#[derive(Clone, Copy, Debug)]
enum Block {
    Setup(Side),
    Idle(Side),
    Step(Side, bool),
}

impl Block {
    fn parse(title: &str) -> Option<Block> {
        let words: Vec<&str> = title.split(' ').collect();
        let side = |w: &str| {
            let mut c = w.chars();
            let s = Side::from_letter(c.next()?)?;
            c.next().is_none().then_some(s)
        };
        match words.as_slice() {
            ["setup", s] => Some(Block::Setup(side(s)?)),
            ["idle", s] => Some(Block::Idle(side(s)?)),
            ["step", k, s] if k.parse::<usize>().is_ok() => Some(Block::Step(side(s)?, false)),
            ["step", k, s, "overlapped"] if k.parse::<usize>().is_ok() => {
                Some(Block::Step(side(s)?, true))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RaceCase {
        let greet = |name: &str| Transcript {
            greeting: Some(Message::line(format!("* OK {name} ready"))),
            setup: vec![Exchange::from_lines("s1 LOGIN u1 pw", &["s1 OK done"])],
            script: vec![],
            end: End::Completed,
        };
        let mut append = CommandText::new("b1");
        append
            .raw("APPEND INBOX.race ")
            .literal(b"Subject: x\r\n\r\nbody\r\n");
        let append = append.finish();
        let append_exchange = Exchange {
            events: vec![
                crate::wire::Event::Client(Message {
                    fragments: vec![append.fragments[0].clone()],
                }),
                crate::wire::Event::Server(Message::line("+ go")),
                crate::wire::Event::Client(Message {
                    fragments: append.fragments[1..].to_vec(),
                }),
                crate::wire::Event::Server(Message::line("b1 OK appended")),
            ],
        };
        RaceCase {
            header: vec![("seed".into(), "7".into()), ("target".into(), "x".into())],
            transcript: RaceTranscript {
                setup: [greet("A"), greet("B")],
                steps: vec![
                    RaceRecord {
                        side: Side::A,
                        idle: vec![],
                        exchange: Exchange::from_lines(
                            "a1 FETCH 1:* (UID)",
                            &["* 1 FETCH (UID 3)", "a1 OK"],
                        ),
                        overlap: true,
                    },
                    RaceRecord {
                        side: Side::B,
                        idle: vec![Message::line("* 2 EXISTS")],
                        exchange: append_exchange,
                        overlap: false,
                    },
                ],
                end: End::Timeout("no complete answer within 5000 ms".into()),
            },
        }
    }

    use crate::gen::syntax::CommandText;

    #[test]
    fn a_race_case_reads_back_as_it_was_written() {
        let c = sample();
        let text = c.to_text();
        assert!(text.contains("== step 1 A overlapped =="), "{text}");
        assert!(
            text.contains("== idle B ==\nS: * 2 EXISTS\n== step 2 B =="),
            "{text}"
        );
        assert_eq!(RaceCase::parse(&text).unwrap(), c);
    }

    #[test]
    fn a_broken_race_case_names_its_line() {
        let text = sample().to_text().replace("== idle B ==", "== nap B ==");
        let e = RaceCase::parse(&text).unwrap_err();
        assert!(e.message.contains("unknown block"), "{e}");
        assert!(text.lines().nth(e.line - 1).unwrap().contains("nap"), "{e}");
        let e = RaceCase::parse("# imapconform case v1\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
