//! How a projection's synapses are stored, and what each access costs.
//!
//! Encodings (Schaefer, Faley, Neftci, Joshi, "Memory organization for energy-efficient
//! learning and inference in digital neuromorphic accelerators", ISCAS 2020,
//! arXiv 2003.11639): dense crossbar, index (pointer-based CSR), bitmap (pointer-based
//! bitmap), functional (connectivity computed from convolution geometry, only kernels
//! stored) and functional with a bitmap over kernel entries.
//!
//! Every encoding really stores the synapses in packed bit sections (so a round trip
//! proves it), reports its exact footprint in bits, and for a forward spike of pre
//! neuron i, a backward (transposed) access for post neuron j and a weight update of
//! (i, j) lists the words it touches in its own linear word space and counts the
//! decoder operations it needs.
//!
//! Word space: sections (pointers, indices, bitmap, weights...) are laid out one after
//! another, each starting on a word boundary, so `total_words` may exceed
//! `ceil(footprint_bits / word_bits)` by at most one word per section.
//! Word counting rule: a touched word that continues or overlaps the previous range is
//! read once (a one-word read buffer); a word touched again after other words is read
//! again (no cache).

/// The `SynapseEncoding` methods that every encoding answers from its `Layout` (the
/// path to it given, e.g. `layout`): footprint, word width, word-space size.
macro_rules! layout_methods {
    ($($field:ident).+) => {
        fn footprint_bits(&self) -> u64 {
            self.$($field).+.footprint_bits
        }
        fn word_bits(&self) -> u32 {
            self.$($field).+.word_bits
        }
        fn total_words(&self) -> u64 {
            self.$($field).+.total_words
        }
    };
}

mod bitmap;
mod crossbar;
mod functional;
mod functional_bitmap;
mod index;
mod pointer_bitmap;
pub mod trend;

pub use bitmap::BitmapEncoding;
pub use crossbar::CrossbarEncoding;
pub use functional::FunctionalEncoding;
pub use functional_bitmap::FunctionalBitmapEncoding;
pub use index::IndexEncoding;

use serde::{Deserialize, Serialize};

/// Errors of layer construction and encoding.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EncodingError {
    #[error("invalid layer: {0}")]
    InvalidLayer(String),
    #[error("encoding `{0}` needs convolution geometry; this layer is a dense matrix")]
    NeedsGeometry(&'static str),
    #[error("invalid encoding config: key `{key}`: {msg}")]
    InvalidConfig { key: String, msg: String },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EncodingKind {
    Crossbar,
    Index,
    Bitmap,
    Functional,
    FunctionalBitmap,
}

impl EncodingKind {
    pub const ALL: [EncodingKind; 5] = [
        EncodingKind::Crossbar,
        EncodingKind::Index,
        EncodingKind::Bitmap,
        EncodingKind::Functional,
        EncodingKind::FunctionalBitmap,
    ];
    pub fn name(self) -> &'static str {
        match self {
            EncodingKind::Crossbar => "crossbar",
            EncodingKind::Index => "index",
            EncodingKind::Bitmap => "bitmap",
            EncodingKind::Functional => "functional",
            EncodingKind::FunctionalBitmap => "functional_bitmap",
        }
    }
    pub fn needs_geometry(self) -> bool {
        matches!(
            self,
            EncodingKind::Functional | EncodingKind::FunctionalBitmap
        )
    }
}

/// A contiguous run of words in an encoding's word space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordRange {
    pub start_word: u64,
    pub words: u64,
}

/// Memory words and decoder operations of one access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessCost {
    pub words_read: u64,
    pub words_written: u64,
    /// Pointer reads out of registers/words and pointer arithmetic (add, subtract).
    pub pointer_ops: u64,
    /// Popcounts of one bitmap word (or part of one).
    pub popcounts: u64,
    /// Compares of a stored column index against a target index.
    pub index_compares: u64,
    /// Address generations: a multiply-add that turns an index or a geometry position
    /// into a word address or a target neuron.
    pub addr_gens: u64,
}

