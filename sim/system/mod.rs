//! The accelerator system: builds the hardware from the config, places each
//! projection's encoded weights in memory, turns every spike into memory and compute
//! work, advances the models through the kernel, and books cycles and energy.
//!
//! What a run does, per sample and timestep:
//! 1. the SNN engine steps the network (with the weights the memory returned, bit
//!    errors included) and reports the spikes of the input and excitatory populations;
//! 2. each input spike becomes a forward access of the input->excitatory projection:
//!    the words its encoding touches, cut into DRAM bursts at the placed addresses (or
//!    SRAM words when the weights are on chip); with `--learn`, each excitatory spike
//!    also becomes a backward read and a write-back of its weight column;
//! 3. the DRAM controller serves the bursts cycle by cycle through the weight buffer,
//!    the synapse lanes process the weights as they arrive, then the neuron units
//!    update every neuron; the timestep ends when that work is done.

pub mod placement;
pub mod timing;

use serde::{Deserialize, Serialize};

/// Where a projection's synapse data lives.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WeightHome {
    /// In DRAM, fetched burst by burst through the weight buffer.
    Dram,
    /// In the on-chip weight SRAM.
    Sram,
}

/// `[system]`: how the accelerator holds and moves synapse data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SystemConfig {
    pub weights_in: WeightHome,
    pub encoding: spikemem_arch::encoding::EncodingKind,
    pub placement: placement::PlacementPolicy,
    /// Memory word width of the synapse encodings, bits.
    pub word_bits: u32,
    /// Weight buffer between DRAM and the lanes; bounds the bursts in flight.
    pub weight_buffer_bytes: u64,
    /// Where a trained model comes from: a path to an HDF5 model, or "" to train one
    /// on the training split first (with `snn.epochs`).
    pub model: String,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            weights_in: WeightHome::Dram,
            encoding: spikemem_arch::encoding::EncodingKind::Crossbar,
            placement: placement::PlacementPolicy::Drmap,
            word_bits: 64,
            weight_buffer_bytes: 2048,
            model: String::new(),
        }
    }
}

impl SystemConfig {
    pub fn validate(&self) -> Result<(), String> {
        if ![8, 16, 32, 64, 128, 256].contains(&self.word_bits) {
            return Err(format!(
                "system.word_bits = {} is not accepted: one of 8, 16, 32, 64, 128, 256",
                self.word_bits
            ));
        }
        if self.weight_buffer_bytes < 64 || self.weight_buffer_bytes > (1 << 30) {
            return Err(format!(
                "system.weight_buffer_bytes = {} is not accepted: 64..=1073741824 (at least one burst)",
                self.weight_buffer_bytes
            ));
        }
        Ok(())
    }
}
