//! The bytes of an IMAP conversation and their framing.
//!
//! RFC 2060 §2.2: "All interactions transmitted by client and server are in the form
//! of lines; that is, strings that end with a CRLF. The protocol receiver of an IMAP4rev1
//! client or server is either reading a line, or is reading a sequence of octets with a
//! known count followed by a line."
//!
//! This room knows nothing about what the lines mean: it only splits a stream into
//! *messages* (a line, plus the literals it announces and the lines that follow them)
//! and records who sent which bytes. Every other room builds on these types.

pub mod framing;
pub mod transcript;

pub use framing::{FrameError, FrameLimits, Framer};
pub use transcript::{End, Event, Exchange, Late, Transcript};

/// One piece of a message as it crossed the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fragment {
    /// A line, with its terminator as sent (normally CRLF; a hostile or broken peer may
    /// send a bare LF, or the stream may end without one).
    Line(Vec<u8>),
    /// The octets of a literal (RFC 2060 §4.3), exactly as many as were sent.
    Literal(Vec<u8>),
}

impl Fragment {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Fragment::Line(b) | Fragment::Literal(b) => b,
        }
    }
}

/// A complete message: one command from the client, or one response from the server.
///
/// For a command with synchronizing literals the driver sends it in several parts and
/// waits for the server's continuation request in between; the message still holds all
/// of its fragments in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Message {
    pub fragments: Vec<Fragment>,
}

impl Message {
    /// A message made of one CRLF-terminated line.
    pub fn line(text: impl AsRef<[u8]>) -> Self {
        let mut b = text.as_ref().to_vec();
        b.extend_from_slice(b"\r\n");
        Message {
            fragments: vec![Fragment::Line(b)],
        }
    }

    /// All bytes of the message, as they were on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for f in &self.fragments {
            out.extend_from_slice(f.bytes());
        }
        out
    }

    pub fn len(&self) -> usize {
        self.fragments.iter().map(|f| f.bytes().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first line without its terminator: the part that says what the message is.
    pub fn first_line(&self) -> &[u8] {
        match self.fragments.first() {
            Some(Fragment::Line(l)) => strip_eol(l),
            _ => b"",
        }
    }

    /// The tag of a command or tagged response (the first space-separated word), or `*`
    /// and `+` for untagged responses and continuation requests.
    pub fn tag(&self) -> &[u8] {
        let l = self.first_line();
        let end = l.iter().position(|&c| c == b' ').unwrap_or(l.len());
        &l[..end]
    }

    /// Whether this server message is a continuation request (RFC 2060 §7.5).
    pub fn is_continuation(&self) -> bool {
        self.first_line().starts_with(b"+")
    }

    /// Whether this server message is untagged (RFC 2060 §2.2.2).
    pub fn is_untagged(&self) -> bool {
        self.first_line().starts_with(b"* ") || self.first_line() == b"*"
    }
}

/// The first word of the first non-synchronizing literal (RFC 2088 `{n+}`) a command
/// carries: the tag its octets would carry if a server that does not read `{n+}` took
/// them for a command line of their own.
pub fn non_sync_literal_tag(cmd: &Message) -> Option<Vec<u8>> {
    cmd.fragments.windows(2).find_map(|w| match (&w[0], &w[1]) {
        (Fragment::Line(l), Fragment::Literal(data))
            if literal_announcement(l).is_some_and(|(_, sync)| !sync) =>
        {
            let end = data.iter().position(|&b| b == b' ')?;
            Some(data[..end].to_vec())
        }
        _ => None,
    })
}

/// A line without its CRLF (or bare LF) terminator.
pub fn strip_eol(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// The literal a line announces at its end: RFC 2060 §4.3 `literal ::= "{" number "}" CRLF`,
/// and RFC 2088's non-synchronizing form `{n+}`. Returns `(length, synchronizing)`.
///
/// Lengths that do not fit in 64 bits are reported as `u64::MAX` so that a limit check
/// can refuse them instead of wrapping.
pub fn literal_announcement(line: &[u8]) -> Option<(u64, bool)> {
    let l = strip_eol(line);
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&c| c == b'{')?;
    let mut inner = &l[open + 1..];
    let mut sync = true;
    if let Some(i) = inner.strip_suffix(b"+") {
        inner = i;
        sync = false;
    }
    if inner.is_empty() || !inner.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in inner {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) => n,
            None => return Some((u64::MAX, sync)),
        };
    }
    Some((n, sync))
}

/// Renders bytes for a person: printable ASCII as is, everything else escaped
/// (`\r`, `\n`, `\t`, `\\`, `\xHH`). This is the escaping of case files.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02X}")),
        }
    }
    s
}

/// The inverse of [`escape`]. Errors name the column of the bad escape.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let col = i + 1;
        match b.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let hex = b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!("column {col}: `\\x` must be followed by two hex digits")
                    })?;
                out.push(hex);
                i += 4;
                continue;
            }
            Some(&c) => {
                return Err(format!(
                    "column {col}: unknown escape `\\{}` (use \\\\, \\r, \\n, \\t or \\xHH)",
                    c as char
                ))
            }
            None => return Err(format!("column {col}: lone backslash at end of text")),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements_follow_rfc_2060_and_literal_plus() {
        assert_eq!(
            literal_announcement(b"a APPEND x {12}\r\n"),
            Some((12, true))
        );
        assert_eq!(
            literal_announcement(b"a APPEND x {12+}\r\n"),
            Some((12, false))
        );
        assert_eq!(
            literal_announcement(b"* 1 FETCH (BODY[] {0}\r\n"),
            Some((0, true))
        );
        assert_eq!(literal_announcement(b"a NOOP\r\n"), None);
        assert_eq!(literal_announcement(b"a {}\r\n"), None);
        assert_eq!(literal_announcement(b"a {1x}\r\n"), None);
        assert_eq!(
            literal_announcement(b"* {99999999999999999999999}\r\n"),
            Some((u64::MAX, true))
        );
    }

    #[test]
    fn escape_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(unescape(&escape(&all)).unwrap(), all);
        assert_eq!(escape(b"a\\b\r\n\x00\xff"), "a\\\\b\\r\\n\\x00\\xFF");
    }

    #[test]
    fn unescape_names_the_bad_column() {
        assert!(unescape("ab\\q").unwrap_err().contains("column 3"));
        assert!(unescape("ab\\x4").unwrap_err().contains("column 3"));
        assert!(unescape("ab\\").unwrap_err().contains("lone backslash"));
    }

    #[test]
    fn tags_and_kinds() {
        let m = Message::line("a17 OK done");
        assert_eq!(m.tag(), b"a17");
        assert!(!m.is_untagged());
        assert!(Message::line("* 3 EXISTS").is_untagged());
        assert!(Message::line("+ go ahead").is_continuation());
    }
}
