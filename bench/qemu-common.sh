#!/usr/bin/env bash
# The QEMU configuration both kernels are measured with. Source it for the
# arrays, or run it to print them:  bench/qemu-common.sh [flags|icount]
# (the system's run takes the same: `$(shell bench/qemu-common.sh flags)`).
QEMU=${QEMU:-qemu-system-x86_64}
BENCH_QEMU_FLAGS=(-accel tcg -cpu qemu64 -m 256M -smp 1 -display none -no-reboot
	-serial stdio -monitor none -rtc base=2026-01-01T00:00:00,clock=vm)
# Guest time advances 1 ns per guest instruction: rdtsc counts instructions.
BENCH_ICOUNT_FLAGS=(-icount shift=0,sleep=off)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-flags}" in
	flags) echo "${BENCH_QEMU_FLAGS[*]}" ;;
	icount) echo "${BENCH_ICOUNT_FLAGS[*]}" ;;
	*) echo "usage: $0 [flags|icount]" >&2; exit 2 ;;
	esac
fi
