//! `DIR/results.json`: what a run found and what it exercised, in one document. The
//! reports (HTML matrix, Markdown, JUnit XML) are made from it, and scripts read it.
//!
//! `findings.jsonl` is written as findings are made; `results.json` is written when the
//! run ends (and again by `imapconform report`, `merge` and `baseline`), from the
//! findings file and what the run counted.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::distinct::DistinctFinding;
use crate::judge::{Kind, Tally};

/// The file name in a findings directory.
pub const RESULTS_FILE: &str = "results.json";

/// Format version of `results.json`.
pub const FORMAT: u32 = 1;

/// Everything the reports show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub format: u32,
    /// `imapconform 0.1.0`.
    pub tool: String,
    /// `campaign`, `race`, or `merge` of several.
    pub run: String,
    /// `rfc2060` or `rfc3501`: the document the oracle held servers to.
    pub profile: String,
    pub seed: Option<u64>,
    /// Shards merged into this result, or the one it is (`2/4`); empty for a whole run.
    #[serde(default)]
    pub shards: Vec<String>,
    /// RFC 3339 UTC time the run ended.
    pub finished: String,
    pub elapsed_secs: f64,
    /// Per target, in the order of the targets file.
    pub targets: Vec<TargetRun>,
    /// Findings in `findings.jsonl`.
    pub findings: u64,
    pub distinct: Vec<DistinctFinding>,
    /// Baseline entries not found again (`imapconform baseline`): reported as fixed.
    #[serde(default)]
    pub fixed: Vec<Fixed>,
    /// The baseline file this was compared with, if any.
    #[serde(default)]
    pub baseline: Option<String>,
    /// SIGINT or SIGTERM stopped the run before its end (`run --resume DIR` continues
    /// it): its findings were not verified or minimised.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

/// What a run did with one target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetRun {
    pub name: String,
    /// Sessions (or race scenarios) it ran.
    pub sessions: u64,
    /// Script commands sent, by command name ([`super::distinct::command_shape`]).
    pub commands: BTreeMap<String, u64>,
    /// The judges that ran on its answers: `syntax`, `end`, `tags`, `mutation`,
    /// `capabilities`, `eight-bit`, `oracle`, `differential`, `race`.
    pub judges: Vec<String>,
    /// Exchanges the oracle judged, and exchanges in all.
    pub oracle_judged: u64,
    pub oracle_total: u64,
    /// Exchanges of `oracle_total` the oracle did not follow because it stopped at or
    /// after an exchange where this target broke a rule (a violation, syntax finding,
    /// crash or timeout); the rest of the shortfall is gaps in the model.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub oracle_lost_after_fault: u64,
    /// Why the oracle stopped following its sessions: each reason (a named gap in the
    /// model, [`crate::judge::oracle::Gap`]) with the sessions it stopped, most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oracle_stops: Vec<ReasonCount>,
    /// What the oracle passed over and followed on (responses read leniently or not at
    /// all, mutated commands), with how often, most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oracle_skipped: Vec<ReasonCount>,
    /// Serves the model (not compared by the differential judge).
    #[serde(default)]
    pub model: bool,
    /// Why it was dropped (cannot connect, log in or reset), if it was.
    #[serde(default)]
    pub setup_error: Option<String>,
    /// Each time its `restart` hook started it again: the setup error that made it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restarts: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A reason and how often it occurred.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// Counts by reason as `results.json` lists them: most frequent first.
pub fn reason_counts(counts: &BTreeMap<String, u64>) -> Vec<ReasonCount> {
    crate::judge::oracle::ranked(counts)
        .into_iter()
        .map(|(reason, count)| ReasonCount {
            reason: reason.to_string(),
            count,
        })
        .collect()
}

impl TargetRun {
    /// How far the oracle followed this target's sessions.
    pub fn oracle_tally(&self) -> Tally {
        let back = |v: &[ReasonCount]| -> BTreeMap<String, u64> {
            v.iter().map(|r| (r.reason.clone(), r.count)).collect()
        };
        Tally {
            judged: self.oracle_judged,
            total: self.oracle_total,
            stops: back(&self.oracle_stops),
            skipped: back(&self.oracle_skipped),
            lost_after_fault: self.oracle_lost_after_fault,
        }
    }

    /// Sets how far the oracle followed this target's sessions.
    pub fn set_oracle_tally(&mut self, t: &Tally) {
        self.oracle_judged = t.judged;
        self.oracle_total = t.total;
        self.oracle_lost_after_fault = t.lost_after_fault;
        self.oracle_stops = reason_counts(&t.stops);
        self.oracle_skipped = reason_counts(&t.skipped);
    }
}

