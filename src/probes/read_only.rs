//! The read-only probe: RFC 2060 §6.3.1 "If the client is not permitted to modify the
//! mailbox but is permitted read access, the mailbox is selected as read-only, and the
//! server MUST prefix the text of the tagged OK response to SELECT with the
//! "[READ-ONLY]" response code."
//!
//! A target names the mailboxes its account may read but not modify
//! (`read_only_mailboxes`, [`crate::targets::Target`]); the lab sets one up on Dovecot
//! (an ACL granting the owner only the read right) and on Cyrus (a shared mailbox
//! readable by anyone). Before the sessions, the probe logs in as a pool user (after the
//! target's reset) and SELECTs each of them, then LOGOUT. A tagged OK without
//! `[READ-ONLY]` as its response code is a violation. A SELECT answered NO or BAD is
//! not: the server may refuse the mailbox, and the sentence says only what its OK must
//! carry (the refusal is noted as why the requirement was not checked).
//!
//! The premise, "not permitted to modify", is the targets file's word, and is put to
//! the test before a violation is reported: when a SELECT is answered OK without
//! `[READ-ONLY]`, the probe runs again and, after each SELECT, sends `MYRIGHTS`,
//! `FETCH 1 (FLAGS)`, `STORE 1 +FLAGS (\Seen \Answered \Flagged \Deleted \Draft)`,
//! `FETCH 1 (FLAGS)` and an APPEND ([`script`]; that run is the record kept). The
//! violation is reported only where the STORE added no flag and the APPEND was refused
//! (NO), and MYRIGHTS (where ACL is supported) grants no right to modify. A mailbox that
//! can be modified after all (the targets file is wrong about it), or an empty one, is
//! noted, not reported.
//!
//! A probe is minimal already: its case file (`cases/probe-<target>-read-only.imap`,
//! header `probe: read-only` and one `read-only-mailbox` per mailbox) replays by running
//! the probe again ([`replay`]), and minimisation leaves it as it is.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ProbeOutcome, PROBE_SESSION};
use crate::campaign::{case_header, rfc3339_now};
use crate::case::Case;
use crate::drive::{self, DriveError, DriveOptions};
use crate::judge::{requirement_kind, Kind, Verdict};
use crate::redact::Redactor;
use crate::report::distinct::Signature;
use crate::report::{Finding, FindingsWriter};
use crate::targets::{Credentials, Target};
use crate::wire::{escape, Exchange, Fragment, Message, Transcript};

/// The `probe` header of this probe's case files.
pub const PROBE: &str = "read-only";
/// The case header naming one mailbox the probe SELECTs (one header per mailbox).
pub const MAILBOX_HEADER: &str = "read-only-mailbox";
/// RFC 2060 §6.3.1: the tagged OK to SELECT of a read-only mailbox carries
/// `[READ-ONLY]`.
pub const RULE: &str = "2060-6.3.1-read-only";

/// What one run of the probe exchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOnlyRecord {
    /// The mailboxes SELECTed, in order.
    pub mailboxes: Vec<String>,
    /// The session: greeting and login in `setup`, the SELECTs (and, in a confirming
    /// run, their STORE and FETCH) and LOGOUT in `script`.
    pub transcript: Transcript,
}

/// Whether a case file is this probe's.
pub fn is_case(case: &Case) -> bool {
    case.get("probe") == Some(PROBE)
}

/// A probe case's path, relative to the findings directory.
pub fn case_path(target: &str) -> String {
    format!("cases/probe-{target}-{PROBE}.imap")
}

/// `name` as an IMAP quoted string (RFC 2060 §4.3; the targets file admits only
/// printable ASCII names).
fn quoted(name: &str) -> String {
    let mut s = String::from("\"");
    for c in name.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// The message the confirming run APPENDs (refused by a mailbox that may not be
/// modified).
const PROBE_MESSAGE: &[u8] = b"Subject: imapconform read-only probe\r\n\r\nAPPEND test.\r\n";

/// The commands of one run: a SELECT per mailbox, then LOGOUT. With `confirm`, each
/// SELECT is followed by the commands that show whether the mailbox may be modified:
/// `MYRIGHTS` (RFC 4314; BAD where ACL is not supported), `FETCH 1 (FLAGS)`, a STORE of
/// every system flag a client may set, `FETCH 1 (FLAGS)` again, and an APPEND.
pub fn script(mailboxes: &[String], confirm: bool) -> Vec<Message> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut next = |text: &str| {
        n += 1;
        format!("r{n} {text}")
    };
    for m in mailboxes {
        let q = quoted(m);
        out.push(Message::line(next(&format!("SELECT {q}"))));
        if confirm {
            out.push(Message::line(next(&format!("MYRIGHTS {q}"))));
            out.push(Message::line(next("FETCH 1 (FLAGS)")));
            out.push(Message::line(next(
                "STORE 1 +FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
            )));
            out.push(Message::line(next("FETCH 1 (FLAGS)")));
            let head = next(&format!("APPEND {q} {{{}}}\r\n", PROBE_MESSAGE.len()));
            out.push(Message {
                fragments: vec![
                    Fragment::Line(head.into_bytes()),
                    Fragment::Literal(PROBE_MESSAGE.to_vec()),
                    Fragment::Line(b"\r\n".to_vec()),
                ],
            });
        }
    }
    out.push(Message::line(next("LOGOUT")));
    out
}

