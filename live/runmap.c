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
 * same value).  The map keeps the runs in key order in one array; a
 * lookup is a binary search, a change splits at most two runs and merges
 * the new one with its neighbours when it continues them, so memory and
 * time follow the runs, not the frames.  Changes come in the order the
 * runs were handed out, mostly next to an existing run: an insertion
 * that does not merge shifts the array after it, which stays cheap as
 * long as the runs are few.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "live/live-internal.h"

void live_runmap_init(struct live_runmap *m)
{
	memset(m, 0, sizeof(*m));
}

void live_runmap_free(struct live_runmap *m)
{
	free(m->r);
	live_runmap_init(m);
}

uint64_t live_run_at(const struct live_run *r, uint64_t key)
{
	uint64_t d = key - r->start;

	return r->step > 0 ? r->val + d : r->step < 0 ? r->val - d : r->val;
}

/* The first run ending after @key (m->n if none). */
static size_t first_after(const struct live_runmap *m, uint64_t key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->r[mid].end > key)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

bool live_runmap_find(const struct live_runmap *m, uint64_t key, struct live_run *out)
{
	size_t i = first_after(m, key);

	if (i < m->n && m->r[i].start <= key) {
		*out = m->r[i];
		return true;
	}
	out->start = i ? m->r[i - 1].end : 0;
	out->end = i < m->n ? m->r[i].start : UINT64_MAX;
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

static int insert_at(struct live_runmap *m, size_t i, const struct live_run *r)
{
	if (m->n == m->alloc) {
		size_t a = m->alloc ? 2 * m->alloc : 64;
		struct live_run *nr = realloc(m->r, a * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		m->r = nr;
		m->alloc = a;
	}
	memmove(m->r + i + 1, m->r + i, (m->n - i) * sizeof(*m->r));
	m->r[i] = *r;
	m->n++;
	return 0;
}

static void remove_at(struct live_runmap *m, size_t i, size_t n)
{
	memmove(m->r + i, m->r + i + n, (m->n - i - n) * sizeof(*m->r));
	m->n -= n;
}

int live_runmap_clear(struct live_runmap *m, uint64_t start, uint64_t end)
{
	size_t i, j;

	if (start >= end)
		return 0;
	i = first_after(m, start);
	if (i < m->n && m->r[i].start < start) {
		struct live_run *r = &m->r[i];

		if (r->end > end) {
			/* [start, end) inside one run: it splits in two */
			struct live_run right = *r;

			right.start = end;
			right.val = live_run_at(r, end);
			r->end = start;
			return insert_at(m, i + 1, &right);
		}
		r->end = start;
		i++;
	}
	for (j = i; j < m->n && m->r[j].end <= end; j++)
		;
	if (j < m->n && m->r[j].start < end) {
		m->r[j].val = live_run_at(&m->r[j], end);
		m->r[j].start = end;
	}
	remove_at(m, i, j - i);
	return 0;
}

int live_runmap_set(struct live_runmap *m, const struct live_run *run)
{
	struct live_run r = *run;
	bool left, right;
	int ls = 0, rs = 0, rc;
	size_t i;

	if (r.start >= r.end)
		return 0;
	if (r.end - r.start == 1)
		r.step = 0;
	rc = live_runmap_clear(m, r.start, r.end);
	if (rc < 0)
		return rc;
	i = first_after(m, r.start);
	left = i > 0 && live_run_continues(&m->r[i - 1], &r, &ls);
	right = i < m->n && live_run_continues(&r, &m->r[i], &rs);
	if (left && right) {
		/* both neighbours and the new run must agree on one step */
		struct live_run joined = m->r[i - 1];

		joined.end = r.end;
		joined.step = ls;
		right = live_run_continues(&joined, &m->r[i], &rs);
	}
	if (left) {
		m->r[i - 1].end = r.end;
		m->r[i - 1].step = ls;
		if (right) {
			m->r[i - 1].end = m->r[i].end;
			m->r[i - 1].step = rs;
			remove_at(m, i, 1);
		}
		return 0;
	}
	if (right) {
		m->r[i].start = r.start;
		m->r[i].val = r.val;
		m->r[i].step = rs;
		return 0;
	}
	return insert_at(m, i, &r);
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
