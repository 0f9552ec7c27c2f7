//! The `imapconform` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use imapconform::baseline::{self, Baseline};
use imapconform::campaign::{self, CampaignOptions, Shard, Summary};
use imapconform::case::Case;
use imapconform::drive::DriveOptions;
use imapconform::gen::{CommandMix, GenConfig};
use imapconform::judge::Kind;
use imapconform::model::Profile;
use imapconform::redact::Redactor;
use imapconform::report::describe_counts;
use imapconform::serve::{self, Limits, ServeOptions};
use imapconform::targets::TargetsFile;
use imapconform::{bench, conclude, merge, minimize, races, replay};

/// Finds where IMAP servers break the protocol.
///
/// imapconform generates IMAP4rev1 sessions, sends each one to several servers at once,
/// and judges every answer: its syntax against the RFC grammar, and the servers against
/// each other. Each finding names the servers it holds for and a case file that replays
/// it.
#[derive(Parser, Debug)]
#[command(name = "imapconform", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a campaign: generate sessions, drive every target, write findings.
    ///
    /// Writes DIR/findings.jsonl (one JSON object per finding, appended as found) and
    /// DIR/cases/*.imap (the sessions that show them). Exit status: 0 when no finding is
    /// at or above --fail-on, 1 when one is, 2 for usage or setup errors.
    Run(Box<RunArgs>),
    /// Re-send a case's script to targets and show their answers side by side.
    Replay(ReplayArgs),
    /// Run concurrency scenarios: two connections of one user on one mailbox.
    ///
    /// While connection A has the mailbox selected, B appends, stores, copies and
    /// expunges; A polls, fetches, stores, or has no command in progress, and sometimes
    /// its FETCH is still running, or it idles (RFC 2177 IDLE), when B's command runs. Every answer is held to the rules
    /// about unsolicited EXISTS, EXPUNGE, FETCH and \Recent (RFC 2060 §5.2, §5.3, §7.3.1,
    /// §7.4.1, §2.3.2); every interleaving the RFC allows is accepted.
    ///
    /// Writes DIR/findings.jsonl (appended as found) and DIR/cases/race-N-TARGET.imap for
    /// every scenario and target. Prints, per target, when the connections were told of
    /// changes (EXISTS, EXPUNGE, FETCH not asked for). Exit status: 0 when no finding is at or above --fail-on, 1 when one
    /// is, 2 for usage or setup errors.
    #[command(
        after_help = "Example:\n  imapconform race --targets /dev/shm/imapconform-lab/targets.toml --scenarios 20 --out races"
    )]
    Race(RaceArgs),
    /// Shrink a case to the smallest case that still shows its finding.
    ///
    /// Delta debugging (ddmin) over the case's commands, then each command's arguments,
    /// then its literals' lines and bytes, against fresh server state each time
    /// (candidates run in parallel, one pool user each). A candidate counts when judged
    /// as the campaign judges it shows a finding with the same signature (kind,
    /// requirement or divergence shape, command name, targets) on the same target. The
    /// result is replayed twice more: "verified" when both show it, "flaky" otherwise.
    ///
    /// Which finding: the case's findings in DIR/findings.jsonl when the case is in a
    /// findings directory (DIR/cases/), else what judging the recorded case finds; the
    /// worst, or the one --finding names. The minimal case is written next to the
    /// original (NAME.ID.min.imap). Exit status: 0 minimised and verified, 1 flaky (the
    /// case does not show it on every run), 2 for usage errors.
    #[command(
        after_help = "Example:\n  imapconform minimize out/cases/000017-mailutils.imap --targets /dev/shm/imapconform-lab/targets.toml"
    )]
    Minimize(MinimizeArgs),
    /// Manage the local server lab (Dovecot, Cyrus, Courier, Mailutils on 127.0.0.1).
    #[command(subcommand)]
    Lab(imapconform::lab::LabCommand),
    /// Measure generator and judge throughput in process, and campaign throughput
    /// against targets.
    Bench(BenchArgs),
    /// Serve the executable RFC 2060 model over TCP: the reference server.
    ///
    /// Any IMAP client can talk to it. Users log in with LOGIN (AUTHENTICATE is refused).
    /// All connections share one in-memory store, which is lost when the process ends.
    Serve(ServeArgs),
    /// Show the requirements catalogue: what RFC 2060 requires of a server, what RFC 3501
    /// changed, and which judge checks each requirement.
    ///
    /// Without options: coverage per section (counts of requirements by level, how many
    /// are checked) and the RFC 2060 MUST/MUST NOT requirements: how many a judge checks,
    /// how many no black-box test can check ("not black-box": they bind the client or the
    /// server's insides), and how many a black-box test could check with something the tool
    /// lacks ("needs ..."); --list --unchecked-musts gives each one's reason. Coverage is
    /// complete when the checked and the not black-box ones are all of them. The catalogue
    /// is rfc/requirements.toml, compiled in; every quote in it is verbatim from
    /// rfc/rfc2060.txt or rfc/rfc3501.txt.
    ///
    /// Exit status: 0, or 2 for an unknown --id.
    #[command(
        after_help = "Examples:\n  imapconform rfc\n  imapconform rfc --rfc 3501 --list\n  imapconform rfc --rfc 2060 --list --unchecked-musts\n  imapconform rfc --id 2060-6.3.1-untagged-before-ok"
    )]
    Rfc(RfcArgs),
    /// Judge the truth corpus: hand-checked cases, each labelled with every verdict the
    /// judges must give on it and the false verdicts they must never give again.
    ///
    /// Each case is judged offline, as a campaign judges a session with its one target,
    /// and its verdicts (kind, requirement, command tag) are compared with its `# expect:`
    /// lines; a verdict more or less, or one a `# never:` line forbids, is a change. See
    /// corpus/truth/README.md for the format. Exit status: 0 when every case holds, 1 when
    /// a verdict changed, 2 for an unreadable corpus or case.
    #[command(
        after_help = "Examples:\n  imapconform truth\n  imapconform truth corpus/truth --print   # the verdicts given now, as `# expect:` lines"
    )]
    Truth(TruthArgs),
    /// Compare a run with a baseline of known findings, or bring the baseline up to date.
    ///
    /// A baseline (TOML, one [[known]] table per accepted finding, with the reason it is
    /// accepted) lets a nightly or CI run fail only on findings it has not seen before.
    /// See "Baselines and nightly runs" in the README.
    #[command(
        subcommand,
        after_help = "Examples:\n  imapconform baseline update --baseline ci/baseline.toml out/ --reason \"initial baseline\"\n  imapconform baseline check --baseline ci/baseline.toml out/"
    )]
    Baseline(BaselineCmd),
    /// Combine the output directories of a sharded campaign (`run --shard K/N`) into one.
    ///
    /// Concatenates the findings.jsonl files in the order given, copies cases/ and
    /// corpus/ (a file of the same name with different content is an error: the
    /// directories are not shards of one campaign), and writes OUT/results.json with the
    /// distinct findings merged (counts added, the smallest minimal case kept) and the
    /// per-target numbers summed. Exit status: 0, or 2 for a missing or unreadable
    /// directory or a clash.
    #[command(
        after_help = "Examples:\n  imapconform merge shard-1 shard-2 shard-3 shard-4 --out merged\n  imapconform merge shard-*/ --out merged && imapconform baseline check --baseline ci/baseline.toml merged"
    )]
    Merge(MergeArgs),
    /// Write the reports of a findings directory: report.html, report.md, junit.xml and
    /// results.json.
    ///
    /// report.html is one self-contained page (no script, no network): the compliance
    /// matrix (servers as columns, the catalogue's requirements by RFC section as rows,
    /// each cell pass, fail or not exercised), then each distinct finding with its quoted
    /// rule, minimal case and the diff between servers. report.md is for a pull-request
    /// comment, junit.xml for CI (one test suite per server, one test case per
    /// requirement). They are made from DIR/results.json, or from DIR/findings.jsonl alone
    /// when there is no results.json (then no cell can pass: what was exercised is not
    /// known). Prints the paths written.
    ///
    /// Exit status: 0, or 2 when DIR is missing or is not a findings directory, or a file
    /// in it is malformed.
    #[command(
        after_help = "Examples:\n  imapconform report findings\n  imapconform report findings --out /tmp/findings-report"
    )]
    Report(ReportArgs),
    /// Long-running probes, run on their own (opt-in): `probe autologout`.
    #[command(subcommand)]
    Probe(ProbeCmd),
}