impl AccessCost {
    /// Energy of this access: words x SRAM word energies + decoder ops x their costs.
    pub fn energy_pj(&self, read_word_pj: f64, write_word_pj: f64, c: &DecoderCosts) -> f64 {
        self.words_read as f64 * read_word_pj
            + self.words_written as f64 * write_word_pj
            + self.decoder_energy_pj(c)
    }
    pub fn decoder_energy_pj(&self, c: &DecoderCosts) -> f64 {
        self.pointer_ops as f64 * c.pointer_op_pj
            + self.popcounts as f64 * c.popcount_pj
            + self.index_compares as f64 * c.index_compare_pj
            + self.addr_gens as f64 * c.addr_gen_pj
    }
    pub fn add(&mut self, o: &AccessCost) {
        self.words_read += o.words_read;
        self.words_written += o.words_written;
        self.pointer_ops += o.pointer_ops;
        self.popcounts += o.popcounts;
        self.index_compares += o.index_compares;
        self.addr_gens += o.addr_gens;
    }
}

/// Energy of decoder operations. Defaults: 45 nm, 0.9 V, from Horowitz (ISSCC 2014):
/// 8-bit add 0.03 pJ, 32-bit add 0.1 pJ, 8-bit multiply 0.2 pJ, 32-bit multiply 3.1 pJ.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DecoderCosts {
    /// A pointer read from a register or an add/subtract on ~20-bit pointers: a
    /// 32-bit add (0.1 pJ).
    pub pointer_op_pj: f64,
    /// Popcount of a word: an adder tree of about one 32-bit add plus masking.
    pub popcount_pj: f64,
    /// A compare of ~16-bit indices: half a 32-bit add.
    pub index_compare_pj: f64,
    /// A 16-bit multiply-add (multiply energy ~ width^2: 0.2 pJ x 4) plus an add.
    pub addr_gen_pj: f64,
}

impl Default for DecoderCosts {
    fn default() -> Self {
        DecoderCosts {
            pointer_op_pj: 0.1,
            popcount_pj: 0.15,
            index_compare_pj: 0.05,
            addr_gen_pj: 0.85,
        }
    }
}

/// The `[encoding]` config table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EncodingConfig {
    /// crossbar | index | bitmap | functional | functional_bitmap
    pub kind: EncodingKind,
    /// Width of a word of the encoding's word space (the memory it is placed in).
    pub word_bits: u32,
    pub decoder: DecoderCosts,
}

impl Default for EncodingConfig {
    fn default() -> Self {
        EncodingConfig {
            kind: EncodingKind::Crossbar,
            word_bits: 32,
            decoder: DecoderCosts::default(),
        }
    }
}

impl EncodingConfig {
    pub fn validate(&self) -> Result<(), EncodingError> {
        let err = |key: &str, msg: String| {
            Err(EncodingError::InvalidConfig {
                key: format!("encoding.{key}"),
                msg,
            })
        };
        if !(8..=1024).contains(&self.word_bits) {
            return err(
                "word_bits",
                format!("{} is not accepted: 8..=1024", self.word_bits),
            );
        }
        let d = &self.decoder;
        for (key, v) in [
            ("decoder.pointer_op_pj", d.pointer_op_pj),
            ("decoder.popcount_pj", d.popcount_pj),
            ("decoder.index_compare_pj", d.index_compare_pj),
            ("decoder.addr_gen_pj", d.addr_gen_pj),
        ] {
            if !(0.0..=1e6).contains(&v) {
                return err(key, format!("{v} is not accepted: 0..=1e6 pJ"));
            }
        }
        Ok(())
    }
}

/// A dense layer: row-major N_pre x N_post codes of `weight_bits` bits; 0 = no synapse.
/// Signed weights are stored as their b-bit two's-complement pattern by the quantizer.
/// With per-synapse delays (`delay_bits` > 0), each present synapse also stores its delay
/// in timesteps, right above its weight: its stored field is `weight_bits + delay_bits`
/// wide (`field`).
#[derive(Clone, Debug, PartialEq)]
pub struct DenseLayer {
    pub n_pre: usize,
    pub n_post: usize,
    pub weight_bits: u32,
    pub codes: Vec<u32>,
    /// Bits of each synapse's delay field (0: no per-synapse delays).
    pub delay_bits: u32,
    /// Per synapse (row-major), its delay in timesteps; empty when `delay_bits` = 0.
    pub delays: Vec<u16>,
}

