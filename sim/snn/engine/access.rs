//! Access to a network's projections for the hardware side and for model files:
//! what each projection is (`projection_info`), its weights as a matrix, fixed-point
//! codes, kernel or per-synapse delays, read and replaced; the adaptive thresholds; and
//! post-training quantization.
//!
//! Invariant: a replaced weight matrix keeps the projection's synapses (absent pairs
//! stay 0, a convolution stays a kernel), and weights that live in faulty DRAM are read
//! through the faults again after a replacement.

use super::conv;
use super::projection::{SynDelays, Weights};
use super::{Network, NeuronModel, ProjId, ProjectionInfo};
use crate::snn::config::MAX_SYNAPSE_DELAY_STEPS;
use crate::snn::quant::QuantSpec;
use anyhow::{bail, Result};
use spikemem_arch::rng::Rng;
use std::sync::Arc;

impl Network {
    pub fn num_projections(&self) -> usize {
        self.projs.len()
    }
    pub fn find_projection(&self, name: &str) -> Option<ProjId> {
        self.projs.iter().position(|p| p.name == name)
    }
    /// The plastic input projection (input -> excitatory).
    pub fn input_projection(&self) -> Option<ProjId> {
        self.projs
            .iter()
            .position(|p| p.pre == self.input && p.post == self.exc)
    }
    pub fn projection_info(&self, p: ProjId) -> ProjectionInfo {
        let s = &self.projs[p];
        let (bits, frac_bits) = self.quant.map(|q| (q.bits, q.frac_bits)).unwrap_or((32, 0));
        let shared = matches!(s.w, Weights::Shared(_));
        let stored_weights = match &s.w {
            Weights::Shared(_) => 1,
            Weights::Kernel(k) => k.len() as u64,
            Weights::Dense(_) => s.synapses,
        };
        ProjectionInfo {
            name: s.name.clone(),
            pre_population: self.names[s.pre].clone(),
            post_population: self.names[s.post].clone(),
            pre_size: s.pre_size,
            post_size: s.post_size,
            connectivity: s.connectivity.clone(),
            shared,
            plastic: s.plastic,
            delay_steps: s.delay_steps,
            per_synapse_delays: s.syn_delay.is_some(),
            max_delay_steps: s.syn_delay.as_ref().map_or(s.delay_steps, |sd| sd.max),
            synapses: s.synapses,
            bits,
            frac_bits,
            memory_bits: stored_weights * bits as u64,
        }
    }
    /// Total weight storage in bits (per-synapse weights at the configured precision,
    /// shared weights once).
    pub fn weight_memory_bits(&self) -> u64 {
        (0..self.projs.len())
            .map(|p| self.projection_info(p).memory_bits)
            .sum()
    }
    /// The weight matrix, row-major pre x post (absent synapses are 0). For a shared
    /// projection or a convolution this builds the pre x post matrix: prefer
    /// `shared_weight` / `kernel`.
    pub fn weights(&self, p: ProjId) -> Vec<f32> {
        let s = &self.projs[p];
        match &s.w {
            Weights::Dense(w) => w.to_vec(),
            Weights::Kernel(k) => s.conv.map(|c| c.unroll(k)).unwrap_or_default(),
            Weights::Shared(x) => (0..s.pre_size * s.post_size)
                .map(|k| {
                    if s.presence.has(k, s.post_size) {
                        *x
                    } else {
                        0.0
                    }
                })
                .collect(),
        }
    }
    /// Fixed-point codes of the weight matrix (row-major pre x post) and the bit width;
    /// None for float weights.
    pub fn codes(&self, p: ProjId) -> Option<(Vec<u32>, u32)> {
        let q = self.quant?;
        // Weights already lie on the grid, so nearest rounding recovers the codes exactly.
        let qn = QuantSpec {
            rounding: crate::snn::config::Rounding::Nearest,
            ..q
        };
        let mut rng = Rng::new(0);
        Some((qn.encode_all(&self.weights(p), &mut rng), q.bits))
    }
    /// Replace a projection's weights (row-major pre x post), e.g. with values read back
    /// from a faulty memory. Absent synapses stay absent. A shared projection given
    /// non-uniform values becomes per-synapse.
    pub fn set_weights(&mut self, p: ProjId, w: &[f32]) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        if w.len() != s.pre_size * s.post_size {
            bail!(
                "projection {}: {} weights given, {} x {} = {} expected",
                s.name,
                w.len(),
                s.pre_size,
                s.post_size,
                s.pre_size * s.post_size
            );
        }
        if let Some(k) = w.iter().position(|x| !x.is_finite()) {
            bail!("projection {}: weight {k} is not finite", s.name);
        }
        if let Some(c) = s.conv {
            let kernel = c.roll(w).map_err(|(i, j)| {
                anyhow::anyhow!(
                    "projection {}: the weights are no convolution (synapse {i} -> {j} \
                     differs from its kernel entry, or is not in the geometry)",
                    s.name
                )
            })?;
            s.w = Weights::Kernel(Arc::new(kernel));
            return Ok(());
        }
        if let Weights::Shared(_) = s.w {
            let nt = s.post_size;
            let present: Vec<f32> = (0..w.len())
                .filter(|&k| s.presence.has(k, nt))
                .map(|k| w[k])
                .collect();
            if present.iter().all(|&x| x == present[0]) {
                s.w = Weights::Shared(present[0]);
                return Ok(());
            }
        }
        let mut v = w.to_vec();
        s.presence.clear_absent(&mut v, s.post_size);
        s.w = Weights::Dense(Arc::new(v));
        self.read_through_faults(p);
        Ok(())
    }
    /// Set weights from fixed-point codes (decoded with the network's precision).
    pub fn set_codes(&mut self, p: ProjId, codes: &[u32]) -> Result<()> {
        let Some(q) = self.quant else {
            bail!("set_codes: the network uses float weights (snn.weight_bits = 32)")
        };
        let w: Vec<f32> = codes
            .iter()
            .map(|&c| q.decode(c.min(q.max_code())))
            .collect();
        self.set_weights(p, &w)
    }
    /// A convolution's kernel (out_channels x in_channels x kernel x kernel) and geometry.
    pub fn kernel(&self, p: ProjId) -> Option<(&[f32], conv::Conv)> {
        let s = self.projs.get(p)?;
        match (&s.w, s.conv) {
            (Weights::Kernel(k), Some(c)) => Some((&k[..], c)),
            _ => None,
        }
    }
    /// Replace a convolution's kernel.
    pub fn set_kernel(&mut self, p: ProjId, kernel: &[f32]) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        let Weights::Kernel(k) = &mut s.w else {
            bail!("projection {}: is not a convolution", s.name)
        };
        if kernel.len() != k.len() || kernel.iter().any(|x| !x.is_finite()) {
            bail!(
                "projection {}: {} kernel weights given, {} finite ones expected",
                s.name,
                kernel.len(),
                k.len()
            );
        }
        *k = Arc::new(kernel.to_vec());
        Ok(())
    }
    /// Per-synapse delays in dt steps (row-major pre x post), None for a projection with
    /// one delay.
    pub fn delays(&self, p: ProjId) -> Option<&[u16]> {
        self.projs.get(p)?.syn_delay.as_ref().map(|sd| &sd.d[..])
    }
    /// Replace the per-synapse delays (e.g. read from a model file).
    pub fn set_delays(&mut self, p: ProjId, d: &[u16]) -> Result<()> {
        let Some(s) = self.projs.get_mut(p) else {
            bail!("projection {p} does not exist")
        };
        let Some(sd) = &mut s.syn_delay else {
            bail!("projection {}: has no per-synapse delays", s.name)
        };
        if d.len() != sd.d.len() {
            bail!(
                "projection {}: {} delays given, {} expected",
                s.name,
                d.len(),
                sd.d.len()
            );
        }
        if let Some(&x) = d.iter().find(|&&x| x as usize > MAX_SYNAPSE_DELAY_STEPS) {
            bail!(
                "projection {}: delay {x} steps above {MAX_SYNAPSE_DELAY_STEPS}",
                s.name
            );
        }
        *sd = SynDelays::new(d.to_vec(), s.post_size);
        for r in self.rules.iter_mut().filter(|r| r.projection() == p) {
            r.delays_changed(s.pre_size, s.post_size, sd.depth);
        }
        let need = sd.max;
        let h = &mut self.hist[s.pre];
        if h.len() < need + 1 {
            *h = vec![Vec::new(); need + 1];
        }
        Ok(())
    }
    /// The adaptive thresholds of the excitatory population.
    pub fn theta(&self) -> &[f32] {
        self.exc_model().theta().unwrap_or(&[])
    }
    pub fn set_theta(&mut self, t: &[f32]) -> Result<()> {
        let exc = self.exc;
        let Some(theta) = self.pops[exc].model.as_mut().and_then(|m| m.theta_mut()) else {
            bail!("theta: the excitatory population has no adaptive threshold")
        };
        if t.len() != theta.len() {
            bail!("theta: {} values given, {} expected", t.len(), theta.len());
        }
        theta.copy_from_slice(t);
        Ok(())
    }
    fn exc_model(&self) -> &dyn NeuronModel {
        self.pops[self.exc]
            .model
            .as_deref()
            .expect("the excitatory population has a neuron model")
    }

    /// Post-training quantization: put every per-synapse weight on the fixed-point grid.
    pub fn quantize_weights(&mut self) {
        let Some(q) = self.quant else { return };
        // Only plastic projections live in the synapse memory in the weight format; the
        // fixed lateral weights (10.4, 17) are far outside its [0, 1) range and would
        // saturate, collapsing inhibition.
        for s in self.projs.iter_mut().filter(|s| s.plastic) {
            match &mut s.w {
                Weights::Dense(w) => {
                    q.fake_quantize(Arc::make_mut(w).as_mut_slice(), &mut self.qrng)
                }
                Weights::Kernel(k) => {
                    q.fake_quantize(Arc::make_mut(k).as_mut_slice(), &mut self.qrng)
                }
                Weights::Shared(x) => *x = q.decode(q.encode(*x, &mut self.qrng)),
            }
        }
    }
}
