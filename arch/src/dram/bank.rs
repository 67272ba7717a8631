//! Bank and subarray row state: "which command must come next for this request".
//!
//! The earliest-issue half of DRAMsim3's bankstate (from which cycle each command may
//! issue) lives in [`super::timing::TimingState`], one array per bank / subarray node;
//! this module holds the other half, the open rows.
//!
//! Per SALP mode (Kim et al., ISCA 2012):
//! - none and SALP-1: at most one open row per bank; a request to another row
//!   precharges it first (SALP-1 differs only in timing: the next subarray's ACT need
//!   not wait tRP after the other's PRE).
//! - SALP-2: a second subarray may be activated while the first is still open (its
//!   write recovery and precharge overlap the new ACT); the first then only awaits its
//!   PRE and is no longer accessible ("designated" is the newest). Two at most.
//! - MASA: any number of subarrays hold open rows; an access to any open row is a hit.
//!   Column commands go to the designated (selected) subarray, the last one activated
//!   or switched to by SA_SEL; a hit in another activated subarray needs SA_SEL first.

use super::config::SalpMode;
use super::Command;

pub const NO_ROW: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// How a request finds its bank when its first command is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Access {
    Hit,
    /// Bank (MASA: the request's subarray) precharged.
    Miss,
    /// Another row open where the request needs its own.
    Conflict,
}

/// The next command a request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Next {
    /// RD / WR (or RDA / WRA) to the open row.
    Cas,
    /// ACT the request's row in its subarray.
    Act,
    /// PRE the given subarray of the bank.
    Pre(u32),
    /// MASA: select the request's (activated) subarray.
    Sel,
}

/// Row state of every bank of one channel (flat bank index as in `timing::Target`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Banks {
    mode: SalpMode,
    subarrays: u32,
    banks_per_rank: u32,
    /// Open row per (bank, subarray), NO_ROW when precharged.
    rows: Vec<u32>,
    /// Open subarrays per bank (order of activation, swap-removed): bank `b`'s are
    /// `open[b * cap..][..open_n[b]]`, flat (one load less than a Vec per bank).
    open: Vec<u32>,
    open_n: Vec<u32>,
    cap: usize,
    /// SALP-2 / MASA: the subarray column commands go to (SALP-2: the newest
    /// activated; MASA: the last activated or selected).
    designated: Vec<u32>,
    /// SALP-2: the older activated subarray awaiting its PRE.
    closing: Vec<u32>,
    /// Cycle of the last ACT or column command per bank (row-timeout policy).
    pub last_use: Vec<u64>,
    /// Banks with at least one open row, per rank.
    open_banks: Vec<u32>,
}

impl Banks {
    pub fn new(mode: SalpMode, ranks: u32, banks_per_rank: u32, subarrays: u32) -> Banks {
        let nb = (ranks * banks_per_rank) as usize;
        let per_bank_cap = if mode == SalpMode::Masa {
            subarrays as usize
        } else {
            2
        };
        Banks {
            mode,
            subarrays,
            banks_per_rank,
            rows: vec![NO_ROW; nb * subarrays as usize],
            open: vec![NONE; nb * per_bank_cap],
            open_n: vec![0; nb],
            cap: per_bank_cap,
            designated: vec![NONE; nb],
            closing: vec![NONE; nb],
            last_use: vec![0; nb],
            open_banks: vec![0; ranks as usize],
        }
    }

    #[inline]
    pub fn open_row(&self, bank: u32, sa: u32) -> u32 {
        self.rows[(bank * self.subarrays + sa) as usize]
    }

    #[inline]
    pub fn is_hit(&self, bank: u32, sa: u32, row: u32) -> bool {
        self.open_row(bank, sa) == row
            && (self.mode != SalpMode::Salp2 || self.designated[bank as usize] == sa)
    }

    pub fn classify(&self, bank: u32, sa: u32, row: u32) -> Access {
        if self.is_hit(bank, sa, row) {
            Access::Hit
        } else if self.mode == SalpMode::Masa {
            if self.open_row(bank, sa) == NO_ROW {
                Access::Miss
            } else {
                Access::Conflict
            }
        } else if self.open_n[bank as usize] == 0 {
            Access::Miss
        } else {
            Access::Conflict
        }
    }

    /// MASA: a row hit in subarray `sa` of `bank` needs SA_SEL first (`sa` is not the
    /// subarray column commands go to).
    #[inline]
    pub fn needs_select(&self, bank: u32, sa: u32) -> bool {
        self.mode == SalpMode::Masa && self.designated[bank as usize] != sa
    }

    #[inline]
    pub fn next(&self, bank: u32, sa: u32, row: u32) -> Next {
        if self.is_hit(bank, sa, row) {
            if self.needs_select(bank, sa) {
                return Next::Sel;
            }
            return Next::Cas;
        }
        let b = bank as usize;
        match self.mode {
            SalpMode::None | SalpMode::Salp1 => match self.open_subarrays(bank).first() {
                Some(&o) => Next::Pre(o),
                None => Next::Act,
            },
            SalpMode::Salp2 => {
                if self.closing[b] != NONE {
                    Next::Pre(self.closing[b])
                } else if self.open_n[b] == 0 {
                    Next::Act
                } else if self.designated[b] == sa {
                    Next::Pre(sa)
                } else {
                    Next::Act
                }
            }
            SalpMode::Masa => {
                if self.open_row(bank, sa) == NO_ROW {
                    Next::Act
                } else {
                    Next::Pre(sa)
                }
            }
        }
    }

    /// Subarrays of `bank` holding open rows.
    pub fn open_subarrays(&self, bank: u32) -> &[u32] {
        let b = bank as usize;
        &self.open[b * self.cap..][..self.open_n[b] as usize]
    }

