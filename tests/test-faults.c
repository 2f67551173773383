/* SPDX-License-Identifier: MIT */
/*
 * tests/test-faults.c - allocation-failure sweeps (PRODUCT §7): for each
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
 * the debugfs writers, and P2M engine workloads under the modern and
 * 2.6.39 rules.
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

#include "debugfs-dump/dump.h"
#include "p2m/p2m.h"
#include "setup/e820.h"
#include "setup/xen-opts.h"
#include "setup/xenlog.h"
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
	E820_FMT_LINUX, E820_FMT_LINUX_OLD, E820_FMT_XEN, E820_FMT_XEN_OLD,
	E820_FMT_TABLE, E820_FMT_JSON, E820_FMT_IOMEM, E820_FMT_MEMMAP,
};

/* Print into memory; a success must have printed real text (a failed
 * serializer must not turn into "(null)"). */
static int print_checked(const struct e820_table *t, enum e820_format fmt,
			 struct p2msim_err *err)
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
		rc = p2msim_err_set(err, FAULT_BROKEN, "e820_print(%s) succeeded but printed '%.40s'",
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
		if (rc == -EINVAL)	/* a map without RAM: not this test's business */
			rc = 0;
		if (!rc && !(rc = e820_table_copy(&t, &log.e820))) {
			if (e820_sanitize_xen(&t) == 0)
				rc = xen_clip_mem(&t, log.xen_mem_limit ? log.xen_mem_limit : 1ULL << 30,
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
	bool old;		/* the 2.6.39 rules, with a brk pool */
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
		cfg.top_pages = 1;
		cfg.mid_identity = false;
		cfg.cow_identity_fill = false;
		cfg.invalid_into_identity = true;
		cfg.identity_into_missing = true;
		cfg.beyond_is_identity = false;
		cfg.range_mode = P2M_RANGE_2639;
		cfg.brk_pages = 64;
		cfg.shared_from_brk = true;
	}
	rc = p2m_new(&p, &cfg, err);
	if (rc)
		return rc;
	g = p2m_geometry(p);
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		list[i] = 0x1000 + 3 * i;

#define STEP(call)                                                             \
	do {                                                                   \
		p2msim_err_clear(&e);                                          \
		if (step(p, (call), &first, &e) == FAULT_BROKEN) {             \
			*err = e;                                              \
			p2m_free(p);                                           \
			return FAULT_BROKEN;                                   \
		}                                                              \
		if (e.code && !err->code)                                      \
			*err = e;                                              \
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

static const struct test_case fault_cases[] = {
	{ "e820_parse_and_print_every_map", test_e820_parse_and_print_every_map },
	{ "e820_sanitize_edits_json", test_e820_table_operations },
	{ "e820_mem_memmap", test_e820_mem_memmap },
	{ "e820_sysfs_tree", test_e820_sysfs_tree },
	{ "xenlog_and_dom0_mem", test_xenlog_and_dom0_mem },
	{ "p2m_workloads", test_p2m_workloads },
	{ "dump_parse_json_diff", test_dump_parse_json_diff },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "allocation_failures", fault_cases },
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
