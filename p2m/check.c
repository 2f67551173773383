/* SPDX-License-Identifier: MIT */
/*
 * p2m/check.c - invariants of the tree, its counters, its accounting and
 * its mirror, checked by walking every private page once.
 */
#include <errno.h>
#include <stdlib.h>

#include "p2m/p2m-internal.h"

#define BAD(...) p2msim_err_set(err, -EUCLEAN, "P2M invariant: " __VA_ARGS__)

static int check_shared(const struct p2m *p, struct p2msim_err *err)
{
	const struct p2m_leaf *leaves[2] = { p->missing, p->identity };
	const struct p2m_mid *mids[2] = { p->mid_missing, p->mid_identity };

	for (int k = 0; k < 2; k++) {
		if (!leaves[k]->shared || leaves[k]->magic != P2M_MAGIC_LEAF)
			return BAD("shared %s leaf damaged", k ? "identity" : "missing");
		/* Both hold INVALID: that is what the toolstack reads. */
		for (unsigned int i = 0; i < p->per_leaf; i++)
			if (leaves[k]->e[i] != p->g->invalid)
				return BAD("shared %s leaf entry %u was written (%#llx)",
					   k ? "identity" : "missing", i,
					   (unsigned long long)leaves[k]->e[i]);
	}
	for (int k = 0; k < 2; k++) {
		if (!mids[k])
			continue;
		for (unsigned int i = 0; i < p->per_mid; i++)
			if (p2m_slot_leaf(mids[k], i) != leaves[k])
				return BAD("shared %s mid slot %u was changed",
					   k ? "identity" : "missing", i);
	}
	for (unsigned int i = 0; i < p->per_mid; i++)
		if (p->mid_missing_mfn[i] != p->missing->mfn)
			return BAD("mid_missing_mfn slot %u was changed", i);
	if (!p->linear->shared || p->linear->magic != P2M_MAGIC_LEAF)
		return BAD("implicit-leaf marker damaged");
	for (unsigned int i = 0; i < p->per_leaf; i++)
		if (p->linear->e[i] != p->g->invalid)
			return BAD("implicit-leaf marker entry %u was written", i);
	return 0;
}

static int check_implicit(const struct p2m *p, const struct p2m_mid *mid, unsigned int m,
			  uint64_t nr[P2M_NR_SRCS], uint64_t *implicit, struct p2msim_err *err)
{
	uint64_t base = mid->base + ((uint64_t)m << p->g->leaf_shift);
	uint64_t v0 = p2m_mid_lin(p, mid)[m];

	if (!p->implicit)
		return BAD("implicit leaf at pfn %#llx, but implicit leaves are off",
			   (unsigned long long)base);
	if (p2m_mid_lsrc(p, mid)[m] >= P2M_NR_SRCS)
		return BAD("implicit leaf at pfn %#llx has a bad source", (unsigned long long)base);
	if (!p2m_linear_base_ok(p, v0))
		return BAD("implicit leaf at pfn %#llx starts at %#llx, which cannot run %u frames",
			   (unsigned long long)base, (unsigned long long)v0, p->per_leaf);
	nr[p2m_mid_lsrc(p, mid)[m]]++;
	(*implicit)++;
	return 0;
}

