//! Neuron models for surrogate-gradient training: a model runs one population over all
//! steps of a sample (forward), keeping what its backward pass needs in a trace, and
//! turns the loss gradient on its spikes into the gradient on its input current.
//! A new model is one more implementation of [`NeuronModel`] (and a registration in
//! `train.rs`); the projections and the training loop do not change.

use super::wage::quantizer;

/// Arrays are step-major: element (t, i) of a population of n is at t * n + i.
pub trait NeuronModel: Send + Sync {
    /// Runs `steps` steps of `n` neurons from rest, driven by `current` (steps x n);
    /// writes the spikes (0 or 1) to `spikes` and the model's backward trace to `trace`
    /// (steps x n). Returns the number of spikes.
    fn forward(&self, n: usize, current: &[f32], spikes: &mut [f32], trace: &mut [f32]) -> u64;

    /// Given dL/dspikes (steps x n) and the forward trace, writes dL/dcurrent (steps x n).
    fn backward(&self, n: usize, grad_spikes: &[f32], trace: &[f32], grad_current: &mut [f32]);
}

/// SuperSpike surrogate derivative of the spike with respect to u = mem - threshold.
pub fn superspike(u: f32, scale: f32) -> f32 {
    let d = scale * u.abs() + 1.0;
    1.0 / (d * d)
}

/// The current-based LIF of Schaefer et al. (per step, from syn = mem = 0):
/// ```text
/// u[t] = mem[t] - threshold;  s[t] = (u[t] > 0)
/// syn[t+1] = Q(alpha syn[t] + I[t])
/// mem[t+1] = Q(beta mem[t] + syn[t] - reset s[t])
/// ```
/// Q = activation quantization (straight-through in the backward pass); the reset is
/// not differentiated (as in the reference code). Backward, with g_syn[T] = g_mem[T] = 0:
/// ```text
/// g_mem[t] = beta g_mem[t+1] + superspike(u[t]) dL/ds[t]
/// g_syn[t] = alpha g_syn[t+1] + g_mem[t+1];   dL/dI[t] = g_syn[t+1]
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentLif {
    pub alpha: f32,
    pub beta: f32,
    pub threshold: f32,
    pub reset: f32,
    pub surrogate_scale: f32,
    pub activation_bits: u32,
}

impl NeuronModel for CurrentLif {
    fn forward(&self, n: usize, current: &[f32], spikes: &mut [f32], trace: &mut [f32]) -> u64 {
        let steps = current.len() / n.max(1);
        let mut syn = vec![0.0f32; n];
        let mut mem = vec![0.0f32; n];
        let mut count = 0u64;
        let q = quantizer(self.activation_bits);
        for t in 0..steps {
            let row = t * n..(t + 1) * n;
            let (cur, spk, tr) = (
                &current[row.clone()],
                &mut spikes[row.clone()],
                &mut trace[row],
            );
            for i in 0..n {
                let u = mem[i] - self.threshold;
                let s = u > 0.0;
                spk[i] = s as u8 as f32;
                count += s as u64;
                tr[i] = superspike(u, self.surrogate_scale);
                let new_syn = q(self.alpha * syn[i] + cur[i]);
                let reset = if s { self.reset } else { 0.0 };
                mem[i] = q(self.beta * mem[i] + syn[i] - reset);
                syn[i] = new_syn;
            }
        }
        count
    }

    fn backward(&self, n: usize, grad_spikes: &[f32], trace: &[f32], grad_current: &mut [f32]) {
        let steps = grad_spikes.len() / n.max(1);
        // g_mem / g_syn hold the values at t+1 while step t is processed.
        let mut g_mem = vec![0.0f32; n];
        let mut g_syn = vec![0.0f32; n];
        for t in (0..steps).rev() {
            let row = t * n..(t + 1) * n;
            let (gs, tr, gi) = (
                &grad_spikes[row.clone()],
                &trace[row.clone()],
                &mut grad_current[row],
            );
            for i in 0..n {
                gi[i] = g_syn[i];
                let syn_t = self.alpha * g_syn[i] + g_mem[i];
                g_mem[i] = self.beta * g_mem[i] + tr[i] * gs[i];
                g_syn[i] = syn_t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lif(bits: u32) -> CurrentLif {
        CurrentLif {
            alpha: 0.75,
            beta: 0.875,
            threshold: 0.9,
            reset: 1.0,
            surrogate_scale: 100.0,
            activation_bits: bits,
        }
    }

    #[test]
    fn forward_by_hand() {
        // I = 1 at t = 0 only: syn[t] = 0, 1, .75, .5625; mem[t] = 0, 0, 1, then
        // .875 + .75 - 1 = .625 after the spike at t = 2 (u = 0.1).
        let m = lif(32);
        let cur = [1.0, 0.0, 0.0, 0.0];
        let (mut s, mut tr) = ([0.0; 4], [0.0; 4]);
        assert_eq!(m.forward(1, &cur, &mut s, &mut tr), 1);
        assert_eq!(s, [0.0, 0.0, 1.0, 0.0]);
        // u[3] = .625 - .9.
        assert!(
            (tr[3] - 1.0 / (27.5f32 + 1.0).powi(2)).abs() < 1e-7,
            "{}",
            tr[3]
        );
        // u[2] = 0.1 -> 1 / (10 + 1)^2.
        assert!((tr[2] - 1.0 / 121.0).abs() < 1e-6, "{}", tr[2]);
        assert_eq!(superspike(-0.9, 100.0), 1.0 / (91.0 * 91.0));
    }

    /// dL/dI of L = sum_t c[t] * mem-based soft spike, checked against finite differences:
    /// with the spike replaced by a smooth function whose derivative is the surrogate,
    /// the backward pass is the exact gradient (no spike is emitted, so no reset).
    #[test]
    fn backward_matches_finite_differences_of_the_smoothed_neuron() {
        let m = lif(32);
        let steps = 6;
        let cur = [0.3, -0.1, 0.2, 0.05, 0.0, 0.1];
        let c = [0.5, -1.0, 2.0, 0.7, -0.3, 1.1];
        // Smooth spike: sigma(u) with sigma' = superspike(u) (u < 0 throughout here).
        let sigma = |u: f64| 1.0 / (100.0 * (100.0 * u.abs() + 1.0));
        let loss = |cur: &[f32]| -> f64 {
            let (mut syn, mut mem, mut l) = (0.0f64, 0.0f64, 0.0f64);
            for t in 0..steps {
                l += c[t] as f64 * sigma(mem - 0.9);
                let ns = 0.75 * syn + cur[t] as f64;
                mem = 0.875 * mem + syn;
                syn = ns;
            }
            l
        };
        let (mut s, mut tr, mut g) = ([0.0; 6], [0.0; 6], [0.0; 6]);
        assert_eq!(m.forward(1, &cur, &mut s, &mut tr), 0);
        m.backward(1, &c, &tr, &mut g);
        for t in 0..steps {
            let h = 1e-3;
            let (mut a, mut b) = (cur, cur);
            a[t] += h;
            b[t] -= h;
            let fd = (loss(&a) - loss(&b)) / (2.0 * h as f64);
            assert!(
                (fd - g[t] as f64).abs() < 1e-3 * fd.abs().max(1e-4),
                "t {t}: fd {fd} vs {}",
                g[t]
            );
        }
        // The last step's current reaches no spike within the window.
        assert_eq!(g[5], 0.0);
        assert!(g[0] != 0.0);
    }
}
