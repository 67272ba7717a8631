//! Conductance-based leaky integrate-and-fire neurons (Diehl & Cook 2015), with an
//! optional adaptive threshold: the excitatory layer (adaptive) and the inhibitory
//! layer (plain), each with its own constants from `[snn.exc]` / `[snn.inh]`.
//!
//! dv/dt = ((v_rest - v) + ge (E_exc - v) + gi (E_inh - v)) / tau_mem; dge/dt = -ge/tau_ge,
//! dgi/dt = -gi/tau_gi; fire when v > v_thresh - theta_offset + theta, then v = v_reset,
//! theta += theta_plus (when learning) and the neuron is refractory for `refractory_ms`.
//!
//! Two integration schemes (`snn.integration`), one step of dt each:
//! - `exact` (default): the conductances decay exactly, g <- g exp(-dt/tau_g), and the
//!   membrane takes an exponential-Euler step (exact for a conductance constant over the
//!   step, stable however large the conductances get) with each conductance's *step
//!   average* g tau_g/dt (1 - exp(-dt/tau_g)), not its start-of-step value. Holding the
//!   start value over the step (as this engine did before) delivers
//!   dt / (tau_g (1 - exp(-dt/tau_g))) times the continuous charge per input spike: 1.27x
//!   at tau_g 1 ms, 1.13x at 2 ms (dt 0.5 ms); with the average it is the continuous
//!   w tau_g, as the continuous equations (and the reference) give.
//! - `reference`: Diehl & Cook's Brian code, forward Euler for everything:
//!   v += dt/tau ((v_rest - v) + ge (E_exc - v) + gi (E_inh - v)), g <- g (1 - dt/tau_g)
//!   (whose charge per spike, dt w sum (1 - dt/tau_g)^k, is w tau_g too). It follows Brian
//!   step for step (tests/brian2_reference.rs); like Brian it can overshoot when
//!   dt (1 + ge + gi)/tau > 2 (a burst of inhibitory spikes).
//!
//! Diehl & Cook's excitatory `timer` refractory (`snn.exc.timer_refractory`, on by
//! default with the reference scheme, off with exact): a timer runs at `timer_ms_per_s`
//! (100 ms/s), restarts at 0 on a spike, and the threshold also requires timer >
//! refractory_ms, so a neuron cannot fire within 50 ms of its spike; kept here as the
//! steps since the last spike. Besides it, v is clamped at reset for `refractory_ms`
//! (Brian's `refractory`), in both schemes.
//!
//! The rest period is applied in closed form, each scheme in its own terms: v relaxes by
//! its per-step factor with no input (exp(-dt/tau) or 1 - dt/tau) over the steps it is
//! not refractory, conductances decay by theirs, the timer runs on, no spikes. theta
//! decays once per sample, over presentation and rest (exp(-t/tau_theta), or forward
//! Euler's (1 - dt/tau_theta)^steps): within a presentation it is held (3.5e-5 of theta
//! over 350 ms; a per-step factor 1 - 5e-8 is below f32's resolution).

use super::NeuronModel;
use crate::snn::config::{Integration, SnnConfig};
use crate::snn::network::Target;

#[derive(Clone, Debug)]
pub(crate) struct Params {
    pub(crate) v_rest: f32,
    pub(crate) v_reset: f32,
    pub(crate) v_thresh: f32,
    pub(crate) e_exc: f32,
    pub(crate) e_inh: f32,
    pub(crate) dt_tau: f32,
    /// Per-step conductance decay: exp(-dt/tau_g) (exact), 1 - dt/tau_g (reference).
    pub(crate) ge_decay: f32,
    pub(crate) gi_decay: f32,
    /// What the membrane sees of a conductance over a step, as a factor of its value at
    /// the step's start: its step average tau_g/dt (1 - exp(-dt/tau_g)) (exact), 1
    /// (reference: forward Euler holds it).
    pub(crate) ge_avg: f32,
    pub(crate) gi_avg: f32,
    /// Forward Euler for v (the reference scheme), else exponential Euler.
    pub(crate) euler: bool,
    /// Refractory steps, as f32 so the update loop vectorizes.
    pub(crate) refrac_steps: f32,
    /// Timer refractory: a neuron fires only when more than this many steps have passed
    /// since its last spike (-1 = off).
    pub(crate) timer_lock: f32,
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
    /// Steps since the last spike, saturating at [`TIMER_FREE`] (the timer refractory).
    pub(crate) timer: Vec<f32>,
}

