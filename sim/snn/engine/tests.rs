//! Engine tests. They start from the defaults and change the fields under test, one per line.
#![allow(clippy::field_reassign_with_default)]

use super::*;
use crate::snn::network;

fn net(cfg: &SnnConfig) -> Network {
    Network::new(cfg, network::build(cfg, 28, 28)).unwrap()
}

#[test]
fn one_stdp_pairing_by_hand() {
    // One input pixel spikes, then neuron 0 spikes 10 steps (5 ms) later.
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 2;
    let mut n = net(&cfg);
    let k = n.input_projection().unwrap();
    let mut w = vec![0.5f32; 784 * 2];
    w[3 * 2] = 0.25;
    n.set_weights(k, &w).unwrap();
    let input = n.input;
    let exc = n.exc;
    n.now = 1000;
    // step A: pre spike at pixel 3.
    n.spikes[input] = vec![3];
    n.spikes[exc].clear();
    n.learn_step(0);
    // No post spike yet: no depression (post trace 0), weight unchanged.
    assert_eq!(n.weights(k)[6], 0.25);
    n.now += 10;
    n.spikes[input].clear();
    n.spikes[exc] = vec![0];
    n.learn_step(1);
    // dw = nu_post * x_pre * post2_before = 0.01 * exp(-5/20) * 0 (never spiked) = 0.
    assert_eq!(n.weights(k)[6], 0.25);
    // Second post spike 20 steps (10 ms) later: post2_before = exp(-10/40),
    // x_pre = exp(-15/20).
    n.now += 20;
    n.learn_step(2);
    let expect = 0.25 + 0.01 * (-15.0f32 / 20.0).exp() * (-10.0f32 / 40.0).exp();
    assert!(
        (n.weights(k)[6] - expect).abs() < 1e-6,
        "{} vs {expect}",
        n.weights(k)[6]
    );
    // Now a pre spike at pixel 3, 4 steps (2 ms) after the post spike:
    // dw = -nu_pre * post1 = -1e-4 * exp(-2/20) on the column of neuron 0 only.
    n.now += 4;
    n.spikes[input] = vec![3];
    n.spikes[exc].clear();
    let before = n.weights(k);
    n.learn_step(3);
    let after = n.weights(k);
    let expect2 = before[6] - 1e-4 * (-2.0f32 / 20.0).exp();
    assert!((after[6] - expect2).abs() < 1e-7);
    assert_eq!(after[7], before[7], "neuron 1 never spiked: no depression");
}

#[test]
fn normalization_sums_to_78() {
    let cfg = SnnConfig::default();
    let mut n = net(&cfg);
    n.normalize();
    let k = n.input_projection().unwrap();
    let w = n.weights(k);
    for j in 0..cfg.n_excitatory {
        let s: f32 = (0..784).map(|i| w[i * cfg.n_excitatory + j]).sum();
        assert!((s - 78.0).abs() < 1e-3, "{s}");
    }
}

