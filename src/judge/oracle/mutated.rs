//! Commands the strict decoder does not read (the generator breaks some on purpose,
//! `gen::mutate`): the model cannot run them, but what they did is often plain from the
//! outcome and the command's name.
//!
//! - Refused (NO or BAD): nothing changed. RFC 3501 §6: "A rejected command (BAD
//!   response) never changes the state of the connection or of the selected mailbox";
//!   RFC 2060 §7.1.2 NO: "unsuccessful completion of the associated command", and a
//!   failed COPY or APPEND must leave its destination as it was (§6.4.7, §6.3.11). A
//!   refused FETCH or STORE that sent FETCH data may have changed some flags before it
//!   failed: the model forgets the flags of the selected mailbox until shown again.
//! - Accepted: a command whose only effects are its responses (FETCH, SEARCH, STATUS,
//!   LIST, LSUB, NOOP, CHECK, CAPABILITY) is followed; a FETCH of a body section may have
//!   set `\Seen` (§6.4.5), so the flags of the selected mailbox are forgotten until shown.
//!   Any other accepted command stops the oracle ([`Gap::UnreadableCommandAccepted`]).

use imap_types::response::StatusKind;

use super::{Gap, Oracle, Seen, Skip, Stop};
use crate::wire::Exchange;

/// The command's name as the client wrote it, upper-cased (`UID FETCH` for UID commands).
pub(super) fn verb(command: &[u8]) -> String {
    let line = command
        .split(|b| *b == b'\r' || *b == b'\n')
        .next()
        .unwrap_or_default();
    let mut words = line.split(|b| *b == b' ').filter(|w| !w.is_empty()).skip(1);
    let first = words
        .next()
        .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
        .unwrap_or_default();
    if first == "UID" {
        if let Some(second) = words.next() {
            return format!(
                "UID {}",
                String::from_utf8_lossy(second).to_ascii_uppercase()
            );
        }
    }
    first
}

/// Whether an accepted command named `verb` has no effect but its responses (and, for a
/// FETCH, `\Seen`).
pub(super) fn bounded(verb: &str) -> bool {
    matches!(
        verb,
        "FETCH"
            | "UID FETCH"
            | "SEARCH"
            | "UID SEARCH"
            | "STATUS"
            | "LIST"
            | "LSUB"
            | "NOOP"
            | "CHECK"
            | "CAPABILITY"
    )
}

/// Whether a FETCH command may set `\Seen` (RFC 2060 §6.4.5: `BODY[section]` and
/// `RFC822`, `RFC822.TEXT`, unlike `BODY.PEEK`, `RFC822.HEADER` and `RFC822.SIZE`).
pub(super) fn may_mark_seen(command: &[u8]) -> bool {
    let up = command.to_ascii_uppercase();
    let mut i = 0;
    while i < up.len() {
        let rest = &up[i..];
        if rest.starts_with(b"BODY[") {
            return true;
        }
        if rest.starts_with(b"RFC822")
            && !rest[6..].starts_with(b".SIZE")
            && !rest[6..].starts_with(b".HEADER")
        {
            return true;
        }
        i += 1;
    }
    false
}

impl Oracle {
    /// A command refused with BAD whose `{n+}` literal, `<tag>z NOOP`, the server then ran
    /// as a command of its own: the refused command changed nothing (RFC 3501 §6), and the
    /// NOOP's responses are followed as any NOOP's: EXISTS announces messages the model
    /// holds (RFC 2060 §7.3.1); more than it holds, or an EXPUNGE, is a change it did not
    /// see.
    pub(super) fn literal_ran_as_noop(&mut self, e: &Exchange) {
        let Some(done_msg) = e.completion() else {
            return self.stop(Gap::NoCompletion);
        };
        let (seen, _) = self.read_responses(e, done_msg);
        if seen.iter().any(|s| matches!(s, Seen::Expunge(_))) {
            return self.stop(Gap::UnexpectedExpunge);
        }
        for s in &seen {
            if let Seen::Exists(n) = s {
                self.announced = Some(*n as usize);
            }
        }
        self.apply_exists(&seen, None);
        self.skip(Skip::UnreadableCommandRefused);
        self.coverage.judged += 1;
    }

