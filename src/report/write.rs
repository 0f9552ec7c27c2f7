//! Writing the reports of a findings directory (issue 5 §5, "Reports"): `report.html`,
//! `report.md`, `junit.xml` and `results.json`, all made from one [`Results`].
//!
//! For a directory without `results.json` (a campaign interrupted before writing it, or
//! made by an older imapconform), [`results_from_findings`] builds one from
//! `findings.jsonl` alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::distinct::dedup;
use super::results::{Results, TargetRun, FORMAT};
use super::{html, junit, links, markdown, matrix::Matrix, read_findings};
use crate::catalogue::catalogue;

/// The file names the reports are written to.
pub const HTML_FILE: &str = "report.html";
pub const MARKDOWN_FILE: &str = "report.md";
pub const JUNIT_FILE: &str = "junit.xml";

/// Writes `report.html`, `report.md`, `junit.xml` and `results.json` into `dir`, the
/// findings directory, and returns their paths.
pub fn write_reports(dir: &Path, results: &Results) -> anyhow::Result<Vec<PathBuf>> {
    write_reports_to(dir, dir, results)
}

/// Writes the reports of findings directory `dir` into `out` (created if missing); links
/// to case files go from `out` to `dir`. Returns the paths written.
pub fn write_reports_to(dir: &Path, out: &Path, results: &Results) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("creating the report directory {}", out.display()))?;
    let matrix = Matrix::compute(results, catalogue());
    let prefix = links::prefix(out, dir);
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> anyhow::Result<()> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    put(HTML_FILE, html::render(results, &matrix, dir, &prefix))?;
    put(MARKDOWN_FILE, markdown::render(results, dir))?;
    put(JUNIT_FILE, junit::render(results, &matrix))?;
    results.write(out)?;
    written.push(out.join(super::results::RESULTS_FILE));
    Ok(written)
}

/// A [`Results`] made from `dir/findings.jsonl` alone: its findings deduplicated; as
/// targets, every target a finding names (holds for, or has a case file in its session),
/// in the order they first appear, with nothing known of what was sent or which judges
/// ran (so the matrix shows no cell as passed); the seed when all findings share one; the
/// `rfc3501` profile when a finding cites an RFC 3501 requirement, else `rfc2060`.
pub fn results_from_findings(dir: &Path) -> anyhow::Result<Results> {
    let path = dir.join("findings.jsonl");
    let findings = read_findings(&path)?;
    let mut targets: Vec<TargetRun> = Vec::new();
    let mut sessions: BTreeMap<String, std::collections::BTreeSet<(u64, u64)>> = BTreeMap::new();
    for f in &findings {
        for t in f.targets.iter().chain(f.cases.keys()) {
            if !targets.iter().any(|x| &x.name == t) {
                targets.push(TargetRun {
                    name: t.clone(),
                    ..TargetRun::default()
                });
            }
            sessions
                .entry(t.clone())
                .or_default()
                .insert((f.seed, f.session));
        }
    }
    for t in &mut targets {
        t.sessions = sessions.get(&t.name).map_or(0, |s| s.len() as u64);
    }
    let seed = match findings.first() {
        Some(first) if findings.iter().all(|f| f.seed == first.seed) => Some(first.seed),
        _ => None,
    };
    let profile = if findings
        .iter()
        .any(|f| f.rule.as_deref().is_some_and(|r| r.starts_with("3501-")))
    {
        "rfc3501"
    } else {
        "rfc2060"
    };
    Ok(Results {
        format: FORMAT,
        tool: format!("imapconform {}", env!("CARGO_PKG_VERSION")),
        run: "findings.jsonl (no results.json)".into(),
        profile: profile.into(),
        seed,
        targets,
        findings: findings.len() as u64,
        distinct: dedup(&findings),
        ..Results::default()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::judge::Kind;
    use crate::report::{Finding, FindingsWriter};

    fn finding(id: &str, targets: &[&str], cases: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            target: targets[0].into(),
            targets: targets.iter().map(|s| s.to_string()).collect(),
            kind: Kind::Divergence,
            rule: None,
            quote: None,
            summary: "`a1 NOOP`: differs".into(),
            command: "a1 NOOP\\r\\n".into(),
            expected: String::new(),
            observed: "--- a\n+++ b\n-x\n+y\n".into(),
            case: format!("cases/{id}-{}.imap", targets[0]),
            cases: cases
                .iter()
                .map(|t| (t.to_string(), format!("cases/{id}-{t}.imap")))
                .collect::<BTreeMap<_, _>>(),
            seed: 4,
            session: 1,
            step: Some(0),
            cause: None,
        }
    }

    #[test]
    fn results_from_findings_dedups_and_takes_targets_from_the_findings() {
        let dir = std::env::temp_dir().join(format!("imapconform-write-{}", std::process::id()));
        let w = FindingsWriter::create(&dir, crate::redact::Redactor::default()).unwrap();
        w.write(&finding("4.1.0", &["b"], &["a", "b", "c"]))
            .unwrap();
        w.write(&finding("4.2.0", &["b"], &["a", "b", "c"]))
            .unwrap();
        let r = results_from_findings(&dir).unwrap();
        let names: Vec<&str> = r.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        assert!(r.targets.iter().all(|t| t.judges.is_empty()));
        assert_eq!(r.findings, 2);
        assert_eq!(r.distinct.len(), 1);
        assert_eq!(r.distinct[0].count, 2);
        assert_eq!(r.seed, Some(4));
        assert_eq!(r.profile, "rfc2060");

        let written = write_reports(&dir, &r).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["report.html", "report.md", "junit.xml", "results.json"]
        );
        assert!(written.iter().all(|p| p.is_file()));
        assert_eq!(Results::read(&dir).unwrap(), r);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_without_findings_is_an_error_naming_the_file() {
        let dir =
            std::env::temp_dir().join(format!("imapconform-write-none-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = results_from_findings(&dir).unwrap_err().to_string();
        assert!(err.contains("findings.jsonl"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
