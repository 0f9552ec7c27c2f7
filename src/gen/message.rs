//! Small, real RFC 822 messages for APPEND, and the facts SEARCH can look for in them.
//!
//! RFC 2060 §6.3.11: "The message literal argument ... SHOULD be in the format of an
//! [RFC-822] message." Every message here has From, To, Subject, Date and Message-ID
//! headers, CRLF line ends, no NUL and 7-bit content; some are MIME multipart/mixed with
//! two parts (RFC 2046 §5.1.3), so BODYSTRUCTURE and part sections have something to show.

use arbitrary::Unstructured;

use super::entropy::{chance, int, pick};

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

/// RFC 2060 §9 `date_month`.
pub const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const WEEKDAYS: &[&str] = &["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A calendar day and a time of day, with a zone offset in minutes east of UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub zone_minutes: i32,
}

impl Moment {
    /// A moment between 1995 and 2025 (day 1..=28, so every month has it).
    pub fn draw(u: &mut Unstructured) -> Moment {
        const ZONES: &[i32] = &[0, 60, -300, -480, 330, 540, -210];
        Moment {
            year: int(u, 1995, 2025),
            month: int(u, 1, 12),
            day: int(u, 1, 28),
            hour: int(u, 0, 23),
            minute: int(u, 0, 59),
            second: int(u, 0, 59),
            zone_minutes: *pick(u, ZONES),
        }
    }

    fn zone(&self) -> String {
        let sign = if self.zone_minutes < 0 { '-' } else { '+' };
        let m = self.zone_minutes.unsigned_abs();
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    }

    fn month_name(&self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    /// Day of the week, 0 = Sunday (Sakamoto's method, Gregorian calendar).
    fn weekday(&self) -> usize {
        const T: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        ((y + y / 4 - y / 100 + y / 400 + T[(self.month - 1) as usize] + self.day) % 7) as usize
    }

    /// RFC 822 §5.1 `date-time`, with the four-digit year of RFC 1123 §5.2.14:
    /// `Thu, 7 Feb 2019 21:52:25 -0800`.
    pub fn rfc822(&self) -> String {
        format!(
            "{}, {} {} {} {:02}:{:02}:{:02} {}",
            WEEKDAYS[self.weekday()],
            self.day,
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.zone()
        )
    }

    /// RFC 2060 §9 `date_text ::= date_day "-" date_month "-" date_year` (for SEARCH).
    pub fn search_date(&self) -> String {
        format!("{}-{}-{}", self.day, self.month_name(), self.year)
    }

    /// RFC 2060 §9 `date_time ::= <"> date_day_fixed "-" date_month "-" date_year SPACE
    /// time SPACE zone <">` (for APPEND), without the quotes. `fixed_width_day` picks
    /// between the two-digit and the space-padded day.
    pub fn internal_date(&self, space_padded_day: bool) -> String {
        let day = if space_padded_day && self.day < 10 {
            format!(" {}", self.day)
        } else {
            format!("{:02}", self.day)
        };
        format!(
            "{day}-{}-{} {:02}:{:02}:{:02} {}",
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.zone()
        )
    }
}

/// What the session knows about a message it appended, for building SEARCH keys that
/// can match.
#[derive(Clone, Debug)]
pub struct MessageFacts {
    pub from: &'static str,
    pub to: &'static str,
    pub cc: Option<&'static str>,
    pub subject: String,
    pub body_word: &'static str,
    pub sent: Moment,
    /// RFC 2060 §2.3.3 internal date, when APPEND gave one (otherwise the server's clock).
    pub internal: Option<Moment>,
    pub size: usize,
    pub multipart: bool,
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
    let subject_words = int(u, 1, 4);
    let subject: Vec<&str> = (0..subject_words).map(|_| *pick(u, WORDS)).collect();
    let subject = subject.join(" ");
    let sent = Moment::draw(u);
    let body = draw_body(u);
    let body_word = *pick(u, &body.words);
    let multipart = chance(u, 1, 3);

