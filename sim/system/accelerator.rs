//! The accelerator as a step observer of the SNN: every input spike becomes the words
//! its encoding touches, cut into DRAM bursts at their placed addresses (or SRAM words
//! when the weights are on chip), served through the weight buffer; the synapse lanes
//! consume them in arrival order, then the neuron units update every neuron. Cycles and
//! energy are booked per component; per-sample records go to the trace.
//!
//! Invariants: no allocation per step (scratch vectors are reused); a sample's figures
//! are differences of cumulative marks taken at sample boundaries; the state a
//! checkpoint holds ([`AccelState`]) is everything that changes as the run goes, so a
//! restored accelerator continues as the uninterrupted one.

use super::placement::Placement;
use super::timing::{serve_from_dram, Burst, DramModel};
use super::WeightHome;
use crate::dram_setup::ResolvedDram;
use crate::kernel::{ClockDomain, Model};
use crate::snn::engine::{SampleRecord as SnnSample, StepObserver, StepSpikes};
use anyhow::Result;
use spikemem_arch::core::{Core, TimestepWork};
use spikemem_arch::dram::watchdog::Stall;
use spikemem_arch::dram::ReqKind;
use spikemem_arch::encoding::{AccessCost, SynapseEncoding, WordRange};
use spikemem_arch::energy::EnergyLedger;
use spikemem_arch::sram::Sram;
use spikemem_traces as traces;
use std::path::Path;

/// The bursts (indices into the placement) each neuron's access touches, flattened
/// with offsets, and the encoding's cost of that access.
pub(super) struct BurstLists {
    pub(super) off: Vec<u32>,
    pub(super) burst: Vec<u32>,
    pub(super) cost: Vec<AccessCost>,
}

impl BurstLists {
    pub(super) fn empty(n: usize) -> Self {
        BurstLists {
            off: vec![0; n + 1],
            burst: Vec::new(),
            cost: vec![AccessCost::default(); n],
        }
    }

    /// Append access `i`'s bursts, at their placed addresses, to `out`.
    #[inline]
    pub(super) fn push(
        &self,
        i: usize,
        kind: ReqKind,
        placement: &Placement,
        out: &mut Vec<Burst>,
    ) {
        let range = self.off[i] as usize..self.off[i + 1] as usize;
        out.extend(self.burst[range].iter().map(|&b| Burst {
            addr: placement.burst_addr[b as usize],
            kind,
        }));
    }
}

/// The synapse data of the input -> excitatory projection, as the hardware stores it.
pub(super) struct SynapseStore {
    pub(super) enc: Box<dyn SynapseEncoding>,
    /// Per presynaptic neuron: its forward access (a spike reads its synapse row).
    pub(super) fwd: BurstLists,
    /// Per postsynaptic neuron (learning): its backward access (the weight column).
    pub(super) bwd: BurstLists,
    /// Synaptic operations of a forward access (entries the lanes process).
    pub(super) fwd_synops: Vec<u32>,
}

pub(super) fn burst_lists(
    n: usize,
    word_bits: u32,
    burst_bytes: u64,
    mut access: impl FnMut(usize, &mut Vec<WordRange>) -> AccessCost,
) -> BurstLists {
    let (mut off, mut bursts, mut costs) = (vec![0u32], Vec::new(), Vec::with_capacity(n));
    let mut ranges = Vec::new();
    for i in 0..n {
        costs.push(access(i, &mut ranges));
        let start = bursts.len();
        for r in &ranges {
            let b0 = r.start_word * word_bits as u64 / 8 / burst_bytes;
            let b1 = ((r.start_word + r.words) * word_bits as u64 / 8).div_ceil(burst_bytes);
            for b in b0..b1 {
                // Ranges ascend within an access; skip a burst the previous range ended in.
                if bursts.len() == start || *bursts.last().unwrap() != b as u32 {
                    bursts.push(b as u32);
                }
            }
        }
        off.push(bursts.len() as u32);
    }
    BurstLists {
        off,
        burst: bursts,
        cost: costs,
    }
}

