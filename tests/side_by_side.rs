//! spikemem against DRAMsim3 and Ramulator on the same traces (scripts/compare_dram.py),
//! 2 x 10^4 reads each: total cycles, row-hit rate and (DRAMsim3) energy must stay
//! where the README's validation tables put them. The reference simulators are built by
//! scripts/get_dramsim3.sh and scripts/get_ramulator.sh (`.ci/run` does both) and found
//! through SPIKEMEM_DRAMSIM3 (the dramsim3main.out binary) and SPIKEMEM_RAMULATOR (a
//! Ramulator built with `frfcfs`); a test whose variable is unset says so and passes.

use std::path::Path;
use std::process::Command;

/// `compare_dram.py ARGS --json`: per trace kind, per simulator, its figures.
fn compare(args: &[&str]) -> serde_json::Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(Path::new(root).join("scripts/compare_dram.py"))
        .args(args)
        .args(["--spikemem", env!("CARGO_BIN_EXE_spikemem")])
        .args(["--requests", "20000", "--json"])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "compare_dram.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("compare_dram.py --json prints JSON")
}

fn reference(var: &str) -> Option<String> {
    let v = std::env::var(var).ok().filter(|p| Path::new(p).exists());
    if v.is_none() {
        eprintln!("{var} is not set to a binary: skipped (see scripts/get_*.sh)");
    }
    v
}

fn f(v: &serde_json::Value, sim: &str, key: &str) -> f64 {
    v[sim][key].as_f64().unwrap()
}

#[test]
fn dramsim3_agrees_on_cycles_hits_and_energy() {
    let Some(exe) = reference("SPIKEMEM_DRAMSIM3") else {
        return;
    };
    let configs = Path::new(&exe).parent().unwrap().join("configs");
    // (config, max |cycles difference| in %): the README's table at 10^5 reads has
    // DDR4 +4.3 / -2.7, DDR3 +0.1 / -2.0, LPDDR3 -0.1 / -0.3; at 2 x 10^4 reads DDR4's
    // stream is +4.4 (DRAMsim3's deeper queues look further into the next bank group).
    for (ini, max_cycles_pct) in [
        ("DDR4_8Gb_x8_2400.ini", 5.0),
        ("DDR3_8Gb_x8_1600.ini", 3.0),
        ("LPDDR3_8Gb_x32_1600.ini", 1.0),
    ] {
        let ini = configs.join(ini);
        let r = compare(&["--dramsim3", &exe, "--ini", ini.to_str().unwrap()]);
        for kind in ["stream", "random"] {
            let v = &r[kind];
            let pct = |k: &str| 100.0 * (f(v, "spikemem", k) / f(v, "DRAMsim3", k) - 1.0);
            let what = format!("{} {kind}", ini.display());
            assert!(pct("cycles").abs() <= max_cycles_pct, "{what}: cycles {v}");
            assert!(pct("energy_uJ").abs() <= 3.0, "{what}: energy {v}");
            let hits = f(v, "spikemem", "row_hit_rate") - f(v, "DRAMsim3", "row_hit_rate");
            assert!(hits.abs() <= 0.002, "{what}: row-hit rate {v}");
        }
    }
}

#[test]
fn ramulator_with_plain_frfcfs_agrees_to_the_cycle_on_a_stream() {
    let Some(exe) = reference("SPIKEMEM_RAMULATOR") else {
        return;
    };
    let r = compare(&["--ramulator", &exe]);
    let (s, rnd) = (&r["stream"], &r["random"]);
    assert_eq!(s["spikemem"]["cycles"], s["Ramulator"]["cycles"], "{s}");
    let pct = 100.0 * (f(rnd, "spikemem", "cycles") / f(rnd, "Ramulator", "cycles") - 1.0);
    assert!(pct.abs() <= 1.0, "random: {rnd}");
    let lat = f(rnd, "spikemem", "avg_read_latency") / f(rnd, "Ramulator", "avg_read_latency");
    assert!((lat - 1.0).abs() <= 0.01, "random latency: {rnd}");
}
