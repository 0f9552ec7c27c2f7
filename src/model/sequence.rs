//! Sequence sets: RFC 2060 §9 `set` / `sequence_num` (RFC 3501 §9 `sequence-set`).
//!
//! RFC 2060 §9: "`*` is the largest number in use.  For message sequence numbers, it is
//! the number of messages in the mailbox.  For unique identifiers, it is the unique
//! identifier of the last message in the mailbox."  A range covers both endpoints and all
//! values between them regardless of order (RFC 3501 §9: "2:4 and 4:2 are equivalent").
//!
//! Nothing here allocates in proportion to the numbers written in a set: ranges are
//! clipped to the mailbox (sequence numbers) or looked up in the sorted UID list (UIDs),
//! so `1:4294967295` against three messages costs three entries.

use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

/// A sequence set resolved against a mailbox's message sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// Sorted, de-duplicated message sequence numbers in `1..=message_count`.
    pub members: Vec<u32>,
    /// The set names a number greater than the message count (or any number at all, `*`
    /// included, in an empty mailbox). RFC 3501 §9: "The server should respond with a
    /// tagged BAD response to a command that uses a message sequence number greater than
    /// the number of messages in the selected mailbox.  This includes "*" if the selected
    /// mailbox is empty."  Servers differ (BAD, NO, or ignoring them); the caller decides.
    pub out_of_range: bool,
}

/// One `sequence_num` with `*` replaced by `star` (RFC 2060 §9).
fn value(n: &SeqOrUid, star: u32) -> u32 {
    match n {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => star,
    }
}

/// Inclusive bounds `(low, high)` of one set element, `*` = `star`, endpoints in either
/// order (RFC 3501 §9 `seq-range`: "regardless of order").
fn bounds(seq: &Sequence, star: u32) -> (u32, u32) {
    match seq {
        Sequence::Single(n) => {
            let v = value(n, star);
            (v, v)
        }
        Sequence::Range(a, b) => {
            let (a, b) = (value(a, star), value(b, star));
            (a.min(b), a.max(b))
        }
    }
}

/// The elements of `set` as sorted, disjoint, non-adjacent inclusive ranges (`*` = `star`).
fn merged_ranges(set: &SequenceSet, star: u32) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = set.0.as_ref().iter().map(|s| bounds(s, star)).collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// RFC 2060 §9: resolves a message sequence number set against a mailbox holding
/// `message_count` messages (`*` = `message_count`). Members are clipped to the mailbox;
/// numbers beyond it set [`Resolved::out_of_range`]. With `message_count == 0` every set
/// is out of range (RFC 3501 §9: `*` refers to "a non-empty mailbox").
pub fn resolve_seq(set: &SequenceSet, message_count: u32) -> Resolved {
    if message_count == 0 {
        return Resolved {
            members: Vec::new(),
            out_of_range: true,
        };
    }
    let mut out = Resolved::default();
    for (lo, hi) in merged_ranges(set, message_count) {
        if hi > message_count {
            out.out_of_range = true;
        }
        if lo <= message_count {
            out.members.extend(lo..=hi.min(message_count));
        }
    }
    out
}

/// RFC 2060 §9 and RFC 3501 §6.4.8: resolves a UID set against the sorted UIDs of the
/// mailbox. `*` is the largest UID present, so a range with `*` always includes the last
/// message unless the mailbox is empty ("a UID range of 559:* always includes the UID of
/// the last message in the mailbox, even if 559 is higher than any assigned UID value").
/// UIDs that name no message are ignored. Returns the existing UIDs in the set, sorted.
///
/// `uids` must be sorted ascending without duplicates (UIDs are strictly ascending in a
/// mailbox, RFC 2060 §2.3.1.1). In an empty mailbox the result is empty.
pub fn resolve_uid(set: &SequenceSet, uids: &[u32]) -> Vec<u32> {
    let Some(&largest) = uids.last() else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for (lo, hi) in merged_ranges(set, largest) {
        let start = uids.partition_point(|&u| u < lo);
        let end = uids.partition_point(|&u| u <= hi);
        members.extend_from_slice(&uids[start..end]);
    }
    members
}

/// RFC 2060 §9: whether message sequence number `seq` is in `set` (`*` =
/// `message_count`). No allocation proportional to the set's numbers.
pub fn contains_seq(set: &SequenceSet, seq: u32, message_count: u32) -> bool {
    set.0.as_ref().iter().any(|s| {
        let (lo, hi) = bounds(s, message_count);
        lo <= seq && seq <= hi
    })
}

