//! Seeded generation of IMAP4rev1 command sessions (RFC 2060 §6).
//!
//! [`generate`] turns `(seed, index)` into a [`Script`]: the commands of one session,
//! exactly as the client sends them. The session starts in the authenticated state
//! (RFC 2060 §3.2) on an empty account (INBOX exists and is empty). The generator keeps
//! its own picture of the account ([`model`]) so that most arguments make sense: mailboxes
//! it created, the selected mailbox, how many messages it appended or copied. Some
//! arguments are deliberately wrong (missing mailboxes, out-of-range sets, commands in
//! the wrong state), since a server must refuse those the same way everywhere.
//!
//! Messages: APPEND sends an RFC 822 message from [`message`] (mostly plain 7-bit
//! text, some MIME-rich: nested multiparts and message/rfc822, base64, quoted-printable,
//! 8-bit bodies, RFC 2047 words, folded fields, missing Date or From, a rare bare LF) or,
//! one time in ten, a hand-written one from `corpus/messages/` ([`seeds`]). The session
//! keeps each message's facts, so SEARCH values are words the message really holds and
//! FETCH `BODY[section]` part numbers mostly name parts that exist (RFC 2060 §6.4.4,
//! §6.4.5).
//!
//! Every decision is drawn from an [`arbitrary::Unstructured`]; [`commands_from`] runs the
//! same decision code on bytes from elsewhere (a fuzzer).
//!
//! Grammar: every command is a valid RFC 2060 §9 `command` and also a valid RFC 3501 §9
//! one (the tests decode each with imap-codec's strict, RFC 3501 command parser). Where
//! the two grammars differ the generator keeps to their common part: `]` never appears
//! in an atom (an atom-special only in RFC 3501); RFC 2060's `#flag` and `1#search_key`
//! lists are written space-separated, as RFC 3501 corrected them; partial fetches have a
//! non-zero length; literals are always synchronizing (RFC 2088 `{n+}` is the driver's
//! choice). Nothing the generator writes is rejected by imap-codec.
//!
//! Deliberately wrong, but grammatical: LOGIN and AUTHENTICATE in the authenticated state
//! (RFC 2060 §6.2 commands, which the server must refuse there), a minority of
//! selected-state commands with nothing selected, missing mailboxes, out-of-range
//! message sets, STORE and EXPUNGE on EXAMINEd mailboxes, SEARCH CHARSET X-UNKNOWN-8.

pub mod entropy;
pub mod kind;
pub mod message;
pub mod mix;
pub mod model;
pub mod mutate;
pub mod prelude;
pub mod race;
pub mod seeds;
pub mod session;
pub mod sets;
pub mod syntax;

use arbitrary::Unstructured;

use crate::wire::Message;
use entropy::{chance, int, SplitMix64, CHUNK_BYTES};
pub use kind::Kind;
pub use mix::CommandMix;
use session::{Planned, Session};

/// What sessions look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Fewest commands in a session (LOGOUT included).
    pub min_commands: usize,
    /// Most commands in a session; values below `min_commands` are read as `min_commands`.
    pub max_commands: usize,
    /// Prefix of the mailboxes the session creates. Courier's personal namespace is
    /// `INBOX.`, and `INBOX.x` works on Dovecot, Cyrus, Courier and GNU Mailutils.
    pub mailbox_prefix: String,
    /// The hierarchy delimiter (RFC 2060 §6.3.8) assumed when nesting mailbox names.
    pub hierarchy_delimiter: char,
    /// One session in this many ends with LOGOUT (0: never).
    pub logout_one_in: u32,
    /// How often each command is drawn, relative to the built-in weights.
    pub mix: CommandMix,
    /// One command in this many is broken on purpose by a mutation operator (0: never).
    pub mutate_one_in: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            min_commands: 5,
            max_commands: 25,
            mailbox_prefix: "INBOX.".into(),
            hierarchy_delimiter: '.',
            logout_one_in: 5,
            mix: CommandMix::default(),
            mutate_one_in: 50,
        }
    }
}

/// One generated session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub seed: u64,
    pub index: u64,
    pub commands: Vec<Command>,
}

/// One command: its name (`FETCH`, `UID STORE`, ...; a mutation operator's name for a
/// mutated command) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    /// The command as sent: `Fragment::Line`s (with CRLF) and, after a line announcing
    /// a synchronizing literal `{n}`, a `Fragment::Literal` of exactly n octets.
    pub message: Message,
    /// The operator that broke this command on purpose, if one did ([`mutate`]).
    pub mutation: Option<mutate::Operator>,
}

/// Session number `index` of campaign `seed`. The same pair always gives the same bytes.
pub fn generate(seed: u64, index: u64, cfg: &GenConfig) -> Script {
    Script {
        seed,
        index,
        commands: plan(seed, index, cfg)
            .into_iter()
            .map(|p| p.command)
            .collect(),
    }
}

