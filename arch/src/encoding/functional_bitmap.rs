//! Functional encoding with a bitmap over kernel entries: connectivity from geometry as
//! in `functional`, but only nonzero kernel weights are stored, behind a presence
//! bitmap and one pointer per (co, ci) kernel slice.
//!
//! Footprint: C_out * C_in * (k^2 + ceil(log2 nnz_k)) + nnz_k * b bits, nnz_k = nonzero
//! kernel entries (the bitmap-over-kernel variant named in papers.md; the per-slice
//! pointer is our choice, as PB-BMP's per-row pointer). An access reads a slice's
//! bitmap words (one popcount each for the ranks), its pointer, then the weights.

use super::{
    index_bits, AccessCost, BitVec, ConvGeometry, ConvLayer, EncodingKind, Layout, SynapseEncoding,
    WordRange,
};

const PTR: usize = 0;
const MAP: usize = 1;
const WEIGHTS: usize = 2;

#[derive(Clone, Debug)]
pub struct FunctionalBitmapEncoding {
    g: ConvGeometry,
    b: u32,
    ptr_bits: u32,
    ptrs: BitVec,
    map: BitVec,
    weights: BitVec,
    layout: Layout,
}

impl FunctionalBitmapEncoding {
    pub fn new(layer: &ConvLayer, word_bits: u32) -> Self {
        let g = layer.geom;
        let nnz = layer.kernel.iter().filter(|&&c| c != 0).count() as u64;
        let ptr_bits = index_bits(nnz);
        let mask = (1u64 << ptr_bits) - 1;
        let (mut ptrs, mut map, mut weights) =
            (BitVec::default(), BitVec::default(), BitVec::default());
        let kk = g.k * g.k;
        let mut n = 0u64;
        for slice in layer.kernel.chunks(kk) {
            // Trailing empty slices would hold nnz_k; they are never dereferenced.
            ptrs.push(n & mask, ptr_bits);
            for &c in slice {
                map.push((c != 0) as u64, 1);
                if c != 0 {
                    weights.push(c as u64, layer.weight_bits);
                    n += 1;
                }
            }
        }
        let layout = Layout::new(
            word_bits,
            &[ptrs.len_bits(), map.len_bits(), weights.len_bits()],
        );
        FunctionalBitmapEncoding {
            g,
            b: layer.weight_bits,
            ptr_bits,
            ptrs,
            map,
            weights,
            layout,
        }
    }
    pub fn ptr_bits(&self) -> u32 {
        self.ptr_bits
    }
    fn kk(&self) -> u64 {
        (self.g.k * self.g.k) as u64
    }
    fn present(&self, idx: usize) -> bool {
        self.map.get(idx as u64, 1) == 1
    }
    /// Weight slot of kernel entry `idx` (present): slice pointer + rank in the slice.
    fn weight_slot(&self, idx: usize) -> u64 {
        let slice = idx as u64 / self.kk();
        let start = slice * self.kk();
        let mut rank = 0;
        let mut p = start;
        while p < idx as u64 {
            let len = (idx as u64 - p).min(64) as u32;
            rank += self.map.get(p, len).count_ones() as u64;
            p += len as u64;
        }
        self.ptrs.get(slice * self.ptr_bits as u64, self.ptr_bits) + rank
    }
    /// Read slice `slice`'s bitmap (one popcount per word) and, if `any_present`, its
    /// pointer.
    fn open_slice(
        &self,
        slice: usize,
        any_present: bool,
        ranges: &mut Vec<WordRange>,
        c: &mut AccessCost,
    ) {
        let start = slice as u64 * self.kk();
        c.words_read += self.layout.touch(ranges, MAP, start, self.kk());
        c.addr_gens += 1;
        if any_present {
            c.popcounts += self.layout.span(start, self.kk());
            c.words_read += self.layout.touch(
                ranges,
                PTR,
                slice as u64 * self.ptr_bits as u64,
                self.ptr_bits as u64,
            );
            c.pointer_ops += 1;
        }
    }
    /// Read the weight of present entry `idx`: pointer + rank, one address generation.
    fn read_weight(&self, idx: usize, ranges: &mut Vec<WordRange>, c: &mut AccessCost) -> u64 {
        let slot = self.weight_slot(idx);
        c.pointer_ops += 1;
        c.addr_gens += 1;
        c.words_read += self
            .layout
            .touch(ranges, WEIGHTS, slot * self.b as u64, self.b as u64);
        slot
    }
}

