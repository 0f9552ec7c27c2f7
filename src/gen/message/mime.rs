//! The MIME structure of a drawn message: RFC 2046 §5.1.3 multipart/mixed, §5.1.4
//! multipart/alternative, RFC 2387 multipart/related and RFC 2046 §5.2.1 message/rfc822
//! entities, their text parts (RFC 2045 §6.7 quoted-printable, §6.8 base64, §2.8 8bit),
//! their bytes (RFC 822 §3.1, RFC 2046 §5.1.1) and the RFC 2060 §6.4.5 part numbers
//! they give.

use arbitrary::Unstructured;

use super::encode::{base64, quoted_printable};
use super::{draw_body, Moment, PartFact, PartKind, ACCENTED, PEOPLE, UTF8_PHRASES, WORDS};
use crate::gen::entropy::{chance, int, pick};

/// The shape of a message's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// Plain 7-bit text, no MIME headers.
    Plain,
    /// multipart/mixed: text and one attachment.
    Mixed,
    /// multipart/alternative (text/plain, text/html), sometimes inside a mixed.
    Alternative,
    /// multipart/related (text/html, image/png), sometimes inside an alternative.
    Related,
    /// multipart/mixed with a message/rfc822 attachment.
    Forward,
    /// Single-part quoted-printable text.
    QuotedPrintable,
    /// Single-part base64 text.
    Base64,
    /// Single-part 8-bit UTF-8 text.
    EightBit,
    /// Header, blank line, nothing.
    Empty,
}

/// A MIME entity under construction: its MIME header lines (each ending CRLF, no blank
/// line) and its content.
pub(super) enum Entity {
    Leaf {
        header: String,
        body: String,
        kind: PartKind,
    },
    Multipart {
        header: String,
        boundary: String,
        parts: Vec<Entity>,
    },
    /// A message/rfc822 part; `inner` is the whole encapsulated message.
    Message { header: String, inner: Box<Entity> },
}

impl Entity {
    pub(super) fn header_mut(&mut self) -> &mut String {
        match self {
            Entity::Leaf { header, .. }
            | Entity::Multipart { header, .. }
            | Entity::Message { header, .. } => header,
        }
    }

    /// Whether the entity's bytes end with a multipart close delimiter (its own, or its
    /// encapsulated message's).
    fn ends_in_close_delimiter(&self) -> bool {
        match self {
            Entity::Leaf { .. } => false,
            Entity::Multipart { .. } => true,
            Entity::Message { inner, .. } => inner.ends_in_close_delimiter(),
        }
    }

    /// RFC 822 §3.1 / RFC 2046 §5.1.1: header, blank line, body; a multipart body is a
    /// preamble, each part after a dash-boundary line (the CRLF before a delimiter belongs
    /// to it), and the close delimiter.
    pub(super) fn render(&self, out: &mut String) {
        match self {
            Entity::Leaf { header, body, .. } => {
                out.push_str(header);
                out.push_str("\r\n");
                out.push_str(body);
            }
            Entity::Multipart {
                header,
                boundary,
                parts,
            } => {
                out.push_str(header);
                out.push_str("\r\n");
                out.push_str("This is a multi-part message in MIME format.\r\n");
                for p in parts {
                    out.push_str(&format!("--{boundary}\r\n"));
                    p.render(out);
                    if !out.ends_with("\r\n") {
                        out.push_str("\r\n");
                    }
                    if p.ends_in_close_delimiter() {
                        // RFC 2046 §5.1.1: the CRLF after a nested close delimiter
                        // belongs to the next delimiter, which leaves the nested part
                        // ending without one; Dovecot and Cyrus keep it in the part. An
                        // empty epilogue line makes both readings the same part.
                        out.push_str("\r\n");
                    }
                }
                out.push_str(&format!("--{boundary}--\r\n"));
            }
            Entity::Message { header, inner } => {
                out.push_str(header);
                out.push_str("\r\n");
                inner.render(out);
            }
        }
    }

    /// RFC 2060 §6.4.5 part numbers of the parts of a message whose top-level entity is
    /// `self`: a multipart's body parts, or else part 1, the body itself.
    pub(super) fn message_parts(&self, path: &[u32], out: &mut Vec<PartFact>) {
        match self {
            Entity::Multipart { parts, .. } => {
                for (i, p) in parts.iter().enumerate() {
                    p.body_part(&child(path, i), out);
                }
            }
            Entity::Leaf { kind, .. } => out.push(PartFact {
                path: child(path, 0),
                kind: *kind,
                has_mime_header: false,
            }),
            Entity::Message { .. } => self.body_part(&child(path, 0), out),
        }
    }

