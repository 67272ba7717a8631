//! Trained models as HDF5 (readable with h5py):
//!
//! ```text
//! /                      attrs: format = "spikemem-snn-model", version = 1,
//!                               snn_config (TOML of [snn] at training), network (JSON graph)
//! /labels                int16 [n_exc], class of each excitatory neuron (-1 = none)
//! /populations/<name>    attrs: size; exc also has dataset theta_mv float32 [n_exc]
//! /projections/<name>    attrs: pre, post, pre_size, post_size, bits, frac_bits, shared;
//!                        dataset weights float32 [pre_size, post_size] (row-major pre x post),
//!                        codes uint32 [pre_size, post_size] when bits < 32,
//!                        or attr shared_weight for a projection with one shared weight;
//!                        with per-synapse delays also dataset delay_steps uint16
//!                        [pre_size, post_size] (dt steps) and attr delay_dt_ms
//! ```
//! Delays are loaded as stored (not redrawn), so evaluation sees the training delays;
//! a model with per-synapse delays must be simulated at the dt it was trained with.

use super::config::SnnConfig;
use super::engine::Network;
use super::h5str;
use super::network::{Connectivity, NetworkDesc, NetworkDescFlat, WeightInit};
use crate::error::input_error;
use anyhow::{Context, Result};
use spikemem_traces::PendingFile;
use std::path::Path;

pub const FORMAT: &str = "spikemem-snn-model";
pub const VERSION: u32 = 1;

/// Save a model atomically: it is written to a temporary file beside `path`
/// (`PendingFile`), which replaces `path` only once complete (synced, then renamed). A
/// save that fails or is killed midway leaves the previous file at `path` as it was.
pub fn save(net: &Network, path: &Path) -> Result<()> {
    save_with(net, path, |_| Ok(()))
}

/// `save` for `spikemem train`: the model also records the config it was trained with
/// (`train_config`, the whole config text), the training report (`train_report`,
/// JSON), so a rerun of the same command finds it complete ([`finished_training`]), and
/// with fault-aware training its `[fat]` settings (`fat`, JSON).
pub fn save_trained(
    net: &Network,
    path: &Path,
    config_text: &str,
    report_json: &str,
    fat_json: Option<&str>,
) -> Result<()> {
    save_with(net, path, |f| {
        h5str::write(f, "train_config", config_text)?;
        h5str::write(f, "train_report", report_json)?;
        if let Some(fat) = fat_json {
            h5str::write(f, "fat", fat)?;
        }
        Ok(())
    })
}

/// The training report stored in `path` when it is a complete model trained with
/// exactly `config_text` (see [`save_trained`]); None otherwise (no file, another
/// config, a model from `save`, or a file that does not open).
pub fn finished_training(path: &Path, config_text: &str) -> Option<String> {
    if !path.exists() {
        return None;
    }
    let f = open(path).ok()?;
    if h5str::read(&f, "train_config").ok()? != config_text {
        return None;
    }
    h5str::read(&f, "train_report").ok()
}

/// `save`, with a hook run after the content is written and before the commit (tests
/// inject a failure there).
fn save_with(
    net: &Network,
    path: &Path,
    before_commit: impl FnOnce(&hdf5::File) -> Result<()>,
) -> Result<()> {
    save_h5(path, |f| {
        write_model(net, f).with_context(|| format!("{}: writing the model", path.display()))?;
        f.flush()?;
        before_commit(f)
    })
}

/// Write an HDF5 model file atomically: `write` fills a temporary file beside `path`,
/// which then replaces `path` (a failure leaves `path` as it was). The 1.10 file format
/// checksums every metadata block (superblock, object headers, B-trees, heaps), so a
/// damaged model is refused by libhdf5 with an error instead of being parsed
/// (byte-damaged files in the older format crashed or hung libhdf5).
pub(crate) fn save_h5(path: &Path, write: impl FnOnce(&hdf5::File) -> Result<()>) -> Result<()> {
    let pending = PendingFile::new(path);
    let f = hdf5::File::with_options()
        .with_fapl(|p| p.libver_v110())
        .create(pending.tmp_path())
        .with_context(|| {
            format!(
                "{}: cannot create HDF5 file {}",
                path.display(),
                pending.tmp_path().display()
            )
        })?;
    write(&f)?;
    f.close()
        .with_context(|| format!("{}: closing the model file", path.display()))?;
    pending
        .commit()
        .with_context(|| format!("{}: cannot replace it with the new model", path.display()))
}

