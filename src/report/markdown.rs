//! `DIR/report.md`: the findings of a run as a pull-request comment (issue 5 §5,
//! "Reports").
//!
//! A headline (distinct findings by kind; new, known and fixed when a baseline was used),
//! a table of the new distinct findings (all of them without a baseline), a `<details>`
//! block per finding with the quoted rule and the minimal case, and the fixed list. The
//! whole stays under [`LIMIT`] characters (GitHub refuses longer comments): findings that
//! do not fit are left out, and a note says how many.

use std::fmt::Write as _;
use std::path::Path;

use super::distinct::DistinctFinding;
use super::html::{baseline_state, kind_counts, new_known, quote, verification};
use super::results::Results;
use crate::judge::Kind;

/// The most characters the report may have.
pub const LIMIT: usize = 60_000;

/// Room kept for the closing note and the fixed list's truncation note.
const RESERVE: usize = 1_000;

/// The report. `dir` is the findings directory the minimal cases are read from.
pub fn render(results: &Results, dir: &Path) -> String {
    let mut out = String::new();
    headline(&mut out, results);
    // Notes are not failures: they have their own list, after the findings.
    let shown: Vec<&DistinctFinding> = if results.baseline.is_some() {
        results
            .new_findings()
            .filter(|d| d.kind != Kind::Note)
            .collect()
    } else {
        results
            .distinct
            .iter()
            .filter(|d| d.kind != Kind::Note)
            .collect()
    };
    let notes = notes_list(results);
    let fixed = notes.clone() + &fixed_list(results);
    let budget = LIMIT.saturating_sub(RESERVE + fixed.len().min(LIMIT / 4));
    // Everything when it fits; else the table first, in at most half the room, then the
    // details of the rows shown while they fit.
    let all_fits = out.len()
        + shown
            .iter()
            .map(|d| table_row(d).len() + details_block(d, dir).len())
            .sum::<usize>()
        + 400
        < budget;
    let table_room = if all_fits { budget } else { budget / 2 };
    let mut table = String::new();
    let mut rows = 0usize;
    for d in &shown {
        let row = table_row(d);
        if out.len() + table.len() + row.len() + 400 >= table_room {
            break;
        }
        table.push_str(&row);
        rows += 1;
    }
    let mut details = String::new();
    let mut detailed = 0usize;
    for d in &shown[..rows] {
        let block = details_block(d, dir);
        if out.len() + table.len() + details.len() + block.len() + 400 >= budget {
            break;
        }
        details.push_str(&block);
        detailed += 1;
    }
    let which = if results.baseline.is_some() {
        "New findings"
    } else {
        "Findings"
    };
    let _ = writeln!(out, "\n### {which} ({})\n", shown.len());
    if shown.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str("| kind | targets | rule | command | count | verification | summary |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        out.push_str(&table);
        out.push('\n');
        out.push_str(&details);
    }
    if rows < shown.len() {
        let _ = writeln!(
            out,
            "\n_{} more distinct findings were left out of the table to keep this under {LIMIT} characters; report.html and results.json have them all._",
            shown.len() - rows
        );
    }
    if detailed < rows {
        let _ = writeln!(
            out,
            "\n_The details of {} findings of the table were left out to keep this under {LIMIT} characters; report.html has them._",
            rows - detailed
        );
    }
    if fixed.len() + out.len() < LIMIT {
        out.push_str(&fixed);
    } else {
        out.push_str(&notes_list_cut(
            results,
            LIMIT.saturating_sub(out.len() + 400),
        ));
        let _ = writeln!(
            out,
            "\n### Fixed ({})\n\n_The list was left out to keep this under {LIMIT} characters; results.json has it._",
            results.fixed.len()
        );
    }
    out
}

fn headline(out: &mut String, r: &Results) {
    let _ = writeln!(
        out,
        "## imapconform: {} distinct findings ({})\n",
        r.distinct.len(),
        kind_counts(&r.distinct)
    );
    if let Some(b) = &r.baseline {
        let (new, known) = new_known(r);
        let _ = writeln!(
            out,
            "**{new} new**, {known} known, {} fixed (baseline `{}`).\n",
            r.fixed.len(),
            code_text(b)
        );
    }
    let targets: Vec<&str> = r.targets.iter().map(|t| t.name.as_str()).collect();
    let _ = writeln!(
        out,
        "Targets: {}. Profile: {}. {} findings in all{}.",
        cell(&targets.join(", ")),
        cell(&r.profile),
        r.findings,
        r.seed.map(|s| format!(", seed {s}")).unwrap_or_default()
    );
    if r.interrupted {
        let _ = writeln!(
            out,
            "\n**Interrupted:** the run was stopped by a signal before its end; its findings were not verified."
        );
    }
}

/// Text for a table cell: no line breaks, pipes and markup characters escaped.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backquotes and line breaks cannot be in one.
fn code_text(s: &str) -> String {
    s.replace('`', "'").replace(['\r', '\n'], " ")
}

