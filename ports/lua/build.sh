#!/usr/bin/env bash
# Lua 5.4 from the lua-src crate's library sources plus our own front end
# (main.c), as a static non-PIE musl executable: target/ports/lua.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "ports/lua: $*" >&2; exit 1; }
src=$("$root/scripts/crate-src.sh" lua-src 551.1.0) || die "fetching lua-src failed"
src=$(ls -d "$src"/lua-5.4*/ 2>/dev/null | tail -1) || true
[ -f "$src/lapi.c" ] || die "no lua-5.4*/ sources in the lua-src crate"
out=$root/target/ports
mkdir -p "$out"
# The crate ships the library only (no lua.c): our own front end, main.c.
musl-gcc -static -O2 -DLUA_USE_POSIX -I"$src" -o "$out/lua.new" \
	"$root/ports/lua/main.c" "$src"/*.c -lm || die "compiling Lua failed"
mv -f "$out/lua.new" "$out/lua"
"$root/ports/check.sh" "$out/lua"
[ "$("$out/lua" -e 'print(1+1)')" = 2 ] || die "lua -e 'print(1+1)' did not print 2"
