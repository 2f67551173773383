/* SPDX-License-Identifier: MIT */
/*
 * xen/machine-map.c - the memory maps a PV guest is handed: what
 * XENMEM_machine_memory_map gives dom0 (Xen's E820 plus RESERVED entries
 * for the MMIO Xen keeps to itself), and what libxl's e820_host makes of
 * that map for a domU.  Rules read from xen/arch/x86/mm.c,
 * xen/arch/x86/dom0_build.c, the VT-d and AMD-Vi hwdom_init code and
 * tools/libs/light/libxl_x86.c; see xen/xenlog.h for the summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen/machine-map.h"
#include "xen/model.h"
#include "xen/xenlog.h"
#include "util/page.h"

#define APIC_DEFAULT_BASE 0xfee00000ULL
#define MSI_WINDOW_START 0xfee00000ULL
#define MSI_WINDOW_END 0xfeefffffULL /* MSI_ADDR_BASE_LO + DEST_ID_MASK */
#define HT_SIZE (3ULL << 32)	     /* 12 GiB below the HT limit */
#define AMD_IOMMU_MMIO_LEN 0x4000ULL /* IOMMU_MMIO_REGION_LENGTH */
#define DEFAULT_PADDR_BITS 40	     /* QEMU TCG, AMD family 16h; see below */

/* --- the platform ------------------------------------------------------------------- */

void xen_platform_init(struct xen_platform *pf)
{
	memset(pf, 0, sizeof(*pf));
}

static int add_unique(uint64_t *list, unsigned int *nr, unsigned int max, uint64_t addr)
{
	for (unsigned int i = 0; i < *nr; i++)
		if (list[i] == addr)
			return 0;
	if (*nr == max)
		return -E2BIG;
	list[(*nr)++] = addr;
	return 0;
}

int xen_platform_add_ioapic(struct xen_platform *pf, uint64_t addr)
{
	return add_unique(pf->ioapic, &pf->nr_ioapics, XEN_PLATFORM_MAX_IOAPICS, addr);
}

int xen_platform_add_drhd(struct xen_platform *pf, uint64_t addr)
{
	return add_unique(pf->drhd, &pf->nr_drhd, XEN_PLATFORM_MAX_IOMMUS, addr);
}

int xen_platform_add_amd_iommu(struct xen_platform *pf, uint64_t addr)
{
	return add_unique(pf->amd_iommu, &pf->nr_amd_iommu, XEN_PLATFORM_MAX_IOMMUS, addr);
}

int xen_platform_set_version(struct xen_platform *pf, const char *version)
{
	char *end;
	unsigned long major, minor;

	if (!version)
		return -EINVAL;
	major = strtoul(version, &end, 10);
	if (end == version || *end != '.' || major == 0 || major > 99)
		return -EINVAL;
	version = end + 1;
	minor = strtoul(version, &end, 10);
	if (end == version || minor > 99)
		return -EINVAL;
	pf->xen_major = (unsigned int)major;
	pf->xen_minor = (unsigned int)minor;
	pf->xen_patch = 0;
	if (*end == '.' && end[1] >= '0' && end[1] <= '9')
		pf->xen_patch = (unsigned int)strtoul(end + 1, NULL, 10) % 1000;
	return 0;
}

/* The behaviours of pf's Xen; an unknown version has those of
 * XEN_DEFAULT_VERSION, the Xen of the project's lab. */
static void platform_model(const struct xen_platform *pf, struct xen_model *xm)
{
	char v[32];

	if (pf->xen_major)
		snprintf(v, sizeof(v), "%u.%u.%u", pf->xen_major, pf->xen_minor, pf->xen_patch);
	else
		snprintf(v, sizeof(v), "%s", XEN_DEFAULT_VERSION);
	if (xen_model_init(xm, v, NULL) < 0)
		(void)xen_model_init(xm, XEN_DEFAULT_VERSION, NULL);
}

/* --- dom0's iomem permissions ------------------------------------------------------------ */

struct pfn_range {
	uint64_t s, e; /* inclusive frame numbers */
};

struct ranges {
	struct pfn_range *r;
	size_t nr, alloc;
};

