//! A run of the accelerator, as the library call the commands (and the Python package)
//! make: obtain the network (load the model or train it), assemble the accelerator,
//! optionally learn on chip, then infer over the test split sample by sample with the
//! accelerator observing every step, writing the trace as it goes.
//!
//! Invariants: the trace is flushed before a checkpoint says its samples are done, so a
//! killed run keeps every checkpointed sample; a rerun of the same config resumes from
//! the checkpoint and re-simulates up to the trace's end, requiring each re-simulated
//! sample to equal its stored row; a finished trace of the same config is the answer
//! (nothing runs again); `force` starts over.

use super::assemble::{assemble, obtain_network};
use super::checkpoint::{CheckpointFiles, RunCheckpoint, CHECKPOINT_EVERY_SAMPLES};
use super::summary::{command_record, summarize};
use crate::config::Loaded;
use crate::error::input_error;
use crate::kernel::Model;
use crate::snapshot_file::binary_identity;
use crate::snn::engine::{SampleRecord as SnnSample, StepObserver};
use crate::snn::{dataset, train};
use anyhow::Result;
use serde_json::{json, Value};
use spikemem_arch::dram::Command;
use spikemem_traces as traces;
use std::path::PathBuf;
use std::time::Instant;

/// How to run (the config comes as [`Loaded`]).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The trace file and its format.
    pub trace: PathBuf,
    pub format: traces::TraceFormat,
    /// Learn on chip over the training split before inference (`run --learn`).
    pub learn: bool,
    /// Remove the trace and its checkpoint first.
    pub force: bool,
    /// The least time between checkpoints (seconds).
    pub checkpoint_seconds: f64,
}

/// What a run produced: its summary (summary.json).
#[derive(Clone, Debug)]
pub enum RunOutcome {
    /// The trace already held a finished run of this config: its stored summary.
    AlreadyComplete(Value),
    /// The run finished now.
    Finished(Value),
}

impl RunOutcome {
    pub fn summary(&self) -> &Value {
        match self {
            RunOutcome::AlreadyComplete(s) | RunOutcome::Finished(s) => s,
        }
    }
}

