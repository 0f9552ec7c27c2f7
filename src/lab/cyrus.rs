//! Cyrus IMAP (`cyrus-imapd` 3.6.1, unpacked privately; `master` and tools come from the
//! co-installable `cyrus-common`).
//!
//! lab-notes: `master -C imapd.conf -M cyrus.conf -p PIDFILE -D` (foreground), every path
//! of imapd.conf private, `allowplaintext: yes`, sasldb auxprop with a private sasldb
//! (realm = servername), `autocreate_quota: 0` so INBOX appears at first LOGIN, and
//! `imapd -U 1` (one process per connection) or wiping a store between sessions corrupts
//! the next one. Cyrus has no log here (it logs to syslog only).
//!
//! Cyrus keeps a mailboxes database beside the spool, so [`reset`] does not touch files:
//! it logs in as the lab's Cyrus admin and deletes the user (`SETACL user/U admin x`,
//! `DELETE user/U`), which with `delete_mode: immediate` removes every mailbox of the
//! user, its subscriptions and seen state. The next LOGIN autocreates an empty INBOX.
//!
//! TLS (the lab's certificate, [`super::certs`]): `tls_server_cert` (the chain) and
//! `tls_server_key` make every IMAP service offer STARTTLS (RFC 3501 §6.2.1). Three
//! services, each one `imapd` per connection:
//! - `imap` on the plaintext port: STARTTLS offered, LOGIN allowed (`allowplaintext: yes`);
//! - `imaps` on the TLS port: `imapd -s` (TLS from the first byte, RFC 8314 §3.3);
//! - `imapld` on the STARTTLS-required port: the service-specific option
//!   `imapld_allowplaintext: no` (Cyrus reads `<service>_<option>` before `<option>`)
//!   makes imapd advertise LOGINDISABLED and refuse LOGIN until STARTTLS.
//!
//! `imapd` runs as the lab user and reads the key as that user (it owns it, 0600).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::certs::TlsFiles;
use super::install::LabUser;
use super::process::{is_ok, quote, Probe};
use super::Ctx;

pub const NAME: &str = "cyrus";
pub const PACKAGE: &str = "cyrus-imapd";
/// Cyrus' SASL realm and the name in its greeting.
pub const SERVERNAME: &str = "imapconform-lab-cyrus";
/// The admin account [`reset`] uses; not part of the test pool.
pub const ADMIN: &str = "labadmin";
pub const ADMIN_PASSWORD: &str = "labadmin-secret";
/// Binaries of cyrus-common (installed with apt).
const MASTER: &str = "/usr/lib/cyrus/bin/master";
const CTL_CYRUSDB: &str = "/usr/lib/cyrus/bin/ctl_cyrusdb";
const RECONSTRUCT: &str = "/usr/lib/cyrus/bin/reconstruct";

/// Subdirectories of the config directory Cyrus expects to exist (what `mkimap` makes).
const CONF_SUBDIRS: &[&str] = &[
    "db", "socket", "proc", "log", "msg", "user", "quota", "sieve", "lock", "ptclient", "sync",
];

fn imapd_conf(dir: &Path) -> PathBuf {
    dir.join("imapd.conf")
}

/// The service that requires STARTTLS before LOGIN (see the module doc).
pub const LOGINDISABLED_SERVICE: &str = "imapld";

/// imapd.conf: every path private to `dir`; runs as the lab user.
pub fn render_imapd_conf(dir: &Path, lab_user: &str, tls: &TlsFiles) -> String {
    let d = dir.display();
    let (cert, key) = (tls.cert.display(), tls.key.display());
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
configdirectory: {d}/conf\n\
partition-default: {d}/spool\n\
sievedir: {d}/conf/sieve\n\
lmtpsocket: {d}/conf/socket/lmtp\n\
idlesocket: {d}/conf/socket/idle\n\
notifysocket: {d}/conf/socket/notify\n\
servername: {SERVERNAME}\n\
cyrus_user: {lab_user}\n\
cyrus_group: {lab_user}\n\
admins: {ADMIN}\n\
allowplaintext: yes\n\
{LOGINDISABLED_SERVICE}_allowplaintext: no\n\
tls_server_cert: {cert}\n\
tls_server_key: {key}\n\
sasl_pwcheck_method: auxprop\n\
sasl_auxprop_plugin: sasldb\n\
sasl_sasldb_path: {d}/sasldb2\n\
sasl_mech_list: PLAIN LOGIN\n\
autocreate_quota: 0\n\
delete_mode: immediate\n\
mailbox_legacy_dirs: yes\n"
    )
}

