//! Differential judging: the same script, several servers.
//!
//! Each target's script exchanges are normalised ([`super::normalize`]) with one
//! [`NormContext`] per target and compared step by step. At a step where the targets
//! disagree, the largest group of agreeing targets is the reference and every other
//! group gets one [`Kind::Divergence`] verdict whose `observed` is a unified diff from
//! the reference and whose summary says in words what differs
//! ([`super::divergence_reason`]).
//!
//! **No majority, no blame.** When no group is larger than every other (two servers
//! compared, or two against two), nothing says which answer is right: the verdict names
//! the targets of both groups and its summary says neither is taken as right.
//!
//! **Cascades.** When a target's answer differs only in status responses and codes (a
//! server that leaves out `* OK [UNSEEN n]` at SELECT), the command did the same thing
//! on both and the comparison goes on. When the outcome (the tagged OK, NO or BAD)
//! differs, or the data shows a different state (message counts, flags, message data,
//! the mailbox list, read-only against read-write), its later steps run in another state
//! and their differences may follow from this one: the target (both sides, without a
//! majority) leaves the session's comparison, and that divergence's summary counts the
//! later answers that differ too. A target whose session ended before a step shows
//! `<no response: session ended (...)>` there.
//!
//! **Refused either way.** A selected-state command sent with nothing selected, or LOGIN
//! or AUTHENTICATE sent once authenticated, that some servers refuse with NO and others
//! with BAD is no divergence: RFC 2060 §3 leaves the
//! choice to the server ([`super::divergence_reason::refused_either_way`]).
//!
//! **Malformed on purpose.** At a step whose command is malformed on purpose (a
//! mutation), NO, BAD and a lenient OK are each a server's choice: no divergence; a
//! target whose outcome or state differs there leaves the comparison quietly.
//!
//! **Explained by another judge.** A target's answer that another judge already made a
//! finding of at the same step ([`explained_steps`]: a syntax, oracle, mutation, ...
//! verdict) is not reported again as a divergence: when it differs from another target's
//! answer, the target leaves the comparison there, and its later differences are folded
//! into that finding like a cascade.

use similar::TextDiff;

use super::divergence_reason::{
    outcome, reason, refused_either_way, reveals_state, selected_after, Side,
};
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
    judge_differential_explained(runs, identities, &[])
}

/// What other judges already report about one target's answers: the script steps of
/// their findings, and whether one of them is about the session's end (a crash or a
/// timeout outside the script, e.g. during login).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explained {
    pub steps: Vec<usize>,
    pub end: bool,
    /// Steps whose command is malformed on purpose (`gen::mutate`): a server may answer
    /// one with NO, BAD or a lenient OK, so a different outcome there is its choice; the
    /// mutation judge holds servers to what they owe.
    pub malformed: Vec<usize>,
}

/// What `verdicts` (of judges other than this one) report about target `name`.
pub fn explained_steps(verdicts: &[Verdict], name: &str) -> Explained {
    let mine = || {
        verdicts
            .iter()
            .filter(|v| v.kind != Kind::Divergence && v.targets.iter().any(|t| t == name))
    };
    let mut steps: Vec<usize> = mine().filter_map(|v| v.step).collect();
    steps.sort_unstable();
    steps.dedup();
    Explained {
        steps,
        end: mine().any(|v| matches!(v.kind, Kind::Crash | Kind::Timeout)),
        malformed: Vec::new(),
    }
}

/// [`judge_differential_by_identity`], where `explained[i]` says which answers of target
/// `i` another judge already reports ([`explained_steps`]): those at its steps, and where
/// its session ended before a step when it reports the end.
pub fn judge_differential_explained(
    runs: &[(&str, &Transcript)],
    identities: &[&[Option<Identity>]],
    explained: &[Explained],
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
    let mut c = Comparison {
        runs,
        explained,
        left: vec![None; runs.len()],
        later: Vec::new(),
        out: Vec::new(),
    };
    let mut norm: Vec<Vec<Vec<String>>> = plain;
    for step in 0..steps {
        let compared: Vec<usize> = (0..runs.len()).filter(|&i| c.left[i].is_none()).collect();
        if compared
            .iter()
            .all(|&i| matches!(by_identity[i].get(step), Some(Some(_))))
        {
            for &i in &compared {
                if let (Some(Some(lines)), Some(slot)) =
                    (by_identity[i].get(step), norm[i].get_mut(step))
                {
                    *slot = lines.clone();
                }
            }
        }
        c.step(&norm, step);
    }
    c.finish()
}

