//! GNU Mailutils imap4d (`mailutils-imap4d` 3.15).
//!
//! lab-notes: with the `virtdomain` module a bare user name works only in inetd mode
//! (one imap4d per connection; daemon mode needs `user@localhost`), and a top-level
//! `tls-mode false;` breaks inetd mode. So the lab runs imap4d per connection behind
//! `couriertcpd` (from courier-base, which the lab installs anyway for Courier; it is
//! always there, unlike `systemd-socket-activate`, and it has per-IP and total limits).
//!
//! Users: `virtdomain` authorization reads `<passwd-dir>/<domain>`, where the domain of a
//! bare name is the reverse name of the address the client connected to (127.0.0.1 →
//! usually `localhost`), so the same passwd file is written under every name 127.0.0.1
//! may resolve to. Authentication is `generic` (crypt(3) against that file; a
//! `virtdomain` authentication module refuses every password). Each user's home holds
//! the INBOX, which must exist before the first LOGIN (lab-notes).
//!
//! Mailboxes are in mbox format, not maildir: imap4d notices a change of a maildir by
//! its directory's mtime, in whole seconds, so a message APPENDed to the selected
//! mailbox shows up (EXISTS, FETCH 1:*) at once or only a second later depending on the
//! clock; a replayed case then answers differently. With mbox it notices the file's size
//! and answers the same every time (measured: 20 of 20 sessions saw the APPEND at once,
//! against 1 of 20 with maildir).
//!
//! TLS (the lab's certificate, [`super::certs`]): in inetd mode imap4d takes its TLS
//! mode from the top-level `tls-mode` statement and its files from the top-level `tls`
//! block (`server` blocks only configure daemon mode's listeners), so each of the three
//! ports gets its own `couriertcpd` and its own configuration file ([`TlsPort`]):
//! - the plaintext port: `tls-mode ondemand` (STARTTLS offered, LOGIN allowed);
//! - the TLS port: `tls-mode connection` (TLS from the first byte);
//! - the STARTTLS-required port: `tls-mode required` refuses LOGIN until STARTTLS but
//!   advertises only `XTLSREQUIRED`; `login-disabled yes` adds LOGINDISABLED, which
//!   imap4d withdraws (and re-enables LOGIN) once STARTTLS succeeds.
//!
//! lab-notes warn that a top-level `tls-mode false;` breaks inetd mode; the modes above
//! are the ones measured to work. imap4d refuses a key file its group can read, so the
//! lab's key is 0600 (imap4d reads it as root, before it switches to the user).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::certs::TlsFiles;
use super::install::{self, LabUser};
use super::{Ctx, UserPool};

pub const NAME: &str = "mailutils";
pub const PACKAGE: &str = "mailutils-imap4d";

fn home(dir: &Path, user: &str) -> PathBuf {
    dir.join("home").join(user)
}

/// Which of its three ports an imap4d configuration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsPort {
    /// Plaintext, STARTTLS offered, LOGIN allowed.
    Plain,
    /// Implicit TLS.
    Implicit,
    /// STARTTLS required: LOGINDISABLED until STARTTLS.
    LoginDisabled,
}

impl TlsPort {
    pub const ALL: [TlsPort; 3] = [TlsPort::Plain, TlsPort::Implicit, TlsPort::LoginDisabled];

    fn conf_name(self) -> &'static str {
        match self {
            TlsPort::Plain => "imap4d.conf",
            TlsPort::Implicit => "imap4d-tls.conf",
            TlsPort::LoginDisabled => "imap4d-logindisabled.conf",
        }
    }

    /// The statements that set the TLS mode.
    fn statements(self) -> &'static str {
        match self {
            TlsPort::Plain => "tls-mode ondemand;\n",
            TlsPort::Implicit => "tls-mode connection;\n",
            TlsPort::LoginDisabled => "tls-mode required;\nlogin-disabled yes;\n",
        }
    }

    /// The port this configuration serves, given the plaintext port.
    pub fn port(self, plain: u16) -> u16 {
        match self {
            TlsPort::Plain => plain,
            TlsPort::Implicit => plain + super::TLS_PORT_OFFSET,
            TlsPort::LoginDisabled => plain + super::LOGINDISABLED_PORT_OFFSET,
        }
    }
}

fn conf_for(dir: &Path, which: TlsPort) -> PathBuf {
    dir.join(which.conf_name())
}

