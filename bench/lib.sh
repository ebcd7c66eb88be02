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

# host_busy: "HOST busy <percent of all CPUs busy over 1 s> cpus <n>", taken
# between runs, i.e. what other users of the machine are doing.
host_busy() {
	local a b
	a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
	local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
	for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
	echo "HOST busy $(( total > 0 ? 100 * (total - idle) / total : 0 )) cpus $(nproc)"
}
