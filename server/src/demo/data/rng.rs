//! A tiny deterministic random number generator (SplitMix64): the same seed always yields the
//! same synthetic data, on every machine, with no dependency.

pub struct Rng(u64);

impl Rng {
    /// A generator for one stream, e.g. (population seed, patient index, source kind).
    pub fn new(parts: &[u64]) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for part in parts {
            state = mix(state ^ part.wrapping_mul(0xD1B5_4A32_D192_ED03));
        }
        Self(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`0` when `n` is 0). The modulo bias is irrelevant for demo data.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty list.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// `n` different items of a list (all of them, shuffled, when `n` is larger), so one patient
    /// never gets the same problem or allergy twice.
    pub fn sample<T: Copy>(&mut self, items: &[T], n: usize) -> Vec<T> {
        let mut pool = items.to_vec();
        let n = n.min(pool.len());
        for i in 0..n {
            let j = i + self.index(pool.len() - i);
            pool.swap(i, j);
        }
        pool.truncate(n);
        pool
    }

    /// Uniform in `0..len` (`len` > 0).
    fn index(&mut self, len: usize) -> usize {
        // `below(len)` is less than `len`, which is a usize, so the conversion cannot fail.
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(parts: &[u64]) -> Vec<u64> {
        let mut r = Rng::new(parts);
        (0..5).map(|_| r.next_u64()).collect()
    }

    #[test]
    fn same_seed_same_stream_and_streams_differ() {
        assert_eq!(stream(&[1, 2]), stream(&[1, 2]));
        assert_ne!(stream(&[1, 2]), stream(&[1, 3]));
        assert_ne!(stream(&[1, 2]), stream(&[2, 1]));
    }

    #[test]
    fn between_stays_in_range_and_reaches_both_ends() {
        let mut r = Rng::new(&[7]);
        let values: Vec<i64> = (0..1000).map(|_| r.between(-3, 3)).collect();
        assert!(values.iter().all(|v| (-3..=3).contains(v)));
        assert!(values.contains(&-3) && values.contains(&3));
        assert_eq!(r.between(5, 5), 5);
    }

    #[test]
    fn sample_gives_distinct_items() {
        let mut r = Rng::new(&[9]);
        for n in 0..8 {
            let mut picked = r.sample(&[1, 2, 3, 4, 5], n);
            assert_eq!(picked.len(), n.min(5));
            picked.sort_unstable();
            picked.dedup();
            assert_eq!(picked.len(), n.min(5));
        }
    }
}
