//! `[snn]` and `[data]` config tables. Every constant of the Diehl & Cook network is a
//! key here (defaults = the reference values, see /work/shared/papers.md); the FSpiNN
//! switches default to the chosen `model` and can each be set on their own.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SnnModel {
    DiehlCook,
    Fspinn,
    /// Schaefer et al.'s surrogate-gradient network, configured by `[surrogate]`
    /// (`train` and `eval` only; the `[snn]` keys of Diehl & Cook do not apply).
    SurrogateGradient,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    Nearest,
    Truncate,
    Stochastic,
}

/// When quantization applies: after training only, or during training too (weights are
/// re-quantized after every update, so learning sees the fixed-point grid).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuantMode {
    PostTraining,
    Training,
}

/// Connectivity of the input -> excitatory projection.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InputConnectivity {
    AllToAll,
    /// Random mask with `input_density` of the synapses present.
    Sparse,
    /// Convolution-like geometry: each neuron sees one `local_kernel`^2 patch, patches
    /// tiled at `local_stride` and assigned to neurons round-robin.
    Local,
}

/// How the conductance-based LIF populations are integrated over a dt step (see the
/// engine's neuron module for the equations).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Integration {
    /// Exponential Euler for v with each conductance's step average; exact exponential
    /// decay of the conductances: the charge per input spike is the continuous
    /// equations' (w tau_g).
    #[default]
    Exact,
    /// Diehl & Cook's Brian code: forward Euler for v and the conductances
    /// (g <- g (1 - dt/tau_g)); the excitatory `timer` refractory on by default.
    Reference,
    /// The engine's scheme before issue 22 (figures measured before 2026-12-07): as
    /// `exact`, but the membrane sees each conductance's start-of-step value, which
    /// delivers 1.27x (tau_g 1 ms) / 1.13x (2 ms) the continuous charge per spike.
    Held,
}

/// Excitatory (adaptive LIF, conductance-based) neuron constants; mV and ms.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExcConfig {
    pub v_rest_mv: f32,
    pub v_reset_mv: f32,
    pub v_thresh_mv: f32,
    pub e_exc_mv: f32,
    pub e_inh_mv: f32,
    pub tau_mem_ms: f32,
    pub tau_ge_ms: f32,
    pub tau_gi_ms: f32,
    pub refractory_ms: f32,
    /// Threshold = v_thresh - theta_offset + theta.
    pub theta_init_mv: f32,
    pub theta_offset_mv: f32,
    pub theta_plus_mv: f32,
    pub tau_theta_ms: f32,
    /// Diehl & Cook's `timer` refractory: a timer runs at `timer_ms_per_s` ms per s,
    /// restarts at 0 on a spike, and a neuron fires only while timer > refractory_ms
    /// (with the defaults: not within 50 ms of its last spike). Unset = on with
    /// `snn.integration = "reference"`, off with `"exact"`.
    pub timer_refractory: Option<bool>,
    pub timer_ms_per_s: f32,
}

impl Default for ExcConfig {
    fn default() -> Self {
        ExcConfig {
            v_rest_mv: -65.0,
            v_reset_mv: -65.0,
            v_thresh_mv: -52.0,
            e_exc_mv: 0.0,
            e_inh_mv: -100.0,
            tau_mem_ms: 100.0,
            tau_ge_ms: 1.0,
            tau_gi_ms: 2.0,
            refractory_ms: 5.0,
            theta_init_mv: 20.0,
            theta_offset_mv: 20.0,
            theta_plus_mv: 0.05,
            tau_theta_ms: 1e7,
            timer_refractory: None,
            timer_ms_per_s: 100.0,
        }
    }
}

/// Inhibitory (LIF, conductance-based) neuron constants; mV and ms.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InhConfig {
    pub v_rest_mv: f32,
    pub v_reset_mv: f32,
    pub v_thresh_mv: f32,
    pub e_exc_mv: f32,
    pub e_inh_mv: f32,
    pub tau_mem_ms: f32,
    pub tau_ge_ms: f32,
    pub tau_gi_ms: f32,
    pub refractory_ms: f32,
}

impl Default for InhConfig {
    fn default() -> Self {
        InhConfig {
            v_rest_mv: -60.0,
            v_reset_mv: -45.0,
            v_thresh_mv: -40.0,
            e_exc_mv: 0.0,
            e_inh_mv: -85.0,
            tau_mem_ms: 10.0,
            tau_ge_ms: 1.0,
            tau_gi_ms: 2.0,
            refractory_ms: 2.0,
        }
    }
}

