#!/bin/sh
# Side-by-side validation: run spikemem, DRAMsim3 and Ramulator 2 on the same memory
# trace and standard, and print total cycles and row-hit rate of each.
#
#   scripts/compare_dram.sh [stream|random] [REQUESTS]
# Environment: DRAMSIM3=/path/to/dramsim3main (and DRAMSIM3_CONFIG=.../DDR4_8Gb_x8_2400.ini),
#              RAMULATOR2=/path/to/ramulator2 (and RAMULATOR2_CONFIG=a DDR4-2400R YAML config).
# A simulator whose variable is unset is skipped. spikemem's DDR4-2400 preset is the part
# of DRAMsim3's DDR4_8Gb_x8_2400.ini (JEDEC CWL 12 / tWR 18 where that file has 16 / 19).
set -eu
KIND=${1:-stream}
N=${2:-100000}
SPIKEMEM=${SPIKEMEM:-spikemem}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 - "$KIND" "$N" "$DIR" <<'PY'
import random, sys
kind, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(1)
cap = 8 << 30
addrs = [(i * 64) % cap for i in range(n)] if kind == "stream" else [random.randrange(cap // 64) * 64 for _ in range(n)]
with open(f"{d}/ramulator.trace", "w") as f:
    f.writelines(f"LD 0x{a:x}\n" for a in addrs)
with open(f"{d}/dramsim3.trace", "w") as f:
    f.writelines(f"0x{a:x} READ 0\n" for a in addrs)
PY
echo "== spikemem (DDR4-2400, $KIND, $N reads)"
"$SPIKEMEM" dram --trace "$DIR/ramulator.trace" --trace-format ramulator --out "$DIR/s.json" >/dev/null
python3 -c "import json;s=json.load(open('$DIR/s.json'));print('cycles', s['cycles'], 'row_hit_rate', round(s['row_hit_rate'],4))"
if [ -n "${DRAMSIM3:-}" ]; then
  echo "== DRAMsim3"
  "$DRAMSIM3" "${DRAMSIM3_CONFIG:?set DRAMSIM3_CONFIG}" -t "$DIR/dramsim3.trace" -o "$DIR" >/dev/null
  python3 -c "import json,glob;s=json.load(open(glob.glob('$DIR/*.json')[0]));c=s['0'];h=c['num_read_row_hits'];r=c['num_reads_done'];print('cycles', c['num_cycles'], 'row_hit_rate', round(h/max(r,1),4))"
fi
if [ -n "${RAMULATOR2:-}" ]; then
  echo "== Ramulator 2"
  "$RAMULATOR2" -f "${RAMULATOR2_CONFIG:?set RAMULATOR2_CONFIG}" -p "Frontend.path=$DIR/ramulator.trace" | grep -E "memory_system_cycles|row_hits|row_misses|row_conflicts"
fi
