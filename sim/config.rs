//! The TOML config schema, defaults, `--set` overrides and validation.
//!
//! Loading is two-staged so that every error points somewhere useful: the file alone
//! is parsed first (errors carry the file, line and column, and for an unknown key the
//! accepted keys), then `--set KEY=VALUE` overrides are applied to the TOML tree and the
//! result is deserialized again (errors name the overridden key path).

use crate::error::input_error;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use spikemem_arch::dram::{DramConfig, Standard};
use spikemem_arch::sram::SramConfig;
use std::path::{Path, PathBuf};

/// The whole configuration of a run; every table and key has a default.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub dram: DramConfig,
    pub snn: crate::snn::SnnConfig,
    pub data: crate::snn::DataConfig,
    pub system: crate::system::SystemConfig,
    pub encoding: spikemem_arch::encoding::EncodingConfig,
    pub core: spikemem_arch::core::CoreConfig,
    pub sram: SramTables,
    pub trace: TraceConfig,
    pub fat: crate::snn::fat::FatConfig,
    /// Surrogate-gradient training, used when `snn.model = "surrogate_gradient"`.
    pub surrogate: crate::snn::surrogate::SurrogateConfig,
}

/// `[sram.weights]`, `[sram.buffer]`, `[sram.neurons]`, `[sram.delays]`: the on-chip memories. A
/// `capacity_bytes` of 0 sizes a memory to what it holds (next power of two).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SramTables {
    /// On-chip weight memory (used when `system.weights_in = "sram"`).
    pub weights: SramConfig,
    /// The weight buffer between DRAM and the synapse lanes (sized by `core.weight_buffer_bytes`).
    pub buffer: SramConfig,
    /// Neuron state memory (membrane, conductances, threshold).
    pub neurons: SramConfig,
    /// The delay ring of per-synapse delays: per future timestep slot, one 16-bit input
    /// accumulator per post neuron (used when the network has per-synapse delays).
    pub delays: SramConfig,
}

impl Default for SramTables {
    fn default() -> Self {
        let auto = SramConfig {
            capacity_bytes: 0,
            word_bits: 64,
            ..SramConfig::default()
        };
        SramTables {
            weights: auto.clone(),
            buffer: auto.clone(),
            neurons: auto.clone(),
            delays: auto,
        }
    }
}

/// `[trace]`: what a run's trace holds besides per-sample records.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TraceConfig {
    /// One record per simulated timestep.
    pub timesteps: bool,
    /// The DRAM command trace.
    pub commands: bool,
}

/// Config presets embedded in the binary: (name, TOML text).
/// `dram` is `spikemem dram`'s default: every key at its default, i.e. the DRAM as
/// validated against DRAMsim3 and Ramulator (no power-down), whatever the accelerator's
/// default run sets.
pub const CONFIG_PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../configs/default.toml")),
    (
        "dram",
        "# spikemem dram's default: every key at its default (no power-down).\n",
    ),
];

/// A loaded config and where it came from (for messages and relative paths).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    /// Display name of the source: a path or `<embedded default>`.
    pub source: String,
    /// Directory that relative paths in the config are resolved against.
    pub base_dir: PathBuf,
    /// The final TOML text (file plus overrides), stored in traces.
    pub text: String,
}

/// Load a config from a path or an embedded preset name (None = the embedded default),
/// apply `--set` overrides and validate.
pub fn load(path_or_name: Option<&str>, sets: &[String]) -> Result<Loaded> {
    let (text, source, base_dir) = read_source(path_or_name)?;
    // Stage 1: the file alone, for line-precise errors.
    let _: Config = toml::from_str(&text).map_err(|e| input_error(format!("{source}: {e}")))?;
    // Stage 2: overrides on the TOML tree.
    let mut tree: toml::Table =
        toml::from_str(&text).map_err(|e| input_error(format!("{source}: {e}")))?;
    for s in sets {
        apply_set(&mut tree, s)?;
    }
    let de = toml::Value::Table(tree.clone());
    let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        input_error(format!(
            "{source} with --set {}: key `{}`: {}",
            sets.join(" --set "),
            e.path(),
            e.inner()
        ))
    })?;
    validate(&config).map_err(|e| input_error(format!("{source}: {e}")))?;
    // Sizes the machine cannot hold are bad input too, refused before anything is read.
    crate::snn::budget::check_config(&config, &base_dir)
        .map_err(|e| input_error(format!("{source}: {e:#}")))?;
    let text = toml::to_string(&tree).unwrap_or(text);
    Ok(Loaded {
        config,
        source,
        base_dir,
        text,
    })
}

