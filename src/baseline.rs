//! The baseline: the findings known per server, so that a run fails only on new ones
//! (issue 5 §4 Baselines).
//!
//! A baseline file is TOML, written by `imapconform baseline update` and edited by hand:
//! one `[[known]]` table per accepted distinct finding, keyed on its
//! [`Signature::id`](crate::report::distinct::Signature::id), with the reason it is
//! accepted. [`Baseline::apply`] marks each distinct finding of a run
//! [`BaselineState::Known`] or [`BaselineState::New`] and lists the entries the run did not
//! find again as fixed. [`Baseline::update`] adds a run's new findings and drops the
//! entries the run no longer shows. Both are pure; [`update_file`] does the file work
//! (reading, copying minimal cases next to the baseline, writing).
//!
//! ```toml
//! # imapconform baseline: findings known per server. A run checked against it fails only on findings not listed here.
//!
//! # mailutils
//! [[known]]
//! id = "D3fa2c1d09b2e"
//! targets = ["mailutils"]
//! kind = "syntax"
//! rule = "2060-9-msg-att"
//! command = "FETCH"
//! summary = "response does not match `msg-att`"
//! reason = "Mailutils writes ... (reported upstream)"
//! case = "baseline.cases/D3fa2c1d09b2e-000017-mailutils.min.imap"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::judge::Kind;
use crate::report::distinct::{BaselineState, DistinctFinding, Verification};
use crate::report::results::{Fixed, Results, RESULTS_FILE};

/// The first line of a written baseline.
pub const HEADER: &str = "# imapconform baseline: findings known per server. A run checked against it fails only on findings not listed here.";

/// How a fixed entry was found to be gone when no case was replayed.
pub const NOT_FOUND_AGAIN: &str = "not found again";

/// One `[[known]]` entry: a distinct finding accepted, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// The distinct finding's signature id (`D` and 12 hex digits).
    pub id: String,
    /// The targets it holds for; the first names the server it is grouped under.
    pub targets: Vec<String>,
    pub kind: Kind,
    pub rule: Option<String>,
    /// The command's shape (`FETCH`, `UID STORE`, `(setup)`); informational.
    pub command: String,
    /// The finding's summary; informational.
    pub summary: String,
    /// Why it is accepted (never empty).
    pub reason: String,
    /// The minimal case, relative to the baseline file's directory.
    pub case: Option<String>,
}

impl Known {
    /// An entry for a distinct finding, accepted for `reason`.
    pub fn from_distinct(d: &DistinctFinding, reason: &str) -> Known {
        Known {
            id: d.id.clone(),
            targets: d.targets.clone(),
            kind: d.kind,
            rule: d.rule.clone(),
            command: d.signature.command.clone(),
            summary: d.summary.clone(),
            reason: reason.to_string(),
            case: None,
        }
    }

    /// The server it is grouped under in the file: its first target.
    pub fn server(&self) -> &str {
        self.targets.first().map(String::as_str).unwrap_or("")
    }
}

/// A baseline file's entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Where it was read from, as given (recorded in `results.baseline`).
    pub source: String,
    pub known: Vec<Known>,
}

/// The keys a `[[known]]` entry may have.
const KEYS: [&str; 8] = [
    "id", "targets", "kind", "rule", "command", "summary", "reason", "case",
];

impl Baseline {
    /// Reads and parses a baseline file.
    pub fn read(path: &Path) -> anyhow::Result<Baseline> {
        if !path.exists() {
            anyhow::bail!(
                "baseline {}: no such file (create it with `imapconform baseline update --baseline {} DIR`)",
                path.display(),
                path.display()
            );
        }
        let text = crate::input::read_text(path, "baseline", crate::input::CONFIG_LIMIT)
            .map_err(anyhow::Error::msg)?;
        Baseline::parse(&text, &path.display().to_string())
    }