/// STDP on the input -> excitatory projection.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StdpConfig {
    /// Depression rate on a presynaptic spike (times post trace 1).
    pub nu_pre: f32,
    /// Potentiation rate on a postsynaptic spike (times pre trace times post trace 2).
    pub nu_post: f32,
    pub tau_pre_ms: f32,
    pub tau_post1_ms: f32,
    pub tau_post2_ms: f32,
    pub w_max: f32,
    /// Single-trace rule: on a post spike, dw = nu_post * (x_pre - single_trace_offset).
    pub single_trace_offset: f32,
    /// Timestep-based updates: pending updates are applied once per this interval.
    pub update_interval_ms: f32,
    /// Adaptive potentiation: factor = min(1, target / max spike count of the previous sample).
    pub adaptive_target_spikes: f32,
}

impl Default for StdpConfig {
    fn default() -> Self {
        StdpConfig {
            nu_pre: 1e-4,
            nu_post: 1e-2,
            tau_pre_ms: 20.0,
            tau_post1_ms: 20.0,
            tau_post2_ms: 40.0,
            w_max: 1.0,
            single_trace_offset: 0.15,
            update_interval_ms: 5.0,
            adaptive_target_spikes: 10.0,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SnnConfig {
    pub model: SnnModel,
    pub n_excitatory: usize,
    /// Weight precision in bits; 32 = float.
    pub weight_bits: u32,
    /// Fraction bits of the fixed-point weights (default: all of weight_bits).
    pub weight_frac_bits: Option<u32>,
    pub rounding: Rounding,
    pub quantization: QuantMode,
    pub epochs: u32,
    pub seed: u64,
    pub dt_ms: f32,
    /// Integration scheme of the LIF populations: `exact` (default) or Diehl & Cook's
    /// `reference` (forward Euler, timer refractory).
    pub integration: Integration,
    pub present_ms: f32,
    pub rest_ms: f32,
    /// Input rate = pixel / input_rate_div Hz (pixel 0..255).
    pub input_rate_div: f32,
    /// 0 = off (the reference). Otherwise each image's rates are scaled so that its mean
    /// pixel level is this value (MNIST's mean is ~33, Fashion-MNIST's ~73): every image
    /// then brings the same total input rate, however many of its pixels are lit.
    pub input_norm_mean: f32,
    /// When a sample evokes fewer than min_spikes excitatory spikes, add pixel/rate_increase_div Hz and repeat.
    pub rate_increase_div: f32,
    pub min_spikes: u32,
    pub max_repeats: u32,
    pub w_input_scale: f32,
    pub w_input_offset: f32,
    pub w_exc_inh: f32,
    pub w_inh_exc: f32,
    /// Effective strength of direct lateral inhibition (FSpiNN: exc -> other exc, on gi).
    pub w_direct_inhibition: f32,
    /// Each excitatory neuron's input weights are scaled to sum to this before each sample.
    pub norm_total: f32,
    pub input_connectivity: InputConnectivity,
    pub input_density: f32,
    pub local_kernel: usize,
    pub local_stride: usize,
    /// Delay of the input -> excitatory synapses (ms). With `input_delay_max_ms` > 0 it is
    /// the lower end of the per-synapse range.
    pub input_delay_ms: f32,
    /// 0 = off: every input synapse has the one delay `input_delay_ms`. > 0: per-synapse
    /// delays, each input -> excitatory synapse gets its own delay drawn uniformly from
    /// [input_delay_ms, input_delay_max_ms] (Diehl & Cook's code: [0, 10] ms), rounded to
    /// dt steps, from its own random stream of `seed` (so weights and input spikes stay
    /// those of the run without delays).
    pub input_delay_max_ms: f32,
    /// FSpiNN switches; unset = follow `model`.
    pub direct_inhibition: Option<bool>,
    pub timestep_updates: Option<bool>,
    pub single_trace: Option<bool>,
    pub adaptive_potentiation: Option<bool>,
    /// Training samples used to assign neuron labels after training (0 = all).
    pub label_samples: usize,
    /// Training accuracy is reported per this many samples.
    pub report_every: usize,
    /// Threads for evaluation (results do not depend on it).
    pub threads: usize,
    pub exc: ExcConfig,
    pub inh: InhConfig,
    pub stdp: StdpConfig,
}

impl Default for SnnConfig {
    fn default() -> Self {
        SnnConfig {
            model: SnnModel::DiehlCook,
            n_excitatory: 100,
            weight_bits: 32,
            weight_frac_bits: None,
            rounding: Rounding::Nearest,
            quantization: QuantMode::PostTraining,
            epochs: 1,
            seed: 1,
            dt_ms: 0.5,
            integration: Integration::Exact,
            present_ms: 350.0,
            rest_ms: 150.0,
            input_rate_div: 4.0,
            input_norm_mean: 0.0,
            rate_increase_div: 8.0,
            min_spikes: 5,
            max_repeats: 10,
            w_input_scale: 0.3,
            w_input_offset: 0.01,
            w_exc_inh: 10.4,
            w_inh_exc: 17.0,
            w_direct_inhibition: 17.0,
            norm_total: 78.0,
            input_connectivity: InputConnectivity::AllToAll,
            input_density: 1.0,
            local_kernel: 14,
            local_stride: 7,
            input_delay_ms: 0.0,
            input_delay_max_ms: 0.0,
            direct_inhibition: None,
            timestep_updates: None,
            single_trace: None,
            adaptive_potentiation: None,
            label_samples: 0,
            report_every: 1000,
            threads: 1,
            exc: ExcConfig::default(),
            inh: InhConfig::default(),
            stdp: StdpConfig::default(),
        }
    }
}

/// The FSpiNN switches after applying the model default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    pub direct_inhibition: bool,
    pub timestep_updates: bool,
    pub single_trace: bool,
    pub adaptive_potentiation: bool,
}

/// Upper bound of `snn.input_delay_max_ms` (the per-synapse delay ring holds this many
/// ms of future conductance per neuron).
pub const MAX_SYNAPSE_DELAY_MS: f32 = 100.0;
/// Upper bound of a per-synapse delay in dt steps (delays are stored as u16).
pub const MAX_SYNAPSE_DELAY_STEPS: usize = 4096;

fn pos(key: &str, v: f32) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "snn.{key} = {v} is not accepted: a finite number > 0"
        ))
    }
}