impl DenseLayer {
    pub fn new(
        n_pre: usize,
        n_post: usize,
        weight_bits: u32,
        codes: Vec<u32>,
    ) -> Result<Self, EncodingError> {
        let d = DenseLayer {
            n_pre,
            n_post,
            weight_bits,
            codes,
            delay_bits: 0,
            delays: Vec::new(),
        };
        d.validate()?;
        Ok(d)
    }
    /// The same layer with per-synapse delays (timesteps) stored in `delay_bits` bits.
    pub fn with_delays(mut self, delay_bits: u32, delays: Vec<u16>) -> Result<Self, EncodingError> {
        self.delay_bits = delay_bits;
        self.delays = delays;
        self.validate()?;
        Ok(self)
    }
    /// Width of a stored synapse field: weight, then delay.
    pub fn field_bits(&self) -> u32 {
        self.weight_bits + self.delay_bits
    }
    /// Synapse k's stored field (0 = no synapse: an absent synapse stores no delay).
    pub fn field(&self, k: usize) -> u64 {
        let c = self.codes[k] as u64;
        if c == 0 || self.delay_bits == 0 {
            c
        } else {
            c | (self.delays[k] as u64) << self.weight_bits
        }
    }
    /// Every synapse's field, row-major.
    pub fn fields(&self) -> Vec<u64> {
        (0..self.codes.len()).map(|k| self.field(k)).collect()
    }
    /// The weight code in a stored field.
    pub fn weight_of(&self, field: u64) -> u32 {
        weight_code(field, self.weight_bits)
    }
    pub fn validate(&self) -> Result<(), EncodingError> {
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        if n_pre == 0 || n_post == 0 {
            return Err(EncodingError::InvalidLayer(format!(
                "{n_pre} x {n_post}: both sizes must be >= 1"
            )));
        }
        check_bits(self.weight_bits)?;
        if self.codes.len() != n_pre * n_post {
            return Err(EncodingError::InvalidLayer(format!(
                "{} codes for a {n_pre} x {n_post} matrix",
                self.codes.len()
            )));
        }
        check_codes(&self.codes, self.weight_bits)?;
        if self.delay_bits > 16 {
            return Err(EncodingError::InvalidLayer(format!(
                "delay_bits {} is not accepted: 0..=16",
                self.delay_bits
            )));
        }
        let want = if self.delay_bits == 0 {
            0
        } else {
            self.codes.len()
        };
        if self.delays.len() != want {
            return Err(EncodingError::InvalidLayer(format!(
                "{} delays for {want} synapses (delay_bits {})",
                self.delays.len(),
                self.delay_bits
            )));
        }
        match self
            .delays
            .iter()
            .position(|&d| (d as u64) >> self.delay_bits != 0)
        {
            Some(k) => Err(EncodingError::InvalidLayer(format!(
                "delay {} of synapse {k} does not fit in {} bits",
                self.delays[k], self.delay_bits
            ))),
            None => Ok(()),
        }
    }
    pub fn nnz(&self) -> u64 {
        self.codes.iter().filter(|&&c| c != 0).count() as u64
    }
    pub fn row(&self, pre: usize) -> &[u32] {
        &self.codes[pre * self.n_post..(pre + 1) * self.n_post]
    }
}

/// Convolution geometry: C_in x H x W inputs, C_out x OH x OW outputs, k x k kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    pub c_in: usize,
    pub c_out: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    pub stride: usize,
    pub padding: usize,
}

