//! DRAM statistics. Every request is counted once: as a row hit, miss or conflict by
//! its bank's state when its first command is chosen, and its latency when it
//! completes (never per rejected attempt).

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct BankStats {
    pub channel: u32,
    pub rank: u32,
    pub bank_group: u32,
    pub bank: u32,
    pub row_hits: u64,
    pub row_misses: u64,
    pub row_conflicts: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DramStats {
    /// DRAM command-clock cycles simulated (the last `advance_to` cycle).
    pub cycles: u64,
    /// Requests accepted.
    pub requests: u64,
    /// Requests completed, by kind.
    pub reads: u64,
    pub writes: u64,
    pub row_hits: u64,
    /// The bank (MASA: the subarray) was precharged.
    pub row_misses: u64,
    /// Another row was open.
    pub row_conflicts: u64,
    /// Enqueue to last data beat.
    pub avg_read_latency_cycles: f64,
    pub read_latency_p50_cycles: u64,
    pub read_latency_p90_cycles: u64,
    pub read_latency_p99_cycles: u64,
    pub read_latency_max_cycles: u64,
    /// Enqueue to the last write data beat sent.
    pub avg_write_latency_cycles: f64,
    /// Bytes moved by completed requests.
    pub bytes_transferred: u64,
    /// Issued commands by name (PRE counts explicit precharges only).
    pub commands: BTreeMap<String, u64>,
    pub per_bank: Vec<BankStats>,
}

/// Exact buckets below this many cycles; power-of-two buckets above.
const LINEAR: usize = 4096;
const LOG: usize = 52;

/// A latency histogram: exact up to 4095 cycles, then by powers of two.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// (A fixed-size array: a bucket below LINEAR is indexed without a bounds check.)
    #[serde(with = "crate::snapshot::boxed_array")]
    linear: Box<[u64; LINEAR]>,
    #[serde(with = "crate::snapshot::array")]
    log: [u64; LOG],
    pub count: u64,
    pub sum: u64,
    pub max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            linear: Box::new([0; LINEAR]),
            log: [0; LOG],
            count: 0,
            sum: 0,
            max: 0,
        }
    }
}

impl Histogram {
    #[inline]
    pub fn add(&mut self, v: u64) {
        if (v as usize) < LINEAR {
            self.linear[v as usize] += 1;
        } else {
            self.log[(63 - v.leading_zeros() as usize).min(LOG - 1)] += 1;
        }
        self.count += 1;
        self.sum += v;
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.linear.iter_mut().zip(o.linear.iter()) {
            *a += b;
        }
        for (a, b) in self.log.iter_mut().zip(&o.log) {
            *a += b;
        }
        self.count += o.count;
        self.sum += o.sum;
        self.max = self.max.max(o.max);
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Nearest-rank percentile (`p` in 0..=100). Exact below 4096 cycles; above, the
    /// lower bound of the power-of-two bucket, capped by the maximum.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((p / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (v, &n) in self.linear.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return v as u64;
            }
        }
        for (k, &n) in self.log.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return (1u64 << k).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_hand_computed() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.add(v);
        }
        assert_eq!(h.percentile(50.0), 50);
        assert_eq!(h.percentile(90.0), 90);
        assert_eq!(h.percentile(99.0), 99);
        assert_eq!(h.percentile(100.0), 100);
        assert_eq!(h.mean(), 50.5);
        h.add(10_000);
        assert_eq!(h.max, 10_000);
        assert_eq!(h.percentile(100.0), 8192);
    }
}
