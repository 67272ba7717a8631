//! `spikemem train` and `spikemem eval`.

use super::config::Switches;
use super::dataset::{load_pair, ImageSet};
use super::engine::{NetState, Network, OpCounts, ProjectionInfo};
use super::train::{self, EvalResult, TrainResult};
use super::{model_io, network};
use crate::cli::{EvalArgs, TrainArgs};
use crate::config::{self, Loaded};
use crate::error::input_error;
use crate::snapshot_file;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::Path;

/// report.json of `train` and `eval`. Top-level op counts are those of the command's
/// main work: training for `train`, evaluation for `eval`.
#[derive(Serialize)]
struct Report {
    command: &'static str,
    config: String,
    dataset: String,
    n_excitatory: usize,
    switches: Switches,
    weight_bits: u32,
    weight_frac_bits: u32,
    seed: u64,
    /// Test accuracy (0..1).
    accuracy: f64,
    /// Test samples evaluated.
    samples: usize,
    wall_seconds: f64,
    images_per_second: f64,
    neuron_updates: u64,
    synaptic_ops: u64,
    weight_updates: u64,
    normalization_updates: u64,
    weight_memory_bits: u64,
    confusion_matrix: Vec<Vec<u64>>,
    projections: Vec<ProjectionInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    training: Option<TrainResult>,
    test: EvalResult,
}

pub(crate) fn load_sets(l: &Loaded, train: bool) -> Result<(Option<ImageSet>, ImageSet)> {
    let d = &l.config.data;
    let tr = if train {
        Some(load_pair(&d.train_images, &d.train_labels, &l.base_dir)?.truncated(d.train_samples))
    } else {
        None
    };
    let te = load_pair(&d.test_images, &d.test_labels, &l.base_dir)?.truncated(d.test_samples);
    if let Some(t) = &tr {
        super::dataset::check_same_shape(t, &te)?;
        if t.is_empty() {
            return Err(input_error(format!(
                "{}: no training samples",
                d.train_images
            )));
        }
    }
    Ok((tr, te))
}

fn summary(e: &EvalResult) {
    println!(
        "test: accuracy {:.2}% ({}/{}), {:.1} images/s",
        100.0 * e.scores.accuracy,
        e.scores.correct,
        e.scores.samples,
        e.scores.samples as f64 / e.wall_seconds.max(1e-9)
    );
}

fn eval_progress(net: &Network, set: &ImageSet) -> EvalResult {
    let pb = crate::progress::bar(set.len() as u64, "eval");
    let r = train::evaluate(net, set, net.config().threads, Some(&pb));
    pb.finish_and_clear();
    r
}

#[allow(clippy::too_many_arguments)]
fn report(
    command: &'static str,
    l: &Loaded,
    net: &Network,
    training: Option<TrainResult>,
    test: EvalResult,
    ops: OpCounts,
    wall: f64,
    ips: f64,
) -> Report {
    let c = net.config();
    Report {
        command,
        config: l.source.clone(),
        dataset: format!("{:?}", l.config.data.dataset),
        n_excitatory: net.n_excitatory(),
        switches: net.switches(),
        weight_bits: c.weight_bits,
        weight_frac_bits: if c.weight_bits < 32 { c.frac_bits() } else { 0 },
        seed: c.seed,
        accuracy: test.scores.accuracy,
        samples: test.scores.samples,
        wall_seconds: wall,
        images_per_second: ips,
        neuron_updates: ops.neuron_updates,
        synaptic_ops: ops.synaptic_ops,
        weight_updates: ops.weight_updates,
        normalization_updates: ops.normalization_updates,
        weight_memory_bits: net.weight_memory_bits(),
        confusion_matrix: test.scores.confusion_matrix.clone(),
        projections: (0..net.num_projections())
            .map(|p| net.projection_info(p))
            .collect(),
        training,
        test,
    }
}

/// A training checkpoint (`<model>.ckpt`): where the training stands and the network's
/// dynamic state; see [`train::train_with`] and `engine::snapshot`.
#[derive(serde::Serialize, serde::Deserialize)]
struct TrainCheckpoint {
    binary: String,
    config_toml: String,
    progress: train::TrainProgress,
    net: NetState,
}

const TRAIN_MAGIC: &[u8; 8] = b"SPKMTRN1";

/// The checkpoint of an interrupted training of this config, if one is usable.
fn load_train_checkpoint(path: &Path, config_toml: &str) -> Option<TrainCheckpoint> {
    let usable = snapshot_file::load_own(path, TRAIN_MAGIC, config_toml, |c: &TrainCheckpoint| {
        (&c.binary, &c.config_toml)
    });
    usable.unwrap_or_else(|why| {
        tracing::warn!(checkpoint = %path.display(), "ignoring training checkpoint: {why}; training from the start");
        None
    })
}

