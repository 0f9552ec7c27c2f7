//! The driver: runs sessions against targets and records every byte both ways.
//!
//! A session is: (reset the user's store) → connect or spawn → greeting (RFC 2060 §7.1:
//! OK, PREAUTH or BYE) → LOGIN when not pre-authenticated → the script's commands, one
//! at a time, each until its tagged completion → after LOGOUT, wait for the server to
//! close. Synchronizing literals wait for the server's continuation request (RFC 2060
//! §4.3, §7.5); where the server advertises LITERAL+ (RFC 2088) they are sent
//! non-synchronizing instead. Every wait has a deadline.

pub mod conn;
pub mod race;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::targets::{expand, Credentials, Endpoint, Target};
use crate::wire::{
    literal_announcement, End, Event, Exchange, Fragment, FrameLimits, Message, Transcript,
};
use conn::{Conn, Stop};

/// Settings of the driver that are not per target.
#[derive(Clone, Debug)]
pub struct DriveOptions {
    pub limits: FrameLimits,
    /// Send literals non-synchronizing where the server advertises LITERAL+.
    pub literal_plus: bool,
    /// Most server messages accepted while waiting for one command's completion.
    pub max_responses_per_command: usize,
    /// End the setup with `LIST "" *`, so that the oracle knows which mailboxes exist
    /// before the script starts (RFC 2060 §6.3.8: `*` matches every name).
    pub list_mailboxes: bool,
    /// Before logging in, start `AUTHENTICATE PLAIN` and cancel it with `*` at the
    /// server's continuation request (RFC 2060 §6.2.1: the server "MUST reject the
    /// AUTHENTICATE command by sending a tagged BAD response"), for the oracle to judge.
    pub probe_authenticate_cancel: bool,
}

impl Default for DriveOptions {
    fn default() -> Self {
        DriveOptions {
            limits: FrameLimits::default(),
            literal_plus: true,
            max_responses_per_command: 100_000,
            list_mailboxes: false,
            probe_authenticate_cancel: false,
        }
    }
}

/// Something outside the server's answers stopped the session: these are not findings
/// about the server but problems of the setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriveError {
    Connect(String),
    Spawn(String),
    /// The target needs a login but none is configured, or LOGIN was refused.
    Login(String),
    Reset(String),
}

impl std::fmt::Display for DriveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriveError::Connect(s) => write!(f, "cannot connect: {s}"),
            DriveError::Spawn(s) => write!(f, "cannot start the server process: {s}"),
            DriveError::Login(s) => write!(f, "cannot log in: {s}"),
            DriveError::Reset(s) => write!(f, "reset hook failed: {s}"),
        }
    }
}

impl std::error::Error for DriveError {}

/// Runs the target's `reset` hook (if any) for the pool user the session will use.
pub async fn reset(target: &Target, creds: Option<&Credentials>) -> Result<(), DriveError> {
    let Some(argv) = &target.reset else {
        return Ok(());
    };
    run_hook(&expand(argv, creds, Path::new("")), Duration::from_secs(60))
        .await
        .map_err(DriveError::Reset)
}

/// Runs the target's `restart` hook: starts the server again after a session could not
/// reach it. `Ok(false)` when the target has none.
pub async fn restart(target: &Target) -> Result<bool, String> {
    let Some(argv) = &target.restart else {
        return Ok(false);
    };
    run_hook(&expand(argv, None, Path::new("")), Duration::from_secs(180)).await?;
    Ok(true)
}

/// Runs a hook command to its end within `limit`; an error says what failed, with the
/// end of its stderr.
async fn run_hook(argv: &[String], limit: Duration) -> Result<(), String> {
    let child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", argv[0]))?;
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| format!("{argv:?} ran longer than {} s", limit.as_secs()))?
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .trim()
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!("{argv:?} failed ({}): {tail}", out.status));
    }
    Ok(())
}

/// A fresh empty directory for `{session_dir}`, removed when dropped.
struct SessionDir(PathBuf);

impl SessionDir {
    fn new() -> std::io::Result<SessionDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("imapconform-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Spawned servers often drop privileges; they must be able to write here.
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))?;
        }
        Ok(SessionDir(dir))
    }
}

