//! The requirements catalogue: what RFC 2060 requires of an IMAP4rev1 server, and what
//! RFC 3501 changed or added, one [`Requirement`] per normative statement.
//!
//! The catalogue is `rfc/requirements.toml`, compiled in. Each entry quotes the RFC
//! verbatim (the tests hold every quote to `rfc/rfc2060.txt` / `rfc/rfc3501.txt` and to the
//! section it cites), gives its level (RFC 2060 §1.2: MUST, MUST NOT, SHOULD, SHOULD NOT,
//! MAY; `SYNTAX` for the response rules of the formal syntax, RFC 2060 §9), and says which
//! judge can check it or why none does. RFC 3501 entries that change an RFC 2060 entry name
//! it in `replaces`; together they make the `rfc3501` profile. A few RFC 9051 (IMAP4rev2)
//! entries state what RFC 3501 leaves open about STARTTLS; they bind a server only where
//! it advertises IMAP4rev2 (`judge::starttls`).
//!
//! `rfc/rfc2060-examples.toml` holds the RFC's own example exchanges ([`examples`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

mod coverage;
pub use coverage::{MustCoverage, Unchecked};

/// The catalogue's source, `rfc/requirements.toml`.
pub const SOURCE: &str = include_str!("../rfc/requirements.toml");

/// The RFC 2060 examples, `rfc/rfc2060-examples.toml`.
pub const EXAMPLES_SOURCE: &str = include_str!("../rfc/rfc2060-examples.toml");

/// The judges a requirement can be checked by (`check`).
pub const JUDGES: [&str; 11] = [
    "oracle",
    "syntax",
    "end",
    "tags",
    "differential",
    "mutation",
    "race",
    "starttls",
    "capabilities",
    "eight-bit",
    "metamorphic",
];

/// How binding a requirement is (RFC 2060 §1.2), or `Syntax` for a formal-syntax rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "MAY")]
    May,
    /// A statement without a capitalised keyword that defines what the server does. Its
    /// [`Definition`] says which kind: an error ("It is an error to ..."; a violation), a
    /// value ("The EXISTS response reports the number of messages in the mailbox"; a
    /// violation where the server's bytes contradict it), or a description (a note).
    #[serde(rename = "DEFINITION")]
    Definition,
    #[serde(rename = "SYNTAX")]
    Syntax,
}

impl Level {
    /// Every level, strongest first.
    pub const ALL: [Level; 7] = [
        Level::Must,
        Level::MustNot,
        Level::Should,
        Level::ShouldNot,
        Level::May,
        Level::Definition,
        Level::Syntax,
    ];

    /// The level as the RFC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Should => "SHOULD",
            Level::ShouldNot => "SHOULD NOT",
            Level::May => "MAY",
            Level::Definition => "DEFINITION",
            Level::Syntax => "SYNTAX",
        }
    }

    /// MUST or MUST NOT: an absolute requirement (RFC 2060 §1.2).
    pub fn is_absolute(self) -> bool {
        matches!(self, Level::Must | Level::MustNot)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What kind of statement a DEFINITION entry is, which decides what a server that
/// answers against it has broken (`judge::requirement_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Definition {
    /// The sentence calls something an error or forbids it ("It is an error to ...",
    /// "it is NOT permitted to ...", "only if ...", "NEVER"): answering otherwise is a
    /// violation, as with a MUST NOT.
    Error,
    /// The sentence fixes a value or result the server reports (RFC822.SIZE is the
    /// number of octets, FLAGS the flags set, SEARCH the matching messages, a command's
    /// defined result): a violation where the server's bytes contradict that value, or
    /// contradict the server's own other bytes.
    Value,
    /// A description that fixes nothing the server's bytes could contradict (RFC 2060
    /// §2.2.2 "There are three possible server completion responses: OK ..., NO ..., or
    /// BAD ..." requires BAD of no case): a finding that cites it is only a note, which
    /// never fails a run.
    Description,
}

impl Definition {
    pub const ALL: [Definition; 3] = [
        Definition::Error,
        Definition::Value,
        Definition::Description,
    ];

    /// The name used in `rfc/requirements.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Definition::Error => "error",
            Definition::Value => "value",
            Definition::Description => "description",
        }
    }
}

