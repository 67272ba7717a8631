//! `spikemem run` end to end: the trace adds up, placement, quantization and voltage
//! move the figures the way they must.

use spikemem_traces::SampleRecord;
use std::path::Path;
use std::process::Command;

mod common;
use common::{json, spikemem};

/// Train a small model once per test (fast: N and samples are small).
fn train(dir: &Path, n: usize, bits: u32) {
    let (code, o, e) = spikemem(
        &[
            "train",
            "--set",
            &format!("snn.n_excitatory={n}"),
            "--set",
            &format!("snn.weight_bits={bits}"),
            "--set",
            "data.train_samples=200",
            "--out",
            "m.h5",
        ],
        dir,
    );
    assert_eq!(code, 0, "{o}{e}");
}

/// `spikemem run` on the trained model; `extra` holds `KEY=VALUE` overrides (each
/// passed as `--set`) and flags (`--...`).
fn run(dir: &Path, extra: &[&str], out: &str) -> serde_json::Value {
    let mut args = vec![
        "run",
        "--set",
        "system.model=\"m.h5\"",
        "--out",
        out,
        "--json",
        "s.json",
    ];
    for &x in extra {
        if !x.starts_with("--") {
            args.push("--set");
        }
        args.push(x);
    }
    let (code, o, e) = spikemem(&args, dir);
    assert_eq!(code, 0, "{o}{e}");
    json(&dir.join("s.json"))
}

