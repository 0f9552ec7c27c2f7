//! The reference server: the RFC 2060 model ([`crate::model`]) served over TCP.
//!
//! [`Connection`] is one client connection as a pure byte machine (bytes in, bytes out), so
//! tests and fuzz targets drive it without sockets; [`serve`] puts it behind a tokio
//! listener with one shared [`Store`] for all connections.

pub mod loopback;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use imap_codec::decode::{CommandDecodeError, Decoder};
use imap_codec::CommandCodec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::model::sasl::{authenticate_line, encode_base64, AuthStep, Authentication};
use crate::model::session::{Session, State, Store};
use crate::model::Profile;

/// Bounds on what one client may send, so a hostile client cannot exhaust memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest command line (without literals).
    pub max_line: usize,
    /// Largest literal.
    pub max_literal: usize,
    /// Largest command, literals included.
    pub max_command: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_literal: 32 * 1024 * 1024,
            max_command: 48 * 1024 * 1024,
        }
    }
}

/// The current time as a fixed-offset date (UTC), without chrono's clock feature.
pub fn now() -> DateTime<FixedOffset> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .fixed_offset()
}

/// What the server does after some input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub bytes: Vec<u8>,
    /// The server closes the connection after sending `bytes`.
    pub close: bool,
}

/// One client connection: frames commands (lines and synchronizing literals, RFC 2060
/// §4.3 and §7.5), decodes them strictly, and runs them on the model.
pub struct Connection {
    pub session: Session,
    limits: Limits,
    /// Bytes received and not yet part of a complete command.
    buf: Vec<u8>,
    /// How many bytes at the start of `buf` are known to hold no CRLF, so that a line
    /// arriving a byte at a time is scanned once, not once per byte.
    scanned: usize,
    /// The command assembled so far (complete lines and literals).
    command: Vec<u8>,
    /// Bytes of literal data still expected.
    literal_left: usize,
    /// An AUTHENTICATE exchange waiting for the client's next answer (RFC 2060 §6.2.1):
    /// the command's tag and the exchange.
    authenticating: Option<(Vec<u8>, Authentication)>,
}

impl Connection {
    /// A new connection and its greeting (RFC 2060 §7.1.1).
    pub fn open(profile: Profile, now: DateTime<FixedOffset>, limits: Limits) -> (Self, Vec<u8>) {
        let session = Session::new(profile, now);
        let mut greeting = Vec::new();
        greeting.extend_from_slice(b"* OK [CAPABILITY ");
        greeting.extend_from_slice(session.capabilities().join(" ").as_bytes());
        greeting.extend_from_slice(b"] imapconform reference server ready\r\n");
        (
            Connection {
                session,
                limits,
                buf: Vec::new(),
                scanned: 0,
                command: Vec::new(),
                literal_left: 0,
                authenticating: None,
            },
            greeting,
        )
    }

    /// Feeds received bytes; returns what to send back.
    pub fn feed(&mut self, store: &Mutex<Store>, input: &[u8]) -> Output {
        self.buf.extend_from_slice(input);
        let mut out = Output::default();
        loop {
            if self.literal_left > 0 {
                let take = self.literal_left.min(self.buf.len());
                if take == 0 {
                    return out;
                }
                self.command.extend(self.buf.drain(..take));
                self.literal_left -= take;
                self.scanned = 0;
                continue;
            }
            // A CRLF may straddle the scanned part and what arrived since.
            let from = self.scanned.saturating_sub(1);
            let Some(end) = self.buf[from..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .map(|i| from + i)
            else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.limits.max_line {
                    out.bytes
                        .extend_from_slice(b"* BYE command line too long\r\n");
                    out.close = true;
                }
                return out;
            };
            let line: Vec<u8> = self.buf.drain(..end + 2).collect();
            self.scanned = 0;
            if line.len() > self.limits.max_line {
                out.bytes
                    .extend_from_slice(b"* BYE command line too long\r\n");
                out.close = true;
                return out;
            }
            if let Some((tag, mut auth)) = self.authenticating.take() {
                // RFC 2060 §6.2.1: "The client answer consists of a line consisting of a
                // BASE64 encoded string", or "*" to cancel.
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                let step = self.session.authenticate_answer(
                    &mut store,
                    &mut auth,
                    &line[..line.len() - 2],
                );
                self.authentication_step(tag, auth, step, &mut out.bytes);
                continue;
            }
            self.command.extend_from_slice(&line);
            if self.command.len() > self.limits.max_command {
                out.bytes.extend_from_slice(b"* BYE command too long\r\n");
                out.close = true;
                return out;
            }
            // RFC 2060 §4.3 literals only: `{n+}` (RFC 2088 LITERAL+, not advertised) is
            // no literal here, so the line is a command with a syntax error, and whatever
            // the client sends next is read as the next command.
            if let Some((n, false)) = literal_announcement(&line[..line.len() - 2]) {
                if n > self.limits.max_literal || self.command.len() + n > self.limits.max_command {
                    let tag = tag_of(&self.command);
                    self.command.clear();
                    out.bytes.extend_from_slice(&tag);
                    out.bytes.extend_from_slice(b" BAD literal too large\r\n");
                    continue;
                }
                // RFC 2060 §7.5: the command continuation request.
                out.bytes.extend_from_slice(b"+ Ready for literal data\r\n");
                self.literal_left = n;
                continue;
            }
            let command = std::mem::take(&mut self.command);
            if command == line {
                if let Some(a) = authenticate_line(&line[..line.len() - 2]) {
                    let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                    let (step, auth) =
                        self.session
                            .authenticate(&mut store, &a.mechanism, a.initial.as_deref());
                    self.authentication_step(a.tag, auth, step, &mut out.bytes);
                    continue;
                }
            }
            let closed = self.run(store, &command, &mut out.bytes);
            if closed {
                out.close = true;
                return out;
            }
        }
    }

