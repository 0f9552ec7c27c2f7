//! Lenient reading: a response the grammar rejects is still read where its meaning is
//! plain, so that the oracle can follow on. The syntax judge reports the grammar fault
//! once; the oracle judges what the response says, never how it is written.
//!
//! Shapes read: `* n EXISTS`, `* n RECENT`, `* n EXPUNGE` (any case, extra blanks or
//! trailing text), `* FLAGS (...)`, and `* OK|NO|BAD|BYE|PREAUTH [code]` with no text after
//! the code (RFC 2060 §7.1 requires text; servers omit it), read by the strict decoder once
//! a text is supplied. FETCH is read by the lexer in [`super::read`].

use imap_codec::decode::Decoder;
use imap_codec::ResponseCodec;
use imap_types::response::{Code, Response, Status, StatusKind};

use super::lex;
use super::{read_counted, Oracle, Seen, Skip};
use crate::wire::{Exchange, Message};

impl Oracle {
    /// The tagged completion `m`: read strictly, else leniently (counted as
    /// [`Skip::CompletionReadLeniently`]). `None` when neither reads its status.
    pub(super) fn read_completion(
        &mut self,
        m: &Message,
    ) -> Option<(StatusKind, Option<Code<'static>>)> {
        let bytes = m.to_bytes();
        if let Ok((_, Response::Status(Status::Tagged(t)))) =
            ResponseCodec::default().decode(&bytes)
        {
            return Some((
                t.body.kind,
                t.body.code.map(imap_types::IntoStatic::into_static),
            ));
        }
        let read = completion(&bytes)?;
        self.skip(Skip::CompletionReadLeniently);
        Some(read)
    }

    /// The responses of `e` but its completion `done`, each read strictly or leniently
    /// (counted), and whether one could not be read at all (it was skipped, so that a
    /// response the exchange lacks may be that one).
    pub(super) fn read_responses(&mut self, e: &Exchange, done: &Message) -> (Vec<Seen>, bool) {
        let mut blind = false;
        let mut out = Vec::new();
        for m in e.responses().filter(|m| !std::ptr::eq(*m, done)) {
            let (seen, skip) = read_counted(m);
            if let Some(skip) = skip {
                self.skip(skip);
            }
            if matches!(seen, Seen::Unreadable) {
                blind = true;
                continue;
            }
            out.push(seen);
        }
        (out, blind)
    }
}

/// What `bytes`, a whole untagged response the strict decoder rejected, says, if it says
/// anything the oracle needs.
pub(super) fn read(bytes: &[u8]) -> Option<Seen> {
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let rest = line.strip_prefix(b"* ")?;
    let words: Vec<&[u8]> = rest
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let first = *words.first()?;
    if let Some(n) = std::str::from_utf8(first)
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        let kind = words.get(1)?.to_ascii_uppercase();
        return match kind.as_slice() {
            b"EXISTS" => Some(Seen::Exists(n)),
            b"RECENT" => Some(Seen::Recent),
            // Mailutils writes `* 1 EXPUNGED`: the meaning is plain.
            b"EXPUNGE" | b"EXPUNGED" if n > 0 => Some(Seen::Expunge(n)),
            b"FETCH" => fetch_without_parentheses(line, n),
            _ => None,
        };
    }
    let word = first.to_ascii_uppercase();
    match word.as_slice() {
        b"FLAGS" => {
            let toks = lex::items(bytes, 8)?;
            let list = toks.first()?.list()?;
            let flags: Option<Vec<String>> = list
                .iter()
                .map(|t| t.atom().map(|a| String::from_utf8_lossy(a).into_owned()))
                .collect();
            Some(Seen::Flags(flags?))
        }
        b"OK" | b"NO" | b"BAD" | b"BYE" | b"PREAUTH" => status_without_text(line),
        _ => None,
    }
}

/// `* 1 FETCH FLAGS (\Seen)` (Mailutils): the items without their parentheses, read
/// once they are put in.
fn fetch_without_parentheses(line: &[u8], n: u32) -> Option<Seen> {
    let at = line
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"FETCH "))?
        + 6;
    let items = line[at..].trim_ascii();
    if items.starts_with(b"(") {
        return None;
    }
    let mut fixed = format!("* {n} FETCH (").into_bytes();
    fixed.extend_from_slice(items);
    fixed.extend_from_slice(b")\r\n");
    let (seq, items) = super::fetch_items(&fixed)?;
    Some(Seen::Fetch(seq, items))
}

/// `* OK [UIDVALIDITY 3]` or `* OK` (no text): read with a text supplied.
fn status_without_text(line: &[u8]) -> Option<Seen> {
    let mut fixed = line.to_vec();
    while fixed.last() == Some(&b' ') {
        fixed.pop();
    }
    fixed.extend_from_slice(b" -\r\n");
    let (_, resp) = ResponseCodec::default().decode(&fixed).ok()?;
    match resp {
        Response::Status(Status::Untagged(b)) if b.kind == StatusKind::Ok => Some(
            Seen::UntaggedOk(b.code.map(imap_types::IntoStatic::into_static)),
        ),
        Response::Status(Status::Bye(_)) => Some(Seen::Bye),
        Response::Status(_) => Some(Seen::Other),
        _ => None,
    }
}

