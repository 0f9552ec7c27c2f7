//! Sessions finish in any order; what depends on their order is done in session order.
//!
//! Which session is kept for a new response signature is decided by the first session,
//! in session order, that showed it; derived sessions choose their parents among the kept
//! ones. Done in the order sessions happened to finish, the choice would depend on
//! `--jobs` and on how fast each server answered, and the same seed would not send the
//! same bytes. [`InOrder`] holds what a session left to do until every earlier session
//! has finished, then hands it out in session order.

use std::collections::{BTreeMap, BTreeSet};

/// Work left by finished sessions, handed out in session order.
#[derive(Debug)]
pub struct InOrder<T> {
    /// Every session below it has been handed out (or had nothing to hand out).
    next: u64,
    /// Sessions at or above `next` that have finished, with what they left to do.
    waiting: BTreeMap<u64, Option<T>>,
}

impl<T> InOrder<T> {
    /// Nothing handed out yet; `done_before` finished earlier (an interrupted campaign's
    /// sessions, `--resume`) and have nothing left to do.
    pub fn new(done_before: &BTreeSet<u64>) -> InOrder<T> {
        let mut order = InOrder {
            next: 0,
            waiting: done_before.iter().map(|&i| (i, None)).collect(),
        };
        order.due(|_| false);
        order
    }

    /// Every session below this number has been handed out.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Session `index` finished, leaving `work` (`None`: nothing). Returns the work now
    /// due, in session order. Sessions for which `skipped` holds never run here (another
    /// shard's): they are not waited for.
    pub fn finish(
        &mut self,
        index: u64,
        work: Option<T>,
        skipped: impl Fn(u64) -> bool,
    ) -> Vec<(u64, T)> {
        self.waiting.insert(index, work);
        self.due(skipped)
    }

    /// Everything still waiting, in session order, whatever did not finish in between
    /// (the campaign is ending: sessions that never started leave gaps).
    pub fn rest(&mut self) -> Vec<(u64, T)> {
        if let Some((&last, _)) = self.waiting.last_key_value() {
            self.next = last + 1;
        }
        std::mem::take(&mut self.waiting)
            .into_iter()
            .filter_map(|(i, w)| w.map(|w| (i, w)))
            .collect()
    }

    fn due(&mut self, skipped: impl Fn(u64) -> bool) -> Vec<(u64, T)> {
        let mut out = Vec::new();
        loop {
            if let Some(work) = self.waiting.remove(&self.next) {
                out.extend(work.map(|w| (self.next, w)));
            } else if !skipped(self.next) || self.waiting.is_empty() {
                return out;
            }
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: u64) -> bool {
        false
    }

    #[test]
    fn work_is_handed_out_in_session_order_whatever_order_sessions_finish_in() {
        let mut o = InOrder::new(&BTreeSet::new());
        assert!(o.finish(2, Some('c'), none).is_empty());
        assert!(o.finish(1, Some('b'), none).is_empty());
        assert_eq!(o.next(), 0);
        assert_eq!(
            o.finish(0, Some('a'), none),
            vec![(0, 'a'), (1, 'b'), (2, 'c')]
        );
        assert_eq!(o.next(), 3);
        assert_eq!(o.finish(3, Some('d'), none), vec![(3, 'd')]);
    }

    #[test]
    fn a_session_with_nothing_to_do_still_lets_later_ones_through() {
        let mut o = InOrder::new(&BTreeSet::new());
        assert!(o.finish(1, Some('b'), none).is_empty());
        assert_eq!(o.finish(0, None, none), vec![(1, 'b')]);
        assert_eq!(o.next(), 2);
    }

    #[test]
    fn sessions_finished_before_a_resume_are_not_waited_for() {
        let before: BTreeSet<u64> = [0, 1, 3].into();
        let mut o = InOrder::new(&before);
        assert_eq!(o.next(), 2);
        assert_eq!(o.finish(2, Some('c'), none), vec![(2, 'c')]);
        assert_eq!(o.next(), 4);
    }

    #[test]
    fn another_shards_sessions_are_not_waited_for() {
        let mut o = InOrder::new(&BTreeSet::new());
        let odd_only = |i: u64| i % 2 == 0;
        assert_eq!(o.finish(3, Some('d'), odd_only), Vec::new());
        assert_eq!(o.finish(1, Some('b'), odd_only), vec![(1, 'b'), (3, 'd')]);
        // Once nothing waits it goes no further (not on and on through the others').
        assert_eq!(o.next(), 4);
    }

    #[test]
    fn the_rest_comes_in_order_across_gaps_left_by_sessions_that_never_ran() {
        let mut o = InOrder::new(&BTreeSet::new());
        assert!(o.finish(4, Some('e'), none).is_empty());
        assert!(o.finish(2, Some('c'), none).is_empty());
        assert!(o.finish(3, None, none).is_empty());
        assert_eq!(o.rest(), vec![(2, 'c'), (4, 'e')]);
        assert_eq!(o.next(), 5);
        assert!(o.rest().is_empty());
    }
}