    /// Sends an AUTHENTICATE step: a challenge (RFC 2060 §6.2.1 "a command continuation
    /// request response with the "+" token followed by a BASE64 encoded string"), after
    /// which the next line is the client's answer, or the tagged reply.
    fn authentication_step(
        &mut self,
        tag: Vec<u8>,
        auth: Authentication,
        step: AuthStep,
        out: &mut Vec<u8>,
    ) {
        match step {
            AuthStep::Challenge(data) => {
                out.extend_from_slice(b"+ ");
                out.extend_from_slice(encode_base64(&data).as_bytes());
                out.extend_from_slice(b"\r\n");
                self.authenticating = Some((tag, auth));
            }
            AuthStep::Done(reply) => reply.write(&tag, out),
        }
    }

    /// Runs one complete command; true when the connection ends.
    fn run(&mut self, store: &Mutex<Store>, command: &[u8], out: &mut Vec<u8>) -> bool {
        match CommandCodec::default().decode(command) {
            Ok((b"", cmd)) => {
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                let reply = self.session.execute(&mut store, &cmd.body);
                reply.write(cmd.tag.as_ref().as_bytes(), out);
                self.session.state == State::Logout
            }
            Ok(_) | Err(CommandDecodeError::Failed) | Err(CommandDecodeError::Incomplete) => {
                let tag = tag_of(command);
                out.extend_from_slice(&tag);
                out.extend_from_slice(b" BAD command syntax error\r\n");
                false
            }
            Err(CommandDecodeError::LiteralFound { .. }) => {
                // Cannot happen for a complete command; answer as a syntax error.
                let tag = tag_of(command);
                out.extend_from_slice(&tag);
                out.extend_from_slice(b" BAD command syntax error\r\n");
                false
            }
        }
    }
}

/// `{n}` or `{n+}` at the end of a line (RFC 2060 §4.3; `+` is LITERAL+, RFC 2088, which
/// the reference server neither advertises nor accepts), and whether it has the `+`.
fn literal_announcement(line: &[u8]) -> Option<(usize, bool)> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let inner = &body[open + 1..];
    let (digits, plus) = match inner.strip_suffix(b"+") {
        Some(d) => (d, true),
        None => (inner, false),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((usize::try_from(n).ok()?, plus))
}

/// The tag of a command that did not decode, or `*` when there is none (RFC 2060 §7.1.3:
/// "If the error cannot be associated with a specific command, the tag is "*"").
fn tag_of(command: &[u8]) -> Vec<u8> {
    let tag: Vec<u8> = command
        .iter()
        .take_while(|&&b| {
            b > 0x20
                && b < 0x7f
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b'+')
        })
        .copied()
        .collect();
    if tag.is_empty() || command.get(tag.len()) != Some(&b' ') {
        b"*".to_vec()
    } else {
        tag
    }
}

/// Options of `imapconform serve`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub users: Vec<(String, String)>,
    pub profile: Profile,
    pub delimiter: u8,
    pub limits: Limits,
}

