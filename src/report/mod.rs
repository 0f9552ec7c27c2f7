//! Findings as they leave the tool: the `findings.jsonl` file, the live progress line and
//! the closing summary per target.
//!
//! `DIR/findings.jsonl` holds one JSON object per line, appended and flushed the moment
//! a finding is made, so an interrupted campaign loses nothing already found.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub mod compare;
pub mod distinct;
pub mod html;
pub mod junit;
pub mod links;
pub mod markdown;
pub mod matrix;
pub mod results;
pub mod write;

pub use write::{results_from_findings, write_reports, write_reports_to};

use crate::judge::{Kind, Verdict};
use crate::redact::Redactor;

/// One finding, as written to `findings.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `SEED.SESSION.N`: the same campaign finds the same ids.
    pub id: String,
    /// The target it holds for (the first, when several).
    pub target: String,
    /// Every target it holds for.
    pub targets: Vec<String>,
    pub kind: Kind,
    /// The requirement it breaks: an id of `rfc/requirements.toml`.
    pub rule: Option<String>,
    /// That requirement cited: RFC, section, level and the quoted sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    pub summary: String,
    /// The command, escaped (`\r\n` shown), or empty for the greeting.
    pub command: String,
    pub expected: String,
    pub observed: String,
    /// Path of the case file that shows it, relative to the findings directory.
    pub case: String,
    /// Case files of every target in the same session (a divergence involves several).
    pub cases: BTreeMap<String, String>,
    pub seed: u64,
    pub session: u64,
    /// Index of the command in the session's script; null for the greeting or setup.
    pub step: Option<usize>,
    /// What differs ([`crate::judge::Cause`]), where the judge found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<crate::judge::Cause>,
}

impl Finding {
    /// A judge's verdict as it is written out: `id` names it, `command` is the command it
    /// concerns (escaped), `cases` the case file of each target of the session.
    pub fn from_verdict(
        v: Verdict,
        id: String,
        command: String,
        cases: BTreeMap<String, String>,
        seed: u64,
        session: u64,
    ) -> Finding {
        let target = v.targets.first().cloned().unwrap_or_default();
        Finding {
            id,
            case: cases.get(&target).cloned().unwrap_or_default(),
            cases,
            target,
            targets: v.targets,
            kind: v.kind,
            quote: v
                .rule
                .as_deref()
                .and_then(|r| crate::catalogue::catalogue().cite(r)),
            rule: v.rule,
            summary: v.summary,
            command,
            expected: v.expected,
            observed: v.observed,
            seed,
            session,
            step: v.step,
            cause: v.cause,
        }
    }
}

impl Finding {
    /// The finding with every secret in its texts replaced ([`crate::redact`]).
    pub fn redacted(&self, r: &Redactor) -> Finding {
        Finding {
            summary: r.text(&self.summary),
            command: r.command_text(&self.command),
            expected: r.text(&self.expected),
            observed: r.text(&self.observed),
            ..self.clone()
        }
    }
}

/// Appends findings to `findings.jsonl` and keeps counts for the progress line and the
/// summary. Each finding is redacted as it is written.
pub struct FindingsWriter {
    path: PathBuf,
    file: Mutex<File>,
    counts: Mutex<Counts>,
    redact: Redactor,
}

/// Counts per target and kind.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub by_target: BTreeMap<String, BTreeMap<Kind, u64>>,
    pub by_kind: BTreeMap<Kind, u64>,
}

impl FindingsWriter {
    /// Creates (or truncates) `dir/findings.jsonl`; `redact` says which secrets to keep
    /// out of it.
    pub fn create(dir: &Path, redact: Redactor) -> std::io::Result<FindingsWriter> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("findings.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)?;
        Ok(FindingsWriter {
            path,
            file: Mutex::new(file),
            counts: Mutex::new(Counts::default()),
            redact,
        })
    }

    /// Continues `dir/findings.jsonl` (an interrupted campaign resuming), counting the
    /// findings already in it.
    pub fn append(dir: &Path, redact: Redactor) -> std::io::Result<FindingsWriter> {
        let path = dir.join("findings.jsonl");
        let earlier = if path.exists() {
            read_findings(&path).map_err(|e| std::io::Error::other(format!("{e:#}")))?
        } else {
            Vec::new()
        };
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let w = FindingsWriter {
            path,
            file: Mutex::new(file),
            counts: Mutex::new(Counts::default()),
            redact,
        };
        for f in &earlier {
            w.count(f);
        }
        Ok(w)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one finding as one whole line and flushes it to the OS.
    pub fn write(&self, f: &Finding) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(&f.redacted(&self.redact)).expect("findings serialise");
        line.push(b'\n');
        {
            let mut file = self.file.lock().expect("findings file lock");
            file.write_all(&line)?;
            file.flush()?;
        }
        self.count(f);
        Ok(())
    }

    fn count(&self, f: &Finding) {
        let mut c = self.counts.lock().expect("counts lock");
        for t in &f.targets {
            *c.by_target
                .entry(t.clone())
                .or_default()
                .entry(f.kind)
                .or_default() += 1;
        }
        *c.by_kind.entry(f.kind).or_default() += 1;
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().expect("counts lock").clone()
    }
}