impl ConvGeometry {
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.padding - self.k) / self.stride + 1
    }
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.padding - self.k) / self.stride + 1
    }
    pub fn n_pre(&self) -> usize {
        self.c_in * self.h * self.w
    }
    pub fn n_post(&self) -> usize {
        self.c_out * self.out_h() * self.out_w()
    }
    pub fn kernel_len(&self) -> usize {
        self.c_out * self.c_in * self.k * self.k
    }
    /// Index of kernel entry (co, ci, ky, kx), row-major.
    pub fn kernel_index(&self, co: usize, ci: usize, ky: usize, kx: usize) -> usize {
        ((co * self.c_in + ci) * self.k + ky) * self.k + kx
    }
    /// (ci, y, x) of a pre neuron.
    pub fn pre_pos(&self, pre: usize) -> (usize, usize, usize) {
        (
            pre / (self.h * self.w),
            (pre / self.w) % self.h,
            pre % self.w,
        )
    }
    /// (co, oy, ox) of a post neuron.
    pub fn post_pos(&self, post: usize) -> (usize, usize, usize) {
        let (oh, ow) = (self.out_h(), self.out_w());
        (post / (oh * ow), (post / ow) % oh, post % ow)
    }
    pub fn post_index(&self, co: usize, oy: usize, ox: usize) -> usize {
        (co * self.out_h() + oy) * self.out_w() + ox
    }
    pub fn pre_index(&self, ci: usize, y: usize, x: usize) -> usize {
        (ci * self.h + y) * self.w + x
    }
    /// Output coordinate o with o*stride - padding + kk = i, if any.
    pub fn out_coord(&self, i: usize, kk: usize, n_out: usize) -> Option<usize> {
        let t = i + self.padding;
        if t < kk || !(t - kk).is_multiple_of(self.stride) {
            return None;
        }
        let o = (t - kk) / self.stride;
        (o < n_out).then_some(o)
    }
    /// Input coordinate i = o*stride - padding + kk, if inside 0..n_in.
    pub fn in_coord(&self, o: usize, kk: usize, n_in: usize) -> Option<usize> {
        let t = o * self.stride + kk;
        if t < self.padding || t - self.padding >= n_in {
            return None;
        }
        Some(t - self.padding)
    }
    /// Kernel entries through which pre neuron `pre` reaches output channel `co`, as
    /// (kernel index, post neuron), ky then kx ascending: the taps whose output falls
    /// inside the output map.
    pub(crate) fn forward_taps(
        &self,
        pre: usize,
        co: usize,
    ) -> impl Iterator<Item = (usize, usize)> + Clone + '_ {
        let (ci, y, x) = self.pre_pos(pre);
        let (oh, ow) = (self.out_h(), self.out_w());
        taps(
            self.k,
            move |ky| self.out_coord(y, ky, oh),
            move |kx| self.out_coord(x, kx, ow),
        )
        .map(move |(ky, kx, oy, ox)| {
            (
                self.kernel_index(co, ci, ky, kx),
                self.post_index(co, oy, ox),
            )
        })
    }
    /// Kernel entries through which input channel `ci` reaches post neuron `post`, as
    /// (kernel index, pre neuron), ky then kx ascending: the taps whose input falls
    /// inside the (unpadded) input.
    pub(crate) fn backward_taps(
        &self,
        post: usize,
        ci: usize,
    ) -> impl Iterator<Item = (usize, usize)> + Clone + '_ {
        let (co, oy, ox) = self.post_pos(post);
        taps(
            self.k,
            move |ky| self.in_coord(oy, ky, self.h),
            move |kx| self.in_coord(ox, kx, self.w),
        )
        .map(move |(ky, kx, y, x)| (self.kernel_index(co, ci, ky, kx), self.pre_index(ci, y, x)))
    }
    /// The kernel entry that connects `pre` to `post`, if the geometry connects them.
    pub(crate) fn kernel_entry(&self, pre: usize, post: usize) -> Option<usize> {
        let (ci, y, x) = self.pre_pos(pre);
        let (co, oy, ox) = self.post_pos(post);
        let ky = (y + self.padding)
            .checked_sub(oy * self.stride)
            .filter(|&v| v < self.k)?;
        let kx = (x + self.padding)
            .checked_sub(ox * self.stride)
            .filter(|&v| v < self.k)?;
        Some(self.kernel_index(co, ci, ky, kx))
    }
    fn validate(&self) -> Result<(), EncodingError> {
        let g = self;
        if g.c_in == 0 || g.c_out == 0 || g.k == 0 || g.stride == 0 || g.h == 0 || g.w == 0 {
            return Err(EncodingError::InvalidLayer(format!(
                "{g:?}: every size and the stride must be >= 1"
            )));
        }
        if g.h + 2 * g.padding < g.k || g.w + 2 * g.padding < g.k {
            return Err(EncodingError::InvalidLayer(format!(
                "{g:?}: kernel larger than the padded input"
            )));
        }
        if g.padding >= g.k {
            return Err(EncodingError::InvalidLayer(format!(
                "{g:?}: padding must be < k"
            )));
        }
        Ok(())
    }
}

