//! Round trips, crash safety, resume and error reporting for every format.

use super::*;
use std::process::Command;
use tempfile::TempDir;

/// Deterministic, well-mixed bits so every field (and every float mantissa bit) varies.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn frac(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn sample(i: u64) -> SampleRecord {
    let h = |k: u64| mix(i * 31 + k);
    SampleRecord {
        sample: i,
        label: (h(1) % 10) as i32,
        prediction: (h(2) % 11) as i32 - 1,
        cycles: h(3) % 1_000_000_000,
        time_ns: frac(h(4)) * 1e6,
        input_spikes: h(5) % 100_000,
        output_spikes: h(6) % 1000,
        synaptic_ops: h(7),
        neuron_updates: h(8) % 1_000_000,
        dram_reads: h(9) % 1_000_000,
        dram_writes: h(10) % 1000,
        dram_row_hits: h(11) % 1000,
        energy_core_pj: frac(h(12)) * 1e9,
        energy_sram_pj: frac(h(13)) * 1e-3,
        energy_dram_pj: frac(h(14)),
        energy_dram_access_pj: frac(h(16)) * 1e6,
        energy_dram_background_pj: frac(h(17)) * 1e-6,
        energy_total_pj: frac(h(15)) * 1e12,
    }
}

fn timestep(s: u64, step: u32) -> TimestepRecord {
    let h = |k: u64| mix(s * 1000 + step as u64 * 7 + k + (1 << 40));
    TimestepRecord {
        sample: s,
        step,
        input_spikes: h(1) as u32,
        output_spikes: (h(2) % 100) as u32,
        dram_requests: (h(3) % 5000) as u32,
        cycles: h(4),
        energy_pj: frac(h(5)) * 1e5,
    }
}

fn command(i: u64) -> CommandRecord {
    let h = mix(i + (1 << 50));
    CommandRecord {
        cycle: i * 4 + (h % 4),
        command: (h % 7) as u8,
        channel: (h >> 8) as u8 % 2,
        rank: (h >> 12) as u8 % 2,
        bank_group: (h >> 16) as u8 % 4,
        bank: (h >> 20) as u16 % 4,
        subarray: (h >> 24) as u16 % 128,
        row: (h >> 32) as u32 % 65536,
        column: (h >> 48) as u32 % 1024,
    }
}

const STEPS: u32 = 4;
const CMDS_PER_SAMPLE: u64 = 3;

fn meta(config: &str) -> RunMeta {
    RunMeta {
        config_toml: config.to_owned(),
        version: "0.1.0-test".into(),
        command_names: ["ACT", "PRE", "RD", "WR", "REF", "PREA", "RDA"]
            .map(String::from)
            .to_vec(),
        extra_attrs: vec![
            ("dram_standard".into(), "DDR4-2400".into()),
            ("seed".into(), "42".into()),
        ],
    }
}

const CONFIG: &str = "[run]\nsamples = 100\nseed = 42\n\n[dram]\nstandard = \"DDR4-2400\"\n";

fn opts(flush_every_rows: usize) -> TraceOptions {
    TraceOptions {
        timesteps: true,
        commands: true,
        chunk_rows: 64,
        compression_level: 4,
        flush_every_rows,
    }
}

/// Sends samples `from..to` the way the simulator does: timesteps and commands first,
/// then the sample record that closes them.
fn write_samples(w: &TraceWriter, from: u64, to: u64) {
    for s in from..to {
        for step in 0..STEPS {
            w.timestep(timestep(s, step)).unwrap();
        }
        w.commands(
            (0..CMDS_PER_SAMPLE)
                .map(|k| command(s * CMDS_PER_SAMPLE + k))
                .collect(),
        )
        .unwrap();
        w.sample(sample(s)).unwrap();
    }
}

fn expected(n: u64) -> (Vec<SampleRecord>, Vec<TimestepRecord>, Vec<CommandRecord>) {
    let s = (0..n).map(sample).collect();
    let t = (0..n)
        .flat_map(|s| (0..STEPS).map(move |k| timestep(s, k)))
        .collect();
    let c = (0..n * CMDS_PER_SAMPLE).map(command).collect();
    (s, t, c)
}

const SUMMARY: &str = r#"{"accuracy": 0.875, "samples": 100, "energy_total_pj": 1.5e12, "label": "test", "early_stop": false, "per_class": [1, 2]}"#;
const DRAM_STATS: &str = r#"{"row_hits": 12, "row_misses": 3, "avg_latency_ns": 41.25}"#;

