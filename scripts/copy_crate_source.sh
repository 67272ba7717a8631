#!/bin/sh
# Copy folder SUBDIR of a crates.io package's sources to DEST (replacing it), fetching
# the package with cargo first: the reference simulators the `dramsim3` and
# `ramulator_wrapper` packages ship. Needs only cargo's registry access.
#
#   scripts/copy_crate_source.sh CRATE VERSION SUBDIR DEST
set -eu
CRATE=$1
VERSION=$2
SUBDIR=$3
DEST=$4
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src"
printf '[package]\nname = "fetch-%s"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = "=%s"\n' \
  "$CRATE" "$CRATE" "$VERSION" > "$TMP/Cargo.toml"
echo 'fn main() {}' > "$TMP/src/main.rs"
(cd "$TMP" && cargo fetch --quiet)
SRC=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "$CRATE-$VERSION" | head -1)
[ -n "$SRC" ] || { echo "$CRATE-$VERSION not found in the cargo registry" >&2; exit 1; }
rm -rf "$DEST"
cp -r "$SRC/$SUBDIR" "$DEST"
