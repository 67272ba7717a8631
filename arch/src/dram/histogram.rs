//! Latency histogram: exact below [`LINEAR`] cycles, log-linear above.
//!
//! Invariants:
//! - a value below `LINEAR` (4096) has its own bucket: percentiles there are exact;
//! - above, each power of two `[2^k, 2^(k+1))` is split into [`SUB`] (128) equal
//!   buckets, so a bucket spans at most 1/128 (0.8%) of any value in it; each bucket
//!   keeps its count and the sum of its values, and a percentile falling in it reports
//!   the mean of its values (rounded down): within the bucket, so within 0.8% of the
//!   exact nearest-rank percentile, and exact when the bucket holds one distinct value;
//! - `add` costs one array increment below `LINEAR` (the common case); the log-linear
//!   buckets are allocated at the first value that needs them.

/// Exact buckets below this many cycles.
pub const LINEAR: usize = 4096;
const LINEAR_BITS: u32 = 12;
/// Sub-buckets per power of two above `LINEAR` (relative bucket width <= 1/SUB).
pub const SUB: usize = 128;
const SUB_BITS: u32 = 7;
/// Powers of two above `LINEAR`: 2^12 ..= 2^63.
const OCTAVES: usize = 64 - LINEAR_BITS as usize;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// (A fixed-size array: a bucket below LINEAR is indexed without a bounds check.)
    #[serde(with = "crate::snapshot::boxed_array")]
    linear: Box<[u64; LINEAR]>,
    /// Log-linear buckets (count, sum of values), empty until a value needs one.
    log: Vec<(u64, u128)>,
    pub count: u64,
    /// Sum of all values. u64 holds it: a latency is at most the run's cycles
    /// (< 2^41 with trace cycles <= 2^40), and at most 2 x 4096 requests per channel
    /// (<= 64) wait at any cycle, so the sum stays below 2^41 x 2^19 = 2^60.
    pub sum: u64,
    pub max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            linear: Box::new([0; LINEAR]),
            log: Vec::new(),
            count: 0,
            sum: 0,
            max: 0,
        }
    }
}

/// The log-linear bucket of `v` (>= LINEAR).
#[inline]
fn log_bucket(v: u64) -> usize {
    let k = 63 - v.leading_zeros(); // >= LINEAR_BITS
    let sub = (v >> (k - SUB_BITS)) as usize & (SUB - 1);
    (k - LINEAR_BITS) as usize * SUB + sub
}

impl Histogram {
    #[inline]
    pub fn add(&mut self, v: u64) {
        if (v as usize) < LINEAR {
            self.linear[v as usize] += 1;
        } else {
            self.add_log(v);
        }
        self.count += 1;
        self.sum = self.sum.wrapping_add(v);
        self.max = self.max.max(v);
    }

    #[cold]
    #[inline(never)]
    fn add_log(&mut self, v: u64) {
        if self.log.is_empty() {
            self.log = vec![(0, 0); OCTAVES * SUB];
        }
        let b = &mut self.log[log_bucket(v)];
        b.0 += 1;
        b.1 += v as u128;
    }

    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.linear.iter_mut().zip(o.linear.iter()) {
            *a += b;
        }
        if !o.log.is_empty() {
            if self.log.is_empty() {
                self.log = vec![(0, 0); OCTAVES * SUB];
            }
            for (a, b) in self.log.iter_mut().zip(&o.log) {
                a.0 += b.0;
                a.1 += b.1;
            }
        }
        self.count += o.count;
        self.sum = self.sum.wrapping_add(o.sum);
        self.max = self.max.max(o.max);
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Nearest-rank percentile (`p` in 0..=100): the value of rank ceil(p/100 x count).
    /// Exact below 4096 cycles; above, the mean of the values in the rank's bucket
    /// (within 0.8% of the exact value; exact for a bucket of one distinct value).
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
        for &(n, sum) in &self.log {
            seen += n;
            if seen >= rank {
                return (sum / n as u128) as u64;
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
        assert_eq!(h.percentile(100.0), 10_000);
    }

    /// Issue 20: two reads of 9020 and 9025 cycles reported p50 = p99 = 8192.
    #[test]
    fn two_long_latencies_exact() {
        let mut h = Histogram::default();
        h.add(9020);
        h.add(9025);
        assert_eq!(h.percentile(50.0), 9020);
        assert_eq!(h.percentile(99.0), 9025);
        assert_eq!(h.percentile(100.0), 9025);
    }

    /// Nearest-rank percentiles of 1000 values spread over 4096..2^40 are within 1% of
    /// the exact ones, and a merge equals adding everything to one histogram.
    #[test]
    fn within_one_percent_everywhere() {
        let mut vals: Vec<u64> = (0..1000u64)
            .map(|i| 4096 + i * i * i * 1_000 + (i * 7919) % 1013)
            .collect();
        let (mut a, mut b, mut all) = (
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        );
        for (i, &v) in vals.iter().enumerate() {
            if i % 2 == 0 {
                a.add(v)
            } else {
                b.add(v)
            }
            all.add(v);
        }
        a.merge(&b);
        vals.sort_unstable();
        for p in [1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0] {
            let rank = ((p / 100.0 * 1000.0_f64).ceil() as usize).clamp(1, 1000);
            let exact = vals[rank - 1] as f64;
            for h in [&a, &all] {
                let got = h.percentile(p) as f64;
                assert!(
                    (got - exact).abs() <= 0.01 * exact,
                    "p{p}: {got} vs {exact}"
                );
            }
        }
        assert_eq!(a.percentile(50.0), all.percentile(50.0));
        assert_eq!((a.count, a.sum, a.max), (all.count, all.sum, all.max));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let mut h = Histogram::default();
        h.add(u64::MAX);
        h.add(u64::MAX - 1);
        assert_eq!(h.percentile(100.0), u64::MAX - 1); // the mean of its bucket, rounded down
        assert_eq!(h.max, u64::MAX);
    }
}
