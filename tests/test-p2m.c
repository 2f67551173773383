/* SPDX-License-Identifier: MIT */
/*
 * tests/test-p2m.c - the P2M engine, one test per behaviour.
 *
 * The tree behaviours of doc/behaviours.md (seed-identity-count to
 * cow-drops-identity) at engine level under the 2.6.39 policy,
 * the modern copy-on-write behaviour, the mirror as a toolstack reads it,
 * brk exhaustion, run iteration, and a differential test of a million
 * random operations against an interval map.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p2m/p2m-internal.h"
#include "tests/refmodel.h"
#include "tests/testutil.h"

#define INVALID ~0ULL
#define ID(pfn) ((pfn) | (1ULL << 62))

/* The 2.6.39 policy at engine level: one top page, no mid_identity, the
 * INVALID-fill quirk, brk-allocated identity boundaries. */
static struct p2m *new_2639(uint64_t brk_pages)
{
	struct p2m_config cfg;
	struct p2m *p = NULL;
	struct p2msim_err err;

	p2m_config_init(&cfg, P2M_ARCH_X86_64, 0);
	p2m_config_rules_2639(&cfg);
	cfg.brk_pages = brk_pages;
	cfg.shared_from_brk = true;
	if (p2m_new(&p, &cfg, &err) < 0)
		fprintf(stderr, "p2m_new: %s\n", err.msg);
	return p;
}

static struct p2m *new_modern(uint64_t nr_pfns, bool compact)
{
	struct p2m_config cfg;
	struct p2m *p = NULL;
	struct p2msim_err err;

	p2m_config_init(&cfg, P2M_ARCH_X86_64, nr_pfns);
	cfg.compact = compact;
	if (p2m_new(&p, &cfg, &err) < 0)
		fprintf(stderr, "p2m_new: %s\n", err.msg);
	return p;
}

static void assert_check(const struct p2m *p)
{
	struct p2msim_err err = { 0 };
	int rc = p2m_check(p, &err);

	if (rc < 0)
		fprintf(stderr, "\n    %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The seed map S under 2.6.39: dom0 with nr_pages 0x40000 grafted from the
 * builder's list (mfn = pfn + 0x100000), then identity(0x40500, 0x7D100). */
static struct p2m *seed_2639(uint64_t *nr_set, struct p2m_stats *before)
{
	struct p2m *p = new_2639(0);
	uint64_t *list = malloc(0x40000 * sizeof(*list));
	struct p2msim_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	for (uint64_t i = 0; i < 0x40000; i++)
		list[i] = 0x100000 + i;
	p2m_set_alloc_src(p, P2M_SRC_BRK);
	CU_ASSERT_EQUAL_FATAL(p2m_graft_list(p, list, 0x40000, &err), 0);
	free(list);
	p2m_get_stats(p, before);
	CU_ASSERT_EQUAL_FATAL(
		p2m_set_range(p, 0x40500, 0x7D100, P2M_FILL_IDENTITY, 0, nr_set, &err), 0);
	return p;
}

/* doc/behaviours.md#seed-identity-count: identity(0x40500, 0x7D100) sets 248832 pfns. */
static void test_seed_identity_count(void)
{
	struct p2m_stats st;
	uint64_t n = 0;
	struct p2m *p = seed_2639(&n, &st);

	CU_ASSERT_EQUAL(n, 248832);
	CU_ASSERT_EQUAL(n, 0x7D100 - 0x40500);
	assert_check(p);
	p2m_free(p);
}

/* doc/behaviours.md#seed-brk-pages: the call costs four brk pages. */
static void test_seed_brk_pages(void)
{
	struct p2m_stats before, after;
	uint64_t n;
	struct p2m *p = seed_2639(&n, &before);
	const struct p2m_mid *mid;

	p2m_get_stats(p, &after);
	CU_ASSERT_EQUAL(after.brk_used - before.brk_used, 4);
	CU_ASSERT_EQUAL(after.mid - before.mid, 1);	  /* mid for top[1] */
	CU_ASSERT_EQUAL(after.mirror - before.mirror, 1); /* its mid_mfn */
	CU_ASSERT_EQUAL(after.leaf - before.leaf, 2);	  /* [1][2], [1][488] */
	mid = p2m_top_mid(p, 1);
	CU_ASSERT_FALSE(p2m_slot_leaf(mid, 2)->shared);
	CU_ASSERT_FALSE(p2m_slot_leaf(mid, 488)->shared);
	CU_ASSERT_EQUAL(p2m_slot_leaf(mid, 2)->src, P2M_SRC_BRK);
	/* the init pages: missing, identity, mid_missing, mid_missing_mfn,
	 * top, top_mfn, top_mfn_p all came out of brk too */
	CU_ASSERT_EQUAL(before.shared, 4);
	p2m_free(p);
}

/* doc/behaviours.md#seed-boundary-leaves: boundary leaf contents and the identity slots between. */
static void test_seed_boundary_leaves(void)
{
	struct p2m_stats st;
	uint64_t n;
	struct p2m *p = seed_2639(&n, &st);
	const struct p2m_mid *mid = p2m_top_mid(p, 1);

	for (unsigned int i = 0; i < 512; i++) {
		CU_ASSERT_EQUAL(p2m_slot_leaf(mid, 2)->e[i], i < 256 ? INVALID : ID(0x40400 + i));
		CU_ASSERT_EQUAL(p2m_slot_leaf(mid, 488)->e[i], i < 256 ? ID(0x7D000 + i) : INVALID);
	}
	for (unsigned int m = 3; m <= 487; m++)
		CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(mid, m), p->identity);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(mid, 0), p->missing);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(mid, 1), p->missing);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(mid, 489), p->missing);
	CU_ASSERT_PTR_EQUAL(p2m_top_mid(p, 2), p->mid_missing);
	p2m_free(p);
}

/* doc/behaviours.md#seed-lookups: lookups after S, never reading the identity page. */
static void test_seed_lookups(void)
{
	struct p2m_stats st;
	uint64_t n;
	struct p2m *p = seed_2639(&n, &st);

	CU_ASSERT_EQUAL(p2m_get(p, 0x40600), 0x4000000000040600ULL);
	CU_ASSERT_EQUAL(p2m_pfn_to_mfn(p, 0x40600), 0x40600);
	CU_ASSERT_EQUAL(p2m_get(p, 0x7D100), INVALID);
	CU_ASSERT_EQUAL(p2m_pfn_to_mfn(p, 0x7D100), INVALID);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40400), INVALID);
	CU_ASSERT_EQUAL(p2m_get(p, 0x123), 0x100123);
	/* the identity page itself holds INVALID, as the toolstack sees it */
	CU_ASSERT_EQUAL(p->identity->e[0x40600 & 511], INVALID);
	p2m_free(p);
}

