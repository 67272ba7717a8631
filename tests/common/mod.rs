//! Helpers shared by the CLI tests: run the binary, read its JSON outputs.
#![allow(dead_code)] // each test file uses its own subset

use std::path::Path;
use std::process::Command;

/// Run `spikemem ARGS` in `dir`; (exit code, stdout, stderr).
pub fn spikemem(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spikemem"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run spikemem");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A model file's whole dynamic state (weights, thresholds, labels, ...) as bytes,
/// loaded with the embedded default config and `sets`.
pub fn model_state(p: &Path, sets: &[&str]) -> Vec<u8> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let l = spikemem::config::load(None, &sets).unwrap();
    let net = spikemem::snn::model_io::load(p, &l.config.snn).unwrap();
    postcard::to_stdvec(&net.state()).unwrap()
}
