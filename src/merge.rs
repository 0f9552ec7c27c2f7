//! `imapconform merge`: the directories of a sharded campaign (`run --shard K/N`) made
//! into one, as if one machine had run them all (issue 5 §6).
//!
//! The shards of one campaign use the same session numbers as the whole campaign, so
//! their finding ids and case file names never clash: `findings.jsonl` files are
//! concatenated in the order given, `cases/` and `corpus/` copied side by side (a file of
//! the same name with other content means the directories are not shards of one
//! campaign, and is an error), and `results.json` merged by [`merge_results`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::report::distinct::{self, DistinctFinding};
use crate::report::results::{Results, TargetRun, FORMAT, RESULTS_FILE};
use crate::report::{read_findings, Finding};

/// The findings file of a findings directory.
pub const FINDINGS_FILE: &str = "findings.jsonl";

/// The subdirectories copied into the merged directory.
pub const COPIED: [&str; 2] = ["cases", "corpus"];

/// One shard's directory, read.
#[derive(Clone, Debug)]
pub struct Part {
    /// The directory, as given.
    pub dir: PathBuf,
    pub findings: Vec<Finding>,
    /// Its `results.json`, if it has one.
    pub results: Option<Results>,
}

impl Part {
    /// Reads `DIR/findings.jsonl` (required) and `DIR/results.json` (if present).
    pub fn read(dir: &Path) -> anyhow::Result<Part> {
        if !dir.is_dir() {
            anyhow::bail!("{}: no such directory", dir.display());
        }
        let file = dir.join(FINDINGS_FILE);
        if !file.is_file() {
            anyhow::bail!(
                "{}: no {FINDINGS_FILE}: not the output directory of `imapconform run`",
                dir.display()
            );
        }
        let findings = read_findings(&file)?;
        let results = if dir.join(RESULTS_FILE).exists() {
            Some(Results::read(dir)?)
        } else {
            None
        };
        Ok(Part {
            dir: dir.to_path_buf(),
            findings,
            results,
        })
    }

    /// Its distinct findings: those of its `results.json` (with minimal cases and
    /// verification), or its findings grouped by [`distinct::dedup`].
    fn distinct(&self) -> Vec<DistinctFinding> {
        match &self.results {
            Some(r) => r.distinct.clone(),
            None => distinct::dedup(&self.findings),
        }
    }
}

