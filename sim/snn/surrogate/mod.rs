//! Surrogate-gradient training (Schaefer et al., ISCAS 2020; their reference code
//! github.com/Intelligent-Microsystems-Lab/QuantizedSNNs), selected by
//! `snn.model = "surrogate_gradient"` and configured by `[surrogate]`.
//!
//! # The network
//! Layers of current-based LIF neurons fed by projections (dense or convolutional), all
//! steps of a sample unrolled in time (`neuron.rs`):
//! ```text
//! syn[t+1] = alpha syn[t] + (W x)[t]                   alpha = 0.75
//! mem[t+1] = beta mem[t] + syn[t] - reset s[t]         beta = 0.875, reset = 1
//! s[t] = (mem[t] - threshold > 0)                       threshold = 0.9
//! ds/du ~ 1 / (100 |u| + 1)^2, u = mem - threshold      SuperSpike surrogate
//! ```
//! Loss (`loss.rs`): van Rossum distance of output and target rasters (filter
//! f <- 0.875 f + s, D = sqrt(sum (f_out - f_target)^2 / 5 ms)) for the raster task;
//! cross-entropy of the output spike counts for classification. Weights, activations
//! and gradients are WAGE-quantized (`wage.rs`); SGD or Adamax (`optim.rs`) update
//! master weights; BPTT (`network.rs`, `train.rs`).
//!
//! # Invariants
//! - Arrays over time are step-major: (t, i) of n neurons at t * n + i.
//! - A projection's backward is the exact transpose of its forward (conv = its dense
//!   unrolling, tested); the neuron's backward is the exact gradient of the network
//!   with the spike's derivative replaced by the surrogate (tested by finite differences).
//! - Forward weights = quantize(master, wb) x layer scale, refreshed after every update.
//! - Everything random comes from streams of `surrogate.seed`: same config, same
//!   result, bit for bit.
//!
//! # Files
//! `config.rs` (`[surrogate]`), `neuron.rs`, `projection.rs` + `dense.rs` + `conv.rs`,
//! `loss.rs`, `wage.rs`, `optim.rs`, `task.rs` (inputs and targets), `network.rs`,
//! `train.rs`, `model.rs` (HDF5), `cli.rs` (`train` / `eval`), `bench.rs` (`bench snn`).

pub mod bench;
pub mod cli;
pub mod config;
pub mod conv;
pub mod dense;
pub mod loss;
pub mod model;
pub mod network;
pub mod neuron;
pub mod optim;
pub mod projection;
pub mod task;
pub mod train;
pub mod wage;

pub use config::SurrogateConfig;

/// Commands that run Diehl & Cook networks refuse a surrogate-gradient config (they
/// would run a Diehl & Cook network silently): exit 2 naming the config.
pub fn refuse(loaded: &crate::config::Loaded, command: &str) -> anyhow::Result<()> {
    if loaded.config.snn.model == crate::snn::config::SnnModel::SurrogateGradient {
        return Err(crate::error::input_error(format!(
            "{}: snn.model = \"surrogate_gradient\" is not accepted by `spikemem {command}` yet; \
             accepted: diehl_cook, fspinn (train and evaluate it with `spikemem train` / `spikemem eval`)",
            loaded.source
        )));
    }
    Ok(())
}
