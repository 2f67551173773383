/* SPDX-License-Identifier: MIT */
/*
 * doctor/outcome.c - the outcome lines of a dom0 boot: what the kernel
 * printed about its memory setup and the words a kernel or Xen stopped
 * with.  The same reader runs over a real log and over the lines a
 * simulation printed, so the two are compared field by field.
 *
 * Nothing read here is an input to a simulation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"
#include "e820/e820-lib.h"
#include "util/parse.h"
#include "util/text.h"

void doctor_outcome_init(struct doctor_outcome *o)
{
	memset(o, 0, sizeof(*o));
	e820_table_init(&o->e820);
	e820_table_init(&o->user_e820);
}

void doctor_outcome_free(struct doctor_outcome *o)
{
	e820_table_free(&o->e820);
	e820_table_free(&o->user_e820);
	doctor_outcome_init(o);
}

/* A new boot starts: forget the last one's outcome, keep the counters of
 * what kind of lines the file holds. */
static void restart(struct doctor_outcome *o)
{
	struct doctor_outcome keep = *o;

	e820_table_free(&o->e820);
	e820_table_free(&o->user_e820);
	doctor_outcome_init(o);
	o->nr_lines = keep.nr_lines;
	o->nr_xen_lines = keep.nr_xen_lines;
	o->nr_kernel_lines = keep.nr_kernel_lines;
	o->hvm = keep.hvm;
	o->hvm_line = keep.hvm_line;
}

static const char *find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* "%lu" right after @prefix: the count of a "Released N page(s)" line. */
static bool count_after(const char *s, size_t len, const char *prefix, const char *suffix,
			uint64_t *v)
{
	const char *p = find(s, len, prefix), *end = s + len;
	int n;

	if (!p)
		return false;
	p += strlen(prefix);
	n = parse_scan_u64(p, 10, v);
	if (n <= 0)
		return false;
	p += n;
	return (size_t)(end - p) >= strlen(suffix) && !memcmp(p, suffix, strlen(suffix));
}

static void set_count(struct doctor_count *c, uint64_t v, unsigned int line)
{
	if (c->set)
		return; /* the first one of a boot counts */
	c->set = true;
	c->value = v;
	c->line = line;
}

/* "[mem 0xA-0xB]" from @p; returns the characters read or 0. */
static size_t scan_mem(const char *p, const char *end, uint64_t *a, uint64_t *b)
{
	const char *q = p;
	int n;

	if ((size_t)(end - q) < 7 || memcmp(q, "[mem 0x", 7))
		return 0;
	q += 7;
	if ((n = parse_scan_u64(q, 16, a)) <= 0)
		return 0;
	q += n;
	if ((size_t)(end - q) < 3 || memcmp(q, "-0x", 3))
		return 0;
	q += 3;
	if ((n = parse_scan_u64(q, 16, b)) <= 0)
		return 0;
	q += n;
	if (q >= end || *q != ']')
		return 0;
	return (size_t)(q + 1 - p);
}

static int e820_line(struct e820_table *t, const char *name, const char *s, size_t len,
		     unsigned int line, struct p2msim_err *err)
{
	const char *p = memchr(s, '[', len), *end = s + len;
	uint64_t a, b;
	uint32_t type;
	size_t n;

	if (!p || !(n = scan_mem(p, end, &a, &b)) || b < a)
		goto bad;
	p += n;
	while (p < end && text_is_space(*p))
		p++;
	if (e820_type_parse(p, (size_t)(end - p), false, &type) < 0)
		goto bad;
	if (e820_add_line(t, a, b - a + 1, type, line) < 0)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	return 0;
bad:
	return p2msim_err_set(err, -EINVAL, "%s:%u: cannot read the dom0's E820 line '%.*s'", name,
			      line, (int)(len > 80 ? 80 : len), s);
}

static void set_failure(struct doctor_outcome *o, enum doctor_stage stage, const char *s,
			size_t len, unsigned int line)
{
	if (o->stage != DOCTOR_STAGE_NONE)
		return;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	o->stage = stage;
	snprintf(o->failure, sizeof(o->failure), "%.*s", (int)len, s);
	o->failure_line = line;
}

