//! The end of a run: from the findings file to what people act on.
//!
//! Reads `DIR/findings.jsonl` back, groups it into distinct findings
//! ([`crate::report::distinct`]), minimises and verifies each ([`crate::minimize`]),
//! and makes `DIR/results.json`, the document the reports are made from.

use std::path::Path;
use std::time::Duration;

use crate::campaign::Summary;
use crate::minimize::{minimize_distinct, verify_all, MinimizeSummary, Runner, VERIFY_REPLAYS};
use crate::model::Profile;
use crate::report::distinct::{dedup, DistinctFinding};
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
            let mut judges = vec!["syntax".to_string(), "end".into(), "mutation".into()];
            if oracle.is_some() {
                judges.push("oracle".into());
            }
            if !t.model && compared > 1 {
                judges.push("differential".into());
            }
            let (oracle_judged, oracle_total) = summary
                .oracle_coverage
                .get(&t.name)
                .copied()
                .unwrap_or_default();
            TargetRun {
                name: t.name.clone(),
                sessions,
                commands,
                judges,
                oracle_judged,
                oracle_total,
                model: t.model,
                setup_error: summary.errors.get(&t.name).cloned(),
            }
        })
        .collect();
    Ok(Results {
        format: FORMAT,
        tool: format!("imapconform {}", env!("CARGO_PKG_VERSION")),
        run: "campaign".into(),
        profile: profile_name(oracle),
        seed: Some(seed),
        shards: shard.into_iter().collect(),
        finished: crate::campaign::rfc3339_now(),
        elapsed_secs: summary.elapsed.as_secs_f64(),
        targets,
        findings: findings.len() as u64,
        distinct: dedup(&findings),
        fixed: Vec::new(),
        baseline: None,
    })
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
                d.rule.as_deref().unwrap_or("divergence"),
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
