//! Encoding trends (Schaefer et al., ISCAS 2020): the energy of forward, backward and
//! update accesses of each encoding across weight densities, each encoding placed in an
//! SRAM sized to its footprint, energy = words x SRAM word energy + decoder ops x costs.
//! The table is measured from the encodings; nothing here is a paper number.

use super::{
    build, ConvGeometry, ConvLayer, DecoderCosts, DenseLayer, EncodingKind, Layer, SynapseEncoding,
    WordRange,
};
use crate::rng::Rng;
use crate::sram::{Sram, SramConfig, SramTech};

/// Mean energy per access of one encoding at one density.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendRow {
    pub density: f64,
    pub kind: EncodingKind,
    pub footprint_bits: u64,
    /// Mean over all pre neurons of a forward spike.
    pub forward_pj: f64,
    /// Mean over all post neurons of a backward access.
    pub backward_pj: f64,
    /// Mean over present synapses (a deterministic sample of at most 4096) of an update.
    pub update_pj: f64,
}

/// N_pre x N_post codes of `bits` bits, each present with probability `density`,
/// nonzero codes uniform in 1..2^bits.
pub fn random_dense(n_pre: usize, n_post: usize, bits: u32, density: f64, seed: u64) -> DenseLayer {
    DenseLayer {
        n_pre,
        n_post,
        weight_bits: bits,
        codes: random_codes(n_pre * n_post, bits, density, seed),
        delay_bits: 0,
        delays: Vec::new(),
    }
}

/// `n` codes of `bits` bits, each nonzero with probability `density`, nonzero codes
/// uniform in 1..2^bits (one Rng stream from `seed`).
fn random_codes(n: usize, bits: u32, density: f64, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    let max = (1u64 << bits) - 1;
    (0..n)
        .map(|_| {
            if rng.bernoulli(density) {
                1 + rng.below(max) as u32
            } else {
                0
            }
        })
        .collect()
}

/// An SRAM holding the encoding: its word width, capacity the next power of two of its
/// word space (at least 1 KiB).
pub fn sram_for(enc: &dyn SynapseEncoding, tech: SramTech) -> Sram {
    let bytes = (enc.total_words() * enc.word_bits() as u64)
        .div_ceil(8)
        .max(1024)
        .next_power_of_two();
    let cfg = SramConfig {
        capacity_bytes: bytes,
        word_bits: enc.word_bits(),
        tech,
        ..Default::default()
    };
    // Capacity and width come from a built encoding (word_bits validated by `build`).
    Sram::new(cfg).expect("SRAM sized from a valid encoding")
}

/// Present synapses (pre, post) of a dense layer, every `step`-th, at most `max`.
fn sample_synapses(d: &DenseLayer, max: usize) -> Vec<(usize, usize)> {
    let nnz = d.nnz() as usize;
    let step = nnz.div_ceil(max).max(1);
    let present = d
        .codes
        .iter()
        .enumerate()
        .filter(|(_, &c)| c != 0)
        .map(|(k, _)| (k / d.n_post, k % d.n_post));
    present.step_by(step).collect()
}

/// Mean forward, backward and update energies of one encoding.
pub fn measure(
    enc: &dyn SynapseEncoding,
    dense: &DenseLayer,
    sram: &Sram,
    costs: &DecoderCosts,
) -> (f64, f64, f64) {
    let (r, w) = (sram.read_energy_pj(), sram.write_energy_pj());
    let mut ranges: Vec<WordRange> = Vec::new();
    let fwd: f64 = (0..enc.n_pre())
        .map(|i| enc.forward(i, &mut ranges).energy_pj(r, w, costs))
        .sum::<f64>()
        / enc.n_pre() as f64;
    let bwd: f64 = (0..enc.n_post())
        .map(|j| enc.backward(j, &mut ranges).energy_pj(r, w, costs))
        .sum::<f64>()
        / enc.n_post() as f64;
    let syn = sample_synapses(dense, 4096);
    let upd = if syn.is_empty() {
        0.0
    } else {
        syn.iter()
            .map(|&(i, j)| enc.update(i, j, &mut ranges).energy_pj(r, w, costs))
            .sum::<f64>()
            / syn.len() as f64
    };
    (fwd, bwd, upd)
}

/// Crossbar, index and bitmap on random N x N layers at each density.
pub fn density_trend(
    n: usize,
    bits: u32,
    word_bits: u32,
    densities: &[f64],
    seed: u64,
    costs: &DecoderCosts,
    tech: SramTech,
) -> Vec<TrendRow> {
    let mut rows = Vec::new();
    for (k, &density) in densities.iter().enumerate() {
        let dense = random_dense(n, n, bits, density, seed.wrapping_add(k as u64));
        let layer = Layer::Dense(dense.clone());
        for kind in [
            EncodingKind::Crossbar,
            EncodingKind::Bitmap,
            EncodingKind::Index,
        ] {
            let enc =
                build(kind, &layer, word_bits).expect("dense encodings of a valid dense layer");
            let sram = sram_for(enc.as_ref(), tech);
            let (forward_pj, backward_pj, update_pj) = measure(enc.as_ref(), &dense, &sram, costs);
            rows.push(TrendRow {
                density,
                kind,
                footprint_bits: enc.footprint_bits(),
                forward_pj,
                backward_pj,
                update_pj,
            });
        }
    }
    rows
}

/// Energy of a conv layer's learning pass per encoding: a backward access for every
/// post neuron plus an update of every present synapse. Returns (kind, footprint, pJ).
pub fn conv_learning_energy(
    layer: &ConvLayer,
    word_bits: u32,
    costs: &DecoderCosts,
    tech: SramTech,
) -> Vec<(EncodingKind, u64, f64)> {
    let dense = layer.to_dense();
    let l = Layer::Conv(layer.clone());
    let mut out = Vec::new();
    for kind in EncodingKind::ALL {
        let enc = build(kind, &l, word_bits).expect("every encoding of a valid conv layer");
        let sram = sram_for(enc.as_ref(), tech);
        let (r, w) = (sram.read_energy_pj(), sram.write_energy_pj());
        let mut ranges = Vec::new();
        let mut e = 0.0;
        for j in 0..enc.n_post() {
            e += enc.backward(j, &mut ranges).energy_pj(r, w, costs);
        }
        for (k, &c) in dense.codes.iter().enumerate() {
            if c != 0 {
                e += enc
                    .update(k / dense.n_post, k % dense.n_post, &mut ranges)
                    .energy_pj(r, w, costs);
            }
        }
        out.push((kind, enc.footprint_bits(), e));
    }
    out
}

/// A conv layer with every kernel code drawn nonzero with probability `density`.
pub fn random_conv(geom: ConvGeometry, bits: u32, density: f64, seed: u64) -> ConvLayer {
    ConvLayer {
        geom,
        weight_bits: bits,
        kernel: random_codes(geom.kernel_len(), bits, density, seed),
    }
}

/// Markdown table of trend rows (for the README).
pub fn format_table(rows: &[TrendRow]) -> String {
    let mut s = String::from("| density | encoding | footprint bits | forward pJ | backward pJ | update pJ |\n|---|---|---|---|---|---|\n");
    for r in rows {
        s += &format!(
            "| {:.2} | {} | {} | {:.1} | {:.1} | {:.1} |\n",
            r.density,
            r.kind.name(),
            r.footprint_bits,
            r.forward_pj,
            r.backward_pj,
            r.update_pj
        );
    }
    s
}