/// Writes dataset `name` of `g` with its `units` attribute (every model dataset has one).
fn put<T: hdf5::H5Type>(
    g: &hdf5::Group,
    name: &str,
    shape: &[usize],
    data: &[T],
    units: &str,
) -> Result<()> {
    let ds = g.new_dataset::<T>().shape(shape).create(name)?;
    ds.write_raw(data)?;
    h5str::write(&ds, "units", units)?;
    Ok(())
}

fn write_model(net: &Network, f: &hdf5::File) -> Result<()> {
    h5str::write(f, "format", FORMAT)?;
    f.new_attr::<u32>()
        .create("version")?
        .write_scalar(&VERSION)?;
    let cfg_text = toml::to_string(net.config()).context("serializing [snn]")?;
    h5str::write(f, "snn_config", &cfg_text)?;
    let desc = serde_json::to_string(&net.desc.to_flat())?;
    h5str::write(f, "network", &desc)?;
    put(
        f,
        "labels",
        &[net.labels.len()],
        &net.labels[..],
        "class (-1: none)",
    )?;
    let pops = f.create_group("populations")?;
    for (i, name) in net.population_names().iter().enumerate() {
        let g = pops.create_group(name)?;
        let size = net
            .desc
            .graph
            .node_weights()
            .nth(i)
            .map(|p| p.size)
            .unwrap_or(0) as u64;
        g.new_attr::<u64>().create("size")?.write_scalar(&size)?;
        if name == "exc" {
            let th = net.theta();
            put(&g, "theta_mv", &[th.len()], th, "mV")?;
        }
    }
    let projs = f.create_group("projections")?;
    for p in 0..net.num_projections() {
        let info = net.projection_info(p);
        let g = projs.create_group(&info.name)?;
        h5str::write(&g, "pre", &info.pre_population)?;
        h5str::write(&g, "post", &info.post_population)?;
        g.new_attr::<u64>()
            .create("pre_size")?
            .write_scalar(&(info.pre_size as u64))?;
        g.new_attr::<u64>()
            .create("post_size")?
            .write_scalar(&(info.post_size as u64))?;
        g.new_attr::<u32>()
            .create("bits")?
            .write_scalar(&info.bits)?;
        g.new_attr::<u32>()
            .create("frac_bits")?
            .write_scalar(&info.frac_bits)?;
        g.new_attr::<bool>()
            .create("shared")?
            .write_scalar(&info.shared)?;
        if let Some(x) = net.shared_weight(p) {
            // One value, whatever the size: no pre x post matrix is built.
            g.new_attr::<f32>()
                .create("shared_weight")?
                .write_scalar(&x)?;
        } else {
            let w = net.weights(p);
            let shape = [info.pre_size, info.post_size];
            put(&g, "weights", &shape, &w[..], "weight (dimensionless)")?;
            if let Some((codes, _)) = net.codes(p) {
                put(&g, "codes", &shape, &codes[..], "fixed-point code")?;
            }
        }
        if let Some(d) = net.delays(p) {
            put(
                &g,
                "delay_steps",
                &[info.pre_size, info.post_size],
                d,
                "dt steps (delay_dt_ms each)",
            )?;
            g.new_attr::<f32>()
                .create("delay_dt_ms")?
                .write_scalar(&net.config().dt_ms)?;
        }
    }
    Ok(())
}

/// The training-time [snn] config stored in a model file.
pub fn stored_config(path: &Path) -> Result<SnnConfig> {
    let f = open(path)?;
    let text = h5str::read(&f, "snn_config").map_err(|e| {
        input_error(format!(
            "{}: missing attribute snn_config: {e}",
            path.display()
        ))
    })?;
    toml::from_str(&text)
        .map_err(|e| input_error(format!("{}: attribute snn_config: {e}", path.display())))
}

fn open(path: &Path) -> Result<hdf5::File> {
    let f = hdf5::File::open(path)
        .map_err(|e| input_error(format!("{}: cannot open as HDF5: {e}", path.display())))?;
    let fmt = h5str::read(&f, "format").ok();
    if fmt.as_deref() == Some(super::surrogate::model::FORMAT) {
        return Err(input_error(format!(
            "{}: a surrogate-gradient model; only `spikemem eval` can use it yet \
             (run, tolerance and their sweeps simulate Diehl & Cook / FSpiNN models)",
            path.display()
        )));
    }
    if fmt.as_deref() != Some(FORMAT) {
        return Err(input_error(format!(
            "{}: not a spikemem model (attribute format != {FORMAT})",
            path.display()
        )));
    }
    Ok(f)
}

