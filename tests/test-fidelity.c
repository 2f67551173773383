/* SPDX-License-Identifier: MIT */
/*
 * tests/test-fidelity.c - the kernel models against real boots.
 *
 * Every capture under tests/data/fidelity/ is a real Xen 4.17 + Debian
 * Linux dom0 boot: its inputs (machine memory map, dom0_mem, command lines,
 * where Xen put the kernel) and its outcomes (dom0's E820 lines, Released /
 * Remapped counts, the P2M read from the hypervisor side, or the words the
 * kernel died with).  For each, the model runs on the same inputs and must
 * print the same "Xen: [mem" lines, the same counts, the same P2M run
 * types over [0, max_pfn) and the same max_pfn -- or stop with the same
 * words.
 *
 * A capture that does not match must be listed in tests/KNOWN-DIFFERENCES
 * with the reason; a listed capture that now matches fails the test too,
 * so the file only ever shrinks.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "debugfs-dump/dump.h"
#include "sim/sim.h"
#include "xen/xenlog.h"
#include "tests/fidelity.h"
#include "tests/testutil.h"
#include "util/text.h"

#define MAX_CASES 128
#define VA_KERNEL_BASE 0xffffffff80000000ULL

struct fcase {
	char name[720];
	char dir[1024];
	char why[1024]; /* what did not match */
	bool skipped;
	bool passed;
};

static char *case_file(const struct fcase *c, const char *file, size_t *len)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	return fidelity_slurp(path, len);
}

/* The value of "key=" in variant.txt, up to the next blank. */
static bool variant_value(const char *variant, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(variant, pat); p; p = strstr(p + 1, pat))
		if (p == variant || p[-1] == ' ' || p[-1] == '\n')
			break;
	if (!p)
		return false;
	p += strlen(pat);
	while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* "Loaded kernel: ffffffff81000000->ffffffff84a00000" as pfns. */
static bool va_range(const char *log, const char *label, uint64_t *s, uint64_t *e)
{
	const char *p = strstr(log, label);
	unsigned long long a, b;

	if (!p || sscanf(p + strlen(label), " %llx->%llx", &a, &b) != 2 || a < VA_KERNEL_BASE)
		return false;
	*s = (a - VA_KERNEL_BASE) >> 12;
	*e = (b - VA_KERNEL_BASE + 0xfff) >> 12;
	return true;
}

static void read_layout(struct fcase *c, struct setup_layout *lay)
{
	char *xl = case_file(c, "xl-dmesg-mem.txt", NULL);
	char *dm = case_file(c, "dom0-dmesg-mem.txt", NULL);
	const char *rd;
	unsigned long long a, b;

	memset(lay, 0, sizeof(*lay));
	if (xl && va_range(xl, "Loaded kernel:", &lay->kernel_start, &lay->kernel_end) &&
	    va_range(xl, "Start info:", &lay->start_info, &lay->start_info_end) &&
	    va_range(xl, "Page tables:", &lay->pt_start, &lay->pt_end))
		lay->known = true;
	if (lay->known && dm && (rd = strstr(dm, "RAMDISK: [mem ")) &&
	    sscanf(rd, "RAMDISK: [mem %llx-%llx]", &a, &b) == 2) {
		lay->initrd_start = a >> 12;
		lay->initrd_end = (b + 1 + 0xfff) >> 12;
	}
	free(xl);
	free(dm);
}

