/* SPDX-License-Identifier: MIT */
/*
 * hv/sim.c - "sim", an in-memory Xen.
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
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"
#include "p2m/p2m.h"

#define DOMU_MAX_ORDER	9	/* Xen CONFIG_DOMU_MAX_ORDER */
#define CTLDOM_MAX_ORDER 18	/* CONFIG_PAGEALLOC_MAX_ORDER: dom0 is the
				 * control and hardware domain */
#define DOM0_CHUNK_ORDER 15	/* Xen's first dom0 chunk: the order of a
				 * 64-74 MiB kernel image (+ tables) */
#define DOMU_SUPERPAGE_ORDER 9	/* libxc meminit_pv: 2 MiB first */
#define MAX_DOMAINS 0x7ff0u	/* DOMID_FIRST_RESERVED */

static const char *const op_names[] = {
	"machine_memory_map", "memory_map", "set_memory_map", "reservation",
	"set_max_pages", "populate_physmap", "increase_reservation",
	"decrease_reservation", "machphys_update", "domain_info", "p2m_info",
	"set_p2m_info", "map_frames", "create_domain", "destroy_domain",
	"xs_read", "xs_write", "frame_types", "xen_info",
};

static const struct hv_ops sim_ops;

/* --- small helpers ------------------------------------------------------------- */

/* Our own allocation failed: remembered, -ENOMEM to the caller. */
static int sim_oom(struct hv_sim *s)
{
	s->host_oom = true;
	return -ENOMEM;
}

static unsigned int floor_log2(uint64_t x)
{
	unsigned int r = 0;

	while (x >>= 1)
		r++;
	return r;
}

static struct sim_domain *find_domain(const struct hv_sim *s, hv_domid_t domid)
{
	if (domid == HV_DOMID_SELF)
		domid = s->current;
	for (size_t i = 0; i < s->nr_doms; i++)
		if (s->doms[i]->domid == domid)
			return s->doms[i];
	return NULL;
}

static int get_domain(const struct hv_sim *s, const char *op, hv_domid_t domid,
		      struct sim_domain **d, struct p2msim_err *err)
{
	*d = find_domain(s, domid);
	if (!*d) {
		if (domid == HV_DOMID_SELF)
			return p2msim_err_set(err, -ESRCH, "%s(DOMID_SELF): the current domain %u does not exist",
					      op, s->current);
		return p2msim_err_set(err, -ESRCH, "%s(d%u): no such domain", op, domid);
	}
	return 0;
}

static unsigned int max_order_of(const struct hv_sim *s)
{
	/* dom0 is both the control and the hardware domain. */
	return s->current == 0 ? CTLDOM_MAX_ORDER : DOMU_MAX_ORDER;
}

static bool is_ram(const struct hv_sim *s, uint64_t mfn)
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

/* --- fault injection ----------------------------------------------------------- */

/*
 * Every operation a guest or toolstack makes goes through here first.  A
 * rule counts down on the operations it matches and fires on the one that
 * brings it to zero: an error for any operation, or, for the three XENMEM
 * batch operations, a cap on the extents done.  A partial rule that lands
 * on another operation is used up without effect.
 */
static void drop_fired_rules(struct hv_sim *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->nr_rules; i++)
		if (s->rules[i].countdown)
			s->rules[j++] = s->rules[i];
	s->nr_rules = j;
}

static int sim_enter(struct hv_sim *s, const char *op, size_t *partial, struct p2msim_err *err)
{
	struct sim_rule fired = { .countdown = 1 };

	s->op_count++;
	if (partial)
		*partial = 0;
	for (size_t i = 0; i < s->nr_rules; i++) {
		struct sim_rule *r = &s->rules[i];

		if (r->op[0] && strcmp(r->op, op))
			continue;
		/* Two rules due on the same call: the first added wins and
		 * both are used up. */
		if (--r->countdown == 0 && fired.countdown)
			fired = *r;
	}
	if (fired.countdown)
		return 0;
	drop_fired_rules(s);
	if (fired.partial) {
		if (partial)
			*partial = fired.partial;
		return 0;
	}
	if (fired.error)
		return p2msim_err_set(err, fired.error > 0 ? -fired.error : fired.error,
				      "%s: injected failure (errno %d) at operation %lu",
				      op, fired.error > 0 ? fired.error : -fired.error, s->op_count);
	return 0;
}

int hv_sim_inject(struct hv *hv, const char *op, unsigned long nth, int error, size_t partial)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_rule *r;
	bool known = !op;

	if (!hv || hv->ops != &sim_ops || nth == 0 || (!error && !partial))
		return -EINVAL;
	for (size_t i = 0; op && i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op, op_names[i]))
			known = true;
	if (!known || (op && strlen(op) >= sizeof(r->op)))
		return -EINVAL;
	if (s->nr_rules == s->alloc_rules) {
		size_t n = s->alloc_rules ? 2 * s->alloc_rules : 8;
		struct sim_rule *nr = realloc(s->rules, n * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		s->rules = nr;
		s->alloc_rules = n;
	}
	r = &s->rules[s->nr_rules++];
	memset(r, 0, sizeof(*r));
	if (op)
		strcpy(r->op, op);
	r->countdown = nth;
	r->error = error;
	r->partial = partial;
	return 0;
}

void hv_sim_inject_clear(struct hv *hv)
{
	if (hv && hv->ops == &sim_ops)
		hv_sim_of(hv)->nr_rules = 0;
}

bool hv_sim_out_of_memory(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops && ((const struct hv_sim *)(const void *)hv)->host_oom;
}

