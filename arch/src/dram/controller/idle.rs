//! Idle time in closed form: the refreshes of a channel with nothing to do.
//!
//! An idle channel (no request queued, no refresh owed, every row closed, no power-down
//! or self-refresh, no command log) only refreshes: every rank's REF falls due every
//! tREFI and, when nothing holds it back, issues at its due cycle. Stepping that costs
//! two events per REF, so an idle gap of C cycles cost C / tREFI events; this module
//! books whole refresh periods at once instead, O(ranks) per idle span.
//!
//! Exactness: `skip_idle_refreshes` first replays three periods on a copy of the timing
//! state and gives up (the caller steps as before) unless every REF of them issues at
//! its due cycle, one command per cycle. The state before each REF of a later period is
//! then that of the same REF one period earlier, shifted (the timing state keeps maxima
//! of `issue cycle + latency`, dominated by the latest period), so every skipped REF
//! issues at its due cycle too. The skip books exactly what those REFs book: the REF
//! count, the rank's active (tRFC after each REF) and precharged cycles, the timing
//! state (replaying the last skipped period, which dominates the earlier ones), the next
//! due cycles, the issue floor and the clock. Two periods before the horizon are left
//! to stepping. A test compares both on several spans and standards.

use super::{Channel, Params, NEVER};
use crate::dram::timing::Target;
use crate::dram::Command;

/// Whole refresh periods an idle span must hold before it is booked in closed form.
const MIN_PERIODS: u64 = 8;
/// Periods replayed on a copy of the timing state to show the REFs go at their due
/// cycles.
const CHECKED_PERIODS: u64 = 3;

