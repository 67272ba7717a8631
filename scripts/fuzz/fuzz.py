#!/usr/bin/env python3
"""Fuzz harness for the spikemem CLI (issue 20).

Generates mutated inputs of every kind the CLI reads (configs, --set values, DRAM
standard files, voltage tables, memory traces, DRAM command traces, HDF5 models, IDX
data files, sweep files, bare arguments), runs each case through the binary in a fresh
temporary directory under a wall-time and address-space limit, and classifies it:

  ok           exit 0
  clean_error  exit 1 or 2 with a message on stderr and no "panicked at"
  panic        exit 101 or "panicked at" on stderr (or in a sweep point's log)
  signal       killed by a signal (SIGSEGV, SIGABRT, ...) other than the timeout kill
  hang         still running at the time limit (killed)
  memory       allocation failure ("memory allocation of" on stderr) under RLIMIT_AS
  other        anything else (e.g. exit 1 with nothing on stderr, another exit code)

Deterministic for a given --seed, --cases, --start and --kinds: case i draws from its
own random stream seeded with (seed, i). Failing cases are saved under --out as
case-NNNNNN/ (files/, case.json, stderr.txt, repro.sh), replayable with --replay.

Usage:
  python3 scripts/fuzz/fuzz.py --cases 1000 --seed 1 --out fuzz-out
  python3 scripts/fuzz/fuzz.py --kinds trace,model --cases 200
  python3 scripts/fuzz/fuzz.py --replay fuzz-out/case-000123
Python 3.11 stdlib; h5py + numpy (optional) for structural model mutations.
"""

import argparse
import gzip
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(HERE))
import kinds as K  # noqa: E402

REPO = HERE.parent.parent
CLASSES = ["ok", "clean_error", "panic", "signal", "hang", "memory", "other"]
LONG_STDERR = 16 * 1024  # a message longer than this is flagged (a long token echoed?)


# --- seeds --------------------------------------------------------------------------------

class Seeds:
    """Seed inputs: files from the repository, and a few made with the binary itself."""

    def __init__(self, binary, cache, kinds, log):
        self.scratch = str(cache)
        cache.mkdir(parents=True, exist_ok=True)
        rd = lambda p: p.read_text(encoding="utf-8")
        self.configs = [(p.name, rd(p)) for p in sorted((REPO / "configs").glob("*.toml"))]
        self.standards = [(p.name, rd(p)) for p in sorted((REPO / "configs/dram").glob("*.toml"))]
        extra = REPO / "arch/tests/data/lpddr2-1066.toml"
        if extra.exists():
            self.standards.append((extra.name, rd(extra)))
        self.voltages = [(p.name, rd(p))
                         for p in sorted((REPO / "configs/dram/voltage").glob("*.toml"))]
        mn = REPO / "tests/data/mnist"
        img = gzip.decompress((mn / "train-images-idx3-ubyte.gz").read_bytes())
        lab = gzip.decompress((mn / "train-labels-idx1-ubyte.gz").read_bytes())
        self.idx_images, self.idx_labels = img[16:16 + 8 * 784], lab[8:16]
        self._bombs = {}
        self._lock = threading.Lock()
        try:
            import h5py  # noqa: F401
            import numpy  # noqa: F401
            self.h5py = True
        except ImportError:
            self.h5py = False
            if "model" in kinds:
                log("notice: h5py/numpy not importable by this python "
                    f"({sys.executable}): model cases use byte-level damage only "
                    "(truncation, flips), no structural HDF5 mutations")
        self.cmds_csv = self._made(binary, cache / "cmds.csv", [
            "dram", "--synthetic", "random", "--requests", "300", "--write-fraction", "0.3",
            "--command-trace", "{out}"], log) or (
            b"cycle,command,channel,rank,bank_group,bank,subarray,row,column\n"
            b"0,ACT,0,0,0,0,0,0,0\n")
        self.models = []
        if "model" in kinds:
            base = ["train", "--set", "data.train_samples=20", "--set", "data.test_samples=2",
                    "--set", "snn.n_excitatory=10", "--set", "snn.present_ms=100.0",
                    "--out", "{out}"]
            for name, extra in [("q8", []), ("f32", ["--set", "snn.weight_bits=32"]),
                                ("delays", ["--set", "snn.input_delay_max_ms=10.0"]),
                                ("fspinn", ["--set", 'snn.model="fspinn"'])]:
                b = self._made(binary, cache / f"model-{name}.h5", base + extra, log)
                if b:
                    self.models.append((name, b))
            if not self.models:
                log("notice: no seed model could be trained: model cases skipped")

    @staticmethod
    def _made(binary, path, argv, log):
        if path.exists() and path.stat().st_size > 0:
            return path.read_bytes()
        tmp = path.with_name(path.name + ".tmp" + path.suffix)
        argv = [a.replace("{out}", str(tmp)) for a in argv]
        r = subprocess.run([str(binary)] + argv, cwd=path.parent, capture_output=True,
                           timeout=300)
        if r.returncode != 0 or not tmp.exists():
            log(f"notice: seed `{' '.join(argv)}` failed ({r.returncode}): "
                f"{r.stderr.decode(errors='replace')[-300:]}")
            return None
        tmp.rename(path)
        return path.read_bytes()

    def gzip_bomb(self, mib):
        """gzip of `mib` MiB of zeros (cached; about 1 KiB per MiB)."""
        with self._lock:
            if mib not in self._bombs:
                c = zlib.compressobj(9, zlib.DEFLATED, 31)
                chunk = bytes(1 << 20)
                out = [c.compress(b"\x00\x00\x08\x03") ]
                out += [c.compress(chunk) for _ in range(mib)]
                out.append(c.flush())
                self._bombs[mib] = b"".join(out)
            return self._bombs[mib]


