//! The STARTTLS probes of a campaign: before its sessions, every target secured with
//! TLS gets the probes that apply to it ([`Probe::for_mode`]), one connection each,
//! judged by [`crate::judge::starttls`]; findings are written as they are made.
//!
//! A probe's case file is `DIR/cases/probe-<target>-<probe>.imap`: its transcript, and
//! in its header the probe and where TLS began ([`ProbeRecord::header`]). Replaying it
//! ([`replay_probe`]) runs the probe again: a probe is minimal already, so verification
//! replays it and minimisation leaves it as it is.
//!
//! A target that names read-only mailboxes also gets the read-only probe
//! ([`read_only`], RFC 2060 §6.3.1), whatever its TLS; its case replays the same way.

pub mod read_only;

pub mod autologout;

use std::collections::BTreeMap;
use std::path::Path;

use crate::campaign::{case_header, rfc3339_now};
use crate::case::Case;
use crate::drive::starttls::{run_probe, Probe, ProbeRecord};
use crate::drive::{DriveError, DriveOptions};
use crate::judge::starttls::judge_probe;
use crate::judge::Verdict;
use crate::redact::Redactor;
use crate::report::distinct::Signature;
use crate::report::{Finding, FindingsWriter};
use crate::targets::{Credentials, Target};
use crate::wire::escape;

/// The session number of a probe's findings: they belong to no generated session.
pub const PROBE_SESSION: u64 = u64::MAX;

/// A probe's case file, relative to the findings directory.
pub fn probe_case_path(target: &str, probe: Probe) -> String {
    format!("cases/probe-{target}-{}.imap", probe.name())
}

/// Whether a case file path (relative to the findings directory) is a probe's.
pub fn is_probe_case_path(rel: &str) -> bool {
    rel.starts_with("cases/probe-")
}

/// What running the probes of one target gave.
#[derive(Debug, Default)]
pub struct ProbeOutcome {
    /// Probes run (skipped ones included: they ran until it was clear they do not apply).
    pub ran: usize,
    /// `probe: why` of the probes that did not apply.
    pub skipped: Vec<String>,
    pub findings: usize,
}

/// Runs the probes that apply to `target` as the pool user `creds`, writing a case file
/// for each probe that found something (`all_cases`: for every probe) and its findings.
/// `Err` for a problem of the setup (cannot connect, certificate not trusted).
#[allow(clippy::too_many_arguments)]
pub async fn probe_target(
    target: &Target,
    creds: Option<&Credentials>,
    drive: &DriveOptions,
    seed: u64,
    out: &Path,
    writer: &FindingsWriter,
    redact: &Redactor,
    all_cases: bool,
) -> anyhow::Result<Result<ProbeOutcome, DriveError>> {
    let mut outcome = ProbeOutcome::default();
    for probe in Probe::for_mode(target.tls) {
        let record = match run_probe(target, creds, probe, drive).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        outcome.ran += 1;
        if let Some(why) = &record.skipped {
            outcome.skipped.push(format!("{probe}: {why}"));
        }
        let verdicts = judge_probe(&target.name, &record);
        if verdicts.is_empty() && !all_cases {
            continue;
        }
        let rel = probe_case_path(&target.name, probe);
        let case = probe_case(seed, &target.name, &record, redact);
        let path = out.join(&rel);
        std::fs::write(&path, case.to_text())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        let cases = BTreeMap::from([(target.name.clone(), rel)]);
        for (n, v) in verdicts.into_iter().enumerate() {
            let id = format!("{seed}.probe-{}-{probe}.{n}", target.name);
            let f = finding(v, id, &record, cases.clone(), seed);
            writer
                .write(&f)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", writer.path().display()))?;
            outcome.findings += 1;
        }
    }
    match read_only::probe_target(target, creds, drive, seed, out, writer, redact, all_cases)
        .await?
    {
        Ok(o) => {
            outcome.ran += o.ran;
            outcome.skipped.extend(o.skipped);
            outcome.findings += o.findings;
        }
        Err(e) => return Ok(Err(e)),
    }
    Ok(Ok(outcome))
}

/// The case file of a probe's record (redacted: a probe that logs in sends a password).
pub fn probe_case(seed: u64, target: &str, r: &ProbeRecord, redact: &Redactor) -> Case {
    let mut header = case_header(seed, PROBE_SESSION, target);
    header.retain(|(k, _)| k != "session");
    header.extend(r.header());
    header.push(("time-probed".into(), rfc3339_now()));
    Case {
        header,
        transcript: redact.transcript(&r.transcript),
    }
}

fn finding(
    v: Verdict,
    id: String,
    r: &ProbeRecord,
    cases: BTreeMap<String, String>,
    seed: u64,
) -> Finding {
    let command = v
        .step
        .and_then(|i| r.transcript.script.get(i))
        .map(|e| escape(&e.command().to_bytes()))
        .unwrap_or_default();
    Finding::from_verdict(v, id, command, cases, seed, PROBE_SESSION)
}

/// Runs the probe of a probe's case again against `target` and judges it: the
/// signatures of its findings (for verification).
pub async fn replay_probe(
    case: &Case,
    target: &Target,
    creds: Option<&Credentials>,
    drive: &DriveOptions,
) -> Result<Vec<Signature>, String> {
    if read_only::is_case(case) {
        return Ok(read_only::replay(case, target, creds, drive).await?.0);
    }
    let recorded =
        ProbeRecord::from_case(case).ok_or("not a probe's case (no `probe` header)")??;
    let record = run_probe(target, creds, recorded.probe, drive)
        .await
        .map_err(|e| e.to_string())?;
    let signatures = judge_probe(&target.name, &record)
        .into_iter()
        .enumerate()
        .map(|(n, v)| {
            let f = finding(v, n.to_string(), &record, BTreeMap::new(), 0);
            Signature::of(&f)
        })
        .collect();
    Ok(signatures)
}
