//! Keeping secrets out of what the tool writes.
//!
//! A session logs in with a password from the targets file, and a transcript records
//! every byte, so the setup of every case file would quote it. Each writer of a case file
//! or a finding passes what it writes through a [`Redactor`] first (reports are made from
//! those files, so they inherit it). Judging always sees the true bytes; only what
//! leaves memory for disk is redacted.
//!
//! What is replaced by [`MARKER`]:
//!
//! - every password of the targets file's users, wherever it occurs: as is (an atom, or
//!   the octets of a literal: RFC 2060 §6.2.2 LOGIN takes `astring`s), inside a quoted
//!   string (with `\"` and `\\` escaped, RFC 2060 §4.3), and in base64 (RFC 2060 §6.2.1
//!   AUTHENTICATE data): the password alone (the LOGIN mechanism), the PLAIN message
//!   `[authzid] NUL user NUL password` (RFC 4616), and any base64 word whose decoding
//!   holds a password;
//! - everything the client sends in an AUTHENTICATE exchange after the mechanism name:
//!   the initial response (RFC 4959 SASL-IR) and each line answering a continuation
//!   request (RFC 2060 §6.2.1), except the `*` that cancels the exchange, and except in
//!   the generated prelude ([`crate::gen::prelude`]), which carries none of the targets
//!   file's credentials and whose broken data a replay must send again as it was.
//!
//! A literal whose octets change keeps a true count: its `{n}` (or `{n+}`) announcement
//! is rewritten, so a redacted case file still parses, and its script still replays.
//! Replay re-does the setup from the targets file (the setup of a case file is never
//! sent again), so a redacted LOGIN costs nothing. The generator's own LOGIN commands
//! carry made-up credentials, never a pool user's; should a password happen to equal one
//! of them, its replay sends the marker in its place, which is still a LOGIN in the wrong
//! state.

use crate::case::race::RaceCase;
use crate::case::Case;
use crate::drive::race::{RaceRecord, RaceTranscript};
use crate::targets::{Credentials, Target};
use crate::wire::Transcript;
use crate::wire::{escape, literal_announcement, strip_eol, Event, Exchange, Fragment, Message};

/// What a secret is replaced by: a valid IMAP atom (RFC 2060 §9 `ATOM-CHAR` allows `<`
/// and `>`), so a redacted command is still a command.
pub const MARKER: &str = "<redacted>";

/// Replaces secrets by [`MARKER`] in transcripts, case files and finding texts.
#[derive(Clone)]
pub struct Redactor {
    /// False with `--keep-secrets`: everything is written as it was.
    on: bool,
    /// The passwords, for the base64 words that decode to something holding one.
    passwords: Vec<Vec<u8>>,
    /// Every form of every password, as bytes on the wire, longest first.
    forms: Vec<Vec<u8>>,
    /// The same forms as they appear in escaped text (findings quote commands and
    /// answers escaped as in case files), longest first.
    text_forms: Vec<Vec<u8>>,
}

/// Shows how many passwords it holds, never the passwords.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("on", &self.on)
            .field("passwords", &self.passwords.len())
            .finish()
    }
}

impl Default for Redactor {
    /// Redacts AUTHENTICATE data; knows no passwords.
    fn default() -> Self {
        Redactor::new(&[])
    }
}

impl Redactor {
    /// Redacts these users' passwords (and AUTHENTICATE data).
    pub fn new(users: &[Credentials]) -> Redactor {
        let mut passwords: Vec<Vec<u8>> = Vec::new();
        let mut forms: Vec<Vec<u8>> = Vec::new();
        for c in users.iter().filter(|c| !c.password.is_empty()) {
            let p = c.password.as_bytes();
            let u = c.user.as_bytes();
            passwords.push(p.to_vec());
            forms.push(p.to_vec());
            forms.push(quoted_inner(p));
            forms.push(base64(p));
            forms.push(base64(&[b"\0", u, b"\0", p].concat()));
            forms.push(base64(&[u, b"\0", u, b"\0", p].concat()));
        }
        let mut text_forms: Vec<Vec<u8>> = forms
            .iter()
            .flat_map(|f| [f.clone(), escape(f).into_bytes()])
            .collect();
        for v in [&mut passwords, &mut forms, &mut text_forms] {
            v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            v.dedup();
        }
        Redactor {
            on: true,
            passwords,
            forms,
            text_forms,
        }
    }