impl fmt::Display for Definition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One normative statement of an RFC.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `<rfc>-<section>-<slug>`, e.g. `2060-6.3.1-untagged-before-ok`.
    pub id: String,
    /// 2060, 3501 or 9051.
    pub rfc: u32,
    /// The section the quote is in, e.g. `6.3.1`.
    pub section: String,
    /// That section's heading ("Command" dropped), e.g. `SELECT`.
    pub title: String,
    pub level: Level,
    /// For DEFINITION entries (and only for them): which kind of definition it is.
    pub definition: Option<Definition>,
    /// The RFC's words, verbatim up to whitespace.
    pub quote: String,
    /// The judge that can check it (one of [`JUDGES`]).
    pub check: Option<String>,
    /// Why it is not checked (instead of `check`).
    pub not_checked: Option<String>,
    /// For RFC 3501 entries: the RFC 2060 entry this one changes.
    pub replaces: Option<String>,
}

impl Requirement {
    /// The level as reports show it: `MUST`, ..., or `DEFINITION (value)` with the kind of
    /// definition.
    pub fn level_label(&self) -> String {
        match (self.level, self.definition) {
            (Level::Definition, Some(d)) => format!("DEFINITION ({d})"),
            (l, _) => l.as_str().to_string(),
        }
    }

    /// Whether some judge checks it.
    pub fn is_checked(&self) -> bool {
        self.check.is_some()
    }

    /// `check: JUDGE` or `not checked: REASON`.
    pub fn status(&self) -> String {
        match (&self.check, &self.not_checked) {
            (Some(c), _) => format!("check: {c}"),
            (None, Some(r)) => format!("not checked: {r}"),
            (None, None) => "not checked".into(),
        }
    }
}

/// The entries of one section of one RFC.
#[derive(Debug)]
pub struct Section<'a> {
    pub rfc: u32,
    pub section: &'a str,
    pub title: &'a str,
    pub requirements: Vec<&'a Requirement>,
}

impl Section<'_> {
    /// How many entries have this level.
    pub fn count(&self, level: Level) -> usize {
        self.requirements
            .iter()
            .filter(|r| r.level == level)
            .count()
    }

    /// How many entries some judge checks.
    pub fn checked(&self) -> usize {
        self.requirements.iter().filter(|r| r.is_checked()).count()
    }
}

/// The parsed catalogue.
#[derive(Debug)]
pub struct Catalogue {
    requirements: Vec<Requirement>,
    index: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    requirement: Vec<Requirement>,
}

impl Catalogue {
    /// Parses a catalogue in the format of `rfc/requirements.toml`. Duplicate ids are an error.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut index = HashMap::new();
        for (i, r) in file.requirement.iter().enumerate() {
            if index.insert(r.id.clone(), i).is_some() {
                return Err(format!("duplicate requirement id {:?}", r.id));
            }
            match (r.level, r.definition) {
                (Level::Definition, None) => {
                    return Err(format!(
                        "{}: a DEFINITION entry needs `definition` (error, value or description)",
                        r.id
                    ))
                }
                (l, Some(_)) if l != Level::Definition => {
                    return Err(format!(
                        "{}: only DEFINITION entries take `definition` (level is {l})",
                        r.id
                    ))
                }
                _ => {}
            }
        }
        Ok(Catalogue {
            requirements: file.requirement,
            index,
        })
    }

    /// Every entry, in file order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.index.get(id).map(|&i| &self.requirements[i])
    }

    /// How a finding cites requirement `id`: RFC, section, level and the quoted sentence;
    /// for an RFC 3501 entry that changed RFC 2060, the RFC 2060 text too.
    pub fn cite(&self, id: &str) -> Option<String> {
        let r = self.get(id)?;
        let mut s = format!(
            "RFC {} §{} ({}) {}: \"{}\"",
            r.rfc,
            r.section,
            r.title,
            r.level_label(),
            r.quote
        );
        if let Some(old) = r.replaces.as_deref().and_then(|o| self.get(o)) {
            s.push_str(&format!(
                " (RFC 3501 changed RFC {} §{} {}: \"{}\")",
                old.rfc,
                old.section,
                old.level_label(),
                old.quote
            ));
        }
        Some(s)
    }

    /// The entries grouped by RFC and section, in RFC order (2060 before 3501, sections by
    /// number, appendices last).
    pub fn by_section(&self) -> Vec<Section<'_>> {
        let mut out: Vec<Section<'_>> = Vec::new();
        for r in &self.requirements {
            match out
                .iter_mut()
                .find(|s| s.rfc == r.rfc && s.section == r.section)
            {
                Some(s) => s.requirements.push(r),
                None => out.push(Section {
                    rfc: r.rfc,
                    section: &r.section,
                    title: &r.title,
                    requirements: vec![r],
                }),
            }
        }
        out.sort_by(|a, b| {
            a.rfc
                .cmp(&b.rfc)
                .then_with(|| section_key(a.section).cmp(&section_key(b.section)))
        });
        out
    }

    /// (checked, total) RFC `rfc` MUST/MUST NOT entries.
    pub fn absolute_coverage(&self, rfc: u32) -> (usize, usize) {
        let abs = self
            .requirements
            .iter()
            .filter(|r| r.rfc == rfc && r.level.is_absolute());
        let total = abs.clone().count();
        (abs.filter(|r| r.is_checked()).count(), total)
    }
}

