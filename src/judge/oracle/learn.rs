//! What the oracle learns from the server: UIDs, sizes, flags and dates it shows.

use super::*;

impl Oracle {
    /// Learns the sizes the server gives in FETCH responses (RFC822.SIZE, or the length
    /// of a whole message), against which its SEARCH SMALLER and LARGER are judged.
    pub(super) fn learn_sizes(&mut self, step: Option<usize>, seen: &[Seen]) {
        let Some(sel) = self.session.selection().cloned() else {
            return;
        };
        for s in seen {
            let Seen::Fetch(seq, items) = s else { continue };
            let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)).copied() else {
                continue;
            };
            for (n, t) in items {
                let size = match n.as_str() {
                    "RFC822.SIZE" => t
                        .atom()
                        .and_then(|a| std::str::from_utf8(a).ok())
                        .and_then(|a| a.parse::<u32>().ok()),
                    "RFC822" | "BODY[]" => t.text().map(|b| b.len() as u32),
                    _ => None,
                };
                if let Some(size) = size {
                    let item = if n == "RFC822.SIZE" {
                        format!("* {seq} FETCH (RFC822.SIZE {size})")
                    } else {
                        format!("* {seq} FETCH ({n} {{{size}}} ...)")
                    };
                    self.learn_own_size(id, size, step, item);
                }
            }
        }
    }

    /// Records the server's UID for a message; false (and a finding) if it breaks
    /// ascending order or reuses a UID.
    pub(super) fn learn_uid(
        &mut self,
        step: Option<usize>,
        mailbox: &[u8],
        id: u64,
        uid: u32,
    ) -> bool {
        let Some(user) = self.session.user.clone() else {
            return true;
        };
        let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(mailbox))
        else {
            return true;
        };
        let Some(pos) = mb.position(id) else {
            return true;
        };
        if mb.messages[pos].uid_known {
            if mb.messages[pos].uid != uid {
                let old = mb.messages[pos].uid;
                if self.deduced_uids.contains(&id) {
                    // Deduced from the server's UIDNEXT, which was wrong then: where the
                    // fault lies is not this answer's to say.
                    self.stop(Gap::UidChanged);
                    return false;
                }
                self.find(
                    step,
                    rule::UID_ASCENDING,
                    format!("message's UID changed from {old} to {uid} within one UIDVALIDITY"),
                    format!("UID {old}"),
                    format!("UID {uid}"),
                );
                self.stop(Gap::UidChanged);
                return false;
            }
            return true;
        }
        let below = mb.messages[..pos]
            .iter()
            .rev()
            .find(|m| m.uid_known)
            .map(|m| m.uid);
        let above = mb.messages[pos + 1..]
            .iter()
            .find(|m| m.uid_known)
            .map(|m| m.uid);
        let reused = self
            .uids_seen
            .get(mailbox)
            .and_then(|m| m.get(&uid))
            .is_some_and(|other| *other != id);
        if below.is_some_and(|b| b >= uid) || above.is_some_and(|a| a <= uid) || reused {
            self.find(
                step,
                rule::UID_ASCENDING,
                format!("UID {uid} breaks strictly ascending order (before: {below:?}, after: {above:?}) or is reused"),
                "UIDs ascending with sequence numbers, never reused".into(),
                format!("UID {uid}"),
            );
            self.stop(Gap::UidOrder);
            return false;
        }
        if let Some((v, max)) = self.gone.get(mailbox) {
            if *v == mb.uid_validity && uid <= *max {
                let (v, max) = (*v, *max);
                self.find(
                    step,
                    rule::RECREATED_UIDS,
                    format!("a mailbox made again under an old name reuses UID {uid} within UIDVALIDITY {v} (the old one had UIDs up to {max})"),
                    format!("UIDs above {max}, or a new UIDVALIDITY"),
                    format!("UID {uid}"),
                );
                self.stop(Gap::UidReused);
                return false;
            }
        }
        let m = &mut mb.messages[pos];
        m.uid = uid;
        m.uid_known = true;
        if mb.uid_next <= uid {
            mb.uid_next = uid.saturating_add(1);
        }
        self.uids_seen
            .entry(mailbox.to_vec())
            .or_default()
            .insert(uid, id);
        // RFC 3501 §2.3.1.1: UIDs are 32-bit; once the server has given the last ones, a
        // message it adds needs a new UIDVALIDITY (or none can be added), which the model
        // cannot predict, and the model's next UID would not fit.
        if uid >= u32::MAX - 1 {
            // The next message's UID would not fit in 32 bits.
            self.stop(Gap::UidExhausted);
        }
        true
    }

    /// The model's selected mailbox, to learn about it.
    pub(super) fn selected_mailbox_mut(&mut self) -> Option<&mut crate::model::account::Mailbox> {
        let user = self.session.user.clone()?;
        let name = self.session.selection()?.mailbox.clone();
        self.store.accounts.get_mut(&user)?.get_mut(&name)
    }

    pub(super) fn mark_selected_known(&mut self) {
        if let Some(mb) = self.selected_mailbox_mut() {
            mb.known = true;
        }
    }

    /// Forgets the flags of the selected mailbox's messages (after a change the model could
    /// not follow), until the server shows them again.
    pub(super) fn forget_flags(&mut self) {
        if let Some(mb) = self.selected_mailbox_mut() {
            for m in mb.messages.iter_mut() {
                m.flags_known = false;
            }
        }
    }

    /// Takes the flags of messages whose flags the model does not know from the server's
    /// FETCH FLAGS responses.
    pub(super) fn learn_flags(&mut self, step: Option<usize>, seen: &[Seen]) {
        let (Some(user), Some(sel)) =
            (self.session.user.clone(), self.session.selection().cloned())
        else {
            return;
        };
        // The last FLAGS shown for each message in this exchange (a server may send the
        // flags again after a FETCH set \\Seen).
        let mut last: BTreeMap<u32, FlagSet> = BTreeMap::new();
        for s in seen {
            let Seen::Fetch(seq, items) = s else { continue };
            if let Some(flags) = items
                .iter()
                .find(|(n, _)| n == "FLAGS")
                .and_then(|(_, t)| flags_of(t))
            {
                last.insert(*seq, flags);
            }
        }
        let mut lost: Vec<(u32, FlagSet, FlagSet, &'static str)> = Vec::new();
        let mut claims: Vec<flags::FlagClaim> = Vec::new();
        let Some(mb) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(&sel.mailbox))
        else {
            return;
        };
        let seen_in_flight = self.session.latitude.seen_in_flight;
        for (seq, flags) in &last {
            let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)) else {
                continue;
            };
            if let Some(m) = mb.messages.iter_mut().find(|m| m.id == *id) {
                // Under EXAMINE a `\\Seen` may be the effect of a body FETCH that must not
                // set it (RFC 2060 §6.3.2, reported where it shows) and need not outlive
                // the selection: not learnt as the stored flags.
                let doubtful_seen = sel.read_only && flags.contains("\\Seen");
                if !m.flags_known && !doubtful_seen {
                    // The FLAGS of a FETCH that set \\Seen may list only what changed: one
                    // that lacks flags the APPEND or COPY asked for is held until the
                    // server shows the flags again, and not learnt.
                    if let (true, Some((want, rule))) = (seen_in_flight, &m.expected_flags) {
                        let mut missing = FlagSet::new();
                        for f in want.names() {
                            if !flags.contains(&f) {
                                missing.insert(&f);
                            }
                        }
                        if !missing.names().is_empty() {
                            // Never shown again: the FLAGS is read as it stands, against
                            // the SHOULD that asked for the flags.
                            let otherwise = (
                                *rule,
                                format!(
                                    "message {seq} lacks flags the client asked for ({}), as the \
                                     FLAGS of a FETCH that set \\Seen shows them; the server did \
                                     not show its flags again",
                                    missing.names().join(" ")
                                ),
                                format!("FLAGS including ({})", want.names().join(" ")),
                            );
                            claims.push(flags::FlagClaim {
                                step,
                                seq: *seq,
                                id: *id,
                                shown: flags.clone(),
                                missing,
                                touched: FlagSet::new(),
                                otherwise: Some(otherwise),
                                learnt_later: true,
                            });
                            continue;
                        }
                    }
                    m.flags = flags.without_recent();
                    if seen_in_flight {
                        // This FETCH set \\Seen; its FLAGS may show them from before.
                        m.flags.insert("\\Seen");
                    }
                    m.flags_known = true;
                    if let Some((want, rule)) = m.expected_flags.take() {
                        if want.names().iter().any(|f| !m.flags.contains(f)) {
                            lost.push((*seq, want, m.flags.clone(), rule));
                        }
                    }
                }
            }
        }
        for c in claims {
            self.claim_flags(c);
        }
        for (seq, want, got, rule) in lost {
            self.find_cause(
                step,
                rule,
                None,
                crate::judge::Cause::FlagsNotSet,
                format!("message {seq} lacks flags the client asked for"),
                format!("FLAGS including ({})", want.names().join(" ")),
                format!("* {seq} FETCH (FLAGS ({}))", got.names().join(" ")),
            );
        }
    }

    pub(super) fn learn_date(&mut self, mailbox: &[u8], id: u64, t: &Tok) {
        let Some(text) = t.text() else { return };
        let Some(d) = std::str::from_utf8(text)
            .ok()
            .and_then(|s| chrono::DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok())
        else {
            return;
        };
        let Some(user) = self.session.user.clone() else {
            return;
        };
        if let Some(m) = self
            .store
            .accounts
            .get_mut(&user)
            .and_then(|a| a.get_mut(mailbox))
            .and_then(|mb| mb.messages.iter_mut().find(|m| m.id == id))
        {
            m.internal_date = d;
            m.date_known = true;
        }
    }
}