/// Run `loaded` as `opts` says (see the module docs).
pub fn run(loaded: &Loaded, opts: &RunOptions) -> Result<RunOutcome> {
    crate::snn::surrogate::refuse(loaded, "run")?;
    let wall = Instant::now();
    let cfg = &loaded.config;
    let (path, format) = (&opts.trace, opts.format);
    let ckpt = CheckpointFiles::beside(path);
    if opts.force {
        traces::remove_trace(path, format).map_err(|e| anyhow::anyhow!("--force: {e}"))?;
        ckpt.remove();
    }
    // A finished trace of this config is the answer: report it, touch nothing.
    if let Some(done) =
        traces::read_finished(path, format).map_err(|e| input_error(e.to_string()))?
    {
        traces::check_same_config(path, &done.config_toml, &loaded.text)
            .map_err(|e| input_error(format!("{e} (or pass --force to start over)")))?;
        ckpt.remove();
        return Ok(RunOutcome::AlreadyComplete(done.summary));
    }
    let exists = traces::trace_exists(path, format);
    if !exists {
        ckpt.remove(); // stale side files of a trace deleted since
    }
    let resume = if exists {
        ckpt.load(&loaded.text, opts.learn)
    } else {
        None
    };

    // The network: loaded, or trained here (saved once, so a resume need not retrain).
    let trained = match &resume {
        Some(c) if c.trained_net => {
            Some((ckpt.load_trained()?, serde_json::from_str(&c.model_json)?))
        }
        _ => None,
    };
    let d = &cfg.data;
    let test_set = dataset::load_pair(&d.test_images, &d.test_labels, &loaded.base_dir)?
        .truncated(d.test_samples);
    let (mut net, model_info) = obtain_network(cfg, loaded, &test_set, trained)?;
    if cfg.system.model.is_empty() && resume.is_none() {
        ckpt.save_trained(&net)?;
    }
    let (mut acc, mut memory) = assemble(cfg, loaded, &mut net, opts.learn)?;

    // On-chip learning first (hardware in the loop), then labels from a frozen pass.
    let mut learning = Value::Null;
    if let Some(c) = resume.as_ref().filter(|c| c.learned_net) {
        net.restore_state(ckpt.load_learned()?)?;
        learning = serde_json::from_str(&c.learning_json)?;
        acc.learn = false;
    } else if opts.learn {
        let train_set = dataset::load_pair(&d.train_images, &d.train_labels, &loaded.base_dir)?
            .truncated(d.train_samples);
        dataset::check_same_shape(&train_set, &test_set)?;
        let pb = crate::progress::bar(train_set.len() as u64, "learn");
        for s in 0..train_set.len() {
            net.run_sample(
                train_set.image(s),
                s,
                train::KEY_TRAIN + s as u64,
                true,
                &mut acc,
            );
            pb.inc(1);
            acc.check_health(path)?;
        }
        pb.finish_and_clear();
        acc.dram.advance_to(acc.now_ps);
        // The synapse memory holds weight_bits-bit words: with post-training
        // quantization the learned weights are put on its grid before labeling, as
        // `train` does, so the network used below is the one a saved model would hold.
        net.quantize_weights();
        let learning_flips = net.weight_fault_bits_flipped();
        net.set_weight_faults(None)?;
        let (resp, _) = train::respond(&net, &train_set, train::KEY_LABEL, 1, None);
        net.labels = train::assign_labels(&resp, &train_set.labels, net.n_excitatory());
        let e = acc.energy_now();
        learning = json!({
            "samples": train_set.len(),
            "cycles": acc.core_clock.ps_to_cycle_ceil(acc.now_ps),
            "time_ns": acc.now_ps as f64 / 1000.0,
            "energy_pj": e.iter().sum::<f64>(),
            "energy_core_pj": e[0], "energy_sram_pj": e[1], "energy_dram_pj": e[2],
            "fault_bits_flipped": learning_flips,
        });
        acc.learn = false;
        acc.sample_start = acc.mark();
        acc.step_energy_pj = acc.sample_start.energy.iter().sum();
        ckpt.save_learned(&net)?;
    }

    // Bit errors read back while learning add to those of the weights as built.
    if let Some(n) = learning["fault_bits_flipped"].as_u64() {
        let built = memory["fault_bits_flipped"].as_u64().unwrap_or(0);
        memory["fault_bits_flipped"] = json!(built + n);
        memory["fault_bits_flipped_learning"] = json!(n);
    }

    // Trace: continue an interrupted run of the same config, else start a new file.
    let meta = traces::RunMeta {
        config_toml: loaded.text.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        command_names: Command::LOGGED
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        extra_attrs: vec![("command".into(), "run".into())],
    };
    // Flush often: a killed run keeps all but the last few samples, and a rerun resumes there.
    let trace_opts = traces::TraceOptions {
        timesteps: cfg.trace.timesteps,
        commands: cfg.trace.commands,
        flush_every_rows: if cfg.trace.timesteps || cfg.trace.commands {
            4096
        } else {
            16
        },
        ..traces::TraceOptions::default()
    };
    // Read the stored rows before the writer opens the file (HDF5 must not have it open twice).
    let stored = if exists {
        traces::read_samples(path, format).map_err(|e| input_error(e.to_string()))?
    } else {
        Vec::new()
    };
    let (writer, in_trace) = if exists {
        traces::TraceWriter::resume(path, format, meta, trace_opts)
            .map_err(|e| input_error(e.to_string()))?
    } else {
        (
            traces::TraceWriter::create(path, format, meta, trace_opts)
                .map_err(|e| input_error(e.to_string()))?,
            0,
        )
    };
    anyhow::ensure!(
        stored.len() as u64 >= in_trace,
        "trace {}: holds {in_trace} samples but {} could be read back",
        path.display(),
        stored.len()
    );
    // Restart from the checkpoint (or from the start): every sample up to `in_trace`
    // is re-simulated and must equal its stored row.
    let start = match resume.filter(|c| c.samples_done <= in_trace) {
        Some(c) => {
            acc.restore(c.acc);
            c.samples_done
        }
        None => 0,
    };
    acc.samples.extend_from_slice(&stored[..start as usize]);
    acc.trace_from_sample = in_trace;
    if cfg.trace.commands {
        acc.dram.mem.enable_command_log();
    }
    acc.trace = Some(writer);
    acc.trace_timesteps = cfg.trace.timesteps;
    if in_trace > 0 {
        eprintln!(
            "resuming {}: {} of {} samples already in the trace (re-simulating from sample {start})",
            path.display(),
            in_trace,
            test_set.len()
        );
    }

    // Inference over the test split, sample by sample, the hardware observing each step.
    let t_infer = Instant::now();
    let mut last_checkpoint = Instant::now();
    let pb = crate::progress::bar(test_set.len() as u64, "run");
    pb.set_position(start.min(test_set.len() as u64));
    #[allow(clippy::needless_range_loop)] // `s` indexes the test set and the stored rows
    for s in start as usize..test_set.len() {
        acc.current_sample = s as u64;
        let before = net.ops;
        let (counts, repeats) = net.run_sample(
            test_set.image(s),
            s,
            train::KEY_EVAL + s as u64,
            false,
            &mut acc,
        );
        let counts = counts.to_vec();
        let rec = SnnSample {
            index: s,
            label: test_set.labels[s],
            prediction: train::predict(&counts, &net.labels),
            spike_counts: counts,
            repeats,
            ops: net.ops.since(&before),
        };
        // The sample's commands (those of its end included) go to the trace before its
        // row, which closes it: a resume keeps exactly the closed samples' commands.
        acc.dram.advance_to(acc.now_ps);
        let cmds = if cfg.trace.commands {
            acc.dram.mem.take_command_log()
        } else {
            Vec::new()
        };
        if (s as u64) >= in_trace && !cmds.is_empty() {
            let rows = cmds.iter().map(command_record).collect();
            if let Some(w) = &acc.trace {
                if let Err(e) = w.commands(rows) {
                    acc.trace_error.get_or_insert(e.to_string());
                }
            }
        }
        acc.on_sample(&rec);
        if (s as u64) < in_trace {
            let (got, want) = (acc.samples[s], stored[s]);
            if got != want {
                anyhow::bail!(
                    "resuming {}: sample {s} re-simulated from the checkpoint differs from the trace's row \
                     (trace {want:?}, now {got:?}); the trace was written by another build. \
                     Rerun with --force to start over",
                    path.display()
                );
            }
        }
        pb.inc(1);
        acc.check_health(path)?;
        let done = s as u64 + 1;
        if done >= in_trace
            && done.is_multiple_of(CHECKPOINT_EVERY_SAMPLES)
            && done < test_set.len() as u64
            && last_checkpoint.elapsed().as_secs_f64() >= opts.checkpoint_seconds
        {
            // The trace holds these samples before the checkpoint says so.
            let w = acc.trace.as_ref().expect("set above");
            w.flush()
                .map_err(|e| anyhow::anyhow!("trace {}: {e}", path.display()))?;
            ckpt.save(&RunCheckpoint {
                binary: binary_identity(),
                config_toml: loaded.text.clone(),
                learn: opts.learn,
                samples_done: done,
                trained_net: cfg.system.model.is_empty(),
                learned_net: opts.learn,
                learning_json: learning.to_string(),
                model_json: model_info.to_string(),
                acc: acc.state(),
            })?;
            last_checkpoint = Instant::now();
        }
        crate::failpoint::hit("run-sample", s as u64);
    }
    pb.finish_and_clear();
    let infer_wall = t_infer.elapsed().as_secs_f64();

    let summary = summarize(
        &acc,
        &net,
        &model_info,
        &memory,
        &learning,
        start,
        wall.elapsed().as_secs_f64(),
        infer_wall,
    );
    let dram_json = summary["dram"].to_string();
    let writer = acc.trace.take().expect("set above");
    writer
        .finish(&summary.to_string(), &dram_json)
        .map_err(|e| anyhow::anyhow!("trace {}: {e}", path.display()))?;
    ckpt.remove();
    Ok(RunOutcome::Finished(summary))
}
