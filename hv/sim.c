/* SPDX-License-Identifier: MIT */
/*
 * hv/sim.c - "sim", an in-memory Xen: opening, domains, the operations table.
 *
 * It owns the machine frames of a machine E820 map, hands them to domains
 * and takes them back the way Xen's XENMEM operations do, keeps the M2P,
 * and counts each domain's pages against its limit.  Kernel models and the
 * balloon run their hypercalls against it, so a simulated P2M is backed by
 * real (simulated) frames and the checkers can prove that nothing was lost
 * or owned twice.  Tests make it fail on purpose (hv_sim_inject,
 * hv_sim_limit_free).
 *
 * WHAT IT REPRODUCES (doc/simulation.md#kernel-model, Xen's common/memory.c)
 *
 *   - Frames are the RAM entries of the machine map, rounded inward to
 *     pages; MFN = address >> 12.  Xen keeps xen_reserved_pages at the top.
 *   - The heap hands out the highest free frames first, an extent of order
 *     k being a 2^k-aligned block: successive order-0 allocations come back
 *     in descending order, as the lab saw from a real populate_physmap.
 *   - XENMEM reservation ops work extent by extent and stop at the first
 *     extent that fails; the count done is the result.  An extent fails
 *     when the domain would exceed max_pages ("over-allocation") or when no
 *     aligned block is free.  Orders above the caller's max_order are
 *     refused outright (domU 9, control/hardware domain 18).
 *   - populate_physmap gives PV domains MFNs and writes M2P[mfn + j] =
 *     gpfn + j; increase_reservation gives MFNs with no M2P;
 *     decrease_reservation takes MFNs and stops at a frame the domain does
 *     not own ("Bad page free", -ENXIO) or that is not RAM (-EINVAL).
 *   - XEN_DOMCTL_max_mem may set max_pages below tot_pages; the domain then
 *     cannot grow until it shrinks below it (Xen removed the old check).
 *   - XENMEM_memory_map answers -ENOSYS for a domain whose toolstack set no
 *     map.
 *   - The domain builder: dom0 gets one large aligned chunk (Xen's "Dom0
 *     alloc." of the kernel image's order, 128 MiB for a typical kernel)
 *     and then the rest in the largest aligned chunks alloc_chunk() finds;
 *     a domU gets 2 MiB superpages, then single pages, as libxc's PV
 *     builder asks for them.  Only the run types of the resulting P2M
 *     matter for fidelity, not the exact MFNs.
 *
 * WHAT IT DOES NOT
 *
 *   NUMA, DMA zones and address-width restrictions, scrubbing, page types
 *   and reference counts, grant tables, PoD, HVM/PVH translation, memory
 *   exchange, preemption.  Frame contents live in a sparse store and are
 *   copied in and out by map_frames/unmap_frames: a mapping is a snapshot,
 *   written back at unmap, not shared memory.
 *
 * THE FILES
 *
 *   sim.c              opening the machine, domains, memory maps, info, the ops table
 *   sim-faults.c       fault injection: every operation enters through sim_enter()
 *   sim-frames.c       the free and owned extent maps, allocation and release
 *   sim-extmap.c       the ordered extent map (a treap) both maps are made of
 *   sim-reservation.c  XENMEM reservation operations and the M2P
 *   sim-contents.c     frame contents, map_frames/unmap_frames, the guest's frame reader
 *   sim-xenstore.c     the xenstore
 *   sim-check.c        hv_sim_check() and hv_sim_check_p2m()
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

/* --- small helpers ------------------------------------------------------------- */

/* Our own allocation failed: remembered, -ENOMEM to the caller. */
int sim_oom(struct hv_sim *s)
{
	s->host_oom = true;
	return -ENOMEM;
}

/* floor(log2(x)) for x > 0; 0 for 0. */
static unsigned int floor_log2(uint64_t x)
{
	return x ? 63u - (unsigned int)__builtin_clzll(x) : 0;
}

struct sim_domain *sim_find_domain(const struct hv_sim *s, hv_domid_t domid)
{
	if (domid == HV_DOMID_SELF)
		domid = s->current;
	for (size_t i = 0; i < s->nr_doms; i++)
		if (s->doms[i]->domid == domid)
			return s->doms[i];
	return NULL;
}

