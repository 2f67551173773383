/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-frames.c - machine frames of the in-memory Xen: the free and the
 * owned extent maps (sim-internal.h), allocation from the top of free
 * memory and release back into it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

/* --- the free map ---------------------------------------------------------------- */

/* Return [start, end) to the free map, merging with its neighbours. */
int sim_free_add(struct hv_sim *s, uint64_t start, uint64_t end)
{
	struct xm_node *prev = xm_find_lt(&s->free, start);
	struct xm_node *next = xm_find_ge(&s->free, start);

	if (prev && prev->end == start) {
		prev->end = end;
		if (next && next->start == end) {
			prev->end = next->end;
			xm_node_free(&s->free, xm_remove(&s->free, next->start));
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
int sim_free_take(struct hv_sim *s, uint64_t start, uint64_t end)
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
		xm_node_free(&s->free, xm_remove(&s->free, n->start));
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

/* Merge @n with the neighbours it continues; returns the surviving node. */
struct xm_node *sim_own_coalesce(struct hv_sim *s, struct xm_node *n)
{
	struct xm_node *prev = xm_prev(&s->owned, n);
	struct xm_node *next;

	if (prev && own_mergeable(prev, n)) {
		prev->end = n->end;
		xm_node_free(&s->owned, xm_remove(&s->owned, n->start));
		n = prev;
	}
	next = xm_next(&s->owned, n);
	if (next && own_mergeable(n, next)) {
		n->end = next->end;
		xm_node_free(&s->owned, xm_remove(&s->owned, next->start));
	}
	return n;
}

int sim_own_insert(struct hv_sim *s, uint64_t start, uint64_t end, uint32_t owner, uint64_t m2p)
{
	struct xm_node *n = xm_node_new(&s->owned, start, end, owner, m2p);

	if (!n)
		return sim_oom(s);
	xm_insert(&s->owned, n);
	sim_own_coalesce(s, n);
	return 0;
}

/* Make @x the start of an extent if it lies inside one. */
int sim_own_split(struct hv_sim *s, uint64_t x)
{
	struct xm_node *n = xm_lookup(&s->owned, x);
	struct xm_node *tail;

	if (!n || n->start == x)
		return 0;
	tail = xm_node_new(&s->owned, x, n->end, n->owner, sim_node_m2p(n, x));
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
int sim_frames_alloc(struct hv_sim *s, unsigned int order, uint32_t owner, uint64_t m2p,
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
	rc = sim_free_take(s, a, a + n);
	if (rc < 0) {
		xm_node_free(&s->owned, node);
		return rc;
	}
	xm_insert(&s->owned, node);
	sim_own_coalesce(s, node);
	if (s->free_limit != UINT64_MAX)
		s->free_limit -= n;
	*mfn = a;
	return 0;
}

/* Take [start, end) (owned, in any extents) back into free memory. */
int sim_frames_release(struct hv_sim *s, uint64_t start, uint64_t end)
{
	int rc = sim_own_split(s, start);

	if (rc == 0)
		rc = sim_own_split(s, end);
	if (rc < 0)
		return rc;
	rc = sim_free_add(s, start, end);
	if (rc < 0)
		return rc;
	for (struct xm_node *n = xm_find_ge(&s->owned, start); n && n->start < end;
	     n = xm_find_ge(&s->owned, start))
		xm_node_free(&s->owned, xm_remove(&s->owned, n->start));
	sim_page_drop_range(s, start, end);
	if (s->free_limit != UINT64_MAX)
		s->free_limit += end - start;
	return 0;
}
