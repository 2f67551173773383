#!/bin/sh
# tests/fuzz/replay.sh - "make check" runs every fuzz target over its seed
# corpus and over every saved finding in tests/data/fuzz-regressions/TARGET/
# (inputs that once crashed, hung or broke a property).  A target aborts on a
# broken property, and under --enable-sanitizers on any memory error, leak
# or undefined behaviour, so each saved finding fails this test on the code
# it was found in.
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/fuzz/targets.sh"
fails=0

for t in $FUZZ_TARGETS; do
	prog="$top_builddir/tests/fuzz/fuzz-$t"
	files=
	for d in $(fuzz_seed_dirs "$t") "tests/data/fuzz-regressions/$t"; do
		[ -d "$top_srcdir/$d" ] || continue
		for f in "$top_srcdir/$d"/*; do
			[ -f "$f" ] && files="$files $f"
		done
	done
	[ -n "$files" ] || { echo "FAIL: $t: no seeds"; fails=$((fails + 1)); continue; }
	# shellcheck disable=SC2086
	if ! "$prog" $files >"fuzz-replay-$t.log" 2>&1; then
		echo "FAIL: fuzz-$t on its seeds and regressions:"
		tail -30 "fuzz-replay-$t.log"
		fails=$((fails + 1))
	else
		echo "ok: fuzz-$t: $(echo $files | wc -w) inputs"
		rm -f "fuzz-replay-$t.log"
	fi
done
[ "$fails" -eq 0 ]