/// (ky, kx, row, col) of the k x k kernel taps whose row `row(ky)` and column
/// `col(kx)` exist, ky then kx ascending.
fn taps<R, C>(
    k: usize,
    row: R,
    col: C,
) -> impl Iterator<Item = (usize, usize, usize, usize)> + Clone
where
    R: Fn(usize) -> Option<usize> + Clone,
    C: Fn(usize) -> Option<usize> + Clone,
{
    (0..k)
        .filter_map(move |ky| row(ky).map(|r| (ky, r)))
        .flat_map(move |(ky, r)| {
            let col = col.clone();
            (0..k).filter_map(move |kx| col(kx).map(|c| (ky, kx, r, c)))
        })
}

/// A convolution layer: geometry and kernel codes [co][ci][ky][kx]; 0 = no synapse.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvLayer {
    pub geom: ConvGeometry,
    pub weight_bits: u32,
    pub kernel: Vec<u32>,
}

/// The weight code in the low `weight_bits` of a stored synapse field (a delay, if
/// stored, sits above it).
pub(crate) fn weight_code(field: u64, weight_bits: u32) -> u32 {
    (field & ((1u64 << weight_bits) - 1)) as u32
}

impl ConvLayer {
    /// The kernel codes as the values the packed sections store.
    pub(crate) fn kernel_values(&self) -> Vec<u64> {
        self.kernel.iter().map(|&c| c as u64).collect()
    }

    pub fn new(
        geom: ConvGeometry,
        weight_bits: u32,
        kernel: Vec<u32>,
    ) -> Result<Self, EncodingError> {
        let c = ConvLayer {
            geom,
            weight_bits,
            kernel,
        };
        c.validate()?;
        Ok(c)
    }
    pub fn validate(&self) -> Result<(), EncodingError> {
        self.geom.validate()?;
        check_bits(self.weight_bits)?;
        if self.kernel.len() != self.geom.kernel_len() {
            return Err(EncodingError::InvalidLayer(format!(
                "{} kernel codes, geometry needs {}",
                self.kernel.len(),
                self.geom.kernel_len()
            )));
        }
        check_codes(&self.kernel, self.weight_bits)
    }
    /// The equivalent dense matrix (pre = (ci, y, x), post = (co, oy, ox)).
    pub fn to_dense(&self) -> DenseLayer {
        let g = &self.geom;
        let (n_pre, n_post) = (g.n_pre(), g.n_post());
        let mut codes = vec![0u32; n_pre * n_post];
        for post in 0..n_post {
            for ci in 0..g.c_in {
                for (idx, pre) in g.backward_taps(post, ci) {
                    codes[pre * n_post + post] = self.kernel[idx];
                }
            }
        }
        DenseLayer {
            n_pre,
            n_post,
            weight_bits: self.weight_bits,
            codes,
            delay_bits: 0,
            delays: Vec::new(),
        }
    }
}

/// A projection's weights: a dense matrix or a convolution.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Dense(DenseLayer),
    Conv(ConvLayer),
}

fn check_bits(b: u32) -> Result<(), EncodingError> {
    // Up to 32: float weights are stored as their 32-bit patterns.
    if (1..=32).contains(&b) {
        Ok(())
    } else {
        Err(EncodingError::InvalidLayer(format!(
            "weight_bits {b} is not accepted: 1..=32"
        )))
    }
}

fn check_codes(codes: &[u32], b: u32) -> Result<(), EncodingError> {
    match codes.iter().position(|&c| (c as u64) >> b != 0) {
        Some(p) => Err(EncodingError::InvalidLayer(format!(
            "code {} at {p} does not fit {b} bits",
            codes[p]
        ))),
        None => Ok(()),
    }
}

