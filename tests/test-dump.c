/* SPDX-License-Identifier: MIT */
/*
 * tests/test-dump.c - debugfs p2m writers, run lists, parsers and diff, one
 * test per behaviour.
 *
 * The dumps of doc/behaviours.md (old-dump-of-seed, modern-dump-of-seed,
 * p2m-limit-512g, remap-low-hole) are built on the engine the way the kernel
 * builds them; every text format goes through writer -> parser round trips;
 * the lab captures in tests/data/dump are parsed; diffs are checked on
 * crafted pairs; junk input must give "NAME:LINE: ..." errors, never a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "debugfs-dump/dump.h"
#include "tests/testutil.h"
#include "util/text.h"

#define INVALID ~0ULL
#define ID(pfn) ((pfn) | (1ULL << 62))
#define FOREIGN(mfn) ((mfn) | (1ULL << 63))

/* --- building P2Ms ----------------------------------------------------------- */

/* The 2.6.39 policy at engine level (as in tests/test-p2m.c). */
static struct p2m *new_2639(void)
{
	struct p2m_config cfg;
	struct p2m *p = NULL;

	p2m_config_init(&cfg, P2M_ARCH_X86_64, 0);
	p2m_config_rules_2639(&cfg);
	cfg.shared_from_brk = true;
	CU_ASSERT_EQUAL_FATAL(p2m_new(&p, &cfg, NULL), 0);
	return p;
}

static struct p2m *new_modern(uint64_t nr_pfns)
{
	struct p2m_config cfg;
	struct p2m *p = NULL;

	p2m_config_init(&cfg, P2M_ARCH_X86_64, nr_pfns);
	CU_ASSERT_EQUAL_FATAL(p2m_new(&p, &cfg, NULL), 0);
	return p;
}

static void set_range(struct p2m *p, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn)
{
	struct p2msim_err err = { 0 };
	int rc = p2m_set_range(p, s, e, fill, mfn, NULL, &err);

	if (rc < 0)
		fprintf(stderr, "\n    p2m_set_range: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void set_one(struct p2m *p, uint64_t pfn, uint64_t v)
{
	CU_ASSERT_EQUAL_FATAL(p2m_set(p, pfn, v, NULL), 0);
}

/* Seed map S under 2.6.39: dom0 with nr_pages 0x40000 grafted from the
 * builder's list, then identity(0x40500, 0x7D100) (doc/behaviours.md#the-seed-map-s). */
static struct p2m *seed_2639(void)
{
	struct p2m *p = new_2639();
	uint64_t *list = malloc(0x40000 * sizeof(*list));

	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	for (uint64_t i = 0; i < 0x40000; i++)
		list[i] = 0x100000 + i;
	p2m_set_alloc_src(p, P2M_SRC_BRK);
	CU_ASSERT_EQUAL_FATAL(p2m_graft_list(p, list, 0x40000, NULL), 0);
	free(list);
	set_range(p, 0x40500, 0x7D100, P2M_FILL_IDENTITY, 0);
	return p;
}

/*
 * Seed map S under 3.19+ (doc/design-p2m.md#linear-list, doc/eras.md#memory-setup,
 * doc/behaviours.md#modern-seed): the early list
 * holds RAM [0, 0x40000); xen_rebuild_p2m_list reads every pfn at or above
 * the old xen_p2m_size as identity and maps uniform chunks to the shared
 * identity page; xen_inv_extra_mem then writes INVALID over the extra
 * regions [0x40000, +0x500) and [0x7D100, +0x12F00), copying the identity
 * pages it touches (with identity values).
 */
static struct p2m *seed_modern(uint64_t xen_p2m_size)
{
	struct p2m *p = new_modern(xen_p2m_size);

	set_range(p, 0, 0x40000, P2M_FILL_MFN, 0x100000);
	set_range(p, 0x40000, xen_p2m_size, P2M_FILL_IDENTITY, 0);
	set_range(p, 0x40000, 0x40500, P2M_FILL_MISSING, 0);
	set_range(p, 0x7D100, 0x7D100 + 0x12F00, P2M_FILL_MISSING, 0);
	return p;
}

/* --- capturing output ---------------------------------------------------------- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->f);
}

static char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static char *old_text(const struct p2m *p, uint64_t n)
{
	struct capture c;

	cap_open(&c);
	CU_ASSERT_EQUAL(dump_write_old(c.f, p, n, NULL), 0);
	return cap_close(&c);
}

static char *modern_text(const struct p2m *p, uint64_t n)
{
	struct capture c;

	cap_open(&c);
	CU_ASSERT_EQUAL(dump_write_modern(c.f, p, n, NULL), 0);
	return cap_close(&c);
}

static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want))
		fprintf(stderr, "\n--- want:\n%s--- got:\n%s---\n", want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void assert_same_runs(const struct dump_runs *a, const struct dump_runs *b)
{
	CU_ASSERT_EQUAL_FATAL(a->nr, b->nr);
	for (size_t i = 0; i < a->nr; i++) {
		CU_ASSERT_EQUAL(a->runs[i].start, b->runs[i].start);
		CU_ASSERT_EQUAL(a->runs[i].end, b->runs[i].end);
		CU_ASSERT_EQUAL(a->runs[i].type, b->runs[i].type);
	}
	CU_ASSERT_EQUAL(a->start, b->start);
	CU_ASSERT_EQUAL(a->end, b->end);
	CU_ASSERT_EQUAL(a->covered, b->covered);
}

static void parse_ok(struct dump_runs *r, const char *text, enum dump_format want)
{
	struct p2msim_err err = { 0 };
	int rc = dump_parse(r, text, strlen(text), "t", DUMP_FMT_UNKNOWN, &err);

	if (rc < 0)
		fprintf(stderr, "\n    %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(r->format, want);
}

/* Build a run list from a { start, end, type } table. */
static void runs_of(struct dump_runs *r, enum dump_format fmt, const struct dump_run *t, size_t n)
{
	dump_runs_init(r);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(dump_runs_add(r, t[i].start, t[i].end, t[i].type, NULL), 0);
	r->format = fmt;
}

#define RUNS(r, fmt, ...)                                            \
	do {                                                         \
		static const struct dump_run t_[] = { __VA_ARGS__ }; \
		runs_of((r), (fmt), t_, sizeof(t_) / sizeof(t_[0])); \
	} while (0)

static const char *data_path(char *buf, size_t n, const char *file)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, n, "%s/tests/data/dump/%s", top ? top : ".", file);
	return buf;
}

/* --- old format (2.6.39-3.18) ------------------------------------------------- */

static const char ROW4[] = " [0x0->0x40000] pfn\n"
			   " [0x0->0x40000] level entry\n"
			   " [0x40000->0x40400] level middle\n"
			   " [0x40000->0x40500] missing\n"
			   " [0x40400->0x40600] level entry\n"
			   " [0x40600->0x7d000] level middle\n"
			   " [0x40500->0x7d100] identity\n"
			   " [0x7d000->0x7d200] level entry\n"
			   " [0x7d200->0x80000] level middle\n"
			   " [0x7d100->0x1ffffff] missing\n"
			   " [0x80000->0x1ffffff] level top\n";

/* doc/behaviours.md#old-dump-of-seed: the seed's old debugfs file is exactly these 11 lines. */
static void test_old_dump_of_seed_is_11_lines(void)
{
	struct p2m *p = seed_2639();
	char *got = old_text(p, 0x2000000);

	assert_text(got, ROW4);
	free(got);
	p2m_free(p);
}

