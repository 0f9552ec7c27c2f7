//! Real RFC 822 / MIME messages for APPEND, and the facts SEARCH and FETCH can rely on.
//!
//! RFC 2060 §6.3.11: "The message literal argument ... SHOULD be in the format of an
//! [RFC-822] message." Most messages [`draw_message`] makes are plain: From, To,
//! Subject, Date and Message-ID headers, CRLF line ends, 7-bit text. A minority (about
//! two in five) are built for depth:
//!
//! - RFC 2046 §5.1.3 multipart/mixed, §5.1.4 multipart/alternative (text/plain and
//!   text/html), RFC 2387 multipart/related (text/html with an image/png part named by
//!   its Content-ID), RFC 2046 §5.2.1 message/rfc822 attachments whose inner message may
//!   itself be multipart;
//! - RFC 2045 §6.8 base64 and §6.7 quoted-printable parts (soft line breaks `=` CRLF and
//!   `=XX` escapes), and RFC 2045 §2.8 8-bit UTF-8 bodies (`Content-Transfer-Encoding:
//!   8bit`);
//! - RFC 2047 encoded words in Subject and in From/To display names, long header fields
//!   folded as RFC 822 §3.1.1 allows, messages without Date or without From;
//! - odd but parseable Content-Type parameters (upper-case names, quoted values with
//!   spaces, unknown parameters, RFC 2231 `name*=` values, folded parameter lists);
//! - empty bodies (the header, the blank line, nothing), and rarely a bare LF inside a
//!   body line, which a server must store or convert somehow.
//!
//! Headers are always 7-bit (8-bit bytes appear only in 8bit bodies), and no message
//! holds a NUL (RFC 2060 §9 `CHAR8` excludes it from literals). [`MessageFacts`] records
//! what a later SEARCH can find and what a FETCH `BODY[section]` can address; the messages
//! that are not 7-bit CRLF say so there (`eight_bit`, `bare_lf`). One APPEND in ten
//! (see [`super::seeds`]) sends one of the hand-written messages of `corpus/messages/`
//! instead.

use arbitrary::Unstructured;

use super::entropy::{chance, int, pick, weighted};

mod encode;
mod mime;
mod moment;

pub use encode::{encoded_word, quoted_printable};
use mime::{Builder, Shape};
pub use moment::{Moment, MONTHS};

/// The people messages are from and to: (display name, address).
pub const PEOPLE: &[(&str, &str)] = &[
    ("Alice Arden", "alice@example.org"),
    ("Bob Baker", "bob@example.net"),
    ("Carol Chen", "carol@example.com"),
    ("Dave Dietz", "dave@lists.example.org"),
    ("Erin O'Hara", "erin@example.org"),
    ("Frank Fu", "frank@sub.example.net"),
];

/// Words for subjects and bodies.
pub const WORDS: &[&str] = &[
    "meeting",
    "budget",
    "report",
    "lunch",
    "invoice",
    "draft",
    "release",
    "holiday",
    "minutes",
    "quarterly",
    "urgent",
    "agenda",
    "travel",
    "review",
    "pumpkin",
    "zebra",
    "conformance",
    "protocol",
    "mailbox",
    "octet",
];

/// Short texts with letters outside US-ASCII, all of them in ISO-8859-1 too, for RFC 2047
/// encoded words and 8-bit bodies.
pub const ACCENTED: &[&str] = &[
    "Grüße aus Köln",
    "café crème",
    "naïve façade",
    "señor Muñoz",
    "Zürich Genève",
    "smörgåsbord",
];

/// Longer UTF-8 phrases (some outside ISO-8859-1) for 8-bit and encoded bodies.
const UTF8_PHRASES: &[&str] = &[
    "Grüße aus München",
    "Привет, как дела?",
    "日本語のテキスト",
    "Ελληνικά γράμματα",
    "naïve café — déjà vu",
];

/// What a FETCH `BODY[part]` finds at a part number (RFC 2060 §6.4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// A `text/*` leaf.
    Text,
    /// Any other leaf (image, application, ...).
    Other,
    /// A multipart inside the message: its body holds the nested parts.
    Multipart,
    /// A message/rfc822 part: `.HEADER`, `.TEXT` and `.HEADER.FIELDS` apply to it
    /// (RFC 2060 §6.4.5).
    Message,
}

