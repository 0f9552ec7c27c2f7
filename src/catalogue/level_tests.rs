//! Every entry's level read against its quote (RFC 2060 §1.2): a MUST quote holds MUST,
//! a DEFINITION quote no keyword and states which kind of definition it is, and "It is
//! an error" is an error.

use super::*;

/// The capitalised keywords of RFC 2060 §1.2 (and RFC 2119's REQUIRED, OPTIONAL,
/// SHALL, RECOMMENDED) in `quote`, as whole words; `MUST NOT` and `SHOULD NOT` are one
/// keyword each, so a bare `MUST` is one not followed by `NOT`.
fn keywords(quote: &str) -> Vec<String> {
    let words: Vec<&str> = quote
        .split(|c: char| !c.is_ascii_alphabetic() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if matches!(w, "MUST" | "SHOULD" | "SHALL") && words.get(i + 1) == Some(&"NOT") {
            out.push(format!("{w} NOT"));
            i += 2;
            continue;
        }
        if matches!(
            w,
            "MUST" | "SHOULD" | "SHALL" | "MAY" | "REQUIRED" | "OPTIONAL" | "RECOMMENDED"
        ) {
            out.push(w.to_string());
        }
        i += 1;
    }
    out
}

/// Words with which RFC 2060 grants a permission without the keyword MAY.
const PERMISSION: [&str; 8] = [
    "permitted",
    "permits",
    "possible",
    "can",
    "undefined",
    "no guarantee",
    "implementation-defined",
    "OPTIONAL",
];

/// Why `r`'s quote does not read at its level, if it does not.
fn level_mismatch(r: &Requirement) -> Option<String> {
    let k = keywords(&r.quote);
    let has = |w: &str| k.iter().any(|x| x == w);
    let ok = match r.level {
        // RFC 2060 §6 writes "Responses: REQUIRED untagged response: ..." for what
        // a command's answer must hold.
        Level::Must => has("MUST") || has("REQUIRED"),
        Level::MustNot => has("MUST NOT"),
        Level::Should => has("SHOULD"),
        Level::ShouldNot => has("SHOULD NOT"),
        Level::May => {
            has("MAY")
                || PERMISSION.iter().any(|p| {
                    r.quote
                        .split(|c: char| !c.is_ascii_alphabetic() && c != '-' && c != ' ')
                        .any(|part| format!(" {part} ").contains(&format!(" {p} ")))
                })
        }
        // A sentence without a keyword: one with a keyword has that keyword's level.
        Level::Definition => k.is_empty(),
        // The formal syntax has no keywords; its comments are quoted as they are.
        Level::Syntax => true,
    };
    (!ok).then(|| format!("{} ({}): keywords {k:?} in {:?}", r.id, r.level, r.quote))
}

#[test]
fn every_quote_holds_the_keyword_of_its_level() {
    let wrong: Vec<String> = catalogue()
        .requirements()
        .iter()
        .filter_map(level_mismatch)
        .collect();
    assert!(
        wrong.is_empty(),
        "levels that misread their quote:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_keyword_check_catches_a_misread_level() {
    let entry =
        |level: &str, quote: &str| {
            let text =
                format!(
            "[[requirement]]\nid = \"2060-1-x\"\nrfc = 2060\nsection = \"1\"\ntitle = \"T\"\n\
             level = \"{level}\"\n{}quote = \"{quote}\"\nnot_checked = \"a reason\"\n",
            if level == "DEFINITION" { "definition = \"value\"\n" } else { "" }
        );
            Catalogue::parse(&text).unwrap().requirements()[0].clone()
        };
    assert!(level_mismatch(&entry("MUST", "The server MUST NOT do it.")).is_some());
    assert!(level_mismatch(&entry("MUST NOT", "The server MUST NOT do it.")).is_none());
    assert!(level_mismatch(&entry("SHOULD", "The server MAY do it.")).is_some());
    assert!(level_mismatch(&entry("DEFINITION", "The server SHOULD do it.")).is_some());
    assert!(level_mismatch(&entry("DEFINITION", "The server does it.")).is_none());
    assert!(level_mismatch(&entry("MAY", "The server does it.")).is_some());
    assert!(level_mismatch(&entry("MAY", "It is permitted to do it.")).is_none());
}

/// Words with which a DEFINITION forbids something, and so is an error.
const FORBIDS: [&str; 4] = ["It is an error", "NOT permitted", "prohibited", "NEVER"];

#[test]
fn every_definition_states_its_kind_and_an_error_is_classified_as_one() {
    for r in catalogue().requirements() {
        match (r.level, r.definition) {
            (Level::Definition, None) => panic!("{}: DEFINITION without `definition`", r.id),
            (Level::Definition, Some(d)) => {
                if let Some(w) = FORBIDS.iter().find(|w| collapse(&r.quote).contains(*w)) {
                    assert_eq!(d, Definition::Error, "{}: the quote says {w:?}", r.id);
                }
            }
            (_, Some(_)) => panic!("{}: `definition` on a {} entry", r.id, r.level),
            (_, None) => {}
        }
    }
    // RFC 2060 §2.2.2 describes the completions; it requires BAD of no case.
    let ok_no_bad = catalogue().get("2060-2.2.2-ok-no-bad").unwrap();
    assert_eq!(ok_no_bad.definition, Some(Definition::Description));
    assert_eq!(ok_no_bad.level_label(), "DEFINITION (description)");
    // RFC 2060 §6.4.5 RFC822.SIZE fixes the value the server reports.
    let size = catalogue().get("2060-6.4.5-rfc822-size").unwrap();
    assert_eq!(size.definition, Some(Definition::Value));
    // RFC 2060 §6.2.1 says what the client sends: nothing a server owes.
    let base64 = catalogue().get("2060-6.2.1-answer-base64").unwrap();
    assert_eq!(base64.definition, Some(Definition::Description));
}

/// The oracle, the race judge and the judges of responses to commands (`tags`:
/// `judge::completion`, `judge::continuation`) take a finding's kind from the catalogue
/// (`judge::requirement_kind`); the other judges name theirs in code (syntax, crash,
/// violation), so a descriptive sentence, whose findings are only notes, must not be
/// one they check.
#[test]
fn judges_that_name_their_own_kinds_check_no_description() {
    for r in catalogue().requirements() {
        if r.definition == Some(Definition::Description) {
            assert!(
                matches!(r.check.as_deref(), None | Some("oracle" | "race" | "tags")),
                "{}: a description checked by {:?}",
                r.id,
                r.check
            );
        }
    }
}

#[test]
fn a_definition_without_its_kind_does_not_parse() {
    let text = "[[requirement]]\nid = \"2060-1-x\"\nrfc = 2060\nsection = \"1\"\n\
                title = \"T\"\nlevel = \"DEFINITION\"\nquote = \"q\"\nnot_checked = \"a reason\"\n";
    assert!(Catalogue::parse(text)
        .unwrap_err()
        .contains("needs `definition`"));
    let must = text.replace("\"DEFINITION\"", "\"MUST\"\ndefinition = \"error\"");
    assert!(Catalogue::parse(&must)
        .unwrap_err()
        .contains("only DEFINITION"));
}
