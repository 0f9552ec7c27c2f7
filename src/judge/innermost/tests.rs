use super::*;

fn item(raw: &[u8]) -> Option<Miss> {
    let at = raw.windows(2).position(|w| w == b" (").unwrap() + 2;
    let end = raw.len() - 3;
    fetch_item(raw, at, end)
}

#[test]
fn rfc3501_fetch_items_that_match_have_no_miss() {
    for raw in [
        &b"* 1 FETCH (FLAGS (\\Seen \\Recent $Junk))\r\n"[..],
        b"* 1 FETCH (FLAGS ())\r\n",
        b"* 1 FETCH (UID 4)\r\n",
        b"* 1 FETCH (RFC822.SIZE 44)\r\n",
        b"* 1 FETCH (BODY[HEADER.FIELDS (\"From\" Subject)] {0}\r\n)\r\n",
        b"* 1 FETCH (BODY[1.2.MIME]<10> NIL)\r\n",
        b"* 1 FETCH (INTERNALDATE \" 7-Feb-1994 21:52:25 -0800\")\r\n",
        b"* 1 FETCH (ENVELOPE (\"d\" \"s\" ((\"n\" NIL \"m\" \"h\")(NIL NIL \"g\" NIL)) NIL NIL NIL NIL NIL \"<r>\" \"<m>\"))\r\n",
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"8BIT\" 9 1 NIL (\"inline\" NIL) (\"en\" \"de\") \"loc\" (1 (\"x\" 2)) NIL))\r\n",
        b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"image\" \"png\" (\"name\" \"a\") \"<id>\" \"desc\" \"base64\" 4) \"mixed\" (\"boundary\" \"x\") (\"attachment\" (\"filename\" \"a\")) \"en\" NIL))\r\n",
        b"* 1 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0) 1))\r\n",
        b"* 1 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5))\r\n",
        b"* 1 FETCH (BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5))\r\n",
    ] {
        assert_eq!(item(raw), None, "{}", crate::wire::escape(raw));
    }
}

#[test]
fn a_missing_sp_after_the_envelope_of_a_message_part_is_body_type_msgs() {
    let raw = b"* 1 FETCH (BODY (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0) 1))\r\n";
    let m = item(raw).unwrap();
    assert_eq!(m.rule, "body-type-msg");
    assert_eq!(m.want, Want::Rule("SP"));
    assert_eq!(&raw[m.offset..m.offset + 7], b"(\"text\"");
}

#[test]
fn a_bad_parameter_list_is_body_fld_params() {
    let raw = b"* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\") NIL NIL \"7bit\" 5 1))\r\n";
    let m = item(raw).unwrap();
    assert_eq!((m.rule, m.want), ("body-fld-param", Want::Rule("SP")));
    assert_eq!(raw[m.offset], b')');
}

#[test]
fn fetch_flags_without_parentheses_is_msg_att_dynamic() {
    let raw = b"* 1 FETCH (FLAGS \\Seen)\r\n";
    let m = item(raw).unwrap();
    assert_eq!((m.rule, m.want), ("msg-att-dynamic", Want::Text("(")));
    assert_eq!(raw[m.offset], b'\\');
}

#[test]
fn an_unquoted_mailbox_name_with_a_space_breaks_mailbox_data() {
    let raw = b"* STATUS INBOX.to do (MESSAGES 0 RECENT 0)\r\n";
    let m = status(raw).unwrap();
    assert_eq!((m.rule, m.want), ("mailbox-data", Want::Text("(")));
    assert_eq!(&raw[m.offset..m.offset + 2], b"do");
    assert_eq!(
        status(b"* STATUS \"INBOX.to do\" (MESSAGES 0 RECENT 0)\r\n"),
        None
    );
    assert_eq!(status(b"* STATUS foo ()\r\n"), None);
}

#[test]
fn an_envelope_date_that_is_not_a_string_is_env_dates() {
    let raw = b"* 1 FETCH (ENVELOPE (Mon NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n";
    let m = item(raw).unwrap();
    assert_eq!(m.rule, "env-date");
    assert_eq!(raw[m.offset], b'M');
}

#[test]
fn fetch_data_that_is_not_a_list_is_msg_atts() {
    // GNU Mailutils 3.15, seed-7 campaign: FLAGS outside the parentheses.
    let raw = b"* 1 FETCH FLAGS (\\Flagged \\Seen \\Recent)\r\n";
    let m = fetch_response(raw).unwrap();
    assert_eq!((m.rule, m.want, m.offset), ("msg-att", Want::Text("("), 10));
    let raw = b"* 1 FETCH (UID)\r\n";
    let m = fetch_response(raw).unwrap();
    assert_eq!(
        (m.rule, m.want, m.offset),
        ("msg-att-static", Want::Rule("SP"), 14)
    );
    assert_eq!(
        fetch_response(b"* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n"),
        None
    );
}

#[test]
fn the_excerpt_shows_the_bytes_before_and_at_the_offset() {
    let (before, after) = excerpt(b"* 1 FETCH (FLAGS \\Seen)\r\n", 17);
    assert_eq!(before, "* 1 FETCH (FLAGS ");
    assert_eq!(after, "\\\\Seen)\\r\\n");
}
