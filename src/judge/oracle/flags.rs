//! FETCH FLAGS that lack flags: a partial list, or flags lost? (RFC 2060 §6.4.5 "FLAGS
//! The flags that are set for this message.")
//!
//! A server that reports only some flags in a FETCH FLAGS (Mailutils lists just the
//! `\Seen` a body FETCH set) shows it when it later lists the missing flags again without
//! any command having set them: it contradicts itself, one violation of the FLAGS
//! definition. The oracle holds a FLAGS that lacks flags as a claim until the server shows
//! that message's flags again: a later FLAGS with a missing flag settles it as partial; one
//! without them, or none, leaves the first reading (the flags were lost, or the APPEND or
//! COPY did not set them, judged as before).

use super::{rule, Oracle};
use crate::judge::cause::Cause;
use crate::model::flags::FlagSet;

/// A FETCH FLAGS that lacked flags the model holds (or that APPEND or COPY asked for).
#[derive(Clone, Debug)]
pub(in crate::judge) struct FlagClaim {
    pub step: Option<usize>,
    pub seq: u32,
    pub id: u64,
    /// The flags shown.
    pub shown: FlagSet,
    /// The flags it lacked.
    pub missing: FlagSet,
    /// Flags named by any STORE since: a later FLAGS may show them because of it.
    pub touched: FlagSet,
    /// What to report if the claim is never settled: the requirement, summary, expected
    /// (`None`: nothing).
    pub otherwise: Option<(&'static str, String, String)>,
    /// The flags were not known when the claim was made: flags shown again without the
    /// missing ones are learnt and judged there, not here.
    pub learnt_later: bool,
}

fn list(f: &FlagSet) -> String {
    format!("({})", f.names().join(" "))
}

impl Oracle {
    /// Holds a FLAGS response for message `id` that lacks `missing` until the server
    /// shows the message's flags again.
    pub(super) fn claim_flags(&mut self, claim: FlagClaim) {
        self.flag_claims.retain(|c| c.id != claim.id);
        self.flag_claims.push(claim);
    }

    /// Flags a STORE names: a later FLAGS may show them because of it.
    pub(super) fn touch_flags(&mut self, names: &[String]) {
        for c in &mut self.flag_claims {
            for n in names {
                c.touched.insert(n);
            }
        }
    }

    /// The server showed `flags` for message `id` (sequence number `seq`) at `step`: a
    /// claim about the same message made earlier is settled. True when it showed a flag
    /// the earlier FLAGS lacked (the earlier list was partial).
    pub(super) fn settle_flags(
        &mut self,
        step: Option<usize>,
        seq: u32,
        id: u64,
        flags: &FlagSet,
    ) -> bool {
        let Some(i) = self
            .flag_claims
            .iter()
            .position(|c| c.id == id && c.step != step)
        else {
            return false;
        };
        let c = self.flag_claims.remove(i);
        let back: Vec<String> = c
            .missing
            .names()
            .into_iter()
            .filter(|f| flags.contains(f) && !c.touched.contains(f))
            .collect();
        if back.is_empty() {
            // Still missing: the first reading stands (judged where the flags are learnt,
            // when they were not known).
            if let (Some((id, summary, expected)), false) = (c.otherwise, c.learnt_later) {
                self.find(
                    c.step.or(step),
                    id,
                    summary,
                    expected,
                    format!("FLAGS {}", list(&c.shown)),
                );
            }
            return false;
        }
        let at = |s: Option<usize>| s.map(|s| format!("step {}", s + 1)).unwrap_or_default();
        self.find_cause(
            c.step,
            rule::FLAGS_VALUE,
            None,
            Cause::FlagsPartial,
            format!(
                "FETCH FLAGS of message {} ({}) lists only {}, but the server's own later FLAGS \
                 of message {seq} ({}) show {} set, which no command in between set",
                c.seq,
                at(c.step),
                list(&c.shown),
                at(step),
                back.join(" ")
            ),
            format!("FLAGS including {}", list(&c.missing)),
            format!(
                "* {} FETCH (FLAGS {}) ({})\n* {seq} FETCH (FLAGS {}) ({})",
                c.seq,
                list(&c.shown),
                at(c.step),
                list(flags),
                at(step)
            ),
        );
        true
    }

    /// Claims never settled: their first reading, if any.
    pub(super) fn judge_flag_claims(&mut self) {
        for c in std::mem::take(&mut self.flag_claims) {
            if let Some((id, summary, expected)) = c.otherwise {
                self.find(
                    c.step,
                    id,
                    summary,
                    expected,
                    format!("FLAGS {}", list(&c.shown)),
                );
            }
        }
    }
}