/// What every encoding answers.
pub trait SynapseEncoding: Send + Sync {
    fn kind(&self) -> EncodingKind;
    fn n_pre(&self) -> usize;
    fn n_post(&self) -> usize;
    /// Exact storage in bits (the sum of the packed sections, no word padding).
    fn footprint_bits(&self) -> u64;
    fn word_bits(&self) -> u32;
    /// Words of the word space (sections start on word boundaries).
    fn total_words(&self) -> u64;
    /// Forward spike of pre neuron `pre`: read its outgoing synapses. `ranges` is
    /// cleared and filled with the touched words.
    fn forward(&self, pre: usize, ranges: &mut Vec<WordRange>) -> AccessCost;
    /// Backward (transposed) access for post neuron `post`: read its incoming synapses.
    fn backward(&self, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost;
    /// Weight update of synapse (pre, post): locate, read and write back its weight.
    /// An absent synapse is located (its cost counted) but nothing is written.
    fn update(&self, pre: usize, post: usize, ranges: &mut Vec<WordRange>) -> AccessCost;
    /// Decode the codes of pre neuron `pre`'s outgoing synapses into `out` (len n_post;
    /// 0 = absent), from the stored bits.
    fn decode_forward(&self, pre: usize, out: &mut [u32]);
}

/// Build an encoding of `layer`. Dense encodings of a conv layer encode its dense
/// equivalent; functional encodings need a conv layer.
pub fn build(
    kind: EncodingKind,
    layer: &Layer,
    word_bits: u32,
) -> Result<Box<dyn SynapseEncoding>, EncodingError> {
    if !(8..=1024).contains(&word_bits) {
        return Err(EncodingError::InvalidConfig {
            key: "encoding.word_bits".into(),
            msg: format!("{word_bits} is not accepted: 8..=1024"),
        });
    }
    // Fields are public: re-check a layer built without `new`, so no encoder panics.
    match layer {
        Layer::Dense(d) => d.validate()?,
        Layer::Conv(c) => c.validate()?,
    }
    fn dense_of(l: &Layer) -> std::borrow::Cow<'_, DenseLayer> {
        match l {
            Layer::Dense(d) => std::borrow::Cow::Borrowed(d),
            Layer::Conv(c) => std::borrow::Cow::Owned(c.to_dense()),
        }
    }
    Ok(match (kind, layer) {
        (EncodingKind::Crossbar, l) => Box::new(CrossbarEncoding::new(&dense_of(l), word_bits)),
        (EncodingKind::Index, l) => Box::new(IndexEncoding::new(&dense_of(l), word_bits)),
        (EncodingKind::Bitmap, l) => Box::new(BitmapEncoding::new(&dense_of(l), word_bits)),
        (EncodingKind::Functional, Layer::Conv(c)) => {
            Box::new(FunctionalEncoding::new(c, word_bits))
        }
        (EncodingKind::FunctionalBitmap, Layer::Conv(c)) => {
            Box::new(FunctionalBitmapEncoding::new(c, word_bits))
        }
        (k, Layer::Dense(_)) => return Err(EncodingError::NeedsGeometry(k.name())),
    })
}

