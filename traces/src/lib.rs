//! spikemem trace schema and writers.
//!
//! A run writes one trace: per-sample results, optionally per-timestep counters and
//! every DRAM command, then a summary. Records go through a bounded channel to a
//! writer thread, so the simulation never waits on the disk unless the disk falls
//! behind. This crate knows nothing of hardware: it defines records and writes them.
//!
//! # Formats
//!
//! ## HDF5 (`hdf5`, the default)
//!
//! | Path | Kind | Contents |
//! |---|---|---|
//! | `/` attr `spikemem_version` | string | version of the simulator that wrote the file |
//! | `/` attr `config_toml` | string | the full run configuration (TOML text, after overrides) |
//! | `/` attr `created_unix_s` | u64 | creation time, seconds since the Unix epoch |
//! | `/` attr `resumed_unix_s` | u64 | last time a rerun resumed the file (only if resumed) |
//! | `/` attr `finished_unix_s` | u64 | when the summary was written (only if finished) |
//! | `/` other attrs | string | `RunMeta::extra_attrs`, one attribute each |
//! | `/samples` | 1-D compound [`SampleRecord`] | one row per sample |
//! | `/timesteps` | 1-D compound [`TimestepRecord`] | one row per timestep (if enabled) |
//! | `/timesteps` attr `complete_rows` | u64 | rows belonging to samples present in `/samples` |
//! | `/dram/commands` | 1-D compound [`CommandRecord`] | one row per DRAM command (if enabled) |
//! | `/dram/commands` attr `command_names` | string array | `command` field -> name (`command_names[c]`) |
//! | `/dram/commands` attr `complete_rows` | u64 | rows belonging to samples present in `/samples` |
//! | `/summary` | scalar string | run summary as JSON (written at finish) |
//! | `/summary` attrs | f64 / i64 / u64 / bool / string | every top-level scalar of the summary JSON (e.g. `accuracy`, `energy_total_pj`) |
//! | `/dram/stats` | scalar string | DRAM controller statistics as JSON (written at finish) |
//!
//! Tables are resizable, chunked (`TraceOptions::chunk_rows` rows a chunk; at most 512
//! for `/samples`) and deflate-compressed (`TraceOptions::compression_level`, 0 = none).
//! Field names and units are those of the record structs (`energy_dram_pj`,
//! `time_ns`, ...). Record layouts are `#[repr(C)]`: `SampleRecord` is 136 bytes,
//! `TimestepRecord` 40, `CommandRecord` 24, none with padding bytes (so identical runs
//! give identical files). In Python:
//!
//! ```python
//! import h5py, json, pandas as pd
//! with h5py.File("run.h5") as f:
//!     samples = pd.DataFrame(f["samples"][:])
//!     summary = json.loads(f["summary"][()])
//!     names = [n.decode() if isinstance(n, bytes) else n for n in f["dram/commands"].attrs["command_names"]]
//! ```
//!
//! File-format choices, all for surviving `kill -9`:
//! - the default (oldest compatible) superblock: the v1.10 one marks a file "open for
//!   writing", and a killed run would need `h5clear -s` before h5py could open it;
//! - no free-space reuse (`H5F_FSPACE_STRATEGY_NONE`): a compressed chunk rewritten by
//!   a flush moves to new space and its old bytes stay as the last flush left them,
//!   so the on-disk index never points at overwritten data. Readers need HDF5 >= 1.10
//!   (every h5py wheel and Debian 12 have it). The old chunk versions are dropped
//!   when the run finishes: if they are over 25% of the file (and over 1 MiB), the
//!   trace is copied compactly to `<path>.compact.tmp` and renamed over the original.
//!
//! While a run is writing, HDF5's file lock keeps other processes out; to peek at a
//! live trace, set `HDF5_USE_FILE_LOCKING=FALSE` for the reader.
//!
//! ## CSV (`csv`)
//!
//! For a path `dir/run.csv` (or `dir/run`): `dir/run_samples.csv`, `dir/run_timesteps.csv`,
//! `dir/run_commands.csv` (each with a header row naming the record fields),
//! `dir/run.toml` (the config), `dir/run_meta.json` (version, creation time,
//! `command_names`, extra attributes), `dir/run_summary.json` (`summary` and
//! `dram_stats`, written at finish) and `dir/run_progress.json` (bytes of each table
//! that belong to completed samples; used by resume). Floats are written as the
//! shortest text that reads back to the same bits, always with a `.` or an exponent.
//!
//! ## JSON lines (`jsonl`)
//!
//! One file; every line is an object whose `"record"` field says what it is: first
//! `meta` (`spikemem_version`, `config_toml`, `created_unix_s`, `command_names`,
//! `extra`), then `sample`, `timestep` and `command` lines with the record fields,
//! and `summary` (`summary`, `dram_stats`) last. Within one flush, rows of completed
//! samples come before their sample lines, so lines of different kinds are grouped
//! rather than strictly in simulation order. Floats round-trip exactly, except that
//! NaN and infinities (which JSON cannot express) are written as `null`.
//!
//! # Durability and resume
//!
//! Rows are buffered on the writer thread and reach the file every
//! `flush_every_rows` rows (all kinds counted), on [`TraceWriter::flush`], and at
//! [`TraceWriter::finish`] or drop. Each flush appends whole batches and flushes the
//! file, so a run killed with `kill -9` leaves a readable trace holding everything up
//! to its last flush. A sample's timesteps and commands are sent before its
//! [`SampleRecord`], which closes the sample; [`TraceWriter::resume`] cuts rows after
//! the last closed sample and returns how many samples the file holds, so a rerun
//! continues with the next sample. Readers of a killed trace may see such trailing
//! rows; in HDF5 the `complete_rows` attributes say where they start.
//!
//! HDF5 opens its file without `O_CLOEXEC`: a child process started while a trace is
//! open inherits the descriptor and with it the file lock, until the child exits.

