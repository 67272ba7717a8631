//! Training (STDP, unsupervised), label assignment, prediction and evaluation.
//!
//! Labels as in Diehl & Cook: each excitatory neuron takes the class for which its mean
//! spike count is highest (neurons that never fired stay unlabeled); a sample is
//! predicted as the class whose labeled neurons fire most on average.

use super::dataset::ImageSet;
use super::engine::{Network, NoObserver, OpCounts, SampleRecord, StepObserver};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Sample keys: independent random streams for training, labeling and evaluation.
pub const KEY_TRAIN: u64 = 1 << 48;
pub const KEY_LABEL: u64 = 2 << 48;
pub const KEY_EVAL: u64 = 3 << 48;

/// Neuron labels from responses (n_samples x n, row-major) and sample labels.
pub fn assign_labels(responses: &[u32], labels: &[u8], n: usize) -> Vec<i16> {
    let mut sum = vec![0f64; 10 * n];
    let mut per_class = [0u64; 10];
    for (s, &l) in labels.iter().enumerate() {
        per_class[l as usize] += 1;
        let r = &responses[s * n..(s + 1) * n];
        for (acc, &c) in sum[l as usize * n..(l as usize + 1) * n].iter_mut().zip(r) {
            *acc += c as f64;
        }
    }
    (0..n)
        .map(|j| {
            let mut best = (-1i16, 0.0f64);
            for c in 0..10 {
                if per_class[c] == 0 {
                    continue;
                }
                let rate = sum[c * n + j] / per_class[c] as f64;
                if rate > best.1 {
                    best = (c as i16, rate);
                }
            }
            best.0
        })
        .collect()
}

/// Predicted class: highest mean count over the neurons labeled with it (ties: lowest class).
pub fn predict(counts: &[u32], labels: &[i16]) -> Option<u8> {
    let mut sum = [0f64; 10];
    let mut num = [0u32; 10];
    for (&c, &l) in counts.iter().zip(labels) {
        if l >= 0 {
            sum[l as usize] += c as f64;
            num[l as usize] += 1;
        }
    }
    let mut best: Option<(u8, f64)> = None;
    for c in 0..10 {
        if num[c] == 0 {
            continue;
        }
        let m = sum[c] / num[c] as f64;
        if best.is_none_or(|(_, b)| m > b) {
            best = Some((c as u8, m));
        }
    }
    best.map(|b| b.0)
}

/// Responses (spike counts, n_samples x n) of a frozen network, computed on `threads`
/// threads; each sample starts from rest with its own random stream, so the result does
/// not depend on the thread count.
///
/// Threads take blocks of `BLOCK` samples from a shared counter rather than one fixed half
/// each: on this 2-vCPU VM one vCPU is at times much slower than the other (the same
/// binary's N400 2-thread figure alternates between ~1.9x and ~1.35x), and with fixed
/// halves the fast thread then waits for the slow one.
pub fn respond(
    net: &Network,
    set: &ImageSet,
    key_base: u64,
    threads: usize,
    pb: Option<&ProgressBar>,
) -> (Vec<u32>, OpCounts) {
    const BLOCK: usize = 4;
    let n = net.n_excitatory();
    let len = set.len();
    let mut out = vec![0u32; len * n];
    let threads = threads.max(1).min(len.div_ceil(BLOCK).max(1));
    let mut total = OpCounts::default();
    let run_one = |local: &mut Network, s: usize, row: &mut [u32]| {
        let (c, _) = local.run_sample(set.image(s), s, key_base + s as u64, false, &mut NoObserver);
        row.copy_from_slice(c);
        if let Some(pb) = pb {
            pb.inc(1);
        }
    };
    if threads == 1 {
        let mut local = net.clone();
        local.ops = OpCounts::default();
        for (s, row) in out.chunks_mut(n.max(1)).enumerate().take(len) {
            run_one(&mut local, s, row);
        }
        total = local.ops;
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Each thread returns (first sample of each block it ran, their counts, its ops).
        let parts: Vec<(Vec<usize>, Vec<u32>, OpCounts)> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (next, run_one) = (&next, &run_one);
                    sc.spawn(move || {
                        let mut local = net.clone();
                        local.ops = OpCounts::default();
                        let (mut starts, mut rows) = (Vec::new(), Vec::new());
                        loop {
                            let b = next.fetch_add(BLOCK, std::sync::atomic::Ordering::Relaxed);
                            if b >= len {
                                break;
                            }
                            let e = (b + BLOCK).min(len);
                            starts.push(b);
                            let at = rows.len();
                            rows.resize(at + (e - b) * n, 0);
                            for (k, row) in rows[at..].chunks_mut(n.max(1)).enumerate() {
                                run_one(&mut local, b + k, row);
                            }
                        }
                        (starts, rows, local.ops)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("evaluation thread panicked"))
                .collect()
        });
        for (starts, rows, ops) in &parts {
            let mut at = 0;
            for &b in starts {
                let e = (b + BLOCK).min(len);
                out[b * n..e * n].copy_from_slice(&rows[at..at + (e - b) * n]);
                at += (e - b) * n;
            }
            total.add(ops);
        }
    }
    (out, total)
}

