#!/bin/sh
# tests/doc-citations.sh - every "doc/FILE.md#section" that code, tests and
# documents cite names a file of doc/ and a heading in it, and nothing cites
# documents the repository does not hold.  Headings are matched as GitHub
# turns them into anchors: lower case, punctuation dropped, spaces to '-'.
set -u

top_srcdir=${top_srcdir:-.}
cd "$top_srcdir" || exit 99
fails=0
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

sources() {
	find . -path ./.git -prune -o -path ./tests/data -prune -o -path './_build' -prune \
		-o -path ./autom4te.cache -prune -o -type f \
		\( -name '*.[ch]' -o -name '*.md' -o -name '*.sh' -o -name '*.inc' \
		   -o -name '*.am' -o -name README -o -name 'run-all' \) -print
}

sources | xargs grep -oh 'doc/[a-z0-9-]*\.md#[a-z0-9_-]*[a-z0-9]' | sort -u >"$tmp/cited"
[ -s "$tmp/cited" ] || { echo "no doc/FILE.md#section citation found"; exit 1; }
while read -r cite; do
	file=${cite%%#*}
	anchor=${cite#*#}
	if [ ! -f "$file" ]; then
		echo "FAIL: $cite: no such file"
		fails=$((fails + 1))
		continue
	fi
	sed -n 's/^#\{1,6\} *//p' "$file" |
		tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g' >"$tmp/anchors"
	grep -qx -- "$anchor" "$tmp/anchors" || {
		echo "FAIL: $cite: no such section in $file"
		fails=$((fails + 1))
	}
done <"$tmp/cited"

# Documents outside the repository must not be cited.
if sources | grep -v '^./tests/doc-citations.sh$' | xargs grep -n 'REF §\|PRODUCT §\|STYLE\.md\|p2m-reference' >"$tmp/outside"; then
	sed 's/^/FAIL: cites a document outside the repository: /' "$tmp/outside"
	fails=$((fails + $(wc -l <"$tmp/outside")))
fi

n=$(wc -l <"$tmp/cited")
if [ "$fails" -gt 0 ]; then
	echo "doc citations: $fails failed"
	exit 1
fi
echo "doc citations: $n distinct sections cited, all found"
