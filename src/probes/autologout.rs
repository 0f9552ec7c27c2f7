//! The autologout probe (`imapconform probe autologout`): RFC 2060 §5.4 "If a server has
//! an inactivity autologout timer, that timer MUST be of at least 30 minutes' duration."
//!
//! Every target at once: log in as its first pool user (reset first), send nothing, and
//! watch the connection ([`crate::drive::idle`]). A server that closes it before 30
//! minutes of inactivity is asked again with a second idle connection (watched for up to
//! twice the first idle time, plus 10 s); two early closes are a violation
//! ([`crate::judge::autologout`]). A connection still open after the window (by default
//! 31 minutes) gets `NOOP`; an answer shows that any timer is at least 30 minutes. A
//! shorter window (the hidden `--idle-for`, for tests) can show an early close, never that
//! the requirement is kept.
//!
//! Writes `DIR/findings.jsonl` and, for every target, `DIR/cases/autologout-<target>.imap`
//! (and `...-again.imap` for the second connection): the greeting, the login, what the
//! server sent while the client was idle, and the `NOOP`; the header gives the idle time
//! measured and the window. SIGINT or SIGTERM ends every watch at once; what was seen is
//! still written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::watch;

use crate::campaign::{case_header, rfc3339_now};
use crate::case::{Case, SECURITY_HEADER};
use crate::drive::idle::{watch_idle, IdleRecord};
use crate::drive::{reset, DriveError, DriveOptions};
use crate::judge::autologout::{
    closed_too_soon, conclude, human, judge_autologout, Conclusion, MINIMUM, SLACK,
};
use crate::judge::Kind;
use crate::probes::PROBE_SESSION;
use crate::redact::Redactor;
use crate::report::{Counts, Finding, FindingsWriter};
use crate::targets::{Target, TlsMode};

/// The default window: 30 minutes and one more, so that an answer to `NOOP` after it
/// shows any timer is at least 30 minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(31 * 60);

/// What the probe runs.
#[derive(Clone, Debug)]
pub struct AutologoutOptions {
    pub targets: Vec<Target>,
    pub out: PathBuf,
    /// How long each connection is left idle before `NOOP` ([`DEFAULT_WINDOW`]).
    pub window: Duration,
    pub drive: DriveOptions,
    /// Secrets kept out of case files and findings ([`crate::redact`]).
    pub redact: Redactor,
}

/// What the probe found on one target.
#[derive(Clone, Debug)]
pub struct TargetOutcome {
    pub target: String,
    /// `Err` for a problem of the setup (cannot connect, cannot log in).
    pub conclusion: Result<Conclusion, String>,
    /// Case files written, relative to the output directory.
    pub cases: Vec<String>,
}

/// What the probe did.
#[derive(Clone, Debug, Default)]
pub struct AutologoutSummary {
    pub outcomes: Vec<TargetOutcome>,
    pub counts: Counts,
    /// A signal ended the watches early.
    pub interrupted: bool,
    pub elapsed: Duration,
}

impl AutologoutSummary {
    /// The worst kind of finding made.
    pub fn worst(&self) -> Option<Kind> {
        self.counts.by_kind.keys().max().copied()
    }

    /// Whether some target could not be probed (cannot connect, cannot log in).
    pub fn has_errors(&self) -> bool {
        self.outcomes.iter().any(|o| o.conclusion.is_err())
    }

    /// What the probe found, one line per target, for a person.
    pub fn lines(&self, window: Duration) -> Vec<String> {
        let mut out = vec![format!(
            "imapconform: autologout probe of {} targets, each connection left idle for up to {}, in {}{}",
            self.outcomes.len(),
            human(window),
            human(self.elapsed),
            if self.interrupted {
                " (INTERRUPTED by a signal)"
            } else {
                ""
            }
        )];
        if window < MINIMUM + SLACK {
            out.push(
                "  (a window shorter than 30 minutes shows only early closes: it cannot show that RFC 2060 §5.4 is kept)"
                    .to_string(),
            );
        }
        for o in &self.outcomes {
            let what = match &o.conclusion {
                Ok(c) => c.describe(),
                Err(e) => format!("SETUP ERROR: {e}"),
            };
            out.push(format!("  {:<16} {what}", o.target));
            if !o.cases.is_empty() {
                out.push(format!("  {:<16} case: {}", "", o.cases.join(", ")));
            }
        }
        out
    }
}

/// The case file of one idle connection, relative to the output directory.
pub fn case_path(target: &str, again: bool) -> String {
    let again = if again { "-again" } else { "" };
    format!("cases/autologout-{target}{again}.imap")
}

