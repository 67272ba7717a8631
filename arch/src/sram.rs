//! On-chip SRAM macros: energy per access and leakage as functions of size and width.
//!
//! Model (coefficients are config values, defaults per technology below):
//!
//! ```text
//! E_read_pj  = read_fixed_pj + read_bit_pj * word_bits * (bank_kib ^ size_exponent)
//! E_write_pj = E_read_pj * write_read_ratio
//! P_leak_pw  = leakage_pw_per_bit * capacity_bits
//! ```
//!
//! The `sqrt(bank size)` term is the first-order CACTI behaviour: bitline and wordline
//! lengths of a square-ish array grow with the square root of its bit count, and the
//! energy per bit moved grows with them; the fixed term is decoder and control energy.
//! Banking divides the array a word is read from, so it lowers the access energy.
//!
//! 45 nm default: a two-parameter fit (relative least squares, `size_exponent` 0.5) to
//! Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
//! 45 nm 0.9 V, 64-bit cache reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ. The test
//! `fit_45nm_matches_horowitz` refits those points and prints the error of each.
//! 28 nm default: not a fit to 28 nm silicon data (none verified here); it is the 45 nm
//! fit scaled by 28/45 (switched capacitance scales with feature size at the same 0.9 V
//! supply). Replace it with CACTI output for a specific process when one is at hand.
//! Leakage: order-of-magnitude estimates for low-standby-power 6T arrays (tens of
//! pW per bit at nominal supply), not fitted; a config value to set from CACTI.

use crate::energy::EnergyLedger;
use serde::{Deserialize, Serialize};

/// Errors of the SRAM model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SramError {
    #[error("invalid SRAM config: key `{key}`: {msg}")]
    InvalidConfig { key: String, msg: String },
}

/// Technology whose default coefficients are used for keys left unset.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum SramTech {
    #[serde(rename = "45nm")]
    Nm45,
    #[serde(rename = "28nm")]
    Nm28,
}

/// Coefficients of the energy/leakage model (all resolved, no options).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SramCoefficients {
    pub read_fixed_pj: f64,
    /// pJ per bit of word width per (KiB of bank) ^ size_exponent.
    pub read_bit_pj: f64,
    pub size_exponent: f64,
    pub write_read_ratio: f64,
    pub leakage_pw_per_bit: f64,
}

/// Horowitz ISSCC 2014, 45 nm, 64-bit reads: (capacity KiB, energy pJ).
pub const HOROWITZ_45NM_64BIT_POINTS: [(f64, f64); 3] =
    [(8.0, 10.0), (32.0, 20.0), (1024.0, 100.0)];

impl SramTech {
    pub fn coefficients(self) -> SramCoefficients {
        // 45 nm values from `fit_sqrt_model(HOROWITZ_45NM_64BIT_POINTS, 64)`, rounded to
        // 4 significant digits (the fit test checks they agree).
        let nm45 = SramCoefficients {
            read_fixed_pj: 1.285,
            read_bit_pj: 0.04925,
            size_exponent: 0.5,
            // Writes drive both bitlines full swing; CACTI typically reports write
            // energy slightly above read energy for small arrays.
            write_read_ratio: 1.1,
            leakage_pw_per_bit: 50.0,
        };
        match self {
            SramTech::Nm45 => nm45,
            SramTech::Nm28 => {
                let s = 28.0 / 45.0;
                SramCoefficients {
                    read_fixed_pj: nm45.read_fixed_pj * s,
                    read_bit_pj: nm45.read_bit_pj * s,
                    leakage_pw_per_bit: 30.0,
                    ..nm45
                }
            }
        }
    }
}