unsigned long hv_sim_op_count(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ? ((const struct hv_sim *)(const void *)hv)->op_count : 0;
}

int hv_sim_limit_free(struct hv *hv, uint64_t pages)
{
	if (!hv || hv->ops != &sim_ops)
		return -EINVAL;
	hv_sim_of(hv)->free_limit = pages;
	return 0;
}

/* --- frame contents ---------------------------------------------------------------- */

static size_t page_bucket(const struct hv_sim *s, uint64_t mfn)
{
	return (size_t)((mfn * 0x9e3779b97f4a7c15ULL) >> 20) & (s->nr_buckets - 1);
}

static struct sim_page *page_find(const struct hv_sim *s, uint64_t mfn)
{
	if (!s->nr_buckets)
		return NULL;
	for (struct sim_page *p = s->buckets[page_bucket(s, mfn)]; p; p = p->next)
		if (p->mfn == mfn)
			return p;
	return NULL;
}

static int page_grow(struct hv_sim *s)
{
	size_t n = s->nr_buckets ? 2 * s->nr_buckets : 64;
	struct sim_page **nb = calloc(n, sizeof(*nb));
	size_t old = s->nr_buckets;
	struct sim_page **ob = s->buckets;

	if (!nb)
		return sim_oom(s);
	s->buckets = nb;
	s->nr_buckets = n;
	for (size_t i = 0; i < old; i++) {
		struct sim_page *p = ob[i];

		while (p) {
			struct sim_page *next = p->next;
			size_t b = page_bucket(s, p->mfn);

			p->next = nb[b];
			nb[b] = p;
			p = next;
		}
	}
	free(ob);
	return 0;
}

static struct sim_page *page_get(struct hv_sim *s, uint64_t mfn)
{
	struct sim_page *p = page_find(s, mfn);
	size_t b;

	if (p)
		return p;
	if (s->nr_pages >= s->nr_buckets && page_grow(s) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		sim_oom(s);
		return NULL;
	}
	p->mfn = mfn;
	b = page_bucket(s, mfn);
	p->next = s->buckets[b];
	s->buckets[b] = p;
	s->nr_pages++;
	return p;
}

/* Freed frames lose their contents (Xen hands out scrubbed pages). */
static void page_drop_range(struct hv_sim *s, uint64_t start, uint64_t end)
{
	if (!s->nr_pages)
		return;
	if (end - start > s->nr_buckets) {
		for (size_t i = 0; i < s->nr_buckets; i++) {
			struct sim_page **link = &s->buckets[i];

			while (*link) {
				struct sim_page *p = *link;

				if (p->mfn >= start && p->mfn < end) {
					*link = p->next;
					free(p);
					s->nr_pages--;
				} else {
					link = &p->next;
				}
			}
		}
		return;
	}
	for (uint64_t mfn = start; mfn < end; mfn++) {
		struct sim_page **link = &s->buckets[page_bucket(s, mfn)];

		while (*link) {
			struct sim_page *p = *link;

			if (p->mfn == mfn) {
				*link = p->next;
				free(p);
				s->nr_pages--;
				break;
			}
			link = &p->next;
		}
	}
}

/* --- the free map ---------------------------------------------------------------- */

/* Return [start, end) to the free map, merging with its neighbours. */
static int free_add(struct hv_sim *s, uint64_t start, uint64_t end)
{
	struct xm_node *prev = xm_find_lt(&s->free, start);
	struct xm_node *next = xm_find_ge(&s->free, start);

	if (prev && prev->end == start) {
		prev->end = end;
		if (next && next->start == end) {
			prev->end = next->end;
			free(xm_remove(&s->free, next->start));
		}
	} else if (next && next->start == end) {
		struct xm_node *n = xm_remove(&s->free, next->start);

		n->start = start;
		xm_insert(&s->free, n);
	} else {
		struct xm_node *n = xm_node_new(&s->free, start, end, 0, SIM_NO_M2P);

		if (!n)
			return sim_oom(s);
		xm_insert(&s->free, n);
	}
	s->nr_free += end - start;
	return 0;
}

/* Take [start, end), which lies inside one free extent, out of the map.
 * Only the middle case needs a new node. */
static int free_take(struct hv_sim *s, uint64_t start, uint64_t end)
{
	struct xm_node *n = xm_lookup(&s->free, start);

	if (!n || end > n->end)
		return -EINVAL;
	if (n->start < start && end < n->end) {
		struct xm_node *tail = xm_node_new(&s->free, end, n->end, 0, SIM_NO_M2P);

		if (!tail)
			return sim_oom(s);
		n->end = start;
		xm_insert(&s->free, tail);
	} else if (n->start < start) {
		n->end = start;
	} else if (end < n->end) {
		n = xm_remove(&s->free, n->start);
		n->start = end;
		xm_insert(&s->free, n);
	} else {
		free(xm_remove(&s->free, n->start));
	}
	s->nr_free -= end - start;
	return 0;
}

/* The highest free 2^order-aligned block. */
static bool free_find_block(const struct hv_sim *s, unsigned int order, uint64_t *mfn)
{
	uint64_t size = 1ULL << order;

	for (struct xm_node *n = xm_last(&s->free); n; n = xm_prev(&s->free, n)) {
		uint64_t a;

		if (n->end - n->start < size)
			continue;
		a = (n->end - size) & ~(size - 1);
		if (a >= n->start) {
			*mfn = a;
			return true;
		}
	}
	return false;
}

/* --- the owned map --------------------------------------------------------------- */