    /// This entity as a body part of a multipart, at `path`, and the parts inside it.
    fn body_part(&self, path: &[u32], out: &mut Vec<PartFact>) {
        let kind = match self {
            Entity::Leaf { kind, .. } => *kind,
            Entity::Multipart { .. } => PartKind::Multipart,
            Entity::Message { .. } => PartKind::Message,
        };
        out.push(PartFact {
            path: path.to_vec(),
            kind,
            has_mime_header: true,
        });
        match self {
            Entity::Leaf { .. } => {}
            Entity::Multipart { parts, .. } => {
                for (i, p) in parts.iter().enumerate() {
                    p.body_part(&child(path, i), out);
                }
            }
            Entity::Message { inner, .. } => inner.message_parts(path, out),
        }
    }
}

pub(super) fn child(path: &[u32], i: usize) -> Vec<u32> {
    let mut p = path.to_vec();
    p.push(i as u32 + 1);
    p
}

/// State while one message is drawn.
pub(super) struct Builder {
    pub(super) serial: u32,
    pub(super) boundaries: u32,
    /// Depth of message/rfc822 nesting: words inside a nested message are not facts.
    pub(super) nested: u32,
    /// A bare LF is wanted in the next text/plain part.
    pub(super) bare_lf_pending: bool,
    pub(super) bare_lf: bool,
    pub(super) eight_bit: bool,
    pub(super) body_words: Vec<&'static str>,
    pub(super) encoded_words: Vec<&'static str>,
}

impl Builder {
    /// A multipart boundary (RFC 2046 §5.1.1), distinct per multipart; the closing `_=`
    /// keeps any one from being a prefix of another, so no delimiter line of an inner
    /// multipart begins with an outer one's delimiter.
    fn boundary(&mut self) -> String {
        self.boundaries += 1;
        format!("=_imapconform_{}_{}_=", self.serial, self.boundaries)
    }

