/* SPDX-License-Identifier: MIT */
/*
 * live/publish.c - lay a P2M out in a domain's frames the way a 3.19+
 * Linux guest does, and publish it in shared_info.arch, so that the
 * toolstack-side reader (live_p2m_read) can be run against a domU on a
 * real hypervisor where no guest kernel runs (live scratch's last step).
 *
 * What is built, all in frames populated for the purpose above the P2M's
 * own pfns:
 *
 *   the list     a private leaf for every leaf the engine keeps privately
 *                (its words, with the model's MFNs replaced by the real
 *                ones); one shared all-INVALID page for missing leaves and
 *                one for identity leaves (p2m_missing, p2m_identity)
 *   page tables  L4 -> L3 -> L2 at p2m_vaddr; an L2 entry per 1 GiB of
 *                pfns points to a private L1 page, or, for a 1 GiB stretch
 *                the engine keeps as a shared mid, to a shared PTE page
 *                that maps the shared leaf 512 times (p2m_missing_pte,
 *                p2m_identity_pte)
 *   the mirror   top page -> mid pages -> leaf MFNs, with p2m_missing's
 *                MFN for identity leaves as well and one mid_missing page
 *                for uniform stretches (xen_build_mfn_list_list)
 *
 * and shared_info.arch gets max_pfn, p2m_cr3, p2m_vaddr and the
 * frame-list-list, as xen_setup_mfn_list_list() writes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "live/live-internal.h"
#include "p2m/p2m.h"
#include "util/page.h"

#define PER 512u			 /* entries per page at every level */
#define LIST_VADDR 0xffffc90000000000ULL /* a Debian dom0's p2m_vaddr */
#define PTE_FLAGS 0x67ULL		 /* present, rw, user, accessed, dirty */
#define LEAF_PTE_FLAGS 0x25ULL		 /* present, user, accessed: read-only */
#define MAP_BATCH 256u

enum {
	K_PRIVATE,
	K_MISSING,
	K_IDENTITY
};

struct layout {
	uint64_t nleaves, nchunks;   /* leaves; 1 GiB stretches of pfns */
	unsigned char *kind;	     /* per leaf */
	unsigned char *chunk_shared; /* per chunk: 0, or K_MISSING/K_IDENTITY */
	/* frame indexes into the populated array */
	size_t nframes;
	size_t f_l4, f_l3, f_l2, f_missing, f_identity, f_missing_pte, f_identity_pte;
	size_t f_top, f_mid_missing;
	size_t *f_leaf;	       /* per leaf, private ones */
	size_t *f_l1;	       /* per chunk, non-shared ones */
	size_t *f_mid;	       /* per chunk, non-shared ones */
	uint64_t *mfn;	       /* per frame: its real MFN */
	uint64_t (*page)[PER]; /* per frame: its contents */
};

static void layout_free(struct layout *l)
{
	free(l->kind);
	free(l->chunk_shared);
	free(l->f_leaf);
	free(l->f_l1);
	free(l->f_mid);
	free(l->mfn);
	free(l->page);
}

/* Which leaves are private and which 1 GiB stretches are shared. */
static int classify(struct layout *l, const struct p2m *p2m, uint64_t p2m_size)
{
	struct p2m_iter it;
	struct p2m_run run;

	l->nleaves = (p2m_size + PER - 1) / PER;
	l->nchunks = (l->nleaves + PER - 1) / PER;
	l->kind = calloc((size_t)l->nleaves, 1);
	l->chunk_shared = calloc((size_t)l->nchunks, 1);
	l->f_leaf = calloc((size_t)l->nleaves, sizeof(*l->f_leaf));
	l->f_l1 = calloc((size_t)l->nchunks, sizeof(*l->f_l1));
	l->f_mid = calloc((size_t)l->nchunks, sizeof(*l->f_mid));
	if (!l->kind || !l->chunk_shared || !l->f_leaf || !l->f_l1 || !l->f_mid)
		return -ENOMEM;
	memset(l->kind, K_MISSING, (size_t)l->nleaves);
	p2m_iter_init(&it, p2m, 0, l->nleaves * PER, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run)) {
		uint64_t first = run.start / PER, last = (run.end - 1) / PER;
		unsigned char k = run.level == P2M_LEVEL_LEAF ? K_PRIVATE :
				  run.type == P2M_IDENTITY    ? K_IDENTITY :
								K_MISSING;

		for (uint64_t leaf = first; leaf <= last && leaf < l->nleaves; leaf++)
			if (l->kind[leaf] != K_PRIVATE || run.level == P2M_LEVEL_LEAF)
				l->kind[leaf] = run.level == P2M_LEVEL_LEAF ? K_PRIVATE : k;
		if (run.level == P2M_LEVEL_TOP)
			for (uint64_t c = run.start / (PER * PER);
			     c * PER * PER < run.end && c < l->nchunks; c++)
				l->chunk_shared[c] = k;
	}
	return 0;
}

