//! Mailbox names: INBOX (RFC 2060 §5.1), hierarchy (§5.1.1, §6.3.3) and LIST patterns
//! and references (§6.3.8, with the recommendations of RFC 2683 §3.4.9).
//!
//! Names are byte strings, compared byte for byte: RFC 3501 §5.1 "takes no position on
//! case sensitivity in non-INBOX mailbox names". Callers pass names through
//! [`canonical`] first so that every case variant of INBOX reads `INBOX`.

/// RFC 2060 §5.1: "the case-insensitive mailbox name INBOX is a special name reserved to
/// mean "the primary mailbox for this user on this server"". True for every ASCII case
/// variant of `INBOX` and nothing else (not `INBOX.sub`, not ` INBOX`).
pub fn is_inbox(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"INBOX")
}

/// RFC 2060 §5.1, RFC 3501 §9 (`mailbox`: "All case variants of INBOX (e.g., "iNbOx")
/// MUST be interpreted as INBOX"): the name as the model stores it. Every case variant of
/// INBOX becomes `INBOX`; every other name is returned unchanged.
///
/// Decision: only the name INBOX itself is folded. Both RFCs make "the case-insensitive
/// mailbox name INBOX" special, not names that merely begin with it; whether `inbox.x`
/// is the same mailbox as `INBOX.x` is left to the server ("The interpretation of all
/// other names is implementation-dependent", RFC 3501 §5.1). Some servers fold the first
/// level, others do not, so the oracle should not judge those names: see
/// [`inbox_case_is_server_defined`].
pub fn canonical(name: &[u8]) -> Vec<u8> {
    if is_inbox(name) {
        b"INBOX".to_vec()
    } else {
        name.to_vec()
    }
}

/// RFC 3501 §5.1: true when the first hierarchy level of `name` is a case variant of INBOX
/// other than `INBOX` itself (e.g. `inbox.x`, `Inbox/y`). Whether such a name is an
/// inferior of INBOX, or an unrelated name, is implementation-dependent (see
/// [`canonical`]); the oracle should avoid judging commands that use one.
pub fn inbox_case_is_server_defined(name: &[u8], delimiter: Option<u8>) -> bool {
    let Some(d) = delimiter else {
        return false;
    };
    name.len() > 5 && name[5] == d && is_inbox(&name[..5]) && &name[..5] != b"INBOX"
}

/// RFC 2060 §6.3.8: whether mailbox `name` matches the LIST/LSUB `pattern`. "The
/// character "*" is a wildcard, and matches zero or more characters at this position.
/// The character "%" is similar to "*", but it does not match a hierarchy delimiter."
/// All other bytes match themselves exactly. Without a hierarchy delimiter (`None`) `%`
/// behaves like `*`.
///
/// INBOX: "The special name INBOX is included in the output from LIST ... if the
/// uppercase string "INBOX" matches the interpreted reference and mailbox name
/// arguments": pass `INBOX` as `name` (see [`canonical`]). The extra levels that a
/// trailing `%` returns as `\Noselect` are the caller's business; this function is the
/// matching of one name against one (already interpreted) pattern.
///
/// Runs in O(pattern × name) time and O(pattern) space by simulating the pattern as an
/// automaton (no backtracking), so `*%*%*%…` patterns cannot explode.
pub fn list_pattern_matches(pattern: &[u8], name: &[u8], delimiter: Option<u8>) -> bool {
    let n = pattern.len();
    let wildcard = |i: usize| matches!(pattern[i], b'*' | b'%');
    // `states[i]`: the name so far can be matched by `pattern[..i]`.
    let close = |states: &mut [bool]| {
        for i in 0..n {
            if states[i] && wildcard(i) {
                states[i + 1] = true;
            }
        }
    };
    let mut cur = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    cur[0] = true;
    close(&mut cur);
    for &c in name {
        next.iter_mut().for_each(|s| *s = false);
        let mut any = false;
        for i in 0..n {
            if !cur[i] {
                continue;
            }
            let (to, ok) = match pattern[i] {
                b'*' => (i, true),
                b'%' => (i, Some(c) != delimiter),
                lit => (i + 1, lit == c),
            };
            if ok {
                next[to] = true;
                any = true;
            }
        }
        if !any {
            return false;
        }
        close(&mut next);
        std::mem::swap(&mut cur, &mut next);
    }
    cur[n]
}

