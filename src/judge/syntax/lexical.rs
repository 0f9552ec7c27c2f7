//! Lexical faults no grammar allows: a line not ended by CRLF (RFC 3501 §2.2), NUL, bare
//! CR or 8-bit bytes outside literals (RFC 3501 §9 `CHAR`, `TEXT-CHAR`, `QUOTED-CHAR`),
//! NUL inside a literal (`CHAR8`; RFC 3516 `literal8` excepted), unbalanced
//! parentheses.

use super::{bad, warn, Fault, Grammar};
use crate::wire::{strip_eol, Fragment, Message};

/// Checks that apply to every byte whatever the grammar rule: line ends, NUL, CR, 8-bit.
pub(super) fn lexical(m: &Message, status: bool, g: Grammar) -> Option<Fault> {
    let mut literal8 = false;
    for f in &m.fragments {
        match f {
            Fragment::Line(l) => {
                if !l.ends_with(b"\r\n") {
                    return Some(bad(
                        "CRLF",
                        "line ends with a bare LF instead of CRLF (RFC 3501 §2.2)",
                    ));
                }
                let body = &l[..l.len() - 2];
                let mut in_quote = false;
                let mut i = 0;
                while i < body.len() {
                    let c = body[i];
                    let rule = if in_quote {
                        "QUOTED-CHAR"
                    } else if status {
                        "TEXT-CHAR"
                    } else {
                        "CHAR"
                    };
                    match c {
                        b'"' if !status => in_quote = !in_quote,
                        b'\\' if in_quote => i += 1,
                        0 => return Some(bad(rule, format!("NUL byte at offset {i} of a line"))),
                        b'\r' => {
                            return Some(bad(rule, format!("bare CR at offset {i} of a line")))
                        }
                        0x80..=0xff if !g.utf8 => {
                            return Some(bad(
                                rule,
                                format!(
                                    "8-bit byte 0x{c:02X} at offset {i} of a line (IMAP4rev1 lines are 7-bit; 8-bit data must be sent as a literal)"
                                ),
                            ))
                        }
                        _ => {}
                    }
                    i += 1;
                }
                literal8 = strip_eol(l).ends_with(b"}") && {
                    let s = strip_eol(l);
                    s.iter()
                        .rposition(|&c| c == b'{')
                        .is_some_and(|p| p > 0 && s[p - 1] == b'~')
                };
            }
            Fragment::Literal(b) => {
                if !literal8 {
                    if let Some(i) = b.iter().position(|&c| c == 0) {
                        return Some(bad("CHAR8", format!("NUL byte at offset {i} of a literal")));
                    }
                }
            }
        }
    }
    None
}

pub(super) fn lexically_malformed(line: &[u8]) -> Fault {
    let rest = &line[2..];
    let kw: Vec<u8> = rest
        .iter()
        .take_while(|&&c| c != b' ')
        .copied()
        .collect::<Vec<u8>>()
        .to_ascii_uppercase();
    let rule = match kw.as_slice() {
        b"CAPABILITY" => Some("capability-data"),
        b"FLAGS" | b"SEARCH" | b"LIST" | b"LSUB" | b"STATUS" => Some("mailbox-data"),
        _ if !kw.is_empty() && kw.iter().all(u8::is_ascii_digit) => Some("message-data"),
        _ => None,
    };
    if let Some(rule) = rule {
        bad(
            rule,
            "not well-formed: unbalanced parentheses or brackets, an unterminated quoted string, a short literal or items not separated by single SPs",
        )
    } else {
        warn(
            "response-data",
            "RFC 3501 §7",
            "an extension response that is not well-formed (unbalanced parentheses, unterminated string or bad spacing)",
        )
    }
}
