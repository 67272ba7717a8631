//! Functional encoding with a bitmap over kernel entries: connectivity from geometry as
//! in `functional`, but only nonzero kernel weights are stored, behind a presence
//! bitmap and one pointer per (co, ci) kernel slice.
//!
//! Footprint: C_out * C_in * (k^2 + ceil(log2 nnz_k)) + nnz_k * b bits, nnz_k = nonzero
//! kernel entries (the bitmap-over-kernel variant named in papers.md; the per-slice
//! pointer is our choice, as PB-BMP's per-row pointer). An access reads a slice's
//! bitmap words (one popcount each for the ranks), its pointer, then the weights. The
//! sections are a `PointerBitmap` with one group per kernel slice.

use super::pointer_bitmap::PointerBitmap;
use super::{AccessCost, ConvGeometry, ConvLayer, EncodingKind, SynapseEncoding, WordRange};

#[derive(Clone, Debug)]
pub struct FunctionalBitmapEncoding {
    g: ConvGeometry,
    /// One group per (co, ci) kernel slice, entries indexed as the kernel.
    store: PointerBitmap,
}

impl FunctionalBitmapEncoding {
    pub fn new(layer: &ConvLayer, word_bits: u32) -> Self {
        let g = layer.geom;
        FunctionalBitmapEncoding {
            g,
            store: PointerBitmap::new(
                &layer.kernel_values(),
                g.k * g.k,
                layer.weight_bits,
                word_bits,
            ),
        }
    }
    pub fn ptr_bits(&self) -> u32 {
        self.store.ptr_bits()
    }
    fn present(&self, idx: usize) -> bool {
        self.store.present(idx as u64)
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
        let s = &self.store;
        let (start, kk) = (s.group_start(slice), (self.g.k * self.g.k) as u64);
        c.words_read += s.touch_map(ranges, start, kk);
        c.addr_gens += 1;
        if any_present {
            c.popcounts += s.map_words(start, kk);
            c.words_read += s.touch_ptr(ranges, slice);
            c.pointer_ops += 1;
        }
    }
    /// Read the weight of present entry `idx`: pointer + rank, one address generation.
    fn read_weight(&self, idx: usize, ranges: &mut Vec<WordRange>, c: &mut AccessCost) -> u64 {
        let slot = self.store.slot(idx as u64);
        c.pointer_ops += 1;
        c.addr_gens += 1;
        c.words_read += self.store.touch_weights(ranges, slot, 1);
        slot
    }
    /// Open slice `slice` and read the present weights among `taps` (its kernel entries
    /// that the access reaches): one step of forward (per co) and backward (per ci).
    fn read_slice_taps<T>(
        &self,
        slice: usize,
        taps: T,
        ranges: &mut Vec<WordRange>,
        c: &mut AccessCost,
    ) where
        T: Iterator<Item = (usize, usize)> + Clone,
    {
        let any = taps.clone().any(|(idx, _)| self.present(idx));
        self.open_slice(slice, any, ranges, c);
        for (idx, _) in taps {
            if self.present(idx) {
                self.read_weight(idx, ranges, c);
            }
        }
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
    layout_methods!(store.layout);

    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let (ci, _, _) = g.pre_pos(pre);
        let mut c = AccessCost::default();
        for co in 0..g.c_out {
            let taps = g.forward_taps(pre, co);
            self.read_slice_taps(co * g.c_in + ci, taps, ranges, &mut c);
        }
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let g = &self.g;
        let (co, _, _) = g.post_pos(post);
        let mut c = AccessCost::default();
        for ci in 0..g.c_in {
            let taps = g.backward_taps(post, ci);
            self.read_slice_taps(co * g.c_in + ci, taps, ranges, &mut c);
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost {
            addr_gens: 1,
            ..Default::default()
        };
        let Some(idx) = self.g.kernel_entry(pre, post) else {
            return c;
        };
        let s = &self.store;
        let slice = idx / (self.g.k * self.g.k);
        let start = s.group_start(slice);
        // Bitmap from the slice start to the entry (prefix popcount).
        let len = idx as u64 - start + 1;
        c.words_read += s.touch_map(ranges, start, len);
        if !self.present(idx) {
            return c;
        }
        c.popcounts += s.map_words(start, len);
        c.words_read += s.touch_ptr(ranges, slice);
        c.pointer_ops += 1;
        let slot = self.read_weight(idx, ranges, &mut c);
        c.words_written += s.weight_words(slot);
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        let g = &self.g;
        out.iter_mut().for_each(|o| *o = 0);
        for co in 0..g.c_out {
            for (idx, post) in g.forward_taps(pre, co) {
                if self.present(idx) {
                    out[post] = self.store.value(self.store.slot(idx as u64)) as u32;
                }
            }
        }
    }
}
