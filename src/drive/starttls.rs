//! The STARTTLS probes: short, fixed conversations with a TLS target that test how the
//! server handles STARTTLS and LOGINDISABLED (RFC 3501 §6.2.1, §7.2.1; RFC 9051 §6.2.1).
//! [`crate::judge::starttls`] judges what they record.
//!
//! Each probe is its own connection and is already minimal, so a finding's case is the
//! probe's record, and replaying the case runs the probe again ([`run_probe`]).
//!
//! | probe | targets | what it sends |
//! |-------|---------|---------------|
//! | `command-injection` | `starttls` | `STARTTLS` and `NOOP` in one packet; after the handshake `NOOP`, `CAPABILITY`, `SELECT INBOX`, `LOGOUT` |
//! | `starttls-in-tls` | `starttls`, `implicit` | `STARTTLS` on a connection that is already TLS |
//! | `starttls-after-login` | `starttls` without LOGINDISABLED | `LOGIN`, then `STARTTLS` |
//! | `login-disabled` | `starttls` advertising LOGINDISABLED | `LOGIN` with valid credentials before TLS |
//!
//! The two probes that send `LOGIN` before TLS send the password in plaintext: they run
//! only against a loopback address (the lab), never over a network.

use std::time::Duration;

use tokio::time::Instant;

use super::conn::{Conn, ConnectError, Stop};
use super::tls::TlsClient;
use super::{capabilities_in, frame_all, login_command, reset, DriveError, DriveOptions};
use crate::targets::{Credentials, Endpoint, Target, TlsMode};
use crate::wire::{End, Event, Exchange, Fragment, Message, Transcript};

/// One STARTTLS probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// RFC 3501 §6.2.1 / RFC 9051 §6.2.1: a command pipelined after STARTTLS in the same
    /// packet must not be executed after the handshake (CERT VU#555316).
    CommandInjection,
    /// RFC 9051 §6.2.1: STARTTLS on a connection that is already TLS gets BAD.
    StarttlsInTls,
    /// RFC 3501 §6.2: STARTTLS is a command of the not authenticated state.
    StarttlsAfterLogin,
    /// RFC 3501 §7.2.1: with LOGINDISABLED advertised, LOGIN gets NO even with a valid
    /// password.
    LoginDisabled,
}

