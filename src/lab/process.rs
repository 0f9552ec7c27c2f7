//! Starting, finding and stopping the lab's daemons, and talking just enough IMAP to
//! know that one is ready.
//!
//! Every daemon is started in a process group of its own (its pid is the group id), so
//! `down` can signal the daemon and every child it forked (Dovecot's services, Cyrus'
//! per-connection `imapd -U 1`, `couriertcpd`'s `imaplogin`/`imapd`, Courier's
//! `authdaemond`) with one `kill(-pgid)`. The lab runs as root and most daemons drop
//! privileges in their children, so group membership, not the owner, is what finds them.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::{Listener, ListenerKind};

/// Starts `cmd` detached from us: its own process group, stdin from /dev/null, stdout
/// and stderr appended to `log`, and no other descriptor of ours. Returns the pid (which
/// is also the process group id).
///
/// A daemon outlives the command that started it: a descriptor it inherited (a lock
/// taken with `flock(1)` around `lab up`, a pipe a CI runner reads until EOF) would stay
/// held as long as the lab runs.
pub fn spawn_daemon(mut cmd: Command, log: &Path) -> Result<u32> {
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening log {}", log.display()))?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    // SAFETY: between fork and exec only async-signal-safe calls (getrlimit, fcntl).
    unsafe {
        cmd.pre_exec(|| {
            close_on_exec_from(3);
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    Ok(child.id())
}

/// Marks every descriptor from `first` on close-on-exec (one not open: nothing to do).
fn close_on_exec_from(first: libc::c_int) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and fcntl take no pointers but `limit`, which lives here.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur.min(65_536) as libc::c_int
    } else {
        1024
    };
    for fd in first..max {
        // SAFETY: F_GETFD/F_SETFD on a descriptor number; EBADF where none is open.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

/// Whether a process with this pid exists and is not a zombie.
///
/// Zombies count as dead: on this machine pid 1 does not always reap orphans, so an
/// exited daemon can linger as `<defunct>` forever.
pub fn alive(pid: u32) -> bool {
    reap(pid);
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => proc_state(&stat).is_some_and(|s| s != 'Z' && s != 'X'),
        Err(_) => false,
    }
}

/// Reaps `pid` if it is our own exited child (when `up` and `down` run in one process,
/// as in the tests); harmless otherwise.
fn reap(pid: u32) {
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG only inspects; a pid that is not our child gives ECHILD.
    unsafe {
        libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG);
    }
}

/// The state letter and process group from a `/proc/PID/stat` line.
fn proc_state(stat: &str) -> Option<char> {
    // "pid (comm) S ppid pgrp ..."; comm may contain spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

fn proc_pgrp(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// The live (non-zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) {
            if proc_pgrp(&stat) == Some(pgid)
                && proc_state(&stat).is_some_and(|s| s != 'Z' && s != 'X')
            {
                out.push(pid);
            }
        }
    }
    out
}

/// Live processes whose argument vector and environment (`KEY=value` strings) satisfy
/// `pred`.
pub fn pids_where(pred: impl Fn(&[String], &[String]) -> bool) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let nul_separated = |path: String| -> Vec<String> {
        fs::read(path)
            .unwrap_or_default()
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|pid| {
            let argv = nul_separated(format!("/proc/{pid}/cmdline"));
            let env = nul_separated(format!("/proc/{pid}/environ"));
            alive(*pid) && pred(&argv, &env)
        })
        .collect()
}

/// Stops one process: SIGTERM, then SIGKILL after `grace`.
pub fn stop_process(pid: u32, grace: Duration) -> Result<()> {
    // SAFETY: plain kill(2) on a process the caller identified as the lab's.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let start = std::time::Instant::now();
    while alive(pid) && start.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(20));
    }
    if alive(pid) {
        // SAFETY: as above.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        bail!("process {pid} survived SIGKILL");
    }
    Ok(())
}

fn signal_group(pgid: u32, sig: libc::c_int) {
    // SAFETY: plain kill(2) on a process group we started.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), sig);
    }
}

