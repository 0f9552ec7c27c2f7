//! The driver: runs sessions against targets and records every byte both ways.
//!
//! A session is: (reset the user's store) → connect (with TLS from the first byte for
//! `tls = "implicit"`) or spawn → greeting (RFC 2060 §7.1: OK, PREAUTH or BYE) → for
//! `tls = "starttls"`, STARTTLS and CAPABILITY again (RFC 3501 §6.2.1) → LOGIN when not
//! pre-authenticated (never where the server advertises LOGINDISABLED, RFC 3501 §6.1.1)
//! → the script's commands, one at a time, each until its tagged completion → after
//! LOGOUT, wait for the server to close. Synchronizing literals wait for the server's continuation request (RFC 2060
//! §4.3, §7.5); where the server advertises LITERAL+ (RFC 2088) they are sent
//! non-synchronizing instead.
//!
//! Every wait has a deadline, and it is per command, not per read: the target's timeout
//! runs from the moment a command is sent until its tagged completion, so a server that
//! drips bytes, or sends untagged responses without end, cannot hold a session longer
//! than the timeout. What a session may make the driver hold is bounded too
//! ([`DriveOptions`], per target in the targets file): a line, a literal, the responses
//! to one command and the server bytes of the whole session. A session stopped at one of
//! these limits ends in [`End::Limit`].
//!
//! LOGIN and AUTHENTICATE (with their continuations) wait for the target's
//! `auth_timeout`, every other wait for its `timeout`. A wait that runs out is asked again
//! before it is reported ([`recheck`]): the session runs again from fresh state with a
//! deadline [`RECHECK_FACTOR`] times longer for that wait, and an answer that comes then
//! ends the session in [`End::Slow`], not [`End::Timeout`].

pub mod auth;
pub mod conn;
pub mod race;
pub mod recheck;
pub mod starttls;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::targets::{expand, Credentials, Endpoint, Target, TlsMode};
pub use crate::wire::framing::{DEFAULT_MAX_LINE, DEFAULT_MAX_LITERAL};
use crate::wire::{
    literal_announcement, End, Event, Exchange, Fragment, FrameLimits, Message, Transcript,
};
use conn::{Conn, ConnectError, Stop};
pub use recheck::RECHECK_FACTOR;
use recheck::{run_once, Recheck, TimedOut, Wait};
use tls::TlsClient;

/// Settings of the driver. The limits are defaults: a target's own `max_line`,
/// `max_literal`, `max_responses` and `max_session_bytes` win ([`DriveOptions::for_target`]).
#[derive(Clone, Debug)]
pub struct DriveOptions {
    pub limits: FrameLimits,
    /// Send literals non-synchronizing where the server advertises LITERAL+.
    pub literal_plus: bool,
    /// Most server messages accepted while waiting for one command's completion.
    pub max_responses_per_command: usize,
    /// Most bytes the record of one session may take (it is held in memory until the
    /// session is judged): the server's bytes, plus [`MESSAGE_OVERHEAD`] per message; a
    /// single message is held within it too.
    pub max_session_bytes: usize,
    /// End the setup with `LIST "" *`, so that the oracle knows which mailboxes exist
    /// before the script starts (RFC 2060 §6.3.8: `*` matches every name).
    pub list_mailboxes: bool,
    /// Commands run in the non-authenticated state before logging in (the generated
    /// prelude, [`crate::gen::prelude`]: AUTHENTICATE exchanges cancelled or broken, for
    /// the oracle to judge against RFC 2060 §6.2.1). They are recorded in the setup.
    pub prelude: Vec<Message>,
    /// Ask a wait that ran out again, from fresh state with a deadline
    /// [`RECHECK_FACTOR`] times longer, before the session ends in a timeout
    /// ([`recheck`]).
    pub recheck_timeouts: bool,
}

