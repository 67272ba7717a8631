//! `spikemem bench snn`, surrogate case: seconds per training epoch of Schaefer et
//! al.'s raster task (700 -> 400 -> 250, 250 steps), float (the like-for-like case) and
//! with the default WAGE bits, and, when `python3` with NumPy runs, the one-core NumPy
//! port (scripts/reference/schaefer_numpy.py, embedded) on the same problem: the same
//! input and target rasters and initial weights, written for it as .npy files. The port's
//! first-epoch van Rossum distance must match spikemem's (same arithmetic up to float
//! rounding), so the two time the same training.

use super::config::{Optimizer, SurrogateConfig};
use super::network::SurrogateNet;
use super::projection::Shape;
use super::task::{self, RasterTask};
use super::train;
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PORT: &str = include_str!("../../../scripts/reference/schaefer_numpy.py");

#[derive(Clone, Debug, Serialize)]
pub struct SurrogateBench {
    pub epochs: u32,
    /// spikemem, float weights, activations and gradients, SGD.
    pub float_seconds_per_epoch: f64,
    /// spikemem with the default bits (weights 2, activations 8, gradients 8).
    pub wage_seconds_per_epoch: f64,
    /// The NumPy port (float, SGD), when it ran.
    pub numpy_seconds_per_epoch: Option<f64>,
    /// numpy / spikemem float.
    pub speedup_vs_numpy: Option<f64>,
    /// First-epoch van Rossum distances (spikemem, port).
    pub van_rossum_first_epoch: (f64, Option<f64>),
    /// Why the port did not run, if it did not.
    pub numpy_skipped: Option<String>,
}

fn timed(cfg: &SurrogateConfig) -> Result<(f64, Vec<f64>, SurrogateNet, RasterTask)> {
    let shape = Shape {
        channels: cfg.inputs,
        height: 1,
        width: 1,
    };
    let mut net = SurrogateNet::new(cfg, shape).map_err(anyhow::Error::msg)?;
    let t = task::raster(cfg, net.n_outputs())?;
    let fresh = SurrogateNet::new(cfg, shape).map_err(anyhow::Error::msg)?;
    let t0 = Instant::now();
    let h = train::train_raster(&mut net, &t, |_, _| {});
    Ok((
        t0.elapsed().as_secs_f64() / cfg.epochs as f64,
        h.loss,
        fresh,
        t,
    ))
}

/// Writes a float32 C-order .npy file.
fn write_npy(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}",
        dims.join(", ")
    );
    while (header.len() + 11) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for v in data {
        f.write_all(&v.to_le_bytes())?;
    }
    Ok(f.flush()?)
}

fn run_port(
    dir: &Path,
    cfg: &SurrogateConfig,
    net: &SurrogateNet,
    t: &RasterTask,
) -> Result<(f64, f64)> {
    std::fs::write(dir.join("schaefer_numpy.py"), PORT)?;
    write_npy(&dir.join("input.npy"), &[cfg.steps, cfg.inputs], &t.input)?;
    write_npy(
        &dir.join("target.npy"),
        &[cfg.steps, net.n_outputs()],
        &t.target,
    )?;
    for (i, l) in net.layers.iter().enumerate() {
        let w: Vec<f32> = l.weights.iter().map(|&w| w * l.scale).collect();
        write_npy(
            &dir.join(format!("w{i}.npy")),
            &[l.proj.n_in(), l.proj.n_out()],
            &w,
        )?;
    }
    let params = serde_json::json!({
        "alpha": cfg.alpha, "beta": cfg.beta, "threshold": cfg.threshold, "reset": cfg.reset,
        "surrogate_scale": cfg.surrogate_scale, "van_rossum_decay": cfg.van_rossum_decay,
        "van_rossum_tau_s": cfg.van_rossum_tau_ms / 1000.0, "learning_rate": cfg.learning_rate,
        "scales": net.layers.iter().map(|l| l.scale).collect::<Vec<_>>(),
    });
    std::fs::write(dir.join("params.json"), params.to_string())?;
    let out = Command::new("python3")
        .arg(dir.join("schaefer_numpy.py"))
        .arg(dir)
        .arg(cfg.epochs.to_string())
        .output()
        .context("python3 does not run")?;
    if !out.status.success() {
        anyhow::bail!(
            "{}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("the port's output")?;
    let secs = v["seconds_per_epoch"]
        .as_f64()
        .context("seconds_per_epoch")?;
    let first = v["van_rossum"][0].as_f64().context("van_rossum")?;
    Ok((secs, first))
}

/// Times `epochs` epochs of each; the port runs in a temporary directory.
pub fn bench(epochs: u32) -> Result<SurrogateBench> {
    let float = SurrogateConfig {
        weight_bits: 32,
        activation_bits: 32,
        gradient_bits: 32,
        optimizer: Optimizer::Sgd,
        learning_rate: 0.01,
        epochs,
        ..SurrogateConfig::default()
    };
    let (float_secs, loss, fresh, t) = timed(&float)?;
    let wage = SurrogateConfig {
        epochs,
        ..SurrogateConfig::default()
    };
    let (wage_secs, _, _, _) = timed(&wage)?;
    let dir = std::env::temp_dir().join(format!("spikemem-surrogate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = run_port(&dir, &float, &fresh, &t);
    let _ = std::fs::remove_dir_all(&dir);
    let (numpy, first, skipped) = match port {
        Ok((s, f)) => {
            let rel = (f - loss[0]).abs() / loss[0].max(1e-9);
            if rel > 1e-3 {
                anyhow::bail!("bench: the NumPy port's first-epoch van Rossum distance {f} differs from spikemem's {}", loss[0]);
            }
            (Some(s), Some(f), None)
        }
        Err(e) => (None, None, Some(format!("{e:#}"))),
    };
    Ok(SurrogateBench {
        epochs,
        float_seconds_per_epoch: float_secs,
        wage_seconds_per_epoch: wage_secs,
        numpy_seconds_per_epoch: numpy,
        speedup_vs_numpy: numpy.map(|n| n / float_secs),
        van_rossum_first_epoch: (loss[0], first),
        numpy_skipped: skipped,
    })
}
