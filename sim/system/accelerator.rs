//! `spikemem run`: the SNN on the modelled accelerator, cycle by cycle, with traces.

use super::deploy::Deployment;
use super::fault_inject::apply_dram_faults;
use super::placement::{LayoutReport, Placement};
use super::timing::{serve_from_dram, Burst, DramModel};
use super::WeightHome;
use crate::cli::RunArgs;
use crate::config::{self, Config, Loaded};
use crate::dramrun::{stats_json, write_json, ResolvedDram};
use crate::error::input_error;
use crate::kernel::{ClockDomain, Model};
use crate::snn::engine::{Network, SampleRecord as SnnSample, StepObserver, StepSpikes};
use anyhow::Result;
use serde_json::{json, Value};
use spikemem_arch::core::{Core, TimestepWork};
use spikemem_arch::dram::config::ErrorModel;
use spikemem_arch::dram::watchdog::Stall;
use spikemem_arch::dram::{Command, ReqKind};
use spikemem_arch::encoding::{AccessCost, EncodingKind, Layer, SynapseEncoding, WordRange};
use spikemem_arch::energy::EnergyLedger;
use spikemem_arch::sram::{Sram, SramConfig};
use spikemem_traces as traces;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The bursts (indices into the placement) each neuron's access touches, flattened
/// with offsets, and the encoding's cost of that access.
struct BurstLists {
    off: Vec<u32>,
    burst: Vec<u32>,
    cost: Vec<AccessCost>,
}

impl BurstLists {
    fn empty(n: usize) -> Self {
        BurstLists {
            off: vec![0; n + 1],
            burst: Vec::new(),
            cost: vec![AccessCost::default(); n],
        }
    }

    /// Append access `i`'s bursts, at their placed addresses, to `out`.
    #[inline]
    fn push(&self, i: usize, kind: ReqKind, placement: &Placement, out: &mut Vec<Burst>) {
        let range = self.off[i] as usize..self.off[i + 1] as usize;
        out.extend(self.burst[range].iter().map(|&b| Burst {
            addr: placement.burst_addr[b as usize],
            kind,
        }));
    }
}

/// The synapse data of the input -> excitatory projection, as the hardware stores it.
struct SynapseStore {
    enc: Box<dyn SynapseEncoding>,
    /// Per presynaptic neuron: its forward access (a spike reads its synapse row).
    fwd: BurstLists,
    /// Per postsynaptic neuron (learning): its backward access (the weight column).
    bwd: BurstLists,
    /// Synaptic operations of a forward access (entries the lanes process).
    fwd_synops: Vec<u32>,
}

fn burst_lists(
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
    core: Core,
    core_clock: ClockDomain,
    store: SynapseStore,
    home: WeightHome,
    learn: bool,
    decoder: spikemem_arch::encoding::DecoderCosts,
    dram: DramModel,
    rd: ResolvedDram,
    placement: Placement,
    max_inflight: usize,
    sram_weights: Option<Sram>,
    sram_buffer: Sram,
    sram_neurons: Sram,
    /// The delay ring (per-synapse delays only), and the words of one of its slots (one
    /// 16-bit accumulator per post neuron), read and cleared every step.
    sram_delays: Option<Sram>,
    delay_slot_words: u64,
    input_pop: usize,
    exc_pop: usize,
    n_neurons: u64,
    // scratch, reused every step (no allocation in steady state)
    bursts: Vec<Burst>,
    arrivals: Vec<u64>,
    // time and counters
    now_ps: u64,
    decoder_pj: f64,
    words_requested: u64,
    bursts_requested: u64,
    sample_start: SampleMark,
    /// Total energy at the end of the previous traced timestep.
    step_energy_pj: f64,
    // outputs
    trace: Option<traces::TraceWriter>,
    trace_timesteps: bool,
    trace_error: Option<String>,
    /// The DRAM watchdog's report, when the controller stopped making progress.
    dram_stall: Option<Stall>,
    samples: Vec<traces::SampleRecord>,
    current_sample: u64,
    /// Samples before this one are in the trace already (a resume re-simulates them
    /// from a checkpoint without writing them again).
    trace_from_sample: u64,
    /// DRAM busy time and read bursts of the inference samples (see `DramModel::busy_ps`).
    infer_dram: DramWork,
}

