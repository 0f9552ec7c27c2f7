//! Recorded sessions with real servers (`testdata/*.session`), for tests.
//!
//! Recorded on 2026-11-26 by `testdata/drive.py`, which runs one server process over its
//! stdio mode and sends one command at a time, waiting for the tagged completion (and for
//! `+` before a synchronizing literal). Scripts: `testdata/gen.py` (via `session.py`,
//! 41 commands of RFC 3501) and `testdata/ext.py` (31 commands using extensions).
//! Servers: Dovecot 2.3.19 (`/usr/lib/dovecot/imap -c CONF -o mail_uid=.. ...`, PREAUTH),
//! GNU Mailutils imap4d 3.15 (`preauth stdio; mode inetd;`), Courier-IMAP 5.0.13
//! (`imapd ./Maildir`, mailboxes under `INBOX.`: `PREFIX=INBOX.`), Cyrus 3.6.1
//! (`CYRUS_SERVICE=imap imapd -C CONF -X` with `LOGIN="s0 LOGIN user pass"`), e.g.
//!
//! ```text
//! SESSION=testdata/session.py python3 testdata/drive.py /usr/lib/dovecot/imap -c dovecot.conf \
//!     -o mail_uid=999 -o mail_gid=995 -o mail_location=maildir:/dev/shm/x/mail > dovecot.session
//! ```
//!
//! Format, one item per line, bytes escaped with [`crate::wire::escape`]:
//! `greeting: ...`, `> client bytes`, `< one server message`, `end: ...`. A leading LOGIN
//! exchange is loaded as setup.

use crate::wire::{unescape, End, Event, Exchange, Framer, Message, Transcript};

/// A handmade session: greeted, logged in as `u`, then `script`, ended normally.
pub fn logged_in(script: Vec<Exchange>) -> Transcript {
    Transcript {
        greeting: Some(Message::line("* OK hi")),
        setup: vec![Exchange::from_lines("s1 LOGIN u p", &["s1 OK in"])],
        script,
        end: End::Completed,
    }
}

fn message(bytes: &[u8]) -> Message {
    let mut f = Framer::new(Default::default());
    f.push(bytes);
    f.next_message()
        .expect("framed")
        .expect("a whole message in each fixture line")
}

pub fn load(text: &str) -> Transcript {
    let mut t = Transcript::default();
    let mut cur: Option<Exchange> = None;
    for line in text.lines() {
        if let Some(g) = line.strip_prefix("greeting: ") {
            t.greeting = Some(message(&unescape(g).unwrap()));
        } else if let Some(c) = line.strip_prefix("> ") {
            let b = unescape(c).unwrap();
            let continues = cur.as_ref().is_some_and(|e| e.completion().is_none());
            if !continues {
                t.script.extend(cur.take());
                cur = Some(Exchange::default());
            }
            let m = Message {
                fragments: vec![crate::wire::Fragment::Line(b)],
            };
            cur.as_mut().unwrap().events.push(Event::Client(m));
        } else if let Some(s) = line.strip_prefix("< ") {
            let m = message(&unescape(s).unwrap());
            cur.as_mut().unwrap().events.push(Event::Server(m));
        } else if let Some(e) = line.strip_prefix("end: ") {
            t.end = End::from_line(e).unwrap();
        }
    }
    t.script.extend(cur);
    // A leading LOGIN is the driver's setup, not part of the script.
    while t.script.first().is_some_and(|e| {
        let c = e.command();
        c.first_line()
            .to_ascii_uppercase()
            .split(|&b| b == b' ')
            .nth(1)
            == Some(b"LOGIN")
    }) {
        t.setup.push(t.script.remove(0));
    }
    t
}

