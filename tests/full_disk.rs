//! A full disk never destroys an earlier result: every file written whole is replaced
//! atomically, so a write that fails part-way leaves the previous file as it was.
//!
//! The full disk is a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write
//! past it fails with EFBIG as a full disk fails with ENOSPC): it needs no root and no
//! mount, and hits every file the command writes.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Run spikemem in `dir` with files limited to `limit_bytes`; (exit code, stderr).
fn spikemem_limited(args: &[&str], dir: &Path, limit_bytes: Option<u64>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spikemem"));
    c.args(args).current_dir(dir);
    if let Some(limit) = limit_bytes {
        // SAFETY: only async-signal-safe libc calls between fork and exec.
        unsafe {
            c.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let r = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &r) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = c.output().expect("run spikemem");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_disk_during_train_keeps_the_earlier_model_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = |seed: &str, limit| {
        spikemem_limited(
            &[
                "train",
                "--set",
                "snn.n_excitatory=40",
                "--set",
                "data.train_samples=20",
                "--set",
                "data.test_samples=5",
                "--set",
                seed,
                "--out",
                "m.h5",
                "--json",
                "r.json",
            ],
            d,
            limit,
        )
    };
    let (code, e) = train("snn.seed=1", None);
    assert_eq!(code, 0, "{e}");
    let (model, report) = (
        std::fs::read(d.join("m.h5")).unwrap(),
        std::fs::read(d.join("r.json")).unwrap(),
    );
    assert!(
        model.len() > 100_000,
        "the model must not fit the limit below"
    );
    let before = files(d);
    // The new model (another seed) does not fit: the save fails part-way.
    let (code, e) = train("snn.seed=2", Some(64 * 1024));
    assert_ne!(code, 0, "the save cannot succeed: {e}");
    assert!(e.contains("m.h5"), "the error names the file: {e}");
    assert_eq!(
        std::fs::read(d.join("m.h5")).unwrap(),
        model,
        "model intact"
    );
    assert_eq!(
        std::fs::read(d.join("r.json")).unwrap(),
        report,
        "report intact"
    );
    assert_eq!(files(d), before, "no temporary file left behind");
}

#[test]
fn a_full_disk_during_dram_keeps_the_earlier_stats_and_command_trace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dram = |n: &str, limit| {
        spikemem_limited(
            &[
                "dram",
                "--synthetic",
                "random",
                "--requests",
                n,
                "--out",
                "stats.json",
                "--command-trace",
                "cmds.csv",
            ],
            d,
            limit,
        )
    };
    let (code, e) = dram("2000", None);
    assert_eq!(code, 0, "{e}");
    let stats = std::fs::read(d.join("stats.json")).unwrap();
    let cmds = std::fs::read(d.join("cmds.csv")).unwrap();
    assert!(cmds.len() > 64 * 1024);
    let before = files(d);
    let (code, e) = dram("3000", Some(16 * 1024));
    assert_ne!(code, 0, "{e}");
    // The command trace does not fit: the earlier one stays. The stats fit and may be
    // replaced, but only whole.
    assert_eq!(std::fs::read(d.join("cmds.csv")).unwrap(), cmds);
    let now = std::fs::read(d.join("stats.json")).unwrap();
    assert!(
        now == stats || serde_json::from_slice::<serde_json::Value>(&now).is_ok(),
        "stats.json is the old file or a whole new one"
    );
    assert_eq!(files(d), before, "no temporary file left behind");
}
