"""Case generators, one per kind of input the CLI reads.

A generator takes a random.Random (seeded per case) and the Seeds, and returns a case:
{"argv": [...] (without the binary), "files": {relative name: bytes}, "touched": [config
keys it changed], "note": what it did}. Every case runs in a fresh directory holding
`files`, so argv names them relatively.
"""

import copy
import gzip
import io
import json
import os
import struct
import tempfile
import tomllib

import mutate as M

PRESETS = ["DDR3-1600", "DDR3-1600-x16", "DDR3L-1600", "DDR4-2400", "LPDDR3-1600"]


def _case(argv, files=None, touched=None, note=""):
    return {"argv": [str(a) for a in argv], "files": files or {}, "touched": touched or [],
            "note": note}


def _sets(d):
    out = []
    for k, v in d.items():
        out += ["--set", f"{k}={M.tomlw.scalar(v)}"]
    return out


def _small_tree(rng, text, builtin_data=0.8):
    """Parse a seed config and make its run small (n_excitatory, samples, durations)."""
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        tree = {}
    for k, v in M.shrink_sets(rng).items():
        M.set_path(tree, tuple(k.split(".")), v)
    if rng.random() < builtin_data:
        for split in ("train", "test"):
            for what in ("images", "labels"):
                M.set_path(tree, ("data", f"{split}_{what}"),
                           f"builtin:mnist-sample/{split}-{what}")
    return tree


def _synthetic_args(rng):
    return ["--synthetic", rng.choice(["stream", "random", "strided"]),
            "--requests", rng.choice([1, 10, 50, 200, 500]),
            "--write-fraction", rng.choice([0, 0, 0.3, 0.5])]


def _command_for_config(rng, cfg_name):
    """run / dram / train on a config file, small."""
    r = rng.random()
    if r < 0.45:
        fmt = rng.choice(["hdf5", "hdf5", "csv", "jsonl"])
        ext = {"hdf5": "h5", "csv": "csv", "jsonl": "jsonl"}[fmt]
        return ["run", cfg_name, "--out", f"t.{ext}", "--format", fmt, "--json", "s.json"]
    if r < 0.8:
        return ["dram", "--config", cfg_name, *_synthetic_args(rng), "--out", "st.json"]
    return ["train", "--config", cfg_name, "--out", "m.h5", "--json", "r.json"]


# --- config ------------------------------------------------------------------------------

def gen_config(rng, seeds):
    name, text = rng.choice(seeds.configs)
    tree = _small_tree(rng, text)
    touched = M.mutate_tree(rng, tree, keys=M.KEYS)
    out = M.dumps(tree)
    note = f"seed {name}"
    if rng.random() < 0.1:
        out = M.mutate_text(rng, out)
        note += ", text damage"
    data = out.encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:
        data = M.mutate_bytes(rng, data)
        note += ", byte damage"
    files = {"cfg.toml": data}
    if rng.random() < 0.1:  # a standard file next to the config
        files["std.toml"] = rng.choice(seeds.standards)[1].encode()
    return _case(_command_for_config(rng, "cfg.toml"), files, touched, note)


# --- --set KEY=VALUE ------------------------------------------------------------------------

def _raw_value(rng, key):
    r = rng.random()
    if r < 0.55:
        return M.tomlw.scalar(M.value_for_key(rng, key))
    if r < 0.75:  # bare strings and near-TOML (read as a bare string when not TOML)
        return rng.choice(["", "nan", "-nan", "+inf", "1e400", "-0", "0x", "0xFFFFFFFFFFFFFFFFF",
                           "18446744073709551615", "1_0", "01", "1.", ".5", "[1,", "{a=1",
                           "\"unterminated", "'single'", "true false", "DDR4-2400",
                           "builtin:mnist-sample/test-images", "a=b", "[[1]]", "{}", "[]",
                           "1979-05-27", "x" * rng.choice([10, 1000, 100000]), "\u00e9",
                           "inf", "9" * 40])
    return M.tomlw.scalar(M.interesting(rng))


def _fuzz_key(rng):
    k = rng.choice(M.KEYS)
    r = rng.random()
    if r < 0.75:
        return k
    return rng.choice([k + ".x", k.replace(".", ".."), "." + k, k + ".", k.upper(), "",
                       " " + k + " ", k.split(".")[0], "dram.timing", "sram", "a" * 300,
                       "dram.timing.RFC.x", "x.y.z.w.v.u", k.replace(".", "=")])