int sim_get_domain(const struct hv_sim *s, const char *op, hv_domid_t domid, struct sim_domain **d,
		   struct p2msim_err *err)
{
	*d = sim_find_domain(s, domid);
	if (!*d) {
		if (domid == HV_DOMID_SELF)
			return p2msim_err_set(
				err, -ESRCH, "%s(DOMID_SELF): the current domain %u does not exist",
				op, s->current);
		return p2msim_err_set(err, -ESRCH, "%s(d%u): no such domain", op, domid);
	}
	return 0;
}

unsigned int sim_max_order(const struct hv_sim *s)
{
	/* dom0 is both the control and the hardware domain. */
	return s->current == 0 ? SIM_CTLDOM_MAX_ORDER : SIM_DOMU_MAX_ORDER;
}

bool sim_is_ram(const struct hv_sim *s, uint64_t mfn)
{
	size_t lo = 0, hi = s->nr_ram;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mfn < s->ram[mid].start)
			hi = mid;
		else if (mfn >= s->ram[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* --- open / close --------------------------------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
	const struct sim_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int build_ram(struct hv_sim *s, struct p2msim_err *err)
{
	size_t n = 0, j = 0;

	for (size_t i = 0; i < s->machine.nr; i++)
		if (s->machine.entries[i].type == E820_TYPE_RAM)
			n++;
	s->ram = calloc(n ? n : 1, sizeof(*s->ram));
	if (!s->ram)
		return p2msim_err_set(err, -ENOMEM, "sim: out of memory");
	for (size_t i = 0; i < s->machine.nr; i++) {
		const struct e820_entry *e = &s->machine.entries[i];
		uint64_t start, end;

		if (e->type != E820_TYPE_RAM)
			continue;
		/* x86-64 addresses 52 bits of physical memory. */
		if (e->size > (1ULL << 52) || e->addr > (1ULL << 52) - e->size)
			return p2msim_err_set(
				err, -EINVAL,
				"sim: RAM [%#" PRIx64 ", %#" PRIx64
				") reaches beyond 52-bit physical addresses, more than "
				"x86-64 can address",
				e->addr,
				e->size > UINT64_MAX - e->addr ? UINT64_MAX : e->addr + e->size);
		/* Page-aligned inward: a partial page is not a frame. */
		start = e->addr / PAGE_SIZE + (e->addr % PAGE_SIZE != 0);
		end = (e->size > UINT64_MAX - e->addr ? UINT64_MAX : e->addr + e->size) / PAGE_SIZE;
		if (end > start)
			s->ram[j++] = (struct sim_range){ start, end };
	}
	qsort(s->ram, j, sizeof(*s->ram), cmp_range);
	n = 0;
	for (size_t i = 0; i < j; i++) {
		if (n && s->ram[i].start <= s->ram[n - 1].end) {
			if (s->ram[i].end > s->ram[n - 1].end)
				s->ram[n - 1].end = s->ram[i].end;
		} else {
			s->ram[n++] = s->ram[i];
		}
	}
	s->nr_ram = n;
	s->total_frames = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = sim_free_add(s, s->ram[i].start, s->ram[i].end);

		if (rc < 0)
			return p2msim_err_set(err, rc, "sim: out of memory");
		s->total_frames += s->ram[i].end - s->ram[i].start;
	}
	if (!s->total_frames)
		return p2msim_err_set(err, -EINVAL, "sim: the machine map has no RAM page");
	return 0;
}

/* Xen's own memory: the top xen_reserved_pages frames. */
static int reserve_for_xen(struct hv_sim *s, uint64_t pages, struct p2msim_err *err)
{
	if (pages >= s->total_frames)
		return p2msim_err_set(err, -EINVAL,
				      "sim: xen_reserved_pages %" PRIu64
				      " leaves no free frame of %" PRIu64,
				      pages, s->total_frames);
	while (pages) {
		struct xm_node *n = xm_last(&s->free);
		uint64_t take = n->end - n->start < pages ? n->end - n->start : pages;
		uint64_t start = n->end - take, end = n->end;
		int rc = sim_free_take(s, start, end);

		if (rc == 0)
			rc = sim_own_insert(s, start, end, SIM_OWNER_XEN, SIM_NO_M2P);
		if (rc < 0)
			return p2msim_err_set(err, rc, "sim: out of memory");
		pages -= take;
	}
	return 0;
}

static void sim_close(struct hv *hv)
{
	struct hv_sim *s = hv_sim_of(hv);

	xm_fini(&s->free);
	xm_fini(&s->owned);
	for (size_t i = 0; i < s->nr_doms; i++) {
		e820_table_free(&s->doms[i]->map);
		free(s->doms[i]);
	}
	free(s->doms);
	free(s->rules);
	for (size_t i = 0; i < s->nr_buckets; i++) {
		struct sim_page *p = s->buckets[i];

		while (p) {
			struct sim_page *next = p->next;

			free(p);
			p = next;
		}
	}
	free(s->buckets);
	while (s->mappings) {
		struct sim_mapping *m = s->mappings;

		s->mappings = m->next;
		free(m->addr);
		free(m->mfns);
		free(m->backed);
		free(m);
	}
	for (size_t i = 0; i < s->nr_xs; i++) {
		free(s->xs[i].path);
		free(s->xs[i].value);
	}
	free(s->xs);
	free(s->ram);
	e820_table_free(&s->machine);
	free(s);
}

int hv_sim_open(struct hv **out, const struct hv_sim_config *cfg, struct p2msim_err *err)
{
	struct hv_sim *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return p2msim_err_set(err, -ENOMEM, "sim: out of memory");
	s->hv.ops = &sim_ops;
	xm_init(&s->free, 0x2545f4914f6cdd1dULL);
	xm_init(&s->owned, 0x9e3779b97f4a7c15ULL);
	s->free_limit = UINT64_MAX;
	e820_table_init(&s->machine);
	if (cfg && cfg->machine) {
		rc = e820_table_copy(&s->machine, cfg->machine);
	} else {
		/* The documented default: 1 << 20 frames (4 GiB) from 1 MiB. */
		rc = e820_add(&s->machine, 1ULL << 20, (1ULL << 20) * PAGE_SIZE, E820_TYPE_RAM);
	}
	if (rc < 0) {
		sim_close(&s->hv);
		return p2msim_err_set(err, rc, "sim: cannot copy the machine map");
	}
	rc = build_ram(s, err);
	if (rc == 0 && cfg && cfg->xen_reserved_pages)
		rc = reserve_for_xen(s, cfg->xen_reserved_pages, err);
	if (rc < 0) {
		sim_close(&s->hv);
		return rc;
	}
	*out = &s->hv;
	return 0;
}

/* --- domains ------------------------------------------------------------------------ */

static int domain_new(struct hv_sim *s, hv_domid_t domid, struct sim_domain **out,
		      struct p2msim_err *err)
{
	struct sim_domain *d;
	uint64_t si;
	int rc;

	if (s->nr_doms == s->alloc_doms) {
		size_t n = s->alloc_doms ? 2 * s->alloc_doms : 8;
		struct sim_domain **nd = realloc(s->doms, n * sizeof(*nd));

		if (!nd)
			return p2msim_err_set(err, sim_oom(s), "sim: out of memory");
		s->doms = nd;
		s->alloc_doms = n;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return p2msim_err_set(err, sim_oom(s), "sim: out of memory");
	/* shared_info comes from Xen's own heap, not the domain's pages. */
	rc = sim_frames_alloc(s, 0, SIM_OWNER_XEN, SIM_NO_M2P, &si);
	if (rc < 0) {
		free(d);
		return p2msim_err_set(err, rc, "d%u: no free frame for shared_info", domid);
	}
	d->domid = domid;
	d->shared_info_mfn = si;
	d->guest_width = 8;
	d->pv = true;
	e820_table_init(&d->map);
	s->doms[s->nr_doms++] = d;
	*out = d;
	return 0;
}

/* Free everything a domain owns and forget it. */
static int domain_free(struct hv_sim *s, struct sim_domain *d)
{
	struct xm_node *n = xm_first(&s->owned);
	int rc = 0;

	while (n) {
		uint64_t start = n->start, end = n->end;

		if (n->owner == d->domid) {
			rc = sim_frames_release(s, start, end);
			if (rc < 0)
				return rc;
			d->tot_pages -= end - start;
		}
		n = xm_find_ge(&s->owned, end);
	}
	rc = sim_frames_release(s, d->shared_info_mfn, d->shared_info_mfn + 1);
	if (rc < 0)
		return rc;
	for (struct sim_mapping *m = s->mappings; m; m = m->next)
		if (m->domid == d->domid)
			m->domid = HV_DOMID_SELF; /* its frames are gone */
	for (size_t i = 0; i < s->nr_doms; i++) {
		if (s->doms[i] != d)
			continue;
		memmove(&s->doms[i], &s->doms[i + 1], (s->nr_doms - i - 1) * sizeof(*s->doms));
		s->nr_doms--;
		break;
	}
	e820_table_free(&d->map);
	free(d);
	return 0;
}

/* Append [pfn, pfn + n) -> [mfn, mfn + n) to the extent list, merging with
 * the last extent when it continues it. */
static int extent_add(struct hv_extent **ext, size_t *nr, size_t *alloc, uint64_t pfn, uint64_t mfn,
		      uint64_t n)
{
	if (*nr && (*ext)[*nr - 1].pfn + (*ext)[*nr - 1].nr == pfn &&
	    (*ext)[*nr - 1].mfn + (*ext)[*nr - 1].nr == mfn) {
		(*ext)[*nr - 1].nr += n;
		return 0;
	}
	if (*nr == *alloc) {
		size_t want = *alloc ? 2 * *alloc : 64;
		struct hv_extent *e = realloc(*ext, want * sizeof(*e));

		if (!e)
			return -ENOMEM;
		*ext = e;
		*alloc = want;
	}
	(*ext)[(*nr)++] = (struct hv_extent){ pfn, mfn, n };
	return 0;
}

int hv_sim_build_domain_extents(struct hv *hv, hv_domid_t domid, uint64_t nr_pages,
				uint64_t max_pages, unsigned int guest_width,
				struct hv_extent **ext, size_t *nr_ext, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct hv_extent *list = NULL;
	size_t nr = 0, alloc = 0;
	uint64_t pfn = 0;
	unsigned int last_order = SIM_CTLDOM_MAX_ORDER;
	bool superpages = true;
	int rc;

	*ext = NULL;
	*nr_ext = 0;
	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_build_domain: not a sim hypervisor");
	if (domid >= SIM_MAX_DOMAINS || sim_find_domain(s, domid))
		return p2msim_err_set(
			err, domid >= SIM_MAX_DOMAINS ? -EINVAL : -EEXIST, "build d%u: %s", domid,
			domid >= SIM_MAX_DOMAINS ? "not a domid" : "the domain exists");
	if (guest_width != 4 && guest_width != 8)
		return p2msim_err_set(err, -EINVAL, "build d%u: guest width %u (want 4 or 8)",
				      domid, guest_width);
	if (nr_pages > s->nr_free)
		return p2msim_err_set(err, -ENOMEM,
				      "build d%u: %" PRIu64 " pages wanted, %" PRIu64 " free",
				      domid, nr_pages, s->nr_free);
	rc = domain_new(s, domid, &d, err);
	if (rc < 0)
		return rc;
	d->guest_width = guest_width;
	while (pfn < nr_pages) {
		uint64_t left = nr_pages - pfn, mfn;
		unsigned int order;

		if (domid == 0 && pfn == 0) {
			/* Xen's "Dom0 alloc.": one block of the kernel image's
			 * order, pfn 0 up. */
			order = floor_log2(left);
			if (order > SIM_DOM0_CHUNK_ORDER)
				order = SIM_DOM0_CHUNK_ORDER;
			rc = sim_frames_alloc(s, order, domid, pfn, &mfn);
		} else if (domid == 0) {
			/* alloc_chunk(): the largest order that fits what is
			 * left, never above the last one that worked, smaller
			 * until a block is free. */
			order = floor_log2(left);
			if (order > last_order)
				order = last_order;
			while ((rc = sim_frames_alloc(s, order, domid, pfn, &mfn)) == -ENOMEM &&
			       order && !s->host_oom)
				order--;
			if (rc == 0)
				last_order = order;
		} else {
			/* libxc's PV builder: 2 MiB extents, then 4 KiB ones. */
			order = superpages && left >= (1ULL << SIM_DOMU_SUPERPAGE_ORDER) ?
					SIM_DOMU_SUPERPAGE_ORDER :
					0;
			rc = sim_frames_alloc(s, order, domid, pfn, &mfn);
			if (rc == -ENOMEM && order && !s->host_oom) {
				superpages = false;
				continue;
			}
		}
		if (rc == 0 && extent_add(&list, &nr, &alloc, pfn, mfn, 1ULL << order) < 0)
			rc = sim_oom(s);
		if (rc < 0) {
			domain_free(s, d);
			free(list);
			if (s->host_oom)
				return p2msim_err_set(err, rc,
						      "build d%u: out of memory after %" PRIu64
						      " of %" PRIu64 " pages (%zu extents)",
						      domid, pfn, nr_pages, nr);
			return p2msim_err_set(err, rc,
					      "build d%u: not enough RAM for %" PRIu64
					      " pages (%" PRIu64 " allocated)",
					      domid, nr_pages, pfn);
		}
		pfn += 1ULL << order;
		d->tot_pages += 1ULL << order;
	}
	d->max_pages = max_pages;
	*ext = list;
	*nr_ext = nr;
	return 0;
}

int hv_sim_build_domain(struct hv *hv, hv_domid_t domid, uint64_t nr_pages, uint64_t max_pages,
			unsigned int guest_width, uint64_t **mfn_list, struct p2msim_err *err)
{
	struct hv_extent *ext;
	size_t nr_ext;
	uint64_t *list;
	int rc;

	*mfn_list = NULL;
	if (nr_pages > SIZE_MAX / sizeof(*list))
		return p2msim_err_set(err, -ENOMEM,
				      "build d%u: a list of %" PRIu64
				      " MFNs is too large for this machine",
				      domid, nr_pages);
	rc = hv_sim_build_domain_extents(hv, domid, nr_pages, max_pages, guest_width, &ext, &nr_ext,
					 err);
	if (rc < 0)
		return rc;
	list = malloc((nr_pages ? nr_pages : 1) * sizeof(*list));
	if (!list) {
		free(ext);
		domain_free(hv_sim_of(hv), sim_find_domain(hv_sim_of(hv), domid));
		return p2msim_err_set(err, sim_oom(hv_sim_of(hv)),
				      "build d%u: the builder's list of %" PRIu64 " MFNs (%" PRIu64
				      " MiB) does not fit in the memory available",
				      domid, nr_pages, (nr_pages * sizeof(*list)) >> 20);
	}
	for (size_t i = 0; i < nr_ext; i++)
		for (uint64_t j = 0; j < ext[i].nr; j++)
			list[ext[i].pfn + j] = ext[i].mfn + j;
	free(ext);
	*mfn_list = list;
	return 0;
}

static int sim_create_domain(struct hv *hv, hv_domid_t *domid, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	hv_domid_t id;
	int rc = sim_enter(s, "create_domain", NULL, err);

	if (rc < 0)
		return rc;
	for (id = 1; id < SIM_MAX_DOMAINS && sim_find_domain(s, id); id++)
		;
	if (id >= SIM_MAX_DOMAINS)
		return p2msim_err_set(err, -ENOSPC, "create_domain: no free domid");
	rc = domain_new(s, id, &d, err);
	if (rc < 0)
		return rc;
	/* A new domain may hold nothing until the toolstack sets max_pages. */
	d->max_pages = 0;
	*domid = id;
	return 0;
}

static int sim_destroy_domain(struct hv *hv, hv_domid_t domid, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "destroy_domain", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "destroy_domain", domid, &d, err);
	if (rc < 0)
		return rc;
	if (d->domid == 0)
		return p2msim_err_set(err, -EPERM,
				      "destroy_domain(d0): refusing to destroy domain 0");
	rc = domain_free(s, d);
	if (rc < 0)
		return p2msim_err_set(err, rc, "destroy_domain(d%u): out of memory", domid);
	return 0;
}

int hv_sim_set_current(struct hv *hv, hv_domid_t domid)
{
	if (!hv || hv->ops != &sim_ops || domid >= SIM_MAX_DOMAINS)
		return -EINVAL;
	hv_sim_of(hv)->current = domid;
	return 0;
}

uint64_t hv_sim_total_pages(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ? ((const struct hv_sim *)(const void *)hv)->total_frames :
					   0;
}

uint64_t hv_sim_free_pages(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ? ((const struct hv_sim *)(const void *)hv)->nr_free : 0;
}

int hv_sim_frame_owner(const struct hv *hv, uint64_t mfn, hv_domid_t *owner)
{
	const struct hv_sim *s = (const struct hv_sim *)(const void *)hv;
	const struct xm_node *n;

	if (!hv || hv->ops != &sim_ops || !sim_is_ram(s, mfn))
		return -EINVAL;
	n = xm_lookup(&s->owned, mfn);
	if (!n)
		return -ENOENT;
	*owner = n->owner;
	return 0;
}

/* --- memory maps ------------------------------------------------------------------------ */

static int sim_machine_memory_map(struct hv *hv, struct e820_table *out, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	int rc = sim_enter(s, "machine_memory_map", NULL, err);

	if (rc < 0)
		return rc;
	rc = e820_table_copy(out, &s->machine);
	if (rc < 0)
		return p2msim_err_set(err, rc, "machine_memory_map: out of memory");
	return 0;
}

static int sim_memory_map(struct hv *hv, hv_domid_t domid, struct e820_table *out,
			  struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "memory_map", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "memory_map", domid, &d, err);
	if (rc < 0)
		return rc;
	if (!d->has_map)
		return p2msim_err_set(err, -ENOSYS,
				      "memory_map(d%u): no memory map was set (ENOSYS)", d->domid);
	rc = e820_table_copy(out, &d->map);
	if (rc < 0)
		return p2msim_err_set(err, rc, "memory_map(d%u): out of memory", d->domid);
	return 0;
}

