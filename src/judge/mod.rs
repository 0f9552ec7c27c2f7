//! Judging transcripts: strict syntax of every server message, how sessions ended, and
//! differences between servers that were sent the same script.
//!
//! - [`judge_syntax`] ([`syntax`]): each server message against the formal syntax of
//!   RFC 3501 §9 (IMAP4rev1), decoded strictly by imap-codec and cross-checked by our own
//!   reading of the ABNF, so that only certain violations become [`Kind::Syntax`].
//! - [`judge_end`] ([`end`]): timeouts, dropped connections.
//! - [`judge_tags`] ([`tags`]): tagged responses with a tag the client never sent.
//! - [`judge_metamorphic`] ([`metamorphic`]): the same question asked two ways (FETCH and
//!   UID FETCH, `BODY[]` and `BODY[HEADER]` + `BODY[TEXT]`, STATUS and SELECT, a quoted
//!   and a literal argument, ...) answered differently by one server.
//! - [`completion`]: a second tagged completion for a command already completed.
//! - [`untagged`]: untagged response types neither the document nor an advertised
//!   extension defines.
//! - [`continuation`]: continuation requests where no command waits for one.
//! - [`store_echo`]: STORE's untagged FETCH missing without `.SILENT`, echoed with it.
//! - [`judge_mutations`] ([`mutation`]): answers to commands broken on purpose
//!   (`gen::mutate`), held only to what a server owes a malformed command (an answer under
//!   its tag, no desynchronisation); NO, BAD and a lenient OK are all fair.
//! - [`judge_differential`] ([`differential`]) with [`normalize_exchange`] ([`normalize`]):
//!   responses that differ between servers after removing what servers may choose freely.
//!
//! Findings are claims about someone else's server. Where the grammar leaves room
//! (extensions, ambiguous ABNF, decoder limits) the judge says nothing or gives a
//! [`Kind::Warning`] that states the reason; it never guesses a violation.

pub mod autologout;
pub mod capability_names;
pub mod cause;
pub mod completion;
pub mod continuation;
pub mod differential;
pub mod divergence_reason;
pub mod eight_bit;
pub mod end;
pub mod fetch_cause;
pub mod grammar;
pub mod innermost;
pub mod lex;
pub mod metamorphic;
pub mod mutation;
pub mod normalize;
pub mod oracle;
pub mod race;
pub mod starttls;
pub mod store_echo;
pub mod syntax;
pub mod tags;
pub mod untagged;

#[cfg(test)]
mod fixture;

pub use cause::Cause;
pub use differential::{
    explained_steps, judge_differential, judge_differential_by_identity,
    judge_differential_explained, Explained, Identity,
};
pub use end::judge_end;
pub use metamorphic::judge_metamorphic;
pub use mutation::judge_mutations;
pub use normalize::{normalize_exchange, NormContext};
pub use oracle::{judge_oracle, judge_oracle_in, Coverage, Tally, World};
pub use syntax::judge_syntax;
pub use tags::judge_tags;

/// What kind of finding a verdict is, from least to most severe.
///
/// The derived order is the order used by `--fail-on KIND`: a run fails when a finding's
/// kind is at least KIND, i.e. `note < warning < divergence < timeout < violation <
/// syntax < crash`. A syntax finding is a violation of the formal syntax, so `--fail-on
/// violation` also fails on syntax findings and crashes. A timeout ranks below a
/// violation: a server that answers too slowly has broken no sentence of the RFC. A
/// [`Kind::Note`] never fails a run, whatever the threshold.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Information that breaks nothing: a server's answer that a descriptive sentence of
    /// the RFC does not fix, or an answer that came late but came. Never a failure.
    Note,
    /// Something doubtful that is not proven to break the protocol (or breaks a SHOULD);
    /// the summary says why.
    Warning,
    /// Servers answered the same script differently (not by itself a violation).
    Divergence,
    /// The server did not answer in time, even when asked again with a longer deadline.
    Timeout,
    /// A requirement of the RFC is broken (semantics, not formal syntax).
    Violation,
    /// A response does not match the formal syntax (RFC 3501 §9).
    Syntax,
    /// The connection dropped without BYE, or the stream broke.
    Crash,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Note,
        Kind::Warning,
        Kind::Divergence,
        Kind::Timeout,
        Kind::Violation,
        Kind::Syntax,
        Kind::Crash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Note => "note",
            Kind::Warning => "warning",
            Kind::Divergence => "divergence",
            Kind::Timeout => "timeout",
            Kind::Violation => "violation",
            Kind::Syntax => "syntax",
            Kind::Crash => "crash",
        }
    }

    /// Whether a finding of this kind fails a run started with `--fail-on threshold`.
    /// A note never does.
    pub fn fails(self, threshold: Kind) -> bool {
        self != Kind::Note && self >= threshold
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == l)
            .ok_or_else(|| {
                format!(
                    "unknown finding kind `{s}` (one of: note, warning, divergence, timeout, violation, syntax, crash)"
                )
            })
    }
}