/* The kernel's words for a stop of its memory setup. */
static const char *const kernel_stops[] = {
	"conflicts with E820 map", /* xen_chk_is_e820_usable, 4.3+ */
	"kernel BUG at ",
	"kernel BUG in ", /* p2msim's words without a line */
	"Kernel panic - not syncing",
	"Can't find new memory area for initrd",
	"No suitable area found for required E820 entry remapping",
	"Number of required E820 entry remapping actions exceed",
	"Invalid user supplied memory map",
	NULL,
};

struct reader {
	const char *name;
	struct doctor_outcome *o;
	bool xen_panic_next; /* the line after Xen's "Panic on CPU N:" */
	bool outcome_seen;   /* any dom0 outcome line in this boot */
};

static int kernel_line(struct reader *r, const char *s, size_t len, unsigned int line,
		       struct p2msim_err *err)
{
	struct doctor_outcome *o = r->o;
	uint64_t v, a, b, c, d;
	const char *p;
	bool pages;

	if (starts(s, len, "Linux version ")) {
		if (r->outcome_seen || o->first_kernel_line)
			restart(o);
		r->outcome_seen = false;
		o->first_kernel_line = line;
		o->nr_kernel_lines++;
		return 0;
	}
	if (find(s, len, "Hypervisor detected: Xen HVM") && !o->hvm) {
		o->hvm = true;
		o->hvm_line = line;
	}
	if (starts(s, len, "BIOS-e820: ") || find(s, len, " BIOS-e820: "))
		o->bios_e820 = true;
	if (starts(s, len, "Xen: [mem ") || starts(s, len, "user: [mem ")) {
		r->outcome_seen = true;
		o->nr_kernel_lines++;
		return e820_line(s[0] == 'X' ? &o->e820 : &o->user_e820, r->name, s, len, line,
				 err);
	}
	/* every count line says " page(s)": one search for most lines */
	pages = find(s, len, " page(s)") != NULL;
	if (pages && count_after(s, len, "Released ", " page(s)", &v)) {
		set_count(&o->released, v, line);
	} else if (pages && count_after(s, len, "Remapped ", " non-RAM page(s)", &v)) {
		set_count(&o->nonram, v, line);
	} else if (pages && count_after(s, len, "Remapped ", " page(s)", &v)) {
		set_count(&o->remapped, v, line);
	} else if (pages && count_after(s, len, "Set ", " page(s) to 1-1 mapping", &v)) {
		set_count(&o->identity, v, line);
	} else if ((p = find(s, len, "p2m virtual area at ")) &&
		   (p = find(p, len - (size_t)(p - s), ", size is "))) {
		p += strlen(", size is ");
		if (parse_scan_u64(p, 16, &v) <= 0)
			return 0;
		set_count(&o->p2m_area, v, line);
	} else if ((p = find(s, len, "initrd moved from ")) && !o->initrd_moved) {
		const char *end = s + len;
		size_t n;

		p += strlen("initrd moved from ");
		if (!(n = scan_mem(p, end, &a, &b)))
			return 0;
		p += n;
		if ((size_t)(end - p) < 4 || memcmp(p, " to ", 4))
			return 0;
		p += 4;
		if (!scan_mem(p, end, &c, &d))
			return 0;
		o->initrd_moved = true;
		o->initrd_line = line;
		o->initrd_from = a;
		o->initrd_from_end = b;
		o->initrd_to = c;
		o->initrd_to_end = d;
	} else {
		for (size_t i = 0; kernel_stops[i]; i++)
			if (find(s, len, kernel_stops[i])) {
				/* the line itself, from where the kernel's words start */
				const char *w = find(s, len, "Xen hypervisor allocated");

				if (!w)
					w = find(s, len, kernel_stops[i]);
				if (i == 0 && !find(s, len, "Xen hypervisor allocated"))
					w = s;
				set_failure(o, DOCTOR_STAGE_KERNEL, w, len - (size_t)(w - s), line);
				o->nr_kernel_lines++;
				return 0;
			}
		return 0;
	}
	r->outcome_seen = true;
	o->nr_kernel_lines++;
	return 0;
}

