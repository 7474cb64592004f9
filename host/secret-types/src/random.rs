//! [`OsRandom`]: uniform choices from the operating system's random source, without modulo bias.
//!
//! Bytes come from `getrandom` (the kernel's CSPRNG), are buffered in a block that is wiped when
//! dropped, and become indices by rejection sampling: a 32-bit draw below `2^32 mod n` is thrown
//! away, so the draws kept are an exact multiple of `n` and `draw % n` is uniform.

use crate::error::TypeError;
use zeroize::Zeroizing;

const BLOCK: usize = 256;

/// A buffered reader of the operating system's random source.
pub(crate) struct OsRandom {
    block: Zeroizing<[u8; BLOCK]>,
    used: usize,
}

impl OsRandom {
    /// A reader whose first draw fills its buffer.
    pub(crate) fn new() -> Self {
        Self { block: Zeroizing::new([0; BLOCK]), used: BLOCK }
    }

    /// Fills `destination` straight from the operating system.
    pub(crate) fn fill(&mut self, destination: &mut [u8]) -> Result<(), TypeError> {
        getrandom::fill(destination).map_err(TypeError::randomness)
    }

    fn next_u32(&mut self) -> Result<u32, TypeError> {
        if self.used + 4 > BLOCK {
            getrandom::fill(&mut *self.block).map_err(TypeError::randomness)?;
            self.used = 0;
        }
        let bytes = &self.block[self.used..self.used + 4];
        self.used += 4;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A uniform index in `0..n`; `n` must not be zero.
    pub(crate) fn below(&mut self, n: u32) -> Result<u32, TypeError> {
        uniform_below(n, || self.next_u32())
    }

    /// A uniform element of `alphabet`, which must not be empty.
    pub(crate) fn pick(&mut self, alphabet: &[u8]) -> Result<u8, TypeError> {
        let n = u32::try_from(alphabet.len()).map_err(|_| TypeError::Policy("an alphabet is too large".to_owned()))?;
        let index = self.below(n)?;
        Ok(alphabet[index as usize])
    }

    /// Shuffles `items` uniformly (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) -> Result<(), TypeError> {
        for last in (1..items.len()).rev() {
            let bound =
                u32::try_from(last + 1).map_err(|_| TypeError::Policy("too many items to shuffle".to_owned()))?;
            let other = self.below(bound)? as usize;
            items.swap(last, other);
        }
        Ok(())
    }
}

/// Rejection sampling over 32-bit draws: keeps the first draw at or above `2^32 mod n` and
/// returns it modulo `n`.
fn uniform_below(n: u32, mut draw: impl FnMut() -> Result<u32, TypeError>) -> Result<u32, TypeError> {
    if n == 0 {
        return Err(TypeError::Policy("an empty alphabet".to_owned()));
    }
    // 2^32 mod n, computed in 32 bits: (2^32 - n) mod n.
    let threshold = n.wrapping_neg() % n;
    loop {
        let value = draw()?;
        if value >= threshold {
            return Ok(value % n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_below_the_threshold_are_rejected() {
        // n = 3: 2^32 mod 3 = 1, so a draw of 0 is thrown away and 1 is kept (1 % 3 = 1).
        let mut draws = [0u32, 1].into_iter();
        assert_eq!(uniform_below(3, || Ok(draws.next().unwrap_or(2))).ok(), Some(1));
        // n = 2^31 + 1: the threshold is 2^31 - 1, so a draw just below is rejected.
        let n = (1u32 << 31) + 1;
        let mut draws = [(1u32 << 31) - 2, u32::MAX].into_iter();
        assert_eq!(uniform_below(n, || Ok(draws.next().unwrap_or(0))).ok(), Some(u32::MAX % n));
        // A power of two never rejects.
        assert_eq!(uniform_below(8, || Ok(0)).ok(), Some(0));
        assert!(uniform_below(0, || Ok(0)).is_err());
    }

    #[test]
    fn picks_are_roughly_uniform() {
        let mut random = OsRandom::new();
        let mut counts = [0u32; 5];
        for _ in 0..5000 {
            let index = random.below(5).unwrap_or(0) as usize;
            counts[index] += 1;
        }
        // Each bucket expects 1000; 6 standard deviations is about 170.
        assert!(counts.iter().all(|count| (830..=1170).contains(count)), "{counts:?}");
    }

    #[test]
    fn shuffle_keeps_the_elements() {
        let mut random = OsRandom::new();
        let mut items: Vec<u32> = (0..100).collect();
        assert!(random.shuffle(&mut items).is_ok());
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(items, sorted, "a shuffle of 100 items left them in order");
    }
}
