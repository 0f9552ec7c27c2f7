//! Differential judging: the same script, several servers.
//!
//! Each target's script exchanges are normalised ([`super::normalize`]) with one
//! [`NormContext`] per target and compared step by step. At a step where the targets
//! disagree, the largest group of agreeing targets is the reference (on a tie, the group
//! containing the alphabetically first target name); every other group gets one
//! [`Kind::Divergence`] verdict whose `observed` is a unified diff from the reference.
//!
//! **Cascades.** When a target's answer differs but its outcome (the tagged OK, NO or
//! BAD) is the reference's, the command did the same thing on both and the comparison
//! goes on: a server that leaves out an optional response at SELECT is still compared
//! at the FETCH that follows. When the outcome differs, its later steps run in another
//! state (a mailbox that exists on one server only, nothing selected), so comparing them
//! would say nothing new: that target takes no further part in the session's
//! comparison. A target whose session ended before a step shows
//! `<no response: session ended (...)>` there.

use similar::TextDiff;

use super::normalize::{normalize_exchange, normalize_exchange_by_identity, NormContext};

/// UID → the model's message id ([`super::oracle::Coverage::identities`]).
pub type Identity = std::collections::BTreeMap<u32, u64>;
use super::{Kind, Verdict};
use crate::wire::{escape, Transcript};

/// Compares the script exchanges of every target, UIDs named by first appearance.
pub fn judge_differential(runs: &[(&str, &Transcript)]) -> Vec<Verdict> {
    judge_differential_by_identity(runs, &[])
}

/// Compares the script exchanges of every target through the model:
/// `identities[i][step]` is the UID → model message map the oracle held for target `i`
/// after that step ([`super::oracle::Coverage::identities`]). At a step where every
/// target still compared has one that names all its UIDs, UIDs compare as the messages
/// they identify; otherwise by first appearance. Missing entries mean "no identity".
pub fn judge_differential_by_identity(
    runs: &[(&str, &Transcript)],
    identities: &[&[Option<Identity>]],
) -> Vec<Verdict> {
    let plain: Vec<Vec<Vec<String>>> = runs
        .iter()
        .map(|(_, t)| {
            let mut ctx = NormContext::new();
            t.script
                .iter()
                .map(|e| normalize_exchange(e, &mut ctx))
                .collect()
        })
        .collect();
    let by_identity: Vec<Vec<Option<Vec<String>>>> = runs
        .iter()
        .enumerate()
        .map(|(i, (_, t))| {
            let ids = identities.get(i).copied().unwrap_or(&[]);
            if ids.iter().all(Option::is_none) {
                // No identities (no oracle, or it never followed): nothing to redo.
                return vec![None; t.script.len()];
            }
            let mut ctx = NormContext::new();
            t.script
                .iter()
                .enumerate()
                .map(|(step, e)| match ids.get(step).cloned().flatten() {
                    Some(id) => normalize_exchange_by_identity(e, &mut ctx, id),
                    None => {
                        normalize_exchange(e, &mut ctx);
                        None
                    }
                })
                .collect()
        })
        .collect();
    let steps = runs.iter().map(|(_, t)| t.script.len()).max().unwrap_or(0);
    let alive_at = |step: usize, alive: &[bool]| -> bool {
        (0..runs.len())
            .filter(|&i| alive[i])
            .all(|i| matches!(by_identity[i].get(step), Some(Some(_))))
    };
    let mut norm: Vec<Vec<Vec<String>>> = plain;
    let mut alive = vec![true; runs.len()];
    let mut out = Vec::new();
    for step in 0..steps {
        if alive_at(step, &alive) {
            for i in (0..runs.len()).filter(|&i| alive[i]) {
                if let (Some(Some(lines)), Some(slot)) =
                    (by_identity[i].get(step), norm[i].get_mut(step))
                {
                    *slot = lines.clone();
                }
            }
        }
        out.extend(compare_step(runs, &norm, step, &mut alive));
    }
    out
}