#[test]
fn set_and_read_codes() {
    let mut cfg = SnnConfig::default();
    cfg.weight_bits = 4;
    cfg.n_excitatory = 3;
    let mut n = net(&cfg);
    n.quantize_weights();
    let k = n.input_projection().unwrap();
    let (codes, bits) = n.codes(k).unwrap();
    assert_eq!(bits, 4);
    assert!(codes.iter().all(|&c| c < 16));
    let flipped: Vec<u32> = codes.iter().map(|c| c ^ 1).collect();
    n.set_codes(k, &flipped).unwrap();
    assert_eq!(n.codes(k).unwrap().0, flipped);
    assert_eq!(n.weight_memory_bits(), 784 * 3 * 4 + 4 + 4);
    assert!(n.set_weights(k, &[0.0; 5]).is_err());
}
#[test]
fn single_trace_rule_by_hand() {
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 2;
    cfg.single_trace = Some(true);
    let mut n = net(&cfg);
    let k = n.input_projection().unwrap();
    n.set_weights(k, &vec![0.5f32; 784 * 2]).unwrap();
    let (input, exc) = (n.input, n.exc);
    n.now = 100;
    n.spikes[input] = vec![5];
    n.spikes[exc].clear();
    n.learn_step(0);
    assert_eq!(n.weights(k)[10], 0.5, "no depression on pre spikes");
    n.now += 8; // 4 ms later neuron 1 fires
    n.spikes[input].clear();
    n.spikes[exc] = vec![1];
    n.learn_step(1);
    let w = n.weights(k);
    let off = cfg.stdp.single_trace_offset;
    assert!((w[5 * 2 + 1] - (0.5 + 0.01 * ((-4.0f32 / 20.0).exp() - off))).abs() < 1e-6);
    assert!(
        (w[6 * 2 + 1] - (0.5 - 0.01 * off)).abs() < 1e-6,
        "silent input depressed by the offset"
    );
    assert_eq!(w[5 * 2], 0.5, "neuron 0 untouched");
}

#[test]
fn timestep_updates_match_event_updates_without_clipping() {
    // The same spikes through event mode and timestep mode give the same weights
    // (no clipping involved), with fewer or equal writes in timestep mode.
    let run = |timestep: bool| {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 3;
        cfg.timestep_updates = Some(timestep);
        cfg.stdp.update_interval_ms = 5.0;
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        n.set_weights(k, &vec![0.5f32; 784 * 3]).unwrap();
        let (input, exc) = (n.input, n.exc);
        let pattern: [(&[u32], &[u32]); 6] = [
            (&[1, 2], &[]),
            (&[], &[0]),
            (&[2], &[]),
            (&[1], &[2]),
            (&[3], &[0]),
            (&[1, 3], &[]),
        ];
        for (t, (pre, post)) in pattern.iter().enumerate() {
            n.spikes[input] = pre.to_vec();
            n.spikes[exc] = post.to_vec();
            n.learn_step(t);
            n.now += 1;
        }
        n.learn_end_presentation();
        (n.weights(k), n.ops.weight_updates)
    };
    let (we, ce) = run(false);
    let (wt, ct) = run(true);
    for (a, b) in we.iter().zip(&wt) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!(ct <= ce, "{ct} > {ce}");
}

#[test]
fn direct_inhibition_drops_the_inhibitory_population() {
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 20;
    let img = vec![128u8; 784];
    let mut a = net(&cfg);
    a.run_sample(&img, 0, 1, false, &mut NoObserver);
    cfg.direct_inhibition = Some(true);
    let mut b = net(&cfg);
    b.run_sample(&img, 0, 1, false, &mut NoObserver);
    assert_eq!(b.population_names().len(), 2);
    let steps = 700 * a.ops.presentations;
    assert_eq!(
        a.ops.neuron_updates,
        (40 * steps) + 40 * a.ops.presentations
    );
    assert_eq!(
        b.ops.neuron_updates,
        (20 * steps) + 20 * b.ops.presentations
    );
}

#[test]
fn observer_sees_every_step_and_the_counts() {
    struct Obs {
        steps: u32,
        exc_spikes: u32,
        input_spikes: u64,
    }
    impl StepObserver for Obs {
        fn on_presentation(&mut self, _s: usize, _r: u32) {
            self.exc_spikes = 0;
        }
        fn on_step(&mut self, _step: u32, sp: &StepSpikes<'_>) {
            self.steps += 1;
            self.exc_spikes += sp.population(1).len() as u32;
            self.input_spikes += sp.population(0).len() as u64;
            assert_eq!(sp.name(1), "exc");
        }
    }
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 10;
    let mut n = net(&cfg);
    let mut o = Obs {
        steps: 0,
        exc_spikes: 0,
        input_spikes: 0,
    };
    let (c, _) = n.run_sample(&vec![200u8; 784], 0, 7, false, &mut o);
    let total: u32 = c.iter().sum();
    assert_eq!(o.exc_spikes, total);
    assert_eq!(o.steps as u64, 700 * n.ops.presentations);
    assert_eq!(o.input_spikes, n.ops.input_spikes);
}

