//! The SNN engine: Diehl & Cook STDP networks, the FSpiNN optimizations,
//! quantization, datasets, training and evaluation.
//!
//! # Structure
//! - [`network`]: the network as a petgraph graph (populations = nodes, projections =
//!   edges with connectivity, initial weights, target conductance, delay, plasticity);
//!   [`network::build`] makes the Diehl & Cook network or its FSpiNN variant from `[snn]`.
//! - [`engine`]: [`engine::Network`] simulates any such graph (conductance LIF neurons,
//!   adaptive threshold, Poisson input, STDP, normalization, the rate-raising repeat rule).
//! - [`train`]: STDP training, label assignment, prediction, (parallel) evaluation.
//! - [`surrogate`]: surrogate-gradient BPTT (Schaefer et al. 2020), dense and conv layers.
//! - [`quant`]: fixed-point weights; [`dataset`]: IDX loaders and the embedded sample;
//!   [`model_io`]: HDF5 models; [`bench`]: speed figures.
//!
//! # Interface to the hardware side
//! Per timestep spikes, through an observer (no allocation per step):
//! ```ignore
//! pub trait StepObserver {
//!     fn on_presentation(&mut self, sample: usize, repeat: u32) {}      // a presentation starts
//!     fn on_step(&mut self, step: u32, spikes: &StepSpikes<'_>) {}       // every dt step
//!     fn on_sample(&mut self, record: &SampleRecord) {}                  // after each sample
//! }
//! StepSpikes::num_populations() / population(p) -> &[u32] (ids ascending) / name(p)
//! SampleRecord { index, label, prediction: Option<u8>, spike_counts: Vec<u32>, repeats, ops: OpCounts }
//! OpCounts { neuron_updates, synaptic_ops, weight_updates, normalization_updates,
//!            input_spikes, neuron_spikes, presentations }
//! ```
//! Population indices are the graph's node indices (`Network::population_names()`):
//! 0 = "input" (784 Poisson), 1 = "exc", 2 = "inh" (absent with direct inhibition).
//! Drive it with `train::evaluate_observed(&mut net, &set, &mut obs)` (inference) or
//! `Network::run_sample(image, index, key, learn, &mut obs)` (one sample; `learn` = STDP on).
//!
//! Weights, per projection `p: ProjId` (0..`num_projections()`, `find_projection(name)`,
//! `input_projection()`):
//! - `projection_info(p) -> ProjectionInfo { name, pre_population, post_population,
//!   pre_size, post_size, connectivity, shared, plastic, delay_steps, per_synapse_delays,
//!   max_delay_steps, synapses, bits, frac_bits, memory_bits }`;
//! - `delays(p) -> Option<&[u16]>`: per-synapse delays in dt steps (row-major pre x post),
//!   when `snn.input_delay_max_ms` > 0 (spikes are reported at emission, not arrival);
//! - `weights(p) -> Vec<f32>`: row-major pre x post (absent synapses 0);
//! - `codes(p) -> Option<(Vec<u32>, bits)>`: fixed-point codes, value = code / 2^frac_bits;
//! - `set_weights(p, &[f32])`, `set_codes(p, &[u32])`: hand in weights read back from
//!   (faulty) memory; `weight_memory_bits()`: total footprint.
//!
//! Determinism: a sample's Poisson input comes from its own stream (seed, sample key), and
//! inference starts each sample from rest, so results do not depend on thread count.

pub mod bench;
pub mod budget;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod encoder;
pub mod engine;
pub mod fat;
mod h5str;
pub mod model_io;
pub mod network;
pub mod quant;
pub mod stdp;
pub mod surrogate;
pub mod train;

pub use config::{DataConfig, SnnConfig};
pub use engine::{
    Network, OpCounts, ProjId, ProjectionInfo, SampleRecord, StepObserver, StepSpikes,
};