impl Default for DriveOptions {
    fn default() -> Self {
        DriveOptions {
            limits: FrameLimits::default(),
            literal_plus: true,
            max_responses_per_command: DEFAULT_MAX_RESPONSES,
            max_session_bytes: DEFAULT_MAX_SESSION_BYTES,
            list_mailboxes: false,
            prelude: Vec::new(),
            recheck_timeouts: true,
        }
    }
}

/// Default of [`DriveOptions::max_responses_per_command`]: far more than a generated
/// session's commands get (its mailboxes hold tens of messages).
pub const DEFAULT_MAX_RESPONSES: usize = 10_000;
/// What one recorded server message costs beyond its bytes (its place in the record,
/// the vectors holding it), counted against `max_session_bytes`, so that a flood of tiny
/// responses is bounded like a flood of large ones.
pub const MESSAGE_OVERHEAD: usize = 128;
/// Default of [`DriveOptions::max_session_bytes`]: 4 MiB, so that even `--jobs 8`
/// sessions against a hostile target hold well under 100 MB.
pub const DEFAULT_MAX_SESSION_BYTES: usize = 4 * 1024 * 1024;

impl DriveOptions {
    /// These options with `target`'s own limits where it sets them. A message can never
    /// be larger than the session may hold, so `max_message` is kept within
    /// `max_session_bytes`.
    pub fn for_target(&self, target: &Target) -> DriveOptions {
        let mut o = self.clone();
        if let Some(n) = target.max_line {
            o.limits.max_line = n;
        }
        if let Some(n) = target.max_literal {
            o.limits.max_literal = n;
        }
        if let Some(n) = target.max_responses {
            o.max_responses_per_command = n;
        }
        if let Some(n) = target.max_session_bytes {
            o.max_session_bytes = n;
        }
        o.limits.max_message = o.limits.max_message.min(o.max_session_bytes);
        o
    }
}

/// How many continuation requests with nothing left to send the driver answers with
/// `*` in one command before it stops.
const MAX_CANCELS: usize = 3;

/// Something outside the server's answers stopped the session: these are not findings
/// about the server but problems of the setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriveError {
    Connect(String),
    Spawn(String),
    /// The target needs a login but none is configured, or LOGIN was refused.
    Login(String),
    Reset(String),
    /// The server greeted with BYE: RFC 2060 §7.1.5 allows it ("the server is not
    /// willing to accept a connection from this client"), so it is no finding, but the
    /// session could not be run. The text is the greeting.
    Refused(String),
    /// TLS could not be set up: the handshake or the certificate failed, or STARTTLS
    /// was not offered or refused. One line saying why and what to change.
    Tls(String),
    /// The target's way of logging in cannot work with this server: the mechanism of
    /// `auth` is not advertised, or LOGIN is disabled (RFC 3501 §6.1.1). The server
    /// answered, so starting it again would not help.
    Unsupported(String),
}

impl std::fmt::Display for DriveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriveError::Connect(s) => write!(f, "cannot connect: {s}"),
            DriveError::Spawn(s) => write!(f, "cannot start the server process: {s}"),
            DriveError::Login(s) => write!(f, "cannot log in: {s}"),
            DriveError::Reset(s) => write!(f, "reset hook failed: {s}"),
            DriveError::Refused(s) => write!(
                f,
                "the server refused the session with a BYE greeting (allowed by RFC 2060 §7.1.5): {s}"
            ),
            DriveError::Tls(s) => f.write_str(s),
            DriveError::Unsupported(s) => write!(f, "cannot log in: {s}"),
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
/// A wait that runs out is asked again from fresh state with a longer deadline
/// ([`recheck`], unless [`DriveOptions::recheck_timeouts`] is off): the session then ends
/// in [`End::Slow`] if the answer came, in [`End::Timeout`] if it did not.
///
/// The transcript is returned whatever the server does; `Err` only for problems of the
/// setup (cannot connect, cannot log in).
pub async fn run_session(
    target: &Target,
    creds: Option<&Credentials>,
    script: &[Message],
    opts: &DriveOptions,
) -> Result<Transcript, DriveError> {
    let first = run_once(target, creds, script, opts, None).await?;
    match first.timed_out {
        Some(out) if opts.recheck_timeouts && out.wait != Wait::Other => {
            Ok(recheck::recheck(target, creds, script, opts, first.transcript, out).await)
        }
        _ => Ok(first.transcript),
    }
}

