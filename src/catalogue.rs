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
pub const JUDGES: [&str; 13] = [
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
    "autologout",
    "read-only",
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
            (Some(c), _) if c == "autologout" => {
                format!("check: {c} (opt-in: `imapconform probe autologout`, 31 minutes idle)")
            }
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
mod tests;