/// RFC 2060 §9 and RFC 3501 §6.4.8: whether `uid` is in the UID set `set`, where `*` is
/// the largest UID of the sorted `uids` of the mailbox. Does not check that `uid` exists.
/// In an empty mailbox nothing is contained.
pub fn contains_uid(set: &SequenceSet, uid: u32, uids: &[u32]) -> bool {
    let Some(&largest) = uids.last() else {
        return false;
    };
    set.0.as_ref().iter().any(|s| {
        let (lo, hi) = bounds(s, largest);
        lo <= uid && uid <= hi
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        SequenceSet::try_from(s).unwrap()
    }

    fn seq(s: &str, n: u32) -> (Vec<u32>, bool) {
        let r = resolve_seq(&set(s), n);
        (r.members, r.out_of_range)
    }

    #[test]
    fn rfc2060_section9_example() {
        // RFC 2060 §9: "2,4:7,9,12:* is 2,4,5,6,7,9,12,13,14,15 for a mailbox with 15
        // messages."
        assert_eq!(
            seq("2,4:7,9,12:*", 15),
            (vec![2, 4, 5, 6, 7, 9, 12, 13, 14, 15], false)
        );
    }

    #[test]
    fn rfc3501_section9_examples() {
        // "2:4 and 4:2 are equivalent and indicate values 2, 3, and 4."
        assert_eq!(seq("2:4", 5), seq("4:2", 5));
        assert_eq!(seq("4:2", 5), (vec![2, 3, 4], false));
        // "*:4,5:7 for a mailbox with 10 messages is equivalent to 10,9,8,7,6,5,4,5,6,7
        // and MAY be reordered and overlap coalesced to be 4,5,6,7,8,9,10."
        assert_eq!(seq("*:4,5:7", 10), ((4..=10).collect(), false));
    }

    #[test]
    fn star_is_message_count_and_duplicates_collapse() {
        assert_eq!(seq("*", 3), (vec![3], false));
        assert_eq!(seq("3,1,3,2:1,*", 3), (vec![1, 2, 3], false));
    }

    #[test]
    fn numbers_beyond_the_mailbox_are_reported() {
        assert_eq!(seq("4", 3), (vec![], true));
        assert_eq!(seq("2:10", 3), (vec![2, 3], true));
        assert_eq!(seq("10:*", 3), (vec![3], true));
        assert_eq!(seq("1:3", 3), (vec![1, 2, 3], false));
    }

    #[test]
    fn empty_mailbox_every_set_is_out_of_range() {
        assert_eq!(seq("*", 0), (vec![], true));
        assert_eq!(seq("1", 0), (vec![], true));
        assert_eq!(seq("1:*", 0), (vec![], true));
    }

    #[test]
    fn huge_ranges_are_cheap() {
        let r = resolve_seq(&set("1:4294967295"), 3);
        assert_eq!(r.members, vec![1, 2, 3]);
        assert!(r.out_of_range);
        assert_eq!(
            resolve_uid(&set("1:4294967295,4294967295:1"), &[5, 9, 4000000000]),
            vec![5, 9, 4000000000]
        );
        assert!(contains_seq(&set("1:4294967295"), 2, 3));
    }

    #[test]
    fn uid_sets_take_existing_uids_only() {
        let uids = [3, 7, 8, 20];
        assert_eq!(resolve_uid(&set("1:7"), &uids), vec![3, 7]);
        assert_eq!(resolve_uid(&set("4:6,21"), &uids), Vec::<u32>::new());
        assert_eq!(resolve_uid(&set("8,7,8:7"), &uids), vec![7, 8]);
        assert_eq!(resolve_uid(&set("*"), &uids), vec![20]);
    }

    #[test]
    fn uid_range_with_star_includes_the_last_message() {
        // RFC 3501 §6.4.8: "a UID range of 559:* always includes the UID of the last
        // message in the mailbox, even if 559 is higher than any assigned UID value."
        let uids = [100, 200, 495];
        assert_eq!(resolve_uid(&set("559:*"), &uids), vec![495]);
        assert!(contains_uid(&set("559:*"), 495, &uids));
        assert!(!contains_uid(&set("559:*"), 200, &uids));
        // RFC 3501 §6.4.8: "UID range of 443:557 ... would include an existing UID 495."
        assert_eq!(resolve_uid(&set("443:557"), &uids), vec![495]);
        // "... unless the mailbox is empty."
        assert_eq!(resolve_uid(&set("559:*"), &[]), Vec::<u32>::new());
        assert!(!contains_uid(&set("*"), 1, &[]));
    }

    #[test]
    fn contains_agrees_with_resolve() {
        let sets = ["2,4:7,9,12:*", "*:4,5:7", "3", "1:*", "9:2", "5:*,1"];
        for s in sets {
            let ss = set(s);
            for n in 1..=12 {
                let r = resolve_seq(&ss, n);
                for m in 1..=n {
                    assert_eq!(
                        contains_seq(&ss, m, n),
                        r.members.contains(&m),
                        "{s} {m}/{n}"
                    );
                }
            }
            let uids = [2, 3, 5, 8, 13];
            let r = resolve_uid(&ss, &uids);
            for u in uids {
                assert_eq!(contains_uid(&ss, u, &uids), r.contains(&u), "{s} uid {u}");
            }
        }
    }
}