#[test]
fn default_run_trace_adds_up_and_matches_eval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 50, 8);
    let s = run(
        d,
        &[
            "snn.n_excitatory=50",
            "snn.weight_bits=8",
            "data.test_samples=40",
        ],
        "run.h5",
    );
    assert_eq!(s["samples"], 40);
    let f = hdf5::File::open(d.join("run.h5")).unwrap();
    let recs: Vec<SampleRecord> = f.dataset("samples").unwrap().read_raw().unwrap();
    assert_eq!(recs.len(), 40);
    // Per-sample energy sums to the total; components sum to each sample's total.
    let total: f64 = recs.iter().map(|r| r.energy_total_pj).sum();
    let e = s["energy_pj"].as_f64().unwrap();
    assert!((total - e).abs() <= 1e-9 * e, "{total} vs {e}");
    for r in &recs {
        let parts = r.energy_core_pj + r.energy_sram_pj + r.energy_dram_pj;
        assert!((parts - r.energy_total_pj).abs() <= 1e-9 * parts.max(1.0));
        assert!(r.energy_dram_pj > 0.0 && r.energy_core_pj > 0.0 && r.cycles > 0);
        // DRAM energy = access (ACT/PRE, RD, WR) + background (refresh, standby, ...).
        let split = r.energy_dram_access_pj + r.energy_dram_background_pj;
        assert!((split - r.energy_dram_pj).abs() <= 1e-9 * split.max(1.0));
        assert!(r.energy_dram_access_pj > 0.0 && r.energy_dram_background_pj > 0.0);
    }
    // The summary's split: the samples' sums, and the DRAM stats' own (the run has no
    // learning, so both cover the same time).
    let g = |v: &serde_json::Value| v.as_f64().unwrap();
    let (acc_pj, bg_pj) = (
        g(&s["energy_dram_access_pj"]),
        g(&s["energy_dram_background_pj"]),
    );
    let dram_e = g(&s["energy_by_component_pj"]["dram"]);
    assert!((acc_pj + bg_pj - dram_e).abs() <= 1e-9 * dram_e);
    let ds = &s["dram"];
    assert!((g(&ds["energy_access_pj"]) - acc_pj).abs() <= 1e-6 * acc_pj);
    assert!((g(&ds["energy_background_pj"]) - bg_pj).abs() <= 1e-6 * bg_pj);
    let b = &ds["energy_breakdown_pj"];
    let named = g(&b["act_pre"]) + g(&b["rd"]) + g(&b["wr"]);
    assert!((named - g(&ds["energy_access_pj"])).abs() <= 1e-9 * named);
    // Weight data per second of DRAM busy time: at most the channel's 19.2 GB/s, and
    // at least the average over the whole run.
    let tput = g(&ds["data_throughput_gb_per_s"]);
    assert_eq!(
        ds["inference_weight_bytes_read"].as_u64().unwrap(),
        64 * s["dram_reads"].as_u64().unwrap()
    );
    assert!(
        tput > g(&ds["bandwidth_gb_per_s"]) && tput <= 19.2,
        "{tput}"
    );
    let ips = g(&s["memory_bound_images_per_second"]);
    assert!((ips - 40.0 / (g(&ds["inference_busy_ns"]) * 1e-9)).abs() <= 1e-9 * ips);
    assert_eq!(s["dram_present"], true);
    // The whole run's energy ledger agrees with the per-sample sum.
    let ledger: f64 = s["energy_breakdown_pj"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|k| k.as_object().unwrap().values().map(|v| v.as_f64().unwrap()))
        .sum();
    assert!(
        (ledger - e).abs() <= 1e-6 * e,
        "ledger {ledger} vs samples {e}"
    );
    // DRAM reads are exactly the bursts the spikes' forward accesses asked for (the
    // weight buffer stages bursts; it does not cache them).
    let reads: u64 = recs.iter().map(|r| r.dram_reads).sum();
    assert_eq!(reads, s["bursts_requested"].as_u64().unwrap());
    assert_eq!(reads, s["dram"]["reads"].as_u64().unwrap());
    // Crossbar, 50 posts x 8 bits = 50 bytes per row: every input spike reads the one or
    // two 64-byte bursts its row spans.
    let spikes = s["input_spikes"].as_u64().unwrap();
    assert!(
        reads >= spikes && reads <= 2 * spikes,
        "reads {reads}, input spikes {spikes}"
    );
    // Accuracy in accurate DRAM is the engine's own accuracy on the same model and samples.
    let acc = recs.iter().filter(|r| r.prediction == r.label).count() as f64 / 40.0;
    assert_eq!(acc, s["accuracy"].as_f64().unwrap());
    let (code, o, e2) = spikemem(
        &[
            "eval",
            "--model",
            "m.h5",
            "--set",
            "snn.n_excitatory=50",
            "--set",
            "snn.weight_bits=8",
            "--set",
            "data.test_samples=40",
            "--json",
            "ev.json",
        ],
        d,
    );
    assert_eq!(code, 0, "{o}{e2}");
    assert_eq!(json(&d.join("ev.json"))["accuracy"].as_f64().unwrap(), acc);
    // h5py reads it with no custom code.
    let py = Command::new("/usr/bin/python3")
        .args(["-c", "import h5py,json,sys; f=h5py.File(sys.argv[1]); s=f['samples'][:]; print(len(s), json.loads(f['summary'][()])['samples'])", "run.h5"])
        .current_dir(d)
        .output();
    if let Ok(o) = py {
        if o.status.success() {
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "40 40");
        } else {
            eprintln!("h5py check skipped: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
}

#[test]
fn killed_run_resumes_without_redoing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 30, 8);
    let args = [
        "run",
        "--set",
        "system.model=\"m.h5\"",
        "--set",
        "snn.n_excitatory=30",
        "--set",
        "snn.weight_bits=8",
        "--set",
        "data.test_samples=200",
        "--out",
        "k.h5",
        "--json",
        "s.json",
    ];
    // Kill -9 once some samples are flushed (every 16 rows).
    let mut child = Command::new(env!("CARGO_BIN_EXE_spikemem"))
        .args(args)
        .current_dir(d)
        .spawn()
        .unwrap();
    let rows = |p: &Path| -> usize {
        hdf5::File::open(p)
            .and_then(|f| f.dataset("samples"))
            .map(|ds| ds.size())
            .unwrap_or(0)
    };
    let t0 = std::time::Instant::now();
    let mut killed = false;
    while t0.elapsed().as_secs() < 60 {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        if d.join("k.h5").exists() {
            // Open a copy: the writer holds the file.
            let _ = std::fs::copy(d.join("k.h5"), d.join("peek.h5"));
            if rows(&d.join("peek.h5")) >= 32 {
                child.kill().unwrap();
                killed = true;
                break;
            }
        }
    }
    let _ = child.wait();
    assert!(
        killed,
        "the run finished before it could be interrupted; make it longer"
    );
    let kept = rows(&d.join("k.h5"));
    assert!((32..200).contains(&kept), "kept {kept}");
    // The rerun does only the rest; the trace then holds every sample once.
    let (code, o, e) = spikemem(&args, d);
    assert_eq!(code, 0, "{o}{e}");
    let s = json(&d.join("s.json"));
    assert!(
        e.contains(&format!("{kept} of 200 samples already in the trace")),
        "{e}"
    );
    assert_eq!(
        s["samples"].as_u64().unwrap(),
        200,
        "the summary covers the kept and the new samples"
    );
    let recs: Vec<SampleRecord> = hdf5::File::open(d.join("k.h5"))
        .unwrap()
        .dataset("samples")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(recs.len(), 200);
    assert!(
        recs.iter().enumerate().all(|(i, r)| r.sample == i as u64),
        "each sample once, in order"
    );
    // Rerunning a finished run redoes nothing and reports the same result.
    let (code, o, e) = spikemem(&args, d);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("is complete"), "{o}");
    let again = json(&d.join("s.json"));
    assert_eq!(again, s, "the stored summary, unchanged");
    assert_eq!(again["accuracy"], s["accuracy"]);
    assert_eq!(again["energy_pj"], s["energy_pj"]);
}