static bool own_mergeable(const struct xm_node *a, const struct xm_node *b)
{
	if (a->end != b->start || a->owner != b->owner)
		return false;
	if (a->m2p == SIM_NO_M2P || b->m2p == SIM_NO_M2P)
		return a->m2p == b->m2p;
	return a->m2p + (a->end - a->start) == b->m2p;
}

static uint64_t node_m2p(const struct xm_node *n, uint64_t mfn)
{
	return n->m2p == SIM_NO_M2P ? SIM_NO_M2P : n->m2p + (mfn - n->start);
}

/* Merge @n with the neighbours it continues; returns the surviving node. */
static struct xm_node *own_coalesce(struct hv_sim *s, struct xm_node *n)
{
	struct xm_node *prev = xm_find_lt(&s->owned, n->start);
	struct xm_node *next;

	if (prev && own_mergeable(prev, n)) {
		prev->end = n->end;
		free(xm_remove(&s->owned, n->start));
		n = prev;
	}
	next = xm_find_ge(&s->owned, n->end);
	if (next && own_mergeable(n, next)) {
		n->end = next->end;
		free(xm_remove(&s->owned, next->start));
	}
	return n;
}


static int own_insert(struct hv_sim *s, uint64_t start, uint64_t end, uint32_t owner,
		      uint64_t m2p)
{
	struct xm_node *n = xm_node_new(&s->owned, start, end, owner, m2p);

	if (!n)
		return sim_oom(s);
	xm_insert(&s->owned, n);
	own_coalesce(s, n);
	return 0;
}

/* Make @x the start of an extent if it lies inside one. */
static int own_split(struct hv_sim *s, uint64_t x)
{
	struct xm_node *n = xm_lookup(&s->owned, x);
	struct xm_node *tail;

	if (!n || n->start == x)
		return 0;
	tail = xm_node_new(&s->owned, x, n->end, n->owner, node_m2p(n, x));
	if (!tail)
		return sim_oom(s);
	n->end = x;
	xm_insert(&s->owned, tail);
	return 0;
}

/* --- allocation and release ---------------------------------------------------------- */

/* Give @owner a 2^order block from the top of free memory, with M2P
 * m2p, m2p + 1, ... (or unset).  -ENOMEM when Xen's heap has no such
 * block, or (s->host_oom set) when we have no memory: the owned node is
 * made before the free map changes, so a failure leaves both as they
 * were. */
static int frames_alloc(struct hv_sim *s, unsigned int order, uint32_t owner, uint64_t m2p,
			uint64_t *mfn)
{
	uint64_t n = 1ULL << order, a;
	struct xm_node *node;
	int rc;

	if (n > s->free_limit || !free_find_block(s, order, &a))
		return -ENOMEM;
	node = xm_node_new(&s->owned, a, a + n, owner, m2p);
	if (!node)
		return sim_oom(s);
	rc = free_take(s, a, a + n);
	if (rc < 0) {
		free(node);
		return rc;
	}
	xm_insert(&s->owned, node);
	own_coalesce(s, node);
	if (s->free_limit != UINT64_MAX)
		s->free_limit -= n;
	*mfn = a;
	return 0;
}

/* Take [start, end) (owned, in any extents) back into free memory. */
static int frames_release(struct hv_sim *s, uint64_t start, uint64_t end)
{
	int rc = own_split(s, start);

	if (rc == 0)
		rc = own_split(s, end);
	if (rc < 0)
		return rc;
	rc = free_add(s, start, end);
	if (rc < 0)
		return rc;
	for (struct xm_node *n = xm_find_ge(&s->owned, start); n && n->start < end;
	     n = xm_find_ge(&s->owned, start))
		free(xm_remove(&s->owned, n->start));
	page_drop_range(s, start, end);
	if (s->free_limit != UINT64_MAX)
		s->free_limit += end - start;
	return 0;
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
		/* Page-aligned inward: a partial page is not a frame. */
		start = e->addr / SIM_PAGE_SIZE + (e->addr % SIM_PAGE_SIZE != 0);
		end = (e->size > UINT64_MAX - e->addr ? UINT64_MAX : e->addr + e->size) /
		      SIM_PAGE_SIZE;
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
		int rc = free_add(s, s->ram[i].start, s->ram[i].end);

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
				      "sim: xen_reserved_pages %" PRIu64 " leaves no free frame of %" PRIu64,
				      pages, s->total_frames);
	while (pages) {
		struct xm_node *n = xm_last(&s->free);
		uint64_t take = n->end - n->start < pages ? n->end - n->start : pages;
		uint64_t start = n->end - take, end = n->end;
		int rc = free_take(s, start, end);

		if (rc == 0)
			rc = own_insert(s, start, end, SIM_OWNER_XEN, SIM_NO_M2P);
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
		rc = e820_add(&s->machine, 1ULL << 20, (1ULL << 20) * SIM_PAGE_SIZE,
			      E820_TYPE_RAM);
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
	rc = frames_alloc(s, 0, SIM_OWNER_XEN, SIM_NO_M2P, &si);
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
			rc = frames_release(s, start, end);
			if (rc < 0)
				return rc;
			d->tot_pages -= end - start;
		}
		n = xm_find_ge(&s->owned, end);
	}
	rc = frames_release(s, d->shared_info_mfn, d->shared_info_mfn + 1);
	if (rc < 0)
		return rc;
	for (struct sim_mapping *m = s->mappings; m; m = m->next)
		if (m->domid == d->domid)
			m->domid = HV_DOMID_SELF;	/* its frames are gone */
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

