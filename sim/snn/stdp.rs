//! STDP traces. The reference rule sets a trace to 1 at each spike (not +1), so a trace
//! is exactly exp(-(t - t_last) / tau): we keep each neuron's last spike step and look
//! the decay up in a table instead of decaying hundreds of traces every step.

/// exp(-k dt / tau) for k = 0.. until it falls below 1e-7 (then 0).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TraceTable {
    table: Vec<f32>,
}

/// "Never spiked": far enough in the past that every trace is 0.
pub const NEVER: i64 = i64::MIN / 4;

impl TraceTable {
    pub fn new(tau_ms: f32, dt_ms: f32) -> Self {
        let f = (-(dt_ms as f64) / tau_ms as f64).exp();
        let mut table = Vec::new();
        let mut x = 1.0f64;
        while x >= 1e-7 && table.len() < 1 << 22 {
            table.push(x as f32);
            x *= f;
        }
        TraceTable { table }
    }
    /// Trace value `elapsed_steps` after the last spike.
    #[inline]
    pub fn at(&self, elapsed_steps: i64) -> f32 {
        if elapsed_steps >= 0 && (elapsed_steps as usize) < self.table.len() {
            self.table[elapsed_steps as usize]
        } else {
            0.0
        }
    }
    /// Steps after which the trace is 0.
    pub fn horizon(&self) -> i64 {
        self.table.len() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_decays_exponentially() {
        let t = TraceTable::new(20.0, 0.5);
        assert_eq!(t.at(0), 1.0);
        // 40 steps = 20 ms = one time constant.
        assert!((t.at(40) - (-1.0f32).exp()).abs() < 1e-6);
        assert!((t.at(100) - (-2.5f32).exp()).abs() < 1e-6);
        assert_eq!(t.at(-1), 0.0);
        assert_eq!(t.at(NEVER), 0.0);
        assert_eq!(t.at(t.horizon()), 0.0);
        // Horizon: exp(-k/40) < 1e-7 -> k > 40 ln 1e7 ~ 644.7.
        assert_eq!(t.horizon(), 645);
    }
}
