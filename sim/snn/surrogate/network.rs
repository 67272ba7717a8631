//! The layered network: per layer a projection, its master weights and scale, and the
//! neuron model; one sample's forward pass and BPTT backward pass over all its steps.
//!
//! Invariants: effective weights are always `quantize(master, wb) * scale` (refreshed
//! by [`SurrogateNet::refresh`] after every update); the gradient on a master weight is
//! the gradient on its effective weight times `scale` (quantization is straight-through).

use super::config::SurrogateConfig;
use super::neuron::{CurrentLif, NeuronModel};
use super::projection::{self, Projection, Shape};
use super::wage::{clip_bound, nearest_power_of_two, quantizer};
use spikemem_arch::rng::Rng;

/// Largest number of f32 a network's weights and per-sample state may take (4 GiB).
pub const MAX_STATE_FLOATS: usize = 1 << 30;

pub struct Layer {
    pub proj: Box<dyn Projection>,
    /// Master weights, within +-clip_bound(weight_bits).
    pub weights: Vec<f32>,
    /// Forward weight = quantize(master) * scale: the power of two nearest sqrt(3 / fan_in).
    pub scale: f32,
    effective: Vec<f32>,
}

pub struct SurrogateNet {
    pub cfg: SurrogateConfig,
    pub input_shape: Shape,
    pub layers: Vec<Layer>,
    neuron: Box<dyn NeuronModel>,
}

/// One sample's state: per layer current, spikes, backward trace (steps x n_out), and
/// the gradients on the effective weights accumulated since the last update.
pub struct Work {
    current: Vec<Vec<f32>>,
    pub spikes: Vec<Vec<f32>>,
    trace: Vec<Vec<f32>>,
    grad_a: Vec<f32>,
    grad_b: Vec<f32>,
    pub grad_w: Vec<Vec<f32>>,
}

/// The neuron model of `[surrogate]` (the one registration point for new models).
fn neuron_model(c: &SurrogateConfig) -> Box<dyn NeuronModel> {
    Box::new(CurrentLif {
        alpha: c.alpha,
        beta: c.beta,
        threshold: c.threshold,
        reset: c.reset,
        surrogate_scale: c.surrogate_scale,
        activation_bits: c.activation_bits,
    })
}

impl SurrogateNet {
    /// Builds the layers of `cfg` on inputs of `input_shape`, weights uniform in
    /// +-init_range from stream (seed, 3).
    pub fn new(cfg: &SurrogateConfig, input_shape: Shape) -> Result<Self, String> {
        let mut rng = Rng::stream(cfg.seed, 3);
        let mut shape = input_shape;
        let mut layers = Vec::new();
        let bound = clip_bound(cfg.weight_bits);
        let mut floats = 0usize;
        for (i, spec) in cfg.layers.iter().enumerate() {
            let proj = projection::build(i, spec, shape)?;
            // Weights x 4 (master, effective, gradient, optimizer) + 5 arrays over time.
            floats = floats.saturating_add(proj.n_weights().saturating_mul(4));
            floats =
                floats.saturating_add(proj.n_out().max(proj.n_in()).saturating_mul(cfg.steps * 5));
            if floats > MAX_STATE_FLOATS {
                return Err(format!(
                    "surrogate.layers[..={i}] with surrogate.steps = {} need more than {} GiB of state",
                    cfg.steps,
                    (MAX_STATE_FLOATS * 4) >> 30
                ));
            }
            let r = cfg.init_range;
            let weights = (0..proj.n_weights())
                .map(|_| ((2.0 * rng.next_f32() - 1.0) * r).clamp(-bound, bound))
                .collect();
            shape = proj.out_shape();
            layers.push(Layer::new(proj, weights));
        }
        let mut net = SurrogateNet {
            cfg: cfg.clone(),
            input_shape,
            layers,
            neuron: neuron_model(cfg),
        };
        net.refresh();
        Ok(net)
    }

