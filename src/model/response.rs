//! What the model answers: RFC 2060 §7 server responses as values, and their wire form.

use chrono::{DateTime, FixedOffset};

use super::value::{write_nstring, write_string, BodyStructure, Envelope};

/// RFC 2060 §7.1: the three results of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    No,
    Bad,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::No => "NO",
            Outcome::Bad => "BAD",
        }
    }
}

/// RFC 2060 §7.1: response codes the model sends or reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    Alert,
    Parse,
    PermanentFlags(Vec<String>),
    ReadOnly,
    ReadWrite,
    TryCreate,
    UidValidity(u32),
    UidNext(u32),
    Unseen(u32),
    BadCharset,
}

/// The outcomes a server may give a command, with the requirement that rules out the
/// others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed {
    pub ok: bool,
    pub no: bool,
    pub bad: bool,
    /// Requirement id broken by an outcome that is not allowed.
    pub rule: &'static str,
}

impl Allowed {
    /// Success expected; a server may still refuse with NO for reasons of its own
    /// (RFC 2060 §7.1.2: "The NO response indicates an operational error message from the
    /// server."), and BAD says the client erred, which it did not.
    pub fn ok_or_refusal(rule: &'static str) -> Allowed {
        Allowed {
            ok: true,
            no: true,
            bad: false,
            rule,
        }
    }

    /// The command must fail (NO).
    pub fn must_fail(rule: &'static str) -> Allowed {
        Allowed {
            ok: false,
            no: true,
            bad: true,
            rule,
        }
    }

    /// Any outcome but OK (e.g. a command in the wrong state: RFC 2060 §3 "a server will
    /// respond with a BAD or NO (depending upon server implementation)").
    pub fn not_ok(rule: &'static str) -> Allowed {
        Allowed::must_fail(rule)
    }

    /// Anything goes (the model cannot judge this command).
    pub fn any() -> Allowed {
        Allowed {
            ok: true,
            no: true,
            bad: true,
            rule: "",
        }
    }

    pub fn permits(&self, o: Outcome) -> bool {
        match o {
            Outcome::Ok => self.ok,
            Outcome::No => self.no,
            Outcome::Bad => self.bad,
        }
    }
}

/// RFC 2060 §7.4.2: one FETCH data item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem {
    Flags(Vec<String>),
    Uid(u32),
    Rfc822Size(u32),
    InternalDate(DateTime<FixedOffset>),
    Envelope(Envelope),
    /// `BODY` (non-extensible form) when false, `BODYSTRUCTURE` when true.
    Structure(BodyStructure, bool),
    /// `BODY[section]<origin>` and the RFC822 forms: the item name as sent back
    /// (e.g. `BODY[1.HEADER]<0>`, `RFC822.TEXT`) and its data.
    Section(String, Option<Vec<u8>>),
}

/// RFC 2060 §7.2 - §7.4: untagged responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Untagged {
    Ok(Option<Code>, String),
    Bye(String),
    Capability(Vec<String>),
    List {
        lsub: bool,
        attributes: Vec<String>,
        delimiter: Option<u8>,
        name: Vec<u8>,
    },
    Status {
        name: Vec<u8>,
        items: Vec<(String, u32)>,
    },
    Search(Vec<u32>),
    Flags(Vec<String>),
    Exists(u32),
    Recent(u32),
    Expunge(u32),
    Fetch(u32, Vec<FetchItem>),
}

/// The tagged completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub outcome: Outcome,
    pub code: Option<Code>,
    pub text: String,
}

/// The model's answer to one command: what the reference server sends, and which outcomes
/// a server may give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub untagged: Vec<Untagged>,
    pub completion: Completion,
    pub allowed: Allowed,
}

fn write_code(out: &mut Vec<u8>, code: &Code) {
    out.push(b'[');
    match code {
        Code::Alert => out.extend_from_slice(b"ALERT"),
        Code::Parse => out.extend_from_slice(b"PARSE"),
        Code::ReadOnly => out.extend_from_slice(b"READ-ONLY"),
        Code::ReadWrite => out.extend_from_slice(b"READ-WRITE"),
        Code::TryCreate => out.extend_from_slice(b"TRYCREATE"),
        Code::BadCharset => out.extend_from_slice(b"BADCHARSET"),
        Code::UidValidity(n) => out.extend_from_slice(format!("UIDVALIDITY {n}").as_bytes()),
        Code::UidNext(n) => out.extend_from_slice(format!("UIDNEXT {n}").as_bytes()),
        Code::Unseen(n) => out.extend_from_slice(format!("UNSEEN {n}").as_bytes()),
        Code::PermanentFlags(f) => {
            out.extend_from_slice(b"PERMANENTFLAGS (");
            out.extend_from_slice(f.join(" ").as_bytes());
            out.push(b')');
        }
    }
    out.extend_from_slice(b"] ");
}

