//! The RFC's own examples (rfc/rfc2060-examples.toml) replayed against the reference server.
//!
//! Acceptance: "Every Example: in RFC 2060 that shows server behaviour replays its client
//! lines against the reference server and checks the model's answers agree with the
//! example, up to values the example leaves free."
//!
//! Each example gets a [`Plan`]: the state it presupposes (built in a setup of LOGIN,
//! CREATE, APPEND, SELECT), and what of it cannot be reproduced with one connection to the
//! reference server (an exception, with the reason). The example's client lines are then
//! replayed and every server line it shows is looked for in the reference server's answer
//! to the same command: the tagged outcome must be equal, every untagged response kind must
//! appear, and values are compared where the setup determines them.
//!
//! Examples that show only server lines (§7.x) get a trigger: the command that makes the
//! reference server send that response.

use std::collections::{BTreeMap, BTreeSet};

use imapconform::model::Profile;
use std::sync::Mutex;

use imapconform::model::session::Store;
use imapconform::serve::loopback::run_script_on;
use imapconform::wire::{Exchange, Fragment, Message};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// The examples file
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct File {
    example: Vec<Example>,
}

#[derive(Deserialize)]
struct Example {
    section: String,
    title: String,
    lines: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    elided: bool,
    #[serde(default)]
    independent_from: Vec<usize>,
    #[serde(default)]
    #[allow(dead_code)]
    sample: bool,
}

fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rfc/rfc2060-examples.toml");
    let text = std::fs::read_to_string(path).expect("rfc/rfc2060-examples.toml");
    toml::from_str::<File>(&text)
        .expect("examples file")
        .example
}

// ---------------------------------------------------------------------------------------
// Setups
// ---------------------------------------------------------------------------------------

/// Every user an example logs in as, and u1 for the setups.
const USERS: &[(&str, &str)] = &[
    ("u1", "pw-u1"),
    ("SMITH", "SESAME"),
    ("fred", "blurdybloop"),
    ("FRED FOOBAR", "fat man"),
    ("mrc", "secret"),
];

/// Commands run before the example (tags s1, s2, ...).
struct Setup {
    cmds: Vec<Message>,
}

impl Setup {
    /// Not authenticated: the example logs in itself, or needs no state.
    fn bare() -> Setup {
        Setup { cmds: vec![] }
    }

    /// Authenticated as u1.
    fn login() -> Setup {
        Setup::bare().cmd("LOGIN u1 pw-u1")
    }

    fn cmd(mut self, c: &str) -> Setup {
        let tag = format!("s{}", self.cmds.len() + 1);
        self.cmds.push(Message::line(format!("{tag} {c}")));
        self
    }

    /// APPEND with a synchronizing literal (RFC 2060 §6.3.11).
    fn append(mut self, mailbox: &str, flags: &str, date: Option<&str>, text: &str) -> Setup {
        let tag = format!("s{}", self.cmds.len() + 1);
        let date = date.map(|d| format!(" \"{d}\"")).unwrap_or_default();
        self.cmds.push(Message {
            fragments: vec![
                Fragment::Line(
                    format!(
                        "{tag} APPEND {mailbox} ({flags}){date} {{{}}}\r\n",
                        text.len()
                    )
                    .into_bytes(),
                ),
                Fragment::Literal(text.as_bytes().to_vec()),
                Fragment::Line(b"\r\n".to_vec()),
            ],
        });
        self
    }

    /// `n` messages (numbered from 1), each with the flags `flags(i)` gives.
    fn appends(mut self, mailbox: &str, n: usize, flags: impl Fn(usize) -> &'static str) -> Setup {
        for i in 1..=n {
            self = self.append(
                mailbox,
                flags(i),
                None,
                &mail(i, "Joe Jones <jones@example.org>"),
            );
        }
        self
    }

    fn done(self) -> Vec<Message> {
        self.cmds
    }
}

/// A small RFC 822 message.
fn mail(i: usize, from: &str) -> String {
    format!(
        "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nFrom: {from}\r\nSubject: message {i}\r\n\
         To: mooch@owatagu.siam.edu\r\nMessage-Id: <{i}@example.org>\r\n\r\nBody of message {i}.\r\n"
    )
}

/// Flags helpers.
fn none(_: usize) -> &'static str {
    ""
}

// ---------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------

/// One independent scenario of an example (most examples have one).
struct Scenario {
    delimiter: u8,
    /// Run in an earlier connection to the same store (for examples that log in
    /// themselves).
    prepare: Vec<Message>,
    setup: Vec<Message>,
}

/// How one example is replayed, and what of it is not checked (with the reason).
#[derive(Default)]
struct Plan {
    scenarios: Vec<Scenario>,
    /// For examples that show only server lines: the commands that make the reference
    /// server send them (the lines are expected in the answer to the last).
    trigger: Vec<&'static str>,
    /// Client text replaced before sending (values the RFC leaves to the server).
    rewrite: Vec<(&'static str, &'static str)>,
    /// Client lines not replayed: (line, reason).
    skip_client: Vec<(&'static str, &'static str)>,
    /// Server lines not looked for: (line prefix, reason).
    unchecked: Vec<(&'static str, &'static str)>,
    /// Tags whose untagged values are free (only the kinds are checked): (tag, reason).
    loose: Vec<(&'static str, &'static str)>,
    /// Tagged outcomes expected other than the example shows: (tag, outcome, reason).
    outcome: Vec<(&'static str, &'static str, &'static str)>,
    /// FETCH items whose values are free; default UID, RFC822.SIZE, INTERNALDATE.
    free_items: Option<Vec<&'static str>>,
    /// The whole example can only be checked in part: why.
    exception: Option<&'static str>,
}

impl Plan {
    fn one(delimiter: u8, setup: Vec<Message>) -> Plan {
        Plan {
            scenarios: vec![Scenario {
                delimiter,
                prepare: vec![],
                setup,
            }],
            ..Plan::default()
        }
    }