/// The verb of an exchange's command, upper-cased.
fn verb(e: &Exchange) -> String {
    let c = e.command();
    let word = c
        .first_line()
        .split(|&b| b == b' ')
        .nth(1)
        .unwrap_or_default();
    String::from_utf8_lossy(word)
        .trim_end_matches(['\r', '\n'])
        .to_ascii_uppercase()
}

/// Whether the text of a tagged OK (`tag OK resp_text`) begins with the `[READ-ONLY]`
/// response code (RFC 2060 §7.1: `resp_text ::= ["[" resp_text_code "]" SPACE] text`;
/// the atom is compared case-insensitively).
fn has_read_only_code(completion: &[u8]) -> bool {
    let mut words = completion.splitn(3, |&b| b == b' ');
    let (_, _, text) = (words.next(), words.next(), words.next().unwrap_or_default());
    text.len() >= 11 && text[..11].eq_ignore_ascii_case(b"[READ-ONLY]")
}

/// The flags (upper-cased, `\Recent` left out) of the first FETCH response with FLAGS
/// in `e`, if the command was answered OK.
fn fetched_flags(e: &Exchange) -> Option<std::collections::BTreeSet<String>> {
    if e.status().as_deref() != Some("OK") {
        return None;
    }
    e.responses().find_map(|m| {
        let line = String::from_utf8_lossy(m.first_line()).to_ascii_uppercase();
        if !line.starts_with("* ") || !line.contains(" FETCH ") {
            return None;
        }
        let rest = &line[line.find("FLAGS (")? + 7..];
        let list = &rest[..rest.find(')')?];
        Some(
            list.split_whitespace()
                .filter(|f| *f != "\\RECENT")
                .map(str::to_string)
                .collect(),
        )
    })
}

/// Whether a MYRIGHTS response in `e` (RFC 4314 §3.5) grants a right to modify the
/// mailbox's messages: `w`, `s`, `t`, `e`, `i` (RFC 4314 §2.1) or RFC 2086's `d`.
fn grants_modification(e: &Exchange) -> bool {
    e.responses().any(|m| {
        let line = String::from_utf8_lossy(m.first_line()).into_owned();
        line.to_ascii_uppercase().starts_with("* MYRIGHTS ")
            && line
                .trim_end()
                .rsplit(' ')
                .next()
                .is_some_and(|r| r.chars().any(|c| "wsteid".contains(c)))
    })
}

/// The mailbox the SELECT at script index `i` names (the record's `mailboxes`, in order).
fn mailbox_of(r: &ReadOnlyRecord, i: usize) -> String {
    let nth = r.transcript.script[..i]
        .iter()
        .filter(|e| verb(e) == "SELECT")
        .count();
    r.mailboxes.get(nth).cloned().unwrap_or_default()
}

/// What the SELECT at script index `i` showed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Tagged OK with `[READ-ONLY]`: the requirement held.
    ReadOnly,
    /// Tagged OK without it. What the confirming commands after it (up to the next
    /// SELECT) showed: `modified`, the account may modify the mailbox after all (MYRIGHTS
    /// grants a right to, the STORE added a flag, or the APPEND was accepted), so the
    /// targets file was wrong about it; `unmodifiable`, the STORE was answered (OK or
    /// NO) without adding any flag and the APPEND was refused (NO).
    NotMarked { modified: bool, unmodifiable: bool },
    /// No tagged OK (NO, BAD, or no answer): the requirement was not put to the test.
    NotSelected(String),
}

