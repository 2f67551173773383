/* SPDX-License-Identifier: MIT */
/*
 * tests/test-faults.c - allocation-failure sweeps (doc/cli-json.md#bad-input): for each
 * representative operation, fail allocation number k for every k (and
 * every allocation from k on), and require a clean end every time:
 * success, or an error with its message; the P2M invariant checker
 * passing after a failed step; a map a failed sanitize left unchanged; no
 * block left allocated (tests/faults.c tracks them) and, under
 * --enable-sanitizers, no leak LeakSanitizer can find.
 *
 * Operations: parsing every map in tests/data (buffer and file, and a
 * /sys/firmware/memmap tree), printing in every format, Linux and Xen
 * sanitize, the range edits, mem=/memmap=, the JSON array, the Xen log
 * reader with dom0_mem, every P2M description parser, run-list JSON, diffs,
 * the debugfs writers, P2M engine workloads under the modern and 2.6.39
 * rules, and whole simulations (dom0 and domU, each kernel family, with a
 * balloon run).
 *
 * Hypercall sweeps do the same with the sim hypervisor's hv_sim_inject():
 * for a kernel's memory setup and for balloon runs, hypercall number k
 * fails (an error, or a XENMEM batch that does only part of its extents),
 * and the run must end in success, the kernel's own stop (-EFAULT with
 * res.crashed), the balloon's BUG (-EIO) or the injected error, with the
 * hypervisor consistent (hv_sim_check) and, where the guest lives on, its
 * P2M and M2P agreeing with it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "balloon/balloon.h"
#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "p2m/p2m.h"
#include "sim/sim.h"
#include "e820/e820.h"
#include "xen/dom0-mem.h"
#include "xen/xenlog.h"
#include "tests/faults.h"
#include "tests/testutil.h"

static FILE *null_out;

/* --- inputs ----------------------------------------------------------------- */

struct input {
	char *name, *path;
	char *buf;
	size_t len;
};

struct inputs {
	struct input *v;
	size_t n;
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Every regular file of tests/data/SUB (README excepted). */
static void load_dir(struct inputs *in, const char *sub)
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	struct dirent **names;
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/data/%s", top ? top : ".", sub);
	n = scandir(dir, &names, NULL, alphasort);
	CU_ASSERT_FATAL(n > 0);
	for (int i = 0; i < n; i++) {
		struct input *x;
		char path[8192];

		if (names[i]->d_name[0] == '.' || !strcmp(names[i]->d_name, "README")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		in->v = realloc(in->v, (in->n + 1) * sizeof(*in->v));
		CU_ASSERT_FATAL(in->v != NULL);
		x = &in->v[in->n++];
		x->name = strdup(names[i]->d_name);
		x->path = strdup(path);
		x->buf = read_file(path, &x->len);
		CU_ASSERT_FATAL(x->name && x->path && x->buf);
		free(names[i]);
	}
	free(names);
}

static void free_inputs(struct inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].path);
		free(in->v[i].buf);
	}
	free(in->v);
	memset(in, 0, sizeof(*in));
}

/* Run one sweep and assert it was clean; returns the injected runs. */
static unsigned long sweep(const char *name, fault_op op, void *ctx, const int *ok)
{
	struct fault_sweep_result r;
	unsigned long bad = fault_sweep(name, op, ctx, ok, &r);

	CU_ASSERT_EQUAL(bad, 0);
	return r.runs;
}

/* --- E820 --------------------------------------------------------------------- */

static const enum e820_format all_formats[] = {
	E820_FMT_LINUX, E820_FMT_LINUX_OLD, E820_FMT_XEN,   E820_FMT_XEN_OLD,
	E820_FMT_TABLE, E820_FMT_JSON,	    E820_FMT_IOMEM, E820_FMT_MEMMAP,
};

/* Print into memory; a success must have printed real text (a failed
 * serializer must not turn into "(null)"). */
static int print_checked(const struct e820_table *t, enum e820_format fmt, struct p2msim_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return p2msim_err_set(err, -ENOMEM, "open_memstream failed");
	rc = e820_print(f, t, fmt, NULL, err);
	fclose(f);
	if (!rc && (!buf || strstr(buf, "(null)")))
		rc = p2msim_err_set(err, FAULT_BROKEN,
				    "e820_print(%s) succeeded but printed '%.40s'",
				    e820_format_name(fmt), buf ? buf : "");
	free(buf);
	return rc;
}

static int op_parse_print(void *ctx, struct p2msim_err *err)
{
	const struct input *x = ctx;
	struct e820_doc doc;
	int rc = e820_parse_buffer(x->name, x->buf, x->len, &doc, err);

	for (size_t i = 0; !rc && i < doc.nr_maps; i++)
		for (size_t f = 0; !rc && f < sizeof(all_formats) / sizeof(all_formats[0]); f++)
			rc = print_checked(&doc.maps[i].table, all_formats[f], err);
	e820_doc_free(&doc);
	return rc;
}

static int op_parse_file(void *ctx, struct p2msim_err *err)
{
	const struct input *x = ctx;
	struct e820_doc doc;
	int rc = e820_parse_file(x->path, &doc, err);

	if (!rc)
		e820_doc_free(&doc);
	return rc;
}

/* Sanitize (Linux, then Xen), the range edits and the JSON array on a copy
 * of the first map; a failed step must leave the table as it was. */
static int op_table_ops(void *ctx, struct p2msim_err *err)
{
	const struct e820_table *in = ctx;
	struct e820_table t, before;
	struct json_object *j;
	int rc;

	rc = e820_table_copy(&t, in);
	if (rc)
		return p2msim_err_set(err, rc, "e820_table_copy failed");
	if (e820_table_copy(&before, &t)) {
		e820_table_free(&t);
		return p2msim_err_set(err, -ENOMEM, "e820_table_copy failed");
	}
	rc = e820_sanitize(&t);
	if (rc < -1) {
		if (!e820_table_equal(&t, &before))
			rc = p2msim_err_set(err, FAULT_BROKEN, "a failed sanitize changed the map");
		else
			p2msim_err_set(err, rc, "e820_sanitize failed");
		goto out;
	}
	rc = e820_sanitize_xen(&t);
	if (rc < -1) {
		p2msim_err_set(err, rc, "e820_sanitize_xen failed");
		goto out;
	}
	rc = e820_update_range(&t, 0x9f000, 0x100000, E820_TYPE_RAM, E820_TYPE_RESERVED);
	if (!rc)
		rc = e820_remove_range(&t, 0x40000000, 0x100000, E820_TYPE_RAM, true);
	if (!rc)
		rc = e820_add(&t, 0x100000000ULL, 0x1000, E820_TYPE_PRAM);
	if (rc) {
		p2msim_err_set(err, rc, "range edit failed");
		goto out;
	}
	j = e820_table_to_json(&t);
	if (!j) {
		rc = p2msim_err_set(err, -ENOMEM, "e820_table_to_json failed");
		goto out;
	}
	json_object_put(j);
	rc = xen_e820_fixup_low(&t);
	if (rc < -1)
		p2msim_err_set(err, rc, "xen_e820_fixup_low failed");
	else
		rc = 0;
out:
	e820_table_free(&t);
	e820_table_free(&before);
	return rc;
}

