//! spikemem-arch: hardware models of the neuromorphic accelerator and its memory.
//!
//! Every model here is a state machine with explicit time: it knows nothing of the
//! event queue, of the SNN, or of files. One module per component; each module owns
//! its config struct.

pub mod core;
pub mod dram;
pub mod encoding;
pub mod energy;
pub mod rng;
pub mod snapshot;
pub mod sram;
