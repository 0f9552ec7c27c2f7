//! TLS, STARTTLS and AUTHENTICATE against the real lab servers (Dovecot, Cyrus, Courier,
//! Mailutils), each with the lab's throwaway CA (`imapconform lab up` makes it and
//! writes `targets-tls.toml`). Needs the lab: fails, never skips, when it cannot start.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{lab_lock, lab_targets, BIN};
use imapconform::case::Case;
use imapconform::report::read_findings;
use imapconform::report::results::Results;
use imapconform::targets::{TargetsFile, TlsMode};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("imapconform-labtls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tls_targets() -> (PathBuf, TargetsFile) {
    let plain = lab_targets();
    let path = plain.with_file_name("targets-tls.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("lab up wrote no {}: {e}", path.display()));
    let file = TargetsFile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, file)
}

fn run(args: &[&str], targets: &Path, out: &Path) -> (Option<i32>, String) {
    let o = Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(targets)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    // What the run says, on either stream (setup errors are in the summary on stdout).
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!said.contains("panicked"), "{said}");
    (o.status.code(), said)
}

/// Every lab server over implicit TLS, over STARTTLS, and on its STARTTLS-required port
/// (LOGINDISABLED before TLS): sessions log in and run on every one, each STARTTLS
/// session shows STARTTLS and the re-issued CAPABILITY in its setup, and the STARTTLS
/// probes ran on every TLS target; each STARTTLS finding replays.
#[test]
fn every_lab_server_is_reached_over_tls_and_starttls() {
    let _lab = lab_lock();
    let (path, file) = tls_targets();
    for server in ["dovecot", "cyrus", "courier", "mailutils"] {
        for suffix in ["tls", "starttls"] {
            let name = format!("{server}-{suffix}");
            assert!(
                file.targets.iter().any(|t| t.name == name),
                "{} lacks {name}",
                path.display()
            );
        }
    }
    let out = scratch("campaign");
    let (code, stderr) = run(
        &[
            "--sessions",
            "6",
            "--jobs",
            "3",
            "--no-minimize",
            "--all-cases",
        ],
        &path,
        &out,
    );
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}\n{stderr}");
    let results = Results::read(&out).unwrap();
    for t in &file.targets {
        let run = results
            .targets
            .iter()
            .find(|r| r.name == t.name)
            .unwrap_or_else(|| panic!("{} not in results.json", t.name));
        assert_eq!(run.setup_error, None, "{}: {stderr}", t.name);
        assert_eq!(run.sessions, 6, "{}", t.name);
        // The probes ran: one line per TLS target on stderr.
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("target {}: ", t.name)) && l.contains(" probe(s), ")),
            "{}: {stderr}",
            t.name
        );
        let case_text =
            std::fs::read_to_string(out.join(format!("cases/000000-{}.imap", t.name))).unwrap();
        let case = Case::parse(&case_text).unwrap();
        let setup: Vec<String> = case
            .transcript
            .setup
            .iter()
            .map(|e| String::from_utf8_lossy(e.command().first_line()).to_ascii_uppercase())
            .collect();
        match t.tls {
            TlsMode::Starttls => {
                let i = setup
                    .iter()
                    .position(|c| c.ends_with(" STARTTLS"))
                    .unwrap_or_else(|| panic!("{}: no STARTTLS in the setup: {setup:?}", t.name));
                assert!(
                    setup[i + 1..].iter().any(|c| c.ends_with(" CAPABILITY")),
                    "{}: CAPABILITY is re-issued after STARTTLS: {setup:?}",
                    t.name
                );
            }
            TlsMode::Implicit => assert!(
                !setup.iter().any(|c| c.ends_with(" STARTTLS")),
                "{}: {setup:?}",
                t.name
            ),
            TlsMode::None => panic!("{}: a plaintext target in targets-tls.toml", t.name),
        }
        // LOGIN is never sent while LOGINDISABLED is in force (before TLS).
        if t.name.ends_with("-logindisabled") {
            let i = setup.iter().position(|c| c.ends_with(" STARTTLS")).unwrap();
            assert!(
                !setup[..i].iter().any(|c| c.contains(" LOGIN ")),
                "{}: {setup:?}",
                t.name
            );
        }
    }
    // Each STARTTLS finding is a probe's or a setup's, with its case, and replays.
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    for f in findings.iter().filter(|f| {
        f.rule
            .as_deref()
            .is_some_and(|r| imapconform::judge::starttls::rule::ALL.contains(&r))
    }) {
        let case_path = out.join(&f.case);
        assert!(case_path.is_file(), "{f:?}");
        if f.case.starts_with("cases/probe-") {
            let o = Command::new(BIN)
                .arg("replay")
                .arg(&case_path)
                .arg("--targets")
                .arg(&path)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&o.stdout);
            assert!(
                stdout.contains(&format!("-> {} {}", f.kind, f.rule.as_deref().unwrap())),
                "{}: the replay shows {} again:\n{stdout}",
                f.case,
                f.summary
            );
        }
    }
}

