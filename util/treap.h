/* SPDX-License-Identifier: MIT */
/*
 * util/treap.h - split and merge of a treap, for any node type.
 *
 * A treap is a search tree on a key and, at the same time, a heap on a
 * pseudo-random priority: balanced in expectation, whatever order the
 * keys come in.  Every operation on one is built from two:
 *
 *   split(t, k)  the nodes of t with key < k, and the others, as two treaps
 *   merge(a, b)  one treap of two, every key of a below every key of b
 *
 * The in-memory Xen's extent maps and live's run maps are treaps of their
 * own node types.  TREAP_SPLIT_MERGE(prefix, type, key) gives such a type
 * prefix_split() and prefix_merge(): the type has members l and r (its
 * children, type *) and prio (uint32_t), and key is the member (or member
 * path) holding its uint64_t key.
 */
#ifndef P2MSIM_UTIL_TREAP_H
#define P2MSIM_UTIL_TREAP_H

#include <stdint.h>

#define TREAP_SPLIT_MERGE(prefix, type, key)                                       \
	static inline void prefix##_split(type *t, uint64_t k, type **a, type **b) \
	{                                                                          \
		if (!t) {                                                          \
			*a = *b = NULL;                                            \
		} else if (t->key < k) {                                           \
			prefix##_split(t->r, k, &t->r, b);                         \
			*a = t;                                                    \
		} else {                                                           \
			prefix##_split(t->l, k, a, &t->l);                         \
			*b = t;                                                    \
		}                                                                  \
	}                                                                          \
                                                                                   \
	static inline type *prefix##_merge(type *a, type *b)                       \
	{                                                                          \
		if (!a)                                                            \
			return b;                                                  \
		if (!b)                                                            \
			return a;                                                  \
		if (a->prio > b->prio) {                                           \
			a->r = prefix##_merge(a->r, b);                            \
			return a;                                                  \
		}                                                                  \
		b->l = prefix##_merge(a, b->l);                                    \
		return b;                                                          \
	}

#endif
