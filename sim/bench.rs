//! `spikemem bench dram|snn`: speed benchmarks that print and write their figures.

use crate::cli::{BenchArgs, BenchKind, SyntheticKind};
use crate::dram_setup::{resolve_dram, stats_json};
use crate::dramrun::{drive, write_json};
use crate::memtrace::{self, SyntheticSpec};
use anyhow::Result;
use serde_json::json;
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::DramConfig;
use std::path::Path;

pub fn cmd_bench(a: &BenchArgs) -> Result<()> {
    match a.kind {
        BenchKind::Dram => bench_dram(a),
        BenchKind::Snn => bench_snn(a),
    }
}

fn bench_snn(a: &BenchArgs) -> Result<()> {
    let cases = crate::snn::bench::bench()?;
    for c in &cases {
        println!(
            "N{:<5} {:<11} {:<9} {} thread(s): {:.1} images/s ({:.2} ms/image), {:.0} input spikes, {:.0} synaptic events per image",
            c.n_excitatory,
            if c.input_delay_max_ms > 0.0 { format!("delays {}ms", c.input_delay_max_ms) } else { "no delays".into() },
            c.mode, c.threads, c.images_per_second, c.ms_per_image, c.input_spikes_per_image, c.synaptic_ops_per_image
        );
    }
    let s = crate::snn::surrogate::bench::bench(20)?;
    println!(
        "surrogate gradient (700-400-250, 250 steps, {} epochs): spikemem {:.1} ms/epoch float, {:.1} ms/epoch WAGE 2/8/8",
        s.epochs,
        1e3 * s.float_seconds_per_epoch,
        1e3 * s.wage_seconds_per_epoch
    );
    match (s.numpy_seconds_per_epoch, s.speedup_vs_numpy) {
        (Some(n), Some(x)) => println!(
            "surrogate gradient: NumPy port {:.1} ms/epoch (float, one core): spikemem is {x:.1}x faster (first-epoch van Rossum {:.3} vs {:.3})",
            1e3 * n,
            s.van_rossum_first_epoch.0,
            s.van_rossum_first_epoch.1.unwrap_or(f64::NAN)
        ),
        _ => println!("surrogate gradient: NumPy port skipped: {}", s.numpy_skipped.as_deref().unwrap_or("?")),
    }
    if let Some(p) = &a.out {
        write_json(
            p,
            &json!({ "benchmark": "snn", "cases": cases, "surrogate": s }),
        )?;
    }
    Ok(())
}

fn bench_dram(a: &BenchArgs) -> Result<()> {
    let mut rows = Vec::new();
    for std_name in ["DDR4-2400", "LPDDR3-1600"] {
        for kind in [SyntheticKind::Stream, SyntheticKind::Random] {
            let cfg = DramConfig {
                standard: std_name.into(),
                ..DramConfig::default()
            };
            let rd = resolve_dram(&cfg, Path::new("."))?;
            let mut mem = MemorySystem::new(&cfg, &rd.standard)?;
            let reqs = memtrace::synthetic(&SyntheticSpec {
                kind,
                requests: a.requests,
                seed: 1,
                stride_bytes: 4096,
                write_fraction: 0.0,
                capacity_bytes: mem.mapper().capacity_bytes(),
                burst_bytes: mem.mapper().burst_bytes(),
            });
            // Each run on a fresh controller; the figures are the median run's.
            let mut runs = Vec::with_capacity(a.repeat as usize);
            for i in 0..a.repeat {
                if i > 0 {
                    mem = MemorySystem::new(&cfg, &rd.standard)?;
                }
                let out = drive(&mut mem, &reqs);
                runs.push((out.completed as f64 / out.wall_seconds, out));
            }
            runs.sort_by(|x, y| x.0.total_cmp(&y.0));
            let rates: Vec<f64> = runs.iter().map(|r| r.0).collect();
            let (rps, out) = &runs[runs.len() / 2];
            let best = rates[rates.len() - 1];
            let s = stats_json(&mem, &rd, out.cycles, out.wall_seconds);
            let pattern = format!("{kind:?}").to_lowercase();
            println!(
                "{std_name:<12} {pattern:<7} {} requests: {:.2} M requests/s (median of {} runs; best {:.2}; {:.3} s), {} cycles, row-hit rate {:.3}",
                out.completed,
                rps / 1e6,
                a.repeat,
                best / 1e6,
                out.wall_seconds,
                out.cycles,
                s["row_hit_rate"].as_f64().unwrap_or(0.0)
            );
            rows.push(json!({
                "standard": std_name, "pattern": pattern,
                "requests": out.completed, "wall_seconds": out.wall_seconds,
                "requests_per_second": rps, "requests_per_second_best": best,
                "requests_per_second_runs": rates, "cycles": out.cycles,
                "row_hit_rate": s["row_hit_rate"], "avg_read_latency_cycles": s["avg_read_latency_cycles"],
            }));
        }
    }
    let v = json!({ "benchmark": "dram", "threads": 1, "cases": rows });
    if let Some(p) = &a.out {
        write_json(p, &v)?;
    }
    Ok(())
}
