//! The targets file: which IMAP endpoints a campaign drives, and how to reach them.
//!
//! ```toml
//! # A server on TCP, with a pool of users so that concurrent sessions never share a mailbox.
//! [[target]]
//! name = "dovecot"
//! address = "127.0.0.1:14300"
//! users = [ { user = "u1", password = "pw1" }, { user = "u2", password = "pw2" } ]
//! # Run before every session to empty the user's store; `{user}` is replaced.
//! reset = ["imapconform", "lab", "reset", "dovecot", "{user}"]
//! # Log in by AUTHENTICATE PLAIN (RFC 4616) instead of LOGIN: "login", "plain", "sasl-login".
//! auth = "plain"
//!
//! # One fresh process per session, speaking IMAP on stdin/stdout.
//! [[target]]
//! name = "courier-stdio"
//! spawn = ["sh", "-c", "cd {session_dir} && maildirmake Maildir && exec imapd Maildir"]
//! ```
//!
//! A server behind TLS: from the first byte (`tls = "implicit"`, as on port 993), or
//! after `STARTTLS` on a plaintext port (`tls = "starttls"`). The certificate is checked
//! against the CA certificates in `ca_file` (a relative path is read from the targets
//! file's directory), or against Mozilla's roots without it, for `server_name` (default:
//! the host of `address`, an IP address too). `insecure = true` accepts any certificate,
//! for a throwaway test server only; it is never the default.
//!
//! ```toml
//! [[target]]
//! name = "dovecot-tls"
//! address = "127.0.0.1:14993"
//! tls = "implicit"
//! server_name = "imap.test"
//! ca_file = "lab-ca.pem"
//! user = "u1"
//! password = "pw1"
//!
//! [[target]]
//! name = "cyrus-starttls"
//! address = "127.0.0.1:14143"
//! tls = "starttls"
//! insecure = true
//! user = "u1"
//! password = "pw1"
//! ```
//!
//! `exclusive = true` says the tool owns the account for the session (the store is reset
//! before it, one session per user, as in the lab): the oracle then judges in a closed
//! world, where a count, UID or EXPUNGE the model did not predict is a finding. Leave it
//! out for a shared production account that other clients may change meanwhile.
//!
//! `read_only_mailboxes = ["ReadOnly"]` names mailboxes the account may read but not
//! modify; a campaign SELECTs each once before its sessions and checks for the
//! `[READ-ONLY]` code RFC 2060 §6.3.1 requires ([`crate::probes::read_only`]).
//!
//! Placeholders in `spawn` and `reset`: `{user}` and `{password}` (the pool entry the
//! session uses) and `{session_dir}` (a fresh empty directory made for the session and
//! removed after it).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::Profile;

/// The whole file.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    #[serde(rename = "target", default)]
    pub targets: Vec<Target>,
}

