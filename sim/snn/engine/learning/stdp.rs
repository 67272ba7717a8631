//! The STDP family on one projection: Diehl & Cook's two-trace rule (depression by the
//! post trace at a pre spike, potentiation by pre trace x post-2 trace at a post spike)
//! and the FSpiNN switches (single-trace potentiation without depression, updates
//! accumulated and applied once per `update_interval_ms`, potentiation scaled by the
//! sample's spike count). Traces are nearest-spike (see `snn::stdp`).
//!
//! Order within a step: the presynaptic pathway (depression), then the postsynaptic one
//! (potentiation), as Brian. Invariants: an absent synapse is never written;
//! every weight write is clipped to [0, w_max], quantized when training in fixed point,
//! and read back through faulty DRAM when the weights live there; in timestep mode a
//! synapse with both pending depression and potentiation is written once.

use super::{LearnCtx, LearningRule};
use crate::snn::config::{QuantMode, SnnConfig, StdpConfig, Switches};
use crate::snn::engine::masks::Presence;
use crate::snn::engine::projection::{ProjState, Weights};
use crate::snn::engine::{OpCounts, ProjId, WeightFaults};
use crate::snn::quant::QuantSpec;
use crate::snn::stdp::{TraceTable, NEVER};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

/// The rule's dynamic state (what a checkpoint keeps).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(in crate::snn::engine) struct StdpState {
    pub(crate) proj: usize,
    pre_tab: TraceTable,
    post1_tab: TraceTable,
    post2_tab: TraceTable,
    pre_last: Vec<i64>,
    post_last: Vec<i64>,
    /// Per-synapse delays only: each neuron's last `hist_len` spike steps (ring, newest at
    /// `*_head`), so the arrival time at any synapse can be found.
    pre_hist: Vec<i64>,
    pre_head: Vec<u32>,
    post_hist: Vec<i64>,
    post_head: Vec<u32>,
    /// Power of two > the largest delay (0 without per-synapse delays).
    pub(crate) hist_len: usize,
    /// Post neurons with a nonzero post-1 trace candidate (spiked within its horizon).
    active: Vec<u32>,
    /// Timestep mode: accumulated changes, applied once per interval.
    delta: Vec<f32>,
    /// Rows with pending depression (nonzero only in `active` columns).
    row_touched: Vec<bool>,
    touched_rows: Vec<u32>,
    /// Pending potentiation, transposed (post x pre) so a column is contiguous.
    delta_col: Vec<f32>,
    /// Columns with pending potentiation.
    col_touched: Vec<bool>,
    touched_cols: Vec<u32>,
    interval_steps: usize,
    /// Adaptive potentiation (FSpiNN): the factor set by the last learned sample.
    k_adapt: f32,
}

/// STDP with its constants (see the module docs).
#[derive(Clone, Debug)]
pub(in crate::snn::engine) struct StdpRule {
    st: StdpState,
    c: StdpConfig,
    sw: Switches,
    /// The fixed-point grid every update is put on (quantization during training).
    train_quant: Option<QuantSpec>,
    /// The format of the weights' memory words (for the faulty-DRAM read-back).
    word_quant: Option<QuantSpec>,
}

impl StdpState {
    /// Bookkeeping after post neuron `j` spiked at step `now` and its column's
    /// potentiation was computed: mark the column pending (timestep mode), make `j`
    /// active again if its traces had decayed, and record the spike.
    fn note_post_spike(&mut self, j: usize, now: i64, timestep: bool) {
        if timestep && !self.col_touched[j] {
            self.col_touched[j] = true;
            self.touched_cols.push(j as u32);
        }
        let stale = self.post_last[j] == NEVER
            || now - self.post_last[j] >= self.post1_tab.horizon().max(self.post2_tab.horizon());
        if stale && !self.active.contains(&(j as u32)) {
            self.active.push(j as u32);
        }
        self.post_last[j] = now;
    }
}

