//! Replaying a case: re-sending its script to targets and showing the answers side by
//! side.

use crate::campaign::drive_target;
use crate::case::Case;
use crate::drive::{capabilities_in, to_sync, DriveError, DriveOptions};
use crate::targets::Target;
use crate::wire::{escape, Event, Exchange, Fragment, Message, Transcript};

/// The commands of a recorded script, as the generator made them.
///
/// A command is every client fragment of its exchange: its lines, its literals, and its
/// answers to continuation requests (a line after a complete line, RFC 2060 §6.2.1), which
/// the driver of the replay sends again only where the server asks again (a `*` the driver
/// sent on its own when nothing was left becomes an explicit cancel, which it is). Where
/// the recording server advertised LITERAL+ the driver had sent literals
/// non-synchronizing; they are turned back into synchronizing literals, and the driver of
/// the replay decides again per server.
pub fn script_commands(t: &Transcript) -> Vec<Message> {
    commands_of(t, &t.script)
}

/// The prelude of a recorded session: the setup's commands tagged as the generator tags a
/// prelude ([`crate::gen::prelude::is_prelude_tag`]), before the login.
pub fn prelude_commands(t: &Transcript) -> Vec<Message> {
    let prelude: Vec<Exchange> = t
        .setup
        .iter()
        .take_while(|e| crate::gen::prelude::is_prelude_tag(e.command().tag()))
        .cloned()
        .collect();
    commands_of(t, &prelude)
}

fn commands_of(t: &Transcript, exchanges: &[Exchange]) -> Vec<Message> {
    let rewrote = used_literal_plus(t);
    exchanges
        .iter()
        .filter(|e| e.events.iter().any(|ev| matches!(ev, Event::Client(_))))
        .map(|e| Message {
            fragments: e
                .command()
                .fragments
                .into_iter()
                .map(|f| match f {
                    Fragment::Line(l) if rewrote => Fragment::Line(to_sync(&l)),
                    f => f,
                })
                .collect(),
        })
        .collect()
}

/// Whether the server advertised LITERAL+ before the script started (and so the driver
/// used it).
fn used_literal_plus(t: &Transcript) -> bool {
    let mut caps: Option<Vec<String>> = None;
    let setup = t.setup.iter().flat_map(|e| e.responses());
    for m in t.greeting.iter().chain(setup) {
        if let Some(c) = capabilities_in(m.first_line()) {
            caps = Some(c);
        }
    }
    caps.is_some_and(|c| c.iter().any(|c| c.eq_ignore_ascii_case("LITERAL+")))
}

/// Replays a case against each target (first pool user, reset first).
pub async fn replay(
    case: &Case,
    targets: &[Target],
    opts: &DriveOptions,
) -> Vec<(String, Result<Transcript, DriveError>)> {
    let script = script_commands(&case.transcript);
    let mut opts = opts.clone();
    opts.prelude = prelude_commands(&case.transcript);
    let mut out = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in targets.iter().enumerate() {
        let (t, script, opts) = (t.clone(), script.clone(), opts.clone());
        set.spawn(async move {
            let creds = t.pool().into_iter().next();
            let r = drive_target(&t, creds.as_ref(), &script, &opts).await;
            (i, t.name.clone(), r)
        });
    }
    while let Some(r) = set.join_next().await {
        let (i, name, r) = r.expect("replay task");
        out.push((i, name, r));
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, n, r)| (n, r)).collect()
}

/// Renders the answers of several targets to the same script side by side: one block per
/// command, one column per target, one row per server message (escaped, cut to width).
pub fn side_by_side(script: &[Message], runs: &[(&str, &Transcript)], width: usize) -> String {
    let n = runs.len().max(1);
    let col = (width.saturating_sub(3 * (n - 1)) / n).max(12);
    let mut out = String::new();
    let row = |cells: &[String]| -> String {
        let padded: Vec<String> = cells.iter().map(|c| pad(c, col)).collect();
        padded.join(" | ").trim_end().to_string() + "\n"
    };
    out += &row(&runs.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>());
    out += &row(&runs.iter().map(|_| "-".repeat(col)).collect::<Vec<_>>());
    for (i, cmd) in script.iter().enumerate() {
        out += &format!(
            "C: {}\n",
            cut(&escape(cmd.first_line()), width.saturating_sub(3))
        );
        let answers: Vec<Vec<String>> = runs
            .iter()
            .map(|(_, t)| match t.script.get(i) {
                Some(e) => e.responses().map(|m| escape(&m.to_bytes())).collect(),
                None => vec!["(not sent)".to_string()],
            })
            .collect();
        let rows = answers.iter().map(Vec::len).max().unwrap_or(0);
        for r in 0..rows {
            let cells: Vec<String> = answers
                .iter()
                .map(|a| a.get(r).map(|s| format!("S: {s}")).unwrap_or_default())
                .collect();
            out += &row(&cells);
        }
    }
    let ends: Vec<String> = runs
        .iter()
        .map(|(_, t)| format!("end: {}", t.end.to_line()))
        .collect();
    out += &row(&ends);
    out
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(width.saturating_sub(1)).collect();
        c.push('~');
        c
    }
}

fn pad(s: &str, width: usize) -> String {
    let c = cut(s, width);
    let len = c.chars().count();
    c + &" ".repeat(width - len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Exchange;

    #[test]
    fn commands_come_back_with_their_answers_and_without_literal_plus() {
        let t = Transcript {
            greeting: Some(Message::line("* OK [CAPABILITY IMAP4rev1 LITERAL+] hi")),
            script: vec![
                Exchange {
                    events: vec![
                        Event::Client(Message {
                            fragments: vec![
                                Fragment::Line(b"a1 APPEND x {3+}\r\n".to_vec()),
                                Fragment::Literal(b"abc".to_vec()),
                                Fragment::Line(b"\r\n".to_vec()),
                            ],
                        }),
                        Event::Server(Message::line("a1 OK")),
                    ],
                },
                Exchange {
                    events: vec![
                        Event::Client(Message::line("a2 AUTHENTICATE PLAIN")),
                        Event::Server(Message::line("+ ")),
                        Event::Client(Message::line("*")),
                        Event::Server(Message::line("a2 BAD cancelled")),
                    ],
                },
            ],
            ..Transcript::default()
        };
        let cmds = script_commands(&t);
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].to_bytes(), b"a1 APPEND x {3}\r\nabc\r\n");
        assert_eq!(cmds[0].fragments.len(), 3);
        // The answer to the continuation request is part of the command: a replay sends
        // it (a cancel) only if the server asks again (RFC 2060 §6.2.1).
        assert_eq!(cmds[1].to_bytes(), b"a2 AUTHENTICATE PLAIN\r\n*\r\n");
        assert_eq!(cmds[1].fragments.len(), 2);
    }

    #[test]
    fn side_by_side_has_a_column_per_target() {
        let mk = |ans: &str| Transcript {
            script: vec![Exchange {
                events: vec![
                    Event::Client(Message::line("a1 NOOP")),
                    Event::Server(Message::line(ans)),
                ],
            }],
            ..Transcript::default()
        };
        let (a, b) = (mk("a1 OK fine"), mk("a1 BAD no"));
        let text = side_by_side(&[Message::line("a1 NOOP")], &[("x", &a), ("y", &b)], 60);
        let line = text.lines().find(|l| l.contains("a1 OK")).unwrap();
        assert!(line.contains("| S: a1 BAD no"), "{text}");
        assert!(text.starts_with("x "), "{text}");
    }
}
