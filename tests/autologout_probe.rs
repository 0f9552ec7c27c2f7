//! The autologout probe (`imapconform probe autologout`, RFC 2060 §5.4: "If a server has
//! an inactivity autologout timer, that timer MUST be of at least 30 minutes' duration.")
//! end to end against real servers, in seconds: GNU Mailutils imap4d configured with an
//! idle timeout of a few seconds must be reported with the idle time measured; the lab's
//! servers (Dovecot, Cyrus, Courier, Mailutils with their own timers) and the reference
//! server must not be, and a window shorter than 30 minutes must never call them
//! compliant. These tests fail, never skip, when a server is missing (`imapconform lab up`
//! installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use imapconform::case::Case;
use imapconform::judge::Kind;
use imapconform::report::read_findings;

mod common;

use common::{lab_lock, lab_targets, BIN};

/// GNU Mailutils' IMAP server, as the lab installs it.
const IMAP4D: &str = "/usr/sbin/imap4d";

/// The idle timeout configured in the short-timer imap4d, in seconds.
const SHORT_TIMEOUT_SECS: u64 = 2;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "imapconform-autologout-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn probe(targets: &Path, only: &[&str], out: &Path, idle_for: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["probe", "autologout", "--targets"])
        .arg(targets)
        .arg("--out")
        .arg(out)
        .args(["--idle-for", idle_for]);
    for t in only {
        cmd.args(["--target", t]);
    }
    cmd.output().expect("run imapconform probe autologout")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The idle time a case file's header gives (`probe-autologout: idle N ms ...`).
fn idle_ms(case: &Case) -> u64 {
    let line = case
        .get("probe-autologout")
        .expect("the case says what the idle connection showed");
    line.strip_prefix("idle ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no idle time in {line:?}"))
}

/// A targets file with one target: imap4d on stdio (one process per connection, PREAUTH,
/// its mailbox in `dir`), with `timeout` in its configuration ("Set idle timeout").
fn short_timer_mailutils(dir: &Path) -> PathBuf {
    let mail = dir.join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::fs::write(mail.join("INBOX"), b"").unwrap();
    let conf = dir.join("imap4d.conf");
    std::fs::write(
        &conf,
        format!(
            "logging {{ syslog false; }};\n\
             preauth stdio;\n\
             mode inetd;\n\
             timeout {SHORT_TIMEOUT_SECS};\n\
             mailbox {{ mailbox-type mbox; mailbox-pattern \"mbox://{m}/INBOX\"; }};\n\
             namespace personal {{ prefix \"\" {{ directory \"{m}\"; }}; }};\n",
            m = mail.display()
        ),
    )
    .unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"mailutils-short\"\nspawn = [\"{IMAP4D}\", \"--config-file={}\"]\n",
            conf.display()
        ),
    )
    .unwrap();
    targets
}