/// Merges the parts' results into one `results.json` document, `run = "merge"`:
///
/// - distinct findings: each part's (from its `results.json`, or by
///   [`distinct::dedup`] of its findings when it has none) combined by
///   [`distinct::merge`]; shards hold disjoint sessions, so the counts add up;
/// - targets, in order of first appearance: sessions, commands per name and oracle
///   numbers summed, judges unioned, the first setup error kept (naming its shard);
/// - `shards`: each part's own `shards` (e.g. `2/4`), or its directory when it has none;
/// - `seed` and `profile` where all parts agree (`profile` otherwise lists them);
///   `finished` the latest, `elapsed_secs` the longest (shards run side by side);
/// - when every part was checked against the same baseline, the states are kept and
///   `fixed` holds the entries fixed in every part; otherwise neither is kept (run
///   `imapconform baseline check` on the merged directory).
pub fn merge_results(parts: &[Part]) -> Results {
    let results: Vec<&Results> = parts.iter().filter_map(|p| p.results.as_ref()).collect();
    let mut shards = Vec::new();
    for p in parts {
        match &p.results {
            Some(r) if !r.shards.is_empty() => shards.extend(r.shards.iter().cloned()),
            _ => shards.push(p.dir.display().to_string()),
        }
    }
    let mut seeds: Vec<Option<u64>> = results.iter().map(|r| r.seed).collect();
    seeds.extend(
        parts
            .iter()
            .filter(|p| p.results.is_none())
            .flat_map(|p| p.findings.first().map(|f| Some(f.seed))),
    );
    seeds.dedup();
    let mut profiles: Vec<&str> = Vec::new();
    for r in &results {
        if !r.profile.is_empty() && !profiles.contains(&r.profile.as_str()) {
            profiles.push(&r.profile);
        }
    }
    let mut targets: Vec<TargetRun> = Vec::new();
    for (p, r) in parts
        .iter()
        .filter_map(|p| p.results.as_ref().map(|r| (p, r)))
    {
        for t in &r.targets {
            let into = match targets.iter_mut().position(|x| x.name == t.name) {
                Some(i) => &mut targets[i],
                None => {
                    targets.push(TargetRun {
                        name: t.name.clone(),
                        model: t.model,
                        ..TargetRun::default()
                    });
                    targets.last_mut().expect("just pushed")
                }
            };
            add_target(into, t, &p.dir);
        }
    }
    let same_baseline = !results.is_empty()
        && results.len() == parts.len()
        && results[0].baseline.is_some()
        && results.iter().all(|r| r.baseline == results[0].baseline);
    let mut merged = distinct::merge(parts.iter().map(Part::distinct).collect());
    let mut fixed = Vec::new();
    if same_baseline {
        // A finding known in one part is known in all (one baseline); a finding that
        // only some parts made is new or known as the part that made it says.
        fixed = results[0]
            .fixed
            .iter()
            .filter(|f| {
                results.iter().all(|r| r.fixed.iter().any(|g| g.id == f.id))
                    && !merged.iter().any(|d| d.id == f.id)
            })
            .cloned()
            .collect();
    } else {
        for d in &mut merged {
            d.baseline = None;
        }
    }
    Results {
        format: FORMAT,
        tool: results
            .first()
            .map(|r| r.tool.clone())
            .unwrap_or_else(|| format!("imapconform {}", env!("CARGO_PKG_VERSION"))),
        run: "merge".into(),
        profile: profiles.join(","),
        seed: match seeds.as_slice() {
            [one] => *one,
            _ => None,
        },
        shards,
        finished: results
            .iter()
            .map(|r| r.finished.clone())
            .max()
            .unwrap_or_default(),
        elapsed_secs: results.iter().map(|r| r.elapsed_secs).fold(0.0, f64::max),
        targets,
        findings: parts.iter().map(|p| p.findings.len() as u64).sum(),
        distinct: merged,
        fixed,
        baseline: if same_baseline {
            results[0].baseline.clone()
        } else {
            None
        },
        interrupted: results.iter().any(|r| r.interrupted),
    }
}

/// Adds one shard's counts for a target to the merged ones.
fn add_target(into: &mut TargetRun, t: &TargetRun, dir: &Path) {
    into.sessions += t.sessions;
    for (name, n) in &t.commands {
        *into.commands.entry(name.clone()).or_default() += n;
    }
    for j in &t.judges {
        if !into.judges.contains(j) {
            into.judges.push(j.clone());
        }
    }
    let mut tally = into.oracle_tally();
    tally.merge(&t.oracle_tally());
    into.set_oracle_tally(&tally);
    into.model |= t.model;
    if into.setup_error.is_none() {
        into.setup_error = t
            .setup_error
            .as_ref()
            .map(|e| format!("{e} (in {})", dir.display()));
    }
    into.restarts.extend(
        t.restarts
            .iter()
            .map(|why| format!("{why} (in {})", dir.display())),
    );
}

/// What [`merge_dirs`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub findings: u64,
    pub distinct: usize,
    /// Files copied into `OUT/cases/` and `OUT/corpus/`.
    pub files: u64,
    /// Whether every part had a `results.json` (else some distinct findings were
    /// recomputed from `findings.jsonl`, without minimal cases).
    pub all_results: bool,
}

