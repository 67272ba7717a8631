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
//! - power-down:   VDD x IDD3P (a bank open) or VDD x IDD2P (all closed) x time powered down
//! - self-refresh: VDD x IDD6 x time in self-refresh, except its first refresh: on
//!   entry the device does one auto-refresh, booked as DRAMPower books it
//!   (CommandAnalysis::handleSREx, MemoryPowerModel::engy_sref): a whole REF,
//!   VDD x (IDD5 - IDD3N) x tRFC, per period, plus the background of that tRFC: while
//!   still in self-refresh at IDD3P for its first tRFC - tRP and IDD2P for the last tRP
//!   (instead of IDD6); if the rank leaves before tRFC, the rest of the refresh runs
//!   after the exit, its active part at IDD3N (the controller books those cycles as
//!   precharged standby, IDD2N: the difference is added) and its precharge part at
//!   IDD2N (already booked). See [`self_refresh_first_refresh`].
//!
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
    /// Sum over ranks of cycles in power-down with a bank open (not in the two above).
    pub active_powerdown_rank_cycles: u64,
    /// Sum over ranks of cycles in power-down with every bank precharged.
    pub precharged_powerdown_rank_cycles: u64,
    /// Power-down entries, summed over ranks.
    pub powerdowns: u64,
    /// Sum over ranks of cycles in self-refresh (not in any of the above).
    pub self_refresh_rank_cycles: u64,
    /// Self-refresh entries, summed over ranks.
    pub self_refreshes: u64,
    /// The first refresh of each self-refresh period, in rank-cycles, split as
    /// [`self_refresh_first_refresh`] splits it: its active part (the first tRFC - tRP)
    /// and its precharge part (the last tRP) while the rank is in self-refresh (both
    /// included in `self_refresh_rank_cycles`), ...
    pub self_refresh_ref_act_rank_cycles: u64,
    pub self_refresh_ref_pre_rank_cycles: u64,
    /// ... and the same two parts after an exit that came before tRFC (included in
    /// `precharged_rank_cycles`).
    pub self_refresh_exit_ref_act_rank_cycles: u64,
    pub self_refresh_exit_ref_pre_rank_cycles: u64,
}

/// DRAMPower's split of the auto-refresh a device performs on entering self-refresh,
/// for a period of `len` cycles (`exited`: the rank has left it; else it is still in
/// it, `len` cycles so far): [active part in self-refresh, precharge part in
/// self-refresh, active part after the exit, precharge part after the exit]. The
/// refresh is active for its first tRFC - tRP and precharges for the last tRP. A
/// finished period covers all of tRFC (what the period does not, the exit does); one
/// still going on, only its first `len` cycles (DRAMPower's `handleSREx` and
/// end-of-trace handling).
pub fn self_refresh_first_refresh(len: u64, rfc: u64, rp: u64, exited: bool) -> [u64; 4] {
    let act = rfc.saturating_sub(rp);
    let pre = rfc - act;
    let in_act = len.min(act);
    let in_pre = (len - in_act).min(pre);
    if exited {
        [in_act, in_pre, act - in_act, pre - in_pre]
    } else {
        [in_act, in_pre, 0, 0]
    }
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
    pub active_powerdown_pj: f64,
    pub precharged_powerdown_pj: f64,
    pub self_refresh_pj: f64,
}

