//! The hostile-server suite: whole campaigns (`imapconform run`, the binary) against a
//! hostile fixture server ([`hostile`], a test fixture only) and the reference server
//! (`imapconform serve --stdio`, the model), one behaviour per campaign.
//!
//! For each behaviour the run must (a) report the finding a true claim calls for, with a
//! case file that reads back; (b) end within the configured timeouts; (c) hold well under
//! 100 MB more than a run against the reference server alone (the tool prints its own
//! peak resident memory, VmHWM of /proc/self/status, as a process sampling it from outside
//! could miss the peak); (d) go on with the other target: every reference session runs,
//! and the exit status is the ordinary one for the findings made.
//!
//! The kinds, and why they are true:
//! - garbage bytes: `syntax` (no response of the grammar, RFC 2060 §9);
//! - `{4294967295}`: `warning` (a valid `number`, §9, beyond our `max_literal`: the RFC
//!   sets no limit, so the server is not proven wrong);
//! - a line that never ends: `warning` (beyond our `max_line`; the RFC sets no limit);
//! - one byte per second: `timeout` (no completion within the command's deadline, nor
//!   within six times that when asked again from a fresh session);
//! - close inside a literal: `crash` (closed without completing the command and without
//!   BYE: §2.2.1, the server "transmits ... a server command completion result
//!   response");
//! - silent after the greeting: `timeout` (LOGIN never answered, nor when asked again);
//! - every answer 1.5 times the timeout late: a `slow` note with the delay measured (the
//!   RFC sets no time limit; asked again with a longer deadline, the answer came);
//! - a flood of untagged responses: `warning` (beyond our `max_responses` or
//!   `max_session_bytes`; the RFC sets no limit and a server may send untagged data at
//!   any time, §2.2.2);
//! - 0xFF 0xFE and NUL in quoted strings: `syntax` (§9: a quoted string holds
//!   QUOTED-CHARs, 7-bit TEXT-CHARs without CR, LF or NUL);
//! - a tagged answer with a tag never sent: `violation` of 2060-2.2.2-tag-matches ("It is
//!   tagged with the same tag as the client command which began the operation.");
//! - `* NAMESPACE` without NAMESPACE advertised, a `+` LIST does not wait for, and a second
//!   OK under LIST's tag: `syntax` of 2060-7.2.1-conform-until-used, a `note` of
//!   2060-7.5-ready and a `violation` of 2060-2.2.2-one-completion;
//! - a `* BYE` greeting: no finding (§7.1.5 allows it), but a setup error naming the
//!   greeting: the target is dropped, the run exits 2 as for any target it cannot use.

mod hostile;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hostile::{Behaviour, Hostile};
use imapconform::case::Case;
use imapconform::drive::RECHECK_FACTOR;
use imapconform::judge::Kind;
use imapconform::report::{read_findings, Finding};

const BIN: &str = env!("CARGO_BIN_EXE_imapconform");
/// Sessions per campaign.
const SESSIONS: u64 = 4;
/// `--jobs`, and the size of each target's user pool: every session runs at once.
const JOBS: u64 = 4;
/// The hostile target's `timeout_ms`.
const TIMEOUT_MS: u64 = 1500;
/// Slack on top of the configured waits: starting the binary, judging, writing reports.
const SLACK: Duration = Duration::from_secs(5);
/// How much more than the reference-only run a hostile run may hold.
const EXTRA_MEMORY_KB: u64 = 50 * 1024;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("imapconform-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn users() -> String {
    let list: Vec<String> = (1..=JOBS)
        .map(|i| format!("{{ user = \"u{i}\", password = \"pw\" }}"))
        .collect();
    format!("[{}]", list.join(", "))
}

/// The reference server's table: the model, one process per session.
fn reference_target() -> String {
    let user_args: Vec<String> = (1..=JOBS)
        .map(|i| format!("\"--user\", \"u{i}:pw\""))
        .collect();
    format!(
        "[[target]]\nname = \"reference\"\nspawn = [\"{BIN}\", \"serve\", \"--stdio\", {}]\nusers = {}\nmodel = true\n",
        user_args.join(", "),
        users()
    )
}

/// What one `imapconform run` did.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_kb: u64,
    out: PathBuf,
    findings: Vec<Finding>,
    results: serde_json::Value,
}

impl Run {
    fn sessions_of(&self, target: &str) -> u64 {
        self.target(target)["sessions"].as_u64().unwrap()
    }

    fn target(&self, name: &str) -> &serde_json::Value {
        self.results["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no target {name} in results.json"))
    }

    fn of(&self, target: &str) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.target == target)
            .collect()
    }

    fn context(&self) -> String {
        let mut s = format!(
            "exit {}, {:.1} s, peak {} kB\n--- stdout\n{}\n--- stderr\n{}\n--- findings\n",
            self.status,
            self.wall.as_secs_f64(),
            self.peak_kb,
            self.stdout,
            self.stderr
        );
        for f in self.findings.iter().take(20) {
            s.push_str(&format!(
                "{} {:?} {:?} {}\n",
                f.target, f.kind, f.rule, f.summary
            ));
        }
        s
    }
}

