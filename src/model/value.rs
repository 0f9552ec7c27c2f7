//! The values FETCH returns (ENVELOPE, BODY, BODYSTRUCTURE) and how they are written in
//! IMAP syntax.
//!
//! Values are plain data: what a correct server computes from a stored message (see
//! [`super::message::Message`]). The writers produce text that satisfies the formal
//! syntax of RFC 3501 §9 (`envelope`, `body`, `string`, `nstring`), which accepts the
//! same data as RFC 2060 §9.

/// RFC 2060 §7.4.2 ENVELOPE address structure: personal name, at-domain-list (source
/// route), mailbox name, host name.
///
/// RFC 822 group syntax is written as a start-of-group marker (`host` NIL, `mailbox` =
/// group name), the members, and an end-of-group marker (`mailbox` and `host` NIL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `addr-name`: the display name (phrase), NIL when absent.
    pub name: Option<Vec<u8>>,
    /// `addr-adl`: the route of an RFC 822 route-addr, e.g. `@a.example,@b.example`.
    pub adl: Option<Vec<u8>>,
    /// `addr-mailbox`: local part, or group name in a start-of-group marker.
    pub mailbox: Option<Vec<u8>>,
    /// `addr-host`: domain; NIL marks group syntax.
    pub host: Option<Vec<u8>>,
}

impl Address {
    /// RFC 2060 §7.4.2: start-of-group marker (host NIL, mailbox = group name).
    pub fn group_start(name: Vec<u8>) -> Address {
        Address {
            mailbox: Some(name),
            ..Address::default()
        }
    }

    /// RFC 2060 §7.4.2: end-of-group marker (mailbox NIL, host NIL).
    pub fn group_end() -> Address {
        Address::default()
    }

    /// RFC 3501 §9 `address`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'(');
        write_nstring(out, self.name.as_deref());
        out.push(b' ');
        write_nstring(out, self.adl.as_deref());
        out.push(b' ');
        write_nstring(out, self.mailbox.as_deref());
        out.push(b' ');
        write_nstring(out, self.host.as_deref());
        out.push(b')');
    }
}

/// RFC 2060 §7.4.2 ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc,
/// in-reply-to, message-id. Strings are the header values with folding removed; an
/// empty address list is written as NIL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<Address>,
    /// RFC 2060 §7.4.2: set from From when the Sender header is absent.
    pub sender: Vec<Address>,
    /// RFC 2060 §7.4.2: set from From when the Reply-To header is absent.
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
}

impl Envelope {
    /// RFC 3501 §9 `envelope`.
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
            write_address_list(out, list);
        }
        out.push(b' ');
        write_nstring(out, self.in_reply_to.as_deref());
        out.push(b' ');
        write_nstring(out, self.message_id.as_deref());
        out.push(b')');
    }
}

/// RFC 3501 §9 `env-from` etc.: `"(" 1*address ")" / nil`.
fn write_address_list(out: &mut Vec<u8>, list: &[Address]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        a.write(out);
    }
    out.push(b')');
}

/// An ordered list of MIME parameters, `(attribute, value)` as written in the message
/// (RFC 2045 §5.1; RFC 2231 continuations are not joined).
pub type Params = Vec<(Vec<u8>, Vec<u8>)>;

/// RFC 2060 §7.4.2 body disposition (RFC 2183 Content-Disposition): the disposition
/// type and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    pub kind: Vec<u8>,
    pub params: Params,
}

/// RFC 2060 §7.4.2 basic fields of a non-multipart body part: parameters, id,
/// description, encoding, size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFields {
    /// Content-Type parameters in message order; NIL when empty.
    pub params: Params,
    /// Content-ID header value.
    pub id: Option<Vec<u8>>,
    /// Content-Description header value.
    pub description: Option<Vec<u8>>,
    /// Content-Transfer-Encoding as written in the message; `7BIT` when absent.
    pub encoding: Vec<u8>,
    /// Size of the body part in octets, in its transfer encoding.
    pub size: u32,
}

/// What follows the basic fields of a non-multipart part (RFC 2060 §7.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleKind {
    /// Any type other than TEXT and MESSAGE/RFC822.
    Basic,
    /// TEXT/*: size of the body in text lines.
    Text { lines: u32 },
    /// MESSAGE/RFC822: envelope and body structure of the encapsulated message, and the
    /// size of the encapsulated message in text lines.
    Message {
        envelope: Box<Envelope>,
        body: Box<BodyStructure>,
        lines: u32,
    },
}