/// RFC 2060 §6.3.8: the pattern that LIST/LSUB `reference` and mailbox name `pattern`
/// combine into, by the minimum rule of RFC 2683 §3.4.9: "the reference argument may be
/// prepended to the mailbox name (while suppressing double delimiters)" and "should insert
/// a hierarchy delimiter between them, and must not insert a second if one is already
/// present". So: an empty reference leaves the pattern alone ("interpreted as by
/// SELECT"); otherwise the reference, one delimiter, and the pattern (an empty pattern
/// yields the reference unchanged).
///
/// RFC 2060 §6.3.8 leaves the interpretation "implementation-defined" beyond that:
/// breakouts (`~smith/Mail/` + `/usr/doc/foo` → `/usr/doc/foo`), a leading delimiter in
/// the pattern (discarded or a breakout, RFC 2683 §3.4.9), a reference without a trailing
/// delimiter (some servers concatenate without inserting one), the root name returned for
/// an empty pattern. The result is only what the RFC's simple rule gives; check
/// [`reference_is_server_defined`] before judging a server by it.
pub fn list_canonical_pattern(reference: &[u8], pattern: &[u8], delimiter: Option<u8>) -> Vec<u8> {
    let mut out = reference.to_vec();
    if reference.is_empty() || pattern.is_empty() {
        out.extend_from_slice(pattern);
        return out;
    }
    match delimiter {
        Some(d) => {
            let ref_ends = reference.last() == Some(&d);
            let pat_starts = pattern.first() == Some(&d);
            match (ref_ends, pat_starts) {
                (true, true) => out.extend_from_slice(&pattern[1..]),
                (false, false) => {
                    out.push(d);
                    out.extend_from_slice(pattern);
                }
                _ => out.extend_from_slice(pattern),
            }
        }
        None => out.extend_from_slice(pattern),
    }
    out
}

/// RFC 2060 §6.3.8 and RFC 2683 §3.4.9: true when the RFCs leave the meaning of this
/// reference/pattern pair to the server, so that no LIST/LSUB answer can be judged
/// against [`list_canonical_pattern`]. False whenever the reference is empty. With a
/// non-empty reference, true when:
/// - the server has no hierarchy delimiter (a reference is "a level of mailbox
///   hierarchy", and there is none);
/// - the pattern is empty: "return the hierarchy delimiter and the root name of the name
///   given in the reference. The value returned as the root MAY be null";
/// - the reference does not end with the delimiter (RFC 2683: "some servers prepend the
///   reference argument to the mailbox name without inserting a hierarchy delimiter,
///   while others do insert a hierarchy delimiter");
/// - the pattern starts with the delimiter ("In some cases, a leading hierarchy delimiter
///   means "discard the reference argument" ... In other cases ... the two are catenated
///   and the extra hierarchy delimiter is discarded");
/// - the pattern starts with `~` or `#`, the breakouts of the RFC 2060 §6.3.8 examples
///   (`archive/` + `~fred/Mail/*` → `~fred/Mail/*`) and namespaces (§5.1.2).
///
/// Even when this is false the server may answer NO ("can't list that reference").
pub fn reference_is_server_defined(
    reference: &[u8],
    pattern: &[u8],
    delimiter: Option<u8>,
) -> bool {
    if reference.is_empty() {
        return false;
    }
    let Some(d) = delimiter else {
        return true;
    };
    pattern.is_empty()
        || reference.last() != Some(&d)
        || matches!(pattern.first(), Some(&c) if c == d || c == b'~' || c == b'#')
}

