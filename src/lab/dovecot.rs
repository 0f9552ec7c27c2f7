//! Dovecot (Debian's `dovecot-imapd`, 2.3.19 on Debian 12).
//!
//! lab-notes: `dovecot -F -c CONF` with a private base_dir/state_dir/log_path,
//! `ssl = no`, `disable_plaintext_auth = no`, passdb passwd-file with `user:{PLAIN}pass`,
//! userdb static uid/gid/home; `mail_max_userip_connections` raised (default 10).
//! Reset removes the user's home (no restart needed; Dovecot recreates it at LOGIN) and
//! makes the read-only mailbox again ([`super::read_only`]; `mail_plugins = acl` with a
//! global ACL file).
//!
//! TLS (the lab's certificate, [`super::certs`]): `ssl = yes` with `ssl_cert`/`ssl_key`
//! read with `<`, so the plaintext port offers STARTTLS (RFC 3501 §6.2.1) and still
//! allows LOGIN (`disable_plaintext_auth = no`); an `imaps` inet_listener with
//! `ssl = yes` serves implicit TLS on the TLS port.
//!
//! LOGINDISABLED: Dovecot's login process counts a connection as secured when it is TLS,
//! from `login_trusted_networks`, or when its remote address equals its local address
//! (`client->secured = ssl || trusted || net_ip_compare(real_remote_ip, real_local_ip)`
//! in login-common/client-common.c); a secured connection may always log in and never
//! sees LOGINDISABLED, whatever `disable_plaintext_auth` says. A client on 127.0.0.1
//! talking to 127.0.0.1 is therefore always secured. So the STARTTLS-required listener
//! binds [`LOGINDISABLED_IP`] (127.0.0.2): Linux gives a loopback connection to
//! 127.0.0.2 the source address 127.0.0.1 (the `local 127.0.0.0/8 ... src 127.0.0.1`
//! route), the two ends differ, and a `local 127.0.0.2 { disable_plaintext_auth = yes }`
//! block makes Dovecot advertise LOGINDISABLED and refuse LOGIN there until STARTTLS.
//! (A client that bound 127.0.0.2 itself would be secured again.)

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::certs::TlsFiles;
use super::install::{self, LabUser};
use super::{Ctx, UserPool};
use crate::targets::Target;

pub const NAME: &str = "dovecot";
pub const PACKAGE: &str = "dovecot-imapd";
/// Where the STARTTLS-required listener binds (see the module doc).
pub const LOGINDISABLED_IP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

fn conf_path(dir: &Path) -> PathBuf {
    dir.join("dovecot.conf")
}

fn home(dir: &Path, user: &str) -> PathBuf {
    dir.join("mail").join(user)
}

/// The whole dovecot.conf: nothing from /etc/dovecot is read. `port` is the plaintext
/// port; implicit TLS listens on `port + 10`, STARTTLS-required on 127.0.0.2:`port + 20`.
pub fn render_config(dir: &Path, port: u16, lab_user: &str, tls: &TlsFiles) -> String {
    let d = dir.display();
    let tls_port = port + super::TLS_PORT_OFFSET;
    let ld_port = port + super::LOGINDISABLED_PORT_OFFSET;
    let (cert, key) = (tls.cert.display(), tls.key.display());
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
base_dir = {d}/run\n\
state_dir = {d}/state\n\
log_path = {d}/dovecot.log\n\
instance_name = imapconform-lab-dovecot\n\
protocols = imap\n\
listen = 127.0.0.1\n\
ssl = yes\n\
ssl_cert = <{cert}\n\
ssl_key = <{key}\n\
ssl_min_protocol = TLSv1.2\n\
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
    address = 127.0.0.1\n\
    port = {tls_port}\n\
    ssl = yes\n\
  }}\n\
  inet_listener imap_logindisabled {{\n\
    address = {LOGINDISABLED_IP}\n\
    port = {ld_port}\n\
  }}\n\
}}\n\
local {LOGINDISABLED_IP} {{\n\
  disable_plaintext_auth = yes\n\
}}\n\
passdb {{\n\
  driver = passwd-file\n\
  args = scheme=PLAIN {d}/passwd\n\
}}\n\
userdb {{\n\
  driver = static\n\
  args = uid={lab_user} gid={lab_user} home={d}/mail/%u\n\
}}\n\
mail_location = maildir:~/Maildir\n\
mail_plugins = acl\n\
plugin {{\n\
  acl = vfile:{d}/{ACL_FILE}\n\
}}\n"
    )
}

/// The global ACL file ([`super::read_only::DOVECOT_ACL`]), in the server's directory.
const ACL_FILE: &str = "acl-global";

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
        render_config(dir, ctx.port, install::LAB_USER, ctx.tls),
    )?;
    fs::write(dir.join("passwd"), render_passwd(ctx.users))?;
    fs::write(dir.join(ACL_FILE), super::read_only::DOVECOT_ACL)?;
    install::mkdir_owned(&dir.join("mail"), ctx.lab_user)?;
    let mut cmd = Command::new("/usr/sbin/dovecot");
    cmd.arg("-F").arg("-c").arg(conf_path(dir));
    Ok(cmd)
}

/// Empties `user`'s store by removing its home, then makes its read-only mailbox again
/// ([`super::read_only`]: hidden from LIST, so the store looks empty); Dovecot makes
/// the rest at LOGIN.
pub fn reset(dir: &Path, user: &str, lab: LabUser) -> Result<()> {
    let home = home(dir, user);
    super::remove_tree(&home)?;
    super::read_only::make_dovecot_maildir(&home, lab)
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
        let tls = TlsFiles::new(Path::new("/s"));
        let c = render_config(Path::new("/s/dovecot"), 14300, "lab", &tls);
        assert!(c.contains("base_dir = /s/dovecot/run\n"));
        assert!(c.contains("port = 14300\n"));
        assert!(c.contains("address = 127.0.0.1\n"));
        assert!(c.contains("uid=lab gid=lab home=/s/dovecot/mail/%u"));
        assert!(!c.contains("/etc/dovecot"));
        assert!(!c.contains("/etc/ssl") && !c.contains("/usr/share/dovecot"));
        // TLS: the lab's files, plaintext LOGIN still allowed on the plaintext port.
        assert!(c.contains("ssl = yes\n"));
        assert!(c.contains("ssl_cert = </s/tls/server.pem\n"));
        assert!(c.contains("ssl_key = </s/tls/server.key\n"));
        assert!(c.contains("disable_plaintext_auth = no\n"));
        assert!(c.contains("port = 14310\nssl = yes\n"));
        assert!(c.contains("address = 127.0.0.2\nport = 14320\n"));
        assert!(c.contains("local 127.0.0.2 {\ndisable_plaintext_auth = yes\n}"));
        // The read-only mailbox's ACL: the plugin and the global file.
        assert!(c.contains("mail_plugins = acl\nplugin {\nacl = vfile:/s/dovecot/acl-global\n}\n"));
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