fn table_row(d: &DistinctFinding) -> String {
    let mut verif = verification(&d.verification);
    let b = baseline_state(&d.baseline);
    if !b.is_empty() {
        verif = format!("{verif}, {b}");
    }
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        d.kind.as_str(),
        cell(&d.targets.join(", ")),
        d.rule
            .as_deref()
            .map(|r| format!("`{}`", code_text(r)))
            .unwrap_or_else(|| "—".into()),
        cell(&d.signature.command),
        d.count,
        cell(&verif),
        cell(&d.summary)
    )
}

/// A fence of backquotes longer than any run of them in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn code_block(text: &str) -> String {
    let f = fence(text);
    let body = text.trim_end_matches('\n');
    format!("{f}\n{body}\n{f}\n")
}

fn details_block(d: &DistinctFinding, dir: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details><summary>{} {}: {}</summary>\n",
        d.kind.as_str(),
        d.id,
        super::html::escape(&d.summary)
    );
    if let Some(q) = quote(d) {
        let _ = writeln!(s, "> {}\n", cell(&q));
    }
    // The exchange in bytes: what was sent, what the model would answer, what came.
    if let Some(e) = d.examples.first() {
        if !e.command.is_empty() {
            s.push_str("Command:\n\n");
            s.push_str(&code_block(&e.command));
        }
        if !e.expected.is_empty() {
            s.push_str(if d.kind == Kind::Divergence {
                "\nExpected (the other servers' answer, normalised):\n\n"
            } else {
                "\nExpected:\n\n"
            });
            s.push_str(&code_block(&e.expected));
        }
        if !e.observed.is_empty() {
            s.push_str(if d.kind == Kind::Divergence {
                "\nObserved (diff of the normalised answers: `-` the others, `+` this one):\n\n"
            } else {
                "\nObserved:\n\n"
            });
            s.push_str(&code_block(&e.observed));
        }
        s.push('\n');
    }
    match &d.minimal {
        Some(min) => {
            let _ = writeln!(
                s,
                "Minimal case `{}` ({} of {} commands):\n",
                code_text(&min.case),
                min.commands_after,
                min.commands_before
            );
            match std::fs::read_to_string(dir.join(&min.case)) {
                Ok(text) => s.push_str(&code_block(&text)),
                Err(e) => {
                    let _ = writeln!(s, "_cannot be read: {}_", cell(&e.to_string()));
                }
            }
        }
        None => {
            if let Some(e) = d.examples.first() {
                let _ = writeln!(s, "Case `{}` (not minimised).\n", code_text(&e.case));
            }
        }
    }
    s.push_str("\n</details>\n\n");
    s
}

/// The notes (never failures), one line each.
fn notes_list(r: &Results) -> String {
    notes_list_cut(r, usize::MAX)
}

/// [`notes_list`] in at most `room` characters, saying how many were left out.
fn notes_list_cut(r: &Results, room: usize) -> String {
    let notes: Vec<&DistinctFinding> = r.distinct.iter().filter(|d| d.kind == Kind::Note).collect();
    if notes.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "\n### Notes ({})\n\nInformation about a server that breaks no requirement; never a failure.\n\n",
        notes.len()
    );
    for (i, d) in notes.iter().enumerate() {
        let line = format!(
            "- `{}` {}: {}\n",
            code_text(&d.id),
            cell(&d.targets.join(", ")),
            cell(&d.summary)
        );
        if s.len() + line.len() + 200 > room {
            let _ = writeln!(
                s,
                "\n_{} more notes were left out to keep this under {LIMIT} characters; report.html has them._",
                notes.len() - i
            );
            break;
        }
        s.push_str(&line);
    }
    s
}