impl StdpRule {
    pub(in crate::snn::engine) fn new(
        k: ProjId,
        p: &ProjState,
        cfg: &SnnConfig,
        quant: Option<QuantSpec>,
    ) -> Self {
        let sw = cfg.switches();
        let s = &cfg.stdp;
        let hist_len = p.syn_delay.as_ref().map_or(0, |sd| sd.depth);
        let st = StdpState {
            proj: k,
            pre_hist: vec![NEVER; p.pre_size * hist_len],
            pre_head: vec![0; if hist_len > 0 { p.pre_size } else { 0 }],
            post_hist: vec![NEVER; p.post_size * hist_len],
            post_head: vec![0; if hist_len > 0 { p.post_size } else { 0 }],
            hist_len,
            pre_tab: TraceTable::new(s.tau_pre_ms, cfg.dt_ms),
            post1_tab: TraceTable::new(s.tau_post1_ms, cfg.dt_ms),
            post2_tab: TraceTable::new(s.tau_post2_ms, cfg.dt_ms),
            pre_last: vec![NEVER; p.pre_size],
            post_last: vec![NEVER; p.post_size],
            active: Vec::new(),
            delta: if sw.timestep_updates {
                vec![0.0; p.pre_size * p.post_size]
            } else {
                Vec::new()
            },
            row_touched: vec![false; p.pre_size],
            touched_rows: Vec::new(),
            delta_col: if sw.timestep_updates {
                vec![0.0; p.pre_size * p.post_size]
            } else {
                Vec::new()
            },
            col_touched: vec![false; p.post_size],
            touched_cols: Vec::new(),
            interval_steps: ((s.update_interval_ms / cfg.dt_ms).round() as usize).max(1),
            k_adapt: 1.0,
        };
        StdpRule {
            st,
            c: s.clone(),
            sw,
            train_quant: (cfg.quantization == QuantMode::Training)
                .then_some(quant)
                .flatten(),
            word_quant: quant,
        }
    }

