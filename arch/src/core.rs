//! The neuromorphic core: a spike queue, synapse-processing lanes, neuron-update units.
//!
//! Per timestep the core runs three phases in order: integrate (dequeue input spikes,
//! one per cycle, and apply their synaptic operations on `synapse_lanes` lanes as the
//! weight words arrive from memory), fire (update every neuron on `neuron_units`
//! units) and learn (STDP updates on the synapse lanes). Energy is per operation plus
//! leakage.
//!
//! Default energies are the DATAPATH share only, because spikemem books every synapse
//! and neuron-state memory access in its SRAM and DRAM models. From Horowitz (ISSCC
//! 2014, 45 nm): 16-bit add ~0.05 pJ, 16-bit multiply ~0.8 pJ (3.1 pJ at 32 bits,
//! scaled by width^2), register-file access ~0.1 pJ:
//! - synaptic op: accumulate a weight into a conductance (add + register read/write): 0.25 pJ;
//! - neuron update (conductance LIF: ~5 multiplies, ~6 adds, compare): 4.5 pJ;
//! - STDP update (trace multiply, add, clip): 1.0 pJ;
//! - spike routing (queue push + pop): 1.7 pJ (Loihi, Davies et al., IEEE Micro 2018).
//!
//! For comparison, Loihi's whole-operation figures, which include its synapse SRAM, are
//! 23.6 pJ per synaptic op, 52 pJ per neuron update and 120 pJ per learning update.

use crate::energy::EnergyLedger;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CoreError {
    #[error("invalid core config: key `{key}`: {msg}")]
    InvalidConfig { key: String, msg: String },
}

/// The `[core]` config table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CoreConfig {
    /// Core clock in MHz.
    pub freq_mhz: f64,
    /// Synaptic operations started per `cycles_per_synop` cycles.
    pub synapse_lanes: u32,
    /// Neuron updates started per `cycles_per_neuron_update` cycles.
    pub neuron_units: u32,
    /// Input spikes the queue holds; more in one timestep stall the sender.
    pub spike_queue_depth: u32,
    /// Buffer for weight words that have arrived but are not yet consumed.
    pub weight_buffer_bytes: u64,
    pub cycles_per_synop: u32,
    pub cycles_per_neuron_update: u32,
    pub cycles_per_stdp_update: u32,
    pub energy_per_synop_pj: f64,
    pub energy_per_neuron_update_pj: f64,
    pub energy_per_stdp_update_pj: f64,
    /// Queue push + pop + routing of one input spike.
    pub energy_per_spike_pj: f64,
    /// Static power of the core logic (0 = not modelled).
    pub leakage_power_uw: f64,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            freq_mhz: 200.0,
            synapse_lanes: 4,
            neuron_units: 1,
            spike_queue_depth: 64,
            weight_buffer_bytes: 4096,
            cycles_per_synop: 1,
            cycles_per_neuron_update: 1,
            cycles_per_stdp_update: 2,
            energy_per_synop_pj: 0.25,
            energy_per_neuron_update_pj: 4.5,
            energy_per_stdp_update_pj: 1.0,
            energy_per_spike_pj: 1.7,
            leakage_power_uw: 0.0,
        }
    }
}

impl CoreConfig {
    /// Range checks; each error names the key and what is accepted.
    pub fn validate(&self) -> Result<(), CoreError> {
        let err = |key: &str, msg: String| {
            Err(CoreError::InvalidConfig {
                key: format!("core.{key}"),
                msg,
            })
        };
        if !(self.freq_mhz >= 1.0 && self.freq_mhz <= 10_000.0) {
            return err(
                "freq_mhz",
                format!("{} is not accepted: 1..=10000 MHz", self.freq_mhz),
            );
        }
        for (key, v, hi) in [
            ("synapse_lanes", self.synapse_lanes, 4096),
            ("neuron_units", self.neuron_units, 4096),
            ("spike_queue_depth", self.spike_queue_depth, 1 << 24),
            ("cycles_per_synop", self.cycles_per_synop, 1000),
            (
                "cycles_per_neuron_update",
                self.cycles_per_neuron_update,
                1000,
            ),
            ("cycles_per_stdp_update", self.cycles_per_stdp_update, 1000),
        ] {
            if v == 0 || v > hi {
                return err(key, format!("{v} is not accepted: 1..={hi}"));
            }
        }
        if self.weight_buffer_bytes == 0 || self.weight_buffer_bytes > 1 << 32 {
            return err(
                "weight_buffer_bytes",
                format!("{} is not accepted: 1..=4 GiB", self.weight_buffer_bytes),
            );
        }
        for (key, v) in [
            ("energy_per_synop_pj", self.energy_per_synop_pj),
            (
                "energy_per_neuron_update_pj",
                self.energy_per_neuron_update_pj,
            ),
            ("energy_per_stdp_update_pj", self.energy_per_stdp_update_pj),
            ("energy_per_spike_pj", self.energy_per_spike_pj),
            ("leakage_power_uw", self.leakage_power_uw),
        ] {
            if !(0.0..=1e9).contains(&v) {
                return err(key, format!("{v} is not accepted: 0..=1e9"));
            }
        }
        Ok(())
    }
}