    /// A network with the given master weights (from a model file); lengths must match.
    pub fn with_weights(
        cfg: &SurrogateConfig,
        input_shape: Shape,
        weights: Vec<Vec<f32>>,
    ) -> Result<Self, String> {
        let mut net = Self::new(cfg, input_shape)?;
        if weights.len() != net.layers.len() {
            return Err(format!(
                "{} weight arrays for {} layers",
                weights.len(),
                net.layers.len()
            ));
        }
        for (i, (l, w)) in net.layers.iter_mut().zip(weights).enumerate() {
            if w.len() != l.weights.len() {
                return Err(format!(
                    "layer {i}: {} weights, the geometry needs {}",
                    w.len(),
                    l.weights.len()
                ));
            }
            l.weights = w;
        }
        net.refresh();
        Ok(net)
    }

    /// Recomputes the effective weights from the master weights.
    pub fn refresh(&mut self) {
        let q = quantizer(self.cfg.weight_bits);
        for l in &mut self.layers {
            for (e, &w) in l.effective.iter_mut().zip(&l.weights) {
                *e = q(w) * l.scale;
            }
        }
    }

    pub fn n_outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.proj.n_out())
    }

    pub fn work(&self) -> Work {
        let st = self.cfg.steps;
        let per = |f: &dyn Fn(&Layer) -> usize| {
            self.layers
                .iter()
                .map(|l| vec![0.0f32; f(l)])
                .collect::<Vec<_>>()
        };
        let widest = self
            .layers
            .iter()
            .map(|l| l.proj.n_in().max(l.proj.n_out()))
            .max()
            .unwrap_or(0);
        Work {
            current: per(&|l| st * l.proj.n_out()),
            spikes: per(&|l| st * l.proj.n_out()),
            trace: per(&|l| st * l.proj.n_out()),
            grad_a: vec![0.0; st * widest],
            grad_b: vec![0.0; st * widest],
            grad_w: per(&|l| l.weights.len()),
        }
    }

    /// Runs one sample (input: steps x n_inputs); returns spikes per layer. The output
    /// spikes are `work.spikes.last()`.
    pub fn forward(&self, input: &[f32], work: &mut Work) -> Vec<u64> {
        let mut counts = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let (before, rest) = work.spikes.split_at_mut(i);
            let x = if i == 0 { input } else { &before[i - 1] };
            l.proj.forward(&l.effective, x, &mut work.current[i]);
            counts.push(self.neuron.forward(
                l.proj.n_out(),
                &work.current[i],
                &mut rest[0],
                &mut work.trace[i],
            ));
        }
        counts
    }

    /// BPTT after [`forward`](Self::forward): given dL/d(output spikes), adds every
    /// layer's dL/d(effective weights) to `work.grad_w` (times `scale` = dL/d(master)).
    pub fn backward(&self, input: &[f32], grad_out: &[f32], work: &mut Work) {
        let last = self.layers.len() - 1;
        let n = grad_out.len();
        work.grad_a[..n].copy_from_slice(grad_out);
        for i in (0..=last).rev() {
            let l = &self.layers[i];
            let (no, ni) = (l.proj.n_out(), l.proj.n_in());
            let st = self.cfg.steps;
            // grad_a: dL/dspikes of layer i -> grad_b: dL/dcurrent.
            self.neuron.backward(
                no,
                &work.grad_a[..st * no],
                &work.trace[i],
                &mut work.grad_b[..st * no],
            );
            let x = if i == 0 { input } else { &work.spikes[i - 1] };
            let gx = (i > 0).then_some(&mut work.grad_a[..st * ni]);
            l.proj.backward(
                &l.effective,
                x,
                &work.grad_b[..st * no],
                &mut work.grad_w[i],
                gx,
            );
        }
    }
}

impl Layer {
    fn new(proj: Box<dyn Projection>, weights: Vec<f32>) -> Self {
        let scale = nearest_power_of_two((3.0 / proj.fan_in().max(1) as f32).sqrt());
        let effective = vec![0.0; weights.len()];
        Layer {
            proj,
            weights,
            scale,
            effective,
        }
    }
}
