//! End to end through the CLI: surrogate-gradient training (`snn.model =
//! "surrogate_gradient"`), its report, its model file and its input errors.

mod common;
use common::{json, spikemem};

const TINY: &str = r#"
[snn]
model = "surrogate_gradient"

[surrogate]
inputs = 60
steps = 50
input_spike_prob = 0.1
weight_bits = 4
epochs = 30

[[surrogate.layers]]
kind = "dense"
size = 30

[[surrogate.layers]]
kind = "dense"
size = 20
"#;

#[test]
fn train_reports_a_falling_van_rossum_distance_and_eval_reads_the_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), TINY).unwrap();
    let (code, out, err) = spikemem(
        &[
            "train",
            "--config",
            "tiny.toml",
            "--out",
            "m.h5",
            "--json",
            "r.json",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let r = json(&dir.path().join("r.json"));
    let vr: Vec<f64> = r["van_rossum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(vr.len(), 30);
    let (first, last) = (
        r["van_rossum_initial"].as_f64().unwrap(),
        r["van_rossum_final"].as_f64().unwrap(),
    );
    assert_eq!(first, vr[0]);
    assert!(last < 0.8 * first, "van Rossum {first} -> {last}");
    let density = r["weight_density"].as_array().unwrap();
    assert_eq!(density.len(), 2);
    assert!(density
        .iter()
        .all(|d| (0.0..=1.0).contains(&d.as_f64().unwrap())));
    assert!(r["wall_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(r["epochs"].as_u64(), Some(30));
    assert_eq!(r["steps"].as_u64(), Some(30 * 50));
    assert_eq!(r["spikes_per_layer"].as_array().unwrap().len(), 2);
    // eval recomputes the final distance from the stored weights.
    let (code, out, err) = spikemem(&["eval", "--model", "m.h5", "--json", "e.json"], dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    let e = json(&dir.path().join("e.json"));
    assert_eq!(e["van_rossum_final"].as_f64(), Some(last));
    // Commands that cannot simulate it yet refuse it as bad input.
    let (code, _, err) = spikemem(&["tolerance", "--model", "m.h5"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("surrogate-gradient model"), "{err}");
    let (code, _, err) = spikemem(&["run", "--config", "tiny.toml"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not accepted by `spikemem run`"), "{err}");
}

#[test]
fn a_bad_surrogate_key_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), TINY).unwrap();
    let (code, _, err) = spikemem(
        &[
            "train",
            "--config",
            "tiny.toml",
            "--out",
            "m.h5",
            "--set",
            "surrogate.bogus=1",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bogus"), "{err}");
    let (code, _, err) = spikemem(
        &[
            "train",
            "--config",
            "tiny.toml",
            "--out",
            "m.h5",
            "--set",
            "surrogate.weight_bits=40",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("surrogate.weight_bits = 40") && err.contains("32 for float"),
        "{err}"
    );
    let (code, _, err) = spikemem(
        &[
            "train",
            "--config",
            "tiny.toml",
            "--out",
            "m.h5",
            "--set",
            "snn.model=surrogate",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("surrogate_gradient"), "{err}");
}
