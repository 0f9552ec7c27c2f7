//! Normalised untagged responses: one line per server message, with the rewrites the
//! parent module documents for status responses and codes (RFC 3501 §7.1), CAPABILITY,
//! FLAGS and LIST (RFC 3501 §7.2), EXISTS, RECENT and EXPUNGE (RFC 3501 §7.3, §7.4.1),
//! FETCH data merged per message (RFC 3501 §7.4.2) and RFC 4731 ESEARCH.

use super::value::{
    fetch_value, flags, header_list_canonical, list_attrs, mailbox, render, render_all,
};
use super::{code, NormContext, Segment};
use crate::judge::lex::{self, Tok};
use crate::wire::{escape, Message};

pub(super) fn untagged(m: &Message, ctx: &mut NormContext, uid_cmd: bool, segs: &mut Vec<Segment>) {
    let bytes = m.to_bytes();
    let line = m.first_line();
    let seg = segs.last_mut().expect("one segment at least");
    if let Some(kw) = status_kw(line) {
        let c = code(&line[2 + kw.len()..]);
        if kw == "OK" && c.is_none() {
            return; // informational, or an extension code
        }
        if kw == "OK" && !ctx.selecting && c.as_deref() == Some("PERMANENTFLAGS <flags>") {
            return; // re-announced with a new keyword, as some servers do
        }
        if kw == "OK" && c.as_deref() == Some("UIDNEXT <uidnext>") {
            return; // RFC 3501 §6.3.1 added it; RFC 2060 has no UIDNEXT code
        }
        seg.lines.push(match c {
            Some(c) => format!("* {kw} [{c}]"),
            None => format!("* {kw}"),
        });
        return;
    }
    let Some(toks) = lex::items(&bytes, 2) else {
        seg.lines.push(format!("* <malformed> {}", escape(&bytes)));
        return;
    };
    let first = toks.first().and_then(Tok::atom).unwrap_or(b"");
    if first.eq_ignore_ascii_case(b"FLAGS") && !ctx.selecting {
        return; // re-announced with a new keyword, as some servers do
    }
    if first.iter().all(u8::is_ascii_digit) && !first.is_empty() {
        let n: u64 = std::str::from_utf8(first)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        let kw = toks
            .get(1)
            .and_then(Tok::atom)
            .unwrap_or(b"")
            .to_ascii_uppercase();
        match kw.as_slice() {
            b"EXISTS" if toks.len() == 2 => {
                if ctx.exists != Some(n) {
                    ctx.exists = Some(n);
                    seg.lines.push(format!("* {n} EXISTS"));
                }
            }
            b"RECENT" if toks.len() == 2 => {
                if ctx.selecting {
                    seg.lines.push("* <n> RECENT".into());
                }
            }
            b"EXPUNGE" if toks.len() == 2 => {
                ctx.exists = ctx.exists.map(|e| e.saturating_sub(1));
                seg.expunge = Some(format!("* {n} EXPUNGE"));
                segs.push(Segment::default());
            }
            b"FETCH" if toks.len() == 3 && toks[2].list().is_some() => {
                let items = toks[2].list().unwrap_or(&[]);
                let entry = seg.fetch.entry(n).or_default();
                for p in items.chunks(2) {
                    let name = header_list_canonical(&render(&p[0]).to_ascii_uppercase());
                    let value = p
                        .get(1)
                        .map(|v| fetch_value(&name, v, ctx))
                        .unwrap_or_default();
                    entry.insert(name, value);
                }
            }
            _ => seg.lines.push(format!("* {}", render_all(&toks))),
        }
        return;
    }
    let kw = String::from_utf8_lossy(first).to_ascii_uppercase();
    let rest = toks.get(1..).unwrap_or(&[]);
    let line = match kw.as_str() {
        "CAPABILITY" => "* CAPABILITY <capabilities>".into(),
        "ID" | "NAMESPACE" | "ENABLED" => format!("* {kw} <...>"),
        "FLAGS" => format!(
            "* FLAGS {}",
            rest.first().map(|f| flags(f, true)).unwrap_or_default()
        ),
        "SEARCH" => {
            // Numbers sorted numerically first, so UIDs are renamed in ascending order.
            let mut nums: Vec<(u64, &Tok)> = rest
                .iter()
                .map(|t| {
                    let a = t.atom().unwrap_or(b"");
                    let v = std::str::from_utf8(a).ok().and_then(|s| s.parse().ok());
                    (v.unwrap_or(u64::MAX), t)
                })
                .collect();
            nums.sort_by_key(|(v, _)| *v);
            let v: Vec<String> = nums
                .into_iter()
                .map(|(_, t)| match (t.list(), t.atom()) {
                    // RFC 7162 §3.1.5: `(MODSEQ n)`, a value the server chooses.
                    (Some(_), _) => "(MODSEQ <modseq>)".to_string(),
                    (_, Some(a)) if uid_cmd => ctx.uid(a),
                    _ => render(t),
                })
                .collect();
            format!("* SEARCH {}", v.join(" ")).trim_end().to_string()
        }
        "ESEARCH" => esearch(rest),
        "LSUB"
            if !ctx.inbox_subscription_sent
                && rest
                    .get(2)
                    .and_then(Tok::text)
                    .is_some_and(|n| n.eq_ignore_ascii_case(b"INBOX")) =>
        {
            // Whether INBOX is subscribed before the client said is the account's
            // state, not the session's (Cyrus subscribes it on creation).
            return;
        }
        "LIST" | "LSUB" => {
            let mut parts = vec![format!("* {kw}")];
            if let Some(attrs) = rest.first() {
                parts.push(list_attrs(attrs));
            }
            // RFC 3501 §5.1.1 / §7.2.2: the hierarchy delimiter (or NIL) is the server's.
            parts.extend(rest.get(1).map(|_| "<delim>".to_string()));
            parts.extend(rest.get(2).map(mailbox));
            parts.extend(rest.iter().skip(3).map(render));
            parts.join(" ")
        }
        "STATUS" => {
            let mb = rest.first().map(mailbox).unwrap_or_default();
            let mut items: Vec<String> = rest
                .get(1)
                .and_then(Tok::list)
                .unwrap_or(&[])
                .chunks(2)
                .map(|p| {
                    let name = render(&p[0]).to_ascii_uppercase();
                    let v = match name.as_str() {
                        "UIDVALIDITY" => "<uidvalidity>".into(),
                        "UIDNEXT" => "<uidnext>".into(),
                        "HIGHESTMODSEQ" => "<modseq>".into(),
                        "MAILBOXID" => "<objectid>".into(),
                        // Whether a message is still recent is up to the server, as
                        // for `\Recent` in FETCH (RFC 3501 §2.3.2).
                        "RECENT" => "<n>".into(),
                        _ => p.get(1).map(render).unwrap_or_default(),
                    };
                    format!("{name} {v}")
                })
                .collect();
            items.sort();
            format!("* STATUS {mb} ({})", items.join(" "))
        }
        _ => format!("* {}", render_all(&toks)),
    };
    seg.lines.push(line);
}