/// The accelerator: core, on-chip memories, DRAM; it observes the SNN step by step.
pub struct Accelerator {
    pub(super) core: Core,
    pub(super) core_clock: ClockDomain,
    pub(super) store: SynapseStore,
    pub(super) home: WeightHome,
    pub(super) learn: bool,
    pub(super) decoder: spikemem_arch::encoding::DecoderCosts,
    pub(super) dram: DramModel,
    pub(super) rd: ResolvedDram,
    pub(super) placement: Placement,
    pub(super) max_inflight: usize,
    pub(super) sram_weights: Option<Sram>,
    pub(super) sram_buffer: Sram,
    pub(super) sram_neurons: Sram,
    /// The delay ring (per-synapse delays only), and the words of one of its slots (one
    /// 16-bit accumulator per post neuron), read and cleared every step.
    pub(super) sram_delays: Option<Sram>,
    pub(super) delay_slot_words: u64,
    pub(super) input_pop: usize,
    pub(super) exc_pop: usize,
    pub(super) n_neurons: u64,
    // scratch, reused every step (no allocation in steady state)
    pub(super) bursts: Vec<Burst>,
    pub(super) arrivals: Vec<u64>,
    // time and counters
    pub(super) now_ps: u64,
    pub(super) decoder_pj: f64,
    pub(super) words_requested: u64,
    pub(super) bursts_requested: u64,
    pub(super) sample_start: SampleMark,
    /// Total energy at the end of the previous traced timestep.
    pub(super) step_energy_pj: f64,
    // outputs
    pub(super) trace: Option<traces::TraceWriter>,
    pub(super) trace_timesteps: bool,
    pub(super) trace_error: Option<String>,
    /// The DRAM watchdog's report, when the controller stopped making progress.
    pub(super) dram_stall: Option<Stall>,
    pub(super) samples: Vec<traces::SampleRecord>,
    pub(super) current_sample: u64,
    /// Samples before this one are in the trace already (a resume re-simulates them
    /// from a checkpoint without writing them again).
    pub(super) trace_from_sample: u64,
    /// DRAM busy time and read bursts of the inference samples (see `DramModel::busy_ps`).
    pub(super) infer_dram: DramWork,
}

/// DRAM work of the inference samples: busy time (ps) and read bursts delivered.
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct DramWork {
    pub(super) busy_ps: u64,
    pub(super) read_bursts: u64,
}

/// The part of the accelerator that changes as it runs: what a checkpoint holds. The
/// rest (encoding, placement, burst lists, energy model) is rebuilt from the config.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct AccelState {
    pub(super) core: Core,
    pub(super) sram_weights: Option<Sram>,
    pub(super) sram_buffer: Sram,
    pub(super) sram_neurons: Sram,
    pub(super) sram_delays: Option<Sram>,
    pub(super) dram: DramModel,
    pub(super) now_ps: u64,
    pub(super) decoder_pj: f64,
    pub(super) words_requested: u64,
    pub(super) bursts_requested: u64,
    pub(super) sample_start: SampleMark,
    pub(super) step_energy_pj: f64,
    pub(super) infer_dram: DramWork,
}

/// Cumulative figures at a sample's start (per-sample values are differences).
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct SampleMark {
    pub(super) time_ps: u64,
    pub(super) energy: [f64; 3],
    /// The access part of `energy[2]` (DRAM).
    pub(super) dram_access_pj: f64,
    pub(super) dram: DramWork,
    pub(super) dram_reads: u64,
    pub(super) dram_writes: u64,
    pub(super) row_hits: u64,
}

impl Accelerator {
    /// A copy of the simulated state (at a sample boundary: no request in flight).
    pub fn state(&self) -> AccelState {
        AccelState {
            core: self.core.clone(),
            sram_weights: self.sram_weights.clone(),
            sram_buffer: self.sram_buffer.clone(),
            sram_neurons: self.sram_neurons.clone(),
            sram_delays: self.sram_delays.clone(),
            dram: self.dram.clone(),
            now_ps: self.now_ps,
            decoder_pj: self.decoder_pj,
            words_requested: self.words_requested,
            bursts_requested: self.bursts_requested,
            sample_start: self.sample_start,
            step_energy_pj: self.step_energy_pj,
            infer_dram: self.infer_dram,
        }
    }

    /// Continue from a state saved by [`state`](Self::state) of an accelerator built
    /// from the same config.
    pub fn restore(&mut self, s: AccelState) {
        self.core = s.core;
        self.sram_weights = s.sram_weights;
        self.sram_buffer = s.sram_buffer;
        self.sram_neurons = s.sram_neurons;
        self.sram_delays = s.sram_delays;
        self.dram = s.dram;
        self.now_ps = s.now_ps;
        self.decoder_pj = s.decoder_pj;
        self.words_requested = s.words_requested;
        self.bursts_requested = s.bursts_requested;
        self.sample_start = s.sample_start;
        self.step_energy_pj = s.step_energy_pj;
        self.infer_dram = s.infer_dram;
    }

    /// Ends the run at a sample's end when the trace writer failed or the DRAM
    /// controller's watchdog stopped it (the figures after that point are not valid).
    pub(super) fn check_health(&self, trace: &Path) -> Result<()> {
        if let Some(e) = &self.trace_error {
            anyhow::bail!(
                "trace {}: {e} (records written so far are kept)",
                trace.display()
            );
        }
        if let Some(stall) = &self.dram_stall {
            anyhow::bail!("{stall}");
        }
        Ok(())
    }

