//! Dense crossbar: every (pre, post) weight stored, zeros included, row-major.
//! Footprint N_pre * N_post * b bits. Forward reads row i; backward reads one element
//! per row (column j); an update rewrites the words of one element.

use super::{AccessCost, BitVec, DenseLayer, EncodingKind, Layout, SynapseEncoding, WordRange};

#[derive(Clone, Debug)]
pub struct CrossbarEncoding {
    n_pre: usize,
    n_post: usize,
    b: u32,
    weights: BitVec,
    layout: Layout,
}

impl CrossbarEncoding {
    pub fn new(layer: &DenseLayer, word_bits: u32) -> Self {
        let mut weights = BitVec::default();
        for &c in &layer.codes {
            weights.push(c as u64, layer.weight_bits);
        }
        let layout = Layout::new(word_bits, &[weights.len_bits()]);
        CrossbarEncoding {
            n_pre: layer.n_pre,
            n_post: layer.n_post,
            b: layer.weight_bits,
            weights,
            layout,
        }
    }
    fn bit(&self, pre: usize, post: usize) -> u64 {
        (pre as u64 * self.n_post as u64 + post as u64) * self.b as u64
    }
}

impl SynapseEncoding for CrossbarEncoding {
    fn kind(&self) -> EncodingKind {
        EncodingKind::Crossbar
    }
    fn n_pre(&self) -> usize {
        self.n_pre
    }
    fn n_post(&self) -> usize {
        self.n_post
    }
    fn footprint_bits(&self) -> u64 {
        self.weights.len_bits()
    }
    fn word_bits(&self) -> u32 {
        self.layout.word_bits
    }
    fn total_words(&self) -> u64 {
        self.layout.total_words
    }

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let len = self.n_post as u64 * self.b as u64;
        let words_read = self.layout.touch(ranges, 0, self.bit(pre, 0), len);
        // One row base address; posts follow by position.
        AccessCost {
            words_read,
            addr_gens: 1,
            ..Default::default()
        }
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        for pre in 0..self.n_pre {
            c.words_read += self
                .layout
                .touch(ranges, 0, self.bit(pre, post), self.b as u64);
            c.addr_gens += 1;
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let bit = self.bit(pre, post);
        let words = self.layout.touch(ranges, 0, bit, self.b as u64);
        // Read-modify-write of the words holding the element.
        AccessCost {
            words_read: words,
            words_written: words,
            addr_gens: 1,
            ..Default::default()
        }
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        for (post, o) in out.iter_mut().enumerate().take(self.n_post) {
            *o = self.weights.get(self.bit(pre, post), self.b) as u32;
        }
    }
}