#[test]
fn quantized_training_keeps_weights_on_the_grid() {
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 10;
    cfg.weight_bits = 4;
    cfg.quantization = QuantMode::Training;
    cfg.rounding = super::super::config::Rounding::Stochastic;
    let mut n = net(&cfg);
    for s in 0..3 {
        n.run_sample(&vec![150u8; 784], s, s as u64, true, &mut NoObserver);
    }
    let k = n.input_projection().unwrap();
    assert!(n
        .weights(k)
        .iter()
        .all(|&w| (w * 16.0).fract() == 0.0 && w <= 15.0 / 16.0));
}

/// FNV-1a over the spike counts of a few training and test samples and the final
/// input weights (bit patterns): a fingerprint of the whole simulation.
fn fingerprint(cfg: &SnnConfig) -> u64 {
    let base = std::path::Path::new(".");
    let set = crate::snn::dataset::load_pair(
        "builtin:mnist-sample/train-images",
        "builtin:mnist-sample/train-labels",
        base,
    )
    .unwrap();
    let mut n = net(cfg);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut mix = |x: u64| {
        for b in x.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    };
    for s in 0..6 {
        let learn = s < 4;
        let (c, r) = n.run_sample(set.image(s), s, 100 + s as u64, learn, &mut NoObserver);
        c.iter().for_each(|&x| mix(x as u64));
        mix(r as u64);
    }
    let k = n.input_projection().unwrap();
    n.weights(k).iter().for_each(|&w| mix(w.to_bits() as u64));
    n.theta().iter().for_each(|&t| mix(t.to_bits() as u64));
    h
}

#[test]
fn zero_max_delay_is_bit_identical_to_the_engine_without_delays() {
    // Golden fingerprints: Diehl & Cook and FSpiNN, N 20, 4 training + 2 test samples.
    // Recorded before per-synapse delays existed (commit 7111f5b: 0x8c63_d660_d3ba_bcfa,
    // 0x3ec7_42c8_f52a_9a69), re-recorded when the exact integration began to use the
    // conductances' step averages (issue 22), which changes every trajectory.
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 20;
    let dc = fingerprint(&cfg);
    cfg.model = super::super::config::SnnModel::Fspinn;
    let fs = fingerprint(&cfg);
    assert_eq!((dc, fs), (0x38da_cc22_1822_344e, 0x3926_e6b8_40cf_f554));
    // The `held` scheme is the engine before issue 22, bit for bit: the old golden values.
    cfg.integration = super::super::config::Integration::Held;
    let fs_held = fingerprint(&cfg);
    cfg.model = super::super::config::SnnModel::DiehlCook;
    let dc_held = fingerprint(&cfg);
    assert_eq!(
        (dc_held, fs_held),
        (0x8c63_d660_d3ba_bcfa, 0x3ec7_42c8_f52a_9a69)
    );
}

/// A schedule with the given (step, pixel) input spikes.
fn schedule(steps: usize, spikes: &[(usize, u32)]) -> Schedule {
    let mut offsets = vec![0u32; steps + 1];
    let mut ids = Vec::new();
    for t in 0..steps {
        ids.extend(spikes.iter().filter(|s| s.0 == t).map(|s| s.1));
        offsets[t + 1] = ids.len() as u32;
    }
    let mut s = Schedule::default();
    (s.steps, s.offsets, s.ids) = (steps, offsets, ids);
    s
}

