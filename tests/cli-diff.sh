#!/bin/sh
# tests/cli-diff.sh - "p2msim diff" as a user runs it: format detection,
# output lines, summary, exit statuses 0 / 1 / 2 and located errors.
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
p2msim=$top_builddir/p2msim
data=$top_srcdir/tests/data/dump
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2msim-diff.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run NAME WANT_STATUS ARGS...: run p2msim diff, keep stdout/stderr
run() {
	name=$1 want=$2
	shift 2
	"$p2msim" diff "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq "$want" ] || fail "$name: exit $status, want $want ($(cat "$tmp/err"))"
}

has() {	# has NAME FILE TEXT: FILE contains the line TEXT
	grep -qxF -- "$3" "$tmp/$2" || fail "$1: no line '$3' in $2: $(cat "$tmp/$2")"
}

has_prefix() {
	grep -q -- "^$3" "$tmp/$2" || fail "$1: no line starting '$3' in $2: $(cat "$tmp/$2")"
}

lab=$data/lab-pc-2G-dom0-512M.txt
lab1g=$data/lab-pc-2G-dom0-512M-max1G.txt

run self 0 "$lab" "$lab"
has self out "summary: no differences in [0x0, 0x20061) between $lab (lab P2M capture) and $lab (lab P2M capture)"

# max:1G only adds missing pfns past the baseline's extent
run common-extent 0 "$lab" "$lab1g"
run union 1 --union "$lab" "$lab1g"
has union out "0x20061-0x40061 none missing 131072"
has_prefix union out "summary: 1 range(s), 131072 page(s) differ in \[0x0, 0x40061)"
run range 1 --range 0x20000-0x20100 "$lab" "$lab1g"
has range out "0x20061-0x20100 none missing 159"
run max-pfn 0 --union --max-pfn 0x20061 "$lab" "$lab1g"
run quiet 1 -q --union "$lab" "$lab1g"
[ -s "$tmp/out" ] && fail "quiet: printed $(cat "$tmp/out")"

# a modern debugfs dump of the seed (doc/behaviours.md#modern-dump-of-seed)
# against its semantic runs
cat >"$tmp/modern" <<'EOF'
 [0x0->0x40000] pfn
 [0x40000->0x40500] missing
 [0x40500->0x40600] identity
 [0x40600->0x7d000] missing
 [0x7d000->0x7d100] identity
 [0x7d100->0xc0000] missing
EOF
cat >"$tmp/runs" <<'EOF'
# p2msim runs v1: [start, end) pfn ranges in hex, type, pages
0x0-0x40000 pfn 262144
0x40000-0x40500 missing 1280
0x40500-0x7d100 identity 248832
0x7d100-0x90000 missing 77568
0x90000-0xc0000 identity 196608
EOF
run quirk-auto 0 "$tmp/modern" "$tmp/runs"
has_prefix quirk-auto out "summary: no differences in \[0x0, 0xc0000) between $tmp/modern (modern debugfs dump) and $tmp/runs (run list); 444928 page(s)"
run quirk-off 1 --modern-quirk=off "$tmp/modern" - <"$tmp/runs"
has quirk-off out "0x40600-0x7d000 missing identity 248320"
has quirk-off out "0x90000-0xc0000 missing identity 196608"

# bad input: exit 1 and "p2msim: FILE:LINE: ..."
printf '0x0-0x10 pfn\n0x8-0x20 missing\n' >"$tmp/overlap"
run overlap 1 "$tmp/overlap" "$tmp/runs"
has_prefix overlap err "p2msim: $tmp/overlap:2: "
printf 'hello\n' >"$tmp/junk"
run junk 1 "$tmp/runs" "$tmp/junk"
has_prefix junk err "p2msim: $tmp/junk:1: not a debugfs p2m dump"
run missing-file 1 "$tmp/runs" "$tmp/nonexistent"
has_prefix missing-file err "p2msim: $tmp/nonexistent: "
printf '0x100000-0x100010 pfn\n' >"$tmp/far"
run disjoint 1 "$tmp/far" "$tmp/runs"
has_prefix disjoint err "p2msim: diff: "

# usage errors: exit 2
run one-file 2 "$tmp/runs"
run three-files 2 "$tmp/runs" "$tmp/runs" "$tmp/runs"
run bad-option 2 --frobnicate "$tmp/runs" "$tmp/runs"
run bad-range 2 --range 0x10-0x5 "$tmp/runs" "$tmp/runs"
run bad-max-pfn 2 --max-pfn lots "$tmp/runs" "$tmp/runs"
run bad-quirk 2 --modern-quirk=maybe "$tmp/runs" "$tmp/runs"
run bad-arch 2 --arch sparc "$tmp/runs" "$tmp/runs"
run two-stdin 2 - -
run help 0 --help
has_prefix help out "Usage: p2msim diff"

[ "$failures" -eq 0 ] || exit 1
echo "all p2msim diff checks passed"
