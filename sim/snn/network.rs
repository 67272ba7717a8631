//! Network descriptions as a graph: populations are nodes, projections are edges.
//! The Diehl & Cook network and its FSpiNN variant are built here from the config;
//! the engine (`engine.rs`) interprets any such graph.

use super::config::{InputConnectivity, SnnConfig, MAX_SYNAPSE_DELAY_MS};
pub use super::engine::conv::Conv;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

/// What a population's neurons are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopKind {
    /// Poisson spike sources driven by image pixels.
    Poisson { rows: usize, cols: usize },
    /// Conductance-based LIF with an adaptive threshold (the excitatory layer).
    AdaptiveLif,
    /// Conductance-based LIF (the inhibitory layer).
    Lif,
    /// Current-based LIF with reset by subtraction (Schaefer et al.; surrogate-gradient
    /// networks): per step, decays `alpha` (synaptic current) and `beta` (membrane).
    CurrentLif {
        alpha: f32,
        beta: f32,
        threshold: f32,
        reset: f32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    pub name: String,
    pub size: usize,
    pub kind: PopKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    AllToAll,
    /// i -> i (pre and post of equal size).
    OneToOne,
    /// i -> every j != i (pre and post of equal size).
    AllButOne,
    /// Each synapse present with probability `density` (mask drawn from the seed).
    Sparse {
        density: f32,
    },
    /// Pre is a rows x cols image; post neuron j sees the kernel x kernel patch number
    /// j mod (number of patches), patches tiled at `stride`.
    Local {
        rows: usize,
        cols: usize,
        kernel: usize,
        stride: usize,
    },
    /// A convolution with shared kernels: pre is in_channels x rows x cols, post is
    /// out_channels x out_rows x out_cols (see `engine::conv`); only the kernel is stored.
    Conv(Conv),
}

/// Initial weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    /// One weight shared by every synapse (stored once).
    Shared(f32),
    /// (U(0,1) + offset) * scale per synapse.
    Uniform { scale: f32, offset: f32 },
}

/// Which conductance of the postsynaptic neuron a spike raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Excitatory,
    Inhibitory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plasticity {
    Fixed,
    Stdp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub name: String,
    pub connectivity: Connectivity,
    pub init: WeightInit,
    pub target: Target,
    pub delay_ms: f32,
    /// 0: every synapse has `delay_ms`. > 0: per-synapse delays, uniform in
    /// [delay_ms, delay_max_ms] (drawn by the engine from the seed, stored in model files).
    #[serde(default)]
    pub delay_max_ms: f32,
    pub plasticity: Plasticity,
}

/// The network graph.
#[derive(Clone, Debug)]
pub struct NetworkDesc {
    pub graph: DiGraph<Population, Projection>,
}

/// Flat, serializable form of the graph (stored in model files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkDescFlat {
    pub populations: Vec<Population>,
    /// (pre population index, post population index, projection).
    pub projections: Vec<(usize, usize, Projection)>,
}

impl NetworkDesc {
    pub fn populations(&self) -> impl Iterator<Item = (NodeIndex, &Population)> {
        self.graph.node_indices().map(move |i| (i, &self.graph[i]))
    }
    pub fn projections(
        &self,
    ) -> impl Iterator<Item = (EdgeIndex, NodeIndex, NodeIndex, &Projection)> {
        self.graph
            .edge_references()
            .map(|e| (e.id(), e.source(), e.target(), e.weight()))
    }
    pub fn to_flat(&self) -> NetworkDescFlat {
        NetworkDescFlat {
            populations: self.graph.node_weights().cloned().collect(),
            projections: self
                .projections()
                .map(|(_, a, b, p)| (a.index(), b.index(), p.clone()))
                .collect(),
        }
    }
    pub fn from_flat(f: &NetworkDescFlat) -> Result<Self, String> {
        let mut graph = DiGraph::new();
        let nodes: Vec<NodeIndex> = f
            .populations
            .iter()
            .map(|p| graph.add_node(p.clone()))
            .collect();
        for (a, b, p) in &f.projections {
            let (&na, &nb) = nodes
                .get(*a)
                .zip(nodes.get(*b))
                .ok_or_else(|| format!("projection {}: population index out of range", p.name))?;
            graph.add_edge(na, nb, p.clone());
        }
        let d = NetworkDesc { graph };
        d.check()?;
        Ok(d)
    }

