//! The end of a run: from the findings file to what people act on.
//!
//! Reads `DIR/findings.jsonl` back, groups it into distinct findings
//! ([`crate::report::distinct`]), minimises and verifies each ([`crate::minimize`]),
//! and makes `DIR/results.json`, the document the reports are made from.

use std::path::Path;
use std::time::Duration;

use crate::baseline::Baseline;
use crate::campaign::Summary;
use crate::case::Case;
use crate::judge::Kind;
use crate::minimize::{minimize_distinct, verify_all, MinimizeSummary, Runner, VERIFY_REPLAYS};
use crate::model::Profile;
use crate::report::distinct::{dedup, BaselineState, DistinctFinding, Example, Verification};
use crate::report::read_findings;
use crate::report::results::{Results, TargetRun, FORMAT};
use crate::targets::Target;

/// What a campaign exercised and found, before minimisation.
pub fn campaign_results(
    dir: &Path,
    summary: &Summary,
    targets: &[Target],
    oracle: Option<Profile>,
    seed: u64,
    shard: Option<String>,
) -> anyhow::Result<Results> {
    let findings = read_findings(&dir.join("findings.jsonl"))?;
    let compared = targets.iter().filter(|t| !t.model).count();
    let targets = targets
        .iter()
        .map(|t| {
            let (sessions, commands) = summary.exercised.get(&t.name).cloned().unwrap_or_default();
            let mut judges = vec![
                "syntax".to_string(),
                "end".into(),
                "tags".into(),
                "metamorphic".into(),
                "mutation".into(),
                "capabilities".into(),
                "eight-bit".into(),
            ];
            if oracle.is_some() {
                judges.push("oracle".into());
            }
            if !t.model && compared > 1 {
                judges.push("differential".into());
            }
            let tally = summary
                .oracle_coverage
                .get(&t.name)
                .cloned()
                .unwrap_or_default();
            let mut run = TargetRun {
                name: t.name.clone(),
                sessions,
                commands,
                judges,
                model: t.model,
                setup_error: summary.errors.get(&t.name).cloned(),
                restarts: summary.restarts.get(&t.name).cloned().unwrap_or_default(),
                ..TargetRun::default()
            };
            run.set_oracle_tally(&tally);
            run
        })
        .collect();
    Ok(Results {
        shards: shard.into_iter().collect(),
        ..results_of(
            "campaign",
            profile_name(oracle),
            seed,
            summary.elapsed,
            targets,
            &findings,
        )
    })
}

/// A run's results before minimisation and baseline: its findings grouped.
fn results_of(
    run: &str,
    profile: String,
    seed: u64,
    elapsed: Duration,
    targets: Vec<TargetRun>,
    findings: &[crate::report::Finding],
) -> Results {
    Results {
        format: FORMAT,
        tool: format!("imapconform {}", env!("CARGO_PKG_VERSION")),
        run: run.into(),
        profile,
        seed: Some(seed),
        shards: Vec::new(),
        finished: crate::campaign::rfc3339_now(),
        elapsed_secs: elapsed.as_secs_f64(),
        targets,
        findings: findings.len() as u64,
        distinct: dedup(findings),
        fixed: Vec::new(),
        baseline: None,
        interrupted: false,
    }
}

/// `rfc2060`, `rfc3501`, or `none` without the oracle.
pub fn profile_name(oracle: Option<Profile>) -> String {
    match oracle {
        Some(Profile::Rfc2060) => "rfc2060".into(),
        Some(Profile::Rfc3501) => "rfc3501".into(),
        None => "none".into(),
    }
}

