//! End to end: `imapconform merge`, `baseline update` and `baseline check` on findings
//! directories made from synthetic findings and case files (the tool's own file handling;
//! no server is needed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use imapconform::judge::Kind;
use imapconform::report::distinct::{self, Minimal, Signature};
use imapconform::report::results::{Results, TargetRun, FORMAT};
use imapconform::report::Finding;

fn finding(session: u64, target: &str, kind: Kind, rule: &str) -> Finding {
    let case = format!("cases/{session:06}-{target}.imap");
    Finding {
        id: format!("5.{session}.0"),
        target: target.into(),
        targets: vec![target.into()],
        kind,
        rule: Some(rule.into()),
        quote: None,
        summary: format!("{rule}: answer {session} is wrong"),
        command: "a3 FETCH 1 (FLAGS)\\r\\n".into(),
        expected: "e".into(),
        observed: "o".into(),
        cases: BTreeMap::from([(target.to_string(), case.clone())]),
        case,
        seed: 5,
        session,
        step: Some(2),
        cause: None,
    }
}

/// Writes a findings directory: findings.jsonl, a case file per finding, one corpus file.
fn shard(dir: &Path, findings: &[Finding]) {
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    let mut lines = String::new();
    for f in findings {
        lines.push_str(&serde_json::to_string(f).unwrap());
        lines.push('\n');
        std::fs::write(dir.join(&f.case), format!("# case of {}\n", f.id)).unwrap();
    }
    std::fs::write(dir.join("findings.jsonl"), lines).unwrap();
    if let Some(f) = findings.first() {
        let name = format!("corpus/{:06}-{}.imap", f.session, f.target);
        std::fs::write(dir.join(name), "# kept\n").unwrap();
    }
}

fn imapconform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_imapconform"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn id_of(f: &Finding) -> String {
    Signature::of(f).id()
}

