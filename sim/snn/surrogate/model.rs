//! Surrogate-gradient models as HDF5 (HDF5 1.10 format, fixed-length UTF-8 string
//! attributes, written to a temporary file and renamed into place):
//!
//! ```text
//! /                 attrs: format = "spikemem-surrogate-model", version = 1,
//!                          train_config (the whole config text), train_report (JSON),
//!                          input_shape (JSON [channels, height, width])
//! /layers/<i>       attrs: kind ("dense" | "conv"), n_in, n_out, size, out_channels,
//!                          kernel, stride, padding, scale, weight_bits;
//!                   dataset weights float32 (master weights; dense: [n_in, n_out],
//!                   conv: [out_channels, in_channels, kernel, kernel]);
//!                   dataset weights_quantized float32: quantize(weights) * scale
//! ```
//! Loading rebuilds the network from the stored config and checks every layer's
//! geometry and weight count against it; weights must be finite.

use super::network::SurrogateNet;
use super::projection::Shape;
use super::wage::quantize;
use crate::config::Config;
use crate::error::input_error;
use crate::snn::h5str;
use anyhow::{Context, Result};
use std::path::Path;

pub const FORMAT: &str = "spikemem-surrogate-model";
pub const VERSION: u32 = 1;

/// Saves `net` with the config text and report it was trained with.
pub fn save(net: &SurrogateNet, path: &Path, config_text: &str, report_json: &str) -> Result<()> {
    crate::snn::model_io::save_h5(path, |f| {
        write(net, f, config_text, report_json)
            .with_context(|| format!("{}: writing the model", path.display()))
    })
}

fn write(net: &SurrogateNet, f: &hdf5::File, config_text: &str, report_json: &str) -> Result<()> {
    h5str::write(f, "format", FORMAT)?;
    f.new_attr::<u32>()
        .create("version")?
        .write_scalar(&VERSION)?;
    h5str::write(f, "train_config", config_text)?;
    h5str::write(f, "train_report", report_json)?;
    let s = net.input_shape;
    h5str::write(
        f,
        "input_shape",
        &serde_json::to_string(&[s.channels, s.height, s.width])?,
    )?;
    let layers = f.create_group("layers")?;
    let wb = net.cfg.weight_bits;
    for (i, (l, spec)) in net.layers.iter().zip(&net.cfg.layers).enumerate() {
        let g = layers.create_group(&i.to_string())?;
        h5str::write(
            &g,
            "kind",
            if spec.kind == super::config::LayerKind::Dense {
                "dense"
            } else {
                "conv"
            },
        )?;
        for (k, v) in [
            ("n_in", l.proj.n_in()),
            ("n_out", l.proj.n_out()),
            ("size", spec.size),
            ("out_channels", spec.out_channels),
            ("kernel", spec.kernel),
            ("stride", spec.stride),
            ("padding", spec.padding),
        ] {
            g.new_attr::<u64>().create(k)?.write_scalar(&(v as u64))?;
        }
        g.new_attr::<f32>()
            .create("scale")?
            .write_scalar(&l.scale)?;
        g.new_attr::<u32>()
            .create("weight_bits")?
            .write_scalar(&wb)?;
        let shape = weight_shape(l.proj.n_in(), l.proj.n_out(), spec, l.weights.len());
        let ds = g
            .new_dataset::<f32>()
            .shape(shape.as_slice())
            .create("weights")?;
        ds.write_raw(&l.weights)?;
        h5str::write(&ds, "units", "master weight (WAGE, in [-1, 1])")?;
        let q: Vec<f32> = l
            .weights
            .iter()
            .map(|&w| quantize(w, wb) * l.scale)
            .collect();
        let ds = g
            .new_dataset::<f32>()
            .shape(shape.as_slice())
            .create("weights_quantized")?;
        ds.write_raw(&q)?;
        h5str::write(&ds, "units", "effective weight (input current per spike)")?;
    }
    Ok(())
}

fn weight_shape(
    n_in: usize,
    n_out: usize,
    spec: &super::config::LayerSpec,
    n: usize,
) -> Vec<usize> {
    match spec.kind {
        super::config::LayerKind::Dense => vec![n_in, n_out],
        super::config::LayerKind::Conv => {
            let k2 = spec.kernel * spec.kernel;
            vec![
                spec.out_channels,
                n / (spec.out_channels * k2).max(1),
                spec.kernel,
                spec.kernel,
            ]
        }
    }
}

/// True when `path` is a surrogate-gradient model file (it opens and says so).
pub fn is_surrogate_model(path: &Path) -> bool {
    hdf5::File::open(path)
        .ok()
        .and_then(|f| h5str::read(&f, "format").ok())
        .as_deref()
        == Some(FORMAT)
}