/// One login of a user pool.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// One endpoint.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A short name used in findings, case files and reports.
    pub name: String,
    /// `host:port` of a server that speaks IMAP on TCP (with TLS where `tls` says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A command that serves one session on its stdin/stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn: Option<Vec<String>>,
    /// One login (shorthand for a pool of one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A pool of logins; concurrent sessions of this target each take a different one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<Credentials>,
    /// A command run before each session to give the user an empty store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<Vec<String>>,
    /// A command that starts the server again when a session cannot reach it (it died,
    /// e.g. in the middle of an earlier session); the session is then tried once more.
    /// The lab's targets have `imapconform lab restart SERVER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<Vec<String>>,
    /// How long to wait for any one answer, in milliseconds (default
    /// [`DEFAULT_TIMEOUT_MS`]): from sending a command to its tagged completion, for the
    /// greeting, and for the close after LOGOUT. LOGIN and AUTHENTICATE have their own,
    /// `auth_timeout_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// How long to wait for the answer to LOGIN or AUTHENTICATE (with its continuation
    /// requests and answers), in milliseconds (default [`DEFAULT_AUTH_TIMEOUT_MS`], or
    /// `timeout_ms` where that is longer): servers delay failed logins on purpose
    /// (Courier-IMAP answers every failed AUTHENTICATE after 5 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_timeout_ms: Option<u64>,
    /// Longest server line accepted, in bytes (default 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_line: Option<usize>,
    /// Largest literal accepted from the server, in bytes (default 4 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_literal: Option<u64>,
    /// Most server responses accepted while waiting for one command's completion
    /// (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_responses: Option<usize>,
    /// Most bytes the record of one session may take, which is held in memory until it
    /// is judged: the server's bytes plus 128 per message (default 4 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_bytes: Option<usize>,
    /// The target serves the model itself (`imapconform serve`): the oracle and the
    /// syntax judge check it, but the differential judge leaves it out, since its
    /// differences from a server are the oracle's to judge against the RFC, not a vote.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub model: bool,
    /// How the connection is secured (RFC 3501 §6.2.1, RFC 8314 §3): "none" (default),
    /// "implicit" (TLS from the first byte, as on port 993) or "starttls" (plaintext
    /// greeting, then STARTTLS before logging in).
    #[serde(default, skip_serializing_if = "TlsMode::is_none")]
    pub tls: TlsMode,
    /// The name the server's certificate must carry (default: the host of `address`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// PEM file of the CA certificates to trust instead of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Accept any certificate (a self-signed test server). Never the default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// How the driver logs in: "login" (the LOGIN command, default), "plain"
    /// (AUTHENTICATE PLAIN, with an initial response where SASL-IR is advertised) or
    /// "sasl-login" (AUTHENTICATE LOGIN).
    #[serde(default, skip_serializing_if = "AuthMethod::is_login")]
    pub auth: AuthMethod,
    /// The tool owns the account for the session: its store is emptied before the session
    /// (`reset`, or a fresh `spawn`) and no other client uses it meanwhile (one session per
    /// user). The oracle then holds every count, UID, UIDNEXT, RECENT and EXPUNGE the
    /// server reports to the model exactly, and a disagreement is a finding
    /// ([`crate::judge::World::Closed`]). Without it (a shared account where other clients
    /// may change mailboxes) a count the model did not predict only stops the oracle.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
    /// Mailboxes the account may read but not modify (an ACL grants it only the read
    /// right), named as they are sent on the wire. The read-only probe
    /// ([`crate::probes::read_only`]) SELECTs each once before the sessions: RFC 2060
    /// §6.3.1 requires `[READ-ONLY]` on the tagged OK.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_only_mailboxes: Vec<String>,
}

/// How a target's connection is secured (the `tls` field).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plaintext.
    #[default]
    None,
    /// TLS from the first byte (RFC 8314 §3.3).
    Implicit,
    /// A plaintext greeting, then `STARTTLS` (RFC 3501 §6.2.1) before logging in.
    Starttls,
}

impl TlsMode {
    pub fn is_none(&self) -> bool {
        *self == TlsMode::None
    }

    /// The word of the targets file (and of the case file's `security` header).
    pub fn as_str(&self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Implicit => "implicit",
            TlsMode::Starttls => "starttls",
        }
    }

    pub fn from_word(word: &str) -> Option<TlsMode> {
        match word {
            "none" => Some(TlsMode::None),
            "implicit" => Some(TlsMode::Implicit),
            "starttls" => Some(TlsMode::Starttls),
            _ => None,
        }
    }
}

/// How the driver logs in (the `auth` field): RFC 2060 §6.2.2 LOGIN, or RFC 2060 §6.2.1
/// AUTHENTICATE with the PLAIN (RFC 4616) or LOGIN SASL mechanism.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    #[default]
    Login,
    Plain,
    SaslLogin,
}

impl AuthMethod {
    pub fn is_login(&self) -> bool {
        *self == AuthMethod::Login
    }
}

/// How a session reaches the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    Tcp(&'a str),
    Spawn(&'a [String]),
}

