//! The SEARCH writer: RFC 2060 §6.4.4 SEARCH with an optional CHARSET and RFC 2060 §9
//! search keys (nested NOT, OR and lists), whose strings and dates come mostly from the
//! facts of messages the session appended, so that keys can match.

use arbitrary::Unstructured;

use super::{Deliberate, Session, HEADER_FIELDS, KEYWORDS};
use crate::gen::entropy::{chance, index, int, pick, weighted};
use crate::gen::message::{MessageFacts, Moment};
use crate::gen::syntax::CommandText;

impl<'c> Session<'c> {
    /// RFC 2060 §6.4.4 SEARCH `["CHARSET" SP astring SP] 1#search_key`.
    pub(super) fn search(&mut self, u: &mut Unstructured, c: &mut CommandText, uid: bool) {
        Self::uid_prefix(c, uid);
        c.raw("SEARCH");
        self.search_decodes = false;
        if chance(u, 1, 8) {
            let charset = *pick(u, &["US-ASCII", "UTF-8", "us-ascii", "X-UNKNOWN-8"]);
            if charset == "X-UNKNOWN-8" {
                self.mark(Deliberate::UnknownCharset);
            }
            c.raw(" CHARSET ").raw(charset);
            self.search_decodes = charset == "UTF-8";
        }
        let keys = if chance(u, 1, 3) { int(u, 2, 3) } else { 1 };
        for _ in 0..keys {
            c.space();
            self.search_key(u, c, 0);
        }
    }

