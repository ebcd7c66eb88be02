#!/usr/bin/env bash
# deb-fetch.sh PACKAGE FILE-IN-PACKAGE DEST: extracts one file of a Debian
# package (FILE may be a glob, e.g. './boot/vmlinuz-*') to DEST.
# deb-fetch.sh PACKAGE: prints the path of the package's .deb.
# The .deb is fetched with `apt-get download` once and kept in $DEB_CACHE
# (default target/debs of the repository).
set -euo pipefail
die() { echo "deb-fetch: $*" >&2; exit 1; }
[ $# -eq 1 ] || [ $# -eq 3 ] || die "usage: deb-fetch.sh PACKAGE [FILE-IN-PACKAGE DEST]"
pkg=$1
cache=${DEB_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/target/debs}
mkdir -p "$cache"
deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	(cd "$cache" && { apt-get download "$pkg" >&2 2>/dev/null \
		|| { apt-get update -qq >&2 && apt-get download "$pkg" >&2; }; }) \
		|| die "could not download Debian package $pkg"
	deb=$(ls "$cache/${pkg}"_*.deb | head -1)
fi
if [ $# -eq 1 ]; then echo "$deb"; exit 0; fi

file=$2 dest=$3
tmp=$(mktemp -d "$cache/x.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
[[ $file == ./* ]] || file=./${file#/}
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "$file" 2>/dev/null \
	|| die "no $file in $deb"
found=$(cd "$tmp" && ls -d $file | head -1)
mkdir -p "$(dirname "$dest")"
cp -f "$tmp/$found" "$dest.new" && mv -f "$dest.new" "$dest"
