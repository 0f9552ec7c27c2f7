//! The truth corpus: case files checked by hand, each labelled with every verdict the
//! judges must give on it, and the false verdicts they once gave and must never give
//! again.
//!
//! A truth case is an ordinary case file (`.imap`, [`crate::case`]) with header lines
//! that a reviewer wrote after reading the server's bytes against the RFC text:
//!
//! ```text
//! # truth: Cyrus answers BAD to SEARCH with an unknown CHARSET;
//! # truth: RFC 2060 §6.4.4 says the server MUST return a tagged NO.
//! # expect: violation 2060-6.4.4-unknown-charset-no @a7
//! # never: violation 2060-2.2.2-ok-no-bad
//! ```
//!
//! - `truth` (required, one or more lines read as one paragraph): why the labels are
//!   right, in words a reviewer can check.
//! - `expect: KIND RULE @TAG`: one verdict the judges give, with its kind, requirement id
//!   (`-` for none) and the tag of the command it concerns (`@setup` for the greeting and
//!   login). The `expect` lines are *all* the verdicts: a verdict more or less is a change.
//! - `never: KIND RULE [@TAG]` (optional): a verdict that was once given falsely and is
//!   wrong on these bytes at any step, or only at the command `@TAG` (`*` for any rule of
//!   that kind).
//! - `profile: rfc2060|rfc3501` (optional): the profile the oracle judges with.
//!
//! [`check`] judges a case offline, exactly as a campaign judges a session with one target
//! (syntax, ending, tags, mutation labels, the oracle), and compares.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};

use crate::case::Case;
use crate::judge::{Kind, Verdict};
use crate::model::Profile;

/// The header naming why a truth case's labels are right.
pub const TRUTH_HEADER: &str = "truth";
/// The header of one expected verdict.
pub const EXPECT_HEADER: &str = "expect";
/// The header of a verdict that must never be given on the case.
pub const NEVER_HEADER: &str = "never";
/// The header choosing the oracle's profile.
pub const PROFILE_HEADER: &str = "profile";

/// Where a verdict points: a command of the script by its tag, or the setup.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum At {
    Setup,
    Tag(String),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Setup => f.write_str("@setup"),
            At::Tag(t) => write!(f, "@{t}"),
        }
    }
}

/// One verdict as a truth label holds it: kind, requirement and place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    pub kind: Kind,
    /// The requirement id; `None` for a verdict without one (written `-`).
    pub rule: Option<String>,
    pub at: At,
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.kind,
            self.rule.as_deref().unwrap_or("-"),
            self.at
        )
    }
}

/// A verdict that must not be given: kind and rule (`None`: any rule of that kind), at
/// one place or (`None`) anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Never {
    pub kind: Kind,
    pub rule: Option<String>,
    pub at: Option<At>,
}

impl Never {
    fn matches(&self, l: &Label) -> bool {
        self.kind == l.kind
            && self
                .rule
                .as_ref()
                .is_none_or(|r| l.rule.as_ref() == Some(r))
            && self.at.as_ref().is_none_or(|a| *a == l.at)
    }
}

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.rule.as_deref().unwrap_or("*"))?;
        match &self.at {
            Some(a) => write!(f, " {a}"),
            None => Ok(()),
        }
    }
}

/// A truth case: the case and its labels.
#[derive(Clone, Debug)]
pub struct TruthCase {
    pub path: PathBuf,
    pub case: Case,
    pub why: String,
    pub expect: BTreeSet<Label>,
    pub never: Vec<Never>,
    pub profile: Profile,
}

/// How a truth case's verdicts differ from its labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Labelled but not given.
    pub missing: Vec<Label>,
    /// Given but not labelled.
    pub extra: Vec<Label>,
    /// Given, and a `never` line forbids it.
    pub forbidden: Vec<(Label, Never)>,
    /// Every verdict given, as labels, each with the summary (and cause) of the first
    /// verdict of that label.
    pub given: BTreeMap<Label, String>,
}

impl Outcome {
    pub fn holds(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.forbidden.is_empty()
    }
}

fn parse_kind(word: &str, what: &str) -> anyhow::Result<Kind> {
    word.parse::<Kind>().map_err(|e| anyhow!("`{what}`: {e}"))
}

fn parse_rule(word: &str, wildcard: &str) -> Option<String> {
    (word != wildcard).then(|| word.to_string())
}

/// Parses a place, `@TAG` or `@setup`.
fn parse_at(at: &str, what: &str) -> anyhow::Result<At> {
    Ok(match at.strip_prefix('@') {
        Some("setup") => At::Setup,
        Some(tag) if !tag.is_empty() => At::Tag(tag.to_string()),
        _ => bail!("`{what}`: the place must be `@TAG` or `@setup`, not `{at}`"),
    })
}

/// Parses `KIND RULE @TAG`.
pub fn parse_label(text: &str) -> anyhow::Result<Label> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [kind, rule, at] = words.as_slice() else {
        bail!(
            "`expect: {text}`: expected `KIND RULE @TAG` (RULE `-` for none, @setup for the setup)"
        );
    };
    let at = parse_at(at, &format!("expect: {text}"))?;
    Ok(Label {
        kind: parse_kind(kind, text)?,
        rule: parse_rule(rule, "-"),
        at,
    })
}

