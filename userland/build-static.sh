#!/bin/sh
# Build the shell and tools as static, non-PIE x86_64 Linux executables
# (ET_EXEC, no PT_INTERP): the microkernel's loader takes ET_EXEC only.
# Usage: userland/build-static.sh [install-dir]   (run from the repo root)
set -e
export RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static -C strip=debuginfo"
cargo build --release -p userland --target x86_64-unknown-linux-gnu --target-dir target/userland
out=target/userland/x86_64-unknown-linux-gnu/release
for f in "$out"/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    if readelf -l "$f" | grep -q INTERP; then
        echo "error: $f is dynamically linked" >&2
        exit 1
    fi
done
if [ -n "$1" ]; then
    mkdir -p "$1"
    for f in "$out"/*; do
        [ -f "$f" ] && [ -x "$f" ] && cp -f "$f" "$1/$(basename "$f").new" && mv -f "$1/$(basename "$f").new" "$1/$(basename "$f")"
    done
    # `[` is the test binary under another name (it checks argv[0]).
    cp "$out/test" "$1/["
fi