# --- running a case -----------------------------------------------------------------------

def _limits(mem_bytes):
    def f():
        if mem_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Bound what a case may write (a sweep dry run of a huge grid prints a lot).
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))
    return f


def _tail(path, n):
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            if size > n:
                fh.seek(size - n)
            return size, fh.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def _head(path, n):
    try:
        with open(path, "rb") as fh:
            return fh.read(n).decode("utf-8", "replace")
    except OSError:
        return ""


def _scan_logs(root):
    """Panics / allocation failures in files a sweep's points wrote (log.txt, mNN.log)."""
    found = []
    for dp, _, fns in os.walk(root):
        for fn in fns:
            if fn.endswith(".log") or fn == "log.txt":
                p = Path(dp) / fn
                t = _head(p, 1 << 20)
                if p.stat().st_size > 1 << 20:
                    t += _tail(p, 1 << 16)[1]
                if "panicked at" in t or "memory allocation of" in t:
                    found.append((str(p.relative_to(root)), t))
    return found


def run_argv(binary, argv, files, timeout, mem_bytes, keep_dir=None):
    """Run one case in a fresh directory; returns the result dict."""
    tmp = Path(tempfile.mkdtemp(prefix="spikemem-fuzz-"))
    try:
        for name, data in files.items():
            p = tmp / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        so, se = tmp / ".stdout", tmp / ".stderr"
        env = dict(os.environ)
        env.pop("RUST_LOG", None)
        env["RUST_BACKTRACE"] = "0"
        t0 = time.monotonic()
        with open(so, "wb") as fo, open(se, "wb") as fe:
            p = subprocess.Popen([str(binary)] + argv, cwd=tmp, stdin=subprocess.DEVNULL,
                                 stdout=fo, stderr=fe, env=env, start_new_session=True,
                                 preexec_fn=_limits(mem_bytes))
            timed_out = False
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
                rc = p.wait()
            try:  # sweep points may outlive their parent: end the whole group
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        wall = time.monotonic() - t0
        err_size, err_tail = _tail(se, 8192)
        err_head = _head(se, 1 << 16)
        err = err_head + err_tail
        child = _scan_logs(tmp) if argv and argv[0] == "sweep" else []
        res = classify(rc, timed_out, err, err_size, child)
        if child:  # a sweep point's panic: its log is what tells
            name, text = child[0]
            m = text.find("panicked at")
            excerpt = text[max(0, m - 200):m + 1500] if m >= 0 else text[-1500:]
            err_tail = f"{err_tail}\n--- {name} ---\n{excerpt}"
            err_head = err_tail
        res.update(rc=rc, wall=round(wall, 3), stderr_size=err_size,
                   stderr_head=err_head[:4000], stderr_tail=err_tail[-4000:],
                   stdout_tail=_tail(so, 2000)[1])
        if keep_dir is not None:
            shutil.copytree(tmp, keep_dir, dirs_exist_ok=True)
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def classify(rc, timed_out, err, err_size, child_logs):
    flags = []
    if err_size > LONG_STDERR:
        flags.append("long_stderr")
    if timed_out:
        cls = "hang"
    elif "memory allocation of" in err:
        cls = "memory"
    elif rc == 101 or "panicked at" in err:
        cls = "panic"
    elif rc < 0:
        cls = "signal"
    elif rc == 0:
        cls = "ok"
    elif rc in (1, 2) and err.strip():
        cls = "clean_error"
    else:
        cls = "other"
    if child_logs and cls not in ("hang", "signal"):
        cls = "memory" if all("memory allocation of" in t for _, t in child_logs) else "panic"
        flags.append("in_sweep_point")
    sig = signature(cls, rc, err, child_logs)
    return {"class": cls, "flags": flags, "signature": sig}


