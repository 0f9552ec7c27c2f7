//! Where the generator's decisions come from.
//!
//! Every decision is drawn from an [`arbitrary::Unstructured`], so the same decision code
//! can later run on libFuzzer's bytes. For seeded campaigns the bytes come from
//! [`SplitMix64`], seeded from `(seed, index)`; each command gets a fresh chunk, so a
//! session never runs dry in practice.
//!
//! When a buffer does run out, `Unstructured` answers the lowest value of every range.
//! The helpers here are arranged so that the lowest value is always the ordinary choice
//! (the first entry of a weighted list, the common branch of a [`chance`]), which keeps
//! an exhausted buffer producing plain, valid commands and every loop finite.

use arbitrary::Unstructured;

/// Bytes drawn for each command of a seeded session.
pub const CHUNK_BYTES: usize = 1024;

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed 64-bit generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The generator for session `index` of campaign `seed`. Both numbers go through the
    /// finaliser, so neighbouring seeds and indices give unrelated streams.
    pub fn for_session(seed: u64, index: u64) -> Self {
        let seed_mix = mix(seed ^ 0x6A09_E667_F3BC_C908);
        let index_mix = mix(index.wrapping_add(0xBB67_AE85_84CA_A73B));
        SplitMix64 {
            state: mix(seed_mix ^ index_mix.rotate_left(29)),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Overwrites `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// The SplitMix64 output finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `lo..=hi`; `lo` when the bytes have run out.
pub fn int(u: &mut Unstructured, lo: u32, hi: u32) -> u32 {
    if hi <= lo {
        return lo;
    }
    u.int_in_range(lo..=hi).unwrap_or(lo)
}

/// An index below `len` (which must be non-zero); `0` when the bytes have run out.
pub fn index(u: &mut Unstructured, len: usize) -> usize {
    debug_assert!(len > 0);
    if len <= 1 {
        return 0;
    }
    u.int_in_range(0..=len - 1).unwrap_or(0)
}

/// True with probability `num/den`; false when the bytes have run out, so the rare
/// branch is always the one guarded by `chance`.
pub fn chance(u: &mut Unstructured, num: u32, den: u32) -> bool {
    debug_assert!(den > 0 && num <= den);
    let draw = u.int_in_range(0..=den - 1).unwrap_or(0);
    draw >= den - num
}

/// One element of a non-empty slice; the first when the bytes have run out.
pub fn pick<'a, T>(u: &mut Unstructured, items: &'a [T]) -> &'a T {
    &items[index(u, items.len())]
}

/// One element by weight; the first entry with a non-zero weight when the bytes have run
/// out. Panics if every weight is zero (a bug in the caller's table).
pub fn weighted<T: Copy>(u: &mut Unstructured, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|&(_, w)| w).sum();
    assert!(total > 0, "weighted choice from an all-zero table");
    let mut draw = int(u, 0, total - 1);
    for &(item, w) in table {
        if draw < w {
            return item;
        }
        draw -= w;
    }
    unreachable!("draw is below the total weight")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_index() {
        let first = |s, i| SplitMix64::for_session(s, i).next_u64();
        assert_ne!(first(1, 0), first(2, 0));
        assert_ne!(first(1, 0), first(1, 1));
        assert_ne!(first(0, 1), first(1, 0));
        assert_eq!(first(7, 9), first(7, 9));
    }

    #[test]
    fn exhausted_bytes_give_the_ordinary_choice() {
        let mut u = Unstructured::new(&[]);
        assert!(!chance(&mut u, 1, 2));
        assert_eq!(int(&mut u, 3, 9), 3);
        assert_eq!(*pick(&mut u, &["a", "b"]), "a");
        assert_eq!(weighted(&mut u, &[("z", 0), ("x", 5), ("y", 1)]), "x");
    }

    #[test]
    fn chance_takes_both_branches() {
        let mut bytes = vec![0u8; 4096];
        SplitMix64::for_session(1, 1).fill(&mut bytes);
        let mut u = Unstructured::new(&bytes);
        let hits = (0..1000).filter(|_| chance(&mut u, 1, 4)).count();
        assert!((150..350).contains(&hits), "{hits} of 1000 at 1/4");
    }
}