/// RFC 4731 ESEARCH: `[(TAG "x")] [UID] *(name SP value)`; the order of the returned
/// data items is not fixed, so they are sorted.
fn esearch(rest: &[Tok]) -> String {
    let mut head = vec!["* ESEARCH".to_string()];
    let mut i = 0;
    if rest.first().and_then(Tok::list).is_some() {
        head.push("(TAG <tag>)".into());
        i = 1;
    }
    if rest
        .get(i)
        .and_then(Tok::atom)
        .is_some_and(|a| a.eq_ignore_ascii_case(b"UID"))
    {
        head.push("UID".into());
        i += 1;
    }
    let mut pairs: Vec<String> = rest[i.min(rest.len())..]
        .chunks(2)
        .map(|p| {
            let name = render(&p[0]).to_ascii_uppercase();
            let v = match name.as_str() {
                "MODSEQ" => "<modseq>".to_string(),
                _ => p.get(1).map(render).unwrap_or_default(),
            };
            format!("{name} {v}")
        })
        .collect();
    pairs.sort();
    head.extend(pairs);
    head.join(" ")
}

fn status_kw(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"* ")?;
    let end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let kw = String::from_utf8_lossy(&rest[..end]).to_ascii_uppercase();
    matches!(kw.as_str(), "OK" | "NO" | "BAD" | "BYE" | "PREAUTH").then_some(kw)
}