def gen_set(rng, seeds):
    base = []
    if rng.random() < 0.3:
        name, text = rng.choice(seeds.configs)
        tree = _small_tree(rng, text)
        base = ["--config", "cfg.toml"]
        files = {"cfg.toml": M.dumps(tree).encode()}
    else:
        files = {}
    sets = []
    touched = []
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        k = _fuzz_key(rng)
        touched.append(k)
        if rng.random() < 0.05:
            sets += ["--set", rng.choice([k, "=", k + "==1", "=1", k + " 1"])]
        else:
            sets += ["--set", f"{k}={_raw_value(rng, k)}"]
    r = rng.random()
    small = _sets(M.shrink_sets(rng) | {
        f"data.{s}_{w}": f"builtin:mnist-sample/{s}-{w}"
        for s in ("train", "test") for w in ("images", "labels")})
    if r < 0.5:
        argv = ["dram", *base, *_synthetic_args(rng), *sets, "--out", "st.json"]
    elif r < 0.85:
        argv = ["run", *base, *small, *sets, "--out", "t.h5"]
    elif r < 0.95:
        argv = ["train", *base, *small, *sets, "--out", "m.h5"]
    else:
        files["cmds.csv"] = seeds.cmds_csv
        argv = ["check", *base, *sets, "cmds.csv"]
    return _case(argv, files, touched, "--set values")


# --- DRAM standard files ------------------------------------------------------------------

def _std_mutate(rng, tree):
    touched = []
    for _ in range(rng.choice([1, 1, 2, 3, 6])):
        sections = [s for s in ("organization", "timing", "power")
                    if isinstance(tree.get(s), dict)]
        r = rng.random()
        if not sections or r < 0.1:
            M.mutate_tree(rng, tree, n=1)
            continue
        sec = rng.choice(sections)
        if not tree[sec]:
            continue
        k = rng.choice(sorted(tree[sec]))
        touched.append(f"{sec}.{k}")
        old = tree[sec][k]
        if r < 0.2:
            del tree[sec][k]
        elif r < 0.5:
            tree[sec][k] = M.plausible(rng, old)
        elif r < 0.85:
            tree[sec][k] = rng.choice([0, -1, 0.0, -0.0, float("nan"), float("inf"),
                                       float("-inf"), 1e308, 5e-324, 2**31, 2**32, 2**53,
                                       M.I64_MAX, M.U64_MAX, 3, 6, 1000000, 1.5, "8", True])
        else:
            tree[sec][k] = M.interesting(rng, old)
    return touched


def _dram_extra_sets(rng):
    extra = {}
    if rng.random() < 0.3:
        extra["dram.power_down_after_cycles"] = rng.choice([0, 1, 10, 1000])
    if rng.random() < 0.2:
        extra["dram.self_refresh_after_cycles"] = rng.choice([0, 1, 10, 1000])
        extra["dram.power_down_precharge"] = rng.random() < 0.5
    if rng.random() < 0.3:
        extra["dram.row_policy"] = rng.choice(["open", "closed", "timeout"])
    if rng.random() < 0.2:
        extra["dram.salp"] = rng.choice(["none", "salp1", "salp2", "masa"])
    if rng.random() < 0.2:
        extra["dram.ranks"] = rng.choice([1, 2, 4])
        extra["dram.channels"] = rng.choice([1, 2])
    return extra


def gen_dram_std(rng, seeds):
    name, text = rng.choice(seeds.standards)
    tree = tomllib.loads(text)
    touched = _std_mutate(rng, tree)
    out = M.dumps(tree)
    if rng.random() < 0.1:
        out = M.mutate_text(rng, out)
    files = {"std.toml": out.encode()}
    sets = _sets({"dram.standard": "std.toml"} | _dram_extra_sets(rng))
    r = rng.random()
    if r < 0.65:
        argv = ["dram", *sets, *_synthetic_args(rng), "--out", "st.json"]
    elif r < 0.85:
        argv = ["run", *_sets(M.shrink_sets(rng)), *sets, "--out", "t.h5"]
    else:
        files["cmds.csv"] = seeds.cmds_csv
        argv = ["check", *sets, "cmds.csv"]
    return _case(argv, files, touched, f"seed {name}")


# --- voltage tables -----------------------------------------------------------------------

