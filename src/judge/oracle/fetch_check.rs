//! FETCH data against the model's message (RFC 2060 §6.4.5, §7.4.2).

use super::*;

impl Oracle {
    /// FETCH and STORE data against the model's.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_fetch(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        reply: &Reply,
        seen: &[Seen],
        uid: bool,
        wants_flags: bool,
        fetch: bool,
    ) {
        let mut server: BTreeMap<u32, Vec<(String, Tok)>> = BTreeMap::new();
        for s in seen {
            if let Seen::Fetch(n, items) = s {
                server.entry(*n).or_default().extend(items.iter().cloned());
            }
        }
        let Some(sel) = self.session.selection().cloned() else {
            return;
        };
        // Data for messages the command did not name: only flag updates may come
        // unasked (RFC 2060 §7.4.2: "as well as by unilateral server decision (e.g. flag
        // updates)"). For a UID command this is a non-existent UID the server did not ignore.
        if fetch {
            let asked: Vec<u32> = reply
                .untagged
                .iter()
                .filter_map(|u| match u {
                    Untagged::Fetch(n, _) => Some(*n),
                    _ => None,
                })
                .collect();
            for (seq, items) in &server {
                if asked.contains(seq) {
                    continue;
                }
                let data: Vec<&str> = items
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| *n != "FLAGS" && *n != "UID")
                    .collect();
                if !data.is_empty() {
                    self.find(
                        step,
                        if uid { self.uid_set_rule() } else { rule::FETCH_DATA },
                        format!("FETCH data ({}) for message {seq}, which the command did not name", data.join(" ")),
                        "no FETCH data for messages outside the set (non-existent UIDs are ignored)".into(),
                        // The server's data as it sent them (literals written quoted).
                        format!(
                            "* {seq} FETCH ({})",
                            items
                                .iter()
                                .map(|(n, t)| format!("{n} {}", render(t)))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    // What the server did to the messages it fetched unasked is its own
                    // state, from which later answers are judged: the flags it showed, or,
                    // where it showed none, flags a body fetch may have set (\Seen).
                    let unasked: Vec<(u32, Option<FlagSet>)> = server
                        .iter()
                        .filter(|(n, _)| !asked.contains(n))
                        .map(|(n, items)| {
                            let flags = items
                                .iter()
                                .find(|(name, _)| name == "FLAGS")
                                .and_then(|(_, t)| flags_of(t));
                            (*n, flags)
                        })
                        .collect();
                    self.adopt_flags(&sel, &unasked);
                    return;
                }
            }
        }
        for u in &reply.untagged {
            let Untagged::Fetch(seq, _) = u else { continue };
            let mut bytes = Vec::new();
            u.write(&mut bytes);
            let Some((_, model_items)) = fetch_items(&bytes) else {
                continue;
            };
            let Some(id) = sel.view.get(*seq as usize - 1).copied() else {
                continue;
            };
            if fetch && self.session.latitude.seen_in_flight {
                self.implicit_seen.insert(id, step);
            }
            let got = server.get(seq).cloned().unwrap_or_default();
            if uid && !got.iter().any(|(n, _)| n == "UID") && !got.is_empty() {
                self.find(
                    step,
                    rule::UID_IN_UID_FETCH,
                    format!("FETCH response for message {seq} of a UID command has no UID item"),
                    "UID n among the FETCH items".into(),
                    got.iter()
                        .map(|(n, _)| n.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            // Learn the UID first: everything else may need it.
            if let Some((_, t)) = got.iter().find(|(n, _)| n == "UID") {
                if let Some(u) = t
                    .atom()
                    .and_then(|a| std::str::from_utf8(a).ok())
                    .and_then(|s| s.parse::<u32>().ok())
                {
                    if !self.learn_uid(step, &sel.mailbox, id, u) {
                        return;
                    }
                }
            }
            let Some(msg) = self
                .session
                .account(&self.store)
                .and_then(|a| a.get(&sel.mailbox))
                .and_then(|mb| mb.messages.iter().find(|m| m.id == id))
                .cloned()
            else {
                continue;
            };
            let clean = is_clean(msg.message.raw());
            let free: Vec<String> = self
                .session
                .latitude
                .free_items
                .iter()
                .filter(|(n, _)| n == seq)
                .map(|(_, name)| normalize_item_name(&name.to_ascii_uppercase()))
                .collect();
            // Message data that differ, explained together once every item is compared.
            let mut differing: Vec<explain::Differing> = Vec::new();
            for (name, want) in &model_items {
                if free.contains(name) {
                    continue;
                }
                let have = got.iter().find(|(n, _)| n == name).map(|(_, t)| t);
                let Some(have) = have else {
                    let required =
                        fetch && (name != "FLAGS" || wants_flags) && (name != "UID" || !uid);
                    if required {
                        self.find(
                            step,
                            rule::FETCH_DATA,
                            format!("FETCH response for message {seq} lacks {name}"),
                            format!("{name} {}", render(want)),
                            got.iter()
                                .map(|(n, _)| n.clone())
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                    continue;
                };
                let (ok, id_rule) = match name.as_str() {
                    "FLAGS" => {
                        if !msg.flags_known {
                            continue;
                        }
                        let a = flags_of(want).map(|f| f.without_recent());
                        let b = flags_of(have).map(|f| f.without_recent());
                        // The \Seen this FETCH sets may or may not show in its own FLAGS.
                        let before_seen = self.session.latitude.seen_in_flight
                            && a.as_ref().map(|f| {
                                let mut f = f.clone();
                                f.remove("\\Seen");
                                f
                            }) == b;
                        let lacks_seen = a.as_ref().is_some_and(|f| f.contains("\\Seen"))
                            && b.as_ref().is_some_and(|f| !f.contains("\\Seen"));
                        let gained_seen = b.as_ref().is_some_and(|f| f.contains("\\Seen"))
                            && a.as_ref().is_some_and(|f| !f.contains("\\Seen"));
                        let why = if gained_seen && sel.read_only {
                            // RFC 2060 §6.3.2: nothing changes in a mailbox selected with EXAMINE.
                            rule::EXAMINE_NO_CHANGES
                        } else if lacks_seen && self.implicit_seen.contains_key(&id) {
                            // A FETCH of a body section (not PEEK) should have set \Seen.
                            rule::SEEN_SET
                        } else {
                            rule::FLAGS_VALUE
                        };
                        let ok = a == b || before_seen;
                        if let (false, rule::FLAGS_VALUE, Some(a), Some(b)) = (ok, why, &a, &b) {
                            let missing: Vec<String> =
                                a.names().into_iter().filter(|f| !b.contains(f)).collect();
                            let only_lacks = b.names().iter().all(|f| a.contains(f));
                            if only_lacks {
                                // A partial list, or flags lost: a later FLAGS tells.
                                let mut m = FlagSet::new();
                                for f in &missing {
                                    m.insert(f);
                                }
                                self.claim_flags(flags::FlagClaim {
                                    step,
                                    seq: *seq,
                                    id,
                                    shown: b.clone(),
                                    missing: m,
                                    touched: FlagSet::new(),
                                    learnt_later: false,
                                    otherwise: Some((
                                        rule::FLAGS_VALUE,
                                        format!(
                                            "FLAGS of message {seq} lacks {}, which the server set \
                                             and no command removed",
                                            missing.join(" ")
                                        ),
                                        format!("FLAGS {}", render(want)),
                                    )),
                                });
                                continue;
                            }
                        }
                        (ok, why)
                    }
                    "UID" => continue,
                    "RFC822.SIZE" => {
                        if !clean {
                            continue;
                        }
                        (value_matches(want, have, false, false), rule::SIZE_VALUE)
                    }
                    "INTERNALDATE" => {
                        let instant =
                            |t: &Tok| t.text().and_then(crate::judge::normalize::date_instant);
                        if !msg.date_known {
                            self.learn_date(&sel.mailbox, id, have);
                            continue;
                        }
                        (
                            instant(want).is_some() && instant(want) == instant(have),
                            rule::INTERNALDATE_APPEND,
                        )
                    }
                    "ENVELOPE" => {
                        if !clean {
                            continue;
                        }
                        // RFC 822 §3.1.1 unfolding ("CRLF immediately followed by a
                        // LWSP-char as equivalent to the LWSP-char") is read differently
                        // by servers (some keep the CRLF, some write a second space), and
                        // RFC 2060 §7.4.2 does not say: whitespace runs compare as one.
                        let same = |want: &Tok| {
                            value_matches(want, have, false, false)
                                || value_matches(
                                    &collapse_whitespace(want),
                                    &collapse_whitespace(have),
                                    false,
                                    false,
                                )
                        };
                        // RFC 2060 §7.4.2 says only "personal name": a server may take
                        // an address's comment for it (`a@b (Name)`).
                        let ok = same(want)
                            || comment_named_envelope(*seq, &msg.message).is_some_and(|w| same(&w));
                        // Only sender or reply-to differ: RFC 2060 §7.4.2 says how to default them.
                        let only_defaults = !ok
                            && matches!((want.list(), have.list()), (Some(a), Some(b)) if a.len() == b.len()
                                && a.iter().zip(b).enumerate().all(|(i, (x, y))| i == 3 || i == 4 || value_matches(x, y, false, false)));
                        (
                            ok,
                            if only_defaults {
                                rule::DEFAULT_SENDER
                            } else {
                                rule::ENVELOPE_VALUE
                            },
                        )
                    }
                    "BODY" | "BODYSTRUCTURE" => {
                        if let Some((multipart, extra)) = undefined_extension(have) {
                            self.find(
                                step,
                                if multipart {
                                    rule::UNDEFINED_EXTENSION_MPART
                                } else {
                                    rule::UNDEFINED_EXTENSION_1PART
                                },
                                format!(
                                    "{name} of message {seq} has {extra} extension field(s) after \
                                     body language and location, which no revision defines"
                                ),
                                format!("{name} {}", render(want)),
                                format!("{name} {}", render(have)),
                            );
                            continue;
                        }
                        if !clean {
                            continue;
                        }
                        (
                            value_matches(want, have, true, name == "BODYSTRUCTURE"),
                            rule::BODYSTRUCTURE_VALUE,
                        )
                    }
                    _ => {
                        if !clean
                            || crate::judge::fetch_cause::split_is_ambiguous(&msg.message, name)
                        {
                            continue;
                        }
                        // An empty section sent as NIL says the same: nothing there.
                        let empty_as_nil = want.text().is_some_and(<[u8]>::is_empty)
                            && have.atom().is_some_and(|a| a.eq_ignore_ascii_case(b"NIL"));
                        (
                            empty_as_nil || value_matches(want, have, false, false),
                            section_requirement(name),
                        )
                    }
                };
                if ok {
                    continue;
                }
                let message_data = name == "RFC822.SIZE"
                    || name == "BODY"
                    || name == "BODYSTRUCTURE"
                    || name.starts_with("BODY[")
                    || name.starts_with("RFC822");
                // 8-bit octets in a header the client appended in 7 bits break §7.4.2
                // whatever message the server stores.
                let eight_bit = is_header_section(name) && has_8bit(have) && !has_8bit(want);
                if message_data && !eight_bit {
                    differing.push(explain::Differing {
                        name: name.clone(),
                        want: want.clone(),
                        have: have.clone(),
                        rule: id_rule,
                    });
                    continue;
                }
                let summary = if id_rule == rule::EXAMINE_NO_CHANGES {
                    format!(
                        "FLAGS of message {seq} show \\Seen, which it did not have, in a mailbox \
                         selected with EXAMINE"
                    )
                } else if id_rule == rule::SEEN_SET {
                    format!(
                        "FLAGS of message {seq} lack \\Seen after a FETCH of a body section \
                         (not BODY.PEEK)"
                    )
                } else {
                    format!("{name} of message {seq} differs from the stored message")
                };
                self.find(
                    step,
                    if eight_bit {
                        rule::HEADERS_7BIT
                    } else {
                        id_rule
                    },
                    summary,
                    format!("{name} {}", render(want)),
                    format!("{name} {}", render(have)),
                );
            }
            self.explain_fetch(step, body, *seq, id, &msg.message, &got, differing);
        }
    }
}

impl Oracle {
    /// Takes the flags the server showed for messages (sequence number, FLAGS shown) as
    /// theirs, after a finding that the server acted on them where it should not have;
    /// a message shown without FLAGS, by a command whose body fetch may set `\Seen`
    /// (RFC 2060 §6.4.5), has flags the model no longer knows.
    fn adopt_flags(
        &mut self,
        sel: &crate::model::session::Selection,
        shown: &[(u32, Option<FlagSet>)],
    ) {
        let may_mark_seen = super::mutated::may_mark_seen(&self.command_line);
        let Some(mb) = self.selected_mailbox_mut() else {
            return;
        };
        for (seq, flags) in shown {
            let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)) else {
                continue;
            };
            let Some(m) = mb.messages.iter_mut().find(|m| m.id == *id) else {
                continue;
            };
            match flags {
                Some(f) => {
                    m.flags = f.without_recent();
                    m.flags_known = true;
                }
                None if may_mark_seen => m.flags_known = false,
                None => {}
            }
        }
    }
}
