//! Conductance-based leaky integrate-and-fire neurons (Diehl & Cook 2015), with an
//! optional adaptive threshold: the excitatory layer (adaptive) and the inhibitory
//! layer (plain), each with its own constants from `[snn.exc]` / `[snn.inh]`.
//!
//! dv/dt = ((v_rest - v) + ge (E_exc - v) + gi (E_inh - v)) / tau_mem; dge/dt = -ge/tau_ge,
//! dgi/dt = -gi/tau_gi; fire when v > v_thresh - theta_offset + theta, then v = v_reset,
//! theta += theta_plus (when learning) and the neuron is refractory for `refractory_ms`.
//!
//! Integration: exponential Euler for the membrane with the conductances held at their
//! start-of-step value (exact while they are held, and stable however large they get),
//! exact exponential decay for the conductances. The rest period is applied in closed
//! form (v relaxes as exp(-t/tau) with no input; conductances decay; no spikes).

use super::NeuronModel;
use crate::snn::config::SnnConfig;
use crate::snn::network::Target;

#[derive(Clone, Debug)]
pub(crate) struct Params {
    pub(crate) v_rest: f32,
    pub(crate) v_reset: f32,
    pub(crate) v_thresh: f32,
    pub(crate) e_exc: f32,
    pub(crate) e_inh: f32,
    pub(crate) dt_tau: f32,
    pub(crate) ge_decay: f32,
    pub(crate) gi_decay: f32,
    /// Refractory steps, as f32 so the update loop vectorizes.
    pub(crate) refrac_steps: f32,
    pub(crate) theta_offset: f32,
    pub(crate) theta_plus: f32,
    pub(crate) adaptive: bool,
    dt_ms: f32,
    tau_theta_ms: f32,
}

/// A population of conductance LIF neurons (see the module docs).
#[derive(Clone, Debug)]
pub struct ConductanceLif {
    pub(crate) p: Params,
    pub(crate) v: Vec<f32>,
    pub(crate) ge: Vec<f32>,
    pub(crate) gi: Vec<f32>,
    pub(crate) theta: Vec<f32>,
    /// Refractory steps left (a fresh spike is marked by +0.5 within a step).
    pub(crate) refr: Vec<f32>,
}

impl ConductanceLif {
    /// The excitatory layer: `[snn.exc]`, adaptive threshold from `theta_init_mv`.
    pub fn excitatory(size: usize, cfg: &SnnConfig) -> Self {
        let e = &cfg.exc;
        let dt = cfg.dt_ms;
        let p = Params {
            v_rest: e.v_rest_mv,
            v_reset: e.v_reset_mv,
            v_thresh: e.v_thresh_mv,
            e_exc: e.e_exc_mv,
            e_inh: e.e_inh_mv,
            dt_tau: dt / e.tau_mem_ms,
            ge_decay: (-(dt / e.tau_ge_ms)).exp(),
            gi_decay: (-(dt / e.tau_gi_ms)).exp(),
            refrac_steps: (e.refractory_ms / dt).round() as u32 as f32,
            theta_offset: e.theta_offset_mv,
            theta_plus: e.theta_plus_mv,
            adaptive: true,
            dt_ms: dt,
            tau_theta_ms: e.tau_theta_ms,
        };
        Self::with(p, size, e.theta_init_mv)
    }

    /// The inhibitory layer: `[snn.inh]`, fixed threshold.
    pub fn inhibitory(size: usize, cfg: &SnnConfig) -> Self {
        let i = &cfg.inh;
        let dt = cfg.dt_ms;
        let p = Params {
            v_rest: i.v_rest_mv,
            v_reset: i.v_reset_mv,
            v_thresh: i.v_thresh_mv,
            e_exc: i.e_exc_mv,
            e_inh: i.e_inh_mv,
            dt_tau: dt / i.tau_mem_ms,
            ge_decay: (-(dt / i.tau_ge_ms)).exp(),
            gi_decay: (-(dt / i.tau_gi_ms)).exp(),
            refrac_steps: (i.refractory_ms / dt).round() as u32 as f32,
            theta_offset: 0.0,
            theta_plus: 0.0,
            adaptive: false,
            dt_ms: dt,
            tau_theta_ms: f32::INFINITY,
        };
        Self::with(p, size, 0.0)
    }

    fn with(p: Params, n: usize, theta0: f32) -> Self {
        ConductanceLif {
            v: vec![p.v_rest; n],
            ge: vec![0.0; n],
            gi: vec![0.0; n],
            theta: vec![theta0; n],
            refr: vec![0.0; n],
            p,
        }
    }
}