    /// Parses a baseline's text; `source` names it in errors. Every entry needs an `id`
    /// (`D` and 12 hex digits, once in the file), `targets`, a known `kind` and a
    /// non-empty `reason`; keys other than those of [`Known`] are refused (a misspelt
    /// `reason` would otherwise be lost).
    pub fn parse(text: &str, source: &str) -> anyhow::Result<Baseline> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| format!("line {}: ", line_of(text, s.start)))
                .unwrap_or_default();
            anyhow::anyhow!(
                "{source}: {line}not TOML: {}",
                crate::input::one_line(e.message())
            )
        })?;
        for key in table.keys() {
            if key != "known" {
                anyhow::bail!(
                    "{source}: unknown top-level key `{key}` (a baseline holds only [[known]] tables)"
                );
            }
        }
        let entries = match table.get("known") {
            None => {
                return Ok(Baseline {
                    source: source.into(),
                    known: Vec::new(),
                })
            }
            Some(toml::Value::Array(a)) => a,
            Some(_) => anyhow::bail!("{source}: `known` must be written as [[known]] tables"),
        };
        let lines = entry_lines(text);
        let mut known = Vec::with_capacity(entries.len());
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, v) in entries.iter().enumerate() {
            let n = i + 1;
            let at = match lines.get(i) {
                Some(line) => format!("{source}: line {line}: entry {n}"),
                None => format!("{source}: entry {n}"),
            };
            let k = parse_entry(v).map_err(|(id, what)| match id {
                Some(id) => anyhow::anyhow!("{at} (id {id}): {what}"),
                None => anyhow::anyhow!("{at}: {what}"),
            })?;
            if let Some(first) = seen.insert(k.id.clone(), n) {
                anyhow::bail!(
                    "{at} (id {}): duplicate id, entry {first} has it already",
                    k.id
                );
            }
            known.push(k);
        }
        Ok(Baseline {
            source: source.into(),
            known,
        })
    }

    /// The file's text: [`HEADER`], then the entries grouped by server (first target,
    /// alphabetically), a comment line naming each server, within a server the most
    /// severe kind first, then by id. [`Baseline::parse`] reads it back unchanged (other
    /// comments are not kept).
    pub fn to_toml(&self) -> String {
        let mut entries: Vec<&Known> = self.known.iter().collect();
        entries.sort_by(|a, b| {
            a.server()
                .cmp(b.server())
                .then(b.kind.cmp(&a.kind))
                .then(a.id.cmp(&b.id))
        });
        let mut out = format!("{HEADER}\n");
        let mut server: Option<&str> = None;
        for k in entries {
            if server != Some(k.server()) {
                server = Some(k.server());
                // A comment holds no control character (TOML 1.0): a name with one
                // (a baseline edited by hand) is shown escaped.
                out.push_str(&format!("\n# {}\n", k.server().escape_debug()));
            } else {
                out.push('\n');
            }
            out.push_str("[[known]]\n");
            out.push_str(&format!("id = {}\n", quote(&k.id)));
            let targets = toml::Value::Array(
                k.targets
                    .iter()
                    .map(|t| toml::Value::String(t.clone()))
                    .collect(),
            );
            out.push_str(&format!("targets = {targets}\n"));
            out.push_str(&format!("kind = {}\n", quote(k.kind.as_str())));
            if let Some(rule) = &k.rule {
                out.push_str(&format!("rule = {}\n", quote(rule)));
            }
            out.push_str(&format!("command = {}\n", quote(&k.command)));
            out.push_str(&format!("summary = {}\n", quote(&k.summary)));
            out.push_str(&format!("reason = {}\n", quote(&k.reason)));
            if let Some(case) = &k.case {
                out.push_str(&format!("case = {}\n", quote(case)));
            }
        }
        out
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Known> {
        self.known.iter().find(|k| k.id == id)
    }

    /// Compares a run with the baseline: every distinct finding becomes
    /// [`BaselineState::Known`] (with the entry's reason) or [`BaselineState::New`];
    /// `results.fixed` becomes the entries the run did not find, in the baseline's order
    /// (how: [`NOT_FOUND_AGAIN`]); `results.baseline` names the baseline. Applying again
    /// (another baseline) replaces all three.
    pub fn apply(&self, results: &mut Results) {
        let by_id: BTreeMap<&str, &Known> = self.known.iter().map(|k| (k.id.as_str(), k)).collect();
        for d in &mut results.distinct {
            d.baseline = Some(match by_id.get(d.id.as_str()) {
                Some(k) => BaselineState::Known(k.reason.clone()),
                None => BaselineState::New,
            });
        }
        let found: BTreeSet<&str> = results.distinct.iter().map(|d| d.id.as_str()).collect();
        // How an entry was found gone, when the run (`run --baseline`) replayed its case.
        let how: BTreeMap<String, String> = std::mem::take(&mut results.fixed)
            .into_iter()
            .map(|f| (f.id, f.how))
            .collect();
        results.fixed = self
            .known
            .iter()
            .filter(|k| !found.contains(k.id.as_str()))
            .map(|k| Fixed {
                id: k.id.clone(),
                kind: k.kind,
                rule: k.rule.clone(),
                summary: k.summary.clone(),
                targets: k.targets.clone(),
                reason: k.reason.clone(),
                how: how
                    .get(&k.id)
                    .cloned()
                    .unwrap_or_else(|| NOT_FOUND_AGAIN.into()),
            })
            .collect();
        results.baseline = Some(self.source.clone());
    }

    /// Brings the baseline up to a run: adds its distinct findings that have no entry
    /// (with `reason`), keeps existing entries (and their reasons) that the run shows,
    /// and drops those it does not show unless `keep_fixed`. Returns what changed; the
    /// added entries have no `case` yet ([`update_file`] copies them).
    pub fn update(&mut self, results: &Results, reason: &str, keep_fixed: bool) -> Update {
        let found: BTreeSet<&str> = results.distinct.iter().map(|d| d.id.as_str()).collect();
        let mut update = Update::default();
        if !keep_fixed {
            let (kept, dropped): (Vec<Known>, Vec<Known>) = std::mem::take(&mut self.known)
                .into_iter()
                .partition(|k| found.contains(k.id.as_str()));
            self.known = kept;
            update.removed = dropped;
        }
        for d in &results.distinct {
            if self.get(&d.id).is_none() {
                self.known.push(Known::from_distinct(d, reason));
                update.added.push(d.id.clone());
            }
        }
        update.kept = self.known.len() - update.added.len();
        update
    }
}

