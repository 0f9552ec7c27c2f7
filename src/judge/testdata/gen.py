import sys
CRLF="\r\n"
msg1 = CRLF.join([
"From: Alice Example <alice@example.org>",
"To: bob@example.org, \"Carol C\" <carol@example.org>",
"Cc: undisclosed-recipients:;",
"Subject: hello =?utf-8?q?w=C3=B6rld?=",
"Date: Mon, 7 Feb 1994 21:52:25 -0800",
"Message-ID: <1@example.org>",
"MIME-Version: 1.0",
"Content-Type: text/plain; charset=us-ascii",
"",
"Hello Bob,",
"this is a test.",
""])
msg2 = CRLF.join([
"From: bob@example.org",
"Subject: multipart",
"MIME-Version: 1.0",
"Content-Type: multipart/mixed; boundary=XYZ",
"",
"--XYZ",
"Content-Type: text/plain; charset=utf-8",
"Content-Transfer-Encoding: quoted-printable",
"",
"caf=C3=A9",
"--XYZ",
"Content-Type: message/rfc822",
"",
"From: x@example.org",
"Subject: inner",
"",
"inner body",
"--XYZ",
"Content-Type: application/octet-stream; name=\"a b.bin\"",
"Content-Disposition: attachment; filename=\"a b.bin\"",
"Content-Transfer-Encoding: base64",
"",
"AAECAw==",
"--XYZ--",
""])
msg3 = "Subject: \xc3\xa4 raw 8bit\r\n\r\nbody \xc3\xa4\r\n"
cmds_src = [
 "a1 CAPABILITY", "a2 NOOP", "a3 LIST \"\" \"*\"", "a4 CREATE foo", "a5 CREATE foo.bar",
 ("a6 APPEND foo (\\Seen) {%d}" % len(msg1.encode()), msg1),
 ("a7 APPEND foo \"07-Feb-1994 21:52:25 -0800\" {%d}" % len(msg2.encode()), msg2),
 ("a8 APPEND foo {%d}" % len(msg3.encode('latin-1')), msg3),
 "a9 STATUS foo (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
 "a10 SELECT foo",
 "a11 FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE UID)",
 "a12 FETCH 1:* BODYSTRUCTURE", "a13 FETCH 1:3 BODY", "a14 FETCH 1 BODY[]", "a15 FETCH 2 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY[1] BODY[2.HEADER] BODY[3.MIME] BODY[TEXT]<0.10>)",
 "a16 FETCH 3 (RFC822 RFC822.HEADER RFC822.TEXT)",
 "a17 UID FETCH 1:* (FLAGS)", "a18 SEARCH ALL", "a19 SEARCH SEEN", "a20 UID SEARCH SUBJECT multipart",
 "a21 STORE 1 +FLAGS (\\Flagged $Junk)", "a22 STORE 2 FLAGS.SILENT (\\Deleted)", "a23 UID STORE 3 -FLAGS (\\Seen)",
 "a24 COPY 1:2 INBOX", "a25 EXPUNGE", "a26 LSUB \"\" \"*\"", "a27 SUBSCRIBE foo", "a28 LSUB \"\" \"*\"",
 "a29 EXAMINE INBOX", "a30 FETCH 1:* (UID FLAGS)", "a31 CHECK", "a32 CLOSE", "a33 RENAME foo.bar baz", "a34 DELETE baz",
 "a35 FETCH 1 FLAGS", "a36 SELECT nosuch", "a37 BOGUS", "a38 NAMESPACE", "a39 ID NIL", "a40 STATUS INBOX (MESSAGES)", "a41 LOGOUT",
]
out = b""
for c in cmds_src:
    if isinstance(c, tuple):
        out += c[0].encode() + b"\r\n" + c[1].encode('latin-1' if '\xc3' in c[1] else 'utf-8') + b"\r\n"
    else:
        out += c.encode() + b"\r\n"
sys.stdout.buffer.write(out)
