//! Optimizers on a layer's master weights; after every step the weights are clipped to
//! the WAGE bound +-(1 - 1/S(wb)) (+-1 for float).
//!
//! - SGD: w -= lr g.
//! - Adamax (Kingma & Ba 2015, as torch.optim.Adamax): m = b1 m + (1 - b1) g;
//!   u = max(b2 u, |g| + 1e-8); w -= lr / (1 - b1^k) m / u at step k.

use super::config::Optimizer;

pub struct OptimState {
    kind: Optimizer,
    lr: f32,
    b1: f32,
    b2: f32,
    step: i32,
    m: Vec<f32>,
    u: Vec<f32>,
}

impl OptimState {
    pub fn new(kind: Optimizer, lr: f32, b1: f32, b2: f32, n: usize) -> Self {
        let moments = if kind == Optimizer::Adamax { n } else { 0 };
        OptimState {
            kind,
            lr,
            b1,
            b2,
            step: 0,
            m: vec![0.0; moments],
            u: vec![0.0; moments],
        }
    }

    /// One update of `w` by gradient `g`, then clip to +-`bound`.
    pub fn step(&mut self, w: &mut [f32], g: &[f32], bound: f32) {
        self.step += 1;
        match self.kind {
            Optimizer::Sgd => {
                for (w, &g) in w.iter_mut().zip(g) {
                    *w = (*w - self.lr * g).clamp(-bound, bound);
                }
            }
            Optimizer::Adamax => {
                let lr = self.lr / (1.0 - self.b1.powi(self.step));
                for (((w, &g), m), u) in w.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.u) {
                    *m = self.b1 * *m + (1.0 - self.b1) * g;
                    *u = (self.b2 * *u).max(g.abs() + 1e-8);
                    *w = (*w - lr * *m / *u).clamp(-bound, bound);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_and_adamax_by_hand() {
        let mut s = OptimState::new(Optimizer::Sgd, 0.1, 0.9, 0.999, 2);
        let mut w = [0.5, 0.95];
        s.step(&mut w, &[1.0, -1.0], 0.875);
        assert_eq!(w, [0.4, 0.875]);
        // Adamax step 1: m = .1 g, u = |g|, lr / (1 - .9) -> w -= lr * sign(g).
        let mut a = OptimState::new(Optimizer::Adamax, 0.01, 0.9, 0.999, 2);
        let mut w = [0.0, 0.0];
        a.step(&mut w, &[2.0, -0.5], 1.0);
        assert!(
            (w[0] + 0.01).abs() < 1e-6 && (w[1] - 0.01).abs() < 1e-6,
            "{w:?}"
        );
    }
}