static int sim_set_memory_map(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
			      struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct e820_table copy;
	int rc = sim_enter(s, "set_memory_map", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "set_memory_map", domid, &d, err);
	if (rc < 0)
		return rc;
	if (!map || map->nr == 0)
		return p2msim_err_set(err, -EINVAL, "set_memory_map(d%u): empty map", d->domid);
	rc = e820_table_copy(&copy, map);
	if (rc < 0)
		return p2msim_err_set(err, rc, "set_memory_map(d%u): out of memory", d->domid);
	e820_table_free(&d->map);
	d->map = copy;
	d->has_map = true;
	return 0;
}

/* --- domain info and shared_info ------------------------------------------------------------ */

static int sim_domain_info(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
			   struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "domain_info", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "domain_info", domid, &d, err);
	if (rc < 0)
		return rc;
	memset(info, 0, sizeof(*info));
	info->domid = d->domid;
	info->tot_pages = d->tot_pages;
	info->max_pages = d->max_pages;
	info->shared_info_frame = d->shared_info_mfn;
	info->guest_width = d->guest_width;
	info->pv = d->pv;
	info->dying = false;
	return 0;
}

static int sim_p2m_info(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info,
			struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "p2m_info", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "p2m_info", domid, &d, err);
	if (rc < 0)
		return rc;
	*info = d->p2m_info;
	return 0;
}

