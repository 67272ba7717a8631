//! `spikemem train` / `spikemem eval` for `snn.model = "surrogate_gradient"`.
//!
//! Files first (model, then --json), then a summary on stdout. The report (r.json,
//! also stored in the model as `train_report`):
//! - raster task: `van_rossum` (per epoch, before that epoch's update),
//!   `van_rossum_initial` (the first), `van_rossum_final` (after the last update);
//! - classify: `loss` and `train_accuracy` per epoch, `accuracy` on the test set;
//! - both: `weight_density` per layer (fraction of nonzero quantized weights),
//!   `wall_seconds`, `epochs`, `updates`, `samples`, `steps`, `spikes_per_layer`
//!   (training), `layers` (geometry).

use super::model;
use super::network::SurrogateNet;
use super::projection::Shape;
use super::task;
use super::train::{self, History};
use super::wage::density;
use crate::cli::{EvalArgs, TrainArgs};
use crate::config::Loaded;
use anyhow::Result;
use serde::Serialize;
use std::time::Instant;

#[derive(Serialize)]
struct LayerInfo {
    kind: super::config::LayerKind,
    n_in: usize,
    n_out: usize,
    weights: usize,
    out_shape: Shape,
    scale: f32,
}

#[derive(Serialize)]
struct Report {
    command: &'static str,
    config: String,
    task: super::config::TaskKind,
    weight_bits: u32,
    activation_bits: u32,
    gradient_bits: u32,
    optimizer: super::config::Optimizer,
    seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    van_rossum: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    van_rossum_initial: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    van_rossum_final: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loss: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_accuracy: Option<Vec<f64>>,
    /// Classify: test accuracy (0..1) and samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_samples: Option<usize>,
    weight_density: Vec<f64>,
    wall_seconds: f64,
    epochs: u32,
    updates: u64,
    samples: u64,
    steps: u64,
    /// Training spikes per layer (eval: spikes of the evaluation).
    spikes_per_layer: Vec<u64>,
    layers: Vec<LayerInfo>,
}

fn report(
    command: &'static str,
    source: &str,
    net: &SurrogateNet,
    h: &History,
    wall: f64,
) -> Report {
    let c = &net.cfg;
    Report {
        command,
        config: source.to_string(),
        task: c.task,
        weight_bits: c.weight_bits,
        activation_bits: c.activation_bits,
        gradient_bits: c.gradient_bits,
        optimizer: c.optimizer,
        seed: c.seed,
        van_rossum: None,
        van_rossum_initial: None,
        van_rossum_final: None,
        loss: None,
        train_accuracy: None,
        accuracy: None,
        test_samples: None,
        weight_density: net
            .layers
            .iter()
            .map(|l| density(&l.weights, c.weight_bits))
            .collect(),
        wall_seconds: wall,
        epochs: h.loss.len() as u32,
        updates: h.updates,
        samples: h.samples,
        steps: h.steps,
        spikes_per_layer: h.spikes.clone(),
        layers: net
            .layers
            .iter()
            .zip(&c.layers)
            .map(|(l, s)| LayerInfo {
                kind: s.kind,
                n_in: l.proj.n_in(),
                n_out: l.proj.n_out(),
                weights: l.weights.len(),
                out_shape: l.proj.out_shape(),
                scale: l.scale,
            })
            .collect(),
    }
}

fn bad(l: &Loaded, e: String) -> anyhow::Error {
    crate::error::input_error(format!("{}: {e}", l.source))
}

