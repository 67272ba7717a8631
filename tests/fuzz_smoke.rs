//! A short seeded pass of the fuzz harness (scripts/fuzz/fuzz.py) over every kind of
//! input the CLI reads: about 300 mutated configs, `--set` values, DRAM standard files,
//! voltage tables, memory and command traces, models, IDX files, sweep files and bare
//! arguments, each run through this binary. Fails on any panic, signal or hang; the
//! failing cases are kept under target/tmp/fuzz-smoke/ (replay one with
//! `python3 scripts/fuzz/fuzz.py --replay target/tmp/fuzz-smoke/case-NNNNNN`).
//!
//! Needs python3 (3.11, for tomllib); without it the test says so and passes. h5py is
//! optional (without it model files get byte-level damage only): `python3` is used, or
//! /usr/bin/python3 when only that one imports h5py; SPIKEMEM_FUZZ_PYTHON names another
//! interpreter.

use std::path::Path;
use std::process::Command;

#[test]
fn fuzz_smoke_pass() {
    // The interpreter: SPIKEMEM_FUZZ_PYTHON, else `python3`, or /usr/bin/python3 when only
    // that one has h5py (Debian's python3-h5py, which CI installs, next to a pyenv python3).
    let runs = |py: &str, code: &str| {
        Command::new(py)
            .args(["-c", code])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let candidates: Vec<String> = match std::env::var("SPIKEMEM_FUZZ_PYTHON") {
        Ok(p) => vec![p],
        Err(_) => vec!["python3".into(), "/usr/bin/python3".into()],
    };
    let usable: Vec<&String> = candidates
        .iter()
        .filter(|p| runs(p, "import tomllib"))
        .collect();
    let Some(python) = usable
        .iter()
        .find(|p| runs(p, "import h5py, numpy"))
        .or(usable.first())
        .map(|p| p.to_string())
    else {
        eprintln!(
            "fuzz_smoke: SKIPPED: no python3 3.11+ (tried {}; tomllib needed); install python3 \
             to run the fuzz smoke pass",
            candidates.join(", ")
        );
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fuzz/fuzz.py");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-smoke");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(&python)
        .arg(&script)
        .args(["--bin", env!("CARGO_BIN_EXE_spikemem")])
        .args([
            "--seed",
            "1",
            "--cases",
            "300",
            "--timeout",
            "5",
            "--jobs",
            "1",
        ])
        .args(["--fail-on", "panic,signal,hang", "--quiet"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run the fuzz harness");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        run.status.success(),
        "fuzz smoke pass failed (exit {:?}): panics, signals or hangs (summary above); cases \
         kept in {}, replay one with `python3 scripts/fuzz/fuzz.py --replay DIR/case-NNNNNN`",
        run.status.code(),
        out.display()
    );
}