impl Probe {
    pub const ALL: [Probe; 4] = [
        Probe::CommandInjection,
        Probe::StarttlsInTls,
        Probe::StarttlsAfterLogin,
        Probe::LoginDisabled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Probe::CommandInjection => "command-injection",
            Probe::StarttlsInTls => "starttls-in-tls",
            Probe::StarttlsAfterLogin => "starttls-after-login",
            Probe::LoginDisabled => "login-disabled",
        }
    }

    pub fn parse(name: &str) -> Option<Probe> {
        Probe::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The probes that apply to a target secured with `tls`.
    pub fn for_mode(tls: TlsMode) -> Vec<Probe> {
        match tls {
            TlsMode::None => vec![],
            TlsMode::Implicit => vec![Probe::StarttlsInTls],
            TlsMode::Starttls => Probe::ALL.to_vec(),
        }
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What one probe exchanged with one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRecord {
    pub probe: Probe,
    /// The greeting and every exchange, in order, in `script` (`setup` is empty). The
    /// plaintext a server sent after its tagged OK to STARTTLS, before the handshake, is
    /// recorded in the STARTTLS exchange after that OK (it was discarded, never read as
    /// a response under TLS).
    pub transcript: Transcript,
    /// The connection was TLS from its first byte.
    pub implicit: bool,
    /// The index (in `transcript.script`) of the STARTTLS exchange after whose tagged OK
    /// the TLS handshake succeeded.
    pub tls_after: Option<usize>,
    /// The handshake after a STARTTLS OK failed, and why.
    pub handshake_error: Option<String>,
    /// The probe does not apply to this server, and why (e.g. it does not advertise
    /// LOGINDISABLED); what was exchanged until that was clear is still recorded.
    pub skipped: Option<String>,
}

impl ProbeRecord {
    /// An empty record of `probe`.
    pub fn new(probe: Probe, implicit: bool) -> ProbeRecord {
        ProbeRecord {
            probe,
            transcript: Transcript::default(),
            implicit,
            tls_after: None,
            handshake_error: None,
            skipped: None,
        }
    }

    /// The case header fields that, with the transcript, make the record whole again
    /// ([`ProbeRecord::from_case`]).
    pub fn header(&self) -> Vec<(String, String)> {
        let mut h = vec![
            ("probe".to_string(), self.probe.name().to_string()),
            (
                crate::case::SECURITY_HEADER.to_string(),
                if self.implicit {
                    "implicit"
                } else {
                    "starttls"
                }
                .to_string(),
            ),
        ];
        if let Some(i) = self.tls_after {
            h.push(("tls-after".into(), i.to_string()));
        }
        if let Some(e) = &self.handshake_error {
            h.push(("handshake-error".into(), one_line(e)));
        }
        if let Some(s) = &self.skipped {
            h.push(("skipped".into(), one_line(s)));
        }
        h
    }

    /// The record of a probe's case file; `None` when the case is not a probe's.
    pub fn from_case(case: &crate::case::Case) -> Option<Result<ProbeRecord, String>> {
        let name = case.get("probe")?;
        Some((|| {
            let probe = Probe::parse(name).ok_or_else(|| format!("unknown probe {name:?}"))?;
            let implicit = match case.get(crate::case::SECURITY_HEADER) {
                Some("implicit") => true,
                Some("starttls") | None => false,
                Some(other) => return Err(format!("unknown security {other:?}")),
            };
            let tls_after = match case.get("tls-after") {
                None => None,
                Some(n) => Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|&i| i < case.transcript.script.len())
                        .ok_or_else(|| format!("tls-after {n:?} is no exchange of the case"))?,
                ),
            };
            Ok(ProbeRecord {
                probe,
                transcript: case.transcript.clone(),
                implicit,
                tls_after,
                handshake_error: case.get("handshake-error").map(str::to_string),
                skipped: case.get("skipped").map(str::to_string),
            })
        })())
    }

    /// The capabilities of the last CAPABILITY response (or response code) at or before
    /// script exchange `upto`, greeting included.
    pub fn capabilities_before(&self, upto: usize) -> Option<Vec<String>> {
        let mut caps = self
            .transcript
            .greeting
            .as_ref()
            .and_then(|g| capabilities_in(g.first_line()));
        for e in self.transcript.script.iter().take(upto + 1) {
            for m in e.responses() {
                if let Some(c) = capabilities_in(m.first_line()) {
                    caps = Some(c);
                }
            }
        }
        caps
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn has(caps: &Option<Vec<String>>, name: &str) -> bool {
    caps.as_ref()
        .is_some_and(|c| c.iter().any(|c| c.eq_ignore_ascii_case(name)))
}

/// Whether `address` (`host:port`) is a loopback address, where a password may cross in
/// plaintext.
pub fn is_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A probe's connection: the recording and the deadlines of the driver, without the
/// session logic.
struct ProbeConn {
    conn: Conn,
    timeout: Duration,
    /// The timeout of LOGIN and AUTHENTICATE ([`Target::auth_timeout`]).
    auth_timeout: Duration,
    /// The timeout of the wait in progress.
    waiting: Duration,
    max_responses: usize,
    record: ProbeRecord,
}

impl ProbeConn {
    /// Sends `bytes` (one write: pipelined lines go out in one packet) as one exchange and
    /// reads until the tagged completion of `tag`. The exchange is recorded even when the
    /// connection stops half-way.
    async fn exchange(&mut self, bytes: &[u8], tag: &[u8]) -> Result<usize, Stop> {
        let verb = bytes
            .split(|&b| b == b' ' || b == b'\r')
            .nth(1)
            .unwrap_or_default();
        let auth =
            verb.eq_ignore_ascii_case(b"LOGIN") || verb.eq_ignore_ascii_case(b"AUTHENTICATE");
        self.waiting = if auth {
            self.auth_timeout
        } else {
            self.timeout
        };
        let deadline = Instant::now() + self.waiting;
        let mut fragments = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .map_or(rest.len(), |i| i + 2);
            fragments.push(Fragment::Line(rest[..end].to_vec()));
            rest = &rest[end..];
        }
        let script = &mut self.record.transcript.script;
        script.push(Exchange {
            events: vec![Event::Client(Message { fragments })],
        });
        let idx = script.len() - 1;
        self.conn.send(bytes, deadline).await?;
        let mut count = 0;
        loop {
            let m = self.conn.next_message(deadline).await?;
            let done = m.tag() == tag;
            self.record.transcript.script[idx]
                .events
                .push(Event::Server(m));
            if done {
                return Ok(idx);
            }
            count += 1;
            if count >= self.max_responses {
                return Err(Stop::Limit(format!(
                    "more than {} responses to one command",
                    self.max_responses
                )));
            }
        }
    }

    /// The tagged status (`OK`, `NO`, `BAD`) of exchange `idx`, upper-cased.
    fn status(&self, idx: usize) -> Option<String> {
        self.record.transcript.script[idx].status()
    }

    /// After a tagged OK to STARTTLS in exchange `idx`: the handshake. Plaintext that
    /// followed the OK is recorded in that exchange and discarded. False when the
    /// handshake failed (recorded).
    async fn start_tls(&mut self, idx: usize, tls: &TlsClient) -> bool {
        self.waiting = self.timeout;
        let deadline = Instant::now() + self.waiting;
        match self.conn.start_tls(tls, deadline).await {
            Ok(plaintext) => {
                let e = &mut self.record.transcript.script[idx];
                for m in frame_all(&plaintext) {
                    e.events.push(Event::Server(m));
                }
                self.record.tls_after = Some(idx);
                true
            }
            Err(why) => {
                self.record.handshake_error = Some(why);
                false
            }
        }
    }

    /// Reads until the server closes (after LOGOUT), recording what it still sends in the
    /// last exchange.
    async fn expect_close(&mut self) -> Result<(), Stop> {
        self.waiting = self.timeout;
        let deadline = Instant::now() + self.waiting;
        loop {
            match self.conn.next_message(deadline).await {
                Ok(m) => {
                    if let Some(e) = self.record.transcript.script.last_mut() {
                        e.events.push(Event::Server(m));
                    }
                }
                Err(Stop::Closed) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }
}

/// Runs `probe` against `target` (reset first, as the pool user `creds`). `Err` only for
/// problems of the setup: the target cannot be reached, its certificate is not trusted.
pub async fn run_probe(
    target: &Target,
    creds: Option<&Credentials>,
    probe: Probe,
    opts: &DriveOptions,
) -> Result<ProbeRecord, DriveError> {
    let Endpoint::Tcp(address) = target.endpoint() else {
        return Err(DriveError::Connect(format!(
            "target {}: the STARTTLS probes need a TCP target",
            target.name
        )));
    };
    let tls = TlsClient::for_target(target)
        .map_err(DriveError::Tls)?
        .ok_or_else(|| {
            DriveError::Tls(format!(
                "target {}: the STARTTLS probes need tls = \"starttls\" or \"implicit\"",
                target.name
            ))
        })?;
    reset(target, creds).await?;
    let implicit = target.tls == TlsMode::Implicit;
    let timeout = target.timeout();
    let own = opts.for_target(target);
    let conn = if implicit {
        Conn::tls(address, timeout, own.limits, &tls)
            .await
            .map_err(|e| match e {
                ConnectError::Io(e) => DriveError::Connect(format!("{address}: {e}")),
                ConnectError::Tls(why) => DriveError::Tls(why),
            })?
    } else {
        Conn::tcp(address, timeout, own.limits)
            .await
            .map_err(|e| DriveError::Connect(format!("{address}: {e}")))?
    };
    let mut p = ProbeConn {
        conn,
        timeout,
        auth_timeout: target.auth_timeout(),
        waiting: timeout,
        max_responses: own.max_responses_per_command,
        record: ProbeRecord::new(probe, implicit),
    };
    let result = steps(&mut p, probe, &tls, creds, is_loopback(address)).await;
    p.record.transcript.end = match result {
        Ok(()) => End::Completed,
        Err(Stop::Timeout) => End::Timeout(format!(
            "no complete answer within {} ms",
            p.waiting.as_millis()
        )),
        Err(Stop::Closed) => End::Closed,
        Err(Stop::Broken(why)) => End::Broken(why),
        Err(Stop::Limit(why)) => End::Limit(why),
        // Only a second run of a session asks a wait again; a probe runs once.
        Err(Stop::Reached) => End::Completed,
    };
    Ok(p.record)
}

async fn steps(
    p: &mut ProbeConn,
    probe: Probe,
    tls: &TlsClient,
    creds: Option<&Credentials>,
    loopback: bool,
) -> Result<(), Stop> {
    p.waiting = p.timeout;
    let deadline = Instant::now() + p.waiting;
    let greeting = p.conn.next_message(deadline).await?;
    let line = greeting.first_line().to_ascii_uppercase();
    p.record.transcript.greeting = Some(greeting);
    if !line.starts_with(b"* OK") {
        p.record.skipped =
            Some("the server did not greet with OK (not authenticated state)".into());
        return Ok(());
    }
    if p.record.implicit {
        // StarttlsInTls on an implicit TLS port.
        p.exchange(b"p1 STARTTLS\r\n", b"p1").await?;
        return logout_unless_ok(p, 0, b"p2").await;
    }
    let caps_idx = p.exchange(b"p1 CAPABILITY\r\n", b"p1").await?;
    let caps = p.record.capabilities_before(caps_idx);
    if !has(&caps, "STARTTLS") {
        p.record.skipped = Some("the server does not advertise STARTTLS".into());
        return Ok(());
    }
    match probe {
        Probe::CommandInjection => {
            // RFC 3501 §6.2.1: the client MUST NOT do this; a server must not execute it.
            let i = p.exchange(b"p2 STARTTLS\r\np3 NOOP\r\n", b"p2").await?;
            if !started(p, i, tls).await {
                return Ok(());
            }
            p.exchange(b"p4 NOOP\r\n", b"p4").await?;
            p.exchange(b"p5 CAPABILITY\r\n", b"p5").await?;
            p.exchange(b"p6 SELECT INBOX\r\n", b"p6").await?;
            p.exchange(b"p7 LOGOUT\r\n", b"p7").await?;
            p.expect_close().await
        }
        Probe::StarttlsInTls => {
            let i = p.exchange(b"p2 STARTTLS\r\n", b"p2").await?;
            if !started(p, i, tls).await {
                return Ok(());
            }
            let j = p.exchange(b"p3 STARTTLS\r\n", b"p3").await?;
            logout_unless_ok(p, j, b"p4").await
        }
        Probe::StarttlsAfterLogin | Probe::LoginDisabled => {
            let disabled = has(&caps, "LOGINDISABLED");
            if probe == Probe::LoginDisabled && !disabled {
                p.record.skipped = Some("the server does not advertise LOGINDISABLED".into());
                return Ok(());
            }
            if probe == Probe::StarttlsAfterLogin && disabled {
                p.record.skipped =
                    Some("the server advertises LOGINDISABLED: no LOGIN before TLS".into());
                return Ok(());
            }
            let Some(c) = creds else {
                p.record.skipped = Some("the target has no user".into());
                return Ok(());
            };
            if !loopback {
                p.record.skipped = Some(
                    "the probe would send a password in plaintext; it runs only on loopback".into(),
                );
                return Ok(());
            }
            let login = login_command("p2", c).to_bytes();
            let i = p.exchange(&login, b"p2").await?;
            if probe == Probe::LoginDisabled || p.status(i).as_deref() != Some("OK") {
                if probe == Probe::StarttlsAfterLogin {
                    p.record.skipped = Some("LOGIN before TLS was refused".into());
                }
                return logout_unless_ok(p, usize::MAX, b"p3").await;
            }
            let j = p.exchange(b"p3 STARTTLS\r\n", b"p3").await?;
            logout_unless_ok(p, j, b"p4").await
        }
    }
}

/// A STARTTLS exchange `i`: when it got OK, the handshake. False when the probe cannot
/// go on (refused, or the handshake failed: both recorded).
async fn started(p: &mut ProbeConn, i: usize, tls: &TlsClient) -> bool {
    if p.status(i).as_deref() != Some("OK") {
        p.record.skipped = Some("STARTTLS was refused".into());
        return false;
    }
    p.start_tls(i, tls).await
}

/// Ends the conversation with LOGOUT, unless exchange `i` was a STARTTLS the server
/// accepted (it now waits for a handshake that will not come: the connection is just
/// closed).
async fn logout_unless_ok(p: &mut ProbeConn, i: usize, tag: &[u8]) -> Result<(), Stop> {
    if i != usize::MAX && p.status(i).as_deref() == Some("OK") {
        return Ok(());
    }
    let mut cmd = tag.to_vec();
    cmd.extend_from_slice(b" LOGOUT\r\n");
    p.exchange(&cmd, tag).await?;
    p.expect_close().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;

    #[test]
    fn probes_apply_by_how_the_target_is_secured() {
        assert!(Probe::for_mode(TlsMode::None).is_empty());
        assert_eq!(
            Probe::for_mode(TlsMode::Implicit),
            vec![Probe::StarttlsInTls]
        );
        assert_eq!(Probe::for_mode(TlsMode::Starttls), Probe::ALL.to_vec());
        for p in Probe::ALL {
            assert_eq!(Probe::parse(p.name()), Some(p));
        }
        assert_eq!(Probe::parse("nope"), None);
    }

    #[test]
    fn passwords_cross_in_plaintext_only_on_loopback() {
        assert!(is_loopback("127.0.0.1:143"));
        assert!(is_loopback("127.1.2.3:143"));
        assert!(is_loopback("localhost:143"));
        assert!(is_loopback("[::1]:143"));
        assert!(!is_loopback("imap.example.com:143"));
        assert!(!is_loopback("192.0.2.1:143"));
    }

    #[test]
    fn a_record_reads_back_from_its_case() {
        let mut r = ProbeRecord::new(Probe::CommandInjection, false);
        r.transcript.greeting = Some(Message::line("* OK ready"));
        r.transcript.script = vec![
            Exchange::from_lines(
                "p1 CAPABILITY",
                &["* CAPABILITY IMAP4rev1 STARTTLS", "p1 OK done"],
            ),
            Exchange::from_lines("p2 STARTTLS", &["p2 OK go", "* OK injected"]),
            Exchange::from_lines("p4 NOOP", &["p3 OK noop", "p4 OK noop"]),
        ];
        r.tls_after = Some(1);
        r.handshake_error = Some("line\nbreak".into());
        let case = Case {
            header: r.header(),
            transcript: r.transcript.clone(),
        };
        let back = Case::parse(&case.to_text()).unwrap();
        let again = ProbeRecord::from_case(&back).unwrap().unwrap();
        assert_eq!(again.probe, r.probe);
        assert_eq!(again.tls_after, Some(1));
        assert_eq!(again.handshake_error.as_deref(), Some("line break"));
        assert_eq!(again.transcript.script, r.transcript.script);
        assert!(has(&again.capabilities_before(0), "starttls"));
        // A tls-after that names no exchange is an error, not a panic later.
        let mut bad = back.clone();
        bad.set("tls-after", "9");
        assert!(ProbeRecord::from_case(&bad).unwrap().is_err());
        // A session's case is no probe's.
        bad.header.retain(|(k, _)| k != "probe");
        assert!(ProbeRecord::from_case(&bad).is_none());
    }
}
