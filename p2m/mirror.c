/* SPDX-License-Identifier: MIT */
/*
 * p2m/mirror.c - the MFN mirror the toolstack reads, and the map from
 * machine frames to the engine's pages that lets a test read the mirror the
 * way a toolstack maps frames.
 *
 *   shared_info.arch.pfn_to_mfn_frame_list_list
 *        |
 *        v
 *   top_mfn[]  --mfn-->  mid_mfn[] (one per private mid) --mfn-->  leaf page
 *        \--mfn-->  mid_missing_mfn[] --mfn--> missing leaf   (empty 1 GiB)
 *
 * top_mfn_p[] holds the kernel's virtual pointers to the same mid_mfn pages;
 * here that is mid->mirror, and the page is only accounted for.
 *
 * Without frame ops, private leaf pages are numbered by their place
 * (p2m_leaf_pos_mfn) and found by arithmetic, not through the frame map:
 * an implicit leaf has no page here to index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2m/p2m-internal.h"

/* --- frame map -------------------------------------------------------------- */

static size_t frame_hash(uint64_t mfn, size_t mask)
{
	return (size_t)((mfn * 0x9e3779b97f4a7c15ULL) >> 20) & mask;
}

static int frames_grow(struct p2m_frame_map *fm)
{
	size_t cap = fm->slots ? (fm->mask + 1) * 2 : 256;
	struct p2m_frame_slot *old = fm->slots, *slots;
	size_t oldcap = fm->slots ? fm->mask + 1 : 0;

	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	fm->slots = slots;
	fm->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++) {
		size_t h;

		if (!old[i].mfn)
			continue;
		for (h = frame_hash(old[i].mfn, fm->mask); slots[h].mfn; h = (h + 1) & fm->mask)
			;
		slots[h] = old[i];
	}
	free(old);
	return 0;
}

int p2m_frames_add(struct p2m *p, uint64_t mfn, enum p2m_frame_kind kind, const void *page)
{
	struct p2m_frame_map *fm = &p->frames;
	size_t h;

	if (mfn == 0) /* frame 0 is never a P2M page; 0 marks empty slots */
		return 0;
	if (!fm->slots || (fm->nr + 1) * 4 > (fm->mask + 1) * 3)
		if (frames_grow(fm) < 0)
			return -ENOMEM;
	for (h = frame_hash(mfn, fm->mask); fm->slots[h].mfn; h = (h + 1) & fm->mask)
		if (fm->slots[h].mfn == mfn)
			break;
	if (!fm->slots[h].mfn)
		fm->nr++;
	fm->slots[h] = (struct p2m_frame_slot){ .mfn = mfn, .kind = kind, .page = page };
	return 0;
}

void p2m_frames_del(struct p2m *p, uint64_t mfn)
{
	struct p2m_frame_map *fm = &p->frames;
	size_t h, next;

	if (!fm->slots || mfn == 0)
		return;
	for (h = frame_hash(mfn, fm->mask); fm->slots[h].mfn != mfn; h = (h + 1) & fm->mask)
		if (!fm->slots[h].mfn)
			return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (;;) {
		fm->slots[h].mfn = 0;
		for (next = (h + 1) & fm->mask; fm->slots[next].mfn; next = (next + 1) & fm->mask) {
			size_t home = frame_hash(fm->slots[next].mfn, fm->mask);

			/* Can the entry at @next move back to the hole at @h? */
			if (((next - home) & fm->mask) >= ((next - h) & fm->mask))
				break;
		}
		if (!fm->slots[next].mfn)
			break;
		fm->slots[h] = fm->slots[next];
		h = next;
	}
	fm->nr--;
}

const struct p2m_frame_slot *p2m_frames_find(const struct p2m *p, uint64_t mfn)
{
	const struct p2m_frame_map *fm = &p->frames;

	if (!fm->slots || mfn == 0)
		return NULL;
	for (size_t h = frame_hash(mfn, fm->mask); fm->slots[h].mfn; h = (h + 1) & fm->mask)
		if (fm->slots[h].mfn == mfn)
			return &fm->slots[h];
	return NULL;
}