#[test]
fn csv_and_jsonl_traces_resume_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 20, 8);
    for (fmt, out) in [("csv", "r.csv"), ("jsonl", "r.jsonl")] {
        let args = [
            "run",
            "--set",
            "system.model=\"m.h5\"",
            "--set",
            "snn.n_excitatory=20",
            "--set",
            "snn.weight_bits=8",
            "--set",
            "data.test_samples=6",
            "--format",
            fmt,
            "--out",
            out,
            "--json",
            "s.json",
        ];
        let (code, o, e) = spikemem(&args, d);
        assert_eq!(code, 0, "{o}{e}");
        let first = json(&d.join("s.json"));
        let (code, o, e) = spikemem(&args, d);
        assert_eq!(code, 0, "{o}{e}");
        assert!(o.contains("is complete"), "{fmt}: {o}");
        let second = json(&d.join("s.json"));
        assert_eq!(second, first, "{fmt}: the stored summary");
    }
    let csv = std::fs::read_to_string(d.join("r_samples.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "header + 6 samples");
    let jsonl = std::fs::read_to_string(d.join("r.jsonl")).unwrap();
    assert_eq!(
        jsonl
            .lines()
            .filter(|l| l.contains("\"record\":\"sample\""))
            .count(),
        6
    );
    // A different config is refused, naming the trace.
    let (code, _, e) = spikemem(
        &[
            "run",
            "--set",
            "system.model=\"m.h5\"",
            "--set",
            "snn.n_excitatory=20",
            "--set",
            "data.test_samples=7",
            "--format",
            "jsonl",
            "--out",
            "r.jsonl",
        ],
        d,
    );
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("r.jsonl"), "{e}");
}

#[test]
fn drmap_beats_naive_placement_on_a_bank_interleaved_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 100, 8);
    let common = [
        "snn.n_excitatory=100",
        "snn.weight_bits=8",
        "data.test_samples=10",
        "dram.mapping=RoCoBaRaCh",
    ];
    let mut n = common.to_vec();
    n.extend(["system.placement=naive"]);
    let naive = run(d, &n, "n.h5");
    let mut m = common.to_vec();
    m.extend(["system.placement=drmap"]);
    let drmap = run(d, &m, "m2.h5");
    let g = |s: &serde_json::Value, k: &str| s["dram"][k].as_f64().unwrap();
    assert!(
        g(&drmap, "row_hit_rate") > g(&naive, "row_hit_rate"),
        "hit rate drmap {} naive {}",
        g(&drmap, "row_hit_rate"),
        g(&naive, "row_hit_rate")
    );
    let act = |s: &serde_json::Value| {
        s["dram"]["energy_breakdown_pj"]["act_pre"]
            .as_f64()
            .unwrap()
    };
    assert!(act(&drmap) < act(&naive));
    assert!(g(&drmap, "energy_pj") < g(&naive, "energy_pj"));
    assert_eq!(
        drmap["accuracy"], naive["accuracy"],
        "placement does not change what is computed"
    );
}