#[derive(Subcommand, Debug)]
enum ProbeCmd {
    /// Check the inactivity autologout timer (RFC 2060 §5.4: at least 30 minutes) by
    /// leaving a logged-in connection idle on every target at once for 31 minutes.
    ///
    /// Per target: log in as its first pool user (reset first), send nothing, and watch
    /// the connection. A server that closes it (with or without a BYE) before 30 minutes
    /// of inactivity is asked again with a second idle connection; two early closes are a
    /// violation of 2060-5.4-autologout-30-minutes, with the idle times measured (from the
    /// last byte the client sent, on the client's clock, with 2 s of slack) and the bytes
    /// the server sent. A connection still open after 31 minutes gets NOOP; its answer
    /// shows any timer is at least 30 minutes. Ctrl-C or SIGTERM ends every watch at once,
    /// with what was seen written.
    ///
    /// Writes DIR/findings.jsonl and DIR/cases/autologout-TARGET.imap (the login, what the
    /// server sent while the client was idle, the NOOP; the header gives the idle time).
    /// Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 for usage
    /// or setup errors.
    #[command(
        after_help = "Example:\n  imapconform probe autologout --targets /dev/shm/imapconform-lab/targets.toml --out autologout"
    )]
    Autologout(AutologoutArgs),
}

#[derive(clap::Args, Debug)]
struct AutologoutArgs {
    /// The targets file (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    targets: PathBuf,
    /// Only these targets of the file (repeatable; default: all).
    #[arg(long = "target", value_name = "NAME")]
    only: Vec<String>,
    /// Directory for findings.jsonl and cases/.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Exit 1 when a finding of this kind or a worse one is made.
    #[arg(long, default_value = "violation", value_parser = parse_kind)]
    fail_on: Kind,
    /// Write passwords into case files and findings as sent (default: `<redacted>`).
    #[arg(long)]
    keep_secrets: bool,
    /// Leave each connection idle this long instead of 31 minutes (for tests): shows
    /// early closes only, never that the requirement is kept.
    #[arg(long, value_name = "D", value_parser = parse_duration, hide = true)]
    idle_for: Option<Duration>,
}

#[derive(Subcommand, Debug)]
enum BaselineCmd {
    /// Mark a run's distinct findings new or known, list baseline entries not found again
    /// as fixed, and fail on new findings.
    ///
    /// Reads DIR/results.json (or, if the run wrote none, groups DIR/findings.jsonl into
    /// distinct findings), applies the baseline and writes DIR/results.json back with
    /// each finding's state, the fixed entries and the baseline's name, so the reports
    /// show them. Prints the new, known and fixed findings, one line each: id, kind,
    /// targets, rule, summary.
    ///
    /// Exit status: 1 when a new finding is at or above --fail-on, 0 otherwise (known and
    /// fixed findings never fail a check), 2 for a missing or malformed baseline or
    /// directory.
    #[command(
        after_help = "Examples:\n  imapconform baseline check --baseline ci/baseline.toml out/\n  imapconform baseline check --baseline ci/baseline.toml --fail-on warning merged/"
    )]
    Check(CheckArgs),
    /// Accept a run's findings: add those the baseline lacks, drop those the run no
    /// longer shows.
    ///
    /// Entries already in the baseline keep their reasons. New entries get --reason
    /// (edit them afterwards: a reason should say why the finding is accepted, e.g. the
    /// upstream bug). An added finding's minimal case, when the run made one, is copied to
    /// <FILE stem>.cases/ next to the baseline and named in the entry's `case`. Creates
    /// FILE if it does not exist. Comments other than the server headings are not kept.
    ///
    /// Exit status: 0, or 2 for a malformed baseline or a missing directory.
    #[command(
        after_help = "Examples:\n  imapconform baseline update --baseline ci/baseline.toml out/ --reason \"initial baseline\"\n  imapconform baseline update --baseline ci/baseline.toml merged/ --keep-fixed"
    )]
    Update(UpdateArgs),
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// The baseline file (TOML, [[known]] tables).
    #[arg(long, value_name = "FILE")]
    baseline: PathBuf,
    /// The run's output directory (of `run`, `race` or `merge`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Exit 1 when a new finding of this kind or a worse one is in the run (warning <
    /// divergence < violation < syntax < timeout < crash).
    #[arg(long, default_value = "violation", value_parser = parse_kind)]
    fail_on: Kind,
}

