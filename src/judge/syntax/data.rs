//! FETCH (RFC 3501 §7.4.2 `msg-att`, `body`, `date-time`) and STATUS (§7.2.4
//! `status-att-list`) data that strict decoding rejected: RFC 3501 items are decoded
//! again without extension items, and a failing item is read by the ABNF
//! ([`super::super::innermost`]) to name the innermost rule it breaks.

use super::keyword::rebuild;
use super::{bad, decodes, is_core_fetch_item, warn, Fault, Grammar};
use crate::judge::innermost;
use crate::judge::lex::{Tok, TokKind};

const CORE_STATUS: &[&str] = &["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];

pub(super) fn fetch(bytes: &[u8], toks: &[Tok], _g: Grammar) -> Option<Fault> {
    let n = toks[0].atom().unwrap_or(b"");
    // Where the reading stops, when the FETCH data is not a list of RFC 3501 items.
    let shape = |why: &str| match innermost::fetch_response(bytes) {
        Some(miss) => at_miss(bytes, &miss, why),
        None => bad("msg-att", why),
    };
    let list = match toks.get(2..) {
        Some([t]) => match t.list() {
            Some(l) if !l.is_empty() => l,
            _ => return Some(shape("FETCH data must be a non-empty parenthesized list")),
        },
        _ => return Some(shape("FETCH must be followed by exactly one list")),
    };
    let has_ext = list
        .iter()
        .step_by(2)
        .any(|t| !t.atom().is_some_and(is_core_fetch_item));
    if list.len() % 2 != 0 {
        return Some(if has_ext {
            warn(
                "msg-att",
                "RFC 3501 §9",
                "odd number of FETCH items together with extension items; cannot tell which is wrong",
            )
        } else {
            shape("FETCH items must be name-value pairs")
        });
    }
    let pairs: Vec<&[Tok]> = list
        .chunks(2)
        .filter(|p| p[0].atom().is_some_and(is_core_fetch_item))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let head = [b"* ".as_slice(), n, b" FETCH ("].concat();
    if has_ext {
        let core: Vec<Tok> = pairs.iter().flat_map(|p| p.iter().cloned()).collect();
        if decodes(&rebuild(bytes, &head, &core, b")\r\n")) {
            return None;
        }
    }
    // Find the first item that fails on its own, to name its rule.
    for p in &pairs {
        if decodes(&rebuild(bytes, &head, p, b")\r\n")) {
            continue;
        }
        let name = p[0].atom().unwrap_or(b"").to_ascii_uppercase();
        let shown = String::from_utf8_lossy(&name).into_owned();
        let (rule, what) = match name.as_slice() {
            b"FLAGS" => ("msg-att-dynamic", "FLAGS"),
            b"ENVELOPE" => ("envelope", "ENVELOPE"),
            b"INTERNALDATE" => {
                if p[1].text().is_some_and(date_time_abnf) && matches!(p[1].kind, TokKind::Str(_)) {
                    return Some(warn(
                        "date-time",
                        "RFC 3501 §9",
                        "INTERNALDATE matches the date-time ABNF but is not a real calendar date/time",
                    ));
                }
                ("date-time", "INTERNALDATE")
            }
            b"BODY" | b"BODYSTRUCTURE" => {
                if p[1].depth() > 7 {
                    return Some(warn(
                        "body",
                        "RFC 3501 §9",
                        "body structure nested deeper than the strict decoder's limit; not judged",
                    ));
                }
                (
                    "body",
                    if name == b"BODY" {
                        "BODY"
                    } else {
                        "BODYSTRUCTURE"
                    },
                )
            }
            b"UID" => ("uniqueid", "UID"),
            b"RFC822.SIZE" => ("number", "RFC822.SIZE"),
            _ => ("msg-att-static", shown.as_str()),
        };
        if let Some(miss) = innermost::fetch_item(bytes, p[0].span.0, p[1].span.1) {
            return Some(at_miss(bytes, &miss, &format!("FETCH item `{what}`")));
        }
        let detail = if rule == "body" {
            body_spacing(&p[1])
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        } else {
            String::new()
        };
        return Some(bad(
            rule,
            format!("FETCH item {what} (msg-att) does not match{detail}"),
        ));
    }
    Some(bad(
        "msg-att",
        "FETCH items do not combine into a valid msg-att",
    ))
}

/// A fault naming the innermost rule that fails and the bytes where it does:
/// "FETCH item `BODY`: `body-type-msg` wants SP at byte 412, after `…NIL NIL NIL)`, where
/// the server sent `(\"text\" \"plain\"…`".
fn at_miss(bytes: &[u8], miss: &innermost::Miss, what: &str) -> Fault {
    let (before, after) = innermost::excerpt(bytes, miss.offset);
    let shown = if after.is_empty() {
        "the end of the response".to_string()
    } else {
        format!("`{after}`")
    };
    bad(
        miss.rule,
        format!(
            "{what}: `{}` wants {} at byte {}, after `{before}`, where the server sent {shown}",
            miss.rule,
            miss.want.show(),
            miss.offset
        ),
    )
}

/// Explains a body structure whose fields are not separated by SP where RFC 3501 §9
/// requires it: every field of `body-type-1part` and everything after the parts of
/// `body-type-mpart` (only `1*body` and `1*address` are written without separators).
fn body_spacing(t: &Tok) -> Option<String> {
    let l = t.list()?;
    let adjacent = |a: &Tok, b: &Tok| a.span.1 == b.span.0;
    let parts = l.iter().take_while(|p| p.list().is_some()).count();
    if parts > 0 {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        for p in &l[..parts] {
            if let Some(d) = body_spacing(p) {
                return Some(d);
            }
        }
        return l[parts - 1..].windows(2).enumerate().find_map(|(i, w)| {
            adjacent(&w[0], &w[1]).then(|| {
                format!(
                    "no SP before field {} after the parts of a multipart (body-type-mpart)",
                    i + 1
                )
            })
        });
    }
    // body-type-1part: every field separated by SP; for message/rfc822 the 9th field is
    // a nested body.
    if let Some(i) = l.windows(2).position(|w| adjacent(&w[0], &w[1])) {
        return Some(format!(
            "no SP between fields {} and {} of a single-part body (body-type-1part; e.g. body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines)",
            i + 1,
            i + 2
        ));
    }
    l.get(8).and_then(body_spacing)
}

/// RFC 3501 §9 `date-time` by the ABNF alone (no calendar check).
fn date_time_abnf(s: &[u8]) -> bool {
    // dd-Mmm-yyyy hh:mm:ss +zzzz, day may be " d".
    if s.len() != 26 {
        return false;
    }
    let d = |i: usize| s[i].is_ascii_digit();
    let month = s[3..6].to_ascii_uppercase();
    let months: [&[u8]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    (s[0] == b' ' || d(0))
        && d(1)
        && s[2] == b'-'
        && months.contains(&month.as_slice())
        && s[6] == b'-'
        && (7..11).all(d)
        && s[11] == b' '
        && d(12)
        && d(13)
        && s[14] == b':'
        && d(15)
        && d(16)
        && s[17] == b':'
        && d(18)
        && d(19)
        && s[20] == b' '
        && (s[21] == b'+' || s[21] == b'-')
        && (22..26).all(d)
}

pub(super) fn status_data(bytes: &[u8], toks: &[Tok]) -> Option<Fault> {
    let fail = || {
        Some(match innermost::status(bytes) {
            Some(miss) => at_miss(bytes, &miss, "STATUS response"),
            None => bad("status-att-list", "STATUS response does not match"),
        })
    };
    let [kw, mbox, list] = toks else {
        return fail();
    };
    let Some(items) = list.list() else {
        return fail();
    };
    if items.len() % 2 != 0 {
        return fail();
    }
    let core: Vec<Tok> = items
        .chunks(2)
        .filter(|p| {
            p[0].atom().is_some_and(|a| {
                CORE_STATUS
                    .iter()
                    .any(|c| c.as_bytes() == a.to_ascii_uppercase().as_slice())
            })
        })
        .flat_map(|p| p.iter().cloned())
        .collect();
    if core.len() == items.len() {
        return fail();
    }
    let mut head = rebuild(bytes, b"* ", &[kw.clone(), mbox.clone()], b" (");
    head.extend_from_slice(&rebuild(bytes, b"", &core, b")\r\n"));
    if decodes(&head) {
        None
    } else {
        fail()
    }
}
