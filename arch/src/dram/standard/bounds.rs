//! What a DRAM standard may hold: the bounds `Standard::validate` enforces.
//!
//! Invariants a standard that passes gives the rest of the crate:
//! - organization counts are powers of two (address bits) within the ranges of
//!   [`ORGANIZATION`], at most 128 banks per rank, `rows` a multiple of
//!   `subarrays_per_bank`, `columns >= burst_length`, `bus_width >= device_width`;
//! - every timing is at most [`MAX_TIMING_TCK`] tCK, `tCK_ps` in 1..=[`MAX_TCK_PS`]
//!   (so a cycle count up to 2^40 times tCK fits u64 picoseconds), and the timings of
//!   [`NONZERO_TIMINGS`] are at least 1 (zero means nothing for them);
//! - `BL = burst_length / 2` (double data rate) and `RC >= RAS`;
//! - with refresh (`REFI > 0`; 0 means the part is never refreshed): `RFC >= 1` and a
//!   request always fits between two refreshes: RFC, then ACT -> column (RCD), plus a
//!   whole row cycle of the row a due refresh must close (ACT -> column -> PRE:
//!   `max(RAS, RCD + max(RTP, CWL + BL + WR)) + RP`) fit in REFI. (Without it a due
//!   refresh closes every row before its column command, for ever: a livelock.)
//! - currents are finite, in 0..=[`MAX_CURRENT_MA`] mA, with IDD0, IDD4R, IDD4W and
//!   IDD5 >= IDD3N (the DRAMPower energies are differences to IDD3N); VDD is finite in
//!   (0, [`MAX_VOLTAGE_V`]] V and VPP in 0..=[`MAX_VOLTAGE_V`] V (0: no second rail).

use super::Standard;

/// Organization keys: (name, least, largest). Each is a power of two.
pub const ORGANIZATION: &[(&str, u32, u32)] = &[
    ("bank_groups", 1, 16),
    ("banks_per_group", 1, 128),
    ("subarrays_per_bank", 1, 512),
    ("rows", 1, 1 << 22),
    ("columns", 1, 1 << 16),
    ("device_width", 1, 128),
    ("bus_width", 1, 1024),
    ("burst_length", 2, 64),
];
/// Device density bounds in Mbit (1 Mbit to 1 Tbit).
pub const DENSITY_MBIT: (u64, u64) = (1, 1 << 20);
/// Largest clock period in ps (10 MHz).
pub const MAX_TCK_PS: u32 = 100_000;
/// Largest timing in tCK.
pub const MAX_TIMING_TCK: u32 = 1_000_000;
/// Timings for which zero is meaningless.
pub const NONZERO_TIMINGS: &[&str] = &[
    "tCK_ps", "CL", "CWL", "RCD", "RP", "RAS", "RC", "CCD_S", "CCD_L", "RTP", "WR", "BL",
];
/// Largest current in mA, and largest voltage in V.
pub const MAX_CURRENT_MA: f64 = 10_000.0;
pub const MAX_VOLTAGE_V: f64 = 5.0;

/// The ACT -> column -> PRE chain of one row, in tCK: the longest a due refresh waits
/// for an open row to close (RAS, or the column command's RTP / write recovery), plus
/// RP.
pub fn row_cycle_tck(s: &Standard) -> u64 {
    let t = &s.timing;
    let col_to_pre = (t.RTP as u64).max(t.CWL as u64 + t.BL as u64 + t.WR as u64);
    (t.RAS as u64).max(t.RCD as u64 + col_to_pre) + t.RP as u64
}

