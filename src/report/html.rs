//! `DIR/report.html`: one self-contained page for a person (issue 5 §5, "Reports").
//!
//! Inline CSS, no script, no external resource: it reads the same in any browser, offline,
//! and in a text browser. It holds the run's header, the compliance matrix
//! ([`super::matrix`]: servers as columns, sections and requirements as rows, a legend),
//! a section per distinct finding (anchored by its id, which the failing cells link to)
//! with the rule quoted, the minimal case embedded and the diff between servers
//! ([`super::compare`]), and the baseline entries no longer found. Every text is
//! HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::compare::step_diffs;
use super::distinct::{BaselineState, DistinctFinding, Verification};
use super::links::href;
use super::matrix::{Cell, Matrix};
use super::results::Results;
use crate::catalogue::catalogue;
use crate::judge::Kind;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in HTML text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:1.5em;color:#111;max-width:110em}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #999}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.15em .4em;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#eee}
tr.section th{background:#dde4ee}
td.pass{background:#d9f2d9}td.fail{background:#f7c6c6;font-weight:bold}
td.not-exercised{background:#f2f2f2;color:#666}td.not-checked{background:#fafafa;color:#888}
td.note{background:#eef3fb}td.fail a,td.note a{font-weight:bold}
table.glance td.level,table.glance td.finding{font-weight:bold;white-space:nowrap}
ul.glance{columns:2;margin:.3em 0}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.add{color:#060}.del{color:#a00}.hunk{color:#06c}
section.finding{border-top:2px solid #999;margin-top:1.5em}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dl.meta dt{font-weight:bold}
.kind-crash,.kind-timeout,.kind-syntax,.kind-violation{color:#a00}
.kind-divergence{color:#a60}.kind-warning{color:#666}.kind-note{color:#36c}
.note{color:#555;font-style:italic}
";

/// The whole page. `dir` is the findings directory (case files are read from it);
/// `prefix` turns a case path into a link relative to where the page is written
/// ([`super::links::prefix`]).
pub fn render(results: &Results, matrix: &Matrix<'_>, dir: &Path, prefix: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        h,
        "<title>imapconform report: {}</title>",
        escape(&target_names(results).join(", "))
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    h.push_str("<h1>imapconform report</h1>\n");
    glance(&mut h, results, matrix);
    header(&mut h, results);
    matrix_table(&mut h, matrix, results);
    findings(&mut h, results, matrix, dir, prefix);
    fixed(&mut h, results);
    h.push_str("</body>\n</html>\n");
    h
}

fn target_names(results: &Results) -> Vec<String> {
    results.targets.iter().map(|t| t.name.clone()).collect()
}

/// Counts of distinct findings by kind, most severe first: `2 syntax, 1 divergence`.
pub fn kind_counts(distinct: &[DistinctFinding]) -> String {
    let mut by_kind: BTreeMap<Kind, u64> = BTreeMap::new();
    for d in distinct {
        *by_kind.entry(d.kind).or_default() += 1;
    }
    super::describe_counts(&by_kind)
}

/// (new, known) distinct findings: known ones are in the baseline.
pub fn new_known(results: &Results) -> (usize, usize) {
    let new = results.new_findings().count();
    (new, results.distinct.len() - new)
}

fn header(h: &mut String, r: &Results) {
    h.push_str("<h2 id=\"run\">Run</h2>\n<dl class=\"meta\">\n");
    let or_unknown = |s: &str| {
        if s.is_empty() {
            "(not recorded)".to_string()
        } else {
            s.to_string()
        }
    };
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    };
    item("tool", or_unknown(&r.tool));
    item("run", or_unknown(&r.run));
    item("profile", or_unknown(&r.profile));
    item(
        "seed",
        r.seed.map_or("(not recorded)".into(), |s| s.to_string()),
    );
    if !r.shards.is_empty() {
        item("shards", r.shards.join(", "));
    }
    item("finished", or_unknown(&r.finished));
    if r.interrupted {
        item(
            "interrupted",
            "yes: stopped by a signal before its end, findings not verified (`run --resume` continues it)"
                .into(),
        );
    }
    if r.elapsed_secs > 0.0 {
        item("elapsed", format!("{:.1} s", r.elapsed_secs));
    }
    item("targets", target_names(r).join(", "));
    item("findings", r.findings.to_string());
    item(
        "distinct findings",
        format!("{} ({})", r.distinct.len(), kind_counts(&r.distinct)),
    );
    if let Some(b) = &r.baseline {
        let (new, known) = new_known(r);
        item(
            "baseline",
            format!("{b}: {new} new, {known} known, {} fixed", r.fixed.len()),
        );
    }
    h.push_str("</dl>\n");
    if r.targets.is_empty() {
        return;
    }
    h.push_str("<table>\n<thead><tr><th>target</th><th>sessions</th><th>commands sent</th><th>judges</th><th>oracle judged</th><th>note</th></tr></thead>\n<tbody>\n");
    for t in &r.targets {
        let sent: u64 = t.commands.values().sum();
        let judges = if t.judges.is_empty() {
            "(not recorded)".to_string()
        } else {
            t.judges.join(", ")
        };
        let mut note = Vec::new();
        if t.model {
            note.push("serves the model".to_string());
        }
        if let Some(e) = &t.setup_error {
            note.push(format!("dropped: {e}"));
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{sent}</td><td>{}</td><td>{} of {}</td><td>{}</td></tr>",
            escape(&t.name),
            t.sessions,
            escape(&judges),
            t.oracle_judged,
            t.oracle_total,
            escape(&note.join("; "))
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Whether a distinct finding is a failure of its server: not a note, not a divergence.
fn is_failure(d: &DistinctFinding) -> bool {
    !matches!(d.kind, Kind::Note | Kind::Divergence)
}

/// The requirement's level (`MUST`, `SHOULD`, `DEFINITION (value)`, ...), or `—` for a finding that cites none
/// (a crash, a timeout).
fn level(d: &DistinctFinding) -> String {
    d.rule
        .as_deref()
        .and_then(|r| catalogue().get(r))
        .map_or_else(|| "—".to_string(), |r| r.level_label())
}

/// At most `n` characters of a one-line text.
fn one_line(s: &str, n: usize) -> String {
    let flat: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if flat.chars().count() <= n {
        flat
    } else {
        flat.chars().take(n).collect::<String>() + "…"
    }
}

/// The failed requirements of server `name`: per requirement (or per kind, for findings
/// that cite none: a crash, a timeout) its distinct findings, worst first, in order of
/// their worst.
fn failed_requirements<'r>(r: &'r Results, name: &str) -> Vec<Vec<&'r DistinctFinding>> {
    let mut failed: Vec<&DistinctFinding> = r
        .distinct
        .iter()
        .filter(|d| is_failure(d) && d.targets.iter().any(|t| t == name))
        .collect();
    failed.sort_by_key(|d| std::cmp::Reverse(d.kind));
    let mut rows: Vec<(String, Vec<&DistinctFinding>)> = Vec::new();
    for d in failed {
        let key = d
            .rule
            .clone()
            .unwrap_or_else(|| format!("({})", d.kind.as_str()));
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(d),
            None => rows.push((key, vec![d])),
        }
    }
    rows.into_iter().map(|(_, v)| v).collect()
}

/// The first screen: per server, each failed requirement with its level and a one-line
/// reason (the summary of its worst finding), worst first, linked to the finding and its
/// row, with how many more distinct findings break it; then how many divergences and
/// notes there are (not failures). Findings that cite no requirement (a crash, a
/// timeout) are grouped by kind.
fn glance(h: &mut String, r: &Results, m: &Matrix<'_>) {
    h.push_str("<h2 id=\"failed\">Failed requirements by server</h2>\n");
    let in_matrix = |rule: &str| m.rows().any(|row| row.requirement.id == rule);
    let per_server: Vec<(String, Vec<Vec<&DistinctFinding>>)> = r
        .targets
        .iter()
        .map(|t| (t.name.clone(), failed_requirements(r, &t.name)))
        .collect();
    // One line per server first, so that every server shows on the first screen.
    h.push_str("<ul id=\"servers-at-a-glance\" class=\"glance\">\n");
    for (name, rows) in &per_server {
        // Levels in the order of the rows: that of their worst finding.
        let mut levels: Vec<(String, usize)> = Vec::new();
        for found in rows {
            let l = level(found[0]);
            match levels.iter_mut().find(|(k, _)| *k == l) {
                Some((_, n)) => *n += 1,
                None => levels.push((l, 1)),
            }
        }
        let what = if rows.is_empty() {
            "no failed requirement".to_string()
        } else {
            let by_level: Vec<String> = levels
                .iter()
                .map(|(l, n)| match l.as_str() {
                    "—" => format!("{n} without a requirement"),
                    l => format!("{n} {l}"),
                })
                .collect();
            format!(
                "<a href=\"#failed-{}\">{} failed requirement{}</a> ({})",
                escape(name),
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                escape(&by_level.join(", "))
            )
        };
        let _ = writeln!(h, "<li><b>{}</b>: {what}</li>", escape(name));
    }
    h.push_str("</ul>\n");
    h.push_str("<table id=\"failed-by-server\" class=\"glance\">\n<thead><tr><th>server</th><th>level</th><th>requirement</th><th>finding</th><th>reason</th></tr></thead>\n<tbody>\n");
    for (server, rows) in &per_server {
        let name = escape(server);
        if rows.is_empty() {
            let _ = writeln!(
                h,
                "<tr class=\"server-clean\" data-server=\"{name}\"><th scope=\"row\">{name}</th><td colspan=\"4\">no failed requirement</td></tr>"
            );
        }
        for (k, found) in rows.iter().enumerate() {
            let d = found[0];
            let anchor = if k == 0 {
                format!(" id=\"failed-{name}\"")
            } else {
                String::new()
            };
            let rule = match d.rule.as_deref() {
                Some(rule) if in_matrix(rule) => {
                    format!("<a href=\"#req-{0}\">{0}</a>", escape(rule))
                }
                Some(rule) => escape(rule),
                None => "(none)".into(),
            };
            let more = match found.len() {
                1 => String::new(),
                n => format!(" <span class=\"note\">+{} more</span>", n - 1),
            };
            let _ = writeln!(
                h,
                "<tr class=\"failed\" data-server=\"{name}\"{anchor}><th scope=\"row\">{name}</th><td class=\"level\">{}</td><td>{rule}</td><td class=\"finding\"><a class=\"kind-{kind}\" href=\"#{id}\">{kind}</a>{more}</td><td>{}</td></tr>",
                escape(&level(d)),
                escape(&one_line(&d.summary, 160)),
                kind = d.kind.as_str(),
                id = escape(&d.id),
            );
        }
    }
    h.push_str("</tbody>\n</table>\n");
    let count = |k: Kind| r.distinct.iter().filter(|d| d.kind == k).count();
    let _ = writeln!(
        h,
        "<p>Not failures, listed below: <a href=\"#findings\">{} divergences</a> (servers answered the same script differently) and <a href=\"#notes\">{} notes</a>.</p>",
        count(Kind::Divergence),
        count(Kind::Note)
    );
}

fn matrix_table(h: &mut String, m: &Matrix<'_>, results: &Results) {
    h.push_str("<h2 id=\"matrix\">Compliance matrix</h2>\n");
    h.push_str(
        "<div>Legend: <table class=\"legend\"><tr>\
         <td class=\"pass\">pass</td><td>checked by a judge that ran on this server, and the requirement was exercised; nothing found</td></tr>\
         <tr><td class=\"fail\">violation, warning, ...</td><td>a finding shows this server breaking it: its kind (the link goes to the finding) and its reason</td></tr>\
         <tr><td class=\"note\">note</td><td>a note cites it for this server: information, never a failure</td></tr>\
         <tr><td class=\"not-checked\">not checked</td><td>no judge that ran on this server checks it (hover for why)</td></tr>\
         <tr><td class=\"not-exercised\">not exercised</td><td>its judge ran, but no command it concerns was sent to this server</td></tr></table></div>\n",
    );
    h.push_str("<table id=\"compliance-matrix\" class=\"matrix\">\n<thead><tr><th>requirement</th><th>level</th>");
    for t in &m.targets {
        let _ = write!(h, "<th class=\"server\" scope=\"col\">{}</th>", escape(t));
    }
    h.push_str("</tr>\n");
    h.push_str("<tr><th>pass / fail / note / not checked / not exercised</th><th></th>");
    for i in 0..m.targets.len() {
        let t = m.tally(i);
        let _ = write!(
            h,
            "<th class=\"tally\">{} / {} / {} / {} / {}</th>",
            t.pass, t.fail, t.note, t.not_checked, t.not_exercised
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let cols = m.targets.len() + 2;
    for s in &m.sections {
        let _ = writeln!(
            h,
            "<tr class=\"section\"><th colspan=\"{cols}\">RFC {} §{} {}</th></tr>",
            s.rfc,
            escape(s.section),
            escape(s.title)
        );
        for row in &s.rows {
            let r = row.requirement;
            let _ = write!(
                h,
                "<tr id=\"req-{id}\" class=\"requirement\"><th scope=\"row\" title=\"{quote}\"><a href=\"#req-{id}\">{id}</a></th><td>{level}</td>",
                id = escape(&r.id),
                quote = escape(&r.quote),
                level = escape(&r.level_label())
            );
            for (cell, note) in row.cells.iter().zip(&row.notes) {
                let _ = write!(
                    h,
                    "<td class=\"{}\" title=\"{}\">",
                    cell.label(),
                    escape(note)
                );
                match cell {
                    Cell::Pass => h.push_str("pass"),
                    Cell::NotExercised => h.push_str("not exercised"),
                    Cell::NotChecked => h.push_str("not checked"),
                    Cell::Fail(ids) | Cell::Note(ids) => {
                        // Severity and reason: `violation: Mailutils ...`.
                        let lines: Vec<String> = ids
                            .iter()
                            .map(|id| {
                                let found = results.distinct.iter().find(|d| &d.id == id);
                                let kind = found.map_or("fail", |d| d.kind.as_str());
                                let why = found
                                    .map(|d| escape(&one_line(&d.summary, 90)))
                                    .unwrap_or_default();
                                format!("<a href=\"#{}\">{kind}</a>: {why}", escape(id))
                            })
                            .collect();
                        h.push_str(&lines.join("<br>"));
                    }
                }
                h.push_str("</td>");
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</tbody>\n</table>\n");
}

/// The distinct findings, then the notes apart: a note is not a failure.
fn findings(h: &mut String, r: &Results, m: &Matrix<'_>, dir: &Path, prefix: &str) {
    let (notes, found): (Vec<&DistinctFinding>, Vec<&DistinctFinding>) =
        r.distinct.iter().partition(|d| d.kind == Kind::Note);
    let in_matrix = |rule: &str| m.rows().any(|row| row.requirement.id == rule);
    let _ = writeln!(
        h,
        "<h2 id=\"findings\">Distinct findings ({})</h2>",
        found.len()
    );
    if found.is_empty() {
        h.push_str("<p>None.</p>\n");
    }
    for d in found {
        finding(h, d, dir, prefix, &in_matrix);
    }
    let _ = writeln!(
        h,
        "<h2 id=\"notes\">Notes ({})</h2>\n<p class=\"note\">Information about a server that breaks no requirement: never a failure.</p>",
        notes.len()
    );
    for d in notes {
        finding(h, d, dir, prefix, &in_matrix);
    }
}

/// Verification and its detail: `flaky (1 of 2 replays)`.
pub fn verification(v: &Verification) -> String {
    match v {
        Verification::Flaky(why) => format!("flaky ({why})"),
        v => v.label().to_string(),
    }
}

/// `new`, `known (reason)`, or empty without a baseline.
pub fn baseline_state(b: &Option<BaselineState>) -> String {
    match b {
        None => String::new(),
        Some(BaselineState::New) => "new".into(),
        Some(BaselineState::Known(why)) => format!("known ({why})"),
    }
}

/// The rule quoted: the finding's own quote, or the catalogue's citation of its rule.
pub fn quote(d: &DistinctFinding) -> Option<String> {
    d.quote
        .clone()
        .or_else(|| d.rule.as_deref().and_then(|r| catalogue().cite(r)))
}

/// A link to a case file when it exists under `dir`, else its path with a note.
fn case_link(dir: &Path, prefix: &str, case: &str) -> String {
    if case.is_empty() {
        return "<span class=\"note\">(no case file)</span>".into();
    }
    if dir.join(case).is_file() {
        format!(
            "<a href=\"{}\">{}</a>",
            escape(&href(prefix, case)),
            escape(case)
        )
    } else {
        format!(
            "<code>{}</code> <span class=\"note\">(file missing)</span>",
            escape(case)
        )
    }
}

/// A unified diff in a `<pre>`, its added and removed lines marked.
fn diff_pre(diff: &str) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for line in diff.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            ""
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with("@@") {
            "hunk"
        } else {
            ""
        };
        if class.is_empty() {
            let _ = writeln!(out, "{}", escape(line));
        } else {
            let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape(line));
        }
    }
    out.push_str("</pre>");
    out
}

fn finding(
    h: &mut String,
    d: &DistinctFinding,
    dir: &Path,
    prefix: &str,
    in_matrix: &dyn Fn(&str) -> bool,
) {
    let _ = writeln!(
        h,
        "<section class=\"finding\" id=\"{id}\">\n<h3><span class=\"kind-{kind}\">{kind}</span> {id}: {summary}</h3>",
        id = escape(&d.id),
        kind = d.kind.as_str(),
        summary = escape(&d.summary)
    );
    h.push_str("<dl class=\"meta\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    item("kind", escape(d.kind.as_str()));
    item("targets", escape(&d.targets.join(", ")));
    item("command", escape(&d.signature.command));
    item("count", d.count.to_string());
    item("verification", escape(&verification(&d.verification)));
    let b = baseline_state(&d.baseline);
    if !b.is_empty() {
        item("baseline", escape(&b));
    }
    if let Some(rule) = &d.rule {
        let v = if in_matrix(rule) {
            format!("<a href=\"#req-{0}\">{0}</a>", escape(rule))
        } else {
            escape(rule)
        };
        item("rule", v);
    }
    h.push_str("</dl>\n");
    if let Some(q) = quote(d) {
        let _ = writeln!(h, "<blockquote>{}</blockquote>", escape(&q));
    }
    let first = d.examples.first();
    if let Some(e) = first {
        if !e.command.is_empty() {
            let _ = writeln!(h, "<p>Command:</p><pre>{}</pre>", escape(&e.command));
        }
        if !e.expected.is_empty() {
            let _ = writeln!(h, "<p>Expected:</p><pre>{}</pre>", escape(&e.expected));
        }
        if d.kind == Kind::Divergence {
            let _ = writeln!(
                h,
                "<p>Observed (the judge's diff of the normalised answers):</p>{}",
                diff_pre(&e.observed)
            );
        } else if !e.observed.is_empty() {
            let _ = writeln!(h, "<p>Observed:</p><pre>{}</pre>", escape(&e.observed));
        }
    }
    match &d.minimal {
        Some(min) => {
            let _ = writeln!(
                h,
                "<h4>Minimal case</h4>\n<p>{} ({} of {} commands, {} of {} bytes; from {})</p>",
                case_link(dir, prefix, &min.case),
                min.commands_after,
                min.commands_before,
                min.bytes_after,
                min.bytes_before,
                case_link(dir, prefix, &min.from)
            );
            match std::fs::read_to_string(dir.join(&min.case)) {
                Ok(text) => {
                    let _ = writeln!(h, "<pre class=\"case\">{}</pre>", escape(&text));
                }
                Err(e) => {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">The minimal case cannot be read: {}</p>",
                        escape(&e.to_string())
                    );
                }
            }
        }
        None => {
            if let Some(e) = first {
                let _ = writeln!(
                    h,
                    "<p>Case: {} <span class=\"note\">(not minimised)</span></p>",
                    case_link(dir, prefix, &e.case)
                );
            }
        }
    }
    if d.examples.len() > 1 {
        h.push_str("<p>Examples:</p>\n<ul>\n");
        for e in &d.examples {
            let _ = writeln!(
                h,
                "<li>finding {} (session {}): {}</li>",
                escape(&e.id),
                e.session,
                case_link(dir, prefix, &e.case)
            );
        }
        h.push_str("</ul>\n");
    }
    servers_diff(h, d, dir);
    h.push_str("</section>\n");
}

/// The diff between servers for the first example with a step.
fn servers_diff(h: &mut String, d: &DistinctFinding, dir: &Path) {
    let Some(e) = d.examples.iter().find(|e| e.step.is_some()) else {
        return;
    };
    let diffs = step_diffs(dir, e);
    if diffs.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h4>Diff between servers</h4>\n<p>The answers to script step {} of finding {}, on {} and on each other server of its session.</p>",
        diffs[0].step,
        escape(&e.id),
        escape(&diffs[0].from)
    );
    for s in &diffs {
        let _ = writeln!(h, "<p>{} against {}:</p>", escape(&s.from), escape(&s.to));
        match &s.diff {
            Ok(diff) if diff.is_empty() => {
                h.push_str("<p class=\"note\">The same answers.</p>\n");
            }
            Ok(diff) => {
                h.push_str(&diff_pre(diff));
                h.push('\n');
            }
            Err(note) => {
                let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(note));
            }
        }
    }
}

fn fixed(h: &mut String, r: &Results) {
    let _ = writeln!(h, "<h2 id=\"fixed\">Fixed ({})</h2>", r.fixed.len());
    if r.fixed.is_empty() {
        let what = if r.baseline.is_some() {
            "No baseline entry is gone."
        } else {
            "No baseline was used."
        };
        let _ = writeln!(h, "<p>{what}</p>");
        return;
    }
    h.push_str("<table>\n<thead><tr><th>id</th><th>kind</th><th>targets</th><th>rule</th><th>summary</th><th>baseline reason</th><th>how</th></tr></thead>\n<tbody>\n");
    for f in &r.fixed {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.id),
            f.kind.as_str(),
            escape(&f.targets.join(", ")),
            escape(f.rule.as_deref().unwrap_or("")),
            escape(&f.summary),
            escape(&f.reason),
            escape(&f.how)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::distinct::dedup;
    use crate::report::results::{TargetRun, FORMAT};
    use crate::report::Finding;

    fn results() -> Results {
        let f = Finding {
            id: "1.1.0".into(),
            target: "a<b".into(),
            targets: vec!["a<b".into()],
            kind: Kind::Syntax,
            rule: Some("2060-9-msg-att".into()),
            quote: None,
            summary: "bad <msg-att> & \u{1}".into(),
            command: "a1 FETCH 1 FLAGS\\r\\n".into(),
            expected: "msg-att".into(),
            observed: "* 1 FETCH (FLAGS <x>)".into(),
            case: "cases/none.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: None,
            cause: None,
        };
        Results {
            format: FORMAT,
            profile: "rfc2060".into(),
            targets: vec![TargetRun {
                name: "a<b".into(),
                judges: vec!["syntax".into()],
                commands: [("FETCH".to_string(), 1)].into_iter().collect(),
                ..TargetRun::default()
            }],
            distinct: dedup(&[f]),
            ..Results::default()
        }
    }

    #[test]
    fn the_first_screen_lists_each_servers_failed_requirements_with_level_and_reason() {
        let mut r = results();
        r.targets.push(TargetRun {
            name: "clean".into(),
            ..TargetRun::default()
        });
        let m = Matrix::compute(&r, catalogue());
        let html = render(&r, &m, Path::new("/nonexistent"), "");
        let glance = html.find("id=\"failed-by-server\"").unwrap();
        assert!(glance < html.find("id=\"compliance-matrix\"").unwrap());
        assert!(
            glance < html.find("<dl class=\"meta\">").unwrap(),
            "before the run's details"
        );
        let level = catalogue().get("2060-9-msg-att").unwrap().level_label();
        assert!(
            html.contains(&format!(
                "<tr class=\"failed\" data-server=\"a&lt;b\" id=\"failed-a&lt;b\"><th scope=\"row\">a&lt;b</th><td class=\"level\">{level}</td><td><a href=\"#req-2060-9-msg-att\">2060-9-msg-att</a></td>"
            )),
            "{html}"
        );
        assert!(html.contains("no failed requirement"));
        // Every server on one line above the table, linked to its rows.
        assert!(html.contains(&format!(
            "<li><b>a&lt;b</b>: <a href=\"#failed-a&lt;b\">1 failed requirement</a> (1 {level})</li>"
        )));
        assert!(html.contains("<li><b>clean</b>: no failed requirement</li>"));
    }

    #[test]
    fn notes_are_shown_apart_from_failures_and_never_in_a_failing_cell() {
        let mut r = results();
        r.distinct[0].kind = Kind::Note;
        let m = Matrix::compute(&r, catalogue());
        let html = render(&r, &m, Path::new("/nonexistent"), "");
        let id = &r.distinct[0].id;
        assert!(!html.contains("<td class=\"fail\" title="), "{html}");
        assert!(html.contains(&format!("<td class=\"note\" title=\"{id}")));
        let notes = html.find("<h2 id=\"notes\">Notes (1)</h2>").unwrap();
        let section = html
            .find(&format!("<section class=\"finding\" id=\"{id}\">"))
            .unwrap();
        assert!(section > notes, "the note is under Notes");
        assert!(html.contains("<h2 id=\"findings\">Distinct findings (0)</h2>"));
        assert!(
            html.contains("no failed requirement"),
            "a note is not a failed requirement"
        );
    }

    #[test]
    fn every_text_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"\u{7}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\u{FFFD}"
        );
        let r = results();
        let m = Matrix::compute(&r, catalogue());
        let html = render(&r, &m, Path::new("/nonexistent"), "");
        assert!(!html.contains("a<b"), "a target name is escaped");
        assert!(html.contains("a&lt;b"));
        assert!(html.contains("bad &lt;msg-att&gt; &amp; \u{FFFD}"));
        assert!(!html.contains('\u{1}'));
    }

    #[test]
    fn a_failing_cell_links_to_its_finding_and_a_missing_case_is_a_note() {
        let r = results();
        let m = Matrix::compute(&r, catalogue());
        let html = render(&r, &m, Path::new("/nonexistent"), "");
        let id = &r.distinct[0].id;
        // The cell shows the severity and the reason, not the id.
        assert!(
            html.contains(&format!(
                "<td class=\"fail\" title=\"{id} (syntax): bad &lt;msg-att&gt; &amp; \u{FFFD}\"><a href=\"#{id}\">syntax</a>: bad &lt;msg-att&gt; &amp; \u{FFFD}</td>"
            )),
            "{html}"
        );
        assert!(!html.contains(&format!(">fail {id}<")));
        assert!(html.contains(&format!("<section class=\"finding\" id=\"{id}\">")));
        assert!(html.contains("id=\"req-2060-9-msg-att\""));
        assert!(
            html.contains("<a href=\"#req-2060-9-msg-att\">"),
            "the finding links to its rule's row"
        );
        assert!(html.contains("cases/none.imap</code> <span class=\"note\">(file missing)"));
        assert!(!html.contains("<script"), "no script is needed");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external resource"
        );
    }
}
