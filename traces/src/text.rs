//! Text sinks: CSV (one file per record kind plus sidecars) and JSON lines (one file).

use crate::records::{write_jsonl, CommandRecord, Record, SampleRecord, TimestepRecord};
use crate::{unix_now_s, Batch, RunMeta, Sink, TraceError, TraceOptions};
use serde_json::json;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

fn write_err(path: &Path, e: impl std::fmt::Display) -> TraceError {
    TraceError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Path of one file of a CSV trace: `dir/run.csv` (or `dir/run`) with `_samples.csv`
/// gives `dir/run_samples.csv`.
pub fn csv_sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = if path.extension().is_some_and(|e| e == "csv") {
        path.with_extension("")
    } else {
        path.to_owned()
    };
    let mut s: OsString = stem.into_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

use crate::atomic::write_atomic;

/// One CSV table: its file, bytes written, and bytes that belong to completed samples.
struct CsvTable {
    path: PathBuf,
    file: File,
    len: u64,
    complete: u64,
}

impl CsvTable {
    fn create<R: Record>(path: PathBuf) -> std::io::Result<Self> {
        let mut file = File::create(&path)?;
        let header = format!("{}\n", R::FIELDS.join(","));
        file.write_all(header.as_bytes())?;
        let len = header.len() as u64;
        Ok(CsvTable {
            path,
            file,
            len,
            complete: len,
        })
    }

    /// Reopens a table and cuts it back to `complete` bytes, checking its header first.
    fn reopen<R: Record>(trace: &Path, path: PathBuf, complete: u64) -> Result<Self, TraceError> {
        let incompatible = |reason: String| TraceError::Incompatible {
            path: trace.to_owned(),
            reason,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| TraceError::Open {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let mut header = String::new();
        BufReader::new(&file)
            .read_line(&mut header)
            .map_err(|e| TraceError::Open {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if header.trim_end() != R::FIELDS.join(",") {
            return Err(incompatible(format!(
                "{} has columns `{}`, this build writes `{}`",
                path.display(),
                header.trim_end(),
                R::FIELDS.join(",")
            )));
        }
        let actual = file.metadata().map_err(|e| write_err(&path, e))?.len();
        if actual < complete {
            return Err(incompatible(format!(
                "{} is {actual} bytes, shorter than the {complete} its progress file records",
                path.display()
            )));
        }
        file.set_len(complete).map_err(|e| write_err(&path, e))?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| write_err(&path, e))?;
        Ok(CsvTable {
            path,
            file,
            len: complete,
            complete,
        })
    }

    /// Appends rows; `mark` rows of them complete their samples.
    fn append<R: Record>(
        &mut self,
        rows: &[R],
        mark: Option<usize>,
        buf: &mut String,
    ) -> Result<(), TraceError> {
        buf.clear();
        let mut mark_bytes = 0;
        for (i, r) in rows.iter().enumerate() {
            if Some(i) == mark {
                mark_bytes = buf.len();
            }
            r.write_csv(buf);
        }
        if Some(rows.len()) == mark {
            mark_bytes = buf.len();
        }
        self.file
            .write_all(buf.as_bytes())
            .map_err(|e| write_err(&self.path, e))?;
        if mark.is_some() {
            self.complete = self.len + mark_bytes as u64;
        }
        self.len += buf.len() as u64;
        Ok(())
    }
}

pub(crate) struct CsvSink {
    path: PathBuf,
    samples: CsvTable,
    timesteps: Option<CsvTable>,
    commands: Option<CsvTable>,
    n_samples: u64,
    buf: String,
}

impl CsvSink {
    fn progress_path(path: &Path) -> PathBuf {
        csv_sibling(path, "_progress.json")
    }

    pub(crate) fn create(
        path: &Path,
        meta: &RunMeta,
        opts: &TraceOptions,
    ) -> Result<Self, TraceError> {
        let fail = |p: &Path, e: std::io::Error| TraceError::Create {
            path: p.to_owned(),
            reason: e.to_string(),
        };
        let table = |suffix: &str| csv_sibling(path, suffix);
        let samples = CsvTable::create::<SampleRecord>(table("_samples.csv"))
            .map_err(|e| fail(&table("_samples.csv"), e))?;
        let timesteps = opts
            .timesteps
            .then(|| {
                CsvTable::create::<TimestepRecord>(table("_timesteps.csv"))
                    .map_err(|e| fail(&table("_timesteps.csv"), e))
            })
            .transpose()?;
        let commands = opts
            .commands
            .then(|| {
                CsvTable::create::<CommandRecord>(table("_commands.csv"))
                    .map_err(|e| fail(&table("_commands.csv"), e))
            })
            .transpose()?;
        let toml = table(".toml");
        write_atomic(&toml, &meta.config_toml).map_err(|e| fail(&toml, e))?;
        let meta_path = table("_meta.json");
        let extra: serde_json::Map<_, _> = meta
            .extra_attrs
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let meta_json = json!({
            "spikemem_version": meta.version,
            "created_unix_s": unix_now_s(),
            "command_names": meta.command_names,
            "extra": extra,
        });
        write_atomic(
            &meta_path,
            serde_json::to_string_pretty(&meta_json).expect("JSON value serializes"),
        )
        .map_err(|e| fail(&meta_path, e))?;
        let mut sink = CsvSink {
            path: path.to_owned(),
            samples,
            timesteps,
            commands,
            n_samples: 0,
            buf: String::new(),
        };
        sink.write_progress()?;
        Ok(sink)
    }

    pub(crate) fn resume(
        path: &Path,
        meta: &RunMeta,
        opts: &TraceOptions,
    ) -> Result<(Self, u64), TraceError> {
        let toml = csv_sibling(path, ".toml");
        let old = fs::read_to_string(&toml).map_err(|e| TraceError::Open {
            path: toml.clone(),
            reason: e.to_string(),
        })?;
        crate::check_same_config(&toml, &old, &meta.config_toml)?;
        let progress_path = Self::progress_path(path);
        let progress: serde_json::Value = match fs::read_to_string(&progress_path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| TraceError::Incompatible {
                path: progress_path.clone(),
                reason: format!("unreadable progress file: {e}"),
            })?,
            // No progress file: the run died before its first flush, so nothing is worth keeping.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::create(path, meta, opts)?, 0))
            }
            Err(e) => {
                return Err(TraceError::Open {
                    path: progress_path,
                    reason: e.to_string(),
                })
            }
        };
        let bytes = |key: &str| progress[key].as_u64();
        let n_samples = progress["samples"].as_u64().unwrap_or(0);
        let samples_bytes = bytes("samples_bytes").ok_or_else(|| TraceError::Incompatible {
            path: progress_path.clone(),
            reason: "no `samples_bytes`".into(),
        })?;
        let samples = CsvTable::reopen::<SampleRecord>(
            path,
            csv_sibling(path, "_samples.csv"),
            samples_bytes,
        )?;
        let table = |on: bool,
                     key: &str,
                     suffix: &str,
                     reopen: fn(&Path, PathBuf, u64) -> Result<CsvTable, TraceError>,
                     create: fn(PathBuf) -> std::io::Result<CsvTable>|
         -> Result<Option<CsvTable>, TraceError> {
            if !on {
                return Ok(None);
            }
            let p = csv_sibling(path, suffix);
            match bytes(key) {
                Some(b) => reopen(path, p, b).map(Some),
                None => create(p.clone()).map(Some).map_err(|e| TraceError::Create {
                    path: p,
                    reason: e.to_string(),
                }),
            }
        };
        let timesteps = table(
            opts.timesteps,
            "timesteps_bytes",
            "_timesteps.csv",
            CsvTable::reopen::<TimestepRecord>,
            CsvTable::create::<TimestepRecord>,
        )?;
        let commands = table(
            opts.commands,
            "commands_bytes",
            "_commands.csv",
            CsvTable::reopen::<CommandRecord>,
            CsvTable::create::<CommandRecord>,
        )?;
        let mut sink = CsvSink {
            path: path.to_owned(),
            samples,
            timesteps,
            commands,
            n_samples,
            buf: String::new(),
        };
        // Unfinished again until the rerun finishes (the JSON-lines resume cuts its
        // summary line for the same reason).
        let summary = csv_sibling(path, "_summary.json");
        match fs::remove_file(&summary) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(write_err(&summary, e))
            }
            _ => {}
        }
        sink.write_progress()?;
        Ok((sink, n_samples))
    }

    /// Records how far each table holds only completed samples; resume cuts back to it.
    fn write_progress(&mut self) -> Result<(), TraceError> {
        let mut p = json!({ "samples": self.n_samples, "samples_bytes": self.samples.complete });
        if let Some(t) = &self.timesteps {
            p["timesteps_bytes"] = json!(t.complete);
        }
        if let Some(t) = &self.commands {
            p["commands_bytes"] = json!(t.complete);
        }
        let path = Self::progress_path(&self.path);
        write_atomic(&path, p.to_string()).map_err(|e| write_err(&path, e))
    }
}

