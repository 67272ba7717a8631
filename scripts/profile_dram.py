#!/usr/bin/env python3
"""Where the DRAM controller's instructions go, from a callgrind profile.

    scripts/profile_dram.py run [N] [DDR4|LPDDR3] [stream|random]   # profile + summary
    scripts/profile_dram.py lines CALLGRIND BINARY FUNCTION [TOP]   # self cost per source line
    scripts/profile_dram.py guards CALLGRIND BINARY [TOP]           # executed panic guards
    scripts/profile_dram.py asm CALLGRIND BINARY FUNCTION [MIN]     # self cost per instruction

`run` builds the controller bench (`arch` example `dram_bench`, release), runs it under
valgrind's callgrind with per-instruction counts (10^5 reads by default), and prints the
instructions per request, the functions' inclusive costs and the hottest source lines of
`Channel::schedule` and `Channel::issue_at`. FUNCTION is a substring of a demangled
symbol, e.g. "Channel::schedule>" or "<dram_bench::main>" (inlined code is counted in the
function it was inlined into). Needs valgrind and binutils (objdump). Instruction counts
are deterministic; on the project's VM they track the wall clock at about 5 per cycle.
"""
import collections
import os
import re
import subprocess
import sys


def self_counts(callgrind_file):
    """Self instruction count per address (calls' inclusive costs left out)."""
    counts = collections.Counter()
    addr = 0
    skip = False
    with open(callgrind_file) as f:
        for line in f:
            if line.startswith("calls="):
                skip = True  # the next cost line is the call's inclusive cost
                continue
            m = re.match(r"^(0x[0-9a-f]+|\+\d+|-\d+|\*)\s+(?:[+-]?\d+|\*)\s+(\d+)", line)
            if not m:
                continue
            a = m.group(1)
            if a.startswith("0x"):
                addr = int(a, 16)
            elif a.startswith("+"):
                addr += int(a[1:])
            elif a.startswith("-"):
                addr -= int(a[1:])
            if skip:
                skip = False
                continue
            counts[addr] += int(m.group(2))
    return counts


def disassemble(binary):
    """(address, mnemonic, operands, source file:line, function) per instruction."""
    out = subprocess.run(
        ["objdump", "-dl", "--no-show-raw-insn", "-C", binary],
        capture_output=True, text=True, check=True,
    ).stdout
    ins, src, fn = [], None, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            fn = m.group(1)
            continue
        m = re.match(r"^(/\S+):(\d+)", line)
        if m:
            src = m.group(1).split("/")[-1] + ":" + m.group(2)
            continue
        m = re.match(r"\s*([0-9a-f]+):\s*(\S+)\s*(.*)", line)
        if m and fn:
            ins.append((int(m.group(1), 16), m.group(2), m.group(3), src, fn))
    return ins


def lines(cg, binary, function, top=40):
    counts = self_counts(cg)
    per = collections.Counter()
    for a, _, _, src, fn in disassemble(binary):
        if function in f"<{fn}>":
            per[src] += counts.get(a, 0)
    print(f"{sum(per.values()):,} instructions in {function}")
    for src, c in per.most_common(top):
        print(f"{c:14,} {src}")


def guards(cg, binary, top=40):
    """Conditional jumps to a block that calls a panic function (bounds checks)."""
    counts = self_counts(cg)
    ins = disassemble(binary)
    at = {a: i for i, (a, *_) in enumerate(ins)}

    def panics(target):
        i = at.get(target)
        if i is None:
            return False
        for op, arg in ((x[1], x[2]) for x in ins[i:i + 12]):
            if op.startswith("call"):
                return "panic" in arg
            if op.startswith(("j", "ret")):
                return False
        return False

    found = []
    for i, (a, op, arg, _, fn) in enumerate(ins):
        if op.startswith("j") and op != "jmp" and counts.get(a):
            m = re.match(r"([0-9a-f]+)", arg)
            if m and panics(int(m.group(1), 16)):
                found.append((counts[a], a, ins[i - 1][3], fn))
    found.sort(reverse=True)
    print(f"{sum(c for c, *_ in found):,} panic-guard jumps executed")
    for c, a, src, fn in found[:top]:
        print(f"{c:12,} {a:#x} {src} {fn[:60]}")


def asm(cg, binary, function, minimum=0):
    counts = self_counts(cg)
    for a, op, arg, _, fn in disassemble(binary):
        if function in f"<{fn}>" and counts.get(a, 0) >= minimum:
            print(f"{counts.get(a, 0):12,} {a:x} {op} {arg}")


def run(n="100000", standard="DDR4", pattern="stream"):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    subprocess.run(
        ["cargo", "build", "--release", "-p", "spikemem-arch", "--example", "dram_bench"],
        cwd=root, check=True,
    )
    binary = os.path.join(target, "release", "examples", "dram_bench")
    cg = f"/tmp/callgrind.dram.{standard}.{pattern}.out"
    r = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={cg}",
         binary, n, standard, pattern],
        capture_output=True, text=True, check=True,
    )
    total = int(re.search(r"refs:\s+([\d,]+)", r.stderr).group(1).replace(",", ""))
    print(r.stdout.strip())
    print(f"{total:,} instructions = {total / int(n):,.0f} per request ({cg})\n")
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", cg],
                         capture_output=True, text=True).stdout
    for line in ann.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\).*dram::controller::(\w+::\w+) \[", line)
        if m:
            print(f"{m.group(1):>14} ({m.group(2):>5}%) {m.group(3)}")
    for fn in ("Channel::schedule>", "Channel::issue_at>"):
        print()
        lines(cg, binary, fn, 15)


if __name__ == "__main__":
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "run" and len(args) <= 3:
        run(*args)
    elif cmd == "lines" and len(args) in (3, 4):
        lines(args[0], args[1], args[2], *(int(x) for x in args[3:]))
    elif cmd == "guards" and len(args) in (2, 3):
        guards(args[0], args[1], *(int(x) for x in args[2:]))
    elif cmd == "asm" and len(args) in (3, 4):
        asm(args[0], args[1], args[2], *(int(x) for x in args[3:]))
    else:
        print("\n\n".join(__doc__.strip().split("\n\n")[:2]))
        sys.exit(2)
