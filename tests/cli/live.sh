#!/bin/sh
# tests/cli/live.sh - "p2msim live" from the outside where there is no Xen:
# usage errors (exit 2, one line and a hint), and the one-line reason the
# commands cannot run here (exit 1): "built without Xen support", or, in a
# build with Xen on a machine that is not a dom0, why not.
set -u

. "${top_srcdir:-.}/tests/cli/lib.sh"
err_has() { grep -qF -- "$1" "$tmp/err" || fail "stderr lacks '$1': $(cat "$tmp/err")"; }

# --- usage
run 0 live --help
grep -q '^  scratch ' "$tmp/out" || fail "live --help lists scratch"
run 2 live
run 2 live frobnicate
err_has "unknown command 'frobnicate'"
run 2 live dump --format xen
err_has "live dump takes no --format"
run 2 live e820 --domid 1
err_has "live e820 takes no --domid"
run 2 live info --domid banana
err_has "--domid takes a domain id"
run 2 live check --domid 3
err_has "live check compares dom0 only"
run 2 live balloon --domid 0
err_has "needs --domid N and --target SIZE"
run 2 live dump --show tree
run 2 live dump --source nowhere
run 2 live scratch --pages 0
run 2 live scratch --hold forever
run 2 live info extra-argument
err_has "unexpected argument"
run 2 live check --kconfig NOSUCH=y
run 2 live info --allow-modify -1

# --- no hypervisor here: one line saying why, exit 1
if grep -q '^#define HAVE_XEN 1' "$top_builddir/config.h" 2>/dev/null; then
	if [ -e /dev/xen/privcmd ]; then
		echo "SKIP: this machine has /dev/xen/privcmd (a Xen guest or dom0)"
		exit 77
	fi
	want="does not exist: not running on Xen"
else
	want="built without Xen support"
fi
for cmd in "e820" "info" "dump" "dump --json" "check" "scratch" "balloon --domid 0 --target 1g"; do
	# shellcheck disable=SC2086 # words on purpose
	run 1 live $cmd
	err_has "$want"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "live $cmd: one error line, got: $(cat "$tmp/err")"
	grep -q '^p2msim: ' "$tmp/err" || fail "live $cmd: error starts with 'p2msim: '"
	[ ! -s "$tmp/out" ] || fail "live $cmd printed on stdout: $(head -3 "$tmp/out")"
done

cli_done "p2msim live command line"
