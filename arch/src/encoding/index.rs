//! Index encoding (pointer-based CSR): row pointers + (column index, weight) pairs of
//! the present synapses, columns ascending within a row.
//!
//! Footprint: nnz * (b + ceil(log2 N_post)) + (N_pre + 1) * P bits. The inferred formula
//! in papers.md has P = ceil(log2 nnz); a pointer must also hold the end value nnz, so
//! P = ceil(log2 (nnz + 1)) here: the two differ only when nnz is a power of two.
//! Backward has no column structure to follow: every row is scanned from its start
//! until a column >= j (one index compare per entry scanned).

use super::{
    index_bits, AccessCost, BitVec, DenseLayer, EncodingKind, Layout, PackedArray, SynapseEncoding,
    WordRange,
};

const PTR: usize = 0;
const ENTRIES: usize = 1;

#[derive(Clone, Debug)]
pub struct IndexEncoding {
    n_pre: usize,
    n_post: usize,
    /// Bits of a stored synapse field (weight, then delay) and of its weight.
    b: u32,
    weight_bits: u32,
    col_bits: u32,
    ptrs: PackedArray,
    entries: BitVec,
    layout: Layout,
}

impl IndexEncoding {
    pub fn new(layer: &DenseLayer, word_bits: u32) -> Self {
        let nnz = layer.nnz();
        let col_bits = index_bits(layer.n_post as u64);
        let (mut ptrs, mut entries) = (PackedArray::new(index_bits(nnz + 1)), BitVec::default());
        let mut k = 0u64;
        for pre in 0..layer.n_pre {
            ptrs.push(k);
            for post in 0..layer.n_post {
                let f = layer.field(pre * layer.n_post + post);
                if f != 0 {
                    entries.push(post as u64, col_bits);
                    entries.push(f, layer.field_bits());
                    k += 1;
                }
            }
        }
        ptrs.push(k);
        let layout = Layout::new(word_bits, &[ptrs.len_bits(), entries.len_bits()]);
        IndexEncoding {
            n_pre: layer.n_pre,
            n_post: layer.n_post,
            b: layer.field_bits(),
            weight_bits: layer.weight_bits,
            col_bits,
            ptrs,
            entries,
            layout,
        }
    }
    pub fn ptr_bits(&self) -> u32 {
        self.ptrs.width
    }
    fn entry_bits(&self) -> u64 {
        (self.col_bits + self.b) as u64
    }
    fn ptr(&self, i: usize) -> u64 {
        self.ptrs.get(i as u64)
    }
    fn col(&self, k: u64) -> usize {
        self.entries.get(k * self.entry_bits(), self.col_bits) as usize
    }
    /// Read pointers i and i+1 (two reads, one subtract); returns (start, end).
    fn row_bounds(
        &self,
        pre: usize,
        ranges: &mut Vec<WordRange>,
        c: &mut AccessCost,
    ) -> (u64, u64) {
        c.words_read += self.ptrs.touch(&self.layout, ranges, PTR, pre as u64, 2);
        c.pointer_ops += 3;
        c.addr_gens += 1;
        (self.ptr(pre), self.ptr(pre + 1))
    }
    /// Scan row entries [start, end) for column `post`; returns the entry if present.
    fn scan(
        &self,
        start: u64,
        end: u64,
        post: usize,
        ranges: &mut Vec<WordRange>,
        c: &mut AccessCost,
    ) -> Option<u64> {
        let mut k = start;
        let mut found = None;
        while k < end {
            c.index_compares += 1;
            let col = self.col(k);
            k += 1;
            if col >= post {
                found = (col == post).then_some(k - 1);
                break;
            }
        }
        let eb = self.entry_bits();
        c.words_read += self
            .layout
            .touch(ranges, ENTRIES, start * eb, (k - start) * eb);
        found
    }
}

impl SynapseEncoding for IndexEncoding {
    fn kind(&self) -> EncodingKind {
        EncodingKind::Index
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
        let mut c = AccessCost::default();
        let (s, e) = self.row_bounds(pre, ranges, &mut c);
        let eb = self.entry_bits();
        c.words_read += self.layout.touch(ranges, ENTRIES, s * eb, (e - s) * eb);
        // Each entry's column index addresses its post neuron.
        c.addr_gens += e - s;
        c
    }

    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        // Stream all pointers once, then scan each row.
        let n_ptrs = self.n_pre as u64 + 1;
        c.words_read += self.ptrs.touch(&self.layout, ranges, PTR, 0, n_ptrs);
        c.pointer_ops += 2 * self.n_pre as u64 + 1;
        for pre in 0..self.n_pre {
            let (s, e) = (self.ptr(pre), self.ptr(pre + 1));
            c.addr_gens += 1;
            self.scan(s, e, post, ranges, &mut c);
        }
        c
    }

    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost {
        ranges.clear();
        let mut c = AccessCost::default();
        let (s, e) = self.row_bounds(pre, ranges, &mut c);
        if let Some(k) = self.scan(s, e, post, ranges, &mut c) {
            c.words_written += self
                .layout
                .span(k * self.entry_bits() + self.col_bits as u64, self.b as u64);
        }
        c
    }

    fn decode_forward(&self, pre: usize, out: &mut [u32]) {
        out.iter_mut().for_each(|o| *o = 0);
        for k in self.ptr(pre)..self.ptr(pre + 1) {
            let w = self.entries.get(
                k * self.entry_bits() + self.col_bits as u64,
                self.weight_bits,
            ) as u32;
            out[self.col(k)] = w;
        }
    }
}