/// The human-readable text of the tagged completion at `step` (`Message contains bare
/// newlines` of `a6 NO Message contains bare newlines`), without its response code.
fn tagged_text(t: &Transcript, step: usize) -> Option<String> {
    let e = t.script.get(step)?;
    let tag = e.command().tag().to_vec();
    let m = e.responses().filter(|m| m.tag() == tag.as_slice()).last()?;
    let line = String::from_utf8_lossy(m.first_line()).into_owned();
    let mut rest = line.splitn(3, ' ').nth(2).unwrap_or("").trim_start();
    if rest.starts_with('[') {
        rest = rest.find(']').map_or("", |p| rest[p + 1..].trim_start());
    }
    Some(escape(rest.as_bytes())).filter(|s| !s.is_empty())
}

/// Why a target takes no further part in a session's comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Left {
    /// Its answer differed in outcome or state: the divergence `out[n]` (later
    /// differences are counted in it).
    Diverged(usize),
    /// Another judge's finding reports its differing answer.
    Explained,
}

/// One session's comparison in progress.
struct Comparison<'a, 'r> {
    runs: &'a [(&'r str, &'r Transcript)],
    explained: &'a [Explained],
    left: Vec<Option<Left>>,
    /// Per verdict of `out`: the tags of later commands whose answers differ too.
    later: Vec<Vec<String>>,
    out: Vec<Verdict>,
}

impl Comparison<'_, '_> {
    /// The normalised answer of target `i` at `step`, or a line saying the session ended.
    fn lines(&self, norm: &[Vec<Vec<String>>], i: usize, step: usize) -> Vec<String> {
        norm[i].get(step).cloned().unwrap_or_else(|| {
            vec![format!(
                "<no response: session ended ({})>",
                self.runs[i].1.end.to_line()
            )]
        })
    }

    /// The first line of the command at `step`, escaped.
    fn command(&self, step: usize) -> String {
        self.runs
            .iter()
            .find_map(|(_, t)| t.script.get(step))
            .map(|e| escape(e.command().first_line()))
            .unwrap_or_default()
    }

