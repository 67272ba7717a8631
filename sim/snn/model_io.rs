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
use super::network::{NetworkDesc, NetworkDescFlat};
use crate::error::input_error;
use anyhow::{Context, Result};
use hdf5::types::VarLenUnicode;
use std::path::Path;

pub const FORMAT: &str = "spikemem-snn-model";
pub const VERSION: u32 = 1;

fn vlu(s: &str) -> Result<VarLenUnicode> {
    s.parse::<VarLenUnicode>()
        .map_err(|e| anyhow::anyhow!("string attribute: {e}"))
}

pub fn save(net: &Network, path: &Path) -> Result<()> {
    let f = hdf5::File::create(path)
        .with_context(|| format!("{}: cannot create HDF5 file", path.display()))?;
    f.new_attr::<VarLenUnicode>()
        .create("format")?
        .write_scalar(&vlu(FORMAT)?)?;
    f.new_attr::<u32>()
        .create("version")?
        .write_scalar(&VERSION)?;
    let cfg_text = toml::to_string(net.config()).context("serializing [snn]")?;
    f.new_attr::<VarLenUnicode>()
        .create("snn_config")?
        .write_scalar(&vlu(&cfg_text)?)?;
    let desc = serde_json::to_string(&net.desc.to_flat())?;
    f.new_attr::<VarLenUnicode>()
        .create("network")?
        .write_scalar(&vlu(&desc)?)?;
    f.new_dataset::<i16>()
        .shape([net.labels.len()])
        .create("labels")?
        .write_raw(&net.labels[..])?;
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
            g.new_dataset::<f32>()
                .shape([th.len()])
                .create("theta_mv")?
                .write_raw(th)?;
        }
    }
    let projs = f.create_group("projections")?;
    for p in 0..net.num_projections() {
        let info = net.projection_info(p);
        let g = projs.create_group(&info.name)?;
        g.new_attr::<VarLenUnicode>()
            .create("pre")?
            .write_scalar(&vlu(&info.pre_population)?)?;
        g.new_attr::<VarLenUnicode>()
            .create("post")?
            .write_scalar(&vlu(&info.post_population)?)?;
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
        let w = net.weights(p);
        if info.shared {
            let x = w.iter().copied().find(|&x| x != 0.0).unwrap_or(0.0);
            g.new_attr::<f32>()
                .create("shared_weight")?
                .write_scalar(&x)?;
        } else {
            g.new_dataset::<f32>()
                .shape([info.pre_size, info.post_size])
                .create("weights")?
                .write_raw(&w[..])?;
            if let Some((codes, _)) = net.codes(p) {
                g.new_dataset::<u32>()
                    .shape([info.pre_size, info.post_size])
                    .create("codes")?
                    .write_raw(&codes[..])?;
            }
        }
        if let Some(d) = net.delays(p) {
            g.new_dataset::<u16>()
                .shape([info.pre_size, info.post_size])
                .create("delay_steps")?
                .write_raw(d)?;
            g.new_attr::<f32>()
                .create("delay_dt_ms")?
                .write_scalar(&net.config().dt_ms)?;
        }
    }
    f.flush()?;
    Ok(())
}

/// The training-time [snn] config stored in a model file.
pub fn stored_config(path: &Path) -> Result<SnnConfig> {
    let f = open(path)?;
    let text: VarLenUnicode = f
        .attr("snn_config")
        .and_then(|a| a.read_scalar())
        .map_err(|e| {
            input_error(format!(
                "{}: missing attribute snn_config: {e}",
                path.display()
            ))
        })?;
    toml::from_str(text.as_str())
        .map_err(|e| input_error(format!("{}: attribute snn_config: {e}", path.display())))
}

fn open(path: &Path) -> Result<hdf5::File> {
    let f = hdf5::File::open(path)
        .map_err(|e| input_error(format!("{}: cannot open as HDF5: {e}", path.display())))?;
    let fmt: Option<VarLenUnicode> = f.attr("format").and_then(|a| a.read_scalar()).ok();
    if fmt.as_ref().map(|s| s.as_str()) != Some(FORMAT) {
        return Err(input_error(format!(
            "{}: not a spikemem model (attribute format != {FORMAT})",
            path.display()
        )));
    }
    Ok(f)
}