struct cmdline_case {
	const struct e820_table *t;
	const char *cmdline;
};

static int op_cmdline(void *ctx, struct p2msim_err *err)
{
	const struct cmdline_case *c = ctx;
	struct e820_table t;
	struct e820_user user;
	int rc = e820_table_copy(&t, c->t);

	if (rc)
		return p2msim_err_set(err, rc, "e820_table_copy failed");
	rc = e820_sanitize(&t);
	if (rc >= -1)
		rc = e820_apply_cmdline(&t, c->cmdline, &user, err);
	else
		p2msim_err_set(err, rc, "e820_sanitize failed");
	e820_table_free(&t);
	return rc;
}

static void test_e820_parse_and_print_every_map(void)
{
	struct inputs in = { NULL, 0 };
	unsigned long runs = 0;

	load_dir(&in, "e820");
	load_dir(&in, "xen-lab");
	for (size_t i = 0; i < in.n; i++) {
		int ok[] = { -ENOMEM, 0, 0 };
		struct e820_doc doc;
		struct p2msim_err err;

		/* a file that does not parse may also fail with its own error */
		if (e820_parse_buffer(in.v[i].name, in.v[i].buf, in.v[i].len, &doc, &err))
			ok[1] = err.code;
		else
			e820_doc_free(&doc);
		runs += sweep(in.v[i].name, op_parse_print, &in.v[i], ok);
		/* reading a file adds one allocation path: a few files do */
		if (i % 8 == 0)
			runs += sweep(in.v[i].name, op_parse_file, &in.v[i], ok);
	}
	printf("[%lu runs] ", runs);
	free_inputs(&in);
}

static void test_e820_table_operations(void)
{
	struct inputs in = { NULL, 0 };
	unsigned long runs = 0;

	load_dir(&in, "e820");
	for (size_t i = 0; i < in.n; i += 2) {
		struct e820_doc doc;
		struct p2msim_err err;

		if (e820_parse_buffer(in.v[i].name, in.v[i].buf, in.v[i].len, &doc, &err))
			continue;
		runs += sweep(in.v[i].name, op_table_ops, &doc.maps[0].table, NULL);
		e820_doc_free(&doc);
	}
	printf("[%lu runs] ", runs);
	free_inputs(&in);
}

static void test_e820_mem_memmap(void)
{
	static const char *const cmdlines[] = {
		"memmap=exactmap,640K@0,255M@1M",
		"mem=1G memmap=64M$256M memmap=1M%2G-1+2 memmap=16M*2M:ramoops",
		"memmap=4G!8G,1M#0xfee00000 memmap=100M%1G-1 memmap=2M@0x200000000",
		"mem=512M memmap=exactmap memmap=640K@0 memmap=511M@1M",
	};
	struct inputs in = { NULL, 0 };
	unsigned long runs = 0;

	load_dir(&in, "e820");
	for (size_t i = 0; i < in.n; i += 4) {
		struct e820_doc doc;
		struct p2msim_err err;

		if (e820_parse_buffer(in.v[i].name, in.v[i].buf, in.v[i].len, &doc, &err))
			continue;
		for (size_t c = 0; c < sizeof(cmdlines) / sizeof(cmdlines[0]); c++) {
			struct cmdline_case cc = { &doc.maps[0].table, cmdlines[c] };

			runs += sweep(cmdlines[c], op_cmdline, &cc, NULL);
		}
		e820_doc_free(&doc);
	}
	printf("[%lu runs] ", runs);
	free_inputs(&in);
}

/* A /sys/firmware/memmap tree in a temporary directory. */
static int op_sysfs(void *ctx, struct p2msim_err *err)
{
	struct e820_doc doc;
	int rc = e820_parse_file(ctx, &doc, err);

	if (!rc)
		e820_doc_free(&doc);
	return rc;
}

static void test_e820_sysfs_tree(void)
{
	static const char *const ent[][3] = {
		{ "0x0", "0x9fbff", "System RAM" },
		{ "0x9fc00", "0x9ffff", "Reserved" },
		{ "0x100000", "0x7ffdffff", "System RAM" },
		{ "0xfffc0000", "0xffffffff", "Reserved" },
	};
	char dir[] = "/tmp/p2msim-faults-XXXXXX";
	char path[256];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%zu", dir, i);
		CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
		for (size_t a = 0; a < 3; a++) {
			static const char *const attr[] = { "start", "end", "type" };
			FILE *f;

			snprintf(path, sizeof(path), "%s/%zu/%s", dir, i, attr[a]);
			f = fopen(path, "w");
			CU_ASSERT_FATAL(f != NULL);
			fprintf(f, "%s\n", ent[i][a]);
			fclose(f);
		}
	}
	{
		/* opendir() fails with ENOMEM like any allocation */
		int ok[] = { -ENOMEM, 0 };

		printf("[%lu runs] ", sweep("sysfs", op_sysfs, dir, ok));
	}
	for (size_t i = 0; i < 4; i++) {
		for (size_t a = 0; a < 3; a++) {
			static const char *const attr[] = { "start", "end", "type" };

			snprintf(path, sizeof(path), "%s/%zu/%s", dir, i, attr[a]);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/%zu", dir, i);
		rmdir(path);
	}
	rmdir(dir);
}

/* --- Xen log and dom0_mem ---------------------------------------------------------- */

static int op_xenlog(void *ctx, struct p2msim_err *err)
{
	const struct input *x = ctx;
	struct xenlog log;
	uint64_t nr, max;
	int rc = xenlog_parse_buffer(x->name, x->buf, x->len, &log, err);

	if (rc)
		return rc;
	(void)xenlog_dom0_nr_pages(&log, &nr);
	if (log.e820.nr) {
		struct e820_table t;

		rc = dom0_mem_compute(&log.dom0_mem, &log.e820, &nr, &max, err);
		if (rc == -EINVAL) /* a map without RAM: not this test's business */
			rc = 0;
		if (!rc && !(rc = e820_table_copy(&t, &log.e820))) {
			if (e820_sanitize_xen(&t) == 0)
				rc = xen_clip_mem(
					&t, log.xen_mem_limit ? log.xen_mem_limit : 1ULL << 30,
					log.xen_availmem, NULL, err);
			e820_table_free(&t);
		} else if (rc == -ENOMEM) {
			p2msim_err_set(err, rc, "e820_table_copy failed");
		}
	}
	xenlog_free(&log);
	return rc;
}

