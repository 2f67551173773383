/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/write.c - the kernel's debugfs p2m file, from engine runs.
 *
 * The kernel walks every pfn and prints a line whenever the classification
 * of a pfn differs from the previous one.  The classification is constant
 * inside an engine run (split by level, zero entries abnormal, identity
 * exact where the era requires it), so replaying the kernel's loop only at
 * run boundaries gives the same lines at the cost of the runs and the
 * private pages the iterator visits.
 *
 * A walk calls an "emit" function per line; the writers print, the
 * collectors build the run list the parser would return for the text.
 */
#include <errno.h>
#include <inttypes.h>

#include "debugfs-dump/dump-internal.h"

/* The kernel's type_name[] order in both formats. */
enum kernel_type {
	KT_IDENTITY,
	KT_MISSING,
	KT_PFN,
	KT_ABNORMAL,
};

static const char *const kt_name[] = {
	[KT_IDENTITY] = "identity",
	[KT_MISSING] = "missing",
	[KT_PFN] = "pfn",
	[KT_ABNORMAL] = "abnormal",
};

static const enum p2m_type kt_type[] = {
	[KT_IDENTITY] = P2M_IDENTITY,
	[KT_MISSING] = P2M_MISSING,
	[KT_PFN] = P2M_PFN,
	[KT_ABNORMAL] = P2M_ABNORMAL,
};

struct emitter {
	/* level < 0: a type line [s->e] type; otherwise a level line. */
	int (*line)(struct emitter *em, uint64_t s, uint64_t e, enum kernel_type type, int level);
	FILE *f;
	struct dump_runs *runs;
	struct p2msim_err *err;
};

static int print_line(struct emitter *em, uint64_t s, uint64_t e, enum kernel_type type, int level)
{
	if (level < 0)
		fprintf(em->f, " [0x%" PRIx64 "->0x%" PRIx64 "] %s\n", s, e, kt_name[type]);
	else
		fprintf(em->f, " [0x%" PRIx64 "->0x%" PRIx64 "] level %s\n", s, e,
			dump_level_name((enum dump_level)level));
	return ferror(em->f) ? p2msim_err_set(em->err, -EIO, "write error") : 0;
}

static int collect_line(struct emitter *em, uint64_t s, uint64_t e, enum kernel_type type,
			int level)
{
	if (level < 0)
		return dump_runs_add(em->runs, s, e, kt_type[type], em->err);
	return dd_runs_add_level(em->runs, s, e, (enum dump_level)level, em->err);
}

static int check_span(const struct p2m *p2m, uint64_t n, const char *what, struct p2msim_err *err)
{
	if (n > p2m_capacity(p2m))
		return p2msim_err_set(err, -ERANGE,
				      "%s 0x%" PRIx64 " exceeds the P2M's "
				      "capacity 0x%" PRIx64,
				      what, n, p2m_capacity(p2m));
	return 0;
}

/* --- old format (2.6.39-3.18) -------------------------------------------- */

struct old_class {
	enum kernel_type type;
	enum dump_level level;
};

/* The kernel's order: top slot mid_missing -> (top, missing); leaf slot
 * p2m_identity / p2m_missing -> (middle, ...); else the entry itself. */
static struct old_class old_classify(const struct p2m_run *run)
{
	switch (run->level) {
	case P2M_LEVEL_TOP:
		/* 3.14-3.18 mid_identity: not p2m_mid_missing, and each of its
		 * slots is p2m_identity, so the loop sees (middle, identity). */
		if (run->type == P2M_IDENTITY)
			return (struct old_class){ KT_IDENTITY, DUMP_LEVEL_MIDDLE };
		return (struct old_class){ KT_MISSING, DUMP_LEVEL_TOP };
	case P2M_LEVEL_MID:
		return (struct old_class){ run->type == P2M_IDENTITY ? KT_IDENTITY : KT_MISSING,
					   DUMP_LEVEL_MIDDLE };
	case P2M_LEVEL_LEAF:
	default:
		break;
	}
	switch (run->type) {
	case P2M_ABNORMAL:
		return (struct old_class){ KT_ABNORMAL, DUMP_LEVEL_ENTRY };
	case P2M_IDENTITY: /* exact IDENTITY_FRAME(pfn): the iterator checked */
		return (struct old_class){ KT_IDENTITY, DUMP_LEVEL_ENTRY };
	case P2M_MISSING:
		return (struct old_class){ KT_MISSING, DUMP_LEVEL_ENTRY };
	case P2M_PFN:
	case P2M_FOREIGN: /* any other value is a "pfn" */
	default:
		return (struct old_class){ KT_PFN, DUMP_LEVEL_ENTRY };
	}
}

struct old_state {
	struct old_class prev;
	uint64_t prev_pfn_type, prev_pfn_level;
};

/* One step of the kernel loop at @pfn, where the class becomes @cur. */
static int old_step(struct emitter *em, struct old_state *st, uint64_t pfn, struct old_class cur)
{
	int rc;

	if (cur.type != st->prev.type) {
		rc = em->line(em, st->prev_pfn_type, pfn, st->prev.type, -1);
		if (rc < 0)
			return rc;
		st->prev_pfn_type = pfn;
		st->prev.type = cur.type;
	}
	if (cur.level != st->prev.level) {
		rc = em->line(em, st->prev_pfn_level, pfn, 0, (int)st->prev.level);
		if (rc < 0)
			return rc;
		st->prev_pfn_level = pfn;
		st->prev.level = cur.level;
	}
	return 0;
}

