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
        Shape {
            channels: self.n_out,
            height: 1,
            width: 1,
        }
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

    fn backward(
        &self,
        w: &[f32],
        x: &[f32],
        grad_out: &[f32],
        grad_w: &mut [f32],
        grad_x: Option<&mut [f32]>,
    ) {
        let (ni, no) = (self.n_in, self.n_out);
        if let Some(gx) = grad_x {
            input_gradient(&transpose(w, ni, no), grad_out, ni, no, gx);
        }
        for (xr, gr) in x.chunks_exact(ni).zip(grad_out.chunks_exact(no)) {
            if gr.iter().all(|&g| g == 0.0) {
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

/// dL/dx[t] = sum_j grad_out[t, j] W^T[j] for all steps (`wt` = W^T, n_out x n_in),
/// as axpys over pairs of rows of W^T (each pass loads and stores the output row once
/// for two rows). The compiler vectorizes an axpy, while it left a dot product's
/// reduction scalar (2.4x slower).
fn input_gradient(wt: &[f32], grad_out: &[f32], ni: usize, no: usize, gx: &mut [f32]) {
    for (row, g) in gx.chunks_exact_mut(ni).zip(grad_out.chunks_exact(no)) {
        row.fill(0.0);
        let mut pairs = g.chunks_exact(2).zip(wt.chunks_exact(2 * ni));
        for (a, w2) in &mut pairs {
            let (w0, w1) = w2.split_at(ni);
            let (a0, a1) = (a[0], a[1]);
            for ((o, &v0), &v1) in row.iter_mut().zip(w0).zip(w1) {
                *o += a0 * v0 + a1 * v1;
            }
        }
        if no % 2 == 1 {
            let a = g[no - 1];
            row.iter_mut()
                .zip(&wt[(no - 1) * ni..])
                .for_each(|(o, &v)| *o += a * v);
        }
    }
}

/// `w` (rows x cols, row-major) transposed.
fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0f32; w.len()];
    for (r, row) in w.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + r] = v;
        }
    }
    t
}
