//! UIDs the model does not know yet (a server assigns them, RFC 2060 §2.3.1.1), bounded
//! by the ones it knows: "Unique identifiers are assigned in a strictly ascending fashion
//! in the mailbox; as each message is added to the mailbox it is assigned a higher UID
//! than the message(s) which were added previously." So in sequence order UIDs ascend
//! strictly, and a message whose UID is unknown lies strictly between its neighbours'.
//! A UID set then often names the same messages whatever the unknown UIDs are: `UID n:*`
//! names every message whose UID is at least `n`, `*` the last message.

use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

/// For each message of the mailbox in sequence order, its UID if known: the inclusive
/// bounds its UID must lie in.
pub fn bounds(uids: &[Option<u32>]) -> Vec<(u32, u32)> {
    let mut lo = Vec::with_capacity(uids.len());
    let mut prev: u64 = 0;
    for u in uids {
        let v = u.map(u64::from).unwrap_or(prev + 1);
        lo.push(v.min(u64::from(u32::MAX)) as u32);
        prev = v;
    }
    let mut hi = vec![0u32; uids.len()];
    let mut next: u64 = u64::from(u32::MAX) + 1;
    for (i, u) in uids.iter().enumerate().rev() {
        let v = u.map(u64::from).unwrap_or(next.saturating_sub(1));
        hi[i] = v.min(u64::from(u32::MAX)) as u32;
        next = v;
    }
    lo.into_iter().zip(hi).collect()
}

/// Whether a set names a message: yes, no, or it depends on an unknown UID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    In,
    Out,
    Unknown,
}

/// The indices (in sequence order) of the messages the UID set `set` names, when that
/// does not depend on the UIDs the model does not know; `None` when it does. `rfc3501`:
/// `n:*` with `n` above the largest UID names the last message (RFC 3501 §6.4.8);
/// RFC 2060 does not define it.
pub fn members(set: &SequenceSet, uids: &[Option<u32>], rfc3501: bool) -> Option<Vec<usize>> {
    let classes = classify(set, uids, rfc3501)?;
    if classes.contains(&Member::Unknown) {
        return None;
    }
    Some(
        classes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == Member::In)
            .map(|(i, _)| i)
            .collect(),
    )
}

/// For each message in sequence order, whether the UID set `set` names it; `None` where
/// RFC 2060 does not define the set (`n:*` with `n` above the largest UID).
pub fn classify(set: &SequenceSet, uids: &[Option<u32>], rfc3501: bool) -> Option<Vec<Member>> {
    let Some(last) = uids.len().checked_sub(1) else {
        return Some(vec![]);
    };
    let b = bounds(uids);
    let (last_lo, last_hi) = b[last];
    let mut out = Vec::new();
    for (i, &(lo, hi)) in b.iter().enumerate() {
        let mut any_unknown = false;
        let mut named = false;
        for s in set.0.as_ref() {
            let m = match s {
                Sequence::Single(SeqOrUid::Value(x)) => within(x.get(), x.get(), lo, hi),
                Sequence::Single(SeqOrUid::Asterisk)
                | Sequence::Range(SeqOrUid::Asterisk, SeqOrUid::Asterisk) => {
                    if i == last {
                        Member::In
                    } else {
                        Member::Out
                    }
                }
                Sequence::Range(SeqOrUid::Value(a), SeqOrUid::Value(z)) => {
                    let (a, z) = (a.get().min(z.get()), a.get().max(z.get()));
                    within(a, z, lo, hi)
                }
                Sequence::Range(SeqOrUid::Value(a), SeqOrUid::Asterisk)
                | Sequence::Range(SeqOrUid::Asterisk, SeqOrUid::Value(a)) => {
                    let a = a.get();
                    if a <= last_lo {
                        // `a:*` is `a` up to the largest UID, the last message's.
                        within(a, u32::MAX, lo, hi)
                    } else if a > last_hi {
                        if !rfc3501 {
                            return None;
                        }
                        if i == last {
                            Member::In
                        } else {
                            Member::Out
                        }
                    } else {
                        Member::Unknown
                    }
                }
            };
            match m {
                Member::In => named = true,
                Member::Unknown => any_unknown = true,
                Member::Out => {}
            }
        }
        out.push(if named {
            Member::In
        } else if any_unknown {
            Member::Unknown
        } else {
            Member::Out
        });
    }
    Some(out)
}

