//! The SNN engine: Diehl & Cook STDP networks, the FSpiNN optimizations,
//! quantization, datasets, training and evaluation.

pub mod cli;
pub mod config;

pub use config::{DataConfig, SnnConfig};
