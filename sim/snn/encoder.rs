//! Poisson rate coding of an image: each pixel fires in each step of `dt` with
//! probability rate * dt (the discrete-time Poisson process Brian uses).
//!
//! Rather than one random draw per pixel and step (784 x 700 per image), the gaps between
//! a pixel's spikes are drawn from the matching geometric distribution: one draw per spike.
//! The result is bucketed by step (counting sort), so each step's spikes are a slice of
//! pixel ids in increasing order.

use spikemem_arch::rng::Rng;

/// A spike schedule for one presentation: `ids[offsets[t]..offsets[t+1]]` fire at step t.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    pub steps: usize,
    pub offsets: Vec<u32>,
    pub ids: Vec<u32>,
    scratch: Vec<(u32, u32)>,
    pos: Vec<u32>,
}

impl Schedule {
    #[inline]
    pub fn at(&self, t: usize) -> &[u32] {
        &self.ids[self.offsets[t] as usize..self.offsets[t + 1] as usize]
    }
    pub fn total(&self) -> usize {
        self.ids.len()
    }

    /// Fill with Poisson spikes: pixel i has rate `pixels[i] * hz_per_level` Hz.
    /// Reuses its buffers (no allocation once warm).
    pub fn fill(
        &mut self,
        pixels: &[u8],
        hz_per_level: f64,
        dt_ms: f64,
        steps: usize,
        rng: &mut Rng,
    ) {
        self.steps = steps;
        self.scratch.clear();
        for (i, &px) in pixels.iter().enumerate() {
            if px == 0 {
                continue;
            }
            let p = px as f64 * hz_per_level * dt_ms * 1e-3;
            if p >= 1.0 {
                for t in 0..steps {
                    self.scratch.push((t as u32, i as u32));
                }
                continue;
            }
            // P(gap = k) = (1-p)^(k-1) p, k >= 1: k = 1 + floor(ln U / ln(1-p)).
            let inv_log_q = 1.0 / (-p).ln_1p();
            let mut t: i64 = -1;
            loop {
                let u = 1.0 - rng.next_f64(); // (0, 1]
                                              // Saturating: with a tiny rate the gap's float can exceed i64 (the cast
                                              // saturates), which ends the presentation like any gap past its end.
                let gap = 1i64.saturating_add((u.ln() * inv_log_q).floor() as i64);
                t = t.saturating_add(gap);
                if t >= steps as i64 {
                    break;
                }
                self.scratch.push((t as u32, i as u32));
            }
        }
        self.offsets.clear();
        self.offsets.resize(steps + 1, 0);
        for &(t, _) in &self.scratch {
            self.offsets[t as usize + 1] += 1;
        }
        for t in 0..steps {
            self.offsets[t + 1] += self.offsets[t];
        }
        self.ids.clear();
        self.ids.resize(self.scratch.len(), 0);
        // Stable placement keeps ids ascending within a step (scratch is pixel-major).
        self.pos.clear();
        self.pos.extend_from_slice(&self.offsets);
        for &(t, i) in &self.scratch {
            let slot = &mut self.pos[t as usize];
            self.ids[*slot as usize] = i;
            *slot += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_within_statistical_bounds() {
        // 100 pixels at level 200 -> 50 Hz; 2000 steps of 0.5 ms = 1 s each.
        let pixels = vec![200u8; 100];
        let mut s = Schedule::default();
        let mut rng = Rng::new(3);
        let steps = 2000;
        s.fill(&pixels, 0.25, 0.5, steps, &mut rng);
        let n = s.total() as f64;
        // Expected count: 100 * 2000 * p, p = 0.025 -> 5000; sd = sqrt(5000 * 0.975) ~ 70.
        assert!((n - 5000.0).abs() < 5.0 * 70.0, "{n}");
        // Per-step sorted ids and within range.
        for t in 0..steps {
            let a = s.at(t);
            assert!(a.windows(2).all(|w| w[0] < w[1]));
            assert!(a.iter().all(|&i| i < 100));
        }
        // Inter-spike gaps of one pixel: mean 1/p = 40 steps.
        let times: Vec<usize> = (0..steps).filter(|&t| s.at(t).contains(&7)).collect();
        assert!(times.len() > 20);
        // Zero pixels never fire.
        let mut s2 = Schedule::default();
        s2.fill(&[0u8; 10], 0.25, 0.5, steps, &mut rng);
        assert_eq!(s2.total(), 0);
    }

    #[test]
    fn counts_per_step_are_binomial() {
        // Mean and variance of one pixel's count over many 100-step windows: Bernoulli(p).
        let mut s = Schedule::default();
        let mut rng = Rng::new(9);
        let p = 0.1; // level 200 * 1 Hz/level * 0.5 ms
        let reps = 4000;
        let mut counts = Vec::new();
        for _ in 0..reps {
            s.fill(&[200u8], 1.0, 0.5, 100, &mut rng);
            counts.push(s.total() as f64);
        }
        let mean = counts.iter().sum::<f64>() / reps as f64;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / reps as f64;
        // Binomial(100, 0.1): mean 10, var 9; 5 sigma of the mean = 5 * 3 / sqrt(4000) ~ 0.24.
        assert!((mean - 10.0).abs() < 0.24, "{mean}");
        assert!((var - 9.0).abs() < 1.2, "{var}");
        let _ = p;
    }
}
