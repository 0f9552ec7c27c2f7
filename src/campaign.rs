//! A campaign: generate sessions, drive every target with each, judge, write findings.
//!
//! Each session's script is sent to every target, each target starting from an empty
//! store (its `reset` hook runs first, for the pool user the session holds), so that the
//! answers can be compared. Sessions run `jobs` at a time; a target's pool user is held
//! by one session at a time, so concurrent sessions never share a mailbox.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Semaphore;

use crate::case::Case;
use crate::drive::{self, DriveError, DriveOptions};
use crate::feedback::SignatureSet;
use crate::gen::mutate::Operator;
use crate::gen::{self, GenConfig};
use crate::journal::{self, Journal, SessionRecord};
use crate::judge::{self, Coverage, Identity, Kind, Verdict, World};
use crate::model::Profile;
use crate::redact::Redactor;
use crate::report::{Counts, Finding, FindingsWriter, Progress};
use crate::targets::{Credentials, Target, TargetsFile, TlsMode};
use crate::wire::{escape, Message, Transcript};

mod in_order;
use in_order::InOrder;

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignOptions {
    pub targets: TargetsFile,
    pub seed: u64,
    /// Number of sessions; with `duration`, whichever ends first.
    pub sessions: Option<u64>,
    pub duration: Option<Duration>,
    pub jobs: usize,
    pub out: PathBuf,
    pub gen: GenConfig,
    pub drive: DriveOptions,
    pub progress: bool,
    /// Write the case file of every session, not only of those with findings.
    pub all_cases: bool,
    /// Run the STARTTLS probes ([`crate::probes`]) on the targets with `tls` set.
    pub probes: bool,
    /// Judge every session of every target with the RFC model (the oracle).
    pub oracle: Option<Profile>,
    /// Run only this slice of the campaign's sessions.
    pub shard: Option<Shard>,
    /// One session in this many (from session [`DERIVE_LAG`]·2 on) continues a session
    /// kept in the corpus ([`gen::derive`]) instead of starting afresh; 0 never.
    pub derive_one_in: u32,
    /// Scripts replayed as the campaign's first sessions (`--corpus DIR`: sessions kept
    /// and minimal cases of earlier runs), with their mutation labels and file names;
    /// generated sessions follow, numbered after them.
    pub corpus: Vec<CorpusScript>,
    /// Continue the interrupted campaign in `out` (`run --resume DIR`): its finished
    /// sessions ([`crate::journal`]) are not run again, and its findings are kept.
    pub resume: bool,
    /// Secrets kept out of case files and findings ([`crate::redact`]).
    pub redact: Redactor,
}

/// A recorded script replayed as a session of the campaign.
#[derive(Clone, Debug)]
pub struct CorpusScript {
    /// The case file it came from.
    pub name: String,
    pub script: Vec<Message>,
    pub labels: Vec<(usize, Operator)>,
}

/// Reads every `*.imap` case file of `dir` (sorted by name) as a corpus script. A file
/// that is not a case file is an error naming it.
pub fn load_corpus(dir: &Path) -> anyhow::Result<Vec<CorpusScript>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("reading corpus directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "imap"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = crate::input::read_text(&path, "corpus case", crate::input::CASE_LIMIT)
            .map_err(anyhow::Error::msg)?;
        let case = Case::parse(&text)
            .map_err(|e| anyhow::anyhow!("corpus case {}: {e}", path.display()))?;
        let labels = match case.get(MUTATIONS_HEADER) {
            Some(t) => judge::mutation::parse_labels(t)
                .map_err(|e| anyhow::anyhow!("corpus case {}: {e}", path.display()))?,
            None => Vec::new(),
        };
        let mut script = crate::replay::script_commands(&case.transcript);
        if script.is_empty() {
            continue;
        }
        let ends_with_logout = script
            .last()
            .is_some_and(|m| m.first_line().to_ascii_uppercase().ends_with(b" LOGOUT"));
        if !ends_with_logout {
            script.push(Message::line(format!("a{} LOGOUT", script.len() + 1)));
        }
        out.push(CorpusScript {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            script,
            labels,
        });
    }
    Ok(out)
}

/// A derived session's parent is a kept session at least this many numbers earlier, and
/// the campaign waits until every session that far back has finished before starting it:
/// which sessions were kept then no longer depends on how sessions in flight interleave,
/// so the same seed and targets send the same bytes.
pub const DERIVE_LAG: u64 = 64;