    /// One step: targets explained here leave; answers of targets that left are counted
    /// where they differ; groups of equal answers, a divergence for each group but the
    /// reference.
    fn step(&mut self, norm: &[Vec<Vec<String>>], step: usize) {
        let all: Vec<Vec<String>> = (0..self.runs.len())
            .map(|i| self.lines(norm, i, step))
            .collect();
        let compared = |left: &[Option<Left>]| -> Vec<usize> {
            (0..left.len()).filter(|&i| left[i].is_none()).collect()
        };
        for i in compared(&self.left) {
            let here = self
                .explained
                .get(i)
                .is_some_and(|e| e.steps.contains(&step) || (e.end && norm[i].get(step).is_none()));
            if here && compared(&self.left).iter().any(|&j| all[j] != all[i]) {
                self.left[i] = Some(Left::Explained);
            }
        }
        let still = compared(&self.left);
        let tag = self
            .command(step)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        for i in 0..self.runs.len() {
            if let Some(Left::Diverged(n)) = self.left[i] {
                let others: Vec<usize> = if still.is_empty() {
                    (0..self.runs.len()).filter(|&j| j != i).collect()
                } else {
                    still.clone()
                };
                if !others.is_empty()
                    && others.iter().all(|&j| all[j] != all[i])
                    && self.later[n].last() != Some(&tag)
                {
                    self.later[n].push(tag.clone());
                }
            }
        }
        // Groups of targets with equal normalised answers, in first-seen order.
        let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
        for i in still {
            match groups.iter_mut().find(|(l, _)| *l == all[i]) {
                Some((_, members)) => members.push(i),
                None => groups.push((all[i].clone(), vec![i])),
            }
        }
        if groups.len() < 2 {
            return;
        }
        let runs = self.runs;
        let verb = self
            .command(step)
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let selected: Vec<bool> = groups
            .iter()
            .flat_map(|(_, m)| m)
            .map(|&i| selected_after(runs[i].1.script.iter().take(step)))
            .collect();
        let answers: Vec<&[String]> = groups.iter().map(|(l, _)| l.as_slice()).collect();
        if refused_either_way(&verb, &selected, &answers) {
            return;
        }
        let malformed = self.explained.iter().any(|e| e.malformed.contains(&step));
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
        let majority = groups
            .iter()
            .enumerate()
            .all(|(g, (_, m))| g == reference || m.len() < groups[reference].1.len());
        let names = |g: &[usize]| {
            let mut v: Vec<String> = g.iter().map(|&i| runs[i].0.to_string()).collect();
            v.sort();
            v
        };
        let (ref_lines, ref_members) = &groups[reference];
        let ref_names = names(ref_members);
        let ref_text = ref_lines.join("\n") + "\n";
        let command = self.command(step);
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
            let side = |names, lines, members: &Vec<usize>| Side {
                names,
                lines,
                text: match members.as_slice() {
                    [one] => tagged_text(runs[*one].1, step),
                    _ => None,
                },
            };
            let why = reason(
                &side(&these, lines, members),
                &side(&ref_names, ref_lines, ref_members),
            );
            let (targets, aside) = if majority {
                (these.clone(), String::new())
            } else {
                let mut both: Vec<String> = these.iter().chain(&ref_names).cloned().collect();
                both.sort();
                let aside = if both.len() == 2 {
                    " (two servers compared: neither answer is taken as the right one)"
                } else {
                    " (no majority: neither answer is taken as the right one)"
                };
                (both, aside.to_string())
            };
            let cascade = outcome(lines) != outcome(ref_lines) || reveals_state(lines, ref_lines);
            if malformed {
                // The server's choice; a target left in another state leaves quietly.
                if cascade {
                    for &i in members {
                        self.left[i].get_or_insert(Left::Explained);
                    }
                }
                continue;
            }
            let n = self.out.len();
            self.out.push(Verdict {
                kind: Kind::Divergence,
                targets,
                step: Some(step),
                rule: None,
                summary: format!("`{command}`: {why}{aside}"),
                expected: ref_text.trim_end().to_string(),
                observed: diff,
                cause: None,
            });
            self.later.push(Vec::new());
            if cascade {
                let mut leaving = members.clone();
                if !majority {
                    leaving.extend(ref_members);
                }
                for i in leaving {
                    if self.left[i].is_none() {
                        self.left[i] = Some(Left::Diverged(n));
                    }
                }
            }
        }
    }

    /// The verdicts, each with the later differences folded into it counted.
    fn finish(mut self) -> Vec<Verdict> {
        for (v, later) in self.out.iter_mut().zip(&self.later) {
            if later.is_empty() {
                continue;
            }
            let shown: Vec<&str> = later.iter().take(5).map(String::as_str).collect();
            let more = if later.len() > shown.len() {
                ", ..."
            } else {
                ""
            };
            v.summary.push_str(&format!(
                " (and {} later answer{} of this session that differ too, at {}{more}: not reported separately, as they may follow from this one)",
                later.len(),
                if later.len() == 1 { "" } else { "s" },
                shown.join(", ")
            ));
        }
        self.out
    }
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
        assert_eq!(
            v[0].summary,
            "`a1 STORE 1 +FLAGS (\\\\Flagged)`: mailutils answers BAD (`STORE Unrecognized flag`) where cyrus and dovecot answer OK"
        );
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
    fn a_divergence_between_two_servers_blames_neither() {
        let a = t(vec![ex("a1 CREATE foo", &["a1 OK"])]);
        let b = t(vec![ex("a1 CREATE foo", &["a1 NO exists"])]);
        let v = judge_differential(&[("zeta", &a), ("alpha", &b)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].targets, vec!["alpha", "zeta"]);
        assert_eq!(
            v[0].summary,
            "`a1 CREATE foo`: zeta answers OK where alpha answers NO (`exists`) (two servers compared: neither answer is taken as the right one)"
        );
        // Two against two: no majority either.
        let v = judge_differential(&[("a", &a), ("b", &b), ("c", &a), ("d", &b)]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].targets, vec!["a", "b", "c", "d"]);
        assert!(v[0].summary.contains("no majority"), "{}", v[0].summary);
    }

    #[test]
    fn later_differences_after_a_different_state_are_folded_into_the_first() {
        // Courier announces the appended message at the next NOOP instead of at APPEND:
        // one divergence, the NOOP's difference counted in it.
        let now = |tag: &str| {
            t(vec![
                ex("a1 APPEND INBOX {1+}\r\nx", &["* 2 EXISTS", "a1 OK"]),
                ex("a2 NOOP", &["a2 OK"]),
                ex(
                    "a3 SELECT INBOX",
                    &["* 2 EXISTS", &format!("{tag} OK [READ-WRITE]")],
                ),
            ])
        };
        let (cyrus, dovecot) = (now("a3"), now("a3"));
        let courier = t(vec![
            ex("a1 APPEND INBOX {1+}\r\nx", &["a1 OK"]),
            ex("a2 NOOP", &["* 2 EXISTS", "a2 OK"]),
            ex("a3 SELECT INBOX", &["* 2 EXISTS", "a3 NO gone"]),
        ]);
        let v = judge_differential(&[
            ("courier", &courier),
            ("cyrus", &cyrus),
            ("dovecot", &dovecot),
        ]);
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!(v[0].step, Some(0));
        assert!(
            v[0].summary.contains(
                "courier sends no `* 2 EXISTS` where cyrus and dovecot do (and 2 later answers of this session that differ too, at a2, a3"
            ),
            "{}",
            v[0].summary
        );
    }

    #[test]
    fn an_answer_another_judge_reported_is_not_reported_again() {
        let good = t(vec![
            ex("a1 FETCH 1 FLAGS", &["* 1 FETCH (FLAGS (\\Seen))", "a1 OK"]),
            ex("a2 NOOP", &["a2 OK"]),
        ]);
        let bad = t(vec![
            ex("a1 FETCH 1 FLAGS", &["* 1 FETCH FLAGS \\Seen", "a1 OK"]),
            ex("a2 NOOP", &["* 1 EXISTS", "a2 OK"]),
        ]);
        let runs = [("a", &good), ("b", &good), ("m", &bad)];
        assert_eq!(judge_differential(&runs).len(), 1);
        let at = |steps: Vec<usize>| Explained {
            steps,
            ..Explained::default()
        };
        let v = judge_differential_explained(&runs, &[], &[at(vec![]), at(vec![]), at(vec![0])]);
        assert!(v.is_empty(), "{v:#?}");
        // A finding at a step where the target answered like the others explains
        // nothing there, and it stays compared.
        let v = judge_differential_explained(
            &[("a", &good), ("b", &good), ("c", &good)],
            &[],
            &[at(vec![]), at(vec![]), at(vec![0])],
        );
        assert!(v.is_empty());
        let same_then_bad = t(vec![good.script[0].clone(), bad.script[1].clone()]);
        let v = judge_differential_explained(
            &[("a", &good), ("b", &good), ("c", &same_then_bad)],
            &[],
            &[at(vec![]), at(vec![]), at(vec![0])],
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].step, Some(1));
    }

    #[test]
    fn a_session_whose_end_another_judge_reported_does_not_diverge_where_it_ended() {
        // Courier's login timed out (a timeout finding, outside the script): its empty
        // script is not also a divergence.
        let a = t(vec![ex("a1 NOOP", &["a1 OK"])]);
        let mut gone = t(vec![]);
        gone.end = End::Closed;
        let runs = [("a", &a), ("b", &a), ("courier", &gone)];
        assert_eq!(judge_differential(&runs).len(), 1);
        let ended = Explained {
            end: true,
            ..Explained::default()
        };
        let v = judge_differential_explained(
            &runs,
            &[],
            &[Explained::default(), Explained::default(), ended],
        );
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn no_against_bad_with_nothing_selected_is_not_a_divergence() {
        let no = t(vec![ex("a1 FETCH 1 FLAGS", &["a1 NO select first"])]);
        let bad = t(vec![ex("a1 FETCH 1 FLAGS", &["a1 BAD no mailbox"])]);
        let runs = [("courier", &no), ("cyrus", &bad), ("dovecot", &bad)];
        assert!(judge_differential(&runs).is_empty());
        // With a mailbox selected, the same answers are a divergence.
        let sel = |last: &str| {
            t(vec![
                ex("a1 SELECT INBOX", &["* 0 EXISTS", "a1 OK"]),
                ex("a2 FETCH 1 FLAGS", &[last]),
            ])
        };
        let (no, bad) = (sel("a2 NO x"), sel("a2 BAD y"));
        let v = judge_differential(&[("courier", &no), ("cyrus", &bad), ("dovecot", &bad)]);
        assert_eq!(v.len(), 1, "{v:#?}");
    }

    #[test]
    fn a_malformed_command_may_get_no_bad_or_ok_without_a_divergence() {
        let answer = |last: &str, then: &str| {
            t(vec![
                ex("a1 FETCH 4294967296 FLAGS", &[last]),
                ex("a2 NOOP", &[then]),
            ])
        };
        let (no, bad, ok) = (
            answer("a1 NO none", "a2 OK"),
            answer("a1 BAD invalid", "a2 OK"),
            answer("a1 OK", "a2 BAD later"),
        );
        let runs = [("cyrus", &no), ("dovecot", &bad), ("lenient", &ok)];
        let mutated = Explained {
            malformed: vec![0],
            ..Explained::default()
        };
        let all = [mutated.clone(), mutated.clone(), mutated];
        let v = judge_differential_explained(&runs, &[], &all);
        // No divergence at the malformed step; the targets that answered otherwise left
        // the comparison there, so nothing more is compared either.
        assert!(v.is_empty(), "{v:#?}");
        assert_eq!(judge_differential(&runs).len(), 2);
    }

    #[test]
    fn explained_steps_are_those_of_other_judges_findings_about_the_target() {
        let v = |kind, targets: &[&str], step| Verdict {
            kind,
            targets: targets.iter().map(|s| s.to_string()).collect(),
            step,
            rule: None,
            summary: String::new(),
            expected: String::new(),
            observed: String::new(),
            cause: None,
        };
        let all = [
            v(Kind::Violation, &["m"], Some(4)),
            v(Kind::Syntax, &["m"], Some(1)),
            v(Kind::Note, &["m"], Some(4)),
            v(Kind::Divergence, &["m"], Some(2)),
            v(Kind::Crash, &["m"], None),
            v(Kind::Warning, &["x"], Some(3)),
        ];
        assert_eq!(
            explained_steps(&all, "m"),
            Explained {
                steps: vec![1, 4],
                end: true,
                malformed: vec![]
            }
        );
        assert!(!explained_steps(&all, "x").end);
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
        assert_eq!(
            v[0].summary,
            "`a1 SELECT x`: b sends no `* OK [UNSEEN 1]` where a and c do"
        );
        assert!(v[1]
            .summary
            .contains("b answers BAD where a and c answer OK"));
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
                // a and c are the two left: neither is taken as right.
                (vec!["a".to_string(), "c".to_string()], Some(2))
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
