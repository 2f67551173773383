#!/bin/sh
# tests/cli/simulate.sh - "p2msim simulate" and "p2msim dump" from the
# outside: what they print, exit statuses, and one-line errors
# (doc/cli-json.md#exit-status and #errors).
set -u

. "${top_srcdir:-.}/tests/cli/lib.sh"

has() { grep -qF -- "$1" "$tmp/out" || fail "output lacks '$1'"; }
err_is_one_line() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1: expected one error line, got: $(cat "$tmp/err")"
	grep -q '^p2msim: ' "$tmp/err" || fail "$1: error does not start with 'p2msim: '"
}

# the seed example: doc/behaviours.md#seed-identity-count and
# #old-dump-of-seed through the command line
run 0 simulate --example seed --show log,dump
has "Set 248832 page(s) to 1-1 mapping."
has " [0x40500->0x7d100] identity"
has " [0x80000->0x1ffffff] level top"
[ "$(grep -c '^ \[0x' "$tmp/out")" -eq 11 ] || fail "seed: the 2.6.39 dump has 11 lines"

# dump = simulate --show dump
run 0 dump --example seed --kernel 6.1 --kconfig XEN_BALLOON_MEMORY_HOTPLUG=n
printf ' [0x0->0x40000] pfn\n [0x40000->0x40500] missing\n [0x40500->0x40600] identity\n [0x40600->0x7d000] missing\n [0x7d000->0x7d100] identity\n [0x7d100->0xc0000] missing\n' >"$tmp/want"
cmp -s "$tmp/want" "$tmp/out" || { fail "modern seed dump (modern-dump-of-seed)"; diff -u "$tmp/want" "$tmp/out"; }

# The log and --show e820 print the kernel's map with one printer: an E820
# type 128 entry is "usable" in both under 6.1 (doc/behaviours.md#reserved-kern-usable),
# "type 128" in both once the type was removed (6.10).
printf '0x0 +0x9f000 usable\n0x9f000 +0x1000 reserved\n0x100000 +0x7ff00000 usable\n0x80000000 +0x100000 type 128\n' >"$tmp/t128"
for k in 6.1:usable 6.12:'type 128'; do
	run 0 simulate --e820 "$tmp/t128" --kernel "${k%%:*}" --dom0-mem 512M,max:512M --show log,e820
	want="Xen: [mem 0x0000000080000000-0x00000000800fffff] ${k#*:}"
	[ "$(grep -cxF -- "$want" "$tmp/out")" -eq 2 ] ||
		fail "--kernel ${k%%:*} --show log,e820: '$want' in the log and the e820 section: $(grep -F 0x0000000080000000 "$tmp/out")"
done

# JSON: one object with the contract's keys, readable by p2msim diff, and
# its runs agree with the run list
run 0 simulate --example pc-2G --json
cp "$tmp/out" "$tmp/a.json"
for key in kernel domain nr_pages max_pages e820 released remapped identity_set p2m_size \
	   max_pfn runs extra tree log; do
	grep -q "\"$key\":" "$tmp/a.json" || fail "JSON lacks \"$key\""
done
run 0 simulate --example pc-2G --show runs
cp "$tmp/out" "$tmp/a.runs"
run 0 diff "$tmp/a.json" "$tmp/a.runs"
# the modern debugfs dump differs from the semantic runs only by its quirk
run 0 dump --example pc-2G
cp "$tmp/out" "$tmp/a.dump"
run 0 diff "$tmp/a.dump" "$tmp/a.runs"

# the checkers
run 0 simulate --example pc-5G --check --show summary
has "check: P2M, M2P and hypervisor invariants hold"
has "remapped 262273"

# a 16 TiB host, dom0 with all its RAM (no dom0_mem): the builder's chunks,
# the early list, remapping and the checks go a run at a time, so this fits
# in 1 GiB of address space and a second or so (doc/design-p2m.md#implicit-leaves)
# AddressSanitizer reserves terabytes of shadow address space: no -v limit there
vlimit=1048576
[ "${P2MSIM_SANITIZERS:-no}" = yes ] && vlimit=unlimited
printf '0x0-0x9fbff usable\n0x9fc00-0x9ffff reserved\n0xf0000-0xfffff reserved\n0x100000-0xbffdffff usable\n0xbffe0000-0xbfffffff reserved\n0xfec00000-0xfec00fff reserved\n0xfee00000-0xfeefffff reserved\n0x100000000-0xfffffffffff usable\n' >"$tmp/16t.e820"
(ulimit -v $vlimit && "$P2MSIM" simulate --e820 "$tmp/16t.e820" --show summary --check) >"$tmp/out" 2>"$tmp/err" ||
	fail "16 TiB full dom0 under a 1 GiB limit: $(head -3 "$tmp/err")"