/// Relative least-squares fit of `E = a + b * word_bits * kib^0.5` to (KiB, pJ) points.
/// Returns (a = read_fixed_pj, b = read_bit_pj). Used to derive and check defaults.
pub fn fit_sqrt_model(points: &[(f64, f64)], word_bits: u32) -> (f64, f64) {
    // Minimize sum((a + b x_i) / y_i - 1)^2: normal equations of a 2x2 system.
    let (mut s00, mut s01, mut s11, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(kib, y) in points {
        let u = 1.0 / y;
        let v = word_bits as f64 * kib.sqrt() / y;
        s00 += u * u;
        s01 += u * v;
        s11 += v * v;
        r0 += u;
        r1 += v;
    }
    let det = s00 * s11 - s01 * s01;
    ((r0 * s11 - r1 * s01) / det, (s00 * r1 - s01 * r0) / det)
}

/// The `[sram]` config table (one macro; a system may hold several).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SramConfig {
    /// Total capacity in bytes (all banks).
    pub capacity_bytes: u64,
    /// Width of one access in bits.
    pub word_bits: u32,
    /// Independent banks; word-interleaved, each holds capacity / banks.
    pub banks: u32,
    /// Ports per bank (accesses a bank can start per cycle).
    pub ports: u32,
    /// Core-clock cycles from request to data (the macro runs on the core clock).
    pub latency_cycles: u32,
    /// Technology of the default coefficients: "45nm" or "28nm".
    pub tech: SramTech,
    /// Overrides of the technology's coefficients (None = the technology default).
    pub read_fixed_pj: Option<f64>,
    pub read_bit_pj: Option<f64>,
    pub size_exponent: Option<f64>,
    pub write_read_ratio: Option<f64>,
    pub leakage_pw_per_bit: Option<f64>,
}

impl Default for SramConfig {
    fn default() -> Self {
        SramConfig {
            capacity_bytes: 64 * 1024,
            word_bits: 32,
            banks: 1,
            ports: 1,
            latency_cycles: 1,
            tech: SramTech::Nm45,
            read_fixed_pj: None,
            read_bit_pj: None,
            size_exponent: None,
            write_read_ratio: None,
            leakage_pw_per_bit: None,
        }
    }
}

impl SramConfig {
    /// Range checks; each error names the key and what is accepted.
    pub fn validate(&self) -> Result<(), SramError> {
        let err = |key: &str, msg: String| {
            Err(SramError::InvalidConfig {
                key: format!("sram.{key}"),
                msg,
            })
        };
        if !(8..=1024).contains(&self.word_bits) {
            return err(
                "word_bits",
                format!("{} is not accepted: 8..=1024", self.word_bits),
            );
        }
        if self.banks == 0 || !self.banks.is_power_of_two() || self.banks > 256 {
            return err(
                "banks",
                format!("{} is not accepted: a power of two in 1..=256", self.banks),
            );
        }
        if !(1..=4).contains(&self.ports) {
            return err("ports", format!("{} is not accepted: 1..=4", self.ports));
        }
        let word_bytes = self.word_bits.div_ceil(8) as u64;
        let min = word_bytes * self.banks as u64;
        if self.capacity_bytes < min || self.capacity_bytes > (1 << 32) {
            return err(
                "capacity_bytes",
                format!(
                    "{} is not accepted: at least one word per bank ({min}) and at most 4 GiB",
                    self.capacity_bytes
                ),
            );
        }
        if self.latency_cycles > 1000 {
            return err(
                "latency_cycles",
                format!("{} is not accepted: 0..=1000", self.latency_cycles),
            );
        }
        let c = self.coefficients();
        for (key, v, lo, hi) in [
            ("read_fixed_pj", c.read_fixed_pj, 0.0, 1e6),
            ("read_bit_pj", c.read_bit_pj, 0.0, 1e6),
            ("size_exponent", c.size_exponent, 0.0, 1.0),
            ("write_read_ratio", c.write_read_ratio, 0.1, 10.0),
            ("leakage_pw_per_bit", c.leakage_pw_per_bit, 0.0, 1e9),
        ] {
            if !(lo..=hi).contains(&v) {
                return err(key, format!("{v} is not accepted: {lo}..={hi}"));
            }
        }
        Ok(())
    }

    /// The technology defaults with this config's overrides applied.
    pub fn coefficients(&self) -> SramCoefficients {
        let d = self.tech.coefficients();
        SramCoefficients {
            read_fixed_pj: self.read_fixed_pj.unwrap_or(d.read_fixed_pj),
            read_bit_pj: self.read_bit_pj.unwrap_or(d.read_bit_pj),
            size_exponent: self.size_exponent.unwrap_or(d.size_exponent),
            write_read_ratio: self.write_read_ratio.unwrap_or(d.write_read_ratio),
            leakage_pw_per_bit: self.leakage_pw_per_bit.unwrap_or(d.leakage_pw_per_bit),
        }
    }
}

/// One SRAM macro: energy per access, leakage, latency, access counters.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Sram {
    cfg: SramConfig,
    read_pj: f64,
    write_pj: f64,
    leakage_pw: f64,
    reads: u64,
    writes: u64,
}