/// Serves the model until the process ends. Every connection shares one store.
pub async fn serve(
    opts: ServeOptions,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr()?;
    if let Some(tx) = ready {
        let _ = tx.send(addr);
    }
    let store = Arc::new(Mutex::new(
        Store::with_users(opts.delimiter, &opts.users).first_uid_validity(uid_validity_now()),
    ));
    loop {
        let (mut socket, _) = listener.accept().await?;
        let store = store.clone();
        let profile = opts.profile;
        let limits = opts.limits;
        tokio::spawn(async move {
            let (mut conn, greeting) = Connection::open(profile, now(), limits);
            if socket.write_all(&greeting).await.is_err() {
                return;
            }
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                conn.session.now = now();
                let out = conn.feed(&store, &buf[..n]);
                if !out.bytes.is_empty() && socket.write_all(&out.bytes).await.is_err() {
                    return;
                }
                if out.close {
                    let _ = socket.shutdown().await;
                    return;
                }
            }
        });
    }
}

/// A first UIDVALIDITY from the clock (RFC 2060 §2.3.1.1 suggests "a 32-bit
/// representation of the creation date/time of the mailbox"), as real servers choose.
fn uid_validity_now() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1);
    (secs as u32).max(1)
}

/// Serves one session on standard input and output (a `spawn` target: every session a
/// fresh store, so no reset is needed).
pub async fn serve_stdio(
    users: Vec<(String, String)>,
    profile: Profile,
    delimiter: u8,
    limits: Limits,
) -> anyhow::Result<()> {
    let store =
        Mutex::new(Store::with_users(delimiter, &users).first_uid_validity(uid_validity_now()));
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    let (mut conn, greeting) = Connection::open(profile, now(), limits);
    stdout.write_all(&greeting).await?;
    stdout.flush().await?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stdin.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.session.now = now();
        let out = conn.feed(&store, &buf[..n]);
        stdout.write_all(&out.bytes).await?;
        stdout.flush().await?;
        if out.close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> (Connection, Mutex<Store>) {
        let store = Mutex::new(Store::with_users(b'.', &[("u1".into(), "pw".into())]));
        let (c, greeting) = Connection::open(Profile::Rfc2060, now(), Limits::default());
        assert!(greeting.starts_with(b"* OK "));
        (c, store)
    }

    fn talk(c: &mut Connection, s: &Mutex<Store>, input: &str) -> String {
        String::from_utf8(c.feed(s, input.as_bytes()).bytes).unwrap()
    }

    #[test]
    fn a_synchronizing_literal_gets_a_continuation_request_rfc2060_7_5() {
        let (mut c, s) = server();
        assert_eq!(
            talk(&mut c, &s, "a LOGIN {2}\r\n"),
            "+ Ready for literal data\r\n"
        );
        assert_eq!(talk(&mut c, &s, "u1 pw\r\n"), "a OK LOGIN completed\r\n");
    }

    #[test]
    fn an_undecodable_command_gets_bad_with_its_tag_rfc2060_7_1_3() {
        let (mut c, s) = server();
        assert_eq!(
            talk(&mut c, &s, "x1 FROB\r\n"),
            "x1 BAD command syntax error\r\n"
        );
        assert_eq!(talk(&mut c, &s, "\r\n"), "* BAD command syntax error\r\n");
    }

    #[test]
    fn a_command_in_the_wrong_state_is_refused_rfc2060_3() {
        let (mut c, s) = server();
        assert!(talk(&mut c, &s, "a SELECT INBOX\r\n").starts_with("a BAD "));
    }

    #[test]
    fn an_endless_line_is_cut_off() {
        let (mut c, s) = server();
        let out = c.feed(&s, &vec![b'a'; 70 * 1024]);
        assert!(out.close);
    }

    /// Found by the `serve` fuzz target (its inputs ran slowly when fed a byte at a
    /// time): every byte of a line made `feed` scan the whole line again for CRLF, so a
    /// client dripping a long line cost time quadratic in its length.
    #[test]
    fn a_line_sent_a_byte_at_a_time_is_scanned_once() {
        let (mut c, s) = server();
        let line = format!("a1 NOOP{}\r\n", " ".repeat(60 * 1024));
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        for b in line.as_bytes() {
            out.extend(c.feed(&s, std::slice::from_ref(b)).bytes);
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a1 BAD command syntax error\r\n"
        );
        assert_eq!(c.scanned, 0);
        // Rescanning would be ~1.8e9 comparisons (seconds); one scan is ~60e3.
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        // A CRLF split over two reads is still found.
        assert_eq!(c.feed(&s, b"b1 NOOP\r").bytes, b"");
        assert_eq!(c.feed(&s, b"\n").bytes, b"b1 OK done\r\n");
    }

    #[test]
    fn a_huge_literal_is_refused_without_allocating_it() {
        let (mut c, s) = server();
        let out = talk(&mut c, &s, "a LOGIN {4294967295}\r\n");
        assert_eq!(out, "a BAD literal too large\r\n");
        assert_eq!(talk(&mut c, &s, "b NOOP\r\n"), "b OK done\r\n");
    }

    /// RFC 2088 LITERAL+ is not advertised: `{n+}` is a syntax error, and the octets
    /// after the line are the next command.
    #[test]
    fn a_non_synchronizing_literal_is_not_read_as_one() {
        let (mut c, s) = server();
        assert_eq!(
            talk(&mut c, &s, "m1 LIST \"\" {8+}\r\nm1z NOOP\r\n"),
            "m1 BAD command syntax error\r\nm1z OK done\r\n"
        );
        let (_, greeting) = Connection::open(Profile::Rfc2060, now(), Limits::default());
        assert!(!String::from_utf8_lossy(&greeting).contains("LITERAL+"));
    }

    #[test]
    fn the_greeting_advertises_auth_plain_auth_login_and_sasl_ir() {
        let (_, greeting) = Connection::open(Profile::Rfc3501, now(), Limits::default());
        let g = String::from_utf8(greeting).unwrap();
        for cap in [" AUTH=PLAIN", " AUTH=LOGIN", " SASL-IR"] {
            assert!(g.contains(cap), "{g}");
        }
    }

    #[test]
    fn authenticate_plain_with_initial_response_or_a_challenge_rfc4959_rfc2060_6_2_1() {
        let (mut c, s) = server();
        assert_eq!(
            talk(&mut c, &s, "a AUTHENTICATE PLAIN AHUxAHB3\r\n"),
            "a OK AUTHENTICATE completed\r\n"
        );
        assert!(talk(&mut c, &s, "b SELECT INBOX\r\n").contains("b OK"));
        let (mut c, s) = server();
        assert_eq!(talk(&mut c, &s, "a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
        assert_eq!(
            talk(&mut c, &s, "AHUxAHB3\r\n"),
            "a OK AUTHENTICATE completed\r\n"
        );
    }

    #[test]
    fn authenticate_login_cancel_bad_base64_and_unknown_mechanisms() {
        let (mut c, s) = server();
        assert_eq!(
            talk(&mut c, &s, "a AUTHENTICATE LOGIN\r\n"),
            "+ VXNlcm5hbWU6\r\n"
        );
        assert_eq!(talk(&mut c, &s, "dTE=\r\n"), "+ UGFzc3dvcmQ6\r\n");
        assert_eq!(
            talk(&mut c, &s, "d3Jvbmc=\r\n"),
            "a NO authentication failed\r\n"
        );
        assert_eq!(
            talk(&mut c, &s, "b AUTHENTICATE LOGIN\r\n"),
            "+ VXNlcm5hbWU6\r\n"
        );
        assert_eq!(
            talk(&mut c, &s, "*\r\n"),
            "b BAD AUTHENTICATE cancelled\r\n"
        );
        assert_eq!(talk(&mut c, &s, "c AUTHENTICATE PLAIN\r\n"), "+ \r\n");
        assert_eq!(talk(&mut c, &s, "AH%xAHB3\r\n"), "c BAD invalid base64\r\n");
        assert_eq!(
            talk(&mut c, &s, "d AUTHENTICATE PLAIN AHUxAHB3=\r\n"),
            "d BAD invalid base64\r\n"
        );
        assert_eq!(
            talk(&mut c, &s, "e AUTHENTICATE X-UNKNOWN-MECH\r\n"),
            "e NO unsupported authentication mechanism\r\n"
        );
        assert_eq!(talk(&mut c, &s, "f NOOP\r\n"), "f OK done\r\n");
        assert_eq!(
            talk(&mut c, &s, "g AUTHENTICATE LOGIN dTE=\r\n"),
            "+ UGFzc3dvcmQ6\r\n"
        );
        assert_eq!(
            talk(&mut c, &s, "cHc=\r\n"),
            "g OK AUTHENTICATE completed\r\n"
        );
        assert!(talk(&mut c, &s, "h AUTHENTICATE PLAIN AHUxAHB3\r\n").starts_with("h BAD "));
    }

    #[test]
    fn logout_sends_bye_then_ok_and_closes_rfc2060_6_1_3() {
        let (mut c, s) = server();
        let out = c.feed(&s, b"a LOGOUT\r\n");
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            "* BYE logging out\r\na OK LOGOUT completed\r\n"
        );
        assert!(out.close);
    }
}