    /// STDP on a projection with per-synapse delays. A spike of input i emitted at step s
    /// arrives at synapse (i, j) at a = s + d_ij, and the rule sees it there, as Brian 1's
    /// `STDP` on a `DelayConnection` (which Diehl & Cook's code uses) does:
    /// - potentiation at a post spike of j at step t uses the pre trace of the spikes that
    ///   have arrived at (i, j) by t: exp(-(t - a) dt / tau_pre) for the latest a <= t (the
    ///   traces are nearest-spike, so that is the whole trace);
    /// - depression uses the post-1 trace at the arrival, exp(-(a - p) dt / tau_post1) with
    ///   p the latest post spike before step a (as without delays, a post spike in the
    ///   arrival step itself is not seen). It is applied `max` steps after the emission,
    ///   when every synapse of the spike has been reached (Brian defers it by max_delay),
    ///   and looks p up in the post neuron's spike history;
    /// - post traces are not delayed.
    ///
    /// With every delay equal to D this is the rule of a projection-wide delay D.
    fn step_delayed(&mut self, cx: &mut LearnCtx<'_>) {
        let st = &mut self.st;
        let s = &mut cx.projs[st.proj];
        let (Some(sd), Weights::Dense(w)) = (&s.syn_delay, &mut s.w) else {
            return;
        };
        let w = Arc::make_mut(w);
        let (ns, nt) = (s.pre_size, s.post_size);
        let c = &self.c;
        let (now, t) = (cx.now, cx.t);
        let w_max = c.w_max;
        let quant = self.train_quant;
        let qrng = &mut *cx.qrng;
        let mut wf = faulty_write(cx.faults, st.proj, self.word_quant, s.w_read.as_mut());
        let timestep = self.sw.timestep_updates;
        let hl = st.hist_len;
        // Record this step's presynaptic spikes (emission steps).
        for &i in &cx.spikes[s.pre] {
            let i = i as usize;
            let h = (st.pre_head[i] as usize + 1) & (hl - 1);
            st.pre_head[i] = h as u32;
            st.pre_hist[i * hl + h] = now;
            st.pre_last[i] = now;
        }
        // Depression for the spikes emitted `max` steps ago (all of them have arrived).
        if !(self.sw.single_trace || c.nu_pre == 0.0) && t >= sd.max {
            let emitted: &[u32] = if sd.max == 0 {
                &cx.spikes[s.pre]
            } else {
                let h = &cx.hist[s.pre];
                &h[(t - sd.max) % h.len()]
            };
            depress_arrivals(
                emitted,
                now - sd.max as i64,
                i64::MAX,
                st,
                &sd.d,
                w,
                &s.presence,
                nt,
                c.nu_pre,
                (w_max, quant, timestep),
                qrng,
                &mut wf,
                cx.ops,
            );
        }
        // Postsynaptic pathway: potentiation with the pre trace as seen at each synapse.
        let post_spikes = &cx.spikes[s.post];
        potentiate(
            post_spikes,
            st,
            w,
            &s.presence,
            (ns, nt),
            (self.sw, c),
            (w_max, quant, timestep),
            now,
            qrng,
            &mut wf,
            cx.ops,
            |st, i, k| {
                let d = sd.d[k] as i64;
                let emit = latest_at_or_before(
                    &st.pre_hist[i * hl..(i + 1) * hl],
                    st.pre_head[i],
                    now - d,
                );
                st.pre_tab.at(now - d - emit)
            },
        );
        // The post spikes' history (depression looks up the latest before an arrival).
        for &j in post_spikes {
            let j = j as usize;
            let h = (st.post_head[j] as usize + 1) & (hl - 1);
            st.post_head[j] = h as u32;
            st.post_hist[j * hl + h] = now;
        }
        if timestep && (t + 1).is_multiple_of(st.interval_steps) {
            self.flush_pending(cx);
        }
    }

    /// Per-synapse delays: the depression of the spikes of the last `max` steps of a
    /// presentation, which `step_delayed` had not reached yet. Arrivals after the end
    /// of the presentation are dropped, as their conductance is (and as a projection-wide
    /// delay drops them).
    fn finish_deferred_depression(&mut self, cx: &mut LearnCtx<'_>) {
        let st = &mut self.st;
        if st.hist_len == 0 || self.sw.single_trace || self.c.nu_pre == 0.0 {
            return;
        }
        let s = &mut cx.projs[st.proj];
        let (Some(sd), Weights::Dense(w)) = (&s.syn_delay, &mut s.w) else {
            return;
        };
        if sd.max == 0 {
            return;
        }
        let w = Arc::make_mut(w);
        let h = &cx.hist[s.pre];
        let end = cx.present_steps;
        let mut wf = faulty_write(cx.faults, st.proj, self.word_quant, s.w_read.as_mut());
        for u in end.saturating_sub(sd.max)..end {
            depress_arrivals(
                &h[u % h.len()],
                cx.now - (end - u) as i64,
                cx.now,
                st,
                &sd.d,
                w,
                &s.presence,
                s.post_size,
                self.c.nu_pre,
                (self.c.w_max, self.train_quant, self.sw.timestep_updates),
                cx.qrng,
                &mut wf,
                cx.ops,
            );
        }
    }