    /// SALP-2's subarray awaiting PRE, if any.
    pub fn closing(&self, bank: u32) -> Option<u32> {
        let c = self.closing[bank as usize];
        (c != NONE).then_some(c)
    }

    pub fn rank_has_open(&self, rank: u32) -> bool {
        self.open_banks[rank as usize] > 0
    }

    /// Apply an issued command. Returns the number of rows it closed. (Inlined into the
    /// controller's issue with `close`.)
    #[inline(always)]
    pub fn apply(
        &mut self,
        cmd: Command,
        rank: u32,
        bank: u32,
        sa: u32,
        row: u32,
        cycle: u64,
    ) -> u32 {
        let b = bank as usize;
        match cmd {
            Command::ACT => {
                if self.open_n[b] == 0 {
                    self.open_banks[rank as usize] += 1;
                }
                self.rows[(bank * self.subarrays + sa) as usize] = row;
                self.open[b * self.cap + self.open_n[b] as usize] = sa;
                self.open_n[b] += 1;
                if self.mode == SalpMode::Salp2
                    && self.designated[b] != NONE
                    && self.designated[b] != sa
                {
                    self.closing[b] = self.designated[b];
                }
                self.designated[b] = sa;
                self.last_use[b] = cycle;
                0
            }
            Command::RD | Command::WR => {
                self.last_use[b] = cycle;
                0
            }
            Command::SASEL => {
                self.designated[b] = sa;
                self.last_use[b] = cycle;
                0
            }
            Command::PRE | Command::RDA | Command::WRA => self.close(rank, bank, sa) as u32,
            Command::PREA => {
                let mut n = 0;
                let first = rank * self.banks_per_rank;
                for bk in first..first + self.banks_per_rank {
                    while let Some(&s) = self.open_subarrays(bk).last() {
                        n += self.close(rank, bk, s) as u32;
                    }
                }
                n
            }
            Command::REF | Command::PDE | Command::PDX | Command::SRE | Command::SRX => 0,
        }
    }

    #[inline(always)]
    fn close(&mut self, rank: u32, bank: u32, sa: u32) -> bool {
        let b = bank as usize;
        let i = (bank * self.subarrays + sa) as usize;
        if self.rows[i] == NO_ROW {
            return false;
        }
        self.rows[i] = NO_ROW;
        let n = self.open_n[b] as usize;
        let open = &mut self.open[b * self.cap..][..n];
        if let Some(p) = open.iter().position(|&s| s == sa) {
            open[p] = open[n - 1];
            self.open_n[b] -= 1;
        }
        if self.closing[b] == sa {
            self.closing[b] = NONE;
        }
        if self.designated[b] == sa {
            self.designated[b] = NONE;
        }
        if self.open_n[b] == 0 {
            self.open_banks[rank as usize] -= 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_mode_hit_miss_conflict() {
        let mut b = Banks::new(SalpMode::None, 1, 8, 8);
        assert_eq!(b.classify(0, 1, 100), Access::Miss);
        assert_eq!(b.next(0, 1, 100), Next::Act);
        b.apply(Command::ACT, 0, 0, 1, 100, 0);
        assert!(b.rank_has_open(0));
        assert_eq!(b.next(0, 1, 100), Next::Cas);
        assert_eq!(b.classify(0, 2, 300), Access::Conflict);
        assert_eq!(b.next(0, 2, 300), Next::Pre(1));
        assert_eq!(b.apply(Command::PRE, 0, 0, 1, 0, 5), 1);
        assert!(!b.rank_has_open(0));
    }

    #[test]
    fn salp2_two_activated() {
        let mut b = Banks::new(SalpMode::Salp2, 1, 8, 8);
        b.apply(Command::ACT, 0, 0, 1, 100, 0);
        assert_eq!(b.next(0, 2, 300), Next::Act);
        b.apply(Command::ACT, 0, 0, 2, 300, 10);
        assert_eq!(b.closing(0), Some(1));
        assert_eq!(b.next(0, 2, 300), Next::Cas);
        assert_eq!(b.next(0, 1, 100), Next::Pre(1)); // not designated any more
        assert_eq!(b.next(0, 3, 400), Next::Pre(1));
        b.apply(Command::PRE, 0, 0, 1, 0, 20);
        assert_eq!(b.next(0, 3, 400), Next::Act);
    }

    #[test]
    fn masa_many_open() {
        let mut b = Banks::new(SalpMode::Masa, 1, 8, 8);
        for s in 0..4 {
            b.apply(Command::ACT, 0, 3, s, s * 10, 0);
        }
        for s in 0..4 {
            assert_eq!(b.classify(3, s, s * 10), Access::Hit);
        }
        assert_eq!(b.classify(3, 5, 7), Access::Miss);
        assert_eq!(b.classify(3, 1, 7), Access::Conflict);
        // Subarray 3 was activated last: the others' hits need SA_SEL first.
        assert_eq!(b.next(3, 3, 30), Next::Cas);
        assert_eq!(b.next(3, 1, 10), Next::Sel);
        b.apply(Command::SASEL, 0, 3, 1, 10, 5);
        assert_eq!(b.next(3, 1, 10), Next::Cas);
        assert_eq!(b.next(3, 3, 30), Next::Sel);
        // Closing the selected subarray leaves none selected.
        b.apply(Command::PRE, 0, 3, 1, 0, 8);
        assert_eq!(b.next(3, 3, 30), Next::Sel);
        assert_eq!(b.apply(Command::PREA, 0, 0, 0, 0, 9), 3);
        assert!(!b.rank_has_open(0));
    }
}
