//! Resume and rerun give exactly the uninterrupted result: `run`, `train` and the `run`
//! points of a sweep are killed (SIGKILL, as `kill -9`, at chosen points through the
//! `SPIKEMEM_FAILPOINT` hook) and run again, and every output is compared field by field
//! with the run that was never interrupted, wall-clock fields aside.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::{json, model_state};

/// Fields that measure the host, not the simulation.
const WALL_CLOCK: &[&str] = &[
    "wall_seconds",
    "images_per_second",
    "dram_requests_per_second",
    "requests_per_second",
    "train_wall_seconds",
];

fn strip_wall_clock(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !WALL_CLOCK.contains(&k.as_str()));
            m.values_mut().for_each(strip_wall_clock);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_wall_clock),
        _ => {}
    }
}

/// Run spikemem in `dir` with `SPIKEMEM_FAILPOINT` set to `failpoint` (if any):
/// (exit code, -9 when killed by SIGKILL; stdout; stderr).
fn spikemem_at(args: &[&str], dir: &Path, failpoint: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spikemem"));
    c.args(args).current_dir(dir);
    match failpoint {
        Some(f) => c.env("SPIKEMEM_FAILPOINT", f),
        None => c.env_remove("SPIKEMEM_FAILPOINT"),
    };
    let out = c.output().expect("run spikemem");
    use std::os::unix::process::ExitStatusExt;
    let code = out
        .status
        .code()
        .unwrap_or_else(|| -out.status.signal().unwrap_or(0));
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn without_wall_clock(p: &Path) -> Value {
    let mut v = json(p);
    strip_wall_clock(&mut v);
    v
}

/// The tables and the summary of an HDF5 trace.
fn trace_contents(p: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>, Value) {
    let f = hdf5::File::open(p).unwrap();
    let bytes = |name: &str| -> Vec<u8> {
        match f.dataset(name) {
            Ok(ds) => {
                let n = ds.size();
                let size = ds.dtype().unwrap().size();
                // Raw records: the compound layout is this build's (`#[repr(C)]`).
                let recs: Vec<u8> = match name {
                    "samples" => as_bytes(&ds.read_raw::<spikemem_traces::SampleRecord>().unwrap()),
                    "timesteps" => {
                        as_bytes(&ds.read_raw::<spikemem_traces::TimestepRecord>().unwrap())
                    }
                    _ => as_bytes(&ds.read_raw::<spikemem_traces::CommandRecord>().unwrap()),
                };
                assert_eq!(recs.len(), n * size);
                recs
            }
            Err(_) => Vec::new(),
        }
    };
    let summary: hdf5::types::VarLenUnicode = f.dataset("summary").unwrap().read_scalar().unwrap();
    let mut summary: Value = serde_json::from_str(summary.as_str()).unwrap();
    strip_wall_clock(&mut summary);
    (
        bytes("samples"),
        bytes("timesteps"),
        bytes("dram/commands"),
        summary,
    )
}

fn as_bytes<T: Copy>(v: &[T]) -> Vec<u8> {
    // SAFETY: the records are plain `#[repr(C)]` data with zeroed padding (the
    // traces crate writes explicit padding fields), read back from the file.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
        .to_vec()
}

/// A run that trains its network (so the trained-network side file is exercised),
/// with every trace table on.
const RUN: &[&str] = &[
    "run",
    "--checkpoint-seconds",
    "0",
    "--set",
    "snn.n_excitatory=30",
    "--set",
    "data.train_samples=60",
    "--set",
    "data.test_samples=40",
    "--set",
    "trace.timesteps=true",
    "--set",
    "trace.commands=true",
];

fn run_args<'a>(extra: &[&'a str], out: &'a str, json: &'a str) -> Vec<&'a str> {
    let mut a: Vec<&str> = RUN.to_vec();
    a.extend_from_slice(extra);
    a.extend_from_slice(&["--out", out, "--json", json]);
    a
}

