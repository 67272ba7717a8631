//! Weights that live in faulty DRAM: every write of a plastic weight is read back
//! through the weak cells of the word that holds it.
//!
//! The hardware keeps each synapse's weight in a `bits`-bit word (a fixed-point code, or
//! the f32 bit pattern for 32-bit weights). A weak cell of that word is stuck at a value
//! (`spikemem_arch::dram::faults`), so the word reads `(code & and) | or`, with `and`
//! clearing the bits stuck at 0 and `or` setting those stuck at 1. The learner sees what
//! the memory returns: after every update, a weight whose code disagrees with a stuck
//! bit becomes the value the cells return, and the next update starts from it (a
//! read-modify-write stores what the cells returned). A weight whose code agrees with
//! every stuck bit is left exactly as the rule computed it, so with post-training
//! quantization (full-precision learning) only the words that err are put on the grid.
//!
//! Two semantics ([`WeightFaults::on_read`]): in place (the default; on-chip learning in
//! the DRAM, `run --learn`), the DRAM holds the only copy, so each update stores what the
//! cells returned; on read (fault-aware training as EDEN does it), the trainer keeps a
//! fault-free master copy that the rule updates, and the network computes with the
//! weights as the faulty DRAM returns them (the engine keeps that read view beside the
//! master). A saved model is the master.
//!
//! Invariant: after `apply_all` and after every `read` of an updated weight, each weight
//! the network computes with is a value its word can return. Only words with a weak cell are
//! listed (`faulty`), and the per-synapse masks are checked in O(1), so an update of a
//! healthy synapse costs two loads and a compare.

use super::QuantSpec;
use crate::snn::config::Rounding;
use serde::{Deserialize, Serialize};

/// Stuck bits of one synapse's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckBits {
    /// Row-major synapse index (pre x post).
    pub synapse: u32,
    /// Bits that can read 1 (0 where a cell is stuck at 0).
    pub and: u32,
    /// Bits stuck at 1.
    pub or: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WeightFaults {
    /// The projection whose weights live in faulty DRAM.
    pub(super) proj: usize,
    /// Per synapse: (and, or); (ALL, 0) for a healthy word.
    and: Vec<u32>,
    or: Vec<u32>,
    /// Synapses whose word has a weak cell.
    faulty: Vec<u32>,
    /// Word width: the fixed-point width, or 32 for f32 weights.
    bits: u32,
    /// Every bit of a word (the `and` mask of a healthy word).
    all: u32,
    /// Bit errors read back since the faults were set: bits where the word returned
    /// differs from the value written.
    pub bits_flipped: u64,
    tag: u64,
    /// The learner keeps a fault-free master copy (see the module docs).
    on_read: bool,
}

impl WeightFaults {
    /// Faults of projection `proj` with `synapses` synapses whose words are `bits` wide.
    pub fn new(proj: usize, synapses: usize, bits: u32, stuck: &[StuckBits]) -> WeightFaults {
        let all = if bits >= 32 {
            u32::MAX
        } else {
            (1 << bits) - 1
        };
        let mut and = vec![all; synapses];
        let mut or = vec![0; synapses];
        let mut faulty = Vec::new();
        for s in stuck {
            let k = s.synapse as usize;
            let (a, o) = (s.and & all, s.or & all);
            if k < synapses && (a != all || o != 0) {
                and[k] = a;
                or[k] = o;
                faulty.push(s.synapse);
            }
        }
        faulty.sort_unstable();
        faulty.dedup();
        WeightFaults {
            proj,
            and,
            or,
            faulty,
            bits,
            all,
            bits_flipped: 0,
            tag: 0,
            on_read: false,
        }
    }

    /// Synapses of the projection (faulty or not).
    pub fn synapses(&self) -> usize {
        self.and.len()
    }

    /// A tag the owner sets (fault-aware training: the stage whose map this is).
    pub fn tag(&self) -> u64 {
        self.tag
    }

    pub fn with_tag(mut self, tag: u64) -> WeightFaults {
        self.tag = tag;
        self
    }

    /// Faults read, not stored: the learner keeps a fault-free master copy.
    pub fn on_read(mut self, on_read: bool) -> WeightFaults {
        self.on_read = on_read;
        self
    }

    pub fn reads_a_master(&self) -> bool {
        self.on_read
    }

    pub fn faulty_synapses(&self) -> usize {
        self.faulty.len()
    }

