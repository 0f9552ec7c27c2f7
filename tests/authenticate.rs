//! Logging in by AUTHENTICATE (RFC 2060 §6.2.1) and the generated non-authenticated
//! prelude, end to end: `imapconform run` against the reference server (the RFC model,
//! `imapconform serve --stdio`) with `auth = "plain"` and `auth = "sasl-login"` targets.
//! Every session logs in; the preludes' AUTHENTICATE exchanges (cancelled, not base64,
//! unknown mechanisms) are in the case files, answered as the RFC says and judged; the
//! model agrees with itself, so nothing is reported against it.

use std::path::{Path, PathBuf};
use std::process::Command;

use imapconform::case::Case;
use imapconform::judge::judge_oracle;
use imapconform::model::sasl::{authenticate_line, decode_base64, is_cancel};
use imapconform::model::Profile;
use imapconform::wire::{strip_eol, Exchange, Fragment};

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "imapconform-authenticate-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(dir: &Path, sessions: &str) -> std::process::Output {
    let targets = dir.join("targets.toml");
    let mut text = String::new();
    for (name, auth) in [("plain", "plain"), ("sasl", "sasl-login")] {
        text.push_str(&format!(
            "[[target]]\nname = \"{name}\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\"]\n\
             user = \"u1\"\npassword = \"pw-u1\"\nauth = \"{auth}\"\nmodel = true\n\n"
        ));
    }
    std::fs::write(&targets, text).unwrap();
    Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(&targets)
        .args([
            "--seed",
            "5",
            "--sessions",
            sessions,
            "--all-cases",
            "--quiet",
        ])
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("run imapconform")
}

/// The client's answers of an exchange: every client line after the command line.
fn answers(e: &Exchange) -> Vec<Vec<u8>> {
    e.command()
        .fragments
        .iter()
        .skip(1)
        .filter_map(|f| match f {
            Fragment::Line(l) => Some(strip_eol(l).to_vec()),
            Fragment::Literal(_) => None,
        })
        .collect()
}

fn is_prelude(e: &Exchange) -> bool {
    imapconform::gen::prelude::is_prelude_tag(e.command().tag())
}

#[test]
fn sessions_log_in_by_authenticate_and_preludes_are_recorded_and_judged() {
    let s = Scratch::new("run");
    let out = run(&s.0, "160");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    // Nothing reported against the model: it agrees with itself.
    let findings = std::fs::read_to_string(s.0.join("out/findings.jsonl")).unwrap();
    let findings: Vec<serde_json::Value> = findings
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");

    let mut cases = 0;
    let mut preludes = 0;
    let mut prelude_authenticates = 0;
    let (mut cancels, mut bad_base64, mut unknown) = (0, 0, 0);
    for entry in std::fs::read_dir(s.0.join("out/cases")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let case = Case::parse(&text).unwrap();
        let target = case.get("target").unwrap().to_string();
        let t = &case.transcript;
        cases += 1;

        // The login: AUTHENTICATE PLAIN with an initial response (SASL-IR is
        // advertised), or AUTHENTICATE LOGIN answering two challenges; the secrets are
        // redacted in the file.
        let login = t
            .setup
            .iter()
            .find(|e| e.command().tag() == b"s1")
            .unwrap_or_else(|| panic!("{}: no login\n{text}", path.display()));
        assert_eq!(login.status().as_deref(), Some("OK"), "{text}");
        let first = String::from_utf8_lossy(login.command().first_line()).into_owned();
        match target.as_str() {
            "plain" => {
                assert_eq!(first, "s1 AUTHENTICATE PLAIN <redacted>", "{text}");
                assert!(answers(login).is_empty());
            }
            "sasl" => {
                assert_eq!(first, "s1 AUTHENTICATE LOGIN", "{text}");
                assert_eq!(answers(login), vec![b"<redacted>".to_vec(); 2], "{text}");
                assert_eq!(login.responses().filter(|m| m.is_continuation()).count(), 2);
            }
            other => panic!("unknown target {other}"),
        }
        assert!(
            !text.contains("pw-u1") && !text.contains("cHctdTE="),
            "{text}"
        );
        assert!(!t.script.is_empty(), "{}: the script ran", path.display());

        // The prelude: before the login, every AUTHENTICATE refused (BAD or NO), a
        // cancel with BAD (RFC 2060 §6.2.1).
        let prelude: Vec<&Exchange> = t.setup.iter().take_while(|e| is_prelude(e)).collect();
        assert!(t.setup.iter().skip(prelude.len()).all(|e| !is_prelude(e)));
        if !prelude.is_empty() {
            preludes += 1;
        }
        for e in &prelude {
            let Some(line) = authenticate_line(e.command().first_line()) else {
                continue;
            };
            prelude_authenticates += 1;
            let status = e.status().unwrap_or_else(|| panic!("{text}"));
            assert!(status == "BAD" || status == "NO", "{text}");
            let ans = answers(e);
            if ans.iter().any(|a| is_cancel(a)) {
                cancels += 1;
                assert_eq!(status, "BAD", "a cancel gets BAD:\n{text}");
            } else if ans.iter().any(|a| decode_base64(a).is_none())
                || line
                    .initial
                    .as_deref()
                    .is_some_and(|i| decode_base64(i).is_none())
            {
                bad_base64 += 1;
                assert_eq!(status, "BAD", "{text}");
            } else {
                unknown += 1;
                assert_eq!(status, "NO", "unsupported mechanism:\n{text}");
            }
        }

        // Judged again from the file: the prelude and the login are judged, nothing is
        // found.
        let (verdicts, coverage) = judge_oracle(&target, t, Profile::Rfc2060);
        assert!(verdicts.is_empty(), "{verdicts:#?}\n{text}");
        assert!(
            coverage.judged >= t.setup.len(),
            "{}: {coverage:?}\n{text}",
            path.display()
        );
    }
    assert_eq!(cases, 320);
    // About one session in sixteen, on both targets.
    assert!((10..=40).contains(&preludes), "{preludes} preludes");
    assert!(prelude_authenticates >= preludes);
    assert!(
        cancels > 0 && bad_base64 > 0 && unknown > 0,
        "{cancels} cancels, {bad_base64} bad base64, {unknown} unknown mechanisms"
    );
}

#[test]
fn a_campaign_with_preludes_sends_the_same_bytes_again() {
    let (a, b) = (Scratch::new("a"), Scratch::new("b"));
    for s in [&a, &b] {
        let out = run(&s.0, "48");
        assert_eq!(out.status.code(), Some(0));
    }
    let sent = |dir: &Path| -> Vec<(String, Vec<Vec<u8>>)> {
        let mut v: Vec<(String, Vec<Vec<u8>>)> = std::fs::read_dir(dir.join("out/cases"))
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let case = Case::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
                let t = case.transcript;
                let cmds = t
                    .setup
                    .iter()
                    .chain(&t.script)
                    .map(|e| e.command().to_bytes());
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    cmds.collect(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(sent(&a.0), sent(&b.0));
}