    /// Structural checks: sizes agree with connectivity; exactly one Poisson input
    /// population and one readout (see [`readout`](Self::readout)); plastic
    /// projections are per-synapse and excitatory.
    pub fn check(&self) -> Result<(), String> {
        let n_in = self
            .populations()
            .filter(|(_, p)| matches!(p.kind, PopKind::Poisson { .. }))
            .count();
        if n_in != 1 {
            return Err(format!(
                "network needs exactly one Poisson input population (found {n_in})"
            ));
        }
        self.readout()?;
        for (_, p) in self.populations() {
            if let PopKind::CurrentLif {
                alpha,
                beta,
                threshold,
                reset,
            } = p.kind
            {
                let ok = (0.0..=1.0).contains(&alpha)
                    && (0.0..=1.0).contains(&beta)
                    && threshold.is_finite()
                    && reset.is_finite();
                if !ok {
                    return Err(format!(
                        "population {}: alpha {alpha}, beta {beta}, threshold {threshold}, reset {reset} \
                         (accepted: alpha and beta in [0, 1], finite threshold and reset)",
                        p.name
                    ));
                }
            }
        }
        for (_, a, b, p) in self.projections() {
            let (pa, pb) = (&self.graph[a], &self.graph[b]);
            if matches!(pb.kind, PopKind::Poisson { .. }) {
                return Err(format!(
                    "projection {}: cannot target the input population",
                    p.name
                ));
            }
            match &p.connectivity {
                Connectivity::OneToOne | Connectivity::AllButOne if pa.size != pb.size => {
                    return Err(format!(
                        "projection {}: one-to-one/all-but-one need equal sizes",
                        p.name
                    ))
                }
                Connectivity::Local {
                    rows,
                    cols,
                    kernel,
                    stride,
                } if rows.checked_mul(*cols) != Some(pa.size)
                    || kernel > rows
                    || kernel > cols
                    || *kernel == 0
                    || *stride == 0 =>
                {
                    return Err(format!(
                        "projection {}: local geometry does not fit the pre population \
                         (accepted: rows x cols = pre size, 1 <= kernel <= rows, cols, stride >= 1)",
                        p.name
                    ));
                }
                Connectivity::Conv(c) => {
                    if c.out_dims().is_none()
                        || c.in_channels == 0
                        || c.out_channels == 0
                        || c.pre_size() != pa.size
                        || c.post_size() != pb.size
                    {
                        return Err(format!(
                            "projection {}: convolution {c:?} does not fit {} -> {} neurons \
                             (accepted: in_channels x rows x cols = pre size, out_channels x \
                             out_rows x out_cols = post size, 1 <= kernel <= rows + 2 padding, \
                             stride >= 1)",
                            p.name, pa.size, pb.size
                        ));
                    }
                    if p.plasticity == Plasticity::Stdp || p.delay_max_ms != 0.0 {
                        return Err(format!(
                            "projection {}: a convolution has no STDP or per-synapse delays \
                             (its synapses share kernel weights)",
                            p.name
                        ));
                    }
                }
                Connectivity::Sparse { density } if !(*density > 0.0 && *density <= 1.0) => {
                    return Err(format!(
                        "projection {}: density {density} (accepted: 0 < density <= 1)",
                        p.name
                    ));
                }
                _ => {}
            }
            // Delays become ring depths: bounded as the [snn] keys are.
            if !(0.0..=1000.0).contains(&p.delay_ms)
                || !(0.0..=MAX_SYNAPSE_DELAY_MS).contains(&p.delay_max_ms)
            {
                return Err(format!(
                    "projection {}: delay_ms {} / delay_max_ms {} (accepted: 0..=1000 ms and \
                     0 (off) or up to {MAX_SYNAPSE_DELAY_MS} ms)",
                    p.name, p.delay_ms, p.delay_max_ms
                ));
            }
            let init_ok = match p.init {
                WeightInit::Shared(x) => x.is_finite(),
                WeightInit::Uniform { scale, offset } => scale.is_finite() && offset.is_finite(),
            };
            if !init_ok {
                return Err(format!(
                    "projection {}: initial weights {:?} (accepted: finite values)",
                    p.name, p.init
                ));
            }
            if p.delay_max_ms != 0.0 {
                if !(p.delay_max_ms >= p.delay_ms && p.delay_max_ms.is_finite()) {
                    return Err(format!(
                        "projection {}: delay_max_ms {} below delay_ms {}",
                        p.name, p.delay_max_ms, p.delay_ms
                    ));
                }
                if matches!(p.init, WeightInit::Shared(_)) {
                    return Err(format!(
                        "projection {}: per-synapse delays need per-synapse weights",
                        p.name
                    ));
                }
            }
            if p.plasticity == Plasticity::Stdp && matches!(p.init, WeightInit::Shared(_)) {
                return Err(format!(
                    "projection {}: STDP needs per-synapse weights",
                    p.name
                ));
            }
            if p.plasticity == Plasticity::Stdp && p.target != Target::Excitatory {
                return Err(format!(
                    "projection {}: STDP is for excitatory projections only",
                    p.name
                ));
            }
        }
        Ok(())
    }
}