static int sim_set_p2m_info(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
			    struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "set_p2m_info", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "set_p2m_info", domid, &d, err);
	if (rc < 0)
		return rc;
	d->p2m_info = *info;
	return 0;
}

/* --- what a toolstack checks ------------------------------------------------------------------ */

/* The sim keeps no page types: a frame of the domain is a plain page,
 * anything else is not the domain's (XTAB), as Xen answers for a frame
 * the domain does not own. */
static int sim_frame_types(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			   uint32_t *types, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "frame_types", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "frame_types", domid, &d, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < nr; i++) {
		const struct xm_node *n = xm_lookup(&s->owned, mfns[i]);

		types[i] = n && n->owner == d->domid ? HV_FRAME_PLAIN : HV_FRAME_INVALID;
	}
	return 0;
}

static int sim_xen_info(struct hv *hv, struct hv_xen_info *info, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	int rc = sim_enter(s, "xen_info", NULL, err);

	if (rc < 0)
		return rc;
	memset(info, 0, sizeof(*info));
	info->major = 4;
	info->minor = 17;
	snprintf(info->extra, sizeof(info->extra), "-sim");
	info->total_pages = s->total_frames;
	info->free_pages = s->nr_free;
	info->max_mfn = s->nr_ram ? s->ram[s->nr_ram - 1].end - 1 : 0;
	info->nr_cpus = 1;
	return 0;
}

const struct hv_ops sim_ops = {
	.name = "sim",
	.close = sim_close,
	.machine_memory_map = sim_machine_memory_map,
	.memory_map = sim_memory_map,
	.set_memory_map = sim_set_memory_map,
	.reservation = sim_reservation,
	.set_max_pages = sim_set_max_pages,
	.populate_physmap = sim_populate_physmap,
	.increase_reservation = sim_increase_reservation,
	.decrease_reservation = sim_decrease_reservation,
	.decrease_reservation_runs = sim_decrease_reservation_runs,
	.populate_physmap_runs = sim_populate_physmap_runs,
	.machphys_update = sim_machphys_update,
	.m2p = sim_m2p,
	.machphys_update_range = sim_machphys_update_range,
	.m2p_run = sim_m2p_run,
	.domain_info = sim_domain_info,
	.p2m_info = sim_p2m_info,
	.set_p2m_info = sim_set_p2m_info,
	.map_frames = sim_map_frames,
	.unmap_frames = sim_unmap_frames,
	.create_domain = sim_create_domain,
	.destroy_domain = sim_destroy_domain,
	.xs_read = sim_xs_read,
	.xs_write = sim_xs_write,
	.frame_types = sim_frame_types,
	.xen_info = sim_xen_info,
};
