//! Feedback from the servers' answers (issue 4 §5): a response signature per command,
//! and the set of signatures a campaign has seen so far, so that a campaign can tell
//! when a session reached something new and show whether it is still learning.
//!
//! A signature is the connection state before the command (RFC 2060 §3), the command
//! (its name, with UID joined to its sub-command), the outcome (OK, NO, BAD, or none),
//! the kinds of untagged responses, and the response codes. Arguments are left out:
//! with them (every combination of FETCH items, SEARCH keys and names) nearly every
//! session looked new, and a signature should mark a new way for a server to answer.

use std::collections::{BTreeSet, HashSet};

use crate::wire::{Exchange, Transcript};

/// RFC 2060 §3 connection states, as far as the answers show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::NotAuthenticated => "nonauth",
            State::Authenticated => "auth",
            State::Selected => "selected",
            State::Logout => "logout",
        }
    }
}

/// The signatures of a transcript's script commands, in order.
pub fn signatures(t: &Transcript) -> Vec<String> {
    let mut state = match &t.greeting {
        Some(g) if g.first_line().starts_with(b"* PREAUTH") => State::Authenticated,
        _ => State::NotAuthenticated,
    };
    for e in &t.setup {
        state = next_state(state, e);
    }
    t.script
        .iter()
        .map(|e| {
            let sig = signature(state, e);
            state = next_state(state, e);
            sig
        })
        .collect()
}

fn verb(e: &Exchange) -> String {
    let line = e.command().first_line().to_ascii_uppercase();
    let mut words = line
        .split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .skip(1);
    let first = String::from_utf8_lossy(words.next().unwrap_or_default()).into_owned();
    if first == "UID" {
        let sub = String::from_utf8_lossy(words.next().unwrap_or_default()).into_owned();
        format!("UID {sub}")
    } else {
        first
    }
}

fn next_state(state: State, e: &Exchange) -> State {
    let ok = e.status().as_deref() == Some("OK");
    match (verb(e).as_str(), ok) {
        ("LOGOUT", _) => State::Logout,
        ("LOGIN" | "AUTHENTICATE", true) => State::Authenticated,
        ("SELECT" | "EXAMINE", true) => State::Selected,
        // RFC 2060 §6.3.1: a failed SELECT leaves no mailbox selected.
        ("SELECT" | "EXAMINE", false) if state == State::Selected => State::Authenticated,
        ("CLOSE", true) => State::Authenticated,
        _ => state,
    }
}

/// The kinds of untagged responses and every response code, sorted.
fn answers(e: &Exchange) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut kinds = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for m in e.responses() {
        let line = m.first_line();
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if let Some(open) = line.iter().position(|&b| b == b'[') {
            let code: Vec<u8> = line[open + 1..]
                .iter()
                .take_while(|&&b| b != b' ' && b != b']')
                .copied()
                .collect();
            codes.insert(String::from_utf8_lossy(&code).to_ascii_uppercase());
        }
        if words.first() != Some(&&b"*"[..]) {
            continue;
        }
        let kind = match words.get(1) {
            Some(w) if w.iter().all(u8::is_ascii_digit) => words.get(2).copied(),
            w => w.copied(),
        };
        if let Some(k) = kind {
            let k = String::from_utf8_lossy(k).to_ascii_uppercase();
            kinds.insert(k.trim_end_matches(['\r', '\n']).to_string());
        }
    }
    (kinds, codes)
}

fn signature(state: State, e: &Exchange) -> String {
    let (kinds, codes) = answers(e);
    let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join(" ");
    format!(
        "{} | {} | {} | {} | {}",
        state.as_str(),
        verb(e),
        e.status().unwrap_or_else(|| "-".into()),
        join(kinds),
        join(codes)
    )
}

/// The (target, signature) pairs a campaign has seen.
#[derive(Debug, Default)]
pub struct SignatureSet {
    seen: HashSet<(String, String)>,
}

impl SignatureSet {
    /// Adds a target's session; returns how many of its signatures were new for that
    /// target.
    pub fn add(&mut self, target: &str, t: &Transcript) -> usize {
        self.add_new(target, t).len()
    }

    /// Adds a target's session; returns its signatures that were new for that target.
    pub fn add_new(&mut self, target: &str, t: &Transcript) -> Vec<String> {
        signatures(t)
            .into_iter()
            .filter(|s| self.seen.insert((target.to_string(), s.clone())))
            .collect()
    }

    /// Adds one (target, signature) pair seen before (an interrupted campaign's, when it
    /// resumes).
    pub fn insert(&mut self, target: &str, signature: &str) {
        self.seen
            .insert((target.to_string(), signature.to_string()));
    }

    /// Distinct (target, signature) pairs so far.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{End, Exchange, Message};

    fn t(script: Vec<Exchange>) -> Transcript {
        Transcript {
            greeting: Some(Message::line("* OK hi")),
            setup: vec![Exchange::from_lines("s1 LOGIN u p", &["s1 OK in"])],
            script,
            end: End::Completed,
        }
    }

    #[test]
    fn a_signature_is_state_shape_outcome_kinds_and_codes() {
        let s = signatures(&t(vec![
            Exchange::from_lines(
                "a1 SELECT \"my box\"",
                &[
                    "* 2 EXISTS",
                    "* OK [UIDVALIDITY 9] x",
                    "a1 OK [READ-WRITE] done",
                ],
            ),
            Exchange::from_lines(
                "a2 fetch 1:2 (FLAGS BODY.PEEK[HEADER])",
                &["* 1 FETCH (FLAGS ())", "a2 OK done"],
            ),
        ]));
        assert_eq!(
            s[0],
            "auth | SELECT | OK | EXISTS OK | READ-WRITE UIDVALIDITY"
        );
        assert_eq!(s[1], "selected | FETCH | OK | FETCH | ");
    }

    #[test]
    fn arguments_do_not_make_new_signatures() {
        let a = t(vec![Exchange::from_lines(
            "a1 CREATE work",
            &["a1 OK done"],
        )]);
        let b = t(vec![Exchange::from_lines(
            "a7 CREATE \"old mail\"",
            &["a7 OK made it"],
        )]);
        let c = t(vec![Exchange::from_lines(
            "a1 CREATE work",
            &["a1 NO [ALREADYEXISTS] no"],
        )]);
        let mut set = SignatureSet::default();
        assert_eq!(set.add("dovecot", &a), 1);
        assert_eq!(set.add("dovecot", &b), 0);
        assert_eq!(set.add("cyrus", &b), 1, "new on another target");
        assert_eq!(set.add("dovecot", &c), 1, "another outcome and code");
        assert_eq!(set.len(), 3);
    }
}
