/* SPDX-License-Identifier: MIT */
/*
 * p2m/p2m.h - the three-level P2M tree engine.
 *
 * A struct p2m holds one guest's pseudo-physical -> machine frame table the
 * way Linux keeps it for a Xen PV guest: a top level of mid pointers, mid
 * pages of leaf pointers, and leaf pages of frame values, with shared
 * read-only pages standing in for whole leaves or mids that are uniformly
 * "missing" or "identity".  The design comment at the top of p2m/p2m.c
 * explains the structure with a picture; this header is the contract.
 *
 * Everything is per object: two simulations can live in one process.
 * Functions that can fail return 0 or a negative errno and fill an optional
 * struct p2msim_err.  Nothing here prints or exits.
 */
#ifndef P2MSIM_P2M_H
#define P2MSIM_P2M_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

enum p2m_arch {
	P2M_ARCH_X86_64, /* 512 x 512 x 512, 64-bit frame values */
	P2M_ARCH_X86_32, /* PAE: 1024 x 1024 x 1024, 32-bit frame values */
};

/* Geometry and frame-value encoding of one architecture (doc/design-p2m.md#geometry). */
struct p2m_geometry {
	enum p2m_arch arch;
	const char *name;	 /* "x86_64" / "x86_32" */
	unsigned int leaf_shift; /* log2 entries per leaf page */
	unsigned int mid_shift;	 /* log2 leaf pointers per mid page */
	unsigned int top_shift;	 /* log2 mid pointers per top page */
	unsigned int value_bits; /* BITS_PER_LONG of the guest */
	uint64_t invalid;	 /* INVALID_P2M_ENTRY */
	uint64_t foreign_bit;	 /* FOREIGN_FRAME_BIT */
	uint64_t identity_bit;	 /* IDENTITY_FRAME_BIT */
	uint64_t max_mfn;	 /* largest MFN a value can carry */
	uint64_t pmds_per_mid;	 /* PMDS_PER_MID_PAGE (modern linear list) */
};

const struct p2m_geometry *p2m_geometry_of(enum p2m_arch arch);
int p2m_arch_parse(const char *name, enum p2m_arch *arch);

/* Semantic type of a pfn.  A range backed by the shared identity page is
 * P2M_IDENTITY here even though the page itself holds INVALID. */
enum p2m_type {
	P2M_MISSING,
	P2M_IDENTITY,
	P2M_PFN,
	P2M_FOREIGN,
	P2M_ABNORMAL, /* a zero entry, reported only on request */
};
#define P2M_NR_TYPES 5
const char *p2m_type_name(enum p2m_type type);

/* Where a run's type was decided: a whole shared mid (top level), a shared
 * leaf in a private mid (mid level), or entries of a private leaf. */
enum p2m_level {
	P2M_LEVEL_TOP,
	P2M_LEVEL_MID,
	P2M_LEVEL_LEAF,
};
#define P2M_NR_LEVELS 3
const char *p2m_level_name(enum p2m_level level);

/* Who paid for a private page (accounting only). */
enum p2m_src {
	P2M_SRC_HEAP,	 /* runtime allocation: get_free_page / vmalloc */
	P2M_SRC_BRK,	 /* early boot: extend_brk, bounded by the brk pool */
	P2M_SRC_BUILDER, /* the domain builder's mfn_list, grafted in */
};
#define P2M_NR_SRCS 3

/* How range operations allocate (a kernel-policy choice). */
enum p2m_range_mode {
	/* Touch only boundary leaves and mids; whole leaves and mids become
	 * pointers to shared pages (private ones they replace are freed). */
	P2M_RANGE_MINIMAL,
	/* 2.6.39-3.13 set_phys_range_identity: a private mid (and mid_mfn)
	 * for every 1 GiB slot the range touches, private leaves at unaligned
	 * ends, then a per-entry walk that swaps whole missing leaves to the
	 * identity page and writes identity values into private leaves. */
	P2M_RANGE_2639,
};

