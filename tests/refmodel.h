/* SPDX-License-Identifier: MIT */
/*
 * tests/refmodel.h - the simplest P2M that can be right: a sorted array of
 * intervals, each holding one kind of value.  The differential test checks
 * the engine against it.
 */
#ifndef P2MSIM_TESTS_REFMODEL_H
#define P2MSIM_TESTS_REFMODEL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum ref_kind {
	REF_MISSING,
	REF_IDENTITY,
	REF_LINEAR, /* value = v + (pfn - start) */
};

struct ref_ival {
	uint64_t start, end;
	enum ref_kind kind;
	uint64_t v;
};

struct ref_map {
	struct ref_ival *iv;
	size_t nr, alloc;
	uint64_t size;
};

static inline int ref_init(struct ref_map *r, uint64_t size)
{
	r->alloc = 1024;
	r->iv = malloc(r->alloc * sizeof(*r->iv));
	if (!r->iv)
		return -1;
	r->nr = 1;
	r->iv[0] = (struct ref_ival){ 0, size, REF_MISSING, 0 };
	r->size = size;
	return 0;
}

static inline void ref_fini(struct ref_map *r)
{
	free(r->iv);
}

/* Index of the interval containing pfn. */
static inline size_t ref_find(const struct ref_map *r, uint64_t pfn)
{
	size_t lo = 0, hi = r->nr;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r->iv[mid].start <= pfn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static inline int ref_reserve(struct ref_map *r, size_t extra)
{
	if (r->nr + extra <= r->alloc)
		return 0;
	while (r->nr + extra > r->alloc)
		r->alloc *= 2;
	r->iv = realloc(r->iv, r->alloc * sizeof(*r->iv));
	return r->iv ? 0 : -1;
}

/* Make pfn the start of an interval. */
static inline void ref_split(struct ref_map *r, uint64_t pfn)
{
	size_t i;
	struct ref_ival *a;

	if (pfn >= r->size)
		return;
	i = ref_find(r, pfn);
	a = &r->iv[i];
	if (a->start == pfn)
		return;
	memmove(&r->iv[i + 2], &r->iv[i + 1], (r->nr - i - 1) * sizeof(*r->iv));
	r->iv[i + 1] = *a;
	r->iv[i + 1].start = pfn;
	if (a->kind == REF_LINEAR)
		r->iv[i + 1].v = a->v + (pfn - a->start);
	a->end = pfn;
	r->nr++;
}

static inline int ref_assign(struct ref_map *r, uint64_t s, uint64_t e, enum ref_kind kind,
			     uint64_t v)
{
	size_t i, j;

	if (s >= e)
		return 0;
	if (ref_reserve(r, 3) < 0)
		return -1;
	ref_split(r, s);
	ref_split(r, e);
	i = ref_find(r, s);
	j = e >= r->size ? r->nr : ref_find(r, e);
	r->iv[i] = (struct ref_ival){ s, e, kind, v };
	memmove(&r->iv[i + 1], &r->iv[j], (r->nr - j) * sizeof(*r->iv));
	r->nr -= j - i - 1;
	return 0;
}

#endif
