//! Weak-cell fault maps for reduced-voltage DRAM, after EDEN's error models
//! (Koppula et al., MICRO 2019): 0 uniformly random weak cells, 1 weak cells clustered
//! on bitlines, 2 clustered on wordlines, 3 data dependent.
//!
//! A weak cell is a location with a failure behaviour, not a coin flipped per read: it
//! cannot hold one of its two values and always reads its *stuck value*. A read returns
//! the stored data with every weak cell's bit replaced by that cell's stuck value, so
//! the same stored data at the same location always reads the same, a bit errs only
//! where the stored value differs from the stuck one, and a read-modify-write stores
//! what the cells returned (reading it again returns the same: `apply_read` is
//! idempotent). Which value a weak cell is stuck at:
//! - models 0-2: a value drawn per cell (0 or 1, one hash bit), as EDEN's models 0-2
//!   make errors independent of the data;
//! - model 3: its discharged value. Cells of even subarrays are true cells (charged =
//!   1: a weak one reads 0), cells of odd subarrays anti-cells (reads 1), since the
//!   open-bitline array alternates the sense amplifier's true and complement side
//!   between neighbouring subarrays. So errors depend on the data.
//!
//! The BER is the error rate on random data: weak cells have density 2 x BER (at most
//! 1), half of them disagreeing with a random bit. Data that agrees with every stuck
//! value sees no error, data that disagrees with all of them 2 x BER.
//!
//! No map is stored. Whether a cell is weak, and its stuck value, are pure functions of
//! (seed, cell), so the same seed and cell give the same fault whatever the access
//! order. Cells are grouped in blocks: one row of one bank, `burst_length` aligned
//! columns, every pin of the rank (the cells one aligned burst reads). Inside a block,
//! bit j = beat x bus_width + pin, the order of a burst's bits (byte i of the data holds
//! bits 8i..8i+7, LSB first). A burst that does not start on an aligned column reads
//! parts of two blocks and sees the same cells.
//!
//! Sampling, exact and without hashing every bit: the number of weak cells in a block
//! of n cells at density d is Binomial(n, d), drawn from one hash against a CDF table
//! built once per map; that many distinct positions follow from further hashes. A block
//! with no weak cell (the common case at low BER) costs one hash and one comparison.
//! This replaces geometric gaps (one logarithm per weak cell): same distribution, no
//! `ln` on the hot path, and no dependence on the platform's libm there.
//!
//! Models 1 and 2 split the lines (bitlines: one (column, device, DQ) of a bank's
//! subarray; wordlines: one row of one device) into weak and normal ones: a fraction
//! `phi` = max(`WEAK_LINE_FRACTION_MIN`, 2 x `CLUSTER_SHARE` x BER) of lines is weak and
//! carries `CLUSTER_SHARE` of the errors, so a weak line's cells err (on random data)
//! with `CLUSTER_SHARE` x BER / phi <= 0.5 and the rest with (1 - share) x BER /
//! (1 - phi); the mean stays BER. These shares are our choice (EDEN fits them per
//! device); they are public constants so studies can cite them.

use super::config::ErrorModel;
use super::{DramAddr, Standard};
use crate::rng::{mix64, unit_f64};

/// Share of the weak cells that sit on weak lines (models 1 and 2).
pub const CLUSTER_SHARE: f64 = 0.9;
/// Smallest fraction of lines that are weak (models 1 and 2).
pub const WEAK_LINE_FRACTION_MIN: f64 = 0.002;

// Stream tags: independent hash streams from the same block key.
const TAG_CELLS: u64 = 0x5EED_CE11_0000_0001;
const TAG_BITLINE: u64 = 0x5EED_B171_0000_0002;
const TAG_WEAK_CELL: u64 = 0x5EED_3EA4_0000_0003;
const TAG_WORDLINE: u64 = 0x5EED_3041_0000_0004;
const TAG_STUCK: u64 = 0x5EED_57C4_0000_0005;
/// Odd multipliers: x -> x * K is a bijection, so distinct fields give distinct keys
/// before the (bijective) mix64.
const K_FIELDS: u64 = 0x9E37_79B9_7F4A_7C15;
const K_ROW: u64 = 0xD1B5_4A32_D192_ED03;

/// Words of the on-stack bit masks: blocks up to 1024 cells (64-bit bus x BL16).
const MASK_WORDS: usize = 16;
type Mask = [u64; MASK_WORDS];

/// Draw `i` of the stream `key`: the SplitMix64 sequence seeded by `key`, one mix64 each
/// (the draws do not depend on each other, so they pipeline).
#[inline]
fn draw(key: u64, i: u64) -> u64 {
    mix64(key.wrapping_add((i + 1).wrapping_mul(K_FIELDS)))
}

#[inline]
fn get(mask: &[u64], j: u32) -> bool {
    mask[(j >> 6) as usize] >> (j & 63) & 1 == 1
}