int hv_sim_build_domain(struct hv *hv, hv_domid_t domid, uint64_t nr_pages, uint64_t max_pages,
			unsigned int guest_width, uint64_t **mfn_list, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	uint64_t *list, pfn = 0;
	unsigned int last_order = CTLDOM_MAX_ORDER;
	bool superpages = true;
	int rc;

	*mfn_list = NULL;
	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_build_domain: not a sim hypervisor");
	if (domid >= MAX_DOMAINS || find_domain(s, domid))
		return p2msim_err_set(err, domid >= MAX_DOMAINS ? -EINVAL : -EEXIST,
				      "build d%u: %s", domid,
				      domid >= MAX_DOMAINS ? "not a domid" : "the domain exists");
	if (guest_width != 4 && guest_width != 8)
		return p2msim_err_set(err, -EINVAL, "build d%u: guest width %u (want 4 or 8)",
				      domid, guest_width);
	if (nr_pages > s->nr_free || nr_pages > SIZE_MAX / sizeof(*list))
		return p2msim_err_set(err, -ENOMEM,
				      "build d%u: %" PRIu64 " pages wanted, %" PRIu64 " free",
				      domid, nr_pages, s->nr_free);
	list = malloc((nr_pages ? nr_pages : 1) * sizeof(*list));
	if (!list)
		return p2msim_err_set(err, sim_oom(s), "build d%u: out of memory", domid);
	rc = domain_new(s, domid, &d, err);
	if (rc < 0) {
		free(list);
		return rc;
	}
	d->guest_width = guest_width;
	while (pfn < nr_pages) {
		uint64_t left = nr_pages - pfn, mfn;
		unsigned int order;

		if (domid == 0 && pfn == 0) {
			/* Xen's "Dom0 alloc.": one block of the kernel image's
			 * order, pfn 0 up. */
			order = floor_log2(left);
			if (order > DOM0_CHUNK_ORDER)
				order = DOM0_CHUNK_ORDER;
			rc = frames_alloc(s, order, domid, pfn, &mfn);
		} else if (domid == 0) {
			/* alloc_chunk(): the largest order that fits what is
			 * left, never above the last one that worked, smaller
			 * until a block is free. */
			order = floor_log2(left);
			if (order > last_order)
				order = last_order;
			while ((rc = frames_alloc(s, order, domid, pfn, &mfn)) == -ENOMEM && order &&
			       !s->host_oom)
				order--;
			if (rc == 0)
				last_order = order;
		} else {
			/* libxc's PV builder: 2 MiB extents, then 4 KiB ones. */
			order = superpages && left >= (1ULL << DOMU_SUPERPAGE_ORDER) ?
				DOMU_SUPERPAGE_ORDER : 0;
			rc = frames_alloc(s, order, domid, pfn, &mfn);
			if (rc == -ENOMEM && order && !s->host_oom) {
				superpages = false;
				continue;
			}
		}
		if (rc < 0) {
			domain_free(s, d);
			free(list);
			if (s->host_oom)
				return p2msim_err_set(err, rc, "build d%u: out of memory", domid);
			return p2msim_err_set(err, rc, "build d%u: not enough RAM for %" PRIu64
					      " pages (%" PRIu64 " allocated)", domid, nr_pages, pfn);
		}
		for (uint64_t j = 0; j < (1ULL << order); j++)
			list[pfn + j] = mfn + j;
		pfn += 1ULL << order;
		d->tot_pages += 1ULL << order;
	}
	d->max_pages = max_pages;
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
	for (id = 1; id < MAX_DOMAINS && find_domain(s, id); id++)
		;
	if (id >= MAX_DOMAINS)
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
	rc = get_domain(s, "destroy_domain", domid, &d, err);
	if (rc < 0)
		return rc;
	if (d->domid == 0)
		return p2msim_err_set(err, -EPERM, "destroy_domain(d0): refusing to destroy domain 0");
	rc = domain_free(s, d);
	if (rc < 0)
		return p2msim_err_set(err, rc, "destroy_domain(d%u): out of memory", domid);
	return 0;
}

int hv_sim_set_current(struct hv *hv, hv_domid_t domid)
{
	if (!hv || hv->ops != &sim_ops || domid >= MAX_DOMAINS)
		return -EINVAL;
	hv_sim_of(hv)->current = domid;
	return 0;
}

uint64_t hv_sim_total_pages(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ?
	       ((const struct hv_sim *)(const void *)hv)->total_frames : 0;
}

uint64_t hv_sim_free_pages(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ? ((const struct hv_sim *)(const void *)hv)->nr_free : 0;
}

int hv_sim_frame_owner(const struct hv *hv, uint64_t mfn, hv_domid_t *owner)
{
	const struct hv_sim *s = (const struct hv_sim *)(const void *)hv;
	const struct xm_node *n;

	if (!hv || hv->ops != &sim_ops || !is_ram(s, mfn))
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
	rc = get_domain(s, "memory_map", domid, &d, err);
	if (rc < 0)
		return rc;
	if (!d->has_map)
		return p2msim_err_set(err, -ENOSYS, "memory_map(d%u): no memory map was set (ENOSYS)",
				      d->domid);
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
	rc = get_domain(s, "set_memory_map", domid, &d, err);
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

/* --- reservations ------------------------------------------------------------------------ */

static int sim_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which,
			   uint64_t *pages, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "reservation", NULL, err);

	if (rc < 0)
		return rc;
	rc = get_domain(s, "reservation", domid, &d, err);
	if (rc < 0)
		return rc;
	*pages = which == HV_RESV_CURRENT ? d->tot_pages : d->max_pages;
	return 0;
}

