/* SPDX-License-Identifier: MIT */
/*
 * p2m/iter.c - runs of equal type over a pfn range.
 *
 * The iterator looks at one "block" at a time: a whole shared mid (1 GiB on
 * x86-64) in one step, a shared leaf or an implicit linear leaf in one
 * step, or a stretch of equal entries inside a private leaf.  Consecutive blocks of the same type (and,
 * on request, the same level) merge into one run, so the cost is the number
 * of runs plus the private pages visited, never the number of pfns.
 */
#include "p2m/p2m-internal.h"

struct block {
	uint64_t end;
	enum p2m_type type;
	enum p2m_level level;
};

static enum p2m_type entry_type(const struct p2m *p, unsigned int flags, uint64_t pfn, uint64_t v)
{
	enum p2m_type t;

	if ((flags & P2M_ITER_ZERO_ABNORMAL) && v == 0)
		return P2M_ABNORMAL;
	t = p2m_value_type(p->g, pfn, v);
	/* 2.6.39's dump calls only IDENTITY_FRAME(pfn) itself identity. */
	if (t == P2M_IDENTITY && (flags & P2M_ITER_EXACT_IDENTITY) &&
	    !p2m_is_identity_value(p, pfn, v))
		return P2M_PFN;
	return t;
}

/* The linear segments after segment @k of top slot @t, in its mid and in
 * the mids kept as segments after it, join block @b while their frames
 * are of its type (a linear segment's frames are all of one type). */
static void linear_on(const struct p2m *p, unsigned int flags, uint64_t t, unsigned int k,
		      uint64_t limit, struct block *b)
{
	const struct p2m_mid *mid = p2m_top_mid(p, t);

	while (b->end < limit) {
		const struct p2m_seg *sg;

		if (++k == mid->nr_segs) {
			if (++t == p->v.nr_top || !p2m_mid_is_seg(mid = p2m_top_mid(p, t)))
				return;
			k = 0;
		}
		sg = &mid->segs[k];
		if (sg->kind != P2M_SEG_LINEAR || entry_type(p, flags, b->end, sg->v0) != b->type ||
		    ((flags & P2M_ITER_ZERO_ABNORMAL) && sg->v0 == 0))
			return;
		b->end =
			p2m_mid_base(p, t) + ((uint64_t)p2m_seg_end(p, mid, k) << p->g->leaf_shift);
	}
}

static void block_at(const struct p2m *p, unsigned int flags, uint64_t pfn, uint64_t limit,
		     struct block *b)
{
	uint64_t t = p2m_top_index(p, pfn);
	const struct p2m_mid *mid = p2m_top_mid(p, t);
	const struct p2m_leaf *leaf;
	unsigned int m, i;
	uint64_t base, v;

	if (mid == p->mid_missing || mid == p->mid_identity) {
		b->end = p2m_mid_base(p, t) + p2m_mid_span(p);
		b->type = mid == p->mid_missing ? P2M_MISSING : P2M_IDENTITY;
		b->level = P2M_LEVEL_TOP;
		return;
	}
	m = p2m_mid_index(p, pfn);
	if (p2m_mid_is_seg(mid)) {
		/* A segment of slots in one step: leaves of one kind. */
		unsigned int k = p2m_seg_of(mid, m);
		const struct p2m_seg *sg = &mid->segs[k];

		b->end = p2m_leaf_base(p, t, p2m_seg_end(p, mid, k) - 1) + p->per_leaf;
		if (sg->kind == P2M_SEG_EMPTY) {
			/* private leaves of INVALID entries */
			b->type = P2M_MISSING;
			b->level = P2M_LEVEL_LEAF;
			return;
		}
		if (sg->kind != P2M_SEG_LINEAR) {
			b->type = sg->kind == P2M_SEG_MISSING ? P2M_MISSING : P2M_IDENTITY;
			b->level = P2M_LEVEL_MID;
			return;
		}
		v = sg->v0 + (pfn - p2m_leaf_base(p, t, sg->start));
		b->type = entry_type(p, flags, pfn, v);
		b->level = P2M_LEVEL_LEAF;
		if ((flags & P2M_ITER_ZERO_ABNORMAL) && v == 0)
			b->end = pfn + 1;
		else
			linear_on(p, flags, t, k, limit, b);
		return;
	}
	leaf = p2m_slot_leaf(mid, m);
	base = p2m_leaf_base(p, t, m);
	if (leaf == p->missing || leaf == p->identity) {
		b->end = base + p->per_leaf;
		b->type = leaf == p->missing ? P2M_MISSING : P2M_IDENTITY;
		b->level = P2M_LEVEL_MID;
		return;
	}
	i = p2m_index(p, pfn);
	if (leaf == p->linear) {
		/* One kind of frame throughout; only a zero entry stands out. */
		v = p2m_mid_lin(p, mid)[m] + i;
		b->type = entry_type(p, flags, pfn, v);
		b->level = P2M_LEVEL_LEAF;
		b->end = base + p->per_leaf;
		/* (a zero can only be the first value: the run never wraps) */
		if ((flags & P2M_ITER_ZERO_ABNORMAL) && v == 0)
			b->end = pfn + 1;
		return;
	}
	b->type = entry_type(p, flags, pfn, leaf->e[i]);
	b->level = P2M_LEVEL_LEAF;
	/* Scan only as far as the caller looks. */
	if (limit > base + p->per_leaf)
		limit = base + p->per_leaf;
	/* The leaf's counters say when the rest is one kind: all missing, all
	 * identity, or one run of frames whose two ends are of one type (the
	 * values climb, so nothing between differs; only a zero, the first
	 * value, stands out). */
	if (leaf->nr_missing == p->per_leaf || leaf->nr_identity == p->per_leaf ||
	    (!leaf->nr_breaks && !leaf->nr_missing && !leaf->nr_identity &&
	     entry_type(p, flags, limit - 1, leaf->e[limit - 1 - base]) == b->type &&
	     !((flags & P2M_ITER_ZERO_ABNORMAL) && leaf->e[i] == 0))) {
		b->end = limit;
		return;
	}
	for (i++; base + i < limit && entry_type(p, flags, base + i, leaf->e[i]) == b->type; i++)
		;
	b->end = base + i;
}

void p2m_iter_init(struct p2m_iter *it, const struct p2m *p, uint64_t start, uint64_t end,
		   unsigned int flags)
{
	uint64_t cap = p2m_capacity(p);

	it->p2m = p;
	it->end = end < cap ? end : cap;
	it->pfn = start < it->end ? start : it->end;
	it->flags = flags;
	it->have_pending = false;
}

static bool same_run(const struct p2m_iter *it, const struct block *b)
{
	if (b->type != it->pending.type)
		return false;
	return !(it->flags & P2M_ITER_SPLIT_LEVELS) || b->level == it->pending.level;
}

bool p2m_iter_next(struct p2m_iter *it, struct p2m_run *run)
{
	struct block b;

	while (it->pfn < it->end) {
		block_at(it->p2m, it->flags, it->pfn, it->end, &b);
		if (b.end > it->end)
			b.end = it->end;
		if (it->have_pending && !same_run(it, &b)) {
			*run = it->pending;
			it->pending = (struct p2m_run){ it->pfn, b.end, b.type, b.level };
			it->pfn = b.end;
			return true;
		}
		if (!it->have_pending) {
			it->pending = (struct p2m_run){ it->pfn, b.end, b.type, b.level };
			it->have_pending = true;
		}
		it->pending.end = b.end;
		it->pfn = b.end;
	}
	if (!it->have_pending)
		return false;
	*run = it->pending;
	it->have_pending = false;
	return true;
}