fn campaign(name: &str, targets: &str) -> Run {
    let dir = scratch(name);
    let file = dir.join("targets.toml");
    std::fs::write(&file, targets).unwrap();
    let out = dir.join("out");
    let start = Instant::now();
    let o = Command::new(BIN)
        .args(["run", "--targets"])
        .arg(&file)
        .args(["--seed", "1", "--sessions", &SESSIONS.to_string()])
        .args([
            "--jobs",
            &JOBS.to_string(),
            "--quiet",
            "--no-minimize",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run imapconform");
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let peak_kb = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak memory: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory line in:\n{stdout}\n{stderr}"));
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("results.json"))
            .unwrap_or_else(|e| panic!("results.json: {e}\n{stdout}\n{stderr}")),
    )
    .unwrap();
    Run {
        status: o.status.code().unwrap_or(-1),
        findings: read_findings(&out.join("findings.jsonl")).unwrap(),
        stdout,
        stderr,
        wall,
        peak_kb,
        out,
        results,
    }
}

/// The run against the reference server alone: what the memory and time of the hostile
/// runs are measured against.
fn reference_alone() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let r = campaign("reference-alone", &reference_target());
        assert_eq!(r.sessions_of("reference"), SESSIONS, "{}", r.context());
        r
    })
}

/// A campaign against the hostile fixture (with `extra` lines in its table) and the
/// reference server, with the checks every behaviour shares: (b) time, (c) memory,
/// (d) the campaign went on, no panic.
fn hostile_campaign(b: Behaviour, extra: &str) -> Run {
    let base = reference_alone();
    let server = Hostile::start(b);
    let targets = format!(
        "[[target]]\nname = \"hostile\"\naddress = \"{}\"\nusers = {}\ntimeout_ms = {TIMEOUT_MS}\n{extra}\n{}",
        server.addr,
        users(),
        reference_target()
    );
    // One directory per behaviour and settings: two tests may share a behaviour.
    let settings: String = extra.chars().filter(char::is_ascii_alphanumeric).collect();
    let run = campaign(&format!("{b:?}{settings}"), &targets);
    let ctx = run.context();
    // (b) Every hostile session stops at its first wait that runs out, and asks it again
    // once with a deadline RECHECK_FACTOR times longer: that per wave of sessions (the
    // pool lets all JOBS run at once), on top of what the same sessions cost the
    // reference server.
    let waves = SESSIONS.div_ceil(JOBS) as u32;
    let bound =
        Duration::from_millis(TIMEOUT_MS) * (1 + RECHECK_FACTOR) * waves + base.wall + SLACK;
    assert!(
        run.wall <= bound,
        "{b:?}: took {:?}, more than {bound:?}\n{ctx}",
        run.wall
    );
    // (c) Memory: well under 100 MB above the reference-only run.
    let extra_kb = run.peak_kb.saturating_sub(base.peak_kb);
    assert!(
        extra_kb < EXTRA_MEMORY_KB,
        "{b:?}: peak {} kB, {extra_kb} kB above the reference-only run\n{ctx}",
        run.peak_kb
    );
    // (d) The campaign went on: every reference session ran, without findings (the
    // model answers as the model), and nothing panicked.
    assert_eq!(run.sessions_of("reference"), SESSIONS, "{ctx}");
    assert!(run.target("reference")["setup_error"].is_null(), "{ctx}");
    assert!(run.of("reference").is_empty(), "{ctx}");
    assert!(!run.stderr.contains("panicked"), "{ctx}");
    eprintln!(
        "{b:?}: {:.2} s (bound {:.2} s, timeout {TIMEOUT_MS} ms), peak {} kB ({} kB above the reference-only run's {} kB), exit {}",
        run.wall.as_secs_f64(),
        bound.as_secs_f64(),
        run.peak_kb,
        extra_kb,
        base.peak_kb,
        run.status
    );
    run
}

