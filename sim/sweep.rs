//! Design-space sweeps: a sweep file names config keys and the values to try; every
//! point (one value per key: the grid of all combinations, or the keys zipped) runs as
//! its own `spikemem run` or `spikemem dram` process, so a crash stays in its point and
//! the points share nothing. Worker threads (crossbeam) keep `--jobs` of them running.
//!
//! Each point writes into `OUT/pNNNN/`: `point.toml` (its overrides), the command's
//! JSON (`summary.json` for run, `stats.json` for dram), its trace (run) and `log.txt`.
//! A point whose JSON exists is done: a rerun skips it (and an interrupted run point
//! resumes its trace). `--shard I/N` takes every N-th point, so N cluster jobs split a
//! sweep; any invocation (or `--collect`) gathers the finished points into
//! `OUT/results.csv` and `OUT/results.jsonl`.
//!
//! `run` points whose configs train the same network (same `[snn]` table and training
//! data, no `system.model`) share one model: it is trained once by `spikemem train` into
//! `OUT/models/mNN.h5` before the points run, and each point loads it. A network
//! trained in the run and the same network loaded from its saved model give the same
//! results, so sharing only saves the training time.
//!
//! Invariants (bounds: README "Input bounds"):
//! - Points are never expanded up front: point i is computed from its index (grid:
//!   mixed radix over the axis lengths, the last key fastest; zip: the i-th value of
//!   every axis), so memory does not grow with the point count. A sweep of more than
//!   [`MAX_POINTS`] points is refused (exit 2, naming the file and the count).
//! - Before anything runs, points are checked as their command would check them (config,
//!   DRAM standard and voltage table lookup, SNN memory budget, files named), without
//!   simulating: every point up to [`FULL_CHECK_POINTS`]; above, one point for every
//!   distinct combination of the values of the keys of each top-level table (a
//!   table's combinations above the bound: every value of each of its keys).
//! - Whole-file outputs (`point.toml`, `results.csv`, `results.jsonl`, shared models)
//!   are written atomically (`spikemem_traces::write_atomic`, `PendingFile`).

use crate::cli::SweepArgs;
use crate::config;
use crate::error::input_error;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use spikemem_traces::{write_atomic, PendingFile};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Sweeps with more points than this are refused: each point is a process and a
/// directory; a million is already weeks of cluster time.
pub const MAX_POINTS: usize = 1_000_000;

/// Up to this many points, every point is checked before the sweep runs (about 1 ms
/// each, mostly TOML parsing: 10,000 points take 9 s on a loaded 2-core machine);
/// above, one point per distinct per-table combination (see the module doc).
pub const FULL_CHECK_POINTS: usize = 10_000;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum SweepCommand {
    #[default]
    Run,
    Dram,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    /// Every combination of the axes' values.
    #[default]
    Grid,
    /// The i-th value of every axis together (all axes the same length).
    Zip,
}

/// The sweep file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    /// `run` (the accelerator) or `dram` (the DRAM subsystem alone).
    #[serde(default)]
    command: SweepCommand,
    /// Base config: a path (relative to the sweep file) or a preset name; default the
    /// embedded default.
    config: Option<String>,
    /// Overrides common to every point, as `--set` takes them.
    #[serde(default)]
    set: Vec<String>,
    /// More arguments for the command (e.g. `["--synthetic", "random"]` for dram).
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    mode: Mode,
    /// `run` points that train the same network share one trained model (default true).
    #[serde(default = "yes")]
    share_model: bool,
    /// Config key -> values; nested tables name keys by their path.
    axes: toml::Table,
}

fn yes() -> bool {
    true
}

/// Per point, the index of its shared model (if any); per model, its file name and the
/// first point that trains it.
pub type SharedModels = (Vec<Option<usize>>, Vec<(String, usize)>);

/// A sweep as loaded: its axes and how to run them; points are computed from their index.
#[derive(Debug)]
pub struct Sweep {
    source: String,
    command: SweepCommand,
    config: Option<String>,
    set: Vec<String>,
    args: Vec<String>,
    share_model: bool,
    mode: Mode,
    /// Axis keys, in the order the points vary them (sorted; the last varies fastest).
    pub keys: Vec<String>,
    /// Per key, its values.
    values: Vec<Vec<toml::Value>>,
    /// Number of points.
    len: usize,
}

