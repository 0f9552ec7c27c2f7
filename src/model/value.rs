//! RFC 2060 §7.4.2: the values FETCH returns (ENVELOPE, BODY, BODYSTRUCTURE) and their
//! wire form.

/// RFC 2060 §7.4.2 address: "personal name, [SMTP] at-domain-list (source route), mailbox
/// name, and host name". A group start has no host and the group name as mailbox; a group
/// end has neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub name: Option<Vec<u8>>,
    pub adl: Option<Vec<u8>>,
    pub mailbox: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
}

/// RFC 2060 §7.4.2 ENVELOPE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<Address>,
    pub sender: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
}

/// RFC 2060 §7.4.2 `body_fields` of a single part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
    pub id: Option<Vec<u8>>,
    pub description: Option<Vec<u8>>,
    pub encoding: Vec<u8>,
    pub size: u32,
}

/// RFC 2183 Content-Disposition, for BODYSTRUCTURE extension data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disposition {
    pub kind: Vec<u8>,
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
}

/// RFC 2060 §7.4.2 BODY / BODYSTRUCTURE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyStructure {
    /// A single part: `kind`/`subtype`; `lines` for text parts; `message` for
    /// message/rfc822 (envelope, body, lines).
    Single {
        kind: Vec<u8>,
        subtype: Vec<u8>,
        fields: Fields,
        lines: Option<u32>,
        message: Option<(Box<Envelope>, Box<BodyStructure>, u32)>,
        disposition: Option<Disposition>,
        language: Option<Vec<u8>>,
    },
    Multi {
        parts: Vec<BodyStructure>,
        subtype: Vec<u8>,
        params: Vec<(Vec<u8>, Vec<u8>)>,
        disposition: Option<Disposition>,
        language: Option<Vec<u8>>,
    },
}

/// RFC 2060 §4.3 string: quoted when every byte may appear in a quoted string (7-bit, no
/// CR, LF or NUL; `"` and `\` escaped), a literal otherwise.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter()
        .all(|&b| b != 0 && b < 0x80 && b != b'\r' && b != b'\n')
    {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s);
    }
}

/// RFC 2060 §9 `nstring`: a string or NIL.
pub fn write_nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => write_string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

fn write_addresses(out: &mut Vec<u8>, list: &[Address]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        write_nstring(out, a.name.as_deref());
        out.push(b' ');
        write_nstring(out, a.adl.as_deref());
        out.push(b' ');
        write_nstring(out, a.mailbox.as_deref());
        out.push(b' ');
        write_nstring(out, a.host.as_deref());
        out.push(b')');
    }
    out.push(b')');
}

fn write_params(out: &mut Vec<u8>, params: &[(Vec<u8>, Vec<u8>)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write_string(out, k);
        out.push(b' ');
        write_string(out, v);
    }
    out.push(b')');
}

fn write_disposition(out: &mut Vec<u8>, d: &Option<Disposition>) {
    match d {
        None => out.extend_from_slice(b"NIL"),
        Some(d) => {
            out.push(b'(');
            write_string(out, &d.kind);
            out.push(b' ');
            write_params(out, &d.params);
            out.push(b')');
        }
    }
}

impl Envelope {
    /// RFC 2060 §7.4.2: "date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
    /// and message-id", in that order.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'(');
        write_nstring(out, self.date.as_deref());
        out.push(b' ');
        write_nstring(out, self.subject.as_deref());
        for list in [
            &self.from,
            &self.sender,
            &self.reply_to,
            &self.to,
            &self.cc,
            &self.bcc,
        ] {
            out.push(b' ');
            write_addresses(out, list);
        }
        out.push(b' ');
        write_nstring(out, self.in_reply_to.as_deref());
        out.push(b' ');
        write_nstring(out, self.message_id.as_deref());
        out.push(b')');
    }
}

impl BodyStructure {
    /// BODY (`extended == false`, RFC 2060 §7.4.2: "non-extensible form") or BODYSTRUCTURE.
    pub fn write(&self, out: &mut Vec<u8>, extended: bool) {
        out.push(b'(');
        match self {
            BodyStructure::Single {
                kind,
                subtype,
                fields,
                lines,
                message,
                disposition,
                language,
            } => {
                write_string(out, kind);
                out.push(b' ');
                write_string(out, subtype);
                out.push(b' ');
                write_params(out, &fields.params);
                out.push(b' ');
                write_nstring(out, fields.id.as_deref());
                out.push(b' ');
                write_nstring(out, fields.description.as_deref());
                out.push(b' ');
                write_string(out, &fields.encoding);
                out.extend_from_slice(format!(" {}", fields.size).as_bytes());
                if let Some((env, body, l)) = message {
                    out.push(b' ');
                    env.write(out);
                    out.push(b' ');
                    body.write(out, extended);
                    out.extend_from_slice(format!(" {l}").as_bytes());
                } else if let Some(l) = lines {
                    out.extend_from_slice(format!(" {l}").as_bytes());
                }
                if extended {
                    out.extend_from_slice(b" NIL ");
                    write_disposition(out, disposition);
                    out.push(b' ');
                    write_nstring(out, language.as_deref());
                }
            }
            BodyStructure::Multi {
                parts,
                subtype,
                params,
                disposition,
                language,
            } => {
                for p in parts {
                    p.write(out, extended);
                }
                out.push(b' ');
                write_string(out, subtype);
                if extended {
                    out.push(b' ');
                    write_params(out, params);
                    out.push(b' ');
                    write_disposition(out, disposition);
                    out.push(b' ');
                    write_nstring(out, language.as_deref());
                }
            }
        }
        out.push(b')');
    }
}