/// Accuracy figures of a labeled set.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Scores {
    pub samples: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// confusion_matrix[true][predicted]; unlabeled predictions are not counted.
    pub confusion_matrix: Vec<Vec<u64>>,
    pub no_prediction: usize,
}

pub fn score(responses: &[u32], labels: &[u8], neuron_labels: &[i16]) -> Scores {
    let n = neuron_labels.len();
    let mut cm = vec![vec![0u64; 10]; 10];
    let (mut correct, mut none) = (0, 0);
    for (s, &l) in labels.iter().enumerate() {
        match predict(&responses[s * n..(s + 1) * n], neuron_labels) {
            Some(p) => {
                cm[l as usize][p as usize] += 1;
                if p == l {
                    correct += 1;
                }
            }
            None => none += 1,
        }
    }
    Scores {
        samples: labels.len(),
        correct,
        accuracy: if labels.is_empty() {
            0.0
        } else {
            correct as f64 / labels.len() as f64
        },
        confusion_matrix: cm,
        no_prediction: none,
    }
}

/// Evaluation of a labeled network.
#[derive(Clone, Debug, Serialize)]
pub struct EvalResult {
    pub scores: Scores,
    pub ops: OpCounts,
    pub wall_seconds: f64,
    pub diagnostics: Diagnostics,
}

/// Where the spikes of a frozen pass go (for diagnosing a network that learns badly).
#[derive(Clone, Debug, Serialize, Default, PartialEq)]
pub struct Diagnostics {
    /// Excitatory spikes per sample (final presentation): mean and fraction of samples
    /// with none.
    pub mean_spikes_per_sample: f64,
    pub zero_spike_fraction: f64,
    /// Presentations per sample (1 = never repeated).
    pub presentations_per_sample: f64,
    /// Mean spikes per sample by true class.
    pub mean_spikes_by_class: Vec<f64>,
    /// Neurons labeled with each class (index 10: unlabeled).
    pub neurons_per_label: Vec<u32>,
    /// Neurons that fired at least once.
    pub active_neurons: usize,
    /// Share of all spikes fired by the most active 5% of the neurons.
    pub top5pct_spike_share: f64,
    /// Neurons that were the most active one of at least one sample, and the share of
    /// samples won by the most frequent winner.
    pub distinct_winners: usize,
    pub top_winner_share: f64,
    /// Adaptive thresholds (mV): min, mean, max.
    pub theta_min: f64,
    pub theta_mean: f64,
    pub theta_max: f64,
}