/// Whether a UID in `lo..=hi` is in the range `a..=z`.
fn within(a: u32, z: u32, lo: u32, hi: u32) -> Member {
    if a <= lo && hi <= z {
        Member::In
    } else if hi < a || lo > z {
        Member::Out
    } else {
        Member::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        SequenceSet::try_from(s).unwrap()
    }

    #[test]
    fn an_unknown_uid_lies_strictly_between_its_neighbours_rfc2060_2_3_1_1() {
        assert_eq!(
            bounds(&[Some(3), None, None, Some(9), None]),
            vec![(3, 3), (4, 7), (5, 8), (9, 9), (10, u32::MAX)]
        );
    }

    #[test]
    fn a_uid_set_below_every_unknown_uid_is_decided() {
        let uids = [Some(1), Some(2), None];
        assert_eq!(members(&set("1:2"), &uids, false), Some(vec![0, 1]));
        assert_eq!(members(&set("2"), &uids, false), Some(vec![1]));
        // The third message's UID is above 2: whether it is 5 is unknown.
        assert_eq!(members(&set("5"), &uids, false), None);
    }

    #[test]
    fn star_is_the_last_message_whatever_its_uid() {
        let uids = [Some(1), None, None];
        assert_eq!(members(&set("*"), &uids, false), Some(vec![2]));
        assert_eq!(members(&set("1:*"), &uids, false), Some(vec![0, 1, 2]));
        assert_eq!(members(&set("2:*"), &uids, false), Some(vec![1, 2]));
        assert_eq!(members(&set("1,*"), &uids, false), Some(vec![0, 2]));
    }

    #[test]
    fn a_range_above_every_possible_uid_is_rfc2060_undefined_and_rfc3501_the_last() {
        let uids = [Some(u32::MAX - 1), None];
        assert_eq!(members(&set("1:*"), &uids, false), Some(vec![0, 1]));
        let uids = [Some(5), Some(u32::MAX)];
        assert_eq!(members(&set("4294967295:*"), &uids, false), Some(vec![1]));
    }

    #[test]
    fn the_members_never_depend_on_the_values_the_unknown_uids_take() {
        // Every assignment of ascending UIDs within the bounds gives the same members.
        let known = [Some(2), None, None, Some(7), None];
        for s in ["1:3", "3:6", "*", "4:*", "2,7", "8:*", "1:100", "6"] {
            let Some(decided) = members(&set(s), &known, true) else {
                continue;
            };
            for a in 3..=5u32 {
                for b in a + 1..=6 {
                    for e in 8..=10u32 {
                        let full = [2, a, b, 7, e];
                        let largest = e;
                        let named: Vec<usize> = full
                            .iter()
                            .enumerate()
                            .filter(|(_, u)| {
                                set(s).0.as_ref().iter().any(|q| {
                                    let v = |x: &SeqOrUid| match x {
                                        SeqOrUid::Value(n) => n.get(),
                                        SeqOrUid::Asterisk => largest,
                                    };
                                    let (lo, hi) = match q {
                                        Sequence::Single(x) => (v(x), v(x)),
                                        Sequence::Range(x, y) => (v(x).min(v(y)), v(x).max(v(y))),
                                    };
                                    lo <= **u && **u <= hi
                                })
                            })
                            .map(|(i, _)| i)
                            .collect();
                        assert_eq!(named, decided, "{s} with {full:?}");
                    }
                }
            }
        }
    }
}