    pub(super) fn tracing_this_sample(&self) -> bool {
        self.current_sample >= self.trace_from_sample
    }

    /// Energy so far by component: [core (compute + decoder), SRAM (all), DRAM].
    pub(super) fn energy_now(&self) -> [f64; 3] {
        self.energy_with_dram_access().0
    }

    /// `energy_now` and the access part of its DRAM energy, from one evaluation of the
    /// DRAM's energy.
    pub(super) fn energy_with_dram_access(&self) -> ([f64; 3], f64) {
        let t = self.now_ps;
        let core = self.core.energy_pj(t) + self.decoder_pj;
        let sram = self.sram_buffer.energy_pj(t)
            + self.sram_neurons.energy_pj(t)
            + self.sram_weights.as_ref().map_or(0.0, |s| s.energy_pj(t))
            + self.sram_delays.as_ref().map_or(0.0, |s| s.energy_pj(t));
        let (dram, access) = self
            .dram_energy()
            .map_or((0.0, 0.0), |e| (e.total_pj(), e.access_pj()));
        ([core, sram, dram], access)
    }

    /// The DRAM's energy so far; None when the system has no DRAM.
    pub(super) fn dram_energy(&self) -> Option<spikemem_arch::dram::power::EnergyBreakdown> {
        self.dram
            .present
            .then(|| self.rd.power.energy(&self.dram.mem.activity()))
    }

    pub(super) fn mark(&self) -> SampleMark {
        let s = self.dram.mem.stats();
        let (energy, dram_access_pj) = self.energy_with_dram_access();
        SampleMark {
            time_ps: self.now_ps,
            energy,
            dram_access_pj,
            dram: DramWork {
                busy_ps: self.dram.busy_ps,
                read_bursts: self.dram.read_bursts,
            },
            dram_reads: s.reads,
            dram_writes: s.writes,
            row_hits: s.row_hits,
        }
    }

    /// The whole run's energy, by component and kind.
    pub fn ledger(&self) -> EnergyLedger {
        let t = self.now_ps;
        let mut l = EnergyLedger::new();
        self.core.book(&mut l, "core", t);
        l.book("core", "decoder", self.decoder_pj);
        self.sram_buffer.book(&mut l, "sram.buffer", t);
        self.sram_neurons.book(&mut l, "sram.neurons", t);
        if let Some(s) = &self.sram_weights {
            s.book(&mut l, "sram.weights", t);
        }
        if let Some(s) = &self.sram_delays {
            s.book(&mut l, "sram.delays", t);
        }
        if let Some(e) = self.dram_energy() {
            for (k, e) in e.entries() {
                l.book("dram", k, e);
            }
        }
        l
    }
}