fn outcome(r: &ReadOnlyRecord, i: usize) -> Outcome {
    let e = &r.transcript.script[i];
    let Some(done) = e.completion() else {
        return Outcome::NotSelected("no tagged answer".into());
    };
    if e.status().as_deref() != Some("OK") {
        return Outcome::NotSelected(
            String::from_utf8_lossy(done.first_line())
                .trim_end()
                .to_string(),
        );
    }
    if has_read_only_code(done.first_line()) {
        return Outcome::ReadOnly;
    }
    // The exchanges up to the next SELECT act on this mailbox.
    let after: Vec<&Exchange> = r.transcript.script[i + 1..]
        .iter()
        .take_while(|e| verb(e) != "SELECT")
        .collect();
    let fetches: Vec<_> = after
        .iter()
        .filter(|e| verb(e) == "FETCH")
        .map(|e| fetched_flags(e))
        .collect();
    let store = after.iter().find(|e| verb(e) == "STORE");
    let append = after.iter().find(|e| verb(e) == "APPEND");
    let new_flags = match fetches.as_slice() {
        [Some(before), Some(later), ..] => Some(!later.is_subset(before)),
        _ => None,
    };
    let modified = after
        .iter()
        .any(|e| verb(e) == "MYRIGHTS" && grants_modification(e))
        || new_flags == Some(true)
        || append.is_some_and(|e| e.status().as_deref() == Some("OK"));
    let unmodifiable = store.is_some_and(|e| matches!(e.status().as_deref(), Some("OK" | "NO")))
        && new_flags == Some(false)
        && append.is_some_and(|e| e.status().as_deref() == Some("NO"));
    Outcome::NotMarked {
        modified,
        unmodifiable,
    }
}

/// Whether some SELECT of the record was answered OK without `[READ-ONLY]`: the run
/// that confirms the mailbox cannot be modified is then due.
fn unmarked(r: &ReadOnlyRecord) -> bool {
    (0..r.transcript.script.len()).any(|i| {
        verb(&r.transcript.script[i]) == "SELECT"
            && matches!(outcome(r, i), Outcome::NotMarked { .. })
    })
}

/// The findings of a record: a violation of RFC 2060 §6.3.1 per SELECT of a read-only
/// mailbox answered OK without `[READ-ONLY]` where the confirming commands showed it
/// cannot be modified and none showed that it can.
pub fn judge(target: &str, r: &ReadOnlyRecord) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (i, e) in r.transcript.script.iter().enumerate() {
        if verb(e) != "SELECT" {
            continue;
        }
        let Outcome::NotMarked {
            modified: false,
            unmodifiable: true,
        } = outcome(r, i)
        else {
            continue;
        };
        let done = e.completion().expect("an OK has a completion");
        let mailbox = mailbox_of(r, i);
        out.push(Verdict {
            kind: requirement_kind(RULE).unwrap_or(Kind::Violation),
            targets: vec![target.to_string()],
            step: Some(i),
            rule: Some(RULE.to_string()),
            summary:
                "SELECT of a mailbox the account may read but not modify (read_only_mailboxes) \
                 answered OK without the [READ-ONLY] response code (then a STORE of every \
                 system flag added none and APPEND was refused)"
                    .to_string(),
            expected: crate::catalogue::catalogue()
                .cite(RULE)
                .unwrap_or_else(|| RULE.to_string()),
            observed: format!("SELECT {}: {}", quoted(&mailbox), escape(&done.to_bytes())),
            cause: None,
        });
    }
    out
}

/// Why the requirement was not put to the test on some mailbox: a SELECT refused, or a
/// mailbox that proved modifiable (the targets file is wrong about it).
pub fn notes(r: &ReadOnlyRecord) -> Vec<String> {
    let mut out = Vec::new();
    for (i, e) in r.transcript.script.iter().enumerate() {
        if verb(e) != "SELECT" {
            continue;
        }
        let m = quoted(&mailbox_of(r, i));
        match outcome(r, i) {
            Outcome::NotSelected(why) => out.push(format!("SELECT {m} not OK: {why}")),
            Outcome::NotMarked { modified: true, .. } => out.push(format!(
                "{m} is not read-only for this account (MYRIGHTS grants a right to modify it, \
                 the STORE added a flag, or the APPEND was accepted): fix read_only_mailboxes"
            )),
            Outcome::NotMarked {
                unmodifiable: false,
                ..
            } => out.push(format!(
                "SELECT {m} answered OK without [READ-ONLY], but the mailbox was not shown \
                 read-only (a STORE of its first message without effect and an APPEND refused; \
                 is it empty?): no finding"
            )),
            _ => {}
        }
    }
    if r.transcript.script.is_empty() {
        out.push(format!(
            "no command was sent ({})",
            r.transcript.end.to_line()
        ));
    }
    out
}

/// Runs the probe against `target` as the pool user `creds`: reset, SELECT each
/// mailbox; where that shows a violation, reset and run again with the confirming
/// STORE, which is the record returned. `Err` only for problems of the setup.
pub async fn run(
    target: &Target,
    creds: Option<&Credentials>,
    mailboxes: &[String],
    opts: &DriveOptions,
) -> Result<ReadOnlyRecord, DriveError> {
    let opts = DriveOptions {
        list_mailboxes: false,
        prelude: Vec::new(),
        ..opts.clone()
    };
    let mut confirm = false;
    loop {
        drive::reset(target, creds).await?;
        let transcript =
            drive::run_session(target, creds, &script(mailboxes, confirm), &opts).await?;
        let r = ReadOnlyRecord {
            mailboxes: mailboxes.to_vec(),
            transcript,
        };
        if confirm || !unmarked(&r) {
            return Ok(r);
        }
        confirm = true;
    }
}

