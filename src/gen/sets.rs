//! Message sets: RFC 2060 §9 `set ::= sequence_num / (sequence_num ":" sequence_num) /
//! (set "," set)`, `sequence_num ::= nz_number / "*"`.
//!
//! The same syntax names message sequence numbers (RFC 2060 §2.3.1.2) or, after UID,
//! unique identifiers (RFC 2060 §2.3.1.1). Sets are drawn mostly inside what the session
//! believes the mailbox holds, sometimes beyond it.

use arbitrary::Unstructured;

use super::entropy::{chance, int, weighted};

/// One end of a range: a number, or `*` ("the largest number in use").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Number(u32),
    Star,
}

/// A set: one or more ranges (a single number is a range with equal ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSet {
    pub ranges: Vec<(Bound, Bound)>,
}

impl MessageSet {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_bound(&mut out, a);
            if a != b {
                out.push(':');
                push_bound(&mut out, b);
            }
        }
        out
    }

    /// Whether a range is written high end first (`4:2`), which RFC 2060 leaves undefined.
    pub fn has_reversed_range(&self) -> bool {
        self.ranges.iter().any(|&(a, b)| match (a, b) {
            (Bound::Number(a), Bound::Number(b)) => a > b,
            (Bound::Star, Bound::Number(_)) => true,
            _ => false,
        })
    }

    /// The positions (0-based) of messages a sequence-number set names in a mailbox of
    /// `count` messages, or `None` if any number is out of range, which RFC 2060 §6.4.5
    /// and §9 make an error (so the command changes nothing).
    pub fn sequence_positions(&self, count: usize) -> Option<Vec<usize>> {
        let count = u32::try_from(count).ok()?;
        if count == 0 {
            return None;
        }
        let value = |b: Bound| match b {
            Bound::Number(n) => n,
            Bound::Star => count,
        };
        let mut hits = vec![false; count as usize];
        for &(a, b) in &self.ranges {
            let (lo, hi) = ordered(value(a), value(b));
            if hi > count {
                return None;
            }
            for n in lo..=hi {
                hits[(n - 1) as usize] = true;
            }
        }
        Some(positions(&hits))
    }

    /// The positions of messages whose unique identifiers a UID set names. RFC 2060 §6.4.8:
    /// unknown identifiers are simply skipped; `*` is the highest identifier in use.
    pub fn uid_positions(&self, uids: &[u32]) -> Vec<usize> {
        let Some(&max) = uids.iter().max() else {
            return Vec::new();
        };
        let value = |b: Bound| match b {
            Bound::Number(n) => n,
            Bound::Star => max,
        };
        let hits: Vec<bool> = uids
            .iter()
            .map(|&uid| {
                self.ranges.iter().any(|&(a, b)| {
                    let (lo, hi) = ordered(value(a), value(b));
                    (lo..=hi).contains(&uid)
                })
            })
            .collect();
        positions(&hits)
    }
}

fn push_bound(out: &mut String, b: Bound) {
    match b {
        Bound::Number(n) => out.push_str(&n.to_string()),
        Bound::Star => out.push('*'),
    }
}

fn ordered(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

fn positions(hits: &[bool]) -> Vec<usize> {
    hits.iter()
        .enumerate()
        .filter_map(|(i, &h)| h.then_some(i))
        .collect()
}

#[derive(Clone, Copy)]
enum Shape {
    Single,
    Range,
    ToStar,
    Star,
    All,
    Beyond,
}

/// A set over the numbers `numbers` (sequence numbers `1..=n`, or the UIDs in use),
/// mostly inside them. `beyond` is the first number not in use.
pub fn draw_set(u: &mut Unstructured, numbers: &[u32], beyond: u32) -> MessageSet {
    if numbers.is_empty() {
        return draw_set_for_empty(u);
    }
    let mut ranges = Vec::new();
    loop {
        let pick_number = |u: &mut Unstructured| numbers[super::entropy::index(u, numbers.len())];
        let shape = weighted(
            u,
            &[
                (Shape::Single, 10),
                (Shape::Range, 6),
                (Shape::ToStar, 2),
                (Shape::All, 3),
                (Shape::Star, 2),
                (Shape::Beyond, 1),
            ],
        );
        let range = match shape {
            Shape::Single => {
                let n = Bound::Number(pick_number(u));
                (n, n)
            }
            Shape::Range => {
                let (a, b) = (pick_number(u), pick_number(u));
                // Mostly in order: RFC 2060 does not say what `4:2` means (RFC 3501 §9
                // made it `2:4`), so a reversed range is a rarer, deliberate edge.
                if chance(u, 1, 8) {
                    (Bound::Number(a.max(b)), Bound::Number(a.min(b)))
                } else {
                    (Bound::Number(a.min(b)), Bound::Number(a.max(b)))
                }
            }
            Shape::ToStar => (Bound::Number(pick_number(u)), Bound::Star),
            Shape::All => (Bound::Number(1), Bound::Star),
            Shape::Star => (Bound::Star, Bound::Star),
            Shape::Beyond => {
                let n = Bound::Number(beyond.saturating_add(int(u, 0, 20)));
                if chance(u, 1, 2) {
                    (n, n)
                } else {
                    (Bound::Number(pick_number(u)), n)
                }
            }
        };
        ranges.push(range);
        if ranges.len() >= 4 || !chance(u, 1, 4) {
            break;
        }
    }
    MessageSet { ranges }
}

/// A set for a mailbox believed empty: every choice names a message that is not there.
fn draw_set_for_empty(u: &mut Unstructured) -> MessageSet {
    let one = Bound::Number(1);
    let ranges = match int(u, 0, 3) {
        0 => vec![(one, one)],
        1 => vec![(one, Bound::Star)],
        2 => vec![(Bound::Star, Bound::Star)],
        _ => vec![(one, Bound::Number(int(u, 2, 9)))],
    };
    MessageSet { ranges }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[(Bound, Bound)]) -> MessageSet {
        MessageSet {
            ranges: ranges.to_vec(),
        }
    }
    use Bound::{Number as N, Star};

    #[test]
    fn renders_rfc_2060_sets() {
        assert_eq!(set(&[(N(1), N(1))]).render(), "1");
        assert_eq!(
            set(&[(N(4), N(2)), (Star, Star), (N(3), Star)]).render(),
            "4:2,*,3:*"
        );
    }

    #[test]
    fn sequence_positions_refuse_out_of_range() {
        assert_eq!(set(&[(N(3), N(2))]).sequence_positions(3), Some(vec![1, 2]));
        assert_eq!(set(&[(N(2), Star)]).sequence_positions(3), Some(vec![1, 2]));
        assert_eq!(set(&[(N(4), N(4))]).sequence_positions(3), None);
        assert_eq!(set(&[(Star, Star)]).sequence_positions(0), None);
    }

    #[test]
    fn uid_positions_skip_unknown_uids() {
        assert_eq!(
            set(&[(N(2), N(9))]).uid_positions(&[1, 3, 7, 12]),
            vec![1, 2]
        );
        assert_eq!(set(&[(Star, Star)]).uid_positions(&[1, 3]), vec![1]);
        assert!(set(&[(N(1), N(2)), (N(4), N(3))]).has_reversed_range());
        assert!(!set(&[(N(1), Star), (Star, Star)]).has_reversed_range());
        assert!(set(&[(N(1), Star)]).uid_positions(&[]).is_empty());
    }
}