    /// One RFC 2060 §9 search_key; `depth` bounds NOT/OR/parenthesis nesting.
    pub(super) fn search_key(&mut self, u: &mut Unstructured, c: &mut CommandText, depth: u32) {
        #[derive(Clone, Copy)]
        enum Key {
            Flag,
            Address,
            Text,
            Header,
            Keyword,
            Size,
            Date,
            Uid,
            Sequence,
            Not,
            Or,
            List,
        }
        let nest = if depth < 2 { 2 } else { 0 };
        let key = weighted(
            u,
            &[
                (Key::Flag, 6),
                (Key::Address, 4),
                (Key::Text, 5),
                (Key::Header, 2),
                (Key::Keyword, 2),
                (Key::Size, 2),
                (Key::Date, 4),
                (Key::Uid, 2),
                (Key::Sequence, 2),
                (Key::Not, nest),
                (Key::Or, nest),
                (Key::List, nest / 2),
            ],
        );
        let fact = self.some_fact(u);
        match key {
            Key::Flag => {
                c.raw(pick::<&str>(
                    u,
                    &[
                        "ALL",
                        "ANSWERED",
                        "DELETED",
                        "DRAFT",
                        "FLAGGED",
                        "NEW",
                        "OLD",
                        "RECENT",
                        "SEEN",
                        "UNANSWERED",
                        "UNDELETED",
                        "UNDRAFT",
                        "UNFLAGGED",
                        "UNSEEN",
                    ],
                ));
            }
            Key::Address => {
                let field = *pick(u, &["FROM", "TO", "CC", "BCC"]);
                let value = match (&fact, field) {
                    (
                        Some(MessageFacts {
                            from: Some(from), ..
                        }),
                        "FROM",
                    ) => address_part(u, from),
                    (Some(f), "TO") => address_part(u, f.to),
                    (Some(f), "CC") => address_part(u, f.cc.unwrap_or(f.to)),
                    _ => pick(u, &["nobody@example.invalid", "alice", "example"]).to_string(),
                };
                c.raw(field).space().astring(u, &value);
            }
            Key::Text => {
                let field = *pick(u, &["SUBJECT", "BODY", "TEXT"]);
                let value = match &fact {
                    Some(f) if !chance(u, 1, 6) => match field {
                        "SUBJECT" if f.subject.is_empty() => String::new(),
                        "SUBJECT" if chance(u, 1, 2) => f.subject.clone(),
                        "SUBJECT" => f.subject.split(' ').next().unwrap_or("").to_string(),
                        _ => body_search_word(u, f, self.search_decodes),
                    },
                    _ => pick(u, &["nomatch", "no such phrase", "", "Budget"]).to_string(),
                };
                c.raw(field).space().astring(u, &value);
            }
            Key::Header => {
                let name = *pick(u, HEADER_FIELDS);
                let value = match (&fact, name) {
                    (Some(f), "Subject") => f.subject.clone(),
                    (Some(f), "From") => f.from.unwrap_or("nobody").to_string(),
                    (Some(f), "To") => f.to.to_string(),
                    (_, "Message-ID") => "imapconform".to_string(),
                    _ => pick(u, &["", "example", "1"]).to_string(),
                };
                c.raw("HEADER ").astring(u, name).space().astring(u, &value);
            }
            Key::Keyword => {
                let verb = *pick(u, &["KEYWORD", "UNKEYWORD"]);
                c.raw(verb).space().raw(pick::<&str>(u, KEYWORDS));
            }
            Key::Size => {
                let verb = *pick(u, &["LARGER", "SMALLER"]);
                let size = match &fact {
                    Some(f) if chance(u, 3, 4) => (f.size as u32)
                        .saturating_add(int(u, 0, 20))
                        .saturating_sub(10),
                    _ => int(u, 0, 5000),
                };
                c.raw(verb).space().raw(&size.to_string());
            }
            Key::Date => {
                let verb = *pick(
                    u,
                    &["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"],
                );
                // BEFORE/ON/SINCE look at the internal date, the SENT keys at Date:.
                let known = match &fact {
                    // No Date field: the SENT keys are up to the server, so no date
                    // is drawn from it.
                    Some(f) if verb.starts_with("SENT") => f.sent,
                    Some(f) => f.internal,
                    None => None,
                };
                let date = match known {
                    Some(d) if chance(u, 2, 3) => d,
                    _ => Moment::draw(u),
                };
                c.raw(verb).space();
                if chance(u, 1, 3) {
                    c.quoted(&date.search_date());
                } else {
                    c.raw(&date.search_date());
                }
            }
            Key::Uid => {
                let set = self.draw_set(u, true);
                c.raw("UID ").raw(&set.render());
            }
            Key::Sequence => {
                let set = self.draw_set(u, false);
                c.raw(&set.render());
            }
            Key::Not => {
                c.raw("NOT ");
                self.search_key(u, c, depth + 1);
            }
            Key::Or => {
                c.raw("OR ");
                self.search_key(u, c, depth + 1);
                c.space();
                self.search_key(u, c, depth + 1);
            }
            Key::List => {
                c.raw("(");
                self.search_key(u, c, depth + 1);
                for _ in 0..int(u, 0, 2) {
                    c.space();
                    self.search_key(u, c, depth + 1);
                }
                c.raw(")");
            }
        }
    }

    /// Facts of a message the session appended, mostly one in the selected mailbox.
    pub(super) fn some_fact(&self, u: &mut Unstructured) -> Option<MessageFacts> {
        if let Some(m) = self.model.selected_mailbox() {
            if !m.messages.is_empty() && !chance(u, 1, 5) {
                let fact = m.messages[index(u, m.messages.len())].fact;
                return Some(self.model.facts[fact].clone());
            }
        }
        (!self.model.facts.is_empty())
            .then(|| self.model.facts[index(u, self.model.facts.len())].clone())
    }
}

/// A BODY or TEXT search string from a message: a word written unencoded in a text
/// part, or, when the SEARCH's CHARSET requires decoding, sometimes a word only found in
/// a base64 or quoted-printable part. A message without words gives one that matches
/// nothing.
pub(super) fn body_search_word(u: &mut Unstructured, f: &MessageFacts, decodes: bool) -> String {
    if decodes && !f.encoded_words.is_empty() && chance(u, 1, 2) {
        return pick(u, &f.encoded_words).to_string();
    }
    if f.body_words.is_empty() {
        return "nomatch".into();
    }
    pick(u, &f.body_words).to_string()
}

/// A search string taken from an address: the whole address or the part before `@`.
fn address_part(u: &mut Unstructured, address: &str) -> String {
    if chance(u, 1, 3) {
        address.split('@').next().unwrap_or(address).to_string()
    } else {
        address.to_string()
    }
}
