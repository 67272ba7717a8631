//! The pointer-based bitmap (PB-BMP) store shared by the bitmap encoding, whose groups
//! are the rows (N_post entries each), and the functional bitmap encoding, whose groups
//! are the (co, ci) kernel slices (k^2 entries each).
//!
//! Three sections: one pointer per group to its first stored weight, a presence bitmap
//! with one bit per entry (entry e of group g is bitmap bit g x group_len + e), and the
//! present weights packed in entry order. A present entry's weight slot is its group's
//! pointer plus the popcount of the group's bitmap before it (its rank).
//!
//! Pointers are ceil(log2 nnz) bits: a pointer is only dereferenced for a group with a
//! weight, so it is < nnz. Trailing empty groups would hold nnz; it is masked, never read.

use super::{index_bits, BitVec, Layout, PackedArray, WordRange};

const PTR: usize = 0;
const MAP: usize = 1;
const WEIGHTS: usize = 2;

#[derive(Clone, Debug)]
pub(crate) struct PointerBitmap {
    group_len: u64,
    ptrs: PackedArray,
    map: BitVec,
    weights: PackedArray,
    pub layout: Layout,
}

impl PointerBitmap {
    /// Store `values` (synapse fields, `width` bits; 0 = absent) in groups of
    /// `group_len` entries.
    pub fn new(values: &[u64], group_len: usize, width: u32, word_bits: u32) -> Self {
        let nnz = values.iter().filter(|&&c| c != 0).count() as u64;
        let mut ptrs = PackedArray::new(index_bits(nnz));
        let mask = (1u64 << ptrs.width) - 1;
        let (mut map, mut weights) = (BitVec::default(), PackedArray::new(width));
        let mut n = 0u64;
        for group in values.chunks(group_len) {
            ptrs.push(n & mask);
            for &c in group {
                map.push((c != 0) as u64, 1);
                if c != 0 {
                    weights.push(c);
                    n += 1;
                }
            }
        }
        let layout = Layout::new(
            word_bits,
            &[ptrs.len_bits(), map.len_bits(), weights.len_bits()],
        );
        PointerBitmap {
            group_len: group_len as u64,
            ptrs,
            map,
            weights,
            layout,
        }
    }
    pub fn ptr_bits(&self) -> u32 {
        self.ptrs.width
    }
    /// Bitmap bit of the first entry of group `g`.
    pub fn group_start(&self, g: usize) -> u64 {
        g as u64 * self.group_len
    }
    pub fn ptr(&self, g: usize) -> u64 {
        self.ptrs.get(g as u64)
    }
    pub fn present(&self, entry: u64) -> bool {
        self.map.get(entry, 1) == 1
    }
    /// Set bitmap bits in [start, end), up to 64 at a time.
    pub fn ones(&self, start: u64, end: u64) -> u64 {
        let mut n = 0;
        let mut p = start;
        while p < end {
            let len = (end - p).min(64) as u32;
            n += self.map.get(p, len).count_ones() as u64;
            p += len as u64;
        }
        n
    }
    /// Weight slot of present entry `entry`: group pointer + rank in the group.
    pub fn slot(&self, entry: u64) -> u64 {
        let g = entry / self.group_len;
        self.ptr(g as usize) + self.ones(g * self.group_len, entry)
    }
    /// The stored field in weight slot `slot`.
    pub fn value(&self, slot: u64) -> u64 {
        self.weights.get(slot)
    }
    /// Touch bitmap bits [bit, bit + len).
    pub fn touch_map(&self, ranges: &mut Vec<WordRange>, bit: u64, len: u64) -> u64 {
        self.layout.touch(ranges, MAP, bit, len)
    }
    /// Bitmap words spanned by bits [bit, bit + len): one popcount each.
    pub fn map_words(&self, bit: u64, len: u64) -> u64 {
        self.layout.span(bit, len)
    }
    /// Touch group `g`'s pointer.
    pub fn touch_ptr(&self, ranges: &mut Vec<WordRange>, g: usize) -> u64 {
        self.ptrs.touch(&self.layout, ranges, PTR, g as u64, 1)
    }
    /// Touch weight slots [first, first + n).
    pub fn touch_weights(&self, ranges: &mut Vec<WordRange>, first: u64, n: u64) -> u64 {
        self.weights.touch(&self.layout, ranges, WEIGHTS, first, n)
    }
    /// Words spanned by weight slot `slot` (for counting its write-back).
    pub fn weight_words(&self, slot: u64) -> u64 {
        self.weights.span(&self.layout, slot, 1)
    }
}
