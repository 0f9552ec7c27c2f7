//! The lab's read-only mailbox: one mailbox each lab user may read but not modify, so
//! that the read-only probe ([`crate::probes::read_only`]) can check RFC 2060 §6.3.1
//! ("If the client is not permitted to modify the mailbox but is permitted read access,
//! the mailbox is selected as read-only, and the server MUST prefix the text of the
//! tagged OK response to SELECT with the "[READ-ONLY]" response code.").
//!
//! It holds one message and is hidden from the users' LIST and LSUB (they have the read
//! right but not the lookup right, RFC 4314 §4), so the generated sessions, which list
//! mailboxes and compare servers, never see it; and its name is none the generator makes.
//!
//! - Dovecot: the `acl` plugin with a global ACL file that grants the owner only `r` on
//!   `ReadOnly` ([`DOVECOT_ACL`]); every reset makes the user's `ReadOnly` maildir again
//!   with the message ([`make_dovecot_maildir`]). SELECT answers
//!   `OK [READ-ONLY] Select completed`.
//! - Cyrus: a shared mailbox `ReadOnly` made by the lab's admin, with the ACL
//!   `anyone r`; users reach it as `Shared Folders/ReadOnly` (Cyrus' alternate
//!   namespace). Users' resets do not touch it; each reset makes it again if it is
//!   missing ([`ensure_cyrus_shared`]).
//! - Courier and Mailutils: none (their ACLs are not set up by the lab).

use std::fs;
use std::path::Path;

use anyhow::{bail, Result};

use super::install::{self, LabUser};
use super::process::{is_ok, Probe};

/// The revision of this setup, part of each server's start stamp: `lab up` restarts a
/// server started with another.
pub const REVISION: u32 = 1;

/// The mailbox's name in Dovecot (the personal namespace, no prefix).
pub const DOVECOT_NAME: &str = "ReadOnly";
/// The global ACL file of the lab's Dovecot: the owner may read `ReadOnly`, nothing
/// more (no `l`: it is not listed).
pub const DOVECOT_ACL: &str = "ReadOnly owner r\n";
/// The mailbox's name for the admin who makes it in Cyrus.
pub const CYRUS_ADMIN_NAME: &str = "ReadOnly";
/// Its name for a lab user (Cyrus' shared namespace, `Shared Folders/`).
pub const CYRUS_NAME: &str = "Shared Folders/ReadOnly";

/// The message the mailbox holds (RFC 2822, CRLF line ends).
pub const MESSAGE: &str = "From: lab@imapconform.invalid\r\n\
To: user@imapconform.invalid\r\n\
Subject: read-only\r\n\
Date: Mon, 7 Dec 2026 12:00:00 +0000\r\n\
Message-ID: <read-only@imapconform.invalid>\r\n\
\r\n\
This mailbox may be read but not modified.\r\n";

/// The `read_only_mailboxes` of a lab server's targets (empty where the lab sets none
/// up).
pub fn mailboxes(server: &str) -> Vec<String> {
    match server {
        super::dovecot::NAME => vec![DOVECOT_NAME.to_string()],
        super::cyrus::NAME => vec![CYRUS_NAME.to_string()],
        _ => Vec::new(),
    }
}

/// Makes `ReadOnly` in the maildir++ store under `home` (`Maildir/.ReadOnly`, with the
/// message in `cur/`), everything owned by the lab user; INBOX's directories too, as
/// Dovecot would make them.
pub fn make_dovecot_maildir(home: &Path, lab: LabUser) -> Result<()> {
    let maildir = home.join("Maildir");
    let folder = maildir.join(format!(".{DOVECOT_NAME}"));
    for d in [&maildir, &folder] {
        for sub in ["cur", "new", "tmp"] {
            install::mkdir_owned(&d.join(sub), lab)?;
        }
    }
    fs::write(folder.join("maildirfolder"), "")?;
    fs::write(
        folder
            .join("cur")
            .join("1000000000.M1P1.imapconform-lab:2,"),
        MESSAGE,
    )?;
    install::chown_tree(home, lab)
}