/* doc/behaviours.md#whole-gib-identity: a whole empty 1 GiB costs a mid and a mid_mfn, no leaf. */
static void test_whole_gib_identity_2639(void)
{
	struct p2m *p = new_2639(0);
	struct p2m_stats a, b;
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t n;

	p2m_get_stats(p, &a);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0xC0000, 0x100000, P2M_FILL_IDENTITY, 0, &n, NULL), 0);
	p2m_get_stats(p, &b);
	CU_ASSERT_EQUAL(n, 0x40000);
	CU_ASSERT_EQUAL(b.brk_used - a.brk_used, 2);
	CU_ASSERT_EQUAL(b.mid - a.mid, 1);
	CU_ASSERT_EQUAL(b.leaf - a.leaf, 0);
	CU_ASSERT_EQUAL(p2m_top_mid(p, 3)->nr_identity, 512);
	p2m_iter_init(&it, p, 0xC0000, 0x100000, P2M_ITER_SPLIT_LEVELS);
	CU_ASSERT_TRUE(p2m_iter_next(&it, &run));
	CU_ASSERT_EQUAL(run.start, 0xC0000);
	CU_ASSERT_EQUAL(run.end, 0x100000);
	CU_ASSERT_EQUAL(run.type, P2M_IDENTITY);
	CU_ASSERT_EQUAL(run.level, P2M_LEVEL_MID);
	CU_ASSERT_FALSE(p2m_iter_next(&it, &run));
	assert_check(p);
	p2m_free(p);
}

/* doc/behaviours.md#multi-gib-identity: before 3.14, 2 pages for every 1 GiB touched + 2 leaves. */
static void test_multi_gib_identity_2639(void)
{
	struct p2m *p = new_2639(0);
	struct p2m_stats a, b;
	uint64_t n;

	p2m_get_stats(p, &a);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40500, 0x17D100, P2M_FILL_IDENTITY, 0, &n, NULL), 0);
	p2m_get_stats(p, &b);
	CU_ASSERT_EQUAL(b.brk_used - a.brk_used, 12);
	CU_ASSERT_EQUAL(n, 0x17D100 - 0x40500);
	assert_check(p);
	p2m_free(p);
}

/* doc/behaviours.md#cow-drops-identity: 2.6.39 alloc_p2m replaces the identity page with an
 * all-INVALID leaf: the other 511 pfns lose their identity. */
static void test_cow_drops_identity_2639(void)
{
	struct p2m_stats st;
	uint64_t n;
	struct p2m *p = seed_2639(&n, &st);
	const struct p2m_leaf *leaf;

	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x40600, 0x123456));
	CU_ASSERT_EQUAL(p2m_set(p, 0x40600, 0x123456, NULL), 0);
	leaf = p2m_slot_leaf(p2m_top_mid(p, 1), 3);
	CU_ASSERT_FALSE(leaf->shared);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40600), 0x123456);
	for (uint64_t pfn = 0x40601; pfn < 0x40800; pfn++)
		CU_ASSERT_EQUAL(p2m_get(p, pfn), INVALID);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40800), ID(0x40800));
	assert_check(p);
	p2m_free(p);
}

/* Modern: the private copy of the identity leaf keeps identity values. */
static void test_modern_cow_keeps_identity(void)
{
	struct p2m *p = new_modern(1ULL << 20, false);
	struct p2m_stats a, b;

	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40500, 0x7D100, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(p2m_top_mid(p, 1), 3), p->identity);
	p2m_get_stats(p, &a);
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x40600, 0x123456));
	CU_ASSERT_EQUAL(p2m_set(p, 0x40600, 0x123456, NULL), 0);
	p2m_get_stats(p, &b);
	CU_ASSERT_EQUAL(b.leaf - a.leaf, 1);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40600), 0x123456);
	for (uint64_t pfn = 0x40601; pfn < 0x40800; pfn++)
		CU_ASSERT_EQUAL(p2m_get(p, pfn), ID(pfn));
	/* and INVALID into the identity page is a real write in modern kernels */
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x40A00, INVALID));
	assert_check(p);
	p2m_free(p);
}

/* Modern: a shared page accepts only what it already says. */
static void test_modern_set_noalloc_on_shared(void)
{
	struct p2m *p = new_modern(1ULL << 20, false);

	CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x1234, INVALID));
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x1234, ID(0x1234)));
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x1234, 0x99));
	CU_ASSERT_EQUAL(p2m_set_range(p, 0, 0x40000, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_PTR_EQUAL(p2m_top_mid(p, 0), p->mid_identity);
	CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x1234, ID(0x1234)));
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x1234, ID(0x1235)));
	CU_ASSERT_FALSE(p2m_set_noalloc(p, 0x1234, INVALID));
	/* nothing was allocated */
	CU_ASSERT_EQUAL(p->nr_leaf[P2M_SRC_HEAP] + p->nr_mid[P2M_SRC_HEAP], 0);
	assert_check(p);
	p2m_free(p);
}

/* Range operations touch only boundary pages: whole leaves and mids
 * become pointers to shared pages. */
static void test_range_touches_only_boundaries(void)
{
	struct p2m *p = new_modern(1ULL << 30, false);
	struct p2m_stats st;
	uint64_t n;

	/* 3 GiB + 3 leaves + a bit, unaligned on both ends */
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40100, 0x140700, P2M_FILL_IDENTITY, 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 0x140700 - 0x40100);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.mid, 2);  /* top[1] and top[5] */
	CU_ASSERT_EQUAL(st.leaf, 2); /* the two unaligned ends */
	CU_ASSERT_PTR_EQUAL(p2m_top_mid(p, 2), p->mid_identity);
	CU_ASSERT_PTR_EQUAL(p2m_top_mid(p, 4), p->mid_identity);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(p2m_top_mid(p, 5), 2), p->identity);
	CU_ASSERT_EQUAL(p2m_get(p, 0x400FF), INVALID);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40100), ID(0x40100));
	CU_ASSERT_EQUAL(p2m_get(p, 0x1406FF), ID(0x1406FF));
	CU_ASSERT_EQUAL(p2m_get(p, 0x140700), INVALID);
	/* setting the middle back to missing frees nothing it does not own */
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x80000, 0x100000, P2M_FILL_MISSING, 0, NULL, NULL), 0);
	CU_ASSERT_PTR_EQUAL(p2m_top_mid(p, 2), p->mid_missing);
	assert_check(p);
	p2m_free(p);
}

/* An identity range over a TiB costs a handful of pages. */
static void test_range_terabyte_identity_is_cheap(void)
{
	struct p2m *p = new_modern(1ULL << 36, false);
	struct p2m_stats st;
	uint64_t n;

	CU_ASSERT_EQUAL(p2m_set_range(p, 0x100000 + 3, (1ULL << 28) + 0x100000 + 3,
				      P2M_FILL_IDENTITY, 0, &n, NULL),
			0);
	CU_ASSERT_EQUAL(n, 1ULL << 28);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.mid, 2);
	CU_ASSERT_EQUAL(st.leaf, 2);
	CU_ASSERT_EQUAL(st.top, (1ULL << 36) / (1ULL << 27));
	assert_check(p);
	p2m_free(p);
}

/* An MFN run is written entry by entry. */
static void test_range_mfn_run(void)
{
	struct p2m *p = new_modern(1ULL << 20, true);
	uint64_t n;

	CU_ASSERT_EQUAL(p2m_set_range(p, 0x1FF, 0x601, P2M_FILL_MFN, 0x7000, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 0x402);
	CU_ASSERT_EQUAL(p2m_get(p, 0x1FF), 0x7000);
	CU_ASSERT_EQUAL(p2m_get(p, 0x600), 0x7401);
	CU_ASSERT_EQUAL(p2m_get(p, 0x601), INVALID);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0, 4, P2M_FILL_MFN, (1ULL << 62) - 2, NULL, NULL),
			-ERANGE);
	assert_check(p);
	p2m_free(p);
}