impl Drop for SessionDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs one session: greeting, login (unless PREAUTH), then each command of `script`.
///
/// The transcript is returned whatever the server does; `Err` only for problems of the
/// setup (cannot connect, cannot log in).
pub async fn run_session(
    target: &Target,
    creds: Option<&Credentials>,
    script: &[Message],
    opts: &DriveOptions,
) -> Result<Transcript, DriveError> {
    let session_dir = SessionDir::new().map_err(|e| DriveError::Spawn(e.to_string()))?;
    let mut session = Session::connect(target, creds, opts, &session_dir).await?;
    let result = session.run(creds, script).await;
    if let Some(e) = session.setup_error.take() {
        return Err(e);
    }
    let end = session.end_of(result).await;
    let mut t = session.t;
    t.end = end;
    drop(session_dir);
    Ok(t)
}

struct Session<'a> {
    conn: Conn,
    opts: &'a DriveOptions,
    timeout: Duration,
    t: Transcript,
    literal_plus: bool,
    /// The server advertised IDLE (RFC 2177).
    idle: bool,
    capabilities_known: bool,
    /// A problem of the setup (no user for a server that wants one, LOGIN refused).
    setup_error: Option<DriveError>,
}

impl<'a> Session<'a> {
    /// Connects to (or starts) the target; nothing is read yet.
    async fn connect(
        target: &Target,
        creds: Option<&Credentials>,
        opts: &'a DriveOptions,
        session_dir: &SessionDir,
    ) -> Result<Session<'a>, DriveError> {
        let timeout = target.timeout();
        let conn = match target.endpoint() {
            Endpoint::Tcp(addr) => Conn::tcp(addr, timeout, opts.limits)
                .await
                .map_err(|e| DriveError::Connect(format!("{addr}: {e}")))?,
            Endpoint::Spawn(argv) => {
                let argv = expand(argv, creds, &session_dir.0);
                Conn::spawn(&argv, opts.limits)
                    .map_err(|e| DriveError::Spawn(format!("{}: {e}", argv[0])))?
            }
        };
        Ok(Session {
            conn,
            opts,
            timeout,
            t: Transcript::default(),
            literal_plus: false,
            idle: false,
            capabilities_known: false,
            setup_error: None,
        })
    }

    /// How the session ended, given how its run stopped.
    async fn end_of(&mut self, result: Result<(), Stop>) -> End {
        match result {
            Ok(()) => End::Completed,
            Err(Stop::Timeout) => End::Timeout(format!(
                "no complete answer within {} ms",
                self.timeout.as_millis()
            )),
            Err(Stop::Closed) => match self.conn.exit_description(Duration::from_millis(500)).await
            {
                Some(why) => End::Broken(why),
                None => End::Closed,
            },
            Err(Stop::Broken(why)) => End::Broken(why),
        }
    }

    async fn run(&mut self, creds: Option<&Credentials>, script: &[Message]) -> Result<(), Stop> {
        if !self.open(creds).await? {
            return Ok(());
        }
        let mut last_was_logout = false;
        for cmd in script {
            self.exchange(cmd, false).await?;
            last_was_logout = is_logout(cmd);
        }
        if last_was_logout {
            // RFC 2060 §6.1.3: after LOGOUT the server closes the connection.
            self.expect_close().await?;
        }
        Ok(())
    }

    /// Greeting, LOGIN (unless PREAUTH) and the setup commands. False when the session
    /// cannot go on: the server greeted with BYE (and closed), or the setup failed
    /// (`setup_error`).
    async fn open(&mut self, creds: Option<&Credentials>) -> Result<bool, Stop> {
        let greeting = self
            .conn
            .next_message(Instant::now() + self.timeout)
            .await?;
        self.learn_capabilities(&greeting);
        let line = greeting.first_line().to_ascii_uppercase();
        self.t.greeting = Some(greeting);
        if line.starts_with(b"* BYE") {
            // RFC 2060 §7.1.5: the server is closing the connection.
            self.expect_close().await?;
            return Ok(false);
        }
        if !line.starts_with(b"* PREAUTH") {
            let Some(c) = creds else {
                self.setup_error = Some(DriveError::Login(
                    "the server greets with OK (not PREAUTH) but the target has no user".into(),
                ));
                return Ok(false);
            };
            if self.opts.probe_authenticate_cancel {
                // The exchange answers the continuation request with "*".
                self.exchange(&Message::line("s0 AUTHENTICATE PLAIN"), true)
                    .await?;
            }
            let login = login_command("s1", c);
            let e = self.exchange(&login, true).await?;
            let ok = e.completion().is_some_and(|m| {
                m.first_line()
                    .split(|&c| c == b' ')
                    .nth(1)
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"OK"))
            });
            if !ok {
                let answer = e
                    .completion()
                    .map(|m| String::from_utf8_lossy(m.first_line()).to_string());
                self.setup_error = Some(DriveError::Login(match answer {
                    Some(a) => format!("the server answered {a:?}"),
                    None => "no answer to LOGIN".into(),
                }));
                return Ok(false);
            }
        }
        if !self.capabilities_known && self.opts.literal_plus {
            self.exchange(&Message::line("s2 CAPABILITY"), true).await?;
        }
        if self.opts.list_mailboxes {
            self.exchange(&Message::line("s3 LIST \"\" *"), true)
                .await?;
        }
        Ok(true)
    }

    /// Reads until the server closes; anything it still sends is recorded.
    async fn expect_close(&mut self) -> Result<(), Stop> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.conn.next_message(deadline).await {
                Ok(m) => self.record_late(m),
                Err(Stop::Closed) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }

    fn record_late(&mut self, m: Message) {
        let list = if self.t.script.is_empty() {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        match list.last_mut() {
            Some(e) => e.events.push(Event::Server(m)),
            None => list.push(Exchange {
                events: vec![Event::Server(m)],
            }),
        }
    }

    /// Sends one command and reads until its tagged completion. The exchange is recorded
    /// in the transcript even when the session stops half-way through it.
    async fn exchange(&mut self, cmd: &Message, setup: bool) -> Result<&Exchange, Stop> {
        let list = if setup {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        list.push(Exchange::default());
        let idx = list.len() - 1;
        let outcome = self.exchange_into(cmd, setup, idx).await;
        let list = if setup { &self.t.setup } else { &self.t.script };
        outcome.map(|()| &list[idx])
    }

    async fn exchange_into(&mut self, cmd: &Message, setup: bool, idx: usize) -> Result<(), Stop> {
        let tag = cmd.tag().to_vec();
        let fragments = self.prepare(cmd);
        let mut chunk: Vec<Fragment> = Vec::new();
        for (i, f) in fragments.iter().enumerate() {
            self.send(f.bytes()).await?;
            chunk.push(f.clone());
            let more = i + 1 < fragments.len();
            let waits = matches!(f, Fragment::Line(l) if literal_announcement(l).is_some_and(|(_, sync)| sync));
            if waits && more {
                self.push_event(
                    setup,
                    idx,
                    Event::Client(Message {
                        fragments: std::mem::take(&mut chunk),
                    }),
                );
                // RFC 2060 §7.5: wait for the continuation request before the literal.
                loop {
                    let (cont, done) = self.receive(setup, idx, &tag).await?;
                    if done {
                        // The server refused the command before its literal: the rest
                        // must not be sent.
                        return Ok(());
                    }
                    if cont {
                        break;
                    }
                }
            }
        }
        if !chunk.is_empty() {
            self.push_event(setup, idx, Event::Client(Message { fragments: chunk }));
        }
        let mut cancels = 0;
        let mut count = 0;
        loop {
            let (cont, done) = self.receive(setup, idx, &tag).await?;
            count += 1;
            if done {
                return self.literal_read_as_command(cmd, setup, idx).await;
            }
            if cont {
                // A continuation request with nothing left to send (AUTHENTICATE):
                // RFC 2060 §6.2.1 "If the client wishes to cancel an authentication
                // exchange, it issues a line with a single '*'."
                if cancels >= 3 {
                    return Err(Stop::Broken(
                        "the server keeps asking for continuation data".into(),
                    ));
                }
                cancels += 1;
                self.send(b"*\r\n").await?;
                self.push_event(
                    setup,
                    idx,
                    Event::Client(Message {
                        fragments: vec![Fragment::Line(b"*\r\n".to_vec())],
                    }),
                );
            }
            if count >= self.opts.max_responses_per_command {
                return Err(Stop::Broken(format!(
                    "more than {} responses to one command",
                    self.opts.max_responses_per_command
                )));
            }
        }
    }

    /// A non-synchronizing literal (RFC 2088 `{n+}`) sent to a server that did not
    /// advertise LITERAL+ may have been read as a command line of its own (the mutation
    /// `literal-plus-unadvertised` makes it one): its tagged answer, if one comes within a
    /// second, belongs to this exchange, not to the next.
    async fn literal_read_as_command(
        &mut self,
        cmd: &Message,
        setup: bool,
        idx: usize,
    ) -> Result<(), Stop> {
        if self.literal_plus {
            return Ok(());
        }
        let inner_tag = crate::wire::non_sync_literal_tag(cmd);
        let Some(inner_tag) = inner_tag else {
            return Ok(());
        };
        let deadline = Instant::now() + self.timeout.min(Duration::from_secs(1));
        loop {
            match self.conn.next_message(deadline).await {
                Ok(m) => {
                    let done = m.tag() == inner_tag.as_slice();
                    self.push_event(setup, idx, Event::Server(m));
                    if done {
                        return Ok(());
                    }
                }
                Err(Stop::Timeout) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }

    /// Reads and records one server message; says whether it is a continuation request
    /// and whether it completes the command tagged `tag`.
    async fn receive(&mut self, setup: bool, idx: usize, tag: &[u8]) -> Result<(bool, bool), Stop> {
        let m = self
            .conn
            .next_message(Instant::now() + self.timeout)
            .await?;
        let cont = m.is_continuation();
        let done = m.tag() == tag;
        self.learn_capabilities(&m);
        self.push_event(setup, idx, Event::Server(m));
        Ok((cont, done))
    }

    fn push_event(&mut self, setup: bool, idx: usize, ev: Event) {
        let list = if setup {
            &mut self.t.setup
        } else {
            &mut self.t.script
        };
        list[idx].events.push(ev);
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.conn.send(bytes).await.map_err(|_| Stop::Closed)
    }

    /// The fragments to send: synchronizing literals become non-synchronizing where the
    /// server advertised LITERAL+ (RFC 2088 §4).
    fn prepare(&self, cmd: &Message) -> Vec<Fragment> {
        if !self.literal_plus {
            return cmd.fragments.clone();
        }
        cmd.fragments
            .iter()
            .map(|f| match f {
                Fragment::Line(l) => match literal_announcement(l) {
                    Some((_, true)) => Fragment::Line(to_non_sync(l)),
                    _ => f.clone(),
                },
                lit => lit.clone(),
            })
            .collect()
    }

    /// Notes the capabilities a response carries (RFC 2060 §7.2.1 `* CAPABILITY`, RFC
    /// 3501 §7.1 `[CAPABILITY ...]` response code).
    fn learn_capabilities(&mut self, m: &Message) {
        if let Some(caps) = capabilities_in(m.first_line()) {
            self.capabilities_known = true;
            self.idle = caps.iter().any(|c| c.eq_ignore_ascii_case("IDLE"));
            self.literal_plus =
                self.opts.literal_plus && caps.iter().any(|c| c.eq_ignore_ascii_case("LITERAL+"));
        }
    }
}

/// The capability list in a `* CAPABILITY` response or a `[CAPABILITY ...]` code.
pub fn capabilities_in(line: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(line);
    let upper = text.to_ascii_uppercase();
    let list = if upper.starts_with("* CAPABILITY ") {
        &text["* CAPABILITY ".len()..]
    } else {
        let start = upper.find("[CAPABILITY ")? + "[CAPABILITY ".len();
        let end = text[start..].find(']')? + start;
        &text[start..end]
    };
    Some(list.split_ascii_whitespace().map(str::to_string).collect())
}

/// `{n}` at the end of a line becomes `{n+}`.
fn to_non_sync(line: &[u8]) -> Vec<u8> {
    let body = crate::wire::strip_eol(line);
    let eol = &line[body.len()..];
    let mut out = body[..body.len() - 1].to_vec();
    out.extend_from_slice(b"+}");
    out.extend_from_slice(eol);
    out
}

/// `{n+}` at the end of a line becomes `{n}`: undoes the driver's LITERAL+ rewrite when
/// a case recorded against one server is replayed against another.
pub fn to_sync(line: &[u8]) -> Vec<u8> {
    match literal_announcement(line) {
        Some((_, false)) => {
            let body = crate::wire::strip_eol(line);
            let eol = &line[body.len()..];
            let mut out = body[..body.len() - 2].to_vec();
            out.push(b'}');
            out.extend_from_slice(eol);
            out
        }
        _ => line.to_vec(),
    }
}

fn is_logout(cmd: &Message) -> bool {
    let line = cmd.first_line();
    let mut words = line.split(|&c| c == b' ');
    words.next();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGOUT"))
}

/// `tag LOGIN user password` with each argument as an `astring` (RFC 2060 §9): an atom
/// when it can be, a quoted string otherwise, and a literal for what a quoted string
/// cannot hold (CR, LF, NUL, 8-bit).
pub fn login_command(tag: &str, c: &Credentials) -> Message {
    let mut fragments = Vec::new();
    let mut line = format!("{tag} LOGIN").into_bytes();
    for arg in [&c.user, &c.password] {
        line.push(b' ');
        let b = arg.as_bytes();
        let atom = !b.is_empty()
            && b.iter()
                .all(|&ch| ch.is_ascii_graphic() && !b"(){%*\"\\]".contains(&ch));
        let quotable = b
            .iter()
            .all(|&ch| (0x01..0x80).contains(&ch) && ch != b'\r' && ch != b'\n');
        if atom {
            line.extend_from_slice(b);
        } else if quotable {
            line.push(b'"');
            for &ch in b {
                if ch == b'"' || ch == b'\\' {
                    line.push(b'\\');
                }
                line.push(ch);
            }
            line.push(b'"');
        } else {
            line.extend_from_slice(format!("{{{}}}\r\n", b.len()).as_bytes());
            fragments.push(Fragment::Line(std::mem::take(&mut line)));
            fragments.push(Fragment::Literal(b.to_vec()));
        }
    }
    line.extend_from_slice(b"\r\n");
    fragments.push(Fragment::Line(line));
    Message { fragments }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(u: &str, p: &str) -> Credentials {
        Credentials {
            user: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn login_uses_atoms_quoted_strings_and_literals_as_needed() {
        assert_eq!(
            login_command("s1", &creds("u1", "pw1")).to_bytes(),
            b"s1 LOGIN u1 pw1\r\n"
        );
        assert_eq!(
            login_command("s1", &creds("a b", "q\"\\")).to_bytes(),
            b"s1 LOGIN \"a b\" \"q\\\"\\\\\"\r\n"
        );
        let m = login_command("s1", &creds("u", "p\u{e9}"));
        assert_eq!(m.fragments.len(), 3);
        assert_eq!(m.to_bytes(), "s1 LOGIN u {3}\r\np\u{e9}\r\n".as_bytes());
    }

    #[test]
    fn literal_plus_rewrite_and_back() {
        assert_eq!(to_non_sync(b"a APPEND x {12}\r\n"), b"a APPEND x {12+}\r\n");
        assert_eq!(to_sync(b"a APPEND x {12+}\r\n"), b"a APPEND x {12}\r\n");
        assert_eq!(to_sync(b"a NOOP\r\n"), b"a NOOP\r\n");
    }

    #[test]
    fn capabilities_from_untagged_and_code() {
        assert_eq!(
            capabilities_in(b"* CAPABILITY IMAP4rev1 LITERAL+ IDLE").unwrap(),
            vec!["IMAP4rev1", "LITERAL+", "IDLE"]
        );
        assert_eq!(
            capabilities_in(b"* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot ready.").unwrap(),
            vec!["IMAP4rev1", "SASL-IR"]
        );
        assert!(capabilities_in(b"* OK ready").is_none());
    }

    #[test]
    fn logout_is_recognised_case_insensitively() {
        assert!(is_logout(&Message::line("a9 logout")));
        assert!(!is_logout(&Message::line("a9 LOGOUTX")));
    }
}
