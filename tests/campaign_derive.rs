//! Feedback (issue 4 §5): sessions kept for a new response signature are continued by
//! later sessions, and the campaign still sends the same bytes for the same seed. Run
//! against the reference server (the RFC 2060 model, `imapconform serve --stdio`), whose
//! answers depend on nothing but the commands.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use imapconform::campaign::DERIVED_HEADER;
use imapconform::case::Case;

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");

fn campaign(dir: &Path, extra: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nname = \"reference\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\"]\n\
             user = \"u1\"\npassword = \"pw-u1\"\n"
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(&targets)
        .args([
            "--seed",
            "11",
            "--sessions",
            "260",
            "--all-cases",
            "--quiet",
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every case file of a run.
fn cases(dir: &Path) -> BTreeMap<String, Case> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("out/cases")).unwrap() {
        let path = entry.unwrap().path();
        let case = Case::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.insert(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            case,
        );
    }
    out
}

#[test]
fn derived_sessions_continue_kept_ones_and_the_same_seed_sends_the_same_bytes() {
    let base = std::env::temp_dir().join(format!("imapconform-derive-{}", std::process::id()));
    let (one, two) = (base.join("one"), base.join("two"));
    let summary = campaign(&one, &["--jobs", "8"]);
    campaign(&two, &["--jobs", "3"]);
    assert!(
        summary.contains("sessions derived from kept ones"),
        "{summary}"
    );
    let (a, b) = (cases(&one), cases(&two));
    assert_eq!(a.len(), 260);
    // What the client sent, and which session each continued (the server's answers carry
    // the time: UIDVALIDITY, INTERNALDATE).
    let sent = |cases: &BTreeMap<String, Case>| -> Vec<(String, Option<String>, Vec<Vec<u8>>)> {
        cases
            .iter()
            .map(|(name, c)| {
                (
                    name.clone(),
                    c.get(DERIVED_HEADER).map(str::to_string),
                    c.transcript
                        .script
                        .iter()
                        .map(|e| e.command().to_bytes())
                        .collect(),
                )
            })
            .collect()
    };
    assert!(
        sent(&a) == sent(&b),
        "the same seed sends the same bytes, whatever --jobs"
    );

    // Sessions 128.. one in four derive: each starts with a prefix of its parent's script,
    // and the parent is a kept session at least 64 numbers earlier.
    let kept: Vec<String> = std::fs::read_dir(one.join("out/corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut derived = 0;
    for (name, case) in &a {
        let Some(parent) = case.get(DERIVED_HEADER) else {
            continue;
        };
        derived += 1;
        let index: u64 = case.get("session").unwrap().parse().unwrap();
        let parent: u64 = parent.parse().unwrap();
        assert_eq!(index % 4, 3, "{name}");
        assert!(parent + 64 <= index, "{name}: parent {parent}");
        assert!(
            kept.iter().any(|k| k.starts_with(&format!("{parent:06}-"))),
            "{name}: parent {parent} was kept"
        );
        let parent_case = &a[&format!("{parent:06}-reference.imap")];
        let first = |c: &Case| {
            c.transcript
                .script
                .first()
                .map(|e| e.command().to_bytes())
                .unwrap()
        };
        assert_eq!(
            first(case),
            first(parent_case),
            "{name}: starts as {parent}"
        );
    }
    assert!(derived >= 20, "{derived} derived sessions of 260");

    // Without derivation no session names a parent.
    campaign(&two, &["--derive-one-in", "0"]);
    assert!(cases(&two)
        .values()
        .all(|c| c.get(DERIVED_HEADER).is_none()));
    let _ = std::fs::remove_dir_all(&base);
}
