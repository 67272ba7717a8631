//! The timing constraint table as data, and one generic engine that enforces it.
//!
//! [`rules`] derives every constraint of a standard from its named timings (tRCD,
//! tCCD_L, tFAW, ...): a row says "after a command in `prev`, a command in `next` at
//! the same `level` node (or, with `sibling`, at another node under the same parent)
//! must wait `latency_cycles`; with `window` n > 1, the (n+1)-th `prev` command within
//! the window waits". [`TimingState`] compiles the rows into a plan per command (the
//! lanes it raises at each node kind, nothing for kinds it has no rule at) and keeps,
//! per channel / rank / bank group / bank / subarray node, the earliest cycle each
//! command may issue, raised as commands issue. A check is a handful of array loads;
//! adding a standard adds a TOML file and no logic.

use super::config::SalpMode;
use super::{Command, Standard};

/// Number of commands ([`Command::ALL`]); commands index arrays by `cmd as usize`.
pub const NCMD: usize = Command::ALL.len();

/// A node's earliest-issue cycles, one lane per command, `cmd as usize` indexed: 16
/// lanes (NCMD used) so that any `Command` indexes one without a bounds check.
pub const LANES: usize = 16;
pub type Node = [u64; LANES];

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Level {
    Channel,
    Rank,
    BankGroup,
    Bank,
    Subarray,
}

/// The lane that holds a command's earliest cycle in a node: RDA shares RD's and WRA
/// shares WR's. As the next command of a rule they always come in pairs (`rules` names
/// RD_ / WR_ / CAS, never one alone; `TimingState::new` checks it), so their cycles are
/// equal and issuing a command raises one lane per pair instead of two.
#[inline(always)]
pub fn lane(cmd: Command) -> usize {
    const LANE: [u8; 16] = {
        let mut t = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            t[i] = i as u8;
            i += 1;
        }
        t[Command::RDA as usize] = Command::RD as u8;
        t[Command::WRA as usize] = Command::WR as u8;
        t
    };
    LANE[cmd as usize] as usize
}

/// A set of commands as a bit mask over `cmd as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CmdSet(pub u16);

impl CmdSet {
    pub const fn of(cmds: &[Command]) -> CmdSet {
        let mut m = 0u16;
        let mut i = 0;
        while i < cmds.len() {
            m |= 1 << cmds[i] as u16;
            i += 1;
        }
        CmdSet(m)
    }
    pub fn contains(self, c: Command) -> bool {
        self.0 & (1 << c as u16) != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Command> {
        Command::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// One row of the constraint table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
const ACT_SEL: CmdSet = CmdSet::of(&[Command::ACT, Command::SASEL]);
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
/// - MASA: a column command goes to the selected subarray (the last activated or
///   SA_SEL'd); SA_SEL switches the global bitlines to another activated subarray, so
///   like an ACT there it waits tRTP after a read and CWL+BL after a write in the
///   bank's other subarrays. Its column command may follow on the next cycle
///   (Ramulator's tSCD = 1).
pub fn rules(std: &Standard, salp: SalpMode) -> Vec<Rule> {
    let t = &std.timing;
    let row = if salp == SalpMode::None {
        Level::Bank
    } else {
        Level::Subarray
    };
    // The last write data beat.
    let wr_end = t.CWL + t.BL;
    // A bank's row cycle: RC, but never below RAS + RP. A datasheet rounds each from ns on
    // its own, so RC may fall below their sum (LPDDR3-1600: 48 < 36 + 15); an explicit PRE
    // is held to RAS and RP anyway, but an auto-precharge starts at ACT + RAS at the
    // earliest, and the next ACT or REF must still wait RP after it.
    let row_cycle = t.RC.max(t.RAS + t.RP);
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
        r(Level::Rank, false, ACT, REF, row_cycle, 1, "RC"),
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
        r(row, false, ACT, ACT, row_cycle, 1, "RC"),
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
        SalpMode::Salp2 => {
            v.push(r(Level::Subarray, true, ACT, ACT, t.RCD, 1, "RCD"));
            v.push(r(Level::Subarray, true, RD_, ACT, t.RTP, 1, "RTP"));
            v.push(r(Level::Subarray, true, WR_, ACT, wr_end, 1, "CWL+BL"));
        }
        SalpMode::Masa => {
            v.push(r(Level::Subarray, true, ACT, ACT, t.RCD, 1, "RCD"));
            v.push(r(Level::Subarray, true, RD_, ACT_SEL, t.RTP, 1, "RTP"));
            v.push(r(Level::Subarray, true, WR_, ACT_SEL, wr_end, 1, "CWL+BL"));
        }
    }
    v
}

/// Latency vector by following command; 0 = no constraint (a later command is always
/// at least one cycle later, so `max(earliest, issue + 0)` never binds).
type Lat = [u32; NCMD];

/// The non-zero lanes of a latency vector as (lane, latency) pairs, `n` of them:
/// raising only those is about twice as fast as all eight lanes. A lane is a
/// [`Command`], so indexing a node by it needs no bounds check.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Lanes {
    n: u8,
    pairs: [(Command, u32); NCMD],
}

impl Default for Lanes {
    fn default() -> Lanes {
        Lanes {
            n: 0,
            pairs: [(Command::ACT, 0); NCMD],
        }
    }
}

impl Lanes {
    fn of(lat: &Lat) -> Lanes {
        let mut l = Lanes::default();
        for (c, &v) in Command::ALL.into_iter().zip(lat) {
            if v > 0 {
                l.push(c, v);
            }
        }
        l
    }