void p2m_frames_repoint(struct p2m *p, uint64_t mfn, enum p2m_frame_kind kind, const void *page)
{
	struct p2m_frame_slot *slot = (struct p2m_frame_slot *)p2m_frames_find(p, mfn);

	if (slot) {
		slot->kind = kind;
		slot->page = page;
	}
}

/* --- mirror pages -------------------------------------------------------------- */

static uint64_t *mirror_page_new(struct p2m *p, enum p2m_src src, uint64_t *mfn,
				 enum p2m_frame_kind kind, struct p2msim_err *err)
{
	uint64_t *page;

	if (p2m_charge(p, src, err) < 0)
		return NULL;
	page = malloc((size_t)p->per_mid * sizeof(*page));
	if (!page) {
		p2msim_err_set(err, -ENOMEM, "out of memory allocating a P2M mirror page");
		goto undo;
	}
	if (p2m_page_frame(p, mfn, err) < 0)
		goto undo_free;
	if (p2m_frames_add(p, *mfn, kind, page) < 0) {
		p2msim_err_set(err, -ENOMEM, "out of memory indexing a P2M mirror page");
		if (p->cfg.frames)
			p->cfg.frames->free(p->cfg.frames_ctx, *mfn);
		goto undo_free;
	}
	p->nr_mirror[src]++;
	return page;

undo_free:
	free(page);
undo:
	if (src == P2M_SRC_BRK)
		p->brk_used--;
	p->allocs--;
	return NULL;
}

static void mirror_page_free(struct p2m *p, uint64_t *page, uint64_t mfn, enum p2m_src src)
{
	if (!page)
		return;
	p2m_frames_del(p, mfn);
	p->nr_mirror[src]--;
	p2m_uncharge(p, src, mfn);
	free(page);
}

int p2m_mirror_init(struct p2m *p, struct p2msim_err *err)
{
	enum p2m_src src = p->cur_src;
	int rc;

	p->mirror_entries = p->v.nr_top < p->per_top ? p->v.nr_top : p->per_top;
	p->mid_missing_mfn =
		mirror_page_new(p, src, &p->mid_missing_mfn_mfn, P2M_FRAME_MID_MISSING_MFN, err);
	if (!p->mid_missing_mfn)
		return err ? err->code : -ENOMEM;
	/* Shared, not a private mirror page. */
	p->nr_mirror[src]--;
	p->nr_shared++;
	for (unsigned int i = 0; i < p->per_mid; i++)
		p->mid_missing_mfn[i] = p->missing->mfn;

	p->top_mfn = mirror_page_new(p, src, &p->top_mfn_mfn, P2M_FRAME_TOP_MFN, err);
	if (!p->top_mfn)
		return err ? err->code : -ENOMEM;
	for (unsigned int i = 0; i < p->per_top; i++)
		p->top_mfn[i] = p->mid_missing_mfn_mfn;

	/* top_mfn_p: the kernel's array of virtual pointers to mid_mfn pages. */
	rc = p2m_charge(p, src, err);
	if (rc < 0)
		return rc;
	rc = p2m_page_frame(p, &p->top_mfn_p_mfn, err);
	if (rc < 0)
		return rc;
	p->nr_mirror[src]++;
	return 0;
}

void p2m_mirror_fini(struct p2m *p)
{
	if (p->top_mfn)
		mirror_page_free(p, p->top_mfn, p->top_mfn_mfn, P2M_SRC_HEAP);
	p->top_mfn = NULL;
	if (p->mid_missing_mfn) {
		p2m_frames_del(p, p->mid_missing_mfn_mfn);
		if (p->cfg.frames)
			p->cfg.frames->free(p->cfg.frames_ctx, p->mid_missing_mfn_mfn);
		free(p->mid_missing_mfn);
	}
	p->mid_missing_mfn = NULL;
	if (p->cfg.frames && p->top_mfn_p_mfn)
		p->cfg.frames->free(p->cfg.frames_ctx, p->top_mfn_p_mfn);
	p->top_mfn_p_mfn = 0;
}

/* Give a new private mid inside the mirror's span its mid_mfn page.  A
 * mid kept as segments has no array here: the page is charged and
 * numbered, its values computed from the segments when read.  Where frames
 * are positional the page's frame follows from the mid's place. */
