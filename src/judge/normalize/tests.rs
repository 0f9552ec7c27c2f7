#[test]
fn an_announced_uidvalidity_is_normalised_wherever_it_appears() {
    let e = super::Exchange {
        events: vec![
            crate::wire::Event::Client(crate::wire::Message::line("a1 SELECT INBOX")),
            crate::wire::Event::Server(crate::wire::Message::line(
                "* OK [UIDVALIDITY 1795712278] ok",
            )),
            crate::wire::Event::Server(crate::wire::Message::line(
                "* 1 FETCH (RFC822.HEADER \"X-IMAPbase: 1795712278 2\r\nX-Size: 17952\r\n\")",
            )),
            crate::wire::Event::Server(crate::wire::Message::line("a1 OK done")),
        ],
    };
    let lines = super::normalize_exchange(&e, &mut super::NormContext::new());
    let all = lines.join("\n");
    assert!(all.contains("X-IMAPbase: <uidvalidity> 2"), "{all}");
    assert!(
        all.contains("17952"),
        "only whole numbers are replaced: {all}"
    );
    assert!(!all.contains("1795712278"), "{all}");
}

#[test]
fn a_small_uidvalidity_is_normalised_only_where_it_is_one() {
    let e = super::Exchange {
        events: vec![
            crate::wire::Event::Client(crate::wire::Message::line("a1 SELECT INBOX")),
            crate::wire::Event::Server(crate::wire::Message::line("* 1 EXISTS")),
            crate::wire::Event::Server(crate::wire::Message::line("* OK [UIDVALIDITY 1] ok")),
            crate::wire::Event::Server(crate::wire::Message::line("a1 OK done")),
        ],
    };
    let lines = super::normalize_exchange(&e, &mut super::NormContext::new());
    let all = lines.join("\n");
    assert!(all.contains("* 1 EXISTS"), "{all}");
    assert!(all.contains("[UIDVALIDITY <uidvalidity>]"), "{all}");
}

use super::value::header_list_canonical;
use super::*;

fn ex(cmd: &str, resp: &[&[u8]]) -> Exchange {
    let mut events = vec![Event::Client(Message::line(cmd))];
    for r in resp {
        let mut fr = crate::wire::Framer::new(Default::default());
        fr.push(r);
        events.push(Event::Server(fr.next_message().unwrap().unwrap()));
    }
    Exchange { events }
}

fn norm(cmd: &str, resp: &[&[u8]]) -> Vec<String> {
    normalize_exchange(&ex(cmd, resp), &mut NormContext::new())
}

#[test]
fn tags_and_status_text_are_dropped_codes_kept() {
    assert_eq!(
        norm(
            "a1 SELECT foo",
            &[b"a1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"]
        ),
        vec!["<tag> OK [READ-WRITE]"]
    );
    assert_eq!(
        norm(
            "x9 SELECT foo",
            &[b"x9 ok [read-write] SELECT Completed\r\n"]
        ),
        vec!["<tag> OK [READ-WRITE]"]
    );
    assert_eq!(
        norm(
            "a2 COPY 1 nosuch",
            &[b"a2 NO [TRYCREATE] Mailbox doesn't exist\r\n"]
        ),
        vec!["<tag> NO [TRYCREATE]"]
    );
}

#[test]
fn values_servers_choose_are_placeholders() {
    let cyrus = norm(
        "a1 SELECT INBOX",
        &[
            b"* OK [UIDVALIDITY 1732612345] Ok\r\n",
            b"* OK [UIDNEXT 7] Ok\r\n",
            b"* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok\r\n",
            b"* OK [HIGHESTMODSEQ 4] Ok\r\n",
            b"* OK [URLMECH INTERNAL] Ok\r\n",
            b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Draft \\Seen \\*)] Ok\r\n",
            b"a1 OK [READ-WRITE] Completed\r\n",
        ],
    );
    let courier = norm(
            "b1 SELECT INBOX",
            &[
                b"* OK [PERMANENTFLAGS (\\* \\Draft \\Answered \\Flagged \\Deleted \\Seen)] Limited\r\n",
                b"* OK [UIDVALIDITY 1795709673] Ok\r\n",
                b"* OK [UIDNEXT 3] Ok\r\n",
                b"b1 OK [READ-WRITE] Ok\r\n",
            ],
        );
    assert_eq!(cyrus, courier);
    assert_eq!(
        cyrus,
        vec![
            "* OK [PERMANENTFLAGS <flags>]",
            "* OK [UIDVALIDITY <uidvalidity>]",
            "<tag> OK [READ-WRITE]"
        ]
    );
    let reference = norm(
        "c1 SELECT INBOX",
        &[
            b"* OK [PERMANENTFLAGS (\\Answered \\Seen)] flags\r\n",
            b"* OK [UIDVALIDITY 1795729425] UIDs valid\r\n",
            b"c1 OK [READ-WRITE] SELECT completed\r\n",
        ],
    );
    assert_eq!(cyrus, reference, "RFC 2060 defines no UIDNEXT code");
}

