//! The timing constraint table as data, and one generic engine that enforces it.
//!
//! [`rules`] derives every constraint of a standard from its named timings (tRCD,
//! tCCD_L, tFAW, ...): a row says "after a command in `prev`, a command in `next` at
//! the same `level` node (or, with `sibling`, at another node under the same parent)
//! must wait `latency_cycles`; with `window` n > 1, the (n+1)-th `prev` command within
//! the window waits". [`TimingState`] compiles the rows into per-command latency
//! vectors and keeps, per channel / rank / bank group / bank / subarray node, the
//! earliest cycle each command may issue, raised as commands issue. A check is a
//! handful of array loads; adding a standard adds a TOML file and no logic.

use super::config::SalpMode;
use super::{Command, Standard};

/// Number of commands ([`Command::ALL`]); commands index arrays by `cmd as usize`.
pub const NCMD: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Channel,
    Rank,
    BankGroup,
    Bank,
    Subarray,
}

/// A set of commands as a bit mask over `cmd as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdSet(pub u8);

impl CmdSet {
    pub const fn of(cmds: &[Command]) -> CmdSet {
        let mut m = 0u8;
        let mut i = 0;
        while i < cmds.len() {
            m |= 1 << cmds[i] as u8;
            i += 1;
        }
        CmdSet(m)
    }
    pub fn contains(self, c: Command) -> bool {
        self.0 & (1 << c as u8) != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Command> {
        Command::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// One row of the constraint table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub level: Level,
    /// Applies between different nodes under the same parent (other ranks of the
    /// channel, other subarrays of the bank) instead of within one node.
    pub sibling: bool,
    pub prev: CmdSet,
    pub next: CmdSet,
    pub latency_cycles: u32,
    /// 1 for a pairwise rule; n for "at most n `prev` in any `latency_cycles` window".
    pub window: u32,
    /// The timing expression, for reports (e.g. "CWL+BL+WTR_L").
    pub name: &'static str,
}

const RD_: CmdSet = CmdSet::of(&[Command::RD, Command::RDA]);
const WR_: CmdSet = CmdSet::of(&[Command::WR, Command::WRA]);
const CAS: CmdSet = CmdSet::of(&[Command::RD, Command::RDA, Command::WR, Command::WRA]);
const ACT: CmdSet = CmdSet::of(&[Command::ACT]);
const PRE: CmdSet = CmdSet::of(&[Command::PRE]);
const PREA: CmdSet = CmdSet::of(&[Command::PREA]);
const REF: CmdSet = CmdSet::of(&[Command::REF]);
const RDA: CmdSet = CmdSet::of(&[Command::RDA]);
const WRA: CmdSet = CmdSet::of(&[Command::WRA]);
const RD1: CmdSet = CmdSet::of(&[Command::RD]);
const WR1: CmdSet = CmdSet::of(&[Command::WR]);

/// The whole constraint table of `std` under `salp`.
///
/// Read-to-write turnaround on one rank uses RTRS as the bus turnaround gap (2 tCK in
/// every preset: the same 2 that DRAMsim3 and Ramulator write as a constant).
/// Row-cycle rules (RCD, RAS, RP, RC, RTP, WR) are per bank without SALP and per
/// subarray with it. Subarray siblings (same bank, another subarray):
/// - SALP-1: a subarray's ACT may follow another's PRE at once (no tRP between them);
///   it still waits for the other's tRAS, and for its auto-precharge (RDA/WRA) to start.
/// - SALP-2 / MASA: ACT may also come before the other subarray is precharged, so
///   write recovery overlaps: it waits tRCD after the other's ACT (its row latched),
///   tRTP after a read and CWL+BL after a write (data in the other's row buffer).
pub fn rules(std: &Standard, salp: SalpMode) -> Vec<Rule> {
    let t = &std.timing;
    let row = if salp == SalpMode::None {
        Level::Bank
    } else {
        Level::Subarray
    };
    let wr_end = t.CWL + t.BL; // last write data beat
    let r = |level, sibling, prev, next, latency_cycles, window, name| Rule {
        level,
        sibling,
        prev,
        next,
        latency_cycles,
        window,
        name,
    };
    let mut v = vec![
        // Data bus occupancy.
        r(Level::Channel, false, RD_, RD_, t.BL, 1, "BL"),
        r(Level::Channel, false, WR_, WR_, t.BL, 1, "BL"),
        // Column to column within a rank.
        r(Level::Rank, false, RD_, RD_, t.CCD_S, 1, "CCD_S"),
        r(Level::Rank, false, WR_, WR_, t.CCD_S, 1, "CCD_S"),
        r(
            Level::Rank,
            false,
            RD_,
            WR_,
            (t.CL + t.BL + t.RTRS).saturating_sub(t.CWL),
            1,
            "CL+BL+RTRS-CWL",
        ),
        r(
            Level::Rank,
            false,
            WR_,
            RD_,
            wr_end + t.WTR_S,
            1,
            "CWL+BL+WTR_S",
        ),
        r(Level::BankGroup, false, RD_, RD_, t.CCD_L, 1, "CCD_L"),
        r(Level::BankGroup, false, WR_, WR_, t.CCD_L, 1, "CCD_L"),
        r(
            Level::BankGroup,
            false,
            WR_,
            RD_,
            wr_end + t.WTR_L,
            1,
            "CWL+BL+WTR_L",
        ),
        // Column to column between ranks: the data bus changes driver.
        r(Level::Rank, true, RD_, RD_, t.BL + t.RTRS, 1, "BL+RTRS"),
        r(Level::Rank, true, WR_, WR_, t.BL + t.RTRS, 1, "BL+RTRS"),
        r(
            Level::Rank,
            true,
            RD_,
            WR_,
            (t.CL + t.BL + t.RTRS).saturating_sub(t.CWL),
            1,
            "CL+BL+RTRS-CWL",
        ),
        r(
            Level::Rank,
            true,
            WR_,
            RD_,
            (t.CWL + t.BL + t.RTRS).saturating_sub(t.CL),
            1,
            "CWL+BL+RTRS-CL",
        ),
        // Activations.
        r(Level::Rank, false, ACT, ACT, t.RRD_S, 1, "RRD_S"),
        r(Level::BankGroup, false, ACT, ACT, t.RRD_L, 1, "RRD_L"),
        r(Level::Rank, false, ACT, ACT, t.FAW, 4, "FAW"),
        // Precharge all: every bank's RAS / RTP / WR, then RP.
        r(Level::Rank, false, ACT, PREA, t.RAS, 1, "RAS"),
        r(Level::Rank, false, RD1, PREA, t.RTP, 1, "RTP"),
        r(Level::Rank, false, WR1, PREA, wr_end + t.WR, 1, "CWL+BL+WR"),
        r(Level::Rank, false, PREA, ACT, t.RP, 1, "RP"),
        // Refresh: every bank precharged for RP (explicitly or by auto-precharge), then RFC.
        r(Level::Rank, false, ACT, REF, t.RC, 1, "RC"),
        r(
            Level::Rank,
            false,
            CmdSet::of(&[Command::PRE, Command::PREA]),
            REF,
            t.RP,
            1,
            "RP",
        ),
        r(Level::Rank, false, RDA, REF, t.RTP + t.RP, 1, "RTP+RP"),
        r(
            Level::Rank,
            false,
            WRA,
            REF,
            wr_end + t.WR + t.RP,
            1,
            "CWL+BL+WR+RP",
        ),
        r(
            Level::Rank,
            false,
            REF,
            CmdSet::of(&[Command::ACT, Command::REF, Command::PRE, Command::PREA]),
            t.RFC,
            1,
            "RFC",
        ),
        // Row cycle, per bank (or per subarray with SALP).
        r(row, false, ACT, CAS, t.RCD, 1, "RCD"),
        r(row, false, ACT, PRE, t.RAS, 1, "RAS"),
        r(row, false, ACT, ACT, t.RC, 1, "RC"),
        r(row, false, PRE, ACT, t.RP, 1, "RP"),
        r(row, false, RD1, PRE, t.RTP, 1, "RTP"),
        r(row, false, WR1, PRE, wr_end + t.WR, 1, "CWL+BL+WR"),
        r(row, false, RDA, ACT, t.RTP + t.RP, 1, "RTP+RP"),
        r(
            row,
            false,
            WRA,
            ACT,
            wr_end + t.WR + t.RP,
            1,
            "CWL+BL+WR+RP",
        ),
    ];
    match salp {
        SalpMode::None => {}
        SalpMode::Salp1 => {
            v.push(r(Level::Subarray, true, ACT, ACT, t.RAS, 1, "RAS"));
            v.push(r(Level::Subarray, true, RDA, ACT, t.RTP, 1, "RTP"));
            v.push(r(
                Level::Subarray,
                true,
                WRA,
                ACT,
                wr_end + t.WR,
                1,
                "CWL+BL+WR",
            ));
        }
        SalpMode::Salp2 | SalpMode::Masa => {
            v.push(r(Level::Subarray, true, ACT, ACT, t.RCD, 1, "RCD"));
            v.push(r(Level::Subarray, true, RD_, ACT, t.RTP, 1, "RTP"));
            v.push(r(Level::Subarray, true, WR_, ACT, wr_end, 1, "CWL+BL"));
        }
    }
    v
}

/// Latency vector by following command; 0 = no constraint (a later command is always
/// at least one cycle later, so `max(earliest, issue + 0)` never binds).
type Lat = [u32; NCMD];

#[derive(Clone, Copy, Debug)]
struct Top2 {
    v1: u64,
    s1: u32,
    v2: u64,
}

impl Top2 {
    const EMPTY: Top2 = Top2 {
        v1: 0,
        s1: u32::MAX,
        v2: 0,
    };
    /// v1 = max over all sources (from s1); v2 = max over sources other than s1.
    #[inline]
    fn raise(&mut self, v: u64, s: u32) {
        if s == self.s1 {
            self.v1 = self.v1.max(v);
        } else if v > self.v1 {
            self.v2 = self.v1;
            self.v1 = v;
            self.s1 = s;
        } else if v > self.v2 {
            self.v2 = v;
        }
    }
    /// Max over sources other than `s`.
    #[inline]
    fn other_than(&self, s: u32) -> u64 {
        if s == self.s1 {
            self.v2
        } else {
            self.v1
        }
    }
}

/// Slots of the compiled table: the levels plus the two sibling kinds.
const SLOT_CH: usize = 0;
const SLOT_RA: usize = 1;
const SLOT_RA_SIB: usize = 2;
const SLOT_BG: usize = 3;
const SLOT_BA: usize = 4;
const SLOT_SA: usize = 5;
const SLOT_SA_SIB: usize = 6;
const NSLOT: usize = 7;

#[derive(Clone, Debug)]
struct WindowRule {
    level: Level,
    window: usize,
    latency: u32,
    next: CmdSet,
}

/// Where a command goes, as flat node indices within one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub rank: u32,
    /// rank * bank_groups + bank_group
    pub bg: u32,
    /// rank * banks_per_rank + bank_group * banks_per_group + bank
    pub bank: u32,
    /// Subarray within its bank.
    pub sa: u32,
}

/// Per-channel earliest-issue state for every node.
#[derive(Clone, Debug)]
pub struct TimingState {
    /// lat[prev][slot] = latency vector by next command.
    lat: [[Lat; NSLOT]; NCMD],
    /// Which slots are non-zero for each prev command (skip empty ones).
    used: [[bool; NSLOT]; NCMD],
    /// The non-zero lanes of each latency vector as (lane, latency) pairs, `nlanes` of
    /// them: raising only those is about twice as fast as all eight lanes.
    lanes: [[[(u8, u32); NCMD]; NSLOT]; NCMD],
    nlanes: [[u8; NSLOT]; NCMD],
    windows: [Vec<WindowRule>; NCMD],
    /// History rings: per (prev command, window rule index, node).
    win_hist: [Vec<Vec<u64>>; NCMD],
    win_count: [Vec<Vec<u64>>; NCMD],
    subarray_level: bool,
    subarrays: u32,
    /// Commands with a bank-group-level rule (pairwise or window).
    bg_raisers: CmdSet,
    ch: [u64; NCMD],
    ch_sib: [Top2; NCMD],
    rank: Vec<[u64; NCMD]>,
    bg: Vec<[u64; NCMD]>,
    bank: Vec<[u64; NCMD]>,
    bank_sib: Vec<[Top2; NCMD]>,
    sa: Vec<[u64; NCMD]>,
}

fn slot_of(r: &Rule) -> usize {
    match (r.level, r.sibling) {
        (Level::Channel, _) => SLOT_CH,
        (Level::Rank, false) => SLOT_RA,
        (Level::Rank, true) => SLOT_RA_SIB,
        (Level::BankGroup, _) => SLOT_BG,
        (Level::Bank, _) => SLOT_BA,
        (Level::Subarray, false) => SLOT_SA,
        (Level::Subarray, true) => SLOT_SA_SIB,
    }
}

impl TimingState {
    pub fn new(std: &Standard, salp: SalpMode, ranks: u32) -> TimingState {
        let o = &std.organization;
        let table = rules(std, salp);
        let mut lat = [[[0u32; NCMD]; NSLOT]; NCMD];
        let mut used = [[false; NSLOT]; NCMD];
        let mut windows: [Vec<WindowRule>; NCMD] = Default::default();
        let nodes = |l: Level| -> usize {
            (match l {
                Level::Channel => 1,
                Level::Rank => ranks,
                Level::BankGroup => ranks * o.bank_groups,
                Level::Bank => ranks * o.banks_per_rank(),
                Level::Subarray => ranks * o.banks_per_rank() * o.subarrays_per_bank,
            }) as usize
        };
        let mut win_hist: [Vec<Vec<u64>>; NCMD] = Default::default();
        let mut win_count: [Vec<Vec<u64>>; NCMD] = Default::default();
        for r in &table {
            for p in r.prev.iter() {
                if r.window > 1 {
                    windows[p as usize].push(WindowRule {
                        level: r.level,
                        window: r.window as usize,
                        latency: r.latency_cycles,
                        next: r.next,
                    });
                    win_hist[p as usize].push(vec![0; nodes(r.level) * r.window as usize]);
                    win_count[p as usize].push(vec![0; 2 * nodes(r.level)]);
                    continue;
                }
                let s = slot_of(r);
                used[p as usize][s] = true;
                for n in r.next.iter() {
                    let e = &mut lat[p as usize][s][n as usize];
                    *e = (*e).max(r.latency_cycles);
                }
            }
        }
        let subarray_level = salp != SalpMode::None;
        let nb = nodes(Level::Bank);
        let mut lanes = [[[(0u8, 0u32); NCMD]; NSLOT]; NCMD];
        let mut nlanes = [[0u8; NSLOT]; NCMD];
        for p in 0..NCMD {
            for sl in 0..NSLOT {
                for (n, &l) in lat[p][sl].iter().enumerate() {
                    if l > 0 {
                        lanes[p][sl][nlanes[p][sl] as usize] = (n as u8, l);
                        nlanes[p][sl] += 1;
                    }
                }
            }
        }
        // Without siblings a sibling rule never binds: skip its work on every issue.
        for u in used.iter_mut() {
            u[SLOT_RA_SIB] &= ranks > 1;
            u[SLOT_SA_SIB] &= o.subarrays_per_bank > 1;
        }
        let mut bg_raisers = CmdSet(0);
        for (p, u) in used.iter().enumerate() {
            if u[SLOT_BG] {
                bg_raisers.0 |= 1 << p;
            }
        }
        for (p, ws) in windows.iter().enumerate() {
            if ws.iter().any(|w| w.level == Level::BankGroup) {
                bg_raisers.0 |= 1 << p;
            }
        }
        TimingState {
            lat,
            used,
            bg_raisers,
            lanes,
            nlanes,
            windows,
            win_hist,
            win_count,
            subarray_level,
            subarrays: o.subarrays_per_bank,
            ch: [0; NCMD],
            ch_sib: [Top2::EMPTY; NCMD],
            rank: vec![[0; NCMD]; ranks as usize],
            bg: vec![[0; NCMD]; nodes(Level::BankGroup)],
            bank: vec![[0; NCMD]; nb],
            bank_sib: vec![[Top2::EMPTY; NCMD]; if subarray_level { nb } else { 0 }],
            sa: vec![
                [0; NCMD];
                if subarray_level {
                    nodes(Level::Subarray)
                } else {
                    0
                }
            ],
        }
    }

