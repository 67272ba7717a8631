//! DRAM energy by the DRAMPower method: per-command energies and background from
//! IDD currents x supply voltage x time.
//!
//! Units: IDD in mA, V in volts, time in ns -> mA x V x ns = pJ. Every figure is for
//! the whole system (all devices of all ranks of all channels), never per chip.
//!
//! Per device (DRAMPower, Chandrasekar et al.):
//! - ACT+PRE pair: VDD x (IDD0 x tRC - IDD3N x tRAS - IDD2N x (tRC - tRAS))
//! - RD burst:     VDD x (IDD4R - IDD3N) x tBURST;  WR likewise with IDD4W
//! - REF:          VDD x (IDD5 - IDD3N) x tRFC
//! - background:   VDD x IDD3N x (time with a bank open) + VDD x IDD2N x (time all closed)
//! and the same terms on VPP with the IPP currents where the standard has a VPP rail.

use super::Standard;
use serde::Serialize;

/// What the controller did, counted for energy. Cycles are DRAM command-clock cycles
/// summed over ranks (a rank is either active, with a bank open, or precharged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ActivityCounts {
    pub act: u64,
    /// Row closures: PRE commands, banks closed by PREA, and auto-precharges (RDA/WRA).
    pub pre: u64,
    pub rd: u64,
    pub wr: u64,
    pub refresh: u64,
    /// Sum over ranks of cycles with at least one bank open.
    pub active_rank_cycles: u64,
    /// Sum over ranks of cycles with every bank precharged.
    pub precharged_rank_cycles: u64,
}

/// Energy by kind, picojoules, whole system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct EnergyBreakdown {
    pub act_pre_pj: f64,
    pub rd_pj: f64,
    pub wr_pj: f64,
    pub refresh_pj: f64,
    pub active_standby_pj: f64,
    pub precharged_standby_pj: f64,
}

impl EnergyBreakdown {
    pub fn total_pj(&self) -> f64 {
        self.act_pre_pj
            + self.rd_pj
            + self.wr_pj
            + self.refresh_pj
            + self.active_standby_pj
            + self.precharged_standby_pj
    }
    /// Dynamic (command) energy, excluding background.
    pub fn dynamic_pj(&self) -> f64 {
        self.act_pre_pj + self.rd_pj + self.wr_pj + self.refresh_pj
    }
    /// (kind, pJ) pairs, named as in stats.json's `energy_breakdown_pj`.
    pub fn entries(&self) -> [(&'static str, f64); 6] {
        [
            ("act_pre", self.act_pre_pj),
            ("rd", self.rd_pj),
            ("wr", self.wr_pj),
            ("refresh", self.refresh_pj),
            ("active_standby", self.active_standby_pj),
            ("precharged_standby", self.precharged_standby_pj),
        ]
    }
}

/// Per-event energies of one configured DRAM system, precomputed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DramPower {
    pub act_pre_pj: f64,
    pub rd_pj: f64,
    pub wr_pj: f64,
    pub refresh_pj: f64,
    /// Background energy of one rank for one cycle.
    pub active_standby_pj_per_cycle: f64,
    pub precharged_standby_pj_per_cycle: f64,
}

impl DramPower {
    /// `devices_per_rank` devices contribute to every command of a rank.
    /// `energy_scale` multiplies every term: 1.0 at nominal VDD, about (V/Vnom)^2 at
    /// reduced voltage (see `voltage`).
    pub fn new(s: &Standard, energy_scale: f64) -> Self {
        let p = &s.power;
        let t = &s.timing;
        let tck_ns = t.tCK_ps as f64 / 1000.0;
        let dev = s.organization.devices_per_rank() as f64 * energy_scale;
        let (rc, ras, burst, rfc) = (
            t.RC as f64 * tck_ns,
            t.RAS as f64 * tck_ns,
            t.BL as f64 * tck_ns,
            t.RFC as f64 * tck_ns,
        );
        let rail = |v: f64, i0: f64, i2n: f64, i3n: f64, i4r: f64, i4w: f64, i5: f64| {
            [
                v * (i0 * rc - i3n * ras - i2n * (rc - ras)),
                v * (i4r - i3n) * burst,
                v * (i4w - i3n) * burst,
                v * (i5 - i3n) * rfc,
                v * i3n * tck_ns,
                v * i2n * tck_ns,
            ]
        };
        let a = rail(p.VDD, p.IDD0, p.IDD2N, p.IDD3N, p.IDD4R, p.IDD4W, p.IDD5);
        let b = rail(p.VPP, p.IPP0, p.IPP2N, p.IPP3N, p.IPP4R, p.IPP4W, p.IPP5);
        let e = |k: usize| (a[k] + b[k]) * dev;
        DramPower {
            act_pre_pj: e(0),
            rd_pj: e(1),
            wr_pj: e(2),
            refresh_pj: e(3),
            active_standby_pj_per_cycle: e(4),
            precharged_standby_pj_per_cycle: e(5),
        }
    }

    /// Energy of counted activity. An ACT+PRE pair is booked per ACT.
    pub fn energy(&self, a: &ActivityCounts) -> EnergyBreakdown {
        EnergyBreakdown {
            act_pre_pj: a.act as f64 * self.act_pre_pj,
            rd_pj: a.rd as f64 * self.rd_pj,
            wr_pj: a.wr as f64 * self.wr_pj,
            refresh_pj: a.refresh as f64 * self.refresh_pj,
            active_standby_pj: a.active_rank_cycles as f64 * self.active_standby_pj_per_cycle,
            precharged_standby_pj: a.precharged_rank_cycles as f64
                * self.precharged_standby_pj_per_cycle,
        }
    }
}
