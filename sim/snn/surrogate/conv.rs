//! Convolution with shared kernels: input channels x height x width, weights
//! out_channels x in_channels x kernel x kernel, zero padding on each side, stride.
//! Output neuron (co, oy, ox) sees input (ci, oy*stride - padding + ky, ox*stride -
//! padding + kx). Only the kernel is stored; the connectivity follows from the geometry
//! (the "functional" encoding of Schaefer et al.).

use super::projection::{Projection, Shape};

pub struct Conv {
    input: Shape,
    output: Shape,
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl Conv {
    /// None when the kernel does not fit the padded input.
    pub fn new(
        input: Shape,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Option<Self> {
        let span = |n: usize| {
            (n + 2 * padding)
                .checked_sub(kernel)
                .map(|r| r / stride + 1)
        };
        let output = Shape {
            channels: out_channels,
            height: span(input.height)?,
            width: span(input.width)?,
        };
        Some(Conv {
            input,
            output,
            kernel,
            stride,
            padding,
        })
    }

    /// Calls f(input index, output index, weight index) for every synapse of one step.
    #[inline]
    fn each_synapse(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (i, o, k) = (self.input, self.output, self.kernel);
        for co in 0..o.channels {
            for oy in 0..o.height {
                for ox in 0..o.width {
                    let out = (co * o.height + oy) * o.width + ox;
                    for ci in 0..i.channels {
                        for ky in 0..k {
                            let iy = (oy * self.stride + ky) as isize - self.padding as isize;
                            if iy < 0 || iy >= i.height as isize {
                                continue;
                            }
                            for kx in 0..k {
                                let ix = (ox * self.stride + kx) as isize - self.padding as isize;
                                if ix < 0 || ix >= i.width as isize {
                                    continue;
                                }
                                let inp = (ci * i.height + iy as usize) * i.width + ix as usize;
                                f(inp, out, ((co * i.channels + ci) * k + ky) * k + kx);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Projection for Conv {
    fn n_in(&self) -> usize {
        self.input.len()
    }
    fn n_out(&self) -> usize {
        self.output.len()
    }
    fn n_weights(&self) -> usize {
        self.output.channels * self.input.channels * self.kernel * self.kernel
    }
    fn fan_in(&self) -> usize {
        self.input.channels * self.kernel * self.kernel
    }
    fn out_shape(&self) -> Shape {
        self.output
    }

    fn forward(&self, w: &[f32], x: &[f32], out: &mut [f32]) {
        let (ni, no) = (self.n_in(), self.n_out());
        for (xr, or) in x.chunks_exact(ni).zip(out.chunks_exact_mut(no)) {
            or.fill(0.0);
            if xr.iter().all(|&v| v == 0.0) {
                continue;
            }
            self.each_synapse(|i, o, k| or[o] += w[k] * xr[i]);
        }
    }

    fn backward(
        &self,
        w: &[f32],
        x: &[f32],
        grad_out: &[f32],
        grad_w: &mut [f32],
        mut grad_x: Option<&mut [f32]>,
    ) {
        let (ni, no) = (self.n_in(), self.n_out());
        for (t, (xr, gr)) in x
            .chunks_exact(ni)
            .zip(grad_out.chunks_exact(no))
            .enumerate()
        {
            let gx = grad_x.as_deref_mut().map(|g| &mut g[t * ni..(t + 1) * ni]);
            if let Some(g) = gx {
                g.fill(0.0);
                if gr.iter().any(|&v| v != 0.0) {
                    self.each_synapse(|i, o, k| g[i] += w[k] * gr[o]);
                }
            }
            if gr.iter().all(|&v| v == 0.0) || xr.iter().all(|&v| v == 0.0) {
                continue;
            }
            self.each_synapse(|i, o, k| grad_w[k] += gr[o] * xr[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dense::Dense;
    use super::*;

    /// A conv projection equals its weights unrolled into a dense n_in x n_out matrix:
    /// the same output, the same input gradient, and a weight gradient that is the
    /// dense one summed over the synapses sharing each kernel entry.
    #[test]
    fn conv_equals_its_dense_unrolling_forward_and_backward() {
        let input = Shape {
            channels: 2,
            height: 5,
            width: 6,
        };
        let conv = Conv::new(input, 3, 3, 2, 1).unwrap();
        assert_eq!(
            conv.out_shape(),
            Shape {
                channels: 3,
                height: 3,
                width: 3
            }
        );
        let (ni, no, steps) = (conv.n_in(), conv.n_out(), 4);
        let mut seed = 12345u64;
        let mut rnd = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let w: Vec<f32> = (0..conv.n_weights()).map(|_| rnd()).collect();
        let x: Vec<f32> = (0..steps * ni)
            .map(|_| if rnd() > 0.1 { 1.0 } else { 0.0 })
            .collect();
        let g: Vec<f32> = (0..steps * no).map(|_| rnd()).collect();
        // Unroll: which kernel entry each (input, output) synapse uses.
        let mut entry = vec![usize::MAX; ni * no];
        conv.each_synapse(|i, o, k| entry[i * no + o] = k);
        let wd: Vec<f32> = entry
            .iter()
            .map(|&k| if k == usize::MAX { 0.0 } else { w[k] })
            .collect();
        let dense = Dense::new(ni, no);
        let (mut oc, mut od) = (vec![0.0; steps * no], vec![0.0; steps * no]);
        conv.forward(&w, &x, &mut oc);
        dense.forward(&wd, &x, &mut od);
        for (a, b) in oc.iter().zip(&od) {
            assert!((a - b).abs() < 1e-5, "forward {a} vs {b}");
        }
        assert!(oc.iter().any(|&v| v != 0.0));
        let (mut gwc, mut gxc) = (vec![0.0; w.len()], vec![0.0; steps * ni]);
        let (mut gwd, mut gxd) = (vec![0.0; wd.len()], vec![0.0; steps * ni]);
        conv.backward(&w, &x, &g, &mut gwc, Some(&mut gxc));
        dense.backward(&wd, &x, &g, &mut gwd, Some(&mut gxd));
        for (a, b) in gxc.iter().zip(&gxd) {
            assert!((a - b).abs() < 1e-5, "input gradient {a} vs {b}");
        }
        let mut folded = vec![0.0f32; w.len()];
        for (s, &k) in entry.iter().enumerate() {
            if k != usize::MAX {
                folded[k] += gwd[s];
            }
        }
        for (a, b) in gwc.iter().zip(&folded) {
            assert!((a - b).abs() < 1e-4, "weight gradient {a} vs {b}");
        }
        assert!(gwc.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn a_kernel_larger_than_the_padded_input_is_refused() {
        let input = Shape {
            channels: 1,
            height: 3,
            width: 3,
        };
        assert!(Conv::new(input, 1, 6, 1, 1).is_none());
        assert_eq!(Conv::new(input, 1, 5, 1, 1).unwrap().out_shape().height, 1);
    }
}