/// Load a model; the network is simulated with `cfg` (e.g. another weight precision
/// for post-training quantization), its structure comes from the file.
///
/// Nothing is read before it is known to fit: the network description is checked
/// against the per-population and per-projection attributes, the network is sized by
/// the memory budget (`budget::check_network`, in `Network::new`), and every dataset's
/// shape is compared with what the description implies before its data is read. Weights
/// and thresholds must be finite. Any disagreement is an input error naming the file,
/// the dataset or attribute, and what was expected.
pub fn load(path: &Path, cfg: &SnnConfig) -> Result<Network> {
    let bad = |what: String| input_error(format!("{}: {what}", path.display()));
    let f = open(path)?;
    let desc_text =
        h5str::read(&f, "network").map_err(|e| bad(format!("missing attribute network: {e}")))?;
    let flat: NetworkDescFlat =
        serde_json::from_str(&desc_text).map_err(|e| bad(format!("attribute network: {e}")))?;
    let desc = NetworkDesc::from_flat(&flat).map_err(|e| bad(format!("attribute network: {e}")))?;
    check_attributes(&f, &flat).map_err(bad)?;
    let mut cfg = cfg.clone();
    if let Some(p) = flat.populations.iter().find(|p| p.name == "exc") {
        cfg.n_excitatory = p.size;
    }
    let mut net = Network::new(&cfg, desc).map_err(|e| bad(format!("{e:#}")))?;
    for p in 0..net.num_projections() {
        let info = net.projection_info(p);
        let at = |what: &str| format!("projections/{}/{what}", info.name);
        let g = f
            .group(&format!("projections/{}", info.name))
            .map_err(|e| bad(format!("group projections/{}: {e}", info.name)))?;
        let shape = vec![info.pre_size, info.post_size];
        if attr_or(&g, "shared", false) {
            let x: f32 = g
                .attr("shared_weight")
                .and_then(|a| a.read_scalar())
                .map_err(|e| bad(format!("attribute {}: {e}", at("shared_weight"))))?;
            if !x.is_finite() {
                return Err(bad(format!(
                    "attribute {} = {x}; accepted: a finite weight",
                    at("shared_weight")
                )));
            }
            net.set_shared_weight(p, x)
                .map_err(|e| bad(format!("attribute {}: {e}", at("shared_weight"))))?;
        } else {
            let w: Vec<f32> = read_shaped(&g, "weights", &shape)
                .map_err(|e| bad(format!("group projections/{}: {e}", info.name)))?;
            check_finite(&w, info.post_size).map_err(|e| bad(format!("{}: {e}", at("weights"))))?;
            net.set_weights(p, &w)
                .map_err(|e| bad(format!("{}: {e}", at("weights"))))?;
        }
        if info.per_synapse_delays {
            let dt: f32 = g
                .attr("delay_dt_ms")
                .and_then(|a| a.read_scalar())
                .map_err(|e| bad(format!("attribute {}: {e}", at("delay_dt_ms"))))?;
            if (dt - cfg.dt_ms).abs() > 1e-6 * dt.abs().max(1.0) {
                return Err(bad(format!(
                    "projection {}: per-synapse delays are in steps of {dt} ms, but snn.dt_ms = {}",
                    info.name, cfg.dt_ms
                )));
            }
            let d: Vec<u16> = read_shaped(&g, "delay_steps", &shape)
                .map_err(|e| bad(format!("group projections/{}: {e}", info.name)))?;
            net.set_delays(p, &d)
                .map_err(|e| bad(format!("{}: {e}", at("delay_steps"))))?;
        }
    }
    let n_exc = net.n_excitatory();
    let theta: Vec<f32> = read_shaped(&f, "populations/exc/theta_mv", &[n_exc]).map_err(&bad)?;
    check_finite(&theta, 1).map_err(|e| bad(format!("populations/exc/theta_mv: {e}")))?;
    net.set_theta(&theta).map_err(|e| bad(format!("{e}")))?;
    let labels: Vec<i16> = read_shaped(&f, "labels", &[n_exc]).map_err(&bad)?;
    if let Some(l) = labels.iter().find(|l| !(-1..=9).contains(*l)) {
        return Err(bad(format!(
            "dataset labels: value {l}; accepted: {n_exc} values in -1..=9"
        )));
    }
    net.labels = labels;
    net.quantize_weights();
    Ok(net)
}

