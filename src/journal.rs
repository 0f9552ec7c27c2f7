//! The campaign journal: what lets an interrupted campaign continue (`run --resume DIR`)
//! without repeating the sessions it finished.
//!
//! - `DIR/run.json`: the command line the campaign was started with, and the directory it
//!   was started in, so that `--resume DIR` runs the same campaign ([`RunRecord`]).
//! - `DIR/sessions.jsonl`: one line per finished session ([`SessionRecord`]), appended and
//!   flushed *after* the session's case files and findings are on disk. A session is
//!   finished exactly when its line is whole.
//!
//! After a SIGKILL, [`recover`] makes the directory consistent again: it cuts a half-written
//! last line off `sessions.jsonl`, keeps in `findings.jsonl` only the whole lines of finished
//! sessions, and removes the case files of sessions that did not finish (they run again).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};

use crate::report::Finding;

/// The journal of finished sessions.
pub const SESSIONS_FILE: &str = "sessions.jsonl";
/// The command line of the run.
pub const RUN_FILE: &str = "run.json";

/// How the campaign in a directory was started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub format: u32,
    /// The directory it was started in: relative paths among `args` are relative to it.
    pub cwd: PathBuf,
    /// The arguments after `imapconform run`.
    pub args: Vec<String>,
}

impl RunRecord {
    pub fn write(dir: &Path, args: Vec<String>) -> anyhow::Result<()> {
        let record = RunRecord {
            format: 1,
            cwd: std::env::current_dir().context("reading the current directory")?,
            args,
        };
        let path = dir.join(RUN_FILE);
        let text = serde_json::to_string_pretty(&record).expect("run record serialises");
        std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))
    }

    pub fn read(dir: &Path) -> anyhow::Result<RunRecord> {
        let path = dir.join(RUN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow!(
                "{}: {e} (is {} the output directory of an `imapconform run`?)",
                path.display(),
                dir.display()
            )
        })?;
        let record: RunRecord =
            serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        if record.format != 1 {
            bail!(
                "{}: format {} is not one this version reads (1)",
                path.display(),
                record.format
            );
        }
        Ok(record)
    }
}

/// One finished session: what the campaign's summary counts of it, and what feedback
/// learned from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session: u64,
    /// Kept in `DIR/corpus/` for a new response signature.
    #[serde(default)]
    pub kept: bool,
    /// It continued a kept session.
    #[serde(default)]
    pub derived: bool,
    /// Script commands sent, over all targets.
    #[serde(default)]
    pub commands: u64,
    /// Per target that ran it: script commands by command shape.
    #[serde(default)]
    pub exercised: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per target: exchanges the oracle judged, and exchanges in all.
    #[serde(default)]
    pub coverage: BTreeMap<String, (u64, u64)>,
    /// Per target where the oracle stopped following: why.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub oracle_stops: BTreeMap<String, String>,
    /// Per target where the oracle stopped at or after the server's own fault: the
    /// exchanges it did not follow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub oracle_lost_after_fault: BTreeMap<String, u64>,
    /// Per target: what the oracle passed over and followed on, with how often.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub oracle_skipped: BTreeMap<String, BTreeMap<String, u64>>,
    /// The (target, response signature) pairs it showed first ([`crate::feedback`]).
    #[serde(default)]
    pub signatures: Vec<(String, String)>,
    /// Milliseconds since the campaign started (over all its runs) when it finished.
    #[serde(default)]
    pub elapsed_ms: u64,
}