impl Sweep {
    pub fn load(path: &Path) -> Result<Sweep> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| input_error(format!("sweep file {source}: {e}")))?;
        let f: SweepFile =
            toml::from_str(&text).map_err(|e| input_error(format!("sweep file {source}: {e}")))?;
        let mut axes = Vec::new();
        flatten_axes(&f.axes, "", &mut axes, &source)?;
        if axes.is_empty() {
            return Err(input_error(format!(
                "sweep file {source}: [axes] names no key; accepted: `\"dram.vdd\" = [1.35, 1.2]` \
                 or nested tables such as `[axes.dram] vdd = [1.35, 1.2]`"
            )));
        }
        let (keys, values): (Vec<String>, Vec<Vec<toml::Value>>) = axes.into_iter().unzip();
        let len = match f.mode {
            Mode::Grid => {
                let n = values
                    .iter()
                    .try_fold(1usize, |a, v| a.checked_mul(v.len()))
                    .filter(|&n| n <= MAX_POINTS);
                let Some(n) = n else {
                    let sizes: Vec<String> = values.iter().map(|v| v.len().to_string()).collect();
                    let total = values
                        .iter()
                        .fold(1u128, |a, v| a.saturating_mul(v.len() as u128));
                    return Err(input_error(format!(
                        "sweep file {source}: the grid has {total} points ({}); accepted: at \
                         most {MAX_POINTS} points per sweep (split it into several sweep files, \
                         or use mode = \"zip\")",
                        sizes.join(" x ")
                    )));
                };
                n
            }
            Mode::Zip => {
                let n = values[0].len();
                if let Some(k) = values.iter().position(|v| v.len() != n) {
                    return Err(input_error(format!(
                        "sweep file {source}: mode = \"zip\" needs every axis as long as `{}` \
                         ({n} values); `{}` has {}",
                        keys[0],
                        keys[k],
                        values[k].len()
                    )));
                }
                if n > MAX_POINTS {
                    return Err(input_error(format!(
                        "sweep file {source}: {n} points; accepted: at most {MAX_POINTS} points \
                         per sweep"
                    )));
                }
                n
            }
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        let config = f.config.map(|c| {
            let p = dir.join(&c);
            if p.exists() {
                p.display().to_string()
            } else {
                c // a preset name
            }
        });
        Ok(Sweep {
            source,
            command: f.command,
            config,
            set: f.set,
            args: f.args,
            share_model: f.share_model,
            mode: f.mode,
            keys,
            values,
            len,
        })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// A sweep has at least one point (checked by `load`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Which value of each axis point `i` takes (`i < len()`): grid, mixed radix over
    /// the axis lengths with the last axis fastest; zip, the i-th of every axis.
    fn value_indices(&self, i: usize) -> Vec<usize> {
        match self.mode {
            Mode::Zip => vec![i; self.keys.len()],
            Mode::Grid => {
                let mut rest = i;
                let mut idx = vec![0; self.keys.len()];
                for (k, v) in self.values.iter().enumerate().rev() {
                    idx[k] = rest % v.len();
                    rest /= v.len();
                }
                idx
            }
        }
    }

    /// Point `i`'s values, one per key.
    pub fn point(&self, i: usize) -> Vec<&toml::Value> {
        self.value_indices(i)
            .into_iter()
            .zip(&self.values)
            .map(|(j, v)| &v[j])
            .collect()
    }

    /// The `--set` overrides of point `i`: the common ones, then its axis values.
    pub fn sets(&self, i: usize) -> Vec<String> {
        let mut s = self.set.clone();
        for (k, v) in self.keys.iter().zip(self.point(i)) {
            s.push(format!("{k}={v}"));
        }
        s
    }

    /// Point `i`'s config, checked as its command would check it, without simulating.
    fn check_point(&self, i: usize) -> Result<config::Loaded> {
        let loaded = config::load(self.config.as_deref(), &self.sets(i))?;
        let c = &loaded.config;
        // The DRAM as the command builds it: standard, timing overrides, the voltage
        // table lookup at dram.vdd, the controller's own checks.
        let rd = crate::dram_setup::resolve_dram(&c.dram, &loaded.base_dir)?;
        spikemem_arch::dram::controller::MemorySystem::new(&c.dram, &rd.standard)
            .map_err(|e| input_error(format!("{}: {e}", loaded.source)))?;
        if self.command == SweepCommand::Run {
            let d = &c.data;
            for (key, f) in [
                ("data.train_images", &d.train_images),
                ("data.train_labels", &d.train_labels),
                ("data.test_images", &d.test_images),
                ("data.test_labels", &d.test_labels),
                ("system.model", &c.system.model),
            ] {
                if !f.is_empty() && !f.starts_with("builtin:") && !loaded.base_dir.join(f).exists()
                {
                    return Err(input_error(format!(
                        "{key}: `{}` does not exist",
                        loaded.base_dir.join(f).display()
                    )));
                }
            }
        }
        Ok(loaded)
    }

    /// The points whose check covers the sweep: all up to [`FULL_CHECK_POINTS`]; above,
    /// for each top-level table, the first point of every distinct combination of its
    /// keys' values (of every value of each key, when a table has more combinations
    /// than the bound), in index order.
    fn points_to_check(&self) -> Vec<usize> {
        if self.len <= FULL_CHECK_POINTS {
            return (0..self.len).collect();
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut table_of: HashMap<&str, usize> = HashMap::new();
        for (k, key) in self.keys.iter().enumerate() {
            let table = key.split('.').next().unwrap_or(key);
            let g = *table_of.entry(table).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(k);
        }
        // Split a table with too many combinations into its keys.
        let combos = |g: &[usize]| -> usize {
            match self.mode {
                Mode::Zip => self.len,
                Mode::Grid => g
                    .iter()
                    .try_fold(1usize, |a, &k| a.checked_mul(self.values[k].len()))
                    .unwrap_or(usize::MAX),
            }
        };
        let groups: Vec<Vec<usize>> = groups
            .into_iter()
            .flat_map(|g| {
                if combos(&g) <= FULL_CHECK_POINTS {
                    vec![g]
                } else {
                    g.into_iter().map(|k| vec![k]).collect()
                }
            })
            .collect();
        let mut seen: Vec<HashSet<Vec<String>>> = vec![HashSet::new(); groups.len()];
        let mut out = Vec::new();
        for i in 0..self.len {
            let p = self.point(i);
            let mut new = false;
            for (g, s) in groups.iter().zip(&mut seen) {
                new |= s.insert(g.iter().map(|&k| p[k].to_string()).collect());
            }
            if new {
                out.push(i);
            }
        }
        out
    }

    /// Check the sweep's points before anything runs (see [`points_to_check`]): a bad
    /// key or value, a DRAM voltage outside its table, a network that does not fit, a
    /// missing file is reported with the sweep file and the point, and nothing starts.
    pub fn validate(&self) -> Result<()> {
        for i in self.points_to_check() {
            self.check_point(i).map_err(|e| {
                input_error(format!(
                    "sweep file {}: point {i} ({}): {e:#}",
                    self.source,
                    self.describe(i)
                ))
            })?;
        }
        Ok(())
    }

    fn describe(&self, i: usize) -> String {
        self.keys
            .iter()
            .zip(self.point(i))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn output_name(&self) -> &'static str {
        match self.command {
            SweepCommand::Run => "summary.json",
            SweepCommand::Dram => "stats.json",
        }
    }

    /// Which points share a trained model: per point, the index of its model in the
    /// returned list of (model file name, the first point that trains it). Points that
    /// train a network no other point trains keep training their own (no model).
    ///
    /// What training reads is fixed by the axes [`trains`] names: points are grouped by
    /// those values first, and only a group of two or more points has its config loaded
    /// (once) to tell what it trains.
    pub fn shared_models(&self) -> Result<SharedModels> {
        let n = self.len;
        if self.command != SweepCommand::Run || !self.share_model {
            return Ok((vec![None; n], Vec::new()));
        }
        let axes = |f: fn(&str) -> bool| -> Vec<usize> {
            (0..self.keys.len()).filter(|&k| f(&self.keys[k])).collect()
        };
        let (training, deployment) = (axes(trains), axes(places_weights));
        // Group points by their training axes' values; a group whose config trains with
        // FAT is split further by the axes that place the weights (its fault map).
        let values = |i: usize, ks: &[usize]| -> Vec<String> {
            let p = self.point(i);
            ks.iter().map(|&k| p[k].to_string()).collect()
        };
        let mut groups: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        let mut order: Vec<Vec<String>> = Vec::new();
        for i in 0..n {
            let t = values(i, &training);
            groups
                .entry(t.clone())
                .or_insert_with(|| {
                    order.push(t);
                    Vec::new()
                })
                .push(i);
        }
        let mut units: Vec<Vec<usize>> = Vec::new();
        for t in &order {
            let points = &groups[t];
            let fat = points.len() > 1
                && config::load(self.config.as_deref(), &self.sets(points[0]))?
                    .config
                    .fat
                    .enabled;
            if !fat || deployment.is_empty() {
                units.push(points.clone());
                continue;
            }
            let mut sub: HashMap<Vec<String>, usize> = HashMap::new();
            for &i in points {
                let d = values(i, &deployment);
                let u = *sub.entry(d).or_insert_with(|| {
                    units.push(Vec::new());
                    units.len() - 1
                });
                units[u].push(i);
            }
        }
        // What each unit trains: the network and learning config, the training data
        // (paths as resolved against the config's directory), and with FAT the
        // deployment (its fault map).
        let mut key_of: Vec<Option<String>> = vec![None; units.len()];
        let mut count: HashMap<String, usize> = HashMap::new();
        for (u, points) in units.iter().enumerate().filter(|(_, p)| p.len() > 1) {
            let l = config::load(self.config.as_deref(), &self.sets(points[0]))?;
            let (c, d) = (&l.config, &l.config.data);
            if !c.system.model.is_empty() {
                continue;
            }
            let fat = c.fat.enabled.then(|| {
                json!({
                    "fat": serde_json::to_value(&c.fat).unwrap_or(Value::Null),
                    "dram": placing_dram(&c.dram),
                    "system": serde_json::to_value(&c.system).unwrap_or(Value::Null),
                    "encoding": serde_json::to_value(&c.encoding).unwrap_or(Value::Null),
                })
            });
            let key = json!({
                "fat": fat,
                "snn": serde_json::to_value(&c.snn).unwrap_or(Value::Null),
                "dataset": serde_json::to_value(d.dataset).unwrap_or(Value::Null),
                "images": d.train_images,
                "labels": d.train_labels,
                "samples": d.train_samples,
                "dir": l.base_dir.display().to_string(),
            })
            .to_string();
            *count.entry(key.clone()).or_default() += points.len();
            key_of[u] = Some(key);
        }
        let mut models: Vec<(String, usize)> = Vec::new();
        let mut of_key: HashMap<&str, usize> = HashMap::new();
        let mut which = vec![None; n];
        let mut unit_of = vec![0usize; n];
        for (u, points) in units.iter().enumerate() {
            for &i in points {
                unit_of[i] = u;
            }
        }
        for i in 0..n {
            let Some(k) = key_of[unit_of[i]].as_deref().filter(|k| count[*k] > 1) else {
                continue;
            };
            let m = *of_key.entry(k).or_insert_with(|| {
                models.push((format!("m{:02}.h5", models.len()), i));
                models.len() - 1
            });
            which[i] = Some(m);
        }
        Ok((which, models))
    }

    /// `spikemem SUBCOMMAND` with point `i`'s base config and overrides.
    fn invocation(&self, subcommand: &str, i: usize) -> Vec<String> {
        let mut a = vec![subcommand.to_string()];
        if let Some(c) = &self.config {
            a.extend(["--config".into(), c.clone()]);
        }
        for s in self.sets(i) {
            a.extend(["--set".into(), s]);
        }
        a
    }

    /// The command line that trains, into `path`, the network point `first` would train.
    fn train_args(&self, first: usize, path: &Path) -> Vec<String> {
        let mut a = self.invocation("train", first);
        a.extend(["--out".into(), path.display().to_string()]);
        a
    }

    /// The command line of point `i`, writing into `dir`, loading `model` if it shares one.
    fn command_args(&self, i: usize, dir: &Path, model: Option<&Path>) -> Vec<String> {
        let subcommand = match self.command {
            SweepCommand::Run => "run",
            SweepCommand::Dram => "dram",
        };
        let mut a = self.invocation(subcommand, i);
        if let Some(m) = model {
            let v = toml::Value::String(m.display().to_string());
            a.extend(["--set".into(), format!("system.model={v}")]);
        }
        let out = dir.join(self.output_name()).display().to_string();
        match self.command {
            SweepCommand::Run => a.extend([
                "--json".into(),
                out,
                "--out".into(),
                dir.join("trace.h5").display().to_string(),
            ]),
            SweepCommand::Dram => a.extend(["--out".into(), out]),
        }
        a.extend(self.args.iter().cloned());
        a
    }

    /// `point.toml`: what point `i` is, so a rerun can tell its directory apart from
    /// another sweep's.
    fn point_toml(&self, i: usize) -> String {
        let mut t = toml::Table::new();
        t.insert("point".into(), toml::Value::Integer(i as i64));
        let mut vals = toml::Table::new();
        for (k, v) in self.keys.iter().zip(self.point(i)) {
            vals.insert(k.clone(), v.clone());
        }
        t.insert("values".into(), toml::Value::Table(vals));
        t.insert(
            "set".into(),
            toml::Value::Array(self.set.iter().cloned().map(toml::Value::String).collect()),
        );
        toml::to_string(&t).unwrap_or_default()
    }
}

/// Whether an axis key can change what a point trains: `[snn]`, the training data,
/// `system.model`, `[fat]` (or a whole table holding them).
fn trains(key: &str) -> bool {
    matches!(
        key,
        "snn"
            | "data"
            | "system"
            | "fat"
            | "data.dataset"
            | "data.train_images"
            | "data.train_labels"
            | "data.train_samples"
            | "system.model"
    ) || key.starts_with("snn.")
        || key.starts_with("fat.")
}

/// `[dram]` keys that do not move the weights or their weak cells' locations (FAT takes
/// its BERs and error model from `[fat]`; the supply voltage changes timing and energy).
const DRAM_KEYS_NOT_PLACING: [&str; 4] = ["vdd", "voltage_table", "ber", "error_model"];

/// `[dram]` without the keys that do not place the weights.
fn placing_dram(dram: &spikemem_arch::dram::DramConfig) -> Value {
    let mut d = serde_json::to_value(dram).unwrap_or(Value::Null);
    if let Some(o) = d.as_object_mut() {
        for k in DRAM_KEYS_NOT_PLACING {
            o.remove(k);
        }
    }
    d
}

/// Whether an axis key can change where the weights sit in DRAM, hence the fault map
/// fault-aware training learns on.
fn places_weights(key: &str) -> bool {
    if let Some(k) = key.strip_prefix("dram.") {
        return !DRAM_KEYS_NOT_PLACING.contains(&k);
    }
    ["dram", "system", "encoding"]
        .iter()
        .any(|t| key == *t || key.starts_with(&format!("{t}.")))
}

/// Axis keys and values from `[axes]`: a key's value is an array of values, or a table
/// whose entries extend the key path.
fn flatten_axes(
    t: &toml::Table,
    prefix: &str,
    out: &mut Vec<(String, Vec<toml::Value>)>,
    source: &str,
) -> Result<()> {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Array(a) if !a.is_empty() => out.push((key, a.clone())),
            toml::Value::Table(sub) => flatten_axes(sub, &key, out, source)?,
            _ => {
                return Err(input_error(format!(
                    "sweep file {source}: axis `{key}` = {v}: accepted: a non-empty array of \
                     values, e.g. `\"{key}\" = [1, 2]`"
                )))
            }
        }
    }
    Ok(())
}

