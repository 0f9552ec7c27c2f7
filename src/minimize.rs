//! Minimisation: the smallest case that still shows a finding.
//!
//! Delta debugging (Zeller and Hildebrandt's ddmin, "Simplifying and Isolating
//! Failure-Inducing Input", 2002) shrinks a finding's case in four passes, each keeping
//! only what the finding needs:
//!
//! 1. **sessions**: of the distinct finding's example sessions, the shortest that shows
//!    it again;
//! 2. **commands**: ddmin over the script's commands (the closing LOGOUT stays, so that
//!    every server finishes its work);
//! 3. **arguments**: ddmin over each command's arguments and list items (`FETCH 1
//!    (FLAGS UID ENVELOPE)` → `FETCH 1 (ENVELOPE)`); mutated commands are left as they
//!    are, their mistake is the point;
//! 4. **literal bytes**: ddmin over each literal's lines, then (for short literals) its
//!    bytes, the literal's `{n}` following.
//!
//! A candidate "shows the finding" when, run against fresh server state (each target's
//! reset hook first) and judged as a campaign judges (syntax, ending, mutation labels,
//! the oracle, and the differential comparison for a divergence), it yields *the same
//! finding* ([`Sought`]): one with the same [`Signature`] (kind, requirement or divergence
//! shape, cause, command shape and targets) whose expected and observed values, where it
//! compares values, differ in the same places. A shorter case that shows another fault
//! of the same rule is refused. The candidates of one ddmin round run in parallel (a rayon pool as
//! wide as the targets' user pools, each candidate's sessions on tokio), and the first
//! in order that shows the finding is taken, so the result does not depend on timing.
//!
//! **Verified** (issue 5 §3): the minimal case is replayed [`VERIFY_REPLAYS`] more times;
//! a finding that does not show on every replay is labelled flaky, never dropped.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::campaign::{case_header, judge_session, MUTATIONS_HEADER};
use crate::case::Case;
use crate::drive::{self, DriveOptions};
use crate::gen::mutate::Operator;
use crate::judge::mutation::{format_labels, parse_labels};
use crate::model::Profile;
use crate::replay::script_commands;
use crate::report::distinct::{DistinctFinding, Minimal, Signature, Verification};
use crate::report::Finding;
use crate::targets::{Credentials, Target};
use crate::wire::{escape, Fragment, Message, Transcript};

mod same;
pub use same::Sought;

/// Replays of the minimal case that must all show the finding for it to be verified.
pub const VERIFY_REPLAYS: usize = 2;

/// How a minimisation runs.
#[derive(Clone, Debug)]
pub struct MinimizeOptions {
    /// The oracle's profile (`None`: no oracle, as `run --no-oracle`).
    pub oracle: Option<Profile>,
    pub drive: DriveOptions,
    /// Candidate sessions one finding may cost at most.
    pub max_tests: u64,
    /// Time one finding may take at most (the ddmin round in flight finishes).
    pub max_time: Duration,
    /// Secrets kept out of the minimal case files ([`crate::redact`]).
    pub redact: crate::redact::Redactor,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        MinimizeOptions {
            oracle: Some(Profile::Rfc2060),
            drive: DriveOptions {
                list_mailboxes: true,
                ..DriveOptions::default()
            },
            max_tests: 400,
            max_time: Duration::from_secs(60),
            redact: crate::redact::Redactor::default(),
        }
    }
}

/// One command of a script, with its mutation label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub message: Message,
    pub mutation: Option<Operator>,
}

/// A case's script as units, without the closing LOGOUT (which every candidate gets
/// back), and that LOGOUT.
pub fn units_of(case: &Case) -> Result<(Vec<Unit>, Message), String> {
    let labels = match case.get(MUTATIONS_HEADER) {
        Some(text) => parse_labels(text)?,
        None => Vec::new(),
    };
    let mut units: Vec<Unit> = script_commands(&case.transcript)
        .into_iter()
        .enumerate()
        .map(|(i, message)| Unit {
            message,
            mutation: labels.iter().find(|(s, _)| *s == i).map(|(_, op)| *op),
        })
        .collect();
    let logout = match units.last() {
        Some(u) if is_logout(&u.message) => units.pop().expect("last").message,
        _ => Message::line("z1 LOGOUT"),
    };
    Ok((units, logout))
}

fn is_logout(m: &Message) -> bool {
    let l = m.first_line().to_ascii_uppercase();
    l.ends_with(b" LOGOUT") && m.fragments.len() == 1
}

/// The script a candidate sends, and its mutation labels by script step.
fn script_of(units: &[Unit], logout: &Message) -> (Vec<Message>, Vec<(usize, Operator)>) {
    let mut msgs: Vec<Message> = units.iter().map(|u| u.message.clone()).collect();
    msgs.push(logout.clone());
    let labels = units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.mutation.map(|op| (i, op)))
        .collect();
    (msgs, labels)
}