/// Makes Cyrus' shared `ReadOnly` (with the message, readable by anyone, nothing more)
/// unless it is there already, whole; `p` is logged in as the lab's admin. One that is
/// not whole (no message, or another ACL: a reset that stopped half-way) is made again.
pub fn ensure_cyrus_shared(p: &mut Probe) -> Result<()> {
    let name = CYRUS_ADMIN_NAME;
    let admin = super::cyrus::ADMIN;
    let (lines, _) = p.command(&format!("LIST \"\" {name}"))?;
    if lines.iter().any(|l| l.starts_with("* LIST")) {
        if cyrus_shared_is_whole(p)? {
            return Ok(());
        }
        p.command(&format!("SETACL {name} {admin} x"))?;
        let (_, deleted) = p.command(&format!("DELETE {name}"))?;
        if !is_ok(&deleted) {
            bail!("cyrus: DELETE of an unfinished {name} failed: {deleted}");
        }
    }
    let (_, created) = p.command(&format!("CREATE {name}"))?;
    if !is_ok(&created) {
        // Another user's reset, running at the same time, may have made it first.
        let (lines, _) = p.command(&format!("LIST \"\" {name}"))?;
        if lines.iter().any(|l| l.starts_with("* LIST")) {
            return Ok(());
        }
        bail!("cyrus: CREATE {name} failed: {created}");
    }
    // The admin needs the insert right to APPEND (Cyrus answers "Mailbox does not exist"
    // without it); a new top-level mailbox gets `anyone lrs` (defaultacl): only `r` is
    // left for anyone.
    let (_, granted) = p.command(&format!("SETACL {name} {admin} lrswipkxtea"))?;
    if !is_ok(&granted) {
        bail!("cyrus: SETACL {name} {admin} failed: {granted}");
    }
    let appended = p.command_with_literal(&format!("APPEND {name}"), MESSAGE.as_bytes())?;
    if !is_ok(&appended) {
        bail!("cyrus: APPEND to {name} failed: {appended}");
    }
    for cmd in [
        format!("DELETEACL {name} anyone"),
        format!("SETACL {name} anyone r"),
    ] {
        let (_, done) = p.command(&cmd)?;
        if !is_ok(&done) {
            bail!("cyrus: {cmd} failed: {done}");
        }
    }
    if !cyrus_shared_is_whole(p)? {
        bail!("cyrus: {name} was made, but its message or ACL is not as set");
    }
    Ok(())
}

/// Whether Cyrus' shared `ReadOnly` holds a message and gives anyone exactly `r`.
fn cyrus_shared_is_whole(p: &mut Probe) -> Result<bool> {
    let name = CYRUS_ADMIN_NAME;
    let (status, _) = p.command(&format!("STATUS {name} (MESSAGES)"))?;
    let has_message = status
        .iter()
        .any(|l| l.starts_with("* STATUS") && !l.contains("(MESSAGES 0)"));
    let (acl, _) = p.command(&format!("GETACL {name}"))?;
    let anyone_r = acl.iter().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        l.starts_with("* ACL")
            && words
                .windows(2)
                .any(|w| w[0].eq_ignore_ascii_case("anyone") && w[1] == "r")
    });
    Ok(has_message && anyone_r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_and_cyrus_name_their_read_only_mailbox_the_others_none() {
        assert_eq!(mailboxes("dovecot"), ["ReadOnly"]);
        assert_eq!(mailboxes("cyrus"), ["Shared Folders/ReadOnly"]);
        assert!(mailboxes("courier").is_empty() && mailboxes("mailutils").is_empty());
        // Read, and nothing else: no lookup (hidden from LIST), no write of any kind.
        let acl: Vec<&str> = DOVECOT_ACL.split_whitespace().collect();
        assert_eq!(acl, ["ReadOnly", "owner", "r"]);
    }

    #[test]
    fn the_dovecot_maildir_holds_one_message_in_a_maildir_folder() {
        let home = std::env::temp_dir().join(format!("imapconform-ro-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        // SAFETY: getuid/getgid cannot fail.
        let me = LabUser {
            uid: unsafe { libc::getuid() },
            gid: unsafe { libc::getgid() },
        };
        make_dovecot_maildir(&home, me).unwrap();
        let folder = home.join("Maildir/.ReadOnly");
        assert!(folder.join("maildirfolder").is_file());
        for d in [
            "Maildir/cur",
            "Maildir/new",
            "Maildir/tmp",
            "Maildir/.ReadOnly/tmp",
        ] {
            assert!(home.join(d).is_dir(), "{d}");
        }
        let msgs: Vec<_> = fs::read_dir(folder.join("cur")).unwrap().collect();
        assert_eq!(msgs.len(), 1);
        let text = fs::read_to_string(msgs[0].as_ref().unwrap().path()).unwrap();
        assert_eq!(text, MESSAGE);
        assert!(MESSAGE.contains("\r\n\r\n") && !MESSAGE.replace("\r\n", "").contains('\n'));
        fs::remove_dir_all(&home).unwrap();
    }
}
