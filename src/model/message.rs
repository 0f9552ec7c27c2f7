//! A stored message and what FETCH and SEARCH compute from it: RFC 2060 §6.4.5 sections,
//! §7.4.2 ENVELOPE and BODYSTRUCTURE, from the RFC 822 header and the MIME structure
//! (RFC 2045, RFC 2046). Total over arbitrary bytes: bare LF, a missing blank line, an
//! unterminated multipart all give some structure, never a panic.

use chrono::{DateTime, FixedOffset};

use super::value::{Address, BodyStructure, Disposition, Envelope, Fields};

/// Deepest MIME nesting followed; deeper parts are treated as opaque.
const MAX_DEPTH: usize = 50;

/// RFC 2060 §6.4.5 section text: what of a part is fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionText {
    Header,
    HeaderFields(Vec<Vec<u8>>),
    HeaderFieldsNot(Vec<Vec<u8>>),
    Text,
    Mime,
}

/// One MIME entity: byte ranges of its header (blank line included) and body in the raw
/// message, its content type, and its children.
#[derive(Clone, Debug)]
struct Part {
    header: (usize, usize),
    body: (usize, usize),
    kind: Vec<u8>,
    subtype: Vec<u8>,
    params: Vec<(Vec<u8>, Vec<u8>)>,
    children: Children,
}

#[derive(Clone, Debug)]
enum Children {
    Leaf,
    Multipart(Vec<Part>),
    /// message/rfc822: the encapsulated message.
    Message(Box<Part>),
}

/// A message as stored: its bytes and MIME structure.
#[derive(Clone, Debug)]
pub struct Message {
    raw: Vec<u8>,
    root: Part,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Where the header of the entity at `start..end` ends (after its blank line), tolerating
/// bare LF. Without a blank line the whole entity is header.
fn header_end(raw: &[u8], start: usize, end: usize) -> usize {
    let s = &raw[start..end];
    if s.starts_with(b"\r\n") {
        return start + 2;
    }
    if s.starts_with(b"\n") {
        return start + 1;
    }
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\n' {
            if s[i + 1..].starts_with(b"\r\n") {
                return start + i + 3;
            }
            if s[i + 1..].starts_with(b"\n") {
                return start + i + 2;
            }
        }
        i += 1;
    }
    end
}

/// Header fields as (name, raw value with folding) in order (RFC 822 §3.1).
fn fields(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for line in header.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.1.extend_from_slice(b"\r\n");
                last.1.extend_from_slice(line);
            }
            continue;
        }
        if let Some(c) = line.iter().position(|&b| b == b':') {
            out.push((line[..c].to_vec(), line[c + 1..].to_vec()));
        }
    }
    out
}

/// A field value unfolded (CRLF before whitespace removed) and trimmed at both ends.
fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\r' && v.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if v[i] == b'\n' {
            i += 1;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    let start = out
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(out.len());
    let end = out
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    out[start..end.max(start)].to_vec()
}