    /// Timestep mode: apply the changes accumulated in the interval, one write per synapse.
    fn flush_pending(&mut self, cx: &mut LearnCtx<'_>) {
        let st = &mut self.st;
        if st.touched_rows.is_empty() && st.touched_cols.is_empty() {
            return;
        }
        let s = &mut cx.projs[st.proj];
        let Weights::Dense(w) = &mut s.w else { return };
        let w = Arc::make_mut(w);
        let (ns, nt) = (s.pre_size, s.post_size);
        let quant = self.train_quant;
        let w_max = self.c.w_max;
        let mut wf = faulty_write(cx.faults, st.proj, self.word_quant, s.w_read.as_mut());
        for &j in &st.touched_cols {
            let j = j as usize;
            st.col_touched[j] = false;
            let dc = &mut st.delta_col[j * ns..(j + 1) * ns];
            for (i, d) in dc.iter_mut().enumerate() {
                if *d != 0.0 {
                    // One write with any depression pending on the same synapse.
                    let k = i * nt + j;
                    let x = clip(w[k] + *d + st.delta[k], w_max, quant, cx.qrng);
                    w[k] = store(&mut wf, k, x);
                    *d = 0.0;
                    st.delta[k] = 0.0;
                    cx.ops.weight_updates += 1;
                }
            }
        }
        for &i in &st.touched_rows {
            let i = i as usize;
            st.row_touched[i] = false;
            for &j in &st.active {
                let k = i * nt + j as usize;
                if st.delta[k] != 0.0 {
                    let x = clip(w[k] + st.delta[k], w_max, quant, cx.qrng);
                    w[k] = store(&mut wf, k, x);
                    st.delta[k] = 0.0;
                    cx.ops.weight_updates += 1;
                }
            }
        }
        st.touched_rows.clear();
        st.touched_cols.clear();
    }
}

impl LearningRule for StdpRule {
    fn projection(&self) -> ProjId {
        self.st.proj
    }

    fn begin_presentation(&mut self, now: i64) {
        // Forget post neurons whose traces have died out.
        let st = &mut self.st;
        let h = st.post1_tab.horizon().max(st.post2_tab.horizon());
        let post_last = &st.post_last;
        st.active.retain(|&j| now - post_last[j as usize] < h);
    }

    fn step(&mut self, cx: &mut LearnCtx<'_>) {
        if self.st.hist_len > 0 {
            self.step_delayed(cx);
            return;
        }
        let st = &mut self.st;
        let s = &mut cx.projs[st.proj];
        let pre_spikes = s.pre_spikes(cx.t, cx.spikes, cx.hist);
        let Weights::Dense(w) = &mut s.w else { return };
        let w = Arc::make_mut(w);
        let nt = s.post_size;
        let c = &self.c;
        let (now, t) = (cx.now, cx.t);
        let w_max = c.w_max;
        let quant = self.train_quant;
        let qrng = &mut *cx.qrng;
        let mut wf = faulty_write(cx.faults, st.proj, self.word_quant, s.w_read.as_mut());
        let timestep = self.sw.timestep_updates;
        // Presynaptic pathway: depression by post trace 1 (two-trace rule only).
        for &i in pre_spikes {
            let i = i as usize;
            st.pre_last[i] = now;
            if self.sw.single_trace || c.nu_pre == 0.0 {
                continue;
            }
            let row = i * nt;
            if timestep {
                for &j in &st.active {
                    let j = j as usize;
                    if !s.presence.has(row + j, nt) {
                        continue;
                    }
                    st.delta[row + j] -= c.nu_pre * st.post1_tab.at(now - st.post_last[j]);
                }
                if !st.row_touched[i] {
                    st.row_touched[i] = true;
                    st.touched_rows.push(i as u32);
                }
            } else {
                for &j in &st.active {
                    let j = j as usize;
                    if !s.presence.has(row + j, nt) {
                        continue;
                    }
                    let x = w[row + j] - c.nu_pre * st.post1_tab.at(now - st.post_last[j]);
                    w[row + j] = store(&mut wf, row + j, clip(x, w_max, quant, qrng));
                    cx.ops.weight_updates += 1;
                }
            }
        }
        // Postsynaptic pathway: potentiation.
        potentiate(
            &cx.spikes[s.post],
            st,
            w,
            &s.presence,
            (s.pre_size, nt),
            (self.sw, c),
            (w_max, quant, timestep),
            now,
            qrng,
            &mut wf,
            cx.ops,
            |st, i, _| st.pre_tab.at(now - st.pre_last[i]),
        );
        if timestep && (t + 1).is_multiple_of(st.interval_steps) {
            self.flush_pending(cx);
        }
    }

