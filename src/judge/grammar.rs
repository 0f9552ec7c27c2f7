//! The formal syntax in the words of the active profile's document.
//!
//! The syntax judge reads responses by RFC 3501 §9 (`msg-att-static = ...`, `SP`), whose
//! rule names it uses internally. A finding must cite the document the run holds servers
//! to: under the `rfc2060` profile (the default) that is RFC 2060 §9, whose rules are
//! spelt with underscores (`msg_att ::= ...`, `SPACE`), and some RFC 3501 rules do not
//! exist there at all: RFC 3501 split them out of a larger RFC 2060 rule, which is the
//! one to name ([`COVERED_IN_2060`]). Definitions are quoted from the RFC texts
//! themselves.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::model::Profile;

const RFC2060: &str = include_str!("../../rfc/rfc2060.txt");
const RFC3501: &str = include_str!("../../rfc/rfc3501.txt");

/// The profile's document: `RFC 2060` or `RFC 3501`.
pub fn document(profile: Profile) -> &'static str {
    match profile {
        Profile::Rfc2060 => "RFC 2060",
        Profile::Rfc3501 => "RFC 3501",
    }
}

/// RFC 3501 §9 rules that RFC 2060 §9 does not have, each with the RFC 2060 rule that
/// defines the same bytes: RFC 2060 `msg_att` lists FLAGS with the other items where RFC
/// 3501 has `msg-att-dynamic` and `msg-att-static`; RFC 2060 `mailbox_data` writes
/// STATUS's items inline (`"(" #<status_att number> ")"`) where RFC 3501 has
/// `status-att-list`; RFC 2060 reads a body's location as a `body_extension`.
pub const COVERED_IN_2060: &[(&str, &str)] = &[
    ("astring-char", "astring"),
    ("body-fld-loc", "body_extension"),
    ("flag-fetch", "msg_att"),
    ("flag-perm", "resp_text_code"),
    ("list-char", "list_mailbox"),
    ("mbx-list-flags", "mailbox_list"),
    ("mbx-list-oflag", "mailbox_list"),
    ("mbx-list-sflag", "mailbox_list"),
    ("msg-att-dynamic", "msg_att"),
    ("msg-att-static", "msg_att"),
    ("resp-specials", "ATOM_CHAR"),
    ("section-msgtext", "section_text"),
    ("section-part", "section"),
    ("section-spec", "section"),
    ("seq-number", "sequence_num"),
    ("seq-range", "set"),
    ("sequence-set", "set"),
    ("status-att-list", "mailbox_data"),
];

/// The rules a document's §9 defines: the name folded (lower case, `_` as `-`) → the name
/// as the document spells it.
fn rule_names(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for l in section_9(text) {
        if let Some(name) = defined_on(l) {
            out.insert(fold(name), name.to_string());
        }
    }
    out
}

/// The definitions of a document's §9: the name folded → the definition, whitespace
/// collapsed, continuation lines joined.
fn definitions(text: &str) -> HashMap<String, String> {
    let lines = section_9(text);
    let mut out = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(name) = defined_on(l) else {
            continue;
        };
        let mut def = l.to_string();
        for l in &lines[i + 1..] {
            if l.is_empty() || !l.starts_with(' ') {
                break;
            }
            def.push(' ');
            def.push_str(l);
        }
        out.entry(fold(name))
            .or_insert_with(|| crate::catalogue::collapse(&def));
    }
    out
}

static NAMES_2060: LazyLock<HashMap<String, String>> = LazyLock::new(|| rule_names(RFC2060));
static NAMES_3501: LazyLock<HashMap<String, String>> = LazyLock::new(|| rule_names(RFC3501));
static DEFINITIONS_2060: LazyLock<HashMap<String, String>> = LazyLock::new(|| definitions(RFC2060));
static DEFINITIONS_3501: LazyLock<HashMap<String, String>> = LazyLock::new(|| definitions(RFC3501));

