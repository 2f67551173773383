/* SPDX-License-Identifier: MIT */
/*
 * p2m/p2m-internal.h - the engine's data structures and index helpers,
 * shared by the engine's files (tree, iteration, mirror, checks) and the
 * tests.  The design comment at the top of p2m/p2m.c explains them.
 */
#ifndef P2MSIM_P2M_INTERNAL_H
#define P2MSIM_P2M_INTERNAL_H

#include <stddef.h>

#include "p2m/p2m.h"

#define P2M_MAGIC_LEAF	0x4c454146u	/* "LEAF" */
#define P2M_MAGIC_MID	0x4d494444u	/* "MIDD" */
#define P2M_MAGIC_DEAD	0xdeaddeadu

/*
 * A leaf page: 1 << leaf_shift frame values.  Private leaves keep two
 * counters so that "is this leaf uniform?" costs nothing: how many entries
 * are INVALID and how many are IDENTITY_FRAME of their own pfn.
 */
struct p2m_leaf {
	uint32_t magic;
	uint8_t shared;			/* one of the shared leaves */
	uint8_t src;			/* enum p2m_src (private pages) */
	uint32_t nr_missing;
	uint32_t nr_identity;
	uint64_t base;			/* first pfn (private leaves) */
	uint64_t mfn;			/* machine frame of this page */
	uint64_t e[];
};

/*
 * A mid page: 1 << mid_shift leaf pointers.  Counters say how many slots
 * point at the shared missing and identity leaves.  @mirror is the mid_mfn
 * page of the MFN mirror (the toolstack's view of this mid), present for
 * private mids inside the mirror's span.
 */
struct p2m_mid {
	uint32_t magic;
	uint8_t shared;
	uint8_t src;
	uint8_t mirror_src;
	uint32_t nr_missing;
	uint32_t nr_identity;
	uint64_t base;
	uint64_t mfn;
	uint64_t *mirror;
	uint64_t mirror_mfn;
	struct p2m_leaf *slot[];
};

/* What a machine frame of ours holds, for p2m_read_frame(). */
enum p2m_frame_kind {
	P2M_FRAME_LEAF,			/* leaf page (private or shared) */
	P2M_FRAME_MID_MFN,		/* a private mid's mid_mfn page */
	P2M_FRAME_TOP_MFN,		/* p2m_top_mfn */
	P2M_FRAME_MID_MISSING_MFN,	/* p2m_mid_missing_mfn */
	P2M_FRAME_OTHER,		/* mids, top pages, top_mfn_p: not readable */
};

struct p2m_frame_slot {
	uint64_t mfn;			/* 0 = empty slot */
	enum p2m_frame_kind kind;
	const void *page;
};

/* Open-addressing map mfn -> page (linear probing, backward-shift delete). */
struct p2m_frame_map {
	struct p2m_frame_slot *slots;
	size_t nr, mask;
};

struct p2m {
	struct p2m_config cfg;
	const struct p2m_geometry *g;
	unsigned int per_leaf, per_mid, per_top;
	unsigned int mid_span_shift;	/* log2 pfns under one mid */
	uint64_t nr_top;		/* top entries */
	unsigned int top_pages;
	struct p2m_mid **top;
	uint64_t *top_mfns;		/* machine frames of the top pages */

	/* Shared read-only pages: compared by address, never written. */
	struct p2m_leaf *missing;
	struct p2m_leaf *identity;
	struct p2m_mid *mid_missing;
	struct p2m_mid *mid_identity;	/* NULL without the 3.14+ policy */

	/* MFN mirror roots. */
	uint64_t mirror_entries;	/* top slots the mirror covers */
	uint64_t *top_mfn;		/* p2m_top_mfn page */
	uint64_t top_mfn_mfn;
	uint64_t top_mfn_p_mfn;		/* p2m_top_mfn_p (virtual, accounted) */
	uint64_t *mid_missing_mfn;	/* p2m_mid_missing_mfn page */
	uint64_t mid_missing_mfn_mfn;

	/* Accounting. */
	enum p2m_src cur_src;
	uint64_t nr_leaf[P2M_NR_SRCS];
	uint64_t nr_mid[P2M_NR_SRCS];
	uint64_t nr_mirror[P2M_NR_SRCS];
	uint64_t nr_top_src[P2M_NR_SRCS];
	uint64_t nr_shared;
	uint64_t brk_used;
	uint64_t allocs, frees;
	uint64_t next_synthetic_mfn;

	struct p2m_frame_map frames;
};

/* --- index helpers: nothing else divides a pfn ------------------------- */
static inline uint64_t p2m_top_index(const struct p2m *p, uint64_t pfn)
{
	return pfn >> p->mid_span_shift;
}

static inline unsigned int p2m_mid_index(const struct p2m *p, uint64_t pfn)
{
	return (pfn >> p->g->leaf_shift) & (p->per_mid - 1);
}

static inline unsigned int p2m_index(const struct p2m *p, uint64_t pfn)
{
	return pfn & (p->per_leaf - 1);
}

static inline uint64_t p2m_mid_base(const struct p2m *p, uint64_t topidx)
{
	return topidx << p->mid_span_shift;
}

static inline uint64_t p2m_leaf_base(const struct p2m *p, uint64_t topidx, unsigned int mididx)
{
	return p2m_mid_base(p, topidx) + ((uint64_t)mididx << p->g->leaf_shift);
}

static inline uint64_t p2m_mid_span(const struct p2m *p)
{
	return 1ULL << p->mid_span_shift;
}

static inline bool p2m_mid_is_shared(const struct p2m_mid *mid)
{
	return mid->shared;
}

static inline bool p2m_leaf_is_shared(const struct p2m_leaf *leaf)
{
	return leaf->shared;
}

static inline bool p2m_is_identity_value(const struct p2m *p, uint64_t pfn, uint64_t v)
{
	return v == p2m_identity_frame(p->g, pfn);
}

/* --- page life cycle (p2m.c) --------------------------------------------- */
int p2m_page_frame(struct p2m *p, uint64_t *mfn, struct p2msim_err *err);
int p2m_charge(struct p2m *p, enum p2m_src src, struct p2msim_err *err);
void p2m_uncharge(struct p2m *p, enum p2m_src src, uint64_t mfn);

/* --- mirror (mirror.c) -------------------------------------------------- */
int p2m_mirror_init(struct p2m *p, struct p2msim_err *err);
void p2m_mirror_fini(struct p2m *p);
int p2m_mirror_attach(struct p2m *p, struct p2m_mid *mid, struct p2msim_err *err);
void p2m_mirror_detach(struct p2m *p, struct p2m_mid *mid);
void p2m_mirror_set_slot(struct p2m *p, struct p2m_mid *mid, unsigned int mididx);
void p2m_mirror_set_top(struct p2m *p, uint64_t topidx);

/* --- frame map (mirror.c) ------------------------------------------------ */
int p2m_frames_add(struct p2m *p, uint64_t mfn, enum p2m_frame_kind kind, const void *page);
void p2m_frames_del(struct p2m *p, uint64_t mfn);
const struct p2m_frame_slot *p2m_frames_find(const struct p2m *p, uint64_t mfn);

/* --- uniformity, shared by compaction, stats and checks ------------------ */
/* The shared leaf a private leaf could be replaced with, or NULL. */
struct p2m_leaf *p2m_leaf_uniform(const struct p2m *p, const struct p2m_leaf *leaf);
/* The shared mid a private mid could be replaced with, or NULL. */
struct p2m_mid *p2m_mid_uniform(const struct p2m *p, const struct p2m_mid *mid);

#endif
