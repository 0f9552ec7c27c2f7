//! LIST, LSUB, SELECT/EXAMINE and STATUS answers against the model (RFC 2060 §6.3).

use super::*;

impl Oracle {
    /// RFC 2060 §6.3.8: "The returned mailbox names MUST match the supplied mailbox name
    /// pattern" (judged when the reference is empty: a reference's meaning is partly the
    /// server's); §7.2.2: children of a top-level node share one separator.
    pub(super) fn check_list(
        &mut self,
        step: Option<usize>,
        reference_empty: bool,
        pattern: &[u8],
        seen: &[Seen],
    ) {
        for s in seen {
            let Seen::List(name, _, delimiter) = s else {
                continue;
            };
            // RFC 2060 §5.1.3 binds whoever makes up a name: judged for names the client
            // never sent, which the server made up.
            if !contains_bytes(&self.client_text, name) {
                if let Some((id, why)) = mutf7_problem(name) {
                    self.find(
                        step,
                        id,
                        format!(
                            "LIST returned the name {:?}, which breaks modified UTF-7: {why}",
                            String::from_utf8_lossy(name)
                        ),
                        format!(
                            "a name in modified UTF-7 ({} §5.1.3)",
                            crate::judge::grammar::document(self.session.profile)
                        ),
                        escape(name),
                    );
                }
            }
            let d = delimiter.and_then(|c| u8::try_from(c).ok());
            if let Some(d) = d {
                let top = name
                    .split(|&b| b == d)
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                match self.separators.get(&top) {
                    Some(prev) if *prev != d => {
                        let prev = *prev as char;
                        self.find(
                            step,
                            rule::SAME_SEPARATOR,
                            format!("LIST shows the separator {:?} under a top-level name that used {prev:?}", d as char),
                            format!("{prev:?}"),
                            format!("{:?}", d as char),
                        );
                        return;
                    }
                    _ => {
                        self.separators.insert(top, d);
                    }
                }
            }
            if !reference_empty || pattern.is_empty() {
                continue;
            }
            // INBOX is case-insensitive (RFC 2060 §5.1): compare it upper-cased on both sides.
            let inbox_up = |n: &[u8]| -> Vec<u8> {
                let first = d
                    .and_then(|d| n.iter().position(|&b| b == d))
                    .unwrap_or(n.len());
                if n[..first].eq_ignore_ascii_case(b"INBOX") {
                    let mut v = b"INBOX".to_vec();
                    v.extend_from_slice(&n[first..]);
                    v
                } else {
                    n.to_vec()
                }
            };
            if !crate::model::names::list_pattern_matches(&inbox_up(pattern), &inbox_up(name), d) {
                self.find(
                    step,
                    rule::NAMES_MATCH,
                    format!(
                        "LIST returned {:?}, which does not match the pattern {:?}",
                        escape(name),
                        escape(pattern)
                    ),
                    format!("names matching {:?}", escape(pattern)),
                    escape(name),
                );
                return;
            }
        }
    }