struct H5Contents {
    samples: Vec<SampleRecord>,
    timesteps: Vec<TimestepRecord>,
    commands: Vec<CommandRecord>,
}

fn read_h5(path: &Path) -> H5Contents {
    let f = hdf5::File::open(path).unwrap();
    H5Contents {
        samples: f.dataset("samples").unwrap().read_raw().unwrap(),
        timesteps: f.dataset("timesteps").unwrap().read_raw().unwrap(),
        commands: f.dataset("dram/commands").unwrap().read_raw().unwrap(),
    }
}

fn read_csv<R: Record>(path: &Path) -> Vec<R> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), R::FIELDS.join(","));
    lines.map(|l| R::from_csv(l).unwrap()).collect()
}

struct JsonlContents {
    meta: serde_json::Value,
    samples: Vec<SampleRecord>,
    timesteps: Vec<TimestepRecord>,
    commands: Vec<CommandRecord>,
    summary: Option<serde_json::Value>,
}

fn read_jsonl(path: &Path) -> JsonlContents {
    let text = std::fs::read_to_string(path).unwrap();
    let mut c = JsonlContents {
        meta: serde_json::Value::Null,
        samples: vec![],
        timesteps: vec![],
        commands: vec![],
        summary: None,
    };
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v["record"].as_str().unwrap() {
            "meta" => {
                assert_eq!(i, 0);
                c.meta = v
            }
            "sample" => c.samples.push(serde_json::from_value(v).unwrap()),
            "timestep" => c.timesteps.push(serde_json::from_value(v).unwrap()),
            "command" => c.commands.push(serde_json::from_value(v).unwrap()),
            "summary" => c.summary = Some(v),
            other => panic!("unexpected record kind {other}"),
        }
    }
    c
}

/// JSONL groups kinds within a flush, so compare timesteps by (sample, step) order.
fn sorted<T: Clone, K: Ord>(v: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort_by_key(|x| key(x));
    v
}

#[test]
fn hdf5_round_trip_exact() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.h5");
    let n = 1000;
    let w = TraceWriter::create(&path, TraceFormat::Hdf5, meta(CONFIG), opts(37)).unwrap();
    write_samples(&w, 0, n);
    w.finish(SUMMARY, DRAM_STATS).unwrap();

    let got = read_h5(&path);
    let (s, t, c) = expected(n);
    assert_eq!(got.samples, s);
    assert_eq!(got.timesteps, t);
    assert_eq!(got.commands, c);

    let f = hdf5::File::open(&path).unwrap();
    let str_attr = |loc: &hdf5::Location, name: &str| {
        loc.attr(name)
            .unwrap()
            .read_scalar::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .to_string()
    };
    assert_eq!(str_attr(&f, "config_toml"), CONFIG);
    assert_eq!(str_attr(&f, "spikemem_version"), "0.1.0-test");
    assert_eq!(str_attr(&f, "dram_standard"), "DDR4-2400");
    assert!(
        f.attr("created_unix_s")
            .unwrap()
            .read_scalar::<u64>()
            .unwrap()
            > 1_600_000_000
    );
    let cmds = f.dataset("dram/commands").unwrap();
    let names: Vec<hdf5::types::VarLenUnicode> =
        cmds.attr("command_names").unwrap().read_raw().unwrap();
    assert_eq!(
        names.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        ["ACT", "PRE", "RD", "WR", "REF", "PREA", "RDA"]
    );
    assert_eq!(
        cmds.attr("complete_rows")
            .unwrap()
            .read_scalar::<u64>()
            .unwrap(),
        n * CMDS_PER_SAMPLE
    );
    assert_eq!(cmds.chunk(), Some(vec![64]));
    assert!(cmds.filters().contains(&hdf5::filters::Filter::deflate(4)));

    let summary = f.dataset("summary").unwrap();
    let json: serde_json::Value = serde_json::from_str(
        summary
            .read_scalar::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .as_str(),
    )
    .unwrap();
    assert_eq!(json["per_class"], serde_json::json!([1, 2]));
    assert_eq!(
        summary
            .attr("accuracy")
            .unwrap()
            .read_scalar::<f64>()
            .unwrap(),
        0.875
    );
    assert_eq!(
        summary
            .attr("samples")
            .unwrap()
            .read_scalar::<i64>()
            .unwrap(),
        100
    );
    assert_eq!(
        summary
            .attr("energy_total_pj")
            .unwrap()
            .read_scalar::<f64>()
            .unwrap(),
        1.5e12
    );
    assert!(!summary
        .attr("early_stop")
        .unwrap()
        .read_scalar::<bool>()
        .unwrap());
    assert_eq!(str_attr(&summary, "label"), "test");
    assert!(
        summary.attr("per_class").is_err(),
        "nested values stay in the JSON only"
    );
    let stats = f
        .dataset("dram/stats")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stats.as_str()).unwrap()["avg_latency_ns"],
        41.25
    );
}