    fn push(&mut self, c: Command, lat: u32) {
        self.pairs[self.n as usize] = (c, lat);
        self.n += 1;
    }

    /// Both vectors' constraints in one: a lane raised twice keeps the larger latency.
    fn merge(&self, other: &Lanes) -> Lanes {
        let mut lat = [0u32; NCMD];
        for &(c, l) in self.get().iter().chain(other.get()) {
            lat[c as usize] = lat[c as usize].max(l);
        }
        Lanes::of(&lat)
    }

    #[inline]
    fn get(&self) -> &[(Command, u32)] {
        &self.pairs[..self.n as usize]
    }

    /// Raise the constrained lanes of `node` to `c` + their latency. Always inlined:
    /// LTO left a call per lane set in the streaming path (`streak_step`) once the
    /// offer loop grew.
    #[inline(always)]
    fn raise(&self, node: &mut Node, c: u64) {
        for &(cmd, l) in self.get() {
            let e = &mut node[cmd as usize];
            *e = (*e).max(c + l as u64);
        }
    }
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
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

    /// Raise every lane of `row` from source `s` to `c` + its latency (all eight: a
    /// lane's top two sources are kept even where the latency is 0).
    #[inline]
    fn raise_all(row: &mut [Top2; LANES], lat: &Lat, c: u64, s: u32) {
        for (t, &l) in row.iter_mut().zip(lat) {
            t.raise(c + l as u64, s);
        }
    }
}

/// What issuing one command raises: its pairwise rules compiled per node kind. A kind
/// the command has no rule at holds no lanes (or `None`) and costs one test.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Plan {
    ch: Lanes,
    rank: Lanes,
    bg: Lanes,
    bank: Lanes,
    sa: Lanes,
    /// Other ranks of the channel, other subarrays of the bank.
    rank_sib: Option<Lat>,
    sa_sib: Option<Lat>,
    /// A rank-level window rule (tFAW), kept here for a short path; any other window
    /// rule is in `TimingState::windows`.
    rank_window: Option<Window>,
}

/// Largest window of a window rule (tFAW: 4).
const MAX_WINDOW: usize = 8;

/// A rule "at most `n` of its prev command in any `latency` window" with its history.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Window {
    level: Level,
    n: usize,
    latency: u64,
    /// The `next` lanes, at latency 0: the ring holds the cycles to raise them to.
    next: Lanes,
    /// Per node: the ring of the last `n` prev commands and the position of the next
    /// write. An entry is its command's issue cycle + `latency`, 0 before n commands
    /// issued: raising to 0 is a no-op, so the first n - 1 commands need no count.
    ring: Vec<Ring>,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Ring {
    at: usize,
    end: [u64; MAX_WINDOW],
}