#[inline]
fn set(mask: &mut [u64], j: u32) {
    mask[(j >> 6) as usize] |= 1 << (j & 63);
}

/// Calls `f(j)` for every set bit, ascending.
#[inline]
fn for_each_set(mask: &[u64], mut f: impl FnMut(u32)) {
    for (w, &word) in mask.iter().enumerate() {
        let mut x = word;
        while x != 0 {
            f((w as u32) << 6 | x.trailing_zeros());
            x &= x - 1;
        }
    }
}

/// Independent Bernoulli(p) cells in [0, n): the count from a Binomial CDF table, then
/// that many distinct uniform positions.
#[derive(Clone, Debug)]
struct Sampler {
    p: f64,
    n: u32,
    /// cdf[k] = P(K <= k); the last entry is 1 (the tail beyond it is below 1e-20).
    cdf: Vec<f64>,
}

impl Sampler {
    fn new(p: f64, n: u32) -> Sampler {
        let p = p.clamp(0.0, 1.0);
        let mut cdf = Vec::new();
        if p > 0.0 && p < 1.0 {
            // log pmf by the recurrence pmf(k+1) = pmf(k) (n-k)/(k+1) p/(1-p), in logs so
            // (1-p)^n cannot underflow.
            let (ln_q, ln_odds) = ((-p).ln_1p(), (p / (1.0 - p)).ln());
            let mut ln_pmf = n as f64 * ln_q;
            let mut acc = 0.0;
            for k in 0..=n {
                let pmf = ln_pmf.exp();
                acc += pmf;
                // Past the mean, stop once a term is negligible: the tail left behind is
                // below 1e-20 and is folded into this last entry.
                if k == n || (k as f64 > n as f64 * p && pmf < 1e-20) {
                    cdf.push(1.0);
                    break;
                }
                cdf.push(acc);
                ln_pmf += ((n - k) as f64 / (k + 1) as f64).ln() + ln_odds;
            }
        }
        Sampler { p, n, cdf }
    }

    /// Sets the weak cells of stream `key` in `mask` (bits [0, n), assumed clear).
    #[inline]
    fn fill(&self, key: u64, mask: &mut [u64]) {
        let n = self.n;
        if self.p <= 0.0 {
            return;
        }
        let k = if self.p >= 1.0 {
            n
        } else {
            let u = unit_f64(draw(key, 0));
            if u < self.cdf[0] {
                return;
            }
            self.cdf.partition_point(|&c| c <= u) as u32
        };
        // Choose the smaller side: k weak cells, or n - k healthy ones to clear.
        let (target, healthy) = if 2 * k <= n {
            (k, false)
        } else {
            (n - k, true)
        };
        if healthy {
            for j in 0..n {
                set(mask, j);
            }
        }
        let (mut chosen, mut i) = (0, 1u64);
        while chosen < target {
            let j = ((draw(key, i) as u128 * n as u128) >> 64) as u32;
            i += 1;
            if get(mask, j) != healthy {
                continue; // already chosen
            }
            mask[(j >> 6) as usize] ^= 1 << (j & 63);
            chosen += 1;
        }
    }
}

/// A seeded weak-cell map of one DRAM system.
#[derive(Clone, Debug)]
pub struct FaultMap {
    model: ErrorModel,
    ber: f64,
    seed: u64,
    /// mix64(seed): the root of every key.
    seed_key: u64,
    bus_width: u32,
    device_width: u32,
    /// log2 of bus_width, device_width and columns per block (powers of two, see
    /// Standard::validate).
    bus_shift: u32,
    dev_shift: u32,
    block_shift: u32,
    block_bits: u32,
    /// Fraction of weak lines (models 1, 2); 0 otherwise.
    phi: f64,
    /// Error rate (on random data) of a cell on a weak line (models 1, 2); its weak-cell
    /// density is twice that.
    p_weak: f64,
    /// Error rate (on random data) of any other cell.
    p_cell: f64,
    /// Weak cells off weak lines (models 1, 2), or everywhere (models 0, 3).
    cells: Sampler,
    /// Weak bitlines among a block's bitlines (model 1).
    bitlines: Sampler,
    /// Candidate failing cells of a block, kept where the bitline is weak (model 1).
    weak_line_cells: Sampler,
    /// Weak wordlines among a row's devices (model 2).
    wordlines: Sampler,
    /// Weak cells of one device's share of a block on a weak wordline (model 2).
    wordline_cells: Sampler,
}

