//! Bit-for-bit golden of the DRAM controller: every preset x SALP mode x (open/FR-FCFS,
//! closed/FR-FCFS, timeout/FCFS) x (streaming reads, random with 30% writes), 20k
//! requests each. Per case: a hash of the full `DramStats` and `ActivityCounts`
//! (Debug text: exact for every field, floats round-trip), a hash of the command log,
//! and the final cycle. The numbers in golden_dram.txt were last regenerated for one
//! intended model change (a missed scheduler wake-up, fixed: 2 MASA random cases moved),
//! and their `stats=` hashes once more when `ActivityCounts` gained its power-down and
//! self-refresh fields, and again when it gained the first-refresh-of-self-refresh counts
//! (all zero here: logs, completions and cycles unchanged), and when MASA gained its
//! subarray select (SASEL: MASA random lines moved; elsewhere only the new SASEL count in
//! the stats); speed changes must not move any of them.
//! Regenerate (only for an intended model change): GOLDEN_WRITE=1 cargo test --test golden

use spikemem_arch::dram::config::{RowPolicy, SalpMode, SchedulerKind};
use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::standard::PRESETS;
use spikemem_arch::dram::{DramConfig, ReqKind, Request, Standard};

const N: u64 = 20_000;

fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= b as u64;
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn case(
    preset: &str,
    salp: SalpMode,
    row: RowPolicy,
    sched: SchedulerKind,
    random: bool,
) -> String {
    let s = Standard::preset(preset).unwrap();
    let cfg = DramConfig {
        standard: preset.into(),
        salp,
        row_policy: row,
        scheduler: sched,
        ..DramConfig::default()
    };
    let mut mem = MemorySystem::new(&cfg, &s).unwrap();
    mem.enable_command_log();
    let cap = mem.mapper().capacity_bytes();
    let burst = mem.mapper().burst_bytes();
    let mut done = Vec::new();
    let mut loghash = 0xcbf2_9ce4_8422_2325u64;
    let mut ncmd = 0u64;
    let mut donehash = 0xcbf2_9ce4_8422_2325u64;
    let (mut c, mut i) = (0u64, 0u64);
    while i < N || mem.pending() > 0 {
        mem.advance_to(c, &mut done);
        for d in done.drain(..) {
            fnv(&mut donehash, format!("{d:?}").as_bytes());
        }
        for cmd in mem.take_command_log() {
            ncmd += 1;
            fnv(&mut loghash, format!("{cmd:?}").as_bytes());
        }
        if i < N {
            let (addr, kind) = if random {
                let x = mix(i);
                let k = if mix(x) % 10 < 3 {
                    ReqKind::Write
                } else {
                    ReqKind::Read
                };
                ((x % cap) & !(burst - 1), k)
            } else {
                (i * burst, ReqKind::Read)
            };
            if mem.try_enqueue(Request { id: i, addr, kind }, c) {
                i += 1;
                c += 1;
                continue;
            }
        }
        match mem.next_event_cycle() {
            Some(t) => c = t.max(c + 1),
            None => break,
        }
    }
    for cmd in mem.take_command_log() {
        ncmd += 1;
        fnv(&mut loghash, format!("{cmd:?}").as_bytes());
    }
    let mut sh = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut sh, format!("{:?}", mem.stats()).as_bytes());
    fnv(&mut sh, format!("{:?}", mem.activity()).as_bytes());
    let st = mem.stats();
    format!(
        "{preset} {salp:?} {row:?} {sched:?} {} stats={sh:016x} log={loghash:016x} cmds={ncmd} done={donehash:016x} cycle={c} hits={} reqs={}",
        if random { "random" } else { "stream" },
        st.row_hits,
        st.requests
    )
}

#[test]
fn golden_dram() {
    let mut lines = Vec::new();
    for (preset, _) in PRESETS {
        for salp in [
            SalpMode::None,
            SalpMode::Salp1,
            SalpMode::Salp2,
            SalpMode::Masa,
        ] {
            for (row, sched) in [
                (RowPolicy::Open, SchedulerKind::Frfcfs),
                (RowPolicy::Closed, SchedulerKind::Frfcfs),
                (RowPolicy::Timeout, SchedulerKind::Fcfs),
            ] {
                for random in [false, true] {
                    lines.push(case(preset, salp, row, sched, random));
                }
            }
        }
    }
    let got = lines.join("\n") + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden_dram.txt");
    if std::env::var_os("GOLDEN_WRITE").is_some() {
        std::fs::write(path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path).expect("golden_dram.txt");
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w);
    }
    assert_eq!(got.lines().count(), want.lines().count());
    assert_eq!(lines.len(), 120);
}