/// One timestep's work for the core.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimestepWork<'a> {
    /// Input spikes queued at the start of the timestep.
    pub spikes_in: u64,
    pub synops: u64,
    pub neuron_updates: u64,
    pub stdp_updates: u64,
    /// Cycle (from the timestep start) at which each weight word arrives, in the order
    /// the lanes consume them (normally ascending). Empty: weights are local, no wait.
    /// The synops are spread evenly over the words.
    pub word_arrival_cycles: &'a [u64],
    /// Width of those words, for the weight-buffer occupancy.
    pub word_bits: u32,
}

/// Cycles of one timestep and what bounded them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimestepTiming {
    pub cycles: u64,
    pub synapse_cycles: u64,
    pub neuron_cycles: u64,
    pub stdp_cycles: u64,
    /// Integrate-phase cycles beyond the dispatch and lane bounds: waiting for words.
    pub memory_stall_cycles: u64,
    /// Spikes beyond the queue depth (their sender stalled until a slot freed).
    pub queue_overflow_spikes: u64,
    /// Most words arrived but not yet consumed at once.
    pub peak_buffered_words: u64,
    /// Words of that peak beyond the weight buffer's capacity (memory backpressure).
    pub buffer_overflow_words: u64,
}

/// A core: timing per timestep, counters, energy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Core {
    cfg: CoreConfig,
    spikes: u64,
    synops: u64,
    neuron_updates: u64,
    stdp_updates: u64,
    busy_cycles: u64,
    memory_stall_cycles: u64,
    queue_overflow_spikes: u64,
    timesteps: u64,
}

impl Core {
    pub fn new(cfg: CoreConfig) -> Result<Self, CoreError> {
        cfg.validate()?;
        Ok(Core {
            cfg,
            spikes: 0,
            synops: 0,
            neuron_updates: 0,
            stdp_updates: 0,
            busy_cycles: 0,
            memory_stall_cycles: 0,
            queue_overflow_spikes: 0,
            timesteps: 0,
        })
    }

    pub fn config(&self) -> &CoreConfig {
        &self.cfg
    }
    /// Clock period, rounded to a whole picosecond.
    pub fn period_ps(&self) -> u64 {
        (1e6 / self.cfg.freq_mhz).round() as u64
    }
    /// Time of `cycles` cycles, rounded once (no per-cycle rounding drift).
    pub fn cycles_to_ps(&self, cycles: u64) -> u64 {
        (cycles as f64 * 1e6 / self.cfg.freq_mhz).round() as u64
    }

    /// Cycles of one timestep's work; counts the work.
    pub fn run_timestep(&mut self, w: &TimestepWork) -> TimestepTiming {
        let c = &self.cfg;
        let lanes = c.synapse_lanes as u64;
        let dispatch = w.spikes_in;
        let lane_bound = w.synops.div_ceil(lanes) * c.cycles_per_synop as u64;
        let (stream_end, peak) = self.stream(w);
        let synapse_cycles = dispatch.max(lane_bound).max(stream_end);
        let neuron_cycles =
            w.neuron_updates.div_ceil(c.neuron_units as u64) * c.cycles_per_neuron_update as u64;
        let stdp_cycles = w.stdp_updates.div_ceil(lanes) * c.cycles_per_stdp_update as u64;
        let buffer_words = if w.word_bits == 0 {
            u64::MAX
        } else {
            c.weight_buffer_bytes * 8 / w.word_bits as u64
        };
        let t = TimestepTiming {
            cycles: synapse_cycles + neuron_cycles + stdp_cycles,
            synapse_cycles,
            neuron_cycles,
            stdp_cycles,
            memory_stall_cycles: synapse_cycles - dispatch.max(lane_bound),
            queue_overflow_spikes: w.spikes_in.saturating_sub(c.spike_queue_depth as u64),
            peak_buffered_words: peak,
            buffer_overflow_words: peak.saturating_sub(buffer_words),
        };
        self.spikes += w.spikes_in;
        self.synops += w.synops;
        self.neuron_updates += w.neuron_updates;
        self.stdp_updates += w.stdp_updates;
        self.busy_cycles += t.cycles;
        self.memory_stall_cycles += t.memory_stall_cycles;
        self.queue_overflow_spikes += t.queue_overflow_spikes;
        self.timesteps += 1;
        t
    }