impl NeuronModel for ConductanceLif {
    fn size(&self) -> usize {
        self.v.len()
    }
    fn input_mut(&mut self, target: Target) -> &mut [f32] {
        match target {
            Target::Excitatory => &mut self.ge,
            Target::Inhibitory => &mut self.gi,
        }
    }
    fn input(&self, target: Target) -> &[f32] {
        match target {
            Target::Excitatory => &self.ge,
            Target::Inhibitory => &self.gi,
        }
    }
    fn step(&mut self, learn: bool, out: &mut Vec<u32>) {
        let ConductanceLif {
            p,
            v,
            ge,
            gi,
            theta,
            refr,
        } = self;
        update_lif(v.len(), v, ge, gi, theta, refr, p, learn, out);
    }
    fn rest(&mut self, n: usize) {
        let q = &self.p;
        let dge = q.ge_decay.powi(n as i32);
        let dgi = q.gi_decay.powi(n as i32);
        for j in 0..self.v.len() {
            let free = n.saturating_sub(self.refr[j] as usize);
            self.v[j] = q.v_rest + (self.v[j] - q.v_rest) * (-(q.dt_tau * free as f32)).exp();
            self.refr[j] = (self.refr[j] - n as f32).max(0.0);
            self.ge[j] *= dge;
            self.gi[j] *= dgi;
        }
    }
    fn reset(&mut self) {
        self.v.fill(self.p.v_rest);
        self.ge.fill(0.0);
        self.gi.fill(0.0);
        self.refr.fill(0.0);
    }
    fn decay_adaptation(&mut self, steps: usize) {
        if self.p.adaptive {
            let f = (-(steps as f32 * self.p.dt_ms) / self.p.tau_theta_ms).exp();
            self.theta.iter_mut().for_each(|x| *x *= f);
        }
    }
    fn theta(&self) -> Option<&[f32]> {
        self.p.adaptive.then_some(&self.theta[..])
    }
    fn theta_mut(&mut self) -> Option<&mut [f32]> {
        self.p.adaptive.then_some(&mut self.theta[..])
    }
    fn state_vectors(&self) -> Vec<(&'static str, &[f32])> {
        vec![
            ("v", &self.v),
            ("ge", &self.ge),
            ("gi", &self.gi),
            ("theta", &self.theta),
            ("refractory", &self.refr),
        ]
    }
    fn state_vectors_mut(&mut self) -> Vec<(&'static str, &mut Vec<f32>)> {
        vec![
            ("v", &mut self.v),
            ("ge", &mut self.ge),
            ("gi", &mut self.gi),
            ("theta", &mut self.theta),
            ("refractory", &mut self.refr),
        ]
    }
    fn clone_box(&self) -> Box<dyn NeuronModel> {
        Box::new(self.clone())
    }
}