int p2m_mirror_attach(struct p2m *p, struct p2m_mid *mid, struct p2msim_err *err)
{
	enum p2m_src src = p->cur_src;
	bool seg = p2m_mid_is_seg(mid);
	uint64_t *page = NULL, mfn;
	int rc = p2m_charge(p, src, err);

	if (rc < 0)
		return rc;
	if (!seg && !(page = malloc((size_t)p->per_mid * sizeof(*page)))) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory allocating a P2M mirror page");
		goto undo;
	}
	if (p->leaf_frames_positional) {
		mfn = p2m_mid_mirror_pos_mfn(p, mid->base >> p->v.mid_span_shift);
	} else {
		rc = p2m_page_frame(p, &mfn, err);
		if (rc < 0)
			goto undo;
		if (p2m_frames_add(p, mfn, seg ? P2M_FRAME_SEG_MID_MFN : P2M_FRAME_MID_MFN,
				   seg ? (const void *)mid : page) < 0) {
			rc = p2msim_err_set(err, -ENOMEM,
					    "out of memory indexing a P2M mirror page");
			if (p->cfg.frames)
				p->cfg.frames->free(p->cfg.frames_ctx, mfn);
			goto undo;
		}
	}
	p->nr_mirror[src]++;
	mid->mirror = page;
	mid->seg_mirror = seg;
	mid->mirror_mfn = mfn;
	mid->mirror_src = src;
	/* The kernel initialises mid_mfn pages with mfn(p2m_missing) and
	 * records leaves as it installs them. */
	for (unsigned int i = 0; page && i < p->per_mid; i++)
		page[i] = p2m_slot_leaf(mid, i) == p->missing ||
					  p2m_slot_leaf(mid, i) == p->identity ?
				  p->missing->mfn :
				  p2m_slot_mfn(p, mid, i);
	return 0;

undo:
	free(page);
	if (src == P2M_SRC_BRK)
		p->brk_used--;
	p->allocs--;
	return rc;
}

void p2m_mirror_detach(struct p2m *p, struct p2m_mid *mid)
{
	if (!p2m_mid_has_mirror(mid))
		return;
	if (!p->leaf_frames_positional)
		p2m_frames_del(p, mid->mirror_mfn);
	p->nr_mirror[mid->mirror_src]--;
	p2m_uncharge(p, mid->mirror_src, mid->mirror_mfn);
	free(mid->mirror);
	mid->mirror = NULL;
	mid->seg_mirror = 0;
	mid->mirror_mfn = 0;
}

void p2m_mirror_set_slot(struct p2m *p, struct p2m_mid *mid, unsigned int mididx)
{
	if (mid->mirror)
		mid->mirror[mididx] = p2m_slot_mfn(p, mid, mididx);
}

void p2m_mirror_set_top(struct p2m *p, uint64_t topidx)
{
	const struct p2m_mid *mid = p2m_top_mid(p, topidx);

	/* Shared missing and identity mids both show as mid_missing_mfn. */
	p->top_mfn[topidx] = p2m_mid_has_mirror(mid) ? mid->mirror_mfn : p->mid_missing_mfn_mfn;
}

int p2m_mirror_rebuild(struct p2m *p, struct p2msim_err *err)
{
	for (uint64_t t = 0; t < p->mirror_entries; t++) {
		struct p2m_mid *mid = p2m_top_mid(p, t);

		if (p2m_mid_is_seg(mid)) {
			if (!mid->seg_mirror) {
				int rc = p2m_mirror_attach(p, mid, err);

				if (rc < 0)
					return rc;
			}
			/* every identity slot now shows the identity leaf */
			for (unsigned int i = 0; i < mid->nr_segs; i++)
				if (mid->segs[i].kind == P2M_SEG_IDENTITY)
					mid->segs[i].mirror_missing = 0;
			p2m_mid_segs_merge(p, mid);
		} else if (!p2m_mid_is_shared(mid)) {
			if (!mid->mirror) {
				int rc = p2m_mirror_attach(p, mid, err);

				if (rc < 0)
					return rc;
			}
			for (unsigned int m = 0; m < p->per_mid; m++)
				p2m_mirror_set_slot(p, mid, m);
		}
		p2m_mirror_set_top(p, t);
	}
	return 0;
}

