//! The oracle (`judge_oracle`: the model following a session) on arbitrary command and
//! response sequences.
//!
//! The fuzzer's bytes choose a transcript through `arbitrary::Unstructured`: a greeting,
//! an optional LOGIN, then exchanges whose command and responses are each either a
//! grammatical piece from a set of templates (with mailbox names, flags, numbers and
//! sets drawn from small ranges, so that they meet the model's state) or raw bytes, with
//! literals and continuation requests, and how the session ended. Grammatical pieces
//! take the oracle deep into its checks; raw ones try its error paths. The transcript is
//! judged under both profiles. Asserted: it never panics; every verdict is a violation or
//! a warning about this target, at a step of the script (or none, for setup), citing a
//! requirement that exists in the catalogue (`rfc/requirements.toml`); the coverage
//! counts every exchange and judges no more than there are.
#![no_main]

use arbitrary::{Result, Unstructured};
use imapconform::judge::{judge_oracle, Kind};
use imapconform::model::Profile;
use imapconform::wire::{End, Event, Exchange, Fragment, Message, Transcript};
use libfuzzer_sys::fuzz_target;

const MAILBOXES: &[&str] = &[
    "INBOX",
    "inbox",
    "foo",
    "foo.bar",
    "foo/bar",
    "\"a b\"",
    "\"\"",
    "x&AOk-",
    "INBOX.sub",
    "Trash",
    "foo.",
    "%",
    "*",
];
const FLAGS: &[&str] = &[
    "\\Seen",
    "\\Deleted",
    "\\Flagged",
    "\\Answered",
    "\\Draft",
    "\\Recent",
    "$Label",
    "kw",
];
const FETCH_ITEMS: &[&str] = &[
    "FLAGS",
    "UID",
    "RFC822.SIZE",
    "INTERNALDATE",
    "ENVELOPE",
    "BODY",
    "BODYSTRUCTURE",
    "BODY[]",
    "BODY.PEEK[]",
    "BODY[HEADER]",
    "BODY[TEXT]",
    "BODY[1]",
    "BODY[1.MIME]",
    "BODY[HEADER.FIELDS (Subject From)]",
    "BODY[]<0.10>",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "ALL",
    "FAST",
    "FULL",
];
const SEARCH_KEYS: &[&str] = &[
    "ALL",
    "SEEN",
    "UNSEEN",
    "DELETED",
    "NEW",
    "OLD",
    "RECENT",
    "SUBJECT hello",
    "FROM alice",
    "BODY world",
    "TEXT x",
    "LARGER 10",
    "SMALLER 500",
    "UID 1:*",
    "BEFORE 1-Jan-2030",
    "SINCE 1-Jan-1990",
    "NOT SEEN",
    "OR SEEN DELETED",
    "KEYWORD kw",
    "HEADER Subject hi",
    "1:2",
];
const MESSAGE: &str =
    "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\
Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.org>\r\n\r\nhello world\r\n";

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> Result<&'a str> {
    u.choose(from).copied()
}

fn number(u: &mut Unstructured<'_>) -> Result<u32> {
    Ok(match u.int_in_range(0..=7)? {
        7 => u.arbitrary()?,
        n => n,
    })
}

fn set(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=4)? {
        0 => "1:*".into(),
        1 => "*".into(),
        2 => format!("{}:{}", number(u)?, number(u)?),
        3 => format!("{},{}", number(u)?, number(u)?),
        _ => number(u)?.to_string(),
    })
}

fn flags(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=3)?;
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(pick(u, FLAGS)?);
    }
    Ok(format!("({})", v.join(" ")))
}

fn raw(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = u.int_in_range(0..=40)?;
    Ok(u.bytes(len.min(u.len()))?.to_vec())
}

