#!/usr/bin/env bash
# Compare the DRAM speed of two or more spikemem builds on a noisy machine.
#
#   scripts/ab_bench.sh [-c COPIES] [-r ROUNDS] [-n REQUESTS] BIN_A BIN_B [...]
#
# Each BIN is a `spikemem` binary (e.g. a release build of each commit). On a VM a
# binary's speed drifts from minute to minute, and a given binary *file* can run fast or
# slow depending on where its pages land in memory (on this project's VM one copy of a
# build ran 25% slower than two other copies of the same file, run after run). So every
# binary is copied COPIES times (fresh pages), the copies run `spikemem bench dram`
# interleaved for ROUNDS rounds, and per binary and case the script prints the best rate
# and the median over the copies of each copy's best, in M requests/s.
set -euo pipefail

copies=3
rounds=2
requests=1000000
while getopts "c:r:n:h" opt; do
  case $opt in
    c) copies=$OPTARG ;;
    r) rounds=$OPTARG ;;
    n) requests=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ]; then
  sed -n '2,12p' "$0"
  exit 2
fi
for b in "$@"; do
  if [ ! -x "$b" ]; then
    echo "ab_bench.sh: \`$b\` is not an executable spikemem binary" >&2
    exit 2
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
names=()
for i in $(seq 1 $#); do
  b=${!i}
  names+=("$i:$(basename "$b")")
  for j in $(seq "$copies"); do
    cp "$b" "$work/bin$i.$j"
  done
done

# One run per case and process (builds before `--repeat` make one anyway).
once=()
for i in $(seq 1 $#); do
  if "$work/bin$i.1" bench dram --help 2>/dev/null | grep -q -- --repeat; then
    once[$i]="--repeat 1"
  fi
done
for r in $(seq "$rounds"); do
  for j in $(seq "$copies"); do
    for i in $(seq 1 $#); do
      # shellcheck disable=SC2086
      "$work/bin$i.$j" bench dram ${once[$i]:-} --requests "$requests" 2>/dev/null |
        awk -v b="$i" -v c="$j" '/requests\/s/ {print b, c, $1, $2, $5}'
    done
  done
done > "$work/runs.txt"

python3 - "$work/runs.txt" "${names[@]}" <<'PY'
import collections, statistics, sys
names = dict(n.split(":", 1) for n in sys.argv[2:])
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    b, c, std, kind, rate = line.split()
    runs[(std, kind, b)][c].append(float(rate))
print("%-24s %-28s %7s %7s  (M requests/s; median of the copies' bests)"
      % ("case", "binary", "best", "median"))
for (std, kind, b) in sorted(runs):
    bests = [max(v) for v in runs[(std, kind, b)].values()]
    print("%-24s %-28s %7.2f %7.2f"
          % (std + " " + kind, names[b], max(bests), statistics.median(bests)))
PY
