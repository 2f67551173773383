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
 * The first occurrence of each counts (every distinct IO-APIC and DRHD).
 * Ranges are as printed: B is exclusive (one past the last byte).
 */
#ifndef P2MSIM_XEN_XENLOG_H
#define P2MSIM_XEN_XENLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "e820/e820.h"
#include "xen/dom0-mem.h"
#include "util/err.h"

struct xenlog_range {
	bool set;
	uint64_t start, end;	/* end exclusive, as printed "A->B" */
	unsigned int line;
};

enum xenlog_dom0_type {
	XENLOG_DOM0_UNKNOWN,
	XENLOG_DOM0_PV,
	XENLOG_DOM0_PVH,
};

/* --- the platform: what Xen keeps from dom0 ----------------------------- */

enum xen_cpu_vendor {
	XEN_CPU_UNKNOWN,
	XEN_CPU_INTEL,
	XEN_CPU_AMD,
	XEN_CPU_HYGON,
	XEN_CPU_OTHER,
};

/* ACPI HPET table page-protection flags, which Xen does not print. */
enum xen_hpet_protect {
	XEN_HPET_PROTECT_NONE,		/* or unknown: Xen leaves the HPET to dom0 */
	XEN_HPET_PROTECT_4K,		/* one page denied */
	XEN_HPET_PROTECT_64K,		/* sixteen pages denied */
};

#define XEN_PLATFORM_MAX_IOAPICS 128	/* Xen's MAX_IO_APICS */
#define XEN_PLATFORM_MAX_IOMMUS 64

/*
 * The facts XENMEM_machine_memory_map depends on beyond Xen's E820: which
 * Xen (the rules changed between versions), the CPU, and the MMIO ranges
 * Xen removes from dom0's iomem permissions.  Zero / empty means "not
 * known" (a log excerpt, an older Xen that does not print the line); see
 * xen_machine_map() for what is assumed then.
 */
struct xen_platform {
	unsigned int xen_major, xen_minor;	/* 0.0: unknown (4.17's rules) */
	unsigned int xen_patch;			/* 4.20.5 -> 5 (stable backports) */
	enum xen_cpu_vendor vendor;
	unsigned int family;			/* CPU family; 0: unknown */
	unsigned int paddr_bits;		/* 0: unknown (40 assumed) */
	bool lapic_set;
	uint64_t lapic;				/* mp_lapic_addr */
	unsigned int nr_ioapics;
	uint64_t ioapic[XEN_PLATFORM_MAX_IOAPICS];
	unsigned int nr_drhd;			/* VT-d units: one register page each */
	uint64_t drhd[XEN_PLATFORM_MAX_IOMMUS];
	unsigned int nr_amd_iommu;		/* AMD-Vi: 16 KiB of registers each */
	uint64_t amd_iommu[XEN_PLATFORM_MAX_IOMMUS];
	bool hpet_set;
	uint64_t hpet;
	enum xen_hpet_protect hpet_protect;
};

void xen_platform_init(struct xen_platform *pf);
/* Add an IO-APIC / DRHD / AMD IOMMU address once (duplicates ignored);
 * -E2BIG when the list is full. */
int xen_platform_add_ioapic(struct xen_platform *pf, uint64_t addr);
int xen_platform_add_drhd(struct xen_platform *pf, uint64_t addr);
int xen_platform_add_amd_iommu(struct xen_platform *pf, uint64_t addr);
/* "4.17.7", "4.1.5-pre", "4.14-unstable" -> major, minor, patch; -EINVAL
 * if not. */
int xen_platform_set_version(struct xen_platform *pf, const char *version);

struct xenlog {
	char *name;			/* input name used in messages */
	char *xen_version;		/* "4.17.7", or NULL */
	char *builtin_cmdline;		/* "Built-in command line:", or NULL */
	char *cmdline;			/* "Command line:", or NULL */
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
	uint64_t system_ram_kb;		/* 0 when not printed */
	uint64_t truncated_from_kb, truncated_to_kb;

	enum xenlog_dom0_type dom0_type;
	char *kernel_desc;			/* "64-bit, PAE, lsb" */
	struct xenlog_range kernel_paddr;	/* Dom0 kernel: ... paddr A -> B */
	struct xenlog_range alloc;		/* Dom0 alloc.: the first chunk */
	bool pages_to_allocate_set;
	uint64_t pages_to_allocate;		/* N of "(N pages to be allocated)" */
	struct xenlog_range initrd;		/* physical "Init. ramdisk:" */
	struct xenlog_range v_kernel, v_initrd, v_p2m, v_start_info, v_xenstore, v_console,
		v_page_tables, v_boot_stack, v_total;
	bool v_entry_set;
	uint64_t v_entry;			/* ENTRY ADDRESS */
	unsigned int dom0_max_vcpus;		/* 0 when not printed */
	uint64_t clipped_pages;			/* "Dom0 memory clipped to N pages", or 0 */

