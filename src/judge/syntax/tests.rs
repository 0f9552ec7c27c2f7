use super::*;

fn msg(raw: &[u8]) -> Message {
    let mut fr = crate::wire::Framer::new(Default::default());
    fr.push(raw);
    fr.next_message().unwrap().expect("a whole message")
}

fn judge(raw: &[u8]) -> Option<Fault> {
    check_message(&msg(raw), false, Grammar::default())
}

fn rule_of(raw: &[u8]) -> (Kind, &'static str) {
    let f = judge(raw).unwrap_or_else(|| panic!("no fault in {}", escape(raw)));
    (f.kind, f.rule)
}

fn syntax(raw: &[u8]) -> &'static str {
    let (k, r) = rule_of(raw);
    assert_eq!(k, Kind::Syntax, "{}", escape(raw));
    r
}

#[test]
fn valid_rfc3501_responses_pass() {
    for r in [
        &b"* 3 EXISTS\r\n"[..],
        b"* 0 RECENT\r\n",
        b"* 2 EXPUNGE\r\n",
        b"* SEARCH\r\n",
        b"* SEARCH 1 2 3\r\n",
        b"* FLAGS (\\Answered \\Seen $Junk)\r\n",
        b"* LIST (\\Noselect) \"/\" foo\r\n",
        b"* LIST () NIL INBOX\r\n",
        b"* STATUS INBOX (MESSAGES 2 UIDNEXT 3)\r\n",
        b"* CAPABILITY IMAP4rev1 IDLE\r\n",
        b"a1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n",
        b"a2 NO [TRYCREATE] no such mailbox\r\n",
        b"a37 BAD  Invalid command\r\n",
        b"+ OK\r\n",
        b"+ \r\n",
        b"* OK [UIDVALIDITY 1732000000] UIDs valid\r\n",
        b"* 1 FETCH (UID 4 FLAGS (\\Seen) BODY[] {3}\r\nabc)\r\n",
        b"* BYE Logging out\r\n",
        // Valid by the ABNF though unusual: probes of the decoder's strictness.
        b"* CAPABILITY IMAP4rev1 AUTH= COMPRESS=DEFLATE X-FOO=1.2 RIGHTS=texk APPENDLIMIT=35651584 LITERAL- UTF8=ACCEPT QUOTA=RES-STORAGE\r\n",
        b"* FLAGS ()\r\n",
        b"* FLAGS (\\Seen foo[ $Forwarded \\XExt)\r\n",
        b"* LIST () \"\\\\\" foo\r\n",
        b"* LIST (\\Noselect \\HasChildren) \"/\" foo]\r\n",
        b"* LIST () \"/\" {3}\r\n\xff\xfe\xfd\r\n",
        b"* LSUB () \"/\" \"a b\"\r\n",
        b"* STATUS foo ()\r\n",
        b"* STATUS {3}\r\nf\xe9o (MESSAGES 0)\r\n",
        b"* 1 FETCH (ENVELOPE (NIL {2}\r\n\xff\xfe NIL NIL NIL NIL NIL NIL NIL NIL))\r\n",
        b"* 1 FETCH (INTERNALDATE \" 7-Feb-1994 21:52:25 -0800\")\r\n",
        b"* 1 FETCH (BODY[HEADER.FIELDS (\"From\" Subject)] {0}\r\n)\r\n",
        b"* 1 FETCH (BODY[1.2.MIME]<10> NIL)\r\n",
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"8BIT\" 9 1 NIL (\"inline\" NIL) (\"en\" \"de\") \"loc\" (1 (\"x\" 2)) NIL))\r\n",
        b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"image\" \"png\" (\"name\" \"a\") \"<id>\" \"desc\" \"base64\" 4) \"mixed\" (\"boundary\" \"x\") (\"attachment\" (\"filename\" \"a\")) \"en\" NIL))\r\n",
        b"* 1 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0) 1))\r\n",
        b"* 1 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5))\r\n",
        b"* 1 FETCH (BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5))\r\n",
        b"* 1 FETCH (ENVELOPE (\"d\" \"s\" ((\"n\" NIL \"m\" \"h\")(NIL NIL \"g\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL NIL \"<r>\" \"<m>\"))\r\n",
        b"a1 OK [BADCHARSET (UTF-8 \"X Y\")] no\r\n",
        b"a1 NO [BADCHARSET] no\r\n",
        b"* OK [PERMANENTFLAGS ()] none\r\n",
        b"* OK [UNSEEN 1] x\r\n",
        b"a1 OK [COPYUID 1 1:3,5 7:10] x\r\n",
        b"+ dGVzdA==\r\n",
        b"* NO [ALERT] disk full\r\n",
        b"* BAD unknown thing\r\n",
        // Keywords are case-insensitive (RFC 3501 §9 "case-insensitive").
        b"* 1 fetch (uid 4 flags (\\seen) body[header.fields (from)] NIL)\r\n",
        b"* search 1\r\n",
        b"* 3 exists\r\n",
        b"a1 ok [read-write] done\r\n",
        b"* Ok [UidValidity 3] x\r\n",
    ] {
        assert_eq!(judge(r), None, "{}", escape(r));
    }
}

