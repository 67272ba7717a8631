//! Projections: a pre population's spikes delivered to a post population's synaptic
//! input, through a weight matrix or one shared weight, after a projection-wide delay
//! or per-synapse delays.
//!
//! Invariants: a dense weight matrix is row-major pre x post, and an absent synapse
//! (see `masks::Presence`) has weight 0 and is never updated; `fan_out` / `fan_in` count existing
//! synapses; a one-to-one or all-but-one projection with one shared weight has no
//! pre x post matrix (see `masks`). Delivery adds to the post input in the
//! step of the spike (projection-wide delay d: the spike of step t - d), and the post
//! population sees it from the next step.

use super::conv::Conv;
use super::masks::Presence;
use super::OpCounts;
use crate::snn::config::{SnnConfig, MAX_SYNAPSE_DELAY_STEPS};
use crate::snn::network::{Connectivity, Plasticity, Projection, Target, WeightInit};
use serde::{Deserialize, Serialize};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

/// Per-synapse weights are behind an `Arc`: the clones that evaluation threads make of a
/// frozen network share one matrix (one copy in the caches instead of one per thread);
/// a write goes through `Arc::make_mut`, which copies only if the matrix is shared.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) enum Weights {
    Dense(Arc<Vec<f32>>),
    Shared(f32),
    /// A convolution's kernel ([`Conv`] layout).
    Kernel(Arc<Vec<f32>>),
}

/// Per-synapse delays of a projection and its ring of future conductance increments.
#[derive(Clone, Debug)]
pub(super) struct SynDelays {
    /// Delay of each synapse in dt steps, row-major pre x post (shared by clones).
    pub(super) d: Arc<Vec<u16>>,
    /// The largest delay (steps).
    pub(super) max: usize,
    /// `depth` x post_size future increments; slot of step t = t & (depth - 1).
    pub(super) ring: Vec<f32>,
    /// Power of two > max.
    pub(super) depth: usize,
}

