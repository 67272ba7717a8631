//! The simulation engine: interprets a [`NetworkDesc`] with clock-driven neurons
//! (dt steps) and event-driven synapses (only spiking neurons touch their weight rows).
//!
//! Order within a step (as Brian's): (1) every population integrates its state from the
//! conductances of the previous step and fires; (2) spikes are handed to the observer;
//! (3) each projection delivers the spikes of its presynaptic population (delayed by its
//! delay) to the postsynaptic conductances, which act from the next step; (4) STDP: the
//! presynaptic pathway first, then the postsynaptic one.
//!
//! Per-synapse delays (`snn.input_delay_max_ms`, as in Diehl & Cook's code): a projection
//! with them keeps a ring of future conductance increments per postsynaptic neuron; a
//! spike of i at step t adds w_ij to slot (t + d_ij) mod depth of neuron j, and each step
//! the slot of the current step is added to the conductance and cleared, so a spike acts
//! from step t + d_ij + 1 as a projection-wide delay d_ij would. STDP sees the spike as it
//! arrives at the synapse (Brian 1's `STDP` on a `DelayConnection`, which the reference
//! code uses): see [`Network::stdp_step_delayed`].
//!
//! Membrane: exponential Euler (exact while the conductances are held over a step, and
//! stable however large they get); conductances and traces: exact exponential decay. The
//! rest period after a sample is applied in closed form (v relaxes as exp(-t/tau) with
//! no input; conductances decay; spikes during rest are not simulated).

use super::config::{QuantMode, SnnConfig, StdpConfig, Switches, MAX_SYNAPSE_DELAY_STEPS};
use super::encoder::Schedule;
use super::network::{Connectivity, NetworkDesc, Plasticity, PopKind, Target, WeightInit};
use super::quant::QuantSpec;
use super::stdp::{TraceTable, NEVER};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

mod masks;
mod snapshot;
mod weight_faults;
use masks::{make_mask, structural_fans};
pub use snapshot::NetState;
pub use weight_faults::{float_word_weight, StuckBits, WeightFaults};

/// Operation counts (what the hardware has to do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Neuron state updates (one per neuron per simulated step; one per neuron per closed-form rest).
    pub neuron_updates: u64,
    /// Synaptic events: one per (spike, target synapse) delivered (with per-synapse delays:
    /// counted when the spike is emitted, i.e. when its weight row is read).
    pub synaptic_ops: u64,
    /// Weight writes by STDP.
    pub weight_updates: u64,
    /// Weight writes by the per-sample normalization (every synapse of the input projection).
    pub normalization_updates: u64,
    pub input_spikes: u64,
    /// Spikes of all non-input populations.
    pub neuron_spikes: u64,
    /// Presentations (a sample repeated with a higher rate counts again).
    pub presentations: u64,
}

impl OpCounts {
    pub fn add(&mut self, o: &OpCounts) {
        self.neuron_updates += o.neuron_updates;
        self.synaptic_ops += o.synaptic_ops;
        self.weight_updates += o.weight_updates;
        self.normalization_updates += o.normalization_updates;
        self.input_spikes += o.input_spikes;
        self.neuron_spikes += o.neuron_spikes;
        self.presentations += o.presentations;
    }
    /// Counts accumulated since `earlier`.
    pub fn since(&self, earlier: &OpCounts) -> OpCounts {
        OpCounts {
            neuron_updates: self.neuron_updates - earlier.neuron_updates,
            synaptic_ops: self.synaptic_ops - earlier.synaptic_ops,
            weight_updates: self.weight_updates - earlier.weight_updates,
            normalization_updates: self.normalization_updates - earlier.normalization_updates,
            input_spikes: self.input_spikes - earlier.input_spikes,
            neuron_spikes: self.neuron_spikes - earlier.neuron_spikes,
            presentations: self.presentations - earlier.presentations,
        }
    }
}

/// The spikes of one timestep, per population (ids ascending). Borrowed from the
/// engine's buffers: no allocation per step.
pub struct StepSpikes<'a> {
    spikes: &'a [Vec<u32>],
    names: &'a [String],
}

impl<'a> StepSpikes<'a> {
    pub fn num_populations(&self) -> usize {
        self.spikes.len()
    }
    /// Ids of the neurons of population `pop` that fired in this step.
    pub fn population(&self, pop: usize) -> &'a [u32] {
        &self.spikes[pop]
    }
    pub fn name(&self, pop: usize) -> &'a str {
        &self.names[pop]
    }
}

/// Result of one sample (after any repeats at a higher input rate).
#[derive(Clone, Debug, Default)]
pub struct SampleRecord {
    pub index: usize,
    pub label: u8,
    /// Predicted class, when neuron labels are known.
    pub prediction: Option<u8>,
    /// Spike count of each excitatory neuron in the final presentation.
    pub spike_counts: Vec<u32>,
    pub repeats: u32,
    pub ops: OpCounts,
}

/// Callbacks for the hardware side. `on_step` runs every simulated step of every
/// presentation; `step` counts from 0 within the presentation.
pub trait StepObserver {
    fn on_presentation(&mut self, _sample: usize, _repeat: u32) {}
    fn on_step(&mut self, _step: u32, _spikes: &StepSpikes<'_>) {}
    fn on_sample(&mut self, _record: &SampleRecord) {}
}

/// An observer that does nothing.
pub struct NoObserver;
impl StepObserver for NoObserver {}

#[derive(Clone, Debug)]
struct NeuronParams {
    v_rest: f32,
    v_reset: f32,
    v_thresh: f32,
    e_exc: f32,
    e_inh: f32,
    dt_tau: f32,
    ge_decay: f32,
    gi_decay: f32,
    /// Refractory steps, as f32 so the update loop vectorizes.
    refrac_steps: f32,
    theta_offset: f32,
    theta_plus: f32,
    adaptive: bool,
}

#[derive(Clone, Debug)]
struct PopState {
    size: usize,
    params: Option<NeuronParams>,
    v: Vec<f32>,
    ge: Vec<f32>,
    gi: Vec<f32>,
    theta: Vec<f32>,
    refr: Vec<f32>,
}

/// Per-synapse weights are behind an `Arc`: the clones that evaluation threads make of a
/// frozen network share one matrix (one copy in the caches instead of one per thread);
/// a write goes through `Arc::make_mut`, which copies only if the matrix is shared.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Weights {
    Dense(Arc<Vec<f32>>),
    Shared(f32),
}

/// Per-synapse delays of a projection and its ring of future conductance increments.
#[derive(Clone, Debug)]
struct SynDelays {
    /// Delay of each synapse in dt steps, row-major pre x post (shared by clones).
    d: Arc<Vec<u16>>,
    /// The largest delay (steps).
    max: usize,
    /// `depth` x post_size future increments; slot of step t = t & (depth - 1).
    ring: Vec<f32>,
    /// Power of two > max.
    depth: usize,
}

#[derive(Clone, Debug)]
struct ProjState {
    name: String,
    pre: usize,
    post: usize,
    pre_size: usize,
    post_size: usize,
    connectivity: Connectivity,
    target: Target,
    /// Projection-wide delay (steps); 0 when `syn_delay` is set.
    delay_steps: usize,
    syn_delay: Option<SynDelays>,
    plastic: bool,
    w: Weights,
    /// 1.0 where a synapse exists (masked connectivities only).
    mask: Option<Vec<f32>>,
    /// Synapses per presynaptic neuron (for the synaptic-op count).
    fan_out: Vec<u32>,
    /// Synapses per postsynaptic neuron (normalization target scales with it).
    fan_in: Vec<u32>,
    synapses: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct StdpState {
    proj: usize,
    pre_tab: TraceTable,
    post1_tab: TraceTable,
    post2_tab: TraceTable,
    pre_last: Vec<i64>,
    post_last: Vec<i64>,
    /// Per-synapse delays only: each neuron's last `hist_len` spike steps (ring, newest at
    /// `*_head`), so the arrival time at any synapse can be found.
    pre_hist: Vec<i64>,
    pre_head: Vec<u32>,
    post_hist: Vec<i64>,
    post_head: Vec<u32>,
    /// Power of two > the largest delay (0 without per-synapse delays).
    hist_len: usize,
    /// Post neurons with a nonzero post-1 trace candidate (spiked within its horizon).
    active: Vec<u32>,
    /// Timestep mode: accumulated changes, applied once per interval.
    delta: Vec<f32>,
    /// Rows with pending depression (nonzero only in `active` columns).
    row_touched: Vec<bool>,
    touched_rows: Vec<u32>,
    /// Pending potentiation, transposed (post x pre) so a column is contiguous.
    delta_col: Vec<f32>,
    /// Columns with pending potentiation.
    col_touched: Vec<bool>,
    touched_cols: Vec<u32>,
    interval_steps: usize,
}

impl StdpState {
    /// Bookkeeping after post neuron `j` spiked at step `now` and its column's
    /// potentiation was computed: mark the column pending (timestep mode), make `j`
    /// active again if its traces had decayed, and record the spike.
    fn note_post_spike(&mut self, j: usize, now: i64, timestep: bool) {
        if timestep && !self.col_touched[j] {
            self.col_touched[j] = true;
            self.touched_cols.push(j as u32);
        }
        let stale = self.post_last[j] == NEVER
            || now - self.post_last[j] >= self.post1_tab.horizon().max(self.post2_tab.horizon());
        if stale && !self.active.contains(&(j as u32)) {
            self.active.push(j as u32);
        }
        self.post_last[j] = now;
    }
}

impl SynDelays {
    fn new(d: Vec<u16>, post_size: usize) -> Self {
        let max = d.iter().copied().max().unwrap_or(0) as usize;
        let depth = (max + 1).next_power_of_two();
        SynDelays {
            d: Arc::new(d),
            max,
            ring: vec![0.0; depth * post_size],
            depth,
        }
    }
}

/// Identifier of a projection (index in description order).
pub type ProjId = usize;

/// What the hardware side needs to know about a projection.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectionInfo {
    pub name: String,
    pub pre_population: String,
    pub post_population: String,
    pub pre_size: usize,
    pub post_size: usize,
    pub connectivity: Connectivity,
    /// One weight shared by all synapses (stored once).
    pub shared: bool,
    pub plastic: bool,
    /// Projection-wide delay in steps (0 with per-synapse delays).
    pub delay_steps: usize,
    /// Per-synapse delays (see `Network::delays`), and the largest delay in steps (with a
    /// projection-wide delay: that delay).
    pub per_synapse_delays: bool,
    pub max_delay_steps: usize,
    /// Existing synapses.
    pub synapses: u64,
    /// Weight precision (32 = float) and fixed-point fraction bits.
    pub bits: u32,
    pub frac_bits: u32,
    /// Storage of this projection's weights in bits.
    pub memory_bits: u64,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub desc: NetworkDesc,
    cfg: SnnConfig,
    sw: Switches,
    names: Vec<String>,
    pops: Vec<PopState>,
    spikes: Vec<Vec<u32>>,
    /// Per population: ring of past steps' spikes (only as deep as its longest delay).
    hist: Vec<Vec<Vec<u32>>>,
    projs: Vec<ProjState>,
    input: usize,
    exc: usize,
    stdp: Option<StdpState>,
    quant: Option<QuantSpec>,
    schedule: Schedule,
    /// Global step counter (traces use it across samples).
    now: i64,
    present_steps: usize,
    rest_steps: usize,
    k_adapt: f32,
    qrng: Rng,
    /// The plastic projection's weights when they live in faulty DRAM (see
    /// `weight_faults`): every update is read back through the weak cells.
    weight_faults: Option<WeightFaults>,
    counts: Vec<u32>,
    pub ops: OpCounts,
    /// Neuron labels of the excitatory population (-1 = none).
    pub labels: Vec<i16>,
}

