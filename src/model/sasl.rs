//! RFC 2060 §6.2.1 / RFC 3501 §6.2.2 AUTHENTICATE: the exchange of server challenges and
//! client answers, for the PLAIN (RFC 4616) and LOGIN SASL mechanisms, with the initial
//! response of SASL-IR (RFC 4959).
//!
//! "A server challenge consists of a command continuation request response with the "+"
//! token followed by a BASE64 encoded string. The client answer consists of a line
//! consisting of a BASE64 encoded string. If the client wishes to cancel an
//! authentication exchange, it issues a line with a single "*"." (RFC 2060 §6.2.1)
//!
//! [`Session::authenticate`] starts an exchange and [`Session::authenticate_answer`] feeds
//! it one client answer at a time; each returns the next challenge or the reply. The
//! reference server runs them as the client talks; the oracle runs them over a recorded
//! exchange.

use super::response::{Allowed, Completion, Outcome, Reply};
use super::session::{rule, Session, State, Store};

/// The mechanisms the model implements (RFC 3501 §6.2.2: PLAIN is the one a server must
/// implement; LOGIN is the common legacy one).
pub const MECHANISMS: &[&str] = &["PLAIN", "LOGIN"];

/// The LOGIN mechanism's challenges: "Username:" and "Password:".
const LOGIN_CHALLENGES: [&[u8]; 2] = [b"Username:", b"Password:"];

/// A mechanism as the client named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    /// One the model does not implement (the name, upper-cased).
    Other(String),
}

impl Mechanism {
    /// RFC 2060 §9 `auth_type ::= atom`, case-insensitive.
    pub fn named(name: &[u8]) -> Mechanism {
        let n = String::from_utf8_lossy(name).to_ascii_uppercase();
        match n.as_str() {
            "PLAIN" => Mechanism::Plain,
            "LOGIN" => Mechanism::Login,
            _ => Mechanism::Other(n),
        }
    }
}

/// An exchange in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub mechanism: Mechanism,
    /// The LOGIN mechanism's user name, once answered.
    user: Option<Vec<u8>>,
}

/// What the server does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthStep {
    /// A challenge: `+ ` and these bytes in base64.
    Challenge(Vec<u8>),
    /// The exchange is over: the tagged reply.
    Done(Reply),
}

/// The parts of an `AUTHENTICATE` command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticateLine {
    pub tag: Vec<u8>,
    pub mechanism: Vec<u8>,
    /// The initial response (RFC 4959 `initial-resp = base64 / "="`) as written.
    pub initial: Option<Vec<u8>>,
}

/// Reads `tag SP "AUTHENTICATE" SP auth-type [SP initial-resp]` (RFC 3501 §9, RFC 4959
/// §7); `None` for any other command line. `line` is without its CRLF.
pub fn authenticate_line(line: &[u8]) -> Option<AuthenticateLine> {
    let mut words = line.split(|&b| b == b' ');
    let tag = words.next()?;
    let verb = words.next()?;
    if tag.is_empty() || !verb.eq_ignore_ascii_case(b"AUTHENTICATE") {
        return None;
    }
    let mechanism = words.next()?.to_vec();
    let initial = words.next().map(<[u8]>::to_vec);
    if mechanism.is_empty() || words.next().is_some() {
        return None;
    }
    Some(AuthenticateLine {
        tag: tag.to_vec(),
        mechanism,
        initial,
    })
}

/// Whether a client answer is a cancel: "a line with a single "*"" (RFC 2060 §6.2.1).
pub fn is_cancel(answer: &[u8]) -> bool {
    answer == b"*"
}