has "pages: nr_pages 0xfffb7f7f"
has "over [0, max_pfn): pfn 4294672255, identity 262273, missing 32768, foreign 0"
has "check: P2M, M2P and hypervisor invariants hold"
run 0 simulate --e820 "$tmp/16t.e820" --check --json
grep -Eq '"nr_pages": ?4294672255' "$tmp/out" || fail "16 TiB --json: nr_pages"
# the same dom0 ballooned down to half (8 TiB): the driver's back-to-back
# iterations run as one step a run at a time, the emptied leaves stay the
# kernel's private pages without a page here each, and the checks hold
for k in 6.1 6.12; do
	(ulimit -v $vlimit && "$P2MSIM" simulate --kernel $k --e820 "$tmp/16t.e820" --show summary \
		--balloon 8T --check) >"$tmp/out" 2>"$tmp/err" ||
		fail "16 TiB full dom0 ballooned to 8T, $k: $(head -3 "$tmp/err")"
	has "balloon: target 2147483648 pages, current 2147483648, max_pages 2147483904, state done"
	has "over [0, max_pfn): pfn 2147483648, identity "
	has "check: P2M, M2P and hypervisor invariants hold"
done
# and back up by 16 GiB: the increase iterations run together as well, Xen
# handing out its free memory an extent at a time.  (Not all the way: every
# leaf refilled holds the ends of two batches, a page of values here each,
# 2 MiB per GiB, which 1 GiB of address space does not hold for 8 TiB.)
for k in 6.1 6.12; do
	(ulimit -v $vlimit && "$P2MSIM" simulate --kernel $k --e820 "$tmp/16t.e820" --show summary \
		--balloon 8T,8208G --check) >"$tmp/out" 2>"$tmp/err" ||
		fail "16 TiB full dom0 ballooned to 8T and up to 8208G, $k: $(head -3 "$tmp/err")"
	has "balloon: target 2147483648 pages, current 2147483648, max_pages 2147483904, state done"
	has "balloon: target 2151677952 pages, current 2151677952, max_pages 2151678208, state done"
	has "over [0, max_pfn): pfn 2151677952, identity "
	has "check: P2M, M2P and hypervisor invariants hold"
done
# the tree kernels graft the builder's extents and release gaps a run at a
# time: the same host under 2.6.39, 3.2 and 3.16 (each maps what its limit
# allows; 3.16 populates back at pfn 0x2000000, where the M2P still names
# the pages beyond its limit: Xen allows two names, and the note says why)
for k in 2.6.39 3.2 3.16; do
	(ulimit -v $vlimit && "$P2MSIM" simulate --kernel $k --e820 "$tmp/16t.e820" --show summary \
		--check) >"$tmp/out" 2>"$tmp/err" || fail "16 TiB full dom0, $k: $(head -3 "$tmp/err")"
	has "check: P2M, M2P and hypervisor invariants hold"
	has "note: kernel $k uses 0x2000000 of the domain's 0xfffb7f7f pages (MAX_DOMAIN_PAGES)"