#[test]
fn a_spike_arrives_at_each_synapse_after_its_own_delay() {
    // Pixel 5 spikes at step 2; its synapses to neurons 0, 1, 2 have delays 0, 3 and
    // 20 steps and weights 0.1, 0.2, 0.3. The excitatory conductance is held (tau_ge
    // huge), so after a presentation of T steps ge_j = w_j exactly when the spike has
    // reached j, i.e. when 2 + d_j <= T - 1 (it is added at the end of step 2 + d_j,
    // as a projection-wide delay d_j would).
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 3;
    cfg.input_delay_max_ms = 10.0;
    cfg.exc.tau_ge_ms = 1e12;
    cfg.exc.theta_init_mv = 1000.0; // never fire
    let mut n = net(&cfg);
    let k = n.input_projection().unwrap();
    assert_eq!(n.projection_info(k).max_delay_steps, 20);
    let mut d = vec![0u16; 784 * 3];
    d[5 * 3..5 * 3 + 3].copy_from_slice(&[0, 3, 20]);
    n.set_delays(k, &d).unwrap();
    let mut w = vec![0.0f32; 784 * 3];
    w[5 * 3..5 * 3 + 3].copy_from_slice(&[0.1, 0.2, 0.3]);
    n.set_weights(k, &w).unwrap();
    let exc = n.exc;
    for (j, dj) in [(0usize, 0usize), (1, 3), (2, 20)] {
        for (steps, arrived) in [(2 + dj, false), (3 + dj, true)] {
            n.reset_state();
            n.present_steps = steps;
            n.present(&schedule(steps, &[(2, 5)]), false, &mut NoObserver);
            let ge = n.pops[exc]
                .model
                .as_ref()
                .unwrap()
                .input(crate::snn::network::Target::Excitatory)[j];
            let want = if arrived { w[5 * 3 + j] } else { 0.0 };
            assert_eq!(ge, want, "neuron {j}, {steps} steps");
        }
    }
    // Counted at emission, once per synapse: 5 of the 6 presentations reach step 2.
    assert_eq!(n.ops.synaptic_ops, 5 * 3);
}

#[test]
fn delays_are_drawn_from_the_seed_and_leave_weights_alone() {
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 50;
    let plain = net(&cfg);
    cfg.input_delay_max_ms = 10.0;
    let (a, b) = (net(&cfg), net(&cfg));
    let k = a.input_projection().unwrap();
    assert!(plain.delays(k).is_none());
    let d = a.delays(k).unwrap();
    assert_eq!(Some(d), b.delays(k), "same seed, same delays");
    assert_eq!(
        a.weights(k),
        plain.weights(k),
        "delays have their own stream"
    );
    // Uniform in [0, 10] ms rounded to 0.5 ms steps: 0..=20, 0 and 20 half as likely.
    assert!(d.iter().all(|&x| x <= 20));
    let mean = d.iter().map(|&x| x as f64).sum::<f64>() / d.len() as f64;
    assert!((mean - 10.0).abs() < 0.1, "{mean}");
    let zeros = d.iter().filter(|&&x| x == 0).count() as f64 / d.len() as f64;
    let tens = d.iter().filter(|&&x| x == 10).count() as f64 / d.len() as f64;
    assert!((zeros - 0.025).abs() < 0.005 && (tens - 0.05).abs() < 0.006);
    cfg.seed = 2;
    assert_ne!(net(&cfg).delays(k).unwrap(), d);
    // A lower bound shifts the range: [4, 6] ms -> 8..=12 steps.
    cfg.input_delay_ms = 4.0;
    cfg.input_delay_max_ms = 6.0;
    let c = net(&cfg);
    let dc = c.delays(k).unwrap();
    assert!(dc.iter().all(|&x| (8..=12).contains(&x)));
    assert_eq!(c.projection_info(k).delay_steps, 0);
}

#[test]
fn training_with_delays_is_deterministic() {
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 20;
    cfg.input_delay_max_ms = 10.0;
    let a = fingerprint(&cfg);
    assert_eq!(a, fingerprint(&cfg));
    cfg.model = super::super::config::SnnModel::Fspinn;
    let f = fingerprint(&cfg);
    assert_eq!(f, fingerprint(&cfg));
    assert_ne!(a, f);
}