/// Certificate problems with a real server are setup errors with a clear message, never
/// findings: a name the certificate does not carry, and no CA to trust it.
#[test]
fn certificate_errors_with_a_lab_server_are_clear_setup_errors() {
    let _lab = lab_lock();
    let (_, file) = tls_targets();
    let mut t = file
        .targets
        .iter()
        .find(|t| t.name == "dovecot-tls")
        .cloned()
        .unwrap();
    t.reset = None;
    t.restart = None;
    for (name, change, says) in [
        (
            "wrong-name",
            Box::new(|t: &mut imapconform::targets::Target| {
                t.server_name = Some("imap.example.org".into())
            }) as Box<dyn Fn(&mut imapconform::targets::Target)>,
            "imap.example.org",
        ),
        (
            "no-ca",
            Box::new(|t: &mut imapconform::targets::Target| t.ca_file = None),
            "not trusted",
        ),
    ] {
        let mut bad = t.clone();
        change(&mut bad);
        bad.name = format!("dovecot-{name}");
        let dir = scratch(name);
        let path = dir.join("targets.toml");
        std::fs::write(&path, TargetsFile { targets: vec![bad] }.to_toml()).unwrap();
        let (code, stderr) = run(
            &["--sessions", "2", "--no-minimize", "--quiet"],
            &path,
            &dir.join("out"),
        );
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        let findings = read_findings(&dir.join("out/findings.jsonl")).unwrap_or_default();
        assert!(
            findings.is_empty(),
            "{name}: a certificate problem is no finding: {findings:?}"
        );
    }
}

/// A plaintext target on a port that advertises LOGINDISABLED: the driver does not send
/// LOGIN (RFC 3501 §6.1.1 "An IMAP client MUST NOT issue the LOGIN command if the server
/// advertises the LOGINDISABLED capability"); the setup error says why.
#[test]
fn the_driver_never_sends_login_where_logindisabled_is_advertised() {
    let _lab = lab_lock();
    let (_, file) = tls_targets();
    let Some(t) = file
        .targets
        .iter()
        .find(|t| t.name.ends_with("-logindisabled"))
    else {
        panic!("the lab has no LOGINDISABLED port");
    };
    let mut plain = t.clone();
    plain.tls = TlsMode::None;
    plain.server_name = None;
    plain.ca_file = None;
    plain.name = "plain-on-logindisabled".into();
    let dir = scratch("logindisabled");
    let path = dir.join("targets.toml");
    std::fs::write(
        &path,
        TargetsFile {
            targets: vec![plain],
        }
        .to_toml(),
    )
    .unwrap();
    let (code, stderr) = run(
        &["--sessions", "1", "--no-minimize", "--quiet", "--all-cases"],
        &path,
        &dir.join("out"),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("LOGINDISABLED"), "{stderr}");
}

/// Logging in by AUTHENTICATE (RFC 3501 §6.2.2) on the real servers over TLS: PLAIN
/// (with SASL-IR where advertised) on every one, the LOGIN mechanism where the server
/// advertises AUTH=LOGIN; where it does not, a one-line setup error naming it, and no
/// restart (the server answered: it is not dead).
#[test]
fn the_lab_servers_take_authenticate_plain_and_login_over_tls() {
    use imapconform::targets::AuthMethod;
    let _lab = lab_lock();
    let (_, file) = tls_targets();
    for method in [AuthMethod::Plain, AuthMethod::SaslLogin] {
        let mut f = file.clone();
        f.targets.retain(|t| t.name.ends_with("-tls"));
        for t in &mut f.targets {
            t.auth = method;
        }
        let dir = scratch(&format!("auth-{method:?}"));
        let path = dir.join("targets.toml");
        std::fs::write(&path, f.to_toml()).unwrap();
        let out = dir.join("out");
        let (code, said) = run(
            &["--sessions", "3", "--no-minimize", "--no-probes"],
            &path,
            &out,
        );
        let results = Results::read(&out).unwrap();
        for r in &results.targets {
            let advertises_login = matches!(r.name.as_str(), "cyrus-tls" | "mailutils-tls");
            match (method, advertises_login) {
                (AuthMethod::SaslLogin, false) => {
                    let e = r
                        .setup_error
                        .as_deref()
                        .unwrap_or_else(|| panic!("{}: {said}", r.name));
                    assert!(
                        e.contains("AUTH=LOGIN") && !e.contains('\n'),
                        "{}: {e}",
                        r.name
                    );
                    assert!(r.restarts.is_empty(), "{}: {:?}", r.name, r.restarts);
                }
                _ => {
                    assert_eq!(r.setup_error, None, "{} with {method:?}: {said}", r.name);
                    assert_eq!(r.sessions, 3, "{}", r.name);
                    let case =
                        std::fs::read_to_string(out.join(format!("cases/000000-{}.imap", r.name)))
                            .or_else(|_| {
                                // No finding in session 0: the corpus keeps it (new signatures).
                                std::fs::read_to_string(
                                    out.join(format!("corpus/000000-{}.imap", r.name)),
                                )
                            })
                            .unwrap();
                    let word = if method == AuthMethod::Plain {
                        "PLAIN"
                    } else {
                        "LOGIN"
                    };
                    assert!(
                        case.lines()
                            .any(|l| l.starts_with("C: s1 AUTHENTICATE ") && l.contains(word)),
                        "{}: {case}",
                        r.name
                    );
                    assert!(!case.contains("pw-"), "the password is redacted");
                }
            }
        }
        let expect = if method == AuthMethod::Plain {
            Some(0..=1)
        } else {
            Some(2..=2)
        };
        assert!(
            code.is_some_and(|c| expect.clone().unwrap().contains(&c)),
            "{method:?}: exit {code:?}\n{said}"
        );
    }
}
