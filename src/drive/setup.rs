//! Opening a session: the greeting (RFC 2060 §7.1: OK, PREAUTH or BYE), the prelude,
//! STARTTLS on a `tls = "starttls"` target (RFC 3501 §6.2.1, with the capabilities
//! learned before TLS forgotten), and LOGIN unless pre-authenticated, never where the
//! server advertises LOGINDISABLED (RFC 3501 §6.1.1).

use super::auth;
use super::commands::{completed_ok, frame_all, is_authenticate};
use super::conn::Stop;
use super::recheck::Wait;
use super::{DriveError, Session};
use crate::targets::{Credentials, Target, TlsMode};
use crate::wire::{Event, Message};

impl Session<'_> {
    /// Greeting, the prelude and the login (unless PREAUTH), and the setup commands.
    /// False when the session cannot go on: the server greeted with BYE (and closed), the
    /// setup failed (`setup_error`), or a prelude command authenticated the session (a
    /// finding for the oracle: the prelude carries no valid credentials).
    pub(super) async fn open(
        &mut self,
        target: &Target,
        creds: Option<&Credentials>,
    ) -> Result<bool, Stop> {
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
}