fn read_source(path_or_name: Option<&str>) -> Result<(String, String, PathBuf)> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let name = path_or_name.unwrap_or("default");
    let p = Path::new(name);
    if p.exists() {
        let text = std::fs::read_to_string(p)
            .map_err(|e| input_error(format!("{}: cannot read config: {e}", p.display())))?;
        let base = p.parent().map(|d| {
            if d.as_os_str().is_empty() {
                cwd.clone()
            } else {
                d.to_path_buf()
            }
        });
        return Ok((text, p.display().to_string(), base.unwrap_or(cwd)));
    }
    if let Some((n, text)) = CONFIG_PRESETS.iter().find(|(n, _)| *n == name) {
        return Ok((text.to_string(), format!("<embedded {n}>"), cwd));
    }
    let known: Vec<&str> = CONFIG_PRESETS.iter().map(|(n, _)| *n).collect();
    Err(input_error(format!(
        "{name}: no such config file, and not an embedded config preset (known: {})",
        known.join(", ")
    )))
}

/// Apply one `KEY=VALUE` override; VALUE is read as TOML (number, bool, array,
/// quoted string), and as a bare string when it is not valid TOML.
pub fn apply_set(tree: &mut toml::Table, set: &str) -> Result<()> {
    let (key, raw) = set.split_once('=').ok_or_else(|| {
        input_error(format!(
            "--set {set}: expected KEY=VALUE, e.g. --set dram.timing.RFC=420"
        ))
    })?;
    let key = key.trim();
    let raw = raw.trim();
    let mut value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    // A file named on the command line is relative to the working directory (a file
    // named in a config file, to that file's directory).
    if let toml::Value::String(v) = &value {
        if is_path_key(key, v) && Path::new(v).is_relative() {
            if let Ok(cwd) = std::env::current_dir() {
                value = toml::Value::String(cwd.join(v).display().to_string());
            }
        }
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(input_error(format!(
            "--set {set}: empty key segment in `{key}`"
        )));
    }
    let mut node = tree;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            node.insert(part.to_string(), value);
            return Ok(());
        }
        let entry = node
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| {
            input_error(format!(
                "--set {set}: `{}` is a value, not a table",
                parts[..=i].join(".")
            ))
        })?;
    }
    Ok(())
}

/// Keys whose value names a file (`dram.standard` only when it is not a preset name).
fn is_path_key(key: &str, value: &str) -> bool {
    match key {
        "data.train_images" | "data.train_labels" | "data.test_images" | "data.test_labels" => {
            !value.starts_with("builtin:")
        }
        "system.model" | "dram.voltage_table" => !value.is_empty(),
        "dram.standard" => value.ends_with(".toml"),
        _ => false,
    }
}

fn validate(c: &Config) -> Result<(), String> {
    c.dram.validate().map_err(|e| e.to_string())?;
    c.snn.validate().map_err(|e| e.to_string())?;
    if c.snn.model == crate::snn::config::SnnModel::SurrogateGradient {
        c.surrogate.validate()?;
    }
    c.data.validate().map_err(|e| e.to_string())?;
    c.encoding.validate().map_err(|e| e.to_string())?;
    c.core.validate().map_err(|e| e.to_string())?;
    c.fat.validate()?;
    c.system.validate()?;
    for (k, s) in [
        ("weights", &c.sram.weights),
        ("buffer", &c.sram.buffer),
        ("neurons", &c.sram.neurons),
        ("delays", &c.sram.delays),
    ] {
        if s.capacity_bytes != 0 {
            s.validate().map_err(|e| format!("sram.{k}: {e}"))?;
        }
    }
    Ok(())
}