#[test]
fn equal_per_synapse_delays_match_one_projection_delay() {
    // Every synapse delayed by 5 ms through the ring (range [5, 5]) against the
    // projection-wide 5 ms delay: the same spikes; weights equal up to f32 summation
    // order (the ring sums a step's increments before adding them to ge). The deferred
    // depression commutes with potentiation unless a weight is clipped at 0, so the
    // initial weights are kept away from 0 (offset 1: U(0.3, 0.6) before normalization).
    let run = |per_synapse: bool| {
        let mut cfg = SnnConfig::default();
        cfg.n_excitatory = 20;
        cfg.input_delay_ms = 5.0;
        cfg.input_delay_max_ms = if per_synapse { 5.0 } else { 0.0 };
        cfg.w_input_offset = 1.0;
        let base = std::path::Path::new(".");
        let set = crate::snn::dataset::load_pair(
            "builtin:mnist-sample/train-images",
            "builtin:mnist-sample/train-labels",
            base,
        )
        .unwrap();
        let mut n = net(&cfg);
        let mut counts = Vec::new();
        for s in 0..4 {
            let (c, _) = n.run_sample(set.image(s), s, s as u64, true, &mut NoObserver);
            counts.extend_from_slice(c);
        }
        let k = n.input_projection().unwrap();
        (counts, n.weights(k), n.ops)
    };
    let (ca, wa, oa) = run(true);
    let (cb, wb, ob) = run(false);
    assert_eq!(ca, cb);
    assert!(ca.iter().sum::<u32>() > 20);
    // Synaptic events are counted at emission with per-synapse delays, at arrival with
    // one delay (spikes of the last 5 ms of a presentation never arrive).
    // The deferred depression also writes (zero changes) to post neurons that became
    // active between an arrival and its application: a few more weight writes.
    let strip = |o: OpCounts| OpCounts {
        synaptic_ops: 0,
        weight_updates: 0,
        ..o
    };
    assert_eq!(strip(oa), strip(ob));
    assert!(oa.synaptic_ops > ob.synaptic_ops);
    assert!(oa.weight_updates >= ob.weight_updates);
    assert!(oa.weight_updates - ob.weight_updates < ob.weight_updates / 500);
    for (x, y) in wa.iter().zip(&wb) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y}");
    }
}

#[test]
fn stdp_sees_spikes_as_they_arrive_at_each_synapse() {
    // Pixel 3 -> neuron 0 delay 10 steps, -> neuron 1 delay 0; every other synapse 0.
    // Both neurons fire at step 0 and 6, neuron 0 again at 14; pixel 3 fires at step 2.
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 2;
    cfg.input_delay_max_ms = 10.0;
    let mut n = net(&cfg);
    let k = n.input_projection().unwrap();
    let mut d = vec![0u16; 784 * 2];
    d[3 * 2] = 10;
    n.set_delays(k, &d).unwrap();
    n.set_weights(k, &vec![0.5f32; 784 * 2]).unwrap();
    let (input, exc) = (n.input, n.exc);
    n.now = 1000;
    for t in 0..=14usize {
        n.spikes[input] = if t == 2 { vec![3] } else { vec![] };
        n.spikes[exc] = match t {
            0 | 6 => vec![0, 1],
            14 => vec![0],
            _ => vec![],
        };
        let len = n.hist[input].len();
        n.hist[input][t % len] = n.spikes[input].clone();
        n.learn_step(t);
        n.now += 1;
    }
    let w = n.weights(k);
    let e = |x: f32| x.exp();
    // Neuron 1 (no delay): potentiated at step 6 by x_pre = exp(-4 steps / 40) and
    // post2 = exp(-6 / 80); depressed by post1 at the arrival (step 2, last post spike
    // at 0: exp(-2 / 40)), not by the later spike at 6.
    let w1 = 0.5 + 0.01 * e(-0.1) * e(-0.075) - 1e-4 * e(-0.05);
    // Neuron 0: the spike arrives at step 12, after the post spike at 6 (no
    // potentiation then); depression by post1 at 12 (exp(-6 / 40)); potentiation at
    // 14 by x_pre = exp(-2 / 40), post2 = exp(-8 / 80).
    let w0 = 0.5 - 1e-4 * e(-0.15) + 0.01 * e(-0.05) * e(-0.1);
    assert!((w[3 * 2 + 1] - w1).abs() < 1e-6, "{} vs {w1}", w[3 * 2 + 1]);
    assert!((w[3 * 2] - w0).abs() < 1e-6, "{} vs {w0}", w[3 * 2]);
    assert_eq!(w[4 * 2], 0.5, "silent input untouched");
}

