/* SPDX-License-Identifier: MIT */
/*
 * live/check.c - "p2msim live check": does the kernel model predict the
 * running dom0?
 *
 * The model needs what the kernel had at boot; dom0 can still find it:
 *
 *   machine map          XENMEM_machine_memory_map (what dom0's
 *                        xen_memory_setup read; it does not change)
 *   Xen's command line   XENVER_commandline (dom0_mem=, mem=, availmem=)
 *   nr_pages, layout     Xen's console ring (xl dmesg): "Dom0 alloc." and the
 *                        VIRTUAL MEMORY ARRANGEMENT lines, while the ring
 *                        still holds the boot; otherwise tot_pages plus the
 *                        pages the kernel released, if nothing ballooned since
 *   kernel               /proc/version (the model), /proc/cmdline (mem=,
 *                        memmap=), /boot/config-RELEASE (options), when there
 *
 * and the outcome to compare with: the kernel log's "Xen: [mem" lines and
 * Released/Remapped counts (/dev/kmsg), shared_info's max_pfn, the list's
 * size and the P2M itself (live_p2m_read).  The inputs are written to a
 * directory first -- simulation_run() reads files -- together with a
 * simulate.sh that replays the simulation offline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "balloon/balloon.h"
#include "live/live.h"
#include "util/text.h"

/* Files written into the inputs directory. */
static const char *const kept_files[] = {
	"machine-e820.txt", "xen-dmesg.txt", "dom0-dmesg.txt", "live-runs.txt",
	"model-runs.txt",   "model.json",    "simulate.sh",
};

void live_check_opts_init(struct live_check_opts *o)
{
	memset(o, 0, sizeof(*o));
	kernel_config_init(&o->kconfig);
}

