//! `run --profile P` reaches the spawned reference server: the campaign starts
//! `imapconform serve --stdio` with `--profile P`, so the model the oracle judges with
//! and the model that answers are the same, and the reference server has no findings of
//! its own under either profile.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

/// Runs a short campaign against the spawned reference server with `extra` options and
/// returns its findings (one JSON object per line) and results.json.
fn campaign(dir: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, serde_json::Value) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"reference\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\"]\n\
             users = [ {{ user = \"u1\", password = \"pw-u1\" }}, {{ user = \"u2\", password = \"pw-u2\" }} ]\n\
             model = true\n"
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(&targets)
        .args([
            "--seed",
            "7",
            "--sessions",
            "30",
            "--quiet",
            "--no-minimize",
        ])
        .args(extra)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("run imapconform");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = std::fs::read_to_string(dir.join("out/findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let results =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/results.json")).unwrap())
            .unwrap();
    (findings, results)
}

fn check(profile: Option<&str>) {
    let name = profile.unwrap_or("default");
    let dir = std::env::temp_dir().join(format!(
        "imapconform-reference-profile-{name}-{}",
        std::process::id()
    ));
    let extra: Vec<&str> = profile.map(|p| vec!["--profile", p]).unwrap_or_default();
    let (findings, results) = campaign(&dir, &extra);
    assert_eq!(
        results["profile"],
        profile.unwrap_or("rfc2060"),
        "the run judges with the profile asked for"
    );
    let sessions = results["targets"][0]["sessions"].as_u64().unwrap();
    assert_eq!(sessions, 30, "every session ran");
    let own: Vec<String> = findings
        .iter()
        .filter(|f| f["target"] == "reference")
        .map(|f| format!("{} {} {}", f["kind"], f["rule"], f["summary"]))
        .collect();
    assert!(
        own.is_empty(),
        "the reference server judged by its own profile ({name}) has no findings: {own:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_reference_server_serves_the_rfc3501_profile_the_campaign_judges_with() {
    check(Some("rfc3501"));
}

#[test]
fn the_reference_server_serves_the_default_profile_the_campaign_judges_with() {
    check(None);
}

#[test]
fn a_reference_server_declaring_another_profile_than_the_run_is_refused() {
    let dir = std::env::temp_dir().join(format!(
        "imapconform-reference-profile-clash-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"reference\"\n\
             spawn = [\"{BIN}\", \"serve\", \"--stdio\", \"--profile\", \"rfc2060\"]\n\
             user = \"u1\"\npassword = \"pw-u1\"\nmodel = true\n"
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(&targets)
        .args([
            "--profile",
            "rfc3501",
            "--sessions",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.join("out"))
        .output()
        .expect("run imapconform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--profile rfc2060") && stderr.contains("--profile rfc3501"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
