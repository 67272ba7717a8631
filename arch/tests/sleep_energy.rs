//! When self-refresh pays: one idle gap of L cycles between two reads on DDR4-2400,
//! spent in precharged power-down (woken for every REF) or in self-refresh (one refresh
//! at entry, booked by DRAMPower's method, then IDD6), against the analytic break-even.

use spikemem_arch::dram::config::RowPolicy;
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::power::DramPower;
use spikemem_arch::dram::{DramConfig, ReqKind, Request, Standard};

/// Total DRAM energy (pJ) of a read at cycle 0 and one at `gap`, run to the second's end.
fn energy(gap: u64, self_refresh: bool) -> f64 {
    let s = Standard::preset("DDR4-2400").unwrap();
    let cfg = DramConfig {
        row_policy: RowPolicy::Closed,
        power_down_after_cycles: (!self_refresh).then_some(10),
        self_refresh_after_cycles: self_refresh.then_some(10),
        ..DramConfig::default()
    };
    let mut mem = MemorySystem::new(&cfg, &s).unwrap();
    let mut done = Vec::new();
    let reqs = [(0u64, 0u64), (gap, 1 << 20)];
    let mut t = 0;
    for (i, &(at, addr)) in reqs.iter().enumerate() {
        let req = Request {
            id: i as u64,
            addr,
            kind: ReqKind::Read,
        };
        mem.advance_to(at, &mut done);
        assert!(mem.try_enqueue(req, at));
        t = at;
    }
    while done.len() < 2 {
        t += 1;
        mem.advance_to(t, &mut done);
    }
    DramPower::new(&s, 1.0).energy(&mem.activity()).total_pj()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn self_refresh_pays_once_an_idle_gap_spans_a_refresh() {
    let s = Standard::preset("DDR4-2400").unwrap();
    let t = &s.timing;
    let (rfc, refi, xp) = (t.RFC as f64, t.REFI as u64, t.XP as f64);
    let w = DramPower::new(&s, 1.0);
    let (p_pd, p_sr) = (
        w.precharged_powerdown_pj_per_cycle,
        w.self_refresh_pj_per_cycle,
    );
    // Self-refresh minus power-down, per gap; both gaps below tREFI (no REF in them).
    let diff = |gap| energy(gap, true) - energy(gap, false);
    let (d1, d8) = (diff(1_000), diff(8_000));
    // Within one refresh interval the difference falls by (P_PD - P_SR) per idle cycle
    // (DDR4-2400, 8 devices: 249.90 - 205.25 = 44.65 pJ).
    close(d8 - d1, 7_000.0 * (p_sr - p_pd), "slope");
    // ...but starts from self-refresh's entry refresh (one REF's energy plus the
    // power-down background of its tRFC; tXS instead of tXP on exit): still positive
    // at 8,000 cycles. Without refresh the break-even would be ~23,100 cycles.
    assert!(d8 > 0.0, "{d8}");
    let no_ref_break_even = 1_000.0 + d1 / (p_pd - p_sr);
    assert!(
        (23_000.0..23_300.0).contains(&no_ref_break_even),
        "{no_ref_break_even}"
    );
    // A REF falling in the gap wakes the power-down rank: one REF, the rank active for
    // tRFC, and tXP + the 10-cycle re-entry threshold at precharged standby.
    let step = energy(10_000, false) - energy(8_000, false) - 2_000.0 * p_pd;
    let pd_ref = w.refresh_pj
        + rfc * (w.active_standby_pj_per_cycle - p_pd)
        + (xp + 10.0) * (w.precharged_standby_pj_per_cycle - p_pd);
    close(step, pd_ref, "a refresh in power-down");
    // That costs more than self-refresh's entry: self-refresh wins as soon as the gap
    // spans a refresh, here from the first REF at tREFI = 9,360 cycles.
    assert!(pd_ref > d8);
    assert!(diff(refi + 600) < 0.0);
    assert!(diff(40_000) < diff(refi + 600));
}