/// RFC 2060 §7.4.2 BODY and BODYSTRUCTURE. Holds the extension data too, so one value
/// writes both forms (see [`BodyStructure::write`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// A non-multipart part.
    Single {
        /// Body type as written in the message (`TEXT` when defaulted).
        media_type: Vec<u8>,
        /// Body subtype as written in the message (`PLAIN` when defaulted).
        subtype: Vec<u8>,
        fields: BodyFields,
        kind: SingleKind,
        /// Extension data: body MD5 (RFC 1864 Content-MD5 header value, usually NIL).
        md5: Option<Vec<u8>>,
        /// Extension data: RFC 2183 Content-Disposition.
        disposition: Option<Disposition>,
        /// Extension data: RFC 3066 Content-Language tags; NIL when empty.
        language: Vec<Vec<u8>>,
    },
    /// A multipart part: the nested parts, then the subtype.
    Multipart {
        /// Nested parts. RFC 3501 §9 `body-type-mpart = 1*body` cannot express zero parts:
        /// the writer then writes one empty TEXT/PLAIN part (as Dovecot does).
        parts: Vec<BodyStructure>,
        subtype: Vec<u8>,
        /// Extension data: Content-Type parameters.
        params: Params,
        /// Extension data: RFC 2183 Content-Disposition.
        disposition: Option<Disposition>,
        /// Extension data: RFC 3066 Content-Language tags.
        language: Vec<Vec<u8>>,
    },
}

/// What a multipart without parts is written as (RFC 3501 §9 needs at least one part).
const EMPTY_PART: &[u8] = b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)";

impl BodyStructure {
    /// RFC 3501 §9 `body`. `extended = false` writes the FETCH BODY form (no extension
    /// data), `true` the BODYSTRUCTURE form (RFC 2060 §7.4.2: MD5, disposition and
    /// language for single parts; parameters, disposition and language for multipart).
    /// Nested bodies inside MESSAGE/RFC822 parts are written in the same form.
    pub fn write(&self, out: &mut Vec<u8>, extended: bool) {
        out.push(b'(');
        match self {
            BodyStructure::Single {
                media_type,
                subtype,
                fields,
                kind,
                md5,
                disposition,
                language,
            } => {
                write_string(out, media_type);
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
                out.push(b' ');
                write_number(out, fields.size);
                match kind {
                    SingleKind::Basic => {}
                    SingleKind::Text { lines } => {
                        out.push(b' ');
                        write_number(out, *lines);
                    }
                    SingleKind::Message {
                        envelope,
                        body,
                        lines,
                    } => {
                        out.push(b' ');
                        envelope.write(out);
                        out.push(b' ');
                        body.write(out, extended);
                        out.push(b' ');
                        write_number(out, *lines);
                    }
                }
                if extended {
                    out.push(b' ');
                    write_nstring(out, md5.as_deref());
                    out.push(b' ');
                    write_disposition(out, disposition.as_ref());
                    out.push(b' ');
                    write_language(out, language);
                }
            }
            BodyStructure::Multipart {
                parts,
                subtype,
                params,
                disposition,
                language,
            } => {
                if parts.is_empty() {
                    out.extend_from_slice(EMPTY_PART);
                }
                for p in parts {
                    p.write(out, extended);
                }
                out.push(b' ');
                write_string(out, subtype);
                if extended {
                    out.push(b' ');
                    write_params(out, params);
                    out.push(b' ');
                    write_disposition(out, disposition.as_ref());
                    out.push(b' ');
                    write_language(out, language);
                }
            }
        }
        out.push(b')');
    }
}

/// RFC 3501 §9 `body-fld-param`: `"(" string SP string *(SP string SP string) ")" / nil`.
fn write_params(out: &mut Vec<u8>, params: &Params) {
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

/// RFC 3501 §9 `body-fld-dsp`: `"(" string SP body-fld-param ")" / nil`.
fn write_disposition(out: &mut Vec<u8>, d: Option<&Disposition>) {
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

/// RFC 3501 §9 `body-fld-lang`: `nstring / "(" string *(SP string) ")"`; one tag is
/// written as a string, several as a list.
fn write_language(out: &mut Vec<u8>, tags: &[Vec<u8>]) {
    match tags {
        [] => out.extend_from_slice(b"NIL"),
        [one] => write_string(out, one),
        many => {
            out.push(b'(');
            for (i, t) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_string(out, t);
            }
            out.push(b')');
        }
    }
}

/// RFC 3501 §9 `number`.
fn write_number(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(n.to_string().as_bytes());
}

/// RFC 2060 §4.5 / RFC 3501 §9 `nstring = string / nil`.
pub fn write_nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        None => out.extend_from_slice(b"NIL"),
        Some(s) => write_string(out, s),
    }
}