#[test]
fn capabilities_and_extension_codes_are_not_compared() {
    let d = norm(
        "a1 APPEND foo {3}",
        &[
            b"+ OK\r\n",
            b"a1 OK [APPENDUID 1795709673 4] Append completed (0.001 + 0.000 secs).\r\n",
        ],
    );
    let m = norm(
        "a1 APPEND foo {3}",
        &[b"+ GO AHEAD\r\n", b"a1 OK APPEND Completed\r\n"],
    );
    assert_eq!(d, m);
    assert_eq!(
        norm(
            "a1 CAPABILITY",
            &[b"* CAPABILITY IMAP4rev1 IDLE\r\n", b"a1 OK x\r\n"]
        ),
        norm(
            "a1 CAPABILITY",
            &[
                b"* CAPABILITY IMAP4rev1 NAMESPACE ID\r\n",
                b"a1 OK [CAPABILITY IMAP4rev1] y\r\n"
            ]
        ),
    );
}

#[test]
fn uids_are_renamed_in_order_of_first_appearance() {
    let mut a = NormContext::new();
    let mut b = NormContext::new();
    let fa = normalize_exchange(
        &ex(
            "a1 UID FETCH 1:* UID",
            &[
                b"* 1 FETCH (UID 17)\r\n",
                b"* 2 FETCH (UID 40)\r\n",
                b"a1 OK\r\n",
            ],
        ),
        &mut a,
    );
    let fb = normalize_exchange(
        &ex(
            "a1 UID FETCH 1:* UID",
            &[
                b"* 1 FETCH (UID 1)\r\n",
                b"* 2 FETCH (UID 2)\r\n",
                b"a1 OK\r\n",
            ],
        ),
        &mut b,
    );
    assert_eq!(fa, fb);
    assert_eq!(fa[0], "* 1 FETCH (UID u1)");
    let sa = normalize_exchange(
        &ex("a2 UID SEARCH ALL", &[b"* SEARCH 40 17\r\n", b"a2 OK\r\n"]),
        &mut a,
    );
    let sb = normalize_exchange(
        &ex("a2 UID SEARCH ALL", &[b"* SEARCH 1 2\r\n", b"a2 OK\r\n"]),
        &mut b,
    );
    assert_eq!(sa, sb);
}

#[test]
fn untagged_order_flags_order_and_split_fetches_do_not_matter() {
    let dovecot = norm(
        "a1 FETCH 1 (FLAGS BODY[])",
        &[
            b"* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[] {3}\r\nabc)\r\n",
            b"a1 OK Fetch completed.\r\n",
        ],
    );
    let other = norm(
        "a1 FETCH 1 (FLAGS BODY[])",
        &[
            b"* 1 FETCH (BODY[] \"abc\")\r\n",
            b"* 1 FETCH (FLAGS (\\SEEN))\r\n",
            b"a1 OK done\r\n",
        ],
    );
    assert_eq!(dovecot, other);
    assert_eq!(dovecot[0], "* 1 FETCH (BODY[] \"abc\" FLAGS (\\Seen))");
    assert_eq!(
        norm(
            "a SELECT x",
            &[
                b"* 3 EXISTS\r\n",
                b"* FLAGS (\\Seen \\Answered)\r\n",
                b"a OK x\r\n"
            ]
        ),
        norm(
            "a SELECT x",
            &[
                b"* FLAGS (\\Answered \\Seen)\r\n",
                b"* 3 EXISTS\r\n",
                b"a OK y\r\n"
            ]
        ),
    );
}