pub fn diagnose(
    responses: &[u32],
    labels: &[u8],
    neuron_labels: &[i16],
    theta: &[f32],
    presentations: u64,
) -> Diagnostics {
    let n = neuron_labels.len();
    let ns = labels.len();
    let mut d = Diagnostics::default();
    if n == 0 {
        return d;
    }
    let mut per_neuron = vec![0u64; n];
    let mut by_class = [0f64; 10];
    let mut per_class = [0u64; 10];
    let mut wins = vec![0u64; n];
    let (mut total, mut zero) = (0u64, 0usize);
    for (s, &l) in labels.iter().enumerate() {
        let r = &responses[s * n..(s + 1) * n];
        let t: u64 = r.iter().map(|&x| x as u64).sum();
        total += t;
        by_class[l as usize % 10] += t as f64;
        per_class[l as usize % 10] += 1;
        if t == 0 {
            zero += 1;
        } else {
            let (mut best, mut bj) = (0u32, 0usize);
            for (j, &c) in r.iter().enumerate() {
                if c > best {
                    best = c;
                    bj = j;
                }
            }
            wins[bj] += 1;
        }
        for (a, &c) in per_neuron.iter_mut().zip(r) {
            *a += c as u64;
        }
    }
    let nsf = ns.max(1) as f64;
    d.mean_spikes_per_sample = total as f64 / nsf;
    d.zero_spike_fraction = zero as f64 / nsf;
    d.presentations_per_sample = presentations as f64 / nsf;
    d.mean_spikes_by_class = (0..10)
        .map(|c| by_class[c] / per_class[c].max(1) as f64)
        .collect();
    d.neurons_per_label = vec![0; 11];
    for &l in neuron_labels {
        d.neurons_per_label[if l < 0 { 10 } else { l as usize }] += 1;
    }
    d.active_neurons = per_neuron.iter().filter(|&&c| c > 0).count();
    let mut sorted = per_neuron.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let top = n.div_ceil(20);
    d.top5pct_spike_share = sorted[..top].iter().sum::<u64>() as f64 / total.max(1) as f64;
    d.distinct_winners = wins.iter().filter(|&&w| w > 0).count();
    d.top_winner_share = *wins.iter().max().unwrap_or(&0) as f64 / nsf;
    if !theta.is_empty() {
        d.theta_min = theta.iter().fold(f32::INFINITY, |a, &b| a.min(b)) as f64;
        d.theta_max = theta.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        d.theta_mean = theta.iter().map(|&x| x as f64).sum::<f64>() / theta.len() as f64;
    }
    d
}

pub fn evaluate(
    net: &Network,
    set: &ImageSet,
    threads: usize,
    pb: Option<&ProgressBar>,
) -> EvalResult {
    let t0 = Instant::now();
    let (resp, ops) = respond(net, set, KEY_EVAL, threads, pb);
    eval_result(net, set, &resp, ops, t0)
}

/// Scores and diagnostics of the spike counts `resp` (sample-major) of `set`.
fn eval_result(
    net: &Network,
    set: &ImageSet,
    resp: &[u32],
    ops: OpCounts,
    t0: Instant,
) -> EvalResult {
    EvalResult {
        scores: score(resp, &set.labels, &net.labels),
        diagnostics: diagnose(
            resp,
            &set.labels,
            &net.labels,
            net.theta(),
            ops.presentations,
        ),
        ops,
        wall_seconds: t0.elapsed().as_secs_f64(),
    }
}

/// Single-threaded evaluation that reports every step and sample to `obs` (the hardware
/// side); same results as [`evaluate`].
pub fn evaluate_observed(
    net: &mut Network,
    set: &ImageSet,
    obs: &mut dyn StepObserver,
) -> EvalResult {
    let t0 = Instant::now();
    let n = net.n_excitatory();
    let mut resp = vec![0u32; set.len() * n];
    let start = net.ops;
    for s in 0..set.len() {
        let before = net.ops;
        let (c, repeats) = net.run_sample(set.image(s), s, KEY_EVAL + s as u64, false, obs);
        let c = c.to_vec();
        resp[s * n..(s + 1) * n].copy_from_slice(&c);
        let ops = net.ops.since(&before);
        let rec = SampleRecord {
            index: s,
            label: set.labels[s],
            prediction: predict(&c, &net.labels),
            spike_counts: c,
            repeats,
            ops,
        };
        obs.on_sample(&rec);
    }
    let ops = net.ops.since(&start);
    eval_result(net, set, &resp, ops, t0)
}

/// Training accuracy over one window of samples, predicted with the labels assigned
/// from the previous window (as in the reference code).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowAccuracy {
    pub epoch: u32,
    pub samples_seen: usize,
    pub accuracy: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrainResult {
    pub samples: usize,
    pub epochs: u32,
    pub windows: Vec<WindowAccuracy>,
    /// Accuracy on the labeling pass (training samples, frozen network).
    pub label_pass_accuracy: f64,
    pub ops: OpCounts,
    pub wall_seconds: f64,
    pub images_per_second: f64,
    pub repeats: u64,
    /// Fault-aware training: bit errors read back from the faulty DRAM (0 without FAT).
    pub fat_bits_flipped: u64,
}