static void assert_mirror_matches(const struct p2m *p);

/* Slot @m of the mid_mfn page of top slot @t, read as the toolstack does
 * (a mid kept as segments has no array of its own to look at). */
static uint64_t mirror_slot(const struct p2m *p, uint64_t t, unsigned int m)
{
	uint64_t buf[1024];

	CU_ASSERT_EQUAL_FATAL(p2m_read_frame(p, p->top_mfn[t], buf), 0);
	return buf[m];
}

/* Whole leaves of a linear run are kept as their first value: private
 * pages of the kernel all the same (counted, charged, in the mirror). */
static void test_linear_run_whole_leaves_are_implicit(void)
{
	struct p2m *p = new_modern(1ULL << 20, false);
	struct p2m_stats st;
	uint64_t buf[512];
	const struct p2m_mid *mid;

	CU_ASSERT_EQUAL(p2m_set_range(p, 0x1FF, 0x1601, P2M_FILL_MFN, 0x7000, NULL, NULL), 0);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.leaf, 12); /* 10 whole + 2 boundary leaves */
	CU_ASSERT_EQUAL(st.implicit, 10);
	mid = p2m_top_mid(p, 0);
	CU_ASSERT_TRUE(p2m_slot_is_linear(p, mid, 1));
	CU_ASSERT_FALSE(p2m_slot_is_linear(p, mid, 0));
	CU_ASSERT_EQUAL(p2m_get(p, 0x200), 0x7001);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x3FF), 0x7200);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x1600), 0x8401);
	/* the toolstack reads the implicit leaf's page through the mirror */
	CU_ASSERT_EQUAL(p2m_read_frame(p, mid->mirror[1], buf), 0);
	CU_ASSERT_EQUAL(buf[0], 0x7001);
	CU_ASSERT_EQUAL(buf[511], 0x7200);
	assert_mirror_matches(p);
	assert_check(p);
	p2m_free(p);
}

/* A write that breaks the run gives the leaf its values; the kernel page,
 * its frame and the accounting stay.  Writing the run back and compacting
 * keeps it implicit again; with compaction on that happens at once. */
static void test_write_breaks_and_reforms_implicit_leaf(void)
{
	for (int compact = 0; compact < 2; compact++) {
		struct p2m *p = new_modern(1ULL << 20, compact);
		const struct p2m_mid *mid;
		struct p2m_stats before, st;
		uint64_t mfn;

		CU_ASSERT_EQUAL(p2m_set_range(p, 0x400, 0x600, P2M_FILL_MFN, 0x9000, NULL, NULL),
				0);
		mid = p2m_top_mid(p, 0);
		/* whole leaves of a shared mid: the mid is kept as segments */
		CU_ASSERT_EQUAL(mid->nr_segs, 3);
		mfn = mirror_slot(p, 0, 2);
		p2m_get_stats(p, &before);
		CU_ASSERT_EQUAL(before.implicit, 1);
		assert_check(p);
		CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x450, 0x9050)); /* keeps the run */
		CU_ASSERT_TRUE(p2m_slot_is_linear(p, p2m_top_mid(p, 0), 2));
		CU_ASSERT_EQUAL(p2m_top_mid(p, 0)->nr_segs, 3);
		CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x450, 0x12345)); /* breaks it */
		mid = p2m_top_mid(p, 0);
		CU_ASSERT_EQUAL(mid->nr_segs, 0); /* slots again */
		CU_ASSERT_FALSE(p2m_slot_is_linear(p, mid, 2));
		CU_ASSERT_EQUAL(p2m_get(p, 0x450), 0x12345);
		CU_ASSERT_EQUAL(p2m_get(p, 0x451), 0x9051);
		CU_ASSERT_EQUAL(mirror_slot(p, 0, 2), mfn);
		p2m_get_stats(p, &st);
		CU_ASSERT_EQUAL(st.leaf, before.leaf);
		CU_ASSERT_EQUAL(st.implicit, 0);
		CU_ASSERT_EQUAL(st.allocs, before.allocs);
		CU_ASSERT_EQUAL(st.frees, before.frees);
		assert_check(p);
		CU_ASSERT_EQUAL(p2m_set(p, 0x450, 0x9050, NULL), 0);
		if (!compact)
			CU_ASSERT_EQUAL(p2m_compact(p), 0); /* no page is freed */
		CU_ASSERT_TRUE(p2m_slot_is_linear(p, mid, 2));
		CU_ASSERT_EQUAL(mid->mirror[2], mfn);
		p2m_get_stats(p, &st);
		CU_ASSERT_EQUAL(st.implicit, 1);
		CU_ASSERT_EQUAL(st.allocs, before.allocs);
		/* gone the kernel's way: freed, counted */
		CU_ASSERT_EQUAL(p2m_set_range(p, 0x400, 0x600, P2M_FILL_MISSING, 0, NULL, NULL), 0);
		p2m_get_stats(p, &st);
		CU_ASSERT_EQUAL(st.implicit, 0);
		CU_ASSERT_EQUAL(st.frees, before.frees + 1 + (compact ? 2 : 0));
		assert_mirror_matches(p);
		assert_check(p);
		p2m_free(p);
	}
}

/* materialise: the same content, every private leaf a page of values;
 * a run that crosses a flag bit or would wrap is never implicit. */
static void test_materialise_and_unfit_runs(void)
{
	struct p2m_config cfg;
	struct p2m *p = NULL;
	struct p2m_stats st;

	p2m_config_init(&cfg, P2M_ARCH_X86_64, 1ULL << 20);
	cfg.materialise = true;
	CU_ASSERT_EQUAL_FATAL(p2m_new(&p, &cfg, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x400, 0x800, P2M_FILL_MFN, 0x9000, NULL, NULL), 0);
	p2m_compact(p);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.leaf, 2);
	CU_ASSERT_EQUAL(st.implicit, 0);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x7FF), 0x93FF);
	assert_check(p);
	p2m_free(p);

	p = new_modern(1ULL << 20, true);
	/* foreign frames written one by one form a run too (compaction keeps
	 * it implicit); a run that would carry into the foreign bit does not */
	for (uint64_t pfn = 0x400; pfn < 0x600; pfn++)
		CU_ASSERT_EQUAL(p2m_set(p, pfn, (1ULL << 63) | (5 + pfn), NULL), 0);
	for (uint64_t pfn = 0x600; pfn < 0x800; pfn++)
		CU_ASSERT_EQUAL(p2m_set(p, pfn,
					(1ULL << 63) | ((1ULL << 62) - 0x100 + (pfn - 0x600)),
					NULL),
				0);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.implicit, 1);
	CU_ASSERT_EQUAL(st.leaf, 2);
	CU_ASSERT_EQUAL(p2m_type_at(p, 0x5FF), P2M_FOREIGN);
	assert_check(p);
	p2m_free(p);
}

/* The 2.6.39 top page ends at 512 GiB and a range reaching it is refused
 * whole (a9b5bff66b2a came in 3.14). */
