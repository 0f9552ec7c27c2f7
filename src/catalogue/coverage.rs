//! How far the catalogue's absolute requirements are covered: which MUST/MUST NOT
//! entries a judge checks, and for the rest whether the catalogue states why.
//!
//! An entry that no judge checks gives its reason in `not_checked`, and the reason's first
//! words say which kind it is ([`Unchecked::of`]):
//!
//! - `not black-box: ...`: no test that sees only the bytes between a client and the server
//!   can check it (it binds the client, or the server's insides, or it is conditional on
//!   something only the server knows); the reason says why.
//! - `needs ...: ...`: a black-box test could check it, but the tool lacks what that test
//!   needs (a registry, a second account, a 30-minute idle connection ...); the reason says
//!   exactly what.
//! - anything else (`not yet checked: ...`): no reason stated.
//!
//! RFC 2060's MUST coverage is complete when every MUST/MUST NOT entry is checked or
//! stated `not black-box` ([`MustCoverage::complete`]).

use super::{Catalogue, Requirement};

/// The kind of reason an unchecked entry gives (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unchecked {
    /// `not black-box: ...`: no black-box test can check it.
    NotBlackBox,
    /// `needs ...: ...`: a black-box test could, with something the tool lacks.
    Needs,
    /// No reason stated (`not yet checked: ...`, or no `not_checked` at all).
    Unstated,
}

impl Unchecked {
    /// The prefix of a `not black-box` reason.
    pub const NOT_BLACK_BOX: &'static str = "not black-box: ";
    /// The prefix of a `needs` reason.
    pub const NEEDS: &'static str = "needs ";

    /// The kind of a `not_checked` reason, read from its first words. A `needs` reason
    /// must say what it needs before a colon; "not yet" is never a reason.
    pub fn of(reason: &str) -> Unchecked {
        let r = reason.trim_start();
        let stated = |rest: &str| rest.trim().len() > 20;
        if let Some(rest) = r.strip_prefix(Self::NOT_BLACK_BOX) {
            if stated(rest) {
                return Unchecked::NotBlackBox;
            }
        } else if let Some(rest) = r.strip_prefix(Self::NEEDS) {
            if rest.find(':').is_some_and(|i| i > 3) && stated(rest) {
                return Unchecked::Needs;
            }
        }
        Unchecked::Unstated
    }
}

impl Requirement {
    /// `None` when a judge checks it, else the kind of reason it gives for not being checked.
    pub fn unchecked(&self) -> Option<Unchecked> {
        if self.is_checked() {
            return None;
        }
        Some(
            self.not_checked
                .as_deref()
                .map_or(Unchecked::Unstated, Unchecked::of),
        )
    }
}

/// The MUST/MUST NOT entries of one RFC, by how they are covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MustCoverage {
    /// Every MUST/MUST NOT entry.
    pub total: usize,
    /// Checked by a judge.
    pub checked: usize,
    /// Stated `not black-box`.
    pub not_black_box: usize,
    /// Stated checkable black-box with something the tool lacks (`needs ...`).
    pub needs: usize,
    /// Neither checked nor given a reason.
    pub unstated: usize,
}

impl MustCoverage {
    /// Percent of `n` in the total.
    pub fn percent(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.total.max(1) as f64
    }

    /// Every entry checked or stated `not black-box`: nothing a black-box test could check
    /// is left unchecked.
    pub fn complete(&self) -> bool {
        self.checked + self.not_black_box == self.total
    }
}

impl Catalogue {
    /// How the MUST/MUST NOT entries of RFC `rfc` are covered.
    pub fn must_coverage(&self, rfc: u32) -> MustCoverage {
        let mut c = MustCoverage::default();
        for r in self
            .requirements()
            .iter()
            .filter(|r| r.rfc == rfc && r.level.is_absolute())
        {
            c.total += 1;
            match r.unchecked() {
                None => c.checked += 1,
                Some(Unchecked::NotBlackBox) => c.not_black_box += 1,
                Some(Unchecked::Needs) => c.needs += 1,
                Some(Unchecked::Unstated) => c.unstated += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalogue;
    use super::*;

    #[test]
    fn a_reason_is_stated_only_with_its_kind_and_what_it_is() {
        assert_eq!(
            Unchecked::of("not black-box: binds the client, which initiates every command"),
            Unchecked::NotBlackBox
        );
        assert_eq!(
            Unchecked::of("needs the IANA capability registry: the tool does not carry it"),
            Unchecked::Needs
        );
        for vague in [
            "not yet checked: the oracle does not test this requirement yet",
            "not black-box: ",
            "needs work",
            "needs: something",
            "not observable",
            "",
        ] {
            assert_eq!(Unchecked::of(vague), Unchecked::Unstated, "{vague:?}");
        }
    }

    /// RFC 2060 coverage: every MUST and MUST NOT is checked by a judge, or says why no
    /// black-box test can check it, or says exactly what the tool lacks to check it; "not
    /// yet checked" is no reason.
    #[test]
    fn every_rfc2060_must_is_checked_or_states_why_not() {
        let unstated: Vec<(&str, Option<&str>)> = catalogue()
            .requirements()
            .iter()
            .filter(|r| r.rfc == 2060 && r.level.is_absolute())
            .filter(|r| r.unchecked() == Some(Unchecked::Unstated))
            .map(|r| (r.id.as_str(), r.not_checked.as_deref()))
            .collect();
        assert!(
            unstated.is_empty(),
            "RFC 2060 MUST/MUST NOT entries neither checked nor with a stated reason \
             (`not black-box: WHY` or `needs WHAT: WHY`): {unstated:#?}"
        );
        let c = catalogue().must_coverage(2060);
        assert_eq!(c.checked + c.not_black_box + c.needs + c.unstated, c.total);
        assert_eq!(
            (c.checked, c.total),
            catalogue().absolute_coverage(2060),
            "the two counts of checked entries agree"
        );
    }

    #[test]
    fn coverage_counts_each_kind() {
        let cat = Catalogue::parse(
            r#"
[[requirement]]
id = "test-a"
rfc = 2060
section = "1"
title = "t"
level = "MUST"
quote = "q"
check = "oracle"

[[requirement]]
id = "test-b"
rfc = 2060
section = "1"
title = "t"
level = "MUST NOT"
quote = "q"
not_checked = "not black-box: binds the client, which initiates every command"

[[requirement]]
id = "test-c"
rfc = 2060
section = "1"
title = "t"
level = "MUST"
quote = "q"
not_checked = "needs a second account: to make a mailbox read-only"

[[requirement]]
id = "test-d"
rfc = 2060
section = "1"
title = "t"
level = "MUST"
quote = "q"
not_checked = "not yet checked: the oracle does not test this requirement yet"

[[requirement]]
id = "test-e"
rfc = 2060
section = "1"
title = "t"
level = "SHOULD"
quote = "q"
not_checked = "not yet checked"
"#,
        )
        .unwrap();
        let c = cat.must_coverage(2060);
        assert_eq!(
            c,
            MustCoverage {
                total: 4,
                checked: 1,
                not_black_box: 1,
                needs: 1,
                unstated: 1
            }
        );
        assert!(!c.complete());
        assert_eq!(c.percent(c.checked), 25.0);
        assert_eq!(cat.must_coverage(3501), MustCoverage::default());
    }
}