/// Reads a findings file back (for tests and later reports).
pub fn read_findings(path: &Path) -> anyhow::Result<Vec<Finding>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| anyhow::anyhow!("{}: line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// `3 syntax, 1 divergence` (most severe first), or `none`.
pub fn describe_counts(by_kind: &BTreeMap<Kind, u64>) -> String {
    let parts: Vec<String> = by_kind
        .iter()
        .rev()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The live progress line on stderr: drawn only when stderr is a terminal.
pub struct Progress {
    enabled: bool,
    started: Instant,
    last: Mutex<Instant>,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let now = Instant::now();
        Progress {
            enabled: enabled && std::io::stderr().is_terminal(),
            started: now,
            last: Mutex::new(now - Duration::from_secs(1)),
        }
    }

    /// Redraws the line at most ten times a second. `total` is `None` for a campaign
    /// bounded by time, whose bar then shows elapsed time against `limit`.
    pub fn update(&self, done: u64, total: Option<u64>, limit: Option<Duration>, counts: &Counts) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().expect("progress lock");
        if last.elapsed() < Duration::from_millis(100) {
            return;
        }
        *last = Instant::now();
        let elapsed = self.started.elapsed();
        let frac = match (total, limit) {
            (Some(t), _) if t > 0 => done as f64 / t as f64,
            (_, Some(l)) => elapsed.as_secs_f64() / l.as_secs_f64().max(0.001),
            _ => 0.0,
        }
        .clamp(0.0, 1.0);
        let width = 24;
        let filled = (frac * width as f64).round() as usize;
        let bar: String = "#".repeat(filled) + &".".repeat(width - filled);
        let of = total.map(|t| format!("/{t}")).unwrap_or_default();
        eprint!(
            "\r\x1b[2K[{bar}] {done}{of} sessions  {:.1}s  findings: {}",
            elapsed.as_secs_f64(),
            describe_counts(&counts.by_kind)
        );
        let _ = std::io::stderr().flush();
    }

    pub fn finish(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, kind: Kind, targets: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            target: targets[0].into(),
            targets: targets.iter().map(|s| s.to_string()).collect(),
            kind,
            rule: None,
            quote: None,
            summary: "s".into(),
            command: "a1 NOOP\\r\\n".into(),
            expected: "e".into(),
            observed: "o".into(),
            case: "cases/00001-a.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: Some(0),
            cause: None,
        }
    }

    #[test]
    fn findings_are_written_with_their_secrets_redacted() {
        let dir = std::env::temp_dir().join(format!("imapconform-redact-{}", std::process::id()));
        let users = [crate::targets::Credentials {
            user: "u1".into(),
            password: "S3cret-pw".into(),
        }];
        let w = FindingsWriter::create(&dir, Redactor::new(&users)).unwrap();
        let mut f = finding("1.1.0", Kind::Syntax, &["a"]);
        f.command = "a1 AUTHENTICATE PLAIN AHUxAFMzY3JldC1wdw==".into();
        f.observed = "* BAD LOGIN u1 S3cret-pw refused".into();
        f.summary = "echoes S3cret-pw".into();
        w.write(&f).unwrap();
        let text = std::fs::read_to_string(w.path()).unwrap();
        assert!(
            !text.contains("S3cret-pw") && !text.contains("AHUxAFMzY3JldC1wdw"),
            "{text}"
        );
        let back = &read_findings(w.path()).unwrap()[0];
        assert_eq!(back.command, "a1 AUTHENTICATE PLAIN <redacted>");
        assert_eq!(back.observed, "* BAD LOGIN u1 <redacted> refused");
        std::fs::remove_dir_all(&dir).unwrap();
        let dir = dir.with_extension("kept");
        let w = FindingsWriter::create(&dir, Redactor::keep_secrets()).unwrap();
        w.write(&f).unwrap();
        assert_eq!(read_findings(w.path()).unwrap()[0], f);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_finding_is_one_whole_json_line_with_the_required_fields() {
        let dir = std::env::temp_dir().join(format!("imapconform-report-{}", std::process::id()));
        let w = FindingsWriter::create(&dir, Redactor::default()).unwrap();
        w.write(&finding("1.1.0", Kind::Syntax, &["a"])).unwrap();
        w.write(&finding("1.1.1", Kind::Divergence, &["a", "b"]))
            .unwrap();
        let text = std::fs::read_to_string(w.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for key in [
                "id", "target", "kind", "rule", "summary", "command", "expected", "observed",
                "case",
            ] {
                assert!(v.get(key).is_some(), "{key} missing in {line}");
            }
            assert!(v["rule"].is_null());
        }
        assert_eq!(read_findings(w.path()).unwrap().len(), 2);
        let c = w.counts();
        assert_eq!(c.by_target["b"][&Kind::Divergence], 1);
        assert_eq!(describe_counts(&c.by_kind), "1 syntax, 1 divergence");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
