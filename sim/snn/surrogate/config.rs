//! `[surrogate]`: the surrogate-gradient network, its task, quantization and optimizer.
//! Defaults are the values of Schaefer et al. 2020 and their reference code (a 700 ->
//! 400 -> 250 current-based LIF network trained by BPTT to reproduce a target raster);
//! the keys the paper does not fix (target raster, learning rate) say so.

use serde::{Deserialize, Serialize};

/// `[[surrogate.layers]]` entry kind.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Dense,
    Conv,
}

/// One layer: a projection from the previous layer (or the input) onto a LIF population.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    pub kind: LayerKind,
    /// Dense: the number of neurons.
    #[serde(default)]
    pub size: usize,
    /// Conv: output channels (the output is channels x out_height x out_width neurons).
    #[serde(default)]
    pub out_channels: usize,
    /// Conv: square kernel side (pixels).
    #[serde(default = "one")]
    pub kernel: usize,
    /// Conv: stride (pixels).
    #[serde(default = "one")]
    pub stride: usize,
    /// Conv: zero padding on each side (pixels).
    #[serde(default)]
    pub padding: usize,
}

fn one() -> usize {
    1
}

/// What the network is trained to do.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Schaefer et al.: reproduce a target spike raster from a fixed input raster
    /// (loss: van Rossum distance).
    Raster,
    /// Classify `[data]` images (rate-coded pixels; loss: cross-entropy of the output
    /// spike counts).
    Classify,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    Sgd,
    Adamax,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SurrogateConfig {
    pub task: TaskKind,
    /// Raster task: input neurons (paper: 700). Classify: ignored (pixels of the images).
    pub inputs: usize,
    /// Simulated steps per sample (paper: 250).
    pub steps: usize,
    /// Step length in ms (paper: 1 ms); documents the time axis, the update is per step.
    pub dt_ms: f32,
    /// Synaptic current decay per step (paper: 0.75).
    pub alpha: f32,
    /// Membrane decay per step (paper: 0.875).
    pub beta: f32,
    /// Spike when membrane > threshold (paper: 0.9); reset subtracts `reset`.
    pub threshold: f32,
    /// Subtracted from the membrane after a spike (paper: 1).
    pub reset: f32,
    /// SuperSpike steepness: surrogate derivative 1 / (scale |u| + 1)^2 (paper: 100).
    pub surrogate_scale: f32,
    /// van Rossum filter decay per step, f <- decay f + s (reference code: 0.875).
    pub van_rossum_decay: f32,
    /// van Rossum time constant (reference code: 5 ms); loss = sqrt(sum (df)^2 / tau_s).
    pub van_rossum_tau_ms: f32,
    /// Weight bits, WAGE (2..=16; 32 = float). Reference code: 2.
    pub weight_bits: u32,
    /// Activation bits (syn and mem), WAGE (2..=16; 32 = float). Reference code: 8.
    pub activation_bits: u32,
    /// Gradient bits, WAGE (2..=16; 32 = float). Reference code: 8.
    pub gradient_bits: u32,
    /// Master weights start uniform in +-init_range (before quantization; the
    /// reference's 1.5 / 2^(wb-1) at 2 bits).
    pub init_range: f32,
    pub optimizer: Optimizer,
    /// Learning rate (per update, on master weights in [-1, 1]); ours, not the paper's.
    pub learning_rate: f32,
    /// Adamax moment decays (reference: 0.9, 0.999).
    pub adamax_beta1: f32,
    pub adamax_beta2: f32,
    pub epochs: u32,
    /// Classify: samples per weight update.
    pub batch_size: usize,
    pub seed: u64,
    /// Raster task: probability of an input spike per neuron and step (0.025 = 25 Hz at 1 ms).
    pub input_spike_prob: f32,
    /// Raster task: the target raster is this embedded MNIST test digit (index 0..200)
    /// scaled to outputs x steps; a lit pixel (>= 128) holds a spike with probability
    /// `target_spike_prob` (seeded). Ours: the reference used its own pictures.
    pub target_digit: usize,
    pub target_spike_prob: f32,
    /// Classify: a pixel p (0..255) spikes per step with probability p / 255 * max_rate_prob.
    pub max_rate_prob: f32,
    pub layers: Vec<LayerSpec>,
}

impl Default for SurrogateConfig {
    fn default() -> Self {
        SurrogateConfig {
            task: TaskKind::Raster,
            inputs: 700,
            steps: 250,
            dt_ms: 1.0,
            alpha: 0.75,
            beta: 0.875,
            threshold: 0.9,
            reset: 1.0,
            surrogate_scale: 100.0,
            van_rossum_decay: 0.875,
            van_rossum_tau_ms: 5.0,
            weight_bits: 2,
            activation_bits: 8,
            gradient_bits: 8,
            init_range: 0.75,
            optimizer: Optimizer::Sgd,
            learning_rate: 0.05,
            adamax_beta1: 0.9,
            adamax_beta2: 0.999,
            epochs: 100,
            batch_size: 16,
            seed: 1,
            input_spike_prob: 0.025,
            target_digit: 0,
            target_spike_prob: 0.3,
            max_rate_prob: 0.5,
            layers: vec![dense(400), dense(250)],
        }
    }
}

fn dense(size: usize) -> LayerSpec {
    LayerSpec {
        kind: LayerKind::Dense,
        size,
        out_channels: 0,
        kernel: 1,
        stride: 1,
        padding: 0,
    }
}

/// Largest neurons per layer and steps accepted (bounds the BPTT state, steps x neurons).
pub const MAX_NEURONS: usize = 1 << 20;
pub const MAX_STEPS: usize = 100_000;

