//! How the oracle reads the server's bytes and compares IMAP values with the model's.

use super::*;

/// The ENVELOPE of a message as a server that names addresses by their comments sends it
/// ([`crate::model::message::Message::envelope_comment_names`]).
pub(super) fn comment_named_envelope(seq: u32, m: &crate::model::message::Message) -> Option<Tok> {
    let item = crate::model::response::FetchItem::Envelope(m.envelope_comment_names());
    let mut bytes = Vec::new();
    Untagged::Fetch(seq, vec![item]).write(&mut bytes);
    fetch_items(&bytes)?.1.into_iter().next().map(|(_, t)| t)
}

/// FETCH items read from a `* n FETCH (...)` message with the lexer, so that data are
/// compared as IMAP values whatever their form (quoted or literal).
pub(in crate::judge) fn fetch_items(bytes: &[u8]) -> Option<(u32, Vec<(String, Tok)>)> {
    let toks = lex::items(bytes, 2)?;
    let seq: u32 = std::str::from_utf8(toks.first()?.atom()?)
        .ok()?
        .parse()
        .ok()?;
    if !toks.get(1)?.atom()?.eq_ignore_ascii_case(b"FETCH") {
        return None;
    }
    let list = toks.get(2)?.list()?;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < list.len() {
        let name = String::from_utf8_lossy(list[i].atom()?).to_ascii_uppercase();
        out.push((normalize_item_name(&name), list[i + 1].clone()));
        i += 2;
    }
    Some((seq, out))
}

/// `BODY[HEADER.FIELDS ("From" to)]` and `BODY[HEADER.FIELDS (FROM TO)]` name the same
/// item: upper-case, no quotes, single spaces.
///
/// RFC 2060 §6.4.5 fixes no order for the field names a server echoes back in
/// `HEADER.FIELDS (...)`: the names of the list are sorted, so that an echo in another
/// order names the same item.
pub(super) fn normalize_item_name(name: &str) -> String {
    let s: String = name.chars().filter(|c| *c != '"').collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = s
        .find("HEADER.FIELDS")
        .and_then(|i| s[i..].find('(').map(|j| i + j))
    else {
        return s;
    };
    let Some(close) = s[open..].find(')').map(|j| open + j) else {
        return s;
    };
    let mut names: Vec<&str> = s[open + 1..close]
        .split(' ')
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    format!("{}({}){}", &s[..open], names.join(" "), &s[close + 1..])
}

/// The last count an exchange's EXISTS responses gave (RFC 2060 §7.3.1: the mailbox's
/// size), if any.
pub(super) fn last_exists(seen: &[Seen]) -> Option<usize> {
    seen.iter().rev().find_map(|s| match s {
        Seen::Exists(n) => Some(*n as usize),
        _ => None,
    })
}

pub(in crate::judge) fn read(m: &Message) -> Seen {
    read_counted(m).0
}

/// Reads an untagged response, and says whether only the lenient reader made sense of
/// it ([`Skip::ReadLeniently`]) or nothing did ([`Skip::UnreadableUntagged`]).
pub(super) fn read_counted(m: &Message) -> (Seen, Option<Skip>) {
    let bytes = m.to_bytes();
    if m.is_continuation() {
        return (Seen::Other, None);
    }
    let decoded = ResponseCodec::default().decode(&bytes);
    let Ok((_, resp)) = decoded else {
        // Extension or malformed: FETCH is still read by the lexer, and other shapes by
        // the lenient reader.
        if let Some((seq, items)) = fetch_items(&bytes) {
            return (Seen::Fetch(seq, items), Some(Skip::ReadLeniently));
        }
        return match lenient::read(&bytes) {
            Some(seen) => (seen, Some(Skip::ReadLeniently)),
            None => (Seen::Unreadable, Some(Skip::UnreadableUntagged)),
        };
    };
    match read_decoded(resp, &bytes) {
        Seen::Unreadable => (Seen::Unreadable, Some(Skip::UnreadableUntagged)),
        seen => (seen, None),
    }
}