static void test_2639_range_at_max_p2m_pfn(void)
{
	struct p2m *p = new_2639(0);
	uint64_t n = 99;

	CU_ASSERT_EQUAL(p2m_capacity(p), 1ULL << 27);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x7FFF000, 1ULL << 27, P2M_FILL_IDENTITY, 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(p2m_get(p, 0x7FFF000), INVALID);
	CU_ASSERT_EQUAL(p2m_get(p, 1ULL << 27), INVALID); /* beyond: INVALID */
	assert_check(p);
	p2m_free(p);
}

/* brk exhaustion is an error, not a crash, and leaves a sound tree. */
static void test_2639_brk_exhausted(void)
{
	struct p2m *p = new_2639(7 + 5);
	struct p2msim_err err = { 0 };
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	rc = p2m_set_range(p, 0x40500, 0x17D100, P2M_FILL_IDENTITY, 0, NULL, &err);
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "brk exhausted"));
	assert_check(p);
	p2m_free(p);
}

/* 2.6.39 __set_phys_to_machine: INVALID over the identity page and an
 * identity value over a missing leaf need no page. */
static void test_2639_set_noalloc_quirks(void)
{
	struct p2m *p = new_2639(0);

	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40000, 0x40200, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x40010, INVALID));
	CU_ASSERT_EQUAL(p2m_get(p, 0x40010), ID(0x40010)); /* unchanged */
	CU_ASSERT_TRUE(p2m_set_noalloc(p, 0x40400, ID(0x40400)));
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(p2m_top_mid(p, 1), 2), p->identity);
	/* the mirror keeps mfn(p2m_missing) for that slot */
	CU_ASSERT_EQUAL(p2m_top_mid(p, 1)->mirror[2], p->missing->mfn);
	assert_check(p);
	CU_ASSERT_EQUAL(p2m_mirror_rebuild(p, NULL), 0);
	CU_ASSERT_EQUAL(p2m_top_mid(p, 1)->mirror[2], p->identity->mfn);
	assert_check(p);
	p2m_free(p);
}

/* Walk the mirror from the frame-list-list, as save/restore does, and
 * compare with lookups: shared identity leaves read INVALID there. */
static void assert_mirror_matches(const struct p2m *p)
{
	unsigned int per = 1u << p->g->leaf_shift;
	uint64_t *top = malloc(per * sizeof(*top)), *mid = malloc(per * sizeof(*mid));
	uint64_t *leaf = malloc(per * sizeof(*leaf));
	uint64_t span = p2m_mirror_span(p), bad = 0;

	CU_ASSERT_EQUAL_FATAL(p2m_read_frame(p, p2m_mirror_fll(p), top), 0);
	for (uint64_t t = 0; t < p->mirror_entries; t++) {
		CU_ASSERT_EQUAL_FATAL(p2m_read_frame(p, top[t], mid), 0);
		for (unsigned int m = 0; m < per; m++) {
			uint64_t base = p2m_leaf_base(p, t, m);

			CU_ASSERT_EQUAL_FATAL(p2m_read_frame(p, mid[m], leaf), 0);
			for (unsigned int i = 0; i < per && base + i < span; i++) {
				uint64_t want = p2m_get(p, base + i);

				uint64_t v0;

				if (p2m_mid_slot(p, p2m_top_mid(p, t), m, &v0) == p->identity)
					want = p->g->invalid;
				bad += leaf[i] != want;
			}
		}
		if (bad)
			break;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(top);
	free(mid);
	free(leaf);
}

static void test_mirror_reads_like_the_tree(void)
{
	struct p2m *p = new_modern(1ULL << 22, false);

	CU_ASSERT_EQUAL(p2m_set_range(p, 0, 0x9F, P2M_FILL_MFN, 0x70000, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x9F, 0x100, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x100, 0x20000, P2M_FILL_MFN, 0x70100, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x7FFE0, 0x100000, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set(p, 0x3FFFFF, 0x5, NULL), 0);
	assert_mirror_matches(p);
	assert_check(p);
	p2m_free(p);
}

/* The old dump's view of the seed: type runs and level runs
 * (doc/behaviours.md#old-dump-of-seed). */
static void test_iter_levels_of_seed(void)
{
	static const struct p2m_run want[] = {
		{ 0x0, 0x40000, P2M_PFN, P2M_LEVEL_LEAF },
		{ 0x40000, 0x40400, P2M_MISSING, P2M_LEVEL_MID },
		{ 0x40400, 0x40500, P2M_MISSING, P2M_LEVEL_LEAF },
		{ 0x40500, 0x40600, P2M_IDENTITY, P2M_LEVEL_LEAF },
		{ 0x40600, 0x7D000, P2M_IDENTITY, P2M_LEVEL_MID },
		{ 0x7D000, 0x7D100, P2M_IDENTITY, P2M_LEVEL_LEAF },
		{ 0x7D100, 0x7D200, P2M_MISSING, P2M_LEVEL_LEAF },
		{ 0x7D200, 0x80000, P2M_MISSING, P2M_LEVEL_MID },
		{ 0x80000, 0x2000000, P2M_MISSING, P2M_LEVEL_TOP },
	};
	struct p2m_stats st;
	uint64_t n;
	struct p2m *p = seed_2639(&n, &st);
	struct p2m_iter it;
	struct p2m_run run;
	size_t i = 0;

	p2m_iter_init(&it, p, 0, 0x2000000, P2M_ITER_SPLIT_LEVELS | P2M_ITER_EXACT_IDENTITY);
	while (p2m_iter_next(&it, &run)) {
		CU_ASSERT_FATAL(i < sizeof(want) / sizeof(want[0]));
		CU_ASSERT_EQUAL(run.start, want[i].start);
		CU_ASSERT_EQUAL(run.end, want[i].end);
		CU_ASSERT_EQUAL(run.type, want[i].type);
		CU_ASSERT_EQUAL(run.level, want[i].level);
		i++;
	}
	CU_ASSERT_EQUAL(i, sizeof(want) / sizeof(want[0]));
	p2m_free(p);
}

/* x86-32 PAE: 1024-entry pages and 32-bit frame values. */
static void test_x86_32_geometry(void)
{
	struct p2m_config cfg;
	struct p2m *p;
	uint64_t n;

	p2m_config_init(&cfg, P2M_ARCH_X86_32, 1ULL << 24);
	CU_ASSERT_EQUAL_FATAL(p2m_new(&p, &cfg, NULL), 0);
	CU_ASSERT_EQUAL(p2m_get(p, 5), 0xffffffffULL);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x100400, 0x300000, P2M_FILL_IDENTITY, 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(p2m_get(p, 0x100400), 0x40000000ULL | 0x100400);
	CU_ASSERT_EQUAL(p2m_pfn_to_mfn(p, 0x2FFFFF), 0x2FFFFF);
	CU_ASSERT_EQUAL(p2m_top_index(p, 0x300000), 3);
	CU_ASSERT_EQUAL(p2m_mid_index(p, 0x100400), 1);
	CU_ASSERT_EQUAL(p2m_set(p, 7, 0x12345, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0, 4, P2M_FILL_MFN, 0x3fffffff, NULL, NULL), -ERANGE);
	/* the leaf directory steps by 512 pfns, half a PAE leaf: both halves
	 * of private, implicit and identity leaves read what the tree holds */
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x2000, 0x3000, P2M_FILL_MFN, 0x5000, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x3000, 0x3400, P2M_FILL_IDENTITY, 0, NULL, NULL), 0);
	CU_ASSERT_TRUE(p->v.dir_n > 0);
	CU_ASSERT_EQUAL(p2m_lookup(p, 7), 0x12345);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x205), 0xffffffffULL);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x2a01), 0x5a01);
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x3201), 0x40000000ULL | 0x3201);
	n = 0;
	for (uint64_t pfn = 0; pfn < 0x4000; pfn++)
		n += p2m_lookup(p, pfn) != p2m_get(p, pfn);
	for (uint64_t pfn = 0xff000; pfn < 0x301000; pfn += 0x1ff)
		n += p2m_lookup(p, pfn) != p2m_get(p, pfn);
	CU_ASSERT_EQUAL(n, 0);
	assert_mirror_matches(p);
	assert_check(p);
	p2m_free(p);
}

