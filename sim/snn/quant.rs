//! Unsigned fixed-point weights: `bits` total, `frac_bits` of them after the binary point
//! (value = code / 2^frac_bits), codes saturating at 2^bits - 1. Weights here are
//! non-negative (STDP keeps them in [0, w_max]), so no sign bit is spent.
//! The engine keeps weights as f32 on the grid, which is exact for codes of up to 24
//! significant bits (wider codes lose their low bits).

use super::config::Rounding;
use spikemem_arch::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantSpec {
    pub bits: u32,
    pub frac_bits: u32,
    pub rounding: Rounding,
}

impl QuantSpec {
    /// Weight resolution (value of one code step).
    pub fn step(&self) -> f32 {
        (2.0f64).powi(-(self.frac_bits as i32)) as f32
    }
    pub fn max_code(&self) -> u32 {
        if self.bits >= 32 {
            u32::MAX
        } else {
            (1u32 << self.bits) - 1
        }
    }
    pub fn max_value(&self) -> f32 {
        (self.max_code() as f64 * self.step() as f64) as f32
    }

    /// Code of value `w` (clamped to the representable range). `rng` is used only for
    /// stochastic rounding (round up with probability equal to the fractional part).
    #[inline]
    pub fn encode(&self, w: f32, rng: &mut Rng) -> u32 {
        let x = (w.max(0.0) as f64) * (self.frac_bits as f64).exp2();
        let q = match self.rounding {
            Rounding::Nearest => (x + 0.5).floor(),
            Rounding::Truncate => x.floor(),
            Rounding::Stochastic => {
                let f = x.floor();
                if rng.next_f64() < x - f {
                    f + 1.0
                } else {
                    f
                }
            }
        };
        q.min(self.max_code() as f64) as u32
    }

    #[inline]
    pub fn decode(&self, code: u32) -> f32 {
        (code as f64 * self.step() as f64) as f32
    }

    /// Replace each weight by its quantized value.
    pub fn fake_quantize(&self, w: &mut [f32], rng: &mut Rng) {
        for x in w.iter_mut() {
            *x = self.decode(self.encode(*x, rng));
        }
    }

    pub fn encode_all(&self, w: &[f32], rng: &mut Rng) -> Vec<u32> {
        w.iter().map(|&x| self.encode(x, rng)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(bits: u32, frac: u32, r: Rounding) -> QuantSpec {
        QuantSpec {
            bits,
            frac_bits: frac,
            rounding: r,
        }
    }

    #[test]
    fn round_trip_is_exact_on_the_grid() {
        let mut rng = Rng::new(1);
        for bits in 1..=16 {
            let q = spec(bits, bits, Rounding::Nearest);
            for code in 0..=q.max_code().min(4095) {
                assert_eq!(q.encode(q.decode(code), &mut rng), code);
            }
        }
        // Weights are f32: codes round-trip exactly up to 24 significant bits.
        let q = spec(32, 16, Rounding::Nearest);
        assert_eq!(q.encode(q.decode(12_345_678), &mut rng), 12_345_678);
        assert_eq!(
            q.encode(q.decode(0xFFFF_FFFF), &mut rng),
            u32::MAX,
            "saturates"
        );
    }

    #[test]
    fn rounding_modes() {
        let mut rng = Rng::new(1);
        // 4 bits, 4 fractional: step 1/16.
        let n = spec(4, 4, Rounding::Nearest);
        let t = spec(4, 4, Rounding::Truncate);
        assert_eq!(n.encode(0.30, &mut rng), 5); // 4.8 -> 5
        assert_eq!(t.encode(0.30, &mut rng), 4);
        assert_eq!(n.encode(2.0, &mut rng), 15, "saturates");
        assert_eq!(n.encode(-1.0, &mut rng), 0);
        assert!((n.max_value() - 15.0 / 16.0).abs() < 1e-7);
        // 8 bits with 1 integer bit: step 1/128, max 255/128.
        let q = spec(8, 7, Rounding::Nearest);
        assert_eq!(q.encode(1.0, &mut rng), 128);
        // Stochastic: mean of the decoded values equals the input (unbiased).
        let s = spec(4, 4, Rounding::Stochastic);
        let trials = 100_000;
        let mean: f64 = (0..trials)
            .map(|_| s.decode(s.encode(0.30, &mut rng)) as f64)
            .sum::<f64>()
            / trials as f64;
        // Var of one draw <= step^2/4; 5 sigma of the mean ~ 0.0625*0.5*5/316 = 5e-4.
        assert!((mean - 0.30).abs() < 5e-4, "{mean}");
        let one_bit = spec(1, 1, Rounding::Nearest);
        assert_eq!(one_bit.decode(one_bit.encode(0.9, &mut rng)), 0.5);
    }
}