#[derive(clap::Args, Debug)]
struct UpdateArgs {
    /// The baseline file (created if missing).
    #[arg(long, value_name = "FILE")]
    baseline: PathBuf,
    /// The run's output directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The reason recorded for the entries added (default: "accepted by baseline update
    /// on DATE from DIR; review").
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Keep entries the run does not show (e.g. when the run covered fewer targets or
    /// sessions than the baseline).
    #[arg(long)]
    keep_fixed: bool,
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// The shard directories, in order (their findings are concatenated in this order).
    #[arg(value_name = "DIR", required = true)]
    dirs: Vec<PathBuf>,
    /// The directory to write the merged run to (created; must not be one of DIR).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct ReportArgs {
    /// The findings directory (written by `imapconform run --out DIR` or `race --out DIR`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Write the reports here instead of into DIR (created if missing); links to case
    /// files still lead to DIR.
    #[arg(long, value_name = "OUTDIR")]
    out: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:14310")]
    listen: std::net::SocketAddr,
    /// A user as NAME:PASSWORD (repeatable). Default: u1..u8 with passwords pw-u1..pw-u8,
    /// the lab's users.
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// Which IMAP4rev1 document the model follows where RFC 2060 and RFC 3501 differ.
    #[arg(long, default_value = "rfc2060", value_parser = parse_profile)]
    profile: Profile,
    /// Serve one session on standard input and output instead of listening (for a
    /// `spawn` target: each session gets a fresh store).
    #[arg(long)]
    stdio: bool,
}

#[derive(clap::Args, Debug)]
struct MinimizeArgs {
    /// The case file (.imap) to shrink.
    case: PathBuf,
    /// The targets file (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    targets: PathBuf,
    /// Which finding: a finding id of findings.jsonl (SEED.SESSION.N) or a distinct
    /// finding id (D...). Default: the worst the case shows.
    #[arg(long, value_name = "ID")]
    finding: Option<String>,
    /// Which IMAP4rev1 document the oracle holds servers to.
    #[arg(long, default_value = "rfc2060", value_parser = parse_profile)]
    profile: Profile,
    /// Judge without the RFC model (as `run --no-oracle`).
    #[arg(long)]
    no_oracle: bool,
    /// Candidate sessions it may run at most.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_tests: u64,
    /// Time it may take at most.
    #[arg(long, value_name = "D", default_value = "5m", value_parser = parse_duration)]
    max_time: Duration,
    /// Write passwords and AUTHENTICATE data into case files and findings as sent
    /// (default: each is replaced by `<redacted>`).
    #[arg(long)]
    keep_secrets: bool,
}

#[derive(clap::Args, Debug)]
struct RaceArgs {
    /// The targets file (TOML; see the README). Targets that are spawned per session are
    /// left out: two processes would not share a store.
    #[arg(long, value_name = "FILE")]
    targets: PathBuf,
    /// Only these targets of the file (repeatable; default: all).
    #[arg(long = "target", value_name = "NAME")]
    only: Vec<String>,
    /// Seed: the same seed and targets send the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of scenarios.
    #[arg(long, value_name = "N", default_value_t = 20)]
    scenarios: u64,
    /// Index of the first scenario (to replay scenario N alone: --first N --scenarios 1).
    #[arg(long, value_name = "N", default_value_t = 0)]
    first: u64,
    /// Directory for findings.jsonl and cases/.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Exit 1 when a finding of this kind or a worse one is made.
    #[arg(long, default_value = "violation", value_parser = parse_kind)]
    fail_on: Kind,
    /// Which IMAP4rev1 document the judge holds servers to where RFC 2060 and RFC 3501
    /// differ (an EXISTS that shrinks is judged under rfc3501 only).
    #[arg(long, default_value = "rfc2060", value_parser = parse_profile)]
    profile: Profile,
    /// Never send non-synchronizing literals, even where LITERAL+ is advertised.
    #[arg(long)]
    no_literal_plus: bool,
    /// Do not run each distinct finding's scenario again to verify it.
    #[arg(long)]
    no_verify: bool,
    /// Write passwords and AUTHENTICATE data into case files and findings as sent
    /// (default: each is replaced by `<redacted>`).
    #[arg(long)]
    keep_secrets: bool,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The targets file (TOML; see the README). `imapconform lab up` writes one.
    #[arg(long, value_name = "FILE", required_unless_present = "resume")]
    targets: Option<PathBuf>,
    /// Only these targets of the file (repeatable; default: all).
    #[arg(long = "target", value_name = "NAME")]
    only: Vec<String>,
    /// Campaign seed: the same seed and targets send the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of sessions to run (default 100 unless --duration is given).
    #[arg(long, value_name = "N")]
    sessions: Option<u64>,
    /// Run for this long instead (e.g. 30s, 5m, 1h); with --sessions, whichever ends first.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Sessions in flight at once (each drives every target concurrently).
    #[arg(long, short = 'j', default_value_t = 8)]
    jobs: usize,
    /// Directory for findings.jsonl and cases/.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Exit 1 when a finding of this kind or a worse one is made (note < warning <
    /// divergence < timeout < violation < syntax < crash; syntax counts as a violation; a
    /// note never fails a run).
    #[arg(long, default_value = "violation", value_parser = parse_kind)]
    fail_on: Kind,
    /// Commands per session, as MIN..MAX.
    #[arg(long, value_name = "MIN..MAX", default_value = "5..25", value_parser = parse_range)]
    commands: (usize, usize),
    /// Never send non-synchronizing literals, even where LITERAL+ is advertised.
    #[arg(long)]
    no_literal_plus: bool,
    /// Do not draw the progress bar.
    #[arg(long)]
    quiet: bool,
    /// Write the case file of every session to DIR/cases/, not only of those with findings.
    #[arg(long)]
    all_cases: bool,
    /// Do not run the probes that otherwise open a few connections of their own before
    /// the sessions: the STARTTLS probes (command injection, STARTTLS inside TLS and
    /// after LOGIN, LOGINDISABLED) of each target with `tls` set, and the read-only
    /// probe (RFC 2060 §6.3.1) of each target with `read_only_mailboxes`.
    #[arg(long)]
    no_probes: bool,
    /// Which IMAP4rev1 document the oracle holds servers to where RFC 2060 and RFC 3501
    /// differ (rfc/rfc3501-changes.md lists the differences). Spawned reference servers
    /// (`imapconform serve --stdio`) are started with the same profile.
    #[arg(long, default_value = "rfc2060", value_parser = parse_profile)]
    profile: Profile,
    /// Do not judge sessions with the RFC model (syntax, endings and differences between
    /// targets only).
    #[arg(long)]
    no_oracle: bool,
    /// How often each command is drawn, as factors of the built-in weights: e.g.
    /// "FETCH=3,STORE=0,UID_COPY=0.5" (0 never sends it; names as in RFC 2060 §6).
    #[arg(long, value_name = "NAME=FACTOR,...", value_parser = CommandMix::parse)]
    mix: Option<CommandMix>,
    /// A TOML file with a [mix] table of the same factors (`FETCH = 3`); --mix wins where
    /// both name a command.
    #[arg(long, value_name = "FILE")]
    mix_file: Option<PathBuf>,
    /// Run only the K-th of N disjoint slices of the campaign (sessions K-1, K-1+N, ...),
    /// e.g. 2/4 on the second of four machines. The slices of one seed together send
    /// exactly the sessions of the whole campaign run with --derive-one-in 0, with the
    /// same session numbers (a slice cannot see the other slices' kept sessions).
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// One session in N (from session 128 on) continues a session kept in DIR/corpus/
    /// for showing a new response signature: its commands up to a random point, then new
    /// ones, the first often mutated. The parent is a session at least 64 numbers
    /// earlier, so the same seed and targets still send the same bytes whatever --jobs is,
    /// as long as the targets answer alike (0: the bytes depend on the seed alone). 0
    /// never; default 4, and 0 with --shard.
    #[arg(long, value_name = "N")]
    derive_one_in: Option<u32>,
    /// Replay the case files (*.imap) of DIR as the campaign's first sessions, before the
    /// generated ones (which are numbered after them): sessions kept and minimal cases of
    /// earlier runs, so a nightly run goes where earlier nights went. They count towards
    /// --sessions.
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// A baseline file of known findings (`imapconform baseline`): the results mark each
    /// distinct finding new or known and list the baseline's findings not seen as fixed,
    /// and the exit status counts new findings only.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Do not minimise and verify the distinct findings after the campaign.
    #[arg(long)]
    no_minimize: bool,
    /// Time the minimisation of all distinct findings may take (worst first; the rest
    /// are left unverified).
    #[arg(long, value_name = "D", default_value = "10m", value_parser = parse_duration)]
    minimize_time: Duration,
    /// Candidate sessions the minimisation of one distinct finding may run.
    #[arg(long, value_name = "N", default_value_t = 400)]
    minimize_tests: u64,
    /// Write passwords and AUTHENTICATE data into case files and findings as sent
    /// (default: each is replaced by `<redacted>`).
    #[arg(long)]
    keep_secrets: bool,
    /// Continue the campaign in DIR that SIGINT, SIGTERM or a crash interrupted, with the
    /// options it was started with (DIR/run.json): the sessions it finished
    /// (DIR/sessions.jsonl) are not run again, its findings are kept, and what unfinished
    /// sessions wrote is dropped. Only --quiet and --no-minimize may be given with it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = [
            "targets", "only", "seed", "sessions", "duration", "jobs", "out", "fail_on",
            "commands", "no_literal_plus", "all_cases", "no_probes", "profile", "no_oracle", "mix",
            "mix_file", "shard", "derive_one_in", "corpus", "baseline", "minimize_time",
            "minimize_tests", "keep_secrets",
        ]
    )]
    resume: Option<PathBuf>,
}

/// `run`'s options alone, to read back the ones a campaign was started with.
#[derive(Parser, Debug)]
#[command(name = "imapconform run")]
struct StoredRun {
    #[command(flatten)]
    args: RunArgs,
}

/// The options of the interrupted campaign in `dir` (`run --resume DIR`), with `given`'s
/// --quiet and --no-minimize added. Relative paths in them are relative to the directory
/// the campaign was started in, which becomes the current directory.
fn resumed_args(dir: &std::path::Path, given: &RunArgs) -> anyhow::Result<RunArgs> {
    let dir = std::fs::canonicalize(dir)
        .map_err(|e| anyhow::anyhow!("--resume {}: {e}", dir.display()))?;
    let record = imapconform::journal::RunRecord::read(&dir)?;
    let mut args = StoredRun::try_parse_from(
        std::iter::once("imapconform run".to_string()).chain(record.args.iter().cloned()),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{}: the options it records do not parse: {}",
            dir.join(imapconform::journal::RUN_FILE).display(),
            e.kind()
        )
    })?
    .args;
    std::env::set_current_dir(&record.cwd).map_err(|e| {
        anyhow::anyhow!(
            "--resume {}: the campaign was started in {}: {e}",
            dir.display(),
            record.cwd.display()
        )
    })?;
    args.out = Some(dir.clone());
    args.resume = Some(dir);
    args.quiet |= given.quiet;
    args.no_minimize |= given.no_minimize;
    Ok(args)
}