static int check_leaf(const struct p2m *p, const struct p2m_leaf *leaf, uint64_t base,
		      uint64_t nr[P2M_NR_SRCS], struct p2msim_err *err)
{
	uint32_t missing = 0, identity = 0, breaks = 0;
	const struct p2m_frame_slot *fs;

	if (leaf->magic != P2M_MAGIC_LEAF || leaf->shared)
		return BAD("leaf at pfn %#llx is not a private leaf", (unsigned long long)base);
	if (leaf->base != base)
		return BAD("leaf for pfn %#llx is installed at %#llx (shared twice?)",
			   (unsigned long long)leaf->base, (unsigned long long)base);
	if (leaf->src >= P2M_NR_SRCS)
		return BAD("leaf at pfn %#llx has a bad source", (unsigned long long)base);
	for (unsigned int i = 0; i < p->per_leaf; i++) {
		uint64_t v = leaf->e[i];

		if (i && v != leaf->e[i - 1] + 1)
			breaks++;
		if (v == p->g->invalid) {
			missing++;
		} else if (p2m_is_identity_value(p, base + i, v)) {
			identity++;
		} else if (v > p->g->invalid) {
			return BAD("pfn %#llx holds %#llx, wider than %u bits",
				   (unsigned long long)(base + i), (unsigned long long)v,
				   p->g->value_bits);
		} else if ((v & p->g->identity_bit) && !(v & p->g->foreign_bit)) {
			return BAD("pfn %#llx holds identity value %#llx of another pfn",
				   (unsigned long long)(base + i), (unsigned long long)v);
		}
	}
	if (missing != leaf->nr_missing || identity != leaf->nr_identity)
		return BAD("leaf at pfn %#llx counts %u missing / %u identity, holds %u / %u",
			   (unsigned long long)base, leaf->nr_missing, leaf->nr_identity, missing,
			   identity);
	if (breaks != leaf->nr_breaks)
		return BAD("leaf at pfn %#llx counts %u breaks in its runs, holds %u",
			   (unsigned long long)base, leaf->nr_breaks, breaks);
	if (p->leaf_frames_positional) {
		if (leaf->mfn != p2m_leaf_pos_mfn(p, base))
			return BAD("leaf at pfn %#llx has mfn %#llx, not its place's %#llx",
				   (unsigned long long)base, (unsigned long long)leaf->mfn,
				   (unsigned long long)p2m_leaf_pos_mfn(p, base));
	} else {
		fs = p2m_frames_find(p, leaf->mfn);
		if (!fs || fs->page != leaf || fs->kind != P2M_FRAME_LEAF)
			return BAD("leaf at pfn %#llx is not reachable by its mfn %#llx",
				   (unsigned long long)base, (unsigned long long)leaf->mfn);
	}
	if (p->cfg.compact && p2m_leaf_uniform(p, leaf))
		return BAD("uniform leaf at pfn %#llx was not compacted", (unsigned long long)base);
	if (p->cfg.compact && p->implicit && p2m_leaf_linear_base(p, leaf) != p->g->invalid)
		return BAD("linear leaf at pfn %#llx was not kept implicit",
			   (unsigned long long)base);
	nr[leaf->src]++;
	return 0;
}

static int check_mirror_slot(const struct p2m *p, const struct p2m_mid *mid, unsigned int m,
			     struct p2msim_err *err)
{
	const struct p2m_leaf *leaf = p2m_slot_leaf(mid, m);
	uint64_t have = mid->mirror[m];

	if (have == p2m_slot_mfn(p, mid, m))
		return 0;
	/* A leaf swapped to identity keeps mfn(p2m_missing) until the next
	 * xen_build_mfn_list_list (doc/design-p2m.md#mirror). */
	if (leaf == p->identity && have == p->missing->mfn)
		return 0;
	return BAD("mirror of pfn %#llx says mfn %#llx, the leaf is %#llx",
		   (unsigned long long)(mid->base + ((uint64_t)m << p->g->leaf_shift)),
		   (unsigned long long)have, (unsigned long long)p2m_slot_mfn(p, mid, m));
}

/* Would p2m_mid_segs_merge() make @b part of @a? */
static bool segs_alike(const struct p2m *p, const struct p2m_seg *a, const struct p2m_seg *b)
{
	if (a->kind != b->kind || a->mirror_missing != b->mirror_missing)
		return false;
	if (a->kind == P2M_SEG_EMPTY)
		return a->src == b->src;
	if (a->kind != P2M_SEG_LINEAR)
		return true;
	return a->src == b->src &&
	       a->v0 + ((uint64_t)(b->start - a->start) << p->g->leaf_shift) == b->v0;
}

/* A mid kept as segments: well formed, its leaves counted, its mid_mfn
 * page charged and reachable. */