/// Parses `KIND RULE [@TAG]` (RULE `*` for any).
pub fn parse_never(text: &str) -> anyhow::Result<Never> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (kind, rule, at) = match words.as_slice() {
        [kind, rule] => (kind, rule, None),
        [kind, rule, at] => (kind, rule, Some(parse_at(at, &format!("never: {text}"))?)),
        _ => bail!("`never: {text}`: expected `KIND RULE [@TAG]` (RULE `*` for any rule)"),
    };
    Ok(Never {
        kind: parse_kind(kind, text)?,
        rule: parse_rule(rule, "*"),
        at,
    })
}

impl TruthCase {
    /// Reads a truth case; errors name the file and what is wrong.
    pub fn load(path: &Path) -> anyhow::Result<TruthCase> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let case = Case::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let at = |e: anyhow::Error| anyhow!("{}: {e:#}", path.display());
        let why = case
            .header
            .iter()
            .filter(|(k, _)| k == TRUTH_HEADER)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if why.trim().is_empty() {
            bail!(
                "{}: no `# truth:` line saying why the labels are right",
                path.display()
            );
        }
        let mut expect = BTreeSet::new();
        let mut never = Vec::new();
        for (k, v) in &case.header {
            match k.as_str() {
                EXPECT_HEADER => {
                    expect.insert(parse_label(v).map_err(at)?);
                }
                NEVER_HEADER => never.push(parse_never(v).map_err(at)?),
                _ => {}
            }
        }
        let profile = match case.get(PROFILE_HEADER) {
            Some(p) => p
                .parse()
                .map_err(|e: String| anyhow!("{}: {e}", path.display()))?,
            None => Profile::default(),
        };
        if let Some((l, n)) = expect
            .iter()
            .find_map(|l| never.iter().find(|n| n.matches(l)).map(|n| (l, n)))
        {
            bail!("{}: `expect: {l}` contradicts `never: {n}`", path.display());
        }
        Ok(TruthCase {
            path: path.to_path_buf(),
            case,
            why,
            expect,
            never,
            profile,
        })
    }

    /// Every verdict the judges give on the case, judged as a campaign judges a session
    /// with its one target.
    pub fn verdicts(&self) -> anyhow::Result<Vec<Verdict>> {
        let target = self
            .case
            .get("target")
            .ok_or_else(|| anyhow!("{}: no `# target:` line", self.path.display()))?;
        let labels = match self.case.get(crate::campaign::MUTATIONS_HEADER) {
            Some(t) => crate::judge::mutation::parse_labels(t)
                .map_err(|e| anyhow!("{}: {e}", self.path.display()))?,
            None => Vec::new(),
        };
        let (verdicts, _) = crate::campaign::judge_session(
            &[target],
            &[&self.case.transcript],
            Some(self.profile),
            &[true],
            &[crate::judge::World::of(self.case.exclusive())],
            &labels,
        );
        Ok(verdicts)
    }

    /// A verdict as a label: its place named by the tag of the command it concerns.
    pub fn label_of(&self, v: &Verdict) -> Label {
        let at = match v.step.and_then(|i| self.case.transcript.script.get(i)) {
            Some(e) => At::Tag(String::from_utf8_lossy(e.command().tag()).into_owned()),
            None => At::Setup,
        };
        Label {
            kind: v.kind,
            rule: v.rule.clone(),
            at,
        }
    }

    /// Judges the case and compares the verdicts with its labels.
    pub fn check(&self) -> anyhow::Result<Outcome> {
        let mut given: BTreeMap<Label, String> = BTreeMap::new();
        for v in self.verdicts()? {
            let summary = match &v.cause {
                Some(c) => format!("{} [cause: {c}]", v.summary),
                None => v.summary.clone(),
            };
            given.entry(self.label_of(&v)).or_insert(summary);
        }
        let labels: BTreeSet<Label> = given.keys().cloned().collect();
        let forbidden = labels
            .iter()
            .flat_map(|l| {
                self.never
                    .iter()
                    .filter(|n| n.matches(l))
                    .map(move |n| (l.clone(), n.clone()))
            })
            .collect();
        Ok(Outcome {
            missing: self.expect.difference(&labels).cloned().collect(),
            extra: labels.difference(&self.expect).cloned().collect(),
            forbidden,
            given,
        })
    }
}

/// Every `.imap` file of `dir`, sorted by name.
pub fn corpus_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the truth corpus {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "imap"))
        .collect();
    files.sort();
    Ok(files)
}