#[test]
fn hdf5_disabled_tables_are_absent_and_calls_are_no_ops() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.h5");
    let o = TraceOptions {
        timesteps: false,
        commands: false,
        compression_level: 0,
        ..TraceOptions::default()
    };
    let w = TraceWriter::create(&path, TraceFormat::Hdf5, meta(CONFIG), o).unwrap();
    write_samples(&w, 0, 10);
    w.finish("{}", "{}").unwrap();
    let f = hdf5::File::open(&path).unwrap();
    assert_eq!(
        f.dataset("samples")
            .unwrap()
            .read_raw::<SampleRecord>()
            .unwrap(),
        expected(10).0
    );
    assert!(!f.link_exists("timesteps"));
    assert!(!f.group("dram").unwrap().link_exists("commands"));
    assert!(f.dataset("samples").unwrap().filters().is_empty());
    assert!(f.link_exists("dram/stats"));
}

/// A command whose child closes every inherited descriptor. HDF5 opens files without
/// O_CLOEXEC, so a child would otherwise hold the file lock of whatever trace another
/// test thread has open, and that test's next open fails with "unable to lock file".
fn isolated(program: impl AsRef<std::ffi::OsStr>) -> Command {
    use std::os::unix::process::CommandExt;
    extern "C" {
        fn close(fd: i32) -> i32;
    }
    let mut cmd = Command::new(program);
    // SAFETY: close() is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            for fd in 3..4096 {
                close(fd);
            }
            Ok(())
        });
    }
    cmd
}