static int sim_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages,
			     struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "set_max_pages", NULL, err);

	if (rc < 0)
		return rc;
	rc = get_domain(s, "set_max_pages", domid, &d, err);
	if (rc < 0)
		return rc;
	/* Xen dropped the new_max >= tot_pages check: a domain above its new
	 * limit keeps its pages but cannot grow until it shrinks. */
	d->max_pages = pages;
	return 0;
}

/* Room for @n more pages under max_pages. */
static bool under_max(const struct sim_domain *d, uint64_t n)
{
	return d->max_pages == HV_UNLIMITED ||
	       (d->tot_pages <= d->max_pages && n <= d->max_pages - d->tot_pages);
}

/* The result of a batch: the count, or the -errno (already recorded) of
 * the first extent when none was done. */
static long batch_result(size_t done, int why)
{
	return done || !why ? (long)done : why;
}

static long alloc_extents(struct hv *hv, const char *op, hv_domid_t domid, uint64_t *frames,
			  size_t nr, unsigned int order, bool with_gpfn, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	size_t partial, limit, i;
	int rc = sim_enter(s, op, &partial, err), why = 0;

	if (rc < 0)
		return rc;
	rc = get_domain(s, op, domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0)
		return 0;
	if (!frames)
		return p2msim_err_set(err, -EFAULT, "%s(d%u): no extent list", op, d->domid);
	if (order > max_order_of(s))
		return p2msim_err_set(err, -EINVAL, "%s(d%u): order %u above the caller's max order %u",
				      op, d->domid, order, max_order_of(s));
	limit = partial && partial < nr ? partial : nr;
	for (i = 0; i < limit; i++) {
		uint64_t mfn, gpfn = with_gpfn ? frames[i] : SIM_NO_M2P;

		if (!under_max(d, 1ULL << order)) {
			why = p2msim_err_set(err, -E2BIG, "%s(d%u): over-allocation: %" PRIu64 " + %llu > max_pages %" PRIu64,
					     op, d->domid, d->tot_pages, 1ULL << order, d->max_pages);
			break;
		}
		if (with_gpfn && gpfn > UINT64_MAX - (1ULL << order)) {
			why = p2msim_err_set(err, -EINVAL, "%s(d%u): gpfn %#" PRIx64 " out of range",
					     op, d->domid, gpfn);
			break;
		}
		rc = frames_alloc(s, order, d->domid, gpfn, &mfn);
		if (rc < 0) {
			why = p2msim_err_set(err, rc, "%s(d%u): could not allocate order=%u extent (%zu of %zu)",
					     op, d->domid, order, i, nr);
			break;
		}
		d->tot_pages += 1ULL << order;
		frames[i] = mfn;
	}
	if (i == limit && limit < nr)
		why = p2msim_err_set(err, -EAGAIN, "%s(d%u): injected partial success, %zu of %zu extents",
				     op, d->domid, limit, nr);
	return batch_result(i, why);
}

static long sim_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				 unsigned int order, struct p2msim_err *err)
{
	return alloc_extents(hv, "populate_physmap", domid, frames, nr, order, true, err);
}

static long sim_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames,
				     size_t nr, unsigned int order, struct p2msim_err *err)
{
	return alloc_extents(hv, "increase_reservation", domid, frames, nr, order, false, err);
}

static long sim_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames,
				     size_t nr, unsigned int order, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	size_t partial, limit, i;
	int rc = sim_enter(s, "decrease_reservation", &partial, err), why = 0;

	if (rc < 0)
		return rc;
	rc = get_domain(s, "decrease_reservation", domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0)
		return 0;
	if (!frames)
		return p2msim_err_set(err, -EFAULT, "decrease_reservation(d%u): no extent list",
				      d->domid);
	if (order > max_order_of(s))
		return p2msim_err_set(err, -EINVAL,
				      "decrease_reservation(d%u): order %u above the caller's max order %u",
				      d->domid, order, max_order_of(s));
	limit = partial && partial < nr ? partial : nr;
	for (i = 0; i < limit; i++) {
		for (uint64_t j = 0; j < (1ULL << order); j++) {
			uint64_t mfn = frames[i] + j;
			const struct xm_node *n;

			if (frames[i] > UINT64_MAX - j || !is_ram(s, mfn)) {
				why = p2msim_err_set(err, -EINVAL,
						     "decrease_reservation(d%u): page number %#" PRIx64 " invalid",
						     d->domid, frames[i] + j);
				break;
			}
			n = xm_lookup(&s->owned, mfn);
			if (!n || n->owner != d->domid) {
				why = p2msim_err_set(err, -ENXIO,
						     "decrease_reservation(d%u): bad page free: mfn %#" PRIx64 " is not the domain's",
						     d->domid, mfn);
				break;
			}
			rc = frames_release(s, mfn, mfn + 1);
			if (rc < 0) {
				why = p2msim_err_set(err, rc, "decrease_reservation(d%u): out of memory",
						     d->domid);
				break;
			}
			d->tot_pages--;
		}
		if (why)
			break;
	}
	if (!why && limit < nr)
		why = p2msim_err_set(err, -EAGAIN,
				     "decrease_reservation(d%u): injected partial success, %zu of %zu extents",
				     d->domid, limit, nr);
	return batch_result(i, why);
}

/* --- M2P ------------------------------------------------------------------------------------ */