fn fixed_list(r: &Results) -> String {
    let mut s = String::new();
    if r.baseline.is_none() && r.fixed.is_empty() {
        return s;
    }
    let _ = writeln!(s, "\n### Fixed ({})\n", r.fixed.len());
    if r.fixed.is_empty() {
        s.push_str("No baseline entry is gone.\n");
    }
    for f in &r.fixed {
        let _ = writeln!(
            s,
            "- `{}` {} on {}: {} ({})",
            code_text(&f.id),
            f.kind.as_str(),
            cell(&f.targets.join(", ")),
            cell(&f.summary),
            cell(&f.how)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::distinct::{dedup, BaselineState};
    use crate::report::results::{Fixed, FORMAT};
    use crate::report::Finding;

    fn finding(n: usize, summary: &str) -> Finding {
        Finding {
            id: format!("1.{n}.0"),
            target: "a".into(),
            targets: vec!["a".into()],
            kind: Kind::Violation,
            rule: Some(format!("rule-{n}")),
            quote: Some("RFC 2060 §x MUST: \"q\"".into()),
            summary: summary.into(),
            command: "a1 NOOP\\r\\n".into(),
            expected: String::new(),
            observed: "```bad```".into(),
            case: "cases/1.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: n as u64,
            step: Some(0),
            cause: None,
        }
    }

    #[test]
    fn the_table_lists_findings_with_pipes_escaped_and_fences_that_hold() {
        let r = Results {
            format: FORMAT,
            distinct: dedup(&[finding(1, "a | b")]),
            ..Results::default()
        };
        let md = render(&r, Path::new("/nonexistent"));
        assert!(md.starts_with("## imapconform: 1 distinct findings (1 violation)"));
        assert!(md.contains("| kind | targets | rule | command | count | verification | summary |"));
        assert!(
            md.contains("| violation | a | `rule-1` | NOOP | 1 | unverified | a \\| b |"),
            "{md}"
        );
        assert!(md.contains("````\n```bad```\n````"), "a longer fence: {md}");
        assert!(md.contains("<details>"));
    }

    #[test]
    fn the_details_show_the_command_the_expected_and_the_observed_bytes() {
        let mut f = finding(1, "TRYCREATE as text");
        f.command = "a3 APPEND nosuch {3}\\r\\nabc\\r\\n".into();
        f.expected = "a3 NO [TRYCREATE] ...".into();
        f.observed = "a3 NO APPEND [TRYCREATE] failed".into();
        let r = Results {
            format: FORMAT,
            distinct: dedup(&[f]),
            ..Results::default()
        };
        let md = render(&r, Path::new("/nonexistent"));
        let details = &md[md.find("<details>").unwrap()..];
        let at = |s: &str| {
            details
                .find(s)
                .unwrap_or_else(|| panic!("{s} missing: {details}"))
        };
        assert!(at("Command:\n\n```\na3 APPEND nosuch {3}\\r\\nabc\\r\\n\n```") < at("Expected:"));
        assert!(at("Expected:\n\n```\na3 NO [TRYCREATE] ...\n```") < at("Observed:"));
        assert!(details.contains("Observed:\n\n```\na3 NO APPEND [TRYCREATE] failed\n```"));
    }

    #[test]
    fn notes_are_listed_apart_and_not_as_findings() {
        let mut note = finding(1, "answered after 5.0 s");
        note.kind = Kind::Note;
        let r = Results {
            format: FORMAT,
            distinct: dedup(&[note, finding(2, "real")]),
            ..Results::default()
        };
        let md = render(&r, Path::new("/nonexistent"));
        assert!(md.contains("### Findings (1)"), "{md}");
        assert!(!md.contains("| note |"), "{md}");
        let notes = md.find("### Notes (1)").expect("a notes list");
        assert!(md[notes..].contains(": answered after 5.0 s"), "{md}");
        assert!(md.find("| violation |").unwrap() < notes);
    }

    #[test]
    fn with_a_baseline_only_new_findings_are_listed_and_fixed_ones_named() {
        let mut r = Results {
            format: FORMAT,
            distinct: dedup(&[finding(1, "one"), finding(2, "two")]),
            baseline: Some("baseline.toml".into()),
            fixed: vec![Fixed {
                id: "Dabc".into(),
                kind: Kind::Syntax,
                rule: None,
                summary: "gone".into(),
                targets: vec!["a".into()],
                reason: "r".into(),
                how: "not found again".into(),
            }],
            ..Results::default()
        };
        r.distinct[0].baseline = Some(BaselineState::Known("upstream".into()));
        r.distinct[1].baseline = Some(BaselineState::New);
        let new_summary = r.distinct[1].summary.clone();
        let old_summary = r.distinct[0].summary.clone();
        let md = render(&r, Path::new("/nonexistent"));
        assert!(md.contains("**1 new**, 1 known, 1 fixed"), "{md}");
        assert!(md.contains(&format!("| {new_summary} |")));
        assert!(!md.contains(&format!("| {old_summary} |")));
        assert!(md.contains("- `Dabc` syntax on a: gone (not found again)"));
    }

    #[test]
    fn a_huge_run_is_cut_under_the_limit_with_a_note() {
        let many: Vec<Finding> = (0..3000)
            .map(|n| finding(n, &format!("finding number {n} {}", "x".repeat(40))))
            .collect();
        let r = Results {
            format: FORMAT,
            distinct: dedup(&many),
            ..Results::default()
        };
        let md = render(&r, Path::new("/nonexistent"));
        assert!(md.len() < LIMIT, "{} characters", md.len());
        let rows = md.matches("\n| violation |").count();
        let detailed = md.matches("<details>").count();
        assert!(rows > 100, "{rows} rows");
        assert!(detailed > 10 && detailed < rows, "{detailed} details");
        assert!(
            md.contains(&format!(
                "_{} more distinct findings were left out of the table",
                3000 - rows
            )),
            "the note counts what was left out of the table"
        );
        assert!(
            md.contains(&format!("_The details of {} findings", rows - detailed)),
            "and the details left out"
        );
    }
}
