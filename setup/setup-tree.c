/* SPDX-License-Identifier: MIT */
/*
 * setup/setup-tree.c - xen_memory_setup() of the original 1-1 series
 * (2.6.39 - 3.1), on the three-level P2M tree that lives in brk.
 *
 * The order is the kernel's: the builder's mfn_list is grafted into the
 * tree at boot, the memory map is trimmed to the domain's pages (RAM past
 * them feeds the extra region, and in dom0 is marked UNUSABLE below 4
 * GiB), gaps between 1 MiB and nr_pages are released, one extra region is
 * laid out at 4 GiB or above, and finally every hole and non-RAM range of
 * the *raw* map becomes identity, rounded inward, through
 * set_phys_range_identity() with its brk allocations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "setup/setup-internal.h"
#include "util/page.h"

/* extend_brk() BUG()s when the reservation is used up. */
int tree_brk_crash(struct tree *t, const struct p2msim_err *perr)
{
	if (perr->code == -ENOSPC) {
		setup_stop_at(t->c.res, KB_TREE_P2M, "brk", 0, 0, NULL);
		return setup_crash(t->c.res, t->c.err,
				   "kernel BUG at arch/x86/kernel/setup.c (extend_brk): %s",
				   perr->msg);
	}
	return p2msim_err_set(t->c.err, perr->code, "%s", perr->msg);
}

/* The brk pool the P2M may draw on: seven one-page arrays, mid and mid_mfn
 * pages for MAX_DOMAIN_PAGES, 6 pages for identity boundaries and the 4
 * pages of the m2p override hash (doc/design-p2m.md#brk-budget). */
static uint64_t brk_pool(uint64_t max_domain_pages)
{
	uint64_t mids = max_domain_pages / (512ULL * 512ULL);

	return 7 + 2 * mids + 6 + 4;
}

int tree_new(struct tree *t)
{
	struct p2m_config cfg;
	struct p2msim_err perr = { 0 };
	int rc;

	p2m_config_init(&cfg, t->c.in->arch, 0);
	p2m_config_rules_2639(&cfg); /* alloc_p2m fills INVALID */
	/* 3.14+ shares an identity mid and allocates only the ends */
	if (kernel_has(t->c.km, KB_MID_IDENTITY)) {
		cfg.mid_identity = true;
		cfg.range_mode = P2M_RANGE_MINIMAL;
	}
	cfg.brk_pages =
		brk_pool(t->max_domain_pages) + (kernel_has(t->c.km, KB_POPULATE_BACK) ? 3 : 0);
	cfg.shared_from_brk = true;
	rc = p2m_new(&t->p, &cfg, &perr);
	if (rc < 0)
		return tree_brk_crash(t, &perr);
	t->c.res->p2m = t->p;
	/* xen_build_dynamic_phys_to_machine(): mids from brk pointing into the
	 * builder's list; xen_build_mfn_list_list() adds their mid_mfn pages. */
	p2m_set_alloc_src(t->p, P2M_SRC_BRK);
	if (t->c.in->mfn_list) {
		rc = p2m_graft_list(t->p, t->c.in->mfn_list, t->max_pfn, &perr);
	} else {
		/* struct hv_extent and struct p2m_frame_run say the same */
		struct p2m_frame_run *runs =
			malloc((t->c.in->nr_mfn_ext ? t->c.in->nr_mfn_ext : 1) * sizeof(*runs));

		if (!runs)
			return setup_oom(&t->c);
		for (size_t i = 0; i < t->c.in->nr_mfn_ext; i++)
			runs[i] = (struct p2m_frame_run){ t->c.in->mfn_ext[i].pfn,
							  t->c.in->mfn_ext[i].mfn,
							  t->c.in->mfn_ext[i].nr };
		rc = p2m_graft_runs(t->p, runs, t->c.in->nr_mfn_ext, t->max_pfn, &perr);
		free(runs);
	}
	if (rc < 0)
		return tree_brk_crash(t, &perr);
	return 0;
}

int tree_read_memory_map(struct tree *t)
{
	int rc = setup_read_memory_map(t->c.res, t->c.in, t->c.hv, t->mem_end, &t->map, t->c.err);

	if (rc < 0)
		return rc;
	return e820_table_copy(&t->raw, &t->map) < 0 ? setup_oom(&t->c) : 0;
}

