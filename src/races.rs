//! Race campaigns: concurrency scenarios ([`crate::gen::race`]) against every target,
//! judged by [`crate::judge::race`], findings written as they are made.
//!
//! Each scenario runs on every target at once, as the target's first pool user (reset
//! first), with two connections. Targets the tool starts per session (`spawn`) are left
//! out: two processes would not share one store, so there would be no race.
//!
//! Writes `DIR/findings.jsonl` and `DIR/cases/race-<scenario>-<target>.imap` (a
//! [`crate::case::race::RaceCase`] per scenario and target).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::campaign::rfc3339_now;
use crate::case::race::RaceCase;
use crate::drive::race::{run_race, RaceTranscript};
use crate::drive::DriveOptions;
use crate::gen::race::race;
use crate::gen::race::Side;
use crate::gen::GenConfig;
use crate::judge::race::judge_race;
use crate::judge::syntax::judge_syntax_in;
use crate::judge::{Kind, Verdict};
use crate::model::Profile;
use crate::redact::Redactor;
use crate::report::{Counts, Finding, FindingsWriter};
use crate::targets::{Endpoint, Target};
use crate::wire::{escape, End, Event, Exchange};

/// What a race campaign runs.
#[derive(Clone, Debug)]
pub struct RaceOptions {
    pub targets: Vec<Target>,
    pub seed: u64,
    /// Scenario indices `first..first + scenarios`.
    pub first: u64,
    pub scenarios: u64,
    pub out: PathBuf,
    pub gen: GenConfig,
    pub drive: DriveOptions,
    pub profile: Profile,
    /// Secrets kept out of case files and findings ([`crate::redact`]).
    pub redact: Redactor,
}

/// What a race campaign did.
#[derive(Clone, Debug, Default)]
pub struct RaceSummary {
    pub scenarios: u64,
    /// Targets raced, and those left out with the reason.
    pub targets: Vec<String>,
    pub skipped: BTreeMap<String, String>,
    /// Per target: steps judged and steps sent.
    pub judged: BTreeMap<String, (usize, usize)>,
    /// Per target: when updates about the other connection's changes arrived.
    pub updates: BTreeMap<String, BTreeMap<String, usize>>,
    /// Setup errors per target (cannot connect, cannot log in).
    pub errors: BTreeMap<String, String>,
    pub counts: Counts,
    pub elapsed: Duration,
}

impl RaceSummary {
    pub fn worst(&self) -> Option<Kind> {
        self.counts.by_kind.keys().max().copied()
    }
}