pub(super) fn read_decoded(resp: Response<'_>, bytes: &[u8]) -> Seen {
    match resp {
        Response::Data(Data::Exists(n)) => Seen::Exists(n),
        Response::Data(Data::Recent(_)) => Seen::Recent,
        Response::Data(Data::Expunge(n)) => Seen::Expunge(n.get()),
        Response::Data(Data::Flags(f)) => Seen::Flags(f.iter().map(|x| x.to_string()).collect()),
        Response::Data(Data::Capability(c)) => {
            Seen::Capability(c.as_ref().iter().map(|x| x.to_string()).collect())
        }
        Response::Data(Data::Fetch { .. }) => match fetch_items(bytes) {
            Some((seq, items)) => Seen::Fetch(seq, items),
            None => Seen::Unreadable,
        },
        Response::Data(Data::Search(n, ..)) => Seen::Search(n.iter().map(|x| x.get()).collect()),
        Response::Data(Data::List {
            items,
            mailbox,
            delimiter,
        }) => {
            let name = match mailbox {
                imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
                imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
            };
            let noselect = items
                .iter()
                .any(|i| format!("{i:?}").to_ascii_lowercase().contains("noselect"));
            Seen::List(name, noselect, delimiter.map(|d| d.inner()))
        }
        Response::Data(Data::Lsub { mailbox, .. }) => Seen::Lsub(mailbox_bytes(&mailbox)),
        Response::Data(Data::Status { items, .. }) => {
            let items = items
                .iter()
                .filter_map(|i| match i {
                    StatusDataItem::Messages(n) => Some(("MESSAGES".into(), *n)),
                    StatusDataItem::Recent(n) => Some(("RECENT".into(), *n)),
                    StatusDataItem::UidNext(n) => Some(("UIDNEXT".into(), n.get())),
                    StatusDataItem::UidValidity(n) => Some(("UIDVALIDITY".into(), n.get())),
                    StatusDataItem::Unseen(n) => Some(("UNSEEN".into(), *n)),
                    _ => None,
                })
                .collect();
            Seen::Status(items)
        }
        Response::Status(Status::Untagged(b)) if b.kind == StatusKind::Ok => {
            Seen::UntaggedOk(b.code.map(imap_types::IntoStatic::into_static))
        }
        Response::Status(Status::Bye(_)) => Seen::Bye,
        _ => Seen::Other,
    }
}

/// Whether the exchange ended in a tagged BAD with nothing else but continuation requests
/// and untagged BAD responses.
pub(super) fn rejected_without_data(e: &Exchange) -> bool {
    let (Some(done), Some("BAD")) = (e.completion(), e.status().as_deref()) else {
        return false;
    };
    e.responses()
        .filter(|m| !std::ptr::eq(*m, done))
        .all(|m| m.is_continuation() || m.first_line().to_ascii_uppercase().starts_with(b"* BAD"))
}

/// Whether the command carried a non-synchronizing literal (RFC 2088 `{n+}`) and was
/// answered BAD together with an answer tagged with the literal's first word: the server
/// read the literal as a command line (the `literal-plus-unadvertised` mutation).
pub(super) fn unadvertised_literal_refused(e: &Exchange) -> bool {
    if e.status().as_deref() != Some("BAD") {
        return false;
    }
    let inner = crate::wire::non_sync_literal_tag(&e.command());
    inner.is_some_and(|tag| e.responses().any(|m| m.tag() == tag.as_slice()))
}

/// A message whose bytes every server must store unchanged: CRLF line ends only, 7-bit,
/// no NUL (RFC 2060 §6.3.11 lets a server convert 8-bit data, and bare CR or LF are not
/// RFC 822).
pub(super) fn is_clean(raw: &[u8]) -> bool {
    let mut prev = 0u8;
    for &b in raw {
        if b == 0 || b >= 0x80 {
            return false;
        }
        if b == b'\n' && prev != b'\r' {
            return false;
        }
        if prev == b'\r' && b != b'\n' {
            return false;
        }
        prev = b;
    }
    prev != b'\r'
}