pub const DOVECOT: &str = include_str!("testdata/dovecot.session");
pub const MAILUTILS: &str = include_str!("testdata/mailutils.session");
pub const COURIER: &str = include_str!("testdata/courier.session");
pub const DOVECOT_EXT: &str = include_str!("testdata/dovecot-ext.session");
pub const CYRUS: &str = include_str!("testdata/cyrus.session");
pub const CYRUS_EXT: &str = include_str!("testdata/cyrus-ext.session");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::syntax::judge_syntax_in;
    use crate::judge::{judge_differential, judge_end, judge_syntax, Kind};
    use crate::model::Profile;

    #[test]
    fn dovecot_session_has_no_syntax_finding() {
        let t = load(DOVECOT);
        assert_eq!(t.script.len(), 41);
        let v = judge_syntax("dovecot", &t);
        assert!(v.is_empty(), "{v:#?}");
        assert!(judge_end("dovecot", &t).is_empty());
    }

    #[test]
    fn dovecot_extension_session_has_no_syntax_finding() {
        // CONDSTORE/QRESYNC, ESEARCH, LIST-EXTENDED with STATUS, STATUS=SIZE, ID,
        // NAMESPACE, BINARY with literal8, SORT, THREAD, MOVE, UNSELECT.
        let t = load(DOVECOT_EXT);
        assert_eq!(t.script.len(), 31);
        let v = judge_syntax("dovecot", &t);
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn cyrus_sessions_have_no_syntax_finding() {
        for (text, steps) in [(CYRUS, 41), (CYRUS_EXT, 31)] {
            let t = load(text);
            assert_eq!((t.setup.len(), t.script.len()), (1, steps));
            let v = judge_syntax("cyrus", &t);
            assert!(v.is_empty(), "{v:#?}");
            assert!(judge_end("cyrus", &t).is_empty());
        }
    }

    #[test]
    fn courier_session_has_no_syntax_finding() {
        let t = load(COURIER);
        let v = judge_syntax("courier", &t);
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn mailutils_session_has_exactly_its_real_syntax_faults() {
        let t = load(MAILUTILS);
        // a11: 8-bit bytes in a quoted ENVELOPE subject (not a literal); a12, a13: the
        // message/rfc822 part has no SP between its envelope and its body
        // (`... NIL)("TEXT" ...`; RFC 3501 §9 body-type-msg = media-message SP
        // body-fields SP envelope SP body SP body-fld-lines, RFC 2060 §9 body_type_msg);
        // a25: `* 2 EXPUNGED`.
        for (profile, names, ids) in [
            (
                Profile::Rfc2060,
                [
                    "QUOTED_CHAR",
                    "body_type_msg",
                    "body_type_msg",
                    "message_data",
                ],
                [
                    "2060-9-quoted-char",
                    "2060-9-body-type-msg",
                    "2060-9-body-type-msg",
                    "2060-9-message-data",
                ],
            ),
            (
                Profile::Rfc3501,
                [
                    "QUOTED-CHAR",
                    "body-type-msg",
                    "body-type-msg",
                    "message-data",
                ],
                [
                    "2060-9-quoted-char",
                    "2060-9-body-type-msg",
                    "2060-9-body-type-msg",
                    "2060-9-message-data",
                ],
            ),
        ] {
            let v = judge_syntax_in("mailutils", &t, profile);
            let got: Vec<(Kind, Option<usize>, &str, Option<&str>)> = v
                .iter()
                .map(|v| {
                    (
                        v.kind,
                        v.step,
                        v.summary.split('`').nth(1).unwrap_or(""),
                        v.rule.as_deref(),
                    )
                })
                .collect();
            let want: Vec<(Kind, Option<usize>, &str, Option<&str>)> = [10, 11, 12, 24]
                .into_iter()
                .zip(names)
                .zip(ids)
                .map(|((step, name), id)| (Kind::Syntax, Some(step), name, Some(id)))
                .collect();
            assert_eq!(got, want, "{v:#?}");
        }
    }

    #[test]
    fn a_syntax_finding_names_the_innermost_rule_and_the_bytes_there_in_the_profiles_words() {
        let t = load(MAILUTILS);
        // Step 11: BODYSTRUCTURE with a message/rfc822 part whose envelope runs into its body.
        let runs_on = |b: &[u8]| b.windows(9).position(|w| w == b"NIL)(\"TEX");
        let bytes = t
            .script
            .iter()
            .flat_map(|e| e.responses())
            .map(|m| m.to_bytes())
            .find(|b| runs_on(b).is_some() && b.windows(13).any(|w| w == b"BODYSTRUCTURE"))
            .unwrap();
        let at = runs_on(&bytes).unwrap() + 4;
        for (profile, doc, other, rule, sp, def) in [
            (
                Profile::Rfc2060,
                "RFC 2060 §9",
                "RFC 3501",
                "body_type_msg",
                "SPACE",
                "`body_type_msg`: body_type_msg ::= media_message SPACE body_fields SPACE envelope SPACE body SPACE body_fld_lines",
            ),
            (
                Profile::Rfc3501,
                "RFC 3501 §9",
                "RFC 2060",
                "body-type-msg",
                "SP",
                "`body-type-msg`: body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines",
            ),
        ] {
            let v = judge_syntax_in("mailutils", &t, profile);
            let f = v.iter().find(|v| v.step == Some(11)).unwrap();
            assert!(
                f.summary.starts_with(&format!(
                    "response does not match `{rule}` ({doc}): FETCH item `BODYSTRUCTURE`: `{rule}` wants {sp} at byte {at}, after `…"
                )),
                "{}",
                f.summary
            );
            assert!(f.summary.contains("where the server sent `(\"TEXT\" \"PLAIN\""), "{}", f.summary);
            assert_eq!(f.expected, def);
            for v in &v {
                assert!(
                    !v.summary.contains(other) && !v.expected.contains(other),
                    "{profile:?}: {v:#?}"
                );
            }
        }
        // No RFC 3501-only rule name, no RFC 3501 spelling under rfc2060.
        for v in judge_syntax_in("mailutils", &t, Profile::Rfc2060) {
            for name in [
                "body-type-msg",
                "message-data",
                "QUOTED-CHAR",
                "msg-att",
                " SP ",
            ] {
                assert!(
                    !v.summary.contains(name) && !v.expected.contains(name),
                    "{v:#?}"
                );
            }
        }
    }

    #[test]
    fn dovecot_and_mailutils_first_diverge_where_mailutils_differs() {
        let d = load(DOVECOT);
        let m = load(MAILUTILS);
        let v = judge_differential(&[("dovecot", &d), ("mailutils", &m)]);
        assert!(!v.is_empty());
        // One against one: neither is taken as right.
        assert!(
            v.iter().all(|v| v.targets == vec!["dovecot", "mailutils"]
                && v.summary
                    .contains("neither answer is taken as the right one")),
            "{v:#?}"
        );
        // Comparison goes on while only status responses differ and stops at the first
        // difference of outcome or state.
        assert!(v.len() <= 2, "{v:#?}");
    }
}
#[cfg(test)]
mod robustness {
    use super::*;
    use crate::judge::syntax::{check_message, Grammar};
    use crate::judge::{judge_differential, normalize_exchange, NormContext};
    use crate::wire::Fragment;

    /// Mutated real responses (bytes flipped, inserted, deleted, truncated) never make
    /// the judge panic, whatever it concludes.
    #[test]
    fn mutated_responses_never_panic() {
        let runs = [
            load(DOVECOT),
            load(CYRUS_EXT),
            load(MAILUTILS),
            load(COURIER),
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let rounds: usize = std::env::var("IMAPCONFORM_FUZZ_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(8);
        const SPECIAL: &[u8] = b" ()[]{}\"\\\r\n\x00\xff*+0123456789~<>.";
        for t in &runs {
            for e in &t.script {
                for _ in 0..rounds {
                    let mut e2 = e.clone();
                    for ev in &mut e2.events {
                        let Event::Server(m) = ev else { continue };
                        let mut b = m.to_bytes();
                        for _ in 0..1 + rnd(3) {
                            let i = rnd(b.len());
                            match rnd(4) {
                                0 => b.insert(i, SPECIAL[rnd(SPECIAL.len())]),
                                1 if !b.is_empty() => {
                                    b.remove(i);
                                }
                                2 if !b.is_empty() => b[i] = SPECIAL[rnd(SPECIAL.len())],
                                _ => b.truncate(i),
                            }
                        }
                        // Keep the message framed as the framer would (or raw if it can't).
                        let mut f = Framer::new(Default::default());
                        f.push(&b);
                        *m = match f.next_message() {
                            Ok(Some(m)) => m,
                            _ => Message {
                                fragments: vec![Fragment::Line(b)],
                            },
                        };
                        let _ = check_message(m, false, Grammar::default());
                        let _ = check_message(m, true, Grammar::default());
                        let all = Grammar {
                            utf8: true,
                            rev2: true,
                        };
                        let _ = check_message(m, false, all);
                    }
                    let _ = normalize_exchange(&e2, &mut NormContext::new());
                }
            }
        }
        let _ = judge_differential(&[("a", &runs[0]), ("b", &runs[1]), ("c", &runs[2])]);
    }
}

#[cfg(test)]
mod bench {
    use super::*;
    use crate::judge::{judge_syntax, normalize_exchange, NormContext};

    /// Throughput of syntax judging plus normalisation over the fixtures. Measures only
    /// when `IMAPCONFORM_BENCH=1` (run with `cargo test --release --lib judge::fixture::bench
    /// -- --nocapture`); otherwise a single pass.
    #[test]
    fn judged_responses_per_second() {
        let runs = [
            load(DOVECOT),
            load(DOVECOT_EXT),
            load(MAILUTILS),
            load(COURIER),
            load(CYRUS),
            load(CYRUS_EXT),
        ];
        let responses: usize = runs
            .iter()
            .map(|t| {
                1 + t
                    .script
                    .iter()
                    .map(|e| e.responses().count())
                    .sum::<usize>()
            })
            .sum();
        let bytes: usize = runs
            .iter()
            .flat_map(|t| t.script.iter())
            .flat_map(|e| e.responses())
            .map(Message::len)
            .sum();
        let rounds = if std::env::var("IMAPCONFORM_BENCH").is_ok() {
            2000
        } else {
            1
        };
        let start = std::time::Instant::now();
        let mut findings = 0;
        for _ in 0..rounds {
            for (i, t) in runs.iter().enumerate() {
                findings += judge_syntax("t", t).len();
                let mut ctx = NormContext::new();
                for e in &t.script {
                    findings += normalize_exchange(e, &mut ctx).len() * (i / 8);
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = (responses * rounds) as f64;
        eprintln!(
            "{responses} responses ({bytes} bytes) x {rounds}: {:.0} responses/s, {:.1} MB/s, {findings} findings",
            n / secs,
            (bytes * rounds) as f64 / secs / 1e6
        );
    }
}
