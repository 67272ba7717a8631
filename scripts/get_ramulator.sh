#!/bin/sh
# Build Ramulator (1.x, CMU SAFARI, MIT) for scripts/compare_dram.py --ramulator. Its
# sources come from the crates.io package `ramulator_wrapper` (a Rust binding that ships
# the Ramulator tree; its controller queue is 512 entries, not upstream's 32), so the
# build needs only cargo's registry access and g++ (about a minute on 2 cores).
# Ramulator 2 is in no registry this project can reach.
#
#   scripts/get_ramulator.sh [DIR] [frfcfs]   # default DIR: ./ramulator; prints the binary
# With `frfcfs` its scheduler is plain FR-FCFS instead of its default FR-FCFS with a cap
# of 16 row hits (spikemem's FR-FCFS has no cap).
set -eu
DIR=${1:-ramulator}
SCHED=${2:-}
"$(dirname "$0")/copy_crate_source.sh" ramulator_wrapper 0.2.6 ramulator "$DIR"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
cd "$DIR"
if [ "$SCHED" = frfcfs ]; then
  sed -i 's/} type = Type::FRFCFS_Cap;/} type = Type::FRFCFS;/' src/Scheduler.h
  grep -q '} type = Type::FRFCFS;' src/Scheduler.h || { echo "cannot set FR-FCFS" >&2; exit 1; }
fi
mkdir -p obj
for f in src/*.cpp; do
  case "$f" in src/Main.cpp|src/Gem5Wrapper.cpp) continue ;; esac
  echo "g++ -O3 -std=c++11 -DRAMULATOR -Isrc -c $f -o obj/$(basename "$f" .cpp).o"
done | xargs -P "$(nproc)" -I{} sh -c '{}' >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
g++ -O3 -std=c++11 -DRAMULATOR -Isrc -o ramulator main.cc src/Main.cpp obj/*.o >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
echo "$(pwd)/ramulator"