#[test]
fn eight_bit_weights_cut_dram_traffic_about_four_times() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 400, 32);
    let base = ["snn.n_excitatory=400", "data.test_samples=5"];
    let mut a = base.to_vec();
    a.extend(["snn.weight_bits=32"]);
    let f32run = run(d, &a, "a.h5");
    let mut b = base.to_vec();
    b.extend(["snn.weight_bits=8"]);
    let q8 = run(d, &b, "b.h5");
    let per_spike = |s: &serde_json::Value, k: &str| {
        s[k].as_f64().unwrap() / s["input_spikes"].as_f64().unwrap()
    };
    // Words: exactly 4x (a 400-post row is 1600 vs 400 bytes).
    let words =
        per_spike(&f32run, "weight_words_requested") / per_spike(&q8, "weight_words_requested");
    assert!((words - 4.0).abs() < 0.02, "words ratio {words}");
    // Bursts: 1600/64 = 25 vs 400/64 = 6.25 -> 6 or 7 bursts (a row may straddle one
    // more), so the ratio is between 25/7.25 = 3.4 and 4.
    let reads = per_spike(&f32run, "dram_reads") / per_spike(&q8, "dram_reads");
    assert!((3.3..=4.05).contains(&reads), "reads ratio {reads}");
    let dynamic = |s: &serde_json::Value| {
        let b = &s["dram"]["energy_breakdown_pj"];
        (b["rd"].as_f64().unwrap() + b["act_pre"].as_f64().unwrap())
            / s["input_spikes"].as_f64().unwrap()
    };
    let e = dynamic(&f32run) / dynamic(&q8);
    assert!((3.0..=4.2).contains(&e), "dynamic DRAM energy ratio {e}");
    // EnforceSNN's DRAM throughput (images/s if DRAM transfer time were the only cost):
    // 8-bit weights need a quarter of the bytes, so well over twice the images/s.
    let ips = |s: &serde_json::Value| s["memory_bound_images_per_second"].as_f64().unwrap();
    let r = ips(&q8) / ips(&f32run);
    assert!(r > 2.0, "memory-bound images/s ratio {r}");
}

/// Every weight on chip: no DRAM unless `system.dram_present` keeps one, and then it
/// only idles (background energy, no access energy).
#[test]
fn weights_on_chip_have_no_dram() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 50, 8);
    let base = [
        "snn.n_excitatory=50",
        "data.test_samples=10",
        "system.weights_in=\"sram\"",
    ];
    let s = run(d, &base, "sram.h5");
    assert!(s["dram"].is_null(), "{}", s["dram"]);
    assert_eq!(s["dram_present"], false);
    assert_eq!(s["dram_reads"], 0);
    assert_eq!(s["energy_by_component_pj"]["dram"].as_f64().unwrap(), 0.0);
    assert_eq!(s["energy_dram_background_pj"].as_f64().unwrap(), 0.0);
    assert!(s["energy_breakdown_pj"].get("dram").is_none());
    assert!(s["energy_breakdown_pj"]["sram.weights"].is_object());
    let f = hdf5::File::open(d.join("sram.h5")).unwrap();
    let recs: Vec<SampleRecord> = f.dataset("samples").unwrap().read_raw().unwrap();
    assert!(recs.iter().all(|r| r.energy_dram_pj == 0.0
        && r.energy_dram_background_pj == 0.0
        && r.energy_total_pj > 0.0));
    // The console report has no DRAM rows (rerun on the finished trace prints it).
    let (code, o, e) = spikemem(
        &[
            "run",
            "--set",
            "system.model=\"m.h5\"",
            "--set",
            base[0],
            "--set",
            base[1],
            "--set",
            base[2],
            "--out",
            "sram.h5",
        ],
        d,
    );
    assert_eq!(code, 0, "{o}{e}");
    assert!(!o.contains("DRAM:") && !o.contains("DRAM 0"), "{o}");
    assert_eq!(o.matches("DRAM").count(), 1, "{o}");
    assert!(o.contains("no DRAM"), "{o}");
    // A DRAM kept beside the chip: it idles (refresh and standby), serves nothing.
    let mut kept = base.to_vec();
    kept.push("system.dram_present=true");
    let k = run(d, &kept, "kept.h5");
    let g = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(k["dram_present"], true);
    assert_eq!(k["dram"]["reads"], 0);
    assert_eq!(g(&k["energy_dram_access_pj"]), 0.0);
    assert!(g(&k["energy_dram_background_pj"]) > 0.0);
    assert_eq!(k["cycles"], s["cycles"]);
    // Weights in DRAM need the DRAM.
    let (code, _, e) = spikemem(
        &["run", "--set", "system.dram_present=false", "--out", "x.h5"],
        d,
    );
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("system.dram_present"), "{e}");
}