fn fold(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// The lines of §9 (Formal Syntax) up to the next section, page breaks taken out.
fn section_9(text: &str) -> Vec<&str> {
    let lines = crate::catalogue::strip_page_breaks(text);
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("9.") && l.contains("Formal Syntax"))
        .unwrap_or(0);
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("10.") || l.starts_with("Appendix"))
        .map_or(lines.len(), |e| start + 1 + e);
    lines[start..end].to_vec()
}

/// The rule a line of §9 begins to define: `name   = ...` (RFC 3501) or `name ::= ...`
/// (RFC 2060), from the first column.
fn defined_on(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(line.len());
    let rest = line[end..].trim_start();
    (rest.starts_with("::=") || rest.starts_with('=')).then(|| &line[..end])
}

/// A rule of RFC 3501 §9 (as the judge names it: `msg-att-static`, `TEXT-CHAR`, `SP`)
/// as the profile's document names it: itself under rfc3501; under rfc2060 the RFC 2060
/// spelling (`msg_att`, `TEXT_CHAR`, `SPACE`), or for a rule RFC 2060 lacks the RFC 2060
/// rule that covers it.
pub fn rule_name(rule: &str, profile: Profile) -> String {
    if profile == Profile::Rfc3501 {
        return rule.to_string();
    }
    let key = fold(rule);
    if let Some((_, covering)) = COVERED_IN_2060.iter().find(|(r, _)| *r == key) {
        return (*covering).to_string();
    }
    if key == "sp" {
        return "SPACE".into();
    }
    NAMES_2060
        .get(&key)
        .cloned()
        .unwrap_or_else(|| rule.to_string())
}