/// Orders section numbers numerically (`6.3.10` after `6.3.9`); lettered appendices last.
fn section_key(s: &str) -> Vec<u32> {
    s.split('.')
        .map(|p| {
            p.parse::<u32>().unwrap_or_else(|_| {
                1000 + p
                    .bytes()
                    .next()
                    .map_or(0, |b| u32::from(b.to_ascii_uppercase()))
            })
        })
        .collect()
}

/// The compiled-in catalogue.
pub fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        Catalogue::parse(SOURCE).unwrap_or_else(|e| panic!("rfc/requirements.toml: {e}"))
    })
}

/// One example exchange of RFC 2060 (`rfc/rfc2060-examples.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub section: String,
    pub title: String,
    /// `C: ...` and `S: ...` lines in the RFC's order.
    pub lines: Vec<String>,
    /// The RFC leaves something out (`. . .`, `....`, `...text...`).
    #[serde(default)]
    pub elided: bool,
    /// Indices into `lines` where an independent exchange starts.
    #[serde(default)]
    pub independent_from: Vec<usize>,
    /// The sample connection of RFC 2060 §8 rather than an "Example:" block.
    #[serde(default)]
    pub sample: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    example: Vec<Example>,
}

/// The compiled-in RFC 2060 examples.
pub fn examples() -> &'static [Example] {
    static EX: OnceLock<Vec<Example>> = OnceLock::new();
    EX.get_or_init(|| {
        toml::from_str::<ExampleFile>(EXAMPLES_SOURCE)
            .unwrap_or_else(|e| panic!("rfc/rfc2060-examples.toml: {e}"))
            .example
    })
}

/// The text of an RFC with the page breaks taken out: form feeds, and the page footer
/// (`Crispin  Standards Track  [Page 12]`) and header (`RFC 2060  IMAP4rev1  December
/// 1996`) lines that can interrupt a sentence. Lines are kept.
pub fn strip_page_breaks(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.trim_matches('\u{c}').trim_end())
        .filter(|l| !is_page_line(l))
        .collect()
}

fn is_page_line(l: &str) -> bool {
    let words: Vec<&str> = l.split_whitespace().collect();
    let footer = words.first() == Some(&"Crispin")
        && words.contains(&"Standards")
        && words.len() >= 2
        && words[words.len() - 2] == "[Page"
        && l.ends_with(']');
    let header = words.len() >= 4
        && words[0] == "RFC"
        && words[1].len() == 4
        && words[1].bytes().all(|b| b.is_ascii_digit())
        && words[2].starts_with("IMAP")
        && words
            .last()
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    footer || header
}