/// Where a training stands between two samples: with the network's state
/// ([`Network::state`]) all a checkpoint needs to continue bit for bit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainProgress {
    /// The epoch and sample to run next (`epoch == epochs`: training done, labels next).
    pub epoch: u32,
    pub next_sample: usize,
    /// The current accuracy window: samples in it, their counts and labels.
    fill: usize,
    window: Vec<u32>,
    window_labels: Vec<u8>,
    prev_labels: Option<Vec<i16>>,
    windows: Vec<WindowAccuracy>,
    repeats: u64,
    pub seen: usize,
    start_ops: OpCounts,
    /// Wall time of the processes before this one (the rates count it).
    wall_before_s: f64,
}

/// Checkpoints of a training: `save` is called every `every_samples` samples (0: never
/// between epochs) and at the end of every epoch; `resume` continues from one.
pub struct Checkpointing<'a> {
    pub every_samples: u64,
    pub resume: Option<TrainProgress>,
    pub save: &'a mut dyn FnMut(&TrainProgress, &Network) -> anyhow::Result<()>,
}

/// Train with STDP for the configured epochs, then assign neuron labels from a frozen
/// pass over `label_samples` training samples. `on_window` sees each training-accuracy
/// window as soon as it is complete.
pub fn train(
    net: &mut Network,
    set: &ImageSet,
    show_progress: bool,
    on_window: &mut dyn FnMut(&WindowAccuracy),
) -> TrainResult {
    train_with(net, set, show_progress, on_window, None, None)
        .expect("training without checkpoints or faults has nothing that can fail")
}

