//! An independent timing checker for a command trace.
//!
//! Written apart from `timing.rs` on purpose: no constraint table, no earliest-issue
//! arrays. For each command it looks back over the earlier commands of its channel and
//! applies each JEDEC rule directly to the pair (same bank? same bank group? same
//! rank?), counts ACTs in the tFAW window, and replays the row state (RD to a closed
//! bank or wrong row, ACT to an open bank, REF with a bank open; under MASA, a column
//! command only to the selected subarray, SA_SEL only to an activated one). Auto-precharge is
//! modelled as the device does it: the bank precharges at max(RDA + tRTP, ACT + tRAS)
//! (WRA: write recovery instead of tRTP), then needs tRP. Power-down and self-refresh
//! are replayed per rank: no command while the rank is in either, the minimum
//! durations (tCKE, tCKESR), the exit latencies (tXP; tXS, tXSDLL for column commands),
//! the entry delays after a read or write (tRDPDEN, tWRPDEN), self-refresh only with
//! every bank precharged (tRP, tRFC done) and with a REF since the last exit.
//!
//! It streams: a [`Checker`] takes one command at a time ([`Checker::push`]) and keeps
//! only the commands within the look-back window of the latest cycle seen (at most
//! [`MAX_RECENT`]) and per-bank and per-rank state, so its memory does not grow with
//! the trace. Commands must come in cycle order (one that does not is flagged; the
//! look-back then still covers the window of the latest cycle). A command naming a
//! channel, rank, bank group, bank or (with SALP) subarray outside the organization
//! is flagged and otherwise ignored (it would only add state).

use super::config::SalpMode;
use super::{Command, IssuedCommand, Standard};
use std::collections::{HashMap, VecDeque};

/// Most earlier commands a check looks back over. A trace the controller wrote has
/// at most one command per channel and cycle plus power-state transitions within the
/// look-back window (about 2,000 cycles); only a trace of many commands on the same
/// cycles (each a command-bus violation) reaches it, and then loses its oldest.
pub const MAX_RECENT: usize = 1 << 18;
/// Channels and ranks a command may name (`DramConfig::validate`'s bounds).
const MAX_CHANNELS: u32 = 64;
const MAX_RANKS: u32 = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Position in the checked commands (0 for the first pushed).
    pub index: usize,
    pub cycle: u64,
    pub cmd: Command,
    /// e.g. "tRCD: ACT@100 -> RD@110 needs 116"
    pub rule: String,
    /// The first cycle at which the command would have been legal (its own cycle for
    /// state errors).
    pub earliest_cycle: u64,
}

fn is_rd(c: Command) -> bool {
    matches!(c, Command::RD | Command::RDA)
}
fn is_wr(c: Command) -> bool {
    matches!(c, Command::WR | Command::WRA)
}
fn is_cas(c: Command) -> bool {
    is_rd(c) || is_wr(c)
}

/// Bank key: (channel, rank, bank group, bank).
type BankKey = (u32, u32, u32, u32);

/// Power state of one rank: since when it is in power-down / self-refresh, its last
/// exits, and whether a REF followed the last self-refresh exit.
#[derive(Default)]
struct RankPower {
    pd: Option<u64>,
    sr: Option<u64>,
    pdx: Option<u64>,
    srx: Option<u64>,
    ref_since_srx: bool,
}

#[derive(Default)]
struct BankRows {
    /// Open row per subarray (one entry, subarray 0, without SALP).
    open: HashMap<u32, u32>,
    /// Activation order of the open subarrays (SALP-2: last = designated).
    order: Vec<u32>,
    /// MASA: the subarray column commands go to (last ACT or SA_SEL; none once it
    /// closes).
    selected: Option<u32>,
    /// Cycle of the ACT that opened each subarray.
    act_cycle: HashMap<u32, u64>,
    /// Pending auto-precharges: subarray -> cycle the precharge starts.
    auto_pre: HashMap<u32, u64>,
}