/// Collapses every run of whitespace to one space and trims.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The RFC text split into its numbered sections (and lettered appendices): section number
/// → collapsed text (heading excluded). The table of contents (lines with dot leaders) is
/// skipped; `6.3..8.` (a typo in RFC 2060) reads as `6.3.8`.
pub fn sections(text: &str) -> HashMap<String, (String, String)> {
    let mut out: HashMap<String, (String, String)> = HashMap::new();
    let mut current: Option<(String, String)> = None;
    let mut body: Vec<&str> = Vec::new();
    let mut flush = |cur: &Option<(String, String)>, body: &mut Vec<&str>| {
        if let Some((num, title)) = cur {
            let e = out
                .entry(num.clone())
                .or_insert_with(|| (title.clone(), String::new()));
            e.1.push(' ');
            e.1.push_str(&collapse(&body.join(" ")));
        }
        body.clear();
    };
    for line in strip_page_breaks(text) {
        if let Some(h) = heading(line) {
            flush(&current, &mut body);
            current = Some(h);
        } else {
            body.push(line);
        }
    }
    flush(&current, &mut body);
    out.into_iter()
        .map(|(k, (t, b))| (k, (t, collapse(&b))))
        .collect()
}

/// `6.3.1.  SELECT Command` → (`6.3.1`, `SELECT Command`); `B.  Changes ...` too.
fn heading(line: &str) -> Option<(String, String)> {
    if line.starts_with(char::is_whitespace) || line.contains("....") {
        return None;
    }
    let (num, rest) = line.split_once(char::is_whitespace)?;
    let lettered =
        num.len() == 2 && num.starts_with(|c: char| c.is_ascii_uppercase()) && num.ends_with('.');
    let num = num.trim_end_matches('.');
    let numbered = !num.is_empty()
        && num.starts_with(|c: char| c.is_ascii_digit())
        && num.chars().all(|c| c.is_ascii_digit() || c == '.');
    let title = rest.trim();
    if !(numbered || lettered) || title.is_empty() {
        return None;
    }
    let num = num.split('.').filter(|p| !p.is_empty()).collect::<Vec<_>>();
    Some((num.join("."), title.to_string()))
}

