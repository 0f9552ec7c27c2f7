//! What a divergence is about, in words: one line a reviewer can act on
//! ("cyrus answers NO where courier and dovecot answer OK", "courier sends no `* 2 EXISTS`
//! where cyrus, dovecot do"), and whether the difference shows a different mailbox state.
//!
//! Both work on the normalised lines of [`super::normalize`]: `<tag> STATUS [CODE]` for
//! the tagged completion, one line per untagged response, and
//! `<no response: session ended (...)>` when the session ended first.

/// At most this many differences are named in one reason; the rest are counted.
const MAX_CLAUSES: usize = 2;

/// Characters of a line shown around the place where two lines differ.
const WINDOW: usize = 60;

/// One side of a comparison: the targets that gave one answer, its normalised lines, and
/// the human-readable text of its tagged completion (`Message contains bare newlines`)
/// when one target gave it.
pub struct Side<'a> {
    pub names: &'a [String],
    pub lines: &'a [String],
    pub text: Option<String>,
}

/// The reason `these` differ from `others`, one line.
pub fn reason(these: &Side<'_>, others: &Side<'_>) -> String {
    let (theirs, ours) = (these.lines, others.lines);
    let a = names(these.names);
    let b = names(others.names);
    let with_text = |side: &Side<'_>| {
        let o = describe_outcome(side.lines);
        // The text of a refusal says why; that of an OK says nothing.
        match &side.text {
            Some(t) if !t.is_empty() && outcome(side.lines) != Some("OK") => {
                format!("{o} (`{}`)", short(t))
            }
            _ => o,
        }
    };
    let (outcome_a, outcome_b) = (with_text(these), with_text(others));
    let (these, others) = (these.names, others.names);
    let (sa, sb) = (these.len() == 1, others.len() == 1);
    match (outcome(theirs), outcome(ours)) {
        (None, _) => {
            return format!(
                "{a}'s session ended ({}) before an answer, where {b} {} {}",
                ended_why(theirs),
                verb("answer", sb),
                describe_outcome(ours)
            )
        }
        (_, None) => {
            return format!(
                "{a} {} {} where {b}'s session ended ({}) before an answer",
                verb("answer", sa),
                describe_outcome(theirs),
                ended_why(ours)
            )
        }
        (Some(x), Some(y)) if x != y => {
            return format!(
                "{a} {} {outcome_a} where {b} {} {outcome_b}",
                verb("answer", sa),
                verb("answer", sb),
            )
        }
        _ => {}
    }
    let (only_theirs, only_ours) = unmatched(theirs, ours);
    let mut clauses = Vec::new();
    let mut used_ours = vec![false; only_ours.len()];
    for t in &only_theirs {
        let k = key(t);
        match only_ours
            .iter()
            .enumerate()
            .find(|(j, o)| !used_ours[*j] && key(o) == k)
        {
            Some((j, o)) => {
                used_ours[j] = true;
                let bare = |l: &'_ str| l.strip_prefix("<tag> ").unwrap_or(l).to_string();
                let (x, y) = excerpts(&bare(t), &bare(o));
                let v = if k == TAGGED { "answer" } else { "send" };
                clauses.push(format!(
                    "{a} {} `{x}` where {b} {} `{y}`",
                    verb(v, sa),
                    verb(v, sb)
                ));
            }
            None => clauses.push(format!(
                "{a} {} `{}` where {b} {} not",
                verb("send", sa),
                short(t),
                verb("do", sb)
            )),
        }
    }
    for (o, _) in only_ours.iter().zip(&used_ours).filter(|(_, u)| !**u) {
        clauses.push(format!(
            "{a} {} no `{}` where {b} {}",
            verb("send", sa),
            short(o),
            verb("do", sb)
        ));
    }
    if clauses.is_empty() {
        // The same lines in another order (an EXPUNGE separates groups).
        return format!(
            "{a} {} the same responses as {b} in another order",
            verb("send", sa)
        );
    }
    let more = clauses.len().saturating_sub(MAX_CLAUSES);
    clauses.truncate(MAX_CLAUSES);
    let mut line = clauses.join("; ");
    if more > 0 {
        line.push_str(&format!(
            "; and {more} more difference{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    line
}

/// Whether the difference between two answers with the same outcome shows that the two
/// hold a different state (message counts, flags, message data, the mailbox list, a
/// read-only against a read-write selection): the target's later answers may then
/// differ only because of it. Status responses and their codes (`* OK [UNSEEN 1]`, a
/// `NO [TRYCREATE]` against a `NO`) and capabilities show no state.
pub fn reveals_state(theirs: &[String], ours: &[String]) -> bool {
    let (a, b) = unmatched(theirs, ours);
    a.iter().chain(&b).any(|l| !stateless(l))
}

/// Whether these answers differ only in refusing a command sent in a state where it is
/// not valid with NO or with BAD: RFC 2060 §3, "It is a protocol error for the client to
/// attempt a command while the command is in an inappropriate state. In this case, a
/// server will respond with a BAD or NO (depending upon server implementation)". `verb`
/// is the command's name (`FETCH`, `UID`) in a session's script, which runs after the
/// session authenticated; `selected` says, per target compared, whether a mailbox was
/// selected when it was sent. Counted: selected-state commands (RFC 2060 §6.4) sent with
/// nothing selected anywhere, and the non-authenticated state's LOGIN and AUTHENTICATE
/// (RFC 2060 §6.2), which the script always sends once authenticated.
pub fn refused_either_way(verb: &str, selected: &[bool], answers: &[&[String]]) -> bool {
    let selected_state = matches!(
        verb,
        "CHECK" | "CLOSE" | "EXPUNGE" | "SEARCH" | "FETCH" | "STORE" | "COPY" | "UID"
    );
    let wrong_state = matches!(verb, "LOGIN" | "AUTHENTICATE")
        || (selected_state && !selected.iter().any(|&s| s));
    wrong_state
        && answers.iter().all(|a| {
            matches!(a, [only] if only.starts_with("<tag> NO") || only.starts_with("<tag> BAD"))
        })
}

/// Whether a mailbox is selected after `exchanges`: the last SELECT or EXAMINE succeeded
/// and no CLOSE or UNSELECT followed it (a failed SELECT leaves none selected, RFC 3501
/// §6.3.1).
pub fn selected_after<'e>(exchanges: impl IntoIterator<Item = &'e crate::wire::Exchange>) -> bool {
    let mut selected = false;
    for e in exchanges {
        let cmd = e.command();
        let verb = cmd
            .first_line()
            .split(|&b| b == b' ')
            .nth(1)
            .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
            .unwrap_or_default();
        let ok = e.status().as_deref() == Some("OK");
        match verb.as_str() {
            "SELECT" | "EXAMINE" => selected = ok,
            "CLOSE" | "UNSELECT" if ok => selected = false,
            _ => {}
        }
    }
    selected
}

const TAGGED: &str = "<tag>";

/// The status of the tagged completion (`OK`, `NO`, `BAD`, ...), or `None` when the
/// session ended before one.
pub fn outcome(lines: &[String]) -> Option<&str> {
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("<tag> "))
        .and_then(|rest| rest.split(' ').next())
}

