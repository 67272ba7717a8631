//! Speed of the DRAM controller, driven as the trace mode drives it
//! (`MemorySystem::offer_requests`: one request offered per DRAM cycle, in order; a
//! refused one again every cycle until accepted), until the last request completes.
//!
//! cargo run --release -p spikemem-arch --example dram_bench [-- N [streaming|random] [DDR4|LPDDR3]]

use spikemem_arch::dram::controller::MemorySystem;
use spikemem_arch::dram::{DramConfig, ReqKind, Request, Standard};
use std::time::Instant;

/// CPU time of this thread in seconds (the machine may be shared: wall time overstates).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|ns| ns / 1e9)
        .unwrap_or(f64::NAN)
}

fn drive(mem: &mut MemorySystem, n: u64, addr: impl Fn(u64) -> u64) -> (u64, u64) {
    let mut done = Vec::with_capacity(1024);
    let mut completed = 0u64;
    let request = |i: usize| {
        let req = Request {
            id: i as u64,
            addr: addr(i as u64),
            kind: ReqKind::Read,
        };
        (req, 0)
    };
    let last = mem.offer_requests(0, n as usize, usize::MAX, request, &mut done, |_| {
        completed += 1
    });
    (completed, last + 1)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    // Filters after N (e.g. `DDR4 random`): a case runs when each names its preset or kind.
    let only: Vec<String> = std::env::args().skip(2).collect();
    for preset in ["DDR4-2400", "LPDDR3-1600"] {
        let s = Standard::preset(preset).unwrap();
        let cfg = DramConfig {
            standard: preset.into(),
            ..DramConfig::default()
        };
        for (kind, random) in [("streaming", false), ("random", true)] {
            if !only
                .iter()
                .all(|f| kind.starts_with(f.as_str()) || preset.starts_with(f.as_str()))
            {
                continue;
            }
            let mut mem = MemorySystem::new(&cfg, &s).unwrap();
            let cap = mem.mapper().capacity_bytes();
            let burst = mem.mapper().burst_bytes();
            let t0 = Instant::now();
            let c0 = cpu_secs();
            let (completed, cycles) = drive(&mut mem, n, |i| {
                if random {
                    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    ((x ^ (x >> 31)) & (cap - 1)) & !(burst - 1)
                } else {
                    i * burst
                }
            });
            let wall = t0.elapsed().as_secs_f64();
            let secs = cpu_secs() - c0;
            let st = mem.stats();
            assert_eq!(completed, n);
            println!(
                "{preset:<12} {kind:<9} {n} reads: {:.2} M req/s ({secs:.3} s CPU, {wall:.3} s wall), {cycles} DRAM cycles, hit rate {:.3}, avg read latency {:.1} cycles, {} REF",
                n as f64 / secs / 1e6,
                st.row_hits as f64 / st.requests as f64,
                st.avg_read_latency_cycles,
                st.commands["REF"],
            );
        }
    }
}