fn write_text(out: &mut Vec<u8>, code: &Option<Code>, text: &str) {
    if let Some(c) = code {
        write_code(out, c);
    }
    out.extend_from_slice(if text.is_empty() { "done" } else { text }.as_bytes());
}

/// RFC 2060 §9 `mailbox`: an astring; INBOX is sent as the atom `INBOX`.
pub fn write_mailbox(out: &mut Vec<u8>, name: &[u8]) {
    let atom = !name.is_empty()
        && name.iter().all(|&b| {
            b > 0x20
                && b < 0x7f
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        });
    if atom {
        out.extend_from_slice(name);
    } else {
        write_string(out, name);
    }
}

/// RFC 2060 §9 `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"`.
pub fn format_date_time(d: &DateTime<FixedOffset>) -> String {
    d.format("%d-%b-%Y %H:%M:%S %z").to_string()
}

impl Untagged {
    /// The response line(s) in the RFC 2060 §9 grammar, CRLF included.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"* ");
        match self {
            Untagged::Ok(code, text) => {
                out.extend_from_slice(b"OK ");
                write_text(out, code, text);
            }
            Untagged::Bye(text) => {
                out.extend_from_slice(b"BYE ");
                write_text(out, &None, text);
            }
            Untagged::Capability(c) => {
                out.extend_from_slice(b"CAPABILITY ");
                out.extend_from_slice(c.join(" ").as_bytes());
            }
            Untagged::List {
                lsub,
                attributes,
                delimiter,
                name,
            } => {
                out.extend_from_slice(if *lsub { b"LSUB (" } else { b"LIST (" });
                out.extend_from_slice(attributes.join(" ").as_bytes());
                out.extend_from_slice(b") ");
                match delimiter {
                    Some(d) => write_string(out, &[*d]),
                    None => out.extend_from_slice(b"NIL"),
                }
                out.push(b' ');
                write_mailbox(out, name);
            }
            Untagged::Status { name, items } => {
                out.extend_from_slice(b"STATUS ");
                write_mailbox(out, name);
                out.extend_from_slice(b" (");
                let parts: Vec<String> = items.iter().map(|(k, v)| format!("{k} {v}")).collect();
                out.extend_from_slice(parts.join(" ").as_bytes());
                out.push(b')');
            }
            Untagged::Search(n) => {
                out.extend_from_slice(b"SEARCH");
                for x in n {
                    out.extend_from_slice(format!(" {x}").as_bytes());
                }
            }
            Untagged::Flags(f) => {
                out.extend_from_slice(b"FLAGS (");
                out.extend_from_slice(f.join(" ").as_bytes());
                out.push(b')');
            }
            Untagged::Exists(n) => out.extend_from_slice(format!("{n} EXISTS").as_bytes()),
            Untagged::Recent(n) => out.extend_from_slice(format!("{n} RECENT").as_bytes()),
            Untagged::Expunge(n) => out.extend_from_slice(format!("{n} EXPUNGE").as_bytes()),
            Untagged::Fetch(seq, items) => {
                out.extend_from_slice(format!("{seq} FETCH (").as_bytes());
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write(out);
                }
                out.push(b')');
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

impl FetchItem {
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            FetchItem::Flags(f) => {
                out.extend_from_slice(b"FLAGS (");
                out.extend_from_slice(f.join(" ").as_bytes());
                out.push(b')');
            }
            FetchItem::Uid(u) => out.extend_from_slice(format!("UID {u}").as_bytes()),
            FetchItem::Rfc822Size(n) => {
                out.extend_from_slice(format!("RFC822.SIZE {n}").as_bytes())
            }
            FetchItem::InternalDate(d) => out
                .extend_from_slice(format!("INTERNALDATE \"{}\"", format_date_time(d)).as_bytes()),
            FetchItem::Envelope(e) => {
                out.extend_from_slice(b"ENVELOPE ");
                e.write(out);
            }
            FetchItem::Structure(b, extended) => {
                out.extend_from_slice(if *extended {
                    b"BODYSTRUCTURE "
                } else {
                    b"BODY "
                });
                b.write(out, *extended);
            }
            FetchItem::Section(name, data) => {
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                write_nstring(out, data.as_deref());
            }
        }
    }
}

impl Completion {
    pub fn write(&self, tag: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(tag);
        out.push(b' ');
        out.extend_from_slice(self.outcome.as_str().as_bytes());
        out.push(b' ');
        write_text(out, &self.code, &self.text);
        out.extend_from_slice(b"\r\n");
    }
}

impl Reply {
    /// Everything the reference server sends for this command.
    pub fn write(&self, tag: &[u8], out: &mut Vec<u8>) {
        for u in &self.untagged {
            u.write(out);
        }
        self.completion.write(tag, out);
    }
}
