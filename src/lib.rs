//! imapconform: finds where IMAP servers break the protocol.
//!
//! Rooms, each with one job; dependencies flow one way (later rooms use earlier ones):
//!
//! - [`wire`]: bytes, framing of lines and literals, transcripts. Depends on nothing.
//! - [`case`]: the human-readable `.imap` case file format. Uses `wire`.
//! - [`targets`]: the targets file (which servers, how to reach them).
//! - [`gen`]: seeded generation of command sessions. Uses `wire`.
//! - [`drive`]: tokio driver that runs sessions against targets and records every byte.
//!   Uses `wire`, `targets`.
//! - [`judge`]: syntax and differential judging of transcripts. Uses `wire`.
//! - [`report`]: findings, their JSON Lines file, and the terminal summary. Uses `judge`.
//! - [`lab`]: installs, starts, stops and resets the local server lab. Uses `targets`.
//! - [`campaign`]: ties generation, driving, judging and reporting together.
//! - [`model`]: executable model of IMAP4rev1 semantics. Depends on no other room.

pub mod bench;
pub mod campaign;
pub mod case;
pub mod drive;
pub mod gen;
pub mod judge;
pub mod lab;
pub mod model;
pub mod replay;
pub mod report;
pub mod targets;
pub mod wire;