/// cyrus.conf: recover the databases at start, then the IMAP services on 127.0.0.1
/// (plaintext on `port`, implicit TLS on `port + 10`, STARTTLS-required on `port + 20`)
/// whose `imapd` serves exactly one connection per process (`-U 1`).
pub fn render_cyrus_conf(dir: &Path, imapd: &Path, port: u16) -> String {
    let conf = imapd_conf(dir);
    let (c, i) = (conf.display(), imapd.display());
    let tls_port = port + super::TLS_PORT_OFFSET;
    let ld_port = port + super::LOGINDISABLED_PORT_OFFSET;
    format!(
        "# Written by `imapconform lab up`; regenerated on every start.\n\
START {{\n\
  recover cmd=\"{CTL_CYRUSDB} -C {c} -r\"\n\
}}\n\
SERVICES {{\n\
  imap cmd=\"{i} -C {c} -U 1\" listen=\"127.0.0.1:{port}\" prefork=2\n\
  imaps cmd=\"{i} -s -C {c} -U 1\" listen=\"127.0.0.1:{tls_port}\" prefork=1\n\
  {LOGINDISABLED_SERVICE} cmd=\"{i} -C {c} -U 1\" listen=\"127.0.0.1:{ld_port}\" prefork=1\n\
}}\n\
EVENTS {{\n\
}}\n\
DAEMON {{\n\
}}\n"
    )
}