/// Minimises and verifies the distinct findings of `results` within `total`, writing
/// `results.json` after each one, so that an interrupted minimisation loses nothing.
pub fn minimize_results(
    dir: &Path,
    results: &mut Results,
    runner: &Runner,
    total: Duration,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<MinimizeSummary> {
    results.write(dir)?;
    let started = std::time::Instant::now();
    // Every distinct finding is replayed before any is minimised, so that the time
    // budget never leaves one unverified.
    let (verified, flaky) = verify_all(dir, &mut results.distinct, runner);
    progress(&format!(
        "replayed every distinct finding's case {VERIFY_REPLAYS} times in {:.1} s: {verified} verified, {flaky} flaky",
        started.elapsed().as_secs_f64()
    ));
    results.write(dir)?;
    // The time given is for minimising; verifying every finding comes first, whatever
    // it costs.
    let started = std::time::Instant::now();
    let mut sum = MinimizeSummary::default();
    for i in 0..results.distinct.len() {
        let left = total.saturating_sub(started.elapsed());
        let s = minimize_distinct(
            dir,
            &mut results.distinct[i..=i],
            runner,
            left,
            &mut progress,
        );
        sum.minimized += s.minimized;
        sum.verified += s.verified;
        sum.flaky += s.flaky;
        sum.skipped += s.skipped;
        sum.commands_before += s.commands_before;
        sum.commands_after += s.commands_after;
        sum.tests += s.tests;
        results.write(dir)?;
    }
    sum.elapsed = started.elapsed();
    Ok(sum)
}

/// Baseline entries the run did not find again are replayed before they are called
/// fixed: a random campaign not meeting a bug does not show it is gone. Each entry with
/// a minimal case (`case`, relative to the baseline file) has it replayed
/// [`VERIFY_REPLAYS`] times on its targets from fresh state. Still shown: the entry is
/// not fixed; it joins the distinct findings as known, with a count of 0 (the run's own
/// sessions did not show it) and its case copied to `cases/baseline-FILE`. Not shown: it
/// is fixed, and `how` says so. An entry for a target this run did not have is neither.
pub fn recheck_fixed(
    dir: &Path,
    results: &mut Results,
    baseline: &Baseline,
    baseline_path: &Path,
    runner: &Runner,
) {
    let base_dir = baseline_path.parent().unwrap_or(Path::new("."));
    let fixed = std::mem::take(&mut results.fixed);
    // First the entries whose case can be replayed; then all replays at once.
    let mut replayable = Vec::new();
    let mut jobs = Vec::new();
    for mut f in fixed {
        if f.targets.iter().any(|t| runner.target(t).is_none()) {
            // Not run against its targets: nothing can be said about it.
            continue;
        }
        let Some(rel) = baseline.get(&f.id).and_then(|k| k.case.clone()) else {
            f.how = "not found again (the baseline has no case to replay)".into();
            results.fixed.push(f);
            continue;
        };
        let path = base_dir.join(&rel);
        let case = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| Case::parse(&t).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                f.how = format!(
                    "not found again; its case {} could not be read: {e}",
                    path.display()
                );
                results.fixed.push(f);
                continue;
            }
        };
        let run_on = if f.kind == Kind::Divergence {
            runner.compared_targets()
        } else {
            f.targets.clone()
        };
        jobs.push((case, run_on));
        replayable.push((f, rel, path));
    }
    let replays = runner.replay_cases(&jobs);
    for ((mut f, rel, path), runs) in replayable.into_iter().zip(replays) {
        let mut shown = None;
        let mut times = 0;
        for sigs in runs {
            if let Some(sig) = sigs.into_iter().find(|s| s.id() == f.id) {
                times += 1;
                shown = Some(sig);
            }
        }
        let Some(signature) = shown else {
            f.how = format!(
                "not found again, and its case ({rel}) no longer shows it in {VERIFY_REPLAYS} replays"
            );
            results.fixed.push(f);
            continue;
        };
        let file = Path::new(&rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{}.imap", f.id));
        let copied = format!("cases/baseline-{file}");
        let _ = std::fs::create_dir_all(dir.join("cases"));
        if std::fs::copy(&path, dir.join(&copied)).is_err() {
            continue;
        }
        let target = f.targets.first().cloned().unwrap_or_default();
        results.distinct.push(DistinctFinding {
            id: f.id.clone(),
            kind: f.kind,
            rule: f.rule.clone(),
            quote: f
                .rule
                .as_deref()
                .and_then(|r| crate::catalogue::catalogue().cite(r)),
            summary: f.summary.clone(),
            targets: signature.targets.clone(),
            signature,
            count: 0,
            examples: vec![Example {
                id: format!("baseline:{}", f.id),
                case: copied.clone(),
                cases: [(target, copied)].into(),
                command: String::new(),
                expected: String::new(),
                observed: format!(
                    "not found by this run's sessions; the baseline's case ({rel}) still shows it"
                ),
                session: 0,
                step: None,
            }],
            minimal: None,
            verification: if times == VERIFY_REPLAYS {
                Verification::Verified
            } else {
                Verification::Flaky(format!(
                    "its case showed it in {times} of {VERIFY_REPLAYS} replays"
                ))
            },
            baseline: Some(BaselineState::Known(f.reason.clone())),
        });
    }
    crate::report::distinct::sort(&mut results.distinct);
}

