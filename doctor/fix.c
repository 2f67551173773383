/* SPDX-License-Identifier: MIT */
/*
 * doctor/fix.c - the smallest changes of the options a user controls under
 * which the simulated boot succeeds.
 *
 * Candidates, by the size of the change (the cost): dropping one kernel
 * option (mem=, memmap=, xen_512gb_limit); one entry of a memmap=exactmap
 * map grown past the remap target; a larger kernel mem=; a whole exactmap
 * map dropped; dropping
 * Xen's mem= or availmem=, or a larger one; dropping dom0_mem's max: or
 * another dom0_mem= size; the nearest Xen releases
 * of the Xen table up and down; then the nearest kernel
 * releases up and down that the behaviour table names (nearer first).  Each is a whole
 * simulation of the same machine; only those that boot are kept, at most
 * DOCTOR_MAX_FIXES, cheapest first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor-internal.h"
#include "xen/dom0-mem.h"
#include "util/page.h"
#include "util/text.h"

struct cand {
	char change[DOCTOR_TEXT_MAX];
	char xen[16]; /* "": the report's */
	unsigned int cost;
	unsigned int group; /* of one group only the cheapest that boots */
	bool booted;
	char kernel[48];
	char *kcmd, *xcmd, *dom0_mem;
};

struct search {
	unsigned int group; /* the group add() puts candidates in */
	struct doctor_report *r;
	const struct doctor_options *o;
	const char *log_path;
	struct cand *c;
	size_t nr, alloc;
};

static void cand_free(struct cand *c)
{
	free(c->kcmd);
	free(c->xcmd);
	free(c->dom0_mem);
}

/* Take ownership of kcmd/xcmd/dom0_mem (NULL: unchanged). */
static int add(struct search *s, unsigned int cost, const char *kernel, char *kcmd, char *xcmd,
	       char *dom0_mem, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int add(struct search *s, unsigned int cost, const char *kernel, char *kcmd, char *xcmd,
	       char *dom0_mem, const char *fmt, ...)
{
	struct cand *c;
	va_list ap;

	if (s->nr == s->alloc) {
		size_t n = s->alloc ? s->alloc * 2 : 32;
		struct cand *p = realloc(s->c, n * sizeof(*p));

		if (!p) {
			free(kcmd);
			free(xcmd);
			free(dom0_mem);
			return -ENOMEM;
		}
		s->c = p;
		s->alloc = n;
	}
	c = &s->c[s->nr++];
	memset(c, 0, sizeof(*c));
	c->cost = cost;
	c->group = s->group;
	snprintf(c->kernel, sizeof(c->kernel), "%s", kernel);
	c->kcmd = kcmd;
	c->xcmd = xcmd;
	c->dom0_mem = dom0_mem;
	va_start(ap, fmt);
	vsnprintf(c->change, sizeof(c->change), fmt, ap);
	va_end(ap);
	return 0;
}

/* --- command lines as words ----------------------------------------------------------- */

#define MAX_WORDS 256

static size_t words(const char *line, const char *w[], size_t len[], size_t max)
{
	size_t n = 0;

	for (const char *p = line ? line : ""; *p && n < max;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w[n] = p;
		len[n] = strcspn(p, " \t");
		p += len[n++];
	}
	return n;
}

/* The line with word @skip replaced by @with (NULL: dropped; skip past the
 * end: @with appended). */
static char *rebuild(const char *line, size_t skip, const char *with)
{
	const char *w[MAX_WORDS];
	size_t len[MAX_WORDS], n = words(line, w, len, MAX_WORDS), size = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		size += len[i] + 1;
	size += with ? strlen(with) + 1 : 0;
	out = p = malloc(size);
	if (!out)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i <= n; i++) {
		const char *t = i == skip ? with : i < n ? w[i] : NULL;
		size_t tl = i == skip ? (with ? strlen(with) : 0) : i < n ? len[i] : 0;

		if (!t || !tl)
			continue;
		if (p != out)
			*p++ = ' ';
		memcpy(p, t, tl);
		p += tl;
		*p = '\0';
	}
	return out;
}

