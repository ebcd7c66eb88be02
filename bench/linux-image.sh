#!/usr/bin/env bash
# Prints "KERNEL INITRD": Debian's kernel and a busybox-static initramfs that
# runs the benchmark on a tmpfs and powers off. Downloads are cached.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs cpio
build_bench
mkdir -p "$CACHE"
cd "$CACHE"

# download PKG: the .deb of PKG in the cache (apt-get download, once).
download() {
	local deb
	deb=$(ls "$1"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		apt-get download "$1" >&2 2>/dev/null || { apt-get update -qq >&2 && apt-get download "$1" >&2; } \
			|| die "could not download Debian package $1"
		deb=$(ls "$1"_*.deb | head -1)
	fi
	echo "$CACHE/$deb"
}

# The kernel: linux-image-amd64 is a metapackage depending on the real one.
if ! ls linux/boot/vmlinuz-* >/dev/null 2>&1; then
	meta=$(download linux-image-amd64)
	real=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | grep -o 'linux-image-[0-9][^ ]*-amd64' | head -1)
	[ -n "$real" ] || die "no linux-image-<version>-amd64 dependency in $meta"
	deb=$(download "$real")
	rm -rf linux.tmp && mkdir linux.tmp
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C linux.tmp --wildcards './boot/vmlinuz-*' \
		|| die "no /boot/vmlinuz-* in $deb"
	rm -rf linux && mv linux.tmp linux
	rm -f "$deb" # 100 MB of modules the guest does not need
fi
kernel=$(ls "$CACHE"/linux/boot/vmlinuz-* | head -1)

if [ ! -x busybox ]; then
	deb=$(download busybox-static)
	rm -rf bb.tmp && dpkg-deb -x "$deb" bb.tmp && cp bb.tmp/bin/busybox busybox && rm -rf bb.tmp \
		|| die "no /bin/busybox in $deb"
fi

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