impl Sink for CsvSink {
    fn append(&mut self, b: &Batch, all_complete: bool) -> Result<(), TraceError> {
        // Tables with sample-owned rows first, samples last, progress after all data: a
        // kill at any point leaves progress describing bytes that are all on disk.
        if let Some(t) = &mut self.timesteps {
            let mark = if all_complete {
                Some(b.timesteps.len())
            } else {
                b.complete.map(|c| c.0)
            };
            t.append(&b.timesteps, mark, &mut self.buf)?;
        }
        if let Some(t) = &mut self.commands {
            let mark = if all_complete {
                Some(b.commands.len())
            } else {
                b.complete.map(|c| c.1)
            };
            t.append(&b.commands, mark, &mut self.buf)?;
        }
        self.samples
            .append(&b.samples, Some(b.samples.len()), &mut self.buf)?;
        self.n_samples += b.samples.len() as u64;
        self.write_progress()
    }

    fn finish(
        &mut self,
        summary: &serde_json::Value,
        dram_stats: &serde_json::Value,
    ) -> Result<(), TraceError> {
        let path = csv_sibling(&self.path, "_summary.json");
        let doc = json!({ "summary": summary, "dram_stats": dram_stats, "finished_unix_s": unix_now_s() });
        write_atomic(
            &path,
            serde_json::to_string_pretty(&doc).expect("JSON value serializes"),
        )
        .map_err(|e| write_err(&path, e))
    }

