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

#define P2M_MAGIC_LEAF 0x4c454146u /* "LEAF" */
#define P2M_MAGIC_MID 0x4d494444u  /* "MIDD" */
#define P2M_MAGIC_DEAD 0xdeaddeadu

/*
 * The header of a leaf page.  The page itself, e[], holds 1 << leaf_shift
 * frame values and lives in an arena chunk (arena.c) whose header table
 * holds this struct.  Private leaves keep three counters so that "is this
 * leaf uniform?" and "is it linear?" cost nothing: how many entries are
 * INVALID, how many are IDENTITY_FRAME of their own pfn, and how many
 * entries do not continue the one before (e[i] != e[i - 1] + 1).
 */
struct p2m_leaf {
	uint32_t magic;
	uint8_t shared; /* one of the shared leaves (or the
					 * implicit-leaf marker) */
	uint8_t src;	/* enum p2m_src (private pages) */
	uint32_t nr_missing;
	uint32_t nr_identity;
	uint32_t nr_breaks;
	uint64_t base; /* first pfn (private leaves) */
	uint64_t mfn;  /* machine frame of this page */
	uint64_t *e;   /* the page */
};

#define P2M_CHUNK_SIZE (2u << 20)

/* A 2 MiB arena chunk: this table, then the leaf pages. */
struct p2m_chunk {
	unsigned int slot_shift; /* log2 bytes per leaf page */
	struct p2m_leaf hdr[];	 /* hdr[i] describes slot i */
};

struct p2m_arena {
	void **chunks;
	size_t nr_chunks, alloc_chunks;
	struct p2m_chunk *cur;
	unsigned int next_slot, nr_slots;
	struct p2m_leaf *free; /* freed leaves, linked through e[0] */

	/* headers of mids kept as segments (they have no slots[]) */
	struct p2m_mid **mid_blocks;
	size_t nr_mid_blocks, alloc_mid_blocks;
	unsigned int mid_next;	  /* next unused header of the last block */
	struct p2m_mid *mid_free; /* freed headers, linked through mirror */
};

/*
 * A mid page: 1 << mid_shift leaf pointers.  Counters say how many slots
 * point at the shared missing and identity leaves.  @mirror is the mid_mfn
 * page of the MFN mirror (the toolstack's view of this mid), present for
 * private mids inside the mirror's span.
 *
 * slots[] is followed by two arrays for implicit leaves (p2m_mid_lin(),
 * p2m_mid_lsrc()): where slot m points at the linear marker, lin[m] is the
 * value of the leaf's first pfn and lsrc[m] the source it was charged to.
 */
/*
 * A private mid whose every slot is an implicit leaf or a shared leaf can
 * be kept as a few segments of slots instead of a page of pointers: slots
 * [start, next segment's start) are all of one kind.  A linear segment's
 * leaves continue each other (leaf k of it starts at v0 + k * 512), all
 * charged to @src.  @mirror_missing says the mirror shows mfn(p2m_missing)
 * for the slots (always for missing ones; for identity ones until the
 * mirror is rebuilt, doc/design-p2m.md#mirror).
 */
#define P2M_MAX_SEGS 4

enum p2m_seg_kind {
	P2M_SEG_LINEAR,
	P2M_SEG_MISSING,
	P2M_SEG_IDENTITY,
	/* private leaves whose every entry is INVALID (a range the balloon
	 * took out): charged to @src, at their places' frames, kept private
	 * as the kernel keeps them; they become pages of values when the mid
	 * gets its page of slots */
	P2M_SEG_EMPTY,
};

struct p2m_seg {
	uint64_t v0;	/* linear: the value of its first pfn */
	uint16_t start; /* first slot */
	uint8_t kind;	/* enum p2m_seg_kind */
	uint8_t src;	/* linear: the leaves' source */
	uint8_t mirror_missing;
};