/* The old loop never reports its last pfn: ranges end at MAX - 1, for any
 * MAX_DOMAIN_PAGES (here the 500 GiB and 64 GiB Kconfig values). */
static void test_old_dump_ends_before_last_pfn(void)
{
	struct p2m *p = seed_2639();
	char *got = old_text(p, 0x7D00000);

	CU_ASSERT_PTR_NOT_NULL(strstr(got, " [0x7d100->0x7cfffff] missing\n"
					   " [0x80000->0x7cfffff] level top\n"));
	free(got);
	got = old_text(p, 0x1000000);
	CU_ASSERT_PTR_NOT_NULL(strstr(got, " [0x80000->0xffffff] level top\n"));
	free(got);
	p2m_free(p);
}

/* A run of zero entries reaching the last pfn: the forced abnormal type
 * equals it, so no type line closes it; only the level line does.  The
 * parser restores the unprinted abnormal run. */
static void test_old_dump_zero_entries_and_silent_last_run(void)
{
	struct p2m *p = new_modern(1 << 20);
	struct dump_runs r, direct;
	char *got;

	set_range(p, 0, 0x800, P2M_FILL_MFN, 0x1000);
	for (uint64_t pfn = 0x800; pfn < 0xA00; pfn++)
		set_one(p, pfn, 0);
	got = old_text(p, 0xA00);
	assert_text(got, " [0x0->0x800] pfn\n"
			 " [0x0->0x9ff] level entry\n");
	parse_ok(&r, got, DUMP_FMT_OLD);
	CU_ASSERT_EQUAL(r.nr, 2);
	CU_ASSERT_EQUAL(r.runs[1].start, 0x800);
	CU_ASSERT_EQUAL(r.runs[1].end, 0x9ff);
	CU_ASSERT_EQUAL(r.runs[1].type, P2M_ABNORMAL);
	CU_ASSERT_EQUAL_FATAL(dump_runs_from_old(&direct, p, 0xA00, NULL), 0);
	assert_same_runs(&r, &direct);
	dump_runs_free(&direct);
	dump_runs_free(&r);
	free(got);
	p2m_free(p);
}

/* Whatever the last pfn holds, the loop replaces it by (abnormal,
 * abnormal): a type change exactly there is never printed. */
static void test_old_dump_last_pfn_is_never_classified(void)
{
	struct p2m *p = new_modern(1 << 20);
	char *got;

	set_range(p, 0, 0x1ff, P2M_FILL_MFN, 0x1000);
	got = old_text(p, 0x200);
	CU_ASSERT_EQUAL(p2m_type_at(p, 0x1ff), P2M_MISSING);
	assert_text(got, " [0x0->0x1ff] pfn\n"
			 " [0x0->0x1ff] level entry\n");
	free(got);
	p2m_free(p);
}

/* MAX_DOMAIN_PAGES 1 and 0: the loop's seed and forced values meet at pfn
 * 0; with no pfn at all nothing is printed. */
static void test_old_dump_degenerate_sizes(void)
{
	struct p2m *p = new_modern(1 << 20);
	char *got;

	set_range(p, 0, 0x10, P2M_FILL_MFN, 0x1000);
	got = old_text(p, 1);
	assert_text(got, " [0x0->0x0] pfn\n [0x0->0x0] level entry\n");
	free(got);
	got = old_text(p, 0);
	assert_text(got, "");
	free(got);
	p2m_free(p);
}

/* The old dump calls only IDENTITY_FRAME(pfn) itself identity; other
 * identity-bit values and foreign frames are "pfn". */
static void test_old_dump_exact_identity_and_foreign(void)
{
	struct p2m *p = new_modern(1 << 20);
	char *got;

	set_range(p, 0, 0x200, P2M_FILL_MFN, 0x1000);
	set_one(p, 0x10, ID(0x10));
	set_one(p, 0x11, ID(0x99)); /* wrong pfn: not identity */
	set_one(p, 0x12, FOREIGN(0x5));
	got = old_text(p, 0x200);
	assert_text(got, " [0x0->0x10] pfn\n"
			 " [0x10->0x11] identity\n"
			 " [0x11->0x1ff] pfn\n"
			 " [0x0->0x1ff] level entry\n");
	free(got);
	p2m_free(p);
}

/* 3.14-3.18's shared identity mid: its slots all point at p2m_identity,
 * so the old loop sees (middle, identity). */
static void test_old_dump_mid_identity_reads_middle(void)
{
	struct p2m *p = new_modern(1 << 20);
	char *got;

	set_range(p, 0x40000, 0x80000, P2M_FILL_IDENTITY, 0);
	got = old_text(p, 0xC0000);
	assert_text(got, " [0x0->0x40000] missing\n"
			 " [0x0->0x40000] level top\n"
			 " [0x40000->0x80000] identity\n"
			 " [0x40000->0x80000] level middle\n"
			 " [0x80000->0xbffff] missing\n"
			 " [0x80000->0xbffff] level top\n");
	free(got);
	p2m_free(p);
}

static void test_writers_refuse_beyond_capacity(void)
{
	struct p2m *p = new_modern(1 << 18);
	struct p2msim_err err = { 0 };
	struct dump_runs r;

	CU_ASSERT_EQUAL(dump_write_old(stdout, p, (1 << 18) + 1, &err), -ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "capacity"));
	CU_ASSERT_EQUAL(dump_write_modern(stdout, p, 1 << 19, NULL), -ERANGE);
	CU_ASSERT_EQUAL(dump_runs_from_modern(&r, p, 1 << 19, NULL), -ERANGE);
	CU_ASSERT_EQUAL(r.nr, 0);
	p2m_free(p);
}

/* --- modern format (3.19+) ------------------------------------------------------ */

static const char ROW12[] = " [0x0->0x40000] pfn\n"
			    " [0x40000->0x40500] missing\n"
			    " [0x40500->0x40600] identity\n"
			    " [0x40600->0x7d000] missing\n"
			    " [0x7d000->0x7d100] identity\n"
			    " [0x7d100->0xc0000] missing\n";

/* doc/behaviours.md#modern-dump-of-seed: compact identity prints as missing; only the identity
 * values copied into private leaves print as identity. */
static void test_modern_dump_of_seed(void)
{
	struct p2m *p = seed_modern(0xC0000);
	char *got = modern_text(p, 0xC0000);

	assert_text(got, ROW12);
	/* the P2M itself does hold identity there */
	CU_ASSERT_EQUAL(p2m_type_at(p, 0x50000), P2M_IDENTITY);
	CU_ASSERT_EQUAL(p2m_type_at(p, 0xA0000), P2M_IDENTITY);
	free(got);
	p2m_free(p);
}

/* The same P2M built the short way (identity set straight on the list)
 * prints the same file. */
static void test_modern_dump_direct_identity(void)
{
	struct p2m *p = new_modern(0xC0000);
	char *got;

	set_range(p, 0, 0x40000, P2M_FILL_MFN, 0x100000);
	set_range(p, 0x40500, 0x7D100, P2M_FILL_IDENTITY, 0);
	got = modern_text(p, 0xC0000);
	assert_text(got, ROW12);
	free(got);
	p2m_free(p);
}

/* doc/behaviours.md#p2m-limit-512g: with P2M_LIMIT 512 GiB, xen_p2m_size is 0x8000000 and
 * the whole shared identity mids above 2 GiB print as missing too. */
