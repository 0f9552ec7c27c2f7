//! Canonical forms of the values inside responses: FETCH items (RFC 3501 §7.4.2),
//! flag lists (system flags case-insensitive, RFC 3501 §2.3.2), LIST attributes and
//! mailbox names (RFC 3501 §5.1), BODYSTRUCTURE without extension data (RFC 3501
//! §7.4.2, RFC 2045), header-field lists (RFC 3501 §9 `header-fld-name`), strings as
//! one quoted form (RFC 3501 §4.3) and `date-time` as an instant (RFC 3501 §9).

use super::NormContext;
use crate::judge::lex::{Tok, TokKind};
use crate::judge::syntax::is_core_fetch_item;

pub(super) fn fetch_value(name: &str, v: &Tok, ctx: &mut NormContext) -> String {
    match name {
        "UID" => ctx.uid(v.atom().unwrap_or(b"")),
        "MODSEQ" => "(<modseq>)".into(),
        "SAVEDATE" => "<savedate>".into(),
        "EMAILID" | "THREADID" => "<objectid>".into(),
        "FLAGS" => flags(v, true),
        "INTERNALDATE" => match v.text().and_then(date_instant) {
            Some(i) if ctx.supplied_dates.contains(&i) => format!("@{i}"),
            _ => "<internaldate>".into(),
        },
        "BODY" | "BODYSTRUCTURE" => body(v),
        _ if !is_core_fetch_item(name.as_bytes()) => render(v),
        _ => render(v),
    }
}

/// Flags sorted, system flags case-folded; `\Recent` dropped if asked.
pub(super) fn flags(t: &Tok, drop_recent: bool) -> String {
    let Some(l) = t.list() else { return render(t) };
    let mut v: Vec<String> = l
        .iter()
        .map(|f| fold_flag(render(f)))
        .filter(|s| !(drop_recent && s == "\\Recent"))
        .collect();
    v.sort();
    format!("({})", v.join(" "))
}

/// System flags and attributes compare case-insensitively: `\\SEEN` becomes `\\Seen`.
fn fold_flag(s: String) -> String {
    if s.starts_with('\\') && s.len() > 1 {
        let mut c = s.to_ascii_lowercase();
        c[1..2].make_ascii_uppercase();
        c
    } else {
        s
    }
}

pub(super) fn list_attrs(t: &Tok) -> String {
    let Some(l) = t.list() else { return render(t) };
    let mut v: Vec<String> = l
        .iter()
        .map(|f| fold_flag(render(f)))
        .filter(|s| s == "\\Noinferiors" || s == "\\Noselect")
        .collect();
    v.sort();
    format!("({})", v.join(" "))
}

pub(super) fn mailbox(t: &Tok) -> String {
    match t.text() {
        Some(s) if s.eq_ignore_ascii_case(b"INBOX") => "INBOX".into(),
        Some(s) => quote(s),
        None => render(t),
    }
}

/// BODY/BODYSTRUCTURE without extension data, MIME tokens upper-cased.
fn body(t: &Tok) -> String {
    let Some(l) = t.list() else { return render(t) };
    let up = |t: &Tok| render(t).to_ascii_uppercase();
    if l.first().and_then(Tok::list).is_some() {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        let parts: Vec<String> = l
            .iter()
            .take_while(|p| p.list().is_some())
            .map(body)
            .collect();
        let sub = l.get(parts.len()).map(up).unwrap_or_default();
        return format!("({} {sub})", parts.join(""));
    }
    // body-type-1part: type subtype params id desc enc octets [lines | env body lines]
    let ty = l.first().map(up).unwrap_or_default();
    let sub = l.get(1).map(up).unwrap_or_default();
    let mut n = 7;
    if ty == "\"TEXT\"" {
        n = 8;
    } else if ty == "\"MESSAGE\"" && sub == "\"RFC822\"" && l.len() >= 10 && l[8].list().is_some() {
        n = 10;
    }
    let mut out: Vec<String> = Vec::new();
    for (i, f) in l.iter().take(n).enumerate() {
        out.push(match i {
            0 | 1 | 2 | 5 => up(f),
            8 if n == 10 => body(f),
            _ => render(f),
        });
    }
    format!("({})", out.join(" "))
}

/// A FETCH item name whose section holds a header list (`BODY[HEADER.FIELDS (DATE
/// "CONTENT-TYPE")]`) with the list's field names as atoms where they can be, sorted:
/// `BODY[HEADER.FIELDS (CONTENT-TYPE DATE)]`. A quoted field name and an atom with the
/// same characters are the same `astring` (RFC 3501 §9 `header-fld-name`), and no rule
/// fixes the order in which a server echoes the list.
pub(super) fn header_list_canonical(name: &str) -> String {
    let Some(open) = name.find("HEADER.FIELDS") else {
        return name.to_string();
    };
    let Some(lp) = name[open..].find('(').map(|p| p + open) else {
        return name.to_string();
    };
    let Some(rp) = name[lp..].find(')').map(|p| p + lp) else {
        return name.to_string();
    };
    let mut fields: Vec<String> = Vec::new();
    let mut rest = &name[lp + 1..rp];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(q) = rest.strip_prefix('"') {
            let Some(end) = q.find('"') else {
                return name.to_string();
            };
            let inner = &q[..end];
            let atom_safe = !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"(){%*\\\"]".contains(&b));
            fields.push(if atom_safe {
                inner.to_string()
            } else {
                format!("\"{inner}\"")
            });
            rest = &q[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    fields.sort();
    format!("{}{}{}", &name[..=lp], fields.join(" "), &name[rp..])
}

pub(super) fn render_all(toks: &[Tok]) -> String {
    toks.iter().map(render).collect::<Vec<_>>().join(" ")
}

/// Canonical text of a token: strings always quoted, atoms as sent (NIL upper-cased).
pub(super) fn render(t: &Tok) -> String {
    match &t.kind {
        TokKind::Atom(a) if a.eq_ignore_ascii_case(b"NIL") => "NIL".into(),
        TokKind::Atom(a) => show(a),
        TokKind::Str(s) => quote(s),
        TokKind::List(l) => format!("({})", render_all(l)),
    }
}

/// Printable ASCII as is, other bytes as `\xHH`.
fn show(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02X}")),
        }
    }
    s
}

/// A string in IMAP quoted form (`"` and `\` escaped), other bytes as `\xHH`.
fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(c as char);
            }
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02X}")),
        }
    }
    s.push('"');
    s
}

/// RFC 3501 `date-time` ("dd-Mmm-yyyy hh:mm:ss +zzzz") as seconds since 1970 UTC.
pub fn date_instant(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?.trim_start();
    let (date, rest) = s.split_once(' ')?;
    let (time, zone) = rest.split_once(' ')?;
    let mut d = date.split('-');
    let day: i64 = d.next()?.parse().ok()?;
    let mon = d.next()?.to_ascii_uppercase();
    let year: i64 = d.next()?.parse().ok()?;
    const M: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let month = M.iter().position(|m| *m == mon)? as i64 + 1;
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (h, mi, se) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if zone.len() != 5 {
        return None;
    }
    let sign = match &zone[..1] {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let zh: i64 = zone[1..3].parse().ok()?;
    let zm: i64 = zone[3..5].parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se - sign * (zh * 3600 + zm * 60))
}
