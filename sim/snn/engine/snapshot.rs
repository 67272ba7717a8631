//! The network's dynamic state, for training checkpoints that resume bit for bit.
//!
//! A [`NetState`] holds everything that changes while a network runs or learns: neuron
//! state (each model's state vectors), weights, delay rings, the learning rules' state
//! (traces, pending updates), the step counter, the quantization RNG, counters and labels. The rest
//! (populations, connectivity, masks, per-synapse delays, parameters) is rebuilt from
//! the config by [`Network::new`], which is deterministic; [`Network::restore_state`]
//! then requires every restored vector to have the length the rebuilt network expects.

use super::{Network, OpCounts, WeightFaults, Weights};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use spikemem_arch::rng::Rng;

/// See the module docs.
#[derive(Serialize, Deserialize)]
pub struct NetState {
    /// Per population, its model's state vectors (none for a spike source).
    pops: Vec<Vec<Vec<f32>>>,
    weights: Vec<Weights>,
    /// Per projection, the weights as faulty DRAM returns them (faults on read).
    read_views: Vec<Option<Vec<f32>>>,
    rings: Vec<Option<Vec<f32>>>,
    /// Each learning rule's state, as the rule serializes it.
    rules: Vec<Vec<u8>>,
    spikes: Vec<Vec<u32>>,
    hist: Vec<Vec<Vec<u32>>>,
    now: i64,
    qrng: Rng,
    counts: Vec<u32>,
    ops: OpCounts,
    labels: Vec<i16>,
    /// Weights in faulty DRAM during learning (fault-aware training, `run --learn`).
    weight_faults: Option<WeightFaults>,
}

fn same_len<T>(what: &str, got: &[T], want: usize) -> Result<()> {
    if got.len() != want {
        bail!(
            "checkpoint: {what} has {} entries, the network {want}",
            got.len()
        );
    }
    Ok(())
}

impl Network {
    /// A copy of the dynamic state (see the module docs).
    pub fn state(&self) -> NetState {
        NetState {
            pops: self
                .pops
                .iter()
                .map(|p| {
                    p.model.as_ref().map_or(Vec::new(), |m| {
                        m.state_vectors().iter().map(|(_, v)| v.to_vec()).collect()
                    })
                })
                .collect(),
            weights: self.projs.iter().map(|s| s.w.clone()).collect(),
            read_views: self
                .projs
                .iter()
                .map(|s| s.w_read.as_ref().map(|v| v.to_vec()))
                .collect(),
            rings: self
                .projs
                .iter()
                .map(|s| s.syn_delay.as_ref().map(|d| d.ring.clone()))
                .collect(),
            rules: self.rules.iter().map(|r| r.save()).collect(),
            spikes: self.spikes.clone(),
            hist: self.hist.clone(),
            now: self.now,
            qrng: self.qrng.clone(),
            counts: self.counts.clone(),
            ops: self.ops,
            labels: self.labels.clone(),
            weight_faults: self.weight_faults.clone(),
        }
    }

    /// Continue from `s`, taken by [`state`](Self::state) of a network built from the
    /// same config and description. Refuses a state of another shape.
    pub fn restore_state(&mut self, s: NetState) -> Result<()> {
        same_len("populations", &s.pops, self.pops.len())?;
        same_len("projections", &s.weights, self.projs.len())?;
        same_len("delay rings", &s.rings, self.projs.len())?;
        same_len("read views", &s.read_views, self.projs.len())?;
        for (p, d) in self.pops.iter().zip(&s.pops) {
            let vectors = p.model.as_ref().map_or(Vec::new(), |m| m.state_vectors());
            same_len("neuron state vectors", d, vectors.len())?;
            for ((name, v), got) in vectors.iter().zip(d) {
                same_len(name, got, v.len())?;
            }
        }
        for (p, v) in self.projs.iter().zip(&s.read_views) {
            if let (Weights::Dense(a), Some(v)) = (&p.w, v) {
                same_len("read view", v, a.len())?;
            }
        }
        for (p, (w, r)) in self.projs.iter().zip(s.weights.iter().zip(&s.rings)) {
            match (&p.w, w) {
                (Weights::Dense(a), Weights::Dense(b)) => same_len("weights", b, a.len())?,
                (Weights::Shared(_), Weights::Shared(_)) => {}
                (Weights::Kernel(a), Weights::Kernel(b)) => same_len("kernel", b, a.len())?,
                _ => bail!(
                    "checkpoint: projection `{}` stores its weights differently",
                    p.name
                ),
            }
            match (&p.syn_delay, r) {
                (Some(d), Some(r)) => same_len("delay ring", r, d.ring.len())?,
                (None, None) => {}
                _ => bail!("checkpoint: projection `{}` has delays differently", p.name),
            }
        }
        same_len("learning rules", &s.rules, self.rules.len())?;
        same_len("spike counts", &s.counts, self.counts.len())?;
        same_len("labels", &s.labels, self.labels.len())?;
        for (r, bytes) in self.rules.iter_mut().zip(&s.rules) {
            r.restore(bytes)?;
        }
        for (p, d) in self.pops.iter_mut().zip(s.pops) {
            if let Some(m) = &mut p.model {
                for ((_, v), x) in m.state_vectors_mut().into_iter().zip(d) {
                    *v = x;
                }
            }
        }
        for (p, ((w, r), v)) in self
            .projs
            .iter_mut()
            .zip(s.weights.into_iter().zip(s.rings).zip(s.read_views))
        {
            p.w = w;
            p.w_read = v.map(std::sync::Arc::new);
            if let (Some(d), Some(r)) = (&mut p.syn_delay, r) {
                d.ring = r;
            }
        }
        if let Some(f) = &s.weight_faults {
            match self.projs.get(f.proj) {
                Some(p) if matches!(&p.w, Weights::Dense(w) if w.len() == f.synapses()) => {}
                _ => bail!("checkpoint: weight faults of another projection shape"),
            }
        }
        self.weight_faults = s.weight_faults;
        self.spikes = s.spikes;
        self.hist = s.hist;
        self.now = s.now;
        self.qrng = s.qrng;
        self.counts = s.counts;
        self.ops = s.ops;
        self.labels = s.labels;
        Ok(())
    }
}