impl Window {
    /// Record a prev command issued to `node` at `c`; raise `arr` (that node's lanes).
    #[inline]
    fn issue(&mut self, node: usize, arr: &mut Node, c: u64) {
        let r = &mut self.ring[node];
        r.end[r.at % MAX_WINDOW] = c + self.latency;
        r.at = if r.at + 1 == self.n { 0 } else { r.at + 1 };
        // The oldest of the last n is the next entry to be overwritten.
        self.next.raise(arr, r.end[r.at % MAX_WINDOW]);
    }
}

/// Where a command goes, as flat node indices within one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TimingState {
    plan: [Plan; NCMD],
    /// The window rules of each prev command other than `Plan::rank_window`.
    windows: [Vec<Window>; NCMD],
    subarray_level: bool,
    subarrays: u32,
    /// Per rank command (PREA, REF): the bank command whose bank lanes hold the bank
    /// part of its earliest cycle, when `new` derived it so.
    derived: [Option<usize>; NCMD],
    banks_per_rank: usize,
    ch: Node,
    ch_sib: [Top2; LANES],
    rank: Vec<Node>,
    bg: Vec<Node>,
    bank: Vec<Node>,
    bank_sib: Vec<[Top2; LANES]>,
    sa: Vec<Node>,
}

impl TimingState {
    pub fn new(std: &Standard, salp: SalpMode, ranks: u32) -> TimingState {
        Self::build(std, salp, ranks, true)
    }