done
# the 16 TiB full dom0 fits in 100 MB of address space now that mids of
# whole runs are kept as segments; a 4 PiB host (RAM to 52 bits) does not,
# and the one error line says what did not fit (not under AddressSanitizer,
# which cannot start in 100 MB of address space)
if [ "$vlimit" != unlimited ]; then
	(ulimit -v 100000 && "$P2MSIM" simulate --e820 "$tmp/16t.e820" --check --show summary) \
		>"$tmp/out" 2>"$tmp/err" || fail "16 TiB full dom0 in 100 MB: $(head -3 "$tmp/err")"
	has "check: P2M, M2P and hypervisor invariants hold"
	# its debugfs dump and its JSON are run lists too, and diff compares them
	# a run at a time: they agree; 3.16's P2M stops at its limit
	(ulimit -v 100000 && "$P2MSIM" simulate --e820 "$tmp/16t.e820" --show dump >"$tmp/16t.dump" &&
		"$P2MSIM" simulate --e820 "$tmp/16t.e820" --json >"$tmp/16t.json" &&
		"$P2MSIM" simulate --kernel 3.16 --e820 "$tmp/16t.e820" --json >"$tmp/316.json" &&
		"$P2MSIM" diff "$tmp/16t.dump" "$tmp/16t.json") >"$tmp/out" 2>"$tmp/err" ||
		fail "16 TiB dump against JSON in 100 MB: $(cat "$tmp/out" "$tmp/err" | head -3)"
	has "summary: no differences in [0x0, 0x100000000) between"
	(ulimit -v 100000 && "$P2MSIM" diff --union "$tmp/16t.json" "$tmp/316.json") >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 1 ] || fail "16 TiB 6.12 against 3.16: want exit 1: $(cat "$tmp/err")"
	has "0x2000000-0xffff8000 pfn none 4261380096"
	sed 's/0x100000000-0xfffffffffff usable/0x100000000-0xfffffffffffff usable/' "$tmp/16t.e820" \
		>"$tmp/4p.e820"
	(ulimit -v 100000 && "$P2MSIM" simulate --e820 "$tmp/4p.e820") >"$tmp/out" 2>"$tmp/err" &&
		fail "4 PiB full dom0 in 100 MB of address space succeeded"
	err_is_one_line "4 PiB full dom0 in 100 MB"
	grep -q 'a dom0 of 1099511332735 pages (4194303 GiB) does not fit in the memory' "$tmp/err" ||
		fail "4 PiB in 100 MB: $(cat "$tmp/err")"
fi

# ballooning as xl mem-set does: the lab capture pc-2G-dom0-512M-balloon-to-384M
run 0 simulate --example pc-2G --balloon 384m,512m --check
has "balloon: target 98304 pages, current 98304, max_pages 98560, state done"
has "over [0, max_pfn): pfn 98304, identity 97, missing 32768, foreign 0"
has "balloon: target 131072 pages, current 131072, max_pages 131328, state done"
has "check: P2M, M2P and hypervisor invariants hold"
run 0 simulate --example pc-2G --balloon 384m --json
grep -Eq '"target_pages": ?98304' "$tmp/out" || fail "--balloon --json: no step"
run 1 simulate --example pc-2G --balloon 64m
err_is_one_line "--balloon below dom0's minimum"

# RAM beyond x86-64's 52-bit physical address space is a typo, refused
run 1 simulate --e820 "$top_srcdir/tests/data/bad-input/ram-beyond-52-bits.txt"
err_is_one_line "RAM beyond 52 bits"
grep -q 'ram-beyond-52-bits.txt:4: usable at 0x100000 .* beyond the 52-bit physical address space' \
	"$tmp/err" || fail "RAM beyond 52 bits: $(cat "$tmp/err")"

# the map the guest received; libxl e820_host for a domU
run 0 simulate --example pc-2G --show machine
has "machine memory map (XENMEM_machine_memory_map):"
has " [00000000fee00000, 00000000feefffff] (reserved)"
printf '0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n0x100000-0xbfffffff usable\n0xc0000000-0xdfffffff reserved\n0x100000000-0x43fffffff usable\n' >"$tmp/host.txt"
run 0 simulate --e820 "$tmp/host.txt" --domu --e820-host --nr-pages 0x80000 --max-pages 0x100000 --show machine,log
has " [0000000080000000, 00000000bfffffff] (unusable)"
has "Xen: [mem 0x0000000100000000-0x000000017fffffff] usable"
run 1 simulate --e820 "$tmp/host.txt" --e820-host
err_is_one_line "--e820-host without --domu"

# pictures
run 0 simulate --example pc-5G --show diagram --svg "$tmp/p.svg"
has "remap"
grep -q '<svg ' "$tmp/p.svg" || fail "--svg wrote no SVG"

# a kernel that stops: its words, exit 1
run 1 simulate --example pc-2G --cmdline mem=384M
grep -q 'kernel BUG at arch/x86/xen/setup.c:314!' "$tmp/err" || fail "mem=384M: no BUG line"
grep -q 'Failed to update kernel mapping' "$tmp/out" || fail "mem=384M: no WARN line in the log"

