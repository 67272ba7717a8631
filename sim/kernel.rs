//! The event kernel: one global time in picoseconds, clock domains that convert
//! their cycles to it, and an event queue that always yields the earliest due event.
//!
//! The queue is a timing wheel for the near future (a bucket per `slot_ps`, an
//! occupancy bitmap to skip empty buckets) and a binary heap for far events. Buckets
//! and heap keep their capacity, so steady-state push/pop allocates nothing. Events
//! due at the same time pop in push order (a sequence number breaks ties), which makes
//! runs bit-identical whatever the thread count.
//!
//! Nothing here knows a component by name: models follow the DEVS shape ([`Model`]):
//! "when is your next internal event" and "advance to t".

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Simulated time in picoseconds.
pub type TimePs = u64;

/// A clock domain: converts between its cycles and global picoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockDomain {
    pub period_ps: u64,
}

impl ClockDomain {
    pub fn new(period_ps: u64) -> Self {
        assert!(period_ps > 0, "clock period must be > 0 ps");
        ClockDomain { period_ps }
    }
    /// From a frequency in MHz (rounded to the nearest picosecond).
    pub fn from_mhz(freq_mhz: f64) -> Self {
        Self::new((1e6 / freq_mhz).round().max(1.0) as u64)
    }
    #[inline]
    pub fn cycle_to_ps(&self, cycle: u64) -> TimePs {
        cycle * self.period_ps
    }
    /// The first cycle boundary at or after `t_ps`.
    #[inline]
    pub fn ps_to_cycle_ceil(&self, t_ps: TimePs) -> u64 {
        t_ps.div_ceil(self.period_ps)
    }
    /// The cycle in progress at `t_ps`.
    #[inline]
    pub fn ps_to_cycle_floor(&self, t_ps: TimePs) -> u64 {
        t_ps / self.period_ps
    }
}

/// A timed model in the DEVS shape.
pub trait Model {
    /// Time of the next internal event, if any is scheduled.
    fn next_event_ps(&self) -> Option<TimePs>;
    /// Advance internal state to `t_ps`, handling every internal event due at or before it.
    fn advance_to(&mut self, t_ps: TimePs);
}

const SLOTS: usize = 1024;
const WORDS: usize = SLOTS / 64;

struct Entry<E> {
    time: TimePs,
    seq: u64,
    event: E,
}

struct FarEntry<E>(Entry<E>);

impl<E> PartialEq for FarEntry<E> {
    fn eq(&self, o: &Self) -> bool {
        (self.0.time, self.0.seq) == (o.0.time, o.0.seq)
    }
}
impl<E> Eq for FarEntry<E> {}
impl<E> PartialOrd for FarEntry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for FarEntry<E> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0.time, self.0.seq).cmp(&(o.0.time, o.0.seq))
    }
}

/// Earliest-first event queue: timing wheel + far heap.
pub struct EventQueue<E> {
    slot_ps: u64,
    /// Absolute slot number of wheel position 0's current lap start (the "now" slot).
    base_slot: u64,
    wheel: Vec<Vec<Entry<E>>>,
    occupied: [u64; WORDS],
    in_wheel: usize,
    far: BinaryHeap<Reverse<FarEntry<E>>>,
    seq: u64,
    now_ps: TimePs,
}