/// The session's commands with what the generator believed when issuing each one.
/// Each command draws from a fresh chunk of the session's SplitMix64 stream.
pub fn plan(seed: u64, index: u64, cfg: &GenConfig) -> Vec<Planned> {
    let mut stream = SplitMix64::for_session(seed, index);
    let mut chunk = [0u8; CHUNK_BYTES];
    stream.fill(&mut chunk[..64]);
    let (count, logout) = draw_shape(&mut Unstructured::new(&chunk[..64]), cfg);
    let mut session = Session::new(cfg, seed, index);
    let mut planned = Vec::with_capacity(count);
    for i in 0..count {
        stream.fill(&mut chunk);
        let u = &mut Unstructured::new(&chunk);
        planned.push(next_command(&mut session, u, logout && i + 1 == count));
    }
    planned
}

/// Session `index` derived from a kept session `parent` (issue 4 §5, feedback): the
/// parent's first commands exactly as the parent sent them (its own byte stream), so that
/// the state it reached is reached again, then new commands from this session's own
/// stream, the first of them broken by a mutation operator one time in two. The prefix
/// never includes the parent's LOGOUT. The same `(seed, index, parent)` always gives the
/// same bytes.
pub fn derive(seed: u64, index: u64, parent: u64, cfg: &GenConfig) -> Script {
    let mut parent_stream = SplitMix64::for_session(seed, parent);
    let mut chunk = [0u8; CHUNK_BYTES];
    parent_stream.fill(&mut chunk[..64]);
    let (parent_count, parent_logout) = draw_shape(&mut Unstructured::new(&chunk[..64]), cfg);
    let mut own = SplitMix64::for_session(seed ^ DERIVED_SALT, index);
    own.fill(&mut chunk[..64]);
    let u = &mut Unstructured::new(&chunk[..64]);
    let keepable = parent_count.saturating_sub(usize::from(parent_logout));
    let prefix = if keepable == 0 {
        0
    } else {
        int(u, 1, keepable as u32) as usize
    };
    let (count, logout) = draw_shape(u, cfg);
    let mutate_first = chance(u, 1, 2);
    // Message-IDs are labelled as the parent's, so that the prefix is the parent's bytes.
    let mut session = Session::new(cfg, seed, parent);
    let mut commands = Vec::with_capacity(prefix + count);
    for _ in 0..prefix {
        parent_stream.fill(&mut chunk);
        let u = &mut Unstructured::new(&chunk);
        commands.push(next_command(&mut session, u, false).command);
    }
    for i in 0..count {
        own.fill(&mut chunk);
        let u = &mut Unstructured::new(&chunk);
        let planned = if i == 0 && mutate_first {
            let op = session.draw_operator(u);
            session.mutated(u, op)
        } else {
            next_command(&mut session, u, logout && i + 1 == count)
        };
        commands.push(planned.command);
    }
    Script {
        seed,
        index,
        commands,
    }
}

/// Keeps a derived session's own stream apart from the ordinary session of that index.
const DERIVED_SALT: u64 = 0x005e_ed0f_de71_7ed0;

/// Runs the generator's decisions on arbitrary bytes (for example a fuzzer's input),
/// for a session whose Message-IDs are labelled `(seed, index)`. When the bytes run out
/// the remaining decisions take their ordinary defaults.
pub fn commands_from(u: &mut Unstructured, seed: u64, index: u64, cfg: &GenConfig) -> Vec<Command> {
    let (count, logout) = draw_shape(u, cfg);
    let mut session = Session::new(cfg, seed, index);
    (0..count)
        .map(|i| next_command(&mut session, u, logout && i + 1 == count).command)
        .collect()
}

/// How many commands, and whether the last is LOGOUT (RFC 2060 §6.1.3: after LOGOUT
/// the server closes the connection, so nothing may follow it).
fn draw_shape(u: &mut Unstructured, cfg: &GenConfig) -> (usize, bool) {
    let lo = cfg.min_commands.min(u32::MAX as usize) as u32;
    let hi = cfg
        .max_commands
        .max(cfg.min_commands)
        .min(u32::MAX as usize) as u32;
    let count = int(u, lo, hi) as usize;
    let logout = count > 0 && cfg.logout_one_in > 0 && chance(u, 1, cfg.logout_one_in);
    (count, logout)
}

fn next_command(session: &mut Session, u: &mut Unstructured, logout: bool) -> Planned {
    // The rest of a twin question comes first, unbroken; LOGOUT cuts it short.
    if logout {
        session.drop_twins();
    } else if let Some(twin) = session.next_twin() {
        return twin;
    }
    if !logout && session.mutate_one_in() > 0 && chance(u, 1, session.mutate_one_in()) {
        let op = session.draw_operator(u);
        return session.mutated(u, op);
    }
    let kind = if logout {
        Kind::Logout
    } else {
        session.draw_kind(u)
    };
    session.command(u, kind)
}

/// A short human summary: one line per command, literals shown by length.
pub fn describe(script: &Script) -> String {
    let mut out = format!(
        "session {} of seed {}: {} commands\n",
        script.index,
        script.seed,
        script.commands.len()
    );
    for c in &script.commands {
        for f in &c.message.fragments {
            match f {
                crate::wire::Fragment::Line(l) => {
                    out.push_str(&crate::wire::escape(crate::wire::strip_eol(l)));
                }
                crate::wire::Fragment::Literal(b) => {
                    out.push_str(&format!("<{} octets>", b.len()));
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