fn neuron_params(kind: &PopKind, cfg: &SnnConfig) -> Option<NeuronParams> {
    let dt = cfg.dt_ms;
    let steps = |ms: f32| (ms / dt).round() as u32;
    match kind {
        PopKind::Poisson { .. } => None,
        PopKind::AdaptiveLif => {
            let e = &cfg.exc;
            Some(NeuronParams {
                v_rest: e.v_rest_mv,
                v_reset: e.v_reset_mv,
                v_thresh: e.v_thresh_mv,
                e_exc: e.e_exc_mv,
                e_inh: e.e_inh_mv,
                dt_tau: dt / e.tau_mem_ms,
                ge_decay: (-(dt / e.tau_ge_ms)).exp(),
                gi_decay: (-(dt / e.tau_gi_ms)).exp(),
                refrac_steps: steps(e.refractory_ms) as f32,
                theta_offset: e.theta_offset_mv,
                theta_plus: e.theta_plus_mv,
                adaptive: true,
            })
        }
        PopKind::Lif => {
            let i = &cfg.inh;
            Some(NeuronParams {
                v_rest: i.v_rest_mv,
                v_reset: i.v_reset_mv,
                v_thresh: i.v_thresh_mv,
                e_exc: i.e_exc_mv,
                e_inh: i.e_inh_mv,
                dt_tau: dt / i.tau_mem_ms,
                ge_decay: (-(dt / i.tau_ge_ms)).exp(),
                gi_decay: (-(dt / i.tau_gi_ms)).exp(),
                refrac_steps: steps(i.refractory_ms) as f32,
                theta_offset: 0.0,
                theta_plus: 0.0,
                adaptive: false,
            })
        }
    }
}

impl Network {
    /// Instantiate a description: initial weights from `cfg.seed`.
    pub fn new(cfg: &SnnConfig, desc: NetworkDesc) -> Result<Self> {
        desc.check().map_err(anyhow::Error::msg)?;
        super::budget::check_network(cfg, &desc)?;
        let mut rng = Rng::stream(cfg.seed, 0x5EED_0001);
        let mut names = Vec::new();
        let mut pops = Vec::new();
        let (mut input, mut exc) = (0, 0);
        for (i, p) in desc.populations() {
            let params = neuron_params(&p.kind, cfg);
            match p.kind {
                PopKind::Poisson { .. } => input = i.index(),
                PopKind::AdaptiveLif => exc = i.index(),
                PopKind::Lif => {}
            }
            let v0 = params.as_ref().map(|q| q.v_rest).unwrap_or(0.0);
            let theta0 = if p.kind == PopKind::AdaptiveLif {
                cfg.exc.theta_init_mv
            } else {
                0.0
            };
            names.push(p.name.clone());
            pops.push(PopState {
                size: p.size,
                params,
                v: vec![v0; p.size],
                ge: vec![0.0; p.size],
                gi: vec![0.0; p.size],
                theta: vec![theta0; p.size],
                refr: vec![0.0; p.size],
            });
        }
        let mut projs = Vec::new();
        let mut max_delay = vec![0usize; pops.len()];
        // Delays have their own stream: weights and input spikes do not depend on them.
        let mut delay_rng = Rng::stream(cfg.seed, 0x5EED_0003);
        for (_, a, b, p) in desc.projections() {
            let (pre, post) = (a.index(), b.index());
            let (ns, nt) = (pops[pre].size, pops[post].size);
            let shared_ok = matches!(
                p.connectivity,
                Connectivity::OneToOne | Connectivity::AllButOne
            );
            // A shared one-to-one / all-but-one projection is delivered structurally
            // (`deliver`): no N x N mask. (Neither connectivity draws from `rng`, so
            // skipping them leaves every later draw as it was.)
            let structural = shared_ok && matches!(p.init, WeightInit::Shared(_));
            let mask = if structural {
                None
            } else {
                make_mask(&p.connectivity, ns, nt, &mut rng)
            };
            let w = match (&p.init, shared_ok) {
                (WeightInit::Shared(x), true) => Weights::Shared(*x),
                (WeightInit::Shared(x), false) => Weights::Dense(Arc::new(match &mask {
                    Some(m) => m.iter().map(|&k| k * x).collect(),
                    None => vec![*x; ns * nt],
                })),
                (WeightInit::Uniform { scale, offset }, _) => {
                    let mut w: Vec<f32> = (0..ns * nt)
                        .map(|_| (rng.next_f32() + offset) * scale)
                        .collect();
                    if let Some(m) = &mask {
                        w.iter_mut().zip(m).for_each(|(x, k)| *x *= k);
                    }
                    Weights::Dense(Arc::new(w))
                }
            };
            let (fan_out, fan_in) = match &mask {
                None if structural => structural_fans(&p.connectivity, ns, nt),
                None => (vec![nt as u32; ns], vec![ns as u32; nt]),
                Some(m) => {
                    let mut fo = vec![0u32; ns];
                    let mut fi = vec![0u32; nt];
                    for i in 0..ns {
                        for j in 0..nt {
                            if m[i * nt + j] != 0.0 {
                                fo[i] += 1;
                                fi[j] += 1;
                            }
                        }
                    }
                    (fo, fi)
                }
            };
            let synapses = fan_out.iter().map(|&x| x as u64).sum();
            let mut delay_steps = (p.delay_ms / cfg.dt_ms).round() as usize;
            let syn_delay = (p.delay_max_ms > 0.0 && matches!(w, Weights::Dense(_))).then(|| {
                let (lo, hi) = (p.delay_ms as f64, p.delay_max_ms as f64);
                let dt = cfg.dt_ms as f64;
                let d: Vec<u16> = (0..ns * nt)
                    .map(|_| {
                        let ms = lo + delay_rng.next_f64() * (hi - lo);
                        ((ms / dt).round() as usize).min(MAX_SYNAPSE_DELAY_STEPS) as u16
                    })
                    .collect();
                SynDelays::new(d, nt)
            });
            if let Some(sd) = &syn_delay {
                delay_steps = 0;
                // The pre population's spikes are kept that long for the deferred
                // depression of STDP.
                max_delay[pre] = max_delay[pre].max(sd.max);
            }
            max_delay[pre] = max_delay[pre].max(delay_steps);
            projs.push(ProjState {
                name: p.name.clone(),
                pre,
                post,
                pre_size: ns,
                post_size: nt,
                connectivity: p.connectivity.clone(),
                target: p.target,
                delay_steps,
                syn_delay,
                plastic: p.plasticity == Plasticity::Stdp,
                w,
                mask,
                fan_out,
                fan_in,
                synapses,
            });
        }
        let hist = max_delay
            .iter()
            .map(|&d| {
                if d > 0 {
                    vec![Vec::new(); d + 1]
                } else {
                    Vec::new()
                }
            })
            .collect();
        let sw = cfg.switches();
        let s = &cfg.stdp;
        let stdp = projs.iter().position(|p| p.plastic).map(|k| {
            let p = &projs[k];
            let hist_len = p.syn_delay.as_ref().map_or(0, |sd| sd.depth);
            StdpState {
                proj: k,
                pre_hist: vec![NEVER; p.pre_size * hist_len],
                pre_head: vec![0; if hist_len > 0 { p.pre_size } else { 0 }],
                post_hist: vec![NEVER; p.post_size * hist_len],
                post_head: vec![0; if hist_len > 0 { p.post_size } else { 0 }],
                hist_len,
                pre_tab: TraceTable::new(s.tau_pre_ms, cfg.dt_ms),
                post1_tab: TraceTable::new(s.tau_post1_ms, cfg.dt_ms),
                post2_tab: TraceTable::new(s.tau_post2_ms, cfg.dt_ms),
                pre_last: vec![NEVER; p.pre_size],
                post_last: vec![NEVER; p.post_size],
                active: Vec::new(),
                delta: if sw.timestep_updates {
                    vec![0.0; p.pre_size * p.post_size]
                } else {
                    Vec::new()
                },
                row_touched: vec![false; p.pre_size],
                touched_rows: Vec::new(),
                delta_col: if sw.timestep_updates {
                    vec![0.0; p.pre_size * p.post_size]
                } else {
                    Vec::new()
                },
                col_touched: vec![false; p.post_size],
                touched_cols: Vec::new(),
                interval_steps: ((s.update_interval_ms / cfg.dt_ms).round() as usize).max(1),
            }
        });
        let quant = (cfg.weight_bits < 32).then(|| QuantSpec {
            bits: cfg.weight_bits,
            frac_bits: cfg.frac_bits(),
            rounding: cfg.rounding,
        });
        let n_exc = pops[exc].size;
        Ok(Network {
            spikes: vec![Vec::new(); pops.len()],
            names,
            hist,
            projs,
            input,
            exc,
            stdp,
            quant,
            schedule: Schedule::default(),
            now: 0,
            present_steps: (cfg.present_ms / cfg.dt_ms).round() as usize,
            rest_steps: (cfg.rest_ms / cfg.dt_ms).round() as usize,
            k_adapt: 1.0,
            qrng: Rng::stream(cfg.seed, 0x5EED_0002),
            weight_faults: None,
            counts: vec![0; n_exc],
            ops: OpCounts::default(),
            labels: vec![-1; n_exc],
            sw,
            cfg: cfg.clone(),
            desc,
            pops,
        })
    }