struct p2m_mid {
	uint32_t magic;
	uint8_t shared;
	uint8_t src;
	uint8_t mirror_src;
	uint8_t nr_segs;    /* > 0: kept as segs[], no slots[] */
	uint8_t seg_mirror; /* segments: a mid_mfn page stands behind
					 * mirror_mfn (its values are computed) */
	uint8_t pooled;	    /* a header from the pool (arena.c) */
	struct p2m_seg segs[P2M_MAX_SEGS];
	uint32_t nr_missing;
	uint32_t nr_identity;
	uint64_t base;
	uint64_t mfn;
	uint64_t *mirror;
	uint64_t mirror_mfn;
	uint64_t *slots[]; /* each the e[] of a leaf, as the kernel's */
};

/* What a machine frame of ours holds, for p2m_read_frame(). */
enum p2m_frame_kind {
	P2M_FRAME_LEAF,		   /* leaf page (private or shared) */
	P2M_FRAME_MID_MFN,	   /* a private mid's mid_mfn page */
	P2M_FRAME_SEG_MID_MFN,	   /* the mid_mfn page of a mid kept as
					 * segments: page is the mid */
	P2M_FRAME_TOP_MFN,	   /* p2m_top_mfn */
	P2M_FRAME_MID_MISSING_MFN, /* p2m_mid_missing_mfn */
	P2M_FRAME_OTHER,	   /* mids, top pages, top_mfn_p: not readable */
};

struct p2m_frame_slot {
	uint64_t mfn; /* 0 = empty slot */
	enum p2m_frame_kind kind;
	const void *page;
};

/* Open-addressing map mfn -> page (linear probing, backward-shift delete). */
struct p2m_frame_map {
	struct p2m_frame_slot *slots;
	size_t nr, mask;
};

/*
 * top[t] is a mid's slots[] and slots[m] a leaf's e[], so that a lookup is
 * v.top[t][m][i] as in the kernel; the page headers sit just before those
 * arrays (p2m_top_mid, p2m_slot_leaf).
 */
struct p2m {
	struct p2m_view v; /* first: the inline lookup reads it */
	struct p2m_config cfg;
	const struct p2m_geometry *g;
	unsigned int per_leaf, per_mid, per_top;
	unsigned int top_pages;
	uint64_t *top_mfns; /* machine frames of the top pages */

	/* Shared read-only pages: compared by address, never written. */
	struct p2m_leaf *missing;
	struct p2m_leaf *identity;
	/* Not a page: the marker implicit leaves point at (p2m.c). */
	struct p2m_leaf *linear;
	bool implicit;		     /* implicit leaves may be formed */
	bool leaf_frames_positional; /* leaf page frames follow from their
					 * place (no frame ops): see p2m.c */
	uint64_t leaf_frame_base;    /* frame of the leaf page of pfn 0 */
	uint64_t nr_implicit;	     /* private leaves kept implicit */
	struct p2m_mid *mid_missing;
	struct p2m_mid *mid_identity; /* NULL without the 3.14+ policy */

	/* MFN mirror roots. */
	uint64_t mirror_entries; /* top slots the mirror covers */
	uint64_t *top_mfn;	 /* p2m_top_mfn page */
	uint64_t top_mfn_mfn;
	uint64_t top_mfn_p_mfn;	   /* p2m_top_mfn_p (virtual, accounted) */
	uint64_t *mid_missing_mfn; /* p2m_mid_missing_mfn page */
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
	struct p2m_arena arena;
};

/* --- index helpers: nothing else divides a pfn ------------------------- */
static inline uint64_t p2m_top_index(const struct p2m *p, uint64_t pfn)
{
	return pfn >> p->v.mid_span_shift;
}

static inline unsigned int p2m_mid_index(const struct p2m *p, uint64_t pfn)
{
	return (pfn >> p->v.leaf_shift) & p->v.mid_mask;
}

