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
pub mod idle;
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
use crate::wire::{End, FrameLimits, Message, Transcript};
use conn::{Conn, ConnectError, Stop};
pub use recheck::RECHECK_FACTOR;
use recheck::{run_once, Recheck, TimedOut, Wait};
use tls::TlsClient;

mod commands;
mod exchange;
mod setup;

pub(crate) use commands::frame_all;
use commands::is_logout;
pub use commands::{
    capabilities_in, is_authenticate, is_login, login_command, to_sync, waits_for_continuation,
};

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
}

#[cfg(test)]
mod tests;
