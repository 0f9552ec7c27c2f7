//! The FETCH writer: RFC 2060 §6.4.5 FETCH with its fetch_att items (§9), `BODY[section]`
//! part numbers that mostly exist in the message (and sometimes not), and partial
//! requests with the name their answer carries (§7.4.2).

use arbitrary::Unstructured;

use super::{Session, HEADER_FIELDS};
use crate::gen::entropy::{chance, int, pick};
use crate::gen::message::{render_path, MessageFacts, PartKind};
use crate::gen::syntax::CommandText;

impl<'c> Session<'c> {
    /// RFC 2060 §6.4.5 FETCH `set SP ("ALL" / "FULL" / "FAST" / fetch_att /
    /// "(" 1#fetch_att ")")`.
    pub(super) fn fetch(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        let set = self.draw_set(u, uid);
        // Sections are drawn from one message's real parts (RFC 2060 §6.4.5).
        let fact = self.some_fact(u);
        let fact = fact.as_ref();
        Self::uid_prefix(c, uid);
        c.raw("FETCH ").raw(&set.render()).space();
        match int(u, 0, 9) {
            0 => {
                c.raw(pick::<&str>(u, &["ALL", "FAST", "FULL"]));
            }
            1..=3 => {
                c.raw(&draw_fetch_att(u, fact));
            }
            _ => {
                let mut atts: Vec<String> = Vec::new();
                for _ in 0..int(u, 1, 4) {
                    let att = draw_fetch_att(u, fact);
                    // RFC 2060 §7.4.2 names a partial answer `BODY[section]<origin>`
                    // without its length, so two partial fetches of one section from
                    // one origin with different lengths could not be told apart.
                    let clash = atts.iter().any(|a| {
                        a != &att
                            && partial_answer_name(a).is_some()
                            && partial_answer_name(a) == partial_answer_name(&att)
                    });
                    if !clash {
                        atts.push(att);
                    }
                }
                c.raw("(").raw(&atts.join(" ")).raw(")");
            }
        }
    }
}

/// One RFC 2060 §9 fetch_att; `BODY[section]` part numbers come mostly from `fact`.
fn draw_fetch_att(u: &mut Unstructured, fact: Option<&MessageFacts>) -> String {
    const SIMPLE: &[&str] = &[
        "FLAGS",
        "UID",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.TEXT",
    ];
    if chance(u, 3, 5) {
        return pick(u, SIMPLE).to_string();
    }
    let verb = if chance(u, 1, 2) { "BODY.PEEK" } else { "BODY" };
    let mut att = format!("{verb}[{}]", draw_section(u, fact));
    if chance(u, 1, 4) {
        let start = *pick(u, &[0u32, 0, 1, 5, 100]);
        let len = *pick(u, &[10u32, 1, 100, 4096]);
        att.push_str(&format!("<{start}.{len}>"));
    }
    att
}

/// The name a FETCH answer gives a partial `BODY[section]<origin.length>` request:
/// `BODY[section]<origin>` (RFC 2060 §7.4.2; `.PEEK` is not echoed); None for other
/// items.
fn partial_answer_name(att: &str) -> Option<String> {
    let (name, partial) = att.strip_suffix('>')?.split_once("]<")?;
    let origin = partial.split('.').next()?;
    Some(format!(
        "{}]<{origin}>",
        name.replace("BODY.PEEK[", "BODY[")
    ))
}

/// RFC 2060 §9 `section_text ::= "HEADER" / "HEADER.FIELDS" [".NOT"] SPACE header_list /
/// "TEXT"` (MIME is only allowed after a part number, so it is not drawn here).
fn draw_section_text(u: &mut Unstructured) -> String {
    match int(u, 0, 3) {
        0 => "HEADER".into(),
        1 => "TEXT".into(),
        n => {
            let not = if n == 3 { ".NOT" } else { "" };
            let count = int(u, 1, 3);
            let mut names: Vec<&str> = Vec::new();
            for _ in 0..count {
                let name = *pick(u, HEADER_FIELDS);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            // RFC 2060 §9 header_fld_name ::= astring: sometimes quoted.
            let names: Vec<String> = names
                .iter()
                .map(|n| {
                    if chance(u, 1, 10) {
                        format!("\"{n}\"")
                    } else {
                        n.to_string()
                    }
                })
                .collect();
            format!("HEADER.FIELDS{not} ({})", names.join(" "))
        }
    }
}

/// RFC 2060 §9 `section ::= "[" [section_text / (nz_number *["." nz_number]
/// ["." (section_text / "MIME")])] "]"`, without the brackets. Part numbers mostly name
/// a part of `fact` that exists, with `.MIME` only on a body part of a multipart and
/// HEADER/TEXT only on a message/rfc822 part (RFC 2060 §6.4.5); about one in six names a
/// part that does not exist. Without facts the part numbers are blind.
pub(super) fn draw_section(u: &mut Unstructured, fact: Option<&MessageFacts>) -> String {
    match int(u, 0, 5) {
        0 => return String::new(),
        1 | 2 => return draw_section_text(u),
        _ => {}
    }
    let Some(f) = fact.filter(|f| !f.parts.is_empty()) else {
        return blind_part_section(u);
    };
    if chance(u, 1, 6) {
        return missing_part(u, f);
    }
    let part = pick(u, &f.parts);
    let mut section = part.render();
    match part.kind {
        PartKind::Message => match int(u, 0, 4) {
            0 => {}
            1 if part.has_mime_header => section.push_str(".MIME"),
            _ => {
                section.push('.');
                section.push_str(&draw_section_text(u));
            }
        },
        _ if part.has_mime_header && chance(u, 1, 4) => section.push_str(".MIME"),
        _ => {}
    }
    section
}

/// A part number that `f` does not have: one past the last top-level part, or one past
/// the last child of some part (a leaf has none).
fn missing_part(u: &mut Unstructured, f: &MessageFacts) -> String {
    let path = if chance(u, 1, 2) {
        let top = f.parts.iter().filter(|p| p.path.len() == 1).count() as u32;
        vec![top + int(u, 1, 2)]
    } else {
        let parent = &pick(u, &f.parts).path;
        let children = f
            .parts
            .iter()
            .filter(|p| p.path.len() == parent.len() + 1 && p.path.starts_with(parent))
            .count() as u32;
        let mut path = parent.clone();
        path.push(children + 1);
        path
    };
    debug_assert!(f.parts.iter().all(|p| p.path != path));
    render_path(&path)
}

/// Part numbers drawn without knowing the message.
fn blind_part_section(u: &mut Unstructured) -> String {
    let mut part = int(u, 1, 3).to_string();
    if chance(u, 1, 8) {
        part.push_str(&format!(".{}", int(u, 1, 2)));
    }
    match int(u, 0, 3) {
        0 => part.push_str(".MIME"),
        1 => part = format!("{part}.{}", draw_section_text(u)),
        _ => {}
    }
    part
}
