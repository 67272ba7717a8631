//! End to end through the CLI: train and evaluate on the shipped MNIST sample.

use std::process::Command;

fn spikemem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spikemem"))
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn train_then_eval_beats_chance_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.h5");
    let rep = dir.path().join("train.json");
    let sets = [
        "snn.n_excitatory=50",
        "data.train_samples=1000",
        "data.test_samples=200",
        "snn.report_every=500",
        "snn.weight_bits=32",
    ];
    let mut cmd = spikemem();
    cmd.current_dir(dir.path())
        .arg("train")
        .arg("--out")
        .arg(&model)
        .arg("--json")
        .arg(&rep);
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&rep);
    let acc = r["accuracy"].as_f64().unwrap();
    // Chance is 10%; 200 samples give a standard error of ~2.1 points at 10%.
    assert!(acc > 0.2, "accuracy {acc}");
    assert_eq!(r["samples"].as_u64().unwrap(), 200);
    for k in [
        "wall_seconds",
        "images_per_second",
        "neuron_updates",
        "synaptic_ops",
        "weight_updates",
    ] {
        assert!(r[k].as_f64().unwrap() > 0.0, "{k}");
    }
    assert_eq!(
        r["weight_memory_bits"].as_u64().unwrap(),
        784 * 50 * 32 + 32 + 32
    );
    let cm = r["confusion_matrix"].as_array().unwrap();
    let total: u64 = cm
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert!(total <= 200 && total > 150);

    // Eval of the saved model reproduces the test accuracy, on 1 and on 2 threads.
    for threads in ["1", "2"] {
        let erep = dir.path().join(format!("eval{threads}.json"));
        let out = spikemem()
            .current_dir(dir.path())
            .args(["eval", "--model"])
            .arg(&model)
            .arg("--json")
            .arg(&erep)
            .args([
                "--set",
                "data.test_samples=200",
                "--set",
                "snn.weight_bits=32",
            ])
            .args(["--set", &format!("snn.threads={threads}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let e = json(&erep);
        assert_eq!(e["accuracy"].as_f64().unwrap(), acc);
        assert_eq!(e["confusion_matrix"], r["confusion_matrix"]);
        assert_eq!(e["synaptic_ops"], r["test"]["ops"]["synaptic_ops"]);
        assert_eq!(e["weight_updates"].as_u64().unwrap(), 0);
    }

    // Post-training quantization to 4 bits at eval: footprint drops 8x on the input weights.
    let q = dir.path().join("q.json");
    let out = spikemem()
        .current_dir(dir.path())
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--json")
        .arg(&q)
        .args([
            "--set",
            "snn.weight_bits=4",
            "--set",
            "data.test_samples=200",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&q)["weight_memory_bits"].as_u64().unwrap(),
        784 * 50 * 4 + 4 + 4
    );

    // h5py-compatible layout (when the system python has h5py). String attributes are
    // fixed-length UTF-8, which h5py returns as bytes.
    let py = std::path::Path::new("/usr/bin/python3");
    if py.exists() {
        let script = format!(
            "import h5py,sys\nf=h5py.File('{}','r')\nw=f['projections/input_exc/weights']\nassert w.shape==(784,50), w.shape\nassert f['labels'].shape==(50,)\na=f.attrs['format']\na=a.decode() if isinstance(a,bytes) else a\nassert a=='spikemem-snn-model', a\nprint('ok')",
            model.display()
        );
        let o = Command::new(py).arg("-c").arg(&script).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        if !stderr.contains("No module named 'h5py'") {
            assert!(o.status.success(), "h5py: {stderr}");
        }
    }
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = spikemem()
        .current_dir(dir.path())
        .args(["train", "--out", "m.h5", "--set", "snn.weight_bits=40"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("snn.weight_bits"));
    let out = spikemem()
        .current_dir(dir.path())
        .args([
            "train",
            "--out",
            "m.h5",
            "--set",
            "data.train_images=missing.gz",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.gz"));
    let out = spikemem()
        .current_dir(dir.path())
        .args(["eval", "--model", "nope.h5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.h5"));
}