def gen_voltage(rng, seeds):
    name, text = rng.choice(seeds.voltages)
    tree = tomllib.loads(text)
    pts = tree.get("points", [])
    touched = []
    for _ in range(rng.choice([1, 1, 2, 4])):
        r = rng.random()
        if r < 0.1:
            tree["points"] = rng.choice([[], pts[:1], list(reversed(pts)), pts + pts])
            touched.append("points")
        elif r < 0.7 and pts:
            p = rng.choice(pts)
            k = rng.choice(sorted(p) or ["vdd"])
            p[k] = rng.choice([0.0, -1.0, float("nan"), float("inf"), 1e300, 0.5, 1e-300,
                               2.0, 100.0, 1e6, 1.35, pts[0].get(k, 1.0), "1.0", 0])
            touched.append(f"points.{k}")
        elif r < 0.8 and pts:
            p = rng.choice(pts)
            if p:
                del p[rng.choice(sorted(p))]
            touched.append("points.-")
        else:
            touched += M.mutate_tree(rng, tree, n=1)
    vdds = [p.get("vdd") for p in pts if isinstance(p, dict) and isinstance(p.get("vdd"), float)]
    vdd = rng.choice((vdds or [1.2]) + [1.0, 1.3, 1.35, 1.4, 0.5, 2.0, 1.0125])
    files = {"v.toml": M.dumps(tree).encode()}
    sets = {"dram.standard": "DDR3L-1600", "dram.voltage_table": "v.toml", "dram.vdd": vdd}
    if rng.random() < 0.6:
        sets["dram.error_model"] = rng.choice(["uniform", "bitline", "wordline",
                                               "data_dependent"])
    if rng.random() < 0.75:
        argv = ["dram", *_sets(sets), *_synthetic_args(rng), "--out", "st.json"]
    else:
        argv = ["run", *_sets(M.shrink_sets(rng) | sets), "--out", "t.h5"]
    return _case(argv, files, touched + ["dram.vdd"], f"seed {name}, vdd {vdd}")


# --- memory traces ------------------------------------------------------------------------

_FMT_KINDS = {"ramulator": ("LD", "ST"), "ramulator1": ("R", "W"), "dramsim3": ("READ", "WRITE")}


def _addr(rng):
    r = rng.random()
    if r < 0.6:
        a = rng.randrange(0, 1 << 24) & ~63
    elif r < 0.8:
        a = rng.randrange(0, 1 << 34)
    else:
        a = rng.choice([0, M.U64_MAX, M.U64_MAX - 63, 2**63, 2**40, 2**48 - 64, 2**33])
    return hex(a) if rng.random() < 0.7 else str(a)


def _trace_line(rng, fmt, cyc):
    ld, st = _FMT_KINDS[fmt]
    k = ld if rng.random() < 0.7 else st
    a = _addr(rng)
    if fmt == "ramulator":
        return f"{k} {a}"
    if fmt == "ramulator1":
        return f"{a} {k}"
    return f"{a} {k} {cyc}"


def gen_trace(rng, seeds):
    fmt = rng.choice(list(_FMT_KINDS))
    n = rng.choice([0, 1, 2, 10, 50, 200])
    lines = []
    cyc = 0
    for _ in range(n):
        cyc += rng.choice([0, 1, 1, 4, 100])
        lines.append(_trace_line(rng, fmt, cyc))
    notes = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        op = rng.randrange(11)
        i = rng.randrange(len(lines) + 1)
        if op == 0:
            lines.insert(i, _trace_line(rng, fmt, rng.choice(
                [M.U64_MAX, M.U64_MAX - 1, 2**63, 2**62, 2**40, 10**12])))
            notes.append("huge cycle")
        elif op == 1:
            lines.insert(i, "0x" + "f" * rng.choice([16, 17, 40]) + " " + " ".join(
                _trace_line(rng, fmt, 1).split()[1:]))
            notes.append("huge address")
        elif op == 2:
            tok = rng.choice(["A", "0", "f", "\u00e9"]) * rng.choice([1000, 100000, 1000000])
            lines.insert(i, rng.choice([tok, f"LD {tok}", f"{tok} R", f"0x10 READ {tok}"]))
            notes.append("long token")
        elif op == 3:
            lines.insert(i, "".join(chr(rng.randrange(1, 256)) for _ in range(rng.randrange(1, 80))))
            notes.append("junk")
        elif op == 4:
            lines.insert(i, rng.choice(["", "#", "# comment", "   ", "\t", "\r"]))
        elif op == 5:
            lines.insert(i, rng.choice(["LD", "ST 0x", "0x10", "0x10 READ", "0x10 READ 1 2",
                                        "LD 0x10 extra", "0x10 R W", "-1 R", "LD -0x10",
                                        "0x10 READ -5", "0x10 READ 1.5", "0x10 READ 0x10",
                                        "ld 0x40", "0X40 r", "LD 0x40\x00", "LD\t0x40",
                                        "0x10 READ 18446744073709551616", "LD +64"]))
            notes.append("malformed line")
        elif op == 6 and fmt == "dramsim3":  # decreasing cycles
            lines.insert(i, _trace_line(rng, fmt, 0))
            lines.append(_trace_line(rng, fmt, rng.choice([5, 10**6])))
            notes.append("cycles out of order")
        elif op == 7:
            lines = lines[: rng.randrange(len(lines) + 1)]
        elif op == 8 and lines:  # all requests at one address (row hits / same bank)
            lines = [lines[0]] * len(lines)
        elif op == 9:  # a line of another format
            other = rng.choice([f for f in _FMT_KINDS if f != fmt])
            lines.insert(i, _trace_line(rng, other, 1))
            notes.append("other format")
        else:
            lines.insert(i, _trace_line(rng, fmt, cyc) + rng.choice([" # c", "\r", " ", "\x0b"]))
    text = "\n".join(lines)
    end = rng.random()
    if end < 0.6 and lines:
        text += "\n"
    elif end < 0.7:
        text += "\r\n"
    else:
        notes.append("no final newline")
    data = text.encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.06:
        data = M.mutate_bytes(rng, data)
        notes.append("byte damage")
    elif r < 0.09:
        data = bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 5000])))
        notes.append("binary junk")
    elif r < 0.11:
        data = b""
        notes.append("empty")
    sets = {}
    if rng.random() < 0.5:
        sets["dram.standard"] = rng.choice(PRESETS)
    sets |= _dram_extra_sets(rng)
    argv = ["dram", "--trace", "t.trace", "--trace-format", fmt, *_sets(sets), "--out", "st.json"]
    if rng.random() < 0.2:
        argv += ["--command-trace", "cmds.csv"]
    return _case(argv, {"t.trace": data}, [], f"{fmt}: " + ", ".join(notes))


