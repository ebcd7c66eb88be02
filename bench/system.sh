#!/usr/bin/env bash
# This system's run of the benchmark, the default SYSTEM_BENCH_CMD: the
# kernel with the UNIX server first (start=first), emulib, and the
# benchmark as /bin/syscall-bench, in the machine flags of this run
# (BENCH_QEMU_FLAGS), plus the exit device. No disk: without one the
# server's root is a FAT32 volume in memory, as Linux's side runs on tmpfs,
# and the run stays deterministic (a virtio disk's completions arrive in
# host time, which moves every later figure under icount). Under icount it then
# boots the Mach-level benchmarks (trampoline bounce, null RPC, a page
# served by an external pager), whose MACH lines the report prints.
set -euo pipefail
cd "$(dirname "$0")/.."
t=target
kernel=$t/kernel/x86_64-unknown-linux-gnu/release/microkernel
tasks=$t/user/x86_64-unknown-linux-gnu/release
exitdev=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
# shellcheck disable=SC2086 # the flags are words
scripts/boot "$kernel" "log=warn start=first -- /bin/syscall-bench /tmp" \
	"$tasks/unix-server" "$t/emulib/x86_64-unknown-linux-gnu/release/emulib" \
	"${BENCH_BIN:-$t/bench/syscall-bench}" -- $BENCH_QEMU_FLAGS "${exitdev[@]}"
if [ "${BENCH_MODE:-icount}" = icount ]; then
	# shellcheck disable=SC2086
	for modules in "$tasks/trampoline" "$tasks/ipc-bench server,$tasks/ipc-bench client 2000" \
		"$tasks/pager-pattern,$tasks/pager-client check 64"; do
		IFS=, read -r -a m <<<"$modules"
		scripts/boot "$kernel" "log=warn" "${m[@]}" -- $BENCH_QEMU_FLAGS "${exitdev[@]}" | grep -a '^MACH ' || true
	done
fi
