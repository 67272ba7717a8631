//! Finished traces: reading back what a completed run stored, and removing a trace.
//!
//! A rerun of a command whose trace is finished (its summary written) must not touch
//! it: the caller reads the stored config and summary here and reports them instead of
//! running again. "Finished" means the summary is in the file: HDF5 `/summary`, CSV
//! `<stem>_summary.json`, JSON lines a `summary` record.

use crate::text::csv_sibling;
use crate::{TraceError, TraceFormat};
use hdf5::types::VarLenUnicode;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What a finished trace holds about its run.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The config text the run used (compare with [`crate::check_same_config`]).
    pub config_toml: String,
    /// The run summary, as written at finish.
    pub summary: serde_json::Value,
}

/// The files a trace at `path` consists of in `format`.
pub fn trace_files(path: &Path, format: TraceFormat) -> Vec<PathBuf> {
    match format {
        TraceFormat::Hdf5 | TraceFormat::Jsonl => vec![path.to_owned()],
        TraceFormat::Csv => [
            "_samples.csv",
            "_timesteps.csv",
            "_commands.csv",
            ".toml",
            "_meta.json",
            "_summary.json",
            "_progress.json",
        ]
        .iter()
        .map(|s| csv_sibling(path, s))
        .collect(),
    }
}

/// Whether any file of the trace exists.
pub fn trace_exists(path: &Path, format: TraceFormat) -> bool {
    trace_files(path, format).iter().any(|p| p.exists())
}

/// Removes every file of the trace (those absent are fine).
pub fn remove_trace(path: &Path, format: TraceFormat) -> Result<(), TraceError> {
    for p in trace_files(path, format) {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(TraceError::Write {
                    path: p,
                    reason: format!("cannot remove: {e}"),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The config and summary of a finished trace; `None` if the trace is absent or its
/// run did not finish.
pub fn read_finished(path: &Path, format: TraceFormat) -> Result<Option<Finished>, TraceError> {
    let open_err = |p: &Path, reason: String| TraceError::Open {
        path: p.to_owned(),
        reason,
    };
    let parse = |p: &Path, text: &str| {
        serde_json::from_str::<serde_json::Value>(text).map_err(|e| TraceError::BadJson {
            path: p.to_owned(),
            what: "summary",
            reason: e.to_string(),
        })
    };
    match format {
        TraceFormat::Hdf5 => {
            if !path.exists() {
                return Ok(None);
            }
            let f = hdf5::File::open(path).map_err(|e| open_err(path, e.to_string()))?;
            if !f.link_exists("summary") {
                return Ok(None);
            }
            let read = || -> hdf5::Result<(String, String)> {
                let config = f.attr("config_toml")?.read_scalar::<VarLenUnicode>()?;
                let summary = f.dataset("summary")?.read_scalar::<VarLenUnicode>()?;
                Ok((config.as_str().to_owned(), summary.as_str().to_owned()))
            };
            let (config_toml, summary) = read().map_err(|e| open_err(path, e.to_string()))?;
            Ok(Some(Finished {
                config_toml,
                summary: parse(path, &summary)?,
            }))
        }
        TraceFormat::Csv => {
            let sp = csv_sibling(path, "_summary.json");
            let text = match std::fs::read_to_string(&sp) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(open_err(&sp, e.to_string())),
            };
            let toml = csv_sibling(path, ".toml");
            let config_toml =
                std::fs::read_to_string(&toml).map_err(|e| open_err(&toml, e.to_string()))?;
            let doc = parse(&sp, &text)?;
            Ok(Some(Finished {
                config_toml,
                summary: doc["summary"].clone(),
            }))
        }
        TraceFormat::Jsonl => {
            let file = match std::fs::File::open(path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(open_err(path, e.to_string())),
            };
            let (mut config_toml, mut summary) = (None, None);
            for line in std::io::BufReader::new(file).split(b'\n') {
                let line = line.map_err(|e| open_err(path, e.to_string()))?;
                if line.starts_with(b"{\"record\":\"meta\"") {
                    let v = parse(path, &String::from_utf8_lossy(&line))?;
                    config_toml = v["config_toml"].as_str().map(str::to_owned);
                } else if line.starts_with(b"{\"record\":\"summary\"") {
                    let v = parse(path, &String::from_utf8_lossy(&line))?;
                    summary = Some(v["summary"].clone());
                }
            }
            Ok(match (config_toml, summary) {
                (Some(config_toml), Some(summary)) => Some(Finished {
                    config_toml,
                    summary,
                }),
                _ => None,
            })
        }
    }
}
