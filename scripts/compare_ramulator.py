#!/usr/bin/env python3
"""Side-by-side validation: spikemem and Ramulator (1.x) on DDR4-2400, same traces.

    scripts/compare_ramulator.py --ramulator PATH/ramulator [--spikemem spikemem]
                                 [--requests 100000] [--kinds stream,random]

Ramulator runs its own DDR4 config (configs/DDR4-config.cfg next to the binary) with
org DDR4_8Gb_x8, speed DDR4_2400R, one channel of one rank and its default mapping
RoBaRaCoCh; its DDR4_2400R timings equal spikemem's DDR4-2400 preset (CL/RCD/RP 16,
RAS 39, RC 55, CWL 12, WR 18, CCD 4/6, RRD 4/6, FAW 26, RFC 420, REFI 9360). The build
from the crates.io package `ramulator_wrapper` (scripts/get_ramulator.sh) has a 512-entry
controller queue and FR-FCFS with a cap of 16 row hits; spikemem runs its preset with
queue_depth = 512 (no cap). Both take N 64-byte reads, one offered per cycle, and run
until the last completes (Ramulator's DRAM-trace mode), so total cycles compare directly.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile


def traces(kind, n, work):
    random.seed(1)
    cap = 8 << 30  # one rank of 8Gb x8 devices
    addrs = ([(k * 64) % cap for k in range(n)] if kind == "stream"
             else [random.randrange(cap // 64) * 64 for _ in range(n)])
    r1, r2 = os.path.join(work, f"{kind}.r1"), os.path.join(work, f"{kind}.trace")
    with open(r1, "w") as f:
        f.writelines(f"0x{a:x} R\n" for a in addrs)
    with open(r2, "w") as f:
        f.writelines(f"LD 0x{a:x}\n" for a in addrs)
    return r1, r2


def ramulator(exe, trace, work):
    src = os.path.join(os.path.dirname(os.path.abspath(exe)), "configs", "DDR4-config.cfg")
    with open(src) as f:
        cfg = re.sub(r"org = \S+", "org = DDR4_8Gb_x8", f.read())
    path = os.path.join(work, "ddr4.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    stats = os.path.join(work, "ramulator.stats")
    subprocess.run([exe, path, "--mode=dram", "--stats", stats, trace],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    v = {}
    with open(stats) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2:
                v[p[0]] = p[1]
    g = lambda k: float(v[f"ramulator.{k}"])
    return {"cycles": int(g("dram_cycles")),
            "hits": int(g("read_row_hits_channel_0_core")),
            "misses": int(g("read_row_misses_channel_0_core")),
            "conflicts": int(g("read_row_conflicts_channel_0_core")),
            "avg_read_latency": g("read_latency_avg_0")}


def spikemem(exe, trace, work):
    out = os.path.join(work, "s.json")
    subprocess.run([exe, "dram", "--trace", trace, "--trace-format", "ramulator",
                    "--set", "dram.queue_depth=512", "--out", out],
                   stdout=subprocess.DEVNULL, check=True)
    with open(out) as f:
        s = json.load(f)
    return {"cycles": s["cycles"], "hits": s["row_hits"], "misses": s["row_misses"],
            "conflicts": s["row_conflicts"], "avg_read_latency": s["avg_read_latency_cycles"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ramulator", required=True, help="ramulator binary (scripts/get_ramulator.sh)")
    ap.add_argument("--spikemem", default="spikemem")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--kinds", default="stream,random")
    a = ap.parse_args()
    work = tempfile.mkdtemp()
    keys = ["cycles", "hits", "misses", "conflicts", "avg_read_latency"]
    print(f"DDR4-2400 8Gb x8, 1 rank, RoBaRaCoCh, {a.requests} reads per trace")
    print(f"{'trace':<7} {'simulator':<10} " + " ".join(f"{k:>16}" for k in keys))
    for kind in a.kinds.split(","):
        r1, r2 = traces(kind, a.requests, work)
        rows = [("spikemem", spikemem(a.spikemem, r2, work)),
                ("Ramulator", ramulator(a.ramulator, r1, work))]
        for name, r in rows:
            print(f"{kind:<7} {name:<10} " + " ".join(
                f"{r[k]:>16.1f}" if isinstance(r[k], float) else f"{r[k]:>16}" for k in keys))
        c0, c1 = rows[0][1]["cycles"], rows[1][1]["cycles"]
        print(f"{kind:<7} {'diff':<10} cycles {100 * (c0 - c1) / c1:+.1f}%")


if __name__ == "__main__":
    sys.exit(main())