/* Trim RAM to the domain's pages and build the kernel's E820. */
static int trim_map(struct tree *t, uint64_t *extra_pages)
{
	const uint64_t four_g = 1ULL << 32;
	int rc;

	t->extra_start = t->c.in->arch == P2M_ARCH_X86_32 ? t->mem_end :
			 kernel_has(t->c.km, KB_EXTRA_ABOVE_4G) && t->mem_end < four_g ? four_g :
											 t->mem_end;
	for (size_t i = 0; i < t->map.nr; i++) {
		struct e820_entry *e = &t->map.entries[i];
		uint64_t end;

		/* Guard against non-page aligned E820 entries. */
		if (e->type == E820_TYPE_RAM)
			e->size -= (e->size + e->addr) % PAGE_SIZE;
		end = e->addr + e->size;
		if (e->type == E820_TYPE_RAM && end > t->mem_end) {
			uint64_t delta = e->size < end - t->mem_end ? e->size : end - t->mem_end;

			e->size -= delta;
			end -= delta;
			*extra_pages += PFN_DOWN(delta);
			/* RAM below 4 GiB that is not dom0's is marked UNUSABLE so
			 * it is not handed out as I/O space. */
			if (delta && t->c.in->dom0 && end < four_g &&
			    e820_add(&t->c.res->e820, end, delta, E820_TYPE_UNUSABLE) < 0)
				return setup_oom(&t->c);
		}
		if (e->size > 0 && end > t->extra_start)
			t->extra_start = end;
		if (e->size > 0 && e820_add(&t->c.res->e820, e->addr, e->size, e->type) < 0)
			return setup_oom(&t->c);
	}
	if (t->c.in->dom0 && t->extra_start < four_g)
		t->extra_start = four_g;
	rc = e820_add(&t->c.res->e820, ISA_START_ADDRESS, ISA_END_ADDRESS - ISA_START_ADDRESS,
		      E820_TYPE_RESERVED);
	if (rc < 0)
		return setup_oom(&t->c);
	if (setup_sanitize(&t->c.res->e820) < 0)
		return setup_oom(&t->c);
	return 0;
}

uint64_t tree_get_max_pages(struct tree *t, bool dom0_only)
{
	uint64_t max_pages = t->max_domain_pages, resv;

	/* 2.6.39.x asks every domain; 3.2+ only dom0 (a domU's map covers
	 * its static maximum). */
	if ((!dom0_only || t->c.in->dom0) &&
	    hv_reservation(t->c.hv, t->c.in->domid, HV_RESV_MAXIMUM, &resv, NULL) == 0 && resv > 0)
		max_pages = resv;
	return max_pages < t->max_domain_pages ? max_pages : t->max_domain_pages;
}

/* One pfn of xen_release_chunk(): give its frame back if the M2P names
 * the pfn. */
static void release_pfn(struct tree *t, uint64_t pfn, uint64_t start, uint64_t end, uint64_t *len)
{
	uint64_t mfn = p2m_pfn_to_mfn(t->p, pfn), back;
	long done;

	if (mfn == t->c.g->invalid || hv_m2p(t->c.hv, mfn, &back, NULL) < 0 || back != pfn)
		return;
	done = hv_decrease_reservation(t->c.hv, t->c.in->domid, &mfn, 1, 0, NULL);
	if (done != 1) {
		setup_log(t->c.res, "WARNING: Failed to release memory %llx-%llx err=%ld",
			  (unsigned long long)start, (unsigned long long)end, done);
		return;
	}
	p2m_set_noalloc(t->p, pfn, t->c.g->invalid);
	(*len)++;
}

/* pfns [s, e) that read as identity, frame = pfn: only a frame whose M2P
 * is its own number can go, so walk the M2P a run at a time. */
static void release_identity(struct tree *t, uint64_t s, uint64_t e, uint64_t start, uint64_t end,
			     uint64_t *len)
{
	for (uint64_t mfn = s; mfn < e;) {
		uint64_t back, n;

		if (hv_m2p_run(t->c.hv, mfn, &back, &n, NULL) < 0)
			return; /* beyond the machine: so is the rest */
		if (n > e - mfn)
			n = e - mfn;
		if (back == mfn)
			for (uint64_t k = 0; k < n; k++)
				release_pfn(t, mfn + k, start, end, len);
		mfn += n ? n : 1;
	}
}

/* xen_release_chunk(): give back the frames of one gap, pfn by pfn as the
 * kernel does, a run at a time where the P2M is missing or shared. */