static void xen_line(struct reader *r, const char *s, size_t len, unsigned int line)
{
	struct doctor_outcome *o = r->o;

	o->nr_xen_lines++;
	while (len && text_is_space(*s))
		s++, len--;
	if (r->xen_panic_next) {
		if (len && s[0] != '*') {
			r->xen_panic_next = false;
			/* Xen's own panic: before dom0 printed anything it is
			 * Xen's stage (dom0_construct, its own setup) */
			set_failure(o,
				    r->outcome_seen || o->first_kernel_line ? DOCTOR_STAGE_KERNEL :
									      DOCTOR_STAGE_XEN,
				    s, len, line);
		}
		return;
	}
	if (starts(s, len, "Xen version ")) {
		/* a new Xen boot */
		if (o->last_xen_map_line || o->dom0_build_line)
			restart(o);
		r->outcome_seen = false;
		return;
	}
	if (find(s, len, " RAM map:") && !find(s, len, "Initial "))
		o->last_xen_map_line = line;
	if (starts(s, len, "*** Building a PV Dom0 ***") ||
	    starts(s, len, "*** LOADING DOMAIN 0 ***")) {
		o->dom0_build_line = line;
		o->pvh = false;
	} else if (starts(s, len, "*** Building a PVH Dom0 ***")) {
		o->dom0_build_line = line;
		o->pvh = true;
		o->pvh_line = line;
	} else if (starts(s, len, "Panic on CPU")) {
		r->xen_panic_next = true;
	} else if (starts(s, len, "Hardware Dom0 crashed")) {
		/* dom0 died without words the reader knows ("halted" is also
		 * what a normal power-off prints, so it says nothing) */
		if (o->stage == DOCTOR_STAGE_NONE) {
			o->stage = DOCTOR_STAGE_KERNEL;
			snprintf(o->failure, sizeof(o->failure), "dom0 stopped (Xen: \"%.*s\")",
				 (int)(len > 120 ? 120 : len), s);
			o->failure_line = line;
		}
	}
}

static int read_line(struct reader *r, const char *s, size_t len, unsigned int line, bool xen,
		     struct p2msim_err *err)
{
	r->o->nr_lines++;
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\n'))
		len--;
	if (xen) {
		xen_line(r, s, len, line);
		return 0;
	}
	return kernel_line(r, s, len, line, err);
}

static int parse_text(struct e820_text *t, const char *name, struct doctor_outcome *o,
		      struct p2msim_err *err)
{
	struct reader r = { .name = name, .o = o };
	struct e820_text_line l;
	int rc;

	while ((rc = e820_text_next(t, &l)) > 0) {
		rc = read_line(&r, l.content, strlen(l.content), l.line, l.xen, err);
		if (rc < 0)
			break;
	}
	e820_text_close(t);
	if (rc < 0)
		doctor_outcome_free(o);
	return rc < 0 ? rc : 0;
}

int doctor_outcome_parse(const char *name, const char *buf, size_t len, struct doctor_outcome *o,
			 struct p2msim_err *err)
{
	struct e820_text *t;
	int rc;

	name = name ? name : "<input>";
	doctor_outcome_init(o);
	rc = e820_text_open(&t, name, buf, len, err);
	return rc < 0 ? rc : parse_text(t, name, o, err);
}

int doctor_outcome_parse_fd(const char *name, int fd, struct doctor_outcome *o,
			    struct p2msim_err *err)
{
	struct e820_text *t;
	int rc;

	doctor_outcome_init(o);
	rc = e820_text_open_fd(&t, name, fd, err);
	return rc < 0 ? rc : parse_text(t, name, o, err);
}

int doctor_outcome_from_lines(char *const *lines, size_t nr, struct doctor_outcome *o,
			      struct p2msim_err *err)
{
	struct reader r = { .name = "the simulation", .o = o };
	int rc;

	doctor_outcome_init(o);
	for (size_t i = 0; i < nr; i++) {
		/* a logged E820 block is one entry holding several lines */
		for (const char *p = lines[i]; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			rc = kernel_line(&r, p, n, 0, err);
			if (rc < 0) {
				doctor_outcome_free(o);
				return rc;
			}
			o->nr_lines++;
			p += n + (nl ? 1 : 0);
		}
	}
	return 0;
}