static void test_modern_dump_p2m_limit_512g(void)
{
	struct p2m *p = seed_modern(0x8000000);
	char *got = modern_text(p, 0x8000000);
	struct p2m_iter it;
	struct p2m_run run;
	bool top_identity = false;

	p2m_iter_init(&it, p, 0, 0x8000000, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run))
		top_identity |= run.level == P2M_LEVEL_TOP && run.type == P2M_IDENTITY;
	CU_ASSERT_TRUE(top_identity);
	assert_text(got, " [0x0->0x40000] pfn\n"
			 " [0x40000->0x40500] missing\n"
			 " [0x40500->0x40600] identity\n"
			 " [0x40600->0x7d000] missing\n"
			 " [0x7d000->0x7d100] identity\n"
			 " [0x7d100->0x8000000] missing\n");
	free(got);
	p2m_free(p);
}

/* doc/behaviours.md#remap-low-hole: 97 pages of the ISA hole remapped above nr_pages. */
static void test_modern_dump_remap_low_hole(void)
{
	struct p2m *p = new_modern(0xC0000);
	char *got;

	set_range(p, 0, 0x40000, P2M_FILL_MFN, 0x100000);
	set_range(p, 0x9F, 0x100, P2M_FILL_IDENTITY, 0);      /* 6.1 outward rounding */
	set_range(p, 0x40000, 0xC0000, P2M_FILL_IDENTITY, 0); /* rebuild */
	set_range(p, 0x40000, 0x40500, P2M_FILL_MISSING, 0);  /* xen_inv_extra_mem */
	set_range(p, 0x7D100, 0x90000, P2M_FILL_MISSING, 0);
	set_range(p, 0x40000, 0x40061, P2M_FILL_MFN, 0x10009F); /* xen_remap_memory */
	got = modern_text(p, 0xC0000);
	assert_text(got, " [0x0->0x9f] pfn\n"
			 " [0x9f->0x100] identity\n"
			 " [0x100->0x40061] pfn\n"
			 " [0x40061->0x40500] missing\n"
			 " [0x40500->0x40600] identity\n"
			 " [0x40600->0x7d000] missing\n"
			 " [0x7d000->0x7d100] identity\n"
			 " [0x7d100->0xc0000] missing\n");
	free(got);
	p2m_free(p);
}

/* The modern dump reads values: any identity bit is identity (foreign
 * frames with it too), other foreign frames are pfn, zero is pfn. */
static void test_modern_dump_value_classes(void)
{
	struct p2m *p = new_modern(1 << 20);
	char *got;

	set_range(p, 0, 0x200, P2M_FILL_MFN, 0x1000);
	set_one(p, 0x10, ID(0x99));
	set_one(p, 0x11, FOREIGN(0x5));
	set_one(p, 0x12, FOREIGN(ID(0x5)));
	set_one(p, 0x13, 0);
	got = modern_text(p, 0x200);
	assert_text(got, " [0x0->0x10] pfn\n"
			 " [0x10->0x11] identity\n"
			 " [0x11->0x12] pfn\n"
			 " [0x12->0x13] identity\n"
			 " [0x13->0x200] pfn\n");
	free(got);
	p2m_free(p);
}

/* xen_p2m_size 0: the loop is empty and the final line still prints the
 * type of pfn 0, identity beyond the list. */
static void test_modern_dump_empty_list(void)
{
	struct p2m *p = new_modern(1 << 18);
	char *got = modern_text(p, 0);

	assert_text(got, " [0x0->0x0] identity\n");
	free(got);
	p2m_free(p);
}

/* Dumps cost runs + private pages: a 256 TiB P2M with a few runs dumps at
 * once (a per-pfn loop would take minutes). */
static void test_dumps_of_256T_are_cheap(void)
{
	struct p2m *p = new_modern(1ULL << 36);
	clock_t t0 = clock();
	FILE *null = fopen("/dev/null", "w");
	struct dump_runs r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(null);
	set_range(p, 0, 0x40000, P2M_FILL_MFN, 0x100000);
	set_range(p, 0x40100, (1ULL << 36) - 0x100, P2M_FILL_IDENTITY, 0);
	CU_ASSERT_EQUAL(dump_write_modern(null, p, 1ULL << 36, NULL), 0);
	CU_ASSERT_EQUAL(dump_write_old(null, p, 1ULL << 36, NULL), 0);
	CU_ASSERT_EQUAL(dump_runs_from_p2m(&r, p, 0, 1ULL << 36, NULL), 0);
	CU_ASSERT_EQUAL(r.nr, 4);
	dump_runs_free(&r);
	fclose(null);
	CU_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0);
	p2m_free(p);
}

/* --- round trips ------------------------------------------------------------------- */

/* Old dump text -> parser == the collector, and the types are the engine's
 * exact-identity runs below MAX - 1. */
static void test_old_dump_round_trip(void)
{
	struct p2m *p = seed_2639();
	char *text = old_text(p, 0x2000000);
	struct dump_runs parsed, direct;
	struct p2m_iter it;
	struct p2m_run run;
	size_t i = 0;

	parse_ok(&parsed, text, DUMP_FMT_OLD);
	CU_ASSERT_EQUAL_FATAL(dump_runs_from_old(&direct, p, 0x2000000, NULL), 0);
	assert_same_runs(&parsed, &direct);
	CU_ASSERT_EQUAL(parsed.nr_levels, 7);
	CU_ASSERT_EQUAL_FATAL(parsed.nr_levels, direct.nr_levels);
	for (size_t k = 0; k < parsed.nr_levels; k++) {
		CU_ASSERT_EQUAL(parsed.levels[k].start, direct.levels[k].start);
		CU_ASSERT_EQUAL(parsed.levels[k].end, direct.levels[k].end);
		CU_ASSERT_EQUAL(parsed.levels[k].level, direct.levels[k].level);
	}
	CU_ASSERT_EQUAL(parsed.levels[6].level, DUMP_LEVEL_TOP);
	CU_ASSERT_EQUAL(parsed.levels[6].end, 0x1ffffff);
	p2m_iter_init(&it, p, 0, 0x2000000 - 1, P2M_ITER_EXACT_IDENTITY | P2M_ITER_ZERO_ABNORMAL);
	while (p2m_iter_next(&it, &run)) {
		CU_ASSERT_FATAL(i < parsed.nr);
		CU_ASSERT_EQUAL(parsed.runs[i].start, run.start);
		CU_ASSERT_EQUAL(parsed.runs[i].end, run.end);
		CU_ASSERT_EQUAL(parsed.runs[i].type, run.type);
		i++;
	}
	CU_ASSERT_EQUAL(i, parsed.nr);
	CU_ASSERT_EQUAL(parsed.end, 0x1ffffff);
	dump_runs_free(&parsed);
	dump_runs_free(&direct);
	free(text);
	p2m_free(p);
}

static void test_modern_dump_round_trip(void)
{
	struct p2m *p = seed_modern(0xC0000);
	char *text = modern_text(p, 0xC0000);
	struct dump_runs parsed, direct;

	parse_ok(&parsed, text, DUMP_FMT_MODERN);
	CU_ASSERT_EQUAL_FATAL(dump_runs_from_modern(&direct, p, 0xC0000, NULL), 0);
	CU_ASSERT_EQUAL(direct.format, DUMP_FMT_MODERN);
	assert_same_runs(&parsed, &direct);
	CU_ASSERT_EQUAL(parsed.nr, 6);
	CU_ASSERT_EQUAL(parsed.nr_levels, 0);
	CU_ASSERT_EQUAL(parsed.end, 0xC0000);
	dump_runs_free(&parsed);
	dump_runs_free(&direct);
	free(text);
	p2m_free(p);
}