/// Appends [`SessionRecord`]s to `DIR/sessions.jsonl`, one whole line each.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Starts an empty journal (a new campaign).
    pub fn create(dir: &Path) -> std::io::Result<Journal> {
        Journal::open(dir, true)
    }

    /// Continues the journal of an interrupted campaign.
    pub fn append(dir: &Path) -> std::io::Result<Journal> {
        Journal::open(dir, false)
    }

    fn open(dir: &Path, truncate: bool) -> std::io::Result<Journal> {
        let path = dir.join(SESSIONS_FILE);
        let mut o = OpenOptions::new();
        o.create(true);
        if truncate {
            o.write(true).truncate(true);
        } else {
            o.append(true);
        }
        Ok(Journal {
            file: Mutex::new(o.open(&path)?),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a finished session: one `write` of one whole line.
    pub fn record(&self, r: &SessionRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(r).expect("session record serialises");
        line.push(b'\n');
        let mut f = self.file.lock().expect("journal lock");
        f.write_all(&line)?;
        f.flush()
    }
}

/// What an interrupted campaign had done, after [`recover`].
#[derive(Debug, Default)]
pub struct Recovered {
    /// Its finished sessions, by number.
    pub sessions: BTreeMap<u64, SessionRecord>,
    /// Findings of sessions that had not finished (they run again), dropped.
    pub dropped_findings: usize,
    /// A half-written last line was cut off (findings or journal): bytes cut.
    pub cut_bytes: usize,
    /// Case files of sessions that had not finished, removed.
    pub removed_cases: usize,
}

impl Recovered {
    pub fn finished(&self) -> BTreeSet<u64> {
        self.sessions.keys().copied().collect()
    }
}

/// Makes the output directory of an interrupted campaign consistent, and reads what it
/// finished. Errors name the file and line at fault.
pub fn recover(dir: &Path) -> anyhow::Result<Recovered> {
    let mut out = Recovered::default();
    let journal = dir.join(SESSIONS_FILE);
    let (lines, cut) = whole_lines(&journal)?;
    out.cut_bytes += cut;
    for (i, line) in lines.iter().enumerate() {
        let r: SessionRecord = serde_json::from_str(line)
            .map_err(|e| anyhow!("{}: line {}: {e}", journal.display(), i + 1))?;
        out.sessions.insert(r.session, r);
    }
    let findings = dir.join("findings.jsonl");
    if findings.exists() {
        let (lines, cut) = whole_lines(&findings)?;
        out.cut_bytes += cut;
        let mut kept = String::new();
        for (i, line) in lines.iter().enumerate() {
            let f: Finding = serde_json::from_str(line)
                .map_err(|e| anyhow!("{}: line {}: {e}", findings.display(), i + 1))?;
            if out.sessions.contains_key(&f.session) {
                kept.push_str(line);
                kept.push('\n');
            } else {
                out.dropped_findings += 1;
            }
        }
        let tmp = dir.join("findings.jsonl.tmp");
        std::fs::write(&tmp, kept).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &findings)
            .with_context(|| format!("replacing {}", findings.display()))?;
    }
    for sub in ["cases", "corpus"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(n) = session_of_case(&name) else {
                continue;
            };
            if !out.sessions.contains_key(&n) {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("removing {}", e.path().display()))?;
                out.removed_cases += 1;
            }
        }
    }
    Ok(out)
}

/// The session number a campaign's case file is named by (`000017-dovecot.imap`), if it
/// is one (minimal cases, `*.min.imap`, come after the campaign and are left alone).
fn session_of_case(name: &str) -> Option<u64> {
    if !name.ends_with(".imap") || name.ends_with(".min.imap") {
        return None;
    }
    let (digits, rest) = name.split_at(name.find(|c: char| !c.is_ascii_digit())?);
    if digits.len() != 6 || !rest.starts_with('-') {
        return None;
    }
    digits.parse().ok()
}

