#!/usr/bin/env bash
# Fast self-test (no QEMU): the benchmark runs natively with --quick and
# prints every case, and report.py handles canned logs with and without a
# system column. Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
CASES="getpid getppid read-devzero-1 write-devnull-1 pread-4k read-seq-64k pwrite-4k lseek
stat fstat open-close pipe-roundtrip fork-exit-wait fork-exec-wait mmap-anon-touch-page
mmap-file-fault-page signal-self clock-gettime"
pass=0 fail=0
check() { # check NAME COMMAND...
	if "${@:2}"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

build_bench
check "static ET_EXEC" bash -c "readelf -h '$BIN' | grep -q 'EXEC (Executable' && ! readelf -l '$BIN' | grep -q INTERP"
timeout 60 "$BIN" --quick "$tmp" >"$tmp/out" 2>&1; rc=$?
check "quick run exits 0" test $rc -eq 0
check "ends with BENCH-DONE" bash -c "tail -1 '$tmp/out' | grep -qx BENCH-DONE"
check "no FAILED case" bash -c "! grep -q FAILED '$tmp/out'"
for c in $CASES; do
	check "case $c positive" grep -Eq "^BENCH $c ticks=[0-9.]*[1-9][0-9.]* ns=[0-9.]*[1-9][0-9.]* iters=[1-9]" "$tmp/out"
done
check "read-seq-64k has mbps" grep -Eq '^BENCH read-seq-64k .* mbps=[0-9.]*[1-9]' "$tmp/out"
check "test files removed" bash -c "[ -z \"\$(ls '$tmp')\" ] || [ \"\$(ls '$tmp')\" = out ]"
check "--exit-now exits 0 silently" bash -c "[ -z \"\$('$BIN' --exit-now)\" ]"

# report.py on canned logs: Linux alone (n/a column), then with this system.
td=$ROOT/bench/testdata
python3 "$ROOT/bench/report.py" --out "$tmp/r1" --linux-icount "$td/linux-icount.log" \
	--linux-wall "$td/linux-wall.log" --linux-icount-repeat "$td/linux-icount-repeat.log" >"$tmp/r1.txt"
check "report alone exits 0" test $? -eq 0
check "n/a system column" grep -Eq '^getpid +316 +n/a +n/a +356 +n/a +n/a$' "$tmp/r1.txt"
check "repeatability figure" grep -q 'max relative difference 0.633% (getpid).*OK' "$tmp/r1.txt"
check "no MACH lines" grep -q 'none reported' "$tmp/r1.txt"
check "csv, json, svg written" test -s "$tmp/r1/results.csv" -a -s "$tmp/r1/results.json" -a -s "$tmp/r1/ratios.svg"
check "svg is XML" python3 -c "import xml.dom.minidom as m; m.parse('$tmp/r1/ratios.svg')"
python3 "$ROOT/bench/report.py" --out "$tmp/r2" --linux-icount "$td/linux-icount.log" \
	--linux-wall "$td/linux-wall.log" --system-icount "$td/system-icount.log" >"$tmp/r2.txt"
check "report with system exits 0" test $? -eq 0
check "instruction ratio" grep -Eq '^getpid +316 +632 +2.00x +356 +n/a +n/a$' "$tmp/r2.txt"
check "failed case shown" grep -Eq '^stat .*FAIL errno=38' "$tmp/r2.txt"
check "MACH figures" grep -q 'trampoline-bounce: ticks=44' "$tmp/r2.txt"
check "json ratio" python3 -c "
import json; d = json.load(open('$tmp/r2/results.json'))
r = {c['case']: c for c in d['cases']}
assert abs(r['fork-exit-wait']['instr_ratio'] - 3.0) < 0.01 and d['mach']['null-rpc']['ticks'] == 900"
python3 "$ROOT/bench/report.py" --out "$tmp/r4" --linux-icount "$td/linux-icount.log" \
	--linux-wall "$td/linux-wall.log" --linux-wall "$td/linux-wall-2.log" >"$tmp/r4.txt"
check "two wall runs: least kept" grep -Eq '^getpid +316 +n/a +n/a +356 ' "$tmp/r4.txt"
check "two wall runs: least kept (2)" grep -Eq '^stat +3,638 +n/a +n/a +3,000 ' "$tmp/r4.txt"
check "two wall runs: spread" grep -q 'largest spread 100.0%' "$tmp/r4.txt"
check "host load warning" grep -q 'warning: other programs kept 75% of 2 cpus busy' "$tmp/r4.txt"
check "no load warning without load" bash -c "! grep -q 'cpus busy' '$tmp/r1.txt'"
python3 "$ROOT/bench/report.py" --out "$tmp/r3" --linux-icount "$td/linux-icount.log" \
	--linux-icount-repeat "$td/linux-icount-repeat.log" --max-drift 0.5 >/dev/null
check "drift over target fails" test $? -eq 3

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
