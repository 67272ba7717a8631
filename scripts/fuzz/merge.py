#!/usr/bin/env python3
"""Add up the summary.json of several fuzz passes (e.g. a long pass stopped and resumed
with --start into another directory): counts per kind and class, flags, signatures.

  python3 scripts/fuzz/merge.py fuzz-long/summary.json fuzz-long/part2/summary.json
"""

import json
import sys

CLASSES = ["ok", "clean_error", "panic", "signal", "hang", "memory", "other"]


def main(paths):
    counts, flags, sigs = {}, {}, {}
    n = 0
    elapsed = 0.0
    ranges = []
    for p in paths:
        js = json.load(open(p))
        n += js["cases_run"]
        elapsed += js["elapsed_s"]
        end = js.get("stopped", {}).get("next_start", js["start"] + js["cases_run"])
        ranges.append(f"{js['start']}..{end} (seed {js['seed']})")
        for k, per in js["counts"].items():
            for c, v in per.items():
                counts.setdefault(k, dict.fromkeys(CLASSES, 0))[c] += v
        for f, per in js.get("flags", {}).items():
            for k, v in per.items():
                flags.setdefault(f, {}).setdefault(k, 0)
                flags[f][k] += v
        for s in js["signatures"]:
            key = (s["class"], s["signature"])
            t = sigs.setdefault(key, {"count": 0, "example": None, "kinds": {}})
            t["count"] += s["count"]
            t["example"] = t["example"] or s["example"]
            for k, v in s["kinds"].items():
                t["kinds"][k] = t["kinds"].get(k, 0) + v
    totals = {c: sum(v[c] for v in counts.values()) for c in CLASSES}
    w = max([8] + [len(k) for k in counts])
    print(f"{n} cases, cases {', '.join(ranges)}, {elapsed:.0f} s")
    print("kind".ljust(w) + "".join(c.rjust(12) for c in CLASSES))
    for k, per in counts.items():
        print(k.ljust(w) + "".join(str(per[c]).rjust(12) for c in CLASSES))
    print("total".ljust(w) + "".join(str(totals[c]).rjust(12) for c in CLASSES))
    for f, per in flags.items():
        print(f"flag {f}: " + ", ".join(f"{k} {v}" for k, v in per.items()))
    print("\ndistinct failures (class, count, signature, kinds, example):")
    for (c, s), t in sorted(sigs.items(), key=lambda kv: (kv[0][0], -kv[1]["count"])):
        print(f"  {c:<12} {t['count']:>6}  {s}")
        print(f"  {'':<12} {'':>6}  [{','.join(f'{k}:{v}' for k, v in t['kinds'].items())}] "
              f"{t['example'] or '(not saved)'}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
