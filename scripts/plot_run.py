#!/usr/bin/env python3
"""Plot a spikemem run: energy per sample by component, and cumulative cycles, to PNG.

    scripts/plot_run.py run.h5                 # writes run_energy.png next to the trace
    scripts/plot_run.py run.csv -o fig.png     # CSV and JSON-lines traces work too

Needs matplotlib (Debian: python3-matplotlib) and, for HDF5 traces, h5py.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from read_trace import _csv_base, load_trace  # noqa: E402

COMPONENTS = [("energy_core_pj", "core"), ("energy_sram_pj", "SRAM"), ("energy_dram_pj", "DRAM")]


def _scale(values_pj):
    """Pick a unit so the axis reads in small numbers."""
    top = max((abs(v) for v in values_pj), default=0.0)
    for factor, unit in ((1e12, "J"), (1e9, "mJ"), (1e6, "uJ"), (1e3, "nJ")):
        if top >= factor:
            return factor, unit
    return 1.0, "pJ"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", help="run.h5, run.csv (or its stem) or run.jsonl")
    ap.add_argument("-o", "--output", help="PNG path (default: <trace>_energy.png)")
    ap.add_argument("--dpi", type=int, default=120)
    args = ap.parse_args()

    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit(f"plot_run.py needs matplotlib, which {sys.executable} cannot import: "
                 "install python3-matplotlib (Debian) or `pip install matplotlib`")

    t = load_trace(args.trace)
    s = t["samples"]
    n = len(s.get("sample", []))
    if n == 0:
        sys.exit(f"{args.trace}: no samples to plot")
    x = s["sample"]

    factor, unit = _scale(s["energy_total_pj"])
    fig, (ax_e, ax_c) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    parts = [[v / factor for v in s[key]] for key, _ in COMPONENTS]
    labels = [label for _, label in COMPONENTS]
    if n <= 500:
        bottom = [0.0] * n
        for vals, label in zip(parts, labels):
            ax_e.bar(x, vals, bottom=bottom, width=1.0, label=label, linewidth=0)
            bottom = [b + v for b, v in zip(bottom, vals)]
    else:
        # Thousands of bars render slowly and alias; a stacked area shows the same data.
        ax_e.stackplot(x, *parts, labels=labels)
    ax_e.plot(x, [v / factor for v in s["energy_total_pj"]], color="black", linewidth=0.8, label="total")
    ax_e.set_ylabel(f"energy per sample ({unit})")
    ax_e.legend(loc="upper right", fontsize="small")
    title = os.path.basename(args.trace)
    if t["summary"] and "accuracy" in t["summary"]:
        title += f"  (accuracy {t['summary']['accuracy']:.4g})"
    ax_e.set_title(title)

    cumulative, total = [], 0
    for c in s["cycles"]:
        total += c
        cumulative.append(total)
    ax_c.plot(x, cumulative, color="tab:purple")
    ax_c.set_xlabel("sample")
    ax_c.set_ylabel("cumulative core cycles")
    ax_c.grid(alpha=0.3)

    fig.tight_layout()
    out = args.output
    if not out:
        base = _csv_base(args.trace) if t["format"] == "csv" else os.path.splitext(args.trace)[0]
        out = base + "_energy.png"
    fig.savefig(out, dpi=args.dpi)
    print(f"wrote {out} ({n} samples)")


if __name__ == "__main__":
    main()