/// A target's users, handed out one per concurrent candidate (blocking: candidates run
/// on rayon threads).
struct UserPool {
    free: Mutex<Vec<Credentials>>,
    ready: Condvar,
    unlimited: bool,
}

impl UserPool {
    fn new(t: &Target) -> UserPool {
        let users = t.pool();
        UserPool {
            unlimited: users.is_empty(),
            free: Mutex::new(users),
            ready: Condvar::new(),
        }
    }

    fn take(&self) -> Option<Credentials> {
        if self.unlimited {
            return None;
        }
        let mut free = self.free.lock().expect("pool lock");
        loop {
            if let Some(c) = free.pop() {
                return Some(c);
            }
            free = self.ready.wait(free).expect("pool lock");
        }
    }

    fn give_back(&self, c: Option<Credentials>) {
        if let Some(c) = c {
            self.free.lock().expect("pool lock").push(c);
            self.ready.notify_one();
        }
    }

    fn size(&self) -> usize {
        if self.unlimited {
            usize::MAX
        } else {
            self.free.lock().expect("pool lock").len()
        }
    }
}

/// Runs candidate scripts against targets, each from fresh state, and judges them.
pub struct Runner {
    targets: Vec<Target>,
    pools: Vec<UserPool>,
    handle: tokio::runtime::Handle,
    threads: rayon::ThreadPool,
    opts: MinimizeOptions,
    /// Set (by Ctrl-C) to end the work early: ddmin stops where it is, findings not yet
    /// reached are left as they are.
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// What one candidate run showed.
struct Shown {
    findings: Vec<Finding>,
    transcripts: Vec<(String, Transcript)>,
}

impl Shown {
    fn signatures(&self) -> Vec<Signature> {
        self.findings.iter().map(Signature::of).collect()
    }
}

impl Runner {
    /// A runner over `targets` (candidates use the targets' user pools; as many run at
    /// once as the smallest pool has users, at most 8).
    pub fn new(
        targets: Vec<Target>,
        handle: tokio::runtime::Handle,
        opts: MinimizeOptions,
    ) -> anyhow::Result<Runner> {
        let pools: Vec<UserPool> = targets.iter().map(UserPool::new).collect();
        let width = pools
            .iter()
            .map(UserPool::size)
            .min()
            .unwrap_or(1)
            .clamp(1, 8);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(width)
            .thread_name(|i| format!("imapconform-minimize-{i}"))
            .build()
            .map_err(|e| anyhow::anyhow!("starting the minimiser's threads: {e}"))?;
        Ok(Runner {
            targets,
            pools,
            handle,
            threads,
            opts,
            stop: Default::default(),
        })
    }

    /// The flag that stops the work early when set.
    pub fn stop_flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.stop.clone()
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Replays a case's script once on the named targets from fresh state and returns
    /// the signatures of what the answers show.
    pub fn replay_case(&self, case: &Case, on: &[String]) -> Result<Vec<Signature>, String> {
        if is_probe(case) {
            return self.replay_probe(case, on);
        }
        let (units, logout) = units_of(case)?;
        let mut drive = self.opts.drive.clone();
        drive.prelude = prelude_of(case);
        Ok(self.run(&drive, on, &units, &logout).signatures())
    }

    /// Runs the STARTTLS probe of a probe's case again on the first of `on` (a probe
    /// talks to one target) and returns the signatures of its findings.
    fn replay_probe(&self, case: &Case, on: &[String]) -> Result<Vec<Signature>, String> {
        let i = on
            .first()
            .and_then(|n| self.targets.iter().position(|t| &t.name == n))
            .ok_or("the probe's target is not in the targets file")?;
        let creds = self.pools[i].take();
        let r = self.handle.block_on(crate::probes::replay_probe(
            case,
            &self.targets[i],
            creds.as_ref(),
            &self.opts.drive,
        ));
        self.pools[i].give_back(creds);
        r
    }

    /// Replays each case [`VERIFY_REPLAYS`] times on its targets, cases in parallel
    /// (as many at once as the user pools allow): for each case, the signatures each
    /// replay showed (an unreadable script shows nothing).
    pub fn replay_cases(&self, jobs: &[(Case, Vec<String>)]) -> Vec<Vec<Vec<Signature>>> {
        self.threads.install(|| {
            jobs.par_iter()
                .map(|(case, on)| {
                    (0..VERIFY_REPLAYS)
                        .map(|_| self.replay_case(case, on).unwrap_or_default())
                        .collect()
                })
                .collect()
        })
    }

