/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/diff.c - the pfn ranges where two run lists disagree.
 *
 * One sweep over both lists: at each step the compared segment ends at the
 * next run boundary of either side (or at a leaf boundary where the modern
 * dump quirk decides), so the cost is the number of runs on both sides.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugfs-dump/dump-internal.h"

void dump_diff_opts_init(struct dump_diff_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->scope = DUMP_SCOPE_COMMON;
	o->quirk = DUMP_QUIRK_AUTO;
	o->leaf_pfns = 512;
}

void dump_diff_free(struct dump_diff *d)
{
	free(d->ranges);
	memset(d, 0, sizeof(*d));
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	uint64_t r = x % a;

	if (!r)
		return x;
	return x > UINT64_MAX - (a - r) ? UINT64_MAX : x + (a - r);
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
	return x - x % a;
}

static int record(struct dump_diff *d, uint64_t s, uint64_t e, unsigned int ta, unsigned int tb)
{
	struct dump_diff_range *last = d->nr ? &d->ranges[d->nr - 1] : NULL;

	d->pages += e - s;
	if (last && last->end == s && last->type_a == ta && last->type_b == tb) {
		last->end = e;
		return 0;
	}
	if (d->nr == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 16;
		struct dump_diff_range *p;

		if (n > SIZE_MAX / sizeof(*p))
			return -ENOMEM;
		p = realloc(d->ranges, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->ranges = p;
		d->alloc = n;
	}
	d->ranges[d->nr++] = (struct dump_diff_range){ s, e, ta, tb };
	return 0;
}

/* A side's view at @pos: the type there and where it next changes. */
struct side {
	const struct dump_runs *r;
	size_t i; /* first run ending after pos */
	unsigned int type;
	uint64_t next;
	const struct dump_run *run; /* the run at pos, or NULL */
};

static void side_at(struct side *s, uint64_t pos)
{
	while (s->i < s->r->nr && s->r->runs[s->i].end <= pos)
		s->i++;
	s->run = NULL;
	if (s->i < s->r->nr && s->r->runs[s->i].start <= pos) {
		s->run = &s->r->runs[s->i];
		s->type = s->run->type;
		s->next = s->run->end;
	} else {
		s->type = DUMP_TYPE_NONE;
		s->next = s->i < s->r->nr ? s->r->runs[s->i].start : UINT64_MAX;
	}
}

static void pick_range(const struct dump_runs *a, const struct dump_runs *b,
		       const struct dump_diff_opts *o, uint64_t *lo, uint64_t *hi)
{
	if (o->have_range) {
		*lo = o->range_start;
		*hi = o->range_end;
	} else if (o->scope == DUMP_SCOPE_UNION) {
		if (!a->nr || !b->nr) {
			const struct dump_runs *x = a->nr ? a : b;

			*lo = x->start;
			*hi = x->end;
		} else {
			*lo = a->start < b->start ? a->start : b->start;
			*hi = a->end > b->end ? a->end : b->end;
		}
	} else if (!a->nr || !b->nr) {
		*lo = *hi = 0;
	} else {
		*lo = a->start > b->start ? a->start : b->start;
		*hi = a->end < b->end ? a->end : b->end;
	}
	if (o->have_max_pfn && *hi > o->max_pfn)
		*hi = o->max_pfn;
	if (*lo > *hi)
		*lo = *hi = 0;
}

int dump_diff_runs(struct dump_diff *d, const struct dump_runs *a, const struct dump_runs *b,
		   const struct dump_diff_opts *opts, struct p2msim_err *err)
{
	struct dump_diff_opts defaults;
	struct side sa = { a, 0, 0, 0, NULL }, sb = { b, 0, 0, 0, NULL };
	uint64_t leaf, lo, hi, pos;

	memset(d, 0, sizeof(*d));
	if (!opts) {
		dump_diff_opts_init(&defaults);
		opts = &defaults;
	}
	if (opts->have_range && opts->range_start > opts->range_end)
		return p2msim_err_set(err, -EINVAL,
				      "range 0x%" PRIx64 "-0x%" PRIx64 " ends before "
				      "it starts",
				      opts->range_start, opts->range_end);
	leaf = opts->leaf_pfns ? opts->leaf_pfns : 512;
	d->format_a = a->format;
	d->format_b = b->format;
	switch (opts->quirk) {
	case DUMP_QUIRK_ON:
		d->quirk_a = d->quirk_b = true;
		break;
	case DUMP_QUIRK_AUTO:
		/* Two modern dumps share the quirk and compare exactly. */
		d->quirk_a = a->format == DUMP_FMT_MODERN && b->format != DUMP_FMT_MODERN;
		d->quirk_b = b->format == DUMP_FMT_MODERN && a->format != DUMP_FMT_MODERN;
		break;
	case DUMP_QUIRK_OFF:
	default:
		break;
	}
	pick_range(a, b, opts, &lo, &hi);
	d->start = lo;
	d->end = hi;

	for (pos = lo; pos < hi;) {
		uint64_t seg_end;
		const struct dump_run *miss = NULL, *ident = NULL;

		side_at(&sa, pos);
		side_at(&sb, pos);
		seg_end = sa.next < sb.next ? sa.next : sb.next;
		if (seg_end > hi)
			seg_end = hi;
		if (sa.type == sb.type) {
			pos = seg_end;
			continue;
		}
		if (d->quirk_a && sa.type == P2M_MISSING && sb.type == P2M_IDENTITY) {
			miss = sa.run;
			ident = sb.run;
		} else if (d->quirk_b && sb.type == P2M_MISSING && sa.type == P2M_IDENTITY) {
			miss = sb.run;
			ident = sa.run;
		}
		if (miss && ident) {
			/* Whole aligned leaves, missing on the dump side and
			 * identity on the other: a shared identity leaf. */
			uint64_t ms = align_up(miss->start, leaf),
				 is = align_up(ident->start, leaf);
			uint64_t me = align_down(miss->end, leaf),
				 ie = align_down(ident->end, leaf);
			uint64_t cs = ms > is ? ms : is, ce = me < ie ? me : ie;

			if (cs < ce && pos < ce) {
				if (pos < cs) {
					if (seg_end > cs)
						seg_end = cs;
				} else {
					if (seg_end > ce)
						seg_end = ce;
					d->quirk_pages += seg_end - pos;
					pos = seg_end;
					continue;
				}
			}
		}
		if (record(d, pos, seg_end, sa.type, sb.type) < 0) {
			dump_diff_free(d);
			return p2msim_err_set(err, -ENOMEM, "out of memory for the diff");
		}
		pos = seg_end;
	}
	return 0;
}

int dump_diff_write(FILE *f, const struct dump_diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct dump_diff_range *x = &d->ranges[i];

		fprintf(f, "0x%" PRIx64 "-0x%" PRIx64 " %s %s %" PRIu64 "\n", x->start, x->end,
			dump_type_name(x->type_a), dump_type_name(x->type_b), x->end - x->start);
	}
	return ferror(f) ? -EIO : 0;
}

int dump_diff_write_summary(FILE *f, const struct dump_diff *d, const char *name_a,
			    const char *name_b)
{
	if (d->nr)
		fprintf(f, "summary: %zu range(s), %" PRIu64 " page(s) differ", d->nr, d->pages);
	else
		fputs("summary: no differences", f);
	fprintf(f, " in [0x%" PRIx64 ", 0x%" PRIx64 ") between %s (%s) and %s (%s)", d->start,
		d->end, name_a, dump_format_name(d->format_a), name_b,
		dump_format_name(d->format_b));
	if (d->quirk_a || d->quirk_b)
		fprintf(f, "; %" PRIu64 " page(s) of whole identity leaves read as missing in %s",
			d->quirk_pages,
			d->quirk_a && d->quirk_b ? "either" :
			d->quirk_a		 ? name_a :
						   name_b);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
