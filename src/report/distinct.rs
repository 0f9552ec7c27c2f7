//! Distinct findings: the findings of a run grouped by what they show.
//!
//! `findings.jsonl` keeps every finding as it was made; a campaign that finds one bug in
//! 300 sessions writes 300 lines. A [`Signature`] says what a finding shows: its kind,
//! what it breaks (the requirement id, or for a divergence the shape of the difference),
//! the shape of the command and the set of targets it holds for. Findings with the same
//! signature are one [`DistinctFinding`], with a count and a few example cases; the
//! terminal and the reports show distinct findings.
//!
//! A finding whose judge named its cause ([`crate::judge::Cause`]: a server that stores
//! messages with added header fields, a FETCH FLAGS that lists only some flags) is keyed
//! by (kind, rule, cause, targets) instead: one behaviour is one distinct finding, whatever
//! command or FETCH item showed it.
//!
//! A signature's [`Signature::id`] is a hash of its text, so the same finding has the same
//! id in every run: baselines key on it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Finding;
use crate::judge::{Cause, Kind};

/// At most this many example cases are kept per distinct finding.
pub const EXAMPLES: usize = 3;

/// What a finding shows, independent of the session it came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Signature {
    pub kind: Kind,
    /// The requirement id, with the summary's shape (a requirement such as
    /// `2060-2.2.2-ok-no-bad` covers several mistakes: "mutation nul" and "mutation
    /// literal-short" are different bugs); for a divergence without a requirement, the
    /// shape of the difference ([`divergence_shape`]).
    pub what: String,
    /// The command's name ([`command_shape`]): `UID FETCH`, `SELECT`, or `(setup)` for the
    /// greeting and login; `*` when the finding has a cause (any command shows it). For a
    /// finding that breaks a requirement, a UID command counts as its plain form
    /// (`UID SEARCH` as `SEARCH`): the same rule broken the same way by both is one
    /// behaviour.
    pub command: String,
    /// Every target it holds for, sorted.
    pub targets: Vec<String>,
    /// The finding's cause: with one, `what` is the rule alone and `command` is `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

impl Signature {
    /// The signature of one finding.
    pub fn of(f: &Finding) -> Signature {
        let mut targets = f.targets.clone();
        targets.sort();
        targets.dedup();
        if let Some(cause) = f.cause {
            return Signature {
                kind: f.kind,
                what: f.rule.clone().unwrap_or_default(),
                command: "*".into(),
                targets,
                cause: Some(cause),
            };
        }
        let summary = summary_shape(&f.summary);
        let what = match (&f.rule, f.kind) {
            // Which targets agreed is left out: it depends on how the others fared.
            (_, Kind::Divergence) => divergence_shape(&f.observed),
            (Some(rule), _) => format!("{rule} | {summary}"),
            (None, _) => summary,
        };
        let command = command_shape(&f.command);
        let command = match (&f.rule, f.kind) {
            (Some(_), k) if k != Kind::Divergence => command
                .strip_prefix("UID ")
                .map(str::to_string)
                .unwrap_or(command),
            _ => command,
        };
        Signature {
            kind: f.kind,
            what,
            command,
            targets,
            cause: None,
        }
    }

    /// A stable id: `D` and 12 hex digits of a 64-bit FNV-1a hash of the signature's
    /// text. The same signature has the same id in every run and on every machine.
    pub fn id(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n{}",
            self.kind.as_str(),
            self.what,
            self.command,
            self.targets.join(",")
        );
        // Without a cause the text is as it always was: ids of earlier runs stay valid.
        if let Some(c) = self.cause {
            text.push_str("\ncause ");
            text.push_str(c.as_str());
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("D{:012x}", h >> 16)
    }
}

/// The command's name, upper-cased, without its tag and arguments: `FETCH`,
/// `UID STORE`; `(setup)` for the greeting and login (an empty command). `command` is
/// the escaped form of [`Finding::command`].
pub fn command_shape(command: &str) -> String {
    let first_line = command.split("\\r\\n").next().unwrap_or("");
    let mut words = first_line.split(' ').filter(|w| !w.is_empty()).skip(1);
    let Some(verb) = words.next() else {
        return "(setup)".into();
    };
    let verb: String = verb
        .chars()
        .take(24)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_uppercase()
            } else {
                '?'
            }
        })
        .collect();
    if verb == "UID" {
        if let Some(next) = words.next() {
            return format!("UID {}", next.to_ascii_uppercase());
        }
    }
    verb
}