/// The case file of a record (redacted: the probe logs in).
pub fn case(seed: u64, target: &str, r: &ReadOnlyRecord, redact: &Redactor) -> Case {
    let mut header = case_header(seed, PROBE_SESSION, target);
    header.retain(|(k, _)| k != "session");
    header.push(("probe".into(), PROBE.into()));
    for m in &r.mailboxes {
        header.push((MAILBOX_HEADER.into(), m.clone()));
    }
    header.push(("time-probed".into(), rfc3339_now()));
    Case {
        header,
        transcript: redact.transcript(&r.transcript),
    }
}

/// The mailboxes a probe case names.
pub fn mailboxes_of(case: &Case) -> Vec<String> {
    case.header
        .iter()
        .filter(|(k, _)| k == MAILBOX_HEADER)
        .map(|(_, v)| v.clone())
        .collect()
}

fn finding(
    v: Verdict,
    id: String,
    r: &ReadOnlyRecord,
    cases: BTreeMap<String, String>,
    seed: u64,
) -> Finding {
    let command = v
        .step
        .and_then(|i| r.transcript.script.get(i))
        .map(|e| escape(&e.command().to_bytes()))
        .unwrap_or_default();
    Finding::from_verdict(v, id, command, cases, seed, PROBE_SESSION)
}

/// The printout of `replay` for one target: the case of the new record, then what it
/// proves; and that case (to save).
pub fn describe(target: &str, r: &ReadOnlyRecord, redact: &Redactor) -> (String, Case) {
    let c = case(0, target, r, redact);
    let mut text = format!("== {target} (probe {PROBE}) ==\n{}", c.to_text());
    let verdicts = judge(target, r);
    for n in notes(r) {
        text.push_str(&format!("-> not checked: {n}\n"));
    }
    if verdicts.is_empty() {
        text.push_str("-> no finding\n");
    }
    for v in &verdicts {
        text.push_str(&format!("-> {} {RULE}: {}\n", v.kind, v.summary));
    }
    (text, c)
}

/// Runs the probe on `target` (which names read-only mailboxes) and writes its case
/// (when it found something, or with `all_cases`) and findings.
#[allow(clippy::too_many_arguments)]
pub async fn probe_target(
    target: &Target,
    creds: Option<&Credentials>,
    drive: &DriveOptions,
    seed: u64,
    out: &Path,
    writer: &FindingsWriter,
    redact: &Redactor,
    all_cases: bool,
) -> anyhow::Result<Result<ProbeOutcome, DriveError>> {
    let mut outcome = ProbeOutcome::default();
    if target.read_only_mailboxes.is_empty() {
        return Ok(Ok(outcome));
    }
    let r = match run(target, creds, &target.read_only_mailboxes, drive).await {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    outcome.ran = 1;
    outcome
        .skipped
        .extend(notes(&r).into_iter().map(|n| format!("{PROBE}: {n}")));
    let verdicts = judge(&target.name, &r);
    if verdicts.is_empty() && !all_cases {
        return Ok(Ok(outcome));
    }
    let rel = case_path(&target.name);
    let path = out.join(&rel);
    std::fs::write(&path, case(seed, &target.name, &r, redact).to_text())
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    let cases = BTreeMap::from([(target.name.clone(), rel)]);
    for (n, v) in verdicts.into_iter().enumerate() {
        let id = format!("{seed}.probe-{}-{PROBE}.{n}", target.name);
        let f = finding(v, id, &r, cases.clone(), seed);
        writer
            .write(&f)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", writer.path().display()))?;
        outcome.findings += 1;
    }
    Ok(Ok(outcome))
}

/// Runs the probe of a case again on `target` (the case's mailboxes) and judges it: the
/// signatures of its findings and the new record.
pub async fn replay(
    case: &Case,
    target: &Target,
    creds: Option<&Credentials>,
    drive: &DriveOptions,
) -> Result<(Vec<Signature>, ReadOnlyRecord), String> {
    let mailboxes = mailboxes_of(case);
    if mailboxes.is_empty() {
        return Err(format!("a {PROBE} probe's case names no {MAILBOX_HEADER}"));
    }
    let r = run(target, creds, &mailboxes, drive)
        .await
        .map_err(|e| e.to_string())?;
    let signatures = judge(&target.name, &r)
        .into_iter()
        .enumerate()
        .map(|(n, v)| Signature::of(&finding(v, n.to_string(), &r, BTreeMap::new(), 0)))
        .collect();
    Ok((signatures, r))
}

#[cfg(test)]
mod tests;
