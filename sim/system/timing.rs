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
}

impl DramModel {
    pub fn new(mem: MemorySystem, tck_ps: u64) -> Self {
        DramModel {
            mem,
            clock: ClockDomain::new(tck_ps),
            cycle: 0,
            done: Vec::with_capacity(256),
        }
    }
}

impl Model for DramModel {
    fn next_event_ps(&self) -> Option<TimePs> {
        self.mem
            .next_event_cycle()
            .map(|c| self.clock.cycle_to_ps(c.max(self.cycle)))
    }
    fn advance_to(&mut self, t_ps: TimePs) {
        let c = self.clock.ps_to_cycle_floor(t_ps).max(self.cycle);
        self.mem.advance_to(c, &mut self.done);
        self.done.clear();
        self.cycle = c;
    }
}

/// Serve `bursts` starting at `t0_ps`. Pushes into `arrivals` the core cycle (from
/// `t0_ps`, core clock `core`) at which each read burst's data arrived, in arrival
/// order. Returns the time the last request (read or write) completed (>= t0_ps).
pub fn serve_from_dram(
    dram: &mut DramModel,
    core: ClockDomain,
    t0_ps: TimePs,
    bursts: &[Burst],
    max_inflight: usize,
    arrivals: &mut Vec<u64>,
) -> TimePs {
    arrivals.clear();
    if bursts.is_empty() {
        return t0_ps;
    }
    let start = dram.clock.ps_to_cycle_ceil(t0_ps).max(dram.cycle);
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
    // Completions come channel by channel; the core consumes words in arrival order.
    arrivals.sort_unstable();
    last_ps
}