fn stateless(line: &str) -> bool {
    if let Some(rest) = line.strip_prefix("<tag> ") {
        return !(rest.contains("[READ-ONLY]") || rest.contains("[READ-WRITE]"));
    }
    [
        "* OK",
        "* NO",
        "* BAD",
        "* BYE",
        "* PREAUTH",
        "* CAPABILITY",
        "+",
    ]
    .iter()
    .any(|p| line == *p || line.starts_with(&format!("{p} ")))
}

/// The tagged status with its response code: `NO`, `NO [TRYCREATE]`.
fn describe_outcome(lines: &[String]) -> String {
    let tagged = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("<tag> "))
        .unwrap_or("");
    let mut words = tagged.split(' ');
    let status = words.next().unwrap_or("");
    match words.next() {
        Some(code) if code.starts_with('[') => {
            let code = code.trim_end_matches(']');
            format!("{status} {code}]")
        }
        _ => status.to_string(),
    }
}

/// `closed` from `<no response: session ended (closed)>`.
fn ended_why(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("<no response: session ended (")
                .map(|r| r.trim_end_matches(")>").to_string())
        })
        .unwrap_or_else(|| "without a tagged answer".into())
}

/// The lines of each side that the other side does not have (as multisets, in order).
fn unmatched<'a>(theirs: &'a [String], ours: &'a [String]) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut left: Vec<Option<&str>> = ours.iter().map(|s| Some(s.as_str())).collect();
    let mut only_theirs = Vec::new();
    for t in theirs {
        match left.iter_mut().find(|o| **o == Some(t.as_str())) {
            Some(slot) => *slot = None,
            None => only_theirs.push(t.as_str()),
        }
    }
    (only_theirs, left.into_iter().flatten().collect())
}

