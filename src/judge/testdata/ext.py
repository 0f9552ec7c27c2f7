import os
CRLF="\r\n"
m = CRLF.join(["From: a@example.org", "Subject: ext", "Content-Type: multipart/mixed; boundary=B", "", "--B", "Content-Type: text/plain", "", "hello", "--B", "Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64", "", "AAEC", "--B--", ""])
src = [
 "e1 ENABLE CONDSTORE", "e2 CREATE foo", ("e3 APPEND foo {%d}" % len(m), m), ("e4 APPEND foo (\\Seen) {%d+}" % len(m), m),
 "e5 SELECT foo (CONDSTORE)", "e6 FETCH 1:* (MODSEQ FLAGS)", "e7 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
 "e8 SEARCH RETURN (ALL COUNT MIN MAX) ALL", "e9 UID SEARCH RETURN () ALL", "e10 SEARCH MODSEQ 1",
 "e11 LIST \"\" \"*\" RETURN (SUBSCRIBED CHILDREN STATUS (MESSAGES UIDNEXT))", "e12 STATUS foo (SIZE HIGHESTMODSEQ MESSAGES)",
 "e13 ID (\"name\" \"imapconform\")", "e14 NAMESPACE", "e15 FETCH 1 (BINARY[1] BINARY.SIZE[1] BINARY.PEEK[2])", "e16 FETCH 1:2 (PREVIEW SAVEDATE EMAILID)",
 "e17 SORT (DATE) UTF-8 ALL", "e18 THREAD REFERENCES UTF-8 ALL", "e19 UID STORE 1 +FLAGS (\\Flagged) (UNCHANGEDSINCE 1)", "e20 STORE 2 +FLAGS.SILENT (\\Deleted)",
 "e21 UID EXPUNGE 2", "e22 UID MOVE 1 INBOX", "e23 UNSELECT", "e24 ENABLE QRESYNC", "e25 SELECT INBOX (QRESYNC (1 1))", "e26 GETQUOTAROOT INBOX",
 "e27 LIST (SUBSCRIBED) \"\" \"*\"", "e28 FETCH 1 (BODY.PEEK[]<0.20> RFC822.SIZE X-BOGUS)", "e29 EXAMINE foo", "e30 STATUS INBOX (MESSAGES UNSEEN RECENT UIDNEXT UIDVALIDITY HIGHESTMODSEQ)", "e31 LOGOUT",
]
cmds = []
for c in src:
    if isinstance(c, tuple):
        cmds.append([c[0].encode() + b"\r\n", c[1].encode() + b"\r\n"] if not c[0].endswith("+}") else [c[0].encode() + b"\r\n" + c[1].encode() + b"\r\n"])
    else:
        cmds.append([c.encode() + b"\r\n"])

if os.environ.get("LOGIN"):
    cmds.insert(0, [os.environ["LOGIN"].encode() + b"\r\n"])