#[test]
fn an_echoed_header_list_compares_as_astrings_in_any_order_rfc3501_9() {
    let quoted = norm(
        "a FETCH 1 BODY.PEEK[HEADER.FIELDS (Date \"Content-Type\")]",
        &[
            b"* 1 FETCH (BODY[HEADER.FIELDS (DATE \"CONTENT-TYPE\")] \"x\")\r\n",
            b"a OK\r\n",
        ],
    );
    let atoms = norm(
        "a FETCH 1 BODY.PEEK[HEADER.FIELDS (Date \"Content-Type\")]",
        &[
            b"* 1 FETCH (BODY[HEADER.FIELDS (Content-Type Date)] \"x\")\r\n",
            b"a OK\r\n",
        ],
    );
    assert_eq!(quoted, atoms);
    assert_eq!(
        quoted[0],
        "* 1 FETCH (BODY[HEADER.FIELDS (CONTENT-TYPE DATE)] \"x\")"
    );
    // A name that is not an atom stays quoted; other fields still differ.
    assert_eq!(
        header_list_canonical("BODY[HEADER.FIELDS.NOT (\"A B\" C)]<0>"),
        "BODY[HEADER.FIELDS.NOT (\"A B\" C)]<0>"
    );
    assert_ne!(
        header_list_canonical("BODY[HEADER.FIELDS (DATE)]"),
        header_list_canonical("BODY[HEADER.FIELDS (SUBJECT)]")
    );
}

#[test]
fn lsub_of_inbox_is_compared_only_once_the_script_subscribed_or_unsubscribed_it() {
    let mut cyrus = NormContext::new();
    let mut dovecot = NormContext::new();
    let lsub =
        |c: &mut NormContext, lines: &[&[u8]]| normalize_exchange(&ex("a LSUB \"\" *", lines), c);
    let with = [b"* LSUB () \".\" INBOX\r\n".as_slice(), b"a OK\r\n"];
    let without = [b"a OK\r\n".as_slice()];
    assert_eq!(lsub(&mut cyrus, &with), lsub(&mut dovecot, &without));
    // Other mailboxes are compared as ever.
    let foo = [b"* LSUB () \".\" foo\r\n".as_slice(), b"a OK\r\n"];
    assert_ne!(lsub(&mut cyrus, &foo), lsub(&mut dovecot, &without));
    for c in [&mut cyrus, &mut dovecot] {
        normalize_exchange(&ex("b unsubscribe inbox", &[b"b OK\r\n"]), c);
    }
    assert_ne!(lsub(&mut cyrus, &with), lsub(&mut dovecot, &without));
}

#[test]
fn expunge_keeps_its_order_and_separates() {
    let n = norm(
        "a EXPUNGE",
        &[b"* 3 EXPUNGE\r\n", b"* 2 EXPUNGE\r\n", b"a OK\r\n"],
    );
    assert_eq!(n, vec!["* 3 EXPUNGE", "* 2 EXPUNGE", "<tag> OK"]);
    // A FETCH between two EXPUNGEs stays between them.
    let n = norm(
        "a EXPUNGE",
        &[
            b"* 2 EXPUNGE\r\n",
            b"* 1 FETCH (FLAGS ())\r\n",
            b"* 1 EXPUNGE\r\n",
            b"a OK\r\n",
        ],
    );
    assert_eq!(
        n,
        vec![
            "* 2 EXPUNGE",
            "* 1 FETCH (FLAGS ())",
            "* 1 EXPUNGE",
            "<tag> OK"
        ]
    );
}