static inline unsigned int p2m_index(const struct p2m *p, uint64_t pfn)
{
	return pfn & p->v.leaf_mask;
}

static inline uint64_t p2m_mid_base(const struct p2m *p, uint64_t topidx)
{
	return topidx << p->v.mid_span_shift;
}

static inline uint64_t p2m_leaf_base(const struct p2m *p, uint64_t topidx, unsigned int mididx)
{
	return p2m_mid_base(p, topidx) + ((uint64_t)mididx << p->v.leaf_shift);
}

static inline uint64_t p2m_mid_span(const struct p2m *p)
{
	return 1ULL << p->v.mid_span_shift;
}

/* --- from the arrays the tree links to back to their page headers ------- */
#define p2m_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* The header of the leaf page at @e: chunks are 2 MiB aligned and begin
 * with the table of their leaves' headers. */
static inline struct p2m_leaf *p2m_leaf_of(const uint64_t *e)
{
	uintptr_t at = (uintptr_t)e;
	struct p2m_chunk *chunk = (struct p2m_chunk *)(at & ~((uintptr_t)P2M_CHUNK_SIZE - 1));

	return &chunk->hdr[(at - (uintptr_t)chunk) >> chunk->slot_shift];
}

static inline struct p2m_mid *p2m_mid_of(uint64_t *const *slots)
{
	return p2m_container_of(slots, struct p2m_mid, slots);
}

/* A top slot holds a mid's slots[], or, for a mid kept as segments, the
 * mid itself with the lowest bit set (the lookup's cue to ask p2m_get). */
static inline struct p2m_mid *p2m_top_mid(const struct p2m *p, uint64_t topidx)
{
	uintptr_t at = (uintptr_t)p->v.top[topidx];

	if (at & 1)
		return (struct p2m_mid *)(at - 1);
	return p2m_mid_of(p->v.top[topidx]);
}

static inline bool p2m_mid_is_seg(const struct p2m_mid *mid)
{
	return mid->nr_segs != 0;
}

/* The segment holding slot @m. */
static inline unsigned int p2m_seg_of(const struct p2m_mid *mid, unsigned int m)
{
	unsigned int i = 0;

	while (i + 1 < mid->nr_segs && mid->segs[i + 1].start <= m)
		i++;
	return i;
}

/* The slot after segment @i. */
static inline unsigned int p2m_seg_end(const struct p2m *p, const struct p2m_mid *mid,
				       unsigned int i)
{
	return i + 1 < mid->nr_segs ? mid->segs[i + 1].start : 1u << p->g->mid_shift;
}

static inline bool p2m_mid_has_mirror(const struct p2m_mid *mid)
{
	return mid->mirror || mid->seg_mirror;
}