static uint64_t release_chunk(struct tree *t, uint64_t start_addr, uint64_t end_addr)
{
	uint64_t start = PFN_UP(start_addr), end = PFN_DOWN(end_addr), len = 0;
	uint64_t cap = p2m_capacity(t->p), stop = end < cap ? end : cap;
	struct p2m_iter it;
	struct p2m_run run;

	if (end <= start)
		return 0;
	p2m_iter_init(&it, t->p, start, stop, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run)) {
		if (run.type == P2M_MISSING)
			continue;
		if (run.type == P2M_IDENTITY && run.level != P2M_LEVEL_LEAF) {
			release_identity(t, run.start, run.end, start, end, &len);
			continue;
		}
		for (uint64_t pfn = run.start; pfn < run.end; pfn++)
			release_pfn(t, pfn, start, end, &len);
	}
	/* past the P2M a pfn reads as identity or as missing */
	if (end > cap && p2m_type_at(t->p, cap > start ? cap : start) == P2M_IDENTITY)
		release_identity(t, cap > start ? cap : start, end, start, end, &len);
	setup_log(t->c.res, "xen_release_chunk: looking at area pfn %llx-%llx: %llu pages freed",
		  (unsigned long long)start, (unsigned long long)end, (unsigned long long)len);
	return len;
}

/* xen_return_unused_memory(): the gaps of the kernel's E820 above 1 MiB
 * and below nr_pages. */
static uint64_t return_unused_memory(struct tree *t)
{
	uint64_t max_addr = PFN_PHYS(t->c.in->nr_pages), last_end = ISA_END_ADDRESS, released = 0;
	const struct e820_table *e820 = &t->c.res->e820;

	for (size_t i = 0; i < e820->nr && last_end < max_addr; i++) {
		uint64_t end = e820->entries[i].addr < max_addr ? e820->entries[i].addr : max_addr;
		uint64_t top = e820->entries[i].addr + e820->entries[i].size;

		if (last_end < end)
			released += release_chunk(t, last_end, end);
		if (top > last_end)
			last_end = top;
	}
	if (last_end < max_addr)
		released += release_chunk(t, last_end, max_addr);
	setup_log(t->c.res, "released %llu pages of unused memory", (unsigned long long)released);
	t->c.res->released = released;
	return released;
}

/* Set INVALID over [s, e] without allocating, as __set_phys_to_machine()
 * does; shared missing stretches are skipped whole. */
void tree_invalidate(struct tree *t, uint64_t s, uint64_t e_incl)
{
	struct p2m_iter it;
	struct p2m_run run;

	p2m_iter_init(&it, t->p, s, e_incl + 1, 0);
	while (p2m_iter_next(&it, &run))
		if (run.type != P2M_MISSING)
			for (uint64_t pfn = run.start; pfn < run.end; pfn++)
				p2m_set_noalloc(t->p, pfn, t->c.g->invalid);
}

/* xen_add_extra_mem(): one RAM region at xen_extra_mem_start. */
static int add_extra_mem(struct tree *t, uint64_t pages)
{
	uint64_t size = PFN_PHYS(pages);

	if (!pages)
		return 0;
	if (e820_add(&t->c.res->e820, t->extra_start, size, E820_TYPE_RAM) < 0)
		return setup_oom(&t->c);
	if (setup_sanitize(&t->c.res->e820) < 0)
		return setup_oom(&t->c);
	t->max_p2m_pfn = PFN_DOWN(t->extra_start + size);
	/* 2.6.39 runs to xen_max_p2m_pfn inclusive, one pfn too many. */
	tree_invalidate(t, PFN_DOWN(t->extra_start), t->max_p2m_pfn);
	return setup_extra_add(t->c.res, PFN_DOWN(t->extra_start), pages, t->c.err);
}

int tree_identity(struct tree *t, uint64_t s, uint64_t e, uint64_t *total)
{
	struct p2msim_err perr = { 0 };
	uint64_t n = 0;
	int rc = p2m_set_range(t->p, s, e, P2M_FILL_IDENTITY, 0, &n, &perr);

	if (rc < 0)
		return tree_brk_crash(t, &perr);
	if (n == e - s && n)
		setup_log(t->c.res, "1-1 mapping on %llx->%llx", (unsigned long long)s,
			  (unsigned long long)e);
	else if (s < e && n < e - s)
		setup_log(t->c.res,
			  "WARNING: Identity mapping failed. We are %lld short of 1-1 mappings!",
			  (long long)(e - s - n));
	*total += n;
	return 0;
}

/* xen_set_identity(): walk the raw map; gaps and non-RAM merge into one
 * range up to the next RAM (or UNUSABLE) entry, rounded inward. */
