#!/usr/bin/env python3
"""Print a spikemem trace: run attributes, summary, DRAM stats and a per-sample table.

Reads all three trace formats: HDF5 (run.h5), CSV (run.csv or run_samples.csv and
its siblings) and JSON lines (run.jsonl). HDF5 needs h5py and numpy; pandas is used
for the table when installed.

    scripts/read_trace.py run.h5              # first 20 samples
    scripts/read_trace.py run.h5 --rows 0     # every sample
    scripts/read_trace.py run.csv --config    # also print the config TOML

Also importable: `load_trace(path)` returns a dict with `format`, `attrs`, `config_toml`,
`summary`, `dram_stats`, `command_names`, `samples` (column name -> list) and row counts.
"""

import argparse
import csv
import json
import os
import signal
import sys

SAMPLE_FIELDS = [
    "sample", "label", "prediction", "cycles", "time_ns", "input_spikes", "output_spikes",
    "synaptic_ops", "neuron_updates", "dram_reads", "dram_writes", "dram_row_hits",
    "energy_core_pj", "energy_sram_pj", "energy_dram_pj",
    "energy_dram_access_pj", "energy_dram_background_pj", "energy_total_pj",
]


def _text(v):
    """h5py returns variable-length strings as bytes or str depending on version."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if hasattr(v, "tolist") and not isinstance(v, str):
        v = v.tolist()
        if isinstance(v, list):
            return [_text(x) for x in v]
        return _text(v)
    return v


def _csv_base(path):
    """dir/run.csv, dir/run or dir/run_samples.csv -> dir/run."""
    for suffix in ("_samples.csv", "_timesteps.csv", "_commands.csv", ".csv"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def detect_format(path):
    if path.endswith(".jsonl"):
        return "jsonl"
    if path.endswith(".csv") or os.path.exists(_csv_base(path) + "_samples.csv"):
        return "csv"
    return "hdf5"


def load_hdf5(path):
    try:
        import h5py
    except ImportError:
        sys.exit(f"reading HDF5 traces needs h5py, which {sys.executable} cannot import: "
                 "install python3-h5py (Debian) or `pip install h5py`")
    with h5py.File(path, "r") as f:
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        config = attrs.pop("config_toml", "")
        samples = f["samples"][:]
        out = {
            "format": "hdf5",
            "attrs": attrs,
            "config_toml": config,
            "samples": {name: samples[name].tolist() for name in samples.dtype.names},
            "timesteps_rows": len(f["timesteps"]) if "timesteps" in f else None,
            "commands_rows": len(f["dram/commands"]) if "dram/commands" in f else None,
            "command_names": [],
            "summary": None,
            "dram_stats": None,
        }
        if "dram/commands" in f:
            out["command_names"] = _text(f["dram/commands"].attrs.get("command_names", []))
        if "summary" in f:
            out["summary"] = json.loads(_text(f["summary"][()]))
        if "dram/stats" in f:
            out["dram_stats"] = json.loads(_text(f["dram/stats"][()]))
    return out


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def _count_lines(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return max(sum(1 for line in fh if line.endswith(b"\n")) - 1, 0)


def load_csv(path):
    base = _csv_base(path)
    samples = {name: [] for name in SAMPLE_FIELDS}
    with open(base + "_samples.csv", newline="") as fh:
        text = fh.read()
    # A killed run may leave a last line without its newline: ignore it.
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines = lines[:-1]
    reader = csv.DictReader(lines)
    samples = {name: [] for name in reader.fieldnames or SAMPLE_FIELDS}
    for row in reader:
        for k, v in row.items():
            samples[k].append(_number(v))
    meta = {}
    if os.path.exists(base + "_meta.json"):
        with open(base + "_meta.json") as fh:
            meta = json.load(fh)
    config = ""
    if os.path.exists(base + ".toml"):
        with open(base + ".toml") as fh:
            config = fh.read()
    summary = stats = None
    if os.path.exists(base + "_summary.json"):
        with open(base + "_summary.json") as fh:
            doc = json.load(fh)
        summary, stats = doc.get("summary"), doc.get("dram_stats")
    attrs = {k: v for k, v in meta.items() if k not in ("command_names", "extra")}
    attrs.update(meta.get("extra", {}))
    return {
        "format": "csv",
        "attrs": attrs,
        "config_toml": config,
        "samples": samples,
        "timesteps_rows": _count_lines(base + "_timesteps.csv"),
        "commands_rows": _count_lines(base + "_commands.csv"),
        "command_names": meta.get("command_names", []),
        "summary": summary,
        "dram_stats": stats,
    }


def load_jsonl(path):
    out = {
        "format": "jsonl", "attrs": {}, "config_toml": "", "samples": {name: [] for name in SAMPLE_FIELDS},
        "timesteps_rows": 0, "commands_rows": 0, "command_names": [], "summary": None, "dram_stats": None,
    }
    with open(path) as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # cut short by a killed run
            rec = json.loads(line)
            kind = rec.pop("record")
            if kind == "sample":
                for k in out["samples"]:
                    out["samples"][k].append(rec[k])
            elif kind == "timestep":
                out["timesteps_rows"] += 1
            elif kind == "command":
                out["commands_rows"] += 1
            elif kind == "meta":
                out["config_toml"] = rec.pop("config_toml", "")
                out["command_names"] = rec.pop("command_names", [])
                out["attrs"] = {**{k: v for k, v in rec.items() if k != "extra"}, **rec.get("extra", {})}
            elif kind == "summary":
                out["summary"], out["dram_stats"] = rec.get("summary"), rec.get("dram_stats")
    return out


def load_trace(path):
    fmt = detect_format(path)
    return {"hdf5": load_hdf5, "csv": load_csv, "jsonl": load_jsonl}[fmt](path)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def print_table(columns, rows):
    """Per-sample table: pandas when available, else aligned plain text."""
    n = len(next(iter(columns.values()), []))
    shown = n if rows <= 0 else min(rows, n)
    try:
        import pandas as pd

        df = pd.DataFrame(columns)
        with pd.option_context("display.max_columns", None, "display.width", 250, "display.max_rows", None):
            print(df.head(shown).to_string(index=False))
    except ImportError:
        names = list(columns)
        cells = [[_fmt(columns[c][i]) for c in names] for i in range(shown)]
        widths = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(names)]
        print("  ".join(c.rjust(w) for c, w in zip(names, widths)))
        for r in cells:
            print("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    if shown < n:
        print(f"... {n - shown} more samples (--rows 0 shows all)")


def main():
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", help="run.h5, run.csv (or its stem) or run.jsonl")
    ap.add_argument("--rows", type=int, default=20, help="samples to print (0 = all; default 20)")
    ap.add_argument("--config", action="store_true", help="print the run's config TOML")
    args = ap.parse_args()
    if not (os.path.exists(args.trace) or os.path.exists(_csv_base(args.trace) + "_samples.csv")):
        sys.exit(f"{args.trace}: no such trace")

    t = load_trace(args.trace)
    print(f"trace {args.trace} ({t['format']})")
    for k, v in t["attrs"].items():
        print(f"  {k}: {v}")
    n = len(t["samples"].get("sample", []))
    print(f"  samples: {n}")
    if t["timesteps_rows"] is not None:
        print(f"  timesteps: {t['timesteps_rows']} rows")
    if t["commands_rows"] is not None:
        names = f" ({', '.join(t['command_names'])})" if t["command_names"] else ""
        print(f"  dram commands: {t['commands_rows']} rows{names}")
    if args.config:
        print("\nconfig:")
        print(t["config_toml"].rstrip())
    print("\nsummary:")
    if t["summary"] is None:
        print("  (none: the run did not finish)")
    else:
        print(json.dumps(t["summary"], indent=2))
    if t["dram_stats"] is not None:
        print("\ndram stats:")
        print(json.dumps(t["dram_stats"], indent=2))
    print("\nper sample:")
    if n == 0:
        print("  (no samples)")
    else:
        print_table(t["samples"], args.rows)


if __name__ == "__main__":
    main()
