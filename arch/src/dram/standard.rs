//! A DRAM standard as data: organization, timings in tCK, IDD currents and voltages.
//!
//! Presets ship as TOML in configs/dram/ (embedded at build time); a user adds a part
//! by writing a file of the same shape. Timing names follow JEDEC without the `t`
//! prefix (RCD, RP, ...), so `--set dram.timing.RFC=420` reads as the datasheet does.

use super::DramError;

pub mod bounds;
use serde::{Deserialize, Serialize};

/// Physical organization of one rank of one channel.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Device density in Mbit (informational, checked against rows x columns x banks x width).
    pub density_mbit: u64,
    /// Bank groups per rank (1 for standards without bank groups).
    pub bank_groups: u32,
    pub banks_per_group: u32,
    /// Subarrays per bank (SALP); rows are split evenly among them.
    #[serde(default = "default_subarrays")]
    pub subarrays_per_bank: u32,
    pub rows: u32,
    pub columns: u32,
    /// Data pins per device (x4, x8, x16, x32).
    pub device_width: u32,
    /// Channel data bus width in bits; devices per rank = bus_width / device_width.
    pub bus_width: u32,
    /// Burst length in beats (BL8 = 8).
    pub burst_length: u32,
}

fn default_subarrays() -> u32 {
    8
}

impl Organization {
    pub fn banks_per_rank(&self) -> u32 {
        self.bank_groups * self.banks_per_group
    }
    pub fn devices_per_rank(&self) -> u32 {
        self.bus_width / self.device_width
    }
    /// Bytes moved by one burst on the channel (one request).
    pub fn burst_bytes(&self) -> u32 {
        self.bus_width / 8 * self.burst_length
    }
    /// Columns addressed by one burst (a request covers burst_length columns).
    pub fn columns_per_burst(&self) -> u32 {
        self.burst_length
    }
    pub fn rows_per_subarray(&self) -> u32 {
        self.rows / self.subarrays_per_bank
    }
}

macro_rules! timings {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Timing parameters in tCK (DRAM command-clock cycles).
        #[allow(non_snake_case)]
        #[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct Timing {
            /// Clock period in picoseconds.
            pub tCK_ps: u32,
            $( $(#[$doc])* pub $name: u32, )*
        }

        /// `[dram.timing]` overrides: any subset of the standard's timings.
        #[allow(non_snake_case)]
        #[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct TimingOverrides {
            pub tCK_ps: Option<u32>,
            $( $(#[$doc])* pub $name: Option<u32>, )*
        }

        impl Timing {
            /// Names of every timing parameter, in declaration order.
            pub const NAMES: &'static [&'static str] = &["tCK_ps", $( stringify!($name), )*];

            pub fn apply(&mut self, o: &TimingOverrides) {
                if let Some(v) = o.tCK_ps { self.tCK_ps = v; }
                $( if let Some(v) = o.$name { self.$name = v; } )*
            }

            /// (name, value) pairs, for reports and validation messages.
            pub fn entries(&self) -> Vec<(&'static str, u32)> {
                vec![("tCK_ps", self.tCK_ps), $( (stringify!($name), self.$name), )*]
            }
        }
    };
}

timings! {
    /// CAS (read) latency.
    CL,
    /// CAS write latency.
    CWL,
    /// ACT to RD/WR, same bank.
    RCD,
    /// PRE to ACT, same bank.
    RP,
    /// ACT to PRE, same bank.
    RAS,
    /// ACT to ACT, same bank.
    RC,
    /// RD/WR to RD/WR, different bank group.
    CCD_S,
    /// RD/WR to RD/WR, same bank group.
    CCD_L,
    /// ACT to ACT, different bank group.
    RRD_S,
    /// ACT to ACT, same bank group.
    RRD_L,
    /// Four-activate window, per rank.
    FAW,
    /// End of write data to RD, different bank group.
    WTR_S,
    /// End of write data to RD, same bank group.
    WTR_L,
    /// RD to PRE, same bank.
    RTP,
    /// Write recovery: end of write data to PRE, same bank.
    WR,
    /// Rank-to-rank switch (data-bus turnaround between ranks).
    RTRS,
    /// REF to ACT (refresh cycle time, all-bank).
    RFC,
    /// Average refresh interval.
    REFI,
    /// Burst duration on the data bus in tCK (BL8 on DDR = 4).
    BL,
    /// Power-down exit to any command (fast exit). Only needed, and then checked to be
    /// set, when `dram.power_down_after_cycles` is on.
    #[serde(default)]
    XP,
    /// Minimum power-down duration (tCKE).
    #[serde(default)]
    CKE,
    /// Self-refresh exit to any command (tXS = tRFC + 10 ns). Only needed, and then
    /// checked, when `dram.self_refresh_after_cycles` is on.
    #[serde(default)]
    XS,
    /// Self-refresh exit to a command that needs the DLL (RD/WR): tXSDLL = tDLLK on
    /// DDR3/DDR4; LPDDR3 has no DLL (= XS).
    #[serde(default)]
    XSDLL,
    /// Minimum self-refresh duration (tCKESR).
    #[serde(default)]
    CKESR,
}