static int check_seg_mid(const struct p2m *p, const struct p2m_mid *mid, uint64_t t,
			 uint64_t leaves[P2M_NR_SRCS], uint64_t *implicit, struct p2msim_err *err)
{
	uint64_t base = p2m_mid_base(p, t), flags = p->g->foreign_bit | p->g->identity_bit;
	uint32_t missing = 0, identity = 0;

	if (!p->implicit)
		return BAD("mid at pfn %#llx is kept as segments, but implicit leaves are off",
			   (unsigned long long)base);
	if (mid->nr_segs > P2M_MAX_SEGS || mid->segs[0].start != 0 || mid->mirror)
		return BAD("mid at pfn %#llx has %u malformed segments", (unsigned long long)base,
			   mid->nr_segs);
	for (unsigned int i = 0; i < mid->nr_segs; i++) {
		const struct p2m_seg *sg = &mid->segs[i];
		unsigned int end = p2m_seg_end(p, mid, i);
		uint64_t n = end - sg->start, last;

		if (end <= sg->start || end > p->per_mid)
			return BAD("mid at pfn %#llx: segment %u is empty or out of order",
				   (unsigned long long)base, i);
		if (i && segs_alike(p, &mid->segs[i - 1], sg))
			return BAD("mid at pfn %#llx: segments %u and %u say the same: not merged",
				   (unsigned long long)base, i - 1, i);
		switch (sg->kind) {
		case P2M_SEG_LINEAR:
			last = sg->v0 + ((n - 1) << p->g->leaf_shift);
			if (sg->src >= P2M_NR_SRCS || sg->mirror_missing)
				return BAD(
					"mid at pfn %#llx: linear segment %u has a bad source or "
					"mirror",
					(unsigned long long)base, i);
			if (!p2m_linear_base_ok(p, sg->v0) || !p2m_linear_base_ok(p, last) ||
			    ((sg->v0 ^ last) & flags))
				return BAD(
					"mid at pfn %#llx: segment %u from %#llx cannot run %llu "
					"frames",
					(unsigned long long)base, i, (unsigned long long)sg->v0,
					(unsigned long long)(n << p->g->leaf_shift));
			leaves[sg->src] += n;
			*implicit += n;
			break;
		case P2M_SEG_EMPTY:
			if (sg->src >= P2M_NR_SRCS || sg->mirror_missing)
				return BAD("mid at pfn %#llx: empty segment %u has a bad source or "
					   "mirror",
					   (unsigned long long)base, i);
			leaves[sg->src] += n;
			break;
		case P2M_SEG_MISSING:
			if (!sg->mirror_missing)
				return BAD("mid at pfn %#llx: missing segment %u has a mirror of "
					   "another leaf",
					   (unsigned long long)base, i);
			missing += (uint32_t)n;
			break;
		case P2M_SEG_IDENTITY:
			identity += (uint32_t)n;
			break;
		default:
			return BAD("mid at pfn %#llx: segment %u of kind %u",
				   (unsigned long long)base, i, sg->kind);
		}
	}
	if (missing != mid->nr_missing || identity != mid->nr_identity)
		return BAD("mid at pfn %#llx counts %u missing / %u identity slots, has %u / %u",
			   (unsigned long long)base, mid->nr_missing, mid->nr_identity, missing,
			   identity);
	if (mid->seg_mirror) {
		const struct p2m_frame_slot *fs = p2m_frames_find(p, mid->mirror_mfn);

		if (fs || mid->mirror_mfn != p2m_mid_mirror_pos_mfn(p, t))
			return BAD("mid_mfn page of the mid at pfn %#llx is not reachable by its "
				   "mfn %#llx",
				   (unsigned long long)base, (unsigned long long)mid->mirror_mfn);
	}
	return 0;
}

static int check_mid(const struct p2m *p, uint64_t t, uint64_t leaves[P2M_NR_SRCS],
		     uint64_t mids[P2M_NR_SRCS], uint64_t mirrors[P2M_NR_SRCS], uint64_t *implicit,
		     struct p2msim_err *err)
{
	const struct p2m_mid *mid = p2m_top_mid(p, t);
	uint64_t base = p2m_mid_base(p, t);
	uint32_t missing = 0, identity = 0;
	int rc = 0;