    pub fn config(&self) -> &SnnConfig {
        &self.cfg
    }
    pub fn switches(&self) -> Switches {
        self.sw
    }
    pub fn n_excitatory(&self) -> usize {
        self.pops[self.exc].size
    }
    pub fn n_inputs(&self) -> usize {
        self.pops[self.input].size
    }
    pub fn population_names(&self) -> &[String] {
        &self.names
    }
    pub fn quant_spec(&self) -> Option<QuantSpec> {
        self.quant
    }

    // ---------------------------------------------------------------------------------
    // Hardware-side access to projections.

    pub fn num_projections(&self) -> usize {
        self.projs.len()
    }
    pub fn find_projection(&self, name: &str) -> Option<ProjId> {
        self.projs.iter().position(|p| p.name == name)
    }
    /// The plastic input projection (input -> excitatory).
    pub fn input_projection(&self) -> Option<ProjId> {
        self.projs
            .iter()
            .position(|p| p.pre == self.input && p.post == self.exc)
    }
    pub fn projection_info(&self, p: ProjId) -> ProjectionInfo {
        let s = &self.projs[p];
        let (bits, frac_bits) = self.quant.map(|q| (q.bits, q.frac_bits)).unwrap_or((32, 0));
        let shared = matches!(s.w, Weights::Shared(_));
        ProjectionInfo {
            name: s.name.clone(),
            pre_population: self.names[s.pre].clone(),
            post_population: self.names[s.post].clone(),
            pre_size: s.pre_size,
            post_size: s.post_size,
            connectivity: s.connectivity.clone(),
            shared,
            plastic: s.plastic,
            delay_steps: s.delay_steps,
            per_synapse_delays: s.syn_delay.is_some(),
            max_delay_steps: s.syn_delay.as_ref().map_or(s.delay_steps, |sd| sd.max),
            synapses: s.synapses,
            bits,
            frac_bits,
            memory_bits: if shared {
                bits as u64
            } else {
                s.synapses * bits as u64
            },
        }
    }
    /// Total weight storage in bits (per-synapse weights at the configured precision,
    /// shared weights once).
    pub fn weight_memory_bits(&self) -> u64 {
        (0..self.projs.len())
            .map(|p| self.projection_info(p).memory_bits)
            .sum()
    }
    /// The weight matrix, row-major pre x post (absent synapses are 0). For a shared
    /// projection this builds the pre x post matrix: prefer `shared_weight`.
    pub fn weights(&self, p: ProjId) -> Vec<f32> {
        let s = &self.projs[p];
        match &s.w {
            Weights::Dense(w) => w.to_vec(),
            Weights::Shared(x) => {
                let mut rng = Rng::new(0);
                make_mask(&s.connectivity, s.pre_size, s.post_size, &mut rng)
                    .map(|m| m.iter().map(|k| k * x).collect())
                    .unwrap_or_else(|| vec![*x; s.pre_size * s.post_size])
            }
        }
    }
    /// Fixed-point codes of the weight matrix (row-major pre x post) and the bit width;
    /// None for float weights.
    pub fn codes(&self, p: ProjId) -> Option<(Vec<u32>, u32)> {
        let q = self.quant?;
        // Weights already lie on the grid, so nearest rounding recovers the codes exactly.
        let qn = QuantSpec {
            rounding: super::config::Rounding::Nearest,
            ..q
        };
        let mut rng = Rng::new(0);
        Some((qn.encode_all(&self.weights(p), &mut rng), q.bits))
    }
    /// Replace a projection's weights (row-major pre x post), e.g. with values read back
    /// from a faulty memory. Absent synapses stay absent. A shared projection given
    /// non-uniform values becomes per-synapse.
    pub fn set_weights(&mut self, p: ProjId, w: &[f32]) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        if w.len() != s.pre_size * s.post_size {
            bail!(
                "projection {}: {} weights given, {} x {} = {} expected",
                s.name,
                w.len(),
                s.pre_size,
                s.post_size,
                s.pre_size * s.post_size
            );
        }
        if let Some(k) = w.iter().position(|x| !x.is_finite()) {
            bail!("projection {}: weight {k} is not finite", s.name);
        }
        if let Weights::Shared(_) = s.w {
            let mut rng = Rng::new(0);
            let m = make_mask(&s.connectivity, s.pre_size, s.post_size, &mut rng);
            let present: Vec<f32> = match &m {
                Some(m) => w
                    .iter()
                    .zip(m)
                    .filter(|(_, &k)| k != 0.0)
                    .map(|(x, _)| *x)
                    .collect(),
                None => w.to_vec(),
            };
            if present.iter().all(|&x| x == present[0]) {
                s.w = Weights::Shared(present[0]);
                return Ok(());
            }
            s.mask = m;
        }
        let mut v = w.to_vec();
        if let Some(m) = &s.mask {
            v.iter_mut().zip(m).for_each(|(x, k)| *x *= k);
        }
        s.w = Weights::Dense(Arc::new(v));
        Ok(())
    }
    /// Set weights from fixed-point codes (decoded with the network's precision).
    pub fn set_codes(&mut self, p: ProjId, codes: &[u32]) -> Result<()> {
        let Some(q) = self.quant else {
            bail!("set_codes: the network uses float weights (snn.weight_bits = 32)")
        };
        let w: Vec<f32> = codes
            .iter()
            .map(|&c| q.decode(c.min(q.max_code())))
            .collect();
        self.set_weights(p, &w)
    }
    /// Per-synapse delays in dt steps (row-major pre x post), None for a projection with
    /// one delay.
    pub fn delays(&self, p: ProjId) -> Option<&[u16]> {
        self.projs.get(p)?.syn_delay.as_ref().map(|sd| &sd.d[..])
    }
    /// Replace the per-synapse delays (e.g. read from a model file).
    pub fn set_delays(&mut self, p: ProjId, d: &[u16]) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        let Some(sd) = &mut s.syn_delay else {
            bail!("projection {}: has no per-synapse delays", s.name)
        };
        if d.len() != sd.d.len() {
            bail!(
                "projection {}: {} delays given, {} expected",
                s.name,
                d.len(),
                sd.d.len()
            );
        }
        if let Some(&x) = d.iter().find(|&&x| x as usize > MAX_SYNAPSE_DELAY_STEPS) {
            bail!(
                "projection {}: delay {x} steps above {MAX_SYNAPSE_DELAY_STEPS}",
                s.name
            );
        }
        *sd = SynDelays::new(d.to_vec(), s.post_size);
        if let Some(st) = &mut self.stdp {
            if st.proj == p && st.hist_len != sd.depth {
                st.hist_len = sd.depth;
                st.pre_hist = vec![NEVER; s.pre_size * sd.depth];
                st.post_hist = vec![NEVER; s.post_size * sd.depth];
                st.pre_head.fill(0);
                st.post_head.fill(0);
            }
        }
        let need = sd.max;
        let h = &mut self.hist[s.pre];
        if h.len() < need + 1 {
            *h = vec![Vec::new(); need + 1];
        }
        Ok(())
    }
    pub fn theta(&self) -> &[f32] {
        &self.pops[self.exc].theta
    }
    pub fn set_theta(&mut self, t: &[f32]) -> Result<()> {
        if t.len() != self.pops[self.exc].size {
            bail!(
                "theta: {} values given, {} expected",
                t.len(),
                self.pops[self.exc].size
            );
        }
        self.pops[self.exc].theta.copy_from_slice(t);
        Ok(())
    }

    /// Post-training quantization: put every per-synapse weight on the fixed-point grid.
    pub fn quantize_weights(&mut self) {
        let Some(q) = self.quant else { return };
        // Only plastic projections live in the synapse memory in the weight format; the
        // fixed lateral weights (10.4, 17) are far outside its [0, 1) range and would
        // saturate, collapsing inhibition.
        for s in self.projs.iter_mut().filter(|s| s.plastic) {
            match &mut s.w {
                Weights::Dense(w) => {
                    q.fake_quantize(Arc::make_mut(w).as_mut_slice(), &mut self.qrng)
                }
                Weights::Shared(x) => *x = q.decode(q.encode(*x, &mut self.qrng)),
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Simulation.

    /// Reset neuron state to rest (v = rest, no conductance, not refractory).
    pub fn reset_state(&mut self) {
        for p in &mut self.pops {
            if let Some(q) = &p.params {
                p.v.fill(q.v_rest);
            }
            p.ge.fill(0.0);
            p.gi.fill(0.0);
            p.refr.fill(0.0);
        }
    }

    /// Scale each excitatory neuron's input weights to sum to norm_total (times its
    /// fraction of present synapses).
    pub fn normalize(&mut self) {
        let Some(k) = self.input_projection() else {
            return;
        };
        let total = self.cfg.norm_total;
        let s = &mut self.projs[k];
        let Weights::Dense(w) = &mut s.w else { return };
        let w = Arc::make_mut(w);
        let (ns, nt) = (s.pre_size, s.post_size);
        let mut sums = vec![0.0f32; nt];
        for i in 0..ns {
            for (acc, &x) in sums.iter_mut().zip(&w[i * nt..(i + 1) * nt]) {
                *acc += x;
            }
        }
        let factors: Vec<f32> = sums
            .iter()
            .zip(&s.fan_in)
            .map(|(&sum, &fi)| {
                if sum > 0.0 {
                    total * fi as f32 / ns as f32 / sum
                } else {
                    1.0
                }
            })
            .collect();
        for i in 0..ns {
            for (x, &f) in w[i * nt..(i + 1) * nt].iter_mut().zip(&factors) {
                *x *= f;
            }
        }
        self.ops.normalization_updates += s.synapses;
        if let (Some(q), QuantMode::Training) = (self.quant, self.cfg.quantization) {
            q.fake_quantize(w, &mut self.qrng);
        }
        if let Some((f, q)) = faulty_write(&mut self.weight_faults, k, self.quant) {
            f.apply_all(w, q);
        }
    }

    /// Put (or, with None, remove) the projection's weights in faulty DRAM: from now on
    /// every update of them is read back through the weak cells, and they are read
    /// through them at once (the weights as the memory holds them).
    pub fn set_weight_faults(&mut self, faults: Option<WeightFaults>) -> Result<()> {
        if let Some(f) = &faults {
            let Some(s) = self.projs.get(f.proj) else {
                bail!("weight faults: projection {} does not exist", f.proj)
            };
            if !s.plastic {
                bail!("weight faults: projection {} is not plastic", s.name);
            }
        }
        self.weight_faults = faults;
        let quant = self.quant;
        if let Some(f) = &mut self.weight_faults {
            if let Weights::Dense(w) = &mut self.projs[f.proj].w {
                f.apply_all(Arc::make_mut(w).as_mut_slice(), quant);
            }
        }
        Ok(())
    }

    /// Bit errors read back from faulty DRAM since `set_weight_faults`.
    pub fn weight_faults(&self) -> Option<&WeightFaults> {
        self.weight_faults.as_ref()
    }

    pub fn weight_fault_bits_flipped(&self) -> u64 {
        self.weight_faults.as_ref().map_or(0, |f| f.bits_flipped)
    }

    /// Present one sample: the "fewer than min_spikes -> raise the rate and repeat" rule,
    /// STDP when `learn`, then the rest period. Returns the excitatory spike counts of
    /// the final presentation and the number of repeats.
    pub fn run_sample(
        &mut self,
        image: &[u8],
        index: usize,
        key: u64,
        learn: bool,
        obs: &mut dyn StepObserver,
    ) -> (&[u32], u32) {
        let scale = input_scale(image, self.cfg.input_norm_mean);
        let mut hz_per_level = scale / self.cfg.input_rate_div as f64;
        let mut repeat = 0;
        loop {
            if learn {
                self.normalize();
            } else {
                self.reset_state();
            }
            let mut rng = Rng::stream(self.cfg.seed, key.wrapping_mul(1 << 8) ^ repeat as u64);
            let mut sched = std::mem::take(&mut self.schedule);
            sched.fill(
                image,
                hz_per_level,
                self.cfg.dt_ms as f64,
                self.present_steps,
                &mut rng,
            );
            obs.on_presentation(index, repeat);
            self.present(&sched, learn, obs);
            self.schedule = sched;
            self.rest(learn);
            let total: u32 = self.counts.iter().sum();
            if total >= self.cfg.min_spikes || repeat >= self.cfg.max_repeats {
                break;
            }
            repeat += 1;
            hz_per_level += scale / self.cfg.rate_increase_div as f64;
        }
        if learn && self.sw.adaptive_potentiation {
            let max = self.counts.iter().copied().max().unwrap_or(0).max(1) as f32;
            self.k_adapt = (self.cfg.stdp.adaptive_target_spikes / max).min(1.0);
        }
        (&self.counts, repeat)
    }

    fn present(&mut self, sched: &Schedule, learn: bool, obs: &mut dyn StepObserver) {
        self.counts.fill(0);
        for h in &mut self.hist {
            h.iter_mut().for_each(|v| v.clear());
        }
        // Spikes still travelling at the end of a presentation are dropped, as with a
        // projection-wide delay (they would arrive in the rest period, which is not simulated).
        for sd in self.projs.iter_mut().filter_map(|s| s.syn_delay.as_mut()) {
            sd.ring.fill(0.0);
        }
        if let Some(st) = &mut self.stdp {
            // Forget post neurons whose traces have died out.
            let (now, h) = (self.now, st.post1_tab.horizon().max(st.post2_tab.horizon()));
            let post_last = &st.post_last;
            st.active.retain(|&j| now - post_last[j as usize] < h);
        }
        self.ops.presentations += 1;
        for t in 0..self.present_steps {
            // (1) neurons
            let inp = sched.at(t);
            self.spikes[self.input].clear();
            self.spikes[self.input].extend_from_slice(inp);
            self.ops.input_spikes += inp.len() as u64;
            for (k, pop) in self.pops.iter_mut().enumerate() {
                let Some(p) = &pop.params else { continue };
                let out = &mut self.spikes[k];
                update_lif(
                    pop.size,
                    &mut pop.v,
                    &mut pop.ge,
                    &mut pop.gi,
                    &mut pop.theta,
                    &mut pop.refr,
                    p,
                    learn,
                    out,
                );
                self.ops.neuron_updates += pop.size as u64;
                self.ops.neuron_spikes += out.len() as u64;
            }
            for &j in &self.spikes[self.exc] {
                self.counts[j as usize] += 1;
            }
            // (2) observer
            obs.on_step(
                t as u32,
                &StepSpikes {
                    spikes: &self.spikes,
                    names: &self.names,
                },
            );
            // keep delayed spikes
            for (k, h) in self.hist.iter_mut().enumerate() {
                if !h.is_empty() {
                    let len = h.len();
                    let slot = &mut h[t % len];
                    slot.clear();
                    slot.extend_from_slice(&self.spikes[k]);
                }
            }
            // (3) delivery
            for s in &mut self.projs {
                if let (Some(sd), Weights::Dense(w)) = (&mut s.syn_delay, &s.w) {
                    let post = &mut self.pops[s.post];
                    let g = match s.target {
                        Target::Excitatory => &mut post.ge,
                        Target::Inhibitory => &mut post.gi,
                    };
                    let spikes = &self.spikes[s.pre];
                    self.ops.synaptic_ops += spikes
                        .iter()
                        .map(|&i| s.fan_out[i as usize] as u64)
                        .sum::<u64>();
                    deliver_delayed(w, sd, s.post_size, spikes, t, g);
                    continue;
                }
                let s = &*s;
                let pre_spikes: &[u32] = if s.delay_steps == 0 {
                    &self.spikes[s.pre]
                } else if t >= s.delay_steps {
                    let h = &self.hist[s.pre];
                    &h[(t - s.delay_steps) % h.len()]
                } else {
                    &[]
                };
                if pre_spikes.is_empty() {
                    continue;
                }
                let post = &mut self.pops[s.post];
                let g = match s.target {
                    Target::Excitatory => &mut post.ge,
                    Target::Inhibitory => &mut post.gi,
                };
                deliver(s, pre_spikes, g, &mut self.ops);
            }
            // (4) plasticity
            if learn && self.stdp.is_some() {
                self.stdp_step(t);
            }
            self.now += 1;
        }
        if learn {
            self.finish_deferred_depression();
            self.flush_pending();
        }
    }

    fn stdp_step(&mut self, t: usize) {
        let Some(st) = &mut self.stdp else { return };
        if st.hist_len > 0 {
            self.stdp_step_delayed(t);
            return;
        }
        let s = &mut self.projs[st.proj];
        let Weights::Dense(w) = &mut s.w else { return };
        let w = Arc::make_mut(w);
        let nt = s.post_size;
        let c = &self.cfg.stdp;
        let now = self.now;
        let w_max = c.w_max;
        let quant = if self.cfg.quantization == QuantMode::Training {
            self.quant
        } else {
            None
        };
        let qrng = &mut self.qrng;
        let mut wf = faulty_write(&mut self.weight_faults, st.proj, self.quant);
        let timestep = self.sw.timestep_updates;
        let pre_spikes: &[u32] = if s.delay_steps == 0 {
            &self.spikes[s.pre]
        } else if t >= s.delay_steps {
            let h = &self.hist[s.pre];
            &h[(t - s.delay_steps) % h.len()]
        } else {
            &[]
        };
        // Presynaptic pathway: depression by post trace 1 (two-trace rule only).
        for &i in pre_spikes {
            let i = i as usize;
            st.pre_last[i] = now;
            if self.sw.single_trace || c.nu_pre == 0.0 {
                continue;
            }
            let row = i * nt;
            if timestep {
                for &j in &st.active {
                    let j = j as usize;
                    if s.mask.as_ref().is_some_and(|m| m[row + j] == 0.0) {
                        continue;
                    }
                    st.delta[row + j] -= c.nu_pre * st.post1_tab.at(now - st.post_last[j]);
                }
                if !st.row_touched[i] {
                    st.row_touched[i] = true;
                    st.touched_rows.push(i as u32);
                }
            } else {
                for &j in &st.active {
                    let j = j as usize;
                    if let Some(m) = &s.mask {
                        if m[row + j] == 0.0 {
                            continue;
                        }
                    }
                    let x = w[row + j] - c.nu_pre * st.post1_tab.at(now - st.post_last[j]);
                    w[row + j] = store(&mut wf, row + j, clip(x, w_max, quant, qrng));
                    self.ops.weight_updates += 1;
                }
            }
        }
        // Postsynaptic pathway: potentiation.
        let post_spikes: &[u32] = if s.post == self.exc {
            &self.spikes[self.exc]
        } else {
            &[]
        };
        potentiate(
            post_spikes,
            st,
            w,
            s.mask.as_deref(),
            (s.pre_size, nt),
            (self.sw, self.k_adapt, c),
            (w_max, quant, timestep),
            now,
            qrng,
            &mut wf,
            &mut self.ops,
            |st, i, _| st.pre_tab.at(now - st.pre_last[i]),
        );
        if timestep && (t + 1).is_multiple_of(st.interval_steps) {
            self.flush_pending();
        }
    }

    /// STDP on a projection with per-synapse delays. A spike of input i emitted at step s
    /// arrives at synapse (i, j) at a = s + d_ij, and the rule sees it there, as Brian 1's
    /// `STDP` on a `DelayConnection` (which Diehl & Cook's code uses) does:
    /// - potentiation at a post spike of j at step t uses the pre trace of the spikes that
    ///   have arrived at (i, j) by t: exp(-(t - a) dt / tau_pre) for the latest a <= t (the
    ///   traces are nearest-spike, so that is the whole trace);
    /// - depression uses the post-1 trace at the arrival, exp(-(a - p) dt / tau_post1) with
    ///   p the latest post spike before step a (as without delays, a post spike in the
    ///   arrival step itself is not seen). It is applied `max` steps after the emission,
    ///   when every synapse of the spike has been reached (Brian defers it by max_delay),
    ///   and looks p up in the post neuron's spike history;
    /// - post traces are not delayed.
    ///
    /// With every delay equal to D this is the rule of a projection-wide delay D.
    fn stdp_step_delayed(&mut self, t: usize) {
        let Some(st) = &mut self.stdp else { return };
        let s = &mut self.projs[st.proj];
        let (Some(sd), Weights::Dense(w)) = (&s.syn_delay, &mut s.w) else {
            return;
        };
        let w = Arc::make_mut(w);
        let (ns, nt) = (s.pre_size, s.post_size);
        let c = &self.cfg.stdp;
        let now = self.now;
        let w_max = c.w_max;
        let quant = if self.cfg.quantization == QuantMode::Training {
            self.quant
        } else {
            None
        };
        let qrng = &mut self.qrng;
        let mut wf = faulty_write(&mut self.weight_faults, st.proj, self.quant);
        let timestep = self.sw.timestep_updates;
        let hl = st.hist_len;
        // Record this step's presynaptic spikes (emission steps).
        for &i in &self.spikes[s.pre] {
            let i = i as usize;
            let h = (st.pre_head[i] as usize + 1) & (hl - 1);
            st.pre_head[i] = h as u32;
            st.pre_hist[i * hl + h] = now;
            st.pre_last[i] = now;
        }
        // Depression for the spikes emitted `max` steps ago (all of them have arrived).
        if !(self.sw.single_trace || c.nu_pre == 0.0) && t >= sd.max {
            let emitted: &[u32] = if sd.max == 0 {
                &self.spikes[s.pre]
            } else {
                let h = &self.hist[s.pre];
                &h[(t - sd.max) % h.len()]
            };
            depress_arrivals(
                emitted,
                now - sd.max as i64,
                i64::MAX,
                st,
                &sd.d,
                w,
                s.mask.as_deref(),
                nt,
                c.nu_pre,
                (w_max, quant, timestep),
                qrng,
                &mut wf,
                &mut self.ops,
            );
        }
        // Postsynaptic pathway: potentiation with the pre trace as seen at each synapse.
        let post_spikes: &[u32] = if s.post == self.exc {
            &self.spikes[self.exc]
        } else {
            &[]
        };
        potentiate(
            post_spikes,
            st,
            w,
            s.mask.as_deref(),
            (ns, nt),
            (self.sw, self.k_adapt, c),
            (w_max, quant, timestep),
            now,
            qrng,
            &mut wf,
            &mut self.ops,
            |st, i, k| {
                let d = sd.d[k] as i64;
                let emit = latest_at_or_before(
                    &st.pre_hist[i * hl..(i + 1) * hl],
                    st.pre_head[i],
                    now - d,
                );
                st.pre_tab.at(now - d - emit)
            },
        );
        // The post spikes' history (depression looks up the latest before an arrival).
        for &j in post_spikes {
            let j = j as usize;
            let h = (st.post_head[j] as usize + 1) & (hl - 1);
            st.post_head[j] = h as u32;
            st.post_hist[j * hl + h] = now;
        }
        if timestep && (t + 1).is_multiple_of(st.interval_steps) {
            self.flush_pending();
        }
    }

    /// Per-synapse delays: the depression of the spikes of the last `max` steps of a
    /// presentation, which `stdp_step_delayed` had not reached yet. Arrivals after the end
    /// of the presentation are dropped, as their conductance is (and as a projection-wide
    /// delay drops them).
    fn finish_deferred_depression(&mut self) {
        let Some(st) = &mut self.stdp else { return };
        if st.hist_len == 0 || self.sw.single_trace || self.cfg.stdp.nu_pre == 0.0 {
            return;
        }
        let s = &mut self.projs[st.proj];
        let (Some(sd), Weights::Dense(w)) = (&s.syn_delay, &mut s.w) else {
            return;
        };
        if sd.max == 0 {
            return;
        }
        let w = Arc::make_mut(w);
        let quant = if self.cfg.quantization == QuantMode::Training {
            self.quant
        } else {
            None
        };
        let h = &self.hist[s.pre];
        let end = self.present_steps;
        let mut wf = faulty_write(&mut self.weight_faults, st.proj, self.quant);
        for u in end.saturating_sub(sd.max)..end {
            depress_arrivals(
                &h[u % h.len()],
                self.now - (end - u) as i64,
                self.now,
                st,
                &sd.d,
                w,
                s.mask.as_deref(),
                s.post_size,
                self.cfg.stdp.nu_pre,
                (self.cfg.stdp.w_max, quant, self.sw.timestep_updates),
                &mut self.qrng,
                &mut wf,
                &mut self.ops,
            );
        }
    }

    /// Timestep mode: apply the changes accumulated in the interval, one write per synapse.
    fn flush_pending(&mut self) {
        let Some(st) = &mut self.stdp else { return };
        if st.touched_rows.is_empty() && st.touched_cols.is_empty() {
            return;
        }
        let s = &mut self.projs[st.proj];
        let Weights::Dense(w) = &mut s.w else { return };
        let w = Arc::make_mut(w);
        let (ns, nt) = (s.pre_size, s.post_size);
        let quant = if self.cfg.quantization == QuantMode::Training {
            self.quant
        } else {
            None
        };
        let w_max = self.cfg.stdp.w_max;
        let mut wf = faulty_write(&mut self.weight_faults, st.proj, self.quant);
        for &j in &st.touched_cols {
            let j = j as usize;
            st.col_touched[j] = false;
            let dc = &mut st.delta_col[j * ns..(j + 1) * ns];
            for (i, d) in dc.iter_mut().enumerate() {
                if *d != 0.0 {
                    // One write with any depression pending on the same synapse.
                    let k = i * nt + j;
                    let x = clip(w[k] + *d + st.delta[k], w_max, quant, &mut self.qrng);
                    w[k] = store(&mut wf, k, x);
                    *d = 0.0;
                    st.delta[k] = 0.0;
                    self.ops.weight_updates += 1;
                }
            }
        }
        for &i in &st.touched_rows {
            let i = i as usize;
            st.row_touched[i] = false;
            for &j in &st.active {
                let k = i * nt + j as usize;
                if st.delta[k] != 0.0 {
                    let x = clip(w[k] + st.delta[k], w_max, quant, &mut self.qrng);
                    w[k] = store(&mut wf, k, x);
                    st.delta[k] = 0.0;
                    self.ops.weight_updates += 1;
                }
            }
        }
        st.touched_rows.clear();
        st.touched_cols.clear();
    }

    /// The rest period in closed form; when learning, theta decays over presentation + rest.
    fn rest(&mut self, learn: bool) {
        let n = self.rest_steps;
        for p in &mut self.pops {
            let Some(q) = &p.params else { continue };
            let dge = q.ge_decay.powi(n as i32);
            let dgi = q.gi_decay.powi(n as i32);
            for j in 0..p.size {
                let free = n.saturating_sub(p.refr[j] as usize);
                p.v[j] = q.v_rest + (p.v[j] - q.v_rest) * (-(q.dt_tau * free as f32)).exp();
                p.refr[j] = (p.refr[j] - n as f32).max(0.0);
                p.ge[j] *= dge;
                p.gi[j] *= dgi;
            }
            self.ops.neuron_updates += p.size as u64;
        }
        if learn {
            let f = (-((self.present_steps + n) as f32 * self.cfg.dt_ms)
                / self.cfg.exc.tau_theta_ms)
                .exp();
            self.pops[self.exc].theta.iter_mut().for_each(|x| *x *= f);
        }
        self.now += n as i64;
    }
}

/// Rate scale of an image: 1, or (with `norm_mean` > 0) the factor that brings its mean
/// pixel level to `norm_mean`. A black image keeps scale 1.
pub fn input_scale(image: &[u8], norm_mean: f32) -> f64 {
    if norm_mean <= 0.0 {
        return 1.0;
    }
    let sum: u64 = image.iter().map(|&p| p as u64).sum();
    if sum == 0 {
        1.0
    } else {
        norm_mean as f64 * image.len() as f64 / sum as f64
    }
}

/// Potentiation at this step's post spikes: every synapse (i, j) of a spiking post
/// neuron j (mask permitting) gains `potentiation` of its pre trace `x_pre(st, i, k)`
/// (k = i * post_size + j), into the weight at once or the timestep buffer; the post
/// spike is then noted. The same for projection-wide and per-synapse delays: only the
/// pre trace at the synapse differs.
#[allow(clippy::too_many_arguments)]
fn potentiate(
    post_spikes: &[u32],
    st: &mut StdpState,
    w: &mut [f32],
    mask: Option<&[f32]>,
    (ns, nt): (usize, usize),
    (sw, k_adapt, c): (Switches, f32, &StdpConfig),
    (w_max, quant, timestep): (f32, Option<QuantSpec>, bool),
    now: i64,
    qrng: &mut Rng,
    wf: &mut FaultyWrite,
    ops: &mut OpCounts,
    x_pre: impl Fn(&StdpState, usize, usize) -> f32,
) {
    let nu = c.nu_post
        * if sw.adaptive_potentiation {
            k_adapt
        } else {
            1.0
        };
    for &j in post_spikes {
        let j = j as usize;
        let post2 = st.post2_tab.at(now - st.post_last[j]);
        for i in 0..ns {
            let k = i * nt + j;
            if mask.is_some_and(|m| m[k] == 0.0) {
                continue;
            }
            let Some(dw) = potentiation(sw.single_trace, nu, x_pre(st, i, k), post2, c) else {
                continue;
            };
            if timestep {
                st.delta_col[j * ns + i] += dw;
            } else {
                w[k] = store(wf, k, clip(w[k] + dw, w_max, quant, qrng));
                ops.weight_updates += 1;
            }
        }
        st.note_post_spike(j, now, timestep);
    }
}

/// The potentiation of one synapse on a post spike, from the pre trace at the synapse:
/// single-trace STDP (FSpiNN) `nu (x_pre - offset)`, else Diehl & Cook's `nu x_pre
/// post2` (None when the pre trace is zero: nothing changes).
#[inline]
fn potentiation(
    single_trace: bool,
    nu: f32,
    x_pre: f32,
    post2: f32,
    c: &StdpConfig,
) -> Option<f32> {
    if single_trace {
        Some(nu * (x_pre - c.single_trace_offset))
    } else if x_pre > 0.0 {
        Some(nu * x_pre * post2)
    } else {
        None
    }
}

/// The faults of the projection being updated, with the format of its memory words.
type FaultyWrite<'a> = Option<(&'a mut WeightFaults, Option<QuantSpec>)>;

fn faulty_write(
    faults: &mut Option<WeightFaults>,
    proj: usize,
    quant: Option<QuantSpec>,
) -> FaultyWrite<'_> {
    faults
        .as_mut()
        .filter(|f| f.proj == proj)
        .map(|f| (f, quant))
}