# --- DRAM command traces (spikemem check) -------------------------------------------------

def gen_cmdtrace(rng, seeds):
    text = seeds.cmds_csv.decode()
    lines = text.split("\n")
    header, rows = lines[0], [l for l in lines[1:] if l]
    notes = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(10)
        if not rows:
            rows = ["0,ACT,0,0,0,0,0,0,0"]
        i = rng.randrange(len(rows))
        f = rows[i].split(",")
        if op == 0:
            rng.shuffle(rows)
            notes.append("shuffled")
        elif op <= 3 and f:
            j = rng.randrange(len(f))
            f[j] = str(rng.choice([0, -1, 1, 7, 255, 65536, 2**32, M.U64_MAX, 2**64, "x", "",
                                    "1.5", "nan", "ACT", "REF", "SRE", "PDX", "BOGUS",
                                    "A" * 10000]))
            rows[i] = ",".join(f)
            notes.append(f"field {j}")
        elif op == 4:
            rows[i] = ",".join(f[: rng.randrange(len(f) + 1)])
            notes.append("short row")
        elif op == 5:
            rows[i] += ",1"
            notes.append("long row")
        elif op == 6:
            header = rng.choice(["", "cycle,command", header.upper(), "a,b,c,d,e,f,g,h,i"])
            notes.append("header")
        elif op == 7:
            rows = rows[: rng.randrange(len(rows) + 1)]
        elif op == 8:
            rows.insert(i, rows[i])
            notes.append("duplicate")
        else:
            f[0] = str(rng.choice([M.U64_MAX, 2**63, 10**15]))
            rows[i] = ",".join(f)
            notes.append("huge cycle")
    data = ("\n".join([header] + rows) + rng.choice(["\n", "", "\r\n"])).encode()
    if rng.random() < 0.08:
        data = M.mutate_bytes(rng, data)
        notes.append("byte damage")
    sets = {"dram.standard": rng.choice(PRESETS)} if rng.random() < 0.3 else {}
    if rng.random() < 0.2:
        sets["dram.salp"] = rng.choice(["none", "salp1", "salp2", "masa"])
    return _case(["check", *_sets(sets), "cmds.csv"], {"cmds.csv": data}, [], ", ".join(notes))


# --- IDX data files -----------------------------------------------------------------------

def _idx(dims, payload, dtype=8, magic=b"\x00\x00"):
    return magic + bytes([dtype, len(dims) & 0xFF]) + b"".join(
        struct.pack(">I", d & 0xFFFFFFFF) for d in dims) + payload