fn check_kills_resume_exactly(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, o, e) = spikemem_at(&run_args(extra, "ref.h5", "ref.json"), d, None);
    assert_eq!(code, 0, "{o}{e}");
    let reference = without_wall_clock(&d.join("ref.json"));
    let ref_trace = trace_contents(&d.join("ref.h5"));
    // Kill points (0-based samples): before the first checkpoint, just after one (16
    // samples done), between two, and twice in one run's life.
    for kills in [&[3u64][..], &[15], &[22], &[17, 36]] {
        let out = format!("k{}.h5", kills[0]);
        let js = format!("k{}.json", kills[0]);
        let args = run_args(extra, &out, &js);
        for k in kills {
            let (code, o, e) = spikemem_at(&args, d, Some(&format!("run-sample:{k}")));
            assert_eq!(code, -9, "killed at sample {k}: {o}{e}");
            assert!(!d.join(&js).exists(), "no summary from a killed run");
        }
        let (code, o, e) = spikemem_at(&args, d, None);
        assert_eq!(code, 0, "{o}{e}");
        let what = format!("killed at {kills:?}");
        assert_eq!(
            without_wall_clock(&d.join(&js)),
            reference,
            "{what}: summary.json"
        );
        let t = trace_contents(&d.join(&out));
        assert!(t.0 == ref_trace.0, "{what}: /samples rows differ");
        assert!(t.1 == ref_trace.1, "{what}: /timesteps rows differ");
        assert!(t.2 == ref_trace.2, "{what}: /dram/commands rows differ");
        assert_eq!(t.3, ref_trace.3, "{what}: /summary");
        for side in [".ckpt", ".ckpt-trained", ".ckpt-learned"] {
            assert!(
                !d.join(format!("{out}{side}")).exists(),
                "{what}: {side} left behind"
            );
        }
    }
}

#[test]
fn killed_run_resumes_to_the_uninterrupted_result() {
    check_kills_resume_exactly(&[]);
}

#[test]
fn killed_learning_run_resumes_to_the_uninterrupted_result() {
    check_kills_resume_exactly(&["--learn"]);
}

/// Weights on chip: the system has no DRAM (`dram` null); its checkpoint still holds
/// the (never advanced) DRAM model, and a resume ends exactly as the uninterrupted run.
#[test]
fn killed_run_without_dram_resumes_to_the_uninterrupted_result() {
    check_kills_resume_exactly(&["--set", "system.weights_in=\"sram\""]);
}

#[test]
fn rerun_of_a_complete_trace_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = run_args(&["--set", "data.test_samples=5"], "r.h5", "r.json");
    let (code, o, e) = spikemem_at(&args, d, None);
    assert_eq!(code, 0, "{o}{e}");
    let before = std::fs::read(d.join("r.h5")).unwrap();
    let first = json(&d.join("r.json"));
    std::fs::remove_file(d.join("r.json")).unwrap();
    let (code, o, e) = spikemem_at(&args, d, None);
    assert_eq!(code, 0, "{o}{e}");
    assert!(o.contains("is complete"), "{o}");
    assert!(!e.contains("training"), "no retraining: {e}");
    assert_eq!(
        std::fs::read(d.join("r.h5")).unwrap(),
        before,
        "trace untouched"
    );
    assert_eq!(
        json(&d.join("r.json")),
        first,
        "--json from the stored summary"
    );
    // Another config is refused, naming the trace, and --force starts over.
    let mut other = args.clone();
    other.extend_from_slice(&["--set", "snn.seed=2"]);
    let (code, _, e) = spikemem_at(&other, d, None);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("r.h5") && e.contains("--force"), "{e}");
    other.push("--force");
    let (code, o, e) = spikemem_at(&other, d, None);
    assert_eq!(code, 0, "{o}{e}");
    assert_ne!(std::fs::read(d.join("r.h5")).unwrap(), before);
}

#[test]
fn killed_training_resumes_to_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sets = [
        "snn.n_excitatory=20",
        "data.train_samples=30",
        "data.test_samples=10",
        "snn.epochs=2",
        "snn.report_every=8",
    ];
    let args = |out: &'static str, js: &'static str| -> Vec<String> {
        let mut a = vec!["train".to_string()];
        for s in sets {
            a.extend(["--set".to_string(), s.to_string()]);
        }
        a.extend(
            ["--checkpoint-every", "7", "--out", out, "--json", js]
                .iter()
                .map(|s| s.to_string()),
        );
        a
    };
    let run = |a: &[String], fp: Option<&str>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        spikemem_at(&a, d, fp)
    };
    let (code, o, e) = run(&args("ref.h5", "ref.json"), None);
    assert_eq!(code, 0, "{o}{e}");
    let reference = model_state(&d.join("ref.h5"), &sets);
    let ref_report = without_wall_clock(&d.join("ref.json"));
    // Kills: before the first checkpoint, mid-epoch, at an epoch's end (sample 30), in
    // the second epoch, and twice.
    for kills in [&[3u64][..], &[10], &[30], &[45], &[9, 50]] {
        let a = args("m.h5", "m.json");
        for k in kills {
            let (code, o, e) = run(&a, Some(&format!("train-sample:{k}")));
            assert_eq!(code, -9, "killed at {k}: {o}{e}");
        }
        let (code, o, e) = run(&a, None);
        assert_eq!(code, 0, "{o}{e}");
        if kills[0] >= 7 {
            assert!(e.contains("resuming the training"), "{e}");
        }
        assert!(
            model_state(&d.join("m.h5"), &sets) == reference,
            "killed at {kills:?}: the model differs"
        );
        assert_eq!(
            without_wall_clock(&d.join("m.json")),
            ref_report,
            "killed at {kills:?}: the report differs"
        );
        assert!(!d.join("m.h5.ckpt").exists());
        std::fs::remove_file(d.join("m.h5")).unwrap();
    }
    // A rerun of the finished command leaves the model as it is and reports it.
    let a = args("ref.h5", "again.json");
    let before = std::fs::read(d.join("ref.h5")).unwrap();
    let (code, o, e) = run(&a, None);
    assert_eq!(code, 0, "{o}{e}");
    assert!(
        e.contains("is complete") && !e.contains("training N="),
        "{e}"
    );
    assert_eq!(std::fs::read(d.join("ref.h5")).unwrap(), before);
    assert_eq!(without_wall_clock(&d.join("again.json")), ref_report);
    // Another config trains anew.
    let mut other = args("ref.h5", "again.json");
    other.extend(["--set".to_string(), "snn.seed=5".to_string()]);
    let (code, o, e) = run(&other, None);
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("training N="), "{e}");
}