static int sim_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			       struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct xm_node *n;
	int rc = sim_enter(s, "machphys_update", NULL, err);

	if (rc < 0)
		return rc;
	rc = get_domain(s, "machphys_update", domid, &d, err);
	if (rc < 0)
		return rc;
	n = xm_lookup(&s->owned, mfn);
	if (!n || n->owner != d->domid)
		return p2msim_err_set(err, -EINVAL,
				      "machphys_update(d%u): mfn %#" PRIx64 " is not the domain's",
				      d->domid, mfn);
	if (node_m2p(n, mfn) == pfn)
		return 0;
	rc = own_split(s, mfn);
	if (rc == 0)
		rc = own_split(s, mfn + 1);
	if (rc < 0)
		return p2msim_err_set(err, rc, "machphys_update(d%u): out of memory", d->domid);
	n = xm_lookup(&s->owned, mfn);
	n->m2p = pfn;
	own_coalesce(s, n);
	return 0;
}

static uint64_t m2p_of(const struct hv_sim *s, uint64_t mfn)
{
	const struct xm_node *n = xm_lookup(&s->owned, mfn);

	return n ? node_m2p(n, mfn) : SIM_NO_M2P;
}

static int sim_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);

	if (!s->nr_ram || mfn >= s->ram[s->nr_ram - 1].end)
		return p2msim_err_set(err, -EINVAL, "m2p: mfn %#" PRIx64 " beyond the machine",
				      mfn);
	*pfn = m2p_of(s, mfn);
	return 0;
}

uint64_t hv_sim_m2p_lookup(void *hv, uint64_t mfn)
{
	struct hv *h = hv;

	if (!h || h->ops != &sim_ops)
		return SIM_NO_M2P;
	return m2p_of(hv_sim_of(h), mfn);
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
	rc = get_domain(s, "domain_info", domid, &d, err);
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
	rc = get_domain(s, "p2m_info", domid, &d, err);
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
	rc = get_domain(s, "set_p2m_info", domid, &d, err);
	if (rc < 0)
		return rc;
	d->p2m_info = *info;
	return 0;
}

/* --- mapping frames ------------------------------------------------------------------------- */

int hv_sim_set_frame_reader(struct hv *hv, hv_domid_t domid, hv_frame_reader_fn fn, void *ctx)
{
	struct sim_domain *d;

	if (!hv || hv->ops != &sim_ops)
		return -EINVAL;
	d = find_domain(hv_sim_of(hv), domid);
	if (!d)
		return -ESRCH;
	d->reader = fn;
	d->reader_ctx = ctx;
	d->p2m = NULL;
	return 0;
}

/* p2m_read_frame() gives one value per entry; the toolstack sees them at
 * the guest's width. */
static int read_p2m_frame(void *ctx, uint64_t mfn, void *page)
{
	const struct p2m *p2m = ctx;
	uint64_t vals[1024];
	const struct p2m_geometry *g = p2m_geometry(p2m);
	unsigned int n = 1u << g->leaf_shift;
	int rc = p2m_read_frame(p2m, mfn, vals);

	if (rc < 0)
		return rc;
	if (g->value_bits == 32) {
		uint32_t *out = page;

		for (unsigned int i = 0; i < n && i < 1024; i++)
			out[i] = (uint32_t)vals[i];
	} else {
		memcpy(page, vals, SIM_PAGE_SIZE);
	}
	return 0;
}

int hv_sim_attach_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m)
{
	struct sim_domain *d;
	int rc = hv_sim_set_frame_reader(hv, domid, p2m ? read_p2m_frame : NULL, (void *)p2m);

	if (rc < 0)
		return rc;
	d = find_domain(hv_sim_of(hv), domid);
	d->p2m = p2m;
	return 0;
}

static int sim_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			  bool writable, void **addr, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct sim_mapping *m;
	unsigned char *buf;
	int rc = sim_enter(s, "map_frames", NULL, err);

	*addr = NULL;
	if (rc < 0)
		return rc;
	rc = get_domain(s, "map_frames", domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0 || nr > SIZE_MAX / SIM_PAGE_SIZE)
		return p2msim_err_set(err, -EINVAL, "map_frames(d%u): %zu frames", d->domid, nr);
	m = calloc(1, sizeof(*m));
	buf = malloc(nr * SIM_PAGE_SIZE);
	if (m) {
		m->mfns = malloc(nr * sizeof(*m->mfns));
		m->backed = calloc(nr, sizeof(*m->backed));
	}
	if (!m || !buf || !m->mfns || !m->backed) {
		rc = p2msim_err_set(err, sim_oom(s), "map_frames(d%u): out of memory", d->domid);
		goto fail;
	}
	for (size_t i = 0; i < nr; i++) {
		unsigned char *page = buf + i * SIM_PAGE_SIZE;
		const struct xm_node *n;
		const struct sim_page *p;

		m->mfns[i] = mfns[i];
		if (d->reader && (rc = d->reader(d->reader_ctx, mfns[i], page)) != -ENOENT) {
			if (rc < 0) {
				rc = p2msim_err_set(err, rc, "map_frames(d%u): reading mfn %#" PRIx64 " failed",
						    d->domid, mfns[i]);
				goto fail;
			}
			if (writable) {
				rc = p2msim_err_set(err, -EPERM,
						    "map_frames(d%u): mfn %#" PRIx64 " is a page the guest model serves read-only",
						    d->domid, mfns[i]);
				goto fail;
			}
			continue;
		}
		n = xm_lookup(&s->owned, mfns[i]);
		if (!n || n->owner != d->domid) {
			rc = p2msim_err_set(err, -EPERM, "map_frames(d%u): mfn %#" PRIx64 " is not the domain's",
					    d->domid, mfns[i]);
			goto fail;
		}
		m->backed[i] = true;
		p = page_find(s, mfns[i]);
		if (p)
			memcpy(page, p->data, SIM_PAGE_SIZE);
		else
			memset(page, 0, SIM_PAGE_SIZE);
	}
	m->addr = buf;
	m->nr = nr;
	m->domid = d->domid;
	m->writable = writable;
	m->next = s->mappings;
	s->mappings = m;
	*addr = buf;
	return 0;

