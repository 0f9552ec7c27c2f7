//! The answers to commands broken on purpose, held to their labels (`gen::mutate`).
//!
//! - [`Expect::Bad`]: RFC 2060 §2.2.2 calls BAD the answer to a "protocol error such as
//!   unrecognized command or command syntax error". NO is a violation (the server calls
//!   a protocol error a failure of a valid command); OK is a warning (the server carried
//!   out a command the grammar does not allow: lenient, not proven harmful).
//! - [`Expect::Refused`]: BAD or NO; OK is a violation.
//! - [`Expect::BadOrNo`]: BAD or NO; OK is a warning.
//! - [`Expect::Answered`]: RFC 2060 §2.2.1, the server "transmits ... a server command
//!   completion result response". A command that got no completion, no untagged BAD and
//!   no BYE while the session went on is a violation. A session that ended there is the
//!   end judge's (timeout or crash).

use crate::gen::mutate::{Expect, Label, Operator};
use crate::wire::{escape, Exchange, Transcript};

use super::{Kind, Verdict};

/// Judges the labelled steps of `t` (`labels`: script step and operator).
pub fn judge_mutations(target: &str, t: &Transcript, labels: &[(usize, Operator)]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for &(step, op) in labels {
        let Some(e) = t.script.get(step) else {
            continue;
        };
        if op
            .unless_advertised()
            .is_some_and(|cap| advertised(t, step, cap))
        {
            // Valid under an extension the server announced.
            continue;
        }
        let label = op.label();
        let status = e.status();
        let later = t.script.len() > step + 1;
        let verdict = |kind: Kind, rule: &str, summary: String, expected: &str| Verdict {
            kind,
            targets: vec![target.to_string()],
            step: Some(step),
            rule: Some(rule.to_string()),
            summary,
            expected: expected.to_string(),
            observed: observed(e),
            cause: None,
        };
        let broken = label
            .breaks
            .map(|b| format!(" (breaks {b})"))
            .unwrap_or_default();
        match (label.expect, status.as_deref()) {
            (Expect::Bad, Some("NO")) => out.push(verdict(
                Kind::Violation,
                label.requires,
                format!(
                    "mutation {}: a command syntax error{broken} answered NO, not BAD",
                    op.name()
                ),
                "<tag> BAD ...",
            )),
            (Expect::Bad | Expect::BadOrNo, Some("OK")) => out.push(verdict(
                Kind::Warning,
                label.breaks.unwrap_or(label.requires),
                format!(
                    "mutation {}: a command the grammar does not allow{broken} was carried out (OK)",
                    op.name()
                ),
                "<tag> BAD ...",
            )),
            (Expect::Refused, Some("OK")) => out.push(verdict(
                Kind::Violation,
                label.requires,
                format!(
                    "mutation {}: a command that cannot be carried out as sent{broken} answered OK",
                    op.name()
                ),
                "<tag> BAD ... or <tag> NO ...",
            )),
            (Expect::Answered, None) if later && !answered_otherwise(e) => out.push(verdict(
                Kind::Violation,
                label.requires,
                format!(
                    "mutation {}: no completion result, and the session went on",
                    op.name()
                ),
                "<tag> OK/NO/BAD ..., an untagged BAD, or BYE",
            )),
            _ => {}
        }
    }
    out
}

/// Whether the server announced capability `cap` before script step `step` (RFC 2060
/// §7.2.1 `* CAPABILITY`, RFC 3501 §7.1 `[CAPABILITY ...]`).
fn advertised(t: &Transcript, step: usize, cap: &str) -> bool {
    let messages = t
        .greeting
        .iter()
        .chain(t.setup.iter().flat_map(|e| e.responses()))
        .chain(t.script.iter().take(step).flat_map(|e| e.responses()));
    let mut last = None;
    for m in messages {
        if let Some(caps) = crate::drive::capabilities_in(m.first_line()) {
            last = Some(caps);
        }
    }
    last.is_some_and(|caps| caps.iter().any(|c| c.eq_ignore_ascii_case(cap)))
}

/// The labels of a script's mutated commands, by step.
pub fn labels_of(commands: &[crate::gen::Command]) -> Vec<(usize, Operator)> {
    commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.mutation.map(|op| (i, op)))
        .collect()
}

