#!/bin/sh
# tests/cli/doctor.sh - "p2msim doctor" from the outside: a failing lab
# boot gets its cause and a fix, a good one exits 0, stdin works, bad logs
# get one line, --json/--why/--matrix and simulate --show why / --matrix.
set -u

. "${top_srcdir:-.}/tests/cli/lib.sh"

D="$top_srcdir/tests/data/doctor"
has() { grep -qF -- "$1" "$tmp/out" || fail "output lacks '$1'"; }
err_has() {
	grep -qF -- "$1" "$tmp/err" || fail "error lacks '$1': $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "expected one error line, got: $(cat "$tmp/err")"
}

# 6.1 with mem= below its pages: reproduced, explained, fixed by dropping mem=
run 1 doctor "$D/lab-pc-2G-dom0-linux-mem384M.console"
has "reproduced: 0 difference(s) in 5 compared line(s)"
has "verdict: the boot fails in the dom0 kernel: kernel BUG at arch/x86/xen/setup.c:314!"
has "('mem=384M' on the kernel command line)"
has "  1. kernel command line: drop mem=384M"

# the same from stdin
"$P2MSIM" doctor - <"$D/lab-pc-2G-dom0-linux-mem384M.console" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "doctor -: exit status"
has "  1. kernel command line: drop mem=384M"

# a boot that came up: exit 0, no fix
run 0 doctor "$D/lab-pc-5G-dom0-4G.console"
has "verdict: the boot is fine; nothing to fix"

# JSON: the contract's keys
run 1 doctor --json --kernel 6.1 "$D/cheese-nvs-in-kernel-k6.1.console"
for key in boot stage cause reproduced differences fixes change xen kernel xen_cmdline \
	   kernel_cmdline; do
	grep -q "\"$key\":" "$tmp/out" || fail "JSON lacks \"$key\""
done
grep -q '"boot":"fails"' "$tmp/out" || fail "JSON: boot"
grep -q '"stage":"kernel"' "$tmp/out" || fail "JSON: stage"
grep -q '"kernel":"6.12"' "$tmp/out" || fail "JSON: the 6.12 fix"

# --why and simulate --show why
run 0 doctor --why "$D/lab-pc-5G-dom0-4G.console"
has "remapped (rule remap)"
run 0 simulate --example pc-5G --show why
has "[mem 0x00000000bffe0000-0x00000000bfffffff] reserved"

# --matrix on doctor and simulate
run 0 doctor --matrix --kernel 5.10,6.1,6.12 "$D/cheese-nvs-in-kernel-k6.1.console"
grep -q '^6.1 .* no .*conflicts with E820 map' "$tmp/out" || fail "matrix: 6.1 fails"
grep -q '^6.12 .* yes ' "$tmp/out" || fail "matrix: 6.12 boots"
run 0 simulate --example pc-2G --matrix --kernel 4.19,6.1
[ "$(grep -c ' yes ' "$tmp/out")" -eq 2 ] || fail "simulate --matrix: two kernels boot"

# logs doctor cannot read: one line saying what was found
printf 'hello\n' >"$tmp/none.txt"
run 1 doctor "$tmp/none.txt"
err_has "no boot in it"
run 1 doctor "$D/lab-tcg-cpu-max-smap-dom0-crash.txt"
err_has "cut before Xen printed its memory map"
run 1 doctor "$D/lab-kvm-attempt-failure.txt"
err_has "no boot in it"
run 1 doctor "$tmp/missing.txt"
err_has "missing.txt"
run 2 doctor
run 2 doctor --bogus "$tmp/none.txt"

# a Xen log without "Dom0 kernel:" and VIRTUAL MEMORY ARRANGEMENT: the cause
# names the placement assumed; --dom0-kernel, or the log's own line, sets it
N="$top_srcdir/tests/data/placement/xen-log-without-arrangement.console"
run 1 doctor "$N"
has "Assumed: Xen placed the kernel at paddr 0x1000000->0x4a00000 (Xen's log has no 'Dom0 kernel:' line; --dom0-kernel sets it)."
run 0 doctor "$N" --dom0-kernel 0x2200000-0x4ffffff
has "verdict: the boot is fine"
sed 's/^(XEN) \*\*\* Building a PV Dom0 \*\*\*$/&\n(XEN)  Dom0 kernel: 64-bit, PAE, lsb, paddr 0x2200000 -> 0x5000000/' "$N" >"$tmp/kline.console"
run 0 doctor "$tmp/kline.console"
has "kernel pfn 0x2200-0x5000 (Xen's 'Dom0 kernel:' line)"
run 0 doctor "$N" --matrix --kernel 6.1 --dom0-kernel 0x2200000-0x4ffffff
grep -q "^6.1 .* yes " "$tmp/out" || fail "doctor --matrix --dom0-kernel: 6.1 does not boot"
run 1 doctor "$N" --dom0-initrd 5-
err_has "--dom0-initrd '5-': expected START->END"

# a serial capture over 64 MiB (made here, not kept): read as a stream
{
	yes '[12345.678901] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex' | head -c 70000000
	echo
	cat "$D/lab-pc-5G-dom0-4G.console"
} >"$tmp/big.console"
run 0 doctor "$tmp/big.console"
has "verdict: the boot is fine; nothing to fix"
rm -f "$tmp/big.console"

# two boots in one capture: the command lines of the fixes are those of the
# boot that was simulated (the last complete one), not of the first
cat "$top_srcdir/tests/data/fidelity/eras/xen4.14-linux5.10/pc-5G-dom0-4G/boot-log.txt" \
    "$D/lab-pc-2G-dom0-linux-mem384M.console" >"$tmp/two.console"
run 1 doctor "$tmp/two.console"
has "Xen command line: console=com1 com1=115200,8n1 conring_size=256k loglvl=all guest_loglvl=all noreboot=false dom0_mem=512M,max:512M"
grep -q "dom0_mem=4G" "$tmp/out" && fail "two boots: the first boot's Xen command line is used"

cli_done "doctor"
