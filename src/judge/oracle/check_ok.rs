//! A command both the server and the model completed with OK: its responses against the model's.

use super::*;

impl Oracle {
    pub(super) fn check_ok(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        reply: &Reply,
        seen: &[Seen],
        done: &Done,
        before: &Session,
    ) {
        // Messages the server announced; more than the model knows means the model lost
        // track.
        let model_exists = reply.untagged.iter().rev().find_map(|u| match u {
            Untagged::Exists(n) => Some(*n as usize),
            _ => None,
        });
        let server_exists = last_exists(seen);
        let is_select = matches!(
            body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        );
        if is_select && self.session.latitude.contents_unknown {
            // A mailbox the model did not see created: its messages are the model's only if
            // the server counts as many.
            if model_exists.is_some() && model_exists == server_exists {
                self.mark_selected_known();
            } else {
                return self.stop(Gap::UnknownContents);
            }
        }
        let model_count = model_exists.or_else(|| self.session.selection().map(|s| s.view.len()));
        if let (Some(m), Some(s)) = (model_count, server_exists) {
            if s == m {
                // The count agrees: a refused APPEND or COPY left nothing behind here.
                if let Some(sel) = self.session.selection() {
                    self.failed_into.remove(&Account::key(&sel.mailbox));
                }
                self.count_confirmed();
            }
            if s > m && matches!(body, CommandBody::Copy { uid: true, .. }) {
                // The copy into the selected mailbox made more messages than the UID set
                // names: a non-existent UID was not ignored.
                self.find(
                    step,
                    self.uid_set_rule(),
                    format!(
                        "{} reported {s} EXISTS; copying the messages its UID set names leaves {m}",
                        body.name()
                    ),
                    format!("* {m} EXISTS"),
                    format!("* {s} EXISTS"),
                );
                return self.stop(Gap::CountDiffers);
            }
            if s > m {
                let selected = self.session.selection().map(|s| Account::key(&s.mailbox));
                self.left_behind(step, selected, m, s, &format!("* {m} EXISTS"));
            }
            if s > m || (is_select && s != m) {
                // The model lost track earlier (a command whose effect it could not see);
                // where is not certain, so no finding unless a failed APPEND or COPY
                // into this mailbox explains it (above); in a closed world it is a finding.
                let why = self.count_differs(step, body, m, s);
                return self.stop(why);
            }
        }
        // RFC 4315 COPYUID names the copies: a COPY that made more copies than its set
        // names messages copied something twice or something else.
        // RFC 3501 §9: "Servers MAY coalesce overlaps": a set that names a message twice
        // makes one or two copies of it ([`copy`]); the model follows the server's choice.
        if let (CommandBody::Copy { .. }, Some(made), Some(copied)) = (
            body,
            copy::copyuid_count(done),
            self.session.latitude.copied,
        ) {
            if made != copied as u64 {
                self.find(
                    step,
                    rule::COPY_SET,
                    format!(
                        "COPY made {made} copies (COPYUID) of the {copied} messages its set names"
                    ),
                    format!(
                        "{copied} copies, or one per mention of a message the set names more than once"
                    ),
                    format!("COPYUID destination of {made} UIDs"),
                );
                return self.stop(Gap::CopiesDiffer);
            }
            self.learn_copyuid(step, body, done, copied);
        }
        if !is_select {
            // RFC 3501 §5.2 (and RFC 2060 §7.3.1): only EXPUNGE makes the mailbox smaller.
            let expunged = seen
                .iter()
                .filter(|s| matches!(s, Seen::Expunge(_)))
                .count();
            let floor = before
                .selection()
                .map(|s| s.view.len().saturating_sub(expunged));
            if let (Some(floor), Some(s)) = (floor, server_exists) {
                if s < floor {
                    let id = if self.session.profile == Profile::Rfc3501 {
                        rule::EXISTS_SHRINK_3501
                    } else {
                        rule::EXISTS_COUNT
                    };
                    self.find(
                        step,
                        id,
                        format!(
                            "{} reported {s} EXISTS after {floor} without EXPUNGE",
                            body.name()
                        ),
                        format!("* n EXISTS with n >= {floor}"),
                        format!("* {s} EXISTS"),
                    );
                    return self.stop(Gap::ExistsShrank);
                }
            }
            // EXPUNGE responses outside EXPUNGE: the model removed nothing.
            let server_expunges: Vec<u32> = seen
                .iter()
                .filter_map(|s| match s {
                    Seen::Expunge(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let model_expunges: Vec<u32> = reply
                .untagged
                .iter()
                .filter_map(|u| match u {
                    Untagged::Expunge(n) => Some(*n),
                    _ => None,
                })
                .collect();
            if matches!(body, CommandBody::Expunge) {
                let removed = |list: &[u32]| -> Option<Vec<u64>> {
                    let mut view = before.selection()?.view.clone();
                    let mut out = Vec::new();
                    for n in list {
                        let i = (*n as usize).checked_sub(1)?;
                        if i >= view.len() {
                            return None;
                        }
                        out.push(view.remove(i));
                    }
                    out.sort();
                    Some(out)
                };
                if removed(&server_expunges) != removed(&model_expunges) {
                    self.find(
                        step,
                        rule::EXPUNGE_EACH,
                        "EXPUNGE responses do not name the messages with \\Deleted".into(),
                        model_expunges
                            .iter()
                            .map(|n| format!("* {n} EXPUNGE"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        server_expunges
                            .iter()
                            .map(|n| format!("* {n} EXPUNGE"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    if !self.follow_expunges(before, &server_expunges) {
                        return self.stop(Gap::ExpungedDiffer);
                    }
                }
            } else if !server_expunges.is_empty() {
                return self.stop(Gap::UnexpectedExpunge);
            }
            let view_before = before.selection().map(|s| s.view.len());
            if model_exists.is_some() && server_exists.is_none() {
                self.apply_exists(seen, view_before.map(|b| b - model_expunges.len().min(b)));
            }
        }
        match body {
            CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                self.check_select(step, body, seen, done)
            }
            CommandBody::Fetch {
                uid,
                macro_or_item_names,
                ..
            } => {
                let wants_flags = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => m
                        .expand()
                        .iter()
                        .any(|i| matches!(i, MessageDataItemName::Flags)),
                    MacroOrMessageDataItemNames::MessageDataItemNames(v) => {
                        v.iter().any(|i| matches!(i, MessageDataItemName::Flags))
                    }
                };
                self.check_fetch(step, body, reply, seen, *uid, wants_flags, true)
            }
            CommandBody::Store { uid, .. } => {
                self.check_fetch(step, body, reply, seen, *uid, false, false)
            }
            CommandBody::Search { criteria, uid, .. } => {
                let command = std::mem::take(&mut self.command_line);
                self.check_search(step, criteria.as_ref(), *uid, &command, reply, seen);
                self.command_line = command;
            }
            CommandBody::Status { mailbox, .. } => {
                let name = mailbox_bytes(mailbox);
                self.check_status(step, &name, reply, seen);
                self.check_status_recent(step, &name, seen);
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => {
                // Mailboxes the server lists exist; `LIST "" *` lists them all.
                let all = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty())
                    && matches!(mailbox_wildcard, imap_types::mailbox::ListMailbox::Token(t) if t.as_ref() == b"*");
                let Some(user) = self.session.user.clone() else {
                    return;
                };
                let d = self.store.delimiter;
                let acc = self
                    .store
                    .accounts
                    .entry(user)
                    .or_insert_with(|| crate::model::account::Account::unknown(d));
                for s in seen {
                    if let Seen::List(name, noselect, _) = s {
                        acc.learn_mailbox(name, !noselect);
                        self.listed.insert(Account::key(name), *noselect);
                    }
                }
                if all {
                    acc.closed_world = true;
                    let listed: Vec<Vec<u8>> = seen
                        .iter()
                        .filter_map(|s| match s {
                            Seen::List(n, _, _) => Some(inbox_upper(n, d)),
                            _ => None,
                        })
                        .collect();
                    let implied = &self.session.implied;
                    let missing = self.must_list.iter().find(|(n, _)| {
                        acc.exists(n)
                            && !implied.contains(&Account::key(n))
                            && !listed.contains(&inbox_upper(n, d))
                    });
                    if let Some((n, why)) = missing {
                        let (n, why) = (n.clone(), *why);
                        self.find(
                            step,
                            why,
                            format!("LIST \"\" * does not show {:?}", escape(&n)),
                            format!("* LIST (...) ... {}", escape(&n)),
                            "not listed".into(),
                        );
                        return self.stop(Gap::InferiorMissing);
                    }
                }
                let reference_empty = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty());
                let pattern = match mailbox_wildcard {
                    imap_types::mailbox::ListMailbox::Token(t) => t.as_ref().to_vec(),
                    imap_types::mailbox::ListMailbox::String(t) => t.as_ref().to_vec(),
                };
                self.check_list(step, reference_empty, &pattern, seen);
            }
            CommandBody::Create { mailbox } => {
                // RFC 2060 §6.3.3: a trailing separator is a declaration that "Server
                // implementations that do not require this declaration MUST ignore": the name
                // without it exists afterwards.
                let n = mailbox_bytes(mailbox);
                let d = self.store.delimiter;
                if n.len() > 1 && n.last() == Some(&d) {
                    self.must_list
                        .insert(Account::key(&n[..n.len() - 1]), rule::TRAILING_SEPARATOR);
                }
            }
            CommandBody::Subscribe { mailbox } => {
                let n = inbox_upper(&mailbox_bytes(mailbox), self.store.delimiter);
                self.unsubscribed.remove(&n);
                self.subscribed.insert(n, false);
            }
            CommandBody::Unsubscribe { mailbox } => {
                let n = inbox_upper(&mailbox_bytes(mailbox), self.store.delimiter);
                self.subscribed.remove(&n);
                self.unsubscribed.insert(n);
            }
            CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                let all = matches!(reference, imap_types::mailbox::Mailbox::Other(r) if r.as_ref().is_empty())
                    && matches!(mailbox_wildcard, imap_types::mailbox::ListMailbox::Token(t) if t.as_ref() == b"*");
                if all {
                    let d = self.store.delimiter;
                    let listed: Vec<Vec<u8>> = seen
                        .iter()
                        .filter_map(|s| match s {
                            Seen::Lsub(n) => Some(inbox_upper(n, d)),
                            _ => None,
                        })
                        .collect();
                    let missing = self.subscribed.iter().find(|(n, _)| !listed.contains(n));
                    if let Some((n, deleted)) = missing {
                        let why = if *deleted {
                            rule::KEEPS_SUBSCRIPTION
                        } else {
                            rule::ADDS_TO_LSUB
                        };
                        let n = n.clone();
                        self.find(
                            step,
                            why,
                            format!(
                                "LSUB \"\" * does not show {:?}, which this session subscribed",
                                escape(&n)
                            ),
                            format!("* LSUB (...) ... {}", escape(&n)),
                            "not listed".into(),
                        );
                        return self.stop(Gap::SubscriptionMissing);
                    }
                    let extra = self
                        .unsubscribed
                        .iter()
                        .find(|n| listed.contains(n))
                        .cloned();
                    if let Some(n) = extra {
                        self.find(
                            step,
                            rule::REMOVES_FROM_LSUB,
                            format!("LSUB \"\" * still shows {:?} after UNSUBSCRIBE", escape(&n)),
                            "not listed".into(),
                            format!("* LSUB (...) ... {}", escape(&n)),
                        );
                        self.stop(Gap::UnsubscribedListed);
                    }
                }
            }
            CommandBody::Capability => {
                let lists: Vec<&Vec<String>> = seen
                    .iter()
                    .filter_map(|s| match s {
                        Seen::Capability(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                let with_rev1 = lists
                    .iter()
                    .any(|c| c.iter().any(|x| x.eq_ignore_ascii_case("IMAP4rev1")));
                if lists.len() != 1 || !with_rev1 {
                    self.find(
                        step,
                        if lists.is_empty() {
                            rule::CAPABILITY_REQUIRED
                        } else {
                            rule::CAPABILITY_SINGLE
                        },
                        format!(
                            "CAPABILITY answered with {} CAPABILITY responses{}",
                            lists.len(),
                            if with_rev1 {
                                ""
                            } else {
                                ", none listing IMAP4rev1"
                            }
                        ),
                        "one untagged CAPABILITY response listing IMAP4rev1".into(),
                        format!("{} CAPABILITY responses", lists.len()),
                    );
                }
            }
            CommandBody::Noop => {
                // RFC 2060 §5.2: size changes the server has seen are sent without being
                // asked; a NOOP after this session's own APPEND or COPY must show them.
                if let (Some(sel), Some(acc)) =
                    (self.session.selection(), self.session.account(&self.store))
                {
                    let held = acc.get(&sel.mailbox).map_or(0, |m| m.messages.len());
                    if held > sel.view.len() {
                        let shown = sel.view.len();
                        self.find(
                            step,
                            rule::SIZE_UPDATES,
                            format!("NOOP did not announce the mailbox's new size ({held} messages; the client was told {shown})"),
                            format!("* {held} EXISTS"),
                            "no EXISTS".into(),
                        );
                        // The MUST binds a change the server "observed"; whether it did is
                        // not visible: a warning, not a violation.
                        if let Some(v) = self.verdicts.last_mut() {
                            v.kind = Kind::Warning;
                            v.summary.push_str(
                                " (the RFC requires it once the server has observed the change)",
                            );
                        }
                        // The model goes on with the message unannounced: the mailbox's
                        // next count tells whether the server holds it.
                    }
                }
            }
            CommandBody::Append { mailbox, .. } => {
                // RFC 4315 APPENDUID (UIDPLUS) tells the new message's UID.
                if let Some(WireCode::AppendUid { uid, .. }) = &done.code {
                    let name = match mailbox {
                        imap_types::mailbox::Mailbox::Inbox => b"INBOX".to_vec(),
                        imap_types::mailbox::Mailbox::Other(o) => o.as_ref().to_vec(),
                    };
                    let name = Account::key(&name);
                    let last = self
                        .session
                        .account(&self.store)
                        .and_then(|a| a.get(&name))
                        .and_then(|mb| mb.messages.last())
                        .map(|m| m.id);
                    if let Some(id) = last {
                        self.learn_uid(step, &name, id, uid.get());
                    }
                }
            }
            CommandBody::Logout if !seen.iter().any(|s| matches!(s, Seen::Bye)) => {
                self.find(
                    step,
                    rule::LOGOUT_BYE,
                    "LOGOUT completed without an untagged BYE".into(),
                    "* BYE ...".into(),
                    "no BYE".into(),
                );
            }
            _ => {}
        }
    }
}
