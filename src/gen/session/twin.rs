//! Twin questions: two or three consecutive commands that change nothing and ask one
//! question two ways, so that the server's answers can be held to each other (the
//! metamorphic judge, `judge::metamorphic`) where no model is needed.
//!
//! - `FETCH n (FLAGS UID)` then `UID FETCH 1:* (FLAGS)`: RFC 2060 §6.4.8, a UID names the
//!   same message as its sequence number.
//! - `SEARCH k`, `UID SEARCH k`, `FETCH 1:* (UID)`: the UID map maps one answer onto the
//!   other (§6.4.8: "The interpretation of the arguments is the same as with SEARCH").
//! - `SEARCH k`, `SEARCH NOT k`, `SEARCH ALL` (or all three as UID SEARCH): §6.4.4 NOT.
//! - `FETCH n BODY.PEEK[]` then `FETCH n (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)`:
//!   §6.4.5 sections and §2.3.4 size.
//! - `STATUS m (MESSAGES ...)` then `EXAMINE m`: §6.3.10 MESSAGES and §7.3.1 EXISTS.
//! - One SEARCH, STATUS or LIST argument sent quoted, then as a literal (§4.3).
//!
//! The generator's own model need not know the server's UIDs: every UID relation goes
//! through a UID map the server itself reports.

use std::collections::VecDeque;

use arbitrary::Unstructured;

use super::{body_search_word, Planned, Session};
use crate::gen::entropy::{chance, index, int};
use crate::gen::kind::Kind;
use crate::gen::syntax::{is_quotable, CommandText};
use crate::gen::Command;
use crate::wire::Fragment;

/// A twin command waiting for its turn: its kind, its text without the tag, and, for an
/// EXAMINE, the mailbox it selects.
#[derive(Clone, Debug)]
pub struct Pending {
    kind: Kind,
    pieces: Vec<Fragment>,
    examines: Option<String>,
    /// It carries the drawn search key, and so any deliberate mistake in it.
    keyed: bool,
}

/// The twin commands still to send.
pub type Queue = VecDeque<Pending>;

fn text(kind: Kind, s: &str) -> Pending {
    let mut c = CommandText::bare();
    c.raw(s);
    Pending {
        kind,
        pieces: c.into_pieces(),
        examines: None,
        keyed: false,
    }
}

/// `prefix`, then `key` (pieces, possibly with literals), then `suffix`.
fn around(kind: Kind, prefix: &str, key: &[Fragment], suffix: &str) -> Pending {
    let mut c = CommandText::bare();
    c.raw(prefix).append(key).raw(suffix);
    Pending {
        kind,
        pieces: c.into_pieces(),
        examines: None,
        keyed: false,
    }
}

/// A command that carries the drawn search key.
fn keyed(p: Pending) -> Pending {
    Pending { keyed: true, ..p }
}

/// `text` quoted, or as a literal.
fn string(text: &str, literal: bool) -> Vec<Fragment> {
    let mut c = CommandText::bare();
    if literal {
        c.literal(text.as_bytes());
    } else {
        c.quoted(text);
    }
    c.into_pieces()
}

