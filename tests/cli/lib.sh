# tests/cli/lib.sh - sourced by the tests/cli scripts: where p2msim is, a
# scratch directory removed on exit, and the checks they share.
#
#   run STATUS ARGS...   run "p2msim $CLI_COMMAND ARGS..." (CLI_COMMAND may
#                        be empty), stdout to $tmp/out, stderr to $tmp/err,
#                        and fail unless it exits with STATUS
#   fail MESSAGE         count a failure and say what it was
#   cli_done WHAT        exit 1 after any failure, else say WHAT passed

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
P2MSIM="$top_builddir/p2msim"
CLI_COMMAND=${CLI_COMMAND:-}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

run() {
	want_rc=$1; shift
	"$P2MSIM" $CLI_COMMAND "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want_rc" ] ||
		fail "p2msim${CLI_COMMAND:+ $CLI_COMMAND} $*: exit $rc, expected $want_rc ($(head -3 "$tmp/err"))"
}

cli_done() {
	[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
	echo "PASS: $*"
}
