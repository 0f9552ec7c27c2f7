//! Throughput measurements: generator commands/s and judge responses/s in process, and
//! campaign commands/s against real targets.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::campaign::{self, CampaignOptions};
use crate::drive::DriveOptions;
use crate::gen::{self, GenConfig};
use crate::judge;
use crate::targets::TargetsFile;
use crate::wire::{Exchange, Message, Transcript};

/// Realistic responses of the four lab servers, judged over and over.
const SAMPLE_RESPONSES: &[&str] = &[
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.",
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
    "* 3 EXISTS",
    "* 0 RECENT",
    "* OK [UIDVALIDITY 1764170000] UIDs valid",
    "* OK [UIDNEXT 4] Predicted next UID",
    "a3 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).",
    "* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 345 INTERNALDATE \"26-Nov-2026 16:00:00 +0000\")",
    "* 2 FETCH (ENVELOPE (\"Thu, 26 Nov 2026 16:00:00 +0000\" \"hello\" ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<1@example.org>\"))",
    "* 2 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL))",
    "* SEARCH 1 2 3",
    "* LIST (\\HasNoChildren) \".\" INBOX.x",
    "* STATUS INBOX (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY 1764170000 UNSEEN 1)",
    "a9 OK Fetch completed.",
];

fn sample_transcript() -> Transcript {
    let mut t = Transcript {
        greeting: Some(Message::line(SAMPLE_RESPONSES[0])),
        ..Transcript::default()
    };
    let e = Exchange::from_lines("a9 FETCH 1:* ALL", &SAMPLE_RESPONSES[1..]);
    for _ in 0..20 {
        t.script.push(e.clone());
    }
    t
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Runs every measurement and returns a report, one number a line.
pub async fn run(
    targets: Option<TargetsFile>,
    sessions: u64,
    jobs: usize,
) -> anyhow::Result<String> {
    let mut out = String::new();

    let cfg = GenConfig::default();
    let (mut cmds, mut bytes, mut i) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        let s = gen::generate(1, i, &cfg);
        cmds += s.commands.len() as u64;
        bytes += s
            .commands
            .iter()
            .map(|c| c.message.len() as u64)
            .sum::<u64>();
        i += 1;
    }
    let d = start.elapsed();
    writeln!(
        out,
        "generator: {:.0} commands/s, {:.0} sessions/s, {:.1} MB/s",
        rate(cmds, d),
        rate(i, d),
        rate(bytes, d) / 1e6
    )?;
    // Issue 4: at least 90% of generated commands valid, measured on the model.
    let v = crate::validity::measure(1, 2000, &cfg, crate::model::Profile::Rfc2060);
    out.push_str(&v.summary());

    let t = sample_transcript();
    let per = t
        .script
        .iter()
        .map(|e| e.responses().count() as u64)
        .sum::<u64>()
        + 1;
    let (mut judged, start) = (0u64, Instant::now());
    while start.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(judge::judge_syntax("bench", &t));
        judged += per;
    }
    writeln!(
        out,
        "judge (syntax): {:.0} responses/s",
        rate(judged, start.elapsed())
    )?;
    let runs = [("a", &t), ("b", &t), ("c", &t), ("d", &t)];
    let (mut judged, start) = (0u64, Instant::now());
    while start.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(judge::judge_differential(&runs));
        judged += per * runs.len() as u64;
    }
    writeln!(
        out,
        "judge (differential, 4 targets): {:.0} responses/s",
        rate(judged, start.elapsed())
    )?;

    // The model and the oracle: generated sessions run on the reference server in process,
    // then judged by the oracle.
    let users = vec![("u1".to_string(), "pw-u1".to_string())];
    let login = [
        Message::line("s1 LOGIN u1 pw-u1"),
        Message::line("s3 LIST \"\" *"),
    ];
    let (mut served, mut n, start) = (0u64, 0u64, Instant::now());
    let mut transcripts = Vec::new();
    while start.elapsed() < Duration::from_secs(2) {
        let s = gen::generate(2, n, &cfg);
        let cmds: Vec<Message> = s.commands.iter().map(|c| c.message.clone()).collect();
        let t = crate::serve::loopback::run_script(
            &users,
            crate::model::Profile::Rfc2060,
            &login,
            &cmds,
        );
        served += t.script.len() as u64;
        n += 1;
        if transcripts.len() < 200 {
            transcripts.push(t);
        }
    }
    writeln!(
        out,
        "reference server (in process): {:.0} commands/s, {:.0} sessions/s",
        rate(served, start.elapsed()),
        rate(n, start.elapsed())
    )?;
    let per: u64 = transcripts
        .iter()
        .map(|t| {
            t.script
                .iter()
                .map(|e| e.responses().count() as u64)
                .sum::<u64>()
        })
        .sum();
    let (mut judged, start) = (0u64, Instant::now());
    while start.elapsed() < Duration::from_secs(2) {
        for t in &transcripts {
            std::hint::black_box(judge::judge_oracle(
                "bench",
                t,
                crate::model::Profile::Rfc2060,
            ));
        }
        judged += per;
    }
    writeln!(
        out,
        "judge (oracle): {:.0} responses/s",
        rate(judged, start.elapsed())
    )?;
    // How far the oracle follows the reference server (the model itself): every reason
    // it stops there is a gap in the model.
    let mut tally = judge::Tally::default();
    for t in &transcripts {
        tally.add(&judge::judge_oracle("bench", t, crate::model::Profile::Rfc2060).1);
    }
    writeln!(
        out,
        "oracle followed (reference server, {} sessions): {}",
        transcripts.len(),
        tally.line(5)
    )?;

    if let Some(targets) = targets {
        let n = targets.targets.len();
        let dir = std::env::temp_dir().join(format!("imapconform-bench-{}", std::process::id()));
        let redact = crate::redact::Redactor::for_targets(&targets.targets);
        let summary = campaign::run(CampaignOptions {
            targets,
            seed: 1,
            sessions: Some(sessions),
            duration: None,
            jobs,
            out: dir.clone(),
            gen: cfg,
            drive: DriveOptions {
                list_mailboxes: true,
                ..DriveOptions::default()
            },
            progress: false,
            all_cases: false,
            // The benchmark measures sessions; probes are no sessions.
            probes: false,
            oracle: Some(crate::model::Profile::Rfc2060),
            shard: None,
            derive_one_in: 4,
            corpus: Vec::new(),
            resume: false,
            redact,
        })
        .await?;
        let _ = std::fs::remove_dir_all(&dir);
        writeln!(
            out,
            "campaign: {} sessions x {n} targets, {} commands in {:.1} s: {:.0} commands/s, {:.1} sessions/s",
            summary.sessions,
            summary.commands,
            summary.elapsed.as_secs_f64(),
            rate(summary.commands, summary.elapsed),
            rate(summary.sessions, summary.elapsed)
        )?;
        for (name, e) in &summary.errors {
            writeln!(out, "  setup error on {name}: {e}")?;
        }
        for (name, t) in &summary.oracle_coverage {
            writeln!(out, "  oracle followed on {name}: {}", t.line(5))?;
        }
    }
    Ok(out)
}