static const char SEED_RUNS[] =
	"# p2msim runs v1: [start, end) pfn ranges in hex, type, pages\n"
	"0x0-0x40000 pfn 262144\n"
	"0x40000-0x40500 missing 1280\n"
	"0x40500-0x7d100 identity 248832\n"
	"0x7d100-0x90000 missing 77568\n"
	"0x90000-0xc0000 identity 196608\n"
	"# pages 786432: pfn 262144 identity 445440 missing 78848 foreign 0\n";

/* The run list is semantic: the shared identity pages are identity. */
static void test_run_list_write_and_parse(void)
{
	struct p2m *p = seed_modern(0xC0000);
	struct dump_runs r, back;
	struct capture c;

	CU_ASSERT_EQUAL_FATAL(dump_runs_from_p2m(&r, p, 0, 0xC0000, NULL), 0);
	cap_open(&c);
	CU_ASSERT_EQUAL(dump_runs_write(c.f, &r), 0);
	cap_close(&c);
	assert_text(c.buf, SEED_RUNS);
	parse_ok(&back, c.buf, DUMP_FMT_RUNS);
	assert_same_runs(&back, &r);
	dump_runs_free(&back);
	dump_runs_free(&r);
	free(c.buf);
	p2m_free(p);
}

/* Without header, counts or in the writer's spacing, with gaps and with
 * split runs of one type, the run list still parses. */
static void test_run_list_tolerant_forms(void)
{
	struct dump_runs r;

	parse_ok(&r,
		 "\n  0x0-0x10   pfn\n0x10-0x20 pfn 16\n\n0x30-0x40 foreign\n"
		 "0x40-0x41 abnormal 1\n",
		 DUMP_FMT_RUNS);
	CU_ASSERT_EQUAL(r.nr, 3);
	CU_ASSERT_EQUAL(r.runs[0].end, 0x20);
	CU_ASSERT_EQUAL(r.runs[1].type, P2M_FOREIGN);
	CU_ASSERT_EQUAL(r.start, 0);
	CU_ASSERT_EQUAL(r.end, 0x41);
	CU_ASSERT_EQUAL(r.covered, 0x31);
	CU_ASSERT_EQUAL(dump_runs_find(&r, 0x25), -1);
	CU_ASSERT_EQUAL(dump_runs_find(&r, 0x35), 1);
	dump_runs_free(&r);
	parse_ok(&r, "# p2msim runs v1\n", DUMP_FMT_RUNS);
	CU_ASSERT_EQUAL(r.nr, 0);
	dump_runs_free(&r);
}

static char *json_result(const struct dump_runs *r)
{
	struct json_object *root = json_object_new_object(), *runs;
	char *s;

	CU_ASSERT_EQUAL_FATAL(dump_runs_to_json(r, &runs, NULL), 0);
	json_object_object_add(root, "kernel", json_object_new_string("6.1"));
	json_object_object_add(root, "runs", runs);
	json_object_object_add(root, "max_pfn", json_object_new_int64(0x40000));
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
	return s;
}

static void test_json_round_trip(void)
{
	struct p2m *p = seed_modern(0xC0000);
	struct dump_runs r, back;
	char *text;

	CU_ASSERT_EQUAL_FATAL(dump_runs_from_p2m(&r, p, 0, 0xC0000, NULL), 0);
	text = json_result(&r);
	parse_ok(&back, text, DUMP_FMT_JSON);
	assert_same_runs(&back, &r);
	dump_runs_free(&back);
	dump_runs_free(&r);
	free(text);
	p2m_free(p);
}

/* JSON runs may come in any order; they are sorted by start. */
static void test_json_unsorted_runs(void)
{
	struct dump_runs r;

	parse_ok(&r,
		 "{\"runs\": [{\"start\": 16, \"end\": 32, \"type\": \"missing\"},"
		 " {\"start\": 0, \"end\": 16, \"type\": \"pfn\"}], \"log\": [\"runs\"]}",
		 DUMP_FMT_JSON);
	CU_ASSERT_EQUAL(r.nr, 2);
	CU_ASSERT_EQUAL(r.runs[0].type, P2M_PFN);
	CU_ASSERT_EQUAL(r.end, 32);
	dump_runs_free(&r);
}

/* dom0p2m's own printf: inclusive ends, "%#010lx" prints pfn 0 without
 * its 0x. */
static char *lab_text(const struct dump_runs *r)
{
	static const char *const names[P2M_NR_TYPES] = {
		[P2M_MISSING] = "missing", [P2M_IDENTITY] = "identity", [P2M_PFN] = "ram",
		[P2M_FOREIGN] = "foreign", [P2M_ABNORMAL] = "?",
	};
	struct capture c;

	cap_open(&c);
	fprintf(c.f, "# dom0 nr_pages=1 max_pages=1 shared_info_mfn=0x1\n");
	for (size_t i = 0; i < r->nr; i++) {
		unsigned long s = r->runs[i].start, e = r->runs[i].end - 1;

		fprintf(c.f, "[%#010lx-%#010lx] %8lu %s", s, e, e - s + 1, names[r->runs[i].type]);
		if (r->runs[i].type == P2M_PFN)
			fprintf(c.f, "      mfn %#lx-%#lx", 0x1000 + s, 0x1000 + e);
		fputc('\n', c.f);
	}
	fprintf(c.f, "# entries=%" PRIu64 " runs=%zu\n", r->covered, r->nr);
	return cap_close(&c);
}

static void test_lab_format_round_trip(void)
{
	struct p2m *p = seed_modern(0xC0000);
	struct dump_runs r, back;
	char *text;

	CU_ASSERT_EQUAL_FATAL(dump_runs_from_p2m(&r, p, 0, 0xC0000, NULL), 0);
	text = lab_text(&r);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "[0000000000-0x0003ffff]   262144 ram"));
	parse_ok(&back, text, DUMP_FMT_LAB);
	assert_same_runs(&back, &r);
	dump_runs_free(&back);
	dump_runs_free(&r);
	free(text);
	p2m_free(p);
}

/* --- the lab captures ----------------------------------------------------------------- */