impl FaultMap {
    /// A map for `model` with overall bit error rate `ber` (clamped to [0, 0.5]).
    pub fn new(model: ErrorModel, ber: f64, seed: u64, std: &Standard) -> FaultMap {
        let o = &std.organization;
        let ber = if ber.is_finite() {
            ber.clamp(0.0, 0.5)
        } else {
            0.0
        };
        let block_bits = o.bus_width * o.columns_per_burst();
        let device_bits = o.device_width * o.columns_per_burst();
        let clustered = matches!(model, ErrorModel::Bitline | ErrorModel::Wordline);
        let phi = if clustered {
            WEAK_LINE_FRACTION_MIN.max(2.0 * CLUSTER_SHARE * ber)
        } else {
            0.0
        };
        // Error rates on random data; weak-cell densities are twice these (half of the
        // weak cells agree with a random bit).
        let (p_weak, p_cell) = match model {
            ErrorModel::None => (0.0, 0.0),
            ErrorModel::Uniform | ErrorModel::DataDependent => (0.0, ber),
            ErrorModel::Bitline | ErrorModel::Wordline => (
                CLUSTER_SHARE * ber / phi,
                (1.0 - CLUSTER_SHARE) * ber / (1.0 - phi),
            ),
        };
        let density = |p: f64| (2.0 * p).min(1.0);
        let only = |m: ErrorModel, p: f64| if model == m { p } else { 0.0 };
        FaultMap {
            model,
            ber,
            seed,
            seed_key: mix64(seed),
            bus_width: o.bus_width,
            device_width: o.device_width,
            bus_shift: o.bus_width.trailing_zeros(),
            dev_shift: o.device_width.trailing_zeros(),
            block_shift: o.columns_per_burst().trailing_zeros(),
            block_bits,
            phi,
            p_weak,
            p_cell,
            cells: Sampler::new(density(p_cell), block_bits),
            bitlines: Sampler::new(only(ErrorModel::Bitline, phi), block_bits),
            weak_line_cells: Sampler::new(density(only(ErrorModel::Bitline, p_weak)), block_bits),
            wordlines: Sampler::new(
                only(ErrorModel::Wordline, phi),
                o.devices_per_rank().min(64 * MASK_WORDS as u32),
            ),
            wordline_cells: Sampler::new(density(only(ErrorModel::Wordline, p_weak)), device_bits),
        }
    }

