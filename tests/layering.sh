#!/bin/sh
# tests/layering.sh - the directories depend on each other one way only
# (HACKING.md "Layout"): each may include the public headers of the
# directories listed for it below and nothing else, and no directory
# includes another's internal header (NAME-internal.h); tools/ names no
# behaviour of the era tables.  A new dependency
# is a design change: add it here only if it keeps the order acyclic.
set -u

top_srcdir=${top_srcdir:-.}
cd "$top_srcdir" || exit 99
fails=0
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT

allowed() {
	case $1 in
	util)		echo "" ;;
	p2m)		echo "util" ;;
	e820)		echo "util" ;;
	debugfs-dump)	echo "util p2m" ;;
	hv)		echo "util p2m e820" ;;
	xen)		echo "util e820" ;;
	setup)		echo "util p2m e820 hv xen" ;;
	balloon)	echo "util p2m e820 hv xen setup" ;;
	sim)		echo "util p2m e820 hv xen setup balloon debugfs-dump" ;;
	live)		echo "util p2m e820 hv xen setup balloon debugfs-dump sim" ;;
	doctor)		echo "util p2m e820 hv xen setup balloon debugfs-dump sim" ;;
	tools)		echo "util p2m e820 hv xen setup balloon debugfs-dump sim live doctor" ;;
	*)		echo "?" ;;
	esac
}

dirs="util p2m e820 debugfs-dump hv xen setup balloon sim live doctor tools"
checked=0
for dir in $dirs; do
	ok=$(allowed "$dir")
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		checked=$((checked + 1))
		grep -o '^#include "[a-z0-9-]*/[a-z0-9_.-]*"' "$f" | sed 's/^#include "//; s/"$//' |
		while read -r inc; do
			d=${inc%%/*}
			[ "$d" = "$dir" ] && continue
			case " $ok " in
			*" $d "*) ;;
			*) echo "FAIL: $f includes $inc: $dir may not depend on $d"; echo x >>"$tmp" ;;
			esac
			case $inc in
			*-internal.h) echo "FAIL: $f includes $inc, internal to $d"; echo x >>"$tmp" ;;
			esac
		done
	done
done
# Every directory of code is in the order above and has its row in
# HACKING.md's layout table.
for d in */; do
	d=${d%/}
	case " $dirs tests bench " in
	*" $d "*) ;;
	*) if ls "$d"/*.c >/dev/null 2>&1; then
		echo "FAIL: $d/ holds code but has no place in the order (allowed() above)"
		echo x >>"$tmp"
	   fi ;;
	esac
done
for dir in $dirs; do
	if ! grep -q "^| \`$dir/\`" HACKING.md; then
		echo "FAIL: HACKING.md's layout table has no row for $dir/"
		echo x >>"$tmp"
	fi
done
# Eras are decided in the models (setup/, xen/) and printed by sim/: the
# command only parses options and prints what the library gives it.
if grep -n 'kernel_has\|xen_has\|\bKB_[A-Z]\|\bXB_[A-Z]\|KERNEL_FAMILY_' tools/*.c tools/*.h; then
	echo "FAIL: tools/ decides by kernel or Xen behaviour (the lines above)"
	echo x >>"$tmp"
fi
fails=$(wc -l <"$tmp")
if [ "$fails" -gt 0 ]; then
	echo "layering: $fails problem(s)"
	exit 1
fi
echo "layering: $checked files, every include follows the order"