    /// The targets compared by the differential judge (not serving the model).
    pub fn compared_targets(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| !t.model)
            .map(|t| t.name.clone())
            .collect()
    }

    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// Runs the script on the named targets at once, each as a pool user of its own,
    /// from fresh state; judges the answers as a campaign does.
    fn run(&self, drive: &DriveOptions, on: &[String], units: &[Unit], logout: &Message) -> Shown {
        let (script, labels) = script_of(units, logout);
        let indices: Vec<usize> = on
            .iter()
            .filter_map(|n| self.targets.iter().position(|t| &t.name == n))
            .collect();
        let creds: Vec<Option<Credentials>> =
            indices.iter().map(|&i| self.pools[i].take()).collect();
        let results = self.handle.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (k, &i) in indices.iter().enumerate() {
                let (t, c, s, o) = (
                    self.targets[i].clone(),
                    creds[k].clone(),
                    script.clone(),
                    drive.clone(),
                );
                set.spawn(async move {
                    let r = match drive::reset(&t, c.as_ref()).await {
                        Ok(()) => drive::run_session(&t, c.as_ref(), &s, &o).await,
                        Err(e) => Err(e),
                    };
                    (k, r)
                });
            }
            let mut out = Vec::new();
            while let Some(r) = set.join_next().await {
                if let Ok(r) = r {
                    out.push(r);
                }
            }
            out.sort_by_key(|(k, _)| *k);
            out
        });
        for (k, &i) in indices.iter().enumerate() {
            self.pools[i].give_back(creds[k].clone());
        }
        let transcripts: Vec<(String, Transcript)> = results
            .into_iter()
            .filter_map(|(k, r)| r.ok().map(|t| (self.targets[indices[k]].name.clone(), t)))
            .collect();
        let names: Vec<&str> = transcripts.iter().map(|(n, _)| n.as_str()).collect();
        let refs: Vec<&Transcript> = transcripts.iter().map(|(_, t)| t).collect();
        let compared: Vec<bool> = names
            .iter()
            .map(|n| !self.target(n).is_some_and(|t| t.model))
            .collect();
        let worlds: Vec<crate::judge::World> = names
            .iter()
            .map(|n| crate::judge::World::of(self.target(n).is_some_and(|t| t.exclusive)))
            .collect();
        let (verdicts, _) =
            judge_session(&names, &refs, self.opts.oracle, &compared, &worlds, &labels);
        let findings = verdicts
            .into_iter()
            .map(|v| {
                let command = v
                    .step
                    .and_then(|i| script.get(i))
                    .map(|m| escape(&m.to_bytes()))
                    .unwrap_or_default();
                Finding::from_verdict(v, String::new(), command, BTreeMap::new(), 0, 0)
            })
            .collect();
        Shown {
            findings,
            transcripts,
        }
    }
}

/// What is being looked for, and where.
#[derive(Clone, Debug)]
pub struct Goal {
    pub sought: Sought,
    /// The targets each candidate runs on: the finding's own, and for a divergence every
    /// target it was compared with.
    pub run_on: Vec<String>,
    /// The non-authenticated prelude the recorded session ran before logging in
    /// ([`crate::gen::prelude`]), which every candidate runs again unchanged.
    pub prelude: Vec<Message>,
}

/// Candidate sessions spent, and the limits.
struct Budget<'a> {
    tests: AtomicU64,
    max_tests: u64,
    deadline: Instant,
    stop: Option<&'a std::sync::atomic::AtomicBool>,
}