fail:
	if (m) {
		free(m->mfns);
		free(m->backed);
	}
	free(m);
	free(buf);
	return rc;
}

static bool page_is_zero(const unsigned char *page)
{
	for (size_t i = 0; i < SIM_PAGE_SIZE; i++)
		if (page[i])
			return false;
	return true;
}

static void sim_unmap_frames(struct hv *hv, void *addr, size_t nr)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_mapping **link = &s->mappings;
	struct sim_mapping *m;

	(void)nr;
	while (*link && (*link)->addr != addr)
		link = &(*link)->next;
	m = *link;
	if (!m)
		return;
	*link = m->next;
	for (size_t i = 0; m->writable && i < m->nr; i++) {
		const unsigned char *page = (unsigned char *)m->addr + i * SIM_PAGE_SIZE;
		const struct xm_node *n = xm_lookup(&s->owned, m->mfns[i]);
		struct sim_page *p;

		/* Only frames the domain still owns keep what was written. */
		if (!m->backed[i] || !n || n->owner != m->domid)
			continue;
		p = page_find(s, m->mfns[i]);
		if (!p && page_is_zero(page))
			continue;
		if (!p)
			p = page_get(s, m->mfns[i]);
		if (p)
			memcpy(p->data, page, SIM_PAGE_SIZE);
	}
	free(m->addr);
	free(m->mfns);
	free(m->backed);
	free(m);
}

/* --- xenstore ------------------------------------------------------------------------------ */

/* Relative paths are relative to the current domain's home. */
static char *xs_abs_path(const struct hv_sim *s, const char *path)
{
	size_t n = strlen(path) + 32;
	char *p = malloc(n);

	if (!p)
		return NULL;
	if (path[0] == '/')
		snprintf(p, n, "%s", path);
	else
		snprintf(p, n, "/local/domain/%u/%s", s->current, path);
	return p;
}

static struct sim_xs_node *xs_find(const struct hv_sim *s, const char *path)
{
	for (size_t i = 0; i < s->nr_xs; i++)
		if (!strcmp(s->xs[i].path, path))
			return &s->xs[i];
	return NULL;
}

static int sim_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_xs_node *x;
	char *abs;
	int rc = sim_enter(s, "xs_read", NULL, err);

	*value = NULL;
	if (rc < 0)
		return rc;
	abs = xs_abs_path(s, path);
	if (!abs)
		return p2msim_err_set(err, sim_oom(s), "xs_read: out of memory");
	x = xs_find(s, abs);
	if (!x) {
		rc = p2msim_err_set(err, -ENOENT, "xs_read %s: no such node", abs);
		free(abs);
		return rc;
	}
	free(abs);
	*value = strdup(x->value);
	if (!*value)
		return p2msim_err_set(err, sim_oom(s), "xs_read: out of memory");
	return 0;
}