/// A loaded model: the network, its config (as trained) and the stored report.
pub struct Loaded {
    pub net: SurrogateNet,
    pub config: Config,
    pub config_text: String,
    pub report_json: String,
}

pub fn load(path: &Path) -> Result<Loaded> {
    let bad = |what: String| input_error(format!("{}: {what}", path.display()));
    let f = hdf5::File::open(path).map_err(|e| bad(format!("cannot open as HDF5: {e}")))?;
    if h5str::read(&f, "format").ok().as_deref() != Some(FORMAT) {
        return Err(bad(format!(
            "not a surrogate-gradient model (attribute format != {FORMAT})"
        )));
    }
    let text =
        h5str::read(&f, "train_config").map_err(|e| bad(format!("attribute train_config: {e}")))?;
    let report_json =
        h5str::read(&f, "train_report").map_err(|e| bad(format!("attribute train_report: {e}")))?;
    let config: Config =
        toml::from_str(&text).map_err(|e| bad(format!("attribute train_config: {e}")))?;
    config
        .surrogate
        .validate()
        .map_err(|e| bad(format!("attribute train_config: {e}")))?;
    let shape_text =
        h5str::read(&f, "input_shape").map_err(|e| bad(format!("attribute input_shape: {e}")))?;
    let dims: [usize; 3] = serde_json::from_str(&shape_text)
        .map_err(|e| bad(format!("attribute input_shape: {e}")))?;
    let input_shape = Shape {
        channels: dims[0],
        height: dims[1],
        width: dims[2],
    };
    if input_shape
        .channels
        .checked_mul(input_shape.height)
        .and_then(|v| v.checked_mul(input_shape.width))
        .is_none_or(|n| n == 0 || n > super::config::MAX_NEURONS)
    {
        return Err(bad(format!(
            "attribute input_shape = {shape_text}: 1..={} inputs",
            super::config::MAX_NEURONS
        )));
    }
    // Geometry from the config; the file's weights must fit it before they are read.
    let fresh = SurrogateNet::new(&config.surrogate, input_shape).map_err(&bad)?;
    let mut weights = Vec::new();
    for (i, l) in fresh.layers.iter().enumerate() {
        let ds = f
            .dataset(&format!("layers/{i}/weights"))
            .map_err(|e| bad(format!("dataset layers/{i}/weights: {e}")))?;
        if ds.size() != l.weights.len() {
            return Err(bad(format!(
                "dataset layers/{i}/weights holds {} values, the layer needs {}",
                ds.size(),
                l.weights.len()
            )));
        }
        let w: Vec<f32> = ds
            .read_raw()
            .map_err(|e| bad(format!("dataset layers/{i}/weights: {e}")))?;
        if w.iter().any(|v| !v.is_finite()) {
            return Err(bad(format!("dataset layers/{i}/weights: not finite")));
        }
        weights.push(w);
    }
    let net = SurrogateNet::with_weights(&config.surrogate, input_shape, weights).map_err(bad)?;
    Ok(Loaded {
        net,
        config,
        config_text: text,
        report_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.h5");
        let text = "[snn]\nmodel = \"surrogate_gradient\"\n[surrogate]\ninputs = 30\nsteps = 10\n[[surrogate.layers]]\nkind = \"conv\"\nout_channels = 2\nkernel = 3\nstride = 2\n[[surrogate.layers]]\nkind = \"dense\"\nsize = 4\n";
        let cfg: Config = toml::from_str(text).unwrap();
        let shape = Shape {
            channels: 1,
            height: 5,
            width: 6,
        };
        let net = SurrogateNet::new(&cfg.surrogate, shape).unwrap();
        save(&net, &p, text, "{\"x\": 1}").unwrap();
        assert!(is_surrogate_model(&p));
        let l = load(&p).unwrap();
        assert_eq!(l.config_text, text);
        assert_eq!(l.report_json, "{\"x\": 1}");
        assert_eq!(l.net.input_shape, shape);
        for (a, b) in l.net.layers.iter().zip(&net.layers) {
            assert_eq!(a.weights, b.weights);
            assert_eq!(a.scale, b.scale);
        }
        let f = hdf5::File::open(&p).unwrap();
        assert_eq!(
            f.dataset("layers/0/weights").unwrap().shape(),
            vec![2, 1, 3, 3]
        );
        assert_eq!(
            f.dataset("layers/1/weights").unwrap().shape(),
            vec![2 * 2 * 2, 4]
        );
        drop(f);
        // A file that is not a surrogate model is refused as bad input.
        std::fs::write(&p, b"not hdf5").unwrap();
        let e = load(&p).err().expect("refused");
        assert!(crate::error::is_input_error(&e), "{e:#}");
    }
}
