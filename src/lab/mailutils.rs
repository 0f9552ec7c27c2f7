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

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::install::{self, LabUser};
use super::{Ctx, UserPool};

pub const NAME: &str = "mailutils";
pub const PACKAGE: &str = "mailutils-imap4d";

fn home(dir: &Path, user: &str) -> PathBuf {
    dir.join("home").join(user)
}

fn conf_path(dir: &Path) -> PathBuf {
    dir.join("imap4d.conf")
}

/// imap4d.conf for inetd mode: logs to stderr (the lab log), virtdomain users.
pub fn render_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
logging {{\n  syslog false;\n}};\n\
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
    fs::write(conf_path(dir), render_config(dir))?;
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
    let mut cmd = Command::new("/usr/sbin/couriertcpd");
    cmd.args([
        "-address=127.0.0.1",
        "-maxprocs=400",
        "-maxperip=400",
        "-nodnslookup",
        "-noidentlookup",
    ])
    .arg(ctx.port.to_string())
    // imap4d 3.15 can spin forever on one command (a quoted string with a bad escape,
    // found by the mutation `bad-escape`), long after the client has gone: a CPU-time
    // limit (SIGXCPU, then SIGKILL) keeps such a process from eating the machine.
    .args(["/usr/bin/prlimit", "--cpu=20:25", "--"])
    .arg("/usr/sbin/imap4d")
    .arg(format!("--config-file={}", conf_path(dir).display()))
    .arg("--inetd");
    Ok(cmd)
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
    fn config_has_no_top_level_tls_mode() {
        let c = render_config(Path::new("/s/mu"));
        assert!(!c.contains("tls-mode"));
        assert!(c.contains("passwd-dir \"/s/mu/domains\""));
    }
}