#[test]
fn merge_then_baseline_update_then_check() {
    let tmp: PathBuf =
        std::env::temp_dir().join(format!("imapconform-baseline-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (s1, s2) = (tmp.join("shard-1"), tmp.join("shard-2"));

    // Shard 1 of 2: sessions 0 and 2, with a results.json and a minimal case.
    let f0 = finding(0, "mailutils", Kind::Syntax, "2060-9-msg-att");
    let f2 = finding(2, "cyrus", Kind::Violation, "2060-6.4.5-flags");
    shard(&s1, &[f0.clone(), f2.clone()]);
    std::fs::write(s1.join("cases/000000-mailutils.min.imap"), "# minimal\n").unwrap();
    let mut r1 = Results {
        format: FORMAT,
        tool: "imapconform 0.1.0".into(),
        run: "campaign".into(),
        profile: "rfc2060".into(),
        seed: Some(5),
        shards: vec!["1/2".into()],
        targets: vec![TargetRun {
            name: "mailutils".into(),
            sessions: 2,
            commands: BTreeMap::from([("FETCH".to_string(), 4)]),
            judges: vec!["syntax".into()],
            ..TargetRun::default()
        }],
        findings: 2,
        distinct: distinct::dedup(&[f0.clone(), f2.clone()]),
        ..Results::default()
    };
    let d0 = r1.distinct.iter_mut().find(|d| d.id == id_of(&f0)).unwrap();
    d0.minimal = Some(Minimal {
        case: "cases/000000-mailutils.min.imap".into(),
        from: f0.case.clone(),
        commands_before: 6,
        commands_after: 2,
        bytes_before: 60,
        bytes_after: 20,
        tests: 9,
        millis: 30,
        budget_spent: false,
    });
    r1.write(&s1).unwrap();
    // Shard 2 of 2: session 1, the same bug as session 0; no results.json.
    let f1 = finding(1, "mailutils", Kind::Syntax, "2060-9-msg-att");
    shard(&s2, std::slice::from_ref(&f1));

    // merge
    let merged = tmp.join("merged");
    let (code, out, err) = imapconform(&["merge", s(&s1), s(&s2), "--out", s(&merged)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 findings, 2 distinct"), "{out}");
    let lines = std::fs::read_to_string(merged.join("findings.jsonl")).unwrap();
    let ids: Vec<String> = lines
        .lines()
        .map(|l| serde_json::from_str::<Finding>(l).unwrap().id)
        .collect();
    assert_eq!(ids, ["5.0.0", "5.2.0", "5.1.0"], "shard order kept");
    for case in [
        "cases/000000-mailutils.imap",
        "cases/000000-mailutils.min.imap",
        "cases/000001-mailutils.imap",
        "cases/000002-cyrus.imap",
        "corpus/000000-mailutils.imap",
        "corpus/000001-mailutils.imap",
    ] {
        assert!(merged.join(case).is_file(), "{case} not copied");
    }
    let m = Results::read(&merged).unwrap();
    assert_eq!(m.run, "merge");
    assert_eq!(m.findings, 3);
    assert_eq!(m.shards, ["1/2".to_string(), s2.display().to_string()]);
    let syntax = m.distinct.iter().find(|d| d.id == id_of(&f0)).unwrap();
    assert_eq!(syntax.count, 2);
    assert!(syntax.minimal.is_some(), "shard 1's minimal case kept");
    assert_eq!(m.targets[0].commands["FETCH"], 4);

    // A shard whose case file of the same name differs is not one of this campaign.
    let s3 = tmp.join("shard-3");
    shard(&s3, std::slice::from_ref(&f0));
    std::fs::write(s3.join("cases/000000-mailutils.imap"), "# other bytes\n").unwrap();
    let (code, _, err) = imapconform(&["merge", s(&s1), s(&s3), "--out", s(&tmp.join("m2"))]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(s(&s1.join("cases/000000-mailutils.imap")))
            && err.contains(s(&s3.join("cases/000000-mailutils.imap"))),
        "{err}"
    );
    let (code, _, err) = imapconform(&["merge", s(&s1), s(&s1), "--out", s(&tmp.join("m2"))]);
    assert_eq!(code, 2);
    assert!(err.contains("are the same directory"), "{err}");
    let (code, _, err) =
        imapconform(&["merge", s(&tmp.join("absent")), "--out", s(&tmp.join("m3"))]);
    assert_eq!(code, 2);
    assert!(err.contains("absent: no such directory"), "{err}");

    // baseline update creates the baseline, then a check of the same run passes.
    let baseline = tmp.join("ci/baseline.toml");
    let (code, out, err) = imapconform(&[
        "baseline",
        "update",
        "--baseline",
        s(&baseline),
        s(&merged),
        "--reason",
        "accepted in the test",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 added, 0 removed"), "{out}");
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert_eq!(text.matches("[[known]]").count(), 2, "{text}");
    assert!(text.contains("reason = \"accepted in the test\""), "{text}");
    let copied = format!("baseline.cases/{}-000000-mailutils.min.imap", id_of(&f0));
    assert!(text.contains(&format!("case = \"{copied}\"")), "{text}");
    assert!(tmp.join("ci").join(&copied).is_file());

    let (code, out, err) =
        imapconform(&["baseline", "check", "--baseline", s(&baseline), s(&merged)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 new, 2 known, 0 fixed"), "{out}");
    let checked = Results::read(&merged).unwrap();
    assert_eq!(checked.baseline.as_deref(), Some(s(&baseline)));
    assert_eq!(checked.worst_new(), None);

    // One finding more: it is new, and fails the check.
    let s4 = tmp.join("shard-4");
    let f3 = finding(3, "dovecot", Kind::Violation, "2060-7.4.2-fetch");
    shard(&s4, &[f0.clone(), f1.clone(), f2.clone(), f3.clone()]);
    let (code, out, err) = imapconform(&["baseline", "check", "--baseline", s(&baseline), s(&s4)]);
    assert_eq!(code, 1, "{out}{err}");
    let new_section = out.split("known (").next().unwrap();
    assert!(new_section.starts_with("new (1):"), "{out}");
    assert!(
        new_section.contains(&id_of(&f3)) && new_section.contains("dovecot"),
        "{out}"
    );
    assert!(out.contains("1 new, 2 known, 0 fixed"), "{out}");
    assert!(
        s4.join("results.json").is_file(),
        "check writes results.json"
    );
    // Below --fail-on, a new finding does not fail the check.
    let (code, _, _) = imapconform(&[
        "baseline",
        "check",
        "--fail-on",
        "crash",
        "--baseline",
        s(&baseline),
        s(&s4),
    ]);
    assert_eq!(code, 0);

    // A run without the cyrus finding: its entry is fixed.
    let (code, out, err) = imapconform(&["baseline", "check", "--baseline", s(&baseline), s(&s2)]);
    assert_eq!(code, 0, "{out}{err}");
    let fixed_section = out.split("fixed (").nth(1).unwrap();
    assert!(fixed_section.starts_with("1):"), "{out}");
    assert!(fixed_section.contains(&id_of(&f2)), "{out}");

    // A malformed baseline: exit 2, naming the entry.
    let bad = tmp.join("bad.toml");
    let good = std::fs::read_to_string(&baseline).unwrap();
    std::fs::write(
        &bad,
        good.replacen("reason = \"accepted in the test\"", "reason = \"\"", 2),
    )
    .unwrap();
    let (code, _, err) = imapconform(&["baseline", "check", "--baseline", s(&bad), s(&merged)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("entry 1 (id D"), "{err}");
    assert!(err.contains("empty `reason`"), "{err}");
    let (code, _, err) = imapconform(&[
        "baseline",
        "check",
        "--baseline",
        s(&tmp.join("none.toml")),
        s(&merged),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("none.toml: no such file"), "{err}");

    std::fs::remove_dir_all(&tmp).unwrap();
}