static void test_xenlog_and_dom0_mem(void)
{
	struct inputs in = { NULL, 0 };
	unsigned long runs = 0;

	load_dir(&in, "xen-lab");
	for (size_t i = 0; i < in.n; i++) {
		int ok[] = { -ENOMEM, 0, 0 };
		struct xenlog log;
		struct p2msim_err err;

		if (xenlog_parse_buffer(in.v[i].name, in.v[i].buf, in.v[i].len, &log, &err))
			ok[1] = err.code;
		else
			xenlog_free(&log);
		runs += sweep(in.v[i].name, op_xenlog, &in.v[i], ok);
	}
	printf("[%lu runs] ", runs);
	free_inputs(&in);
}

/* --- P2M engine workloads ---------------------------------------------------------------- */

struct workload {
	const char *name;
	enum p2m_arch arch;
	bool old; /* the 2.6.39 rules, with a brk pool */
	bool compact;
	uint64_t nr_pfns;
};

/* A failed step must leave a P2M the checker accepts; later steps go on. */
static int step(struct p2m *p, int rc, int *first, struct p2msim_err *err)
{
	struct p2msim_err cerr;

	if (rc && !*first)
		*first = rc;
	p2msim_err_clear(&cerr);
	if (p2m_check(p, &cerr) < 0) {
		p2msim_err_set(err, FAULT_BROKEN, "p2m_check after a failed step: %s", cerr.msg);
		return FAULT_BROKEN;
	}
	return 0;
}

static int op_p2m(void *ctx, struct p2msim_err *err)
{
	const struct workload *w = ctx;
	const struct p2m_geometry *g;
	struct p2m_config cfg;
	struct p2m *p;
	struct dump_runs r;
	struct p2msim_err e;
	uint64_t list[1200];
	int first = 0, rc;

	p2m_config_init(&cfg, w->arch, w->nr_pfns);
	cfg.compact = w->compact;
	if (w->old) {
		p2m_config_rules_2639(&cfg);
		cfg.brk_pages = 64;
		cfg.shared_from_brk = true;
	}
	rc = p2m_new(&p, &cfg, err);
	if (rc)
		return rc;
	g = p2m_geometry(p);
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		list[i] = 0x1000 + 3 * i;

#define STEP(call)                                                 \
	do {                                                       \
		p2msim_err_clear(&e);                              \
		if (step(p, (call), &first, &e) == FAULT_BROKEN) { \
			*err = e;                                  \
			p2m_free(p);                               \
			return FAULT_BROKEN;                       \
		}                                                  \
		if (e.code && !err->code)                          \
			*err = e;                                  \
	} while (0)

	STEP(p2m_graft_list(p, list, sizeof(list) / sizeof(list[0]), &e));
	STEP(p2m_set_range(p, 0x600, 0x40000, P2M_FILL_MFN, 0x100000, NULL, &e));
	STEP(p2m_set_range(p, 0x40500, 0x7d100, P2M_FILL_IDENTITY, 0, NULL, &e));
	STEP(p2m_set_range(p, 0x7d100, 0x7d180, P2M_FILL_MFN, 0x200000, NULL, &e));
	STEP(p2m_set(p, 0x7d200, p2m_foreign_frame(g, 5), &e));
	STEP(p2m_set(p, 0x90010, 0x77, &e));
	STEP(p2m_set_range(p, 0x90000, 0xc0000, P2M_FILL_IDENTITY, 0, NULL, &e));
	STEP(p2m_set(p, 0xa0001, 0x78, &e));
	STEP(p2m_set_range(p, 0x20000, 0x20800, P2M_FILL_MISSING, 0, NULL, &e));
	STEP(p2m_set_range(p, 0xc0000, w->nr_pfns, P2M_FILL_MFN, 0x400000, NULL, &e));
	STEP(p2m_mirror_rebuild(p, &e));
	(void)p2m_compact(p);
	STEP(p2m_set_range(p, 0, 0x40, P2M_FILL_IDENTITY, 0, NULL, &e));

	rc = dump_write_modern(null_out, p, w->nr_pfns, &e);
	if (!rc)
		rc = dump_runs_from_modern(&r, p, w->nr_pfns, &e);
	if (!rc) {
		dump_runs_free(&r);
		rc = dump_runs_from_p2m(&r, p, 0, w->nr_pfns, &e);
	}
	if (!rc) {
		dump_runs_free(&r);
		if (w->old) {
			rc = dump_write_old(null_out, p, w->nr_pfns, &e);
			if (!rc)
				rc = dump_runs_from_old(&r, p, w->nr_pfns, &e);
			if (!rc)
				dump_runs_free(&r);
		}
	}
	if (rc && !first) {
		first = rc;
		*err = e;
	}
	p2m_free(p);
	return first;
#undef STEP
}

static void test_p2m_workloads(void)
{
	static const struct workload w[] = {
		{ "modern", P2M_ARCH_X86_64, false, false, 0x100000 },
		{ "modern, compacting", P2M_ARCH_X86_64, false, true, 0x100000 },
		{ "2.6.39 with brk", P2M_ARCH_X86_64, true, false, 0x100000 },
		{ "2.6.39 compacting", P2M_ARCH_X86_64, true, true, 0x100000 },
		{ "x86_32", P2M_ARCH_X86_32, false, false, 0x100000 },
		{ "16 GiB", P2M_ARCH_X86_64, false, true, 0x400000 },
	};
	/* the brk pool may run out first when the workload is at its edge */
	int ok[] = { -ENOMEM, -ENOSPC, 0 };
	unsigned long runs = 0;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		runs += sweep(w[i].name, op_p2m, (void *)&w[i], ok);
	printf("[%lu runs] ", runs);
}

/* --- P2M descriptions: parsers, JSON, diff ------------------------------------------------ */

struct dump_case {
	const char *name;
	char *a, *b;
	size_t la, lb;
};

static int op_dump(void *ctx, struct p2msim_err *err)
{
	const struct dump_case *c = ctx;
	struct dump_runs a, b;
	struct dump_diff d;
	struct dump_diff_opts o;
	struct json_object *j;
	int rc;

	rc = dump_parse(&a, c->a, c->la, "a", DUMP_FMT_UNKNOWN, err);
	if (rc)
		return rc;
	rc = dump_parse(&b, c->b, c->lb, "b", DUMP_FMT_UNKNOWN, err);
	if (rc) {
		dump_runs_free(&a);
		return rc;
	}
	rc = dump_runs_to_json(&a, &j, err);
	if (!rc) {
		const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);

		if (!s)
			rc = p2msim_err_set(err, -ENOMEM, "json_object_to_json_string_ext failed");
		json_object_put(j);
	}
	dump_diff_opts_init(&o);
	o.scope = DUMP_SCOPE_UNION;
	o.quirk = DUMP_QUIRK_ON;
	if (!rc)
		rc = dump_diff_runs(&d, &a, &b, &o, err);
	if (!rc) {
		rc = dump_diff_write(null_out, &d);
		dump_diff_free(&d);
	}
	if (!rc)
		rc = dump_runs_write(null_out, &b);
	dump_runs_free(&a);
	dump_runs_free(&b);
	return rc;
}

