//! The race judge's rules on FETCH data and flags: a FETCH names the message the client
//! holds at that number (RFC 2060 §7.4.1) and one it was told of (§5.2), flags a message
//! had (§6.4.5), `\Recent` in one session only (§2.3.2), and flag updates after a poll
//! (§5.2, a SHOULD).

use super::{rule, Doing, Judge};
use crate::gen::race::Side;
use crate::judge::lex::Tok;
use crate::judge::oracle::flags_of;
use crate::model::flags::{FlagSet, RECENT};

impl Judge<'_> {
    /// RFC 2060 §5.2: "A server SHOULD send message flag updates automatically". After a
    /// poll (NOOP, CHECK), every message whose flags the other connection changed since
    /// this one was last shown them should have been shown again.
    pub(super) fn owed_flag_updates(&mut self, i: usize, side: Side, name: &str) {
        if self.flags_lost || self.conns[side.index()].flag_update_missed {
            return;
        }
        let c = &self.conns[side.index()];
        let owed = c.view.iter().flatten().find_map(|uid| {
            let seen = c.last_seen.get(uid)?;
            let now = self.flags.get(uid)?.last()?;
            (seen != now && !self.gone.contains(uid)).then(|| (*uid, seen.clone(), now.clone()))
        });
        let Some((uid, seen, now)) = owed else {
            return;
        };
        self.conns[side.index()].flag_update_missed = true;
        let show = |f: &FlagSet| format!("({})", f.names().join(" "));
        self.find(
            i,
            side,
            rule::FLAG_UPDATES,
            format!(
                "{name} did not show that the other connection changed the flags of UID {uid} \
                 from {} to {}",
                show(&seen),
                show(&now)
            ),
            format!("* n FETCH (FLAGS {})", show(&now)),
            "no FETCH response for it".into(),
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn fetch(
        &mut self,
        i: usize,
        side: Side,
        seq: u32,
        items: &[(String, Tok)],
        doing: Doing,
        when: &str,
        observed: String,
    ) {
        let have = self.conns[side.index()].view.len();
        if seq == 0 || seq as usize > have {
            // Judged at the end of the command: an EXISTS may still come.
            let c = &mut self.conns[side.index()];
            if c.beyond.is_none_or(|(s, _)| s < seq) && seq > 0 {
                c.beyond = Some((seq, have));
            }
            return;
        }
        let shown_uid = items
            .iter()
            .find(|(n, _)| n == "UID")
            .and_then(|(_, t)| t.atom())
            .and_then(|a| std::str::from_utf8(a).ok()?.parse::<u32>().ok());
        let at = seq as usize - 1;
        let held = self.conns[side.index()].view[at];
        if let Some(u) = shown_uid {
            let elsewhere = self.conns[side.index()]
                .view
                .iter()
                .position(|x| *x == Some(u))
                .filter(|&p| p != at);
            match (held, elsewhere) {
                (Some(h), _) if h != u => {
                    self.find(
                        i,
                        side,
                        rule::DECREMENT,
                        format!(
                            "FETCH {when} says message {seq} has UID {u}, but the client holds \
                             UID {h} at {seq} and no EXPUNGE response renumbered it"
                        ),
                        format!("* {seq} FETCH (UID {h} ...)"),
                        observed,
                    );
                    return self.stop(side, "numbering differs from the server's");
                }
                (_, Some(p)) => {
                    self.find(
                        i,
                        side,
                        rule::DECREMENT,
                        format!(
                            "FETCH {when} says message {seq} has UID {u}, but the client holds \
                             UID {u} at {} and no EXPUNGE response renumbered it",
                            p + 1
                        ),
                        format!("* {} FETCH (UID {u} ...)", p + 1),
                        observed,
                    );
                    return self.stop(side, "numbering differs from the server's");
                }
                _ => self.conns[side.index()].view[at] = Some(u),
            }
        }
        let Some(uid) = shown_uid.or(held) else {
            return;
        };
        let Some(flags) = items
            .iter()
            .find(|(n, _)| n == "FLAGS")
            .and_then(|(_, t)| flags_of(t))
        else {
            return;
        };
        if !matches!(doing, Doing::FetchStoreSearch | Doing::UidFetchStoreSearch) {
            self.note("FETCH", when);
        }
        if flags.contains(RECENT) {
            self.conns[side.index()].recent.insert(uid);
            if self.conns[side.other().index()].recent.contains(&uid)
                && self.recent_reported.insert(uid)
            {
                self.find(
                    i,
                    side,
                    rule::RECENT_FIRST,
                    format!(
                        "UID {uid} is \\Recent in both connections (connection {} was shown it \
                         \\Recent first)",
                        side.other().letter()
                    ),
                    "\\Recent in at most one session".into(),
                    observed.clone(),
                );
            }
        }
        let value = flags.without_recent();
        self.conns[side.index()]
            .last_seen
            .insert(uid, value.clone());
        if self.flags_lost {
            return;
        }
        match self.flags.get(&uid) {
            None => {
                self.flags.insert(uid, vec![value]);
            }
            Some(h) if h.contains(&value) => {}
            Some(h) => {
                let had = h
                    .iter()
                    .map(|f| format!("({})", f.names().join(" ")))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.find(
                    i,
                    side,
                    rule::FLAGS_VALUE,
                    format!(
                        "FETCH {when} shows flags ({}) for UID {uid}, which it never had (it \
                         had {had})",
                        value.names().join(" ")
                    ),
                    format!("one of {had}"),
                    observed,
                );
                self.flags.entry(uid).or_default().push(value);
            }
        }
    }
}