impl Sram {
    pub fn new(cfg: SramConfig) -> Result<Self, SramError> {
        cfg.validate()?;
        let c = cfg.coefficients();
        let bank_kib = cfg.capacity_bytes as f64 / cfg.banks as f64 / 1024.0;
        let read_pj =
            c.read_fixed_pj + c.read_bit_pj * cfg.word_bits as f64 * bank_kib.powf(c.size_exponent);
        Ok(Sram {
            read_pj,
            write_pj: read_pj * c.write_read_ratio,
            leakage_pw: c.leakage_pw_per_bit * cfg.capacity_bytes as f64 * 8.0,
            cfg,
            reads: 0,
            writes: 0,
        })
    }

    pub fn config(&self) -> &SramConfig {
        &self.cfg
    }
    /// Energy of one word read.
    pub fn read_energy_pj(&self) -> f64 {
        self.read_pj
    }
    /// Energy of one word write.
    pub fn write_energy_pj(&self) -> f64 {
        self.write_pj
    }
    /// Static power of the whole macro.
    pub fn leakage_power_pw(&self) -> f64 {
        self.leakage_pw
    }
    pub fn capacity_words(&self) -> u64 {
        self.cfg.capacity_bytes * 8 / self.cfg.word_bits as u64
    }

    /// Cycles to serve `words` accesses in a burst: the latency of the first, then
    /// banks x ports words per cycle (word-interleaved banks, no conflicts assumed).
    pub fn access_cycles(&self, words: u64) -> u64 {
        if words == 0 {
            return 0;
        }
        let per_cycle = (self.cfg.banks * self.cfg.ports) as u64;
        self.cfg.latency_cycles as u64 + words.div_ceil(per_cycle) - 1
    }

    /// Count word reads.
    pub fn read(&mut self, words: u64) {
        self.reads += words;
    }
    /// Count word writes.
    pub fn write(&mut self, words: u64) {
        self.writes += words;
    }
    pub fn reads(&self) -> u64 {
        self.reads
    }
    pub fn writes(&self) -> u64 {
        self.writes
    }

    pub fn dynamic_energy_pj(&self) -> f64 {
        self.reads as f64 * self.read_pj + self.writes as f64 * self.write_pj
    }
    /// Leakage over an elapsed time: pW x ps = 1e-24 J = 1e-12 pJ.
    pub fn leakage_energy_pj(&self, elapsed_ps: u64) -> f64 {
        self.leakage_pw * elapsed_ps as f64 * 1e-12
    }
    /// Dynamic + leakage energy since creation, over `elapsed_ps` of powered time.
    pub fn energy_pj(&self, elapsed_ps: u64) -> f64 {
        self.dynamic_energy_pj() + self.leakage_energy_pj(elapsed_ps)
    }

    /// Book reads, writes and leakage under `component` ("sram.weights", ...).
    pub fn book(&self, ledger: &mut EnergyLedger, component: &str, elapsed_ps: u64) {
        ledger.book(component, "read", self.reads as f64 * self.read_pj);
        ledger.book(component, "write", self.writes as f64 * self.write_pj);
        ledger.book(component, "leakage", self.leakage_energy_pj(elapsed_ps));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kib: u64, word_bits: u32, banks: u32) -> SramConfig {
        SramConfig {
            capacity_bytes: kib * 1024,
            word_bits,
            banks,
            ..Default::default()
        }
    }

    #[test]
    fn fit_45nm_matches_horowitz() {
        let (a, b) = fit_sqrt_model(&HOROWITZ_45NM_64BIT_POINTS, 64);
        let d = SramTech::Nm45.coefficients();
        assert!(
            (a - d.read_fixed_pj).abs() / a < 1e-3,
            "fixed {a} vs default {}",
            d.read_fixed_pj
        );
        assert!(
            (b - d.read_bit_pj).abs() / b < 1e-3,
            "bit {b} vs default {}",
            d.read_bit_pj
        );
        // Fit error of each published point, through the model itself.
        let mut worst: f64 = 0.0;
        for (kib, pj) in HOROWITZ_45NM_64BIT_POINTS {
            let s = Sram::new(cfg(kib as u64, 64, 1)).unwrap();
            let rel = s.read_energy_pj() / pj - 1.0;
            println!(
                "45nm {kib:>6} KiB x64: model {:.2} pJ, Horowitz {pj} pJ, error {:+.1}%",
                s.read_energy_pj(),
                rel * 100.0
            );
            worst = worst.max(rel.abs());
        }
        // Two parameters through three points spanning 128x in size: within 5%.
        assert!(worst < 0.05, "worst fit error {worst}");
    }

