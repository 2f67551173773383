/* SPDX-License-Identifier: MIT */
/*
 * sim/picture.c - pictures of a simulated guest's pfn space: the E820 on
 * one track, the P2M on another, every range drawn with a width that grows
 * with the logarithm of its size, so a 4 KiB hole and a 1 TiB window both
 * stay visible.  As ASCII bars for a terminal, and as SVG for a browser.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "util/page.h"

/* One stretch of pfns where neither the E820 type nor the P2M type changes. */
struct segment {
	uint64_t start, end;
	int e820; /* E820 type, or 0 for a gap */
	enum p2m_type p2m;
	bool remap; /* RAM pfns above nr_pages: remapped frames */
};

struct segments {
	struct segment *s;
	size_t nr, alloc;
};

static int seg_push(struct segments *sg, const struct segment *seg)
{
	if (sg->nr == sg->alloc) {
		size_t n = sg->alloc ? sg->alloc * 2 : 64;
		struct segment *s = realloc(sg->s, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		sg->s = s;
		sg->alloc = n;
	}
	sg->s[sg->nr++] = *seg;
	return 0;
}

/* Walks the kernel's E820 (sanitized: sorted, no overlaps) in step with
 * the pfns, so building the segments is one pass over both. */
struct e820_cursor {
	const struct e820_table *t;
	size_t i;
};

static uint64_t entry_start(const struct e820_entry *e)
{
	return PFN_DOWN(e->addr);
}

static uint64_t entry_end(const struct e820_entry *e)
{
	return PFN_UP(e->addr + e->size);
}

/* The E820 type at @pfn (0: a gap) and the next pfn where it changes. */
static int e820_at(struct e820_cursor *c, uint64_t pfn, uint64_t limit, uint64_t *next)
{
	const struct e820_table *t = c->t;

	while (c->i < t->nr && entry_end(&t->entries[c->i]) <= pfn)
		c->i++;
	if (c->i == t->nr) {
		*next = limit;
		return 0;
	}
	if (entry_start(&t->entries[c->i]) > pfn) {
		*next = entry_start(&t->entries[c->i]);
		return 0;
	}
	*next = entry_end(&t->entries[c->i]);
	return (int)t->entries[c->i].type;
}

static uint64_t picture_limit(const struct simulation *sim)
{
	const struct e820_table *t = &sim->res.e820;
	uint64_t limit = sim->res.max_pfn;

	/* Everything the map describes, as far as the P2M reaches. */
	for (size_t i = 0; i < t->nr; i++) {
		uint64_t e = PFN_UP(t->entries[i].addr + t->entries[i].size);

		if (e > limit)
			limit = e;
	}
	if (sim->res.p2m_size && limit > sim->res.p2m_size)
		limit = sim->res.p2m_size;
	return limit;
}

static int build_segments(const struct simulation *sim, struct segments *sg)
{
	struct e820_cursor cur = { &sim->res.e820, 0 };
	uint64_t limit = picture_limit(sim);
	struct p2m_iter it;
	struct p2m_run run;
	bool have = false;

	if (!sim->res.p2m)
		return 0;
	p2m_iter_init(&it, sim->res.p2m, 0, limit, 0);
	if (p2m_iter_next(&it, &run))
		have = true;
	for (uint64_t pfn = 0; pfn < limit && have;) {
		uint64_t end;
		int type = e820_at(&cur, pfn, limit, &end);
		struct segment seg;

		if (end > limit)
			end = limit;
		while (have && run.end <= pfn)
			have = p2m_iter_next(&it, &run);
		if (!have)
			break;
		if (run.end < end)
			end = run.end;
		if (pfn < sim->nr_pages && end > sim->nr_pages)
			end = sim->nr_pages;
		seg = (struct segment){ pfn, end, type, run.type,
					run.type == P2M_PFN && pfn >= sim->nr_pages };
		/* merge with the previous one when nothing changes */
		if (sg->nr && sg->s[sg->nr - 1].end == pfn && sg->s[sg->nr - 1].e820 == seg.e820 &&
		    sg->s[sg->nr - 1].p2m == seg.p2m && sg->s[sg->nr - 1].remap == seg.remap)
			sg->s[sg->nr - 1].end = end;
		else if (seg_push(sg, &seg) < 0)
			return -ENOMEM;
		pfn = end;
	}
	return 0;
}

static const char *e820_label(int type)
{
	switch (type) {
	case 0:
		return "gap";
	case E820_TYPE_RAM:
		return "RAM";
	case E820_TYPE_RESERVED:
		return "res";
	case E820_TYPE_ACPI:
		return "ACPI";
	case E820_TYPE_NVS:
		return "NVS";
	case E820_TYPE_UNUSABLE:
		return "unus";
	case E820_TYPE_PMEM:
		return "PMEM";
	case E820_TYPE_PRAM:
		return "PRAM";
	default:
		return "other";
	}
}

static const char *p2m_label(const struct segment *s)
{
	if (s->remap)
		return "remap";
	switch (s->p2m) {
	case P2M_PFN:
		return "pfn";
	case P2M_IDENTITY:
		return "1-1";
	case P2M_MISSING:
		return "miss";
	case P2M_FOREIGN:
		return "frgn";
	default:
		return "?";
	}
}

/* Width of a segment in columns: grows with log2 of its size. */
static unsigned int seg_width(const struct segment *s)
{
	double pages = (double)(s->end - s->start);
	unsigned int w = 2 + (unsigned int)(log2(pages + 1) / 2.5);
	unsigned int lab = (unsigned int)strlen(e820_label(s->e820));
	char addr[24];

	if (strlen(p2m_label(s)) > lab)
		lab = (unsigned int)strlen(p2m_label(s));
	snprintf(addr, sizeof(addr), "%" PRIx64, s->start);
	if (strlen(addr) > lab)
		lab = (unsigned int)strlen(addr);
	return w > lab + 1 ? w : lab + 1;
}

static void print_cell(FILE *f, const char *label, unsigned int width, char fill)
{
	size_t n = strlen(label);

	fputc('|', f);
	fputs(label, f);
	for (size_t i = n + 1; i < width; i++)
		fputc(fill, f);
}

static void print_row(FILE *f, const struct segments *sg, size_t from, size_t to)
{
	fputs("  E820 ", f);
	for (size_t i = from; i < to; i++)
		print_cell(f, e820_label(sg->s[i].e820), seg_width(&sg->s[i]),
			   sg->s[i].e820 == 0		  ? ' ' :
			   sg->s[i].e820 == E820_TYPE_RAM ? '=' :
							    '#');
	fputs("|\n  P2M  ", f);
	for (size_t i = from; i < to; i++)
		print_cell(f, p2m_label(&sg->s[i]), seg_width(&sg->s[i]),
			   sg->s[i].p2m == P2M_PFN	? '=' :
			   sg->s[i].p2m == P2M_IDENTITY ? '/' :
							  '.');
	fputs("|\n  pfn  ", f);
	for (size_t i = from; i < to; i++) {
		char addr[24];

		snprintf(addr, sizeof(addr), "%" PRIx64, sg->s[i].start);
		fputc(' ', f);
		fprintf(f, "%-*s", (int)seg_width(&sg->s[i]) - 1, addr);
	}
	fprintf(f, " %" PRIx64 "\n", sg->s[to - 1].end);
}

int simulation_diagram(FILE *f, const struct simulation *sim, unsigned int columns,
		       struct p2msim_err *err)
{
	struct segments sg = { 0 };
	size_t from = 0;
	int rc = build_segments(sim, &sg);

	if (rc < 0)
		return p2msim_err_set(err, rc, "out of memory drawing the diagram");
	if (columns < 40)
		columns = 40;
	fprintf(f, "pfn space of %s under %s, [0, %#" PRIx64 "); widths grow with log2(size)\n",
		sim->dom0 ? "dom0" : "the domU", sim->model.release, picture_limit(sim));
	while (from < sg.nr) {
		unsigned int used = 8;
		size_t to = from;

		while (to < sg.nr && (to == from || used + seg_width(&sg.s[to]) + 1 < columns))
			used += seg_width(&sg.s[to++]);
		print_row(f, &sg, from, to);
		from = to;
	}
	fprintf(f,
		"  E820: RAM usable, res reserved, ACPI data, NVS, unus unusable, gap no entry\n"
		"  P2M:  pfn own frame, remap frame moved above nr_pages (%#" PRIx64 "), "
		"1-1 identity, miss missing\n",
		sim->nr_pages);
	free(sg.s);
	return ferror(f) ? p2msim_err_set(err, -EIO, "write error") : 0;
}

/* --- SVG ------------------------------------------------------------------------------ */

static const char *e820_colour(int type)
{
	switch (type) {
	case 0:
		return "#ffffff";
	case E820_TYPE_RAM:
		return "#7fbf7f";
	case E820_TYPE_RESERVED:
		return "#bf7f7f";
	case E820_TYPE_ACPI:
		return "#7f9fdf";
	case E820_TYPE_NVS:
		return "#5f5fbf";
	case E820_TYPE_UNUSABLE:
		return "#9f9f9f";
	default:
		return "#dfbf5f";
	}
}

static const char *p2m_colour(const struct segment *s)
{
	if (s->remap)
		return "#3f9f3f";
	switch (s->p2m) {
	case P2M_PFN:
		return "#7fbf7f";
	case P2M_IDENTITY:
		return "#dfa03f";
	case P2M_MISSING:
		return "#e8e8e8";
	default:
		return "#bf3fbf";
	}
}

int simulation_svg(FILE *f, const struct simulation *sim, struct p2msim_err *err)
{
	struct segments sg = { 0 };
	double x = 40, scale = 6;
	int rc = build_segments(sim, &sg);

	if (rc < 0)
		return p2msim_err_set(err, rc, "out of memory drawing the SVG");
	for (size_t i = 0; i < sg.nr; i++)
		x += scale * (1 + log2((double)(sg.s[i].end - sg.s[i].start) + 1));
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"205\" "
		"font-family=\"monospace\" font-size=\"10\">\n"
		"<title>p2msim: %s under kernel %s</title>\n"
		"<text x=\"4\" y=\"14\" font-size=\"12\">pfn space of %s under kernel %s "
		"(widths grow with log2 of the size; hover for ranges)</text>\n"
		"<text x=\"4\" y=\"52\">E820</text><text x=\"4\" y=\"102\">P2M</text>\n",
		x + 40 > 760 ? x + 40 : 760, sim->dom0 ? "dom0" : "domU", sim->model.release,
		sim->dom0 ? "dom0" : "the domU", sim->model.release);
	x = 40;
	for (size_t i = 0; i < sg.nr; i++) {
		const struct segment *s = &sg.s[i];
		double w = scale * (1 + log2((double)(s->end - s->start) + 1));

		fprintf(f,
			"<rect x=\"%.1f\" y=\"30\" width=\"%.1f\" height=\"36\" fill=\"%s\" "
			"stroke=\"#333\"><title>[%#" PRIx64 ", %#" PRIx64 ") %s, %" PRIu64
			" pages</title></rect>\n",
			x, w, e820_colour(s->e820), s->start, s->end, e820_label(s->e820),
			s->end - s->start);
		fprintf(f,
			"<rect x=\"%.1f\" y=\"80\" width=\"%.1f\" height=\"36\" fill=\"%s\" "
			"stroke=\"#333\"><title>[%#" PRIx64 ", %#" PRIx64 ") %s, %" PRIu64
			" pages</title></rect>\n",
			x, w, p2m_colour(s), s->start, s->end, p2m_label(s), s->end - s->start);
		if (w > 24) {
			fprintf(f, "<text x=\"%.1f\" y=\"52\">%s</text>\n", x + 3,
				e820_label(s->e820));
			fprintf(f, "<text x=\"%.1f\" y=\"102\">%s</text>\n", x + 3, p2m_label(s));
		}
		fprintf(f,
			"<text x=\"%.1f\" y=\"132\" transform=\"rotate(60 %.1f 132)\">%" PRIx64
			"</text>\n",
			x, x, s->start);
		x += w;
	}
	fprintf(f,
		"<text x=\"4\" y=\"180\">E820: green RAM, red reserved, blue ACPI/NVS, grey "
		"unusable, white gap.</text>\n<text x=\"4\" y=\"196\">P2M: green own frames, "
		"dark green remapped above nr_pages (%#" PRIx64 "), orange identity (1-1), light "
		"grey missing.</text>\n</svg>\n",
		sim->nr_pages);
	free(sg.s);
	return ferror(f) ? p2msim_err_set(err, -EIO, "write error") : 0;
}