/// A command: its fragments as the client sent them (a literal split off by the
/// continuation request the server sent, if `continued`).
fn command(u: &mut Unstructured<'_>, tag: &str) -> Result<Vec<Message>> {
    let mbox = pick(u, MAILBOXES)?;
    let uid = if u.ratio(1, 4)? { "UID " } else { "" };
    let line = match u.int_in_range(0..=27)? {
        0 => "NOOP".into(),
        1 => "CAPABILITY".into(),
        2 => "LOGOUT".into(),
        3 => format!("SELECT {mbox}"),
        4 => format!("EXAMINE {mbox}"),
        5 => format!("CREATE {mbox}"),
        6 => format!("DELETE {mbox}"),
        7 => format!("RENAME {mbox} {}", pick(u, MAILBOXES)?),
        8 => format!("SUBSCRIBE {mbox}"),
        9 => format!("UNSUBSCRIBE {mbox}"),
        10 => format!("LIST \"\" {}", pick(u, MAILBOXES)?),
        11 => format!("LSUB \"\" {}", pick(u, MAILBOXES)?),
        12 => format!("LIST {mbox} {}", pick(u, &["*", "%", "\"\"", "foo*"])?),
        13 => format!("STATUS {mbox} (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"),
        14 => {
            let (lit, msg) = if u.arbitrary()? {
                (MESSAGE.len(), MESSAGE.as_bytes().to_vec())
            } else {
                let m = raw(u)?;
                (m.len(), m)
            };
            let mut first = Message::line(format!("{tag} APPEND {mbox} {} {{{lit}}}", flags(u)?));
            let rest = Message {
                fragments: vec![Fragment::Literal(msg), Fragment::Line(b"\r\n".to_vec())],
            };
            if u.arbitrary()? {
                return Ok(vec![first, rest]);
            }
            first.fragments.extend(rest.fragments);
            return Ok(vec![first]);
        }
        15 => "CHECK".into(),
        16 => "CLOSE".into(),
        17 => "EXPUNGE".into(),
        18 => format!("{uid}SEARCH {}", pick(u, SEARCH_KEYS)?),
        19 => {
            let n = u.int_in_range(1..=3)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(pick(u, FETCH_ITEMS)?);
            }
            format!("{uid}FETCH {} ({})", set(u)?, items.join(" "))
        }
        20 => format!(
            "{uid}STORE {} {}FLAGS{} {}",
            set(u)?,
            pick(u, &["", "+", "-"])?,
            pick(u, &["", ".SILENT"])?,
            flags(u)?
        ),
        21 => format!("{uid}COPY {} {mbox}", set(u)?),
        22 => "LOGIN u1 pw".into(),
        23 => "AUTHENTICATE PLAIN".into(),
        24 => "UNSELECT".into(),
        25 => format!("{uid}FETCH {} FAST", set(u)?),
        26 => "XFOO bar".into(),
        _ => {
            let mut l = tag.as_bytes().to_vec();
            l.push(b' ');
            l.extend(raw(u)?);
            return Ok(vec![Message::line(l)]);
        }
    };
    Ok(vec![Message::line(format!("{tag} {line}"))])
}

fn response(u: &mut Unstructured<'_>, tag: &str) -> Result<Message> {
    let mbox = pick(u, MAILBOXES)?;
    let line = match u.int_in_range(0..=25)? {
        0 => format!("* {} EXISTS", number(u)?),
        1 => format!("* {} RECENT", number(u)?),
        2 => format!("* {} EXPUNGE", number(u)?),
        3 => format!("* FLAGS {}", flags(u)?),
        4 => format!("* OK [UIDVALIDITY {}] ok", number(u)?),
        5 => format!("* OK [UIDNEXT {}] ok", number(u)?),
        6 => format!("* OK [UNSEEN {}] ok", number(u)?),
        7 => format!("* OK [PERMANENTFLAGS {}] ok", flags(u)?),
        8 => format!(
            "* {} FETCH (UID {} FLAGS {})",
            number(u)?,
            number(u)?,
            flags(u)?
        ),
        9 => format!("* {} FETCH (RFC822.SIZE {})", number(u)?, number(u)?),
        10 => format!(
            "* {} FETCH (INTERNALDATE \"{:02}-Feb-1994 21:52:25 -0800\")",
            number(u)?,
            u.int_in_range(1..=28)?
        ),
        11 => {
            let body = if u.arbitrary()? {
                MESSAGE.as_bytes().to_vec()
            } else {
                raw(u)?
            };
            let first = format!("* {} FETCH (BODY[] {{{}}}\r\n", number(u)?, body.len());
            return Ok(Message {
                fragments: vec![
                    Fragment::Line(first.into_bytes()),
                    Fragment::Literal(body),
                    Fragment::Line(b")\r\n".to_vec()),
                ],
            });
        }
        12 => format!(
            "* LIST ({}) {} {mbox}",
            pick(u, &["", "\\Noselect", "\\HasChildren", "\\Noinferiors", "\\Marked"])?,
            pick(u, &["\".\"", "\"/\"", "NIL"])?
        ),
        13 => format!("* LSUB () \".\" {mbox}"),
        14 => {
            let n = u.int_in_range(0..=3)?;
            let mut v = String::from("* SEARCH");
            for _ in 0..n {
                v.push_str(&format!(" {}", number(u)?));
            }
            v
        }
        15 => format!(
            "* STATUS {mbox} (MESSAGES {} RECENT {} UNSEEN {} UIDNEXT {} UIDVALIDITY {})",
            number(u)?,
            number(u)?,
            number(u)?,
            number(u)?,
            number(u)?
        ),
        16 => "* CAPABILITY IMAP4rev1 IMAP4 LITERAL+ UIDPLUS".into(),
        17 => "* BYE logging out".into(),
        18 => "+ go ahead".into(),
        19 => format!(
            "{tag} OK [{}] done",
            pick(
                u,
                &["READ-WRITE", "READ-ONLY", "TRYCREATE", "ALERT", "NONEXISTENT"]
            )?
        ),
        20 => format!(
            "{tag} OK [APPENDUID {} {}] done",
            number(u)?,
            number(u)?
        ),
        21 => format!(
            "{tag} OK [COPYUID {} {} {}] done",
            number(u)?,
            set(u)?,
            set(u)?
        ),
        22 | 23 => format!("{tag} {} done", pick(u, &["OK", "NO", "BAD"])?),
        24 => format!(
            "* {} FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"hello\" ((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<1@example.org>\"))",
            number(u)?
        ),
        _ => return Ok(Message::line(raw(u)?)),
    };
    Ok(Message::line(line))
}