    /// `new`, with PREA / REF derived from the bank lanes where that is exact (`derive`;
    /// off only to test that it is).
    fn build(std: &Standard, salp: SalpMode, ranks: u32, derive: bool) -> TimingState {
        let o = &std.organization;
        let nodes = |l: Level| -> usize {
            (match l {
                Level::Channel => 1,
                Level::Rank => ranks,
                Level::BankGroup => ranks * o.bank_groups,
                Level::Bank => ranks * o.banks_per_rank(),
                Level::Subarray => ranks * o.banks_per_rank() * o.subarrays_per_bank,
            }) as usize
        };
        // lat[prev][kind]: kinds are the five levels, then rank and subarray siblings.
        let mut lat = [[[0u32; NCMD]; 7]; NCMD];
        let mut sib = [[false; 2]; NCMD];
        let mut windows: [Vec<Window>; NCMD] = Default::default();
        for r in &rules(std, salp) {
            for p in r.prev.iter() {
                let p = p as usize;
                if r.window > 1 {
                    assert!(
                        r.window as usize <= MAX_WINDOW,
                        "{}: window {}",
                        r.name,
                        r.window
                    );
                    windows[p].push(Window {
                        level: r.level,
                        n: r.window as usize,
                        latency: r.latency_cycles as u64,
                        next: r.next.iter().fold(Lanes::default(), |mut l, c| {
                            l.push(c, 0);
                            l
                        }),
                        ring: vec![Ring::default(); nodes(r.level)],
                    });
                    continue;
                }
                let kind = match (r.level, r.sibling) {
                    (Level::Rank, true) => 5,
                    (Level::Subarray, true) => 6,
                    (l, _) => l as usize,
                };
                if r.sibling {
                    sib[p][kind - 5] = true;
                }
                for n in r.next.iter() {
                    let e = &mut lat[p][kind][n as usize];
                    *e = (*e).max(r.latency_cycles);
                }
            }
        }
        // RDA / WRA read RD's / WR's lane: their latencies must be the same, and only
        // the shared lane is raised (the sibling rows raise every lane anyway).
        for kinds in &mut lat {
            for l in kinds.iter_mut().take(5) {
                for (alias, own) in [(Command::RDA, Command::RD), (Command::WRA, Command::WR)] {
                    assert_eq!(
                        l[alias as usize], l[own as usize],
                        "{alias:?} and {own:?} differ"
                    );
                    l[alias as usize] = 0;
                }
            }
        }
        let subarray_level = salp != SalpMode::None;
        // A rank's PREA must wait for each bank's PRE rules and its REF for each bank's
        // ACT rules, and the standards state those as rank rules of the same latency
        // (tRAS, tRTP, tWR; tRC, tRP): then the rank lane need not be raised by them,
        // and PREA / REF (rare) read the banks' PRE / ACT lanes instead (`derived`).
        // Only where every bank rule to the bank command is such a rank rule (deriving
        // adds no constraint), with no subarray or window rule in the way.
        let (rk, bk, ch) = (
            Level::Rank as usize,
            Level::Bank as usize,
            Level::Channel as usize,
        );
        let mut derived = [None; NCMD];
        for (x, y) in [(Command::PREA, Command::PRE), (Command::REF, Command::ACT)] {
            let (x, y) = (x as usize, y as usize);
            // (A window rule on the bank would raise its lanes beyond the pairwise rules.)
            let windowed = windows.iter().flatten().any(|w| {
                w.level == Level::Bank && w.next.get().iter().any(|&(c, _)| c as usize == y)
            });
            let implied = lat.iter().all(|l| l[bk][y] <= l[rk][x] && l[ch][x] == 0);
            if !derive || subarray_level || windowed || !implied {
                continue;
            }
            for l in lat.iter_mut() {
                if l[bk][y] > 0 && l[bk][y] == l[rk][x] {
                    l[rk][x] = 0;
                }
            }
            derived[x] = Some(y);
        }
        let mut plan: [Plan; NCMD] = std::array::from_fn(|p| {
            let l = &lat[p];
            // PREA and REF act on the rank: nothing below it.
            let below = !matches!(Command::ALL[p], Command::PREA | Command::REF);
            let lanes = |kind: usize, on: bool| {
                if on {
                    Lanes::of(&l[kind])
                } else {
                    Lanes::default()
                }
            };
            Plan {
                ch: lanes(Level::Channel as usize, true),
                rank: lanes(Level::Rank as usize, true),
                bg: lanes(Level::BankGroup as usize, below),
                bank: lanes(Level::Bank as usize, below),
                sa: lanes(Level::Subarray as usize, below && subarray_level),
                // Without siblings a sibling rule never binds: skip its work on every issue.
                rank_sib: (sib[p][0] && ranks > 1).then_some(l[5]),
                sa_sib: (sib[p][1] && below && subarray_level && o.subarrays_per_bank > 1)
                    .then_some(l[6]),
                rank_window: windows[p]
                    .iter()
                    .position(|w| w.level == Level::Rank)
                    .map(|i| windows[p].remove(i)),
            }
        });
        if ranks == 1 {
            // The rank part of a constraint is always read as max(channel, rank): with one
            // rank, raising the rank node alone gives the same values with one raise less.
            for p in plan.iter_mut() {
                p.rank = p.rank.merge(&p.ch);
                p.ch = Lanes::default();
            }
        }
        let bg_windows = windows
            .iter()
            .flatten()
            .any(|w| w.level == Level::BankGroup);
        if o.bank_groups == 1 && !bg_windows {
            // One bank group per rank (DDR3, LPDDR3): a bank-group rule binds the same
            // banks as a rank rule, so it is kept with the rank's; no command then raises
            // a bank group's lanes.
            for p in plan.iter_mut() {
                p.rank = p.rank.merge(&p.bg);
                p.bg = Lanes::default();
            }
        }
        let nb = nodes(Level::Bank);
        TimingState {
            plan,
            derived,
            banks_per_rank: o.banks_per_rank() as usize,
            windows,
            subarray_level,
            subarrays: o.subarrays_per_bank,
            ch: [0; LANES],
            ch_sib: [Top2::EMPTY; LANES],
            rank: vec![[0; LANES]; ranks as usize],
            // (At least 16 nodes: `bank_group_lanes_256`.)
            bg: vec![[0; LANES]; nodes(Level::BankGroup).max(16)],
            bank: vec![[0; LANES]; nb],
            bank_sib: vec![[Top2::EMPTY; LANES]; if subarray_level { nb } else { 0 }],
            sa: vec![
                [0; LANES];
                if subarray_level {
                    nodes(Level::Subarray)
                } else {
                    0
                }
            ],
        }
    }

