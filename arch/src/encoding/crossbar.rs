//! Dense crossbar: every (pre, post) weight stored, zeros included, row-major.
//! Footprint N_pre * N_post * b bits (b: the synapse field, weight and delay). Forward
//! reads row i; backward reads one element per row (column j); an update rewrites the
//! words of one element.

use super::{
    weight_code, AccessCost, DenseLayer, EncodingKind, Layout, PackedArray, SynapseEncoding,
    WordRange,
};

#[derive(Clone, Debug)]
pub struct CrossbarEncoding {
    n_pre: usize,
    n_post: usize,
    weights: PackedArray,
    weight_bits: u32,
    layout: Layout,
}

impl CrossbarEncoding {
    pub fn new(layer: &DenseLayer, word_bits: u32) -> Self {
        let weights = PackedArray::of_values(&layer.fields(), layer.field_bits());
        let layout = Layout::new(word_bits, &[weights.len_bits()]);
        CrossbarEncoding {
            n_pre: layer.n_pre,
            n_post: layer.n_post,
            weights,
            weight_bits: layer.weight_bits,
            layout,
        }
    }
    /// Index of element (pre, post) in the row-major weights.
    fn at(&self, pre: usize, post: usize) -> u64 {
        pre as u64 * self.n_post as u64 + post as u64
    }
    fn touch(&self, ranges: &mut Vec<WordRange>, first: u64, n: u64) -> u64 {
        self.weights.touch(&self.layout, ranges, 0, first, n)
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
    layout_methods!(layout);

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let words_read = self.touch(ranges, self.at(pre, 0), self.n_post as u64);
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
            c.words_read += self.touch(ranges, self.at(pre, post), 1);
            c.addr_gens += 1;
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let words = self.touch(ranges, self.at(pre, post), 1);
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
            *o = weight_code(self.weights.get(self.at(pre, post)), self.weight_bits);
        }
    }
}
