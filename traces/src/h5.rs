//! HDF5 sink: one file, resizable chunked compound datasets, attributes for metadata.

use crate::records::{CommandRecord, Record, SampleRecord, TimestepRecord};
use crate::{unix_now_s, Batch, RunMeta, Sink, TraceError, TraceOptions};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, File, Group, Location};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Attribute on `/timesteps` and `/dram/commands`: rows that belong to samples already in
/// `/samples`. Rows past it are the tail of a sample an interrupted run never finished.
const COMPLETE_ROWS: &str = "complete_rows";

pub(crate) struct H5Sink {
    path: PathBuf,
    /// Deflate level applied when the finished trace is rewritten (0 = none).
    compression_level: u8,
    file: File,
    samples: Dataset,
    timesteps: Option<Dataset>,
    commands: Option<Dataset>,
    finished: bool,
}

/// HDF5's message for a failed system call spans lines and carries buffer addresses;
/// keep the call chain and the OS error text (e.g. "No space left on device").
fn h5_reason(e: &hdf5::Error) -> String {
    let s = e.to_string();
    let cut = [": time =", ": name = '"]
        .iter()
        .filter_map(|m| s.find(m))
        .min();
    let head = cut.map_or(s.as_str(), |i| &s[..i]).trim();
    match s
        .split_once("error message = '")
        .and_then(|(_, r)| r.split_once('\''))
    {
        Some((os, _)) if !head.contains(os) => format!("{head}: {os}"),
        _ => head.to_owned(),
    }
}

fn err(path: &Path, what: &str, e: hdf5::Error) -> TraceError {
    TraceError::Write {
        path: path.to_owned(),
        reason: format!("{what}: {}", h5_reason(&e)),
    }
}

fn set_str_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    if loc.attr(name).is_ok() {
        loc.delete_attr(name)?;
    }
    let v = VarLenUnicode::from_str(value).map_err(|e| hdf5::Error::from(e.to_string()))?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)?
        .write_scalar(&v)
}

fn set_scalar_attr<T: hdf5::H5Type>(loc: &Location, name: &str, value: T) -> hdf5::Result<()> {
    let attr = match loc.attr(name) {
        Ok(a) if a.dtype()?.is::<T>() => a,
        Ok(_) => {
            loc.delete_attr(name)?;
            loc.new_attr::<T>().shape(()).create(name)?
        }
        Err(_) => loc.new_attr::<T>().shape(()).create(name)?,
    };
    attr.write_scalar(&value)
}

fn read_str_attr(loc: &Location, name: &str) -> hdf5::Result<String> {
    Ok(loc
        .attr(name)?
        .read_scalar::<VarLenUnicode>()?
        .as_str()
        .to_owned())
}

/// `/samples` gets at most this many rows a chunk: it receives few rows per flush, and
/// every flush rewrites its last, partial chunk to fresh file space (see `create`).
pub(crate) const SAMPLES_MAX_CHUNK_ROWS: usize = 512;

fn create_file(path: &Path) -> hdf5::Result<File> {
    File::with_options()
        .with_fcpl(|p| p.file_space_strategy(hdf5::file::FileSpaceStrategy::None))
        .create(path)
}

/// Bytes of a finished trace that are old chunk versions (see `create`) before the file
/// is rewritten compactly; below either bound the copy is not worth its time.
const COMPACT_MIN_WASTE_BYTES: u64 = 1 << 20;
const COMPACT_MIN_WASTE_FRACTION: f64 = 0.25;

