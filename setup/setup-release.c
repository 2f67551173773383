/* SPDX-License-Identifier: MIT */
/*
 * setup/setup-release.c - xen_memory_setup() of 3.2 - 3.17: still the
 * three-level tree, but every 1-1 area now gives back the RAM under it.
 *
 * Non-RAM ranges and gaps, merged up to the next RAM entry and rounded
 * outward to whole pages, become identity; the frames dom0 had there
 * (below nr_pages) are released to Xen ("Freeing a-b pfn range: N pages
 * freed").  From 3.5 the same number of pages is populated back into the
 * RAM above nr_pages ("Populating ...") so the domain keeps its size;
 * what could not be put back becomes extra (balloon) memory.  RAM past the
 * end of the domain's memory feeds extra regions while they last and is
 * marked UNUSABLE after that.
 */
#include <errno.h>
#include <string.h>

#include "setup/setup-internal.h"
#include "util/page.h"

/* xen_do_chunk(): release or populate pfns [start, end) one page at a time. */
static uint64_t do_chunk(struct tree *t, uint64_t start, uint64_t end, bool release)
{
	enum p2m_src saved = p2m_alloc_src(t->p);
	uint64_t len = 0;
	int rc;

	for (uint64_t pfn = start; pfn < end; pfn++) {
		struct p2msim_err perr = { 0 };
		uint64_t mfn = p2m_pfn_to_mfn(t->p, pfn), frame, back;
		long done;

		if (release) {
			if (mfn == t->c.g->invalid || hv_m2p(t->c.hv, mfn, &back, NULL) < 0 ||
			    back != pfn)
				continue;
			frame = mfn;
			done = hv_decrease_reservation(t->c.hv, t->c.in->domid, &frame, 1, 0, NULL);
		} else {
			if (mfn != t->c.g->invalid)
				continue;
			frame = pfn;
			done = hv_populate_physmap(t->c.hv, t->c.in->domid, &frame, 1, 0, NULL);
		}
		if (done != 1) {
			setup_log(t->c.res, "WARNING: Failed to %s pfn %llx err=%ld",
				  release ? "release" : "populate", (unsigned long long)pfn, done);
			break;
		}
		/* early_set_phys_to_machine(); 3.5+ reuses the pages of leaves
		 * that became all INVALID, so populating charges no brk */
		p2m_set_alloc_src(t->p, P2M_SRC_HEAP);
		rc = p2m_set(t->p, pfn, release ? t->c.g->invalid : frame, &perr);
		p2m_set_alloc_src(t->p, saved);
		if (rc < 0) {
			if (!release)
				hv_decrease_reservation(t->c.hv, t->c.in->domid, &frame, 1, 0,
							NULL);
			break;
		}
		len++;
	}
	if (len)
		setup_log(t->c.res, "%s%s%llx-%llx pfn range: %llu pages %s",
			  release ? "Freeing" : "Populating",
			  release && kernel_has(t->c.km, KB_FREEING_TWO_SPACES) ? "  " : " ",
			  (unsigned long long)start, (unsigned long long)end,
			  (unsigned long long)len, release ? "freed" : "added");
	return len;
}

/* xen_populate_chunk(): give back up to @credits pages in RAM above the
 * domain's pages; *last_pfn becomes the end of what was populated. */
static uint64_t populate_back(struct tree *t, uint64_t credits, uint64_t *last_pfn)
{
	uint64_t done = 0;

	for (size_t i = 0; i < t->map.nr && credits > 0; i++) {
		const struct e820_entry *e = &t->map.entries[i];
		uint64_t s, end, dest, capacity, pfns;

		if (e->type != E820_TYPE_RAM)
			continue;
		end = PFN_DOWN(e->addr + e->size);
		if (end <= t->max_pfn)
			continue;
		s = PFN_UP(e->addr);
		dest = s <= t->max_pfn ? t->max_pfn : s;
		capacity = end - dest;
		if (credits < capacity)
			capacity = credits;
		pfns = do_chunk(t, dest, dest + capacity, false);
		done += pfns;
		*last_pfn = dest + pfns;
		if (pfns < capacity)
			break;
		credits -= pfns;
	}
	return done;
}

/* xen_set_identity_and_release(): every area of non-RAM and gaps, merged
 * up to the next RAM entry, rounded outward; then the two counts. */
