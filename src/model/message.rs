//! A stored message and everything FETCH and SEARCH compute from it.
//!
//! [`Message::parse`] is total: any bytes are a message. Lines end at LF (CRLF or bare
//! LF); the header ends at the first empty line (RFC 822 §3.1; without one the whole
//! message is header and the body is empty); MIME structure follows RFC 2045 and
//! RFC 2046 §5.1.1, nested at most [`MAX_DEPTH`] levels. All byte ranges point into the
//! stored bytes, so sections are exact slices of what was appended.

use std::ops::Range;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use super::value::{Address, BodyFields, BodyStructure, Disposition, Envelope, Params, SingleKind};

/// Deepest MIME nesting parsed (multipart and message/rfc822 levels). Deeper
/// multipart or message/rfc822 parts are taken as APPLICATION/OCTET-STREAM leaves.
pub const MAX_DEPTH: usize = 50;

/// RFC 2060 §6.4.5: the text part of a section specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    /// `HEADER`: the RFC 822 header including the blank line.
    Header,
    /// `HEADER.FIELDS (names)`: only the named fields, then the blank line.
    HeaderFields(Vec<Vec<u8>>),
    /// `HEADER.FIELDS.NOT (names)`: all fields but the named ones, then the blank line.
    HeaderFieldsNot(Vec<Vec<u8>>),
    /// `TEXT`: the body of the message.
    Text,
    /// `MIME`: the MIME header of a numbered part, including the blank line.
    Mime,
}

/// A stored message: its bytes and its MIME tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    raw: Vec<u8>,
    root: Part,
}

/// One MIME entity: header (with the blank line that ends it) and body, as ranges of
/// the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    header: Range<usize>,
    body: Range<usize>,
    ctype: ContentType,
    content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    Leaf,
    Multipart(Vec<Part>),
    /// message/rfc822: the encapsulated message, whose ranges lie inside the body.
    Message(Box<Part>),
}

/// RFC 2045 §5.1 Content-Type as written (or defaulted).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContentType {
    media_type: Vec<u8>,
    subtype: Vec<u8>,
    params: Params,
}

impl ContentType {
    /// RFC 2045 §5.2: no (or an invalid) Content-Type is `text/plain; charset=us-ascii`.
    fn text_plain() -> ContentType {
        ContentType {
            media_type: b"TEXT".to_vec(),
            subtype: b"PLAIN".to_vec(),
            params: vec![(b"CHARSET".to_vec(), b"US-ASCII".to_vec())],
        }
    }

    /// RFC 2046 §5.1.5: in a multipart/digest the default is message/rfc822.
    fn message_rfc822() -> ContentType {
        ContentType {
            media_type: b"MESSAGE".to_vec(),
            subtype: b"RFC822".to_vec(),
            params: vec![],
        }
    }

    fn is(&self, t: &[u8], s: Option<&[u8]>) -> bool {
        self.media_type.eq_ignore_ascii_case(t)
            && s.is_none_or(|s| self.subtype.eq_ignore_ascii_case(s))
    }
}

impl Message {
    /// Parses any bytes as a message; never fails, never panics.
    pub fn parse(raw: Vec<u8>) -> Message {
        let root = parse_part(&raw, 0..raw.len(), 0, ContentType::text_plain());
        Message { raw, root }
    }

    /// The stored bytes (RFC 2060 §6.4.5 `BODY[]`).
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// RFC 2060 §2.3.4 RFC822.SIZE: the number of octets of the stored message.
    pub fn size(&self) -> u32 {
        len32(self.raw.len())
    }

    /// The top-level header including the blank line (RFC 2060 §6.4.5 `HEADER`).
    pub fn header_bytes(&self) -> &[u8] {
        &self.raw[self.root.header.clone()]
    }

    /// The top-level body (RFC 2060 §6.4.5 `TEXT`).
    pub fn body_bytes(&self) -> &[u8] {
        &self.raw[self.root.body.clone()]
    }

    /// RFC 2060 §6.4.4 SEARCH HEADER: the values of all top-level header fields named
    /// `name` (case-insensitive), in message order, unfolded (line breaks removed) and
    /// without the whitespace after the colon.
    pub fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>> {
        fields(self.header_bytes())
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(Field::value)
            .collect()
    }

    /// RFC 2060 §7.4.2 ENVELOPE of the message.
    pub fn envelope(&self) -> Envelope {
        envelope(&self.raw[self.root.header.clone()])
    }

    /// The ENVELOPE a server that takes an address's comment for its personal name sends
    /// (`user@domain (Real Name)` with addr-name "Real Name"). RFC 2060 §7.4.2 names the
    /// field only "personal name"; RFC 822 §6.1 does not make a comment a phrase, so the
    /// model's own ENVELOPE has NIL there ([`Message::envelope`]), but servers built on
    /// older mail libraries use the comment, and the RFC does not forbid it.
    pub fn envelope_comment_names(&self) -> Envelope {
        envelope_with(&self.raw[self.root.header.clone()], true)
    }

    /// RFC 2060 §7.4.2 BODYSTRUCTURE of the message (write it with `extended = false`
    /// for BODY).
    pub fn body_structure(&self) -> BodyStructure {
        structure(&self.raw, &self.root)
    }

    /// RFC 2060 §6.4.5 `BODY[section]`: `part` are the part numbers (empty for the whole
    /// message), `text` the optional text specifier. None when the part does not exist
    /// or the specifier does not apply to it (HEADER, TEXT and HEADER.FIELDS need a
    /// message or a MESSAGE/RFC822 part; MIME needs a part number).
    pub fn section(&self, part: &[u32], text: Option<&SectionText>) -> Option<Vec<u8>> {
        if part.is_empty() {
            return match text {
                None => Some(self.raw.clone()),
                Some(SectionText::Mime) => None,
                Some(t) => Some(self.message_text(&self.root, t)),
            };
        }
        let p = self.resolve(part)?;
        match text {
            None => Some(self.raw[p.body.clone()].to_vec()),
            Some(SectionText::Mime) => Some(self.raw[p.header.clone()].to_vec()),
            Some(t) => match &p.content {
                Content::Message(inner) => Some(self.message_text(inner, t)),
                _ => None,
            },
        }
    }

    /// HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT or TEXT of the message `m`.
    fn message_text(&self, m: &Part, t: &SectionText) -> Vec<u8> {
        let header = &self.raw[m.header.clone()];
        match t {
            SectionText::Header => header.to_vec(),
            SectionText::Text => self.raw[m.body.clone()].to_vec(),
            SectionText::HeaderFields(names) => select_fields(header, names, true),
            SectionText::HeaderFieldsNot(names) => select_fields(header, names, false),
            SectionText::Mime => self.raw[m.header.clone()].to_vec(),
        }
    }

    /// RFC 2060 §6.4.5 part numbering.
    fn resolve(&self, path: &[u32]) -> Option<&Part> {
        let (&first, rest) = path.split_first()?;
        let mut cur = numbered(&self.root, first)?;
        for &n in rest {
            cur = match &cur.content {
                Content::Multipart(parts) => parts.get(index(n)?)?,
                Content::Message(inner) => numbered(inner, n)?,
                Content::Leaf => return None,
            };
        }
        Some(cur)
    }

    /// The date and time of the Date: header (RFC 2822 §3.3 `date-time`, with the
    /// obsolete forms of §4.3), for SEARCH SENTBEFORE/SENTON/SENTSINCE (RFC 2060
    /// §6.4.4). Lenient: the day of the week is neither required nor checked, seconds
    /// are optional, a missing zone is +0000. None when absent or unparseable.
    pub fn sent_date(&self) -> Option<DateTime<FixedOffset>> {
        let v = self.header_values(b"Date").into_iter().next()?;
        parse_date(&v)
    }

