//! What the driver reads in commands and responses, and the commands it writes itself:
//! LOGIN (RFC 2060 §6.2.2), AUTHENTICATE (§6.2.1), LOGOUT (§6.1.3), capabilities from
//! `* CAPABILITY` (§7.2.1) and the `[CAPABILITY ...]` code (RFC 3501 §7.1), and
//! literals in both forms (RFC 2060 §4.3, RFC 2088 LITERAL+).

use crate::targets::Credentials;
use crate::wire::{literal_announcement, Exchange, Fragment, FrameLimits, Message};

/// Whether the exchange ended in a tagged OK.
pub(super) fn completed_ok(e: &Exchange) -> bool {
    e.completion().is_some_and(|m| {
        m.first_line()
            .split(|&c| c == b' ')
            .nth(1)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"OK"))
    })
}

/// `bytes` cut into messages as far as they frame (the rest, if any, as one unfinished
/// message): how plaintext received where none belongs is recorded.
pub(crate) fn frame_all(bytes: &[u8]) -> Vec<Message> {
    let mut framer = crate::wire::Framer::new(FrameLimits {
        max_line: usize::MAX,
        max_literal: u64::MAX,
        max_message: usize::MAX,
    });
    framer.push(bytes);
    let mut out = Vec::new();
    while let Ok(Some(m)) = framer.next_message() {
        out.push(m);
    }
    out.extend(framer.finish());
    out
}

/// The capability list in a `* CAPABILITY` response or a `[CAPABILITY ...]` code.
pub fn capabilities_in(line: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(line);
    let upper = text.to_ascii_uppercase();
    let list = if upper.starts_with("* CAPABILITY ") {
        &text["* CAPABILITY ".len()..]
    } else {
        let start = upper.find("[CAPABILITY ")? + "[CAPABILITY ".len();
        let end = text[start..].find(']')? + start;
        &text[start..end]
    };
    Some(list.split_ascii_whitespace().map(str::to_string).collect())
}

/// Whether `next` waits for a continuation request after `prev`: a literal after a line
/// announcing a synchronizing one (RFC 2060 §4.3), and a line after a complete line, which
/// is an answer to a server challenge (RFC 2060 §6.2.1: "The client answer consists of a
/// line"; `*` cancels). A line after a literal is the rest of the command line.
pub fn waits_for_continuation(prev: &Fragment, next: &Fragment) -> bool {
    match (prev, next) {
        (Fragment::Line(l), Fragment::Literal(_)) => {
            literal_announcement(l).is_some_and(|(_, sync)| sync)
        }
        (Fragment::Line(l), Fragment::Line(_)) => literal_announcement(l).is_none(),
        _ => false,
    }
}

/// `{n}` at the end of a line becomes `{n+}`.
pub(super) fn to_non_sync(line: &[u8]) -> Vec<u8> {
    let body = crate::wire::strip_eol(line);
    let eol = &line[body.len()..];
    let mut out = body[..body.len() - 1].to_vec();
    out.extend_from_slice(b"+}");
    out.extend_from_slice(eol);
    out
}

/// `{n+}` at the end of a line becomes `{n}`: undoes the driver's LITERAL+ rewrite when
/// a case recorded against one server is replayed against another.
pub fn to_sync(line: &[u8]) -> Vec<u8> {
    match literal_announcement(line) {
        Some((_, false)) => {
            let body = crate::wire::strip_eol(line);
            let eol = &line[body.len()..];
            let mut out = body[..body.len() - 2].to_vec();
            out.push(b'}');
            out.extend_from_slice(eol);
            out
        }
        _ => line.to_vec(),
    }
}

/// Whether a command is `tag AUTHENTICATE ...` (RFC 2060 §6.2.1).
pub fn is_authenticate(cmd: &Message) -> bool {
    cmd.first_line()
        .split(|&c| c == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"AUTHENTICATE"))
}

/// Whether a command is `tag LOGIN ...` (RFC 2060 §6.2.2).
pub fn is_login(cmd: &Message) -> bool {
    cmd.first_line()
        .split(|&c| c == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGIN"))
}

pub(super) fn is_logout(cmd: &Message) -> bool {
    let line = cmd.first_line();
    let mut words = line.split(|&c| c == b' ');
    words.next();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGOUT"))
}

/// `tag LOGIN user password` with each argument as an `astring` (RFC 2060 §9): an atom
/// when it can be, a quoted string otherwise, and a literal for what a quoted string
/// cannot hold (CR, LF, NUL, 8-bit).
pub fn login_command(tag: &str, c: &Credentials) -> Message {
    let mut fragments = Vec::new();
    let mut line = format!("{tag} LOGIN").into_bytes();
    for arg in [&c.user, &c.password] {
        line.push(b' ');
        let b = arg.as_bytes();
        let atom = !b.is_empty()
            && b.iter()
                .all(|&ch| ch.is_ascii_graphic() && !b"(){%*\"\\]".contains(&ch));
        let quotable = b
            .iter()
            .all(|&ch| (0x01..0x80).contains(&ch) && ch != b'\r' && ch != b'\n');
        if atom {
            line.extend_from_slice(b);
        } else if quotable {
            line.push(b'"');
            for &ch in b {
                if ch == b'"' || ch == b'\\' {
                    line.push(b'\\');
                }
                line.push(ch);
            }
            line.push(b'"');
        } else {
            line.extend_from_slice(format!("{{{}}}\r\n", b.len()).as_bytes());
            fragments.push(Fragment::Line(std::mem::take(&mut line)));
            fragments.push(Fragment::Literal(b.to_vec()));
        }
    }
    line.extend_from_slice(b"\r\n");
    fragments.push(Fragment::Line(line));
    Message { fragments }
}