    fn plain_words(&mut self, words: &[&'static str]) {
        if self.nested == 0 {
            self.body_words.extend(words);
        }
    }

    fn hidden_words(&mut self, words: &[&'static str]) {
        if self.nested == 0 {
            self.encoded_words.extend(words);
        }
    }

    /// A text/plain part, 7-bit; its Content-Type sometimes has odd parameters.
    fn text_plain(&mut self, u: &mut Unstructured) -> Entity {
        let body = draw_body(u);
        let mut text = body.text;
        if self.bare_lf_pending {
            // Not RFC 822 (a line ends with CRLF), but servers meet it and must do
            // something: store it, or convert it to CRLF.
            self.bare_lf_pending = false;
            self.bare_lf = true;
            text.insert_str(0, "this line ends in a bare LF\n");
        }
        self.plain_words(&body.words);
        Entity::Leaf {
            header: draw_text_plain_type(u),
            body: text,
            kind: PartKind::Text,
        }
    }

    /// text/html carrying the same words as a text/plain alternative (RFC 2046 §5.1.4).
    fn text_html(&mut self, u: &mut Unstructured, image_cid: Option<&str>) -> Entity {
        let body = draw_body(u);
        let mut html = String::from("<html><body>\r\n");
        for line in body.text.lines() {
            html.push_str(&format!("<p>{line}</p>\r\n"));
        }
        if let Some(cid) = image_cid {
            html.push_str(&format!("<p><img src=\"cid:{cid}\" alt=\"logo\"></p>\r\n"));
        }
        html.push_str("</body></html>\r\n");
        Entity::Leaf {
            header: "Content-Type: text/html; charset=us-ascii\r\n".into(),
            body: html,
            kind: PartKind::Text,
        }
    }

    /// RFC 2045 §6.7 quoted-printable UTF-8 text, with `=XX` escapes and a line long
    /// enough to need soft line breaks.
    fn quoted_printable_text(&mut self, u: &mut Unstructured) -> Entity {
        let body = draw_body(u);
        let long: Vec<&'static str> = (0..int(u, 12, 20)).map(|_| *pick(u, WORDS)).collect();
        let text = format!(
            "{}{} = {}\r\n{}\r\n",
            body.text,
            pick(u, UTF8_PHRASES),
            pick(u, ACCENTED),
            long.join(" ")
        );
        self.hidden_words(&body.words);
        self.hidden_words(&long);
        Entity::Leaf {
            header: "Content-Type: text/plain; charset=utf-8\r\n\
                     Content-Transfer-Encoding: quoted-printable\r\n"
                .into(),
            body: quoted_printable(&text),
            kind: PartKind::Text,
        }
    }

    /// RFC 2045 §6.8 base64 UTF-8 text.
    fn base64_text(&mut self, u: &mut Unstructured) -> Entity {
        let body = draw_body(u);
        let text = format!("{}{}\r\n", body.text, pick(u, UTF8_PHRASES));
        self.hidden_words(&body.words);
        Entity::Leaf {
            header: "Content-Type: text/plain; charset=utf-8\r\n\
                     Content-Transfer-Encoding: base64\r\n"
                .into(),
            body: base64(text.as_bytes()) + "\r\n",
            kind: PartKind::Text,
        }
    }

    /// RFC 2045 §2.8 8-bit data: UTF-8 text lines mixing ASCII words and other scripts.
    fn eight_bit_text(&mut self, u: &mut Unstructured) -> Entity {
        let mut text = String::new();
        let mut words = Vec::new();
        for _ in 0..int(u, 1, 4) {
            let line: Vec<&'static str> = (0..int(u, 1, 5)).map(|_| *pick(u, WORDS)).collect();
            text.push_str(&format!("{} {}\r\n", pick(u, UTF8_PHRASES), line.join(" ")));
            words.extend(line);
        }
        self.eight_bit = true;
        self.plain_words(&words);
        Entity::Leaf {
            header: "Content-Type: text/plain; charset=utf-8\r\n\
                     Content-Transfer-Encoding: 8bit\r\n"
                .into(),
            body: text,
            kind: PartKind::Text,
        }
    }

    /// An attachment: base64 octets, a 7-bit text file, or base64 text.
    fn attachment(&mut self, u: &mut Unstructured) -> Entity {
        let words: Vec<&str> = (0..int(u, 1, 6)).map(|_| *pick(u, WORDS)).collect();
        match int(u, 0, 5) {
            0 | 1 => {
                let disposition = if chance(u, 1, 4) {
                    // RFC 2231 §4: a charset- and percent-encoded parameter value.
                    "Content-Disposition: attachment;\r\n filename*=UTF-8''na%C3%AFve%20notes.bin\r\n"
                } else {
                    "Content-Disposition: attachment; filename=\"notes.bin\"\r\n"
                };
                Entity::Leaf {
                    header: format!(
                        "Content-Type: application/octet-stream; name=\"notes.bin\"\r\n\
                         {disposition}Content-Transfer-Encoding: base64\r\n"
                    ),
                    body: base64(words.join(" ").as_bytes()) + "\r\n",
                    kind: PartKind::Other,
                }
            }
            2 | 3 => Entity::Leaf {
                header: "Content-Type: text/plain; charset=us-ascii; name=\"notes.txt\"\r\n\
                         Content-Disposition: inline\r\n"
                    .into(),
                body: words.join(" ") + "\r\n",
                kind: PartKind::Text,
            },
            4 => self.base64_text(u),
            _ => self.quoted_printable_text(u),
        }
    }

    /// A small image/png part (a real 1x1 PNG) with the given Content-ID (RFC 2045 §7).
    fn png(&mut self, cid: &str) -> Entity {
        Entity::Leaf {
            header: format!(
                "Content-Type: image/png; name=\"logo.png\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\
                 Content-ID: <{cid}>\r\n\
                 Content-Disposition: inline; filename=\"logo.png\"\r\n"
            ),
            body: base64(PNG_1X1) + "\r\n",
            kind: PartKind::Other,
        }
    }

    fn multipart(&mut self, subtype: &str, extra: &str, parts: Vec<Entity>) -> Entity {
        let boundary = self.boundary();
        Entity::Multipart {
            header: format!(
                "Content-Type: multipart/{subtype}; boundary=\"{boundary}\"{extra}\r\n"
            ),
            boundary,
            parts,
        }
    }

    /// RFC 2046 §5.1.4 text/plain and text/html alternatives.
    fn alternative(&mut self, u: &mut Unstructured) -> Entity {
        let parts = vec![self.text_plain(u), self.text_html(u, None)];
        self.multipart("alternative", "", parts)
    }

    /// RFC 2387 multipart/related: text/html and the image it shows (`cid:` URL,
    /// RFC 2392), sometimes as the html alternative of a text/plain.
    fn related(&mut self, u: &mut Unstructured) -> Entity {
        let cid = format!(
            "logo.{}.{}@imapconform.example",
            self.serial, self.boundaries
        );
        let html = self.text_html(u, Some(&cid));
        let image = self.png(&cid);
        let related = self.multipart("related", "; type=\"text/html\"", vec![html, image]);
        if chance(u, 1, 2) {
            let plain = self.text_plain(u);
            self.multipart("alternative", "", vec![plain, related])
        } else {
            related
        }
    }

    /// RFC 2046 §5.2.1 message/rfc822: a forwarded message, itself plain, alternative or
    /// mixed.
    fn forwarded(&mut self, u: &mut Unstructured) -> Entity {
        self.nested += 1;
        let from = *pick(u, PEOPLE);
        let to = *pick(u, PEOPLE);
        let subject: Vec<&str> = (0..int(u, 1, 3)).map(|_| *pick(u, WORDS)).collect();
        let mut header = format!(
            "From: {} <{}>\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\n",
            from.0,
            from.1,
            to.1,
            subject.join(" "),
            Moment::draw(u).rfc822()
        );
        let mut body = match int(u, 0, 3) {
            0 | 1 => self.text_plain(u),
            2 => self.alternative(u),
            _ => {
                let parts = vec![self.text_plain(u), self.attachment(u)];
                self.multipart("mixed", "", parts)
            }
        };
        if matches!(body, Entity::Multipart { .. }) {
            header.push_str("MIME-Version: 1.0\r\n");
        }
        header.push_str(body.header_mut());
        *body.header_mut() = header;
        self.nested -= 1;
        let disposition = if chance(u, 1, 2) {
            "Content-Disposition: attachment; filename=\"forwarded.eml\"\r\n"
        } else {
            ""
        };
        Entity::Message {
            header: format!("Content-Type: message/rfc822\r\n{disposition}"),
            inner: Box::new(body),
        }
    }

    /// The body of a message of the given shape, its MIME header included.
    pub(super) fn body(&mut self, u: &mut Unstructured, shape: Shape) -> Entity {
        match shape {
            Shape::Plain => {
                let mut e = self.text_plain(u);
                *e.header_mut() = String::new();
                e
            }
            Shape::Mixed => {
                let parts = vec![self.text_plain(u), self.attachment(u)];
                self.multipart("mixed", "", parts)
            }
            Shape::Alternative => {
                let alternative = self.alternative(u);
                if chance(u, 1, 3) {
                    let attachment = self.attachment(u);
                    self.multipart("mixed", "", vec![alternative, attachment])
                } else {
                    alternative
                }
            }
            Shape::Related => self.related(u),
            Shape::Forward => {
                let text = self.text_plain(u);
                let forwarded = self.forwarded(u);
                self.multipart("mixed", "", vec![text, forwarded])
            }
            Shape::QuotedPrintable => self.quoted_printable_text(u),
            Shape::Base64 => self.base64_text(u),
            Shape::EightBit => self.eight_bit_text(u),
            Shape::Empty => Entity::Leaf {
                header: String::new(),
                body: String::new(),
                kind: PartKind::Text,
            },
        }
    }
}

/// A text/plain Content-Type field: mostly ordinary, sometimes with odd but parseable
/// parameters (RFC 2045 §5.1: type, subtype and parameter names are case-insensitive;
/// values may be quoted strings; unknown parameters are ignored; RFC 2231 §4 `name*=`).
fn draw_text_plain_type(u: &mut Unstructured) -> String {
    if !chance(u, 1, 5) {
        return "Content-Type: text/plain; charset=us-ascii\r\n".into();
    }
    pick(
        u,
        &[
            "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n",
            "Content-Type: text/plain; charset=\"us-ascii\"; format=flowed; delsp=no\r\n",
            "Content-Type: text/plain;\r\n\tcharset=\"us-ascii\";\r\n\tx-imapconform-note=\"two words; and a semicolon\"\r\n",
            "Content-Type: text/plain; charset=us-ascii;\r\n name*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n",
            "Content-Type: Text/Plain; Charset=us-ascii; X-Unknown=1; name=\"a b.txt\"\r\n",
        ],
    )
    .to_string()
}

/// A real 1x1 PNG image (RGBA, one transparent pixel).
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