/* The engine covers 2^36 pfns (256 TiB) with a multi-page top level. */
static void test_capacity_2_36(void)
{
	struct p2m *p = new_modern(1ULL << 36, false);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p2m_capacity(p), 1ULL << 36);
	CU_ASSERT_EQUAL(p->top_pages, 512);
	CU_ASSERT_EQUAL(p2m_mirror_span(p), 1ULL << 27); /* the toolstack's 512 GiB */
	CU_ASSERT_EQUAL(p2m_set(p, (1ULL << 36) - 1, 42, NULL), 0);
	CU_ASSERT_EQUAL(p2m_get(p, (1ULL << 36) - 1), 42);
	CU_ASSERT_EQUAL(p2m_set(p, 1ULL << 36, 42, NULL), -ERANGE);
	CU_ASSERT_TRUE(p2m_set_noalloc(p, 1ULL << 36, INVALID));
	CU_ASSERT_EQUAL(p2m_get(p, (1ULL << 36) + 5), ID((1ULL << 36) + 5));
	assert_check(p);
	p2m_free(p);
}

/* Compaction folds uniform private pages back to the shared ones. */
static void test_compaction_reaches_lower_bound(void)
{
	struct p2m *p = new_modern(1ULL << 22, false);
	struct p2m_stats st;

	for (uint64_t pfn = 0x1000; pfn < 0x1200; pfn++)
		CU_ASSERT_EQUAL(p2m_set(p, pfn, ID(pfn), NULL), 0);
	CU_ASSERT_EQUAL(p2m_set(p, 0x50000, 9, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set(p, 0x50000, INVALID, NULL), 0);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.leaf, 2);
	CU_ASSERT_EQUAL(st.lower_bound, st.top + 1); /* top[0] mixes identity and missing */
	/* 2 leaves, top[1]'s mid and that mid's mid_mfn mirror page */
	CU_ASSERT_EQUAL(p2m_compact(p), 4);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.private_pages, st.lower_bound);
	CU_ASSERT_PTR_EQUAL(p2m_slot_leaf(p2m_top_mid(p, 0), 8), p->identity);
	assert_check(p);
	p2m_free(p);
}

/* --- the differential test --------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

#define SPACE (1ULL << 27)

/* Positions cluster near page boundaries and in a few hot windows, with
 * some anywhere in the sparse space. */
static uint64_t rnd_pfn(struct rng *r, const uint64_t hot[8])
{
	switch (rnd_below(r, 4)) {
	case 0:
		return rnd_below(r, SPACE);
	case 1: {
		uint64_t b = rnd_below(r, SPACE >> 9) << 9;
		uint64_t d = rnd_below(r, 5);

		return (b + d - 2) & (SPACE - 1);
	}
	case 2: {
		uint64_t b = rnd_below(r, SPACE >> 18) << 18;
		uint64_t d = rnd_below(r, 5);

		return (b + d - 2) & (SPACE - 1);
	}
	default:
		return (hot[rnd_below(r, 8)] + rnd_below(r, 1ULL << 20)) & (SPACE - 1);
	}
}

static uint64_t rnd_len(struct rng *r)
{
	switch (rnd_below(r, 8)) {
	case 0:
	case 1:
	case 2:
		return 1 + rnd_below(r, 16);
	case 3:
	case 4:
		return 1 + rnd_below(r, 2048);
	case 5:
	case 6:
		return 1 + rnd_below(r, 1ULL << 19);
	default:
		return 1 + rnd_below(r, 1ULL << 24);
	}
}

static uint64_t ref_value(const struct ref_map *m, uint64_t pfn)
{
	const struct ref_ival *iv = &m->iv[ref_find(m, pfn)];

	switch (iv->kind) {
	case REF_MISSING:
		return INVALID;
	case REF_IDENTITY:
		return ID(pfn);
	case REF_LINEAR:
	default:
		return iv->v + (pfn - iv->start);
	}
}

static enum p2m_type ref_type(const struct ref_ival *iv)
{
	return iv->kind == REF_MISSING	? P2M_MISSING :
	       iv->kind == REF_IDENTITY ? P2M_IDENTITY :
	       (iv->v & (1ULL << 63))	? P2M_FOREIGN :
					  P2M_PFN;
}

/* Compare the engine's type runs with the model's, and every value of the
 * model's explicit intervals; returns the number of mismatches. */
static uint64_t compare(const struct p2m *p, const struct ref_map *m, struct rng *r)
{
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t bad = 0, pos = 0;
	size_t i = 0;

	p2m_iter_init(&it, p, 0, SPACE, 0);
	while (p2m_iter_next(&it, &run)) {
		if (run.start != pos)
			bad++;
		/* the model's intervals of this type must tile [start, end) */
		while (i < m->nr && m->iv[i].end <= run.end) {
			if (ref_type(&m->iv[i]) != run.type)
				bad++;
			i++;
		}
		if (i < m->nr && m->iv[i].start < run.end)
			bad++;
		pos = run.end;
	}
	if (pos != SPACE || i != m->nr)
		bad++;
	for (i = 0; i < m->nr; i++) {
		const struct ref_ival *iv = &m->iv[i];
		uint64_t probes[3] = { iv->start, iv->end - 1,
				       iv->start + rnd_below(r, iv->end - iv->start) };

		if (iv->kind == REF_LINEAR && iv->end - iv->start <= 4096) {
			for (uint64_t pfn = iv->start; pfn < iv->end; pfn++)
				bad += p2m_lookup(p, pfn) != ref_value(m, pfn);
		} else {
			for (int k = 0; k < 3; k++)
				bad += p2m_get(p, probes[k]) != ref_value(m, probes[k]) ||
				       p2m_lookup(p, probes[k]) != ref_value(m, probes[k]);
		}
	}
	return bad;
}

static uint64_t count_seg_mids(const struct p2m *p)
{
	uint64_t n = 0;

	for (uint64_t t = 0; t < p->v.nr_top; t++)
		n += p2m_mid_is_seg(p2m_top_mid(p, t));
	return n;
}