    /// Earliest cycle at which `cmd` may issue to `t` (PREA and REF: rank only).
    #[inline(always)]
    pub fn earliest(&self, cmd: Command, t: Target) -> u64 {
        let e = self.rank_earliest(lane(cmd), t.rank);
        if matches!(cmd, Command::PREA | Command::REF) {
            return match self.derived[cmd as usize] {
                Some(y) => {
                    let first = t.rank as usize * self.banks_per_rank;
                    self.bank[first..first + self.banks_per_rank]
                        .iter()
                        .fold(e, |e, b| e.max(b[y]))
                }
                None => e,
            };
        }
        e.max(self.earliest_below_rank(cmd, t))
    }

    /// The channel and rank constraints of command index `k` on `rank`.
    #[inline(always)]
    fn rank_earliest(&self, k: usize, rank: u32) -> u64 {
        self.ch[k]
            .max(self.rank[rank as usize][k])
            .max(self.ch_sib[k].other_than(rank))
    }

    /// The channel and rank constraints of every command on `rank` (by `lane`): shared
    /// by all of its banks, so a scheduler sweep looks them up once.
    #[inline(always)]
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

    /// With one rank: `rank_earliest_all(0)` (by `lane`) without the max with the channel lanes
    /// (`new` folds those into the rank's, and sibling rules need two ranks).
    #[inline(always)]
    pub fn single_rank_earliest(&self) -> &Node {
        debug_assert!(self.rank.len() == 1 && self.ch == [0; LANES]);
        &self.rank[0]
    }

    /// The bank group, bank and subarray constraints of a bank-level `cmd` on `t`:
    /// `earliest` = the max of this and the rank part.
    #[inline(always)]
    pub fn earliest_below_rank(&self, cmd: Command, t: Target) -> u64 {
        self.bg[t.bg as usize][lane(cmd)].max(self.earliest_in_bank(cmd, t))
    }

    /// The bank and subarray constraints of a bank-level `cmd` on `t`: `earliest` = the
    /// max of this, the bank group's lane (`bank_group_lanes`) and the rank part. They
    /// change only when a command goes to the bank itself.
    #[inline(always)]
    pub fn earliest_in_bank(&self, cmd: Command, t: Target) -> u64 {
        let k = lane(cmd);
        let mut e = self.bank[t.bank as usize][k];
        if self.subarray_level {
            let si = (t.bank * self.subarrays + t.sa) as usize;
            e = e
                .max(self.sa[si][k])
                .max(self.bank_sib[t.bank as usize][k].other_than(t.sa));
        }
        e
    }

    /// Does any command raise a bank group's lanes? (Not with one bank group per rank:
    /// `new` keeps such rules with the rank's.) Without, they all stay 0.
    pub fn has_bank_group_rules(&self) -> bool {
        self.plan.iter().any(|p| p.bg.n > 0)
            || self
                .windows
                .iter()
                .flatten()
                .any(|w| w.level == Level::BankGroup)
    }

    /// Every bank group's lanes, flat: bank group `bg` (as `Target::bg`), lane `k` at
    /// `bg * LANES + k`.
    #[inline(always)]
    pub fn bank_group_lanes(&self) -> &[u64] {
        self.bg.as_flattened()
    }

    /// `bank_group_lanes` as a table of 256 (the first 16 bank groups; `new` pads to at
    /// least that), so that an index below 256 needs no bounds check.
    #[inline(always)]
    pub fn bank_group_lanes_256(&self) -> &[u64; 256] {
        self.bg.as_flattened()[..256]
            .try_into()
            .expect("bank-group lanes padded to 256")
    }

