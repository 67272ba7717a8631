//! `spikemem dram` and `spikemem check` end to end, through the binary.

mod common;
use common::{json as read_json, spikemem};

#[test]
fn synthetic_stream_writes_complete_stats() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = spikemem(
        &[
            "dram",
            "--synthetic",
            "stream",
            "--requests",
            "20000",
            "--out",
            "stats.json",
            "--command-trace",
            "cmds.csv",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let s = read_json(&dir.path().join("stats.json"));
    for k in [
        "cycles",
        "time_ns",
        "requests",
        "reads",
        "writes",
        "row_hits",
        "row_misses",
        "row_conflicts",
        "avg_read_latency_cycles",
        "bandwidth_gb_per_s",
        "energy_pj",
        "energy_breakdown_pj",
        "commands",
        "wall_seconds",
        "requests_per_second",
    ] {
        assert!(s.get(k).is_some(), "stats.json lacks `{k}`: {s}");
    }
    assert_eq!(s["requests"], 20000);
    assert_eq!(s["reads"], 20000);
    assert_eq!(s["writes"], 0);
    let (h, m, c) = (
        s["row_hits"].as_u64().unwrap(),
        s["row_misses"].as_u64().unwrap(),
        s["row_conflicts"].as_u64().unwrap(),
    );
    assert_eq!(h + m + c, 20000, "each request classified once");
    // 1024 columns / BL8 = 128 bursts per DDR4 row: with columns lowest in the address,
    // a stream opens one row per 128 requests, plus again after each refresh (refresh
    // precharges every bank mid-row), and at most once more when a refresh falls between
    // a row's ACT and its first RD.
    let refs = s["commands"]["REF"].as_u64().unwrap();
    assert!(refs >= 1, "a 100k-cycle run spans several tREFI");
    let openings = m + c;
    assert!(
        openings >= 20000u64.div_ceil(128) && openings <= 20000u64.div_ceil(128) + 2 * refs,
        "row openings {openings}, refreshes {refs}"
    );
    // Time = cycles x tCK; bandwidth = bytes / time.
    let cycles = s["cycles"].as_f64().unwrap();
    let time_ns = s["time_ns"].as_f64().unwrap();
    assert!((time_ns - cycles * 0.833).abs() < 1e-6 * time_ns);
    let bw = s["bandwidth_gb_per_s"].as_f64().unwrap();
    assert!((bw - 20000.0 * 64.0 / time_ns).abs() < 1e-9 * bw.max(1.0));
    // A DDR4-2400 x64 channel peaks at 19.2 GB/s. Within a row, bursts to one bank need
    // tCCD_L (6 tCK) instead of BL/2 (4): 4/6 of the peak. Only at row boundaries can
    // FR-FCFS alternate with the next row's bank (another bank group, tCCD_S = 4): the
    // 32-entry queue holds at most 32 of one row's tail and 32 of the next row's head,
    // so at most 64 of every 128 requests go at 4 tCK: between (64x4+64x6)/128 = 5 and
    // 6 tCK per request, i.e. at most 19.2 x 4/5 GB/s.
    assert!(bw <= 19.2 * 4.0 / 5.0 * 1.001, "bandwidth {bw}");
    assert!(bw >= 19.2 * 4.0 / 6.0 * 0.95, "bandwidth {bw}");
    // Commands: one RD per request, one ACT per row opening.
    assert_eq!(
        s["commands"]["RD"].as_u64().unwrap() + s["commands"]["RDA"].as_u64().unwrap_or(0),
        20000
    );
    // (An ACT whose row a refresh closes before its RD is issued again for the same,
    // already classified, request: at most one per refresh.)
    let acts = s["commands"]["ACT"].as_u64().unwrap();
    assert!(
        acts >= m + c && acts <= m + c + refs,
        "ACT {acts}, openings {}",
        m + c
    );
    // Energy breakdown sums to the total.
    let sum: f64 = s["energy_breakdown_pj"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - s["energy_pj"].as_f64().unwrap()).abs() < 1e-6 * sum);

    // The exported command trace passes the independent checker.
    let (code, stdout, stderr) = spikemem(&["check", "cmds.csv"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("no timing violation"), "{stdout}");
}

#[test]
fn checker_flags_a_tampered_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, e) = spikemem(
        &[
            "dram",
            "--synthetic",
            "random",
            "--requests",
            "2000",
            "--command-trace",
            "cmds.csv",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{e}");
    // Move every RD one cycle earlier: RDs right after their ACT now break tRCD.
    let text = std::fs::read_to_string(dir.path().join("cmds.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 && line.contains(",RD,") {
            let (c, rest) = line.split_once(',').unwrap();
            out += &format!("{},{}\n", c.parse::<u64>().unwrap().saturating_sub(1), rest);
        } else {
            out += line;
            out += "\n";
        }
    }
    std::fs::write(dir.path().join("bad.csv"), out).unwrap();
    let (code, stdout, _) = spikemem(&["check", "bad.csv"], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("RCD") || stdout.contains("CCD"), "{stdout}");
}

#[test]
fn trace_files_in_three_formats_agree() {
    let dir = tempfile::tempdir().unwrap();
    let addrs: Vec<u64> = (0..3000u64).map(|i| (i * 7919 * 64) % (1 << 30)).collect();
    let ram2: String = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} 0x{a:x}\n", if i % 4 == 0 { "ST" } else { "LD" }))
        .collect();
    let ram1: String = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| format!("0x{a:x} {}\n", if i % 4 == 0 { "W" } else { "R" }))
        .collect();
    let ds3: String = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| format!("0x{a:x} {} 0\n", if i % 4 == 0 { "WRITE" } else { "READ" }))
        .collect();
    std::fs::write(dir.path().join("a.trace"), ram2).unwrap();
    std::fs::write(dir.path().join("b.trace"), ram1).unwrap();
    std::fs::write(dir.path().join("c.trace"), ds3).unwrap();
    let mut cycles = Vec::new();
    for (f, fmt) in [
        ("a.trace", "ramulator"),
        ("b.trace", "ramulator1"),
        ("c.trace", "dramsim3"),
    ] {
        let (code, o, e) = spikemem(
            &[
                "dram",
                "--trace",
                f,
                "--trace-format",
                fmt,
                "--out",
                "s.json",
            ],
            dir.path(),
        );
        assert_eq!(code, 0, "{o}{e}");
        let s = read_json(&dir.path().join("s.json"));
        assert_eq!(s["requests"], 3000);
        assert_eq!(s["writes"], 750);
        cycles.push(s["cycles"].as_u64().unwrap());
    }
    assert!(
        cycles.windows(2).all(|w| w[0] == w[1]),
        "same requests, same cycles: {cycles:?}"
    );
}