pub mod atomic;
mod finished;
mod h5;
mod records;
mod text;

#[cfg(test)]
mod tests;

pub use atomic::{write_atomic, write_atomic_with, PendingFile};
pub use finished::{read_finished, remove_trace, trace_exists, trace_files, Finished};
pub use records::{CommandRecord, Record, SampleRecord, TimestepRecord};
pub use text::csv_sibling;

use crossbeam::channel::{self, Receiver, Sender};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Which file format a trace is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceFormat {
    #[default]
    Hdf5,
    Csv,
    Jsonl,
}

impl TraceFormat {
    pub const NAMES: [&'static str; 3] = ["hdf5", "csv", "jsonl"];

    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Hdf5 => "hdf5",
            TraceFormat::Csv => "csv",
            TraceFormat::Jsonl => "jsonl",
        }
    }

    /// Conventional file extension (`h5`, `csv`, `jsonl`).
    pub fn extension(self) -> &'static str {
        match self {
            TraceFormat::Hdf5 => "h5",
            TraceFormat::Csv => "csv",
            TraceFormat::Jsonl => "jsonl",
        }
    }
}

impl FromStr for TraceFormat {
    type Err = TraceError;
    fn from_str(s: &str) -> Result<Self, TraceError> {
        match s {
            "hdf5" => Ok(TraceFormat::Hdf5),
            "csv" => Ok(TraceFormat::Csv),
            "jsonl" => Ok(TraceFormat::Jsonl),
            other => Err(TraceError::UnknownFormat(other.to_owned())),
        }
    }
}

impl std::fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a trace records about the run besides its rows.
#[derive(Clone, Debug, Default)]
pub struct RunMeta {
    /// The full configuration text; resume compares it byte for byte.
    pub config_toml: String,
    pub version: String,
    /// Names for `CommandRecord::command` values, indexed by value.
    pub command_names: Vec<String>,
    /// More root attributes (HDF5) / `extra` entries (CSV, JSONL).
    pub extra_attrs: Vec<(String, String)>,
}

/// Which tables to write and how.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceOptions {
    /// Write `/timesteps`; when false, [`TraceWriter::timestep`] is a no-op.
    pub timesteps: bool,
    /// Write `/dram/commands`; when false, [`TraceWriter::commands`] is a no-op.
    pub commands: bool,
    /// HDF5 chunk length in rows (>= 1).
    pub chunk_rows: usize,
    /// Deflate level for HDF5 tables: 0 = uncompressed, 1..=9.
    pub compression_level: u8,
    /// Rows (all kinds together) buffered before they are written and flushed (>= 1).
    pub flush_every_rows: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            timesteps: true,
            commands: false,
            chunk_rows: 4096,
            compression_level: 4,
            flush_every_rows: 10_000,
        }
    }
}

