//! Courier-IMAP (`courier-imap` 5.0.13, unpacked privately; `couriertcpd`, `maildirmake`
//! and the authdaemon come from the co-installable courier-base/-authdaemon/-authlib-userdb).
//!
//! lab-notes: authdaemon's socket directory and the /etc/courier paths are compiled in,
//! so the whole group runs in `unshare --mount` with bind mounts of private directories
//! over /etc/courier and /run/courier/authdaemon (a private mount namespace: the system's
//! files are untouched). couriertcpd → imaplogin → imapd; users in a userdb built by
//! `makeuserdb`. The personal namespace is `INBOX.`. Without `IMAP_CAPABILITY` in the
//! environment imapd advertises only a minimal list, so the launcher sources the
//! package's own `/etc/courier/imapd` defaults from the private prefix, as its init
//! script does.
//!
//! TLS (the lab's certificate, [`super::certs`]): Courier does TLS through the
//! `couriertls` helper (`/usr/bin/couriertls`, from courier-base, GnuTLS), which reads
//! `TLS_CERTFILE` (certificate chain and key in one PEM file: the lab's `combined.pem`,
//! owned by [`LOGIN_USER`], as which imaplogin runs it at STARTTLS).
//! The launcher also sources the package's `/etc/courier/imapd-ssl` defaults and points
//! every file setting at the lab's files (no system certificate, no cache file), then
//! runs three `couriertcpd`, as the package's init scripts do:
//! - the plaintext port: `IMAP_STARTTLS=YES`, `IMAP_TLS_REQUIRED=0` (STARTTLS offered,
//!   LOGIN allowed);
//! - the TLS port: `couriertls -server -tcpd` in front of imaplogin, `IMAP_TLS=1`;
//! - the STARTTLS-required port: `IMAP_STARTTLS=YES`, `IMAP_TLS_REQUIRED=1`, with which
//!   imaplogin advertises LOGINDISABLED and answers LOGIN with NO until STARTTLS.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::certs::TlsFiles;
use super::install::{self, LabUser};
use super::{Ctx, UserPool};
use crate::targets::Target;

pub const NAME: &str = "courier";
pub const PACKAGE: &str = "courier-imap";
/// Where authdaemond's socket lives (compiled in); our private dir is bound over it.
const AUTHDAEMON_DIR: &str = "/run/courier/authdaemon";
const ETC_DIR: &str = "/etc/courier";
/// The TLS helper (courier-base).
const COURIERTLS: &str = "/usr/bin/couriertls";
/// The account courier-base creates and as which `imaplogin` runs (compiled in), so
/// `couriertls` reads `TLS_CERTFILE` as it at STARTTLS: the lab's `combined.pem` is
/// its ([`super::certs::KeyOwners`]). The implicit-TLS `couriertls` drops to it too
/// (`-user=courier`, as the package's init script does).
pub const LOGIN_USER: &str = "courier";

fn maildir(dir: &Path, user: &str) -> PathBuf {
    dir.join("home").join(user).join("Maildir")
}

/// authdaemonrc: only the userdb module.
pub fn render_authdaemonrc() -> String {
    format!(
        "authmodulelist=\"authuserdb\"\n\
daemons=3\n\
authdaemonvar={AUTHDAEMON_DIR}\n\
DEBUG_LOGIN=0\n\
DEFAULTOPTIONS=\"\"\n\
LOGGEROPTS=\"\"\n"
    )
}

/// The userdb source file: one line per user, tab, `field=value|...`.
pub fn render_userdb(dir: &Path, users: &UserPool, hashes: &[String], lab: LabUser) -> String {
    let mut s = String::new();
    for (c, h) in users.iter().zip(hashes) {
        let home = dir.join("home").join(&c.user);
        let _ = writeln!(
            s,
            "{}\tuid={}|gid={}|home={}|shell=/usr/sbin/nologin|systempw={}",
            c.user,
            lab.uid,
            lab.gid,
            home.display(),
            h
        );
    }
    s
}