/// A weight just written, as its memory word returns it (faulty DRAM), else as is.
#[inline]
fn store(wf: &mut FaultyWrite, k: usize, x: f32) -> f32 {
    match wf {
        Some((f, q)) => f.read(k, x, *q),
        None => x,
    }
}

#[inline]
fn clip(x: f32, w_max: f32, quant: Option<QuantSpec>, rng: &mut Rng) -> f32 {
    let x = x.clamp(0.0, w_max);
    match quant {
        Some(q) => q.decode(q.encode(x, rng)),
        None => x,
    }
}

/// One step of a LIF population. Exponential Euler: exact for conductances held over
/// the step, and stable for any conductance (forward Euler diverges once
/// dt(1+ge+gi)/tau > 2, which happens when hundreds of inhibitory spikes arrive together):
/// dv/dt = (A - B v)/tau  ->  v += (A - B v) (1 - exp(-k)) / B,  k = B dt/tau.
/// When every k is below 0.1, (1 - e^-k)/B is its Taylor series (error < k^4/120 < 1e-6
/// relative) and the loop is branch-free (it vectorizes); otherwise a scalar loop calls exp.
#[allow(clippy::too_many_arguments)]
#[inline]
fn update_lif(
    n: usize,
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    theta: &mut [f32],
    refr: &mut [f32],
    p: &NeuronParams,
    learn: bool,
    out: &mut Vec<u32>,
) {
    out.clear();
    let (v, ge, gi, theta, refr) = (
        &mut v[..n],
        &mut ge[..n],
        &mut gi[..n],
        &mut theta[..n],
        &mut refr[..n],
    );
    // k < 0.1  <=>  ge + gi < 0.1 / (dt/tau) - 1
    let g_small = 0.1 / p.dt_tau - 1.0;
    let mut big = 0u32;
    for j in 0..n {
        big |= (ge[j] + gi[j] >= g_small) as u32;
    }
    let thr0 = p.v_thresh - p.theta_offset;
    let mut fired = 0u32;
    if big == 0 {
        for j in 0..n {
            let (x, g_e, g_i, r) = (v[j], ge[j], gi[j], refr[j]);
            let k = p.dt_tau * (1.0 + g_e + g_i);
            let coef = p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))));
            let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            let active = r1 == 0.0;
            let fire = active & (nv > thr0 + theta[j]);
            v[j] = if fire {
                p.v_reset
            } else if active {
                nv
            } else {
                x
            };
            refr[j] = if fire { p.refrac_steps } else { r1 };
            // Mark a spike by a refractory count no update can produce: +0.5.
            refr[j] += if fire { 0.5 } else { 0.0 };
            fired += fire as u32;
            ge[j] = g_e * p.ge_decay;
            gi[j] = g_i * p.gi_decay;
        }
    } else {
        for j in 0..n {
            let (x, g_e, g_i, r) = (v[j], ge[j], gi[j], refr[j]);
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            refr[j] = r1;
            if r1 == 0.0 {
                let b = 1.0 + g_e + g_i;
                let k = p.dt_tau * b;
                let coef = if k < 0.1 {
                    p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))))
                } else {
                    (1.0 - (-k).exp()) / b
                };
                let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
                if nv > thr0 + theta[j] {
                    v[j] = p.v_reset;
                    refr[j] = p.refrac_steps + 0.5;
                    fired += 1;
                } else {
                    v[j] = nv;
                }
            }
            ge[j] = g_e * p.ge_decay;
            gi[j] = g_i * p.gi_decay;
        }
    }
    if fired > 0 {
        for j in 0..n {
            if refr[j].fract() != 0.0 {
                refr[j] -= 0.5;
                out.push(j as u32);
                if learn && p.adaptive {
                    theta[j] += p.theta_plus;
                }
            }
        }
    }
}