impl TraceOptions {
    fn validate(&self) -> Result<(), TraceError> {
        if self.chunk_rows == 0 {
            return Err(TraceError::InvalidOptions(
                "chunk_rows must be at least 1".into(),
            ));
        }
        if self.compression_level > 9 {
            return Err(TraceError::InvalidOptions(format!(
                "compression_level is {}, expected 0 (none) to 9",
                self.compression_level
            )));
        }
        if self.flush_every_rows == 0 {
            return Err(TraceError::InvalidOptions(
                "flush_every_rows must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Everything that can go wrong with a trace. Each variant names the file involved.
/// Clone, because the writer thread keeps its error to report it again on every call.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TraceError {
    #[error("cannot create trace {}: {reason}", path.display())]
    Create { path: PathBuf, reason: String },
    #[error("cannot open trace {} to resume it: {reason}", path.display())]
    Open { path: PathBuf, reason: String },
    #[error("writing trace {} failed: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error(
        "cannot resume trace {}: it was written with a different config (first difference at line {line}: file has {existing:?}, this run has {requested:?}); delete it or write to another path",
        path.display()
    )]
    ConfigMismatch {
        path: PathBuf,
        line: usize,
        existing: String,
        requested: String,
    },
    #[error("cannot resume trace {}: {reason}", path.display())]
    Incompatible { path: PathBuf, reason: String },
    #[error("trace {}: {what} is not valid JSON: {reason}", path.display())]
    BadJson {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error("unknown trace format {0:?}: expected one of hdf5, csv, jsonl")]
    UnknownFormat(String),
    #[error("invalid trace options: {0}")]
    InvalidOptions(String),
    #[error("trace {}: the writer thread stopped unexpectedly", path.display())]
    WriterGone { path: PathBuf },
}

pub(crate) fn unix_now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Resume only continues a run with byte-identical config text; anything else would mix
/// results of two different experiments in one file.
pub fn check_same_config(path: &Path, existing: &str, requested: &str) -> Result<(), TraceError> {
    if existing == requested {
        return Ok(());
    }
    let (mut a, mut b) = (existing.lines(), requested.lines());
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Err(TraceError::ConfigMismatch {
                    path: path.to_owned(),
                    line,
                    existing: x.unwrap_or("<end of config>").to_owned(),
                    requested: y.unwrap_or("<end of config>").to_owned(),
                })
            }
        }
    }
}

/// Rows collected between two flushes.
#[derive(Default)]
pub(crate) struct Batch {
    pub samples: Vec<SampleRecord>,
    pub timesteps: Vec<TimestepRecord>,
    pub commands: Vec<CommandRecord>,
    /// How many of `timesteps` / `commands` came before the last sample record of this
    /// batch, i.e. belong to completed samples; `None` if the batch holds no sample.
    pub complete: Option<(usize, usize)>,
}

impl Batch {
    fn rows(&self) -> usize {
        self.samples.len() + self.timesteps.len() + self.commands.len()
    }
    fn clear(&mut self) {
        self.samples.clear();
        self.timesteps.clear();
        self.commands.clear();
        self.complete = None;
    }
}

/// A format's writer. Runs on the writer thread only.
pub(crate) trait Sink: Send {
    /// Writes a batch and flushes it to the OS. `all_complete` marks every row as
    /// belonging to a completed sample (the run is finishing).
    fn append(&mut self, b: &Batch, all_complete: bool) -> Result<(), TraceError>;
    fn finish(
        &mut self,
        summary: &serde_json::Value,
        dram_stats: &serde_json::Value,
    ) -> Result<(), TraceError>;
    fn close(self: Box<Self>) -> Result<(), TraceError>;
}

enum Msg {
    Sample(SampleRecord),
    Timestep(TimestepRecord),
    Commands(Vec<CommandRecord>),
    Flush(Sender<()>),
    Finish(serde_json::Value, serde_json::Value),
}

/// Messages the channel holds before `sample`/`timestep`/`commands` block the caller.
const CHANNEL_CAPACITY: usize = 8192;

/// Writes one run's trace on its own thread. Dropping it without [`finish`](Self::finish)
/// still writes and flushes every row sent so far (but no summary).
pub struct TraceWriter {
    tx: Option<Sender<Msg>>,
    thread: Option<JoinHandle<Result<(), TraceError>>>,
    /// The first error the thread met; it stops writing then and every later call reports it.
    error: Arc<Mutex<Option<TraceError>>>,
    path: PathBuf,
    opts: TraceOptions,
}

