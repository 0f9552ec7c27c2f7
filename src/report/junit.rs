//! `DIR/junit.xml`: the compliance matrix as JUnit XML, for CI systems that show test
//! results (issue 5 §5, "Reports").
//!
//! One `<testsuite name="SERVER">` per target, one `<testcase classname="SERVER"
//! name="REQUIREMENT-ID">` per row of the matrix ([`super::matrix`]): a failing cell is a
//! `<failure>` whose message is the findings' summaries and the quoted rule and whose
//! body names the minimal case, a cell not exercised is `<skipped/>`, a passing cell is
//! an empty test case. The `tests`, `failures`, `errors` and `skipped` attributes count
//! them. Text is escaped for XML 1.0, whose `Char` production (XML 1.0 §2.2) excludes most
//! control characters: those are replaced by U+FFFD.

use std::fmt::Write as _;

use super::distinct::DistinctFinding;
use super::matrix::{Cell, Matrix};
use super::results::Results;
use crate::catalogue::catalogue;

/// Escapes text for XML 1.0 content and attribute values: markup characters as
/// entities, line breaks and tabs in attributes as character references (so they
/// survive attribute-value normalisation), and characters outside `Char` as U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// XML 1.0 §2.2 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF] (a Rust `char` is never a surrogate).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The document.
pub fn render(results: &Results, matrix: &Matrix<'_>) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = matrix.rows().count() * matrix.targets.len();
    let fails: usize = (0..matrix.targets.len())
        .map(|i| matrix.tally(i).fail)
        .sum();
    let skipped: usize = (0..matrix.targets.len())
        .map(|i| matrix.tally(i).skipped())
        .sum();
    let _ = writeln!(
        x,
        "<testsuites name=\"imapconform\" tests=\"{total}\" failures=\"{fails}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    for (i, target) in matrix.targets.iter().enumerate() {
        let t = matrix.tally(i);
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"{}>",
            escape(target),
            t.total(),
            t.fail,
            t.skipped(),
            if results.finished.is_empty() {
                String::new()
            } else {
                format!(" timestamp=\"{}\"", escape(&results.finished))
            }
        );
        for row in matrix.rows() {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(target),
                escape(&row.requirement.id)
            );
            match &row.cells[i] {
                // A note is never a failure.
                Cell::Pass | Cell::Note(_) => x.push_str("/>\n"),
                Cell::NotExercised | Cell::NotChecked => {
                    let _ = writeln!(
                        x,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&row.notes[i])
                    );
                }
                Cell::Fail(ids) => {
                    let found: Vec<&DistinctFinding> = ids
                        .iter()
                        .filter_map(|id| results.distinct.iter().find(|d| &d.id == id))
                        .collect();
                    let _ = writeln!(
                        x,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(&failure_message(&found, &row.requirement.id)),
                        found.iter().map(|d| d.kind).max().map_or("violation", |k| k.as_str()),
                        escape(&failure_body(&found))
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// The summaries of the findings, the rule quoted, and the first minimal case.
fn failure_message(found: &[&DistinctFinding], rule: &str) -> String {
    let summaries: Vec<&str> = found.iter().map(|d| d.summary.as_str()).collect();
    let mut m = summaries.join("; ");
    if let Some(q) = catalogue().cite(rule) {
        m.push_str(" — ");
        m.push_str(&q);
    }
    if let Some(min) = found.iter().find_map(|d| d.minimal.as_ref()) {
        m.push_str(" — minimal case: ");
        m.push_str(&min.case);
    }
    m
}

/// Per finding: its id, kind, count, and the case that shows it (the minimal one if
/// there is one).
fn failure_body(found: &[&DistinctFinding]) -> String {
    let mut b = String::new();
    for d in found {
        let _ = writeln!(
            b,
            "{} {} ({} findings, {}): {}",
            d.id,
            d.kind.as_str(),
            d.count,
            d.verification.label(),
            d.summary
        );
        match (&d.minimal, d.examples.first()) {
            (Some(m), _) => {
                let _ = writeln!(b, "minimal case: {}", m.case);
            }
            (None, Some(e)) => {
                let _ = writeln!(b, "case: {}", e.case);
            }
            (None, None) => {}
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::judge::Kind;
    use crate::report::distinct::{dedup, Minimal};
    use crate::report::results::{TargetRun, FORMAT};
    use crate::report::Finding;

    #[test]
    fn control_characters_are_replaced_and_markup_escaped() {
        assert_eq!(
            escape("a<&>\"'\u{0}\u{1b}\u{FFFE}\n"),
            "a&lt;&amp;&gt;&quot;&apos;\u{FFFD}\u{FFFD}\u{FFFD}&#10;"
        );
        assert!(is_xml_char('\u{10000}') && !is_xml_char('\u{B}'));
    }

    #[test]
    fn one_suite_per_server_with_counts_that_match_its_cases() {
        let rule = "2060-9-msg-att";
        let f = Finding {
            id: "1.1.0".into(),
            target: "b".into(),
            targets: vec!["b".into()],
            kind: Kind::Syntax,
            rule: Some(rule.into()),
            quote: None,
            summary: "bad \u{0} msg-att".into(),
            command: "a1 FETCH 1 FLAGS\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            case: "cases/1-b.imap".into(),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: Some(0),
            cause: None,
        };
        let mut distinct = dedup(&[f]);
        distinct[0].minimal = Some(Minimal {
            case: "cases/1-b.min.imap".into(),
            from: "cases/1-b.imap".into(),
            commands_before: 5,
            commands_after: 2,
            bytes_before: 50,
            bytes_after: 20,
            tests: 3,
            millis: 1,
            budget_spent: false,
        });
        let t = |name: &str| TargetRun {
            name: name.into(),
            judges: vec!["syntax".into()],
            commands: [("FETCH".to_string(), 2)].into_iter().collect(),
            ..TargetRun::default()
        };
        let r = Results {
            format: FORMAT,
            profile: "rfc2060".into(),
            targets: vec![t("a"), t("b")],
            distinct,
            ..Results::default()
        };
        let m = Matrix::compute(&r, catalogue());
        let xml = render(&r, &m);
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        let rows = m.rows().count();
        assert_eq!(xml.matches("<testcase ").count(), 2 * rows);
        let tb = m.tally(1);
        assert_eq!(tb.fail, 1);
        assert!(xml.contains(&format!(
            "<testsuite name=\"b\" tests=\"{rows}\" failures=\"1\" errors=\"0\" skipped=\"{}\"",
            tb.skipped()
        )));
        assert_eq!(
            xml.matches("<skipped ").count(),
            m.tally(0).skipped() + tb.skipped()
        );
        assert!(xml.contains(&format!("<testcase classname=\"b\" name=\"{rule}\">\n      <failure message=\"bad \u{FFFD} msg-att — RFC 2060 §9")));
        assert!(
            xml.contains("— minimal case: cases/1-b.min.imap\" type=\"syntax\">"),
            "in the message"
        );
        assert!(
            xml.contains("&#10;minimal case: cases/1-b.min.imap&#10;"),
            "and the body"
        );
        assert!(
            xml.contains(&format!("<testcase classname=\"a\" name=\"{rule}\"/>")),
            "a passes"
        );
        assert!(!xml.contains('\u{0}'));
    }
}