/// Copies table `name` of `src` into `dst`, deflate-compressed at `level` (0 = as is).
fn copy_table<R: Record>(src: &File, dst: &File, name: &str, level: u8) -> hdf5::Result<()> {
    let Ok(ds) = src.dataset(name) else {
        return Ok(());
    };
    // Rows and attributes are copied by hand, not by H5Ocopy (see `compact`).
    let rows: Vec<R> = ds.read_raw()?;
    let chunk = ds
        .chunk()
        .and_then(|c| c.first().copied())
        .unwrap_or(4096)
        .max(1);
    let builder = dst.new_dataset::<R>().chunk(chunk).shape(0..);
    let out = if level > 0 {
        builder.deflate(level).create(name)?
    } else {
        builder.create(name)?
    };
    out.resize(rows.len())?;
    out.write_raw(&rows)?;
    for a in ds.attr_names()? {
        let attr = ds.attr(&a)?;
        if attr.dtype()?.is::<u64>() {
            set_scalar_attr(&out, &a, attr.read_scalar::<u64>()?)?;
        } else {
            // command_names, units: arrays of strings.
            let v: Vec<VarLenUnicode> = attr.read_raw()?;
            out.new_attr::<VarLenUnicode>()
                .shape(v.len())
                .create(a.as_str())?
                .write(&v)?;
        }
    }
    Ok(())
}

/// Rewrites a finished trace: compressed at `level`, and without the chunk versions
/// that frequent flushes left behind. Copies every object into a temporary file, then
/// renames it over the trace, so a kill during the copy leaves the complete original.
/// Returns whether it did (uncompressed traces with little waste are left as they are).
fn compact(path: &Path, level: u8) -> hdf5::Result<bool> {
    let src = File::open(path)?;
    let mut data = 0;
    for name in ["samples", "timesteps", "dram/commands"] {
        if let Ok(ds) = src.dataset(name) {
            data += ds.storage_size();
        }
    }
    let size = src.size();
    let waste = size.saturating_sub(data);
    if level == 0
        && (waste < COMPACT_MIN_WASTE_BYTES
            || (waste as f64) < COMPACT_MIN_WASTE_FRACTION * size as f64)
    {
        return Ok(false);
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".compact.tmp");
    let tmp = PathBuf::from(tmp);
    let copied = (|| -> hdf5::Result<()> {
        let dst = create_file(&tmp)?;
        // Object copies carry their own attributes; the root's must be copied by hand.
        for name in src.attr_names()? {
            let a = src.attr(&name)?;
            if a.dtype()?.is::<u64>() {
                set_scalar_attr(&dst, &name, a.read_scalar::<u64>()?)?;
            } else {
                set_str_attr(&dst, &name, read_str_attr(&src, &name)?.as_str())?;
            }
        }
        copy_table::<SampleRecord>(&src, &dst, "samples", level)?;
        copy_table::<TimestepRecord>(&src, &dst, "timesteps", level)?;
        // The JSON datasets are written anew, not object-copied: HDF5 1.10's H5Ocopy
        // crashes on variable-length string attributes in dense attribute storage.
        if src.link_exists("summary") {
            write_summary(&dst, &read_json(&src, "summary")?)?;
        }
        if let Ok(g) = src.group("dram") {
            let dram = dst.create_group("dram")?;
            copy_table::<CommandRecord>(&src, &dst, "dram/commands", level)?;
            if g.link_exists("stats") {
                put_json(&dram, "stats", &read_json(&g, "stats")?)?;
            }
        }
        dst.close()
    })();
    drop(src);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| hdf5::Error::from(format!("renaming {}: {e}", tmp.display())))?;
    Ok(true)
}

fn create_table<R: Record>(
    parent: &Group,
    name: &str,
    opts: &TraceOptions,
) -> hdf5::Result<Dataset> {
    let rows = if R::KIND == SampleRecord::KIND {
        opts.chunk_rows.min(SAMPLES_MAX_CHUNK_ROWS)
    } else {
        opts.chunk_rows
    };
    // Uncompressed while the run is live: each flush rewrites the last, partial chunk in
    // place, and uncompressed the rows already flushed keep their bytes, so a kill at
    // any moment leaves them readable. A compressed chunk changes size when rewritten,
    // and a kill between that write and the metadata flush left it undecodable. The
    // finished trace is rewritten compressed (`compact`).
    let _ = opts.compression_level;
    let ds = parent
        .new_dataset::<R>()
        .chunk(rows)
        .shape(0..)
        .create(name)?;
    write_string_array(&ds, "units", R::UNITS)?;
    Ok(ds)
}