static void parse_capture(struct dump_runs *r, const char *file)
{
	char path[4096];
	struct p2msim_err err = { 0 };
	int rc = dump_parse_file(r, data_path(path, sizeof(path), file), DUMP_FMT_UNKNOWN, &err);

	if (rc < 0)
		fprintf(stderr, "\n    %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(r->format, DUMP_FMT_LAB);
}

/* The 6.1 baseline: RAM, the 97-page ISA hole identity, RAM up to max_pfn
 * 0x20061 (529 runs of MFNs merge into three pfn runs). */
static void test_lab_capture_baseline(void)
{
	struct dump_runs r;
	uint64_t pages[P2M_NR_TYPES];

	parse_capture(&r, "lab-pc-2G-dom0-512M.txt");
	CU_ASSERT_EQUAL_FATAL(r.nr, 3);
	CU_ASSERT_EQUAL(r.runs[0].start, 0);
	CU_ASSERT_EQUAL(r.runs[0].end, 0x9f);
	CU_ASSERT_EQUAL(r.runs[1].type, P2M_IDENTITY);
	CU_ASSERT_EQUAL(r.runs[1].end, 0x100);
	CU_ASSERT_EQUAL(r.runs[2].type, P2M_PFN);
	CU_ASSERT_EQUAL(r.end, 0x20061);
	dump_runs_count(&r, pages);
	CU_ASSERT_EQUAL(pages[P2M_PFN], 131072);
	CU_ASSERT_EQUAL(pages[P2M_IDENTITY], 97);
	dump_runs_free(&r);
}

static void test_lab_capture_max1G_missing_tail(void)
{
	struct dump_runs r;

	parse_capture(&r, "lab-pc-2G-dom0-512M-max1G.txt");
	CU_ASSERT_EQUAL_FATAL(r.nr, 4);
	CU_ASSERT_EQUAL(r.runs[3].start, 0x20061);
	CU_ASSERT_EQUAL(r.runs[3].end, 0x40061);
	CU_ASSERT_EQUAL(r.runs[3].type, P2M_MISSING);
	dump_runs_free(&r);
}

static void test_lab_capture_cheese_holes(void)
{
	struct dump_runs r;

	parse_capture(&r, "lab-cheese-straddle-1G-2M-k6.1.txt");
	CU_ASSERT_EQUAL(r.runs[dump_runs_find(&r, 0x20000)].type, P2M_IDENTITY);
	CU_ASSERT_EQUAL(r.runs[dump_runs_find(&r, 0x20000)].end, 0x20200);
	CU_ASSERT_EQUAL(r.runs[dump_runs_find(&r, 0x301ff)].type, P2M_IDENTITY);
	CU_ASSERT_EQUAL(r.runs[dump_runs_find(&r, 0x301ff)].end, 0x30201);
	CU_ASSERT_EQUAL(r.runs[dump_runs_find(&r, 0x3ff00)].end, 0x40100);
	CU_ASSERT_EQUAL(r.end, 0x60463);
	dump_runs_free(&r);
}

/* What the 6.1 kernel's own debugfs file would say for the 5 GiB capture:
 * the 512 shared identity leaves of [0xc0000, 0x100000) print as missing.
 * Against the capture (semantic) that is no difference with the quirk,
 * and exactly that gigabyte without it. */
static void test_diff_lab_capture_against_modern_dump(void)
{
	struct dump_runs lab, dump;
	struct dump_diff d;
	struct dump_diff_opts o;
	struct capture c;

	parse_capture(&lab, "lab-pc-5G-dom0-4G.txt");
	cap_open(&c);
	for (size_t i = 0; i < lab.nr; i++) {
		const struct dump_run *x = &lab.runs[i];

		if (x->type == P2M_IDENTITY && x->start == 0xbffe0) {
			fprintf(c.f,
				" [0xbffe0->0xc0000] identity\n [0xc0000->0x100000] missing\n");
			continue;
		}
		fprintf(c.f, " [0x%" PRIx64 "->0x%" PRIx64 "] %s\n", x->start, x->end,
			x->type == P2M_PFN ? "pfn" : p2m_type_name(x->type));
	}
	cap_close(&c);
	parse_ok(&dump, c.buf, DUMP_FMT_MODERN);
	dump_diff_opts_init(&o);
	CU_ASSERT_EQUAL_FATAL(dump_diff_runs(&d, &dump, &lab, &o, NULL), 0);
	CU_ASSERT_TRUE(d.quirk_a);
	CU_ASSERT_FALSE(d.quirk_b);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_EQUAL(d.quirk_pages, 0x40000);
	CU_ASSERT_EQUAL(d.end, 0x140081);
	dump_diff_free(&d);
	o.quirk = DUMP_QUIRK_OFF;
	CU_ASSERT_EQUAL_FATAL(dump_diff_runs(&d, &dump, &lab, &o, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(d.nr, 1);
	CU_ASSERT_EQUAL(d.ranges[0].start, 0xc0000);
	CU_ASSERT_EQUAL(d.ranges[0].end, 0x100000);
	CU_ASSERT_EQUAL(d.ranges[0].type_a, P2M_MISSING);
	CU_ASSERT_EQUAL(d.ranges[0].type_b, P2M_IDENTITY);
	dump_diff_free(&d);
	dump_runs_free(&dump);
	dump_runs_free(&lab);
	free(c.buf);
}

/* --- detection -------------------------------------------------------------------------- */

static void test_detect_each_format(void)
{
	unsigned long line;

	CU_ASSERT_EQUAL(dump_detect(ROW4, strlen(ROW4), NULL), DUMP_FMT_OLD);
	CU_ASSERT_EQUAL(dump_detect(ROW12, strlen(ROW12), NULL), DUMP_FMT_MODERN);
	CU_ASSERT_EQUAL(dump_detect(SEED_RUNS, strlen(SEED_RUNS), NULL), DUMP_FMT_RUNS);
	CU_ASSERT_EQUAL(dump_detect("0x0-0x10 pfn\n", 13, NULL), DUMP_FMT_RUNS);
	CU_ASSERT_EQUAL(dump_detect("# x\n[0000000000-0x0000009e]      159 ram      mfn 0x1-0x2\n",
				    59, NULL),
			DUMP_FMT_LAB);
	CU_ASSERT_EQUAL(dump_detect("  \n{\"runs\": []}", 15, NULL), DUMP_FMT_JSON);
	CU_ASSERT_EQUAL(dump_detect("# a\n\nhello\n", 11, &line), DUMP_FMT_UNKNOWN);
	CU_ASSERT_EQUAL(line, 3);
	CU_ASSERT_EQUAL(dump_detect("", 0, NULL), DUMP_FMT_UNKNOWN);
}

/* --- diff ---------------------------------------------------------------------------------- */

static struct dump_diff diff_of(const struct dump_runs *a, const struct dump_runs *b,
				const struct dump_diff_opts *o)
{
	struct dump_diff d;

	CU_ASSERT_EQUAL_FATAL(dump_diff_runs(&d, a, b, o, NULL), 0);
	return d;
}

static void assert_range(const struct dump_diff *d, size_t i, uint64_t s, uint64_t e,
			 unsigned int ta, unsigned int tb)
{
	CU_ASSERT_FATAL(i < d->nr);
	CU_ASSERT_EQUAL(d->ranges[i].start, s);
	CU_ASSERT_EQUAL(d->ranges[i].end, e);
	CU_ASSERT_EQUAL(d->ranges[i].type_a, ta);
	CU_ASSERT_EQUAL(d->ranges[i].type_b, tb);
}

static void test_diff_identical_lists(void)
{
	struct dump_runs a, b;
	struct dump_diff d;

	RUNS(&a, DUMP_FMT_RUNS, { 0, 100, P2M_PFN }, { 100, 200, P2M_MISSING });
	RUNS(&b, DUMP_FMT_JSON, { 0, 50, P2M_PFN }, { 50, 100, P2M_PFN },
	     { 100, 200, P2M_MISSING });
	d = diff_of(&a, &b, NULL);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_EQUAL(d.pages, 0);
	CU_ASSERT_EQUAL(d.start, 0);
	CU_ASSERT_EQUAL(d.end, 200);
	dump_diff_free(&d);
	dump_runs_free(&a);
	dump_runs_free(&b);
}

static void test_diff_reports_both_types(void)
{
	struct dump_runs a, b;
	struct dump_diff d;
	struct capture c;

	RUNS(&a, DUMP_FMT_RUNS, { 0, 100, P2M_PFN }, { 100, 200, P2M_MISSING });
	RUNS(&b, DUMP_FMT_RUNS, { 0, 50, P2M_PFN }, { 50, 150, P2M_IDENTITY },
	     { 150, 200, P2M_MISSING });
	d = diff_of(&a, &b, NULL);
	CU_ASSERT_EQUAL(d.nr, 2);
	assert_range(&d, 0, 50, 100, P2M_PFN, P2M_IDENTITY);
	assert_range(&d, 1, 100, 150, P2M_MISSING, P2M_IDENTITY);
	CU_ASSERT_EQUAL(d.pages, 100);
	cap_open(&c);
	dump_diff_write(c.f, &d);
	dump_diff_write_summary(c.f, &d, "a", "b");
	cap_close(&c);
	assert_text(c.buf, "0x32-0x64 pfn identity 50\n"
			   "0x64-0x96 missing identity 50\n"
			   "summary: 2 range(s), 100 page(s) differ in [0x0, 0xc8) between "
			   "a (run list) and b (run list)\n");
	free(c.buf);
	dump_diff_free(&d);
	dump_runs_free(&a);
	dump_runs_free(&b);
}

/* Default: the extent both sides cover; --union: pfns only one side covers
 * differ as "none"; gaps inside a list are "none" too. */
static void test_diff_scopes_and_gaps(void)
{
	struct dump_runs a, b;
	struct dump_diff d;
	struct dump_diff_opts o;

	RUNS(&a, DUMP_FMT_RUNS, { 0x10, 0x100, P2M_PFN });
	RUNS(&b, DUMP_FMT_RUNS, { 0, 0x40, P2M_PFN }, { 0x50, 0x200, P2M_PFN });
	d = diff_of(&a, &b, NULL);
	CU_ASSERT_EQUAL(d.start, 0x10);
	CU_ASSERT_EQUAL(d.end, 0x100);
	CU_ASSERT_EQUAL(d.nr, 1);
	assert_range(&d, 0, 0x40, 0x50, P2M_PFN, DUMP_TYPE_NONE);
	dump_diff_free(&d);

	dump_diff_opts_init(&o);
	o.scope = DUMP_SCOPE_UNION;
	d = diff_of(&a, &b, &o);
	CU_ASSERT_EQUAL(d.start, 0);
	CU_ASSERT_EQUAL(d.end, 0x200);
	CU_ASSERT_EQUAL(d.nr, 3);
	assert_range(&d, 0, 0, 0x10, DUMP_TYPE_NONE, P2M_PFN);
	assert_range(&d, 2, 0x100, 0x200, DUMP_TYPE_NONE, P2M_PFN);
	dump_diff_free(&d);

	o.have_max_pfn = true;
	o.max_pfn = 0x48;
	d = diff_of(&a, &b, &o);
	CU_ASSERT_EQUAL(d.end, 0x48);
	CU_ASSERT_EQUAL(d.nr, 2);
	assert_range(&d, 1, 0x40, 0x48, P2M_PFN, DUMP_TYPE_NONE);
	dump_diff_free(&d);

	dump_diff_opts_init(&o);
	o.have_range = true;
	o.range_start = 0x45;
	o.range_end = 0x300;
	d = diff_of(&a, &b, &o);
	CU_ASSERT_EQUAL(d.start, 0x45);
	CU_ASSERT_EQUAL(d.end, 0x300);
	CU_ASSERT_EQUAL(d.nr, 2);
	assert_range(&d, 0, 0x45, 0x50, P2M_PFN, DUMP_TYPE_NONE);
	assert_range(&d, 1, 0x100, 0x200, DUMP_TYPE_NONE, P2M_PFN);
	dump_diff_free(&d);
	dump_runs_free(&a);
	dump_runs_free(&b);
}

/* Pfns that neither side describes are not a difference. */
static void test_diff_uncovered_on_both_sides_is_equal(void)
{
	struct dump_runs a, b;
	struct dump_diff d;
	struct dump_diff_opts o;

	RUNS(&a, DUMP_FMT_RUNS, { 0, 0x10, P2M_PFN });
	RUNS(&b, DUMP_FMT_RUNS, { 0, 0x10, P2M_PFN });
	dump_diff_opts_init(&o);
	o.have_range = true;
	o.range_start = 0;
	o.range_end = 0x100;
	d = diff_of(&a, &b, &o);
	CU_ASSERT_EQUAL(d.nr, 0);
	dump_diff_free(&d);
	dump_runs_free(&a);
	dump_runs_free(&b);
}

/* A kernel's modern debugfs file against the semantic runs of the same
 * P2M: only the shared identity leaves disagree, and the quirk (auto for a
 * modern dump against anything else) accepts exactly those. */
static void test_diff_modern_quirk_matches_semantic_view(void)
{
	struct p2m *p = seed_modern(0xC0000);
	struct dump_runs dump, sem;
	struct dump_diff d;
	struct dump_diff_opts o;

	CU_ASSERT_EQUAL_FATAL(dump_runs_from_modern(&dump, p, 0xC0000, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(dump_runs_from_p2m(&sem, p, 0, 0xC0000, NULL), 0);
	sem.format = DUMP_FMT_JSON;
	d = diff_of(&sem, &dump, NULL);
	CU_ASSERT_FALSE(d.quirk_a);
	CU_ASSERT_TRUE(d.quirk_b);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_EQUAL(d.quirk_pages, (0x7d000 - 0x40600) + (0xc0000 - 0x90000));
	dump_diff_free(&d);

	dump_diff_opts_init(&o);
	o.quirk = DUMP_QUIRK_OFF;
	d = diff_of(&sem, &dump, &o);
	CU_ASSERT_EQUAL(d.nr, 2);
	assert_range(&d, 0, 0x40600, 0x7d000, P2M_IDENTITY, P2M_MISSING);
	assert_range(&d, 1, 0x90000, 0xc0000, P2M_IDENTITY, P2M_MISSING);
	dump_diff_free(&d);

	/* two modern dumps share the quirk: auto compares them exactly */
	dump.format = DUMP_FMT_MODERN;
	sem.format = DUMP_FMT_MODERN;
	d = diff_of(&sem, &dump, NULL);
	CU_ASSERT_FALSE(d.quirk_a || d.quirk_b);
	CU_ASSERT_EQUAL(d.nr, 2);
	dump_diff_free(&d);
	dump_runs_free(&dump);
	dump_runs_free(&sem);
	p2m_free(p);
}

/* The quirk covers only whole aligned leaves that are missing on the dump
 * side and identity on the other: identity in a partial leaf prints as
 * identity, and a leaf half missing in the dump was not a shared page. */
static void test_diff_quirk_needs_whole_leaves(void)
{
	struct dump_runs dump, sem;
	struct dump_diff d;
	struct dump_diff_opts o;

	RUNS(&sem, DUMP_FMT_RUNS, { 0, 0x500, P2M_PFN }, { 0x500, 0xd00, P2M_IDENTITY });
	/* leaves 0x600 and 0xa00 shared; 0x400, 0x800 and 0xc00 private */
	RUNS(&dump, DUMP_FMT_MODERN, { 0, 0x500, P2M_PFN }, { 0x500, 0x800, P2M_MISSING },
	     { 0x800, 0xa00, P2M_IDENTITY }, { 0xa00, 0xc00, P2M_MISSING },
	     { 0xc00, 0xd00, P2M_IDENTITY });
	d = diff_of(&dump, &sem, NULL);
	/* [0x500, 0x600) is in the partial leaf 0x400: it must print identity */
	CU_ASSERT_EQUAL(d.nr, 1);
	assert_range(&d, 0, 0x500, 0x600, P2M_MISSING, P2M_IDENTITY);
	CU_ASSERT_EQUAL(d.quirk_pages, 0x400);
	dump_diff_free(&d);
	dump_runs_free(&dump);

	/* the missing run starts inside leaf 0x600: that leaf was private */
	RUNS(&dump, DUMP_FMT_MODERN, { 0, 0x500, P2M_PFN }, { 0x500, 0x700, P2M_IDENTITY },
	     { 0x700, 0xa00, P2M_MISSING }, { 0xa00, 0xd00, P2M_IDENTITY });
	d = diff_of(&dump, &sem, NULL);
	CU_ASSERT_EQUAL(d.nr, 1);
	assert_range(&d, 0, 0x700, 0x800, P2M_MISSING, P2M_IDENTITY);
	CU_ASSERT_EQUAL(d.quirk_pages, 0x200);
	dump_diff_free(&d);

	/* x86-32 leaves are 1024 pfns: [0x800, 0xa00) is half a leaf */
	dump_diff_opts_init(&o);
	o.leaf_pfns = 1024;
	d = diff_of(&dump, &sem, &o);
	CU_ASSERT_EQUAL(d.nr, 1);
	assert_range(&d, 0, 0x700, 0xa00, P2M_MISSING, P2M_IDENTITY);
	dump_diff_free(&d);

	/* missing where the other side is pfn is never excused */
	o.quirk = DUMP_QUIRK_ON;
	dump_runs_free(&sem);
	RUNS(&sem, DUMP_FMT_RUNS, { 0, 0xd00, P2M_PFN });
	d = diff_of(&dump, &sem, &o);
	CU_ASSERT_EQUAL(d.nr, 3);
	dump_diff_free(&d);
	dump_runs_free(&dump);
	dump_runs_free(&sem);
}

/* An old dump agrees with the semantic runs of the same P2M; its
 * unreported last pfn is outside the common extent. */
static void test_diff_old_against_run_list(void)
{
	struct p2m *p = seed_2639();
	char *text = old_text(p, 0x2000000);
	struct dump_runs old, sem;
	struct dump_diff d;

	parse_ok(&old, text, DUMP_FMT_OLD);
	CU_ASSERT_EQUAL_FATAL(dump_runs_from_p2m(&sem, p, 0, 0x2000000, NULL), 0);
	d = diff_of(&old, &sem, NULL);
	CU_ASSERT_EQUAL(d.nr, 0);
	CU_ASSERT_EQUAL(d.end, 0x1ffffff);
	dump_diff_free(&d);
	dump_runs_free(&old);
	dump_runs_free(&sem);
	free(text);
	p2m_free(p);
}

/* --- bad input -------------------------------------------------------------------------------- */

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen */
	enum dump_format fmt;
	const char *want; /* expected start of the message */
	const char *has;  /* and a part of it */
};

#define JSON_NUL "{\"runs\": [{\"start\": 0, \"end\": 1, \"type\": \"pfn\"}]}\0"

static const struct bad_case bad_cases[] = {
	{ "", 0, DUMP_FMT_UNKNOWN, "t:1: ", "empty" },
	{ "# only a comment\n\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "empty" },
	{ "hello\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "not a debugfs" },
	{ " [0x0->0x10] pfn\n [0x20->0x30] missing\n [0x0->0x2f] level entry\n", 0,
	  DUMP_FMT_UNKNOWN, "t:2: ", "previous one ends at 0x10" },
	{ " [0x0->0x10] pfn\n [0x10->0x30] missing\n [0x0->0x2f] level entry\n"
	  " [0x30->0x40] level top\n",
	  0, DUMP_FMT_UNKNOWN, "t:4: ", "level range" },
	{ " [0x0->0x10] pfn\n [0x10->0x30] missing\n [0x0->0x10] level entry\n", 0,
	  DUMP_FMT_UNKNOWN, "t:3: ", "truncated" },
	{ " [0x0->0x40000] pfn\n [0x0->0x40000] level entry\n [0x40000->0x40400] level middle\n", 0,
	  DUMP_FMT_UNKNOWN, "t:3: ", "truncated" },
	{ " [0x0->0x10] foo\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "unknown type 'foo'" },
	{ " [0x0->0x10] pfn\n [0x10->0x20] level sideways\n", 0, DUMP_FMT_UNKNOWN,
	  "t:2: ", "unknown level" },
	{ " [0x0->0x10] abnormal\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "unknown type" },
	{ " [0x0->0x10] pfn\n [0x10->0x8] missing\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "ends before" },
	{ " [0x0->0x10000000000000000] pfn\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "too large" },
	{ " [0x0->0x10] pfn\n garbage\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "modern debugfs" },
	{ " [0x0->0x10] pfn\n [0x0->0x10] level entry\n", 0, DUMP_FMT_MODERN,
	  "t:2: ", "level line" },
	{ " [0x0->0x10] pfn\0\n", sizeof(" [0x0->0x10] pfn\0\n") - 1, DUMP_FMT_UNKNOWN,
	  "t:1: ", "" },
	{ "[0x0-0x9] 11 ram\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "count 11" },
	{ "[0x0-0x9] 10 ram\n# entries=20 runs=1\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "entries=20" },
	{ "[0x0-0x9] 10 ram\n[0x5-0x9] 5 missing\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "overlaps" },
	{ "[0x0-0x9] 10 pfn\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "unknown type 'pfn'" },
	{ "[0x0-0xffffffffffffffff] 1 ram\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "range" },
	{ "# dom0\nnot available: dom0 did not reach user space\n", 0, DUMP_FMT_UNKNOWN,
	  "t:2: ", "not a debugfs" },
	{ "0x0-0x10 pfn\n0x8-0x20 missing\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "overlaps" },
	{ "0x10-0x0 pfn\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "reversed" },
	{ "0x0-0x10 ram 16\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "unknown type 'ram'" },
	{ "0x0-0x10 pfn 15\n", 0, DUMP_FMT_UNKNOWN, "t:1: ", "count 15" },
	{ "0x0-0x10 pfn\n0x10-0x20 pfn 16 extra\n", 0, DUMP_FMT_UNKNOWN, "t:2: ", "run list" },
	{ "{\n \"runs\": [\n  {\"start\": 0,,}\n]}\n", 0, DUMP_FMT_UNKNOWN, "t:3: ", "JSON" },
	{ "{\"runs\": [", 0, DUMP_FMT_UNKNOWN, "t:1: ", "too early" },
	{ "{}", 0, DUMP_FMT_UNKNOWN, "t:1: ", "no \"runs\"" },
	{ "{\"runs\": 5}", 0, DUMP_FMT_UNKNOWN, "t:1: ", "not an array" },
	{ "{\"runs\": []}", 0, DUMP_FMT_UNKNOWN, "t:1: ", "empty" },
	{ "{\"runs\": [\n {\"start\": 0, \"end\": 16, \"type\": \"pfn\"},\n"
	  " {\"start\": 16, \"end\": 32, \"type\": \"ram\"}\n]}",
	  0, DUMP_FMT_UNKNOWN, "t:3: runs[1]: ", "unknown type" },
	{ "{\"runs\": [\n {\"start\": -1, \"end\": 16, \"type\": \"pfn\"}]}", 0, DUMP_FMT_UNKNOWN,
	  "t:2: runs[0]: ", "negative" },
	{ "{\"runs\": [\n {\"start\": 1.5, \"end\": 16, \"type\": \"pfn\"}]}", 0, DUMP_FMT_UNKNOWN,
	  "t:2: runs[0]: ", "not an integer" },
	{ "{\"runs\": [\n {\"end\": 16, \"type\": \"pfn\"}]}", 0, DUMP_FMT_UNKNOWN,
	  "t:2: runs[0]: ", "no \"start\"" },
	{ "{\"runs\": [\n {\"start\": 0, \"end\": 16, \"type\": \"pfn\"},\n\n"
	  " {\"start\": 8, \"end\": 32, \"type\": \"missing\"}]}",
	  0, DUMP_FMT_UNKNOWN, "t:4: runs[1]: ", "overlaps" },
	{ "{\"runs\": [\n [1, 2]]}", 0, DUMP_FMT_UNKNOWN, "t:1: runs[0]: ", "not an object" },
	{ "{\"runs\": [{\"start\": 0, \"end\": 1, \"type\": \"pfn\"}]} x", 0, DUMP_FMT_UNKNOWN,
	  "t:1: ", "" },
	{ "[1, 2]", 0, DUMP_FMT_JSON, "t:1: ", "not an object" },
	{ JSON_NUL, sizeof(JSON_NUL) - 1, DUMP_FMT_UNKNOWN, "t:1: ", "NUL" },
};

static void test_bad_input_is_located(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct p2msim_err err = { 0 };
		struct dump_runs r;
		size_t len = c->len ? c->len : strlen(c->text);
		int rc = dump_parse(&r, c->text, len, "t", c->fmt, &err);

		if (rc >= 0 || !starts_with(err.msg, c->want) || !strstr(err.msg, c->has))
			fprintf(stderr, "\n    case %zu: rc %d, message '%s'\n", i, rc, err.msg);
		CU_ASSERT(rc < 0);
		CU_ASSERT(starts_with(err.msg, c->want));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, c->has));
		CU_ASSERT_EQUAL(r.nr, 0);
		CU_ASSERT_PTR_NULL(r.runs);
	}
}

static void test_unreadable_files_are_errors(void)
{
	struct p2msim_err err = { 0 };
	struct dump_runs r;

	CU_ASSERT_EQUAL(dump_parse_file(&r, "/nonexistent/p2m", DUMP_FMT_UNKNOWN, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/p2m"));
	CU_ASSERT(dump_parse_file(&r, "/", DUMP_FMT_UNKNOWN, &err) < 0);
	CU_ASSERT(starts_with(err.msg, "/: "));
}

/* Mutated valid inputs of every format and random bytes: the parser
 * returns 0 with a valid list or an error that names the input. */
static void test_junk_never_crashes(void)
{
	const char *seeds[] = {
		ROW4, ROW12, SEED_RUNS,
		"# c\n[0000000000-0x0000009e]      159 ram      mfn 0x1-0x9f\n"
		"[0x0000009f-0x000000ff]       97 identity 1:1 0x9f-0xff\n# entries=256\n",
		"{\"runs\": [{\"start\": 0, \"end\": 16, \"type\": \"pfn\"},"
		" {\"start\": 16, \"end\": 32, \"type\": \"missing\"}]}"
	};
	static const char alphabet[] = " \n[]-0x>19afl#{}\":,levelpfnmissing\0\r";
	unsigned int seed = 12345;
	char buf[1024];

	for (int round = 0; round < 20000; round++) {
		const char *s = seeds[round % 5];
		size_t len = strlen(s) < sizeof(buf) ? strlen(s) : sizeof(buf);
		struct p2msim_err err = { 0 };
		struct dump_runs r;
		int rc;

		memcpy(buf, s, len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % (len + 1);

			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % 4) {
			case 0: /* replace */
				if (at < len)
					buf[at] = alphabet[(seed >> 4) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* truncate */
				len = at;
				break;
			case 2: /* random byte */
				if (at < len)
					buf[at] = (char)(seed >> 3);
				break;
			default: /* delete */
				if (at < len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			}
		}
		rc = dump_parse(&r, buf, len, "junk", DUMP_FMT_UNKNOWN, &err);
		if (rc < 0) {
			CU_ASSERT(starts_with(err.msg, "junk:"));
			CU_ASSERT_EQUAL(r.nr, 0);
		} else {
			for (size_t i = 0; i < r.nr; i++) {
				CU_ASSERT(r.runs[i].start < r.runs[i].end);
				if (i)
					CU_ASSERT(r.runs[i - 1].end <= r.runs[i].start);
			}
		}
		dump_runs_free(&r);
	}
}

static const struct test_case old_cases[] = {
	{ "old_dump_of_seed_is_11_lines", test_old_dump_of_seed_is_11_lines },
	{ "old_dump_ends_before_last_pfn", test_old_dump_ends_before_last_pfn },
	{ "old_dump_zero_entries_and_silent_last_run",
	  test_old_dump_zero_entries_and_silent_last_run },
	{ "old_dump_last_pfn_is_never_classified", test_old_dump_last_pfn_is_never_classified },
	{ "old_dump_degenerate_sizes", test_old_dump_degenerate_sizes },
	{ "old_dump_exact_identity_and_foreign", test_old_dump_exact_identity_and_foreign },
	{ "old_dump_mid_identity_reads_middle", test_old_dump_mid_identity_reads_middle },
	{ "writers_refuse_beyond_capacity", test_writers_refuse_beyond_capacity },
	{ NULL, NULL },
};

static const struct test_case modern_cases[] = {
	{ "modern_dump_of_seed", test_modern_dump_of_seed },
	{ "modern_dump_direct_identity", test_modern_dump_direct_identity },
	{ "modern_dump_p2m_limit_512g", test_modern_dump_p2m_limit_512g },
	{ "modern_dump_remap_low_hole", test_modern_dump_remap_low_hole },
	{ "modern_dump_value_classes", test_modern_dump_value_classes },
	{ "modern_dump_empty_list", test_modern_dump_empty_list },
	{ "dumps_of_256T_are_cheap", test_dumps_of_256T_are_cheap },
	{ NULL, NULL },
};

static const struct test_case format_cases[] = {
	{ "old_dump_round_trip", test_old_dump_round_trip },
	{ "modern_dump_round_trip", test_modern_dump_round_trip },
	{ "run_list_write_and_parse", test_run_list_write_and_parse },
	{ "run_list_tolerant_forms", test_run_list_tolerant_forms },
	{ "json_round_trip", test_json_round_trip },
	{ "json_unsorted_runs", test_json_unsorted_runs },
	{ "lab_format_round_trip", test_lab_format_round_trip },
	{ "lab_capture_baseline", test_lab_capture_baseline },
	{ "lab_capture_max1G_missing_tail", test_lab_capture_max1G_missing_tail },
	{ "lab_capture_cheese_holes", test_lab_capture_cheese_holes },
	{ "detect_each_format", test_detect_each_format },
	{ NULL, NULL },
};

static const struct test_case diff_cases[] = {
	{ "diff_identical_lists", test_diff_identical_lists },
	{ "diff_reports_both_types", test_diff_reports_both_types },
	{ "diff_scopes_and_gaps", test_diff_scopes_and_gaps },
	{ "diff_uncovered_on_both_sides_is_equal", test_diff_uncovered_on_both_sides_is_equal },
	{ "diff_modern_quirk_matches_semantic_view", test_diff_modern_quirk_matches_semantic_view },
	{ "diff_quirk_needs_whole_leaves", test_diff_quirk_needs_whole_leaves },
	{ "diff_lab_capture_against_modern_dump", test_diff_lab_capture_against_modern_dump },
	{ "diff_old_against_run_list", test_diff_old_against_run_list },
	{ NULL, NULL },
};

static const struct test_case bad_input_cases[] = {
	{ "bad_input_is_located", test_bad_input_is_located },
	{ "unreadable_files_are_errors", test_unreadable_files_are_errors },
	{ "junk_never_crashes", test_junk_never_crashes },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct test_suite suites[] = {
		{ "old_format", old_cases },	  { "modern_format", modern_cases },
		{ "formats", format_cases },	  { "diff", diff_cases },
		{ "bad_input", bad_input_cases }, { NULL, NULL },
	};

	return test_run_suites(suites, argc, argv);
}