impl Target {
    pub fn endpoint(&self) -> Endpoint<'_> {
        match (&self.address, &self.spawn) {
            (Some(a), _) => Endpoint::Tcp(a),
            (None, Some(s)) => Endpoint::Spawn(s),
            (None, None) => unreachable!("validated on load: a target has address or spawn"),
        }
    }

    /// The user pool (possibly empty: a spawned PREAUTH server needs no login).
    pub fn pool(&self) -> Vec<Credentials> {
        let mut pool = self.users.clone();
        if let Some(user) = &self.user {
            pool.insert(
                0,
                Credentials {
                    user: user.clone(),
                    password: self.password.clone().unwrap_or_default(),
                },
            );
        }
        pool
    }

    /// The per-command timeout: `timeout_ms`, or [`DEFAULT_TIMEOUT_MS`].
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS))
    }

    /// The timeout of LOGIN and AUTHENTICATE: `auth_timeout_ms`, or the longer of
    /// [`DEFAULT_AUTH_TIMEOUT_MS`] and [`Target::timeout`].
    pub fn auth_timeout(&self) -> Duration {
        match self.auth_timeout_ms {
            Some(ms) => Duration::from_millis(ms),
            None => Duration::from_millis(DEFAULT_AUTH_TIMEOUT_MS).max(self.timeout()),
        }
    }

    fn validate(&self, index: usize) -> Result<(), String> {
        let at = format!("target #{} ({:?})", index + 1, self.name);
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(format!(
                "{at}: `name` must be non-empty and use only letters, digits, `-`, `_` and `.`"
            ));
        }
        match (&self.address, &self.spawn) {
            (Some(_), Some(_)) => {
                return Err(format!("{at}: give either `address` or `spawn`, not both"))
            }
            (None, None) => return Err(format!("{at}: needs `address` or `spawn`")),
            (Some(a), None) => {
                let ok = a
                    .rsplit_once(':')
                    .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
                if !ok {
                    return Err(format!("{at}: `address` must be host:port, got {a:?}"));
                }
                if self.pool().is_empty() {
                    return Err(format!(
                        "{at}: a TCP target needs `user`/`password` or a `users` pool"
                    ));
                }
            }
            (None, Some(s)) => {
                if s.is_empty() || s[0].is_empty() {
                    return Err(format!("{at}: `spawn` must name a program"));
                }
            }
        }
        if self.password.is_some() && self.user.is_none() {
            return Err(format!("{at}: `password` without `user`"));
        }
        for (key, hook) in [("reset", &self.reset), ("restart", &self.restart)] {
            if let Some(r) = hook {
                if r.is_empty() || r[0].is_empty() {
                    return Err(format!("{at}: `{key}` must name a program"));
                }
            }
        }
        if self.timeout_ms == Some(0) {
            return Err(format!("{at}: `timeout_ms` must be above 0"));
        }
        if self.auth_timeout_ms == Some(0) {
            return Err(format!("{at}: `auth_timeout_ms` must be above 0"));
        }
        for name in &self.read_only_mailboxes {
            // Sent as a quoted string (RFC 2060 §9: no CR, LF or 8-bit character in one).
            if name.is_empty() || !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(format!(
                    "{at}: `read_only_mailboxes` entry {name:?} must be non-empty printable \
                     ASCII (a non-ASCII name in modified UTF-7, RFC 2060 §5.1.3)"
                ));
            }
        }
        self.validate_tls(&at)?;
        self.validate_limits(&at)
    }

    /// The TLS fields: they belong to a TCP target with `tls` set, and `insecure`
    /// cannot go with a `ca_file` (one checks the certificate, the other does not).
    fn validate_tls(&self, at: &str) -> Result<(), String> {
        if self.tls.is_none() {
            for (key, set) in [
                ("server_name", self.server_name.is_some()),
                ("ca_file", self.ca_file.is_some()),
                ("insecure", self.insecure),
            ] {
                if set {
                    return Err(format!(
                        "{at}: `{key}` is set but `tls` is \"none\": add tls = \"implicit\" or \"starttls\""
                    ));
                }
            }
            return Ok(());
        }
        if self.address.is_none() {
            return Err(format!(
                "{at}: `tls = \"{}\"` needs an `address`: a `spawn` target speaks on stdin/stdout",
                self.tls.as_str()
            ));
        }
        if self.insecure && self.ca_file.is_some() {
            return Err(format!(
                "{at}: `insecure = true` and `ca_file` contradict each other: `ca_file` checks the certificate, `insecure` accepts any; keep one"
            ));
        }
        if let Some(name) = &self.server_name {
            crate::drive::tls::parse_server_name(name)
                .map_err(|e| format!("{at}: `server_name` {e}"))?;
        }
        Ok(())
    }

    /// Reads a relative `ca_file` from `base` (the targets file's directory) and checks
    /// that it holds CA certificates.
    fn resolve_ca_file(&mut self, index: usize, base: Option<&Path>) -> Result<(), String> {
        let Some(path) = &self.ca_file else {
            return Ok(());
        };
        let path: PathBuf = match base {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.clone(),
        };
        crate::drive::tls::load_ca_file(&path)
            .map_err(|e| format!("target #{} ({:?}): {e}", index + 1, self.name))?;
        self.ca_file = Some(path);
        Ok(())
    }

    /// The memory limits: a line shorter than [`MIN_MAX_LINE`] would cut ordinary
    /// responses; none may be 0; a line or literal cannot be larger than the session.
    fn validate_limits(&self, at: &str) -> Result<(), String> {
        if let Some(n) = self.max_line {
            if n < MIN_MAX_LINE {
                return Err(format!(
                    "{at}: `max_line` must be at least {MIN_MAX_LINE} bytes, got {n}"
                ));
            }
        }
        for (key, value) in [
            ("max_literal", self.max_literal.map(|n| n as u128)),
            ("max_responses", self.max_responses.map(|n| n as u128)),
            (
                "max_session_bytes",
                self.max_session_bytes.map(|n| n as u128),
            ),
        ] {
            if value == Some(0) {
                return Err(format!("{at}: `{key}` must be above 0"));
            }
        }
        if let Some(session) = self.max_session_bytes {
            if let Some(line) = self.max_line.filter(|&l| l > session) {
                return Err(format!(
                    "{at}: `max_line` ({line}) is larger than `max_session_bytes` ({session})"
                ));
            }
            if let Some(lit) = self.max_literal.filter(|&l| l > session as u64) {
                return Err(format!(
                    "{at}: `max_literal` ({lit}) is larger than `max_session_bytes` ({session})"
                ));
            }
        }
        Ok(())
    }
}