/// IDD currents (mA) and supply voltages (V), as in datasheets and DRAMPower.
#[allow(non_snake_case)]
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// Core supply voltage (VDD; VDD2 for LPDDR).
    pub VDD: f64,
    /// One-bank ACT-PRE current.
    pub IDD0: f64,
    /// Precharged standby.
    pub IDD2N: f64,
    /// Precharged power-down (fast exit: the DLL stays on, exit takes tXP).
    #[serde(default)]
    pub IDD2P: f64,
    /// Active standby (at least one bank open).
    pub IDD3N: f64,
    /// Active power-down.
    #[serde(default)]
    pub IDD3P: f64,
    /// Self-refresh (the device refreshes itself; no REF commands).
    #[serde(default)]
    pub IDD6: f64,
    /// Burst read.
    pub IDD4R: f64,
    /// Burst write.
    pub IDD4W: f64,
    /// All-bank refresh (burst refresh current).
    pub IDD5: f64,
    /// Second supply (DDR4 VPP), 0 when the standard has none.
    #[serde(default)]
    pub VPP: f64,
    #[serde(default)]
    pub IPP0: f64,
    #[serde(default)]
    pub IPP2N: f64,
    #[serde(default)]
    pub IPP3N: f64,
    /// Second-rail currents in precharged / active power-down.
    #[serde(default)]
    pub IPP2P: f64,
    #[serde(default)]
    pub IPP3P: f64,
    #[serde(default)]
    pub IPP6: f64,
    #[serde(default)]
    pub IPP4R: f64,
    #[serde(default)]
    pub IPP4W: f64,
    #[serde(default)]
    pub IPP5: f64,
}

/// A complete DRAM standard (one part at one speed grade).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub name: String,
    /// Free text: datasheet, source of the numbers.
    #[serde(default)]
    pub source: String,
    pub organization: Organization,
    pub timing: Timing,
    pub power: Power,
}

/// Presets shipped in configs/dram/, embedded at build time: (name, TOML text).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "DDR3-1600-x8",
        include_str!("../../../configs/dram/ddr3-1600-x8.toml"),
    ),
    (
        "DDR3-1600-x16",
        include_str!("../../../configs/dram/ddr3-1600-x16.toml"),
    ),
    (
        "DDR3L-1600",
        include_str!("../../../configs/dram/ddr3l-1600.toml"),
    ),
    (
        "DDR4-2400",
        include_str!("../../../configs/dram/ddr4-2400.toml"),
    ),
    (
        "LPDDR3-1600",
        include_str!("../../../configs/dram/lpddr3-1600.toml"),
    ),
];

impl Standard {
    /// Parse a standard from TOML text and validate it.
    pub fn from_toml_str(text: &str) -> Result<Standard, DramError> {
        let s: Standard = toml::from_str(text)?;
        s.validate()?;
        Ok(s)
    }

    /// A shipped preset by name (case-insensitive; "DDR3-1600" means the x8 part).
    pub fn preset(name: &str) -> Result<Standard, DramError> {
        let want = match name.to_ascii_uppercase().as_str() {
            "DDR3-1600" => "DDR3-1600-X8".to_string(),
            other => other.to_string(),
        };
        PRESETS
            .iter()
            .find(|(n, _)| n.to_ascii_uppercase() == want)
            .map(|(_, text)| Standard::from_toml_str(text))
            .unwrap_or_else(|| {
                Err(DramError::UnknownPreset(
                    name.to_string(),
                    Self::preset_names(),
                ))
            })
    }

    pub fn preset_names() -> String {
        PRESETS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks that make the timing engine's assumptions hold, with the bounds
    /// [`bounds`] documents; each error names the key, its value and what is accepted.
    pub fn validate(&self) -> Result<(), DramError> {
        bounds::check(self).map_err(|m| DramError::InvalidStandard(format!("{}: {m}", self.name)))
    }

    /// Clock period in picoseconds.
    pub fn tck_ps(&self) -> u64 {
        self.timing.tCK_ps as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(s: &Standard) -> String {
        match s.validate() {
            Err(DramError::InvalidStandard(m)) => m,
            other => panic!("expected InvalidStandard, got {other:?}"),
        }
    }

    #[test]
    fn validate_names_the_key_and_what_is_accepted() {
        let ok = Standard::preset("DDR4-2400").unwrap();
        assert!(ok.validate().is_ok());
        let mut s = ok.clone();
        s.organization.banks_per_group = 3;
        let m = message(&s);
        assert!(m.contains("organization.banks_per_group = 3") && m.contains("power of two"));
        // 4 x 64 = 256 banks per rank: beyond the controller's 128.
        let mut s = ok.clone();
        s.organization.banks_per_group = 64;
        let m = message(&s);
        assert!(
            m.contains("banks_per_group = 256") && m.contains("<= 128"),
            "{m}"
        );
        s.organization.banks_per_group = 32; // 128 banks: accepted
        assert!(s.validate().is_ok());
    }
}