    let mut text = String::with_capacity(512);
    text.push_str(&format!("From: {} <{}>\r\n", from.0, from.1));
    text.push_str(&format!("To: {} <{}>\r\n", to.0, to.1));
    if let Some(cc) = cc {
        text.push_str(&format!("Cc: {}\r\n", cc.1));
    }
    text.push_str(&format!("Subject: {subject}\r\n"));
    text.push_str(&format!("Date: {}\r\n", sent.rfc822()));
    text.push_str(&format!(
        "Message-ID: <{}.{}.{}@imapconform.example>\r\n",
        session.0, session.1, serial
    ));
    if chance(u, 1, 5) {
        text.push_str(&format!("X-Imapconform-Serial: {serial}\r\n"));
    }
    if multipart {
        push_multipart(u, &mut text, &body.text, serial);
    } else {
        text.push_str("\r\n");
        text.push_str(&body.text);
    }
    let bytes = text.into_bytes();
    MailMessage {
        facts: MessageFacts {
            from: from.1,
            to: to.1,
            cc: cc.map(|c| c.1),
            subject,
            body_word,
            sent,
            internal: None,
            size: bytes.len(),
            multipart,
        },
        bytes,
    }
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

/// RFC 2046 §5.1.3 multipart/mixed with a text part and a base64 attachment.
fn push_multipart(u: &mut Unstructured, text: &mut String, body: &str, serial: u32) {
    let boundary = format!("=_imapconform_{serial}");
    text.push_str("MIME-Version: 1.0\r\n");
    text.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    text.push_str("This is a multi-part message in MIME format.\r\n");
    text.push_str(&format!("--{boundary}\r\n"));
    text.push_str("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    text.push_str(body);
    text.push_str(&format!("--{boundary}\r\n"));
    let attachment: Vec<&str> = (0..int(u, 1, 6)).map(|_| *pick(u, WORDS)).collect();
    let choice = int(u, 0, 5);
    if choice == 4 {
        // RFC 2045 §6.8 base64 text: RFC 2060 §6.4.4 SEARCH in a CHARSET other than
        // US-ASCII must decode it before comparing.
        text.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        text.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        text.push_str(&base64(attachment.join(" ").as_bytes()));
        text.push_str("\r\n");
    } else if choice == 5 {
        // RFC 2045 §6.7 quoted-printable text, every space encoded.
        text.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        text.push_str("Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        text.push_str(&attachment.join("=20"));
        text.push_str("\r\n");
    } else if choice < 2 {
        text.push_str("Content-Type: application/octet-stream; name=\"notes.bin\"\r\n");
        text.push_str("Content-Disposition: attachment; filename=\"notes.bin\"\r\n");
        text.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        text.push_str(&base64(attachment.join(" ").as_bytes()));
        text.push_str("\r\n");
    } else {
        text.push_str("Content-Type: text/plain; charset=us-ascii; name=\"notes.txt\"\r\n");
        text.push_str("Content-Disposition: inline\r\n\r\n");
        text.push_str(&attachment.join(" "));
        text.push_str("\r\n");
    }
    text.push_str(&format!("--{boundary}--\r\n"));
}

/// RFC 2045 §6.8 base64 (short inputs only: no line breaking needed below 57 octets,
/// and longer inputs are wrapped at 76 characters).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::entropy::SplitMix64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn weekdays_and_dates_are_right() {
        let m = Moment {
            year: 1994,
            month: 2,
            day: 7,
            hour: 21,
            minute: 52,
            second: 25,
            zone_minutes: -480,
        };
        assert_eq!(m.rfc822(), "Mon, 7 Feb 1994 21:52:25 -0800");
        assert_eq!(m.search_date(), "7-Feb-1994");
        assert_eq!(m.internal_date(true), " 7-Feb-1994 21:52:25 -0800");
        assert_eq!(m.internal_date(false), "07-Feb-1994 21:52:25 -0800");
    }

    #[test]
    fn messages_are_crlf_7bit_and_have_the_required_headers() {
        let mut bytes = vec![0u8; 4096];
        for i in 0..50 {
            SplitMix64::for_session(3, i).fill(&mut bytes);
            let mut u = Unstructured::new(&bytes);
            let m = draw_message(&mut u, (3, i), 1);
            let text = std::str::from_utf8(&m.bytes).unwrap();
            assert!(text.is_ascii() && !text.contains('\0'));
            assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "{text}");
            for h in ["From: ", "To: ", "Subject: ", "Date: ", "Message-ID: "] {
                assert!(text.contains(h), "{h} missing in {text}");
            }
            assert!(text.contains(m.facts.body_word));
            assert_eq!(m.facts.size, m.bytes.len());
        }
    }
}