#[test]
fn reduced_voltage_scales_dram_dynamic_energy_and_flips_bits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 50, 8);
    let base = [
        "snn.n_excitatory=50",
        "snn.weight_bits=8",
        "data.test_samples=10",
        "dram.standard=DDR3L-1600",
    ];
    let nominal = run(d, &base, "v1.h5");
    let mut low = base.to_vec();
    low.extend(["dram.vdd=1.025"]);
    let reduced = run(d, &low, "v2.h5");
    let per_cmd = |s: &serde_json::Value, k: &str, c: &str| {
        s["dram"]["energy_breakdown_pj"][k].as_f64().unwrap()
            / s["dram"]["commands"][c].as_f64().unwrap()
    };
    // (1.025/1.35)^2 = 0.57647; the voltage table gives it to 4 digits (0.5765).
    let want = (1.025f64 / 1.35).powi(2);
    let rd = per_cmd(&reduced, "rd", "RD") / per_cmd(&nominal, "rd", "RD");
    assert!((rd - want).abs() < 1e-4, "RD energy scale {rd} vs {want}");
    assert_eq!(
        nominal["dram"]["commands"]["RD"],
        reduced["dram"]["commands"]["RD"]
    );
    // Errors need an error model; with one, bits flip and reach the weights.
    let mut faulty = low.clone();
    faulty.extend(["dram.error_model=uniform", "dram.ber=0.01"]);
    let f = run(d, &faulty, "v3.h5");
    let flipped = f["memory"]["fault_bits_flipped"].as_u64().unwrap();
    let bits = f["memory"]["footprint_bits"].as_f64().unwrap();
    // BER 1e-2 over the weights' bits: within 5 sigma of the binomial mean.
    let mean = 0.01 * bits;
    assert!(
        (flipped as f64 - mean).abs() < 5.0 * (mean * 0.99).sqrt() + 1.0,
        "flipped {flipped}, expected ~{mean}"
    );
    assert_eq!(reduced["memory"]["fault_bits_flipped"], 0);
}