/// A report of one case's outcome, for a person: what changed, and the `expect` lines
/// that would describe the verdicts given now.
pub fn describe(t: &TruthCase, o: &Outcome) -> String {
    let mut s = format!("{}:\n", t.path.display());
    for (l, n) in &o.forbidden {
        s.push_str(&format!("  FALSE verdict given again: {l} (never: {n})\n"));
    }
    for l in &o.missing {
        s.push_str(&format!("  missing: {l}\n"));
    }
    for l in &o.extra {
        s.push_str(&format!("  new: {l}\n"));
    }
    s.push_str("  verdicts given now (each with its summary):\n");
    for (l, summary) in &o.given {
        s.push_str(&format!("    # expect: {l}\n      = {summary}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_kind_rule_and_place() {
        let l = parse_label("violation 2060-6.4.4-unknown-charset-no @a7").unwrap();
        assert_eq!(l.kind, Kind::Violation);
        assert_eq!(l.rule.as_deref(), Some("2060-6.4.4-unknown-charset-no"));
        assert_eq!(l.at, At::Tag("a7".into()));
        assert_eq!(l.to_string(), "violation 2060-6.4.4-unknown-charset-no @a7");
        let c = parse_label("crash - @setup").unwrap();
        assert_eq!((c.rule, c.at), (None, At::Setup));
        for bad in [
            "violation x",
            "violation x a7",
            "fatal x @a1",
            "violation x @",
        ] {
            assert!(parse_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn never_matches_its_kind_and_rule_or_any_rule() {
        let any = parse_never("violation *").unwrap();
        let one = parse_never("violation 2060-2.2.2-ok-no-bad").unwrap();
        let l = parse_label("violation 2060-2.2.2-ok-no-bad @a3").unwrap();
        let w = parse_label("warning 2060-2.2.2-ok-no-bad @a3").unwrap();
        assert!(any.matches(&l) && one.matches(&l));
        assert!(!any.matches(&w) && !one.matches(&w));
        assert!(parse_never("violation").is_err());
        // Scoped to one command, it forbids the verdict there only.
        let here = parse_never("violation * @a3").unwrap();
        let elsewhere = parse_label("violation 2060-7.2.1-no-unregistered @setup").unwrap();
        assert!(here.matches(&l) && !here.matches(&elsewhere));
        assert_eq!(here.to_string(), "violation * @a3");
        assert!(parse_never("violation * a3").is_err());
    }

    fn case_file(header: &str, script: &str) -> tempfile_path::Scratch {
        let text = format!(
            "# imapconform case v1\n# target: t\n{header}S: * PREAUTH ready\n== script ==\n{script}"
        );
        tempfile_path::Scratch::with(&text)
    }

    /// A scratch file that is removed when dropped.
    mod tempfile_path {
        use std::path::PathBuf;
        pub struct Scratch(pub PathBuf);
        impl Scratch {
            pub fn with(text: &str) -> Scratch {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "imapconform-truth-{}-{}.imap",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&p, text).unwrap();
                Scratch(p)
            }
        }
        impl Drop for Scratch {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    /// RFC 2060 §6.3.2: EXAMINE's tagged OK "MUST be [READ-ONLY]".
    const EXAMINE_READ_WRITE: &str = "C: a1 EXAMINE INBOX\nS: * FLAGS (\\\\Seen)\nS: * 0 EXISTS\nS: * 0 RECENT\nS: * OK [UIDVALIDITY 1] u\nS: a1 OK [READ-WRITE] done\n";

    #[test]
    fn a_case_holds_when_its_labels_are_exactly_the_verdicts() {
        let f = case_file("", EXAMINE_READ_WRITE);
        let t = TruthCase::load(&f.0).unwrap_err();
        assert!(t.to_string().contains("no `# truth:` line"), "{t}");

        let f = case_file("# truth: t\n", EXAMINE_READ_WRITE);
        let t = TruthCase::load(&f.0).unwrap();
        let o = t.check().unwrap();
        assert!(!o.holds(), "an unlabelled verdict is a change");
        let given: Vec<String> = o.given.keys().map(|l| l.to_string()).collect();
        assert!(
            given
                .iter()
                .any(|g| g.starts_with("violation 2060-6.3.2-") && g.ends_with("@a1")),
            "{given:?}"
        );

        let lines: String = o.given.keys().map(|l| format!("# expect: {l}\n")).collect();
        let f = case_file(&format!("# truth: t\n{lines}"), EXAMINE_READ_WRITE);
        let t = TruthCase::load(&f.0).unwrap();
        assert!(t.check().unwrap().holds());

        let f = case_file(
            &format!("# truth: t\n{lines}# expect: crash - @a1\n"),
            EXAMINE_READ_WRITE,
        );
        let o = TruthCase::load(&f.0).unwrap().check().unwrap();
        assert_eq!(o.missing.len(), 1, "a label not given is a change");
    }

    #[test]
    fn a_never_line_catches_a_false_verdict_coming_back() {
        let f = case_file("# truth: t\n# never: violation *\n", EXAMINE_READ_WRITE);
        let t = TruthCase::load(&f.0).unwrap();
        let o = t.check().unwrap();
        assert!(!o.forbidden.is_empty());
        assert!(describe(&t, &o).contains("FALSE verdict given again"));
    }

    #[test]
    fn an_expect_line_may_not_contradict_a_never_line() {
        let f = case_file(
            "# truth: t\n# expect: violation x @a1\n# never: violation *\n",
            EXAMINE_READ_WRITE,
        );
        let e = TruthCase::load(&f.0).unwrap_err().to_string();
        assert!(e.contains("contradicts"), "{e}");
    }
}
