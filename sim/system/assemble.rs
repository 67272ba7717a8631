//! Assembly: the accelerator for a network and a config (deployment of the input
//! projection, fault map and bit errors, burst lists, core and on-chip memories), and
//! the network a run uses (loaded from a model, or trained here).

use super::accelerator::{
    burst_lists, Accelerator, BurstLists, DramWork, SampleMark, SynapseStore,
};
use super::deploy::Deployment;
use super::fault_inject::apply_dram_faults;
use super::placement::LayoutReport;
use super::timing::DramModel;
use super::WeightHome;
use crate::config::{Config, Loaded};
use crate::error::input_error;
use crate::kernel::ClockDomain;
use crate::snn::engine::Network;
use anyhow::Result;
use serde_json::{json, Value};
use spikemem_arch::core::Core;
use spikemem_arch::dram::config::ErrorModel;
use spikemem_arch::encoding::{EncodingKind, Layer};
use spikemem_arch::sram::{Sram, SramConfig};

/// Build the accelerator for a trained network, and the summary's `memory` part.
pub(super) fn assemble(
    cfg: &Config,
    loaded: &Loaded,
    net: &mut Network,
    learn: bool,
) -> Result<(Accelerator, Value)> {
    let dep = Deployment::new(cfg, loaded, net)?;
    let stuck = dep.stuck_bits(&dep.fault_map(
        cfg.dram.error_model,
        cfg.dram.ber.unwrap_or(dep.rd.op.ber),
        cfg.dram.fault_seed,
    ))?;
    // On-chip learning reads and writes the weights where they live: every update is
    // read back through the same stuck bits.
    let learning_faults =
        (learn && dep.info.plastic && !stuck.is_empty()).then(|| dep.weight_faults(&stuck));
    let Deployment {
        rd,
        mem,
        info,
        layer,
        enc,
        footprint_bytes,
        placement,
        delay_slots,
        ..
    } = dep;
    let Layer::Dense(dense) = &layer else {
        unreachable!("Deployment::new builds a dense layer")
    };
    let (n_pre, n_post, bits) = (info.pre_size, info.post_size, dense.weight_bits);
    let burst_bytes = mem.mapper().burst_bytes();
    let wb = cfg.encoding.word_bits;
    let fwd = burst_lists(n_pre, wb, burst_bytes, |i, r| enc.forward(i, r));
    let bwd = if learn {
        burst_lists(n_post, wb, burst_bytes, |j, r| enc.backward(j, r))
    } else {
        BurstLists::empty(n_post)
    };
    let fwd_synops = (0..n_pre)
        .map(|i| {
            if cfg.encoding.kind == EncodingKind::Crossbar {
                n_post as u32
            } else {
                dense.row(i).iter().filter(|&&c| c != 0).count() as u32
            }
        })
        .collect();
    // Bit errors of reduced-voltage DRAM reach the weights the network uses.
    let ber = cfg.dram.ber.unwrap_or(rd.op.ber);
    if ber > 0.0 && cfg.dram.error_model == ErrorModel::None {
        let from = match cfg.dram.ber {
            Some(_) => "dram.ber".to_string(),
            None => format!("dram.vdd = {} V", rd.op.vdd),
        };
        eprintln!(
            "warning: {}: the DRAM's bit error rate is {ber:e} ({from}), but dram.error_model = \"none\": no bit will flip (set dram.error_model to uniform, bitline, wordline or data_dependent)",
            loaded.source
        );
    }
    let flipped = apply_dram_faults(net, dense, &stuck)?;
    if learning_faults.is_some() {
        net.set_weight_faults(learning_faults)?;
    }
    let layout: LayoutReport = placement.report(mem.mapper());
    let core = Core::new(cfg.core.clone()).map_err(|e| input_error(e.to_string()))?;
    let core_clock = ClockDomain::new(core.period_ps());
    let sram_cfg = |c: &SramConfig, auto_bytes: u64| -> Result<Sram> {
        let mut c = c.clone();
        if c.capacity_bytes == 0 {
            c.capacity_bytes = auto_bytes.next_power_of_two().max(64);
        }
        Sram::new(c).map_err(|e| input_error(e.to_string()))
    };
    // Every non-input neuron is updated each step.
    let n_neurons: u64 = net
        .desc
        .populations()
        .filter(|(_, p)| p.name != info.pre_population)
        .map(|(_, p)| p.size as u64)
        .sum();
    let sram_weights = if cfg.system.weights_in == WeightHome::Sram {
        Some(sram_cfg(&cfg.sram.weights, footprint_bytes)?)
    } else {
        None
    };
    let sram_buffer = sram_cfg(&cfg.sram.buffer, cfg.core.weight_buffer_bytes)?;
    // Neuron state: membrane, conductances, threshold: 4 x 16 bits per neuron.
    let sram_neurons = sram_cfg(&cfg.sram.neurons, n_neurons * 8)?;
    // Delay ring: one 16-bit accumulator per post neuron and slot.
    let sram_delays = (delay_slots > 0)
        .then(|| sram_cfg(&cfg.sram.delays, delay_slots * n_post as u64 * 2))
        .transpose()?;
    let delay_slot_words = sram_delays.as_ref().map_or(0, |s| {
        (n_post as u64 * 16).div_ceil(s.config().word_bits as u64)
    });
    let names = net.population_names();
    let input_pop = names
        .iter()
        .position(|n| *n == info.pre_population)
        .unwrap_or(0);
    let exc_pop = names
        .iter()
        .position(|n| *n == info.post_population)
        .unwrap_or(1);
    let max_inflight = ((cfg.core.weight_buffer_bytes / burst_bytes) as usize).max(1);
    let tck = rd.standard.tck_ps();
    let memory = json!({
        "projection": info.name,
        "n_pre": n_pre, "n_post": n_post, "weight_bits": bits,
        "delay_bits": dense.delay_bits, "delay_ring_slots": delay_slots,
        "encoding": cfg.encoding.kind.name(),
        "footprint_bits": enc.footprint_bits(),
        "weights_in": format!("{:?}", cfg.system.weights_in).to_lowercase(),
        "layout": layout,
        "ber": ber,
        "fault_bits_flipped": flipped,
    });
    let acc = Accelerator {
        core,
        core_clock,
        store: SynapseStore {
            enc,
            fwd,
            bwd,
            fwd_synops,
        },
        home: cfg.system.weights_in,
        learn,
        decoder: cfg.encoding.decoder.clone(),
        dram: DramModel::new(mem, tck).with_present(cfg.system.has_dram()),
        rd,
        placement,
        max_inflight,
        sram_weights,
        sram_buffer,
        sram_neurons,
        sram_delays,
        delay_slot_words,
        input_pop,
        exc_pop,
        n_neurons,
        bursts: Vec::with_capacity(4096),
        arrivals: Vec::with_capacity(4096),
        now_ps: 0,
        decoder_pj: 0.0,
        words_requested: 0,
        bursts_requested: 0,
        sample_start: SampleMark::default(),
        step_energy_pj: 0.0,
        trace: None,
        trace_timesteps: false,
        trace_error: None,
        dram_stall: None,
        samples: Vec::new(),
        current_sample: 0,
        trace_from_sample: 0,
        infer_dram: DramWork::default(),
    };
    Ok((acc, memory))
}