#[derive(clap::Args, Debug)]
struct ReplayArgs {
    /// The case file (.imap).
    case: PathBuf,
    /// The targets file.
    #[arg(long, value_name = "FILE")]
    targets: PathBuf,
    /// Only these targets (repeatable; default: all).
    #[arg(long = "target", value_name = "NAME")]
    only: Vec<String>,
    /// Also save each target's replay as a case file in this directory.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Width of the side-by-side table (default: $COLUMNS or 160).
    #[arg(long)]
    width: Option<usize>,
    /// With --save: write passwords and AUTHENTICATE data as sent (default: each is
    /// replaced by `<redacted>`).
    #[arg(long)]
    keep_secrets: bool,
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// A targets file to measure campaign throughput against (omit for in-process only).
    #[arg(long, value_name = "FILE")]
    targets: Option<PathBuf>,
    /// Sessions for the campaign measurement.
    #[arg(long, default_value_t = 200)]
    sessions: u64,
    /// Sessions in flight for the campaign measurement.
    #[arg(long, short = 'j', default_value_t = 8)]
    jobs: usize,
    /// Instead: measure grouping a findings directory's findings.jsonl into distinct
    /// findings and writing its reports (time and peak memory).
    #[arg(long, value_name = "DIR", conflicts_with = "targets")]
    findings: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RfcArgs {
    /// List every requirement: id, level, and the judge that checks it or why none does.
    #[arg(long, conflicts_with = "id")]
    list: bool,
    /// With --list: only the MUST/MUST NOT requirements no judge checks, each with its
    /// reason ("not black-box: ..." or "needs ...: ...").
    #[arg(long, requires = "list")]
    unchecked_musts: bool,
    /// Show one requirement in full, with its verbatim quote (e.g. 2060-6.3.1-untagged-before-ok).
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Only requirements of this RFC: 2060 (the base) or 3501 (the profile's changes).
    #[arg(long, value_name = "2060|3501", value_parser = parse_rfc)]
    rfc: Option<u32>,
}

#[derive(clap::Args, Debug)]
struct TruthArgs {
    /// The corpus directory (its `.imap` files), or one case file.
    #[arg(value_name = "PATH", default_value = "corpus/truth")]
    path: PathBuf,
    /// Print every case's verdicts as `# expect:` lines, whether or not they changed.
    #[arg(long)]
    print: bool,
}

fn parse_rfc(s: &str) -> Result<u32, String> {
    match s {
        "2060" => Ok(2060),
        "3501" => Ok(3501),
        _ => Err(format!("{s:?}: the catalogue covers RFC 2060 and RFC 3501")),
    }
}

/// The longest duration an option takes: a year (a deadline past that would overflow
/// the clock long before).
const MAX_DURATION_SECS: f64 = 365.0 * 24.0 * 3600.0;

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (examples: 30s, 5m, 1h, 500ms)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {s:?} (use ms, s, m or h)"
            ))
        }
    };
    if secs <= 0.0 {
        return Err("the duration must be above zero".into());
    }
    if secs > MAX_DURATION_SECS {
        return Err(format!("{s:?} is too long (at most 8760h, a year)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    s.parse()
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
}

fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("{s:?}: expected MIN..MAX, e.g. 5..25"))?;
    let a: usize = a
        .parse()
        .map_err(|_| format!("{s:?}: MIN is not a number"))?;
    let b: usize = b
        .parse()
        .map_err(|_| format!("{s:?}: MAX is not a number"))?;
    if a == 0 || a > b {
        return Err(format!("{s:?}: need 1 <= MIN <= MAX"));
    }
    Ok((a, b))
}

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("imapconform: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `imapconform ... | head`: a reader that stops reading is not an error of ours. Rust
/// ignores SIGPIPE (so that a server closing its socket cannot kill the process), and
/// `println!` then panics on EPIPE; this ends the process as SIGPIPE would have, with
/// status 141 and no message. Findings are on disk before anything is printed about them.
fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))
}

/// Reads and parses a case file: `case file PATH: line N: problem` when it cannot.
fn read_case(path: &std::path::Path) -> anyhow::Result<Case> {
    let text = imapconform::input::read_text(path, "case file", imapconform::input::CASE_LIMIT)
        .map_err(anyhow::Error::msg)?;
    Case::parse(&text).map_err(|e| anyhow::anyhow!("case file {}: {e}", path.display()))
}

fn load_targets(path: &std::path::Path, only: &[String]) -> anyhow::Result<TargetsFile> {
    TargetsFile::load(path)?
        .select(only)
        .map_err(|e| anyhow::anyhow!("targets file {}: {e}", path.display()))
}

/// [`load_targets`], with every spawned reference server serving `profile`
/// ([`TargetsFile::serve_profile`]): the profile the oracle judges with.
fn load_profiled_targets(
    path: &std::path::Path,
    only: &[String],
    profile: Profile,
) -> anyhow::Result<TargetsFile> {
    let mut targets = load_targets(path, only)?;
    targets
        .serve_profile(profile)
        .map_err(|e| anyhow::anyhow!("targets file {}: {e}", path.display()))?;
    Ok(targets)
}

fn real_main(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Cmd::Run(a) => cmd_run(*a),
        Cmd::Replay(a) => cmd_replay(a),
        Cmd::Race(a) => cmd_race(a),
        Cmd::Minimize(a) => cmd_minimize(a),
        Cmd::Lab(c) => Ok(imapconform::lab::run(c)?.clamp(0, 255) as u8),
        Cmd::Bench(a) => cmd_bench(a),
        Cmd::Serve(a) => cmd_serve(a),
        Cmd::Baseline(BaselineCmd::Check(a)) => cmd_baseline_check(a),
        Cmd::Baseline(BaselineCmd::Update(a)) => cmd_baseline_update(a),
        Cmd::Merge(a) => cmd_merge(a),
        Cmd::Truth(a) => cmd_truth(&a),
        Cmd::Report(a) => cmd_report(&a),
        Cmd::Probe(ProbeCmd::Autologout(a)) => cmd_probe_autologout(&a),
        Cmd::Rfc(a) => match cmd_rfc(&a, &mut std::io::stdout().lock()) {
            // `imapconform rfc --list | head` is fine.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
            r => Ok(r?),
        },
    }
}

fn cmd_serve(a: ServeArgs) -> anyhow::Result<u8> {
    let mut users = Vec::new();
    for u in &a.users {
        let (name, password) = u
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--user {u:?}: expected NAME:PASSWORD"))?;
        users.push((name.to_string(), password.to_string()));
    }
    if users.is_empty() {
        users = (1..=8)
            .map(|i| (format!("u{i}"), format!("pw-u{i}")))
            .collect();
    }
    let opts = ServeOptions {
        listen: a.listen,
        users,
        profile: a.profile,
        delimiter: b'.',
        limits: Limits::default(),
    };
    if a.stdio {
        runtime()?.block_on(serve::serve_stdio(opts.users, a.profile, b'.', opts.limits))?;
        return Ok(0);
    }
    runtime()?.block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(serve::serve(opts, Some(tx)));
        if let Ok(addr) = rx.await {
            println!(
                "imapconform: reference server ({}) listening on {addr}",
                a.profile.as_str()
            );
        }
        server
            .await
            .map_err(|e| anyhow::anyhow!("reference server: {e}"))?
    })?;
    Ok(0)
}

/// Exit status of a run that SIGINT or SIGTERM stopped (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