impl StepObserver for Accelerator {
    fn on_step(&mut self, step: u32, spikes: &StepSpikes<'_>) {
        let inputs = spikes.population(self.input_pop);
        let exc = spikes.population(self.exc_pop);
        self.bursts.clear();
        let (mut words, mut synops, mut stdp_updates) = (0u64, 0u64, 0u64);
        let mut cost = AccessCost::default();
        // Forward: every input spike reads its synapse row.
        for &i in inputs {
            let i = i as usize;
            cost.add(&self.store.fwd.cost[i]);
            words += self.store.fwd.cost[i].words_read;
            synops += self.store.fwd_synops[i] as u64;
            if self.home == WeightHome::Dram {
                self.store
                    .fwd
                    .push(i, ReqKind::Read, &self.placement, &mut self.bursts);
            }
        }
        // Learning: every excitatory spike reads its weight column and writes it back.
        if self.learn {
            for &j in exc {
                let j = j as usize;
                let c = self.store.bwd.cost[j];
                cost.add(&c);
                words += 2 * c.words_read;
                stdp_updates += self.store.enc.n_pre() as u64;
                if self.home == WeightHome::Dram {
                    self.store
                        .bwd
                        .push(j, ReqKind::Read, &self.placement, &mut self.bursts);
                    self.store
                        .bwd
                        .push(j, ReqKind::Write, &self.placement, &mut self.bursts);
                }
            }
        }
        self.decoder_pj += cost.decoder_energy_pj(&self.decoder);
        self.words_requested += words;
        let t0 = self.now_ps;
        let (mem_end_ps, word_bits) = match self.home {
            WeightHome::Dram => {
                self.bursts_requested += self.bursts.len() as u64;
                let end = serve_from_dram(
                    &mut self.dram,
                    self.core_clock,
                    t0,
                    &self.bursts,
                    self.max_inflight,
                    &mut self.arrivals,
                )
                .unwrap_or_else(|stall| {
                    // Ends the run at the sample's end (`check_health`).
                    self.dram_stall.get_or_insert(stall);
                    t0
                });
                // Each burst passes through the weight buffer: written once, read once.
                let buf_words =
                    self.placement.burst_bytes * 8 / self.sram_buffer.config().word_bits as u64;
                let n = self.bursts.len() as u64 * buf_words;
                let reads = self.arrivals.len() as u64 * buf_words;
                self.sram_buffer.write(n);
                self.sram_buffer.read(reads);
                (end, (self.placement.burst_bytes * 8) as u32)
            }
            WeightHome::Sram => {
                let s = self
                    .sram_weights
                    .as_mut()
                    .expect("weight SRAM exists when weights_in = sram");
                s.read(words);
                let per_cycle = (s.config().banks * s.config().ports) as u64;
                let lat = s.config().latency_cycles as u64;
                self.arrivals.clear();
                self.arrivals
                    .extend((0..words).map(|k| lat + k / per_cycle));
                (t0, s.config().word_bits)
            }
        };
        // Every neuron's state is read and written once per step.
        self.sram_neurons.read(self.n_neurons);
        self.sram_neurons.write(self.n_neurons);
        // Per-synapse delays: each synaptic op adds into its post neuron's accumulator in
        // the ring slot its delay names (read-modify-write of one word); the neuron units
        // read this step's slot and clear it.
        if let Some(r) = &mut self.sram_delays {
            r.read(synops + self.delay_slot_words);
            r.write(synops + self.delay_slot_words);
        }
        let timing = self.core.run_timestep(&TimestepWork {
            spikes_in: inputs.len() as u64,
            synops,
            neuron_updates: self.n_neurons,
            stdp_updates,
            word_arrival_cycles: &self.arrivals,
            word_bits,
        });
        self.now_ps = (t0 + self.core.cycles_to_ps(timing.cycles)).max(mem_end_ps);
        if self.trace_timesteps {
            // Energy of this step: the DRAM background up to its end included.
            self.dram.advance_to(self.now_ps);
            let total: f64 = self.energy_now().iter().sum();
            let energy_pj = total - self.step_energy_pj;
            self.step_energy_pj = total;
            if let (Some(w), true) = (&self.trace, self.tracing_this_sample()) {
                let r = traces::TimestepRecord {
                    sample: self.current_sample,
                    step,
                    input_spikes: inputs.len() as u32,
                    output_spikes: exc.len() as u32,
                    dram_requests: self.bursts.len() as u32,
                    cycles: timing.cycles,
                    energy_pj,
                };
                if let Err(e) = w.timestep(r) {
                    self.trace_error.get_or_insert(e.to_string());
                }
            }
        }
    }

    fn on_sample(&mut self, rec: &SnnSample) {
        // Let the DRAM reach the sample's end (refresh and background included).
        self.dram.advance_to(self.now_ps);
        let m = self.mark();
        let s0 = self.sample_start;
        let e: Vec<f64> = (0..3).map(|k| m.energy[k] - s0.energy[k]).collect();
        let core_cycles = self.core_clock.ps_to_cycle_ceil(m.time_ps - s0.time_ps);
        let dram_access = m.dram_access_pj - s0.dram_access_pj;
        self.infer_dram.busy_ps += m.dram.busy_ps - s0.dram.busy_ps;
        self.infer_dram.read_bursts += m.dram.read_bursts - s0.dram.read_bursts;
        let r = traces::SampleRecord {
            sample: rec.index as u64,
            label: rec.label as i32,
            prediction: rec.prediction.map_or(-1, |p| p as i32),
            cycles: core_cycles,
            time_ns: (m.time_ps - s0.time_ps) as f64 / 1000.0,
            input_spikes: rec.ops.input_spikes,
            output_spikes: rec.ops.neuron_spikes,
            synaptic_ops: rec.ops.synaptic_ops,
            neuron_updates: rec.ops.neuron_updates,
            dram_reads: m.dram_reads - s0.dram_reads,
            dram_writes: m.dram_writes - s0.dram_writes,
            dram_row_hits: m.row_hits - s0.row_hits,
            energy_core_pj: e[0],
            energy_sram_pj: e[1],
            energy_dram_pj: e[2],
            energy_dram_access_pj: dram_access,
            energy_dram_background_pj: e[2] - dram_access,
            energy_total_pj: e[0] + e[1] + e[2],
        };
        if let (Some(w), true) = (&self.trace, self.tracing_this_sample()) {
            if let Err(err) = w.sample(r) {
                self.trace_error.get_or_insert(err.to_string());
            }
        }
        self.samples.push(r);
        self.sample_start = m;
        self.current_sample = rec.index as u64 + 1;
    }
}