impl TraceWriter {
    /// Creates (truncates) the trace at `path` and starts its writer thread.
    pub fn create(
        path: &Path,
        format: TraceFormat,
        meta: RunMeta,
        opts: TraceOptions,
    ) -> Result<TraceWriter, TraceError> {
        opts.validate()?;
        let sink: Box<dyn Sink> = match format {
            TraceFormat::Hdf5 => Box::new(h5::H5Sink::create(path, &meta, &opts)?),
            TraceFormat::Csv => Box::new(text::CsvSink::create(path, &meta, &opts)?),
            TraceFormat::Jsonl => Box::new(text::JsonlSink::create(path, &meta, &opts)?),
        };
        Self::start(path, sink, opts)
    }

    /// Open an existing trace written with the same config text and continue it; returns
    /// the writer and how many samples it already holds (a rerun resumes rather than
    /// redoes). Timestep and command rows of a sample the interrupted run did not close
    /// are dropped, so the caller rewrites that sample from its start. A trace that does
    /// not exist yet is created (0 samples). Mismatching config -> [`TraceError::ConfigMismatch`].
    pub fn resume(
        path: &Path,
        format: TraceFormat,
        meta: RunMeta,
        opts: TraceOptions,
    ) -> Result<(TraceWriter, u64), TraceError> {
        opts.validate()?;
        let exists = match format {
            TraceFormat::Csv => text::csv_sibling(path, ".toml").exists(),
            _ => path.exists(),
        };
        if !exists {
            return Ok((Self::create(path, format, meta, opts)?, 0));
        }
        let (sink, n): (Box<dyn Sink>, u64) = match format {
            TraceFormat::Hdf5 => {
                let (s, n) = h5::H5Sink::resume(path, &meta, &opts)?;
                (Box::new(s), n)
            }
            TraceFormat::Csv => {
                let (s, n) = text::CsvSink::resume(path, &meta, &opts)?;
                (Box::new(s), n)
            }
            TraceFormat::Jsonl => {
                let (s, n) = text::JsonlSink::resume(path, &meta, &opts)?;
                (Box::new(s), n)
            }
        };
        Ok((Self::start(path, sink, opts)?, n))
    }

    fn start(
        path: &Path,
        sink: Box<dyn Sink>,
        opts: TraceOptions,
    ) -> Result<TraceWriter, TraceError> {
        let (tx, rx) = channel::bounded(CHANNEL_CAPACITY);
        let error = Arc::new(Mutex::new(None));
        let thread_error = Arc::clone(&error);
        let flush_every = opts.flush_every_rows;
        let thread = std::thread::Builder::new()
            .name("spikemem-trace".into())
            .spawn(move || {
                let r = writer_loop(sink, rx, flush_every);
                if let Err(e) = &r {
                    *thread_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                }
                r
            })
            .map_err(|e| TraceError::Create {
                path: path.to_owned(),
                reason: format!("cannot start writer thread: {e}"),
            })?;
        Ok(TraceWriter {
            tx: Some(tx),
            thread: Some(thread),
            error,
            path: path.to_owned(),
            opts,
        })
    }

    /// The path the trace was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The error that stopped the thread. The channel closes a moment before the thread
    /// records its error, so wait for one or the other.
    fn thread_error(&self) -> TraceError {
        loop {
            if let Some(e) = self.error.lock().unwrap_or_else(|p| p.into_inner()).clone() {
                return e;
            }
            if self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return self
                    .error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                    .unwrap_or_else(|| TraceError::WriterGone {
                        path: self.path.clone(),
                    });
            }
            std::thread::yield_now();
        }
    }

    fn send(&self, m: Msg) -> Result<(), TraceError> {
        let tx = self.tx.as_ref().expect("sender lives until finish or drop");
        tx.send(m).map_err(|_| self.thread_error())
    }

    /// Queues a sample row. It closes the sample: send its timesteps and commands first.
    pub fn sample(&self, r: SampleRecord) -> Result<(), TraceError> {
        self.send(Msg::Sample(r))
    }

    /// Queues a timestep row (ignored when `TraceOptions::timesteps` is off).
    pub fn timestep(&self, r: TimestepRecord) -> Result<(), TraceError> {
        if !self.opts.timesteps {
            return Ok(());
        }
        self.send(Msg::Timestep(r))
    }

    /// Queues DRAM command rows (ignored when `TraceOptions::commands` is off).
    pub fn commands(&self, rs: Vec<CommandRecord>) -> Result<(), TraceError> {
        if !self.opts.commands || rs.is_empty() {
            return Ok(());
        }
        self.send(Msg::Commands(rs))
    }

    /// Writes and flushes everything queued so far, waiting until it is in the file.
    pub fn flush(&self) -> Result<(), TraceError> {
        let (ack_tx, ack_rx) = channel::bounded(1);
        self.send(Msg::Flush(ack_tx))?;
        ack_rx.recv().map_err(|_| self.thread_error())
    }

    /// Writes the summary (accuracy etc.) and DRAM stats, closes the file, joins the
    /// thread, and returns any I/O error the thread met. Both texts must be JSON.
    pub fn finish(mut self, summary_json: &str, dram_stats_json: &str) -> Result<(), TraceError> {
        let parse = |what: &'static str, text: &str| {
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| TraceError::BadJson {
                path: self.path.clone(),
                what,
                reason: e.to_string(),
            })
        };
        // On bad JSON the rows are still saved (by drop), only the summary is missing.
        let summary = parse("summary", summary_json)?;
        let stats = parse("DRAM stats", dram_stats_json)?;
        let sent = self.send(Msg::Finish(summary, stats));
        let joined = self.join();
        sent.and(joined)
    }

    fn join(&mut self) -> Result<(), TraceError> {
        drop(self.tx.take());
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| {
                Err(TraceError::WriterGone {
                    path: self.path.clone(),
                })
            }),
            None => Ok(()),
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        // Closing the channel makes the thread write what it holds and close the file.
        // Nobody is left to return an error to, so stderr is the only place for it.
        if let Err(e) = self.join() {
            eprintln!("spikemem-traces: {e}");
        }
    }
}

