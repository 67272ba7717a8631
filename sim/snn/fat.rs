//! Fault-aware training (FAT, EnforceSNN's step 4): `spikemem train` with the weights
//! in reduced-voltage DRAM, so the network learns from what the memory returns.
//!
//! `[fat]` splits the training samples (epochs x training set) evenly into stages, one
//! per entry of `ber_schedule` (an EDEN-style curriculum: a rising BER). During stage s
//! the input projection's weights sit in the deployment's DRAM (the same standard,
//! mapping, encoding and placement as `run` with this config) with the weak cells of
//! `error_model` at `ber_schedule[s]`: every weight the rule updates is read back through
//! the stuck bits of its word (`engine::WeightFaults`).
//! With `master_copy` (the default) the trainer keeps a fault-free master copy that the
//! rule updates and the network reads through the faults (EDEN's FAT; the saved model is
//! the master); without it every update stores what the cells return.
//! `fault_map = "deployment"` draws every stage's map with `dram.fault_seed` (the map the
//! deployed run will have, at each stage's BER); `"per_stage"` draws stage s with
//! `dram.fault_seed + 1 + s`, so the network never sees the deployment's map (robustness
//! to an unknown map). The map of a stage is set before its first sample, which also
//! reads every stored weight through it.

use crate::config::{Config, Loaded};
use crate::error::input_error;
use crate::snn::engine::Network;
use crate::system::deploy::Deployment;
use crate::system::WeightHome;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use spikemem_arch::dram::config::ErrorModel;

/// Which fault map each training stage sees.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultMapChoice {
    /// The deployment's map (`dram.fault_seed`) at every stage.
    #[default]
    Deployment,
    /// A new map per stage (`dram.fault_seed + 1 + stage`).
    PerStage,
}

/// `[fat]`: fault-aware training.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FatConfig {
    /// Train with the weights in faulty DRAM.
    pub enabled: bool,
    /// BER of each training stage; the stages split the training samples evenly.
    pub ber_schedule: Vec<f64>,
    /// Error model of the weak cells (as `dram.error_model`).
    pub error_model: ErrorModel,
    /// The deployment's fault map, or a new one per stage.
    pub fault_map: FaultMapChoice,
    /// The trainer keeps a fault-free master copy of the weights that the rule updates,
    /// and the network computes with them as the faulty DRAM returns them (EDEN's FAT;
    /// the saved model is the master). false: the weights live only in the faulty DRAM
    /// and every update stores what the cells return (as on-chip learning, `run --learn`).
    pub master_copy: bool,
}

impl Default for FatConfig {
    fn default() -> Self {
        FatConfig {
            enabled: false,
            ber_schedule: vec![1e-5, 1e-4, 1e-3],
            error_model: ErrorModel::Uniform,
            fault_map: FaultMapChoice::Deployment,
            master_copy: true,
        }
    }
}

impl FatConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if self.ber_schedule.is_empty() {
            return Err(
                "fat.ber_schedule: empty; accepted: one BER per stage, each in [0, 0.5]".into(),
            );
        }
        if let Some(b) = self.ber_schedule.iter().find(|b| !(0.0..=0.5).contains(*b)) {
            return Err(format!("fat.ber_schedule: {b}; accepted: BERs in [0, 0.5]"));
        }
        if self.error_model == ErrorModel::None {
            return Err("fat.error_model = \"none\": no bit would flip; accepted: uniform, bitline, wordline, data_dependent".into());
        }
        Ok(())
    }

    /// The stage of the training sample `seen` (0-based over all epochs) of `total`.
    pub fn stage_of(&self, seen: u64, total: u64) -> usize {
        let stages = self.ber_schedule.len() as u64;
        ((seen * stages) / total.max(1)).min(stages - 1) as usize
    }

    /// The fault seed of stage `s` (see the module docs).
    pub fn seed_of(&self, stage: usize, fault_seed: u64) -> u64 {
        match self.fault_map {
            FaultMapChoice::Deployment => fault_seed,
            FaultMapChoice::PerStage => fault_seed.wrapping_add(1 + stage as u64),
        }
    }
}

/// Sets the weights' faults of each stage as training reaches it.
pub struct FatSchedule {
    fat: FatConfig,
    fault_seed: u64,
    total: u64,
    dep: Deployment,
}

impl FatSchedule {
    /// The schedule of `cfg` for a training of `total` samples of `net` (None when FAT is
    /// off).
    pub fn new(cfg: &Config, loaded: &Loaded, net: &Network, total: u64) -> Result<Option<Self>> {
        if !cfg.fat.enabled {
            return Ok(None);
        }
        if cfg.system.weights_in != WeightHome::Dram {
            return Err(input_error(format!(
                "{}: fat.enabled with system.weights_in = \"sram\": the weights would not be in DRAM; accepted: system.weights_in = \"dram\"",
                loaded.source
            )));
        }
        let dep = Deployment::new(cfg, loaded, net)?;
        Ok(Some(FatSchedule {
            fat: cfg.fat.clone(),
            fault_seed: cfg.dram.fault_seed,
            total,
            dep,
        }))
    }

    /// Before training sample `seen`: put the weights in the stage's faulty DRAM if the
    /// stage is new (the bit errors counted so far carry over).
    pub fn before_sample(&self, seen: u64, net: &mut Network) -> Result<()> {
        let stage = self.fat.stage_of(seen, self.total);
        if net
            .weight_faults()
            .is_some_and(|f| f.tag() == stage as u64 + 1)
        {
            return Ok(());
        }
        let ber = self.fat.ber_schedule[stage];
        let seed = self.fat.seed_of(stage, self.fault_seed);
        let map = self.dep.fault_map(self.fat.error_model, ber, seed);
        let stuck = self.dep.stuck_bits(&map)?;
        let mut wf = self
            .dep
            .weight_faults(&stuck)
            .with_tag(stage as u64 + 1)
            .on_read(self.fat.master_copy);
        wf.bits_flipped = net.weight_fault_bits_flipped();
        tracing::info!(stage, ber, seed, faulty = wf.faulty_synapses(), "FAT stage");
        net.set_weight_faults(Some(wf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_split_the_samples_evenly() {
        let f = FatConfig {
            enabled: true,
            ber_schedule: vec![1e-4, 1e-3, 1e-2],
            ..FatConfig::default()
        };
        let st: Vec<usize> = (0..9).map(|n| f.stage_of(n, 9)).collect();
        assert_eq!(st, [0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(f.stage_of(100, 9), 2);
        assert_eq!(f.seed_of(2, 7), 7);
        let per = FatConfig {
            fault_map: FaultMapChoice::PerStage,
            ..f.clone()
        };
        assert_eq!((per.seed_of(0, 7), per.seed_of(2, 7)), (8, 10));
        assert!(FatConfig {
            ber_schedule: vec![],
            ..f.clone()
        }
        .validate()
        .is_err());
        assert!(FatConfig {
            error_model: ErrorModel::None,
            ..f
        }
        .validate()
        .unwrap_err()
        .contains("no bit would flip"));
    }
}