    pub fn model(&self) -> ErrorModel {
        self.model
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn ber(&self) -> f64 {
        self.ber
    }
    /// Fraction of lines that are weak (models 1, 2; 0 otherwise).
    pub fn weak_line_fraction(&self) -> f64 {
        self.phi
    }
    /// Error rate on random data of a cell on a weak line (models 1, 2); half its
    /// weak-cell density.
    pub fn weak_line_cell_rate(&self) -> f64 {
        self.p_weak
    }
    /// Error rate on random data of any other cell: off weak lines (models 1, 2), or
    /// any cell (models 0, 3); half its weak-cell density.
    pub fn cell_rate(&self) -> f64 {
        self.p_cell
    }

    /// Key of a bank's subarray: every location field but row and column. The fields
    /// are packed into disjoint bit ranges for the config's limits (channels <= 64,
    /// ranks <= 16, bank groups and banks < 256, subarrays < 2^32).
    #[inline]
    fn subarray_key(&self, loc: &DramAddr) -> u64 {
        let packed = (loc.channel as u64) << 56
            ^ (loc.rank as u64) << 48
            ^ (loc.bank_group as u64) << 40
            ^ (loc.bank as u64) << 32
            ^ loc.subarray as u64;
        mix64(self.seed_key ^ packed.wrapping_mul(K_FIELDS))
    }

    /// Read `data` (the stored bytes of the burst that starts at `loc`) through the
    /// weak cells: every weak cell's bit becomes its stuck value (loc.column = first
    /// column of the burst; byte i of data is at bit offset 8*i of the burst, LSB first;
    /// beat b covers bits b x bus_width.. and column + b). Returns the number of bits
    /// that changed (the errors). Idempotent: reading what a read returned returns it.
    pub fn apply_read(&self, loc: &DramAddr, data: &mut [u8]) -> u32 {
        if self.model == ErrorModel::None || self.ber <= 0.0 || data.is_empty() {
            return 0;
        }
        let bits = data.len() as i64 * 8;
        let first_col = loc.column as i64;
        let last_col = first_col + ((bits + self.bus_width as i64 - 1) >> self.bus_shift) - 1;
        let sub_key = self.subarray_key(loc);
        // Model 3: true cells (even subarrays) are stuck at 0, anti-cells at 1.
        let discharged = (loc.subarray & 1) as u8;
        let data_dependent = self.model == ErrorModel::DataDependent;
        let words = (self.block_bits as usize).div_ceil(64);
        let mut flips = 0u32;
        for block in first_col >> self.block_shift..=last_col >> self.block_shift {
            let mut small: Mask = [0; MASK_WORDS];
            let mut large = Vec::new();
            let faulty: &mut [u64] = if words <= MASK_WORDS {
                &mut small[..words]
            } else {
                large.resize(words, 0);
                &mut large
            };
            let block_key =
                mix64(sub_key ^ ((loc.row as u64) << 32 | block as u64).wrapping_mul(K_ROW));
            match self.model {
                ErrorModel::None => {}
                ErrorModel::Uniform | ErrorModel::DataDependent => {
                    self.cells.fill(block_key ^ TAG_CELLS, faulty)
                }
                ErrorModel::Bitline => self.bitline_block(sub_key, block_key, block as u64, faulty),
                ErrorModel::Wordline => self.wordline_block(sub_key, block_key, loc.row, faulty),
            }
            // Block bit j is data bit j + offset.
            let offset = ((block << self.block_shift) - first_col) << self.bus_shift;
            let stuck_key = block_key ^ TAG_STUCK;
            for_each_set(faulty, |j| {
                let k = j as i64 + offset;
                if k < 0 || k >= bits {
                    return;
                }
                let (byte, bit) = ((k >> 3) as usize, (k & 7) as u32);
                let stuck = if data_dependent {
                    discharged
                } else {
                    (draw(stuck_key, j as u64) & 1) as u8
                };
                if (data[byte] >> bit) & 1 != stuck {
                    data[byte] ^= 1 << bit;
                    flips += 1;
                }
            });
        }
        flips
    }

    /// Model 1: weak bitlines depend on the bank, subarray and column block only (not
    /// the row); their cells are weak at density 2 x `p_weak`, the others at the
    /// background density.
    fn bitline_block(&self, sub_key: u64, block_key: u64, block: u64, faulty: &mut [u64]) {
        let words = faulty.len();
        let (mut cand_small, mut weak_small): (Mask, Mask) = ([0; MASK_WORDS], [0; MASK_WORDS]);
        let (mut cand_large, mut weak_large) = (Vec::new(), Vec::new());
        let (cand, weak): (&mut [u64], &mut [u64]) = if words <= MASK_WORDS {
            (&mut cand_small[..words], &mut weak_small[..words])
        } else {
            cand_large.resize(words, 0);
            weak_large.resize(words, 0);
            (&mut cand_large, &mut weak_large)
        };
        // A cell on a weak bitline is weak when it is a candidate (drawn per
        // row); any other cell at the background rate. The weak set depends on the
        // column block, not the row.
        let line_key = mix64(sub_key ^ TAG_BITLINE ^ block.wrapping_mul(K_ROW));
        self.cells.fill(block_key ^ TAG_CELLS, faulty);
        // Weak-cell density on a weak bitline.
        let d_weak = self.weak_line_cells.p;
        if d_weak <= 2.0 * self.phi {
            // Few candidates (low BER): draw them first; the weak set is only needed when
            // some cell could fail.
            self.weak_line_cells.fill(block_key ^ TAG_WEAK_CELL, cand);
            if faulty.iter().chain(cand.iter()).all(|&w| w == 0) {
                return;
            }
            self.bitlines.fill(line_key, weak);
        } else {
            // Many candidates: test only the cells of the (few) weak bitlines.
            self.bitlines.fill(line_key, weak);
            let cell_key = block_key ^ TAG_WEAK_CELL;
            for_each_set(weak, |j| {
                if unit_f64(draw(cell_key, j as u64)) < d_weak {
                    set(cand, j);
                }
            });
        }
        for w in 0..words {
            faulty[w] = (faulty[w] & !weak[w]) | (cand[w] & weak[w]);
        }
    }

    /// Model 2: a device's wordline (this row) is weak or not; a weak wordline's cells
    /// are weak at density 2 x `p_weak`, the others at the background density.
    fn wordline_block(&self, sub_key: u64, block_key: u64, row: u32, faulty: &mut [u64]) {
        let devices = self.bus_width >> self.dev_shift;
        let dw = self.device_width;
        // Weakness of a wordline: this row in this device, the same for every block.
        let wl_key = mix64(sub_key ^ TAG_WORDLINE ^ (row as u64).wrapping_mul(K_ROW));
        let cell_key = block_key ^ TAG_WORDLINE;
        self.cells.fill(block_key ^ TAG_CELLS, faulty);
        // Weak devices: Bernoulli(phi) each, usually none, from one draw.
        let mut weak_devices: Mask = [0; MASK_WORDS];
        self.wordlines.fill(wl_key, &mut weak_devices);
        for d in 0..devices.min(64 * MASK_WORDS as u32) {
            if !get(&weak_devices, d) {
                continue;
            }
            // Device cell m = beat x dw + dq is block bit beat x bus_width + d x dw + dq.
            let to_block =
                |m: u32| ((m >> self.dev_shift) << self.bus_shift) + d * dw + (m & (dw - 1));
            for m in 0..dw << self.block_shift {
                let j = to_block(m);
                faulty[(j >> 6) as usize] &= !(1 << (j & 63));
            }
            let mut dev: Mask = [0; MASK_WORDS];
            let mut large = Vec::new();
            let dev_words = ((dw << self.block_shift) as usize).div_ceil(64);
            let dev_mask: &mut [u64] = if dev_words <= MASK_WORDS {
                &mut dev[..dev_words]
            } else {
                large.resize(dev_words, 0);
                &mut large
            };
            self.wordline_cells.fill(draw(cell_key, d as u64), dev_mask);
            for_each_set(dev_mask, |m| set(faulty, to_block(m)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ops::Range;

    /// The models that inject faults.
    const MODELS: [ErrorModel; 4] = [
        ErrorModel::Uniform,
        ErrorModel::Bitline,
        ErrorModel::Wordline,
        ErrorModel::DataDependent,
    ];

    fn ddr3() -> Standard {
        Standard::preset("DDR3-1600-x8").unwrap()
    }

    fn loc(bank: u32, subarray: u32, row: u32, column: u32) -> DramAddr {
        DramAddr {
            channel: 0,
            rank: 0,
            bank_group: 0,
            bank,
            subarray,
            row,
            column,
        }
    }

    /// Bits of a zeroed burst that the map flips (positions = the weak cells).
    fn faults(m: &FaultMap, l: &DramAddr, bytes: usize) -> Vec<u32> {
        let mut d = vec![0u8; bytes];
        m.apply_read(l, &mut d);
        (0..bytes as u32 * 8)
            .filter(|&k| d[(k / 8) as usize] >> (k % 8) & 1 == 1)
            .collect()
    }

    /// (mean, standard deviation) of Binomial(n, p).
    fn binomial(n: u64, p: f64) -> (f64, f64) {
        let n = n as f64;
        (n * p, (n * p * (1.0 - p)).sqrt())
    }

    fn assert_within_5_sigma(what: &str, got: u64, mean: f64, sigma: f64) {
        assert!(
            (got as f64 - mean).abs() < 5.0 * sigma,
            "{what}: {got} vs {mean} +- {sigma}"
        );
    }

    /// Standard deviation of `m`'s fault count over `lines` lines of `cells` cells each,
    /// a fraction phi of them weak (cell rate pw), the rest at pn: per line, the law of
    /// total variance, E[Var] + Var[E].
    fn line_sigma(m: &FaultMap, lines: f64, cells: f64) -> f64 {
        let (phi, pw, pn) = (
            m.weak_line_fraction(),
            m.weak_line_cell_rate(),
            m.cell_rate(),
        );
        let per_line = phi * cells * pw * (1.0 - pw)
            + (1.0 - phi) * cells * pn * (1.0 - pn)
            + phi * (1.0 - phi) * (cells * (pw - pn)).powi(2);
        (lines * per_line).sqrt()
    }

    /// Flips per line: (bank, column, pin) for bitlines, (bank, row, device) for wordlines.
    type PerLine = HashMap<(u32, u32, u32), u32>;

    struct Sweep {
        bits: u64,
        flips: u64,
        bitline: PerLine,
        wordline: PerLine,
    }

    /// Reads every (bank, row, column-block) of the given ranges.
    fn sweep(m: &FaultMap, rows: Range<u32>, blocks: Range<u32>) -> Sweep {
        let s = ddr3();
        let (bw, dw) = (s.organization.bus_width, s.organization.device_width);
        let mut bitline = HashMap::new();
        let mut wordline = HashMap::new();
        let (mut bits, mut total) = (0u64, 0u64);
        for bank in 0..8 {
            for row in rows.clone() {
                for blk in blocks.clone() {
                    let l = loc(bank, row / 512, row, blk * 8);
                    let f = faults(m, &l, 64);
                    bits += 512;
                    total += f.len() as u64;
                    for k in f {
                        let (col, pin) = (blk * 8 + k / bw, k % bw);
                        *bitline.entry((bank, col, pin)).or_insert(0) += 1;
                        *wordline.entry((bank, row, pin / dw)).or_insert(0) += 1;
                    }
                }
            }
        }
        Sweep {
            bits,
            flips: total,
            bitline,
            wordline,
        }
    }

    /// DDR3 x8 devices on the bus: the wordlines of one row of one bank.
    fn devices() -> f64 {
        let s = ddr3();
        (s.organization.bus_width / s.organization.device_width) as f64
    }

    /// Sweeps `rows` x `blocks` of every bank and asserts the fault count is within 5
    /// sigma of bits x BER. Sigma after the model: Binomial for independent cells
    /// (uniform); the weak/normal line mixture over the lines read (bitline, wordline).
    fn assert_rate_within_5_sigma(m: &FaultMap, rows: Range<u32>, blocks: Range<u32>) -> Sweep {
        let n_rows = rows.len() as f64;
        let sw = sweep(m, rows, blocks);
        let bits = sw.bits as f64;
        let sigma = match m.model() {
            ErrorModel::Uniform => binomial(sw.bits, m.ber()).1,
            // Each bitline (bank, column, pin) is read once per row.
            ErrorModel::Bitline => line_sigma(m, bits / n_rows, n_rows),
            // A wordline (bank, row, device) is read over every block of its row.
            ErrorModel::Wordline => {
                let lines = 8.0 * n_rows * devices();
                line_sigma(m, lines, bits / lines)
            }
            model => unreachable!("{model:?}: no rate check"),
        };
        let what = format!("{:?}", m.model());
        assert_within_5_sigma(&what, sw.flips, bits * m.ber(), sigma);
        sw
    }

    /// Clustering: the `top` most faulty lines of `m` (bitlines or wordlines, after its
    /// model) hold over 85% of its faults; uniformly placed weak cells (same seed and
    /// BER) put less than `uniform_max` on their top lines.
    fn assert_clustered(
        m: &FaultMap,
        rows: Range<u32>,
        blocks: Range<u32>,
        top: usize,
        uniform_max: f64,
    ) {
        let lines = |sw: Sweep| match m.model() {
            ErrorModel::Bitline => sw.bitline,
            _ => sw.wordline,
        };
        let clustered = top_share(&lines(sweep(m, rows.clone(), blocks.clone())), top);
        let u = FaultMap::new(ErrorModel::Uniform, m.ber(), m.seed(), &ddr3());
        let uniform = top_share(&lines(sweep(&u, rows, blocks)), top);
        assert!(
            clustered > 0.85 && uniform < uniform_max,
            "{:?} {clustered}, uniform {uniform}",
            m.model()
        );
    }

    /// Share of all faults on the `top` most faulty lines.
    fn top_share(per_line: &PerLine, top: usize) -> f64 {
        let mut c: Vec<u32> = per_line.values().copied().collect();
        c.sort_unstable_by(|a, b| b.cmp(a));
        let all: u32 = c.iter().sum();
        c.iter().take(top).sum::<u32>() as f64 / all as f64
    }

    #[test]
    fn none_and_zero_ber_do_nothing() {
        let s = ddr3();
        for m in [
            FaultMap::new(ErrorModel::None, 0.1, 1, &s),
            FaultMap::new(ErrorModel::Uniform, 0.0, 1, &s),
        ] {
            let mut d = [0xA5u8; 64];
            assert_eq!(m.apply_read(&loc(0, 0, 0, 0), &mut d), 0);
            assert_eq!(d, [0xA5u8; 64]);
        }
    }

    #[test]
    fn uniform_ber_within_5_sigma() {
        let m = FaultMap::new(ErrorModel::Uniform, 1e-3, 7, &ddr3());
        // Independent cells: Binomial(bits, ber).
        assert_rate_within_5_sigma(&m, 0..64, 0..40);
    }

    #[test]
    fn bitline_ber_within_5_sigma_and_clustered() {
        let ber = 1e-3;
        let m = FaultMap::new(ErrorModel::Bitline, ber, 11, &ddr3());
        let (phi, pw, pn) = (
            m.weak_line_fraction(),
            m.weak_line_cell_rate(),
            m.cell_rate(),
        );
        // The parameters keep the mean: phi pw + (1 - phi) pn = ber.
        assert!((phi * pw + (1.0 - phi) * pn - ber).abs() < 1e-15);
        let rows = 64u32;
        let sw = assert_rate_within_5_sigma(&m, 0..rows, 0..128);
        // 0.2% of bitlines hold 90% of the weak cells: the top 1% hold most faults;
        // uniformly placed faults (0.064 per line) put far less on the top 1%.
        let lines = sw.bits as f64 / rows as f64;
        assert_clustered(&m, 0..rows, 0..128, (lines / 100.0) as usize, 0.4);
    }

    #[test]
    fn wordline_ber_within_5_sigma_and_clustered() {
        let m = FaultMap::new(ErrorModel::Wordline, 1e-3, 13, &ddr3());
        // BER: many wordlines, 2 blocks each (a wordline = 2 x 8 beats x 8 DQ cells).
        assert_rate_within_5_sigma(&m, 0..4096, 0..2);
        // Clustering: fewer wordlines read over 32 blocks each.
        let top = (8.0 * 256.0 * devices() / 100.0) as usize;
        assert_clustered(&m, 0..256, 0..32, top, 0.1);
    }

    #[test]
    fn data_dependent_flips_only_vulnerable_values() {
        let ber = 1e-3;
        let s = ddr3();
        let m = FaultMap::new(ErrorModel::DataDependent, ber, 17, &s);
        let (mut vuln, mut safe, mut random, mut bits) = (0u64, 0u64, 0u64, 0u64);
        let mut rng = crate::rng::Rng::new(5);
        for sub in 0..4u32 {
            // Even subarrays: true cells, vulnerable value 1 (0xFF); odd: anti-cells, 0.
            let (v, nv) = if sub % 2 == 0 {
                (0xFFu8, 0x00u8)
            } else {
                (0x00, 0xFF)
            };
            for row in 0..256u32 {
                for blk in 0..64u32 {
                    let l = loc(sub, sub, sub * 512 + row, blk * 8);
                    let mut d = [v; 64];
                    vuln += m.apply_read(&l, &mut d) as u64;
                    let mut d = [nv; 64];
                    safe += m.apply_read(&l, &mut d) as u64;
                    let mut d = [0u8; 64];
                    d.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
                    random += m.apply_read(&l, &mut d) as u64;
                    bits += 512;
                }
            }
        }
        // Weak density 2 ber: all-vulnerable data ~ Binomial(bits, 2 ber); random data
        // (half the bits vulnerable) ~ ber; the opposite data never flips.
        let (m2, s2) = binomial(bits, 2.0 * ber);
        assert_within_5_sigma("vulnerable", vuln, m2, s2);
        // Random data: the weak cells are vulnerable with probability 1/2 each:
        // Binomial(bits, ber) given independent data bits.
        let (m1, s1) = binomial(bits, ber);
        assert_within_5_sigma("random", random, m1, s1);
        assert_eq!(safe, 0);
    }

    #[test]
    fn high_ber_paths_keep_the_rate() {
        let s = ddr3();
        // Uniform at 0.3: Binomial(bits, 0.3).
        let m = FaultMap::new(ErrorModel::Uniform, 0.3, 21, &s);
        assert_rate_within_5_sigma(&m, 0..16, 0..16);
        // Clustered models at 0.2: phi = 2 x 0.9 x 0.2 = 0.36, weak-line cells at 0.5.
        for model in [ErrorModel::Bitline, ErrorModel::Wordline] {
            let m = FaultMap::new(model, 0.2, 23, &s);
            assert!((m.weak_line_fraction() - 0.36).abs() < 1e-12);
            assert!((m.weak_line_cell_rate() - 0.5).abs() < 1e-12);
            assert_rate_within_5_sigma(&m, 0..64, 0..16);
        }
        // Model 3 at 0.5: weak-cell density 1, so every vulnerable bit flips.
        let m = FaultMap::new(ErrorModel::DataDependent, 0.5, 25, &s);
        let mut d = [0u8; 64];
        assert_eq!(m.apply_read(&loc(0, 1, 600, 0), &mut d), 512);
        assert_eq!(d, [0xFF; 64]);
    }

    #[test]
    fn stable_per_cell_whatever_the_access() {
        let s = ddr3();
        for model in MODELS {
            let m = FaultMap::new(model, 0.05, 3, &s);
            let mut seen = 0;
            for row in 0..50u32 {
                // Subarray 1 for model 3: anti-cells, so zeroed data is all vulnerable.
                let a = loc(2, 1, row, 16);
                let aligned0 = faults(&m, &a, 64);
                assert_eq!(aligned0, faults(&m, &a, 64), "{model:?}: same read twice");
                let aligned1 = faults(&m, &loc(2, 1, row, 24), 64);
                // A burst from column 20 covers beats 4..8 of block 16 and 0..4 of block 24.
                let shifted = faults(&m, &loc(2, 1, row, 20), 64);
                let want: Vec<u32> = aligned0
                    .iter()
                    .filter(|&&k| k >= 256)
                    .map(|&k| k - 256)
                    .chain(aligned1.iter().filter(|&&k| k < 256).map(|&k| k + 256))
                    .collect();
                assert_eq!(shifted, want, "{model:?} row {row}");
                // A short read sees a prefix of the same cells.
                let short = faults(&m, &a, 8);
                assert_eq!(
                    short,
                    aligned0
                        .iter()
                        .copied()
                        .filter(|&k| k < 64)
                        .collect::<Vec<_>>()
                );
                seen += aligned0.len();
            }
            assert!(seen > 100, "{model:?}: too few faults to test ({seen})");
        }
    }

    /// A weak cell reads its stuck value whatever is stored: reading all-zero data
    /// shows the cells stuck at 1 (s1), all-one data those stuck at 0 (s0), and any
    /// stored word then reads (word & !s0) | s1; a read-modify-write stores what the
    /// cells returned, and reading it again returns the same. Model 3's cells are stuck
    /// at their discharged value: 0 in a true-cell (even) subarray, 1 in an anti-cell one.
    #[test]
    fn a_weak_cell_reads_its_stuck_value_whatever_is_stored() {
        let s = ddr3();
        for model in MODELS {
            let m = FaultMap::new(model, 0.05, 41, &s);
            let (mut s0_seen, mut s1_seen) = (0, 0);
            for (sub, row) in [(0u32, 3u32), (1, 515), (2, 1030), (3, 1800)] {
                let l = loc(1, sub, row, 8);
                let mut zeros = [0u8; 64];
                m.apply_read(&l, &mut zeros);
                let mut ones = [0xFFu8; 64];
                m.apply_read(&l, &mut ones);
                let s1 = zeros;
                let s0: Vec<u8> = ones.iter().map(|b| !b).collect();
                for i in 0..64 {
                    assert_eq!(s0[i] & s1[i], 0, "{model:?}: a cell stuck at 0 and 1");
                    s0_seen += s0[i].count_ones();
                    s1_seen += s1[i].count_ones();
                }
                if model == ErrorModel::DataDependent {
                    let stuck = if sub % 2 == 0 { &s1[..] } else { &s0[..] };
                    assert!(stuck.iter().all(|&b| b == 0), "{model:?} sub {sub}");
                }
                for word in [0xA5u8, 0x3C, 0x01, 0x80] {
                    let stored = [word; 64];
                    let mut read = stored;
                    let errors = m.apply_read(&l, &mut read);
                    let mut want_errors = 0;
                    for i in 0..64 {
                        let want = (word & !s0[i]) | s1[i];
                        assert_eq!(read[i], want, "{model:?} byte {i} of {word:#x}");
                        want_errors += (want ^ word).count_ones();
                    }
                    assert_eq!(errors, want_errors);
                    // Read-modify-write: the update lands on what the cells returned.
                    let mut again = read;
                    assert_eq!(m.apply_read(&l, &mut again), 0, "{model:?}: idempotent");
                    assert_eq!(again, read);
                    let mut updated: Vec<u8> = read.iter().map(|b| b.wrapping_add(1)).collect();
                    m.apply_read(&l, &mut updated);
                    for i in 0..64 {
                        let want = (read[i].wrapping_add(1) & !s0[i]) | s1[i];
                        assert_eq!(updated[i], want);
                    }
                }
            }
            // At 5% BER (10% weak cells) 2048 cells hold both kinds.
            if model == ErrorModel::DataDependent {
                assert!(
                    s0_seen > 20 && s1_seen > 20,
                    "{model:?}: {s0_seen} {s1_seen}"
                );
            } else {
                assert!(
                    s0_seen > 40 && s1_seen > 40,
                    "{model:?}: {s0_seen} {s1_seen}"
                );
            }
        }
    }

    #[test]
    fn different_seed_different_map() {
        let s = ddr3();
        for model in MODELS {
            let (a, b) = (
                FaultMap::new(model, 0.01, 1, &s),
                FaultMap::new(model, 0.01, 2, &s),
            );
            let (mut same, mut total) = (0usize, 0usize);
            for row in 0..200u32 {
                // Subarray 1: anti-cells, so zeroed data is all vulnerable (model 3).
                let l = loc(1, 1, row, 0);
                let (fa, fb) = (faults(&a, &l, 64), faults(&b, &l, 64));
                same += fa.iter().filter(|k| fb.contains(k)).count();
                total += fa.len();
            }
            // Independent maps share a fault only by chance (~ rate x faults).
            assert!(
                total > 200 && (same as f64) < 0.2 * total as f64,
                "{model:?}: {same} of {total}"
            );
        }
    }

    #[test]
    fn other_organizations_map_every_bit() {
        // x32 LPDDR3 (one device) and a narrow x16 bus: faults land on every byte.
        for name in ["LPDDR3-1600", "DDR3-1600-x16", "DDR4-2400"] {
            let s = Standard::preset(name).unwrap();
            let bytes = s.organization.burst_bytes() as usize;
            for model in MODELS {
                let m = FaultMap::new(model, 0.2, 9, &s);
                let mut hit = vec![false; bytes * 8];
                for row in 0..200u32 {
                    faults(&m, &loc(0, 1, row, 8), bytes)
                        .into_iter()
                        .for_each(|k| hit[k as usize] = true);
                }
                assert!(hit.iter().all(|&h| h), "{name} {model:?}");
            }
        }
    }

    /// This thread's time on a CPU, ns (Linux schedstat): unlike wall time it does not
    /// count the time other processes hold the cores.
    fn cpu_ns() -> Option<u64> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        text.split_whitespace().next()?.parse().ok()
    }

    /// Cost of one 64-byte burst read, per model, at BER 1e-3, 1e-4 and 1e-6: the best
    /// of 7 rounds of 500k reads, in CPU time (the machine is shared).
    /// Run: cargo test --release -p spikemem-arch fault_injection_speed -- --ignored --nocapture
    #[test]
    #[ignore]
    fn fault_injection_speed() {
        let s = ddr3();
        let n = 500_000u32;
        for ber in [1e-3, 1e-4, 1e-6] {
            for model in MODELS {
                let m = FaultMap::new(model, ber, 1, &s);
                let mut d = [0x5Au8; 64];
                let mut flips = 0u64;
                let mut best = f64::INFINITY;
                for round in 0..7u32 {
                    let t = (cpu_ns(), std::time::Instant::now());
                    for i in 0..n {
                        let i = i + round * n;
                        let l = loc(i & 7, (i >> 3) & 63, i >> 3, (i & 127) * 8);
                        flips += m.apply_read(std::hint::black_box(&l), &mut d) as u64;
                    }
                    let spent = match (t.0, cpu_ns()) {
                        (Some(a), Some(b)) => (b - a) as f64,
                        _ => t.1.elapsed().as_nanos() as f64,
                    };
                    best = best.min(spent / n as f64);
                }
                println!("{model:?} ber {ber:e}: {best:.1} ns per 64-byte burst ({flips} flips in {} reads)", 7 * n);
                if !cfg!(debug_assertions) {
                    assert!(best < 100.0, "{model:?}: {best} ns");
                }
            }
        }
    }
}
