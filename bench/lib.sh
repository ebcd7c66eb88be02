# Shared by the bench scripts (sourced). Paths are relative to the repository.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}
CACHE=$OUT/cache
BIN=$OUT/syscall-bench

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

# need_pkgs PKG...: installs the Debian packages that are missing.
need_pkgs() {
	local missing=() p
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2 \
		|| die "apt-get install failed for: ${missing[*]}"
}

# build_bench: the benchmark as a static ET_EXEC, rebuilt when the source changes.
build_bench() {
	need_pkgs musl-tools
	mkdir -p "$OUT"
	if [ ! -x "$BIN" ] || [ "$ROOT/bench/syscall-bench.c" -nt "$BIN" ]; then
		musl-gcc -static -O2 -Wall -Wextra -o "$BIN" "$ROOT/bench/syscall-bench.c" || die "building syscall-bench failed"
	fi
}
