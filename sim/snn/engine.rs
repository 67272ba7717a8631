//! The simulation engine: interprets a [`NetworkDesc`] with clock-driven neurons
//! (dt steps) and event-driven synapses (only spiking neurons touch their weight rows).
//!
//! # Seams (one job each; a new variant is one file and a registration)
//! - [`neuron`]: a population's dynamics ([`neuron::NeuronModel`]; today the
//!   conductance LIF with or without adaptive threshold). Spike sources (Poisson input)
//!   have no model: the encoder fills their spikes.
//! - `projection`: how a pre population's spikes reach a post population's input
//!   (dense or masked weights, one shared weight delivered structurally, projection-wide
//!   or per-synapse delays).
//! - `learning`: a rule on a plastic projection (today the STDP family with the FSpiNN
//!   switches), called through one interface and only when learning.
//!
//! Order within a step (as Brian's): (1) every population integrates its state from the
//! inputs of the previous step and fires; (2) spikes are handed to the observer;
//! (3) each projection delivers the spikes of its presynaptic population (delayed by its
//! delay) to the postsynaptic input, which acts from the next step; (4) learning rules.
//! The loop dispatches once per population and once per projection per step, so the
//! per-neuron and per-synapse loops stay monomorphic.
//!
//! Per-synapse delays (`snn.input_delay_max_ms`, as in Diehl & Cook's code): a projection
//! with them keeps a ring of future conductance increments per postsynaptic neuron; a
//! spike of i at step t adds w_ij to slot (t + d_ij) mod depth of neuron j, and each step
//! the slot of the current step is added to the conductance and cleared, so a spike acts
//! from step t + d_ij + 1 as a projection-wide delay d_ij would. STDP sees the spike as it
//! arrives at the synapse (Brian 1's `STDP` on a `DelayConnection`, which the reference
//! code uses; see `learning::stdp`).
//!
//! The rest period after a sample is applied in closed form by each neuron model (no
//! input, spikes during rest are not simulated).

use super::config::{QuantMode, SnnConfig, Switches};
use super::encoder::Schedule;
use super::network::{Connectivity, NetworkDesc, PopKind};
use super::quant::QuantSpec;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

mod access;
pub mod conv;
mod learning;
mod masks;
pub mod neuron;
mod projection;
mod snapshot;
mod weight_faults;
use learning::{LearnCtx, LearningRule};
use neuron::NeuronModel;
use projection::{ProjState, Weights};
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

/// The spikes of one timestep, per population (ids ascending), and per projection.
/// Borrowed from the engine's buffers: no allocation per step.
pub struct StepSpikes<'a> {
    spikes: &'a [Vec<u32>],
    names: &'a [String],
    projs: &'a [ProjState],
    hist: &'a [Vec<Vec<u32>>],
    step: usize,
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
    /// The pre spikes projection `p` delivers in this step: its pre population's spikes
    /// of `delay_steps` ago (with per-synapse delays: this step's, at emission, when
    /// their weight rows are read).
    pub fn projection(&self, p: ProjId) -> &'a [u32] {
        self.projs[p].pre_spikes(self.step, self.spikes, self.hist)
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

/// A population: its size and its neuron model (None for a spike source, whose spikes
/// come from the input encoder).
#[derive(Clone, Debug)]
struct Population {
    size: usize,
    model: Option<Box<dyn NeuronModel>>,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub desc: NetworkDesc,
    cfg: SnnConfig,
    sw: Switches,
    names: Vec<String>,
    pops: Vec<Population>,
    spikes: Vec<Vec<u32>>,
    /// Per population: ring of past steps' spikes (only as deep as its longest delay).
    hist: Vec<Vec<Vec<u32>>>,
    projs: Vec<ProjState>,
    input: usize,
    exc: usize,
    /// The learning rules of the plastic projections (run only when learning).
    rules: Vec<Box<dyn LearningRule>>,
    quant: Option<QuantSpec>,
    schedule: Schedule,
    /// Global step counter (traces use it across samples).
    now: i64,
    present_steps: usize,
    rest_steps: usize,
    qrng: Rng,
    /// The plastic projection's weights when they live in faulty DRAM (see
    /// `weight_faults`): every update is read back through the weak cells.
    weight_faults: Option<WeightFaults>,
    counts: Vec<u32>,
    pub ops: OpCounts,
    /// Neuron labels of the excitatory population (-1 = none).
    pub labels: Vec<i16>,
}