/// The launcher run inside `unshare --mount`: bind the private dirs, build the userdb,
/// start authdaemond, then become couriertcpd (same pid, same process group).
/// The gamin client id of this lab's Courier.
///
/// Courier's imapd watches maildirs through gamin, whose `gam_server` detaches from the
/// process group that started it and lingers about 30 s after its last client, so
/// `lab down` could not find it by group. With `GAM_CLIENT_ID` set, gamin starts a
/// server of this lab's own, which carries the id in its environment and which `down`
/// stops ([`stop_gam_server`]).
pub fn gam_client_id(dir: &Path) -> String {
    let path: String = dir
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("imapconform{path}")
}

/// Stops the `gam_server` of this lab's Courier, if one runs.
pub fn stop_gam_server(dir: &Path) -> Result<()> {
    let var = format!("GAM_CLIENT_ID={}", gam_client_id(dir));
    for pid in super::process::pids_where(|argv, env| {
        argv.first().is_some_and(|a| a.ends_with("gam_server")) && env.contains(&var)
    }) {
        super::process::stop_process(pid, std::time::Duration::from_secs(2))?;
    }
    Ok(())
}

pub fn render_launcher(dir: &Path, prefix: &Path, port: u16, tls: &TlsFiles) -> String {
    let d = dir.display();
    let p = prefix.display();
    let gam = gam_client_id(dir);
    let tls_port = port + super::TLS_PORT_OFFSET;
    let ld_port = port + super::LOGINDISABLED_PORT_OFFSET;
    let (combined, ca) = (tls.combined.display(), tls.ca.display());
    format!(
        "# Written by `imapconform lab up`; run as: unshare --mount --propagation private sh THIS\n\
set -e\n\
mount --bind {d}/etc {ETC_DIR}\n\
mount --bind {d}/authdaemon {AUTHDAEMON_DIR}\n\
makeuserdb\n\
/usr/lib/courier/courier-authlib/authdaemond &\n\
set -a\n\
. {p}/etc/courier/imapd\n\
. {p}/etc/courier/imapd-ssl\n\
COURIERTLS={COURIERTLS}\n\
TLS_CERTFILE={combined}\n\
TLS_TRUSTCERTS={ca}\n\
TLS_DHPARAMS=\n\
TLS_CACHEFILE=\n\
set +a\n\
export GAM_CLIENT_ID={gam}\n\
TCPD=\"/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=400 -maxperip=400 -nodnslookup -noidentlookup\"\n\
LOGIN=\"{p}/usr/lib/courier/courier/imaplogin {p}/usr/bin/imapd Maildir\"\n\
IMAP_TLS=1 IMAP_STARTTLS=NO IMAP_TLS_REQUIRED=0 $TCPD {tls_port} {COURIERTLS} -server -tcpd -user={LOGIN_USER} $LOGIN &\n\
IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=1 $TCPD {ld_port} $LOGIN &\n\
IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=0 exec $TCPD {port} $LOGIN\n"
    )
}

/// Writes a fresh state and returns the command that runs the launcher.
pub fn prepare(ctx: &Ctx, prefix: &Path) -> Result<Command> {
    let dir = &ctx.dir;
    let etc = dir.join("etc");
    fs::create_dir_all(&etc)?;
    fs::create_dir_all(dir.join("authdaemon"))?;
    // The mount points must exist; courier-authdaemon normally creates this at boot
    // (tmpfiles.d), which a container may have skipped. An empty directory is harmless.
    fs::create_dir_all(AUTHDAEMON_DIR)?;
    fs::create_dir_all(ETC_DIR)?;
    fs::write(etc.join("authdaemonrc"), render_authdaemonrc())?;
    let pws: Vec<&str> = ctx.users.iter().map(|c| c.password.as_str()).collect();
    let hashes = install::crypt_sha512(&pws)?;
    let userdb = etc.join("userdb");
    fs::write(
        &userdb,
        render_userdb(dir, ctx.users, &hashes, ctx.lab_user),
    )?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&userdb, fs::Permissions::from_mode(0o600))?;
    for c in ctx.users {
        install::make_maildir(&maildir(dir, &c.user), ctx.lab_user)?;
    }
    let launcher = dir.join("launch.sh");
    fs::write(&launcher, render_launcher(dir, prefix, ctx.port, ctx.tls))?;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh"])
        .arg(&launcher);
    Ok(cmd)
}