    /// The bodies of the leaf `text/*` parts below a multipart or message/rfc822 top
    /// level that carry no base64 or quoted-printable encoding, as ranges of
    /// [`Message::body_bytes`]: text that every reading of RFC 2060 §6.4.4 BODY and TEXT
    /// searches, whether a server decodes MIME or searches the raw octets. Empty for a
    /// single-part message (its whole body is the text).
    pub fn plain_text_ranges(&self) -> Vec<Range<usize>> {
        fn walk(raw: &[u8], p: &Part, base: usize, out: &mut Vec<Range<usize>>) {
            match &p.content {
                Content::Multipart(parts) => parts.iter().for_each(|c| walk(raw, c, base, out)),
                Content::Message(inner) => walk(raw, inner, base, out),
                Content::Leaf => {
                    let cte = first_value(&raw[p.header.clone()], b"Content-Transfer-Encoding");
                    let encoded = cte.is_some_and(|cte| {
                        let t = MimeLex::new(&cte).token().unwrap_or_default();
                        t.eq_ignore_ascii_case(b"base64")
                            || t.eq_ignore_ascii_case(b"quoted-printable")
                    });
                    if p.ctype.is(b"text", None) && !encoded {
                        out.push(p.body.start - base..p.body.end - base);
                    }
                }
            }
        }
        let mut out = Vec::new();
        if !matches!(self.root.content, Content::Leaf) {
            walk(&self.raw, &self.root, self.root.body.start, &mut out);
        }
        out
    }

    /// The decoded bodies of the leaf `text/*` parts that carry a base64 or
    /// quoted-printable transfer encoding (RFC 2045 §6.7, §6.8): what RFC 2060 §6.4.4
    /// requires a SEARCH in a CHARSET other than US-ASCII to compare against.
    pub fn decoded_text_parts(&self) -> Vec<Vec<u8>> {
        fn walk(raw: &[u8], p: &Part, out: &mut Vec<Vec<u8>>) {
            match &p.content {
                Content::Multipart(parts) => parts.iter().for_each(|c| walk(raw, c, out)),
                Content::Message(inner) => walk(raw, inner, out),
                Content::Leaf if p.ctype.is(b"text", None) => {
                    let cte = first_value(&raw[p.header.clone()], b"Content-Transfer-Encoding");
                    let t = cte
                        .as_deref()
                        .and_then(|c| MimeLex::new(c).token())
                        .unwrap_or_default();
                    let body = &raw[p.body.clone()];
                    if t.eq_ignore_ascii_case(b"base64") {
                        out.push(decode_base64(body));
                    } else if t.eq_ignore_ascii_case(b"quoted-printable") {
                        out.push(decode_quoted_printable(body));
                    }
                }
                Content::Leaf => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.raw, &self.root, &mut out);
        out
    }

    /// True if any part uses the base64 or quoted-printable transfer encoding, or any
    /// header (at any nesting level) contains `=?` (RFC 2047 encoded words): servers
    /// that decode before SEARCH may then legitimately differ.
    pub fn has_transfer_encoding(&self) -> bool {
        fn walk(raw: &[u8], p: &Part) -> bool {
            let header = &raw[p.header.clone()];
            if header.windows(2).any(|w| w == b"=?") {
                return true;
            }
            if let Some(cte) = first_value(header, b"Content-Transfer-Encoding") {
                let t = MimeLex::new(&cte).token().unwrap_or_default();
                if t.eq_ignore_ascii_case(b"base64") || t.eq_ignore_ascii_case(b"quoted-printable")
                {
                    return true;
                }
            }
            match &p.content {
                Content::Leaf => false,
                Content::Multipart(parts) => parts.iter().any(|c| walk(raw, c)),
                Content::Message(inner) => walk(raw, inner),
            }
        }
        walk(&self.raw, &self.root)
    }
}

/// RFC 2045 §6.8 base64: characters outside the alphabet are ignored, decoding stops at
/// `=`.
pub fn decode_base64(data: &[u8]) -> Vec<u8> {
    decode_base64_with(data, b'/')
}

/// Base64 with `last` as the 64th character: `/` for RFC 2045, `,` for the modified
/// BASE64 of RFC 2060 §5.1.3 mailbox names.
pub fn decode_base64_with(data: &[u8], last: u8) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            c if c == last => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in data {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 2045 §6.7 quoted-printable: `=XX` is an octet, `=` at a line end a soft line
/// break; anything else (including a malformed `=`) stands for itself.
pub fn decode_quoted_printable(data: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            let rest = &data[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                rest.first().copied().and_then(hex),
                rest.get(1).copied().and_then(hex),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// RFC 2060 §6.4.5 partial fetch `<origin.len>`: at most `len` octets from `origin`;
/// empty when `origin` is past the end.
pub fn partial(bytes: &[u8], origin: u32, len: u32) -> Vec<u8> {
    let start = (origin as usize).min(bytes.len());
    let end = start.saturating_add(len as usize).min(bytes.len());
    bytes[start..end].to_vec()
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn index(n: u32) -> Option<usize> {
    (n as usize).checked_sub(1)
}

/// RFC 2060 §6.4.5: the parts of a message `m`: the parts of its multipart body, or
/// else part 1 only, which is the message's body itself.
fn numbered(m: &Part, n: u32) -> Option<&Part> {
    match &m.content {
        Content::Multipart(parts) => parts.get(index(n)?),
        _ => (n == 1).then_some(m),
    }
}

// ---------------------------------------------------------------------------------
// Lines, header and body

/// The end of the line starting at `i` (after its LF), bounded by `end`.
fn line_end(raw: &[u8], i: usize, end: usize) -> usize {
    raw[i..end]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(end, |p| i + p + 1)
}

/// The line's content without its CRLF or LF.
fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// RFC 822 §3.1: the header ends with the first empty line, which belongs to it here
/// (RFC 2060 §6.4.5 HEADER includes the blank line).
fn split_header(raw: &[u8], r: Range<usize>) -> (Range<usize>, Range<usize>) {
    let mut i = r.start;
    while i < r.end {
        let e = line_end(raw, i, r.end);
        if trim_eol(&raw[i..e]).is_empty() && raw[e - 1] == b'\n' {
            return (r.start..e, e..r.end);
        }
        i = e;
    }
    (r.start..r.end, r.end..r.end)
}

/// RFC 2060 §7.4.2 body_fld_lines: the size of the body in text lines.
fn count_lines(body: &[u8]) -> u32 {
    // The line ends in the body: a last line without one is not counted, as Dovecot,
    // Cyrus, Courier and GNU Mailutils all count (measured in the lab).
    len32(body.iter().filter(|&&c| c == b'\n').count())
}

/// One header field: its name and its complete bytes (with continuation lines and
/// line breaks).
struct Field<'a> {
    name: &'a [u8],
    /// Everything after the colon (empty when there is none).
    after_colon: &'a [u8],
    raw: &'a [u8],
}

impl Field<'_> {
    /// RFC 822 §3.1.1 unfolding: line breaks removed, then the leading whitespace.
    fn value(&self) -> Vec<u8> {
        let s = self.after_colon;
        let mut out = Vec::with_capacity(s.len());
        for (i, &c) in s.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && s.get(i + 1) == Some(&b'\n')) {
                continue;
            }
            out.push(c);
        }
        let lead = out.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        out.drain(..lead);
        out
    }
}

/// RFC 822 §3.1 header fields up to the blank line. A line starting with SP or HT
/// continues the previous field; a line without a colon is a field whose name is the
/// whole line (it only ever matches HEADER.FIELDS.NOT).
fn fields(header: &[u8]) -> Vec<Field<'_>> {
    let mut out: Vec<Field<'_>> = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    fn finish<'a>(out: &mut Vec<Field<'a>>, header: &'a [u8], s: usize, e: usize) {
        let raw = &header[s..e];
        let first = trim_eol(&raw[..line_end(raw, 0, raw.len())]);
        let (name, after_colon) = match first.iter().position(|&c| c == b':') {
            Some(c) => (&raw[..c], &raw[c + 1..]),
            None => (first, &raw[raw.len()..]),
        };
        let n = name
            .iter()
            .rposition(|&c| c != b' ' && c != b'\t')
            .map_or(0, |p| p + 1);
        out.push(Field {
            name: &name[..n],
            after_colon,
            raw,
        });
    }
    while i < header.len() {
        let e = line_end(header, i, header.len());
        let line = &header[i..e];
        if trim_eol(line).is_empty() && line.ends_with(b"\n") {
            break;
        }
        let continuation = matches!(line[0], b' ' | b'\t');
        if !continuation || start.is_none() {
            if let Some(s) = start {
                finish(&mut out, header, s, i);
            }
            start = Some(i);
        }
        i = e;
    }
    if let Some(s) = start {
        finish(&mut out, header, s, i);
    }
    out
}