    /// Why the example is an exception, if it is one: every line or value the plan does
    /// not check beyond what the example leaves free.
    fn exception_reasons(&self) -> Vec<String> {
        let mut r = Vec::new();
        if let Some(e) = self.exception {
            r.push(e.to_string());
        }
        for (l, why) in &self.skip_client {
            r.push(format!("client line `{l}` not replayed: {why}"));
        }
        for (l, why) in &self.unchecked {
            r.push(format!("server line `{l}` not checked: {why}"));
        }
        for (t, why) in &self.loose {
            r.push(format!(
                "values of {t}'s untagged responses not checked: {why}"
            ));
        }
        for (t, o, why) in &self.outcome {
            r.push(format!("{t} expected {o}: {why}"));
        }
        r
    }
}

/// INBOX with `n` messages (flags by `flags`), selected.
fn selected_inbox(n: usize, flags: impl Fn(usize) -> &'static str) -> Vec<Message> {
    Setup::login()
        .appends("INBOX", n, flags)
        .cmd("SELECT INBOX")
        .done()
}

/// blurdybloop, foo (\Noselect: deleted while it had the inferior foo<d>bar) and foo<d>bar,
/// for the DELETE and RENAME examples with `/`.
fn noselect_foo(d: char) -> Vec<Message> {
    Setup::login()
        .cmd("CREATE blurdybloop")
        .cmd("CREATE foo")
        .cmd(&format!("CREATE foo{d}bar"))
        .cmd("DELETE foo")
        .done()
}

fn plan(section: &str) -> Option<Plan> {
    let sl = b'/';
    let dot = b'.';
    Some(match section {
        // Not authenticated: CAPABILITY is valid in every state. AUTH=KERBEROS_V4 is that
        // server's mechanism: beyond IMAP4rev1 the list is free.
        "6.1.1" => Plan::one(dot, Setup::bare().done()),
        // Selected, so the NOOP could report changes.
        "6.1.2" => Plan {
            exception: Some(
                "a047's EXPUNGE, EXISTS, RECENT and FETCH report changes another session made; \
                 one connection to the reference server reports its own changes in the \
                 answer to the command that made them; the tagged outcomes are checked",
            ),
            unchecked: vec![
                ("* 22 EXPUNGE", "another session's expunge"),
                ("* 23 EXISTS", "another session's delivery"),
                ("* 3 RECENT", "another session's delivery"),
                ("* 14 FETCH", "another session's STORE"),
            ],
            ..Plan::one(dot, selected_inbox(23, none))
        },
        "6.1.3" => Plan::one(dot, Setup::bare().done()),
        "6.2.1" => Plan {
            exception: Some(
                "the reference server offers the PLAIN and LOGIN mechanisms, not \
                 KERBEROS_V4 (it needs a Kerberos realm): §6.2.1 \"If the server does not support the requested \
                 authentication mechanism, it SHOULD reject the AUTHENTICATE command by \
                 sending a tagged NO response\"; checked: the greeting and that NO",
            ),
            skip_client: vec![
                (
                    "BAcAQU5EUkVX",
                    "Kerberos ticket data for a mechanism not offered",
                ),
                (
                    "DiAF5A4gA+oOIALuBkAAmw==",
                    "Kerberos data for a mechanism not offered",
                ),
            ],
            unchecked: vec![
                ("+ AmFYig==", "Kerberos challenge"),
                ("+ or//EoAADZI=", "Kerberos challenge"),
            ],
            outcome: vec![(
                "A001",
                "NO",
                "KERBEROS_V4 is not supported (§6.2.1 SHOULD NO)",
            )],
            ..Plan::one(dot, Setup::bare().done())
        },
        // The user SMITH with password SESAME exists.
        "6.2.2" => Plan::one(dot, Setup::bare().done()),
        // 172 messages in INBOX: 1-11 \Seen, 12 the first unseen; 1-171 seen by an earlier
        // SELECT (no longer \Recent), 172 delivered after it (the one \Recent).
        "6.3.1" => Plan::one(
            dot,
            Setup::login()
                .appends("INBOX", 171, |i| if i < 12 { "\\Seen" } else { "" })
                .cmd("SELECT INBOX")
                .cmd("CLOSE")
                .append("INBOX", "", None, &mail(172, "a@b.example"))
                .done(),
        ),
        // blurdybloop with 17 messages: 1-7 \Seen, 8 first unseen; 16 and 17 arrived after
        // an earlier SELECT (2 \Recent).
        "6.3.2" => Plan::one(
            dot,
            Setup::login()
                .cmd("CREATE blurdybloop")
                .appends("blurdybloop", 15, |i| if i < 8 { "\\Seen" } else { "" })
                .cmd("SELECT blurdybloop")
                .cmd("CLOSE")
                .appends("blurdybloop", 2, none)
                .done(),
        ),
        // The example's server uses `/`.
        "6.3.3" => Plan::one(sl, Setup::login().done()),
        // First scenario `/`, foo \Noselect with inferior foo/bar; second `.`, all three
        // real mailboxes.
        "6.3.4" => Plan {
            scenarios: vec![
                Scenario {
                    delimiter: sl,
                    prepare: vec![],
                    setup: noselect_foo('/'),
                },
                Scenario {
                    delimiter: dot,
                    prepare: vec![],
                    setup: Setup::login()
                        .cmd("CREATE blurdybloop")
                        .cmd("CREATE foo")
                        .cmd("CREATE foo.bar")
                        .done(),
                },
            ],
            ..Plan::default()
        },
        // First scenario as for DELETE; second: INBOX with inferior INBOX.bar.
        "6.3.5" => Plan {
            scenarios: vec![
                Scenario {
                    delimiter: sl,
                    prepare: vec![],
                    setup: noselect_foo('/'),
                },
                Scenario {
                    delimiter: dot,
                    prepare: vec![],
                    setup: Setup::login()
                        .cmd("CREATE INBOX.bar")
                        .append("INBOX", "", None, &mail(1, "a@b.example"))
                        .done(),
                },
            ],
            ..Plan::default()
        },
        "6.3.6" => Plan::one(dot, Setup::login().done()),
        // Subscribed first, so that UNSUBSCRIBE has something to remove.
        "6.3.7" => Plan::one(
            dot,
            Setup::login().cmd("SUBSCRIBE #news.comp.mail.mime").done(),
        ),
        // `/` hierarchy; ~/Mail/foo \Noselect (deleted while it had an inferior) and the
        // mailbox ~/Mail/meetings.
        "6.3.8" => Plan {
            loose: vec![(
                "A102",
                "#news. and its `.` delimiter are that server's news namespace; the reference \
                 server has one hierarchy, delimited by `/` (only the LIST response is checked)",
            )],
            ..Plan::one(
                sl,
                Setup::login()
                    .cmd("CREATE ~/Mail/foo")
                    .cmd("CREATE ~/Mail/foo/x")
                    .cmd("DELETE ~/Mail/foo")
                    .cmd("CREATE ~/Mail/meetings")
                    .done(),
            )
        },
        // The two subscribed news groups exist as mailboxes of a `.` hierarchy.
        "6.3.9" | "7.2.3" => Plan {
            trigger: if section == "7.2.3" {
                vec!["t1 LSUB \"#news.\" \"comp.mail.misc\""]
            } else {
                vec![]
            },
            ..Plan::one(dot, lsub_setup())
        },
        // blurdybloop with 231 messages; UIDNEXT is the server's.
        "6.3.10" | "7.2.4" => Plan {
            trigger: if section == "7.2.4" {
                vec!["t1 STATUS blurdybloop (MESSAGES UIDNEXT)"]
            } else {
                vec![]
            },
            ..Plan::one(
                dot,
                Setup::login()
                    .cmd("CREATE blurdybloop")
                    .appends("blurdybloop", 231, none)
                    .done(),
            )
        },
        "6.3.11" => Plan::one(dot, Setup::login().cmd("CREATE saved-messages").done()),
        "6.4.1" | "6.4.2" => Plan::one(dot, selected_inbox(3, none)),
        // Messages 3, 4, 7 and 11 of 12 are \Deleted: the example's EXPUNGE numbers
        // (3, 3, 5, 8 in ascending order) remove exactly those.
        "6.4.3" => Plan::one(
            dot,
            selected_inbox(12, |i| {
                if [3, 4, 7, 11].contains(&i) {
                    "\\Deleted"
                } else {
                    ""
                }
            }),
        ),
        // 882 messages: 2, 84 and 882 flagged, since 1-Feb-1994, not from Smith; decoys that
        // fail one key each.
        "6.4.4" => Plan::one(dot, search_setup()),
        "6.4.5" => Plan {
            unchecked: vec![],
            ..Plan::one(dot, selected_inbox(4, none))
        },
        // Messages 2-4 with the flags the example shows (not \Recent: seen by an earlier
        // SELECT).
        "6.4.6" => Plan::one(
            dot,
            Setup::login()
                .appends("INBOX", 4, |i| match i {
                    2 => "\\Seen",
                    4 => "\\Flagged \\Seen",
                    _ => "",
                })
                .cmd("SELECT INBOX")
                .cmd("CLOSE")
                .cmd("SELECT INBOX")
                .done(),
        ),
        "6.4.7" => Plan::one(
            dot,
            Setup::login()
                .cmd("CREATE MEETING")
                .appends("INBOX", 4, none)
                .cmd("SELECT INBOX")
                .done(),
        ),
        // 30 messages appended (UIDs 1-30); 24-26, 28, 29 expunged, so messages 23-25 have
        // UIDs 23, 27, 30 with gaps between, like the example's; all \Seen, not \Recent.
        "6.4.8" => Plan {
            rewrite: vec![(
                "4827313:4828442",
                "23:30", // UIDs are the server's (§2.3.1.1): the range over the same messages
            )],
            outcome: vec![(
                "A999",
                "OK",
                "the RFC's completion `A999 UID FETCH completed` lacks OK (RFC 3501 corrects it)",
            )],
            ..Plan::one(
                dot,
                Setup::login()
                    .appends("INBOX", 30, |i| {
                        if [24, 25, 26, 28, 29].contains(&i) {
                            "\\Deleted"
                        } else {
                            "\\Seen"
                        }
                    })
                    .cmd("SELECT INBOX")
                    .cmd("CLOSE")
                    .cmd("SELECT INBOX")
                    .done(),
            )
        },
        "6.5.1" => Plan {
            exception: Some(
                "XPIG-LATIN is that server's experimental command; the reference server \
                 implements none, so A442 is BAD (§6.5.1 leaves X commands to the server)",
            ),
            unchecked: vec![("* XPIG-LATIN", "the experimental command's data")],
            outcome: vec![("A442", "BAD", "unknown command")],
            ..Plan::one(dot, Setup::bare().done())
        },
        // fred logs in; the ALERT is that server's.
        "7.1.1" => Plan {
            exception: Some("the [ALERT] is that server's message; greeting and LOGIN checked"),
            unchecked: vec![("* OK [ALERT]", "a system shutdown notice")],
            ..Plan::one(dot, Setup::bare().done())
        },
        // 200 messages; owatagusiam exists, blurdybloop does not: the second COPY fails,
        // for a missing destination rather than a full disk.
        "7.1.2" => Plan {
            exception: Some(
                "a full disk cannot be produced; the NO of A223 is reproduced with a \
                 destination that does not exist",
            ),
            unchecked: vec![("* NO Disk is", "a full disk")],
            ..Plan::one(
                dot,
                Setup::login()
                    .cmd("CREATE owatagusiam")
                    .appends("INBOX", 200, none)
                    .cmd("SELECT INBOX")
                    .done(),
            )
        },
        "7.1.3" => Plan {
            exception: Some(
                "the disk crash cannot be produced; the empty line's untagged BAD and \
                 A443's OK are checked",
            ),
            skip_client: vec![(
                "...very long command line...",
                "the reference server answers a line over its limit with BYE and closes \
                 (§7.1.5), which would end the example",
            )],
            rewrite: vec![("...empty line...", "")],
            unchecked: vec![
                (
                    "* BAD Command line too long",
                    "its command line is not sent",
                ),
                ("* BAD Disk crash", "a disk crash"),
                ("* OK Salvage", "a disk crash"),
            ],
            ..Plan::one(dot, selected_inbox(1, none))
        },
        "7.1.4" => Plan {
            exception: Some(
                "the reference server has no preauthenticated connections: its greeting is \
                 always OK (nothing is checked)",
            ),
            unchecked: vec![("* PREAUTH", "no preauthentication")],
            ..Plan::one(dot, Setup::bare().done())
        },
        "7.1.5" => Plan {
            exception: Some(
                "the reference server has no autologout timer (nothing is checked; BYE is \
                 checked with LOGOUT in 6.1.3 and 8)",
            ),
            unchecked: vec![("* BYE Autologout", "no idle timer")],
            ..Plan::one(dot, Setup::bare().done())
        },
        "7.2.1" => Plan {
            trigger: vec!["t1 CAPABILITY"],
            ..Plan::one(dot, Setup::bare().done())
        },
        "7.2.2" => Plan {
            trigger: vec!["t1 LIST ~/Mail/ %"],
            ..Plan::one(
                sl,
                Setup::login()
                    .cmd("CREATE ~/Mail/foo")
                    .cmd("CREATE ~/Mail/foo/x")
                    .cmd("DELETE ~/Mail/foo")
                    .done(),
            )
        },
        // Messages 2, 3 and 6 of 6 are flagged.
        "7.2.5" => Plan {
            trigger: vec!["t1 SEARCH FLAGGED"],
            ..Plan::one(
                dot,
                selected_inbox(6, |i| {
                    if [2, 3, 6].contains(&i) {
                        "\\Flagged"
                    } else {
                        ""
                    }
                }),
            )
        },
        "7.2.6" => Plan {
            trigger: vec!["t1 SELECT INBOX"],
            ..Plan::one(dot, Setup::login().done())
        },
        "7.3.1" => Plan {
            trigger: vec!["t1 SELECT INBOX"],
            ..Plan::one(dot, Setup::login().appends("INBOX", 23, none).done())
        },
        "7.3.2" => Plan {
            trigger: vec!["t1 SELECT INBOX"],
            ..Plan::one(dot, Setup::login().appends("INBOX", 5, none).done())
        },
        // The 44th of 44 messages is \Deleted.
        "7.4.1" => Plan {
            trigger: vec!["t1 EXPUNGE"],
            ..Plan::one(
                dot,
                selected_inbox(44, |i| if i == 44 { "\\Deleted" } else { "" }),
            )
        },
        // Message 23 is \Seen, not \Recent, and exactly 44827 octets long.
        "7.4.2" => Plan {
            trigger: vec!["t1 FETCH 23 (FLAGS RFC822.SIZE)"],
            free_items: Some(vec![]),
            ..Plan::one(
                dot,
                Setup::login()
                    .appends("INBOX", 22, none)
                    .append("INBOX", "\\Seen", None, &sized_mail(44827))
                    .cmd("SELECT INBOX")
                    .cmd("CLOSE")
                    .cmd("SELECT INBOX")
                    .done(),
            )
        },
        // The user FRED FOOBAR with password fat man exists.
        "7.5" => Plan::one(dot, Setup::bare().done()),
        // INBOX with 18 messages: 1-16 \Seen and seen by an earlier SELECT, 17 and 18 new
        // (2 \Recent, 17 the first unseen); 12 is the RFC's message with the date and
        // headers the example shows.
        "8" => Plan {
            free_items: Some(vec!["RFC822.SIZE"]),
            scenarios: vec![Scenario {
                delimiter: dot,
                prepare: sample_setup(),
                setup: vec![],
            }],
            ..Plan::default()
        },
        _ => return None,
    })
}

fn lsub_setup() -> Vec<Message> {
    Setup::login()
        .cmd("CREATE #news.comp.mail.mime")
        .cmd("CREATE #news.comp.mail.misc")
        .cmd("SUBSCRIBE #news.comp.mail.mime")
        .cmd("SUBSCRIBE #news.comp.mail.misc")
        .done()
}

fn search_setup() -> Vec<Message> {
    let mut s = Setup::login();
    for i in 1..=882 {
        let hit = [2, 84, 882].contains(&i);
        let (flags, date, from) = match i {
            _ if hit => (
                "\\Flagged",
                "05-Feb-1994 10:00:00 +0000",
                "Joe Jones <jones@example.org>",
            ),
            // flagged and recent, but from Smith
            10 | 500 => (
                "\\Flagged",
                "05-Feb-1994 10:00:00 +0000",
                "John Smith <smith@example.org>",
            ),
            // flagged, not from Smith, but before 1-Feb-1994
            20 | 600 => (
                "\\Flagged",
                "15-Jan-1994 10:00:00 +0000",
                "Joe Jones <jones@example.org>",
            ),
            _ => (
                "",
                "05-Feb-1994 10:00:00 +0000",
                "Joe Jones <jones@example.org>",
            ),
        };
        s = s.append("INBOX", flags, Some(date), &mail(i, from));
    }
    s.cmd("SELECT INBOX").done()
}

/// A message of exactly `size` octets.
fn sized_mail(size: usize) -> String {
    let head = "From: a@b.example\r\nSubject: big\r\n\r\n";
    let mut body = String::new();
    while head.len() + body.len() + 66 <= size {
        body.push_str(&"x".repeat(62));
        body.push_str("\r\n");
    }
    let rest = size - head.len() - body.len();
    body.push_str(&"y".repeat(rest - 2));
    body.push_str("\r\n");
    let m = format!("{head}{body}");
    assert_eq!(m.len(), size);
    m
}

/// The §8 message: its header as the example's BODY[HEADER] shows it, and a body of 3028
/// octets in 92 lines as its BODY shows.
fn sample_message() -> String {
    let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
                  From: Terry Gray <gray@cac.washington.edu>\r\n\
                  Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
                  To: imap@cac.washington.edu\r\n\
                  cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@INFOODS.MIT.EDU>\r\n\
                  Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
                  MIME-Version: 1.0\r\n\
                  Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n";
    let mut body = String::new();
    for i in 0..92 {
        let len = if i < 84 { 31 } else { 30 };
        body.push_str(&"m".repeat(len));
        body.push_str("\r\n");
    }
    assert_eq!(body.len(), 3028);
    format!("{header}{body}")
}

fn sample_setup() -> Vec<Message> {
    let mut s = Setup::bare().cmd("LOGIN mrc secret");
    for i in 1..=16 {
        if i == 12 {
            s = s.append(
                "INBOX",
                "\\Seen",
                Some("17-Jul-1996 02:44:25 -0700"),
                &sample_message(),
            );
        } else {
            s = s.append("INBOX", "\\Seen", None, &mail(i, "a@b.example"));
        }
    }
    s.cmd("SELECT INBOX")
        .cmd("CLOSE")
        .appends("INBOX", 2, none)
        .done()
}

// ---------------------------------------------------------------------------------------
// Response parsing
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Atom(String),
    Str(Vec<u8>),
    List(Vec<Tok>),
}

