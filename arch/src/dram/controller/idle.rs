//! Idle time in closed form: the refreshes of a channel with nothing to do.
//!
//! An idle channel (no request queued, no refresh owed, every row closed, no command
//! log) only refreshes: every rank's REF falls due every tREFI and, when nothing holds
//! it back, issues at its due cycle. Stepping that costs two events per REF, so an idle
//! gap of C cycles cost C / tREFI events; this module books whole refresh periods at
//! once instead, O(ranks) per idle span.
//!
//! With power-down and self-refresh configured each rank of an idle channel is in one
//! of two steady states:
//! - In self-refresh at its due cycle: its refreshes lapse (the device refreshes
//!   itself) and nothing about it changes until a request wakes it, so the skip only
//!   moves its due cycle on (the self-refresh cycles are booked at the wake-up, or by
//!   the statistics up to the clock, from its unchanged sleep plan).
//! - Refreshed: at its due cycle it is woken from the power-down it entered
//!   `power_down_after_cycles` after its last REF's tRFC (if it did: exit at the due
//!   cycle or after tCKE, REF after tXP), and refreshed. Each period is the previous one
//!   shifted by tREFI once the rank's busy-until cycle (what its power-down entry is
//!   counted from) is: the skip requires that of period 0 already. Self-refresh must
//!   not begin within the booked periods: every booked due cycle plus tXP is at most
//!   the end of the rank's last work plus `self_refresh_after_cycles` (its self-refresh
//!   entry is never earlier). Crossing into self-refresh is left to stepping; the next
//!   refresh falling due books the rest.
//!
//! Exactness: `skip_idle_refreshes` first replays three periods of the refreshed
//! ranks on a copy of the timing state (power-down exits' holds included) and gives up
//! (the caller steps as before) unless every REF of them issues at its predicted cycle
//! (the due cycle, or the power-down exit plus tXP), one command per cycle, all before
//! the next period's first due cycle. The state before each REF of a later period is
//! then that of the same REF one period earlier, shifted (the timing state keeps maxima
//! of `issue cycle + latency`, dominated by the latest period), so every skipped REF
//! issues at its predicted cycle too. The skip books exactly what those periods book:
//! the REF count, the rank's active (tRFC after each REF) and precharged cycles, the
//! power-down entries and cycles and the last wake-up's segments, the busy-until and
//! precharge-done cycles, the timing state (replaying the last skipped period, which
//! dominates the earlier ones), the next due cycles, the issue floor and the clock
//! (the last event of the last booked period). Two periods before the horizon are left
//! to stepping. A test compares both on several spans, standards and sleep settings.

use super::{Channel, Params, Sleep, NEVER};
use crate::dram::timing::Target;
use crate::dram::Command;

/// Whole refresh periods an idle span must hold before it is booked in closed form.
const MIN_PERIODS: u64 = 8;
/// Periods replayed on a copy of the timing state to show the REFs go at their
/// predicted cycles.
const CHECKED_PERIODS: u64 = 3;
/// Most ranks of a channel (`DramConfig::validate`).
const MAX_RANKS: usize = 16;

/// One rank's refresh period 0 as the skip predicts it.
#[derive(Clone, Copy, Default)]
struct RankPeriod {
    due: u64,
    rank: u32,
    /// In self-refresh at its due cycles: its refreshes lapse.
    lapses: bool,
    /// The power-down the wake-up at `due` books (entry, exit), if any.
    pd: Option<(u64, u64)>,
    /// The REF's cycle.
    at: u64,
    /// The rank's busy-until cycle after the period.
    busy: u64,
}

/// A rank's refresh period with due cycle `due`, its busy-until cycle `busy` before it:
/// the power-down the wake-up books, the REF's cycle and the busy-until cycle after it,
/// as `Channel::wake` and `Channel::issue_at` compute them for a rank that is not in
/// self-refresh (the REF waits for the power-down exit plus tXP; whether the timing
/// state lets it go then is for the replay to show).
fn period(due: u64, busy: u64, p: &Params) -> (Option<(u64, u64)>, u64, u64) {
    let pd_at = p.pd_after.map_or(NEVER, |a| busy.saturating_add(a));
    if pd_at < due {
        let exit = due.max(pd_at + p.cke);
        let at = exit + p.xp;
        (Some((pd_at, exit)), at, at + p.rfc)
    } else {
        (None, due, busy.max(due + p.rfc))
    }
}

