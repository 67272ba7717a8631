//! Training by BPTT: per update, forward and backward passes over whole samples, the
//! summed weight gradients scaled to master units, WAGE-quantized (`gradient_bits`),
//! and one optimizer step per layer; then the effective weights are refreshed.
//!
//! - Raster task: one sample (the fixed input raster), one update per epoch; the
//!   epoch's loss is the van Rossum distance of the forward pass before its update.
//! - Classify: `batch_size` samples per update, in a seeded order per epoch; the
//!   epoch's loss is the mean cross-entropy of its samples.

use super::config::{SurrogateConfig, TaskKind};
use super::loss;
use super::network::{SurrogateNet, Work};
use super::optim::OptimState;
use super::projection::Shape;
use super::task::{self, RasterTask};
use super::wage::{clip_bound, quantize_gradient};
use crate::snn::dataset::ImageSet;
use spikemem_arch::rng::Rng;

/// Per-epoch figures and totals of a training.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct History {
    /// Raster: van Rossum distance per epoch; classify: mean cross-entropy per epoch.
    pub loss: Vec<f64>,
    /// Classify: training accuracy per epoch (0..1).
    pub train_accuracy: Vec<f64>,
    /// Spikes per layer over all training samples.
    pub spikes: Vec<u64>,
    pub updates: u64,
    pub samples: u64,
    pub steps: u64,
}

/// Updater state: one optimizer per layer and the stream for stochastic rounding.
pub struct Trainer {
    opt: Vec<OptimState>,
    rng: Rng,
}

impl Trainer {
    pub fn new(net: &SurrogateNet) -> Self {
        let c = &net.cfg;
        let opt = net
            .layers
            .iter()
            .map(|l| {
                OptimState::new(
                    c.optimizer,
                    c.learning_rate,
                    c.adamax_beta1,
                    c.adamax_beta2,
                    l.weights.len(),
                )
            })
            .collect();
        Trainer {
            opt,
            rng: Rng::stream(c.seed, 4),
        }
    }

    /// Applies and clears the gradients accumulated in `work`.
    pub fn update(&mut self, net: &mut SurrogateNet, work: &mut Work) {
        let (gb, bound) = (net.cfg.gradient_bits, clip_bound(net.cfg.weight_bits));
        for ((l, g), o) in net
            .layers
            .iter_mut()
            .zip(&mut work.grad_w)
            .zip(&mut self.opt)
        {
            g.iter_mut().for_each(|v| *v *= l.scale);
            let rng = &mut self.rng;
            quantize_gradient(g, gb, || rng.next_f32());
            o.step(&mut l.weights, g, bound);
            g.fill(0.0);
        }
        net.refresh();
    }
}

fn add(total: &mut Vec<u64>, counts: &[u64]) {
    total.resize(counts.len(), 0);
    total.iter_mut().zip(counts).for_each(|(t, c)| *t += c);
}

/// The raster task's van Rossum distance and output spikes of `net` (no update).
pub fn raster_distance(net: &SurrogateNet, t: &RasterTask, work: &mut Work) -> (f64, Vec<u64>) {
    let counts = net.forward(&t.input, work);
    let mut g = vec![0.0; t.target.len()];
    let c = &net.cfg;
    let d = loss::van_rossum(
        work.spikes.last().unwrap(),
        &t.target,
        net.n_outputs(),
        c.van_rossum_decay,
        c.van_rossum_tau_ms / 1000.0,
        &mut g,
    );
    (d, counts)
}

/// Trains on the raster task; `epoch_done(epoch, distance)` after each epoch.
pub fn train_raster(
    net: &mut SurrogateNet,
    t: &RasterTask,
    mut epoch_done: impl FnMut(u32, f64),
) -> History {
    let mut h = History::default();
    let mut work = net.work();
    let mut trainer = Trainer::new(net);
    let (decay, tau_s) = (net.cfg.van_rossum_decay, net.cfg.van_rossum_tau_ms / 1000.0);
    let mut grad = vec![0.0; t.target.len()];
    for e in 0..net.cfg.epochs {
        let counts = net.forward(&t.input, &mut work);
        let d = loss::van_rossum(
            work.spikes.last().unwrap(),
            &t.target,
            net.n_outputs(),
            decay,
            tau_s,
            &mut grad,
        );
        net.backward(&t.input, &grad, &mut work);
        trainer.update(net, &mut work);
        add(&mut h.spikes, &counts);
        h.loss.push(d);
        h.updates += 1;
        h.samples += 1;
        h.steps += net.cfg.steps as u64;
        epoch_done(e + 1, d);
    }
    h
}

/// Input shape of the classify task for images of `set`.
pub fn image_shape(set: &ImageSet) -> Shape {
    Shape {
        channels: 1,
        height: set.rows,
        width: set.cols,
    }
}

/// Cross-entropy and prediction of one image (forward only).
fn classify_one(
    net: &SurrogateNet,
    img: &[u8],
    label: u8,
    key: u64,
    input: &mut [f32],
    work: &mut Work,
    grad: &mut [f32],
) -> (f64, usize, Vec<u64>) {
    task::encode_image(&net.cfg, img, key, input);
    let counts = net.forward(input, work);
    let n = net.n_outputs();
    let (l, p) = loss::count_cross_entropy(
        work.spikes.last().unwrap(),
        n,
        (label as usize).min(n - 1),
        grad,
    );
    (l, p, counts)
}

