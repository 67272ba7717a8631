//! Functional encoding: connectivity is computed from the convolution geometry; only
//! the shared kernels are stored, [co][ci][ky][kx] row-major.
//!
//! Footprint: C_out * C_in * k^2 * b bits. Every access generates the addresses of the
//! kernel entries it needs (one address generation per entry: the post or pre neuron
//! and the kernel slot follow from the position by a multiply-add with bounds checks),
//! so backward is as cheap as forward: no search, no bitmap.

use super::{
    AccessCost, BitVec, ConvGeometry, ConvLayer, EncodingKind, Layout, SynapseEncoding, WordRange,
};

#[derive(Clone, Debug)]
pub struct FunctionalEncoding {
    g: ConvGeometry,
    b: u32,
    kernel: BitVec,
    layout: Layout,
}

impl FunctionalEncoding {
    pub fn new(layer: &ConvLayer, word_bits: u32) -> Self {
        let mut kernel = BitVec::default();
        for &c in &layer.kernel {
            kernel.push(c as u64, layer.weight_bits);
        }
        let layout = Layout::new(word_bits, &[kernel.len_bits()]);
        FunctionalEncoding {
            g: layer.geom,
            b: layer.weight_bits,
            kernel,
            layout,
        }
    }
    fn code(&self, idx: usize) -> u32 {
        self.kernel.get(idx as u64 * self.b as u64, self.b) as u32
    }
    fn touch(&self, idx: usize, ranges: &mut Vec<WordRange>) -> u64 {
        self.layout
            .touch(ranges, 0, idx as u64 * self.b as u64, self.b as u64)
    }
    /// Kernel slot of synapse (pre, post), if the geometry connects them.
    fn slot(&self, pre: usize, post: usize) -> Option<usize> {
        let g = &self.g;
        let (ci, y, x) = g.pre_pos(pre);
        let (co, oy, ox) = g.post_pos(post);
        let ky = (y + g.padding)
            .checked_sub(oy * g.stride)
            .filter(|&v| v < g.k)?;
        let kx = (x + g.padding)
            .checked_sub(ox * g.stride)
            .filter(|&v| v < g.k)?;
        Some(g.kernel_index(co, ci, ky, kx))
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
    fn footprint_bits(&self) -> u64 {
        self.kernel.len_bits()
    }
    fn word_bits(&self) -> u32 {
        self.layout.word_bits
    }
    fn total_words(&self) -> u64 {
        self.layout.total_words
    }

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let (ci, y, x) = g.pre_pos(pre);
        let mut c = AccessCost::default();
        for co in 0..g.c_out {
            for ky in 0..g.k {
                if g.out_coord(y, ky, g.out_h()).is_none() {
                    continue;
                }
                for kx in 0..g.k {
                    if g.out_coord(x, kx, g.out_w()).is_some() {
                        c.words_read += self.touch(g.kernel_index(co, ci, ky, kx), ranges);
                        c.addr_gens += 1;
                    }
                }
            }
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let (co, oy, ox) = g.post_pos(post);
        let mut c = AccessCost::default();
        for ci in 0..g.c_in {
            for ky in 0..g.k {
                if g.in_coord(oy, ky, g.h).is_none() {
                    continue;
                }
                for kx in 0..g.k {
                    if g.in_coord(ox, kx, g.w).is_some() {
                        c.words_read += self.touch(g.kernel_index(co, ci, ky, kx), ranges);
                        c.addr_gens += 1;
                    }
                }
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
        if let Some(idx) = self.slot(pre, post) {
            c.words_read += self.touch(idx, ranges);
            c.words_written += self.layout.span(idx as u64 * self.b as u64, self.b as u64);
        }
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        let g = &self.g;
        out.iter_mut().for_each(|o| *o = 0);
        let (ci, y, x) = g.pre_pos(pre);
        for co in 0..g.c_out {
            for ky in 0..g.k {
                let Some(oy) = g.out_coord(y, ky, g.out_h()) else {
                    continue;
                };
                for kx in 0..g.k {
                    let Some(ox) = g.out_coord(x, kx, g.out_w()) else {
                        continue;
                    };
                    out[g.post_index(co, oy, ox)] = self.code(g.kernel_index(co, ci, ky, kx));
                }
            }
        }
    }
}