/// An interpreter with h5py: `python3` first, then Debian's, which a pyenv shim may hide.
fn python_with_h5py() -> Option<String> {
    for py in ["python3", "/usr/bin/python3"] {
        let ok = isolated(py)
            .args(["-c", "import h5py, numpy"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Some(py.to_owned());
        }
    }
    None
}

#[test]
fn hdf5_reads_in_h5py_with_no_custom_code() {
    let Some(py) = python_with_h5py() else {
        eprintln!(
            "SKIPPED hdf5_reads_in_h5py_with_no_custom_code: no python3 with h5py and numpy found"
        );
        return;
    };
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.h5");
    let n = 500;
    let w = TraceWriter::create(&path, TraceFormat::Hdf5, meta(CONFIG), opts(100)).unwrap();
    write_samples(&w, 0, n);
    w.finish(SUMMARY, DRAM_STATS).unwrap();

    let script = r#"
import sys, json, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    s = f["samples"][:]
    t = f["timesteps"][:]
    c = f["dram/commands"][:]
    names = [x.decode() if isinstance(x, bytes) else x for x in f["dram/commands"].attrs["command_names"]]
    cfg = f.attrs["config_toml"]
    cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
    out = {
        "n": len(s), "fields": list(s.dtype.names), "itemsize": s.dtype.itemsize,
        "cmd_offsets": [c.dtype.fields[k][1] for k in c.dtype.names],
        "sum_synaptic_ops_mod": int(sum(int(x) for x in s["synaptic_ops"]) % (1 << 61)),
        "sum_cycles": int(s["cycles"].astype(np.uint64).sum()), "sum_label": int(s["label"].sum()),
        "sum_energy_total_pj": float(s["energy_total_pj"].sum()),
        "sum_ts_energy": float(t["energy_pj"].sum()), "n_ts": len(t),
        "sum_rows": int(c["row"].astype(np.uint64).sum()), "n_cmd": len(c),
        "first_sample": [float(x) for x in s[0].tolist()],
        "names": names, "config": cfg,
        "accuracy": float(f["summary"].attrs["accuracy"]),
        "summary": json.loads(f["summary"][()]), "stats": json.loads(f["dram/stats"][()]),
    }
    try:
        import pandas as pd
        df = pd.DataFrame(f["samples"][:])
        out["pandas_rows"], out["pandas_cols"] = int(len(df)), list(df.columns)
    except ImportError:
        pass
print(json.dumps(out))
"#;
    let o = isolated(&py)
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "h5py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (s, t, c) = expected(n);
    assert_eq!(v["n"], n);
    assert_eq!(v["fields"], serde_json::json!(SampleRecord::FIELDS));
    assert_eq!(v["itemsize"], std::mem::size_of::<SampleRecord>());
    assert_eq!(
        v["cmd_offsets"],
        serde_json::json!([0, 8, 9, 10, 11, 12, 14, 16, 20])
    );
    let sum_ops = s.iter().fold(0u128, |a, r| a + r.synaptic_ops as u128) % (1 << 61);
    assert_eq!(v["sum_synaptic_ops_mod"].as_u64().unwrap() as u128, sum_ops);
    assert_eq!(v["sum_cycles"], s.iter().map(|r| r.cycles).sum::<u64>());
    assert_eq!(
        v["sum_label"],
        s.iter().map(|r| r.label as i64).sum::<i64>()
    );
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(
        rel(
            v["sum_energy_total_pj"].as_f64().unwrap(),
            s.iter().map(|r| r.energy_total_pj).sum()
        ) < 1e-12
    );
    assert!(
        rel(
            v["sum_ts_energy"].as_f64().unwrap(),
            t.iter().map(|r| r.energy_pj).sum()
        ) < 1e-12
    );
    assert_eq!(v["n_ts"], t.len());
    assert_eq!(v["sum_rows"], c.iter().map(|r| r.row as u64).sum::<u64>());
    assert_eq!(v["n_cmd"], c.len());
    // Every float survives exactly (JSON float text round-trips f64).
    let first: Vec<f64> = serde_json::from_value(v["first_sample"].clone()).unwrap();
    assert_eq!(first[4], s[0].time_ns);
    let total_at = SampleRecord::FIELDS
        .iter()
        .position(|f| *f == "energy_total_pj")
        .unwrap();
    assert_eq!(first[total_at], s[0].energy_total_pj);
    assert_eq!(v["names"][2], "RD");
    assert_eq!(v["config"], CONFIG);
    assert_eq!(v["accuracy"], 0.875);
    assert_eq!(v["summary"]["per_class"][1], 2);
    assert_eq!(v["stats"]["row_hits"], 12);
    match v.get("pandas_rows") {
        Some(rows) => {
            assert_eq!(rows, n);
            assert_eq!(v["pandas_cols"], serde_json::json!(SampleRecord::FIELDS));
        }
        None => eprintln!("pandas not installed: DataFrame check skipped"),
    }
}

#[test]
fn csv_round_trip_exact() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.csv");
    let n = 300;
    let w = TraceWriter::create(&path, TraceFormat::Csv, meta(CONFIG), opts(50)).unwrap();
    write_samples(&w, 0, n);
    w.finish(SUMMARY, DRAM_STATS).unwrap();
    let (s, t, c) = expected(n);
    assert_eq!(
        read_csv::<SampleRecord>(&dir.path().join("run_samples.csv")),
        s
    );
    assert_eq!(
        read_csv::<TimestepRecord>(&dir.path().join("run_timesteps.csv")),
        t
    );
    assert_eq!(
        read_csv::<CommandRecord>(&dir.path().join("run_commands.csv")),
        c
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("run.toml")).unwrap(),
        CONFIG
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run_meta.json")).unwrap())
            .unwrap();
    assert_eq!(m["command_names"][0], "ACT");
    assert_eq!(m["extra"]["seed"], "42");
    let sum: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run_summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sum["summary"]["accuracy"], 0.875);
    assert_eq!(sum["dram_stats"]["row_misses"], 3);
}

#[test]
fn jsonl_round_trip_exact() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.jsonl");
    let n = 300;
    let w = TraceWriter::create(&path, TraceFormat::Jsonl, meta(CONFIG), opts(41)).unwrap();
    write_samples(&w, 0, n);
    w.finish(SUMMARY, DRAM_STATS).unwrap();
    let got = read_jsonl(&path);
    let (s, t, c) = expected(n);
    assert_eq!(got.samples, s);
    assert_eq!(sorted(&got.timesteps, |r| (r.sample, r.step)), t);
    assert_eq!(sorted(&got.commands, |r| r.cycle), c);
    assert_eq!(got.meta["config_toml"], CONFIG);
    assert_eq!(got.meta["extra"]["dram_standard"], "DDR4-2400");
    let summary = got.summary.unwrap();
    assert_eq!(summary["summary"]["accuracy"], 0.875);
    assert_eq!(summary["dram_stats"]["row_hits"], 12);
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .starts_with("{\"record\":\"summary\""));
}

