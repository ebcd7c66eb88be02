#!/usr/bin/env bash
# This system's run of the benchmark, the default SYSTEM_BENCH_CMD: the
# kernel with the UNIX server first (start=first), emulib, and the
# benchmark as /bin/syscall-bench, in the machine flags of this run
# (BENCH_QEMU_FLAGS), plus the exit device. The root image is attached as
# the disk when there is one, so file cases run on it once the server
# mounts it.
set -euo pipefail
cd "$(dirname "$0")/.."
t=target
disk=()
[ -f "$t/root.img" ] && disk=(-drive "file=$t/root.img,if=none,format=raw,id=d0,snapshot=on" -device virtio-blk-pci,drive=d0)
# shellcheck disable=SC2086 # the flags are words
scripts/boot "$t/kernel/x86_64-unknown-linux-gnu/release/microkernel" \
	"log=warn start=first -- /bin/syscall-bench /tmp" \
	"$t/user/x86_64-unknown-linux-gnu/release/unix-server" \
	"$t/emulib/x86_64-unknown-linux-gnu/release/emulib" \
	"${BENCH_BIN:-$t/bench/syscall-bench}" \
	-- $BENCH_QEMU_FLAGS -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${disk[@]}"
