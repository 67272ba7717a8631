//! The `[dram]` config table. The standard is named here (preset or path); the
//! simulator resolves it to a [`Standard`](super::Standard) and applies overrides.

use super::standard::TimingOverrides;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SchedulerKind {
    /// First come, first served: the oldest request's next command, when ready.
    Fcfs,
    /// First ready, first come first served: row hits first, then oldest.
    Frfcfs,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RowPolicy {
    /// Keep a row open until a conflict needs the bank.
    Open,
    /// Precharge right after the last queued access to the row (RDA/WRA).
    Closed,
    /// Precharge an open row after `row_timeout_cycles` without an access to it.
    Timeout,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SalpMode {
    None,
    Salp1,
    Salp2,
    Masa,
}

/// EDEN's error models for reduced-voltage DRAM.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorModel {
    /// No bit errors (accurate DRAM).
    None,
    /// Model 0: weak cells uniformly random.
    Uniform,
    /// Model 1: weak cells clustered on bitlines.
    Bitline,
    /// Model 2: weak cells clustered on wordlines.
    Wordline,
    /// Model 3: data dependent (a weak cell is stuck at its discharged value, so it errs
    /// only when it holds its charged one).
    DataDependent,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DramConfig {
    /// Preset name (see `spikemem presets`) or path to a standard TOML file.
    pub standard: String,
    pub channels: u32,
    pub ranks: u32,
    /// Named bit order (e.g. "RoBaRaCoCh") or a custom order string.
    pub mapping: String,
    pub scheduler: SchedulerKind,
    pub row_policy: RowPolicy,
    /// Idle cycles before an open row is closed under the timeout policy.
    pub row_timeout_cycles: u64,
    /// Read queue depth and write queue depth, per channel.
    pub queue_depth: usize,
    /// Write-drain watermarks as fractions of the write queue depth.
    pub write_high_watermark: f64,
    pub write_low_watermark: f64,
    pub salp: SalpMode,
    /// Overrides the standard's subarrays per bank when set.
    pub subarrays_per_bank: Option<u32>,
    /// All-bank refresh every tREFI (off only for studies that want it off).
    pub refresh: bool,
    /// Fast-exit power-down: a rank with no queued request enters it this many cycles
    /// after its last command's work ends, and leaves it (tXP before its next command)
    /// when a request for it arrives or its refresh falls due. None = never.
    pub power_down_after_cycles: Option<u64>,
    /// Close an idle rank's open rows (PREA) `power_down_after_cycles` after its work
    /// ends, so it powers down precharged (IDD2P) and may enter self-refresh.
    pub power_down_precharge: bool,
    /// Self-refresh: an idle rank with every bank precharged enters it this many cycles
    /// after its last command's work ends; it needs no REF commands meanwhile and
    /// leaves it (tXS before its next command) when a request for it arrives. None = never.
    pub self_refresh_after_cycles: Option<u64>,
    /// Supply voltage in volts; None = the standard's nominal VDD.
    pub vdd: Option<f64>,
    /// Voltage table (TOML path); None = the standard's default table.
    pub voltage_table: Option<String>,
    pub error_model: ErrorModel,
    /// Bit error rate override; None = the voltage table's BER at `vdd`.
    pub ber: Option<f64>,
    /// Seed of the weak-cell map (stable per location for a seed).
    pub fault_seed: u64,
    /// Timing overrides in tCK, named as the standard's timings.
    pub timing: TimingOverrides,
}

impl Default for DramConfig {
    fn default() -> Self {
        DramConfig {
            standard: "DDR4-2400".into(),
            channels: 1,
            ranks: 1,
            mapping: "RoBaRaCoCh".into(),
            scheduler: SchedulerKind::Frfcfs,
            row_policy: RowPolicy::Open,
            row_timeout_cycles: 100,
            queue_depth: 32,
            write_high_watermark: 0.8,
            write_low_watermark: 0.2,
            salp: SalpMode::None,
            subarrays_per_bank: None,
            refresh: true,
            power_down_after_cycles: None,
            power_down_precharge: false,
            self_refresh_after_cycles: None,
            vdd: None,
            voltage_table: None,
            error_model: ErrorModel::None,
            ber: None,
            fault_seed: 1,
            timing: TimingOverrides::default(),
        }
    }
}

impl DramConfig {
    /// Range checks; each error names the key and what is accepted.
    pub fn validate(&self) -> Result<(), super::DramError> {
        let err = |key: &str, msg: String| {
            Err(super::DramError::InvalidConfig {
                key: format!("dram.{key}"),
                msg,
            })
        };
        if self.channels == 0 || !self.channels.is_power_of_two() || self.channels > 64 {
            return err(
                "channels",
                format!(
                    "{} is not accepted: a power of two in 1..=64",
                    self.channels
                ),
            );
        }
        if self.ranks == 0 || !self.ranks.is_power_of_two() || self.ranks > 16 {
            return err(
                "ranks",
                format!("{} is not accepted: a power of two in 1..=16", self.ranks),
            );
        }
        if self.queue_depth == 0 || self.queue_depth > 4096 {
            return err(
                "queue_depth",
                format!("{} is not accepted: 1..=4096", self.queue_depth),
            );
        }
        let (lo, hi) = (self.write_low_watermark, self.write_high_watermark);
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
            return err(
                "write_high_watermark",
                format!("low {lo} / high {hi} not accepted: 0 <= low < high <= 1"),
            );
        }
        if let Some(s) = self.subarrays_per_bank {
            if s == 0 || !s.is_power_of_two() || s > 512 {
                return err(
                    "subarrays_per_bank",
                    format!("{s} is not accepted: a power of two in 1..=512"),
                );
            }
        }
        for (key, v) in [
            ("power_down_after_cycles", self.power_down_after_cycles),
            ("self_refresh_after_cycles", self.self_refresh_after_cycles),
        ] {
            if let Some(c) = v.filter(|&c| c > 1_000_000_000) {
                return err(
                    key,
                    format!("{c} is not accepted: 0..=1000000000 cycles (absent = off)"),
                );
            }
        }
        if self.power_down_precharge && self.power_down_after_cycles.is_none() {
            return err(
                "power_down_precharge",
                "true needs dram.power_down_after_cycles (when to precharge an idle rank)".into(),
            );
        }
        if let Some(v) = self.vdd {
            if !(0.5..=2.0).contains(&v) {
                return err("vdd", format!("{v} V is not accepted: 0.5..=2.0 V"));
            }
        }
        if let Some(b) = self.ber {
            if !(0.0..=0.5).contains(&b) {
                return err("ber", format!("{b} is not accepted: 0..=0.5"));
            }
        }
        Ok(())
    }
}
