//! SEARCH results against the model (RFC 2060 §6.4.4), said in plain words, and SEARCH
//! by size (SMALLER, LARGER) judged against the sizes the server itself reports.

use imap_types::search::SearchKey;

use super::{rule, Oracle, Seen};
use crate::judge::cause::Cause;
use crate::judge::Kind;
use crate::model::response::{Reply, Untagged};

/// A SEARCH with SMALLER or LARGER whose result differs from the model's: judged when
/// the session ends, against every RFC822.SIZE the server gave for those messages.
#[derive(Clone, Debug)]
pub(in crate::judge) struct SizeSearch {
    step: Option<usize>,
    criteria: String,
    /// The top-level (ANDed) size keys: (LARGER, n) or (SMALLER, n).
    keys: Vec<(bool, u32)>,
    /// The criteria are one size key.
    single: bool,
    rule: &'static str,
    what: &'static str,
    /// Result numbers, with the message and its size as appended.
    missing: Vec<(u32, Option<u64>, Option<u32>)>,
    extra: Vec<(u32, Option<u64>, Option<u32>)>,
    summary: String,
    expected: String,
    observed: String,
}

/// The search criteria as the client wrote them: the command line after `SEARCH` (and
/// its CHARSET), without the line end.
pub(super) fn criteria_text(command: &[u8]) -> String {
    let line = crate::wire::strip_eol(command.split(|&b| b == b'\n').next().unwrap_or(command));
    let line = String::from_utf8_lossy(line).into_owned();
    let upper = line.to_ascii_uppercase();
    let Some(i) = upper.find("SEARCH ") else {
        return line;
    };
    let rest = &line[i + 7..];
    if rest.to_ascii_uppercase().starts_with("CHARSET ") {
        let after = &rest[8..];
        return after
            .split_once(' ')
            .map(|(_, r)| r.to_string())
            .unwrap_or_default();
    }
    rest.to_string()
}