def gen_idx(rng, seeds):
    n = rng.choice([2, 3, 5])
    px = seeds.idx_images[: n * 784]
    lb = seeds.idx_labels[:n]
    dims_i, dims_l = [n, 28, 28], [n]
    payload_i, payload_l = px, lb
    dtype, magic, ndims_over = 8, b"\x00\x00", None
    target = rng.choice(["images", "labels", "images", "both"])
    notes = [target]
    op = rng.randrange(14)
    if op == 0:
        magic = rng.choice([b"\x00\x01", b"\xff\xff", b"\x1f\x8b", b"PK"])
        notes.append("magic")
    elif op == 1:
        dtype = rng.choice([0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF])
        notes.append("dtype")
    elif op == 2:
        ndims_over = rng.choice([0, 2, 4, 5, 255])
        notes.append(f"ndims {ndims_over}")
    elif op == 3:
        k = rng.randrange(3)
        dims_i[k] = rng.choice([0, 1, 2, 27, 29, 1000, 65536, 2**31, 2**32 - 1])
        notes.append(f"image dim {k} = {dims_i[k]}")
    elif op == 4:
        dims_l[0] = rng.choice([0, n - 1, n + 1, 2**32 - 1])
        notes.append("label count")
    elif op == 5:  # dims whose product wraps around 2^64
        dims_i = rng.choice([[65536, 16777216, 16777216], [2**32 - 1, 2**32 - 1, 2**32 - 1],
                             [2**16, 2**24, 2**24], [1, 2**32 - 1, 2**32 - 1]])
        dims_l = [dims_i[0]] if rng.random() < 0.5 else dims_l
        notes.append(f"wrapping dims {dims_i}")
    elif op == 6:
        payload_i = payload_i[: rng.randrange(len(payload_i) + 1)]
        notes.append("truncated images")
    elif op == 7:
        payload_l = payload_l[: rng.randrange(len(payload_l) + 1)]
        notes.append("truncated labels")
    elif op == 8:
        payload_l = bytes([rng.choice([10, 255, 9, 0]) for _ in payload_l])
        notes.append("label values")
    elif op == 9:
        payload_i += bytes(rng.choice([1, 784, 100000]))
        notes.append("trailing bytes")
    elif op == 10:  # 4-D images, 2-D labels
        dims_i = [n, 28, 28, 1]
        dims_l = [n, 1]
        notes.append("extra dims")
    elif op == 11:
        dims_i = [n, rng.choice([1, 4, 14, 56]), rng.choice([1, 4, 14, 56])]
        payload_i = bytes(dims_i[0] * dims_i[1] * dims_i[2])
        notes.append(f"other image size {dims_i}")
    elif op == 12:
        payload_i = bytes([255]) * len(payload_i)
        notes.append("saturated pixels")
    else:
        payload_i = bytes(len(payload_i))
        notes.append("black images")

    def build(dims, payload):
        b = _idx(dims, payload, dtype, magic)
        if ndims_over is not None:
            b = b[:3] + bytes([ndims_over]) + b[4:]
        return b

    good_i, good_l = _idx([n, 28, 28], px), _idx([n], lb)
    img = build(dims_i, payload_i) if target in ("images", "both") or op in (3, 5, 6, 9, 10, 11, 12, 13) else good_i
    lab = build(dims_l, payload_l) if target in ("labels", "both") or op in (4, 5, 7, 8, 10) else good_l
    if rng.random() < 0.05:
        img = img[: rng.randrange(len(img) + 1)]
        notes.append("file cut")
    gz = rng.random()
    if gz < 0.3:
        img = gzip.compress(img, mtime=0)
        lab = gzip.compress(lab, mtime=0)
        notes.append("gzip")
    elif gz < 0.36:
        img = gzip.compress(img, mtime=0)
        img = img[: rng.randrange(2, len(img))]
        notes.append("truncated gzip")
    elif gz < 0.38:
        img = b"\x1f\x8b" + bytes(rng.randrange(256) for _ in range(50))
        notes.append("gzip magic, junk")
    elif gz < 0.39:
        img = seeds.gzip_bomb(rng.choice([64, 512, 1536]))
        notes.append("gzip bomb")
    split = rng.choice(["train", "test"])
    cfg = {"data": {
        f"{s}_{w}": (f"{split}-{w}.idx" if s == split else f"builtin:mnist-sample/{s}-{w}")
        for s in ("train", "test") for w in ("images", "labels")}}
    small = M.shrink_sets(rng)
    if rng.random() < 0.3:
        small["data." + split + "_samples"] = 0
    for k, v in small.items():
        M.set_path(cfg, tuple(k.split(".")), v)
    files = {"cfg.toml": M.dumps(cfg).encode(), f"{split}-images.idx": img,
             f"{split}-labels.idx": lab}
    argv = (["train", "--config", "cfg.toml", "--out", "m.h5"] if rng.random() < 0.5
            else ["run", "cfg.toml", "--out", "t.h5"])
    return _case(argv, files, [f"data.{split}_images"], ", ".join(notes))