/* Supplies machine frames for the tree's own pages (for the MFN mirror).
 * Without one the engine numbers its pages with synthetic MFNs counting
 * down from just below the identity bit. */
struct p2m_frame_ops {
	int (*alloc)(void *ctx, uint64_t *mfn);
	void (*free)(void *ctx, uint64_t mfn);
};

struct p2m_config {
	enum p2m_arch arch;
	uint64_t nr_pfns;	    /* capacity; rounded up to whole mids */
	unsigned int top_pages;	    /* 0: as many as nr_pfns needs; 1: the
					 * 2.6.39 one-page top (512 GiB) */
	bool mid_identity;	    /* shared identity mid (3.14+) */
	bool cow_identity_fill;	    /* a private copy of the identity leaf
					 * keeps identity values (modern); false
					 * fills it with INVALID (2.6.39 quirk) */
	bool invalid_into_identity; /* 2.6.39: writing INVALID over the
					 * shared identity leaf "succeeds" and
					 * changes nothing */
	bool identity_into_missing; /* 2.6.39: an identity value written
					 * into a missing leaf swaps the whole
					 * leaf to identity */
	bool beyond_is_identity;    /* modern __pfn_to_mfn: pfns past the
					 * end read as identity */
	bool compact;		    /* fold uniform private pages back to
					 * shared ones, and linear private leaves
					 * back to implicit ones, after every
					 * operation */
	bool materialise;	    /* keep every private leaf as a page of
					 * values: no implicit linear leaves (the
					 * representation only; nothing a kernel
					 * or toolstack sees changes) */
	enum p2m_range_mode range_mode;
	uint64_t brk_pages;   /* size of the brk pool; 0 = no brk */
	bool shared_from_brk; /* shared pages, top and mirror roots
					 * come out of the brk pool */
	const struct p2m_frame_ops *frames;
	void *frames_ctx;
};

/* Fill @cfg with the modern (3.19+) defaults for @arch and @nr_pfns. */
void p2m_config_init(struct p2m_config *cfg, enum p2m_arch arch, uint64_t nr_pfns);
/* Switch @cfg to the tree rules of 2.6.39: one top page, no shared identity
 * mid, INVALID-filled leaves, the set_phys_to_machine swaps between the
 * shared pages, identity nowhere past the end, the 2.6.39 range pattern.
 * Leaves arch, size, brk and compaction as they are. */
void p2m_config_rules_2639(struct p2m_config *cfg);

struct p2m;

int p2m_new(struct p2m **out, const struct p2m_config *cfg, struct p2msim_err *err);
void p2m_free(struct p2m *p2m);

const struct p2m_geometry *p2m_geometry(const struct p2m *p2m);
uint64_t p2m_capacity(const struct p2m *p2m); /* pfns the tree covers */
void p2m_set_compact(struct p2m *p2m, bool on);
/* Source charged for pages allocated from now on. */
void p2m_set_alloc_src(struct p2m *p2m, enum p2m_src src);
enum p2m_src p2m_alloc_src(const struct p2m *p2m);

/* --- frame values ------------------------------------------------------ */
static inline uint64_t p2m_identity_frame(const struct p2m_geometry *g, uint64_t pfn)
{
	return pfn | g->identity_bit;
}

static inline uint64_t p2m_foreign_frame(const struct p2m_geometry *g, uint64_t mfn)
{
	return mfn | g->foreign_bit;
}

/* Classify one raw value at @pfn (INVALID is checked first: it has both
 * flag bits set). */
enum p2m_type p2m_value_type(const struct p2m_geometry *g, uint64_t pfn, uint64_t v);

/* --- lookups ------------------------------------------------------------ */
/* get_phys_to_machine: the raw value, flags included.  Never dereferences
 * the shared identity leaf: a pfn under it reads IDENTITY_FRAME(pfn).
 * It only reads the tree (pure), so a loop of p2m_lookup() keeps the
 * view's fields in registers across its out-of-line calls. */
