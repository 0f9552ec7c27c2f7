//! The diff between servers that a report shows for a finding: one script step's server
//! responses in the failing target's case file against the same step in another target's
//! case file (issue 5 §5, "Reports": "the diff between servers").
//!
//! Both files are read with [`Case::parse`]. A file that is missing or cannot be read
//! becomes a note in place of the diff; nothing here panics on a bad file.

use std::path::Path;

use similar::TextDiff;

use super::distinct::Example;
use crate::case::Case;
use crate::wire::escape;

/// The diff of one step between the failing target and one other target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepDiff {
    /// The target the finding's example was made on.
    pub from: String,
    /// The target compared with it.
    pub to: String,
    /// The script step (index into `Transcript::script`).
    pub step: usize,
    /// A unified diff (`-` from, `+` to), empty when both answered alike; or why there is
    /// none (a case file missing or unreadable).
    pub diff: Result<String, String>,
}

/// For `example` (which must have a step), a diff per other target of its session, in
/// the order of `example.cases`. The failing target is the one whose case file is
/// `example.case`; `dir` is the findings directory case paths are relative to.
pub fn step_diffs(dir: &Path, example: &Example) -> Vec<StepDiff> {
    let Some(step) = example.step else {
        return Vec::new();
    };
    let from = example
        .cases
        .iter()
        .find(|(_, c)| **c == example.case)
        .map(|(t, _)| t.clone())
        .unwrap_or_else(|| example.case.clone());
    let from_answers = answers(dir, &example.case, step);
    example
        .cases
        .iter()
        .filter(|(_, c)| **c != example.case)
        .map(|(to, case)| {
            let diff = match (&from_answers, answers(dir, case, step)) {
                (Err(e), _) => Err(e.clone()),
                (_, Err(e)) => Err(e),
                (Ok(a), Ok(b)) => {
                    if *a == b {
                        Ok(String::new())
                    } else {
                        Ok(TextDiff::from_lines(a, &b)
                            .unified_diff()
                            .header(
                                &format!("{from} ({})", example.case),
                                &format!("{to} ({case})"),
                            )
                            .to_string())
                    }
                }
            };
            StepDiff {
                from: from.clone(),
                to: to.clone(),
                step,
                diff,
            }
        })
        .collect()
}

/// The server's responses to script step `step` of case file `dir/case`, one escaped
/// line per CRLF-terminated piece (as a case file shows them), or why they cannot be had.
pub fn answers(dir: &Path, case: &str, step: usize) -> Result<String, String> {
    let path = dir.join(case);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("case file {case} cannot be read: {e}"))?;
    let parsed = Case::parse(&text).map_err(|e| format!("case file {case}: {e}"))?;
    let Some(exchange) = parsed.transcript.script.get(step) else {
        return Ok(format!(
            "<no exchange {step}: the session ended ({}) after {} commands>\n",
            parsed.transcript.end.to_line(),
            parsed.transcript.script.len()
        ));
    };
    let mut out = String::new();
    for m in exchange.responses() {
        let bytes = m.to_bytes();
        for piece in split_crlf(&bytes) {
            out.push_str(&escape(piece));
            out.push('\n');
        }
    }
    if out.is_empty() {
        out.push_str("<no response>\n");
    }
    Ok(out)
}

/// Splits after each CRLF, dropping it; a last piece without CRLF is kept.
fn split_crlf(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(p) => {
                out.push(&rest[..p]);
                rest = &rest[p + 2..];
            }
            None => {
                out.push(rest);
                rest = &[];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::wire::{Exchange, Transcript};

    fn write_case(dir: &Path, name: &str, target: &str, answer: &str) -> String {
        let case = Case {
            header: vec![("target".into(), target.into())],
            transcript: Transcript {
                script: vec![
                    Exchange::from_lines("a1 NOOP", &["a1 OK done"]),
                    Exchange::from_lines("a2 SELECT INBOX", &["* 1 EXISTS", answer]),
                ],
                ..Transcript::default()
            },
        };
        let rel = format!("cases/{name}.imap");
        std::fs::create_dir_all(dir.join("cases")).unwrap();
        std::fs::write(dir.join(&rel), case.to_text()).unwrap();
        rel
    }

    #[test]
    fn the_step_of_each_other_target_is_diffed_against_the_failing_one() {
        let dir = std::env::temp_dir().join(format!("imapconform-compare-{}", std::process::id()));
        let a = write_case(&dir, "a", "a", "a2 OK [READ-WRITE] done");
        let b = write_case(&dir, "b", "b", "a2 NO [TRYCREATE] no");
        let c = write_case(&dir, "c", "c", "a2 OK [READ-WRITE] done");
        let mut cases = BTreeMap::new();
        cases.insert("a".to_string(), a.clone());
        cases.insert("b".to_string(), b);
        cases.insert("c".to_string(), c);
        cases.insert("gone".to_string(), "cases/gone.imap".to_string());
        let ex = Example {
            id: "1.1.0".into(),
            case: a,
            cases,
            command: "a2 SELECT INBOX\\r\\n".into(),
            expected: String::new(),
            observed: String::new(),
            session: 1,
            step: Some(1),
        };
        let d = step_diffs(&dir, &ex);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].from.as_str(), d[0].to.as_str()), ("a", "b"));
        let diff = d[0].diff.as_ref().unwrap();
        assert!(diff.contains("-a2 OK [READ-WRITE] done"), "{diff}");
        assert!(diff.contains("+a2 NO [TRYCREATE] no"), "{diff}");
        assert!(
            !diff.contains("-* 1 EXISTS"),
            "unchanged lines are context: {diff}"
        );
        assert_eq!(d[1].diff, Ok(String::new()), "c answered alike");
        let note = d[2].diff.as_ref().unwrap_err();
        assert!(note.contains("cases/gone.imap cannot be read"), "{note}");
        // A step past the end of the session is a note in the text, not a panic.
        assert!(answers(&dir, &ex.case, 7)
            .unwrap()
            .contains("no exchange 7"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