impl Network {
    /// Instantiate a description: initial weights from `cfg.seed`.
    pub fn new(cfg: &SnnConfig, desc: NetworkDesc) -> Result<Self> {
        desc.check().map_err(anyhow::Error::msg)?;
        super::budget::check_network(cfg, &desc)?;
        let mut rng = Rng::stream(cfg.seed, 0x5EED_0001);
        let mut names = Vec::new();
        let mut pops = Vec::new();
        let mut input = 0;
        let exc = desc.readout().map_err(anyhow::Error::msg)?.index();
        for (i, p) in desc.populations() {
            if let PopKind::Poisson { .. } = p.kind {
                input = i.index();
            }
            names.push(p.name.clone());
            pops.push(Population {
                size: p.size,
                model: neuron::for_population(&p.kind, p.size, cfg),
            });
        }
        let mut projs = Vec::new();
        let mut max_delay = vec![0usize; pops.len()];
        // Delays have their own stream: weights and input spikes do not depend on them.
        let mut delay_rng = Rng::stream(cfg.seed, 0x5EED_0003);
        for (_, a, b, p) in desc.projections() {
            let (pre, post) = (a.index(), b.index());
            let s = ProjState::build(
                p,
                (pre, pops[pre].size),
                (post, pops[post].size),
                cfg,
                &mut rng,
                &mut delay_rng,
            );
            max_delay[pre] = max_delay[pre].max(s.history_steps());
            projs.push(s);
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
        let quant = (cfg.weight_bits < 32).then(|| QuantSpec {
            bits: cfg.weight_bits,
            frac_bits: cfg.frac_bits(),
            rounding: cfg.rounding,
        });
        let rules = projs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.plastic)
            .map(|(k, p)| learning::for_projection(k, p, cfg, quant))
            .collect();
        let n_exc = pops[exc].size;
        Ok(Network {
            spikes: vec![Vec::new(); pops.len()],
            names,
            hist,
            projs,
            input,
            exc,
            rules,
            quant,
            schedule: Schedule::default(),
            now: 0,
            present_steps: (cfg.present_ms / cfg.dt_ms).round() as usize,
            rest_steps: (cfg.rest_ms / cfg.dt_ms).round() as usize,
            qrng: Rng::stream(cfg.seed, 0x5EED_0002),
            weight_faults: None,
            counts: vec![0; n_exc],
            ops: OpCounts::default(),
            labels: vec![-1; n_exc],
            sw: cfg.switches(),
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

    /// Reset neuron state to rest (v = rest, no conductance, not refractory).
    pub fn reset_state(&mut self) {
        for m in self.pops.iter_mut().filter_map(|p| p.model.as_mut()) {
            m.reset();
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
        self.read_through_faults(k);
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
        for s in &mut self.projs {
            s.w_read = None;
        }
        self.weight_faults = faults;
        if let Some(p) = self.weight_faults.as_ref().map(|f| f.proj) {
            self.read_through_faults(p);
        }
        Ok(())
    }

    /// After a write of all of projection `p`'s weights: read them through the faults
    /// (in place: into the weights; on read: into the read view beside the master).
    fn read_through_faults(&mut self, p: ProjId) {
        let quant = self.quant;
        let Some(f) = self.weight_faults.as_mut().filter(|f| f.proj == p) else {
            return;
        };
        let s = &mut self.projs[p];
        let Weights::Dense(w) = &mut s.w else { return };
        if f.reads_a_master() {
            // Reuse the view's buffer: this runs after every normalization.
            let view = s.w_read.get_or_insert_with(|| Arc::new(Vec::new()));
            let view = Arc::make_mut(view);
            view.clear();
            view.extend_from_slice(w);
            f.apply_all(view, quant);
        } else {
            f.apply_all(Arc::make_mut(w).as_mut_slice(), quant);
        }
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
        if learn {
            for r in &mut self.rules {
                r.end_sample(&self.counts);
            }
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
        for r in &mut self.rules {
            r.begin_presentation(self.now);
        }
        self.ops.presentations += 1;
        for t in 0..self.present_steps {
            // (1) neurons
            let inp = sched.at(t);
            self.spikes[self.input].clear();
            self.spikes[self.input].extend_from_slice(inp);
            self.ops.input_spikes += inp.len() as u64;
            for (k, pop) in self.pops.iter_mut().enumerate() {
                let Some(m) = &mut pop.model else { continue };
                let out = &mut self.spikes[k];
                m.step(learn, out);
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
                    projs: &self.projs,
                    hist: &self.hist,
                    step: t,
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
                let post = self.pops[s.post]
                    .model
                    .as_mut()
                    .expect("a projection targets neurons");
                let g = post.input_mut(s.target);
                s.deliver(t, &self.spikes, &self.hist, g, &mut self.ops);
            }
            // (4) plasticity
            if learn {
                self.learn_step(t);
            }
            self.now += 1;
        }
        if learn {
            self.learn_end_presentation();
        }
    }

    /// Every learning rule's step `t` of the presentation (after delivery).
    fn learn_step(&mut self, t: usize) {
        self.for_each_rule(t, |r, cx| r.step(cx));
    }

    /// Every learning rule's end of the presentation (deferred and pending updates).
    fn learn_end_presentation(&mut self) {
        self.for_each_rule(self.present_steps, |r, cx| r.end_presentation(cx));
    }

    /// Call `f` on every learning rule with the context of step `t`.
    fn for_each_rule(&mut self, t: usize, f: impl Fn(&mut dyn LearningRule, &mut LearnCtx<'_>)) {
        let mut cx = LearnCtx {
            projs: &mut self.projs,
            spikes: &self.spikes,
            hist: &self.hist,
            now: self.now,
            t,
            present_steps: self.present_steps,
            qrng: &mut self.qrng,
            faults: &mut self.weight_faults,
            ops: &mut self.ops,
        };
        for r in &mut self.rules {
            f(r.as_mut(), &mut cx);
        }
    }

    /// The rest period in closed form; when learning, adaptation decays over
    /// presentation + rest.
    fn rest(&mut self, learn: bool) {
        let n = self.rest_steps;
        for p in &mut self.pops {
            let Some(m) = &mut p.model else { continue };
            m.rest(n);
            if learn {
                m.decay_adaptation(self.present_steps + n);
            }
            self.ops.neuron_updates += p.size as u64;
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

#[cfg(test)]
mod tests;