static int op_dump_file(void *ctx, struct p2msim_err *err)
{
	struct dump_runs r;
	int rc = dump_parse_file(&r, ctx, DUMP_FMT_UNKNOWN, err);

	if (!rc)
		dump_runs_free(&r);
	return rc;
}

/* Text of a writer, made before any sweep. */
static char *written(int (*w)(FILE *, const struct p2m *, uint64_t, struct p2msim_err *),
		     const struct p2m *p, uint64_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct p2msim_err err;

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(w(f, p, n, &err) == 0);
	fclose(f);
	return buf;
}

static void test_dump_parse_json_diff(void)
{
	struct inputs in = { NULL, 0 };
	struct dump_runs runs;
	struct json_object *root, *arr;
	struct p2m_config cfg;
	struct p2m *p, *q;
	struct p2msim_err err;
	struct {
		const char *name;
		char *buf;
		size_t len;
	} gen[4];
	unsigned long nruns = 0;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	/* generated descriptions: modern, old, run list, JSON */
	p2m_config_init(&cfg, P2M_ARCH_X86_64, 0x100000);
	CU_ASSERT_FATAL(p2m_new(&p, &cfg, &err) == 0);
	CU_ASSERT_FATAL(p2m_set_range(p, 0, 0x40000, P2M_FILL_MFN, 0x1000, NULL, &err) == 0);
	CU_ASSERT_FATAL(p2m_set_range(p, 0x40500, 0x7d100, P2M_FILL_IDENTITY, 0, NULL, &err) == 0);
	CU_ASSERT_FATAL(p2m_set(p, 0x7d200, 0x5, &err) == 0);
	cfg.top_pages = 1;
	cfg.mid_identity = false;
	cfg.range_mode = P2M_RANGE_2639;
	CU_ASSERT_FATAL(p2m_new(&q, &cfg, &err) == 0);
	CU_ASSERT_FATAL(p2m_set_range(q, 0, 0x40000, P2M_FILL_MFN, 0x1000, NULL, &err) == 0);
	CU_ASSERT_FATAL(p2m_set_range(q, 0x40500, 0x7d100, P2M_FILL_IDENTITY, 0, NULL, &err) == 0);
	gen[0].name = "modern";
	gen[0].buf = written(dump_write_modern, p, 0x100000, &gen[0].len);
	gen[1].name = "old";
	gen[1].buf = written(dump_write_old, q, 0x100000, &gen[1].len);
	CU_ASSERT_FATAL(dump_runs_from_p2m(&runs, p, 0, 0x100000, &err) == 0);
	f = open_memstream(&text, &tlen);
	CU_ASSERT_FATAL(f && dump_runs_write(f, &runs) == 0);
	fclose(f);
	gen[2].name = "runs";
	gen[2].buf = text;
	gen[2].len = tlen;
	CU_ASSERT_FATAL(dump_runs_to_json(&runs, &arr, &err) == 0);
	root = json_object_new_object();
	CU_ASSERT_FATAL(root && json_object_object_add(root, "runs", arr) == 0);
	gen[3].name = "json";
	gen[3].buf = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	CU_ASSERT_FATAL(gen[3].buf != NULL);
	gen[3].len = strlen(gen[3].buf);
	json_object_put(root);
	dump_runs_free(&runs);
	p2m_free(p);
	p2m_free(q);

	load_dir(&in, "dump");
	for (size_t i = 0; i < 4; i++)
		for (size_t k = 0; k < in.n; k++) {
			struct dump_case c = { gen[i].name, gen[i].buf, in.v[k].buf, gen[i].len,
					       in.v[k].len };
			struct dump_case r = { gen[i].name, in.v[k].buf, gen[i].buf, in.v[k].len,
					       gen[i].len };

			nruns += sweep(in.v[k].name, op_dump, &c, NULL);
			nruns += sweep(in.v[k].name, op_dump, &r, NULL);
		}
	for (size_t k = 0; k < in.n; k++) {
		/* fopen() fails with ENOMEM like any allocation */
		int ok[] = { -ENOMEM, 0 };

		nruns += sweep(in.v[k].name, op_dump_file, in.v[k].path, ok);
	}
	printf("[%lu runs] ", nruns);
	for (size_t i = 0; i < 4; i++)
		free(gen[i].buf);
	free_inputs(&in);
}

/* --- whole simulations --------------------------------------------------------------- */

/*
 * A whole simulation (simulation_run, then the JSON, the diagram and the
 * SVG, then `xl mem-set` steps with the balloon model) with allocation k
 * failing.  After every end, failed or not, the hypervisor passes
 * hv_sim_check and the P2M passes p2m_check; a guest that booted (and one
 * that ballooned, even when a step failed: the model undoes a half-done
 * batch) also passes p2m_check_m2p and hv_sim_check_p2m, unless the sim
 * itself ran out of memory, after which the run must fail.  A run that
 * succeeds although an allocation failed must give exactly the clean
 * run's outputs: the library may not drop a log line, a run or a JSON
 * member and still call it a success.
 */

#define FNV_OFFSET 0xcbf29ce484222325ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

struct sim_case {
	const char *name;
	const char *example;  /* a built-in example, or */
	const char *e820;     /* a file of tests/data */
	const char *kernel;   /* NULL: the example's */
	const char *dom0_mem; /* NULL: the example's */
	bool domu;
	uint64_t nr_pages;   /* domU; 0: the example's */
	const char *balloon; /* xl mem-set targets after the boot, or NULL */
	int balloon_ok;	     /* what a failed allocation may also give there */
};

struct sim_sweep {
	const struct sim_case *c;
	char path[4096];
	bool have_ref;
	uint64_t ref;		     /* the clean run's outputs, hashed */
	unsigned long balloon_steps; /* of the clean run */
};

/* The checks above; 0 or FAULT_BROKEN.  Their own allocations are not
 * part of the operation.  Once the sim itself ran out of memory
 * (hv_sim_out_of_memory) the run must fail, and the guest and the
 * hypervisor need not agree any more: giving back frames a failed batch
 * took can need the memory that is missing. */
static int sim_consistent(struct simulation *sim, int rc, bool alive, const char *when,
			  struct p2msim_err *err)
{
	bool sim_oom = hv_sim_out_of_memory(sim->hv);
	struct p2msim_err e;
	int bad;