/// One step of a population. Exponential Euler: exact for conductances held over
/// the step, and stable for any conductance (forward Euler diverges once
/// dt(1+ge+gi)/tau > 2, which happens when hundreds of inhibitory spikes arrive together):
/// dv/dt = (A - B v)/tau  ->  v += (A - B v) (1 - exp(-k)) / B,  k = B dt/tau.
/// When every k is below 0.1, (1 - e^-k)/B is its Taylor series (error < k^4/120 < 1e-6
/// relative) and the loop is branch-free (it vectorizes); otherwise a scalar loop calls exp.
/// The state comes in as separate slices and the constants by shared reference: as
/// function arguments they are known not to alias, so the constants stay in registers
/// and the loop vectorizes (borrowed from one `&mut self` they would be reloaded).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn update_lif(
    n: usize,
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    theta: &mut [f32],
    refr: &mut [f32],
    p: &Params,
    learn: bool,
    out: &mut Vec<u32>,
) {
    out.clear();
    let (v, ge, gi, theta, refr) = (
        &mut v[..n],
        &mut ge[..n],
        &mut gi[..n],
        &mut theta[..n],
        &mut refr[..n],
    );
    // k < 0.1  <=>  ge + gi < 0.1 / (dt/tau) - 1
    let g_small = 0.1 / p.dt_tau - 1.0;
    let mut big = 0u32;
    for j in 0..n {
        big |= (ge[j] + gi[j] >= g_small) as u32;
    }
    let thr0 = p.v_thresh - p.theta_offset;
    let mut fired = 0u32;
    if big == 0 {
        for j in 0..n {
            let (x, g_e, g_i, r) = (v[j], ge[j], gi[j], refr[j]);
            let k = p.dt_tau * (1.0 + g_e + g_i);
            let coef = p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))));
            let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            let active = r1 == 0.0;
            let fire = active & (nv > thr0 + theta[j]);
            v[j] = if fire {
                p.v_reset
            } else if active {
                nv
            } else {
                x
            };
            refr[j] = if fire { p.refrac_steps } else { r1 };
            // Mark a spike by a refractory count no update can produce: +0.5.
            refr[j] += if fire { 0.5 } else { 0.0 };
            fired += fire as u32;
            ge[j] = g_e * p.ge_decay;
            gi[j] = g_i * p.gi_decay;
        }
    } else {
        for j in 0..n {
            let (x, g_e, g_i, r) = (v[j], ge[j], gi[j], refr[j]);
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            refr[j] = r1;
            if r1 == 0.0 {
                let b = 1.0 + g_e + g_i;
                let k = p.dt_tau * b;
                let coef = if k < 0.1 {
                    p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))))
                } else {
                    (1.0 - (-k).exp()) / b
                };
                let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
                if nv > thr0 + theta[j] {
                    v[j] = p.v_reset;
                    refr[j] = p.refrac_steps + 0.5;
                    fired += 1;
                } else {
                    v[j] = nv;
                }
            }
            ge[j] = g_e * p.ge_decay;
            gi[j] = g_i * p.gi_decay;
        }
    }
    if fired > 0 {
        for j in 0..n {
            if refr[j].fract() != 0.0 {
                refr[j] -= 0.5;
                out.push(j as u32);
                if learn && p.adaptive {
                    theta[j] += p.theta_plus;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn membrane_matches_analytic_solution() {
        // Constant excitatory conductance g (held by tau_ge -> huge): dv/dt = (A - B v)/tau,
        // v(t) = v_inf + (v0 - v_inf) exp(-B t / tau), v_inf = A / B. Exponential Euler is
        // exact here, so only f32 rounding remains; tried at a small and a large g (the
        // large one would make forward Euler diverge: dt B / tau = 2.5).
        for g in [0.2f32, 499.0] {
            let mut cfg = SnnConfig::default();
            cfg.exc.tau_ge_ms = 1e12;
            cfg.exc.theta_init_mv = 1000.0; // never fire
            let mut pop = ConductanceLif::excitatory(4, &cfg);
            pop.ge.fill(g);
            let p = pop.p.clone();
            let (a, b) = (p.v_rest + g * p.e_exc, 1.0 + g);
            let v_inf = a / b;
            let v0 = p.v_rest;
            let mut out = Vec::new();
            for step in 1..=400 {
                pop.step(false, &mut out);
                let t = step as f64 * cfg.dt_ms as f64;
                let exact = v_inf as f64
                    + (v0 - v_inf) as f64 * (-(b as f64) * t / cfg.exc.tau_mem_ms as f64).exp();
                assert!(
                    (pop.v[0] as f64 - exact).abs() < 2e-3,
                    "g {g} step {step}: {} vs {exact}",
                    pop.v[0]
                );
            }
        }
    }

    #[test]
    fn conductance_decays_exactly_and_neuron_fires_and_is_refractory() {
        let cfg = SnnConfig::default();
        let mut pop = ConductanceLif::excitatory(4, &cfg);
        pop.ge[0] = 1.0;
        let mut out = Vec::new();
        pop.step(false, &mut out);
        assert!((pop.ge[0] - (-0.5f32).exp()).abs() < 1e-6);
        // A huge conductance makes it fire: threshold = -52 + 20 - 20 = -52 mV.
        pop.ge[1] = 1000.0;
        pop.step(true, &mut out);
        assert_eq!(out, vec![1]);
        assert_eq!(pop.v[1], -65.0);
        assert!((pop.theta[1] - 20.05).abs() < 1e-5);
        // Refractory 5 ms = 10 steps: clamped for 9 steps, integrating again at the 10th.
        for _ in 0..9 {
            pop.ge[1] = 1000.0;
            pop.step(true, &mut out);
            assert!(out.is_empty());
            assert_eq!(pop.v[1], -65.0);
        }
        pop.ge[1] = 1000.0;
        pop.step(true, &mut out);
        assert_eq!(out, vec![1]);
    }
}