/// A summary without what varies from session to session: digit runs become `N`, text
/// in backquotes (a command quoted with its tag) becomes `…`, the contents of brackets
/// are dropped (`BODY[HEADER.FIELDS (DATE)]` → `BODY[]`) and so are parenthesised
/// asides (`(breaks 2060-9-char)`, `(which agreed)`, lists of header names).
pub fn summary_shape(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut in_quote = false;
    let mut last_digit = false;
    let (mut brackets, mut parens) = (0usize, 0usize);
    for c in summary.chars() {
        if c == '`' {
            if !in_quote {
                out.push('…');
            }
            in_quote = !in_quote;
            last_digit = false;
            continue;
        }
        if in_quote {
            continue;
        }
        match c {
            '[' => {
                if brackets == 0 && parens == 0 {
                    out.push('[');
                }
                brackets += 1;
                continue;
            }
            ']' if brackets > 0 => {
                brackets -= 1;
                if brackets == 0 && parens == 0 {
                    out.push(']');
                }
                continue;
            }
            '(' => {
                parens += 1;
                continue;
            }
            ')' if parens > 0 => {
                parens -= 1;
                continue;
            }
            _ if brackets > 0 || parens > 0 => continue,
            _ => {}
        }
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    // Dropped asides leave double spaces behind.
    out.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `w` with each run of digits written `N`.
fn digits_shape(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    for c in w.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('N') {
            out.push('N');
        }
    }
    out
}

/// The shape of a divergence's unified diff: each changed line (`-` reference, `+` the
/// diverging target) reduced to its first three words, digit runs as `N` and a
/// response code cut to its name (`-* OK [UNSEEN`, `+<tag> NO [TRYCREATE`), sorted and
/// without repeats. Two divergences that differ only in values (which flags, which
/// message) have the same shape.
pub fn divergence_shape(diff: &str) -> String {
    let mut lines: Vec<String> = diff
        .lines()
        .filter(|l| !l.starts_with("+++") && !l.starts_with("---"))
        .filter(|l| l.starts_with('+') || l.starts_with('-'))
        .map(|l| {
            let (sign, rest) = l.split_at(1);
            let words: Vec<String> = rest
                .split(' ')
                .filter(|w| !w.is_empty())
                .take(3)
                .map(|w| {
                    let w = digits_shape(w);
                    if w.starts_with('(') {
                        // A list's values vary; that there is a list does not.
                        "(".to_string()
                    } else {
                        match w.find(['(', ']']) {
                            Some(cut) => w[..cut].to_string(),
                            None => w,
                        }
                    }
                })
                .collect();
            format!("{sign}{}", words.join(" "))
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines.join("; ")
}

/// One of a distinct finding's findings, kept as an example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// The finding's id in `findings.jsonl`.
    pub id: String,
    /// Its case file, relative to the findings directory.
    pub case: String,
    /// Case files of every target of that session.
    pub cases: BTreeMap<String, String>,
    pub command: String,
    pub expected: String,
    pub observed: String,
    pub session: u64,
    pub step: Option<usize>,
}

/// The smallest case found that still shows the finding ([`crate::minimize`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minimal {
    /// The minimised case file, relative to the findings directory.
    pub case: String,
    /// The example it was made from.
    pub from: String,
    /// Script commands before and after (the closing LOGOUT included).
    pub commands_before: usize,
    pub commands_after: usize,
    /// Script bytes before and after.
    pub bytes_before: usize,
    pub bytes_after: usize,
    /// Candidate sessions run.
    pub tests: u64,
    pub millis: u64,
    /// A budget (candidate sessions or time) ran out before ddmin finished: the case may
    /// not be 1-minimal.
    #[serde(default)]
    pub budget_spent: bool,
}

impl Minimal {
    /// `16 → 5 commands, 862 → 114 bytes, 193 candidate sessions in 11.0 s`.
    pub fn describe(&self) -> String {
        format!(
            "{} → {} commands, {} → {} bytes, {} candidate sessions in {:.1} s{}",
            self.commands_before,
            self.commands_after,
            self.bytes_before,
            self.bytes_after,
            self.tests,
            self.millis as f64 / 1000.0,
            if self.budget_spent {
                " (budget spent)"
            } else {
                ""
            }
        )
    }
}

/// Whether a finding's minimal case showed it again when replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state", content = "detail")]
pub enum Verification {
    /// Not replayed (`--no-minimize`, or the targets were not at hand).
    #[default]
    Unverified,
    /// The minimal case shows it on every replay.
    Verified,
    /// Some replay of the case did not show it: timing or state decides. The finding is
    /// kept, labelled.
    Flaky(String),
}

impl Verification {
    pub fn label(&self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Verified => "verified",
            Verification::Flaky(_) => "flaky",
        }
    }
}