/// One line per distinct finding, worst first, at most `max` lines (then how many more).
pub fn distinct_lines(distinct: &[DistinctFinding], max: usize) -> Vec<String> {
    let mut lines: Vec<String> = distinct
        .iter()
        .take(max)
        .map(|d| {
            let baseline = match &d.baseline {
                Some(crate::report::distinct::BaselineState::New) => " NEW",
                Some(crate::report::distinct::BaselineState::Known(_)) => " known",
                None => "",
            };
            let minimal = d
                .minimal
                .as_ref()
                .map(|m| format!(" {}→{} cmds", m.commands_before, m.commands_after))
                .unwrap_or_default();
            format!(
                "  {} {:<10} {:<20} {:<12} ×{:<4} {}{}{} {}  [{}]",
                d.id,
                d.kind.as_str(),
                d.targets.join(","),
                d.signature.command,
                d.count,
                d.verification.label(),
                minimal,
                baseline,
                d.summary,
                d.rule.as_deref().unwrap_or(match d.kind {
                    Kind::Divergence => "divergence",
                    // A timeout, or a stop at the driver's own limit, breaks no quoted
                    // requirement: it must not be labelled as one.
                    _ => "no requirement",
                }),
            )
        })
        .collect();
    if distinct.len() > max {
        lines.push(format!(
            "  ... and {} more (all in results.json)",
            distinct.len() - max
        ));
    }
    lines
}

/// What a race run exercised and found ([`crate::races`]): per target, the scenarios and
/// the steps' command names; judged by the race judge and the syntax judge.
pub fn race_results(
    dir: &Path,
    summary: &crate::races::RaceSummary,
    seed: u64,
    profile: Profile,
    commands: &std::collections::BTreeMap<String, u64>,
) -> anyhow::Result<Results> {
    let findings = read_findings(&dir.join("findings.jsonl"))?;
    let targets = summary
        .targets
        .iter()
        .map(|name| {
            let (judged, steps) = summary.judged.get(name).copied().unwrap_or_default();
            TargetRun {
                name: name.clone(),
                sessions: summary.scenarios,
                commands: commands.clone(),
                judges: vec!["race".into(), "syntax".into()],
                oracle_judged: judged as u64,
                oracle_total: steps as u64,
                model: false,
                setup_error: summary.errors.get(name).cloned(),
                restarts: Vec::new(),
                ..TargetRun::default()
            }
        })
        .collect();
    Ok(results_of(
        "race",
        profile_name(Some(profile)),
        seed,
        summary.elapsed,
        targets,
        &findings,
    ))
}

/// The scenario a race finding came from: its id is `race.SEED.SCENARIO.K`.
fn race_scenario(id: &str) -> Option<u64> {
    let mut parts = id.split('.');
    (parts.next()? == "race").then_some(())?;
    parts.next()?;
    parts.next()?.parse().ok()
}