static int ranges_add(struct ranges *rs, uint64_t s, uint64_t e)
{
	if (s > e)
		return 0;
	if (rs->nr == rs->alloc) {
		size_t n = rs->alloc ? rs->alloc * 2 : 32;
		struct pfn_range *r = realloc(rs->r, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		rs->r = r;
		rs->alloc = n;
	}
	rs->r[rs->nr++] = (struct pfn_range){ s, e };
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct pfn_range *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/*
 * The frames the hardware domain is denied, by the rules of pf's Xen
 * (xen/model.c dates each): the local APIC and IO-APIC pages, the MSI
 * window, the AMD HyperTransport range, HPET and IOMMU registers.
 */
static int denied_ranges(const struct xen_platform *pf, const struct xen_model *xm,
			 unsigned int paddr_bits, struct ranges *d)
{
	uint64_t lapic = pf->lapic_set ? pf->lapic : APIC_DEFAULT_BASE;
	int rc = 0;

	if (lapic)
		rc |= ranges_add(d, PFN_DOWN(lapic), PFN_DOWN(lapic));
	for (unsigned int i = 0; i < pf->nr_ioapics; i++)
		rc |= ranges_add(d, PFN_DOWN(pf->ioapic[i]), PFN_DOWN(pf->ioapic[i]));
	if (xen_has(xm, XB_DENY_MSI_WINDOW))
		rc |= ranges_add(d, PFN_DOWN(MSI_WINDOW_START), PFN_DOWN(MSI_WINDOW_END));
	if ((pf->vendor == XEN_CPU_AMD || pf->vendor == XEN_CPU_HYGON) &&
	    xen_has(xm, XB_DENY_HT_HOLE)) {
		unsigned int bits = 40;
		uint64_t top;

		if (xen_has(xm, XB_HT_HOLE_DYNAMIC) && pf->family >= 0x17)
			bits = paddr_bits;
		top = PFN_DOWN(1ULL << bits);
		rc |= ranges_add(d, top - PFN_DOWN(HT_SIZE), top - 1);
	}
	if (pf->hpet_set && pf->hpet_protect == XEN_HPET_PROTECT_4K)
		rc |= ranges_add(d, PFN_DOWN(pf->hpet), PFN_DOWN(pf->hpet));
	else if (pf->hpet_set && pf->hpet_protect == XEN_HPET_PROTECT_64K)
		rc |= ranges_add(d, PFN_DOWN(pf->hpet), PFN_DOWN(pf->hpet) + 15);
	for (unsigned int i = 0; i < pf->nr_drhd; i++)
		rc |= ranges_add(d, PFN_DOWN(pf->drhd[i]), PFN_DOWN(pf->drhd[i]));
	for (unsigned int i = 0; i < pf->nr_amd_iommu; i++)
		rc |= ranges_add(d, PFN_DOWN(pf->amd_iommu[i]),
				 PFN_DOWN(pf->amd_iommu[i] + AMD_IOMMU_MMIO_LEN - 1));
	return rc ? -ENOMEM : 0;
}

/* The permitted frames: [0, top] minus the denied ones, sorted. */
static int permitted_ranges(struct ranges *d, uint64_t top, struct ranges *p)
{
	uint64_t next = 0;
	bool done = false;

	if (d->nr)
		qsort(d->r, d->nr, sizeof(d->r[0]), cmp_range);
	for (size_t i = 0; i < d->nr && !done; i++) {
		if (d->r[i].s > top)
			break;
		if (d->r[i].s > next && ranges_add(p, next, d->r[i].s - 1) < 0)
			return -ENOMEM;
		if (d->r[i].e >= top)
			done = true;
		else if (d->r[i].e + 1 > next)
			next = d->r[i].e + 1;
	}
	if (!done && ranges_add(p, next, top) < 0)
		return -ENOMEM;
	return 0;
}

/* The walk of XENMEM_machine_memory_map (mm.c): cursor s, entries out. */
struct walk {
	uint64_t s; /* first frame not yet described */
	unsigned int paddr_bits;
	bool check_bits; /* newer Xen skips frames beyond paddr_bits */
	struct e820_table *out;
	unsigned int added;
	int rc;
};

/* handle_iomem_range(): a permitted run [s, e] starts; what lies between
 * the cursor and s is denied and becomes RESERVED. */
static void handle(struct walk *w, uint64_t s, uint64_t e)
{
	if (w->rc)
		return;
	if (s > w->s && !(w->check_bits && (s >> (w->paddr_bits - PAGE_SHIFT)))) {
		w->rc = e820_add(w->out, w->s << PAGE_SHIFT, (s - w->s) << PAGE_SHIFT,
				 E820_TYPE_RESERVED);
		w->added++;
	}
	w->s = e + 1; /* wraps to 0 after the last frame, as in Xen */
}

/* rangeset_report_ranges(): the permitted runs meeting [s, e], clipped. */
static void report(struct walk *w, const struct ranges *p, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < p->nr && !w->rc; i++)
		if (p->r[i].e >= s && p->r[i].s <= e)
			handle(w, p->r[i].s > s ? p->r[i].s : s, p->r[i].e < e ? p->r[i].e : e);
}

int xen_machine_map(const struct e820_table *xen_e820, const struct xen_platform *pf,
		    struct e820_table *out, unsigned int *added, struct p2msim_err *err)
{
	struct ranges denied = { 0 }, permitted = { 0 };
	struct walk w = { 0 };
	struct xen_model xm;
	unsigned int bits = pf->paddr_bits ? pf->paddr_bits : DEFAULT_PADDR_BITS;
	uint64_t top;
	int rc;

	if (bits < 32 || bits > 52)
		return p2msim_err_set(err, -EINVAL, "paddr_bits %u is not a physical address width",
				      bits);
	platform_model(pf, &xm);
	top = xen_has(&xm, XB_IOMEM_BELOW_PADDR_BITS) ? PFN_DOWN(1ULL << bits) - 1 : ~0ULL;
	rc = denied_ranges(pf, &xm, bits, &denied);
	if (rc == 0)
		rc = permitted_ranges(&denied, top, &permitted);
	if (rc < 0)
		goto out;
	w.out = out;
	w.paddr_bits = bits;
	w.check_bits = xen_has(&xm, XB_IOMEM_BELOW_PADDR_BITS);
	for (size_t i = 0; i < xen_e820->nr && !w.rc; i++) {
		const struct e820_entry *en = &xen_e820->entries[i];
		uint64_t s = PFN_DOWN(en->addr);

		if (s > w.s) {
			report(&w, &permitted, w.s, s - 1);
			handle(&w, s, s);
		}
		if (!w.rc)
			w.rc = e820_add(out, en->addr, en->size, en->type);
		w.s = PFN_UP(en->addr + en->size);
	}
	if (w.s && !w.rc) {
		report(&w, &permitted, w.s, ~0ULL);
		if (w.s)
			handle(&w, ~0ULL, ~0ULL);
	}
	rc = w.rc;
out:
	free(denied.r);
	free(permitted.r);
	if (rc < 0)
		return p2msim_err_set(err, rc,
				      rc == -ENOMEM ?
					      "out of memory" :
					      "the machine memory map has too many entries");
	if (added)
		*added = w.added;
	return 0;
}

int xenlog_machine_map(const struct xenlog *log, struct e820_table *out, unsigned int *added,
		       struct p2msim_err *err)
{
	if (!log->e820.nr)
		return p2msim_err_set(err, -ENOENT, "%s: Xen's log has no E820 map",
				      log->name ? log->name : "<input>");
	return xen_machine_map(&log->e820, &log->platform, out, added, err);
}

/* --- libxl's e820_host ------------------------------------------------------------------ */

#define LIBXL_E820MAX 128
#define FOUR_GIB (1ULL << 32)

int xen_libxl_e820_host(const struct e820_table *machine, const struct xen_libxl_e820_opts *o,
			struct e820_table *out, struct p2msim_err *err)
{
	struct e820_entry src[LIBXL_E820MAX], dst[LIBXL_E820MAX + 3];
	uint64_t balloon_kb, delta_kb = 0, start = ~0ULL, start_kb = 0, last = 0, ram_end;
	size_t nr = machine->nr, idx = 0;
	int rc = 0;

	if (!o->target_kb || !nr)
		return p2msim_err_set(err, -EINVAL, "libxl e820_host: no memory or no host map");
	if (nr > LIBXL_E820MAX)
		return p2msim_err_set(err, -E2BIG,
				      "libxl e820_host: the host map has %zu entries, "
				      "libxl takes %d",
				      nr, LIBXL_E820MAX);
	if (o->max_kb < o->target_kb)
		return p2msim_err_set(err, -EINVAL, "libxl e820_host: maxmem below memory");
	balloon_kb = o->max_kb - o->target_kb + o->slack_kb;
	if (o->era != XEN_LIBXL_E820_MODERN && !balloon_kb)
		return p2msim_err_set(err, -EINVAL,
				      "libxl e820_host: this libxl refuses "
				      "maxmem == memory without slack (ERROR_INVAL)");
	memcpy(src, machine->entries, nr * sizeof(src[0]));

	/* Everything at or below 1 MiB goes. */
	for (size_t i = 0; i < nr; i++)
		if (src[i].addr <= 0x100000)
			src[i] = (struct e820_entry){ .addr = ~0ULL };
	/* The lowest non-RAM entry; "last" is a comparison's result in libxl
	 * (1 when there is any such entry), so the tail lands at 4 GiB. */
	for (size_t i = 0; i < nr; i++) {
		if (src[i].type == E820_TYPE_RAM || src[i].type == E820_TYPE_UNUSABLE ||
		    src[i].type == 0)
			continue;
		if (src[i].addr < start)
			start = src[i].addr;
		last = src[i].addr + src[i].size > last ? 1 : last;
	}
	if (start > 1024)
		start_kb = start >> 10;
	dst[idx] = (struct e820_entry){ 0, o->target_kb << 10, E820_TYPE_RAM, 0, 0 };
	if (start_kb && o->target_kb > start_kb) {
		delta_kb = o->target_kb - start_kb;
		dst[idx].size -= delta_kb << 10;
	}
	ram_end = dst[idx].addr + dst[idx].size;
	idx++;

	for (size_t i = 0; i < nr; i++) {
		uint64_t end = src[i].addr + src[i].size;

		if (src[i].type == E820_TYPE_UNUSABLE || end < ram_end) {
			src[i].type = 0;
			continue;
		}
		if (src[i].type != E820_TYPE_RAM || src[i].addr >= FOUR_GIB)
			continue;
		/* before 364fab04 the RAM islands are left as RAM, then dropped */
		if (o->era == XEN_LIBXL_E820_2011_DROP_ISLANDS)
			continue;
		if (src[i].addr < ram_end) {
			uint64_t delta = ram_end - src[i].addr;

			src[i].type = E820_TYPE_UNUSABLE;
			if (src[i].size < delta) {
				src[i].type = 0;
			} else {
				src[i].size -= delta;
				src[i].addr = ram_end;
			}
			if (src[i].addr + src[i].size != end)
				src[i].type = 0; /* "Computed E820 wrongly" */
		}
		if (end > ram_end)
			src[i].type = E820_TYPE_UNUSABLE;
	}

	if (start > ram_end) {
		bool add_unusable = true;

		for (size_t i = 0; i < nr && add_unusable; i++) {
			if (src[i].type != E820_TYPE_UNUSABLE || src[i].addr != ram_end)
				continue;
			if (src[i].addr + src[i].size != start)
				src[i].size = start - src[i].addr;
			add_unusable = false;
		}
		if (add_unusable)
			dst[idx++] = (struct e820_entry){ ram_end, start - ram_end,
							  E820_TYPE_UNUSABLE, 0, 0 };
	}
	for (size_t i = 0; i < nr; i++)
		if (src[i].type != E820_TYPE_RAM && src[i].type != 0)
			dst[idx++] = src[i];
	if (o->era == XEN_LIBXL_E820_MODERN ? (balloon_kb || delta_kb) : balloon_kb != 0)
		dst[idx++] = (struct e820_entry){ FOUR_GIB > last ? FOUR_GIB : last,
						  (delta_kb << 10) + (balloon_kb << 10),
						  E820_TYPE_RAM, 0, 0 };
	if (idx > LIBXL_E820MAX)
		return p2msim_err_set(err, -E2BIG,
				      "libxl e820_host: the guest map would have %zu "
				      "entries",
				      idx);
	for (size_t i = 0; i < idx && !rc; i++)
		rc = e820_add(out, dst[i].addr, dst[i].size, dst[i].type);
	return rc < 0 ? p2msim_err_set(err, rc, "out of memory") : 0;
}
