//! The controller's no-progress watchdog.
//!
//! Validation (`Standard::validate`) makes every accepted timing set serve a request
//! between two refreshes, so a controller always makes progress. The watchdog is the
//! belt to those braces: a channel with requests queued and no column command issued
//! for [`stall_cycles`] DRAM cycles stops (checked where refreshes fall due, a cold path:
//! `controller/stall.rs`; without refresh, where the offer loops find no event left),
//! and the offer loop (`MemorySystem::offer_requests` / `offer_stream`) reports a
//! [`Stall`] instead of spinning for ever. The bound is far above any legal gap between
//! two column commands (a few row cycles, a refresh and a power-down or self-refresh
//! exit, all of them within `REFI` plus the sum of every timing), and nothing is added
//! to the hot path.

use super::standard::Timing;

/// Least watchdog bound, in DRAM cycles (2^24: 14 ms of DDR4-2400 time).
pub const MIN_STALL_CYCLES: u64 = 1 << 24;

/// The watchdog's bound for a timing set, in DRAM cycles: 64 x (REFI + the sum of
/// every timing in tCK), at least [`MIN_STALL_CYCLES`].
pub fn stall_cycles(t: &Timing) -> u64 {
    let sum: u64 = t
        .entries()
        .iter()
        .filter(|(name, _)| *name != "tCK_ps")
        .map(|&(_, v)| v as u64)
        .sum();
    sum.saturating_mul(64).max(MIN_STALL_CYCLES)
}

/// Where the watchdog stopped an offer loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The channel found stuck (the first, for the multi-channel loop).
    pub channel: u32,
    /// The DRAM cycle at which the loop gave up.
    pub cycle: u64,
    /// The bound it applied.
    pub stall_cycles: u64,
    /// Requests accepted and not completed.
    pub pending: usize,
}

impl std::fmt::Display for Stall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the DRAM controller made no progress: channel {} had requests in flight \
             ({} pending) and none completed for {} cycles, up to cycle {} (a timing set \
             under which a request cannot be served between two refreshes?)",
            self.channel, self.pending, self.stall_cycles, self.cycle
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dram::controller::MemorySystem;
    use crate::dram::{DramConfig, ReqKind, Request, Standard};

    /// Timings validation refuses (tRCD beyond tREFI - tRFC: every ACT is closed by the
    /// next refresh before its column command) made `offer_requests` spin for ever; the
    /// watchdog ends it with a Stall, on one channel and on two, with and without an
    /// in-flight bound.
    #[test]
    fn a_livelock_ends_with_a_stall() {
        let mut s = Standard::preset("DDR4-2400").unwrap();
        s.timing.RCD = 9000;
        assert!(s.validate().is_err(), "validation refuses it");
        let bound = stall_cycles(&s.timing);
        assert_eq!(bound, MIN_STALL_CYCLES);
        for (channels, n, inflight) in [
            (1, 1, usize::MAX),
            (1, 100, 4),
            (2, 100, usize::MAX),
            (2, 3, 1),
        ] {
            let cfg = DramConfig {
                channels,
                ..DramConfig::default()
            };
            let mut mem = MemorySystem::new_unvalidated(&cfg, &s).unwrap();
            let mut done = Vec::new();
            let mut completed = 0;
            let req = |i: usize| {
                let r = Request {
                    id: i as u64,
                    addr: i as u64 * 64 * 1024 * 1024,
                    kind: ReqKind::Read,
                };
                // After the first refresh: from then on every ACT is closed by the
                // next refresh before its RD.
                (r, 10_000)
            };
            let end = mem.offer_requests(0, n, inflight, req, &mut done, |_| completed += 1);
            let stall = mem.stall().expect("the watchdog stops the loop");
            assert_eq!(completed, 0);
            assert!(end > bound && end < 2 * bound + 20_000, "{end}");
            assert!(stall.pending > 0);
            let m = stall.to_string();
            assert!(
                m.contains("no progress") && m.contains("16777216 cycles"),
                "{m}"
            );
        }
        // A legal set is never stopped (the watchdog's bound is far above its gaps).
        let mut mem = MemorySystem::new(
            &DramConfig::default(),
            &Standard::preset("DDR4-2400").unwrap(),
        )
        .unwrap();
        let mut done = Vec::new();
        let req = |i: usize| {
            (
                Request {
                    id: i as u64,
                    addr: (i as u64 * 7919 * 64) % (1 << 30),
                    kind: ReqKind::Read,
                },
                0,
            )
        };
        mem.offer_requests(0, 2000, usize::MAX, req, &mut done, |_| {});
        assert!(mem.stall().is_none());
    }
}