fn nonneg(key: &str, v: f32) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "snn.{key} = {v} is not accepted: a finite number >= 0"
        ))
    }
}

fn finite(key: &str, v: f32) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("snn.{key} = {v} is not accepted: a finite number"))
    }
}

impl SnnConfig {
    pub fn switches(&self) -> Switches {
        let f = self.model == SnnModel::Fspinn;
        Switches {
            direct_inhibition: self.direct_inhibition.unwrap_or(f),
            timestep_updates: self.timestep_updates.unwrap_or(f),
            single_trace: self.single_trace.unwrap_or(f),
            adaptive_potentiation: self.adaptive_potentiation.unwrap_or(f),
        }
    }

    /// Whether the excitatory `timer` refractory is modelled (`snn.exc.timer_refractory`,
    /// unset: on for the reference integration).
    pub fn timer_refractory(&self) -> bool {
        self.exc
            .timer_refractory
            .unwrap_or(self.integration == Integration::Reference)
    }

    /// Fraction bits in effect (None for float weights).
    pub fn frac_bits(&self) -> u32 {
        self.weight_frac_bits.unwrap_or(self.weight_bits)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.model == SnnModel::SurrogateGradient {
            // None of the Diehl & Cook keys below is used; `[surrogate]` is validated on its own.
            return Ok(());
        }
        if self.n_excitatory == 0 || self.n_excitatory > 100_000 {
            return Err(format!(
                "snn.n_excitatory = {} is not accepted: 1..=100000",
                self.n_excitatory
            ));
        }
        if !(1..=32).contains(&self.weight_bits) {
            return Err(format!(
                "snn.weight_bits = {} is not accepted: 1..=32 (32 = float)",
                self.weight_bits
            ));
        }
        if let Some(f) = self.weight_frac_bits {
            if f > self.weight_bits {
                return Err(format!(
                    "snn.weight_frac_bits = {f} is not accepted: 0..=weight_bits ({})",
                    self.weight_bits
                ));
            }
        }
        if self.epochs == 0 || self.epochs > 1000 {
            return Err(format!(
                "snn.epochs = {} is not accepted: 1..=1000",
                self.epochs
            ));
        }
        pos("dt_ms", self.dt_ms)?;
        if self.dt_ms > 10.0 {
            return Err(format!(
                "snn.dt_ms = {} is not accepted: 0 < dt_ms <= 10",
                self.dt_ms
            ));
        }
        pos("present_ms", self.present_ms)?;
        nonneg("rest_ms", self.rest_ms)?;
        if self.present_ms / self.dt_ms > 1e6 {
            return Err("snn.present_ms / snn.dt_ms is not accepted: at most 1e6 steps".into());
        }
        // The rest is booked in closed form, but its steps add to the step counter.
        if self.rest_ms / self.dt_ms > 1e9 {
            return Err(format!(
                "snn.rest_ms = {}: accepted: at most 1e9 steps of snn.dt_ms ({} ms)",
                self.rest_ms,
                1e9 * self.dt_ms as f64
            ));
        }
        pos("input_rate_div", self.input_rate_div)?;
        pos("rate_increase_div", self.rate_increase_div)?;
        nonneg("input_norm_mean", self.input_norm_mean)?;
        if self.input_norm_mean > 255.0 {
            return Err(format!(
                "snn.input_norm_mean = {} is not accepted: 0 (off) or a mean pixel level <= 255",
                self.input_norm_mean
            ));
        }
        if self.max_repeats > 100 {
            return Err(format!(
                "snn.max_repeats = {} is not accepted: 0..=100",
                self.max_repeats
            ));
        }
        nonneg("w_input_scale", self.w_input_scale)?;
        nonneg("w_input_offset", self.w_input_offset)?;
        nonneg("w_exc_inh", self.w_exc_inh)?;
        nonneg("w_inh_exc", self.w_inh_exc)?;
        nonneg("w_direct_inhibition", self.w_direct_inhibition)?;
        nonneg("norm_total", self.norm_total)?;
        if !(self.input_density > 0.0 && self.input_density <= 1.0) {
            return Err(format!(
                "snn.input_density = {} is not accepted: 0 < density <= 1",
                self.input_density
            ));
        }
        if self.local_kernel == 0 || self.local_stride == 0 {
            return Err("snn.local_kernel and snn.local_stride are not accepted: both >= 1".into());
        }
        nonneg("input_delay_ms", self.input_delay_ms)?;
        if self.input_delay_ms > 1000.0 {
            return Err(format!(
                "snn.input_delay_ms = {} is not accepted: 0..=1000",
                self.input_delay_ms
            ));
        }
        if !(self.input_delay_max_ms == 0.0
            || (self.input_delay_max_ms >= self.input_delay_ms
                && self.input_delay_max_ms <= MAX_SYNAPSE_DELAY_MS))
        {
            return Err(format!(
                "snn.input_delay_max_ms = {} is not accepted: 0 (off) or snn.input_delay_ms ({}) <= value <= {MAX_SYNAPSE_DELAY_MS} ms",
                self.input_delay_max_ms, self.input_delay_ms
            ));
        }
        if self.input_delay_max_ms / self.dt_ms > MAX_SYNAPSE_DELAY_STEPS as f32 {
            return Err(format!(
                "snn.input_delay_max_ms = {} is not accepted with snn.dt_ms = {}: at most {MAX_SYNAPSE_DELAY_STEPS} steps",
                self.input_delay_max_ms, self.dt_ms
            ));
        }
        if self.threads == 0 || self.threads > 256 {
            return Err(format!(
                "snn.threads = {} is not accepted: 1..=256",
                self.threads
            ));
        }
        if self.report_every == 0 {
            return Err("snn.report_every = 0 is not accepted: >= 1".into());
        }
        let e = &self.exc;
        for (k, v) in [
            ("exc.v_rest_mv", e.v_rest_mv),
            ("exc.v_reset_mv", e.v_reset_mv),
            ("exc.v_thresh_mv", e.v_thresh_mv),
            ("exc.e_exc_mv", e.e_exc_mv),
            ("exc.e_inh_mv", e.e_inh_mv),
            ("exc.theta_init_mv", e.theta_init_mv),
            ("exc.theta_offset_mv", e.theta_offset_mv),
            ("exc.theta_plus_mv", e.theta_plus_mv),
        ] {
            finite(k, v)?;
        }
        for (k, v) in [
            ("exc.tau_mem_ms", e.tau_mem_ms),
            ("exc.tau_ge_ms", e.tau_ge_ms),
            ("exc.tau_gi_ms", e.tau_gi_ms),
            ("exc.tau_theta_ms", e.tau_theta_ms),
            ("exc.timer_ms_per_s", e.timer_ms_per_s),
        ] {
            pos(k, v)?;
        }
        nonneg("exc.refractory_ms", e.refractory_ms)?;
        let i = &self.inh;
        for (k, v) in [
            ("inh.v_rest_mv", i.v_rest_mv),
            ("inh.v_reset_mv", i.v_reset_mv),
            ("inh.v_thresh_mv", i.v_thresh_mv),
            ("inh.e_exc_mv", i.e_exc_mv),
            ("inh.e_inh_mv", i.e_inh_mv),
        ] {
            finite(k, v)?;
        }
        for (k, v) in [
            ("inh.tau_mem_ms", i.tau_mem_ms),
            ("inh.tau_ge_ms", i.tau_ge_ms),
            ("inh.tau_gi_ms", i.tau_gi_ms),
        ] {
            pos(k, v)?;
        }
        nonneg("inh.refractory_ms", i.refractory_ms)?;
        if e.tau_mem_ms < self.dt_ms || i.tau_mem_ms < self.dt_ms {
            return Err("snn.exc.tau_mem_ms and snn.inh.tau_mem_ms are not accepted below snn.dt_ms (Euler would be unstable)".into());
        }
        let tau_g = [e.tau_ge_ms, e.tau_gi_ms, i.tau_ge_ms, i.tau_gi_ms];
        if self.integration == Integration::Reference && tau_g.iter().any(|&t| t < self.dt_ms) {
            return Err(format!(
                "snn.integration = \"reference\" is not accepted with a conductance time constant (snn.exc / snn.inh tau_ge_ms, tau_gi_ms) below snn.dt_ms ({}): forward Euler's g (1 - dt/tau) would turn negative",
                self.dt_ms
            ));
        }
        let s = &self.stdp;
        nonneg("stdp.nu_pre", s.nu_pre)?;
        nonneg("stdp.nu_post", s.nu_post)?;
        pos("stdp.tau_pre_ms", s.tau_pre_ms)?;
        pos("stdp.tau_post1_ms", s.tau_post1_ms)?;
        pos("stdp.tau_post2_ms", s.tau_post2_ms)?;
        pos("stdp.w_max", s.w_max)?;
        nonneg("stdp.single_trace_offset", s.single_trace_offset)?;
        pos("stdp.update_interval_ms", s.update_interval_ms)?;
        pos("stdp.adaptive_target_spikes", s.adaptive_target_spikes)?;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Mnist,
    FashionMnist,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub dataset: Dataset,
    /// IDX files (raw or .gz), relative to the config file's directory, or
    /// `builtin:mnist-sample/{train,test}-{images,labels}` (the sample in the binary).
    pub train_images: String,
    pub train_labels: String,
    pub test_images: String,
    pub test_labels: String,
    /// Samples used (0 = all in the file).
    pub train_samples: usize,
    pub test_samples: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dataset: Dataset::Mnist,
            train_images: "builtin:mnist-sample/train-images".into(),
            train_labels: "builtin:mnist-sample/train-labels".into(),
            test_images: "builtin:mnist-sample/test-images".into(),
            test_labels: "builtin:mnist-sample/test-labels".into(),
            train_samples: 1000,
            test_samples: 200,
        }
    }
}