#[test]
fn expunges_that_remove_the_same_messages_compare_equal_rfc3501_7_4_1() {
    // Messages 1, 2 and 3 removed: Cyrus says `1 1 1`, Dovecot `3 2 1`; RFC 3501
    // §7.4.1's own example removes 3, 4, 7 and 11 as `3 3 5 8`.
    let cyrus = norm(
        "a EXPUNGE",
        &[
            b"* 1 EXPUNGE\r\n",
            b"* 1 EXPUNGE\r\n",
            b"* 1 EXPUNGE\r\n",
            b"a OK\r\n",
        ],
    );
    let dovecot = norm(
        "a EXPUNGE",
        &[
            b"* 3 EXPUNGE\r\n",
            b"* 2 EXPUNGE\r\n",
            b"* 1 EXPUNGE\r\n",
            b"a OK\r\n",
        ],
    );
    assert_eq!(cyrus, dovecot);
    let rfc = norm(
        "a EXPUNGE",
        &[
            b"* 3 EXPUNGE\r\n",
            b"* 3 EXPUNGE\r\n",
            b"* 5 EXPUNGE\r\n",
            b"* 8 EXPUNGE\r\n",
            b"a OK\r\n",
        ],
    );
    assert_eq!(
        rfc,
        vec![
            "* 11 EXPUNGE",
            "* 7 EXPUNGE",
            "* 4 EXPUNGE",
            "* 3 EXPUNGE",
            "<tag> OK"
        ]
    );
    // Other messages removed (2, 3 and 4): still different.
    let other = norm(
        "a EXPUNGE",
        &[
            b"* 2 EXPUNGE\r\n",
            b"* 2 EXPUNGE\r\n",
            b"* 2 EXPUNGE\r\n",
            b"a OK\r\n",
        ],
    );
    assert_ne!(cyrus, other);
}

#[test]
fn recent_and_repeated_exists() {
    let mut c = NormContext::new();
    let s = normalize_exchange(
        &ex(
            "a SELECT x",
            &[b"* 2 EXISTS\r\n", b"* 2 RECENT\r\n", b"a OK\r\n"],
        ),
        &mut c,
    );
    assert_eq!(s, vec!["* 2 EXISTS", "* <n> RECENT", "<tag> OK"]);
    let n = normalize_exchange(&ex("b NOOP", &[b"* 2 EXISTS\r\n", b"b OK\r\n"]), &mut c);
    assert_eq!(n, vec!["<tag> OK"]);
}

#[test]
fn internaldate_of_undated_append_is_a_placeholder() {
    let mut c = NormContext::new();
    normalize_exchange(
        &ex(
            "a APPEND foo \"07-Feb-1994 21:52:25 -0800\" {3}",
            &[b"a OK\r\n"],
        ),
        &mut c,
    );
    let n = normalize_exchange(
        &ex(
            "b FETCH 1:2 INTERNALDATE",
            &[
                b"* 1 FETCH (INTERNALDATE \"08-Feb-1994 05:52:25 +0000\")\r\n",
                b"* 2 FETCH (INTERNALDATE \"26-Nov-2026 16:14:33 +0000\")\r\n",
                b"b OK\r\n",
            ],
        ),
        &mut c,
    );
    assert_eq!(n[0], "* 1 FETCH (INTERNALDATE @760686745)");
    assert_eq!(n[1], "* 2 FETCH (INTERNALDATE <internaldate>)");
}

#[test]
fn list_attributes_and_bodystructure_case() {
    assert_eq!(
        norm(
            "a LIST \"\" *",
            &[b"* LIST (\\HasNoChildren) \".\" inbox\r\n", b"a OK\r\n"]
        )[0],
        "* LIST () <delim> INBOX"
    );
    assert_eq!(
        norm(
            "a LIST \"\" *",
            &[b"* LIST (\\NoInferiors) NIL INBOX\r\n", b"a OK\r\n"]
        )[0],
        "* LIST (\\Noinferiors) <delim> INBOX"
    );
    let dovecot = norm(
            "a FETCH 1 BODYSTRUCTURE",
            &[b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 1 NIL NIL NIL NIL))\r\n", b"a OK\r\n"],
        );
    let mailutils = norm(
            "a FETCH 1 BODYSTRUCTURE",
            &[b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 9 1 NIL NIL NIL))\r\n", b"a OK\r\n"],
        );
    assert_eq!(dovecot, mailutils);
}