impl Budget<'_> {
    fn left(&self) -> bool {
        self.tests.load(Ordering::Relaxed) < self.max_tests
            && Instant::now() < self.deadline
            && !self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// The result of minimising one case.
#[derive(Clone, Debug)]
pub struct Minimized {
    pub units: Vec<Unit>,
    pub logout: Message,
    /// The transcripts of the first verification replay, per target.
    pub transcripts: Vec<(String, Transcript)>,
    pub verification: Verification,
    pub commands_before: usize,
    pub bytes_before: usize,
    pub tests: u64,
    pub elapsed: Duration,
    /// Whether a budget ran out before ddmin finished.
    pub exhausted: bool,
}

impl Minimized {
    pub fn commands_after(&self) -> usize {
        self.units.len() + 1
    }

    pub fn bytes_after(&self) -> usize {
        script_bytes(&self.units, &self.logout)
    }
}

fn script_bytes(units: &[Unit], logout: &Message) -> usize {
    units.iter().map(|u| u.message.len()).sum::<usize>() + logout.len()
}

/// Minimises `units` (+ `logout`) for `goal`. `None` when the original script does not
/// show the finding in [`VERIFY_REPLAYS`] tries: it is then flaky (or the servers
/// changed), which the caller labels.
pub fn minimize(
    runner: &Runner,
    goal: &Goal,
    units: Vec<Unit>,
    logout: Message,
) -> Result<Minimized, String> {
    let started = Instant::now();
    let budget = Budget {
        tests: AtomicU64::new(0),
        max_tests: runner.opts.max_tests,
        deadline: started + runner.opts.max_time,
        stop: Some(&runner.stop),
    };
    let commands_before = units.len() + 1;
    let bytes_before = script_bytes(&units, &logout);
    let mut runner_opts = runner.opts.drive.clone();
    runner_opts.prelude = goal.prelude.clone();
    let shows = |cand: &[Unit]| -> bool {
        budget.tests.fetch_add(1, Ordering::Relaxed);
        runner
            .run(&runner_opts, &goal.run_on, cand, &logout)
            .findings
            .iter()
            .any(|f| goal.sought.is(f))
    };
    // The original must show it (twice at most: once may be chance).
    if !(shows(&units) || shows(&units)) {
        return Err(format!(
            "the recorded case did not show it again in 2 runs ({} candidate sessions)",
            budget.tests.load(Ordering::Relaxed)
        ));
    }
    // Pass 2: commands.
    let mut current = ddmin(units, &|c: &[Unit]| shows(c), runner, &budget);
    // Pass 3: the arguments of each command.
    for i in 0..current.len() {
        if !budget.left() {
            break;
        }
        if current[i].mutation.is_some() {
            continue;
        }
        let Some(tokens) = arguments(&current[i].message) else {
            continue;
        };
        let removable: Vec<usize> = (0..tokens.len()).filter(|&k| tokens[k].removable).collect();
        if removable.is_empty() {
            continue;
        }
        let build = |keep: &[usize]| -> Vec<Unit> {
            let mut cand = current.clone();
            cand[i].message = with_arguments(&current[i].message, &tokens, keep);
            cand
        };
        let kept = ddmin(
            removable,
            &|keep: &[usize]| shows(&build(keep)),
            runner,
            &budget,
        );
        current = build(&kept);
    }
    // Pass 4: literal bytes.
    for i in 0..current.len() {
        if current[i].mutation.is_some() {
            continue;
        }
        let literals: Vec<usize> = current[i]
            .message
            .fragments
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f, Fragment::Literal(_)))
            .map(|(k, _)| k)
            .collect();
        for k in literals {
            if !budget.left() {
                break;
            }
            let Fragment::Literal(bytes) = &current[i].message.fragments[k] else {
                continue;
            };
            // Lines first, then (for a short literal) single bytes.
            let lines = split_lines(bytes);
            let short = |cur: &[Unit]| match &cur[i].message.fragments[k] {
                Fragment::Literal(b) if b.len() <= 256 => Some(b.clone()),
                _ => None,
            };
            for pieces in [Some(lines), None] {
                let Some(pieces) = pieces
                    .or_else(|| short(&current).map(|b| b.iter().map(|x| vec![*x]).collect()))
                else {
                    continue;
                };
                if !budget.left() {
                    break;
                }
                let base = current.clone();
                let build = |keep: &[Vec<u8>]| -> Vec<Unit> {
                    let mut cand = base.clone();
                    cand[i].message = with_literal(&base[i].message, k, &keep.concat());
                    cand
                };
                let kept = ddmin(
                    pieces,
                    &|keep: &[Vec<u8>]| shows(&build(keep)),
                    runner,
                    &budget,
                );
                current = build(&kept);
            }
        }
    }
    let exhausted = !budget.left();
    // Verification: every replay must show it.
    let replays: Vec<Shown> = runner.threads.install(|| {
        (0..VERIFY_REPLAYS)
            .into_par_iter()
            .map(|_| runner.run(&runner_opts, &goal.run_on, &current, &logout))
            .collect()
    });
    budget
        .tests
        .fetch_add(VERIFY_REPLAYS as u64, Ordering::Relaxed);
    let showing = replays
        .iter()
        .filter(|s| goal.sought.shown_by(&s.findings))
        .count();
    let verification = if showing == VERIFY_REPLAYS {
        Verification::Verified
    } else {
        Verification::Flaky(format!(
            "the minimal case showed it in {showing} of {VERIFY_REPLAYS} replays"
        ))
    };
    let transcripts = replays
        .into_iter()
        .find(|s| goal.sought.shown_by(&s.findings))
        .map(|s| s.transcripts)
        .unwrap_or_default();
    Ok(Minimized {
        units: current,
        logout,
        transcripts,
        verification,
        commands_before,
        bytes_before,
        tests: budget.tests.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        exhausted,
    })
}

/// ddmin (Zeller and Hildebrandt 2002): the smallest subsequence of `items`, in order,
/// for which `test` holds, to 1-minimality as far as the budget allows. Each round's
/// candidates (the n subsets, then their complements) run in parallel; the first in
/// that order that passes is taken.
fn ddmin<T: Clone + Send + Sync>(
    mut items: Vec<T>,
    test: &(dyn Fn(&[T]) -> bool + Sync),
    runner: &Runner,
    budget: &Budget,
) -> Vec<T> {
    // The empty sequence first: often a whole pass is not needed.
    if !items.is_empty() && budget.left() && test(&[]) {
        return Vec::new();
    }
    let mut n = 2usize;
    while items.len() >= 2 && budget.left() {
        let n_now = n.min(items.len());
        let chunks = split(&items, n_now);
        let mut candidates: Vec<Vec<T>> = chunks.clone();
        // With two halves, each half is the other's complement.
        if n_now > 2 {
            for i in 0..chunks.len() {
                let complement: Vec<T> = chunks
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, c)| c.iter().cloned())
                    .collect();
                candidates.push(complement);
            }
        }
        let results: Vec<bool> = runner.threads.install(|| {
            candidates
                .par_iter()
                .map(|c| budget.left() && test(c))
                .collect()
        });
        match results.iter().position(|&ok| ok) {
            Some(i) if i < chunks.len() => {
                items = candidates.swap_remove(i);
                n = 2;
            }
            Some(i) => {
                items = candidates.swap_remove(i);
                n = (n_now - 1).max(2);
            }
            None if n_now >= items.len() => break,
            None => n = (n_now * 2).min(items.len()),
        }
    }
    items
}