#[test]
fn input_norm_mean_scales_rates_to_a_common_mean() {
    // Off: scale 1 whatever the image.
    assert_eq!(input_scale(&[10u8, 30], 0.0), 1.0);
    // Mean level 20 -> 40: factor 2; mean 80 -> 40: factor 0.5; black: 1.
    assert_eq!(input_scale(&[10u8, 30], 40.0), 2.0);
    assert_eq!(input_scale(&[160u8, 0], 40.0), 0.5);
    assert_eq!(input_scale(&[0u8, 0], 40.0), 1.0);
    // A dim and a bright version of one pattern then bring the same input spikes
    // (same random stream: the rates are identical).
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 5;
    cfg.input_norm_mean = 30.0;
    cfg.exc.theta_init_mv = 1000.0; // never fire: one presentation each
    cfg.max_repeats = 0;
    let dim: Vec<u8> = (0..784).map(|k| if k % 3 == 0 { 60 } else { 0 }).collect();
    let bright: Vec<u8> = dim.iter().map(|&p| p * 2).collect();
    let mut a = net(&cfg);
    a.run_sample(&dim, 0, 5, false, &mut NoObserver);
    let mut b = net(&cfg);
    b.run_sample(&bright, 0, 5, false, &mut NoObserver);
    assert_eq!(a.ops.input_spikes, b.ops.input_spikes);
    // Mean level 20 scaled to 30 at pixel / 4 Hz: 784 x 30 / 4 Hz x 0.35 s = 2058 expected.
    let n = a.ops.input_spikes as f64;
    assert!((n - 2058.0).abs() < 5.0 * 2058f64.sqrt(), "{n}");
}

/// Records every population's spikes of every step, and checks that each projection
/// delivers its pre population's spikes (no delays here).
#[derive(Default)]
struct Raster(Vec<Vec<Vec<u32>>>);
impl StepObserver for Raster {
    fn on_step(&mut self, _step: u32, sp: &StepSpikes<'_>) {
        for (p, pre) in [(0, 0), (1, 1), (2, 2)] {
            assert_eq!(sp.projection(p), sp.population(pre));
        }
        self.0.push(
            (0..sp.num_populations())
                .map(|p| sp.population(p).to_vec())
                .collect(),
        );
    }
}

