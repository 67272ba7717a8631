//! Memory timing of one timestep on the accelerator.
//!
//! The DRAM memory system is a timed model in the kernel's global picoseconds (DEVS
//! shape: next event, advance). A timestep's bursts are offered to its controller at
//! most one per DRAM cycle while the weight buffer has room (`max_inflight` bursts);
//! the cycle at which each burst's data arrives, in core cycles from the timestep's
//! start, goes to the core, whose lanes consume the data in arrival order
//! (`Core::run_timestep`). The loop jumps straight to the next cycle at which the
//! controller or the buffer can act; idle cycles cost nothing.

use crate::kernel::{ClockDomain, Model, TimePs};
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::watchdog::Stall;
use spikemem_arch::dram::{Completion, ReqKind, Request};

/// One burst of synapse data a timestep reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    pub addr: u64,
    pub kind: ReqKind,
}

/// The DRAM memory system as a kernel model. Its whole state is in checkpoints
/// (`Serialize`), so a resumed run continues with the same open rows, refresh phase and
/// counters.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct DramModel {
    pub mem: MemorySystem,
    pub clock: ClockDomain,
    /// Last DRAM cycle the controller was advanced to.
    pub cycle: u64,
    done: Vec<Completion>,
    /// False when the system has no DRAM (`system.dram_present`): the model is never
    /// advanced (no refresh, no background energy) and no request may reach it.
    pub present: bool,
    /// Time the DRAM was busy serving the accelerator, ps: per [`serve_from_dram`] call,
    /// from the cycle its first request was offered to the last completion. A
    /// timestep's memory work ends before the next one starts, so this is the union of
    /// the intervals with a request outstanding (idle gaps between timesteps excluded).
    pub busy_ps: u64,
    /// Read bursts completed by [`serve_from_dram`] (the data delivered to the core).
    pub read_bursts: u64,
}

impl DramModel {
    pub fn new(mem: MemorySystem, tck_ps: u64) -> Self {
        DramModel {
            mem,
            clock: ClockDomain::new(tck_ps),
            cycle: 0,
            done: Vec::with_capacity(256),
            present: true,
            busy_ps: 0,
            read_bursts: 0,
        }
    }

    /// A DRAM the system does not have (`present = false`): never advanced.
    pub fn with_present(mut self, present: bool) -> Self {
        self.present = present;
        self
    }
}

impl Model for DramModel {
    fn next_event_ps(&self) -> Option<TimePs> {
        if !self.present {
            return None;
        }
        self.mem
            .next_event_cycle()
            .map(|c| self.clock.cycle_to_ps(c.max(self.cycle)))
    }
    fn advance_to(&mut self, t_ps: TimePs) {
        if !self.present {
            return;
        }
        let c = self.clock.ps_to_cycle_floor(t_ps).max(self.cycle);
        self.mem.advance_to(c, &mut self.done);
        self.done.clear();
        self.cycle = c;
    }
}

/// Serve `bursts` starting at `t0_ps`. Pushes into `arrivals` the core cycle (from
/// `t0_ps`, core clock `core`) at which each read burst's data arrived, in arrival
/// order. Returns the time the last request (read or write) completed (>= t0_ps), or
/// the controller's watchdog report if it stopped making progress (a timing set that
/// validation would refuse; the run must then end, its figures are not valid).
pub fn serve_from_dram(
    dram: &mut DramModel,
    core: ClockDomain,
    t0_ps: TimePs,
    bursts: &[Burst],
    max_inflight: usize,
    arrivals: &mut Vec<u64>,
) -> Result<TimePs, Stall> {
    arrivals.clear();
    if bursts.is_empty() {
        return Ok(t0_ps);
    }
    assert!(dram.present, "requests for a DRAM the system does not have");
    let start = dram.clock.ps_to_cycle_ceil(t0_ps).max(dram.cycle);
    let start_ps = dram.clock.cycle_to_ps(start);
    let mut last_ps = t0_ps;
    let mut done = std::mem::take(&mut dram.done);
    let clock = dram.clock;
    let request = |i: usize| {
        let b = bursts[i];
        (
            Request {
                id: i as u64,
                addr: b.addr,
                kind: b.kind,
            },
            0,
        )
    };
    let on_done = |c: &Completion| {
        let t_ps = clock.cycle_to_ps(c.done_cycle);
        last_ps = last_ps.max(t_ps);
        if c.kind == ReqKind::Read {
            arrivals.push(core.ps_to_cycle_ceil(t_ps - t0_ps.min(t_ps)));
        }
    };
    dram.cycle = dram.mem.offer_requests(
        start,
        bursts.len(),
        max_inflight,
        request,
        &mut done,
        on_done,
    );
    dram.done = done;
    if let Some(stall) = dram.mem.stall() {
        return Err(stall);
    }
    dram.busy_ps += last_ps.saturating_sub(start_ps);
    dram.read_bursts += arrivals.len() as u64;
    // Completions come channel by channel; the core consumes words in arrival order.
    arrivals.sort_unstable();
    Ok(last_ps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikemem_arch::dram::{DramConfig, Standard};

    /// A controller that stops making progress (timings validation refuses) is reported
    /// to the accelerator, not taken for a finished transfer.
    #[test]
    fn a_stalled_controller_is_an_error_not_a_result() {
        let mut s = Standard::preset("DDR4-2400").unwrap();
        s.timing.RCD = 9000;
        let mem = MemorySystem::new_unvalidated(&DramConfig::default(), &s).unwrap();
        let mut dram = DramModel::new(mem, s.timing.tCK_ps as u64);
        let bursts: Vec<Burst> = (0..4)
            .map(|i| Burst {
                addr: i * 64 * 1024 * 1024,
                kind: ReqKind::Read,
            })
            .collect();
        let core = ClockDomain::new(1000);
        let mut arrivals = Vec::new();
        // Past the first refresh, every ACT is closed by the next refresh before its RD.
        let t0_ps = 10_000 * s.timing.tCK_ps as u64;
        let r = serve_from_dram(&mut dram, core, t0_ps, &bursts, 4, &mut arrivals);
        let stall = r.expect_err("the watchdog's stop is an error");
        assert!(stall.pending > 0);
        // A legal standard serves the same bursts.
        let s = Standard::preset("DDR4-2400").unwrap();
        let mem = MemorySystem::new(&DramConfig::default(), &s).unwrap();
        let mut dram = DramModel::new(mem, s.timing.tCK_ps as u64);
        let end = serve_from_dram(&mut dram, core, t0_ps, &bursts, 4, &mut arrivals).unwrap();
        assert!(end > t0_ps);
        assert_eq!(arrivals.len(), 4);
    }
}