/// The least `max_line` a target may set: shorter lines would cut ordinary responses
/// (RFC 2683 §3.2.1.5 has clients keep command lines to "approximately 1000 octets";
/// response lines are often longer).
pub const MIN_MAX_LINE: usize = 1024;

/// The default per-command timeout, 10 s: well above the delays servers put in on
/// purpose (tarpits of 1 to 5 s), so that a deliberate delay is not taken for a hang.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The default timeout of LOGIN and AUTHENTICATE, 15 s: three times the 5 s Courier-IMAP
/// waits before it answers a failed AUTHENTICATE (Dovecot's `auth_failure_delay` is 2 s).
pub const DEFAULT_AUTH_TIMEOUT_MS: u64 = 15_000;

/// Replaces `{user}`, `{password}` and `{session_dir}` in each argument.
pub fn expand(argv: &[String], creds: Option<&Credentials>, session_dir: &Path) -> Vec<String> {
    argv.iter()
        .map(|a| {
            let mut a = a.replace("{session_dir}", &session_dir.to_string_lossy());
            if let Some(c) = creds {
                a = a
                    .replace("{user}", &c.user)
                    .replace("{password}", &c.password);
            }
            a
        })
        .collect()
}

/// The line of each `[[target]]` header, in order.
fn target_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.strip_prefix("[[")
                .and_then(|r| r.trim_start().strip_prefix("target"))
                .is_some_and(|r| r.trim_start().starts_with("]]"))
        })
        .map(|(i, _)| i + 1)
        .collect()
}

impl TargetsFile {
    /// Parses and checks a targets file. Errors name the line (for a target's meaning,
    /// the line of its `[[target]]` header) and the target. A relative `ca_file` is read
    /// from the current directory ([`TargetsFile::load`] reads it from the file's).
    pub fn parse(text: &str) -> Result<TargetsFile, String> {
        TargetsFile::parse_in(text, None)
    }