/// The whole (newline-ended, non-empty) lines of a file, after cutting off a last line
/// without its newline (half-written when the process was killed); and the bytes cut.
fn whole_lines(path: &Path) -> anyhow::Result<(Vec<String>, usize)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => bail!("reading {}: {e}", path.display()),
    };
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let cut = bytes.len() - whole;
    if cut > 0 {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        f.set_len(whole as u64)
            .with_context(|| format!("cutting the last line of {}", path.display()))?;
    }
    let text = std::str::from_utf8(&bytes[..whole])
        .map_err(|e| anyhow!("{}: not UTF-8: {e}", path.display()))?;
    Ok((
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        cut,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Kind;

    fn finding(session: u64, n: usize) -> Finding {
        Finding {
            id: format!("1.{session}.{n}"),
            target: "t".into(),
            targets: vec!["t".into()],
            kind: Kind::Warning,
            rule: None,
            quote: None,
            summary: "s".into(),
            command: "a1 NOOP".into(),
            expected: String::new(),
            observed: String::new(),
            case: format!("cases/{session:06}-t.imap"),
            cases: BTreeMap::new(),
            seed: 1,
            session,
            step: Some(0),
            cause: None,
        }
    }

    /// A fresh directory of its own for one test.
    fn scratch(test: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("imapconform-journal-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn line(f: &Finding) -> String {
        serde_json::to_string(f).unwrap() + "\n"
    }

    #[test]
    fn recovery_keeps_only_what_finished_sessions_wrote() {
        let dir = scratch("recovery");
        let d = dir.as_path();
        let j = Journal::create(d).unwrap();
        for s in [0, 2] {
            j.record(&SessionRecord {
                session: s,
                commands: 3,
                ..Default::default()
            })
            .unwrap();
        }
        // Session 1 wrote a finding and a case but never finished; session 3's finding
        // line was cut by the kill.
        let mut text = line(&finding(0, 0)) + &line(&finding(1, 0)) + &line(&finding(2, 0));
        text.push_str(&line(&finding(3, 0))[..20]);
        std::fs::write(d.join("findings.jsonl"), text).unwrap();
        std::fs::create_dir_all(d.join("cases")).unwrap();
        for name in [
            "000000-t.imap",
            "000001-t.imap",
            "000001-t.D0123456789ab.min.imap",
            "baseline-D0.imap",
        ] {
            std::fs::write(d.join("cases").join(name), "x").unwrap();
        }
        // And the journal's last line was cut too.
        let mut journal = OpenOptions::new()
            .append(true)
            .open(d.join(SESSIONS_FILE))
            .unwrap();
        journal.write_all(b"{\"session\":4,\"ki").unwrap();

        let r = recover(d).unwrap();
        assert_eq!(r.finished(), BTreeSet::from([0, 2]));
        assert_eq!(r.dropped_findings, 1);
        assert_eq!(r.cut_bytes, 20 + br#"{"session":4,"ki"#.len());
        assert_eq!(r.removed_cases, 1);
        let left = crate::report::read_findings(&d.join("findings.jsonl")).unwrap();
        let sessions: Vec<u64> = left.iter().map(|f| f.session).collect();
        assert_eq!(sessions, vec![0, 2]);
        assert!(!d.join("cases/000001-t.imap").exists());
        assert!(d.join("cases/000000-t.imap").exists());
        assert!(d.join("cases/000001-t.D0123456789ab.min.imap").exists());
        assert!(d.join("cases/baseline-D0.imap").exists());
        // The journal can be appended to again, line by line.
        Journal::append(d)
            .unwrap()
            .record(&SessionRecord {
                session: 1,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(recover(d).unwrap().finished(), BTreeSet::from([0, 1, 2]));
    }

    #[test]
    fn a_broken_line_inside_the_journal_is_an_error_naming_it() {
        let dir = scratch("broken");
        std::fs::write(
            dir.join(SESSIONS_FILE),
            "{\"session\":0}\nnot json\n{\"session\":1}\n",
        )
        .unwrap();
        let e = recover(&dir).unwrap_err().to_string();
        assert!(e.contains("sessions.jsonl: line 2"), "{e}");
    }

    #[test]
    fn case_names_give_their_session() {
        assert_eq!(session_of_case("000017-dovecot.imap"), Some(17));
        assert_eq!(session_of_case("000017-dovecot.D0a.min.imap"), None);
        assert_eq!(session_of_case("baseline-D01.imap"), None);
        assert_eq!(session_of_case("17-x.imap"), None);
    }

    #[test]
    fn the_run_record_reads_back() {
        let dir = scratch("run");
        RunRecord::write(&dir, vec!["--seed".into(), "3".into()]).unwrap();
        let r = RunRecord::read(&dir).unwrap();
        assert_eq!(r.args, vec!["--seed", "3"]);
        let e = RunRecord::read(&dir.join("nope")).unwrap_err();
        assert!(e.to_string().contains("run.json"), "{e}");
    }
}