/// One part number that exists in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartFact {
    /// RFC 2060 §6.4.5 part numbers, outermost first: `[2, 1]` is part `2.1`.
    pub path: Vec<u32>,
    pub kind: PartKind,
    /// Whether the part is a body part of a multipart, so that `.MIME` names its own
    /// MIME header (RFC 2060 §6.4.5). The part 1 of a non-multipart message is its body,
    /// whose "MIME header" servers read differently, so `.MIME` is not drawn for it.
    pub has_mime_header: bool,
}

impl PartFact {
    /// The part number as written in a section: `2.1`.
    pub fn render(&self) -> String {
        render_path(&self.path)
    }
}

/// `[2, 1]` as `2.1`.
pub fn render_path(path: &[u32]) -> String {
    let parts: Vec<String> = path.iter().map(u32::to_string).collect();
    parts.join(".")
}

/// What the session knows about a message it appended, for SEARCH keys that can match
/// and FETCH sections that exist.
#[derive(Clone, Debug)]
pub struct MessageFacts {
    /// The From address; None when the message has no From field.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub cc: Option<&'static str>,
    /// The part of the Subject written outside RFC 2047 encoded words (whole words, single
    /// spaces, as it reads after unfolding): a substring of the field whether or not a
    /// server decodes encoded words. Empty when nothing of it is safe to search for.
    pub subject: String,
    /// Words written unencoded in `text/plain` parts (or the single-part body) outside any
    /// nested message: RFC 2060 §6.4.4 BODY and TEXT find them however a server reads
    /// MIME. Empty for an empty body.
    pub body_words: Vec<&'static str>,
    /// Words only found once a base64 or quoted-printable text part is decoded, which
    /// RFC 2060 §6.4.4 requires only for a SEARCH CHARSET other than US-ASCII.
    pub encoded_words: Vec<&'static str>,
    /// The Date field's moment; None when the message has no Date field (SENTBEFORE,
    /// SENTON and SENTSINCE are then up to the server).
    pub sent: Option<Moment>,
    /// RFC 2060 §2.3.3 internal date, when APPEND gave one (otherwise the server's clock).
    pub internal: Option<Moment>,
    pub size: usize,
    /// Every part number that exists, in message order.
    pub parts: Vec<PartFact>,
    /// The body holds 8-bit bytes (UTF-8 text under `Content-Transfer-Encoding: 8bit`).
    pub eight_bit: bool,
    /// A body line holds a bare LF (not RFC 822; a server may store or convert it).
    pub bare_lf: bool,
    /// The file name of the `corpus/messages/` seed this message is, if it is one.
    pub seed: Option<&'static str>,
}

/// A message and its facts.
#[derive(Clone, Debug)]
pub struct MailMessage {
    pub bytes: Vec<u8>,
    pub facts: MessageFacts,
}

