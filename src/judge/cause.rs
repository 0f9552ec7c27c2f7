//! Why a server's data differ from the model's: one behaviour of a server, named once.
//!
//! A server that stores a message with other bytes than it was given shows the change in
//! every FETCH item computed from that message: its header, its size, its body structure.
//! Each item is right for the message the server holds; the one sentence broken is the
//! one that says what the stored message is. The oracle finds the [`Cause`] first and
//! reports it once, with the items it affects as evidence; distinct findings are keyed
//! by (targets, rule, cause) ([`crate::report::distinct`]), so that one behaviour is one
//! distinct finding whatever command showed it.

use serde::{Deserialize, Serialize};

/// What differs, as a short stable name (`header-fields-added`), written into
/// `findings.jsonl` and used in the distinct-finding key: never rename a variant's string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The stored message has header fields the appended one did not have (an mbox
    /// server's `X-UID`, `Status`).
    HeaderFieldsAdded,
    /// The stored message lacks header fields the appended one had.
    HeaderFieldsRemoved,
    /// The stored header differs otherwise (fields rewritten, refolded, reordered).
    HeaderChanged,
    /// Line ends differ (CRLF served as LF, or the reverse).
    LineEndings,
    /// The body was stored with another content transfer encoding.
    BodyReencoded,
    /// The body differs otherwise (e.g. an empty body served as CRLF).
    BodyChanged,
    /// RFC 2231 parameters (`name*=UTF-8''...`) served decoded: RFC 2060 predates RFC 2231.
    ParametersDecoded,
    /// The data are another section of the message than the one asked for.
    WrongPart,
    /// A size or a line count disagrees with the server's own data.
    CountsOff,
    /// A body structure gives a part's transfer encoding otherwise than the part's
    /// Content-Transfer-Encoding header field (or its default, 7BIT).
    TransferEncodingField,
    /// A FETCH FLAGS lists only some of the flags the server itself shows set before and
    /// after.
    FlagsPartial,
    /// The flags an APPEND or COPY asked for are not among the FLAGS the server shows for
    /// the message (RFC 2060 §6.3.11 and §6.4.7 say they SHOULD be set).
    FlagsNotSet,
    /// A SEARCH by size contradicts the RFC822.SIZE the server itself reported.
    ContradictsOwnSize,
    /// The data differ from the appended message and nothing the server sent in the
    /// session shows why.
    Unexplained,
}

impl Cause {
    pub const ALL: [Cause; 14] = [
        Cause::HeaderFieldsAdded,
        Cause::HeaderFieldsRemoved,
        Cause::HeaderChanged,
        Cause::LineEndings,
        Cause::BodyReencoded,
        Cause::BodyChanged,
        Cause::ParametersDecoded,
        Cause::WrongPart,
        Cause::CountsOff,
        Cause::TransferEncodingField,
        Cause::FlagsPartial,
        Cause::FlagsNotSet,
        Cause::ContradictsOwnSize,
        Cause::Unexplained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::HeaderFieldsAdded => "header-fields-added",
            Cause::HeaderFieldsRemoved => "header-fields-removed",
            Cause::HeaderChanged => "header-changed",
            Cause::LineEndings => "line-endings",
            Cause::BodyReencoded => "body-reencoded",
            Cause::BodyChanged => "body-changed",
            Cause::ParametersDecoded => "parameters-decoded",
            Cause::WrongPart => "wrong-part",
            Cause::CountsOff => "counts-off",
            Cause::TransferEncodingField => "transfer-encoding-field",
            Cause::FlagsPartial => "flags-partial",
            Cause::FlagsNotSet => "flags-not-set",
            Cause::ContradictsOwnSize => "contradicts-own-size",
            Cause::Unexplained => "unexplained",
        }
    }

    /// Whether the cause is a change of the stored message (reported against the
    /// sentence that says what APPEND stores), not of one item's data.
    pub fn alters_message(self) -> bool {
        matches!(
            self,
            Cause::HeaderFieldsAdded
                | Cause::HeaderFieldsRemoved
                | Cause::HeaderChanged
                | Cause::LineEndings
                | Cause::BodyReencoded
                | Cause::BodyChanged
        )
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_names_are_stable_kebab_case_strings() {
        for c in Cause::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            let back: Cause = serde_json::from_str(&format!("\"{c}\"")).unwrap();
            assert_eq!(back, c);
        }
        // Pinned: distinct-finding ids are computed from these strings.
        assert_eq!(Cause::HeaderFieldsAdded.as_str(), "header-fields-added");
        assert_eq!(Cause::FlagsPartial.as_str(), "flags-partial");
    }
}