fn field<'a>(fs: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'a [u8]> {
    fs.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// RFC 2045 §5.1: `type/subtype *(; attribute=value)`, values token or quoted-string.
/// MIME parameters as (attribute, value) pairs, in order.
type Params = Vec<(Vec<u8>, Vec<u8>)>;

fn parse_content_type(v: &[u8]) -> (Vec<u8>, Vec<u8>, Params) {
    let v = strip_comments(&unfold(v));
    let mut pieces = split_params(&v);
    let first = pieces.remove(0);
    let (kind, subtype) = match first.iter().position(|&b| b == b'/') {
        Some(i) => (trim(&first[..i]), trim(&first[i + 1..])),
        None => (trim(&first), Vec::new()),
    };
    (kind, subtype, params_of(&pieces))
}

fn params_of(pieces: &[Vec<u8>]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for p in pieces {
        if let Some(i) = p.iter().position(|&b| b == b'=') {
            let k = trim(&p[..i]);
            let mut val = trim(&p[i + 1..]);
            if val.len() >= 2 && val[0] == b'"' && val[val.len() - 1] == b'"' {
                let inner = &val[1..val.len() - 1];
                let mut un = Vec::new();
                let mut esc = false;
                for &b in inner {
                    if esc || b != b'\\' {
                        un.push(b);
                        esc = false;
                    } else {
                        esc = true;
                    }
                }
                val = un;
            }
            if !k.is_empty() {
                out.push((k, val));
            }
        }
    }
    out
}

/// Splits on `;` outside quoted strings.
fn split_params(v: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    let (mut q, mut esc) = (false, false);
    for &b in v {
        if esc {
            esc = false;
        } else if q && b == b'\\' {
            esc = true;
        } else if b == b'"' {
            q = !q;
        } else if b == b';' && !q {
            out.push(Vec::new());
            continue;
        }
        out.last_mut().expect("non-empty").push(b);
    }
    out
}

/// RFC 822 comments `( ... )` outside quoted strings removed.
fn strip_comments(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut depth, mut q, mut esc) = (0usize, false, false);
    for &b in v {
        if esc {
            esc = false;
            if depth == 0 {
                out.push(b);
            }
            continue;
        }
        match b {
            b'\\' => {
                esc = true;
                if depth == 0 {
                    out.push(b);
                }
            }
            b'"' if depth == 0 => {
                q = !q;
                out.push(b);
            }
            b'(' if !q => depth += 1,
            b')' if !q && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(b),
            _ => {}
        }
    }
    out
}

fn trim(v: &[u8]) -> Vec<u8> {
    let s = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    v[s..e.max(s)].to_vec()
}

/// Parses the entity at `start..end`; `default` is its content type when it has none
/// (RFC 2046 §5.1.5: message/rfc822 inside multipart/digest, text/plain elsewhere).
fn parse_part(raw: &[u8], start: usize, end: usize, default: (&[u8], &[u8]), depth: usize) -> Part {
    let hend = header_end(raw, start, end);
    let fs = fields(&raw[start..hend]);
    let (mut kind, mut subtype, mut params) = match field(&fs, b"Content-Type") {
        Some(v) => parse_content_type(v),
        None => (default.0.to_vec(), default.1.to_vec(), Vec::new()),
    };
    if kind.is_empty() || subtype.is_empty() {
        // RFC 2045 §5.2: an invalid Content-Type is read as the default.
        kind = b"TEXT".to_vec();
        subtype = b"PLAIN".to_vec();
        params = Vec::new();
    }
    if field(&fs, b"Content-Type").is_none() && kind.eq_ignore_ascii_case(b"text") {
        // RFC 2045 §5.2: "Content-type: text/plain; charset=us-ascii" is the default.
        params = vec![(b"CHARSET".to_vec(), b"US-ASCII".to_vec())];
    }
    let mut part = Part {
        header: (start, hend),
        body: (hend, end),
        kind,
        subtype,
        params,
        children: Children::Leaf,
    };
    if depth >= MAX_DEPTH {
        return part;
    }
    if part.kind.eq_ignore_ascii_case(b"multipart") {
        let boundary = part
            .params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(b"boundary"))
            .map(|(_, v)| v.clone());
        if let Some(b) = boundary.filter(|b| !b.is_empty()) {
            let digest = part.subtype.eq_ignore_ascii_case(b"digest");
            let def: (&[u8], &[u8]) = if digest {
                (b"MESSAGE", b"RFC822")
            } else {
                (b"TEXT", b"PLAIN")
            };
            let children: Vec<Part> = split_multipart(raw, hend, end, &b)
                .into_iter()
                .map(|(s, e)| parse_part(raw, s, e, def, depth + 1))
                .collect();
            if !children.is_empty() {
                part.children = Children::Multipart(children);
            }
        }
    } else if part.kind.eq_ignore_ascii_case(b"message")
        && part.subtype.eq_ignore_ascii_case(b"rfc822")
    {
        let inner = parse_part(raw, hend, end, (b"TEXT", b"PLAIN"), depth + 1);
        part.children = Children::Message(Box::new(inner));
    }
    part
}

