//! The server lab: installs, starts, stops and resets isolated instances of Dovecot,
//! Cyrus, Courier-IMAP and GNU Mailutils imap4d on 127.0.0.1, for campaigns to drive.
//!
//! `imapconform lab up | down | status | reset`. Facts about each server come from
//! `lab-notes.md` (shared with the project) and are cited where they shape the code.
//!
//! Layout of the state directory (tmpfs by default: lab-notes measured Cyrus at ~200
//! NOOP/s on ext4 and ~17k/s on tmpfs):
//!
//! ```text
//! <state_dir>/targets.toml          TCP targets, one per server, with user pools and reset
//!                                   (`exclusive`: each session owns its user)
//! <state_dir>/targets-stdio.toml    one-process-per-session targets (Dovecot, Courier,
//!                                   Mailutils)
//! <state_dir>/targets-tls.toml      the same servers over TLS: `S-tls` (implicit TLS),
//!                                   `S-starttls` and `S-logindisabled` (see below)
//! <state_dir>/tls/                  the lab's throwaway CA and server certificate
//!                                   ([`certs`])
//! <state_dir>/users                 the pool's user names, one a line
//! <state_dir>/pkg/                  cyrus-imapd and courier-imap unpacked (never installed)
//! <state_dir>/<server>/pid          the daemon's pid = its process group
//! <state_dir>/<server>/{port,version,stamp,lab.log}
//! <state_dir>/<server>/...          the server's config, sockets, stores and logs
//! ```
//!
//! Every server's mail processes run as one unprivileged account, [`install::LAB_USER`].
//!
//! Ports: server i (in [`SERVERS`] order) listens on
//! - `base_port + i`: plaintext, LOGIN allowed, STARTTLS offered (RFC 3501 §6.2.1);
//! - `base_port + 10 + i` ([`TLS_PORT_OFFSET`]): implicit TLS (RFC 8314 §3.3), LOGIN
//!   allowed;
//! - `base_port + 20 + i` ([`LOGINDISABLED_PORT_OFFSET`]): plaintext greeting, but
//!   LOGIN refused and LOGINDISABLED advertised until STARTTLS (RFC 3501 §6.2.3, §7.2.1),
//!   for checking that servers honour LOGINDISABLED. On 127.0.0.1 except Dovecot's, on
//!   127.0.0.2 (see [`dovecot`]: Dovecot treats a connection whose two ends have the
//!   same address as secured and never disables LOGIN on it).
//!
//! The certificates name `localhost`, 127.0.0.1 and 127.0.0.2 and are signed by the CA in
//! `<state_dir>/tls/ca.pem`, which the TLS targets name as their `ca_file`.

pub mod certs;
pub mod courier;
pub mod cyrus;
pub mod dovecot;
pub mod install;
pub mod mailutils;
pub mod process;
pub mod read_only;

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::targets::{Credentials, Target, TargetsFile, TlsMode};
use install::LabUser;

/// The default state directory (tmpfs).
pub const DEFAULT_STATE_DIR: &str = "/dev/shm/imapconform-lab";
/// The default first port; server i listens on `base_port + i`.
pub const DEFAULT_BASE_PORT: u16 = 14300;
/// The default and minimum pool size per server.
pub const DEFAULT_USERS: usize = 8;

/// The lab's servers, in port order: server i listens on `base_port + i`.
pub const SERVERS: [&str; 4] = [dovecot::NAME, cyrus::NAME, courier::NAME, mailutils::NAME];

/// A server's implicit-TLS port is its plaintext port plus this.
pub const TLS_PORT_OFFSET: u16 = 10;
/// A server's STARTTLS-required (LOGINDISABLED) port is its plaintext port plus this.
pub const LOGINDISABLED_PORT_OFFSET: u16 = 20;

/// What a TLS listener of a lab server offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenerKind {
    /// TLS from the first byte (RFC 8314 §3.3), then IMAP with LOGIN allowed.
    Implicit,
    /// A plaintext greeting whose CAPABILITY has LOGINDISABLED and STARTTLS; LOGIN is
    /// refused until STARTTLS (RFC 3501 §6.2.3).
    LoginDisabled,
}

impl ListenerKind {
    /// The suffix of its target's name (`dovecot-tls`, `dovecot-logindisabled`).
    pub fn label(self) -> &'static str {
        match self {
            ListenerKind::Implicit => "tls",
            ListenerKind::LoginDisabled => "logindisabled",
        }
    }
}

/// One TLS listener of a lab server (besides its plaintext port, which offers STARTTLS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    pub kind: ListenerKind,
    pub ip: std::net::Ipv4Addr,
    pub port: u16,
}

