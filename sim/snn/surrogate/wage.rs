//! WAGE quantization (Wu et al. 2018, as used by Schaefer et al. 2020): a b-bit value
//! is a multiple of 1 / S(b), S(b) = 2^(b-1), clipped to +-(1 - 1/S(b)). 32 bits = float
//! (no quantization anywhere).
//!
//! - Weights: master weights live in [-1 + 1/S, 1 - 1/S]; the forward pass uses
//!   `quantize(w, wb)` times the layer's power-of-two scale (see `dense.rs`).
//! - Activations (the LIF's syn and mem after each update): `quantize(x, ab)`; the
//!   backward pass treats the rounding as the identity (straight-through).
//! - Gradients: `quantize_gradient` divides by the power of two nearest max |g|, so the
//!   largest entry is about 1, and rounds stochastically to a multiple of 1/S(gb).

/// Bit widths at or above this are float (no quantization).
pub const FLOAT_BITS: u32 = 32;

/// S(b) = 2^(b-1): the number of steps per unit.
pub fn steps_per_unit(bits: u32) -> f32 {
    (2.0f32).powi(bits as i32 - 1)
}

/// The clip bound 1 - 1/S(b) (1 for float).
pub fn clip_bound(bits: u32) -> f32 {
    if bits >= FLOAT_BITS {
        1.0
    } else {
        1.0 - 1.0 / steps_per_unit(bits)
    }
}

/// Nearest multiple of 1/S(b) (halves away from zero), clipped to +-(1 - 1/S(b)).
pub fn quantize(x: f32, bits: u32) -> f32 {
    if bits >= FLOAT_BITS {
        return x;
    }
    let s = steps_per_unit(bits);
    let c = clip_bound(bits);
    ((x * s).round() / s).clamp(-c, c)
}

/// `quantize` for a fixed width, with S(b) and the bound computed once (for hot loops).
pub fn quantizer(bits: u32) -> impl Fn(f32) -> f32 {
    let (s, c, float) = (
        steps_per_unit(bits.min(FLOAT_BITS - 1)),
        clip_bound(bits),
        bits >= FLOAT_BITS,
    );
    move |x| {
        if float {
            x
        } else {
            ((x * s).round() / s).clamp(-c, c)
        }
    }
}

/// The power of two nearest `x` (> 0) on a log scale; 1 for x = 0.
pub fn nearest_power_of_two(x: f32) -> f32 {
    if x > 0.0 && x.is_finite() {
        (2.0f32).powf(x.log2().round())
    } else {
        1.0
    }
}

/// WAGE gradient quantization in place: g / shift(max |g|), rounded stochastically to a
/// multiple of 1/S(bits) (`uniform` yields numbers in [0, 1)). Float: unchanged.
pub fn quantize_gradient(g: &mut [f32], bits: u32, mut uniform: impl FnMut() -> f32) {
    if bits >= FLOAT_BITS {
        return;
    }
    let max = g.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return;
    }
    let shift = nearest_power_of_two(max);
    let s = steps_per_unit(bits);
    for v in g.iter_mut() {
        let x = *v / shift * s;
        let lo = x.floor();
        let up = if uniform() < x - lo { 1.0 } else { 0.0 };
        *v = (lo + up) / s;
    }
}

/// Fraction of weights whose quantized value is not zero.
pub fn density(w: &[f32], bits: u32) -> f64 {
    if w.is_empty() {
        return 0.0;
    }
    w.iter().filter(|&&x| quantize(x, bits) != 0.0).count() as f64 / w.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_by_hand() {
        // 2 bits: S = 2, steps of 0.5, clip at 0.5.
        assert_eq!(quantize(0.3, 2), 0.5);
        assert_eq!(quantize(0.2, 2), 0.0);
        assert_eq!(quantize(-0.26, 2), -0.5);
        assert_eq!(quantize(0.9, 2), 0.5);
        // 4 bits: S = 8, steps of 0.125, clip at 0.875.
        assert_eq!(quantize(0.3, 4), 0.25);
        assert_eq!(quantize(0.33, 4), 0.375);
        assert_eq!(quantize(-2.0, 4), -0.875);
        assert_eq!(quantize(0.123, 32), 0.123);
        for b in [2, 5, 32] {
            let q = quantizer(b);
            for x in [-1.3, -0.26, 0.0, 0.1, 0.33, 0.9] {
                assert_eq!(q(x), quantize(x, b));
            }
        }
        assert_eq!(clip_bound(3), 0.75);
        assert_eq!(nearest_power_of_two(0.0655), 0.0625);
        assert_eq!(nearest_power_of_two(3.0), 4.0);
        assert_eq!(density(&[0.3, 0.2, -0.26, 0.0], 2), 0.5);
    }

    #[test]
    fn gradient_quantization_by_hand() {
        // max |g| = 3 -> shift 4; g / 4 * S(3) = g: 3 -> 3/4 exactly,
        // -1 -> -1/4, 0.5 -> 0.5 rounds up when uniform < 0.5.
        let mut g = [3.0, -1.0, 0.5, 0.5];
        let mut draws = [0.0, 0.0, 0.4, 0.6].into_iter();
        quantize_gradient(&mut g, 3, || draws.next().unwrap());
        assert_eq!(g, [0.75, -0.25, 0.25, 0.0]);
        let mut f = [0.3f32];
        quantize_gradient(&mut f, 32, || 0.0);
        assert_eq!(f, [0.3]);
    }
}
