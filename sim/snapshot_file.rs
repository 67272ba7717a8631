//! Checkpoint files: a magic tag, then the state in postcard's compact binary form,
//! written atomically (temporary file, fsync, rename).
//!
//! postcard stores no schema, so a checkpoint is read only by the binary that wrote it:
//! each checkpoint carries [`binary_identity`], and its reader ignores one that differs
//! (and then recomputes from the start, which gives the same result, only later).

use anyhow::{Context, Result};
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};

/// "version:size:mtime_ns" of the running executable.
pub fn binary_identity() -> String {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{}:{mtime}", env!("CARGO_PKG_VERSION"), m.len())
        }
        Err(_) => format!("{}:unknown", env!("CARGO_PKG_VERSION")),
    }
}

pub fn save<T: Serialize>(path: &Path, magic: &[u8; 8], value: &T) -> Result<()> {
    let mut bytes = magic.to_vec();
    bytes.extend(postcard::to_stdvec(value).context("serializing a checkpoint")?);
    spikemem_traces::write_atomic(path, bytes)
        .with_context(|| format!("cannot write checkpoint {}", path.display()))
}

/// `Ok(None)`: no file. `Err(why)`: a file that is not a readable checkpoint.
pub fn load<T: DeserializeOwned>(path: &Path, magic: &[u8; 8]) -> Result<Option<T>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let body = bytes
        .strip_prefix(magic)
        .ok_or("not a spikemem checkpoint of this kind")?;
    postcard::from_bytes(body)
        .map(Some)
        .map_err(|e| format!("unreadable ({e})"))
}

/// Where a checkpoint of `out` goes: `<out><suffix>`, in the same folder.
pub fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A checkpoint this binary wrote for `config_toml`. `stamp` gives a checkpoint's
/// (binary identity, config text). `Ok(None)`: no file; `Err(why)`: a file that is
/// unreadable or was written by another build or for another config.
pub fn load_own<T: DeserializeOwned>(
    path: &Path,
    magic: &[u8; 8],
    config_toml: &str,
    stamp: impl Fn(&T) -> (&str, &str),
) -> Result<Option<T>, String> {
    let Some(c) = load::<T>(path, magic)? else {
        return Ok(None);
    };
    let (binary, config) = stamp(&c);
    if binary != binary_identity() {
        Err("written by another spikemem build".into())
    } else if config != config_toml {
        Err("written for another config".into())
    } else {
        Ok(Some(c))
    }
}