/// Whether two IMAP values agree, upper/lower case aside where `ci`; a server may add
/// parameters (`(name value ...)` lists) and trailing extension data to BODYSTRUCTURE.
/// `tag name CRLF` where the name has a lower-case letter: a command with no
/// arguments, sent in lower or mixed case.
pub(super) fn only_a_recased_name(command: &[u8]) -> bool {
    let line = command.strip_suffix(b"\r\n").unwrap_or(command);
    let mut words = line.split(|&b| b == b' ');
    let (Some(_tag), Some(name), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    name.iter().all(u8::is_ascii_alphabetic) && name.iter().any(u8::is_ascii_lowercase)
}

/// Extension data in a body structure beyond what a revision of IMAP4rev1 defines:
/// `Some((multipart, count))` for the first part that has any. RFC 2060 §7.4.2 defines,
/// after a single part's fields (and the line count of TEXT, the envelope, body and line
/// count of MESSAGE/RFC822), MD5, disposition and language; after a multipart's parts and
/// subtype, parameters, disposition and language. RFC 3501 §7.4.2 added location to
/// both. "Any following extension data are not yet defined": §7.4.2 (single part) and
/// §9 `body_extension` (both) forbid sending it.
pub(super) fn undefined_extension(body: &Tok) -> Option<(bool, usize)> {
    let l = body.list()?;
    let defined_ext = 4;
    if l.first()?.list().is_some() {
        let parts = l.iter().take_while(|t| t.list().is_some()).count();
        if let Some(inner) = l[..parts].iter().find_map(undefined_extension) {
            return Some(inner);
        }
        let extra = l.len().saturating_sub(parts + 1 + defined_ext);
        return (extra > 0).then_some((true, extra));
    }
    let is = |i: usize, v: &[u8]| {
        l.get(i)
            .and_then(Tok::text)
            .is_some_and(|t| t.eq_ignore_ascii_case(v))
    };
    let base = if is(0, b"TEXT") {
        8
    } else if is(0, b"MESSAGE") && is(1, b"RFC822") {
        if let Some(inner) = l.get(8).and_then(undefined_extension) {
            return Some(inner);
        }
        10
    } else {
        7
    };
    let extra = l.len().saturating_sub(base + defined_ext);
    (extra > 0).then_some((false, extra))
}

/// The value with every run of SP, HTAB, CR and LF inside its strings made one SP, and
/// none at either end.
pub(super) fn collapse_whitespace(t: &Tok) -> Tok {
    let kind = match &t.kind {
        TokKind::Str(b) => {
            let words: Vec<&[u8]> = b
                .split(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                .filter(|w| !w.is_empty())
                .collect();
            TokKind::Str(words.join(&b' '))
        }
        TokKind::List(l) => TokKind::List(l.iter().map(collapse_whitespace).collect()),
        other => other.clone(),
    };
    Tok { kind, span: t.span }
}

pub(super) fn value_matches(model: &Tok, server: &Tok, ci: bool, extensible: bool) -> bool {
    match (&model.kind, &server.kind) {
        (TokKind::List(a), TokKind::List(b)) => {
            let is_params = |l: &[Tok]| {
                !l.is_empty()
                    && l.len() % 2 == 0
                    && l.iter().all(|t| matches!(t.kind, TokKind::Str(_)))
            };
            if extensible && is_params(a) && is_params(b) {
                let pairs = |l: &[Tok]| -> Vec<(Vec<u8>, Vec<u8>)> {
                    l.chunks(2)
                        .map(|c| {
                            (
                                c[0].text().unwrap_or_default().to_ascii_lowercase(),
                                c[1].text().unwrap_or_default().to_ascii_lowercase(),
                            )
                        })
                        .collect()
                };
                let sb = pairs(b);
                return pairs(a).iter().all(|p| sb.contains(p));
            }
            if b.len() < a.len() || (!extensible && b.len() != a.len()) {
                return false;
            }
            a.iter()
                .zip(b.iter())
                .all(|(x, y)| value_matches(x, y, ci, extensible))
        }
        (TokKind::List(_), _) | (_, TokKind::List(_)) => false,
        _ => {
            let nil =
                |t: &Tok| matches!(&t.kind, TokKind::Atom(a) if a.eq_ignore_ascii_case(b"NIL"));
            if nil(model) || nil(server) {
                return nil(model) && nil(server);
            }
            let (x, y) = (
                model.text().unwrap_or_default(),
                server.text().unwrap_or_default(),
            );
            if ci {
                x.eq_ignore_ascii_case(y)
            } else {
                x == y
            }
        }
    }
}

pub(super) fn render(t: &Tok) -> String {
    match &t.kind {
        TokKind::Atom(a) => String::from_utf8_lossy(a).into_owned(),
        TokKind::Str(s) => format!("\"{}\"", escape(s)),
        TokKind::List(l) => format!("({})", l.iter().map(render).collect::<Vec<_>>().join(" ")),
    }
}

pub(in crate::judge) fn flags_of(t: &Tok) -> Option<FlagSet> {
    let l = t.list()?;
    let mut s = FlagSet::new();
    for f in l {
        s.insert(std::str::from_utf8(f.atom()?).ok()?);
    }
    Some(s)
}

/// The requirement that defines a FETCH item's data (RFC 2060 §6.4.5), by item name.
/// RFC 2060 §7.4.2: "headers (part specifiers HEADER or MIME, or the header portion of
/// a MESSAGE/RFC822 part)": the fetch items whose data is a header.
pub(super) fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// RFC 2060 §5.1.3 modified UTF-7: "Modified BASE64 MUST NOT be used to represent any
/// printing US-ASCII character which can represent itself", and names "MUST end in
/// US-ASCII (that is, a name that ends with a Unicode 16-bit octet MUST end with a
/// "-")". The requirement a name breaks, and how.
pub(super) fn mutf7_problem(name: &[u8]) -> Option<(&'static str, String)> {
    let mut i = 0;
    while i < name.len() {
        if name[i] != b'&' {
            i += 1;
            continue;
        }
        let Some(len) = name[i + 1..].iter().position(|&b| b == b'-') else {
            return Some((
                rule::MUTF7_END_ASCII,
                "a \"&\" shift is not closed by \"-\"".into(),
            ));
        };
        let octets = crate::model::message::decode_base64_with(&name[i + 1..i + 1 + len], b',');
        let mut units = octets
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]));
        if let Some(u) = units.find(|u| (0x20..=0x7e).contains(u)) {
            return Some((
                rule::MUTF7_NO_ENCODED_ASCII,
                format!(
                    "{:?} is encoded, though it can represent itself",
                    u as u8 as char
                ),
            ));
        }
        i += len + 2;
    }
    None
}