    /// Raise the constrained lanes of `node` to `c` + their latency.
    #[inline]
    fn raise(node: &mut [u64; NCMD], c: u64, lanes: &[(u8, u32)]) {
        for &(i, l) in lanes {
            let e = &mut node[i as usize & (NCMD - 1)];
            *e = (*e).max(c + l as u64);
        }
    }

    /// Earliest cycle at which `cmd` may issue to `t` (PREA and REF: rank only).
    #[inline]
    pub fn earliest(&self, cmd: Command, t: Target) -> u64 {
        let e = self.rank_earliest(cmd as usize, t.rank);
        if matches!(cmd, Command::PREA | Command::REF) {
            return e;
        }
        e.max(self.earliest_below_rank(cmd, t))
    }

    /// The channel and rank constraints of command index `k` on `rank`.
    #[inline]
    fn rank_earliest(&self, k: usize, rank: u32) -> u64 {
        self.ch[k]
            .max(self.rank[rank as usize][k])
            .max(self.ch_sib[k].other_than(rank))
    }

    /// The channel and rank constraints of every command on `rank`: shared by all of
    /// its banks, so a scheduler sweep looks them up once.
    #[inline]
    pub fn rank_earliest_all(&self, rank: u32) -> [u64; NCMD] {
        let r = &self.rank[rank as usize];
        let mut e: [u64; NCMD] = std::array::from_fn(|k| self.ch[k].max(r[k]));
        if self.rank.len() > 1 {
            for (k, v) in e.iter_mut().enumerate() {
                *v = (*v).max(self.ch_sib[k].other_than(rank));
            }
        }
        e
    }

