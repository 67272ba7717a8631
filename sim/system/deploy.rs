//! Where a network's weights sit in the accelerator's memory: the input projection's
//! synapse fields (the layer), their encoding, and the DRAM placement of the encoded
//! words, built from the config exactly as `run` builds them. `run` builds its
//! hardware on it; `tolerance` and fault-aware training use it to find which stored
//! bits sit in weak cells (the deployment's fault map).

use super::fault_inject::{field_stuck_bits, stored_codes, weight_stuck_bits, FieldStuck};
use super::placement::Placement;
use super::WeightHome;
use crate::config::{Config, Loaded};
use crate::dram_setup::{resolve_dram, ResolvedDram};
use crate::error::input_error;
use crate::snn::engine::{Network, ProjectionInfo, WeightFaults};
use anyhow::Result;
use spikemem_arch::dram::config::ErrorModel;
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::faults::FaultMap;
use spikemem_arch::encoding::{self, DenseLayer, EncodingKind, Layer, SynapseEncoding};

pub(crate) struct Deployment {
    pub rd: ResolvedDram,
    pub mem: MemorySystem,
    /// The input projection (the one the accelerator stores).
    pub proj: usize,
    pub info: ProjectionInfo,
    pub layer: Layer,
    pub enc: Box<dyn SynapseEncoding>,
    pub footprint_bytes: u64,
    pub placement: Placement,
    /// Slots of the per-synapse delay ring (0: no per-synapse delays).
    pub delay_slots: u64,
    pub weights_in: WeightHome,
    pub kind: EncodingKind,
}

impl Deployment {
    pub fn new(cfg: &Config, loaded: &Loaded, net: &Network) -> Result<Deployment> {
        let rd = resolve_dram(&cfg.dram, &loaded.base_dir)?;
        let mem = MemorySystem::new(&cfg.dram, &rd.standard)
            .map_err(|e| input_error(format!("{}: {e}", loaded.source)))?;
        let (codes, bits) = stored_codes(net)?;
        let p = net.input_projection().expect("stored_codes checked it");
        let info = net.projection_info(p);
        let (n_pre, n_post) = (info.pre_size, info.post_size);
        if cfg.encoding.kind.needs_geometry() {
            return Err(input_error(format!(
                "encoding.kind = \"{}\" needs a convolutional projection; the input projection of this network is dense (accepted here: crossbar, index, bitmap)",
                cfg.encoding.kind.name()
            )));
        }
        // Per-synapse delays are stored with each synapse, in the bits the configured
        // maximum delay needs (5 at 0.5 ms steps up to 10 ms).
        let mut dense = DenseLayer {
            n_pre,
            n_post,
            weight_bits: bits,
            codes,
            delay_bits: 0,
            delays: Vec::new(),
        };
        let mut delay_slots = 0u64;
        if let Some(d) = net.delays(p) {
            let max_steps = d
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
                .max((cfg.snn.input_delay_max_ms / cfg.snn.dt_ms).round() as u16)
                as u64;
            let delay_bits = (64 - max_steps.leading_zeros()).max(1);
            // The ring holds the current step and every future one a delay can name.
            delay_slots = (max_steps + 1).next_power_of_two();
            dense = dense
                .with_delays(delay_bits, d.to_vec())
                .map_err(|e| input_error(format!("per-synapse delays: {e}")))?;
        }
        let layer = Layer::Dense(dense);
        let enc = encoding::build(cfg.encoding.kind, &layer, cfg.encoding.word_bits)
            .map_err(|e| input_error(format!("encoding: {e}")))?;
        let footprint_bytes = enc
            .footprint_bits()
            .div_ceil(8)
            .max(enc.total_words() * cfg.encoding.word_bits as u64 / 8);
        let placement = Placement::new(
            cfg.system.placement,
            footprint_bytes,
            0,
            mem.mapper(),
            &rd.standard,
            cfg.dram.channels,
            cfg.dram.ranks,
        )
        .map_err(|e| input_error(format!("system.placement: {e}")))?;
        Ok(Deployment {
            rd,
            mem,
            proj: p,
            info,
            layer,
            enc,
            footprint_bytes,
            placement,
            delay_slots,
            weights_in: cfg.system.weights_in,
            kind: cfg.encoding.kind,
        })
    }

    pub fn dense(&self) -> &DenseLayer {
        let Layer::Dense(d) = &self.layer else {
            unreachable!("Deployment::new builds a dense layer")
        };
        d
    }

    /// The weak-cell map of this DRAM for `model` at `ber`, drawn with `seed`.
    pub fn fault_map(&self, model: ErrorModel, ber: f64, seed: u64) -> FaultMap {
        FaultMap::new(model, ber, seed, &self.rd.standard)
    }

    /// The engine's view of `stuck` (from [`stuck_bits`](Self::stuck_bits)): the weight
    /// bits of every synapse of the stored projection, for learning in faulty DRAM.
    pub fn weight_faults(&self, stuck: &[FieldStuck]) -> WeightFaults {
        let bits = self.dense().weight_bits;
        WeightFaults::new(
            self.proj,
            self.info.pre_size * self.info.post_size,
            bits,
            &weight_stuck_bits(stuck, bits),
        )
    }

    /// The stored synapse fields that sit in weak cells of `faults`, with their stuck
    /// bits; none when the weights are on chip.
    pub fn stuck_bits(&self, faults: &FaultMap) -> Result<Vec<FieldStuck>> {
        if self.weights_in != WeightHome::Dram {
            return Ok(Vec::new());
        }
        field_stuck_bits(
            self.dense(),
            self.kind == EncodingKind::Crossbar,
            &self.placement,
            faults,
            self.mem.mapper(),
        )
    }
}
