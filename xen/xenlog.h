/* SPDX-License-Identifier: MIT */
/*
 * xen/xenlog.h - reading Xen's boot log (`xl dmesg`, a serial console, a
 * mail quoting either): Xen's E820, its command line and dom0_mem, and what
 * the PV dom0 builder printed about dom0's layout.
 *
 * Lines read (after the "(XEN)" prefix, timestamps and mail quoting):
 *   Xen version 4.17.7 (...)
 *   Built-in command line: ...          Command line: ...   (hard-wrapped
 *                                       continuations without "(XEN)" joined)
 *   Xen-e820 / Multiboot-e820 / EFI / TBOOT RAM map: + entries (the last
 *                                       one; "Initial ..." only without another)
 *   System RAM: 2047MB (2096636kB)      Truncating RAM from AkB to BkB
 *   *** Building a PV Dom0 *** (or PVH; "*** LOADING DOMAIN 0 ***" is PV)
 *    Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x4a00000
 *   PHYSICAL MEMORY ARRANGEMENT:
 *    Dom0 alloc.:   A->B (N pages to be allocated)
 *    Init. ramdisk: A->B
 *   VIRTUAL MEMORY ARRANGEMENT:
 *    Loaded kernel, Init. ramdisk, Phys-Mach map, Start info, Xenstore ring,
 *    Console ring, Page tables, Boot stack, TOTAL: A->B;  ENTRY ADDRESS: A
 *   Dom0 has maximum N VCPUs            Dom0 memory clipped to N pages
 * and what the platform setup printed about the MMIO ranges Xen keeps from
 * dom0 (struct xen_platform):
 *   CPU Vendor: AMD, Family 25 (0x19), Model ...
 *   ACPI: Local APIC address 0xfee00000
 *   IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23
 *   ACPI: IOAPIC (id[0x00] address[0xfec00000] gsi_base[0])
 *   ACPI: HPET id: 0x8086a201 base: 0xfed00000
 *   [VT-D]  dmaru->address = fed90000   (or "drhd->address = fed90000 ...")
 *   AMD-Vi: IVHD: IOMMU @ 0xf6000000 cap @ 0x40 ...   (Xen 4.20+, iommu=debug)
 * The first occurrence of each counts (every distinct IO-APIC and DRHD).
 * Ranges are as printed: B is exclusive (one past the last byte).
 */
#ifndef P2MSIM_XEN_XENLOG_H
#define P2MSIM_XEN_XENLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "e820/e820.h"
#include "xen/dom0-mem.h"
#include "xen/machine-map.h"
#include "util/err.h"

struct xenlog_range {
	bool set;
	uint64_t start, end; /* end exclusive, as printed "A->B" */
	unsigned int line;
};

enum xenlog_dom0_type {
	XENLOG_DOM0_UNKNOWN,
	XENLOG_DOM0_PV,
	XENLOG_DOM0_PVH,
};

struct xenlog {
	char *name;	       /* input name used in messages */
	char *xen_version;     /* "4.17.7", or NULL */
	char *builtin_cmdline; /* "Built-in command line:", or NULL */
	char *cmdline;	       /* "Command line:", or NULL */
	unsigned int cmdline_line;

	/* dom0_mem= of the built-in then the given command line
	 * (dom0_mem.seen is false when there is none); Xen's mem= and
	 * availmem= (0 when absent). */
	struct dom0_mem dom0_mem;
	uint64_t xen_mem_limit, xen_availmem;

	/* Xen's final map: the last Xen-side "... RAM map:" that is not the
	 * e820-verbose "Initial ..." one (that one only when it is alone).
	 * e820.nr == 0 when none. */
	struct e820_table e820;
	char *e820_header;
	unsigned int e820_line;
	uint64_t system_ram_kb; /* 0 when not printed */
	uint64_t truncated_from_kb, truncated_to_kb;

