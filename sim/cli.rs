//! Command-line interface: subcommands and their arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "spikemem",
    version,
    about = "Cycle-level simulator of a digital neuromorphic accelerator and its memory hierarchy",
    long_about = "spikemem simulates a spiking neural network on a modelled neuromorphic core with \
on-chip synapse memories and a cycle-level DRAM subsystem, and reports cycles, energy and accuracy.\n\n\
Logging: set RUST_LOG (e.g. RUST_LOG=debug). Exit codes: 0 ok, 1 failed run, 2 bad input."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the SNN on the accelerator model: cycles, energy by component, accuracy, traces.
    Run(RunArgs),
    /// Run the DRAM subsystem alone on a memory trace or a synthetic request stream.
    Dram(DramArgs),
    /// Train an SNN (STDP) on a dataset and save the model as HDF5.
    Train(TrainArgs),
    /// Evaluate a trained SNN model on the test split.
    Eval(EvalArgs),
    /// List the shipped DRAM standards and config presets.
    Presets,
    /// Check a DRAM command trace (CSV from `dram --command-trace`) against a standard's timing rules.
    Check(CheckArgs),
    /// Speed benchmarks; write their figures as JSON.
    Bench(BenchArgs),
    /// Design-space sweep: run every point of a sweep file (config keys x values) as its
    /// own run / dram process, in parallel, resumable, splittable into cluster shards.
    Sweep(SweepArgs),
    /// Pick a design point from a sweep's results.csv: the Pareto front over accuracy
    /// (up), weight memory and DRAM energy (down), constraints, and an objective.
    Select(SelectArgs),
    /// Error-tolerance analysis: a trained model's accuracy against the DRAM bit error
    /// rate, per error model, over several fault maps (tol.csv, and a plot).
    Tolerance(ToleranceArgs),
}

/// Options every config-driven subcommand shares.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Config file (TOML) or embedded preset name; default: the embedded configs/default.toml.
    #[arg(long, short = 'c', value_name = "FILE.toml")]
    pub config: Option<String>,
    /// Override any config key, e.g. --set dram.timing.RFC=420 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// Ramulator 2: `LD|ST 0x<addr>` per line.
    Ramulator,
    /// Ramulator 1: `0x<addr> R|W` per line.
    Ramulator1,
    /// DRAMsim3: `0x<addr> READ|WRITE <cycle>` per line.
    Dramsim3,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyntheticKind {
    /// Sequential addresses, one burst apart.
    Stream,
    /// Uniformly random burst-aligned addresses.
    Random,
    /// Addresses `--stride` bytes apart.
    Strided,
}

#[derive(Args, Debug)]
pub struct DramArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Memory trace file.
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    pub trace: Option<PathBuf>,
    /// Format of --trace.
    #[arg(long, value_enum, default_value = "ramulator")]
    pub trace_format: TraceFormat,
    /// Synthetic request generator (used when no --trace is given; default stream).
    #[arg(long, value_enum)]
    pub synthetic: Option<SyntheticKind>,
    /// Number of synthetic requests.
    #[arg(long, default_value_t = 100_000)]
    pub requests: u64,
    /// Seed of the synthetic generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stride in bytes for --synthetic strided.
    #[arg(long, default_value_t = 4096)]
    pub stride: u64,
    /// Fraction of writes in synthetic streams (0..=1).
    #[arg(long, default_value_t = 0.0)]
    pub write_fraction: f64,
    /// Write the statistics as JSON here.
    #[arg(long, value_name = "stats.json")]
    pub out: Option<PathBuf>,
    /// Write the controller's command trace (CSV) here.
    #[arg(long, value_name = "cmds.csv")]
    pub command_trace: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Config file (TOML) or embedded preset name; default: the embedded configs/default.toml.
    #[arg(value_name = "CONFIG")]
    pub config_arg: Option<String>,
    /// The config, as every other subcommand takes it (same as the positional CONFIG).
    #[arg(
        long = "config",
        short = 'c',
        value_name = "FILE.toml",
        conflicts_with = "config_arg"
    )]
    pub config_opt: Option<String>,
    /// Override any config key, e.g. --set dram.vdd=1.025 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Trace file (default spikemem-run.h5 / .csv / .jsonl). An existing trace of the same
    /// config is resumed: samples already in it are not run again.
    #[arg(long, value_name = "run.h5")]
    pub out: Option<PathBuf>,
    /// Trace format: hdf5, csv or jsonl.
    #[arg(long, default_value = "hdf5")]
    pub format: String,
    /// Write the summary as JSON here.
    #[arg(long, value_name = "summary.json")]
    pub json: Option<PathBuf>,
    /// Learn on chip (STDP over the training split, hardware in the loop) before inference.
    #[arg(long)]
    pub learn: bool,
    /// Start over: delete the trace at --out (and its checkpoint) instead of resuming
    /// it, or of reporting it when it is already complete.
    #[arg(long)]
    pub force: bool,
    /// Least wall time between two checkpoints of the run's state (taken every 16
    /// samples at most); a resume re-simulates what came after the last one. 0 = every
    /// 16 samples.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub checkpoint_seconds: f64,
}

