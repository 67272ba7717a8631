//! Current-based leaky integrate-and-fire neurons with reset by subtraction: the
//! neurons of Schaefer et al. (2020) and of surrogate-gradient SNNs generally.
//!
//! Per step, with I the synaptic input delivered in the previous step (W x):
//! mem <- beta mem + syn - reset s; syn <- alpha syn + I; s = (mem > threshold).
//! The membrane sees the synaptic current of the previous step, and a spike subtracts
//! `reset` from the membrane at the next update (as the reference code, which detaches
//! the reset from the gradient). Both inputs (excitatory and inhibitory targets) add to
//! the same current: weights carry their sign. No refractory period, no adaptation;
//! the rest period decays syn and mem in closed form.

use super::NeuronModel;
use crate::snn::network::Target;

/// A population of current-based LIF neurons (see the module docs).
#[derive(Clone, Debug)]
pub struct CurrentLif {
    alpha: f32,
    beta: f32,
    threshold: f32,
    reset: f32,
    syn: Vec<f32>,
    mem: Vec<f32>,
    /// 1.0 where the neuron fired in the last step (its reset is still to subtract).
    fired: Vec<f32>,
    input: Vec<f32>,
}

impl CurrentLif {
    /// `alpha`, `beta`: per-step decay of the synaptic current and of the membrane.
    pub fn new(size: usize, alpha: f32, beta: f32, threshold: f32, reset: f32) -> Self {
        CurrentLif {
            alpha,
            beta,
            threshold,
            reset,
            syn: vec![0.0; size],
            mem: vec![0.0; size],
            fired: vec![0.0; size],
            input: vec![0.0; size],
        }
    }
    pub fn membrane(&self) -> &[f32] {
        &self.mem
    }
}

impl NeuronModel for CurrentLif {
    fn size(&self) -> usize {
        self.mem.len()
    }
    fn input_mut(&mut self, _target: Target) -> &mut [f32] {
        &mut self.input
    }
    fn input(&self, _target: Target) -> &[f32] {
        &self.input
    }
    fn step(&mut self, _learn: bool, out: &mut Vec<u32>) {
        out.clear();
        let n = self.mem.len();
        let (syn, mem, fired, input) = (
            &mut self.syn[..n],
            &mut self.mem[..n],
            &mut self.fired[..n],
            &mut self.input[..n],
        );
        let mut any = false;
        for j in 0..n {
            let m = self.beta * mem[j] + syn[j] - self.reset * fired[j];
            syn[j] = self.alpha * syn[j] + input[j];
            input[j] = 0.0;
            mem[j] = m;
            let s = m > self.threshold;
            fired[j] = s as u8 as f32;
            any |= s;
        }
        if any {
            out.extend((0..n).filter(|&j| fired[j] != 0.0).map(|j| j as u32));
        }
    }
    fn rest(&mut self, steps: usize) {
        if steps == 0 {
            return;
        }
        // The first step takes the pending reset and input; then, with no input,
        // mem_n = beta^n mem + syn (beta^n - alpha^n) / (beta - alpha), syn_n = alpha^n syn.
        let n = steps as i32 - 1;
        let (a, b) = (self.alpha as f64, self.beta as f64);
        let (an, bn) = (a.powi(n), b.powi(n));
        let gain = if (b - a).abs() > 1e-12 {
            (bn - an) / (b - a)
        } else {
            n as f64 * b.powi(n - 1)
        };
        for j in 0..self.mem.len() {
            let m1 = self.beta * self.mem[j] + self.syn[j] - self.reset * self.fired[j];
            let s1 = self.alpha * self.syn[j] + self.input[j];
            self.mem[j] = (bn * m1 as f64 + gain * s1 as f64) as f32;
            self.syn[j] = (an * s1 as f64) as f32;
        }
        self.fired.fill(0.0);
        self.input.fill(0.0);
    }
    fn reset(&mut self) {
        self.syn.fill(0.0);
        self.mem.fill(0.0);
        self.fired.fill(0.0);
        self.input.fill(0.0);
    }
    fn state_vectors(&self) -> Vec<(&'static str, &[f32])> {
        vec![
            ("syn", &self.syn),
            ("mem", &self.mem),
            ("fired", &self.fired),
            ("input", &self.input),
        ]
    }
    fn state_vectors_mut(&mut self) -> Vec<(&'static str, &mut Vec<f32>)> {
        vec![
            ("syn", &mut self.syn),
            ("mem", &mut self.mem),
            ("fired", &mut self.fired),
            ("input", &mut self.input),
        ]
    }
    fn clone_box(&self) -> Box<dyn NeuronModel> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_neuron_by_hand() {
        // alpha 0.75, beta 0.875, threshold 0.9, reset 1; input 1.0 delivered once.
        let mut n = CurrentLif::new(1, 0.75, 0.875, 0.9, 1.0);
        let mut out = Vec::new();
        n.input_mut(Target::Excitatory)[0] = 1.0;
        n.step(false, &mut out); // mem = 0 + 0; syn = 1
        assert_eq!((n.mem[0], n.syn[0]), (0.0, 1.0));
        n.input_mut(Target::Excitatory)[0] = 1.0;
        n.step(false, &mut out); // mem = 1 (> 0.9: spike); syn = 0.75 + 1
        assert_eq!((n.mem[0], n.syn[0]), (1.0, 1.75));
        assert_eq!(out, vec![0]);
        n.step(false, &mut out); // mem = 0.875 + 1.75 - 1 = 1.625: spike; syn = 1.3125
        assert_eq!(n.mem[0], 1.625);
        assert_eq!(out, vec![0]);
        n.step(false, &mut out); // mem = 0.875 * 1.625 + 1.3125 - 1
        assert!((n.mem[0] - (0.875 * 1.625 + 1.3125 - 1.0)).abs() < 1e-6);
    }

    #[test]
    fn rest_in_closed_form_equals_stepping() {
        // No spikes during rest (threshold out of reach); one reset and one input pending.
        let mut a = CurrentLif::new(3, 0.75, 0.875, 1e9, 1.0);
        a.mem.copy_from_slice(&[0.5, -0.25, 2.0]);
        a.syn.copy_from_slice(&[0.3, 1.0, -0.5]);
        a.fired[2] = 1.0;
        a.input[1] = 0.7;
        let mut b = a.clone();
        let mut out = Vec::new();
        for _ in 0..40 {
            a.step(false, &mut out);
        }
        b.rest(40);
        for j in 0..3 {
            assert!(
                (a.mem[j] - b.mem[j]).abs() < 1e-6,
                "{} {}",
                a.mem[j],
                b.mem[j]
            );
            assert!((a.syn[j] - b.syn[j]).abs() < 1e-6);
        }
    }
}
