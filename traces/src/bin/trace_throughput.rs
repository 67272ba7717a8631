//! Measures how fast traces are written: records per second end to end (create ->
//! finish, file closed) and the time the simulation thread spends handing records over.
//!
//! Usage: `cargo run --release -p spikemem-traces --bin trace_throughput [rows] [dir]`

use spikemem_traces::{
    CommandRecord, RunMeta, SampleRecord, TraceFormat, TraceOptions, TraceWriter,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn sample(i: u64) -> SampleRecord {
    SampleRecord {
        sample: i,
        label: (i % 10) as i32,
        prediction: (i * 7 % 10) as i32,
        cycles: 100_000 + i * 13 % 977,
        time_ns: 1e5 + (i % 1013) as f64 * 0.25,
        input_spikes: i % 5000,
        synaptic_ops: i * 31 % 100_000,
        energy_total_pj: (i % 4099) as f64 * 1.5e3,
        ..Default::default()
    }
}

fn command(i: u64) -> CommandRecord {
    CommandRecord {
        cycle: i * 4,
        command: (i % 4) as u8,
        bank: (i % 16) as u16,
        subarray: (i % 64) as u16,
        row: (i / 16 % 65536) as u32,
        column: (i % 1024) as u32,
        ..Default::default()
    }
}

/// Returns (seconds from create to closed file, seconds spent in send calls, file bytes).
fn run(
    path: &PathBuf,
    format: TraceFormat,
    rows: u64,
    commands: bool,
    compression: u8,
) -> (f64, f64, u64) {
    let meta = RunMeta {
        config_toml: "[bench]\n".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command_names: vec!["ACT".into(), "PRE".into(), "RD".into(), "WR".into()],
        extra_attrs: vec![],
    };
    let opts = TraceOptions {
        timesteps: false,
        commands,
        compression_level: compression,
        ..TraceOptions::default()
    };
    let start = Instant::now();
    let w = TraceWriter::create(path, format, meta, opts).expect("create trace");
    let mut in_send = Duration::ZERO;
    if commands {
        // The controller hands over commands in batches, as a simulator would per sample.
        for b in 0..rows / 1000 {
            let batch: Vec<_> = (b * 1000..(b + 1) * 1000).map(command).collect();
            let t = Instant::now();
            w.commands(batch).expect("send commands");
            in_send += t.elapsed();
        }
    } else {
        for i in 0..rows {
            let r = sample(i);
            let t = Instant::now();
            w.sample(r).expect("send sample");
            in_send += t.elapsed();
        }
    }
    w.finish("{}", "{}").expect("finish");
    let total = start.elapsed().as_secs_f64();
    let bytes = match format {
        TraceFormat::Csv => std::fs::metadata(spikemem_traces::csv_sibling(
            path,
            if commands {
                "_commands.csv"
            } else {
                "_samples.csv"
            },
        )),
        _ => std::fs::metadata(path),
    }
    .map(|m| m.len())
    .unwrap_or(0);
    (total, in_send.as_secs_f64(), bytes)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|a| a.parse().expect("rows must be a number"))
        .unwrap_or(2_000_000);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    println!("{rows} rows per case, files in {}", dir.display());
    println!(
        "{:<8} {:<9} {:>5} {:>14} {:>16} {:>10}",
        "format", "records", "level", "records/s", "send ns/record", "MiB"
    );
    for (format, level) in [
        (TraceFormat::Hdf5, 4u8),
        (TraceFormat::Hdf5, 0),
        (TraceFormat::Hdf5, 1),
        (TraceFormat::Csv, 0),
        (TraceFormat::Jsonl, 0),
    ] {
        for commands in [false, true] {
            let path = dir.join(format!("spikemem_trace_bench.{}", format.extension()));
            let (total, send, bytes) = run(&path, format, rows, commands, level);
            println!(
                "{:<8} {:<9} {:>5} {:>14.0} {:>16.1} {:>10.1}",
                format.name(),
                if commands { "commands" } else { "samples" },
                level,
                rows as f64 / total,
                send * 1e9 / rows as f64,
                bytes as f64 / (1 << 20) as f64
            );
            for suffix in [
                "",
                "_samples.csv",
                "_commands.csv",
                ".toml",
                "_meta.json",
                "_summary.json",
                "_progress.json",
            ] {
                let p = if suffix.is_empty() {
                    path.clone()
                } else {
                    spikemem_traces::csv_sibling(&path, suffix)
                };
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