/// Verifies race findings (issue 5 §3): each distinct finding's first example scenario is
/// run again [`VERIFY_REPLAYS`] times on its targets (into `DIR/verify/`, removed after),
/// and the finding is verified when every run shows its signature, flaky otherwise. Two
/// connections' interleaving is the servers' to choose, so some race findings are
/// expected to be flaky; they are labelled, not dropped.
pub async fn verify_races(
    dir: &Path,
    results: &mut Results,
    opts: &crate::races::RaceOptions,
) -> anyhow::Result<()> {
    let scratch = dir.join("verify");
    for d in &mut results.distinct {
        let Some(scenario) = d.examples.first().and_then(|e| race_scenario(&e.id)) else {
            continue;
        };
        let targets: Vec<_> = opts
            .targets
            .iter()
            .filter(|t| d.targets.contains(&t.name))
            .cloned()
            .collect();
        if targets.len() != d.targets.len() {
            continue;
        }
        let mut showing = 0;
        for k in 0..VERIFY_REPLAYS {
            let out = scratch.join(format!("{}-{k}", d.id));
            let again = crate::races::RaceOptions {
                targets: targets.clone(),
                first: scenario,
                scenarios: 1,
                out: out.clone(),
                ..opts.clone()
            };
            crate::races::run(again).await?;
            let found = read_findings(&out.join("findings.jsonl"))?;
            if found
                .iter()
                .any(|f| crate::report::distinct::Signature::of(f) == d.signature)
            {
                showing += 1;
            }
        }
        d.verification = if showing == VERIFY_REPLAYS {
            Verification::Verified
        } else {
            Verification::Flaky(format!(
                "race scenario {scenario} showed it again in {showing} of {VERIFY_REPLAYS} runs"
            ))
        };
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_race_finding_names_its_scenario() {
        assert_eq!(race_scenario("race.5.17.2"), Some(17));
        assert_eq!(race_scenario("5.17.2"), None, "a campaign finding");
        assert_eq!(race_scenario("race.5"), None);
    }

    #[test]
    fn the_distinct_listing_is_bounded_and_says_how_many_more() {
        let f = |i: u64| crate::report::Finding {
            id: format!("1.{i}.0"),
            target: "x".into(),
            targets: vec!["x".into()],
            kind: Kind::Violation,
            rule: Some(format!("r{i}")),
            quote: None,
            summary: "s".into(),
            command: "a1 NOOP\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: String::new(),
            cases: Default::default(),
            seed: 1,
            session: i,
            step: Some(0),
            cause: None,
        };
        let d = dedup(&(0..5).map(f).collect::<Vec<_>>());
        let lines = distinct_lines(&d, 3);
        assert_eq!(lines.len(), 4);
        assert!(lines[3].contains("2 more"), "{}", lines[3]);
        assert!(
            lines[0].contains("NOOP") && lines[0].contains("unverified"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn a_finding_without_a_requirement_is_not_labelled_a_divergence() {
        let f = |kind, session| crate::report::Finding {
            id: format!("1.{session}.0"),
            target: "x".into(),
            targets: vec!["x".into()],
            kind,
            rule: None,
            quote: None,
            summary: format!("s{session}"),
            command: "a1 NOOP\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: String::new(),
            cases: Default::default(),
            seed: 1,
            session,
            step: Some(0),
            cause: None,
        };
        let d = dedup(&[f(Kind::Timeout, 1), f(Kind::Divergence, 2)]);
        let lines = distinct_lines(&d, 5);
        let timeout = lines.iter().find(|l| l.contains(" timeout ")).unwrap();
        assert!(timeout.ends_with("[no requirement]"), "{timeout}");
        let divergence = lines.iter().find(|l| l.contains(" divergence ")).unwrap();
        assert!(divergence.ends_with("[divergence]"), "{divergence}");
    }
}
