//! The race judge's rules on the message count: EXISTS only for messages that were added
//! (RFC 2060 §7.3.1) and never shrinking under RFC 3501 §5.2, EXPUNGE only for a message
//! that was expunged, at a number the client has, and not while no command is in
//! progress nor during FETCH, STORE or SEARCH (RFC 2060 §7.4.1).

use super::{rule, Doing, Judge};
use crate::gen::race::Side;
use crate::model::Profile;

impl Judge<'_> {
    pub(super) fn exists(&mut self, i: usize, side: Side, n: usize, when: &str, observed: String) {
        let added = self.added;
        let c = &self.conns[side.index()];
        let have = c.view.len();
        if n < have {
            if self.profile == Profile::Rfc3501 {
                self.find(
                    i,
                    side,
                    rule::EXISTS_SHRINK_3501,
                    format!("EXISTS {n} {when}, but the client holds {have} messages and no EXPUNGE response said one went"),
                    format!("an EXISTS of at least {have}, or EXPUNGE responses"),
                    observed,
                );
            }
            return self.stop(side, "EXISTS smaller than the client's count");
        }
        let new = n - have;
        if new == 0 {
            return;
        }
        let may = added - c.base_added - c.told_new.min(added - c.base_added);
        if new > may && !self.adds_lost {
            self.find(
                i,
                side,
                rule::EXISTS_COUNT,
                format!(
                    "EXISTS {n} {when}: {new} new messages, but only {may} were added since \
                     this connection was told of {have}"
                ),
                format!("at most * {} EXISTS", have + may),
                observed,
            );
            return self.stop(side, "EXISTS counts messages that were never added");
        }
        let c = &mut self.conns[side.index()];
        if c.beyond.is_some_and(|(s, _)| s as usize <= n) {
            c.beyond = None;
        }
        c.told_new += new;
        c.view.extend(std::iter::repeat_n(None, new));
        self.note("EXISTS", when);
    }

    pub(super) fn expunge(
        &mut self,
        i: usize,
        side: Side,
        n: usize,
        doing: Doing,
        when: &str,
        observed: String,
    ) {
        if matches!(doing, Doing::Idle | Doing::FetchStoreSearch) {
            self.find(
                i,
                side,
                rule::EXPUNGE_FORBIDDEN,
                format!("EXPUNGE response ({n}) {when}"),
                "no EXPUNGE response while no command is in progress, or during FETCH, STORE or SEARCH".into(),
                observed.clone(),
            );
        }
        let have = self.conns[side.index()].view.len();
        if n == 0 || n > have {
            self.find(
                i,
                side,
                rule::EXPUNGE_REMOVED,
                format!("EXPUNGE {n} {when}, but the client holds only {have} messages"),
                format!("an EXPUNGE of a message from 1 to {have}"),
                observed,
            );
            return self.stop(side, "EXPUNGE of a message the client does not have");
        }
        let c = &mut self.conns[side.index()];
        let uid = c.view.remove(n - 1);
        // A number beyond the count moves down with the rest.
        if let Some((s, k)) = c.beyond {
            c.beyond = Some((if n < s as usize { s - 1 } else { s }, k));
        }
        match (uid, doing) {
            (Some(u), Doing::Expunge) => {
                if self.gone.insert(u) {
                    self.count = if self.gone_unidentified {
                        None
                    } else {
                        self.count.map(|c| c.saturating_sub(1))
                    };
                } else {
                    self.note("EXPUNGE", when);
                }
            }
            (None, Doing::Expunge) => {
                self.gone_unidentified = true;
                self.count = None;
            }
            (Some(u), _) => {
                if !self.gone.contains(&u) && !self.gone_unidentified {
                    self.find(
                        i,
                        side,
                        rule::EXPUNGE_REMOVED,
                        format!(
                            "EXPUNGE {n} {when} reports UID {u} removed, but neither connection expunged it"
                        ),
                        "EXPUNGE responses only for messages removed from the mailbox".into(),
                        observed,
                    );
                }
                self.note("EXPUNGE", when);
            }
            (None, _) => self.note("EXPUNGE", when),
        }
    }
}