# bad input: one line, exit 1; usage: exit 2
run 1 simulate --e820 "$tmp/does-not-exist"
err_is_one_line "missing file"
printf 'BIOS-e820: [mem 0x0000000000000000-0xzzzz] usable\n' >"$tmp/bad.txt"
run 1 simulate --e820 "$tmp/bad.txt"
err_is_one_line "malformed line"
grep -q 'bad.txt:1:' "$tmp/err" || fail "malformed line: no FILE:LINE"
run 1 simulate --example seed --nr-pages 0
err_is_one_line "--nr-pages 0"
run 1 simulate --example seed --kernel 3.18
err_is_one_line "--kernel 3.18"
run 1 simulate --example nope
err_is_one_line "--example nope"
run 2 simulate --frobnicate
run 2 simulate --show nonsense
run 2 simulate --kconfig NOPE=y
run 0 simulate --help
has "--kernel VER"
run 0 simulate --example list
has "seed"

# eras: releases as users have them, Xen's version, whole boot logs
eras="${top_srcdir:-.}/tests/data/fidelity/eras"
for k in 5.10.223 6.1.158 5.10.0-32-amd64 6.12.117+deb13-amd64 'Debian 5.10.223-1'; do
	run 0 simulate --example pc-2G --kernel "$k" --show summary
done
has "kernel 5.10.223 [Debian 5.10.223-1]"
run 0 simulate --example pc-2G --kernel 9.99 --show summary
grep -q "warning: kernel 9.99 is newer" "$tmp/err" || fail "--kernel 9.99: no warning naming it"
run 0 simulate --example pc-2G --xen 4.99 --show summary
grep -q "warning: Xen 4.99 is newer" "$tmp/err" || fail "--xen 4.99: no warning naming it"
run 1 simulate --example pc-2G --xen foo
err_is_one_line "--xen foo"
grep -q "known: .*4.14.*4.20" "$tmp/err" || fail "--xen foo: the known versions are not listed"
# the same from a pasted log whose Xen and dom0 are newer than every row
run 0 simulate --xen-log "$top_srcdir/tests/data/pasted/newer-versions.console" --show summary
grep -q "^p2msim: warning: kernel 9.99.1 is newer than every row" "$tmp/err" ||
	fail "newer-versions.console: no warning naming kernel 9.99.1"
grep -q "^p2msim: warning: Xen 4.99.0 is newer than every row" "$tmp/err" ||
	fail "newer-versions.console: no warning naming Xen 4.99.0"
run 0 simulate --xen list
has "deny-lapic-page-only"
has "4.20.1 4.19.2 4.18.5"
run 0 simulate --kernel list
has "5.10.67 5.4.148"
# the dom0's half of a serial console: kernel and command line, Xen 4.20's
# LAPIC-only range
run 0 simulate --xen-log "$eras/xen4.20-linux6.12/pc-2G-dom0-512M/boot-log.txt" --show log,summary
has "kernel 6.12.117 [Linux version 6.12.117+deb13-amd64"
has 'kernel command line from the dom0'"'"'s "Command line" line'
has "Xen: [mem 0x00000000fee00000-0x00000000fee00fff] reserved"
run 1 simulate --xen-log "$eras/xen4.20-linux6.12/pc-2G-dom0-512M/boot-log.txt" --map 1
err_is_one_line "--map with --xen-log"
# two boots in one file: the last complete one, said in a note
cat "$eras/xen4.14-linux5.10/pc-5G-dom0-4G/boot-log.txt" \
    "$eras/xen4.20-linux6.12/pc-2G-dom0-512M/boot-log.txt" >"$tmp/two.txt"
sed -n '1,60p' "$eras/xen4.14-linux5.10/q35-3G-dom0-512M/boot-log.txt" >>"$tmp/two.txt"
run 0 simulate --xen-log "$tmp/two.txt" --show summary
has "holds 3 Xen boots; the last complete one"
has "kernel 6.12.117"
has "max_pfn 0x20080"
# a serial capture over 64 MiB (made here, not kept): read as a stream, the
# last complete of its boots used, the lines before it never held
{
	cat "$eras/xen4.14-linux5.10/pc-5G-dom0-4G/boot-log.txt"
	yes '[12345.678901] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex' | head -c 70000000
	echo
	cat "$eras/xen4.20-linux6.12/pc-2G-dom0-512M/boot-log.txt"
	sed -n '1,60p' "$eras/xen4.14-linux5.10/q35-3G-dom0-512M/boot-log.txt"
} >"$tmp/big.txt"
run 0 simulate --xen-log "$tmp/big.txt" --show summary
has "holds 3 Xen boots; the last complete one, from line 10"
has "kernel 6.12.117"
has "max_pfn 0x20080"
rm -f "$tmp/big.txt"
# Xen's own stops, in Xen's words: a 256 MiB host without dom0_mem, and RAM
# only in pieces under 128 MiB with dom0_mem=128M
printf '0x0 +640K usable\n1M +255M usable\n' >"$tmp/h256.txt"
run 1 simulate --e820 "$tmp/h256.txt"
err_is_one_line "256 MiB host"
grep -q "Panic on CPU 0: Not enough RAM for domain 0 allocation" "$tmp/err" ||
	fail "256 MiB host: not Xen's words"