/// Latest entry <= `lim` of a spike-time ring whose newest entry is at `head` (entries
/// decrease from there); NEVER when there is none.
#[inline]
fn latest_at_or_before(ring: &[i64], head: u32, lim: i64) -> i64 {
    let m = ring.len() - 1;
    let mut h = head as usize;
    for _ in 0..ring.len() {
        let x = ring[h];
        if x <= lim {
            return x;
        }
        h = h.wrapping_sub(1) & m;
    }
    NEVER
}

/// Depression (two-trace rule) for the spikes `spikes` emitted at step `emitted`, each
/// synapse at its own arrival step (arrivals at or after `end` are dropped); see
/// [`Network::stdp_step_delayed`].
#[allow(clippy::too_many_arguments)]
fn depress_arrivals(
    spikes: &[u32],
    emitted: i64,
    end: i64,
    st: &mut StdpState,
    delays: &[u16],
    w: &mut [f32],
    mask: Option<&[f32]>,
    nt: usize,
    nu_pre: f32,
    (w_max, quant, timestep): (f32, Option<QuantSpec>, bool),
    qrng: &mut Rng,
    wf: &mut FaultyWrite,
    ops: &mut OpCounts,
) {
    let hl = st.hist_len;
    for &i in spikes {
        let i = i as usize;
        let row = i * nt;
        for &j in &st.active {
            let j = j as usize;
            if mask.is_some_and(|m| m[row + j] == 0.0) {
                continue;
            }
            let arrival = emitted + delays[row + j] as i64;
            if arrival >= end {
                continue;
            }
            let p = latest_at_or_before(
                &st.post_hist[j * hl..(j + 1) * hl],
                st.post_head[j],
                arrival - 1,
            );
            let dw = nu_pre * st.post1_tab.at(arrival - p);
            if timestep {
                st.delta[row + j] -= dw;
            } else {
                w[row + j] = store(wf, row + j, clip(w[row + j] - dw, w_max, quant, qrng));
                ops.weight_updates += 1;
            }
        }
        if timestep && !st.row_touched[i] {
            st.row_touched[i] = true;
            st.touched_rows.push(i as u32);
        }
    }
}