impl Session<'_> {
    /// Draws a twin question that fits the believed state, queues its commands and returns
    /// the first of them.
    pub fn twin(&mut self, u: &mut Unstructured) -> Planned {
        let messages = self
            .model
            .selected_mailbox()
            .map_or(0, |m| m.messages.len() as u32);
        self.deliberate = None;
        // The forms whose commands the mix allows and that fit the state.
        const KINDS: [&[Kind]; 8] = [
            &[Kind::Fetch, Kind::UidFetch],
            &[Kind::Search, Kind::UidSearch, Kind::Fetch],
            &[Kind::Search],
            &[Kind::Fetch],
            &[Kind::Search],
            &[Kind::Status, Kind::Examine],
            &[Kind::Status],
            &[Kind::List],
        ];
        let forms: Vec<u32> = (0..8u32)
            .filter(|&f| messages > 0 || f >= 5)
            .filter(|&f| KINDS[f as usize].iter().all(|&k| self.cfg.mix.allows(k)))
            .collect();
        if forms.is_empty() {
            return self.command(u, Kind::Noop);
        }
        let form = forms[index(u, forms.len())];
        let seq = if messages > 0 { int(u, 1, messages) } else { 1 };
        let queue: Vec<Pending> = match form {
            0 => vec![
                text(
                    Kind::Fetch,
                    &if chance(u, 1, 2) {
                        format!("FETCH {seq} (FLAGS UID)")
                    } else {
                        "FETCH 1:* (FLAGS UID)".to_string()
                    },
                ),
                text(Kind::UidFetch, "UID FETCH 1:* (FLAGS)"),
            ],
            1 => {
                let key = self.one_key(u);
                vec![
                    keyed(around(Kind::Search, "SEARCH ", &key, "")),
                    keyed(around(Kind::UidSearch, "UID SEARCH ", &key, "")),
                    text(Kind::Fetch, "FETCH 1:* (UID)"),
                ]
            }
            2 => {
                let key = self.one_key(u);
                let (kind, verb) = if chance(u, 1, 3) && self.cfg.mix.allows(Kind::UidSearch) {
                    (Kind::UidSearch, "UID SEARCH")
                } else {
                    (Kind::Search, "SEARCH")
                };
                vec![
                    keyed(around(kind, &format!("{verb} "), &key, "")),
                    keyed(around(kind, &format!("{verb} NOT "), &key, "")),
                    text(kind, &format!("{verb} ALL")),
                ]
            }
            3 => vec![
                text(Kind::Fetch, &format!("FETCH {seq} BODY.PEEK[]")),
                text(
                    Kind::Fetch,
                    &format!("FETCH {seq} (BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)"),
                ),
            ],
            4 => {
                let word = self
                    .some_fact(u)
                    .map(|f| body_search_word(u, &f, false).to_string())
                    .filter(|w| is_quotable(w) && !w.is_empty())
                    .unwrap_or_else(|| "nomatch".into());
                let key = if chance(u, 1, 2) { "BODY" } else { "TEXT" };
                vec![
                    around(
                        Kind::Search,
                        &format!("SEARCH {key} "),
                        &string(&word, false),
                        "",
                    ),
                    around(
                        Kind::Search,
                        &format!("SEARCH {key} "),
                        &string(&word, true),
                        "",
                    ),
                ]
            }
            5 => {
                let name = self.twin_mailbox(u);
                let mut examine = around(Kind::Examine, "EXAMINE ", &string(&name, false), "");
                examine.examines = Some(name.clone());
                vec![
                    around(
                        Kind::Status,
                        "STATUS ",
                        &string(&name, false),
                        " (MESSAGES UIDNEXT UIDVALIDITY)",
                    ),
                    examine,
                ]
            }
            6 => {
                let name = self.twin_mailbox(u);
                let literal_first = chance(u, 1, 2);
                let items = " (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)";
                vec![
                    around(
                        Kind::Status,
                        "STATUS ",
                        &string(&name, literal_first),
                        items,
                    ),
                    around(
                        Kind::Status,
                        "STATUS ",
                        &string(&name, !literal_first),
                        items,
                    ),
                ]
            }
            _ => {
                let prefix = self.cfg.mailbox_prefix.clone();
                let pattern = if chance(u, 1, 2) {
                    format!("{prefix}*")
                } else {
                    self.twin_mailbox(u)
                };
                let literal_first = chance(u, 1, 2);
                vec![
                    around(
                        Kind::List,
                        "LIST \"\" ",
                        &string(&pattern, literal_first),
                        "",
                    ),
                    around(
                        Kind::List,
                        "LIST \"\" ",
                        &string(&pattern, !literal_first),
                        "",
                    ),
                ]
            }
        };
        self.twins.extend(queue);
        self.next_twin().expect("a twin has at least one command")
    }

    /// One search key, written apart so that it can be sent in several commands.
    fn one_key(&mut self, u: &mut Unstructured) -> Vec<Fragment> {
        let mut c = CommandText::bare();
        self.search_decodes = false;
        self.search_key(u, &mut c, 0);
        c.into_pieces()
    }

    /// An existing mailbox, other than the selected one where there is one.
    fn twin_mailbox(&mut self, u: &mut Unstructured) -> String {
        let others: Vec<String> = self
            .model
            .mailboxes
            .iter()
            .map(|m| m.name.clone())
            .filter(|n| !self.model.is_selected(n) && is_quotable(n))
            .collect();
        if others.is_empty() {
            return crate::gen::model::INBOX.to_string();
        }
        others[index(u, others.len())].clone()
    }

    /// The next queued twin command, tagged now.
    pub fn next_twin(&mut self) -> Option<Planned> {
        let p = self.twins.pop_front()?;
        let (tag, believed_selected, believed_messages) = self.begin();
        let mut c = CommandText::new(&tag);
        c.append(&p.pieces);
        if let Some(name) = &p.examines {
            self.model.select(name, true);
        }
        let deliberate = self.deliberate.filter(|_| p.keyed);
        Some(Planned {
            kind: p.kind,
            command: Command {
                name: p.kind.name().into(),
                message: c.finish(),
                mutation: None,
            },
            intent: deliberate.map_or(super::Intent::Valid, super::Intent::Deliberate),
            believed_selected,
            believed_messages,
            ran_dry: false,
        })
    }

    /// Drops the twin commands not sent yet (the session ends first).
    pub fn drop_twins(&mut self) {
        self.twins.clear();
    }
}