    fn end_presentation(&mut self, cx: &mut LearnCtx<'_>) {
        self.finish_deferred_depression(cx);
        self.flush_pending(cx);
    }

    fn end_sample(&mut self, counts: &[u32]) {
        if self.sw.adaptive_potentiation {
            let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
            self.st.k_adapt = (self.c.adaptive_target_spikes / max).min(1.0);
        }
    }

    fn delays_changed(&mut self, pre_size: usize, post_size: usize, depth: usize) {
        let st = &mut self.st;
        if st.hist_len != depth {
            st.hist_len = depth;
            st.pre_hist = vec![NEVER; pre_size * depth];
            st.post_hist = vec![NEVER; post_size * depth];
            st.pre_head.fill(0);
            st.post_head.fill(0);
        }
    }

    fn save(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.st).expect("STDP state serializes")
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        let st: StdpState = postcard::from_bytes(bytes)?;
        let same = st.proj == self.st.proj
            && st.pre_last.len() == self.st.pre_last.len()
            && st.post_last.len() == self.st.post_last.len()
            && st.delta.len() == self.st.delta.len()
            && st.hist_len == self.st.hist_len;
        if !same {
            bail!("checkpoint: STDP state of another projection shape");
        }
        self.st = st;
        Ok(())
    }

    fn clone_box(&self) -> Box<dyn LearningRule> {
        Box::new(self.clone())
    }
}

/// Potentiation at this step's post spikes: every synapse (i, j) of a spiking post
/// neuron j (that exists) gains `potentiation` of its pre trace `x_pre(st, i, k)`
/// (k = i * post_size + j), into the weight at once or the timestep buffer; the post
/// spike is then noted. The same for projection-wide and per-synapse delays: only the
/// pre trace at the synapse differs.
#[allow(clippy::too_many_arguments)]
fn potentiate(
    post_spikes: &[u32],
    st: &mut StdpState,
    w: &mut [f32],
    presence: &Presence,
    (ns, nt): (usize, usize),
    (sw, c): (Switches, &StdpConfig),
    (w_max, quant, timestep): (f32, Option<QuantSpec>, bool),
    now: i64,
    qrng: &mut Rng,
    wf: &mut Option<FaultyWrite>,
    ops: &mut OpCounts,
    x_pre: impl Fn(&StdpState, usize, usize) -> f32,
) {
    let nu = c.nu_post
        * if sw.adaptive_potentiation {
            st.k_adapt
        } else {
            1.0
        };
    for &j in post_spikes {
        let j = j as usize;
        let post2 = st.post2_tab.at(now - st.post_last[j]);
        for i in 0..ns {
            let k = i * nt + j;
            if !presence.has(k, nt) {
                continue;
            }
            let Some(dw) = potentiation(sw.single_trace, nu, x_pre(st, i, k), post2, c) else {
                continue;
            };
            if timestep {
                st.delta_col[j * ns + i] += dw;
            } else {
                w[k] = store(wf, k, clip(w[k] + dw, w_max, quant, qrng));
                ops.weight_updates += 1;
            }
        }
        st.note_post_spike(j, now, timestep);
    }
}

/// The potentiation of one synapse on a post spike, from the pre trace at the synapse:
/// single-trace STDP (FSpiNN) `nu (x_pre - offset)`, else Diehl & Cook's `nu x_pre
/// post2` (None when the pre trace is zero: nothing changes).
#[inline]
fn potentiation(
    single_trace: bool,
    nu: f32,
    x_pre: f32,
    post2: f32,
    c: &StdpConfig,
) -> Option<f32> {
    if single_trace {
        Some(nu * (x_pre - c.single_trace_offset))
    } else if x_pre > 0.0 {
        Some(nu * x_pre * post2)
    } else {
        None
    }
}

