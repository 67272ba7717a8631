//! The tasks' inputs and targets.
//!
//! - Raster (Schaefer et al.): one fixed input raster, `inputs` x `steps`, each entry a
//!   spike with probability `input_spike_prob` (stream `seed`, 1); the target raster is
//!   the embedded MNIST test digit `target_digit` (tests/data/mnist) stretched to
//!   outputs (rows, top = neuron 0) x steps (columns): a lit pixel (>= 128) holds a
//!   spike with probability `target_spike_prob` (stream `seed`, 2). The reference code
//!   drew its targets from its own pictures (a logo, a smiley); any image with a
//!   spatio-temporal structure serves, and this one ships with the binary.
//! - Classify: pixel p (0..255) of an image spikes at each step with probability
//!   p / 255 * `max_rate_prob` (Poisson rate code), from a stream keyed by (seed, the
//!   sample's key), so a sample's input does not depend on the order it is seen in.

use super::config::SurrogateConfig;
use crate::snn::dataset::{load_pair, ImageSet};
use anyhow::Result;
use spikemem_arch::rng::Rng;
use std::path::Path;

/// Input and target rasters, steps x n (step-major, 0 or 1).
pub struct RasterTask {
    pub input: Vec<f32>,
    pub target: Vec<f32>,
}

/// The embedded MNIST test digits (200).
pub fn builtin_digits() -> Result<ImageSet> {
    load_pair(
        "builtin:mnist-sample/test-images",
        "builtin:mnist-sample/test-labels",
        Path::new("."),
    )
}

pub fn raster(cfg: &SurrogateConfig, outputs: usize) -> Result<RasterTask> {
    let steps = cfg.steps;
    let mut rng = Rng::stream(cfg.seed, 1);
    let p = cfg.input_spike_prob as f64;
    let input = (0..steps * cfg.inputs)
        .map(|_| rng.bernoulli(p) as u8 as f32)
        .collect();
    let digits = builtin_digits()?;
    let img = digits.image(cfg.target_digit.min(digits.len() - 1));
    let mut rng = Rng::stream(cfg.seed, 2);
    let mut target = vec![0.0f32; steps * outputs];
    for t in 0..steps {
        let x = t * digits.cols / steps;
        for j in 0..outputs {
            let y = j * digits.rows / outputs;
            let lit = img[y * digits.cols + x] >= 128;
            if lit && rng.bernoulli(cfg.target_spike_prob as f64) {
                target[t * outputs + j] = 1.0;
            }
        }
    }
    Ok(RasterTask { input, target })
}

/// Rate-coded spikes of `image` (steps x pixels) into `out`.
pub fn encode_image(cfg: &SurrogateConfig, image: &[u8], key: u64, out: &mut [f32]) {
    let mut rng = Rng::stream(cfg.seed ^ 0x5eed_1a6e, key);
    let k = cfg.max_rate_prob / 255.0;
    for row in out.chunks_exact_mut(image.len()) {
        for (o, &p) in row.iter_mut().zip(image) {
            *o = (p != 0 && rng.next_f32() < p as f32 * k) as u8 as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rasters_are_seeded_and_shaped() {
        let c = SurrogateConfig::default();
        let a = raster(&c, 250).unwrap();
        let b = raster(&c, 250).unwrap();
        assert_eq!((a.input.len(), a.target.len()), (700 * 250, 250 * 250));
        assert_eq!(a.input, b.input);
        let rate = a.input.iter().sum::<f32>() / a.input.len() as f32;
        assert!((rate - 0.025).abs() < 0.003, "{rate}");
        let n = a.target.iter().sum::<f32>();
        assert!(n > 500.0 && n < 0.3 * 250.0 * 250.0, "{n}");
        let mut img = vec![0.0; 3 * 2];
        encode_image(&c, &[0, 255], 7, &mut img);
        assert_eq!((img[0], img[2], img[4]), (0.0, 0.0, 0.0));
    }
}
