#!/bin/sh
# Build DRAMsim3 (UMD's cycle-level DRAM simulator, MIT) for the side-by-side validation
# in scripts/compare_dram.py. Its sources come from the crates.io package `dramsim3`
# (a Rust binding that ships the whole DRAMsim3 tree, configs included), so the build
# needs only cargo's registry access and g++.
#
#   scripts/get_dramsim3.sh [DIR]      # default DIR: ./dramsim3 ; prints the binary's path
set -eu
DIR=${1:-dramsim3}
VERSION=0.2.2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src"
cat > "$TMP/Cargo.toml" <<EOF
[package]
name = "fetch-dramsim3"
version = "0.0.0"
edition = "2021"
[dependencies]
dramsim3 = "=$VERSION"
EOF
echo 'fn main() {}' > "$TMP/src/main.rs"
(cd "$TMP" && cargo fetch --quiet)
SRC=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "dramsim3-$VERSION" | head -1)
[ -n "$SRC" ] || { echo "dramsim3-$VERSION not found in the cargo registry" >&2; exit 1; }
rm -rf "$DIR"
cp -r "$SRC/DRAMsim3" "$DIR"
make -C "$DIR" -j"$(nproc)" dramsim3main.out >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
echo "$(cd "$DIR" && pwd)/dramsim3main.out"
