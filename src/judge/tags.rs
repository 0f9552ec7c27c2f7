//! Tagged responses that answer no command the client sent.
//!
//! RFC 2060 §2.2.2: "The server completion result response indicates the success or
//! failure of the operation. It is tagged with the same tag as the client command which
//! began the operation." A tagged status response (`tag OK|NO|BAD ...`, §7.1) whose tag
//! the client never sent answers no operation: a [`Kind::Violation`] of
//! `2060-2.2.2-tag-matches` (level DEFINITION).
//!
//! The tags "sent" are the first words of every line the client sent so far in the
//! session, lines inside its literals included: a server that misreads a literal's length
//! (a mutated `{n}`, or `{n+}` without LITERAL+) may read those lines as commands and
//! answer them, which is a different fault, judged elsewhere. Only a line shaped like a
//! tagged status response counts here (a `tag` of ASTRING-CHARs other than `+`, then SP
//! and OK, NO or BAD); anything else that is not `*` or `+` is the syntax judge's.

use std::collections::HashSet;

use super::syntax::observed;
use super::{Kind, Verdict};
use crate::model::Profile;
use crate::wire::{escape, Event, Fragment, Message, Transcript};

/// The requirement broken by a tagged response with a tag never sent.
pub const RULE: &str = "2060-2.2.2-tag-matches";

/// The tag and status word of a line shaped like a tagged status response.
pub(super) fn tagged_status(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut words = line.splitn(3, |&b| b == b' ');
    let tag = words.next()?;
    let status = words.next()?;
    let status = crate::wire::strip_eol(status);
    // RFC 2060 §9: tag = 1*<any ATOM_CHAR except "+">; ASTRING-CHAR (RFC 3501) adds "]".
    let tag_char = |c: &u8| {
        c.is_ascii_graphic() && !b"(){%*\"\\+".contains(c) // no atom-specials, no "+"
    };
    let is_status = [&b"OK"[..], b"NO", b"BAD"]
        .iter()
        .any(|s| status.eq_ignore_ascii_case(s));
    (!tag.is_empty() && tag.iter().all(tag_char) && is_status).then_some((tag, status))
}

/// The first word of each line in `bytes` (a client line, or a client literal's data).
fn first_words(bytes: &[u8], into: &mut HashSet<Vec<u8>>) {
    for line in bytes.split(|&b| b == b'\n') {
        let word = line.split(|&b| b == b' ').next().unwrap_or_default();
        let word = crate::wire::strip_eol(word);
        if !word.is_empty() {
            into.insert(word.to_vec());
        }
    }
}

/// Every tagged status response whose tag the client had not sent by then.
pub fn judge_tags(target: &str, t: &Transcript) -> Vec<Verdict> {
    judge_tags_in(target, t, Profile::Rfc2060)
}

/// [`judge_tags`], its summaries citing `profile`'s document (RFC 2060 and RFC 3501 both
/// number the section 2.2.2).
pub fn judge_tags_in(target: &str, t: &Transcript, profile: Profile) -> Vec<Verdict> {
    let doc = super::grammar::document(profile);
    let mut sent: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    let mut check = |m: &Message, step: Option<usize>, sent: &HashSet<Vec<u8>>, cmd: &str| {
        let Some((tag, status)) = tagged_status(m.first_line()) else {
            return;
        };
        if sent.contains(tag) {
            return;
        }
        out.push(Verdict {
            kind: Kind::Violation,
            targets: vec![target.to_string()],
            step,
            rule: Some(RULE.to_string()),
            summary: format!(
                "tagged {} response with the tag `{}`, which the client never sent ({doc} §2.2.2)",
                String::from_utf8_lossy(status).to_ascii_uppercase(),
                escape(tag)
            ),
            expected: if cmd.is_empty() {
                "no tagged response before any command".into()
            } else {
                format!("responses tagged `{cmd}` or untagged (`*`)")
            },
            observed: observed(&m.to_bytes()),
            cause: None,
        });
    };
    if let Some(g) = &t.greeting {
        check(g, None, &sent, "");
    }
    for (step, e) in t.steps() {
        let cmd = escape(e.command().tag());
        for ev in &e.events {
            match ev {
                Event::Client(m) => {
                    for f in &m.fragments {
                        match f {
                            Fragment::Line(l) => first_words(l, &mut sent),
                            Fragment::Literal(d) => first_words(d, &mut sent),
                        }
                    }
                }
                Event::Server(m) => check(m, step, &sent, &cmd),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Exchange;

    use crate::judge::fixture::logged_in as t;

    #[test]
    fn a_tagged_answer_with_a_tag_never_sent_is_a_violation() {
        let v = judge_tags(
            "h",
            &t(vec![Exchange::from_lines(
                "a1 NOOP",
                &["zz9 OK done", "a1 OK done"],
            )]),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::Violation);
        assert_eq!(v[0].rule.as_deref(), Some(RULE));
        assert_eq!(v[0].step, Some(0));
        assert!(v[0].summary.contains("`zz9`"), "{}", v[0].summary);
        assert!(v[0].expected.contains("`a1`"), "{}", v[0].expected);
    }

    #[test]
    fn the_summary_cites_the_profiles_document_rfc2060_2_2_2_rfc3501_2_2_2() {
        let script = || {
            vec![Exchange::from_lines(
                "a1 NOOP",
                &["zz9 OK done", "a1 OK done"],
            )]
        };
        for (profile, doc, other) in [
            (Profile::Rfc2060, "(RFC 2060 §2.2.2)", "RFC 3501"),
            (Profile::Rfc3501, "(RFC 3501 §2.2.2)", "RFC 2060"),
        ] {
            let v = judge_tags_in("h", &t(script()), profile);
            assert!(v[0].summary.ends_with(doc), "{}", v[0].summary);
            assert!(!v[0].summary.contains(other), "{}", v[0].summary);
        }
    }

    #[test]
    fn answers_to_tags_the_client_sent_are_not_judged_here() {
        // The current command, an earlier one (a late answer is another fault), and a
        // line inside a literal the server may have read as a command.
        let mut append = Exchange::from_lines("a2 APPEND INBOX {12}", &["a2 OK"]);
        if let Event::Client(m) = &mut append.events[0] {
            m.fragments
                .push(Fragment::Literal(b"x1 NOOP\r\nhi\r\n".to_vec()));
        }
        append
            .events
            .insert(1, Event::Server(Message::line("x1 BAD what")));
        let v = judge_tags(
            "h",
            &t(vec![
                Exchange::from_lines("a1 NOOP", &["* 3 EXISTS", "a1 OK"]),
                append,
                Exchange::from_lines("a3 NOOP", &["a1 NO late", "+ go", "a3 OK"]),
            ]),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn garbage_is_not_mistaken_for_a_tagged_response() {
        let v = judge_tags(
            "h",
            &t(vec![Exchange::from_lines(
                "a1 NOOP",
                &["\u{1}\u{2} garbage", "a(b OK x", "zz OKAY", "a1 OK"],
            )]),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_tagged_greeting_answers_nothing() {
        let mut tr = t(vec![]);
        tr.greeting = Some(Message::line("a1 OK hello"));
        let v = judge_tags("h", &tr);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].step, None);
    }
}
