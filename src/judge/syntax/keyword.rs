//! A message strict decoding rejected, judged by its keyword: responses RFC 3501 §7
//! defines are decoded again without the extension parts a server may add (RFC 3501 §7:
//! server responses conform to the base document until the client uses the
//! capability); unknown untagged keywords are extensions (lexical checks only), except
//! numbered `message-data`, which no extension widens beyond EXISTS, RECENT, EXPUNGE and
//! FETCH (RFC 3501 §7.3, §7.4, §9).

use super::data::{fetch, status_data};
use super::lexical::lexically_malformed;
use super::status::{check_resp_text, check_tag, status_keyword, undecided, undecided_unless_utf8};
use super::{bad, decodes, Fault, Grammar};
use crate::judge::lex::{self, Tok};
use crate::wire::{escape, Message};

const CORE_FETCH: &[&str] = &[
    "FLAGS",
    "ENVELOPE",
    "INTERNALDATE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "RFC822.SIZE",
    "BODY",
    "BODYSTRUCTURE",
    "UID",
];

/// Whether a FETCH item name is defined by RFC 3501 §9 `msg-att`.
pub fn is_core_fetch_item(name: &[u8]) -> bool {
    let n = name.to_ascii_uppercase();
    n.starts_with(b"BODY[") || CORE_FETCH.iter().any(|c| c.as_bytes() == n.as_slice())
}

pub(super) fn classify(m: &Message, bytes: &[u8], g: Grammar) -> Option<Fault> {
    let line = m.first_line();
    if line.starts_with(b"+") {
        if !line.starts_with(b"+ ") {
            return Some(bad(
                "continue-req",
                "continuation request without SP after \"+\"",
            ));
        }
        return Some(undecided("continue-req"));
    }
    if let Some((tag, kw, rest)) = status_keyword(line) {
        let kw = kw.to_ascii_uppercase();
        if g.rev2 && rest == b" " && !(tag == b"*" && kw == b"PREAUTH") && check_tag(tag).is_none()
        {
            // RFC 9051 §9: resp-text = ["[" resp-text-code "]" SP] [text].
            return None;
        }
        if tag == b"*" {
            if kw == b"PREAUTH" {
                return Some(bad(
                    "response-data",
                    "PREAUTH is only allowed in the greeting (resp-cond-auth)",
                ));
            }
            return check_resp_text(rest, g)
                .or_else(|| undecided_unless_utf8(line, g, "resp-text"));
        }
        if let Some(f) = check_tag(tag) {
            return Some(f);
        }
        if !matches!(kw.as_slice(), b"OK" | b"NO" | b"BAD") {
            return Some(bad(
                "response-tagged",
                format!("tagged response with `{}` (only OK, NO, BAD)", escape(&kw)),
            ));
        }
        return check_resp_text(rest, g)
            .or_else(|| undecided_unless_utf8(line, g, "response-tagged"));
    }
    if !line.starts_with(b"* ") {
        if line.starts_with(b"*") {
            return Some(bad("response-data", "no SP after \"*\""));
        }
        let tag = m.tag();
        return check_tag(tag).or_else(|| {
            Some(bad(
                "response-tagged",
                "tagged response without OK, NO or BAD",
            ))
        });
    }
    // Untagged data: `* [number SP] KEYWORD ...`.
    let Some(toks) = lex::items(bytes, 2) else {
        return Some(lexically_malformed(line));
    };
    let Some(first) = toks.first().and_then(Tok::atom) else {
        return Some(bad("response-data", "untagged response without a keyword"));
    };
    if first.iter().all(u8::is_ascii_digit) {
        return numbered(bytes, &toks, g);
    }
    let kw = first.to_ascii_uppercase();
    match kw.as_slice() {
        b"CAPABILITY" => Some(bad("capability-data", "CAPABILITY response does not match")),
        b"FLAGS" => Some(bad("flag-list", "FLAGS response does not match")),
        b"SEARCH" => {
            if toks.iter().any(|t| t.list().is_some()) {
                // RFC 7162 §3.1.5 adds `(MODSEQ n)` to SEARCH; extension data.
                None
            } else {
                Some(bad(
                    "mailbox-data",
                    "SEARCH response must be `SEARCH *(SP nz-number)`",
                ))
            }
        }
        b"LIST" | b"LSUB" => {
            if toks.len() > 4 {
                // RFC 5258 mbox-list-extended after the mailbox name: judge the rest.
                let core = rebuild(bytes, b"* ", &toks[..4], b"\r\n");
                if decodes(&core) {
                    return None;
                }
            }
            Some(bad(
                "mailbox-list",
                format!("{} response does not match", String::from_utf8_lossy(&kw)),
            ))
        }
        b"STATUS" => status_data(bytes, &toks),
        _ => None,
    }
}

/// Rebuilds a response from the byte ranges of chosen items.
pub(super) fn rebuild(bytes: &[u8], head: &[u8], toks: &[Tok], tail: &[u8]) -> Vec<u8> {
    let mut out = head.to_vec();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(&bytes[t.span.0..t.span.1]);
    }
    out.extend_from_slice(tail);
    out
}

fn parse_u32(d: &[u8]) -> Option<u32> {
    std::str::from_utf8(d).ok()?.parse().ok()
}

fn numbered(bytes: &[u8], toks: &[Tok], g: Grammar) -> Option<Fault> {
    let n = toks[0].atom().unwrap_or(b"");
    let kw = toks
        .get(1)
        .and_then(Tok::atom)
        .unwrap_or(b"")
        .to_ascii_uppercase();
    let (rule, nz) = match kw.as_slice() {
        b"EXISTS" | b"RECENT" => ("mailbox-data", false),
        b"EXPUNGE" | b"FETCH" => ("message-data", true),
        _ => {
            return Some(bad(
                "message-data",
                format!(
                    "`* {} {}`: unknown response (message-data is only EXPUNGE or FETCH, mailbox-data only EXISTS or RECENT after a number; no extension adds others)",
                    escape(n),
                    escape(&kw)
                ),
            ))
        }
    };
    match parse_u32(n) {
        None => {
            return Some(bad(
                if nz { "nz-number" } else { "number" },
                format!("`{}` is out of the 32-bit range", escape(n)),
            ))
        }
        Some(0) if nz => return Some(bad("nz-number", "message sequence number 0 (nz-number)")),
        _ => {}
    }
    if kw != b"FETCH" {
        return Some(bad(
            rule,
            format!("`{}` takes no arguments", String::from_utf8_lossy(&kw)),
        ));
    }
    fetch(bytes, toks, g)
}
