//! The watchdog's check at refresh times (see `crate::dram::watchdog`).
//!
//! Every livelock a timing set can cause goes through refresh (a due refresh closes the
//! rows before their column commands), so the check runs where refreshes fall due, a
//! cold path once per tREFI: with requests queued and no column command issued for
//! `stall_cycles`, the channel stops (no refresh and no scheduling is due any more) and
//! the offer loops, which then find no event left, end with the stall recorded. Without
//! refresh the loops' own no-event branches apply the same bound. Nothing is added to
//! the hot path.

use super::{Channel, Params, NEVER};
use crate::dram::Command;

impl Channel {
    /// At a refresh falling due at `t`: true when the watchdog stopped the channel.
    #[inline]
    pub(super) fn watchdog_stops(&mut self, t: u64, p: &Params) -> bool {
        if self.stalled_at != NEVER {
            return true;
        }
        if self.count == [0, 0] {
            self.wd_since = t;
            return false;
        }
        let n = |c: Command| self.cmd_counts[c as usize];
        let columns = n(Command::RD) + n(Command::WR) + n(Command::RDA) + n(Command::WRA);
        if columns != self.wd_columns {
            self.wd_columns = columns;
            self.wd_since = t;
            return false;
        }
        if t - self.wd_since <= p.stall_cycles {
            return false;
        }
        self.stalled_at = t;
        self.next_ref = NEVER;
        self.next_try = NEVER;
        self.plan.at = NEVER;
        true
    }
}