#[test]
fn timestep_trace_and_on_chip_learning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 20, 8);
    let s = run(
        d,
        &[
            "snn.n_excitatory=20",
            "snn.weight_bits=8",
            "data.test_samples=3",
            "data.train_samples=5",
            "trace.timesteps=true",
            "--learn",
        ],
        "l.h5",
    );
    // Learning wrote weight columns back to DRAM and took time and energy.
    let l = &s["learning"];
    assert_eq!(l["samples"], 5);
    assert!(l["energy_pj"].as_f64().unwrap() > 0.0 && l["cycles"].as_u64().unwrap() > 0);
    assert!(
        s["dram"]["writes"].as_u64().unwrap() > 0,
        "STDP write-backs reach DRAM"
    );
    // Per-timestep energies add up to the per-sample energies (inference samples only).
    let f = hdf5::File::open(d.join("l.h5")).unwrap();
    let steps: Vec<spikemem_traces::TimestepRecord> =
        f.dataset("timesteps").unwrap().read_raw().unwrap();
    let samples: Vec<SampleRecord> = f.dataset("samples").unwrap().read_raw().unwrap();
    assert_eq!(samples.len(), 3);
    assert!(
        steps.len() >= 3 * 700,
        "350 ms at 0.5 ms per step, per presentation"
    );
    let step_sum: f64 = steps.iter().map(|r| r.energy_pj).sum();
    let sample_sum: f64 = samples.iter().map(|r| r.energy_total_pj).sum();
    // Steps end at their own end; the sample also books the DRAM tail up to its end.
    assert!(
        step_sum <= sample_sum * (1.0 + 1e-9) && step_sum > 0.95 * sample_sum,
        "{step_sum} vs {sample_sum}"
    );
}

#[test]
fn sparse_encodings_run_and_take_faults_on_their_weight_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 50, 4);
    let base = [
        "snn.n_excitatory=50",
        "snn.weight_bits=4",
        "data.test_samples=5",
    ];
    let mut dense = base.to_vec();
    dense.extend(["encoding.kind=crossbar"]);
    let cb = run(d, &dense, "c.h5");
    for kind in ["bitmap", "index"] {
        let mut a = base.to_vec();
        let k = format!("encoding.kind={kind}");
        a.extend([k.as_str(), "dram.error_model=uniform", "dram.ber=0.02"]);
        let s = run(d, &a, &format!("{kind}.h5"));
        assert_eq!(s["memory"]["encoding"], kind);
        // The same spikes, fetched through another layout: synaptic work is the same
        // network's, DRAM traffic differs with the footprint.
        assert!(s["dram_reads"].as_u64().unwrap() > 0);
        // Faults hit only the stored weight fields: nnz x 4 bits, BER 2e-2, within 5 sigma.
        let stored_bits =
            s["memory"]["n_pre"].as_f64().unwrap() * s["memory"]["n_post"].as_f64().unwrap() * 4.0;
        let flipped = s["memory"]["fault_bits_flipped"].as_f64().unwrap();
        let mean = 0.02 * stored_bits; // upper bound: every synapse present
        assert!(
            flipped > 0.0 && flipped < mean + 5.0 * mean.sqrt(),
            "{kind}: flipped {flipped}, at most ~{mean}"
        );
    }
    assert_eq!(cb["memory"]["fault_bits_flipped"], 0);
}

/// A DRAM below its error-free voltage with error_model = "none" runs fault-free and
/// says so; with an error model it flips bits and does not warn.
#[test]
fn reduced_voltage_without_an_error_model_warns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 20, 8);
    let base = [
        "run",
        "--set",
        "system.model=\"m.h5\"",
        "--set",
        "snn.n_excitatory=20",
        "--set",
        "data.test_samples=2",
        "--set",
        "dram.standard=\"DDR3L-1600\"",
        "--set",
        "dram.vdd=1.025",
        "--out",
        "w.h5",
        "--force",
    ];
    let (code, o, e) = spikemem(&base, d);
    assert_eq!(code, 0, "{o}{e}");
    assert!(
        e.contains("warning") && e.contains("dram.vdd = 1.025 V") && e.contains("no bit will flip"),
        "{e}"
    );
    let mut with_model = base.to_vec();
    with_model.extend(["--set", "dram.error_model=\"uniform\""]);
    let (code, o, e) = spikemem(&with_model, d);
    assert_eq!(code, 0, "{o}{e}");
    assert!(!e.contains("no bit will flip"), "{e}");
}