    /// Follows an exchange whose command the strict decoder does not read.
    pub(super) fn unreadable_command(&mut self, e: &Exchange, bytes: &[u8]) {
        let Some(done_msg) = e.completion() else {
            return self.stop(Gap::NoCompletion);
        };
        let Some((kind, _)) = self.read_completion(done_msg) else {
            return self.stop(Gap::UnreadableCompletion);
        };
        let (seen, _) = self.read_responses(e, done_msg);
        let verb = verb(bytes);
        if seen.iter().any(|s| matches!(s, Seen::Expunge(_))) {
            return self.stop(Gap::UnexpectedExpunge);
        }
        let fetched = seen.iter().any(|s| matches!(s, Seen::Fetch(..)));
        match kind {
            StatusKind::No | StatusKind::Bad => {
                if kind == StatusKind::No && fetched {
                    self.forget_flags();
                }
                self.skip(Skip::UnreadableCommandRefused);
            }
            StatusKind::Ok if bounded(&verb) => {
                let view = self.session.selection().map(|s| s.view.len());
                let grew = seen
                    .iter()
                    .any(|s| matches!(s, Seen::Exists(n) if view.is_some_and(|v| *n as usize > v)));
                if grew {
                    return self.stop(Gap::CountDiffers);
                }
                if verb.ends_with("FETCH") && may_mark_seen(bytes) {
                    self.forget_flags();
                }
                self.skip(Skip::UnreadableCommandBounded);
            }
            StatusKind::Ok => {
                return self.stop(Stop::in_command(Gap::UnreadableCommandAccepted, verb));
            }
        }
        for s in &seen {
            if let Seen::Exists(n) = s {
                self.announced = Some(*n as usize);
            }
        }
        self.apply_exists(&seen, None);
        self.coverage.judged += 1;
    }
}

impl Oracle {
    /// The server accepted a command the model refuses (RFC 2060 leaves many such cases
    /// to the server: a sequence number beyond the mailbox, a reversed range, a flag the
    /// model does not allow). Follows on where the effect is bounded, true if it does:
    /// a FETCH, SEARCH, STATUS, LIST, ... changes nothing but `\Seen` (forgotten until
    /// shown); a STORE changes only flags (RFC 2060 §6.4.6), so the selected mailbox's
    /// flags are forgotten until the server shows them; a COPY from an empty mailbox
    /// copies nothing.
    pub(super) fn accepted_bounded(
        &mut self,
        step: Option<usize>,
        seen: &[Seen],
        bytes: &[u8],
    ) -> bool {
        let verb = verb(bytes);
        if seen.iter().any(|s| matches!(s, Seen::Expunge(_))) {
            return false;
        }
        let view = self.session.selection().map(|s| s.view.len());
        let grew = seen
            .iter()
            .any(|s| matches!(s, Seen::Exists(n) if view.is_some_and(|v| *n as usize > v)));
        if grew {
            return false;
        }
        match verb.as_str() {
            v if bounded(v) => {
                if v.ends_with("FETCH") && may_mark_seen(bytes) {
                    self.forget_flags();
                }
            }
            "STORE" | "UID STORE" => self.forget_stored_flags(),
            "COPY" | "UID COPY" if view == Some(0) => {}
            _ => return false,
        }
        self.apply_exists(seen, None);
        if verb.ends_with("FETCH") {
            // The FLAGS a FETCH response shows are the message's flags (RFC 2060 §7.4.2),
            // whatever the command asked for: those the model does not know are learnt.
            self.learn_flags(step, seen);
        }
        self.skip(Skip::AcceptedBounded);
        true
    }

    /// After a STORE the model could not run: every message of the selected mailbox has
    /// flags the server knows and the model does not, and flags an APPEND or COPY asked
    /// for may have been removed by it, so they are no longer expected.
    fn forget_stored_flags(&mut self) {
        if let Some(mb) = self.selected_mailbox_mut() {
            for m in mb.messages.iter_mut() {
                m.flags_known = false;
                m.expected_flags = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verb_of_a_uid_command_names_both_words() {
        assert_eq!(verb(b"a1 uid fetch 1:* (FLAGS\r\n"), "UID FETCH");
        assert_eq!(verb(b"a1 STORE 1 +FLAGS (\\Seen\r\n"), "STORE");
    }

    #[test]
    fn only_commands_without_effects_beyond_their_responses_are_bounded() {
        for v in ["FETCH", "UID SEARCH", "STATUS", "LIST", "NOOP"] {
            assert!(bounded(v), "{v}");
        }
        for v in [
            "STORE", "COPY", "EXPUNGE", "APPEND", "SELECT", "CLOSE", "DELETE",
        ] {
            assert!(!bounded(v), "{v}");
        }
    }

    #[test]
    fn a_fetch_of_a_body_section_may_set_seen_rfc2060_6_4_5() {
        assert!(may_mark_seen(b"a1 FETCH 1 (BODY[TEXT]"));
        assert!(may_mark_seen(b"a1 FETCH 1 RFC822.TEXT)"));
        assert!(may_mark_seen(b"a1 FETCH 1 (RFC822"));
        assert!(!may_mark_seen(b"a1 FETCH 1 (BODY.PEEK[] RFC822.SIZE"));
        assert!(!may_mark_seen(b"a1 FETCH 1 (RFC822.HEADER FLAGS"));
    }
}