	enum xenlog_dom0_type dom0_type;
	char *kernel_desc;		  /* "64-bit, PAE, lsb" */
	struct xenlog_range kernel_paddr; /* Dom0 kernel: ... paddr A -> B */
	struct xenlog_range alloc;	  /* Dom0 alloc.: the first chunk */
	bool pages_to_allocate_set;
	uint64_t pages_to_allocate; /* N of "(N pages to be allocated)" */
	struct xenlog_range initrd; /* physical "Init. ramdisk:" */
	struct xenlog_range v_kernel, v_initrd, v_p2m, v_start_info, v_xenstore, v_console,
		v_page_tables, v_boot_stack, v_total;
	bool v_entry_set;
	uint64_t v_entry;	     /* ENTRY ADDRESS */
	unsigned int dom0_max_vcpus; /* 0 when not printed */
	uint64_t clipped_pages;	     /* "Dom0 memory clipped to N pages", or 0 */

	struct xen_platform platform; /* version, CPU, IO-APICs, IOMMUs, HPET */
};

/* Errors: "FILE:LINE: what" for a known line that cannot be read (a cut
 * "Dom0 alloc." line, a broken E820 entry, ...); -ENOENT when the input
 * has no Xen line at all. */
int xenlog_parse_file(const char *path, struct xenlog *log, struct p2msim_err *err);
int xenlog_parse_buffer(const char *name, const char *buf, size_t len, struct xenlog *log,
			struct p2msim_err *err);
void xenlog_free(struct xenlog *log);

/* The whole file (or "-": stdin) as a NUL-terminated buffer (free() it). */
int xenlog_read_file(const char *path, char **buf, size_t *len, struct p2msim_err *err);

/*
 * The Xen boots a log holds: each starts at a "Xen version" line (or at
 * the first Xen line of a log cut before it).  A boot is complete when it
 * has Xen's RAM map and got as far as building dom0 or panicking.  At most
 * @max are kept (the last ones); *nr says how many.
 */
struct xenlog_boot {
	unsigned int first_line; /* physical line of its first Xen line */
	bool has_map;
	bool has_dom0_or_panic;
};
int xenlog_boots(const char *name, const char *buf, size_t len, struct xenlog_boot *boots,
		 size_t max, size_t *nr, struct p2msim_err *err);
/* The same over a file read as a stream (a serial capture of several
 * GiB, up to the E820 reader's limit). */
int xenlog_boots_file(const char *path, struct xenlog_boot *boots, size_t max, size_t *nr,
		      struct p2msim_err *err);
/* xenlog_parse_file() of physical lines [first_line, end_line) only (one
 * boot of xenlog_boots_file(); end_line 0: to the end), read as a stream;
 * line numbers stay the file's. */
int xenlog_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			     struct xenlog *log, struct p2msim_err *err);

/*
 * dom0's nr_pages as the builder had it, from the "Dom0 alloc." line: the
 * pages still to allocate plus the first chunk plus the pages of an initrd
 * Xen hands over in place (a physical "Init. ramdisk" line; Xen 4.0 copied
 * the initrd into the chunk and prints none).  -ENOENT without the line.
 */
int xenlog_dom0_nr_pages(const struct xenlog *log, uint64_t *nr_pages);

/*
 * A placement given on the command line as Xen's log would give it
 * (--dom0-kernel for "Dom0 kernel: ... paddr A -> B", --dom0-initrd for
 * "Init. ramdisk: A->B"): Xen's own "A->B" (hex, "0x" optional, B one past
 * the last byte, as printed; a leading "paddr " is skipped), "START-END"
 * (END the last byte, as p2msim's tables) or "START+SIZE", numbers in C
 * syntax (0x..., decimal) with an optional K, M, G or T suffix.  "none"
 * (when @none_ok) returns 0 with r->set false.  Errors name the option
 * text; ranges must be non-empty and below the 52-bit physical address
 * space.
 */
int xenlog_range_parse(const char *s, bool none_ok, struct xenlog_range *r, struct p2msim_err *err);

/* XENMEM_machine_memory_map from a parsed log (xen/machine-map.h
 * xen_machine_map() on log->e820 and log->platform); -ENOENT when the log
 * has no map. */
int xenlog_machine_map(const struct xenlog *log, struct e820_table *out, unsigned int *added,
		       struct p2msim_err *err);

#endif