/// What [`Baseline::update`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Ids of the entries added.
    pub added: Vec<String>,
    /// Entries dropped: the run did not show them.
    pub removed: Vec<Known>,
    /// Entries there before and still there.
    pub kept: usize,
}

/// `imapconform baseline update`: reads the baseline at `path` (none yet: an empty one),
/// applies [`Baseline::update`] with the run in `dir`, copies each added entry's minimal
/// case (`DIR/<minimal.case>`, where the file exists) to `<stem>.cases/<id>-<file name>`
/// next to the baseline and records it in `case`, removes the copied cases of dropped
/// entries, and writes the baseline. Returns the update and the baseline written.
pub fn update_file(
    path: &Path,
    dir: &Path,
    results: &Results,
    reason: &str,
    keep_fixed: bool,
) -> anyhow::Result<(Update, Baseline)> {
    let mut baseline = if path.exists() {
        Baseline::read(path)?
    } else {
        Baseline {
            source: path.display().to_string(),
            known: Vec::new(),
        }
    };
    let update = baseline.update(results, reason, keep_fixed);
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cases_dir_name = cases_dir_name(path);
    for k in &update.removed {
        if let Some(case) = &k.case {
            if Path::new(case).starts_with(&cases_dir_name) {
                let file = base_dir.join(case);
                if file.exists() {
                    std::fs::remove_file(&file)
                        .map_err(|e| anyhow::anyhow!("removing {}: {e}", file.display()))?;
                }
            }
        }
    }
    for id in &update.added {
        // The case a later run replays before calling the entry fixed: the minimal case,
        // or else the example the run verified (a flaky finding's case proves nothing).
        let Some(d) = results.distinct.iter().find(|d| &d.id == id) else {
            continue;
        };
        let case = match (&d.minimal, &d.verification) {
            (Some(min), _) => min.case.clone(),
            (None, Verification::Verified) => match d.examples.first() {
                Some(e) => e.case.clone(),
                None => continue,
            },
            _ => continue,
        };
        let from = dir.join(&case);
        if !from.is_file() {
            continue;
        }
        let name = format!(
            "{id}-{}",
            from.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("case.imap")
        );
        let rel = PathBuf::from(&cases_dir_name).join(&name);
        let to = base_dir.join(&rel);
        std::fs::create_dir_all(to.parent().expect("a case path has a parent")).map_err(|e| {
            anyhow::anyhow!("creating {}: {e}", base_dir.join(&cases_dir_name).display())
        })?;
        std::fs::copy(&from, &to)
            .map_err(|e| anyhow::anyhow!("copying {} to {}: {e}", from.display(), to.display()))?;
        if let Some(k) = baseline.known.iter_mut().find(|k| &k.id == id) {
            k.case = Some(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    if !base_dir.exists() {
        std::fs::create_dir_all(base_dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", base_dir.display()))?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, baseline.to_toml())
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok((update, baseline))
}

/// A run's results for checking: `DIR/results.json`, or when the run did not write one,
/// its `DIR/findings.jsonl` grouped by [`dedup`](crate::report::distinct::dedup).
pub fn read_run(dir: &Path) -> anyhow::Result<Results> {
    if dir.join(RESULTS_FILE).exists() {
        return Results::read(dir);
    }
    let file = dir.join(crate::merge::FINDINGS_FILE);
    if !dir.is_dir() {
        anyhow::bail!("{}: no such directory", dir.display());
    }
    if !file.is_file() {
        anyhow::bail!(
            "{}: neither {RESULTS_FILE} nor {}: not the output directory of `imapconform run`",
            dir.display(),
            crate::merge::FINDINGS_FILE
        );
    }
    let findings = crate::report::read_findings(&file)?;
    Ok(Results {
        format: crate::report::results::FORMAT,
        tool: format!("imapconform {}", env!("CARGO_PKG_VERSION")),
        run: "campaign".into(),
        seed: findings.first().map(|f| f.seed),
        findings: findings.len() as u64,
        distinct: crate::report::distinct::dedup(&findings),
        ..Results::default()
    })
}

/// What `imapconform baseline check` prints: the new, known and fixed findings, one line
/// each (id, kind, targets, rule, summary), then a count.
pub fn describe_check(results: &Results) -> String {
    let line = |id: &str, kind: Kind, targets: &[String], rule: &Option<String>, summary: &str| {
        format!(
            "  {id}  {:<10} {:<20} {:<32} {summary}\n",
            kind.as_str(),
            targets.join(","),
            rule.as_deref().unwrap_or("-")
        )
    };
    let (known, new): (Vec<&DistinctFinding>, Vec<&DistinctFinding>) = results
        .distinct
        .iter()
        .partition(|d| matches!(d.baseline, Some(BaselineState::Known(_))));
    let mut out = String::new();
    for (title, list) in [("new", &new), ("known", &known)] {
        out.push_str(&format!("{title} ({}):\n", list.len()));
        for d in list.iter() {
            out.push_str(&line(&d.id, d.kind, &d.targets, &d.rule, &d.summary));
        }
    }
    out.push_str(&format!("fixed ({}):\n", results.fixed.len()));
    for f in &results.fixed {
        out.push_str(&line(&f.id, f.kind, &f.targets, &f.rule, &f.summary));
    }
    out.push_str(&format!(
        "baseline {}: {} new, {} known, {} fixed\n",
        results.baseline.as_deref().unwrap_or("(none)"),
        new.len(),
        known.len(),
        results.fixed.len()
    ));
    out
}

/// `<stem>.cases`: where the minimal cases of a baseline file's entries are kept.
pub fn cases_dir_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("baseline");
    format!("{stem}.cases")
}

/// One `[[known]]` table, or the entry's id (when it has one) and what is wrong.
fn parse_entry(v: &toml::Value) -> Result<Known, (Option<String>, String)> {
    let Some(t) = v.as_table() else {
        return Err((None, "not a table".into()));
    };
    let id = match t.get("id") {
        None => return Err((None, "missing `id`".into())),
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err((
                None,
                format!("`id` must be a string, not {}", other.type_str()),
            ))
        }
    };
    let fail = |what: String| (Some(id.clone()), what);
    let well_formed = id.len() == 13
        && id.starts_with('D')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !well_formed {
        return Err(fail(format!(
            "`id` {id:?} is not a distinct finding's id (`D` and 12 lower-case hex digits, as in results.json)"
        )));
    }
    if let Some(key) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(fail(format!(
            "unknown key `{key}` (known keys: {})",
            KEYS.join(", ")
        )));
    }
    let string = |key: &str| -> Result<Option<String>, (Option<String>, String)> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(fail(format!(
                "`{key}` must be a string, not {}",
                other.type_str()
            ))),
        }
    };
    let kind = match string("kind")? {
        None => return Err(fail("missing `kind`".into())),
        Some(k) => k.parse::<Kind>().map_err(&fail)?,
    };
    let targets: Vec<String> = match t.get("targets") {
        None => return Err(fail("missing `targets`".into())),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| fail("`targets` must be a list of target names".into()))?,
        Some(other) => {
            return Err(fail(format!(
                "`targets` must be a list of target names, not {}",
                other.type_str()
            )))
        }
    };
    if targets.is_empty() || targets.iter().any(|t| t.trim().is_empty()) {
        return Err(fail(
            "`targets` must name at least one target, none empty".into(),
        ));
    }
    let reason = match string("reason")? {
        None => {
            return Err(fail(
                "missing `reason`: say why this finding is accepted".into(),
            ))
        }
        Some(r) if r.trim().is_empty() => {
            return Err(fail(
                "empty `reason`: say why this finding is accepted".into(),
            ))
        }
        Some(r) => r,
    };
    Ok(Known {
        targets,
        kind,
        rule: string("rule")?,
        command: string("command")?.unwrap_or_default(),
        summary: string("summary")?.unwrap_or_default(),
        reason,
        case: string("case")?,
        id,
    })
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The line of each `[[known]]` header, in order.
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.starts_with("[[") && l[2..].trim_start().starts_with("known")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::distinct::{dedup, Minimal};
    use crate::report::Finding;

    fn finding(n: u64, target: &str, kind: Kind, rule: &str) -> Finding {
        Finding {
            id: format!("1.{n}.0"),
            target: target.into(),
            targets: vec![target.into()],
            kind,
            rule: Some(rule.into()),
            quote: None,
            summary: format!("{rule} broken"),
            command: "a1 FETCH 1 FLAGS\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: format!("cases/{n:06}-{target}.imap"),
            cases: BTreeMap::new(),
            seed: 1,
            session: n,
            step: Some(0),
            cause: None,
        }
    }

    fn results(findings: &[Finding]) -> Results {
        Results {
            format: crate::report::results::FORMAT,
            distinct: dedup(findings),
            findings: findings.len() as u64,
            ..Results::default()
        }
    }

    fn entry(id: &str, reason: &str) -> String {
        format!(
            "[[known]]\nid = \"{id}\"\ntargets = [\"mailutils\"]\nkind = \"syntax\"\nreason = \"{reason}\"\n"
        )
    }

    #[test]
    fn a_written_baseline_reads_back_the_same_grouped_by_server() {
        let r = results(&[
            finding(1, "mailutils", Kind::Syntax, "2060-9-msg-att"),
            finding(2, "courier", Kind::Warning, "w"),
            finding(3, "mailutils", Kind::Crash, "c"),
        ]);
        let mut b = Baseline::default();
        b.update(&r, "reported \"upstream\"\nas #12", false);
        b.known[0].case = Some("baseline.cases/x.imap".into());
        let text = b.to_toml();
        assert!(text.starts_with(HEADER));
        let courier = text.find("# courier").unwrap();
        let mailutils = text.find("# mailutils").unwrap();
        assert!(courier < mailutils, "servers sorted:\n{text}");
        let crash = text.find("kind = \"crash\"").unwrap();
        let syntax = text.find("kind = \"syntax\"").unwrap();
        assert!(mailutils < crash && crash < syntax, "worst first:\n{text}");
        let back = Baseline::parse(&text, "b.toml").unwrap();
        let mut want = b.known.clone();
        want.sort_by(|a, b| a.id.cmp(&b.id));
        let mut got = back.known.clone();
        got.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(got, want);
    }

    #[test]
    fn an_entry_needs_a_reason_a_known_kind_and_a_unique_id() {
        let id = "D3fa2c1d09b2e";
        let err = |text: &str| {
            Baseline::parse(text, "ci/baseline.toml")
                .unwrap_err()
                .to_string()
        };
        let e = err(&format!(
            "{}\n{}",
            entry("D000000000001", "r"),
            entry(id, " ")
        ));
        assert_eq!(
            e,
            format!("ci/baseline.toml: line 7: entry 2 (id {id}): empty `reason`: say why this finding is accepted")
        );
        let e = err(&format!(
            "[[known]]\nid = \"{id}\"\ntargets = [\"m\"]\nkind = \"syntax\"\n"
        ));
        assert!(
            e.contains("entry 1 (id D3fa2c1d09b2e): missing `reason`"),
            "{e}"
        );
        let e = err(&entry(id, "r").replace("syntax", "bug"));
        assert!(
            e.contains("entry 1 (id D3fa2c1d09b2e): unknown finding kind `bug`"),
            "{e}"
        );
        let e = err(&format!("{}{}", entry(id, "a"), entry(id, "b")));
        assert!(
            e.contains("entry 2 (id D3fa2c1d09b2e): duplicate id, entry 1"),
            "{e}"
        );
        let e = err(&entry(id, "r").replace("reason", "reasn"));
        assert!(e.contains("unknown key `reasn`"), "{e}");
        let e = err(&entry("17", "r"));
        assert!(e.contains("entry 1 (id 17): `id` \"17\" is not"), "{e}");
        let e = err("[[known]]\ntargets = [\"m\"]\n");
        assert!(e.ends_with("entry 1: missing `id`"), "{e}");
        let e = err("# c\n[[known]\nid = 1\n");
        assert!(e.starts_with("ci/baseline.toml: line 2: not TOML"), "{e}");
        let e = err("[known]\n");
        assert!(e.contains("[[known]] tables"), "{e}");
    }

    /// Found by the `baseline_file` fuzz target: a server name with a CR made the
    /// grouping comment hold a bare CR, which TOML refuses, so the printed file did not
    /// parse back.
    #[test]
    fn a_server_name_with_a_control_character_prints_a_file_that_parses_back() {
        let text = "[[known]]\nid = \"Dc3fe6ae7770b\"\ntargets = [\"cou\\rier\", \"cyrus\"]\n\
                    kind = \"divergence\"\ncommand = \"S\"\nreason = \"r\"\n";
        let b = Baseline::parse(text, "b.toml").unwrap();
        assert_eq!(b.known[0].targets[0], "cou\rier");
        let printed = b.to_toml();
        assert!(printed.contains("# cou\\rier\n"), "{printed}");
        let again = Baseline::parse(&printed, "b.toml").expect("the printed file parses");
        assert_eq!(again.to_toml(), printed);
    }

    #[test]
    fn an_empty_file_is_an_empty_baseline() {
        assert!(Baseline::parse("# nothing yet\n", "b")
            .unwrap()
            .known
            .is_empty());
    }

    #[test]
    fn apply_marks_known_and_new_and_lists_what_is_gone_as_fixed() {
        let mut r = results(&[
            finding(1, "mailutils", Kind::Syntax, "a"),
            finding(2, "mailutils", Kind::Violation, "b"),
        ]);
        let known_id = r.distinct[0].id.clone();
        let text = format!(
            "{}{}",
            entry(&known_id, "upstream bug 7"),
            entry("D00000000000f", "gone?")
        );
        let b = Baseline::parse(&text, "ci/baseline.toml").unwrap();
        b.apply(&mut r);
        assert_eq!(
            r.distinct[0].baseline,
            Some(BaselineState::Known("upstream bug 7".into()))
        );
        assert_eq!(r.distinct[1].baseline, Some(BaselineState::New));
        assert_eq!(r.worst_new(), Some(Kind::Violation));
        assert_eq!(r.fixed.len(), 1);
        assert_eq!(r.fixed[0].id, "D00000000000f");
        assert_eq!(r.fixed[0].reason, "gone?");
        assert_eq!(r.fixed[0].how, NOT_FOUND_AGAIN);
        assert_eq!(r.baseline.as_deref(), Some("ci/baseline.toml"));
        let text = describe_check(&r);
        assert!(text.starts_with("new (1):\n  D"), "{text}");
        assert!(text.contains("known (1):\n"), "{text}");
        assert!(
            text.contains("fixed (1):\n  D00000000000f  syntax     mailutils"),
            "{text}"
        );
        assert!(text.ends_with("baseline ci/baseline.toml: 1 new, 1 known, 1 fixed\n"));
        // Applying an empty baseline makes everything new and nothing fixed.
        Baseline::default().apply(&mut r);
        assert!(r.fixed.is_empty());
        assert!(r
            .distinct
            .iter()
            .all(|d| d.baseline == Some(BaselineState::New)));
    }

    #[test]
    fn update_adds_new_findings_keeps_reasons_and_drops_what_is_gone() {
        let r = results(&[
            finding(1, "mailutils", Kind::Syntax, "a"),
            finding(2, "cyrus", Kind::Violation, "b"),
        ]);
        let kept_id = r.distinct[0].id.clone();
        let text = format!(
            "{}{}",
            entry(&kept_id, "hand-written"),
            entry("D00000000000f", "old")
        );
        let mut b = Baseline::parse(&text, "b.toml").unwrap();
        let mut keeping = b.clone();
        let u = b.update(&r, "accepted", false);
        assert_eq!(u.added, vec![r.distinct[1].id.clone()]);
        assert_eq!(u.removed.len(), 1);
        assert_eq!(u.removed[0].id, "D00000000000f");
        assert_eq!(u.kept, 1);
        assert_eq!(b.get(&kept_id).unwrap().reason, "hand-written");
        assert_eq!(b.get(&r.distinct[1].id).unwrap().reason, "accepted");
        assert_eq!(b.get(&r.distinct[1].id).unwrap().command, "FETCH");
        let u = keeping.update(&r, "accepted", true);
        assert!(u.removed.is_empty());
        assert_eq!(keeping.known.len(), 3);
        // After an update, the same run checks clean.
        let mut again = r.clone();
        b.apply(&mut again);
        assert_eq!(again.worst_new(), None);
        assert!(again.fixed.is_empty());
    }

    #[test]
    fn update_file_copies_minimal_cases_next_to_the_baseline() {
        let tmp = std::env::temp_dir().join(format!("imapconform-baseline-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let run = tmp.join("run");
        std::fs::create_dir_all(run.join("cases")).unwrap();
        std::fs::write(run.join("cases/000001-mailutils.min.imap"), "min case\n").unwrap();
        let mut r = results(&[finding(1, "mailutils", Kind::Syntax, "a")]);
        r.distinct[0].minimal = Some(Minimal {
            case: "cases/000001-mailutils.min.imap".into(),
            from: "cases/000001-mailutils.imap".into(),
            commands_before: 9,
            commands_after: 2,
            bytes_before: 90,
            bytes_after: 20,
            tests: 4,
            millis: 5,
            budget_spent: false,
        });
        let path = tmp.join("ci/known.toml");
        let (u, b) = update_file(&path, &run, &r, "initial", false).unwrap();
        assert_eq!(u.added.len(), 1);
        let id = &r.distinct[0].id;
        let case = format!("known.cases/{id}-000001-mailutils.min.imap");
        assert_eq!(b.known[0].case.as_deref(), Some(case.as_str()));
        assert_eq!(
            std::fs::read_to_string(tmp.join("ci").join(&case)).unwrap(),
            "min case\n"
        );
        let written = Baseline::read(&path).unwrap();
        assert_eq!(written.known, b.known);
        // A run without the finding drops the entry and its copied case.
        let (u, b) = update_file(&path, &run, &results(&[]), "x", false).unwrap();
        assert_eq!(u.removed.len(), 1);
        assert!(b.known.is_empty());
        assert!(!tmp.join("ci").join(&case).exists());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
