/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-diff.c - "p2msim diff" on two fuzzed P2M descriptions:
 * both parsed with format detection, then compared with options taken
 * from the input.
 *
 * Input: one option byte, then side A, a line "%%", side B (without the
 * separator the rest is cut in half).  Option byte: bits 0-1 quirk (auto,
 * off, on, on), bit 2 union scope, bit 3 --range [a.start + 1, b.end - 1)
 * (crossing both sides, possibly reversed), bit 4 --max-pfn (the middle of
 * B), bits 5-6 leaf size (default, 512, 1024, 3).
 *
 * Properties: the ranges are ascending, disjoint, inside [start, end),
 * each with two different types, and add up to the page count; the diff
 * is symmetric (B against A has the same ranges with the types swapped);
 * without the quirk, on small extents, every pfn agrees with a lookup in
 * both lists.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "debugfs-dump/dump.h"
#include "tests/fuzz/fuzz.h"

static unsigned int type_at(const struct dump_runs *r, uint64_t pfn)
{
	long i = dump_runs_find(r, pfn);

	return i < 0 ? DUMP_TYPE_NONE : (unsigned int)r->runs[i].type;
}

static void check_diff(const struct dump_diff *d)
{
	uint64_t pages = 0;

	FUZZ_CHECK(d->start <= d->end, "range");
	for (size_t i = 0; i < d->nr; i++) {
		const struct dump_diff_range *x = &d->ranges[i];

		FUZZ_CHECK(x->start < x->end && x->start >= d->start && x->end <= d->end,
			   "range %zu outside the compared range", i);
		FUZZ_CHECK(x->type_a != x->type_b, "range %zu of equal types", i);
		FUZZ_CHECK(x->type_a <= DUMP_TYPE_NONE && x->type_b <= DUMP_TYPE_NONE, "type");
		if (i)
			FUZZ_CHECK(d->ranges[i - 1].end <= x->start, "range %zu overlaps", i);
		pages += x->end - x->start;
	}
	FUZZ_CHECK(pages == d->pages, "pages %llu, ranges sum to %llu",
		   (unsigned long long)d->pages, (unsigned long long)pages);
	FUZZ_CHECK(d->quirk_pages <= d->end - d->start, "quirk pages");
}

/* Without the quirk, the diff is exactly the pfns whose types differ. */
static void brute_force(const struct dump_diff *d, const struct dump_runs *a,
			const struct dump_runs *b)
{
	size_t k = 0;

	for (uint64_t p = d->start; p < d->end; p++) {
		unsigned int ta = type_at(a, p), tb = type_at(b, p);

		while (k < d->nr && d->ranges[k].end <= p)
			k++;
		if (ta == tb) {
			FUZZ_CHECK(k == d->nr || d->ranges[k].start > p,
				   "pfn %#llx equal but reported", (unsigned long long)p);
		} else {
			FUZZ_CHECK(k < d->nr && d->ranges[k].start <= p &&
					   d->ranges[k].type_a == ta && d->ranges[k].type_b == tb,
				   "pfn %#llx differs (%s/%s) but not reported as such",
				   (unsigned long long)p, dump_type_name(ta), dump_type_name(tb));
		}
	}
}

static void compare(const struct dump_runs *a, const struct dump_runs *b, unsigned int opt)
{
	static const enum dump_quirk quirks[] = { DUMP_QUIRK_AUTO, DUMP_QUIRK_OFF, DUMP_QUIRK_ON,
						  DUMP_QUIRK_ON };
	static const uint64_t leaves[] = { 0, 512, 1024, 3 };
	struct dump_diff_opts o;
	struct dump_diff d, r;
	struct p2msim_err err;
	int rc;

	dump_diff_opts_init(&o);
	o.quirk = quirks[opt & 3];
	o.scope = opt & 4 ? DUMP_SCOPE_UNION : DUMP_SCOPE_COMMON;
	if (opt & 8) {
		o.have_range = true;
		o.range_start = a->start + 1;
		o.range_end = b->end ? b->end - 1 : 0;
	}
	if (opt & 16) {
		o.have_max_pfn = true;
		o.max_pfn = b->start + (b->end - b->start) / 2;
	}
	o.leaf_pfns = leaves[(opt >> 5) & 3];

	p2msim_err_clear(&err);
	rc = dump_diff_runs(&d, a, b, &o, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(o.have_range && o.range_start > o.range_end, "diff failed: %s", err.msg);
		return;
	}
	check_diff(&d);
	FUZZ_CHECK(dump_diff_write(fuzz_null(), &d) == 0, "write");
	FUZZ_CHECK(dump_diff_write_summary(fuzz_null(), &d, "a", "b") == 0, "summary");

	rc = dump_diff_runs(&r, b, a, &o, &err);
	FUZZ_CHECK(rc == 0, "reverse diff failed: %s", err.msg);
	FUZZ_CHECK(r.start == d.start && r.end == d.end && r.pages == d.pages &&
			   r.quirk_pages == d.quirk_pages && r.nr == d.nr,
		   "diff is not symmetric");
	for (size_t i = 0; i < d.nr; i++)
		FUZZ_CHECK(r.ranges[i].start == d.ranges[i].start &&
				   r.ranges[i].end == d.ranges[i].end &&
				   r.ranges[i].type_a == d.ranges[i].type_b &&
				   r.ranges[i].type_b == d.ranges[i].type_a,
			   "reverse range %zu", i);
	dump_diff_free(&r);

	if (!d.quirk_a && !d.quirk_b && d.end - d.start <= 4096)
		brute_force(&d, a, b);
	dump_diff_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_runs a, b;
	struct p2msim_err err;
	const uint8_t *sa, *sb, *sep;
	size_t la, lb;
	unsigned int opt;

	if (size < 1)
		return 0;
	opt = data[0];
	data++;
	size--;
	sep = size >= 3 ? memmem(data, size, "%%\n", 3) : NULL;
	sa = data;
	if (sep) {
		la = (size_t)(sep - data);
		sb = sep + 3;
		lb = size - la - 3;
	} else {
		la = size / 2;
		sb = data + la;
		lb = size - la;
	}
	if (dump_parse(&a, (const char *)sa, la, "a", DUMP_FMT_UNKNOWN, &err))
		return 0;
	if (dump_parse(&b, (const char *)sb, lb, "b", DUMP_FMT_UNKNOWN, &err)) {
		dump_runs_free(&a);
		return 0;
	}
	compare(&a, &b, opt);
	compare(&a, &a, opt);
	dump_runs_free(&a);
	dump_runs_free(&b);
	return 0;
}