	if (mid->magic != P2M_MAGIC_MID || mid->shared)
		return BAD("top slot %llu is not a mid page", (unsigned long long)t);
	if (mid->base != base)
		return BAD("mid for pfn %#llx is installed at %#llx (shared twice?)",
			   (unsigned long long)mid->base, (unsigned long long)base);
	if (mid->src >= P2M_NR_SRCS)
		return BAD("mid at pfn %#llx has a bad source", (unsigned long long)base);
	if (p2m_mid_is_seg(mid)) {
		rc = check_seg_mid(p, mid, t, leaves, implicit, err);
		if (rc < 0)
			return rc;
		goto counted;
	}
	if (mid->seg_mirror)
		return BAD("mid at pfn %#llx has slots and a computed mid_mfn page",
			   (unsigned long long)base);
	for (unsigned int m = 0; m < p->per_mid; m++) {
		const struct p2m_leaf *leaf = p2m_slot_leaf(mid, m);

		if (!leaf)
			return BAD("mid at pfn %#llx has a NULL slot %u", (unsigned long long)base,
				   m);
		if (leaf == p->missing)
			missing++;
		else if (leaf == p->identity)
			identity++;
		else if (leaf == p->linear)
			rc = check_implicit(p, mid, m, leaves, implicit, err);
		else if ((rc = check_leaf(p, leaf, p2m_leaf_base(p, t, m), leaves, err)) < 0)
			return rc;
		if (rc < 0)
			return rc;
		if (mid->mirror && (rc = check_mirror_slot(p, mid, m, err)) < 0)
			return rc;
	}
	if (missing != mid->nr_missing || identity != mid->nr_identity)
		return BAD("mid at pfn %#llx counts %u missing / %u identity slots, has %u / %u",
			   (unsigned long long)base, mid->nr_missing, mid->nr_identity, missing,
			   identity);
counted:
	if (p->leaf_frames_positional &&
	    (mid->mfn != p2m_mid_pos_mfn(p, t) ||
	     (p2m_mid_has_mirror(mid) && mid->mirror_mfn != p2m_mid_mirror_pos_mfn(p, t))))
		return BAD("mid at pfn %#llx or its mid_mfn page is not at its place's frame",
			   (unsigned long long)base);
	if (p->cfg.compact && p2m_mid_uniform(p, mid))
		return BAD("uniform mid at pfn %#llx was not compacted", (unsigned long long)base);
	if (t < p->mirror_entries) {
		if (!p2m_mid_has_mirror(mid))
			return BAD("mid at pfn %#llx has no mid_mfn page",
				   (unsigned long long)base);
		if (p->top_mfn[t] != mid->mirror_mfn)
			return BAD("top_mfn[%llu] does not point at its mid_mfn page",
				   (unsigned long long)t);
		mirrors[mid->mirror_src]++;
	} else if (p2m_mid_has_mirror(mid)) {
		return BAD("mid at pfn %#llx is beyond the mirror but has a mid_mfn page",
			   (unsigned long long)base);
	}
	mids[mid->src]++;
	return 0;
}

static int check_accounting(const struct p2m *p, const uint64_t leaves[P2M_NR_SRCS],
			    const uint64_t mids[P2M_NR_SRCS], const uint64_t mirrors[P2M_NR_SRCS],
			    struct p2msim_err *err)
{
	uint64_t shared = 3 + (p->mid_identity ? 1 : 0) + 1; /* + mid_missing_mfn */
	uint64_t roots = 2;				     /* top_mfn, top_mfn_p */
	uint64_t live = 0, top = 0;

