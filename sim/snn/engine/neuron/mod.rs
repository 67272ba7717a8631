//! Neuron models: one file per model, behind [`NeuronModel`].
//!
//! A population's neurons are one boxed model. The step loop calls it once per
//! population per step ([`NeuronModel::step`]), so the per-neuron loop inside stays
//! monomorphic and vectorizes; a virtual call per population per step costs nothing
//! next to it. Projections add to a model's synaptic input ([`NeuronModel::input_mut`],
//! by target), which acts from the next step.
//!
//! Adding a model: a file here with a type implementing [`NeuronModel`], and one arm
//! in [`for_population`] mapping the graph's [`PopKind`] to it.
//!
//! Invariants every model keeps: `step` pushes the ids of the neurons that fire, in
//! ascending order, into a cleared `out`; `state_vectors` and `state_vectors_mut` list
//! the same vectors in the same order (checkpoints rely on it); `reset` leaves learned
//! state (adaptive thresholds) alone.

use crate::snn::config::SnnConfig;
use crate::snn::network::{PopKind, Target};

mod conductance_lif;
mod current_lif;
pub use conductance_lif::ConductanceLif;
pub use current_lif::CurrentLif;

/// The dynamics of one population's neurons (see the module docs).
pub trait NeuronModel: std::fmt::Debug + Send + Sync {
    fn size(&self) -> usize;
    /// The synaptic input (conductance or current) that projections of `target` add to.
    fn input_mut(&mut self, target: Target) -> &mut [f32];
    fn input(&self, target: Target) -> &[f32];
    /// One dt step from the inputs; the ids of the neurons that fire go to `out`
    /// (cleared first, ascending). `learn` enables learning-time adaptation.
    fn step(&mut self, learn: bool, out: &mut Vec<u32>);
    /// `steps` steps with no input and no spikes (the rest after a sample), closed form.
    fn rest(&mut self, steps: usize);
    /// Back to rest (no input, not refractory), keeping learned state.
    fn reset(&mut self);
    /// Learning: slow adaptation decays over `steps` (a presentation and its rest).
    fn decay_adaptation(&mut self, _steps: usize) {}
    /// Adaptive thresholds, for models that have them.
    fn theta(&self) -> Option<&[f32]> {
        None
    }
    fn theta_mut(&mut self) -> Option<&mut [f32]> {
        None
    }
    /// The dynamic state, named, for checkpoints.
    fn state_vectors(&self) -> Vec<(&'static str, &[f32])>;
    /// The same vectors as [`state_vectors`](Self::state_vectors), in the same order.
    fn state_vectors_mut(&mut self) -> Vec<(&'static str, &mut Vec<f32>)>;
    fn clone_box(&self) -> Box<dyn NeuronModel>;
}

impl Clone for Box<dyn NeuronModel> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The model of a population of `size` neurons of `kind`; None for spike sources
/// (their spikes come from the input encoder).
pub fn for_population(
    kind: &PopKind,
    size: usize,
    cfg: &SnnConfig,
) -> Option<Box<dyn NeuronModel>> {
    match kind {
        PopKind::Poisson { .. } => None,
        PopKind::AdaptiveLif => Some(Box::new(ConductanceLif::excitatory(size, cfg))),
        PopKind::Lif => Some(Box::new(ConductanceLif::inhibitory(size, cfg))),
        &PopKind::CurrentLif {
            alpha,
            beta,
            threshold,
            reset,
        } => Some(Box::new(CurrentLif::new(
            size, alpha, beta, threshold, reset,
        ))),
    }
}