/// (a) The hostile target has a finding of `kind` satisfying `what`, in every session,
/// whose case file exists and reads back; no finding of it is of a kind outside
/// `allowed`. Returns the matching findings.
fn assert_found<'a>(
    run: &'a Run,
    kind: Kind,
    allowed: &[Kind],
    what: impl Fn(&Finding) -> bool,
) -> Vec<&'a Finding> {
    let ctx = run.context();
    let hits: Vec<&Finding> = run
        .of("hostile")
        .into_iter()
        .filter(|f| f.kind == kind && what(f))
        .collect();
    let sessions: std::collections::BTreeSet<u64> = hits.iter().map(|f| f.session).collect();
    assert_eq!(
        sessions.len() as u64,
        SESSIONS,
        "a {kind:?} finding in every session\n{ctx}"
    );
    for f in &hits {
        let path = run.out.join(&f.case);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("case {}: {e}\n{ctx}", path.display()));
        let case = Case::parse(&text).unwrap_or_else(|e| panic!("case {}: {e}", path.display()));
        assert_eq!(case.get("target"), Some("hostile"));
    }
    for f in run.of("hostile") {
        assert!(
            f.kind == kind || allowed.contains(&f.kind),
            "unexpected {:?} finding: {}\n{ctx}",
            f.kind,
            f.summary
        );
    }
    hits
}

fn exits_for(run: &Run, status: i32) {
    assert_eq!(run.status, status, "{}", run.context());
}

fn end_of(run: &Run, f: &Finding) -> String {
    let case = Case::parse(&std::fs::read_to_string(run.out.join(&f.case)).unwrap()).unwrap();
    case.transcript.end.to_line()
}

#[test]
fn garbage_bytes_are_syntax_findings_and_the_session_stops_at_a_limit() {
    let run = hostile_campaign(Behaviour::Garbage, "max_session_bytes = 1048576");
    // A garbage line that happens to read `+ ...` is a continuation request nobody
    // waits for: a note.
    let hits = assert_found(
        &run,
        Kind::Syntax,
        &[Kind::Warning, Kind::Timeout, Kind::Note],
        |f| f.summary.starts_with("response does not match"),
    );
    // At most 100 per session (the cap), the last one saying how many more there were.
    assert!(hits.len() as u64 <= 100 * SESSIONS);
    // The endless stream ends at one of the driver's limits (garbage lines starting
    // with "+" read as continuation requests, or the session's bytes), never as a crash.
    let ends: std::collections::BTreeSet<String> = hits.iter().map(|f| end_of(&run, f)).collect();
    assert!(ends.iter().all(|e| e.starts_with("limit: ")), "{ends:?}");
    exits_for(&run, 1);
}

#[test]
fn a_literal_announced_as_4294967295_is_refused_with_a_warning() {
    let run = hostile_campaign(Behaviour::HugeLiteral, "");
    assert_found(&run, Kind::Warning, &[], |f| {
        f.summary.contains("4294967295") && f.summary.contains("max_literal") && f.rule.is_none()
    });
    exits_for(&run, 0);
}

#[test]
fn a_line_that_never_ends_is_cut_at_the_targets_max_line_with_a_warning() {
    let run = hostile_campaign(Behaviour::EndlessLine, "max_line = 8192");
    assert_found(&run, Kind::Warning, &[], |f| {
        f.summary.contains("exceeded 8192 bytes") && f.summary.contains("max_line")
    });
    exits_for(&run, 0);
}

#[test]
fn one_byte_per_second_is_a_timeout_at_the_commands_deadline() {
    let run = hostile_campaign(Behaviour::OneBytePerSecond, "");
    // The drip starts at the first command after LOGIN: the setup's LIST.
    let recheck = TIMEOUT_MS * u64::from(RECHECK_FACTOR);
    assert_found(&run, Kind::Timeout, &[], |f| {
        f.summary.contains(&format!(
            "within {TIMEOUT_MS} ms, nor within {recheck} ms when asked again"
        )) && f.expected.contains("LIST")
            && f.observed.starts_with("in answer to `s3 LIST \"\" *`: *")
            && f.observed.ends_with("(unfinished)")
    });
    // A timeout ranks below a violation, the default `--fail-on`.
    exits_for(&run, 0);
}

/// The fixture's delay: one and a half times the timeout.
const DELAY_MS: u64 = TIMEOUT_MS * 3 / 2;

#[test]
fn an_answer_one_and_a_half_timeouts_late_is_a_slow_note_with_the_delay_measured() {
    let run = hostile_campaign(Behaviour::Delayed(DELAY_MS), "");
    let ctx = run.context();
    let notes = assert_found(&run, Kind::Note, &[], |f| {
        f.summary
            .starts_with("slow: `s3 LIST \"\" *` was answered after ")
            && f.summary
                .ends_with("ms (the per-command timeout is 1500 ms)")
    });
    for f in notes {
        // "answered after 2253 ms": the measured delay, at least the fixture's.
        let ms: u64 = f
            .summary
            .split("answered after ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no delay in {:?}\n{ctx}", f.summary));
        assert!(
            ms >= DELAY_MS - 10 && ms < TIMEOUT_MS * u64::from(RECHECK_FACTOR),
            "measured {ms} ms\n{ctx}"
        );
        assert!(f.observed.contains("s3 OK done"), "{}\n{ctx}", f.observed);
        // The case file is the second run, with the late answer and the delay.
        assert!(
            end_of(&run, f).starts_with("slow: answered after "),
            "{ctx}"
        );
    }
    // A note never fails a run.
    exits_for(&run, 0);
}