pub fn cmd_train(a: &TrainArgs, l: &Loaded) -> Result<()> {
    let c = &l.config.surrogate;
    let start = Instant::now();
    let (net, rep) = if train::is_raster(c) {
        let outputs = c.layers.last().map_or(0, |s| s.size);
        let mut net = SurrogateNet::new(
            c,
            Shape {
                channels: c.inputs,
                height: 1,
                width: 1,
            },
        )
        .map_err(|e| bad(l, e))?;
        let t = task::raster(c, net.n_outputs().max(outputs))?;
        eprintln!(
            "training the raster task: {} epochs, {} steps, layers {:?}",
            c.epochs,
            c.steps,
            c.layers.iter().map(|s| s.size).collect::<Vec<_>>()
        );
        let every = (c.epochs / 10).max(1);
        let h = train::train_raster(&mut net, &t, |e, d| {
            if e % every == 0 || e == 1 {
                eprintln!("epoch {e}: van Rossum distance {d:.3}");
            }
        });
        let (fin, _) = train::raster_distance(&net, &t, &mut net.work());
        let mut rep = report("train", &l.source, &net, &h, start.elapsed().as_secs_f64());
        rep.van_rossum_initial = h.loss.first().copied();
        rep.van_rossum_final = Some(fin);
        rep.van_rossum = Some(h.loss);
        (net, rep)
    } else {
        let (tr, te) = crate::snn::cli::load_sets(l, true)?;
        let tr = tr.expect("training set loaded");
        let mut net = SurrogateNet::new(c, train::image_shape(&tr)).map_err(|e| bad(l, e))?;
        eprintln!(
            "training the classifier on {} samples x {} epochs",
            tr.len(),
            c.epochs
        );
        let h = train::train_classify(&mut net, &tr, |e, loss, acc| {
            eprintln!(
                "epoch {e}: cross-entropy {loss:.3}, training accuracy {:.2}%",
                100.0 * acc
            )
        });
        let (acc, _, _) = train::evaluate_classify(&net, &te);
        let mut rep = report("train", &l.source, &net, &h, start.elapsed().as_secs_f64());
        rep.accuracy = Some(acc);
        rep.test_samples = Some(te.len());
        rep.train_accuracy = Some(h.train_accuracy);
        rep.loss = Some(h.loss);
        (net, rep)
    };
    model::save(&net, &a.out, &l.text, &serde_json::to_string(&rep)?)?;
    if let Some(p) = &a.json {
        crate::dramrun::write_json(p, &rep)?;
    }
    summary(&rep);
    println!("model: {}", a.out.display());
    Ok(())
}

fn summary(r: &Report) {
    if let (Some(i), Some(f)) = (r.van_rossum_initial, r.van_rossum_final) {
        println!(
            "van Rossum distance: {i:.3} -> {f:.3} ({} epochs, {:.2} s)",
            r.epochs, r.wall_seconds
        );
    }
    if let Some(acc) = r.accuracy {
        println!(
            "test: accuracy {:.2}% ({} samples)",
            100.0 * acc,
            r.test_samples.unwrap_or(0)
        );
    }
    println!("weight density per layer: {:?}", r.weight_density);
}

/// `spikemem eval --model m.h5` on a surrogate model: the raster task's distance, or
/// the test accuracy on `[data]` of --config (default: the config stored in the model).
pub fn cmd_eval(a: &EvalArgs) -> Result<()> {
    let m = model::load(&a.model)?;
    let start = Instant::now();
    let net = &m.net;
    let mut rep;
    if train::is_raster(&net.cfg) {
        let t = task::raster(&net.cfg, net.n_outputs())?;
        let (d, spikes) = train::raster_distance(net, &t, &mut net.work());
        let h = History {
            spikes,
            samples: 1,
            steps: net.cfg.steps as u64,
            ..History::default()
        };
        rep = report(
            "eval",
            &a.model.display().to_string(),
            net,
            &h,
            start.elapsed().as_secs_f64(),
        );
        rep.van_rossum_final = Some(d);
        println!("van Rossum distance: {d:.3}");
    } else {
        let l = if a.cfg.config.is_some() || !a.cfg.sets.is_empty() {
            crate::config::load(a.cfg.config.as_deref(), &a.cfg.sets)?
        } else {
            Loaded {
                config: m.config.clone(),
                source: a.model.display().to_string(),
                base_dir: std::env::current_dir().unwrap_or_default(),
                text: m.config_text.clone(),
            }
        };
        let (_, te) = crate::snn::cli::load_sets(&l, false)?;
        crate::snn::dataset::check_inputs(
            &a.model.display().to_string(),
            net.input_shape.len(),
            &te,
        )?;
        let (acc, _, spikes) = train::evaluate_classify(net, &te);
        let h = History {
            spikes,
            samples: te.len() as u64,
            steps: (te.len() * net.cfg.steps) as u64,
            ..History::default()
        };
        rep = report("eval", &l.source, net, &h, start.elapsed().as_secs_f64());
        rep.accuracy = Some(acc);
        rep.test_samples = Some(te.len());
        println!("test: accuracy {:.2}% ({} samples)", 100.0 * acc, te.len());
    }
    if let Some(p) = &a.json {
        crate::dramrun::write_json(p, &rep)?;
    }
    Ok(())
}
