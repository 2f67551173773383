/* SPDX-License-Identifier: MIT */
/*
 * setup/setup.c - what every kernel model shares: the result and its log,
 * the extra-memory regions, E820 questions the kernel asks, and the
 * command-line step that follows xen_memory_setup().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"
#include "setup/setup-internal.h"
#include "util/page.h"

void setup_result_init(struct setup_result *res)
{
	memset(res, 0, sizeof(*res));
	e820_table_init(&res->e820);
	e820_table_init(&res->user_e820);
	res->user.mem_limit = ~0ULL;
	res->stop.check = KB_NR_BEHAVIOURS;
}

void setup_result_free(struct setup_result *res)
{
	p2m_free(res->p2m);
	e820_table_free(&res->e820);
	e820_table_free(&res->user_e820);
	for (size_t i = 0; i < res->nr_log; i++)
		free(res->log[i]);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

/* --- the log ------------------------------------------------------------------------ */

/* Most log calls cannot stop the model when memory runs out, so the loss
 * is remembered and setup_run() reports it: a result is never missing a
 * line without saying so. */
static int log_lost(struct setup_result *res)
{
	res->log_lost = true;
	return -ENOMEM;
}

static int log_push(struct setup_result *res, char *line)
{
	if (res->nr_log == res->alloc_log) {
		size_t n = res->alloc_log ? res->alloc_log * 2 : 32;
		char **log = realloc(res->log, n * sizeof(*log));

		if (!log) {
			free(line);
			return log_lost(res);
		}
		res->log = log;
		res->alloc_log = n;
	}
	res->log[res->nr_log++] = line;
	return 0;
}

int setup_log(struct setup_result *res, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return log_lost(res);
	return log_push(res, line);
}

/* Append the text of a printer, one log line per output line. */
static int log_text(struct setup_result *res, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, n);

		if (!line)
			return log_lost(res);
		if (log_push(res, line) < 0)
			return -ENOMEM;
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

const char *kernel_family_name(enum kernel_family family)
{
	switch (family) {
	case KERNEL_FAMILY_TREE_2639:
		return "2.6.39 tree";
	case KERNEL_FAMILY_TREE_RELEASE:
		return "tree, release and populate back";
	case KERNEL_FAMILY_LINEAR:
		return "linear P2M list";
	}
	return "?";
}

void setup_print_e820(FILE *f, const struct kernel_model *km, const struct e820_table *t,
		      const char *who)
{
	if (kernel_has(km, KB_E820_NAMES_2610))
		e820_print_linux_old(f, t, who);
	else
		e820_print_linux_style(f, t, who,
				       kernel_has(km, KB_E820_RESERVED_KERN_USABLE) ?
					       E820_NAME_LINUX_KERN :
					       E820_NAME_LINUX);
}

int setup_log_e820(struct setup_result *res, const struct kernel_model *km, const char *header,
		   const struct e820_table *t, const char *who)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return log_lost(res);
	fprintf(f, "%s\n", header);
	setup_print_e820(f, km, t, who);
	if (fclose(f) != 0) {
		free(text);
		return log_lost(res);
	}
	rc = log_text(res, text, len);
	free(text);
	return rc;
}

void setup_ctx_init(struct setup_ctx *c, const struct setup_input *in, struct hv *hv,
		    struct setup_result *res, struct p2msim_err *err)
{
	*c = (struct setup_ctx){
		.in = in,
		.km = in->model,
		.g = p2m_geometry_of(in->arch),
		.hv = hv,
		.res = res,
		.err = err,
	};
}

int setup_oom(const struct setup_ctx *c)
{
	return p2msim_err_set(c->err, -ENOMEM, "out of memory in the kernel model");
}

