//! The controller's no-progress watchdog.
//!
//! Validation (`Standard::validate`) makes every accepted timing set serve a request
//! between two refreshes, so a controller always makes progress. The watchdog is the
//! belt to those braces: an offer loop (`MemorySystem::offer_requests` /
//! `offer_stream`) that has requests in flight and sees none complete (or, with a full
//! queue, no queue slot free) for [`stall_cycles`] DRAM cycles stops and reports a
//! [`Stall`] instead of spinning for ever. The bound is far above any legal gap between
//! two completions (a few row cycles, a refresh and a power-down or self-refresh exit,
//! all of them within `REFI` plus the sum of every timing), and the check is one
//! comparison per scheduling event of the loops that wait, so it costs nothing
//! measurable.

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
