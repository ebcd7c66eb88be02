#!/usr/bin/env bash
# run-linux.sh icount|wall KERNEL INITRD: boots Linux on the benchmark's
# QEMU and prints the serial console (the BENCH lines among it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/bench/qemu-common.sh"
mode=$1 kernel=$2 initrd=$3
case $mode in
icount) extra=("${BENCH_ICOUNT_FLAGS[@]}") ;;
wall) extra=() ;;
*) die "run-linux.sh: mode must be icount or wall, not $mode" ;;
esac
need_pkgs qemu-system-x86
timeout "${BENCH_TIMEOUT:-900}" "$QEMU" "${BENCH_QEMU_FLAGS[@]}" "${extra[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet" </dev/null \
	|| die "Linux $mode run failed or timed out (status $?)"