static int allocate(struct layout *l)
{
	size_t n = 9;

	for (uint64_t i = 0; i < l->nleaves; i++)
		if (l->kind[i] == K_PRIVATE)
			l->f_leaf[i] = n++;
	for (uint64_t c = 0; c < l->nchunks; c++)
		if (!l->chunk_shared[c]) {
			l->f_l1[c] = n++;
			l->f_mid[c] = n++;
		}
	l->f_l4 = 0;
	l->f_l3 = 1;
	l->f_l2 = 2;
	l->f_missing = 3;
	l->f_identity = 4;
	l->f_missing_pte = 5;
	l->f_identity_pte = 6;
	l->f_top = 7;
	l->f_mid_missing = 8;
	l->nframes = n;
	l->mfn = calloc(n, sizeof(*l->mfn));
	l->page = calloc(n, sizeof(*l->page));
	return l->mfn && l->page ? 0 : -ENOMEM;
}

static uint64_t leaf_mfn(const struct layout *l, uint64_t leaf)
{
	switch (l->kind[leaf]) {
	case K_PRIVATE:
		return l->mfn[l->f_leaf[leaf]];
	case K_IDENTITY:
		return l->mfn[l->f_identity];
	default:
		return l->mfn[l->f_missing];
	}
}

static int fill(struct layout *l, const struct p2m *p2m, uint64_t (*real_mfn)(void *, uint64_t),
		void *ctx, struct p2msim_err *err)
{
	const struct p2m_geometry *g = p2m_geometry(p2m);
	unsigned int i4 = (LIST_VADDR >> 39) & (PER - 1), i3 = (LIST_VADDR >> 30) & (PER - 1);

	memset(l->page[l->f_missing], 0xff, sizeof(l->page[0]));
	memset(l->page[l->f_identity], 0xff, sizeof(l->page[0]));
	for (unsigned int i = 0; i < PER; i++) {
		l->page[l->f_missing_pte][i] = PFN_PHYS(l->mfn[l->f_missing]) | LEAF_PTE_FLAGS;
		l->page[l->f_identity_pte][i] = PFN_PHYS(l->mfn[l->f_identity]) | LEAF_PTE_FLAGS;
		l->page[l->f_mid_missing][i] = l->mfn[l->f_missing];
		l->page[l->f_top][i] = l->mfn[l->f_mid_missing];
	}
	/* the list VA: the engine's capacity fits one L3 entry's 1 GiB of
	 * list (128Mi pfns) per L2 page; more needs more L2 pages */
	if (l->nchunks > PER)
		return p2msim_err_set(err, -E2BIG, "publish: more than 512 GiB of pfns");
	l->page[l->f_l4][i4] = PFN_PHYS(l->mfn[l->f_l3]) | PTE_FLAGS;
	l->page[l->f_l3][i3] = PFN_PHYS(l->mfn[l->f_l2]) | PTE_FLAGS;
	for (uint64_t c = 0; c < l->nchunks; c++) {
		uint64_t l1;

		if (l->chunk_shared[c]) {
			l1 = l->mfn[l->chunk_shared[c] == K_IDENTITY ? l->f_identity_pte :
								       l->f_missing_pte];
		} else {
			l1 = l->mfn[l->f_l1[c]];
			for (unsigned int i = 0; i < PER && c * PER + i < l->nleaves; i++) {
				uint64_t leaf = c * PER + i, m = leaf_mfn(l, leaf);

				l->page[l->f_l1[c]][i] = PFN_PHYS(m) | LEAF_PTE_FLAGS;
				/* the mirror names p2m_missing for identity leaves too */
				l->page[l->f_mid[c]][i] =
					l->kind[leaf] == K_IDENTITY ? l->mfn[l->f_missing] : m;
			}
			for (unsigned int i = (unsigned int)(l->nleaves - c * PER < PER ?
								     l->nleaves - c * PER :
								     PER);
			     i < PER; i++)
				l->page[l->f_mid[c]][i] = l->mfn[l->f_missing];
			l->page[l->f_top][c] = l->mfn[l->f_mid[c]];
		}
		l->page[l->f_l2][c] = PFN_PHYS(l1) | PTE_FLAGS;
	}
	/* private leaves: the engine's words, real MFNs for the model's */
	for (uint64_t leaf = 0; leaf < l->nleaves; leaf++) {
		if (l->kind[leaf] != K_PRIVATE)
			continue;
		for (unsigned int i = 0; i < PER; i++) {
			uint64_t pfn = leaf * PER + i, v = p2m_get(p2m, pfn);
			enum p2m_type t = p2m_value_type(g, pfn, v);

			if (t == P2M_PFN || t == P2M_FOREIGN) {
				uint64_t flags = v & (g->foreign_bit | g->identity_bit);
				uint64_t r = real_mfn(ctx, v & ~flags);

				if (r == LIVE_NO_MFN)
					return p2msim_err_set(err, -EUCLEAN,
							      "publish: pfn %#" PRIx64
							      " holds model mfn %#" PRIx64
							      ", which has "
							      "no real frame",
							      pfn, v & ~flags);
				v = r | flags;
			}
			l->page[l->f_leaf[leaf]][i] = v;
		}
	}
	return 0;
}

