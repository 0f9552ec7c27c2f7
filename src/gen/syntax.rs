//! Writing a command's bytes: atoms, quoted strings, synchronizing literals.
//!
//! RFC 2060 §4.3: a string is either quoted or a literal; RFC 2060 §9 `astring ::= atom /
//! string`. This module decides, per argument, which of the forms a value is sent in, and
//! splits the command into [`Fragment`]s wherever a literal is announced.

use arbitrary::Unstructured;

use super::entropy::chance;
use crate::wire::{Fragment, Message};

/// A command being written: finished fragments plus the line in progress.
#[derive(Debug)]
pub struct CommandText {
    fragments: Vec<Fragment>,
    line: Vec<u8>,
}

impl CommandText {
    /// RFC 2060 §2.2.1: every command starts with a tag and a space.
    pub fn new(tag: &str) -> Self {
        let mut line = Vec::with_capacity(96);
        line.extend_from_slice(tag.as_bytes());
        line.push(b' ');
        CommandText {
            fragments: Vec::with_capacity(1),
            line,
        }
    }

    /// A piece of a command without its tag, to be put into commands later with
    /// [`CommandText::append`].
    pub fn bare() -> Self {
        CommandText {
            fragments: Vec::new(),
            line: Vec::new(),
        }
    }

    /// The fragments written so far; the line in progress without a CRLF.
    pub fn into_pieces(mut self) -> Vec<Fragment> {
        self.fragments.push(Fragment::Line(self.line));
        self.fragments
    }

    /// Appends pieces from [`CommandText::into_pieces`]: a line that announces a literal
    /// ends there, the literal follows, and the text after it goes on the next line.
    pub fn append(&mut self, pieces: &[Fragment]) -> &mut Self {
        for f in pieces {
            match f {
                Fragment::Line(l) => {
                    self.line.extend_from_slice(l);
                    if l.ends_with(b"\r\n") {
                        self.fragments
                            .push(Fragment::Line(std::mem::take(&mut self.line)));
                    }
                }
                Fragment::Literal(d) => self.fragments.push(Fragment::Literal(d.clone())),
            }
        }
        self
    }

    /// RFC 2060 §9: "The ASCII characters ... are case-insensitive": rewrites the
    /// command name (and a UID command's sub-command) in lower case, or in alternating
    /// case. Called after the command is written.
    pub fn recase_verb(&mut self, lower: bool) {
        let line = match self.fragments.first_mut() {
            Some(Fragment::Line(l)) => l,
            _ => &mut self.line,
        };
        let Some(start) = line.iter().position(|&b| b == b' ').map(|p| p + 1) else {
            return;
        };
        let word_end = |from: usize, line: &[u8]| {
            line[from..]
                .iter()
                .position(|&b| b == b' ' || b == b'\r')
                .map_or(line.len(), |p| from + p)
        };
        let mut end = word_end(start, line);
        if line[start..end].eq_ignore_ascii_case(b"UID") && end < line.len() && line[end] == b' ' {
            end = word_end(end + 1, line);
        }
        for (i, b) in line[start..end].iter_mut().enumerate() {
            if b.is_ascii_alphabetic() && (lower || i % 2 == 1) {
                *b = b.to_ascii_lowercase();
            }
        }
    }

