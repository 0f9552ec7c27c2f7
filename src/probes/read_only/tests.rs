//! The verdicts of the read-only probe on recorded bytes, written from RFC 2060 §6.3.1:
//! "the server MUST prefix the text of the tagged OK response to SELECT with the
//! "[READ-ONLY]" response code."

use super::*;

fn record(mailboxes: &[&str], script: Vec<Exchange>) -> ReadOnlyRecord {
    ReadOnlyRecord {
        mailboxes: mailboxes.iter().map(|m| m.to_string()).collect(),
        transcript: Transcript {
            script,
            ..Transcript::default()
        },
    }
}

fn select(tag: &str, mailbox: &str, completion: &str) -> Exchange {
    Exchange::from_lines(
        &format!("{tag} SELECT \"{mailbox}\""),
        &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 1 EXISTS",
            "* 0 RECENT",
            "* OK [UIDVALIDITY 3] UIDs valid",
            completion,
        ],
    )
}

/// The confirming commands after the SELECT tagged `r1`, on a mailbox that may not be
/// modified: MYRIGHTS `rights` (or BAD, `None`), the message's flags before and after
/// the STORE (answered `store`), and the APPEND answered `append`.
fn confirming(
    rights: Option<&str>,
    before: &str,
    store: &str,
    after: &str,
    append: &str,
) -> Vec<Exchange> {
    let myrights = match rights {
        Some(r) => Exchange::from_lines(
            "r2 MYRIGHTS \"ReadOnly\"",
            &[&format!("* MYRIGHTS \"ReadOnly\" {r}"), "r2 OK done"],
        ),
        None => Exchange::from_lines("r2 MYRIGHTS \"ReadOnly\"", &["r2 BAD unknown command"]),
    };
    vec![
        myrights,
        Exchange::from_lines(
            "r3 FETCH 1 (FLAGS)",
            &[&format!("* 1 FETCH (FLAGS ({before}))"), "r3 OK done"],
        ),
        Exchange::from_lines(
            "r4 STORE 1 +FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
            &[&format!("r4 {store}")],
        ),
        Exchange::from_lines(
            "r5 FETCH 1 (FLAGS)",
            &[&format!("* 1 FETCH (FLAGS ({after}))"), "r5 OK done"],
        ),
        Exchange::from_lines("r6 APPEND \"ReadOnly\" {5}", &[&format!("r6 {append}")]),
    ]
}

/// The confirming commands on a mailbox read-only by ACL, as Cyrus answers them.
fn store_refused() -> Vec<Exchange> {
    confirming(
        Some("lr"),
        "\\Recent",
        "NO Permission denied",
        "\\Recent",
        "NO Permission denied",
    )
}

/// `select`, the confirming commands (STORE refused), LOGOUT.
fn confirmed(completion: &str) -> Vec<Exchange> {
    let mut v = vec![select("r1", "ReadOnly", completion)];
    v.extend(store_refused());
    v.push(logout("r7"));
    v
}

fn logout(tag: &str) -> Exchange {
    Exchange::from_lines(
        &format!("{tag} LOGOUT"),
        &["* BYE bye", &format!("{tag} OK done")],
    )
}

#[test]
fn ok_to_select_of_a_read_only_mailbox_without_read_only_code_is_a_violation_rfc2060_6_3_1() {
    let r = record(
        &["ReadOnly"],
        confirmed("r1 OK [READ-WRITE] SELECT completed"),
    );
    let v = judge("srv", &r);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].kind, Kind::Violation);
    assert_eq!(v[0].rule.as_deref(), Some(RULE));
    assert_eq!(v[0].step, Some(0));
    assert_eq!(v[0].targets, vec!["srv".to_string()]);
    assert!(
        v[0].expected
            .contains("MUST prefix the text of the tagged OK response to SELECT"),
        "{}",
        v[0].expected
    );
    assert!(
        v[0].observed
            .contains("SELECT \"ReadOnly\": r1 OK [READ-WRITE] SELECT completed"),
        "{}",
        v[0].observed
    );
    // No response code at all is the same violation.
    let bare = record(&["ReadOnly"], confirmed("r1 OK SELECT completed"));
    assert_eq!(judge("srv", &bare).len(), 1);
    // [READ-ONLY] only in an untagged OK is not the tagged OK's code.
    let mut untagged = vec![Exchange::from_lines(
        "r1 SELECT \"ReadOnly\"",
        &["* OK [READ-ONLY] read-only", "r1 OK done"],
    )];
    untagged.extend(store_refused());
    assert_eq!(judge("srv", &record(&["ReadOnly"], untagged)).len(), 1);
    // A STORE answered OK that added no flag confirms it too (Dovecot answers so on a
    // read-only mailbox), with no MYRIGHTS (no ACL support).
    let mut ignored = vec![select("r1", "ReadOnly", "r1 OK [READ-WRITE] done")];
    ignored.extend(confirming(
        None,
        "",
        "OK Store completed",
        "",
        "NO [NOPERM] Permission denied",
    ));
    assert_eq!(judge("srv", &record(&["ReadOnly"], ignored)).len(), 1);
}