/// imap4d.conf for inetd mode: logs to stderr (the lab log), virtdomain users, and the
/// TLS mode of port `which` with the lab's certificate.
pub fn render_config(dir: &Path, which: TlsPort, tls: &TlsFiles) -> String {
    let d = dir.display();
    let (cert, key) = (tls.cert.display(), tls.key.display());
    let mode = which.statements();
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
logging {{\n  syslog false;\n}};\n\
{mode}\
tls {{\n  ssl-certificate-file \"{cert}\";\n  ssl-key-file \"{key}\";\n}};\n\
auth {{\n  authorization virtdomain;\n  authentication generic;\n}};\n\
virtdomain {{\n  passwd-dir \"{d}/domains\";\n}};\n\
mailbox {{\n  mailbox-type mbox;\n  mailbox-pattern \"mbox://{d}/home/${{user}}/INBOX\";\n}};\n"
    )
}

/// A passwd(5)-style file for virtdomain: `user:hash:uid:gid::home:shell`.
pub fn render_passwd(dir: &Path, users: &UserPool, hashes: &[String], lab: LabUser) -> String {
    let mut s = String::new();
    for (c, h) in users.iter().zip(hashes) {
        let _ = writeln!(
            s,
            "{}:{}:{}:{}::{}:/usr/sbin/nologin",
            c.user,
            h,
            lab.uid,
            lab.gid,
            home(dir, &c.user).display()
        );
    }
    s
}

/// Every name 127.0.0.1 may reverse-resolve to: `localhost`, `localhost.localdomain`,
/// the names /etc/hosts gives it, and this host's name.
pub fn loopback_names(hosts: &str, hostname: &str) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "localhost.localdomain".to_string()];
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split_whitespace();
        if f.next() == Some("127.0.0.1") {
            names.extend(f.map(str::to_string));
        }
    }
    let h = hostname.trim();
    if !h.is_empty() {
        names.push(h.to_string());
    }
    names.retain(|n| !n.contains('/') && !n.starts_with('.'));
    names.sort();
    names.dedup();
    names
}

/// Writes a fresh state and returns the per-connection launcher command.
pub fn prepare(ctx: &Ctx) -> Result<Command> {
    let dir = &ctx.dir;
    let domains = dir.join("domains");
    fs::create_dir_all(&domains)?;
    for which in TlsPort::ALL {
        fs::write(conf_for(dir, which), render_config(dir, which, ctx.tls))?;
    }
    let pws: Vec<&str> = ctx.users.iter().map(|c| c.password.as_str()).collect();
    let hashes = install::crypt_sha512(&pws)?;
    let passwd = render_passwd(dir, ctx.users, &hashes, ctx.lab_user);
    let hosts = fs::read_to_string("/etc/hosts").unwrap_or_default();
    let hostname = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    for n in loopback_names(&hosts, &hostname) {
        fs::write(domains.join(n), &passwd)?;
    }
    for c in ctx.users {
        reset(dir, &c.user, ctx.lab_user)?;
    }
    let launcher = dir.join("launch.sh");
    fs::write(&launcher, render_launcher(dir, ctx.port))?;
    let mut cmd = Command::new("sh");
    cmd.arg(&launcher);
    Ok(cmd)
}

/// The launcher: one `couriertcpd` per port (two in the background, the plaintext one
/// in its place), all in the launcher's process group, each running one imap4d per
/// connection with that port's configuration.
pub fn render_launcher(dir: &Path, port: u16) -> String {
    let mut s = String::from(
        "# Written by `imapconform lab up`; run as: sh THIS\n\
TCPD=\"/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=400 -maxperip=400 -nodnslookup -noidentlookup\"\n\
# imap4d 3.15 can spin forever on one command (a quoted string with a bad escape, found\n\
# by the mutation `bad-escape`), long after the client has gone: a CPU-time limit\n\
# (SIGXCPU, then SIGKILL) keeps such a process from eating the machine.\n\
IMAP4D=\"/usr/bin/prlimit --cpu=20:25 -- /usr/sbin/imap4d --inetd\"\n",
    );
    for which in [TlsPort::Implicit, TlsPort::LoginDisabled, TlsPort::Plain] {
        let conf = conf_for(dir, which);
        let (exec, bg) = if which == TlsPort::Plain {
            ("exec ", "")
        } else {
            ("", " &")
        };
        let _ = writeln!(
            s,
            "{exec}$TCPD {} $IMAP4D --config-file={}{bg}",
            which.port(port),
            conf.display()
        );
    }
    s
}

