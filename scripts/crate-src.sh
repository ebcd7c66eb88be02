#!/usr/bin/env bash
# crate-src.sh CRATE VERSION: prints the directory of that crate's source,
# fetched from the registry by `cargo fetch` (into ~/.cargo/registry/src)
# through a throw-away manifest under target/ports/crates/.
set -euo pipefail
die() { echo "crate-src: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: crate-src.sh CRATE VERSION"
crate=$1 version=$2
dir=$(cd "$(dirname "$0")/.." && pwd)/target/ports/crates/$crate-$version
mkdir -p "$dir/src"
: >"$dir/src/lib.rs"
cat >"$dir/Cargo.toml" <<TOML
[package]
name = "fetch-$crate"
version = "0.0.0"
edition = "2021"
[workspace]
[dependencies]
$crate = "=$version"
TOML
cargo fetch --quiet --manifest-path "$dir/Cargo.toml" >&2 || die "cargo fetch of $crate $version failed"
cargo metadata --quiet --format-version 1 --manifest-path "$dir/Cargo.toml" \
	| python3 -c 'import json, sys, os
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]: print(os.path.dirname(p["manifest_path"]))' "$crate" \
	| grep . || die "no $crate $version in cargo metadata"