/// `I/N`: shard I (0-based) of N.
fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let bad = || {
        input_error(format!(
            "--shard {s}: accepted: I/N with 0 <= I < N, e.g. --shard 0/4"
        ))
    };
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Leaves of a JSON object as dotted keys (arrays left out: per-bank and per-sample lists
/// do not fit one row).
fn flatten_json(v: &Value, prefix: &str, out: &mut Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_json(x, &key, out);
            }
        }
        Value::Array(_) => {}
        _ => {
            out.insert(prefix.to_string(), v.clone());
        }
    }
}

fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Gather the finished points into `results.csv` and `results.jsonl`: one row per point,
/// its axis values, then every scalar of its JSON. Returns how many points are done.
fn collect(sweep: &Sweep, out: &Path) -> Result<usize> {
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    let mut metric_keys = std::collections::BTreeSet::new();
    for i in 0..sweep.len() {
        let p = point_dir(out, i).join(sweep.output_name());
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "cannot parse {} (delete it to rerun the point)",
                p.display()
            )
        })?;
        let mut flat = Map::new();
        flatten_json(&v, "", &mut flat);
        metric_keys.extend(flat.keys().cloned());
        let mut row = Map::new();
        row.insert("point".into(), json!(i));
        for (k, x) in sweep.keys.iter().zip(sweep.point(i)) {
            row.insert(k.clone(), toml_to_json(x));
        }
        for (k, x) in flat {
            row.entry(format!("result.{k}")).or_insert(x);
        }
        rows.push(row);
    }
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(sweep.keys.iter().cloned());
    header.extend(metric_keys.iter().map(|k| format!("result.{k}")));
    let mut csv = header.join(",") + "\n";
    let mut jsonl = String::new();
    for r in &rows {
        let cells: Vec<String> = header
            .iter()
            .map(|h| r.get(h).map(csv_cell).unwrap_or_default())
            .collect();
        csv += &(cells.join(",") + "\n");
        jsonl += &(Value::Object(r.clone()).to_string() + "\n");
    }
    for (name, text) in [("results.csv", csv), ("results.jsonl", jsonl)] {
        let p = out.join(name);
        write_atomic(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(rows.len())
}

fn point_dir(out: &Path, i: usize) -> PathBuf {
    out.join(format!("p{i:04}"))
}

/// Run `exe args` as a child process logging to `log_path`; Ok(false) when it failed
/// (its log says why).
fn run_child(exe: &Path, args: &[String], log_path: &Path) -> Result<bool> {
    let log = std::fs::File::create(log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let err = log.try_clone()?;
    let status = std::process::Command::new(exe)
        .args(args)
        .stdout(log)
        .stderr(err)
        .status()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    Ok(status.success())
}

/// Train a shared model: into a temporary file first (`PendingFile`: hidden, unique per
/// process and write), renamed over `path` only when training succeeded, so a model file
/// that exists is complete (a rerun skips it; concurrent shards each write a whole one).
fn train_model(sweep: &Sweep, first: usize, path: &Path, exe: &Path) -> Result<bool> {
    let part = PendingFile::new(path);
    let ok = run_child(
        exe,
        &sweep.train_args(first, part.tmp_path()),
        &path.with_extension("log"),
    )?;
    if ok {
        part.commit()
            .with_context(|| format!("cannot commit the trained model {}", path.display()))?;
    }
    // Otherwise dropping `part` removes a partial model (e.g. a full disk).
    Ok(ok)
}

/// Run `f` on every item on `jobs` worker threads; the items it failed, with why (empty:
/// see its log).
fn run_jobs(
    items: &[usize],
    jobs: usize,
    pb: &indicatif::ProgressBar,
    f: impl Fn(usize) -> Result<bool> + Sync,
) -> Result<Vec<(usize, String)>> {
    let (tx, rx) = crossbeam::channel::unbounded::<usize>();
    for &i in items {
        tx.send(i).ok();
    }
    drop(tx);
    crossbeam::thread::scope(|s| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let (rx, f) = (rx.clone(), &f);
                s.spawn(move |_| {
                    let mut failed = Vec::new();
                    for i in rx.iter() {
                        match f(i) {
                            Ok(true) => {}
                            Ok(false) => failed.push((i, String::new())),
                            Err(e) => failed.push((i, format!("{e:#}"))),
                        }
                        pb.inc(1);
                    }
                    failed
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
    .map_err(|_| anyhow::anyhow!("a sweep worker thread panicked"))
}

pub fn cmd_sweep(a: &SweepArgs) -> Result<()> {
    let sweep = Sweep::load(&a.sweep)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a
            .sweep
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("sweep");
        PathBuf::from(format!("{stem}-sweep"))
    });
    let (shard, shards) = match &a.shard {
        Some(s) => parse_shard(s)?,
        None => (0, 1),
    };
    let mine: Vec<usize> = (0..sweep.len()).filter(|i| i % shards == shard).collect();
    if a.collect {
        let n = collect(&sweep, &out)?;
        println!(
            "{n} of {} points done; results in {}",
            sweep.len(),
            out.join("results.csv").display()
        );
        return Ok(());
    }
    sweep.validate()?;
    let (model_of, models) = sweep.shared_models()?;
    let models_dir = std::env::current_dir()
        .map(|d| d.join(&out))
        .unwrap_or_else(|_| out.clone())
        .join("models");
    let model_path = |i: usize| model_of[i].map(|m| models_dir.join(&models[m].0));
    if a.dry_run {
        for (name, first) in &models {
            let path = models_dir.join(name);
            println!(
                "{name}: spikemem {}",
                sweep.train_args(*first, &path).join(" ")
            );
        }
        for &i in &mine {
            println!(
                "p{i:04}: spikemem {}",
                sweep
                    .command_args(i, &point_dir(&out, i), model_path(i).as_deref())
                    .join(" ")
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&out)
        .map_err(|e| input_error(format!("--out {}: {e}", out.display())))?;
    // Points already done are skipped; a directory holding another sweep's point is an
    // error rather than silently mixed results.
    let mut todo = Vec::new();
    for &i in &mine {
        let dir = point_dir(&out, i);
        let desc = sweep.point_toml(i);
        let pt = dir.join("point.toml");
        match std::fs::read_to_string(&pt) {
            Ok(old) if old != desc => {
                return Err(input_error(format!(
                    "{} holds another point than point {i} of {} ({}); use another --out or \
                     delete that directory",
                    dir.display(),
                    sweep.source,
                    sweep.describe(i)
                )))
            }
            Ok(_) if dir.join(sweep.output_name()).exists() => continue,
            _ => {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                write_atomic(&pt, desc)
                    .with_context(|| format!("cannot write {}", pt.display()))?;
                todo.push(i);
            }
        }
    }
    let skipped = mine.len() - todo.len();
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    eprintln!(
        "{}: {} points ({} in this shard), {skipped} already done, running {} on {} jobs",
        sweep.source,
        sweep.len(),
        mine.len(),
        todo.len(),
        jobs
    );
    let exe = std::env::current_exe().context("cannot find the spikemem executable")?;
    // The shared models the remaining points need, trained first (a rerun keeps those
    // already trained).
    let mut train: Vec<usize> = todo.iter().filter_map(|&i| model_of[i]).collect();
    train.sort_unstable();
    train.dedup();
    train.retain(|&m| !models_dir.join(&models[m].0).exists());
    if !train.is_empty() {
        std::fs::create_dir_all(&models_dir)
            .with_context(|| format!("cannot create {}", models_dir.display()))?;
        eprintln!(
            "training {} shared model(s) in {}",
            train.len(),
            models_dir.display()
        );
    }
    let pb = crate::progress::bar((train.len() + todo.len()) as u64, "sweep");
    let untrained = run_jobs(&train, jobs, &pb, |m| {
        train_model(&sweep, models[m].1, &models_dir.join(&models[m].0), &exe)
    })?;
    let mut failed = run_jobs(&todo, jobs, &pb, |i| match model_path(i) {
        Some(m) if !m.exists() => Err(anyhow::anyhow!(
            "its shared model {} did not train (see {})",
            m.display(),
            m.with_extension("log").display()
        )),
        model => {
            let dir = point_dir(&out, i);
            run_child(
                &exe,
                &sweep.command_args(i, &dir, model.as_deref()),
                &dir.join("log.txt"),
            )
        }
    })?;
    pb.finish_and_clear();
    failed.sort_unstable();
    for (m, _) in &untrained {
        eprintln!(
            "shared model {} failed to train: see {}",
            models[*m].0,
            models_dir
                .join(&models[*m].0)
                .with_extension("log")
                .display()
        );
    }
    let done = collect(&sweep, &out)?;
    println!(
        "{done} of {} points done; results in {}",
        sweep.len(),
        out.join("results.csv").display()
    );
    if !failed.is_empty() {
        let list: Vec<String> = failed
            .iter()
            .map(|(i, e)| {
                let log = point_dir(&out, *i).join("log.txt");
                if e.is_empty() {
                    format!("p{i:04} (see {})", log.display())
                } else {
                    format!("p{i:04}: {e}")
                }
            })
            .collect();
        anyhow::bail!(
            "{} of {} points failed: {}; rerun to retry them",
            failed.len(),
            todo.len(),
            list.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("s.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn grid_and_zip_points() {
        let d = tempfile::tempdir().unwrap();
        let s = Sweep::load(&write(
            d.path(),
            "[axes]\n\"dram.vdd\" = [1.35, 1.2]\n[axes.dram]\nrow_policy = [\"open\", \"closed\", \"timeout\"]\n",
        ))
        .unwrap();
        assert_eq!(s.keys, ["dram.row_policy", "dram.vdd"]);
        assert_eq!(s.len(), 6);
        assert_eq!(s.sets(5), ["dram.row_policy=\"timeout\"", "dram.vdd=1.2"]);
        let z = Sweep::load(&write(
            d.path(),
            "mode = \"zip\"\nset = [\"dram.refresh=false\"]\n[axes]\n\"dram.vdd\" = [1.35, 1.2]\n\"dram.ranks\" = [1, 2]\n",
        ))
        .unwrap();
        assert_eq!(z.len(), 2);
        assert_eq!(
            z.sets(1),
            ["dram.refresh=false", "dram.ranks=2", "dram.vdd=1.2"]
        );
        let e = Sweep::load(&write(
            d.path(),
            "mode = \"zip\"\n[axes]\n\"dram.vdd\" = [1.35, 1.2]\n\"dram.ranks\" = [1]\n",
        ))
        .unwrap_err();
        assert!(format!("{e:#}").contains("dram.ranks"), "{e:#}");
    }

    #[test]
    fn bad_sweeps_are_named() {
        let d = tempfile::tempdir().unwrap();
        let e = Sweep::load(&write(d.path(), "[axes]\n\"dram.vdd\" = 1.2\n")).unwrap_err();
        assert!(format!("{e:#}").contains("dram.vdd"), "{e:#}");
        let e = Sweep::load(&write(d.path(), "comand = \"run\"\n[axes]\nx = [1]\n")).unwrap_err();
        assert!(format!("{e:#}").contains("comand"), "{e:#}");
        let s = Sweep::load(&write(d.path(), "[axes]\n\"dram.sheduler\" = [\"fcfs\"]\n")).unwrap();
        let e = s.validate().unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("s.toml") && msg.contains("sheduler"), "{msg}");
        assert!(parse_shard("1/0").is_err() && parse_shard("2/2").is_err());
        assert_eq!(parse_shard("1/3").unwrap(), (1, 3));
    }

    #[test]
    fn points_training_the_same_network_share_a_model() {
        let d = tempfile::tempdir().unwrap();
        let models = |text: &str| {
            let s = Sweep::load(&write(d.path(), text)).unwrap();
            s.shared_models().unwrap()
        };
        // DRAM keys only: one network, one model for all.
        let (of, m) = models("[axes]\n\"dram.vdd\" = [1.2, 1.1, 1.0]\n");
        assert_eq!(of, [Some(0), Some(0), Some(0)]);
        assert_eq!(m, [("m00.h5".to_string(), 0)]);
        // A network key and a DRAM key: one model per network (keys in sorted order, the
        // last, snn.n_excitatory, varying fastest).
        let (of, m) =
            models("[axes]\n\"snn.n_excitatory\" = [10, 20]\n\"dram.vdd\" = [1.2, 1.1]\n");
        assert_eq!(of, [Some(0), Some(1), Some(0), Some(1)]);
        assert_eq!(m, [("m00.h5".to_string(), 0), ("m01.h5".to_string(), 1)]);
        // Training data count too; a network no other point trains trains in its run.
        let (of, m) = models("[axes]\n\"data.train_samples\" = [100, 200]\n");
        assert_eq!((of, m.len()), (vec![None, None], 0));
        let (of, _) = models(
            "mode = \"zip\"\n[axes]\n\"data.train_samples\" = [100, 100, 200]\n\"dram.vdd\" = [1.2, 1.1, 1.0]\n",
        );
        assert_eq!(of, [Some(0), Some(0), None]);
        // Test-set size is no training input.
        let (of, _) = models("[axes]\n\"data.test_samples\" = [10, 20]\n");
        assert_eq!(of, [Some(0), Some(0)]);
        // Off when asked, for dram sweeps, and for points that name a model.
        let off = "share_model = false\n[axes]\n\"dram.vdd\" = [1.2, 1.1]\n";
        assert_eq!(models(off).0, [None, None]);
        let dram = "command = \"dram\"\n[axes]\n\"dram.vdd\" = [1.2, 1.1]\n";
        assert_eq!(models(dram).0, [None, None]);
        let named = "set = [\"system.model=\\\"m.h5\\\"\"]\n[axes]\n\"dram.vdd\" = [1.2, 1.1]\n";
        assert_eq!(models(named).0, [None, None]); // Fault-aware training learns on the deployment's fault map: points whose DRAM
                                                   // differs train their own models; the voltage alone does not move the map.
        let fat = "set = [\"fat.enabled=true\"]\n[axes]\n\"dram.fault_seed\" = [1, 2]\n\"snn.seed\" = [1, 1]\n";
        let (of, m) = models(fat);
        assert_eq!((of, m.len()), (vec![Some(0), Some(0), Some(1), Some(1)], 2));
        let fat_vdd = "set = [\"fat.enabled=true\"]\n[axes]\n\"dram.vdd\" = [1.2, 1.1]\n";
        assert_eq!(models(fat_vdd).0, [Some(0), Some(0)]);
        let fat_off = "[axes]\n\"dram.fault_seed\" = [1, 2]\n";
        assert_eq!(models(fat_off).0, [Some(0), Some(0)]);
    }

    #[test]
    fn points_are_computed_from_their_index() {
        let d = tempfile::tempdir().unwrap();
        let s = Sweep::load(&write(
            d.path(),
            "[axes]\na = [1, 2]\nb = [\"x\", \"y\", \"z\"]\nc = [true, false]\n",
        ))
        .unwrap();
        // The grid as the nested expansion lists it: the last key fastest.
        let mut expanded = Vec::new();
        for a in ["1", "2"] {
            for b in ["\"x\"", "\"y\"", "\"z\""] {
                for c in ["true", "false"] {
                    expanded.push(vec![a.to_string(), b.to_string(), c.to_string()]);
                }
            }
        }
        let got: Vec<Vec<String>> = (0..s.len())
            .map(|i| s.point(i).iter().map(|v| v.to_string()).collect())
            .collect();
        assert_eq!(got, expanded);
    }

    #[test]
    fn huge_grids_are_refused_and_large_ones_stay_lazy() {
        let d = tempfile::tempdir().unwrap();
        let axis = |n: usize| {
            let v: Vec<String> = (0..n).map(|k| k.to_string()).collect();
            format!("[{}]", v.join(", "))
        };
        // 10^7 points: refused, naming the file and the count.
        let text = format!(
            "[axes]\n\"snn.seed\" = {}\n\"dram.fault_seed\" = {}\n",
            axis(10_000),
            axis(1_000)
        );
        let e = Sweep::load(&write(d.path(), &text)).unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("s.toml") && msg.contains("10000000 points"),
            "{msg}"
        );
        assert!(crate::error::is_input_error(&e));
        // 10^6 points: loads at once; the check covers one point per value here (the
        // keys are in different tables), not a million.
        let text = format!(
            "command = \"dram\"\n[axes]\n\"snn.seed\" = {}\n\"dram.fault_seed\" = {}\n",
            axis(1_000),
            axis(1_000)
        );
        let s = Sweep::load(&write(d.path(), &text)).unwrap();
        assert_eq!(s.len(), 1_000_000);
        assert_eq!(s.sets(999_999), ["dram.fault_seed=999", "snn.seed=999"]);
        let checked = s.points_to_check();
        assert_eq!(checked.len(), 1_000 + 999, "{}", checked.len());
    }

    #[test]
    fn a_voltage_outside_the_table_is_caught_up_front() {
        let d = tempfile::tempdir().unwrap();
        let s = Sweep::load(&write(
            d.path(),
            "command = \"dram\"\nset = [\"dram.standard=DDR3L-1600\"]\n[axes]\n\"dram.vdd\" = [1.35, 0.6]\n",
        ))
        .unwrap();
        let e = s.validate().unwrap_err();
        let msg = format!("{e:#}");
        assert!(crate::error::is_input_error(&e), "{msg}");
        assert!(
            msg.contains("s.toml") && msg.contains("point 1") && msg.contains("0.6"),
            "{msg}"
        );
    }

    #[test]
    fn json_rows_flatten() {
        let mut m = Map::new();
        flatten_json(
            &json!({"a": 1, "b": {"c": "x,y", "d": [1, 2]}, "e": true}),
            "",
            &mut m,
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m["b.c"], json!("x,y"));
        assert_eq!(csv_cell(&m["b.c"]), "\"x,y\"");
    }
}