/// Why `what` (a column command or SA_SEL) cannot access `row` in subarray `sa`, if so.
fn row_not_open(br: &BankRows, sa: u32, row: u32, what: &str) -> Option<String> {
    match br.open.get(&sa) {
        None => Some(format!("{what} to a closed bank/subarray")),
        Some(&r) if r != row => Some(format!("{what} to row {row} but row {r} is open")),
        _ => None,
    }
}

/// Check a whole command trace at once (tests; `spikemem check` streams with
/// [`Checker`]): every violation, in order.
pub fn check(std: &Standard, salp: SalpMode, cmds: &[IssuedCommand]) -> Vec<Violation> {
    let mut c = Checker::new(std, salp);
    let mut out = Vec::new();
    for cmd in cmds {
        out.extend_from_slice(c.push(*cmd));
    }
    out
}

/// The checker's state between commands: see the module documentation.
pub struct Checker<'a> {
    std: &'a Standard,
    salp: SalpMode,
    /// Look-back window, in cycles: no rule spans more.
    window: u64,
    banks: HashMap<BankKey, BankRows>,
    power: HashMap<(u32, u32), RankPower>,
    /// The commands within `window` cycles of `latest`, oldest first.
    recent: VecDeque<IssuedCommand>,
    latest: u64,
    prev_cycle: Option<u64>,
    pushed: usize,
    /// The last pushed command's violations.
    out: Vec<Violation>,
}

impl<'a> Checker<'a> {
    pub fn new(std: &'a Standard, salp: SalpMode) -> Self {
        let t = &std.timing;
        let window =
            (t.RFC + t.RC + t.FAW + t.CL + t.CWL + t.BL + t.WR + t.RP + t.RAS + t.RTRS + 16) as u64;
        Checker {
            std,
            salp,
            window,
            banks: HashMap::new(),
            power: HashMap::new(),
            recent: VecDeque::new(),
            latest: 0,
            prev_cycle: None,
            pushed: 0,
            out: Vec::new(),
        }
    }

    /// Commands pushed so far.
    pub fn checked(&self) -> usize {
        self.pushed
    }

    /// Check the next command against the earlier ones: its violations (often none),
    /// valid until the next push.
    pub fn push(&mut self, c: IssuedCommand) -> &[Violation] {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let i = self.pushed;
        self.pushed += 1;
        let o = &self.std.organization;
        let a = &c.addr;
        if a.channel >= MAX_CHANNELS
            || a.rank >= MAX_RANKS
            || a.bank_group >= o.bank_groups
            || a.bank >= o.banks_per_group
            || (self.salp != SalpMode::None && a.subarray >= o.subarrays_per_bank)
        {
            out.push(Violation {
                index: i,
                cycle: c.cycle,
                cmd: c.cmd,
                rule: format!(
                    "channel {} rank {} bank group {} bank {} subarray {} is outside the \
                     organization ({MAX_CHANNELS} channels, {MAX_RANKS} ranks, {} bank groups \
                     of {} banks, {} subarrays)",
                    a.channel,
                    a.rank,
                    a.bank_group,
                    a.bank,
                    a.subarray,
                    o.bank_groups,
                    o.banks_per_group,
                    o.subarrays_per_bank
                ),
                earliest_cycle: c.cycle,
            });
        } else {
            self.check_one(i, &c, &mut out);
            self.latest = self.latest.max(c.cycle);
            self.recent.push_back(c);
            while let Some(f) = self.recent.front() {
                if f.cycle + self.window >= self.latest && self.recent.len() <= MAX_RECENT {
                    break;
                }
                self.recent.pop_front();
            }
        }
        self.prev_cycle = Some(c.cycle);
        self.out = out;
        &self.out
    }

