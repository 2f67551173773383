#!/bin/sh
# tests/installcheck.sh - "make installcheck": what "make install" put in
# place works from there, as a distribution's user and a program linking
# the library would use it: the command (and its library, found without
# the build tree), the man page, the bash completion, and the headers and
# pkg-config file (a program including every installed header builds, links
# and runs).  The directories come from the environment (Makefile).
set -u

: "${bindir:?}" "${libdir:?}" "${pkgincludedir:?}" "${mandir:?}" "${bashcompdir:?}"
: "${top_srcdir:=.}" "${CC:=cc}"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# the command, run from where it was installed (a staging root of unpacked
# packages has its library outside the loader's path)
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
P2MSIM="$bindir/p2msim"
[ -x "$P2MSIM" ] || { echo "FAIL: no $P2MSIM"; exit 1; }
"$P2MSIM" --version | grep -q '^p2msim [0-9]' || fail "p2msim --version"
"$P2MSIM" e820 "$top_srcdir/tests/data/pasted/xen-hard-wrapped.txt" --format table \
	--no-header >"$tmp/out" 2>&1 || fail "p2msim e820: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/out")" -eq 6 ] || fail "p2msim e820: $(cat "$tmp/out")"
"$P2MSIM" simulate --example seed --show summary >"$tmp/out" 2>&1 ||
	fail "p2msim simulate: $(head -3 "$tmp/out")"

# the man page
man="$mandir/man1/p2msim.1"
[ -f "$man" ] || man=$man.gz	# as packages install it
{ [ "${man%.gz}" = "$man" ] && cat "$man" || gzip -dc "$man"; } 2>/dev/null |
	grep -q '^\.TH P2MSIM 1' || fail "no man page at $mandir/man1/p2msim.1"

# the bash completion: loads, and completes a command and an option
comp="$bashcompdir/p2msim"
[ -f "$comp" ] || fail "no bash completion at $comp"
if [ -f "$comp" ] && command -v bash >/dev/null 2>&1; then
	bash -n "$comp" || fail "$comp: syntax"
	lib=/usr/share/bash-completion/bash_completion
	if [ -f "$lib" ]; then
		got=$(PATH="$bindir:$PATH" bash -c '
			. "$1" && . "$2" || exit 1
			COMP_WORDS=(p2msim e8); COMP_CWORD=1; COMP_LINE="p2msim e8"; COMP_POINT=9
			_p2msim p2msim e8 p2msim; printf "%s;" "${COMPREPLY[@]}"
			COMP_WORDS=(p2msim e820 --list-m); COMP_CWORD=2
			COMP_LINE="p2msim e820 --list-m"; COMP_POINT=20
			_p2msim p2msim --list-m e820; printf "%s;" "${COMPREPLY[@]}"
			COMP_WORDS=(p2msim simulate --dom0-k); COMP_CWORD=2
			COMP_LINE="p2msim simulate --dom0-k"; COMP_POINT=24
			_p2msim p2msim --dom0-k simulate; printf "%s;" "${COMPREPLY[@]}"
			COMP_WORDS=(p2msim doctor --dom0-initrd n); COMP_CWORD=3
			COMP_LINE="p2msim doctor --dom0-initrd n"; COMP_POINT=29
			_p2msim p2msim n --dom0-initrd; printf "%s;" "${COMPREPLY[@]}"' \
			sh "$lib" "$comp" 2>&1)
		[ "$got" = "e820;--list-maps;--dom0-kernel;none;" ] ||
			fail "bash completion: '$got'"
	fi
fi

# headers and pkg-config: every installed header in one program
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
if ! cflags=$(pkg-config --cflags libp2msim) || ! libs=$(pkg-config --libs libp2msim); then
	fail "pkg-config libp2msim"
else
	(cd "$pkgincludedir" && find . -name '*.h' | sed 's|^\./||' | sort) |
		sed 's/.*/#include "&"/' >"$tmp/t.c"
	[ -s "$tmp/t.c" ] || fail "no headers under $pkgincludedir"
	cat >>"$tmp/t.c" <<'PROG'
#include <string.h>

int main(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x100000-0x7fffffff usable\n";
	struct e820_doc doc;
	struct p2msim_err err;

	if (e820_parse_buffer("t", map, strlen(map), &doc, &err))
		return 1;
	if (doc.nr_maps != 1 || e820_total(&doc.maps[0].table, E820_TYPE_RAM) != 0x7ff9fc00ULL)
		return 2;
	e820_doc_free(&doc);
	return 0;
}
PROG
	# shellcheck disable=SC2086
	if $CC -std=gnu11 -Wall -Wextra -Werror $cflags -o "$tmp/t" "$tmp/t.c" $libs \
		-Wl,-rpath,"$libdir" >"$tmp/cc" 2>&1; then
		"$tmp/t" || fail "a program linking libp2msim: exit $?"
	else
		fail "a program including every installed header does not build:"
		head -20 "$tmp/cc"
	fi
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "PASS: installcheck"
