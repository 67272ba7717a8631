//! The DRAM subsystem: standards as data, bank/subarray state, the controller,
//! address mapping, DRAMPower-style energy, reduced-voltage tables and fault maps,
//! and an independent timing checker.

pub mod bank;
pub mod checker;
pub mod config;
pub mod controller;
pub mod faults;
pub mod histogram;
pub mod mapping;
pub mod power;
pub mod queue;
pub mod scheduler;
pub mod standard;
pub mod stats;
pub mod timing;
pub mod voltage;
pub mod watchdog;

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

/// DRAM commands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Command {
    /// Activate (open) a row.
    ACT,
    /// Precharge (close) one bank (or, with SALP/MASA, one subarray).
    PRE,
    /// Precharge all banks of a rank.
    PREA,
    RD,
    WR,
    /// Read with auto-precharge.
    RDA,
    /// Write with auto-precharge.
    WRA,
    /// All-bank refresh.
    REF,
    /// MASA's subarray select (Kim et al., ISCA 2012: SA_SEL): connects an activated
    /// subarray's row buffer to the bank's global bitlines, for its column commands.
    SASEL,
    /// Power-down entry and exit of a rank (CKE low / high; fast exit, DLL on).
    PDE,
    PDX,
    /// Self-refresh entry and exit of a rank.
    SRE,
    SRX,
}

impl Command {
    /// The commands of the timing table (`timing::rules`): `cmd as usize` < `NCMD`
    /// indexes its arrays. The CKE commands (`POWER`) are timed by the controller's
    /// power-down logic instead and appear only in the command trace.
    pub const ALL: [Command; 9] = [
        Command::ACT,
        Command::PRE,
        Command::PREA,
        Command::RD,
        Command::WR,
        Command::RDA,
        Command::WRA,
        Command::REF,
        Command::SASEL,
    ];
    pub const POWER: [Command; 4] = [Command::PDE, Command::PDX, Command::SRE, Command::SRX];
    /// Every command a command trace may hold: `ALL`, then `POWER`.
    pub const LOGGED: [Command; 13] = {
        let n = Command::ALL.len();
        let mut v = [Command::ACT; 13];
        let mut i = 0;
        while i < v.len() {
            v[i] = if i < n {
                Command::ALL[i]
            } else {
                Command::POWER[i - n]
            };
            i += 1;
        }
        v
    };
    pub fn name(self) -> &'static str {
        match self {
            Command::ACT => "ACT",
            Command::PRE => "PRE",
            Command::PREA => "PREA",
            Command::RD => "RD",
            Command::WR => "WR",
            Command::RDA => "RDA",
            Command::WRA => "WRA",
            Command::REF => "REF",
            Command::SASEL => "SASEL",
            Command::PDE => "PDE",
            Command::PDX => "PDX",
            Command::SRE => "SRE",
            Command::SRX => "SRX",
        }
    }
    pub fn parse(s: &str) -> Option<Command> {
        Command::LOGGED
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }
    pub fn is_read(self) -> bool {
        matches!(self, Command::RD | Command::RDA)
    }
    pub fn is_write(self) -> bool {
        matches!(self, Command::WR | Command::WRA)
    }
    /// A power-down / self-refresh entry or exit (a CKE transition of one rank).
    pub fn is_power(self) -> bool {
        matches!(
            self,
            Command::PDE | Command::PDX | Command::SRE | Command::SRX
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReqKind {
    Read,
    Write,
}

/// A memory request of one burst (organization.burst_bytes()) at a physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub id: u64,
    pub addr: u64,
    pub kind: ReqKind,
}

/// A finished request: reads complete when their last data beat arrives, writes when
/// their data has been sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Completion {
    pub id: u64,
    pub kind: ReqKind,
    pub arrive_cycle: u64,
    pub done_cycle: u64,
}

/// Where an address lands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct DramAddr {
    pub channel: u32,
    pub rank: u32,
    pub bank_group: u32,
    /// Bank within its bank group.
    pub bank: u32,
    pub subarray: u32,
    pub row: u32,
    pub column: u32,
}

/// One issued command, as the controller's command trace records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IssuedCommand {
    pub cycle: u64,
    pub cmd: Command,
    pub addr: DramAddr,
}