/// Delivery through per-synapse delays: each synapse's weight goes to the ring slot of its
/// arrival step; then the slot of step `t` is added to the conductances and cleared.
/// No allocation; the drain vectorizes, the scatter is one indexed add per synapse.
#[inline]
fn deliver_delayed(
    w: &[f32],
    sd: &mut SynDelays,
    nt: usize,
    pre_spikes: &[u32],
    t: usize,
    g: &mut [f32],
) {
    let m = sd.depth - 1;
    let ring = &mut sd.ring[..sd.depth * nt];
    for &i in pre_spikes {
        let i = i as usize;
        let row = &w[i * nt..(i + 1) * nt];
        let drow = &sd.d[i * nt..(i + 1) * nt];
        for (j, (&x, &d)) in row.iter().zip(drow).enumerate() {
            let k = ((t + d as usize) & m) * nt + j;
            // SAFETY: (.. & m) < depth and j < nt (row has nt elements), so
            // k < depth * nt = ring.len().
            unsafe {
                *ring.get_unchecked_mut(k) += x;
            }
        }
    }
    let slot = (t & m) * nt;
    for (y, r) in g[..nt].iter_mut().zip(&mut ring[slot..slot + nt]) {
        *y += *r;
        *r = 0.0;
    }
}

#[inline]
fn deliver(s: &ProjState, pre_spikes: &[u32], g: &mut [f32], ops: &mut OpCounts) {
    let nt = s.post_size;
    match (&s.w, &s.connectivity) {
        (Weights::Shared(x), Connectivity::OneToOne) => {
            for &i in pre_spikes {
                g[i as usize] += x;
            }
            ops.synaptic_ops += pre_spikes.len() as u64;
        }
        (Weights::Shared(x), _) => {
            // All-but-one: every neuron gets k*x, a spiking neuron not its own x.
            let k = pre_spikes.len() as f32;
            g.iter_mut().for_each(|y| *y += k * x);
            for &i in pre_spikes {
                g[i as usize] -= x;
            }
            ops.synaptic_ops += pre_spikes.len() as u64 * (nt as u64 - 1);
        }
        (Weights::Dense(w), _) => {
            for &i in pre_spikes {
                let i = i as usize;
                let row = &w[i * nt..(i + 1) * nt];
                for (y, &x) in g.iter_mut().zip(row) {
                    *y += x;
                }
                ops.synaptic_ops += s.fan_out[i] as u64;
            }
        }
    }
}

