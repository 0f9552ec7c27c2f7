//! What "the same finding" means to the minimiser: a candidate shows the finding sought
//! when one of its findings has the same [`Signature`] (kind, requirement and summary
//! shape, and the cause where the judge names one; command shape; targets) and, where the
//! finding compares a value the model computes with the value the server sent (`expected`
//! and `observed` are both IMAP data under the same name, as `ENVELOPE (...)`), the two
//! values differ in the same places.
//!
//! A rule such as "ENVELOPE equals the model's" covers many faults: a shorter case can
//! show a *different* fault of the same rule (an envelope whose date differs can shrink
//! into one whose sender differs because a header line lost its colon). The places where
//! the values differ tell those apart without depending on the values themselves (dates,
//! UIDs and sizes vary from run to run; where they differ does not).

use crate::report::distinct::Signature;
use crate::report::Finding;

/// The finding a minimisation keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sought {
    pub signature: Signature,
    /// Where the expected and observed values differ, when both are IMAP data under the
    /// same name; `None` for any other finding (its signature alone decides).
    pub difference: Option<Vec<String>>,
}

impl Sought {
    /// The finding an example shows: its signature, and where its values differ.
    pub fn new(signature: Signature, expected: &str, observed: &str) -> Sought {
        Sought {
            signature,
            difference: difference(expected, observed),
        }
    }

    /// The finding `f` is.
    pub fn of(f: &Finding) -> Sought {
        Sought::new(Signature::of(f), &f.expected, &f.observed)
    }

    /// Whether `f` is this finding again.
    pub fn is(&self, f: &Finding) -> bool {
        Signature::of(f) == self.signature
            && match &self.difference {
                None => true,
                Some(d) => difference(&f.expected, &f.observed).as_ref() == Some(d),
            }
    }

    /// Whether one of `findings` is this finding again.
    pub fn shown_by(&self, findings: &[Finding]) -> bool {
        findings.iter().any(|f| self.is(f))
    }
}

/// Most places listed; a value that differs everywhere has no finer shape than that.
const MAX_PLACES: usize = 32;

/// Where two values of the same item differ: the paths (list indices from the item's
/// value, `1.0` = the first element of the value's list) of the leaves that differ, and
/// `path#len` for a list whose length differs (its elements are not compared further,
/// they no longer line up). `None` unless both texts are IMAP data starting with the same
/// item name and at least one holds a list.
pub fn difference(expected: &str, observed: &str) -> Option<Vec<String>> {
    let (want, have) = (parse(expected)?, parse(observed)?);
    let (Some(Node::Leaf(a)), Some(Node::Leaf(b))) = (want.first(), have.first()) else {
        return None;
    };
    let has_list = |ns: &[Node]| ns.iter().any(|n| matches!(n, Node::List(_)));
    if !a.eq_ignore_ascii_case(b) || !(has_list(&want) || has_list(&have)) {
        return None;
    }
    let mut places = Vec::new();
    compare(&want, &have, &mut Vec::new(), &mut places);
    places.truncate(MAX_PLACES);
    Some(places)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Leaf(String),
    List(Vec<Node>),
}