    /// None of `cmds` to `rank` before cycle `c` (a self-refresh exit's tXSDLL).
    pub fn hold_rank_cmds(&mut self, rank: u32, cmds: &[Command], c: u64) {
        let e = &mut self.rank[rank as usize];
        for &k in cmds {
            e[lane(k)] = e[lane(k)].max(c);
        }
    }

    /// No command to `rank` before cycle `c` (a power-down exit).
    pub fn hold_rank(&mut self, rank: u32, c: u64) {
        for e in &mut self.rank[rank as usize] {
            *e = (*e).max(c);
        }
    }

    /// Record `cmd` issued to `t` at cycle `c`. (Inlined into the controller's issue:
    /// see `Channel::issue_at`.)
    #[inline(always)]
    pub fn issue(&mut self, cmd: Command, t: Target, c: u64) {
        let k = cmd as usize;
        let p = &mut self.plan[k];
        p.ch.raise(&mut self.ch, c);
        if p.rank.n > 0 {
            p.rank.raise(&mut self.rank[t.rank as usize], c);
        }
        if p.bg.n > 0 {
            p.bg.raise(&mut self.bg[t.bg as usize], c);
        }
        if p.bank.n > 0 {
            p.bank.raise(&mut self.bank[t.bank as usize], c);
        }
        if p.sa.n > 0 {
            let si = (t.bank * self.subarrays + t.sa) as usize;
            p.sa.raise(&mut self.sa[si], c);
        }
        if let Some(w) = &mut p.rank_window {
            w.issue(t.rank as usize, &mut self.rank[t.rank as usize], c);
        }
        if p.rank_sib.is_some() || p.sa_sib.is_some() {
            self.issue_siblings(k, t, c);
        }
        if !self.windows[k].is_empty() {
            self.issue_windows(k, t, c);
        }
    }

    /// The sibling rules of `issue`, out of line: the common case (one rank, no SALP)
    /// has none, and the hot part keeps its registers.
    #[cold]
    #[inline(never)]
    fn issue_siblings(&mut self, k: usize, t: Target, c: u64) {
        let p = &self.plan[k];
        if let Some(l) = &p.rank_sib {
            Top2::raise_all(&mut self.ch_sib, l, c, t.rank);
        }
        if let Some(l) = &p.sa_sib {
            Top2::raise_all(&mut self.bank_sib[t.bank as usize], l, c, t.sa);
        }
    }