static int sim_xs_write(struct hv *hv, const char *path, const char *value,
			struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_xs_node *x;
	char *abs, *v;
	int rc = sim_enter(s, "xs_write", NULL, err);

	if (rc < 0)
		return rc;
	abs = xs_abs_path(s, path);
	v = strdup(value);
	if (!abs || !v)
		goto nomem;
	x = xs_find(s, abs);
	if (x) {
		free(abs);
		free(x->value);
		x->value = v;
		return 0;
	}
	if (s->nr_xs == s->alloc_xs) {
		size_t n = s->alloc_xs ? 2 * s->alloc_xs : 16;
		struct sim_xs_node *nx = realloc(s->xs, n * sizeof(*nx));

		if (!nx)
			goto nomem;
		s->xs = nx;
		s->alloc_xs = n;
	}
	s->xs[s->nr_xs].path = abs;
	s->xs[s->nr_xs].value = v;
	s->nr_xs++;
	return 0;

nomem:
	free(abs);
	free(v);
	return p2msim_err_set(err, sim_oom(s), "xs_write: out of memory");
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
	rc = get_domain(s, "frame_types", domid, &d, err);
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

/* --- checks ----------------------------------------------------------------------------------- */

struct m2p_span {
	uint64_t pfn, len, mfn;
};

static int cmp_span(const void *a, const void *b)
{
	const struct m2p_span *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* No pfn of @d is named by two of its frames. */
static int check_m2p_unique(const struct hv_sim *s, const struct sim_domain *d,
			    struct p2msim_err *err)
{
	struct m2p_span *v;
	size_t n = 0, k = 0;
	int rc = 0;

	for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
		if (x->owner == d->domid && x->m2p != SIM_NO_M2P)
			n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return p2msim_err_set(err, -ENOMEM, "sim check: out of memory");
	for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
		if (x->owner == d->domid && x->m2p != SIM_NO_M2P)
			v[k++] = (struct m2p_span){ x->m2p, x->end - x->start, x->start };
	qsort(v, n, sizeof(*v), cmp_span);
	for (size_t i = 1; i < n; i++)
		if (v[i].pfn < v[i - 1].pfn + v[i - 1].len) {
			rc = p2msim_err_set(err, -EUCLEAN,
					    "sim check: d%u: pfn %#" PRIx64 " is named by mfn %#" PRIx64 " and mfn %#" PRIx64,
					    d->domid, v[i].pfn,
					    v[i - 1].mfn + (v[i].pfn - v[i - 1].pfn), v[i].mfn);
			break;
		}
	free(v);
	return rc;
}

int hv_sim_check(struct hv *hv, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	const struct xm_node *f, *o, *prev = NULL;
	bool prev_free = false;
	uint64_t free_sum = 0, owned_sum = 0;
	size_t ri = 0;
	int rc;

	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_check: not a sim hypervisor");
	/* Walk both maps in address order: each extent is non-empty, in RAM,
	 * after the previous one of either map. */
	f = xm_first(&s->free);
	o = xm_first(&s->owned);
	while (f || o) {
		bool take_free = f && (!o || f->start < o->start);
		const struct xm_node *x = take_free ? f : o;

		if (x->start >= x->end)
			return p2msim_err_set(err, -EUCLEAN, "sim check: empty extent at %#" PRIx64,
					      x->start);
		if (prev && x->start < prev->end)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: frames %#" PRIx64 "-%#" PRIx64 " are in two extents (owned twice or owned and free)",
					      x->start, (prev->end < x->end ? prev->end : x->end) - 1);
		while (ri < s->nr_ram && s->ram[ri].end <= x->start)
			ri++;
		if (ri == s->nr_ram || x->start < s->ram[ri].start || x->end > s->ram[ri].end)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: extent %#" PRIx64 "-%#" PRIx64 " is not machine RAM",
					      x->start, x->end - 1);
		if (take_free) {
			if (prev && prev_free && prev->end == x->start)
				return p2msim_err_set(err, -EUCLEAN,
						      "sim check: free extents at %#" PRIx64 " not merged",
						      x->start);
			free_sum += x->end - x->start;
			f = xm_next(&s->free, f);
		} else {
			if (x->owner != SIM_OWNER_XEN && !find_domain(s, x->owner))
				return p2msim_err_set(err, -EUCLEAN,
						      "sim check: frames %#" PRIx64 "-%#" PRIx64 " belong to d%u, which does not exist",
						      x->start, x->end - 1, x->owner);
			owned_sum += x->end - x->start;
			o = xm_next(&s->owned, o);
		}
		prev = x;
		prev_free = take_free;
	}
	if (free_sum != s->nr_free)
		return p2msim_err_set(err, -EUCLEAN, "sim check: %" PRIu64 " free frames counted, %" PRIu64 " recorded",
				      free_sum, s->nr_free);
	if (free_sum + owned_sum != s->total_frames)
		return p2msim_err_set(err, -EUCLEAN,
				      "sim check: %" PRIu64 " free + %" PRIu64 " owned frames != %" PRIu64 " RAM frames (a frame leaked)",
				      free_sum, owned_sum, s->total_frames);
	for (size_t i = 0; i < s->nr_doms; i++) {
		const struct sim_domain *d = s->doms[i];
		uint64_t mine = 0;
		const struct xm_node *si = xm_lookup(&s->owned, d->shared_info_mfn);

		for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
			if (x->owner == d->domid)
				mine += x->end - x->start;
		if (mine != d->tot_pages)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: d%u owns %" PRIu64 " frames but tot_pages is %" PRIu64,
					      d->domid, mine, d->tot_pages);
		if (!si || si->owner != SIM_OWNER_XEN)
			return p2msim_err_set(err, -EUCLEAN, "sim check: d%u's shared_info frame is not Xen's",
					      d->domid);
		rc = check_m2p_unique(s, d, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int hv_sim_check_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m,
		     struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	const struct sim_domain *d;
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t named = 0;

	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_check_p2m: not a sim hypervisor");
	d = find_domain(s, domid);
	if (!d)
		return p2msim_err_set(err, -ESRCH, "hv_sim_check_p2m: no domain %u", domid);
	p2m_iter_init(&it, p2m, 0, p2m_capacity(p2m), 0);
	while (p2m_iter_next(&it, &run)) {
		if (run.type != P2M_PFN)
			continue;
		for (uint64_t pfn = run.start; pfn < run.end; pfn++) {
			uint64_t mfn = p2m_pfn_to_mfn(p2m, pfn);
			const struct xm_node *n = xm_lookup(&s->owned, mfn);

			if (!n || n->owner != d->domid)
				return p2msim_err_set(err, -EUCLEAN,
						      "P2M/hv: d%u pfn %#" PRIx64 " -> mfn %#" PRIx64 ", a frame %s",
						      d->domid, pfn, mfn,
						      !n ? (is_ram(s, mfn) ? "that is free" : "that is not RAM")
							 : "of another domain");
			if (node_m2p(n, mfn) != pfn)
				return p2msim_err_set(err, -EUCLEAN,
						      "P2M/hv: d%u pfn %#" PRIx64 " -> mfn %#" PRIx64 " but M2P says pfn %#" PRIx64,
						      d->domid, pfn, mfn, node_m2p(n, mfn));
			named++;
		}
	}
	if (named != d->tot_pages)
		return p2msim_err_set(err, -EUCLEAN,
				      "P2M/hv: d%u has %" PRIu64 " pfn entries but owns %" PRIu64 " frames (%s)",
				      d->domid, named, d->tot_pages,
				      named < d->tot_pages ? "frames leaked out of the P2M" : "impossible");
	return 0;
}

static const struct hv_ops sim_ops = {
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
	.machphys_update = sim_machphys_update,
	.m2p = sim_m2p,
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
