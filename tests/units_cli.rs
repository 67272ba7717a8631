//! Every HDF5 dataset spikemem writes carries a `units` attribute: trace tables (one
//! unit per field), the JSON datasets, and every dataset of a model file.

use std::path::Path;

mod common;
use common::spikemem;

/// Paths of the datasets in `g` (recursively) that lack a `units` attribute, and how
/// many datasets there are.
fn missing_units(g: &hdf5::Group, prefix: &str, missing: &mut Vec<String>) -> usize {
    let mut n = 0;
    for name in g.member_names().unwrap() {
        let path = format!("{prefix}/{name}");
        if let Ok(ds) = g.dataset(&name) {
            n += 1;
            if ds.attr("units").is_err() {
                missing.push(path);
            }
        } else if let Ok(sub) = g.group(&name) {
            n += missing_units(&sub, &path, missing);
        }
    }
    n
}

fn check(p: &Path, at_least: usize) {
    let f = hdf5::File::open(p).unwrap();
    let mut missing = Vec::new();
    let n = missing_units(&f, "", &mut missing);
    assert!(n >= at_least, "{}: {n} datasets", p.display());
    assert!(
        missing.is_empty(),
        "{}: no units on {missing:?}",
        p.display()
    );
}

#[test]
fn every_dataset_has_units() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, o, e) = spikemem(
        &[
            "train",
            "--set",
            "snn.n_excitatory=10",
            "--set",
            "data.train_samples=10",
            "--set",
            "data.test_samples=2",
            "--set",
            "snn.weight_bits=8",
            "--set",
            "snn.input_delay_max_ms=4",
            "--out",
            "m.h5",
        ],
        d,
    );
    assert_eq!(code, 0, "{o}{e}");
    // labels, theta, and per projection weights (+ codes, delays).
    check(&d.join("m.h5"), 5);
    let (code, o, e) = spikemem(
        &[
            "run",
            "--set",
            "system.model=\"m.h5\"",
            "--set",
            "snn.n_excitatory=10",
            "--set",
            "snn.weight_bits=8",
            "--set",
            "snn.input_delay_max_ms=4",
            "--set",
            "data.test_samples=2",
            "--set",
            "trace.timesteps=true",
            "--set",
            "trace.commands=true",
            "--out",
            "r.h5",
        ],
        d,
    );
    assert_eq!(code, 0, "{o}{e}");
    // samples, timesteps, dram/commands, summary, dram/stats.
    check(&d.join("r.h5"), 5);
}