/// RFC 2060 §6.3.3: "If the mailbox name is suffixed with the server's hierarchy separator
/// character ..., this is a declaration that the client intends to create mailbox names
/// under this name in the hierarchy." Returns the name without one trailing delimiter, and
/// whether there was one. A name that is only the delimiter is returned unchanged (false).
pub fn strip_trailing_delimiter(name: &[u8], delimiter: u8) -> (&[u8], bool) {
    match name.split_last() {
        Some((&last, rest)) if last == delimiter && !rest.is_empty() => (rest, true),
        _ => (name, false),
    }
}

/// RFC 2060 §6.3.3: the superior hierarchical names of `name`, shortest first, that CREATE
/// "SHOULD create ... if they do not already exist": "an attempt to create "foo/bar/zap"
/// ... SHOULD create foo/ and foo/bar/". Returned without their trailing delimiter
/// (`a.b.c` → `a`, `a.b`). A trailing delimiter on `name` is stripped first
/// ([`strip_trailing_delimiter`]). Empty levels are skipped: no superior is the empty name
/// or ends with the delimiter (`/a/b` → `/a`, `a..b` → `a`); what a server makes of such
/// names is implementation-dependent (§5.1).
pub fn superiors(name: &[u8], delimiter: u8) -> Vec<Vec<u8>> {
    let (name, _) = strip_trailing_delimiter(name, delimiter);
    (1..name.len())
        .filter(|&i| name[i] == delimiter && name[i - 1] != delimiter)
        .map(|i| name[..i].to_vec())
        .collect()
}