impl DataConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (k, v) in [
            ("train_images", &self.train_images),
            ("train_labels", &self.train_labels),
            ("test_images", &self.test_images),
            ("test_labels", &self.test_labels),
        ] {
            if v.trim().is_empty() {
                return Err(format!(
                    "data.{k} is empty: a path to an IDX file (raw or .gz) or builtin:NAME"
                ));
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

    /// A rest of 1e20 ms overflowed the step counter (fuzz): refused with its key.
    #[test]
    fn an_absurd_rest_period_is_refused() {
        let mut c = SnnConfig::default();
        c.rest_ms = 1e20;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("snn.rest_ms") && e.contains("1e9 steps"), "{e}");
        c.rest_ms = 1e6;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn input_delay_max_is_validated_with_its_key_and_range() {
        let mut c = SnnConfig::default();
        c.input_delay_max_ms = 10.0;
        c.validate().unwrap();
        for bad in [-1.0, f32::NAN, 100.5] {
            c.input_delay_max_ms = bad;
            let e = c.validate().unwrap_err();
            assert!(
                e.contains("snn.input_delay_max_ms") && e.contains("<= 100 ms"),
                "{e}"
            );
        }
        c.input_delay_ms = 5.0;
        c.input_delay_max_ms = 4.0;
        let e = c.validate().unwrap_err();
        assert!(e.contains("snn.input_delay_ms (5)"), "{e}");
        c.input_delay_max_ms = 0.0;
        c.validate().unwrap();
        c.input_delay_max_ms = 100.0;
        c.dt_ms = 0.01;
        let e = c.validate().unwrap_err();
        assert!(e.contains("at most 4096 steps"), "{e}");
    }
}