/// The kind of a finding that breaks requirement `id` (`rfc/requirements.toml`): the
/// level of its sentence. A violation for a MUST, MUST NOT, formal-syntax rule, or a
/// DEFINITION that calls something an error or fixes a value the server reports; a
/// warning for a SHOULD or SHOULD NOT (or an id the catalogue does not hold); a note for a
/// DEFINITION that only describes (it never fails a run); `None` for a MAY, which nothing
/// can break.
pub fn requirement_kind(id: &str) -> Option<Kind> {
    use crate::catalogue::{Definition, Level};
    let r = crate::catalogue::catalogue().get(id);
    match r.map(|r| (r.level, r.definition)) {
        Some((Level::May, _)) => None,
        Some((Level::Should | Level::ShouldNot, _)) | None => Some(Kind::Warning),
        Some((Level::Definition, Some(Definition::Description))) => Some(Kind::Note),
        Some((Level::Must | Level::MustNot | Level::Definition | Level::Syntax, _)) => {
            Some(Kind::Violation)
        }
    }
}

/// One finding about one or more targets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub kind: Kind,
    /// The target(s) it holds for.
    pub targets: Vec<String>,
    /// Index into `Transcript::script`; `None` for the greeting or setup.
    pub step: Option<usize>,
    /// Requirement id; `None` until a catalogue exists. The formal-syntax rule name is in
    /// `summary` and `expected`.
    pub rule: Option<String>,
    /// One line.
    pub summary: String,
    pub expected: String,
    /// The offending bytes escaped with [`crate::wire::escape`], or a unified diff.
    pub observed: String,
    /// What differs, where the judge found it ([`Cause`]): findings with the same rule and
    /// cause are one behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_violation_includes_syntax_and_crash_but_not_timeout() {
        let t: Kind = "violation".parse().unwrap();
        assert!(Kind::Syntax.fails(t));
        assert!(Kind::Crash.fails(t));
        assert!(Kind::Violation.fails(t));
        assert!(!Kind::Timeout.fails(t));
        assert!(Kind::Timeout.fails(Kind::Timeout));
        assert!(!Kind::Divergence.fails(t));
        assert!(!Kind::Warning.fails(t));
    }

    #[test]
    fn a_note_never_fails_a_run() {
        for t in Kind::ALL {
            assert!(!Kind::Note.fails(t), "note fails --fail-on {t}");
        }
        assert!(Kind::Warning.fails(Kind::Note));
    }

    #[test]
    fn the_kind_of_a_finding_is_the_level_of_its_sentence() {
        // MUST, MUST NOT, and "It is an error": violations.
        assert_eq!(
            requirement_kind("2060-6.4.4-unknown-charset-no"),
            Some(Kind::Violation)
        );
        assert_eq!(
            requirement_kind("2060-6.3.3-error-inbox-or-existing"),
            Some(Kind::Violation)
        );
        // A definition that fixes a value: a violation where the bytes contradict it.
        assert_eq!(
            requirement_kind("2060-6.4.5-rfc822-size"),
            Some(Kind::Violation)
        );
        // A formal-syntax rule for server output.
        assert_eq!(requirement_kind("2060-9-msg-att"), Some(Kind::Violation));
        // SHOULD: a warning.
        assert_eq!(
            requirement_kind("3501-6.4.4-badcharset"),
            Some(Kind::Warning)
        );
        // RFC 2060 §2.2.2 only describes the three completions: a note.
        assert_eq!(requirement_kind("2060-2.2.2-ok-no-bad"), Some(Kind::Note));
        // MAY: nothing breaks it.
        assert_eq!(requirement_kind("2060-2.2.2-unilateral-data"), None);
        // An id outside the catalogue is only doubtful.
        assert_eq!(requirement_kind("no-such-id"), Some(Kind::Warning));
    }

    #[test]
    fn kinds_parse_and_serialize_lowercase() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        assert_eq!("SYNTAX".parse::<Kind>().unwrap(), Kind::Syntax);
        assert!("fatal".parse::<Kind>().is_err());
    }
}