#[test]
fn bad_input_is_named_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.trace"), "LD 0x0\nLD 0x40\nLOAD 0x80\n").unwrap();
    let (code, _, e) = spikemem(&["dram", "--trace", "t.trace"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("t.trace:3"), "{e}");
    let (code, _, e) = spikemem(&["dram", "--set", "dram.sheduler=fcfs"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("sheduler") && e.contains("scheduler"), "{e}");
    let (code, _, e) = spikemem(&["dram", "--set", "dram.standard=DDR5-9999"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("DDR5-9999") && e.contains("DDR4-2400"), "{e}");
    let (code, _, e) = spikemem(&["dram", "--config", "nope.toml"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("nope.toml"), "{e}");
}

#[test]
fn timing_override_changes_refresh_cost() {
    let dir = tempfile::tempdir().unwrap();
    let run = |rfc: &str| {
        let (code, o, e) = spikemem(
            &[
                "dram",
                "--synthetic",
                "random",
                "--requests",
                "30000",
                "--set",
                &format!("dram.timing.RFC={rfc}"),
                "--out",
                "s.json",
            ],
            dir.path(),
        );
        assert_eq!(code, 0, "{o}{e}");
        read_json(&dir.path().join("s.json"))
    };
    let a = run("420");
    let b = run("840");
    assert!(
        b["cycles"].as_u64().unwrap() > a["cycles"].as_u64().unwrap(),
        "longer tRFC, longer run"
    );
}

/// A full disk (Linux's /dev/full) under the command trace: the error names the file,
/// the exit is non-zero and the stats written before it are complete.
#[test]
fn full_disk_names_the_file_and_keeps_the_stats() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "dram",
        "--synthetic",
        "random",
        "--requests",
        "2000",
        "--out",
        "stats.json",
        "--command-trace",
        "/dev/full",
    ];
    let (code, _, e) = spikemem(&args, dir.path());
    assert_ne!(code, 0);
    assert!(e.contains("/dev/full") && e.contains("No space"), "{e}");
    assert_eq!(read_json(&dir.path().join("stats.json"))["requests"], 2000);
}

/// Power-down on a sparse trace (one read every 2000 cycles, refresh off): every read
/// but the first wakes the rank and waits tXP (8 on DDR4-2400) more, so the end moves by
/// exactly 8 cycles and the mean latency by 8 x 499 / 500; the idle time is booked at
/// the power-down currents, so the energy drops, more with closed rows (IDD2P 25 vs
/// IDD2N 34 mA) than with open ones (IDD3P 37 vs IDD3N 43 mA). An out-of-range value is
/// named.
#[test]
fn power_down_on_a_sparse_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace: String = (0..500u64)
        .map(|i| format!("0x{:x} READ {}\n", (i * 7919 * 64) % (1 << 30), i * 2000))
        .collect();
    std::fs::write(dir.path().join("sparse.trace"), trace).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "dram",
            "--trace",
            "sparse.trace",
            "--trace-format",
            "dramsim3",
            "--set",
            "dram.refresh=false",
            "--out",
            "s.json",
        ];
        args.extend_from_slice(extra);
        let (code, o, e) = spikemem(&args, dir.path());
        assert_eq!(code, 0, "{o}{e}");
        read_json(&dir.path().join("s.json"))
    };
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap();
    let pd_pj = |v: &serde_json::Value| {
        f(&v["energy_breakdown_pj"], "active_powerdown")
            + f(&v["energy_breakdown_pj"], "precharged_powerdown")
    };
    let mut saving = Vec::new();
    for policy in ["open", "closed"] {
        let p = format!("dram.row_policy=\"{policy}\"");
        let off = run(&["--set", &p]);
        let on = run(&["--set", &p, "--set", "dram.power_down_after_cycles=20"]);
        assert_eq!(f(&on, "cycles"), f(&off, "cycles") + 8.0);
        let dl = f(&on, "avg_read_latency_cycles") - f(&off, "avg_read_latency_cycles");
        assert!((dl - 8.0 * 499.0 / 500.0).abs() < 1e-9, "{dl}");
        assert_eq!(off["powerdowns"], 0);
        assert_eq!(on["powerdowns"], 499);
        assert_eq!(pd_pj(&off), 0.0);
        assert!(pd_pj(&on) > 0.0);
        assert!(f(&on, "energy_pj") < f(&off, "energy_pj"));
        saving.push(1.0 - f(&on, "energy_pj") / f(&off, "energy_pj"));
    }
    assert!(saving[1] > saving[0], "{saving:?}");
    // Self-refresh 200 cycles after each closed-row read, refresh on: after each exit
    // the rank needs a REF before it may enter again (JEDEC), so at most one entry per
    // refresh; reads that wake it wait tXSDLL (768) rather than tXP.
    let closed = "dram.row_policy=\"closed\"";
    let pd = [
        "--set",
        closed,
        "--set",
        "dram.refresh=true",
        "--set",
        "dram.power_down_after_cycles=20",
    ];
    let pd_only = run(&pd);
    let sr_set = [
        "--set",
        "dram.self_refresh_after_cycles=200",
        "--command-trace",
        "sr.csv",
    ];
    let sr = run(&[&pd[..], &sr_set].concat());
    let refs = |v: &serde_json::Value| v["commands"]["REF"].as_f64().unwrap();
    assert!(f(&sr, "self_refreshes") > 50.0, "{sr}");
    assert!(f(&sr, "self_refreshes") <= refs(&sr) + 1.0, "{sr}");
    assert!(f(&sr["energy_breakdown_pj"], "self_refresh") > 0.0);
    assert!(
        f(&sr, "avg_read_latency_cycles") > f(&pd_only, "avg_read_latency_cycles") + 100.0,
        "{sr}"
    );
    // The command trace holds the entries and exits; the checker passes it, and flags
    // it once the power-down exits are dropped.
    let text = std::fs::read_to_string(dir.path().join("sr.csv")).unwrap();
    let count = |c: &str| text.lines().filter(|l| l.contains(c)).count() as f64;
    assert_eq!(count(",SRE,"), f(&sr, "self_refreshes"));
    assert_eq!(count(",SRX,"), f(&sr, "self_refreshes"));
    assert_eq!(count(",PDE,"), f(&sr, "powerdowns"));
    let (code, o, _) = spikemem(&["check", "sr.csv"], dir.path());
    assert_eq!(code, 0, "{o}");
    let no_pdx: String = text
        .lines()
        .filter(|l| !l.contains(",PDX,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("no_pdx.csv"), no_pdx).unwrap();
    let (code, o, _) = spikemem(&["check", "no_pdx.csv"], dir.path());
    assert_eq!(code, 1, "{o}");
    assert!(o.contains("rank in power-down since"), "{o}");

    let (code, _, e) = spikemem(
        &["dram", "--set", "dram.power_down_after_cycles=2000000000"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(e.contains("power_down_after_cycles"), "{e}");
}

#[test]
fn bench_dram_reports_median_and_best_of_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["bench", "dram", "--requests", "3000", "--repeat", "3"];
    let (code, stdout, stderr) = spikemem(&[&args[..], &["--out", "b.json"]].concat(), dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let b = read_json(&dir.path().join("b.json"));
    let cases = b["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        4,
        "DDR4-2400 and LPDDR3-1600, stream and random"
    );
    for c in cases {
        let runs: Vec<f64> = c["requests_per_second_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(runs.len(), 3, "{c}");
        assert!(runs.windows(2).all(|w| w[0] <= w[1]), "sorted: {c}");
        assert_eq!(
            c["requests_per_second"].as_f64().unwrap(),
            runs[1],
            "median: {c}"
        );
        assert_eq!(
            c["requests_per_second_best"].as_f64().unwrap(),
            runs[2],
            "{c}"
        );
        assert_eq!(c["requests"], 3000);
        // The median run's rate is its requests over its wall time.
        let rate = 3000.0 / c["wall_seconds"].as_f64().unwrap();
        assert!((rate / runs[1] - 1.0).abs() < 1e-9, "{c}");
    }
    assert_eq!(stdout.matches("median of 3 runs").count(), 4, "{stdout}");
    let (code, _, e) = spikemem(&["bench", "dram", "--repeat", "0"], dir.path());
    assert_eq!(code, 2);
    assert!(e.contains("--repeat"), "{e}");
}

/// Issue 20: timings under which a request cannot be served between two refreshes
/// livelocked the controller; they are refused naming the key and the constraint.
#[test]
fn timings_that_cannot_make_progress_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 3] = [
        (&["dram.timing.RCD=9000"], &["REFI", "RFC + RCD", "9000"]),
        (
            &["dram.timing.REFI=10", "dram.timing.RFC=0"],
            &["RFC = 0", "RFC >= 1"],
        ),
        (&["dram.timing.REFI=500"], &["REFI (500)", "must be >"]),
    ];
    for (sets, want) in cases {
        let mut args = vec!["dram", "--synthetic", "random", "--requests", "100"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let (code, _, e) = spikemem(&args, dir.path());
        assert_eq!(code, 2, "{sets:?}: {e}");
        for w in want {
            assert!(e.contains(w), "{sets:?}: `{w}` not in {e}");
        }
    }
}

/// A standard file (or override) with a value the models cannot use: exit 2 naming the
/// file, the key and the accepted range.
#[test]
fn absurd_standard_values_are_refused_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/dram/ddr4-2400.toml"),
    )
    .unwrap();
    let cases = [
        ("IDD0 = ", "IDD0 = nan", "power.IDD0 = NaN"),
        ("IDD4R = ", "IDD4R = inf", "power.IDD4R = inf"),
        ("IDD5 = ", "IDD5 = -3", "power.IDD5 = -3"),
        ("VDD = ", "VDD = nan", "power.VDD = NaN"),
        (
            "density_mbit = ",
            "density_mbit = 0",
            "organization.density_mbit = 0",
        ),
        (
            "rows = ",
            "rows = 1073741824",
            "organization.rows = 1073741824",
        ),
        (
            "bus_width = ",
            "bus_width = 65536",
            "organization.bus_width = 65536",
        ),
        ("tCK_ps = ", "tCK_ps = 0", "timing.tCK_ps = 0"),
        ("CL = ", "CL = 0", "timing.CL = 0"),
        ("RAS = ", "RAS = 0", "timing.RAS = 0"),
        ("RP = ", "RP = 4000000", "timing.RP = 4000000"),
    ];
    for (key, line, want) in cases {
        let text: String = base
            .lines()
            .map(|l| if l.starts_with(key) { line } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.path().join("part.toml"), text).unwrap();
        std::fs::write(
            dir.path().join("c.toml"),
            "[dram]\nstandard = \"part.toml\"\n",
        )
        .unwrap();
        let args = ["dram", "--config", "c.toml", "--requests", "10"];
        let (code, _, e) = spikemem(&args, dir.path());
        assert_eq!(code, 2, "{line}: {e}");
        assert!(e.contains("part.toml") && e.contains(want), "{line}: {e}");
        assert!(
            e.contains("not accepted") || e.contains("must"),
            "{line}: {e}"
        );
    }
    // The same through overrides.
    for (set, want) in [
        ("dram.timing.RC=0", "timing.RC = 0"),
        ("dram.timing.BL=0", "timing.BL = 0"),
        ("dram.timing.tCK_ps=4000000", "timing.tCK_ps = 4000000"),
    ] {
        let (code, _, e) = spikemem(&["dram", "--set", set, "--requests", "10"], dir.path());
        assert_eq!(code, 2, "{set}: {e}");
        assert!(
            e.contains(want) && e.contains("[dram.timing]"),
            "{set}: {e}"
        );
    }
}

/// Trace lines past the bounds: a cycle beyond 2^40, a huge bad token (echoed cut), a
/// file without newlines; each exit 2 naming the file and line, quickly.
#[test]
fn trace_input_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    std::fs::write(
        dir.path().join("far.trace"),
        "0x40 READ 10\n0x80 READ 18446744073709551615\n",
    )
    .unwrap();
    let args = ["dram", "--trace", "far.trace", "--trace-format", "dramsim3"];
    let (code, _, e) = spikemem(&args, dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("far.trace:2") && e.contains("0..=1099511627776"),
        "{e}"
    );
    // A 10 MB address is cut to 40 characters and its length.
    let bad = format!("LD 0x{}\n", "g".repeat(4000));
    std::fs::write(dir.path().join("bad.trace"), format!("LD 0x0\n{bad}")).unwrap();
    let (code, _, e) = spikemem(&["dram", "--trace", "bad.trace"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("bad.trace:2") && e.contains("... (4002 bytes)"),
        "{e}"
    );
    assert!(e.len() < 400, "{e}");
    let huge = format!("LD 0x{}\n", "9".repeat(10 << 20));
    std::fs::write(dir.path().join("huge.trace"), huge).unwrap();
    let (code, _, e) = spikemem(&["dram", "--trace", "huge.trace"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("huge.trace:1") && e.contains("longer than 4096 bytes"),
        "{e}"
    );
    assert!(e.len() < 400, "{e}");
    // An empty trace (or one of comments only) is an empty run, at once.
    std::fs::write(dir.path().join("empty.trace"), "# nothing\n").unwrap();
    let (code, o, e) = spikemem(&["dram", "--trace", "empty.trace"], dir.path());
    assert_eq!(code, 0, "{e}");
    assert!(o.contains("0 requests"), "{o}");
    // No newline at all.
    let (code, _, e) = spikemem(&["dram", "--trace", "/dev/zero"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("/dev/zero:1") && e.contains("4096 bytes"), "{e}");
    assert!(t0.elapsed().as_secs() < 60);
}

/// `spikemem check` streams its trace: a long one with a violation on every few lines
/// prints the first 50 (with their file lines) and counts all; a bad line is an input
/// error naming the file and line (exit 2), and so is one longer than 4096 bytes.
#[test]
fn check_streams_and_bounds_its_input() {
    let dir = tempfile::tempdir().unwrap();
    // ACT / RD pairs 10 cycles apart (tRCD is 16 on DDR4-2400) and a PRE after each.
    let mut text = String::from(
        "cycle,command,channel,rank,bank_group,bank,subarray,row,column\n# a comment\n\n",
    );
    let n = 20_000u64;
    for i in 0..n {
        let c = i * 100;
        text += &format!(
            "{c},ACT,0,0,0,0,0,7,0\n{},RD,0,0,0,0,0,7,0\n{},PRE,0,0,0,0,0,7,0\n",
            c + 10,
            c + 60
        );
    }
    std::fs::write(dir.path().join("many.csv"), &text).unwrap();
    let (code, o, e) = spikemem(&["check", "many.csv"], dir.path());
    assert_eq!(code, 1, "{o}{e}");
    assert!(o.contains(&format!("{} commands checked", 3 * n)), "{o}");
    let shown: Vec<&str> = o.lines().filter(|l| l.starts_with("  line ")).collect();
    assert_eq!(shown.len(), 50, "{o}");
    // The first RD is on line 5 (header, comment, blank line, ACT).
    assert!(shown[0].starts_with("  line 5: cycle 10 RD: tRCD"), "{o}");
    assert!(e.contains(&format!("{n} timing violations")), "{e}");

    std::fs::write(
        dir.path().join("bad.csv"),
        "cycle,command,channel,rank,bank_group,bank,subarray,row,column\n0,ACT,0,0,0,0,0,7,0\n5,ACT,0,0\n",
    )
    .unwrap();
    let (code, _, e) = spikemem(&["check", "bad.csv"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("bad.csv:3") && e.contains("4 fields") && e.contains("expected cycle,"),
        "{e}"
    );
    let long = format!("0,ACT,0,0,0,0,0,7,{}\n", "0".repeat(5000));
    std::fs::write(dir.path().join("long.csv"), long).unwrap();
    let (code, _, e) = spikemem(&["check", "long.csv"], dir.path());
    assert_eq!(code, 2, "{e}");
    assert!(
        e.contains("long.csv:1") && e.contains("longer than 4096 bytes"),
        "{e}"
    );
    assert!(e.len() < 400, "{e}");
}

/// A 2^40-cycle idle gap with power-down, self-refresh or both on is booked in closed
/// form, as without them (stepped, it was 10^8 refresh periods: minutes of CPU). The
/// harness kills a hang; no timing is asserted.
#[test]
fn far_gap_with_sleep_states_finishes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gap.trace"),
        "0x40 READ 10\n0x80 WRITE 1099511627776\n",
    )
    .unwrap();
    for sleep in [
        &["dram.power_down_after_cycles=1"][..],
        &["dram.self_refresh_after_cycles=1000"],
        &[
            "dram.power_down_after_cycles=20",
            "dram.self_refresh_after_cycles=100000",
        ],
    ] {
        let mut args = vec![
            "dram",
            "--trace",
            "gap.trace",
            "--trace-format",
            "dramsim3",
            "--set",
            "dram.standard=\"LPDDR3-1600\"",
            "--out",
            "s.json",
        ];
        for s in sleep {
            args.extend(["--set", s]);
        }
        let (code, o, e) = spikemem(&args, dir.path());
        assert_eq!(code, 0, "{sleep:?}: {o}{e}");
        let s = read_json(&dir.path().join("s.json"));
        assert_eq!(s["requests"], 2, "{sleep:?}: {s}");
        assert!(s["cycles"].as_u64().unwrap() > 1 << 40, "{sleep:?}: {s}");
        let slept = s["powerdowns"].as_u64().unwrap() + s["self_refreshes"].as_u64().unwrap();
        assert!(slept > 0, "{sleep:?}: {s}");
    }
}

/// A command trace of a 2^40-cycle run would hold 10^8 refreshes: the log stops at
/// MAX_LOGGED_COMMANDS (memory stays bounded, idle time is skipped again) and the run
/// ends with exit 2 naming the bound, its statistics written.
#[test]
fn a_command_trace_past_its_bound_is_refused_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gap.trace"),
        "0x40 READ 10\n0x80 WRITE 1099511627776\n",
    )
    .unwrap();
    let args = [
        "dram",
        "--trace",
        "gap.trace",
        "--trace-format",
        "dramsim3",
        "--out",
        "s.json",
        "--command-trace",
        "c.csv",
    ];
    let (code, o, e) = spikemem(&args, dir.path());
    assert_eq!(code, 2, "{o}{e}");
    assert!(e.contains("more than 16777216 commands"), "{e}");
    assert!(!dir.path().join("c.csv").exists());
    let s = read_json(&dir.path().join("s.json"));
    assert_eq!(s["requests"], 2);
}