/// The K-th of N disjoint slices of a campaign: the sessions whose number is K-1 modulo
/// N. Session numbers (and so scripts, case names and finding ids) are those of the
/// whole campaign, so the slices' findings merge without clashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K-1.
    index: u64,
    /// N.
    count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: expected K/N, e.g. 2/4"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: K is not a number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: N is not a number"))?;
        if k == 0 || k > n {
            return Err(format!("{text:?}: need 1 <= K <= N"));
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// Whether session `index` of the campaign belongs to this slice.
    pub fn contains(self, index: u64) -> bool {
        index % self.count == self.index
    }

    /// How many of the sessions `0..sessions` belong to this slice.
    pub fn share_of(self, sessions: u64) -> u64 {
        sessions.saturating_sub(self.index).div_ceil(self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// What a target was sent: sessions, and script commands by command name.
pub type Exercised = (u64, BTreeMap<String, u64>);

/// What a campaign did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The campaign's targets, in the order of the targets file.
    pub targets: Vec<String>,
    pub sessions: u64,
    /// Script commands sent, over all targets.
    pub commands: u64,
    pub counts: Counts,
    /// Setup problems per target (cannot connect, log in or reset): the target was
    /// dropped from the rest of the campaign.
    pub errors: BTreeMap<String, String>,
    /// Per target: exchanges the oracle judged, and exchanges in all (empty without the
    /// oracle).
    pub oracle_coverage: BTreeMap<String, judge::Tally>,
    /// Distinct (target, response signature) pairs seen ([`crate::feedback`]), after
    /// each whole minute of the campaign and at its end: (seconds, pairs).
    pub signature_timeline: Vec<(u64, usize)>,
    /// Sessions kept in `DIR/corpus/` because they showed a signature no earlier session
    /// showed on that target.
    pub kept: u64,
    /// Sessions that continued a kept session ([`gen::derive`]).
    pub derived: u64,
    /// Per target: sessions it ran, and script commands sent by command name
    /// ([`crate::report::distinct::command_shape`]): what the run exercised.
    pub exercised: BTreeMap<String, Exercised>,
    pub elapsed: Duration,
    pub findings_file: PathBuf,
    /// SIGINT or SIGTERM stopped it before its end: `--resume` continues it.
    pub interrupted: bool,
    /// Per target that was restarted ([`Target::restart`]): the setup error that made
    /// each restart.
    pub restarts: BTreeMap<String, Vec<String>>,
    /// Sessions an earlier, interrupted run of it had finished (`--resume`).
    pub resumed: u64,
}

impl Summary {
    /// The worst kind found, if any.
    pub fn worst(&self) -> Option<Kind> {
        self.counts
            .by_kind
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, _)| *k)
            .max()
    }
}

/// The users of one target, handed out one per session.
struct Pool {
    free: Mutex<Vec<Credentials>>,
    permits: Semaphore,
    unlimited: bool,
}

impl Pool {
    fn new(t: &Target) -> Pool {
        let users = t.pool();
        Pool {
            unlimited: users.is_empty(),
            permits: Semaphore::new(users.len().max(1)),
            free: Mutex::new(users.into_iter().rev().collect()),
        }
    }

    async fn take(&self) -> Option<Credentials> {
        if self.unlimited {
            return None;
        }
        self.permits.acquire().await.expect("pool open").forget();
        self.free.lock().expect("pool lock").pop()
    }

    fn give_back(&self, c: Option<Credentials>) {
        if let Some(c) = c {
            self.free.lock().expect("pool lock").push(c);
            self.permits.add_permits(1);
        }
    }
}

struct Shared {
    opts: CampaignOptions,
    pools: Vec<Pool>,
    /// Targets dropped after a setup problem.
    dropped: Vec<AtomicBool>,
    /// Per target: its `restart` hook's runs ([`reach_again`]).
    restarts: Vec<tokio::sync::Mutex<Restarts>>,
    errors: Mutex<BTreeMap<String, String>>,
    /// Per target: exchanges the oracle judged, and exchanges in all.
    coverage: Mutex<BTreeMap<String, judge::Tally>>,
    /// Response signatures seen so far, and the count after each whole minute.
    signatures: Mutex<(SignatureSet, Vec<(u64, usize)>)>,
    kept: AtomicU64,
    /// Numbers of the kept sessions.
    kept_sessions: Mutex<std::collections::BTreeSet<u64>>,
    /// A session failed (an I/O error writing results): the campaign is ending.
    failed: AtomicBool,
    /// Ctrl-C, or the duration is over: derived sessions still waiting do not start.
    stopping: AtomicBool,
    derived: AtomicU64,
    /// Per target: sessions, and commands sent by command name.
    exercised: Mutex<BTreeMap<String, Exercised>>,
    /// Finished sessions' signatures, corpus files and journal records, handled in
    /// session order.
    in_order: Mutex<InOrder<Settle>>,
    writer: FindingsWriter,
    journal: Journal,
    /// Sessions finished by an earlier run of this campaign (`--resume`): not run again.
    finished_before: std::collections::BTreeSet<u64>,
    done: AtomicU64,
    commands: AtomicU64,
    progress: Progress,
    started: Instant,
}

