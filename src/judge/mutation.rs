//! The answers to commands broken on purpose (`gen::mutate`), judged only on what a server
//! owes a malformed command.
//!
//! A malformed command may be answered NO, BAD, or carried out leniently: RFC 2060 §2.2.2
//! ("There are three possible server completion responses: OK ..., NO ..., or BAD
//! (indicating protocol error such as unrecognized command or command syntax error)")
//! describes the completions and requires BAD of no case, and the grammar rules the
//! commands break bind the client. What a server owes:
//!
//! - an answer: RFC 2060 §2.2.1, the server "transmits ... a server command completion
//!   result response". A command that got no completion under its own tag, no untagged
//!   BAD (§7.1.3, a command that cannot be told apart) and no BYE while the session went
//!   on is a [`Kind::Violation`] of `2060-2.2.1-completion-result`. A session that ended
//!   there is the end judge's (timeout or crash).
//! - no desynchronisation: the next command is answered under its own tag. A server that
//!   never answers it stops the session (the end judge's timeout). One that answers a
//!   piece of the mutated command as a command of its own (a tagged response, in the
//!   mutated exchange or the next, under a tag that is neither) is a [`Kind::Note`]: the
//!   next command was still answered, and RFC 2060 does not say where a server resumes
//!   reading after a syntax error.
//! - grammatical output: `judge::syntax`, as for every response.
//!
//! A lenient success (OK to a command outside the grammar) is a [`Kind::Note`] without a
//! rule, one per operator: it never fails a run.

use crate::gen::mutate::{Label, Operator, COMPLETION_RESULT};
use crate::wire::{escape, End, Exchange, Transcript};

use super::{Kind, Verdict};
use crate::model::Profile;

/// Judges the labelled steps of `t` (`labels`: script step and operator) under the
/// rfc2060 profile ([`judge_mutations_in`]).
pub fn judge_mutations(target: &str, t: &Transcript, labels: &[(usize, Operator)]) -> Vec<Verdict> {
    judge_mutations_in(target, t, labels, Profile::Rfc2060)
}

/// Judges the labelled steps of `t` (`labels`: script step and operator); summaries
/// name `profile`'s document.
pub fn judge_mutations_in(
    target: &str,
    t: &Transcript,
    labels: &[(usize, Operator)],
    profile: Profile,
) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
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
        let verdict = |kind: Kind, rule: Option<&str>, summary: String, expected: &str| Verdict {
            kind,
            targets: vec![target.to_string()],
            step: Some(step),
            rule: rule.map(str::to_string),
            summary,
            expected: expected.to_string(),
            observed: observed(e),
            cause: None,
        };
        match status.as_deref() {
            None if later && !answered_otherwise(e) => out.push(verdict(
                Kind::Violation,
                Some(COMPLETION_RESULT),
                format!(
                    "mutation {}: no completion result under the command's tag, and the session went on",
                    op.name()
                ),
                "<tag> OK/NO/BAD ..., an untagged BAD, or BYE",
            )),
            Some("OK") if label.breaks.is_some() => out.push(verdict(
                Kind::Note,
                None,
                format!(
                    "mutation {}: a command that breaks the client's rule {} was carried out leniently (OK), which {doc} allows (as it allows NO or BAD)",
                    op.name(),
                    label.breaks.unwrap_or_default()
                ),
                "<tag> OK, NO or BAD ...",
            )),
            _ => {}
        }
        if let Some(v) = stray_completion(target, t, step, op) {
            out.push(v);
        }
    }
    out
}