/// The faults of the projection being updated, the format of its memory words, and
/// (faults on read) the read view the network computes with.
struct FaultyWrite<'a> {
    faults: &'a mut WeightFaults,
    quant: Option<QuantSpec>,
    view: Option<&'a mut [f32]>,
}

fn faulty_write<'a>(
    faults: &'a mut Option<WeightFaults>,
    proj: usize,
    quant: Option<QuantSpec>,
    view: Option<&'a mut Arc<Vec<f32>>>,
) -> Option<FaultyWrite<'a>> {
    let faults = faults.as_mut().filter(|f| f.proj == proj)?;
    let view = view.map(|v| Arc::make_mut(v).as_mut_slice());
    Some(FaultyWrite {
        faults,
        quant,
        view,
    })
}

/// The weight to store after writing `x` to synapse `k`: in place, what the memory word
/// returns; on read, `x` itself (the master), with the view set to what the word returns.
#[inline]
fn store(wf: &mut Option<FaultyWrite>, k: usize, x: f32) -> f32 {
    match wf {
        Some(FaultyWrite {
            faults,
            quant,
            view: Some(v),
        }) => {
            v[k] = faults.read(k, x, *quant);
            x
        }
        Some(FaultyWrite { faults, quant, .. }) => faults.read(k, x, *quant),
        None => x,
    }
}

#[inline]
fn clip(x: f32, w_max: f32, quant: Option<QuantSpec>, rng: &mut Rng) -> f32 {
    let x = x.clamp(0.0, w_max);
    match quant {
        Some(q) => q.decode(q.encode(x, rng)),
        None => x,
    }
}

/// Latest entry <= `lim` of a spike-time ring whose newest entry is at `head` (entries
/// decrease from there); NEVER when there is none.
#[inline]
fn latest_at_or_before(ring: &[i64], head: u32, lim: i64) -> i64 {
    let m = ring.len() - 1;
    let mut h = head as usize;
    for _ in 0..ring.len() {
        let x = ring[h];
        if x <= lim {
            return x;
        }
        h = h.wrapping_sub(1) & m;
    }
    NEVER
}

/// Depression (two-trace rule) for the spikes `spikes` emitted at step `emitted`, each
/// synapse at its own arrival step (arrivals at or after `end` are dropped); see
/// [`Network::stdp_step_delayed`].
#[allow(clippy::too_many_arguments)]
fn depress_arrivals(
    spikes: &[u32],
    emitted: i64,
    end: i64,
    st: &mut StdpState,
    delays: &[u16],
    w: &mut [f32],
    presence: &Presence,
    nt: usize,
    nu_pre: f32,
    (w_max, quant, timestep): (f32, Option<QuantSpec>, bool),
    qrng: &mut Rng,
    wf: &mut Option<FaultyWrite>,
    ops: &mut OpCounts,
) {
    let hl = st.hist_len;
    for &i in spikes {
        let i = i as usize;
        let row = i * nt;
        for &j in &st.active {
            let j = j as usize;
            if !presence.has(row + j, nt) {
                continue;
            }
            let arrival = emitted + delays[row + j] as i64;
            if arrival >= end {
                continue;
            }
            let p = latest_at_or_before(
                &st.post_hist[j * hl..(j + 1) * hl],
                st.post_head[j],
                arrival - 1,
            );
            let dw = nu_pre * st.post1_tab.at(arrival - p);
            if timestep {
                st.delta[row + j] -= dw;
            } else {
                w[row + j] = store(wf, row + j, clip(w[row + j] - dw, w_max, quant, qrng));
                ops.weight_updates += 1;
            }
        }
        if timestep && !st.row_touched[i] {
            st.row_touched[i] = true;
            st.touched_rows.push(i as u32);
        }
    }
}