impl Listener {
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from((self.ip, self.port))
    }
}

/// The TLS listeners of `server` whose plaintext port is `port`.
pub fn tls_listeners(server: &str, port: u16) -> Vec<Listener> {
    let ld_ip = if server == dovecot::NAME {
        dovecot::LOGINDISABLED_IP
    } else {
        std::net::Ipv4Addr::LOCALHOST
    };
    vec![
        Listener {
            kind: ListenerKind::Implicit,
            ip: std::net::Ipv4Addr::LOCALHOST,
            port: port + TLS_PORT_OFFSET,
        },
        Listener {
            kind: ListenerKind::LoginDisabled,
            ip: ld_ip,
            port: port + LOGINDISABLED_PORT_OFFSET,
        },
    ]
}

/// How long `up` waits for a started server to greet and accept LOGIN.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `down` waits after SIGTERM before SIGKILL (lab-notes: Dovecot takes 1-3 s).
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Where and how big the lab is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabOptions {
    /// Holds everything the lab writes: configs, stores, sockets, logs, pid files.
    pub state_dir: PathBuf,
    /// Server i (in [`SERVERS`] order) listens on 127.0.0.1:`base_port + i`.
    pub base_port: u16,
    /// Users per server: `u1`..`uN` (at least [`DEFAULT_USERS`]).
    pub users: usize,
    /// The imapconform binary named in the targets' `reset` commands
    /// (None: the running executable).
    pub exe: Option<PathBuf>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            state_dir: PathBuf::from(DEFAULT_STATE_DIR),
            base_port: DEFAULT_BASE_PORT,
            users: DEFAULT_USERS,
            exe: None,
        }
    }
}

/// One line of `lab status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    pub name: String,
    /// The daemon's pid is alive and its port answers with an IMAP greeting.
    pub up: bool,
    /// The Debian package version the server runs.
    pub version: String,
    pub port: u16,
    pub pid: Option<u32>,
    /// The TLS listeners and whether each accepts connections.
    pub listeners: Vec<(Listener, bool)>,
}

impl fmt::Display for ServerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pid = self.pid.map_or("-".to_string(), |p| p.to_string());
        let listeners: Vec<String> = self
            .listeners
            .iter()
            .map(|(l, up)| {
                format!(
                    "{} {}{}",
                    l.kind.label(),
                    l.addr(),
                    if *up { "" } else { " DOWN" }
                )
            })
            .collect();
        write!(
            f,
            "{:<10} {:<5} 127.0.0.1:{:<5} pid {:<8} [{}] {}",
            self.name,
            if self.up { "up" } else { "down" },
            self.port,
            pid,
            listeners.join(", "),
            if self.version.is_empty() {
                "?"
            } else {
                &self.version
            }
        )
    }
}

/// A server's pool of logins.
pub type UserPool = [Credentials];

/// What a server module needs to prepare its state.
pub struct Ctx<'a> {
    /// `<state_dir>/<server>`, empty when `prepare` is called.
    pub dir: PathBuf,
    pub port: u16,
    pub users: &'a UserPool,
    pub lab_user: LabUser,
    /// The lab's certificate and key.
    pub tls: &'a certs::TlsFiles,
}

impl Ctx<'_> {
    /// The implicit-TLS port.
    pub fn tls_port(&self) -> u16 {
        self.port + TLS_PORT_OFFSET
    }
    /// The STARTTLS-required (LOGINDISABLED) port.
    pub fn logindisabled_port(&self) -> u16 {
        self.port + LOGINDISABLED_PORT_OFFSET
    }
}

/// The pool: `u1`..`uN` with password `pw-uI`.
pub fn user_pool(n: usize) -> Vec<Credentials> {
    (1..=n)
        .map(|i| Credentials {
            user: format!("u{i}"),
            password: format!("pw-u{i}"),
        })
        .collect()
}

/// `rm -rf` that treats a missing path as done.
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow!("removing {}: {e}", path.display())),
    }
}

fn server_dir(opts: &LabOptions, server: &str) -> PathBuf {
    opts.state_dir.join(server)
}