_PANIC = re.compile(r"panicked at ([^\n]*?):(\d+):\d+:?\s*\n?([^\n]*)")


def _norm(s):
    s = re.sub(r"/tmp/[^\s:`'\"]*", "<tmp>", s)
    s = re.sub(r"0x[0-9a-fA-F]+|\d+", "N", s)
    return s.strip()[:100]


def signature(cls, rc, err, child_logs):
    text = child_logs[0][1] if child_logs else err
    if cls == "panic":
        m = _PANIC.search(text)
        if m:
            return f"panic at {m.group(1)}:{m.group(2)}: {_norm(m.group(3))}"
        return "panic (no location)"
    if cls == "signal":
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return f"{name}: {_norm(err.strip().splitlines()[-1]) if err.strip() else ''}"
    if cls == "memory":
        return "memory allocation failure"
    if cls in ("clean_error", "other"):
        first = err.strip().splitlines()[0] if err.strip() else f"(exit {rc}, no stderr)"
        return _norm(first)
    return cls


# --- the campaign ---------------------------------------------------------------------------

def case_rng(seed, i, kind):
    return random.Random(f"spikemem-fuzz:{seed}:{i}:{kind}")


def make_case(seed, i, kinds, seeds):
    kind = kinds[i % len(kinds)]
    rng = case_rng(seed, i, kind)
    c = K.KINDS[kind](rng, seeds)
    if c is None:
        return None
    c["kind"] = kind
    c["index"] = i
    return c


def repro_sh(binary, case, timeout, mem_bytes):
    args = " ".join(shlex.quote(a) for a in case["argv"])
    return f"""#!/bin/sh
# spikemem fuzz case {case['index']} (kind {case['kind']}): {case.get('result', {}).get('class')}
# {case.get('note', '')[:200]}
# Usage: repro.sh [SPIKEMEM_BINARY]   (runs in a fresh temp dir with a copy of files/)
BIN=$(realpath "${{1:-{binary}}}")
d=$(mktemp -d)
cp -r "$(dirname "$0")/files/." "$d/" 2>/dev/null
cd "$d" && ulimit -v {mem_bytes // 1024 if mem_bytes else 'unlimited'} && timeout {timeout} "$BIN" {args}
echo "exit $? (dir $d)"
"""