#[test]
fn dropped_writer_keeps_every_row_sent() {
    for format in [TraceFormat::Hdf5, TraceFormat::Csv, TraceFormat::Jsonl] {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(format!("run.{}", format.extension()));
        let w = TraceWriter::create(&path, format, meta(CONFIG), opts(1000)).unwrap();
        write_samples(&w, 0, 20);
        w.timestep(timestep(20, 0)).unwrap(); // an unclosed sample
        drop(w);
        let (s, t, _) = expected(20);
        match format {
            TraceFormat::Hdf5 => {
                let got = read_h5(&path);
                assert_eq!(got.samples, s);
                assert_eq!(
                    got.timesteps.len(),
                    t.len() + 1,
                    "the open sample's rows are kept for readers"
                );
                let f = hdf5::File::open(&path).unwrap();
                assert_eq!(
                    f.dataset("timesteps")
                        .unwrap()
                        .attr("complete_rows")
                        .unwrap()
                        .read_scalar::<u64>()
                        .unwrap(),
                    t.len() as u64
                );
                assert!(!f.link_exists("summary"));
            }
            TraceFormat::Csv => assert_eq!(
                read_csv::<SampleRecord>(&dir.path().join("run_samples.csv")),
                s
            ),
            TraceFormat::Jsonl => {
                let got = read_jsonl(&path);
                assert_eq!(got.samples, s);
                assert!(got.summary.is_none());
            }
        }
    }
}

/// A leaked writer (the process carries on, the writer is never closed) has its flushed
/// rows in the files already.
#[test]
fn leaked_text_writers_have_flushed_rows_on_disk() {
    for format in [TraceFormat::Csv, TraceFormat::Jsonl] {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(format!("run.{}", format.extension()));
        let w = TraceWriter::create(&path, format, meta(CONFIG), opts(1_000_000)).unwrap();
        write_samples(&w, 0, 30);
        w.flush().unwrap();
        write_samples(&w, 30, 35); // buffered, never flushed
        std::mem::forget(w);
        let s = expected(30).0;
        match format {
            TraceFormat::Csv => assert_eq!(
                read_csv::<SampleRecord>(&dir.path().join("run_samples.csv")),
                s
            ),
            _ => assert_eq!(read_jsonl(&path).samples, s),
        }
    }
}

const CHILD_ENV: &str = "SPIKEMEM_TRACE_TEST_CHILD";

