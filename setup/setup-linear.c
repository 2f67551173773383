/* SPDX-License-Identifier: MIT */
/*
 * setup/setup-linear.c - xen_memory_setup() and the P2M build of kernels
 * with the linear, virtually mapped P2M list (3.19 and later), which is
 * every kernel a current distribution runs.
 *
 * The kernel works in two phases and so does this file:
 *
 * 1. xen_memory_setup(), early in boot.  The P2M is still the domain
 *    builder's flat mfn_list (xen_p2m_size = nr_pages rounded up to a
 *    leaf).  The memory map is read and sanitized, extra (balloon) regions
 *    are laid out above nr_pages, holes and non-RAM below nr_pages become
 *    identity and the RAM frames under them are queued for remapping to
 *    pfns above nr_pages (or released when there is nowhere to put them).
 *
 * 2. xen_pagetable_init(), once page allocation works.  The list moves to
 *    a virtual area sized for the extra regions or the memory-hotplug
 *    limit, whichever is larger; uniform leaves and 1 GiB stretches become
 *    the shared missing/identity pages (everything past the early list
 *    counts as identity); the extra regions are invalidated pfn by pfn;
 *    the queued frames are remapped; shared_info tells the toolstack.
 *
 * Here phase 1 runs on the early list kept as runs (struct early: a
 * stretch of MFNs, identity or missing; the builder hands out aligned
 * chunks, so a 16 TiB dom0 is a few thousand runs, not 4G entries), and
 * phase 2 on the P2M engine, a run at a time.  Every loop the kernel makes
 * pfn by pfn is made here a run at a time with the same outcome: the same
 * values, the same log lines, the same pfn where it stops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "setup/setup-internal.h"
#include "util/page.h"

#define IBFT_START 0x80000ULL
#define IBFT_END 0x100000ULL
#define NR_NONRAM_REMAP 4
#define PMD_SIZE (2ULL << 20)
#define P2M_VADDR 0xffffc90000000000ULL /* where Debian's 6.x vmalloc puts the list */

/* One xen_remap_buf: frames queued for the pfns from @target, as the
 * pieces [first, first + nr) of linear->pieces. */
struct remap_chunk {
	uint64_t target;
	uint64_t size;
	size_t first, nr;
};

/* n values from @v: v, v + 1, ... (or n times INVALID). */
struct remap_piece {
	uint64_t v, n;
	bool invalid;
};

/* The early list: runs tiling [0, early_size). */
enum early_kind {
	EARLY_MFN,
	EARLY_IDENTITY,
	EARLY_MISSING
};

struct early_run {
	uint64_t start, end;
	uint64_t v0; /* EARLY_MFN: the MFN of start */
	enum early_kind kind;
};

struct early {
	struct early_run *r;
	size_t nr, alloc;
};

struct nonram_remap {
	uint64_t maddr, paddr, size;
};

struct linear {
	struct setup_ctx c;

	struct e820_table map; /* xen_e820_table */
	struct early list;     /* the early P2M: xen_p2m_addr */
	uint64_t early_size;   /* xen_p2m_size before the move */
	uint64_t ini;	       /* ini_nr_pages */
	uint64_t mem_end;
	uint64_t max_p2m_pfn;  /* xen_max_p2m_pfn */
	uint64_t last_pfn;     /* xen_p2m_last_pfn */
	uint64_t maxmem_pages; /* MAXMEM / PAGE_SIZE */

	struct remap_chunk *chunks;
	size_t nr_chunks, alloc_chunks;
	struct remap_piece *pieces;
	size_t nr_pieces, alloc_pieces;

	struct nonram_remap nonram[NR_NONRAM_REMAP];
	unsigned int nr_nonram;
};

/* --- the early list as runs ---------------------------------------------------- */