static int identity_and_release(struct tree *t, uint64_t *released)
{
	uint64_t start = 0, identity = 0;
	int rc;

	*released = 0;
	for (size_t i = 0; i < t->map.nr; i++) {
		const struct e820_entry *e = &t->map.entries[i];
		uint64_t end = e->addr + e->size;

		if (e->type == E820_TYPE_RAM || i == t->map.nr - 1) {
			uint64_t s = PFN_DOWN(start), x = PFN_UP(end);

			if (e->type == E820_TYPE_RAM)
				x = PFN_UP(e->addr);
			if (s < x) {
				if (s < t->max_pfn)
					*released += do_chunk(t, s, x < t->max_pfn ? x : t->max_pfn,
							      true);
				rc = tree_identity(t, s, x, &identity);
				if (rc < 0)
					return rc;
			}
			start = end;
		}
	}
	t->c.res->identity_set = identity;
	/* 3.2 prints both counts always, 3.5+ only when non-zero */
	if (!kernel_has(t->c.km, KB_QUIET_ZERO_COUNTS) || *released)
		setup_log(t->c.res, "Released %llu pages of unused memory",
			  (unsigned long long)*released);
	if (!kernel_has(t->c.km, KB_QUIET_ZERO_COUNTS) || identity)
		setup_log(t->c.res, "Set %llu page(s) to 1-1 mapping",
			  (unsigned long long)identity);
	return 0;
}

/* The walk: RAM below mem_end is the kernel's, RAM above feeds extra
 * regions while extra pages last, the rest is UNUSABLE. */
static int walk(struct tree *t, uint64_t extra_pages)
{
	for (size_t i = 0; i < t->map.nr; i++) {
		uint64_t addr = t->map.entries[i].addr, left = t->map.entries[i].size;
		uint32_t type = t->map.entries[i].type;

		while (left) {
			uint64_t size = left, start, end;
			uint32_t ktype = type;

			if (type == E820_TYPE_RAM) {
				if (addr < t->mem_end) {
					size = left < t->mem_end - addr ? left : t->mem_end - addr;
				} else if (extra_pages) {
					size = left < PFN_PHYS(extra_pages) ? left :
									      PFN_PHYS(extra_pages);
					extra_pages -= PFN_DOWN(size);
					if (setup_extra_add(t->c.res, PFN_DOWN(addr),
							    PFN_DOWN(size), t->c.err) < 0)
						return -ENOMEM;
					t->max_p2m_pfn = PFN_DOWN(addr + size);
					tree_invalidate(t, PFN_DOWN(addr),
							PFN_DOWN(addr + size) - 1);
				} else {
					ktype = E820_TYPE_UNUSABLE;
				}
			}
			start = addr;
			end = addr + size;
			if (ktype == E820_TYPE_RAM) { /* xen_align_and_add_e820_region */
				start = PAGE_ALIGN_UP(start);
				end = PAGE_ALIGN_DOWN(end);
			}
			if (end > start && e820_add(&t->c.res->e820, start, end - start, ktype) < 0)
				return setup_oom(&t->c);
			addr += size;
			left -= size;
		}
	}
	return 0;
}

static int memory_setup(struct tree *t)
{
	uint64_t max_pages, extra_pages = 0, released, populated = 0, last_pfn = 0, maxmem;
	int rc;

	if ((rc = tree_read_memory_map(t)) < 0)
		return rc;
	/* 3.13+: Xen refuses 1-1 mappings of UNUSABLE: dom0 keeps it RAM. */
	if (t->c.in->dom0 && kernel_has(t->c.km, KB_IGNORE_UNUSABLE))
		for (size_t i = 0; i < t->map.nr; i++)
			if (t->map.entries[i].type == E820_TYPE_UNUSABLE)
				t->map.entries[i].type = E820_TYPE_RAM;
	if (setup_sanitize(&t->map) < 0)
		return setup_oom(&t->c);
	max_pages = tree_get_max_pages(t, true);
	t->c.res->max_pages = max_pages;
	if (max_pages > t->max_pfn)
		extra_pages += max_pages - t->max_pfn;

	if ((rc = identity_and_release(t, &released)) < 0)
		return rc;
	if (kernel_has(t->c.km, KB_POPULATE_BACK))
		populated = populate_back(t, released, &last_pfn);
	t->c.res->released = released - populated;
	extra_pages += released - populated;
	if (last_pfn > t->max_pfn) {
		t->max_pfn = last_pfn < t->max_domain_pages ? last_pfn : t->max_domain_pages;
		t->mem_end = PFN_PHYS(t->max_pfn);
	}
	maxmem = t->c.in->arch == P2M_ARCH_X86_64 ? 1ULL << 34 : (896ULL << 20) >> PAGE_SHIFT;
	maxmem = EXTRA_MEM_RATIO * (t->max_pfn < maxmem ? t->max_pfn : maxmem);
	if (extra_pages > maxmem)
		extra_pages = maxmem;
	if ((rc = walk(t, extra_pages)) < 0)
		return rc;
	if (e820_add(&t->c.res->e820, ISA_START_ADDRESS, ISA_END_ADDRESS - ISA_START_ADDRESS,
		     E820_TYPE_RESERVED) < 0)
		return setup_oom(&t->c);
	if (setup_sanitize(&t->c.res->e820) < 0)
		return setup_oom(&t->c);
	return setup_log_e820(t->c.res, t->c.km, "BIOS-provided physical RAM map:", &t->c.res->e820,
			      "Xen");
}

int setup_run_release(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		      struct p2msim_err *err)
{
	return tree_run(in, hv, res, err, memory_setup);
}
