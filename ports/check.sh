#!/bin/sh
# check.sh BINARY...: each is a static non-PIE executable (ET_EXEC, no
# PT_INTERP), which is what the microkernel's loader takes.
for f in "$@"; do
	readelf -h "$f" | grep -q 'EXEC (Executable' || { echo "ports: $f is not ET_EXEC" >&2; exit 1; }
	! readelf -l "$f" | grep -q INTERP || { echo "ports: $f is dynamically linked" >&2; exit 1; }
done
