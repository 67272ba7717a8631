#!/bin/sh
# Build DRAMsim3 (UMD's cycle-level DRAM simulator, MIT) for the side-by-side validation
# in scripts/compare_dram.py. Its sources come from the crates.io package `dramsim3`
# (a Rust binding that ships the whole DRAMsim3 tree, configs included), so the build
# needs only cargo's registry access and g++ (15 s).
#
#   scripts/get_dramsim3.sh [DIR]      # default DIR: ./dramsim3 ; prints the binary's path
set -eu
DIR=${1:-dramsim3}
"$(dirname "$0")/copy_crate_source.sh" dramsim3 0.2.2 DRAMsim3 "$DIR"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
make -C "$DIR" -j"$(nproc)" dramsim3main.out >"$LOG" 2>&1 || { cat "$LOG" >&2; exit 1; }
echo "$(cd "$DIR" && pwd)/dramsim3main.out"