    /// The bank group, bank and subarray constraints of a bank-level `cmd` on `t`:
    /// `earliest` = the max of this and the rank part.
    #[inline]
    pub fn earliest_below_rank(&self, cmd: Command, t: Target) -> u64 {
        let k = cmd as usize;
        let mut e = self.bg[t.bg as usize][k].max(self.bank[t.bank as usize][k]);
        if self.subarray_level {
            let si = (t.bank * self.subarrays + t.sa) as usize;
            e = e
                .max(self.sa[si][k])
                .max(self.bank_sib[t.bank as usize][k].other_than(t.sa));
        }
        e
    }

    /// Does `cmd` raise the bank-group part of other banks' constraints? Below the rank
    /// level only bank-group rules reach beyond the target bank; a command without one
    /// leaves every other bank's `earliest_below_rank` unchanged.
    #[inline]
    pub fn raises_bank_group(&self, cmd: Command) -> bool {
        self.bg_raisers.contains(cmd)
    }

    /// None of `cmds` to `rank` before cycle `c` (a self-refresh exit's tXSDLL).
    pub fn hold_rank_cmds(&mut self, rank: u32, cmds: &[Command], c: u64) {
        let e = &mut self.rank[rank as usize];
        for &k in cmds {
            e[k as usize] = e[k as usize].max(c);
        }
    }

