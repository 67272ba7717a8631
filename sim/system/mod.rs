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

mod accelerator;
mod assemble;
mod checkpoint;
pub(crate) mod deploy;
pub(crate) mod fault_inject;
pub mod placement;
pub mod run;
pub mod summary;
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

/// `[system]`: where the accelerator holds synapse data and where the model comes from.
/// The encoding is `[encoding]`, the core (and its weight buffer) `[core]`, the on-chip
/// memories `[sram.*]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SystemConfig {
    pub weights_in: WeightHome,
    pub placement: placement::PlacementPolicy,
    /// A trained model (HDF5 from `spikemem train`), or "" to train one on the training
    /// split first (`snn.epochs`, `data.train_samples`).
    pub model: String,
    /// Whether the system has a DRAM at all. None (absent) = only when the weights live
    /// there: an organization with every weight on chip (`weights_in = "sram"`) has no
    /// DRAM, so no DRAM background energy, unless this is true (a DRAM kept for other
    /// data, idling beside the accelerator). `false` with `weights_in = "dram"` is refused.
    pub dram_present: Option<bool>,
}

impl SystemConfig {
    /// Whether the system has a DRAM (see `dram_present`).
    pub fn has_dram(&self) -> bool {
        self.dram_present
            .unwrap_or(self.weights_in == WeightHome::Dram)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.weights_in == WeightHome::Dram && self.dram_present == Some(false) {
            return Err(
                "system.dram_present = false is not accepted with system.weights_in = \"dram\": the weights need the DRAM (set weights_in = \"sram\", or leave dram_present out)"
                    .into(),
            );
        }
        Ok(())
    }
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            weights_in: WeightHome::Dram,
            placement: placement::PlacementPolicy::Drmap,
            model: String::new(),
            dram_present: None,
        }
    }
}
