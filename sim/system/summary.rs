//! A run's summary (summary.json): accuracy, cycles, energy by component and kind,
//! DRAM statistics, memory layout, model and learning figures; its console form; and
//! DRAM commands as trace rows.

use super::accelerator::Accelerator;
use crate::dram_setup::stats_json;
use crate::snn::engine::Network;
use serde_json::{json, Value};
use spikemem_arch::dram::Command;
use spikemem_arch::sram::Sram;
use spikemem_traces as traces;
use std::path::Path;

/// A DRAM command as a trace row.
pub(super) fn command_record(c: &spikemem_arch::dram::IssuedCommand) -> traces::CommandRecord {
    traces::CommandRecord {
        cycle: c.cycle,
        command: Command::LOGGED
            .iter()
            .position(|x| *x == c.cmd)
            .unwrap_or(0) as u8,
        channel: c.addr.channel as u8,
        rank: c.addr.rank as u8,
        bank_group: c.addr.bank_group as u8,
        bank: c.addr.bank as u16,
        subarray: c.addr.subarray as u16,
        row: c.addr.row,
        column: c.addr.column,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn summarize(
    acc: &Accelerator,
    net: &Network,
    model_info: &Value,
    memory: &Value,
    learning: &Value,
    simulated_from: u64,
    wall_seconds: f64,
    infer_wall_seconds: f64,
) -> Value {
    let recs = &acc.samples;
    let n = recs.len() as f64;
    let correct = recs.iter().filter(|r| r.prediction == r.label).count() as f64;
    let sum = |f: fn(&traces::SampleRecord) -> f64| recs.iter().map(f).sum::<f64>();
    // Weight data the DRAM delivered during inference, per second it was busy
    // delivering it (busy: from a timestep's first request to its last completion, see
    // `DramModel::busy_ps`), and the images/s the DRAM alone would allow.
    let w = acc.infer_dram;
    let weight_bytes = w.read_bursts * acc.placement.burst_bytes;
    let busy_ns = w.busy_ps as f64 / 1000.0;
    let memory_bound_ips = if w.busy_ps > 0 {
        n / (busy_ns * 1e-9)
    } else {
        0.0
    };
    let dram = if acc.dram.present {
        let dram_cycles = acc.dram.cycle;
        let mut dram = stats_json(&acc.dram.mem, &acc.rd, dram_cycles, infer_wall_seconds);
        // DRAM stats cover the whole run (learning included); say so.
        dram["covers"] = json!(if learning.is_null() {
            "inference"
        } else {
            "learning + inference"
        });
        dram["inference_weight_bytes_read"] = json!(weight_bytes);
        dram["inference_busy_ns"] = json!(busy_ns);
        dram["data_throughput_gb_per_s"] = json!(if busy_ns > 0.0 {
            weight_bytes as f64 / busy_ns
        } else {
            0.0
        });
        dram
    } else {
        // No DRAM in this system (`system.dram_present`): nothing to report.
        Value::Null
    };
    let ledger = acc.ledger();
    let srams: Vec<(&str, &Sram)> = [
        ("buffer", Some(&acc.sram_buffer)),
        ("neurons", Some(&acc.sram_neurons)),
        ("weights", acc.sram_weights.as_ref()),
        ("delays", acc.sram_delays.as_ref()),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    let sram: serde_json::Map<String, Value> = srams
        .iter()
        .map(|(k, s)| {
            (
                k.to_string(),
                json!({
                    "capacity_bytes": s.config().capacity_bytes, "word_bits": s.config().word_bits,
                    "reads": s.reads(), "writes": s.writes(),
                    "read_energy_pj_per_access": s.read_energy_pj(),
                    "energy_pj": s.energy_pj(acc.now_ps),
                }),
            )
        })
        .collect();
    json!({
        "samples": recs.len(),
        "accuracy": if n > 0.0 { correct / n } else { 0.0 },
        "cycles": sum(|r| r.cycles as f64) as u64,
        "core_clock_mhz": acc.core.config().freq_mhz,
        "time_ns": sum(|r| r.time_ns),
        "energy_pj": sum(|r| r.energy_total_pj),
        "energy_by_component_pj": { "core": sum(|r| r.energy_core_pj), "sram": sum(|r| r.energy_sram_pj), "dram": sum(|r| r.energy_dram_pj) },
        "energy_dram_access_pj": sum(|r| r.energy_dram_access_pj),
        "energy_dram_background_pj": sum(|r| r.energy_dram_background_pj),
        "energy_breakdown_pj": ledger.breakdown_pj(),
        "dram_present": acc.dram.present,
        "dram": dram,
        "sram": sram,
        "spikes": sum(|r| (r.input_spikes + r.output_spikes) as f64) as u64,
        "input_spikes": sum(|r| r.input_spikes as f64) as u64,
        "output_spikes": sum(|r| r.output_spikes as f64) as u64,
        "synaptic_ops": sum(|r| r.synaptic_ops as f64) as u64,
        "neuron_updates": sum(|r| r.neuron_updates as f64) as u64,
        "dram_reads": sum(|r| r.dram_reads as f64) as u64,
        "weight_words_requested": acc.words_requested,
        "bursts_requested": acc.bursts_requested,
        "weight_memory_bits": net.weight_memory_bits(),
        "memory": memory,
        "model": model_info,
        "learning": learning,
        "wall_seconds": wall_seconds,
        "memory_bound_images_per_second": memory_bound_ips,
        "images_per_second": if infer_wall_seconds > 0.0 { (n - simulated_from as f64) / infer_wall_seconds } else { 0.0 },
        "dram_requests_per_second": if infer_wall_seconds > 0.0 { recs[simulated_from as usize..].iter().map(|r| (r.dram_reads + r.dram_writes) as f64).sum::<f64>() / infer_wall_seconds } else { 0.0 },
    })
}

pub fn print_run_summary(s: &Value, path: &Path) {
    let f = |k: &str| s.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    println!(
        "{} samples: accuracy {:.2}%, {} core cycles ({:.3} ms simulated), energy {:.3} uJ",
        f("samples"),
        100.0 * f("accuracy"),
        f("cycles"),
        f("time_ns") / 1e6,
        f("energy_pj") / 1e6
    );
    let c = &s["energy_by_component_pj"];
    let uj = |v: &Value| v.as_f64().unwrap_or(0.0) / 1e6;
    let d = &s["dram"];
    // A finished trace of an older build has no `dram_present`: it had a DRAM.
    let has_dram = !d.is_null();
    if has_dram {
        println!(
            "  energy by component: core {:.3} uJ, SRAM {:.3} uJ, DRAM {:.3} uJ (access {:.3} uJ, background {:.3} uJ)",
            uj(&c["core"]),
            uj(&c["sram"]),
            uj(&c["dram"]),
            uj(&s["energy_dram_access_pj"]),
            uj(&s["energy_dram_background_pj"])
        );
    } else {
        println!(
            "  energy by component: core {:.3} uJ, SRAM {:.3} uJ",
            uj(&c["core"]),
            uj(&c["sram"])
        );
    }
    let synapses = format!(
        "input synapses {} bits ({}{})",
        s["memory"]["footprint_bits"],
        s["memory"]["encoding"].as_str().unwrap_or("?"),
        match s["memory"]["delay_bits"].as_u64() {
            Some(b) if b > 0 => format!(", {b}-bit delays"),
            _ => String::new(),
        }
    );
    if has_dram {
        println!(
            "  DRAM: {} reads, row-hit rate {:.3}, {:.2} GB/s; weight data {:.2} GB/s while busy ({:.1} images/s memory-bound); {synapses}",
            d["reads"],
            d["row_hit_rate"].as_f64().unwrap_or(0.0),
            d["bandwidth_gb_per_s"].as_f64().unwrap_or(0.0),
            d["data_throughput_gb_per_s"].as_f64().unwrap_or(0.0),
            f("memory_bound_images_per_second"),
        );
    } else {
        println!("  no DRAM (weights on chip); {synapses}");
    }
    println!(
        "  {:.1} images/s; trace: {}",
        f("images_per_second"),
        path.display()
    );
}