uint64_t p2m_get(const struct p2m *p2m, uint64_t pfn) __attribute__((pure));

/*
 * Lookups sit in every hot loop, so, as the kernel inlines __pfn_to_mfn(),
 * the common case is inline too.  A struct p2m begins with this view of
 * the tree.  top[t][m][i] is the value of pfn (t, m, i), exactly as the
 * kernel indexes p2m_top; but the inline path reads the leaf directory
 * instead, one word per leaf (per half leaf on x86-32, whose leaves hold
 * 1024 entries: the step is 512 pfns on both), as the 3.19+ kernel's
 * virtually mapped list reaches a leaf through one page-table entry;
 * dir[pfn >> P2M_DIR_SHIFT] is
 *
 *   0                       ask p2m_get() (under a shared mid);
 *   below P2M_DIR_PAGES     the address of the values of those pfns
 *                           (a private leaf, or the shared missing leaf);
 *   any other value         a run: the first pfn's value + P2M_DIR_RUN
 *                           (an implicit linear leaf, or the shared
 *                           identity leaf, whose values are pfn | bit).
 *
 * Pages and runs are biased by the entry's first pfn, k << P2M_DIR_SHIFT
 * (an address by 8 bytes per pfn), so that the lookup adds the pfn as it
 * is, unmasked.  The directory covers the pfns [0, dir_n << P2M_DIR_SHIFT)
 * and grows, up to a bound, as private mids appear (the design comment in
 * p2m/p2m.c).  The view is read-only outside the engine, and only
 * p2m_lookup() should read it.
 */
#define P2M_DIR_RUN (1ULL << 62)
#define P2M_DIR_SHIFT 9
#define P2M_DIR_PAGES (1ULL << 48)

struct p2m_view {
	uint64_t *dir;		  /* the leaf directory */
	uint64_t dir_n;		  /* its entries */
	uint64_t ***top;	  /* top[t] -> mid slots, [m] -> leaf entries;
					 * a mid kept as segments has no slots
					 * and sets the lowest bit of top[t] */
	const uint64_t *identity; /* entries of the shared identity leaf */
	const uint64_t *linear;	  /* stands for an implicit linear leaf,
					 * whose first value is slot [m] of the
					 * array after the mid's slots */
	uint64_t nr_top;
	uint64_t leaf_mask, mid_mask;
	unsigned int leaf_shift, mid_span_shift;
	uint64_t identity_bit;
};

/*
 * The inline part is one directory load and, for a page of values, the
 * value's load: the fewest instructions between two lookups, so that a
 * loop of them keeps as many cache misses in flight as a flat array does.
 * Everything else - past the directory, under a shared mid - is
 * p2m_get()'s.  The view's fields are read before any branch so that a
 * loop can keep them in registers.  This is p2m_get(), inlined.
 */
static inline uint64_t p2m_lookup(const struct p2m *p2m, uint64_t pfn)
{
	const struct p2m_view *v = (const struct p2m_view *)(const void *)p2m;
	const uint64_t *dir = v->dir;
	uint64_t dir_n = v->dir_n, w;

	if (__builtin_expect(pfn >> P2M_DIR_SHIFT >= dir_n, 0))
		return p2m_get(p2m, pfn);
	w = dir[pfn >> P2M_DIR_SHIFT];
	if (w - 1 < P2M_DIR_PAGES - 1) /* a page */
		return *(const uint64_t *)(uintptr_t)(w + pfn * sizeof(uint64_t));
	if (__builtin_expect(w != 0, 1))
		return w - P2M_DIR_RUN + pfn;
	return p2m_get(p2m, pfn);
}

/* pfn_to_mfn: like p2m_get with both flag bits cleared, unless INVALID. */
uint64_t p2m_pfn_to_mfn(const struct p2m *p2m, uint64_t pfn);
enum p2m_type p2m_type_at(const struct p2m *p2m, uint64_t pfn);