/// input 8x8 -> conv 3x3 pad 1 (2 channels) -> conv 3x3 stride 2 pad 1 (3 channels)
/// -> dense 10, current-based LIF neurons; with `unrolled`, the convolutions are
/// all-to-all projections instead (weights set by the caller).
fn layered(unrolled: bool) -> NetworkDesc {
    use crate::snn::network::{Plasticity, Population, Projection, Target, WeightInit};
    let lif = PopKind::CurrentLif {
        alpha: 0.75,
        beta: 0.875,
        threshold: 0.9,
        reset: 1.0,
    };
    let mut g = petgraph::graph::DiGraph::new();
    let mut pop = |name: &str, size, kind: PopKind| {
        g.add_node(Population {
            name: name.into(),
            size,
            kind,
        })
    };
    let ids = [
        pop("input", 64, PopKind::Poisson { rows: 8, cols: 8 }),
        pop("c1", 128, lif.clone()),
        pop("c2", 48, lif.clone()),
        pop("out", 10, lif),
    ];
    let conv = |in_channels, rows, out_channels, stride| {
        Connectivity::Conv(conv::Conv {
            in_channels,
            rows,
            cols: rows,
            out_channels,
            kernel: 3,
            stride,
            padding: 1,
        })
    };
    let proj = |name: &str, connectivity| Projection {
        name: name.into(),
        connectivity: if unrolled && name != "c2_out" {
            Connectivity::AllToAll
        } else {
            connectivity
        },
        init: WeightInit::Uniform {
            scale: 0.8,
            offset: -0.3,
        },
        target: Target::Excitatory,
        delay_ms: 0.0,
        delay_max_ms: 0.0,
        plasticity: Plasticity::Fixed,
    };
    g.add_edge(ids[0], ids[1], proj("in_c1", conv(1, 8, 2, 1)));
    g.add_edge(ids[1], ids[2], proj("c1_c2", conv(2, 8, 3, 2)));
    g.add_edge(ids[2], ids[3], proj("c2_out", Connectivity::AllToAll));
    NetworkDesc { graph: g }
}

#[test]
fn a_convolution_delivers_what_its_unrolled_matrix_does() {
    let cfg = SnnConfig::default();
    let mut conv = Network::new(&cfg, layered(false)).unwrap();
    let mut dense = Network::new(&cfg, layered(true)).unwrap();
    for p in 0..conv.num_projections() {
        dense.set_weights(p, &conv.weights(p)).unwrap();
    }
    // Kernel storage: 2x1x3x3 and 3x2x3x3 weights, not pre x post.
    assert_eq!(conv.projection_info(0).memory_bits, 18 * 32);
    assert_eq!(conv.projection_info(1).memory_bits, 54 * 32);
    // Per output channel of c1: 4 corner outputs see 4 inputs, 24 edge outputs 6, 36
    // interior ones 9.
    assert_eq!(
        conv.projection_info(0).synapses,
        2 * (4 * 4 + 24 * 6 + 36 * 9)
    );
    let image: Vec<u8> = (0..64).map(|k| ((k * 37) % 256) as u8).collect();
    let (mut a, mut b) = (Raster::default(), Raster::default());
    conv.run_sample(&image, 0, 3, false, &mut a);
    dense.run_sample(&image, 0, 3, false, &mut b);
    assert_eq!(a.0, b.0, "same spikes, step for step");
    for layer in 1..4 {
        let spikes: usize = a.0.iter().map(|s| s[layer].len()).sum();
        assert!(spikes > 0, "layer {layer} fired");
    }
    // The readout is the last layer.
    assert_eq!(conv.n_excitatory(), 10);
}

#[test]
fn a_matrix_that_is_no_convolution_is_refused() {
    let mut n = Network::new(&SnnConfig::default(), layered(false)).unwrap();
    let mut w = n.weights(0);
    let k = w.iter().position(|&x| x != 0.0).unwrap();
    w[k] += 0.5;
    assert!(n.set_weights(0, &w).is_err());
    let (kernel, geometry) = n.kernel(0).unwrap();
    assert_eq!((kernel.len(), geometry.out_channels), (18, 2));
}

#[test]
fn a_network_without_one_readout_is_refused() {
    // Two last layers and no adaptive-LIF population: no readout.
    let mut d = layered(false);
    let extra = d.graph.add_node(crate::snn::network::Population {
        name: "side".into(),
        size: 4,
        kind: PopKind::Lif,
    });
    let c1 = petgraph::graph::NodeIndex::new(1);
    let e = d.graph.edge_indices().next_back().unwrap();
    let mut p = d.graph[e].clone();
    p.name = "c1_side".into();
    d.graph.add_edge(c1, extra, p);
    let err = Network::new(&SnnConfig::default(), d)
        .unwrap_err()
        .to_string();
    assert!(err.contains("readout"), "{err}");
}

