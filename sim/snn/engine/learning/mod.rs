//! Learning rules: one file per rule, behind [`LearningRule`].
//!
//! The step loop calls every rule of the network through this one interface, and only
//! when learning (inference pays nothing): [`begin_presentation`] before the first
//! step, [`step`] after each step's delivery, [`end_presentation`] after the last step,
//! [`end_sample`] once the sample's presentations are done. A rule owns its state
//! (traces, pending updates) and changes the weights of its projection through
//! [`LearnCtx`], which also carries the faulty-DRAM read-back of updated weights and
//! the operation counts.
//!
//! Adding a rule: a file here implementing [`LearningRule`], and one arm in
//! [`for_projection`].
//!
//! [`begin_presentation`]: LearningRule::begin_presentation
//! [`step`]: LearningRule::step
//! [`end_presentation`]: LearningRule::end_presentation
//! [`end_sample`]: LearningRule::end_sample

use super::projection::ProjState;
use super::{OpCounts, ProjId, WeightFaults};
use crate::snn::config::SnnConfig;
use crate::snn::quant::QuantSpec;
use anyhow::Result;
use spikemem_arch::rng::Rng;

mod stdp;
pub(super) use stdp::StdpRule;

/// What a rule may see and change during a step.
pub(in crate::snn::engine) struct LearnCtx<'a> {
    pub(in crate::snn::engine) projs: &'a mut [ProjState],
    /// This step's spikes per population, and each population's ring of past steps.
    pub(in crate::snn::engine) spikes: &'a [Vec<u32>],
    pub(in crate::snn::engine) hist: &'a [Vec<Vec<u32>>],
    /// Global step counter (this step), and the step within the presentation.
    pub(in crate::snn::engine) now: i64,
    pub(in crate::snn::engine) t: usize,
    pub(in crate::snn::engine) present_steps: usize,
    /// Stochastic rounding of updated weights.
    pub(in crate::snn::engine) qrng: &'a mut Rng,
    /// Weights that live in faulty DRAM: every update is read back through them.
    pub(in crate::snn::engine) faults: &'a mut Option<WeightFaults>,
    pub(in crate::snn::engine) ops: &'a mut OpCounts,
}

/// A synaptic learning rule on one projection (see the module docs).
pub(in crate::snn::engine) trait LearningRule:
    std::fmt::Debug + Send + Sync
{
    fn projection(&self) -> ProjId;
    fn begin_presentation(&mut self, _now: i64) {}
    fn step(&mut self, cx: &mut LearnCtx<'_>);
    fn end_presentation(&mut self, _cx: &mut LearnCtx<'_>) {}
    /// After a learned sample, with the readout population's spike counts.
    fn end_sample(&mut self, _counts: &[u32]) {}
    /// The projection's per-synapse delays were replaced (history depth `depth`).
    fn delays_changed(&mut self, _pre_size: usize, _post_size: usize, _depth: usize) {}
    /// The rule's dynamic state, for checkpoints, and its restore.
    fn save(&self) -> Vec<u8>;
    fn restore(&mut self, bytes: &[u8]) -> Result<()>;
    fn clone_box(&self) -> Box<dyn LearningRule>;
}

impl Clone for Box<dyn LearningRule> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The rule of a plastic projection.
pub(super) fn for_projection(
    k: ProjId,
    p: &ProjState,
    cfg: &SnnConfig,
    quant: Option<QuantSpec>,
) -> Box<dyn LearningRule> {
    Box::new(StdpRule::new(k, p, cfg, quant))
}
