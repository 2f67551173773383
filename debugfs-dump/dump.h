/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/dump.h - the kernel's debugfs "p2m" file, run lists, diffs.
 *
 * Three things live here:
 *
 *  - Writers that print, byte for byte, what /sys/kernel/debug/xen/mmu/p2m
 *    shows for a P2M held by the engine: the old format (2.6.39-3.18, type
 *    and level lines, doc/simulation.md#debugfs-dump) and the modern one (3.19+, type lines only,
 *    with the quirk that a shared identity page prints as "missing").  Both
 *    cost O(runs + private pages), never O(pfns).
 *
 *  - struct dump_runs, one in-memory list of typed pfn runs that every
 *    input format parses into: both debugfs formats, our own run list
 *    (below), the xen-lab capture printed by dom0p2m (dom0-p2m.txt) and the
 *    "runs" array of "p2msim simulate --json".
 *
 *  - A diff of two run lists, with an option for the modern dump's
 *    identity quirk (see struct dump_diff_opts).
 *
 * THE RUN LIST FORMAT ("p2msim simulate --show runs", DUMP_FMT_RUNS)
 *
 *     # p2msim runs v1: [start, end) pfn ranges in hex, type, pages
 *     0x0-0x40000 pfn 262144
 *     0x40000-0x40500 missing 1280
 *     0x40500-0x7d100 identity 248832
 *     0x7d100-0xc0000 missing 274176
 *     # pages 786432: pfn 262144 identity 248832 missing 275456 foreign 0
 *
 *  - One run per line: START-END TYPE PAGES.  START and END are pfns in
 *    lower-case hex with a 0x prefix; the range is half-open, [START, END),
 *    and never empty.  TYPE is pfn, identity, missing or foreign (abnormal
 *    only for runs read from an old dump's zero entries), with *semantic*
 *    meaning: a range backed by the shared identity page is identity.
 *    PAGES is END - START in decimal; the parser checks it when present.
 *  - Runs are in ascending order and do not overlap.  The writer never
 *    puts two runs of one type side by side; the parser merges them.  A
 *    gap between two runs is allowed and means "not covered by this list".
 *  - Lines starting with '#' are comments; the writer puts the header
 *    line above first (the format is recognised by it, or by a first data
 *    line of this shape) and a summary line last.  Blank lines are ignored.
 *
 * Parsers never print and never crash on junk: errors come back as
 * "NAME:LINE: what is wrong" in struct p2msim_err.
 */
#ifndef P2MSIM_DUMP_H
#define P2MSIM_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "p2m/p2m.h"
#include "util/err.h"

struct json_object;

enum dump_format {
	DUMP_FMT_UNKNOWN,
	DUMP_FMT_OLD,	 /* debugfs p2m of 2.6.39-3.18: type and level lines */
	DUMP_FMT_MODERN, /* debugfs p2m of 3.19+: type lines */
	DUMP_FMT_RUNS,	 /* p2msim run list (above) */
	DUMP_FMT_LAB,	 /* xen-lab dom0p2m capture: "[0x9f-0xff] 97 identity ..." */
	DUMP_FMT_JSON,	 /* p2msim simulate --json: "runs": [{start, end, type}] */
};
#define DUMP_NR_FORMATS 6

/* "old debugfs dump", "run list", ... for messages. */
const char *dump_format_name(enum dump_format fmt);

/* The level names of the old dump, in the kernel's order. */
enum dump_level {
	DUMP_LEVEL_TOP,
	DUMP_LEVEL_MIDDLE,
	DUMP_LEVEL_ENTRY,
	DUMP_LEVEL_ABNORMAL, /* forced at the last pfn, never printed */
	DUMP_LEVEL_ERROR,    /* 3.x name of an unclassified pfn, never printed */
};
#define DUMP_NR_LEVELS 5
const char *dump_level_name(enum dump_level level);

struct dump_run {
	uint64_t start, end; /* [start, end), never empty */
	enum p2m_type type;
};

struct dump_level_run {
	uint64_t start, end;
	enum dump_level level;
};

/*
 * A sorted list of non-overlapping runs; adjacent runs of one type are
 * merged.  Gaps are kept: they are pfns the source does not describe.
 * The covered extent is [start, end) (both 0 when the list is empty);
 * covered counts the pfns inside runs.
 */
struct dump_runs {
	enum dump_format format; /* source format; UNKNOWN when built */
	struct dump_run *runs;
	size_t nr, alloc;
	uint64_t start, end, covered;
	/* Old dumps only: the level lines, contiguous from 0. */
	struct dump_level_run *levels;
	size_t nr_levels, alloc_levels;
};

void dump_runs_init(struct dump_runs *r);
/* Free the arrays and re-initialise. */
void dump_runs_free(struct dump_runs *r);

/* Append [start, end) of @type.  start must be at or after the end of the
 * last run; an empty range is ignored.  -EINVAL on overlap or disorder,
 * -ENOMEM. */
int dump_runs_add(struct dump_runs *r, uint64_t start, uint64_t end, enum p2m_type type,
		  struct p2msim_err *err);

/* Index of the run holding @pfn, or -1 (binary search). */
long dump_runs_find(const struct dump_runs *r, uint64_t pfn);

/* Pages per type (indexed by enum p2m_type). */
void dump_runs_count(const struct dump_runs *r, uint64_t pages[P2M_NR_TYPES]);

/* Semantic runs of @p2m over [start, end) (clamped to its capacity). */
int dump_runs_from_p2m(struct dump_runs *r, const struct p2m *p2m, uint64_t start, uint64_t end,
		       struct p2msim_err *err);

/* Print @r in the run list format.  0 or -EIO. */
int dump_runs_write(FILE *f, const struct dump_runs *r);

/* @r as a JSON array of {"start", "end", "type"} (the "runs" key of
 * simulate --json).  The caller owns *out (json_object_put). */
int dump_runs_to_json(const struct dump_runs *r, struct json_object **out, struct p2msim_err *err);

/* --- the kernel's debugfs file ------------------------------------------ */

/*
 * Old format (2.6.39-3.18): the kernel loops pfn 0 .. MAX_DOMAIN_PAGES-1
 * (@max_domain_pages: 0x2000000 for the 128 GiB default), so the last pfn
 * is never reported.  -ERANGE if that exceeds the P2M's capacity, -EIO on
 * a write error.
 */
int dump_write_old(FILE *f, const struct p2m *p2m, uint64_t max_domain_pages,
		   struct p2msim_err *err);

/* Modern format (3.19+) over 0 .. @xen_p2m_size - 1. */
int dump_write_modern(FILE *f, const struct p2m *p2m, uint64_t xen_p2m_size,
		      struct p2msim_err *err);

/* What parsing the written file would give, without the text: format
 * OLD with levels, or MODERN (whose identity runs are only the private
 * ones). */
int dump_runs_from_old(struct dump_runs *r, const struct p2m *p2m, uint64_t max_domain_pages,
		       struct p2msim_err *err);
int dump_runs_from_modern(struct dump_runs *r, const struct p2m *p2m, uint64_t xen_p2m_size,
			  struct p2msim_err *err);

/* --- parsers -------------------------------------------------------------- */

/* Recognise the format of @buf; *@line (optional) receives the line that
 * decided, or that could not be recognised. */
enum dump_format dump_detect(const char *buf, size_t len, unsigned long *line);

/*
 * Parse @buf (@len bytes, NULs allowed and rejected) as @fmt, or detect
 * it with DUMP_FMT_UNKNOWN.  @name is the file name for messages.  @r is
 * (re)initialised; on error it is left empty.
 */
int dump_parse(struct dump_runs *r, const char *buf, size_t len, const char *name,
	       enum dump_format fmt, struct p2msim_err *err);

/* Read @path ("-" is standard input) and parse it. */
int dump_parse_file(struct dump_runs *r, const char *path, enum dump_format fmt,
		    struct p2msim_err *err);

/* --- diff ------------------------------------------------------------------ */

/* Type of a side that has no run at a pfn (a gap, or outside its extent). */
#define DUMP_TYPE_NONE P2M_NR_TYPES
/* p2m_type_name(), or "none" for DUMP_TYPE_NONE. */
const char *dump_type_name(unsigned int type);

enum dump_scope {
	DUMP_SCOPE_COMMON, /* intersection of the two covered extents */
	DUMP_SCOPE_UNION,  /* union: pfns only one side covers differ */
};

/*
 * The modern debugfs file (3.19+) reads the p2m array, where a leaf backed
 * by the shared identity page holds INVALID, so it prints such leaves as
 * "missing" (doc/simulation.md#debugfs-dump); only identity values in private leaves print as
 * identity.  Every other source here is semantic: p2msim live dump labels
 * the shared identity page, simulate's run list and JSON say identity, the
 * lab's dom0p2m relabels the page, and the old dump (2.6.39-3.18) tests the
 * page pointer itself.  So a user holding a kernel's own
 * /sys/kernel/debug/xen/mmu/p2m and a live dump or simulation of the same
 * domain sees every identity hole of 2 MiB or more as a "difference" that
 * is really the kernel's quirk, while a real fault (a partial leaf that
 * lost its identity values, a missing RAM range) must still show.
 *
 * With the quirk applied to a side (the "dump side"), a pfn it shows as
 * missing while the other side shows identity is not a difference when it
 * lies in an aligned leaf (@leaf_pfns pfns) that is entirely missing on
 * the dump side and entirely identity on the other -- exactly what a
 * shared identity leaf or mid prints as.  Identity in a partial leaf must
 * print as identity and still differs; so do missing-vs-pfn and every
 * other pair.  The summary counts the pfns the quirk accepted.
 */
enum dump_quirk {
	DUMP_QUIRK_AUTO, /* apply to a side that is a modern dump, unless
				 * both are (then they compare exactly) */
	DUMP_QUIRK_OFF,	 /* compare types exactly */
	DUMP_QUIRK_ON,	 /* apply to both sides, whatever their format */
};

struct dump_diff_opts {
	enum dump_scope scope;
	bool have_range; /* compare exactly [range_start, range_end) */
	uint64_t range_start, range_end;
	bool have_max_pfn; /* and only below max_pfn */
	uint64_t max_pfn;
	enum dump_quirk quirk;
	uint64_t leaf_pfns; /* 0: 512 (x86-64) */
};

void dump_diff_opts_init(struct dump_diff_opts *o);

struct dump_diff_range {
	uint64_t start, end;	     /* [start, end) */
	unsigned int type_a, type_b; /* enum p2m_type or DUMP_TYPE_NONE */
};

struct dump_diff {
	uint64_t start, end; /* the range compared ([0, 0) if none) */
	enum dump_format format_a, format_b;
	bool quirk_a, quirk_b;		/* the quirk was applied to that side */
	uint64_t pages;			/* pfns that differ */
	uint64_t quirk_pages;		/* pfns accepted only by the quirk */
	struct dump_diff_range *ranges; /* maximal, ascending */
	size_t nr, alloc;
};

int dump_diff_runs(struct dump_diff *d, const struct dump_runs *a, const struct dump_runs *b,
		   const struct dump_diff_opts *opts, struct p2msim_err *err);
void dump_diff_free(struct dump_diff *d);

/*
 * One line per differing range, "START-END TYPE_A TYPE_B PAGES" (hex
 * half-open range as in the run list), then, with @name_a / @name_b, the
 * summary line "summary: N range(s), P page(s) differ in [S, E) ..." .
 * 0 or -EIO.
 */
int dump_diff_write(FILE *f, const struct dump_diff *d);
int dump_diff_write_summary(FILE *f, const struct dump_diff *d, const char *name_a,
			    const char *name_b);

#endif