/// Files are written before anything is printed and atomically, and a closed stdout is
/// neither a panic nor a lost file: `spikemem dram ... | head -0` and `>&-`.
#[test]
fn outputs_survive_a_closed_stdout() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_spikemem");
    let args = "dram --synthetic random --requests 3000 --out s.json --command-trace c.csv";
    for (shell, name) in [
        (format!("{bin} {args} | head -c 0"), "pipe closed early"),
        (format!("exec {bin} {args} >&-"), "stdout closed"),
    ] {
        for f in ["s.json", "c.csv"] {
            let _ = std::fs::remove_file(dir.path().join(f));
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&shell)
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(
            read_json(&dir.path().join("s.json"))["requests"],
            3000,
            "{name}"
        );
        let csv = std::fs::read_to_string(dir.path().join("c.csv")).unwrap();
        assert!(
            csv.starts_with("cycle,command") && csv.lines().count() > 3000,
            "{name}"
        );
        // No temporary file left beside them.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}

/// The access / background split of DRAM energy, by hand: 10 reads to one DDR4-2400 row
/// (refresh off) cost one ACT+PRE pair and 10 RD bursts, from the preset's IDD values
/// (Micron MT40A1G8-083E: VDD 1.2 V, VPP 2.5 V, tCK 0.833 ns, 8 x8 devices per rank);
/// everything else the run costs is background, and the two add up to the total.
#[test]
fn dram_energy_splits_into_access_and_background() {
    let dir = tempfile::tempdir().unwrap();
    let trace: String = (0..10u64)
        .map(|i| format!("0x{:x} READ 0\n", i * 64))
        .collect();
    std::fs::write(dir.path().join("row.trace"), trace).unwrap();
    let (code, o, e) = spikemem(
        &[
            "dram",
            "--trace",
            "row.trace",
            "--trace-format",
            "dramsim3",
            "--set",
            "dram.refresh=false",
            "--out",
            "s.json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("access") && o.contains("background"), "{o}");
    let s = read_json(&dir.path().join("s.json"));
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(s["commands"]["ACT"], 1);
    assert_eq!(s["commands"]["RD"], 10);
    let (vdd, vpp, tck, dev) = (1.2, 2.5, 0.833, 8.0);
    // ACT+PRE: VDD x (IDD0 48 x tRC 55 - IDD3N 43 x tRAS 39 - IDD2N 34 x 16) x tCK, plus
    // the VPP rail's (3 x 55 - 3 x 39 - 3 x 16) = 0.
    let act_pre = dev
        * (vdd * (48.0 * 55.0 - 43.0 * 39.0 - 34.0 * 16.0)
            + vpp * (3.0 * 55.0 - 3.0 * 39.0 - 3.0 * 16.0))
        * tck;
    // RD: VDD x (IDD4R 135 - IDD3N 43) x BL/2 = 4 tCK (VPP: 3 - 3 = 0).
    let rd = dev * (vdd * (135.0 - 43.0) + vpp * (3.0 - 3.0)) * 4.0 * tck;
    let access = act_pre + 10.0 * rd;
    let got = f(&s["energy_access_pj"]);
    assert!((got - access).abs() <= 1e-9 * access, "{got} vs {access}");
    let b = &s["energy_breakdown_pj"];
    let named = f(&b["act_pre"]) + f(&b["rd"]) + f(&b["wr"]);
    assert!((named - got).abs() <= 1e-9 * got);
    let background: f64 = [
        "refresh",
        "active_standby",
        "precharged_standby",
        "active_powerdown",
        "precharged_powerdown",
        "self_refresh",
    ]
    .iter()
    .map(|k| f(&b[*k]))
    .sum();
    assert!((f(&s["energy_background_pj"]) - background).abs() <= 1e-9 * background);
    assert!(background > 0.0 && f(&b["refresh"]) == 0.0);
    let total = f(&s["energy_pj"]);
    assert!((got + background - total).abs() <= 1e-9 * total);
}