#[test]
fn an_unmarked_ok_not_shown_read_only_is_no_finding() {
    // Without the confirming STORE (the first run), or with a STORE that could not act
    // (an empty mailbox: BAD), the premise "not permitted to modify" rests on the
    // targets file alone: no violation, but a note, and the confirming run is due.
    let first = record(
        &["ReadOnly"],
        vec![
            select("r1", "ReadOnly", "r1 OK [READ-WRITE] done"),
            logout("r2"),
        ],
    );
    assert!(judge("srv", &first).is_empty());
    assert!(unmarked(&first));
    assert!(
        notes(&first)[0].contains("not shown read-only"),
        "{:?}",
        notes(&first)
    );
    let empty = record(
        &["INBOX"],
        vec![
            select("r1", "INBOX", "r1 OK [READ-WRITE] done"),
            Exchange::from_lines("r3 FETCH 1 (FLAGS)", &["r3 BAD Invalid messageset"]),
            Exchange::from_lines(
                "r4 STORE 1 +FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
                &["r4 BAD Invalid messageset"],
            ),
            Exchange::from_lines("r5 FETCH 1 (FLAGS)", &["r5 BAD Invalid messageset"]),
            Exchange::from_lines("r6 APPEND \"INBOX\" {5}", &["r6 NO over quota"]),
            logout("r7"),
        ],
    );
    assert!(judge("srv", &empty).is_empty());
    assert_eq!(notes(&empty).len(), 1);
    // A correct answer needs no confirming run.
    let fine = record(
        &["ReadOnly"],
        vec![
            select("r1", "ReadOnly", "r1 OK [READ-ONLY] done"),
            logout("r2"),
        ],
    );
    assert!(!unmarked(&fine));
}

#[test]
fn ok_with_read_only_code_meets_the_requirement_rfc2060_6_3_1() {
    for completion in [
        "r1 OK [READ-ONLY] Select completed (0.001 + 0.000 secs).",
        "r1 OK [read-only] done",
        "r1 ok [READ-ONLY] Completed",
    ] {
        let r = record(
            &["ReadOnly"],
            vec![select("r1", "ReadOnly", completion), logout("r2")],
        );
        assert!(judge("srv", &r).is_empty(), "{completion}");
        assert!(notes(&r).is_empty(), "{completion}: {:?}", notes(&r));
    }
}

#[test]
fn select_refused_is_no_finding_only_a_note_rfc2060_6_3_1() {
    for completion in ["r1 NO [NONEXISTENT] Mailbox doesn't exist", "r1 BAD no"] {
        let r = record(
            &["ReadOnly"],
            vec![select("r1", "ReadOnly", completion), logout("r2")],
        );
        assert!(judge("srv", &r).is_empty(), "{completion}");
        let n = notes(&r);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(n[0].contains("SELECT \"ReadOnly\" not OK"), "{n:?}");
    }
    // No tagged answer at all: not put to the test either.
    let r = record(
        &["ReadOnly"],
        vec![Exchange::from_lines(
            "r1 SELECT \"ReadOnly\"",
            &["* 1 EXISTS"],
        )],
    );
    assert!(judge("srv", &r).is_empty());
    assert_eq!(notes(&r).len(), 1);
}