impl NetworkDesc {
    /// The readout population (whose spike counts label and classify): the adaptive-LIF
    /// population if there is exactly one, else the one non-input population without
    /// outgoing projections (the last layer).
    pub fn readout(&self) -> Result<NodeIndex, String> {
        let adaptive: Vec<NodeIndex> = self
            .populations()
            .filter(|(_, p)| p.kind == PopKind::AdaptiveLif)
            .map(|(i, _)| i)
            .collect();
        if let [one] = adaptive[..] {
            return Ok(one);
        }
        let last: Vec<NodeIndex> = self
            .populations()
            .filter(|(i, p)| {
                !matches!(p.kind, PopKind::Poisson { .. }) && self.graph.edges(*i).next().is_none()
            })
            .map(|(i, _)| i)
            .collect();
        match (adaptive.len(), &last[..]) {
            (0, [one]) => Ok(*one),
            _ => Err(format!(
                "network needs one readout population: exactly one adaptive-LIF population, \
                 or none and exactly one last layer (found {} adaptive-LIF, {} last layers)",
                adaptive.len(),
                last.len()
            )),
        }
    }
}

/// Build the Diehl & Cook network (input -> exc, exc -> inh one-to-one, inh -> exc
/// all-but-one) or, with direct inhibition (FSpiNN), input -> exc and exc -> exc
/// all-but-one on the inhibitory conductance, without the inhibitory population.
pub fn build(cfg: &SnnConfig, rows: usize, cols: usize) -> NetworkDesc {
    let n = cfg.n_excitatory;
    let sw = cfg.switches();
    let mut g = DiGraph::new();
    let input = g.add_node(Population {
        name: "input".into(),
        size: rows * cols,
        kind: PopKind::Poisson { rows, cols },
    });
    let exc = g.add_node(Population {
        name: "exc".into(),
        size: n,
        kind: PopKind::AdaptiveLif,
    });
    let connectivity = match cfg.input_connectivity {
        InputConnectivity::AllToAll => Connectivity::AllToAll,
        InputConnectivity::Sparse => Connectivity::Sparse {
            density: cfg.input_density,
        },
        InputConnectivity::Local => Connectivity::Local {
            rows,
            cols,
            kernel: cfg.local_kernel.min(rows).min(cols),
            stride: cfg.local_stride,
        },
    };
    g.add_edge(
        input,
        exc,
        Projection {
            name: "input_exc".into(),
            connectivity,
            init: WeightInit::Uniform {
                scale: cfg.w_input_scale,
                offset: cfg.w_input_offset,
            },
            target: Target::Excitatory,
            delay_ms: cfg.input_delay_ms,
            delay_max_ms: cfg.input_delay_max_ms,
            plasticity: Plasticity::Stdp,
        },
    );
    if sw.direct_inhibition {
        g.add_edge(
            exc,
            exc,
            Projection {
                name: "exc_exc_inhibition".into(),
                connectivity: Connectivity::AllButOne,
                init: WeightInit::Shared(cfg.w_direct_inhibition),
                target: Target::Inhibitory,
                delay_ms: 0.0,
                delay_max_ms: 0.0,
                plasticity: Plasticity::Fixed,
            },
        );
    } else {
        let inh = g.add_node(Population {
            name: "inh".into(),
            size: n,
            kind: PopKind::Lif,
        });
        g.add_edge(
            exc,
            inh,
            Projection {
                name: "exc_inh".into(),
                connectivity: Connectivity::OneToOne,
                init: WeightInit::Shared(cfg.w_exc_inh),
                target: Target::Excitatory,
                delay_ms: 0.0,
                delay_max_ms: 0.0,
                plasticity: Plasticity::Fixed,
            },
        );
        g.add_edge(
            inh,
            exc,
            Projection {
                name: "inh_exc".into(),
                connectivity: Connectivity::AllButOne,
                init: WeightInit::Shared(cfg.w_inh_exc),
                target: Target::Inhibitory,
                delay_ms: 0.0,
                delay_max_ms: 0.0,
                plasticity: Plasticity::Fixed,
            },
        );
    }
    NetworkDesc { graph: g }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_and_fspinn_graphs() {
        let mut c = SnnConfig::default();
        let d = build(&c, 28, 28);
        assert_eq!(d.graph.node_count(), 3);
        assert_eq!(d.graph.edge_count(), 3);
        d.check().unwrap();
        c.direct_inhibition = Some(true);
        let f = build(&c, 28, 28);
        assert_eq!(f.graph.node_count(), 2);
        assert_eq!(f.graph.edge_count(), 2);
        let flat = f.to_flat();
        let back = NetworkDesc::from_flat(&flat).unwrap();
        assert_eq!(back.to_flat(), flat);
    }
}