/// `imapconform merge DIR... --out OUT`: reads every directory first (so a bad one
/// leaves OUT untouched), copies `cases/` and `corpus/`, writes the concatenated
/// `findings.jsonl` and the merged `results.json`.
pub fn merge_dirs(dirs: &[PathBuf], out: &Path) -> anyhow::Result<Merged> {
    if dirs.is_empty() {
        anyhow::bail!("nothing to merge: name the shard directories");
    }
    for d in dirs {
        if same_dir(d, out) {
            anyhow::bail!(
                "--out {} is one of the directories merged; write the merge elsewhere",
                out.display()
            );
        }
    }
    for (i, a) in dirs.iter().enumerate() {
        if let Some(b) = dirs[..i].iter().find(|b| same_dir(a, b)) {
            anyhow::bail!(
                "{} and {} are the same directory: its findings would count twice",
                b.display(),
                a.display()
            );
        }
    }
    let parts = dirs
        .iter()
        .map(|d| Part::read(d))
        .collect::<anyhow::Result<Vec<Part>>>()?;
    check_distinct_shards(&parts)?;
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("creating {}: {e}", out.display()))?;
    let mut origin: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut files = 0;
    for p in &parts {
        for sub in COPIED {
            files += copy_tree(&p.dir.join(sub), &out.join(sub), &mut origin)?;
        }
    }
    let mut text = String::new();
    for p in &parts {
        let file = p.dir.join(FINDINGS_FILE);
        let t = std::fs::read_to_string(&file)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
        text.push_str(&t);
        if !t.is_empty() && !t.ends_with('\n') {
            text.push('\n');
        }
    }
    let file = out.join(FINDINGS_FILE);
    std::fs::write(&file, text).map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
    let results = merge_results(&parts);
    results.write(out)?;
    Ok(Merged {
        findings: results.findings,
        distinct: results.distinct.len(),
        files,
        all_results: parts.iter().all(|p| p.results.is_some()),
    })
}

/// Refuses two parts that say they are the same shard (`1/4` twice: a directory copied,
/// whose findings would count twice).
pub fn check_distinct_shards(parts: &[Part]) -> anyhow::Result<()> {
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for p in parts {
        for shard in p.results.iter().flat_map(|r| r.shards.iter()) {
            if let Some(first) = seen.insert(shard, &p.dir) {
                anyhow::bail!(
                    "{} and {} are both shard {shard}: its findings would count twice",
                    first.display(),
                    p.dir.display()
                );
            }
        }
    }
    Ok(())
}

/// Copies the files under `from` (absent: nothing) into `to`. A file already there with
/// the same bytes is left; with other bytes it is an error naming both files. `origin`
/// remembers where each copied file came from.
fn copy_tree(
    from: &Path,
    to: &Path,
    origin: &mut BTreeMap<PathBuf, PathBuf>,
) -> anyhow::Result<u64> {
    if !from.is_dir() {
        return Ok(0);
    }
    std::fs::create_dir_all(to).map_err(|e| anyhow::anyhow!("creating {}: {e}", to.display()))?;
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", from.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", from.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut n = 0;
    for e in entries {
        let src = e.path();
        let dst = to.join(e.file_name());
        if src.is_dir() {
            n += copy_tree(&src, &dst, origin)?;
            continue;
        }
        let bytes =
            std::fs::read(&src).map_err(|e| anyhow::anyhow!("reading {}: {e}", src.display()))?;
        if dst.exists() {
            let there = std::fs::read(&dst)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", dst.display()))?;
            if there == bytes {
                continue;
            }
            match origin.get(&dst) {
                Some(other) => anyhow::bail!(
                    "{} and {} have the same name and different content: not shards of one campaign",
                    other.display(),
                    src.display()
                ),
                None => anyhow::bail!(
                    "{} (already in the output directory) and {} differ: merge into a new directory",
                    dst.display(),
                    src.display()
                ),
            }
        }
        std::fs::write(&dst, &bytes)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", dst.display()))?;
        origin.insert(dst, src);
        n += 1;
    }
    Ok(n)
}

