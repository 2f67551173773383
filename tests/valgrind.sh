#!/bin/sh
# tests/valgrind.sh - the p2msim command under valgrind memcheck over every
# file in tests/data/: "e820" on each file (in turn: as read; sanitized
# with mem=/memmap= applied, printed as JSON; its second map as Xen prints
# it), "diff" on every pair of P2M descriptions, and the error paths (a map given to diff, junk, a missing
# file).  Any memcheck error or leak (definite, indirect or possible) fails.
#
#   tests/valgrind.sh            from a build directory (or with top_srcdir
#                                and top_builddir set), e.g. "make check-valgrind"
#
# Not part of "make check" (about a minute); tests/run-all runs it.
# Needs a build without sanitizers (valgrind and ASan do not mix).
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed"; exit 77; }
[ "${P2MSIM_SANITIZERS:-no}" = yes ] && { echo "sanitizer build: valgrind does not apply"; exit 77; }
if nm "$top_builddir/.libs/p2msim" 2>/dev/null | grep -q __asan_init; then
	echo "sanitizer build: valgrind does not apply"
	exit 77
fi

DATA="$top_srcdir/tests/data"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
runs=0
fails=0

vg() { # ARGS...: run p2msim under memcheck; exit 99 means memcheck found something
	runs=$((runs + 1))
	"$top_builddir/libtool" --mode=execute valgrind -q --tool=memcheck \
		--error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible \
		--log-file="$tmp/vg.%p" "$top_builddir/p2msim" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 99 ] || [ "$rc" -gt 2 ]; then
		echo "FAIL: p2msim $* (exit $rc)"
		cat "$tmp"/vg.* 2>/dev/null | head -40
		fails=$((fails + 1))
	fi
	rm -f "$tmp"/vg.*
}

head -c 2048 /dev/urandom >"$tmp/junk"
# every file once; the printers and the mem=/memmap= path take turns
n=0
for f in "$DATA"/e820/* "$DATA"/xen-lab/* "$DATA"/dump/*; do
	case $f in */README) continue ;; esac
	n=$((n + 1))
	case $((n % 3)) in
	0) vg e820 "$f" ;;
	1) vg e820 --sanitize --cmdline 'mem=3G memmap=64M$256M memmap=1M%2G-1+2' --format json "$f" ;;
	2) vg e820 --map 1 --format xen "$f" ;;
	esac
done
vg e820 --list-maps "$DATA/e820/001-msi-h61m-i3-2100-xen41-dom0-3.8.txt"
vg e820 --format memmap "$DATA/e820/007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt"
vg e820 "$tmp/junk"
vg e820 "$tmp/no-such-file"
for a in "$DATA"/dump/*.txt; do
	for b in "$DATA"/dump/*.txt; do
		vg diff "$a" "$b"
	done
	vg diff --union --modern-quirk=on "$a" "$DATA/e820/012-qemu-i440fx-512M-kvm-guest-5.15.txt"
done
vg diff "$tmp/junk" "$tmp/junk"
for f in "$top_srcdir"/tests/fuzz/seeds/dump/*; do
	vg diff "$f" "$DATA/dump/lab-pc-5G-dom0-4G.txt"
done

echo "$runs runs under memcheck, $fails failed"
[ "$fails" -eq 0 ]