# --- model files (HDF5) -------------------------------------------------------------------

def _h5_mutate(rng, path, notes):
    """Structural mutations with h5py (imported here: optional)."""
    import h5py
    import numpy as np

    with h5py.File(path, "r+") as f:
        projs = list(f.get("projections", {}).keys()) if "projections" in f else []
        for _ in range(rng.choice([1, 1, 2, 3])):
            op = rng.randrange(14)
            g = f["projections"][rng.choice(projs)] if projs else f
            if op == 0 and "weights" in g:
                w = g["weights"][()]
                w = w.astype(np.float32)
                fill = rng.choice([np.nan, np.inf, -np.inf, -1.0, 1e30, 0.0, 3.4e38])
                if rng.random() < 0.5:
                    w[...] = fill
                else:
                    w.flat[rng.randrange(w.size)] = fill
                del g["weights"]
                g["weights"] = w
                notes.append(f"weights {fill}")
            elif op == 1 and "weights" in g:
                shape = g["weights"].shape
                new = rng.choice([(0,), (1,), shape[::-1], (shape[0], shape[1] + 1),
                                  (shape[0] - 1, shape[1]), (2, 2, 2), (shape[0] * shape[1],),
                                  (0, 0)])
                del g["weights"]
                g["weights"] = np.zeros(new, dtype=np.float32)
                notes.append(f"weights shape {new}")
            elif op == 2 and "weights" in g:
                w = g["weights"][()]
                dt = rng.choice([np.float64, np.int8, np.uint64, np.float16, np.int64])
                del g["weights"]
                g["weights"] = w.astype(dt)
                notes.append(f"weights dtype {np.dtype(dt).name}")
            elif op == 3:
                a = rng.choice(["pre_size", "post_size", "bits", "frac_bits", "shared",
                                "pre", "post", "delay_dt_ms", "shared_weight"])
                v = rng.choice([0, 1, 2**32, 2**40, 2**63 - 1, -1, 33, 255, "x", 0.5,
                                np.float32(np.nan), True])
                try:
                    if isinstance(v, int) and v >= 0:
                        g.attrs.create(a, v, dtype=np.uint64)
                    else:
                        g.attrs[a] = v
                except (TypeError, ValueError, OverflowError):
                    g.attrs[a] = str(v)
                notes.append(f"attr {a} = {v!r}")
            elif op == 4:
                for k in ("codes", "delay_steps"):
                    if k in g:
                        d = g[k][()]
                        d[...] = rng.choice([np.iinfo(d.dtype).max, 0, 1 << 15])
                        del g[k]
                        g[k] = d
                        notes.append(f"{k} max")
            elif op == 5:  # network JSON: population sizes, names
                net = json.loads(f.attrs["network"])
                pops = net.get("populations", [])
                if pops:
                    p = rng.choice(pops)
                    field = rng.choice(sorted(p))
                    p[field] = rng.choice([0, 1, 10**6, 10**9, 2**32, 2**63 - 1, -1, "x",
                                           None, 1.5, [], "exc"])
                    notes.append(f"network population {field} = {p[field]!r}")
                else:
                    net = {}
                f.attrs["network"] = json.dumps(net)
            elif op == 6:  # network JSON: other damage
                txt = f.attrs["network"]
                txt = txt if isinstance(txt, str) else txt.decode()
                net = json.loads(txt)
                tree = {"n": net}
                M.mutate_tree(rng, tree, n=rng.choice([1, 2]))
                f.attrs["network"] = json.dumps(tree.get("n", {}), default=str)
                notes.append("network json")
            elif op == 7:  # stored snn_config TOML
                txt = f.attrs["snn_config"]
                txt = txt if isinstance(txt, str) else txt.decode()
                try:
                    tree = tomllib.loads(txt)
                except tomllib.TOMLDecodeError:
                    tree = {}
                M.mutate_tree(rng, tree, keys=[k[4:] for k in M.KEYS if k.startswith("snn.")])
                f.attrs["snn_config"] = M.dumps(tree)
                notes.append("snn_config")
            elif op == 8:
                a = rng.choice(["format", "version", "network", "snn_config"])
                if a in f.attrs:
                    if rng.random() < 0.5:
                        del f.attrs[a]
                        notes.append(f"no root attr {a}")
                    else:
                        f.attrs[a] = rng.choice([1, "", "x", 2**40])
                        notes.append(f"root attr {a} changed")
            elif op == 9:
                k = rng.choice(["labels", "populations/exc/theta_mv", "projections", "populations"])
                if k in f:
                    del f[k]
                    notes.append(f"deleted {k}")
            elif op == 10 and "labels" in f:
                lab = f["labels"][()]
                new = rng.choice([lab[:-1], np.concatenate([lab, lab]), lab * 0 + 10,
                                  lab * 0 - 2, lab.astype(np.float64), np.array([], np.int16)])
                del f["labels"]
                f["labels"] = new
                notes.append("labels")
            elif op == 11 and "populations/exc/theta_mv" in f:
                th = f["populations/exc/theta_mv"][()]
                new = rng.choice([th * np.nan, th[:-1], th * 1e30, -th, np.concatenate([th, th])])
                del f["populations/exc/theta_mv"]
                f["populations/exc/theta_mv"] = new.astype(np.float32)
                notes.append("theta_mv")
            elif op == 12 and "weights" in g:  # a huge declared shape (chunked, no data)
                del g["weights"]
                g.create_dataset("weights", shape=(2**20, 2**20), dtype=np.float32,
                                 chunks=(64, 64))
                notes.append("weights 2^20 x 2^20 (sparse)")
            elif op == 13 and "weights" in g:  # scalar or string dataset
                del g["weights"]
                g["weights"] = rng.choice([np.float32(1.0), "weights"])
                notes.append("weights scalar/string")