    /// [`TargetsFile::parse`], with relative `ca_file` paths read from `base`.
    pub fn parse_in(text: &str, base: Option<&Path>) -> Result<TargetsFile, String> {
        let mut file: TargetsFile =
            toml::from_str(text).map_err(|e| crate::input::toml_error(text, &e))?;
        if file.targets.is_empty() {
            return Err("no targets: add at least one [[target]] table".into());
        }
        let headers = target_lines(text);
        // A target's error names the line of its `[[target]]` header, when it has one.
        let count = file.targets.len();
        let at = |i: usize, e: String| match headers.get(i) {
            Some(line) if headers.len() == count => format!("line {line}: {e}"),
            _ => e,
        };
        let mut names = std::collections::HashSet::new();
        for (i, t) in file.targets.iter().enumerate() {
            t.validate(i).map_err(|e| at(i, e))?;
            if !names.insert(&t.name) {
                return Err(at(i, format!("target name {:?} is used twice", t.name)));
            }
        }
        for (i, t) in file.targets.iter_mut().enumerate() {
            t.resolve_ca_file(i, base).map_err(|e| at(i, e))?;
        }
        Ok(file)
    }

    pub fn load(path: &Path) -> anyhow::Result<TargetsFile> {
        let text = crate::input::read_text(path, "targets file", crate::input::CONFIG_LIMIT)
            .map_err(anyhow::Error::msg)?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty());
        TargetsFile::parse_in(&text, base)
            .map_err(|e| anyhow::anyhow!("targets file {}: {e}", path.display()))
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("targets serialise")
    }

    /// Keeps only the named targets (all if `names` is empty).
    pub fn select(mut self, names: &[String]) -> Result<TargetsFile, String> {
        if names.is_empty() {
            return Ok(self);
        }
        for n in names {
            if !self.targets.iter().any(|t| &t.name == n) {
                let known: Vec<_> = self.targets.iter().map(|t| t.name.as_str()).collect();
                return Err(format!(
                    "no target named {n:?} (known: {})",
                    known.join(", ")
                ));
            }
        }
        self.targets.retain(|t| names.contains(&t.name));
        Ok(self)
    }

    /// Makes every spawned reference server serve `profile`, the profile the campaign
    /// judges with: a target whose `spawn` runs `imapconform serve --stdio` (or has
    /// `model = true` and runs `... serve --stdio`) gets `--profile PROFILE` appended. A
    /// spawn line that names the same profile already is left alone; one that names the
    /// other is an error, since the oracle would judge that server by a document it does
    /// not follow.
    pub fn serve_profile(&mut self, profile: Profile) -> Result<(), String> {
        for t in &mut self.targets {
            let Some(argv) = t.spawn.as_mut() else {
                continue;
            };
            if !runs_reference_server(argv, t.model) {
                continue;
            }
            match declared_profile(argv) {
                None => argv.extend(["--profile".to_string(), profile.as_str().to_string()]),
                Some(Ok(p)) if p == profile => {}
                Some(Ok(p)) => {
                    return Err(format!(
                        "target {:?} serves the model with --profile {} but the campaign \
                         judges with --profile {}: drop --profile from its spawn line (the \
                         campaign passes its own) or run with --profile {}",
                        t.name,
                        p.as_str(),
                        profile.as_str(),
                        p.as_str()
                    ))
                }
                Some(Err(e)) => return Err(format!("target {:?}: {e}", t.name)),
            }
        }
        Ok(())
    }
}

/// Whether a spawn line runs the reference server on stdin/stdout: `serve --stdio` after
/// a program named `imapconform…`, or after any program on a `model = true` target.
fn runs_reference_server(argv: &[String], model: bool) -> bool {
    let program_is_ours = argv.first().is_some_and(|p| {
        Path::new(p)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("imapconform"))
    });
    argv.get(1).is_some_and(|a| a == "serve")
        && argv.iter().any(|a| a == "--stdio")
        && (program_is_ours || model)
}