    /// No command to `rank` before cycle `c` (a power-down exit).
    pub fn hold_rank(&mut self, rank: u32, c: u64) {
        for e in &mut self.rank[rank as usize] {
            *e = (*e).max(c);
        }
    }

    /// Record `cmd` issued to `t` at cycle `c`.
    pub fn issue(&mut self, cmd: Command, t: Target, c: u64) {
        let k = cmd as usize;
        let rank_only = matches!(cmd, Command::PREA | Command::REF);
        let lat = &self.lat[k];
        let used = &self.used[k];
        let lanes = &self.lanes[k];
        let nl = &self.nlanes[k];
        if used[SLOT_CH] {
            Self::raise(&mut self.ch, c, &lanes[SLOT_CH][..nl[SLOT_CH] as usize]);
        }
        if used[SLOT_RA] {
            Self::raise(
                &mut self.rank[t.rank as usize],
                c,
                &lanes[SLOT_RA][..nl[SLOT_RA] as usize],
            );
        }
        if used[SLOT_RA_SIB] {
            for (s, &l) in self.ch_sib.iter_mut().zip(&lat[SLOT_RA_SIB]) {
                s.raise(c + l as u64, t.rank);
            }
        }
        if !rank_only {
            if used[SLOT_BG] {
                Self::raise(
                    &mut self.bg[t.bg as usize],
                    c,
                    &lanes[SLOT_BG][..nl[SLOT_BG] as usize],
                );
            }
            if used[SLOT_BA] {
                Self::raise(
                    &mut self.bank[t.bank as usize],
                    c,
                    &lanes[SLOT_BA][..nl[SLOT_BA] as usize],
                );
            }
            if self.subarray_level {
                if used[SLOT_SA] {
                    let si = (t.bank * self.subarrays + t.sa) as usize;
                    Self::raise(&mut self.sa[si], c, &lanes[SLOT_SA][..nl[SLOT_SA] as usize]);
                }
                if used[SLOT_SA_SIB] {
                    let b = &mut self.bank_sib[t.bank as usize];
                    for i in 0..NCMD {
                        b[i].raise(c + lat[SLOT_SA_SIB][i] as u64, t.sa);
                    }
                }
            }
        }
        for wi in 0..self.windows[k].len() {
            let w = &self.windows[k][wi];
            let node = match w.level {
                Level::Channel => 0,
                Level::Rank => t.rank as usize,
                Level::BankGroup => t.bg as usize,
                Level::Bank => t.bank as usize,
                Level::Subarray => (t.bank * self.subarrays + t.sa) as usize,
            };
            let n = w.window;
            // win_count holds [issued so far, ring position].
            let st = &mut self.win_count[k][wi][2 * node..2 * node + 2];
            let hist = &mut self.win_hist[k][wi][node * n..node * n + n];
            let pos = st[1] as usize;
            hist[pos] = c;
            let next = if pos + 1 == n { 0 } else { pos + 1 };
            st[1] = next as u64;
            st[0] += 1;
            if st[0] >= n as u64 {
                // The oldest of the last n is the next slot to be overwritten.
                let oldest = hist[next];
                let v = oldest + w.latency as u64;
                let arr: &mut [u64; NCMD] = match w.level {
                    Level::Channel => &mut self.ch,
                    Level::Rank => &mut self.rank[node],
                    Level::BankGroup => &mut self.bg[node],
                    Level::Bank => &mut self.bank[node],
                    Level::Subarray => &mut self.sa[node],
                };
                for nc in w.next.iter() {
                    let e = &mut arr[nc as usize];
                    *e = (*e).max(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgt(rank: u32, bg: u32, bank: u32, sa: u32, std: &Standard) -> Target {
        let o = &std.organization;
        Target {
            rank,
            bg: rank * o.bank_groups + bg,
            bank: rank * o.banks_per_rank() + bg * o.banks_per_group + bank,
            sa,
        }
    }

    #[test]
    fn rank_scoped_commands_only_have_rank_rules() {
        for (name, _) in super::super::standard::PRESETS {
            let s = Standard::preset(name).unwrap();
            for salp in [
                SalpMode::None,
                SalpMode::Salp1,
                SalpMode::Salp2,
                SalpMode::Masa,
            ] {
                for r in rules(&s, salp) {
                    let scoped = r.prev.contains(Command::PREA)
                        || r.prev.contains(Command::REF)
                        || r.next.contains(Command::PREA)
                        || r.next.contains(Command::REF);
                    if scoped {
                        assert!(r.level <= Level::Rank, "{name}: {r:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn ddr4_values() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let mut ts = TimingState::new(&s, SalpMode::None, 2);
        let a = tgt(0, 0, 0, 0, &s);
        ts.issue(Command::ACT, a, 100);
        assert_eq!(ts.earliest(Command::RD, a), 116); // RCD
        assert_eq!(ts.earliest(Command::PRE, a), 139); // RAS
        assert_eq!(ts.earliest(Command::ACT, a), 155); // RC
        assert_eq!(ts.earliest(Command::ACT, tgt(0, 0, 1, 0, &s)), 106); // RRD_L
        assert_eq!(ts.earliest(Command::ACT, tgt(0, 1, 0, 0, &s)), 104); // RRD_S
        assert_eq!(ts.earliest(Command::ACT, tgt(1, 0, 0, 0, &s)), 0); // other rank
        ts.issue(Command::RD, a, 116);
        assert_eq!(ts.earliest(Command::RD, tgt(0, 0, 1, 0, &s)), 122); // CCD_L
        assert_eq!(ts.earliest(Command::RD, tgt(0, 1, 1, 0, &s)), 120); // CCD_S
        assert_eq!(ts.earliest(Command::RD, tgt(1, 1, 1, 0, &s)), 122); // BL+RTRS
        assert_eq!(ts.earliest(Command::WR, a), 126); // CL+BL+2-CWL
        assert_eq!(ts.earliest(Command::PRE, a), 139); // RAS still binds over RTP
        ts.issue(Command::WR, a, 126);
        assert_eq!(ts.earliest(Command::RD, a), 126 + 12 + 4 + 9); // WTR_L
        assert_eq!(
            ts.earliest(Command::RD, tgt(0, 1, 0, 0, &s)),
            126 + 12 + 4 + 3
        ); // WTR_S
        assert_eq!(ts.earliest(Command::PRE, a), 126 + 12 + 4 + 18); // WR recovery
    }

    #[test]
    fn faw_window() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let mut ts = TimingState::new(&s, SalpMode::None, 1);
        for (i, c) in [0u64, 4, 8, 12].into_iter().enumerate() {
            let t = tgt(0, i as u32 % 4, i as u32 / 4, 0, &s);
            assert!(ts.earliest(Command::ACT, t) <= c);
            ts.issue(Command::ACT, t, c);
        }
        assert_eq!(ts.earliest(Command::ACT, tgt(0, 0, 1, 0, &s)), 26); // FAW from ACT@0
        ts.issue(Command::ACT, tgt(0, 0, 1, 0, &s), 26);
        assert_eq!(ts.earliest(Command::ACT, tgt(0, 1, 1, 0, &s)), 30); // FAW from ACT@4
    }

    #[test]
    fn salp_sibling_rules() {
        let s = Standard::preset("DDR3-1600-x8").unwrap();
        let mut ts = TimingState::new(&s, SalpMode::Salp1, 1);
        let a = tgt(0, 0, 0, 0, &s);
        let b = tgt(0, 0, 0, 5, &s);
        ts.issue(Command::ACT, a, 0);
        assert_eq!(ts.earliest(Command::ACT, b), 28); // RAS of the other subarray
        ts.issue(Command::PRE, a, 28);
        assert_eq!(ts.earliest(Command::ACT, b), 28); // no RP between subarrays
        assert_eq!(ts.earliest(Command::ACT, a), 39); // RP / RC in the same subarray
        let mut ts = TimingState::new(&s, SalpMode::Masa, 1);
        ts.issue(Command::ACT, a, 0);
        assert_eq!(ts.earliest(Command::ACT, b), 11); // RCD
        ts.issue(Command::WR, a, 11);
        assert_eq!(ts.earliest(Command::ACT, b), 11 + 8 + 4); // CWL+BL
    }
}