impl Tok {
    fn atom(&self) -> Option<&str> {
        match self {
            Tok::Atom(a) => Some(a),
            _ => None,
        }
    }
    fn text(&self) -> String {
        match self {
            Tok::Atom(a) => a.clone(),
            Tok::Str(s) => String::from_utf8_lossy(s).into_owned(),
            Tok::List(l) => format!(
                "({})",
                l.iter().map(Tok::text).collect::<Vec<_>>().join(" ")
            ),
        }
    }
    fn number(&self) -> Option<u32> {
        self.atom().and_then(|a| a.parse().ok())
    }
}

/// Tokens of a response: atoms (a `[...]` inside an atom is part of it), quoted strings and
/// literals, parenthesised lists.
fn tokenize(b: &[u8]) -> Vec<Tok> {
    fn list(b: &[u8], i: &mut usize, close: bool) -> Vec<Tok> {
        let mut out = Vec::new();
        while *i < b.len() {
            match b[*i] {
                b' ' | b'\r' | b'\n' => *i += 1,
                b')' => {
                    *i += 1;
                    if close {
                        return out;
                    }
                }
                b'(' => {
                    *i += 1;
                    out.push(Tok::List(list(b, i, true)));
                }
                b'"' => {
                    *i += 1;
                    let mut s = Vec::new();
                    while *i < b.len() && b[*i] != b'"' {
                        if b[*i] == b'\\' {
                            *i += 1;
                        }
                        if *i < b.len() {
                            s.push(b[*i]);
                        }
                        *i += 1;
                    }
                    *i += 1;
                    out.push(Tok::Str(s));
                }
                b'{' => {
                    let end = b[*i..].iter().position(|&c| c == b'}').unwrap() + *i;
                    let n: usize = std::str::from_utf8(&b[*i + 1..end])
                        .unwrap()
                        .parse()
                        .unwrap();
                    let start = end + 3; // "}\r\n"
                    out.push(Tok::Str(b[start..(start + n).min(b.len())].to_vec()));
                    *i = start + n;
                }
                _ => {
                    let mut s = Vec::new();
                    let mut depth = 0;
                    while *i < b.len() {
                        let c = b[*i];
                        if depth == 0 && matches!(c, b' ' | b'(' | b')' | b'\r' | b'\n') {
                            break;
                        }
                        if c == b'[' {
                            depth += 1;
                        } else if c == b']' && depth > 0 {
                            depth -= 1;
                        }
                        s.push(c);
                        *i += 1;
                    }
                    out.push(Tok::Atom(String::from_utf8_lossy(&s).into_owned()));
                }
            }
        }
        out
    }
    let mut i = 0;
    list(b, &mut i, false)
}