/// What kind of response a line is: `<tag>`, `* EXISTS`, `* FETCH`, `* OK [UNSEEN`,
/// `* LIST`.
fn key(line: &str) -> String {
    if line.starts_with("<tag> ") {
        return TAGGED.into();
    }
    let words: Vec<&str> = line.split(' ').take(3).collect();
    match words.as_slice() {
        ["*", n, w, ..] if n.starts_with('<') || n.chars().all(|c| c.is_ascii_digit()) => {
            format!("* {w}")
        }
        ["*", s, code, ..] if code.starts_with('[') => {
            format!("* {s} {}", code.split(']').next().unwrap_or(code))
        }
        ["*", w, ..] => format!("* {w}"),
        [w, ..] => (*w).to_string(),
        [] => String::new(),
    }
}

/// A line cut to [`WINDOW`] characters.
fn short(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WINDOW {
        line.to_string()
    } else {
        chars[..WINDOW].iter().collect::<String>() + "…"
    }
}

/// Each line around the first place where they differ.
fn excerpts(a: &str, b: &str) -> (String, String) {
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let first = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
    let start = first.saturating_sub(WINDOW / 3);
    let cut = |c: &[char]| {
        let end = (start + WINDOW).min(c.len());
        let mut s = String::new();
        if start > 0 {
            s.push('…');
        }
        s.extend(&c[start.min(c.len())..end]);
        if end < c.len() {
            s.push('…');
        }
        s
    };
    (cut(&ca), cut(&cb))
}