#[test]
fn a_mailbox_that_proves_modifiable_is_not_held_to_the_read_only_sentence() {
    // The targets file said read-only, but the account may modify it: the premise of
    // the sentence ("not permitted to modify") does not hold, so no violation. Each way
    // it can show: a right to modify in MYRIGHTS (Cyrus' default `lrs` lets the user
    // set \Seen), a flag the STORE added, an APPEND accepted.
    let ways = [
        confirming(Some("lrs"), "", "NO denied", "", "NO denied"),
        confirming(
            Some("lr"),
            "\\Recent",
            "OK done",
            "\\Seen \\Recent",
            "NO denied",
        ),
        confirming(None, "", "NO denied", "", "OK [APPENDUID 1 2] done"),
    ];
    for way in ways {
        let mut script = vec![select("r1", "ReadOnly", "r1 OK [READ-WRITE] done")];
        script.extend(way);
        script.push(logout("r7"));
        let r = record(&["ReadOnly"], script);
        assert!(judge("srv", &r).is_empty(), "{:?}", r.transcript.script);
        assert!(notes(&r)[0].contains("is not read-only for this account"));
    }
    // Refused everything: the violation stands, confirmed.
    let v = judge(
        "srv",
        &record(&["ReadOnly"], confirmed("r1 OK [READ-WRITE] done")),
    );
    assert_eq!(v.len(), 1);
    assert!(
        v[0].summary.contains("added none and APPEND was refused"),
        "{}",
        v[0].summary
    );
}

#[test]
fn each_mailbox_is_judged_by_its_own_select() {
    let mut script = vec![select("r1", "A", "r1 OK [READ-ONLY] done")];
    script.extend(confirming(
        Some("lr"),
        "",
        "NO read-only",
        "",
        "NO read-only",
    ));
    let second = script.len();
    script.push(select("r7", "Shared Folders/B", "r7 OK [READ-WRITE] done"));
    script.extend(store_refused());
    script.push(logout("r13"));
    let r = record(&["A", "Shared Folders/B"], script);
    let v = judge("srv", &r);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].step, Some(second));
    assert!(v[0].observed.starts_with("SELECT \"Shared Folders/B\""));
}

#[test]
fn the_script_selects_each_mailbox_quoted_and_confirms_only_when_asked() {
    let names = vec!["ReadOnly".to_string(), "a \"q\" \\b".to_string()];
    let lines: Vec<String> = script(&names, false)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.to_bytes()).into_owned())
        .collect();
    assert_eq!(
        lines,
        [
            "r1 SELECT \"ReadOnly\"\r\n",
            "r2 SELECT \"a \\\"q\\\" \\\\b\"\r\n",
            "r3 LOGOUT\r\n"
        ]
    );
    let with: Vec<String> = script(&names[..1], true)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.to_bytes()).into_owned())
        .collect();
    let append = format!(
        "r6 APPEND \"ReadOnly\" {{{}}}\r\n{}\r\n",
        PROBE_MESSAGE.len(),
        String::from_utf8_lossy(PROBE_MESSAGE)
    );
    assert_eq!(
        with,
        [
            "r1 SELECT \"ReadOnly\"\r\n",
            "r2 MYRIGHTS \"ReadOnly\"\r\n",
            "r3 FETCH 1 (FLAGS)\r\n",
            "r4 STORE 1 +FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n",
            "r5 FETCH 1 (FLAGS)\r\n",
            append.as_str(),
            "r7 LOGOUT\r\n"
        ]
    );
}

#[test]
fn a_case_reads_back_with_its_mailboxes() {
    let r = record(
        &["ReadOnly", "Shared Folders/ReadOnly"],
        vec![select("r1", "ReadOnly", "r1 OK done"), logout("r2")],
    );
    let c = case(7, "dovecot", &r, &Redactor::default());
    let back = Case::parse(&c.to_text()).unwrap();
    assert!(is_case(&back));
    assert_eq!(back.get("target"), Some("dovecot"));
    assert_eq!(mailboxes_of(&back), r.mailboxes);
    assert_eq!(back.transcript.script, r.transcript.script);
    assert!(crate::probes::is_probe_case_path(&case_path("dovecot")));
}