static int differential(uint64_t seed, uint64_t nr_ops, bool compact)
{
	struct rng r = { seed };
	struct ref_map m;
	struct p2m *p = new_modern(SPACE, compact);
	uint64_t hot[8], most_implicit = 0, most_seg = 0;
	int failed = 0;

	if (!p || ref_init(&m, SPACE) < 0)
		return 1;
	for (int k = 0; k < 8; k++)
		hot[k] = rnd_below(&r, SPACE);
	for (uint64_t op = 0; op < nr_ops && !failed; op++) {
		uint64_t s = rnd_pfn(&r, hot), len = rnd_len(&r), e = s + len;
		uint64_t kind = rnd_below(&r, 10), mfn = 1 + rnd_below(&r, 1ULL << 40);
		bool whole = rnd_below(&r, 3) == 0;
		struct p2msim_err err = { 0 };
		int rc = 0;

		/* a third of the ranges in whole leaves: mids kept as segments,
		 * split, merged and given their slots again */
		if (whole) {
			s &= ~511ULL;
			e = (e + 511) & ~511ULL;
		}
		if (e > SPACE)
			e = SPACE;
		if (kind < 4) {
			/* a single entry: RAM, foreign, INVALID or identity; half
			 * the RAM writes continue the entry before (re-forming a
			 * run that an earlier write broke) */
			uint64_t v = kind == 0 ? mfn :
				     kind == 1 ? (mfn | (1ULL << 63)) :
				     kind == 2 ? INVALID :
						 ID(s);

			if (kind == 0 && s && (mfn & 1) && ref_value(&m, s - 1) != INVALID &&
			    ref_type(&m.iv[ref_find(&m, s - 1)]) == P2M_PFN &&
			    ref_value(&m, s - 1) + 1 < (1ULL << 62))
				v = ref_value(&m, s - 1) + 1;

			rc = p2m_set(p, s, v, &err);
			ref_assign(&m, s, s + 1,
				   kind == 2 ? REF_MISSING :
				   kind == 3 ? REF_IDENTITY :
					       REF_LINEAR,
				   v);
		} else if (kind < 6) {
			rc = p2m_set_range(p, s, e, P2M_FILL_IDENTITY, 0, NULL, &err);
			ref_assign(&m, s, e, REF_IDENTITY, 0);
		} else if (kind < 8) {
			rc = p2m_set_range(p, s, e, P2M_FILL_MISSING, 0, NULL, &err);
			ref_assign(&m, s, e, REF_MISSING, 0);
		} else {
			if (e - s > (whole ? 1ULL << 19 : 8192))
				e = whole ? s + 512 * (1 + rnd_below(&r, 1024)) :
					    s + 1 + rnd_below(&r, 8192);
			if (e > SPACE)
				e = SPACE;
			rc = p2m_set_range(p, s, e, P2M_FILL_MFN, mfn, NULL, &err);
			ref_assign(&m, s, e, REF_LINEAR, mfn);
		}
		if (rc < 0) {
			fprintf(stderr, "\n    seed %#" PRIx64 " op %" PRIu64 ": %s\n", seed, op,
				err.msg);
			failed = 1;
			break;
		}
		if (op % 20000 == 19999 || op == nr_ops - 1) {
			struct p2m_stats st;
			uint64_t bad = compare(p, &m, &r);

			if (bad) {
				fprintf(stderr,
					"\n    seed %#" PRIx64 " op %" PRIu64 ": %" PRIu64
					" mismatches with the interval map\n",
					seed, op, bad);
				failed = 1;
			}
			if (p2m_check(p, &err) < 0) {
				fprintf(stderr, "\n    seed %#" PRIx64 " op %" PRIu64 ": %s\n",
					seed, op, err.msg);
				failed = 1;
			}
			p2m_get_stats(p, &st);
			if (st.implicit > most_implicit)
				most_implicit = st.implicit;
			if (count_seg_mids(p) > most_seg)
				most_seg = count_seg_mids(p);
			if (compact && st.private_pages != st.lower_bound) {
				fprintf(stderr,
					"\n    seed %#" PRIx64 " op %" PRIu64 ": %" PRIu64
					" private pages, lower bound %" PRIu64 "\n",
					seed, op, st.private_pages, st.lower_bound);
				failed = 1;
			}
		}
	}
	if (!failed && most_implicit == 0) {
		fprintf(stderr, "\n    seed %#" PRIx64 ": no implicit leaf was ever formed\n",
			seed);
		failed = 1;
	}
	if (!failed && most_seg == 0) {
		fprintf(stderr, "\n    seed %#" PRIx64 ": no mid was ever kept as segments\n",
			seed);
		failed = 1;
	}
	if (!failed) {
		assert_mirror_matches(p);
		if (!compact) {
			struct p2m_stats st;

			p2m_compact(p);
			p2m_get_stats(p, &st);
			if (st.private_pages != st.lower_bound || compare(p, &m, &r)) {
				fprintf(stderr,
					"\n    seed %#" PRIx64 ": compaction changed content "
					"or missed the bound\n",
					seed);
				failed = 1;
			}
		}
	}
	ref_fini(&m);
	p2m_free(p);
	return failed;
}

static uint64_t test_seed(void)
{
	const char *env = getenv("P2MSIM_TEST_SEED");

	return env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
}

static void test_differential_million_ops(void)
{
	uint64_t seed = test_seed();

	printf("[seed %#" PRIx64 "] ", seed);
	CU_ASSERT_EQUAL(differential(seed, 500000, false), 0);
	CU_ASSERT_EQUAL(differential(seed + 1, 500000, true), 0);
}

/* --- p2m_set_runs() against p2m_set_range() run after run ------------------ */

#define TWIN_SPACE (1ULL << 25)

static int collect_frame_run(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	uint64_t *h = ctx;

	/* an order-dependent digest of every run */
	h[0] = (h[0] ^ pfn) * 0x100000001b3ULL;
	h[0] = (h[0] ^ mfn) * 0x100000001b3ULL;
	h[0] = (h[0] ^ n) * 0x100000001b3ULL;
	h[1]++;
	return 0;
}

/* Where the two P2Ms differ, or NULL: everything the engine keeps, page
 * by page, counter by counter. */
