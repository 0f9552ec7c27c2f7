//! A grammar-agnostic reader of IMAP response data.
//!
//! Every IMAP4rev1 response and every extension response is built from the same few
//! lexical forms (RFC 3501 §4: atom, number, string (quoted or literal), parenthesized
//! list, NIL). This reader knows only those forms, so it can take apart responses that
//! the strict decoder does not know (extension data) and tell *which* parts are
//! IMAP4rev1 and which are not. It is also what the normaliser renders.
//!
//! A FETCH item name such as `BODY[HEADER.FIELDS (FROM)]<0>` is read as one atom: RFC 3501
//! §9 `section` may hold spaces, lists and strings inside its brackets.

/// One lexical item, with the byte range it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokKind,
    /// Start and end (exclusive) in the message bytes.
    pub span: (usize, usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokKind {
    /// An atom, number, NIL or flag, exactly as sent.
    Atom(Vec<u8>),
    /// A string's content: quoted (unescaped) or literal (RFC 3501 §4.3; also RFC 3516
    /// `literal8`). Both forms denote the same string.
    Str(Vec<u8>),
    /// A parenthesized list.
    List(Vec<Tok>),
}

impl Tok {
    pub fn atom(&self) -> Option<&[u8]> {
        match &self.kind {
            TokKind::Atom(a) => Some(a),
            _ => None,
        }
    }

    pub fn list(&self) -> Option<&[Tok]> {
        match &self.kind {
            TokKind::List(l) => Some(l),
            _ => None,
        }
    }

    /// Atom or string content, for places where either may appear (`astring`, `nstring`).
    pub fn text(&self) -> Option<&[u8]> {
        match &self.kind {
            TokKind::Atom(a) | TokKind::Str(a) => Some(a),
            TokKind::List(_) => None,
        }
    }

    /// Greatest nesting depth of lists in this item (0 for an atom or string).
    pub fn depth(&self) -> usize {
        match &self.kind {
            TokKind::List(l) => 1 + l.iter().map(Tok::depth).max().unwrap_or(0),
            _ => 0,
        }
    }
}

/// Reads space-separated items from `pos` until the CRLF (or bare LF) that ends the
/// message at top level. `None` when the bytes are not well-formed at the lexical level:
/// an unterminated quoted string, unbalanced parentheses or brackets, a literal shorter
/// than announced, or items not separated by exactly one space.
pub fn items(msg: &[u8], pos: usize) -> Option<Vec<Tok>> {
    let mut p = pos;
    let out = seq(msg, &mut p, 0)?;
    match msg.get(p..)? {
        b"\r\n" | b"\n" | b"" => Some(out),
        _ => None,
    }
}

const MAX_DEPTH: usize = 200;

/// Items separated by single spaces, up to `)` (depth > 0) or the line end (depth 0).
fn seq(m: &[u8], p: &mut usize, depth: usize) -> Option<Vec<Tok>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut out = Vec::new();
    loop {
        match m.get(*p) {
            None | Some(b'\r') | Some(b'\n') if depth == 0 => return Some(out),
            Some(b')') if depth > 0 => return Some(out),
            None => return None,
            _ => {}
        }
        if !out.is_empty() {
            if m.get(*p) != Some(&b' ') {
                // RFC 3501 §9 separates items of lists and responses by single SPs. One
                // exception: a list directly followed by another item (e.g. the address
                // lists `((..)(..))`) has no separator; accept `)(`.
                let prev_is_list = matches!(
                    out.last(),
                    Some(Tok {
                        kind: TokKind::List(_),
                        ..
                    })
                );
                if !(prev_is_list && m.get(*p) == Some(&b'(')) {
                    return None;
                }
            } else {
                *p += 1;
            }
        }
        out.push(item(m, p, depth)?);
    }
}

fn item(m: &[u8], p: &mut usize, depth: usize) -> Option<Tok> {
    let start = *p;
    let kind = match *m.get(*p)? {
        b'(' => {
            *p += 1;
            let l = seq(m, p, depth + 1)?;
            if m.get(*p) != Some(&b')') {
                return None;
            }
            *p += 1;
            TokKind::List(l)
        }
        b'"' => TokKind::Str(quoted(m, p)?),
        b'{' => TokKind::Str(literal(m, p)?),
        b'~' if m.get(*p + 1) == Some(&b'{') => {
            *p += 1;
            TokKind::Str(literal(m, p)?)
        }
        _ => TokKind::Atom(atom(m, p)?),
    };
    Some(Tok {
        kind,
        span: (start, *p),
    })
}