pub(super) fn is_header_section(name: &str) -> bool {
    let section = name.split('<').next().unwrap_or(name);
    section == "RFC822.HEADER"
        || section.ends_with("HEADER]")
        || section.ends_with("MIME]")
        || section.contains("HEADER.FIELDS")
}

/// Whether a string value holds an octet above 127.
pub(super) fn has_8bit(t: &Tok) -> bool {
    t.text().is_some_and(|b| !b.is_ascii())
}

pub(super) fn section_requirement(name: &str) -> &'static str {
    if name.contains('<') {
        return "2060-7.4.2-origin-substring";
    }
    match name {
        "RFC822" => "2060-6.4.5-rfc822",
        "RFC822.HEADER" => "2060-6.4.5-rfc822-header",
        "RFC822.TEXT" => "2060-6.4.5-rfc822-text",
        "BODY[]" => rule::SECTION_VALUE,
        n if n.contains("HEADER.FIELDS") => "2060-6.4.5-header-fields",
        n if n.ends_with("HEADER]") => "2060-6.4.5-blank-line",
        n if n.ends_with("TEXT]") => "2060-6.4.5-text",
        n if n.ends_with("MIME]") => "2060-6.4.5-mime",
        n if n.contains('.') => "2060-6.4.5-nested-part-numbers",
        _ => "2060-6.4.5-part-numbers",
    }
}

pub(super) fn mailbox_bytes(m: &imap_types::mailbox::Mailbox<'_>) -> Vec<u8> {
    match m {
        imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
        imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
    }
}

/// INBOX as the first level of a name is case-insensitive (RFC 2060 §5.1): upper-cased.
pub(super) fn inbox_upper(n: &[u8], delimiter: u8) -> Vec<u8> {
    let first = n.iter().position(|&b| b == delimiter).unwrap_or(n.len());
    if n[..first].eq_ignore_ascii_case(b"INBOX") {
        let mut v = b"INBOX".to_vec();
        v.extend_from_slice(&n[first..]);
        v
    } else {
        n.to_vec()
    }
}

/// RFC 2060 §6.3.11 and §6.4.7: the server "MUST send the response code "[TRYCREATE]" as
/// the prefix of the text of the tagged NO response". The summary and observed text of a
/// tagged NO `line` that breaks it: a response code comes directly after the status word
/// (§7.1), so `NO APPEND [TRYCREATE] failed` holds the word, but in the text, not as
/// the response code. `observed` quotes the server's line.
pub(super) fn trycreate_evidence(command: &str, line: &[u8]) -> (String, String) {
    let line = crate::wire::strip_eol(line);
    let upper = line.to_ascii_uppercase();
    let quoted = escape(line);
    if contains_bytes(&upper, b"[TRYCREATE]") {
        (
            format!(
                "{command} to a mailbox that does not exist: \"[TRYCREATE]\" is in the text of \
                 the NO, not the response code directly after NO"
            ),
            format!("{quoted} (\"[TRYCREATE]\" follows other text, so it is not a response code)"),
        )
    } else {
        (
            format!("{command} to a mailbox that does not exist: NO without [TRYCREATE]"),
            format!("{quoted} (no [TRYCREATE] response code)"),
        )
    }
}

pub(super) fn done_text(done: &Done) -> Vec<u8> {
    format!("{} {:?}", done.outcome.as_str(), done.code).into_bytes()
}