    fn close(self: Box<Self>) -> Result<(), TraceError> {
        for t in [
            Some(&self.samples),
            self.timesteps.as_ref(),
            self.commands.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            t.file.sync_data().map_err(|e| write_err(&t.path, e))?;
        }
        Ok(())
    }
}

pub(crate) struct JsonlSink {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

impl JsonlSink {
    pub(crate) fn create(
        path: &Path,
        meta: &RunMeta,
        _opts: &TraceOptions,
    ) -> Result<Self, TraceError> {
        let mut file = File::create(path).map_err(|e| TraceError::Create {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let extra: serde_json::Map<_, _> = meta
            .extra_attrs
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        // Built by hand so `"record"` comes first (serde_json maps sort their keys).
        let line = format!(
            "{{\"record\":\"meta\",\"spikemem_version\":{},\"config_toml\":{},\"created_unix_s\":{},\"command_names\":{},\"extra\":{}}}",
            json!(meta.version),
            json!(meta.config_toml),
            unix_now_s(),
            json!(meta.command_names),
            serde_json::Value::Object(extra),
        );
        writeln!(file, "{line}").map_err(|e| TraceError::Create {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(JsonlSink {
            path: path.to_owned(),
            file,
            buf: Vec::new(),
        })
    }

    /// Scans the file: checks the meta line's config, counts samples, and cuts the file
    /// after the last line that belongs to a completed sample (or before a summary).
    pub(crate) fn resume(
        path: &Path,
        meta: &RunMeta,
        _opts: &TraceOptions,
    ) -> Result<(Self, u64), TraceError> {
        let open_err = |e: std::io::Error| TraceError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(open_err)?;
        let mut reader = BufReader::with_capacity(1 << 20, &file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        let mut cut = None;
        let mut n_samples = 0u64;
        let mut first = true;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(open_err)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break; // end of file, or a line the kill cut short
            }
            offset += n as u64;
            if first {
                first = false;
                let m: serde_json::Value =
                    serde_json::from_slice(&line).map_err(|e| TraceError::Incompatible {
                        path: path.to_owned(),
                        reason: format!("first line is not the meta record: {e}"),
                    })?;
                let old = m["config_toml"]
                    .as_str()
                    .ok_or_else(|| TraceError::Incompatible {
                        path: path.to_owned(),
                        reason: "first line has no `config_toml`".into(),
                    })?;
                crate::check_same_config(path, old, &meta.config_toml)?;
                cut = Some(offset);
            } else if line.starts_with(b"{\"record\":\"sample\"") {
                n_samples += 1;
                cut = Some(offset);
            } else if line.starts_with(b"{\"record\":\"summary\"") {
                // A finished run: every row before the summary is complete.
                cut = Some(offset - n as u64);
                break;
            }
        }
        drop(reader);
        let cut = cut.ok_or_else(|| TraceError::Incompatible {
            path: path.to_owned(),
            reason: "empty file (no meta line)".into(),
        })?;
        file.set_len(cut).map_err(|e| write_err(path, e))?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| write_err(path, e))?;
        Ok((
            JsonlSink {
                path: path.to_owned(),
                file,
                buf: Vec::new(),
            },
            n_samples,
        ))
    }
}

impl Sink for JsonlSink {
    fn append(&mut self, b: &Batch, all_complete: bool) -> Result<(), TraceError> {
        // Rows of completed samples, then the samples, then the open sample's rows: every
        // line before the last sample line belongs to a completed sample, which is what
        // resume relies on.
        let (ts_done, cmd_done) = match (all_complete, b.complete) {
            (true, _) => (b.timesteps.len(), b.commands.len()),
            (false, Some(c)) => c,
            (false, None) => (0, 0),
        };
        self.buf.clear();
        let ser = |e: serde_json::Error| write_err(&self.path, e);
        for r in &b.timesteps[..ts_done] {
            write_jsonl(r, &mut self.buf).map_err(ser)?;
        }
        for r in &b.commands[..cmd_done] {
            write_jsonl(r, &mut self.buf).map_err(ser)?;
        }
        for r in &b.samples {
            write_jsonl(r, &mut self.buf).map_err(ser)?;
        }
        for r in &b.timesteps[ts_done..] {
            write_jsonl(r, &mut self.buf).map_err(ser)?;
        }
        for r in &b.commands[cmd_done..] {
            write_jsonl(r, &mut self.buf).map_err(ser)?;
        }
        self.file
            .write_all(&self.buf)
            .map_err(|e| write_err(&self.path, e))
    }

    fn finish(
        &mut self,
        summary: &serde_json::Value,
        dram_stats: &serde_json::Value,
    ) -> Result<(), TraceError> {
        // `"record"` first: resume recognises the summary line by its prefix.
        let line = format!(
            "{{\"record\":\"summary\",\"summary\":{summary},\"dram_stats\":{dram_stats},\"finished_unix_s\":{}}}",
            unix_now_s()
        );
        writeln!(self.file, "{line}").map_err(|e| write_err(&self.path, e))
    }

    fn close(self: Box<Self>) -> Result<(), TraceError> {
        self.file.sync_data().map_err(|e| write_err(&self.path, e))
    }
}
