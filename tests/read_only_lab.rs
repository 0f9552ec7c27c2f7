//! RFC 2060 §6.3.1 against the real lab: "If the client is not permitted to modify the
//! mailbox but is permitted read access, the mailbox is selected as read-only, and the
//! server MUST prefix the text of the tagged OK response to SELECT with the
//! "[READ-ONLY]" response code." The lab gives every user such a mailbox on Dovecot and
//! Cyrus (src/lab/read_only.rs); the read-only probe SELECTs it before a campaign's
//! sessions. Needs the lab: fails, never skips, when it cannot start.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{lab_lock, lab_targets, BIN};
use imapconform::case::Case;
use imapconform::drive::{self, DriveOptions};
use imapconform::probes::read_only;
use imapconform::report::read_findings;
use imapconform::targets::TargetsFile;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("imapconform-ro-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn lab() -> TargetsFile {
    TargetsFile::load(lab_targets()).unwrap()
}

/// The lab's targets name the read-only mailbox where the lab set one up, and it is what
/// the sentence presumes: readable (SELECT OK, its message fetched), not modifiable (the
/// STORE changes nothing), and hidden from the user's LIST, so that the generated
/// sessions never meet it.
#[test]
fn the_lab_mailbox_is_readable_not_modifiable_and_unlisted() {
    let _lab = lab_lock();
    let file = lab();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (server, name) in [
        ("dovecot", "ReadOnly"),
        ("cyrus", "Shared Folders/ReadOnly"),
    ] {
        let t = file.targets.iter().find(|t| t.name == server).unwrap();
        assert_eq!(t.read_only_mailboxes, [name], "{server}");
        let creds = t.pool().into_iter().next();
        rt.block_on(drive::reset(t, creds.as_ref())).unwrap();
        let mut script = vec![imapconform::wire::Message::line("l1 LIST \"\" *")];
        script.extend(read_only::script(&t.read_only_mailboxes, true));
        let tr = rt
            .block_on(drive::run_session(
                t,
                creds.as_ref(),
                &script,
                &DriveOptions::default(),
            ))
            .unwrap();
        let text = |i: usize| -> String {
            tr.script[i]
                .responses()
                .map(|m| String::from_utf8_lossy(&m.to_bytes()).into_owned())
                .collect()
        };
        let list = text(0);
        assert!(
            list.contains("INBOX") && !list.contains("ReadOnly"),
            "{server}: LIST \"\" *: {list}"
        );
        assert_eq!(
            tr.script[1].status().as_deref(),
            Some("OK"),
            "{server}: {}",
            text(1)
        );
        assert!(text(1).contains("* 1 EXISTS"), "{server}: {}", text(1));
        // MYRIGHTS (Cyrus; Dovecot's lab loads no imap_acl: BAD) grants no right to
        // modify; the STORE of every system flag adds none (refused by Cyrus, without
        // effect on Dovecot); the APPEND is refused.
        let rights = text(2);
        if let Some(line) = rights.lines().find(|l| l.starts_with("* MYRIGHTS")) {
            let r = line.rsplit(' ').next().unwrap();
            assert!(!r.chars().any(|c| "wsteid".contains(c)), "{server}: {line}");
        }
        let (before, store, after) = (text(3), text(4), text(5));
        assert!(before.contains("* 1 FETCH (FLAGS ("), "{server}: {before}");
        let flags = |t: &str| t.lines().next().unwrap().replace("\\Recent", "");
        assert_eq!(flags(&before), flags(&after), "{server}: {store}");
        let append = text(6);
        assert_eq!(
            tr.script[6].status().as_deref(),
            Some("NO"),
            "{server}: {append}"
        );
        eprintln!("{server}: {}{rights}{store}{append}", text(1));
    }
}

/// A campaign's read-only probe SELECTs the lab's mailbox on Dovecot and Cyrus; both
/// answer `OK [READ-ONLY]`, so no finding cites the sentence; the probe's case (written
/// with --all-cases) shows the exchange and replays to the same answer.
#[test]
fn dovecot_and_cyrus_select_the_read_only_mailbox_with_read_only_code() {
    let _lab = lab_lock();
    let out = scratch("campaign");
    let o = Command::new(BIN)
        .arg("run")
        .arg("--targets")
        .arg(lab_targets())
        .args([
            "--target",
            "dovecot",
            "--target",
            "cyrus",
            "--sessions",
            "1",
            "--no-minimize",
            "--all-cases",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!said.contains("panicked"), "{said}");
    let findings = read_findings(&out.join("findings.jsonl")).unwrap();
    let cited: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.as_deref() == Some(read_only::RULE))
        .collect();
    assert!(cited.is_empty(), "{cited:#?}");
    for (server, name) in [
        ("dovecot", "ReadOnly"),
        ("cyrus", "Shared Folders/ReadOnly"),
    ] {
        // The probe ran: its case holds the SELECT and the server's tagged OK.
        let path = out.join(read_only::case_path(server));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{server}: no probe case {}: {e}\n{said}", path.display()));
        let case = Case::parse(&text).unwrap();
        assert!(read_only::is_case(&case), "{server}");
        assert_eq!(read_only::mailboxes_of(&case), [name]);
        let select = &case.transcript.script[0];
        let done = String::from_utf8_lossy(&select.completion().unwrap().to_bytes()).into_owned();
        assert!(
            String::from_utf8_lossy(&select.command().to_bytes())
                .starts_with(&format!("r1 SELECT \"{name}\"")),
            "{server}: {text}"
        );
        assert!(done.starts_with("r1 OK [READ-ONLY]"), "{server}: {done}");
        // No STORE was sent: the answer was right, no confirming run was due.
        assert_eq!(case.transcript.script.len(), 2, "{server}: {text}");
        // Replaying the case runs the probe again: the same answer, no finding.
        let r = Command::new(BIN)
            .arg("replay")
            .arg(&path)
            .arg("--targets")
            .arg(lab_targets())
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&r.stdout);
        assert!(r.status.success(), "{server}: {shown}");
        assert!(
            shown.contains(&format!("== {server} (probe read-only) =="))
                && shown.contains("S: r1 OK [READ-ONLY]")
                && shown.contains("-> no finding"),
            "{server}: {shown}"
        );
    }
}