/// Child half of the kill test: writes, reports what is surely flushed, then keeps
/// writing (and flushing every 50 rows) until it is killed.
fn child_writes_until_killed(spec: &str) -> ! {
    let (format, path) = spec.split_once(':').unwrap();
    let path = Path::new(path);
    let w = TraceWriter::create(path, format.parse().unwrap(), meta(CONFIG), opts(50)).unwrap();
    write_samples(&w, 0, 200);
    w.flush().unwrap();
    let mut ready = path.as_os_str().to_owned();
    ready.push(".ready");
    std::fs::write(&ready, "200").unwrap();
    for s in 200.. {
        write_samples(&w, s, s + 1);
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    unreachable!()
}

fn run_child_and_kill(format: TraceFormat, path: &Path) {
    let mut child = isolated(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "tests::killed_run_leaves_readable_trace",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}:{}", format.name(), path.display()))
        .spawn()
        .unwrap();
    let mut ready = path.as_os_str().to_owned();
    ready.push(".ready");
    let start = std::time::Instant::now();
    while !Path::new(&ready).exists() {
        assert!(start.elapsed().as_secs() < 60, "child never became ready");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited early: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(300)); // kill it mid-run
    child.kill().unwrap(); // SIGKILL: no destructors, no flush
    child.wait().unwrap();
}

#[test]
fn killed_run_leaves_readable_trace() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child_writes_until_killed(&spec);
    }
    for format in [TraceFormat::Hdf5, TraceFormat::Jsonl, TraceFormat::Csv] {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(format!("run.{}", format.extension()));
        run_child_and_kill(format, &path);
        let n = match format {
            TraceFormat::Hdf5 => {
                let got = read_h5(&path);
                let n = got.samples.len() as u64;
                assert!(n >= 200, "only {n} samples survived");
                let (s, t, _) = expected(n);
                assert_eq!(got.samples, s);
                assert_eq!(&got.timesteps[..t.len()], &t[..]);
                if let Some(py) = python_with_h5py() {
                    let o = isolated(py)
                        .args(["-c", "import sys,h5py; f=h5py.File(sys.argv[1],'r'); print(len(f['samples']))", path.to_str().unwrap()])
                        .output()
                        .unwrap();
                    assert!(
                        o.status.success(),
                        "h5py cannot open the killed trace: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), n.to_string());
                }
                n
            }
            TraceFormat::Jsonl => {
                // The kill may cut the last line short; every whole line parses.
                let text = std::fs::read_to_string(&path).unwrap();
                let whole = &text[..text.rfind('\n').unwrap() + 1];
                let samples: Vec<SampleRecord> = whole
                    .lines()
                    .filter(|l| l.starts_with("{\"record\":\"sample\""))
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert!(samples.len() >= 200);
                assert_eq!(samples, expected(samples.len() as u64).0);
                samples.len() as u64
            }
            TraceFormat::Csv => {
                let text = std::fs::read_to_string(dir.path().join("run_samples.csv")).unwrap();
                let whole = &text[..text.rfind('\n').unwrap() + 1];
                let samples: Vec<SampleRecord> = whole
                    .lines()
                    .skip(1)
                    .map(|l| SampleRecord::from_csv(l).unwrap())
                    .collect();
                assert!(samples.len() >= 200);
                assert_eq!(samples, expected(samples.len() as u64).0);
                samples.len() as u64
            }
        };
        // A rerun continues the killed trace where its last complete sample ended.
        let (w, done) = TraceWriter::resume(&path, format, meta(CONFIG), opts(50)).unwrap();
        assert!(
            done >= 200 && done <= n,
            "{format}: resumed at {done}, file had {n}"
        );
        write_samples(&w, done, done + 10);
        w.finish(SUMMARY, DRAM_STATS).unwrap();
        check_complete_trace(format, &path, done + 10);
    }
}

/// The trace holds exactly samples 0..n with their timesteps and commands, once each.
fn check_complete_trace(format: TraceFormat, path: &Path, n: u64) {
    let (s, t, c) = expected(n);
    match format {
        TraceFormat::Hdf5 => {
            let got = read_h5(path);
            assert_eq!(got.samples, s);
            assert_eq!(got.timesteps, t);
            assert_eq!(got.commands, c);
        }
        TraceFormat::Csv => {
            assert_eq!(
                read_csv::<SampleRecord>(&csv_sibling(path, "_samples.csv")),
                s
            );
            assert_eq!(
                read_csv::<TimestepRecord>(&csv_sibling(path, "_timesteps.csv")),
                t
            );
            assert_eq!(
                read_csv::<CommandRecord>(&csv_sibling(path, "_commands.csv")),
                c
            );
        }
        TraceFormat::Jsonl => {
            let got = read_jsonl(path);
            assert_eq!(got.samples, s);
            assert_eq!(sorted(&got.timesteps, |r| (r.sample, r.step)), t);
            assert_eq!(sorted(&got.commands, |r| r.cycle), c);
            assert!(got.summary.is_some());
        }
    }
}