	if (sim_oom && rc == 0)
		return p2msim_err_set(err, FAULT_BROKEN,
				      "the sim ran out of memory %s, and the "
				      "run succeeded",
				      when);
	fault_pause();
	p2msim_err_clear(&e);
	bad = (sim->hv && hv_sim_check(sim->hv, &e)) ||
	      (sim->res.p2m && p2m_check(sim->res.p2m, &e)) ||
	      (alive && !sim_oom &&
	       (!sim->res.p2m || p2m_check_m2p(sim->res.p2m, hv_sim_m2p_lookup, sim->hv, &e) ||
		hv_sim_check_p2m(sim->hv, sim->domid, sim->res.p2m, &e)));
	fault_resume();
	if (bad)
		return p2msim_err_set(err, FAULT_BROKEN, "inconsistent %s: %s", when,
				      e.msg[0] ? e.msg : "no P2M");
	return 0;
}

/* Hash what the command would print from @sim: the JSON result (log,
 * E820, runs, tree, extra regions), the text diagram and the SVG. */
static int sim_outputs(const struct simulation *sim, uint64_t *h, struct p2msim_err *err)
{
	struct json_object *j = simulation_to_json(sim);
	const char *s = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) : NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	if (!s)
		rc = p2msim_err_set(err, -ENOMEM, "out of memory making the JSON result");
	else
		*h = fnv(*h, s, strlen(s));
	json_object_put(j);
	if (rc)
		return rc;
	f = open_memstream(&buf, &len);
	if (!f)
		return p2msim_err_set(err, -ENOMEM, "open_memstream failed");
	rc = simulation_diagram(f, sim, 100, err);
	if (!rc)
		rc = simulation_svg(f, sim, err);
	fclose(f);
	if (!rc)
		*h = fnv(*h, buf, len);
	free(buf);
	return rc;
}

static void hash_line(void *ctx, const char *line)
{
	uint64_t *h = ctx;

	*h = fnv(*h, line, strlen(line) + 1);
}