fn cmd_run(a: RunArgs) -> anyhow::Result<u8> {
    let a = match &a.resume {
        Some(dir) => resumed_args(dir, &a)?,
        None => a,
    };
    let targets_file = a.targets.clone().expect("clap: --targets or --resume");
    let out = a.out.clone().expect("clap: --out or --resume");
    let targets = load_profiled_targets(&targets_file, &a.only, a.profile)?;
    let redact = Redactor::choose(&targets.targets, a.keep_secrets);
    let mut mix = match &a.mix_file {
        Some(path) => {
            let text =
                imapconform::input::read_text(path, "mix file", imapconform::input::CONFIG_LIMIT)
                    .map_err(anyhow::Error::msg)?;
            CommandMix::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("mix file {}: {e}", path.display()))?
        }
        None => CommandMix::default(),
    };
    if let Some(m) = a.mix.clone() {
        mix.merge(m);
    }
    let sessions = match (a.sessions, a.duration) {
        (None, None) => Some(100),
        (s, _) => s,
    };
    let opts = CampaignOptions {
        targets,
        seed: a.seed,
        sessions,
        duration: a.duration,
        jobs: a.jobs,
        out: out.clone(),
        gen: GenConfig {
            min_commands: a.commands.0,
            max_commands: a.commands.1,
            mix,
            ..GenConfig::default()
        },
        shard: a.shard,
        derive_one_in: match (a.derive_one_in, a.shard) {
            (Some(n), Some(_)) if n > 0 => {
                anyhow::bail!("--derive-one-in {n} cannot be used with --shard: a slice does not see the sessions other slices keep")
            }
            (Some(n), _) => n,
            (None, Some(_)) => 0,
            (None, None) => 4,
        },
        drive: DriveOptions {
            literal_plus: !a.no_literal_plus,
            list_mailboxes: !a.no_oracle,
            ..DriveOptions::default()
        },
        progress: !a.quiet,
        all_cases: a.all_cases,
        probes: !a.no_probes,
        oracle: (!a.no_oracle).then_some(a.profile),
        corpus: match &a.corpus {
            Some(dir) => campaign::load_corpus(dir)?,
            None => Vec::new(),
        },
        resume: a.resume.is_some(),
        redact: redact.clone(),
    };
    if a.resume.is_none() {
        std::fs::create_dir_all(&out)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", out.display()))?;
        // `imapconform run ARGS...`: what `--resume` runs again.
        let args: Vec<String> = std::env::args()
            .skip(1)
            .skip_while(|a| a != "run")
            .skip(1)
            .collect();
        imapconform::journal::RunRecord::write(&out, args)?;
    }
    let rt = runtime()?;
    let (targets, oracle) = (opts.targets.targets.clone(), opts.oracle);
    let drive = opts.drive.clone();
    let summary = rt.block_on(campaign::run(opts))?;
    print_summary(&summary);
    let mut results = conclude::campaign_results(
        &out,
        &summary,
        &targets,
        oracle,
        a.seed,
        a.shard.map(|s| s.to_string()),
    )?;
    results.interrupted = summary.interrupted;
    // An interrupted run writes its reports at once: verifying would replay every finding.
    if !a.no_minimize && !summary.interrupted && !results.distinct.is_empty() {
        let runner = minimize::Runner::new(
            usable_targets(&targets, &summary),
            rt.handle().clone(),
            minimize::MinimizeOptions {
                oracle,
                drive: drive.clone(),
                max_tests: a.minimize_tests,
                max_time: a.minimize_time.min(Duration::from_secs(60)),
                redact: redact.clone(),
            },
        )?;
        // Ctrl-C ends the minimisation early; what is done is kept.
        let stop = runner.stop_flag();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\nimapconform: interrupted; writing what is verified and minimised so far"
                );
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        });
        println!(
            "verifying {} distinct findings, then minimising them for at most {} s...",
            results.distinct.len(),
            a.minimize_time.as_secs()
        );
        let quiet = a.quiet;
        let m = conclude::minimize_results(&out, &mut results, &runner, a.minimize_time, |line| {
            if !quiet {
                eprintln!("  {line}");
            }
        })?;
        println!(
            "minimised {} in {:.1} s ({} candidate sessions): {} → {} commands in all; {} verified, {} flaky; {} not minimised (out of time, or interrupted)",
            m.minimized,
            m.elapsed.as_secs_f64(),
            m.tests,
            m.commands_before,
            m.commands_after,
            m.verified,
            m.flaky,
            m.skipped
        );
    }
    if let Some(path) = &a.baseline {
        let b = Baseline::read(path)?;
        b.apply(&mut results);
        if !results.fixed.is_empty() {
            // Fixed only when its minimal case no longer shows it.
            let runner = minimize::Runner::new(
                usable_targets(&targets, &summary),
                rt.handle().clone(),
                minimize::MinimizeOptions {
                    oracle,
                    drive: drive.clone(),
                    redact: redact.clone(),
                    ..minimize::MinimizeOptions::default()
                },
            )?;
            conclude::recheck_fixed(&out, &mut results, &b, path, &runner);
        }
    }
    let written = imapconform::report::write_reports(&out, &results)?;
    println!(
        "distinct findings: {} (of {} findings); {}",
        results.distinct.len(),
        results.findings,
        out.join(imapconform::report::results::RESULTS_FILE)
            .display()
    );
    for line in conclude::distinct_lines(&results.distinct, 40) {
        println!("{line}");
    }
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    println!("reports: {}", names.join(", "));
    // What the run held at most (a hostile target must not make it grow without bound).
    println!("peak memory: {} (VmHWM)", imapconform::bench::peak_memory());
    if a.baseline.is_some() {
        print!("{}", baseline::describe_check(&results));
    }
    if summary.interrupted {
        println!(
            "interrupted after {} sessions: `imapconform run --resume {}` continues the campaign",
            summary.sessions,
            out.display()
        );
        return Ok(EXIT_INTERRUPTED);
    }
    if !summary.errors.is_empty() {
        return Ok(2);
    }
    let worst = results.worst_new();
    Ok(u8::from(worst.is_some_and(|w| w.fails(a.fail_on))))
}

/// The campaign's targets that were not dropped for a setup error.
fn usable_targets(
    targets: &[imapconform::targets::Target],
    summary: &Summary,
) -> Vec<imapconform::targets::Target> {
    targets
        .iter()
        .filter(|t| !summary.errors.contains_key(&t.name))
        .cloned()
        .collect()
}

fn cmd_minimize(a: MinimizeArgs) -> anyhow::Result<u8> {
    use imapconform::report::distinct::{dedup, Signature, Verification};
    use imapconform::report::{read_findings, Finding};
    let case = read_case(&a.case)?;
    let targets = load_profiled_targets(&a.targets, &[], a.profile)?;
    let redact = Redactor::choose(&targets.targets, a.keep_secrets);
    let oracle = (!a.no_oracle).then_some(a.profile);
    let file = a
        .case
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| anyhow::anyhow!("{}: not a file name", a.case.display()))?
        .to_string();
    let parent = a.case.parent().unwrap_or(std::path::Path::new("."));
    let in_findings_dir = parent.file_name().is_some_and(|n| n == "cases")
        && parent
            .parent()
            .is_some_and(|d| d.join("findings.jsonl").is_file());
    // The findings the case shows, and the directory case paths are relative to.
    let (dir, findings): (PathBuf, Vec<Finding>) = if in_findings_dir {
        let dir = parent.parent().expect("checked").to_path_buf();
        let rel = format!("cases/{file}");
        let all = read_findings(&dir.join("findings.jsonl"))?;
        let mine = all
            .into_iter()
            .filter(|f| {
                f.case == rel || (f.kind == Kind::Divergence && f.cases.values().any(|c| c == &rel))
            })
            .collect();
        (dir, mine)
    } else {
        let name = case
            .get("target")
            .ok_or_else(|| anyhow::anyhow!("case file {}: no `target` header", a.case.display()))?
            .to_string();
        let labels = match case.get(campaign::MUTATIONS_HEADER) {
            Some(t) => imapconform::judge::mutation::parse_labels(t)
                .map_err(|e| anyhow::anyhow!("case file {}: {e}", a.case.display()))?,
            None => Vec::new(),
        };
        let (verdicts, _) = campaign::judge_session(
            &[name.as_str()],
            &[&case.transcript],
            oracle,
            &[true],
            &[imapconform::judge::World::of(case.exclusive())],
            &labels,
        );
        let script = replay::script_commands(&case.transcript);
        let cases: std::collections::BTreeMap<String, String> =
            [(name.clone(), file.clone())].into();
        let seed = case.get("seed").and_then(|s| s.parse().ok()).unwrap_or(0);
        let session = case
            .get("session")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let found = verdicts
            .into_iter()
            .enumerate()
            .map(|(n, v)| {
                let command = v
                    .step
                    .and_then(|i| script.get(i))
                    .map(|m| imapconform::wire::escape(&m.to_bytes()))
                    .unwrap_or_default();
                Finding::from_verdict(
                    v,
                    format!("{seed}.{session}.{n}"),
                    command,
                    cases.clone(),
                    seed,
                    session,
                )
            })
            .collect();
        (parent.to_path_buf(), found)
    };
    let findings: Vec<Finding> = match &a.finding {
        Some(id) => findings
            .into_iter()
            .filter(|f| &f.id == id || &Signature::of(f).id() == id)
            .collect(),
        None => findings,
    };
    let mut distinct = dedup(&findings);
    if distinct.is_empty() {
        anyhow::bail!(
            "{}: shows no finding{} to minimise",
            a.case.display(),
            a.finding
                .as_ref()
                .map(|id| format!(" with id {id}"))
                .unwrap_or_default()
        );
    }
    // The example to shrink is this case.
    let rel_case = if in_findings_dir {
        format!("cases/{file}")
    } else {
        file.clone()
    };
    for d in &mut distinct {
        d.examples
            .retain(|e| e.case == rel_case || e.cases.values().any(|c| c == &rel_case));
        for e in &mut d.examples {
            e.case = rel_case.clone();
        }
    }
    if distinct.len() > 1 {
        eprintln!("imapconform: the case shows {} distinct findings; minimising the worst (choose with --finding):", distinct.len());
        for line in conclude::distinct_lines(&distinct, 20) {
            eprintln!("{line}");
        }
    }
    let mut d = distinct.swap_remove(0);
    let rt = runtime()?;
    let runner = minimize::Runner::new(
        targets.targets,
        rt.handle().clone(),
        minimize::MinimizeOptions {
            oracle,
            drive: DriveOptions {
                list_mailboxes: oracle.is_some(),
                ..DriveOptions::default()
            },
            max_tests: a.max_tests,
            max_time: a.max_time,
            redact,
        },
    )?;
    println!(
        "minimising {} ({} on {}: {})",
        d.id,
        d.kind.as_str(),
        d.targets.join(","),
        d.summary
    );
    let minimal = minimize::minimize_one(&dir, &mut d, &runner)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.case.display()))?;
    match minimal {
        Some(m) => {
            println!(
                "{}; {}",
                m.describe(),
                match &d.verification {
                    Verification::Flaky(why) => format!("flaky: {why}"),
                    v => v.label().to_string(),
                }
            );
            let path = dir.join(&m.case);
            println!("minimal case: {}", path.display());
            if let Ok(Ok(c)) = std::fs::read_to_string(&path).map(|t| Case::parse(&t)) {
                for cmd in replay::script_commands(&c.transcript) {
                    println!("  C: {}", imapconform::wire::escape(cmd.first_line()));
                }
            }
            Ok(u8::from(d.verification != Verification::Verified))
        }
        None => {
            if let Verification::Flaky(why) = &d.verification {
                println!("flaky: {why}");
            }
            Ok(1)
        }
    }
}

