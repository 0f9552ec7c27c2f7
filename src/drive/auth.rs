//! How the driver logs in: RFC 2060 §6.2.2 LOGIN, or RFC 2060 §6.2.1 AUTHENTICATE with
//! the PLAIN (RFC 4616) or LOGIN SASL mechanism, with an initial response where the server
//! advertises SASL-IR (RFC 4959).
//!
//! [`login_step`] decides from the target's `auth` and the server's capabilities;
//! [`login_message`] writes the command with its continuation answers (the driver sends
//! each answer when the server asks for it, [`super::waits_for_continuation`]).

use crate::model::sasl::{encode_base64, plain_response};
use crate::targets::{AuthMethod, Credentials};
use crate::wire::{Fragment, Message};

/// The login the driver sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// `LOGIN user password` (RFC 2060 §6.2.2).
    Login,
    /// `AUTHENTICATE PLAIN`; `initial`: the RFC 4616 message is on the command line
    /// (RFC 4959 SASL-IR), else it answers the first continuation request.
    Plain { initial: bool },
    /// `AUTHENTICATE LOGIN`: the user name, then the password, each answering a
    /// continuation request.
    SaslLogin,
}

impl LoginStep {
    /// The command, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            LoginStep::Login => "LOGIN",
            LoginStep::Plain { .. } => "AUTHENTICATE PLAIN",
            LoginStep::SaslLogin => "AUTHENTICATE LOGIN",
        }
    }
}

/// The login for `method` on a server advertising `caps` (upper-cased). RFC 3501 §6.2.2:
/// "The server SHOULD list its supported authentication mechanisms in the response to the
/// CAPABILITY command", and a mechanism is named `AUTH=<name>` there (RFC 3501 §7.2.1);
/// a mechanism the server does not list is a setup error, not tried.
pub fn login_step(method: AuthMethod, caps: &[String]) -> Result<LoginStep, String> {
    let has = |c: &str| caps.iter().any(|x| x.eq_ignore_ascii_case(c));
    match method {
        AuthMethod::Login => Ok(LoginStep::Login),
        AuthMethod::Plain if has("AUTH=PLAIN") => Ok(LoginStep::Plain {
            initial: has("SASL-IR"),
        }),
        AuthMethod::SaslLogin if has("AUTH=LOGIN") => Ok(LoginStep::SaslLogin),
        AuthMethod::Plain | AuthMethod::SaslLogin => {
            let (auth, mech) = if method == AuthMethod::Plain {
                ("plain", "AUTH=PLAIN")
            } else {
                ("sasl-login", "AUTH=LOGIN")
            };
            Err(format!(
                "auth = \"{auth}\" but the server does not advertise {mech} (its capabilities: {})",
                if caps.is_empty() {
                    "none".to_string()
                } else {
                    caps.join(" ")
                }
            ))
        }
    }
}

/// The login command for `step`, tagged `tag`, with its continuation answers as further
/// lines.
pub fn login_message(step: LoginStep, tag: &str, c: &Credentials) -> Message {
    let line = |s: String| Fragment::Line(format!("{s}\r\n").into_bytes());
    match step {
        LoginStep::Login => super::login_command(tag, c),
        LoginStep::Plain { initial } => {
            let data = encode_base64(&plain_response(&c.user, &c.password));
            let fragments = if initial {
                vec![line(format!("{tag} AUTHENTICATE PLAIN {data}"))]
            } else {
                vec![line(format!("{tag} AUTHENTICATE PLAIN")), line(data)]
            };
            Message { fragments }
        }
        LoginStep::SaslLogin => Message {
            fragments: vec![
                line(format!("{tag} AUTHENTICATE LOGIN")),
                line(encode_base64(c.user.as_bytes())),
                line(encode_base64(c.password.as_bytes())),
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_step_follows_the_method_and_the_capabilities() {
        let all = caps("IMAP4REV1 AUTH=PLAIN AUTH=LOGIN SASL-IR");
        assert_eq!(login_step(AuthMethod::Login, &[]), Ok(LoginStep::Login));
        assert_eq!(
            login_step(AuthMethod::Plain, &all),
            Ok(LoginStep::Plain { initial: true })
        );
        assert_eq!(
            login_step(AuthMethod::Plain, &caps("IMAP4REV1 AUTH=PLAIN")),
            Ok(LoginStep::Plain { initial: false })
        );
        assert_eq!(
            login_step(AuthMethod::SaslLogin, &all),
            Ok(LoginStep::SaslLogin)
        );
        let e = login_step(AuthMethod::SaslLogin, &caps("IMAP4REV1 AUTH=PLAIN")).unwrap_err();
        assert!(e.contains("AUTH=LOGIN") && e.contains("sasl-login"), "{e}");
        let e = login_step(AuthMethod::Plain, &[]).unwrap_err();
        assert!(e.contains("AUTH=PLAIN") && e.contains("none"), "{e}");
    }

    #[test]
    fn messages_carry_the_rfc_4616_message_or_the_login_answers() {
        let c = Credentials {
            user: "u1".into(),
            password: "pw".into(),
        };
        let m = login_message(LoginStep::Plain { initial: true }, "s1", &c);
        assert_eq!(m.to_bytes(), b"s1 AUTHENTICATE PLAIN AHUxAHB3\r\n");
        let m = login_message(LoginStep::Plain { initial: false }, "s1", &c);
        assert_eq!(m.to_bytes(), b"s1 AUTHENTICATE PLAIN\r\nAHUxAHB3\r\n");
        assert_eq!(m.fragments.len(), 2);
        let m = login_message(LoginStep::SaslLogin, "s1", &c);
        assert_eq!(m.to_bytes(), b"s1 AUTHENTICATE LOGIN\r\ndTE=\r\ncHc=\r\n");
        let m = login_message(LoginStep::Login, "s1", &c);
        assert_eq!(m.to_bytes(), b"s1 LOGIN u1 pw\r\n");
    }
}