static int sim_balloon(const struct sim_case *c, struct simulation *sim, uint64_t *h,
		       unsigned long *steps, struct p2msim_err *err)
{
	struct balloon *b = NULL;
	char list[64], *tok, *save = NULL;
	int rc = simulation_balloon_new(&b, sim, hash_line, h, err);

	snprintf(list, sizeof(list), "%s", c->balloon);
	for (tok = strtok_r(list, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct balloon_result res;
		const struct balloon_stats *st;
		int bad;

		memset(&res, 0, sizeof(res));
		rc = balloon_mem_set_and_run(b, tok, 0, NULL, &res, err);
		simulation_refresh(sim);
		bad = sim_consistent(sim, rc, true, "after a balloon step", err);
		if (bad)
			return balloon_free(b), bad;
		if (rc)
			break;
		st = balloon_get_stats(b);
		*h = fnv_u64(*h, res.state);
		*h = fnv_u64(*h, res.seconds);
		*h = fnv_u64(*h, res.steps);
		*h = fnv_u64(*h, (uint64_t)res.credit);
		*h = fnv_u64(*h, res.reached);
		*h = fnv_u64(*h, st->current_pages);
		*h = fnv_u64(*h, st->target_pages);
		*h = fnv_u64(*h, st->balloon_low);
		*h = fnv_u64(*h, sim->res.max_pfn);
		rc = sim_outputs(sim, h, err);
		(*steps)++;
	}
	balloon_free(b);
	return rc;
}

static int op_simulation(void *ctx, struct p2msim_err *err)
{
	struct sim_sweep *sw = ctx;
	const struct sim_case *c = sw->c;
	struct simulation_options o;
	struct simulation sim;
	uint64_t h = FNV_OFFSET;
	unsigned long steps = 0;
	int rc, bad;

	simulation_options_init(&o);
	o.example = c->example;
	o.e820_path = c->e820 ? sw->path : NULL;
	o.kernel = c->kernel;
	o.dom0_mem = c->dom0_mem;
	o.domu = o.domu_set = c->domu;
	o.nr_pages = c->nr_pages;
	rc = simulation_run(&o, &sim, err);
	bad = sim_consistent(&sim, rc, rc == 0, rc ? "after a failed boot" : "after the boot", err);
	if (bad)
		rc = bad;
	if (rc == 0)
		rc = sim_outputs(&sim, &h, err);
	if (rc == 0 && c->balloon)
		rc = sim_balloon(c, &sim, &h, &steps, err);
	if (rc == 0 && !sw->have_ref) {
		/* fault_sweep()'s first run is the clean one */
		sw->have_ref = true;
		sw->ref = h;
		sw->balloon_steps = steps;
	} else if (rc == 0 && h != sw->ref) {
		rc = p2msim_err_set(err, FAULT_BROKEN,
				    "succeeded with outputs that differ from "
				    "the clean run's");
	}
	simulation_free(&sim);
	return rc;
}

/* Small domains: a run costs about a millisecond, and each case runs
 * twice for every allocation it makes.  Each kernel family as dom0 and as
 * domU, balloon steps down and up in each family. */
static const struct sim_case sim_cases[] = {
	/* 2.6.39-3.1: three-level tree in brk, identity on the raw map */
	{ "seed (2.6.39 dom0)", "seed", NULL, NULL, "max:3G,64M", false, 0, NULL, 0 },
	{ "domu-2G (2.6.39 domU), balloon", "domu-2G", NULL, "2.6.39", NULL, true, 0x8000,
	  "127m,129m", -EIO },
	/* 3.2-3.17: release under 1-1 areas, populate back */
	{ "corpus 001 (3.8 dom0)", NULL, "e820/001-msi-h61m-i3-2100-xen41-dom0-3.8.txt", "3.8",
	  "64M", false, 0, NULL, 0 },
	{ "corpus 001 (3.8 dom0), balloon", NULL, "e820/001-msi-h61m-i3-2100-xen41-dom0-3.8.txt",
	  "3.8", "160M,max:256M", false, 0, "159m,161m", -EIO },
	{ "corpus 038 (3.2 domU)", NULL, "e820/038-opteron6128-host-pv-domU-2056M-xen412-3.2.txt",
	  "3.2", NULL, true, 0x8000, NULL, 0 },
	/* 3.19+: linear list, remap, extra regions */
	/* Xen does not build a dom0 smaller than a Debian 6.x image's first
	 * chunk (128 MiB) and its initrd: "Domain 0 allocation is too small" */
	{ "pc-2G (6.1 dom0)", "pc-2G", NULL, NULL, "160M,max:160M", false, 0, NULL, 0 },
	{ "pc-5G (6.12 dom0)", "pc-5G", NULL, "6.12", "160M,max:4G", false, 0, NULL, 0 },
	{ "corpus 003 (4.19 dom0)", NULL,
	  "e820/003-fujitsu-su310m1-xeon6242-128g-xen413-dom0-4.12.txt", "4.19", "64M,max:128M",
	  false, 0, NULL, 0 },
	{ "domu-2G (6.1 domU)", "domu-2G", NULL, NULL, NULL, true, 0x8000, NULL, 0 },
	{ "pc-2G (6.1 dom0), balloon", "pc-2G", NULL, "6.1", "160M,max:256M", false, 0, "159m,161m",
	  -EIO },
	{ "pc-5G (6.12 dom0), balloon", "pc-5G", NULL, "6.12", "160M,max:256M", false, 0,
	  "159m,161m", -EIO },
};

static void test_simulations(void)
{
	const char *top = getenv("top_srcdir");
	unsigned long runs = 0;

	for (size_t i = 0; i < sizeof(sim_cases) / sizeof(sim_cases[0]); i++) {
		const struct sim_case *c = &sim_cases[i];
		struct sim_sweep sw = { c, "", false, 0, 0 };
		/* a failed allocation may also stop the kernel model where
		 * the kernel stops when its allocation fails (a BUG), and the
		 * balloon model where the driver BUG()s */
		int ok[] = { -ENOMEM, -EFAULT, c->balloon ? c->balloon_ok : 0, 0 };
		struct fault_sweep_result r;

		if (c->e820)
			snprintf(sw.path, sizeof(sw.path), "%s/tests/data/%s", top ? top : ".",
				 c->e820);
		CU_ASSERT_EQUAL(fault_sweep(c->name, op_simulation, &sw, ok, &r), 0);
		if (r.calls == 0 && r.runs == 0 && getenv("P2MSIM_FAULTS_SWEEP"))
			continue; /* not selected */
		/* the clean run booted, ballooned every step, and each k ran */
		CU_ASSERT(sw.have_ref);
		CU_ASSERT(sw.balloon_steps == (c->balloon ? 2u : 0u));
		CU_ASSERT(r.calls > 0 && r.runs == 2 * r.calls);
		printf("\n    %s: %lu allocations, %lu runs, %lu failed", c->name, r.calls, r.runs,
		       r.failed_runs);
		runs += r.runs;
	}
	printf("\n[%lu runs] ", runs);
}

/* --- hypercall sweeps -------------------------------------------------------------------- */

/*
 * A kernel's memory setup, or `xl mem-set` steps run by the balloon
 * model, with the sim hypervisor's operation number k failing, for every
 * k the clean run makes, in three ways: -ENOMEM, -EIO, and (for the XENMEM
 * batches) a batch that does only its first extent.  Each run must end in
 * success, the kernel's stop (-EFAULT with res.crashed), the balloon
 * model's BUG (-EIO) or the injected error passed on, with a message; the
 * hypervisor passes hv_sim_check, the P2M p2m_check, and a guest that
 * lives on also p2m_check_m2p; nothing is left allocated.
 */

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

struct boot {
	struct kernel_model km;
	struct e820_table machine;
	struct hv *hv;
	hv_domid_t domid;
	uint64_t *mfn_list;
	struct setup_input in;
	struct setup_result res;
};

enum hc_mode {
	HC_ENOMEM,
	HC_EIO,
	HC_PARTIAL
};

struct hc_case {
	const char *name;
	const char *kernel;
	bool dom0;
	const char *map; /* plain table (boot cases) */
	uint64_t nr_pages, max_pages;
	const char *balloon;		/* xl mem-set targets (balloon cases) */
	const char *example, *dom0_mem; /* the boot of balloon cases */
	uint64_t lost;			/* frames a clean boot leaves outside its P2M */
	/* the injection: operation k fails; k == 0 injects nothing */
	unsigned long k;
	enum hc_mode mode;
	unsigned long ops; /* operations of the run */
};

static void boot_free(struct boot *b)
{
	setup_result_free(&b->res);
	hv_close(b->hv);
	free(b->mfn_list);
	e820_table_free(&b->machine);
}

/* Xen's side: the machine, the domain and its builder; nothing injected. */
static int boot_prepare(struct boot *b, const struct hc_case *c, struct p2msim_err *err)
{
	struct hv_sim_config cfg = { 0 };
	struct e820_doc doc;
	int rc;

	memset(b, 0, sizeof(*b));
	setup_result_init(&b->res);
	e820_table_init(&b->machine);
	rc = kernel_model_init(&b->km, c->kernel, NULL, err);
	if (!rc)
		rc = e820_parse_buffer(c->name, c->map, strlen(c->map), &doc, err);
	if (rc)
		return rc;
	rc = e820_table_copy(&b->machine, &doc.maps[0].table);
	e820_doc_free(&doc);
	if (!rc) {
		cfg.machine = &b->machine;
		rc = hv_sim_open(&b->hv, &cfg, err);
	}
	b->domid = c->dom0 ? 0 : 1;
	if (!rc)
		rc = hv_sim_build_domain(b->hv, b->domid, c->nr_pages, c->max_pages, 8,
					 &b->mfn_list, err);
	if (!rc && !c->dom0)
		rc = hv_set_memory_map(b->hv, b->domid, &b->machine, err);
	if (!rc)
		rc = hv_sim_set_current(b->hv, b->domid);
	b->in.model = &b->km;
	b->in.dom0 = c->dom0;
	b->in.arch = P2M_ARCH_X86_64;
	b->in.domid = b->domid;
	b->in.nr_pages = c->nr_pages;
	b->in.mfn_list = b->mfn_list;
	setup_layout_default(&b->in.layout, &b->km, c->nr_pages);
	return rc;
}

static int hc_arm(struct hv *hv, const struct hc_case *c, struct p2msim_err *err)
{
	int rc = 0;

	if (c->k)
		rc = hv_sim_inject(hv, NULL, c->k,
				   c->mode == HC_ENOMEM ? ENOMEM :
				   c->mode == HC_EIO	? EIO :
							  0,
				   c->mode == HC_PARTIAL ? 1 : 0);
	return rc ? p2msim_err_set(err, FAULT_BROKEN, "hv_sim_inject refused: %d", rc) : 0;
}

/* Frames the domain owns that no pfn entry of its P2M names: 0 after
 * most boots; 2.6.39 loses the frames under its 1-1 ranges for good. */
static int frames_outside_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m, uint64_t *out,
			      struct p2msim_err *err)
{
	struct hv_domain_info info;
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t pfns = 0;
	int rc = hv_domain_info(hv, domid, &info, err);

	if (rc)
		return rc;
	p2m_iter_init(&it, p2m, 0, p2m_capacity(p2m), 0);
	while (p2m_iter_next(&it, &run))
		if (run.type == P2M_PFN)
			pfns += run.end - run.start;
	*out = info.tot_pages - pfns;
	return 0;
}

/*
 * After any end the hypervisor is consistent and the P2M passes its own
 * checker; a guest that booted has every P2M entry mapping back through
 * the M2P.  Only a boot without an injected failure must also account for
 * every frame it owns (all but c->lost are in its P2M): when a release
 * fails, the kernels WARN and go on, and the 1-1 mapping laid over the
 * pfn later loses the frame for good (3.x xen_do_chunk, "Failed to
 * release pfn"), which the models reproduce.
 */