	struct xen_platform platform;		/* version, CPU, IO-APICs, IOMMUs, HPET */
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
	unsigned int first_line;	/* physical line of its first Xen line */
	bool has_map;
	bool has_dom0_or_panic;
};
int xenlog_boots(const char *name, const char *buf, size_t len, struct xenlog_boot *boots,
		 size_t max, size_t *nr, struct p2msim_err *err);

/*
 * dom0's nr_pages as the builder had it, from the "Dom0 alloc." line: the
 * pages still to allocate plus the first chunk plus the pages of an initrd
 * Xen hands over in place (a physical "Init. ramdisk" line; Xen 4.0 copied
 * the initrd into the chunk and prints none).  -ENOENT without the line.
 */
int xenlog_dom0_nr_pages(const struct xenlog *log, uint64_t *nr_pages);

/* --- what a guest is given as its memory map -------------------------------------- */

/*
 * XENMEM_machine_memory_map as Xen answers it for dom0: Xen's final E820
 * (the map it prints, after its own sanitize and mem= clipping) with a
 * RESERVED entry inserted into each gap for every run of frames dom0 may
 * not access (xen/arch/x86/mm.c, handle_iomem_range over dom0's
 * iomem_caps).  What dom0_setup_permissions and the IOMMU drivers deny,
 * by Xen version:
 *   - the local APIC page (mp_lapic_addr; 0xfee00000 when not known);
 *   - every IO-APIC page;
 *   - the MSI window 0xfee00000-0xfeefffff, from 4.2 until 4.21;
 *   - on AMD and Hygon, the 12 GiB HyperTransport range below 1 TiB, from
 *     4.2; from 4.16 for family 0x17 and later below 2^paddr_bits instead;
 *   - the HPET page(s) when the ACPI table asks for protection;
 *   - each VT-d register page and each AMD-Vi 16 KiB register block.
 * A denied run is reported only when dom0 may access something after it
 * below 2^paddr_bits, so a range at the very top never shows.  The result
 * is appended to out (initialised by the caller); *added, when not NULL,
 * counts the inserted entries.
 */
int xen_machine_map(const struct e820_table *xen_e820, const struct xen_platform *pf,
		    struct e820_table *out, unsigned int *added, struct p2msim_err *err);
/* The same from a parsed log (log->e820, log->platform); -ENOENT when the
 * log has no map. */
int xenlog_machine_map(const struct xenlog *log, struct e820_table *out, unsigned int *added,
		       struct p2msim_err *err);

/*
 * libxl's e820_host for a PV guest (tools/libs/light/libxl_x86.c,
 * e820_sanitize): the pseudo-physical map a domU with e820_host=1 (or PCI
 * passthrough) gets from the host's machine map.  target_kb, max_kb and
 * slack_kb are the domain's memory, maxmem and PV slack in KiB.  Entries
 * at or below 1 MiB go; one RAM entry [0, target) cut at the first non-RAM
 * entry above 1 MiB; host UNUSABLE and anything ending below that cut go;
 * host RAM islands below 4 GiB become UNUSABLE (before libxl commit
 * 364fab04, May 2011: dropped); the gap up to the first non-RAM entry is
 * filled with UNUSABLE; non-RAM entries are copied; the cut part plus
 * (max - target + slack) is one RAM entry at 4 GiB (libxl computes the
 * highest non-RAM end into a boolean, so it is never placed higher).
 */
enum xen_libxl_e820_era {
	XEN_LIBXL_E820_2011_DROP_ISLANDS,	/* before 364fab04: RAM islands dropped */
	XEN_LIBXL_E820_2011,			/* 364fab04: islands UNUSABLE; balloon > 0 needed */
	XEN_LIBXL_E820_MODERN,			/* balloon may be 0; the tail holds the cut part */
};

struct xen_libxl_e820_opts {
	uint64_t target_kb, max_kb, slack_kb;
	enum xen_libxl_e820_era era;
};

int xen_libxl_e820_host(const struct e820_table *machine, const struct xen_libxl_e820_opts *o,
			struct e820_table *out, struct p2msim_err *err);

#endif