pub fn cmd_train(a: &TrainArgs) -> Result<()> {
    crate::error::check_output_path(&a.out, "--out")?;
    if let Some(j) = &a.json {
        crate::error::check_output_path(j, "--json")?;
    }
    let l = config::load(a.cfg.config.as_deref(), &a.cfg.sets)?;
    if l.config.snn.model == super::config::SnnModel::SurrogateGradient {
        return super::surrogate::cli::cmd_train(a, &l);
    }
    let (tr, te) = load_sets(&l, true)?;
    let tr = tr.expect("training set loaded");
    let cfg = &l.config.snn;
    let mut net = Network::new(cfg, network::build(cfg, tr.rows, tr.cols))?;
    let ckpt_path = snapshot_file::beside(&a.out, ".ckpt");
    if a.force {
        let _ = std::fs::remove_file(&ckpt_path);
    } else if let Some(report) = model_io::finished_training(&a.out, &l.text) {
        return report_finished_training(a, &report);
    }
    let resume = match load_train_checkpoint(&ckpt_path, &l.text) {
        Some(c) => {
            net.restore_state(c.net)
                .with_context(|| format!("{}: cannot resume from it", ckpt_path.display()))?;
            eprintln!(
                "resuming the training from {} (epoch {}, sample {}; --force starts over)",
                ckpt_path.display(),
                c.progress.epoch + 1,
                c.progress.next_sample
            );
            Some(c.progress)
        }
        None => None,
    };
    eprintln!(
        "training N={} on {} samples x {} epochs ({:?}, switches {:?})",
        cfg.n_excitatory,
        tr.len(),
        cfg.epochs,
        cfg.model,
        cfg.switches()
    );
    let mut save = |p: &train::TrainProgress, net: &Network| {
        snapshot_file::save(
            &ckpt_path,
            TRAIN_MAGIC,
            &TrainCheckpoint {
                binary: snapshot_file::binary_identity(),
                config_toml: l.text.clone(),
                progress: p.clone(),
                net: net.state(),
            },
        )
    };
    let fat =
        super::fat::FatSchedule::new(&l.config, &l, &net, tr.len() as u64 * cfg.epochs as u64)?;
    if fat.is_some() {
        eprintln!(
            "fault-aware training: {:?} weak cells, BER schedule {:?} ({:?} map)",
            l.config.fat.error_model, l.config.fat.ber_schedule, l.config.fat.fault_map
        );
    }
    let ckpt = train::Checkpointing {
        every_samples: a.checkpoint_every,
        resume,
        save: &mut save,
    };
    let r = train::train_with(
        &mut net,
        &tr,
        true,
        &mut |w| {
            eprintln!(
                "epoch {} after {} samples: training accuracy {:.2}%",
                w.epoch,
                w.samples_seen,
                100.0 * w.accuracy
            )
        },
        Some(ckpt),
        fat.as_ref(),
    )?;
    let e = eval_progress(&net, &te);
    let (ops, wall, ips) = (r.ops, r.wall_seconds, r.images_per_second);
    let (train_wall, train_ips, label_acc) =
        (r.wall_seconds, r.images_per_second, r.label_pass_accuracy);
    let rep = report("train", &l, &net, Some(r), e.clone(), ops, wall, ips);
    // Files first, then the report on stdout.
    let fat_json = l
        .config
        .fat
        .enabled
        .then(|| serde_json::to_string(&l.config.fat))
        .transpose()?;
    model_io::save_trained(
        &net,
        &a.out,
        &l.text,
        &serde_json::to_string(&rep)?,
        fat_json.as_deref(),
    )?;
    let _ = std::fs::remove_file(&ckpt_path);
    if let Some(p) = &a.json {
        crate::dramrun::write_json(p, &rep)?;
    }
    println!(
        "trained in {:.1} s ({:.1} images/s); labeling-pass accuracy {:.2}%",
        train_wall,
        train_ips,
        100.0 * label_acc
    );
    println!("model: {}", a.out.display());
    summary(&e);
    Ok(())
}

/// A rerun of a finished `train` (same --out, same config): the model is left as it
/// is, its stored report printed and written to --json.
fn report_finished_training(a: &TrainArgs, report_json: &str) -> Result<()> {
    let rep: serde_json::Value = serde_json::from_str(report_json)
        .with_context(|| format!("{}: attribute train_report", a.out.display()))?;
    if let Some(p) = &a.json {
        crate::dramrun::write_json(p, &rep)?;
    }
    eprintln!(
        "{} is complete (trained with this config); not retraining (--force retrains)",
        a.out.display()
    );
    println!("model: {}", a.out.display());
    println!(
        "test: accuracy {:.2}% (stored: {} samples)",
        100.0 * rep["accuracy"].as_f64().unwrap_or(f64::NAN),
        rep["samples"]
    );
    Ok(())
}

pub fn cmd_eval(a: &EvalArgs) -> Result<()> {
    if super::surrogate::model::is_surrogate_model(&a.model) {
        return super::surrogate::cli::cmd_eval(a);
    }
    let l = config::load(a.cfg.config.as_deref(), &a.cfg.sets)?;
    let (_, te) = load_sets(&l, false)?;
    let net = model_io::load(&a.model, &l.config.snn)?;
    super::dataset::check_inputs(&a.model.display().to_string(), net.n_inputs(), &te)?;
    let e = eval_progress(&net, &te);
    let (ops, wall) = (e.ops, e.wall_seconds);
    let ips = e.scores.samples as f64 / wall.max(1e-9);
    let rep = report("eval", &l, &net, None, e.clone(), ops, wall, ips);
    if let Some(p) = &a.json {
        crate::dramrun::write_json(p, &rep)?;
    }
    summary(&e);
    Ok(())
}