    /// Redacts the passwords of every user of these targets.
    pub fn for_targets(targets: &[Target]) -> Redactor {
        let users: Vec<Credentials> = targets.iter().flat_map(Target::pool).collect();
        Redactor::new(&users)
    }

    /// Redacts nothing (`--keep-secrets`).
    pub fn keep_secrets() -> Redactor {
        Redactor {
            on: false,
            ..Redactor::default()
        }
    }

    /// Redacts `targets`' passwords, or nothing when `keep` is set.
    pub fn choose(targets: &[Target], keep: bool) -> Redactor {
        if keep {
            Redactor::keep_secrets()
        } else {
            Redactor::for_targets(targets)
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Bytes with every password form replaced.
    pub fn bytes(&self, b: &[u8]) -> Vec<u8> {
        if !self.on {
            return b.to_vec();
        }
        // Whole base64 words first, so that one holding a password goes whole.
        replace_all(&self.base64_words(b), &self.forms)
    }

    /// Text (a finding's command, expectation or observation; an error message) with
    /// every password form replaced, escaped or not.
    pub fn text(&self, s: &str) -> String {
        if !self.on {
            return s.to_string();
        }
        let b = replace_all(&self.base64_words(s.as_bytes()), &self.text_forms);
        // Only ASCII was put in for whole forms, and base64 words are ASCII.
        String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }

    /// A finding's command (escaped text): passwords, and an AUTHENTICATE initial
    /// response.
    pub fn command_text(&self, s: &str) -> String {
        let t = self.text(s);
        if !self.on {
            return t;
        }
        let mut line = t.into_bytes();
        redact_initial_response(&mut line);
        String::from_utf8(line).unwrap_or_default()
    }

    pub fn case(&self, c: &Case) -> Case {
        Case {
            header: self.header(&c.header),
            transcript: self.transcript(&c.transcript),
        }
    }

    pub fn race_case(&self, c: &RaceCase) -> RaceCase {
        RaceCase {
            header: self.header(&c.header),
            transcript: self.race_transcript(&c.transcript),
        }
    }

    fn header(&self, h: &[(String, String)]) -> Vec<(String, String)> {
        h.iter().map(|(k, v)| (k.clone(), self.text(v))).collect()
    }

    pub fn transcript(&self, t: &Transcript) -> Transcript {
        if !self.on {
            return t.clone();
        }
        Transcript {
            greeting: t.greeting.as_ref().map(|m| self.server_message(m)),
            setup: t.setup.iter().map(|e| self.exchange(e)).collect(),
            script: t.script.iter().map(|e| self.exchange(e)).collect(),
            end: t.end.clone(),
        }
    }

    pub fn race_transcript(&self, t: &RaceTranscript) -> RaceTranscript {
        if !self.on {
            return t.clone();
        }
        RaceTranscript {
            setup: [self.transcript(&t.setup[0]), self.transcript(&t.setup[1])],
            steps: t
                .steps
                .iter()
                .map(|r| RaceRecord {
                    side: r.side,
                    idle: r.idle.iter().map(|m| self.server_message(m)).collect(),
                    exchange: self.exchange(&r.exchange),
                    overlap: r.overlap,
                })
                .collect(),
            end: t.end.clone(),
        }
    }

    /// One command and its answers. In an AUTHENTICATE exchange the client's data after
    /// the mechanism goes entirely; elsewhere, passwords.
    pub fn exchange(&self, e: &Exchange) -> Exchange {
        if !self.on {
            return e.clone();
        }
        // A generated prelude's exchanges carry no credentials, only cancels and made-up
        // or broken data that a replay must send again as it was; passwords are still
        // replaced wherever they occur.
        let cmd = e.command();
        let authenticate =
            is_authenticate(cmd.first_line()) && !crate::gen::prelude::is_prelude_tag(cmd.tag());
        let mut out = e.clone();
        let mut first_client = true;
        for ev in &mut out.events {
            match ev {
                Event::Client(m) => {
                    if authenticate {
                        for (i, f) in m.fragments.iter_mut().enumerate() {
                            if let Fragment::Line(l) = f {
                                if first_client && i == 0 {
                                    redact_initial_response(l);
                                } else if !first_client {
                                    redact_sasl_line(l);
                                }
                            }
                        }
                    }
                    first_client = false;
                }
                Event::Server(m) => *m = self.server_message(m),
            }
        }
        // The client's fragments in order: a literal's announcement is the line before
        // it, possibly in an earlier event (a synchronizing literal follows `+`).
        let mut client: Vec<&mut Fragment> = out
            .events
            .iter_mut()
            .filter_map(|ev| match ev {
                Event::Client(m) => Some(m.fragments.iter_mut()),
                Event::Server(_) => None,
            })
            .flatten()
            .collect();
        self.fragments(&mut client);
        out
    }

    fn server_message(&self, m: &Message) -> Message {
        let mut m = m.clone();
        let mut frags: Vec<&mut Fragment> = m.fragments.iter_mut().collect();
        self.fragments(&mut frags);
        m
    }

    /// Redacts each fragment; a literal whose length changes gets its announcement (at
    /// the end of the line before it) rewritten.
    fn fragments(&self, frags: &mut [&mut Fragment]) {
        for i in 0..frags.len() {
            match &mut *frags[i] {
                Fragment::Line(l) => *l = self.bytes(l),
                Fragment::Literal(data) => {
                    let before = data.len();
                    *data = self.bytes(data);
                    let after = data.len();
                    if after != before && i > 0 {
                        if let Fragment::Line(l) = &mut *frags[i - 1] {
                            set_announcement(l, after);
                        }
                    }
                }
            }
        }
    }

    /// Replaces each base64 word (at least 8 characters, whole quanta) whose decoding
    /// holds a password.
    fn base64_words(&self, b: &[u8]) -> Vec<u8> {
        if self.passwords.is_empty() {
            return b.to_vec();
        }
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if !is_b64(b[i]) || (i > 0 && is_b64(b[i - 1])) {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let mut j = i;
            while j < b.len() && is_b64(b[j]) {
                j += 1;
            }
            let mut pad = 0;
            while pad < 2 && j < b.len() && b[j] == b'=' {
                j += 1;
                pad += 1;
            }
            let word = &b[i..j];
            let secret = word.len() >= 8
                && decode_base64(word).is_some_and(|d| {
                    self.passwords
                        .iter()
                        .any(|p| d.windows(p.len()).any(|w| w == p.as_slice()))
                });
            if secret {
                out.extend_from_slice(MARKER.as_bytes());
            } else {
                out.extend_from_slice(word);
            }
            i = j;
        }
        out
    }
}

/// Every occurrence of any of `forms` (longest first) replaced by the marker.
fn replace_all(b: &[u8], forms: &[Vec<u8>]) -> Vec<u8> {
    if forms.is_empty() {
        return b.to_vec();
    }
    let mut first = [false; 256];
    for f in forms {
        if let Some(&c) = f.first() {
            first[c as usize] = true;
        }
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if first[b[i] as usize] {
            if let Some(f) = forms.iter().find(|f| b[i..].starts_with(f)) {
                out.extend_from_slice(MARKER.as_bytes());
                i += f.len();
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The octets of a quoted string holding `p` (RFC 2060 §4.3: `\` and `"` escaped).
fn quoted_inner(p: &[u8]) -> Vec<u8> {
    let mut q = Vec::with_capacity(p.len());
    for &c in p {
        if c == b'"' || c == b'\\' {
            q.push(b'\\');
        }
        q.push(c);
    }
    q
}

/// Whether a command line is `tag AUTHENTICATE ...` (RFC 2060 §6.2.1).
fn is_authenticate(line: &[u8]) -> bool {
    line.split(|&c| c == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"AUTHENTICATE"))
}

/// `tag AUTHENTICATE mechanism initial-response` (RFC 4959): the initial response goes
/// (all but `=`, the empty one). Lines that are not AUTHENTICATE commands are left alone.
fn redact_initial_response(line: &mut Vec<u8>) {
    let body = strip_eol(line);
    if !is_authenticate(body) {
        return;
    }
    let mut spaces = body
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b' ')
        .map(|(i, _)| i);
    let Some(third) = spaces.nth(2) else {
        return;
    };
    let rest = &body[third + 1..];
    if rest.is_empty() || rest == b"=" || rest == MARKER.as_bytes() {
        return;
    }
    let eol = line[body.len()..].to_vec();
    line.truncate(third + 1);
    line.extend_from_slice(MARKER.as_bytes());
    line.extend_from_slice(&eol);
}

/// A client line answering a continuation request in an AUTHENTICATE exchange: SASL
/// data, redacted unless it is the `*` that cancels (RFC 2060 §6.2.1) or empty.
fn redact_sasl_line(line: &mut Vec<u8>) {
    let body = strip_eol(line);
    if body.is_empty() || body == b"*" {
        return;
    }
    let eol = line[body.len()..].to_vec();
    line.clear();
    line.extend_from_slice(MARKER.as_bytes());
    line.extend_from_slice(&eol);
}

/// Rewrites the count of the literal announced at the end of `line` (`{n}` or `{n+}`).
fn set_announcement(line: &mut Vec<u8>, n: usize) {
    let body_len = strip_eol(line).len();
    if literal_announcement(line).is_none() {
        return;
    }
    let body = &line[..body_len];
    let Some(open) = body.iter().rposition(|&c| c == b'{') else {
        return;
    };
    let plus = body.ends_with(b"+}");
    let mut new = line[..open].to_vec();
    new.extend_from_slice(format!("{{{n}{}}}", if plus { "+" } else { "" }).as_bytes());
    new.extend_from_slice(&line[body_len..]);
    *line = new;
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// RFC 4648 §4 base64, padded (the form RFC 3501 §9 `base64` and SASL use).
fn base64(data: &[u8]) -> Vec<u8> {
    crate::model::sasl::encode_base64(data).into_bytes()
}

/// RFC 4648 §4 base64 of whole quanta (padding optional at the end); `None` if `word`
/// is not base64.
fn decode_base64(word: &[u8]) -> Option<Vec<u8>> {
    let body = word.strip_suffix(b"==").or_else(|| word.strip_suffix(b"="));
    let body = body.unwrap_or(word);
    if body.len() % 4 == 1 || (body.len() != word.len() && word.len() % 4 != 0) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in body {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::End;

    fn users() -> Vec<Credentials> {
        vec![
            Credentials {
                user: "u1".into(),
                password: "S3cret-pw".into(),
            },
            Credentials {
                user: "u2".into(),
                password: "p\"w\\d x".into(),
            },
            Credentials {
                user: "u3".into(),
                password: "p\u{e4}sswort".into(),
            },
        ]
    }

    fn r() -> Redactor {
        Redactor::new(&users())
    }

    fn client(fragments: Vec<Fragment>) -> Event {
        Event::Client(Message { fragments })
    }

    fn line(s: &[u8]) -> Fragment {
        Fragment::Line(s.to_vec())
    }

    fn lit(s: &[u8]) -> Fragment {
        Fragment::Literal(s.to_vec())
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn base64_follows_rfc_4648() {
        assert_eq!(base64(b""), b"");
        assert_eq!(base64(b"f"), b"Zg==");
        assert_eq!(base64(b"fo"), b"Zm8=");
        assert_eq!(base64(b"foobar"), b"Zm9vYmFy");
        assert_eq!(decode_base64(b"Zm9vYg==").unwrap(), b"foob");
        assert_eq!(decode_base64(b"Zm9vYg").unwrap(), b"foob");
        assert!(decode_base64(b"Zm9v!").is_none());
    }

    #[test]
    fn a_password_as_an_atom_is_replaced() {
        let out = r().bytes(b"s1 LOGIN u1 S3cret-pw\r\n");
        assert_eq!(out, b"s1 LOGIN u1 <redacted>\r\n");
    }

    #[test]
    fn a_password_in_a_quoted_string_is_replaced_with_its_escapes() {
        let out = r().bytes(b"s1 LOGIN u2 \"p\\\"w\\\\d x\"\r\n");
        assert_eq!(out, b"s1 LOGIN u2 \"<redacted>\"\r\n");
    }

    #[test]
    fn a_password_in_a_literal_is_replaced_and_the_count_follows() {
        let pw = "p\u{e4}sswort".as_bytes();
        let e = Exchange {
            events: vec![
                client(vec![line(b"s1 LOGIN u3 {9}\r\n")]),
                Event::Server(Message::line("+ go")),
                client(vec![lit(pw), line(b"\r\n")]),
                Event::Server(Message::line("s1 OK")),
            ],
        };
        let out = r().exchange(&e);
        assert_eq!(
            out.command().to_bytes(),
            b"s1 LOGIN u3 {10}\r\n<redacted>\r\n"
        );
        // Non-synchronizing, in one message.
        let e = Exchange {
            events: vec![client(vec![
                line(b"s1 LOGIN u3 {9+}\r\n"),
                lit(pw),
                line(b"\r\n"),
            ])],
        };
        assert_eq!(
            r().exchange(&e).command().to_bytes(),
            b"s1 LOGIN u3 {10+}\r\n<redacted>\r\n"
        );
        // The case file of it parses back, with the right count.
        let case = Case {
            header: vec![],
            transcript: Transcript {
                greeting: None,
                setup: vec![out],
                script: vec![],
                end: End::Completed,
            },
        };
        let back = Case::parse(&case.to_text()).unwrap();
        assert_eq!(back.transcript, case.transcript);
    }

    #[test]
    fn base64_forms_of_a_password_are_replaced() {
        let r = r();
        for payload in [
            base64(b"S3cret-pw"),
            base64(b"\0u1\0S3cret-pw"),
            base64(b"u1\0u1\0S3cret-pw"),
            base64(b"admin\0u1\0S3cret-pw"),
        ] {
            let mut text = b"* NO echo ".to_vec();
            text.extend_from_slice(&payload);
            text.extend_from_slice(b" done\r\n");
            let out = r.bytes(&text);
            assert_eq!(out, b"* NO echo <redacted> done\r\n", "{payload:?}");
        }
        // Base64 words that hold no password stay.
        assert_eq!(r.bytes(b"a1 FETCH 1 BODY[]\r\n"), b"a1 FETCH 1 BODY[]\r\n");
        assert_eq!(
            r.bytes(b"* OK aW1hcGNvbmZvcm0=\r\n"),
            b"* OK aW1hcGNvbmZvcm0=\r\n"
        );
    }

    #[test]
    fn authenticate_data_is_replaced_but_the_cancel_stays() {
        let e = Exchange {
            events: vec![
                client(vec![line(b"a1 AUTHENTICATE PLAIN\r\n")]),
                Event::Server(Message::line("+ ")),
                client(vec![line(b"AHNvbWVvbmUAb3RoZXI=\r\n")]),
                Event::Server(Message::line("+ ")),
                client(vec![line(b"*\r\n")]),
                Event::Server(Message::line("a1 BAD cancelled")),
            ],
        };
        let out = Redactor::default().exchange(&e);
        let sent: Vec<Vec<u8>> = out
            .events
            .iter()
            .filter_map(|ev| match ev {
                Event::Client(m) => Some(m.to_bytes()),
                Event::Server(_) => None,
            })
            .collect();
        assert_eq!(
            sent,
            vec![
                b"a1 AUTHENTICATE PLAIN\r\n".to_vec(),
                b"<redacted>\r\n".to_vec(),
                b"*\r\n".to_vec()
            ]
        );
    }

    /// The driver's logins by AUTHENTICATE (`auth = "plain"` / `"sasl-login"`), recorded
    /// as the driver records them (each answer after a continuation request): nothing of
    /// the password, nor the user's PLAIN message, is left.
    #[test]
    fn the_driver_s_authenticate_logins_are_redacted() {
        use crate::drive::auth::{login_message, LoginStep};
        use crate::drive::waits_for_continuation;
        for c in users() {
            for step in [
                LoginStep::Plain { initial: true },
                LoginStep::Plain { initial: false },
                LoginStep::SaslLogin,
            ] {
                let m = login_message(step, "s1", &c);
                let mut events = Vec::new();
                let mut chunk = Vec::new();
                for (i, f) in m.fragments.iter().enumerate() {
                    if i > 0 && waits_for_continuation(&m.fragments[i - 1], f) {
                        events.push(client(std::mem::take(&mut chunk)));
                        events.push(Event::Server(Message::line("+ ")));
                    }
                    chunk.push(f.clone());
                }
                events.push(client(chunk));
                events.push(Event::Server(Message::line("s1 OK done")));
                let e = Exchange { events };
                let mut case = Case {
                    header: vec![],
                    transcript: Transcript::default(),
                };
                case.transcript.setup.push(e);
                let text = r().case(&case).to_text();
                let pw = c.password.as_bytes();
                let forms = [
                    pw.to_vec(),
                    base64(pw),
                    base64(&crate::model::sasl::plain_response(&c.user, &c.password)),
                ];
                for f in &forms {
                    assert!(
                        !contains(text.as_bytes(), f),
                        "{step:?} {:?} in {text}",
                        String::from_utf8_lossy(f)
                    );
                }
                assert!(text.contains("<redacted>"), "{text}");
                // Redacted, it still reads back as the same exchange shape.
                let back = Case::parse(&text).unwrap();
                assert_eq!(
                    back.transcript.setup[0].events.len(),
                    case.transcript.setup[0].events.len()
                );
            }
        }
    }

    /// A generated prelude carries no credentials: its broken data stays as sent, so that
    /// a replay sends it again.
    #[test]
    fn a_prelude_exchange_stays_as_it_was() {
        let e = Exchange {
            events: vec![
                client(vec![line(b"p1 AUTHENTICATE PLAIN\r\n")]),
                Event::Server(Message::line("+ ")),
                client(vec![line(b"AGlt*YXBj\r\n")]),
                Event::Server(Message::line("p1 BAD invalid")),
            ],
        };
        assert_eq!(r().exchange(&e), e);
        let ir = Exchange::from_lines("p2 AUTHENTICATE LOGIN AGltYXBj=", &["p2 BAD no"]);
        assert_eq!(r().exchange(&ir), ir);
    }

    #[test]
    fn a_sasl_initial_response_is_replaced() {
        let e = Exchange::from_lines("a1 AUTHENTICATE PLAIN AHUxAGFueXRoaW5n", &["a1 NO"]);
        let out = Redactor::default().exchange(&e);
        assert_eq!(
            out.command().to_bytes(),
            b"a1 AUTHENTICATE PLAIN <redacted>\r\n"
        );
        let empty = Exchange::from_lines("a1 AUTHENTICATE PLAIN =", &["a1 NO"]);
        assert_eq!(Redactor::default().exchange(&empty), empty);
        assert_eq!(
            Redactor::default().command_text("a1 AUTHENTICATE LOGIN dTE=\\r\\n"),
            "a1 AUTHENTICATE LOGIN <redacted>"
        );
    }

    #[test]
    fn text_is_redacted_in_escaped_form_too() {
        let r = r();
        assert_eq!(
            r.text("s1 LOGIN u3 {9}\\r\\np\\xC3\\xA4sswort\\r\\n"),
            "s1 LOGIN u3 {9}\\r\\n<redacted>\\r\\n"
        );
        assert_eq!(r.text("said S3cret-pw"), "said <redacted>");
        let escaped_quoted = escape(b"\"p\\\"w\\\\d x\"");
        assert_eq!(r.text(&escaped_quoted), "\"<redacted>\"");
    }

    #[test]
    fn its_debug_form_shows_no_password() {
        let shown = format!("{:?}", r());
        assert!(!shown.contains("S3cret"), "{shown}");
        assert!(shown.contains("passwords: 3"), "{shown}");
    }

    #[test]
    fn keep_secrets_changes_nothing() {
        let k = Redactor::keep_secrets();
        assert!(!k.is_on());
        let e = Exchange::from_lines("s1 LOGIN u1 S3cret-pw", &["s1 OK"]);
        assert_eq!(k.exchange(&e), e);
        assert_eq!(k.text("S3cret-pw"), "S3cret-pw");
        let t = Transcript {
            setup: vec![e],
            ..Transcript::default()
        };
        assert_eq!(k.transcript(&t), t);
        assert!(contains(
            &r().transcript(&t).setup[0].command().to_bytes(),
            MARKER.as_bytes()
        ));
    }

    #[test]
    fn the_targets_files_users_are_the_secrets() {
        let t = crate::targets::TargetsFile::parse(
            "[[target]]\nname = \"a\"\naddress = \"h:1\"\nuser = \"u\"\npassword = \"one-pw\"\nusers = [{ user = \"v\", password = \"two-pw\" }]\n",
        )
        .unwrap();
        let r = Redactor::for_targets(&t.targets);
        assert_eq!(r.text("one-pw two-pw"), "<redacted> <redacted>");
        assert_eq!(Redactor::choose(&t.targets, true).text("one-pw"), "one-pw");
    }
}