/// `3:literal-short 9:nul`: the labels as a case file header value.
pub fn format_labels(labels: &[(usize, Operator)]) -> String {
    labels
        .iter()
        .map(|(step, op)| format!("{step}:{}", op.name()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads [`format_labels`] back; the error names the item it cannot read.
pub fn parse_labels(text: &str) -> Result<Vec<(usize, Operator)>, String> {
    text.split_whitespace()
        .map(|item| {
            let (step, name) = item
                .split_once(':')
                .ok_or_else(|| format!("mutation label {item:?} is not STEP:OPERATOR"))?;
            let step = step
                .parse()
                .map_err(|_| format!("mutation label {item:?}: {step:?} is not a step number"))?;
            let op = Operator::from_name(name).ok_or_else(|| {
                format!("mutation label {item:?}: no operator is called {name:?}")
            })?;
            Ok((step, op))
        })
        .collect()
}

/// An untagged BAD (the command could not be told apart, RFC 2060 §7.1.3) or BYE.
fn answered_otherwise(e: &Exchange) -> bool {
    e.responses().any(|m| {
        let l = m.first_line().to_ascii_uppercase();
        l.starts_with(b"* BAD") || l.starts_with(b"* BYE")
    })
}

fn observed(e: &Exchange) -> String {
    let mut out = String::new();
    for m in e.responses() {
        out.push_str(&escape(m.first_line()));
        out.push('\n');
    }
    out
}

/// What a label says, for reports: `literal-short: BAD required by 2060-2.2.2-ok-no-bad
/// (breaks 2060-9-literal)`.
pub fn describe(label: &Label) -> String {
    let expect = match label.expect {
        Expect::Bad => "BAD",
        Expect::Refused | Expect::BadOrNo => "BAD or NO",
        Expect::Answered => "a completion",
    };
    let breaks = label
        .breaks
        .map(|b| format!(" (breaks {b})"))
        .unwrap_or_default();
    format!(
        "{}: {expect} required by {}{breaks}",
        label.operator.name(),
        label.requires
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(command: &str, responses: &[&str]) -> Transcript {
        Transcript {
            script: vec![
                Exchange::from_lines(command, responses),
                Exchange::from_lines("a9 NOOP", &["a9 OK done"]),
            ],
            ..Transcript::default()
        }
    }

    #[test]
    fn a_syntax_error_answered_bad_passes_rfc2060_2_2_2() {
        let t = transcript("a1 ZYZZYVA", &["a1 BAD unknown command"]);
        assert!(judge_mutations("s", &t, &[(0, Operator::UnknownCommand)]).is_empty());
    }

    #[test]
    fn a_syntax_error_answered_no_is_a_violation_rfc2060_2_2_2() {
        let t = transcript("a1 ZYZZYVA", &["a1 NO what?"]);
        let v = judge_mutations("s", &t, &[(0, Operator::UnknownCommand)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some("2060-2.2.2-ok-no-bad"));
    }

    #[test]
    fn a_syntax_error_carried_out_is_only_a_warning() {
        let t = transcript(
            "a1 STATUS \"IN\\BOX\" (MESSAGES)",
            &["* STATUS INBOX (MESSAGES 0)", "a1 OK"],
        );
        let v = judge_mutations("s", &t, &[(0, Operator::BadEscape)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Warning);
        assert_eq!(v[0].rule.as_deref(), Some("2060-9-quoted-char"));
    }

    #[test]
    fn a_refusal_may_be_no_but_never_ok() {
        let no = transcript("a1 FETCH 4294967296 FLAGS", &["a1 NO no such message"]);
        assert!(judge_mutations("s", &no, &[(0, Operator::HugeNumber)]).is_empty());
        let ok = transcript("a1 STATUS \"INBOX.café\" (MESSAGES)", &["a1 OK"]);
        let v = judge_mutations("s", &ok, &[(0, Operator::EightBit)]);
        assert_eq!(v[0].kind, Kind::Violation);
        // The 32-bit limit is a grammar comment: carrying it out is only doubtful.
        let ok = transcript("a1 FETCH 4294967296 FLAGS", &["a1 OK"]);
        let v = judge_mutations("s", &ok, &[(0, Operator::HugeNumber)]);
        assert_eq!(v[0].kind, Kind::Warning);
    }

    #[test]
    fn a_command_left_unanswered_while_the_session_went_on_is_a_violation_rfc2060_2_2_1() {
        let mut t = transcript("a1 NOOP", &[]);
        t.script[0].events.truncate(1);
        let v = judge_mutations("s", &t, &[(0, Operator::BareLf)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule.as_deref(), Some("2060-2.2.1-completion-result"));
        // An untagged BAD answers a command the server could not tell apart.
        let t = transcript("a1 NOOP", &["* BAD line ends in LF"]);
        assert!(judge_mutations("s", &t, &[(0, Operator::BareLf)]).is_empty());
        // The last step: the end judge reports the timeout or the drop.
        let mut t = transcript("a1 NOOP", &[]);
        t.script.truncate(1);
        t.script[0].events.truncate(1);
        assert!(judge_mutations("s", &t, &[(0, Operator::BareLf)]).is_empty());
    }

    #[test]
    fn labels_survive_the_case_header() {
        let labels = vec![(3, Operator::LiteralShort), (9, Operator::Nul)];
        let text = format_labels(&labels);
        assert_eq!(text, "3:literal-short 9:nul");
        assert_eq!(parse_labels(&text).unwrap(), labels);
        assert!(parse_labels("3:frobnicate")
            .unwrap_err()
            .contains("no operator"));
        assert!(parse_labels("x:nul").unwrap_err().contains("step number"));
    }

    #[test]
    fn labels_are_described_with_their_rules() {
        let d = describe(&Operator::LiteralShort.label());
        assert_eq!(
            d,
            "literal-short: BAD required by 2060-2.2.2-ok-no-bad (breaks 2060-9-literal)"
        );
    }
}
