//! Bitmap encoding (pointer-based bitmap): per row a pointer to its first weight, an
//! N_post-bit presence bitmap, and the present weights packed in row order.
//!
//! Footprint: N_pre * N_post + nnz * b + N_pre * ceil(log2 nnz) bits (papers.md). A
//! row pointer is only dereferenced for rows with a synapse, whose pointer is < nnz,
//! so ceil(log2 nnz) bits suffice. The position of synapse (i, j) among its row's
//! weights is the popcount of row i's bitmap before bit j (one popcount per bitmap
//! word spanned); backward does that for every row whose bit j is set. The sections
//! are a `PointerBitmap` with one group per row.

use super::pointer_bitmap::PointerBitmap;
use super::{weight_code, AccessCost, DenseLayer, EncodingKind, SynapseEncoding, WordRange};

#[derive(Clone, Debug)]
pub struct BitmapEncoding {
    n_pre: usize,
    n_post: usize,
    /// One group per row: group `pre` holds row pre's N_post entries.
    store: PointerBitmap,
    /// Bits of a synapse field's weight (the delay, if stored, sits above it).
    weight_bits: u32,
}

impl BitmapEncoding {
    pub fn new(layer: &DenseLayer, word_bits: u32) -> Self {
        BitmapEncoding {
            n_pre: layer.n_pre,
            n_post: layer.n_post,
            store: PointerBitmap::new(&layer.fields(), layer.n_post, layer.field_bits(), word_bits),
            weight_bits: layer.weight_bits,
        }
    }
    pub fn ptr_bits(&self) -> u32 {
        self.store.ptr_bits()
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
        let s = &self.store;
        let start = s.group_start(pre);
        let bit = start + post as u64;
        c.words_read += s.touch_map(ranges, bit, 1);
        c.addr_gens += 1;
        if !s.present(bit) {
            return None;
        }
        // Present: also read the row's bitmap words before the one holding bit j.
        let wb = s.layout.word_bits as u64;
        let bit_word_start = bit / wb * wb;
        if bit_word_start > start {
            c.words_read += s.touch_map(ranges, start, bit_word_start - start);
        }
        c.popcounts += s.map_words(start, post as u64 + 1);
        c.words_read += s.touch_ptr(ranges, pre);
        // Pointer read, pointer + rank.
        c.pointer_ops += 2;
        c.addr_gens += 1;
        Some(s.slot(bit))
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
    layout_methods!(store.layout);

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let s = &self.store;
        let mut c = AccessCost::default();
        let start = s.group_start(pre);
        let len = self.n_post as u64;
        c.words_read += s.touch_map(ranges, start, len);
        c.addr_gens += 1;
        // Row length = popcount of the row's bitmap words.
        c.popcounts += s.map_words(start, len);
        let n = s.ones(start, start + len);
        if n > 0 {
            c.words_read += s.touch_ptr(ranges, pre);
            c.pointer_ops += 1;
            c.addr_gens += 1;
            c.words_read += s.touch_weights(ranges, s.ptr(pre), n);
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        for pre in 0..self.n_pre {
            if let Some(slot) = self.locate(pre, post, ranges, &mut c) {
                c.words_read += self.store.touch_weights(ranges, slot, 1);
            }
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        if let Some(slot) = self.locate(pre, post, ranges, &mut c) {
            c.words_read += self.store.touch_weights(ranges, slot, 1);
            c.words_written += self.store.weight_words(slot);
        }
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        let s = &self.store;
        let start = s.group_start(pre);
        let mut slot = s.ptr(pre);
        for (post, o) in out.iter_mut().enumerate().take(self.n_post) {
            *o = 0;
            if s.present(start + post as u64) {
                *o = weight_code(s.value(slot), self.weight_bits);
                slot += 1;
            }
        }
    }
}
