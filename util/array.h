/* SPDX-License-Identifier: MIT */
/*
 * util/array.h - room in a growable array.
 *
 * The arrays of runs, extents and frames that grow one item at a time all
 * double the same way: array_room() returns the array with room for @need
 * items (64 at first, then twice as many), or NULL when that does not fit
 * in memory, the old array being left as it was.
 */
#ifndef P2MSIM_UTIL_ARRAY_H
#define P2MSIM_UTIL_ARRAY_H

#include <stdint.h>
#include <stdlib.h>

static inline void *array_room(void *items, size_t *alloc, size_t need, size_t size)
{
	size_t a = *alloc ? *alloc : 64;
	void *p;

	if (need <= *alloc)
		return items;
	while (a < need) {
		if (a > SIZE_MAX / 2 / size)
			return NULL;
		a *= 2;
	}
	p = realloc(items, a * size);
	if (p)
		*alloc = a;
	return p;
}

#endif
