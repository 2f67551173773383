#!/bin/sh
# tests/cli/bad-input.sh - the p2msim command on input it must refuse:
# missing files, directories, empty files, binary junk, endless and 100 MB
# inputs, a 1 MB line, unknown options, absurd numbers.  Each must end
# within a second of CPU time with exit 1 (bad input) or 2 (usage), nothing
# on standard output, and on standard error exactly one "p2msim: ..." line
# (usage errors: "p2msim CMD: ..." and the "Try 'p2msim CMD --help'." hint).
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
P2MSIM="$top_builddir/p2msim"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
# CPU seconds a case may take (sanitizers make everything slower)
# and memory (KiB of address space; not under ASan, which maps terabytes)
cpu=1
mem=2000000
[ "${P2MSIM_SANITIZERS:-no}" = yes ] && { cpu=4; mem=unlimited; }

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS ARGS... (standard input from $stdin, /dev/null by default)
stdin=/dev/null
expect() {
	want=$1
	shift
	(
		ulimit -t "$cpu" 2>/dev/null
		ulimit -v "$mem" 2>/dev/null
		exec timeout 30 "$P2MSIM" "$@" <"$stdin" >"$tmp/out" 2>"$tmp/err"
	)
	rc=$?
	what="p2msim $(printf '%s ' "$@" | cut -c1-80)"
	case $rc in
	124) fail "$what: still running after 30 s"; return ;;
	152|137) fail "$what: more than $cpu s of CPU time"; return ;;
	esac
	[ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want"
	[ -s "$tmp/out" ] && fail "$what: printed to standard output: $(head -c 200 "$tmp/out")"
	lines=$(wc -l <"$tmp/err")
	first=$(head -1 "$tmp/err")
	if [ "$want" -eq 2 ]; then
		[ "$lines" -eq 2 ] && printf '%s\n' "$first" | grep -q '^p2msim\( [a-z0-9]*\)\{0,1\}: ..' &&
			sed -n 2p "$tmp/err" | grep -q "^Try 'p2msim .*--help'\.$" ||
			{ fail "$what: usage error is not one line and the hint:"; head -5 "$tmp/err"; }
	else
		[ "$lines" -eq 1 ] && printf '%s\n' "$first" | grep -q '^p2msim: ..' ||
			{ fail "$what: not exactly one 'p2msim: ' line on standard error:"; head -5 "$tmp/err"; }
	fi
	# a message must name what is wrong, not only that something is
	grep -q 'unknown error' "$tmp/err" && fail "$what: 'unknown error'"
	return 0
}

# expect_msg PATTERN: the last case's message matches
expect_msg() {
	grep -q -- "$1" "$tmp/err" || fail "message '$(head -1 "$tmp/err")' does not match '$1'"
}

mkdir "$tmp/dir" "$tmp/numbered" "$tmp/numbered/0"
: >"$tmp/empty"
head -c 4096 /dev/urandom >"$tmp/junk"
printf 'BIOS-e820: [mem 0x0-0x9ffff] usable\0\n' >"$tmp/nul"
printf '\377\376\375 not text \200\201\n' >"$tmp/highbytes"
awk 'BEGIN { printf "0x0-0x9ffff usable "; for (i = 0; i < 1048576; i++) printf "x"; print "" }' \
	>"$tmp/line1M"
head -c 1048576 /dev/zero | tr '\0' 'x' >"$tmp/line1M-nonl"