impl SynapseEncoding for FunctionalBitmapEncoding {
    fn kind(&self) -> EncodingKind {
        EncodingKind::FunctionalBitmap
    }
    fn n_pre(&self) -> usize {
        self.g.n_pre()
    }
    fn n_post(&self) -> usize {
        self.g.n_post()
    }
    fn footprint_bits(&self) -> u64 {
        self.ptrs.len_bits() + self.map.len_bits() + self.weights.len_bits()
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
        let valid = |ky: usize, kx: usize| {
            g.out_coord(y, ky, g.out_h()).is_some() && g.out_coord(x, kx, g.out_w()).is_some()
        };
        let mut c = AccessCost::default();
        for co in 0..g.c_out {
            let base = g.kernel_index(co, ci, 0, 0);
            let entries = (0..g.k).flat_map(|ky| (0..g.k).map(move |kx| (ky, kx)));
            let any = entries
                .clone()
                .any(|(ky, kx)| valid(ky, kx) && self.present(base + ky * g.k + kx));
            self.open_slice(co * g.c_in + ci, any, ranges, &mut c);
            for (ky, kx) in entries {
                if valid(ky, kx) && self.present(base + ky * g.k + kx) {
                    self.read_weight(base + ky * g.k + kx, ranges, &mut c);
                }
            }
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let (co, oy, ox) = g.post_pos(post);
        let valid = |ky: usize, kx: usize| {
            g.in_coord(oy, ky, g.h).is_some() && g.in_coord(ox, kx, g.w).is_some()
        };
        let mut c = AccessCost::default();
        for ci in 0..g.c_in {
            let base = g.kernel_index(co, ci, 0, 0);
            let entries = (0..g.k).flat_map(|ky| (0..g.k).map(move |kx| (ky, kx)));
            let any = entries
                .clone()
                .any(|(ky, kx)| valid(ky, kx) && self.present(base + ky * g.k + kx));
            self.open_slice(co * g.c_in + ci, any, ranges, &mut c);
            for (ky, kx) in entries {
                if valid(ky, kx) && self.present(base + ky * g.k + kx) {
                    self.read_weight(base + ky * g.k + kx, ranges, &mut c);
                }
            }
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let mut c = AccessCost {
            addr_gens: 1,
            ..Default::default()
        };
        let (ci, y, x) = g.pre_pos(pre);
        let (co, oy, ox) = g.post_pos(post);
        let ky = (y + g.padding)
            .checked_sub(oy * g.stride)
            .filter(|&v| v < g.k);
        let kx = (x + g.padding)
            .checked_sub(ox * g.stride)
            .filter(|&v| v < g.k);
        let (Some(ky), Some(kx)) = (ky, kx) else {
            return c;
        };
        let idx = g.kernel_index(co, ci, ky, kx);
        let slice = idx as u64 / self.kk();
        // Bitmap from the slice start to the entry (prefix popcount).
        let len = idx as u64 - slice * self.kk() + 1;
        c.words_read += self.layout.touch(ranges, MAP, slice * self.kk(), len);
        if !self.present(idx) {
            return c;
        }
        c.popcounts += self.layout.span(slice * self.kk(), len);
        c.words_read += self.layout.touch(
            ranges,
            PTR,
            slice * self.ptr_bits as u64,
            self.ptr_bits as u64,
        );
        c.pointer_ops += 1;
        let slot = self.read_weight(idx, ranges, &mut c);
        c.words_written += self.layout.span(slot * self.b as u64, self.b as u64);
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
                    let idx = g.kernel_index(co, ci, ky, kx);
                    if self.present(idx) {
                        let slot = self.weight_slot(idx);
                        out[g.post_index(co, oy, ox)] =
                            self.weights.get(slot * self.b as u64, self.b) as u32;
                    }
                }
            }
        }
    }
}
