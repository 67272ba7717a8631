//! spikemem: a cycle-level, discrete-event simulator of a digital neuromorphic
//! accelerator and its memory hierarchy. See README.md and DESIGN.md.

pub mod bench;
pub mod cli;
pub mod config;
pub mod dram_setup;
pub mod dramrun;
pub mod error;
pub mod failpoint;
pub mod kernel;
pub mod memtrace;
pub mod plot;
pub mod progress;
pub mod run_command;
pub mod select;
pub mod snapshot_file;
pub mod snn;
pub mod sweep;
pub mod system;
pub mod tolerance;