/// RFC 3501 §9 `quoted = DQUOTE *QUOTED-CHAR DQUOTE`, returned unescaped.
fn quoted(m: &[u8], p: &mut usize) -> Option<Vec<u8>> {
    *p += 1;
    let mut s = Vec::new();
    loop {
        match *m.get(*p)? {
            b'"' => {
                *p += 1;
                return Some(s);
            }
            b'\\' => {
                s.push(*m.get(*p + 1)?);
                *p += 2;
            }
            b'\r' | b'\n' => return None,
            c => {
                s.push(c);
                *p += 1;
            }
        }
    }
}

/// RFC 3501 §4.3 `literal = "{" number "}" CRLF *CHAR8` (also `{n+}`, which only clients
/// may send, is read so that it can be judged elsewhere).
fn literal(m: &[u8], p: &mut usize) -> Option<Vec<u8>> {
    let rest = &m[*p + 1..];
    let close = rest.iter().position(|&c| c == b'}')?;
    let mut digits = &rest[..close];
    if let Some(d) = digits.strip_suffix(b"+") {
        digits = d;
    }
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let mut q = *p + 1 + close + 1;
    if m.get(q..q + 2) == Some(b"\r\n") {
        q += 2;
    } else if m.get(q) == Some(&b'\n') {
        q += 1;
    } else {
        return None;
    }
    let body = m.get(q..q.checked_add(n)?)?.to_vec();
    *p = q + n;
    Some(body)
}

/// Anything up to a space, parenthesis or line end; `[...]` is read as a whole (it may
/// hold spaces, lists and quoted strings), so is `<...>`.
fn atom(m: &[u8], p: &mut usize) -> Option<Vec<u8>> {
    let start = *p;
    while let Some(&c) = m.get(*p) {
        match c {
            b' ' | b'(' | b')' | b'\r' | b'\n' | b'"' | b'{' => break,
            b'[' => match section_end(m, *p) {
                Some(end) => *p = end,
                // Not a section: `[` is an ATOM-CHAR (RFC 3501 §9), e.g. keyword `foo[`.
                None => *p += 1,
            },
            _ => *p += 1,
        }
    }
    if *p == start {
        return None;
    }
    Some(m[start..*p].to_vec())
}

/// The end (after `]`) of a bracketed section starting at `open`, if it closes on this
/// line; quoted strings inside may hold brackets.
fn section_end(m: &[u8], open: usize) -> Option<usize> {
    let mut p = open + 1;
    let mut nest = 1;
    while nest > 0 {
        match *m.get(p)? {
            b'[' => nest += 1,
            b']' => nest -= 1,
            b'"' => {
                quoted(m, &mut p)?;
                continue;
            }
            b'\r' | b'\n' => return None,
            _ => {}
        }
        p += 1;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atoms(ts: &[Tok]) -> Vec<String> {
        ts.iter()
            .map(|t| match &t.kind {
                TokKind::Atom(a) => String::from_utf8_lossy(a).into_owned(),
                TokKind::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
                TokKind::List(l) => format!("({})", atoms(l).join(" ")),
            })
            .collect()
    }

    #[test]
    fn reads_fetch_items_with_sections_literals_and_lists() {
        let m =
            b"* 2 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM \"X\")]<0> {3}\r\nabc UID 7)\r\n";
        let t = items(m, 2).unwrap();
        assert_eq!(
            atoms(&t),
            vec![
                "2",
                "FETCH",
                "(FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM \"X\")]<0> \"abc\" UID 7)"
            ]
        );
    }

    #[test]
    fn quoted_and_literal_strings_are_the_same_token() {
        let a = items(b"(\"a\\\"b\")\r\n", 0).unwrap();
        let b = items(b"({3}\r\na\"b)\r\n", 0).unwrap();
        assert_eq!(a[0].list().unwrap()[0].kind, b[0].list().unwrap()[0].kind);
    }

    #[test]
    fn refuses_what_no_imap_grammar_allows() {
        assert!(items(b"(a b\r\n", 0).is_none(), "unbalanced parenthesis");
        assert!(items(b"a b)\r\n", 0).is_none(), "stray close parenthesis");
        assert!(items(b"\"abc\r\n", 0).is_none(), "unterminated quoted");
        assert!(items(b"{5}\r\nab\r\n", 0).is_none(), "short literal");
        assert!(items(b"a  b\r\n", 0).is_none(), "two spaces");
        assert!(items(b"a (b\r\n", 0).is_none(), "unclosed list");
    }

    #[test]
    fn an_unclosed_bracket_is_an_atom_char() {
        let t = items(b"(\\Seen foo[ bar)\r\n", 0).unwrap();
        assert_eq!(atoms(&t), vec!["(\\Seen foo[ bar)"]);
    }

    #[test]
    fn adjacent_lists_need_no_space() {
        let t = items(b"((a)(b))\r\n", 0).unwrap();
        assert_eq!(t[0].list().unwrap().len(), 2);
        assert_eq!(t[0].depth(), 2);
    }
}