/// A scalar attribute, or `default` when absent or unreadable.
fn attr_or<T: hdf5::H5Type>(g: &hdf5::Group, name: &str, default: T) -> T {
    g.attr(name)
        .and_then(|a| a.read_scalar())
        .unwrap_or(default)
}

/// Read dataset `name` of `g` after checking its shape is `shape` (the data is not read
/// otherwise: a declared shape can be any size). Errors name the dataset.
fn read_shaped<T: hdf5::H5Type>(
    g: &hdf5::Group,
    name: &str,
    shape: &[usize],
) -> std::result::Result<Vec<T>, String> {
    let ds = g
        .dataset(name)
        .map_err(|e| format!("dataset {name}: {e}"))?;
    if ds.shape() != shape {
        return Err(format!(
            "dataset {name}: shape {:?}; expected {shape:?} (from the network attribute)",
            ds.shape()
        ));
    }
    ds.read_raw().map_err(|e| format!("dataset {name}: {e}"))
}

/// The first value that is NaN or infinite, by its [row, column] in rows of `cols`.
fn check_finite(v: &[f32], cols: usize) -> std::result::Result<(), String> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(k) if cols > 1 => Err(format!(
            "value [{}, {}] = {}; accepted: finite values",
            k / cols,
            k % cols,
            v[k]
        )),
        Some(k) => Err(format!("value [{k}] = {}; accepted: finite values", v[k])),
    }
}

