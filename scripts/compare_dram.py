#!/usr/bin/env python3
"""Side-by-side validation: spikemem against DRAMsim3 or Ramulator on the same traces.

    scripts/compare_dram.py --dramsim3 PATH/dramsim3main.out --ini PATH/DDR4_8Gb_x8_2400.ini
    scripts/compare_dram.py --ramulator PATH/ramulator
        [--spikemem spikemem] [--requests 100000] [--kinds stream,random]

Each trace holds N 64-byte reads, offered one per cycle in order (stream: sequential
addresses; random: uniform over the channel, seed 1).

DRAMsim3: the config (.ini) is translated into a spikemem standard file (organization,
timings, IDD currents on VDD only, as DRAMsim3 books them) and config overrides (ranks
from channel_size, address mapping, queue depth, row policy), so both simulate the same
part. DRAMsim3 runs a fixed number of cycles, so its time to finish is found by
bisection on -c (the first cycle count at which all N reads are done). DRAMsim3 labels
its energies pJ but computes them in V x mA x cycles; they are converted with tCK here.

Ramulator (1.x): its DDR4 config (configs/DDR4-config.cfg next to the binary) with org
DDR4_8Gb_x8, speed DDR4_2400R, one rank and addr_mapping = RoBaRaCoCh, whose timings
equal spikemem's DDR4-2400 preset, in its DRAM-trace mode (run until the last request
completes); spikemem runs that preset with the build's 512-entry queue.

Build the simulators with scripts/get_dramsim3.sh and scripts/get_ramulator.sh.
"""
import argparse
import configparser
import json
import os
import random
import re
import subprocess
import sys
import tempfile


def to_spikemem(ini, work):
    """Write a spikemem standard file for the .ini's part; return (--set list, tCK in ns,
    channel capacity in bytes)."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
    cp.read(ini)
    name = os.path.basename(ini)
    s, t, p, y = cp["dram_structure"], cp["timing"], cp["power"], cp["system"]
    g = lambda sec, k, d=None: sec.get(k, d)
    i = lambda sec, k, d=None: int(float(g(sec, k, d)))
    bgs, bpg = i(s, "bankgroups", 1), i(s, "banks_per_group")
    rows, cols, width, bl = i(s, "rows"), i(s, "columns"), i(s, "device_width"), i(s, "BL")
    bus = i(y, "bus_width", 64)
    tck = float(g(t, "tCK"))
    ras, rp = i(t, "tRAS"), i(t, "tRP")
    density_mbit = rows * cols * bgs * bpg * width // (1 << 20)
    rank_mb = density_mbit * (bus // width) // 8
    ranks = max(1, i(y, "channel_size") // rank_mb)
    # DRAMsim3 reads tREFI only (default 7800): its DDR3 and LPDDR3 files spell the key
    # REFI, so it refreshes those parts every 7800 cycles; simulate what it simulates.
    refi = i(t, "tREFI", 7800)
    if "tREFI" not in t and "REFI" in t:
        print(f"note: {name} sets REFI = {t['REFI']}, which DRAMsim3 ignores (it reads "
              f"tREFI, default 7800); both simulators use tREFI = 7800 here", file=sys.stderr)
    std = f"""name = "DRAMsim3 {name}"
source = "translated from DRAMsim3's {name} by scripts/compare_dram.py"

[organization]
density_mbit = {density_mbit}
bank_groups = {bgs}
banks_per_group = {bpg}
subarrays_per_bank = {min(64, rows)}
rows = {rows}
columns = {cols}
device_width = {width}
bus_width = {bus}
burst_length = {bl}