static void size_text(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && !(bytes & ((1ULL << 30) - 1)))
		snprintf(buf, len, "%" PRIu64 "G", bytes >> 30);
	else if (bytes && !(bytes & ((1ULL << 20) - 1)))
		snprintf(buf, len, "%" PRIu64 "M", bytes >> 20);
	else
		snprintf(buf, len, "%" PRIu64 "K", bytes >> 10);
}

/* --- candidates --------------------------------------------------------------------------- */

/* The line without its memmap= words: an exactmap map and its entries. */
static char *drop_memmap(const char *line)
{
	const char *w[MAX_WORDS];
	size_t len[MAX_WORDS], n = words(line, w, len, MAX_WORDS);
	char *out = malloc(strlen(line ? line : "") + 1), *p = out;

	if (!out)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		if (len[i] > 7 && starts_with(w[i], "memmap="))
			continue;
		if (p != out)
			*p++ = ' ';
		memcpy(p, w[i], len[i]);
		p += len[i];
		*p = '\0';
	}
	return out;
}

/*
 * memmap=exactmap replaces the kernel's map with its entries: dropping
 * one word of it changes what all the others mean, so the candidates are
 * the whole set dropped and, when the map ends below what xen_remap_memory
 * moves (the remap BUG), its highest RAM entry (memmap=SIZE@START) grown to
 * reach past the remap target: one entry changed, the rest of the user's
 * map kept.
 */
static int exactmap_options(struct search *s, const char *line, const char *w[], const size_t len[],
			    size_t n)
{
	const struct setup_stop *st = &s->r->sim.res.stop;
	size_t best = n, entries = 0, at_len = 0;
	uint64_t best_start = 0, best_end = 0;
	const char *at = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const char *e, *end = w[i] + len[i];
		uint64_t size, start;

		if (len[i] <= 7 || !starts_with(w[i], "memmap=") ||
		    starts_with(w[i], "memmap=exactmap"))
			continue;
		entries++;
		size = e820_memparse(w[i] + 7, &e);
		if (e >= end || *e != '@' || memchr(w[i], ',', len[i]))
			continue;
		start = e820_memparse(e + 1, NULL);
		if (start + size > best_end) {
			best = i;
			best_start = start;
			best_end = start + size;
			at = e + 1;
			at_len = (size_t)(end - at);
		}
	}
	s->group++;
	rc = add(s, 13, s->r->kernel, drop_memmap(line), NULL, NULL,
		 "kernel command line: drop memmap=exactmap and its %zu memmap= entr%s", entries,
		 entries == 1 ? "y" : "ies");
	if (rc < 0 || !s->r->sim.res.crashed || strcmp(st->what, "remap") || best == n ||
	    (st->end << 12) <= best_end)
		return rc;
	{
		char val[32], opt[96];

		size_text((st->end << 12) - best_start, val, sizeof(val));
		snprintf(opt, sizeof(opt), "memmap=%s@%.*s", val, (int)at_len, at);
		s->group++;
		rc = add(s, 11, s->r->kernel, rebuild(line, best, opt), NULL, NULL,
			 "kernel command line: %.*s -> %s (the memmap=exactmap map then reaches "
			 "pfn %#" PRIx64 ", past the remap target)",
			 (int)len[best], w[best], opt, st->end);
	}
	return rc;
}