#[test]
fn the_observer_sees_each_projection_deliver_its_delayed_spikes() {
    // Input -> excitatory with a 2 ms (4-step) delay: the projection delivers the input
    // spikes of 4 steps ago, and nothing in the first 4 steps.
    #[derive(Default)]
    struct Obs {
        input: Vec<Vec<u32>>,
        delivered: Vec<Vec<u32>>,
    }
    impl StepObserver for Obs {
        fn on_step(&mut self, _step: u32, sp: &StepSpikes<'_>) {
            self.input.push(sp.population(0).to_vec());
            self.delivered.push(sp.projection(0).to_vec());
        }
    }
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 5;
    cfg.input_delay_ms = 2.0;
    cfg.max_repeats = 0;
    let mut n = net(&cfg);
    assert_eq!(n.projection_info(0).name, "input_exc");
    let mut o = Obs::default();
    n.run_sample(&vec![200u8; 784], 0, 1, false, &mut o);
    assert!(o.delivered[..4].iter().all(|d| d.is_empty()));
    assert_eq!(o.delivered[4..], o.input[..o.input.len() - 4]);
    assert!(o.input.iter().map(Vec::len).sum::<usize>() > 100);
}

#[test]
fn faults_on_read_keep_a_clean_master_and_compute_with_what_the_dram_returns() {
    // 8-bit weights; synapse 5 of the input projection has its MSB stuck at 1 (reads
    // >= 0.5), synapse 9 its MSB stuck at 0.
    let mut cfg = SnnConfig::default();
    cfg.n_excitatory = 4;
    cfg.weight_bits = 8;
    let stuck = [
        StuckBits {
            synapse: 5,
            and: 0xff,
            or: 0x80,
        },
        StuckBits {
            synapse: 9,
            and: 0x7f,
            or: 0,
        },
    ];
    let build = |on_read: bool| {
        let mut n = net(&cfg);
        let k = n.input_projection().unwrap();
        let mut w = vec![0.25f32; 784 * 4];
        w[9] = 0.75;
        n.set_weights(k, &w).unwrap();
        n.set_weight_faults(Some(
            WeightFaults::new(k, 784 * 4, 8, &stuck).on_read(on_read),
        ))
        .unwrap();
        (n, k)
    };
    let (master, k) = build(true);
    let (in_place, _) = build(false);
    // On read the master keeps what was written; in place the weights are what the
    // cells return (0.25 | MSB = 0.75; 0.75 & ~MSB = 0.25).
    assert_eq!((master.weights(k)[5], master.weights(k)[9]), (0.25, 0.75));
    assert_eq!(
        (in_place.weights(k)[5], in_place.weights(k)[9]),
        (0.75, 0.25)
    );
    assert_eq!(master.weight_fault_bits_flipped(), 2);
    // Both compute with the faulty values: the same responses to a sample.
    let image: Vec<u8> = (0..784).map(|p| ((p * 7) % 256) as u8).collect();
    let (mut a, mut b) = (master.clone(), in_place.clone());
    let ra = a
        .run_sample(&image, 0, 5, false, &mut NoObserver)
        .0
        .to_vec();
    let rb = b
        .run_sample(&image, 0, 5, false, &mut NoObserver)
        .0
        .to_vec();
    assert_eq!(ra, rb);
    // Learning: the rule updates the master, which never takes a stuck value as its
    // own; removing the faults leaves the master.
    let (mut m, _) = build(true);
    for s in 0..3 {
        m.run_sample(&image, s, s as u64, true, &mut NoObserver);
    }
    let learned = m.weights(k);
    m.set_weight_faults(None).unwrap();
    assert_eq!(m.weights(k), learned);
    assert!(m.projs[k].w_read.is_none());
}