    pub(super) fn check_select(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        seen: &[Seen],
        done: &Done,
    ) {
        let examine = matches!(body, CommandBody::Examine { .. });
        let has = |f: &dyn Fn(&Seen) -> bool| seen.iter().any(f);
        let mut missing = Vec::new();
        if !has(&|s| matches!(s, Seen::Flags(_))) {
            missing.push("FLAGS");
        }
        if !has(&|s| matches!(s, Seen::Exists(_))) {
            missing.push("EXISTS");
        }
        if !has(&|s| matches!(s, Seen::Recent)) {
            missing.push("RECENT");
        }
        if !has(&|s| matches!(s, Seen::UntaggedOk(Some(WireCode::UidValidity(_))))) {
            missing.push("OK [UIDVALIDITY]");
        }
        if !missing.is_empty() {
            self.find(
                step,
                if examine {
                    rule::EXAMINE_REQUIRED
                } else {
                    rule::SELECT_UNTAGGED
                },
                format!("{} completed without {}", body.name(), missing.join(", ")),
                "FLAGS, EXISTS, RECENT and OK [UIDVALIDITY] before the tagged OK".into(),
                format!("missing: {}", missing.join(", ")),
            );
        }
        if self.session.profile == Profile::Rfc3501
            && !has(&|s| matches!(s, Seen::UntaggedOk(Some(WireCode::UidNext(_)))))
        {
            self.find(
                step,
                rule::SELECT_UIDNEXT,
                format!(
                    "{} completed without OK [UIDNEXT] (RFC 3501 requires it; RFC 2060 did not)",
                    body.name()
                ),
                "* OK [UIDNEXT n]".into(),
                "no UIDNEXT".into(),
            );
        }
        // The server's UIDVALIDITY, kept to check UIDs of a re-created mailbox.
        if let Some(v) = seen.iter().find_map(|s| match s {
            Seen::UntaggedOk(Some(WireCode::UidValidity(v))) => Some(v.get()),
            _ => None,
        }) {
            if let (Some(user), Some(sel)) =
                (self.session.user.clone(), self.session.selection().cloned())
            {
                if let Some(mb) = self
                    .store
                    .accounts
                    .get_mut(&user)
                    .and_then(|a| a.get_mut(&sel.mailbox))
                {
                    // RFC 2060 §2.3.1.1: a new UIDVALIDITY says the UIDs of the mailbox's
                    // messages need not persist; UIDs seen under the old one bind nothing.
                    let before = self.validity_shown.insert(sel.mailbox.clone(), v);
                    if before.is_some_and(|b| b != v) {
                        for m in &mut mb.messages {
                            m.uid_known = false;
                        }
                        self.uids_seen.remove(&sel.mailbox);
                    }
                    mb.uid_validity = v;
                }
            }
        }
        let read_only = matches!(done.code, Some(WireCode::ReadOnly));
        if examine && !read_only {
            self.find(
                step,
                rule::EXAMINE_READ_ONLY,
                "EXAMINE's tagged OK does not begin with [READ-ONLY]".into(),
                "OK [READ-ONLY] ...".into(),
                format!("{:?}", done.code),
            );
        }
        if read_only {
            if let Some(s) = self.session.selection_mut() {
                s.read_only = true;
            }
        }
        // RFC 2060 §7.1 UNSEEN: "the message sequence number of the first unseen message".
        let unseen = seen.iter().find_map(|s| match s {
            Seen::UntaggedOk(Some(WireCode::Unseen(n))) => Some(n.get()),
            _ => None,
        });
        if let (Some(n), Some(sel), Some(acc)) = (
            unseen,
            self.session.selection(),
            self.session.account(&self.store),
        ) {
            if let Some(mb) = acc.get(&sel.mailbox) {
                let all_known = mb.messages.iter().all(|m| m.flags_known);
                let first = mb.messages.iter().position(|m| !m.flags.contains("\\Seen"));
                if all_known && first.map(|i| i as u32 + 1) != Some(n) {
                    self.find(
                        step,
                        rule::UNSEEN_CODE,
                        format!("[UNSEEN {n}] is not the first unseen message"),
                        match first {
                            Some(i) => format!("[UNSEEN {}] (or no UNSEEN code)", i + 1),
                            None => "no UNSEEN code: every message is \\Seen".into(),
                        },
                        format!("[UNSEEN {n}]"),
                    );
                }
            }
        }
    }