impl<E> EventQueue<E> {
    /// `slot_ps`: the wheel's bucket width; the wheel covers 1024 buckets ahead.
    pub fn new(slot_ps: u64) -> Self {
        assert!(slot_ps > 0);
        EventQueue {
            slot_ps,
            base_slot: 0,
            wheel: (0..SLOTS).map(|_| Vec::new()).collect(),
            occupied: [0; WORDS],
            in_wheel: 0,
            far: BinaryHeap::new(),
            seq: 0,
            now_ps: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.in_wheel + self.far.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Time of the last popped event.
    pub fn now_ps(&self) -> TimePs {
        self.now_ps
    }

    /// Schedule `event` at `time_ps` (not before the last popped time).
    pub fn push(&mut self, time_ps: TimePs, event: E) {
        debug_assert!(time_ps >= self.now_ps, "event scheduled in the past");
        let time = time_ps.max(self.now_ps);
        let seq = self.seq;
        self.seq += 1;
        self.insert(Entry { time, seq, event });
    }

    fn insert(&mut self, e: Entry<E>) {
        let slot = e.time / self.slot_ps;
        if slot < self.base_slot + SLOTS as u64 {
            let i = (slot % SLOTS as u64) as usize;
            self.wheel[i].push(e);
            self.occupied[i / 64] |= 1 << (i % 64);
            self.in_wheel += 1;
        } else {
            self.far.push(Reverse(FarEntry(e)));
        }
    }

    /// Position (0..SLOTS) of the first occupied bucket at or after the base slot.
    fn first_occupied(&self) -> Option<usize> {
        let start = (self.base_slot % SLOTS as u64) as usize;
        // Scan [start, SLOTS) then [0, start): the wheel is circular.
        for pass in 0..2 {
            let (lo, hi) = if pass == 0 {
                (start, SLOTS)
            } else {
                (0, start)
            };
            if lo >= hi {
                continue;
            }
            let mut w = lo / 64;
            let mut word = self.occupied[w] & (!0u64 << (lo % 64));
            loop {
                if word != 0 {
                    let i = w * 64 + word.trailing_zeros() as usize;
                    if i < hi {
                        return Some(i);
                    }
                    break;
                }
                w += 1;
                if w * 64 >= hi {
                    break;
                }
                word = self.occupied[w];
            }
        }
        None
    }

    /// Move the wheel forward so that `slot` is the base, pulling far events in.
    fn rebase(&mut self, slot: u64) {
        self.base_slot = slot;
        while let Some(Reverse(FarEntry(top))) = self.far.peek() {
            if top.time / self.slot_ps < self.base_slot + SLOTS as u64 {
                let Reverse(FarEntry(e)) = self.far.pop().unwrap();
                self.insert(e);
            } else {
                break;
            }
        }
    }

    /// Time of the earliest event, without removing it.
    pub fn peek_time(&self) -> Option<TimePs> {
        if self.in_wheel > 0 {
            let i = self.first_occupied()?;
            self.wheel[i].iter().map(|e| e.time).min()
        } else {
            self.far.peek().map(|Reverse(FarEntry(e))| e.time)
        }
    }

    /// Remove and return the earliest event (ties in push order).
    pub fn pop(&mut self) -> Option<(TimePs, E)> {
        if self.in_wheel == 0 {
            let t = self.far.peek().map(|Reverse(FarEntry(e))| e.time)?;
            self.rebase(t / self.slot_ps);
        }
        let i = self.first_occupied()?;
        let bucket = &mut self.wheel[i];
        let mut best = 0;
        for (k, e) in bucket.iter().enumerate().skip(1) {
            let b = &bucket[best];
            if (e.time, e.seq) < (b.time, b.seq) {
                best = k;
            }
        }
        // Keep push order among the rest: order only matters through (time, seq).
        let e = bucket.swap_remove(best);
        if bucket.is_empty() {
            self.occupied[i / 64] &= !(1 << (i % 64));
        }
        self.in_wheel -= 1;
        // The popped bucket's absolute slot becomes the base: everything earlier is gone.
        let slot = e.time / self.slot_ps;
        if slot > self.base_slot {
            self.rebase(slot);
        }
        self.now_ps = e.time;
        Some((e.time, e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_push_order() {
        let mut q = EventQueue::new(1000);
        let times = [
            5_000u64,
            10,
            2_000_000_000,
            10,
            999,
            1_024_000,
            1_024_001,
            7,
        ];
        for (i, t) in times.iter().enumerate() {
            q.push(*t, i);
        }
        let mut out = Vec::new();
        while let Some((t, e)) = q.pop() {
            out.push((t, e));
        }
        let mut want: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
        want.sort(); // (time, push index) is exactly the promised order
        assert_eq!(out, want);
    }

    #[test]
    fn matches_a_sorted_reference_under_interleaving() {
        // Interleave pushes (at or after now) and pops; compare with a sorted Vec.
        let mut rng = spikemem_arch::rng::Rng::new(42);
        let mut q = EventQueue::new(700);
        let mut reference: Vec<(u64, u64)> = Vec::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for _ in 0..50_000 {
            if rng.below(3) != 0 || reference.is_empty() {
                let dt = match rng.below(4) {
                    0 => 0,
                    1 => rng.below(5_000),
                    2 => rng.below(1_000_000),
                    _ => rng.below(100_000_000),
                };
                q.push(now + dt, seq);
                reference.push((now + dt, seq));
                seq += 1;
            } else {
                reference.sort();
                let want = reference.remove(0);
                let got = q.pop().unwrap();
                assert_eq!(got, want);
                now = got.0;
            }
        }
        reference.sort();
        for want in reference {
            assert_eq!(q.pop().unwrap(), want);
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn clock_domain_conversions() {
        let c = ClockDomain::new(833);
        assert_eq!(c.cycle_to_ps(3), 2499);
        assert_eq!(c.ps_to_cycle_ceil(2499), 3);
        assert_eq!(c.ps_to_cycle_ceil(2500), 4);
        assert_eq!(c.ps_to_cycle_floor(2500), 3);
        assert_eq!(ClockDomain::from_mhz(1200.0).period_ps, 833);
    }
}