static int set_identity(struct tree *t)
{
	uint64_t last = t->c.in->dom0 ? 0 : ISA_END_ADDRESS, start_pci = last, total = 0;
	int rc;

	for (size_t i = 0; i < t->raw.nr; i++) {
		const struct e820_entry *e = &t->raw.entries[i];
		uint64_t start = e->addr, end = e->addr + e->size;

		if (start < last)
			start = last;
		if (end <= start || last > end)
			continue;
		if (e->type == E820_TYPE_RAM || e->type == E820_TYPE_UNUSABLE) {
			if (start > start_pci &&
			    (rc = tree_identity(t, PFN_UP(start_pci), PFN_DOWN(start), &total)) < 0)
				return rc;
			last = end;
			start_pci = end;
			continue;
		}
		if (start < start_pci)
			start_pci = start;
		last = end;
	}
	if (last > start_pci &&
	    (rc = tree_identity(t, PFN_UP(start_pci), PFN_DOWN(last), &total)) < 0)
		return rc;
	t->c.res->identity_set = total;
	return setup_log(t->c.res, "Set %llu page(s) to 1-1 mapping.", (unsigned long long)total);
}

static int memory_setup(struct tree *t)
{
	uint64_t extra_pages = 0, extra_limit, maxmem;
	int rc;

	if ((rc = tree_read_memory_map(t)) < 0 || (rc = trim_map(t, &extra_pages)) < 0)
		return rc;
	extra_limit = tree_get_max_pages(t, false);
	t->c.res->max_pages = extra_limit;
	if (t->max_pfn + extra_pages > extra_limit)
		extra_pages = extra_limit > t->max_pfn ? extra_limit - t->max_pfn : 0;
	extra_pages += return_unused_memory(t);
	/* 32-bit lowmem bounds the ratio; 64-bit MAXMEM is 64 TiB. */
	maxmem = t->c.in->arch == P2M_ARCH_X86_64 ? 1ULL << 34 : (896ULL << 20) >> PAGE_SHIFT;
	extra_limit = EXTRA_MEM_RATIO * (t->max_pfn < maxmem ? t->max_pfn : maxmem);
	if (extra_limit > t->max_pfn + extra_pages)
		extra_limit = t->max_pfn + extra_pages;
	extra_pages = extra_limit >= t->max_pfn ? extra_limit - t->max_pfn : 0;
	if ((rc = add_extra_mem(t, extra_pages)) < 0 || (rc = set_identity(t)) < 0)
		return rc;
	return setup_log_e820(t->c.res, t->c.km, "BIOS-provided physical RAM map:", &t->c.res->e820,
			      "Xen");
}

void tree_publish(struct tree *t)
{
	struct hv_p2m_info info = {
		.max_pfn = t->max_p2m_pfn,
		.pfn_to_mfn_frame_list_list = p2m_mirror_fll(t->p),
	};

	t->c.res->max_pfn = t->max_p2m_pfn;
	t->c.res->p2m_size = t->max_domain_pages;
	(void)hv_set_p2m_info(t->c.hv, t->c.in->domid, &info, NULL);
}

int tree_run(const struct setup_input *in, struct hv *hv, struct setup_result *res,
	     struct p2msim_err *err, int (*setup_fn)(struct tree *t))
{
	struct tree t = { 0 };
	int rc;

	setup_ctx_init(&t.c, in, hv, res, err);
	t.max_domain_pages = in->model->config.max_domain_gib << 18;
	if (t.max_domain_pages > 1ULL << 27)
		t.max_domain_pages = 1ULL << 27; /* the one top page: 512 GiB */
	t.max_pfn = in->nr_pages < t.max_domain_pages ? in->nr_pages : t.max_domain_pages;
	t.mem_end = PFN_PHYS(t.max_pfn);
	t.max_p2m_pfn = t.max_pfn;
	res->ini_nr_pages = t.max_pfn;
	e820_table_init(&t.map);
	e820_table_init(&t.raw);
	rc = tree_new(&t);
	if (rc == 0)
		rc = setup_fn(&t);
	if (rc == 0)
		rc = setup_apply_cmdline(res, t.c.km, in->cmdline, err);
	if (rc == 0)
		tree_publish(&t);
	e820_table_free(&t.map);
	e820_table_free(&t.raw);
	return rc;
}

int setup_run_tree(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		   struct p2msim_err *err)
{
	return tree_run(in, hv, res, err, memory_setup);
}