/// RFC 3501 §9: `base64 = *(4base64-char) [base64-terminal]`, `base64-char = ALPHA /
/// DIGIT / "+" / "/"`, `base64-terminal = (2base64-char "==") / (3base64-char "=")`.
/// `None` when `text` is not of that form.
pub fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let groups = text.len() / 4;
    for (i, g) in text.chunks(4).enumerate() {
        let last = i + 1 == groups;
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &g[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// The base64 form of `data` (RFC 3501 §9 `base64`).
pub fn encode_base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for g in data.chunks(3) {
        let n = g
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= g.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 4616 §2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`. Returns the
/// authorization identity, the user and the password.
pub fn plain_message(msg: &[u8]) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let mut parts = msg.split(|&b| b == 0);
    let authzid = parts.next()?.to_vec();
    let authcid = parts.next()?.to_vec();
    let passwd = parts.next()?.to_vec();
    if parts.next().is_some() || authcid.is_empty() {
        return None;
    }
    Some((authzid, authcid, passwd))
}

/// RFC 4616 §2 `message` for `user` and `password`, without an authorization identity.
pub fn plain_response(user: &str, password: &str) -> Vec<u8> {
    let mut m = vec![0u8];
    m.extend_from_slice(user.as_bytes());
    m.push(0);
    m.extend_from_slice(password.as_bytes());
    m
}

fn done(outcome: Outcome, text: &str, allowed: Allowed) -> AuthStep {
    AuthStep::Done(Reply {
        untagged: vec![],
        completion: Completion {
            outcome,
            code: None,
            text: text.into(),
        },
        allowed,
    })
}

/// RFC 2060 §6.2.1: "If the server receives such an answer, it MUST reject the
/// AUTHENTICATE command by sending a tagged BAD response."
fn cancelled() -> AuthStep {
    done(
        Outcome::Bad,
        "AUTHENTICATE cancelled",
        Allowed {
            ok: false,
            no: false,
            bad: true,
            rule: rule::CANCEL_BAD,
        },
    )
}

/// An answer that is not base64. RFC 2060 §6.2.1 defines the answer as "a line consisting
/// of a BASE64 encoded string" and the results as OK "authenticate completed", NO
/// "credentials rejected", BAD "arguments invalid": such an answer cannot complete the
/// exchange, and a server may call it invalid (BAD) or take it for rejected credentials
/// (NO).
fn bad_base64() -> AuthStep {
    done(
        Outcome::Bad,
        "invalid base64",
        Allowed {
            ok: false,
            no: true,
            bad: true,
            rule: rule::AUTHENTICATE_BASE64,
        },
    )
}

impl Session {
    /// Starts `AUTHENTICATE mechanism [initial]` (`initial` as written on the command
    /// line: base64, or `=` for an empty response, RFC 4959 §3). Returns the first step
    /// and the exchange, which goes on while the step is a challenge.
    pub fn authenticate(
        &mut self,
        store: &mut Store,
        mechanism: &[u8],
        initial: Option<&[u8]>,
    ) -> (AuthStep, Authentication) {
        self.latitude = Default::default();
        let mut a = Authentication {
            mechanism: Mechanism::named(mechanism),
            user: None,
        };
        if !matches!(self.state, State::NotAuthenticated) {
            // RFC 2060 §3: a command in the wrong state gets BAD or NO.
            let step = done(
                Outcome::Bad,
                "command not valid in this state",
                Allowed::not_ok(rule::STATE),
            );
            return (step, a);
        }
        if let Mechanism::Other(_) = a.mechanism {
            // RFC 2060 §6.2.1: "If the requested authentication mechanism is not
            // supported, the server SHOULD reject the AUTHENTICATE command by sending a
            // tagged NO response." A server that knows the mechanism may go on.
            let step = done(
                Outcome::No,
                "unsupported authentication mechanism",
                Allowed {
                    ok: true,
                    no: true,
                    bad: false,
                    rule: rule::UNSUPPORTED_MECHANISM,
                },
            );
            return (step, a);
        }
        let step = match initial {
            // RFC 4959 §3: "=" is a present, empty response.
            Some(b"=") => self.authenticate_data(store, &mut a, Vec::new()),
            Some(text) => match decode_base64(text) {
                Some(data) => self.authenticate_data(store, &mut a, data),
                None => bad_base64(),
            },
            None => match a.mechanism {
                Mechanism::Login => AuthStep::Challenge(LOGIN_CHALLENGES[0].to_vec()),
                _ => AuthStep::Challenge(Vec::new()),
            },
        };
        (step, a)
    }

    /// Feeds one client answer (the line without its CRLF) to an exchange in progress.
    pub fn authenticate_answer(
        &mut self,
        store: &mut Store,
        a: &mut Authentication,
        answer: &[u8],
    ) -> AuthStep {
        if is_cancel(answer) {
            return cancelled();
        }
        match decode_base64(answer) {
            Some(data) => self.authenticate_data(store, a, data),
            None => bad_base64(),
        }
    }

    /// The mechanism's next step on decoded client data.
    fn authenticate_data(
        &mut self,
        store: &mut Store,
        a: &mut Authentication,
        data: Vec<u8>,
    ) -> AuthStep {
        match a.mechanism {
            Mechanism::Plain => match plain_message(&data) {
                // RFC 4616 §2: the server acts as the authorization identity only when
                // it may; the model's users may act only as themselves.
                Some((authzid, user, pass)) if authzid.is_empty() || authzid == user => {
                    self.authenticated(store, &user, &pass)
                }
                _ => self.rejected(),
            },
            Mechanism::Login => match a.user.take() {
                None => {
                    a.user = Some(data);
                    AuthStep::Challenge(LOGIN_CHALLENGES[1].to_vec())
                }
                Some(user) => self.authenticated(store, &user, &data),
            },
            Mechanism::Other(_) => self.rejected(),
        }
    }

    /// RFC 2060 §6.2.1 "NO - authenticate failure: ... credentials rejected".
    fn rejected(&self) -> AuthStep {
        done(Outcome::No, "authentication failed", Allowed::any())
    }

    /// Checks the credentials; on success the session is authenticated (RFC 2060 §6.2.1
    /// "OK - authenticate completed, now in authenticated state").
    fn authenticated(&mut self, store: &mut Store, user: &[u8], password: &[u8]) -> AuthStep {
        match self.log_in(store, user, password) {
            Some(allowed) => done(Outcome::Ok, "AUTHENTICATE completed", allowed),
            None => self.rejected(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn session() -> (Session, Store) {
        let store = Store::with_users(b'.', &[("u1".into(), "pw".into())]);
        let now = chrono::DateTime::from_timestamp(0, 0)
            .unwrap()
            .fixed_offset();
        (Session::new(Profile::Rfc3501, now), store)
    }

    fn outcome(step: &AuthStep) -> Option<Outcome> {
        match step {
            AuthStep::Done(r) => Some(r.completion.outcome),
            AuthStep::Challenge(_) => None,
        }
    }

    #[test]
    fn base64_follows_the_rfc_3501_grammar() {
        assert_eq!(decode_base64(b"AHUxAHB3").unwrap(), b"\0u1\0pw");
        assert_eq!(decode_base64(b"").unwrap(), b"");
        assert_eq!(decode_base64(b"YQ==").unwrap(), b"a");
        assert_eq!(decode_base64(b"YWI=").unwrap(), b"ab");
        for bad in [
            &b"YQ"[..],
            b"YQ=",
            b"Y===",
            b"=AAA",
            b"AAA=BBBB",
            b"AH!xAHB3",
            b"AHUx AHB3",
            b"YQ==YQ==",
        ] {
            assert!(
                decode_base64(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for data in [&b""[..], b"a", b"ab", b"abc", b"\0u1\0pw", b"\xff\xfe\x00"] {
            assert_eq!(decode_base64(encode_base64(data).as_bytes()).unwrap(), data);
        }
        assert_eq!(encode_base64(b"\0u1\0pw"), "AHUxAHB3");
    }

    #[test]
    fn authenticate_lines_are_read() {
        let l = authenticate_line(b"a1 authenticate plain AHUxAHB3").unwrap();
        assert_eq!(
            (l.tag, l.mechanism, l.initial),
            (
                b"a1".to_vec(),
                b"plain".to_vec(),
                Some(b"AHUxAHB3".to_vec())
            )
        );
        assert!(authenticate_line(b"a1 AUTHENTICATE PLAIN")
            .unwrap()
            .initial
            .is_none());
        assert!(authenticate_line(b"a1 LOGIN u p").is_none());
        assert!(authenticate_line(b"a1 AUTHENTICATE").is_none());
    }

    #[test]
    fn plain_with_and_without_initial_response() {
        let (mut s, mut st) = session();
        let (step, _) = s.authenticate(&mut st, b"PLAIN", Some(b"AHUxAHB3"));
        assert_eq!(outcome(&step), Some(Outcome::Ok));
        assert_eq!(s.state, State::Authenticated);
        assert_eq!(s.user.as_deref(), Some("u1"));

        let (mut s, mut st) = session();
        let (step, mut a) = s.authenticate(&mut st, b"plain", None);
        assert_eq!(step, AuthStep::Challenge(vec![]));
        let wrong = encode_base64(b"\0u1\0nope");
        assert_eq!(
            outcome(&s.authenticate_answer(&mut st, &mut a, wrong.as_bytes())),
            Some(Outcome::No)
        );
        assert_eq!(s.state, State::NotAuthenticated);
    }

    #[test]
    fn login_mechanism_asks_for_user_then_password() {
        let (mut s, mut st) = session();
        let (step, mut a) = s.authenticate(&mut st, b"LOGIN", None);
        assert_eq!(step, AuthStep::Challenge(b"Username:".to_vec()));
        let step = s.authenticate_answer(&mut st, &mut a, encode_base64(b"u1").as_bytes());
        assert_eq!(step, AuthStep::Challenge(b"Password:".to_vec()));
        let step = s.authenticate_answer(&mut st, &mut a, encode_base64(b"pw").as_bytes());
        assert_eq!(outcome(&step), Some(Outcome::Ok));
        assert_eq!(s.state, State::Authenticated);
    }

    #[test]
    fn cancel_is_bad_and_bad_base64_is_never_ok() {
        let (mut s, mut st) = session();
        let (_, mut a) = s.authenticate(&mut st, b"LOGIN", None);
        let AuthStep::Done(r) = s.authenticate_answer(&mut st, &mut a, b"*") else {
            panic!("a cancel ends the exchange")
        };
        assert_eq!(r.completion.outcome, Outcome::Bad);
        assert!(!r.allowed.ok && !r.allowed.no && r.allowed.bad);
        assert_eq!(r.allowed.rule, rule::CANCEL_BAD);

        let (_, mut a) = s.authenticate(&mut st, b"PLAIN", None);
        let AuthStep::Done(r) = s.authenticate_answer(&mut st, &mut a, b"AHUx*AHB3") else {
            panic!("bad base64 ends the exchange")
        };
        assert!(!r.allowed.ok && r.allowed.no && r.allowed.bad);
        assert_eq!(r.allowed.rule, rule::AUTHENTICATE_BASE64);
        let (AuthStep::Done(r), _) = s.authenticate(&mut st, b"PLAIN", Some(b"AHUxAHB3=")) else {
            panic!("a bad initial response ends the exchange")
        };
        assert!(!r.allowed.ok);
        assert_eq!(s.state, State::NotAuthenticated);
    }

    #[test]
    fn unsupported_mechanism_should_be_no_and_wrong_state_is_refused() {
        let (mut s, mut st) = session();
        let (AuthStep::Done(r), _) = s.authenticate(&mut st, b"X-UNKNOWN-MECH", None) else {
            panic!("no challenge for an unknown mechanism")
        };
        assert_eq!(r.completion.outcome, Outcome::No);
        assert!(!r.allowed.bad && r.allowed.no);
        assert_eq!(r.allowed.rule, rule::UNSUPPORTED_MECHANISM);

        s.authenticate(&mut st, b"PLAIN", Some(b"AHUxAHB3"));
        let (AuthStep::Done(r), _) = s.authenticate(&mut st, b"PLAIN", Some(b"AHUxAHB3")) else {
            panic!("refused at once")
        };
        assert!(!r.allowed.ok);
        assert_eq!(r.allowed.rule, rule::STATE);
        assert_eq!(s.state, State::Authenticated);
    }
}
