//! Reduced-voltage bit errors applied to the weights where they sit in DRAM.
//!
//! A weak cell is stuck at a value (`spikemem_arch::dram::faults`): reading a word
//! returns `(stored & and) | or`, whatever was stored before. So the stuck bits of every
//! stored synapse field are found once, by reading an all-zero and an all-one image of
//! the placed region through the fault map; applying them once to the stationary
//! weights equals applying them on every read, and during learning the engine reads
//! every updated weight back through them (`WeightFaults`).

use super::placement::Placement;
use crate::snn::engine::{float_word_weight, Network, StuckBits};
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

/// The stuck bits of one stored synapse field (weight, then delay bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldStuck {
    /// Row-major synapse index.
    pub synapse: usize,
    /// Field bits that can read 1.
    pub and: u64,
    /// Field bits stuck at 1.
    pub or: u64,
}

/// Where the synapse fields sit: packed little-endian from the start of the placed
/// region, every field for the crossbar (`dense`: field k at bit k x b), only the
/// present synapses' fields for the sparse encodings. Pointers, indices and bitmaps are
/// taken as protected (ECC).
fn stored_slots(layer: &DenseLayer, dense: bool) -> Vec<usize> {
    if dense {
        (0..layer.codes.len()).collect()
    } else {
        (0..layer.codes.len())
            .filter(|&k| layer.field(k) != 0)
            .collect()
    }
}

/// The synapses of `layer` whose stored field has a weak cell, with its stuck bits.
pub(crate) fn field_stuck_bits(
    layer: &DenseLayer,
    dense: bool,
    placement: &Placement,
    faults: &FaultMap,
    mapper: &spikemem_arch::dram::mapping::AddressMapper,
) -> Result<Vec<FieldStuck>> {
    let slots = stored_slots(layer, dense);
    let bits = layer.field_bits() as u64;
    let total_bits = slots.len() as u64 * bits;
    let bb = placement.burst_bytes as usize;
    let bursts = (total_bits.div_ceil(8) as usize).div_ceil(bb);
    anyhow::ensure!(
        bursts <= placement.burst_addr.len(),
        "internal: synapse fields ({bursts} bursts) exceed the placed region ({} bursts)",
        placement.burst_addr.len()
    );
    // Stuck at 1: what an all-zero image reads; stuck at 0: what an all-one image loses.
    let mut ones_stuck = vec![0u8; bursts * bb];
    let mut readable = vec![0xFFu8; bursts * bb];
    let mut any = false;
    for (b, (z, o)) in ones_stuck
        .chunks_mut(bb)
        .zip(readable.chunks_mut(bb))
        .enumerate()
    {
        let loc = mapper.decode(placement.burst_addr[b]);
        any |= faults.apply_read(&loc, z) + faults.apply_read(&loc, o) > 0;
    }
    if !any {
        return Ok(Vec::new());
    }
    let field = |image: &[u8], slot: usize| {
        let mut v = 0u64;
        for bit in 0..bits {
            let pos = slot as u64 * bits + bit;
            v |= (((image[(pos / 8) as usize] >> (pos % 8)) & 1) as u64) << bit;
        }
        v
    };
    let all = if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    Ok(slots
        .iter()
        .enumerate()
        .filter_map(|(slot, &k)| {
            let (and, or) = (field(&readable, slot), field(&ones_stuck, slot));
            (and != all || or != 0).then_some(FieldStuck {
                synapse: k,
                and,
                or,
            })
        })
        .collect())
}

/// The weight bits (the low `weight_bits` of each field) of `stuck`, as the engine
/// takes them.
pub(crate) fn weight_stuck_bits(stuck: &[FieldStuck], weight_bits: u32) -> Vec<StuckBits> {
    let all = if weight_bits >= 32 {
        u32::MAX
    } else {
        (1 << weight_bits) - 1
    };
    stuck
        .iter()
        .map(|s| StuckBits {
            synapse: s.synapse as u32,
            and: s.and as u32 & all,
            or: s.or as u32 & all,
        })
        .filter(|s| s.and != all || s.or != 0)
        .collect()
}

/// Reads the stored synapse fields through their stuck bits and hands the values to
/// the network. Returns the number of bits that read differently from what was stored.
/// A stuck delay bit changes the synapse's delay; a synapse read back with weight 0
/// keeps its delay (it delivers nothing).
pub(crate) fn apply_dram_faults(
    net: &mut Network,
    layer: &DenseLayer,
    stuck: &[FieldStuck],
) -> Result<u64> {
    let mut flipped = 0u64;
    let mut read = layer.codes.clone();
    let mut delays = layer.delays.clone();
    for s in stuck {
        let k = s.synapse;
        let stored = layer.field(k);
        let v = (stored & s.and) | s.or;
        flipped += (v ^ stored).count_ones() as u64;
        read[k] = layer.weight_of(v);
        if layer.delay_bits > 0 && read[k] != 0 {
            delays[k] = (v >> layer.weight_bits) as u16;
        }
    }
    if flipped == 0 {
        return Ok(0);
    }
    let p = net.input_projection().context("no input projection")?;
    if layer.weight_bits == 32 && net.codes(p).is_none() {
        let w: Vec<f32> = read.iter().map(|&c| float_word_weight(c)).collect();
        net.set_weights(p, &w)?;
    } else {
        net.set_codes(p, &read)?;
    }
    if layer.delay_bits > 0 && delays != layer.delays {
        net.set_delays(p, &delays)?;
    }
    Ok(flipped)
}