/// A tagged completion the strict decoder rejected: its status and, when the code reads
/// once a missing text is supplied, its code. `None` when the status word is unreadable,
/// or when the line has a code that does not read (the code may be one the oracle
/// checks, such as `[READ-ONLY]`, so it is not taken as absent).
pub(super) fn completion(line: &[u8]) -> Option<(StatusKind, Option<Code<'static>>)> {
    let kind = completion_status(line)?;
    let trimmed = line.strip_suffix(b"\r\n").unwrap_or(line);
    let trimmed = trimmed.strip_suffix(b"\n").unwrap_or(trimmed);
    let mut fixed = trimmed.to_vec();
    while fixed.last() == Some(&b' ') {
        fixed.pop();
    }
    fixed.extend_from_slice(b" -\r\n");
    if let Ok((_, Response::Status(Status::Tagged(t)))) = ResponseCodec::default().decode(&fixed) {
        return Some((kind, t.body.code.map(imap_types::IntoStatic::into_static)));
    }
    // After the tag and the status word: a code opens with `[`.
    let after = trimmed.splitn(3, |b| *b == b' ').nth(2).unwrap_or_default();
    if after.trim_ascii_start().starts_with(b"[") {
        return None;
    }
    Some((kind, None))
}

/// The status word of a tagged completion the strict decoder rejected: `tag OK`, `tag NO`
/// or `tag BAD`, whatever follows.
pub(super) fn completion_status(line: &[u8]) -> Option<StatusKind> {
    let mut words = line.split(|b| *b == b' ').filter(|w| !w.is_empty());
    let tag = words.next()?;
    if tag == b"*" || tag == b"+" {
        return None;
    }
    let word = words.next()?;
    let word = word
        .strip_suffix(b"\r\n")
        .or_else(|| word.strip_suffix(b"\n"))
        .unwrap_or(word);
    match word.to_ascii_uppercase().as_slice() {
        b"OK" => Some(StatusKind::Ok),
        b"NO" => Some(StatusKind::No),
        b"BAD" => Some(StatusKind::Bad),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ok_with_a_code_and_no_text_still_gives_its_code() {
        let seen = read(b"* OK [UIDVALIDITY 3]\r\n");
        assert!(
            matches!(seen, Some(Seen::UntaggedOk(Some(Code::UidValidity(v)))) if v.get() == 3),
            "{seen:?}"
        );
        assert!(matches!(read(b"* OK\r\n"), Some(Seen::UntaggedOk(None))));
    }

    #[test]
    fn counts_are_read_whatever_their_case_and_spacing() {
        assert!(matches!(read(b"* 4  exists\r\n"), Some(Seen::Exists(4))));
        assert!(matches!(read(b"* 2 Recent extra\r\n"), Some(Seen::Recent)));
        assert!(matches!(read(b"* 3 expunge \r\n"), Some(Seen::Expunge(3))));
        // RFC 2060 §7.4.1: message sequence numbers start at 1.
        assert!(read(b"* 0 EXPUNGE\r\n").is_none());
        assert!(matches!(read(b"* 1 EXPUNGED\r\n"), Some(Seen::Expunge(1))));
        assert!(read(b"* 3 NONSENSE\r\n").is_none());
    }

    #[test]
    fn fetch_items_without_their_parentheses_are_read() {
        let seen = read(b"* 2 FETCH FLAGS (\\Seen \\Recent)\r\n");
        assert!(
            matches!(&seen, Some(Seen::Fetch(2, items)) if items.len() == 1 && items[0].0 == "FLAGS"),
            "{seen:?}"
        );
    }

    #[test]
    fn a_flags_response_with_a_bad_flag_is_still_a_flags_response() {
        let seen = read(b"* FLAGS (\\Seen \\Bogus% $Kw)\r\n");
        assert!(
            matches!(&seen, Some(Seen::Flags(f)) if f.len() == 3 && f[0] == "\\Seen"),
            "{seen:?}"
        );
    }

    #[test]
    fn a_completion_is_read_by_its_tag_and_status_word() {
        assert_eq!(completion_status(b"a1 ok\r\n"), Some(StatusKind::Ok));
        assert_eq!(
            completion_status(b"a1 NO [WHATEVER ) done\r\n"),
            Some(StatusKind::No)
        );
        assert_eq!(completion_status(b"a1 BAD\r\n"), Some(StatusKind::Bad));
        assert_eq!(completion_status(b"* OK x\r\n"), None);
        assert_eq!(completion_status(b"a1 MAYBE\r\n"), None);
    }

    #[test]
    fn a_completion_with_a_code_and_no_text_keeps_its_code() {
        let read = completion(b"a2 OK [READ-ONLY]\r\n");
        assert!(
            matches!(read, Some((StatusKind::Ok, Some(Code::ReadOnly)))),
            "{read:?}"
        );
        assert!(matches!(
            completion(b"a2 NO\r\n"),
            Some((StatusKind::No, None))
        ));
    }

    #[test]
    fn a_completion_whose_code_does_not_read_is_not_taken_as_one_without_a_code() {
        assert_eq!(completion(b"a2 OK [READ-ONLY done\r\n"), None);
    }
}