fn exchange(u: &mut Unstructured<'_>, tag: &str) -> Result<Exchange> {
    let mut parts = command(u, tag)?.into_iter();
    let mut events = vec![Event::Client(parts.next().expect("a first part"))];
    for rest in parts {
        events.push(Event::Server(Message::line("+ Ready for literal data")));
        events.push(Event::Client(rest));
    }
    let n = u.int_in_range(0..=6)?;
    for _ in 0..n {
        events.push(Event::Server(response(u, tag)?));
    }
    if u.ratio(7, 8)? {
        let done = pick(u, &["OK", "NO", "BAD"])?;
        events.push(Event::Server(Message::line(format!("{tag} {done} done"))));
    }
    Ok(Exchange { events })
}

fn transcript(u: &mut Unstructured<'_>) -> Result<Transcript> {
    let greeting = match u.int_in_range(0..=4)? {
        0 => None,
        1 => Some(Message::line("* PREAUTH [CAPABILITY IMAP4rev1] ready")),
        2 => Some(Message::line(raw(u)?)),
        _ => Some(Message::line("* OK [CAPABILITY IMAP4rev1] ready")),
    };
    let mut setup = Vec::new();
    if u.ratio(3, 4)? {
        setup.push(Exchange::from_lines("s1 LOGIN u1 pw", &["s1 OK logged in"]));
    }
    if u.arbitrary()? {
        setup.push(Exchange::from_lines(
            "s2 LIST \"\" *",
            &["* LIST () \".\" INBOX", "s2 OK listed"],
        ));
    }
    let mut script = Vec::new();
    let n = u.int_in_range(0..=24)?;
    for i in 0..n {
        if u.is_empty() {
            break;
        }
        script.push(exchange(u, &format!("a{}", i + 1))?);
    }
    let end = match u.int_in_range(0..=3)? {
        0 => End::Closed,
        1 => End::Timeout("the tagged completion".into()),
        2 => End::Broken("a line exceeded 16 bytes".into()),
        _ => End::Completed,
    };
    Ok(Transcript {
        greeting,
        setup,
        script,
        end,
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(t) = transcript(&mut u) else {
        return;
    };
    let catalogue = imapconform::catalogue::catalogue();
    for profile in [Profile::Rfc2060, Profile::Rfc3501] {
        let (verdicts, coverage) = judge_oracle("fuzz", &t, profile);
        assert_eq!(coverage.total, t.setup.len() + t.script.len());
        assert!(coverage.judged <= coverage.total, "{coverage:?}");
        assert!(coverage.identities.len() <= t.script.len());
        for v in &verdicts {
            assert!(matches!(v.kind, Kind::Violation | Kind::Warning), "{v:?}");
            assert_eq!(v.targets, ["fuzz"]);
            if let Some(s) = v.step {
                assert!(s < t.script.len(), "{v:?}");
            }
            let rule = v
                .rule
                .as_deref()
                .expect("an oracle verdict cites a requirement");
            assert!(catalogue.get(rule).is_some(), "unknown requirement {rule}");
        }
    }
});