static int boot_consistent(struct boot *b, const struct hc_case *c, bool booted,
			   struct p2msim_err *err)
{
	struct p2msim_err e;
	uint64_t lost = 0;
	int bad;

	fault_pause();
	p2msim_err_clear(&e);
	bad = hv_sim_check(b->hv, &e) || (b->res.p2m && p2m_check(b->res.p2m, &e)) ||
	      (booted &&
	       (!b->res.p2m || p2m_check_m2p(b->res.p2m, hv_sim_m2p_lookup, b->hv, &e))) ||
	      (booted && !c->k && frames_outside_p2m(b->hv, b->domid, b->res.p2m, &lost, &e));
	fault_resume();
	if (bad)
		return p2msim_err_set(err, FAULT_BROKEN, "inconsistent: %s",
				      e.msg[0] ? e.msg : "no P2M");
	if (lost != (booted && !c->k ? c->lost : 0))
		return p2msim_err_set(err, FAULT_BROKEN,
				      "%llu owned frames outside the P2M, "
				      "expected %llu",
				      (unsigned long long)lost, (unsigned long long)c->lost);
	return 0;
}

/* A kernel's memory setup with operation k failing. */
static int hc_boot(struct hc_case *c, struct p2msim_err *err)
{
	struct boot b;
	unsigned long before;
	int rc = boot_prepare(&b, c, err);

	if (rc) {
		boot_free(&b);
		return p2msim_err_set(err, FAULT_BROKEN, "preparing the boot: %s", err->msg);
	}
	before = hv_sim_op_count(b.hv);
	rc = hc_arm(b.hv, c, err);
	if (!rc) {
		rc = setup_run(&b.in, b.hv, &b.res, err);
		if (rc == -EFAULT && !b.res.crashed)
			rc = p2msim_err_set(err, FAULT_BROKEN, "-EFAULT without a crash: %s",
					    err->msg);
	}
	c->ops = hv_sim_op_count(b.hv) - before;
	hv_sim_inject_clear(b.hv);
	if (rc != FAULT_BROKEN && boot_consistent(&b, c, rc == 0, err) == FAULT_BROKEN)
		rc = FAULT_BROKEN;
	boot_free(&b);
	return rc;
}

/*
 * A booted dom0 (512 MiB of 1 GiB) ballooned to each target with
 * operation k (counted from the first `xl mem-set`) failing.  Whatever
 * happened, the guest lives on: the P2M passes p2m_check and
 * p2m_check_m2p, the hypervisor hv_sim_check, and the balloon lost no
 * frame (as many owned frames outside the P2M as after the boot).
 */
static int hc_balloon(struct hc_case *c, struct p2msim_err *err)
{
	struct simulation_options o;
	struct simulation sim;
	struct balloon *bl = NULL;
	char list[64], *tok, *save = NULL;
	unsigned long before;
	uint64_t lost0 = 0, lost = 0;
	int rc;

	simulation_options_init(&o);
	o.example = c->example;
	o.kernel = c->kernel;
	o.dom0_mem = c->dom0_mem;
	rc = simulation_run(&o, &sim, err);
	if (!rc)
		rc = simulation_balloon_new(&bl, &sim, quiet, NULL, err);
	if (!rc)
		rc = frames_outside_p2m(sim.hv, sim.domid, sim.res.p2m, &lost0, err);
	if (rc) {
		balloon_free(bl);
		simulation_free(&sim);
		return p2msim_err_set(err, FAULT_BROKEN, "boot: %s", err->msg);
	}
	before = hv_sim_op_count(sim.hv);
	rc = hc_arm(sim.hv, c, err);
	snprintf(list, sizeof(list), "%s", c->balloon);
	for (tok = strtok_r(list, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct balloon_result res;

		rc = balloon_mem_set_and_run(bl, tok, 0, NULL, &res, err);
		simulation_refresh(&sim);
		/* the clean run reaches every target */
		if (!rc && !c->k && !res.reached)
			rc = p2msim_err_set(err, FAULT_BROKEN, "target %s not reached", tok);
	}
	c->ops = hv_sim_op_count(sim.hv) - before;
	/* a run that stopped early leaves its rule unused: not for the checks */
	hv_sim_inject_clear(sim.hv);
	if (rc != FAULT_BROKEN) {
		struct p2msim_err e;
		int bad;

		fault_pause();
		p2msim_err_clear(&e);
		bad = p2m_check(sim.res.p2m, &e) ||
		      p2m_check_m2p(sim.res.p2m, hv_sim_m2p_lookup, sim.hv, &e) ||
		      hv_sim_check(sim.hv, &e) ||
		      frames_outside_p2m(sim.hv, sim.domid, sim.res.p2m, &lost, &e);
		fault_resume();
		if (bad)
			rc = p2msim_err_set(err, FAULT_BROKEN, "inconsistent after the balloon: %s",
					    e.msg);
		else if (lost != lost0)
			rc = p2msim_err_set(err, FAULT_BROKEN,
					    "the balloon lost frames: %llu owned "
					    "outside the P2M, %llu after the boot",
					    (unsigned long long)lost, (unsigned long long)lost0);
	}
	balloon_free(bl);
	simulation_free(&sim);
	return rc;
}

/* What a run with an injected failure may end in (see above). */
static bool hc_outcome_ok(const struct hc_case *c, int rc)
{
	int injected = c->mode == HC_ENOMEM ? -ENOMEM : c->mode == HC_EIO ? -EIO : -EAGAIN;

	return rc == 0 || rc == -EFAULT || rc == -EIO || rc == injected;
}

struct hc_counts {
	unsigned long ops, runs, ok, stopped, error;
};

static unsigned long hc_sweep(struct hc_case *c, int (*run)(struct hc_case *, struct p2msim_err *),
			      struct hc_counts *n)
{
	static const char *const mode_name[] = { "ENOMEM", "EIO", "partial" };
	struct p2msim_err err;
	unsigned long bad = 0;
	size_t live0 = fault_live();
	int rc;

	memset(n, 0, sizeof(*n));
	c->k = 0;
	p2msim_err_clear(&err);
	rc = run(c, &err);
	if (rc || fault_live() != live0) {
		printf("\n    %s: clean run: %d %s, %zu blocks left", c->name, rc, err.msg,
		       fault_live() - live0);
		return 1;
	}
	n->ops = c->ops;
	if (!n->ops) {
		printf("\n    %s: the clean run made no hypercall", c->name);
		return 1;
	}
	for (unsigned int mode = HC_ENOMEM; mode <= HC_PARTIAL; mode++) {
		for (unsigned long k = 1; k <= n->ops; k++) {
			const char *why = NULL;

			c->k = k;
			c->mode = mode;
			p2msim_err_clear(&err);
			rc = run(c, &err);
			n->runs++;
			if (rc == FAULT_BROKEN)
				why = "broken";
			else if (c->ops < k)
				why = "operation k was never made (the run is not deterministic)";
			else if (!hc_outcome_ok(c, rc))
				why = "unexpected error code";
			else if (rc && (err.code != rc || !err.msg[0]))
				why = "error without its message";
			else if (fault_live() != live0)
				why = "allocations left behind (a leak)";
			if (why) {
				if (bad++ < 5)
					printf("\n    %s: hypercall %lu %s: rc %d '%s': %s",
					       c->name, k, mode_name[mode], rc, err.msg, why);
				live0 = fault_live();
			}
			n->ok += rc == 0;
			n->stopped += rc == -EFAULT;
			n->error += rc != 0 && rc != -EFAULT;
		}
	}
	if (fault_leak_check()) {
		printf("\n    %s: LeakSanitizer found leaks (above)", c->name);
		bad++;
	}
	printf("\n    %s: %lu operations, %lu runs: %lu ok, %lu kernel stops, %lu errors", c->name,
	       n->ops, n->runs, n->ok, n->stopped, n->error);
	return bad;
}

#define MAP_PC2G                                                                   \
	"0x0-0x9fbff usable\n0x9fc00-0x9ffff reserved\n0xf0000-0xfffff reserved\n" \
	"0x100000-0x7ffdffff usable\n0x7ffe0000-0x7fffffff reserved\n"             \
	"0xfec00000-0xfec00fff reserved\n0xfffc0000-0xffffffff reserved\n"
#define MAP_SEED                                                         \
	"0x0 +1029M usable\n1029M +1M ACPI data\n1200M +100M reserved\n" \
	"2001M +303M usable\n"
#define MAP_DOMU "0x0 +2G usable\n"

static void test_hypercalls_memory_setup(void)
{
	struct hc_case cases[] = {
		{ .name = "2.6.39 dom0",
		  .kernel = "2.6.39",
		  .dom0 = true,
		  .map = MAP_SEED,
		  .nr_pages = 0x40000,
		  .max_pages = 0xC0000 },
		/* 2.6.39 keeps the frames under its 1-1 ranges (the ISA hole):
		 * owned, in no pfn entry */
		{ .name = "2.6.39 dom0 (pc)",
		  .kernel = "2.6.39",
		  .dom0 = true,
		  .map = MAP_PC2G,
		  .nr_pages = 0x8000,
		  .max_pages = 0x10000,
		  .lost = 96 },
		{ .name = "2.6.39 domU",
		  .kernel = "2.6.39",
		  .map = MAP_DOMU,
		  .nr_pages = 0x8000,
		  .max_pages = 0x8000 },
		{ .name = "3.2 dom0 (no populate back)",
		  .kernel = "3.2",
		  .dom0 = true,
		  .map = MAP_PC2G,
		  .nr_pages = 0x8000,
		  .max_pages = 0x8000 },
		{ .name = "3.8 dom0",
		  .kernel = "3.8",
		  .dom0 = true,
		  .map = MAP_PC2G,
		  .nr_pages = 0x8000,
		  .max_pages = 0x8000 },
		{ .name = "3.2 domU",
		  .kernel = "3.2",
		  .map = MAP_DOMU,
		  .nr_pages = 0x8000,
		  .max_pages = 0x8000 },
		{ .name = "6.1 dom0",
		  .kernel = "6.1",
		  .dom0 = true,
		  .map = MAP_PC2G,
		  .nr_pages = 0x8000,
		  .max_pages = 0x10000 },
		{ .name = "6.12 dom0",
		  .kernel = "6.12",
		  .dom0 = true,
		  .map = MAP_SEED,
		  .nr_pages = 0x8000,
		  .max_pages = 0xC0000 },
		{ .name = "6.1 domU",
		  .kernel = "6.1",
		  .map = MAP_DOMU,
		  .nr_pages = 0x8000,
		  .max_pages = 0x8000 },
	};
	unsigned long runs = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hc_counts n;

		CU_ASSERT_EQUAL(hc_sweep(&cases[i], hc_boot, &n), 0);
		runs += n.runs;
	}
	printf("\n[%lu runs] ", runs);
}