    #[test]
    fn energy_grows_with_size_and_width_and_banking_helps() {
        let small = Sram::new(cfg(8, 32, 1)).unwrap();
        let big = Sram::new(cfg(128, 32, 1)).unwrap();
        let wide = Sram::new(cfg(8, 64, 1)).unwrap();
        let banked = Sram::new(cfg(128, 32, 16)).unwrap();
        assert!(big.read_energy_pj() > small.read_energy_pj());
        assert!(wide.read_energy_pj() > small.read_energy_pj());
        // 16 banks of 8 KiB read like one 8 KiB array.
        assert!((banked.read_energy_pj() - small.read_energy_pj()).abs() < 1e-12);
        // By hand: 1.285 + 0.04925 * 32 * sqrt(8) = 5.742 pJ.
        assert!((small.read_energy_pj() - (1.285 + 0.04925 * 32.0 * 8f64.sqrt())).abs() < 1e-9);
        assert!((small.write_energy_pj() - 1.1 * small.read_energy_pj()).abs() < 1e-12);
        let nm28 = Sram::new(SramConfig {
            tech: SramTech::Nm28,
            ..cfg(8, 32, 1)
        })
        .unwrap();
        assert!(nm28.read_energy_pj() < small.read_energy_pj());
    }

    #[test]
    fn counters_leakage_and_ledger() {
        let mut s = Sram::new(cfg(1, 32, 1)).unwrap();
        s.read(10);
        s.write(4);
        // 1 KiB = 8192 bits x 50 pW = 409.6 nW; over 1 us = 0.4096 pJ.
        assert!((s.leakage_power_pw() - 409_600.0).abs() < 1e-6);
        assert!((s.leakage_energy_pj(1_000_000) - 0.4096).abs() < 1e-9);
        let e = 10.0 * s.read_energy_pj() + 4.0 * s.write_energy_pj() + 0.4096;
        assert!((s.energy_pj(1_000_000) - e).abs() < 1e-9);
        let mut l = EnergyLedger::new();
        s.book(&mut l, "sram.weights", 1_000_000);
        assert!((l.component_pj("sram.weights") - e).abs() < 1e-9);
        assert_eq!(l.get_pj("sram.weights", "read"), 10.0 * s.read_energy_pj());
    }

    #[test]
    fn access_cycles_by_hand() {
        let s = Sram::new(SramConfig {
            latency_cycles: 2,
            banks: 4,
            ports: 1,
            ..cfg(16, 32, 4)
        })
        .unwrap();
        assert_eq!(s.access_cycles(0), 0);
        assert_eq!(s.access_cycles(1), 2);
        assert_eq!(s.access_cycles(4), 2);
        assert_eq!(s.access_cycles(5), 3);
        assert_eq!(s.access_cycles(16), 5);
    }

    #[test]
    fn validation_names_keys() {
        let bad = |c: SramConfig, key: &str| match c.validate() {
            Err(SramError::InvalidConfig { key: k, .. }) => assert_eq!(k, format!("sram.{key}")),
            Ok(()) => panic!("{key} accepted"),
        };
        bad(
            SramConfig {
                banks: 3,
                ..Default::default()
            },
            "banks",
        );
        bad(
            SramConfig {
                word_bits: 4,
                ..Default::default()
            },
            "word_bits",
        );
        bad(
            SramConfig {
                capacity_bytes: 2,
                ..Default::default()
            },
            "capacity_bytes",
        );
        bad(
            SramConfig {
                size_exponent: Some(2.0),
                ..Default::default()
            },
            "size_exponent",
        );
        assert!(SramConfig::default().validate().is_ok());
        let t: SramConfig =
            toml::from_str("capacity_bytes = 2048\ntech = \"28nm\"\nread_bit_pj = 0.02").unwrap();
        assert_eq!(t.tech, SramTech::Nm28);
        assert_eq!(t.coefficients().read_bit_pj, 0.02);
        assert!(toml::from_str::<SramConfig>("capacity = 1").is_err());
    }
}