int live_publish_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m, uint64_t p2m_size,
		     uint64_t max_pfn, uint64_t (*real_mfn)(void *ctx, uint64_t model_mfn),
		     void *ctx, size_t *frames, struct p2msim_err *err)
{
	struct layout l;
	struct hv_domain_info di;
	struct hv_p2m_info info;
	uint64_t base = PAGE_ALIGN_UP(p2m_size);
	long done;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = classify(&l, p2m, p2m_size);
	if (rc == 0)
		rc = allocate(&l);
	if (rc < 0) {
		rc = p2msim_err_set(err, rc, "publish: out of memory");
		goto out;
	}
	/* the frames, above the P2M's own pfns */
	rc = hv_domain_info(hv, domid, &di, err);
	if (rc == 0)
		rc = hv_set_max_pages(hv, domid, di.tot_pages + l.nframes, err);
	for (size_t i = 0; rc == 0 && i < l.nframes; i++)
		l.mfn[i] = base + i;
	if (rc == 0) {
		done = hv_populate_physmap(hv, domid, l.mfn, l.nframes, 0, err);
		if (done >= 0 && (size_t)done != l.nframes)
			rc = p2msim_err_set(err, -ENOMEM, "publish: %ld of %zu frames populated",
					    done, l.nframes);
		else if (done < 0)
			rc = (int)done;
	}
	if (rc == 0)
		rc = fill(&l, p2m, real_mfn, ctx, err);
	for (size_t i = 0; rc == 0 && i < l.nframes; i += MAP_BATCH) {
		size_t n = l.nframes - i < MAP_BATCH ? l.nframes - i : MAP_BATCH;
		void *addr;

		rc = hv_map_frames(hv, domid, l.mfn + i, n, true, &addr, err);
		if (rc < 0)
			break;
		memcpy(addr, l.page + i, n * sizeof(l.page[0]));
		hv_unmap_frames(hv, addr, n);
	}
	if (rc == 0) {
		memset(&info, 0, sizeof(info));
		info.max_pfn = max_pfn;
		info.pfn_to_mfn_frame_list_list = l.mfn[l.f_top];
		info.p2m_cr3 = PFN_PHYS(l.mfn[l.f_l4]);
		info.p2m_vaddr = LIST_VADDR;
		info.p2m_generation = 0;
		rc = hv_set_p2m_info(hv, domid, &info, err);
	}
	if (rc == 0 && frames)
		*frames = l.nframes;
out:
	layout_free(&l);
	return rc;
}
