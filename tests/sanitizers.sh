#!/bin/sh
# tests/sanitizers.sh - in a --enable-sanitizers build, prove that the
# sanitizers are really there before trusting a clean "make check": the
# canary's leak, heap overflow and signed overflow must each be reported and
# fail, and libtool must have kept the instrumentation in the shared library
# and the p2msim command as well as in the test programs.  Skipped (77) in
# other builds.
set -u

top_builddir=${top_builddir:-.}
[ "${P2MSIM_SANITIZERS:-no}" = yes ] || { echo "not a sanitizer build"; exit 77; }
canary="$top_builddir/tests/sanitizer-canary"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

expect_report() { # MODE PATTERN
	out=$("$canary" "$1" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "canary $1 exited 0"
	printf '%s\n' "$out" | grep -q "$2" || { fail "canary $1: no '$2' report"; printf '%s\n' "$out" | head -5; }
}

"$canary" clean >/dev/null 2>&1 || fail "canary clean failed"
expect_report leak "LeakSanitizer: detected memory leaks"
expect_report overflow "AddressSanitizer: heap-buffer-overflow"
expect_report ubsan "runtime error: signed integer overflow"

# libtool: instrumented code calls __asan_report_*; the library's objects
# reach the tests (static) and the command (through libp2msim.so).
instrumented() { nm "$1" 2>/dev/null | grep -q '__asan_report_load'; }
lib=$(ls "$top_builddir"/.libs/libp2msim.so.*.*.* 2>/dev/null | head -1)
[ -n "$lib" ] && instrumented "$lib" || fail "libp2msim.so is not instrumented (${lib:-not found})"
cmd="$top_builddir/.libs/p2msim"
[ -f "$cmd" ] || cmd="$top_builddir/p2msim"
nm "$cmd" 2>/dev/null | grep -q '__asan_init\|__asan_version' ||
	ldd "$cmd" 2>/dev/null | grep -q 'libasan\|libclang_rt.asan' || fail "p2msim is not linked with ASan"
instrumented "$top_builddir/tests/test-p2m" || fail "tests/test-p2m is not instrumented"
# LeakSanitizer must not have been switched off for the tests
case ${ASAN_OPTIONS:-} in *detect_leaks=0*) fail "ASAN_OPTIONS turns leak detection off" ;; esac
[ "$fails" -eq 0 ]
