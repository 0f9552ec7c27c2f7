//! imapconform: finds where IMAP servers break the protocol.
//!
//! Rooms, each with one job; dependencies flow one way (later rooms use earlier ones):
//!
//! - [`wire`]: bytes, framing of lines and literals, transcripts. Depends on nothing.
//! - [`case`]: the human-readable `.imap` case file format. Uses `wire`.
//! - [`input`]: reading the files a user hands the tool, with clear errors. Depends on
//!   nothing.
//! - [`targets`]: the targets file (which servers, how to reach them). Uses `input`.
//! - [`gen`]: seeded generation of command sessions. Uses `wire`.
//! - [`drive`]: tokio driver that runs sessions against targets and records every byte.
//!   Uses `wire`, `targets`.
//! - [`model`]: the executable RFC 2060 model of IMAP4rev1 (RFC 3501 profile). Depends on
//!   no other room.
//! - [`catalogue`]: the requirements catalogue of RFC 2060 and the RFC 3501 profile
//!   (`rfc/requirements.toml`), and the RFC's examples. Depends on nothing.
//! - [`serve`]: the reference server, the model over TCP. Uses `model`.
//! - [`judge`]: syntax, oracle (model), differential, mutation and STARTTLS judging of
//!   transcripts. Uses `wire`, `model`, `catalogue`, the labels of `gen::mutate`, and
//!   the records of `drive::race` and `drive::starttls`.
//! - [`report`]: findings, their JSON Lines file, and the terminal summary. Uses `judge`.
//! - [`lab`]: installs, starts, stops and resets the local server lab. Uses `targets`.
//! - [`feedback`]: response signatures per command, for coverage and the kept corpus.
//!   Uses `wire`.
//! - [`validity`]: how many generated commands the model carries out. Uses `gen`,
//!   `serve`.
//! - [`campaign`]: ties generation, driving, judging and reporting together.
//! - [`probes`]: the STARTTLS probes of a campaign's TLS targets (`drive::starttls`,
//!   judged by `judge::starttls`), their case files and replays.
//! - [`replay`]: runs a case file again. [`bench`]: the throughput benchmarks.
//! - [`baseline`]: the baseline file of known findings, checked against a run's results.
//!   Uses `report`.
//! - [`merge`]: combines the directories of a sharded campaign into one. Uses `report`.
//! - [`redact`]: keeps passwords and AUTHENTICATE data out of case files and findings.
//!   Uses `wire`, `case`, `targets`, the race transcript of `drive`, and the base64 of
//!   `model::sasl`.

pub mod baseline;
pub mod bench;
pub mod campaign;
pub mod case;
pub mod catalogue;
pub mod conclude;
pub mod drive;
pub mod feedback;
pub mod gen;
pub mod input;
pub mod journal;
pub mod judge;
pub mod lab;
pub mod merge;
pub mod minimize;
pub mod model;
pub mod probes;
pub mod races;
pub mod redact;
pub mod replay;
pub mod report;
pub mod serve;
pub mod targets;
pub mod truth;
pub mod validity;
pub mod wire;