/// RFC 2060 §4.3 `string`: a quoted string when every byte is a 7-bit character other
/// than NUL, CR and LF (`"` and `\` escaped), a literal `{n}\r\n` followed by the bytes
/// otherwise. A NUL byte cannot be sent in either form (RFC 3501 §9 `CHAR8 = %x01-ff`);
/// it is written in a literal all the same, so the fault stays visible.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter()
        .all(|&c| matches!(c, 0x01..=0x7f) && c != b'\r' && c != b'\n')
    {
        out.push(b'"');
        for &c in s {
            if c == b'"' || c == b'\\' {
                out.push(b'\\');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.push(b'{');
        out.extend_from_slice(s.len().to_string().as_bytes());
        out.extend_from_slice(b"}\r\n");
        out.extend_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn strings_are_quoted_when_7bit_without_cr_lf_rfc2060_4_3() {
        assert_eq!(string(b"hello world"), b"\"hello world\"");
        assert_eq!(string(b""), b"\"\"");
        assert_eq!(string(b"a\"b\\c"), b"\"a\\\"b\\\\c\"");
    }

    #[test]
    fn strings_with_cr_lf_or_8bit_are_literals_rfc2060_4_3() {
        assert_eq!(string(b"a\r\nb"), b"{4}\r\na\r\nb");
        assert_eq!(string("é".as_bytes()), b"{2}\r\n\xc3\xa9");
        assert_eq!(string(b"\0"), b"{1}\r\n\0");
    }

    #[test]
    fn nstring_none_is_nil_rfc2060_4_5() {
        let mut out = Vec::new();
        write_nstring(&mut out, None);
        assert_eq!(out, b"NIL");
    }

    #[test]
    fn empty_address_lists_are_nil_rfc2060_7_4_2() {
        let mut out = Vec::new();
        Envelope::default().write(&mut out);
        assert_eq!(out, b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    }

    #[test]
    fn group_markers_have_nil_host_rfc2060_7_4_2() {
        let mut out = Vec::new();
        Address::group_start(b"Friends".to_vec()).write(&mut out);
        Address::group_end().write(&mut out);
        assert_eq!(out, b"(NIL NIL \"Friends\" NIL)(NIL NIL NIL NIL)");
    }

    fn text_part(size: u32, lines: u32) -> BodyStructure {
        BodyStructure::Single {
            media_type: b"TEXT".to_vec(),
            subtype: b"PLAIN".to_vec(),
            fields: BodyFields {
                params: vec![(b"CHARSET".to_vec(), b"US-ASCII".to_vec())],
                id: None,
                description: None,
                encoding: b"7BIT".to_vec(),
                size,
            },
            kind: SingleKind::Text { lines },
            md5: None,
            disposition: None,
            language: vec![],
        }
    }

    #[test]
    fn body_omits_extension_data_bodystructure_has_it_rfc2060_7_4_2() {
        let b = text_part(3028, 92);
        let mut body = Vec::new();
        b.write(&mut body, false);
        assert_eq!(
            body,
            b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)"
        );
        let mut bs = Vec::new();
        b.write(&mut bs, true);
        assert_eq!(
            bs,
            b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92 NIL NIL NIL)"
        );
    }

    #[test]
    fn multipart_writes_parts_without_separator_then_subtype_rfc2060_7_4_2() {
        let m = BodyStructure::Multipart {
            parts: vec![text_part(1152, 23), text_part(4554, 73)],
            subtype: b"MIXED".to_vec(),
            params: vec![(b"BOUNDARY".to_vec(), b"x".to_vec())],
            disposition: Some(Disposition {
                kind: b"inline".to_vec(),
                params: vec![],
            }),
            language: vec![b"en".to_vec(), b"fr".to_vec()],
        };
        let mut out = Vec::new();
        m.write(&mut out, false);
        assert_eq!(
            out,
            &b"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)\
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 4554 73) \"MIXED\")"[..]
        );
        let mut out = Vec::new();
        m.write(&mut out, true);
        assert!(out.ends_with(b" \"MIXED\" (\"BOUNDARY\" \"x\") (\"inline\" NIL) (\"en\" \"fr\"))"));
    }

    #[test]
    fn multipart_without_parts_still_has_one_body_rfc3501_9() {
        let m = BodyStructure::Multipart {
            parts: vec![],
            subtype: b"MIXED".to_vec(),
            params: vec![],
            disposition: None,
            language: vec![],
        };
        let mut out = Vec::new();
        m.write(&mut out, false);
        assert_eq!(out, [b"(", EMPTY_PART, b" \"MIXED\")"].concat());
    }
}
