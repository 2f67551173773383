/* SPDX-License-Identifier: MIT */
/*
 * xen/dom0-mem.h - Xen's own memory options: dom0_mem= (how many pages
 * dom0 starts with and how far it may balloon), and mem=/availmem= (how Xen
 * clips its own E820 map).  Rules of Xen 4.17, see xen/dom0-mem.c.
 */
#ifndef P2MSIM_XEN_DOM0_MEM_H
#define P2MSIM_XEN_DOM0_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "e820/e820.h"
#include "util/err.h"

/* One dom0_mem amount (Xen's struct memsize): [-][<size>+][<frac>%]. */
struct dom0_mem_size {
	bool set;	      /* given on the command line */
	bool minus;	      /* "all but": avail - amount */
	uint64_t pages;	      /* absolute part, in 4 KiB pages */
	unsigned int percent; /* fraction of the available memory, < 100 */
};

struct dom0_mem {
	struct dom0_mem_size amount; /* <sz>: the exact amount */
	struct dom0_mem_size min;    /* min:<sz> */
	struct dom0_mem_size max;    /* max:<sz>; also the maximum reservation */
	bool seen;		     /* any dom0_mem= option */
	/*
	 * What the simulation cannot read from a map; set before computing.
	 * avail_pages: pages Xen has free for dom0 (avail_domheap_pages() plus
	 * the boot modules); 0 estimates it as every whole page of E820 RAM,
	 * which is an upper bound (Xen keeps its image, heap and frame table).
	 * iommu: reserve Xen's IOMMU page-table estimate (iommu enabled and
	 * not in passthrough mode).
	 */
	uint64_t avail_pages;
	bool iommu;
};

void dom0_mem_init(struct dom0_mem *dm);
/*
 * Parse dom0_mem options into a fresh *out: spec holds one value
 * ("max:3G,1G") or several blank-separated options, each optionally
 * written "dom0_mem=..."; later options override the parts they name, as
 * repeated options do in Xen.  -EINVAL with a message on a malformed
 * value (the parts before the error stay set, as in Xen).
 */
int dom0_mem_parse(const char *spec, struct dom0_mem *out, struct p2msim_err *err);
/* Apply one more dom0_mem value on top of dm. */
int dom0_mem_apply(struct dom0_mem *dm, const char *value, struct p2msim_err *err);
/* Every dom0_mem= of a Xen command line, in order; other options ignored. */
int dom0_mem_from_xen_cmdline(const char *cmdline, struct dom0_mem *out, struct p2msim_err *err);

/* Every whole 4 KiB page of RAM in a machine map (PFN_UP(start) to
 * PFN_DOWN(end) per entry). */
uint64_t dom0_mem_ram_pages(const struct e820_table *machine);

/*
 * Xen 4.17 dom0_compute_nr_pages() for a PV dom0 with a kernel that has an
 * INIT_P2M note (every pvops kernel since 3.x): *nr_pages is dom0's initial
 * allocation, *max_pages its maximum reservation (d->max_pages), UINT64_MAX
 * when no max: was given (Xen then stores UINT_MAX, 0xffffffff, which the
 * toolstack shows as unlimited).
 */
int dom0_mem_compute(const struct dom0_mem *dm, const struct e820_table *machine,
		     uint64_t *nr_pages, uint64_t *max_pages, struct p2msim_err *err);

/* Xen parse_size_and_unit(): simple_strtoull base 0, then T/G/M/K/B;
 * without a unit the number is KiB. */
uint64_t xen_parse_size(const char *s, const char **end);

/* What Xen's clip_to_limit() did, for its "Truncating RAM from %lukB to
 * %lukB" line (old_limit 0: nothing was clipped). */
struct xen_clip_report {
	uint64_t mem_old_limit, mem_limit;     /* mem= */
	uint64_t avail_old_limit, avail_limit; /* availmem= */
};

/*
 * Xen's mem= (highest RAM address) and availmem= (amount of RAM) applied to
 * Xen's own map as machine_specific_memory_setup() does: RAM beyond the
 * limit becomes UNUSABLE (e820_change_range_type, which merges neighbours),
 * or is cut when the table (Xen's E820MAX, 1024 entries) is full.  0 means
 * "not given".  rep may be NULL.
 */
int xen_clip_mem(struct e820_table *t, uint64_t mem_limit, uint64_t availmem,
		 struct xen_clip_report *rep, struct p2msim_err *err);
/* mem= and availmem= of a Xen command line (0 when absent). */
void xen_cmdline_mem_limits(const char *cmdline, uint64_t *mem_limit, uint64_t *availmem);
/* Xen's copy_e820_map() fix-up: RAM that claims [640K, 1M) is cut out of
 * it.  Returns -1 (t unchanged) for fewer than two entries or a wrap, as
 * Xen ignores such a map. */
int xen_e820_fixup_low(struct e820_table *t);

#endif
