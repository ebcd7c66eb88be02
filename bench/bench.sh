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

# Wall time on a shared host is noisy: BENCH_WALL_RUNS runs, the least kept.
walls=$(seq 1 "${BENCH_WALL_RUNS:-2}")
rm -f "$logs"/*.log
for run in icount icount-repeat $(printf 'wall-%s ' $walls); do
	say "Linux, $run run"
	host_busy >"$logs/linux-$run.log"
	"$ROOT/bench/run-linux.sh" "${run%%-*}" "$kernel" "$initrd" >>"$logs/linux-$run.log" 2>&1 \
		|| { tail -20 "$logs/linux-$run.log" >&2; die "Linux $run run failed (log: $logs/linux-$run.log)"; }
done

# This system: SYSTEM_BENCH_CMD runs from the repository root, once per mode,
# with BENCH_MODE=icount|wall, BENCH_QEMU_FLAGS (that run's machine flags,
# without the console) and BENCH_BIN in its environment; its stdout+stderr
# is the log.
# BENCH_EXTRA_DIR holds bin/syscall-bench, ready for `make image EXTRA=dir`.
system=()
if [ -n "${SYSTEM_BENCH_CMD:-}" ]; then
	. "$ROOT/bench/qemu-common.sh"
	extra=$OUT/system-extra
	rm -rf "$extra" && mkdir -p "$extra/bin" && cp "$BIN" "$extra/bin/syscall-bench"
	for run in icount icount-repeat $(printf 'wall-%s ' $walls); do
		mode=${run%%-*} log=$logs/system-$run.log
		say "this system, $run run: $SYSTEM_BENCH_CMD"
		host_busy >"$log"
		(cd "$ROOT" && BENCH_MODE=$mode BENCH_QEMU_FLAGS="$(bench_flags $mode)" \
			BENCH_BIN=$BIN BENCH_EXTRA_DIR=$extra \
			timeout "${BENCH_TIMEOUT:-900}" bash -c "$SYSTEM_BENCH_CMD") </dev/null >>"$log" 2>&1 \
			|| say "this system's $run run exited with status $? (log: $log)"
		case $run in
		icount-repeat) system+=(--system-icount-repeat "$log") ;;
		*) system+=(--system-$mode "$log") ;;
		esac
	done
else
	say "SYSTEM_BENCH_CMD not set: this system's column is n/a"
fi

python3 "$ROOT/bench/report.py" --out "$OUT" \
	--linux-icount "$logs/linux-icount.log" --linux-icount-repeat "$logs/linux-icount-repeat.log" \
	$(printf -- "--linux-wall $logs/linux-wall-%s.log " $walls) "${system[@]}" | tee "$OUT/report.txt"
exit "${PIPESTATUS[0]}"