	for (int s = 0; s < P2M_NR_SRCS; s++) {
		if (leaves[s] != p->nr_leaf[s] || mids[s] != p->nr_mid[s])
			return BAD("accounting: %llu leaves / %llu mids of source %d found, "
				   "%llu / %llu counted",
				   (unsigned long long)leaves[s], (unsigned long long)mids[s], s,
				   (unsigned long long)p->nr_leaf[s],
				   (unsigned long long)p->nr_mid[s]);
		live += leaves[s] + mids[s] + p->nr_mirror[s];
		top += p->nr_top_src[s];
	}
	if (top != p->top_pages)
		return BAD("accounting: %llu top pages counted, %u exist", (unsigned long long)top,
			   p->top_pages);
	{
		uint64_t found = roots, counted = 0;

		for (int s = 0; s < P2M_NR_SRCS; s++) {
			found += mirrors[s];
			counted += p->nr_mirror[s];
		}
		if (found != counted)
			return BAD("accounting: %llu mirror pages found, %llu counted",
				   (unsigned long long)found, (unsigned long long)counted);
	}
	if (p->nr_shared != shared)
		return BAD("accounting: %llu shared pages counted, %llu exist",
			   (unsigned long long)p->nr_shared, (unsigned long long)shared);
	if (p->allocs - p->frees != live + top + shared)
		return BAD("accounting: %llu allocations - %llu frees, %llu pages live",
			   (unsigned long long)p->allocs, (unsigned long long)p->frees,
			   (unsigned long long)(live + top + shared));
	if (p->cfg.brk_pages && p->brk_used > p->cfg.brk_pages)
		return BAD("brk: %llu pages used of %llu", (unsigned long long)p->brk_used,
			   (unsigned long long)p->cfg.brk_pages);
	return 0;
}

/* Every entry of the leaf directory says what the tree says (p2m.h). */
static int check_dir(const struct p2m *p, struct p2msim_err *err)
{
	unsigned int ds = p2m_dir_leaf_shift(p);

	if (p->v.dir_n > p2m_dir_limit(p) || p->v.dir_n % ((uint64_t)p->per_mid << ds) ||
	    (p->v.dir_n && !p->v.dir))
		return BAD("leaf directory of %llu entries (at most %llu, in whole mids)",
			   (unsigned long long)p->v.dir_n, (unsigned long long)p2m_dir_limit(p));
	for (uint64_t k = 0; k < p->v.dir_n; k++) {
		uint64_t leaf = k >> ds;
		uint64_t want = p2m_dir_part(p2m_dir_want(p, leaf >> p->g->mid_shift,
							  (unsigned int)(leaf & p->v.mid_mask)),
					     (unsigned int)(k & ((1u << ds) - 1)), k);

		if (p->v.dir[k] != want)
			return BAD("leaf directory entry of pfn %#llx holds %#llx, the tree "
				   "says %#llx",
				   (unsigned long long)(k << P2M_DIR_SHIFT),
				   (unsigned long long)p->v.dir[k], (unsigned long long)want);
	}
	return 0;
}

int p2m_check(const struct p2m *p, struct p2msim_err *err)
{
	uint64_t leaves[P2M_NR_SRCS] = { 0 }, mids[P2M_NR_SRCS] = { 0 };
	uint64_t mirrors[P2M_NR_SRCS] = { 0 };
	uint64_t implicit = 0, in_map;
	int rc = check_shared(p, err);

	if (rc < 0)
		return rc;
	for (uint64_t t = 0; t < p->v.nr_top; t++) {
		const struct p2m_mid *mid = p2m_top_mid(p, t);

		if (mid == p->mid_missing || (mid == p->mid_identity && mid)) {
			if (t < p->mirror_entries && p->top_mfn[t] != p->mid_missing_mfn_mfn)
				return BAD("top_mfn[%llu] of a shared mid is not mid_missing_mfn",
					   (unsigned long long)t);
			continue;
		}
		if (!mid)
			return BAD("top slot %llu is NULL", (unsigned long long)t);
		rc = check_mid(p, t, leaves, mids, mirrors, &implicit, err);
		if (rc < 0)
			return rc;
	}
	rc = check_dir(p, err);
	if (rc < 0)
		return rc;
	if (implicit != p->nr_implicit)
		return BAD("%llu implicit leaves found, %llu counted", (unsigned long long)implicit,
			   (unsigned long long)p->nr_implicit);
	/* Every live page but the top pages and top_mfn_p is in the frame
	 * map, except private leaves numbered by place. */
	in_map = p->allocs - p->frees - p->top_pages - 1;
	if (p->leaf_frames_positional) /* and private mids, their mid_mfn pages */
		for (int s = 0; s < P2M_NR_SRCS; s++)
			in_map -= p->nr_leaf[s] + p->nr_mid[s] + mirrors[s];
	if (p->frames.nr != (size_t)in_map)
		return BAD("frame map holds %zu pages, %llu are live", p->frames.nr,
			   (unsigned long long)in_map);
	return check_accounting(p, leaves, mids, mirrors, err);
}