/// One server response, as far as the comparison needs it.
#[derive(Clone, Debug)]
enum Resp {
    Continuation,
    Tagged {
        tag: String,
        outcome: String,
        code: Option<String>,
    },
    /// `* n EXISTS|RECENT|EXPUNGE`
    Num(u32, String),
    Fetch(u32, Vec<(String, Option<Tok>)>),
    /// `* OK|NO|BAD|BYE|PREAUTH [code args] text`
    Cond(String, Option<(String, Vec<Tok>)>),
    /// `* NAME args...`: LIST, LSUB, STATUS, SEARCH, FLAGS, CAPABILITY, others
    Data(String, Vec<Tok>),
}

fn code_of(t: Option<&Tok>) -> Option<(String, Vec<Tok>)> {
    let a = t?.atom()?;
    let inner = a.strip_prefix('[')?.strip_suffix(']')?;
    let mut toks = tokenize(inner.as_bytes());
    let name = toks.remove(0).text().to_ascii_uppercase();
    Some((name, toks))
}

fn parse(b: &[u8]) -> Resp {
    if b.starts_with(b"+") {
        return Resp::Continuation;
    }
    let t = tokenize(b);
    let first = t[0].text();
    let word = t
        .get(1)
        .map(|x| x.text().to_ascii_uppercase())
        .unwrap_or_default();
    if first != "*" {
        return Resp::Tagged {
            tag: first,
            outcome: word,
            code: code_of(t.get(2)).map(|c| c.0),
        };
    }
    if let Some(n) = t[1].number() {
        let kind = t[2].text().to_ascii_uppercase();
        if kind == "FETCH" {
            // The RFC's STORE example omits the parentheses (an erratum).
            let items: Vec<Tok> = match t.get(3) {
                Some(Tok::List(l)) if t.len() == 4 => l.clone(),
                _ => t[3..].to_vec(),
            };
            let mut out = Vec::new();
            let mut it = items.into_iter();
            while let Some(name) = it.next() {
                let name = name.text().to_ascii_uppercase();
                if name.starts_with("....") {
                    break;
                }
                out.push((name, it.next()));
            }
            return Resp::Fetch(n, out);
        }
        return Resp::Num(n, kind);
    }
    if ["OK", "NO", "BAD", "BYE", "PREAUTH"].contains(&word.as_str()) {
        return Resp::Cond(word, code_of(t.get(2)));
    }
    Resp::Data(word, t[2..].to_vec())
}

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