fn port_of(opts: &LabOptions, server: &str) -> u16 {
    let recorded = fs::read_to_string(server_dir(opts, server).join("port"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    recorded.unwrap_or_else(|| {
        let i = SERVERS.iter().position(|s| *s == server).unwrap_or(0) as u16;
        opts.base_port.saturating_add(i)
    })
}

/// What every command line of the lab's daemons contains: `<state_dir>/` (with the
/// slash, so /dev/shm/imapconform-lab never matches /dev/shm/imapconform-labtest-...).
fn state_dir_needle(opts: &LabOptions) -> String {
    format!(
        "{}/",
        opts.state_dir.to_string_lossy().trim_end_matches('/')
    )
}

/// The pid of a server's daemon if it is alive and really ours (its command line names
/// the state directory, so a recycled pid is never taken for ours).
fn running_pid(opts: &LabOptions, server: &str) -> Option<u32> {
    let pid = process::read_pid(&server_dir(opts, server).join("pid"))?;
    if !process::alive(pid) {
        return None;
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let needle = state_dir_needle(opts);
    String::from_utf8_lossy(&cmdline)
        .contains(&needle)
        .then_some(pid)
}

fn version_of(opts: &LabOptions, server: &str) -> String {
    if let Ok(v) = fs::read_to_string(server_dir(opts, server).join("version")) {
        return v.trim().to_string();
    }
    let pkg = package_of(server);
    let pkg_dir = opts.state_dir.join("pkg").join(pkg);
    let v = if pkg_dir.exists() {
        install::private_version(&pkg_dir)
    } else {
        install::version(pkg)
    };
    if v.is_empty() {
        v
    } else {
        format!("{pkg} {v}")
    }
}

fn package_of(server: &str) -> &'static str {
    match server {
        dovecot::NAME => dovecot::PACKAGE,
        cyrus::NAME => cyrus::PACKAGE,
        courier::NAME => courier::PACKAGE,
        _ => mailutils::PACKAGE,
    }
}

fn check_server(server: &str) -> Result<()> {
    if SERVERS.contains(&server) {
        Ok(())
    } else {
        bail!("no lab server {server:?} (known: {})", SERVERS.join(", "))
    }
}

/// What a running server was started with; a running server whose stamp differs is
/// restarted by `up`. The certificates' expiry is part of it, so a server still serving
/// certificates that `up` replaced is restarted.
/// The read-only mailbox's setup ([`read_only`]) is part of it too, so a server started
/// before that setup existed (Dovecot without its ACL plugin) is restarted.
fn stamp(opts: &LabOptions, port: u16, tls: &certs::TlsFiles) -> String {
    format!(
        "port={port} users={} state_dir={} tls_ports=+{TLS_PORT_OFFSET},+{LOGINDISABLED_PORT_OFFSET} cert_not_after={} read_only={}",
        opts.users,
        opts.state_dir.display(),
        tls.expiry().unwrap_or(0),
        read_only::REVISION
    )
}

fn validate(opts: &LabOptions) -> Result<()> {
    if opts.users < DEFAULT_USERS {
        bail!("--users must be at least {DEFAULT_USERS}");
    }
    // The highest port is base_port + LOGINDISABLED_PORT_OFFSET + SERVERS.len() - 1.
    let span = LOGINDISABLED_PORT_OFFSET + SERVERS.len() as u16;
    if opts.base_port == 0 || opts.base_port.checked_add(span).is_none() {
        bail!(
            "--base-port {} leaves no room for ports {0}..{} ({} servers, each on PORT+i, \
             PORT+{TLS_PORT_OFFSET}+i and PORT+{LOGINDISABLED_PORT_OFFSET}+i)",
            opts.base_port,
            opts.base_port as u32 + span as u32,
            SERVERS.len()
        );
    }
    if !opts.state_dir.is_absolute() {
        bail!(
            "--state-dir must be an absolute path, got {}",
            opts.state_dir.display()
        );
    }
    Ok(())
}

/// Installs what is missing, starts every server that is not already running (a dead or
/// differently configured one is restarted on a fresh state), waits until each greets and
/// accepts LOGIN, and writes `targets.toml` (and `targets-stdio.toml`).
///
/// Running `up` twice is harmless: running servers are left alone and reported.
pub fn up(opts: &LabOptions) -> Result<Vec<ServerStatus>> {
    up_servers(opts, &SERVERS, false)
}

/// Starts `server` again if its daemon died, on a fresh state, as `up` would; leaves it
/// alone while its daemon lives, even when it is slow to greet (restarting a live server
/// would cut the sessions it serves, and they would report crashes we made). The lab's
/// targets name this as their `restart` hook, so a campaign goes on after a server died
/// under it.
pub fn restart(opts: &LabOptions, server: &str) -> Result<ServerStatus> {
    check_server(server)?;
    let statuses = up_servers(opts, &[server], true)?;
    statuses
        .into_iter()
        .find(|s| s.name == server)
        .ok_or_else(|| anyhow::anyhow!("{server}: no status after starting it"))
}

/// [`up`] for some of the servers: the others are left as they are. `only_dead`: a
/// server whose daemon lives is left alone, whatever its settings or greeting.
fn up_servers(opts: &LabOptions, servers: &[&str], only_dead: bool) -> Result<Vec<ServerStatus>> {
    validate(opts)?;
    if unsafe { libc::geteuid() } != 0 {
        bail!("`lab up` needs root (it installs packages, binds mounts for Courier and switches users)");
    }
    install::ensure_apt_packages()?;
    let lab_user = install::ensure_lab_user()?;
    fs::create_dir_all(&opts.state_dir)
        .with_context(|| format!("creating {}", opts.state_dir.display()))?;
    let owners = certs::KeyOwners {
        key: Some(lab_user),
        combined: Some(install::passwd_entry(courier::LOGIN_USER).with_context(|| {
            format!(
                "no {} account (courier-base creates it; Courier's login runs as it)",
                courier::LOGIN_USER
            )
        })?),
    };
    let (tls, _) = certs::ensure(&opts.state_dir, owners)?;
    let pkg_root = opts.state_dir.join("pkg");
    let cyrus_prefix = install::ensure_private_package(&pkg_root, cyrus::PACKAGE)?;
    let courier_prefix = install::ensure_private_package(&pkg_root, courier::PACKAGE)?;
    let pool = user_pool(opts.users);
    fs::write(
        opts.state_dir.join("users"),
        pool.iter()
            .map(|c| format!("{}\n", c.user))
            .collect::<String>(),
    )?;

    let mut started = Vec::new();
    for (i, server) in SERVERS.iter().enumerate() {
        if !servers.contains(server) {
            continue;
        }
        let port = opts.base_port + i as u16;
        let dir = server_dir(opts, server);
        let want = stamp(opts, port, &tls);
        if let Some(pid) = running_pid(opts, server) {
            if only_dead {
                eprintln!("lab: {server} is running (pid {pid}), left alone");
                continue;
            }
            let same = fs::read_to_string(dir.join("stamp")).ok().as_deref() == Some(&want);
            let answers = process::greets(port, Duration::from_secs(2))
                && tls_listeners(server, port)
                    .iter()
                    .all(|l| process::listener_answers(l, Duration::from_secs(2)));
            if same && answers {
                eprintln!("lab: {server} already running (pid {pid}), left alone");
                continue;
            }
            eprintln!(
                "lab: restarting {server} (pid {pid}): its settings changed or it does not answer"
            );
            process::stop_group(pid, STOP_GRACE)?;
        }
        stop_leftovers(opts, server)?;
        let addrs = std::iter::once(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
            .chain(tls_listeners(server, port).into_iter().map(|l| l.addr()));
        for addr in addrs {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                bail!(
                    "{server}: {addr} is already in use by a process this lab did not \
                     start (another lab? pick other ports with --base-port)"
                );
            }
        }
        remove_tree(&dir)?;
        fs::create_dir_all(&dir)?;
        let ctx = Ctx {
            dir: dir.clone(),
            port,
            users: &pool,
            lab_user,
            tls: &tls,
        };
        let (cmd, version) = match *server {
            dovecot::NAME => (dovecot::prepare(&ctx)?, install::version(dovecot::PACKAGE)),
            cyrus::NAME => (
                cyrus::prepare(&ctx, &cyrus_prefix)?,
                install::private_version(&cyrus_prefix),
            ),
            courier::NAME => (
                courier::prepare(&ctx, &courier_prefix)?,
                install::private_version(&courier_prefix),
            ),
            _ => (
                mailutils::prepare(&ctx)?,
                install::version(mailutils::PACKAGE),
            ),
        };
        fs::write(
            dir.join("version"),
            format!("{} {version}", package_of(server)),
        )?;
        fs::write(dir.join("port"), port.to_string())?;
        let mut cmd = cmd;
        cmd.env(DAEMON_ENV, &dir);
        let pid = process::spawn_daemon(cmd, &dir.join("lab.log"))?;
        fs::write(dir.join("pid"), pid.to_string())?;
        started.push((*server, pid, port, dir, Instant::now()));
    }

    // Wait for all started servers at once.
    let first = &pool[0];
    let results: Vec<(String, Result<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = started
            .iter()
            .map(|(name, pid, port, _, t0)| {
                s.spawn(move || {
                    let res = process::wait_ready(
                        *pid,
                        *port,
                        &first.user,
                        &first.password,
                        READY_TIMEOUT,
                    )
                    .and_then(|greeting| {
                        let left = READY_TIMEOUT.saturating_sub(t0.elapsed());
                        process::wait_tls_ready(*pid, *port, &tls_listeners(name, *port), left)?;
                        Ok(greeting)
                    });
                    if res.is_ok() {
                        eprintln!(
                            "lab: started {name} (pid {pid}): greets and accepts LOGIN after {:.0?}; \
                             STARTTLS offered, TLS ports listening",
                            t0.elapsed()
                        );
                    }
                    (name.to_string(), res)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("ready thread"))
            .collect()
    });
    let mut failures = Vec::new();
    for ((name, res), (_, _, _, dir, _)) in results.into_iter().zip(&started) {
        match res {
            Ok(_) => fs::write(dir.join("stamp"), stamp(opts, port_of(opts, &name), &tls))?,
            Err(e) => failures.push(format!(
                "{name}: {e:#} (log: {})",
                dir.join("lab.log").display()
            )),
        }
    }
    // A started server's store may hold the readiness probe's LOGIN: empty it again.
    for (name, _, _, _, _) in &started {
        if !failures.iter().any(|f| f.starts_with(&format!("{name}:"))) {
            reset(opts, name, &first.user)?;
        }
    }
    write_targets(opts, &pool, lab_user, &cyrus_prefix, &courier_prefix, &tls)?;
    if !failures.is_empty() {
        bail!("lab servers failed to start:\n  {}", failures.join("\n  "));
    }
    status(opts)
}

/// The environment variable every lab daemon is started with: `<state_dir>/<server>`.
///
/// Courier's and Mailutils' launchers start one `couriertcpd` per port; the ones started
/// in the background make themselves process group leaders (pgid = pid), so signalling
/// the launcher's group misses them. They, and everything they start, carry this
/// variable, by which [`stop_leftovers`] finds them.
pub const DAEMON_ENV: &str = "IMAPCONFORM_LAB_SERVER_DIR";

/// Stops processes left in a server's process group whose leader is gone, and every
/// process that carries the server's [`DAEMON_ENV`] marker.
fn stop_leftovers(opts: &LabOptions, server: &str) -> Result<()> {
    let dir = server_dir(opts, server);
    let pidfile = dir.join("pid");
    if let Some(pgid) = process::read_pid(&pidfile) {
        if !process::group_members(pgid).is_empty() && group_is_ours(opts, pgid) {
            process::stop_group(pgid, STOP_GRACE)?;
        }
    }
    let marker = format!("{DAEMON_ENV}={}", dir.display());
    let marked = process::pids_where(|_, env| env.contains(&marker));
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = marked
            .iter()
            .map(|&pid| s.spawn(move || process::stop_process(pid, STOP_GRACE)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("stop thread").err())
            .map(|e| format!("{e:#}"))
            .collect()
    });
    if !errors.is_empty() {
        bail!("{server}: {}", errors.join("; "));
    }
    Ok(())
}

/// Whether some member of the group `pgid` names our state dir on its command line.
fn group_is_ours(opts: &LabOptions, pgid: u32) -> bool {
    let needle = state_dir_needle(opts);
    process::group_members(pgid).iter().any(|p| {
        fs::read(format!("/proc/{p}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(&needle))
            .unwrap_or(false)
    })
}

fn write_targets(
    opts: &LabOptions,
    pool: &[Credentials],
    lab_user: LabUser,
    _cyrus_prefix: &Path,
    courier_prefix: &Path,
    tls: &certs::TlsFiles,
) -> Result<()> {
    let exe = match &opts.exe {
        Some(e) => e.clone(),
        None => std::env::current_exe().context("finding the imapconform executable")?,
    };
    let state = opts.state_dir.to_string_lossy().into_owned();
    let mut tcp = TargetsFile {
        targets: SERVERS
            .iter()
            .enumerate()
            .map(|(i, s)| Target {
                name: s.to_string(),
                address: Some(format!("127.0.0.1:{}", opts.base_port + i as u16)),
                users: pool.to_vec(),
                reset: Some(vec![
                    exe.to_string_lossy().into_owned(),
                    "lab".into(),
                    "reset".into(),
                    "--state-dir".into(),
                    state.clone(),
                    s.to_string(),
                    "{user}".into(),
                ]),
                restart: Some(vec![
                    exe.to_string_lossy().into_owned(),
                    "lab".into(),
                    "restart".into(),
                    "--state-dir".into(),
                    state.clone(),
                    "--base-port".into(),
                    opts.base_port.to_string(),
                    "--users".into(),
                    opts.users.to_string(),
                    s.to_string(),
                ]),
                // Each session owns its user, reset before it: a closed world.
                exclusive: true,
                read_only_mailboxes: read_only::mailboxes(s),
                ..Default::default()
            })
            .collect(),
    };
    let tls_file = tls_targets(opts, &tcp.targets, tls);
    tcp.targets.push(reference_target(&exe, pool));
    fs::write(opts.state_dir.join("targets.toml"), tcp.to_toml())?;
    fs::write(opts.state_dir.join("targets-tls.toml"), tls_file.to_toml())?;
    let stdio = TargetsFile {
        targets: vec![
            dovecot::stdio_target(&server_dir(opts, dovecot::NAME), lab_user),
            courier::stdio_target(&server_dir(opts, courier::NAME), courier_prefix, lab_user)?,
            mailutils::stdio_target(&server_dir(opts, mailutils::NAME), lab_user)?,
        ],
    };
    fs::write(opts.state_dir.join("targets-stdio.toml"), stdio.to_toml())?;
    Ok(())
}

/// The TLS targets of the lab's servers, made from their plaintext targets `plain` (in
/// [`SERVERS`] order; same reset and restart, each with a disjoint third of the users,
/// since they reach one store): for each server S, `S-tls` (implicit TLS on its TLS
/// port), `S-starttls` (its plaintext port, STARTTLS before LOGIN) and `S-logindisabled`
/// (its STARTTLS-required port), each trusting the lab's CA for the name
/// [`certs::SERVER_NAME`].
pub fn tls_targets(opts: &LabOptions, plain: &[Target], tls: &certs::TlsFiles) -> TargetsFile {
    let mut targets = Vec::new();
    for (i, (server, base)) in SERVERS.iter().zip(plain).enumerate() {
        let port = opts.base_port + i as u16;
        // The three targets of one server reach one store: each gets its own third of
        // the pool, so that concurrent sessions never share a mailbox.
        let pool = base.pool();
        let share = |k: usize| -> Vec<Credentials> {
            pool.iter()
                .enumerate()
                .filter(|(j, _)| j % 3 == k)
                .map(|(_, c)| c.clone())
                .collect()
        };
        let mut next_share = 0;
        let mut secured = |name: String, address: std::net::SocketAddr, mode: TlsMode| {
            let users = share(next_share % 3);
            next_share += 1;
            Target {
                name,
                address: Some(address.to_string()),
                tls: mode,
                server_name: Some(certs::SERVER_NAME.to_string()),
                ca_file: Some(tls.ca.clone()),
                user: None,
                password: None,
                users,
                ..base.clone()
            }
        };
        let listeners = tls_listeners(server, port);
        for l in &listeners {
            if l.kind == ListenerKind::Implicit {
                targets.push(secured(
                    format!("{server}-{}", l.kind.label()),
                    l.addr(),
                    TlsMode::Implicit,
                ));
            }
        }
        targets.push(secured(
            format!("{server}-starttls"),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            TlsMode::Starttls,
        ));
        for l in &listeners {
            if l.kind == ListenerKind::LoginDisabled {
                targets.push(secured(
                    format!("{server}-{}", l.kind.label()),
                    l.addr(),
                    TlsMode::Starttls,
                ));
            }
        }
    }
    TargetsFile { targets }
}

/// The reference server (the RFC 2060 model, `imapconform serve --stdio`): one process per
/// session, so every session starts from an empty store and needs no reset.
pub fn reference_target(exe: &Path, pool: &[Credentials]) -> Target {
    Target {
        name: REFERENCE.to_string(),
        spawn: Some(
            [
                exe.to_string_lossy().into_owned(),
                "serve".into(),
                "--stdio".into(),
            ]
            .into_iter()
            .chain(
                pool.iter()
                    .flat_map(|c| ["--user".to_string(), format!("{}:{}", c.user, c.password)]),
            )
            .collect(),
        ),
        users: pool.to_vec(),
        model: true,
        // A fresh server per session: nothing else touches its store.
        exclusive: true,
        ..Default::default()
    }
}

/// The reference server's target name.
pub const REFERENCE: &str = "reference";

/// Each server's state: up only if its daemon is alive and its port greets.
pub fn status(opts: &LabOptions) -> Result<Vec<ServerStatus>> {
    let statuses = std::thread::scope(|s| {
        let handles: Vec<_> = SERVERS
            .iter()
            .map(|server| {
                s.spawn(move || {
                    let port = port_of(opts, server);
                    let pid = running_pid(opts, server);
                    let timeout = Duration::from_secs(3);
                    let plain_up = pid.is_some() && process::greets(port, timeout);
                    let listeners: Vec<(Listener, bool)> = tls_listeners(server, port)
                        .into_iter()
                        .map(|l| (l, pid.is_some() && process::listener_answers(&l, timeout)))
                        .collect();
                    ServerStatus {
                        name: server.to_string(),
                        up: plain_up && listeners.iter().all(|(_, up)| *up),
                        version: version_of(opts, server),
                        port,
                        pid,
                        listeners,
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("status thread"))
            .collect()
    });
    Ok(statuses)
}

/// Stops exactly what `up` started (each daemon's whole process group, SIGTERM then
/// SIGKILL after a grace period) and removes the pid files. Harmless when nothing runs.
/// The state (stores, configs, unpacked packages) stays for inspection.
pub fn down(opts: &LabOptions) -> Result<()> {
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = SERVERS
            .iter()
            .map(|server| {
                s.spawn(move || -> Result<()> {
                    let pidfile = server_dir(opts, server).join("pid");
                    if let Some(pid) = running_pid(opts, server) {
                        process::stop_group(pid, STOP_GRACE)
                            .with_context(|| format!("stopping {server}"))?;
                    }
                    stop_leftovers(opts, server)?;
                    if *server == courier::NAME {
                        courier::stop_gam_server(&server_dir(opts, server))?;
                    }
                    match fs::remove_file(&pidfile) {
                        Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
                        _ => Ok(()),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("down thread").err())
            .map(|e| format!("{e:#}"))
            .collect()
    });
    if !errors.is_empty() {
        bail!("lab down: {}", errors.join("; "));
    }
    Ok(())
}

/// Gives `user` of `server` an empty store: INBOX present (or created at LOGIN) and
/// empty, no other mailbox, no subscription (Cyrus subscribes INBOX itself when its
/// autocreate makes the account at the next LOGIN: that is how a new Cyrus user looks). Runs before every session, so it is quick:
/// file operations for Dovecot, Courier and Mailutils; one admin IMAP session for Cyrus,
/// whose mailboxes database rules out wiping files (see [`cyrus`]).
pub fn reset(opts: &LabOptions, server: &str, user: &str) -> Result<()> {
    check_server(server)?;
    let pool = fs::read_to_string(opts.state_dir.join("users")).with_context(|| {
        format!(
            "no lab in {} (run `imapconform lab up` first)",
            opts.state_dir.display()
        )
    })?;
    if !pool.lines().any(|u| u == user) {
        bail!("{user:?} is not a user of the lab's pool");
    }
    let dir = server_dir(opts, server);
    let lab_user = install::passwd_entry(install::LAB_USER)
        .with_context(|| format!("no {} account (run `lab up`)", install::LAB_USER))?;
    match server {
        dovecot::NAME => dovecot::reset(&dir, user, lab_user),
        cyrus::NAME => cyrus::reset(&dir, port_of(opts, server), user, lab_user),
        courier::NAME => courier::reset(&dir, user, lab_user),
        _ => mailutils::reset(&dir, user, lab_user),
    }
    .with_context(|| format!("resetting {user} on {server}"))
}

/// The start of every stdio script: hand the session directory (`$1`) to the lab user,
/// enter it, and run the rest (a `sh -c` argument that follows) as that user.
fn stdio_script_preamble(lab: LabUser) -> String {
    let (u, g) = (lab.uid, lab.gid);
    format!(
        "# Written by `imapconform lab up`. Usage: sh stdio.sh SESSION_DIR\n\
set -e\n\
chown {u}:{g} \"$1\"\n\
cd \"$1\"\n\
exec setpriv --reuid={u} --regid={g} --clear-groups sh -c "
    )
}

/// A stdio target `NAME-stdio` that runs `script` (written to `dir/stdio.sh`) with the
/// session's fresh directory as its argument.
fn script_target(name: &str, dir: &Path, script: &str) -> Result<Target> {
    let path = dir.join("stdio.sh");
    fs::write(&path, script)?;
    Ok(Target {
        name: format!("{name}-stdio"),
        spawn: Some(vec![
            "sh".into(),
            path.to_string_lossy().into_owned(),
            "{session_dir}".into(),
        ]),
        ..Default::default()
    })
}

/// Flags every `lab` subcommand takes.
#[derive(Clone, Debug, clap::Args)]
pub struct LabArgs {
    /// Directory for everything the lab writes (configs, mail stores, sockets, logs,
    /// pid files, unpacked packages, targets files). Keep it on tmpfs: Cyrus is ~100x
    /// slower on disk.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// First TCP port on 127.0.0.1: dovecot gets PORT, cyrus PORT+1, courier PORT+2,
    /// mailutils PORT+3 (plaintext, STARTTLS offered); each also gets PORT+10+i
    /// (implicit TLS) and PORT+20+i (STARTTLS required). `status`, `down` and `reset`
    /// use the ports `up` recorded.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_BASE_PORT)]
    pub base_port: u16,
    /// Test users per server (u1..uN, password pw-uI); at least 8. Concurrent sessions
    /// of one target each take a different user.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_USERS)]
    pub users: usize,
}

impl LabArgs {
    pub fn options(&self) -> LabOptions {
        LabOptions {
            state_dir: self.state_dir.clone(),
            base_port: self.base_port,
            users: self.users,
            exe: None,
        }
    }
}

/// `imapconform lab ...`: the local server lab (Dovecot, Cyrus, Courier-IMAP, GNU
/// Mailutils imap4d on 127.0.0.1). Needs root on Debian 12.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Install what is missing and start every server that is not running.
    ///
    /// Makes the lab's throwaway CA and server certificate in STATE_DIR/tls when missing
    /// or expiring within a day. Waits until each server greets and accepts LOGIN,
    /// offers STARTTLS, and listens on its TLS ports, then writes
    /// STATE_DIR/targets.toml (TCP targets with user pools and reset commands),
    /// STATE_DIR/targets-stdio.toml (one process per session) and
    /// STATE_DIR/targets-tls.toml (the same servers over implicit TLS, STARTTLS and
    /// STARTTLS-required ports, trusting STATE_DIR/tls/ca.pem). Harmless to repeat:
    /// running servers are left alone, dead ones are restarted on a fresh state.
    Up {
        #[command(flatten)]
        args: LabArgs,
        /// Also copy the TCP targets file to PATH.
        #[arg(long, value_name = "PATH")]
        targets_out: Option<PathBuf>,
    },
    /// Stop every server `up` started.
    ///
    /// Signals each daemon's whole process group by pid (SIGTERM, SIGKILL after 5 s) and
    /// removes the pid files. Mail stores and logs stay in STATE_DIR. Harmless when
    /// nothing runs.
    Down {
        #[command(flatten)]
        args: LabArgs,
    },
    /// Show each server: up/down, port, pid, TLS listeners and version.
    ///
    /// A server is up when its daemon's pid is alive, its port answers with an IMAP
    /// greeting and its TLS listeners answer (a listener that does not is marked DOWN).
    /// Exits 0 when all are up, 1 otherwise.
    Status {
        #[command(flatten)]
        args: LabArgs,
    },
    /// Start SERVER again if it is down; leave it alone if it runs.
    ///
    /// What `up` does, for one server: a dead daemon (or one that does not greet) is
    /// started again on a fresh state. The lab's targets run this as their `restart`
    /// hook when a session cannot reach the server, so a campaign goes on after a server
    /// died under it. Exits 0 when the server is up afterwards.
    Restart {
        #[command(flatten)]
        args: LabArgs,
        /// dovecot, cyrus, courier or mailutils.
        server: String,
    },
    /// Give USER of SERVER an empty store.
    ///
    /// Afterwards the user has an empty INBOX, no other mailbox and no subscription
    /// (except that Cyrus subscribes INBOX when it creates an account at first LOGIN).
    /// The lab's targets run this before every session.
    Reset {
        #[command(flatten)]
        args: LabArgs,
        /// dovecot, cyrus, courier or mailutils.
        server: String,
        /// A pool user, e.g. u1.
        user: String,
    },
}

/// Runs a `lab` subcommand; returns the process exit code.
pub fn run(cmd: LabCommand) -> Result<i32> {
    match cmd {
        LabCommand::Up { args, targets_out } => {
            let opts = args.options();
            let t = Instant::now();
            let statuses = up(&opts)?;
            for s in &statuses {
                println!("{s}");
            }
            let targets = opts.state_dir.join("targets.toml");
            if let Some(out) = targets_out {
                fs::copy(&targets, &out)
                    .with_context(|| format!("copying to {}", out.display()))?;
                println!(
                    "targets: {} (copied to {})",
                    targets.display(),
                    out.display()
                );
            } else {
                println!("targets: {}", targets.display());
            }
            println!(
                "TLS targets (implicit TLS, STARTTLS, LOGINDISABLED ports): {}",
                opts.state_dir.join("targets-tls.toml").display()
            );
            eprintln!("lab up took {:.2?}", t.elapsed());
            Ok(if statuses.iter().all(|s| s.up) { 0 } else { 1 })
        }
        LabCommand::Down { args } => {
            down(&args.options())?;
            Ok(0)
        }
        LabCommand::Status { args } => {
            let statuses = status(&args.options())?;
            for s in &statuses {
                println!("{s}");
            }
            Ok(if statuses.iter().all(|s| s.up) { 0 } else { 1 })
        }
        LabCommand::Restart { args, server } => {
            let status = restart(&args.options(), &server)?;
            println!("{status}");
            Ok(if status.up { 0 } else { 1 })
        }
        LabCommand::Reset { args, server, user } => {
            reset(&args.options(), &server, &user)?;
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests;