static inline struct p2m_leaf *p2m_slot_leaf(const struct p2m_mid *mid, unsigned int mididx)
{
	return p2m_leaf_of(mid->slots[mididx]);
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

/* --- implicit linear leaves --------------------------------------------- */
static inline uint64_t *p2m_mid_lin(const struct p2m *p, const struct p2m_mid *mid)
{
	return (uint64_t *)(void *)(mid->slots + p->per_mid);
}

static inline uint8_t *p2m_mid_lsrc(const struct p2m *p, const struct p2m_mid *mid)
{
	return (uint8_t *)(void *)(mid->slots + 2 * (size_t)p->per_mid);
}

static inline bool p2m_slot_is_linear(const struct p2m *p, const struct p2m_mid *mid,
				      unsigned int m)
{
	if (p2m_mid_is_seg(mid))
		return mid->segs[p2m_seg_of(mid, m)].kind == P2M_SEG_LINEAR;
	return mid->slots[m] == p->linear->e;
}

/* What slot @m points at, for mids of either form: a private leaf, a
 * shared one or the implicit-leaf marker (then its first value in *@v0). */
static inline const struct p2m_leaf *p2m_mid_slot(const struct p2m *p, const struct p2m_mid *mid,
						  unsigned int m, uint64_t *v0)
{
	if (p2m_mid_is_seg(mid)) {
		const struct p2m_seg *sg = &mid->segs[p2m_seg_of(mid, m)];

		/* (an empty leaf's values are the missing leaf's) */
		if (sg->kind == P2M_SEG_MISSING || sg->kind == P2M_SEG_EMPTY)
			return p->missing;
		if (sg->kind == P2M_SEG_IDENTITY)
			return p->identity;
		*v0 = sg->v0 + ((uint64_t)(m - sg->start) << p->g->leaf_shift);
		return p->linear;
	}
	if (mid->slots[m] == p->linear->e)
		*v0 = p2m_mid_lin(p, mid)[m];
	return p2m_slot_leaf(mid, m);
}

/* Can a leaf whose first value is @v0 be kept implicit?  Its values
 * v0 .. v0 + n - 1 must all be frames of one kind (PFN or FOREIGN): no
 * INVALID, no identity bit, no carry into a flag bit. */
static inline bool p2m_linear_base_ok(const struct p2m *p, uint64_t v0)
{
	uint64_t last = v0 + p->per_leaf - 1, flags = p->g->foreign_bit | p->g->identity_bit;

	return !(v0 & p->g->identity_bit) && last > v0 && last < p->g->invalid &&
	       (v0 & flags) == (last & flags);
}

/* The machine frame of the leaf page of pfn @leaf_base when frames are
 * positional. */
static inline uint64_t p2m_leaf_pos_mfn(const struct p2m *p, uint64_t leaf_base)
{
	return p->leaf_frame_base + (leaf_base >> p->v.leaf_shift);
}

/* Where leaf frames are positional, so are the frames of private mid
 * pages and of their mid_mfn pages: two per top slot, just below the
 * leaves' (neither needs the frame map). */
static inline uint64_t p2m_mid_pos_mfn(const struct p2m *p, uint64_t topidx)
{
	return p->leaf_frame_base - 2 * p->v.nr_top + 2 * topidx;
}

static inline uint64_t p2m_mid_mirror_pos_mfn(const struct p2m *p, uint64_t topidx)
{
	return p2m_mid_pos_mfn(p, topidx) + 1;
}

/* The machine frame of the page behind mid slot @m (shared pages too). */
static inline uint64_t p2m_slot_mfn(const struct p2m *p, const struct p2m_mid *mid, unsigned int m)
{
	if (p2m_slot_is_linear(p, mid, m))
		return p2m_leaf_pos_mfn(p, mid->base + ((uint64_t)m << p->v.leaf_shift));
	return p2m_slot_leaf(mid, m)->mfn;
}

/* What the mid_mfn page of a mid kept as segments holds for the leaf of
 * segment @sg at pfn @leaf_base. */
static inline uint64_t p2m_seg_mirror_value(const struct p2m *p, const struct p2m_seg *sg,
					    uint64_t leaf_base)
{
	if (sg->kind == P2M_SEG_LINEAR || sg->kind == P2M_SEG_EMPTY)
		return p2m_leaf_pos_mfn(p, leaf_base);
	return sg->mirror_missing ? p->missing->mfn : p->identity->mfn;
}

/* --- the leaf directory ------------------------------------------------- */
/* The directory holds at most this many entries (8 MiB): past them, 2 TiB
 * of pfns on x86-64, lookups walk the tree in p2m_get().  A guest of up
 * to P2M_DIR_MIN leaves (128 GiB) is covered whole from its first private
 * mid on. */
#define P2M_DIR_MAX (1ULL << 20)
#define P2M_DIR_MIN (1ULL << 16)

/* The directory steps by 1 << P2M_DIR_SHIFT pfns on both geometries (a
 * PAE leaf of 1024 entries has two), so that the inline lookup shifts by
 * a constant: log2 entries per leaf. */
static inline unsigned int p2m_dir_leaf_shift(const struct p2m *p)
{
	return p->g->leaf_shift - P2M_DIR_SHIFT;
}

static inline uint64_t p2m_dir_limit(const struct p2m *p)
{
	uint64_t n = (p->v.nr_top << p->g->mid_shift) << p2m_dir_leaf_shift(p);

	return n < P2M_DIR_MAX ? n : P2M_DIR_MAX;
}

/* What dir[] holds for leaf @m of top slot @t (p2m.h): 0 under a shared
 * mid; the page of a private or the missing leaf; a run for an implicit
 * leaf and for identity, whose values are pfn | IDENTITY_FRAME_BIT. */
static inline uint64_t p2m_dir_want(const struct p2m *p, uint64_t t, unsigned int m)
{
	const struct p2m_mid *mid = p2m_top_mid(p, t);
	uint64_t v0 = 0, lbase = p2m_leaf_base(p, t, m);
	const struct p2m_leaf *leaf;

	if (p2m_mid_is_shared(mid))
		return 0;
	leaf = p2m_mid_slot(p, mid, m, &v0);
	if (leaf == p->linear)
		return v0 + P2M_DIR_RUN;
	if (leaf == p->identity)
		return p2m_identity_frame(p->g, lbase) + P2M_DIR_RUN;
	return (uint64_t)(uintptr_t)leaf->e;
}

/* What dir[@k], entry @h of a leaf whose p2m_dir_want() is @want, holds:
 * biased by k so that the lookup adds the pfn without masking it (p2m.h).
 * A page whose biased address would leave the page range (it cannot on
 * x86-64 Linux, where the heap lies far above 4 GiB) is left to
 * p2m_get(). */
static inline uint64_t p2m_dir_part(uint64_t want, unsigned int h, uint64_t k)
{
	uint64_t off = ((uint64_t)h - k) << P2M_DIR_SHIFT, w;

	if (!want)
		return 0;
	if (want >= P2M_DIR_RUN)
		return want + off;
	w = want + off * sizeof(uint64_t);
	return w - 1 < P2M_DIR_PAGES - 1 ? w : 0;
}

/* --- page life cycle (p2m.c) --------------------------------------------- */
int p2m_page_frame(struct p2m *p, uint64_t *mfn, struct p2msim_err *err);
int p2m_charge(struct p2m *p, enum p2m_src src, struct p2msim_err *err);
void p2m_uncharge(struct p2m *p, enum p2m_src src, uint64_t mfn);

/* --- leaf pages (arena.c) ------------------------------------------------ */
struct p2m_leaf *p2m_arena_get(struct p2m *p);
void p2m_arena_put(struct p2m *p, struct p2m_leaf *leaf);
void p2m_arena_fini(struct p2m *p);
struct p2m_mid *p2m_seg_mid_get(struct p2m *p);
void p2m_seg_mid_put(struct p2m *p, struct p2m_mid *mid);

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
/* The page a frame already in the map now lives at (never allocates). */
void p2m_frames_repoint(struct p2m *p, uint64_t mfn, enum p2m_frame_kind kind, const void *page);

/* --- mids kept as segments (p2m.c) --------------------------------------- */
void p2m_mid_segs_merge(const struct p2m *p, struct p2m_mid *mid);

/* --- uniformity, shared by compaction, stats and checks ------------------ */
/* A private page leaf that could be kept implicit: its first value, or
 * the invalid value. */
uint64_t p2m_leaf_linear_base(const struct p2m *p, const struct p2m_leaf *leaf);
/* The shared leaf a private leaf could be replaced with, or NULL. */
struct p2m_leaf *p2m_leaf_uniform(const struct p2m *p, const struct p2m_leaf *leaf);
/* The shared mid a private mid could be replaced with, or NULL. */
struct p2m_mid *p2m_mid_uniform(const struct p2m *p, const struct p2m_mid *mid);

#endif