int p2m_frame_runs(const struct p2m *p, p2m_frame_run_fn fn, void *ctx)
{
	uint64_t rs = 0, rm = 0, rn = 0; /* the run being gathered */
	int rc;

	for (uint64_t t = 0; t < p->v.nr_top; t++) {
		const struct p2m_mid *mid = p2m_top_mid(p, t);

		if (p2m_mid_is_shared(mid))
			continue;
		for (unsigned int k = 0; k < mid->nr_segs; k++) {
			const struct p2m_seg *sg = &mid->segs[k];
			uint64_t base = p2m_leaf_base(p, t, sg->start);
			uint64_t n = (uint64_t)(p2m_seg_end(p, mid, k) - sg->start)
				     << p->v.leaf_shift;

			if (sg->kind != P2M_SEG_LINEAR ||
			    p2m_value_type(p->g, base, sg->v0) != P2M_PFN)
				continue;
			if (rn && rs + rn == base && rm + rn == sg->v0) {
				rn += n;
				continue;
			}
			if (rn && (rc = fn(ctx, rs, rm, rn)) != 0)
				return rc;
			rs = base, rm = sg->v0, rn = n;
		}
		for (unsigned int m = 0; m < p->per_mid && !p2m_mid_is_seg(mid); m++) {
			const struct p2m_leaf *leaf = p2m_slot_leaf(mid, m);
			uint64_t base = p2m_leaf_base(p, t, m);

			if (p2m_slot_is_linear(p, mid, m)) {
				uint64_t v0 = p2m_mid_lin(p, mid)[m];

				if (p2m_value_type(p->g, base, v0) != P2M_PFN)
					continue;
				if (rn && rs + rn == base && rm + rn == v0) {
					rn += p->per_leaf;
					continue;
				}
				if (rn && (rc = fn(ctx, rs, rm, rn)) != 0)
					return rc;
				rs = base, rm = v0, rn = p->per_leaf;
				continue;
			}
			if (p2m_leaf_is_shared(leaf))
				continue;
			for (unsigned int i = 0; i < p->per_leaf; i++) {
				uint64_t v = leaf->e[i];

				if (p2m_value_type(p->g, base + i, v) != P2M_PFN)
					continue;
				if (rn && rs + rn == base + i && rm + rn == v) {
					rn++;
					continue;
				}
				if (rn && (rc = fn(ctx, rs, rm, rn)) != 0)
					return rc;
				rs = base + i, rm = v, rn = 1;
			}
		}
	}
	return rn ? fn(ctx, rs, rm, rn) : 0;
}

struct m2p_check {
	p2m_m2p_run_fn m2p;
	void *ctx;
	struct p2msim_err *err;
};

static int m2p_check_run(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	struct m2p_check *c = ctx;

	while (n) {
		uint64_t len = 1, back = c->m2p(c->ctx, mfn, &len);

		if (back != pfn)
			return p2msim_err_set(c->err, -EUCLEAN,
					      "M2P: pfn %#llx -> mfn %#llx -> pfn %#llx",
					      (unsigned long long)pfn, (unsigned long long)mfn,
					      (unsigned long long)back);
		if (len == 0 || len > n)
			len = len ? n : 1;
		pfn += len;
		mfn += len;
		n -= len;
	}
	return 0;
}

int p2m_check_m2p_runs(const struct p2m *p, p2m_m2p_run_fn m2p, void *ctx, struct p2msim_err *err)
{
	struct m2p_check c = { m2p, ctx, err };

	return p2m_frame_runs(p, m2p_check_run, &c);
}

struct m2p_one {
	p2m_m2p_fn m2p;
	void *ctx;
};

static uint64_t m2p_one(void *ctx, uint64_t mfn, uint64_t *len)
{
	const struct m2p_one *o = ctx;

	*len = 1;
	return o->m2p(o->ctx, mfn);
}

int p2m_check_m2p(const struct p2m *p, p2m_m2p_fn m2p, void *ctx, struct p2msim_err *err)
{
	struct m2p_one o = { m2p, ctx };

	return p2m_check_m2p_runs(p, m2p_one, &o, err);
}