    /// RFC 2060 §6.3.10: "STATUS MUST NOT cause messages to lose the \Recent flag". Two
    /// STATUS RECENT answers for a mailbox that is not selected, with nothing between
    /// them that could change its messages, must agree (see [`Oracle::forget_recent`]).
    pub(super) fn check_status_recent(&mut self, step: Option<usize>, name: &[u8], seen: &[Seen]) {
        let key = Account::key(name);
        let selected = self
            .session
            .selection()
            .is_some_and(|s| Account::key(&s.mailbox) == key);
        let recent = seen.iter().find_map(|s| match s {
            Seen::Status(items) => items.iter().find(|(k, _)| k == "RECENT").map(|(_, v)| *v),
            _ => None,
        });
        let Some(now) = recent.filter(|_| !selected) else {
            return;
        };
        match self.status_recent.get(&key) {
            Some(&(before, at)) if before != now => {
                let earlier = at
                    .map(|s| format!(" at step {}", s + 1))
                    .unwrap_or_default();
                self.find(
                    step,
                    rule::STATUS_NO_SIDE_EFFECTS,
                    format!(
                        "STATUS RECENT is {now}; an earlier STATUS{earlier} said {before}, and \
                         nothing between them could change the mailbox's messages"
                    ),
                    format!("RECENT {before}"),
                    format!("RECENT {now}"),
                );
            }
            _ => {
                self.status_recent.insert(key, (now, step));
            }
        }
    }

    /// Forgets the STATUS RECENT counts a command may change (anything but the commands
    /// that touch no other mailbox's messages), and the refused APPEND and COPY commands a
    /// later count may be blamed on.
    pub(super) fn forget_recent(&mut self, body: &CommandBody<'_>) {
        use CommandBody::*;
        let harmless = matches!(
            body,
            Status { .. }
                | Noop
                | Capability
                | List { .. }
                | Lsub { .. }
                | Fetch { .. }
                | Store { .. }
                | Search { .. }
                | Check
                | Subscribe { .. }
                | Unsubscribe { .. }
                | Login { .. }
        );
        if !harmless {
            self.status_recent.clear();
        }
        // Only a refused APPEND or COPY followed by nothing that changes messages (SELECT
        // and EXAMINE only look) explains a message the model lacks.
        if !harmless && !matches!(body, Select { .. } | Examine { .. }) {
            self.failed_into.clear();
        }
    }

    pub(super) fn check_status(
        &mut self,
        step: Option<usize>,
        name: &[u8],
        reply: &Reply,
        seen: &[Seen],
    ) {
        let Some(Untagged::Status { items, .. }) = reply
            .untagged
            .iter()
            .find(|u| matches!(u, Untagged::Status { .. }))
        else {
            return;
        };
        let Some(got) = seen.iter().find_map(|s| match s {
            Seen::Status(i) => Some(i.clone()),
            _ => None,
        }) else {
            self.find(
                step,
                rule::STATUS_REQUIRED,
                "STATUS completed without an untagged STATUS response".into(),
                "* STATUS ...".into(),
                "no STATUS response".into(),
            );
            return;
        };
        for (k, v) in items {
            // Counts the model knows exactly; UIDNEXT/UIDVALIDITY are the server's choice
            // and RECENT depends on other sessions.
            if k != "MESSAGES" && k != "UNSEEN" {
                continue;
            }
            if let Some((_, g)) = got.iter().find(|(n, _)| n == k) {
                if k == "MESSAGES" && g == v {
                    self.failed_into.remove(&Account::key(name));
                }

                if k == "MESSAGES" && g > v {
                    let before = self.verdicts.len();
                    self.left_behind(
                        step,
                        Some(Account::key(name)),
                        *v as usize,
                        *g as usize,
                        &format!("MESSAGES {v}"),
                    );
                    if self.verdicts.len() > before {
                        continue;
                    }
                }
                // A shared account: another client may have added, removed or flagged
                // messages meanwhile. The oracle no longer knows the mailbox.
                if g != v && !self.world.is_closed() {
                    self.stop(Gap::CountDiffers);
                    return;
                }
                // A RENAME moved messages from or to this name: not the STATUS's fault.
                if g != v {
                    let key = Account::key(name);
                    if let Some(gap) = self.count_after_rename(&key, *v as usize, *g as usize, k) {
                        self.stop(gap);
                        return;
                    }
                }
                if g != v {
                    self.find(
                        step,
                        if k == "UNSEEN" {
                            rule::STATUS_UNSEEN
                        } else {
                            rule::STATUS_VALUE
                        },
                        format!("STATUS {k} is {g}; the mailbox has {v}"),
                        format!("{k} {v}"),
                        format!("{k} {g}"),
                    );
                }
            }
        }
    }
}
