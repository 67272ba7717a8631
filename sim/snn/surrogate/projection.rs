//! Projections of the time-unrolled network: a layer's input (steps x n_in, step-major)
//! to its neurons' input current (steps x n_out), and back. Weights are handed in as the
//! effective (quantized, scaled) values, so a projection knows nothing of quantization.
//! A projection kind is one file ([`super::dense`], [`super::conv`]) and a line in [`build`].

use super::config::{LayerKind, LayerSpec};
use super::conv::Conv;
use super::dense::Dense;

/// Invariant: `forward` is linear in the weights and in the input, and `backward` is its
/// exact transpose (tests compare conv with the same weights unrolled into a dense matrix).
pub trait Projection: Send + Sync {
    fn n_in(&self) -> usize;
    fn n_out(&self) -> usize;
    /// Stored weights (dense: n_in x n_out; conv: out_channels x in_channels x k x k).
    fn n_weights(&self) -> usize;
    /// Fan-in of one output neuron (sets the weight scale).
    fn fan_in(&self) -> usize;
    /// out[t] = W x[t] for every step (out is overwritten).
    fn forward(&self, w: &[f32], x: &[f32], out: &mut [f32]);
    /// grad_w += dL/dW; grad_x (when asked) = dL/dx, both from grad_out = dL/dout.
    fn backward(
        &self,
        w: &[f32],
        x: &[f32],
        grad_out: &[f32],
        grad_w: &mut [f32],
        grad_x: Option<&mut [f32]>,
    );
    /// The output as channels x height x width (dense: size x 1 x 1).
    fn out_shape(&self) -> Shape;
}

/// A layer's neurons as channels x height x width (row-major).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Shape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Shape {
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The projection of `spec` fed by neurons of shape `input`; an error names the layer
/// when the geometry does not fit.
pub fn build(index: usize, spec: &LayerSpec, input: Shape) -> Result<Box<dyn Projection>, String> {
    match spec.kind {
        LayerKind::Dense => Ok(Box::new(Dense::new(input.len(), spec.size))),
        LayerKind::Conv => {
            let c = Conv::new(input, spec.out_channels, spec.kernel, spec.stride, spec.padding)
                .ok_or_else(|| {
                    format!(
                        "surrogate.layers[{index}]: a {k}x{k} kernel (padding {p}) does not fit the {}x{} input",
                        input.height,
                        input.width,
                        k = spec.kernel,
                        p = spec.padding
                    )
                })?;
            if c.out_shape().len() > super::config::MAX_NEURONS {
                return Err(format!(
                    "surrogate.layers[{index}]: more than {} neurons",
                    super::config::MAX_NEURONS
                ));
            }
            Ok(Box::new(c))
        }
    }
}