static void test_hypercalls_balloon(void)
{
	/* (2.6.39 on pc-2G would put its extra memory at 1 TiB, past its
	 * 512 GiB P2M: the seed machine instead) */
	struct hc_case cases[] = {
		{ .name = "2.6.39 balloon down and up",
		  .kernel = "2.6.39",
		  .dom0 = true,
		  .balloon = "500m,530m",
		  .example = "seed",
		  .dom0_mem = "512M,max:1G" },
		{ .name = "3.8 balloon down and up",
		  .kernel = "3.8",
		  .dom0 = true,
		  .balloon = "500m,530m",
		  .example = "pc-2G",
		  .dom0_mem = "512M,max:1G" },
		{ .name = "4.19 balloon down and up",
		  .kernel = "4.19",
		  .dom0 = true,
		  .balloon = "508m,516m",
		  .example = "pc-2G",
		  .dom0_mem = "512M,max:1G" },
		{ .name = "6.1 balloon down and up",
		  .kernel = "6.1",
		  .dom0 = true,
		  .balloon = "500m,530m",
		  .example = "pc-2G",
		  .dom0_mem = "512M,max:1G" },
		{ .name = "6.12 balloon down and up",
		  .kernel = "6.12",
		  .dom0 = true,
		  .balloon = "504m,520m",
		  .example = "pc-2G",
		  .dom0_mem = "512M,max:1G" },
	};
	unsigned long runs = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hc_counts n;

		CU_ASSERT_EQUAL(hc_sweep(&cases[i], hc_balloon, &n), 0);
		runs += n.runs;
	}
	printf("\n[%lu runs] ", runs);
}

static const struct test_case fault_cases[] = {
	{ "e820_parse_and_print_every_map", test_e820_parse_and_print_every_map },
	{ "e820_sanitize_edits_json", test_e820_table_operations },
	{ "e820_mem_memmap", test_e820_mem_memmap },
	{ "e820_sysfs_tree", test_e820_sysfs_tree },
	{ "xenlog_and_dom0_mem", test_xenlog_and_dom0_mem },
	{ "p2m_workloads", test_p2m_workloads },
	{ "dump_parse_json_diff", test_dump_parse_json_diff },
	{ "simulations", test_simulations },
	{ NULL, NULL },
};

static const struct test_case hypercall_cases[] = {
	{ "memory_setup", test_hypercalls_memory_setup },
	{ "balloon", test_hypercalls_balloon },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "allocation_failures", fault_cases },
	{ "hypercall_failures", hypercall_cases },
	{ NULL, NULL },
};

int main(int argc, char *argv[])
{
	int rc;

	null_out = fopen("/dev/null", "w");
	if (!null_out)
		return 99;
	rc = test_run_suites(suites, argc, argv);
	fclose(null_out);
	return rc;
}
