//! Fault-aware training: on a small case, the FAT model beats the baseline at a BER
//! where the baseline degrades (on the deployment's fault map); the model records its
//! [fat] table; a killed FAT training resumes to the same model.

mod common;
use common::{json, model_state, spikemem};
use std::path::Path;
use std::process::Command;

const SETS: [&str; 4] = [
    "snn.n_excitatory=50",
    "snn.weight_bits=8",
    "data.train_samples=600",
    "data.test_samples=200",
];
const FAT: [&str; 2] = ["fat.enabled=true", "fat.ber_schedule=[1e-2, 5e-2]"];

fn args<'a>(head: &[&'a str], sets: &[&'a str]) -> Vec<&'a str> {
    let mut a = head.to_vec();
    for s in sets {
        a.extend(["--set", s]);
    }
    a
}

/// Accuracy at BER 5e-2, uniform weak cells, the deployment's map (dram.fault_seed).
fn accuracy_at_5e2(d: &Path, model: &str) -> f64 {
    let out = format!("{model}.csv");
    let a = args(
        &[
            "tolerance",
            "--model",
            model,
            "--ber",
            "0.05",
            "--error-models",
            "uniform",
            "--fault-seeds",
            "1",
            "--out",
            &out,
        ],
        &SETS,
    );
    let (code, o, e) = spikemem(&a, d);
    assert_eq!(code, 0, "{o}{e}");
    let text = std::fs::read_to_string(d.join(&out)).unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    row[4].parse().unwrap()
}

#[test]
fn fat_beats_the_baseline_where_the_baseline_degrades() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, o, e) = spikemem(&args(&["train", "--out", "base.h5"], &SETS), d);
    assert_eq!(code, 0, "{o}{e}");
    let mut fat_sets = SETS.to_vec();
    fat_sets.extend(FAT);
    let (code, o, e) = spikemem(
        &args(
            &["train", "--out", "fat.h5", "--json", "fat.json"],
            &fat_sets,
        ),
        d,
    );
    assert_eq!(code, 0, "{o}{e}");
    assert!(e.contains("fault-aware training"), "{e}");
    let rep = json(&d.join("fat.json"));
    assert!(rep["training"]["fat_bits_flipped"].as_u64().unwrap() > 0);
    // The model records its [fat] table.
    let f = hdf5::File::open(d.join("fat.h5")).unwrap();
    assert!(f.attr("fat").is_ok());
    drop(f);
    let base = accuracy_at_5e2(d, "base.h5");
    let fat = accuracy_at_5e2(d, "fat.h5");
    // Measured: baseline 0.22, FAT 0.435 (N50, 600 digits, seed 1).
    assert!(fat > base + 0.1, "FAT {fat} vs baseline {base}");
}

#[test]
fn killed_fat_training_resumes_to_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sets = SETS.to_vec();
    sets.extend(FAT);
    sets[2] = "data.train_samples=120";
    let run = |out: &str, fp: Option<&str>| {
        let a = args(&["train", "--checkpoint-every", "25", "--out", out], &sets);
        let mut c = Command::new(env!("CARGO_BIN_EXE_spikemem"));
        c.args(&a).current_dir(d);
        match fp {
            Some(f) => c.env("SPIKEMEM_FAILPOINT", f),
            None => c.env_remove("SPIKEMEM_FAILPOINT"),
        };
        c.output().unwrap()
    };
    assert!(run("ref.h5", None).status.success());
    // Killed in the second stage (samples 60..120), after a checkpoint at 75.
    let o = run("m.h5", Some("train-sample:80"));
    assert!(!o.status.success());
    let o = run("m.h5", None);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stderr).contains("resuming"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(model_state(&d.join("m.h5"), &sets) == model_state(&d.join("ref.h5"), &sets));
}
