#!/usr/bin/env bash
# The QEMU configuration both kernels are measured with. Source it for the
# arrays, or run it to print the flags of a run:
#   bench/qemu-common.sh icount|wall    machine flags (+ icount for icount)
# The console (-serial stdio) is separate: the system's scripts/boot adds
# its own, so BENCH_QEMU_FLAGS can be handed to `make run` as QEMU_FLAGS.
QEMU=${QEMU:-qemu-system-x86_64}
BENCH_MACHINE_FLAGS=(-accel tcg -cpu qemu64 -m 256M -smp 1 -display none -no-reboot
	-rtc base=2026-01-01T00:00:00,clock=vm)
BENCH_CONSOLE_FLAGS=(-serial stdio -monitor none)
# Guest time advances 1 ns per guest instruction: rdtsc counts instructions.
BENCH_ICOUNT_FLAGS=(-icount shift=0,sleep=off)

# bench_flags icount|wall: the machine flags of that run, on one line.
bench_flags() {
	case $1 in
	icount) echo "${BENCH_MACHINE_FLAGS[*]} ${BENCH_ICOUNT_FLAGS[*]}" ;;
	wall) echo "${BENCH_MACHINE_FLAGS[*]}" ;;
	*) echo "qemu-common: mode must be icount or wall, not '$1'" >&2; return 2 ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	bench_flags "${1:-}"
fi
