#!/usr/bin/env bash
# Check that two spikemem builds make the same DRAM decisions, before a speed claim.
#
#   scripts/same_dram_results.sh BIN_OLD BIN_NEW
#
# Runs `spikemem dram` with both binaries on synthetic streams (stream, random,
# strided) and on a mixed read/write trace, under several controller configurations
# (SALP modes, row policies, FCFS, power-down and self-refresh, ranks, DDR3, DDR3L at
# reduced voltage, LPDDR3, a small queue), and compares the whole stats.json (all but
# the wall-clock fields) and, on the trace, command traces byte for byte. Prints each
# difference; exits 1 if any.
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,9p' "$0"
  exit 2
fi
old=$1
new=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 40,000 requests, 30% writes, half of them random, half continuing a stream (8 GiB).
awk 'BEGIN { srand(5); a = 0;
  for (i = 0; i < 40000; i++) {
    if (rand() < 0.5) a = int(rand() * 134217728) * 64; else a = (a + 64) % 8589934592;
    printf "%s 0x%x\n", (rand() < 0.3 ? "ST" : "LD"), a } }' > "$work/mix.trace"

configs=(
  ""
  "--set dram.salp=\"masa\""
  "--set dram.salp=\"salp2\" --set dram.row_policy=\"closed\""
  "--set dram.row_policy=\"timeout\" --set dram.ranks=2"
  "--set dram.scheduler=\"fcfs\" --set dram.salp=\"salp1\""
  "--set dram.power_down_after_cycles=20 --set dram.self_refresh_after_cycles=200 --set dram.ranks=4"
  "--set dram.standard=\"LPDDR3-1600\" --set dram.ranks=2"
  "--set dram.queue_depth=8"
  "--set dram.standard=\"DDR3-1600-x8\" --set dram.salp=\"salp1\""
  "--set dram.standard=\"DDR3L-1600\" --set dram.vdd=1.1 --set dram.ranks=2"
  "--set dram.standard=\"LPDDR3-1600\" --set dram.salp=\"masa\" --set dram.row_policy=\"closed\""
)

differ=0
compare() { # what, then the arguments of `spikemem dram` after the binary
  local what=$1
  shift
  for v in old new; do
    local bin=$old
    [ "$v" = new ] && bin=$new
    eval "\"$bin\" dram $* --out \"$work/$v.json\"" > /dev/null
    grep -v -E '"(wall_seconds|requests_per_second)"' "$work/$v.json" > "$work/$v.stats"
  done
  if ! cmp -s "$work/old.stats" "$work/new.stats"; then
    echo "DIFFERENT stats: $what"
    differ=1
  fi
}

for c in "${configs[@]}"; do
  for syn in stream random strided; do
    compare "--synthetic $syn $c" --synthetic $syn --requests 30000 --seed 3 "$c"
  done
  compare "mixed trace $c" --trace "$work/mix.trace" "$c"
done
# Command traces on the mixed trace.
for c in "" "--set dram.salp=\"masa\"" "--set dram.power_down_after_cycles=20 --set dram.ranks=2" \
  "--set dram.standard=\"LPDDR3-1600\""; do
  for v in old new; do
    bin=$old
    [ "$v" = new ] && bin=$new
    eval "\"$bin\" dram --trace \"$work/mix.trace\" $c --command-trace \"$work/$v.csv\"" > /dev/null
  done
  if ! cmp -s "$work/old.csv" "$work/new.csv"; then
    echo "DIFFERENT command trace: mixed trace $c"
    differ=1
  fi
done
if [ $differ = 0 ]; then
  echo "same results: ${#configs[@]} configurations x (3 synthetic streams + a mixed trace), and 4 command traces"
fi
exit $differ