/// A finding compared with the baseline ([`crate::baseline`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state", content = "reason")]
pub enum BaselineState {
    /// Not in the baseline: this fails a run checked against it.
    New,
    /// In the baseline, with the reason given there.
    Known(String),
}

/// Findings with one signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctFinding {
    /// [`Signature::id`].
    pub id: String,
    pub signature: Signature,
    pub kind: Kind,
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The first example's summary.
    pub summary: String,
    pub targets: Vec<String>,
    /// How many findings have this signature.
    pub count: u64,
    /// The first findings with it (at most [`EXAMPLES`]), in the order they were made.
    pub examples: Vec<Example>,
    #[serde(default)]
    pub minimal: Option<Minimal>,
    #[serde(default)]
    pub verification: Verification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

/// Groups findings by signature. The result is ordered most severe kind first, then by
/// count (largest first), then by id, so reports list the worst first and two runs with
/// the same findings list them alike.
pub fn dedup(findings: &[Finding]) -> Vec<DistinctFinding> {
    let mut groups: BTreeMap<String, DistinctFinding> = BTreeMap::new();
    for f in findings {
        let sig = Signature::of(f);
        let id = sig.id();
        let d = groups.entry(id.clone()).or_insert_with(|| DistinctFinding {
            id,
            kind: f.kind,
            rule: f.rule.clone(),
            quote: f.quote.clone(),
            summary: f.summary.clone(),
            targets: sig.targets.clone(),
            signature: sig,
            count: 0,
            examples: Vec::new(),
            minimal: None,
            verification: Verification::Unverified,
            baseline: None,
        });
        d.count += 1;
        if d.examples.len() < EXAMPLES {
            d.examples.push(Example {
                id: f.id.clone(),
                case: f.case.clone(),
                cases: f.cases.clone(),
                command: f.command.clone(),
                expected: f.expected.clone(),
                observed: f.observed.clone(),
                session: f.session,
                step: f.step,
            });
        }
    }
    let mut out: Vec<DistinctFinding> = groups.into_values().collect();
    sort(&mut out);
    out
}

/// Most severe kind first, then the largest count, then the id.
pub fn sort(distinct: &mut [DistinctFinding]) {
    distinct.sort_by(|a, b| {
        b.kind
            .cmp(&a.kind)
            .then(b.count.cmp(&a.count))
            .then(a.id.cmp(&b.id))
    });
}