impl EnergyBreakdown {
    pub fn total_pj(&self) -> f64 {
        self.entries().iter().map(|(_, e)| e).sum()
    }
    /// Dynamic (command) energy, excluding background.
    pub fn dynamic_pj(&self) -> f64 {
        self.act_pre_pj + self.rd_pj + self.wr_pj + self.refresh_pj
    }
    /// Access energy: what serving requests costs on top of keeping the DRAM alive,
    /// ACT+PRE pairs and RD / WR bursts. `access_pj() + background_pj() == total_pj()`.
    pub fn access_pj(&self) -> f64 {
        self.act_pre_pj + self.rd_pj + self.wr_pj
    }
    /// Background energy: what the DRAM costs whether or not it is accessed, refresh
    /// (REF commands, and self-refresh) and standby / power-down time.
    pub fn background_pj(&self) -> f64 {
        self.refresh_pj
            + self.active_standby_pj
            + self.precharged_standby_pj
            + self.active_powerdown_pj
            + self.precharged_powerdown_pj
            + self.self_refresh_pj
    }
    /// (kind, pJ) pairs, named as in stats.json's `energy_breakdown_pj`.
    pub fn entries(&self) -> [(&'static str, f64); 9] {
        [
            ("act_pre", self.act_pre_pj),
            ("rd", self.rd_pj),
            ("wr", self.wr_pj),
            ("refresh", self.refresh_pj),
            ("active_standby", self.active_standby_pj),
            ("precharged_standby", self.precharged_standby_pj),
            ("active_powerdown", self.active_powerdown_pj),
            ("precharged_powerdown", self.precharged_powerdown_pj),
            ("self_refresh", self.self_refresh_pj),
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
    pub active_powerdown_pj_per_cycle: f64,
    pub precharged_powerdown_pj_per_cycle: f64,
    pub self_refresh_pj_per_cycle: f64,
    /// Per rank-cycle of self-refresh's first refresh: its (IDD5 - IDD3N) share, so
    /// tRFC of it is one REF (`refresh_pj`).
    pub self_refresh_ref_pj_per_cycle: f64,
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
        let pd = |idd: f64, ipp: f64| (p.VDD * idd + p.VPP * ipp) * tck_ns * dev;
        DramPower {
            act_pre_pj: e(0),
            rd_pj: e(1),
            wr_pj: e(2),
            refresh_pj: e(3),
            active_standby_pj_per_cycle: e(4),
            precharged_standby_pj_per_cycle: e(5),
            active_powerdown_pj_per_cycle: pd(p.IDD3P, p.IPP3P),
            precharged_powerdown_pj_per_cycle: pd(p.IDD2P, p.IPP2P),
            self_refresh_pj_per_cycle: pd(p.IDD6, p.IPP6),
            self_refresh_ref_pj_per_cycle: pd(p.IDD5 - p.IDD3N, p.IPP5 - p.IPP3N),
        }
    }

    /// Energy of counted activity. An ACT+PRE pair is booked per ACT. Self-refresh's
    /// first refresh (its REF share and its background) goes to `self_refresh_pj`, as
    /// DRAMPower's self-refresh energy includes it; `refresh_pj` is REF commands only.
    pub fn energy(&self, a: &ActivityCounts) -> EnergyBreakdown {
        let (in_act, in_pre) = (
            a.self_refresh_ref_act_rank_cycles,
            a.self_refresh_ref_pre_rank_cycles,
        );
        let (out_act, out_pre) = (
            a.self_refresh_exit_ref_act_rank_cycles,
            a.self_refresh_exit_ref_pre_rank_cycles,
        );
        let idd6_cycles = a.self_refresh_rank_cycles - in_act - in_pre;
        let self_refresh_pj = idd6_cycles as f64 * self.self_refresh_pj_per_cycle
            + (in_act + in_pre + out_act + out_pre) as f64 * self.self_refresh_ref_pj_per_cycle
            + in_act as f64 * self.active_powerdown_pj_per_cycle
            + in_pre as f64 * self.precharged_powerdown_pj_per_cycle
            + out_act as f64
                * (self.active_standby_pj_per_cycle - self.precharged_standby_pj_per_cycle);
        EnergyBreakdown {
            act_pre_pj: a.act as f64 * self.act_pre_pj,
            rd_pj: a.rd as f64 * self.rd_pj,
            wr_pj: a.wr as f64 * self.wr_pj,
            refresh_pj: a.refresh as f64 * self.refresh_pj,
            active_standby_pj: a.active_rank_cycles as f64 * self.active_standby_pj_per_cycle,
            precharged_standby_pj: a.precharged_rank_cycles as f64
                * self.precharged_standby_pj_per_cycle,
            active_powerdown_pj: a.active_powerdown_rank_cycles as f64
                * self.active_powerdown_pj_per_cycle,
            precharged_powerdown_pj: a.precharged_powerdown_rank_cycles as f64
                * self.precharged_powerdown_pj_per_cycle,
            self_refresh_pj,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal to 1e-12 relative: the code and the hand formula differ only in rounding.
    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "got {got}, want {want}"
        );
    }

    fn preset(name: &str) -> Standard {
        Standard::preset(name).unwrap()
    }

    #[test]
    fn ddr3_1600_x16_by_hand() {
        // Micron MT41J128M16-125: 1.5 V, tCK 1.25 ns, 64-bit rank of 4 x16 devices.
        let p = DramPower::new(&preset("DDR3-1600-x16"), 1.0);
        let (v, tck, dev) = (1.5, 1.25, 4.0);
        // ACT+PRE: IDD0 110 mA over tRC 38, minus IDD3N 45 over tRAS 28 and IDD2N 42
        // over tRC - tRAS = 10 cycles: 1.5 x 1.25 x 2500 = 4687.5 pJ per device.
        close(
            p.act_pre_pj,
            dev * v * (110.0 * 38.0 * tck - 45.0 * 28.0 * tck - 42.0 * 10.0 * tck),
        );
        close(p.act_pre_pj, 18_750.0);
        // RD / WR bursts: (IDD4R/W - IDD3N) over BL8 = 4 tCK.
        close(p.rd_pj, dev * v * (270.0 - 45.0) * 4.0 * tck);
        close(p.rd_pj, 6_750.0);
        close(p.wr_pj, dev * v * (280.0 - 45.0) * 4.0 * tck);
        close(p.wr_pj, 7_050.0);
        // REF: (IDD5 - IDD3N) over tRFC 128 tCK = 160 ns.
        close(p.refresh_pj, dev * v * (215.0 - 45.0) * 128.0 * tck);
        close(p.refresh_pj, 163_200.0);
        // Background per rank-cycle.
        close(p.active_standby_pj_per_cycle, dev * v * 45.0 * tck);
        close(p.precharged_standby_pj_per_cycle, dev * v * 42.0 * tck);
        close(p.precharged_standby_pj_per_cycle, 315.0);
    }

    #[test]
    fn ddr4_2400_by_hand_with_vpp_rail() {
        // Micron MT40A1G8-083E: VDD 1.2 V, VPP 2.5 V, tCK 0.833 ns, 8 x8 devices.
        let p = DramPower::new(&preset("DDR4-2400"), 1.0);
        let (vdd, vpp, tck, dev) = (1.2, 2.5, 0.833, 8.0);
        // ACT+PRE (tRC 55, tRAS 39): the VPP term is 3 mA x (55 - 39 - 16) tCK = 0,
        // since IPP0 = IPP3N = IPP2N.
        let act_vdd = vdd * (48.0 * 55.0 * tck - 43.0 * 39.0 * tck - 34.0 * 16.0 * tck);
        let act_vpp = vpp * (3.0 * 55.0 * tck - 3.0 * 39.0 * tck - 3.0 * 16.0 * tck);
        close(p.act_pre_pj, dev * (act_vdd + act_vpp));
        close(
            p.rd_pj,
            dev * (vdd * (135.0 - 43.0) + vpp * (3.0 - 3.0)) * 4.0 * tck,
        );
        close(
            p.wr_pj,
            dev * (vdd * (123.0 - 43.0) + vpp * (3.0 - 3.0)) * 4.0 * tck,
        );
        // REF over tRFC 420 tCK: VPP adds (IPP5 - IPP3N) = 2 mA at 2.5 V.
        let ref_vdd = vdd * (250.0 - 43.0) * 420.0 * tck;
        let ref_vpp = vpp * (5.0 - 3.0) * 420.0 * tck;
        close(p.refresh_pj, dev * (ref_vdd + ref_vpp));
        assert!(ref_vpp > 0.0);
        // Background: IDD3N / IDD2N on VDD plus IPP3N / IPP2N = 3 mA on VPP.
        close(
            p.active_standby_pj_per_cycle,
            dev * (vdd * 43.0 + vpp * 3.0) * tck,
        );
        close(
            p.precharged_standby_pj_per_cycle,
            dev * (vdd * 34.0 + vpp * 3.0) * tck,
        );
        // 1.2 V x 43 mA = 51.6 and 2.5 V x 3 mA = 7.5 (mA x V): VPP adds 13% to active standby.
        close(p.active_standby_pj_per_cycle, 8.0 * (51.6 + 7.5) * 0.833);
    }

    #[test]
    fn lpddr3_1600_by_hand() {
        // DRAMPower's 4Gb LPDDR3-1600 x32: one device per 32-bit channel; VDD2 1.2 V
        // (the IDD currents) plus the VDD1 1.8 V rail (stored in the second-rail fields:
        // IDD0 15, IDD2N/3N 2, IDD4R 5, IDD4W 10, IDD5 40 mA).
        let p = DramPower::new(&preset("LPDDR3-1600"), 1.0);
        let (v, v1, tck) = (1.2, 1.8, 1.25);
        // VDD2: tRC 48 (DRAMPower's memspec; the timing rules still space ACTs RAS + RP =
        // 51 apart), tRAS 36: 1.2 x (80 x 60 - 45 x 45 - 38 x 15) = 1.2 x 2205 = 2646 pJ.
        let act2 = v * (80.0 * 48.0 * tck - 45.0 * 36.0 * tck - 38.0 * 12.0 * tck);
        close(act2, 2_646.0);
        // VDD1: 1.8 x (15 x 60 - 2 x 45 - 2 x 15) = 1.8 x 780 = 1404 pJ.
        let act1 = v1 * (15.0 * 48.0 * tck - 2.0 * 36.0 * tck - 2.0 * 12.0 * tck);
        close(act1, 1_404.0);
        close(p.act_pre_pj, act2 + act1);
        close(
            p.rd_pj,
            v * (260.0 - 45.0) * 4.0 * tck + v1 * (5.0 - 2.0) * 4.0 * tck,
        );
        close(
            p.wr_pj,
            v * (284.0 - 45.0) * 4.0 * tck + v1 * (10.0 - 2.0) * 4.0 * tck,
        );
        close(
            p.refresh_pj,
            v * (160.0 - 45.0) * 104.0 * tck + v1 * (40.0 - 2.0) * 104.0 * tck,
        );
        close(
            p.active_standby_pj_per_cycle,
            v * 45.0 * tck + v1 * 2.0 * tck,
        );
        close(
            p.precharged_standby_pj_per_cycle,
            v * 38.0 * tck + v1 * 2.0 * tck,
        );
    }

    #[test]
    fn intervals_by_hand() {
        let p = DramPower::new(&preset("DDR3-1600-x16"), 1.0);
        // Idle: 10 us precharged standby = 8000 cycles of 1.25 ns, 4 devices at IDD2N:
        // 8000 x 4 x 1.5 V x 42 mA x 1.25 ns = 2.52 uJ; nothing else.
        let idle = p.energy(&ActivityCounts {
            precharged_rank_cycles: 8000,
            ..Default::default()
        });
        close(idle.precharged_standby_pj, 8000.0 * 4.0 * 1.5 * 42.0 * 1.25);
        close(idle.total_pj(), 2_520_000.0);
        assert_eq!(idle.dynamic_pj(), 0.0);
        // Active: one row open for 1000 cycles with 3 ACT/PRE pairs, 10 reads, 5 writes,
        // and one refresh; 2000 more cycles precharged.
        let a = ActivityCounts {
            act: 3,
            pre: 3,
            rd: 10,
            wr: 5,
            refresh: 1,
            active_rank_cycles: 1000,
            precharged_rank_cycles: 2000,
            ..Default::default()
        };
        let e = p.energy(&a);
        close(e.act_pre_pj, 3.0 * 18_750.0);
        close(e.rd_pj, 10.0 * 6_750.0);
        close(e.wr_pj, 5.0 * 7_050.0);
        close(e.refresh_pj, 163_200.0);
        close(e.active_standby_pj, 1000.0 * 337.5);
        close(e.precharged_standby_pj, 2000.0 * 315.0);
        // 56250 + 67500 + 35250 + 163200 + 337500 + 630000
        close(e.total_pj(), 1_289_700.0);
        close(e.dynamic_pj(), 56_250.0 + 67_500.0 + 35_250.0 + 163_200.0);
        // Access: the 3 ACT/PRE pairs and the 15 bursts; background: the REF and the
        // standby time.
        close(e.access_pj(), 56_250.0 + 67_500.0 + 35_250.0);
        close(e.background_pj(), 163_200.0 + 337_500.0 + 630_000.0);
        close(e.access_pj() + e.background_pj(), e.total_pj());
        // The pair is booked per ACT: the PRE count carries no extra energy.
        assert_eq!(p.energy(&ActivityCounts { pre: 99, ..a }), e);
    }

    #[test]
    fn power_down_by_hand() {
        // DDR4-2400, 8 devices, 0.833 ns: active PD (IDD3P 37 mA at 1.2 V, IPP3P 3 mA
        // at 2.5 V) = 8 x (44.4 + 7.5) mW x 0.833 ns; precharged PD (IDD2P 25) likewise.
        let p = DramPower::new(&preset("DDR4-2400"), 1.0);
        close(p.active_powerdown_pj_per_cycle, 8.0 * 51.9 * 0.833);
        close(p.precharged_powerdown_pj_per_cycle, 8.0 * 37.5 * 0.833);
        // LPDDR3-1600, one x32 die, 1.25 ns: VDD2 1.2 V x 8.15 / 0.87 mA plus VDD1
        // 1.8 V x 1.2 / 0.6 mA.
        let p = DramPower::new(&preset("LPDDR3-1600"), 1.0);
        close(p.active_powerdown_pj_per_cycle, (9.78 + 2.16) * 1.25);
        close(p.precharged_powerdown_pj_per_cycle, (1.044 + 1.08) * 1.25);
        // Power-down costs less than standby on every preset.
        for (name, _) in super::super::standard::PRESETS {
            let p = DramPower::new(&preset(name), 1.0);
            assert!(p.active_powerdown_pj_per_cycle <= p.active_standby_pj_per_cycle);
            assert!(p.precharged_powerdown_pj_per_cycle < p.precharged_standby_pj_per_cycle);
        }
        // 1000 cycles of each on DDR3-1600-x16 (4 devices, 1.5 V, IDD3P 45, IDD2P 40 mA).
        let p = DramPower::new(&preset("DDR3-1600-x16"), 1.0);
        let e = p.energy(&ActivityCounts {
            active_powerdown_rank_cycles: 1000,
            precharged_powerdown_rank_cycles: 1000,
            ..Default::default()
        });
        close(e.active_powerdown_pj, 1000.0 * 4.0 * 1.5 * 45.0 * 1.25);
        close(e.precharged_powerdown_pj, 1000.0 * 4.0 * 1.5 * 40.0 * 1.25);
        close(e.total_pj(), 337_500.0 + 300_000.0);
        // Self-refresh: DDR4 8 x (1.2 V x 20.25 + 2.5 V x 2.6 mA) x 0.833 ns per cycle.
        // It refreshes by itself, so it beats precharged power-down plus the REF commands
        // that would be due meanwhile (one per tREFI) on every preset.
        let p = DramPower::new(&preset("DDR4-2400"), 1.0);
        close(p.self_refresh_pj_per_cycle, 8.0 * (24.3 + 6.5) * 0.833);
        for (name, _) in super::super::standard::PRESETS {
            let s = preset(name);
            let p = DramPower::new(&s, 1.0);
            let refresh_per_cycle = p.refresh_pj / s.timing.REFI as f64;
            assert!(
                p.self_refresh_pj_per_cycle
                    < p.precharged_powerdown_pj_per_cycle + refresh_per_cycle,
                "{name}"
            );
        }
    }

    #[test]
    fn self_refresh_first_refresh_split() {
        // DDR4-2400: tRFC 420 = 404 active + tRP 16.
        let split = |len, exited| self_refresh_first_refresh(len, 420, 16, exited);
        assert_eq!(split(1000, true), [404, 16, 0, 0]);
        assert_eq!(split(420, true), [404, 16, 0, 0]);
        assert_eq!(split(410, true), [404, 6, 0, 10]);
        assert_eq!(split(404, true), [404, 0, 0, 16]);
        assert_eq!(split(100, true), [100, 0, 304, 16]);
        // Still in self-refresh: only the part so far.
        assert_eq!(split(1000, false), [404, 16, 0, 0]);
        assert_eq!(split(410, false), [404, 6, 0, 0]);
        assert_eq!(split(100, false), [100, 0, 0, 0]);
        assert_eq!(split(0, false), [0; 4]);
    }

    #[test]
    fn self_refresh_first_refresh_by_hand() {
        // DDR4-2400, 8 devices, tCK 0.833 ns; per device and cycle, in mA x V (= mW):
        //   IDD6:          1.2 x 20.25 + 2.5 x 2.6     = 24.3 + 6.5  = 30.8
        //   IDD5 - IDD3N:  1.2 x (250 - 43) + 2.5 x (5 - 3) = 248.4 + 5 = 253.4
        //   IDD3P:         1.2 x 37 + 2.5 x 3          = 44.4 + 7.5  = 51.9
        //   IDD2P:         1.2 x 25 + 2.5 x 3          = 30 + 7.5    = 37.5
        //   IDD3N - IDD2N: 1.2 x (43 - 34) + 2.5 x (3 - 3)           = 10.8
        let p = DramPower::new(&preset("DDR4-2400"), 1.0);
        let k = 8.0 * 0.833;
        close(p.self_refresh_ref_pj_per_cycle, 253.4 * k);
        // tRFC of the refresh share is one REF.
        close(420.0 * p.self_refresh_ref_pj_per_cycle, p.refresh_pj);
        // Two self-refreshes: 1000 cycles (longer than tRFC: 404 + 16 inside) and 100
        // (shorter: 100 inside, 304 + 16 after the exit, those in precharged standby).
        let a = ActivityCounts {
            precharged_rank_cycles: 320,
            self_refresh_rank_cycles: 1100,
            self_refreshes: 2,
            self_refresh_ref_act_rank_cycles: 404 + 100,
            self_refresh_ref_pre_rank_cycles: 16,
            self_refresh_exit_ref_act_rank_cycles: 304,
            self_refresh_exit_ref_pre_rank_cycles: 16,
            ..Default::default()
        };
        let e = p.energy(&a);
        // IDD6 over 1100 - 520 = 580 cycles:  580 x 30.8  =  17,864
        // refresh share over 2 x 420 cycles:  840 x 253.4 = 212,856
        // IDD3P over 504 active cycles:       504 x 51.9  =  26,157.6
        // IDD2P over 16 precharge cycles:      16 x 37.5  =     600
        // IDD3N - IDD2N over 304 after exit:  304 x 10.8  =   3,283.2
        // sum 260,760.8 x 8 x 0.833 = 1,737,709.9712 pJ
        close(
            e.self_refresh_pj,
            (580.0 * 30.8 + 840.0 * 253.4 + 504.0 * 51.9 + 16.0 * 37.5 + 304.0 * 10.8) * k,
        );
        close(e.self_refresh_pj, 1_737_709.971_2);
        // The exit's cycles stay precharged standby (IDD2N + IPP2N: 1.2 x 34 + 2.5 x 3 = 48.3).
        close(e.precharged_standby_pj, 320.0 * 48.3 * k);
        close(e.refresh_pj, 0.0);
        // All at IDD6, as before: 1100 x 30.8 x 6.664 = 225,776.32 pJ, 7.7x less.
        close(1100.0 * p.self_refresh_pj_per_cycle, 225_776.32);
        // No first-refresh counts: all of it at IDD6.
        let plain = ActivityCounts {
            self_refresh_rank_cycles: 1100,
            ..Default::default()
        };
        close(p.energy(&plain).self_refresh_pj, 225_776.32);
    }

    #[test]
    fn energy_scale_multiplies_every_term() {
        for name in ["DDR3-1600-x16", "DDR4-2400", "LPDDR3-1600"] {
            let s = preset(name);
            let (nom, low) = (DramPower::new(&s, 1.0), DramPower::new(&s, 0.576));
            close(low.act_pre_pj, 0.576 * nom.act_pre_pj);
            close(low.rd_pj, 0.576 * nom.rd_pj);
            close(low.wr_pj, 0.576 * nom.wr_pj);
            close(low.refresh_pj, 0.576 * nom.refresh_pj);
            close(
                low.active_standby_pj_per_cycle,
                0.576 * nom.active_standby_pj_per_cycle,
            );
            close(
                low.precharged_standby_pj_per_cycle,
                0.576 * nom.precharged_standby_pj_per_cycle,
            );
            close(
                low.active_powerdown_pj_per_cycle,
                0.576 * nom.active_powerdown_pj_per_cycle,
            );
            close(
                low.precharged_powerdown_pj_per_cycle,
                0.576 * nom.precharged_powerdown_pj_per_cycle,
            );
            close(
                low.self_refresh_ref_pj_per_cycle,
                0.576 * nom.self_refresh_ref_pj_per_cycle,
            );
        }
    }

    #[test]
    fn total_is_the_sum_of_kinds() {
        let p = DramPower::new(&preset("DDR4-2400"), 0.8);
        let a = ActivityCounts {
            act: 17,
            pre: 16,
            rd: 301,
            wr: 77,
            refresh: 4,
            active_rank_cycles: 12_345,
            precharged_rank_cycles: 6_789,
            active_powerdown_rank_cycles: 2_222,
            precharged_powerdown_rank_cycles: 3_333,
            powerdowns: 5,
            self_refresh_rank_cycles: 4_444,
            self_refreshes: 2,
            self_refresh_ref_act_rank_cycles: 404 + 100,
            self_refresh_ref_pre_rank_cycles: 16,
            self_refresh_exit_ref_act_rank_cycles: 304,
            self_refresh_exit_ref_pre_rank_cycles: 16,
        };
        let e = p.energy(&a);
        let sum: f64 = e.entries().iter().map(|(_, v)| v).sum();
        close(e.total_pj(), sum);
        close(
            e.total_pj(),
            e.dynamic_pj()
                + e.active_standby_pj
                + e.precharged_standby_pj
                + e.active_powerdown_pj
                + e.precharged_powerdown_pj
                + e.self_refresh_pj,
        );
        close(e.access_pj() + e.background_pj(), e.total_pj());
        assert!(e.active_powerdown_pj > 0.0 && e.precharged_powerdown_pj > 0.0);
        let names: Vec<&str> = e.entries().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "act_pre",
                "rd",
                "wr",
                "refresh",
                "active_standby",
                "precharged_standby",
                "active_powerdown",
                "precharged_powerdown",
                "self_refresh",
            ]
        );
        assert!(e.entries().iter().all(|(_, v)| *v > 0.0));
    }
}
