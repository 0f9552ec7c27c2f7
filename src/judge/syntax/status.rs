//! Status responses and greetings read against the ABNF directly: `tag` (RFC 3501 §9),
//! `resp-text` and `resp-text-code` (RFC 3501 §7.1, §9; text beginning with `[` is an
//! RFC 2060 §9 SHOULD NOT, a warning), `greeting` (RFC 3501 §7.1.1, §7.1.4, §7.1.5),
//! and UTF-8 text, which only IMAP4rev2 or UTF8=ACCEPT allow (RFC 9051, RFC 6855).

use super::{bad, warn, Fault, Grammar};
use crate::wire::escape;

/// `OK`/`NO`/`BAD`/`BYE`/`PREAUTH` after the tag, if the message is a status response.
pub(super) fn status_keyword(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let sp = line.iter().position(|&c| c == b' ')?;
    let (tag, rest) = (&line[..sp], &line[sp + 1..]);
    let kw_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let kw = &rest[..kw_end];
    let upper = kw.to_ascii_uppercase();
    matches!(
        upper.as_slice(),
        b"OK" | b"NO" | b"BAD" | b"BYE" | b"PREAUTH"
    )
    .then_some((tag, kw, &rest[kw_end..]))
}

/// RFC 3501 §9 `resp-text` after the keyword: `rest` is what follows the keyword.
pub(super) fn check_resp_text(rest: &[u8], g: Grammar) -> Option<Fault> {
    let Some(text) = rest.strip_prefix(b" ") else {
        return Some(bad(
            "resp-text",
            "no SP and text after the status keyword (even RFC 9051 requires `SP resp-text`)",
        ));
    };
    if text.is_empty() {
        if g.rev2 {
            return None;
        }
        return Some(bad(
            "resp-text",
            "empty text after the status keyword (text = 1*TEXT-CHAR; only RFC 9051 allows it empty)",
        ));
    }
    if let Some(code) = text.strip_prefix(b"[") {
        let close = code.iter().position(|&c| c == b']');
        let ok_code = close.is_some_and(|p| code.get(p + 1) == Some(&b' ') && p + 2 < code.len());
        if !ok_code {
            return Some(warn(
                "resp-text",
                "RFC 2060 §9",
                "text begins with \"[\" but is not `\"[\" resp-text-code \"]\" SP text`; the ABNF reads it all as text, RFC 2060 says text SHOULD NOT begin with \"[\"",
            ));
        }
    }
    None
}

pub(super) fn check_tag(tag: &[u8]) -> Option<Fault> {
    let ok = !tag.is_empty()
        && tag.iter().all(|&c| {
            c > 0x20
                && c < 0x7f
                && !matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b'+')
        });
    (!ok).then(|| bad("tag", format!("`{}` is not a valid tag", escape(tag))))
}

pub(super) fn check_greeting(line: &[u8], g: Grammar) -> Option<Fault> {
    let Some((tag, kw, rest)) = status_keyword(line) else {
        return Some(bad(
            "greeting",
            "a greeting must be `* OK`, `* PREAUTH` or `* BYE`",
        ));
    };
    let kw = kw.to_ascii_uppercase();
    if tag != b"*" || !matches!(kw.as_slice(), b"OK" | b"PREAUTH" | b"BYE") {
        return Some(bad(
            "greeting",
            "a greeting must be `* OK`, `* PREAUTH` or `* BYE`",
        ));
    }
    check_resp_text(rest, g).or_else(|| undecided_unless_utf8(line, g, "greeting"))
}

/// Like [`undecided`], but nothing when enabled UTF-8 explains why the decoder refused.
pub(super) fn undecided_unless_utf8(line: &[u8], g: Grammar, rule: &'static str) -> Option<Fault> {
    if g.utf8 && line.iter().any(|&c| c >= 0x80) {
        return None;
    }
    Some(undecided(rule))
}

/// imap-codec refused a message our own reading of the ABNF accepts.
pub(super) fn undecided(rule: &'static str) -> Fault {
    warn(
        rule,
        "RFC 3501 §9",
        "the strict decoder (imap-codec) refuses it but the ABNF alternatives admit it; not reported as a syntax violation",
    )
}