/// Whether two paths name the same existing directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Kind;
    use crate::report::distinct::BaselineState;
    use crate::report::results::Fixed;

    fn finding(session: u64, rule: &str) -> Finding {
        Finding {
            id: format!("7.{session}.0"),
            target: "cyrus".into(),
            targets: vec!["cyrus".into()],
            kind: Kind::Violation,
            rule: Some(rule.into()),
            quote: None,
            summary: format!("{rule} broken"),
            command: "a1 NOOP\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: format!("cases/{session:06}-cyrus.imap"),
            cases: BTreeMap::new(),
            seed: 7,
            session,
            step: Some(0),
            cause: None,
        }
    }

    fn target(name: &str, sessions: u64, judges: &[&str]) -> TargetRun {
        TargetRun {
            name: name.into(),
            sessions,
            commands: BTreeMap::from([("NOOP".to_string(), sessions * 2)]),
            judges: judges.iter().map(|s| s.to_string()).collect(),
            oracle_judged: sessions,
            oracle_total: sessions * 2,
            oracle_stops: vec![crate::report::results::ReasonCount {
                reason: "COPY has effects the model cannot predict".into(),
                count: sessions,
            }],
            model: false,
            setup_error: None,
            restarts: Vec::new(),
            ..TargetRun::default()
        }
    }

    fn part(dir: &str, shard: &str, findings: Vec<Finding>, targets: Vec<TargetRun>) -> Part {
        Part {
            dir: dir.into(),
            results: Some(Results {
                format: FORMAT,
                tool: "imapconform 0.1.0".into(),
                run: "campaign".into(),
                profile: "rfc2060".into(),
                seed: Some(7),
                shards: vec![shard.into()],
                finished: format!("2026-11-27T0{}:00:00Z", shard.len()),
                elapsed_secs: 10.0 * shard.len() as f64,
                targets,
                findings: findings.len() as u64,
                distinct: distinct::dedup(&findings),
                fixed: Vec::new(),
                baseline: None,
                interrupted: false,
            }),
            findings,
        }
    }

    #[test]
    fn shards_merge_into_the_whole_campaign() {
        let a = part(
            "s1",
            "1/2",
            vec![finding(0, "r1"), finding(2, "r2")],
            vec![
                target("cyrus", 3, &["syntax", "oracle"]),
                target("dovecot", 3, &["syntax"]),
            ],
        );
        let mut b = part(
            "s2",
            "2/2",
            vec![finding(1, "r1")],
            vec![target("cyrus", 2, &["syntax", "differential"])],
        );
        b.results.as_mut().unwrap().targets[0].setup_error = Some("cannot log in".into());
        let r = merge_results(&[a, b]);
        assert_eq!(r.run, "merge");
        assert_eq!(r.shards, ["1/2", "2/2"]);
        assert_eq!(r.findings, 3);
        assert_eq!(r.seed, Some(7));
        assert_eq!(r.profile, "rfc2060");
        assert_eq!(r.distinct.len(), 2);
        assert_eq!(r.distinct[0].count, 2, "r1 is in both shards");
        assert_eq!(r.targets.len(), 2);
        let cyrus = &r.targets[0];
        assert_eq!(cyrus.name, "cyrus");
        assert_eq!(cyrus.sessions, 5);
        assert_eq!(cyrus.commands["NOOP"], 10);
        assert_eq!((cyrus.oracle_judged, cyrus.oracle_total), (5, 10));
        // The reasons to stop add up over the shards.
        assert_eq!(cyrus.oracle_stops.len(), 1);
        assert_eq!(cyrus.oracle_stops[0].count, 5);
        assert_eq!(cyrus.judges, ["syntax", "oracle", "differential"]);
        assert_eq!(cyrus.setup_error.as_deref(), Some("cannot log in (in s2)"));
        assert_eq!(r.elapsed_secs, 30.0);
        assert!(r.baseline.is_none() && r.fixed.is_empty());
    }

    #[test]
    fn the_same_shard_twice_is_refused() {
        let a = part("out/a", "2/4", vec![finding(1, "r1")], vec![]);
        let b = part("out/b", "2/4", vec![finding(1, "r1")], vec![]);
        let c = part("out/c", "3/4", vec![finding(2, "r1")], vec![]);
        assert!(check_distinct_shards(&[a.clone(), c]).is_ok());
        let e = check_distinct_shards(&[a, b]).unwrap_err().to_string();
        assert_eq!(
            e,
            "out/a and out/b are both shard 2/4: its findings would count twice"
        );
    }

    #[test]
    fn a_shard_without_results_is_grouped_from_its_findings() {
        let a = part("s1", "1/2", vec![finding(0, "r1")], vec![]);
        let b = Part {
            dir: "out/s2".into(),
            findings: vec![finding(1, "r1"), finding(3, "r1")],
            results: None,
        };
        let r = merge_results(&[a, b]);
        assert_eq!(r.shards, ["1/2", "out/s2"]);
        assert_eq!(r.distinct.len(), 1);
        assert_eq!(r.distinct[0].count, 3);
        assert_eq!(r.findings, 3);
    }

    #[test]
    fn baseline_states_survive_only_when_every_shard_used_the_same_baseline() {
        let fixed = |id: &str| Fixed {
            id: id.into(),
            kind: Kind::Syntax,
            rule: None,
            summary: "s".into(),
            targets: vec!["cyrus".into()],
            reason: "r".into(),
            how: "not found again".into(),
        };
        let mut a = part("s1", "1/2", vec![finding(0, "r1")], vec![]);
        let mut b = part("s2", "2/2", vec![finding(1, "r2")], vec![]);
        for (p, fixed_ids) in [
            (&mut a, ["Daaaaaaaaaaaa", "Dbbbbbbbbbbbb"]),
            (&mut b, ["Daaaaaaaaaaaa", "Dcccccccccccc"]),
        ] {
            let r = p.results.as_mut().unwrap();
            r.baseline = Some("ci/baseline.toml".into());
            r.fixed = fixed_ids.iter().map(|i| fixed(i)).collect();
            r.distinct[0].baseline = Some(BaselineState::Known("k".into()));
        }
        let r = merge_results(&[a.clone(), b.clone()]);
        assert_eq!(r.baseline.as_deref(), Some("ci/baseline.toml"));
        let ids: Vec<&str> = r.fixed.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["Daaaaaaaaaaaa"], "fixed only where no shard found it");
        assert!(r
            .distinct
            .iter()
            .all(|d| matches!(d.baseline, Some(BaselineState::Known(_)))));
        b.results.as_mut().unwrap().baseline = None;
        let r = merge_results(&[a, b]);
        assert!(r.baseline.is_none() && r.fixed.is_empty());
        assert!(r.distinct.iter().all(|d| d.baseline.is_none()));
    }

    #[test]
    fn copying_refuses_a_clash_and_names_both_files() {
        let tmp = std::env::temp_dir().join(format!("imapconform-merge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        for (shard, content) in [("s1", "one"), ("s2", "two")] {
            let cases = tmp.join(shard).join("cases");
            std::fs::create_dir_all(&cases).unwrap();
            std::fs::write(cases.join("000001-cyrus.imap"), content).unwrap();
            std::fs::write(cases.join(format!("{shard}.imap")), "same").unwrap();
        }
        let mut origin = BTreeMap::new();
        let out = tmp.join("out/cases");
        assert_eq!(
            copy_tree(&tmp.join("s1/cases"), &out, &mut origin).unwrap(),
            2
        );
        let e = copy_tree(&tmp.join("s2/cases"), &out, &mut origin)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&tmp.join("s1/cases/000001-cyrus.imap").display().to_string())
                && e.contains(&tmp.join("s2/cases/000001-cyrus.imap").display().to_string()),
            "{e}"
        );
        let e = merge_dirs(&[tmp.join("s1"), tmp.join("nope")], &tmp.join("m"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("s1: no findings.jsonl"), "{e}");
        std::fs::write(tmp.join("s1/findings.jsonl"), "").unwrap();
        let e = merge_dirs(&[tmp.join("s1"), tmp.join("nope")], &tmp.join("m"))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("nope: no such directory"), "{e}");
        assert!(
            !tmp.join("m").exists(),
            "nothing written before every part is read"
        );
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
