//! Losses on output spikes (steps x n, step-major) and their gradients.
//!
//! van Rossum distance (the reference code's form): both rasters are filtered,
//! f[t] = decay f[t-1] + s[t] (f[-1] = 0), and
//! `D = sqrt(sum_{t,i} (f_out - f_target)^2 / tau_s)` with tau in seconds (5 ms).
//! Its gradient on the output spikes: dD/df = (f_out - f_target) / (tau_s D), filtered
//! backwards, dD/ds[t] = sum_{t' >= t} decay^(t'-t) dD/df[t'] (0 when D = 0).
//!
//! Cross-entropy (classification): logits = output spike counts over the sample,
//! L = -log softmax(logits)[label]; dL/ds[t, i] = softmax_i - [i = label] for every t.

/// van Rossum distance of `out` and `target` (steps x n); writes dD/dout to `grad`.
pub fn van_rossum(
    out: &[f32],
    target: &[f32],
    n: usize,
    decay: f32,
    tau_s: f32,
    grad: &mut [f32],
) -> f64 {
    let steps = out.len() / n.max(1);
    let mut fo = vec![0.0f32; n];
    let mut ft = vec![0.0f32; n];
    let mut sum = 0.0f64;
    for t in 0..steps {
        let r = t * n..(t + 1) * n;
        let (o, g, y) = (&out[r.clone()], &mut grad[r.clone()], &target[r]);
        for i in 0..n {
            fo[i] = decay * fo[i] + o[i];
            ft[i] = decay * ft[i] + y[i];
            let d = fo[i] - ft[i];
            g[i] = d;
            sum += (d as f64) * (d as f64);
        }
    }
    let dist = (sum / tau_s as f64).sqrt();
    if dist == 0.0 {
        grad.fill(0.0);
        return 0.0;
    }
    let k = (1.0 / (tau_s as f64 * dist)) as f32;
    let mut acc = vec![0.0f32; n];
    for t in (0..steps).rev() {
        for (a, g) in acc.iter_mut().zip(&mut grad[t * n..(t + 1) * n]) {
            *a = decay * *a + k * *g;
            *g = *a;
        }
    }
    dist
}

/// Cross-entropy of the spike counts of `out` (steps x n) against `label`; writes
/// dL/dout to `grad`. Returns (loss, predicted class = the largest count, first wins).
pub fn count_cross_entropy(out: &[f32], n: usize, label: usize, grad: &mut [f32]) -> (f64, usize) {
    let mut counts = vec![0.0f64; n];
    for r in out.chunks_exact(n) {
        counts.iter_mut().zip(r).for_each(|(c, &s)| *c += s as f64);
    }
    let max = counts.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let pred = counts.iter().position(|&c| c == max).unwrap_or(0);
    let z: f64 = counts.iter().map(|c| (c - max).exp()).sum();
    let p: Vec<f32> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| ((c - max).exp() / z) as f32 - (i == label) as u8 as f32)
        .collect();
    for g in grad.chunks_exact_mut(n) {
        g.copy_from_slice(&p);
    }
    (-((counts[label] - max) - z.ln()), pred)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One neuron, 3 steps, decay 0.5, tau 1: out spikes at t = 0, target at t = 1.
    /// f_out = 1, .5, .25; f_target = 0, 1, .5; differences 1, -.5, -.25;
    /// D = sqrt(1 + .25 + .0625) = sqrt(1.3125).
    #[test]
    fn van_rossum_by_hand() {
        let mut g = [0.0; 3];
        let d = van_rossum(&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], 1, 0.5, 1.0, &mut g);
        assert!((d - 1.3125f64.sqrt()).abs() < 1e-9, "{d}");
        // dD/df = diff / D; backwards: g2 = -.25/D, g1 = -.5/D + .5 g2, g0 = 1/D + .5 g1.
        let dd = 1.3125f32.sqrt();
        let g2 = -0.25 / dd;
        let g1 = -0.5 / dd + 0.5 * g2;
        let g0 = 1.0 / dd + 0.5 * g1;
        for (a, b) in g.iter().zip([g0, g1, g2]) {
            assert!((a - b).abs() < 1e-6, "{g:?}");
        }
        // Equal rasters: distance 0, no gradient. tau 5 ms: one lone spike, 3 steps of
        // decay .875 -> sqrt((1 + .875^2 + .875^4) / .005).
        assert_eq!(
            van_rossum(&[1.0, 0.0], &[1.0, 0.0], 1, 0.5, 1.0, &mut g[..2]),
            0.0
        );
        assert_eq!(g[..2], [0.0, 0.0]);
        let d = van_rossum(&[1.0, 0.0, 0.0], &[0.0; 3], 1, 0.875, 0.005, &mut g);
        let want = ((1.0 + 0.875f64.powi(2) + 0.875f64.powi(4)) / 0.005).sqrt();
        assert!((d - want).abs() < 1e-5, "{d} vs {want}");
    }

    #[test]
    fn cross_entropy_by_hand() {
        // Counts 2 and 0 over 2 steps, label 1: L = -log(1 / (1 + e^2)) = ln(1 + e^2).
        let mut g = [0.0; 4];
        let (l, pred) = count_cross_entropy(&[1.0, 0.0, 1.0, 0.0], 2, 1, &mut g);
        assert!((l - (1.0 + 2f64.exp()).ln()).abs() < 1e-9);
        assert_eq!(pred, 0);
        let p0 = (2f64.exp() / (1.0 + 2f64.exp())) as f32;
        assert!(
            (g[0] - p0).abs() < 1e-6 && (g[1] - (1.0 - p0 - 1.0)).abs() < 1e-6,
            "{g:?}"
        );
        assert_eq!(g[..2], g[2..]);
    }
}