/// `imapconform baseline check`.
fn cmd_baseline_check(a: CheckArgs) -> anyhow::Result<u8> {
    let b = Baseline::read(&a.baseline)?;
    let mut results = baseline::read_run(&a.dir)?;
    b.apply(&mut results);
    imapconform::report::write_reports(&a.dir, &results)?;
    print!("{}", baseline::describe_check(&results));
    Ok(u8::from(
        results.worst_new().is_some_and(|w| w.fails(a.fail_on)),
    ))
}

/// `imapconform baseline update`.
fn cmd_baseline_update(a: UpdateArgs) -> anyhow::Result<u8> {
    let results = baseline::read_run(&a.dir)?;
    let reason = a.reason.clone().unwrap_or_else(|| {
        format!(
            "accepted by baseline update on {} from {}; review",
            &campaign::rfc3339_now()[..10],
            a.dir.display()
        )
    });
    if reason.trim().is_empty() {
        anyhow::bail!("--reason is empty: say why these findings are accepted");
    }
    let (update, written) =
        baseline::update_file(&a.baseline, &a.dir, &results, &reason, a.keep_fixed)?;
    for id in &update.added {
        let k = written.get(id).expect("an added entry is in the baseline");
        println!(
            "added    {id}  {:<10} {:<20} {}",
            k.kind.as_str(),
            k.targets.join(","),
            k.summary
        );
    }
    for k in &update.removed {
        println!(
            "removed  {}  {:<10} {:<20} {} (not in {})",
            k.id,
            k.kind.as_str(),
            k.targets.join(","),
            k.summary,
            a.dir.display()
        );
    }
    println!(
        "baseline {}: {} added, {} removed, {} kept ({} entries)",
        a.baseline.display(),
        update.added.len(),
        update.removed.len(),
        update.kept,
        written.known.len()
    );
    Ok(0)
}

/// `imapconform merge`.
fn cmd_merge(a: MergeArgs) -> anyhow::Result<u8> {
    let m = merge::merge_dirs(&a.dirs, &a.out)?;
    let results = imapconform::report::results::Results::read(&a.out)?;
    imapconform::report::write_reports(&a.out, &results)?;
    println!(
        "imapconform: merged {} directories into {}: {} findings, {} distinct; {} case and corpus files copied",
        a.dirs.len(),
        a.out.display(),
        m.findings,
        m.distinct,
        m.files
    );
    if !m.all_results {
        println!("  (a directory had no results.json: its findings were grouped anew, without minimal cases)");
    }
    Ok(0)
}

fn cmd_race(a: RaceArgs) -> anyhow::Result<u8> {
    let targets = load_profiled_targets(&a.targets, &a.only, a.profile)?;
    let redact = Redactor::choose(&targets.targets, a.keep_secrets);
    let opts = races::RaceOptions {
        targets: targets.targets,
        seed: a.seed,
        first: a.first,
        scenarios: a.scenarios,
        out: a.out.clone(),
        gen: GenConfig::default(),
        drive: DriveOptions {
            literal_plus: !a.no_literal_plus,
            ..DriveOptions::default()
        },
        profile: a.profile,
        redact,
    };
    let rt = runtime()?;
    let s = rt.block_on(races::run(opts.clone()))?;
    println!(
        "imapconform: {} race scenarios against {} targets in {:.1} s",
        s.scenarios,
        s.targets.len(),
        s.elapsed.as_secs_f64()
    );
    for name in &s.targets {
        let counts = s.counts.by_target.get(name).cloned().unwrap_or_default();
        let (judged, steps) = s.judged.get(name).copied().unwrap_or_default();
        match s.errors.get(name) {
            Some(err) => println!(
                "  {name:<16} {} before a SETUP ERROR: {err}",
                describe_counts(&counts)
            ),
            None => println!(
                "  {name:<16} {}; judged {judged} of {steps} steps",
                describe_counts(&counts)
            ),
        }
        if let Some(u) = s.updates.get(name).filter(|u| !u.is_empty()) {
            let parts: Vec<String> = u.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  {:<16} updates: {}", "", parts.join(", "));
        }
    }
    for (name, why) in &s.skipped {
        println!("  {name:<16} skipped: {why}");
    }
    println!("findings: {}", a.out.join("findings.jsonl").display());
    // Command names the scenarios sent, for the matrix's "exercised".
    let mut commands = std::collections::BTreeMap::new();
    for index in a.first..a.first.saturating_add(a.scenarios) {
        let script = imapconform::gen::race::race(a.seed, index, &opts.gen, a.profile);
        for step in &script.steps {
            let shape = imapconform::report::distinct::command_shape(&imapconform::wire::escape(
                step.command.first_line(),
            ));
            *commands.entry(shape).or_insert(0u64) += 1;
        }
    }
    let mut results = conclude::race_results(&a.out, &s, a.seed, a.profile, &commands)?;
    if !a.no_verify && !results.distinct.is_empty() {
        println!(
            "verifying {} distinct findings (each scenario run {} more times)...",
            results.distinct.len(),
            minimize::VERIFY_REPLAYS
        );
        rt.block_on(conclude::verify_races(&a.out, &mut results, &opts))?;
    }
    imapconform::report::write_reports(&a.out, &results)?;
    println!(
        "distinct findings: {} (of {} findings); reports in {}",
        results.distinct.len(),
        results.findings,
        a.out.display()
    );
    for line in conclude::distinct_lines(&results.distinct, 40) {
        println!("{line}");
    }
    if !s.errors.is_empty() {
        return Ok(2);
    }
    Ok(u8::from(s.worst().is_some_and(|w| w.fails(a.fail_on))))
}

fn cmd_probe_autologout(a: &AutologoutArgs) -> anyhow::Result<u8> {
    use imapconform::probes::autologout;
    let targets = load_targets(&a.targets, &a.only)?;
    let window = a.idle_for.unwrap_or(autologout::DEFAULT_WINDOW);
    let opts = autologout::AutologoutOptions {
        redact: Redactor::choose(&targets.targets, a.keep_secrets),
        targets: targets.targets,
        out: a.out.clone(),
        window,
        drive: DriveOptions {
            literal_plus: false,
            recheck_timeouts: false,
            ..DriveOptions::default()
        },
    };
    let s = runtime()?.block_on(autologout::run(opts))?;
    for line in s.lines(window) {
        println!("{line}");
    }
    println!("findings: {}", a.out.join("findings.jsonl").display());
    if s.has_errors() {
        return Ok(2);
    }
    Ok(u8::from(s.worst().is_some_and(|w| w.fails(a.fail_on))))
}

fn print_summary(s: &Summary) {
    let secs = s.elapsed.as_secs_f64();
    if s.resumed > 0 {
        println!(
            "imapconform: resumed: {} sessions had finished before, {} ran now",
            s.resumed,
            s.sessions - s.resumed
        );
    }
    println!(
        "imapconform: {} sessions against {} targets, {} commands in {:.1} s ({:.0} commands/s)",
        s.sessions,
        s.targets.len(),
        s.commands,
        secs,
        s.commands as f64 / secs.max(0.001)
    );
    for name in &s.targets {
        let counts = s.counts.by_target.get(name).cloned().unwrap_or_default();
        match s.errors.get(name) {
            Some(err) => println!(
                "  {name:<16} {} before a SETUP ERROR: {err}",
                describe_counts(&counts)
            ),
            None => println!("  {name:<16} {}", describe_counts(&counts)),
        }
    }
    for (name, why) in &s.restarts {
        println!(
            "  {name:<16} restarted {} time(s), first because: {}",
            why.len(),
            why[0]
        );
    }
    if !s.oracle_coverage.is_empty() {
        let parts: Vec<String> = s
            .oracle_coverage
            .iter()
            .map(|(name, t)| {
                if t.lost_after_fault > 0 {
                    format!(
                        "{name} {:.1}% ({:.1}% where it had not broken a rule first)",
                        t.percent(),
                        t.percent_where_correct()
                    )
                } else {
                    format!("{name} {:.1}%", t.percent())
                }
            })
            .collect();
        println!("oracle followed: {} of exchanges", parts.join(", "));
        // Where it stopped, per target: the largest gaps in the model first.
        for (name, t) in &s.oracle_coverage {
            let stops = t.top_stops();
            if stops.is_empty() {
                continue;
            }
            let shown: Vec<String> = stops
                .iter()
                .take(3)
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            let more = stops.len().saturating_sub(3);
            println!(
                "  {name:<16} stopped in {}: {}{}",
                stops.iter().map(|(_, n)| n).sum::<u64>(),
                shown.join(", "),
                if more > 0 {
                    format!(" (+{more} more reasons)")
                } else {
                    String::new()
                }
            );
        }
    }
    if let Some(&(_, pairs)) = s.signature_timeline.last() {
        let marks: Vec<String> = s
            .signature_timeline
            .iter()
            .map(|(secs, n)| format!("{}s {n}", secs))
            .collect();
        println!(
            "signature coverage: {pairs} (target, response signature) pairs [{}]; {} sessions kept in {}, {} sessions derived from kept ones",
            marks.join(", "),
            s.kept,
            s.findings_file.with_file_name("corpus").display(),
            s.derived
        );
    }
    let total: u64 = s.counts.by_kind.values().sum();
    println!(
        "findings: {} ({total}: {}); cases in {}",
        s.findings_file.display(),
        describe_counts(&s.counts.by_kind),
        s.findings_file.with_file_name("cases").display()
    );
}