#[test]
fn interrupted_sweep_gives_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("s.toml"),
        "command = \"run\"\nshare_model = true\n\
         set = [\"snn.n_excitatory=20\", \"data.train_samples=40\", \"data.test_samples=36\"]\n\
         [axes]\n\"dram.row_policy\" = [\"open\", \"closed\"]\n",
    )
    .unwrap();
    let sweep = |out: &str, fp: Option<&str>| {
        spikemem_at(&["sweep", "s.toml", "--out", out, "-j", "1"], d, fp)
    };
    let (code, o, e) = sweep("ref", None);
    assert_eq!(code, 0, "{o}{e}");
    // Every run point is killed at sample 20, then the sweep is run again.
    let (code, o, e) = sweep("cut", Some("run-sample:20"));
    assert_ne!(code, 0, "the killed points fail the first sweep: {o}{e}");
    let (code, o, e) = sweep("cut", None);
    assert_eq!(code, 0, "{o}{e}");
    let table = |p: &str| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(d.join(p).join("results.csv")).unwrap();
        let rows: Vec<Vec<String>> = text
            .lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect();
        let keep: Vec<bool> = rows[0]
            .iter()
            // The shared model's path names each sweep's own directory.
            .map(|h| !WALL_CLOCK.iter().any(|w| h.ends_with(w)) && h != "result.model.source")
            .collect();
        rows.iter()
            .map(|r| {
                r.iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(c, _)| c.clone())
                    .collect()
            })
            .collect()
    };
    let (a, b) = (table("ref"), table("cut"));
    assert_eq!(a.len(), 3, "header and two points");
    assert_eq!(a, b, "results.csv (wall-clock columns aside)");
}

#[test]
fn killed_csv_and_jsonl_runs_resume_to_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (fmt, ext) in [("csv", "csv"), ("jsonl", "jsonl")] {
        let (r_out, k_out) = (format!("ref.{ext}"), format!("k.{ext}"));
        let mut base: Vec<&str> = RUN.to_vec();
        base.extend_from_slice(&["--format", fmt]);
        let args = |out: &str, js: &str| -> Vec<String> {
            let mut a: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            a.extend(["--out", out, "--json", js].map(String::from));
            a
        };
        let run = |a: &[String], fp: Option<&str>| {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            spikemem_at(&a, d, fp)
        };
        let (code, o, e) = run(&args(&r_out, "ref.json"), None);
        assert_eq!(code, 0, "{o}{e}");
        let a = args(&k_out, "k.json");
        let (code, _, _) = run(&a, Some("run-sample:19"));
        assert_eq!(code, -9);
        let (code, o, e) = run(&a, None);
        assert_eq!(code, 0, "{fmt}: {o}{e}");
        assert_eq!(
            without_wall_clock(&d.join("k.json")),
            without_wall_clock(&d.join("ref.json")),
            "{fmt}"
        );
        let format = fmt.parse().unwrap();
        let rows = |p: &str| spikemem_traces::read_samples(&d.join(p), format).unwrap();
        assert_eq!(rows(&k_out), rows(&r_out), "{fmt}: sample rows");
    }
}

#[test]
fn killed_run_with_sleeping_ranks_resumes_to_the_uninterrupted_result() {
    // Power-down, self-refresh, two ranks and MASA: the controller state most likely to
    // be mid-way at a sample boundary (a rank asleep, its wake-up pending).
    check_kills_resume_exactly(&[
        "--set",
        "dram.ranks=2",
        "--set",
        "dram.power_down_after_cycles=20",
        "--set",
        "dram.self_refresh_after_cycles=400",
        "--set",
        "dram.salp=\"masa\"",
        "--set",
        "dram.row_policy=\"timeout\"",
    ]);
}