fn first_value(header: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    fields(header)
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(Field::value)
}

/// RFC 2060 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the (non-)matching fields in
/// message order, names compared case-insensitively, then a blank line.
fn select_fields(header: &[u8], names: &[Vec<u8>], keep_matching: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields(header) {
        let hit = names.iter().any(|n| n.eq_ignore_ascii_case(f.name));
        if hit == keep_matching {
            out.extend_from_slice(f.raw);
            if !f.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

// ---------------------------------------------------------------------------------
// MIME structure

fn parse_part(raw: &[u8], r: Range<usize>, depth: usize, default: ContentType) -> Part {
    let (header, body) = split_header(raw, r);
    let mut ctype = first_value(&raw[header.clone()], b"Content-Type")
        .and_then(|v| parse_content_type(&v))
        .unwrap_or(default);
    let container = ctype.is(b"multipart", None) || ctype.is(b"message", Some(b"rfc822"));
    if container && depth >= MAX_DEPTH {
        ctype.media_type = b"APPLICATION".to_vec();
        ctype.subtype = b"OCTET-STREAM".to_vec();
    }
    let content = if ctype.is(b"multipart", None) {
        let child_default = if ctype.subtype.eq_ignore_ascii_case(b"digest") {
            ContentType::message_rfc822()
        } else {
            ContentType::text_plain()
        };
        let boundary = ctype
            .params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(b"boundary"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let parts = if boundary.is_empty() {
            Vec::new()
        } else {
            split_multipart(raw, body.clone(), &boundary)
                .into_iter()
                .map(|pr| parse_part(raw, pr, depth + 1, child_default.clone()))
                .collect()
        };
        Content::Multipart(parts)
    } else if ctype.is(b"message", Some(b"rfc822")) {
        let inner = parse_part(raw, body.clone(), depth + 1, ContentType::text_plain());
        Content::Message(Box::new(inner))
    } else {
        Content::Leaf
    };
    Part {
        header,
        body,
        ctype,
        content,
    }
}

/// RFC 2046 §5.1.1: the body parts of a multipart body. A delimiter line is `--`
/// boundary followed by optional whitespace (or `--` for the close delimiter); the line
/// break before it belongs to the delimiter. The preamble and the epilogue are not
/// parts; without a close delimiter the last part runs to the end.
fn split_multipart(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut i = body.start;
    while i < body.end {
        let e = line_end(raw, i, body.end);
        let line = trim_eol(&raw[i..e]);
        let rest = line
            .strip_prefix(b"--")
            .and_then(|l| l.strip_prefix(boundary));
        if let Some(rest) = rest {
            let close = rest.starts_with(b"--");
            if close || rest.iter().all(|&c| c == b' ' || c == b'\t') {
                if let Some(s) = current {
                    let mut end = i;
                    if end > body.start && raw[end - 1] == b'\n' {
                        end -= 1;
                        if end > body.start && raw[end - 1] == b'\r' {
                            end -= 1;
                        }
                    }
                    parts.push(s..end.max(s));
                }
                if close {
                    return parts;
                }
                current = Some(e);
            }
        }
        i = e;
    }
    if let Some(s) = current {
        parts.push(s..body.end);
    }
    parts
}

fn structure(raw: &[u8], p: &Part) -> BodyStructure {
    let header = &raw[p.header.clone()];
    let disposition = first_value(header, b"Content-Disposition").and_then(|v| {
        let mut lx = MimeLex::new(&v);
        let kind = lx.token()?.to_vec();
        Some(Disposition {
            kind,
            params: lx.params(),
        })
    });
    let language = first_value(header, b"Content-Language")
        .map(|v| {
            v.split(|&c| c == b',')
                .filter_map(|t| MimeLex::new(t).token().map(<[u8]>::to_vec))
                .collect()
        })
        .unwrap_or_default();
    let body = &raw[p.body.clone()];
    match &p.content {
        Content::Multipart(parts) => BodyStructure::Multipart {
            parts: parts.iter().map(|c| structure(raw, c)).collect(),
            subtype: p.ctype.subtype.clone(),
            params: p.ctype.params.clone(),
            disposition,
            language,
        },
        content => {
            let kind = match content {
                Content::Message(inner) => SingleKind::Message {
                    envelope: Box::new(envelope(&raw[inner.header.clone()])),
                    body: Box::new(structure(raw, inner)),
                    lines: count_lines(body),
                },
                _ if p.ctype.is(b"text", None) => SingleKind::Text {
                    lines: count_lines(body),
                },
                _ => SingleKind::Basic,
            };
            let encoding = first_value(header, b"Content-Transfer-Encoding")
                .and_then(|v| MimeLex::new(&v).token().map(<[u8]>::to_vec))
                .unwrap_or_else(|| b"7BIT".to_vec());
            BodyStructure::Single {
                media_type: p.ctype.media_type.clone(),
                subtype: p.ctype.subtype.clone(),
                fields: BodyFields {
                    params: p.ctype.params.clone(),
                    id: first_value(header, b"Content-ID"),
                    description: first_value(header, b"Content-Description"),
                    encoding,
                    size: len32(body.len()),
                },
                kind,
                md5: first_value(header, b"Content-MD5"),
                disposition,
                language,
            }
        }
    }
}

/// Lexer for RFC 2045 §5.1 structured MIME fields: tokens, quoted strings, comments.
struct MimeLex<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> MimeLex<'a> {
    fn new(s: &'a [u8]) -> Self {
        MimeLex { s, i: 0 }
    }

    fn skip_cfws(&mut self) {
        while self.i < self.s.len() {
            match self.s[self.i] {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'(' => self.i = skip_comment(self.s, self.i),
                _ => break,
            }
        }
    }

    /// RFC 2045 §5.1 `token` (8-bit bytes are accepted).
    fn token(&mut self) -> Option<&'a [u8]> {
        self.skip_cfws();
        let start = self.i;
        while self.i < self.s.len() && is_token_char(self.s[self.i]) {
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_cfws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// RFC 2045 §5.1 `value := token / quoted-string`.
    fn value(&mut self) -> Option<Vec<u8>> {
        self.skip_cfws();
        if self.s.get(self.i) == Some(&b'"') {
            let (v, next) = quoted(self.s, self.i);
            self.i = next;
            Some(v)
        } else {
            self.token().map(<[u8]>::to_vec)
        }
    }

    /// RFC 2045 §5.1 `*(";" parameter)`; malformed parameters are skipped.
    fn params(&mut self) -> Params {
        let mut out = Vec::new();
        loop {
            self.skip_cfws();
            if self.i >= self.s.len() {
                return out;
            }
            if self.s[self.i] != b';' {
                self.i += self.s[self.i..]
                    .iter()
                    .position(|&c| c == b';')
                    .unwrap_or(self.s.len() - self.i);
                continue;
            }
            self.i += 1;
            let Some(attr) = self.token() else { continue };
            if !self.eat(b'=') {
                continue;
            }
            if let Some(v) = self.value() {
                out.push((attr.to_vec(), v));
            }
        }
    }
}

fn is_token_char(c: u8) -> bool {
    c > b' ' && c != 0x7f && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

/// Skips an RFC 822 comment starting at `i` (nested, with quoted pairs); returns the
/// index after it.
fn skip_comment(s: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// An RFC 822 quoted-string starting at `i` (the `"`): its content with quoted pairs
/// resolved, and the index after it.
fn quoted(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    i += 1;
    while i < s.len() {
        match s[i] {
            b'"' => return (out, i + 1),
            b'\\' if i + 1 < s.len() => {
                out.push(s[i + 1]);
                i += 2;
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    (out, s.len())
}

/// RFC 2045 §5.1 `type "/" subtype *(";" parameter)`; None when invalid.
fn parse_content_type(v: &[u8]) -> Option<ContentType> {
    let mut lx = MimeLex::new(v);
    let media_type = lx.token()?.to_vec();
    if !lx.eat(b'/') {
        return None;
    }
    let subtype = lx.token()?.to_vec();
    Some(ContentType {
        media_type,
        subtype,
        params: lx.params(),
    })
}

// ---------------------------------------------------------------------------------
// Envelope and addresses

/// RFC 2060 §7.4.2 ENVELOPE from a header. The first field of each name counts.
fn envelope(header: &[u8]) -> Envelope {
    envelope_with(header, false)
}

/// [`envelope`], with an address's comment as its personal name where it has no phrase
/// when `comment_names` is set.
fn envelope_with(header: &[u8], comment_names: bool) -> Envelope {
    let fs = fields(header);
    let get = |name: &[u8]| {
        fs.iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(Field::value)
    };
    let addrs = |name: &[u8]| {
        get(name)
            .map(|v| parse_addresses(&v, comment_names))
            .unwrap_or_default()
    };
    let from = addrs(b"From");
    let or_from = |l: Vec<Address>| if l.is_empty() { from.clone() } else { l };
    Envelope {
        date: get(b"Date"),
        subject: get(b"Subject"),
        sender: or_from(addrs(b"Sender")),
        reply_to: or_from(addrs(b"Reply-To")),
        to: addrs(b"To"),
        cc: addrs(b"Cc"),
        bcc: addrs(b"Bcc"),
        in_reply_to: get(b"In-Reply-To"),
        message_id: get(b"Message-ID"),
        from,
    }
}

/// RFC 822 §3.3 lexical tokens of structured fields (comments dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An atom, or the content of a quoted-string.
    Word(Vec<u8>),
    /// A domain literal, brackets included.
    DomainLiteral(Vec<u8>),
    Special(u8),
}

/// The tokens, and each comment's text (without the outer parentheses) with the index of
/// the token it precedes.
fn lex822(s: &[u8]) -> (Vec<Tok>, Vec<(usize, Vec<u8>)>) {
    const SPECIALS: &[u8] = b"()<>@,;:\\\".[]";
    let mut out = Vec::new();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                let end = skip_comment(s, i);
                let inner = s[i + 1..end.saturating_sub(1).max(i + 1)].to_vec();
                comments.push((out.len(), inner));
                i = end;
            }
            b'"' => {
                let (w, next) = quoted(s, i);
                out.push(Tok::Word(w));
                i = next;
            }
            b'[' => {
                let mut j = i + 1;
                while j < s.len() && s[j] != b']' {
                    j += if s[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(s.len());
                out.push(Tok::DomainLiteral(s[i..end].to_vec()));
                i = end;
            }
            c if SPECIALS.contains(&c) => {
                out.push(Tok::Special(c));
                i += 1;
            }
            _ => {
                let start = i;
                while i < s.len() && !b" \t\r\n".contains(&s[i]) && !SPECIALS.contains(&s[i]) {
                    i += 1;
                }
                out.push(Tok::Word(s[start..i].to_vec()));
            }
        }
    }
    (out, comments)
}

fn is_special(t: Option<&Tok>, c: u8) -> bool {
    t == Some(&Tok::Special(c))
}

/// Words and dots (a phrase, local-part or domain) starting at `i`; returns the end.
fn run_of_words(t: &[Tok], mut i: usize) -> usize {
    while i < t.len()
        && matches!(
            t[i],
            Tok::Word(_) | Tok::DomainLiteral(_) | Tok::Special(b'.')
        )
    {
        i += 1;
    }
    i
}

/// A phrase (display name or group name): words separated by single spaces.
fn phrase(t: &[Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, tok) in t.iter().enumerate() {
        match tok {
            Tok::Word(w) | Tok::DomainLiteral(w) => {
                if k > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(w);
            }
            Tok::Special(c) => out.push(*c),
        }
    }
    out
}

/// A local-part or domain: words and dots written together.
fn dotted(t: &[Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev_word = false;
    for tok in t {
        match tok {
            Tok::Word(w) | Tok::DomainLiteral(w) => {
                if prev_word {
                    out.push(b' ');
                }
                out.extend_from_slice(w);
                prev_word = true;
            }
            Tok::Special(c) => {
                out.push(*c);
                prev_word = false;
            }
        }
    }
    out
}

/// RFC 822 §6.1 `address-list`: mailboxes and groups, as RFC 2060 §7.4.2 address
/// structures. Lenient: junk up to the next `,` is skipped. A mailbox without `@`
/// gets an empty host (a NIL host would mean group syntax). With `comment_names`, a
/// mailbox without a phrase takes the first comment within it as its personal name.
fn parse_addresses(v: &[u8], comment_names: bool) -> Vec<Address> {
    let (t, comments) = lex822(v);
    let named = |a: Option<Address>, start: usize, next: usize| {
        a.map(|mut a| {
            if comment_names && a.name.is_none() {
                a.name = comments
                    .iter()
                    .find(|(k, _)| (start..=next).contains(k))
                    .map(|(_, c)| c.clone());
            }
            a
        })
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if is_special(t.get(i), b',') || is_special(t.get(i), b';') {
            i += 1;
            continue;
        }
        let j = run_of_words(&t, i);
        if is_special(t.get(j), b':') {
            out.push(Address::group_start(phrase(&t[i..j])));
            i = j + 1;
            while i < t.len() {
                if is_special(t.get(i), b';') {
                    i += 1;
                    break;
                }
                if is_special(t.get(i), b',') {
                    i += 1;
                    continue;
                }
                let (a, next) = parse_mailbox(&t, i);
                out.extend(named(a, i, next));
                i = next;
            }
            out.push(Address::group_end());
        } else {
            let (a, next) = parse_mailbox(&t, i);
            out.extend(named(a, i, next));
            i = next;
        }
    }
    out
}

/// RFC 822 §6.1 `mailbox = addr-spec / phrase route-addr`, starting at `i` (not at
/// `,` or `;`). Returns the address, if any, and the index of the next `,` or `;`.
fn parse_mailbox(t: &[Tok], start: usize) -> (Option<Address>, usize) {
    let mut i = run_of_words(t, start);
    let addr = if is_special(t.get(i), b'<') {
        let name = (i > start).then(|| phrase(&t[start..i]));
        i += 1;
        let mut route: Vec<u8> = Vec::new();
        while is_special(t.get(i), b'@') {
            let e = run_of_words(t, i + 1);
            if !route.is_empty() {
                route.push(b',');
            }
            route.push(b'@');
            route.extend(dotted(&t[i + 1..e]));
            i = e;
            if is_special(t.get(i), b',') {
                i += 1;
            }
        }
        if is_special(t.get(i), b':') {
            i += 1;
        }
        let e = run_of_words(t, i);
        let mailbox = dotted(&t[i..e]);
        i = e;
        let host = if is_special(t.get(i), b'@') {
            let e = run_of_words(t, i + 1);
            let h = dotted(&t[i + 1..e]);
            i = e;
            h
        } else {
            Vec::new()
        };
        Some(Address {
            name,
            adl: (!route.is_empty()).then_some(route),
            mailbox: Some(mailbox),
            host: Some(host),
        })
    } else if is_special(t.get(i), b'@') {
        let mailbox = dotted(&t[start..i]);
        let e = run_of_words(t, i + 1);
        let host = dotted(&t[i + 1..e]);
        i = e;
        Some(Address {
            name: None,
            adl: None,
            mailbox: Some(mailbox),
            host: Some(host),
        })
    } else if i > start {
        Some(Address {
            name: None,
            adl: None,
            mailbox: Some(dotted(&t[start..i])),
            host: Some(Vec::new()),
        })
    } else {
        None
    };
    while i < t.len() && !is_special(t.get(i), b',') && !is_special(t.get(i), b';') {
        i += 1;
    }
    (addr, i)
}

// ---------------------------------------------------------------------------------
// Dates

/// RFC 2822 §3.3 `date-time` with the §4.3 obsolete forms: `[day-of-week ","] day
/// month year hour ":" minute [":" second] zone`, comments ignored.
fn parse_date(v: &[u8]) -> Option<DateTime<FixedOffset>> {
    let mut clean = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'(' {
            i = skip_comment(v, i);
            clean.push(b' ');
        } else {
            clean.push(if v[i] == b',' { b' ' } else { v[i] });
            i += 1;
        }
    }
    let words: Vec<&[u8]> = clean
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut w = words.as_slice();
    if w.first()
        .is_some_and(|d| d.first().is_some_and(u8::is_ascii_alphabetic) && month(d).is_none())
    {
        w = &w[1..];
    }
    let [day, mon, year, time, rest @ ..] = w else {
        return None;
    };
    let day: u32 = digits(day, 1, 2)?;
    let mon = month(mon)?;
    let year = match year.len() {
        2 => match digits::<i32>(year, 2, 2)? {
            y @ 0..=49 => 2000 + y,
            y => 1900 + y,
        },
        3 => 1900 + digits::<i32>(year, 3, 3)?,
        _ => digits(year, 4, 4)?,
    };
    let mut hms = time.split(|&c| c == b':');
    let h: u32 = digits(hms.next()?, 1, 2)?;
    let m: u32 = digits(hms.next()?, 1, 2)?;
    let s: u32 = match hms.next() {
        Some(s) => digits(s, 1, 2)?,
        None => 0,
    };
    if hms.next().is_some() {
        return None;
    }
    let offset = match rest.first() {
        None => 0,
        Some(z) => zone(z)?,
    };
    let date = NaiveDate::from_ymd_opt(year, mon, day)?;
    let time = NaiveTime::from_hms_opt(h, m, s.min(59))?;
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&date.and_time(time))
        .single()
}

fn digits<T: std::str::FromStr>(w: &[u8], min: usize, max: usize) -> Option<T> {
    if w.len() < min || w.len() > max || !w.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(w).ok()?.parse().ok()
}

fn month(w: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if w.len() < 3 {
        return None;
    }
    let p = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&w[..3]))?;
    Some(p as u32 + 1)
}

/// RFC 2822 §3.3 `zone` and §4.3 `obs-zone`; military zones count as +0000 (§4.3:
/// their sign was often wrong).
fn zone(z: &[u8]) -> Option<i32> {
    if let [sign @ (b'+' | b'-'), d @ ..] = z {
        let n: i32 = digits(d, 4, 4)?;
        let secs = (n / 100) * 3600 + (n % 100) * 60;
        return Some(if *sign == b'-' { -secs } else { secs });
    }
    let hours = match z.to_ascii_uppercase().as_slice() {
        b"UT" | b"GMT" | b"Z" => 0,
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        [c] if c.is_ascii_alphabetic() => 0,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_codec::decode::Decoder;
    use imap_codec::ResponseCodec;

    /// The text with every LF turned into CRLF.
    fn crlf(s: &str) -> Vec<u8> {
        s.replace('\n', "\r\n").into_bytes()
    }

    fn msg(s: &str) -> Message {
        Message::parse(crlf(s))
    }

    fn sec(m: &Message, part: &[u32], text: Option<SectionText>) -> Option<Vec<u8>> {
        m.section(part, text.as_ref())
    }

    fn written(b: &BodyStructure, extended: bool) -> String {
        let mut out = Vec::new();
        b.write(&mut out, extended);
        String::from_utf8(out).unwrap()
    }

    fn env_written(m: &Message) -> String {
        let mut out = Vec::new();
        m.envelope().write(&mut out);
        String::from_utf8(out).unwrap()
    }

    /// The nested message of RFC 2060 §6.4.5, with parts 1, 2, 3 (3.1, 3.2), 4 (4.1,
    /// 4.2 (4.2.1, 4.2.2 (4.2.2.1, 4.2.2.2))).
    const COMPLEX: &str = "From: a@example.com
Subject: complex
MIME-Version: 1.0
Content-Type: MULTIPART/MIXED; boundary=\"outer\"

preamble
--outer
Content-Type: TEXT/PLAIN; charset=us-ascii

part one
--outer
Content-Type: APPLICATION/OCTET-STREAM
Content-Transfer-Encoding: base64

AAEC
--outer
Content-Type: MESSAGE/RFC822

Subject: inner3
Content-Type: multipart/mixed; boundary=b3

--b3
Content-Type: text/plain

three one
--b3
Content-Type: application/octet-stream

three two
--b3--
--outer
Content-Type: MULTIPART/MIXED; boundary=b4

--b4
Content-Type: IMAGE/GIF
Content-Transfer-Encoding: base64

R0lG
--b4
Content-Type: MESSAGE/RFC822

Subject: inner42
Content-Type: multipart/mixed; boundary=b42

--b42
Content-Type: text/plain

four two one
--b42
Content-Type: multipart/alternative; boundary=b422

--b422
Content-Type: text/plain

four two two one
--b422
Content-Type: text/richtext

four two two two
--b422--
--b42--
--b4--
--outer--
epilogue
";

    #[test]
    fn whole_message_header_and_text_rfc2060_6_4_5() {
        let m = msg(COMPLEX);
        let raw = crlf(COMPLEX);
        assert_eq!(sec(&m, &[], None).unwrap(), raw);
        let header = sec(&m, &[], Some(SectionText::Header)).unwrap();
        assert!(header.starts_with(b"From: a@example.com\r\n"));
        assert!(header.ends_with(b"boundary=\"outer\"\r\n\r\n"));
        let text = sec(&m, &[], Some(SectionText::Text)).unwrap();
        assert_eq!([header.clone(), text.clone()].concat(), raw);
        assert!(text.starts_with(b"preamble\r\n--outer"));
        assert_eq!(m.header_bytes(), &header[..]);
        assert_eq!(m.body_bytes(), &text[..]);
        assert_eq!(m.size() as usize, raw.len());
        assert_eq!(sec(&m, &[], Some(SectionText::Mime)), None);
    }

    #[test]
    fn multipart_parts_are_numbered_from_one_rfc2060_6_4_5() {
        let m = msg(COMPLEX);
        let body = |p: &[u32]| sec(&m, p, None).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(body(&[1]).unwrap(), "part one");
        assert_eq!(body(&[2]).unwrap(), "AAEC");
        assert_eq!(body(&[3, 1]).unwrap(), "three one");
        assert_eq!(body(&[3, 2]).unwrap(), "three two");
        assert_eq!(body(&[4, 1]).unwrap(), "R0lG");
        assert_eq!(body(&[4, 2, 1]).unwrap(), "four two one");
        assert_eq!(body(&[4, 2, 2, 1]).unwrap(), "four two two one");
        assert_eq!(body(&[4, 2, 2, 2]).unwrap(), "four two two two");
        let four = body(&[4]).unwrap();
        assert!(four.starts_with("--b4\r\n") && four.ends_with("--b4--"));
        let alt = body(&[4, 2, 2]).unwrap();
        assert!(alt.starts_with("--b422\r\n") && alt.ends_with("--b422--"));
    }

    #[test]
    fn message_rfc822_part_is_the_whole_encapsulated_message_rfc2060_6_4_5() {
        let m = msg(COMPLEX);
        let three = sec(&m, &[3], None).unwrap();
        assert!(three.starts_with(b"Subject: inner3\r\n"));
        assert!(three.ends_with(b"--b3--"));
        let h = sec(&m, &[3], Some(SectionText::Header)).unwrap();
        assert_eq!(
            h,
            b"Subject: inner3\r\nContent-Type: multipart/mixed; boundary=b3\r\n\r\n"
        );
        let t = sec(&m, &[3], Some(SectionText::Text)).unwrap();
        assert_eq!([h, t].concat(), three);
        let h42 = sec(&m, &[4, 2], Some(SectionText::Header)).unwrap();
        assert!(h42.starts_with(b"Subject: inner42\r\n"));
        let t42 = sec(&m, &[4, 2], Some(SectionText::Text)).unwrap();
        assert!(t42.starts_with(b"--b42\r\n"));
    }

    #[test]
    fn mime_is_the_parts_own_header_with_blank_line_rfc2060_6_4_5() {
        let m = msg(COMPLEX);
        assert_eq!(
            sec(&m, &[4, 1], Some(SectionText::Mime)).unwrap(),
            b"Content-Type: IMAGE/GIF\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        );
        assert_eq!(
            sec(&m, &[3], Some(SectionText::Mime)).unwrap(),
            b"Content-Type: MESSAGE/RFC822\r\n\r\n"
        );
    }

    #[test]
    fn missing_parts_and_misapplied_specifiers_are_none_rfc2060_6_4_5() {
        let m = msg(COMPLEX);
        for p in [
            &[0][..],
            &[5],
            &[1, 1],
            &[3, 3],
            &[4, 3],
            &[4, 2, 2, 3],
            &[2, 1],
        ] {
            assert_eq!(sec(&m, p, None), None, "{p:?}");
        }
        // HEADER and TEXT need a MESSAGE/RFC822 part.
        assert_eq!(sec(&m, &[1], Some(SectionText::Header)), None);
        assert_eq!(sec(&m, &[4], Some(SectionText::Text)), None);
    }

    #[test]
    fn non_multipart_message_has_only_part_one_its_body_rfc2060_6_4_5() {
        let m = msg("Subject: x\n\nhello\n");
        assert_eq!(sec(&m, &[1], None).unwrap(), b"hello\r\n");
        assert_eq!(sec(&m, &[2], None), None);
        assert_eq!(sec(&m, &[1, 1], None), None);
    }

    #[test]
    fn top_level_message_rfc822_nests_under_part_one_rfc2060_6_4_5() {
        let m = msg("Content-Type: message/rfc822\n\nSubject: in\n\nbody\n");
        assert_eq!(sec(&m, &[1], None).unwrap(), b"Subject: in\r\n\r\nbody\r\n");
        assert_eq!(
            sec(&m, &[1], Some(SectionText::Header)).unwrap(),
            b"Subject: in\r\n\r\n"
        );
        assert_eq!(sec(&m, &[1, 1], None).unwrap(), b"body\r\n");
    }

    #[test]
    fn header_fields_match_names_case_insensitively_in_message_order_rfc2060_6_4_5() {
        let m = msg("Subject: one\n two\nFrom: a@b\nTo: c@d\nsubject: again\n\nbody\n");
        let f = |n: &[&str]| n.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            sec(
                &m,
                &[],
                Some(SectionText::HeaderFields(f(&["TO", "SUBJECT"])))
            )
            .unwrap(),
            b"Subject: one\r\n two\r\nTo: c@d\r\nsubject: again\r\n\r\n"
        );
        assert_eq!(
            sec(&m, &[], Some(SectionText::HeaderFieldsNot(f(&["subject"])))).unwrap(),
            b"From: a@b\r\nTo: c@d\r\n\r\n"
        );
        assert_eq!(
            sec(&m, &[], Some(SectionText::HeaderFields(f(&["X-None"])))).unwrap(),
            b"\r\n"
        );
    }

    #[test]
    fn partial_takes_at_most_len_octets_from_origin_rfc2060_6_4_5() {
        assert_eq!(partial(b"0123456789", 2, 3), b"234");
        assert_eq!(partial(b"0123456789", 8, 10), b"89");
        assert_eq!(partial(b"0123456789", 10, 1), b"");
        assert_eq!(partial(b"0123456789", u32::MAX, u32::MAX), b"");
        assert_eq!(partial(b"0123456789", 0, 0), b"");
    }

    #[test]
    fn header_values_are_unfolded_for_search_rfc2060_6_4_4() {
        let m = msg("Subject: one\n\ttwo\nX-A: 1\nx-a:2\n\nbody");
        assert_eq!(m.header_values(b"subject"), vec![b"one\ttwo".to_vec()]);
        assert_eq!(m.header_values(b"X-A"), vec![b"1".to_vec(), b"2".to_vec()]);
        assert!(m.header_values(b"Cc").is_empty());
    }

    #[test]
    fn envelope_of_the_rfc2060_fetch_example_rfc2060_7_4_2() {
        let m = msg("Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
From: Terry Gray <gray@cac.washington.edu>
Subject: IMAP4rev1 WG mtg summary and minutes
To: imap@cac.washington.edu
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@INFOODS.MIT.EDU>
Message-Id: <B27397-0100000@cac.washington.edu>
MIME-Version: 1.0
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII

body
");
        assert_eq!(
            env_written(&m),
            "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"INFOODS.MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\")"
        );
        assert_eq!(
            written(&m.body_structure(), false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1)"
        );
    }

    #[test]
    fn missing_headers_are_nil_and_sender_reply_to_follow_from_rfc2060_7_4_2() {
        assert_eq!(
            env_written(&msg("X: y\n\n")),
            "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"
        );
        let e = msg("From: a@b\nSender:\nReply-To: c@d\n\n").envelope();
        assert_eq!(e.sender, e.from);
        assert_eq!(e.reply_to[0].mailbox.as_deref(), Some(&b"c"[..]));
        assert_eq!(e.subject, None);
    }

    #[test]
    fn envelope_strings_are_unfolded_not_decoded_rfc2060_7_4_2() {
        let e =
            msg("Subject: =?utf-8?q?caf=C3=A9?=\n  and more\nIn-Reply-To: <a@b>\n\n").envelope();
        assert_eq!(e.subject.unwrap(), b"=?utf-8?q?caf=C3=A9?=  and more");
        assert_eq!(e.in_reply_to.unwrap(), b"<a@b>");
    }

    fn addr(
        name: Option<&str>,
        adl: Option<&str>,
        mailbox: Option<&str>,
        host: Option<&str>,
    ) -> Address {
        let b = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
        Address {
            name: b(name),
            adl: b(adl),
            mailbox: b(mailbox),
            host: b(host),
        }
    }

    #[test]
    fn groups_become_start_and_end_markers_rfc2060_7_4_2() {
        let e =
            msg("To: Friends: a@x, \"B\" <b@y>;, c@z\nCc: undisclosed-recipients:;\n\n").envelope();
        assert_eq!(
            e.to,
            vec![
                addr(None, None, Some("Friends"), None),
                addr(None, None, Some("a"), Some("x")),
                addr(Some("B"), None, Some("b"), Some("y")),
                addr(None, None, None, None),
                addr(None, None, Some("c"), Some("z")),
            ]
        );
        assert_eq!(
            e.cc,
            vec![
                addr(None, None, Some("undisclosed-recipients"), None),
                addr(None, None, None, None)
            ]
        );
    }

    #[test]
    fn quoted_display_names_routes_and_comments_rfc822_6_1() {
        let e = msg(concat!(
            "From: \"Doe, John \\\"JD\\\"\" <jd@example.com>\n",
            "To: <@a.example,@b.example:joe@c.example>, Joe Q. Public <jqp@[10.0.0.1]>\n",
            "Cc: jane@example.com (Jane), \"quoted local\"@example.com\n\n"
        ))
        .envelope();
        assert_eq!(
            e.from,
            vec![addr(
                Some("Doe, John \"JD\""),
                None,
                Some("jd"),
                Some("example.com")
            )]
        );
        assert_eq!(
            e.to,
            vec![
                addr(
                    None,
                    Some("@a.example,@b.example"),
                    Some("joe"),
                    Some("c.example")
                ),
                addr(Some("Joe Q. Public"), None, Some("jqp"), Some("[10.0.0.1]")),
            ]
        );
        assert_eq!(
            e.cc,
            vec![
                addr(None, None, Some("jane"), Some("example.com")),
                addr(None, None, Some("quoted local"), Some("example.com")),
            ]
        );
    }

    #[test]
    fn a_comment_is_not_a_display_name_but_may_serve_as_one_rfc2060_7_4_2() {
        // RFC 822 §6.1 `mailbox = addr-spec / phrase route-addr`: a comment is no phrase,
        // so addr-name is NIL; a server naming the address by its comment is the
        // alternative the oracle accepts.
        let m = msg(concat!(
            "From: user@example.org (Real Name)\n",
            "To: \"Joe\" <joe@example.org> (work), a(x)@b\n\n"
        ));
        let e = m.envelope();
        assert_eq!(
            e.from,
            vec![addr(None, None, Some("user"), Some("example.org"))]
        );
        assert_eq!(e.to[0].name.as_deref(), Some(&b"Joe"[..]));
        assert_eq!(e.to[1].name, None);
        let c = m.envelope_comment_names();
        assert_eq!(
            c.from,
            vec![addr(
                Some("Real Name"),
                None,
                Some("user"),
                Some("example.org")
            )]
        );
        assert_eq!(c.to[0].name.as_deref(), Some(&b"Joe"[..]));
        assert_eq!(c.to[1].name.as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn no_content_type_is_text_plain_us_ascii_7bit_rfc2045_5_2() {
        let m = msg("Subject: x\n\nab\ncd");
        assert_eq!(
            written(&m.body_structure(), true),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1 NIL NIL NIL)"
        );
    }

    #[test]
    fn text_plain_keeps_the_messages_type_params_and_fields_rfc2060_7_4_2() {
        let m = msg(concat!(
            "Content-Type: text/plain; charset=\"utf-8\"; format=flowed (comment)\n",
            "Content-Transfer-Encoding: quoted-printable\n",
            "Content-ID: <id@x>\nContent-Description: a note\n",
            "Content-Disposition: inline; filename=\"a b.txt\"\n",
            "Content-Language: en, fr\n\nhi=\n"
        ));
        assert_eq!(
            written(&m.body_structure(), true),
            "(\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"flowed\") \"<id@x>\" \
\"a note\" \"quoted-printable\" 5 1 NIL (\"inline\" (\"filename\" \"a b.txt\")) (\"en\" \"fr\"))"
        );
        assert!(m.has_transfer_encoding());
    }

    #[test]
    fn multipart_mixed_parts_sizes_and_extension_data_rfc2060_7_4_2() {
        let m = msg(concat!(
            "Content-Type: multipart/mixed; boundary=\"=_x\"\n",
            "Content-Language: de\n\n",
            "--=_x\n\nfirst\nsecond\n--=_x\n",
            "Content-Type: application/pdf; name=a.pdf\n",
            "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nJVBE\n",
            "--=_x--\n"
        ));
        let b = m.body_structure();
        assert_eq!(
            written(&b, false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 13 1)\
(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 4) \"mixed\")"
        );
        assert_eq!(
            written(&b, true),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 13 1 NIL NIL NIL)\
(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 4 NIL (\"attachment\" NIL) NIL) \
\"mixed\" (\"boundary\" \"=_x\") NIL \"de\")"
        );
        assert_eq!(sec(&m, &[1], None).unwrap(), b"first\r\nsecond");
    }

    #[test]
    fn multipart_alternative_and_nested_numbering_rfc2046_5_1_4() {
        let m = msg(COMPLEX);
        let BodyStructure::Multipart { parts, subtype, .. } = m.body_structure() else {
            panic!("not multipart")
        };
        assert_eq!(subtype, b"MIXED");
        assert_eq!(parts.len(), 4);
        let BodyStructure::Multipart { parts: p4, .. } = &parts[3] else {
            panic!("4 not multipart")
        };
        let BodyStructure::Single {
            kind:
                SingleKind::Message {
                    envelope,
                    body,
                    lines,
                },
            ..
        } = &p4[1]
        else {
            panic!("4.2 not message/rfc822")
        };
        assert_eq!(envelope.subject.as_deref(), Some(&b"inner42"[..]));
        assert_eq!(*lines, count_lines(&sec(&m, &[4, 2], None).unwrap()));
        let BodyStructure::Multipart { parts: p42, .. } = &**body else {
            panic!("4.2 body not multipart")
        };
        let BodyStructure::Multipart {
            parts: alt,
            subtype,
            ..
        } = &p42[1]
        else {
            panic!("4.2.2 not multipart")
        };
        assert_eq!(subtype, b"alternative");
        assert_eq!(alt.len(), 2);
        assert!(matches!(&alt[1], BodyStructure::Single { subtype, .. } if subtype == b"richtext"));
    }

    #[test]
    fn message_rfc822_has_envelope_body_and_lines_rfc2060_7_4_2() {
        let m = msg("Content-Type: message/rfc822\n\nSubject: in\nFrom: x@y\n\nbody\n");
        assert_eq!(
            written(&m.body_structure(), false),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 32 \
(NIL \"in\" ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) \
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1) 4)"
        );
    }

    #[test]
    fn digest_parts_default_to_message_rfc822_rfc2046_5_1_5() {
        let m =
            msg("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nx\n--d--\n");
        let BodyStructure::Multipart { parts, .. } = m.body_structure() else {
            panic!()
        };
        assert!(matches!(
            &parts[0],
            BodyStructure::Single {
                kind: SingleKind::Message { .. },
                ..
            }
        ));
        assert_eq!(sec(&m, &[1, 1], None).unwrap(), b"x");
    }

    #[test]
    fn bare_lf_lines_end_header_and_count_rfc822_3_1() {
        let m = Message::parse(b"Subject: x\nContent-Type: text/plain\n\nline1\nline2\n".to_vec());
        assert_eq!(
            m.header_bytes(),
            b"Subject: x\nContent-Type: text/plain\n\n"
        );
        assert_eq!(m.body_bytes(), b"line1\nline2\n");
        assert_eq!(m.envelope().subject.unwrap(), b"x");
        assert_eq!(
            written(&m.body_structure(), false),
            "(\"text\" \"plain\" NIL NIL NIL \"7BIT\" 12 2)"
        );
        let mp = Message::parse(
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n--b--\n"
                .to_vec(),
        );
        assert_eq!(mp.section(&[1], None).unwrap(), b"one");
        assert_eq!(mp.section(&[2], None).unwrap(), b"two");
    }

    #[test]
    fn without_blank_line_everything_is_header_rfc822_3_1() {
        let m = Message::parse(b"Subject: x\r\nFrom: a@b".to_vec());
        assert_eq!(m.body_bytes(), b"");
        assert_eq!(m.envelope().from[0].host.as_deref(), Some(&b"b"[..]));
        assert_eq!(
            m.section(
                &[],
                Some(&SectionText::HeaderFields(vec![b"from".to_vec()]))
            )
            .unwrap(),
            b"From: a@b\r\n\r\n"
        );
    }

    #[test]
    fn unterminated_multipart_runs_to_the_end_and_preamble_is_ignored_rfc2046_5_1_1() {
        let m = msg("Content-Type: multipart/mixed; boundary=b\n\npre\n--bx\n--b \nContent-Type: text/html\n\n<p>\n--b\n\nlast\n");
        assert_eq!(sec(&m, &[1], None).unwrap(), b"<p>");
        assert_eq!(sec(&m, &[2], None).unwrap(), b"last\r\n");
        assert_eq!(sec(&m, &[3], None), None);
        let none = msg("Content-Type: multipart/mixed\n\nno boundary\n");
        let BodyStructure::Multipart { parts, .. } = none.body_structure() else {
            panic!()
        };
        assert!(parts.is_empty());
        assert_eq!(sec(&none, &[1], None), None);
    }

    #[test]
    fn absurd_nesting_is_capped_at_max_depth() {
        let mut s = String::new();
        for _ in 0..300 {
            s.push_str("Content-Type: message/rfc822\n\n");
        }
        s.push_str("Subject: deep\n\nx\n");
        let m = msg(&s);
        let mut depth = 0;
        let mut b = m.body_structure();
        while let BodyStructure::Single {
            kind: SingleKind::Message { body, .. },
            ..
        } = b
        {
            depth += 1;
            b = *body;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert!(matches!(b, BodyStructure::Single { subtype, .. } if subtype == b"OCTET-STREAM"));
        let path = vec![1; MAX_DEPTH + 1];
        assert!(m.section(&path, None).is_some());
    }

    #[test]
    fn sent_date_is_lenient_on_weekday_and_seconds_rfc2822_3_3() {
        let d = |s: &str| {
            msg(&format!("Date: {s}\n\n"))
                .sent_date()
                .map(|d| d.to_rfc3339())
        };
        assert_eq!(
            d("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)").unwrap(),
            "1996-07-17T02:23:25-07:00"
        );
        assert_eq!(
            d("17 Jul 96 02:23 GMT").unwrap(),
            "1996-07-17T02:23:00+00:00"
        );
        assert_eq!(
            d("Mon, 1 Jan 2024 10:00:00 EST").unwrap(),
            "2024-01-01T10:00:00-05:00"
        );
        assert_eq!(d("Fri, 31 Feb 2024 10:00:00 +0000"), None);
        assert_eq!(d("yesterday"), None);
        assert_eq!(msg("X: y\n\n").sent_date(), None);
    }

    #[test]
    fn transfer_encodings_and_encoded_words_are_noticed() {
        assert!(msg(COMPLEX).has_transfer_encoding());
        assert!(!msg("Subject: plain\n\nbody\n").has_transfer_encoding());
        assert!(msg("Subject: =?utf-8?b?w6k=?=\n\nbody\n").has_transfer_encoding());
    }

    /// A FETCH response with ENVELOPE, BODYSTRUCTURE and BODY of the message.
    fn fetch_line(m: &Message) -> Vec<u8> {
        let mut out = b"* 1 FETCH (ENVELOPE ".to_vec();
        m.envelope().write(&mut out);
        out.extend_from_slice(b" BODYSTRUCTURE ");
        m.body_structure().write(&mut out, true);
        out.extend_from_slice(b" BODY ");
        m.body_structure().write(&mut out, false);
        out.extend_from_slice(b")\r\n");
        out
    }

    fn decodes(line: &[u8]) -> bool {
        matches!(ResponseCodec::default().decode(line), Ok((rest, _)) if rest.is_empty())
    }

    #[test]
    fn written_values_satisfy_the_formal_syntax_rfc3501_9() {
        let samples = [
            COMPLEX,
            "Subject: x\n\nbody\n",
            "X: y\n\n",
            "",
            "To: Friends: a@x, \"B\" <b@y>;, c@z\nCc: undisclosed-recipients:;\n\n",
            "From: \"a \\\"q\\\" \\\\ b\" <@r.x,@s.y:a@b>\nTo: local\n\n",
            "Content-Type: message/rfc822\n\nSubject: in\nFrom: x@y\n\nbody\n",
            "Content-Type: multipart/mixed\n\nno boundary\n",
            "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nx\n--d--\n",
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Language: en, fr\nContent-Disposition: inline\nContent-MD5: Q2hlY2s=\n\nx",
            "Subject: caf\u{e9} 8-bit\nFrom: J\u{f6}rg <j@x>\nContent-Type: text/plain; name=\"\u{e9}\"\n\nx\n",
        ];
        let mut literal_seen = false;
        for s in samples {
            let line = fetch_line(&msg(s));
            literal_seen |= line.windows(3).any(|w| w == b"}\r\n");
            assert!(decodes(&line), "{}", String::from_utf8_lossy(&line));
        }
        assert!(literal_seen);
        // A subject with a line break inside a quoted string would not decode.
        assert!(!decodes(
            b"* 1 FETCH (ENVELOPE (NIL \"a\r\nb\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
        ));
    }

    /// A tiny xorshift, enough to vary inputs reproducibly.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn parse_is_total_over_arbitrary_bytes() {
        const PIECES: [&[u8]; 14] = [
            b"Content-Type: multipart/mixed; boundary=b\r\n",
            b"Content-Type: message/rfc822\r\n",
            b"Content-Type: multipart/digest; boundary=\"b\"\n",
            b"\r\n",
            b"\n",
            b"--b\r\n",
            b"--b--",
            b"From: \"x\\",
            b"To: g: <@a,@b:c@d>, (c(o)m) ;",
            b"Subject: =?x?q?y?=\r\n ",
            b"Date: 1 Jan 99 1:2 +9999\r\n",
            b"\0\xff\r",
            b"Content-Transfer-Encoding: base64\r\n",
            b"[\"<>@,;:.",
        ];
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut decoded = 0;
        for _ in 0..3000 {
            let mut raw = Vec::new();
            for _ in 0..rng.next() % 40 {
                let r = rng.next();
                if r % 3 == 0 {
                    raw.push((r >> 8) as u8);
                } else {
                    raw.extend_from_slice(PIECES[(r >> 8) as usize % PIECES.len()]);
                }
            }
            let m = Message::parse(raw.clone());
            assert_eq!(m.raw(), &raw[..]);
            let mut out = Vec::new();
            m.envelope().write(&mut out);
            let b = m.body_structure();
            b.write(&mut out, true);
            b.write(&mut out, false);
            let _ = (
                m.sent_date(),
                m.has_transfer_encoding(),
                m.header_values(b"to"),
            );
            for _ in 0..4 {
                let path: Vec<u32> = (0..rng.next() % 4)
                    .map(|_| (rng.next() % 4) as u32)
                    .collect();
                for t in [
                    None,
                    Some(SectionText::Header),
                    Some(SectionText::Text),
                    Some(SectionText::Mime),
                    Some(SectionText::HeaderFields(vec![b"to".to_vec()])),
                    Some(SectionText::HeaderFieldsNot(vec![b"to".to_vec()])),
                ] {
                    if let Some(s) = m.section(&path, t.as_ref()) {
                        let _ = partial(&s, (rng.next() % 64) as u32, (rng.next() % 64) as u32);
                    }
                }
            }
            if !raw.contains(&0) {
                assert!(
                    decodes(&fetch_line(&m)),
                    "{:?}",
                    String::from_utf8_lossy(&raw)
                );
                decoded += 1;
            }
        }
        assert!(decoded > 300, "only {decoded} inputs without NUL");
    }
}
