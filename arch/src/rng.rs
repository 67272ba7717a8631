//! Seeded random numbers: xoshiro256++ streams seeded through SplitMix64, and a
//! stateless 64-bit hash for values that must be stable per location (weak cells).
//!
//! Our own ~60 lines rather than a crate: bit-identical results across versions and
//! platforms matter more here than distribution breadth.

/// SplitMix64 step: used to expand a seed and as a stateless mixer.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    mix64(*state)
}

/// Stateless avalanche mix of a 64-bit value (the SplitMix64 finalizer).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a (seed, key) pair to a uniform 64-bit value; stable forever.
#[inline]
pub fn hash2(seed: u64, key: u64) -> u64 {
    mix64(seed ^ mix64(key.wrapping_add(0x632B_E59B_D9B4_E019)))
}

/// Uniform f64 in [0, 1) from 53 high bits.
#[inline]
pub fn unit_f64(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// xoshiro256++: fast, small-state, good-quality generator.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// An independent stream derived from this seed and a stream id.
    pub fn stream(seed: u64, stream_id: u64) -> Self {
        Rng::new(hash2(seed, stream_id))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform f64 in [0, 1).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// Uniform f32 in [0, 1).
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform integer in [0, n) (Lemire's multiply-shift; n > 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability p.
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// Standard normal (Box-Muller; one value per call, simple over fast).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_uniform() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| a.next_f64()).sum::<f64>() / n as f64;
        // Var of U(0,1) is 1/12; 5 sigma of the mean is ~0.0032.
        assert!((mean - 0.5).abs() < 0.0033, "mean {mean}");
        let hits = (0..n).filter(|_| a.below(10) == 3).count() as f64 / n as f64;
        assert!((hits - 0.1).abs() < 0.004, "below {hits}");
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(hash2(1, 2), hash2(1, 2));
        assert_ne!(hash2(1, 2), hash2(2, 1));
    }
}