/// A baseline entry that the run did not find again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixed {
    pub id: String,
    pub kind: Kind,
    pub rule: Option<String>,
    pub summary: String,
    pub targets: Vec<String>,
    /// The baseline's reason for having accepted it.
    pub reason: String,
    /// How it was found to be gone: "not found again, and its minimal case no longer
    /// shows it", or "not found again" when there was no case to replay.
    pub how: String,
}

impl Results {
    /// Reads `DIR/results.json`.
    pub fn read(dir: &Path) -> anyhow::Result<Results> {
        let path = dir.join(RESULTS_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let r: Results = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a results file: {e}", path.display()))?;
        if r.format != FORMAT {
            anyhow::bail!(
                "{}: results format {} (this imapconform reads format {FORMAT})",
                path.display(),
                r.format
            );
        }
        Ok(r)
    }

    /// Writes `DIR/results.json` (to a temporary file first, then renamed, so a reader
    /// never sees half a file).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(RESULTS_FILE);
        let tmp = dir.join(format!("{RESULTS_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).expect("results serialise");
        std::fs::write(&tmp, text + "\n")
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        Ok(())
    }

    /// Distinct findings not in the baseline (all of them when there is no baseline).
    pub fn new_findings(&self) -> impl Iterator<Item = &DistinctFinding> {
        self.distinct
            .iter()
            .filter(|d| !matches!(d.baseline, Some(super::distinct::BaselineState::Known(_))))
    }

    /// The worst kind among the findings that count: the new ones when compared with a
    /// baseline, all of them otherwise.
    pub fn worst_new(&self) -> Option<Kind> {
        self.new_findings().map(|d| d.kind).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::distinct::{dedup, BaselineState};
    use crate::report::Finding;

    #[test]
    fn results_round_trip_and_only_new_findings_count() {
        let f = Finding {
            id: "1.1.0".into(),
            target: "x".into(),
            targets: vec!["x".into()],
            kind: Kind::Syntax,
            rule: Some("2060-9-msg-att".into()),
            quote: None,
            summary: "s".into(),
            command: "a1 FETCH 1 FLAGS\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: "cases/000001-x.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: Some(0),
            cause: None,
        };
        let mut r = Results {
            format: FORMAT,
            distinct: dedup(&[f]),
            ..Results::default()
        };
        assert_eq!(r.worst_new(), Some(Kind::Syntax));
        r.distinct[0].baseline = Some(BaselineState::Known("reported upstream".into()));
        assert_eq!(r.worst_new(), None);
        let dir = std::env::temp_dir().join(format!("imapconform-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        r.write(&dir).unwrap();
        assert_eq!(Results::read(&dir).unwrap(), r);
        std::fs::write(dir.join(RESULTS_FILE), "{\"format\": 99}").unwrap();
        let err = Results::read(&dir).unwrap_err().to_string();
        assert!(
            err.contains("not a results file") || err.contains("format 99"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_older_results_file_without_the_oracle_reasons_still_reads() {
        let old = r#"{"format": 1, "tool": "imapconform 0.1.0", "run": "campaign",
            "profile": "rfc2060", "seed": 7, "finished": "x", "elapsed_secs": 1.0,
            "targets": [{"name": "dovecot", "sessions": 2, "commands": {},
                "judges": ["oracle"], "oracle_judged": 3, "oracle_total": 4}],
            "findings": 0, "distinct": []}"#;
        let r: Results = serde_json::from_str(old).unwrap();
        let t = r.targets[0].oracle_tally();
        assert_eq!((t.judged, t.total), (3, 4));
        assert!(t.stops.is_empty());
    }

    #[test]
    fn the_reasons_to_stop_are_listed_most_frequent_first_and_read_back() {
        let mut tally = Tally {
            judged: 7,
            total: 9,
            ..Tally::default()
        };
        tally.stops.insert("a rare gap".into(), 1);
        tally.stops.insert("the common gap".into(), 5);
        tally
            .skipped
            .insert("an untagged response read leniently".into(), 2);
        let mut run = TargetRun::default();
        run.set_oracle_tally(&tally);
        assert_eq!(run.oracle_stops[0].reason, "the common gap");
        assert_eq!(run.oracle_stops[1].count, 1);
        let text = serde_json::to_string(&run).unwrap();
        let back: TargetRun = serde_json::from_str(&text).unwrap();
        assert_eq!(back.oracle_tally(), tally);
    }
}