/// The first bound `s` breaks, as a message naming the key.
pub fn check(s: &Standard) -> Result<(), String> {
    let o = &s.organization;
    let (lo, hi) = DENSITY_MBIT;
    if !(lo..=hi).contains(&o.density_mbit) {
        return Err(format!(
            "organization.density_mbit = {} is not accepted: {lo}..={hi}",
            o.density_mbit
        ));
    }
    for &(k, lo, hi) in ORGANIZATION {
        let v = match k {
            "bank_groups" => o.bank_groups,
            "banks_per_group" => o.banks_per_group,
            "subarrays_per_bank" => o.subarrays_per_bank,
            "rows" => o.rows,
            "columns" => o.columns,
            "device_width" => o.device_width,
            "bus_width" => o.bus_width,
            _ => o.burst_length,
        };
        if !(lo..=hi).contains(&v) || !v.is_power_of_two() {
            return Err(format!(
                "organization.{k} = {v} is not accepted: a power of two (address bits) in {lo}..={hi}"
            ));
        }
    }
    if o.banks_per_rank() > 128 {
        // (The controller numbers a channel's bank candidates in 12 bits: 16 ranks
        // x 128 banks x 2.)
        return Err(format!(
            "organization.bank_groups x banks_per_group = {} must be <= 128",
            o.banks_per_rank()
        ));
    }
    if !o.rows.is_multiple_of(o.subarrays_per_bank) {
        return Err(format!(
            "organization.rows ({}) must be a multiple of subarrays_per_bank ({})",
            o.rows, o.subarrays_per_bank
        ));
    }
    if o.columns < o.burst_length {
        return Err(format!(
            "organization.columns ({}) must be >= burst_length ({}): a burst covers burst_length columns",
            o.columns, o.burst_length
        ));
    }
    if o.bus_width < o.device_width {
        return Err(format!(
            "organization.bus_width ({}) must be >= device_width ({})",
            o.bus_width, o.device_width
        ));
    }
    let t = &s.timing;
    for (k, v) in t.entries() {
        let hi = if k == "tCK_ps" {
            MAX_TCK_PS
        } else {
            MAX_TIMING_TCK
        };
        let lo = NONZERO_TIMINGS.contains(&k) as u32;
        if !(lo..=hi).contains(&v) {
            let unit = if k == "tCK_ps" { "ps" } else { "tCK" };
            return Err(format!(
                "timing.{k} = {v} is not accepted: {lo}..={hi} {unit}"
            ));
        }
    }
    if t.BL * 2 != o.burst_length {
        return Err(format!(
            "timing.BL ({} tCK) must equal burst_length/2 ({}) for a double-data-rate bus",
            t.BL,
            o.burst_length / 2
        ));
    }
    // RC may fall below RAS + RP when a datasheet rounds each up from ns on its own
    // (LPDDR2-1066: 32 < 23 + 10); RAS then RP governs the row cycle anyway, and RC
    // enters the ACT+PRE energy as DRAMPower uses it.
    if t.RC < t.RAS {
        return Err(format!("timing.RC ({}) must be >= RAS ({})", t.RC, t.RAS));
    }
    if t.REFI > 0 {
        if t.RFC == 0 {
            return Err(
                "timing.RFC = 0 is not accepted: RFC >= 1 when the part is refreshed (REFI > 0; REFI = 0: never)"
                    .into(),
            );
        }
        let need = t.RFC as u64 + t.RCD as u64 + row_cycle_tck(s);
        if need >= t.REFI as u64 {
            return Err(format!(
                "timing.REFI ({}) must be > RFC + RCD + max(RAS, RCD + max(RTP, CWL + BL + WR)) + RP \
                 = {} + {} + {} = {need} tCK: a request must fit between two refreshes (RFC {}, RCD {}, RAS {}, RTP {}, CWL {}, BL {}, WR {}, RP {})",
                t.REFI,
                t.RFC,
                t.RCD,
                row_cycle_tck(s),
                t.RFC,
                t.RCD,
                t.RAS,
                t.RTP,
                t.CWL,
                t.BL,
                t.WR,
                t.RP
            ));
        }
    }
    let p = &s.power;
    let volts = [("VDD", p.VDD, false), ("VPP", p.VPP, true)];
    for (k, v, zero_ok) in volts {
        let ok = v.is_finite() && v <= MAX_VOLTAGE_V && (v > 0.0 || (zero_ok && v == 0.0));
        if !ok {
            let range = if zero_ok { "0" } else { "above 0" };
            return Err(format!(
                "power.{k} = {v} is not accepted: {range} up to {MAX_VOLTAGE_V} V"
            ));
        }
    }
    let currents = [
        ("IDD0", p.IDD0),
        ("IDD2N", p.IDD2N),
        ("IDD2P", p.IDD2P),
        ("IDD3N", p.IDD3N),
        ("IDD3P", p.IDD3P),
        ("IDD6", p.IDD6),
        ("IDD4R", p.IDD4R),
        ("IDD4W", p.IDD4W),
        ("IDD5", p.IDD5),
        ("IPP0", p.IPP0),
        ("IPP2N", p.IPP2N),
        ("IPP3N", p.IPP3N),
        ("IPP2P", p.IPP2P),
        ("IPP3P", p.IPP3P),
        ("IPP6", p.IPP6),
        ("IPP4R", p.IPP4R),
        ("IPP4W", p.IPP4W),
        ("IPP5", p.IPP5),
    ];
    for (k, v) in currents {
        if !(v.is_finite() && (0.0..=MAX_CURRENT_MA).contains(&v)) {
            return Err(format!(
                "power.{k} = {v} is not accepted: a finite current in 0..={MAX_CURRENT_MA} mA"
            ));
        }
    }
    if p.IDD0 < p.IDD3N || p.IDD4R < p.IDD3N || p.IDD4W < p.IDD3N || p.IDD5 < p.IDD3N {
        return Err(format!(
            "power: IDD0 ({}), IDD4R ({}), IDD4W ({}) and IDD5 ({}) must be >= IDD3N ({}) mA",
            p.IDD0, p.IDD4R, p.IDD4W, p.IDD5, p.IDD3N
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Standard, PRESETS};

    #[test]
    fn presets_pass_and_livelocking_timings_do_not() {
        for (name, _) in PRESETS {
            let s = Standard::preset(name).unwrap();
            assert!(super::check(&s).is_ok(), "{name}");
        }
        let lp2 = include_str!("../../../tests/data/lpddr2-1066.toml");
        Standard::from_toml_str(lp2).unwrap();
        let ok = Standard::preset("DDR4-2400").unwrap();
        let mut s = ok.clone();
        s.timing.RCD = 9000;
        let m = super::check(&s).unwrap_err();
        assert!(
            m.starts_with("timing.REFI (9360) must be > RFC + RCD"),
            "{m}"
        );
        let mut s = ok.clone();
        (s.timing.REFI, s.timing.RFC) = (10, 0);
        assert!(super::check(&s).unwrap_err().contains("RFC = 0"));
        // REFI = 0: never refreshed, RFC unused.
        let mut s = ok.clone();
        (s.timing.REFI, s.timing.RFC) = (0, 0);
        assert!(super::check(&s).is_ok());
        let mut s = ok.clone();
        s.power.IDD2N = f64::NAN;
        assert!(super::check(&s).unwrap_err().contains("power.IDD2N = NaN"));
        let mut s = ok;
        s.organization.columns = 4;
        assert!(super::check(&s)
            .unwrap_err()
            .contains("columns (4) must be >= burst_length (8)"));
    }
}