/// Opens an existing table and checks it still has this build's record layout, so a
/// resume never appends rows that readers would decode with the old field offsets.
fn open_table<R: Record>(path: &Path, parent: &Group, name: &str) -> Result<Dataset, TraceError> {
    let ds = parent.dataset(name).map_err(|e| TraceError::Open {
        path: path.to_owned(),
        reason: format!("{name}: {}", h5_reason(&e)),
    })?;
    let same = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map(|d| d == R::type_descriptor())
        .unwrap_or(false);
    if !same {
        return Err(TraceError::Incompatible {
            path: path.to_owned(),
            reason: format!(
                "dataset `{name}` has a different record layout than this spikemem build writes"
            ),
        });
    }
    if ds.attr("units").is_err() {
        write_string_array(&ds, "units", R::UNITS).map_err(|e| err(path, "adding units", e))?;
    }
    Ok(ds)
}

fn append<R: Record>(ds: &Dataset, rows: &[R]) -> hdf5::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = ds.shape()[0];
    ds.resize(n + rows.len())?;
    ds.write_slice(rows, n..n + rows.len())
}

impl H5Sink {
    pub(crate) fn create(
        path: &Path,
        meta: &RunMeta,
        opts: &TraceOptions,
    ) -> Result<Self, TraceError> {
        let fail = |e: hdf5::Error| TraceError::Create {
            path: path.to_owned(),
            reason: h5_reason(&e),
        };
        // Default (earliest) file format on purpose: the v1.10 format records "open for
        // writing" in the superblock, and a killed run would then need `h5clear` before
        // h5py could open it.
        // No free-space reuse: a compressed chunk that grows moves to new space, and if
        // its old space were reused before the next flush, a kill would leave the on-disk
        // index pointing at overwritten bytes ("inflate() failed" on read). Costs: old
        // chunk versions stay in the file, and readers need HDF5 >= 1.10.
        let file = create_file(path).map_err(fail)?;
        (|| -> hdf5::Result<Self> {
            set_str_attr(&file, "spikemem_version", &meta.version)?;
            set_str_attr(&file, "config_toml", &meta.config_toml)?;
            set_scalar_attr(&file, "created_unix_s", unix_now_s())?;
            for (k, v) in &meta.extra_attrs {
                set_str_attr(&file, k, v)?;
            }
            let samples = create_table::<SampleRecord>(&file, "samples", opts)?;
            let timesteps = if opts.timesteps {
                let ds = create_table::<TimestepRecord>(&file, "timesteps", opts)?;
                set_scalar_attr(&ds, COMPLETE_ROWS, 0u64)?;
                Some(ds)
            } else {
                None
            };
            let commands = if opts.commands {
                let dram = file.create_group("dram")?;
                let ds = create_table::<CommandRecord>(&dram, "commands", opts)?;
                set_scalar_attr(&ds, COMPLETE_ROWS, 0u64)?;
                write_command_names(&ds, &meta.command_names)?;
                Some(ds)
            } else {
                None
            };
            // A valid, empty trace is on disk before the first record arrives.
            file.flush()?;
            Ok(H5Sink {
                path: path.to_owned(),
                compression_level: opts.compression_level,
                file: file.clone(),
                samples,
                timesteps,
                commands,
                finished: false,
            })
        })()
        .map_err(fail)
    }

