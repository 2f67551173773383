#!/bin/sh
# tests/cli/e820.sh - "p2msim e820" from the outside: formats, options, exit
# statuses and the one-line error messages (doc/cli-json.md#exit-status and #errors).
set -u

CLI_COMMAND=e820
. "${top_srcdir:-.}/tests/cli/lib.sh"
DATA="$top_srcdir/tests/data/e820"
LAB="$top_srcdir/tests/data/xen-lab"

same() { # NAME EXPECTED
	printf '%s\n' "$2" >"$tmp/want"
	cmp -s "$tmp/want" "$tmp/out" || { fail "$1"; diff -u "$tmp/want" "$tmp/out" | head -20; }
}

# default: the first map, as read, in the kernel's format with its header
run 0 "$DATA/030-qemu-seabios-2G-nested-xen416-input-dom0alloc.txt"
same "first map in linux format" "BIOS-provided physical RAM map:
BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable
BIOS-e820: [mem 0x000000007ffe0000-0x000000007fffffff] reserved
BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved"

run 0 --list-maps "$DATA/001-msi-h61m-i3-2100-xen41-dom0-3.8.txt"
same "list maps" "0	line 17	xen-old	21 entries	Xen-e820 RAM map:
1	line 72	linux:Xen	22 entries	e820: BIOS-provided physical RAM map:"

# /proc/iomem's "reserved RAM" is RAM, marked in tables; a lost digit warns
"$P2MSIM" e820 "$top_srcdir/tests/data/bad-input/iomem-reserved-ram.txt" --format table \
	--no-header >"$tmp/out" 2>"$tmp/err" || fail "reserved RAM: exit $?"
grep -c '^0x0000000010000000-0x000000001fffffff usable  # /proc/iomem "reserved RAM"' "$tmp/out" \
	>/dev/null || fail "reserved RAM not marked: $(cat "$tmp/out")"
[ "$(grep -c 'reserved RAM' "$tmp/out")" -eq 2 ] || fail "reserved RAM failed not marked"
grep -q "^p2msim: warning: .*iomem-reserved-ram.txt:5: '0ffffff' has 7 hex digits" "$tmp/err" ||
	fail "no warning for a 7-digit /proc/iomem field: $(cat "$tmp/err")"

# maps without a header line are named by their first line
run 0 --list-maps "$top_srcdir/tests/data/pasted/iomem-hard-wrapped.txt"
same "list maps without a header" "0	line 3	iomem	8 entries	(no header) first line: 00000000-00000fff : Reserved"
run 0 --list-maps "$top_srcdir/tests/data/pasted/pvh-dom0-memory-map.txt"
same "list a PVH dom0's map" "0	line 2	xen	3 entries	Dom0 memory map:"

run 0 --e820 "$DATA/015-pcengines-apu2-coreboot-xen4161-dlme-dom0-5.8.txt" --map 1 --format xen --no-header
head -2 "$tmp/out" >"$tmp/out2"; mv "$tmp/out2" "$tmp/out"
same "map 1 in xen format" " [0000000000000000, 000000000009efff] (usable)
 [000000000009fc00, 00000000000fffff] (reserved)"

run 0 "$DATA/032-uniwill-223II0-855GM-2G-bare-2.6.9-usermap.txt" --map 1 --format linux-old
same "old user map keeps its who" "user-defined physical RAM map:
 user: 0000000000000000 - 000000000009fc00 (usable)
 user: 000000000009fc00 - 00000000000a0000 (reserved)
 user: 00000000000e0000 - 0000000000100000 (reserved)
 user: 0000000000100000 - 000000007e000000 (usable)"

# doc/behaviours.md#memmap-exactmap through the command line
run 0 "$DATA/012-qemu-i440fx-512M-kvm-guest-5.15.txt" --cmdline 'memmap=exactmap,640K@0,255M@1M'
same "memmap-exactmap user map" "user-defined physical RAM map:
user: [mem 0x0000000000000000-0x000000000009ffff] usable
user: [mem 0x0000000000100000-0x000000000fffffff] usable"

# --sanitize sorts and merges; the input is printed as read otherwise
printf '0x100000-0x1fffff usable\n0-0xfffff usable\n' >"$tmp/t"
run 0 "$tmp/t" --format table --no-header
same "unsanitized order kept" "0x0000000000100000-0x00000000001fffff usable
0x0000000000000000-0x00000000000fffff usable"
run 0 "$tmp/t" --format table --sanitize
same "sanitized" "0x0000000000000000-0x00000000001fffff usable"

# stdin, JSON out, memmap out and back in
"$P2MSIM" e820 --format memmap - <"$LAB/pc-2G-dom0-512M--xl-dmesg.txt" >"$tmp/memmap" ||
	fail "memmap from stdin"
run 0 "$tmp/memmap" --format xen --no-header
same "memmap round trip" " [0000000000000000, 000000000009fbff] (usable)
 [000000000009fc00, 000000000009ffff] (reserved)
 [00000000000f0000, 00000000000fffff] (reserved)
 [0000000000100000, 000000007ffdffff] (usable)
 [000000007ffe0000, 000000007fffffff] (reserved)
 [00000000fffc0000, 00000000ffffffff] (reserved)
 [000000fd00000000, 000000ffffffffff] (reserved)"
run 0 "$tmp/memmap" --format json
grep -q '"start": 1099511627776\|"end": 1099511627775' "$tmp/out" || fail "json end of 1 TiB hole"
grep -q '"type": "reserved"' "$tmp/out" || fail "json type names"

# errors: one line "p2msim: FILE:LINE: ...", exit 1
f="$DATA/035-qemu-q35-1G-debian13-journalctl-TRUNCATED-lines.txt"
run 1 "$f"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "one error line"
grep -q "^p2msim: $f:15: cannot read memory map line" "$tmp/err" || fail "error format: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "nothing on stdout after an error"
run 1 "$tmp/does-not-exist"
grep -q "^p2msim: $tmp/does-not-exist: " "$tmp/err" || fail "missing file message"
run 1 "$DATA/030-qemu-seabios-2G-nested-xen416-input-dom0alloc.txt" --map 3
grep -q "there is no map 3" "$tmp/err" || fail "no such map"
run 1 "$DATA/012-qemu-i440fx-512M-kvm-guest-5.15.txt" --cmdline 'memmap=exactmap memmap=1G@0'
grep -q "Invalid user supplied memory map" "$tmp/err" || fail "exactmap panic"

# usage errors: exit 2
run 2 --format nonsense "$DATA/012-qemu-i440fx-512M-kvm-guest-5.15.txt"
run 2 --map x "$DATA/012-qemu-i440fx-512M-kvm-guest-5.15.txt"
run 2 --bogus
run 2 a b
run 2 --e820
run 0 --help
grep -q "^Usage: p2msim e820" "$tmp/out" || fail "help"

cli_done "p2msim e820 command line"