#[test]
fn condstore_esearch_and_object_ids() {
    // Dovecot and Cyrus, same script (RFC 7162, RFC 4731, RFC 8474).
    let dovecot = norm(
        "e8 SEARCH RETURN (ALL COUNT MIN MAX MODSEQ) ALL",
        &[
            b"* ESEARCH (TAG \"e8\") MIN 1 MAX 2 ALL 1:2 COUNT 2 MODSEQ 9\r\n",
            b"e8 OK Search completed (0.001 + 0.000 secs).\r\n",
        ],
    );
    let cyrus = norm(
        "e8 SEARCH RETURN (ALL COUNT MIN MAX MODSEQ) ALL",
        &[
            b"* ESEARCH (TAG \"e8\") COUNT 2 MIN 1 MAX 2 ALL 1:2 MODSEQ 4\r\n",
            b"e8 OK Completed\r\n",
        ],
    );
    assert_eq!(dovecot, cyrus);
    assert_eq!(
            norm("e6 FETCH 1 (MODSEQ EMAILID SAVEDATE)", &[b"* 1 FETCH (MODSEQ (2) EMAILID (M3ed7) SAVEDATE \"26-Nov-2026 16:29:11 +0000\")\r\n", b"e6 OK\r\n"])[0],
            "* 1 FETCH (EMAILID <objectid> MODSEQ (<modseq>) SAVEDATE <savedate>)"
        );
    assert_eq!(
        norm(
            "e10 SEARCH MODSEQ 1",
            &[b"* SEARCH 2 1 (MODSEQ 3)\r\n", b"e10 OK\r\n"]
        )[0],
        "* SEARCH 1 2 (MODSEQ <modseq>)"
    );
    assert_eq!(
        norm(
            "e12 STATUS foo (HIGHESTMODSEQ SIZE)",
            &[
                b"* STATUS foo (SIZE 430 HIGHESTMODSEQ 3)\r\n",
                b"e12 OK\r\n"
            ]
        )[0],
        "* STATUS \"foo\" (HIGHESTMODSEQ <modseq> SIZE 430)"
    );
}

#[test]
fn status_recent_is_not_compared_as_whether_a_session_is_first_is_the_servers() {
    let courier = norm(
        "a5 STATUS old (MESSAGES RECENT)",
        &[b"* STATUS old (MESSAGES 1 RECENT 0)\r\n", b"a5 OK\r\n"],
    );
    let cyrus = norm(
        "a5 STATUS old (MESSAGES RECENT)",
        &[b"* STATUS old (RECENT 1 MESSAGES 1)\r\n", b"a5 OK\r\n"],
    );
    assert_eq!(courier, cyrus);
    assert_eq!(courier[0], "* STATUS \"old\" (MESSAGES 1 RECENT <n>)");
}

#[test]
fn recent_is_only_compared_after_select() {
    // Dovecot re-announces RECENT after EXPUNGE, Cyrus does not.
    let dovecot = norm(
        "e21 UID EXPUNGE 2",
        &[b"* 2 EXPUNGE\r\n", b"* 1 RECENT\r\n", b"e21 OK\r\n"],
    );
    let cyrus = norm(
        "e21 UID EXPUNGE 2",
        &[
            b"* 2 EXPUNGE\r\n",
            b"e21 OK [HIGHESTMODSEQ 6] Completed\r\n",
        ],
    );
    assert_eq!(dovecot, cyrus);
}

#[test]
fn uid_search_renames_in_ascending_order() {
    let mut a = NormContext::new();
    let mut b = NormContext::new();
    let x = normalize_exchange(
        &ex("s UID SEARCH ALL", &[b"* SEARCH 9 4 12\r\n", b"s OK\r\n"]),
        &mut a,
    );
    let y = normalize_exchange(
        &ex("s UID SEARCH ALL", &[b"* SEARCH 1 2 3\r\n", b"s OK\r\n"]),
        &mut b,
    );
    assert_eq!(x, y);
    assert_eq!(x[0], "* SEARCH u1 u2 u3");
}

#[test]
fn dates_are_instants() {
    assert_eq!(date_instant(b"01-Jan-1970 00:00:00 +0000"), Some(0));
    assert_eq!(
        date_instant(b"07-Feb-1994 21:52:25 -0800"),
        date_instant(b"08-Feb-1994 05:52:25 +0000")
    );
    assert_eq!(date_instant(b" 1-Jan-1970 01:00:00 +0100"), Some(0));
}