/// The `--profile` a spawn line gives already (`--profile X` or `--profile=X`).
fn declared_profile(argv: &[String]) -> Option<Result<Profile, String>> {
    argv.iter().enumerate().find_map(|(i, a)| {
        if a == "--profile" {
            Some(match argv.get(i + 1) {
                Some(v) => v.parse(),
                None => Err("--profile without a value in its spawn line".into()),
            })
        } else {
            a.strip_prefix("--profile=").map(str::parse)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcp_and_spawn_targets() {
        let f = TargetsFile::parse(
            r#"
[[target]]
name = "a"
address = "127.0.0.1:143"
user = "u"
password = "p"
users = [{ user = "v", password = "q" }]
reset = ["true", "{user}"]

[[target]]
name = "b"
spawn = ["imapd", "{session_dir}/Maildir"]
timeout_ms = 100
"#,
        )
        .unwrap();
        assert_eq!(f.targets.len(), 2);
        assert_eq!(f.targets[0].pool().len(), 2);
        assert_eq!(f.targets[0].endpoint(), Endpoint::Tcp("127.0.0.1:143"));
        assert_eq!(f.targets[1].timeout(), Duration::from_millis(100));
        let argv = expand(
            f.targets[1].spawn.as_ref().unwrap(),
            None,
            Path::new("/tmp/s1"),
        );
        assert_eq!(argv, vec!["imapd", "/tmp/s1/Maildir"]);
        let again = TargetsFile::parse(&f.to_toml()).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn read_only_mailboxes_default_to_none_round_trip_and_must_be_printable_ascii() {
        let f = TargetsFile::parse(
            "[[target]]\nname = \"a\"\nspawn = [\"x\"]\n\n[[target]]\nname = \"b\"\nspawn = [\"y\"]\nread_only_mailboxes = [\"ReadOnly\", \"Shared Folders/ReadOnly\"]\n",
        )
        .unwrap();
        assert!(f.targets[0].read_only_mailboxes.is_empty());
        assert_eq!(
            f.targets[1].read_only_mailboxes,
            ["ReadOnly", "Shared Folders/ReadOnly"]
        );
        assert!(!f.to_toml().contains("read_only_mailboxes = []"));
        assert_eq!(TargetsFile::parse(&f.to_toml()).unwrap(), f);
        for bad in ["", "a\\r\\nb", "caf\u{e9}"] {
            let text = format!(
                "[[target]]\nname = \"a\"\nspawn = [\"x\"]\nread_only_mailboxes = [\"{bad}\"]\n"
            );
            let e = TargetsFile::parse(&text).unwrap_err();
            assert!(e.contains("read_only_mailboxes"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn exclusive_defaults_to_a_shared_account_and_round_trips() {
        let f = TargetsFile::parse(
            "[[target]]\nname = \"a\"\nspawn = [\"x\"]\n\n[[target]]\nname = \"b\"\nspawn = [\"y\"]\nexclusive = true\n",
        )
        .unwrap();
        assert!(!f.targets[0].exclusive);
        assert!(f.targets[1].exclusive);
        let text = f.to_toml();
        assert_eq!(text.matches("exclusive = true").count(), 1, "{text}");
        assert_eq!(TargetsFile::parse(&text).unwrap(), f);
    }

    #[test]
    fn errors_name_the_line_or_target() {
        let e = TargetsFile::parse("[[target]]\nname = \"a\"\naddress = 5\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
        let e = TargetsFile::parse("[[target]]\nname = \"a\"\n").unwrap_err();
        assert!(e.contains("needs `address` or `spawn`"), "{e}");
        let e = TargetsFile::parse(
            "# two\n[[target]]\nname = \"a\"\nspawn = [\"x\"]\n\n[[ target ]]\nname = \"b\"\n",
        )
        .unwrap_err();
        assert!(e.starts_with("line 6: target #2"), "{e}");
        let e =
            TargetsFile::parse("[[target]]\nname = \"a\"\nspawn = [\"x\"]\nx = [\n").unwrap_err();
        assert!(e.starts_with("line 5: ") && !e.contains('\n'), "{e}");
        let e = TargetsFile::parse("[[target]]\nname = \"a\"\naddress = \"h:1\"\n").unwrap_err();
        assert!(e.contains("needs `user`"), "{e}");
        let e = TargetsFile::parse("[[target]]\nname = \"a\"\nspawn = [\"x\"]\nbogus = 1\n")
            .unwrap_err();
        assert!(e.contains("bogus"), "{e}");
        let e = TargetsFile::parse("").unwrap_err();
        assert!(e.contains("no targets"), "{e}");
        let e = TargetsFile::parse(
            "[[target]]\nname = \"a\"\nspawn = [\"x\"]\n[[target]]\nname = \"a\"\nspawn = [\"y\"]\n",
        )
        .unwrap_err();
        assert!(e.contains("used twice"), "{e}");
    }

    fn with(extra: &str) -> Result<TargetsFile, String> {
        TargetsFile::parse(&format!(
            "[[target]]\nname = \"h\"\naddress = \"127.0.0.1:1\"\nuser = \"u\"\n{extra}"
        ))
    }

    #[test]
    fn the_auth_timeout_is_read_and_must_be_above_zero() {
        let f = with("timeout_ms = 2000\nauth_timeout_ms = 20000\n").unwrap();
        assert_eq!(f.targets[0].timeout(), Duration::from_secs(2));
        assert_eq!(f.targets[0].auth_timeout(), Duration::from_secs(20));
        let e = with("auth_timeout_ms = 0\n").unwrap_err();
        assert!(e.contains("`auth_timeout_ms` must be above 0"), "{e}");
        // Unset, LOGIN and AUTHENTICATE wait at least 15 s, above Courier's 5 s delay.
        let f = with("").unwrap();
        assert_eq!(f.targets[0].auth_timeout(), Duration::from_secs(15));
    }

    #[test]
    fn memory_limits_are_read_and_checked() {
        let f = with("max_line = 4096\nmax_literal = 65536\nmax_responses = 500\nmax_session_bytes = 1048576\n")
            .unwrap();
        let t = &f.targets[0];
        assert_eq!(
            (
                t.max_line,
                t.max_literal,
                t.max_responses,
                t.max_session_bytes
            ),
            (Some(4096), Some(65536), Some(500), Some(1_048_576))
        );
        assert_eq!(TargetsFile::parse(&f.to_toml()).unwrap(), f);
        let e = with("max_line = 100\n").unwrap_err();
        assert!(
            e.contains("`max_line` must be at least 1024 bytes, got 100"),
            "{e}"
        );
        let e = with("max_responses = 0\n").unwrap_err();
        assert!(e.contains("`max_responses` must be above 0"), "{e}");
        let e = with("max_literal = 0\n").unwrap_err();
        assert!(e.contains("`max_literal` must be above 0"), "{e}");
        let e = with("max_session_bytes = 2048\nmax_line = 4096\n").unwrap_err();
        assert!(
            e.contains("`max_line` (4096) is larger than `max_session_bytes` (2048)"),
            "{e}"
        );
        let e = with("max_session_bytes = 2048\nmax_literal = 4096\n").unwrap_err();
        assert!(e.contains("`max_literal` (4096) is larger"), "{e}");
        let e = with("max_line = -1\n").unwrap_err();
        assert!(e.starts_with("line 5:"), "{e}");
    }

    #[test]
    fn tls_fields_are_read_and_checked() {
        let f = with("tls = \"starttls\"\nserver_name = \"imap.test\"\ninsecure = true\n").unwrap();
        let t = &f.targets[0];
        assert_eq!(t.tls, TlsMode::Starttls);
        assert_eq!(t.server_name.as_deref(), Some("imap.test"));
        assert!(t.insecure);
        assert_eq!(TargetsFile::parse(&f.to_toml()).unwrap(), f);
        assert!(!with("").unwrap().to_toml().contains("tls"));
        for (extra, expect) in [
            (
                "insecure = true\n",
                "`insecure` is set but `tls` is \"none\"",
            ),
            (
                "server_name = \"a\"\n",
                "`server_name` is set but `tls` is \"none\"",
            ),
            (
                "ca_file = \"ca.pem\"\n",
                "`ca_file` is set but `tls` is \"none\"",
            ),
            (
                "tls = \"implicit\"\ninsecure = true\nca_file = \"ca.pem\"\n",
                "contradict",
            ),
            (
                "tls = \"implicit\"\nserver_name = \"not a name\"\n",
                "neither a DNS name nor an IP address",
            ),
            ("tls = \"ssl\"\n", "unknown variant `ssl`"),
        ] {
            let e = with(extra).unwrap_err();
            assert!(e.contains(expect), "{extra:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let e =
            TargetsFile::parse("[[target]]\nname = \"s\"\nspawn = [\"x\"]\ntls = \"implicit\"\n")
                .unwrap_err();
        assert!(
            e.starts_with("line 1: target #1 (\"s\")") && e.contains("needs an `address`"),
            "{e}"
        );
    }

    #[test]
    fn a_relative_ca_file_is_read_from_the_targets_file_s_directory() {
        let dir =
            std::env::temp_dir().join(format!("imapconform-targets-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml = "[[target]]\nname = \"t\"\naddress = \"127.0.0.1:993\"\nuser = \"u\"\ntls = \"implicit\"\nca_file = \"ca.pem\"\n";
        std::fs::write(dir.join("targets.toml"), toml).unwrap();
        let e = TargetsFile::load(&dir.join("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 1: target #1 (\"t\"): `ca_file`")
                && e.contains(&dir.join("ca.pem").display().to_string())
                && !e.contains('\n'),
            "{e}"
        );
        std::fs::write(dir.join("ca.pem"), "no certificate here\n").unwrap();
        let e = TargetsFile::load(&dir.join("targets.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds no certificate"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_auth_method_is_read_written_and_checked() {
        let f = with("auth = \"plain\"\n").unwrap();
        assert_eq!(f.targets[0].auth, AuthMethod::Plain);
        assert!(f.to_toml().contains("auth = \"plain\""));
        assert_eq!(TargetsFile::parse(&f.to_toml()).unwrap(), f);
        let f = with("auth = \"sasl-login\"\n").unwrap();
        assert_eq!(f.targets[0].auth, AuthMethod::SaslLogin);
        assert_eq!(TargetsFile::parse(&f.to_toml()).unwrap(), f);
        let f = with("").unwrap();
        assert_eq!(f.targets[0].auth, AuthMethod::Login);
        assert!(!f.to_toml().contains("auth"), "the default is not written");
        let e = with("auth = \"cram-md5\"\n").unwrap_err();
        assert!(e.contains("cram-md5") && !e.contains('\n'), "{e}");
    }

    fn spawn_of(f: &TargetsFile, name: &str) -> Vec<String> {
        f.targets
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.spawn.clone())
            .unwrap()
    }

    #[test]
    fn spawned_reference_servers_serve_the_campaigns_profile() {
        let mut f = TargetsFile::parse(
            "[[target]]\nname = \"ref\"\nspawn = [\"/x/imapconform\", \"serve\", \"--stdio\"]\n\
             user = \"u\"\npassword = \"p\"\n\
             [[target]]\nname = \"base\"\nspawn = [\"/tmp/base\", \"serve\", \"--stdio\"]\nmodel = true\n\
             [[target]]\nname = \"other\"\nspawn = [\"sh\", \"-c\", \"exec imapd\"]\n\
             [[target]]\nname = \"tcp\"\naddress = \"127.0.0.1:1\"\nuser = \"u\"\npassword = \"p\"\n",
        )
        .unwrap();
        f.serve_profile(Profile::Rfc3501).unwrap();
        assert_eq!(
            spawn_of(&f, "ref")[1..],
            ["serve", "--stdio", "--profile", "rfc3501"]
        );
        assert_eq!(spawn_of(&f, "base")[3..], ["--profile", "rfc3501"]);
        assert_eq!(spawn_of(&f, "other"), ["sh", "-c", "exec imapd"]);
        // Once is enough: the same profile again changes nothing.
        let before = f.clone();
        f.serve_profile(Profile::Rfc3501).unwrap();
        assert_eq!(f, before);
    }

    #[test]
    fn a_reference_server_declaring_another_profile_is_refused() {
        let text = |arg: &str| {
            format!(
                "[[target]]\nname = \"ref\"\nspawn = [\"imapconform\", \"serve\", \"--stdio\", {arg}]\n"
            )
        };
        let mut same = TargetsFile::parse(&text("\"--profile=rfc2060\"")).unwrap();
        same.serve_profile(Profile::Rfc2060).unwrap();
        assert_eq!(spawn_of(&same, "ref").len(), 4, "left alone");
        let mut other = TargetsFile::parse(&text("\"--profile\", \"rfc3501\"")).unwrap();
        let e = other.serve_profile(Profile::Rfc2060).unwrap_err();
        assert!(
            e.contains("ref") && e.contains("rfc3501") && e.contains("rfc2060"),
            "{e}"
        );
    }
}