#[test]
fn a_connection_closed_inside_a_literal_is_a_crash() {
    let run = hostile_campaign(Behaviour::CloseInLiteral, "");
    assert_found(&run, Kind::Crash, &[], |f| {
        f.rule.as_deref() == Some("2060-2.2.1-completion-result")
            && f.summary.contains("without completing `s3 LIST \"\" *`")
            && f.observed.contains("only this (unfinished)")
    });
    exits_for(&run, 1);
}

#[test]
fn a_server_silent_after_its_greeting_is_a_timeout_of_the_login() {
    // LOGIN has its own timeout (15 s by default): the same as the others here.
    let run = hostile_campaign(
        Behaviour::Silent,
        &format!("auth_timeout_ms = {TIMEOUT_MS}"),
    );
    assert_found(&run, Kind::Timeout, &[], |f| {
        f.step.is_none() && f.expected.contains("LOGIN") && f.summary.contains("nor within")
    });
    // A timeout ranks below a violation, the default `--fail-on`.
    exits_for(&run, 0);
}

#[test]
fn a_flood_of_untagged_responses_stops_at_the_default_max_responses_with_a_warning() {
    // The default limits: this is the flood that costs the most memory.
    let run = hostile_campaign(Behaviour::Flood, "");
    assert_found(&run, Kind::Warning, &[], |f| {
        f.summary
            .contains("the responses to one command exceeded 10000 (max_responses)")
    });
    exits_for(&run, 0);
}

#[test]
fn a_flood_stops_at_the_targets_own_max_session_bytes() {
    let run = hostile_campaign(Behaviour::Flood, "max_session_bytes = 262144");
    assert_found(&run, Kind::Warning, &[], |f| {
        f.summary
            .contains("the session's record exceeded 262144 bytes (max_session_bytes)")
    });
    exits_for(&run, 0);
}

#[test]
fn invalid_utf8_and_nul_in_quoted_strings_are_syntax_findings() {
    let run = hostile_campaign(Behaviour::BadQuoted, "");
    assert_found(&run, Kind::Syntax, &[Kind::Violation, Kind::Warning], |f| {
        f.observed.contains("\\xFF\\xFE")
    });
    assert_found(&run, Kind::Syntax, &[Kind::Violation, Kind::Warning], |f| {
        f.observed.contains("\\x00")
    });
    exits_for(&run, 1);
}

#[test]
fn a_tagged_answer_with_a_tag_never_sent_is_a_violation() {
    let run = hostile_campaign(Behaviour::UnknownTag, "");
    assert_found(&run, Kind::Violation, &[Kind::Warning], |f| {
        f.rule.as_deref() == Some("2060-2.2.2-tag-matches")
            && f.summary.contains("`zz9`")
            && f.quote.as_deref().is_some_and(|q| q.contains("same tag"))
    });
    exits_for(&run, 1);
}

#[test]
fn a_second_completion_an_unadvertised_response_and_an_unawaited_continuation_are_found() {
    let run = hostile_campaign(Behaviour::Unaccounted, "");
    let all = [
        Kind::Note,
        Kind::Warning,
        Kind::Divergence,
        Kind::Violation,
        Kind::Syntax,
    ];
    // RFC 2060 §2.2.2: one completion per command.
    assert_found(&run, Kind::Violation, &all, |f| {
        f.rule.as_deref() == Some("2060-2.2.2-one-completion") && f.summary.contains("`s3`")
    });
    // RFC 2060 §7.2.1: NAMESPACE (RFC 2342) was not advertised.
    assert_found(&run, Kind::Syntax, &all, |f| {
        f.rule.as_deref() == Some("2060-7.2.1-conform-until-used")
            && f.summary.starts_with("untagged NAMESPACE response")
    });
    // RFC 2060 §7.5: LIST has nothing to continue.
    assert_found(&run, Kind::Note, &all, |f| {
        f.rule.as_deref() == Some("2060-7.5-ready") && f.summary.contains("`s3 LIST")
    });
    exits_for(&run, 1);
}

#[test]
fn a_bye_greeting_is_no_finding_but_a_setup_error_that_drops_the_target() {
    let run = hostile_campaign(Behaviour::ByeGreeting, "");
    let ctx = run.context();
    assert!(
        run.of("hostile").is_empty(),
        "a BYE greeting is allowed\n{ctx}"
    );
    let err = run.target("hostile")["setup_error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        err.contains("* BYE not accepting connections") && err.contains("§7.1.5"),
        "{ctx}"
    );
    assert!(run.stdout.contains("SETUP ERROR"), "{ctx}");
    exits_for(&run, 2);
}