/* A kernel stop: log its words and report them as the error. */
int setup_crash(struct setup_result *res, struct p2msim_err *err, const char *fmt, ...)
{
	char msg[P2MSIM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->crashed = true;
	setup_log(res, "%s", msg);
	return p2msim_err_set(err, -EFAULT, "kernel %s would stop here: %s", res->model_version,
			      msg);
}

/* --- extra memory regions ------------------------------------------------------------ */

int setup_extra_add(struct setup_result *res, uint64_t start, uint64_t n, struct p2msim_err *err)
{
	(void)err;
	/* xen_add_extra_mem(): the first empty slot (emptied ones included)
	 * or the region this one extends, whichever comes first. */
	for (unsigned int i = 0; i < SETUP_MAX_EXTRA; i++) {
		struct setup_extra *x = &res->extra[i];

		if (x->n == 0) {
			x->start = start;
			x->n = n;
			if (i >= res->nr_extra)
				res->nr_extra = i + 1;
			return 0;
		}
		if (x->start + x->n == start) {
			x->n += n;
			return 0;
		}
	}
	return setup_log(res, "Warning: not enough extra memory regions");
}

/* xen_del_extra_mem(): cut [start, start + n) out of the region holding it. */
int setup_extra_del(struct setup_result *res, uint64_t start, uint64_t n, struct p2msim_err *err)
{
	for (unsigned int i = 0; i < res->nr_extra; i++) {
		struct setup_extra *x = &res->extra[i];
		uint64_t end = x->start + x->n;

		if (start < x->start || start + n > end || n > x->n)
			continue;
		if (start == x->start) {
			x->start += n;
			x->n -= n;
		} else if (start + n == end) {
			x->n -= n;
		} else {
			x->n = start - x->start;
			return setup_extra_add(res, start + n, end - (start + n), err);
		}
		return 0;
	}
	return p2msim_err_set(err, -EINVAL, "remapped pfns [%#llx, %#llx) are in no extra region",
			      (unsigned long long)start, (unsigned long long)(start + n));
}

bool setup_in_extra(const struct setup_result *res, uint64_t pfn)
{
	for (unsigned int i = 0; i < res->nr_extra; i++)
		if (pfn >= res->extra[i].start && pfn < res->extra[i].start + res->extra[i].n)
			return true;
	return false;
}

/* --- E820 questions ---------------------------------------------------------------------- */

int setup_sanitize(struct e820_table *t)
{
	return e820_sanitize(t) == -ENOMEM ? -ENOMEM : 0;
}

/* xen_is_e820_reserved(): is [start, start + size) not entirely inside
 * one RAM entry? */
bool setup_e820_reserved(const struct e820_table *t, uint64_t start, uint64_t size)
{
	if (!size)
		return false;
	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		if (e->type == E820_TYPE_RAM && e->addr <= start &&
		    e->addr + e->size >= start + size)
			return false;
	}
	return true;
}

/* Record why the kernel is about to stop: @check looked at pfns [start,
 * end); with @map, the first of them outside RAM and the entry there. */
void setup_stop_at(struct setup_result *res, enum kernel_behaviour check, const char *what,
		   uint64_t start, uint64_t end, const struct e820_table *map)
{
	struct setup_stop *st = &res->stop;
	uint64_t cur = PFN_PHYS(start);

	memset(st, 0, sizeof(*st));
	st->check = check;
	snprintf(st->what, sizeof(st->what), "%s", what);
	st->start = start;
	st->end = end;
	st->bad_pfn = start;
	if (!map)
		return;
	for (bool moved = true; moved && cur < PFN_PHYS(end);) {
		moved = false;
		for (size_t i = 0; i < map->nr; i++) {
			const struct e820_entry *e = &map->entries[i];

			if (e->type == E820_TYPE_RAM && e->addr <= cur && cur < e->addr + e->size) {
				cur = e->addr + e->size;
				moved = true;
			}
		}
	}
	st->bad_pfn = PFN_DOWN(cur);
	for (size_t i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->entries[i];

		if (e->type != E820_TYPE_RAM && e->addr <= cur && cur < e->addr + e->size) {
			st->have_entry = true;
			st->entry = *e;
			break;
		}
	}
}

/* e820__end_of_ram_pfn(): the end of the highest RAM entry, in pfns. */
uint64_t setup_end_of_ram_pfn(const struct e820_table *t)
{
	uint64_t last = 0;

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];
		uint64_t end = PFN_DOWN(e->addr + e->size);

		if (e->type == E820_TYPE_RAM && end > last)
			last = end;
	}
	return last;
}

/* The kernel command line after xen_memory_setup(): mem= and memmap= edit
 * the kernel's E820, never the P2M decisions already taken. */
