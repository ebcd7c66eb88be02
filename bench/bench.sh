#!/usr/bin/env bash
# `make bench`: Linux on QEMU twice under icount (instructions, and the
# repeatability check) and once without (wall time); this system too when
# SYSTEM_BENCH_CMD is set; then the table, CSV, JSON and chart.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
set -- $("$ROOT/bench/linux-image.sh")
kernel=$1 initrd=$2
logs=$OUT/logs
mkdir -p "$logs"
say "initramfs sha256 $(sha256sum "$initrd" | cut -c1-16), kernel $(basename "$kernel")"

for run in icount icount-repeat wall; do
	say "Linux, $run run"
	"$ROOT/bench/run-linux.sh" "${run%-repeat}" "$kernel" "$initrd" >"$logs/linux-$run.log" 2>&1 \
		|| { tail -20 "$logs/linux-$run.log" >&2; die "Linux $run run failed (log: $logs/linux-$run.log)"; }
done

# This system: SYSTEM_BENCH_CMD runs from the repository root, once per mode,
# with BENCH_MODE=icount|wall and BENCH_QEMU_FLAGS (that run's machine flags,
# without the console) in its environment; its stdout+stderr is the log.
system=()
rm -f "$logs"/system-*.log
if [ -n "${SYSTEM_BENCH_CMD:-}" ]; then
	. "$ROOT/bench/qemu-common.sh"
	for mode in icount wall; do
		say "this system, $mode run: $SYSTEM_BENCH_CMD"
		(cd "$ROOT" && BENCH_MODE=$mode BENCH_QEMU_FLAGS="$(bench_flags $mode)" \
			timeout "${BENCH_TIMEOUT:-900}" bash -c "$SYSTEM_BENCH_CMD") </dev/null >"$logs/system-$mode.log" 2>&1 \
			|| say "this system's $mode run exited with status $? (log: $logs/system-$mode.log)"
		system+=(--system-$mode "$logs/system-$mode.log")
	done
else
	say "SYSTEM_BENCH_CMD not set: this system's column is n/a"
fi

python3 "$ROOT/bench/report.py" --out "$OUT" \
	--linux-icount "$logs/linux-icount.log" --linux-icount-repeat "$logs/linux-icount-repeat.log" \
	--linux-wall "$logs/linux-wall.log" "${system[@]}" | tee "$OUT/report.txt"