#[test]
fn extension_data_is_not_a_syntax_violation() {
    for r in [
        &b"* OK [HIGHESTMODSEQ 12345678901] Highest\r\n"[..],
        b"* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok\r\n",
        b"* OK [URLMECH INTERNAL] Ok\r\n",
        b"* ID (\"name\" \"Dovecot\")\r\n",
        b"* NAMESPACE ((\"\" \".\")) NIL NIL\r\n",
        b"* ENABLED CONDSTORE\r\n",
        b"* ESEARCH (TAG \"a1\") UID ALL 1:3\r\n",
        b"* VANISHED (EARLIER) 1:2\r\n",
        b"* 1 FETCH (MODSEQ (12) FLAGS (\\Seen))\r\n",
        b"* 1 FETCH (EMAILID (M123) UID 3)\r\n",
        b"* 1 FETCH (BINARY[1] ~{3}\r\na\x00b)\r\n",
        b"* SEARCH 1 2 (MODSEQ 917162500)\r\n",
        b"* LIST (\\HasNoChildren) \".\" foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
        b"* STATUS foo (MESSAGES 1 HIGHESTMODSEQ 7 SIZE 1000)\r\n",
    ] {
        assert_eq!(judge(r), None, "{}", escape(r));
    }
}

#[test]
fn missing_cr_is_crlf() {
    assert_eq!(syntax(b"* 3 EXISTS\n"), "CRLF");
    assert_eq!(syntax(b"a1 OK done\n"), "CRLF");
}

#[test]
fn nul_and_eight_bit_name_the_character_rule() {
    assert_eq!(
        syntax(b"* 1 FETCH (ENVELOPE (NIL \"a\x00b\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"),
        "QUOTED-CHAR"
    );
    assert_eq!(syntax(b"a1 OK caf\xc3\xa9\r\n"), "TEXT-CHAR");
    assert_eq!(syntax(b"a1 OK a\rb\r\n"), "TEXT-CHAR");
    assert_eq!(syntax(b"* 1 FETCH (BODY[] {3}\r\na\x00b)\r\n"), "CHAR8");
}

#[test]
fn bad_fetch_names_the_innermost_rule_that_fails() {
    assert_eq!(syntax(b"* 1 FETCH (UID 0)\r\n"), "uniqueid");
    assert_eq!(syntax(b"* 1 FETCH (RFC822.SIZE abc)\r\n"), "number");
    assert_eq!(syntax(b"* 1 FETCH (ENVELOPE (NIL))\r\n"), "envelope");
    assert_eq!(syntax(b"* 1 FETCH (FLAGS \\Seen)\r\n"), "msg-att-dynamic");
    assert_eq!(
        syntax(b"* 1 FETCH (INTERNALDATE \"7-Feb-1994 21:52:25 -0800\")\r\n"),
        "date-day-fixed"
    );
    assert_eq!(syntax(b"* 1 FETCH UID 3\r\n"), "msg-att");
    // GNU Mailutils 3.15: no SP between the envelope and the body of message/rfc822.
    let raw = b"* 2 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 49 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 0) 3))\r\n";
    let f = judge(raw).unwrap();
    assert_eq!(f.rule, "body-type-msg");
    let at = find(raw, b")(\"TEXT\"").unwrap() + 1;
    let want = format!(
        "FETCH item `BODY`: `body-type-msg` wants SP at byte {at}, after `…NIL NIL NIL NIL NIL NIL)`, where the server sent `(\"TEXT\" \"PLAIN\""
    );
    assert!(f.why.contains(&want), "{}", f.why);
    assert_eq!(syntax(b"* 1 FETCH (UID)\r\n"), "msg-att-static");
    // The core part is judged even when extension items come along.
    assert_eq!(syntax(b"* 1 FETCH (MODSEQ (1) UID 0)\r\n"), "uniqueid");
}