    /// Consume words in order: each starts when it has arrived and the lanes are free,
    /// and takes ceil(its synops / lanes) x cycles_per_synop. Returns (end cycle, peak
    /// words arrived but not consumed when a word starts).
    fn stream(&self, w: &TimestepWork) -> (u64, u64) {
        let n = w.word_arrival_cycles.len() as u64;
        if n == 0 {
            return (0, 0);
        }
        let lanes = self.cfg.synapse_lanes as u64;
        let cps = self.cfg.cycles_per_synop as u64;
        let arr = w.word_arrival_cycles;
        let (mut t, mut peak, mut arrived) = (0u64, 0u64, 0usize);
        for (k, &a) in arr.iter().enumerate() {
            t = t.max(a);
            // Words arrived by now (arrival order is consumption order).
            while arrived < arr.len() && arr[arrived] <= t {
                arrived += 1;
            }
            peak = peak.max(arrived.max(k + 1) as u64 - k as u64);
            let k = k as u64;
            let ops = ((k + 1) as u128 * w.synops as u128 / n as u128
                - k as u128 * w.synops as u128 / n as u128) as u64;
            t += ops.div_ceil(lanes) * cps;
        }
        (t, peak)
    }

    pub fn spikes(&self) -> u64 {
        self.spikes
    }
    pub fn synops(&self) -> u64 {
        self.synops
    }
    pub fn neuron_updates(&self) -> u64 {
        self.neuron_updates
    }
    pub fn stdp_updates(&self) -> u64 {
        self.stdp_updates
    }
    pub fn busy_cycles(&self) -> u64 {
        self.busy_cycles
    }
    pub fn memory_stall_cycles(&self) -> u64 {
        self.memory_stall_cycles
    }
    pub fn queue_overflow_spikes(&self) -> u64 {
        self.queue_overflow_spikes
    }
    pub fn timesteps(&self) -> u64 {
        self.timesteps
    }

    pub fn dynamic_energy_pj(&self) -> f64 {
        let c = &self.cfg;
        self.synops as f64 * c.energy_per_synop_pj
            + self.neuron_updates as f64 * c.energy_per_neuron_update_pj
            + self.stdp_updates as f64 * c.energy_per_stdp_update_pj
            + self.spikes as f64 * c.energy_per_spike_pj
    }
    /// uW x ps = 1e-18 J = 1e-6 pJ.
    pub fn leakage_energy_pj(&self, elapsed_ps: u64) -> f64 {
        self.cfg.leakage_power_uw * elapsed_ps as f64 * 1e-6
    }
    pub fn energy_pj(&self, elapsed_ps: u64) -> f64 {
        self.dynamic_energy_pj() + self.leakage_energy_pj(elapsed_ps)
    }

