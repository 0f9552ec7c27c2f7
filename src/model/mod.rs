//! An executable model of IMAP4rev1 as RFC 2060 defines it, with an RFC 3501 profile.
//!
//! The model is a server in miniature: [`session::Session`] runs decoded commands
//! (imap-types ASTs) against a [`session::Store`] of accounts ([`account`]) and answers
//! with [`response::Reply`] values: the responses a conforming server sends, the outcomes
//! the RFC allows, and where it leaves a server room. The reference server (`serve`) writes
//! those replies to the wire; the oracle (`judge::oracle`) holds real servers to them.
//!
//! - [`message`], [`value`]: RFC 2060 §7.4.2 ENVELOPE, BODYSTRUCTURE and §6.4.5 sections,
//!   computed from the MIME structure of stored messages.
//! - [`search`]: RFC 2060 §6.4.4 search keys, three-valued where servers may differ.
//! - [`sequence`]: RFC 2060 §9 sequence sets, for sequence numbers and UIDs.
//! - [`names`]: RFC 2060 §5.1 mailbox names, §6.3.8 LIST wildcards.
//! - [`flags`]: RFC 2060 §2.3.2 flags.
//!
//! This room depends on no other part of imapconform.

pub mod account;
pub mod flags;
pub mod message;
pub mod names;
#[cfg(test)]
mod properties;
pub mod response;
pub mod sasl;
pub mod search;
pub mod sequence;
pub mod session;
pub mod uid_bounds;
pub mod value;

/// Which IMAP4rev1 document the model follows where the two differ
/// (`rfc/rfc3501-changes.md` lists the differences the profile implements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// RFC 2060 (December 1996), the default.
    #[default]
    Rfc2060,
    /// RFC 3501 (March 2003).
    Rfc3501,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Rfc2060 => "rfc2060",
            Profile::Rfc3501 => "rfc3501",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rfc2060" | "2060" => Ok(Profile::Rfc2060),
            "rfc3501" | "3501" => Ok(Profile::Rfc3501),
            _ => Err(format!("unknown profile `{s}` (one of: rfc2060, rfc3501)")),
        }
    }
}