fn check(ok: bool, key: &str, v: impl std::fmt::Display, accepted: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("surrogate.{key} = {v} is not accepted: {accepted}"))
    }
}

fn bits_ok(b: u32) -> bool {
    (2..=16).contains(&b) || b == 32
}

impl SurrogateConfig {
    pub fn validate(&self) -> Result<(), String> {
        let unit = |v: f32| v.is_finite() && (0.0..1.0).contains(&v);
        let pos = |v: f32| v.is_finite() && v > 0.0;
        check(
            (1..=MAX_NEURONS).contains(&self.inputs),
            "inputs",
            self.inputs,
            "1..=1048576",
        )?;
        check(
            (1..=MAX_STEPS).contains(&self.steps),
            "steps",
            self.steps,
            "1..=100000",
        )?;
        check(pos(self.dt_ms), "dt_ms", self.dt_ms, "a finite number > 0")?;
        check(unit(self.alpha), "alpha", self.alpha, "0 <= alpha < 1")?;
        check(unit(self.beta), "beta", self.beta, "0 <= beta < 1")?;
        check(
            pos(self.threshold),
            "threshold",
            self.threshold,
            "a finite number > 0",
        )?;
        check(pos(self.reset), "reset", self.reset, "a finite number > 0")?;
        check(
            pos(self.surrogate_scale),
            "surrogate_scale",
            self.surrogate_scale,
            "a finite number > 0",
        )?;
        check(
            unit(self.van_rossum_decay),
            "van_rossum_decay",
            self.van_rossum_decay,
            "0 <= decay < 1",
        )?;
        check(
            pos(self.van_rossum_tau_ms),
            "van_rossum_tau_ms",
            self.van_rossum_tau_ms,
            "a finite number > 0",
        )?;
        for (k, b) in [
            ("weight_bits", self.weight_bits),
            ("activation_bits", self.activation_bits),
            ("gradient_bits", self.gradient_bits),
        ] {
            check(bits_ok(b), k, b, "2..=16, or 32 for float")?;
        }
        check(
            pos(self.init_range) && self.init_range <= 1.0,
            "init_range",
            self.init_range,
            "0 < range <= 1",
        )?;
        check(
            pos(self.learning_rate),
            "learning_rate",
            self.learning_rate,
            "a finite number > 0",
        )?;
        check(
            unit(self.adamax_beta1),
            "adamax_beta1",
            self.adamax_beta1,
            "0 <= beta1 < 1",
        )?;
        check(
            unit(self.adamax_beta2),
            "adamax_beta2",
            self.adamax_beta2,
            "0 <= beta2 < 1",
        )?;
        check(
            (1..=100_000).contains(&self.epochs),
            "epochs",
            self.epochs,
            "1..=100000",
        )?;
        check(
            (1..=100_000).contains(&self.batch_size),
            "batch_size",
            self.batch_size,
            "1..=100000",
        )?;
        let prob = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        check(
            prob(self.input_spike_prob),
            "input_spike_prob",
            self.input_spike_prob,
            "0..=1",
        )?;
        check(
            prob(self.target_spike_prob),
            "target_spike_prob",
            self.target_spike_prob,
            "0..=1",
        )?;
        check(
            prob(self.max_rate_prob),
            "max_rate_prob",
            self.max_rate_prob,
            "0..=1",
        )?;
        check(
            self.target_digit < 200,
            "target_digit",
            self.target_digit,
            "0..=199 (the embedded test digits)",
        )?;
        check(
            !self.layers.is_empty() && self.layers.len() <= 16,
            "layers",
            self.layers.len(),
            "1..=16 [[surrogate.layers]] tables",
        )?;
        for (i, l) in self.layers.iter().enumerate() {
            let key = |k: &str| format!("layers[{i}].{k}");
            match l.kind {
                LayerKind::Dense => {
                    check(
                        (1..=MAX_NEURONS).contains(&l.size),
                        &key("size"),
                        l.size,
                        "1..=1048576 (dense layers need a size)",
                    )?;
                }
                LayerKind::Conv => {
                    check(
                        (1..=1024).contains(&l.out_channels),
                        &key("out_channels"),
                        l.out_channels,
                        "1..=1024 (conv layers need out_channels)",
                    )?;
                    check(
                        (1..=64).contains(&l.kernel),
                        &key("kernel"),
                        l.kernel,
                        "1..=64",
                    )?;
                    check(
                        (1..=64).contains(&l.stride),
                        &key("stride"),
                        l.stride,
                        "1..=64",
                    )?;
                    check(
                        l.padding < l.kernel,
                        &key("padding"),
                        l.padding,
                        "0..kernel",
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
// Tests start from the defaults and change the fields under test, one per line.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers_network_and_validate() {
        let c = SurrogateConfig::default();
        c.validate().unwrap();
        assert_eq!((c.inputs, c.steps), (700, 250));
        assert_eq!(
            c.layers.iter().map(|l| l.size).collect::<Vec<_>>(),
            [400, 250]
        );
        assert_eq!((c.alpha, c.beta, c.threshold), (0.75, 0.875, 0.9));
    }

    #[test]
    fn bad_values_name_key_and_range() {
        let mut c = SurrogateConfig::default();
        c.weight_bits = 1;
        let e = c.validate().unwrap_err();
        assert!(
            e.contains("surrogate.weight_bits = 1") && e.contains("32 for float"),
            "{e}"
        );
        let mut c = SurrogateConfig::default();
        c.layers[1].kind = LayerKind::Conv;
        let e = c.validate().unwrap_err();
        assert!(e.contains("surrogate.layers[1].out_channels"), "{e}");
    }
}