/* --- updates ----------------------------------------------------------- */
/* __set_phys_to_machine: store without allocating.  Returns false when the
 * value cannot be stored without a private page (or pfn is out of range
 * and the value is not INVALID). */
bool p2m_set_noalloc(struct p2m *p2m, uint64_t pfn, uint64_t val);
/* set_phys_to_machine: store, copying shared pages first when needed.
 * -ERANGE beyond the capacity (unless INVALID), -ENOMEM, -ENOSPC when the
 * brk pool is exhausted. */
int p2m_set(struct p2m *p2m, uint64_t pfn, uint64_t val, struct p2msim_err *err);

enum p2m_fill {
	P2M_FILL_MISSING,
	P2M_FILL_IDENTITY,
	P2M_FILL_MFN, /* a linear run: pfn s -> mfn, s+1 -> mfn+1, ... */
};

/* Set [s, e) to one kind of value.  @mfn is the first MFN for
 * P2M_FILL_MFN.  *@nr_set (optional) receives the number of pfns set, as
 * the kernel's set_phys_range_identity returns it. */
int p2m_set_range(struct p2m *p2m, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn,
		  uint64_t *nr_set, struct p2msim_err *err);

/* Graft a builder-provided list: pfn i of [0, n) gets list[i], in leaves
 * charged to P2M_SRC_BUILDER (2.6.39's xen_build_dynamic_phys_to_machine
 * points mids straight into mfn_list).  Entries of the last partial leaf
 * past n are INVALID. */
int p2m_graft_list(struct p2m *p2m, const uint64_t *list, uint64_t n, struct p2msim_err *err);

/* The same list given as runs: pfns [pfn, pfn + n) hold mfn, mfn + 1, ...
 * (runs in pfn order; pfns of [0, n) in no run are INVALID). */
struct p2m_frame_run {
	uint64_t pfn, mfn, n;
};
int p2m_graft_runs(struct p2m *p2m, const struct p2m_frame_run *runs, size_t nr_runs, uint64_t n,
		   struct p2msim_err *err);

/* Set each run's pfns to its frames: what p2m_set_range(P2M_FILL_MFN)
 * does run after run, in that order, with the same result, charges and
 * errors.  Runs in pfn order and apart (as a builder's chunks are) cost a
 * mid each, not a call each, where they fill a mid that held nothing. */
int p2m_set_runs(struct p2m *p2m, const struct p2m_frame_run *runs, size_t nr_runs,
		 struct p2msim_err *err);

/* Copy list[0, n) into private leaves charged to the current source (the
 * modern kernel's copy_page() of the early list into the new one).  Use
 * p2m_compact() afterwards to share the uniform ones. */
int p2m_load_list(struct p2m *p2m, const uint64_t *list, uint64_t n, struct p2msim_err *err);

/* What p2m_set() for every pfn of [s, e) does, in time proportional to the
 * leaves: shared pages holding a different kind are copied, never
 * replaced wholesale (xen_inv_extra_mem() on a modern kernel). */
int p2m_set_range_pfnwise(struct p2m *p2m, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn,
			  struct p2msim_err *err);

/* Fold every uniform private leaf and mid back to the shared page.
 * Returns the number of pages freed. */
uint64_t p2m_compact(struct p2m *p2m);

/* --- runs ---------------------------------------------------------------- */
struct p2m_run {
	uint64_t start, end; /* [start, end) */
	enum p2m_type type;
	enum p2m_level level;
};

enum {
	P2M_ITER_SPLIT_LEVELS = 1u << 0,   /* a level change ends a run */
	P2M_ITER_ZERO_ABNORMAL = 1u << 1,  /* zero entries are ABNORMAL */
	P2M_ITER_EXACT_IDENTITY = 1u << 2, /* identity only if == IDENTITY_FRAME(pfn) */
};

/* Iterates maximal runs over [start, end) in time proportional to the
 * number of runs plus the private pages visited, never to the pfns. */