fn saslpasswd(db: &Path, user: &str, password: &str) -> Result<()> {
    let mut child = Command::new("saslpasswd2")
        .args(["-p", "-c", "-f"])
        .arg(db)
        .args(["-u", SERVERNAME, user])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running saslpasswd2")?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(password.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "saslpasswd2 {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Writes a fresh state (configs, sasldb with the pool and the admin, empty spool) and
/// returns the command that runs Cyrus' master in the foreground.
pub fn prepare(ctx: &Ctx, prefix: &Path) -> Result<Command> {
    let dir = &ctx.dir;
    for sub in CONF_SUBDIRS {
        fs::create_dir_all(dir.join("conf").join(sub))?;
    }
    fs::create_dir_all(dir.join("spool"))?;
    fs::create_dir_all(dir.join("run"))?;
    let imapd = prefix.join("usr/lib/cyrus/bin/imapd");
    fs::write(
        imapd_conf(dir),
        render_imapd_conf(dir, super::install::LAB_USER, ctx.tls),
    )?;
    fs::write(
        dir.join("cyrus.conf"),
        render_cyrus_conf(dir, &imapd, ctx.port),
    )?;
    let db = dir.join("sasldb2");
    for c in ctx.users {
        saslpasswd(&db, &c.user, &c.password)?;
    }
    saslpasswd(&db, ADMIN, ADMIN_PASSWORD)?;
    super::install::chown_tree(dir, ctx.lab_user)?;
    let mut cmd = Command::new(MASTER);
    cmd.arg("-C")
        .arg(imapd_conf(dir))
        .arg("-M")
        .arg(dir.join("cyrus.conf"))
        .arg("-p")
        .arg(dir.join("run/master.pid"))
        .arg("-D");
    Ok(cmd)
}

/// Deletes every mailbox of `user` through an admin session (see the module doc).
/// A user with no mailbox yet is already empty.
///
/// Deleting `user/U` alone is not enough: with Cyrus' `/` separator a mailbox the user
/// created as `INBOX.x` is `user/U/INBOX.x`, a sibling of the INBOX, and it survives the
/// INBOX's deletion (the next LOGIN then finds a broken INBOX: "System I/O error"). So
/// every mailbox under `user/U/` is deleted first, deepest first, then `user/U`, and the
/// result is checked.
pub fn reset(dir: &Path, port: u16, user: &str, lab: LabUser) -> Result<()> {
    match delete_user(port, user) {
        Ok(()) => Ok(()),
        Err(first) => {
            // A server process that died in the middle of an operation (Cyrus 3.6.1 dies
            // on some RENAME INBOX) can leave a mailbox whose files are gone: DELETE then
            // answers "System I/O error". `reconstruct -f` drops such entries; then the
            // deletion is tried once more.
            reconstruct(dir, port, user, lab)?;
            delete_user(port, user).with_context(|| format!("after reconstruct; first: {first:#}"))
        }
    }
}

/// Runs Cyrus' `reconstruct -f` as the lab user on each of the user's mailboxes (one at
/// a time: a broken one stops a recursive run before it reaches the others).
fn reconstruct(dir: &Path, port: u16, user: &str, lab: LabUser) -> Result<()> {
    use std::os::unix::process::CommandExt as _;
    let (mut p, _) = Probe::connect(port, Duration::from_secs(5))?;
    p.login(ADMIN, ADMIN_PASSWORD)?;
    let mut names = mailboxes(&mut p, user)?;
    p.logout();
    names.push(format!("user/{user}"));
    for name in names {
        // reconstruct exits non-zero when it drops a broken mailbox; success is judged by
        // the deletion that follows.
        Command::new(RECONSTRUCT)
            .arg("-C")
            .arg(imapd_conf(dir))
            .args(["-f", &name])
            .uid(lab.uid)
            .gid(lab.gid)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("running {RECONSTRUCT}"))?;
    }
    Ok(())
}

/// The user's mailboxes below `user/U`, deepest first.
fn mailboxes(p: &mut Probe, user: &str) -> Result<Vec<String>> {
    let (lines, _) = p.command(&format!("LIST \"\" {}", quote(&format!("user/{user}/*"))))?;
    let mut names: Vec<String> = lines.iter().filter_map(|l| list_name(l)).collect();
    names.sort_by_key(|n| std::cmp::Reverse((n.matches('/').count(), n.len())));
    Ok(names)
}

fn delete_user(port: u16, user: &str) -> Result<()> {
    let (mut p, _) = Probe::connect(port, Duration::from_secs(5))?;
    p.login(ADMIN, ADMIN_PASSWORD)?;
    let root = format!("user/{user}");
    let mut names = mailboxes(&mut p, user)?;
    names.push(root.clone());
    for name in &names {
        let mbox = quote(name);
        let (_, acl) = p.command(&format!("SETACL {mbox} {ADMIN} x"))?;
        let (_, del) = p.command(&format!("DELETE {mbox}"))?;
        if !is_ok(&del) && is_ok(&acl) {
            bail!("cyrus: DELETE {name} failed: {del}");
        }
    }
    let (left, _) = p.command(&format!("LIST \"\" {}", quote(&format!("{root}*"))))?;
    super::read_only::ensure_cyrus_shared(&mut p)?;
    p.logout();
    if let Some(l) = left.iter().find(|l| l.starts_with("* LIST")) {
        bail!("cyrus: {root} still has a mailbox after reset: {l}");
    }
    Ok(())
}

/// The mailbox name of a `* LIST (attrs) "/" name` line (atom or quoted string).
fn list_name(line: &str) -> Option<String> {
    let rest = line.strip_prefix("* LIST ")?;
    let rest = &rest[rest.find(')')? + 1..];
    let rest = rest.trim_start();
    // The delimiter: a quoted character or NIL.
    let rest = if let Some(r) = rest.strip_prefix("NIL") {
        r
    } else {
        let r = rest.strip_prefix('"')?;
        let end = if r.starts_with('\\') { 2 } else { 1 };
        r.get(end..)?.strip_prefix('"')?
    };
    let name = rest.trim();
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(q) => {
            let mut out = String::new();
            let mut chars = q.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next()? } else { c });
            }
            Some(out)
        }
        None if !name.is_empty() && !name.starts_with('{') => Some(name.to_string()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_give_mailbox_names() {
        assert_eq!(
            list_name(r#"* LIST (\HasNoChildren) "/" user/u1/INBOX.x"#).as_deref(),
            Some("user/u1/INBOX.x")
        );
        assert_eq!(
            list_name(r#"* LIST (\HasNoChildren) "/" "user/u1/INBOX.my \"q\" folder""#).as_deref(),
            Some(r#"user/u1/INBOX.my "q" folder"#)
        );
        assert_eq!(list_name(r#"* LIST () NIL foo"#).as_deref(), Some("foo"));
        assert_eq!(list_name(r#"* LIST () "/" {5}"#), None);
        assert_eq!(list_name("* OK hi"), None);
    }

    #[test]
    fn configs_are_private_and_one_process_per_connection() {
        let d = Path::new("/s/cyrus");
        let i = render_imapd_conf(d, "lab", &TlsFiles::new(Path::new("/s")));
        assert!(i.contains("configdirectory: /s/cyrus/conf\n"));
        assert!(i.contains("sasl_sasldb_path: /s/cyrus/sasldb2\n"));
        assert!(i.contains("cyrus_user: lab\n"));
        assert!(i.contains("delete_mode: immediate\n"));
        assert!(i.contains("mailbox_legacy_dirs: yes\n"));
        let c = render_cyrus_conf(d, Path::new("/p/imapd"), 14301);
        assert!(c.contains("cmd=\"/p/imapd -C /s/cyrus/imapd.conf -U 1\""));
        assert!(c.contains("listen=\"127.0.0.1:14301\""));
        // TLS: the lab's files; implicit TLS with -s; a service that requires STARTTLS.
        assert!(i.contains("allowplaintext: yes\n"));
        assert!(i.contains("tls_server_cert: /s/tls/server.pem\n"));
        assert!(i.contains("tls_server_key: /s/tls/server.key\n"));
        assert!(i.contains("\nimapld_allowplaintext: no\n"));
        assert!(c.contains(
            "imaps cmd=\"/p/imapd -s -C /s/cyrus/imapd.conf -U 1\" listen=\"127.0.0.1:14311\""
        ));
        assert!(c.contains(
            "imapld cmd=\"/p/imapd -C /s/cyrus/imapd.conf -U 1\" listen=\"127.0.0.1:14321\""
        ));
    }
}