    /// The value the memory returns for synapse `k` after `x` is written (`quant`: the
    /// network's fixed-point format, None for f32 words).
    #[inline]
    pub fn read(&mut self, k: usize, x: f32, quant: Option<QuantSpec>) -> f32 {
        let (and, or) = (self.and[k], self.or[k]);
        if and == self.all && or == 0 {
            return x;
        }
        self.read_word(x, and, or, quant)
    }

    #[cold]
    fn read_word(&mut self, x: f32, and: u32, or: u32, quant: Option<QuantSpec>) -> f32 {
        match quant.filter(|_| self.bits < 32) {
            Some(q) => {
                let q = QuantSpec {
                    rounding: Rounding::Nearest,
                    ..q
                };
                let mut unused = spikemem_arch::rng::Rng::new(0);
                let code = q.encode(x, &mut unused);
                let got = (code & and) | or;
                if got == code {
                    return x;
                }
                self.bits_flipped += (got ^ code).count_ones() as u64;
                q.decode(got.min(q.max_code()))
            }
            None => {
                let code = x.to_bits();
                let got = (code & and) | or;
                if got == code {
                    return x;
                }
                self.bits_flipped += (got ^ code).count_ones() as u64;
                float_word_weight(got)
            }
        }
    }

    /// Reads every faulty synapse of `w` through its word (after a write of all the
    /// weights, e.g. normalization, or when the faults are set).
    pub fn apply_all(&mut self, w: &mut [f32], quant: Option<QuantSpec>) {
        for i in 0..self.faulty.len() {
            let k = self.faulty[i] as usize;
            w[k] = self.read(k, w[k], quant);
        }
    }
}

/// The weight an f32 word read from faulty DRAM gives: a stuck exponent bit can make it
/// huge, infinite or NaN, and the datapath clamps to the weight range [0, 1] (NaN -> 0).
pub fn float_word_weight(word: u32) -> f32 {
    let f = f32::from_bits(word);
    if f.is_nan() {
        0.0
    } else {
        f.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: 4-bit codes (frac 4: step 1/16). Synapse 1 has bit 3 stuck at 1, synapse
    /// 2 bit 0 stuck at 0.
    #[test]
    fn a_write_reads_back_through_the_stuck_bits() {
        let q = QuantSpec {
            bits: 4,
            frac_bits: 4,
            rounding: Rounding::Nearest,
        };
        let stuck = [
            StuckBits {
                synapse: 1,
                and: 0xF,
                or: 0b1000,
            },
            StuckBits {
                synapse: 2,
                and: 0b1110,
                or: 0,
            },
        ];
        let mut f = WeightFaults::new(0, 3, 4, &stuck);
        assert_eq!(f.faulty_synapses(), 2);
        let step = 1.0 / 16.0;
        // Healthy synapse: as written.
        assert_eq!(f.read(0, 3.0 * step, Some(q)), 3.0 * step);
        // Code 3 = 0b0011 at synapse 1 reads 0b1011 = 11: one bit flipped.
        assert_eq!(f.read(1, 3.0 * step, Some(q)), 11.0 * step);
        assert_eq!(f.bits_flipped, 1);
        // Written again (read-modify-write of what it returned): no new error.
        assert_eq!(f.read(1, 11.0 * step, Some(q)), 11.0 * step);
        assert_eq!(f.bits_flipped, 1);
        // Code 5 = 0b0101 at synapse 2 reads 0b0100 = 4; code 4 reads as written.
        assert_eq!(f.read(2, 5.0 * step, Some(q)), 4.0 * step);
        assert_eq!(f.read(2, 4.0 * step, Some(q)), 4.0 * step);
        assert_eq!(f.bits_flipped, 2);
        // Off-grid (post-training quantization) weights: an agreeing code keeps the
        // full-precision value, a disagreeing one becomes the code the cells return.
        assert_eq!(f.read(2, 4.2 * step, Some(q)), 4.2 * step);
        assert_eq!(f.read(2, 4.8 * step, Some(q)), 4.0 * step);
        // apply_all reads every faulty synapse.
        let mut w = vec![3.0 * step, 0.0, 7.0 * step];
        f.apply_all(&mut w, Some(q));
        assert_eq!(w, vec![3.0 * step, 8.0 * step, 6.0 * step]);
    }

    /// f32 words: a stuck exponent bit gives a huge value, clamped to the weight range.
    #[test]
    fn float_words_are_clamped_to_the_weight_range() {
        let stuck = [StuckBits {
            synapse: 0,
            and: u32::MAX,
            or: 1 << 30,
        }];
        let mut f = WeightFaults::new(0, 1, 32, &stuck);
        assert_eq!(f.read(0, 0.25, None), 1.0);
        assert_eq!(f.bits_flipped, 1);
    }
}