/// RFC 2046 §5.1.1: the body parts between `--boundary` lines, each without the CRLF that
/// precedes the next delimiter; the preamble and epilogue are left out.
fn split_multipart(raw: &[u8], start: usize, end: usize, boundary: &[u8]) -> Vec<(usize, usize)> {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    // Positions of delimiter lines (at the start of a line).
    let mut marks: Vec<(usize, usize, bool)> = Vec::new(); // (line start, after line, closing)
    let mut pos = start;
    while let Some(i) = find(&raw[..end], &delim, pos) {
        let at_line_start = i == start || raw[i - 1] == b'\n';
        let after = i + delim.len();
        if at_line_start {
            let closing = raw[after..end].starts_with(b"--");
            let eol = raw[after..end]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(end, |p| after + p + 1);
            marks.push((i, eol, closing));
            if closing {
                break;
            }
            pos = eol;
        } else {
            pos = after;
        }
    }
    let mut parts = Vec::new();
    for w in marks.windows(2) {
        let (_, body_start, closing) = w[0];
        if closing {
            break;
        }
        let mut body_end = w[1].0;
        if body_end > body_start && raw[body_end - 1] == b'\n' {
            body_end -= 1;
            if body_end > body_start && raw[body_end - 1] == b'\r' {
                body_end -= 1;
            }
        }
        parts.push((body_start, body_end.max(body_start)));
    }
    if let Some(&(_, body_start, false)) = marks.last() {
        // No closing delimiter: the last part runs to the end.
        parts.push((body_start.min(end), end));
    }
    parts
}

