//! Speed benchmark of the SNN engine (wired to `spikemem bench snn`): images per second
//! for training and inference at N100 and N400 on the shipped MNIST sample, one thread,
//! and inference on 2 threads (checked to give the same responses as 1 thread); N400
//! again with per-synapse input delays in [0, 10] ms (the Diehl & Cook reference).

use super::config::SnnConfig;
use super::dataset::{load_pair, ImageSet};
use super::engine::{Network, OpCounts};
use super::network;
use super::train::{self, respond, KEY_EVAL};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

#[derive(Clone, Debug, Serialize)]
pub struct SnnBenchCase {
    pub n_excitatory: usize,
    /// `snn.input_delay_max_ms` (0 = one delay per projection).
    pub input_delay_max_ms: f32,
    /// "training" or "inference".
    pub mode: String,
    pub threads: usize,
    pub images: usize,
    pub seconds: f64,
    pub images_per_second: f64,
    pub ms_per_image: f64,
    pub input_spikes_per_image: f64,
    pub neuron_spikes_per_image: f64,
    pub synaptic_ops_per_image: f64,
    pub weight_updates_per_image: f64,
    pub neuron_updates_per_image: f64,
}

#[allow(clippy::too_many_arguments)]
fn case(
    n: usize,
    delay_max: f32,
    mode: &str,
    threads: usize,
    images: usize,
    secs: f64,
    ops: &OpCounts,
) -> SnnBenchCase {
    let per = |x: u64| x as f64 / images.max(1) as f64;
    SnnBenchCase {
        n_excitatory: n,
        input_delay_max_ms: delay_max,
        mode: mode.into(),
        threads,
        images,
        seconds: secs,
        images_per_second: images as f64 / secs.max(1e-9),
        ms_per_image: 1e3 * secs / images.max(1) as f64,
        input_spikes_per_image: per(ops.input_spikes),
        neuron_spikes_per_image: per(ops.neuron_spikes),
        synaptic_ops_per_image: per(ops.synaptic_ops),
        weight_updates_per_image: per(ops.weight_updates),
        neuron_updates_per_image: per(ops.neuron_updates),
    }
}

/// Train on `train_images` sample digits, then infer `test_images` digits, for each
/// (N, `input_delay_max_ms`) in `sizes` (the Diehl & Cook baseline, float weights, seed 1).
pub fn bench_with(
    sizes: &[(usize, f32)],
    train_images: usize,
    test_images: usize,
) -> Result<Vec<SnnBenchCase>> {
    let base = Path::new(".");
    let tr: ImageSet = load_pair(
        "builtin:mnist-sample/train-images",
        "builtin:mnist-sample/train-labels",
        base,
    )?
    .truncated(train_images);
    let te: ImageSet = load_pair(
        "builtin:mnist-sample/test-images",
        "builtin:mnist-sample/test-labels",
        base,
    )?
    .truncated(test_images);
    let mut out = Vec::new();
    for &(n, delay_max) in sizes {
        let cfg = SnnConfig {
            n_excitatory: n,
            input_delay_max_ms: delay_max,
            label_samples: 100,
            ..SnnConfig::default()
        };
        let mut net = Network::new(&cfg, network::build(&cfg, tr.rows, tr.cols))?;
        let r = train::train(&mut net, &tr, false, &mut |_| {});
        out.push(case(
            n,
            delay_max,
            "training",
            1,
            tr.len() * cfg.epochs as usize,
            r.wall_seconds,
            &r.ops,
        ));
        let t0 = Instant::now();
        let (r1, ops1) = respond(&net, &te, KEY_EVAL, 1, None);
        out.push(case(
            n,
            delay_max,
            "inference",
            1,
            te.len(),
            t0.elapsed().as_secs_f64(),
            &ops1,
        ));
        let t0 = Instant::now();
        let (r2, ops2) = respond(&net, &te, KEY_EVAL, 2, None);
        out.push(case(
            n,
            delay_max,
            "inference",
            2,
            te.len(),
            t0.elapsed().as_secs_f64(),
            &ops2,
        ));
        if r1 != r2 || ops1 != ops2 {
            bail!("bench: 2-thread inference differs from 1-thread inference at N={n}");
        }
    }
    Ok(out)
}

/// The standard benchmark: N100 and N400, and N400 with per-synapse delays in [0, 10] ms;
/// 200 training and 200 test digits.
pub fn bench() -> Result<Vec<SnnBenchCase>> {
    bench_with(&[(100, 0.0), (400, 0.0), (400, 10.0)], 200, 200)
}

#[cfg(test)]
mod tests {
    /// Prints the figures; run with
    /// `cargo test --release --lib snn::bench -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_bench() {
        for c in super::bench().unwrap() {
            println!("{}", serde_json::to_string(&c).unwrap());
        }
    }

    #[test]
    fn threads_agree_on_a_tiny_case() {
        let r = super::bench_with(&[(20, 0.0), (20, 10.0)], 20, 10).unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r[1].synaptic_ops_per_image, r[2].synaptic_ops_per_image);
        assert_eq!(r[4].synaptic_ops_per_image, r[5].synaptic_ops_per_image);
        assert_eq!(r[4].input_delay_max_ms, 10.0);
    }
}