/// Load a model; the network is simulated with `cfg` (e.g. another weight precision
/// for post-training quantization), its structure comes from the file.
pub fn load(path: &Path, cfg: &SnnConfig) -> Result<Network> {
    let bad = |what: String| input_error(format!("{}: {what}", path.display()));
    let f = open(path)?;
    let desc_text: VarLenUnicode = f
        .attr("network")
        .and_then(|a| a.read_scalar())
        .map_err(|e| bad(format!("missing attribute network: {e}")))?;
    let flat: NetworkDescFlat = serde_json::from_str(desc_text.as_str())
        .map_err(|e| bad(format!("attribute network: {e}")))?;
    let desc = NetworkDesc::from_flat(&flat).map_err(|e| bad(format!("attribute network: {e}")))?;
    let mut cfg = cfg.clone();
    if let Some(p) = flat.populations.iter().find(|p| p.name == "exc") {
        cfg.n_excitatory = p.size;
    }
    let mut net = Network::new(&cfg, desc).map_err(|e| bad(format!("{e}")))?;
    for p in 0..net.num_projections() {
        let info = net.projection_info(p);
        let g = f
            .group(&format!("projections/{}", info.name))
            .map_err(|e| bad(format!("projection {}: {e}", info.name)))?;
        let shared: bool = g
            .attr("shared")
            .and_then(|a| a.read_scalar())
            .unwrap_or(false);
        let w: Vec<f32> = if shared {
            let x: f32 = g
                .attr("shared_weight")
                .and_then(|a| a.read_scalar())
                .map_err(|e| bad(format!("projection {}: shared_weight: {e}", info.name)))?;
            let mut template = net.weights(p);
            template
                .iter_mut()
                .for_each(|y| *y = if *y != 0.0 { x } else { 0.0 });
            template
        } else {
            let ds = g
                .dataset("weights")
                .map_err(|e| bad(format!("projection {}: weights: {e}", info.name)))?;
            if ds.shape() != vec![info.pre_size, info.post_size] {
                return Err(bad(format!(
                    "projection {}: weights shape {:?}, expected [{}, {}]",
                    info.name,
                    ds.shape(),
                    info.pre_size,
                    info.post_size
                )));
            }
            ds.read_raw()
                .map_err(|e| bad(format!("projection {}: weights: {e}", info.name)))?
        };
        net.set_weights(p, &w).map_err(|e| bad(format!("{e}")))?;
        if info.per_synapse_delays {
            let dt: f32 = g
                .attr("delay_dt_ms")
                .and_then(|a| a.read_scalar())
                .map_err(|e| bad(format!("projection {}: delay_dt_ms: {e}", info.name)))?;
            if (dt - cfg.dt_ms).abs() > 1e-6 * dt.abs().max(1.0) {
                return Err(bad(format!(
                    "projection {}: per-synapse delays are in steps of {dt} ms, but snn.dt_ms = {}",
                    info.name, cfg.dt_ms
                )));
            }
            let ds = g
                .dataset("delay_steps")
                .map_err(|e| bad(format!("projection {}: delay_steps: {e}", info.name)))?;
            if ds.shape() != vec![info.pre_size, info.post_size] {
                return Err(bad(format!(
                    "projection {}: delay_steps shape {:?}, expected [{}, {}]",
                    info.name,
                    ds.shape(),
                    info.pre_size,
                    info.post_size
                )));
            }
            let d: Vec<u16> = ds
                .read_raw()
                .map_err(|e| bad(format!("projection {}: delay_steps: {e}", info.name)))?;
            net.set_delays(p, &d).map_err(|e| bad(format!("{e}")))?;
        }
    }
    let theta: Vec<f32> = f
        .dataset("populations/exc/theta_mv")
        .and_then(|d| d.read_raw())
        .map_err(|e| bad(format!("populations/exc/theta_mv: {e}")))?;
    net.set_theta(&theta).map_err(|e| bad(format!("{e}")))?;
    let labels: Vec<i16> = f
        .dataset("labels")
        .and_then(|d| d.read_raw())
        .map_err(|e| bad(format!("labels: {e}")))?;
    if labels.len() != net.n_excitatory() || labels.iter().any(|&l| !(-1..=9).contains(&l)) {
        return Err(bad(format!(
            "labels: {} values in -1..=9 expected",
            net.n_excitatory()
        )));
    }
    net.labels = labels;
    net.quantize_weights();
    Ok(net)
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
}
