#!/bin/busybox sh
# /init of the Linux benchmark initramfs: run the benchmark, power off.
B=/bin/busybox
$B mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t tmpfs -o size=64m tmp /tmp
# No address-space randomisation: the same addresses every run.
echo 0 >/proc/sys/kernel/randomize_va_space
echo "BENCH-INFO kernel $($B uname -r) cmdline $($B cat /proc/cmdline)"
for v in /sys/devices/system/cpu/vulnerabilities/*; do
	echo "BENCH-INFO vuln ${v##*/}: $($B cat "$v")"
done
# BENCH_ARGS: from the kernel command line (BENCH_APPEND=BENCH_ARGS=--verbose).
/bin/syscall-bench $BENCH_ARGS /tmp
$B poweroff -f
