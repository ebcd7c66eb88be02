#!/usr/bin/env bash
# Prints "KERNEL INITRD": Debian's kernel and a busybox-static initramfs that
# runs the benchmark on a tmpfs and powers off. Downloads are cached.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs cpio
build_bench
mkdir -p "$CACHE"
cd "$CACHE"

# Debian packages are fetched once into the cache by the shared script.
export DEB_CACHE=$CACHE
deb_fetch() { "$ROOT/scripts/deb-fetch.sh" "$@" || die "deb-fetch $* failed"; }

# The kernel: linux-image-amd64 is a metapackage depending on the real one.
if ! ls linux/boot/vmlinuz-* >/dev/null 2>&1; then
	meta=$(deb_fetch linux-image-amd64)
	real=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | grep -o 'linux-image-[0-9][^ ]*-amd64' | head -1)
	[ -n "$real" ] || die "no linux-image-<version>-amd64 dependency in $meta"
	deb=$(deb_fetch "$real")
	deb_fetch "$real" './boot/vmlinuz-*' "linux/boot/vmlinuz-${real#linux-image-}"
	rm -f "$deb" # 100 MB of modules the guest does not need
fi
kernel=$(ls "$CACHE"/linux/boot/vmlinuz-* | head -1)

[ -x busybox ] || deb_fetch busybox-static /bin/busybox busybox

# The initramfs, rebuilt every time (it is small): fixed times, sorted
# names, no gzip timestamp, so the same inputs give the same bytes.
root=$OUT/initramfs
rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp busybox "$root/bin/busybox"
cp "$BIN" "$root/bin/syscall-bench"
cp "$ROOT/bench/init.sh" "$root/init"
chmod 755 "$root/init" "$root/bin/"*
find "$root" -exec touch -h -d 2026-01-01T00:00:00Z {} +
initrd=$OUT/initramfs.cpio.gz
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet -R 0:0) \
	| gzip -9 -n >"$initrd"
echo "$kernel $initrd"
