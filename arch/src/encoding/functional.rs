//! Functional encoding: connectivity is computed from the convolution geometry; only
//! the shared kernels are stored, [co][ci][ky][kx] row-major.
//!
//! Footprint: C_out * C_in * k^2 * b bits. Every access generates the addresses of the
//! kernel entries it needs (one address generation per entry: the post or pre neuron
//! and the kernel slot follow from the position by a multiply-add with bounds checks),
//! so backward is as cheap as forward: no search, no bitmap.

use super::{
    AccessCost, ConvGeometry, ConvLayer, EncodingKind, Layout, PackedArray, SynapseEncoding,
    WordRange,
};

#[derive(Clone, Debug)]
pub struct FunctionalEncoding {
    g: ConvGeometry,
    kernel: PackedArray,
    layout: Layout,
}

impl FunctionalEncoding {
    pub fn new(layer: &ConvLayer, word_bits: u32) -> Self {
        let kernel = PackedArray::of_values(&layer.kernel_values(), layer.weight_bits);
        let layout = Layout::new(word_bits, &[kernel.len_bits()]);
        FunctionalEncoding {
            g: layer.geom,
            kernel,
            layout,
        }
    }
    fn touch(&self, idx: usize, ranges: &mut Vec<WordRange>) -> u64 {
        self.kernel.touch(&self.layout, ranges, 0, idx as u64, 1)
    }
}

impl SynapseEncoding for FunctionalEncoding {
    fn kind(&self) -> EncodingKind {
        EncodingKind::Functional
    }
    fn n_pre(&self) -> usize {
        self.g.n_pre()
    }
    fn n_post(&self) -> usize {
        self.g.n_post()
    }
    layout_methods!(layout);

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let mut c = AccessCost::default();
        for co in 0..g.c_out {
            for (idx, _) in g.forward_taps(pre, co) {
                c.words_read += self.touch(idx, ranges);
                c.addr_gens += 1;
            }
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let mut c = AccessCost::default();
        for ci in 0..g.c_in {
            for (idx, _) in g.backward_taps(post, ci) {
                c.words_read += self.touch(idx, ranges);
                c.addr_gens += 1;
            }
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost {
            addr_gens: 1,
            ..Default::default()
        };
        if let Some(idx) = self.g.kernel_entry(pre, post) {
            c.words_read += self.touch(idx, ranges);
            c.words_written += self.kernel.span(&self.layout, idx as u64, 1);
        }
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        let g = &self.g;
        out.iter_mut().for_each(|o| *o = 0);
        for co in 0..g.c_out {
            for (idx, post) in g.forward_taps(pre, co) {
                out[post] = self.kernel.get(idx as u64) as u32;
            }
        }
    }
}