fn cmd_replay(a: ReplayArgs) -> anyhow::Result<u8> {
    let case = read_case(&a.case)?;
    let targets = load_targets(&a.targets, &a.only)?;
    if case.get("probe").is_some() {
        return replay_probe_case(&a, &case, &targets);
    }
    // The setup lists the mailboxes as a campaign's does, so that a saved replay is
    // judged (and minimised) as the campaign's case was.
    let runs = runtime()?.block_on(replay::replay(
        &case,
        &targets.targets,
        &DriveOptions {
            list_mailboxes: true,
            ..DriveOptions::default()
        },
    ));
    let mut ok = Vec::new();
    let mut failed = false;
    for (name, r) in &runs {
        match r {
            Ok(t) => ok.push((name.as_str(), t)),
            Err(e) => {
                eprintln!("imapconform: target {name}: {e}");
                failed = true;
            }
        }
    }
    let script = replay::script_commands(&case.transcript);
    let width = a
        .width
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(160);
    print!("{}", replay::side_by_side(&script, &ok, width));
    if let Some(dir) = &a.save {
        let redact = Redactor::choose(&targets.targets, a.keep_secrets);
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        for (name, t) in &ok {
            let mut header = case.header.clone();
            header.retain(|(k, _)| k != "target" && k != "time");
            let mut c = Case {
                header,
                transcript: (*t).clone(),
            };
            c.set("target", *name);
            c.set("time", campaign::rfc3339_now());
            if let Some(t) = targets.targets.iter().find(|t| t.name == *name) {
                c.set_security(t.tls);
            }
            c.set("replay-of", a.case.display().to_string());
            let stem = a
                .case
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("case");
            let path = dir.join(format!("{stem}-replay-{name}.imap"));
            std::fs::write(&path, redact.case(&c).to_text())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        }
    }
    Ok(if failed { 2 } else { 0 })
}

/// `replay` of a STARTTLS probe's case: runs the probe again on the case's target (or
/// the `--only` ones) and prints what it exchanged and what it proves.
fn replay_probe_case(
    a: &ReplayArgs,
    case: &Case,
    targets: &imapconform::targets::TargetsFile,
) -> anyhow::Result<u8> {
    use imapconform::drive::starttls::ProbeRecord;
    use imapconform::judge::starttls::judge_probe;
    if imapconform::probes::read_only::is_case(case) {
        return replay_read_only_case(a, case, targets);
    }
    let recorded = ProbeRecord::from_case(case)
        .expect("a probe header")
        .map_err(|e| anyhow::anyhow!("case file {}: {e}", a.case.display()))?;
    let wanted: Vec<&imapconform::targets::Target> = if a.only.is_empty() {
        let name = case.get("target").unwrap_or_default();
        targets.targets.iter().filter(|t| t.name == name).collect()
    } else {
        targets.targets.iter().collect()
    };
    if wanted.is_empty() {
        anyhow::bail!(
            "case file {}: its target {:?} is not in {} (choose with --only)",
            a.case.display(),
            case.get("target").unwrap_or_default(),
            a.targets.display()
        );
    }
    let redact = Redactor::choose(&targets.targets, a.keep_secrets);
    let rt = runtime()?;
    let mut failed = false;
    for t in wanted {
        let creds = t.pool().into_iter().next();
        let r = rt.block_on(imapconform::drive::starttls::run_probe(
            t,
            creds.as_ref(),
            recorded.probe,
            &DriveOptions::default(),
        ));
        let record = match r {
            Ok(r) => r,
            Err(e) => {
                eprintln!("imapconform: target {}: {e}", t.name);
                failed = true;
                continue;
            }
        };
        let c = imapconform::probes::probe_case(0, &t.name, &record, &redact);
        println!("== {} (probe {}) ==", t.name, recorded.probe);
        print!("{}", c.to_text());
        let verdicts = judge_probe(&t.name, &record);
        if verdicts.is_empty() {
            println!("-> no finding");
        }
        for v in &verdicts {
            println!(
                "-> {} {}: {}",
                v.kind,
                v.rule.as_deref().unwrap_or("-"),
                v.summary
            );
        }
        if let Some(dir) = &a.save {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
            let path = dir.join(format!("probe-{}-{}-replay.imap", t.name, recorded.probe));
            std::fs::write(&path, c.to_text())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        }
    }
    Ok(if failed { 2 } else { 0 })
}

/// `replay` of a read-only probe's case ([`imapconform::probes::read_only`]): runs the
/// probe again on the case's target (or the `--only` ones) with the case's mailboxes.
fn replay_read_only_case(
    a: &ReplayArgs,
    case: &Case,
    targets: &imapconform::targets::TargetsFile,
) -> anyhow::Result<u8> {
    use imapconform::probes::read_only;
    let name = case.get("target").unwrap_or_default();
    let wanted: Vec<_> = targets
        .targets
        .iter()
        .filter(|t| !a.only.is_empty() || t.name == name)
        .collect();
    if wanted.is_empty() {
        anyhow::bail!(
            "case file {}: its target {name:?} is not in {} (choose with --only)",
            a.case.display(),
            a.targets.display()
        );
    }
    let mailboxes = read_only::mailboxes_of(case);
    let redact = Redactor::choose(&targets.targets, a.keep_secrets);
    let rt = runtime()?;
    let drive = DriveOptions::default();
    let mut failed = false;
    for t in wanted {
        let creds = t.pool().into_iter().next();
        let run = read_only::run(t, creds.as_ref(), &mailboxes, &drive);
        let record = match rt.block_on(run) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("imapconform: target {}: {e}", t.name);
                failed = true;
                continue;
            }
        };
        let (text, c) = read_only::describe(&t.name, &record, &redact);
        print!("{text}");
        if let Some(dir) = &a.save {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
            let path = dir.join(format!("probe-{}-{}-replay.imap", t.name, read_only::PROBE));
            std::fs::write(&path, c.to_text())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        }
    }
    Ok(if failed { 2 } else { 0 })
}

fn cmd_bench(a: BenchArgs) -> anyhow::Result<u8> {
    if let Some(dir) = &a.findings {
        print!("{}", bench::findings(dir)?);
        return Ok(0);
    }
    let targets = match &a.targets {
        Some(p) => Some(load_targets(p, &[])?),
        None => None,
    };
    let report = runtime()?.block_on(bench::run(targets, a.sessions, a.jobs))?;
    print!("{report}");
    Ok(0)
}

/// `imapconform rfc`: prints the catalogue's coverage, list, or one entry.
fn cmd_report(a: &ReportArgs) -> anyhow::Result<u8> {
    use imapconform::report::results::{Results, RESULTS_FILE};
    let dir = &a.dir;
    match std::fs::metadata(dir) {
        Err(e) => anyhow::bail!("findings directory {}: {e}", dir.display()),
        Ok(m) if !m.is_dir() => {
            anyhow::bail!(
                "{} is not a directory (give the findings directory)",
                dir.display()
            )
        }
        Ok(_) => {}
    }
    let results = if dir.join(RESULTS_FILE).exists() {
        Results::read(dir)?
    } else if dir.join("findings.jsonl").exists() {
        eprintln!(
            "imapconform: {} has no {RESULTS_FILE}: reporting from findings.jsonl alone (what was exercised is not known, so no cell passes)",
            dir.display()
        );
        imapconform::report::results_from_findings(dir)?
    } else {
        anyhow::bail!(
            "{} is not a findings directory: it holds neither {RESULTS_FILE} nor findings.jsonl",
            dir.display()
        );
    };
    let out = a.out.as_deref().unwrap_or(dir);
    for path in imapconform::report::write_reports_to(dir, out, &results)? {
        println!("{}", path.display());
    }
    Ok(0)
}