/// Recreates `user`'s Maildir empty (subscriptions and keywords live inside it).
pub fn reset(dir: &Path, user: &str, lab: LabUser) -> Result<()> {
    let md = maildir(dir, user);
    super::remove_tree(&md)?;
    install::make_maildir(&md, lab)
}

/// The per-session script of the stdio target: `stdio.sh SESSION_DIR` makes a Maildir
/// in the session directory and runs one imapd on stdin/stdout as the lab user.
pub fn render_stdio_script(dir: &Path, prefix: &Path, lab: LabUser) -> String {
    let p = prefix.display();
    let gam = gam_client_id(dir);
    format!(
        "{}'set -e; /usr/bin/maildirmake Maildir; set -a; . {p}/etc/courier/imapd; set +a; \
export GAM_CLIENT_ID={gam}; exec {p}/usr/bin/imapd Maildir'\n",
        super::stdio_script_preamble(lab)
    )
}

/// One imapd per session on stdin/stdout, PREAUTH (lab-notes: `imapd ./Maildir` with
/// no AUTH* variables; `maildirmake` first; ~7 ms a session), with the package's
/// capability defaults, as the lab user. Writes `dir/stdio.sh`.
pub fn stdio_target(dir: &Path, prefix: &Path, lab: LabUser) -> Result<Target> {
    super::script_target(NAME, dir, &render_stdio_script(dir, prefix, lab))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Credentials;

    #[test]
    fn userdb_lines_have_home_ids_and_hash() {
        let users = vec![Credentials {
            user: "u1".into(),
            password: "p".into(),
        }];
        let s = render_userdb(
            Path::new("/s/courier"),
            &users,
            &["$6$x$y".into()],
            LabUser { uid: 7, gid: 8 },
        );
        assert_eq!(
            s,
            "u1\tuid=7|gid=8|home=/s/courier/home/u1|shell=/usr/sbin/nologin|systempw=$6$x$y\n"
        );
    }

    #[test]
    fn launcher_binds_private_dirs_and_listens_locally() {
        let tls = TlsFiles::new(Path::new("/s"));
        let l = render_launcher(Path::new("/s/courier"), Path::new("/p"), 14302, &tls);
        assert!(l.contains("mount --bind /s/courier/etc /etc/courier\n"));
        assert!(l.contains("mount --bind /s/courier/authdaemon /run/courier/authdaemon\n"));
        assert!(l.contains("-address=127.0.0.1"));
        assert!(
            l.contains("LOGIN=\"/p/usr/lib/courier/courier/imaplogin /p/usr/bin/imapd Maildir\"")
        );
        // The defaults are sourced first, then every TLS file is the lab's.
        let ssl_defaults = l.find(". /p/etc/courier/imapd-ssl\n").unwrap();
        assert!(l.find("TLS_CERTFILE=/s/tls/combined.pem\n").unwrap() > ssl_defaults);
        assert!(l.contains("TLS_TRUSTCERTS=/s/tls/ca.pem\n"));
        assert!(l.contains("TLS_CACHEFILE=\n"));
        assert!(l.contains("IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=0 exec $TCPD 14302 $LOGIN\n"));
        assert!(l.contains(
            "IMAP_TLS=1 IMAP_STARTTLS=NO IMAP_TLS_REQUIRED=0 $TCPD 14312 /usr/bin/couriertls -server -tcpd -user=courier $LOGIN &\n"
        ));
        assert!(l.contains("IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=1 $TCPD 14322 $LOGIN &\n"));
    }
}