/// RFC 2060 §6.4.5 (2060-6.4.5-mime-needs-part): "The MIME part specifier MUST be
/// prefixed by one or more numeric part specifiers." A FETCH response names its
/// section by the same rule (§9 `section`), so `BODY[MIME]` is not grammatical there.
#[test]
fn a_mime_section_without_a_part_number_is_syntax_rfc2060_6_4_5() {
    let f = judge(b"* 1 FETCH (BODY[MIME] {0}\r\n)\r\n").expect("BODY[MIME] is a fault");
    assert_eq!(f.kind, Kind::Syntax, "{}", f.why);
    let f = judge(b"* 1 FETCH (UID 3 BODY[MIME] NIL)\r\n").expect("BODY[MIME] is a fault");
    assert_eq!(f.kind, Kind::Syntax, "{}", f.why);
    for ok in [
        &b"* 1 FETCH (BODY[1.MIME] {0}\r\n)\r\n"[..],
        b"* 1 FETCH (BODY[2.1.MIME] NIL)\r\n",
    ] {
        assert_eq!(judge(ok), None, "{}", escape(ok));
    }
}

#[test]
fn real_mailutils_status_and_fetch_faults_name_the_rule_and_the_bytes_there() {
    // GNU Mailutils 3.15, seed-7 lab campaign: a mailbox name with a space sent as an
    // atom, and FLAGS outside the parenthesised list.
    let f = judge(b"* STATUS INBOX.to do (MESSAGES 0 RECENT 0)\r\n").unwrap();
    assert_eq!((f.kind, f.rule), (Kind::Syntax, "mailbox-data"));
    assert_eq!(
        f.why,
        "STATUS response: `mailbox-data` wants \"(\" at byte 18, after `* STATUS INBOX.to `, where the server sent `do (MESSAGES 0 RECENT 0)\\r\\n`"
    );
    let f = judge(b"* 1 FETCH FLAGS (\\Flagged \\Seen \\Recent)\r\n").unwrap();
    assert_eq!((f.kind, f.rule), (Kind::Syntax, "msg-att"));
    assert!(
        f.why.starts_with(
            "FETCH must be followed by exactly one list: `msg-att` wants \"(\" at byte 10, after `* 1 FETCH `, where the server sent `FLAGS ("
        ),
        "{}",
        f.why
    );
}

#[test]
fn unbalanced_parentheses_are_syntax() {
    assert_eq!(syntax(b"* 1 FETCH (FLAGS (\\Seen)\r\n"), "message-data");
    assert_eq!(syntax(b"* FLAGS (\\Seen\r\n"), "mailbox-data");
    // An unknown extension response that is malformed is only doubtful.
    assert_eq!(rule_of(b"* XFOO (a\r\n").0, Kind::Warning);
}

#[test]
fn bad_numbers() {
    assert_eq!(syntax(b"* 0 EXPUNGE\r\n"), "nz-number");
    assert_eq!(syntax(b"* 0 FETCH (UID 1)\r\n"), "nz-number");
    assert_eq!(syntax(b"* 4294967296 EXISTS\r\n"), "number");
    assert_eq!(syntax(b"* 2 EXPUNGED\r\n"), "message-data");
    assert_eq!(syntax(b"* 2 EXISTS 3\r\n"), "mailbox-data");
    assert_eq!(syntax(b"* SEARCH 1 0\r\n"), "mailbox-data");
    assert_eq!(syntax(b"* SEARCH 1 2 \r\n"), "mailbox-data");
}