    /// Book per kind under `component` ("core", "core.0", ...).
    pub fn book(&self, ledger: &mut EnergyLedger, component: &str, elapsed_ps: u64) {
        let c = &self.cfg;
        ledger.book(
            component,
            "synop",
            self.synops as f64 * c.energy_per_synop_pj,
        );
        ledger.book(
            component,
            "neuron_update",
            self.neuron_updates as f64 * c.energy_per_neuron_update_pj,
        );
        ledger.book(
            component,
            "stdp_update",
            self.stdp_updates as f64 * c.energy_per_stdp_update_pj,
        );
        ledger.book(
            component,
            "spike",
            self.spikes as f64 * c.energy_per_spike_pj,
        );
        ledger.book(component, "leakage", self.leakage_energy_pj(elapsed_ps));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(lanes: u32, units: u32) -> Core {
        Core::new(CoreConfig {
            synapse_lanes: lanes,
            neuron_units: units,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn clock() {
        let c = core(4, 1);
        assert_eq!(c.period_ps(), 5000);
        assert_eq!(c.cycles_to_ps(3), 15_000);
        let c = Core::new(CoreConfig {
            freq_mhz: 333.0,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.period_ps(), 3003);
        // 1000 cycles at 333 MHz = 3003003.003 ps: rounded once.
        assert_eq!(c.cycles_to_ps(1000), 3_003_003);
    }

    #[test]
    fn phases_by_hand() {
        let mut c = core(4, 2);
        // 10 synops on 4 lanes: 3 cycles; 5 spikes dispatch in 5 cycles (the bound);
        // 7 neuron updates on 2 units: 4; 5 STDP updates on 4 lanes x 2 cycles: 4.
        let t = c.run_timestep(&TimestepWork {
            spikes_in: 5,
            synops: 10,
            neuron_updates: 7,
            stdp_updates: 5,
            ..Default::default()
        });
        assert_eq!(
            (t.synapse_cycles, t.neuron_cycles, t.stdp_cycles, t.cycles),
            (5, 4, 4, 13)
        );
        assert_eq!(t.memory_stall_cycles, 0);
        assert_eq!(t.queue_overflow_spikes, 0);
        // 100 spikes into a 64-deep queue: 36 overflow.
        let t = c.run_timestep(&TimestepWork {
            spikes_in: 100,
            ..Default::default()
        });
        assert_eq!((t.cycles, t.queue_overflow_spikes), (100, 36));
        assert_eq!(
            (c.spikes(), c.synops(), c.busy_cycles(), c.timesteps()),
            (105, 10, 113, 2)
        );
    }

    #[test]
    fn words_arriving_from_memory_stall_the_lanes() {
        let mut c = core(4, 1);
        // 16 synops over 4 words (4 each, 1 cycle on 4 lanes): word 0 at 0 -> done 1;
        // word 1 at 10 -> 11; word 2 (arrived at 10) -> 12; word 3 at 30 -> 31.
        let arr = [0, 10, 10, 30];
        let t = c.run_timestep(&TimestepWork {
            spikes_in: 2,
            synops: 16,
            word_arrival_cycles: &arr,
            word_bits: 32,
            ..Default::default()
        });
        assert_eq!(t.synapse_cycles, 31);
        // Bounds: dispatch 2, lanes 4 -> 27 cycles waiting for memory.
        assert_eq!(t.memory_stall_cycles, 27);
        // At cycle 10 words 1 and 2 have both arrived and neither is consumed.
        assert_eq!(t.peak_buffered_words, 2);
        assert_eq!(t.buffer_overflow_words, 0);
        // A 4-byte buffer holds one 32-bit word: the peak of 2 overflows by 1.
        let mut small = Core::new(CoreConfig {
            weight_buffer_bytes: 4,
            ..Default::default()
        })
        .unwrap();
        let t = small.run_timestep(&TimestepWork {
            synops: 16,
            word_arrival_cycles: &arr,
            word_bits: 32,
            ..Default::default()
        });
        assert_eq!(t.buffer_overflow_words, 1);
        // 5 synops over 2 words split 2 + 3; one lane: 2 + 3 cycles after arrival 0.
        let mut one = core(1, 1);
        let t = one.run_timestep(&TimestepWork {
            synops: 5,
            word_arrival_cycles: &[0, 0],
            word_bits: 32,
            ..Default::default()
        });
        assert_eq!(t.synapse_cycles, 5);
    }

    #[test]
    fn energy_by_hand_and_ledger() {
        let mut c = Core::new(CoreConfig {
            leakage_power_uw: 10.0,
            ..Default::default()
        })
        .unwrap();
        c.run_timestep(&TimestepWork {
            spikes_in: 3,
            synops: 100,
            neuron_updates: 10,
            stdp_updates: 4,
            ..Default::default()
        });
        // 100 x 0.25 + 10 x 4.5 + 4 x 1.0 + 3 x 1.7 = 25 + 45 + 4 + 5.1.
        assert!((c.dynamic_energy_pj() - 79.1).abs() < 1e-9);
        // 10 uW over 1 us = 10 pJ.
        assert!((c.energy_pj(1_000_000) - 89.1).abs() < 1e-9);
        let mut l = EnergyLedger::new();
        c.book(&mut l, "core", 1_000_000);
        assert!((l.component_pj("core") - 89.1).abs() < 1e-9);
        assert!((l.get_pj("core", "stdp_update") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn validation_names_keys() {
        let bad = |c: CoreConfig, key: &str| match c.validate() {
            Err(CoreError::InvalidConfig { key: k, .. }) => assert_eq!(k, format!("core.{key}")),
            Ok(()) => panic!("{key} accepted"),
        };
        bad(
            CoreConfig {
                freq_mhz: 0.0,
                ..Default::default()
            },
            "freq_mhz",
        );
        bad(
            CoreConfig {
                freq_mhz: f64::NAN,
                ..Default::default()
            },
            "freq_mhz",
        );
        bad(
            CoreConfig {
                synapse_lanes: 0,
                ..Default::default()
            },
            "synapse_lanes",
        );
        bad(
            CoreConfig {
                energy_per_synop_pj: -1.0,
                ..Default::default()
            },
            "energy_per_synop_pj",
        );
        let t: CoreConfig = toml::from_str("freq_mhz = 100.0\nsynapse_lanes = 8").unwrap();
        assert_eq!((t.freq_mhz, t.synapse_lanes, t.neuron_units), (100.0, 8, 1));
        assert!(toml::from_str::<CoreConfig>("lanes = 8").is_err());
    }
}