static int walk_old(struct emitter *em, const struct p2m *p2m, uint64_t n)
{
	const unsigned int flags = P2M_ITER_SPLIT_LEVELS | P2M_ITER_ZERO_ABNORMAL |
				   P2M_ITER_EXACT_IDENTITY;
	struct old_state st = { { KT_ABNORMAL, DUMP_LEVEL_ABNORMAL }, 0, 0 };
	struct p2m_iter it;
	struct p2m_run run;
	bool seeded = false;
	int rc;

	if (n == 0)
		return 0;
	p2m_iter_init(&it, p2m, 0, n, flags);
	while (p2m_iter_next(&it, &run)) {
		if (!seeded) {
			/* the loop seeds its "previous" values at pfn 0 */
			st.prev = old_classify(&run);
			seeded = true;
			continue;
		}
		if (run.start >= n - 1)
			break;
		rc = old_step(em, &st, run.start, old_classify(&run));
		if (rc < 0)
			return rc;
	}
	/* 2.6.39-3.18: the last pfn is forced to (abnormal, abnormal), which
	 * closes the final ranges at MAX_DOMAIN_PAGES - 1. */
	return old_step(em, &st, n - 1, (struct old_class){ KT_ABNORMAL, DUMP_LEVEL_ABNORMAL });
}

int dump_write_old(FILE *f, const struct p2m *p2m, uint64_t max_domain_pages,
		   struct p2msim_err *err)
{
	struct emitter em = { print_line, f, NULL, err };
	int rc = check_span(p2m, max_domain_pages, "MAX_DOMAIN_PAGES", err);

	return rc < 0 ? rc : walk_old(&em, p2m, max_domain_pages);
}

int dump_runs_from_old(struct dump_runs *r, const struct p2m *p2m, uint64_t max_domain_pages,
		       struct p2msim_err *err)
{
	struct emitter em = { collect_line, NULL, r, err };
	int rc;

	dump_runs_init(r);
	r->format = DUMP_FMT_OLD;
	rc = check_span(p2m, max_domain_pages, "MAX_DOMAIN_PAGES", err);
	if (rc == 0)
		rc = walk_old(&em, p2m, max_domain_pages);
	/* As the parser does: a final abnormal run has no type line of its
	 * own, only the level lines reach MAX_DOMAIN_PAGES - 1. */
	if (rc == 0 && r->nr_levels && r->end < r->levels[r->nr_levels - 1].end)
		rc = dump_runs_add(r, r->end, r->levels[r->nr_levels - 1].end, P2M_ABNORMAL, err);
	if (rc < 0)
		dump_runs_free(r);
	return rc;
}

/* --- modern format (3.19+) ----------------------------------------------- */

struct modern_state {
	enum kernel_type prev;
	uint64_t first;
	bool seeded;
};

static int modern_step(struct emitter *em, struct modern_state *st, uint64_t pfn,
		       enum kernel_type type)
{
	int rc;

	if (!st->seeded) {
		st->prev = type;
		st->seeded = true;
		return 0;
	}
	if (type == st->prev)
		return 0;
	rc = em->line(em, st->first, pfn, st->prev, -1);
	st->prev = type;
	st->first = pfn;
	return rc;
}

/* Entries with the foreign bit: the kernel tests INVALID, then the
 * identity bit, so a value with both flag bits prints as identity. */
static int modern_foreign(struct emitter *em, struct modern_state *st, const struct p2m *p2m,
			  const struct p2m_run *run)
{
	uint64_t bit = p2m_geometry(p2m)->identity_bit;

	for (uint64_t pfn = run->start; pfn < run->end; pfn++) {
		int rc = modern_step(em, st, pfn, (p2m_get(p2m, pfn) & bit) ? KT_IDENTITY : KT_PFN);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int walk_modern(struct emitter *em, const struct p2m *p2m, uint64_t size)
{
	struct modern_state st = { KT_IDENTITY, 0, false };
	struct p2m_iter it;
	struct p2m_run run;
	int rc;

	p2m_iter_init(&it, p2m, 0, size, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run)) {
		enum kernel_type t;

		if (run.type == P2M_FOREIGN) {
			rc = modern_foreign(em, &st, p2m, &run);
			if (rc < 0)
				return rc;
			continue;
		}
		if (run.type == P2M_PFN || run.type == P2M_ABNORMAL)
			t = KT_PFN;
		else if (run.type == P2M_MISSING)
			t = KT_MISSING;
		else if (run.level == P2M_LEVEL_LEAF)
			t = KT_IDENTITY;
		else
			/* 3.19+: the shared identity page holds INVALID, and the
			 * dump reads the array, so it prints as missing. */
			t = KT_MISSING;
		rc = modern_step(em, &st, run.start, t);
		if (rc < 0)
			return rc;
	}
	/* With xen_p2m_size 0 the kernel still prints one line: the type of
	 * pfn 0, which reads as identity beyond the list. */
	return em->line(em, st.first, size, st.prev, -1);
}

int dump_write_modern(FILE *f, const struct p2m *p2m, uint64_t xen_p2m_size, struct p2msim_err *err)
{
	struct emitter em = { print_line, f, NULL, err };
	int rc = check_span(p2m, xen_p2m_size, "xen_p2m_size", err);

	return rc < 0 ? rc : walk_modern(&em, p2m, xen_p2m_size);
}

int dump_runs_from_modern(struct dump_runs *r, const struct p2m *p2m, uint64_t xen_p2m_size,
			  struct p2msim_err *err)
{
	struct emitter em = { collect_line, NULL, r, err };
	int rc;

	dump_runs_init(r);
	r->format = DUMP_FMT_MODERN;
	rc = check_span(p2m, xen_p2m_size, "xen_p2m_size", err);
	if (rc == 0)
		rc = walk_modern(&em, p2m, xen_p2m_size);
	if (rc < 0)
		dump_runs_free(r);
	return rc;
}