[timing]
tCK_ps = {round(tck * 1000)}
CL = {i(t, "CL")}
CWL = {i(t, "CWL")}
RCD = {i(t, "tRCD")}
RP = {rp}
RAS = {ras}
RC = {ras + rp}
CCD_S = {i(t, "tCCD_S")}
CCD_L = {i(t, "tCCD_L")}
RRD_S = {i(t, "tRRD_S")}
RRD_L = {i(t, "tRRD_L")}
FAW = {i(t, "tFAW")}
WTR_S = {i(t, "tWTR_S")}
WTR_L = {i(t, "tWTR_L")}
RTP = {i(t, "tRTP")}
WR = {i(t, "tWR")}
RTRS = {i(t, "tRTRS", 2)}
RFC = {i(t, "tRFC")}
REFI = {refi}
BL = {bl // 2}

[power]
VDD = {float(g(p, "VDD"))}
IDD0 = {float(g(p, "IDD0"))}
IDD2N = {float(g(p, "IDD2N"))}
IDD2P = {float(g(p, "IDD2P", 0))}
IDD3N = {float(g(p, "IDD3N"))}
IDD3P = {float(g(p, "IDD3P", 0))}
IDD4R = {float(g(p, "IDD4R"))}
IDD4W = {float(g(p, "IDD4W"))}
IDD5 = {float(g(p, "IDD5AB"))}
IDD6 = {float(g(p, "IDD6x", 0))}
"""
    path = os.path.join(work, "standard.toml")
    with open(path, "w") as f:
        f.write(std)
    order = g(y, "address_mapping", "chrobabgraco")
    mapping = "-".join(order[k:k + 2].capitalize() for k in range(0, 12, 2))
    policy = {"OPEN_PAGE": "open", "CLOSE_PAGE": "closed"}[g(y, "row_buf_policy", "OPEN_PAGE")]
    sets = [
        f'dram.standard="{path}"',
        f"dram.ranks={ranks}",
        f'dram.mapping="{mapping}"',
        f"dram.queue_depth={i(y, 'trans_queue_size', 32)}",
        f'dram.row_policy="{policy}"',
        'dram.scheduler="frfcfs"',
    ]
    return sets, tck, ranks * rank_mb << 20


def traces(kind, n, capacity, work):
    random.seed(1)
    addrs = ([(k * 64) % capacity for k in range(n)] if kind == "stream"
             else [random.randrange(capacity // 64) * 64 for _ in range(n)])
    paths = {}
    for fmt, line in [("ds3", "0x{:x} READ 0\n"), ("r1", "0x{:x} R\n"), ("trace", "LD 0x{:x}\n")]:
        paths[fmt] = os.path.join(work, f"{kind}.{fmt}")
        with open(paths[fmt], "w") as f:
            f.writelines(line.format(a) for a in addrs)
    return paths


def dramsim3(exe, ini, trace, n, tck):
    def run(c):
        d = tempfile.mkdtemp()
        subprocess.run([exe, ini, "-t", trace, "-c", str(c), "-o", d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        with open(os.path.join(d, "dramsim3.json")) as f:
            return json.load(f)["0"]
    lo, hi = n, 16 * n
    while run(hi)["num_reads_done"] < n:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if run(mid)["num_reads_done"] >= n:
            hi = mid
        else:
            lo = mid + 1
    s = run(lo)
    return {"cycles": lo, "row_hit_rate": s["num_read_row_hits"] / n, "ACT": s["num_act_cmds"],
            "REF": s["num_ref_cmds"], "energy_uJ": s["total_energy"] * tck / 1e6,
            "avg_read_latency": s["average_read_latency"]}


def spikemem(exe, trace, sets, work):
    out = os.path.join(work, "s.json")
    cmd = [exe, "dram", "--trace", trace, "--trace-format", "ramulator", "--out", out]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    with open(out) as f:
        s = json.load(f)
    return {"cycles": s["cycles"], "row_hit_rate": s["row_hit_rate"], "hits": s["row_hits"],
            "misses": s["row_misses"], "conflicts": s["row_conflicts"],
            "ACT": s["commands"]["ACT"], "REF": s["commands"]["REF"],
            "energy_uJ": s["energy_pj"] / 1e6, "avg_read_latency": s["avg_read_latency_cycles"]}


def ramulator(exe, trace, work):
    src = os.path.join(os.path.dirname(os.path.abspath(exe)), "configs", "DDR4-config.cfg")
    with open(src) as f:
        cfg = re.sub(r"org = \S+", "org = DDR4_8Gb_x8", f.read())
    # This build's default mapping is ChRaBaRoCo (row bits right above the column);
    # name spikemem's default order.
    cfg += "\naddr_mapping = RoBaRaCoCh\n"
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--dramsim3", help="dramsim3main.out (scripts/get_dramsim3.sh)")
    ap.add_argument("--ini", help="a DRAMsim3 config, e.g. configs/DDR4_8Gb_x8_2400.ini")
    ap.add_argument("--ramulator", help="ramulator binary (scripts/get_ramulator.sh)")
    ap.add_argument("--spikemem", default="spikemem")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--kinds", default="stream,random")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    a = ap.parse_args()
    for flag, path in [("--dramsim3", a.dramsim3), ("--ini", a.ini), ("--ramulator", a.ramulator)]:
        if path and not os.path.exists(path):
            ap.error(f"{flag} {path}: no such file")
    work = tempfile.mkdtemp()
    if a.dramsim3 and a.ini:
        sets, tck, capacity = to_spikemem(a.ini, work)
        other, fmt = "DRAMsim3", "ds3"
        run_other = lambda p: dramsim3(a.dramsim3, a.ini, p, a.requests, tck)
        keys = ["cycles", "row_hit_rate", "ACT", "REF", "energy_uJ", "avg_read_latency"]
        print(f"{os.path.basename(a.ini)}: spikemem --set {' '.join(sets[1:])}", file=sys.stderr)
    elif a.ramulator:
        sets, capacity = ["dram.queue_depth=512"], 8 << 30  # one rank of 8Gb x8 devices
        other, fmt = "Ramulator", "r1"
        run_other = lambda p: ramulator(a.ramulator, p, work)
        keys = ["cycles", "hits", "misses", "conflicts", "avg_read_latency"]
        print("Ramulator DDR4_2400R 8Gb x8, 1 rank, RoBaRaCoCh: spikemem DDR4-2400 --set "
              + " ".join(sets), file=sys.stderr)
    else:
        ap.error("give --dramsim3 with --ini, or --ramulator")
    say = (lambda *x: None) if a.json else print
    say(f"{a.requests} reads per trace")
    say(f"{'trace':<7} {'simulator':<10} " + " ".join(f"{k:>16}" for k in keys))
    results = {}
    for kind in a.kinds.split(","):
        paths = traces(kind, a.requests, capacity, work)
        rows = [("spikemem", spikemem(a.spikemem, paths["trace"], sets, work)),
                (other, run_other(paths[fmt]))]
        results[kind] = dict(rows)
        for name, r in rows:
            say(f"{kind:<7} {name:<10} " + " ".join(
                f"{r[k]:>16.4f}" if isinstance(r[k], float) else f"{r[k]:>16}" for k in keys))
        c0, c1 = rows[0][1]["cycles"], rows[1][1]["cycles"]
        say(f"{kind:<7} {'diff':<10} cycles {100 * (c0 - c1) / c1:+.1f}%")
    if a.json:
        print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
