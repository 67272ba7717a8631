//! Convolutional projections with shared kernels: the connectivity is computed from
//! the geometry, and only the kernel (out_channels x in_channels x kernel x kernel) is
//! stored, as a functional synapse encoding stores it.
//!
//! Layouts: a population of C x H x W neurons is channel-major (index = (c H + y) W + x);
//! the kernel is [co][ci][ky][kx]. Output (oy, ox) of channel co sees input
//! (oy stride + ky - padding, ox stride + kx - padding) of every channel ci through
//! weight [co][ci][ky][kx]; positions in the padding contribute nothing.
//!
//! Invariant: delivering a spike through the kernel adds to each post neuron exactly
//! what the unrolled pre x post matrix ([`Conv::unroll`]) would, in the same order
//! (one addition per (spike, synapse)), so the two give bit-identical inputs.

use crate::snn::network::Connectivity;
use serde::{Deserialize, Serialize};

/// A convolution's geometry (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conv {
    pub in_channels: usize,
    pub rows: usize,
    pub cols: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl Conv {
    pub fn of(c: &Connectivity) -> Option<Conv> {
        match c {
            Connectivity::Conv(g) => Some(*g),
            _ => None,
        }
    }
    /// Output rows and columns (None if the kernel does not fit the padded input).
    pub fn out_dims(&self) -> Option<(usize, usize)> {
        let (h, w) = (self.rows + 2 * self.padding, self.cols + 2 * self.padding);
        if self.kernel == 0 || self.stride == 0 || self.kernel > h || self.kernel > w {
            return None;
        }
        Some((
            (h - self.kernel) / self.stride + 1,
            (w - self.kernel) / self.stride + 1,
        ))
    }
    pub fn pre_size(&self) -> usize {
        self.in_channels * self.rows * self.cols
    }
    pub fn post_size(&self) -> usize {
        let (oh, ow) = self.out_dims().unwrap_or((0, 0));
        self.out_channels * oh * ow
    }
    pub fn kernel_len(&self) -> usize {
        self.out_channels * self.in_channels * self.kernel * self.kernel
    }

    /// Every synapse of pre neuron `i`: `f(post, kernel index)`, by output channel
    /// innermost.
    #[inline]
    pub fn for_each_target(&self, i: usize, mut f: impl FnMut(usize, usize)) {
        let (oh, ow) = self.out_dims().unwrap_or((0, 0));
        let plane = self.rows * self.cols;
        let (ci, y, x) = (i / plane, (i % plane) / self.cols, i % self.cols);
        let k = self.kernel;
        let k2 = k * k;
        for ky in 0..k {
            let Some(oy) = out_index(y, ky, self.padding, self.stride, oh) else {
                continue;
            };
            for kx in 0..k {
                let Some(ox) = out_index(x, kx, self.padding, self.stride, ow) else {
                    continue;
                };
                let at = oy * ow + ox;
                let kidx = ci * k2 + ky * k + kx;
                for co in 0..self.out_channels {
                    f(co * oh * ow + at, co * self.in_channels * k2 + kidx);
                }
            }
        }
    }

    /// Synapses per pre and per post neuron.
    pub fn fans(&self) -> (Vec<u32>, Vec<u32>) {
        let mut fo = vec![0u32; self.pre_size()];
        let mut fi = vec![0u32; self.post_size()];
        for (i, n) in fo.iter_mut().enumerate() {
            self.for_each_target(i, |j, _| {
                *n += 1;
                fi[j] += 1;
            });
        }
        (fo, fi)
    }

    /// The kernel as a pre x post matrix (row-major; absent synapses 0).
    pub fn unroll(&self, kernel: &[f32]) -> Vec<f32> {
        let nt = self.post_size();
        let mut w = vec![0.0; self.pre_size() * nt];
        for i in 0..self.pre_size() {
            self.for_each_target(i, |j, k| w[i * nt + j] = kernel[k]);
        }
        w
    }

    /// The kernel of an unrolled matrix, if the matrix is one (every synapse that shares
    /// a kernel entry has its value, every other entry is 0); else the first
    /// (pre, post) that disagrees.
    pub fn roll(&self, w: &[f32]) -> Result<Vec<f32>, (usize, usize)> {
        let nt = self.post_size();
        let mut kernel = vec![f32::NAN; self.kernel_len()];
        let mut present = vec![false; w.len()];
        let mut bad = None;
        for i in 0..self.pre_size() {
            self.for_each_target(i, |j, k| {
                let x = w[i * nt + j];
                present[i * nt + j] = true;
                if kernel[k].is_nan() {
                    kernel[k] = x;
                } else if kernel[k] != x && bad.is_none() {
                    bad = Some((i, j));
                }
            });
        }
        if let Some(b) = bad {
            return Err(b);
        }
        if let Some(k) = present.iter().zip(w).position(|(&p, &x)| !p && x != 0.0) {
            return Err((k / nt, k % nt));
        }
        // Entries no synapse uses (a kernel larger than the input) stay 0.
        kernel
            .iter_mut()
            .filter(|x| x.is_nan())
            .for_each(|x| *x = 0.0);
        Ok(kernel)
    }
}