impl Channel {
    /// Book the refreshes of whole idle periods up to about `until` (the horizon of the
    /// `run_events` that found a refresh due at `t`) at once. True when it did; false
    /// (nothing changed) when the channel is not idle, the span is short or a REF would
    /// not go at its predicted cycle.
    #[cold]
    #[inline(never)]
    pub(super) fn skip_idle_refreshes(&mut self, t: u64, until: u64, p: &Params) -> bool {
        if !p.idle_skip
            || !p.refresh
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
        if ranks > MAX_RANKS {
            return false;
        }
        // Every rank's next period in issue order (due cycle, then rank: as
        // `refresh_step` takes the lowest owed rank first; equal cycles fail the check
        // below anyway).
        let mut order = [RankPeriod::default(); MAX_RANKS];
        for (r, o) in order.iter_mut().enumerate().take(ranks) {
            o.due = self.ref_due[r];
            o.rank = r as u32;
        }
        let order = &mut order[..ranks];
        order.sort_unstable_by_key(|o| (o.due, o.rank));
        let first_due = order[0].due;
        let last_due = order[ranks - 1].due;
        if first_due != t || last_due >= first_due + refi {
            return false;
        }
        let periods = until.saturating_sub(last_due) / refi;
        if periods < MIN_PERIODS {
            return false;
        }
        // REFs per rank booked here; the last two periods are stepped.
        let mut m = periods - 2;
        for o in order.iter_mut() {
            let r = o.rank as usize;
            if !p.sleeps() {
                o.at = o.due;
                continue;
            }
            o.lapses = self.idle_spans(r, o.due, p).1 > 0;
            if o.lapses {
                continue;
            }
            // No self-refresh before the last booked period's wake-up is over.
            if let Some(s) = p.sr_after {
                let limit = self.work_until[r].saturating_add(s);
                let Some(room) = limit.checked_sub(o.due + p.xp) else {
                    return false;
                };
                m = m.min(room / refi + 1);
            }
            let busy = self.busy_until[r];
            (o.pd, o.at, o.busy) = period(o.due, busy, p);
            // Period 1 is period 0 shifted (and so is every later one) when the rank's
            // busy-until cycle is.
            if o.busy != busy + refi {
                return false;
            }
        }
        if m < MIN_PERIODS - 2 {
            return false;
        }
        // REFs go in the order of their cycles, all before the next period begins.
        order.sort_unstable_by_key(|o| (o.lapses, o.at, o.rank));
        let refreshed = order.iter().take_while(|o| !o.lapses).count();
        if order[..refreshed].iter().any(|o| o.at >= first_due + refi) {
            return false;
        }
        let target = |r: u32| Target {
            rank: r,
            ..Target::default()
        };
        if refreshed > 0 {
            let mut check = self.timing.clone();
            let mut floor = self.issue_floor;
            for j in 0..CHECKED_PERIODS {
                for o in &order[..refreshed] {
                    let c = o.at + j * refi;
                    if o.pd.is_some() {
                        check.hold_rank(o.rank, c);
                    }
                    if c < floor || check.earliest(Command::REF, target(o.rank)) > c {
                        return false;
                    }
                    check.issue(Command::REF, target(o.rank), c);
                    floor = c + 1;
                }
            }
        }
        // Book the m periods.
        let shift = (m - 1) * refi;
        let mut now = 0;
        for o in order.iter() {
            let ri = o.rank as usize;
            self.ref_due[ri] = o.due + m * refi;
            if o.lapses {
                now = now.max(o.due + shift);
                continue;
            }
            let at = o.at + shift;
            if let Some((pd_at, exit)) = o.pd {
                self.timing.hold_rank(o.rank, at);
                let kind = self.powerdown_kind(ri);
                self.slept[kind as usize] += m * (exit - pd_at);
                self.powerdowns += m;
                self.last_sleep[ri] = [
                    (kind, pd_at + shift, exit + shift),
                    (Sleep::SelfRefresh, 0, 0),
                ];
                self.sleep_logged[ri] = 0;
            }
            self.timing.issue(Command::REF, target(o.rank), at);
            self.precharged_rank_cycles +=
                o.at.saturating_sub(self.rank_since[ri]) + (m - 1) * (refi - p.rfc);
            self.active_rank_cycles += m * p.rfc;
            self.rank_since[ri] = at + p.rfc;
            if p.sleeps() {
                self.busy_until[ri] = o.busy + shift;
                self.precharged_at[ri] = self.precharged_at[ri].max(at + p.rfc);
                self.sr_needs_ref[ri] = false;
            }
            self.issue_floor = at + 1;
            now = now.max(at + 1);
        }
        self.cmd_counts[Command::REF as usize] += m * refreshed as u64;
        self.now = now;
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
    /// or two channels, each row policy, for the gaps of `sparse` and a long tail;
    /// without sleep states, with power-down (entered at once, after tens of cycles,
    /// after about half a period, with open rows precharged first), with self-refresh
    /// (entered within the gaps, so ranks cross from refreshed to self-refresh inside a
    /// span) and with both.
    #[test]
    fn closed_form_equals_stepping() {
        for (name, _) in PRESETS {
            let s = Standard::preset(name).unwrap();
            let refi = s.timing.REFI as u64;
            let sleeps = [
                (None, None, false),
                (Some(1), None, false),
                (Some(25), None, true),
                (Some(refi / 2), None, false),
                (None, Some(5 * refi + 7), false),
                (Some(3), Some(20 * refi), false),
                (Some(refi / 3), Some(2 * refi + 1), true),
            ];
            for (pd, sr, pd_precharge) in sleeps {
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
                        power_down_after_cycles: pd,
                        self_refresh_after_cycles: sr,
                        power_down_precharge: pd_precharge,
                        ..DramConfig::default()
                    };
                    let what = format!(
                        "{name} ranks {ranks} channels {channels} {policy:?} pd {pd:?} \
                         sr {sr:?} pd_precharge {pd_precharge}"
                    );
                    let Ok(mut fast) = MemorySystem::new(&cfg, &s) else {
                        // (A preset without what self-refresh needs.)
                        assert!(sr.is_some(), "{what}");
                        continue;
                    };
                    let reqs = sparse(refi);
                    let mut slow = MemorySystem::new(&cfg, &s).unwrap();
                    slow.step_idle_time();
                    let tail = 300 * refi + 11;
                    let a = run(&mut fast, &reqs, tail);
                    let b = run(&mut slow, &reqs, tail);
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
                    let act = fast.activity();
                    let refs = fast.stats().commands["REF"];
                    if sr.is_none() {
                        assert!(
                            refs >= (1000 + 300) * ranks as u64 * channels as u64,
                            "{what}: {refs}"
                        );
                    } else {
                        assert!(act.self_refreshes > 0, "{what}: {act:?}");
                    }
                    if pd.is_some() {
                        assert!(act.powerdowns > 0, "{what}: {act:?}");
                    }
                }
            }
        }
    }

    /// A request 2^40 cycles away costs O(1) idle time, not 10^8 refresh events (and
    /// the gap is no stall for the watchdog), on one channel and on two, with and
    /// without power-down and self-refresh.
    #[test]
    fn a_far_request_is_quick() {
        for channels in [1, 2] {
            for (pd, sr) in [
                (None, None),
                (Some(1), None),
                (None, Some(1000)),
                (Some(10), Some(100_000)),
            ] {
                far_request(channels, pd, sr);
            }
        }
    }

    fn far_request(channels: u32, pd: Option<u64>, sr: Option<u64>) {
        let s = Standard::preset("DDR4-2400").unwrap();
        let cfg = DramConfig {
            channels,
            power_down_after_cycles: pd,
            self_refresh_after_cycles: sr,
            ..DramConfig::default()
        };
        let what = format!("channels {channels} pd {pd:?} sr {sr:?}");
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
        assert_eq!(done.len(), 2, "{what}");
        assert!(end > 1 << 40 && end < (1 << 40) + 1000, "{what}: {end}");
        let refs = mem.stats().commands["REF"];
        assert!(mem.stall().is_none(), "{what}");
        let act = mem.activity();
        if sr.is_none() {
            let want = (1u64 << 40) / 9360 * channels as u64;
            assert!(
                refs.abs_diff(want) <= 2,
                "{what}: one REF per tREFI: {refs} vs {want}"
            );
        } else {
            // Self-refresh from early on: its refreshes lapse.
            assert!(refs < 100, "{what}: {refs}");
            assert!(act.self_refresh_rank_cycles > 1 << 39, "{what}: {act:?}");
        }
        if pd.is_some() {
            assert!(act.powerdowns > 0, "{what}: {act:?}");
        }
        assert!(
            t0.elapsed().as_secs_f64() < 1.0,
            "{what}: {:?}",
            t0.elapsed()
        );
    }
}