/// Merges distinct findings of several runs (shards of one campaign): counts add up,
/// examples are taken in order up to [`EXAMPLES`], and of the minimal cases the one with
/// the fewest commands is kept; a finding flaky in any run is flaky.
pub fn merge(runs: Vec<Vec<DistinctFinding>>) -> Vec<DistinctFinding> {
    let mut groups: BTreeMap<String, DistinctFinding> = BTreeMap::new();
    for run in runs {
        for d in run {
            match groups.get_mut(&d.id) {
                None => {
                    groups.insert(d.id.clone(), d);
                }
                Some(into) => {
                    into.count += d.count;
                    for e in d.examples {
                        if into.examples.len() < EXAMPLES {
                            into.examples.push(e);
                        }
                    }
                    let smaller = match (&into.minimal, &d.minimal) {
                        (None, Some(_)) => true,
                        (Some(a), Some(b)) => b.commands_after < a.commands_after,
                        _ => false,
                    };
                    if smaller {
                        into.minimal = d.minimal;
                    }
                    into.verification = match (&into.verification, d.verification) {
                        (Verification::Flaky(w), _) => Verification::Flaky(w.clone()),
                        (_, Verification::Flaky(w)) => Verification::Flaky(w),
                        (Verification::Verified, _) | (_, Verification::Verified) => {
                            Verification::Verified
                        }
                        _ => Verification::Unverified,
                    };
                }
            }
        }
    }
    let mut out: Vec<DistinctFinding> = groups.into_values().collect();
    sort(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, kind: Kind, rule: Option<&str>, summary: &str, cmd: &str) -> Finding {
        Finding {
            id: id.into(),
            target: "mailutils".into(),
            targets: vec!["mailutils".into()],
            kind,
            rule: rule.map(String::from),
            quote: None,
            summary: summary.into(),
            command: cmd.into(),
            expected: "e".into(),
            observed: "o".into(),
            case: format!("cases/{id}-mailutils.imap"),
            cases: BTreeMap::new(),
            seed: 1,
            session: 1,
            step: Some(0),
            cause: None,
        }
    }

    #[test]
    fn the_same_bug_in_different_sessions_is_one_distinct_finding() {
        let fs = vec![
            finding(
                "1.1.0",
                Kind::Violation,
                Some("2060-6.4.5-rfc822-size"),
                "RFC822.SIZE of message 1 differs from the stored message",
                "a4 FETCH 1 (RFC822.SIZE)\\r\\n",
            ),
            finding(
                "1.7.2",
                Kind::Violation,
                Some("2060-6.4.5-rfc822-size"),
                "RFC822.SIZE of message 12 differs from the stored message",
                "a9 fetch 1:* FAST\\r\\n",
            ),
            finding(
                "1.9.0",
                Kind::Violation,
                Some("2060-6.4.5-rfc822-size"),
                "RFC822.SIZE of message 2 differs from the stored message",
                "a2 UID FETCH 4 FAST\\r\\n",
            ),
        ];
        let d = dedup(&fs);
        assert_eq!(
            d.len(),
            1,
            "FETCH and UID FETCH breaking one rule the same way are one behaviour"
        );
        assert_eq!(d[0].count, 3);
        assert_eq!(d[0].signature.command, "FETCH");
        assert_eq!(d[0].examples.len(), 3);
        assert_eq!(d[0].examples[0].id, "1.1.0");
        let other_rule = finding(
            "1.9.1",
            Kind::Violation,
            Some("2060-6.4.8-uid-set"),
            "RFC822.SIZE of message 2 differs from the stored message",
            "a2 UID FETCH 4 FAST\\r\\n",
        );
        assert_eq!(Signature::of(&other_rule).command, "FETCH");
        assert_ne!(Signature::of(&other_rule), Signature::of(&fs[2]));
    }

    #[test]
    fn one_requirement_broken_in_different_ways_is_several_findings() {
        let a = finding(
            "1.1.0",
            Kind::Violation,
            Some("2060-2.2.2-ok-no-bad"),
            "mutation nul: a command syntax error (breaks 2060-9-char) answered NO, not BAD",
            "a1 NOOP\\r\\n",
        );
        let b = finding(
            "1.2.0",
            Kind::Violation,
            Some("2060-2.2.2-ok-no-bad"),
            "mutation literal-short: a command syntax error (breaks 2060-9-literal) answered NO, not BAD",
            "a1 NOOP\\r\\n",
        );
        assert_ne!(Signature::of(&a).id(), Signature::of(&b).id());
        let mut c = a.clone();
        c.targets = vec!["mailutils".into(), "courier".into()];
        assert_ne!(Signature::of(&a), Signature::of(&c), "target set counts");
    }

    #[test]
    fn divergences_with_the_same_shape_merge_whatever_the_values() {
        let diff = |flags: &str| {
            format!(
                "--- courier,cyrus\n+++ dovecot\n@@ -1,6 +1,6 @@\n * 1 EXISTS\n-* FLAGS (\\Answered \\Seen)\n+* FLAGS ({flags} \\Answered \\Seen)\n <tag> OK [READ-WRITE]\n"
            )
        };
        let mut a = finding(
            "1.1.0",
            Kind::Divergence,
            None,
            "`a10 SELECT INBOX`: dovecot answered differently from courier, cyrus (which agreed)",
            "a10 SELECT INBOX\\r\\n",
        );
        a.observed = diff("$label1");
        let mut b = a.clone();
        b.summary =
            "`a2 SELECT INBOX`: dovecot answered differently from courier, cyrus (which agreed)"
                .into();
        b.observed = diff("todo $x");
        assert_eq!(Signature::of(&a), Signature::of(&b));
        let mut c = a.clone();
        c.observed =
            "--- a\n+++ b\n@@ -1 +1 @@\n-* OK [UNSEEN 1]\n+* OK [UNSEEN 2]\n <tag> OK\n".into();
        assert_ne!(Signature::of(&a), Signature::of(&c));
        assert_eq!(
            divergence_shape(&c.observed),
            "+* OK [UNSEEN; -* OK [UNSEEN"
        );
    }

    #[test]
    fn shapes_drop_tags_numbers_and_quoted_commands() {
        assert_eq!(
            command_shape("a12 uid store 1:* +FLAGS (\\\\Seen)\\r\\n"),
            "UID STORE"
        );
        assert_eq!(command_shape(""), "(setup)");
        assert_eq!(command_shape("a1 APPEND x {3}\\r\\nabc\\r\\n"), "APPEND");
        assert_eq!(
            summary_shape("`a2 SELECT INBOX`: message 12 of 3"),
            "…: message N of N"
        );
        assert_eq!(
            summary_shape(
                "BODY[HEADER.FIELDS.NOT (DATE)] of message 1 differs (the server added: x-uid)"
            ),
            "BODY[] of message N differs"
        );
        assert_eq!(
            summary_shape("mutation nul: a command syntax error (breaks 2060-9-char) answered NO"),
            "mutation nul: a command syntax error answered NO"
        );
    }

    #[test]
    fn one_cause_shown_by_different_commands_and_items_is_one_distinct_finding() {
        let mut a = finding(
            "1.1.0",
            Kind::Violation,
            Some("2060-6.3.11-appends-at-end"),
            "message 1 is served with header fields the appended message did not have",
            "a4 FETCH 1 (RFC822.HEADER)\\r\\n",
        );
        a.cause = Some(Cause::HeaderFieldsAdded);
        let mut b = a.clone();
        b.id = "1.9.3".into();
        b.summary = "message 3 is served with header fields (x-uid, status) ...".into();
        b.command = "a9 UID FETCH 1:* BODY[]\\r\\n".into();
        assert_eq!(Signature::of(&a), Signature::of(&b));
        assert_eq!(dedup(&[a.clone(), b]).len(), 1);
        let mut c = a.clone();
        c.cause = Some(Cause::BodyChanged);
        assert_ne!(
            Signature::of(&a).id(),
            Signature::of(&c).id(),
            "another cause"
        );
        let mut d = a.clone();
        d.rule = Some("2060-6.4.5-rfc822-size".into());
        assert_ne!(
            Signature::of(&a).id(),
            Signature::of(&d).id(),
            "another rule"
        );
        let mut e = a.clone();
        e.cause = None;
        assert_ne!(Signature::of(&a).id(), Signature::of(&e).id());
        assert_eq!(
            Signature::of(&e).command,
            "FETCH",
            "without a cause: as before"
        );
    }

    #[test]
    fn ids_are_stable_and_order_is_worst_first() {
        let s = Signature {
            kind: Kind::Syntax,
            what: "x".into(),
            command: "FETCH".into(),
            targets: vec!["a".into()],
            cause: None,
        };
        // Pinned: baselines written by earlier runs key on this value.
        assert_eq!(s.id(), "Dc3fe6ae7770b");
        assert_eq!(s.id().len(), 13);
        let fs = vec![
            finding("1.1.0", Kind::Warning, Some("w"), "w", "a1 NOOP\\r\\n"),
            finding("1.2.0", Kind::Crash, Some("c"), "c", "a1 NOOP\\r\\n"),
        ];
        let d = dedup(&fs);
        assert_eq!(d[0].kind, Kind::Crash);
    }

    #[test]
    fn merging_shards_adds_counts_and_keeps_the_smallest_minimal_case() {
        let f = finding("1.1.0", Kind::Syntax, Some("r"), "s", "a1 NOOP\\r\\n");
        let mut a = dedup(std::slice::from_ref(&f));
        let mut b = dedup(&[f.clone(), f]);
        let min = |n| Minimal {
            case: format!("cases/x-{n}.min.imap"),
            from: "cases/x.imap".into(),
            commands_before: 10,
            commands_after: n,
            bytes_before: 100,
            bytes_after: 10,
            tests: 5,
            millis: 10,
            budget_spent: false,
        };
        a[0].minimal = Some(min(4));
        b[0].minimal = Some(min(2));
        b[0].verification = Verification::Flaky("1 of 2 replays".into());
        let m = merge(vec![a, b]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].count, 3);
        assert_eq!(m[0].examples.len(), 3);
        assert_eq!(m[0].minimal.as_ref().unwrap().commands_after, 2);
        assert_eq!(m[0].verification.label(), "flaky");
    }
}