/// RFC 822 §6 addresses of a field: `phrase <route-addr>`, `addr-spec`, groups.
fn parse_addresses(v: &[u8]) -> Vec<Address> {
    let v = strip_comments(&unfold(v));
    let mut out = Vec::new();
    // Split on commas outside quotes and angle brackets; a `:` starts a group, `;` ends it.
    let (mut q, mut esc, mut angle) = (false, false, false);
    let mut cur: Vec<u8> = Vec::new();
    let flush = |cur: &mut Vec<u8>, out: &mut Vec<Address>| {
        let t = trim(cur);
        if !t.is_empty() {
            out.push(one_address(&t));
        }
        cur.clear();
    };
    for &b in &v {
        if esc {
            esc = false;
            cur.push(b);
            continue;
        }
        match b {
            b'\\' if q => {
                esc = true;
                cur.push(b);
            }
            b'"' => {
                q = !q;
                cur.push(b);
            }
            b'<' if !q => {
                angle = true;
                cur.push(b);
            }
            b'>' if !q => {
                angle = false;
                cur.push(b);
            }
            b',' if !q && !angle => flush(&mut cur, &mut out),
            b':' if !q && !angle => {
                let name = unquote(&trim(&cur));
                cur.clear();
                out.push(Address {
                    name: None,
                    adl: None,
                    mailbox: Some(name),
                    host: None,
                });
            }
            b';' if !q && !angle => {
                flush(&mut cur, &mut out);
                out.push(Address::default());
            }
            _ => cur.push(b),
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn unquote(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut esc = false;
    for &b in v {
        if esc {
            out.push(b);
            esc = false;
        } else if b == b'\\' {
            esc = true;
        } else if b != b'"' {
            out.push(b);
        }
    }
    out
}

fn one_address(v: &[u8]) -> Address {
    let (name, spec) = match (
        v.iter().position(|&b| b == b'<'),
        v.iter().rposition(|&b| b == b'>'),
    ) {
        (Some(l), Some(r)) if l < r => {
            let name = trim(&v[..l]);
            (
                (!name.is_empty()).then(|| unquote(&name)),
                trim(&v[l + 1..r]),
            )
        }
        _ => (None, v.to_vec()),
    };
    // A route `@a,@b:user@host` keeps its route as adl.
    let (adl, spec) = match spec.iter().position(|&b| b == b':') {
        Some(i) if spec.first() == Some(&b'@') => {
            (Some(spec[..i].to_vec()), spec[i + 1..].to_vec())
        }
        _ => (None, spec),
    };
    let (mailbox, host) = match spec.iter().rposition(|&b| b == b'@') {
        Some(i) => (unquote(&trim(&spec[..i])), Some(trim(&spec[i + 1..]))),
        None => (unquote(&spec), None),
    };
    Address {
        name,
        adl,
        mailbox: Some(mailbox),
        host,
    }
}

impl Message {
    pub fn parse(raw: Vec<u8>) -> Message {
        let root = parse_part(&raw, 0, raw.len(), (b"TEXT", b"PLAIN"), 0);
        Message { raw, root }
    }

    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// RFC 2060 §2.3.4: "the number of octets in the message, as expressed in [RFC-822]
    /// format".
    pub fn size(&self) -> u32 {
        u32::try_from(self.raw.len()).unwrap_or(u32::MAX)
    }

    fn bytes(&self, r: (usize, usize)) -> &[u8] {
        &self.raw[r.0..r.1]
    }

    fn envelope_of(&self, p: &Part) -> Envelope {
        let fs = fields(self.bytes(p.header));
        let s = |n: &[u8]| field(&fs, n).map(unfold);
        let a = |n: &[u8]| field(&fs, n).map(parse_addresses).unwrap_or_default();
        let from = a(b"From");
        let sender = match field(&fs, b"Sender") {
            Some(v) if !parse_addresses(v).is_empty() => parse_addresses(v),
            // RFC 2060 §7.4.2: "If the Sender or Reply-To lines are absent in the [RFC-822]
            // header, or are present but empty, the server sets the corresponding member
            // of the envelope to be the same value as the from member".
            _ => from.clone(),
        };
        let reply_to = match field(&fs, b"Reply-To") {
            Some(v) if !parse_addresses(v).is_empty() => parse_addresses(v),
            _ => from.clone(),
        };
        Envelope {
            date: s(b"Date"),
            subject: s(b"Subject"),
            from,
            sender,
            reply_to,
            to: a(b"To"),
            cc: a(b"Cc"),
            bcc: a(b"Bcc"),
            in_reply_to: s(b"In-Reply-To"),
            message_id: s(b"Message-ID"),
        }
    }

    /// RFC 2060 §7.4.2 ENVELOPE, from the RFC 822 header.
    pub fn envelope(&self) -> Envelope {
        self.envelope_of(&self.root)
    }

    /// RFC 2060 §7.4.2 body_fld_lines, "the size of the body in text lines": the line
    /// ends in it (a last line without one is not counted, as every lab server counts).
    fn lines(b: &[u8]) -> u32 {
        let n = b.iter().filter(|&&c| c == b'\n').count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn structure_of(&self, p: &Part) -> BodyStructure {
        let fs = fields(self.bytes(p.header));
        let disposition = field(&fs, b"Content-Disposition").map(|v| {
            let v = strip_comments(&unfold(v));
            let mut pieces = split_params(&v);
            let kind = trim(&pieces.remove(0));
            Disposition {
                kind,
                params: params_of(&pieces),
            }
        });
        let language = field(&fs, b"Content-Language").map(unfold);
        match &p.children {
            Children::Multipart(parts) => BodyStructure::Multi {
                parts: parts.iter().map(|c| self.structure_of(c)).collect(),
                subtype: p.subtype.clone(),
                params: p.params.clone(),
                disposition,
                language,
            },
            other => {
                let body = self.bytes(p.body);
                let encoding = field(&fs, b"Content-Transfer-Encoding")
                    .map(|v| strip_comments(&unfold(v)))
                    .map(|v| trim(&v))
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| b"7BIT".to_vec());
                let fields = Fields {
                    params: p.params.clone(),
                    id: field(&fs, b"Content-ID").map(unfold),
                    description: field(&fs, b"Content-Description").map(unfold),
                    encoding,
                    size: u32::try_from(body.len()).unwrap_or(u32::MAX),
                };
                let message = match other {
                    Children::Message(inner) => Some((
                        Box::new(self.envelope_of(inner)),
                        Box::new(self.structure_of(inner)),
                        Self::lines(body),
                    )),
                    _ => None,
                };
                let lines = (message.is_none() && p.kind.eq_ignore_ascii_case(b"text"))
                    .then(|| Self::lines(body));
                BodyStructure::Single {
                    kind: p.kind.clone(),
                    subtype: p.subtype.clone(),
                    fields,
                    lines,
                    message,
                    disposition,
                    language,
                }
            }
        }
    }

    /// RFC 2060 §7.4.2 BODYSTRUCTURE (and BODY, its non-extensible form).
    pub fn body_structure(&self) -> BodyStructure {
        self.structure_of(&self.root)
    }

    /// RFC 2060 §6.4.5: the part numbered `path` ("Every message has at least one part
    /// number"; a non-multipart message's part 1 is its body).
    fn part(&self, path: &[u32]) -> Option<&Part> {
        let mut cur = &self.root;
        for &n in path {
            let idx = usize::try_from(n).ok()?.checked_sub(1)?;
            // The parts of a message/rfc822 part are those of the message it contains.
            let container = match &cur.children {
                Children::Message(inner) => inner.as_ref(),
                _ => cur,
            };
            cur = match &container.children {
                Children::Multipart(parts) => parts.get(idx)?,
                _ if idx == 0 => container,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn header_subset(&self, p: &Part, names: &[Vec<u8>], keep: bool) -> Vec<u8> {
        let header = self.bytes(p.header);
        let mut out = Vec::new();
        let mut take = false;
        for line in header.split_inclusive(|&b| b == b'\n') {
            let bare = line.strip_suffix(b"\n").unwrap_or(line);
            let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
            if bare.is_empty() {
                continue;
            }
            if bare[0] != b' ' && bare[0] != b'\t' {
                let name = bare.split(|&b| b == b':').next().unwrap_or_default();
                let hit = names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(trim(name).as_slice()));
                take = hit == keep && bare.contains(&b':');
            }
            if take {
                out.extend_from_slice(line);
            }
        }
        // RFC 2060 §6.4.5: "the delimiting blank line between the header and the body is
        // always included".
        out.extend_from_slice(b"\r\n");
        out
    }

    /// RFC 2060 §6.4.5 `BODY[section]`: `part` empty for the whole message; `None` when
    /// the part or the text specifier does not apply.
    pub fn section(&self, part: &[u32], text: Option<&SectionText>) -> Option<Vec<u8>> {
        let p = self.part(part)?;
        // HEADER, TEXT and HEADER.FIELDS of a part apply to a message/rfc822 part (the
        // message it contains); of the whole message, to the message.
        let message = if part.is_empty() {
            Some(p)
        } else {
            match &p.children {
                Children::Message(inner) => Some(inner.as_ref()),
                _ => None,
            }
        };
        match text {
            None if part.is_empty() => Some(self.raw.clone()),
            None => Some(self.bytes(p.body).to_vec()),
            Some(SectionText::Mime) => (!part.is_empty()).then(|| self.bytes(p.header).to_vec()),
            Some(SectionText::Header) => message.map(|m| self.bytes(m.header).to_vec()),
            Some(SectionText::Text) => message.map(|m| self.bytes(m.body).to_vec()),
            Some(SectionText::HeaderFields(n)) => message.map(|m| self.header_subset(m, n, true)),
            Some(SectionText::HeaderFieldsNot(n)) => {
                message.map(|m| self.header_subset(m, n, false))
            }
        }
    }

    /// RFC 2060 §6.4.5 partial fetch `<origin.length>`: "Any partial fetch that attempts to
    /// read beyond the end of the text is truncated as appropriate."
    pub fn partial(bytes: &[u8], origin: u32, len: u32) -> Vec<u8> {
        let start = (origin as usize).min(bytes.len());
        let end = start.saturating_add(len as usize).min(bytes.len());
        bytes[start..end].to_vec()
    }

    /// Unfolded values of the top-level header fields named `name` (RFC 2060 §6.4.4).
    pub fn header_values(&self, name: &[u8]) -> Vec<Vec<u8>> {
        fields(self.header_bytes())
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| unfold(&v))
            .collect()
    }

    pub fn header_bytes(&self) -> &[u8] {
        self.bytes(self.root.header)
    }

    pub fn body_bytes(&self) -> &[u8] {
        self.bytes(self.root.body)
    }

    /// The Date: header as a date-time (RFC 822 §5, RFC 2822 §3.3), for SENTBEFORE etc.
    pub fn sent_date(&self) -> Option<DateTime<FixedOffset>> {
        let v = self.header_values(b"Date").into_iter().next()?;
        let v = strip_comments(&v);
        let s = std::str::from_utf8(&v).ok()?.trim();
        DateTime::parse_from_rfc2822(s).ok()
    }

    /// Whether content is encoded anywhere (base64, quoted-printable, RFC 2047 words):
    /// where servers that decode and servers that do not may search differently.
    pub fn has_transfer_encoding(&self) -> bool {
        if find(&self.raw, b"=?", 0).is_some() {
            return true;
        }
        fn walk(m: &Message, p: &Part) -> bool {
            let fs = fields(m.bytes(p.header));
            let enc = field(&fs, b"Content-Transfer-Encoding")
                .map(|v| trim(&unfold(v)).to_ascii_lowercase());
            if matches!(enc.as_deref(), Some(b"base64") | Some(b"quoted-printable")) {
                return true;
            }
            match &p.children {
                Children::Leaf => false,
                Children::Message(i) => walk(m, i),
                Children::Multipart(ps) => ps.iter().any(|c| walk(m, c)),
            }
        }
        walk(self, &self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message shaped like the RFC 2060 §6.4.5 example's part numbering.
    const NESTED: &str = "From: a@b.c\r\nSubject: nested\r\nMIME-Version: 1.0\r\nContent-Type: MULTIPART/MIXED; boundary=\"x\"\r\n\r\npreamble\r\n--x\r\nContent-Type: TEXT/PLAIN\r\n\r\npart one\r\n--x\r\nContent-Type: APPLICATION/OCTET-STREAM\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--x\r\nContent-Type: MESSAGE/RFC822\r\n\r\nFrom: d@e.f\r\nSubject: inner\r\nContent-Type: MULTIPART/ALTERNATIVE; boundary=y\r\n\r\n--y\r\nContent-Type: TEXT/PLAIN\r\n\r\ninner plain\r\n--y\r\nContent-Type: TEXT/RICHTEXT\r\n\r\ninner rich\r\n--y--\r\n--x--\r\nepilogue\r\n";

    fn m(s: &str) -> Message {
        Message::parse(s.as_bytes().to_vec())
    }

    #[test]
    fn parts_are_numbered_and_nested_rfc2060_6_4_5() {
        let msg = m(NESTED);
        assert_eq!(msg.section(&[1], None).unwrap(), b"part one");
        assert_eq!(msg.section(&[2], None).unwrap(), b"AAAA");
        assert_eq!(msg.section(&[3, 1], None).unwrap(), b"inner plain");
        assert_eq!(msg.section(&[3, 2], None).unwrap(), b"inner rich");
        assert_eq!(
            msg.section(
                &[3],
                Some(&SectionText::HeaderFields(vec![b"subject".to_vec()]))
            )
            .unwrap(),
            b"Subject: inner\r\n\r\n"
        );
        assert_eq!(
            msg.section(&[1], Some(&SectionText::Mime)).unwrap(),
            b"Content-Type: TEXT/PLAIN\r\n\r\n"
        );
        assert!(msg.section(&[4], None).is_none());
        assert!(msg.section(&[1], Some(&SectionText::Header)).is_none());
        assert_eq!(msg.section(&[], None).unwrap(), NESTED.as_bytes());
    }

    #[test]
    fn a_plain_message_has_part_1_and_header_text_rfc2060_6_4_5() {
        let msg = m("Subject: x\r\nTo: y@z\r\n\r\nhello\r\n");
        assert_eq!(msg.section(&[1], None).unwrap(), b"hello\r\n");
        assert_eq!(
            msg.section(&[], Some(&SectionText::Header)).unwrap(),
            b"Subject: x\r\nTo: y@z\r\n\r\n"
        );
        assert_eq!(
            msg.section(&[], Some(&SectionText::Text)).unwrap(),
            b"hello\r\n"
        );
        assert_eq!(
            msg.section(
                &[],
                Some(&SectionText::HeaderFieldsNot(vec![b"SUBJECT".to_vec()]))
            )
            .unwrap(),
            b"To: y@z\r\n\r\n"
        );
        assert_eq!(Message::partial(b"hello", 1, 3), b"ell");
        assert_eq!(Message::partial(b"hello", 9, 3), b"");
    }

    #[test]
    fn envelope_defaults_sender_and_reply_to_to_from_rfc2060_7_4_2() {
        let msg = m("From: \"Fred, Foobar\" <foobar@Blurdybloop.COM>\r\nTo: mooch@owatagu.siam.edu, Group: a@b, c@d;\r\nSubject: afternoon\r\n meeting\r\n\r\nx\r\n");
        let e = msg.envelope();
        assert_eq!(e.subject.as_deref(), Some(&b"afternoon meeting"[..]));
        assert_eq!(e.from[0].name.as_deref(), Some(&b"Fred, Foobar"[..]));
        assert_eq!(e.from[0].host.as_deref(), Some(&b"Blurdybloop.COM"[..]));
        assert_eq!(e.sender, e.from);
        assert_eq!(e.reply_to, e.from);
        assert_eq!(e.to.len(), 5, "{:?}", e.to);
        assert_eq!(e.to[1].mailbox.as_deref(), Some(&b"Group"[..]));
        assert_eq!(e.to[1].host, None);
        assert_eq!(e.to[4], Address::default());
        assert!(e.date.is_none() && e.cc.is_empty());
    }

    #[test]
    fn bodystructure_of_a_plain_message_defaults_to_text_plain_us_ascii_rfc2060_7_4_2() {
        let msg = m("Subject: x\r\n\r\nhello\r\nworld\r\n");
        let mut out = Vec::new();
        msg.body_structure().write(&mut out, false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 14 2)"
        );
    }

    #[test]
    fn bodystructure_of_nested_parts_rfc2060_7_4_2() {
        let mut out = Vec::new();
        m(NESTED).body_structure().write(&mut out, true);
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.starts_with("((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 8 0 NIL NIL NIL)"),
            "{s}"
        );
        assert!(s.contains("\"MESSAGE\" \"RFC822\""), "{s}");
        assert!(s.contains("\"ALTERNATIVE\""), "{s}");
        assert!(
            s.ends_with(" \"MIXED\" (\"boundary\" \"x\") NIL NIL)"),
            "{s}"
        );
    }

    #[test]
    fn any_bytes_parse_without_panic() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let alphabet =
            b"\r\n:-;=\"<>@,()abc--x boundary=Content-Type: multipart/mixed message/rfc822\t\\";
        for len in 0..3000usize {
            let mut v = Vec::new();
            for _ in 0..(len % 300) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push(if x % 3 == 0 {
                    (x >> 8) as u8
                } else {
                    alphabet[(x as usize >> 3) % alphabet.len()]
                });
            }
            let msg = Message::parse(v);
            let mut out = Vec::new();
            msg.body_structure().write(&mut out, true);
            msg.envelope().write(&mut out);
            let _ = msg.section(&[1, 1], Some(&SectionText::Mime));
            let _ = msg.sent_date();
        }
    }
}