static const char *twin_differs(const struct p2m *a, const struct p2m *b)
{
	struct p2m_stats sa, sb;
	uint64_t ha[2] = { 0 }, hb[2] = { 0 };
	struct p2m_iter ia, ib;
	struct p2m_run ra, rb;
	bool more_a, more_b;

	p2m_get_stats(a, &sa);
	p2m_get_stats(b, &sb);
	if (memcmp(&sa, &sb, sizeof(sa)))
		return "stats";
	if (a->nr_implicit != b->nr_implicit || a->brk_used != b->brk_used ||
	    a->next_synthetic_mfn != b->next_synthetic_mfn || a->frames.nr != b->frames.nr ||
	    memcmp(a->nr_leaf, b->nr_leaf, sizeof(a->nr_leaf)) ||
	    memcmp(a->nr_mid, b->nr_mid, sizeof(a->nr_mid)) ||
	    memcmp(a->nr_mirror, b->nr_mirror, sizeof(a->nr_mirror)))
		return "counters";
	p2m_frame_runs(a, collect_frame_run, ha);
	p2m_frame_runs(b, collect_frame_run, hb);
	if (memcmp(ha, hb, sizeof(ha)))
		return "frame runs";
	p2m_iter_init(&ia, a, 0, TWIN_SPACE, P2M_ITER_SPLIT_LEVELS);
	p2m_iter_init(&ib, b, 0, TWIN_SPACE, P2M_ITER_SPLIT_LEVELS);
	do {
		more_a = p2m_iter_next(&ia, &ra);
		more_b = p2m_iter_next(&ib, &rb);
		if (more_a != more_b || (more_a && memcmp(&ra, &rb, sizeof(ra))))
			return "type runs";
	} while (more_a);
	for (uint64_t t = 0; t < a->v.nr_top; t++) {
		const struct p2m_mid *ma = p2m_top_mid(a, t), *mb = p2m_top_mid(b, t);

		if ((ma == a->mid_missing) != (mb == b->mid_missing) ||
		    (ma == a->mid_identity) != (mb == b->mid_identity))
			return "shared mids";
		if (p2m_mid_is_shared(ma))
			continue;
		if (ma->nr_segs != mb->nr_segs || ma->nr_missing != mb->nr_missing ||
		    ma->nr_identity != mb->nr_identity || ma->mfn != mb->mfn ||
		    ma->src != mb->src || ma->seg_mirror != mb->seg_mirror ||
		    ma->mirror_mfn != mb->mirror_mfn || ma->base != mb->base)
			return "mid headers";
		for (unsigned int k = 0; k < ma->nr_segs; k++) {
			const struct p2m_seg *x = &ma->segs[k], *y = &mb->segs[k];

			if (x->start != y->start || x->kind != y->kind || x->src != y->src ||
			    x->v0 != y->v0 || x->mirror_missing != y->mirror_missing)
				return "segments";
		}
		for (unsigned int m = 0; !ma->nr_segs && m < a->per_mid; m++) {
			uint64_t va = 0, vb = 0;
			const struct p2m_leaf *la = p2m_mid_slot(a, ma, m, &va);
			const struct p2m_leaf *lb = p2m_mid_slot(b, mb, m, &vb);

			if ((la == a->missing) != (lb == b->missing) ||
			    (la == a->identity) != (lb == b->identity) ||
			    (la == a->linear) != (lb == b->linear) || va != vb)
				return "slots";
			if (la == a->linear && p2m_mid_lsrc(a, ma)[m] != p2m_mid_lsrc(b, mb)[m])
				return "implicit leaf sources";
			if (!p2m_leaf_is_shared(la) &&
			    (la->mfn != lb->mfn || la->src != lb->src ||
			     memcmp(la->e, lb->e, a->per_leaf * sizeof(la->e[0]))))
				return "leaf pages";
		}
		if ((ma->mirror != NULL) != (mb->mirror != NULL) ||
		    (ma->mirror && memcmp(ma->mirror, mb->mirror, a->per_mid * sizeof(uint64_t))))
			return "mirror pages";
	}
	/* (its entries hold page addresses: p2m_check() compares them with
	 * the tree) */
	if (a->v.dir_n != b->v.dir_n)
		return "leaf directory";
	return NULL;
}

/* Random runs as builders and balloons give them: Xen's descending 1 GiB
 * chunks, whole leaves, odd pfns, frames near the flag bits, zero-length
 * runs, runs that continue each other; one list in eight out of order
 * or overlapping. */
static size_t twin_runs_gen(struct rng *r, struct p2m_frame_run *runs, size_t most)
{
	size_t nr = 1 + rnd_below(r, most);
	uint64_t pfn = rnd_below(r, 4) ? rnd_below(r, TWIN_SPACE / 2) & ~511ULL :
					 rnd_below(r, TWIN_SPACE / 2);
	uint64_t mfn = 1 + rnd_below(r, 1ULL << 40);

	for (size_t i = 0; i < nr; i++) {
		uint64_t n;

		switch (rnd_below(r, 6)) {
		case 0:
			n = 1ULL << 18; /* a whole GiB */
			break;
		case 1:
			n = 512 * (1 + rnd_below(r, 1024));
			break;
		case 2:
			n = 1 + rnd_below(r, 4096);
			break;
		case 3:
			n = 0;
			break;
		default:
			n = 512 * (1 + rnd_below(r, 64));
			break;
		}
		switch (rnd_below(r, 6)) {
		case 0: /* continues the run before, frames and all */
			if (i) {
				pfn = runs[i - 1].pfn + runs[i - 1].n;
				mfn = runs[i - 1].mfn + runs[i - 1].n;
				break;
			}
			/* fall through */
		case 1: /* Xen's next chunk: just below the last */
			pfn += i ? runs[i - 1].n : 0;
			mfn = mfn > n + (1ULL << 18) ? mfn - n - (1ULL << 18) :
						       1 + rnd_below(r, 1 << 20);
			break;
		case 2: /* a gap of whole leaves */
			pfn += (i ? runs[i - 1].n : 0) + 512 * rnd_below(r, 600);
			mfn = 1 + rnd_below(r, 1ULL << 40);
			break;
		case 3: /* frames that end at a flag bit or INVALID */
			pfn += (i ? runs[i - 1].n : 0) + rnd_below(r, 3);
			mfn = (rnd_below(r, 2) ? (1ULL << 62) : (1ULL << 63)) - rnd_below(r, 2048) -
			      1;
			break;
		default:
			pfn += (i ? runs[i - 1].n : 0) + rnd_below(r, 2) * rnd_below(r, 100000);
			mfn = 1 + rnd_below(r, 1ULL << 40);
			break;
		}
		if (pfn >= TWIN_SPACE)
			return i;
		if (n > TWIN_SPACE - pfn)
			n = TWIN_SPACE - pfn;
		runs[i] = (struct p2m_frame_run){ pfn, mfn, n };
	}
	if (nr > 1 && rnd_below(r, 8) == 0) {
		size_t x = rnd_below(r, nr), y = rnd_below(r, nr);
		struct p2m_frame_run tmp = runs[x];

		runs[x] = runs[y];
		runs[y] = tmp;
		if (rnd_below(r, 2))
			runs[y].pfn -= runs[y].pfn > 700 ? 700 : 0;
	}
	return nr;
}

