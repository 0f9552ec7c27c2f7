//! A campaign loses nothing when it is stopped or its servers die (issue 6 §3, §4), end to
//! end against the real lab's Dovecot. These tests fail, never skip, when the lab cannot
//! start.
//!
//! - A lab server killed in the middle of a campaign: the sessions it was serving are
//!   crash findings with their case files, the lab's `restart` hook starts it again, and
//!   the campaign runs all its sessions.
//! - SIGINT: the campaign stops cleanly, writes its results and reports (marked
//!   interrupted), exits 130; `--resume` finishes it.
//! - SIGKILL: every line of findings.jsonl is whole; `--resume` runs the sessions that had
//!   not finished and none of those that had.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use imapconform::case::Case;
use imapconform::journal::{SessionRecord, SESSIONS_FILE};
use imapconform::judge::Kind;
use imapconform::report::results::Results;
use imapconform::report::{read_findings, Finding};

mod common;

use common::{lab_lock, lab_targets, BIN};

fn out_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imapconform-faults-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `imapconform run` on the lab's Dovecot, in the background.
fn start_campaign(out: &Path, sessions: u32, seed: u32) -> Child {
    Command::new(BIN)
        .args(["run", "--targets"])
        .arg(lab_targets())
        .args(["--target", "dovecot", "--no-minimize", "--quiet", "--out"])
        .arg(out)
        .args([
            "--sessions",
            &sessions.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start imapconform run")
}

/// The finished sessions of a campaign directory, as its journal records them.
fn journal(out: &Path) -> Vec<SessionRecord> {
    let text = std::fs::read_to_string(out.join(SESSIONS_FILE)).unwrap_or_default();
    text.lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).expect("a whole journal line parses"))
        .collect()
}

/// Waits until the campaign has finished at least `n` sessions.
fn wait_for_sessions(child: &mut Child, out: &Path, n: usize) {
    let t = Instant::now();
    while journal(out).len() < n {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the campaign ended before {n} sessions"
        );
        assert!(t.elapsed() < Duration::from_secs(60), "no progress in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

fn dovecot_pid() -> i32 {
    std::fs::read_to_string("/dev/shm/imapconform-lab/dovecot/pid")
        .expect("the lab records Dovecot's pid")
        .trim()
        .parse()
        .expect("a pid")
}

/// Every session number below `n` exactly once.
fn assert_each_session_once(records: &[SessionRecord], n: u64) {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for r in records {
        *seen.entry(r.session).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "sessions run twice: {twice:?}");
    let missing: Vec<u64> = (0..n).filter(|s| !seen.contains_key(s)).collect();
    assert!(missing.is_empty(), "sessions never run: {missing:?}");
}

/// `run --resume OUT` of a 1,500-session campaign that had finished `finished` sessions:
/// it runs the others, each session once in all, and keeps every finding of `before`
/// once. Returns the campaign's findings.
fn resume_and_check(out: &Path, finished: usize, before: &[Finding]) -> Vec<Finding> {
    let resumed = Command::new(BIN)
        .args(["run", "--quiet", "--resume"])
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        matches!(resumed.status.code(), Some(0 | 1)),
        "{:?}\n{stdout}\n{}",
        resumed.status,
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "resumed: {finished} sessions had finished before, {} ran now",
            1500 - finished
        )),
        "{stdout}"
    );
    assert_each_session_once(&journal(out), 1500);
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    let ids: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), findings.len(), "no finding written twice");
    for f in before {
        assert!(ids.contains(f.id.as_str()), "{} kept", f.id);
    }
    findings
}