/// Trains the classifier; `epoch_done(epoch, mean loss, training accuracy)`.
pub fn train_classify(
    net: &mut SurrogateNet,
    set: &ImageSet,
    mut epoch_done: impl FnMut(u32, f64, f64),
) -> History {
    let mut h = History::default();
    let mut work = net.work();
    let mut trainer = Trainer::new(net);
    let st = net.cfg.steps;
    let mut input = vec![0.0; st * set.pixels_per_image()];
    let mut grad = vec![0.0; st * net.n_outputs()];
    let mut order: Vec<usize> = (0..set.len()).collect();
    let mut shuffle = Rng::stream(net.cfg.seed, 5);
    for e in 0..net.cfg.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, shuffle.below(i as u64 + 1) as usize);
        }
        let (mut sum, mut correct) = (0.0, 0usize);
        for (k, &s) in order.iter().enumerate() {
            let key = ((e as u64) << 32) | s as u64;
            let (l, p, counts) = classify_one(
                net,
                set.image(s),
                set.labels[s],
                key,
                &mut input,
                &mut work,
                &mut grad,
            );
            net.backward(&input, &grad, &mut work);
            add(&mut h.spikes, &counts);
            sum += l;
            correct += (p == set.labels[s] as usize) as usize;
            if (k + 1) % net.cfg.batch_size == 0 || k + 1 == order.len() {
                trainer.update(net, &mut work);
                h.updates += 1;
            }
        }
        let n = set.len().max(1) as f64;
        h.loss.push(sum / n);
        h.train_accuracy.push(correct as f64 / n);
        h.samples += set.len() as u64;
        h.steps += (set.len() * st) as u64;
        epoch_done(e + 1, sum / n, correct as f64 / n);
    }
    h
}

/// Test accuracy (0..1), mean cross-entropy and spikes per layer over `set`; sample i's
/// input comes from stream key `u64::MAX - i`, apart from the training keys.
pub fn evaluate_classify(net: &SurrogateNet, set: &ImageSet) -> (f64, f64, Vec<u64>) {
    let mut work = net.work();
    let mut input = vec![0.0; net.cfg.steps * set.pixels_per_image()];
    let mut grad = vec![0.0; net.cfg.steps * net.n_outputs()];
    let (mut sum, mut correct, mut spikes) = (0.0, 0usize, Vec::new());
    for s in 0..set.len() {
        let (l, p, counts) = classify_one(
            net,
            set.image(s),
            set.labels[s],
            u64::MAX - s as u64,
            &mut input,
            &mut work,
            &mut grad,
        );
        sum += l;
        correct += (p == set.labels[s] as usize) as usize;
        add(&mut spikes, &counts);
    }
    let n = set.len().max(1) as f64;
    (correct as f64 / n, sum / n, spikes)
}

/// Whether `cfg`'s task is the raster task.
pub fn is_raster(cfg: &SurrogateConfig) -> bool {
    cfg.task == TaskKind::Raster
}

#[cfg(test)]
// Tests start from the defaults and change the fields under test, one per line.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::super::config::{LayerKind, LayerSpec};
    use super::*;

    fn small() -> SurrogateConfig {
        let mut c = SurrogateConfig::default();
        c.inputs = 50;
        c.steps = 60;
        c.input_spike_prob = 0.1;
        c.epochs = 40;
        c.layers.truncate(1);
        c.layers[0].size = 20;
        c
    }

    /// The van Rossum distance of the last epochs is well below the first one's, for
    /// quantized and float weights.
    #[test]
    fn the_loss_falls_on_a_small_raster_task() {
        for bits in [4, 32] {
            let mut c = small();
            c.weight_bits = bits;
            let t = task::raster(&c, 20).unwrap();
            let mut net = SurrogateNet::new(
                &c,
                Shape {
                    channels: c.inputs,
                    height: 1,
                    width: 1,
                },
            )
            .unwrap();
            let h = train_raster(&mut net, &t, |_, _| {});
            let first = h.loss[0];
            let last = h.loss[h.loss.len() - 5..].iter().sum::<f64>() / 5.0;
            assert!(
                last < 0.8 * first,
                "bits {bits}: {first} -> {last} ({:?})",
                h.loss
            );
        }
    }

    /// A conv -> dense classifier learns the embedded digits' training set better than
    /// chance within a few epochs.
    #[test]
    fn a_conv_classifier_learns() {
        let mut c = SurrogateConfig::default();
        c.task = TaskKind::Classify;
        c.steps = 20;
        c.epochs = 3;
        c.surrogate_scale = 10.0;
        c.init_range = 0.25;
        // At the default 2 bits every weight within +-0.25 rounds to 0: a silent network.
        c.weight_bits = 8;
        c.optimizer = super::super::config::Optimizer::Adamax;
        c.layers = vec![
            LayerSpec {
                kind: LayerKind::Conv,
                size: 0,
                out_channels: 4,
                kernel: 5,
                stride: 3,
                padding: 0,
            },
            LayerSpec {
                kind: LayerKind::Dense,
                size: 10,
                out_channels: 0,
                kernel: 1,
                stride: 1,
                padding: 0,
            },
        ];
        let set = task::builtin_digits().unwrap().truncated(100);
        let mut net = SurrogateNet::new(&c, image_shape(&set)).unwrap();
        let h = train_classify(&mut net, &set, |_, _, _| {});
        assert!(h.loss[2] < h.loss[0], "{:?}", h.loss);
        let (acc, _, _) = evaluate_classify(&net, &set);
        assert!(acc > 0.25, "accuracy {acc}");
    }
}