/// One step of the comparison: groups of equal answers, a divergence for each group but
/// the largest; targets whose outcome differs leave the comparison (`alive`).
fn compare_step(
    runs: &[(&str, &Transcript)],
    norm: &[Vec<Vec<String>>],
    step: usize,
    alive: &mut [bool],
) -> Vec<Verdict> {
    let mut out = Vec::new();
    let ended = |i: usize| {
        vec![format!(
            "<no response: session ended ({})>",
            runs[i].1.end.to_line()
        )]
    };
    // Groups of targets with equal normalised exchanges, in first-seen order.
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for i in (0..runs.len()).filter(|&i| alive[i]) {
        let lines = norm[i].get(step).cloned().unwrap_or_else(|| ended(i));
        match groups.iter_mut().find(|(l, _)| *l == lines) {
            Some((_, members)) => members.push(i),
            None => groups.push((lines, vec![i])),
        }
    }
    if groups.len() < 2 {
        return out;
    }
    let first_name = |g: &Vec<usize>| g.iter().map(|&i| runs[i].0).min().unwrap_or("");
    let reference = (0..groups.len())
        .max_by(|&a, &b| {
            groups[a]
                .1
                .len()
                .cmp(&groups[b].1.len())
                .then_with(|| first_name(&groups[b].1).cmp(first_name(&groups[a].1)))
        })
        .unwrap_or(0);
    let names = |g: &Vec<usize>| {
        let mut v: Vec<String> = g.iter().map(|&i| runs[i].0.to_string()).collect();
        v.sort();
        v
    };
    let ref_names = names(&groups[reference].1);
    let ref_text = groups[reference].0.join("\n") + "\n";
    let ref_outcome = outcome(&groups[reference].0);
    let command = runs
        .iter()
        .find_map(|(_, t)| t.script.get(step))
        .map(|e| escape(e.command().first_line()))
        .unwrap_or_default();
    for (gi, (lines, members)) in groups.iter().enumerate() {
        if gi == reference {
            continue;
        }
        let these = names(members);
        let text = lines.join("\n") + "\n";
        let diff = TextDiff::from_lines(&ref_text, &text)
            .unified_diff()
            .header(&ref_names.join(","), &these.join(","))
            .to_string();
        let same_outcome = outcome(lines) == ref_outcome;
        out.push(Verdict {
            kind: Kind::Divergence,
            targets: these.clone(),
            step: Some(step),
            rule: None,
            summary: format!(
                "`{command}`: {} answered differently from {}{}{}",
                these.join(", "),
                ref_names.join(", "),
                if ref_names.len() > 1 {
                    " (which agreed)"
                } else {
                    ""
                },
                if same_outcome {
                    ""
                } else {
                    "; the outcome differs, so later steps of the session are not compared"
                }
            ),
            expected: ref_text.trim_end().to_string(),
            observed: diff,
            cause: None,
        });
        if !same_outcome {
            for &i in members {
                alive[i] = false;
            }
        }
    }
    out
}