struct Session<'a> {
    conn: Conn,
    opts: &'a DriveOptions,
    /// The limits for this target ([`DriveOptions::for_target`]).
    max_responses: usize,
    max_session_bytes: usize,
    timeout: Duration,
    /// The timeout of LOGIN and AUTHENTICATE.
    auth_timeout: Duration,
    /// When the command in progress (or the wait in progress) runs out of time.
    deadline: Instant,
    /// The wait in progress, its timeout, and when it started.
    waiting: TimedOut,
    started: Instant,
    /// In a second run: the wait asked again, and how long its answer took.
    recheck: Option<Recheck>,
    answered_after: Option<Duration>,
    /// Server bytes recorded so far.
    recorded: usize,
    t: Transcript,
    literal_plus: bool,
    /// The server advertised IDLE (RFC 2177).
    idle: bool,
    /// The capabilities in force: the last list the server sent, forgotten when TLS
    /// starts (RFC 3501 §6.2.1).
    capabilities: Option<Vec<String>>,
    /// How the connection is secured, and the TLS client where it is.
    mode: TlsMode,
    tls: Option<Arc<TlsClient>>,
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
        let auth_timeout = target.auth_timeout();
        let own = opts.for_target(target);
        let tls = TlsClient::for_target(target).map_err(DriveError::Tls)?;
        let conn = match (target.endpoint(), &tls) {
            (Endpoint::Tcp(addr), Some(client)) if target.tls == TlsMode::Implicit => {
                Conn::tls(addr, timeout, own.limits, client)
                    .await
                    .map_err(|e| match e {
                        ConnectError::Io(e) => DriveError::Connect(format!("{addr}: {e}")),
                        ConnectError::Tls(why) => DriveError::Tls(why),
                    })?
            }
            (Endpoint::Tcp(addr), _) => Conn::tcp(addr, timeout, own.limits)
                .await
                .map_err(|e| DriveError::Connect(format!("{addr}: {e}")))?,
            (Endpoint::Spawn(argv), _) => {
                let argv = expand(argv, creds, &session_dir.0);
                Conn::spawn(&argv, own.limits)
                    .map_err(|e| DriveError::Spawn(format!("{}: {e}", argv[0])))?
            }
        };
        Ok(Session {
            conn,
            opts,
            max_responses: own.max_responses_per_command,
            max_session_bytes: own.max_session_bytes,
            timeout,
            auth_timeout,
            deadline: Instant::now() + timeout,
            waiting: TimedOut {
                wait: Wait::Other,
                timeout,
            },
            started: Instant::now(),
            recheck: None,
            answered_after: None,
            recorded: 0,
            t: Transcript::default(),
            literal_plus: false,
            idle: false,
            capabilities: None,
            mode: target.tls,
            tls,
            setup_error: None,
        })
    }

    /// How the session ended, given how its run stopped.
    async fn end_of(&mut self, result: Result<(), Stop>) -> End {
        match result {
            Ok(()) => End::Completed,
            Err(Stop::Timeout) => {
                // What came of a message the server did not finish is evidence too.
                if let Some(m) = self.conn.unfinished() {
                    self.record_late(m);
                }
                End::Timeout(format!(
                    "no complete answer within {} ms",
                    (self.deadline - self.started).as_millis()
                ))
            }
            // The wait asked again was answered: the second run ends there.
            Err(Stop::Reached) => End::Completed,
            Err(Stop::Closed) => match self.conn.exit_description(Duration::from_millis(500)).await
            {
                Some(why) => End::Broken(why),
                None => End::Closed,
            },
            Err(Stop::Broken(why)) => End::Broken(why),
            Err(Stop::Limit(why)) => End::Limit(why),
        }
    }

    /// Starts the clock of one wait: its timeout (the auth timeout for LOGIN and
    /// AUTHENTICATE, `auth`) counts from now; the wait being asked again gets the longer
    /// deadline.
    fn start_clock(&mut self, wait: Wait, auth: bool) {
        let timeout = if auth {
            self.auth_timeout
        } else {
            self.timeout
        };
        let limit = match self.recheck {
            Some(r) if r.wait == wait => r.deadline,
            _ => timeout,
        };
        self.waiting = TimedOut { wait, timeout };
        self.started = Instant::now();
        self.deadline = self.started + limit;
    }

    /// After wait `wait` was answered: in a second run, if it is the wait asked again,
    /// notes how long it took and ends the run ([`Stop::Reached`]).
    fn answered(&mut self, wait: Wait) -> Result<(), Stop> {
        if self.recheck.is_some_and(|r| r.wait == wait) {
            self.answered_after = Some(self.started.elapsed());
            return Err(Stop::Reached);
        }
        Ok(())
    }

    /// Counts a server message against `max_session_bytes`: its bytes and
    /// [`MESSAGE_OVERHEAD`].
    fn count(&mut self, m: &Message) -> Result<(), Stop> {
        self.recorded += MESSAGE_OVERHEAD;
        self.recorded += m.fragments.iter().map(|f| f.bytes().len()).sum::<usize>();
        if self.recorded > self.max_session_bytes {
            return Err(Stop::Limit(format!(
                "the session's record exceeded {} bytes (max_session_bytes)",
                self.max_session_bytes
            )));
        }
        Ok(())
    }

    async fn run(
        &mut self,
        target: &Target,
        creds: Option<&Credentials>,
        script: &[Message],
    ) -> Result<(), Stop> {
        if !self.open(target, creds).await? {
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

    /// Greeting, the prelude and the login (unless PREAUTH), and the setup commands.
    /// False when the session cannot go on: the server greeted with BYE (and closed), the
    /// setup failed (`setup_error`), or a prelude command authenticated the session (a
    /// finding for the oracle: the prelude carries no valid credentials).
    async fn open(&mut self, target: &Target, creds: Option<&Credentials>) -> Result<bool, Stop> {
        self.start_clock(Wait::Greeting, false);
        let greeting = self.conn.next_message(self.deadline).await?;
        self.t.greeting = Some(greeting.clone());
        self.count(&greeting)?;
        self.answered(Wait::Greeting)?;
        self.learn_capabilities(&greeting);
        let line = greeting.first_line().to_ascii_uppercase();
        if line.starts_with(b"* BYE") {
            // RFC 2060 §7.1.5: the server is closing the connection. Allowed, so not a
            // finding; but no session was run, which the campaign must say.
            self.setup_error = Some(DriveError::Refused(
                String::from_utf8_lossy(greeting.first_line()).into_owned(),
            ));
            let _ = self.expect_close().await;
            return Ok(false);
        }
        let preauth = line.starts_with(b"* PREAUTH");
        if self.mode == TlsMode::Starttls && !self.start_tls(preauth).await? {
            return Ok(false);
        }
        if !preauth {
            let Some(c) = creds else {
                self.setup_error = Some(DriveError::Login(
                    "the server greets with OK (not PREAUTH) but the target has no user".into(),
                ));
                return Ok(false);
            };
            for cmd in &self.opts.prelude {
                let e = self.exchange(cmd, true).await?;
                // RFC 2060 §6.2.1 "OK - authenticate completed, now in authenticated
                // state": the session is no longer the pool user's to log in.
                if is_authenticate(cmd) && e.status().as_deref() == Some("OK") {
                    return Ok(false);
                }
            }
            if !target.auth.is_login() && self.capabilities.is_none() {
                self.exchange(&Message::line("s0 CAPABILITY"), true).await?;
            }
            if target.auth.is_login() {
                if let Err(e) = self.may_log_in() {
                    self.setup_error = Some(e);
                    return Ok(false);
                }
            }
            let step = match auth::login_step(
                target.auth,
                self.capabilities.as_deref().unwrap_or_default(),
            ) {
                Ok(step) => step,
                Err(why) => {
                    self.setup_error = Some(DriveError::Unsupported(why));
                    return Ok(false);
                }
            };
            let login = auth::login_message(step, "s1", c);
            let e = self.exchange(&login, true).await?;
            if !completed_ok(e) {
                let answer = e
                    .completion()
                    .map(|m| String::from_utf8_lossy(m.first_line()).to_string());
                let what = step.name();
                self.setup_error = Some(DriveError::Login(match answer {
                    Some(a) => format!("the server answered {what} with {a:?}"),
                    None => format!("no answer to {what}"),
                }));
                return Ok(false);
            }
        }
        if self.capabilities.is_none() && self.opts.literal_plus {
            self.exchange(&Message::line("s2 CAPABILITY"), true).await?;
        }
        if self.opts.list_mailboxes {
            self.exchange(&Message::line("s3 LIST \"\" *"), true)
                .await?;
        }
        Ok(true)
    }

    /// STARTTLS (RFC 3501 §6.2.1) on a `tls = "starttls"` target: learn the capabilities
    /// if the greeting did not carry them, check that STARTTLS is offered, send it, and
    /// after its tagged OK run the TLS handshake. Plaintext the server sent after that
    /// OK is recorded in the STARTTLS exchange and never read as a response. Then the
    /// capabilities learned before TLS are forgotten ("Once [TLS] has been started, the
    /// client MUST discard cached information about server capabilities and SHOULD
    /// re-issue the CAPABILITY command") and CAPABILITY is sent again. False (with
    /// `setup_error`) when TLS could not be started.
    async fn start_tls(&mut self, preauth: bool) -> Result<bool, Stop> {
        let tls = self
            .tls
            .clone()
            .expect("a starttls target has a TLS client");
        if preauth {
            self.setup_error = Some(DriveError::Tls(
                "the server greets with PREAUTH, but STARTTLS is only valid in the not authenticated state (RFC 3501 §6.2.1): use tls = \"implicit\" or \"none\" for this target".into(),
            ));
            return Ok(false);
        }
        if self.capabilities.is_none() {
            self.exchange(&Message::line("s4 CAPABILITY"), true).await?;
        }
        if !self.has_capability("STARTTLS") {
            let caps = match &self.capabilities {
                Some(c) => format!("it advertises {}", c.join(" ")),
                None => "it sent no capability list".into(),
            };
            self.setup_error = Some(DriveError::Tls(format!(
                "the server does not advertise STARTTLS ({caps}): use tls = \"implicit\" or \"none\" for this target"
            )));
            return Ok(false);
        }
        let e = self.exchange(&Message::line("s5 STARTTLS"), true).await?;
        if !completed_ok(e) {
            let answer = e
                .completion()
                .map(|m| String::from_utf8_lossy(m.first_line()).to_string());
            self.setup_error = Some(DriveError::Tls(match answer {
                Some(a) => format!("the server answered STARTTLS with {a:?}"),
                None => "no answer to STARTTLS".into(),
            }));
            return Ok(false);
        }
        let idx = self.t.setup.len() - 1;
        self.start_clock(Wait::Other, false);
        let plaintext = match self.conn.start_tls(&tls, self.deadline).await {
            Ok(p) => p,
            Err(why) => {
                self.setup_error = Some(DriveError::Tls(why));
                return Ok(false);
            }
        };
        for m in frame_all(&plaintext) {
            // Recorded for the judges, never acted on: no capabilities are learned from it.
            let counted = self.count(&m);
            self.push_event(true, idx, Event::Server(m));
            counted?;
        }
        self.forget_capabilities();
        self.exchange(&Message::line("s6 CAPABILITY"), true).await?;
        Ok(true)
    }

    /// Whether the driver may send LOGIN: RFC 3501 §6.1.1 "An IMAP client MUST NOT
    /// issue the LOGIN command if the server advertises the LOGINDISABLED capability."
    /// The capabilities in force decide (after STARTTLS, only those sent under TLS).
    fn may_log_in(&self) -> Result<(), DriveError> {
        if !self.has_capability("LOGINDISABLED") {
            return Ok(());
        }
        let remedy = if self.conn.is_tls() {
            "it does so under TLS too, so this target cannot be driven with LOGIN"
        } else {
            "use tls = \"starttls\" or \"implicit\" for this target"
        };
        Err(DriveError::Unsupported(format!(
            "the server advertises LOGINDISABLED, and RFC 3501 §6.1.1 forbids LOGIN then: {remedy}"
        )))
    }

    fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(|c| c.iter().any(|c| c.eq_ignore_ascii_case(name)))
    }

    /// RFC 3501 §6.2.1: after TLS starts, nothing the server said about itself before
    /// counts.
    fn forget_capabilities(&mut self) {
        self.capabilities = None;
        self.idle = false;
        self.literal_plus = false;
    }

    /// Reads until the server closes; anything it still sends is recorded.
    async fn expect_close(&mut self) -> Result<(), Stop> {
        self.start_clock(Wait::Close, false);
        loop {
            match self.conn.next_message(self.deadline).await {
                Ok(m) => {
                    let counted = self.count(&m);
                    self.record_late(m);
                    counted?;
                }
                Err(Stop::Closed) => return self.answered(Wait::Close),
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
        let wait = if setup {
            Wait::Setup(idx)
        } else {
            Wait::Script(idx)
        };
        // One deadline for the whole command: sending it, its continuation requests, and
        // every response up to its tagged completion.
        self.start_clock(wait, is_authenticate(cmd) || is_login(cmd));
        self.exchange_into(cmd, setup, idx).await?;
        self.answered(wait)?;
        let list = if setup { &self.t.setup } else { &self.t.script };
        Ok(&list[idx])
    }

    async fn exchange_into(&mut self, cmd: &Message, setup: bool, idx: usize) -> Result<(), Stop> {
        let tag = cmd.tag().to_vec();
        let fragments = self.prepare(cmd);
        let mut chunk: Vec<Fragment> = Vec::new();
        for (i, f) in fragments.iter().enumerate() {
            if i > 0 && waits_for_continuation(&fragments[i - 1], f) {
                self.push_event(
                    setup,
                    idx,
                    Event::Client(Message {
                        fragments: std::mem::take(&mut chunk),
                    }),
                );
                // RFC 2060 §7.5: wait for the continuation request before a synchronizing
                // literal, and (§6.2.1) before each answer of an AUTHENTICATE exchange.
                let mut count = 0;
                loop {
                    let (cont, done) = self.receive(setup, idx, &tag).await?;
                    if done {
                        // The server completed the command first (it refused the literal,
                        // or ended the exchange): the rest must not be sent.
                        return Ok(());
                    }
                    if cont {
                        break;
                    }
                    count += 1;
                    if count >= self.max_responses {
                        return Err(self.too_many_responses());
                    }
                }
            }
            self.send(f.bytes()).await?;
            chunk.push(f.clone());
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
                // After three, the driver stops: its own limit, not a broken
                // connection (the server may be sending anything, e.g. garbage lines
                // that start with "+").
                if cancels >= MAX_CANCELS {
                    return Err(Stop::Limit(format!(
                        "the server asked for continuation data more than {MAX_CANCELS} times with nothing left to send"
                    )));
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
            if count >= self.max_responses {
                return Err(self.too_many_responses());
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
        self.deadline = self.deadline.min(deadline);
        let mut count = 0;
        loop {
            match self.conn.next_message(self.deadline).await {
                Ok(m) => {
                    let done = m.tag() == inner_tag.as_slice();
                    let counted = self.count(&m);
                    self.push_event(setup, idx, Event::Server(m));
                    counted?;
                    count += 1;
                    if count >= self.max_responses {
                        return Err(self.too_many_responses());
                    }
                    if done {
                        return Ok(());
                    }
                }
                Err(Stop::Timeout) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
    }

    fn too_many_responses(&self) -> Stop {
        Stop::Limit(format!(
            "the responses to one command exceeded {} (max_responses)",
            self.max_responses
        ))
    }

    /// Reads and records one server message before the command's deadline; says whether
    /// it is a continuation request and whether it completes the command tagged `tag`.
    async fn receive(&mut self, setup: bool, idx: usize, tag: &[u8]) -> Result<(bool, bool), Stop> {
        let m = self.conn.next_message(self.deadline).await?;
        let counted = self.count(&m);
        let cont = m.is_continuation();
        let done = m.tag() == tag;
        self.learn_capabilities(&m);
        self.push_event(setup, idx, Event::Server(m));
        counted?;
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

    /// Sends bytes of the command in progress, within its deadline.
    async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.conn.send(bytes, self.deadline).await
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
            self.idle = caps.iter().any(|c| c.eq_ignore_ascii_case("IDLE"));
            self.literal_plus =
                self.opts.literal_plus && caps.iter().any(|c| c.eq_ignore_ascii_case("LITERAL+"));
            self.capabilities = Some(caps);
        }
    }
}

/// Whether the exchange ended in a tagged OK.
fn completed_ok(e: &Exchange) -> bool {
    e.completion().is_some_and(|m| {
        m.first_line()
            .split(|&c| c == b' ')
            .nth(1)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"OK"))
    })
}

/// `bytes` cut into messages as far as they frame (the rest, if any, as one unfinished
/// message): how plaintext received where none belongs is recorded.
pub(crate) fn frame_all(bytes: &[u8]) -> Vec<Message> {
    let mut framer = crate::wire::Framer::new(FrameLimits {
        max_line: usize::MAX,
        max_literal: u64::MAX,
        max_message: usize::MAX,
    });
    framer.push(bytes);
    let mut out = Vec::new();
    while let Ok(Some(m)) = framer.next_message() {
        out.push(m);
    }
    out.extend(framer.finish());
    out
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

/// Whether `next` waits for a continuation request after `prev`: a literal after a line
/// announcing a synchronizing one (RFC 2060 §4.3), and a line after a complete line, which
/// is an answer to a server challenge (RFC 2060 §6.2.1: "The client answer consists of a
/// line"; `*` cancels). A line after a literal is the rest of the command line.
pub fn waits_for_continuation(prev: &Fragment, next: &Fragment) -> bool {
    match (prev, next) {
        (Fragment::Line(l), Fragment::Literal(_)) => {
            literal_announcement(l).is_some_and(|(_, sync)| sync)
        }
        (Fragment::Line(l), Fragment::Line(_)) => literal_announcement(l).is_none(),
        _ => false,
    }
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

/// Whether a command is `tag AUTHENTICATE ...` (RFC 2060 §6.2.1).
pub fn is_authenticate(cmd: &Message) -> bool {
    cmd.first_line()
        .split(|&c| c == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"AUTHENTICATE"))
}

/// Whether a command is `tag LOGIN ...` (RFC 2060 §6.2.2).
pub fn is_login(cmd: &Message) -> bool {
    cmd.first_line()
        .split(|&c| c == b' ')
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"LOGIN"))
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
mod tests;