    /// The window rules of `issue`, out of line like the siblings.
    #[cold]
    #[inline(never)]
    fn issue_windows(&mut self, k: usize, t: Target, c: u64) {
        for w in &mut self.windows[k] {
            let (node, arr) = match w.level {
                Level::Channel => (0, &mut self.ch),
                Level::Rank => (t.rank as usize, &mut self.rank[t.rank as usize]),
                Level::BankGroup => (t.bg as usize, &mut self.bg[t.bg as usize]),
                Level::Bank => (t.bank as usize, &mut self.bank[t.bank as usize]),
                Level::Subarray => {
                    let si = (t.bank * self.subarrays + t.sa) as usize;
                    (si, &mut self.sa[si])
                }
            };
            w.issue(node, arr, c);
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

    /// With one bank group per rank, bank-group rules ride on the rank's lanes: no
    /// command raises a bank group, and a command still waits for every rule that
    /// binds it (here: column to column in another bank of the rank).
    #[test]
    fn one_bank_group_rules_ride_on_the_rank() {
        // The presets with one bank group have equal _S and _L timings; a part written by
        // a user need not.
        let mut custom = Standard::preset("LPDDR3-1600").unwrap();
        custom.name = "LPDDR3 with longer _L timings".into();
        (
            custom.timing.CCD_L,
            custom.timing.RRD_L,
            custom.timing.WTR_L,
        ) = (6, 11, 12);
        let presets = super::super::standard::PRESETS
            .iter()
            .map(|(name, _)| Standard::preset(name).unwrap());
        for s in presets.chain([custom]) {
            let name = s.name.clone();
            // No command raises a bank group's lanes with one bank group per rank; with
            // more (DDR4) the _L timings are bank-group rules.
            let ts = TimingState::new(&s, SalpMode::None, 1);
            assert_eq!(
                ts.has_bank_group_rules(),
                s.organization.bank_groups > 1,
                "{name}"
            );
            for (prev, next) in [
                (Command::RD, Command::RD),
                (Command::WR, Command::RD),
                (Command::ACT, Command::ACT),
            ] {
                let mut ts = TimingState::new(&s, SalpMode::None, 1);
                let a = tgt(0, 0, 0, 0, &s);
                let other = tgt(0, 0, 1, 0, &s); // same bank group, another bank
                ts.issue(prev, a, 1000);
                let want = rules(&s, SalpMode::None)
                    .iter()
                    .filter(|r| r.window == 1 && !r.sibling && r.level <= Level::BankGroup)
                    .filter(|r| r.prev.contains(prev) && r.next.contains(next))
                    .map(|r| r.latency_cycles as u64)
                    .max()
                    .unwrap_or(0);
                assert_eq!(
                    ts.earliest(next, other),
                    1000 + want,
                    "{name}: {prev:?} -> {next:?}"
                );
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
    fn row_cycle_never_below_ras_plus_rp() {
        // LPDDR3-1600 lists RC 48 < RAS 36 + RP 15. An RDA issued early auto-precharges at
        // ACT + RAS = 36, so the bank's next ACT (and a REF) waits until 36 + RP = 51.
        let s = Standard::preset("LPDDR3-1600").unwrap();
        assert_eq!((s.timing.RC, s.timing.RAS, s.timing.RP), (48, 36, 15));
        let mut ts = TimingState::new(&s, SalpMode::None, 1);
        let a = tgt(0, 0, 0, 0, &s);
        ts.issue(Command::ACT, a, 0);
        ts.issue(Command::RDA, a, 15);
        assert_eq!(15 + s.timing.RTP + s.timing.RP, 38); // the RDA rule alone
        assert_eq!(ts.earliest(Command::ACT, a), 51);
        assert_eq!(ts.earliest(Command::REF, a), 51);
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

    /// PREA and REF read from the bank lanes give the cycles the rank rules give, after
    /// any sequence of commands (legal or not: both are maxima of the same raises), on
    /// every preset, SALP mode and rank count; and the common case does derive them.
    #[test]
    fn derived_prea_and_ref_equal_the_rank_rules() {
        let mut rng = crate::rng::Rng::new(7);
        for (name, _) in crate::dram::standard::PRESETS {
            let s = Standard::preset(name).unwrap();
            let o = &s.organization;
            for salp in [SalpMode::None, SalpMode::Salp1, SalpMode::Masa] {
                for ranks in [1, 2] {
                    let mut a = TimingState::new(&s, salp, ranks);
                    let mut b = TimingState::build(&s, salp, ranks, false);
                    if salp == SalpMode::None {
                        assert_eq!(
                            a.derived[Command::PREA as usize],
                            Some(Command::PRE as usize),
                            "{name}"
                        );
                        assert_eq!(
                            a.derived[Command::REF as usize],
                            Some(Command::ACT as usize),
                            "{name}"
                        );
                    }
                    let mut c = 0;
                    for _ in 0..400 {
                        c += rng.below(30);
                        let cmd = Command::ALL[rng.below(9) as usize];
                        let t = tgt(
                            rng.below(ranks as u64) as u32,
                            rng.below(o.bank_groups as u64) as u32,
                            rng.below(o.banks_per_group as u64) as u32,
                            rng.below(o.subarrays_per_bank as u64) as u32,
                            &s,
                        );
                        a.issue(cmd, t, c);
                        b.issue(cmd, t, c);
                        for r in 0..ranks {
                            let t = tgt(r, 0, 0, 0, &s);
                            for x in [Command::PREA, Command::REF] {
                                assert_eq!(
                                    a.earliest(x, t),
                                    b.earliest(x, t),
                                    "{name} {salp:?} {x:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
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