#[test]
fn resume_continues_after_the_last_complete_sample() {
    for format in [TraceFormat::Hdf5, TraceFormat::Csv, TraceFormat::Jsonl] {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(format!("run.{}", format.extension()));
        let w = TraceWriter::create(&path, format, meta(CONFIG), opts(7)).unwrap();
        write_samples(&w, 0, 25);
        // Sample 25 is half done when the run stops: its rows must not survive a resume.
        w.timestep(timestep(25, 0)).unwrap();
        w.commands(vec![command(25 * CMDS_PER_SAMPLE)]).unwrap();
        drop(w);

        let (w, done) = TraceWriter::resume(&path, format, meta(CONFIG), opts(7)).unwrap();
        assert_eq!(done, 25, "{format}");
        write_samples(&w, 25, 40);
        w.finish(SUMMARY, DRAM_STATS).unwrap();
        check_complete_trace(format, &path, 40);

        // Resuming a finished trace keeps everything and rewrites the summary once.
        let (w, done) = TraceWriter::resume(&path, format, meta(CONFIG), opts(7)).unwrap();
        assert_eq!(done, 40, "{format}");
        w.finish(SUMMARY, DRAM_STATS).unwrap();
        check_complete_trace(format, &path, 40);

        // A resumed run that stops again has no (stale) summary.
        let (w, done) = TraceWriter::resume(&path, format, meta(CONFIG), opts(7)).unwrap();
        assert_eq!(done, 40, "{format}");
        write_samples(&w, 40, 42);
        drop(w);
        let has_summary = match format {
            TraceFormat::Hdf5 => {
                let f = hdf5::File::open(&path).unwrap();
                f.link_exists("summary")
                    || f.link_exists("dram/stats")
                    || f.attr("finished_unix_s").is_ok()
            }
            TraceFormat::Csv => csv_sibling(&path, "_summary.json").exists(),
            TraceFormat::Jsonl => read_jsonl(&path).summary.is_some(),
        };
        assert!(!has_summary, "{format}");
        let (w, done) = TraceWriter::resume(&path, format, meta(CONFIG), opts(7)).unwrap();
        assert_eq!(done, 42, "{format}");
        w.finish(SUMMARY, DRAM_STATS).unwrap();
        check_complete_trace(format, &path, 42);
    }
}

#[test]
fn resume_rejects_a_different_config() {
    for format in [TraceFormat::Hdf5, TraceFormat::Csv, TraceFormat::Jsonl] {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(format!("run.{}", format.extension()));
        let w = TraceWriter::create(&path, format, meta(CONFIG), opts(10)).unwrap();
        write_samples(&w, 0, 5);
        w.finish("{}", "{}").unwrap();
        let other = CONFIG.replace("seed = 42", "seed = 43");
        let err = TraceWriter::resume(&path, format, meta(&other), opts(10))
            .err()
            .expect("must refuse");
        match &err {
            TraceError::ConfigMismatch {
                line,
                existing,
                requested,
                ..
            } => {
                assert_eq!(*line, 3);
                assert_eq!(existing, "seed = 42");
                assert_eq!(requested, "seed = 43");
            }
            e => panic!("{format}: wrong error {e}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("different config") && msg.contains("run."),
            "{msg}"
        );
        // The refused resume left the trace untouched.
        check_complete_trace(format, &path, 5);
    }
}

#[test]
fn resume_of_a_missing_trace_starts_it() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new.h5");
    let (w, done) = TraceWriter::resume(&path, TraceFormat::Hdf5, meta(CONFIG), opts(10)).unwrap();
    assert_eq!(done, 0);
    write_samples(&w, 0, 3);
    w.finish("{}", "{}").unwrap();
    assert_eq!(read_h5(&path).samples.len(), 3);
}

#[test]
fn unwritable_path_names_the_file() {
    for format in [TraceFormat::Hdf5, TraceFormat::Csv, TraceFormat::Jsonl] {
        let path = Path::new("/nonexistent-spikemem-dir/sub/run.out");
        let err = TraceWriter::create(path, format, meta(CONFIG), opts(10))
            .err()
            .expect("must fail");
        let msg = err.to_string();
        assert!(matches!(err, TraceError::Create { .. }), "{format}: {msg}");
        assert!(
            msg.contains("/nonexistent-spikemem-dir/sub/run"),
            "{format}: {msg}"
        );
        assert!(
            msg.to_lowercase().contains("no such file"),
            "{format}: {msg}"
        );
    }
}

/// A full disk surfaces as the OS error text and names the file.
#[test]
fn disk_full_is_reported_with_the_os_error() {
    let full = Path::new("/dev/full");
    if std::fs::OpenOptions::new().write(true).open(full).is_err() {
        eprintln!("SKIPPED disk_full_is_reported_with_the_os_error: /dev/full not writable here");
        return;
    }
    for format in [TraceFormat::Jsonl, TraceFormat::Hdf5] {
        let err = TraceWriter::create(full, format, meta(CONFIG), opts(5))
            .err()
            .expect("writing to /dev/full must fail");
        let msg = err.to_string();
        assert!(msg.contains("/dev/full"), "{format}: {msg}");
        assert!(
            msg.contains("No space left on device") || format == TraceFormat::Hdf5,
            "{format}: {msg}"
        );
        eprintln!("{format} on /dev/full: {msg}");
    }
}