impl Channel {
    /// Book the refreshes of whole idle periods up to about `until` (the horizon of the
    /// `run_events` that found a refresh due at `t`) at once. True when it did; false
    /// (nothing changed) when the channel is not idle, the span is short or a REF would
    /// not go at its due cycle.
    #[cold]
    #[inline(never)]
    pub(super) fn skip_idle_refreshes(&mut self, t: u64, until: u64, p: &Params) -> bool {
        if !p.idle_skip
            || !p.refresh
            || p.sleeps()
            || self.log.is_some()
            || self.count != [0, 0]
            || self.owed != 0
            || self.next_try != NEVER
            || !self.closing_banks.is_empty()
            || (0..p.ranks).any(|r| self.banks.rank_has_open(r))
        {
            return false;
        }
        let refi = p.refi;
        let ranks = self.ref_due.len();
        // Every rank's next REF in issue order (due cycle, then rank: as `refresh_step`
        // takes the lowest owed rank first; equal cycles fail the check below anyway).
        let mut order = [(0u64, 0u32); 16];
        for (r, o) in order.iter_mut().enumerate().take(ranks) {
            *o = (self.ref_due[r], r as u32);
        }
        let order = &mut order[..ranks];
        order.sort_unstable();
        let first_due = order[0].0;
        let last_due = order[ranks - 1].0;
        if first_due != t || last_due >= first_due + refi {
            return false;
        }
        let periods = until.saturating_sub(last_due) / refi;
        if periods < MIN_PERIODS {
            return false;
        }
        // REFs per rank booked here; the last two periods are stepped.
        let m = periods - 2;
        let target = |r: u32| Target {
            rank: r,
            ..Target::default()
        };
        let mut check = self.timing.clone();
        let mut floor = self.issue_floor;
        for j in 0..CHECKED_PERIODS {
            for &(d, r) in order.iter() {
                let c = d + j * refi;
                if c < floor || check.earliest(Command::REF, target(r)) > c {
                    return false;
                }
                check.issue(Command::REF, target(r), c);
                floor = c + 1;
            }
        }
        // Book the m periods.
        let shift = (m - 1) * refi;
        for &(d, r) in order.iter() {
            let ri = r as usize;
            self.timing.issue(Command::REF, target(r), d + shift);
            self.precharged_rank_cycles +=
                d.saturating_sub(self.rank_since[ri]) + (m - 1) * (refi - p.rfc);
            self.active_rank_cycles += m * p.rfc;
            self.rank_since[ri] = d + shift + p.rfc;
            self.ref_due[ri] = d + m * refi;
        }
        self.cmd_counts[Command::REF as usize] += m * ranks as u64;
        let last = last_due + shift;
        self.issue_floor = last + 1;
        self.now = last + 1;
        self.next_try = NEVER;
        self.plan.at = NEVER;
        self.next_ref = self.ref_due.iter().copied().min().unwrap_or(NEVER);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::dram::config::RowPolicy;
    use crate::dram::controller::MemorySystem;
    use crate::dram::standard::PRESETS;
    use crate::dram::{Completion, DramConfig, ReqKind, Request, Standard};

    /// Requests with idle gaps of a few to a few thousand refresh periods between them.
    fn sparse(refi: u64) -> Vec<(Request, u64)> {
        let gaps = [
            0,
            1,
            3,
            9 * refi + 17,
            5,
            40 * refi,
            2,
            1000 * refi + 123,
            64 * refi - 1,
        ];
        let mut at = 0;
        gaps.iter()
            .enumerate()
            .map(|(i, &g)| {
                at += g;
                let r = Request {
                    id: i as u64,
                    addr: (i as u64 * 0x9E37_79B9 * 64) % (1 << 30),
                    kind: if i % 3 == 2 {
                        ReqKind::Write
                    } else {
                        ReqKind::Read
                    },
                };
                (r, at)
            })
            .collect()
    }

    fn run(mem: &mut MemorySystem, reqs: &[(Request, u64)], tail: u64) -> (Vec<Completion>, u64) {
        let mut done = Vec::new();
        let mut out = Vec::new();
        let end = mem.offer_requests(
            0,
            reqs.len(),
            usize::MAX,
            |i| reqs[i],
            &mut done,
            |c| out.push(*c),
        );
        mem.advance_to(end + tail, &mut done);
        out.extend(done);
        out.sort_by_key(|c| (c.done_cycle, c.id));
        (out, end)
    }

    /// Booking idle refresh periods at once equals stepping them: completions, every
    /// statistic and every energy activity count, on every preset, 1 to 4 ranks, one
    /// or two channels, each row policy, for the gaps of `sparse` and a long tail.
    #[test]
    fn closed_form_equals_stepping() {
        for (name, _) in PRESETS {
            let s = Standard::preset(name).unwrap();
            let refi = s.timing.REFI as u64;
            for (ranks, channels, policy) in [
                (1, 1, RowPolicy::Open),
                (2, 1, RowPolicy::Closed),
                (4, 2, RowPolicy::Timeout),
                (2, 2, RowPolicy::Open),
            ] {
                let cfg = DramConfig {
                    ranks,
                    channels,
                    row_policy: policy,
                    standard: name.to_string(),
                    ..DramConfig::default()
                };
                let reqs = sparse(refi);
                let mut fast = MemorySystem::new(&cfg, &s).unwrap();
                let mut slow = MemorySystem::new(&cfg, &s).unwrap();
                slow.step_idle_time();
                let tail = 300 * refi + 11;
                let a = run(&mut fast, &reqs, tail);
                let b = run(&mut slow, &reqs, tail);
                let what = format!("{name} ranks {ranks} channels {channels} {policy:?}");
                assert_eq!(a, b, "{what}");
                assert_eq!(
                    format!("{:?}", fast.stats()),
                    format!("{:?}", slow.stats()),
                    "{what}"
                );
                assert_eq!(
                    format!("{:?}", fast.activity()),
                    format!("{:?}", slow.activity()),
                    "{what}"
                );
                let refs = fast.stats().commands["REF"];
                assert!(
                    refs >= (1000 + 300) * ranks as u64 * channels as u64,
                    "{what}: {refs}"
                );
            }
        }
    }

    /// A request 2^40 cycles away costs O(1) idle time, not 10^8 refresh events (and
    /// the gap is no stall for the watchdog), on one channel and on two.
    #[test]
    fn a_far_request_is_quick() {
        for channels in [1, 2] {
            far_request(channels);
        }
    }

    fn far_request(channels: u32) {
        let s = Standard::preset("DDR4-2400").unwrap();
        let cfg = DramConfig {
            channels,
            ..DramConfig::default()
        };
        let mut mem = MemorySystem::new(&cfg, &s).unwrap();
        let t0 = std::time::Instant::now();
        let reqs = [
            (
                Request {
                    id: 0,
                    addr: 64,
                    kind: ReqKind::Read,
                },
                5,
            ),
            (
                Request {
                    id: 1,
                    addr: 128,
                    kind: ReqKind::Read,
                },
                1 << 40,
            ),
        ];
        let (done, end) = run(&mut mem, &reqs, 0);
        assert_eq!(done.len(), 2);
        assert!(end > 1 << 40 && end < (1 << 40) + 1000, "{end}");
        let refs = mem.stats().commands["REF"];
        assert!(mem.stall().is_none());
        let want = (1u64 << 40) / 9360 * channels as u64;
        assert!(
            refs.abs_diff(want) <= 2,
            "one REF per tREFI: {refs} vs {want}"
        );
        assert!(t0.elapsed().as_secs_f64() < 1.0, "{:?}", t0.elapsed());
    }
}