#[cfg(test)]
mod level_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const RFC2060: &str = include_str!("../rfc/rfc2060.txt");
    const RFC3501: &str = include_str!("../rfc/rfc3501.txt");
    const RFC9051: &str = include_str!("../rfc/rfc9051.txt");

    /// Every Rust source file under src/, except this one, as text.
    fn sources() -> String {
        fn walk(dir: &std::path::Path, out: &mut String) {
            for e in std::fs::read_dir(dir).expect("src/ reads").flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("catalogue.rs") {
                    out.push_str(&std::fs::read_to_string(&p).expect("source reads"));
                }
            }
        }
        let mut out = String::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    /// An entry that says the oracle, the end-of-session judge or the mutation judge checks
    /// it is cited by that judge's code (by its id), and every id the code cites is in the catalogue.
    /// Syntax entries are checked by the strict decoder as a whole (`judge::syntax`).
    #[test]
    fn every_checked_requirement_is_cited_by_code_and_every_cited_id_exists() {
        let src = sources();
        let cat = catalogue();
        let uncited: Vec<&str> = cat
            .requirements()
            .iter()
            .filter(|r| {
                matches!(
                    r.check.as_deref(),
                    Some(
                        "oracle"
                            | "end"
                            | "tags"
                            | "mutation"
                            | "starttls"
                            | "capabilities"
                            | "eight-bit"
                            | "metamorphic"
                    )
                )
            })
            .filter(|r| !src.contains(&format!("\"{}\"", r.id)))
            .map(|r| r.id.as_str())
            .collect();
        assert!(
            uncited.is_empty(),
            "checked but cited by no code: {uncited:?}"
        );
        let mut unknown = Vec::new();
        let mut rest = src.as_str();
        while let Some(i) = rest
            .find("\"2060-")
            .or_else(|| rest.find("\"3501-"))
            .or_else(|| rest.find("\"9051-"))
        {
            let tail = &rest[i + 1..];
            let end = tail.find('"').unwrap_or(0);
            let id = &tail[..end];
            let is_id = id.len() > 7
                && id.as_bytes().get(5).is_some_and(u8::is_ascii_digit)
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if is_id && id.contains('-') && cat.get(id).is_none() && !id.ends_with('-') {
                unknown.push(id.to_string());
            }
            rest = &tail[end..];
        }
        assert!(
            unknown.is_empty(),
            "ids cited by code but not in the catalogue: {unknown:?}"
        );
    }

    fn rfc_text(rfc: u32) -> &'static str {
        match rfc {
            2060 => RFC2060,
            3501 => RFC3501,
            9051 => RFC9051,
            n => panic!("no text for RFC {n}"),
        }
    }

    #[test]
    fn parses_and_ids_are_unique_and_well_formed() {
        let cat = catalogue();
        assert!(cat.requirements().len() > 150);
        let mut seen = HashSet::new();
        for r in cat.requirements() {
            assert!(seen.insert(&r.id), "duplicate id {}", r.id);
            assert!(
                matches!(r.rfc, 2060 | 3501 | 9051),
                "{}: rfc must be 2060, 3501 or 9051",
                r.id
            );
            let prefix = format!("{}-{}-", r.rfc, r.section.to_lowercase());
            let slug =
                r.id.strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("{}: id must start with {prefix:?}", r.id));
            assert!(
                !slug.is_empty()
                    && slug
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !slug.starts_with('-')
                    && !slug.ends_with('-')
                    && !slug.contains("--"),
                "{}: slug must be lowercase letters, digits and single hyphens",
                r.id
            );
            assert_eq!(r.id, r.id.to_lowercase(), "{}", r.id);
            assert!(!r.title.is_empty() && !r.quote.is_empty(), "{}", r.id);
            assert_eq!(cat.get(&r.id).map(|x| &x.id), Some(&r.id));
        }
        assert!(cat.get("no-such-id").is_none());
    }

    #[test]
    fn exactly_one_of_check_and_not_checked() {
        for r in catalogue().requirements() {
            match (&r.check, &r.not_checked) {
                (Some(c), None) => assert!(
                    JUDGES.contains(&c.as_str()),
                    "{}: unknown judge {c:?} (one of {JUDGES:?})",
                    r.id
                ),
                (None, Some(reason)) => {
                    assert!(reason.trim().len() > 5, "{}: give a reason", r.id)
                }
                _ => panic!("{}: needs exactly one of `check` and `not_checked`", r.id),
            }
        }
    }

    #[test]
    fn every_quote_is_verbatim_in_its_rfc() {
        let texts: HashMap<u32, String> = [2060, 3501, 9051]
            .into_iter()
            .map(|n| (n, collapse(&strip_page_breaks(rfc_text(n)).join(" "))))
            .collect();
        let mut missing = Vec::new();
        for r in catalogue().requirements() {
            if !texts[&r.rfc].contains(&collapse(&r.quote)) {
                missing.push(format!("{}: {:?}", r.id, r.quote));
            }
        }
        assert!(
            missing.is_empty(),
            "quotes not in the RFC text:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_quote_is_in_the_section_it_cites_and_titles_match() {
        let secs: HashMap<u32, HashMap<String, (String, String)>> = [2060, 3501, 9051]
            .into_iter()
            .map(|n| (n, sections(rfc_text(n))))
            .collect();
        for r in catalogue().requirements() {
            let (title, text) = secs[&r.rfc]
                .get(&r.section)
                .unwrap_or_else(|| panic!("{}: RFC {} has no section {}", r.id, r.rfc, r.section));
            assert!(
                text.contains(&collapse(&r.quote)),
                "{}: quote is not in RFC {} §{}",
                r.id,
                r.rfc,
                r.section
            );
            assert_eq!(
                title.strip_suffix(" Command").unwrap_or(title),
                r.title,
                "{}: title of RFC {} §{}",
                r.id,
                r.rfc,
                r.section
            );
        }
    }

    #[test]
    fn page_breaks_are_stripped() {
        let lines = strip_page_breaks(RFC2060);
        assert!(!lines.iter().any(|l| l.contains("[Page ")));
        assert!(!lines.iter().any(|l| l.starts_with("RFC 2060 ")));
        // A sentence interrupted by a page break reads whole again (RFC 2060 §6.3.5).
        let text = collapse(&lines.join(" "));
        assert!(text.contains("It is an error to attempt to rename from a mailbox name"));
        assert!(
            !collapse(RFC2060).contains("It is an error to attempt to rename from a mailbox name")
        );
    }

    #[test]
    fn replaces_names_an_existing_2060_entry() {
        let cat = catalogue();
        for r in cat.requirements() {
            if let Some(old) = &r.replaces {
                assert_eq!(r.rfc, 3501, "{}: only RFC 3501 entries replace", r.id);
                let o = cat
                    .get(old)
                    .unwrap_or_else(|| panic!("{}: replaces unknown {old}", r.id));
                assert_eq!(o.rfc, 2060, "{}: replaces a non-2060 entry {old}", r.id);
            }
        }
    }

    #[test]
    fn sections_are_ordered_and_counted() {
        let cat = catalogue();
        let secs = cat.by_section();
        assert_eq!(
            secs.iter().map(|s| s.requirements.len()).sum::<usize>(),
            cat.requirements().len()
        );
        let first_3501 = secs.iter().position(|s| s.rfc == 3501).unwrap();
        assert!(secs[..first_3501].iter().all(|s| s.rfc == 2060));
        let pos = |sec: &str| {
            secs.iter()
                .position(|s| s.rfc == 2060 && s.section == sec)
                .unwrap()
        };
        assert!(pos("6.3.9") < pos("6.3.10"));
        assert!(pos("7.5") < pos("9"));
        let select = &secs[pos("6.3.1")];
        assert_eq!(select.title, "SELECT");
        assert!(select.count(Level::Must) >= 3 && select.checked() > 0);
        let (checked, total) = cat.absolute_coverage(2060);
        assert!(total > 50 && checked <= total);
    }

    /// Number of "Example:"/"Examples:" blocks of RFC 2060 that show C: or S: lines.
    fn example_blocks(text: &str) -> usize {
        let lines = strip_page_breaks(text);
        let mut count = 0;
        let mut i = 0;
        while i < lines.len() {
            let t = lines[i].trim_start();
            let label = ["Example:", "Examples:"]
                .into_iter()
                .find(|l| t.starts_with(l));
            let Some(label) = label else {
                i += 1;
                continue;
            };
            let indent = lines[i].len() - t.len();
            let first = t[label.len()..].trim_start();
            let mut shows = first.starts_with("C:") || first.starts_with("S:");
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                let lt = l.trim_start();
                if !lt.is_empty() && l.len() - lt.len() <= indent {
                    break;
                }
                shows |= lt.starts_with("C:") || lt.starts_with("S:");
                i += 1;
            }
            count += usize::from(shows);
        }
        count
    }

    #[test]
    fn examples_are_well_formed_and_complete() {
        let ex = examples();
        for e in ex {
            assert!(!e.lines.is_empty(), "§{}: no lines", e.section);
            for l in &e.lines {
                assert!(
                    l.starts_with("C: ") || l.starts_with("S: "),
                    "§{}: {l:?} does not start with \"C: \" or \"S: \"",
                    e.section
                );
            }
            assert!(e
                .independent_from
                .iter()
                .all(|&i| i > 0 && i < e.lines.len()));
        }
        let blocks = example_blocks(RFC2060);
        assert_eq!(
            blocks, 41,
            "RFC 2060 has 41 example blocks with C:/S: lines"
        );
        assert_eq!(ex.iter().filter(|e| !e.sample).count(), blocks);
        let samples: Vec<_> = ex.iter().filter(|e| e.sample).collect();
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].section, "8");
        // Every example's section exists and its title matches the heading.
        let secs = sections(RFC2060);
        for e in ex {
            let (title, _) = &secs[&e.section];
            assert_eq!(title.strip_suffix(" Command").unwrap_or(title), e.title);
        }
    }

    #[test]
    fn changes_file_names_existing_entries() {
        let text = include_str!("../rfc/rfc3501-changes.md");
        let cat = catalogue();
        let mut numbers = Vec::new();
        for line in text.lines().filter(|l| l.starts_with("| ")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let Ok(n) = cells[1].parse::<u32>() else {
                continue;
            };
            numbers.push(n);
            for word in cells[4].split([',', ' ']) {
                if word.starts_with("2060-") || word.starts_with("3501-") {
                    assert!(cat.get(word).is_some(), "change {n}: no entry {word}");
                }
            }
        }
        // RFC 3501 Appendix B lists 114 changes, one line each.
        assert_eq!(numbers, (1..=114).collect::<Vec<_>>());
    }
}