/// A timer this far past the last spike is free whatever the lockout (f32 still counts
/// it exactly).
const TIMER_FREE: f32 = 1e6;

/// (per-step decay, step-average factor) of a conductance with time constant `tau_ms`.
fn conductance(tau_ms: f32, cfg: &SnnConfig) -> (f32, f32) {
    let x = (cfg.dt_ms / tau_ms) as f64;
    match cfg.integration {
        Integration::Reference => ((1.0 - x) as f32, 1.0),
        Integration::Exact => ((-x).exp() as f32, (-(-x).exp_m1() / x) as f32),
        // In f32, as the engine computed it then: bit for bit the old results.
        Integration::Held => ((-(cfg.dt_ms / tau_ms)).exp(), 1.0),
    }
}

impl ConductanceLif {
    /// The excitatory layer: `[snn.exc]`, adaptive threshold from `theta_init_mv`.
    pub fn excitatory(size: usize, cfg: &SnnConfig) -> Self {
        let e = &cfg.exc;
        let dt = cfg.dt_ms;
        let ((ge_decay, ge_avg), (gi_decay, gi_avg)) =
            (conductance(e.tau_ge_ms, cfg), conductance(e.tau_gi_ms, cfg));
        // Diehl & Cook's timer gains timer_ms_per_s / 1000 ms per ms: it exceeds
        // refractory_ms after refractory_ms / (dt rate) steps (rounded to 1e-6, so that an
        // integer ratio counts as one, as Brian's float64 sum of 0.05 ms steps does).
        let lock = (e.refractory_ms as f64 * 1000.0 / (dt as f64 * e.timer_ms_per_s as f64) * 1e6)
            .round()
            / 1e6;
        let p = Params {
            v_rest: e.v_rest_mv,
            v_reset: e.v_reset_mv,
            v_thresh: e.v_thresh_mv,
            e_exc: e.e_exc_mv,
            e_inh: e.e_inh_mv,
            dt_tau: dt / e.tau_mem_ms,
            ge_decay,
            gi_decay,
            ge_avg,
            gi_avg,
            euler: cfg.integration == Integration::Reference,
            refrac_steps: (e.refractory_ms / dt).round() as u32 as f32,
            timer_lock: if cfg.timer_refractory() {
                lock.min(TIMER_FREE as f64 / 2.0) as f32
            } else {
                -1.0
            },
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
        let ((ge_decay, ge_avg), (gi_decay, gi_avg)) =
            (conductance(i.tau_ge_ms, cfg), conductance(i.tau_gi_ms, cfg));
        let p = Params {
            v_rest: i.v_rest_mv,
            v_reset: i.v_reset_mv,
            v_thresh: i.v_thresh_mv,
            e_exc: i.e_exc_mv,
            e_inh: i.e_inh_mv,
            dt_tau: dt / i.tau_mem_ms,
            ge_decay,
            gi_decay,
            ge_avg,
            gi_avg,
            euler: cfg.integration == Integration::Reference,
            refrac_steps: (i.refractory_ms / dt).round() as u32 as f32,
            timer_lock: -1.0,
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
            timer: vec![TIMER_FREE; n],
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
            timer,
        } = self;
        // The scheme and the timer are compile-time parameters: the default loop has
        // neither the Euler branch nor the timer's load, compare and store.
        let n = v.len();
        match (p.euler, p.timer_lock >= 0.0) {
            (true, true) => {
                update_lif::<true, true>(n, v, ge, gi, theta, refr, timer, p, learn, out)
            }
            (true, false) => {
                update_lif::<true, false>(n, v, ge, gi, theta, refr, timer, p, learn, out)
            }
            (false, true) => {
                update_lif::<false, true>(n, v, ge, gi, theta, refr, timer, p, learn, out)
            }
            (false, false) => {
                update_lif::<false, false>(n, v, ge, gi, theta, refr, timer, p, learn, out)
            }
        }
    }
    fn rest(&mut self, n: usize) {
        let q = &self.p;
        let dge = q.ge_decay.powi(n as i32);
        let dgi = q.gi_decay.powi(n as i32);
        for j in 0..self.v.len() {
            let free = n.saturating_sub(self.refr[j] as usize);
            let keep = if q.euler {
                (1.0 - q.dt_tau as f64).powi(free as i32) as f32
            } else {
                (-(q.dt_tau * free as f32)).exp()
            };
            self.v[j] = q.v_rest + (self.v[j] - q.v_rest) * keep;
            self.refr[j] = (self.refr[j] - n as f32).max(0.0);
            self.timer[j] = (self.timer[j] + n as f32).min(TIMER_FREE);
            self.ge[j] *= dge;
            self.gi[j] *= dgi;
        }
    }
    fn reset(&mut self) {
        self.v.fill(self.p.v_rest);
        self.ge.fill(0.0);
        self.gi.fill(0.0);
        self.refr.fill(0.0);
        self.timer.fill(TIMER_FREE);
    }
    fn decay_adaptation(&mut self, steps: usize) {
        if self.p.adaptive {
            let f = if self.p.euler {
                (1.0 - self.p.dt_ms as f64 / self.p.tau_theta_ms as f64).powf(steps as f64) as f32
            } else {
                (-(steps as f32 * self.p.dt_ms) / self.p.tau_theta_ms).exp()
            };
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
            ("timer", &self.timer),
        ]
    }
    fn state_vectors_mut(&mut self) -> Vec<(&'static str, &mut Vec<f32>)> {
        vec![
            ("v", &mut self.v),
            ("ge", &mut self.ge),
            ("gi", &mut self.gi),
            ("theta", &mut self.theta),
            ("refractory", &mut self.refr),
            ("timer", &mut self.timer),
        ]
    }
    fn clone_box(&self) -> Box<dyn NeuronModel> {
        Box::new(self.clone())
    }
}

/// One step of a population; `EULER` picks the scheme (see the module docs).
/// - exact (`EULER` false): exponential Euler with the conductances' step averages,
///   stable for any conductance (forward Euler diverges once dt(1+ge+gi)/tau > 2, which
///   happens when hundreds of inhibitory spikes arrive together):
///   dv/dt = (A - B v)/tau  ->  v += (A - B v) (1 - exp(-k)) / B,  k = B dt/tau.
///   When every k is below 0.1, (1 - e^-k)/B is its Taylor series (error < k^4/120 < 1e-6
///   relative) and the loop is branch-free (it vectorizes); otherwise a scalar loop
///   calls exp.
/// - reference (`EULER` true): forward Euler, v += dt/tau (A - B v) with the conductances
///   at the step's start; always the branch-free loop.
///
/// Both then decay the conductances by their per-step factor; a neuron fires when not
/// refractory, v > threshold + theta and (timer refractory) more than `timer_lock` steps
/// have passed since its last spike.
/// The state comes in as separate slices and the constants by shared reference: as
/// function arguments they are known not to alias, so the constants stay in registers
/// and the loop vectorizes (borrowed from one `&mut self` they would be reloaded).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn update_lif<const EULER: bool, const TIMER: bool>(
    n: usize,
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    theta: &mut [f32],
    refr: &mut [f32],
    timer: &mut [f32],
    p: &Params,
    learn: bool,
    out: &mut Vec<u32>,
) {
    out.clear();
    let (v, ge, gi, theta, refr, timer) = (
        &mut v[..n],
        &mut ge[..n],
        &mut gi[..n],
        &mut theta[..n],
        &mut refr[..n],
        &mut timer[..n],
    );
    // k < 0.1  <=>  g_e + g_i < 0.1 / (dt/tau) - 1; the step averages are below the
    // start-of-step values, so testing these is on the safe side.
    let g_small = 0.1 / p.dt_tau - 1.0;
    let mut big = 0u32;
    if !EULER {
        for j in 0..n {
            big |= (ge[j] + gi[j] >= g_small) as u32;
        }
    }
    let thr0 = p.v_thresh - p.theta_offset;
    let mut fired = 0u32;
    if big == 0 {
        for j in 0..n {
            let (x, r) = (v[j], refr[j]);
            let (g_e, g_i) = (ge[j] * p.ge_avg, gi[j] * p.gi_avg);
            let coef = if EULER {
                p.dt_tau
            } else {
                let k = p.dt_tau * (1.0 + g_e + g_i);
                p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))))
            };
            let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            let active = r1 == 0.0;
            let tm = if TIMER { timer[j] + 1.0 } else { TIMER_FREE };
            let fire = active & (nv > thr0 + theta[j]) & (!TIMER | (tm > p.timer_lock));
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
            if TIMER {
                timer[j] = if fire { 0.0 } else { tm.min(TIMER_FREE) };
            }
            fired += fire as u32;
            ge[j] *= p.ge_decay;
            gi[j] *= p.gi_decay;
        }
    } else {
        for j in 0..n {
            let (x, r) = (v[j], refr[j]);
            let (g_e, g_i) = (ge[j] * p.ge_avg, gi[j] * p.gi_avg);
            let r1 = if r > 1.0 { r - 1.0 } else { 0.0 };
            refr[j] = r1;
            if TIMER {
                timer[j] = (timer[j] + 1.0).min(TIMER_FREE);
            }
            if r1 == 0.0 {
                let b = 1.0 + g_e + g_i;
                let k = p.dt_tau * b;
                let coef = if k < 0.1 {
                    p.dt_tau * (1.0 - k * (0.5 - k * (1.0 / 6.0 - k * (1.0 / 24.0))))
                } else {
                    (1.0 - (-k).exp()) / b
                };
                let nv = x + coef * ((p.v_rest - x) + g_e * (p.e_exc - x) + g_i * (p.e_inh - x));
                if nv > thr0 + theta[j] && (!TIMER || timer[j] > p.timer_lock) {
                    v[j] = p.v_reset;
                    refr[j] = p.refrac_steps + 0.5;
                    if TIMER {
                        timer[j] = 0.0;
                    }
                    fired += 1;
                } else {
                    v[j] = nv;
                }
            }
            ge[j] *= p.ge_decay;
            gi[j] *= p.gi_decay;
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

    /// One excitatory neuron of `cfg` with the given theta (threshold -72 mV + theta).
    fn one(cfg: &SnnConfig, theta: f32) -> ConductanceLif {
        let mut n = ConductanceLif::excitatory(1, cfg);
        n.theta[0] = theta;
        n
    }

    fn fires(n: &mut ConductanceLif) -> bool {
        let mut out = Vec::new();
        n.step(false, &mut out);
        !out.is_empty()
    }

    /// v over six steps, an input spike of w = 20 delivered after steps 0 and 1 (dt
    /// 0.5 ms, tau 100 ms, tau_ge 1 ms, v_rest -65, E_exc 0), computed by hand:
    /// exact:     g = ge 2 (1 - e^-0.5) = 0.786939 ge, v += (A - B v)(1 - e^(-B/200)) / B
    ///            with B = 1 + g, A = -65; ge *= e^-0.5.
    ///            step 1: g = 15.738774, v = -65 + 1023.0203 x 0.0047963 = -60.0931
    /// reference: v += (-65 - v - g v) / 200 with g = ge; ge *= 0.5.
    ///            step 1: v = -65 + (20 x 65) / 200 = -58.5; step 2: ge = 10 + 20 = 30,
    ///            v = -58.5 + (-6.5 + 30 x 58.5) / 200 = -49.7575.
    #[test]
    fn each_scheme_follows_its_hand_computed_trajectory() {
        let cases = [
            (
                Integration::Exact,
                [-65.0, -60.0931, -52.99693, -49.15229, -47.00139, -45.78581],
            ),
            (
                Integration::Reference,
                [-65.0, -58.5, -49.7575, -46.1019, -44.46757, -43.73646],
            ),
        ];
        for (scheme, want) in cases {
            let mut cfg = SnnConfig::default();
            cfg.integration = scheme;
            // theta 40: threshold -32 mV, out of reach.
            let mut n = one(&cfg, 40.0);
            for (t, w) in want.iter().enumerate() {
                assert!(!fires(&mut n));
                assert!(
                    (n.v[0] - w).abs() < 2e-4,
                    "{scheme:?} step {t}: {} vs {w}",
                    n.v[0]
                );
                if t < 2 {
                    n.ge[0] += 20.0;
                }
            }
        }
    }

    /// The charge one input spike delivers, the sum over steps of dt x the conductance
    /// the membrane sees, read off v: with tau_mem 1e8 ms, v_rest = v = 0 and E_exc = 1 mV,
    /// v ends at charge / tau_mem (to 1e-6). Both schemes deliver the continuous w tau_g
    /// (exact by the step average; forward Euler because dt sum (1 - dt/tau)^k = tau).
    #[test]
    fn the_charge_per_spike_is_w_tau_g() {
        for scheme in [Integration::Exact, Integration::Reference] {
            for tau_g in [1.0f32, 2.0] {
                let mut cfg = SnnConfig::default();
                cfg.integration = scheme;
                cfg.exc.tau_mem_ms = 1e8;
                cfg.exc.v_rest_mv = 0.0;
                cfg.exc.e_exc_mv = 1.0;
                cfg.exc.tau_ge_ms = tau_g;
                let mut n = one(&cfg, 1e3);
                n.v[0] = 0.0;
                let w = 0.5;
                n.ge[0] = w;
                for _ in 0..200 {
                    fires(&mut n);
                }
                let charge = n.v[0] as f64 * 1e8;
                let want = w as f64 * tau_g as f64;
                assert!(
                    (charge / want - 1.0).abs() < 1e-4,
                    "{scheme:?}, tau_g {tau_g}: {charge} vs {want}"
                );
            }
        }
    }

    /// Diehl & Cook's timer: after a spike at step 0, a neuron held above threshold fires
    /// again at step 101 (timer 101 x 0.05 ms > 5 ms), not at step 10 (the 5 ms
    /// refractory period alone); without the timer, at step 10. A rest counts.
    #[test]
    fn the_timer_refractory_locks_out_50_ms() {
        for (timer, next) in [(Some(true), 101), (Some(false), 10)] {
            let mut cfg = SnnConfig::default();
            cfg.exc.timer_refractory = timer;
            // theta -20: threshold -92 mV, below the reset: fires whenever it may.
            let mut n = one(&cfg, -20.0);
            let fired: Vec<usize> = (0..150).filter(|_| fires(&mut n)).collect();
            assert_eq!(&fired[..2], &[0, next], "timer {timer:?}");
            while !fires(&mut n) {}
            n.rest(100);
            assert!(fires(&mut n), "timer {timer:?}: free after a rest of 50 ms");
        }
        assert!(!SnnConfig::default().timer_refractory());
        let mut cfg = SnnConfig::default();
        cfg.integration = Integration::Reference;
        assert!(cfg.timer_refractory());
    }
}