int setup_apply_cmdline(struct setup_result *res, const struct kernel_model *km,
			const char *cmdline, struct p2msim_err *err)
{
	int rc;

	rc = e820_table_copy(&res->user_e820, &res->e820);
	if (rc < 0)
		return p2msim_err_set(err, rc, "out of memory copying the E820");
	if (cmdline && *cmdline) {
		rc = e820_apply_cmdline(&res->user_e820, cmdline, &res->user, err);
		if (rc < 0)
			return rc;
		if (res->user.userdef) {
			rc = setup_log_e820(
				res, km, "user-defined physical RAM map:", &res->user_e820, "user");
			if (rc < 0)
				return p2msim_err_set(err, rc, "out of memory");
		}
	}
	res->kernel_max_pfn = setup_end_of_ram_pfn(&res->user_e820);
	return 0;
}

/* XENMEM_machine_memory_map for dom0, XENMEM_memory_map for a domU.  A domU
 * whose toolstack set no map gets -ENOSYS and uses one RAM entry of its
 * pages plus 8 MiB of slack for backends, in every era; dom0 BUG()s. */
int setup_read_memory_map(struct setup_result *res, const struct setup_input *in, struct hv *hv,
			  uint64_t mem_end, struct e820_table *map, struct p2msim_err *err)
{
	struct p2msim_err herr = { 0 };
	int rc;

	if (in->dom0)
		rc = hv_machine_memory_map(hv, map, &herr);
	else
		rc = hv_memory_map(hv, in->domid, map, &herr);
	if (rc == -ENOSYS) {
		if (in->dom0)
			return setup_crash(
				res, err,
				"kernel BUG: XENMEM_machine_memory_map returned "
				"-ENOSYS in the initial domain (BUG_ON(xen_initial_domain()))");
		e820_table_free(map);
		e820_table_init(map);
		rc = e820_add(map, 0, mem_end + (8ULL << 20), E820_TYPE_RAM);
		return rc < 0 ? p2msim_err_set(err, rc, "out of memory") : 0;
	}
	if (rc < 0)
		return setup_crash(res, err, "kernel BUG: memory map hypercall failed: %s",
				   herr.msg);
	if (map->nr == 0)
		return setup_crash(res, err, "kernel BUG: the memory map has no entries");
	return 0;
}

/* --- running ---------------------------------------------------------------------------- */

static int run_family(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		      struct p2msim_err *err)
{
	switch (in->model->family) {
	case KERNEL_FAMILY_TREE_2639:
		return setup_run_tree(in, hv, res, err);
	case KERNEL_FAMILY_TREE_RELEASE:
		return setup_run_release(in, hv, res, err);
	case KERNEL_FAMILY_LINEAR:
	default:
		return setup_run_linear(in, hv, res, err);
	}
}

int setup_run(const struct setup_input *in, struct hv *hv, struct setup_result *res,
	      struct p2msim_err *err)
{
	int rc;

	if (!in->model)
		return p2msim_err_set(err, -EINVAL, "no kernel model");
	if (in->nr_pages == 0)
		return p2msim_err_set(err, -EINVAL, "a guest needs at least one page (nr_pages 0)");
	snprintf(res->model_version, sizeof(res->model_version), "%s",
		 in->model->release[0] ? in->model->release : in->model->version);
	res->nr_pages = in->nr_pages;
	rc = run_family(in, hv, res, err);
	/* a success, or a kernel stop, with a line missing from its log is
	 * not the answer; nor is a bare -ENOMEM from a log call */
	if (res->log_lost)
		rc = p2msim_err_set(err, -ENOMEM, "out of memory keeping the kernel's log");
	/* likewise a hypercall that failed for lack of our memory, not Xen's */
	else if (hv_sim_out_of_memory(hv))
		rc = p2msim_err_set(err, -ENOMEM, "out of memory in the simulated hypervisor");
	/* say what did not fit, not only where it ran out */
	if (rc == -ENOMEM && err)
		p2msim_err_prefix(err,
				  "a %s of %llu pages (%llu GiB) does not fit in the memory "
				  "this process may use",
				  in->dom0 ? "dom0" : "domU", (unsigned long long)in->nr_pages,
				  (unsigned long long)((in->nr_pages + (1ULL << 18) - 1) >> 18));
	return rc;
}
