//! Which synapses a projection has ([`Presence`]), and the structural shortcut for
//! projections with one shared weight.
//!
//! Invariants: only the connectivities drawn or tiled from geometry (sparse, local)
//! store which synapses exist, one bit per pre x post pair; one-to-one and
//! all-but-one compute it from the indices, and all-to-all and convolutions need no
//! record, so no projection holds an N x N mask. A one-to-one or all-but-one projection
//! with one shared weight (the excitatory -> inhibitory and inhibitory -> excitatory
//! projections of Diehl & Cook, the direct inhibition of FSpiNN) has no weight matrix
//! either: its delivery is computed (`deliver`: one-to-one adds w to the same index;
//! all-but-one adds k w to every neuron and takes w back from each of the k spiking
//! ones), its fan counts come from [`structural_fans`], and its weight is read and
//! written with [`Network::shared_weight`] / [`Network::set_shared_weight`]. So memory
//! stays linear in `snn.n_excitatory` for them (a dense f32 mask at the 100000 maximum
//! would be 40 GB).

use super::{Network, ProjId, Weights};
use crate::snn::network::Connectivity;
use anyhow::{bail, Result};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

/// Which of the pre x post pairs (row-major index k = i post + j) are synapses.
#[derive(Clone, Debug)]
pub(super) enum Presence {
    /// Every pair (all-to-all; a convolution's geometry is its own record).
    All,
    /// i == j.
    Diagonal,
    /// i != j.
    OffDiagonal,
    /// One bit per pair (sparse, local), shared by clones.
    Bits(Arc<Vec<u64>>),
}

impl Presence {
    /// The synapses of a connectivity. Only `Sparse` draws from `rng` (one draw per pair,
    /// in row-major order).
    pub(super) fn of(c: &Connectivity, pre: usize, post: usize, rng: &mut Rng) -> Presence {
        match c {
            Connectivity::AllToAll | Connectivity::Conv(_) => Presence::All,
            Connectivity::OneToOne => Presence::Diagonal,
            Connectivity::AllButOne => Presence::OffDiagonal,
            Connectivity::Sparse { density } => {
                let mut bits = vec![0u64; (pre * post).div_ceil(64)];
                for k in 0..pre * post {
                    if rng.next_f32() < *density {
                        bits[k >> 6] |= 1 << (k & 63);
                    }
                }
                Presence::Bits(Arc::new(bits))
            }
            Connectivity::Local {
                rows,
                cols,
                kernel,
                stride,
            } => {
                let py = (rows - kernel) / stride + 1;
                let px = (cols - kernel) / stride + 1;
                let mut bits = vec![0u64; (pre * post).div_ceil(64)];
                for j in 0..post {
                    let patch = j % (py * px);
                    let (oy, ox) = ((patch / px) * stride, (patch % px) * stride);
                    for y in oy..oy + kernel {
                        for x in ox..ox + kernel {
                            let k = (y * cols + x) * post + j;
                            bits[k >> 6] |= 1 << (k & 63);
                        }
                    }
                }
                Presence::Bits(Arc::new(bits))
            }
        }
    }

    pub(super) fn is_all(&self) -> bool {
        matches!(self, Presence::All)
    }

    /// Is pair k = i post + j a synapse?
    #[inline]
    pub(super) fn has(&self, k: usize, post: usize) -> bool {
        match self {
            Presence::All => true,
            Presence::Diagonal => k / post == k % post,
            Presence::OffDiagonal => k / post != k % post,
            Presence::Bits(b) => (b[k >> 6] >> (k & 63)) & 1 != 0,
        }
    }

    /// Zero the weights of the pairs that are not synapses.
    pub(super) fn clear_absent(&self, w: &mut [f32], post: usize) {
        if !self.is_all() {
            for (k, x) in w.iter_mut().enumerate() {
                if !self.has(k, post) {
                    *x = 0.0;
                }
            }
        }
    }

    /// Synapses per pre and per post neuron.
    pub(super) fn fans(&self, pre: usize, post: usize) -> (Vec<u32>, Vec<u32>) {
        match self {
            Presence::All => (vec![post as u32; pre], vec![pre as u32; post]),
            Presence::Diagonal | Presence::OffDiagonal => structural_fans(
                &if matches!(self, Presence::Diagonal) {
                    Connectivity::OneToOne
                } else {
                    Connectivity::AllButOne
                },
                pre,
                post,
            ),
            Presence::Bits(_) => {
                let mut fo = vec![0u32; pre];
                let mut fi = vec![0u32; post];
                for (i, n) in fo.iter_mut().enumerate() {
                    for (j, m) in fi.iter_mut().enumerate() {
                        if self.has(i * post + j, post) {
                            *n += 1;
                            *m += 1;
                        }
                    }
                }
                (fo, fi)
            }
        }
    }
}

/// Synapses per pre and per post neuron of a one-to-one or all-but-one projection of
/// `pre` x `post` neurons (equal sizes, `NetworkDesc::check`).
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
            assert!(
                !matches!(s.presence, super::Presence::Bits(_)),
                "{}",
                s.name
            );
        }
    }
}