/// The per-population and per-projection attributes must agree with the network
/// attribute (read before anything is allocated from either).
fn check_attributes(f: &hdf5::File, flat: &NetworkDescFlat) -> std::result::Result<(), String> {
    let read_u64 = |g: &hdf5::Group, at: &str, name: &str| -> std::result::Result<u64, String> {
        g.attr(name)
            .and_then(|a| a.read_scalar::<u64>())
            .map_err(|e| format!("attribute {at}/{name}: {e}"))
    };
    let read_str = |g: &hdf5::Group, at: &str, name: &str| -> std::result::Result<String, String> {
        h5str::read(g, name).map_err(|e| format!("attribute {at}/{name}: {e}"))
    };
    for p in &flat.populations {
        let at = format!("populations/{}", p.name);
        let g = f.group(&at).map_err(|e| format!("group {at}: {e}"))?;
        let size = read_u64(&g, &at, "size")?;
        if size != p.size as u64 {
            return Err(format!(
                "attribute {at}/size = {size}; expected {} (the network attribute's size of {})",
                p.size, p.name
            ));
        }
    }
    for (a, b, p) in &flat.projections {
        let (pre, post) = (&flat.populations[*a], &flat.populations[*b]);
        let at = format!("projections/{}", p.name);
        let g = f.group(&at).map_err(|e| format!("group {at}: {e}"))?;
        for (name, want) in [("pre", &pre.name), ("post", &post.name)] {
            let got = read_str(&g, &at, name)?;
            if &got != want {
                return Err(format!(
                    "attribute {at}/{name} = \"{got}\"; expected \"{want}\" (from the network attribute)"
                ));
            }
        }
        for (name, want) in [("pre_size", pre.size), ("post_size", post.size)] {
            let got = read_u64(&g, &at, name)?;
            if got != want as u64 {
                return Err(format!(
                    "attribute {at}/{name} = {got}; expected {want} (from the network attribute)"
                ));
            }
        }
        let shared = attr_or(&g, "shared", false);
        let can_share = matches!(p.init, WeightInit::Shared(_))
            && matches!(
                p.connectivity,
                Connectivity::OneToOne | Connectivity::AllButOne
            );
        if shared && !can_share {
            return Err(format!(
                "attribute {at}/shared = true; expected false: the network attribute gives this \
                 projection per-synapse weights"
            ));
        }
        if !shared && can_share {
            // Stored per synapse (a projection made non-uniform): pre x post values; they
            // must fit like any per-synapse matrix.
            let bytes = (pre.size as u128) * (post.size as u128) * 8;
            super::budget::check_bytes(bytes, &format!("dataset {at}/weights"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
// Tests start from the defaults and change the fields under test, one per line.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::snn::network;

    #[test]
    fn save_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.h5");
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 5;
        cfg.weight_bits = 8;
        let mut net = Network::new(&cfg, network::build(&cfg, 28, 28)).unwrap();
        net.quantize_weights();
        net.labels = vec![0, 1, -1, 3, 9];
        save(&net, &p).unwrap();
        let back = load(&p, &cfg).unwrap();
        let k = back.input_projection().unwrap();
        assert_eq!(back.weights(k), net.weights(k));
        assert_eq!(back.codes(k), net.codes(k));
        assert_eq!(back.labels, net.labels);
        assert_eq!(back.theta(), net.theta());
        assert_eq!(stored_config(&p).unwrap(), cfg);
        // Per-synapse delays are stored and loaded, not redrawn: a different seed at load
        // time would draw other delays.
        let mut cfg_d = cfg.clone();
        cfg_d.input_delay_max_ms = 10.0;
        let mut nd = Network::new(&cfg_d, network::build(&cfg_d, 28, 28)).unwrap();
        nd.labels = vec![0; 5];
        let pd = dir.path().join("d.h5");
        save(&nd, &pd).unwrap();
        let mut other = cfg_d.clone();
        other.seed = 99;
        let fresh = Network::new(&other, network::build(&other, 28, 28)).unwrap();
        assert_ne!(fresh.delays(k), nd.delays(k));
        let back_d = load(&pd, &other).unwrap();
        assert_eq!(back_d.delays(k), nd.delays(k));
        assert_eq!(back_d.projection_info(k).max_delay_steps, 20);
        other.dt_ms = 0.25;
        let e = load(&pd, &other).unwrap_err();
        assert!(format!("{e:#}").contains("snn.dt_ms"), "{e:#}");
        std::fs::write(dir.path().join("x.h5"), b"nope").unwrap();
        let e = load(&dir.path().join("x.h5"), &cfg).unwrap_err();
        assert!(crate::error::is_input_error(&e));
    }

    /// A small saved model to corrupt: (dir, path, config).
    fn saved() -> (tempfile::TempDir, std::path::PathBuf, SnnConfig) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.h5");
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 5;
        let mut net = Network::new(&cfg, network::build(&cfg, 4, 4)).unwrap();
        net.labels = vec![0, 1, 2, 3, 4];
        save(&net, &p).unwrap();
        (dir, p, cfg)
    }

    fn load_err(p: &Path, cfg: &SnnConfig) -> String {
        let e = load(p, cfg).unwrap_err();
        assert!(crate::error::is_input_error(&e), "{e:#}");
        let msg = format!("{e:#}");
        assert!(msg.contains(&p.display().to_string()), "{msg}");
        msg
    }

    /// Every byte of a saved model damaged in turn: loading returns (a model or an
    /// error), it never hangs or crashes. The file holds no global heap (no
    /// variable-length strings), the metadata structure HDF5 does not checksum.
    #[test]
    fn a_damaged_model_is_refused_not_parsed() {
        let (_d, p, cfg) = saved();
        let good = std::fs::read(&p).unwrap();
        assert!(
            !good.windows(4).any(|w| w == b"GCOL"),
            "the model file has a global heap"
        );
        let q = p.with_file_name("damaged.h5");
        let (mut loaded, mut refused) = (0, 0);
        for pos in (0..good.len()).step_by(7) {
            let mut bytes = good.clone();
            bytes[pos] ^= 0x5a;
            std::fs::write(&q, &bytes).unwrap();
            match load(&q, &cfg) {
                Ok(_) => loaded += 1,
                Err(_) => refused += 1,
            }
        }
        // Damage in raw weight data loads (and is then range-checked); damage in
        // metadata is refused by a checksum.
        assert!(refused > loaded, "refused {refused}, loaded {loaded}");
    }

    /// Models written with variable-length string attributes (h5py's default, and
    /// spikemem's before the fixed-length ones) still load.
    #[test]
    fn variable_length_string_attributes_still_load() {
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            for name in ["format", "network", "snn_config"] {
                let text = h5str::read(&f, name).unwrap();
                f.delete_attr(name).unwrap();
                let v: hdf5::types::VarLenUnicode = text.parse().unwrap();
                f.new_attr::<hdf5::types::VarLenUnicode>()
                    .create(name)
                    .unwrap()
                    .write_scalar(&v)
                    .unwrap();
            }
        }
        let net = load(&p, &cfg).unwrap();
        assert_eq!(net.labels, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_declared_huge_shape_is_refused_before_reading() {
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            f.unlink("labels").unwrap();
            // Chunked and never written: the file stays small, the shape says 2 TB.
            f.new_dataset::<i16>()
                .chunk(1024)
                .shape([1usize << 40])
                .create("labels")
                .unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(
            msg.contains("labels") && msg.contains("expected [5]"),
            "{msg}"
        );
        // A network attribute declaring a huge population is refused by the budget.
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let text = h5str::read(&f, "network").unwrap();
            let mut flat: NetworkDescFlat = serde_json::from_str(&text).unwrap();
            flat.populations[0].size = 1 << 40;
            if let network::PopKind::Poisson { rows, cols } = &mut flat.populations[0].kind {
                (*rows, *cols) = (1 << 20, 1 << 20);
            }
            f.delete_attr("network").unwrap();
            h5str::write(&f, "network", &serde_json::to_string(&flat).unwrap()).unwrap();
            let g = f.group("populations/input").unwrap();
            g.attr("size").unwrap().write_scalar(&(1u64 << 40)).unwrap();
            let g = f.group("projections/input_exc").unwrap();
            g.attr("pre_size")
                .unwrap()
                .write_scalar(&(1u64 << 40))
                .unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(msg.contains("would need about"), "{msg}");
    }

    #[test]
    fn attributes_that_disagree_with_the_network_are_named() {
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let g = f.group("projections/inh_exc").unwrap();
            g.attr("post_size").unwrap().write_scalar(&7u64).unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(
            msg.contains("projections/inh_exc/post_size = 7") && msg.contains("expected 5"),
            "{msg}"
        );
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let g = f.group("projections/input_exc").unwrap();
            g.delete_attr("post").unwrap();
            h5str::write(&g, "post", "inh").unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(
            msg.contains("projections/input_exc/post") && msg.contains("\"exc\""),
            "{msg}"
        );
    }

    #[test]
    fn nan_and_inf_weights_and_thresholds_are_refused() {
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let ds = f.dataset("projections/input_exc/weights").unwrap();
            let mut w: Vec<f32> = ds.read_raw().unwrap();
            w[5 * 2 + 3] = f32::NAN;
            ds.write_raw(&w).unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(
            msg.contains("weights") && msg.contains("[2, 3] = NaN"),
            "{msg}"
        );
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let ds = f.dataset("populations/exc/theta_mv").unwrap();
            ds.write_raw(&[20.0f32, f32::INFINITY, 20.0, 20.0, 20.0])
                .unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(
            msg.contains("theta_mv") && msg.contains("[1] = inf"),
            "{msg}"
        );
        let (_d, p, cfg) = saved();
        {
            let f = hdf5::File::open_rw(&p).unwrap();
            let g = f.group("projections/exc_inh").unwrap();
            g.attr("shared_weight")
                .unwrap()
                .write_scalar(&f32::NAN)
                .unwrap();
        }
        let msg = load_err(&p, &cfg);
        assert!(msg.contains("exc_inh/shared_weight"), "{msg}");
    }

    #[test]
    fn a_save_that_fails_midway_keeps_the_previous_model() {
        let (d, p, cfg) = saved();
        let before = std::fs::read(&p).unwrap();
        let mut other = cfg.clone();
        other.seed = 7;
        let net = Network::new(&other, network::build(&other, 4, 4)).unwrap();
        let e = save_with(&net, &p, |_| anyhow::bail!("injected: disk full")).unwrap_err();
        assert!(format!("{e:#}").contains("injected"), "{e:#}");
        assert_eq!(
            std::fs::read(&p).unwrap(),
            before,
            "the old model is untouched"
        );
        load(&p, &cfg).unwrap();
        // No temporary is left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        // Into a directory that does not exist: an error, nothing written.
        let missing = d.path().join("no/such/m.h5");
        assert!(save(&net, &missing).is_err());
        // A successful save replaces it.
        save(&net, &p).unwrap();
        assert_ne!(std::fs::read(&p).unwrap(), before);
    }
}
