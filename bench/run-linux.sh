#!/usr/bin/env bash
# run-linux.sh icount|wall KERNEL INITRD: boots Linux on the benchmark's
# QEMU and prints the serial console (the BENCH lines among it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/bench/qemu-common.sh"
mode=$1 kernel=$2 initrd=$3
flags=$(bench_flags "$mode") || exit 2
need_pkgs qemu-system-x86
# shellcheck disable=SC2086 # the flags are words
timeout "${BENCH_TIMEOUT:-900}" "$QEMU" $flags "${BENCH_CONSOLE_FLAGS[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet${BENCH_APPEND:+ $BENCH_APPEND}" </dev/null \
	|| die "Linux $mode run failed or timed out (status $?)"