/// Text written in RFC 3501 §9's words, in the profile's: under rfc2060 every RFC 3501
/// rule name with a hyphen (`body-type-msg`, `TEXT-CHAR`) and `SP` becomes its
/// [`rule_name`], and `RFC 3501 §` becomes `RFC 2060 §` (the syntax judge cites §2.2, §7
/// and §9, which the two documents number alike). Unchanged under rfc3501.
pub fn in_words_of(text: &str, profile: Profile) -> String {
    if profile == Profile::Rfc3501 {
        return text.to_string();
    }
    let text = text.replace("RFC 3501 §", "RFC 2060 §");
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let key = fold(word);
        let is_rule = (word.contains('-') && NAMES_3501.contains_key(&key)) || word == "SP";
        if is_rule {
            out.push_str(&rule_name(word, profile));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Most characters of a definition quoted.
const DEFINITION_MAX: usize = 700;

/// The definition of `rule` (an RFC 3501 name) as the profile's document writes it,
/// whitespace collapsed: `body_type_msg ::= media_message SPACE body_fields SPACE envelope
/// SPACE body SPACE body_fld_lines` under rfc2060.
pub fn definition(rule: &str, profile: Profile) -> Option<String> {
    let mut def = match profile {
        Profile::Rfc2060 => DEFINITIONS_2060.get(&fold(&rule_name(rule, profile))),
        Profile::Rfc3501 => DEFINITIONS_3501.get(&fold(rule)),
    }?
    .clone();
    if def.len() > DEFINITION_MAX {
        let cut = (0..=DEFINITION_MAX)
            .rev()
            .find(|&i| def.is_char_boundary(i))
            .unwrap_or(0);
        def.truncate(cut);
        def.push_str(" …");
    }
    Some(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2060_spells_rules_with_underscores_and_space() {
        assert_eq!(
            rule_name("body-type-msg", Profile::Rfc2060),
            "body_type_msg"
        );
        assert_eq!(rule_name("TEXT-CHAR", Profile::Rfc2060), "TEXT_CHAR");
        assert_eq!(rule_name("SP", Profile::Rfc2060), "SPACE");
        assert_eq!(
            rule_name("body-type-msg", Profile::Rfc3501),
            "body-type-msg"
        );
    }

    #[test]
    fn rules_only_rfc3501_has_are_named_by_the_rfc2060_rule_covering_them() {
        assert_eq!(rule_name("msg-att-static", Profile::Rfc2060), "msg_att");
        assert_eq!(
            rule_name("status-att-list", Profile::Rfc2060),
            "mailbox_data"
        );
        assert_eq!(
            rule_name("body-fld-loc", Profile::Rfc2060),
            "body_extension"
        );
        // Every covering rule is an RFC 2060 §9 rule, and every covered one is RFC 3501's
        // and not RFC 2060's.
        for (r, covering) in COVERED_IN_2060 {
            assert!(NAMES_3501.contains_key(*r), "{r}");
            assert!(!NAMES_2060.contains_key(*r), "{r}");
            assert!(NAMES_2060.contains_key(&fold(covering)), "{covering}");
        }
        // And every RFC 3501 rule has an RFC 2060 name.
        for (key, name) in NAMES_3501.iter() {
            let in_2060 = fold(&rule_name(name, Profile::Rfc2060));
            assert!(NAMES_2060.contains_key(&in_2060), "{key} -> {in_2060}");
        }
    }

    #[test]
    fn text_in_rfc3501_words_reads_in_rfc2060_words_under_rfc2060() {
        let t = "response does not match `msg-att-static` (RFC 3501 §9): no SP before \
                 body-type-1part; 8-bit byte, UTF-8, 2060-9-body-type-msg";
        assert_eq!(
            in_words_of(t, Profile::Rfc2060),
            "response does not match `msg_att` (RFC 2060 §9): no SPACE before \
             body_type_1part; 8-bit byte, UTF-8, 2060-9-body-type-msg"
        );
        assert_eq!(in_words_of(t, Profile::Rfc3501), t);
    }

    #[test]
    fn definitions_are_quoted_from_the_profiles_document() {
        assert_eq!(
            definition("body-type-msg", Profile::Rfc2060).unwrap(),
            "body_type_msg ::= media_message SPACE body_fields SPACE envelope SPACE body SPACE body_fld_lines"
        );
        assert_eq!(
            definition("body-type-msg", Profile::Rfc3501).unwrap(),
            "body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines"
        );
        let status = definition("status-att-list", Profile::Rfc2060).unwrap();
        assert!(status.starts_with("mailbox_data ::="), "{status}");
        assert!(status.contains("\"STATUS\" SPACE mailbox"), "{status}");
        assert!(definition("no-such-rule", Profile::Rfc3501).is_none());
    }

    #[test]
    fn the_oracles_flag_text_names_the_profiles_document_rfc2060_9_rfc3501_9() {
        use crate::wire::{End, Exchange, Message, Transcript};
        let t = Transcript {
            greeting: Some(Message::line("* OK hi")),
            setup: vec![Exchange::from_lines("s1 LOGIN u1 pw-u1", &["s1 OK in"])],
            script: vec![Exchange::from_lines(
                "a1 SELECT INBOX",
                &[
                    "* FLAGS (\\Seen \\Bogus)",
                    "* 0 EXISTS",
                    "* 0 RECENT",
                    "* OK [UIDVALIDITY 1] x",
                    "* OK [UIDNEXT 1] x",
                    "a1 OK [READ-WRITE] done",
                ],
            )],
            end: End::Completed,
        };
        for (profile, doc, other) in [
            (Profile::Rfc2060, "RFC 2060", "RFC 3501"),
            (Profile::Rfc3501, "RFC 3501", "RFC 2060"),
        ] {
            let (v, _) = crate::judge::judge_oracle("srv", &t, profile);
            let f = v
                .iter()
                .find(|v| v.rule.as_deref() == Some("2060-9-flag-extension-not-generated"))
                .unwrap_or_else(|| panic!("{v:#?}"));
            assert!(
                f.summary.contains(&format!("which {doc} does not define")),
                "{f:#?}"
            );
            assert!(f.expected.contains(&format!("{doc} §2.3.2")), "{f:#?}");
            assert!(
                !f.summary.contains(other) && !f.expected.contains(other),
                "{f:#?}"
            );
        }
    }
}