/// Measures what a run does with its findings once the campaign is over, on a findings
/// directory: grouping `findings.jsonl` into distinct findings (findings/s), and writing
/// the reports (report.html, report.md, junit.xml, results.json) into a scratch directory;
/// with the process's peak resident memory (VmHWM) after each.
pub fn findings(dir: &std::path::Path) -> anyhow::Result<String> {
    use crate::report::{self, distinct, read_findings};
    let mut out = String::new();
    let start = Instant::now();
    let all = read_findings(&dir.join("findings.jsonl"))?;
    let read = start.elapsed();
    writeln!(
        out,
        "read findings.jsonl: {} findings in {:.1} ms",
        all.len(),
        read.as_secs_f64() * 1e3
    )?;
    let (mut n, mut rounds, mut groups) = (0u64, 0u64, 0usize);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) || rounds == 0 {
        groups = distinct::dedup(&all).len();
        n += all.len() as u64;
        rounds += 1;
    }
    writeln!(
        out,
        "dedup: {groups} distinct findings; {:.0} findings/s ({rounds} rounds)",
        rate(n, start.elapsed())
    )?;
    writeln!(out, "peak memory so far: {}", peak_memory())?;
    let results = match report::results::Results::read(dir) {
        Ok(r) => r,
        Err(_) => report::results_from_findings(dir)?,
    };
    for t in &results.targets {
        if t.oracle_total > 0 {
            writeln!(
                out,
                "oracle followed on {}: {}",
                t.name,
                t.oracle_tally().line(5)
            )?;
        }
    }
    let scratch = std::env::temp_dir().join(format!("imapconform-bench-{}", std::process::id()));
    let start = Instant::now();
    let written = report::write_reports_to(dir, &scratch, &results)?;
    let took = start.elapsed();
    let sizes: Vec<String> = written
        .iter()
        .map(|p| {
            let kb = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1024.0;
            format!(
                "{} {kb:.1} KiB",
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect();
    writeln!(
        out,
        "reports for {} distinct findings: {:.0} ms ({})",
        results.distinct.len(),
        took.as_secs_f64() * 1e3,
        sizes.join(", ")
    )?;
    writeln!(out, "peak memory: {}", peak_memory())?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}

/// The process's peak resident set size, from /proc/self/status (Linux), e.g.
/// `41236 kB`; `unknown` elsewhere.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Kind;
    use crate::report::Finding;

    #[test]
    fn the_findings_benchmark_groups_and_writes_reports() {
        let dir = std::env::temp_dir().join(format!("imapconform-bench-f-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let w = crate::report::FindingsWriter::create(&dir, crate::redact::Redactor::default())
            .unwrap();
        for session in 0..3 {
            w.write(&Finding {
                id: format!("1.{session}.0"),
                target: "x".into(),
                targets: vec!["x".into()],
                kind: Kind::Syntax,
                rule: Some("2060-9-msg-att".into()),
                quote: None,
                summary: format!("bad FETCH of message {session}"),
                command: "a1 FETCH 1 FLAGS\\r\\n".into(),
                expected: String::new(),
                observed: String::new(),
                case: String::new(),
                cases: Default::default(),
                seed: 1,
                session,
                step: Some(0),
                cause: None,
            })
            .unwrap();
        }
        let out = findings(&dir).unwrap();
        assert!(out.contains("3 findings"), "{out}");
        assert!(out.contains("dedup: 1 distinct findings"), "{out}");
        assert!(out.contains("report.html"), "{out}");
        assert!(
            !dir.join("report.html").exists(),
            "the reports go to a scratch directory"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