static void input(struct live_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void input(struct live_check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nr_inputs == sizeof(c->inputs) / sizeof(c->inputs[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(c->inputs[c->nr_inputs++], sizeof(c->inputs[0]), fmt, ap);
	va_end(ap);
}

static void item(struct live_check *c, const char *name, enum live_item_state state,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void item(struct live_check *c, const char *name, enum live_item_state state,
		 const char *fmt, ...)
{
	struct live_check_item *it;
	va_list ap;

	if (c->nr_items == LIVE_MAX_ITEMS)
		return;
	it = &c->items[c->nr_items++];
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->state = state;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	if (state == LIVE_ITEM_DIFFERS)
		c->ok = false;
}

/* --- files ------------------------------------------------------------------------------ */

static int path_in(char *buf, size_t len, const char *dir, const char *file)
{
	return snprintf(buf, len, "%s/%s", dir, file) < (int)len ? 0 : -ENAMETOOLONG;
}

static int open_in(const char *dir, const char *file, FILE **f, struct p2msim_err *err)
{
	char path[4096];

	if (path_in(path, sizeof(path), dir, file) < 0)
		return p2msim_err_set(err, -ENAMETOOLONG, "%s/%s: name too long", dir, file);
	*f = fopen(path, "w");
	if (!*f)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static int close_in(FILE *f, const char *dir, const char *file, struct p2msim_err *err)
{
	if (fclose(f) != 0)
		return p2msim_err_set(err, -EIO, "%s/%s: write error", dir, file);
	return 0;
}

/* A word for sh: single-quoted, ' as '\''. */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

static int write_kconfig(FILE *f, const struct kernel_config *kc, const struct kernel_config *def)
{
	if (kc->iscsi_ibft_find != def->iscsi_ibft_find)
		fprintf(f, " --kconfig ISCSI_IBFT_FIND=%c", kc->iscsi_ibft_find ? 'y' : 'n');
	if (kc->xen_512gb != def->xen_512gb)
		fprintf(f, " --kconfig XEN_512GB=%c", kc->xen_512gb ? 'y' : 'n');
	if (kc->balloon_hotplug != def->balloon_hotplug)
		fprintf(f, " --kconfig XEN_BALLOON_MEMORY_HOTPLUG=%c",
			kc->balloon_hotplug ? 'y' : 'n');
	if (kc->hotplug_limit_gib != def->hotplug_limit_gib)
		fprintf(f, " --kconfig XEN_MEMORY_HOTPLUG_LIMIT=%" PRIu64, kc->hotplug_limit_gib);
	if (kc->amd_mem_encrypt != def->amd_mem_encrypt)
		fprintf(f, " --kconfig AMD_MEM_ENCRYPT=%c", kc->amd_mem_encrypt ? 'y' : 'n');
	return 0;
}

/* simulate.sh: the same simulation, offline ("$@" adds options). */
static int write_script(const char *dir, const struct simulation_options *so,
			struct p2msim_err *err)
{
	struct kernel_config def;
	FILE *f;
	int rc = open_in(dir, "simulate.sh", &f, err);

	if (rc < 0)
		return rc;
	kernel_config_init(&def);
	fprintf(f, "#!/bin/sh\n# p2msim live check: the simulation it made, offline.\n"
		   "# Usage: sh simulate.sh [more simulate options, e.g. --balloon 384m --json]\n"
		   "d=$(dirname \"$0\")\nexec p2msim simulate --e820 \"$d/machine-e820.txt\"");
	if (so->xen_log_path)
		fprintf(f, " --xen-log \"$d/xen-dmesg.txt\"");
	fprintf(f, " --kernel ");
	sh_quote(f, so->kernel);
	if (so->xen_cmdline) {
		fprintf(f, " --xen-cmdline ");
		sh_quote(f, so->xen_cmdline);
	}
	if (so->cmdline) {
		fprintf(f, " --cmdline ");
		sh_quote(f, so->cmdline);
	}
	if (so->nr_pages)
		fprintf(f, " --nr-pages %" PRIu64, so->nr_pages);
	if (so->max_pages)
		fprintf(f, " --max-pages %" PRIu64, so->max_pages);
	write_kconfig(f, &so->kconfig, &def);
	fprintf(f, " \"$@\"\n");
	return close_in(f, dir, "simulate.sh", err);
}

static void remove_inputs(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sizeof(kept_files) / sizeof(kept_files[0]); i++)
		if (path_in(path, sizeof(path), dir, kept_files[i]) == 0)
			unlink(path);
	rmdir(dir);
}

/* --- inputs -------------------------------------------------------------------------------- */

static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(4096);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, 4095, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* CONFIG_ lines of /boot/config-RELEASE that the models read. */
static bool read_kconfig(const char *boot_dir, const char *release, struct kernel_config *kc,
			 char *used, size_t len)
{
	static const char *const names[] = {
		"ISCSI_IBFT_FIND",	    "XEN_512GB",       "XEN_BALLOON_MEMORY_HOTPLUG",
		"XEN_MEMORY_HOTPLUG_LIMIT", "AMD_MEM_ENCRYPT",
	};
	char path[4096], line[512];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/config-%s", boot_dir, release) >= (int)sizeof(path))
		return false;
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[128], val[64], set[200];

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "# CONFIG_%127s is not set", name) == 1)
			snprintf(val, sizeof(val), "n");
		else if (sscanf(line, "CONFIG_%127[A-Z0-9_]=%63s", name, val) != 2)
			continue;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(name, names[i])) {
				snprintf(set, sizeof(set), "%s=%s", name, val);
				kernel_config_set(kc, set, NULL);
			}
	}
	fclose(f);
	snprintf(used, len, "%s", path);
	return true;
}

/* "PREFIX%llu SUFFIX" exactly, in a line of @k (the first such). */
static bool kmsg_count(const struct live_kmsg *k, const char *fmt, unsigned long long *v)
{
	char f2[96];

	snprintf(f2, sizeof(f2), "%s%%n", fmt);
	for (size_t i = 0; i < k->nr; i++) {
		int end = 0;

		if (sscanf(k->lines[i], f2, v, &end) == 1 && end > 0 && !k->lines[i][end])
			return true;
	}
	return false;
}