/// The status of the tagged completion in normalised lines (`OK`, `NO`, `BAD`, ...),
/// or `None` when there was none (the session ended).
fn outcome(lines: &[String]) -> Option<&str> {
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("<tag> "))
        .and_then(|rest| rest.split(' ').next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{End, Exchange, Message};

    fn ex(cmd: &str, resp: &[&str]) -> Exchange {
        Exchange::from_lines(cmd, resp)
    }

    fn t(script: Vec<Exchange>) -> Transcript {
        Transcript {
            greeting: Some(Message::line("* PREAUTH hi")),
            setup: vec![],
            script,
            end: End::Completed,
        }
    }

    #[test]
    fn freely_chosen_values_do_not_diverge() {
        let dovecot = t(vec![ex(
            "a1 SELECT foo",
            &[
                "* OK [UIDVALIDITY 1795709673] UIDs valid",
                "* 1 EXISTS",
                "a1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).",
            ],
        )]);
        let cyrus = t(vec![ex(
            "a1 SELECT foo",
            &[
                "* 1 EXISTS",
                "* OK [UIDVALIDITY 1732612345] Ok",
                "* OK [MAILBOXID (F2212ea8)] Ok",
                "a1 OK [READ-WRITE] Completed",
            ],
        )]);
        assert!(judge_differential(&[("cyrus", &cyrus), ("dovecot", &dovecot)]).is_empty());
    }

    #[test]
    fn uids_compare_as_the_messages_they_identify() {
        // Both servers hold messages 1 and 2 of the model; one gave them UIDs 1 and 2,
        // the other 3 and 4. Asked for message 2's UID, the second server names its
        // message 1: by first appearance both answers are `u1`; through the model they
        // name different messages.
        let search = |uid: &str| t(vec![ex("a1 UID SEARCH SUBJECT two", &[uid, "a1 OK"])]);
        let (a, b) = (search("* SEARCH 2"), search("* SEARCH 3"));
        let runs = [("a", &a), ("b", &b)];
        assert!(judge_differential(&runs).is_empty());
        let ids_a = [Some(Identity::from([(1, 1), (2, 2)]))];
        let ids_b = [Some(Identity::from([(3, 1), (4, 2)]))];
        let v = judge_differential_by_identity(&runs, &[&ids_a, &ids_b]);
        assert_eq!(v.len(), 1, "{v:#?}");
        assert!(v[0].observed.contains("-* SEARCH m2"), "{}", v[0].observed);
        assert!(v[0].observed.contains("+* SEARCH m1"), "{}", v[0].observed);
        // The same message under different UIDs compares equal.
        let c = search("* SEARCH 4");
        let v = judge_differential_by_identity(&[("a", &a), ("c", &c)], &[&ids_a, &ids_b]);
        assert!(v.is_empty(), "{v:#?}");
        // A UID the oracle has not learnt: back to first appearance for that step.
        let d = search("* SEARCH 9");
        let v = judge_differential_by_identity(&[("a", &a), ("d", &d)], &[&ids_a, &ids_b]);
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn a_divergence_carries_a_diff_and_names_the_majority() {
        let good = t(vec![ex(
            "a1 STORE 1 +FLAGS (\\Flagged)",
            &["* 1 FETCH (FLAGS (\\Flagged))", "a1 OK done"],
        )]);
        let bad = t(vec![ex(
            "a1 STORE 1 +FLAGS (\\Flagged)",
            &["a1 BAD STORE Unrecognized flag"],
        )]);
        let v = judge_differential(&[("mailutils", &bad), ("dovecot", &good), ("cyrus", &good)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Divergence);
        assert_eq!(v[0].targets, vec!["mailutils"]);
        assert_eq!(v[0].step, Some(0));
        assert!(v[0].summary.contains("cyrus, dovecot"), "{}", v[0].summary);
        assert!(
            v[0].observed.contains("--- cyrus,dovecot"),
            "{}",
            v[0].observed
        );
        assert!(
            v[0].observed.contains("-* 1 FETCH (FLAGS (\\Flagged))"),
            "{}",
            v[0].observed
        );
        assert!(v[0].observed.contains("+<tag> BAD"), "{}", v[0].observed);
    }

    #[test]
    fn ties_go_to_the_group_with_the_alphabetically_first_name() {
        let a = t(vec![ex("a1 NOOP", &["a1 OK"])]);
        let b = t(vec![ex("a1 NOOP", &["a1 NO"])]);
        let v = judge_differential(&[("zeta", &a), ("alpha", &b)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].targets, vec!["zeta"]);
    }

    #[test]
    fn a_different_answer_with_the_same_outcome_keeps_the_target_compared() {
        let a = t(vec![
            ex("a1 SELECT x", &["* 1 EXISTS", "* OK [UNSEEN 1] x", "a1 OK"]),
            ex("a2 NOOP", &["a2 OK"]),
        ]);
        let b = t(vec![
            ex("a1 SELECT x", &["* 1 EXISTS", "a1 OK"]),
            ex("a2 NOOP", &["a2 BAD"]),
        ]);
        let c = a.clone();
        let v = judge_differential(&[("a", &a), ("b", &b), ("c", &c)]);
        let steps: Vec<Option<usize>> = v.iter().map(|v| v.step).collect();
        assert_eq!(steps, vec![Some(0), Some(1)], "{v:#?}");
        assert!(!v[0].summary.contains("outcome differs"));
        assert!(v[1].summary.contains("outcome differs"));
    }

    #[test]
    fn after_a_different_outcome_the_target_is_no_longer_compared() {
        let a = t(vec![
            ex("a1 CREATE x", &["a1 OK"]),
            ex("a2 SELECT x", &["* 0 EXISTS", "a2 OK"]),
            ex("a3 NOOP", &["a3 OK"]),
        ]);
        let b = t(vec![
            ex("a1 CREATE x", &["a1 NO exists"]),
            ex("a2 SELECT x", &["* 5 EXISTS", "a2 OK"]),
            ex("a3 NOOP", &["a3 BAD"]),
        ]);
        let c = t(vec![
            ex("a1 CREATE x", &["a1 OK"]),
            ex("a2 SELECT x", &["* 0 EXISTS", "a2 OK"]),
            ex("a3 NOOP", &["a3 NO"]),
        ]);
        let v = judge_differential(&[("a", &a), ("b", &b), ("c", &c)]);
        let steps: Vec<(Vec<String>, Option<usize>)> =
            v.iter().map(|v| (v.targets.clone(), v.step)).collect();
        assert_eq!(
            steps,
            vec![
                (vec!["b".to_string()], Some(0)),
                (vec!["c".to_string()], Some(2))
            ]
        );
    }

    #[test]
    fn a_session_that_ended_early_diverges_once() {
        let a = t(vec![ex("a1 NOOP", &["a1 OK"]), ex("a2 NOOP", &["a2 OK"])]);
        let mut b = t(vec![ex("a1 NOOP", &["a1 OK"])]);
        b.end = End::Closed;
        let c = a.clone();
        let v = judge_differential(&[("a", &a), ("b", &b), ("c", &c)]);
        assert_eq!(v.len(), 1);
        assert!(v[0].observed.contains("session ended (closed)"));
    }
}
