//! Minimisation and verification against the real lab (issue 5 §2, §3, §7).
//!
//! - `imapconform minimize` shrinks a recorded Courier session to the one command that
//!   shows its finding (RENAME of a mailbox that does not exist answered OK, where RFC
//!   2060 §6.3.5 says "It is an error to attempt to rename from a mailbox name that does
//!   not exist"), replayed on Courier from fresh state.
//! - `imapconform run` minimises and verifies on its own: every distinct finding is
//!   replayed (verified or flaky, never silently dropped) and minimal cases are written
//!   next to the originals.

mod common;

use std::path::Path;
use std::process::Command;

use common::{lab_lock, lab_targets, BIN};
use imapconform::case::Case;
use imapconform::replay::script_commands;
use imapconform::report::distinct::Verification;
use imapconform::report::read_findings;
use imapconform::report::results::Results;
use imapconform::wire::{Event, Exchange, Fragment, Message, Transcript};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("imapconform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A script-only case for Courier: the commands, no answers (what `replay` reads), and
/// the mutation labels (`STEP:OPERATOR`, as a campaign writes them).
fn script_case(commands: Vec<Message>, mutations: Option<&str>) -> Case {
    let mut header = vec![
        ("seed".to_string(), "0".to_string()),
        ("session".into(), "7".into()),
        ("target".into(), "courier".into()),
    ];
    if let Some(m) = mutations {
        header.push(("mutations".into(), m.into()));
    }
    Case {
        header,
        transcript: Transcript {
            script: commands
                .into_iter()
                .map(|m| Exchange {
                    events: vec![Event::Client(m)],
                })
                .collect(),
            ..Transcript::default()
        },
    }
}

/// Writes `case` into `dir`, replays it on Courier with `imapconform replay --save`, and
/// returns the recorded case file.
fn record_on_courier(dir: &Path, targets: &str, case: &Case) -> std::path::PathBuf {
    let script = dir.join("script.imap");
    std::fs::write(&script, case.to_text()).unwrap();
    let saved = dir.join("saved");
    let (code, out, err) = run(&[
        "replay",
        script.to_str().unwrap(),
        "--targets",
        targets,
        "--target",
        "courier",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "replay: {out}\n{err}");
    let recorded = saved.join("script-replay-courier.imap");
    assert!(recorded.exists(), "{}", recorded.display());
    recorded
}

fn append(tag: &str, mailbox: &str) -> Message {
    let body = b"Subject: t\r\n\r\nhi\r\n".to_vec();
    Message {
        fragments: vec![
            Fragment::Line(format!("{tag} APPEND {mailbox} {{{}}}\r\n", body.len()).into_bytes()),
            Fragment::Literal(body),
            Fragment::Line(b"\r\n".to_vec()),
        ],
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run imapconform");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The id of the finding `minimize` lists (when a case shows several) for `command`.
fn listed_id(listing: &str, command: &str) -> String {
    listing
        .lines()
        .find(|l| l.contains(command) && l.trim_start().starts_with('D'))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no finding for {command} is listed:\n{listing}"))
        .to_string()
}

#[test]
fn minimize_shrinks_a_courier_session_to_the_command_that_shows_the_finding() {
    let targets = lab_targets();
    let _turn = lab_lock();
    let dir = temp_dir("minimize-lab");
    // Twelve commands around the one that matters.
    let cmds = vec![
        Message::line("a1 NOOP"),
        Message::line("a2 CREATE keep"),
        Message::line("a3 LIST \"\" *"),
        append("a4", "INBOX"),
        Message::line("a5 SELECT INBOX"),
        Message::line("a6 FETCH 1 (FLAGS UID RFC822.SIZE)"),
        Message::line("a7 RENAME INBOX.nosuch7 INBOX.other7"),
        Message::line("a8 STORE 1 +FLAGS (\\Seen)"),
        Message::line("a9 SEARCH ALL"),
        Message::line("a10 STATUS keep (MESSAGES)"),
        Message::line("a11 CHECK"),
        Message::line("a12 LOGOUT"),
    ];
    // Step 6 renames a mailbox that does not exist.
    let t = targets.to_str().unwrap();
    let recorded = record_on_courier(&dir, t, &script_case(cmds, None));
    let saved = recorded.parent().unwrap().to_path_buf();

    let (code, out, err) = run(&[
        "minimize",
        recorded.to_str().unwrap(),
        "--targets",
        t,
        "--finding",
        "D000000000000",
    ]);
    assert_eq!(
        code, 2,
        "an id that names nothing is refused:\n{out}\n{err}"
    );
    assert!(err.contains("shows no finding with id"), "{err}");

    // Courier also offers a capability name RFC 2060 §7.2.1 forbids (a finding of the
    // setup, which minimises to LOGOUT alone): the RENAME finding is chosen by its id,
    // as the listing of the case's findings gives it.
    let (code, out, err) = run(&["minimize", recorded.to_str().unwrap(), "--targets", t]);
    assert_eq!(code, 0, "minimize: {out}\n{err}");
    let rename = listed_id(&err, "RENAME");
    for p in std::fs::read_dir(&saved).unwrap().filter_map(|e| e.ok()) {
        if p.path().to_string_lossy().ends_with(".min.imap") {
            std::fs::remove_file(p.path()).unwrap();
        }
    }
    let (code, out, err) = run(&[
        "minimize",
        recorded.to_str().unwrap(),
        "--targets",
        t,
        "--finding",
        &rename,
    ]);
    assert_eq!(code, 0, "minimize: {out}\n{err}");
    assert!(out.contains("12 → 2 commands"), "{out}\n{err}");
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains("RENAME"), "{out}");
    // The minimal case is next to the original, and holds the FETCH and the LOGOUT.
    let min: Vec<_> = std::fs::read_dir(&saved)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".min.imap"))
        .collect();
    assert_eq!(min.len(), 1, "{min:?}");
    let case = Case::parse(&std::fs::read_to_string(&min[0]).unwrap()).unwrap();
    assert_eq!(case.get("target"), Some("courier"));
    assert!(case.get("minimized-from").is_some());
    let cmds: Vec<String> = script_commands(&case.transcript)
        .iter()
        .map(|m| String::from_utf8_lossy(m.first_line()).into_owned())
        .collect();
    assert_eq!(
        cmds,
        ["a7 RENAME INBOX.nosuch7 INBOX.other7", "a12 LOGOUT"],
        "{out}"
    );
    // And its recorded answer is Courier's OK.
    let fetch = &case.transcript.script[0];
    let tagged = fetch
        .responses()
        .map(|m| String::from_utf8_lossy(m.first_line()).into_owned())
        .find(|l| l.starts_with("a7 "))
        .expect("a tagged answer");
    assert!(tagged.starts_with("a7 OK"), "{tagged}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_campaign_verifies_every_distinct_finding_and_minimises_them() {
    let targets = lab_targets();
    let _turn = lab_lock();
    let dir = temp_dir("run-minimize");
    let out_dir = dir.join("out");
    let (code, out, err) = run(&[
        "run",
        "--targets",
        targets.to_str().unwrap(),
        "--target",
        "dovecot",
        "--target",
        "courier",
        "--seed",
        "3",
        "--sessions",
        "6",
        "--quiet",
        "--minimize-time",
        "40s",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "run: {out}\n{err}");
    assert!(out.contains("distinct findings:"), "{out}");
    let results = Results::read(&out_dir).unwrap();
    let findings = read_findings(&out_dir.join("findings.jsonl")).unwrap();
    // The JSONL keeps everything; the distinct findings account for every line.
    assert_eq!(results.findings as usize, findings.len());
    assert_eq!(
        results.distinct.iter().map(|d| d.count).sum::<u64>() as usize,
        findings.len()
    );
    assert!(
        !results.distinct.is_empty(),
        "seed 3 finds divergences between Courier and Dovecot"
    );
    for d in &results.distinct {
        assert_ne!(
            d.verification,
            Verification::Unverified,
            "{} was reported without being replayed",
            d.id
        );
    }
    let minimised: Vec<_> = results
        .distinct
        .iter()
        .filter_map(|d| d.minimal.as_ref())
        .collect();
    assert!(!minimised.is_empty(), "{out}\n{err}");
    for m in &minimised {
        assert!(m.commands_after <= m.commands_before, "{m:?}");
        assert!(m.bytes_after <= m.bytes_before, "{m:?}");
        let path = out_dir.join(&m.case);
        assert!(Path::new(&path).exists(), "{}", path.display());
        assert!(
            m.case.starts_with("cases/") && m.case.ends_with(".min.imap"),
            "{}",
            m.case
        );
        Case::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
    }
    assert!(
        minimised
            .iter()
            .any(|m| m.commands_after < m.commands_before),
        "nothing got smaller: {minimised:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A baseline entry is called fixed only when its minimal case no longer shows it: a
/// campaign whose own sessions do not meet a known finding replays the baseline's
/// minimal case, which still shows it (known, count 0), while an entry whose case shows
/// nothing any more is reported fixed.
#[test]
fn a_known_finding_the_campaign_did_not_meet_is_not_called_fixed_while_its_case_shows_it() {
    let targets = lab_targets();
    let _turn = lab_lock();
    let dir = temp_dir("baseline-recheck");
    let t = targets.to_str().unwrap();
    // A recorded Courier session with the RENAME mistake, minimised.
    let case = script_case(
        vec![
            Message::line("a1 NOOP"),
            Message::line("a2 RENAME INBOX.nosuch2 INBOX.other2"),
            Message::line("a3 LOGOUT"),
        ],
        None,
    );
    let recorded = record_on_courier(&dir, t, &case);
    let saved = recorded.parent().unwrap().to_path_buf();
    // The case also shows Courier's unregistered capability name (RFC 2060 §7.2.1), which
    // its own session shows too: the RENAME finding is chosen by its listed id.
    let (code, out, err) = run(&["minimize", recorded.to_str().unwrap(), "--targets", t]);
    assert_eq!(code, 0, "{out}\n{err}");
    let id = listed_id(&err, "RENAME");
    for p in std::fs::read_dir(&saved).unwrap().filter_map(|e| e.ok()) {
        if p.path().to_string_lossy().ends_with(".min.imap") {
            std::fs::remove_file(p.path()).unwrap();
        }
    }
    let (code, out, err) = run(&[
        "minimize",
        recorded.to_str().unwrap(),
        "--targets",
        t,
        "--finding",
        &id,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let min = std::fs::read_dir(&saved)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".min.imap"))
        .unwrap();
    // A case that shows nothing on Courier.
    let quiet = dir.join("quiet.imap");
    let q = script_case(
        vec![Message::line("a1 NOOP"), Message::line("a2 LOGOUT")],
        None,
    );
    std::fs::write(&quiet, q.to_text()).unwrap();
    let baseline = dir.join("baseline.toml");
    std::fs::write(
        &baseline,
        format!(
            "[[known]]\nid = \"{id}\"\ntargets = [\"courier\"]\nkind = \"violation\"\nrule = \"2060-6.3.5-error-missing-or-existing\"\ncommand = \"RENAME\"\nsummary = \"RENAME answered OK\"\nreason = \"Courier renames a mailbox that does not exist\"\ncase = \"{}\"\n\n[[known]]\nid = \"D000000000001\"\ntargets = [\"courier\"]\nkind = \"violation\"\ncommand = \"NOOP\"\nsummary = \"gone\"\nreason = \"was fixed upstream\"\ncase = \"quiet.imap\"\n",
            min.strip_prefix(&dir).unwrap().display()
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    let (code, out, err) = run(&[
        "run",
        "--targets",
        t,
        "--target",
        "courier",
        "--sessions",
        "1",
        "--commands",
        "1..2",
        "--mix",
        "FETCH=0",
        "--quiet",
        "--no-minimize",
        "--baseline",
        baseline.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "{out}\n{err}");
    let results = Results::read(&out_dir).unwrap();
    let known = results
        .distinct
        .iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("{id} is not in the results: {out}\n{err}"));
    assert_eq!(known.count, 0, "the campaign's own session did not show it");
    assert_eq!(known.verification, Verification::Verified);
    assert!(matches!(
        known.baseline,
        Some(imapconform::report::distinct::BaselineState::Known(_))
    ));
    assert!(out_dir.join(&known.examples[0].case).exists());
    assert!(
        !results.fixed.iter().any(|f| f.id == id),
        "a finding whose case still shows it is not fixed"
    );
    let gone = results
        .fixed
        .iter()
        .find(|f| f.id == "D000000000001")
        .expect("the other entry is fixed");
    assert!(gone.how.contains("no longer shows it"), "{}", gone.how);
    std::fs::remove_dir_all(&dir).unwrap();
}
