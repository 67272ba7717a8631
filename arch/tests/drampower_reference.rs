//! Energies against DRAMPower's own published reference output: its test
//! `test_LPDDR2_1066_short_matches_reference` (test/reference/
//! test_LPDDR2_1066_short_matches_reference.out in tukl-msd/DRAMPower) for memspec
//! MICRON_2Gb_LPDDR2-1066-S4_16bit_A, whose trace holds 84 ACT, 168 RD, 84 PRE, 1646
//! cycles with a bank open and 9 precharged. The same counts, booked by spikemem's
//! power model for that memspec (written as a standard file, tests/data/lpddr2-1066.toml),
//! give DRAMPower's figures: spikemem books ACT and PRE as one pair, so their sum is
//! compared.

use spikemem_arch::dram::power::{ActivityCounts, DramPower};
use spikemem_arch::dram::Standard;

#[test]
fn lpddr2_1066_energies_match_drampower_reference_output() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lpddr2-1066.toml"
    ))
    .unwrap();
    let s = Standard::from_toml_str(&text).unwrap();
    s.validate().unwrap();
    assert_eq!(s.organization.devices_per_rank(), 1);
    let a = ActivityCounts {
        act: 84,
        pre: 84,
        rd: 168,
        active_rank_cycles: 1646,
        precharged_rank_cycles: 9,
        ..Default::default()
    };
    let e = DramPower::new(&s, 1.0).energy(&a);
    // DRAMPower: "ACT Cmd Energy: 301000.53 pJ", "PRE Cmd Energy: 130122.78 pJ",
    // "RD Cmd Energy: 305161.13 pJ", "ACT Stdby Energy: 117844.95 pJ",
    // "PRE Stdby Energy: 497.45 pJ", "Total Trace Energy: 854626.83 pJ".
    // spikemem's tCK is whole picoseconds: 1876 ps against DRAMPower's 1000/533 ns, so
    // every energy scales by 1876 / 1876.17; beyond that they agree to DRAMPower's
    // printed precision (0.01 pJ).
    let tck_ratio = 1876.0 / (1e6 / 533.0);
    for (what, got, want) in [
        ("ACT + PRE", e.act_pre_pj, 301_000.53 + 130_122.78),
        ("RD", e.rd_pj, 305_161.13),
        ("active standby", e.active_standby_pj, 117_844.95),
        ("precharged standby", e.precharged_standby_pj, 497.45),
        ("total", e.total_pj(), 854_626.83),
    ] {
        let want = want * tck_ratio;
        assert!(
            (got - want).abs() <= 0.01,
            "{what}: spikemem {got:.3} pJ, DRAMPower (at 1876 ps) {want:.3} pJ"
        );
    }
}