/// Runs a campaign to its end. Findings are on disk as they are made; the summary is
/// returned at the end.
pub async fn run(opts: CampaignOptions) -> anyhow::Result<Summary> {
    for dir in ["cases", "corpus"] {
        std::fs::create_dir_all(opts.out.join(dir))
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", opts.out.join(dir).display()))?;
    }
    let recovered = if opts.resume {
        journal::recover(&opts.out)?
    } else {
        journal::Recovered::default()
    };
    let (writer, journal) = if opts.resume {
        (
            FindingsWriter::append(&opts.out, opts.redact.clone()),
            Journal::append(&opts.out),
        )
    } else {
        (
            FindingsWriter::create(&opts.out, opts.redact.clone()),
            Journal::create(&opts.out),
        )
    };
    let writer = writer
        .map_err(|e| anyhow::anyhow!("opening the findings file in {}: {e}", opts.out.display()))?;
    let journal = journal.map_err(|e| {
        anyhow::anyhow!(
            "opening {} in {}: {e}",
            journal::SESSIONS_FILE,
            opts.out.display()
        )
    })?;
    let before = Restored::from(&recovered);
    if opts.resume && opts.progress {
        eprintln!(
            "imapconform: resuming {}: {} sessions finished before{}",
            opts.out.display(),
            before.done,
            if recovered.dropped_findings + recovered.removed_cases > 0 || recovered.cut_bytes > 0 {
                format!(
                    " ({} findings and {} case files of unfinished sessions dropped, {} bytes of cut lines removed); they run again",
                    recovered.dropped_findings, recovered.removed_cases, recovered.cut_bytes
                )
            } else {
                String::new()
            }
        );
    }
    let started = Instant::now()
        .checked_sub(before.elapsed)
        .unwrap_or_else(Instant::now);
    let shared = Arc::new(Shared {
        pools: opts.targets.targets.iter().map(Pool::new).collect(),
        dropped: opts
            .targets
            .targets
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect(),
        restarts: opts
            .targets
            .targets
            .iter()
            .map(|_| Default::default())
            .collect(),
        errors: Mutex::new(BTreeMap::new()),
        coverage: Mutex::new(before.coverage),
        signatures: Mutex::new((before.signatures, Vec::new())),
        kept: AtomicU64::new(before.kept_sessions.len() as u64),
        kept_sessions: Mutex::new(before.kept_sessions),
        failed: AtomicBool::new(false),
        stopping: AtomicBool::new(false),
        derived: AtomicU64::new(before.derived),
        exercised: Mutex::new(before.exercised),
        in_order: Mutex::new(InOrder::new(&recovered.finished())),
        writer,
        journal,
        finished_before: recovered.finished(),
        done: AtomicU64::new(before.done),
        commands: AtomicU64::new(before.commands),
        progress: Progress::new(opts.progress),
        started,
        opts,
    });
    if shared.opts.probes {
        run_probes(&shared).await?;
    }
    let jobs = Arc::new(Semaphore::new(shared.opts.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let deadline = shared.opts.duration.map(|d| shared.started + d);
    let mut index = 0u64;
    let interrupted = interruption();
    tokio::pin!(interrupted);
    let mut was_interrupted = false;
    loop {
        if shared.opts.sessions.is_some_and(|n| index >= n) {
            break;
        }
        if shared.opts.shard.is_some_and(|sh| !sh.contains(index))
            || shared.finished_before.contains(&index)
        {
            index += 1;
            continue;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if shared.dropped.iter().all(|d| d.load(Ordering::Relaxed)) {
            break;
        }
        if derives(&shared.opts, index) {
            // It waits (without a job slot) for the sessions its parent may come from,
            // while later sessions go on starting.
            let (s, jobs) = (shared.clone(), jobs.clone());
            tasks.spawn(async move {
                let parent = choose_parent(&s, index).await;
                if s.stopping.load(Ordering::Relaxed) {
                    return finish(&s, index, None);
                }
                let permit = jobs.acquire_owned().await.expect("jobs open");
                let r = run_one(&s, index, parent).await;
                drop(permit);
                r
            });
            index += 1;
            continue;
        }
        // Ctrl-C stops launching sessions; those in flight finish and are judged.
        let permit = tokio::select! {
            p = jobs.clone().acquire_owned() => p.expect("jobs open"),
            signal = &mut interrupted => {
                eprintln!(
                    "\nimapconform: {signal}: finishing the sessions in flight (again to stop at once; \
                     `imapconform run --resume {}` continues the campaign)",
                    shared.opts.out.display()
                );
                shared.stopping.store(true, Ordering::Relaxed);
                was_interrupted = true;
                // A second signal stops at once: every finding made is on disk already.
                tokio::spawn(async {
                    let signal = interruption().await;
                    eprintln!("imapconform: {signal} again: stopping now; findings so far are in findings.jsonl");
                    std::process::exit(130);
                });
                break;
            }
        };
        let s = shared.clone();
        tasks.spawn(async move {
            let r = run_one(&s, index, None).await;
            drop(permit);
            r
        });
        index += 1;
        while let Some(r) = tasks.try_join_next() {
            r??;
        }
    }
    // Derived sessions still waiting start only if the campaign ended by its count.
    if deadline.is_some_and(|d| Instant::now() >= d) {
        shared.stopping.store(true, Ordering::Relaxed);
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    // Sessions that never started (Ctrl-C, the duration) leave gaps: the rest is handled
    // now, still in session order.
    {
        let mut order = shared.in_order.lock().expect("order lock");
        for (index, work) in order.rest() {
            settle(&shared, index, work)?;
        }
    }
    shared.progress.finish();
    let errors = shared.errors.lock().expect("errors lock").clone();
    let oracle_coverage = shared.coverage.lock().expect("coverage lock").clone();
    let exercised = shared.exercised.lock().expect("exercised lock").clone();
    let signature_timeline = {
        let (set, mut timeline) = std::mem::take(&mut *shared.signatures.lock().expect("lock"));
        timeline.push((shared.started.elapsed().as_secs(), set.len()));
        timeline
    };
    Ok(Summary {
        targets: shared
            .opts
            .targets
            .targets
            .iter()
            .map(|t| t.name.clone())
            .collect(),
        sessions: shared.done.load(Ordering::Relaxed),
        commands: shared.commands.load(Ordering::Relaxed),
        counts: shared.writer.counts(),
        errors,
        oracle_coverage,
        signature_timeline,
        kept: shared.kept.load(Ordering::Relaxed),
        derived: shared.derived.load(Ordering::Relaxed),
        exercised,
        elapsed: shared.started.elapsed(),
        findings_file: shared.writer.path().to_path_buf(),
        interrupted: was_interrupted,
        resumed: shared.finished_before.len() as u64,
        restarts: {
            let mut out = BTreeMap::new();
            for (t, r) in shared.opts.targets.targets.iter().zip(&shared.restarts) {
                let runs = std::mem::take(&mut r.lock().await.runs);
                if !runs.is_empty() {
                    out.insert(t.name.clone(), runs);
                }
            }
            out
        },
    })
}

/// The runs of a target's `restart` hook in a campaign.
#[derive(Debug, Default)]
struct Restarts {
    /// Why each run was made: the setup error that made it.
    runs: Vec<String>,
}

/// A target is restarted at most this many times in one campaign; a server that keeps
/// dying is then dropped from the campaign like any unreachable one.
pub const MAX_RESTARTS: usize = 5;

/// After a session could not reach target `ti` (`error`), runs its `restart` hook, once
/// for all the sessions that failed together: `seen` is how many restarts had been made
/// when the failed session started, so a session that failed before a restart another
/// session has made since just tries again. `Ok(true)`: try again; `Ok(false)`: the target
/// has no hook; `Err`: the hook failed or ran too often.
async fn reach_again(
    s: &Shared,
    ti: usize,
    seen: usize,
    error: &DriveError,
) -> Result<bool, String> {
    let target = &s.opts.targets.targets[ti];
    // A certificate or STARTTLS problem, or a way of logging in the server does not
    // offer, is the setup's: starting the server again would not change it.
    if target.restart.is_none() || matches!(error, DriveError::Tls(_) | DriveError::Unsupported(_))
    {
        return Ok(false);
    }
    let mut restarts = s.restarts[ti].lock().await;
    if restarts.runs.len() > seen {
        return Ok(true);
    }
    if restarts.runs.len() >= MAX_RESTARTS {
        return Err(format!("restarted {MAX_RESTARTS} times already: not again"));
    }
    if s.opts.progress {
        eprintln!(
            "\nimapconform: target {}: {error}; restarting it",
            target.name
        );
    }
    restarts.runs.push(s.opts.redact.text(&error.to_string()));
    drive::restart(target)
        .await
        .map_err(|e| format!("its restart hook failed: {e}"))
}

/// SIGINT (Ctrl-C) or SIGTERM, whichever comes first; names it.
async fn interruption() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "interrupted";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated",
    }
}

/// What an interrupted run of the campaign had counted, summed from its journal.
#[derive(Default)]
struct Restored {
    done: u64,
    commands: u64,
    derived: u64,
    kept_sessions: std::collections::BTreeSet<u64>,
    exercised: BTreeMap<String, Exercised>,
    coverage: BTreeMap<String, judge::Tally>,
    signatures: SignatureSet,
    elapsed: Duration,
}

impl From<&journal::Recovered> for Restored {
    fn from(r: &journal::Recovered) -> Restored {
        let mut out = Restored::default();
        for rec in r.sessions.values() {
            out.done += 1;
            out.commands += rec.commands;
            out.derived += u64::from(rec.derived);
            if rec.kept {
                out.kept_sessions.insert(rec.session);
            }
            for (target, by_command) in &rec.exercised {
                let (sessions, all) = out.exercised.entry(target.clone()).or_default();
                *sessions += 1;
                for (shape, n) in by_command {
                    *all.entry(shape.clone()).or_default() += n;
                }
            }
            for (target, (judged, total)) in &rec.coverage {
                let e = out.coverage.entry(target.clone()).or_default();
                e.judged += judged;
                e.total += total;
                if let Some(why) = rec.oracle_stops.get(target) {
                    *e.stops.entry(why.clone()).or_default() += 1;
                }
                e.lost_after_fault += rec.oracle_lost_after_fault.get(target).unwrap_or(&0);
                for (what, n) in rec.oracle_skipped.get(target).into_iter().flatten() {
                    *e.skipped.entry(what.clone()).or_default() += n;
                }
            }
            for (target, sig) in &rec.signatures {
                out.signatures.insert(target, sig);
            }
            out.elapsed = out.elapsed.max(Duration::from_millis(rec.elapsed_ms));
        }
        out
    }
}

/// Whether session `index` continues a kept session: one in `derive_one_in`, from
/// session 2·[`DERIVE_LAG`] on, never in a shard (a slice does not see what the others
/// kept).
fn derives(opts: &CampaignOptions, index: u64) -> bool {
    let n = u64::from(opts.derive_one_in);
    n > 0 && opts.shard.is_none() && index >= 2 * DERIVE_LAG && index % n == n - 1
}

/// The parent of derived session `index`: a session kept at least [`DERIVE_LAG`]
/// numbers earlier, picked by the seed. Waits until every session that far back has
/// finished, so that the choice does not depend on timing. `None` when none was kept, or
/// when the campaign is ending.
async fn choose_parent(s: &Shared, index: u64) -> Option<u64> {
    let horizon = index - DERIVE_LAG;
    loop {
        let low = s.in_order.lock().expect("order lock").next();
        if low >= horizon {
            break;
        }
        if s.failed.load(Ordering::Relaxed) || s.stopping.load(Ordering::Relaxed) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kept = s.kept_sessions.lock().expect("kept lock");
    // A corpus session's script is not the seed's: it cannot be derived from.
    let first_generated = s.opts.corpus.len() as u64;
    let earlier: Vec<u64> = kept
        .range(first_generated..horizon.max(first_generated))
        .copied()
        .collect();
    if earlier.is_empty() {
        return None;
    }
    let pick = gen::entropy::SplitMix64::for_session(s.opts.seed ^ PARENT_SALT, index).next_u64();
    Some(earlier[(pick % earlier.len() as u64) as usize])
}

/// Keeps the choice of parents apart from every other stream of the seed.
const PARENT_SALT: u64 = 0x9a2e_47f0_0d1c_e5ed;

/// Marks session `index` finished, leaving `work` to be done in session order; does
/// what is due.
fn finish(s: &Shared, index: u64, work: Option<Settle>) -> anyhow::Result<()> {
    let mut order = s.in_order.lock().expect("order lock");
    let shard = s.opts.shard;
    // Held while settling: the next session's work must wait for this one's.
    for (index, work) in order.finish(index, work, |i| shard.is_some_and(|sh| !sh.contains(i))) {
        settle(s, index, work)?;
    }
    Ok(())
}

/// What a finished session leaves to be done in session order: its response signatures
/// counted (a session that showed a target one first is kept in `DIR/corpus/`), and its
/// journal record written.
struct Settle {
    record: SessionRecord,
    names: Vec<String>,
    security: Vec<TlsMode>,
    exclusive: Vec<bool>,
    transcripts: Vec<(usize, Transcript)>,
    notes: Vec<(&'static str, String)>,
}

/// Feedback (issue 4 §5): a session that shows a target a new response signature is kept
/// in `DIR/corpus/`. Then the journal records the session as finished.
fn settle(s: &Shared, index: u64, work: Settle) -> anyhow::Result<()> {
    let Settle {
        mut record,
        names,
        security,
        exclusive,
        transcripts,
        notes,
    } = work;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let new_signatures = {
        let mut guard = s.signatures.lock().expect("signatures lock");
        let (set, timeline) = &mut *guard;
        let minute = s.started.elapsed().as_secs() / 60;
        if minute > timeline.len() as u64 {
            // The count when each whole minute passed (no session ended in between: the
            // same count again).
            while (timeline.len() as u64) < minute {
                let at = (timeline.len() as u64 + 1) * 60;
                timeline.push((at, set.len()));
            }
        }
        for (name, (_, t)) in names.iter().zip(&transcripts) {
            record.signatures.extend(
                set.add_new(name, t)
                    .into_iter()
                    .map(|sig| (name.to_string(), sig)),
            );
        }
        record.signatures.len()
    };
    // A corpus session is already in the corpus it came from: it is not kept again.
    let from_corpus = (index as usize) < s.opts.corpus.len();
    if new_signatures > 0 && !from_corpus {
        let in_corpus = |index: u64, name: &str| format!("corpus/{index:06}-{name}.imap");
        write_cases(
            &s.opts.out,
            s.opts.seed,
            index,
            &names,
            &security,
            &exclusive,
            &transcripts,
            &notes,
            in_corpus,
            &s.opts.redact,
        )?;
        s.kept.fetch_add(1, Ordering::Relaxed);
        s.kept_sessions.lock().expect("kept lock").insert(index);
        record.kept = true;
    }
    // Its findings and case files are on disk: the session is finished.
    s.journal
        .record(&record)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", s.journal.path().display()))
}

/// The script of session `index`: the generated commands, closed by a LOGOUT so that
/// every server finishes its work before the next session resets the store.
pub fn session_script(seed: u64, index: u64, cfg: &GenConfig) -> Vec<Message> {
    session_script_labelled(seed, index, cfg).0
}

/// [`session_script`] with the labels of its mutated commands: (script step, operator).
pub fn session_script_labelled(
    seed: u64,
    index: u64,
    cfg: &GenConfig,
) -> (Vec<Message>, Vec<(usize, Operator)>) {
    labelled(gen::generate(seed, index, cfg))
}

/// A script closed by LOGOUT, with the labels of its mutated commands.
fn labelled(script: gen::Script) -> (Vec<Message>, Vec<(usize, Operator)>) {
    let labels = judge::mutation::labels_of(&script.commands);
    (with_logout(script), labels)
}

fn with_logout(script: gen::Script) -> Vec<Message> {
    let mut msgs: Vec<Message> = script.commands.into_iter().map(|c| c.message).collect();
    let ends_with_logout = msgs.last().is_some_and(|m| {
        let l = m.first_line().to_ascii_uppercase();
        l.ends_with(b" LOGOUT")
    });
    if !ends_with_logout {
        msgs.push(Message::line(format!("a{} LOGOUT", msgs.len() + 1)));
    }
    msgs
}

/// Drives one target through one session as `pool_user`: reset its store, then run.
pub async fn drive_target(
    target: &Target,
    pool_user: Option<&Credentials>,
    script: &[Message],
    opts: &DriveOptions,
) -> Result<Transcript, DriveError> {
    drive::reset(target, pool_user).await?;
    drive::run_session(target, pool_user, script, opts).await
}

/// The sessions this run will send: `--sessions`, or this shard's share of them.
fn planned_sessions(opts: &CampaignOptions) -> Option<u64> {
    match (opts.sessions, opts.shard) {
        (Some(n), Some(shard)) => Some(shard.share_of(n)),
        (n, _) => n,
    }
}

/// The STARTTLS probes ([`crate::probes`]) of every target secured with TLS, all
/// targets at once, before the first session. A target that cannot be reached gets its
/// restart hook once, as a session's would; if it still cannot, it is dropped with its
/// error. On `--resume` they run again (their findings belong to no session, so the
/// recovery dropped them).
async fn run_probes(s: &Arc<Shared>) -> anyhow::Result<()> {
    let mut runs = tokio::task::JoinSet::new();
    for (ti, target) in s.opts.targets.targets.iter().enumerate() {
        if target.tls.is_none() && target.read_only_mailboxes.is_empty() {
            continue;
        }
        let (s, target) = (s.clone(), target.clone());
        runs.spawn(async move {
            let creds = s.pools[ti].take().await;
            let probe = || {
                crate::probes::probe_target(
                    &target,
                    creds.as_ref(),
                    &s.opts.drive,
                    s.opts.seed,
                    &s.opts.out,
                    &s.writer,
                    &s.opts.redact,
                    s.opts.all_cases,
                )
            };
            let seen = s.restarts[ti].lock().await.runs.len();
            let mut r = probe().await;
            if let Ok(Err(e)) = &r {
                // The server may be down from an earlier run: as for a session, start
                // it again and try once more.
                if let Ok(true) = reach_again(&s, ti, seen, e).await {
                    r = probe().await;
                }
            }
            s.pools[ti].give_back(creds);
            (ti, r)
        });
    }
    while let Some(r) = runs.join_next().await {
        let (ti, r) = r?;
        let name = &s.opts.targets.targets[ti].name;
        match r? {
            Ok(o) => {
                if s.opts.progress {
                    eprintln!(
                        "imapconform: target {name}: {} probe(s), {} finding(s){}",
                        o.ran,
                        o.findings,
                        if o.skipped.is_empty() {
                            String::new()
                        } else {
                            format!("; not applicable: {}", o.skipped.join("; "))
                        }
                    );
                }
            }
            Err(e) => {
                s.dropped[ti].store(true, Ordering::Relaxed);
                s.errors
                    .lock()
                    .expect("errors lock")
                    .insert(name.clone(), s.opts.redact.text(&e.to_string()));
                if s.opts.progress {
                    eprintln!("imapconform: target {name}: {e}; dropped from the campaign");
                }
            }
        }
    }
    Ok(())
}

async fn run_one(s: &Arc<Shared>, index: u64, parent: Option<u64>) -> anyhow::Result<()> {
    let r = match run_session(s, index, parent).await {
        Ok(work) => finish(s, index, Some(work)),
        Err(e) => finish(s, index, None).and(Err(e)),
    };
    if r.is_err() {
        s.failed.store(true, Ordering::Relaxed);
    }
    r
}

/// Runs session `index` on every target, judges it and writes its findings; returns what
/// is left to do in session order.
async fn run_session(s: &Arc<Shared>, index: u64, parent: Option<u64>) -> anyhow::Result<Settle> {
    let (script, labels) = match parent {
        Some(p) => {
            s.derived.fetch_add(1, Ordering::Relaxed);
            labelled(gen::derive(s.opts.seed, index, p, &s.opts.gen))
        }
        None => match s.opts.corpus.get(index as usize) {
            Some(c) => (c.script.clone(), c.labels.clone()),
            None => session_script_labelled(s.opts.seed, index, &s.opts.gen),
        },
    };
    let mut drive_opts = s.opts.drive.clone();
    if s.opts.oracle.is_some() {
        drive_opts.prelude = gen::prelude::prelude(s.opts.seed, index);
    }
    let drive_opts = Arc::new(drive_opts);
    let mut runs = tokio::task::JoinSet::new();
    for (ti, target) in s.opts.targets.targets.iter().enumerate() {
        if s.dropped[ti].load(Ordering::Relaxed) {
            continue;
        }
        let (s, target, script) = (s.clone(), target.clone(), script.clone());
        let drive_opts = drive_opts.clone();
        runs.spawn(async move {
            let creds = s.pools[ti].take().await;
            let seen = s.restarts[ti].lock().await.runs.len();
            let mut r = drive_target(&target, creds.as_ref(), &script, &drive_opts).await;
            if let Err(e) = &r {
                // The server may have died (in an earlier session, or under a concurrent
                // one): start it again and try once more.
                match reach_again(&s, ti, seen, e).await {
                    Ok(true) => {
                        r = drive_target(&target, creds.as_ref(), &script, &drive_opts)
                            .await
                            .map_err(|again| {
                                DriveError::Connect(format!(
                                    "{again} (also after restarting it, because: {e})"
                                ))
                            })
                    }
                    Ok(false) => {}
                    Err(why) => r = Err(DriveError::Connect(format!("{e}; {why}"))),
                }
            }
            s.pools[ti].give_back(creds);
            (ti, r)
        });
    }
    let mut transcripts: Vec<(usize, Transcript)> = Vec::new();
    while let Some(r) = runs.join_next().await {
        let (ti, r) = r?;
        match r {
            Ok(t) => transcripts.push((ti, t)),
            Err(e) => {
                let name = s.opts.targets.targets[ti].name.clone();
                if !s.dropped[ti].swap(true, Ordering::Relaxed) {
                    s.errors
                        .lock()
                        .expect("errors lock")
                        .insert(name.clone(), s.opts.redact.text(&e.to_string()));
                    if s.opts.progress {
                        eprintln!("\nimapconform: target {name}: {e}; dropped from the campaign");
                    }
                }
            }
        }
    }
    transcripts.sort_by_key(|(ti, _)| *ti);
    let names: Vec<&str> = transcripts
        .iter()
        .map(|(ti, _)| s.opts.targets.targets[*ti].name.as_str())
        .collect();
    let security: Vec<TlsMode> = transcripts
        .iter()
        .map(|(ti, _)| s.opts.targets.targets[*ti].tls)
        .collect();
    let exclusive: Vec<bool> = transcripts
        .iter()
        .map(|(ti, _)| s.opts.targets.targets[*ti].exclusive)
        .collect();
    let sent: usize = transcripts.iter().map(|(_, t)| t.script.len()).sum();
    s.commands.fetch_add(sent as u64, Ordering::Relaxed);
    // What the journal records of this session once it is finished.
    let mut record = SessionRecord {
        session: index,
        derived: parent.is_some(),
        commands: sent as u64,
        ..SessionRecord::default()
    };
    {
        let mut ex = s.exercised.lock().expect("exercised lock");
        for (name, (_, t)) in names.iter().zip(&transcripts) {
            let (sessions, by_command) = ex.entry(name.to_string()).or_default();
            let mine = record.exercised.entry(name.to_string()).or_default();
            *sessions += 1;
            for e in &t.script {
                let shape =
                    crate::report::distinct::command_shape(&escape(e.command().first_line()));
                *by_command.entry(shape.clone()).or_default() += 1;
                *mine.entry(shape).or_default() += 1;
            }
        }
    }

    let compared: Vec<bool> = transcripts
        .iter()
        .map(|(ti, _)| !s.opts.targets.targets[*ti].model)
        .collect();
    let worlds: Vec<World> = exclusive.iter().map(|e| World::of(*e)).collect();
    let (verdicts, coverage) = judge_session(
        &names,
        &transcripts.iter().map(|(_, t)| t).collect::<Vec<_>>(),
        s.opts.oracle,
        &compared,
        &worlds,
        &labels,
    );
    {
        let mut c = s.coverage.lock().expect("coverage lock");
        for (name, cov) in names.iter().zip(coverage) {
            c.entry(name.to_string()).or_default().add(&cov);
            record
                .coverage
                .insert(name.to_string(), (cov.judged as u64, cov.total as u64));
            if let Some(why) = &cov.stopped {
                record
                    .oracle_stops
                    .insert(name.to_string(), why.to_string());
            }
            if cov.after_fault {
                record.oracle_lost_after_fault.insert(
                    name.to_string(),
                    cov.total.saturating_sub(cov.judged) as u64,
                );
            }
            if !cov.skipped.is_empty() {
                record.oracle_skipped.insert(
                    name.to_string(),
                    cov.skipped
                        .iter()
                        .map(|(what, n)| (what.to_string(), *n))
                        .collect(),
                );
            }
        }
    }
    // Case headers beyond the usual: the mutated commands' labels, the parent session.
    let mut notes: Vec<(&'static str, String)> = Vec::new();
    if !labels.is_empty() {
        notes.push((MUTATIONS_HEADER, judge::mutation::format_labels(&labels)));
    }
    if let Some(p) = parent {
        notes.push((DERIVED_HEADER, p.to_string()));
    }
    if let Some(c) = s.opts.corpus.get(index as usize) {
        notes.push((CORPUS_HEADER, c.name.clone()));
    }
    if !verdicts.is_empty() || s.opts.all_cases {
        let cases = write_cases(
            &s.opts.out,
            s.opts.seed,
            index,
            &names,
            &security,
            &exclusive,
            &transcripts,
            &notes,
            case_path,
            &s.opts.redact,
        )?;
        for (n, v) in verdicts.into_iter().enumerate() {
            let f = to_finding(s.opts.seed, index, n, v, &script, &cases);
            s.writer
                .write(&f)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", s.writer.path().display()))?;
        }
    }
    record.elapsed_ms = s.started.elapsed().as_millis() as u64;
    let done = s.done.fetch_add(1, Ordering::Relaxed) + 1;
    s.progress.update(
        done,
        planned_sessions(&s.opts),
        s.opts.duration,
        &s.writer.counts(),
    );
    Ok(Settle {
        record,
        names: names.iter().map(|n| n.to_string()).collect(),
        security,
        exclusive,
        transcripts,
        notes,
    })
}

/// Most findings one judge makes of one target in one session: a server that answers
/// with an endless stream of garbage must not make findings (and memory) without end.
pub const MAX_FINDINGS_PER_JUDGE: usize = 100;

/// The first [`MAX_FINDINGS_PER_JUDGE`] verdicts; the last one kept says how many more
/// there were (as an aside in parentheses, which the distinct-finding signature leaves
/// out).
fn capped(mut v: Vec<Verdict>) -> Vec<Verdict> {
    if v.len() > MAX_FINDINGS_PER_JUDGE {
        let more = v.len() - MAX_FINDINGS_PER_JUDGE;
        v.truncate(MAX_FINDINGS_PER_JUDGE);
        if let Some(last) = v.last_mut() {
            last.summary.push_str(&format!(
                " (and {more} more like it in this session, not recorded: at most {MAX_FINDINGS_PER_JUDGE} per judge, target and session)"
            ));
        }
    }
    v
}

/// Every judgement of one session: syntax, ending, tags, the server's answers against each
/// other (metamorphic), mutated commands against their labels and the oracle per target,
/// then the
/// differential comparison across the targets marked in `compared` (not those serving
/// the model), through the oracle's message identities when the oracle is on. `worlds`
/// says per target whether the tool owned the account (missing: an open world).
pub fn judge_session(
    names: &[&str],
    transcripts: &[&Transcript],
    oracle: Option<Profile>,
    compared: &[bool],
    worlds: &[World],
    mutations: &[(usize, Operator)],
) -> (Vec<Verdict>, Vec<Coverage>) {
    let mut verdicts = Vec::new();
    let mut coverage = Vec::new();
    for (i, (name, t)) in names.iter().zip(transcripts).enumerate() {
        // Syntax findings cite the profile's document (the default's without an oracle).
        verdicts.extend(capped(judge::syntax::judge_syntax_in(
            name,
            t,
            oracle.unwrap_or_default(),
        )));
        verdicts.extend(judge::judge_end(name, t));
        verdicts.extend(judge::capability_names::judge_capability_names(name, t));
        verdicts.extend(judge::eight_bit::judge_eight_bit(name, t));
        verdicts.extend(judge::starttls::judge_setup(name, t));
        verdicts.extend(capped(judge::tags::judge_tags_in(
            name,
            t,
            oracle.unwrap_or_default(),
        )));
        verdicts.extend(capped(judge::completion::judge_completions_in(
            name,
            t,
            oracle.unwrap_or_default(),
        )));
        verdicts.extend(capped(judge::untagged::judge_untagged_in(
            name,
            t,
            oracle.unwrap_or_default(),
        )));
        let mutated: Vec<usize> = mutations.iter().map(|(step, _)| *step).collect();
        verdicts.extend(capped(judge::continuation::judge_continuations_in(
            name,
            t,
            oracle.unwrap_or_default(),
            &mutated,
        )));
        verdicts.extend(capped(judge::store_echo::judge_store_echo_in(
            name,
            t,
            oracle.unwrap_or_default(),
            &mutated,
        )));
        verdicts.extend(capped(judge::judge_metamorphic(name, t)));
        verdicts.extend(capped(judge::mutation::judge_mutations_in(
            name,
            t,
            mutations,
            oracle.unwrap_or_default(),
        )));
        if let Some(profile) = oracle {
            let world = worlds.get(i).copied().unwrap_or_default();
            let (v, mut c) = judge::judge_oracle_in(name, t, profile, world);
            verdicts.extend(capped(v));
            c.mark_fault(name, &verdicts);
            coverage.push(c);
        } else {
            coverage.push(Coverage::default());
        }
    }
    let keep = |i: usize| compared.get(i).copied().unwrap_or(true);
    let runs: Vec<(&str, &Transcript)> = names
        .iter()
        .copied()
        .zip(transcripts.iter().copied())
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, r)| r)
        .collect();
    let identities: Vec<&[Option<Identity>]> = coverage
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| c.identities.as_slice())
        .collect();
    if runs.len() > 1 {
        // What the other judges already report is not reported again as a divergence.
        let malformed: Vec<usize> = mutations.iter().map(|(step, _)| *step).collect();
        let explained: Vec<judge::Explained> = runs
            .iter()
            .map(|(name, _)| judge::Explained {
                malformed: malformed.clone(),
                ..judge::explained_steps(&verdicts, name)
            })
            .collect();
        verdicts.extend(judge::judge_differential_explained(
            &runs,
            &identities,
            &explained,
        ));
    }
    (verdicts, coverage)
}

#[cfg(test)]
mod shard_tests {
    use super::Shard;

    #[test]
    fn the_slices_are_disjoint_and_together_the_whole_campaign() {
        let shards: Vec<Shard> = (1..=4)
            .map(|k| Shard::parse(&format!("{k}/4")).unwrap())
            .collect();
        for i in 0..1000u64 {
            let owners = shards.iter().filter(|s| s.contains(i)).count();
            assert_eq!(owners, 1, "session {i} belongs to exactly one slice");
        }
        assert!(Shard::parse("1/1").unwrap().contains(7));
        // Each slice's share of a 10-session campaign: 0,4,8 / 1,5,9 / 2,6 / 3,7.
        let shares: Vec<u64> = shards.iter().map(|s| s.share_of(10)).collect();
        assert_eq!(shares, vec![3, 3, 2, 2]);
    }

    #[test]
    fn bad_shards_are_refused_with_the_reason() {
        for bad in ["0/4", "5/4", "2", "a/4", "2/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("5/4").unwrap_err().contains("1 <= K <= N"));
    }
}

/// Case file name of a session with a target, relative to the findings directory.
pub fn case_path(index: u64, target: &str) -> String {
    format!("cases/{index:06}-{target}.imap")
}

/// Writes one case file per target at `out/<path(index, target)>`, redacted; returns the
/// paths.
#[allow(clippy::too_many_arguments)]
fn write_cases(
    out: &Path,
    seed: u64,
    index: u64,
    names: &[&str],
    security: &[TlsMode],
    exclusive: &[bool],
    transcripts: &[(usize, Transcript)],
    notes: &[(&str, String)],
    path: impl Fn(u64, &str) -> String,
    redact: &Redactor,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut cases = BTreeMap::new();
    for (((name, (_, t)), mode), owned) in
        names.iter().zip(transcripts).zip(security).zip(exclusive)
    {
        let rel = path(index, name);
        let mut case = Case {
            header: case_header(seed, index, name),
            transcript: redact.transcript(t),
        };
        case.set_security(*mode);
        case.set_exclusive(*owned);
        for (key, value) in notes {
            case.set(key, value.clone());
        }
        let path = out.join(&rel);
        // Written as it is escaped: the session is not held a second time as text.
        std::fs::File::create(&path)
            .and_then(|f| {
                crate::case::write_case(
                    &case.header,
                    &case.transcript,
                    &mut std::io::BufWriter::new(f),
                )
            })
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        cases.insert(name.to_string(), rel);
    }
    Ok(cases)
}

/// The case header listing the script's mutated commands: `3:literal-short 9:nul`
/// (script step, operator), so that a replay can judge them again.
pub const MUTATIONS_HEADER: &str = "mutations";

/// The case header naming the corpus case file a session replayed (`run --corpus`).
pub const CORPUS_HEADER: &str = "replayed-from";

/// The case header naming the kept session a derived session continues.
pub const DERIVED_HEADER: &str = "derived-from";

/// The header every case file starts with.
pub fn case_header(seed: u64, index: u64, target: &str) -> Vec<(String, String)> {
    vec![
        (
            "tool".into(),
            format!("imapconform {}", env!("CARGO_PKG_VERSION")),
        ),
        ("seed".into(), seed.to_string()),
        ("session".into(), index.to_string()),
        ("target".into(), target.to_string()),
        ("time".into(), rfc3339_now()),
    ]
}

fn to_finding(
    seed: u64,
    index: u64,
    n: usize,
    v: Verdict,
    script: &[Message],
    cases: &BTreeMap<String, String>,
) -> Finding {
    let command = v
        .step
        .and_then(|i| script.get(i))
        .map(|m| escape(&m.to_bytes()))
        .unwrap_or_default();
    let id = format!("{seed}.{index}.{n}");
    Finding::from_verdict(v, id, command, cases.clone(), seed, index)
}

/// The current time as `YYYY-MM-DDThh:mm:ssZ` (UTC).
pub fn rfc3339_now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
