/* SPDX-License-Identifier: MIT */
/*
 * live/runmap.c - a map from frames to frames that follows runs.
 *
 * Xen hands out memory in extents and its heap gives consecutive frames
 * to consecutive requests, so the pairs the replay and the scratch checks
 * keep (a model MFN and the real MFN of the same extent) are long runs:
 * key k of a run [start, end) maps to val + step * (k - start), with step
 * +1 (both ascending), -1 (one side hands out frames from the top down,
 * as Xen's heap does for single pages) or 0 (a set: every key has the
 * same value).  The map keeps the runs in a treap ordered by start (a
 * search tree on the start, a heap on a pseudo-random priority, balanced
 * in expectation): a lookup, a change and the merge of a new run with
 * its neighbours cost O(log runs) whatever order the runs come in -- Xen
 * hands single pages out from the top down, so a domain's runs are
 * mostly paired downwards -- and the memory is one node per run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "live/live-internal.h"
#include "util/treap.h"

struct live_rnode {
	struct live_run run;
	struct live_rnode *l, *r;
	uint32_t prio;
};

void live_runmap_init(struct live_runmap *m)
{
	memset(m, 0, sizeof(*m));
	m->seed = 0x9e3779b97f4a7c15ULL;
}

static void free_tree(struct live_runmap *m, struct live_rnode *t)
{
	while (t) {
		struct live_rnode *r = t->r;

		free_tree(m, t->l);
		free(t);
		m->n--;
		t = r;
	}
}

void live_runmap_free(struct live_runmap *m)
{
	free_tree(m, m->root);
	live_runmap_init(m);
}

uint64_t live_run_at(const struct live_run *r, uint64_t key)
{
	uint64_t d = key - r->start;

	return r->step > 0 ? r->val + d : r->step < 0 ? r->val - d : r->val;
}

/* split() and merge(), which everything below is built from */
TREAP_SPLIT_MERGE(rn, struct live_rnode, run.start)

static struct live_rnode *max_node(struct live_rnode *t)
{
	while (t && t->r)
		t = t->r;
	return t;
}

static struct live_rnode *min_node(struct live_rnode *t)
{
	while (t && t->l)
		t = t->l;
	return t;
}

/* @t without its last node (which the caller keeps). */
static struct live_rnode *drop_max(struct live_rnode *t)
{
	if (!t->r)
		return t->l;
	t->r = drop_max(t->r);
	return t;
}

/* @t without its first node (which the caller frees). */
static struct live_rnode *drop_min(struct live_rnode *t)
{
	if (!t->l)
		return t->r;
	t->l = drop_min(t->l);
	return t;
}

static struct live_rnode *node_new(struct live_runmap *m, const struct live_run *run)
{
	struct live_rnode *n = malloc(sizeof(*n));
	uint64_t x = m->seed;

	if (!n)
		return NULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	m->seed = x;
	n->run = *run;
	n->l = n->r = NULL;
	n->prio = (uint32_t)(x >> 32);
	m->n++;
	return n;
}

bool live_runmap_find(const struct live_runmap *m, uint64_t key, struct live_run *out)
{
	const struct live_rnode *pred = NULL, *succ = NULL;

	for (const struct live_rnode *t = m->root; t;) {
		if (t->run.start <= key) {
			pred = t;
			t = t->r;
		} else {
			succ = t;
			t = t->l;
		}
	}
	if (pred && pred->run.end > key) {
		*out = pred->run;
		return true;
	}
	out->start = pred ? pred->run.end : 0;
	out->end = succ ? succ->run.start : UINT64_MAX;
	out->val = LIVE_NO_MFN;
	out->step = 0;
	return false;
}

/*
 * Whether @b, starting where @a ends, continues it: the step from a's
 * last value to b's first is the step of both (a run of one frame takes
 * any).  *@step receives the step of the joined run.
 */
bool live_run_continues(const struct live_run *a, const struct live_run *b, int *step)
{
	int64_t d;

	if (a->end != b->start)
		return false;
	d = (int64_t)(b->val - live_run_at(a, a->end - 1));
	if (d < -1 || d > 1)
		return false;
	if (a->end - a->start > 1 && a->step != d)
		return false;
	if (b->end - b->start > 1 && b->step != d)
		return false;
	*step = (int)d;
	return true;
}

int live_runmap_clear(struct live_runmap *m, uint64_t start, uint64_t end)
{
	struct live_rnode *a, *b, *mid, *c, *p, *q;

	if (start >= end)
		return 0;
	rn_split(m->root, start, &a, &b);
	p = max_node(a);
	if (p && p->run.end > end) {
		/* [start, end) inside one run: its tail after end goes back
		 * as a run of its own, before everything in b */
		struct live_run tail = p->run;
		struct live_rnode *n;

		tail.start = end;
		tail.val = live_run_at(&p->run, end);
		n = node_new(m, &tail);
		if (!n) {
			m->root = rn_merge(a, b);
			return -ENOMEM;
		}
		p->run.end = start;
		m->root = rn_merge(a, rn_merge(n, b));
		return 0;
	}
	if (p && p->run.end > start)
		p->run.end = start;
	rn_split(b, end, &mid, &c);
	q = max_node(mid);
	if (q && q->run.end > end) {
		/* the last run cut keeps its part from end on */
		q->run.val = live_run_at(&q->run, end);
		q->run.start = end;
		mid = drop_max(mid);
		q->l = NULL;
		c = rn_merge(q, c);
	}
	free_tree(m, mid);
	m->root = rn_merge(a, c);
	return 0;
}

int live_runmap_set(struct live_runmap *m, const struct live_run *run)
{
	struct live_run r = *run;
	struct live_rnode *a, *b, *p, *q, *n;
	bool left, right;
	int ls = 0, rs = 0, rc;

	if (r.start >= r.end)
		return 0;
	if (r.end - r.start == 1)
		r.step = 0;
	rc = live_runmap_clear(m, r.start, r.end);
	if (rc < 0)
		return rc;
	rn_split(m->root, r.start, &a, &b);
	p = max_node(a);
	q = min_node(b);
	left = p && live_run_continues(&p->run, &r, &ls);
	right = q && live_run_continues(&r, &q->run, &rs);
	if (left && right) {
		/* both neighbours and the new run must agree on one step */
		struct live_run joined = p->run;

		joined.end = r.end;
		joined.step = ls;
		right = live_run_continues(&joined, &q->run, &rs);
	}
	if (left) {
		p->run.end = r.end;
		p->run.step = ls;
		if (right) {
			p->run.end = q->run.end;
			p->run.step = rs;
			b = drop_min(b);
			free(q);
			m->n--;
		}
	} else if (right) {
		/* still the first of b: nothing in a starts after r.start */
		q->run.start = r.start;
		q->run.val = r.val;
		q->run.step = rs;
	} else {
		n = node_new(m, &r);
		if (!n) {
			m->root = rn_merge(a, b);
			return -ENOMEM;
		}
		b = rn_merge(n, b);
	}
	m->root = rn_merge(a, b);
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct live_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

size_t live_runs_coalesce(struct live_run *runs, size_t n)
{
	size_t out = 0;

	if (!n)
		return 0;
	qsort(runs, n, sizeof(*runs), by_start);
	for (size_t i = 1; i < n; i++) {
		int step;

		if (live_run_continues(&runs[out], &runs[i], &step)) {
			runs[out].end = runs[i].end;
			runs[out].step = step;
		} else {
			runs[++out] = runs[i];
		}
	}
	return out + 1;
}