static bool log_count(const struct simulation *sim, const char *fmt, unsigned long long *v)
{
	char f2[96];

	snprintf(f2, sizeof(f2), "%s%%n", fmt);
	for (size_t i = 0; i < sim->res.nr_log; i++) {
		int end = 0;

		if (sscanf(sim->res.log[i], f2, v, &end) == 1 && end > 0 && !sim->res.log[i][end])
			return true;
	}
	return false;
}

/* --- comparisons -------------------------------------------------------------------------------- */

static void compare_e820(struct live_check *c, const struct live_kmsg *k)
{
	size_t nk = 0, nm = 0, ik = 0, im = 0;

	for (size_t i = 0; i < k->nr; i++)
		nk += starts_with(k->lines[i], "Xen: [mem ");
	for (size_t i = 0; i < c->sim.res.nr_log; i++)
		nm += starts_with(c->sim.res.log[i], "Xen: [mem ");
	if (nk == 0) {
		item(c, "e820", LIVE_ITEM_SKIPPED,
		     "the kernel log no longer holds dom0's \"Xen: [mem\" "
		     "lines (model: %zu)",
		     nm);
		return;
	}
	while (ik < k->nr && im < c->sim.res.nr_log) {
		const char *a = k->lines[ik], *b = c->sim.res.log[im];

		if (!starts_with(a, "Xen: [mem ")) {
			ik++;
			continue;
		}
		if (!starts_with(b, "Xen: [mem ")) {
			im++;
			continue;
		}
		if (strcmp(a, b)) {
			item(c, "e820", LIVE_ITEM_DIFFERS, "kernel '%s', model '%s'", a, b);
			return;
		}
		ik++;
		im++;
	}
	if (nk != nm)
		item(c, "e820", LIVE_ITEM_DIFFERS,
		     "the kernel printed %zu \"Xen: [mem\" lines, the model "
		     "%zu",
		     nk, nm);
	else
		item(c, "e820", LIVE_ITEM_OK, "%zu \"Xen: [mem\" lines agree", nk);
}

static void compare_counts(struct live_check *c, const struct live_kmsg *k, bool have_log)
{
	static const struct {
		const char *name, *fmt;
	} counts[] = {
		{ "released", "Released %llu page(s)" },
		{ "remapped", "Remapped %llu page(s)" },
		{ "remapped-nonram", "Remapped %llu non-RAM page(s)" },
	};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		unsigned long long kv = 0, mv = 0;
		bool kh = kmsg_count(k, counts[i].fmt, &kv),
		     mh = log_count(&c->sim, counts[i].fmt, &mv);

		if (!kh && !mh)
			continue;
		if (!have_log || (!kh && !live_kmsg_find(k, "Xen: [mem ")))
			item(c, counts[i].name, LIVE_ITEM_SKIPPED,
			     "the kernel log no longer holds the "
			     "boot (model: %llu)",
			     mv);
		else if (!kh)
			item(c, counts[i].name, LIVE_ITEM_DIFFERS,
			     "the model prints '%s' with %llu, "
			     "the kernel did not",
			     counts[i].fmt, mv);
		else if (!mh)
			item(c, counts[i].name, LIVE_ITEM_DIFFERS,
			     "the kernel printed %llu, the model "
			     "nothing",
			     kv);
		else if (kv != mv)
			item(c, counts[i].name, LIVE_ITEM_DIFFERS, "kernel %llu, model %llu", kv,
			     mv);
		else
			item(c, counts[i].name, LIVE_ITEM_OK, "%llu", kv);
	}
}