    /// Opens a trace for appending; returns the sink and the samples it already holds.
    /// Rows of an unfinished sample are cut so the rerun can write that sample afresh.
    pub(crate) fn resume(
        path: &Path,
        meta: &RunMeta,
        opts: &TraceOptions,
    ) -> Result<(Self, u64), TraceError> {
        let open_err = |e: hdf5::Error| TraceError::Open {
            path: path.to_owned(),
            reason: h5_reason(&e),
        };
        let file = File::open_rw(path).map_err(open_err)?;
        let old_config = read_str_attr(&file, "config_toml").map_err(open_err)?;
        crate::check_same_config(path, &old_config, &meta.config_toml)?;
        let samples = open_table::<SampleRecord>(path, &file, "samples")?;
        let n_samples = samples.shape()[0] as u64;
        let w = |e: hdf5::Error| err(path, "preparing resume", e);

        let cut_to_complete = |ds: &Dataset| -> hdf5::Result<()> {
            let complete = ds.attr(COMPLETE_ROWS)?.read_scalar::<u64>()? as usize;
            if ds.shape()[0] > complete {
                ds.resize(complete)?;
            }
            Ok(())
        };
        let timesteps = if opts.timesteps {
            let ds = if file.link_exists("timesteps") {
                let ds = open_table::<TimestepRecord>(path, &file, "timesteps")?;
                cut_to_complete(&ds).map_err(w)?;
                ds
            } else {
                let ds = create_table::<TimestepRecord>(&file, "timesteps", opts).map_err(w)?;
                set_scalar_attr(&ds, COMPLETE_ROWS, 0u64).map_err(w)?;
                ds
            };
            Some(ds)
        } else {
            None
        };
        let commands = if opts.commands {
            let dram = if file.link_exists("dram") {
                file.group("dram")
            } else {
                file.create_group("dram")
            }
            .map_err(w)?;
            let ds = if dram.link_exists("commands") {
                let ds = open_table::<CommandRecord>(path, &dram, "commands")?;
                cut_to_complete(&ds).map_err(w)?;
                ds
            } else {
                let ds = create_table::<CommandRecord>(&dram, "commands", opts).map_err(w)?;
                set_scalar_attr(&ds, COMPLETE_ROWS, 0u64).map_err(w)?;
                ds
            };
            write_command_names(&ds, &meta.command_names).map_err(w)?;
            Some(ds)
        } else {
            None
        };
        (|| -> hdf5::Result<()> {
            set_scalar_attr(&file, "resumed_unix_s", unix_now_s())?;
            // A resumed trace is unfinished again until its new finish: an old summary
            // would describe fewer samples than the file will hold.
            if file.link_exists("summary") {
                file.unlink("summary")?;
            }
            if file.link_exists("dram") && file.group("dram")?.link_exists("stats") {
                file.unlink("dram/stats")?;
            }
            if file.attr("finished_unix_s").is_ok() {
                file.delete_attr("finished_unix_s")?;
            }
            for (k, v) in &meta.extra_attrs {
                set_str_attr(&file, k, v)?;
            }
            file.flush()
        })()
        .map_err(w)?;
        Ok((
            H5Sink {
                path: path.to_owned(),
                compression_level: opts.compression_level,
                file,
                samples,
                timesteps,
                commands,
                finished: false,
            },
            n_samples,
        ))
    }

    fn append_batch(&mut self, b: &Batch, all_complete: bool) -> hdf5::Result<()> {
        append(&self.samples, &b.samples)?;
        // Each table's complete-row mark moves only when a sample record closed the rows
        // before it (or the run finished), never past a sample that is not yet in /samples.
        if let Some(ds) = &self.timesteps {
            let mark = if all_complete {
                Some(b.timesteps.len())
            } else {
                b.complete.map(|c| c.0)
            };
            append_marked(ds, &b.timesteps, mark)?;
        }
        if let Some(ds) = &self.commands {
            let mark = if all_complete {
                Some(b.commands.len())
            } else {
                b.complete.map(|c| c.1)
            };
            append_marked(ds, &b.commands, mark)?;
        }
        self.file.flush()
    }
}

/// Appends rows and, if `mark` is given, sets the complete-row count to the rows before
/// this batch plus `mark`.
fn append_marked<R: Record>(ds: &Dataset, rows: &[R], mark: Option<usize>) -> hdf5::Result<()> {
    let before = ds.shape()[0];
    append(ds, rows)?;
    match mark {
        Some(m) => set_scalar_attr(ds, COMPLETE_ROWS, (before + m) as u64),
        None => Ok(()),
    }
}

fn write_command_names(ds: &Dataset, names: &[String]) -> hdf5::Result<()> {
    write_string_array(ds, "command_names", names)
}

/// Sets attribute `name` of `ds` to an array of strings (replacing an older one).
fn write_string_array(ds: &Dataset, name: &str, items: &[impl AsRef<str>]) -> hdf5::Result<()> {
    if ds.attr(name).is_ok() {
        ds.delete_attr(name)?;
    }
    let v: Vec<VarLenUnicode> = items
        .iter()
        .map(|n| VarLenUnicode::from_str(n.as_ref()).map_err(|e| hdf5::Error::from(e.to_string())))
        .collect::<hdf5::Result<_>>()?;
    ds.new_attr::<VarLenUnicode>()
        .shape(v.len())
        .create(name)?
        .write(&v)
}