fn cmd_truth(a: &TruthArgs) -> anyhow::Result<u8> {
    use imapconform::truth::{corpus_files, describe, TruthCase};
    let files = if a.path.is_dir() {
        corpus_files(&a.path)?
    } else {
        vec![a.path.clone()]
    };
    let mut changed = 0;
    for f in &files {
        let t = TruthCase::load(f)?;
        let o = t.check()?;
        if !o.holds() {
            changed += 1;
        }
        if !o.holds() || a.print {
            print!("{}", describe(&t, &o));
        }
    }
    println!(
        "truth corpus {}: {} cases, {} hold, {} changed",
        a.path.display(),
        files.len(),
        files.len() - changed,
        changed
    );
    Ok(u8::from(changed > 0))
}

fn cmd_rfc(a: &RfcArgs, out: &mut impl std::io::Write) -> std::io::Result<u8> {
    use imapconform::catalogue::{catalogue, Level};
    let cat = catalogue();
    if let Some(id) = &a.id {
        let Some(r) = cat.get(id) else {
            // Ids of the same RFC section, or containing what was asked for.
            let section: String = id.splitn(3, '-').take(2).collect::<Vec<_>>().join("-") + "-";
            let near: Vec<&str> = cat
                .requirements()
                .iter()
                .map(|r| r.id.as_str())
                .filter(|i| i.starts_with(&section) || i.contains(id.as_str()))
                .take(8)
                .collect();
            eprintln!("imapconform: no requirement with id {id:?} (see `imapconform rfc --list`)");
            if !near.is_empty() {
                eprintln!("similar ids: {}", near.join(", "));
            }
            return Ok(2);
        };
        writeln!(out, "{}", r.id)?;
        writeln!(out, "  RFC {} §{} {}", r.rfc, r.section, r.title)?;
        writeln!(out, "  level: {}", r.level_label())?;
        writeln!(
            out,
            "  a finding that cites it: {}",
            imapconform::judge::requirement_kind(&r.id)
                .map_or("none (nothing can break a MAY)", |k| k.as_str())
        )?;
        writeln!(out, "  {}", r.status())?;
        if let Some(old) = &r.replaces {
            writeln!(out, "  replaces: {old}")?;
        }
        let replaced_by: Vec<&str> = cat
            .requirements()
            .iter()
            .filter(|x| x.replaces.as_deref() == Some(r.id.as_str()))
            .map(|x| x.id.as_str())
            .collect();
        if !replaced_by.is_empty() {
            writeln!(out, "  changed in RFC 3501 by: {}", replaced_by.join(", "))?;
        }
        writeln!(out, "  quote:")?;
        for line in wrap(&r.quote, 88) {
            writeln!(out, "    {line}")?;
        }
        return Ok(0);
    }
    let wanted = |rfc: u32| a.rfc.is_none_or(|x| x == rfc);
    if a.list {
        for r in cat
            .requirements()
            .iter()
            .filter(|r| wanted(r.rfc))
            .filter(|r| !a.unchecked_musts || (r.level.is_absolute() && !r.is_checked()))
        {
            writeln!(out, "{:<52} {:<24} {}", r.id, r.level_label(), r.status())?;
        }
        return Ok(0);
    }
    let levels = [
        (Level::Must, "MUST"),
        (Level::MustNot, "MUST NOT"),
        (Level::Should, "SHOULD"),
        (Level::ShouldNot, "SHLD NOT"),
        (Level::May, "MAY"),
        (Level::Definition, "DEFINE"),
        (Level::Syntax, "SYNTAX"),
    ];
    let mut current = 0;
    for s in cat.by_section().iter().filter(|s| wanted(s.rfc)) {
        if s.rfc != current {
            current = s.rfc;
            writeln!(out, "RFC {}", s.rfc)?;
            write!(out, "  {:<8} {:<40}", "section", "title")?;
            for (_, name) in levels {
                write!(out, " {name:>8}")?;
            }
            writeln!(out, " {:>8}", "checked")?;
        }
        let title: String = s.title.chars().take(40).collect();
        write!(out, "  {:<8} {:<40}", s.section, title)?;
        for (level, _) in levels {
            write!(out, " {:>8}", s.count(level))?;
        }
        writeln!(
            out,
            " {:>8}",
            format!("{}/{}", s.checked(), s.requirements.len())
        )?;
    }
    let c = cat.must_coverage(2060);
    writeln!(
        out,
        "RFC 2060 MUST/MUST NOT requirements checked: {} of {} ({:.1}%)",
        c.checked,
        c.total,
        c.percent(c.checked)
    )?;
    write!(
        out,
        "  not checkable black-box: {}; checkable with what the tool lacks: {}",
        c.not_black_box, c.needs
    )?;
    if c.unstated > 0 {
        write!(out, "; no reason stated: {}", c.unstated)?;
    }
    writeln!(out, " (reasons: --list --unchecked-musts)")?;
    writeln!(
        out,
        "  checked or not checkable black-box: {} of {} ({:.1}%)",
        c.checked + c.not_black_box,
        c.total,
        c.percent(c.checked + c.not_black_box)
    )?;
    Ok(0)
}

/// Wraps text at word boundaries to lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(
            parse_duration("8760h").unwrap(),
            Duration::from_secs(365 * 24 * 3600)
        );
        assert!(parse_duration("99999999999999999999s")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("8761h").is_err());
    }

    #[test]
    fn ranges_and_kinds() {
        assert_eq!(parse_range("3..7").unwrap(), (3, 7));
        assert!(parse_range("7..3").is_err());
        assert_eq!(parse_kind("syntax").unwrap(), Kind::Syntax);
        assert!(parse_kind("bad").is_err());
    }

    fn rfc(args: &[&str]) -> (u8, String) {
        let cli = Cli::try_parse_from([&["imapconform", "rfc"], args].concat()).unwrap();
        let Cmd::Rfc(a) = cli.command else {
            panic!("not the rfc command")
        };
        let mut out = Vec::new();
        let code = cmd_rfc(&a, &mut out).unwrap();
        (code, String::from_utf8(out).unwrap())
    }

    fn cat_coverage() -> imapconform::catalogue::MustCoverage {
        imapconform::catalogue::catalogue().must_coverage(2060)
    }

    #[test]
    fn rfc_command() {
        let (code, out) = rfc(&[]);
        assert_eq!(code, 0);
        assert!(out.contains("RFC 2060") && out.contains("RFC 3501"));
        assert!(out.contains("RFC 2060 MUST/MUST NOT requirements checked: "));
        let c = cat_coverage();
        assert!(out.contains(&format!(
            "  not checkable black-box: {}; checkable with what the tool lacks: {} (reasons: --list --unchecked-musts)\n",
            c.not_black_box, c.needs
        )), "{out}");
        assert!(
            out.contains(&format!(
                "  checked or not checkable black-box: {} of {} (",
                c.checked + c.not_black_box,
                c.total
            )),
            "{out}"
        );
        let (_, only) = rfc(&["--rfc", "3501"]);
        assert!(!only.contains("RFC 2060\n") && only.contains("RFC 3501\n"));
        let (code, list) = rfc(&["--list", "--rfc", "2060"]);
        assert_eq!(code, 0);
        assert!(list.lines().all(|l| l.starts_with("2060-")));
        let (code, open) = rfc(&["--list", "--unchecked-musts", "--rfc", "2060"]);
        assert_eq!(code, 0);
        assert_eq!(open.lines().count(), c.total - c.checked, "{open}");
        assert!(open
            .lines()
            .all(|l| l.contains("MUST") && l.contains("not checked: ")));
        assert!(Cli::try_parse_from(["imapconform", "rfc", "--unchecked-musts"]).is_err());
        let (code, one) = rfc(&["--id", "2060-6.3.1-untagged-before-ok"]);
        assert_eq!(code, 0);
        assert!(one.contains("the server MUST send the following untagged data"));
        assert!(one.contains("changed in RFC 3501 by: 3501-6.3.1-untagged-before-ok"));
        assert!(one.contains("a finding that cites it: violation"));
        let (_, note) = rfc(&["--id", "2060-2.2.2-ok-no-bad"]);
        assert!(note.contains("level: DEFINITION (description)"), "{note}");
        assert!(note.contains("a finding that cites it: note"), "{note}");
        assert!(list.contains("DEFINITION (error)") && list.contains("DEFINITION (value)"));
        assert_eq!(rfc(&["--id", "2060-nope"]).0, 2);
        assert!(Cli::try_parse_from(["imapconform", "rfc", "--rfc", "1730"]).is_err());
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