/// DRAM work of the inference samples: busy time (ps) and read bursts delivered.
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct DramWork {
    busy_ps: u64,
    read_bursts: u64,
}

/// The part of the accelerator that changes as it runs: what a checkpoint holds. The
/// rest (encoding, placement, burst lists, energy model) is rebuilt from the config.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct AccelState {
    core: Core,
    sram_weights: Option<Sram>,
    sram_buffer: Sram,
    sram_neurons: Sram,
    sram_delays: Option<Sram>,
    dram: DramModel,
    now_ps: u64,
    decoder_pj: f64,
    words_requested: u64,
    bursts_requested: u64,
    sample_start: SampleMark,
    step_energy_pj: f64,
    infer_dram: DramWork,
}

/// Cumulative figures at a sample's start (per-sample values are differences).
#[derive(Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct SampleMark {
    time_ps: u64,
    energy: [f64; 3],
    /// The access part of `energy[2]` (DRAM).
    dram_access_pj: f64,
    dram: DramWork,
    dram_reads: u64,
    dram_writes: u64,
    row_hits: u64,
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
    fn check_health(&self, trace: &Path) -> Result<()> {
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

    fn tracing_this_sample(&self) -> bool {
        self.current_sample >= self.trace_from_sample
    }

    /// Energy so far by component: [core (compute + decoder), SRAM (all), DRAM].
    fn energy_now(&self) -> [f64; 3] {
        self.energy_with_dram_access().0
    }

    /// `energy_now` and the access part of its DRAM energy, from one evaluation of the
    /// DRAM's energy.
    fn energy_with_dram_access(&self) -> ([f64; 3], f64) {
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
    fn dram_energy(&self) -> Option<spikemem_arch::dram::power::EnergyBreakdown> {
        self.dram
            .present
            .then(|| self.rd.power.energy(&self.dram.mem.activity()))
    }

    fn mark(&self) -> SampleMark {
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

/// Build the accelerator for a trained network.
fn build(
    cfg: &Config,
    loaded: &Loaded,
    net: &mut Network,
    learn: bool,
) -> Result<(Accelerator, Value)> {
    let dep = Deployment::new(cfg, loaded, net)?;
    let stuck = dep.stuck_bits(&dep.fault_map(
        cfg.dram.error_model,
        cfg.dram.ber.unwrap_or(dep.rd.op.ber),
        cfg.dram.fault_seed,
    ))?;
    // On-chip learning reads and writes the weights where they live: every update is
    // read back through the same stuck bits.
    let learning_faults =
        (learn && dep.info.plastic && !stuck.is_empty()).then(|| dep.weight_faults(&stuck));
    let Deployment {
        rd,
        mem,
        info,
        layer,
        enc,
        footprint_bytes,
        placement,
        delay_slots,
        ..
    } = dep;
    let Layer::Dense(dense) = &layer else {
        unreachable!("Deployment::new builds a dense layer")
    };
    let (n_pre, n_post, bits) = (info.pre_size, info.post_size, dense.weight_bits);
    let burst_bytes = mem.mapper().burst_bytes();
    let wb = cfg.encoding.word_bits;
    let fwd = burst_lists(n_pre, wb, burst_bytes, |i, r| enc.forward(i, r));
    let bwd = if learn {
        burst_lists(n_post, wb, burst_bytes, |j, r| enc.backward(j, r))
    } else {
        BurstLists::empty(n_post)
    };
    let fwd_synops = (0..n_pre)
        .map(|i| {
            if cfg.encoding.kind == EncodingKind::Crossbar {
                n_post as u32
            } else {
                dense.row(i).iter().filter(|&&c| c != 0).count() as u32
            }
        })
        .collect();
    // Bit errors of reduced-voltage DRAM reach the weights the network uses.
    let ber = cfg.dram.ber.unwrap_or(rd.op.ber);
    if ber > 0.0 && cfg.dram.error_model == ErrorModel::None {
        let from = match cfg.dram.ber {
            Some(_) => "dram.ber".to_string(),
            None => format!("dram.vdd = {} V", rd.op.vdd),
        };
        eprintln!(
            "warning: {}: the DRAM's bit error rate is {ber:e} ({from}), but dram.error_model = \"none\": no bit will flip (set dram.error_model to uniform, bitline, wordline or data_dependent)",
            loaded.source
        );
    }
    let flipped = apply_dram_faults(net, dense, &stuck)?;
    if learning_faults.is_some() {
        net.set_weight_faults(learning_faults)?;
    }
    let layout: LayoutReport = placement.report(mem.mapper());
    let core = Core::new(cfg.core.clone()).map_err(|e| input_error(e.to_string()))?;
    let core_clock = ClockDomain::new(core.period_ps());
    let sram_cfg = |c: &SramConfig, auto_bytes: u64| -> Result<Sram> {
        let mut c = c.clone();
        if c.capacity_bytes == 0 {
            c.capacity_bytes = auto_bytes.next_power_of_two().max(64);
        }
        Sram::new(c).map_err(|e| input_error(e.to_string()))
    };
    // Every non-input neuron is updated each step.
    let n_neurons: u64 = net
        .desc
        .populations()
        .filter(|(_, p)| p.name != info.pre_population)
        .map(|(_, p)| p.size as u64)
        .sum();
    let sram_weights = if cfg.system.weights_in == WeightHome::Sram {
        Some(sram_cfg(&cfg.sram.weights, footprint_bytes)?)
    } else {
        None
    };
    let sram_buffer = sram_cfg(&cfg.sram.buffer, cfg.core.weight_buffer_bytes)?;
    // Neuron state: membrane, conductances, threshold: 4 x 16 bits per neuron.
    let sram_neurons = sram_cfg(&cfg.sram.neurons, n_neurons * 8)?;
    // Delay ring: one 16-bit accumulator per post neuron and slot.
    let sram_delays = (delay_slots > 0)
        .then(|| sram_cfg(&cfg.sram.delays, delay_slots * n_post as u64 * 2))
        .transpose()?;
    let delay_slot_words = sram_delays.as_ref().map_or(0, |s| {
        (n_post as u64 * 16).div_ceil(s.config().word_bits as u64)
    });
    let names = net.population_names();
    let input_pop = names
        .iter()
        .position(|n| *n == info.pre_population)
        .unwrap_or(0);
    let exc_pop = names
        .iter()
        .position(|n| *n == info.post_population)
        .unwrap_or(1);
    let max_inflight = ((cfg.core.weight_buffer_bytes / burst_bytes) as usize).max(1);
    let tck = rd.standard.tck_ps();
    let memory = json!({
        "projection": info.name,
        "n_pre": n_pre, "n_post": n_post, "weight_bits": bits,
        "delay_bits": dense.delay_bits, "delay_ring_slots": delay_slots,
        "encoding": cfg.encoding.kind.name(),
        "footprint_bits": enc.footprint_bits(),
        "weights_in": format!("{:?}", cfg.system.weights_in).to_lowercase(),
        "layout": layout,
        "ber": ber,
        "fault_bits_flipped": flipped,
    });
    let acc = Accelerator {
        core,
        core_clock,
        store: SynapseStore {
            enc,
            fwd,
            bwd,
            fwd_synops,
        },
        home: cfg.system.weights_in,
        learn,
        decoder: cfg.encoding.decoder.clone(),
        dram: DramModel::new(mem, tck).with_present(cfg.system.has_dram()),
        rd,
        placement,
        max_inflight,
        sram_weights,
        sram_buffer,
        sram_neurons,
        sram_delays,
        delay_slot_words,
        input_pop,
        exc_pop,
        n_neurons,
        bursts: Vec::with_capacity(4096),
        arrivals: Vec::with_capacity(4096),
        now_ps: 0,
        decoder_pj: 0.0,
        words_requested: 0,
        bursts_requested: 0,
        sample_start: SampleMark::default(),
        step_energy_pj: 0.0,
        trace: None,
        trace_timesteps: false,
        trace_error: None,
        dram_stall: None,
        samples: Vec::new(),
        current_sample: 0,
        trace_from_sample: 0,
        infer_dram: DramWork::default(),
    };
    Ok((acc, memory))
}

/// Load or train the network the run uses; `test_set` must fit it (checked before
/// training). `trained`: the state and model info of the network this run trained,
/// from its checkpoint (a resume does not train again).
fn obtain_network(
    cfg: &Config,
    loaded: &Loaded,
    test_set: &crate::snn::dataset::ImageSet,
    trained: Option<(crate::snn::engine::NetState, Value)>,
) -> Result<(Network, Value)> {
    use crate::snn::{dataset, model_io, network, train};
    if !cfg.system.model.is_empty() {
        let path = loaded.base_dir.join(&cfg.system.model);
        if !path.exists() {
            return Err(input_error(format!(
                "system.model: `{}` does not exist (train one with `spikemem train --out`)",
                path.display()
            )));
        }
        let net = model_io::load(&path, &cfg.snn)?;
        dataset::check_inputs(&path.display().to_string(), net.n_inputs(), test_set)?;
        return Ok((net, json!({ "source": path.display().to_string() })));
    }
    let d = &cfg.data;
    let train_set = dataset::load_pair(&d.train_images, &d.train_labels, &loaded.base_dir)?
        .truncated(d.train_samples);
    dataset::check_same_shape(&train_set, test_set)?;
    let desc = network::build(&cfg.snn, train_set.rows, train_set.cols);
    let mut net = Network::new(&cfg.snn, desc)?;
    if let Some((state, info)) = trained {
        net.restore_state(state)?;
        return Ok((net, info));
    }
    // Fault-aware training ([fat]) as `spikemem train` does it, so a network trained
    // inside a run equals the model `train` saves from the same config.
    let fat = crate::snn::fat::FatSchedule::new(
        cfg,
        loaded,
        &net,
        train_set.len() as u64 * cfg.snn.epochs as u64,
    )?;
    let r = train::train_with(&mut net, &train_set, true, &mut |_| {}, None, fat.as_ref())?;
    tracing::info!(
        samples = r.samples,
        accuracy = r.label_pass_accuracy,
        "trained the model for this run"
    );
    Ok((
        net,
        json!({
            "source": "trained for this run",
            "train_samples": r.samples,
            "epochs": r.epochs,
            "label_pass_accuracy": r.label_pass_accuracy,
            "train_wall_seconds": r.wall_seconds,
            "fat_bits_flipped": r.fat_bits_flipped,
        }),
    ))
}

/// Where the trace goes: --out, else `spikemem-run.<ext>` in the working directory.
fn trace_path(a: &RunArgs, format: traces::TraceFormat) -> PathBuf {
    a.out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("spikemem-run.{}", format.extension())))
}

pub fn cmd_run(a: &RunArgs) -> Result<()> {
    use super::checkpoint::{CheckpointFiles, RunCheckpoint, CHECKPOINT_EVERY_SAMPLES};
    use crate::snapshot_file::binary_identity;
    use crate::snn::{dataset, train};
    let wall = Instant::now();
    let loaded = config::load(a.config(), &a.sets)?;
    let cfg = &loaded.config;
    let format: traces::TraceFormat = a
        .format
        .parse()
        .map_err(|e: traces::TraceError| input_error(format!("--format: {e}")))?;
    let path = trace_path(a, format);
    crate::error::check_output_path(&path, "--out")?;
    if let Some(j) = &a.json {
        crate::error::check_output_path(j, "--json")?;
    }
    let ckpt = CheckpointFiles::beside(&path);
    if a.force {
        traces::remove_trace(&path, format).map_err(|e| anyhow::anyhow!("--force: {e}"))?;
        ckpt.remove();
    }
    // A finished trace of this config is the answer: report it, touch nothing.
    if let Some(done) =
        traces::read_finished(&path, format).map_err(|e| input_error(e.to_string()))?
    {
        traces::check_same_config(&path, &done.config_toml, &loaded.text)
            .map_err(|e| input_error(format!("{e} (or pass --force to start over)")))?;
        ckpt.remove();
        if let Some(p) = &a.json {
            write_json(p, &done.summary)?;
        }
        println!(
            "{} is complete (its stored summary follows; --force runs it again)",
            path.display()
        );
        print_run_summary(&done.summary, &path);
        return Ok(());
    }
    let exists = traces::trace_exists(&path, format);
    if !exists {
        ckpt.remove(); // stale side files of a trace deleted since
    }
    let resume = if exists {
        ckpt.load(&loaded.text, a.learn)
    } else {
        None
    };

    // The network: loaded, or trained here (saved once, so a resume need not retrain).
    let trained = match &resume {
        Some(c) if c.trained_net => {
            Some((ckpt.load_trained()?, serde_json::from_str(&c.model_json)?))
        }
        _ => None,
    };
    let d = &cfg.data;
    let test_set = dataset::load_pair(&d.test_images, &d.test_labels, &loaded.base_dir)?
        .truncated(d.test_samples);
    let (mut net, model_info) = obtain_network(cfg, &loaded, &test_set, trained)?;
    if cfg.system.model.is_empty() && resume.is_none() {
        ckpt.save_trained(&net)?;
    }
    let (mut acc, mut memory) = build(cfg, &loaded, &mut net, a.learn)?;

    // On-chip learning first (hardware in the loop), then labels from a frozen pass.
    let mut learning = Value::Null;
    if let Some(c) = resume.as_ref().filter(|c| c.learned_net) {
        net.restore_state(ckpt.load_learned()?)?;
        learning = serde_json::from_str(&c.learning_json)?;
        acc.learn = false;
    } else if a.learn {
        let train_set = dataset::load_pair(&d.train_images, &d.train_labels, &loaded.base_dir)?
            .truncated(d.train_samples);
        dataset::check_same_shape(&train_set, &test_set)?;
        let pb = crate::progress::bar(train_set.len() as u64, "learn");
        for s in 0..train_set.len() {
            net.run_sample(
                train_set.image(s),
                s,
                train::KEY_TRAIN + s as u64,
                true,
                &mut acc,
            );
            pb.inc(1);
            acc.check_health(&path)?;
        }
        pb.finish_and_clear();
        acc.dram.advance_to(acc.now_ps);
        // The synapse memory holds weight_bits-bit words: with post-training
        // quantization the learned weights are put on its grid before labeling, as
        // `train` does, so the network used below is the one a saved model would hold.
        net.quantize_weights();
        let learning_flips = net.weight_fault_bits_flipped();
        net.set_weight_faults(None)?;
        let (resp, _) = train::respond(&net, &train_set, train::KEY_LABEL, 1, None);
        net.labels = train::assign_labels(&resp, &train_set.labels, net.n_excitatory());
        let e = acc.energy_now();
        learning = json!({
            "samples": train_set.len(),
            "cycles": acc.core_clock.ps_to_cycle_ceil(acc.now_ps),
            "time_ns": acc.now_ps as f64 / 1000.0,
            "energy_pj": e.iter().sum::<f64>(),
            "energy_core_pj": e[0], "energy_sram_pj": e[1], "energy_dram_pj": e[2],
            "fault_bits_flipped": learning_flips,
        });
        acc.learn = false;
        acc.sample_start = acc.mark();
        acc.step_energy_pj = acc.sample_start.energy.iter().sum();
        ckpt.save_learned(&net)?;
    }

    // Bit errors read back while learning add to those of the weights as built.
    if let Some(n) = learning["fault_bits_flipped"].as_u64() {
        let built = memory["fault_bits_flipped"].as_u64().unwrap_or(0);
        memory["fault_bits_flipped"] = json!(built + n);
        memory["fault_bits_flipped_learning"] = json!(n);
    }

    // Trace: continue an interrupted run of the same config, else start a new file.
    let meta = traces::RunMeta {
        config_toml: loaded.text.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command_names: Command::LOGGED
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        extra_attrs: vec![("command".into(), "run".into())],
    };
    // Flush often: a killed run keeps all but the last few samples, and a rerun resumes there.
    let opts = traces::TraceOptions {
        timesteps: cfg.trace.timesteps,
        commands: cfg.trace.commands,
        flush_every_rows: if cfg.trace.timesteps || cfg.trace.commands {
            4096
        } else {
            16
        },
        ..traces::TraceOptions::default()
    };
    // Read the stored rows before the writer opens the file (HDF5 must not have it open twice).
    let stored = if exists {
        traces::read_samples(&path, format).map_err(|e| input_error(e.to_string()))?
    } else {
        Vec::new()
    };
    let (writer, in_trace) = if exists {
        traces::TraceWriter::resume(&path, format, meta, opts)
            .map_err(|e| input_error(e.to_string()))?
    } else {
        (
            traces::TraceWriter::create(&path, format, meta, opts)
                .map_err(|e| input_error(e.to_string()))?,
            0,
        )
    };
    anyhow::ensure!(
        stored.len() as u64 >= in_trace,
        "trace {}: holds {in_trace} samples but {} could be read back",
        path.display(),
        stored.len()
    );
    // Restart from the checkpoint (or from the start): every sample up to `in_trace`
    // is re-simulated and must equal its stored row.
    let start = match resume.filter(|c| c.samples_done <= in_trace) {
        Some(c) => {
            acc.restore(c.acc);
            c.samples_done
        }
        None => 0,
    };
    acc.samples.extend_from_slice(&stored[..start as usize]);
    acc.trace_from_sample = in_trace;
    if cfg.trace.commands {
        acc.dram.mem.enable_command_log();
    }
    acc.trace = Some(writer);
    acc.trace_timesteps = cfg.trace.timesteps;
    if in_trace > 0 {
        eprintln!(
            "resuming {}: {} of {} samples already in the trace (re-simulating from sample {start})",
            path.display(),
            in_trace,
            test_set.len()
        );
    }

    // Inference over the test split, sample by sample, the hardware observing each step.
    let t_infer = Instant::now();
    let mut last_checkpoint = Instant::now();
    let pb = crate::progress::bar(test_set.len() as u64, "run");
    pb.set_position(start.min(test_set.len() as u64));
    #[allow(clippy::needless_range_loop)] // `s` indexes the test set and the stored rows
    for s in start as usize..test_set.len() {
        acc.current_sample = s as u64;
        let before = net.ops;
        let (counts, repeats) = net.run_sample(
            test_set.image(s),
            s,
            train::KEY_EVAL + s as u64,
            false,
            &mut acc,
        );
        let counts = counts.to_vec();
        let rec = SnnSample {
            index: s,
            label: test_set.labels[s],
            prediction: train::predict(&counts, &net.labels),
            spike_counts: counts,
            repeats,
            ops: net.ops.since(&before),
        };
        // The sample's commands (those of its end included) go to the trace before its
        // row, which closes it: a resume keeps exactly the closed samples' commands.
        acc.dram.advance_to(acc.now_ps);
        let cmds = if cfg.trace.commands {
            acc.dram.mem.take_command_log()
        } else {
            Vec::new()
        };
        if (s as u64) >= in_trace && !cmds.is_empty() {
            let rows = cmds.iter().map(command_record).collect();
            if let Some(w) = &acc.trace {
                if let Err(e) = w.commands(rows) {
                    acc.trace_error.get_or_insert(e.to_string());
                }
            }
        }
        acc.on_sample(&rec);
        if (s as u64) < in_trace {
            let (got, want) = (acc.samples[s], stored[s]);
            if got != want {
                anyhow::bail!(
                    "resuming {}: sample {s} re-simulated from the checkpoint differs from the trace's row \
                     (trace {want:?}, now {got:?}); the trace was written by another build. \
                     Rerun with --force to start over",
                    path.display()
                );
            }
        }
        pb.inc(1);
        acc.check_health(&path)?;
        let done = s as u64 + 1;
        if done >= in_trace
            && done.is_multiple_of(CHECKPOINT_EVERY_SAMPLES)
            && done < test_set.len() as u64
            && last_checkpoint.elapsed().as_secs_f64() >= a.checkpoint_seconds
        {
            // The trace holds these samples before the checkpoint says so.
            let w = acc.trace.as_ref().expect("set above");
            w.flush()
                .map_err(|e| anyhow::anyhow!("trace {}: {e}", path.display()))?;
            ckpt.save(&RunCheckpoint {
                binary: binary_identity(),
                config_toml: loaded.text.clone(),
                learn: a.learn,
                samples_done: done,
                trained_net: cfg.system.model.is_empty(),
                learned_net: a.learn,
                learning_json: learning.to_string(),
                model_json: model_info.to_string(),
                acc: acc.state(),
            })?;
            last_checkpoint = Instant::now();
        }
        crate::failpoint::hit("run-sample", s as u64);
    }
    pb.finish_and_clear();
    let infer_wall = t_infer.elapsed().as_secs_f64();

    let summary = summarize(
        &acc,
        &net,
        &model_info,
        &memory,
        &learning,
        start,
        wall.elapsed().as_secs_f64(),
        infer_wall,
    );
    let dram_json = summary["dram"].to_string();
    let writer = acc.trace.take().expect("set above");
    writer
        .finish(&summary.to_string(), &dram_json)
        .map_err(|e| anyhow::anyhow!("trace {}: {e}", path.display()))?;
    ckpt.remove();
    if let Some(p) = &a.json {
        write_json(p, &summary)?;
    }
    print_run_summary(&summary, &path);
    Ok(())
}

/// A DRAM command as a trace row.
fn command_record(c: &spikemem_arch::dram::IssuedCommand) -> traces::CommandRecord {
    traces::CommandRecord {
        cycle: c.cycle,
        command: Command::LOGGED
            .iter()
            .position(|x| *x == c.cmd)
            .unwrap_or(0) as u8,
        channel: c.addr.channel as u8,
        rank: c.addr.rank as u8,
        bank_group: c.addr.bank_group as u8,
        bank: c.addr.bank as u16,
        subarray: c.addr.subarray as u16,
        row: c.addr.row,
        column: c.addr.column,
    }
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    acc: &Accelerator,
    net: &Network,
    model_info: &Value,
    memory: &Value,
    learning: &Value,
    simulated_from: u64,
    wall_seconds: f64,
    infer_wall_seconds: f64,
) -> Value {
    let recs = &acc.samples;
    let n = recs.len() as f64;
    let correct = recs.iter().filter(|r| r.prediction == r.label).count() as f64;
    let sum = |f: fn(&traces::SampleRecord) -> f64| recs.iter().map(f).sum::<f64>();
    // Weight data the DRAM delivered during inference, per second it was busy
    // delivering it (busy: from a timestep's first request to its last completion, see
    // `DramModel::busy_ps`), and the images/s the DRAM alone would allow.
    let w = acc.infer_dram;
    let weight_bytes = w.read_bursts * acc.placement.burst_bytes;
    let busy_ns = w.busy_ps as f64 / 1000.0;
    let memory_bound_ips = if w.busy_ps > 0 {
        n / (busy_ns * 1e-9)
    } else {
        0.0
    };
    let dram = if acc.dram.present {
        let dram_cycles = acc.dram.cycle;
        let mut dram = stats_json(&acc.dram.mem, &acc.rd, dram_cycles, infer_wall_seconds);
        // DRAM stats cover the whole run (learning included); say so.
        dram["covers"] = json!(if learning.is_null() {
            "inference"
        } else {
            "learning + inference"
        });
        dram["inference_weight_bytes_read"] = json!(weight_bytes);
        dram["inference_busy_ns"] = json!(busy_ns);
        dram["data_throughput_gb_per_s"] = json!(if busy_ns > 0.0 {
            weight_bytes as f64 / busy_ns
        } else {
            0.0
        });
        dram
    } else {
        // No DRAM in this system (`system.dram_present`): nothing to report.
        Value::Null
    };
    let ledger = acc.ledger();
    let srams: Vec<(&str, &Sram)> = [
        ("buffer", Some(&acc.sram_buffer)),
        ("neurons", Some(&acc.sram_neurons)),
        ("weights", acc.sram_weights.as_ref()),
        ("delays", acc.sram_delays.as_ref()),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    let sram: serde_json::Map<String, Value> = srams
        .iter()
        .map(|(k, s)| {
            (
                k.to_string(),
                json!({
                    "capacity_bytes": s.config().capacity_bytes, "word_bits": s.config().word_bits,
                    "reads": s.reads(), "writes": s.writes(),
                    "read_energy_pj_per_access": s.read_energy_pj(),
                    "energy_pj": s.energy_pj(acc.now_ps),
                }),
            )
        })
        .collect();
    json!({
        "samples": recs.len(),
        "accuracy": if n > 0.0 { correct / n } else { 0.0 },
        "cycles": sum(|r| r.cycles as f64) as u64,
        "core_clock_mhz": acc.core.config().freq_mhz,
        "time_ns": sum(|r| r.time_ns),
        "energy_pj": sum(|r| r.energy_total_pj),
        "energy_by_component_pj": { "core": sum(|r| r.energy_core_pj), "sram": sum(|r| r.energy_sram_pj), "dram": sum(|r| r.energy_dram_pj) },
        "energy_dram_access_pj": sum(|r| r.energy_dram_access_pj),
        "energy_dram_background_pj": sum(|r| r.energy_dram_background_pj),
        "energy_breakdown_pj": ledger.breakdown_pj(),
        "dram_present": acc.dram.present,
        "dram": dram,
        "sram": sram,
        "spikes": sum(|r| (r.input_spikes + r.output_spikes) as f64) as u64,
        "input_spikes": sum(|r| r.input_spikes as f64) as u64,
        "output_spikes": sum(|r| r.output_spikes as f64) as u64,
        "synaptic_ops": sum(|r| r.synaptic_ops as f64) as u64,
        "neuron_updates": sum(|r| r.neuron_updates as f64) as u64,
        "dram_reads": sum(|r| r.dram_reads as f64) as u64,
        "weight_words_requested": acc.words_requested,
        "bursts_requested": acc.bursts_requested,
        "weight_memory_bits": net.weight_memory_bits(),
        "memory": memory,
        "model": model_info,
        "learning": learning,
        "wall_seconds": wall_seconds,
        "memory_bound_images_per_second": memory_bound_ips,
        "images_per_second": if infer_wall_seconds > 0.0 { (n - simulated_from as f64) / infer_wall_seconds } else { 0.0 },
        "dram_requests_per_second": if infer_wall_seconds > 0.0 { recs[simulated_from as usize..].iter().map(|r| (r.dram_reads + r.dram_writes) as f64).sum::<f64>() / infer_wall_seconds } else { 0.0 },
    })
}

fn print_run_summary(s: &Value, path: &Path) {
    let f = |k: &str| s.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    println!(
        "{} samples: accuracy {:.2}%, {} core cycles ({:.3} ms simulated), energy {:.3} uJ",
        f("samples"),
        100.0 * f("accuracy"),
        f("cycles"),
        f("time_ns") / 1e6,
        f("energy_pj") / 1e6
    );
    let c = &s["energy_by_component_pj"];
    let uj = |v: &Value| v.as_f64().unwrap_or(0.0) / 1e6;
    let d = &s["dram"];
    // A finished trace of an older build has no `dram_present`: it had a DRAM.
    let has_dram = !d.is_null();
    if has_dram {
        println!(
            "  energy by component: core {:.3} uJ, SRAM {:.3} uJ, DRAM {:.3} uJ (access {:.3} uJ, background {:.3} uJ)",
            uj(&c["core"]),
            uj(&c["sram"]),
            uj(&c["dram"]),
            uj(&s["energy_dram_access_pj"]),
            uj(&s["energy_dram_background_pj"])
        );
    } else {
        println!(
            "  energy by component: core {:.3} uJ, SRAM {:.3} uJ",
            uj(&c["core"]),
            uj(&c["sram"])
        );
    }
    let synapses = format!(
        "input synapses {} bits ({}{})",
        s["memory"]["footprint_bits"],
        s["memory"]["encoding"].as_str().unwrap_or("?"),
        match s["memory"]["delay_bits"].as_u64() {
            Some(b) if b > 0 => format!(", {b}-bit delays"),
            _ => String::new(),
        }
    );
    if has_dram {
        println!(
            "  DRAM: {} reads, row-hit rate {:.3}, {:.2} GB/s; weight data {:.2} GB/s while busy ({:.1} images/s memory-bound); {synapses}",
            d["reads"],
            d["row_hit_rate"].as_f64().unwrap_or(0.0),
            d["bandwidth_gb_per_s"].as_f64().unwrap_or(0.0),
            d["data_throughput_gb_per_s"].as_f64().unwrap_or(0.0),
            f("memory_bound_images_per_second"),
        );
    } else {
        println!("  no DRAM (weights on chip); {synapses}");
    }
    println!(
        "  {:.1} images/s; trace: {}",
        f("images_per_second"),
        path.display()
    );
}