impl SynDelays {
    pub(super) fn new(d: Vec<u16>, post_size: usize) -> Self {
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

#[derive(Clone, Debug)]
pub(super) struct ProjState {
    pub(super) name: String,
    pub(super) pre: usize,
    pub(super) post: usize,
    pub(super) pre_size: usize,
    pub(super) post_size: usize,
    pub(super) connectivity: Connectivity,
    pub(super) target: Target,
    /// Projection-wide delay (steps); 0 when `syn_delay` is set.
    pub(super) delay_steps: usize,
    pub(super) syn_delay: Option<SynDelays>,
    pub(super) plastic: bool,
    pub(super) w: Weights,
    /// The dense weights as faulty DRAM returns them, when the learner keeps `w` as a
    /// fault-free master (`WeightFaults::on_read`); delivery uses them.
    pub(super) w_read: Option<Arc<Vec<f32>>>,
    /// Which pre x post pairs are synapses.
    pub(super) presence: Presence,
    /// Synapses per presynaptic neuron (for the synaptic-op count).
    pub(super) fan_out: Vec<u32>,
    /// Synapses per postsynaptic neuron (normalization target scales with it).
    pub(super) fan_in: Vec<u32>,
    pub(super) synapses: u64,
    /// The geometry of a convolution (its weights are `Weights::Kernel`).
    pub(super) conv: Option<Conv>,
}

impl ProjState {
    /// Instantiate projection `p` from population `pre` (`ns` neurons) to `post` (`nt`).
    /// Weights draw from `rng`, delays from `delay_rng` (their own stream, so weights
    /// and input spikes do not depend on them).
    pub(super) fn build(
        p: &Projection,
        (pre, ns): (usize, usize),
        (post, nt): (usize, usize),
        cfg: &SnnConfig,
        rng: &mut Rng,
        delay_rng: &mut Rng,
    ) -> Self {
        let shared_ok = matches!(
            p.connectivity,
            Connectivity::OneToOne | Connectivity::AllButOne
        );
        // A shared one-to-one / all-but-one projection is delivered structurally
        // (`deliver`): no N x N matrix.
        let conv = Conv::of(&p.connectivity);
        let presence = Presence::of(&p.connectivity, ns, nt, rng);
        let w = match (&p.init, shared_ok) {
            _ if conv.is_some() => {
                let n = conv.map_or(0, |c| c.kernel_len());
                Weights::Kernel(Arc::new(match p.init {
                    WeightInit::Shared(x) => vec![x; n],
                    WeightInit::Uniform { scale, offset } => {
                        (0..n).map(|_| (rng.next_f32() + offset) * scale).collect()
                    }
                }))
            }
            (WeightInit::Shared(x), true) => Weights::Shared(*x),
            (WeightInit::Shared(x), false) => {
                let mut w = vec![*x; ns * nt];
                presence.clear_absent(&mut w, nt);
                Weights::Dense(Arc::new(w))
            }
            (WeightInit::Uniform { scale, offset }, _) => {
                let mut w: Vec<f32> = (0..ns * nt)
                    .map(|_| (rng.next_f32() + offset) * scale)
                    .collect();
                presence.clear_absent(&mut w, nt);
                Weights::Dense(Arc::new(w))
            }
        };
        let (fan_out, fan_in) = match conv {
            Some(c) => c.fans(),
            None => presence.fans(ns, nt),
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
        if syn_delay.is_some() {
            delay_steps = 0;
        }
        ProjState {
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
            w_read: None,
            presence,
            fan_out,
            fan_in,
            synapses,
            conv,
        }
    }

    /// How many steps the pre population's spikes must be kept for this projection
    /// (with per-synapse delays: for the deferred depression of STDP).
    pub(super) fn history_steps(&self) -> usize {
        self.syn_delay
            .as_ref()
            .map_or(self.delay_steps, |sd| sd.max)
    }

    /// The pre spikes this projection delivers at step `t` of a presentation: this
    /// step's, or those of `delay_steps` ago from the population's history ring.
    #[inline]
    pub(super) fn pre_spikes<'a>(
        &self,
        t: usize,
        spikes: &'a [Vec<u32>],
        hist: &'a [Vec<Vec<u32>>],
    ) -> &'a [u32] {
        if self.delay_steps == 0 {
            &spikes[self.pre]
        } else if t >= self.delay_steps {
            let h = &hist[self.pre];
            &h[(t - self.delay_steps) % h.len()]
        } else {
            &[]
        }
    }

    /// Deliver this step's (delayed) pre spikes into the post input `g`.
    #[inline]
    pub(super) fn deliver(
        &mut self,
        t: usize,
        spikes: &[Vec<u32>],
        hist: &[Vec<Vec<u32>>],
        g: &mut [f32],
        ops: &mut OpCounts,
    ) {
        if let (Some(sd), Weights::Dense(w)) = (&mut self.syn_delay, &self.w) {
            let w = self.w_read.as_ref().unwrap_or(w);
            let pre = &spikes[self.pre];
            ops.synaptic_ops += pre
                .iter()
                .map(|&i| self.fan_out[i as usize] as u64)
                .sum::<u64>();
            deliver_delayed(w, sd, self.post_size, pre, t, g);
            return;
        }
        let pre = self.pre_spikes(t, spikes, hist);
        if !pre.is_empty() {
            deliver(self, pre, g, ops);
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
        (Weights::Kernel(k), _) => {
            let c = s.conv.as_ref().expect("a kernel has its geometry");
            for &i in pre_spikes {
                c.for_each_target(i as usize, |j, kidx| g[j] += k[kidx]);
                ops.synaptic_ops += s.fan_out[i as usize] as u64;
            }
        }
        (Weights::Dense(w), _) => {
            let w = s.w_read.as_ref().unwrap_or(w);
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
