//! Which synapses a projection has: dense masks for the connectivities that need one,
//! and the structural shortcut for the ones that do not.
//!
//! Invariant: a one-to-one or all-but-one projection with one shared weight (the
//! excitatory -> inhibitory and inhibitory -> excitatory projections of Diehl & Cook, the
//! direct inhibition of FSpiNN) never has a pre x post mask or weight matrix: its
//! delivery is computed (`deliver`: one-to-one adds w to the same index; all-but-one
//! adds k w to every neuron and takes w back from each of the k spiking ones), its fan
//! counts come from [`structural_fans`], and its weight is read and written with
//! [`Network::shared_weight`] / [`Network::set_shared_weight`]. So memory stays linear
//! in `snn.n_excitatory` for them (a dense mask at the 100000 maximum is 40 GB).

use super::{Network, ProjId, Weights};
use crate::snn::network::Connectivity;
use anyhow::{bail, Result};
use spikemem_arch::rng::Rng;

/// Mask of a connectivity (None = all present), row-major pre x post. Only `Sparse`
/// draws from `rng`.
pub(super) fn make_mask(
    c: &Connectivity,
    pre: usize,
    post: usize,
    rng: &mut Rng,
) -> Option<Vec<f32>> {
    match c {
        // A convolution stores its kernel, not a matrix (`conv`).
        Connectivity::AllToAll | Connectivity::Conv { .. } => None,
        Connectivity::OneToOne => Some(
            (0..pre * post)
                .map(|k| (k / post == k % post) as u8 as f32)
                .collect(),
        ),
        Connectivity::AllButOne => Some(
            (0..pre * post)
                .map(|k| (k / post != k % post) as u8 as f32)
                .collect(),
        ),
        Connectivity::Sparse { density } => Some(
            (0..pre * post)
                .map(|_| (rng.next_f32() < *density) as u8 as f32)
                .collect(),
        ),
        Connectivity::Local {
            rows,
            cols,
            kernel,
            stride,
        } => {
            let py = (rows - kernel) / stride + 1;
            let px = (cols - kernel) / stride + 1;
            let mut m = vec![0.0f32; pre * post];
            for j in 0..post {
                let patch = j % (py * px);
                let (oy, ox) = ((patch / px) * stride, (patch % px) * stride);
                for y in oy..oy + kernel {
                    for x in ox..ox + kernel {
                        m[(y * cols + x) * post + j] = 1.0;
                    }
                }
            }
            Some(m)
        }
    }
}

/// Synapses per pre and per post neuron of a one-to-one or all-but-one projection of
/// `pre` x `post` neurons (equal sizes, `NetworkDesc::check`), as its dense mask would
/// count them.
pub(super) fn structural_fans(c: &Connectivity, pre: usize, post: usize) -> (Vec<u32>, Vec<u32>) {
    match c {
        Connectivity::OneToOne => (vec![1; pre], vec![1; post]),
        _ => (
            vec![(post as u32).saturating_sub(1); pre],
            vec![(pre as u32).saturating_sub(1); post],
        ),
    }
}

impl Network {
    /// The one weight of a shared projection (None: per-synapse weights). Unlike
    /// [`weights`](Self::weights), builds no pre x post matrix.
    pub fn shared_weight(&self, p: ProjId) -> Option<f32> {
        match self.projs.get(p)?.w {
            Weights::Shared(x) => Some(x),
            Weights::Dense(_) | Weights::Kernel(_) => None,
        }
    }

    /// Set the one weight of a shared projection (e.g. from a model file).
    pub fn set_shared_weight(&mut self, p: ProjId, x: f32) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        if !x.is_finite() {
            bail!("projection {}: shared weight {x} is not finite", s.name);
        }
        match &mut s.w {
            Weights::Shared(w) => *w = x,
            Weights::Dense(_) | Weights::Kernel(_) => {
                bail!("projection {}: has per-synapse weights", s.name)
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::snn::config::SnnConfig;
    use crate::snn::{network, Network};

    /// The maximum network builds without any pre x post lateral matrix (a dense mask
    /// would be 40 GB), and the lateral projections count their synapses as before.
    #[test]
    fn lateral_projections_at_the_maximum_size_have_no_dense_mask() {
        let cfg = SnnConfig {
            n_excitatory: 100_000,
            ..SnnConfig::default()
        };
        // Keep the input projection small: this test is about the lateral ones.
        let net = Network::new(&cfg, network::build(&cfg, 2, 2)).unwrap();
        let n = 100_000u64;
        let ei = net.find_projection("exc_inh").unwrap();
        let ie = net.find_projection("inh_exc").unwrap();
        assert_eq!(net.projection_info(ei).synapses, n);
        assert_eq!(net.projection_info(ie).synapses, n * (n - 1));
        assert_eq!(net.shared_weight(ie), Some(cfg.w_inh_exc));
        for s in &net.projs {
            assert!(s.mask.is_none(), "{}", s.name);
        }
    }
}
