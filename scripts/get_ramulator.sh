#!/bin/sh
# Build Ramulator (1.x, CMU SAFARI, MIT) for scripts/compare_ramulator.py. Its sources
# come from the crates.io package `ramulator_wrapper` (a Rust binding that ships the
# Ramulator tree; note its controller queue is 512 entries, not upstream's 32), so the
# build needs only cargo's registry access and g++ (about 2 minutes on 2 cores).
# Ramulator 2 is in no registry this project can reach.
#
#   scripts/get_ramulator.sh [DIR]      # default DIR: ./ramulator ; prints the binary's path
set -eu
DIR=${1:-ramulator}
VERSION=0.2.6
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src"
cat > "$TMP/Cargo.toml" <<TOML
[package]
name = "fetch-ramulator"
version = "0.0.0"
edition = "2021"
[dependencies]
ramulator_wrapper = "=$VERSION"
TOML
echo 'fn main() {}' > "$TMP/src/main.rs"
(cd "$TMP" && cargo fetch --quiet)
SRC=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "ramulator_wrapper-$VERSION" | head -1)
[ -n "$SRC" ] || { echo "ramulator_wrapper-$VERSION not found in the cargo registry" >&2; exit 1; }
rm -rf "$DIR"
cp -r "$SRC/ramulator" "$DIR"
cd "$DIR"
mkdir -p obj
for f in src/*.cpp; do
  case "$f" in src/Main.cpp|src/Gem5Wrapper.cpp) continue ;; esac
  echo "g++ -O3 -std=c++11 -DRAMULATOR -Isrc -c $f -o obj/$(basename "$f" .cpp).o"
done > "$TMP/jobs"
xargs -P "$(nproc)" -I{} sh -c '{}' < "$TMP/jobs" >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
g++ -O3 -std=c++11 -DRAMULATOR -Isrc -o ramulator main.cc src/Main.cpp obj/*.o >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
echo "$(pwd)/ramulator"