/// Runs the scenarios; findings go to `out/findings.jsonl` as they are made.
pub async fn run(opts: RaceOptions) -> anyhow::Result<RaceSummary> {
    let start = Instant::now();
    let writer = FindingsWriter::create(&opts.out, opts.redact.clone())
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", opts.out.display()))?;
    let cases = opts.out.join("cases");
    std::fs::create_dir_all(&cases)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", cases.display()))?;
    let mut summary = RaceSummary::default();
    let mut raced = Vec::new();
    for t in &opts.targets {
        match t.endpoint() {
            Endpoint::Tcp(_) => {
                summary.targets.push(t.name.clone());
                raced.push(t.clone());
            }
            Endpoint::Spawn(_) => {
                summary.skipped.insert(
                    t.name.clone(),
                    "a spawned server gets a store of its own per connection".into(),
                );
            }
        }
    }
    if raced.is_empty() {
        anyhow::bail!(
            "no target can be raced: every target is spawned per session, so two connections \
             would not share a store (race needs targets with an address)"
        );
    }
    for index in opts.first..opts.first.saturating_add(opts.scenarios) {
        let script = race(opts.seed, index, &opts.gen, opts.profile);
        let script = std::sync::Arc::new(script);
        let mut runs = tokio::task::JoinSet::new();
        for (k, t) in raced.iter().enumerate() {
            if summary.errors.contains_key(&t.name) {
                continue;
            }
            let (t, script, drive) = (t.clone(), script.clone(), opts.drive.clone());
            runs.spawn(async move {
                let creds = t.pool().into_iter().next();
                let r = run_race(&t, creds.as_ref(), &script, &drive).await;
                (k, t, r)
            });
        }
        let mut results = runs.join_all().await;
        results.sort_by_key(|(k, _, _)| *k);
        for (_, t, result) in results {
            let transcript = match result {
                Ok(tr) => tr,
                Err(e) => {
                    summary
                        .errors
                        .insert(t.name.clone(), opts.redact.text(&e.to_string()));
                    continue;
                }
            };
            let (mut verdicts, coverage) = judge_race(&t.name, &transcript, opts.profile);
            verdicts.extend(syntax_verdicts(&t.name, &transcript, opts.profile));
            verdicts.extend(end_verdict(&t.name, &transcript));
            let e = summary.judged.entry(t.name.clone()).or_default();
            e.0 += coverage.judged;
            e.1 += coverage.steps;
            let u = summary.updates.entry(t.name.clone()).or_default();
            for (k, n) in coverage.updates {
                *u.entry(k).or_default() += n;
            }
            let case_name = format!("race-{index}-{}.imap", t.name);
            let mut header = vec![
                (
                    "tool".into(),
                    format!("imapconform {}", env!("CARGO_PKG_VERSION")),
                ),
                ("seed".into(), opts.seed.to_string()),
                ("scenario".into(), index.to_string()),
                ("target".into(), t.name.clone()),
                ("profile".into(), opts.profile.as_str().into()),
                ("time".into(), rfc3339_now()),
            ];
            if !t.tls.is_none() {
                // As in a session's case file (`crate::case::SECURITY_HEADER`).
                header.push((crate::case::SECURITY_HEADER.into(), t.tls.as_str().into()));
            }
            let case = RaceCase { header, transcript };
            let path = cases.join(&case_name);
            std::fs::write(&path, opts.redact.race_case(&case).to_text())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            for (n, v) in verdicts.into_iter().enumerate() {
                let f = to_finding(opts.seed, index, n, v, &case, &format!("cases/{case_name}"));
                writer
                    .write(&f)
                    .map_err(|e| anyhow::anyhow!("writing findings: {e}"))?;
            }
        }
        summary.scenarios += 1;
    }
    summary.counts = writer.counts();
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Every server message of both connections against the formal syntax
/// ([`crate::judge::judge_syntax`]), with steps numbered as in the scenario.
fn syntax_verdicts(target: &str, t: &RaceTranscript, profile: Profile) -> Vec<Verdict> {
    let mut out = Vec::new();
    for side in [Side::A, Side::B] {
        let mut per_side = t.setup[side.index()].clone();
        let mut global = Vec::new();
        for (i, r) in t.steps.iter().enumerate() {
            if r.side != side {
                continue;
            }
            if !r.idle.is_empty() {
                per_side.script.push(Exchange {
                    events: r.idle.iter().map(|m| Event::Server(m.clone())).collect(),
                });
                global.push(i);
            }
            per_side.script.push(r.exchange.clone());
            global.push(i);
        }
        for mut v in judge_syntax_in(target, &per_side, profile) {
            v.step = v.step.and_then(|k| global.get(k).copied());
            v.summary = format!("connection {}: {}", side.letter(), v.summary);
            out.push(v);
        }
    }
    out
}

/// A scenario that did not run to its end: the server hung or dropped a connection.
fn end_verdict(target: &str, t: &RaceTranscript) -> Option<Verdict> {
    let step = t.steps.len().checked_sub(1);
    let last = t.steps.last();
    let in_flight = last
        .map(|r| {
            format!(
                "`{}` on connection {}",
                escape(r.exchange.command().first_line()),
                r.side.letter()
            )
        })
        .unwrap_or_else(|| "the first step".into());
    let (kind, summary) = match &t.end {
        // A race is never asked again, so it never ends slow; a late answer is no fault.
        End::Completed | End::Slow(_) => return None,
        End::Timeout(why) => (
            Kind::Timeout,
            format!("the server stopped answering {in_flight}: {why}"),
        ),
        End::Closed => (
            Kind::Crash,
            format!("the server closed a connection without completing {in_flight}: no tagged response, no BYE"),
        ),
        End::Broken(why) => (
            Kind::Crash,
            format!("the connection broke while waiting for the answer to {in_flight}: {why}"),
        ),
        // Our own limit, not one of the RFC: not proven wrong (as `judge::end`).
        End::Limit(why) => (
            Kind::Warning,
            format!("stopped at the driver's limit: {why}"),
        ),
    };
    let incomplete = last.is_some_and(|r| r.exchange.completion().is_none());
    let server_bytes: Vec<String> = last
        .map(|r| {
            r.exchange
                .responses()
                .map(|m| escape(&m.to_bytes()))
                .collect()
        })
        .unwrap_or_default();
    Some(Verdict {
        kind,
        targets: vec![target.to_string()],
        step,
        // RFC 2060 §2.2.1: the server "transmits server data and a server command
        // completion result response" (as `judge::end`).
        rule: (kind == Kind::Crash && incomplete)
            .then(|| crate::judge::end::COMPLETION_RULE.to_string()),
        summary,
        expected: format!(
            "a tagged completion (OK, NO or BAD) for {in_flight}, and BYE before the server closes"
        ),
        observed: if server_bytes.is_empty() {
            format!("nothing in answer to {in_flight} ({})", t.end.to_line())
        } else {
            format!(
                "in answer to {in_flight}: {} ({})",
                server_bytes.join("\n"),
                t.end.to_line()
            )
        },
        cause: None,
    })
}

fn to_finding(seed: u64, index: u64, n: usize, v: Verdict, case: &RaceCase, path: &str) -> Finding {
    let command = v
        .step
        .and_then(|i| case.transcript.steps.get(i))
        .map(|r| {
            format!(
                "{}: {}",
                r.side.letter(),
                escape(&r.exchange.command().to_bytes())
            )
        })
        .unwrap_or_default();
    let target = v.targets.first().cloned().unwrap_or_default();
    let cases = BTreeMap::from([(target, path.to_string())]);
    let id = format!("race.{seed}.{index}.{n}");
    Finding::from_verdict(v, id, command, cases, seed, index)
}
