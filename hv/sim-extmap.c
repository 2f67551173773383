/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-extmap.c - an ordered map of frame extents (a treap).
 *
 * Keys are extent starts.  The tree is a binary search tree on the key and
 * a heap on a pseudo-random priority, which keeps it balanced in
 * expectation without rotations bookkeeping: insertion goes down to where
 * the new node's priority belongs and splits that subtree at its key;
 * removal merges the node's children.  The priorities come from a per-map xorshift generator with a
 * fixed seed, so runs are reproducible.  Recursion depth is the tree
 * height, O(log n) in expectation.
 */
#include <stdlib.h>

#include "hv/sim-internal.h"
#include "util/treap.h"

static uint32_t xm_rand(struct xm *m)
{
	uint64_t x = m->seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	m->seed = x;
	return (uint32_t)(x >> 32);
}

void xm_init(struct xm *m, uint64_t seed)
{
	m->root = NULL;
	m->head = m->tail = m->hint = NULL;
	m->spare = NULL;
	m->blocks = NULL;
	m->nr_blocks = m->block_used = 0;
	m->count = 0;
	m->seed = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

#define XM_BLOCK 256

void xm_fini(struct xm *m)
{
	for (size_t i = 0; i < m->nr_blocks; i++)
		free(m->blocks[i]);
	free(m->blocks);
	m->blocks = NULL;
	m->nr_blocks = m->block_used = 0;
	m->spare = NULL;
	m->root = NULL;
	m->head = m->tail = m->hint = NULL;
	m->count = 0;
}

struct xm_node *xm_node_new(struct xm *m, uint64_t start, uint64_t end, uint32_t owner,
			    uint64_t m2p)
{
	struct xm_node *n = m->spare;

	if (n) {
		m->spare = n->r;
	} else {
		/* a block at a time: a 16 TiB dom0's Xen holds 16 thousand
		 * extents */
		if (!m->nr_blocks || m->block_used == XM_BLOCK) {
			void **blocks = realloc(m->blocks, (m->nr_blocks + 1) * sizeof(*blocks));

			if (!blocks)
				return NULL;
			m->blocks = blocks;
			blocks[m->nr_blocks] = malloc(XM_BLOCK * sizeof(*n));
			if (!blocks[m->nr_blocks])
				return NULL;
			m->nr_blocks++;
			m->block_used = 0;
		}
		n = (struct xm_node *)m->blocks[m->nr_blocks - 1] + m->block_used++;
	}
	n->start = start;
	n->end = end;
	n->owner = owner;
	n->m2p = m2p;
	n->prio = xm_rand(m);
	n->l = n->r = NULL;
	n->prev = n->next = NULL;
	return n;
}

void xm_node_free(struct xm *m, struct xm_node *n)
{
	if (!n)
		return;
	n->r = m->spare;
	m->spare = n;
}

/* split() and merge(), which everything below is built from */
TREAP_SPLIT_MERGE(xm, struct xm_node, start)

/* The node before key @start, for a node about to be inserted there:
 * extents mostly arrive at either end of the map. */
static struct xm_node *insert_prev(const struct xm *m, uint64_t start)
{
	if (!m->head || start < m->head->start)
		return NULL;
	if (start > m->tail->start)
		return m->tail;
	return xm_find_lt(m, start);
}

void xm_insert(struct xm *m, struct xm_node *n)
{
	struct xm_node **link = &m->root, *prev = insert_prev(m, n->start);

	n->prev = prev;
	n->next = prev ? prev->next : m->head;
	if (n->prev)
		n->prev->next = n;
	else
		m->head = n;
	if (n->next)
		n->next->prev = n;
	else
		m->tail = n;
	/* down to where n's priority belongs, then split what hangs there
	 * around n's key */
	while (*link && (*link)->prio > n->prio)
		link = n->start < (*link)->start ? &(*link)->l : &(*link)->r;
	xm_split(*link, n->start, &n->l, &n->r);
	*link = n;
	m->count++;
}

struct xm_node *xm_remove(struct xm *m, uint64_t start)
{
	struct xm_node **link = &m->root;

	while (*link) {
		struct xm_node *n = *link;

		if (start < n->start) {
			link = &n->l;
		} else if (start > n->start) {
			link = &n->r;
		} else {
			*link = xm_merge(n->l, n->r);
			n->l = n->r = NULL;
			if (n->prev)
				n->prev->next = n->next;
			else
				m->head = n->next;
			if (n->next)
				n->next->prev = n->prev;
			else
				m->tail = n->prev;
			n->prev = n->next = NULL;
			if (m->hint == n)
				m->hint = NULL;
			m->count--;
			return n;
		}
	}
	return NULL;
}

struct xm_node *xm_find_le(const struct xm *m, uint64_t key)
{
	struct xm_node *n = m->root, *best = NULL;

	while (n) {
		if (n->start <= key) {
			best = n;
			n = n->r;
		} else {
			n = n->l;
		}
	}
	return best;
}

struct xm_node *xm_find_lt(const struct xm *m, uint64_t key)
{
	return key ? xm_find_le(m, key - 1) : NULL;
}

struct xm_node *xm_find_ge(const struct xm *m, uint64_t key)
{
	struct xm_node *n = m->root, *best = NULL;

	while (n) {
		if (n->start >= key) {
			best = n;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

struct xm_node *xm_last(const struct xm *m)
{
	return m->tail;
}

struct xm_node *xm_lookup(const struct xm *m, uint64_t key)
{
	struct xm_node *h = m->hint, *n = NULL;

	/* the hint is a cache, not the map's content: it may change under a
	 * const map */
	if (h && h->start <= key) {
		if (key < h->end)
			return h;
		if (!h->next || key < h->next->start)
			return NULL;
		if (key < h->next->end)
			n = h->next;
	} else if (h && h->prev && h->prev->start <= key) {
		if (key >= h->prev->end)
			return NULL;
		n = h->prev;
	}
	if (!n) {
		n = xm_find_le(m, key);
		if (!n || key >= n->end)
			return NULL;
	}
	((struct xm *)(uintptr_t)m)->hint = n;
	return n;
}
