//! The DRAM subsystem: standards as data, bank/subarray state, the controller,
//! address mapping, DRAMPower-style energy, reduced-voltage tables and fault maps,
//! and an independent timing checker.

pub mod bank;
pub mod checker;
pub mod config;
pub mod controller;
pub mod faults;
pub mod mapping;
pub mod power;
pub mod standard;
pub mod stats;
pub mod timing;
pub mod voltage;

pub use config::DramConfig;
pub use standard::Standard;

/// Errors of the DRAM models. The CLI adds the file and key context.
#[derive(Debug, thiserror::Error)]
pub enum DramError {
    #[error("unknown DRAM standard preset `{0}`; known presets: {1}")]
    UnknownPreset(String, String),
    #[error("invalid DRAM standard: {0}")]
    InvalidStandard(String),
    #[error("invalid DRAM config: key `{key}`: {msg}")]
    InvalidConfig { key: String, msg: String },
    #[error("standard TOML: {0}")]
    Toml(#[from] toml::de::Error),
}