/// Stops the process group `pgid`: SIGTERM, wait up to `grace` for every member to
/// exit, then SIGKILL what is left and wait again. Errors if anything survives.
pub fn stop_group(pgid: u32, grace: Duration) -> Result<()> {
    if pgid <= 1 {
        bail!("refusing to signal process group {pgid}");
    }
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        reap(pgid);
        if group_members(pgid).is_empty() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    signal_group(pgid, libc::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        reap(pgid);
        let left = group_members(pgid);
        if left.is_empty() {
            return Ok(());
        }
        for p in left {
            // Members that left the group cannot be reached by -pgid; these are in it.
            unsafe {
                libc::kill(p as libc::pid_t, libc::SIGKILL);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    bail!(
        "process group {pgid} survived SIGKILL: {:?}",
        group_members(pgid)
    )
}

/// Reads a pid file written by the lab.
pub fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A minimal line-based IMAP client, enough to probe greetings, log in and run the
/// admin commands the lab needs. Not a general client.
pub struct Probe {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Probe {
    /// Connects and reads the greeting line. Dovecot's interim
    /// `* OK Waiting for authentication process to respond..` line is skipped, so the
    /// returned line is the real greeting.
    pub fn connect(port: u16, timeout: Duration) -> Result<(Probe, String)> {
        Probe::connect_addr(SocketAddr::from(([127, 0, 0, 1], port)), timeout)
    }

    /// [`Probe::connect`] to any address.
    pub fn connect_addr(addr: SocketAddr, timeout: Duration) -> Result<(Probe, String)> {
        let port = addr.port();
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        s.set_nodelay(true)?;
        let mut p = Probe {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
            tag: 0,
        };
        loop {
            let line = p.line()?;
            if line.contains("Waiting for authentication") {
                continue;
            }
            if !line.starts_with("* OK") && !line.starts_with("* PREAUTH") {
                bail!("unexpected greeting on port {port}: {line:?}");
            }
            return Ok((p, line));
        }
    }

    fn line(&mut self) -> Result<String> {
        let mut buf = Vec::new();
        let n = self.reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            bail!("connection closed");
        }
        Ok(String::from_utf8_lossy(&buf).trim_end().to_string())
    }

    /// Sends one command (without tag and CRLF) and reads up to its tagged answer.
    /// Returns the untagged lines and the tagged line. Literals are not supported in
    /// answers beyond skipping them as lines, which is enough for the lab's probes.
    pub fn command(&mut self, cmd: &str) -> Result<(Vec<String>, String)> {
        self.tag += 1;
        let tag = format!("L{}", self.tag);
        self.writer
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())?;
        self.read_tagged(&tag)
    }

    /// Sends a command carrying one synchronizing literal (e.g. APPEND).
    pub fn command_with_literal(&mut self, head: &str, literal: &[u8]) -> Result<String> {
        self.tag += 1;
        let tag = format!("L{}", self.tag);
        self.writer
            .write_all(format!("{tag} {head} {{{}}}\r\n", literal.len()).as_bytes())?;
        let cont = self.line()?;
        if !cont.starts_with('+') {
            return Ok(cont);
        }
        self.writer.write_all(literal)?;
        self.writer.write_all(b"\r\n")?;
        Ok(self.read_tagged(&tag)?.1)
    }

    fn read_tagged(&mut self, tag: &str) -> Result<(Vec<String>, String)> {
        let mut untagged = Vec::new();
        loop {
            let line = self.line()?;
            if line.starts_with(tag) && line[tag.len()..].starts_with(' ') {
                return Ok((untagged, line));
            }
            untagged.push(line);
        }
    }

    /// LOGIN with quoted strings; errors unless the answer is OK.
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        let (_, tagged) = self.command(&format!("LOGIN {} {}", quote(user), quote(password)))?;
        if !is_ok(&tagged) {
            return Err(anyhow!("LOGIN {user} refused: {tagged}"));
        }
        Ok(())
    }

    /// The capability names of a CAPABILITY command's answer, upper-cased
    /// (RFC 3501 §6.1.1, §7.2.1).
    pub fn capabilities(&mut self) -> Result<Vec<String>> {
        let (lines, tagged) = self.command("CAPABILITY")?;
        if !is_ok(&tagged) {
            bail!("CAPABILITY failed: {tagged}");
        }
        Ok(capability_names(&lines))
    }

    /// LOGOUT, ignoring what happens to the connection afterwards.
    pub fn logout(mut self) {
        let _ = self.command("LOGOUT");
    }
}

/// The names in `* CAPABILITY ...` lines, upper-cased.
pub fn capability_names(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("*")
                && words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("CAPABILITY")))
            .then(|| words.map(str::to_ascii_uppercase).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

/// Whether a tagged answer line is OK.
pub fn is_ok(tagged: &str) -> bool {
    tagged
        .split_whitespace()
        .nth(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
}

/// An IMAP quoted string (the lab's names and passwords have no CR/LF).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Waits until the server on `port` greets and `user` can log in, or `timeout` passes.
/// Gives up early if the daemon `pid` dies. Returns the greeting.
pub fn wait_ready(
    pid: u32,
    port: u16,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Result<String> {
    let deadline = Instant::now() + timeout;
    let mut last_err = anyhow!("no attempt");
    while Instant::now() < deadline {
        if !alive(pid) {
            bail!("the daemon (pid {pid}) exited while starting");
        }
        match Probe::connect(port, Duration::from_secs(5)).and_then(|(mut p, greeting)| {
            p.login(user, password)?;
            p.logout();
            Ok(greeting)
        }) {
            Ok(g) => return Ok(g),
            Err(e) => last_err = e,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(last_err.context(format!(
        "port {port} did not greet and accept LOGIN {user} within {timeout:?}"
    )))
}

/// Checks one TLS listener of a lab server:
/// - implicit TLS: a TCP connection is accepted. This is where a TLS handshake verified
///   against the lab's CA for [`super::certs::SERVER_NAME`], and the `* OK` greeting
///   read through it, belong once the project has a TLS client (being written on the
///   `tls` branch); until then `lab up` checks no more than that the port listens;
/// - STARTTLS required: the plaintext greeting, and CAPABILITY advertising both
///   STARTTLS and LOGINDISABLED (RFC 3501 §6.2.3, §7.2.1).
pub fn check_listener(l: &Listener, timeout: Duration) -> Result<()> {
    match l.kind {
        ListenerKind::Implicit => {
            TcpStream::connect_timeout(&l.addr(), timeout)
                .with_context(|| format!("implicit TLS port {}", l.addr()))?;
            Ok(())
        }
        ListenerKind::LoginDisabled => {
            let (mut p, _) = Probe::connect_addr(l.addr(), timeout)?;
            let caps = p.capabilities()?;
            p.logout();
            for want in ["STARTTLS", "LOGINDISABLED"] {
                if !caps.iter().any(|c| c == want) {
                    bail!(
                        "{}: CAPABILITY lacks {want} before STARTTLS: {}",
                        l.addr(),
                        caps.join(" ")
                    );
                }
            }
            Ok(())
        }
    }
}

/// Whether [`check_listener`] passes.
pub fn listener_answers(l: &Listener, timeout: Duration) -> bool {
    check_listener(l, timeout).is_ok()
}

/// Checks that the plaintext port `port` advertises STARTTLS, and LOGIN (no
/// LOGINDISABLED), before TLS.
pub fn check_starttls_offered(port: u16, timeout: Duration) -> Result<()> {
    let (mut p, _) = Probe::connect(port, timeout)?;
    let caps = p.capabilities()?;
    p.logout();
    if !caps.iter().any(|c| c == "STARTTLS") {
        bail!("port {port}: CAPABILITY lacks STARTTLS: {}", caps.join(" "));
    }
    if caps.iter().any(|c| c == "LOGINDISABLED") {
        bail!("port {port}: plaintext LOGIN must stay allowed, but it advertises LOGINDISABLED");
    }
    Ok(())
}

/// Waits until the plaintext port `port` offers STARTTLS and every listener passes
/// [`check_listener`], or `timeout` passes. Gives up early if the daemon `pid` dies.
pub fn wait_tls_ready(
    pid: u32,
    port: u16,
    listeners: &[Listener],
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let check = || -> Result<()> {
        check_starttls_offered(port, Duration::from_secs(5))?;
        for l in listeners {
            check_listener(l, Duration::from_secs(5))?;
        }
        Ok(())
    };
    let mut last_err = anyhow!("no attempt");
    loop {
        if !alive(pid) {
            bail!("the daemon (pid {pid}) exited while starting");
        }
        match check() {
            Ok(()) => return Ok(()),
            Err(e) => last_err = e,
        }
        if Instant::now() >= deadline {
            return Err(last_err.context("TLS listeners not ready"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something on `port` answers with an IMAP greeting within `timeout`.
pub fn greets(port: u16, timeout: Duration) -> bool {
    Probe::connect(port, timeout).is_ok()
}

/// Runs a command to completion; errors with its output if it fails.
pub fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed ({}): {}{}",
            cmd,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat() {
        let stat = "123 (a (b) c) S 1 456 456 0 -1 4194560";
        assert_eq!(proc_state(stat), Some('S'));
        assert_eq!(proc_pgrp(stat), Some(456));
    }

    #[test]
    fn capability_names_are_read_from_untagged_lines() {
        let lines = vec![
            "* CAPABILITY IMAP4rev1 starttls LOGINDISABLED".to_string(),
            "* OK [ALERT] not this".to_string(),
        ];
        assert_eq!(
            capability_names(&lines),
            vec!["IMAP4REV1", "STARTTLS", "LOGINDISABLED"]
        );
        assert!(capability_names(&["* OK x".to_string()]).is_empty());
    }

    #[test]
    fn quotes_and_judges_answers() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert!(is_ok("L1 OK done"));
        assert!(is_ok("L1 ok"));
        assert!(!is_ok("L1 NO [TRYCREATE] x"));
    }

    #[test]
    fn our_own_process_is_alive_and_a_stranger_is_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX - 1));
    }
}