/// Recreates `user`'s home with an empty INBOX mbox (subscriptions and the other
/// mailboxes live in the home too).
pub fn reset(dir: &Path, user: &str, lab: LabUser) -> Result<()> {
    let h = home(dir, user);
    super::remove_tree(&h)?;
    install::mkdir_owned(&h, lab)?;
    let inbox = h.join("INBOX");
    fs::write(&inbox, b"")?;
    std::os::unix::fs::chown(&inbox, Some(lab.uid), Some(lab.gid))?;
    Ok(())
}

/// The per-session script of the stdio target: `stdio.sh SESSION_DIR` writes a
/// PREAUTH configuration for that session (lab-notes: `preauth stdio; mode inetd;`,
/// ~16 ms a session) whose personal namespace and INBOX live in SESSION_DIR/mail, and
/// runs one imap4d on stdin/stdout as the lab user.
pub fn render_stdio_script(lab: LabUser) -> String {
    format!(
        "{}'\n\
set -e\n\
mkdir -p mail\n\
: > mail/INBOX\n\
cat > imap4d.conf <<EOF\n\
logging {{ syslog false; }};\n\
preauth stdio;\n\
mode inetd;\n\
mailbox {{ mailbox-type mbox; mailbox-pattern \"mbox://$1/mail/INBOX\"; }};\n\
namespace personal {{ prefix \"\" {{ directory \"$1/mail\"; }}; }};\n\
EOF\n\
exec /usr/sbin/imap4d --config-file=\"$1/imap4d.conf\"\n\
' sh \"$(pwd)\"\n",
        super::stdio_script_preamble(lab)
    )
}

/// One imap4d per session on stdin/stdout, PREAUTH, mail in the session directory, as
/// the lab user. Writes `dir/stdio.sh`.
pub fn stdio_target(dir: &Path, lab: LabUser) -> Result<crate::targets::Target> {
    super::script_target(NAME, dir, &render_stdio_script(lab))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_come_from_hosts_and_hostname() {
        let hosts = "127.0.0.1\tlocalhost lab.example # x\n::1 ip6-localhost\n127.0.1.1 vm\n";
        assert_eq!(
            loopback_names(hosts, "vm\n"),
            vec!["lab.example", "localhost", "localhost.localdomain", "vm"]
        );
    }

    #[test]
    fn stdio_script_runs_preauth_as_the_lab_user() {
        let s = render_stdio_script(LabUser { uid: 7, gid: 8 });
        assert!(s.contains("setpriv --reuid=7 --regid=8 --clear-groups"));
        assert!(s.contains("preauth stdio;"));
        assert!(s.contains("mbox://$1/mail/INBOX"));
    }

    #[test]
    fn each_port_has_its_tls_mode_and_never_tls_mode_false() {
        let tls = TlsFiles::new(Path::new("/s"));
        let plain = render_config(Path::new("/s/mu"), TlsPort::Plain, &tls);
        assert!(plain.contains("passwd-dir \"/s/mu/domains\""));
        assert!(plain.contains("\ntls-mode ondemand;\n"));
        assert!(!plain.contains("login-disabled"));
        assert!(plain.contains("ssl-certificate-file \"/s/tls/server.pem\";"));
        assert!(plain.contains("ssl-key-file \"/s/tls/server.key\";"));
        let implicit = render_config(Path::new("/s/mu"), TlsPort::Implicit, &tls);
        assert!(implicit.contains("\ntls-mode connection;\n"));
        let ld = render_config(Path::new("/s/mu"), TlsPort::LoginDisabled, &tls);
        assert!(ld.contains("\ntls-mode required;\nlogin-disabled yes;\n"));
        for c in [plain, implicit, ld] {
            assert!(
                !c.contains("tls-mode false"),
                "lab-notes: breaks inetd mode"
            );
        }
    }

    #[test]
    fn launcher_runs_one_couriertcpd_per_port() {
        let l = render_launcher(Path::new("/s/mu"), 14303);
        assert!(l.contains("$TCPD 14313 $IMAP4D --config-file=/s/mu/imap4d-tls.conf &\n"));
        assert!(l.contains("$TCPD 14323 $IMAP4D --config-file=/s/mu/imap4d-logindisabled.conf &\n"));
        assert!(l.ends_with("exec $TCPD 14303 $IMAP4D --config-file=/s/mu/imap4d.conf\n"));
        assert!(l.contains("-address=127.0.0.1"));
        assert!(l.contains("prlimit --cpu=20:25"));
    }
}