uint64_t p2m_mirror_fll(const struct p2m *p)
{
	return p->top_mfn_mfn;
}

uint64_t p2m_mirror_span(const struct p2m *p)
{
	return p->mirror_entries << p->v.mid_span_shift;
}

/* The private leaf page number @idx (in pfn order), where frames are
 * positional: a page of values or an implicit leaf.  A slot that holds a
 * shared page has no private page behind that frame. */
static int read_leaf_frame(const struct p2m *p, uint64_t idx, uint64_t *buf)
{
	uint64_t pfn = idx << p->v.leaf_shift;
	const struct p2m_mid *mid = p2m_top_mid(p, p2m_top_index(p, pfn));
	unsigned int m = p2m_mid_index(p, pfn);
	uint64_t v0 = 0;
	const struct p2m_leaf *leaf = p2m_mid_slot(p, mid, m, &v0);

	if (p2m_mid_is_shared(mid))
		return -ENOENT;
	if (p2m_mid_is_seg(mid) && mid->segs[p2m_seg_of(mid, m)].kind == P2M_SEG_EMPTY) {
		for (unsigned int i = 0; i < p->per_leaf; i++)
			buf[i] = p->g->invalid;
		return 0;
	}
	if (leaf == p->linear) {
		for (unsigned int i = 0; i < p->per_leaf; i++)
			buf[i] = v0 + i;
		return 0;
	}
	if (p2m_leaf_is_shared(leaf))
		return -ENOENT;
	memcpy(buf, leaf->e, (size_t)p->per_leaf * sizeof(*buf));
	return 0;
}

int p2m_read_frame(const struct p2m *p, uint64_t mfn, uint64_t *buf)
{
	const struct p2m_frame_slot *slot = p2m_frames_find(p, mfn);
	struct p2m_frame_slot computed;
	unsigned int n;

	if (!slot && p->leaf_frames_positional && mfn >= p->leaf_frame_base &&
	    mfn - p->leaf_frame_base < (p->v.nr_top << p->g->mid_shift))
		return read_leaf_frame(p, mfn - p->leaf_frame_base, buf);
	if (!slot && p->leaf_frames_positional && mfn < p->leaf_frame_base &&
	    mfn >= p2m_mid_pos_mfn(p, 0)) {
		/* a private mid (not readable) or its mid_mfn page */
		uint64_t t = (mfn - p2m_mid_pos_mfn(p, 0)) / 2;
		const struct p2m_mid *mid = p2m_top_mid(p, t);

		if (p2m_mid_is_shared(mid) || !p2m_mid_has_mirror(mid) || mid->mirror_mfn != mfn)
			return -ENOENT;
		if (mid->mirror) {
			memcpy(buf, mid->mirror, (size_t)p->per_mid * sizeof(*buf));
			return 0;
		}
		computed = (struct p2m_frame_slot){ mfn, P2M_FRAME_SEG_MID_MFN, mid };
		slot = &computed;
	}
	if (!slot)
		return -ENOENT;
	switch (slot->kind) {
	case P2M_FRAME_LEAF:
		memcpy(buf, ((const struct p2m_leaf *)slot->page)->e,
		       (size_t)p->per_leaf * sizeof(*buf));
		return 0;
	case P2M_FRAME_SEG_MID_MFN: {
		const struct p2m_mid *mid = slot->page;

		for (unsigned int i = 0; i < mid->nr_segs; i++)
			for (unsigned int m = mid->segs[i].start; m < p2m_seg_end(p, mid, i); m++)
				buf[m] = p2m_seg_mirror_value(p, &mid->segs[i],
							      mid->base + ((uint64_t)m
									   << p->g->leaf_shift));
		return 0;
	}
	case P2M_FRAME_MID_MFN:
	case P2M_FRAME_MID_MISSING_MFN:
		n = p->per_mid;
		break;
	case P2M_FRAME_TOP_MFN:
		n = p->per_top;
		break;
	case P2M_FRAME_OTHER:
	default:
		return -ENOENT;
	}
	memcpy(buf, slot->page, (size_t)n * sizeof(*buf));
	return 0;
}