/// The output index that sees input `pos` through kernel offset `k`, if any.
#[inline]
fn out_index(pos: usize, k: usize, padding: usize, stride: usize, n_out: usize) -> Option<usize> {
    let p = (pos + padding).checked_sub(k)?;
    (p % stride == 0 && p / stride < n_out).then_some(p / stride)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_by_hand() {
        // 1 x 4 x 4 input, 3x3 kernel, stride 1, padding 1: 4 x 4 output; a corner input
        // reaches 4 outputs, a middle one 9.
        let c = Conv {
            in_channels: 1,
            rows: 4,
            cols: 4,
            out_channels: 2,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        assert_eq!(c.out_dims(), Some((4, 4)));
        let (fo, fi) = c.fans();
        assert_eq!(fo[0], 4 * 2);
        assert_eq!(fo[5], 9 * 2);
        assert_eq!(fi[0], 4);
        assert_eq!(fi[16 + 5], 9);
        // Input (0, 0) reaches output (0, 0) through kernel (1, 1), output (1, 1) through (0, 0).
        let mut seen = Vec::new();
        c.for_each_target(0, |j, k| seen.push((j, k)));
        assert!(seen.contains(&(0, 4)) && seen.contains(&(5, 0)) && seen.contains(&(16 + 5, 9)));
        // Stride 2 without padding on 5 x 5: 2 x 2 outputs; input (1, 1) is only under
        // output (0, 0) at kernel (1, 1).
        let s = Conv {
            rows: 5,
            cols: 5,
            stride: 2,
            padding: 0,
            out_channels: 1,
            ..c
        };
        assert_eq!(s.out_dims(), Some((2, 2)));
        let mut seen = Vec::new();
        s.for_each_target(6, |j, k| seen.push((j, k)));
        assert_eq!(seen, vec![(0, 4)]);
    }

    #[test]
    fn roll_inverts_unroll_and_refuses_a_matrix_that_is_no_convolution() {
        let c = Conv {
            in_channels: 2,
            rows: 5,
            cols: 4,
            out_channels: 3,
            kernel: 3,
            stride: 2,
            padding: 1,
        };
        let kernel: Vec<f32> = (0..c.kernel_len()).map(|k| k as f32 * 0.25 - 3.0).collect();
        let w = c.unroll(&kernel);
        assert_eq!(c.roll(&w).unwrap(), kernel);
        let nt = c.post_size();
        // One synapse off its kernel entry.
        let mut bad = w.clone();
        let k = bad.iter().rposition(|&x| x != 0.0).unwrap();
        bad[k] += 1.0;
        assert_eq!(c.roll(&bad), Err((k / nt, k % nt)));
        // A weight where there is no synapse.
        let mut extra = w.clone();
        let k = extra.iter().position(|&x| x == 0.0).unwrap();
        extra[k] = 1.0;
        assert_eq!(c.roll(&extra), Err((k / nt, k % nt)));
    }
}
