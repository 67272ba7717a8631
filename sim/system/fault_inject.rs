//! Reduced-voltage bit errors applied to the weights where they sit in DRAM.
//!
//! Weak cells are a pure function of (seed, location) (`FaultMap`), so applying them
//! once to the stationary weights equals applying them on every read.

use super::placement::Placement;
use crate::snn::engine::Network;
use anyhow::{Context, Result};
use spikemem_arch::dram::faults::FaultMap;
use spikemem_arch::encoding::DenseLayer;

/// Weight codes of the input projection as the hardware stores them: b-bit codes
/// (0 = no synapse), or the f32 bit patterns when weights are float (32 bits).
pub(crate) fn stored_codes(net: &Network) -> Result<(Vec<u32>, u32)> {
    let p = net
        .input_projection()
        .context("the network has no input projection")?;
    Ok(match net.codes(p) {
        Some((codes, bits)) => (codes, bits),
        None => (net.weights(p).iter().map(|w| w.to_bits()).collect(), 32),
    })
}

/// Flip the weak-cell bits of the stored synapse fields where they sit in DRAM, and hand
/// the values read back to the network. Weak cells are stable per location, so applying
/// them once to the stationary weights equals applying them on every read.
///
/// The synapse fields (weight, then delay with per-synapse delays) are packed
/// little-endian from the start of the placed region: every field for the crossbar (field
/// k at bit k x b), only the present synapses' fields for the sparse encodings. Pointers,
/// indices and bitmaps are taken as protected (ECC). A flipped delay bit changes the
/// synapse's delay; a synapse read back with weight 0 keeps its delay (it delivers nothing).
pub(crate) fn apply_dram_faults(
    net: &mut Network,
    layer: &DenseLayer,
    dense: bool,
    placement: &Placement,
    faults: &FaultMap,
    mapper: &spikemem_arch::dram::mapping::AddressMapper,
) -> Result<u64> {
    let fields = layer.fields();
    let bits = layer.field_bits() as u64;
    let stored: Vec<usize> = if dense {
        (0..fields.len()).collect()
    } else {
        (0..fields.len()).filter(|&k| fields[k] != 0).collect()
    };
    let total_bits = stored.len() as u64 * bits;
    let bb = placement.burst_bytes as usize;
    let bursts = (total_bits.div_ceil(8) as usize).div_ceil(bb);
    anyhow::ensure!(
        bursts <= placement.burst_addr.len(),
        "internal: synapse fields ({bursts} bursts) exceed the placed region ({} bursts)",
        placement.burst_addr.len()
    );
    let mut image = vec![0u8; bursts * bb];
    for (slot, &k) in stored.iter().enumerate() {
        for bit in 0..bits {
            if (fields[k] >> bit) & 1 == 1 {
                let pos = slot as u64 * bits + bit;
                image[(pos / 8) as usize] |= 1 << (pos % 8);
            }
        }
    }
    let mut flipped = 0u64;
    for (b, chunk) in image.chunks_mut(bb).enumerate() {
        flipped += faults.apply_read(&mapper.decode(placement.burst_addr[b]), chunk) as u64;
    }
    if flipped == 0 {
        return Ok(0);
    }
    let mut read = layer.codes.clone();
    let mut delays = layer.delays.clone();
    for (slot, &k) in stored.iter().enumerate() {
        let mut v = 0u64;
        for bit in 0..bits {
            let pos = slot as u64 * bits + bit;
            v |= (((image[(pos / 8) as usize] >> (pos % 8)) & 1) as u64) << bit;
        }
        read[k] = layer.weight_of(v);
        if layer.delay_bits > 0 && read[k] != 0 {
            delays[k] = (v >> layer.weight_bits) as u16;
        }
    }
    let p = net.input_projection().expect("checked by stored_codes");
    if layer.weight_bits == 32 && net.codes(p).is_none() {
        // Float weights: a flipped exponent bit can give inf/NaN; the datapath clamps
        // to the representable weight range [0, 1] (NaN -> 0).
        let w: Vec<f32> = read
            .iter()
            .map(|&c| {
                let f = f32::from_bits(c);
                if f.is_nan() {
                    0.0
                } else {
                    f.clamp(0.0, 1.0)
                }
            })
            .collect();
        net.set_weights(p, &w)?;
    } else {
        net.set_codes(p, &read)?;
    }
    if layer.delay_bits > 0 && delays != layer.delays {
        net.set_delays(p, &delays)?;
    }
    Ok(flipped)
}