    /// Appends text to the current line as is (the caller guarantees it is grammatical).
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.line.extend_from_slice(text.as_bytes());
        self
    }

    pub fn space(&mut self) -> &mut Self {
        self.line.push(b' ');
        self
    }

    /// RFC 2060 §4.3: `literal ::= "{" number "}" CRLF *CHAR8`. Always synchronizing;
    /// whether to turn it into RFC 2088 `{n+}` is the driver's decision.
    pub fn literal(&mut self, data: &[u8]) -> &mut Self {
        self.line
            .extend_from_slice(format!("{{{}}}\r\n", data.len()).as_bytes());
        self.fragments
            .push(Fragment::Line(std::mem::take(&mut self.line)));
        self.fragments.push(Fragment::Literal(data.to_vec()));
        self
    }

    /// RFC 2060 §4.3: `quoted ::= <"> *QUOTED_CHAR <">`, with `"` and `\` escaped.
    pub fn quoted(&mut self, text: &str) -> &mut Self {
        self.line.push(b'"');
        for b in text.bytes() {
            if b == b'"' || b == b'\\' {
                self.line.push(b'\\');
            }
            self.line.push(b);
        }
        self.line.push(b'"');
        self
    }

    /// RFC 2060 §9 `astring ::= atom / string`: an atom when the text allows one (mostly),
    /// otherwise (or sometimes anyway) a quoted string, and now and then a literal.
    pub fn astring(&mut self, u: &mut Unstructured, text: &str) -> &mut Self {
        if is_atom(text) && !chance(u, 1, 8) {
            self.raw(text)
        } else {
            self.string(u, text)
        }
    }

    /// RFC 2060 §9 `string ::= quoted / literal`: quoted when it can be, sometimes a literal.
    pub fn string(&mut self, u: &mut Unstructured, text: &str) -> &mut Self {
        if is_quotable(text) && !chance(u, 1, 10) {
            self.quoted(text)
        } else {
            self.literal(text.as_bytes())
        }
    }

    /// Ends the current line and starts a client answer to a continuation request (RFC
    /// 2060 §6.2.1 "The client answer consists of a line"; `*` cancels): the driver sends
    /// it only when the server asks.
    pub fn answer(&mut self, text: &str) -> &mut Self {
        self.line.extend_from_slice(b"\r\n");
        self.fragments
            .push(Fragment::Line(std::mem::take(&mut self.line)));
        self.line.extend_from_slice(text.as_bytes());
        self
    }

    /// The finished command: the current line gets its CRLF.
    pub fn finish(mut self) -> Message {
        self.line.extend_from_slice(b"\r\n");
        self.fragments.push(Fragment::Line(self.line));
        Message {
            fragments: self.fragments,
        }
    }
}

/// RFC 3501 §9 `ATOM-CHAR`: any CHAR except atom-specials. `]` is also refused, since it
/// is an atom-special in RFC 3501 (a resp-special), so an atom here is an atom in both
/// RFC 2060 and RFC 3501.
pub fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !b"(){%*\"\\]".contains(&b)
}

/// A non-empty run of atom characters.
pub fn is_atom(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_atom_char)
}

/// RFC 2060 §9 `QUOTED_CHAR ::= <any TEXT_CHAR except quoted_specials> / "\" quoted_specials`:
/// 7-bit, no CR or LF, no NUL.
pub fn is_quotable(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x01..=0x7f) && b != b'\r' && b != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recasing_touches_the_command_name_only() {
        let mut c = CommandText::new("a1");
        c.raw("UID FETCH 1 FLAGS");
        c.recase_verb(true);
        assert_eq!(c.finish().to_bytes(), b"a1 uid fetch 1 FLAGS\r\n");
        let mut c = CommandText::new("a2");
        c.raw("APPEND").space().literal(b"INBOX").raw(" (\\Seen)");
        c.recase_verb(false);
        let bytes = c.finish().to_bytes();
        assert!(bytes.starts_with(b"a2 ApPeNd {5}\r\nINBOX"), "{bytes:?}");
    }

    #[test]
    fn literals_split_the_command() {
        let mut c = CommandText::new("a1");
        c.raw("LOGIN").space().literal(b"ab").space().quoted("p\"w");
        let m = c.finish();
        assert_eq!(
            m.fragments,
            vec![
                Fragment::Line(b"a1 LOGIN {2}\r\n".to_vec()),
                Fragment::Literal(b"ab".to_vec()),
                Fragment::Line(b" \"p\\\"w\"\r\n".to_vec()),
            ]
        );
    }

    #[test]
    fn atom_rules() {
        assert!(is_atom("INBOX.work"));
        assert!(!is_atom("a b"));
        assert!(!is_atom("a]"));
        assert!(!is_atom(""));
        assert!(!is_atom("x*"));
        assert!(is_quotable("a b"));
        assert!(!is_quotable("a\r\n"));
    }
}
