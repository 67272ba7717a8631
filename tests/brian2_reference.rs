//! spikemem's `snn.integration = "reference"` against Brian2 running Diehl & Cook's
//! network (scripts/reference/brian2_dc.py): the same input spikes replayed through one
//! presentation must give the same spikes in every population at every step, and (STDP
//! on) the same weight change within 1e-6.
//!
//! Brian2: `$SPIKEMEM_BRIAN2_PYTHON`, else `<target>/reference-sims/brian2-venv/bin/python`
//! (as .ci/run installs it), else `python3`; where none imports brian2 the test prints
//! why and passes without comparing.

use serde_json::{json, Value};
use spikemem::snn::config::{Integration, SnnConfig};
use spikemem::snn::dataset::load_pair;
use spikemem::snn::engine::{Network, StepObserver, StepSpikes};
use spikemem::snn::network;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every population's spikes, per step.
#[derive(Default)]
struct Recorder {
    names: Vec<String>,
    steps: Vec<Vec<Vec<u32>>>,
}

impl StepObserver for Recorder {
    fn on_presentation(&mut self, _sample: usize, _repeat: u32) {
        self.steps.clear();
    }
    fn on_step(&mut self, _step: u32, s: &StepSpikes<'_>) {
        self.names = (0..s.num_populations()).map(|p| s.name(p).into()).collect();
        self.steps.push(
            (0..s.num_populations())
                .map(|p| s.population(p).to_vec())
                .collect(),
        );
    }
}

fn brian2_python() -> Option<String> {
    let venv =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("../reference-sims/brian2-venv/bin/python");
    let candidates = [
        std::env::var("SPIKEMEM_BRIAN2_PYTHON").ok(),
        Some(venv.to_string_lossy().into_owned()),
        Some("python3".into()),
    ];
    for py in candidates.into_iter().flatten() {
        let ok = Command::new(&py)
            .args(["-c", "import brian2"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    None
}

fn config() -> SnnConfig {
    SnnConfig {
        n_excitatory: 16,
        integration: Integration::Reference,
        input_delay_max_ms: 0.0,
        // One presentation, whatever the spike count.
        min_spikes: 0,
        ..SnnConfig::default()
    }
}

/// Run one presentation of digit `digit` in spikemem and in Brian2; compare.
fn compare(py: &str, learn: bool, digit: usize) {
    let cfg = config();
    let set = load_pair(
        "builtin:mnist-sample/train-images",
        "builtin:mnist-sample/train-labels",
        Path::new("."),
    )
    .unwrap();
    let mut net = Network::new(&cfg, network::build(&cfg, set.rows, set.cols)).unwrap();
    // Thresholds spread below the initial 20 mV so that neurons fire at different times.
    let n = cfg.n_excitatory;
    let theta: Vec<f32> = (0..n).map(|j| 6.0 + 0.75 * j as f32).collect();
    net.set_theta(&theta).unwrap();
    let k = net.input_projection().unwrap();
    net.normalize();
    let w0 = net.weights(k);
    let mut rec = Recorder::default();
    net.run_sample(set.image(digit), digit, 7, learn, &mut rec);
    let w1 = net.weights(k);

    let pop = |name: &str| rec.names.iter().position(|x| x == name).unwrap();
    let series = |p: usize| -> Vec<Vec<u32>> { rec.steps.iter().map(|s| s[p].clone()).collect() };
    let (e, i) = (&cfg.exc, &cfg.inh);
    let s = &cfg.stdp;
    let spec = json!({
        "dt_ms": cfg.dt_ms, "steps": rec.steps.len(), "learn": learn, "integration": "reference",
        "exc": {"v_rest_mv": e.v_rest_mv, "v_reset_mv": e.v_reset_mv, "v_thresh_mv": e.v_thresh_mv,
            "e_exc_mv": e.e_exc_mv, "e_inh_mv": e.e_inh_mv, "tau_mem_ms": e.tau_mem_ms,
            "tau_ge_ms": e.tau_ge_ms, "tau_gi_ms": e.tau_gi_ms, "refractory_ms": e.refractory_ms,
            "theta_offset_mv": e.theta_offset_mv, "theta_plus_mv": e.theta_plus_mv,
            "timer_ms_per_s": e.timer_ms_per_s},
        "inh": {"v_rest_mv": i.v_rest_mv, "v_reset_mv": i.v_reset_mv, "v_thresh_mv": i.v_thresh_mv,
            "e_exc_mv": i.e_exc_mv, "e_inh_mv": i.e_inh_mv, "tau_mem_ms": i.tau_mem_ms,
            "tau_ge_ms": i.tau_ge_ms, "tau_gi_ms": i.tau_gi_ms, "refractory_ms": i.refractory_ms},
        "stdp": {"nu_pre": s.nu_pre, "nu_post": s.nu_post, "tau_pre_ms": s.tau_pre_ms,
            "tau_post1_ms": s.tau_post1_ms, "tau_post2_ms": s.tau_post2_ms, "w_max": s.w_max},
        "n_input": net.n_inputs(), "n_exc": n, "theta_mv": theta, "w_input": w0,
        "w_exc_inh": cfg.w_exc_inh, "w_inh_exc": cfg.w_inh_exc,
        "input_spikes": series(pop("input")),
    });
    let dir = tempfile::tempdir().unwrap();
    let (spec_path, out_path) = (dir.path().join("spec.json"), dir.path().join("out.json"));
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "scripts/reference/brian2_dc.py"]
        .iter()
        .collect();
    let out = Command::new(py)
        .arg("-W")
        .arg("ignore")
        .arg(&script)
        .arg(&spec_path)
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "brian2_dc.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();

    let mut total = 0;
    for name in ["input", "exc", "inh"] {
        let ours = series(pop(name));
        let theirs: Vec<Vec<u32>> = serde_json::from_value(b["spikes"][name].clone()).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}: steps");
        if let Some(t) = (0..ours.len()).find(|&t| ours[t] != theirs[t]) {
            panic!(
                "learn = {learn}, {name}: first difference at step {t}: spikemem {:?}, Brian2 {:?}",
                ours[t], theirs[t]
            );
        }
        total += ours.iter().map(Vec::len).sum::<usize>();
        if name == "exc" {
            let c: usize = ours.iter().map(Vec::len).sum();
            assert!(
                c >= 5,
                "learn = {learn}: only {c} excitatory spikes, too few to compare"
            );
            println!("learn = {learn}: {c} excitatory spikes agree step for step");
        }
    }
    assert!(total > 0);
    let wb: Vec<f64> = serde_json::from_value(b["w_input"].clone()).unwrap();
    let mut changed = 0;
    let mut worst = 0.0f64;
    for ((&a, &x0), &y) in w1.iter().zip(&w0).zip(&wb) {
        let (ours, theirs) = (a as f64 - x0 as f64, y - x0 as f64);
        worst = worst.max((ours - theirs).abs());
        changed += (ours != 0.0) as usize;
    }
    println!("learn = {learn}: {changed} weights changed, largest difference {worst:.2e}");
    assert!(
        worst < 1e-6,
        "learn = {learn}: weight change differs by {worst:e}"
    );
    assert_eq!(changed > 0, learn, "weights change exactly when learning");
}

#[test]
fn reference_integration_matches_brian2_step_for_step() {
    let Some(py) = brian2_python() else {
        println!(
            "skipped: brian2 cannot be imported (set SPIKEMEM_BRIAN2_PYTHON to a python with \
             brian2; .ci/run installs it in <target>/reference-sims/brian2-venv)"
        );
        return;
    };
    compare(&py, false, 0);
    compare(&py, true, 1);
}