#[test]
fn a_lab_server_killed_mid_campaign_is_a_crash_with_its_case_and_the_campaign_goes_on() {
    let _lab = lab_lock();
    let out = out_dir("killed");
    // The lab is up (started here if need be) before its pid file is read.
    lab_targets();
    let before = dovecot_pid();
    let mut child = start_campaign(&out, 700, 5);
    wait_for_sessions(&mut child, &out, 100);
    // The whole server dies: its daemon and every process serving a session.
    // SAFETY: kill(2) on the process group the lab started Dovecot in.
    assert_eq!(unsafe { libc::kill(-before, libc::SIGKILL) }, 0);
    let done = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        matches!(done.status.code(), Some(0 | 1)),
        "the campaign ends normally, not as a setup error: {:?}\n{stdout}\n{stderr}",
        done.status
    );

    // The sessions the server was serving when it died are crash findings with cases.
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    let crashes: Vec<_> = findings.iter().filter(|f| f.kind == Kind::Crash).collect();
    assert!(!crashes.is_empty(), "no crash finding:\n{stdout}");
    for f in &crashes {
        let text = std::fs::read_to_string(out.join(&f.case))
            .unwrap_or_else(|e| panic!("case {} of {}: {e}", f.case, f.id));
        let case = Case::parse(&text).expect("the crash's case parses");
        let end = case.get("end").unwrap_or_default();
        assert!(
            end == "closed" || end.starts_with("broken"),
            "{}: a crash case ends closed or broken, not {end:?}",
            f.case
        );
    }

    // The lab started it again, and the campaign ran every session on it.
    let results = Results::read(&out).unwrap();
    let dovecot = &results.targets[0];
    assert_eq!(dovecot.name, "dovecot");
    assert_eq!(dovecot.setup_error, None, "dovecot was not dropped");
    assert!(
        !dovecot.restarts.is_empty(),
        "results record the restart:\n{stdout}"
    );
    assert_eq!(dovecot.sessions, 700, "every session ran on dovecot");
    assert_each_session_once(&journal(&out), 700);
    let after = dovecot_pid();
    assert_ne!(after, before, "a new Dovecot runs");
    let status = Command::new(BIN).args(["lab", "status"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout)
            .lines()
            .any(|l| l.starts_with("dovecot") && l.contains(" up ")),
        "lab status shows Dovecot up"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sigint_stops_the_campaign_with_its_reports_and_resume_finishes_it() {
    let _lab = lab_lock();
    let out = out_dir("sigint");
    let mut child = start_campaign(&out, 1500, 6);
    wait_for_sessions(&mut child, &out, 60);
    signal(&child, libc::SIGINT);
    let done = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(
        done.status.code(),
        Some(130),
        "an interrupted run exits 130\n{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("--resume"),
        "it says how to continue:\n{stdout}"
    );
    let results = Results::read(&out).unwrap();
    assert!(results.interrupted, "results.json says it was interrupted");
    for report in ["report.html", "report.md", "junit.xml"] {
        assert!(out.join(report).is_file(), "{report} written");
    }
    let finished = journal(&out).len();
    assert!(finished < 1500, "it stopped early ({finished} sessions)");
    let findings_then = read_findings(&out.join("findings.jsonl")).unwrap();
    assert_eq!(results.findings, findings_then.len() as u64);

    let findings = resume_and_check(&out, finished, &findings_then);
    let results = Results::read(&out).unwrap();
    assert!(!results.interrupted);
    assert_eq!(results.targets[0].sessions, 1500);
    assert_eq!(results.findings, findings.len() as u64);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn after_sigkill_every_findings_line_is_whole_and_resume_runs_only_unfinished_sessions() {
    let _lab = lab_lock();
    let out = out_dir("sigkill");
    let mut child = start_campaign(&out, 1500, 7);
    wait_for_sessions(&mut child, &out, 150);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let text = std::fs::read_to_string(out.join("findings.jsonl")).unwrap();
    assert!(!text.is_empty(), "findings were made before the kill");
    assert!(text.ends_with('\n'), "the last line is whole");
    for (i, line) in text.lines().enumerate() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("findings.jsonl line {} is not whole: {e}", i + 1));
    }
    let finished: Vec<u64> = journal(&out).iter().map(|r| r.session).collect();
    // What finished sessions found, before resuming.
    let before: Vec<Finding> = read_findings(&out.join("findings.jsonl"))
        .unwrap()
        .into_iter()
        .filter(|f| finished.contains(&f.session))
        .collect();
    let findings = resume_and_check(&out, finished.len(), &before);
    // Every finding's case is there (an unfinished session's were removed, then written
    // again when it ran).
    for f in &findings {
        assert!(
            out.join(&f.case).is_file(),
            "{} has its case {}",
            f.id,
            f.case
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn resume_refuses_a_directory_that_is_not_a_campaign_and_other_options() {
    let dir = out_dir("not-a-campaign");
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(BIN)
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("run.json"), "{err}");
    let o = Command::new(BIN)
        .args(["run", "--seed", "3", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--seed") && err.contains("--resume"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
