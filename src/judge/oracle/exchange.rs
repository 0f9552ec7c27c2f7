//! One exchange: the command run on a copy of the model, the outcome compared, refusals judged.

use super::*;

impl Oracle {
    pub(super) fn exchange(&mut self, step: Option<usize>, e: &Exchange) {
        let bytes = e.command().to_bytes();
        self.command_line = bytes.clone();
        self.client_text.extend_from_slice(&bytes);
        self.closed_before(&bytes);
        if unadvertised_literal_refused(e) {
            // A `{n+}` literal the server did not read as one (it did not advertise
            // LITERAL+): the command was refused, and the literal ran as a command of its
            // own, `<tag>z NOOP` ([`crate::gen::mutate`]).
            return self.literal_ran_as_noop(e);
        }
        let decoded = CommandCodec::default().decode(&bytes);
        let cmd = match decoded {
            Ok((b"", cmd)) => cmd,
            _ if rejected_without_data(e) => {
                // RFC 3501 §6: "A rejected command (BAD response) never changes the state
                // of the connection or of the selected mailbox." A command broken on
                // purpose and refused leaves the model as it was.
                self.skip(Skip::UnreadableCommandRefused);
                self.coverage.judged += 1;
                return;
            }
            _ => return self.unreadable_command(e, &bytes),
        };
        let responses: Vec<&Message> = e.responses().collect();
        let Some(done_msg) = e.completion() else {
            return self.stop(Gap::NoCompletion);
        };
        let done = match self.read_completion(done_msg) {
            Some((kind, code)) => Done {
                outcome: outcome_of(kind),
                code,
            },
            None => return self.stop(Gap::UnreadableCompletion),
        };
        // A line no reader makes sense of is skipped (the syntax judge reports it); what
        // the exchange seems to lack may be in it, so its data are not judged.
        let (seen, blind) = self.read_responses(e, done_msg);
        if matches!(
            cmd.body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        ) {
            self.announced = None;
        }
        // `*` is "the largest number in use": while the server has not announced every
        // message the model holds, it may mean the last one the client was told of.
        let unannounced = self
            .session
            .selection()
            .is_some_and(|s| self.announced.is_some_and(|n| n < s.view.len()));
        let star = match &cmd.body {
            CommandBody::Fetch { sequence_set, .. }
            | CommandBody::Store { sequence_set, .. }
            | CommandBody::Copy { sequence_set, .. } => {
                crate::model::session::has_asterisk(sequence_set)
            }
            _ => false,
        };
        if star && unannounced {
            return self.stop(Gap::StarUnannounced);
        }
        let untagged: Vec<&Message> = responses
            .iter()
            .copied()
            .filter(|m| !std::ptr::eq(*m, done_msg))
            .collect();
        self.closed_exchange(step, &cmd.body, &untagged, &seen);
        for s in &seen {
            match s {
                Seen::Exists(n) => self.announced = Some(*n as usize),
                Seen::Expunge(_) => self.announced = self.announced.map(|n| n.saturating_sub(1)),
                _ => {}
            }
        }
        self.coverage.judged += 1;
        let body = &cmd.body;
        self.forget_recent(body);
        // RFC 2060 §6.5.1: untagged X responses only for the client's own X commands.
        for m in &responses {
            let line = m.first_line();
            let word = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
            if line.starts_with(b"* ") && word.first().is_some_and(|c| *c == b'X' || *c == b'x') {
                self.find(
                    step,
                    rule::X_RESPONSES,
                    format!(
                        "untagged {} response the client did not ask for",
                        String::from_utf8_lossy(word)
                    ),
                    "no X responses without an X command".into(),
                    escape(line),
                );
                break;
            }
        }
        // RFC 2060 §9: "Server implementations MUST NOT generate flag_extension flags".
        let bad_flag = seen.iter().find_map(|s| {
            let flags: Vec<String> = match s {
                Seen::Flags(f) => f.clone(),
                Seen::Fetch(_, items) => items
                    .iter()
                    .filter(|(n, _)| n == "FLAGS")
                    .filter_map(|(_, t)| flags_of(t))
                    .flat_map(|f| f.names())
                    .collect(),
                _ => vec![],
            };
            flags
                .into_iter()
                .find(|f| f.starts_with('\\') && !crate::model::flags::is_system(f))
        });
        if let Some(f) = bad_flag {
            self.find(
                step,
                rule::FLAG_EXTENSION,
                format!(
                    "the server sent the flag {f}, which {} does not define",
                    crate::judge::grammar::document(self.session.profile)
                ),
                format!(
                    "system flags of {} §2.3.2 or keywords",
                    crate::judge::grammar::document(self.session.profile)
                ),
                f,
            );
        }
        // A mailbox about to be deleted or renamed: its UIDs, its inferiors and its
        // subscription, kept if the server succeeds.
        let mut gone_now: Option<(Vec<u8>, (u32, u32))> = None;
        let mut inferiors_now: Vec<(Vec<u8>, &'static str)> = Vec::new();
        let mut unsubscribed_by_delete: Option<Vec<u8>> = None;
        if let CommandBody::Delete { mailbox } | CommandBody::Rename { from: mailbox, .. } = body {
            let name = Account::key(&mailbox_bytes(mailbox));
            let d = self.store.delimiter;
            if let Some(acc) = self.session.account(&self.store) {
                if let Some(mb) = acc.get(&name) {
                    if let Some(max) = self.uids_seen.get(&name).and_then(|u| u.keys().max()) {
                        gone_now = Some((name.clone(), (mb.uid_validity, *max)));
                    }
                }
                let to = match body {
                    CommandBody::Rename { to, .. } => Some(Account::key(&mailbox_bytes(to))),
                    _ => None,
                };
                for other in acc.names() {
                    if crate::model::names::inferiors_of(&name, &other, d)
                        && !crate::model::names::is_inbox(&name)
                    {
                        match &to {
                            // RFC 2060 §6.3.4: "The DELETE command MUST NOT remove inferior
                            // hierarchical names."
                            None => inferiors_now.push((other, rule::KEEP_INFERIORS)),
                            // RFC 2060 §6.3.5: inferiors "MUST also be renamed".
                            Some(to) => {
                                let mut n = to.clone();
                                n.extend_from_slice(&other[name.len()..]);
                                inferiors_now.push((n, rule::RENAME_INFERIORS));
                            }
                        }
                    }
                }
            }
            unsubscribed_by_delete = Some(name);
        }
        // RFC 2060 §7.4.1: "An EXPUNGE response MUST NOT be sent when no command is in
        // progress; nor while responding to a FETCH, STORE, or SEARCH command." RFC 3501
        // §7.4.1 makes explicit that the UID forms are other commands, during which an
        // EXPUNGE response MAY be sent; RFC 2060 does not say, so they are not judged.
        let is_fss = matches!(
            body,
            CommandBody::Fetch { uid: false, .. }
                | CommandBody::Store { uid: false, .. }
                | CommandBody::Search { uid: false, .. }
        );
        if is_fss {
            if let Some(Seen::Expunge(n)) = seen.iter().find(|s| matches!(s, Seen::Expunge(_))) {
                self.find(
                    step,
                    rule::EXPUNGE_FORBIDDEN,
                    format!("EXPUNGE response ({n}) while responding to {}", body.name()),
                    "no EXPUNGE response".into(),
                    format!("* {n} EXPUNGE"),
                );
            }
        }

        // UIDs the server shows in this exchange (FETCH ... UID n) are learnt first, so
        // that a UID command's set can be resolved the way the server did.
        if let CommandBody::Store { flags, .. } = body {
            let names: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            self.touch_flags(&names);
        }
        if matches!(body, CommandBody::Fetch { .. } | CommandBody::Store { .. }) {
            self.learn_sizes(step, &seen);
            // Flags shown again settle a FLAGS that lacked some, whatever the model makes
            // of this command (sequence numbers hold: no EXPUNGE during FETCH or STORE).
            let expunged = seen.iter().any(|s| matches!(s, Seen::Expunge(_)));
            if let (Some(sel), false) = (self.session.selection().cloned(), expunged) {
                for s in &seen {
                    let Seen::Fetch(seq, items) = s else { continue };
                    let flags = items
                        .iter()
                        .find(|(n, _)| n == "FLAGS")
                        .and_then(|(_, t)| flags_of(t));
                    let id = sel.view.get((*seq as usize).wrapping_sub(1)).copied();
                    if let (Some(flags), Some(id)) = (flags, id) {
                        self.settle_flags(step, *seq, id, &flags);
                    }
                }
            }
            if let Some(sel) = self.session.selection().cloned() {
                for s in &seen {
                    let Seen::Fetch(seq, items) = s else { continue };
                    let Some(id) = sel.view.get((*seq as usize).wrapping_sub(1)).copied() else {
                        continue;
                    };
                    let uid = items
                        .iter()
                        .find(|(n, _)| n == "UID")
                        .and_then(|(_, t)| t.atom())
                        .and_then(|a| std::str::from_utf8(a).ok())
                        .and_then(|a| a.parse::<u32>().ok());
                    if let Some(u) = uid {
                        if !self.learn_uid(step, &sel.mailbox, id, u) {
                            return;
                        }
                    }
                }
            }
        }
        // A UID COPY over UIDs not shown, whose copied messages the server's count tells,
        // runs as the COPY of those messages.
        let by_count = (done.outcome == Outcome::Ok)
            .then(|| {
                self.uid_copy_by_count(step, body, &seen)
                    .or_else(|| self.copy_in_range(body, &seen, &done))
            })
            .flatten();
        let (by_count, predicted_into) = match by_count {
            Some((b, into)) => (Some(b), into),
            None => (None, None),
        };
        self.settle_close_flip(body, &seen);
        let before_session = self.session.clone();
        let mut trial = self.session.clone();
        let mut trial_store = self.store.clone();
        let mut reply = trial.execute(&mut trial_store, by_count.as_ref().unwrap_or(body));
        // A COPY whose set repeats a message: copied once (coalesced) or once per mention,
        // as the server chose.
        if let Some((s, st, r)) = self
            .uncoalesced_copy(body, &done, &seen, trial.latitude.copied)
            .or_else(|| self.copy_by_copyuid(body, &done, &reply))
        {
            trial = s;
            trial_store = st;
            reply = r;
        }
        let latitude = trial.latitude.clone();

        let listed_refused = self.listed_name_refused(step, body, &reply, &done);
        if !reply.allowed.permits(done.outcome) && !reply.allowed.rule.is_empty() && !listed_refused
        {
            let model = reply.completion.outcome;
            // RFC 2060 §9: command names are case-insensitive. A command that is only its
            // name, valid in this state, refused with BAD when not in upper case, can be
            // refused for nothing else.
            let case_only = done.outcome == Outcome::Bad && only_a_recased_name(&bytes);
            self.find(
                step,
                if case_only {
                    rule::CASE_INSENSITIVE
                } else {
                    reply.allowed.rule
                },
                if case_only {
                    format!(
                        "{} in other than upper case answered BAD; the RFC makes command names case-insensitive",
                        body.name()
                    )
                } else if reply.allowed.rule == rule::BAD_MEANING {
                    format!(
                        "{} answered BAD (a client error) to a command the model reads as valid in this state",
                        body.name()
                    )
                } else {
                    let allowed: Vec<&str> = [
                        (reply.allowed.ok, "OK"),
                        (reply.allowed.no, "NO"),
                        (reply.allowed.bad, "BAD"),
                    ]
                    .iter()
                    .filter(|(a, _)| *a)
                    .map(|(_, n)| *n)
                    .collect();
                    format!(
                        "{} answered {}; the RFC allows only {} here",
                        body.name(),
                        done.outcome.as_str(),
                        allowed.join(" or ")
                    )
                },
                format!("{} (or another outcome the RFC allows)", model.as_str()),
                escape(&done_msg.to_bytes()),
            );
        }
        match (done.outcome, reply.completion.outcome) {
            (Outcome::Ok, Outcome::Ok)
                if latitude.unsure && matches!(body, CommandBody::Expunge) =>
            {
                self.follow_unsure_expunge(&seen);
            }
            (Outcome::Ok, Outcome::Ok) => {
                self.renamed_ok(step, body);
                let closed = (latitude.unsure && matches!(body, CommandBody::Close))
                    .then(|| self.close_predictable())
                    .flatten();
                self.session = trial;
                self.store = trial_store;
                if let Some((name, v)) = gone_now {
                    self.gone.insert(name, v);
                }
                self.must_list.extend(inferiors_now);
                if let Some(name) = unsubscribed_by_delete {
                    if let Some(deleted) = self.subscribed.get_mut(&name) {
                        *deleted = true;
                    }
                }
                if latitude.unsure {
                    return match closed {
                        Some(mailbox) => self.closed_on_prediction(&mailbox),
                        None => {
                            let gap = match body {
                                CommandBody::Close | CommandBody::Expunge => Gap::FlagsNotShown,
                                CommandBody::Copy { uid: true, .. }
                                | CommandBody::Fetch { uid: true, .. }
                                | CommandBody::Store { uid: true, .. } => Gap::UidsNotShown,
                                CommandBody::Delete { .. } | CommandBody::Rename { .. } => {
                                    Gap::SelectionTouched
                                }
                                _ => Gap::Unpredictable,
                            };
                            self.stop(Stop::in_command(gap, body.name()))
                        }
                    };
                }
                if let Some(dest) = &predicted_into {
                    self.closed_on_prediction(dest);
                }
                if latitude.flags_lost {
                    self.forget_flags();
                }
                if latitude.seen_in_flight {
                    // Messages this FETCH of a body section marked \\Seen.
                    if let Some(sel) = self.session.selection() {
                        for s in &seen {
                            if let Seen::Fetch(n, _) = s {
                                if let Some(id) = sel.view.get((*n as usize).wrapping_sub(1)) {
                                    self.implicit_seen.insert(*id, step);
                                }
                            }
                        }
                    }
                }
                if latitude.data_unsure || blind {
                    self.apply_exists(&seen, before_session.selection().map(|s| s.view.len()));
                } else {
                    self.check_ok(step, body, &reply, &seen, &done, &before_session);
                }
                self.learn_flags(step, &seen);
                if matches!(
                    body,
                    CommandBody::Select { .. } | CommandBody::Examine { .. }
                ) {
                    self.learn_uids_from_uidnext(step, &seen);
                }
            }
            (Outcome::Ok, _) if self.expunge_of_nothing(body, &seen) => {
                self.skip(Skip::AcceptedBounded);
            }
            (Outcome::Ok, _) if self.copy_of_nothing(body, &seen) => {
                self.apply_exists(&seen, None);
                self.skip(Skip::AcceptedBounded);
            }
            (Outcome::Ok, _) if self.copy_of_nothing_made_copies(step, body, &seen) => {}
            (Outcome::Ok, _) => {
                if !self.accepted_bounded(step, &seen, &bytes) {
                    self.stop(Stop::in_command(Gap::AcceptedWhereRefused, body.name()));
                }
            }
            (_, _) => {
                self.session.refused(body);
                // RFC 2060 §6.3.11 and §6.4.7: a failed APPEND or COPY leaves its
                // destination as it was; remember it, so that a message it left behind
                // is reported against that requirement.
                match body {
                    CommandBody::Append { mailbox, .. } => {
                        self.failed_into.insert(
                            Account::key(&mailbox_bytes(mailbox)),
                            (rule::APPEND_ATOMIC, step),
                        );
                    }
                    CommandBody::Copy { mailbox, .. } => {
                        self.failed_into.insert(
                            Account::key(&mailbox_bytes(mailbox)),
                            (rule::COPY_ATOMIC, step),
                        );
                    }
                    _ => {}
                }
                let done_line = done_msg.first_line().to_vec();
                self.check_refusal(step, body, &bytes, &reply, &done, &done_line);
                // Unsolicited EXISTS in a refused command still announce messages.
                self.apply_exists(&seen, None);
            }
        }
    }

    pub(super) fn check_refusal(
        &mut self,
        step: Option<usize>,
        body: &CommandBody<'_>,
        raw: &[u8],
        reply: &Reply,
        done: &Done,
        done_line: &[u8],
    ) {
        // RFC 2060 §9: "All case variants of INBOX (e.g. "iNbOx") MUST be interpreted as
        // INBOX". A NO the model does not expect for a case variant means the server took
        // it for another (missing) mailbox.
        // (imap-types reads every variant as `Mailbox::Inbox`: the command's own bytes tell.)
        let variant = match body {
            CommandBody::Select { mailbox, .. }
            | CommandBody::Examine { mailbox, .. }
            | CommandBody::Status { mailbox, .. }
            | CommandBody::Append { mailbox, .. }
            | CommandBody::Copy { mailbox, .. }
                if matches!(mailbox, imap_types::mailbox::Mailbox::Inbox) =>
            {
                raw.split(|&b| b == b' ' || b == b'"' || b == b'\r' || b == b'\n')
                    .find(|w| w.eq_ignore_ascii_case(b"INBOX") && *w != b"INBOX")
                    .map(<[u8]>::to_vec)
            }
            _ => None,
        };
        if let Some(n) = variant {
            // A server may refuse an APPEND for its message (no From, a bare LF, 8-bit
            // data): only [TRYCREATE] says it took the name for a missing mailbox.
            let for_the_message = matches!(body, CommandBody::Append { .. });
            if done.outcome == Outcome::No
                && reply.completion.outcome == Outcome::Ok
                && (matches!(done.code, Some(WireCode::TryCreate))
                    || (!reply.allowed.rule.is_empty() && !for_the_message))
            {
                self.find(
                    step,
                    rule::INBOX_VARIANTS,
                    format!(
                        "{} of {:?} refused: the server does not read it as INBOX",
                        body.name(),
                        escape(&n)
                    ),
                    "the answer INBOX gets".into(),
                    escape(&done_text(done)),
                );
                return;
            }
        }
        if done.outcome != Outcome::No || reply.completion.outcome != Outcome::No {
            return;
        }
        let wants_trycreate = matches!(
            reply.completion.code,
            Some(crate::model::response::Code::TryCreate)
        );
        if !wants_trycreate || reply.allowed.rule.is_empty() {
            return;
        }
        if !matches!(done.code, Some(WireCode::TryCreate)) {
            let id = match body {
                CommandBody::Append { .. } => rule::APPEND_TRYCREATE,
                _ => rule::COPY_TRYCREATE,
            };
            let (summary, observed) = trycreate_evidence(body.name(), done_line);
            self.find(
                step,
                id,
                summary,
                "<tag> NO [TRYCREATE] ...".into(),
                observed,
            );
        }
    }

    /// Sets the selection's view to what the server announced: a server may tell of new
    /// messages later than the model does (RFC 2060 §6.3.11 "SHOULD notify ...
    /// immediately"). An EXISTS above the view announces the mailbox's messages not
    /// announced yet, in order (RFC 2060 §7.3.1: the count is the mailbox's size); one
    /// above every message the model holds means it lost track: the oracle stops.
    pub(super) fn apply_exists(&mut self, seen: &[Seen], model_view_before: Option<usize>) {
        let announced = last_exists(seen);
        let selected = self.session.selection().and_then(|sel| {
            let mb = self.session.account(&self.store)?.get(&sel.mailbox)?;
            Some((sel, mb))
        });
        let unannounced: Vec<u64> = match selected {
            Some((sel, mb)) if mb.known => mb
                .messages
                .iter()
                .map(|m| m.id)
                .filter(|id| !sel.view.contains(id))
                .collect(),
            _ => Vec::new(),
        };
        let Some(sel) = self.session.selection_mut() else {
            return;
        };
        match announced {
            Some(n) if n <= sel.view.len() => sel.view.truncate(n),
            Some(n) if n <= sel.view.len() + unannounced.len() => {
                let more = n - sel.view.len();
                sel.view.extend(unannounced.into_iter().take(more));
            }
            Some(_) => self.stop(Gap::CountDiffers),
            None => {
                if let Some(before) = model_view_before {
                    if sel.view.len() > before {
                        sel.view.truncate(before);
                    }
                }
            }
        }
    }
}