/// ``SEARCH `<criteria>` returned what does not match (message 1 (flags: \Seen)); it did
/// not return what matches (message 2 (flags: todo))``. The criteria and the lists are
/// quoted and parenthesised, so that one wrong key gives one distinct finding whichever
/// messages showed it.
pub(super) fn plain_summary(
    criteria: &str,
    what: &str,
    missing: &[(u32, String)],
    extra: &[(u32, String)],
) -> String {
    let list = |v: &[(u32, String)]| {
        v.iter()
            .map(|(n, d)| {
                if d.is_empty() {
                    format!("{what} {n}")
                } else {
                    format!("{what} {n} ({d})")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!("returned what does not match ({})", list(extra)));
    }
    if !missing.is_empty() {
        parts.push(format!("did not return what matches ({})", list(missing)));
    }
    format!("SEARCH `{criteria}` {}", parts.join("; it "))
}

fn holds(key: (bool, u32), size: u32) -> bool {
    match key {
        (true, n) => size > n,
        (false, n) => size < n,
    }
}

impl Oracle {
    /// The model message a SEARCH result number names: a sequence number, or a UID.
    fn search_identity(&self, n: u32, uid: bool) -> Option<u64> {
        let sel = self.session.selection()?;
        if !uid {
            return sel.view.get((n as usize).checked_sub(1)?).copied();
        }
        let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
        mb.messages
            .iter()
            .find(|m| m.uid_known && m.uid == n && sel.view.contains(&m.id))
            .map(|m| m.id)
    }

    /// What the oracle knows of a message that a result got wrong: its flags, and for a
    /// search by size its size as appended and as the server reported it.
    fn describe(&self, id: Option<u64>, by_size: bool) -> String {
        let Some(id) = id else {
            return String::new();
        };
        let Some(m) = self.session.selection().and_then(|sel| {
            self.session
                .account(&self.store)?
                .get(&sel.mailbox)?
                .messages
                .iter()
                .find(|m| m.id == id)
                .cloned()
        }) else {
            return String::new();
        };
        let mut out = Vec::new();
        if m.flags_known {
            let names = m.flags.names();
            if names.is_empty() {
                out.push("no flags".to_string());
            } else {
                out.push(format!("flags: {}", names.join(" ")));
            }
        }
        if by_size {
            out.push(format!("appended with {} octets", m.message.size()));
            if let Some((s, _, _)) = self.own_size.get(&id).and_then(|v| v.last()) {
                out.push(format!("RFC822.SIZE {s}"));
            }
        }
        out.join("; ")
    }

    /// The size of message `id` as appended.
    fn appended_size(&self, id: u64) -> Option<u32> {
        let sel = self.session.selection()?;
        let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
        mb.messages
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.message.size())
    }

    /// Records an RFC822.SIZE (or the length of a whole message) the server gave for
    /// message `id`, with the step and the item as evidence.
    pub(super) fn learn_own_size(&mut self, id: u64, size: u32, step: Option<usize>, item: String) {
        let sizes = self.own_size.entry(id).or_default();
        if !sizes.iter().any(|(s, _, _)| *s == size) {
            sizes.push((size, step, item));
        }
    }

    /// RFC 2060 §6.4.4: the SEARCH response lists the messages that match the criteria.
    /// The model's result is three-valued (`search_maybe` may go either way).
    pub(super) fn check_search(
        &mut self,
        step: Option<usize>,
        criteria: &[SearchKey<'_>],
        uid: bool,
        command: &[u8],
        reply: &Reply,
        seen: &[Seen],
    ) {
        let result_rule = match criteria {
            [one] => crate::model::search::key_requirement(one),
            _ if uid => "2060-6.4.8-uid-search-returns-uids",
            _ => rule::SEARCH_RESULT,
        };
        let Some(Untagged::Search(yes)) = reply
            .untagged
            .iter()
            .find(|u| matches!(u, Untagged::Search(_)))
        else {
            return;
        };
        let list = |v: &[u32]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !seen.iter().any(|s| matches!(s, Seen::Search(_))) {
            self.find(
                step,
                rule::SEARCH_REQUIRED,
                "SEARCH completed without an untagged SEARCH response".into(),
                format!("* SEARCH {}", list(yes)),
                "no SEARCH response".into(),
            );
            return;
        }
        let server: Vec<u32> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Search(n) => Some(n.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let maybe = &self.session.latitude.search_maybe;
        let missing: Vec<u32> = yes
            .iter()
            .filter(|n| !server.contains(n))
            .copied()
            .collect();
        let extra: Vec<u32> = server
            .iter()
            .filter(|n| !yes.contains(n) && !maybe.contains(n))
            .copied()
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let keys: Vec<(bool, u32)> = criteria
            .iter()
            .filter_map(|k| match k {
                SearchKey::Larger(n) => Some((true, *n)),
                SearchKey::Smaller(n) => Some((false, *n)),
                _ => None,
            })
            .collect();
        let by_size = !keys.is_empty()
            || format!("{criteria:?}").contains("Larger")
            || format!("{criteria:?}").contains("Smaller");
        let what = if uid { "UID" } else { "message" };
        let text = criteria_text(command);
        let ids = |v: &[u32]| -> Vec<(u32, Option<u64>)> {
            v.iter()
                .map(|n| (*n, self.search_identity(*n, uid)))
                .collect()
        };
        let (missing_ids, extra_ids) = (ids(&missing), ids(&extra));
        // A \Seen the model holds only because a FETCH of a body section implies it (RFC
        // 2060 §6.4.5 "The \Seen flag is implicitly set"), and that a search by \Seen
        // then contradicts: the FETCH's fault, found where the server shows FLAGS, not the
        // SEARCH's (which agrees with the flags the server holds).
        let seen_key = crate::model::search::any_key(criteria, &|k| {
            matches!(
                k,
                SearchKey::Seen | SearchKey::Unseen | SearchKey::New | SearchKey::Old
            )
        });
        if seen_key
            && missing_ids
                .iter()
                .chain(&extra_ids)
                .any(|(_, id)| id.is_some_and(|id| self.implicit_seen.contains_key(&id)))
        {
            return;
        }
        let described = |v: &[(u32, Option<u64>)]| -> Vec<(u32, String)> {
            v.iter()
                .map(|(n, id)| (*n, self.describe(*id, by_size)))
                .collect()
        };
        // Every missing message matches only in a decoded text part: the server did not
        // decode before comparing.
        let decoded_only = &self.session.latitude.search_decoded_only;
        let undecoded = extra.is_empty() && missing.iter().all(|n| decoded_only.contains(n));
        let mut summary = plain_summary(
            &text,
            what,
            &described(&missing_ids),
            &described(&extra_ids),
        );
        if undecoded {
            summary.push_str(
                " (it matches in a base64 or quoted-printable text part, which a SEARCH with a \
                 CHARSET other than US-ASCII must decode)",
            );
        }
        let expected = if maybe.is_empty() {
            format!("* SEARCH {}", list(yes))
        } else {
            format!(
                "* SEARCH {} (and any of {}, which may go either way)",
                list(yes),
                list(maybe)
            )
        };
        let observed = format!("* SEARCH {}", list(&server));
        if by_size && !undecoded {
            // A server that stores other bytes than were appended counts other sizes:
            // judged against its own RFC822.SIZE when the session ends.
            let single = criteria.len() == 1 && keys.len() == 1;
            let sized = |v: &[(u32, Option<u64>)]| -> Vec<(u32, Option<u64>, Option<u32>)> {
                v.iter()
                    .map(|(n, id)| (*n, *id, id.and_then(|id| self.appended_size(id))))
                    .collect()
            };
            let (missing_ids, extra_ids) = (sized(&missing_ids), sized(&extra_ids));
            self.size_searches.push(SizeSearch {
                step,
                criteria: text,
                keys,
                single,
                rule: result_rule,
                what,
                missing: missing_ids,
                extra: extra_ids,
                summary,
                expected,
                observed,
            });
            return;
        }
        self.find(
            step,
            if undecoded {
                rule::DECODE_BEFORE_COMPARE
            } else {
                result_rule
            },
            summary,
            expected,
            observed,
        );
    }

    /// Judges the searches by size: a message returned although its own RFC822.SIZE
    /// fails a size key, or (for a search by one size key) not returned although its own
    /// size meets it, is a violation of the key's definition (RFC 2060 §6.4.4 "LARGER
    /// <n> Messages with an [RFC-822] size larger than the specified number of octets");
    /// a result that agrees with the sizes the server reports is no finding (the size
    /// itself is judged where it was fetched); one the session has no sizes for is a
    /// warning.
    pub(super) fn judge_size_searches(&mut self) {
        let searches = std::mem::take(&mut self.size_searches);
        // A server whose SEARCH contradicts its own RFC822.SIZE somewhere in the session
        // sizes messages otherwise when it searches: a message it left out of a search of
        // several keys may have failed a size key by that other size, so which key
        // decided is not known there.
        let sizes_otherwise = searches.iter().any(|s| {
            let own = |id: &Option<u64>| id.and_then(|id| self.own_size.get(&id));
            s.extra.iter().any(|(_, id, _)| {
                own(id).is_some_and(|sizes| {
                    !sizes.is_empty()
                        && s.keys
                            .iter()
                            .any(|k| sizes.iter().all(|(size, _, _)| !holds(*k, *size)))
                })
            }) || (s.single
                && s.missing.iter().any(|(_, id, _)| {
                    own(id).is_some_and(|sizes| {
                        !sizes.is_empty()
                            && sizes
                                .iter()
                                .all(|(z, _, _)| s.keys.iter().all(|k| holds(*k, *z)))
                    })
                }))
        });
        for s in searches {
            let own = |id: &Option<u64>| {
                id.and_then(|id| self.own_size.get(&id).cloned())
                    .filter(|v| !v.is_empty())
            };
            let mut contradicted: Vec<String> = Vec::new();
            let mut evidence: Vec<String> = Vec::new();
            // Messages whose own size meets every size key: a key other than size decides,
            // and the model's reading of it stands.
            let mut regular: Vec<String> = Vec::new();
            let mut unknown = false;
            let meets_all = |size: u32| s.keys.iter().all(|k| holds(*k, size));
            // Judged only where every size the server gave for the message agrees.
            for (n, id, appended) in &s.extra {
                match own(id) {
                    Some(sizes) => {
                        let failed = s
                            .keys
                            .iter()
                            .find(|k| sizes.iter().all(|(size, _, _)| !holds(**k, *size)));
                        let (size, at, item) = &sizes[0];
                        if let Some(k) = failed {
                            contradicted.push(format!(
                                "returned {} {n}, whose RFC822.SIZE the server itself gives as \
                                 {size}, not {} than {}",
                                s.what,
                                if k.0 { "larger" } else { "smaller" },
                                k.1
                            ));
                            evidence.push(step_item(*at, item));
                        } else if sizes.iter().all(|(z, _, _)| meets_all(*z))
                            && appended.is_some_and(meets_all)
                        {
                            regular.push(format!(
                                "returned {} {n}, which does not match (its size, {size}, \
                                 meets the size keys: another key decides)",
                                s.what
                            ));
                            evidence.push(step_item(*at, item));
                        }
                    }
                    None => unknown = true,
                }
            }
            for (n, id, _) in &s.missing {
                match own(id) {
                    Some(sizes) => {
                        let meets = sizes.iter().all(|(z, _, _)| meets_all(*z));
                        let (size, at, item) = &sizes[0];
                        if meets && s.single {
                            contradicted.push(format!(
                                "did not return {} {n}, whose RFC822.SIZE the server itself \
                                 gives as {size}",
                                s.what
                            ));
                            evidence.push(step_item(*at, item));
                        } else if meets && !sizes_otherwise {
                            regular.push(format!(
                                "did not return {} {n}, which matches (its size, {size}, meets \
                                 the size keys: another key decides)",
                                s.what
                            ));
                            evidence.push(step_item(*at, item));
                        }
                    }
                    None => unknown = true,
                }
            }
            if contradicted.is_empty() && !regular.is_empty() {
                self.find(
                    s.step,
                    s.rule,
                    format!("SEARCH {} {}", s.criteria, regular.join("; it ")),
                    s.expected.clone(),
                    format!("{}\n{}", s.observed, evidence.join("\n")),
                );
                continue;
            }
            if !contradicted.is_empty() {
                let rule = if s.single {
                    s.rule
                } else if s.keys.iter().all(|k| k.0) {
                    "2060-6.4.4-key-larger"
                } else if s.keys.iter().all(|k| !k.0) {
                    "2060-6.4.4-key-smaller"
                } else {
                    s.rule
                };
                let before = self.verdicts.len();
                self.find(
                    s.step,
                    rule,
                    format!("SEARCH {} {}", s.criteria, contradicted.join("; it ")),
                    s.expected.clone(),
                    format!("{}\n{}", s.observed, evidence.join("\n")),
                );
                if let Some(v) = self.verdicts.get_mut(before) {
                    v.cause = Some(Cause::ContradictsOwnSize);
                }
                continue;
            }
            if !unknown {
                continue;
            }
            let before = self.verdicts.len();
            self.find(
                s.step,
                s.rule,
                format!(
                    "{} (by size: the server did not report these messages' RFC822.SIZE, and \
                     it may store them with other bytes than were appended)",
                    s.summary
                ),
                s.expected,
                s.observed,
            );
            if let Some(v) = self.verdicts.get_mut(before) {
                v.kind = Kind::Warning;
            }
        }
    }
}

/// `RFC822.SIZE 316 (step 3)`: an item the server sent, as evidence.
fn step_item(at: Option<usize>, item: &str) -> String {
    match at {
        Some(s) => format!("{item} (step {})", s + 1),
        None => item.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_search_result_is_said_in_plain_words_rfc2060_6_4_4() {
        assert_eq!(
            plain_summary(
                "KEYWORD todo",
                "message",
                &[],
                &[(1, "flags: \\Seen".into())]
            ),
            "SEARCH `KEYWORD todo` returned what does not match (message 1 (flags: \\Seen))"
        );
        assert_eq!(
            plain_summary("UNSEEN", "UID", &[(4, String::new()), (5, String::new())], &[(2, String::new())]),
            "SEARCH `UNSEEN` returned what does not match (UID 2); it did not return what matches (UID 4, UID 5)"
        );
        assert_eq!(
            criteria_text(b"a4 UID SEARCH CHARSET us-ascii LARGER 314\r\n"),
            "LARGER 314"
        );
        assert_eq!(criteria_text(b"a9 SEARCH KEYWORD todo\r\n"), "KEYWORD todo");
    }

    #[test]
    fn one_wrong_key_is_one_summary_shape_whichever_messages_show_it() {
        // Distinct findings leave out backquoted text and parenthesised asides: what is
        // left must not depend on the key's argument or on which messages showed it.
        let one = plain_summary("KEYWORD todo", "message", &[], &[(1, "no flags".into())]);
        let two = plain_summary(
            "KEYWORD $label1",
            "message",
            &[],
            &[(1, "no flags".into()), (2, "flags: \\Seen".into())],
        );
        let outside = |s: &str| {
            let after = s.rsplit('`').next().unwrap().to_string();
            after[..after.find('(').unwrap()].to_string()
        };
        assert_eq!(outside(&one), " returned what does not match ");
        assert_eq!(outside(&one), outside(&two));
    }

    #[test]
    fn a_size_key_holds_only_strictly_rfc2060_6_4_4() {
        assert!(holds((true, 314), 316));
        assert!(!holds((true, 316), 316));
        assert!(holds((false, 1162), 1161));
        assert!(!holds((false, 1154), 1161));
    }
}