/* The run holding @pfn (< early_size). */
static size_t early_find(const struct early *el, uint64_t pfn)
{
	size_t lo = 0, hi = el->nr;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (el->r[mid].start <= pfn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int early_reserve(struct early *el, size_t more)
{
	while (el->nr + more > el->alloc) {
		size_t n = el->alloc ? 2 * el->alloc : 64;
		struct early_run *r = realloc(el->r, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		el->r = r;
		el->alloc = n;
	}
	return 0;
}

static int early_append(struct early *el, uint64_t s, uint64_t e, enum early_kind kind, uint64_t v0)
{
	struct early_run *last = el->nr ? &el->r[el->nr - 1] : NULL;

	if (s >= e)
		return 0;
	if (last && last->end == s && last->kind == kind &&
	    (kind != EARLY_MFN || last->v0 + (s - last->start) == v0)) {
		last->end = e;
		return 0;
	}
	if (early_reserve(el, 1) < 0)
		return -ENOMEM;
	el->r[el->nr++] = (struct early_run){ s, e, v0, kind };
	return 0;
}

/* Make [s, e) (inside the list) one run of @kind. */
static int early_assign(struct early *el, uint64_t s, uint64_t e, enum early_kind kind)
{
	size_t i, j;
	struct early_run head, tail;

	if (s >= e)
		return 0;
	if (early_reserve(el, 2) < 0)
		return -ENOMEM;
	i = early_find(el, s);
	j = early_find(el, e - 1);
	head = el->r[i];
	tail = el->r[j];
	/* runs i..j become: head's part before s, [s, e), tail's part from e */
	{
		struct early_run repl[3];
		size_t n = 0;

		if (head.start < s)
			repl[n++] = (struct early_run){ head.start, s, head.v0, head.kind };
		repl[n++] = (struct early_run){ s, e, 0, kind };
		if (tail.end > e)
			repl[n++] = (struct early_run){
				e, tail.end,
				tail.kind == EARLY_MFN ? tail.v0 + (e - tail.start) : 0, tail.kind
			};
		memmove(&el->r[i + n], &el->r[j + 1], (el->nr - j - 1) * sizeof(el->r[0]));
		memcpy(&el->r[i], repl, n * sizeof(repl[0]));
		el->nr = el->nr - (j + 1 - i) + n;
	}
	return 0;
}

/* The value of @pfn in the early list, as the kernel's array holds it. */
static uint64_t early_value(const struct linear *l, uint64_t pfn)
{
	const struct early_run *r = &l->list.r[early_find(&l->list, pfn)];

	switch (r->kind) {
	case EARLY_MFN:
		return r->v0 + (pfn - r->start);
	case EARLY_IDENTITY:
		return p2m_identity_frame(l->c.g, pfn);
	case EARLY_MISSING:
	default:
		return l->c.g->invalid;
	}
}

static uint64_t pfn_to_mfn_early(const struct linear *l, uint64_t pfn)
{
	uint64_t v;

	if (pfn >= l->early_size)
		return p2m_identity_frame(l->c.g, pfn) & ~l->c.g->identity_bit;
	v = early_value(l, pfn);
	if (v == l->c.g->invalid)
		return v;
	return v & ~(l->c.g->identity_bit | l->c.g->foreign_bit);
}

/* set_phys_range_identity() on the early list: only [s, xen_p2m_size). */
static int early_identity(struct linear *l, uint64_t s, uint64_t e)
{
	if (s >= l->early_size || s > e)
		return 0;
	if (e > l->early_size)
		e = l->early_size;
	if (early_assign(&l->list, s, e, EARLY_IDENTITY) < 0)
		return setup_oom(&l->c);
	l->c.res->identity_set += e - s;
	return 0;
}

/* --- step 1: limits and the memory map --------------------------------------- */

/* xen_parse_512gb(): "xen_512gb_limit" alone turns it on, "=<bool>" sets it,
 * an unparsable value leaves the default (CONFIG_XEN_512GB).  What parses
 * depends on kstrtobool(): t/T/f/F only from 5.19. */
static bool parse_512gb(const char *cmdline, bool dflt, bool tf)
{
	const char *arg, *v;

	if (!cmdline || !(arg = strstr(cmdline, "xen_512gb_limit")))
		return dflt;
	arg = strstr(cmdline, "xen_512gb_limit=");
	if (!arg)
		return true;
	v = arg + strlen("xen_512gb_limit=");
	/* kstrtobool: y/Y/1/t/T true, n/N/0/f/F false, on/off */
	switch (v[0]) {
	case 'y':
	case 'Y':
	case '1':
		return true;
	case 'n':
	case 'N':
	case '0':
		return false;
	case 't':
	case 'T':
		return tf ? true : dflt;
	case 'f':
	case 'F':
		return tf ? false : dflt;
	case 'o':
	case 'O':
		if (v[1] == 'n' || v[1] == 'N')
			return true;
		if (v[1] == 'f' || v[1] == 'F')
			return false;
		return dflt;
	default:
		return dflt;
	}
}

static uint64_t pages_limit(const struct linear *l)
{
	const struct kernel_model *km = l->c.km;

	if (!kernel_has(km, KB_512GB_LIMIT))
		return km->config.max_domain_gib << 18; /* MAX_DOMAIN_PAGES */
	if (!l->c.in->dom0 &&
	    parse_512gb(l->c.in->cmdline, km->config.xen_512gb, kernel_has(km, KB_KSTRTOBOOL_TF)))
		return 512ULL << 18;
	return l->maxmem_pages;
}

static int read_memory_map(struct linear *l)
{
	return setup_read_memory_map(l->c.res, l->c.in, l->c.hv, l->mem_end, &l->map, l->c.err);
}

static int prepare_map(struct linear *l)
{
	if (l->c.in->dom0) {
		/* 3.13+: Xen refuses 1-1 mappings of UNUSABLE, so dom0 treats
		 * them as the RAM they are in its pseudo-physical map. */
		if (kernel_has(l->c.km, KB_IGNORE_UNUSABLE))
			for (size_t i = 0; i < l->map.nr; i++)
				if (l->map.entries[i].type == E820_TYPE_UNUSABLE)
					l->map.entries[i].type = E820_TYPE_RAM;
		/* 6.5+: the iBFT scan area must be identity mapped. */
		if (kernel_has(l->c.km, KB_IBFT_RESERVE) &&
		    e820_add(&l->map, IBFT_START, IBFT_END - IBFT_START, E820_TYPE_RESERVED) < 0)
			return setup_oom(&l->c);
	}
	if (setup_sanitize(&l->map) < 0)
		return setup_oom(&l->c);
	return 0;
}

/* --- step 2: conflicts with what Xen placed ---------------------------------------- */

static int swap_with_ram(struct linear *l, size_t idx)
{
	struct e820_entry *swap = &l->map.entries[idx];
	uint64_t swap_addr = PAGE_ALIGN_DOWN(swap->addr);
	uint64_t swap_size = PAGE_ALIGN_UP(swap->addr - swap_addr + swap->size);

	for (size_t i = 0; i < l->map.nr; i++) {
		struct e820_entry *e = &l->map.entries[i];
		uint64_t end = e->addr + e->size;
		uint64_t new_addr;
		uint32_t type = swap->type;
		uint64_t size = swap->size;

		if (e->type != E820_TYPE_RAM || e->size < swap_size || end - swap_size < l->mem_end)
			continue;
		if (l->nr_nonram == NR_NONRAM_REMAP) {
			setup_stop_at(l->c.res, KB_NVS_SWAP, "nvs-swap", PFN_DOWN(swap->addr),
				      PFN_UP(swap->addr + swap->size), NULL);
			return setup_crash(l->c.res, l->c.err,
					   "Number of required E820 entry remapping actions exceed "
					   "maximum value");
		}
		e->size -= swap_size;
		/* The new entry keeps the page offset; kernels before 28e03f78e69c
		 * subtract it instead (doc/behaviours.md#nvs-swap-address). */
		new_addr = kernel_has(l->c.km, KB_NVS_SWAP_ADDR_FIX) ?
				   end - swap_size + (swap->addr - swap_addr) :
				   end - swap_size + swap_addr - swap->addr;
		l->nonram[l->nr_nonram++] =
			(struct nonram_remap){ swap_addr, end - swap_size, swap_size };
		swap->type = E820_TYPE_RAM;
		swap->addr = swap_addr;
		swap->size = swap_size;
		if (e820_add(&l->map, new_addr, size, type) < 0)
			return setup_oom(&l->c);
		if (setup_sanitize(&l->map) < 0)
			return setup_oom(&l->c);
		return 0;
	}
	setup_stop_at(l->c.res, KB_NVS_SWAP, "nvs-swap", PFN_DOWN(swap->addr),
		      PFN_UP(swap->addr + swap->size), NULL);
	return setup_crash(l->c.res, l->c.err,
			   "No suitable area found for required E820 entry remapping action");
}

/* xen_chk_is_e820_usable(): 6.12 first moves a conflicting ACPI NVS range
 * out of the way; anything else that is not RAM stops the kernel. */
static int check_usable(struct linear *l, uint64_t start_pfn, uint64_t end_pfn,
			const char *component, enum kernel_behaviour check)
{
	uint64_t start = PFN_PHYS(start_pfn), size = PFN_PHYS(end_pfn - start_pfn);
	int rc;

	if (!size)
		return 0;
	if (kernel_has(l->c.km, KB_NVS_SWAP)) {
		for (size_t i = 0; i < l->map.nr; i++) {
			const struct e820_entry *e = &l->map.entries[i];

			if (e->addr >= start + size)
				break;
			if (e->addr + e->size > start && e->type == E820_TYPE_NVS) {
				rc = swap_with_ram(l, i);
				if (rc < 0)
					return rc;
				i = (size_t)-1; /* the map was re-sorted */
			}
		}
	}
	if (!setup_e820_reserved(&l->map, start, size))
		return 0;
	setup_stop_at(l->c.res, check, component, start_pfn, end_pfn, &l->map);
	return setup_crash(l->c.res, l->c.err,
			   "Xen hypervisor allocated %s memory conflicts with E820 map", component);
}

static int check_layout(struct linear *l)
{
	const struct setup_layout *lay = &l->c.in->layout;
	int rc;

	if (kernel_has(l->c.km, KB_KERNEL_CONFLICT)) {
		/* The check covers _text.._end.  With CONFIG_AMD_MEM_ENCRYPT a
		 * 4 MiB .init.scratch section, 2 MiB aligned, follows _end in
		 * what Xen loads (Debian 6.1: _end 0x84430000, image end
		 * 0x84a00000), so a hole in the last 4 MiB is harmless (lab:
		 * every-64M-20holes boots 6.12). */
		uint64_t end = lay->kernel_end;

		if (l->c.km->config.amd_mem_encrypt && end > lay->kernel_start + 0x400)
			end -= 0x400;
		rc = check_usable(l, lay->kernel_start, end, "kernel", KB_KERNEL_CONFLICT);
		if (rc < 0)
			return rc;
	}
	if (kernel_has(l->c.km, KB_E820_EARLY_CHECKS)) {
		rc = check_usable(l, lay->start_info, lay->start_info_end, "xen_start_info",
				  KB_E820_EARLY_CHECKS);
		if (rc < 0)
			return rc;
	}
	if (kernel_has(l->c.km, KB_PT_CONFLICT))
		return check_usable(l, lay->pt_start, lay->pt_end, "page table", KB_PT_CONFLICT);
	return 0;
}

/* --- step 3: how much and where extra memory goes ------------------------------------- */

/* xen_foreach_remap_area(): non-RAM and gaps up to the next RAM entry (or
 * the end of the map), rounded outward to whole pages. */
typedef int (*remap_area_fn)(struct linear *l, uint64_t s, uint64_t e, uint64_t *val);

static int foreach_remap_area(struct linear *l, remap_area_fn fn, uint64_t *val)
{
	uint64_t start = 0;

	for (size_t i = 0; i < l->map.nr; i++) {
		const struct e820_entry *e = &l->map.entries[i];
		uint64_t end = e->addr + e->size;

		if (e->type == E820_TYPE_RAM || i == l->map.nr - 1) {
			uint64_t s = PFN_DOWN(start), t = PFN_UP(end);
			int rc;

			if (e->type == E820_TYPE_RAM)
				t = PFN_UP(e->addr);
			if (s < t && (rc = fn(l, s, t, val)) < 0)
				return rc;
			start = end;
		}
	}
	return 0;
}

static int count_remap(struct linear *l, uint64_t s, uint64_t e, uint64_t *pages)
{
	if (s < l->ini)
		*pages += (e < l->ini ? e : l->ini) - s;
	return 0;
}

static uint64_t get_max_pages(struct linear *l)
{
	uint64_t limit = pages_limit(l), max_pages = limit, resv;

	/* dom0 uses its maximum reservation; a domU's map covers static-max. */
	if (l->c.in->dom0 &&
	    hv_reservation(l->c.hv, l->c.in->domid, HV_RESV_MAXIMUM, &resv, NULL) == 0 && resv > 0)
		max_pages = resv;
	return max_pages < limit ? max_pages : limit;
}

static int add_kernel_region(struct linear *l, uint64_t start, uint64_t size, uint32_t type)
{
	uint64_t end = start + size;

	if (type == E820_TYPE_RAM) {
		start = PAGE_ALIGN_UP(start);
		end = PAGE_ALIGN_DOWN(end);
		if (end <= start)
			return 0;
	}
	return e820_add(&l->c.res->e820, start, end - start, type) < 0 ? setup_oom(&l->c) : 0;
}

/* The chunk walk: RAM below mem_end is the kernel's, RAM above it becomes
 * extra regions while extra pages last, the rest is dropped (4.3+) or
 * marked UNUSABLE; everything else is copied. */
static int walk_chunks(struct linear *l, uint64_t extra_pages, uint64_t *end_addr)
{
	size_t i = 0;
	uint64_t addr = l->map.entries[0].addr, size = l->map.entries[0].size;
	int rc;

	while (i < l->map.nr) {
		uint64_t chunk = size;
		uint32_t type = l->map.entries[i].type;
		bool discard = false;

		if (type == E820_TYPE_RAM) {
			if (addr < l->mem_end) {
				chunk = size < l->mem_end - addr ? size : l->mem_end - addr;
			} else if (extra_pages) {
				uint64_t pfn_s, n;

				chunk = size < PFN_PHYS(extra_pages) ? size : PFN_PHYS(extra_pages);
				pfn_s = PFN_UP(addr);
				n = PFN_DOWN(addr + chunk) - pfn_s;
				extra_pages -= n;
				rc = setup_extra_add(l->c.res, pfn_s, n, l->c.err);
				if (rc < 0)
					return rc;
				l->max_p2m_pfn = pfn_s + n;
			} else if (kernel_has(l->c.km, KB_DISCARD_EXTRA_RAM)) {
				discard = true;
			} else {
				type = E820_TYPE_UNUSABLE; /* 3.x: kept as UNUSABLE */
			}
		}
		if (!discard && (rc = add_kernel_region(l, addr, chunk, type)) < 0)
			return rc;
		addr += chunk;
		size -= chunk;
		if (size == 0 && ++i < l->map.nr) {
			addr = l->map.entries[i].addr;
			size = l->map.entries[i].size;
		}
	}
	*end_addr = addr;
	return 0;
}

/* --- step 4: the initrd -------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a < d && c < b;
}

/* xen_find_free_area(): the first RAM entry with room that avoids what is
 * already reserved.  The model knows the big reservations (the first 64
 * KiB, the kernel, start info, page tables, the initrd itself). */
static uint64_t find_free_area(const struct linear *l, uint64_t size)
{
	const struct setup_layout *lay = &l->c.in->layout;
	const uint64_t resv[][2] = {
		{ 0, 0x10000 },
		{ PFN_PHYS(lay->kernel_start), PFN_PHYS(lay->kernel_end) },
		{ PFN_PHYS(lay->start_info), PFN_PHYS(lay->start_info_end) },
		{ PFN_PHYS(lay->pt_start), PFN_PHYS(lay->pt_end) },
		{ PFN_PHYS(lay->initrd_start), PFN_PHYS(lay->initrd_end) },
	};

	for (size_t i = 0; i < l->map.nr; i++) {
		const struct e820_entry *e = &l->map.entries[i];
		uint64_t start = e->addr;

		if (e->type != E820_TYPE_RAM || e->size < size)
			continue;
		for (size_t k = 0; k < sizeof(resv) / sizeof(resv[0]); k++)
			if (overlaps(start, start + size, resv[k][0], resv[k][1])) {
				start = PAGE_ALIGN_UP(resv[k][1]);
				k = (size_t)-1;
				if (start + size > e->addr + e->size)
					break;
			}
		if (start + size <= e->addr + e->size)
			return start;
	}
	return 0;
}

static int check_initrd(struct linear *l)
{
	const struct setup_layout *lay = &l->c.in->layout;
	uint64_t start = PFN_PHYS(lay->initrd_start),
		 size = PFN_PHYS(lay->initrd_end - lay->initrd_start);
	uint64_t to;

	/* the kernel works with boot_params' ramdisk_size, in bytes, and
	 * prints start + size */
	if (lay->initrd_bytes && lay->initrd_bytes <= size)
		size = lay->initrd_bytes;

	if (!kernel_has(l->c.km, KB_INITRD_MOVE) || !size ||
	    !setup_e820_reserved(&l->map, start, size))
		return 0;
	to = find_free_area(l, size);
	if (!to) {
		setup_stop_at(l->c.res, KB_INITRD_MOVE, "initrd", lay->initrd_start,
			      lay->initrd_end, &l->map);
		return setup_crash(
			l->c.res, l->c.err,
			"Can't find new memory area for initrd needed due to E820 map conflict");
	}
	return setup_log(l->c.res,
			 "initrd moved from [mem %#010llx-%#010llx] to [mem %#010llx-%#010llx]",
			 (unsigned long long)start, (unsigned long long)(start + size),
			 (unsigned long long)to, (unsigned long long)(to + size));
}

/* --- step 5: identity, remap and release ---------------------------------------------- */

/* xen_find_pfn_range(): the next RAM at or after *min_pfn. */
static uint64_t find_pfn_range(const struct linear *l, uint64_t *min_pfn)
{
	for (size_t i = 0; i < l->map.nr; i++) {
		const struct e820_entry *e = &l->map.entries[i];
		uint64_t s, t;

		if (e->type != E820_TYPE_RAM)
			continue;
		t = PFN_DOWN(e->addr + e->size);
		if (t <= *min_pfn)
			continue;
		s = PFN_UP(e->addr);
		if (s <= *min_pfn)
			return t - *min_pfn;
		*min_pfn = s;
		return t - s;
	}
	return 0;
}

static int add_piece(struct linear *l, uint64_t v, uint64_t n, bool invalid)
{
	if (l->nr_pieces == l->alloc_pieces) {
		size_t k = l->alloc_pieces ? l->alloc_pieces * 2 : 64;
		struct remap_piece *p = realloc(l->pieces, k * sizeof(*p));

		if (!p)
			return setup_oom(&l->c);
		l->pieces = p;
		l->alloc_pieces = k;
	}
	l->pieces[l->nr_pieces++] = (struct remap_piece){ v, n, invalid };
	return 0;
}

/* Queue the frames of pfns [src, src + size) for @target: what
 * pfn_to_mfn() gives for each, a run of the early list at a time. */
static int queue_chunk(struct linear *l, uint64_t target, uint64_t src, uint64_t size)
{
	size_t first = l->nr_pieces;
	uint64_t pfn = src, end = src + size;
	int rc;

	if (l->nr_chunks == l->alloc_chunks) {
		size_t n = l->alloc_chunks ? l->alloc_chunks * 2 : 64;
		struct remap_chunk *c = realloc(l->chunks, n * sizeof(*c));

		if (!c)
			return setup_oom(&l->c);
		l->chunks = c;
		l->alloc_chunks = n;
	}
	while (pfn < end) {
		uint64_t stop = end, v = pfn_to_mfn_early(l, pfn);

		if (pfn < l->early_size) {
			const struct early_run *r = &l->list.r[early_find(&l->list, pfn)];

			stop = r->end < end ? r->end : end;
		}
		rc = add_piece(l, v, stop - pfn, v == l->c.g->invalid);
		if (rc < 0)
			return rc;
		pfn = stop;
	}
	l->chunks[l->nr_chunks++] =
		(struct remap_chunk){ target, size, first, l->nr_pieces - first };
	return 0;
}

/* xen_do_set_identity_and_remap_chunk(): queue the frames (in buffers of
 * REMAP_SIZE, which changes nothing visible) and make the pfns identity. */
static int identity_and_remap(struct linear *l, uint64_t start, uint64_t size, uint64_t remap_pfn)
{
	int rc = queue_chunk(l, remap_pfn, start, size);

	if (rc < 0)
		return rc;
	return early_identity(l, start, start + size);
}

/* xen_set_identity_and_release_chunk(): the fallback. */
static int identity_and_release(struct linear *l, uint64_t start, uint64_t end)
{
	uint64_t stop = end < l->ini ? end : l->ini;

	for (uint64_t pfn = start; pfn < stop; pfn++) {
		struct p2msim_err herr = { 0 };
		uint64_t mfn = pfn_to_mfn_early(l, pfn), back;
		long done;

		if (mfn == l->c.g->invalid || hv_m2p(l->c.hv, mfn, &back, NULL) < 0 || back != pfn)
			continue;
		done = hv_decrease_reservation(l->c.hv, l->c.in->domid, &mfn, 1, 0, &herr);
		if (done != 1) {
			setup_log(l->c.res, "WARNING: Failed to release pfn %llx err=%ld",
				  (unsigned long long)pfn, done);
			break;
		}
		l->c.res->released++;
		/* the kernel writes INVALID here; early_identity() below
		 * overwrites it with identity before anything reads it */
	}
	return early_identity(l, start, end);
}

/* xen_set_identity_and_remap_chunk() for one remap area. */
static int identity_area(struct linear *l, uint64_t start, uint64_t end, uint64_t *remap_pfn)
{
	uint64_t n = end - start, i = 0;
	int rc;

	if (*remap_pfn == 0)
		*remap_pfn = l->ini;
	while (i < n) {
		uint64_t cur = start + i, left = n - i, size = left, room;

		if (cur >= l->ini)
			return early_identity(l, cur, cur + size);
		if (cur + size > l->ini)
			size = l->ini - cur;
		room = find_pfn_range(l, remap_pfn);
		if (!room) {
			setup_log(
				l->c.res,
				"Unable to find available pfn range, not remapping identity pages");
			return identity_and_release(l, cur, cur + left);
		}
		if (size > room)
			size = room;
		rc = identity_and_remap(l, cur, size, *remap_pfn);
		if (rc < 0)
			return rc;
		i += size;
		*remap_pfn += size;
	}
	return 0;
}

/* --- phase 2: the list moves to its virtual area ---------------------------------------- */

/* set_phys_to_machine() on the moved list, with the bookkeeping of
 * xen_alloc_p2m_entry(). */
static bool set_p2m(struct linear *l, uint64_t pfn, uint64_t mfn)
{
	struct p2m *p = l->c.res->p2m;

	if (p2m_set_noalloc(p, pfn, mfn))
		return true;
	if (pfn >= p2m_capacity(p) || p2m_set(p, pfn, mfn, NULL) < 0)
		return false;
	if (pfn >= l->last_pfn) {
		/* 5.14+: rounded up to a whole leaf; before, the raw pfn. */
		uint64_t per = 1ULL << l->c.g->leaf_shift;

		l->last_pfn = kernel_has(l->c.km, KB_MAX_PFN_ALIGNED) ? (pfn + per) & ~(per - 1) :
									pfn;
	}
	return true;
}

/* The early list into the new P2M, run by run: its stretches of frame
 * runs go in together (a mid each, not a run each), identity runs one by
 * one, missing ones stay as the new P2M starts. */
static int rebuild_copy(struct linear *l, struct p2msim_err *perr)
{
	struct p2m_frame_run *runs;
	size_t nr = 0, most = 0;
	int rc = 0;

	for (size_t i = 0; i < l->list.nr; i++)
		most += l->list.r[i].kind == EARLY_MFN;
	runs = malloc((most ? most : 1) * sizeof(*runs));
	if (!runs)
		return p2msim_err_set(perr, -ENOMEM,
				      "out of memory listing the early P2M's %zu frame runs", most);
	for (size_t i = 0; i <= l->list.nr && rc == 0; i++) {
		const struct early_run *r = i < l->list.nr ? &l->list.r[i] : NULL;

		if (r && r->kind == EARLY_MFN) {
			runs[nr++] = (struct p2m_frame_run){ r->start, r->v0, r->end - r->start };
			continue;
		}
		rc = p2m_set_runs(l->c.res->p2m, runs, nr, perr);
		nr = 0;
		if (rc == 0 && r && r->kind == EARLY_IDENTITY)
			rc = p2m_set_range(l->c.res->p2m, r->start, r->end, P2M_FILL_IDENTITY, 0,
					   NULL, perr);
	}
	free(runs);
	return rc;
}

static int build_list(struct linear *l)
{
	uint64_t entry = l->c.g->value_bits / 8;
	uint64_t align = PMD_SIZE * l->c.g->pmds_per_mid;
	uint64_t limit = 0, want, vm;
	struct p2m_config cfg;
	struct p2msim_err perr = { 0 };
	int rc;

	if (kernel_has(l->c.km, KB_P2M_LIMIT) && l->c.km->config.balloon_hotplug)
		limit = (l->c.km->config.hotplug_limit_gib << 30) >> PAGE_SHIFT;
	l->last_pfn = l->max_p2m_pfn;
	want = l->max_p2m_pfn > limit ? l->max_p2m_pfn : limit;
	vm = (want * entry + align - 1) / align * align;
	setup_log(l->c.res, "p2m virtual area at (____ptrval____), size is %llx",
		  (unsigned long long)vm);
	l->c.res->vm_size = vm;
	l->max_p2m_pfn = vm / entry;

	p2m_config_init(&cfg, l->c.in->arch, l->max_p2m_pfn);
	cfg.mid_identity = true;
	rc = p2m_new(&l->c.res->p2m, &cfg, &perr);
	if (rc < 0)
		return p2msim_err_set(l->c.err, rc, "%s", perr.msg);
	/* xen_rebuild_p2m_list(): copy the early list, everything past it is
	 * identity, uniform leaves and mids become the shared pages. */
	rc = rebuild_copy(l, &perr);
	if (rc == 0 && l->early_size < l->max_p2m_pfn)
		rc = p2m_set_range(l->c.res->p2m, l->early_size, l->max_p2m_pfn, P2M_FILL_IDENTITY,
				   0, NULL, &perr);
	if (rc < 0)
		return p2msim_err_set(l->c.err, rc, "%s", perr.msg);
	p2m_compact(l->c.res->p2m);
	l->c.res->p2m_size = l->max_p2m_pfn;

	/* xen_inv_extra_mem(): set_phys_to_machine(INVALID) pfn by pfn. */
	for (unsigned int i = 0; i < l->c.res->nr_extra; i++) {
		const struct setup_extra *x = &l->c.res->extra[i];

		if (!x->n)
			continue;
		rc = p2m_set_range_pfnwise(l->c.res->p2m, x->start, x->start + x->n,
					   P2M_FILL_MISSING, 0, &perr);
		if (rc < 0)
			return p2msim_err_set(l->c.err, rc, "%s", perr.msg);
	}
	/* xen_build_mfn_list_list() */
	rc = p2m_mirror_rebuild(l->c.res->p2m, &perr);
	return rc < 0 ? p2msim_err_set(l->c.err, rc, "%s", perr.msg) : 0;
}

static int m2p_failed(struct linear *l, uint64_t pfn, uint64_t mfn)
{
	setup_log(l->c.res, "WARNING: Failed to set m2p mapping for mfn=%llu pfn=%llu",
		  (unsigned long long)mfn, (unsigned long long)pfn);
	return setup_crash(l->c.res, l->c.err,
			   "kernel BUG in xen_update_mem_tables "
			   "(arch/x86/xen/setup.c)");
}

/* set_p2m() for pfns [pfn, pfn + n) (all inside the list) with v, v + 1,
 * ...: the same values and the same xen_p2m_last_pfn as pfn by pfn, where
 * every leaf still shared takes an allocation, the first pfn written into
 * it triggering it. */
static bool set_p2m_run(struct linear *l, uint64_t pfn, uint64_t n, uint64_t v)
{
	struct p2m *p = l->c.res->p2m;
	uint64_t per = 1ULL << l->c.g->leaf_shift, trigger = 0;
	bool alloc = false;
	struct p2m_iter it;
	struct p2m_run run;

	if (!n)
		return true;
	p2m_iter_init(&it, p, pfn, pfn + n, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run))
		if (run.level != P2M_LEVEL_LEAF) {
			uint64_t last_leaf = (run.end - 1) & ~(per - 1);

			trigger = last_leaf > pfn ? last_leaf : pfn;
			alloc = true;
		}
	if (p2m_set_range_pfnwise(p, pfn, pfn + n, P2M_FILL_MFN, v, NULL) < 0)
		return false;
	if (alloc && trigger >= l->last_pfn)
		l->last_pfn = kernel_has(l->c.km, KB_MAX_PFN_ALIGNED) ?
				      (trigger + per) & ~(per - 1) :
				      trigger;
	return true;
}

/* One pfn of xen_remap_memory(): set_phys_to_machine, the M2P, the
 * kernel mapping; negative when the kernel stops there. */
static int remap_one(struct linear *l, uint64_t pfn, uint64_t mfn)
{
	if (!set_p2m(l, pfn, mfn)) {
		setup_log(l->c.res, "WARNING: Failed to set p2m mapping for pfn=%llu mfn=%llu",
			  (unsigned long long)pfn, (unsigned long long)mfn);
		return setup_crash(l->c.res, l->c.err,
				   "kernel BUG in xen_update_mem_tables "
				   "(arch/x86/xen/setup.c)");
	}
	if (hv_machphys_update(l->c.hv, l->c.in->domid, mfn, pfn, NULL) < 0)
		return m2p_failed(l, pfn, mfn);
	/* update_va_mapping fails for a pfn the kernel did not map, e.g.
	 * above a mem= limit (lab capture pc-2G-dom0-linux-mem384M, 6.1);
	 * before 5.16 such a pfn's kernel mapping is not touched. */
	if (pfn >= l->c.res->kernel_max_pfn && kernel_has(l->c.km, KB_REMAP_MAPS_ALL)) {
		setup_stop_at(l->c.res, KB_REMAP, "remap", pfn, pfn + 1, NULL);
		l->c.res->stop.limit_pfn = l->c.res->kernel_max_pfn;
		setup_log(l->c.res, "------------[ cut here ]------------");
		setup_log(l->c.res, "Failed to update kernel mapping for mfn=%llu pfn=%llu",
			  (unsigned long long)mfn, (unsigned long long)pfn);
		if (l->c.km->remap_bug_line)
			return setup_crash(l->c.res, l->c.err,
					   "kernel BUG at arch/x86/xen/setup.c:%u!",
					   l->c.km->remap_bug_line);
		return setup_crash(l->c.res, l->c.err,
				   "kernel BUG in xen_remap_memory (arch/x86/xen/setup.c)");
	}
	return 0;
}

/* A run of remap_one(): the pfns that cannot fail in one step (inside the
 * list, below the kernel's mapping), the M2P first so that a refused
 * frame stops the run where the kernel would stop.  Returns the pfns
 * remapped, or a negative error when the kernel stopped. */
static int64_t remap_run(struct linear *l, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	uint64_t cap = p2m_capacity(l->c.res->p2m), lim, easy, done;
	int rc;

	lim = cap;
	if (kernel_has(l->c.km, KB_REMAP_MAPS_ALL) && l->c.res->kernel_max_pfn < lim)
		lim = l->c.res->kernel_max_pfn;
	easy = pfn < lim ? (n < lim - pfn ? n : lim - pfn) : 0;
	done = hv_machphys_update_range(l->c.hv, l->c.in->domid, mfn, pfn, easy, &rc, NULL);
	/* the pfn whose M2P update failed had its P2M entry set first */
	if (!set_p2m_run(l, pfn, done + (done < easy), mfn)) {
		rc = remap_one(l, pfn, mfn); /* out of our memory: say where */
		return rc < 0 ? rc : 1;
	}
	if (done < easy)
		return m2p_failed(l, pfn + done, mfn + done);
	if (easy < n) {
		rc = remap_one(l, pfn + easy, mfn + easy);
		return rc < 0 ? rc : (int64_t)easy + 1;
	}
	return (int64_t)easy;
}

/* xen_remap_memory(): the queued frames go to their new pfns. */
static int remap_memory(struct linear *l)
{
	uint64_t remapped = 0;
	int rc;

	for (size_t c = 0; c < l->nr_chunks; c++) {
		const struct remap_chunk *ch = &l->chunks[c];
		uint64_t pfn = ch->target;

		for (size_t k = ch->first; k < ch->first + ch->nr; k++) {
			const struct remap_piece *pc = &l->pieces[k];

			if (pc->invalid) {
				/* INVALID has no M2P to set: the first one stops */
				for (uint64_t i = 0; i < pc->n; i++, pfn++, remapped++)
					if ((rc = remap_one(l, pfn, pc->v)) < 0)
						return rc;
				continue;
			}
			for (uint64_t i = 0; i < pc->n;) {
				int64_t got = remap_run(l, pfn, pc->v + i, pc->n - i);

				if (got < 0) {
					/* the stop names the whole remap target */
					if (l->c.res->stop.check == KB_REMAP) {
						l->c.res->stop.start = ch->target;
						l->c.res->stop.end = ch->target + ch->size;
					}
					return (int)got;
				}
				i += (uint64_t)got;
				pfn += (uint64_t)got;
				remapped += (uint64_t)got;
			}
		}
		rc = setup_extra_del(l->c.res, ch->target, ch->size, l->c.err);
		if (rc < 0)
			return rc;
	}
	l->c.res->remapped = remapped;
	return setup_log(l->c.res, "Remapped %llu page(s)", (unsigned long long)remapped);
}

/* 6.12 xen_do_remap_nonram(): swapped non-RAM ranges keep their frames. */
static int remap_nonram(struct linear *l)
{
	uint64_t remapped = 0;

	for (unsigned int i = 0; i < l->nr_nonram; i++) {
		const struct nonram_remap *r = &l->nonram[i];
		uint64_t pfn = PFN_DOWN(r->paddr), end = PFN_UP(r->paddr + r->size);
		uint64_t mfn = PFN_DOWN(r->maddr);

		for (; pfn < end; pfn++, mfn++, remapped++)
			if (!set_p2m(l, pfn, mfn))
				return setup_crash(
					l->c.res, l->c.err,
					"Kernel panic - not syncing: Failed to set p2m mapping "
					"for pfn=%llx mfn=%llx",
					(unsigned long long)pfn, (unsigned long long)mfn);
	}
	l->c.res->remapped_nonram = remapped;
	return setup_log(l->c.res, "Remapped %llu non-RAM page(s)", (unsigned long long)remapped);
}

/* xen_setup_mfn_list_list(): what the toolstack reads. */
static int publish(struct linear *l)
{
	struct hv_p2m_info info = {
		.max_pfn = kernel_has(l->c.km, KB_MAX_PFN_LAST) ? l->last_pfn : l->max_p2m_pfn,
		.pfn_to_mfn_frame_list_list = p2m_mirror_fll(l->c.res->p2m),
		.p2m_cr3 = 1, /* non-zero: a linear list exists */
		.p2m_vaddr = P2M_VADDR,
		.p2m_generation = 0,
	};

	l->c.res->max_pfn = info.max_pfn;
	/* A hypervisor without shared_info (or one that refuses) changes
	 * nothing the guest computed. */
	(void)hv_set_p2m_info(l->c.hv, l->c.in->domid, &info, NULL);
	return 0;
}

/* --- the whole boot ----------------------------------------------------------------------- */

static int memory_setup(struct linear *l)
{
	uint64_t max_pages, remap_pages = 0, extra_pages = 0, maxmem, end_addr, remap_pfn = 0;
	int rc;

	l->ini = l->c.in->nr_pages < pages_limit(l) ? l->c.in->nr_pages : pages_limit(l);
	l->c.res->ini_nr_pages = l->ini;
	l->mem_end = PFN_PHYS(l->ini);
	if ((rc = read_memory_map(l)) < 0 || (rc = prepare_map(l)) < 0)
		return rc;
	if (kernel_has(l->c.km, KB_E820_EARLY_CHECKS) && (rc = check_layout(l)) < 0)
		return rc;

	max_pages = get_max_pages(l);
	foreach_remap_area(l, count_remap, &remap_pages);
	max_pages += remap_pages;
	l->c.res->max_pages = max_pages;
	if (max_pages > l->ini)
		extra_pages = max_pages - l->ini;
	maxmem = EXTRA_MEM_RATIO * (l->ini < l->maxmem_pages ? l->ini : l->maxmem_pages);
	if (extra_pages > maxmem)
		extra_pages = maxmem;
	if (max_pages > l->ini && extra_pages > max_pages - l->ini)
		extra_pages = max_pages - l->ini;
	if ((rc = walk_chunks(l, extra_pages, &end_addr)) < 0)
		return rc;
	/* "in case PCI BARs are located here": a no-op past the early list */
	if ((rc = early_identity(l, end_addr >> PAGE_SHIFT, ~0ULL)) < 0)
		return rc;
	if (e820_add(&l->c.res->e820, ISA_START_ADDRESS, ISA_END_ADDRESS - ISA_START_ADDRESS,
		     E820_TYPE_RESERVED) < 0)
		return setup_oom(&l->c);
	if (setup_sanitize(&l->c.res->e820) < 0)
		return setup_oom(&l->c);
	if (!kernel_has(l->c.km, KB_E820_EARLY_CHECKS) && (rc = check_layout(l)) < 0)
		return rc;
	if ((rc = check_initrd(l)) < 0)
		return rc;
	if ((rc = foreach_remap_area(l, identity_area, &remap_pfn)) < 0)
		return rc;
	setup_log(l->c.res, "Released %llu page(s)", (unsigned long long)l->c.res->released);
	return setup_log_e820(l->c.res, l->c.km, "BIOS-provided physical RAM map:", &l->c.res->e820,
			      "Xen");
}

static int pagetable_init(struct linear *l)
{
	int rc;

	if ((rc = build_list(l)) < 0 || (rc = remap_memory(l)) < 0)
		return rc;
	if (kernel_has(l->c.km, KB_NONRAM_REMAP_LOG) && (rc = remap_nonram(l)) < 0)
		return rc;
	return publish(l);
}

/* The builder's list, extents or one MFN per pfn, padded to a whole leaf
 * with INVALID. */
static int early_from_builder(struct linear *l, const struct setup_input *in)
{
	int rc = 0;

	if (in->mfn_list) {
		for (uint64_t pfn = 0; pfn < in->nr_pages && rc == 0; pfn++)
			rc = early_append(&l->list, pfn, pfn + 1,
					  in->mfn_list[pfn] == l->c.g->invalid ? EARLY_MISSING :
										 EARLY_MFN,
					  in->mfn_list[pfn]);
	} else {
		uint64_t pfn = 0;

		for (size_t i = 0; i < in->nr_mfn_ext && rc == 0; i++) {
			const struct hv_extent *x = &in->mfn_ext[i];
			uint64_t end = x->pfn + x->nr < in->nr_pages ? x->pfn + x->nr :
								       in->nr_pages;

			if (x->pfn < pfn || x->pfn >= in->nr_pages)
				continue; /* out of order or past nr_pages: not the list */
			rc = early_append(&l->list, pfn, x->pfn, EARLY_MISSING, 0);
			if (rc == 0)
				rc = early_append(&l->list, x->pfn, end, EARLY_MFN, x->mfn);
			pfn = end;
		}
		if (rc == 0)
			rc = early_append(&l->list, pfn, in->nr_pages, EARLY_MISSING, 0);
	}
	if (rc == 0)
		rc = early_append(&l->list, in->nr_pages, l->early_size, EARLY_MISSING, 0);
	return rc < 0 ? setup_oom(&l->c) : 0;
}

int setup_run_linear(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		     struct p2msim_err *err)
{
	struct linear l = { 0 };
	uint64_t per_leaf;
	int rc;

	setup_ctx_init(&l.c, in, hv, res, err);
	/* MAXMEM: 64 TiB with 4-level paging (a PV guest never runs 5-level);
	 * 32-bit lowmem is about 896 MiB. */
	l.maxmem_pages = in->arch == P2M_ARCH_X86_64 ? 1ULL << 34 : (896ULL << 20) >> PAGE_SHIFT;
	per_leaf = 1ULL << l.c.g->leaf_shift;
	e820_table_init(&l.map);
	/* xen_build_dynamic_phys_to_machine(): the builder's list, padded
	 * to a whole leaf with INVALID. */
	l.early_size = (in->nr_pages + per_leaf - 1) / per_leaf * per_leaf;
	l.max_p2m_pfn = l.early_size;
	rc = early_from_builder(&l, in);
	if (rc < 0)
		goto out;

	rc = memory_setup(&l);
	if (rc == 0)
		rc = setup_apply_cmdline(res, l.c.km, in->cmdline, err);
	if (rc == 0)
		rc = pagetable_init(&l);
out:
	free(l.list.r);
	free(l.chunks);
	free(l.pieces);
	e820_table_free(&l.map);
	return rc;
}