impl RunArgs {
    pub fn config(&self) -> Option<&str> {
        self.config_arg.as_deref().or(self.config_opt.as_deref())
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Where to save the trained model (HDF5).
    #[arg(long, value_name = "model.h5")]
    pub out: PathBuf,
    /// Write the training report as JSON here.
    #[arg(long, value_name = "report.json")]
    pub json: Option<PathBuf>,
    /// Samples between training checkpoints (`<out>.ckpt`); a checkpoint is also written
    /// at the end of every epoch. 0 = only at epoch ends.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub checkpoint_every: u64,
    /// Start over: ignore (and delete) a checkpoint of an interrupted training.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Trained model (HDF5) from `spikemem train`.
    #[arg(long, value_name = "model.h5")]
    pub model: PathBuf,
    /// Write the evaluation report as JSON here.
    #[arg(long, value_name = "report.json")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ToleranceArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Trained model (HDF5) from `spikemem train`.
    #[arg(long, value_name = "model.h5")]
    pub model: PathBuf,
    /// Bit error rates, comma-separated (default: 0 and 1e-9 .. 1e-1 by decades).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub ber: Option<Vec<f64>>,
    /// Error models, comma-separated: uniform, bitline, wordline, data_dependent (or
    /// EDEN's 0-3). Default: all four.
    #[arg(long = "error-models", value_delimiter = ',', value_name = "LIST")]
    pub error_models: Option<Vec<String>>,
    /// Fault maps per (BER, model): seeds dram.fault_seed, dram.fault_seed + 1, ...
    #[arg(long = "fault-seeds", default_value_t = 3, value_name = "N")]
    pub fault_seeds: u32,
    /// Weight bits errors may reach, comma-separated sets: all, msb, lsb, N or A-B
    /// (bit 0 = the weight's LSB). One row per set.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "all",
        value_name = "LIST"
    )]
    pub bits: Vec<String>,
    /// Results table (CSV: ber, error_model, fault_seed, bits, accuracy, bits_flipped).
    #[arg(long, default_value = "tol.csv", value_name = "tol.csv")]
    pub out: PathBuf,
    /// Plot accuracy vs BER (mean and spread over fault maps) here (PNG, or SVG).
    #[arg(long, value_name = "tol.png")]
    pub plot: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Command trace CSV (cycle,command,channel,rank,bankgroup,bank,subarray,row,column).
    pub commands: PathBuf,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML): `command` ("run" | "dram"), `config` (base config, relative to
    /// the sweep file, or a preset name), `set` (overrides for every point), `args` (more
    /// arguments for the command), `mode` ("grid" | "zip") and `[axes]` (key = [values]).
    pub sweep: PathBuf,
    /// Output directory: one pNNNN/ directory per point, results.csv and results.jsonl
    /// (default: <sweep file stem>-sweep).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Points run at once (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Run only shard I of N (points with index % N == I), e.g. --shard 0/4 on the first
    /// of four cluster jobs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print each point's command line and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only gather the finished points into results.csv / results.jsonl.
    #[arg(long, conflicts_with = "dry_run")]
    pub collect: bool,
}

#[derive(Args, Debug)]
pub struct SelectArgs {
    /// Results table: the results.csv that `spikemem sweep` writes (any CSV with a
    /// header row and the key columns will do).
    #[arg(value_name = "RESULTS.csv")]
    pub results: PathBuf,
    /// Least accuracy a chosen point must have (same scale as the accuracy column,
    /// e.g. 0.9 for 90%).
    #[arg(long, value_name = "A")]
    pub min_accuracy: f64,
    /// Most weight memory a chosen point may use (in the memory column's unit, bits by
    /// default).
    #[arg(long, value_name = "B")]
    pub max_memory_bits: Option<f64>,
    /// Most DRAM energy a chosen point may use (in the energy column's unit, pJ by
    /// default).
    #[arg(long, value_name = "E")]
    pub max_dram_energy_pj: Option<f64>,
    /// Column to optimize among the points meeting the constraints: KEY or min:KEY
    /// (minimize), max:KEY (maximize). Default: minimize the energy key.
    #[arg(long, value_name = "KEY")]
    pub objective: Option<String>,
    /// Accuracy column (higher is better).
    #[arg(long, value_name = "K", default_value = crate::select::DEFAULT_ACCURACY_KEY)]
    pub accuracy_key: String,
    /// Memory column (lower is better).
    #[arg(long, value_name = "K", default_value = crate::select::DEFAULT_MEMORY_KEY)]
    pub memory_key: String,
    /// Energy column (lower is better).
    #[arg(long, value_name = "K", default_value = crate::select::DEFAULT_ENERGY_KEY)]
    pub energy_key: String,
    /// Write the choice as JSON here (`point`: the chosen row's 0-based index among the
    /// data rows, `front`: the front's indices, the row's values, keys, constraints),
    /// and the front's rows as CSV beside it (chosen.json -> chosen.front.csv).
    #[arg(long, value_name = "chosen.json")]
    pub out: Option<PathBuf>,
    /// Write a scatter plot here (PNG, or SVG for a .svg name): DRAM energy vs accuracy,
    /// the Pareto front highlighted, the chosen point marked.
    #[arg(long, value_name = "pareto.png")]
    pub plot: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// DRAM controller: simulated requests per second (stream and random, DDR4 and LPDDR3).
    Dram,
    /// SNN engine: images per second (inference and training, N100 and N400).
    Snn,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Which benchmark.
    #[arg(value_enum)]
    pub kind: BenchKind,
    /// Requests per DRAM benchmark case.
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: u64,
    /// Runs per DRAM case (each on a fresh controller): the median and the best rate are
    /// reported, as one run's speed drifts on a shared machine.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Write the figures as JSON here.
    #[arg(long, value_name = "bench.json")]
    pub out: Option<PathBuf>,
}