/// On-chip learning in faulty DRAM: every update is read back through the weak cells,
/// so bits flip during learning too and the learned network differs from the
/// fault-free learning run's (before, faults were applied once at build and learning
/// then wrote clean weights over them).
#[test]
fn on_chip_learning_reads_its_updates_through_the_weak_cells() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    train(d, 20, 8);
    let base = [
        "snn.n_excitatory=20",
        "snn.weight_bits=8",
        "data.test_samples=40",
        "data.train_samples=30",
        "dram.ber=0.05",
        "--learn",
    ];
    let mut clean = base.to_vec();
    clean.push("dram.error_model=\"none\"");
    let c = run(d, &clean, "c.h5");
    let mut faulty = base.to_vec();
    faulty.push("dram.error_model=\"uniform\"");
    let f = run(d, &faulty, "f.h5");
    assert_eq!(c["memory"]["fault_bits_flipped"], 0);
    let total = f["memory"]["fault_bits_flipped"].as_u64().unwrap();
    let learning = f["memory"]["fault_bits_flipped_learning"].as_u64().unwrap();
    assert_eq!(
        f["learning"]["fault_bits_flipped"].as_u64().unwrap(),
        learning
    );
    assert!(learning > 0 && total > learning, "{total} {learning}");
    // The learned networks differ: predictions of the test samples.
    let preds = |h5: &str| -> Vec<i32> {
        let f = hdf5::File::open(d.join(h5)).unwrap();
        let s: Vec<SampleRecord> = f.dataset("samples").unwrap().read_raw().unwrap();
        s.iter().map(|r| r.prediction).collect()
    };
    assert_ne!(preds("c.h5"), preds("f.h5"));
}

#[test]
fn per_synapse_delays_widen_the_fields_and_fill_the_delay_ring() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sets = [
        "snn.n_excitatory=50",
        "snn.weight_bits=8",
        "snn.input_delay_max_ms=10",
    ];
    let mut args = vec!["train", "--set", "data.train_samples=100", "--out", "m.h5"];
    for s in &sets {
        args.extend(["--set", s]);
    }
    let (code, o, e) = spikemem(&args, d);
    assert_eq!(code, 0, "{o}{e}");
    let mut base = sets.to_vec();
    base.extend(["data.test_samples=5", "dram.standard=DDR3L-1600"]);
    let s = run(d, &base, "d.h5");
    // 10 ms at 0.5 ms steps: delays 0..=20 in 5 bits; a ring of 32 slots.
    let m = &s["memory"];
    assert_eq!(m["delay_bits"], 5);
    assert_eq!(m["delay_ring_slots"], 32);
    assert_eq!(m["footprint_bits"], 784 * 50 * (8 + 5));
    // A forward row is 50 x 13 bits = 650 bits: at least 10 64-bit words per spike.
    let spikes = s["input_spikes"].as_u64().unwrap();
    assert!(s["weight_words_requested"].as_u64().unwrap() >= spikes * 10);
    // The ring: 32 slots x 50 accumulators x 2 bytes = 3200 -> 4096 bytes. Each synaptic
    // op (crossbar: 50 per input spike) is a read-modify-write of its accumulator, and
    // every step the neuron units read and clear one slot (50 x 16 bits = 13 words).
    let r = &s["sram"]["delays"];
    assert_eq!(r["capacity_bytes"], 4096);
    assert_eq!(r["reads"], r["writes"]);
    let per_steps = r["reads"].as_u64().unwrap() - spikes * 50;
    assert!(per_steps > 0 && per_steps.is_multiple_of(13), "{per_steps}");
    assert!(
        s["energy_breakdown_pj"]["sram.delays"]["read"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // Bit errors hit the delay fields too: flips over all 13 bits of every field.
    let mut faulty = base.to_vec();
    faulty.extend([
        "dram.vdd=1.025",
        "dram.error_model=uniform",
        "dram.ber=0.01",
    ]);
    let f = run(d, &faulty, "f.h5");
    let flipped = f["memory"]["fault_bits_flipped"].as_u64().unwrap() as f64;
    let mean = 0.01 * (784 * 50 * 13) as f64;
    assert!(
        (flipped - mean).abs() < 5.0 * (mean * 0.99).sqrt() + 1.0,
        "flipped {flipped}, expected ~{mean}"
    );
}