#[test]
fn a_server_that_logs_out_after_seconds_of_inactivity_is_reported_with_the_idle_time_rfc2060_5_4() {
    // This server is not the lab's, but one imap4d per connection with a configuration of
    // its own; `imapconform lab up` installs GNU Mailutils where it is missing.
    if !Path::new(IMAP4D).exists() {
        let _lab = lab_lock();
        lab_targets();
    }
    let dir = fresh_dir("short");
    let targets = short_timer_mailutils(&dir);
    let out = dir.join("out");
    let o = probe(&targets, &[], &out, "20s");
    let said = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a violation fails the run: {said}"
    );
    assert!(said.contains("VIOLATION"), "{said}");

    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.kind, Kind::Violation);
    assert_eq!(f.rule.as_deref(), Some("2060-5.4-autologout-30-minutes"));
    assert_eq!(f.targets, vec!["mailutils-short".to_string()]);
    assert!(
        f.quote
            .as_deref()
            .is_some_and(|q| q.contains("at least 30 minutes' duration")),
        "{f:#?}"
    );
    assert!(
        f.observed.contains("* BYE Session timed out\\r\\n"),
        "the BYE announcing the autologout is the evidence: {}",
        f.observed
    );

    // Both connections were closed after the configured timeout, measured from the last
    // byte the client sent: never sooner, and well before the 20 s window.
    for (rel, again) in [
        ("cases/autologout-mailutils-short.imap", false),
        ("cases/autologout-mailutils-short-again.imap", true),
    ] {
        let case = Case::parse(&std::fs::read_to_string(out.join(rel)).unwrap()).unwrap();
        let ms = idle_ms(&case);
        assert!(
            (SHORT_TIMEOUT_SECS * 1000..SHORT_TIMEOUT_SECS * 1000 + 2000).contains(&ms),
            "{rel}: idle {ms} ms"
        );
        let seconds = format!("{}.", ms / 1000);
        assert!(f.summary.contains(&seconds), "{}", f.summary);
        let bye = case
            .transcript
            .setup
            .last()
            .unwrap()
            .responses()
            .any(|m| m.first_line() == b"* BYE Session timed out");
        assert!(bye, "{rel} (again: {again}) keeps the BYE");
        assert!(case.transcript.script.is_empty(), "no NOOP was sent: {rel}");
    }
    assert_eq!(
        f.case, "cases/autologout-mailutils-short.imap",
        "the finding names its case"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn servers_left_idle_for_a_short_window_are_neither_reported_nor_called_compliant_rfc2060_5_4() {
    let _lab = lab_lock();
    let targets = lab_targets();
    let dir = fresh_dir("lab");
    let out = dir.join("out");
    let names = ["courier", "cyrus", "dovecot", "mailutils", "reference"];
    let o = probe(targets, &names, &out, "2s");
    let said = text(&o);
    assert_eq!(o.status.code(), Some(0), "{said}");
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(
        !said.contains("kept: still open") && !said.contains("VIOLATION"),
        "a 2 s window shows no early close and cannot show the MUST kept: {said}"
    );
    assert!(
        said.contains("cannot show that RFC 2060 §5.4 is kept"),
        "{said}"
    );
    for name in names {
        assert!(
            said.lines()
                .any(|l| l.contains(name) && l.contains("nothing concluded: still open after 2.")),
            "{name}: {said}"
        );
        // The connection stayed open through the window, and NOOP was answered OK after it.
        let rel = format!("cases/autologout-{name}.imap");
        let case = Case::parse(&std::fs::read_to_string(out.join(&rel)).unwrap()).unwrap();
        assert!(idle_ms(&case) >= 2000, "{rel}");
        assert_eq!(case.transcript.script.len(), 1, "{rel}: the NOOP");
        assert_eq!(
            case.transcript.script[0].status().as_deref(),
            Some("OK"),
            "{rel}"
        );
        assert!(
            !std::fs::read_to_string(out.join(&rel))
                .unwrap()
                .contains("pw-u1"),
            "{rel}: the password is redacted"
        );
        assert!(!out
            .join(format!("cases/autologout-{name}-again.imap"))
            .exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_ends_every_idle_watch_at_once_with_what_was_seen_written() {
    let dir = fresh_dir("sigterm");
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"reference\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\", \"--user\", \"u1:pw-u1\"]\n\n\
             [[target.users]]\nuser = \"u1\"\npassword = \"pw-u1\"\n"
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let started = std::time::Instant::now();
    let child = Command::new(BIN)
        .args(["probe", "autologout", "--targets"])
        .arg(&targets)
        .arg("--out")
        .arg(&out)
        .args(["--idle-for", "120s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // findings.jsonl is created before the watches start.
    while !out.join("findings.jsonl").exists() {
        assert!(started.elapsed().as_secs() < 20, "the probe never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let said = text(&o);
    assert!(
        started.elapsed().as_secs() < 60,
        "SIGTERM ended the 120 s watch early: {said}"
    );
    assert_eq!(o.status.code(), Some(0), "{said}");
    assert!(said.contains("INTERRUPTED"), "{said}");
    assert!(
        said.contains("nothing concluded: stopped by a signal after"),
        "{said}"
    );
    let case =
        Case::parse(&std::fs::read_to_string(out.join("cases/autologout-reference.imap")).unwrap())
            .unwrap();
    assert!(idle_ms(&case) >= 900, "{:?}", case.get("probe-autologout"));
    assert!(case.transcript.script.is_empty(), "no NOOP after a signal");
    assert!(read_findings(&out.join("findings.jsonl"))
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