fn writer_loop(
    mut sink: Box<dyn Sink>,
    rx: Receiver<Msg>,
    flush_every: usize,
) -> Result<(), TraceError> {
    let mut batch = Batch::default();
    let mut finished = false;
    let write =
        |sink: &mut Box<dyn Sink>, batch: &mut Batch, all: bool| -> Result<(), TraceError> {
            if batch.rows() > 0 || all {
                sink.append(batch, all)?;
            }
            batch.clear();
            Ok(())
        };
    // A closed channel (finish or drop) ends the loop.
    for msg in rx.iter() {
        match msg {
            Msg::Sample(r) => {
                batch.samples.push(r);
                batch.complete = Some((batch.timesteps.len(), batch.commands.len()));
            }
            Msg::Timestep(r) => batch.timesteps.push(r),
            Msg::Commands(rs) => {
                if batch.commands.is_empty() && rs.len() >= flush_every {
                    batch.commands = rs; // a large vector moves in without a copy
                } else {
                    batch.commands.extend_from_slice(&rs);
                }
            }
            Msg::Flush(ack) => {
                write(&mut sink, &mut batch, false)?;
                let _ = ack.send(());
                continue;
            }
            Msg::Finish(summary, stats) => {
                write(&mut sink, &mut batch, true)?;
                sink.finish(&summary, &stats)?;
                finished = true;
                continue;
            }
        }
        if batch.rows() >= flush_every {
            write(&mut sink, &mut batch, false)?;
        }
    }
    if !finished {
        write(&mut sink, &mut batch, false)?;
    }
    sink.close()
}

/// Read back the per-sample records of a trace (all rows written so far). Used when a
/// run resumes, so its summary covers every sample, not only the ones it ran itself.
/// A missing trace has no samples.
pub fn read_samples(path: &Path, format: TraceFormat) -> Result<Vec<SampleRecord>, TraceError> {
    let open_err = |reason: String| TraceError::Open {
        path: path.to_path_buf(),
        reason,
    };
    match format {
        TraceFormat::Hdf5 => {
            if !path.exists() {
                return Ok(Vec::new());
            }
            let f = hdf5::File::open(path).map_err(|e| open_err(e.to_string()))?;
            match f.dataset("samples") {
                Ok(ds) => ds
                    .read_raw::<SampleRecord>()
                    .map_err(|e| open_err(e.to_string())),
                Err(_) => Ok(Vec::new()),
            }
        }
        TraceFormat::Csv => {
            let p = csv_sibling(path, "_samples.csv");
            let Ok(text) = std::fs::read_to_string(&p) else {
                return Ok(Vec::new());
            };
            text.lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    SampleRecord::from_csv(l).map_err(|e| open_err(format!("{}: {e}", p.display())))
                })
                .collect()
        }
        TraceFormat::Jsonl => {
            let Ok(text) = std::fs::read_to_string(path) else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for line in text.lines() {
                // A line cut by a kill is not a record.
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                if v.get("record").and_then(|r| r.as_str()) == Some("sample") {
                    out.push(serde_json::from_value(v).map_err(|e| open_err(e.to_string()))?);
                }
            }
            Ok(out)
        }
    }
}