/// `items` in `n` consecutive chunks of nearly equal size.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let end = start + (items.len() - start) / (n - i);
        out.push(items[start..end].to_vec());
        start = end;
    }
    out.retain(|c| !c.is_empty());
    out
}

/// A literal's lines, each with its line end; a last piece without one.
fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// One token of a command's first line (RFC 2060 §9 `command`): a word (atom, number,
/// sequence set, `BODY[...]<...>`), a quoted string, or a list parenthesis.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    text: Vec<u8>,
    /// Arguments and list items may go; the tag, the command name, parentheses and a
    /// literal's `{n}` stay.
    removable: bool,
}

/// The tokens of a command's first line, or `None` when the line holds bytes the
/// tokenizer does not read (control or 8-bit bytes, unbalanced quotes or brackets): such
/// a command is left as it is.
fn arguments(m: &Message) -> Option<Vec<Token>> {
    let line = m.first_line();
    if line.iter().any(|&b| !(0x20..0x7f).contains(&b)) {
        return None;
    }
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut words = 0;
    let mut uid = false;
    while i < line.len() {
        match line[i] {
            b' ' => i += 1,
            b'(' | b')' => {
                tokens.push(Token {
                    text: vec![line[i]],
                    removable: false,
                });
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match line.get(i) {
                        None => return None,
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                tokens.push(Token {
                    text: line[start..i].to_vec(),
                    removable: words >= 2,
                });
                words += 1;
            }
            _ => {
                let start = i;
                let mut depth = 0i32;
                while i < line.len() {
                    match line[i] {
                        b'[' => depth += 1,
                        b']' => depth -= 1,
                        b' ' | b'(' | b')' if depth == 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 {
                    return None;
                }
                let text = line[start..i].to_vec();
                let literal = text.starts_with(b"{") && text.ends_with(b"}") && i == line.len();
                if words == 1 && text.eq_ignore_ascii_case(b"UID") {
                    uid = true;
                }
                let fixed = words < 2 || (uid && words == 2) || literal;
                tokens.push(Token {
                    text,
                    removable: !fixed,
                });
                words += 1;
            }
        }
    }
    Some(tokens)
}

/// The message with only the removable tokens in `keep` (indices into `tokens`) and
/// every fixed token; its first line rebuilt (no space after `(` or before `)`), the
/// rest of the message unchanged.
fn with_arguments(m: &Message, tokens: &[Token], keep: &[usize]) -> Message {
    let mut line = Vec::new();
    let mut prev_open = true;
    for (k, t) in tokens.iter().enumerate() {
        if t.removable && !keep.contains(&k) {
            continue;
        }
        if !prev_open && t.text != b")" {
            line.push(b' ');
        }
        line.extend_from_slice(&t.text);
        prev_open = t.text == b"(";
    }
    let Some(Fragment::Line(first)) = m.fragments.first() else {
        return m.clone();
    };
    line.extend_from_slice(&first[m.first_line().len()..]);
    let mut out = m.clone();
    out.fragments[0] = Fragment::Line(line);
    out
}

/// The message with literal fragment `k` replaced by `bytes`, and the `{n}` (or `{n+}`)
/// at the end of the line before it counting them.
fn with_literal(m: &Message, k: usize, bytes: &[u8]) -> Message {
    let mut out = m.clone();
    out.fragments[k] = Fragment::Literal(bytes.to_vec());
    if let Some(Fragment::Line(prev)) = k.checked_sub(1).and_then(|p| out.fragments.get_mut(p)) {
        let body_end = prev.iter().rposition(|&b| b == b'}').unwrap_or(prev.len());
        if let Some(open) = prev[..body_end].iter().rposition(|&b| b == b'{') {
            let plus = prev[body_end - 1] == b'+';
            let mut new = prev[..open].to_vec();
            new.extend_from_slice(
                format!("{{{}{}}}", bytes.len(), if plus { "+" } else { "" }).as_bytes(),
            );
            new.extend_from_slice(&prev[body_end + 1..]);
            *prev = new;
        }
    }
    out
}

/// Verifies every distinct finding at once (issue 5 §3): its first readable example
/// case is replayed [`VERIFY_REPLAYS`] times against fresh state, findings in parallel.
/// A finding it does not show on every replay is labelled flaky (with how often it
/// showed); one that cannot be replayed (a target missing from the targets file, no
/// case file) stays unverified. Returns (verified, flaky).
pub fn verify_all(dir: &Path, distinct: &mut [DistinctFinding], runner: &Runner) -> (usize, usize) {
    runner.threads.install(|| {
        distinct.par_iter_mut().for_each(|d| {
            if runner.stopped() {
                return;
            }
            let Ok(examples) = readable_examples(dir, d, runner) else {
                return;
            };
            let Some((_, rel, case, run_on, sought)) = examples.into_iter().next() else {
                return;
            };
            let showing = if is_probe(&case) {
                (0..VERIFY_REPLAYS)
                    .filter(|_| {
                        runner
                            .replay_probe(&case, &run_on)
                            .is_ok_and(|s| s.contains(&d.signature))
                    })
                    .count()
            } else {
                let Ok((units, logout)) = units_of(&case) else {
                    return;
                };
                let mut drive = runner.opts.drive.clone();
                drive.prelude = prelude_of(&case);
                (0..VERIFY_REPLAYS)
                    .filter(|_| {
                        sought.shown_by(&runner.run(&drive, &run_on, &units, &logout).findings)
                    })
                    .count()
            };
            d.verification = if showing == VERIFY_REPLAYS {
                Verification::Verified
            } else {
                Verification::Flaky(format!(
                    "{rel} showed it again in {showing} of {VERIFY_REPLAYS} replays"
                ))
            };
        })
    });
    let verified = distinct
        .iter()
        .filter(|d| d.verification == Verification::Verified)
        .count();
    let flaky = distinct
        .iter()
        .filter(|d| matches!(d.verification, Verification::Flaky(_)))
        .count();
    (verified, flaky)
}

/// Whether a case is a STARTTLS probe's ([`crate::probes`]): it replays by running the
/// probe again, and it is minimal already.
fn is_probe(case: &Case) -> bool {
    case.get("probe").is_some()
}

/// The prelude of the recorded session, which its replays must run again.
fn prelude_of(case: &Case) -> Vec<Message> {
    crate::replay::prelude_commands(&case.transcript)
}

/// The finding's example cases that can be read, shortest first, each with the targets
/// a replay runs on (the finding's own; for a divergence, every target it was compared
/// with) and the finding it shows there.
#[allow(clippy::type_complexity)]
fn readable_examples(
    dir: &Path,
    d: &DistinctFinding,
    runner: &Runner,
) -> Result<Vec<(usize, String, Case, Vec<String>, Sought)>, String> {
    let sig = &d.signature;
    for t in &sig.targets {
        if runner.target(t).is_none() {
            return Err(format!("target {t} is not in the targets file"));
        }
    }
    let mut examples = Vec::new();
    for e in &d.examples {
        let path = dir.join(&e.case);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(case) = Case::parse(&text) else {
            continue;
        };
        let run_on: Vec<String> = if sig.kind == crate::judge::Kind::Divergence {
            e.cases
                .keys()
                .filter(|n| runner.target(n).is_some_and(|t| !t.model))
                .cloned()
                .collect()
        } else {
            sig.targets.clone()
        };
        let n = case.transcript.script.len();
        let sought = Sought::new(sig.clone(), &e.expected, &e.observed);
        examples.push((n, e.case.clone(), case, run_on, sought));
    }
    if examples.is_empty() {
        return Err("no example case file could be read".into());
    }
    examples.sort_by_key(|(n, ..)| *n);
    Ok(examples)
}

/// What minimising a run's distinct findings did, for the summary.
#[derive(Clone, Debug, Default)]
pub struct MinimizeSummary {
    pub minimized: usize,
    pub verified: usize,
    pub flaky: usize,
    /// Left unverified: the time for all of them ran out, or a target was not at hand.
    pub skipped: usize,
    pub commands_before: usize,
    pub commands_after: usize,
    pub tests: u64,
    pub elapsed: Duration,
}

/// Minimises and verifies each distinct finding of the findings directory `dir`, worst
/// first, until `total` has passed; writes each minimal case next to the originals
/// (`cases/000017-dovecot.D3fa2c1d09b2e.min.imap`, one per target it ran on) and records
/// it in the finding. `progress` gets one line per finding.
pub fn minimize_distinct(
    dir: &Path,
    distinct: &mut [DistinctFinding],
    runner: &Runner,
    total: Duration,
    mut progress: impl FnMut(&str),
) -> MinimizeSummary {
    let started = Instant::now();
    let mut sum = MinimizeSummary::default();
    for d in distinct.iter_mut() {
        if matches!(d.verification, Verification::Flaky(_)) {
            // Its recorded case did not show it reliably: a search on it would chase luck.
            sum.flaky += 1;
            continue;
        }
        if d.examples
            .iter()
            .any(|e| crate::probes::is_probe_case_path(&e.case))
        {
            // A STARTTLS probe: minimal already; verification replayed it.
            if d.verification == Verification::Verified {
                sum.verified += 1;
            }
            continue;
        }
        if started.elapsed() >= total || runner.stopped() {
            sum.skipped += 1;
            if d.verification == Verification::Verified {
                sum.verified += 1;
            }
            continue;
        }
        match minimize_one(dir, d, runner) {
            Ok(Some(m)) => {
                sum.minimized += 1;
                sum.commands_before += m.commands_before;
                sum.commands_after += m.commands_after;
                sum.tests += m.tests;
                progress(&format!(
                    "{} {} {}: {}: {}",
                    d.id,
                    d.kind.as_str(),
                    d.targets.join(","),
                    m.describe(),
                    d.verification.label()
                ));
                d.minimal = Some(m);
            }
            Ok(None) => {
                progress(&format!(
                    "{} {} {}: {}",
                    d.id,
                    d.kind.as_str(),
                    d.targets.join(","),
                    match &d.verification {
                        Verification::Flaky(why) => format!("flaky: {why}"),
                        _ => "not verified".into(),
                    }
                ));
            }
            Err(why) => {
                sum.skipped += 1;
                progress(&format!("{}: not minimised: {why}", d.id));
            }
        }
        match d.verification {
            Verification::Verified => sum.verified += 1,
            Verification::Flaky(_) => sum.flaky += 1,
            Verification::Unverified => {}
        }
    }
    sum.elapsed = started.elapsed();
    sum
}

/// Minimises one distinct finding: its example sessions shortest first, the first that
/// shows it again is minimised. `Ok(None)` when none does (the finding is then labelled
/// flaky); `Err` when it cannot be tried (a target is not in the targets file, no case
/// file can be read).
pub fn minimize_one(
    dir: &Path,
    d: &mut DistinctFinding,
    runner: &Runner,
) -> Result<Option<Minimal>, String> {
    // Pass 1: the example sessions, shortest first.
    let examples = readable_examples(dir, d, runner)?;
    if examples.iter().any(|(_, _, case, ..)| is_probe(case)) {
        return Err("a STARTTLS probe's case is minimal already (it replays as it is)".into());
    }
    let mut why_not = Vec::new();
    for (_, rel, case, run_on, sought) in &examples {
        let (units, logout) = units_of(case).map_err(|e| format!("{rel}: {e}"))?;
        let goal = Goal {
            sought: sought.clone(),
            run_on: run_on.clone(),
            prelude: prelude_of(case),
        };
        match minimize(runner, &goal, units, logout) {
            Ok(m) => {
                let minimal = save(dir, d, rel, case, &m, runner)?;
                d.verification = m.verification.clone();
                return Ok(Some(minimal));
            }
            Err(why) => why_not.push(format!("{rel}: {why}")),
        }
    }
    d.verification = Verification::Flaky(why_not.join("; "));
    Ok(None)
}

/// Writes the minimal case of each target next to the original and returns the record.
fn save(
    dir: &Path,
    d: &DistinctFinding,
    from: &str,
    original: &Case,
    m: &Minimized,
    runner: &Runner,
) -> Result<Minimal, String> {
    let redact = &runner.opts.redact;
    let seed: u64 = original
        .get("seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let session: u64 = original
        .get("session")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (_, labels) = script_of(&m.units, &m.logout);
    let mut main = None;
    for (name, t) in &m.transcripts {
        // Next to the original: `cases/000017-dovecot.D3fa2c1d09b2e.min.imap`.
        let file = format!("{session:06}-{name}.{}.min.imap", d.id);
        let rel = match Path::new(from).parent().and_then(|p| p.to_str()) {
            Some(p) if !p.is_empty() => format!("{p}/{file}"),
            _ => file,
        };
        let mut case = Case {
            header: case_header(seed, session, name),
            transcript: redact.transcript(t),
        };
        if let Some(target) = runner.target(name) {
            case.set_security(target.tls);
            case.set_exclusive(target.exclusive);
        }
        case.set("minimized-from", from);
        case.set("finding", d.id.clone());
        if !labels.is_empty() {
            case.set(MUTATIONS_HEADER, format_labels(&labels));
        }
        let path = dir.join(&rel);
        std::fs::write(&path, case.to_text())
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        if d.signature.targets.first() == Some(name) || main.is_none() {
            main = Some(rel);
        }
    }
    Ok(Minimal {
        case: main.unwrap_or_default(),
        from: from.to_string(),
        commands_before: m.commands_before,
        commands_after: m.commands_after(),
        bytes_before: m.bytes_before,
        bytes_after: m.bytes_after(),
        tests: m.tests,
        millis: m.elapsed.as_millis() as u64,
        budget_spent: m.exhausted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_runner() -> (tokio::runtime::Runtime, Runner) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let r = Runner::new(Vec::new(), rt.handle().clone(), MinimizeOptions::default()).unwrap();
        (rt, r)
    }

    fn budget(max: u64) -> Budget<'static> {
        Budget {
            tests: AtomicU64::new(0),
            max_tests: max,
            deadline: Instant::now() + Duration::from_secs(60),
            stop: None,
        }
    }

    #[test]
    fn ddmin_finds_the_two_items_that_matter() {
        let (_rt, r) = test_runner();
        let b = budget(10_000);
        let items: Vec<u32> = (0..40).collect();
        let test = |c: &[u32]| {
            b.tests.fetch_add(1, Ordering::Relaxed);
            c.contains(&7) && c.contains(&31)
        };
        assert_eq!(ddmin(items, &test, &r, &b), vec![7, 31]);
        let spent = b.tests.load(Ordering::Relaxed);
        assert!(spent < 200, "{spent} tests for 40 items");
    }

    #[test]
    fn ddmin_keeps_order_and_stops_when_the_budget_is_spent() {
        let (_rt, r) = test_runner();
        let b = budget(3);
        let items: Vec<u32> = (0..64).collect();
        let test = |c: &[u32]| {
            b.tests.fetch_add(1, Ordering::Relaxed);
            c.contains(&5)
        };
        let out = ddmin(items, &test, &r, &b);
        assert!(out.contains(&5));
        assert!(out.windows(2).all(|w| w[0] < w[1]));
        assert!(out.len() > 1, "3 tests cannot reach 1-minimality: {out:?}");
    }

    #[test]
    fn an_empty_sequence_that_passes_ends_at_once() {
        let (_rt, r) = test_runner();
        let b = budget(100);
        assert!(ddmin(vec![1, 2, 3], &|_: &[i32]| true, &r, &b).is_empty());
    }

    #[test]
    fn arguments_are_list_items_and_words_after_the_command_name() {
        let m = Message::line("a3 UID FETCH 1:* (FLAGS BODY[HEADER.FIELDS (FROM TO)] UID)");
        let toks = arguments(&m).unwrap();
        let texts: Vec<String> = toks
            .iter()
            .map(|t| String::from_utf8_lossy(&t.text).into_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "a3",
                "UID",
                "FETCH",
                "1:*",
                "(",
                "FLAGS",
                "BODY[HEADER.FIELDS (FROM TO)]",
                "UID",
                ")"
            ]
        );
        let removable: Vec<usize> = (0..toks.len()).filter(|&k| toks[k].removable).collect();
        assert_eq!(removable, vec![3, 5, 6, 7]);
        let keep_body = with_arguments(&m, &toks, &[3, 6]);
        assert_eq!(
            keep_body.to_bytes(),
            b"a3 UID FETCH 1:* (BODY[HEADER.FIELDS (FROM TO)])\r\n"
        );
        // A quoted string with a space stays one token; a literal's {n} stays.
        let m = Message {
            fragments: vec![
                Fragment::Line(b"a1 APPEND \"a b\" (\\Seen) {3}\r\n".to_vec()),
                Fragment::Literal(b"abc".to_vec()),
                Fragment::Line(b"\r\n".to_vec()),
            ],
        };
        let toks = arguments(&m).unwrap();
        assert_eq!(toks[2].text, b"\"a b\"");
        assert!(!toks.last().unwrap().removable, "{{3}} stays");
        let out = with_arguments(&m, &toks, &[2]);
        assert_eq!(out.to_bytes(), b"a1 APPEND \"a b\" () {3}\r\nabc\r\n");
        assert!(arguments(&Message::line("a1 NOOP\0")).is_none());
    }

    #[test]
    fn a_shorter_literal_carries_its_new_length() {
        let m = Message {
            fragments: vec![
                Fragment::Line(b"a1 APPEND x {10+}\r\n".to_vec()),
                Fragment::Literal(b"0123456789".to_vec()),
                Fragment::Line(b"\r\n".to_vec()),
            ],
        };
        let out = with_literal(&m, 1, b"abc");
        assert_eq!(out.to_bytes(), b"a1 APPEND x {3+}\r\nabc\r\n");
        let out = with_literal(&with_literal(&m, 1, b""), 1, b"xy");
        assert_eq!(out.to_bytes(), b"a1 APPEND x {2+}\r\nxy\r\n");
        assert_eq!(
            split_lines(b"a\r\nb\r\nc"),
            vec![b"a\r\n".to_vec(), b"b\r\n".to_vec(), b"c".to_vec()]
        );
    }

    #[test]
    fn the_closing_logout_is_kept_apart_and_labels_follow_their_commands() {
        let mut case = Case {
            header: vec![("mutations".into(), "1:nul".into())],
            transcript: Transcript::default(),
        };
        for line in ["a1 NOOP", "a2 NOOP\0", "a3 LOGOUT"] {
            case.transcript.script.push(crate::wire::Exchange {
                events: vec![crate::wire::Event::Client(Message::line(line))],
            });
        }
        let (units, logout) = units_of(&case).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(logout.first_line(), b"a3 LOGOUT");
        assert_eq!(units[1].mutation, Some(Operator::Nul));
        let (script, labels) = script_of(&units[1..], &logout);
        assert_eq!(script.len(), 2);
        assert_eq!(labels, vec![(0, Operator::Nul)]);
    }
}