/* Lines of @text holding @needle, with any "[ time ]" prefix removed. */
static size_t grep_lines(const char *text, const char *needle, char lines[][160], size_t max)
{
	size_t n = 0;

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *hit = memmem(p, len, needle, strlen(needle));

		if (hit && n < max) {
			size_t k = (size_t)(p + len - hit);

			if (k > 159)
				k = 159;
			memcpy(lines[n], hit, k);
			lines[n++][k] = '\0';
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Does @line (up to its end or a newline) read exactly as @fmt, one
 * %llu in it?  sscanf alone would accept a longer line ("Remapped 0
 * non-RAM page(s)" for "Remapped %llu page(s)"). */

static bool count_in(const char *text, const char *fmt, unsigned long long *v)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *line = strchr(p, ']');

		line = line && (!nl || line < nl) ? line + 2 : p;
		if (fidelity_line_is(line, fmt, v))
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static uint64_t model_count(const struct simulation *sim, const char *fmt)
{
	unsigned long long v;

	for (size_t i = 0; i < sim->res.nr_log; i++)
		if (fidelity_line_is(sim->res.log[i], fmt, &v))
			return v;
	return ~0ULL;
}

static void compare_e820(struct fcase *c, const char *dmesg, const struct simulation *sim)
{
	static char want[512][160], have[512][160];
	size_t nw = grep_lines(dmesg, "Xen: [mem ", want, 512), nh = 0;

	for (size_t i = 0; i < sim->res.nr_log && nh < 512; i++)
		if (starts_with(sim->res.log[i], "Xen: [mem "))
			snprintf(have[nh++], sizeof(have[0]), "%s", sim->res.log[i]);
	if (nw != nh) {
		fidelity_why(c->why, sizeof(c->why), "%zu Xen: lines, the kernel printed %zu", nh,
			     nw);
		return;
	}
	for (size_t i = 0; i < nw; i++)
		if (strcmp(want[i], have[i])) {
			fidelity_why(c->why, sizeof(c->why),
				     "E820 line %zu: model '%s', kernel '%s'", i + 1, have[i],
				     want[i]);
			return;
		}
}

static void compare_counts(struct fcase *c, const char *dmesg, const struct simulation *sim)
{
	static const char *const fmts[] = {
		"Released %llu page(s)",
		"Remapped %llu page(s)",
		"Remapped %llu non-RAM page(s)",
	};

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		unsigned long long want;
		uint64_t have = model_count(sim, fmts[i]);

		if (!count_in(dmesg, fmts[i], &want)) {
			if (have != ~0ULL)
				fidelity_why(c->why, sizeof(c->why),
					     "model prints '%s' (%" PRIu64 "), the kernel did not",
					     fmts[i], have);
			continue;
		}
		if (have != want)
			fidelity_why(c->why, sizeof(c->why), "'%s': model %" PRIu64 ", kernel %llu",
				     fmts[i], have, want);
	}
}

static void compare_p2m(struct fcase *c, const struct simulation *sim)
{
	size_t len;
	char *text = case_file(c, "dom0-p2m.txt", &len);
	const char *mp;
	unsigned long long max_pfn;
	struct dump_runs real, model;
	struct dump_diff d = { 0 };
	struct dump_diff_opts o;
	struct p2msim_err err = { 0 };

	if (!text)
		return;
	dump_runs_init(&real);
	dump_runs_init(&model);
	if (!(mp = strstr(text, "max_pfn=")) || sscanf(mp, "max_pfn=%llx", &max_pfn) != 1) {
		fidelity_why(c->why, sizeof(c->why), "dom0-p2m.txt has no max_pfn");
		goto out;
	}
	if (sim->res.max_pfn != max_pfn)
		fidelity_why(c->why, sizeof(c->why), "max_pfn: model %#" PRIx64 ", kernel %#llx",
			     sim->res.max_pfn, max_pfn);
	if (dump_parse(&real, text, len, c->name, DUMP_FMT_LAB, &err) < 0 ||
	    dump_runs_from_p2m(&model, sim->res.p2m, 0, max_pfn, &err) < 0) {
		fidelity_why(c->why, sizeof(c->why), "%s", err.msg);
		goto out;
	}
	dump_diff_opts_init(&o);
	o.quirk = DUMP_QUIRK_OFF;
	o.have_range = true;
	o.range_start = 0;
	o.range_end = max_pfn;
	if (dump_diff_runs(&d, &real, &model, &o, &err) < 0) {
		fidelity_why(c->why, sizeof(c->why), "%s", err.msg);
		goto out;
	}
	if (d.pages)
		fidelity_why(c->why, sizeof(c->why),
			     "P2M: %" PRIu64 " pfn(s) differ in %zu range(s), first [%#" PRIx64
			     ", %#" PRIx64 ") kernel %s, model %s",
			     d.pages, d.nr, d.ranges[0].start, d.ranges[0].end,
			     dump_type_name(d.ranges[0].type_a),
			     dump_type_name(d.ranges[0].type_b));
out:
	dump_diff_free(&d);
	dump_runs_free(&real);
	dump_runs_free(&model);
	free(text);
}

static bool has_entries(const char *path)
{
	char *text = fidelity_slurp(path, NULL);
	bool any = false;

	for (const char *p = text; p && *p && !any;) {
		any = *p == '0';
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	free(text);
	return any;
}

/* Xen's whole boot log (it names the IO-APICs and the CPU), else the
 * serial console's Xen lines, else the memory lines alone. */
static bool xen_log(const struct fcase *c, char *path, size_t len)
{
	static const char *const names[] = { "xl-dmesg.txt", "xen-console.txt",
					     "xl-dmesg-mem.txt" };
	struct stat st;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, len, "%s/%s", c->dir, names[i]);
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

/*
 * The other eras' captures run with their stable release ("5.10.223"), as
 * the dom0's "Linux version" line or the variant's Debian version names it.
 */
static void release_of(const struct fcase *c, const char *variant, char *kernel, size_t len)
{
	char *dmesg = case_file(c, "dom0-dmesg-mem.txt", NULL);
	const char *lv = dmesg ? strstr(dmesg, "Linux version ") : NULL;
	char given[256] = "";
	struct kernel_model km;

	if (!starts_with(c->name, "eras/"))
		goto out;
	if (lv)
		snprintf(given, sizeof(given), "%.*s", (int)strcspn(lv, "\n"), lv);
	else if (!variant_value(variant, "kernel_debian", given + 7, sizeof(given) - 7) ||
		 !strcmp(given + 7, "unknown"))
		variant_value(variant, "kernel_version", given, sizeof(given));
	else
		memcpy(given, "Debian ", 7);
	if (kernel_model_init(&km, given, NULL, NULL) == 0)
		snprintf(kernel, len, "%s", km.release);
out:
	free(dmesg);
}

/*
 * Run one capture: with the inputs the lab recorded (the machine map, the
 * command lines, the kernel release), or -- @from_log -- from its boot log
 * alone (boot-log.txt: Xen's lines and the dom0's "Linux version" and
 * "Command line" lines), with no other option.
 */
static void run_case(struct fcase *c, bool from_log)
{
	char *variant = case_file(c, "variant.txt", NULL);
	char *dmesg = case_file(c, "dom0-dmesg-mem.txt", NULL);
	char *crash = case_file(c, "crash-lines.txt", NULL);
	char *xencmd = case_file(c, "xen-cmdline.txt", NULL);
	char *kcmd = case_file(c, "dom0-cmdline.txt", NULL);
	char kernel[32] = "6.1", e820[2048], xlog[2048], dom0_mem[128] = "dom0_mem=", extra[256];
	struct simulation_options o;
	struct simulation sim;
	struct p2msim_err err = { 0 };
	int rc;

	if (!variant ||
	    (crash && (strstr(crash, "XEN PANIC") || strstr(crash, "(XEN) Panic on CPU"))) ||
	    (crash && !strstr(crash, "conflicts") && !dmesg && !strstr(crash, "BUG"))) {
		c->skipped = true;
		snprintf(c->why, sizeof(c->why), "Xen itself stops before dom0 runs");
		goto out;
	}
	simulation_options_init(&o);
	if (from_log) {
		struct stat st;

		snprintf(xlog, sizeof(xlog), "%s/boot-log.txt", c->dir);
		if (stat(xlog, &st) != 0) {
			c->skipped = true;
			snprintf(c->why, sizeof(c->why), "no serial console was captured");
			goto out;
		}
		o.xen_log_path = xlog;
		goto run;
	}
	variant_value(variant, "kernel_option", kernel, sizeof(kernel));
	release_of(c, variant, kernel, sizeof(kernel));
	o.kernel = kernel;
	/* The map the hypervisor gave dom0; when the capture has none (the
	 * probe failed, dom0 died), Xen's own printed map. */
	snprintf(e820, sizeof(e820), "%s/machine-e820.txt", c->dir);
	if (has_entries(e820))
		o.e820_path = e820;
	if (!o.e820_path && xen_log(c, xlog, sizeof(xlog)))
		o.xen_log_path = xlog;
	if (!xencmd && variant_value(variant, "dom0_mem", dom0_mem + 9, sizeof(dom0_mem) - 9))
		o.xen_cmdline = dom0_mem;
	if (!kcmd && variant_value(variant, "dom0_extra", extra, sizeof(extra)))
		o.cmdline = extra;
	if (xencmd) {
		char *colon = strchr(xencmd, ':');
		char *nl = strchr(xencmd, '\n');

		if (nl)
			*nl = '\0';
		o.xen_cmdline = colon ? colon + 1 : xencmd;
	}
	if (kcmd) {
		char *nl = strchr(kcmd, '\n');

		if (nl)
			*nl = '\0';
		o.cmdline = kcmd;
	}
	read_layout(c, &o.layout);
run:
	rc = simulation_run(&o, &sim, &err);
	if (crash && (strstr(crash, "conflicts with E820 map") || strstr(crash, "kernel BUG at"))) {
		const char *words = strstr(crash, "Xen hypervisor allocated");

		if (!words)
			words = strstr(crash, "kernel BUG at");
		const char *said = strstr(err.msg, "would stop here: ");

		said = said ? said + strlen("would stop here: ") : err.msg;
		if (rc != -EFAULT)
			fidelity_why(c->why, sizeof(c->why),
				     "the kernel stopped, the model did not (%s)",
				     rc ? err.msg : "ran to the end");
		else if (strncmp(words, said, strcspn(words, "\r\n")))
			fidelity_why(c->why, sizeof(c->why),
				     "model stopped with '%s', the kernel with '%.*s'", err.msg,
				     (int)strcspn(words, "\r\n"), words);
	} else if (rc < 0) {
		fidelity_why(c->why, sizeof(c->why), "model failed: %s", err.msg);
	} else {
		if (dmesg) {
			compare_e820(c, dmesg, &sim);
			compare_counts(c, dmesg, &sim);
		}
		compare_p2m(c, &sim);
	}
	c->passed = !c->why[0];
	simulation_free(&sim);
out:
	free(variant);
	free(dmesg);
	free(crash);
	free(xencmd);
	free(kcmd);
}

static size_t add_case(struct fcase *cases, size_t n, size_t max, const char *dir, const char *name)
{
	if (n < max) {
		snprintf(cases[n].dir, sizeof(cases[n].dir), "%s", dir);
		snprintf(cases[n].name, sizeof(cases[n].name), "%s", name);
		n++;
	}
	return n;
}

/* The directories under @base (sorted), each as @fn(dir, name). */
static size_t scan_dir(const char *base, const char *prefix, struct fcase *cases, size_t n,
		       size_t max,
		       size_t (*fn)(struct fcase *, size_t, size_t, const char *, const char *))
{
	struct dirent **ents;
	int k = scandir(base, &ents, NULL, alphasort);

	for (int i = 0; i < k; i++) {
		char dir[768], name[600];

		if (ents[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", base, ents[i]->d_name);
			snprintf(name, sizeof(name), "%s/%s", prefix, ents[i]->d_name);
			n = fn(cases, n, max, dir, name);
		}
		free(ents[i]);
	}
	if (k > 0)
		free(ents);
	return n;
}

/* lab/VARIANT; cheese/VARIANT/k6.1 and k6.12 */
static size_t add_variant(struct fcase *cases, size_t n, size_t max, const char *dir,
			  const char *name)
{
	static const char *const kernels[] = { "k6.1", "k6.12" };
	char sub[900], subname[700];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/k6.1", dir);
	if (stat(sub, &st) != 0)
		return add_case(cases, n, max, dir, name);
	for (int kk = 0; kk < 2; kk++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, kernels[kk]);
		snprintf(subname, sizeof(subname), "%s/%s", name, kernels[kk]);
		n = add_case(cases, n, max, sub, subname);
	}
	return n;
}

/* eras/XEN-LINUX/VARIANT */
static size_t add_era(struct fcase *cases, size_t n, size_t max, const char *dir, const char *name)
{
	return scan_dir(dir, name, cases, n, max, add_case);
}

static size_t find_cases(struct fcase *cases, size_t max)
{
	static const char *const groups[] = { "lab", "cheese", "eras" };
	size_t n = 0;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		char base[512];

		snprintf(base, sizeof(base), "%s/tests/data/fidelity/%s", fidelity_srcdir(),
			 groups[g]);
		n = scan_dir(base, groups[g], cases, n, max, g == 2 ? add_era : add_variant);
	}
	return n;
}

/* tests/KNOWN-DIFFERENCES: "case-name  reason" per line, # comments. */

static void run_all(bool from_log)
{
	static struct fcase cases[MAX_CASES];
	char path[512];
	char *known;
	size_t n = find_cases(cases, MAX_CASES), passed = 0, skipped = 0;

	snprintf(path, sizeof(path), "%s/tests/KNOWN-DIFFERENCES", fidelity_srcdir());
	known = fidelity_slurp(path, NULL);
	CU_ASSERT_FATAL(n >= 20);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		bool listed;

		run_case(&cases[i], from_log);
		listed = fidelity_known(known, cases[i].name);
		if (from_log) {
			char logname[760];

			snprintf(logname, sizeof(logname), "%s (log)", cases[i].name);
			listed = fidelity_known(known, logname);
		}
		if (cases[i].skipped) {
			skipped++;
			printf("    SKIP %-44s %s\n", cases[i].name, cases[i].why);
			continue;
		}
		passed += cases[i].passed;
		printf("    %s %-44s %s\n",
		       cases[i].passed ? "PASS" :
		       listed	       ? "KNOWN" :
					 "FAIL",
		       cases[i].name, cases[i].why);
		if (!cases[i].passed && !listed)
			CU_FAIL("a capture differs and is not in tests/KNOWN-DIFFERENCES");
		if (cases[i].passed && listed)
			CU_FAIL("a capture in tests/KNOWN-DIFFERENCES matches now: remove it");
	}
	printf("    %zu of %zu captures match, %zu outside the models\n", passed, n - skipped,
	       skipped);
	free(known);
}

static void test_fidelity_lab_captures(void)
{
	run_all(false);
}

/* Every capture again, from its boot log alone: the kernel release and
 * command line come from the dom0's lines, the rest from Xen's. */
static void test_fidelity_from_boot_logs_alone(void)
{
	run_all(true);
}

/*
 * XENMEM_machine_memory_map: the map every capture's probe read from Xen
 * (machine-e820.txt) is what xen/machine-map.c makes of the same
 * boot's Xen log -- Xen's printed E820 plus the IO-APIC and MSI ranges it
 * keeps from dom0.  Captures whose probe got no map are left out.
 */
static void test_fidelity_machine_map_from_xen_log(void)
{
	static struct fcase cases[MAX_CASES];
	size_t n = find_cases(cases, MAX_CASES), checked = 0;

	printf("\n");
	for (size_t i = 0; i < n; i++) {
		struct fcase *c = &cases[i];
		char e820[1100], xlog[1100];
		struct xenlog log;
		struct e820_doc doc = { 0 };
		struct e820_table built;
		struct p2msim_err err = { 0 };
		bool same;

		snprintf(e820, sizeof(e820), "%s/machine-e820.txt", c->dir);
		if (!has_entries(e820) || !xen_log(c, xlog, sizeof(xlog)))
			continue;
		e820_table_init(&built);
		CU_ASSERT_EQUAL_FATAL(xenlog_parse_file(xlog, &log, &err), 0);
		CU_ASSERT_EQUAL_FATAL(e820_parse_file(e820, &doc, &err), 0);
		CU_ASSERT_EQUAL_FATAL(xenlog_machine_map(&log, &built, NULL, &err), 0);
		same = e820_table_equal(&built, &doc.maps[0].table);
		printf("    %s %-44s %zu entries from %zu in Xen's map\n", same ? "PASS" : "FAIL",
		       c->name, built.nr, log.e820.nr);
		if (!same) {
			e820_print(stdout, &built, E820_FMT_TABLE, NULL, NULL);
			CU_FAIL("the machine map built from Xen's log is not the one dom0 read");
		}
		checked++;
		e820_table_free(&built);
		e820_doc_free(&doc);
		xenlog_free(&log);
	}
	printf("    %zu machine maps checked\n", checked);
	CU_ASSERT(checked >= 20);
}

static const struct test_case cases[] = {
	{ "fidelity_lab_captures", test_fidelity_lab_captures },
	{ "fidelity_from_boot_logs_alone", test_fidelity_from_boot_logs_alone },
	{ "fidelity_machine_map_from_xen_log", test_fidelity_machine_map_from_xen_log },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "fidelity", cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