def gen_model(rng, seeds):
    if not seeds.models:
        return None
    name, seed_bytes = rng.choice(seeds.models)
    notes = [f"seed {name}"]
    data = seed_bytes
    structural = seeds.h5py and rng.random() < 0.75
    if structural:
        fd, tmp = tempfile.mkstemp(suffix=".h5", dir=seeds.scratch)
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            try:
                _h5_mutate(rng, tmp, notes)
            except Exception as e:  # a mutation h5py itself refuses: keep what was written
                notes.append(f"(h5py: {type(e).__name__})")
            with open(tmp, "rb") as fh:
                data = fh.read()
        finally:
            os.unlink(tmp)
    if not structural or rng.random() < 0.15:
        r = rng.random()
        if r < 0.45:
            data = data[: rng.randrange(len(data) + 1)]
            notes.append(f"truncated to {len(data)} bytes")
        elif r < 0.9:
            data = M.mutate_bytes(rng, data, n=rng.choice([1, 4, 32]))
            notes.append("byte damage")
        else:
            data = rng.choice([b"", b"not hdf5", b"\x89HDF\r\n\x1a\n"])
            notes.append("not a model")
    small = M.shrink_sets(rng)
    small.pop("snn.n_excitatory")
    extra = {}
    if rng.random() < 0.2:
        extra["snn.weight_bits"] = rng.choice([1, 4, 8, 16, 32])
    if rng.random() < 0.1:
        extra["snn.dt_ms"] = rng.choice([0.25, 0.5, 1.0])
    if rng.random() < 0.65:
        argv = ["eval", *_sets({"data.test_samples": small["data.test_samples"]} | extra),
                "--model", "m.h5", "--json", "r.json"]
    else:
        argv = ["run", *_sets(small | extra | {"system.model": "m.h5"}), "--out", "t.h5"]
    return _case(argv, {"m.h5": data}, [], ", ".join(notes))


# --- sweep files ----------------------------------------------------------------------------