/// One command of an example and the server lines shown for it.
struct Step {
    command: Message,
    tag: String,
    /// The server messages shown, as bytes (literals joined in).
    expected: Vec<(String, Vec<u8>)>,
}

/// Joins `lines[i..]` with CRLF and takes `n` bytes of literal; returns the literal and the
/// rest of the line it ends in, and the index of the line after.
fn take_literal(lines: &[&str], i: usize, n: usize) -> (Vec<u8>, String, usize) {
    let mut buf = Vec::new();
    let mut j = i;
    while buf.len() < n + 1 && j < lines.len() {
        if j > i {
            buf.extend_from_slice(b"\r\n");
        }
        buf.extend_from_slice(lines[j].as_bytes());
        j += 1;
    }
    let literal = buf[..n].to_vec();
    let rest = String::from_utf8_lossy(&buf[n..]).into_owned();
    // The rest is what follows the literal on the line it ends in.
    let rest = rest.rsplit("\r\n").next().unwrap_or("").to_string();
    (literal, rest, j)
}

fn literal_len(line: &str) -> Option<usize> {
    let l = line.strip_suffix('}')?;
    let open = l.rfind('{')?;
    l[open + 1..].parse().ok()
}

fn apply_rewrites(line: &str, plan: &Plan) -> String {
    let mut l = line.to_string();
    for (from, to) in &plan.rewrite {
        if l == *from {
            return to.to_string();
        }
        l = l.replace(from, to);
    }
    l
}

