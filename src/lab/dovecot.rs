//! Dovecot (Debian's `dovecot-imapd`, 2.3.19 on Debian 12).
//!
//! lab-notes: `dovecot -F -c CONF` with a private base_dir/state_dir/log_path,
//! `ssl = no`, `disable_plaintext_auth = no`, passdb passwd-file with `user:{PLAIN}pass`,
//! userdb static uid/gid/home; `mail_max_userip_connections` raised (default 10).
//! Reset removes the user's home (no restart needed; Dovecot recreates it at LOGIN).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::install::{self, LabUser};
use super::{Ctx, UserPool};
use crate::targets::Target;

pub const NAME: &str = "dovecot";
pub const PACKAGE: &str = "dovecot-imapd";

fn conf_path(dir: &Path) -> PathBuf {
    dir.join("dovecot.conf")
}

fn home(dir: &Path, user: &str) -> PathBuf {
    dir.join("mail").join(user)
}

/// The whole dovecot.conf: nothing from /etc/dovecot is read.
pub fn render_config(dir: &Path, port: u16, lab_user: &str) -> String {
    let d = dir.display();
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
base_dir = {d}/run\n\
state_dir = {d}/state\n\
log_path = {d}/dovecot.log\n\
instance_name = imapconform-lab-dovecot\n\
protocols = imap\n\
listen = 127.0.0.1\n\
ssl = no\n\
disable_plaintext_auth = no\n\
mail_max_userip_connections = 1000\n\
default_internal_user = {lab_user}\n\
default_internal_group = {lab_user}\n\
default_login_user = {lab_user}\n\
service imap-login {{\n\
  inet_listener imap {{\n\
    address = 127.0.0.1\n\
    port = {port}\n\
  }}\n\
  inet_listener imaps {{\n\
    port = 0\n\
  }}\n\
}}\n\
passdb {{\n\
  driver = passwd-file\n\
  args = scheme=PLAIN {d}/passwd\n\
}}\n\
userdb {{\n\
  driver = static\n\
  args = uid={lab_user} gid={lab_user} home={d}/mail/%u\n\
}}\n\
mail_location = maildir:~/Maildir\n"
    )
}

/// The passwd-file: `user:{PLAIN}password` per line.
pub fn render_passwd(users: &UserPool) -> String {
    let mut s = String::new();
    for c in users {
        let _ = writeln!(s, "{}:{{PLAIN}}{}", c.user, c.password);
    }
    s
}

/// Writes a fresh state (config, passwd-file, empty mail root) and returns the command
/// that runs Dovecot in the foreground.
pub fn prepare(ctx: &Ctx) -> Result<Command> {
    let dir = &ctx.dir;
    fs::create_dir_all(dir.join("run"))?;
    fs::create_dir_all(dir.join("state"))?;
    fs::write(
        conf_path(dir),
        render_config(dir, ctx.port, install::LAB_USER),
    )?;
    fs::write(dir.join("passwd"), render_passwd(ctx.users))?;
    install::mkdir_owned(&dir.join("mail"), ctx.lab_user)?;
    let mut cmd = Command::new("/usr/sbin/dovecot");
    cmd.arg("-F").arg("-c").arg(conf_path(dir));
    Ok(cmd)
}

/// Empties `user`'s store by removing its home; Dovecot makes a new INBOX at LOGIN.
pub fn reset(dir: &Path, user: &str, _lab: LabUser) -> Result<()> {
    super::remove_tree(&home(dir, user))
}

/// One `imap` process per session on stdin/stdout, PREAUTH, with a fresh maildir in the
/// session directory (lab-notes: `-o mail_uid/-o mail_gid/-o mail_location` with USER
/// and HOME set; ~10 ms a session).
pub fn stdio_target(dir: &Path, lab: LabUser) -> Target {
    let script = format!(
        "chown {uid}:{gid} {{session_dir}} && cd {{session_dir}} && \
         USER={user} HOME={{session_dir}} exec /usr/lib/dovecot/imap -c {conf} \
         -o mail_uid={uid} -o mail_gid={gid} -o mail_location=maildir:{{session_dir}}/Maildir",
        uid = lab.uid,
        gid = lab.gid,
        user = install::LAB_USER,
        conf = conf_path(dir).display()
    );
    Target {
        name: format!("{NAME}-stdio"),
        spawn: Some(vec!["sh".into(), "-c".into(), script]),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Credentials;

    #[test]
    fn config_is_private_and_local() {
        let c = render_config(Path::new("/s/dovecot"), 14300, "lab");
        assert!(c.contains("base_dir = /s/dovecot/run\n"));
        assert!(c.contains("port = 14300\n"));
        assert!(c.contains("address = 127.0.0.1\n"));
        assert!(c.contains("uid=lab gid=lab home=/s/dovecot/mail/%u"));
        assert!(!c.contains("/etc/dovecot"));
    }

    #[test]
    fn passwd_file_has_plain_passwords() {
        let users = vec![Credentials {
            user: "u1".into(),
            password: "p1".into(),
        }];
        assert_eq!(render_passwd(&users), "u1:{PLAIN}p1\n");
    }
}