/// A tagged status response, after the mutated command at `step`, under a tag that is
/// neither the mutated command's (in its own exchange) nor the next command's (in the
/// next exchange), nor, for `{n+}` sent without LITERAL+, the tag of the command line its
/// literal holds: the server read a piece of the mutated command as a command of its own.
/// A note while the next command was still answered under its own tag; a violation of
/// RFC 2060 §2.2.1 when the next command then got no completion and the session ended
/// waiting for it (the server lost the command boundary).
fn stray_completion(target: &str, t: &Transcript, step: usize, op: Operator) -> Option<Verdict> {
    let e = t.script.get(step)?;
    let own = e.command().tag().to_vec();
    let inner = crate::wire::non_sync_literal_tag(&e.command());
    let next = t.script.get(step + 1);
    // The words that begin a line or a fragment (a literal, or the rest of a line after
    // one) of the mutated command: a tag the client never sent at all is the tags
    // judge's.
    let command = e.command();
    let pieces: Vec<&[u8]> = command
        .fragments
        .iter()
        .flat_map(|f| f.bytes().split(|&b| b == b'\n'))
        .filter_map(|l| l.split(|&b| b == b' ' || b == b'\r').next())
        .filter(|w| !w.is_empty())
        .collect();
    let mut stray = Vec::new();
    let exchanges = [Some(e), next];
    for x in exchanges.into_iter().flatten() {
        let allowed = x.command().tag().to_vec();
        for m in x.responses() {
            let Some((tag, _)) = super::tags::tagged_status(m.first_line()) else {
                continue;
            };
            if tag == allowed.as_slice() || inner.as_deref() == Some(tag) || !pieces.contains(&tag)
            {
                continue;
            }
            stray.push(escape(m.first_line()));
        }
    }
    if stray.is_empty() {
        return None;
    }
    let next_lost = next.is_some_and(|n| n.completion().is_none())
        && t.script.len() == step + 2
        && matches!(t.end, End::Timeout(_));
    let (kind, rule, summary) = if next_lost {
        (
            Kind::Violation,
            Some(COMPLETION_RESULT.to_string()),
            format!(
                "mutation {}: desynchronised: the server answered a piece of the mutated command as a command of its own, and the next command got no completion under its own tag",
                op.name()
            ),
        )
    } else {
        (
            Kind::Note,
            None,
            format!(
                "mutation {}: the server answered a piece of the mutated command as a command of its own (the next command was still answered under its own tag)",
                op.name()
            ),
        )
    };
    Some(Verdict {
        kind,
        targets: vec![target.to_string()],
        step: Some(step),
        rule,
        summary,
        expected: format!(
            "responses tagged `{}` (the mutated command), then the next command's tag",
            escape(&own)
        ),
        observed: stray.join("\n"),
        cause: None,
    })
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

/// What a label says, for reports: `literal-short: the client breaks 2060-9-literal; any
/// completion (OK, NO or BAD) is fair`.
pub fn describe(label: &Label) -> String {
    let breaks = label
        .breaks
        .map(|b| format!("the client breaks {b}"))
        .unwrap_or_else(|| "a limit the grammar does not set".into());
    format!(
        "{}: {breaks}; any completion (OK, NO or BAD) is fair",
        label.operator.name()
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

    fn kinds(v: &[Verdict]) -> Vec<Kind> {
        v.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn an_unknown_command_may_be_answered_bad_or_no_rfc2060_2_2_2_requires_bad_of_no_case() {
        for answer in [
            "a1 BAD unknown command",
            "a1 NO Error in IMAP command received by server.",
        ] {
            let t = transcript("a1 ZYZZYVA", &[answer]);
            assert!(
                judge_mutations("s", &t, &[(0, Operator::UnknownCommand)]).is_empty(),
                "{answer}"
            );
        }
    }

    #[test]
    fn a_malformed_command_carried_out_leniently_is_only_a_note_without_a_rule() {
        let t = transcript(
            "a1 STATUS \"IN\\BOX\" (MESSAGES)",
            &["* STATUS INBOX (MESSAGES 0)", "a1 OK"],
        );
        let v = judge_mutations("s", &t, &[(0, Operator::BadEscape)]);
        assert_eq!(kinds(&v), [Kind::Note]);
        assert_eq!(
            v[0].rule, None,
            "client grammar rules are never cited against a server"
        );
        assert!(
            v[0].summary.contains("2060-9-quoted-char"),
            "{}",
            v[0].summary
        );
        assert!(!v[0].kind.fails(Kind::Note));
        for (profile, doc, other) in [
            (Profile::Rfc2060, "which RFC 2060 allows", "RFC 3501"),
            (Profile::Rfc3501, "which RFC 3501 allows", "RFC 2060"),
        ] {
            let v = judge_mutations_in("s", &t, &[(0, Operator::BadEscape)], profile);
            assert!(v[0].summary.contains(doc), "{}", v[0].summary);
            assert!(!v[0].summary.contains(other), "{}", v[0].summary);
        }
    }

    #[test]
    fn no_answer_to_a_malformed_command_fails_under_the_grammar_for_none() {
        for op in Operator::ALL {
            for answer in ["a1 OK", "a1 NO nope", "a1 BAD nope"] {
                let t = transcript("a1 X", &[answer]);
                let v = judge_mutations("s", &t, &[(0, op)]);
                assert!(
                    v.iter().all(|v| v.kind == Kind::Note && v.rule.is_none()),
                    "{op:?} answered {answer}: {v:?}"
                );
            }
        }
    }

    #[test]
    fn a_command_left_unanswered_while_the_session_went_on_is_a_violation_rfc2060_2_2_1() {
        let mut t = transcript("a1 NOOP", &[]);
        t.script[0].events.truncate(1);
        let v = judge_mutations("s", &t, &[(0, Operator::BareLf)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some("2060-2.2.1-completion-result"));
        // Whatever the defect.
        let mut t = transcript("a1 STATUS \"x\0y\" (MESSAGES)", &[]);
        t.script[0].events.truncate(1);
        let v = judge_mutations("s", &t, &[(0, Operator::Nul)]);
        assert_eq!(kinds(&v), [Kind::Violation]);
        // An untagged BAD answers a command the server could not tell apart.
        let t = transcript("a1 NOOP", &["* BAD line ends in LF"]);
        assert!(judge_mutations("s", &t, &[(0, Operator::BareLf)]).is_empty());
        // The last step: the end judge reports the timeout or the drop.
        let mut t = transcript("a1 NOOP", &[]);
        t.script.truncate(1);
        t.script[0].events.truncate(1);
        assert!(judge_mutations("s", &t, &[(0, Operator::BareLf)]).is_empty());
    }

    /// `a1 STATUS {17}`, the literal `INBOX.imapconform`, then `x (MESSAGES)`, answered
    /// with `responses`.
    fn literal_short(responses: &[&str]) -> Exchange {
        let bytes = [7u8; 64];
        let cmd = Operator::LiteralShort.write(
            &mut arbitrary::Unstructured::new(&bytes),
            "a1",
            "INBOX",
            "INBOX.",
        );
        let mut events = vec![crate::wire::Event::Client(cmd)];
        events.extend(
            responses
                .iter()
                .map(|r| crate::wire::Event::Server(crate::wire::Message::line(r))),
        );
        Exchange { events }
    }

    #[test]
    fn a_piece_of_the_mutated_command_answered_as_a_command_is_a_note() {
        let t = Transcript {
            script: vec![
                literal_short(&["+ OK", "a1 BAD literal"]),
                Exchange::from_lines("a2 NOOP", &["x BAD unknown command", "a2 OK done"]),
            ],
            ..Transcript::default()
        };
        let v = judge_mutations("s", &t, &[(0, Operator::LiteralShort)]);
        assert_eq!(kinds(&v), [Kind::Note]);
        assert!(v[0].observed.contains("x BAD"), "{}", v[0].observed);
        // The same, and then the next command never answered: the command boundary is
        // lost (RFC 2060 §2.2.1).
        let mut lost = t.clone();
        lost.script[1] = Exchange::from_lines("a2 NOOP", &["x BAD unknown command"]);
        lost.end = End::Timeout("a2 NOOP".into());
        let v = judge_mutations("s", &lost, &[(0, Operator::LiteralShort)]);
        assert_eq!(kinds(&v), [Kind::Violation]);
        assert_eq!(v[0].rule.as_deref(), Some(COMPLETION_RESULT));
        assert!(v[0].summary.contains("desynchronised"), "{}", v[0].summary);
        // The next command's own completion and untagged responses are not stray.
        let mut t = transcript("a1 X", &[]);
        t.script[0] = literal_short(&["+ OK", "a1 BAD literal"]);
        t.script[1] = Exchange::from_lines("a9 NOOP", &["* BAD junk", "a9 OK done"]);
        assert!(judge_mutations("s", &t, &[(0, Operator::LiteralShort)]).is_empty());
        // A tag the client never sent at all is the tags judge's, not a piece of the
        // mutated command.
        t.script[1] = Exchange::from_lines("a9 NOOP", &["zz BAD junk", "a9 OK done"]);
        assert!(judge_mutations("s", &t, &[(0, Operator::LiteralShort)]).is_empty());
    }

    /// The answers of the lab's servers (seed 7, 200 sessions) that were once reported as
    /// violations of RFC 2060 §2.2.2 or warnings of §9 client rules: every mutated command
    /// with the next command, as the servers answered them. None breaks anything a server
    /// owes.
    #[test]
    fn the_lab_answers_once_called_faults_are_not_violations_or_warnings() {
        let text = include_str!("testdata/mutations-seed7.cases");
        let mut judged = 0;
        let mut notes = 0;
        for chunk in text
            .split("# imapconform case v1\n")
            .filter(|c| !c.trim().is_empty())
        {
            let case = crate::case::Case::parse(&format!("# imapconform case v1\n{chunk}"))
                .unwrap_or_else(|e| panic!("{e:?}\n{chunk}"));
            let labels = parse_labels(case.get("mutations").expect("labels")).unwrap();
            let target = case.get("target").unwrap();
            let v = judge_mutations(target, &case.transcript, &labels);
            for x in &v {
                assert_eq!(x.kind, Kind::Note, "{target}: {x:?}");
                assert_eq!(x.rule, None, "{target}: {x:?}");
            }
            notes += v.len();
            judged += 1;
        }
        assert_eq!(judged, 53);
        // The lenient OKs (Cyrus, Mailutils, Courier to FETCH 0; Dovecot, Cyrus, Courier
        // to `"\INBOX"`) stay visible as notes.
        assert!(notes >= 15, "{notes} notes");
    }

    /// RFC 2060 §6.3.10 and §2.2.2: Mailutils reads `STATUS "INBOX.imapcon\0formx"`
    /// leniently and truthfully says there is no such mailbox.
    #[test]
    fn mailutils_no_to_a_status_with_nul_is_no_finding() {
        let t = Transcript {
            script: vec![
                Exchange::from_lines(
                    "a2 STATUS \"INBOX.imapcon\0formx\" (MESSAGES)",
                    &["a2 NO STATUS Error opening mailbox"],
                ),
                Exchange::from_lines(
                    "a3 UID STORE * -FLAGS.SILENT \\Deleted",
                    &["a3 BAD UID STORE Syntax error"],
                ),
            ],
            ..Transcript::default()
        };
        assert!(judge_mutations("mailutils", &t, &[(0, Operator::Nul)]).is_empty());
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
    fn labels_are_described_as_client_defects() {
        let d = describe(&Operator::LiteralShort.label());
        assert_eq!(
            d,
            "literal-short: the client breaks 2060-9-literal; any completion (OK, NO or BAD) is fair"
        );
    }
}