/// Splits one scenario's lines into the greeting lines and steps.
fn steps(lines: &[String], plan: &Plan) -> (Vec<String>, Vec<Step>) {
    let mut greeting = Vec::new();
    let mut out: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (who, text) = lines[i].split_at(3);
        if who == "S: " {
            // A server message: its literal, if it announces one, is the following lines.
            let mut bytes = text.as_bytes().to_vec();
            let mut next = i + 1;
            let mut line = text.to_string();
            while let Some(n) = literal_len(&line) {
                let texts: Vec<&str> = lines[next..].iter().map(|l| &l[3..]).collect();
                let (lit, rest, j) = take_literal(&texts, 0, n);
                bytes.extend_from_slice(b"\r\n");
                bytes.extend_from_slice(&lit);
                bytes.extend_from_slice(rest.as_bytes());
                line = rest;
                next += j;
            }
            match out.last_mut() {
                Some(s) => s.expected.push((text.to_string(), bytes)),
                None => greeting.push(text.to_string()),
            }
            i = next;
            continue;
        }
        if plan.skip_client.iter().any(|(l, _)| text.starts_with(l)) {
            // Not replayed; the server lines after it stay with the command before (or the
            // greeting): the plan lists those it answers as unchecked.
            i += 1;
            continue;
        }
        // A client command: a line, and literals it announces.
        let mut fragments = Vec::new();
        let mut line = apply_rewrites(text, plan);
        let tag = line.split(' ').next().unwrap_or("").to_string();
        i += 1;
        let mut expected = Vec::new();
        loop {
            let Some(n) = literal_len(&line) else {
                fragments.push(Fragment::Line(format!("{line}\r\n").into_bytes()));
                break;
            };
            let open = line.rfind('{').unwrap();
            if lines.get(i).is_some_and(|l| l.starts_with("S: +")) {
                // The RFC shows the continuation request: the literal is the next `n`
                // octets the client sends (§7.5: "FRED FOOBAR" then " {7}").
                expected.push((lines[i][3..].to_string(), lines[i].as_bytes()[3..].to_vec()));
                i += 1;
                let texts: Vec<&str> = lines[i..]
                    .iter()
                    .take_while(|l| l.starts_with("C: "))
                    .map(|l| &l[3..])
                    .collect();
                let (lit, rest, j) = take_literal(&texts, 0, n);
                fragments.push(Fragment::Line(format!("{line}\r\n").into_bytes()));
                fragments.push(Fragment::Literal(lit));
                line = rest;
                i += j;
            } else {
                // The literal is the following client lines; the last of them is the rest
                // of the command line. The RFC's count is recomputed from the bytes.
                let texts: Vec<&str> = lines[i..]
                    .iter()
                    .take_while(|l| l.starts_with("C: "))
                    .map(|l| &l[3..])
                    .collect();
                if texts.is_empty() {
                    // The RFC does not show the literal (§7.5's A044 {102856}): send that
                    // many octets, so the command is complete.
                    fragments.push(Fragment::Line(format!("{line}\r\n").into_bytes()));
                    fragments.push(Fragment::Literal(vec![b'x'; n]));
                    fragments.push(Fragment::Line(b"\r\n".to_vec()));
                    break;
                }
                let body = &texts[..texts.len() - 1];
                let mut lit = body.join("\r\n").into_bytes();
                lit.extend_from_slice(b"\r\n");
                let head = format!("{}{{{}}}", &line[..open], lit.len());
                fragments.push(Fragment::Line(format!("{head}\r\n").into_bytes()));
                fragments.push(Fragment::Literal(lit));
                line = texts[texts.len() - 1].to_string();
                i += texts.len();
            }
        }
        out.push(Step {
            command: Message { fragments },
            tag,
            expected,
        });
    }
    (greeting, out)
}

/// EXPUNGE numbers as the set of original positions they remove.
fn removed(seq: &[u32]) -> BTreeSet<u32> {
    let mut view: Vec<u32> = (1..=100_000).collect();
    let mut out = BTreeSet::new();
    for &n in seq {
        out.insert(view.remove(n as usize - 1));
    }
    out
}

fn flag_set(t: Option<&Tok>) -> BTreeSet<String> {
    match t {
        Some(Tok::List(l)) => l.iter().map(|f| f.text().to_ascii_lowercase()).collect(),
        Some(other) => [other.text().to_ascii_lowercase()].into(),
        None => BTreeSet::new(),
    }
}

/// Structural equality of FETCH values; strings case-insensitive when `ci`.
fn same_value(a: &Tok, b: &Tok, ci: bool) -> bool {
    match (a, b) {
        (Tok::List(x), Tok::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q, ci))
        }
        (Tok::Atom(x), Tok::Atom(y)) => x.eq_ignore_ascii_case(y),
        (Tok::Str(x), Tok::Str(y)) => {
            if ci {
                x.eq_ignore_ascii_case(y)
            } else {
                x == y
            }
        }
        _ => false,
    }
}