/// ceil(log2 n), at least 1: the width of an index into n things.
pub fn index_bits(n: u64) -> u32 {
    if n <= 2 {
        1
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Packed bit storage of one section.
#[derive(Clone, Debug, Default)]
pub(crate) struct BitVec {
    words: Vec<u64>,
    len_bits: u64,
}

impl BitVec {
    pub fn push(&mut self, value: u64, bits: u32) {
        debug_assert!(bits <= 64 && (bits == 64 || value >> bits == 0));
        if bits == 0 {
            return;
        }
        let off = (self.len_bits % 64) as u32;
        if off == 0 {
            self.words.push(0);
        }
        let last = self.words.len() - 1;
        self.words[last] |= value << off;
        if off + bits > 64 {
            self.words.push(value >> (64 - off));
        }
        self.len_bits += bits as u64;
    }
    pub fn get(&self, pos: u64, bits: u32) -> u64 {
        if bits == 0 {
            return 0;
        }
        let (w, off) = ((pos / 64) as usize, (pos % 64) as u32);
        let mut v = self.words[w] >> off;
        if off + bits > 64 {
            v |= self.words[w + 1] << (64 - off);
        }
        if bits == 64 {
            v
        } else {
            v & ((1u64 << bits) - 1)
        }
    }
    pub fn len_bits(&self) -> u64 {
        self.len_bits
    }
}

/// Values of one fixed width packed back to back (pointers, weights, kernel codes):
/// value i sits at bits [i x width, (i + 1) x width) of its section.
#[derive(Clone, Debug)]
pub(crate) struct PackedArray {
    pub width: u32,
    bits: BitVec,
}

impl PackedArray {
    pub fn new(width: u32) -> Self {
        PackedArray {
            width,
            bits: BitVec::default(),
        }
    }
    /// Every value, zeros included.
    pub fn of_values(values: &[u64], width: u32) -> Self {
        let mut a = PackedArray::new(width);
        for &v in values {
            a.push(v);
        }
        a
    }
    pub fn push(&mut self, value: u64) {
        self.bits.push(value, self.width);
    }
    pub fn get(&self, i: u64) -> u64 {
        self.bits.get(i * self.width as u64, self.width)
    }
    pub fn len_bits(&self) -> u64 {
        self.bits.len_bits()
    }
    /// Touch values [first, first + n), stored as `section` of `layout`.
    pub fn touch(
        &self,
        layout: &Layout,
        ranges: &mut Vec<WordRange>,
        section: usize,
        first: u64,
        n: u64,
    ) -> u64 {
        let w = self.width as u64;
        layout.touch(ranges, section, first * w, n * w)
    }
    /// Words spanned by values [first, first + n) (for counting writes).
    pub fn span(&self, layout: &Layout, first: u64, n: u64) -> u64 {
        let w = self.width as u64;
        layout.span(first * w, n * w)
    }
}

/// Sections laid out on word boundaries.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub word_bits: u32,
    pub starts: Vec<u64>,
    pub total_words: u64,
    /// Sum of the sections' bits: the exact footprint, no word padding.
    pub footprint_bits: u64,
}

impl Layout {
    pub fn new(word_bits: u32, section_bits: &[u64]) -> Self {
        let mut starts = Vec::with_capacity(section_bits.len());
        let mut w = 0;
        for &b in section_bits {
            starts.push(w);
            w += b.div_ceil(word_bits as u64);
        }
        Layout {
            word_bits,
            starts,
            total_words: w,
            footprint_bits: section_bits.iter().sum(),
        }
    }
    /// Touch bits [bit, bit + len) of `section`; returns the words not already in the
    /// last range (see the module's counting rule).
    pub fn touch(&self, ranges: &mut Vec<WordRange>, section: usize, bit: u64, len: u64) -> u64 {
        if len == 0 {
            return 0;
        }
        let wb = self.word_bits as u64;
        let first = self.starts[section] + bit / wb;
        let end = self.starts[section] + (bit + len - 1) / wb + 1;
        push_range(ranges, first, end)
    }
    /// Words spanned by bits [bit, bit + len) (for counting writes and popcounts).
    pub fn span(&self, bit: u64, len: u64) -> u64 {
        if len == 0 {
            return 0;
        }
        let wb = self.word_bits as u64;
        (bit + len - 1) / wb - bit / wb + 1
    }
}

/// Append words [first, end), merged with the last range when they continue or overlap
/// it; returns the number of words that were not in the last range.
pub(crate) fn push_range(ranges: &mut Vec<WordRange>, first: u64, end: u64) -> u64 {
    if let Some(last) = ranges.last_mut() {
        let last_end = last.start_word + last.words;
        if first >= last.start_word && first <= last_end {
            let new_end = end.max(last_end);
            last.words = new_end - last.start_word;
            return new_end - last_end;
        }
    }
    ranges.push(WordRange {
        start_word: first,
        words: end - first,
    });
    end - first
}

#[cfg(test)]
mod tests;