for cmd in e820 diff; do
	other=
	[ "$cmd" = diff ] && other="$top_srcdir/tests/data/dump/lab-pc-2G-dom0-512M.txt"

	expect 1 $cmd "$tmp/no-such-file" $other
	expect_msg "no-such-file: No such file or directory"
	expect 1 $cmd "$tmp/dir" $other
	expect 1 $cmd "$tmp/numbered" $other
	expect 1 $cmd "$tmp/empty" $other
	expect 1 $cmd "$tmp/junk" $other
	expect 1 $cmd "$tmp/nul" $other
	expect 1 $cmd "$tmp/highbytes" $other
	expect 1 $cmd "$tmp/line1M" $other
	expect 1 $cmd "$tmp/line1M-nonl" $other
	stdin="$tmp/junk" expect 1 $cmd - $other
	stdin=/dev/null

	# endless input: e820 reads a stream and refuses its first over-long
	# line; diff reads up to its limit, then refuses
	expect 1 $cmd /dev/zero $other
	if [ "$cmd" = e820 ]; then
		expect_msg "/dev/zero:1: line longer than"
	else
		expect_msg "larger than"
	fi

	# 100 MB files of every kind of content
	for kind in random zeros blank text entries; do
		case $kind in
		random)  head -c 100000000 /dev/urandom ;;
		zeros)   head -c 100000000 /dev/zero ;;
		blank)   yes '' | head -c 100000000 ;;
		text)    yes 'an ordinary line of a very long log file' | head -c 100000000 ;;
		entries) yes '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable' |
				head -c 100000000 ;;
		esac >"$tmp/big"
		expect 1 $cmd "$tmp/big" $other
		rm -f "$tmp/big"
	done

	expect 2 $cmd --no-such-option "$tmp/junk" $other
	expect 2 $cmd -Z "$tmp/junk" $other
done

# no command at all: the command list, on standard error
"$P2MSIM" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && head -1 "$tmp/err" | grep -q '^Usage: p2msim ' ||
	fail "p2msim without a command: exit $rc, or not the usage on standard error"

# usage errors of each command
expect 2 no-such-command
expect 2 e820 --map
expect 2 e820 --map -1 "$tmp/junk"
expect 2 e820 --map 99999999999999999999999 "$tmp/junk"
expect 2 e820 --format no-such-format "$tmp/junk"
expect 2 e820 "$tmp/junk" "$tmp/junk"
expect 2 diff
expect 2 diff "$tmp/junk"
expect 2 diff a b c
expect 2 diff - -
expect 2 diff --range 0x10-0x1 a b
expect 2 diff --range 0-18446744073709551616 a b
expect 2 diff --max-pfn 99999999999999999999999 a b
expect 2 diff --max-pfn -1 a b
expect 2 diff --modern-quirk=maybe a b
expect 2 diff --arch sparc a b

# absurd sizes on the simulate command line
expect 1 simulate --example pc-2G --nr-pages 0
expect 1 simulate --example pc-2G --nr-pages 99999999999999999999
expect 1 simulate --example pc-2G --max-pages 0x10000000000000
expect 1 simulate --example pc-2G --dom0-mem 16E
expect 1 simulate --example pc-2G --xen-cmdline dom0_mem=16E
expect 1 simulate --example pc-2G --dom0-mem max:16E,min:32E
expect 1 simulate --example pc-2G --balloon 16E
expect 1 simulate --example pc-2G --kernel 99999999999999999999.1

# absurd numbers in input
printf 'BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffffff] usable\n' >"$tmp/wide"
expect 1 e820 "$tmp/wide"
printf '0x0 +16E usable\n0x100000000000000000 +1 usable\n' >"$tmp/huge"
expect 1 e820 "$tmp/huge"
printf '{"e820": [{"start": 0, "end": 99999999999999999999999, "type": 1}]}\n' >"$tmp/huge.json"
expect 1 e820 "$tmp/huge.json"
printf '0x0-0xffffffffffffffffff pfn\n' >"$tmp/huge-runs"
expect 1 diff "$tmp/huge-runs" "$tmp/huge-runs"
# deep JSON nesting
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; print "" }' >"$tmp/deep.json"
expect 1 e820 "$tmp/deep.json"
awk 'BEGIN { printf "{\"runs\": "; for (i = 0; i < 100000; i++) printf "["; print "" }' >"$tmp/deep2.json"
expect 1 diff "$tmp/deep2.json" "$tmp/deep2.json"

[ "$fails" -eq 0 ]