/// [`train`] with checkpoints, and with fault-aware training (`fat`: the weights in
/// faulty DRAM, stage by stage). A resumed training gives the same network, labels and
/// result (wall times aside) as one never interrupted, because every random stream is
/// keyed by (epoch, sample) and the rest of the state (the weights' faults included)
/// is in the checkpoint.
pub fn train_with(
    net: &mut Network,
    set: &ImageSet,
    show_progress: bool,
    on_window: &mut dyn FnMut(&WindowAccuracy),
    mut ckpt: Option<Checkpointing>,
    fat: Option<&super::fat::FatSchedule>,
) -> anyhow::Result<TrainResult> {
    let cfg = net.config().clone();
    let n = net.n_excitatory();
    let t0 = Instant::now();
    let w = cfg.report_every.min(set.len().max(1));
    let mut p = ckpt
        .as_mut()
        .and_then(|c| c.resume.take())
        .unwrap_or_else(|| TrainProgress {
            epoch: 0,
            next_sample: 0,
            fill: 0,
            window: vec![0u32; w * n],
            window_labels: vec![0u8; w],
            prev_labels: None,
            windows: Vec::new(),
            repeats: 0,
            seen: 0,
            start_ops: net.ops,
            wall_before_s: 0.0,
        });
    anyhow::ensure!(
        p.window.len() == w * n && p.window_labels.len() == w,
        "training checkpoint: its accuracy window does not fit this config"
    );
    let total = set.len() as u64 * cfg.epochs as u64;
    let pb = crate::progress::bar(total, "train");
    if !show_progress {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    pb.set_position(p.seen as u64);
    while p.epoch < cfg.epochs {
        let epoch = p.epoch;
        for s in p.next_sample..set.len() {
            let key = KEY_TRAIN + ((epoch as u64) << 32) + s as u64;
            if let Some(f) = fat {
                f.before_sample(p.seen as u64, net)?;
            }
            let (c, r) = net.run_sample(set.image(s), s, key, true, &mut NoObserver);
            p.repeats += r as u64;
            let f = p.fill;
            p.window[f * n..(f + 1) * n].copy_from_slice(c);
            p.window_labels[f] = set.labels[s];
            p.fill += 1;
            p.seen += 1;
            pb.inc(1);
            if p.fill == w {
                if let Some(pl) = &p.prev_labels {
                    let sc = score(&p.window, &p.window_labels, pl);
                    pb.set_message(format!("acc {:.1}%", 100.0 * sc.accuracy));
                    tracing::info!(
                        epoch,
                        seen = p.seen,
                        accuracy = sc.accuracy,
                        "training window"
                    );
                    let wa = WindowAccuracy {
                        epoch: epoch + 1,
                        samples_seen: p.seen,
                        accuracy: sc.accuracy,
                    };
                    on_window(&wa);
                    p.windows.push(wa);
                }
                p.prev_labels = Some(assign_labels(&p.window, &p.window_labels, n));
                p.fill = 0;
            }
            p.next_sample = s + 1;
            if p.next_sample == set.len() {
                // The epoch's end: the window starts afresh in the next one.
                (p.epoch, p.next_sample, p.fill) = (epoch + 1, 0, 0);
            }
            if let Some(c) = &mut ckpt {
                let due = c.every_samples > 0 && (p.seen as u64).is_multiple_of(c.every_samples);
                if due || p.next_sample == 0 {
                    let mut snap = p.clone();
                    snap.wall_before_s += t0.elapsed().as_secs_f64();
                    (c.save)(&snap, net)?;
                }
            }
            crate::failpoint::hit("train-sample", p.seen as u64);
        }
        if set.is_empty() {
            p.epoch += 1;
        }
    }
    pb.finish_and_clear();
    let ops = net.ops.since(&p.start_ops);
    let wall = p.wall_before_s + t0.elapsed().as_secs_f64();
    // The trained weights are what the faulty memory returned; no more writes follow.
    let fat_bits_flipped = net.weight_fault_bits_flipped();
    net.set_weight_faults(None)?;
    // Quantize (post-training) before labeling, so labels match the deployed weights.
    net.quantize_weights();
    let lab = set.clone().truncated(cfg.label_samples);
    let pb = crate::progress::bar(lab.len() as u64, "label");
    if !show_progress {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let (resp, _) = respond(net, &lab, KEY_LABEL, cfg.threads, Some(&pb));
    pb.finish_and_clear();
    net.labels = assign_labels(&resp, &lab.labels, n);
    let label_pass_accuracy = score(&resp, &lab.labels, &net.labels).accuracy;
    Ok(TrainResult {
        samples: set.len(),
        epochs: cfg.epochs,
        windows: p.windows,
        label_pass_accuracy,
        ops,
        wall_seconds: wall,
        images_per_second: total as f64 / wall.max(1e-9),
        repeats: p.repeats,
        fat_bits_flipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_prediction() {
        // 3 neurons, 4 samples: neuron 0 answers class 1, neuron 1 class 2, neuron 2 never.
        let resp = vec![5, 0, 0, 3, 1, 0, 0, 4, 0, 1, 0, 0];
        let labels = vec![1, 1, 2, 2];
        let l = assign_labels(&resp, &labels, 3);
        assert_eq!(l, vec![1, 2, -1]);
        assert_eq!(predict(&[1, 9, 0], &l), Some(2));
        assert_eq!(predict(&[0, 0, 0], &l), Some(1), "ties -> lowest class");
        assert_eq!(predict(&[1, 1, 1], &[-1, -1, -1]), None);
        let s = score(&resp, &labels, &l);
        assert_eq!(s.correct, 3);
        assert_eq!(s.confusion_matrix[2][1], 1);
    }

    #[test]
    fn diagnostics_by_hand() {
        // 3 neurons, 4 samples (labels 1, 1, 2, 2).
        let resp = vec![5, 0, 0, 3, 1, 0, 0, 4, 0, 0, 0, 0];
        let l = vec![1i16, 2, -1];
        let d = diagnose(&resp, &[1, 1, 2, 2], &l, &[20.0, 22.0, 30.0], 6);
        assert_eq!(d.mean_spikes_per_sample, 13.0 / 4.0);
        assert_eq!(d.zero_spike_fraction, 0.25);
        assert_eq!(d.presentations_per_sample, 1.5);
        assert_eq!(d.mean_spikes_by_class[1], 4.5);
        assert_eq!(d.mean_spikes_by_class[2], 2.0);
        assert_eq!(d.neurons_per_label[1], 1);
        assert_eq!(d.neurons_per_label[10], 1);
        assert_eq!(d.active_neurons, 2);
        // Top 5% of 3 neurons = 1 neuron: neuron 0 with 8 of 13 spikes.
        assert_eq!(d.top5pct_spike_share, 8.0 / 13.0);
        // Winners: neuron 0 (twice), neuron 1 (once).
        assert_eq!(d.distinct_winners, 2);
        assert_eq!(d.top_winner_share, 0.5);
        assert_eq!((d.theta_min, d.theta_max), (20.0, 30.0));
        assert_eq!(d.theta_mean, 24.0);
    }
}
