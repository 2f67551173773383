/* SPDX-License-Identifier: MIT */
/*
 * xen/machine-map.h - the memory map Xen gives a guest: the machine map
 * dom0 reads with XENMEM_machine_memory_map (Xen's E820 less the MMIO
 * ranges Xen keeps from dom0, which depend on the Xen version and the
 * platform), and the pseudo-physical map libxl's e820_host makes of it for
 * a domU.
 */
#ifndef P2MSIM_XEN_MACHINE_MAP_H
#define P2MSIM_XEN_MACHINE_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "e820/e820.h"
#include "util/err.h"

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
	XEN_HPET_PROTECT_NONE, /* or unknown: Xen leaves the HPET to dom0 */
	XEN_HPET_PROTECT_4K,   /* one page denied */
	XEN_HPET_PROTECT_64K,  /* sixteen pages denied */
};

#define XEN_PLATFORM_MAX_IOAPICS 128 /* Xen's MAX_IO_APICS */
#define XEN_PLATFORM_MAX_IOMMUS 64

/*
 * The facts XENMEM_machine_memory_map depends on beyond Xen's E820: which
 * Xen (the rules changed between versions), the CPU, and the MMIO ranges
 * Xen removes from dom0's iomem permissions.  Zero / empty means "not
 * known" (a log excerpt, an older Xen that does not print the line); see
 * xen_machine_map() for what is assumed then.
 */
struct xen_platform {
	unsigned int xen_major, xen_minor; /* 0.0: unknown (4.17's rules) */
	unsigned int xen_patch;		   /* 4.20.5 -> 5 (stable backports) */
	enum xen_cpu_vendor vendor;
	unsigned int family;	 /* CPU family; 0: unknown */
	unsigned int paddr_bits; /* 0: unknown (40 assumed) */
	bool lapic_set;
	uint64_t lapic; /* mp_lapic_addr */
	unsigned int nr_ioapics;
	uint64_t ioapic[XEN_PLATFORM_MAX_IOAPICS];
	unsigned int nr_drhd; /* VT-d units: one register page each */
	uint64_t drhd[XEN_PLATFORM_MAX_IOMMUS];
	unsigned int nr_amd_iommu; /* AMD-Vi: 16 KiB of registers each */
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
	XEN_LIBXL_E820_2011_DROP_ISLANDS, /* before 364fab04: RAM islands dropped */
	XEN_LIBXL_E820_2011,		  /* 364fab04: islands UNUSABLE; balloon > 0 needed */
	XEN_LIBXL_E820_MODERN,		  /* balloon may be 0; the tail holds the cut part */
};

struct xen_libxl_e820_opts {
	uint64_t target_kb, max_kb, slack_kb;
	enum xen_libxl_e820_era era;
};

int xen_libxl_e820_host(const struct e820_table *machine, const struct xen_libxl_e820_opts *o,
			struct e820_table *out, struct p2msim_err *err);

#endif
