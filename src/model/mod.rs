//! Executable model of IMAP4rev1 (RFC 2060, RFC 3501 profile); depends on no other room of this crate.

pub mod names;
pub mod search;
pub mod sequence;
