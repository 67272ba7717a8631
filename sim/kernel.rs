//! Time: one global time in picoseconds, clock domains that convert their cycles to it,
//! and the DEVS shape of a timed model ([`Model`]: "when is your next internal event",
//! "advance to t").
//!
//! The system is timestep-synchronous, not event-queued: the SNN's dynamics do not
//! depend on memory timing, so each SNN timestep's memory and compute work is served
//! to completion (the DRAM model jumping from one cycle at which something can happen
//! to the next) before the next timestep starts, and a timestep ends when its last
//! piece of work does. The models are advanced in that order by the accelerator
//! (`system::accelerator`); no general event queue is needed (an earlier one, used by
//! nothing but its tests, was removed).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_and_picoseconds_by_hand() {
        // 800 MHz -> 1250 ps; 1.6 GHz DDR command clock of DDR3-1600 is 1250 ps too.
        let c = ClockDomain::from_mhz(800.0);
        assert_eq!(c.period_ps, 1250);
        assert_eq!(c.cycle_to_ps(3), 3750);
        assert_eq!(c.ps_to_cycle_ceil(3751), 4);
        assert_eq!(c.ps_to_cycle_ceil(3750), 3);
        assert_eq!(c.ps_to_cycle_floor(3749), 2);
        // 333.333 MHz rounds to 3000 ps.
        assert_eq!(ClockDomain::from_mhz(1000.0 / 3.0).period_ps, 3000);
    }
}
