//! Concurrency scenarios against the real lab (Dovecot, Cyrus, Courier, GNU Mailutils,
//! started by `imapconform lab up`). These tests fail, never skip, when a server is missing.

use std::process::Command;

use imapconform::case::race::RaceCase;
use imapconform::drive::race::{run_race, RaceTranscript};
use imapconform::drive::DriveOptions;
use imapconform::gen::race::{race, RaceScript, RaceStep, Side};
use imapconform::gen::GenConfig;
use imapconform::judge::race::judge_race;
use imapconform::judge::Kind;
use imapconform::model::Profile;
use imapconform::report::read_findings;
use imapconform::targets::{Target, TargetsFile};
use imapconform::wire::{End, Message};

mod common;

use common::{lab_lock, lab_targets, BIN};
const SERVERS: [&str; 4] = ["courier", "cyrus", "dovecot", "mailutils"];

fn server(name: &str) -> Target {
    let f = TargetsFile::load(lab_targets()).expect("the lab's targets file loads");
    f.targets
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("the lab serves {name}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn step(side: Side, line: &str) -> RaceStep {
    RaceStep {
        side,
        command: Message::line(line),
        overlap: false,
    }
}

/// A appends three messages and selects; B selects, marks message 2 `\Deleted` and
/// expunges it while A has no command in progress; then A's FETCH runs while B stores
/// (overlapped), both poll and fetch, and A idles (RFC 2177) while B stores again.
fn scripted() -> RaceScript {
    use Side::{A, B};
    let mut steps = vec![step(A, "a1 CREATE INBOX.race")];
    for (k, subject) in ["one", "two", "three"].iter().enumerate() {
        let body = format!(
            "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n\
             Date: Fri, 27 Nov 2026 10:0{k}:00 +0000\r\nSubject: {subject}\r\n\
             Message-ID: <{subject}@race.example>\r\n\r\n{subject}\r\n"
        );
        steps.push(RaceStep {
            side: A,
            command: Message {
                fragments: vec![
                    imapconform::wire::Fragment::Line(
                        format!("a{} APPEND INBOX.race {{{}}}\r\n", k + 2, body.len()).into_bytes(),
                    ),
                    imapconform::wire::Fragment::Literal(body.into_bytes()),
                    imapconform::wire::Fragment::Line(b"\r\n".to_vec()),
                ],
            },
            overlap: false,
        });
    }
    steps.extend([
        step(A, "a5 SELECT INBOX.race"),
        step(A, "a6 FETCH 1:3 (UID FLAGS)"),
        step(B, "b1 SELECT INBOX.race"),
        step(B, "b2 FETCH 1:3 (UID FLAGS)"),
        step(B, "b3 STORE 2 +FLAGS.SILENT (\\Deleted)"),
        step(B, "b4 EXPUNGE"),
        step(A, "a7 FETCH 1:3 (UID)"),
        step(A, "a8 NOOP"),
        RaceStep {
            overlap: true,
            ..step(A, "a9 FETCH 1:* (UID FLAGS BODY.PEEK[])")
        },
        step(B, "b5 STORE 1 +FLAGS (\\Flagged)"),
        step(A, "a10 NOOP"),
        step(B, "b6 NOOP"),
        step(A, "a11 FETCH 1:* (UID FLAGS)"),
        step(B, "b7 FETCH 1:* (UID FLAGS)"),
        RaceStep {
            overlap: true,
            ..step(A, "a12 IDLE")
        },
        step(B, "b8 STORE 2 +FLAGS (\\Seen)"),
        step(A, "a13 LOGOUT"),
        step(B, "b9 LOGOUT"),
    ]);
    RaceScript {
        seed: 0,
        index: 0,
        mailbox: "INBOX.race".into(),
        steps,
    }
}

fn run(target: &Target, script: &RaceScript) -> RaceTranscript {
    let creds = target.pool().into_iter().next();
    runtime()
        .block_on(run_race(
            target,
            creds.as_ref(),
            script,
            &DriveOptions::default(),
        ))
        .unwrap_or_else(|e| panic!("{}: {e}", target.name))
}

/// A command's first line as generated: the driver may have made a literal
/// non-synchronizing (`{n+}`, where the server advertises LITERAL+), and a server may
/// refuse a command before its literal is sent.
fn first_line(m: &Message) -> String {
    String::from_utf8_lossy(m.first_line()).replace("+}", "}")
}

/// The UIDs a FETCH step showed, in order.
fn uids(t: &RaceTranscript, step: usize) -> Vec<u32> {
    t.steps[step]
        .exchange
        .responses()
        .filter_map(|m| {
            let line = String::from_utf8_lossy(m.first_line()).into_owned();
            let at = line.find("UID ")?;
            line[at + 4..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn a_scripted_race_runs_on_every_server_and_both_connections_end_with_the_same_numbering() {
    let _g = lab_lock();
    let script = scripted();
    for name in SERVERS {
        let t = run(&server(name), &script);
        assert_eq!(t.end, End::Completed, "{name}");
        assert_eq!(t.steps.len(), script.steps.len(), "{name}");
        for (sent, got) in script.steps.iter().zip(&t.steps) {
            assert_eq!(got.side, sent.side, "{name}");
            assert_eq!(
                first_line(&got.exchange.command()),
                first_line(&sent.command),
                "{name}"
            );
            assert!(
                got.exchange.completion().is_some(),
                "{name}: every step completed"
            );
        }
        // The overlapped FETCH's answer was read after B's STORE completed.
        assert!(t.steps[12].overlap && !t.steps[13].overlap, "{name}");
        // RFC 2177: every lab server advertises IDLE; A idled while B stored, then said
        // DONE, and the server completed the IDLE.
        let idle = &t.steps[18].exchange;
        assert!(t.steps[18].overlap, "{name}");
        assert!(
            idle.responses().any(|m| m.is_continuation()),
            "{name}: IDLE got a continuation request"
        );
        assert!(
            idle.events.iter().any(
                |e| matches!(e, imapconform::wire::Event::Client(m) if m.to_bytes() == b"DONE\r\n")
            ),
            "{name}: DONE was sent"
        );
        assert_eq!(idle.status().as_deref(), Some("OK"), "{name}");
        // After both polled, both connections number the same messages the same way.
        // Not Mailutils: it never tells A of B's EXPUNGE (it does not notice the change,
        // and RFC 2060 §5.2 requires size updates only for a change "observed").
        let a = uids(&t, 16);
        let b = uids(&t, 17);
        assert_eq!(b, [1, 3], "{name}: B expunged UID 2");
        if name != "mailutils" {
            assert_eq!(a, b, "{name}: A and B see the same UIDs in the same order");
        }
        let (verdicts, coverage) = judge_race(name, &t, Profile::Rfc2060);
        assert_eq!(coverage.steps, script.steps.len());
        let numbering: Vec<_> = verdicts
            .iter()
            .filter(|v| {
                v.rule.as_deref().is_some_and(|r| {
                    r == "2060-7.4.1-immediate-decrement" || r == "2060-7.4.1-removed"
                })
            })
            .collect();
        assert!(
            numbering.is_empty(),
            "{name}: no server here renumbers without EXPUNGE: {numbering:#?}"
        );
        if name != "mailutils" {
            // Mailutils writes `* n EXPUNGED`, which the judge cannot read.
            assert_eq!(coverage.judged, script.steps.len(), "{name}: {coverage:?}");
        }
    }
}

#[test]
fn a_race_campaign_writes_cases_that_read_back_and_judge_the_same() {
    let _g = lab_lock();
    let out = std::env::temp_dir().join(format!("imapconform-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(BIN)
        .arg("race")
        .arg("--targets")
        .arg(lab_targets())
        .args(["--seed", "5", "--scenarios", "3", "--out"])
        .arg(&out)
        .output()
        .expect("run imapconform race");
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "race ran without setup errors: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let findings = read_findings(&out.join("findings.jsonl")).expect("findings.jsonl reads");
    for index in 0..3u64 {
        let script = race(5, index, &GenConfig::default(), Profile::Rfc2060);
        for name in SERVERS {
            let path = out.join(format!("cases/race-{index}-{name}.imap"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let case = RaceCase::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(case.get("target"), Some(name));
            // The same seed sends the same bytes: the case holds the generated commands.
            let sent: Vec<String> = case
                .transcript
                .steps
                .iter()
                .map(|r| first_line(&r.exchange.command()))
                .collect();
            let want: Vec<String> = script
                .steps
                .iter()
                .take(sent.len())
                .map(|s| first_line(&s.command))
                .collect();
            assert_eq!(sent, want, "{}", path.display());
            // Judging the case file again finds what the campaign found.
            let (again, _) = judge_race(name, &case.transcript, Profile::Rfc2060);
            let recorded = findings
                .iter()
                .filter(|f| f.case == format!("cases/race-{index}-{name}.imap"))
                .filter(|f| f.kind == Kind::Violation || f.kind == Kind::Warning)
                .count();
            assert_eq!(again.len(), recorded, "{}", path.display());
        }
    }
    // The distinct findings were each run again before being reported (issue 5 §3), and
    // the reports were written.
    let results = imapconform::report::results::Results::read(&out).expect("results.json");
    assert_eq!(results.run, "race");
    assert_eq!(results.findings as usize, findings.len());
    for d in &results.distinct {
        assert_ne!(
            d.verification,
            imapconform::report::distinct::Verification::Unverified,
            "{} reported without being run again",
            d.id
        );
    }
    for file in ["report.html", "report.md", "junit.xml"] {
        assert!(out.join(file).exists(), "{file}");
    }
    assert!(
        !out.join("verify").exists(),
        "the verification runs are cleaned up"
    );
    let _ = std::fs::remove_dir_all(&out);
}