/// An I/O error on the writer thread stops it without a panic; the next call and finish
/// both report it, naming the file.
#[test]
fn writer_thread_error_is_reported_by_later_calls() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.csv");
    let w = TraceWriter::create(&path, TraceFormat::Csv, meta(CONFIG), opts(5)).unwrap();
    write_samples(&w, 0, 2);
    w.flush().unwrap();
    // The open table files stay writable, but the progress file can no longer be replaced.
    std::fs::remove_dir_all(dir.path()).unwrap();
    let mut first_err = None;
    for s in 2..10_000 {
        if let Err(e) = w.sample(sample(s)) {
            first_err = Some(e);
            break;
        }
    }
    let e = first_err.unwrap_or_else(|| w.flush().unwrap_err());
    let msg = e.to_string();
    assert!(matches!(e, TraceError::Write { .. }), "{msg}");
    assert!(
        msg.contains("run_progress.json") && msg.contains("No such file or directory"),
        "{msg}"
    );
    assert_eq!(w.flush().unwrap_err().to_string(), msg);
    assert_eq!(w.finish("{}", "{}").unwrap_err().to_string(), msg);
}

#[test]
fn finish_with_bad_json_names_it_and_keeps_rows() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.h5");
    let w = TraceWriter::create(&path, TraceFormat::Hdf5, meta(CONFIG), opts(10)).unwrap();
    write_samples(&w, 0, 4);
    let err = w.finish("{accuracy: 1}", "{}").unwrap_err();
    assert!(
        matches!(
            err,
            TraceError::BadJson {
                what: "summary",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(read_h5(&path).samples.len(), 4);
}

#[test]
fn writer_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TraceWriter>();
    send_sync::<TraceError>();
}

#[test]
fn options_and_format_names_are_checked() {
    assert_eq!("csv".parse::<TraceFormat>().unwrap(), TraceFormat::Csv);
    assert_eq!("jsonl".parse::<TraceFormat>().unwrap(), TraceFormat::Jsonl);
    assert_eq!("hdf5".parse::<TraceFormat>().unwrap(), TraceFormat::Hdf5);
    let e = "parquet".parse::<TraceFormat>().unwrap_err().to_string();
    assert!(
        e.contains("parquet") && e.contains("hdf5, csv, jsonl"),
        "{e}"
    );
    let dir = TempDir::new().unwrap();
    for (o, needle) in [
        (
            TraceOptions {
                compression_level: 10,
                ..TraceOptions::default()
            },
            "compression_level is 10",
        ),
        (
            TraceOptions {
                chunk_rows: 0,
                ..TraceOptions::default()
            },
            "chunk_rows",
        ),
        (
            TraceOptions {
                flush_every_rows: 0,
                ..TraceOptions::default()
            },
            "flush_every_rows",
        ),
    ] {
        let e = TraceWriter::create(&dir.path().join("x.h5"), TraceFormat::Hdf5, meta(CONFIG), o)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }
}

/// Frequent flushes leave old chunk versions in the file; finish copies them away.
#[test]
fn finished_hdf5_is_compacted() {
    let dir = TempDir::new().unwrap();
    let size = |flush: usize| {
        let path = dir.path().join(format!("flush{flush}.h5"));
        let o = TraceOptions {
            flush_every_rows: flush,
            chunk_rows: 1024,
            ..opts(flush)
        };
        let w = TraceWriter::create(&path, TraceFormat::Hdf5, meta(CONFIG), o).unwrap();
        write_samples(&w, 0, 3000);
        w.finish(SUMMARY, DRAM_STATS).unwrap();
        check_complete_trace(TraceFormat::Hdf5, &path, 3000);
        let f = hdf5::File::open(&path).unwrap();
        assert_eq!(
            f.attr("config_toml")
                .unwrap()
                .read_scalar::<hdf5::types::VarLenUnicode>()
                .unwrap()
                .as_str(),
            CONFIG
        );
        assert!(
            f.attr("created_unix_s")
                .unwrap()
                .read_scalar::<u64>()
                .unwrap()
                > 0
        );
        assert_eq!(
            f.dataset("summary")
                .unwrap()
                .attr("accuracy")
                .unwrap()
                .read_scalar::<f64>()
                .unwrap(),
            0.875
        );
        assert!(!dir
            .path()
            .join(format!("flush{flush}.h5.compact.tmp"))
            .exists());
        std::fs::metadata(&path).unwrap().len()
    };
    let once = size(1_000_000);
    let often = size(20);
    assert!(
        (often as f64) < once as f64 * 1.3 + 65536.0,
        "compacted {often} bytes vs {once} written in one flush"
    );
}