/// RFC 2060 §5.1.1, §6.3.4, §6.3.5: whether `name` is an inferior hierarchical name of
/// `parent` (at any depth): `parent`, the delimiter, then at least one more byte. Byte
/// comparison; pass names through [`canonical`] (RFC 3501 §6.3.5: "inferior hierarchical
/// names of INBOX" are `INBOX.bar` in its example).
pub fn inferiors_of(parent: &[u8], name: &[u8], delimiter: u8) -> bool {
    name.len() > parent.len() + 1 && name.starts_with(parent) && name[parent.len()] == delimiter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str, d: Option<u8>) -> bool {
        list_pattern_matches(pattern.as_bytes(), name.as_bytes(), d)
    }

    fn canon(reference: &str, pattern: &str, d: u8) -> String {
        String::from_utf8(list_canonical_pattern(
            reference.as_bytes(),
            pattern.as_bytes(),
            Some(d),
        ))
        .unwrap()
    }

    #[test]
    fn inbox_is_case_insensitive_only_as_a_whole_name() {
        // RFC 2060 §5.1; RFC 3501 §9 `mailbox`: "All case variants of INBOX (e.g.,
        // "iNbOx") MUST be interpreted as INBOX".
        for n in ["INBOX", "inbox", "iNbOx", "Inbox"] {
            assert!(is_inbox(n.as_bytes()));
            assert_eq!(canonical(n.as_bytes()), b"INBOX");
        }
        for n in ["INBOX.bar", "inbox2", "INBO", " INBOX", ""] {
            assert!(!is_inbox(n.as_bytes()));
        }
        assert_eq!(canonical(b"inbox.x"), b"inbox.x");
        assert_eq!(canonical(b"Sent"), b"Sent");
        assert!(inbox_case_is_server_defined(b"inbox.x", Some(b'.')));
        assert!(inbox_case_is_server_defined(b"Inbox/x", Some(b'/')));
        assert!(!inbox_case_is_server_defined(b"INBOX.x", Some(b'.')));
        assert!(!inbox_case_is_server_defined(b"inbox", Some(b'.')));
        assert!(!inbox_case_is_server_defined(b"inboxes.x", Some(b'.')));
        assert!(!inbox_case_is_server_defined(b"inbox.x", None));
    }

    #[test]
    fn star_and_percent() {
        // RFC 2060 §6.3.8: "*" matches zero or more characters; "%" does not match a
        // hierarchy delimiter.
        let d = Some(b'/');
        assert!(m("*", "", d));
        assert!(m("*", "a/b/c", d));
        assert!(m("%", "abc", d));
        assert!(!m("%", "a/b", d));
        assert!(m("a/%", "a/b", d));
        assert!(!m("a/%", "a/b/c", d));
        assert!(m("a/*", "a/b/c", d));
        assert!(m("a%c", "ac", d));
        assert!(m("a%c", "abbc", d));
        assert!(!m("a%c", "a/c", d));
        assert!(m("a*c", "a/c", d));
        assert!(!m("abc", "ABC", d));
        assert!(!m("ab", "abc", d));
        assert!(!m("abc", "ab", d));
        // Without a delimiter "%" is "*".
        assert!(m("%", "a/b", None));
    }

    #[test]
    fn rfc3501_rename_example_lists_inbox_and_its_inferior() {
        // RFC 3501 §6.3.5: LIST "" * → INBOX, INBOX.bar (delimiter ".").
        let d = Some(b'.');
        assert!(m("*", "INBOX", d));
        assert!(m("*", "INBOX.bar", d));
        assert!(m("%", "INBOX", d));
        assert!(!m("%", "INBOX.bar", d));
        assert!(inferiors_of(b"INBOX", b"INBOX.bar", b'.'));
    }

    #[test]
    fn pathological_patterns_are_linear() {
        let pattern: String = "*%".repeat(1000) + "x";
        let name = "a".repeat(5000);
        let start = std::time::Instant::now();
        assert!(!m(&pattern, &name, Some(b'/')));
        assert!(m(&pattern, &(name.clone() + "x"), Some(b'/')));
        let pattern: String = "%a".repeat(500) + "b";
        assert!(!m(&pattern, &name, Some(b'/')));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn rfc2060_reference_table() {
        // RFC 2060 §6.3.8 "examples of how references and mailbox names might be
        // interpreted on a UNIX-based server".
        assert_eq!(canon("~smith/Mail/", "foo.*", b'/'), "~smith/Mail/foo.*");
        assert_eq!(canon("archive/", "%", b'/'), "archive/%");
        assert_eq!(canon("#news.", "comp.mail.*", b'.'), "#news.comp.mail.*");
        assert!(!reference_is_server_defined(
            b"~smith/Mail/",
            b"foo.*",
            Some(b'/')
        ));
        assert!(!reference_is_server_defined(b"archive/", b"%", Some(b'/')));
        assert!(!reference_is_server_defined(
            b"#news.",
            b"comp.mail.*",
            Some(b'.')
        ));
        // The breakouts: "~smith/Mail/ /usr/doc/foo → /usr/doc/foo" and
        // "archive/ ~fred/Mail/* → ~fred/Mail/*" are the server's own reading.
        assert!(reference_is_server_defined(
            b"~smith/Mail/",
            b"/usr/doc/foo",
            Some(b'/')
        ));
        assert!(reference_is_server_defined(
            b"archive/",
            b"~fred/Mail/*",
            Some(b'/')
        ));
    }

    #[test]
    fn rfc2060_list_examples() {
        // A101 LIST "" "" → (\Noselect) "/" "": an empty pattern is the delimiter request;
        // with an empty reference there is nothing server-defined about the reference.
        assert_eq!(canon("", "", b'/'), "");
        assert!(!reference_is_server_defined(b"", b"", Some(b'/')));
        // A102 LIST #news.comp.mail.misc "" → "." #news. : the root is the server's.
        assert!(reference_is_server_defined(
            b"#news.comp.mail.misc",
            b"",
            Some(b'.')
        ));
        // A103 LIST /usr/staff/jones "" → "/" / : likewise.
        assert!(reference_is_server_defined(
            b"/usr/staff/jones",
            b"",
            Some(b'/')
        ));
        // A202 LIST ~/Mail/ % → ~/Mail/foo, ~/Mail/meetings.
        let p = list_canonical_pattern(b"~/Mail/", b"%", Some(b'/'));
        assert_eq!(p, b"~/Mail/%");
        assert!(list_pattern_matches(&p, b"~/Mail/foo", Some(b'/')));
        assert!(list_pattern_matches(&p, b"~/Mail/meetings", Some(b'/')));
        assert!(!list_pattern_matches(&p, b"~/Mail/foo/bar", Some(b'/')));
        assert!(!list_pattern_matches(&p, b"~/Other/foo", Some(b'/')));
    }

    #[test]
    fn rfc2683_delimiter_rules() {
        // RFC 2683 §3.4.9: "LIST ABC DEF" should give ABC/DEF; "LIST ABC/ /DEF" must not
        // give ABC//DEF. Both are server-defined (no trailing / leading delimiter).
        assert_eq!(canon("ABC", "DEF", b'/'), "ABC/DEF");
        assert_eq!(canon("ABC/", "/DEF", b'/'), "ABC/DEF");
        assert_eq!(canon("ABC/", "DEF", b'/'), "ABC/DEF");
        assert_eq!(canon("ABC", "/DEF", b'/'), "ABC/DEF");
        assert!(reference_is_server_defined(b"ABC", b"DEF", Some(b'/')));
        assert!(reference_is_server_defined(b"ABC/", b"/DEF", Some(b'/')));
        assert!(!reference_is_server_defined(b"ABC/", b"DEF", Some(b'/')));
        assert!(reference_is_server_defined(b"ABC", b"DEF", None));
        assert_eq!(list_canonical_pattern(b"ABC", b"DEF", None), b"ABCDEF");
        assert_eq!(canon("", "/DEF", b'/'), "/DEF");
    }

    #[test]
    fn create_superiors_and_trailing_delimiter() {
        // RFC 2060 §6.3.3: creating "foo/bar/zap" SHOULD create foo/ and foo/bar/.
        assert_eq!(
            superiors(b"foo/bar/zap", b'/'),
            vec![b"foo".to_vec(), b"foo/bar".to_vec()]
        );
        assert_eq!(
            superiors(b"a.b.c", b'.'),
            vec![b"a".to_vec(), b"a.b".to_vec()]
        );
        assert!(superiors(b"a", b'.').is_empty());
        // "CREATE owatagusiam/": a declaration, no superior.
        assert_eq!(
            strip_trailing_delimiter(b"owatagusiam/", b'/'),
            (&b"owatagusiam"[..], true)
        );
        assert!(superiors(b"owatagusiam/", b'/').is_empty());
        assert_eq!(superiors(b"a/b/", b'/'), vec![b"a".to_vec()]);
        assert_eq!(strip_trailing_delimiter(b"a", b'/'), (&b"a"[..], false));
        assert_eq!(strip_trailing_delimiter(b"/", b'/'), (&b"/"[..], false));
        // Empty levels.
        assert_eq!(superiors(b"/a/b", b'/'), vec![b"/a".to_vec()]);
        assert_eq!(superiors(b"a//b", b'/'), vec![b"a".to_vec()]);
    }

    #[test]
    fn inferiors() {
        assert!(inferiors_of(
            b"owatagusiam",
            b"owatagusiam/blurdybloop",
            b'/'
        ));
        assert!(inferiors_of(b"a", b"a/b/c", b'/'));
        assert!(!inferiors_of(b"a", b"a", b'/'));
        assert!(!inferiors_of(b"a", b"a/", b'/'));
        assert!(!inferiors_of(b"a", b"ab/c", b'/'));
        assert!(!inferiors_of(b"a/b", b"a", b'/'));
    }
}
