#!/usr/bin/env bash
# The bzip2 command (bzip2.c, libbz2) from the bzip2-sys crate's bundled
# bzip2 1.0.8 sources, as a static non-PIE musl executable: target/ports/bzip2.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "ports/bzip2: $*" >&2; exit 1; }
src=$("$root/scripts/crate-src.sh" bzip2-sys 0.1.13+1.0.8) || die "fetching bzip2-sys failed"
src=$src/bzip2-1.0.8
[ -f "$src/bzip2.c" ] || die "no bzip2-1.0.8/bzip2.c in the bzip2-sys crate"
out=$root/target/ports
mkdir -p "$out"
lib="blocksort huffman crctable randtable compress decompress bzlib"
musl-gcc -static -O2 -D_FILE_OFFSET_BITS=64 -o "$out/bzip2.new" "$src/bzip2.c" \
	$(for f in $lib; do echo "$src/$f.c"; done) || die "compiling bzip2 failed"
mv -f "$out/bzip2.new" "$out/bzip2"
"$root/ports/check.sh" "$out/bzip2"
# A round trip through a pipe, checked against the sample that ships with it.
"$out/bzip2" -dc <"$src/sample1.bz2" | cmp -s - "$src/sample1.ref" || die "bzip2 -d of sample1 differs"
"$out/bzip2" -c <"$src/sample1.ref" | "$out/bzip2" -dc | cmp -s - "$src/sample1.ref" || die "bzip2 round trip differs"