struct Ctx<'a> {
    id: String,
    plan: &'a Plan,
    failures: Vec<String>,
}

impl Ctx<'_> {
    fn fail(&mut self, what: String) {
        self.failures.push(format!("{}: {what}", self.id));
    }

    fn unchecked(&self, line: &str) -> bool {
        self.plan.unchecked.iter().any(|(p, _)| line.starts_with(p))
    }

    fn free_item(&self, name: &str) -> bool {
        let free =
            self.plan
                .free_items
                .clone()
                .unwrap_or(vec!["UID", "RFC822.SIZE", "INTERNALDATE"]);
        free.contains(&name)
    }

    /// Is the expected response `e` matched by `a`?
    fn matches(&self, e: &Resp, a: &Resp, loose: bool) -> bool {
        match (e, a) {
            (Resp::Num(n, k), Resp::Num(m, l)) => k == l && (loose || k == "EXPUNGE" || n == m),
            (Resp::Cond(w, code), Resp::Cond(v, acode)) => {
                w == v
                    && match (code, acode) {
                        (None, _) => true,
                        (Some(_), None) => false,
                        (Some((c, args)), Some((d, aargs))) => {
                            c == d
                                && (loose
                                    || matches!(
                                        c.as_str(),
                                        "UIDVALIDITY" | "UIDNEXT" | "PERMANENTFLAGS" | "ALERT"
                                    )
                                    || args == aargs)
                        }
                    }
            }
            (Resp::Fetch(n, items), Resp::Fetch(m, aitems)) => {
                if !loose && n != m {
                    return false;
                }
                items.iter().all(|(name, v)| {
                    let Some((_, av)) = aitems.iter().find(|(an, _)| an == name) else {
                        return false;
                    };
                    if loose || self.free_item(name) {
                        return true;
                    }
                    match (v, av) {
                        (None, _) => true,
                        (Some(_), None) => false,
                        (Some(v), Some(av)) => {
                            if name == "FLAGS" {
                                flag_set(Some(v)) == flag_set(Some(av))
                            } else {
                                same_value(v, av, name == "BODY" || name == "BODYSTRUCTURE")
                            }
                        }
                    }
                })
            }
            (Resp::Data(k, args), Resp::Data(l, aargs)) => {
                if k != l {
                    return false;
                }
                if loose {
                    return true;
                }
                match k.as_str() {
                    "CAPABILITY" => aargs
                        .iter()
                        .any(|c| c.text().eq_ignore_ascii_case("IMAP4rev1")),
                    "SEARCH" => {
                        let s = |v: &[Tok]| v.iter().map(Tok::text).collect::<BTreeSet<_>>();
                        s(args) == s(aargs)
                    }
                    "FLAGS" => flag_set(args.first()) == flag_set(aargs.first()),
                    "LIST" | "LSUB" => {
                        args.len() == 3
                            && aargs.len() == 3
                            && flag_set(args.first()) == flag_set(aargs.first())
                            && args[1] == aargs[1]
                            && same_name(&args[2], &aargs[2])
                    }
                    "STATUS" => {
                        let items = |v: &[Tok]| -> BTreeMap<String, String> {
                            match v.get(1) {
                                Some(Tok::List(l)) => l
                                    .chunks(2)
                                    .map(|c| (c[0].text().to_ascii_uppercase(), c[1].text()))
                                    .collect(),
                                _ => BTreeMap::new(),
                            }
                        };
                        let (e, a) = (items(args), items(aargs));
                        same_name(&args[0], &aargs[0])
                            && e.iter().all(|(k, v)| {
                                a.get(k).is_some_and(|av| {
                                    matches!(k.as_str(), "UIDNEXT" | "UIDVALIDITY") || av == v
                                })
                            })
                    }
                    _ => true,
                }
            }
            (Resp::Continuation, Resp::Continuation) => true,
            _ => false,
        }
    }

    fn check_step(&mut self, step: &Step, ex: &Exchange) {
        let actual: Vec<(String, Resp)> = ex
            .responses()
            .map(|m| {
                let b = m.to_bytes();
                (String::from_utf8_lossy(&b).into_owned(), parse(&b))
            })
            .collect();
        let shown = || actual.iter().map(|a| a.0.clone()).collect::<String>();
        let loose = self.plan.loose.iter().any(|(t, _)| *t == step.tag);
        let mut exp_expunge = Vec::new();
        let mut lists_shown = Vec::new();
        for (line, bytes) in &step.expected {
            let e = parse(bytes);
            if let Resp::Tagged { tag, outcome, code } = &e {
                if tag != &step.tag {
                    continue;
                }
                let want = self
                    .plan
                    .outcome
                    .iter()
                    .find(|(t, _, _)| t == tag)
                    .map(|o| o.1.to_string())
                    .unwrap_or(outcome.clone());
                let got = actual.iter().find_map(|(_, a)| match a {
                    Resp::Tagged {
                        tag: t,
                        outcome,
                        code,
                    } if *t == step.tag => Some((outcome.clone(), code.clone())),
                    _ => None,
                });
                match got {
                    None => self.fail(format!("{tag}: no tagged completion in {:?}", shown())),
                    Some((o, c)) => {
                        if o != want {
                            self.fail(format!("{tag}: RFC shows {want}, model {o}: {:?}", shown()));
                        }
                        if let Some(code) = code {
                            if c.as_ref() != Some(code) && want == *outcome {
                                self.fail(format!("{tag}: RFC shows [{code}], model {c:?}"));
                            }
                        }
                    }
                }
                continue;
            }
            if self.unchecked(line) {
                continue;
            }
            if let Resp::Num(n, k) = &e {
                if k == "EXPUNGE" {
                    exp_expunge.push(*n);
                }
            }
            if let Resp::Data(k, args) = &e {
                if k == "LIST" || k == "LSUB" {
                    if let Some(n) = args.get(2) {
                        lists_shown.push(n.clone());
                    }
                }
            }
            if !actual.iter().any(|(_, a)| self.matches(&e, a, loose)) {
                self.fail(format!(
                    "{}: RFC shows `{line}`, not in the model's answer:\n{}",
                    step.tag,
                    shown()
                ));
            }
        }
        if !exp_expunge.is_empty() {
            let got: Vec<u32> = actual
                .iter()
                .filter_map(|(_, a)| match a {
                    Resp::Num(n, k) if k == "EXPUNGE" => Some(*n),
                    _ => None,
                })
                .collect();
            if removed(&exp_expunge) != removed(&got) {
                self.fail(format!(
                    "{}: EXPUNGE {exp_expunge:?} and the model's {got:?} remove different messages",
                    step.tag
                ));
            }
        }
        // LIST: every name the model lists that the example does not is INBOX (which the
        // example's server need not show) or a \Noselect level (servers differ on those).
        if !lists_shown.is_empty() && !loose {
            for (text, a) in &actual {
                if let Resp::Data(k, args) = a {
                    if (k == "LIST" || k == "LSUB") && args.len() == 3 {
                        let extra = !lists_shown.iter().any(|n| same_name(n, &args[2]));
                        let inbox = args[2].text().eq_ignore_ascii_case("INBOX");
                        let noselect = flag_set(args.first()).contains("\\noselect");
                        if extra && !inbox && !noselect {
                            self.fail(format!("{}: the model lists more: {text}", step.tag));
                        }
                    }
                }
            }
        }
    }
}

