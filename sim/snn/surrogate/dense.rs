//! Fully connected projection, weights n_in x n_out (row-major: row i = input i's
//! synapses). Inputs are mostly spikes (0 or 1, few per step), so the forward pass
//! adds the rows of the active inputs and the weight gradient touches only their rows;
//! only the input gradient (needed for hidden layers) is a dense product.

use super::projection::{Projection, Shape};

pub struct Dense {
    n_in: usize,
    n_out: usize,
}

impl Dense {
    pub fn new(n_in: usize, n_out: usize) -> Self {
        Dense { n_in, n_out }
    }
}

impl Projection for Dense {
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_out(&self) -> usize {
        self.n_out
    }
    fn n_weights(&self) -> usize {
        self.n_in * self.n_out
    }
    fn fan_in(&self) -> usize {
        self.n_in
    }
    fn out_shape(&self) -> Shape {
        Shape { channels: self.n_out, height: 1, width: 1 }
    }

    fn forward(&self, w: &[f32], x: &[f32], out: &mut [f32]) {
        let (ni, no) = (self.n_in, self.n_out);
        for (xr, or) in x.chunks_exact(ni).zip(out.chunks_exact_mut(no)) {
            or.fill(0.0);
            for (i, &xi) in xr.iter().enumerate() {
                if xi != 0.0 {
                    let wr = &w[i * no..(i + 1) * no];
                    if xi == 1.0 {
                        or.iter_mut().zip(wr).for_each(|(o, &v)| *o += v);
                    } else {
                        or.iter_mut().zip(wr).for_each(|(o, &v)| *o += xi * v);
                    }
                }
            }
        }
    }

    fn backward(&self, w: &[f32], x: &[f32], grad_out: &[f32], grad_w: &mut [f32], mut grad_x: Option<&mut [f32]>) {
        let (ni, no) = (self.n_in, self.n_out);
        for (t, (xr, gr)) in x.chunks_exact(ni).zip(grad_out.chunks_exact(no)).enumerate() {
            let silent = gr.iter().all(|&g| g == 0.0);
            if let Some(gx) = grad_x.as_deref_mut() {
                let gxr = &mut gx[t * ni..(t + 1) * ni];
                if silent {
                    gxr.fill(0.0);
                } else {
                    for (i, v) in gxr.iter_mut().enumerate() {
                        let wr = &w[i * no..(i + 1) * no];
                        *v = dot(wr, gr);
                    }
                }
            }
            if silent {
                continue;
            }
            for (i, &xi) in xr.iter().enumerate() {
                if xi != 0.0 {
                    let gw = &mut grad_w[i * no..(i + 1) * no];
                    gw.iter_mut().zip(gr).for_each(|(a, &g)| *a += xi * g);
                }
            }
        }
    }
}

/// Dot product in 8 independent lanes (so the compiler vectorizes it).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}