    /// The rules for command `i`, `c`, into `out`.
    fn check_one(&mut self, i: usize, c: &IssuedCommand, out: &mut Vec<Violation>) {
        let (std, salp, window) = (self.std, self.salp, self.window);
        let banks = &mut self.banks;
        let power = &mut self.power;
        let t = &std.timing;
        let (cl, cwl, bl) = (t.CL as u64, t.CWL as u64, t.BL as u64);
        let wr_rec = cwl + bl + t.WR as u64;
        let sub = |sa: u32| if salp == SalpMode::None { 0 } else { sa };
        let a = &c.addr;
        let need = |earliest: u64, name: &str, prev: &IssuedCommand, out: &mut Vec<Violation>| {
            if c.cycle < earliest {
                out.push(Violation {
                    index: i,
                    cycle: c.cycle,
                    cmd: c.cmd,
                    rule: format!(
                        "{name}: {}@{} -> {}@{} needs {earliest}",
                        prev.cmd.name(),
                        prev.cycle,
                        c.cmd.name(),
                        c.cycle
                    ),
                    earliest_cycle: earliest,
                });
            }
        };
        if let Some(prev) = self.prev_cycle.filter(|&p| p > c.cycle) {
            out.push(Violation {
                index: i,
                cycle: c.cycle,
                cmd: c.cmd,
                rule: "trace not in cycle order".into(),
                earliest_cycle: prev,
            });
        }
        let rank_cmd = matches!(c.cmd, Command::PREA | Command::REF) || c.cmd.is_power();
        let mut acts_in_faw: Vec<u64> = Vec::new();
        for p in self.recent.iter().rev() {
            if p.cycle + window < c.cycle {
                break;
            }
            let b = &p.addr;
            if b.channel != a.channel {
                continue;
            }
            // A CKE transition is no command on the shared bus.
            if p.cycle == c.cycle && !p.cmd.is_power() && !c.cmd.is_power() {
                need(
                    c.cycle + 1,
                    "command bus (one command per cycle)",
                    p,
                    &mut *out,
                );
            }
            let same_rank = b.rank == a.rank;
            let p_rank_cmd = matches!(p.cmd, Command::PREA | Command::REF) || p.cmd.is_power();
            let same_bg = same_rank && !rank_cmd && !p_rank_cmd && b.bank_group == a.bank_group;
            let same_bank = same_bg && b.bank == a.bank;
            let same_unit = same_bank && sub(b.subarray) == sub(a.subarray);
            let other_sa = same_bank && salp != SalpMode::None && b.subarray != a.subarray;
            let pc = p.cycle;
            use Command::*;
            match (p.cmd, c.cmd) {
                (ACT, ACT) => {
                    if same_rank {
                        acts_in_faw.push(pc);
                    }
                    if same_unit {
                        need(pc + t.RC as u64, "tRC", p, &mut *out);
                    }
                    if other_sa {
                        match salp {
                            SalpMode::Salp1 => need(
                                pc + t.RAS as u64,
                                "tRAS (SALP-1, other subarray)",
                                p,
                                &mut *out,
                            ),
                            _ => need(
                                pc + t.RCD as u64,
                                "tRCD (SALP-2/MASA, other subarray)",
                                p,
                                &mut *out,
                            ),
                        }
                    }
                    if same_bg {
                        need(pc + t.RRD_L as u64, "tRRD_L", p, &mut *out);
                    } else if same_rank {
                        need(pc + t.RRD_S as u64, "tRRD_S", p, &mut *out);
                    }
                }
                (ACT, n) if is_cas(n) && same_unit => need(pc + t.RCD as u64, "tRCD", p, &mut *out),
                (ACT, PRE) if same_unit => need(pc + t.RAS as u64, "tRAS", p, &mut *out),
                (ACT, PREA) if same_rank => need(pc + t.RAS as u64, "tRAS", p, &mut *out),
                (ACT, REF) if same_rank => need(pc + t.RC as u64, "tRC (ACT to REF)", p, &mut *out),
                (PRE, ACT) if same_unit => need(pc + t.RP as u64, "tRP", p, &mut *out),
                (PREA, ACT) if same_rank => need(pc + t.RP as u64, "tRP (PREA)", p, &mut *out),
                (PRE | PREA, REF) if same_rank => {
                    need(pc + t.RP as u64, "tRP (to REF)", p, &mut *out)
                }
                (RD, PRE) if same_unit => need(pc + t.RTP as u64, "tRTP", p, &mut *out),
                (RD, PREA) if same_rank => need(pc + t.RTP as u64, "tRTP", p, &mut *out),
                (WR, PRE) if same_unit => need(pc + wr_rec, "tWR", p, &mut *out),
                (WR, PREA) if same_rank => need(pc + wr_rec, "tWR", p, &mut *out),
                (pr, ACT | SASEL)
                    if is_rd(pr)
                        && other_sa
                        && matches!(salp, SalpMode::Salp2 | SalpMode::Masa) =>
                {
                    need(
                        pc + t.RTP as u64,
                        &format!("tRTP (read to other subarray's {})", c.cmd.name()),
                        p,
                        &mut *out,
                    )
                }
                (pw, ACT | SASEL)
                    if is_wr(pw)
                        && other_sa
                        && matches!(salp, SalpMode::Salp2 | SalpMode::Masa) =>
                {
                    need(
                        pc + cwl + bl,
                        &format!("CWL+BL (write to other subarray's {})", c.cmd.name()),
                        p,
                        &mut *out,
                    )
                }
                (REF, ACT | REF | PRE | PREA | SRE) if same_rank => {
                    need(pc + t.RFC as u64, "tRFC", p, &mut *out)
                }
                (pr, PDE) if is_rd(pr) && same_rank => {
                    need(pc + cl + bl + 1, "tRDPDEN (RL+BL/2+1)", p, &mut *out)
                }
                (pw, PDE) if is_wr(pw) && same_rank => {
                    need(pc + wr_rec + 1, "tWRPDEN (WL+BL/2+tWR+1)", p, &mut *out)
                }
                (PRE | PREA, SRE) if same_rank => {
                    need(pc + t.RP as u64, "tRP (to SRE)", p, &mut *out)
                }
                (pr, n) if is_cas(pr) && is_cas(n) => {
                    let gap = match (is_rd(pr), is_rd(n), same_rank) {
                        (true, true, true) | (false, false, true) => {
                            if same_bg {
                                t.CCD_L as u64
                            } else {
                                t.CCD_S as u64
                            }
                        }
                        (true, true, false) | (false, false, false) => bl + t.RTRS as u64,
                        (true, false, _) => (cl + bl + t.RTRS as u64).saturating_sub(cwl),
                        (false, true, true) => {
                            cwl + bl
                                + if same_bg {
                                    t.WTR_L as u64
                                } else {
                                    t.WTR_S as u64
                                }
                        }
                        (false, true, false) => (cwl + bl + t.RTRS as u64).saturating_sub(cl),
                    };
                    need(
                        pc + gap,
                        "CAS to CAS (tCCD / tWTR / turnaround / tRTRS)",
                        p,
                        &mut *out,
                    );
                }
                _ => {}
            }
        }
        if c.cmd == Command::ACT && acts_in_faw.len() >= 4 {
            // acts_in_faw is newest first; the 4th newest opens the window.
            let e = acts_in_faw[3] + t.FAW as u64;
            if c.cycle < e {
                out.push(Violation {
                    index: i,
                    cycle: c.cycle,
                    cmd: c.cmd,
                    rule: format!(
                        "tFAW: 4 ACTs since {} -> ACT@{} needs {e}",
                        acts_in_faw[3], c.cycle
                    ),
                    earliest_cycle: e,
                });
            }
        }

        // Row state and auto-precharge timing.
        let state_err = |msg: String, out: &mut Vec<Violation>| {
            out.push(Violation {
                index: i,
                cycle: c.cycle,
                cmd: c.cmd,
                rule: msg,
                earliest_cycle: c.cycle,
            });
        };
        let at_least = |e: u64, rule: &str, out: &mut Vec<Violation>| {
            if c.cycle < e {
                out.push(Violation {
                    index: i,
                    cycle: c.cycle,
                    cmd: c.cmd,
                    rule: format!("{rule}: {} needs {e}", c.cmd.name()),
                    earliest_cycle: e,
                });
            }
        };

        // Power-down and self-refresh of the rank.
        let pw = power.entry((a.channel, a.rank)).or_default();
        if let Some(since) = pw.pd.filter(|_| c.cmd != Command::PDX) {
            state_err(format!("rank in power-down since {since}"), &mut *out);
        }
        if let Some(since) = pw.sr.filter(|_| c.cmd != Command::SRX) {
            state_err(format!("rank in self-refresh since {since}"), &mut *out);
        }
        if let Some(x) = pw.pdx {
            match c.cmd {
                Command::PDE => at_least(x + t.CKE as u64, "tCKE after PDX", &mut *out),
                Command::PDX | Command::SRX => {}
                _ => at_least(x + t.XP as u64, "tXP after PDX", &mut *out),
            }
        }
        if let Some(x) = pw.srx {
            match c.cmd {
                cmd if is_cas(cmd) => at_least(x + t.XSDLL as u64, "tXSDLL after SRX", &mut *out),
                Command::PDX | Command::SRX => {}
                _ => at_least(x + t.XS as u64, "tXS after SRX", &mut *out),
            }
        }
        match c.cmd {
            Command::PDE => pw.pd = Some(c.cycle),
            Command::PDX => {
                match pw.pd.take() {
                    Some(e) => at_least(e + t.CKE as u64, "tCKE (power-down minimum)", &mut *out),
                    None => state_err("PDX without power-down".into(), &mut *out),
                }
                pw.pdx = Some(c.cycle);
            }
            Command::SRE => {
                if pw.srx.is_some() && !pw.ref_since_srx {
                    state_err(
                        "SRE without a REF since the last self-refresh exit".into(),
                        &mut *out,
                    );
                }
                pw.sr = Some(c.cycle);
            }
            Command::SRX => {
                match pw.sr.take() {
                    Some(e) => at_least(
                        e + t.CKESR as u64,
                        "tCKESR (self-refresh minimum)",
                        &mut *out,
                    ),
                    None => state_err("SRX without self-refresh".into(), &mut *out),
                }
                pw.srx = Some(c.cycle);
                pw.ref_since_srx = false;
            }
            Command::REF => pw.ref_since_srx = true,
            _ => {}
        }
        let key = (a.channel, a.rank, a.bank_group, a.bank);
        let sa = sub(a.subarray);
        match c.cmd {
            Command::ACT => {
                let br = banks.entry(key).or_default();
                // Auto-precharges: retire those started, enforce tRP after them.
                for (&s, &start) in br.auto_pre.iter() {
                    if s == sa && c.cycle < start + t.RP as u64 {
                        out.push(Violation {
                            index: i,
                            cycle: c.cycle,
                            cmd: c.cmd,
                            rule: format!("tRP after auto-precharge at {start}"),
                            earliest_cycle: start + t.RP as u64,
                        });
                    }
                    if s != sa && salp == SalpMode::Salp1 && c.cycle < start {
                        out.push(Violation {
                            index: i,
                            cycle: c.cycle,
                            cmd: c.cmd,
                            rule: format!(
                                "SALP-1: other subarray's auto-precharge starts at {start}"
                            ),
                            earliest_cycle: start,
                        });
                    }
                }
                br.auto_pre
                    .retain(|_, &mut start| start + t.RP as u64 > c.cycle);
                let ok = match salp {
                    SalpMode::None | SalpMode::Salp1 => br.open.is_empty(),
                    SalpMode::Salp2 => !br.open.contains_key(&sa) && br.open.len() <= 1,
                    SalpMode::Masa => !br.open.contains_key(&sa),
                };
                if !ok {
                    state_err(
                        format!("ACT to an open bank/subarray (open: {:?})", br.open),
                        &mut *out,
                    );
                }
                br.open.insert(sa, a.row);
                br.order.retain(|&s| s != sa);
                br.order.push(sa);
                br.act_cycle.insert(sa, c.cycle);
                br.selected = Some(sa);
            }
            Command::SASEL => {
                let br = banks.entry(key).or_default();
                if salp != SalpMode::Masa {
                    state_err("SA_SEL without MASA".into(), &mut *out);
                }
                if let Some(e) = row_not_open(br, sa, a.row, "SA_SEL") {
                    state_err(e, &mut *out);
                }
                br.selected = Some(sa);
            }
            cmd if is_cas(cmd) => {
                let br = banks.entry(key).or_default();
                if let Some(e) = row_not_open(br, sa, a.row, "column command") {
                    state_err(e, &mut *out);
                }
                if salp == SalpMode::Salp2
                    && br.order.last() != Some(&sa)
                    && br.open.contains_key(&sa)
                {
                    state_err(
                        "SALP-2: column command to a subarray that is not the newest activated"
                            .into(),
                        &mut *out,
                    );
                }
                if salp == SalpMode::Masa && br.selected != Some(sa) && br.open.contains_key(&sa) {
                    state_err(
                        "MASA: column command to a subarray that is not selected (needs SA_SEL)"
                            .into(),
                        &mut *out,
                    );
                }
                if matches!(cmd, Command::RDA | Command::WRA) {
                    let act = br.act_cycle.get(&sa).copied().unwrap_or(0);
                    let own = if cmd == Command::RDA {
                        c.cycle + t.RTP as u64
                    } else {
                        c.cycle + wr_rec
                    };
                    br.auto_pre.insert(sa, own.max(act + t.RAS as u64));
                    br.open.remove(&sa);
                    br.order.retain(|&s| s != sa);
                    if br.selected == Some(sa) {
                        br.selected = None;
                    }
                }
            }
            Command::PRE => {
                let br = banks.entry(key).or_default();
                if br.open.remove(&sa).is_none() {
                    state_err("PRE to a precharged bank/subarray".into(), &mut *out);
                }
                br.order.retain(|&s| s != sa);
                if br.selected == Some(sa) {
                    br.selected = None;
                }
            }
            Command::PREA => {
                for (k, br) in banks.iter_mut() {
                    if k.0 == a.channel && k.1 == a.rank {
                        br.open.clear();
                        br.order.clear();
                        br.selected = None;
                    }
                }
            }
            Command::REF | Command::SRE => {
                for (k, br) in banks.iter() {
                    if k.0 == a.channel && k.1 == a.rank {
                        if !br.open.is_empty() {
                            state_err(
                                format!("{} with bank {}/{} open", c.cmd.name(), k.2, k.3),
                                &mut *out,
                            );
                        }
                        for &start in br.auto_pre.values() {
                            if c.cycle < start + t.RP as u64 {
                                out.push(Violation {
                                    index: i,
                                    cycle: c.cycle,
                                    cmd: c.cmd,
                                    rule: format!(
                                        "tRP after auto-precharge at {start} (to {})",
                                        c.cmd.name()
                                    ),
                                    earliest_cycle: start + t.RP as u64,
                                });
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dram::DramAddr;

    fn cmd(cycle: u64, cmd: Command, bg: u32, bank: u32, row: u32) -> IssuedCommand {
        IssuedCommand {
            cycle,
            cmd,
            addr: DramAddr {
                bank_group: bg,
                bank,
                row,
                ..Default::default()
            },
        }
    }

    /// The streaming checker keeps only the look-back window: a long legal trace
    /// leaves it a bounded history and no violation; an address outside the
    /// organization is flagged and adds no state.
    #[test]
    fn streams_in_bounded_memory() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let mut c = Checker::new(&s, SalpMode::None);
        for i in 0..100_000u64 {
            let at = i * 100;
            for (d, k) in [(0, Command::ACT), (20, Command::RD), (60, Command::PRE)] {
                assert_eq!(c.push(cmd(at + d, k, (i % 4) as u32, 0, 7)), &[], "{i}");
            }
            assert!(c.recent.len() <= 3 * (c.window as usize / 100 + 2), "{i}");
        }
        assert_eq!(c.checked(), 300_000);
        let far = cmd(10_000_000, Command::ACT, 99, 0, 7);
        let v = c.push(far);
        assert_eq!(v.len(), 1);
        assert!(v[0].rule.contains("outside the organization"), "{v:?}");
        assert_eq!(c.banks.len(), 4);
    }

    #[test]
    fn catches_rcd_and_state_errors() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let v = check(
            &s,
            SalpMode::None,
            &[
                cmd(100, Command::ACT, 0, 0, 5),
                cmd(110, Command::RD, 0, 0, 5),
            ],
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "tRCD: ACT@100 -> RD@110 needs 116");
        assert_eq!(v[0].earliest_cycle, 116);
        let v = check(&s, SalpMode::None, &[cmd(0, Command::RD, 0, 0, 5)]);
        assert!(v[0].rule.contains("closed"));
        let v = check(
            &s,
            SalpMode::None,
            &[
                cmd(0, Command::ACT, 0, 0, 5),
                cmd(100, Command::ACT, 0, 0, 6),
            ],
        );
        assert!(v.iter().any(|x| x.rule.contains("open bank")));
        let v = check(
            &s,
            SalpMode::None,
            &[cmd(0, Command::ACT, 0, 0, 5), cmd(16, Command::RD, 0, 0, 6)],
        );
        assert!(v.iter().any(|x| x.rule.contains("row 6")));
    }

    /// Power-down and self-refresh rules, each broken once by hand (DDR4-2400: CL 16,
    /// BL 4, CKE 6, XP 8, XS 432, XSDLL 768, CKESR 7, RP 16, RFC 420).
    #[test]
    fn power_down_and_self_refresh_rules() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let t = &s.timing;
        assert_eq!(
            (t.CKE, t.XP, t.XS, t.XSDLL, t.CKESR),
            (6, 8, 432, 768, 7),
            "the cycles below assume these"
        );
        let rules = |tr: &[IssuedCommand]| -> Vec<(String, u64)> {
            check(&s, SalpMode::None, tr)
                .into_iter()
                .map(|v| (v.rule, v.earliest_cycle))
                .collect()
        };
        // Legal: read, power-down after RL+BL/2+1, exit after tCKE, ACT tXP later.
        let ok = [
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(16, Command::RD, 0, 0, 1),
            cmd(37, Command::PDE, 0, 0, 0),
            cmd(43, Command::PDX, 0, 0, 0),
            cmd(51, Command::RD, 0, 0, 1),
        ];
        assert!(rules(&ok).is_empty(), "{:?}", rules(&ok));
        // PDE one cycle early, PDX one cycle early, RD one cycle early.
        let bad = [
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(16, Command::RD, 0, 0, 1),
            cmd(36, Command::PDE, 0, 0, 0),
            cmd(41, Command::PDX, 0, 0, 0),
            cmd(48, Command::RD, 0, 0, 1),
        ];
        let v = rules(&bad);
        assert_eq!(v.len(), 3, "{v:?}");
        assert_eq!(
            v[0],
            ("tRDPDEN (RL+BL/2+1): RD@16 -> PDE@36 needs 37".into(), 37)
        );
        assert_eq!(v[1], ("tCKE (power-down minimum): PDX needs 42".into(), 42));
        assert_eq!(v[2], ("tXP after PDX: RD needs 49".into(), 49));
        // A command while powered down; a PDX without power-down.
        let v = rules(&[
            cmd(0, Command::PDE, 0, 0, 0),
            cmd(10, Command::ACT, 0, 0, 1),
            cmd(20, Command::PDX, 0, 0, 0),
            cmd(40, Command::PDX, 0, 0, 0),
        ]);
        assert_eq!(v[0].0, "rank in power-down since 0");
        assert_eq!(v[1].0, "PDX without power-down");
        // Self-refresh: needs its banks precharged (tRP done), tCKESR inside, tXS /
        // tXSDLL after, and a REF before the next entry.
        let v = rules(&[
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(39, Command::PRE, 0, 0, 1),
            cmd(50, Command::SRE, 0, 0, 0),
            cmd(56, Command::SRX, 0, 0, 0),
            cmd(56 + 431, Command::ACT, 0, 0, 1),
            cmd(56 + 767, Command::RD, 0, 0, 1),
            cmd(2000, Command::PRE, 0, 0, 1),
            cmd(2100, Command::SRE, 0, 0, 0),
        ]);
        let names: Vec<&str> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "tRP (to SRE): PRE@39 -> SRE@50 needs 55",
                "tCKESR (self-refresh minimum): SRX needs 57",
                "tXS after SRX: ACT needs 488",
                "tXSDLL after SRX: RD needs 824",
                "SRE without a REF since the last self-refresh exit",
            ]
        );
        let v = rules(&[
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(100, Command::SRE, 0, 0, 0),
        ]);
        assert_eq!(v[0].0, "SRE with bank 0/0 open");
    }

    #[test]
    fn catches_faw_and_ccd() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let tr: Vec<_> = (0..5)
            .map(|i| cmd(i * 4, Command::ACT, i as u32 % 4, i as u32 / 4, 1))
            .collect();
        let v = check(&s, SalpMode::None, &tr);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].earliest_cycle, 26);
        let tr = [
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(6, Command::ACT, 0, 1, 1),
            cmd(22, Command::RD, 0, 0, 1),
            cmd(26, Command::RD, 0, 1, 1),
        ];
        let v = check(&s, SalpMode::None, &tr);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].earliest_cycle, 28); // tCCD_L
    }

    #[test]
    fn auto_precharge_timing() {
        let s = Standard::preset("DDR4-2400").unwrap();
        // RDA at 16: precharge starts at max(16+9, 0+39) = 39; ACT needs 39+16 = 55.
        let tr = [
            cmd(0, Command::ACT, 0, 0, 1),
            cmd(16, Command::RDA, 0, 0, 1),
            cmd(54, Command::ACT, 0, 0, 2),
        ];
        let v = check(&s, SalpMode::None, &tr);
        assert!(v.iter().any(|x| x.earliest_cycle == 55), "{v:?}");
    }

    /// MASA's subarray select by hand (DDR4-2400: RCD 16, RTP 9, CL 16, CWL 12, BL 4,
    /// RTRS 2, WTR_L 9): subarrays 0 and 1 of one bank activated, a read in 1, then
    /// back to 0 for a read and a write, then 1 again.
    #[test]
    fn masa_subarray_select() {
        let s = Standard::preset("DDR4-2400").unwrap();
        let at = |cycle, c, sa, row| {
            let mut x = cmd(cycle, c, 0, 0, row);
            x.addr.subarray = sa;
            x
        };
        let legal = [
            at(0, Command::ACT, 0, 5),
            at(16, Command::ACT, 1, 900), // tRCD after the other subarray's ACT
            at(32, Command::RD, 1, 900),
            at(41, Command::SASEL, 0, 5), // tRTP after the read in subarray 1
            at(42, Command::RD, 0, 5),
            at(52, Command::WR, 0, 5), // read to write: CL + BL + RTRS - CWL
            at(68, Command::SASEL, 1, 900), // CWL + BL after the write in subarray 0
            at(77, Command::RD, 1, 900), // write to read: CWL + BL + WTR_L
        ];
        assert_eq!(check(&s, SalpMode::Masa, &legal), vec![]);
        let rules = |tr: &[IssuedCommand]| -> Vec<(String, u64)> {
            check(&s, SalpMode::Masa, tr)
                .into_iter()
                .map(|v| (v.rule, v.earliest_cycle))
                .collect()
        };
        // SA_SEL one cycle too early after the read, then the write, in the other subarray.
        for (k, rule) in [
            (
                3,
                "tRTP (read to other subarray's SASEL): RD@32 -> SASEL@40 needs 41",
            ),
            (
                6,
                "CWL+BL (write to other subarray's SASEL): WR@52 -> SASEL@67 needs 68",
            ),
        ] {
            let mut tr = legal;
            tr[k].cycle -= 1;
            assert_eq!(rules(&tr), vec![(rule.to_string(), legal[k].cycle)]);
        }
        // A read in subarray 0 without selecting it (subarray 1 was activated last).
        let tr = [legal[0], legal[1], legal[2], at(42, Command::RD, 0, 5)];
        assert_eq!(
            rules(&tr),
            vec![(
                "MASA: column command to a subarray that is not selected (needs SA_SEL)".into(),
                42
            )]
        );
        // SA_SEL to a precharged subarray, and SA_SEL outside MASA.
        let tr = [at(0, Command::ACT, 0, 5), at(10, Command::SASEL, 2, 7)];
        assert_eq!(
            rules(&tr),
            vec![("SA_SEL to a closed bank/subarray".into(), 10)]
        );
        let v = check(&s, SalpMode::Salp2, &tr);
        assert!(v.iter().any(|x| x.rule == "SA_SEL without MASA"), "{v:?}");
    }
}
