//! The STARTTLS checks (RFC 3501 §6.2, §6.2.1, §7.2.1; RFC 9051 §6.2.1) catch the faults
//! they look for: each test starts the STARTTLS fixture server (tests/starttls_fixture,
//! test-only) with one fault, runs a campaign through the CLI against it, and requires
//! the finding with its requirement, a case file that reads back as the probe's, and a
//! replay of that case that shows the finding again. A correct fixture gives none.
//! The real servers' STARTTLS is checked against the lab in tests/lab_tls.rs.

mod starttls_fixture;

use std::path::{Path, PathBuf};
use std::process::Command;

use imapconform::case::Case;
use imapconform::report::{read_findings, Finding};
use starttls_fixture::{Fault, Fixture};

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "imapconform-starttls-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The targets file of a fixture: `tls = "starttls"`, trusting the fixture's CA.
fn targets(dir: &Path, f: &Fixture) -> PathBuf {
    let path = dir.join("targets.toml");
    std::fs::write(
        &path,
        format!(
            "[[target]]\nname = \"fixture\"\naddress = \"{}\"\ntls = \"starttls\"\n\
             server_name = \"localhost\"\nca_file = \"{}\"\nuser = \"u1\"\npassword = \"pw1\"\n\
             timeout_ms = 3000\n",
            f.addr,
            f.ca_file.display()
        ),
    )
    .unwrap();
    path
}

struct Run {
    findings: Vec<Finding>,
    out: PathBuf,
    targets: PathBuf,
    stderr: String,
}

/// A campaign of one session against a fixture with `fault`.
fn campaign(name: &str, fault: Fault) -> Run {
    let dir = scratch(name);
    let f = Fixture::start(fault, &dir.join("fixture"));
    let targets = targets(&dir, &f);
    let out = dir.join("out");
    let o = Command::new(BIN)
        .args(["run", "--targets"])
        .arg(&targets)
        .args(["--sessions", "1", "--no-minimize", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{name}: exit {:?}\n{stderr}",
        o.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    Run {
        findings,
        out,
        targets,
        stderr,
    }
}

/// The findings citing one of the STARTTLS requirements.
fn starttls_findings(r: &Run) -> Vec<&Finding> {
    r.findings
        .iter()
        .filter(|f| {
            f.rule
                .as_deref()
                .is_some_and(|id| imapconform::judge::starttls::rule::ALL.contains(&id))
        })
        .collect()
}

/// The one finding with `rule`, its case read back as the probe's, and a replay of the
/// case that shows the same finding again.
fn proven(r: &Run, rule: &str, probe: &str, summary_has: &str) -> Finding {
    let found: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.rule.as_deref() == Some(rule) && f.summary.contains(summary_has))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {rule} finding ({summary_has}) expected: {:#?}\n{}",
        r.findings,
        r.stderr
    );
    let f = found[0].clone();
    assert!(
        f.quote.as_deref().is_some_and(|q| q.contains("RFC ")),
        "{f:?}"
    );
    let case_path = r.out.join(&f.case);
    let case = Case::parse(&std::fs::read_to_string(&case_path).unwrap()).unwrap();
    assert_eq!(case.get("probe"), Some(probe), "{}", f.case);
    assert_eq!(case.get("target"), Some("fixture"));
    let o = Command::new(BIN)
        .arg("replay")
        .arg(&case_path)
        .arg("--targets")
        .arg(&r.targets)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "replay: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains(&format!("-> {} {rule}", f.kind)),
        "the replay shows it again:\n{stdout}"
    );
    f
}

#[test]
fn a_correct_starttls_server_gives_no_starttls_finding() {
    let r = campaign("none", Fault::None);
    assert!(starttls_findings(&r).is_empty(), "{:#?}", r.findings);
    // The probes ran (the applicable ones) and the session logged in after STARTTLS.
    let results = std::fs::read_to_string(r.out.join("results.json")).unwrap();
    assert!(!results.contains("cannot log in"), "{results}");
}

#[test]
fn command_injection_after_starttls_is_caught_rfc3501_6_2_1() {
    let r = campaign("injection", Fault::CommandInjection);
    let f = proven(
        &r,
        "3501-6.2.1-tls-begins-after-ok",
        "command-injection",
        "command injection",
    );
    assert_eq!(f.kind.as_str(), "violation");
    assert!(f.observed.contains("p3 OK"), "{f:?}");
}

#[test]
fn plaintext_after_the_starttls_ok_is_caught_by_the_driver_itself() {
    let r = campaign("plaintext", Fault::PlaintextAfterOk);
    let plaintext: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| {
            f.rule.as_deref() == Some("3501-6.2.1-tls-begins-after-ok")
                && f.summary.contains("plaintext")
        })
        .collect();
    // Once in the campaign's own session (the setup's STARTTLS: no step), and in each
    // probe that started TLS.
    assert!(
        plaintext
            .iter()
            .any(|f| f.step.is_none() && f.case.starts_with("cases/000000-")),
        "{:#?}",
        r.findings
    );
    assert!(
        plaintext
            .iter()
            .any(|f| f.case.starts_with("cases/probe-fixture-command-injection")),
        "{:#?}",
        r.findings
    );
    assert!(plaintext
        .iter()
        .all(|f| f.observed.contains("* OK injected")));
    // The injected line was never read as a response under TLS: no finding quotes it as
    // an answer to a command, and the session still completed its LOGIN.
    let session_case = std::fs::read_to_string(r.out.join("cases/000000-fixture.imap")).unwrap();
    assert!(session_case.contains("S: * OK injected"), "{session_case}");
    assert!(!r.stderr.contains("cannot log in"), "{}", r.stderr);
}

#[test]
fn starttls_accepted_after_login_is_caught_rfc3501_6_2() {
    let r = campaign("after-login", Fault::StarttlsAfterLogin);
    proven(
        &r,
        "3501-6.2-starttls-not-authenticated-only",
        "starttls-after-login",
        "after LOGIN",
    );
}

#[test]
fn login_accepted_despite_logindisabled_is_caught_rfc3501_7_2_1() {
    let r = campaign("logindisabled", Fault::IgnoresLoginDisabled);
    proven(
        &r,
        "3501-7.2.1-logindisabled-no",
        "login-disabled",
        "LOGINDISABLED",
    );
}

#[test]
fn starttls_accepted_inside_tls_is_a_warning_for_an_imap4rev1_server() {
    let r = campaign("twice", Fault::StarttlsTwice);
    let f = proven(
        &r,
        "9051-6.2.1-bad-after-tls",
        "starttls-in-tls",
        "answered OK",
    );
    assert_eq!(f.kind.as_str(), "warning");
}