def gen_sweep(rng, seeds):
    command = rng.choice(["dram", "dram", "run", "RUN", "train", 1])
    tree = {"command": command}
    small = M.shrink_sets(rng)
    common = [f"{k}={M.tomlw.scalar(v)}" for k, v in small.items()]
    files = {}
    r = rng.random()
    if r < 0.15:
        tree["config"] = rng.choice(["default", "cfg.toml", "missing.toml", "../cfg.toml", "",
                                     "/dev/null", "DDR4-2400"])
        files["cfg.toml"] = M.dumps(_small_tree(rng, seeds.configs[0][1])).encode()
    tree["set"] = common if command != "dram" else []
    if rng.random() < 0.2:
        tree["set"] = tree["set"] + [rng.choice(["dram.bogus=1", "=", "x", "dram.vdd=nan",
                                                 "snn.n_excitatory=0", 5, ""])]
    if command != "run":
        tree["args"] = ["--synthetic", rng.choice(["random", "stream"]), "--requests",
                        str(rng.choice([10, 100]))]
        if rng.random() < 0.15:
            tree["args"] += rng.choice([["--bogus"], ["--out", "x"], ["--requests"], ["-j", "0"],
                                        ["--trace", "nope"], ["--requests", "-1"]])
    if rng.random() < 0.5:
        tree["mode"] = rng.choice(["grid", "zip", "zip", "GRID", "cartesian", 0])
    if rng.random() < 0.3:
        tree["share_model"] = rng.choice([True, False, "yes", 1])
    axes = {}
    n_axes = rng.choice([1, 1, 2, 2, 3])
    keys = [k for k in M.KEYS if k.startswith("dram.")] if command != "run" else M.KEYS
    huge = rng.random() < 0.03
    if huge:
        n_axes = rng.choice([8, 12, 20])
    for _ in range(n_axes):
        k = rng.choice(keys)
        nvals = rng.choice([1, 2, 2, 3]) if not huge else rng.choice([10, 30])
        vals = [M.value_for_key(rng, k) if rng.random() < 0.4 else
                rng.choice(M.ENUMS.get(k, [1, 2, 4])) for _ in range(nvals)]
        if huge:
            vals = list(range(nvals))
        axes[k] = vals
    form = rng.random()
    if form < 0.5:  # [axes] with dotted string keys
        tree["axes"] = axes
    else:  # nested tables
        nested = {}
        for k, v in axes.items():
            M.set_path(nested, tuple(k.split(".")), v)
        tree["axes"] = nested
    if rng.random() < 0.25:
        M.mutate_tree(rng, tree, n=1)
    text = M.dumps(tree)
    if rng.random() < 0.1:
        text = M.mutate_text(rng, text)
    files["s.toml"] = text.encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.6 and not huge:
        argv = ["sweep", "s.toml", "--out", "out", "-j", "1"]
    elif r < 0.9 or huge:
        argv = ["sweep", "s.toml", "--out", "out", "--dry-run"]
    else:
        argv = ["sweep", "s.toml", "--out", "out", "-j", "1", "--shard",
                rng.choice(["0/1", "0/0", "1/1", "5/2", "x", "0/18446744073709551615", "/"])]
    return _case(argv, files, [k for k in axes], "huge grid" if huge else "")


# --- command-line arguments (no input file) ---------------------------------------------------

def gen_args(rng, seeds):
    r = rng.random()
    pick = lambda *xs: str(rng.choice(xs))
    if r < 0.55:
        argv = ["dram", "--synthetic", pick("stream", "random", "strided", "bogus", ""),
                "--requests", pick(0, 1, 100, 1000, -1, "x", 1.5, 10**6),
                "--seed", pick(0, 1, M.U64_MAX, -1),
                "--stride", pick(0, 1, 64, 4096, M.U64_MAX, 2**63),
                "--write-fraction", pick(0, 0.5, 1, 1.5, -0.1, "nan", "inf", "-inf", "1e-320")]
        if rng.random() < 0.2:
            argv += ["--out", pick("/", "nodir/x.json", "", "st.json", "/dev/full")]
        if rng.random() < 0.1:
            argv += ["--command-trace", pick("/", "nodir/c.csv", "/dev/full")]
    elif r < 0.8:
        argv = ["run", *_sets(M.shrink_sets(rng) | {
            f"data.{s}_{w}": f"builtin:mnist-sample/{s}-{w}"
            for s in ("train", "test") for w in ("images", "labels")}),
            "--format", pick("hdf5", "csv", "jsonl", "HDF5", "xml", ""),
            "--out", pick("t.h5", "t", "", ".", "/", "nodir/t.h5", "t.csv", "/dev/null"),
            "--json", pick("s.json", "/", "nodir/s.json", "/dev/full")]
        if rng.random() < 0.2:
            argv.append("--learn")
    elif r < 0.9:
        argv = ["bench", pick("dram", "dram", "snn-bogus"), "--requests", pick(0, 1, 10, 100),
                "--repeat", pick(0, 1, 2, 4294967296), "--out", pick("b.json", "/")]
    else:
        argv = [pick("presets", "run", "dram", "check", "eval", "train", "sweep", "bogus", "",
                     "--help", "--version")]
        argv += rng.choice([[], ["--config"], ["--config", ""], ["-c", "nope"],
                            ["--set"], ["--set", "="], ["x", "y", "z"], ["--model", ""]])
    return _case(argv, {}, [], "arguments")


KINDS = {
    "config": gen_config,
    "set": gen_set,
    "dram_std": gen_dram_std,
    "voltage": gen_voltage,
    "trace": gen_trace,
    "cmdtrace": gen_cmdtrace,
    "model": gen_model,
    "idx": gen_idx,
    "sweep": gen_sweep,
    "args": gen_args,
}
