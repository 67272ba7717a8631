//! Request scheduling policies: one job each, chosen by name (`dram.scheduler`).
//!
//! The controller forms, per bank, one candidate command (the oldest row hit's column
//! command if the policy looks past the oldest request, else the oldest request's next
//! command) and ranks the candidates that can issue at the earliest cycle by the
//! policy's key: the smallest wins.

use super::config::SchedulerKind;

/// A command that can issue now, on behalf of a queued request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// A column command to an open row (a row hit).
    pub hit: bool,
    /// Arrival order of the request (smaller = older).
    pub seq: u64,
}

pub trait Policy {
    /// Only the oldest queued request may issue (FCFS); otherwise any request may.
    fn oldest_only(&self) -> bool;
    /// The candidate's rank: among ready candidates the smallest key wins (keys of
    /// distinct requests differ: they include the arrival order).
    fn key(&self, c: &Candidate) -> u64;
}

/// First come, first served: the oldest request's next command, when it is ready.
pub struct Fcfs;

impl Policy for Fcfs {
    fn oldest_only(&self) -> bool {
        true
    }
    fn key(&self, c: &Candidate) -> u64 {
        c.seq
    }
}

/// FR-FCFS (Rixner et al.): among ready commands, row hits first, then the oldest.
pub struct FrFcfs;

impl Policy for FrFcfs {
    fn oldest_only(&self) -> bool {
        false
    }
    fn key(&self, c: &Candidate) -> u64 {
        // Row hits first (top bit clear), then the oldest.
        ((!c.hit as u64) << 63) | c.seq
    }
}

/// The configured policy as a value (static dispatch in the controller's hot loop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scheduler {
    Fcfs,
    FrFcfs,
}

impl From<SchedulerKind> for Scheduler {
    fn from(k: SchedulerKind) -> Self {
        match k {
            SchedulerKind::Fcfs => Scheduler::Fcfs,
            SchedulerKind::Frfcfs => Scheduler::FrFcfs,
        }
    }
}

impl Policy for Scheduler {
    #[inline]
    fn oldest_only(&self) -> bool {
        match self {
            Scheduler::Fcfs => Fcfs.oldest_only(),
            Scheduler::FrFcfs => FrFcfs.oldest_only(),
        }
    }
    #[inline]
    fn key(&self, c: &Candidate) -> u64 {
        match self {
            Scheduler::Fcfs => Fcfs.key(c),
            Scheduler::FrFcfs => FrFcfs.key(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frfcfs_hits_then_oldest() {
        let old_miss = Candidate { hit: false, seq: 1 };
        let young_hit = Candidate { hit: true, seq: 9 };
        let old_hit = Candidate { hit: true, seq: 3 };
        assert!(FrFcfs.key(&young_hit) < FrFcfs.key(&old_miss));
        assert!(FrFcfs.key(&old_hit) < FrFcfs.key(&young_hit));
        assert!(Fcfs.key(&old_miss) < Fcfs.key(&young_hit));
    }
}