def save_case(out, binary, case, res, timeout, mem_bytes):
    d = out / f"case-{case['index']:06d}"
    (d / "files").mkdir(parents=True, exist_ok=True)
    for name, data in case["files"].items():
        p = d / "files" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    meta = {k: v for k, v in case.items() if k != "files"}
    meta["files"] = sorted(case["files"])
    meta["result"] = {k: v for k, v in res.items() if k not in ("stderr_head", "stderr_tail",
                                                                 "stdout_tail")}
    case["result"] = meta["result"]
    (d / "case.json").write_text(json.dumps(meta, indent=1))
    (d / "stderr.txt").write_text(res["stderr_head"] + (
        "\n[...]\n" + res["stderr_tail"] if res["stderr_size"] > len(res["stderr_head"]) else ""))
    (d / "repro.sh").write_text(repro_sh(binary, case, timeout, mem_bytes))
    os.chmod(d / "repro.sh", 0o755)
    return d


class Tally:
    def __init__(self, kinds):
        self.counts = {k: {c: 0 for c in CLASSES} for k in kinds}
        self.flags = {}
        self.sigs = {}  # (class, signature) -> {"count", "example", "kinds"}
        self.wall = 0.0
        self.n = 0
        self.skipped = 0

    def add(self, case, res, saved):
        k, c = case["kind"], res["class"]
        self.counts[k][c] += 1
        self.n += 1
        self.wall += res["wall"]
        for f in res["flags"]:
            self.flags.setdefault(f, {}).setdefault(k, 0)
            self.flags[f][k] += 1
        if c != "ok" and c != "clean_error" or "long_stderr" in res["flags"]:
            key = self.key(case, res)
            s = self.sigs.setdefault(key, {"count": 0, "example": None, "kinds": {}})
            s["count"] += 1
            s["kinds"][k] = s["kinds"].get(k, 0) + 1
            if saved and s["example"] is None:
                s["example"] = str(saved)

    @staticmethod
    def key(case, res):
        """(class, signature) a failure is grouped under in the summary."""
        c = res["class"]
        if c == "memory":
            return c, f"memory allocation failure in {case['kind']} `{case['argv'][0]}`"
        if c == "hang":
            # A changed key that is, or holds, a key that scales the work (a run from a
            # config whose [data] table was dropped runs the default 1000 + 200 samples).
            cost = sorted({t for t in case.get("touched", []) for k in K.M.COST_KEYS
                           if t and (k == t or k.startswith(t + "."))})
            return c, (f"hang in {case['kind']} `{case['argv'][0]}`" +
                       (f" (cost keys changed: {', '.join(cost)})" if cost else ""))
        return (c if c != "clean_error" else "clean_error+long_stderr"), res["signature"]

    def sig_count(self, c, sig):
        return self.sigs.get((c, sig), {"count": 0})["count"]

    def to_json(self, args, elapsed):
        return {
            "seed": args.seed, "start": args.start, "cases_run": self.n,
            "skipped": self.skipped, "elapsed_s": round(elapsed, 1),
            "mean_case_s": round(self.wall / max(self.n, 1), 3),
            "counts": self.counts,
            "totals": {c: sum(v[c] for v in self.counts.values()) for c in CLASSES},
            "flags": self.flags,
            "signatures": [{"class": c, "signature": s, **v}
                           for (c, s), v in sorted(self.sigs.items(),
                                                   key=lambda kv: (kv[0][0], -kv[1]["count"]))],
        }

    def text(self, js):
        kinds = list(self.counts)
        w = max(8, *(len(k) for k in kinds))
        lines = [f"{js['cases_run']} cases (seed {js['seed']}, start {js['start']}), "
                 f"{js['elapsed_s']} s, mean {js['mean_case_s']} s per case"]
        lines.append("kind".ljust(w) + "".join(c.rjust(12) for c in CLASSES))
        for k in kinds:
            lines.append(k.ljust(w) + "".join(str(self.counts[k][c]).rjust(12) for c in CLASSES))
        lines.append("total".ljust(w) + "".join(str(js["totals"][c]).rjust(12) for c in CLASSES))
        for f, per in self.flags.items():
            lines.append(f"flag {f}: " + ", ".join(f"{k} {n}" for k, n in per.items()))
        if js["signatures"]:
            lines.append("")
            lines.append("distinct failures (class, count, signature, kinds, example):")
            for s in js["signatures"]:
                kinds_s = ",".join(f"{k}:{n}" for k, n in s["kinds"].items())
                lines.append(f"  {s['class']:<12} {s['count']:>6}  {s['signature']}")
                lines.append(f"  {'':<12} {'':>6}  [{kinds_s}] {s['example'] or '(not saved)'}")
        return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="spikemem binary (default target/release/spikemem, "
                    "else target/debug/spikemem)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0, help="first case index (to resume or split)")
    ap.add_argument("--kinds", default="all", help="comma list of: " + ",".join(K.KINDS))
    ap.add_argument("--out", help="where failing cases and summary.json go (default: a temp dir)")
    ap.add_argument("--timeout", type=float, default=10.0, help="wall seconds per case")
    ap.add_argument("--mem-mib", type=int, default=2048, help="RLIMIT_AS per case (0: none)")
    ap.add_argument("--fail-on", default="panic,signal,hang",
                    help="classes that make the exit status 1 (add memory, other)")
    ap.add_argument("--save", default="panic,signal,hang,memory,other",
                    help="classes whose cases are saved (clean errors with a long message "
                    "are saved too)")
    ap.add_argument("--max-saved-per-signature", type=int, default=3)
    ap.add_argument("-j", "--jobs", type=int, default=1, help="cases run at once")
    ap.add_argument("--replay", metavar="CASE_DIR", help="rerun one saved case and report")
    ap.add_argument("--keep", action="store_true",
                    help="with --replay: keep the run directory (printed)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every case: index, kind, class, signature, command")
    args = ap.parse_args()

    binary = Path(args.bin) if args.bin else next(
        (p for p in (REPO / "target/release/spikemem", REPO / "target/debug/spikemem")
         if p.exists()), None)
    if binary is None or not binary.exists():
        sys.exit(f"fuzz: no spikemem binary (tried {args.bin or 'target/release, target/debug'}); "
                 "build it (cargo build --release) or pass --bin")
    binary = binary.resolve()
    mem = args.mem_mib * (1 << 20)
    fail_on = {c for c in args.fail_on.split(",") if c}
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))

    if args.replay:
        return replay(Path(args.replay), binary, args, mem, fail_on)

    kinds = list(K.KINDS) if args.kinds == "all" else [k for k in args.kinds.split(",") if k]
    bad = [k for k in kinds if k not in K.KINDS]
    if bad:
        sys.exit(f"fuzz: unknown kind(s) {bad}; known: {', '.join(K.KINDS)}")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="spikemem-fuzz-out-"))
    out.mkdir(parents=True, exist_ok=True)
    # Notices (a kind skipped or narrowed) are printed even with --quiet.
    notice = lambda m: print(m, file=sys.stderr, flush=True)
    seeds = Seeds(binary, out / "seeds", kinds, notice)
    if "model" in kinds and not seeds.models:
        kinds.remove("model")
        notice("notice: kind `model` skipped (no seed model)")
        if not kinds:
            sys.exit("fuzz: nothing to run")
    save = {c for c in args.save.split(",") if c}
    tally = Tally(kinds)
    lock = threading.Lock()
    t0 = time.monotonic()
    log(f"fuzz: {binary}, seed {args.seed}, cases {args.start}..{args.start + args.cases}, "
        f"kinds {','.join(kinds)}, timeout {args.timeout} s, RLIMIT_AS {args.mem_mib} MiB, "
        f"out {out}")

    def one(i):
        case = make_case(args.seed, i, kinds, seeds)
        if case is None:
            with lock:
                tally.skipped += 1
            return
        res = run_argv(binary, case["argv"], case["files"], args.timeout, mem)
        with lock:
            saved = None
            worth = res["class"] in save or "long_stderr" in res["flags"]
            if worth:
                c, sig = tally.key(case, res)
                # every hang is kept: they are few and slow to find
                saved_ok = (res["class"] == "hang"
                            or tally.sig_count(c, sig) < args.max_saved_per_signature)
                if saved_ok:
                    saved = save_case(out, binary, case, res, args.timeout, mem)
            tally.add(case, res, saved)
            if args.verbose:
                log(f"  case {i} {case['kind']}: {res['class']} {res['wall']}s: "
                    f"{res['signature'][:120]} | {' '.join(case['argv'])[:200]} | {case['note'][:80]}")
            elif res["class"] in fail_on and not args.quiet:
                log(f"  case {i} {case['kind']}: {res['class']}: {res['signature']}"
                    + (f" -> {saved}" if saved else ""))
            if tally.n % 200 == 0:
                js = tally.to_json(args, time.monotonic() - t0)
                (out / "summary.json").write_text(json.dumps(js, indent=1))
                (out / "summary.txt").write_text(tally.text(js) + "\n(in progress)\n")
                log(f"fuzz: {tally.n} cases, {js['elapsed_s']} s, totals {js['totals']}")

    # SIGTERM / SIGINT: finish the running case(s), write the summary, say where to resume.
    stop = threading.Event()
    for sg in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sg, lambda *_: stop.set())
    done = set()

    def step(i):
        if not stop.is_set():
            one(i)
            with lock:
                done.add(i)

    idx = range(args.start, args.start + args.cases)
    if args.jobs <= 1:
        for i in idx:
            if stop.is_set():
                break
            step(i)
    else:
        with ThreadPoolExecutor(args.jobs) as ex:
            list(ex.map(step, idx))
    js = tally.to_json(args, time.monotonic() - t0)
    if stop.is_set():
        nxt = next((i for i in idx if i not in done), args.start + args.cases)
        js["stopped"] = {"next_start": nxt}
        log(f"fuzz: stopped; cases {args.start}..{nxt} done: resume with --start {nxt} "
            f"--cases {args.start + args.cases - nxt}")
    (out / "summary.json").write_text(json.dumps(js, indent=1))
    txt = tally.text(js) + (f"\nstopped early: resume with --start {js['stopped']['next_start']}"
                            if "stopped" in js else "")
    (out / "summary.txt").write_text(txt + "\n")
    print(txt)
    print(f"\ncases saved under {out}")
    failed = {c: js["totals"][c] for c in fail_on if js["totals"].get(c)}
    if failed:
        print(f"FAIL: {failed}")
        return 1
    return 0


def replay(d, binary, args, mem, fail_on):
    meta = json.loads((d / "case.json").read_text())
    files = {}
    for name in meta["files"]:
        files[name] = (d / "files" / name).read_bytes()
    keep = Path(tempfile.mkdtemp(prefix="spikemem-replay-")) if args.keep else None
    res = run_argv(binary, meta["argv"], files, args.timeout, mem, keep_dir=keep)
    was = meta.get("result", {}).get("class")
    print(f"case {meta['index']} ({meta['kind']}): {res['class']} (recorded: {was}), "
          f"exit {res['rc']}, {res['wall']} s")
    print("command: spikemem " + " ".join(shlex.quote(a) for a in meta["argv"]))
    print(f"signature: {res['signature']}")
    if keep:
        print(f"run directory kept: {keep}")
    print("--- stderr (tail) ---")
    print(res["stderr_tail"][-3000:])
    return 1 if res["class"] in fail_on else 0


if __name__ == "__main__":
    sys.exit(main())
