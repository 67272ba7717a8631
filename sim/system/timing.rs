//! Timing of one timestep's memory and compute work on the accelerator.
//!
//! Two timed models advance through the kernel's global picosecond time: the DRAM
//! memory system (command clock) and the core's synapse lanes (core clock). Each spike's
//! bursts are offered to the DRAM controller at most one per DRAM cycle while the weight
//! buffer has room for them (it holds `max_inflight` bursts); when a burst's data
//! arrives, the lanes process its synaptic operations (`lanes` per core cycle) in
//! arrival order. The loop jumps straight to the next cycle at which either model can act.

use crate::kernel::{ClockDomain, Model, TimePs};
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::{Completion, ReqKind, Request};

/// One burst of synapse data a timestep needs, and the work it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BurstWork {
    pub addr: u64,
    /// Synaptic operations the lanes do with this burst's data (0 for writes).
    pub synops: u32,
    pub kind: ReqKind,
}

/// The DRAM memory system as a kernel model (DEVS shape) in global picoseconds.
pub struct DramModel {
    pub mem: MemorySystem,
    pub clock: ClockDomain,
    /// Last DRAM cycle the controller was advanced to.
    pub cycle: u64,
    done: Vec<Completion>,
}

impl DramModel {
    pub fn new(mem: MemorySystem, tck_ps: u64) -> Self {
        DramModel { mem, clock: ClockDomain::new(tck_ps), cycle: 0, done: Vec::with_capacity(256) }
    }
}

impl Model for DramModel {
    fn next_event_ps(&self) -> Option<TimePs> {
        self.mem.next_event_cycle().map(|c| self.clock.cycle_to_ps(c.max(self.cycle)))
    }
    fn advance_to(&mut self, t_ps: TimePs) {
        let c = self.clock.ps_to_cycle_floor(t_ps).max(self.cycle);
        self.mem.advance_to(c, &mut self.done);
        self.cycle = c;
    }
}

/// The core's synapse lanes: a pipeline that is free again at `free_ps`.
#[derive(Clone, Copy, Debug)]
pub struct Lanes {
    pub clock: ClockDomain,
    pub lanes: u32,
    pub free_ps: TimePs,
    /// Core cycles the lanes were busy (for utilization reports).
    pub busy_cycles: u64,
}

impl Lanes {
    /// Data for `synops` operations arrives at `t_ps`: process it after earlier work.
    #[inline]
    pub fn process(&mut self, t_ps: TimePs, synops: u32) {
        let cycles = (synops as u64).div_ceil(self.lanes as u64);
        let start = self.clock.ps_to_cycle_ceil(t_ps.max(self.free_ps));
        self.free_ps = self.clock.cycle_to_ps(start + cycles);
        self.busy_cycles += cycles;
    }
}

/// Serve one timestep's bursts from DRAM starting at `t0_ps`; returns the time the last
/// burst's data has been processed by the lanes (>= t0_ps).
pub fn serve_from_dram(
    dram: &mut DramModel,
    lanes: &mut Lanes,
    t0_ps: TimePs,
    work: &[BurstWork],
    max_inflight: usize,
) -> TimePs {
    lanes.free_ps = lanes.free_ps.max(t0_ps);
    if work.is_empty() {
        return t0_ps;
    }
    let mut cycle = dram.clock.ps_to_cycle_ceil(t0_ps).max(dram.cycle);
    let (mut next, mut inflight, mut completed) = (0usize, 0usize, 0usize);
    let mut done = std::mem::take(&mut dram.done);
    loop {
        let mut offered = false;
        if next < work.len() && inflight < max_inflight {
            let w = work[next];
            if dram.mem.try_enqueue(Request { id: next as u64, addr: w.addr, kind: w.kind }, cycle) {
                next += 1;
                inflight += 1;
                offered = true;
            }
        }
        dram.mem.advance_to(cycle, &mut done);
        dram.cycle = cycle;
        for c in done.drain(..) {
            inflight -= 1;
            completed += 1;
            let arrive_ps = dram.clock.cycle_to_ps(c.done_cycle);
            let w = &work[c.id as usize];
            if w.kind == ReqKind::Read {
                lanes.process(arrive_ps, w.synops);
            }
        }
        if completed == work.len() {
            break;
        }
        let ev = dram.mem.next_event_cycle().unwrap_or(u64::MAX);
        let offer_at = if next < work.len() && inflight < max_inflight {
            if offered { cycle + 1 } else { u64::MAX }
        } else {
            u64::MAX
        };
        let t = ev.min(offer_at);
        cycle = if t == u64::MAX { cycle + 1 } else { t.max(cycle + 1) };
    }
    dram.done = done;
    lanes.free_ps
}
