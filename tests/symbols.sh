#!/bin/sh
# tests/symbols.sh - libp2msim exports exactly the functions its installed
# headers declare: no internal function leaks out (tests reach those
# through libp2msim-core.la), and no declared one is missing.  Three lists
# must agree: the extern functions of the installed headers (the compiler's
# -aux-info over one file including them all), the names libp2msim.sym
# lists, and what the built shared library defines (nm -D).
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
lib="$top_builddir/.libs/libp2msim.so"
[ -f "$lib" ] || { echo "SKIP: no shared library ($lib): built with --disable-shared"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
[ -n "${P2MSIM_PUBLIC_HEADERS:-}" ] || { echo "P2MSIM_PUBLIC_HEADERS not set (run through make check)"; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

for h in $P2MSIM_PUBLIC_HEADERS; do
	echo "#include \"$h\""
done >"$tmp/all.c"
# shellcheck disable=SC2086
${CC:-cc} -fsyntax-only -I"$top_srcdir" -I"$top_builddir" -include "$top_builddir/config.h" \
	${JSONC_CFLAGS:-} -aux-info "$tmp/aux" "$tmp/all.c" || exit 99
# "/* SRCDIR/p2m/p2m.h:123:NC */ extern int p2m_new (...);" -- declared,
# not defined (static inline helpers are not exported); system headers out.
grep -F "/* $top_srcdir/" "$tmp/aux" | grep ':NC \*/ extern ' |
	sed 's|^/\*[^*]*\*/ extern ||; s/ (.*//; s/.*[ *]//' | sort -u >"$tmp/declared"
sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$top_srcdir/libp2msim.sym" |
	sort -u >"$tmp/listed"
nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//' | grep -v '^LIBP2MSIM' |
	grep -v '^$' | sort -u >"$tmp/exported"

fails=0
check() {	# WHAT A B: lines of A that B lacks
	comm -23 "$tmp/$2" "$tmp/$3" >"$tmp/diff"
	if [ -s "$tmp/diff" ]; then
		echo "FAIL: $1: $(tr '\n' ' ' <"$tmp/diff")"
		fails=$((fails + 1))
	fi
}
check "declared in an installed header but not in libp2msim.sym" declared listed
check "in libp2msim.sym but declared in no installed header" listed declared
check "exported but declared in no installed header" exported declared
check "declared in an installed header but not exported" declared exported
[ -s "$tmp/declared" ] || { echo "FAIL: no function found in the installed headers"; fails=1; }
if [ "$fails" -gt 0 ]; then
	echo "symbols: $fails list(s) disagree"
	exit 1
fi
echo "symbols: $(wc -l <"$tmp/declared") functions, headers, libp2msim.sym and the library agree"
