#!/bin/sh
# tests/format.sh - every C file of the tree is as clang-format makes it
# with the project's .clang-format (HACKING.md "Style").  Prints the first
# lines of the difference for each file that is not, and fails.  Skips
# when clang-format 14 is not installed: other releases lay the same rules
# out differently (scripts/install-deps --tests installs it).
#   Fix a file:  clang-format -i FILE
set -u

top_srcdir=${top_srcdir:-.}
cd "$top_srcdir" || exit 99
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
	echo "format.sh: SKIP: no $CLANG_FORMAT (scripts/install-deps --tests installs it)"
	exit 77
fi
ver=$("$CLANG_FORMAT" --version | sed -n 's/.*clang-format version \([0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
	echo "format.sh: SKIP: the rules are laid out for clang-format 14, this is '${ver:-unknown}'"
	exit 77
fi
[ -f .clang-format ] || { echo "format.sh: no .clang-format in $(pwd)"; exit 99; }

tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
fails=0 checked=0
for f in $(find util p2m e820 hv xen setup balloon sim debugfs-dump live doctor tools bench tests \
		-name '*.[ch]' | LC_ALL=C sort); do
	checked=$((checked + 1))
	"$CLANG_FORMAT" --style=file "$f" >"$tmp" || { echo "format.sh: clang-format failed on $f"; exit 99; }
	if ! cmp -s "$f" "$tmp"; then
		echo "format.sh: $f is not formatted (clang-format -i $f):"
		diff -u "$f" "$tmp" | sed -n '3,14p'
		fails=$((fails + 1))
	fi
done
[ "$checked" -gt 0 ] || { echo "format.sh: no C file found"; exit 99; }
echo "format.sh: $checked files checked, $fails not formatted"
[ "$fails" = 0 ]