static int kernel_options(struct search *s)
{
	const char *line = s->r->kernel_cmdline, *w[MAX_WORDS];
	size_t len[MAX_WORDS], n = words(line, w, len, MAX_WORDS);
	bool exactmap = false;
	int rc;

	for (size_t i = 0; i < n; i++)
		exactmap |= len[i] == 15 && starts_with(w[i], "memmap=exactmap");
	if (exactmap && (rc = exactmap_options(s, line, w, len, n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		bool mem = len[i] > 4 && starts_with(w[i], "mem=");
		bool memmap = len[i] > 7 && starts_with(w[i], "memmap=");
		bool limit = starts_with(w[i], "xen_512gb_limit");

		if (!mem && !memmap && !limit)
			continue;
		if (memmap && exactmap)
			continue; /* the set as a whole, above */
		s->group++;
		rc = add(s, 10, s->r->kernel, rebuild(line, i, NULL), NULL, NULL,
			 "kernel command line: drop %.*s", (int)len[i], w[i]);
		if (rc < 0)
			return rc;
		if (mem) {
			uint64_t v = e820_memparse(w[i] + 4, NULL);

			s->group++;
			for (unsigned int k = 1; k <= 3 && v; k++) {
				char val[32], opt[48];

				size_text(v << k, val, sizeof(val));
				snprintf(opt, sizeof(opt), "mem=%s", val);
				rc = add(s, 11 + k, s->r->kernel, rebuild(line, i, opt), NULL, NULL,
					 "kernel command line: %.*s -> %s", (int)len[i], w[i], opt);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int dom0_mem_cand(struct search *s, unsigned int cost, size_t at, const char *old,
			 const char *spec)
{
	char opt[96], *x, *d;

	snprintf(opt, sizeof(opt), "dom0_mem=%s", spec);
	x = rebuild(s->r->xen_cmdline, at, opt);
	d = strdup(spec);
	if (!x || !d) {
		free(x);
		free(d);
		return -ENOMEM;
	}
	if (old)
		return add(s, cost, s->r->kernel, NULL, x, d, "Xen command line: dom0_mem=%s -> %s",
			   old, opt);
	return add(s, cost, s->r->kernel, NULL, x, d, "Xen command line: add %s", opt);
}

/*
 * Xen's own mem= (highest RAM address it uses) and availmem= (how much RAM):
 * dropped, then twice and four times the size.  They shrink what Xen can
 * give dom0, not the map dom0 reads.  The candidate keeps dom0_mem= as it
 * is, so that dom0's pages are worked out again (a log's "Dom0 alloc."
 * line would otherwise stand for them).
 */
static int xen_mem_options(struct search *s, const char *dom0_mem)
{
	const char *line = s->r->xen_cmdline, *w[MAX_WORDS];
	size_t len[MAX_WORDS], n = words(line, w, len, MAX_WORDS);
	int rc;

	for (size_t i = 0; i < n; i++) {
		size_t pre = len[i] > 4 && starts_with(w[i], "mem=")	  ? 4 :
			     len[i] > 9 && starts_with(w[i], "availmem=") ? 9 :
									    0;
		char opt[48], val[32], *x, *d;
		uint64_t v;

		if (!pre)
			continue;
		v = xen_parse_size(w[i] + pre, NULL);
		s->group++;
		for (unsigned int k = 0; k <= 2; k++) {
			if (k && !v)
				break;
			if (k) {
				size_text(v << k, val, sizeof(val));
				snprintf(opt, sizeof(opt), "%.*s%s", (int)pre, w[i], val);
			}
			x = rebuild(line, i, k ? opt : NULL);
			d = dom0_mem ? strdup(dom0_mem) : NULL;
			if (!x || (dom0_mem && !d)) {
				free(x);
				free(d);
				return -ENOMEM;
			}
			if (k)
				rc = add(s, 15 + k, s->r->kernel, NULL, x, d,
					 "Xen command line: %.*s -> %s", (int)len[i], w[i], opt);
			else
				rc = add(s, 15, s->r->kernel, NULL, x, d,
					 "Xen command line: drop %.*s", (int)len[i], w[i]);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int xen_options(struct search *s)
{
	const char *line = s->r->xen_cmdline, *w[MAX_WORDS];
	size_t len[MAX_WORDS], n = words(line, w, len, MAX_WORDS), at = MAX_WORDS + 1;
	struct dom0_mem dm;
	char old[96] = "", a[32], m[32], spec[96];
	int rc;

	if (!line)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (len[i] > 9 && starts_with(w[i], "dom0_mem=")) {
			at = i;
			snprintf(old, sizeof(old), "%.*s", (int)len[i] - 9, w[i] + 9);
		}
	if ((rc = xen_mem_options(s, old[0] ? old : NULL)) < 0)
		return rc;
	if (!old[0]) {
		/* Xen gives dom0 nearly everything: try fixed sizes */
		static const uint64_t sizes[] = { 1ULL << 30, 4ULL << 30 };

		s->group++;
		for (size_t k = 0; k < 2; k++) {
			size_text(sizes[k], a, sizeof(a));
			snprintf(spec, sizeof(spec), "%s,max:%s", a, a);
			if ((rc = dom0_mem_cand(s, 24 + (unsigned int)k, n, NULL, spec)) < 0)
				return rc;
		}
		return 0;
	}
	if (dom0_mem_parse(old, &dm, NULL) < 0 || !dm.amount.set || dm.amount.minus ||
	    dm.amount.percent)
		return 0;
	s->group++;
	if (dm.max.set) {
		size_text(PFN_PHYS(dm.amount.pages), a, sizeof(a));
		if ((rc = dom0_mem_cand(s, 20, at, old, a)) < 0)
			return rc;
		s->group++;
	}
	for (unsigned int k = 0; k < 3; k++) {
		/* half, double, four times */
		uint64_t pages = k == 0 ? dm.amount.pages / 2 : dm.amount.pages << k;

		if (pages < PFN_DOWN(64ULL << 20))
			continue;
		size_text(PFN_PHYS(pages), a, sizeof(a));
		if (dm.max.set) {
			uint64_t max = dm.max.pages == dm.amount.pages || dm.max.pages < pages ?
					       pages :
					       dm.max.pages;

			size_text(PFN_PHYS(max), m, sizeof(m));
			snprintf(spec, sizeof(spec), "%s,max:%s", a, m);
		} else {
			snprintf(spec, sizeof(spec), "%s", a);
		}
		if ((rc = dom0_mem_cand(s, 21 + k, at, old, spec)) < 0)
			return rc;
	}
	return 0;
}

struct release {
	const char *name;
	unsigned int v[3];
};

static int release_cmp(const void *a, const void *b)
{
	const struct release *x = a, *y = b;

	for (int i = 0; i < 3; i++)
		if (x->v[i] != y->v[i])
			return x->v[i] < y->v[i] ? -1 : 1;
	return 0;
}

size_t doctor_kernel_releases(const char **out, size_t max)
{
	size_t nr, n = 0;
	const struct kernel_behaviour_row *rows = kernel_behaviours(&nr);
	struct release rel[2 * KB_NR_BEHAVIOURS];

	for (size_t i = 0; i < nr; i++) {
		const char *v[2] = { rows[i].since, rows[i].until };

		for (int k = 0; k < 2; k++) {
			struct kernel_model km;
			bool dup = false;

			if (!v[k] || kernel_model_init(&km, v[k], NULL, NULL) < 0)
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= rel[j].v[0] == km.major && rel[j].v[1] == km.minor &&
				       rel[j].v[2] == km.patch;
			if (!dup)
				rel[n++] =
					(struct release){ v[k], { km.major, km.minor, km.patch } };
		}
	}
	qsort(rel, n, sizeof(rel[0]), release_cmp);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = rel[i].name;
	return n < max ? n : max;
}

/* A release change costs more than any option, and more the further it
 * goes (X.Y as X * 100 + Y); an upgrade before a downgrade as far. */
static unsigned int release_cost(const struct release *to, const struct release *from, bool down)
{
	unsigned int a = to->v[0] * 100 + to->v[1], b = from->v[0] * 100 + from->v[1];
	unsigned int dist = a > b ? a - b : b - a;

	return 30 + 2 * (dist / 10 < 60 ? dist / 10 : 60) + (down ? 1 : 0);
}

/* "gains nvs-swap; loses kernel-conflict-bug": what a release changes. */
static void changes(const struct kernel_model *from, const char *to, char *buf, size_t len)
{
	struct kernel_model km;
	size_t nr, n = 0;
	const struct kernel_behaviour_row *rows = kernel_behaviours(&nr);

	*buf = '\0';
	if (kernel_model_init(&km, to, &from->config, NULL) < 0)
		return;
	for (int gain = 1; gain >= 0; gain--) {
		unsigned int k = 0;

		for (size_t i = 0; i < nr; i++) {
			enum kernel_behaviour b = rows[i].id;

			if (kernel_has(&km, b) == kernel_has(from, b) || kernel_has(&km, b) != gain)
				continue;
			if (k == 4) {
				n += (size_t)snprintf(buf + n, len - n, ", ...");
				break;
			}
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      k	   ? ", " :
					      n	   ? "; loses " :
					      gain ? "gains " :
						     "loses ",
					      rows[i].name);
			k++;
			if (n >= len)
				return;
		}
	}
}

/* Kernel release @name as a candidate when it is on the @older side of @me. */
static int kernel_release(struct search *s, const char *name, const struct release *me, bool older)
{
	const struct kernel_model *cur = &s->r->sim.model;
	struct kernel_model km;
	struct release x;
	char what[160];
	int cmp;

	if (kernel_model_init(&km, name, NULL, NULL) < 0)
		return 0;
	x = (struct release){ name, { km.major, km.minor, km.patch } };
	cmp = release_cmp(&x, me);
	if (older ? cmp >= 0 : cmp <= 0)
		return 0;
	changes(cur, name, what, sizeof(what));
	return add(s, release_cost(&x, me, older), name, NULL, NULL, NULL,
		   "kernel %s -> %s (%s: %s)", cur->release, name, older ? "older" : "newer", what);
}

/* The kernel releases the behaviour table names, newer ones first, then the
 * older ones from the nearest down. */
static int kernel_releases(struct search *s)
{
	const char *list[2 * KB_NR_BEHAVIOURS];
	size_t n = doctor_kernel_releases(list, 2 * KB_NR_BEHAVIOURS);
	const struct kernel_model *cur = &s->r->sim.model;
	struct release me = { NULL, { cur->major, cur->minor, cur->patch } };
	int rc;

	s->group++;
	for (size_t i = 0; i < n; i++)
		if ((rc = kernel_release(s, list[i], &me, false)) < 0)
			return rc;
	s->group++;
	for (size_t i = n; i-- > 0;)
		if ((rc = kernel_release(s, list[i], &me, true)) < 0)
			return rc;
	return 0;
}

/* The Xen releases the Xen table names, nearest first each way. */
static int xen_releases(struct search *s)
{
	const char *list[2 * XB_NR_BEHAVIOURS];
	size_t n = doctor_xen_releases(list, 2 * XB_NR_BEHAVIOURS);
	struct xen_model cur;
	int rc;

	if (xen_model_init(&cur, s->r->xen[0] ? s->r->xen : XEN_DEFAULT_VERSION, NULL) < 0)
		return 0;
	for (int down = 0; down < 2; down++) {
		unsigned int k = 0;

		s->group++;
		for (size_t j = 0; j < n; j++) {
			size_t i = down ? n - 1 - j : j;
			struct xen_model x;
			bool newer;

			if (xen_model_init(&x, list[i], NULL) < 0 ||
			    (x.major == cur.major && x.minor == cur.minor))
				continue;
			newer = x.major > cur.major ||
				(x.major == cur.major && x.minor > cur.minor);
			if (newer == (bool)down)
				continue;
			rc = add(s, 26 + 2 * k++ + (unsigned int)down, s->r->kernel, NULL, NULL,
				 NULL, "Xen %s -> %s", cur.version, list[i]);
			if (rc < 0)
				return rc;
			snprintf(s->c[s->nr - 1].xen, sizeof(s->c[0].xen), "%s", list[i]);
		}
	}
	return 0;
}

/* --- verification -------------------------------------------------------------------------- */

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->cost < y->cost ? -1 : x->cost > y->cost;
}

static bool boots(struct search *s, const struct cand *c)
{
	struct simulation_options so;
	struct simulation sim;
	int rc;

	doctor_sim_options(s->r, s->o, s->log_path, &so);
	so.kernel = c->kernel;
	if (c->xen[0])
		so.xen = c->xen;
	if (c->kcmd)
		so.cmdline = c->kcmd;
	if (c->xcmd) {
		so.xen_cmdline = c->xcmd;
		so.dom0_mem = c->dom0_mem;
	}
	rc = simulation_run(&so, &sim, NULL);
	s->r->nr_tried++;
	rc = rc == 0 && !sim.res.crashed;
	simulation_free(&sim);
	return rc;
}

static int keep(struct doctor_report *r, struct cand *c)
{
	struct doctor_fix *f = &r->fixes[r->nr_fixes];

	memset(f, 0, sizeof(*f));
	snprintf(f->change, sizeof(f->change), "%s", c->change);
	f->cost = c->cost;
	snprintf(f->kernel, sizeof(f->kernel), "%s", c->kernel);
	snprintf(f->xen, sizeof(f->xen), "%s", c->xen[0] ? c->xen : r->xen);
	f->kernel_cmdline = c->kcmd ? c->kcmd : strdup(r->kernel_cmdline ? r->kernel_cmdline : "");
	f->xen_cmdline = c->xcmd ? c->xcmd : r->xen_cmdline ? strdup(r->xen_cmdline) : NULL;
	f->dom0_mem = c->dom0_mem;
	c->kcmd = c->xcmd = c->dom0_mem = NULL;
	r->nr_fixes++;
	if (!f->kernel_cmdline || (r->xen_cmdline && !f->xen_cmdline))
		return -ENOMEM;
	return 0;
}

int doctor_search_fixes(struct doctor_report *r, const struct doctor_options *o,
			const char *log_path, struct p2msim_err *err)
{
	struct search s = { .r = r, .o = o, .log_path = log_path };
	int rc;

	if (r->no_fix_why[0]) {
		/* none of the options acts before this stop (doctor_explain) */
		r->searched = true;
		return 0;
	}
	if (!r->sim.res.crashed && r->model.stage != DOCTOR_STAGE_XEN) {
		doctor_note(r, "no fix searched: the simulation does not reproduce the stop, so "
			       "no change could be verified");
		return 0;
	}
	r->searched = true;
	rc = kernel_options(&s);
	if (rc == 0)
		rc = xen_options(&s);
	if (rc == 0)
		rc = xen_releases(&s);
	if (rc == 0)
		rc = kernel_releases(&s);
	if (rc == 0) {
		qsort(s.c, s.nr, sizeof(s.c[0]), cand_cmp);
		for (size_t i = 0; i < s.nr && r->nr_fixes < DOCTOR_MAX_FIXES && rc == 0; i++) {
			bool done = false;

			/* the smallest of a series (mem= sizes, releases one way) */
			for (size_t k = 0; k < i; k++)
				done |= s.c[k].group == s.c[i].group && s.c[k].booted;
			if (done)
				continue;
			if (boots(&s, &s.c[i])) {
				s.c[i].booted = true;
				rc = keep(r, &s.c[i]);
			}
		}
	}
	for (size_t i = 0; i < s.nr; i++)
		cand_free(&s.c[i]);
	free(s.c);
	return rc == -ENOMEM ? p2msim_err_set(err, -ENOMEM, "out of memory") : rc;
}