/// `units` of the JSON datasets: the unit is in each key's name.
const JSON_UNITS: &str =
    "JSON text; each number's unit is in its key (_pj, _ns, _cycles, _gb_per_s, _bytes, ...)";

/// Writes `/summary`: the JSON text, its top-level scalars mirrored as attributes (so
/// `f['summary'].attrs['accuracy']` works without parsing JSON; nested values stay in
/// the text only).
fn write_summary(file: &Group, json: &str) -> hdf5::Result<()> {
    let ds = put_json(file, "summary", json)?;
    let summary: serde_json::Value =
        serde_json::from_str(json).map_err(|e| hdf5::Error::from(e.to_string()))?;
    if let Some(obj) = summary.as_object() {
        for (k, v) in obj {
            match v {
                serde_json::Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        set_scalar_attr(&ds, k, i)?
                    } else if let Some(u) = n.as_u64() {
                        set_scalar_attr(&ds, k, u)?
                    } else if let Some(f) = n.as_f64() {
                        set_scalar_attr(&ds, k, f)?
                    }
                }
                serde_json::Value::Bool(b) => set_scalar_attr(&ds, k, *b)?,
                serde_json::Value::String(s) => set_str_attr(&ds, k, s)?,
                _ => {}
            }
        }
    }
    Ok(())
}

fn read_json(group: &Group, name: &str) -> hdf5::Result<String> {
    Ok(group
        .dataset(name)?
        .read_scalar::<VarLenUnicode>()?
        .as_str()
        .to_owned())
}

/// Stores a JSON text as a scalar string dataset at `name`, replacing an older one.
fn put_json(group: &Group, name: &str, json: &str) -> hdf5::Result<Dataset> {
    if group.link_exists(name) {
        group.unlink(name)?;
    }
    let v = VarLenUnicode::from_str(json).map_err(|e| hdf5::Error::from(e.to_string()))?;
    let ds = group
        .new_dataset::<VarLenUnicode>()
        .shape(())
        .create(name)?;
    ds.write_scalar(&v)?;
    set_str_attr(&ds, "units", JSON_UNITS)?;
    Ok(ds)
}

impl Sink for H5Sink {
    fn append(&mut self, b: &Batch, all_complete: bool) -> Result<(), TraceError> {
        self.append_batch(b, all_complete)
            .map_err(|e| err(&self.path, "appending rows", e))
    }

    fn finish(
        &mut self,
        summary: &serde_json::Value,
        dram_stats: &serde_json::Value,
    ) -> Result<(), TraceError> {
        (|| -> hdf5::Result<()> {
            write_summary(&self.file, &summary.to_string())?;
            let dram = if self.file.link_exists("dram") {
                self.file.group("dram")?
            } else {
                self.file.create_group("dram")?
            };
            put_json(&dram, "stats", &dram_stats.to_string())?;
            set_scalar_attr(&self.file, "finished_unix_s", unix_now_s())?;
            self.file.flush()
        })()
        .map_err(|e| err(&self.path, "writing summary", e))?;
        self.finished = true;
        Ok(())
    }

    fn close(self: Box<Self>) -> Result<(), TraceError> {
        let H5Sink {
            path,
            compression_level,
            file,
            samples,
            timesteps,
            commands,
            finished,
        } = *self;
        drop((samples, timesteps, commands));
        file.close().map_err(|e| err(&path, "closing", e))?;
        // Only a finished trace: a rerun appends to an unfinished one, which would
        // redo the copy each time. A failed copy loses nothing (the original is
        // complete and in place), so it is reported but not an error of the run.
        if finished {
            if let Err(e) = compact(&path, compression_level) {
                eprintln!(
                    "spikemem-traces: left {} uncompacted: {}",
                    path.display(),
                    h5_reason(&e)
                );
            }
        }
        Ok(())
    }
}