/* Random state first (ranges and single entries, the same on both). */
static int twin_prelude(struct rng *r, struct p2m *a, struct p2m *b)
{
	unsigned int nr = (unsigned int)rnd_below(r, 12);

	for (unsigned int i = 0; i < nr; i++) {
		uint64_t s = rnd_below(r, TWIN_SPACE), e = s + rnd_below(r, 1ULL << 20);
		uint64_t kind = rnd_below(r, 4), mfn = 1 + rnd_below(r, 1ULL << 40);
		enum p2m_fill fill = kind == 0 ? P2M_FILL_IDENTITY :
				     kind == 1 ? P2M_FILL_MISSING :
						 P2M_FILL_MFN;

		if (rnd_below(r, 2))
			s &= ~511ULL, e &= ~511ULL;
		if (e > TWIN_SPACE)
			e = TWIN_SPACE;
		if (kind == 3) {
			if (p2m_set(a, s, mfn, NULL) < 0 || p2m_set(b, s, mfn, NULL) < 0)
				return -1;
			continue;
		}
		if (p2m_set_range(a, s, e, fill, mfn, NULL, NULL) < 0 ||
		    p2m_set_range(b, s, e, fill, mfn, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

/* @rounds of random run lists on twins, one given p2m_set_runs(), the
 * other p2m_set_range() for each run; returns the failures and counts
 * the mids kept as segments the lists made in *@built. */
static int twin_set_runs(uint64_t seed, unsigned int rounds, bool compact, uint64_t *built)
{
	struct p2m_frame_run runs[64];
	struct rng r = { seed };
	int failed = 0;

	for (unsigned int round = 0; round < rounds && !failed; round++) {
		struct p2m *a = new_modern(TWIN_SPACE, compact),
			   *b = new_modern(TWIN_SPACE, compact);

		if (!a || !b || twin_prelude(&r, a, b) < 0) {
			failed = 1;
		} else {
			for (int batch = 0; batch < 3 && !failed; batch++) {
				size_t nr = twin_runs_gen(&r, runs, 64);
				struct p2msim_err ea = { 0 }, eb = { 0 };
				int rca = p2m_set_runs(a, runs, nr, &ea), rcb = 0;
				const char *what;

				for (size_t i = 0; i < nr && rcb == 0; i++)
					rcb = p2m_set_range(b, runs[i].pfn, runs[i].pfn + runs[i].n,
							    P2M_FILL_MFN, runs[i].mfn, NULL, &eb);
				what = rca != rcb || strcmp(ea.msg, eb.msg) ? "result" :
									      twin_differs(a, b);
				if (!what && (p2m_check(a, &ea) < 0 || p2m_check(b, &ea) < 0))
					what = ea.msg;
				if (what) {
					fprintf(stderr,
						"\n    seed %#" PRIx64
						" round %u batch %d: %s differ "
						"(%d/%d: %s / %s)\n",
						seed, round, batch, what, rca, rcb, ea.msg, eb.msg);
					failed = 1;
				}
			}
			*built += count_seg_mids(a);
		}
		p2m_free(a);
		p2m_free(b);
	}
	return failed;
}

static void test_set_runs_as_run_after_run(void)
{
	uint64_t seed = test_seed(), built = 0;

	printf("[seed %#" PRIx64 "] ", seed);
	CU_ASSERT_EQUAL(twin_set_runs(seed, 300, false, &built), 0);
	CU_ASSERT_EQUAL(twin_set_runs(seed + 1, 300, true, &built), 0);
	CU_ASSERT(built > 300);
}

/* Frames written back over empty leaves (what the balloon took out and
 * gives back): those leaves are the kernel's pages already, nothing more
 * is charged, and the piece-by-piece way agrees. */
static void test_frames_over_empty_leaves(void)
{
	struct p2m *p = new_modern(1ULL << 20, false);
	struct p2m_stats before, after;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40000, 0x80000, P2M_FILL_MFN, 0x100000, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p2m_set_range_pfnwise(p, 0x40800, 0x41000, P2M_FILL_MISSING, 0, NULL), 0);
	CU_ASSERT_EQUAL(count_seg_mids(p), 1);
	assert_check(p);
	p2m_get_stats(p, &before);
	CU_ASSERT_EQUAL(p2m_set_range(p, 0x40800, 0x41000, P2M_FILL_MFN, 0x900000, NULL, NULL), 0);
	assert_check(p);
	p2m_get_stats(p, &after);
	CU_ASSERT_EQUAL(count_seg_mids(p), 1);
	CU_ASSERT_EQUAL(after.leaf, before.leaf);
	CU_ASSERT_EQUAL(after.allocs, before.allocs);
	CU_ASSERT_EQUAL(after.implicit, before.implicit + 4);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40800), 0x900000);
	CU_ASSERT_EQUAL(p2m_get(p, 0x40fff), 0x9007ff);
	p2m_free(p);
}

/* Xen's dom0 chunks: 1 GiB each, frames descending chunk by chunk, not
 * aligned to a GiB of pfns: every mid is made once, as two segments. */
static void test_set_runs_builder_chunks(void)
{
	struct p2m *p = new_modern(1ULL << 26, false), *q = new_modern(1ULL << 26, false);
	struct p2m_frame_run runs[200];
	struct p2m_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	for (size_t i = 0; i < 200; i++)
		runs[i] = (struct p2m_frame_run){ 0x800 + (i << 18), (1ULL << 40) - ((i + 1) << 18),
						  1ULL << 18 };
	CU_ASSERT_EQUAL(p2m_set_runs(p, runs, 200, NULL), 0);
	for (size_t i = 0; i < 200; i++)
		CU_ASSERT_EQUAL(p2m_set_range(q, runs[i].pfn, runs[i].pfn + runs[i].n, P2M_FILL_MFN,
					      runs[i].mfn, NULL, NULL),
				0);
	CU_ASSERT_PTR_NULL(twin_differs(p, q));
	CU_ASSERT_EQUAL(count_seg_mids(p), 201);
	for (uint64_t t = 1; t < 200; t++)
		CU_ASSERT_EQUAL(p2m_top_mid(p, t)->nr_segs, 2);
	p2m_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.implicit, 200ULL << 9);
	CU_ASSERT_EQUAL(p2m_get(p, 0x800), (1ULL << 40) - (1ULL << 18));
	CU_ASSERT_EQUAL(p2m_get(p, 0x800 + (1ULL << 18)), (1ULL << 40) - (2ULL << 18));
	CU_ASSERT_EQUAL(p2m_lookup(p, 0x7ff), INVALID);
	assert_check(p);
	p2m_free(p);
	p2m_free(q);
}

static const struct test_case tree_2639_behaviours[] = {
	{ "seed_identity_count", test_seed_identity_count },
	{ "seed_brk_pages", test_seed_brk_pages },
	{ "seed_boundary_leaves", test_seed_boundary_leaves },
	{ "seed_lookups", test_seed_lookups },
	{ "whole_gib_identity_2639", test_whole_gib_identity_2639 },
	{ "multi_gib_identity_2639", test_multi_gib_identity_2639 },
	{ "cow_drops_identity_2639", test_cow_drops_identity_2639 },
	{ "2639_range_at_max_p2m_pfn", test_2639_range_at_max_p2m_pfn },
	{ "2639_brk_exhausted", test_2639_brk_exhausted },
	{ "2639_set_noalloc_quirks", test_2639_set_noalloc_quirks },
	{ "iter_levels_of_seed", test_iter_levels_of_seed },
	{ NULL, NULL },
};

static const struct test_case modern_cases[] = {
	{ "modern_cow_keeps_identity", test_modern_cow_keeps_identity },
	{ "modern_set_noalloc_on_shared", test_modern_set_noalloc_on_shared },
	{ "range_touches_only_boundaries", test_range_touches_only_boundaries },
	{ "range_terabyte_identity_is_cheap", test_range_terabyte_identity_is_cheap },
	{ "range_mfn_run", test_range_mfn_run },
	{ "linear_run_whole_leaves_are_implicit", test_linear_run_whole_leaves_are_implicit },
	{ "write_breaks_and_reforms_implicit_leaf", test_write_breaks_and_reforms_implicit_leaf },
	{ "materialise_and_unfit_runs", test_materialise_and_unfit_runs },
	{ "mirror_reads_like_the_tree", test_mirror_reads_like_the_tree },
	{ "x86_32_geometry", test_x86_32_geometry },
	{ "capacity_2_36", test_capacity_2_36 },
	{ "compaction_reaches_lower_bound", test_compaction_reaches_lower_bound },
	{ NULL, NULL },
};

static const struct test_case differential_cases[] = {
	{ "differential_million_ops", test_differential_million_ops },
	{ "set_runs_as_run_after_run", test_set_runs_as_run_after_run },
	{ "set_runs_builder_chunks", test_set_runs_builder_chunks },
	{ "frames_over_empty_leaves", test_frames_over_empty_leaves },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tree_2639_behaviours", tree_2639_behaviours },
	{ "modern", modern_cases },
	{ "differential", differential_cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