/// Draws a message. `serial` makes the Message-ID unique within the session, and
/// `session` (seed and index) across sessions.
pub fn draw_message(u: &mut Unstructured, session: (u64, u64), serial: u32) -> MailMessage {
    let from = *pick(u, PEOPLE);
    let to = *pick(u, PEOPLE);
    let cc = chance(u, 1, 3).then(|| *pick(u, PEOPLE));
    let subject_words: Vec<&'static str> = (0..int(u, 1, 4)).map(|_| *pick(u, WORDS)).collect();
    let mut subject = subject_words.join(" ");
    let sent = Moment::draw(u);
    // The ordinary shape comes first, so exhausted bytes give a plain message.
    let shape = weighted(
        u,
        &[
            (Shape::Plain, 40),
            (Shape::Mixed, 14),
            (Shape::Alternative, 9),
            (Shape::Related, 5),
            (Shape::Forward, 8),
            (Shape::QuotedPrintable, 5),
            (Shape::Base64, 2),
            (Shape::EightBit, 6),
            (Shape::Empty, 3),
        ],
    );
    let mut b = Builder {
        serial,
        boundaries: 0,
        nested: 0,
        bare_lf_pending: chance(u, 1, 30),
        bare_lf: false,
        eight_bit: false,
        body_words: Vec::new(),
        encoded_words: Vec::new(),
    };
    let mut body = b.body(u, shape);

    let mut header = String::with_capacity(512);
    let no_from = chance(u, 1, 25);
    if !no_from {
        let name = if chance(u, 1, 10) {
            let text = *pick(u, ACCENTED);
            encoded_word(u, text)
        } else {
            from.0.to_string()
        };
        header.push_str(&format!("From: {name} <{}>\r\n", from.1));
    }
    header.push_str(&format!("To: {} <{}>\r\n", to.0, to.1));
    if let Some(cc) = cc {
        header.push_str(&format!("Cc: {}\r\n", cc.1));
    }
    let subject_field = match int(u, 0, 19) {
        0..=15 => subject.clone(),
        // RFC 2047 §5(1): encoded words in an unstructured field, next to plain words
        // (what a SEARCH may look for) or alone (nothing safe to look for).
        16 => {
            let text = *pick(u, ACCENTED);
            format!("{} {subject}", encoded_word(u, text))
        }
        17 => {
            let field = encoded_word(u, &subject);
            subject.clear();
            field
        }
        // RFC 822 §3.1.1: a long field folded at a space.
        _ => {
            let more: Vec<&'static str> = (0..int(u, 8, 14)).map(|_| *pick(u, WORDS)).collect();
            subject = format!("{subject} {}", more.join(" "));
            fold(&subject, 40)
        }
    };
    header.push_str(&format!("Subject: {subject_field}\r\n"));
    let no_date = chance(u, 1, 20);
    if !no_date {
        header.push_str(&format!("Date: {}\r\n", sent.rfc822()));
    }
    header.push_str(&format!(
        "Message-ID: <{}.{}.{}@imapconform.example>\r\n",
        session.0, session.1, serial
    ));
    if chance(u, 1, 8) {
        // A long References field, folded before each message identifier.
        let ids: Vec<String> = (0..int(u, 4, 9))
            .map(|k| format!("<{}.{k}.{}@imapconform.example>", session.0, int(u, 1, 999)))
            .collect();
        header.push_str(&format!("References: {}\r\n", ids.join("\r\n\t")));
    }
    if chance(u, 1, 5) {
        header.push_str(&format!("X-Imapconform-Serial: {serial}\r\n"));
    }
    if shape != Shape::Plain && shape != Shape::Empty {
        header.push_str("MIME-Version: 1.0\r\n");
    }
    header.push_str(body.header_mut());
    *body.header_mut() = header;

    let mut parts = Vec::new();
    body.message_parts(&[], &mut parts);
    let mut text = String::with_capacity(1024);
    body.render(&mut text);
    let bytes = text.into_bytes();
    MailMessage {
        facts: MessageFacts {
            from: (!no_from).then_some(from.1),
            to: to.1,
            cc: cc.map(|c| c.1),
            subject,
            body_words: b.body_words,
            encoded_words: b.encoded_words,
            sent: (!no_date).then_some(sent),
            internal: None,
            size: bytes.len(),
            parts,
            eight_bit: b.eight_bit,
            bare_lf: b.bare_lf,
            seed: None,
        },
        bytes,
    }
}

/// RFC 822 §3.1.1 folding: `text` with CRLF inserted before a space wherever a line
/// would pass `width` characters. Unfolding (removing each CRLF) gives `text` back.
fn fold(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if line + 1 + word.len() > width {
                out.push_str("\r\n");
                line = 0;
            }
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// A plain-text body: a few CRLF-terminated lines of words.
struct Body {
    text: String,
    words: Vec<&'static str>,
}

fn draw_body(u: &mut Unstructured) -> Body {
    let mut text = String::new();
    let mut words = Vec::new();
    for _ in 0..int(u, 1, 4) {
        let line: Vec<&'static str> = (0..int(u, 1, 8)).map(|_| *pick(u, WORDS)).collect();
        words.extend(&line);
        text.push_str(&line.join(" "));
        text.push_str("\r\n");
    }
    Body { text, words }
}

#[cfg(test)]
pub(crate) mod tests;