/// Load or train the network the run uses; `test_set` must fit it (checked before
/// training). `trained`: the state and model info of the network this run trained,
/// from its checkpoint (a resume does not train again).
pub(super) fn obtain_network(
    cfg: &Config,
    loaded: &Loaded,
    test_set: &crate::snn::dataset::ImageSet,
    trained: Option<(crate::snn::engine::NetState, Value)>,
) -> Result<(Network, Value)> {
    use crate::snn::{dataset, model_io, network, train};
    if !cfg.system.model.is_empty() {
        let path = loaded.base_dir.join(&cfg.system.model);
        if !path.exists() {
            return Err(input_error(format!(
                "system.model: `{}` does not exist (train one with `spikemem train --out`)",
                path.display()
            )));
        }
        let net = model_io::load(&path, &cfg.snn)?;
        dataset::check_inputs(&path.display().to_string(), net.n_inputs(), test_set)?;
        return Ok((net, json!({ "source": path.display().to_string() })));
    }
    let d = &cfg.data;
    let train_set = dataset::load_pair(&d.train_images, &d.train_labels, &loaded.base_dir)?
        .truncated(d.train_samples);
    dataset::check_same_shape(&train_set, test_set)?;
    let desc = network::build(&cfg.snn, train_set.rows, train_set.cols);
    let mut net = Network::new(&cfg.snn, desc)?;
    if let Some((state, info)) = trained {
        net.restore_state(state)?;
        return Ok((net, info));
    }
    // Fault-aware training ([fat]) as `spikemem train` does it, so a network trained
    // inside a run equals the model `train` saves from the same config.
    let fat = crate::snn::fat::FatSchedule::new(
        cfg,
        loaded,
        &net,
        train_set.len() as u64 * cfg.snn.epochs as u64,
    )?;
    let r = train::train_with(&mut net, &train_set, true, &mut |_| {}, None, fat.as_ref())?;
    tracing::info!(
        samples = r.samples,
        accuracy = r.label_pass_accuracy,
        "trained the model for this run"
    );
    Ok((
        net,
        json!({
            "source": "trained for this run",
            "train_samples": r.samples,
            "epochs": r.epochs,
            "label_pass_accuracy": r.label_pass_accuracy,
            "train_wall_seconds": r.wall_seconds,
            "fat_bits_flipped": r.fat_bits_flipped,
        }),
    ))
}