/// Runs the probe on every target at once; findings go to `out/findings.jsonl`.
pub async fn run(opts: AutologoutOptions) -> anyhow::Result<AutologoutSummary> {
    let started = std::time::Instant::now();
    let writer = FindingsWriter::create(&opts.out, opts.redact.clone())
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", opts.out.display()))?;
    let cases = opts.out.join("cases");
    std::fs::create_dir_all(&cases)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", cases.display()))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut watches = tokio::task::JoinSet::new();
    for (k, t) in opts.targets.iter().enumerate() {
        let (t, drive, window, stop) =
            (t.clone(), opts.drive.clone(), opts.window, stop_rx.clone());
        watches.spawn(async move {
            let r = probe_target(&t, &drive, window, stop).await;
            (k, t, r)
        });
    }
    let mut summary = AutologoutSummary::default();
    let mut results = Vec::new();
    let signal = interruption();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            next = watches.join_next() => match next {
                Some(Ok(r)) => results.push(r),
                Some(Err(e)) => anyhow::bail!("an idle watch failed: {e}"),
                None => break,
            },
            _ = &mut signal, if !summary.interrupted => {
                summary.interrupted = true;
                let _ = stop_tx.send(true);
            }
        }
    }
    results.sort_by_key(|(k, _, _)| *k);
    for (_, t, r) in results {
        let outcome = record(&t, r, &opts, &writer)?;
        summary.outcomes.push(outcome);
    }
    summary.counts = writer.counts();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The idle connection(s) of one target: the first, and a second where the first was
/// closed too soon.
type Watched = Result<(IdleRecord, Option<IdleRecord>), DriveError>;

async fn probe_target(
    t: &Target,
    drive: &DriveOptions,
    window: Duration,
    stop: watch::Receiver<bool>,
) -> Watched {
    let creds = t.pool().into_iter().next();
    reset(t, creds.as_ref()).await?;
    let first = watch_idle(t, creds.as_ref(), drive, window, stop.clone()).await?;
    if !closed_too_soon(&first) || *stop.borrow() {
        return Ok((first, None));
    }
    let again_window = window.min(first.idle * 2 + Duration::from_secs(10));
    let again = match reset(t, creds.as_ref()).await {
        Ok(()) => watch_idle(t, creds.as_ref(), drive, again_window, stop).await,
        Err(e) => Err(e),
    };
    // A second connection that could not be made confirms nothing; the first is kept.
    Ok((first, again.ok()))
}

/// Writes the case files and the finding of one target.
fn record(
    t: &Target,
    r: Watched,
    opts: &AutologoutOptions,
    writer: &FindingsWriter,
) -> anyhow::Result<TargetOutcome> {
    let (first, again) = match r {
        Ok(w) => w,
        Err(e) => {
            return Ok(TargetOutcome {
                target: t.name.clone(),
                conclusion: Err(e.to_string()),
                cases: Vec::new(),
            })
        }
    };
    let mut written = BTreeMap::new();
    let mut cases = Vec::new();
    for (rec, is_again) in [(Some(&first), false), (again.as_ref(), true)] {
        let Some(rec) = rec else { continue };
        let rel = case_path(&t.name, is_again);
        write_case(&opts.out, &rel, t, rec, &opts.redact)?;
        if !is_again {
            written.insert(t.name.clone(), rel.clone());
        }
        cases.push(rel);
    }
    for (n, v) in judge_autologout(&t.name, &first, again.as_ref())
        .into_iter()
        .enumerate()
    {
        let id = format!("autologout-{}.{n}", t.name);
        let f = Finding::from_verdict(v, id, String::new(), written.clone(), 0, PROBE_SESSION);
        writer
            .write(&f)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", writer.path().display()))?;
    }
    Ok(TargetOutcome {
        target: t.name.clone(),
        conclusion: Ok(conclude(&first, again.as_ref())),
        cases,
    })
}

fn write_case(
    out: &Path,
    rel: &str,
    t: &Target,
    r: &IdleRecord,
    redact: &Redactor,
) -> anyhow::Result<()> {
    let mut header = case_header(0, PROBE_SESSION, &t.name);
    header.retain(|(k, _)| k != "session");
    header.push(("probe-autologout".into(), idle_line(r)));
    header.push((
        "rerun".into(),
        format!(
            "imapconform probe autologout --targets FILE --target {} --out DIR",
            t.name
        ),
    ));
    match t.tls {
        TlsMode::None => {}
        TlsMode::Implicit => header.push((SECURITY_HEADER.into(), "implicit".into())),
        TlsMode::Starttls => header.push((SECURITY_HEADER.into(), "starttls".into())),
    }
    header.push(("time-probed".into(), rfc3339_now()));
    let case = Case {
        header,
        transcript: redact.transcript(&r.transcript),
    };
    let path = out.join(rel);
    std::fs::write(&path, case.to_text())
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// `idle 4012 ms of a 1860000 ms window, then closed`: the case header's summary.
fn idle_line(r: &IdleRecord) -> String {
    use crate::drive::idle::{IdleEnd, NoopAnswer};
    let end = match &r.end {
        IdleEnd::Closed { how: None } => "then the server closed the connection".to_string(),
        IdleEnd::Closed { how: Some(h) } => format!("then the connection ended ({h})"),
        IdleEnd::Open {
            noop: NoopAnswer::Completed(s),
        } => format!("then NOOP, answered {s}"),
        IdleEnd::Open {
            noop: NoopAnswer::Closed,
        } => "then NOOP; the connection closed".to_string(),
        IdleEnd::Open {
            noop: NoopAnswer::NoAnswer,
        } => "then NOOP, not answered".to_string(),
        IdleEnd::Interrupted => "then stopped by a signal".to_string(),
        IdleEnd::Limit(why) => format!("then stopped at a limit ({why})"),
    };
    format!(
        "idle {} ms of a {} ms window, {end}",
        r.idle.as_millis(),
        r.window.as_millis()
    )
}

/// The first SIGINT or SIGTERM.
async fn interruption() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