fn same_name(a: &Tok, b: &Tok) -> bool {
    let (x, y) = (a.text(), b.text());
    x == y || (x.eq_ignore_ascii_case("INBOX") && y.eq_ignore_ascii_case("INBOX"))
}

fn users() -> Vec<(String, String)> {
    USERS
        .iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect()
}

/// Runs one example; returns failures.
fn run_example(ex: &Example, plan: &Plan) -> Vec<String> {
    let mut bounds: Vec<usize> = vec![0];
    bounds.extend(ex.independent_from.iter().copied());
    bounds.push(ex.lines.len());
    let mut ctx = Ctx {
        id: format!("§{} {}", ex.section, ex.title),
        plan,
        failures: vec![],
    };
    assert_eq!(
        plan.scenarios.len(),
        bounds.len() - 1,
        "{}: one scenario per independent part",
        ctx.id
    );
    for (k, sc) in plan.scenarios.iter().enumerate() {
        let lines = &ex.lines[bounds[k]..bounds[k + 1]];
        let (greeting, mut steps) = if plan.trigger.is_empty() {
            steps(lines, plan)
        } else {
            // Server lines only: expected in the answer to the trigger's last command.
            let mut st: Vec<Step> = plan
                .trigger
                .iter()
                .map(|c| Step {
                    command: Message::line(c),
                    tag: c.split(' ').next().unwrap().to_string(),
                    expected: vec![],
                })
                .collect();
            let last = st.last_mut().unwrap();
            last.expected = lines
                .iter()
                .map(|l| (l[3..].to_string(), l.as_bytes()[3..].to_vec()))
                .collect();
            (vec![], st)
        };
        if steps.is_empty() && plan.exception.is_none() {
            ctx.fail("nothing to replay and no exception".into());
        }
        let script: Vec<Message> = steps.iter().map(|s| s.command.clone()).collect();
        let store = Mutex::new(Store::with_users(sc.delimiter, &users()));
        let prepared = run_script_on(&store, Profile::Rfc2060, &sc.prepare, &[]);
        let t = run_script_on(&store, Profile::Rfc2060, &sc.setup, &script);
        // The setup must have worked: every setup command OK.
        for e in prepared.setup.iter().chain(&t.setup) {
            let c = e.completion().map(|m| m.to_bytes()).unwrap_or_default();
            let c = String::from_utf8_lossy(&c);
            let cmd = String::from_utf8_lossy(e.command().first_line()).into_owned();
            if !c.contains(" OK ") && !cmd.contains("LOGOUT") {
                ctx.fail(format!("setup `{cmd}` answered `{c}`"));
            }
        }
        for g in &greeting {
            if ctx.unchecked(g) {
                continue;
            }
            let e = parse(g.as_bytes());
            let a = t.greeting.as_ref().map(|m| parse(&m.to_bytes()));
            if !a.is_some_and(|a| ctx.matches(&e, &a, false)) {
                ctx.fail(format!("greeting: RFC shows `{g}`, model {:?}", t.greeting));
            }
        }
        if t.script.len() != steps.len() {
            ctx.fail(format!(
                "{} commands replayed, {} answered",
                steps.len(),
                t.script.len()
            ));
        }
        for (s, e) in steps.iter_mut().zip(&t.script) {
            // Continuations the example shows are looked for like responses.
            ctx.check_step(s, e);
        }
    }
    ctx.failures
}

#[test]
fn every_rfc2060_example_agrees_with_the_reference_server() {
    let all = examples();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut exceptions = Vec::new();
    let mut sections = BTreeSet::new();
    for ex in &all {
        assert!(
            sections.insert(ex.section.clone()),
            "two examples in §{}",
            ex.section
        );
        let Some(plan) = plan(&ex.section) else {
            failures.push(format!(
                "§{} {}: neither checked nor listed as an exception",
                ex.section, ex.title
            ));
            continue;
        };
        let why = plan.exception_reasons();
        if why.is_empty() {
            checked += 1;
        } else {
            exceptions.push((ex.section.clone(), why));
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_example(ex, &plan))) {
            Ok(f) => failures.extend(f),
            Err(p) => failures.push(format!(
                "§{} {}: the reference server panicked: {:?}",
                ex.section,
                ex.title,
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            )),
        }
    }
    for (s, why) in &exceptions {
        eprintln!("exception §{s}:");
        for w in why {
            eprintln!("  - {w}");
        }
    }
    eprintln!(
        "{} examples: {checked} checked in full, {} in part (exceptions)",
        all.len(),
        exceptions.len()
    );
    assert_eq!(
        all.len(),
        42,
        "rfc/rfc2060-examples.toml changed: review the plans"
    );
    assert_eq!(
        checked + exceptions.len() + failures.iter().filter(|f| f.contains("neither")).count(),
        all.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