#[test]
fn status_responses_follow_the_abnf_not_the_decoder() {
    assert_eq!(syntax(b"a1 OK\r\n"), "resp-text");
    assert_eq!(syntax(b"a1 OK \r\n"), "resp-text");
    assert_eq!(syntax(b"+\r\n"), "continue-req");
    assert_eq!(syntax(b"a1 BYE done\r\n"), "response-tagged");
    assert_eq!(syntax(b"* PREAUTH again\r\n"), "response-data");
    assert_eq!(syntax(b"* \r\n"), "response-data");
    assert_eq!(syntax(b"*\r\n"), "response-data");
    assert_eq!(syntax(b"* (a)\r\n"), "response-data");
    // text may begin with "[": valid ABNF, only a SHOULD NOT in RFC 2060.
    assert_eq!(
        rule_of(b"* OK [READ-WRITE]\r\n"),
        (Kind::Warning, "resp-text")
    );
    assert_eq!(
        rule_of(b"a1 OK [unclosed code\r\n"),
        (Kind::Warning, "resp-text")
    );
}

#[test]
fn rev2_allows_empty_text() {
    let g = Grammar {
        utf8: true,
        rev2: true,
    };
    assert_eq!(check_message(&msg(b"a1 OK \r\n"), false, g), None);
    assert_eq!(
        check_message(&msg(b"a1 OK caf\xc3\xa9\r\n"), false, g),
        None
    );
}

#[test]
fn an_imap4rev2_only_server_may_send_empty_text() {
    let t = Transcript {
        greeting: Some(msg(b"* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] hi\r\n")),
        setup: vec![],
        script: vec![Exchange {
            events: vec![
                crate::wire::Event::Client(Message::line("a1 NOOP")),
                crate::wire::Event::Server(msg(b"a1 OK \r\n")),
            ],
        }],
        end: crate::wire::End::Completed,
    };
    assert!(judge_syntax("x", &t).is_empty());
    let mut g = Grammar::default();
    g.observe_capabilities(&msg(b"* CAPABILITY IMAP4rev1 IMAP4rev2\r\n"));
    assert!(
        !g.rev2,
        "a server offering both speaks IMAP4rev1 until ENABLE"
    );
}

#[test]
fn utf8_quoted_strings_after_enable_are_not_judged() {
    let g = Grammar {
        utf8: true,
        rev2: false,
    };
    let m = msg(b"* 1 FETCH (ENVELOPE (NIL \"\xc3\xa4\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
    assert_eq!(check_message(&m, false, g), None);
    assert!(check_message(&m, false, Grammar::default()).is_some());
}

#[test]
fn observed_bytes_of_a_huge_message_are_cut() {
    let big = vec![b'a'; OBSERVED_MAX + 10];
    let o = observed(&big);
    assert!(o.ends_with(&format!("... ({} bytes in all)", OBSERVED_MAX + 10)));
    assert_eq!(observed(b"* 1\r\n"), "* 1\\r\\n");
}

#[test]
fn greetings() {
    let j = |r: &[u8]| check_message(&msg(r), true, Grammar::default());
    assert_eq!(j(b"* OK [CAPABILITY IMAP4rev1] ready\r\n"), None);
    assert_eq!(j(b"* PREAUTH IMAP4rev1\r\n"), None);
    assert_eq!(j(b"* NO go away\r\n").unwrap().rule, "greeting");
    assert_eq!(j(b"a1 OK hi\r\n").unwrap().rule, "greeting");
}

#[test]
fn partial_messages_are_left_to_judge_end() {
    let m = Message {
        fragments: vec![
            Fragment::Line(b"* 1 FETCH (BODY[] {10}\r\n".to_vec()),
            Fragment::Literal(b"abc".to_vec()),
        ],
    };
    assert!(is_partial(&m));
    assert_eq!(check_message(&m, false, Grammar::default()), None);
}

#[test]
fn utf8_accept_is_tracked_from_enabled() {
    let mut g = Grammar::default();
    let e = Exchange {
        events: vec![
            crate::wire::Event::Client(Message::line("e1 ENABLE UTF8=ACCEPT")),
            crate::wire::Event::Server(Message::line("* ENABLED UTF8=ACCEPT")),
            crate::wire::Event::Server(Message::line("e1 OK enabled")),
        ],
    };
    g.observe(&e);
    assert!(g.utf8 && !g.rev2);
}