#[cfg(test)]
// Tests start from the defaults and change the fields under test, one per line.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::snn::network;

    fn net(cfg: &SnnConfig) -> Network {
        Network::new(cfg, network::build(cfg, 28, 28)).unwrap()
    }

    #[test]
    fn membrane_matches_analytic_solution() {
        // Constant excitatory conductance g (held by tau_ge -> huge): dv/dt = (A - B v)/tau,
        // v(t) = v_inf + (v0 - v_inf) exp(-B t / tau), v_inf = A / B. Exponential Euler is
        // exact here, so only f32 rounding remains; tried at a small and a large g (the
        // large one would make forward Euler diverge: dt B / tau = 2.5).
        for g in [0.2f32, 499.0] {
            let mut cfg = SnnConfig::default();
            cfg.exc.tau_ge_ms = 1e12;
            cfg.exc.theta_init_mv = 1000.0; // never fire
            let mut n = net(&cfg);
            let exc = n.exc;
            n.pops[exc].ge.fill(g);
            let p = n.pops[exc].params.clone().unwrap();
            let (a, b) = (p.v_rest + g * p.e_exc, 1.0 + g);
            let v_inf = a / b;
            let v0 = p.v_rest;
            let mut out = Vec::new();
            for step in 1..=400 {
                let pop = &mut n.pops[exc];
                update_lif(
                    pop.size,
                    &mut pop.v,
                    &mut pop.ge,
                    &mut pop.gi,
                    &mut pop.theta,
                    &mut pop.refr,
                    &p,
                    false,
                    &mut out,
                );
                let t = step as f64 * cfg.dt_ms as f64;
                let exact = v_inf as f64
                    + (v0 - v_inf) as f64 * (-(b as f64) * t / cfg.exc.tau_mem_ms as f64).exp();
                assert!(
                    (pop.v[0] as f64 - exact).abs() < 2e-3,
                    "g {g} step {step}: {} vs {exact}",
                    pop.v[0]
                );
            }
        }
    }

    #[test]
    fn conductance_decays_exactly_and_neuron_fires_and_is_refractory() {
        let cfg = SnnConfig::default();
        let mut n = net(&cfg);
        let exc = n.exc;
        let p = n.pops[exc].params.clone().unwrap();
        let pop = &mut n.pops[exc];
        pop.ge[0] = 1.0;
        let mut out = Vec::new();
        update_lif(
            pop.size,
            &mut pop.v,
            &mut pop.ge,
            &mut pop.gi,
            &mut pop.theta,
            &mut pop.refr,
            &p,
            false,
            &mut out,
        );
        assert!((pop.ge[0] - (-0.5f32).exp()).abs() < 1e-6);
        // A huge conductance makes it fire: threshold = -52 + 20 - 20 = -52 mV.
        pop.ge[1] = 1000.0;
        update_lif(
            pop.size,
            &mut pop.v,
            &mut pop.ge,
            &mut pop.gi,
            &mut pop.theta,
            &mut pop.refr,
            &p,
            true,
            &mut out,
        );
        assert_eq!(out, vec![1]);
        assert_eq!(pop.v[1], -65.0);
        assert!((pop.theta[1] - 20.05).abs() < 1e-5);
        // Refractory 5 ms = 10 steps: clamped for 9 steps, integrating again at the 10th.
        for _ in 0..9 {
            pop.ge[1] = 1000.0;
            update_lif(
                pop.size,
                &mut pop.v,
                &mut pop.ge,
                &mut pop.gi,
                &mut pop.theta,
                &mut pop.refr,
                &p,
                true,
                &mut out,
            );
            assert!(out.is_empty());
            assert_eq!(pop.v[1], -65.0);
        }
        pop.ge[1] = 1000.0;
        update_lif(
            pop.size,
            &mut pop.v,
            &mut pop.ge,
            &mut pop.gi,
            &mut pop.theta,
            &mut pop.refr,
            &p,
            true,
            &mut out,
        );
        assert_eq!(out, vec![1]);
    }

    #[test]
    fn one_stdp_pairing_by_hand() {
        // One input pixel spikes, then neuron 0 spikes 10 steps (5 ms) later.
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 2;
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        let mut w = vec![0.5f32; 784 * 2];
        w[3 * 2] = 0.25;
        n.set_weights(k, &w).unwrap();
        let input = n.input;
        let exc = n.exc;
        n.now = 1000;
        // step A: pre spike at pixel 3.
        n.spikes[input] = vec![3];
        n.spikes[exc].clear();
        n.stdp_step(0);
        // No post spike yet: no depression (post trace 0), weight unchanged.
        assert_eq!(n.weights(k)[6], 0.25);
        n.now += 10;
        n.spikes[input].clear();
        n.spikes[exc] = vec![0];
        n.stdp_step(1);
        // dw = nu_post * x_pre * post2_before = 0.01 * exp(-5/20) * 0 (never spiked) = 0.
        assert_eq!(n.weights(k)[6], 0.25);
        // Second post spike 20 steps (10 ms) later: post2_before = exp(-10/40),
        // x_pre = exp(-15/20).
        n.now += 20;
        n.stdp_step(2);
        let expect = 0.25 + 0.01 * (-15.0f32 / 20.0).exp() * (-10.0f32 / 40.0).exp();
        assert!(
            (n.weights(k)[6] - expect).abs() < 1e-6,
            "{} vs {expect}",
            n.weights(k)[6]
        );
        // Now a pre spike at pixel 3, 4 steps (2 ms) after the post spike:
        // dw = -nu_pre * post1 = -1e-4 * exp(-2/20) on the column of neuron 0 only.
        n.now += 4;
        n.spikes[input] = vec![3];
        n.spikes[exc].clear();
        let before = n.weights(k);
        n.stdp_step(3);
        let after = n.weights(k);
        let expect2 = before[6] - 1e-4 * (-2.0f32 / 20.0).exp();
        assert!((after[6] - expect2).abs() < 1e-7);
        assert_eq!(after[7], before[7], "neuron 1 never spiked: no depression");
    }

    #[test]
    fn normalization_sums_to_78() {
        let cfg = SnnConfig::default();
        let mut n = net(&cfg);
        n.normalize();
        let k = n.input_projection().unwrap();
        let w = n.weights(k);
        for j in 0..cfg.n_excitatory {
            let s: f32 = (0..784).map(|i| w[i * cfg.n_excitatory + j]).sum();
            assert!((s - 78.0).abs() < 1e-3, "{s}");
        }
    }

    #[test]
    fn set_and_read_codes() {
        let mut cfg = SnnConfig::default();
        cfg.weight_bits = 4;
        cfg.n_excitatory = 3;
        let mut n = net(&cfg);
        n.quantize_weights();
        let k = n.input_projection().unwrap();
        let (codes, bits) = n.codes(k).unwrap();
        assert_eq!(bits, 4);
        assert!(codes.iter().all(|&c| c < 16));
        let flipped: Vec<u32> = codes.iter().map(|c| c ^ 1).collect();
        n.set_codes(k, &flipped).unwrap();
        assert_eq!(n.codes(k).unwrap().0, flipped);
        assert_eq!(n.weight_memory_bits(), 784 * 3 * 4 + 4 + 4);
        assert!(n.set_weights(k, &[0.0; 5]).is_err());
    }
    #[test]
    fn single_trace_rule_by_hand() {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 2;
        cfg.single_trace = Some(true);
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        n.set_weights(k, &vec![0.5f32; 784 * 2]).unwrap();
        let (input, exc) = (n.input, n.exc);
        n.now = 100;
        n.spikes[input] = vec![5];
        n.spikes[exc].clear();
        n.stdp_step(0);
        assert_eq!(n.weights(k)[10], 0.5, "no depression on pre spikes");
        n.now += 8; // 4 ms later neuron 1 fires
        n.spikes[input].clear();
        n.spikes[exc] = vec![1];
        n.stdp_step(1);
        let w = n.weights(k);
        let off = cfg.stdp.single_trace_offset;
        assert!((w[5 * 2 + 1] - (0.5 + 0.01 * ((-4.0f32 / 20.0).exp() - off))).abs() < 1e-6);
        assert!(
            (w[6 * 2 + 1] - (0.5 - 0.01 * off)).abs() < 1e-6,
            "silent input depressed by the offset"
        );
        assert_eq!(w[5 * 2], 0.5, "neuron 0 untouched");
    }

    #[test]
    fn timestep_updates_match_event_updates_without_clipping() {
        // The same spikes through event mode and timestep mode give the same weights
        // (no clipping involved), with fewer or equal writes in timestep mode.
        let run = |timestep: bool| {
            let mut cfg = SnnConfig::default();
            cfg.n_excitatory = 3;
            cfg.timestep_updates = Some(timestep);
            cfg.stdp.update_interval_ms = 5.0;
            let mut n = net(&cfg);
            let k = n.input_projection().unwrap();
            n.set_weights(k, &vec![0.5f32; 784 * 3]).unwrap();
            let (input, exc) = (n.input, n.exc);
            let pattern: [(&[u32], &[u32]); 6] = [
                (&[1, 2], &[]),
                (&[], &[0]),
                (&[2], &[]),
                (&[1], &[2]),
                (&[3], &[0]),
                (&[1, 3], &[]),
            ];
            for (t, (pre, post)) in pattern.iter().enumerate() {
                n.spikes[input] = pre.to_vec();
                n.spikes[exc] = post.to_vec();
                n.stdp_step(t);
                n.now += 1;
            }
            n.flush_pending();
            (n.weights(k), n.ops.weight_updates)
        };
        let (we, ce) = run(false);
        let (wt, ct) = run(true);
        for (a, b) in we.iter().zip(&wt) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!(ct <= ce, "{ct} > {ce}");
    }

    #[test]
    fn direct_inhibition_drops_the_inhibitory_population() {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 20;
        let img = vec![128u8; 784];
        let mut a = net(&cfg);
        a.run_sample(&img, 0, 1, false, &mut NoObserver);
        cfg.direct_inhibition = Some(true);
        let mut b = net(&cfg);
        b.run_sample(&img, 0, 1, false, &mut NoObserver);
        assert_eq!(b.population_names().len(), 2);
        let steps = 700 * a.ops.presentations;
        assert_eq!(
            a.ops.neuron_updates,
            (40 * steps) + 40 * a.ops.presentations
        );
        assert_eq!(
            b.ops.neuron_updates,
            (20 * steps) + 20 * b.ops.presentations
        );
    }

    #[test]
    fn observer_sees_every_step_and_the_counts() {
        struct Obs {
            steps: u32,
            exc_spikes: u32,
            input_spikes: u64,
        }
        impl StepObserver for Obs {
            fn on_presentation(&mut self, _s: usize, _r: u32) {
                self.exc_spikes = 0;
            }
            fn on_step(&mut self, _step: u32, sp: &StepSpikes<'_>) {
                self.steps += 1;
                self.exc_spikes += sp.population(1).len() as u32;
                self.input_spikes += sp.population(0).len() as u64;
                assert_eq!(sp.name(1), "exc");
            }
        }
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 10;
        let mut n = net(&cfg);
        let mut o = Obs {
            steps: 0,
            exc_spikes: 0,
            input_spikes: 0,
        };
        let (c, _) = n.run_sample(&vec![200u8; 784], 0, 7, false, &mut o);
        let total: u32 = c.iter().sum();
        assert_eq!(o.exc_spikes, total);
        assert_eq!(o.steps as u64, 700 * n.ops.presentations);
        assert_eq!(o.input_spikes, n.ops.input_spikes);
    }

    #[test]
    fn quantized_training_keeps_weights_on_the_grid() {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 10;
        cfg.weight_bits = 4;
        cfg.quantization = QuantMode::Training;
        cfg.rounding = super::super::config::Rounding::Stochastic;
        let mut n = net(&cfg);
        for s in 0..3 {
            n.run_sample(&vec![150u8; 784], s, s as u64, true, &mut NoObserver);
        }
        let k = n.input_projection().unwrap();
        assert!(n
            .weights(k)
            .iter()
            .all(|&w| (w * 16.0).fract() == 0.0 && w <= 15.0 / 16.0));
    }

    /// FNV-1a over the spike counts of a few training and test samples and the final
    /// input weights (bit patterns): a fingerprint of the whole simulation.
    fn fingerprint(cfg: &SnnConfig) -> u64 {
        let base = std::path::Path::new(".");
        let set = crate::snn::dataset::load_pair(
            "builtin:mnist-sample/train-images",
            "builtin:mnist-sample/train-labels",
            base,
        )
        .unwrap();
        let mut n = net(cfg);
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut mix = |x: u64| {
            for b in x.to_le_bytes() {
                h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
        };
        for s in 0..6 {
            let learn = s < 4;
            let (c, r) = n.run_sample(set.image(s), s, 100 + s as u64, learn, &mut NoObserver);
            c.iter().for_each(|&x| mix(x as u64));
            mix(r as u64);
        }
        let k = n.input_projection().unwrap();
        n.weights(k).iter().for_each(|&w| mix(w.to_bits() as u64));
        n.theta().iter().for_each(|&t| mix(t.to_bits() as u64));
        h
    }

    #[test]
    fn zero_max_delay_is_bit_identical_to_the_engine_without_delays() {
        // Golden fingerprints recorded with the engine before per-synapse delays existed
        // (commit 7111f5b): Diehl & Cook and FSpiNN, N 20, 4 training + 2 test samples.
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 20;
        let dc = fingerprint(&cfg);
        cfg.model = super::super::config::SnnModel::Fspinn;
        let fs = fingerprint(&cfg);
        assert_eq!((dc, fs), (0x8c63_d660_d3ba_bcfa, 0x3ec7_42c8_f52a_9a69));
    }

    /// A schedule with the given (step, pixel) input spikes.
    fn schedule(steps: usize, spikes: &[(usize, u32)]) -> Schedule {
        let mut offsets = vec![0u32; steps + 1];
        let mut ids = Vec::new();
        for t in 0..steps {
            ids.extend(spikes.iter().filter(|s| s.0 == t).map(|s| s.1));
            offsets[t + 1] = ids.len() as u32;
        }
        let mut s = Schedule::default();
        (s.steps, s.offsets, s.ids) = (steps, offsets, ids);
        s
    }

    #[test]
    fn a_spike_arrives_at_each_synapse_after_its_own_delay() {
        // Pixel 5 spikes at step 2; its synapses to neurons 0, 1, 2 have delays 0, 3 and
        // 20 steps and weights 0.1, 0.2, 0.3. The excitatory conductance is held (tau_ge
        // huge), so after a presentation of T steps ge_j = w_j exactly when the spike has
        // reached j, i.e. when 2 + d_j <= T - 1 (it is added at the end of step 2 + d_j,
        // as a projection-wide delay d_j would).
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 3;
        cfg.input_delay_max_ms = 10.0;
        cfg.exc.tau_ge_ms = 1e12;
        cfg.exc.theta_init_mv = 1000.0; // never fire
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        assert_eq!(n.projection_info(k).max_delay_steps, 20);
        let mut d = vec![0u16; 784 * 3];
        d[5 * 3..5 * 3 + 3].copy_from_slice(&[0, 3, 20]);
        n.set_delays(k, &d).unwrap();
        let mut w = vec![0.0f32; 784 * 3];
        w[5 * 3..5 * 3 + 3].copy_from_slice(&[0.1, 0.2, 0.3]);
        n.set_weights(k, &w).unwrap();
        let exc = n.exc;
        for (j, dj) in [(0usize, 0usize), (1, 3), (2, 20)] {
            for (steps, arrived) in [(2 + dj, false), (3 + dj, true)] {
                n.reset_state();
                n.present_steps = steps;
                n.present(&schedule(steps, &[(2, 5)]), false, &mut NoObserver);
                let ge = n.pops[exc].ge[j];
                let want = if arrived { w[5 * 3 + j] } else { 0.0 };
                assert_eq!(ge, want, "neuron {j}, {steps} steps");
            }
        }
        // Counted at emission, once per synapse: 5 of the 6 presentations reach step 2.
        assert_eq!(n.ops.synaptic_ops, 5 * 3);
    }

    #[test]
    fn delays_are_drawn_from_the_seed_and_leave_weights_alone() {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 50;
        let plain = net(&cfg);
        cfg.input_delay_max_ms = 10.0;
        let (a, b) = (net(&cfg), net(&cfg));
        let k = a.input_projection().unwrap();
        assert!(plain.delays(k).is_none());
        let d = a.delays(k).unwrap();
        assert_eq!(Some(d), b.delays(k), "same seed, same delays");
        assert_eq!(
            a.weights(k),
            plain.weights(k),
            "delays have their own stream"
        );
        // Uniform in [0, 10] ms rounded to 0.5 ms steps: 0..=20, 0 and 20 half as likely.
        assert!(d.iter().all(|&x| x <= 20));
        let mean = d.iter().map(|&x| x as f64).sum::<f64>() / d.len() as f64;
        assert!((mean - 10.0).abs() < 0.1, "{mean}");
        let zeros = d.iter().filter(|&&x| x == 0).count() as f64 / d.len() as f64;
        let tens = d.iter().filter(|&&x| x == 10).count() as f64 / d.len() as f64;
        assert!((zeros - 0.025).abs() < 0.005 && (tens - 0.05).abs() < 0.006);
        cfg.seed = 2;
        assert_ne!(net(&cfg).delays(k).unwrap(), d);
        // A lower bound shifts the range: [4, 6] ms -> 8..=12 steps.
        cfg.input_delay_ms = 4.0;
        cfg.input_delay_max_ms = 6.0;
        let c = net(&cfg);
        let dc = c.delays(k).unwrap();
        assert!(dc.iter().all(|&x| (8..=12).contains(&x)));
        assert_eq!(c.projection_info(k).delay_steps, 0);
    }

    #[test]
    fn training_with_delays_is_deterministic() {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 20;
        cfg.input_delay_max_ms = 10.0;
        let a = fingerprint(&cfg);
        assert_eq!(a, fingerprint(&cfg));
        cfg.model = super::super::config::SnnModel::Fspinn;
        let f = fingerprint(&cfg);
        assert_eq!(f, fingerprint(&cfg));
        assert_ne!(a, f);
    }

    #[test]
    fn equal_per_synapse_delays_match_one_projection_delay() {
        // Every synapse delayed by 5 ms through the ring (range [5, 5]) against the
        // projection-wide 5 ms delay: the same spikes; weights equal up to f32 summation
        // order (the ring sums a step's increments before adding them to ge). The deferred
        // depression commutes with potentiation unless a weight is clipped at 0, so the
        // initial weights are kept away from 0 (offset 1: U(0.3, 0.6) before normalization).
        let run = |per_synapse: bool| {
            let mut cfg = SnnConfig::default();
            cfg.n_excitatory = 20;
            cfg.input_delay_ms = 5.0;
            cfg.input_delay_max_ms = if per_synapse { 5.0 } else { 0.0 };
            cfg.w_input_offset = 1.0;
            let base = std::path::Path::new(".");
            let set = crate::snn::dataset::load_pair(
                "builtin:mnist-sample/train-images",
                "builtin:mnist-sample/train-labels",
                base,
            )
            .unwrap();
            let mut n = net(&cfg);
            let mut counts = Vec::new();
            for s in 0..4 {
                let (c, _) = n.run_sample(set.image(s), s, s as u64, true, &mut NoObserver);
                counts.extend_from_slice(c);
            }
            let k = n.input_projection().unwrap();
            (counts, n.weights(k), n.ops)
        };
        let (ca, wa, oa) = run(true);
        let (cb, wb, ob) = run(false);
        assert_eq!(ca, cb);
        assert!(ca.iter().sum::<u32>() > 20);
        // Synaptic events are counted at emission with per-synapse delays, at arrival with
        // one delay (spikes of the last 5 ms of a presentation never arrive).
        // The deferred depression also writes (zero changes) to post neurons that became
        // active between an arrival and its application: a few more weight writes.
        let strip = |o: OpCounts| OpCounts {
            synaptic_ops: 0,
            weight_updates: 0,
            ..o
        };
        assert_eq!(strip(oa), strip(ob));
        assert!(oa.synaptic_ops > ob.synaptic_ops);
        assert!(oa.weight_updates >= ob.weight_updates);
        assert!(oa.weight_updates - ob.weight_updates < ob.weight_updates / 1000);
        for (x, y) in wa.iter().zip(&wb) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    #[test]
    fn stdp_sees_spikes_as_they_arrive_at_each_synapse() {
        // Pixel 3 -> neuron 0 delay 10 steps, -> neuron 1 delay 0; every other synapse 0.
        // Both neurons fire at step 0 and 6, neuron 0 again at 14; pixel 3 fires at step 2.
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 2;
        cfg.input_delay_max_ms = 10.0;
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        let mut d = vec![0u16; 784 * 2];
        d[3 * 2] = 10;
        n.set_delays(k, &d).unwrap();
        n.set_weights(k, &vec![0.5f32; 784 * 2]).unwrap();
        let (input, exc) = (n.input, n.exc);
        n.now = 1000;
        for t in 0..=14usize {
            n.spikes[input] = if t == 2 { vec![3] } else { vec![] };
            n.spikes[exc] = match t {
                0 | 6 => vec![0, 1],
                14 => vec![0],
                _ => vec![],
            };
            let len = n.hist[input].len();
            n.hist[input][t % len] = n.spikes[input].clone();
            n.stdp_step(t);
            n.now += 1;
        }
        let w = n.weights(k);
        let e = |x: f32| x.exp();
        // Neuron 1 (no delay): potentiated at step 6 by x_pre = exp(-4 steps / 40) and
        // post2 = exp(-6 / 80); depressed by post1 at the arrival (step 2, last post spike
        // at 0: exp(-2 / 40)), not by the later spike at 6.
        let w1 = 0.5 + 0.01 * e(-0.1) * e(-0.075) - 1e-4 * e(-0.05);
        // Neuron 0: the spike arrives at step 12, after the post spike at 6 (no
        // potentiation then); depression by post1 at 12 (exp(-6 / 40)); potentiation at
        // 14 by x_pre = exp(-2 / 40), post2 = exp(-8 / 80).
        let w0 = 0.5 - 1e-4 * e(-0.15) + 0.01 * e(-0.05) * e(-0.1);
        assert!((w[3 * 2 + 1] - w1).abs() < 1e-6, "{} vs {w1}", w[3 * 2 + 1]);
        assert!((w[3 * 2] - w0).abs() < 1e-6, "{} vs {w0}", w[3 * 2]);
        assert_eq!(w[4 * 2], 0.5, "silent input untouched");
    }

    #[test]
    fn input_norm_mean_scales_rates_to_a_common_mean() {
        // Off: scale 1 whatever the image.
        assert_eq!(input_scale(&[10u8, 30], 0.0), 1.0);
        // Mean level 20 -> 40: factor 2; mean 80 -> 40: factor 0.5; black: 1.
        assert_eq!(input_scale(&[10u8, 30], 40.0), 2.0);
        assert_eq!(input_scale(&[160u8, 0], 40.0), 0.5);
        assert_eq!(input_scale(&[0u8, 0], 40.0), 1.0);
        // A dim and a bright version of one pattern then bring the same input spikes
        // (same random stream: the rates are identical).
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 5;
        cfg.input_norm_mean = 30.0;
        cfg.exc.theta_init_mv = 1000.0; // never fire: one presentation each
        cfg.max_repeats = 0;
        let dim: Vec<u8> = (0..784).map(|k| if k % 3 == 0 { 60 } else { 0 }).collect();
        let bright: Vec<u8> = dim.iter().map(|&p| p * 2).collect();
        let mut a = net(&cfg);
        a.run_sample(&dim, 0, 5, false, &mut NoObserver);
        let mut b = net(&cfg);
        b.run_sample(&bright, 0, 5, false, &mut NoObserver);
        assert_eq!(a.ops.input_spikes, b.ops.input_spikes);
        // Mean level 20 scaled to 30 at pixel / 4 Hz: 784 x 30 / 4 Hz x 0.35 s = 2058 expected.
        let n = a.ops.input_spikes as f64;
        assert!((n - 2058.0).abs() < 5.0 * 2058f64.sqrt(), "{n}");
    }
}