/// `cyrus`, `cyrus and dovecot`, `courier, cyrus and dovecot`.
fn names(n: &[String]) -> String {
    match n {
        [] => "no server".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The verb for one subject (`answers`, `sends`, `does`) or several.
fn verb(v: &str, singular: bool) -> String {
    match (v, singular) {
        ("do", true) => "does".into(),
        (v, true) => format!("{v}s"),
        (v, false) => v.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    fn n(names: &[&str]) -> Vec<String> {
        l(names)
    }

    /// `reason` of two sides without their texts.
    fn why(these: &[&str], theirs: &[&str], others: &[&str], ours: &[&str]) -> String {
        let (a, b, c, d) = (n(these), l(theirs), n(others), l(ours));
        reason(
            &Side {
                names: &a,
                lines: &b,
                text: None,
            },
            &Side {
                names: &c,
                lines: &d,
                text: None,
            },
        )
    }

    #[test]
    fn a_different_outcome_is_named_with_its_response_code() {
        let r = why(
            &["cyrus"],
            &["<tag> NO"],
            &["courier", "dovecot"],
            &["<tag> NO [TRYCREATE]"],
        );
        assert_eq!(
            r,
            "cyrus answers `NO` where courier and dovecot answer `NO [TRYCREATE]`"
        );
        let r = why(
            &["mailutils"],
            &["<tag> BAD"],
            &["dovecot"],
            &["* 1 FETCH (FLAGS (\\Seen))", "<tag> OK"],
        );
        assert_eq!(r, "mailutils answers BAD where dovecot answers OK");
    }

    #[test]
    fn a_different_outcome_quotes_the_servers_own_words_when_one_server_gave_them() {
        let (a, b, c, d) = (
            n(&["cyrus"]),
            l(&["<tag> NO"]),
            n(&["dovecot", "mailutils"]),
            l(&["* 1 EXISTS", "<tag> OK"]),
        );
        let r = reason(
            &Side {
                names: &a,
                lines: &b,
                text: Some("Message contains bare newlines".into()),
            },
            &Side {
                names: &c,
                lines: &d,
                text: None,
            },
        );
        assert_eq!(
            r,
            "cyrus answers NO (`Message contains bare newlines`) where dovecot and mailutils answer OK"
        );
    }

    #[test]
    fn a_missing_response_is_named_with_the_line_the_others_sent() {
        let r = why(
            &["courier"],
            &["<tag> OK"],
            &["cyrus", "dovecot"],
            &["* 2 EXISTS", "<tag> OK"],
        );
        assert_eq!(
            r,
            "courier sends no `* 2 EXISTS` where cyrus and dovecot do"
        );
        let r = why(
            &["courier"],
            &["* 2 EXISTS", "<tag> OK"],
            &["cyrus"],
            &["<tag> OK"],
        );
        assert_eq!(r, "courier sends `* 2 EXISTS` where cyrus does not");
    }

    #[test]
    fn a_changed_response_shows_both_around_where_they_differ() {
        let long = "x".repeat(100);
        let a = format!("* 1 FETCH (BODY[] \"{long}A\")");
        let b = format!("* 1 FETCH (BODY[] \"{long}B\")");
        let r = why(
            &["mailutils"],
            &[&a, "<tag> OK"],
            &["cyrus"],
            &[&b, "<tag> OK"],
        );
        assert!(r.starts_with("mailutils sends `…x"), "{r}");
        assert!(r.contains("A\")` where cyrus sends `…"), "{r}");
        assert!(r.ends_with("B\")`"), "{r}");
        assert!(r.len() < 200, "{r}");
    }

    #[test]
    fn a_session_that_ended_says_how() {
        let r = why(
            &["courier"],
            &["<no response: session ended (closed)>"],
            &["cyrus"],
            &["<tag> OK"],
        );
        assert_eq!(
            r,
            "courier's session ended (closed) before an answer, where cyrus answers OK"
        );
    }

    #[test]
    fn many_differences_are_counted_after_the_first_two() {
        let r = why(
            &["a"],
            &["* 1 EXISTS", "* 2 RECENT", "* 3 EXPUNGE", "<tag> OK"],
            &["b"],
            &["<tag> OK"],
        );
        assert!(r.ends_with("; and 1 more difference"), "{r}");
    }

    #[test]
    fn no_against_bad_for_a_command_in_the_wrong_state_is_the_servers_choice_rfc2060_3() {
        let (no, bad) = (l(&["<tag> NO"]), l(&["<tag> BAD"]));
        assert!(refused_either_way("FETCH", &[false, false], &[&no, &bad]));
        assert!(refused_either_way("UID", &[false, false], &[&no, &bad]));
        // A mailbox was selected somewhere: the command was valid there.
        assert!(!refused_either_way("FETCH", &[true, false], &[&no, &bad]));
        // Not a selected-state command.
        assert!(!refused_either_way("CREATE", &[false, false], &[&no, &bad]));
        // LOGIN once authenticated, selected or not.
        assert!(refused_either_way("LOGIN", &[true, false], &[&no, &bad]));
        // One server carried it out.
        let ok = l(&["* 1 FETCH (FLAGS ())", "<tag> OK"]);
        assert!(!refused_either_way("FETCH", &[false, false], &[&ok, &bad]));
    }

    #[test]
    fn a_mailbox_is_selected_after_a_successful_select_until_close() {
        use crate::wire::Exchange;
        let sel = Exchange::from_lines("a1 SELECT x", &["a1 OK"]);
        let bad_sel = Exchange::from_lines("a2 select y", &["a2 NO"]);
        let close = Exchange::from_lines("a3 CLOSE", &["a3 OK"]);
        assert!(selected_after([&sel]));
        assert!(!selected_after([&sel, &bad_sel]));
        assert!(!selected_after([&sel, &close]));
        assert!(!selected_after(std::iter::empty()));
    }

    #[test]
    fn status_responses_and_codes_show_no_state_but_data_does() {
        let with = l(&["* 1 EXISTS", "* OK [UNSEEN 1]", "<tag> OK [READ-WRITE]"]);
        let without = l(&["* 1 EXISTS", "<tag> OK [READ-WRITE]"]);
        assert!(!reveals_state(&without, &with));
        assert!(!reveals_state(
            &l(&["<tag> NO"]),
            &l(&["<tag> NO [TRYCREATE]"])
        ));
        assert!(reveals_state(
            &l(&["* 1 EXISTS", "<tag> OK [READ-ONLY]"]),
            &without
        ));
        assert!(reveals_state(
            &l(&["<tag> OK"]),
            &l(&["* 2 EXISTS", "<tag> OK"])
        ));
        assert!(reveals_state(
            &l(&["* 1 FETCH (FLAGS ())", "<tag> OK"]),
            &l(&["* 1 FETCH (FLAGS (\\Seen))", "<tag> OK"])
        ));
    }
}