fn compare(a: &[Node], b: &[Node], path: &mut Vec<usize>, out: &mut Vec<String>) {
    let name = |path: &[usize]| {
        path.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(".")
    };
    // A list of atoms (flags, keywords) is a set: which of its members differ, and
    // where they stand, is the value, not the place.
    let atoms = |l: &[Node]| {
        l.iter()
            .all(|n| matches!(n, Node::Leaf(t) if !t.starts_with('"')))
    };
    if !path.is_empty() && atoms(a) && atoms(b) {
        let set = |l: &[Node]| {
            let mut v: Vec<String> = l
                .iter()
                .map(|n| match n {
                    Node::Leaf(t) => t.to_ascii_lowercase(),
                    Node::List(_) => String::new(),
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        if set(a) != set(b) {
            out.push(format!("{}#set", name(path)));
        }
        return;
    }
    if a.len() != b.len() {
        out.push(format!("{}#len", name(path)));
        return;
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        path.push(i);
        match (x, y) {
            (Node::List(x), Node::List(y)) => compare(x, y, path, out),
            (x, y) if x != y => out.push(name(path)),
            _ => {}
        }
        path.pop();
    }
}

/// IMAP data as the judges render it: atoms (a `[...]` section in one, spaces and all),
/// quoted strings with backslash escapes, parenthesised lists. `None` when the text is
/// not that (prose, unbalanced parentheses).
fn parse(text: &str) -> Option<Vec<Node>> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let nodes = parse_list(&chars, &mut i, false)?;
    (i == chars.len()).then_some(nodes)
}

fn parse_list(c: &[char], i: &mut usize, nested: bool) -> Option<Vec<Node>> {
    let mut out = Vec::new();
    loop {
        while *i < c.len() && c[*i] == ' ' {
            *i += 1;
        }
        let Some(&ch) = c.get(*i) else {
            return (!nested).then_some(out);
        };
        match ch {
            '(' => {
                *i += 1;
                out.push(Node::List(parse_list(c, i, true)?));
            }
            ')' => {
                *i += 1;
                return nested.then_some(out);
            }
            '"' => {
                let start = *i;
                *i += 1;
                loop {
                    match c.get(*i)? {
                        '\\' => *i += 2,
                        '"' => break,
                        _ => *i += 1,
                    }
                }
                *i += 1;
                out.push(Node::Leaf(c[start..*i].iter().collect()));
            }
            _ => {
                let start = *i;
                let mut brackets = 0usize;
                while let Some(&ch) = c.get(*i) {
                    match ch {
                        '[' => brackets += 1,
                        ']' if brackets > 0 => brackets -= 1,
                        ' ' | '(' | ')' | '"' if brackets == 0 => break,
                        _ => {}
                    }
                    *i += 1;
                }
                if brackets > 0 {
                    return None;
                }
                out.push(Node::Leaf(c[start..*i].iter().collect()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, summary: &str, expected: &str, observed: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "id": "7.1.0", "target": "mailutils", "targets": ["mailutils"],
            "kind": "violation", "rule": rule, "summary": summary,
            "command": "a3 FETCH 1 (ENVELOPE)\\r\\n",
            "expected": expected, "observed": observed,
            "case": "", "cases": {}, "seed": 7, "session": 1, "step": 2
        }))
        .unwrap()
    }

    const ENVELOPE_RULE: &str = "2060-6.4.5-envelope";
    const SUMMARY: &str = "ENVELOPE of message 1 differs from the model's";

    fn envelope(date: &str, from: &str) -> String {
        format!("ENVELOPE ({date} \"hello\" {from} {from} {from} NIL NIL NIL NIL \"<1@x>\")")
    }

    const CAROL: &str = "((\"Carol\" NIL \"carol\" \"example.com\"))";

    #[test]
    fn the_places_where_two_values_differ_ignore_the_values() {
        let want = envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", CAROL);
        let have = envelope("\"Mon, 01 Mar 2021 03:47:08 +0100\"", CAROL);
        assert_eq!(difference(&want, &have), Some(vec!["1.0".to_string()]));
        // Another date, differing the same way: the same place.
        let have2 = envelope("NIL", CAROL);
        assert_eq!(difference(&want, &have2), difference(&want, &have));
        // Sender, from and reply-to differ instead.
        let have3 = envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", "NIL");
        assert_eq!(
            difference(&want, &have3),
            Some(vec!["1.2".to_string(), "1.3".into(), "1.4".into()])
        );
    }

    #[test]
    fn prose_and_items_of_different_names_have_no_place_shape() {
        assert_eq!(difference("a tagged OK", "a tagged BAD"), None);
        assert_eq!(difference("FLAGS (\\Seen)", "UID 4"), None);
        assert_eq!(difference("(unbalanced", "(unbalanced"), None);
        assert_eq!(
            difference(
                "BODY[HEADER.FIELDS (DATE)] \"x\"",
                "BODY[HEADER.FIELDS (DATE)] \"y\""
            ),
            None,
            "a string differs as a whole: no list, nothing finer than the signature"
        );
        assert_eq!(
            difference("FLAGS (\\Seen)", "FLAGS (\\Seen \\Draft)"),
            Some(vec!["1#set".to_string()])
        );
        // Flags are a set: their order is no place, and other flags missing are the same
        // difference.
        assert_eq!(
            difference("FLAGS (\\Seen \\Draft)", "FLAGS (\\Draft \\Seen)"),
            Some(vec![])
        );
        assert_eq!(
            difference("FLAGS (\\Seen \\Draft)", "FLAGS (\\Flagged \\Seen)"),
            difference("FLAGS (\\Answered \\Draft)", "FLAGS (\\Deleted)"),
        );
    }

    #[test]
    fn an_envelope_whose_sender_differs_is_not_the_envelope_whose_date_differs() {
        let want = envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", CAROL);
        let date = finding(
            ENVELOPE_RULE,
            SUMMARY,
            &want,
            &envelope("\"Mon, 1 Mar 2021\"", CAROL),
        );
        let sender = finding(
            ENVELOPE_RULE,
            SUMMARY,
            &want,
            &envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", "NIL"),
        );
        assert_eq!(Signature::of(&date), Signature::of(&sender), "one rule");
        let sought = Sought::of(&date);
        assert!(sought.is(&date));
        assert!(!sought.is(&sender));
        // The same fault with other values (another message, another date) is the same.
        let again = finding(
            ENVELOPE_RULE,
            "ENVELOPE of message 3 differs from the model's",
            &envelope("\"Tue, 2 Mar 2021 00:00:00 +0000\"", CAROL),
            &envelope("NIL", CAROL),
        );
        assert!(sought.shown_by(&[sender.clone(), again]));
        assert!(!sought.shown_by(&[sender]));
    }

    /// A server that ends a message's header at a line without a colon (so the envelope
    /// loses the fields after it) and also garbles a Date field it cannot parse: both
    /// are faults of the one ENVELOPE rule, with the same summary.
    fn judged(lines: &[&str]) -> Vec<Finding> {
        let want = envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", CAROL);
        let mut out = Vec::new();
        if lines.contains(&"Date: Mon, 1 Mar 2021 03:47:08 +0100 (bad)") {
            out.push(finding(
                ENVELOPE_RULE,
                SUMMARY,
                &want,
                &envelope("NIL", CAROL),
            ));
        }
        if lines.contains(&"Colonless line") {
            let have = envelope("\"Mon, 1 Mar 2021 03:47:08 +0100\"", "NIL");
            out.push(finding(ENVELOPE_RULE, SUMMARY, &want, &have));
        }
        out
    }

    #[test]
    fn the_minimiser_refuses_a_shorter_case_showing_another_fault_of_the_same_rule() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let runner = super::super::Runner::new(
            Vec::new(),
            rt.handle().clone(),
            super::super::MinimizeOptions::default(),
        )
        .unwrap();
        let budget = super::super::Budget {
            tests: AtomicU64::new(0),
            max_tests: 10_000,
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
            stop: None,
        };
        // The colon-less line comes first: the first half of the case shows the other
        // fault, which a signature alone would take.
        let lines = vec![
            "Colonless line",
            "From: Carol <carol@example.com>",
            "Date: Mon, 1 Mar 2021 03:47:08 +0100 (bad)",
            "Subject: hello",
        ];
        let date_fault = judged(&[lines[2]]).remove(0);
        let sought = Sought::of(&date_fault);
        let by_signature = |c: &[&str]| {
            budget.tests.fetch_add(1, Ordering::Relaxed);
            judged(c)
                .iter()
                .any(|f| Signature::of(f) == sought.signature)
        };
        let by_finding = |c: &[&str]| sought.shown_by(&judged(c));
        assert_eq!(
            super::super::ddmin(lines.clone(), &by_signature, &runner, &budget),
            ["Colonless line"],
            "the signature alone lets the case become another fault"
        );
        let kept = super::super::ddmin(lines, &by_finding, &runner, &budget);
        assert_eq!(kept, ["Date: Mon, 1 Mar 2021 03:47:08 +0100 (bad)"]);
        assert!(sought.shown_by(&judged(&kept)));
    }
}