printf '0x0 +640K usable\n1M +100M usable\n120M +100M usable\n240M +100M usable\n' >"$tmp/pieces.txt"
run 1 simulate --e820 "$tmp/pieces.txt" --dom0-mem 128M
grep -q "Panic on CPU 0: Domain 0 allocation is too small for kernel image" "$tmp/err" ||
	fail "dom0_mem=128M: not Xen's words"

# where Xen put the dom0 kernel and initrd: without a log it is assumed, and
# a stop that depends on it names the assumption and the option that sets it
P="$top_srcdir/tests/data/placement/reserved-at-32M.txt"
run 1 simulate --e820 "$P" --dom0-mem 1G
err_is_one_line "assumed kernel placement"
grep -qF "conflicts with E820 map; assumed: Xen placed the kernel at paddr 0x1000000->0x4a00000 (no Xen log; --dom0-kernel sets it)" "$tmp/err" ||
	fail "assumed kernel placement not named: $(cat "$tmp/err")"
run 0 simulate --e820 "$P" --dom0-mem 1G --dom0-kernel 0x2200000-0x4ffffff --show summary
has "boot layout: kernel pfn 0x2200-0x5000 (--dom0-kernel), page tables 0x5001-"
run 0 simulate --e820 "$P" --dom0-mem 1G --dom0-kernel 34M+48M --show summary
has "kernel pfn 0x2200-0x5200 (--dom0-kernel)"
# Xen's own "paddr A -> B", pasted: given, so no assumption is named
run 1 simulate --e820 "$P" --dom0-mem 1G --dom0-kernel 'paddr 0x1000000 -> 0x4a00000'
err_is_one_line "--dom0-kernel as Xen prints it"
grep -q "assumed" "$tmp/err" && fail "a given kernel placement is called assumed"
# the same for simulate --matrix
run 0 simulate --e820 "$P" --dom0-mem 1G --matrix --kernel 6.1
has "conflicts with E820 map; assumed: Xen placed the kernel at paddr"
run 0 simulate --e820 "$P" --dom0-mem 1G --matrix --kernel 6.1 --dom0-kernel 0x2200000-0x4ffffff
grep -q "^6.1 .* yes " "$tmp/out" || fail "--matrix --dom0-kernel: 6.1 does not boot"
# Xen's "Domain 0 allocation is too small": the assumed 32 MiB initrd is
# named; --dom0-initrd gives Xen's "Init. ramdisk: A->B" or none
run 1 simulate --e820 "$P" --nr-pages 0x8800
grep -qF "too small for kernel image; assumed: Xen handed over a 32 MiB initrd (no Xen log; --dom0-initrd sets it)" "$tmp/err" ||
	fail "assumed initrd not named: $(cat "$tmp/err")"
run 0 simulate --e820 "$P" --nr-pages 0x8800 --dom0-initrd none --dom0-kernel 0x2200000-0x4ffffff
run 0 simulate --e820 "$P" --nr-pages 0x8800 --dom0-initrd 000000007f4b0000-\>000000007f9ff4c6 \
	--dom0-kernel 0x2200000-0x4ffffff --show summary
has "initrd 0x8000-0x8550 (--dom0-initrd)"
for bad in x 0x5-0x1 '0->0x20000000000000' none 1M+ '0x1000->'; do
	run 1 simulate --e820 "$P" --dom0-kernel "$bad"
	err_is_one_line "--dom0-kernel '$bad'"
done
run 1 simulate --e820 "$P" --domu --dom0-initrd none
err_is_one_line "--dom0-initrd with --domu"

cli_done "p2msim simulate and dump command lines"