/* @r with @from retyped as @to (adjacent runs merge again). */
static int retype(struct dump_runs *out, const struct dump_runs *r, enum p2m_type from,
		  enum p2m_type to, struct p2msim_err *err)
{
	dump_runs_init(out);
	for (size_t i = 0; i < r->nr; i++) {
		int rc = dump_runs_add(out, r->runs[i].start, r->runs[i].end,
				       r->runs[i].type == from ? to : r->runs[i].type, err);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static void count_in(const struct dump_runs *r, uint64_t end, uint64_t pages[P2M_NR_TYPES])
{
	memset(pages, 0, sizeof(uint64_t) * P2M_NR_TYPES);
	for (size_t i = 0; i < r->nr && r->runs[i].start < end; i++)
		pages[r->runs[i].type] +=
			(r->runs[i].end < end ? r->runs[i].end : end) - r->runs[i].start;
}

static int compare_p2m(struct live_check *c, const struct dump_runs *model, bool ballooned,
		       struct p2msim_err *err)
{
	uint64_t max_pfn = c->live.info.max_pfn;
	struct dump_diff_opts o;
	struct dump_runs a, b;
	int rc;

	dump_diff_opts_init(&o);
	o.quirk = DUMP_QUIRK_OFF;
	o.have_range = true;
	o.range_start = 0;
	o.range_end = max_pfn;
	rc = dump_diff_runs(&c->diff, model, &c->live.runs, &o, err);
	if (rc < 0)
		return rc;
	if (!ballooned) {
		if (c->diff.pages)
			item(c, "p2m", LIVE_ITEM_DIFFERS,
			     "%" PRIu64 " pfn(s) in %zu range(s) of [0, %#" PRIx64
			     ") differ (model, live below)",
			     c->diff.pages, c->diff.nr, max_pfn);
		else
			item(c, "p2m", LIVE_ITEM_OK,
			     "the run types over [0, %#" PRIx64 ") agree (%zu "
			     "runs)",
			     max_pfn, c->live.runs.nr);
		return 0;
	}
	/* Which pfns a balloon gives back is the buddy allocator's choice: the
	 * model knows how many and from which populated ranges, not which. */
	uint64_t pm[P2M_NR_TYPES], pl[P2M_NR_TYPES];
	struct dump_diff d = { 0 };

	count_in(model, max_pfn, pm);
	count_in(&c->live.runs, max_pfn, pl);
	rc = retype(&a, model, P2M_MISSING, P2M_PFN, err);
	if (rc == 0)
		rc = retype(&b, &c->live.runs, P2M_MISSING, P2M_PFN, err);
	if (rc == 0)
		rc = dump_diff_runs(&d, &a, &b, &o, err);
	dump_runs_free(&a);
	dump_runs_free(&b);
	if (rc < 0)
		return rc;
	if (d.pages)
		item(c, "p2m", LIVE_ITEM_DIFFERS,
		     "with pfn and missing as one class, %" PRIu64 " pfn(s) of [0, %#" PRIx64
		     ") differ, first [%#" PRIx64 ", %#" PRIx64 ") model %s, "
		     "live %s",
		     d.pages, max_pfn, d.ranges[0].start, d.ranges[0].end,
		     dump_type_name(d.ranges[0].type_a), dump_type_name(d.ranges[0].type_b));
	else
		item(c, "p2m", LIVE_ITEM_OK,
		     "identity and foreign agree exactly over [0, %#" PRIx64
		     "); pfn and missing as one class (%" PRIu64 " pfns of the exact types differ: "
		     "the pages the balloon took)",
		     max_pfn, c->diff.pages);
	dump_diff_free(&d);
	if (pm[P2M_PFN] != pl[P2M_PFN] || pm[P2M_MISSING] != pl[P2M_MISSING])
		item(c, "balloon", LIVE_ITEM_DIFFERS,
		     "below max_pfn the model has %" PRIu64 " pfn and %" PRIu64
		     " missing, the live P2M %" PRIu64 " and %" PRIu64,
		     pm[P2M_PFN], pm[P2M_MISSING], pl[P2M_PFN], pl[P2M_MISSING]);
	else
		item(c, "balloon", LIVE_ITEM_OK,
		     "%" PRIu64 " pfn and %" PRIu64 " missing below max_pfn "
		     "in both",
		     pl[P2M_PFN], pl[P2M_MISSING]);
	return 0;
}

/* --- the check ------------------------------------------------------------------------------------ */

struct gathered {
	char dir[4096];
	bool temp;
	char release[96];
	char *xen_cmdline;
	char *cmdline;
	bool console_has_boot;
	bool ballooned;
	uint64_t target_kib;
	struct live_kmsg kmsg;
	bool have_kmsg;
	struct hv_xen_info xi;
	bool have_xi;
	char balloon_steps[128];
};

static int make_dir(struct gathered *g, const char *keep, struct p2msim_err *err)
{
	if (keep) {
		if (mkdir(keep, 0755) < 0 && errno != EEXIST)
			return p2msim_err_set(err, -errno, "%s: %s", keep, strerror(errno));
		snprintf(g->dir, sizeof(g->dir), "%s", keep);
		return 0;
	}
	snprintf(g->dir, sizeof(g->dir), "%s/p2msim-live-XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(g->dir))
		return p2msim_err_set(err, -errno, "mkdtemp %s: %s", g->dir, strerror(errno));
	g->temp = true;
	return 0;
}

static int gather(struct hv *hv, const struct live_check_opts *o, const struct live_env *env,
		  struct live_check *c, struct gathered *g, struct simulation_options *so,
		  struct p2msim_err *err)
{
	struct e820_table map;
	char *text = NULL, *target = NULL, used[4200];
	size_t len = 0;
	FILE *f;
	int rc;

	/* the kernel */
	if (o->kernel) {
		snprintf(g->release, sizeof(g->release), "%s", o->kernel);
		input(c, "kernel: %s (as given)", g->release);
	} else {
		rc = live_kernel_release(env->proc_version, g->release, sizeof(g->release), err);
		if (rc < 0)
			return rc;
		input(c, "kernel: %s (%s)", g->release, env->proc_version);
	}
	snprintf(c->release, sizeof(c->release), "%s", g->release);
	so->kernel = g->release;
	so->kconfig = o->kconfig;
	if (!o->kconfig_set &&
	    read_kconfig(env->boot_dir, g->release, &so->kconfig, used, sizeof(used)))
		input(c, "kernel options: %s", used);
	else if (!o->kconfig_set)
		input(c, "kernel options: Debian's defaults (no %s/config-%s)", env->boot_dir,
		      g->release);
	g->cmdline = read_small_file(env->proc_cmdline);
	if (g->cmdline && *g->cmdline)
		so->cmdline = g->cmdline;

	/* the machine map */
	e820_table_init(&map);
	rc = hv_machine_memory_map(hv, &map, err);
	if (rc == 0 && (rc = open_in(g->dir, "machine-e820.txt", &f, err)) == 0) {
		fprintf(f, "# XENMEM_machine_memory_map, as p2msim live check read it\n");
		rc = e820_print(f, &map, E820_FMT_TABLE, NULL, err);
		if (close_in(f, g->dir, "machine-e820.txt", rc < 0 ? NULL : err) < 0 && rc == 0)
			rc = -EIO;
	}
	if (rc == 0)
		input(c, "machine map: XENMEM_machine_memory_map, %zu entries", map.nr);
	e820_table_free(&map);
	if (rc < 0)
		return rc;
	snprintf(used, sizeof(used), "%s/machine-e820.txt", g->dir);
	so->e820_path = strdup(used);
	if (!so->e820_path)
		return p2msim_err_set(err, -ENOMEM, "out of memory");

	/* Xen */
	if (hv_xen_info(hv, &g->xi, NULL) == 0) {
		g->have_xi = true;
		g->xen_cmdline = strdup(g->xi.cmdline);
		if (g->xen_cmdline)
			so->xen_cmdline = g->xen_cmdline;
		input(c, "Xen %u.%u%s command line: %s", g->xi.major, g->xi.minor, g->xi.extra,
		      g->xi.cmdline);
	}
	if (hv_console_read(hv, &text, &len, NULL) == 0) {
		g->console_has_boot = strstr(text, "Dom0 alloc.") != NULL;
		rc = open_in(g->dir, "xen-dmesg.txt", &f, err);
		if (rc == 0) {
			fwrite(text, 1, len, f);
			rc = close_in(f, g->dir, "xen-dmesg.txt", err);
		}
		free(text);
		if (rc < 0)
			return rc;
		if (g->console_has_boot) {
			snprintf(used, sizeof(used), "%s/xen-dmesg.txt", g->dir);
			so->xen_log_path = strdup(used);
			if (!so->xen_log_path)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
			input(c, "dom0's pages and layout: Xen's console ring (\"Dom0 alloc.\", "
				 "VIRTUAL MEMORY ARRANGEMENT)");
		}
	}

	/* the kernel's log */
	if (live_kmsg_read(env->kmsg, &g->kmsg, NULL) == 0) {
		g->have_kmsg = true;
		rc = open_in(g->dir, "dom0-dmesg.txt", &f, err);
		if (rc == 0) {
			for (size_t i = 0; i < g->kmsg.nr; i++)
				fprintf(f, "%s\n", g->kmsg.lines[i]);
			rc = close_in(f, g->dir, "dom0-dmesg.txt", err);
		}
		if (rc < 0)
			return rc;
	}

	/* ballooned since the boot? */
	if (hv_xs_read(hv, "/local/domain/0/memory/target", &target, NULL) == 0) {
		g->ballooned = true;
		g->target_kib = strtoull(target, NULL, 10);
		free(target);
	}
	if (!g->console_has_boot) {
		unsigned long long released = 0;

		if (g->ballooned)
			return p2msim_err_set(
				err, -ENODATA,
				"dom0's boot size is lost: Xen's console "
				"ring no longer holds the \"Dom0 alloc.\" line and dom0 "
				"has been ballooned since (memory/target is set)");
		if (g->have_kmsg)
			kmsg_count(&g->kmsg, "Released %llu page(s)", &released);
		so->nr_pages = c->live.dom.tot_pages + released;
		so->max_pages = c->live.dom.max_pages;
		input(c,
		      "dom0's pages: tot_pages %" PRIu64 " + %llu released (Xen's console ring no "
		      "longer holds the boot); boot layout assumed",
		      c->live.dom.tot_pages, released);
	}
	return 0;
}

static int balloon_model(struct live_check *c, const char *steps, struct p2msim_err *err)
{
	struct balloon *b = NULL;
	char *list = strdup(steps), *tok, *save = NULL;
	int rc;

	if (!list)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	rc = simulation_balloon_new(&b, &c->sim, NULL, NULL, err);
	for (tok = strtok_r(list, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct balloon_result res;

		rc = balloon_mem_set_and_run(b, tok, 0, NULL, &res, err);
		if (rc == 0)
			simulation_refresh(&c->sim);
	}
	balloon_free(b);
	free(list);
	return rc;
}

static int keep_outputs(const struct live_check *c, const char *dir, const struct dump_runs *model,
			struct p2msim_err *err)
{
	struct json_object *j;
	FILE *f;
	int rc = open_in(dir, "live-runs.txt", &f, err);

	if (rc == 0) {
		dump_runs_write(f, &c->live.runs);
		live_p2m_write_notes(f, &c->live);
		rc = close_in(f, dir, "live-runs.txt", err);
	}
	if (rc == 0 && (rc = open_in(dir, "model-runs.txt", &f, err)) == 0) {
		dump_runs_write(f, model);
		rc = close_in(f, dir, "model-runs.txt", err);
	}
	if (rc == 0 && (j = simulation_to_json(&c->sim)) != NULL) {
		if ((rc = open_in(dir, "model.json", &f, err)) == 0) {
			fprintf(f, "%s\n",
				json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
			rc = close_in(f, dir, "model.json", err);
		}
		json_object_put(j);
	}
	return rc;
}

int live_check_run(struct hv *hv, const struct live_check_opts *o, struct live_check *c,
		   struct p2msim_err *err)
{
	struct live_env def;
	const struct live_env *env = o->env;
	struct live_read_opts ro = { .domid = HV_DOMID_SELF, .source = LIVE_SRC_AUTO };
	struct simulation_options so;
	struct gathered g;
	struct dump_runs model;
	const char *steps = o->balloon;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&g, 0, sizeof(g));
	dump_runs_init(&model);
	c->ok = true;
	if (o->domid != 0 && o->domid != HV_DOMID_SELF)
		return p2msim_err_set(
			err, -EOPNOTSUPP,
			"live check compares dom0 with the model: "
			"a domU's boot inputs (its memory map, start_info) cannot be "
			"read from dom0; use 'live dump --domid %u' and 'p2msim diff'",
			o->domid);
	if (!env) {
		live_env_default(&def);
		env = &def;
	}
	ro.env = env;
	simulation_options_init(&so);
	rc = make_dir(&g, o->keep_dir, err);
	if (rc < 0)
		return rc;
	rc = live_p2m_read(hv, &ro, &c->live, err);
	if (rc == 0)
		rc = gather(hv, o, env, c, &g, &so, err);
	if (rc < 0)
		goto out;
	rc = write_script(g.dir, &so, err);
	if (rc < 0)
		goto out;
	if (!steps && g.ballooned) {
		snprintf(g.balloon_steps, sizeof(g.balloon_steps), "%" PRIu64 "k", g.target_kib);
		steps = g.balloon_steps;
		input(c,
		      "dom0 was ballooned (memory/target = %" PRIu64 " KiB): the model takes one "
		      "xl mem-set step to it",
		      g.target_kib);
	}

	rc = simulation_run(&so, &c->sim, err);
	c->have_sim = true;
	if (rc == -EFAULT) {
		item(c, "boot", LIVE_ITEM_DIFFERS,
		     "the model says the kernel stops (%s), but it runs", err ? err->msg : "?");
		p2msim_err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	for (unsigned int i = 0; i < c->sim.nr_notes; i++)
		input(c, "model: %s", c->sim.notes[i]);
	if (steps) {
		c->ballooned = true;
		rc = balloon_model(c, steps, err);
		if (rc < 0)
			goto out;
		input(c, "balloon: the model took xl mem-set step(s) %s", steps);
	}

	/* what the kernel printed at boot */
	if (g.have_kmsg) {
		compare_e820(c, &g.kmsg);
		compare_counts(c, &g.kmsg, true);
	} else {
		item(c, "e820", LIVE_ITEM_SKIPPED, "%s unreadable", env->kmsg);
	}
	/* what the hypervisor sees */
	if (c->live.info.max_pfn != c->sim.res.max_pfn)
		item(c, "max_pfn", LIVE_ITEM_DIFFERS, "live %#" PRIx64 ", model %#" PRIx64,
		     c->live.info.max_pfn, c->sim.res.max_pfn);
	else
		item(c, "max_pfn", LIVE_ITEM_OK, "%#" PRIx64, c->live.info.max_pfn);
	if (!starts_with(c->live.p2m_size_from, "the kernel"))
		item(c, "p2m_size", LIVE_ITEM_SKIPPED, "live %#" PRIx64 " is %s", c->live.p2m_size,
		     c->live.p2m_size_from);
	else if (c->live.p2m_size != c->sim.res.p2m_size)
		item(c, "p2m_size", LIVE_ITEM_DIFFERS, "live %#" PRIx64 " (%s), model %#" PRIx64,
		     c->live.p2m_size, c->live.p2m_size_from, c->sim.res.p2m_size);
	else
		item(c, "p2m_size", LIVE_ITEM_OK, "%#" PRIx64, c->live.p2m_size);
	{
		struct hv_domain_info md;
		uint64_t want_tot = c->sim.nr_pages - c->sim.res.released,
			 want_max = c->sim.max_pages;

		if (hv_domain_info(c->sim.hv, c->sim.domid, &md, NULL) == 0) {
			want_tot = md.tot_pages;
			want_max = md.max_pages;
		}
		if (c->live.dom.tot_pages != want_tot)
			item(c, "tot_pages", LIVE_ITEM_DIFFERS, "live %" PRIu64 ", model %" PRIu64,
			     c->live.dom.tot_pages, want_tot);
		else
			item(c, "tot_pages", LIVE_ITEM_OK, "%" PRIu64, want_tot);
		if (c->live.dom.max_pages != want_max)
			item(c, "max_pages", LIVE_ITEM_DIFFERS, "live %" PRIu64 ", model %" PRIu64,
			     c->live.dom.max_pages, want_max);
		else
			item(c, "max_pages", LIVE_ITEM_OK, "%" PRIu64, want_max);
	}
	if (c->live.cross_checked && c->live.cross_differ)
		item(c, "mirror", LIVE_ITEM_DIFFERS,
		     "the frame-list-list names other pages than the "
		     "list for %" PRIu64 " leaves (first: pfn %#" PRIx64 ")",
		     c->live.cross_differ, c->live.cross_first_differ * 512);
	else if (c->live.cross_checked)
		item(c, "mirror", LIVE_ITEM_OK,
		     "list and frame-list-list agree on %" PRIu64 " leaves",
		     c->live.cross_compared);
	rc = dump_runs_from_p2m(&model, c->sim.res.p2m, 0, c->live.info.max_pfn, err);
	if (rc == 0)
		rc = compare_p2m(c, &model, steps != NULL, err);
	if (rc == 0 && o->keep_dir)
		rc = keep_outputs(c, g.dir, &model, err);
out:
	dump_runs_free(&model);
	if (g.temp)
		remove_inputs(g.dir);
	free((char *)so.e820_path);
	free((char *)so.xen_log_path);
	free(g.xen_cmdline);
	free(g.cmdline);
	live_kmsg_free(&g.kmsg);
	if (rc < 0)
		live_check_free(c);
	return rc;
}

int live_check_write(FILE *f, const struct live_check *c)
{
	static const char *const state[] = {
		[LIVE_ITEM_OK] = "ok",
		[LIVE_ITEM_DIFFERS] = "DIFFERS",
		[LIVE_ITEM_SKIPPED] = "skipped",
	};
	unsigned int differ = 0;

	fprintf(f, "live check: dom0 (kernel %s, model %s)\n", c->release,
		c->have_sim ? c->sim.model.version : "-");
	for (unsigned int i = 0; i < c->nr_inputs; i++)
		fprintf(f, "input: %s\n", c->inputs[i]);
	for (unsigned int i = 0; i < c->nr_items; i++) {
		fprintf(f, "%-8s %-16s %s\n", state[c->items[i].state], c->items[i].name,
			c->items[i].detail);
		differ += c->items[i].state == LIVE_ITEM_DIFFERS;
	}
	if (c->diff.pages && !c->ballooned) {
		fprintf(f, "P2M differences (model, live):\n");
		for (size_t i = 0; i < c->diff.nr && i < 40; i++)
			fprintf(f, "  %#" PRIx64 "-%#" PRIx64 " %s %s %" PRIu64 "\n",
				c->diff.ranges[i].start, c->diff.ranges[i].end,
				dump_type_name(c->diff.ranges[i].type_a),
				dump_type_name(c->diff.ranges[i].type_b),
				c->diff.ranges[i].end - c->diff.ranges[i].start);
		if (c->diff.nr > 40)
			fprintf(f, "  ... %zu more range(s)\n", c->diff.nr - 40);
	}
	if (differ)
		fprintf(f, "live check: %u difference(s) between the model and the running dom0\n",
			differ);
	else
		fprintf(f, "live check: the model predicts the running dom0\n");
	return ferror(f) ? -EIO : 0;
}

void live_check_free(struct live_check *c)
{
	if (c->have_sim)
		simulation_free(&c->sim);
	c->have_sim = false;
	live_p2m_free(&c->live);
	dump_diff_free(&c->diff);
}
