//! Bitmap encoding (pointer-based bitmap): per row a pointer to its first weight, an
//! N_post-bit presence bitmap, and the present weights packed in row order.
//!
//! Footprint: N_pre * N_post + nnz * b + N_pre * ceil(log2 nnz) bits (papers.md). A
//! row pointer is only dereferenced for rows with a synapse, whose pointer is < nnz,
//! so ceil(log2 nnz) bits suffice. The position of synapse (i, j) among its row's
//! weights is the popcount of row i's bitmap before bit j (one popcount per bitmap
//! word spanned); backward does that for every row whose bit j is set.

use super::{
    index_bits, AccessCost, BitVec, DenseLayer, EncodingKind, Layout, SynapseEncoding, WordRange,
};

const PTR: usize = 0;
const MAP: usize = 1;
const WEIGHTS: usize = 2;

#[derive(Clone, Debug)]
pub struct BitmapEncoding {
    n_pre: usize,
    n_post: usize,
    b: u32,
    ptr_bits: u32,
    ptrs: BitVec,
    map: BitVec,
    weights: BitVec,
    layout: Layout,
}

impl BitmapEncoding {
    pub fn new(layer: &DenseLayer, word_bits: u32) -> Self {
        let ptr_bits = index_bits(layer.nnz());
        let (mut ptrs, mut map, mut weights) =
            (BitVec::default(), BitVec::default(), BitVec::default());
        let mut k = 0u64;
        let mask = (1u64 << ptr_bits) - 1;
        for pre in 0..layer.n_pre {
            // Trailing empty rows would hold nnz; they are never dereferenced.
            ptrs.push(k & mask, ptr_bits);
            for &c in layer.row(pre) {
                map.push((c != 0) as u64, 1);
                if c != 0 {
                    weights.push(c as u64, layer.weight_bits);
                    k += 1;
                }
            }
        }
        let layout = Layout::new(
            word_bits,
            &[ptrs.len_bits(), map.len_bits(), weights.len_bits()],
        );
        BitmapEncoding {
            n_pre: layer.n_pre,
            n_post: layer.n_post,
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
    fn ptr(&self, pre: usize) -> u64 {
        self.ptrs
            .get(pre as u64 * self.ptr_bits as u64, self.ptr_bits)
    }
    fn map_bit(&self, pre: usize, post: usize) -> u64 {
        pre as u64 * self.n_post as u64 + post as u64
    }
    fn present(&self, pre: usize, post: usize) -> bool {
        self.map.get(self.map_bit(pre, post), 1) == 1
    }
    /// Set bits of row `pre` before column `post`.
    fn rank(&self, pre: usize, post: usize) -> u64 {
        let start = self.map_bit(pre, 0);
        let mut n = 0;
        let mut p = 0u64;
        while p < post as u64 {
            let len = (post as u64 - p).min(64) as u32;
            n += self.map.get(start + p, len).count_ones() as u64;
            p += len as u64;
        }
        n
    }
    /// Locate synapse (pre, post): read the bitmap word holding bit j; if set, the
    /// row's earlier bitmap words (prefix popcount) and the row pointer. Returns the
    /// weight slot.
    fn locate(
        &self,
        pre: usize,
        post: usize,
        ranges: &mut Vec<WordRange>,
        c: &mut AccessCost,
    ) -> Option<u64> {
        let start = self.map_bit(pre, 0);
        let bit = start + post as u64;
        c.words_read += self.layout.touch(ranges, MAP, bit, 1);
        c.addr_gens += 1;
        if !self.present(pre, post) {
            return None;
        }
        // Present: also read the row's bitmap words before the one holding bit j.
        let wb = self.layout.word_bits as u64;
        let bit_word_start = bit / wb * wb;
        if bit_word_start > start {
            c.words_read += self
                .layout
                .touch(ranges, MAP, start, bit_word_start - start);
        }
        c.popcounts += self.layout.span(start, post as u64 + 1);
        c.words_read += self.layout.touch(
            ranges,
            PTR,
            pre as u64 * self.ptr_bits as u64,
            self.ptr_bits as u64,
        );
        // Pointer read, pointer + rank.
        c.pointer_ops += 2;
        c.addr_gens += 1;
        Some(self.ptr(pre) + self.rank(pre, post))
    }
}

impl SynapseEncoding for BitmapEncoding {
    fn kind(&self) -> EncodingKind {
        EncodingKind::Bitmap
    }
    fn n_pre(&self) -> usize {
        self.n_pre
    }
    fn n_post(&self) -> usize {
        self.n_post
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
        let mut c = AccessCost::default();
        let start = self.map_bit(pre, 0);
        c.words_read += self.layout.touch(ranges, MAP, start, self.n_post as u64);
        c.addr_gens += 1;
        // Row length = popcount of the row's bitmap words.
        c.popcounts += self.layout.span(start, self.n_post as u64);
        let n = self.rank(pre, self.n_post);
        if n > 0 {
            c.words_read += self.layout.touch(
                ranges,
                PTR,
                pre as u64 * self.ptr_bits as u64,
                self.ptr_bits as u64,
            );
            c.pointer_ops += 1;
            c.addr_gens += 1;
            let b = self.b as u64;
            c.words_read += self.layout.touch(ranges, WEIGHTS, self.ptr(pre) * b, n * b);
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        let b = self.b as u64;
        for pre in 0..self.n_pre {
            if let Some(slot) = self.locate(pre, post, ranges, &mut c) {
                c.words_read += self.layout.touch(ranges, WEIGHTS, slot * b, b);
            }
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        let b = self.b as u64;
        if let Some(slot) = self.locate(pre, post, ranges, &mut c) {
            c.words_read += self.layout.touch(ranges, WEIGHTS, slot * b, b);
            c.words_written += self.layout.span(slot * b, b);
        }
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        let mut slot = self.ptr(pre);
        for (post, o) in out.iter_mut().enumerate().take(self.n_post) {
            *o = 0;
            if self.present(pre, post) {
                *o = self.weights.get(slot * self.b as u64, self.b) as u32;
                slot += 1;
            }
        }
    }
}