struct p2m_iter {
	const struct p2m *p2m;
	uint64_t pfn, end;
	unsigned int flags;
	bool have_pending;
	struct p2m_run pending;
};

void p2m_iter_init(struct p2m_iter *it, const struct p2m *p2m, uint64_t start, uint64_t end,
		   unsigned int flags);
bool p2m_iter_next(struct p2m_iter *it, struct p2m_run *run);

/* --- accounting -------------------------------------------------------- */
struct p2m_stats {
	uint64_t top;		      /* top pages */
	uint64_t mid;		      /* private mid pages */
	uint64_t leaf;		      /* private leaf pages */
	uint64_t implicit;	      /* of which kept as implicit linear leaves */
	uint64_t mirror;	      /* top_mfn, top_mfn_p, mid_mfn pages */
	uint64_t shared;	      /* shared read-only pages in use */
	uint64_t private_pages;	      /* top + mid + leaf */
	uint64_t by_src[P2M_NR_SRCS]; /* private pages (tree + mirror) per source */
	uint64_t brk_used, brk_pages; /* pages taken from / size of the brk pool */
	uint64_t lower_bound;	      /* fewest private pages that can hold this
					 * content: non-uniform leaves + non-uniform
					 * mids + top (computed by a walk) */
	uint64_t allocs, frees;	      /* page allocations and frees so far */
};

void p2m_get_stats(const struct p2m *p2m, struct p2m_stats *st);

/* --- MFN mirror (what the toolstack reads) ------------------------------ */
/* mfn of p2m_top_mfn: shared_info.arch.pfn_to_mfn_frame_list_list. */
uint64_t p2m_mirror_fll(const struct p2m *p2m);
/* pfns the mirror can describe: min(capacity, one top_mfn page's worth). */
uint64_t p2m_mirror_span(const struct p2m *p2m);
/* Read the page with machine frame @mfn as the toolstack would map it:
 * any page of the tree or mirror, shared pages included.  @buf receives
 * 1 << leaf_shift values.  -ENOENT if the engine owns no such page. */
int p2m_read_frame(const struct p2m *p2m, uint64_t mfn, uint64_t *buf);
/* Re-point every mirror slot at the current leaf and mid pages
 * (xen_build_mfn_list_list).  Without it, a leaf swapped to the shared
 * identity page keeps mfn(p2m_missing) in its mirror slot (doc/design-p2m.md#mirror). */
int p2m_mirror_rebuild(struct p2m *p2m, struct p2msim_err *err);

/* --- checks ------------------------------------------------------------ */
/* Structural invariants: every pointer is a shared page or a private page
 * of the right level, counters and accounting add up, shared pages are
 * untouched, identity values sit only at their own pfn, the mirror
 * agrees with the tree.  0 or -EUCLEAN with the first violation. */
int p2m_check(const struct p2m *p2m, struct p2msim_err *err);

/* Every PFN entry's MFN maps back to its pfn through @m2p. */
typedef uint64_t (*p2m_m2p_fn)(void *ctx, uint64_t mfn);
int p2m_check_m2p(const struct p2m *p2m, p2m_m2p_fn m2p, void *ctx, struct p2msim_err *err);
/* The same a run at a time: @m2p gives the pfn of @mfn and, in *@len (at
 * least 1), how many frames from @mfn on map to consecutive pfns. */
typedef uint64_t (*p2m_m2p_run_fn)(void *ctx, uint64_t mfn, uint64_t *len);
int p2m_check_m2p_runs(const struct p2m *p2m, p2m_m2p_run_fn m2p, void *ctx,
		       struct p2msim_err *err);

/* Call @fn for every maximal run of PFN entries whose frames follow each
 * other (pfn -> mfn, pfn + 1 -> mfn + 1, ...), in pfn order, in time
 * proportional to the runs and private pages; stops at, and returns, the
 * first non-zero result. */
typedef int (*p2m_frame_run_fn)(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n);
int p2m_frame_runs(const struct p2m *p2m, p2m_frame_run_fn fn, void *ctx);

#endif