/// Resolve `[dram].standard` (a preset name or a TOML path, relative to the config's
/// directory) and apply `[dram]` overrides (timings, subarrays).
pub fn resolve_standard(dram: &DramConfig, base_dir: &Path) -> Result<Standard> {
    let name = dram.standard.as_str();
    let mut s = match Standard::preset(name) {
        Ok(s) => s,
        Err(preset_err) => {
            let p = base_dir.join(name);
            if name.ends_with(".toml") || p.exists() {
                let text = std::fs::read_to_string(&p).map_err(|e| {
                    input_error(format!("dram.standard: cannot read `{}`: {e}", p.display()))
                })?;
                Standard::from_toml_str(&text)
                    .map_err(|e| input_error(format!("{}: {e}", p.display())))?
            } else {
                return Err(input_error(format!(
                    "dram.standard: {preset_err}, or a path to a .toml file"
                )));
            }
        }
    };
    s.timing.apply(&dram.timing);
    if let Some(n) = dram.subarrays_per_bank {
        s.organization.subarrays_per_bank = n;
    }
    s.validate().map_err(|e| {
        input_error(format!(
            "dram (after [dram.timing] and subarray overrides): {e}"
        ))
    })?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_loads() {
        let l = load(None, &[]).unwrap();
        assert_eq!(l.config.dram.standard, "DDR4-2400");
    }

    #[test]
    fn set_overrides_nested_keys() {
        let l = load(
            None,
            &["dram.timing.RFC=420".into(), "dram.queue_depth=8".into()],
        )
        .unwrap();
        assert_eq!(l.config.dram.timing.RFC, Some(420));
        assert_eq!(l.config.dram.queue_depth, 8);
        let s = resolve_standard(&l.config.dram, &l.base_dir).unwrap();
        assert_eq!(s.timing.RFC, 420);
    }

    #[test]
    fn set_paths_are_relative_to_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[data]\ntest_images = \"t.idx\"\n").unwrap();
        let l = load(
            Some(p.to_str().unwrap()),
            &[
                "system.model=m.h5".into(),
                "dram.standard=DDR3L-1600".into(),
            ],
        )
        .unwrap();
        let cwd = std::env::current_dir().unwrap();
        // From --set: against the working directory, absolute from here on.
        assert_eq!(Path::new(&l.config.system.model), cwd.join("m.h5"));
        // A preset name stays a name; a path in the file stays relative to the file.
        assert_eq!(l.config.dram.standard, "DDR3L-1600");
        assert_eq!(l.config.data.test_images, "t.idx");
        assert_eq!(l.base_dir, dir.path());
    }

    #[test]
    fn unknown_key_is_named() {
        let e = load(None, &["dram.bogus=1".into()]).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("bogus") && msg.contains("dram"), "{msg}");
        assert!(crate::error::is_input_error(&e));
    }

    #[test]
    fn file_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, "[dram]\nchannels = 1\nrow_policy = \"sometimes\"\n").unwrap();
        let e = load(Some(p.to_str().unwrap()), &[]).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("bad.toml") && msg.contains("line 3"), "{msg}");
        assert!(
            msg.contains("open") && msg.contains("closed"),
            "accepted values listed: {msg}"
        );
    }

    #[test]
    fn out_of_range_is_rejected_with_key() {
        let e = load(None, &["dram.queue_depth=0".into()]).unwrap_err();
        assert!(format!("{e:#}").contains("dram.queue_depth"));
    }

    #[test]
    fn unknown_standard_lists_presets() {
        let l = load(None, &["dram.standard=\"DDR9\"".into()]).unwrap();
        let e = resolve_standard(&l.config.dram, &l.base_dir).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("DDR9") && msg.contains("LPDDR3-1600"), "{msg}");
    }
}
