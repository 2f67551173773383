/* SPDX-License-Identifier: MIT */
/*
 * tests/test-doctor.c - `p2msim doctor`: the outcome lines of real boots,
 * the agreement of a simulation with them, the cause of a failure and the
 * fixes, on the lab's failing boots (tests/data/doctor/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "doctor/doctor.h"
#include "tests/fidelity.h"
#include "tests/testutil.h"

static char *data(const char *file, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/data/doctor/%s", top ? top : ".", file);
	buf = fidelity_slurp(path, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

static void parse(const char *file, struct doctor_outcome *o)
{
	struct p2msim_err err = { 0 };
	size_t len = 0;
	char *buf = data(file, &len);
	int rc = doctor_outcome_parse(file, buf, len, o, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(buf);
}

/* parse() of a boot that stopped: at @stage, in the words @failure. */
static void parse_stop(const char *file, enum doctor_stage stage, const char *failure,
		       struct doctor_outcome *o)
{
	parse(file, o);
	CU_ASSERT_EQUAL(o->stage, stage);
	CU_ASSERT_STRING_EQUAL(o->failure, failure);
}

/* 6.1 booted with mem=384M: its E820 lines, Released, the p2m area and the
 * remap BUG, each with the line it is on; no Remapped line (it died first). */
static void test_outcome_remap_bug(void)
{
	struct doctor_outcome o;

	parse_stop("lab-pc-2G-dom0-linux-mem384M.console", DOCTOR_STAGE_KERNEL,
		   "kernel BUG at arch/x86/xen/setup.c:314!", &o);
	CU_ASSERT_EQUAL(o.e820.nr, 8);
	CU_ASSERT_EQUAL(o.e820.entries[0].line, 142);
	CU_ASSERT_EQUAL(o.e820.entries[2].addr, 0x100000);
	CU_ASSERT_EQUAL(o.e820.entries[2].size, 0x20061000 - 0x100000);
	CU_ASSERT_EQUAL(o.user_e820.nr, 8);
	CU_ASSERT_EQUAL(o.user_e820.entries[2].size, 0x18000000 - 0x100000);
	CU_ASSERT(o.released.set && o.released.value == 0 && o.released.line == 140);
	CU_ASSERT(o.p2m_area.set && o.p2m_area.value == 0x40000000 && o.p2m_area.line == 202);
	CU_ASSERT_FALSE(o.remapped.set);
	CU_ASSERT_EQUAL(o.failure_line, 231);
	CU_ASSERT_EQUAL(o.first_kernel_line, 138);
	CU_ASSERT_FALSE(o.pvh);
	CU_ASSERT(o.dom0_build_line > 0 && o.last_xen_map_line > 0);
	doctor_outcome_free(&o);
}

/* A kernel that stops before printk works writes on Xen's console only:
 * the conflict line has no timestamp and no "Linux version" precedes it. */
static void test_outcome_early_conflict(void)
{
	struct doctor_outcome o;

	parse_stop("cheese-nvs-in-kernel-k6.1.console", DOCTOR_STAGE_KERNEL,
		   "Xen hypervisor allocated kernel memory conflicts with E820 map", &o);
	CU_ASSERT_EQUAL(o.failure_line, 162);
	CU_ASSERT_EQUAL(o.e820.nr, 0);
	CU_ASSERT_EQUAL(o.first_kernel_line, 0);
	doctor_outcome_free(&o);
}

/* Xen's own panic before dom0 exists is Xen's stage, in Xen's words (the
 * line after "Panic on CPU 0:"). */
static void test_outcome_xen_panic(void)
{
	struct doctor_outcome o;

	parse_stop("cheese-e820-over-128-no-real-mode-k6.1.console", DOCTOR_STAGE_XEN,
		   "Xen BUG at common/page_alloc.c:286", &o);
	CU_ASSERT_EQUAL(o.dom0_build_line, 0);
	doctor_outcome_free(&o);
	parse_stop("cheese-e820-over-128-entries-k6.1.console", DOCTOR_STAGE_XEN,
		   "FATAL PAGE FAULT", &o);
	doctor_outcome_free(&o);
}

/* A boot that came up: every count, no failure. */
static void test_outcome_boot_ok(void)
{
	struct doctor_outcome o;

	parse("lab-pc-5G-dom0-4G.console", &o);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_NONE);
	CU_ASSERT(o.remapped.set && o.remapped.value == 262273 && o.remapped.line == 200);
	CU_ASSERT_EQUAL(o.e820.nr, 9);
	CU_ASSERT_EQUAL(o.user_e820.nr, 0);
	doctor_outcome_free(&o);
}

/* Two boots in one file: the outcome is the last one's. */
static void test_outcome_last_boot(void)
{
	static const char text[] =
		"[    0.000000] Linux version 6.1.0-56-amd64 (x)\n"
		"[    0.000000] Released 5 page(s)\n"
		"[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"[    0.800000] kernel BUG at arch/x86/xen/setup.c:314!\n"
		"[    0.000000] Linux version 6.1.0-56-amd64 (x)\n"
		"[    0.000000] Released 0 page(s)\n"
		"[    2.000000] Remapped 97 page(s)\n";
	struct doctor_outcome o;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL_FATAL(doctor_outcome_parse("t", text, sizeof(text) - 1, &o, &err), 0);
	CU_ASSERT(o.released.set && o.released.value == 0 && o.released.line == 6);
	CU_ASSERT(o.remapped.set && o.remapped.value == 97);
	CU_ASSERT_EQUAL(o.e820.nr, 0);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_NONE);
	CU_ASSERT_EQUAL(o.first_kernel_line, 5);
	doctor_outcome_free(&o);
}

/* A broken E820 line is an error naming the file and line. */
static void test_outcome_broken_e820_line(void)
{
	static const char text[] =
		"[    0.000000] Linux version 6.1.0\n"
		"[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009ffff usable\n";
	struct doctor_outcome o;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL(doctor_outcome_parse("t.log", text, sizeof(text) - 1, &o, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.log:2: "));
}

/* --- reproduce, explain, fix ------------------------------------------------------------ */

/* doctor with its default options on the @len bytes at @text, written to a
 * temporary file for it (doctor reads a file). */
static int run_on_text(const char *text, size_t len, struct doctor_report *r,
		       struct p2msim_err *err)
{
	char tmp[] = "/tmp/p2msim-doctor-test-XXXXXX";
	int fd = mkstemp(tmp);
	struct doctor_options o;
	int rc;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, len), (ssize_t)len);
	close(fd);
	doctor_options_init(&o);
	rc = doctor_run(tmp, &o, r, err);
	unlink(tmp);
	return rc;
}

static char *path_of(const char *file)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/data/doctor/%s", top ? top : ".", file);
	return path;
}

/* The fix, simulated on its own: the same log, its kernel and command lines. */
static bool fix_boots(const char *file, const struct doctor_fix *f)
{
	struct simulation_options so;
	struct simulation sim;
	bool ok;

	simulation_options_init(&so);
	so.xen_log_path = path_of(file);
	so.kernel = f->kernel;
	so.cmdline = f->kernel_cmdline;
	if (f->dom0_mem) {
		so.xen_cmdline = f->xen_cmdline;
		so.dom0_mem = f->dom0_mem;
	}
	ok = simulation_run(&so, &sim, NULL) == 0 && !sim.res.crashed;
	simulation_free(&sim);
	return ok;
}

struct failing_boot {
	const char *file, *kernel; /* kernel: what the lab ran, when the log does not say */
	const char *cause[3];	   /* words the cause must hold */
	const char *first_fix;	   /* words of the cheapest fix */
};

/* Every failing dom0 boot of the lab: reproduced line for line, a cause in
 * the machine's terms, and fixes each of which boots when simulated alone. */
static void test_failing_boots_get_cause_and_fix(void)
{
	static const struct failing_boot boots[] = {
		{ "lab-pc-2G-dom0-linux-mem384M.console",
		  NULL,
		  { "xen_remap_memory", "'mem=384M' on the kernel command line", "pfn 0x20000" },
		  "drop mem=384M" },
		{ "cheese-nvs-in-kernel-k6.1.console",
		  "6.1",
		  { "pfn 0x2000 lies in E820 entry [mem 0x0000000002000000-0x0000000002000fff] ACPI NVS",
		    "kernel-conflict-bug", "since 6.12" },
		  "kernel 6.1 -> 6.12" },
		{ "cheese-reserved-in-kernel-k6.1.console",
		  "6.1",
		  { "pfn 0x2000 lies in E820 entry [mem 0x0000000002000000-0x0000000002000fff] reserved",
		    "kernel-conflict-bug", "since 4.3" },
		  "kernel 6.1 -> 3.19" },
		{ "cheese-reserved-in-kernel-k6.12.console",
		  "6.12",
		  { "E820 entry [mem 0x0000000002000000-0x0000000002000fff] reserved",
		    "Kernel 6.12 checks", NULL },
		  "kernel 6.12 -> 3.19" },
		{ "cheese-every-64M-20holes-k6.1.console",
		  "6.1",
		  { "pfn 0x3fff lies in a hole of the E820 map", "kernel memory", NULL },
		  "kernel 6.1 -> 3.19" },
		{ "eras-xen4.14-linux5.10-every-64M-20holes.console",
		  "5.10",
		  { "pfn 0x3fff lies in a hole", "Kernel 5.10 checks", NULL },
		  "kernel 5.10 -> 3.19" },
		{ "eras-xen4.14-linux5.10-nvs-in-kernel.console",
		  "5.10",
		  { "ACPI NVS", "Kernels since 6.12 move", NULL },
		  "kernel 5.10 -> 6.12" },
	};

	for (size_t i = 0; i < sizeof(boots) / sizeof(boots[0]); i++) {
		const struct failing_boot *b = &boots[i];
		struct doctor_options o;
		struct doctor_report r;
		struct p2msim_err err = { 0 };
		int rc;

		doctor_options_init(&o);
		o.kernel = b->kernel;
		rc = doctor_run(path_of(b->file), &o, &r, &err);
		printf("\n    %s: %s\n", b->file, rc ? err.msg : r.cause);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT(r.fails);
		CU_ASSERT_EQUAL(r.stage, DOCTOR_STAGE_KERNEL);
		CU_ASSERT(r.reproduced);
		CU_ASSERT_EQUAL(r.nr_differences, 0);
		for (size_t k = 0; k < 3 && b->cause[k]; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, b->cause[k]));
		CU_ASSERT(r.searched);
		CU_ASSERT(r.nr_fixes >= 1 && r.nr_fixes <= DOCTOR_MAX_FIXES);
		if (r.nr_fixes)
			CU_ASSERT_PTR_NOT_NULL(strstr(r.fixes[0].change, b->first_fix));
		for (unsigned int k = 0; k < r.nr_fixes; k++) {
			CU_ASSERT(fix_boots(b->file, &r.fixes[k]));
			if (k)
				CU_ASSERT(r.fixes[k - 1].cost <= r.fixes[k].cost);
		}
		doctor_report_free(&r);
	}
}

/* A boot that came up: every outcome line agrees, no cause, no fix. */
static void test_boot_ok_has_no_fix(void)
{
	struct doctor_options o;
	struct doctor_report r;
	struct p2msim_err err = { 0 };

	doctor_options_init(&o);
	CU_ASSERT_EQUAL_FATAL(doctor_run(path_of("lab-pc-5G-dom0-4G.console"), &o, &r, &err), 0);
	CU_ASSERT_FALSE(r.fails);
	CU_ASSERT(r.reproduced);
	CU_ASSERT_EQUAL(r.nr_rows, 4);
	CU_ASSERT_EQUAL(r.nr_fixes, 0);
	CU_ASSERT_FALSE(r.searched);
	CU_ASSERT_STRING_EQUAL(r.cause, "");
	doctor_report_free(&r);
}

/* A moved initrd: the kernel prints the byte end of Xen's module (start +
 * ramdisk_size), not a page end (lab capture every-64M-20holes, 6.12). */
static void test_initrd_moved_byte_end(void)
{
	struct doctor_options o;
	struct doctor_report r;
	struct p2msim_err err = { 0 };
	bool seen = false;

	doctor_options_init(&o);
	CU_ASSERT_EQUAL_FATAL(
		doctor_run(path_of("cheese-every-64M-20holes-k6.12.console"), &o, &r, &err), 0);
	CU_ASSERT_FALSE(r.fails);
	CU_ASSERT_EQUAL(r.nr_differences, 0);
	for (size_t i = 0; i < r.nr_rows; i++)
		if (!strcmp(r.rows[i].what, "initrd moved")) {
			seen = true;
			CU_ASSERT_STRING_EQUAL(r.rows[i].model, "[mem 0x08000000-0x08550871] to "
								"[mem 0x00100000-0x00650871]");
		}
	CU_ASSERT(seen);
	doctor_report_free(&r);
}

/* The log is never an input for its outcome: a Remapped count edited in
 * the log shows as a difference, the simulation keeps its own. */
static void test_edited_outcome_is_a_difference(void)
{
	size_t len = 0;
	char *buf = data("lab-pc-5G-dom0-4G.console", &len);
	char *p = strstr(buf, "Remapped 262273 page(s)");
	struct doctor_report r;
	struct p2msim_err err = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "Remapped 262272", 15);
	CU_ASSERT_EQUAL_FATAL(run_on_text(buf, len, &r, &err), 0);
	CU_ASSERT_FALSE(r.reproduced);
	CU_ASSERT_EQUAL(r.nr_differences, 1);
	for (size_t i = 0; i < r.nr_rows; i++)
		if (!strcmp(r.rows[i].what, "Remapped")) {
			CU_ASSERT_STRING_EQUAL(r.rows[i].log, "262272 page(s)");
			CU_ASSERT_STRING_EQUAL(r.rows[i].model, "262273 page(s)");
			CU_ASSERT_FALSE(r.rows[i].agree);
		}
	doctor_report_free(&r);
	free(buf);
}

/* Logs doctor cannot read say what they found, in one line. */
static void test_unreadable_logs_say_what_they_found(void)
{
	static const struct {
		const char *text, *words;
	} cases[] = {
		{ "hello\nworld\n", "no boot in it" },
		{ "(XEN) Xen version 4.17.7 (x)\n(XEN) Command line: dom0_mem=1G\n",
		  "cut before Xen printed its memory map" },
		{ "[    0.000000] Linux version 6.1.0 (x)\n"
		  "[    0.000000] Hypervisor detected: Xen HVM\n",
		  "HVM guest" },
		{ "(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
		  "(XEN)  [0000000000100000, 000000007fffffff] (usable)\n"
		  "(XEN) *** Building a PVH Dom0 ***\n",
		  "a PVH dom0" },
		{ "[    0.000000] Linux version 6.1.0 (x)\n[    0.000000] Released 0 page(s)\n",
		  "only the dom0's half" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct doctor_report r;
		struct p2msim_err err = { 0 };

		CU_ASSERT(run_on_text(cases[i].text, strlen(cases[i].text), &r, &err) < 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].words));
		CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
		if (!strstr(err.msg, cases[i].words))
			printf("\n    got: %s\n", err.msg);
		doctor_report_free(&r);
	}
}

/* The JSON object has exactly the keys of the contract, with their types. */
static void test_json_keys_exactly(void)
{
	static const char *const top[] = { "boot",	  "stage", "cause", "reproduced",
					   "differences", "fixes", NULL };
	static const char *const fix[] = { "change",	     "xen",  "kernel", "xen_cmdline",
					   "kernel_cmdline", "boot", NULL };
	struct doctor_options o;
	struct doctor_report r;
	struct p2msim_err err = { 0 };
	struct json_object *j, *v, *f;
	size_t n = 0;

	doctor_options_init(&o);
	CU_ASSERT_EQUAL_FATAL(
		doctor_run(path_of("lab-pc-2G-dom0-linux-mem384M.console"), &o, &r, &err), 0);
	j = doctor_to_json(&r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_object_object_length(j), 6);
	for (n = 0; top[n]; n++)
		CU_ASSERT(json_object_object_get_ex(j, top[n], NULL));
	CU_ASSERT(json_object_object_get_ex(j, "boot", &v) &&
		  !strcmp(json_object_get_string(v), "fails"));
	CU_ASSERT(json_object_object_get_ex(j, "stage", &v) &&
		  !strcmp(json_object_get_string(v), "kernel"));
	CU_ASSERT(json_object_object_get_ex(j, "reproduced", &v) &&
		  json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v));
	CU_ASSERT(json_object_object_get_ex(j, "differences", &v) &&
		  json_object_array_length(v) == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(j, "fixes", &v) &&
			json_object_array_length(v) >= 1);
	f = json_object_array_get_idx(v, 0);
	CU_ASSERT_EQUAL(json_object_object_length(f), 6);
	for (n = 0; fix[n]; n++)
		CU_ASSERT(json_object_object_get_ex(f, fix[n], NULL));
	CU_ASSERT(json_object_object_get_ex(f, "xen", &v) &&
		  !strcmp(json_object_get_string(v), "4.17"));
	CU_ASSERT(json_object_object_get_ex(f, "kernel_cmdline", &v) &&
		  !strstr(json_object_get_string(v), "mem=384M"));
	CU_ASSERT(json_object_object_get_ex(f, "xen_cmdline", &v) &&
		  strstr(json_object_get_string(v), "dom0_mem=512M,max:512M"));
	json_object_put(j);
	doctor_report_free(&r);

	/* a good boot: "ok", stage null, no fixes */
	CU_ASSERT_EQUAL_FATAL(doctor_run(path_of("lab-pc-5G-dom0-4G.console"), &o, &r, &err), 0);
	j = doctor_to_json(&r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(json_object_object_get_ex(j, "stage", &v) && v == NULL);
	CU_ASSERT(json_object_object_get_ex(j, "boot", &v) &&
		  !strcmp(json_object_get_string(v), "ok"));
	CU_ASSERT(json_object_object_get_ex(j, "fixes", &v) && json_object_array_length(v) == 0);
	json_object_put(j);
	doctor_report_free(&r);
}

/* A machine whose RAM cannot hold dom0: Xen's dom0 builder panics in the
 * simulation too, a Xen-stage stop; no option change helps. */
static void test_xen_builder_panic_is_xen_stage(void)
{
	static const char text[] = "(XEN) Xen version 4.17.7 (Debian) (x) debug=n\n"
				   "(XEN) Command line: console=com1 dom0_mem=1G,max:1G\n"
				   "(XEN) Xen-e820 RAM map:\n"
				   "(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
				   "(XEN)  [00000000000f0000, 00000000000fffff] (reserved)\n"
				   "(XEN)  [0000000000100000, 0000000007ffffff] (usable)\n"
				   "(XEN)  [00000000fffc0000, 00000000ffffffff] (reserved)\n"
				   "(XEN) *** Building a PV Dom0 ***\n"
				   "(XEN) Panic on CPU 0:\n"
				   "(XEN) Domain 0 allocation is too small for kernel image\n";
	struct doctor_report r;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL_FATAL(run_on_text(text, sizeof(text) - 1, &r, &err), 0);
	CU_ASSERT(r.fails);
	CU_ASSERT_EQUAL(r.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT_EQUAL(r.log.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT_EQUAL(r.model.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "dom0 builder"));
	CU_ASSERT(r.searched);
	CU_ASSERT_EQUAL(r.nr_fixes, 0);
	doctor_report_free(&r);
}

/* Xen's own mem= on the log's command line: Xen can give dom0 only what
 * lies below it, its dom0 builder panics, and dropping that mem= is the
 * first fix (the search tries Xen's mem= and availmem=). */
static void test_xen_mem_is_searched(void)
{
	static const char text[] =
		"(XEN) Xen version 4.17.7 (Debian) (x) debug=n\n"
		"(XEN) Command line: console=com1 mem=64M dom0_mem=512M,max:512M\n"
		"(XEN) Xen-e820 RAM map:\n"
		"(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
		"(XEN)  [000000000009fc00, 000000000009ffff] (reserved)\n"
		"(XEN)  [00000000000f0000, 00000000000fffff] (reserved)\n"
		"(XEN)  [0000000000100000, 000000007ffdffff] (usable)\n"
		"(XEN)  [000000007ffe0000, 000000007fffffff] (reserved)\n"
		"(XEN)  [00000000fffc0000, 00000000ffffffff] (reserved)\n"
		"(XEN) *** Building a PV Dom0 ***\n"
		"(XEN)  Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x4a00000\n"
		"(XEN) Panic on CPU 0:\n"
		"(XEN) Domain 0 allocation is too small for kernel image\n";
	char tmp[] = "/tmp/p2msim-doctor-test-XXXXXX";
	int fd = mkstemp(tmp);
	struct doctor_options o;
	struct doctor_report r;
	struct p2msim_err err = { 0 };

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	doctor_options_init(&o);
	CU_ASSERT_EQUAL_FATAL(doctor_run(tmp, &o, &r, &err), 0);
	CU_ASSERT(r.fails);
	CU_ASSERT_EQUAL(r.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT(r.reproduced);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "Xen's own mem=64M"));
	CU_ASSERT(r.searched);
	CU_ASSERT_FATAL(r.nr_fixes >= 1);
	CU_ASSERT_STRING_EQUAL(r.fixes[0].change, "Xen command line: drop mem=64M");
	CU_ASSERT_STRING_EQUAL(r.fixes[0].xen_cmdline, "console=com1 dom0_mem=512M,max:512M");
	doctor_report_free(&r);
	unlink(tmp);
}

/* A map longer than Xen takes (the lab's 140 GRUB holes: cut to 127 entries
 * on the BIOS path, all 147 with no-real-mode): Xen dies before dom0, the
 * cause names the map's size, and no option is offered as a fix. */
static void test_long_map_no_change_helps(void)
{
	static const struct {
		const char *file, *words;
		unsigned int entries;
	} logs[] = {
		{ "cheese-e820-over-128-entries-k6.1.console", "keeps the first 127", 127 },
		{ "cheese-e820-over-128-entries-k6.12.console", "keeps the first 127", 127 },
		{ "cheese-e820-over-128-no-real-mode-k6.1.console", "whole map", 147 },
		{ "cheese-e820-over-128-no-real-mode-k6.12.console", "whole map", 147 },
	};

	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		struct doctor_options o;
		struct doctor_report r;
		struct p2msim_err err = { 0 };
		struct json_object *j, *v;

		doctor_options_init(&o);
		CU_ASSERT_EQUAL_FATAL(doctor_run(path_of(logs[i].file), &o, &r, &err), 0);
		printf("\n    %s: %s\n", logs[i].file, r.cause);
		CU_ASSERT(r.fails);
		CU_ASSERT_EQUAL(r.stage, DOCTOR_STAGE_XEN);
		CU_ASSERT_EQUAL(r.xen_map_entries, logs[i].entries);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "more than Xen takes"));
		CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, logs[i].words));
		CU_ASSERT(r.searched);
		CU_ASSERT_EQUAL(r.nr_fixes, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.no_fix_why, "fewer entries"));
		j = doctor_to_json(&r);
		CU_ASSERT_FATAL(j != NULL);
		CU_ASSERT(json_object_object_get_ex(j, "fixes", &v) &&
			  json_object_array_length(v) == 0);
		CU_ASSERT(json_object_object_get_ex(j, "stage", &v) &&
			  !strcmp(json_object_get_string(v), "xen"));
		json_object_put(j);
		doctor_report_free(&r);
	}
}

/* A memmap=exactmap map that ends below what xen_remap_memory moves: the
 * smallest change grows its highest RAM entry past the remap target and
 * keeps the rest of the map; dropping exactmap alone (which would turn its
 * entries into additions to the firmware's map) is not offered, the whole
 * set dropped comes after. */
static void test_exactmap_entry_grown(void)
{
	static const char file[] = "lab-pc-2G-dom0-linux-mem384M.console";
	struct doctor_options o;
	struct doctor_report r;
	struct p2msim_err err = { 0 };
	bool whole = false;

	doctor_options_init(&o);
	o.cmdline = "console=hvc0 rdinit=/init memmap=exactmap memmap=636K@0 memmap=383M@1M";
	CU_ASSERT_EQUAL_FATAL(doctor_run(path_of(file), &o, &r, &err), 0);
	CU_ASSERT(r.fails);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "the memmap= map of the kernel command line"));
	CU_ASSERT_FATAL(r.nr_fixes >= 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.fixes[0].change, "memmap=383M@1M -> memmap=523652K@1M"));
	CU_ASSERT_STRING_EQUAL(r.fixes[0].kernel_cmdline,
			       "console=hvc0 rdinit=/init "
			       "memmap=exactmap memmap=636K@0 memmap=523652K@1M");
	for (unsigned int k = 0; k < r.nr_fixes; k++) {
		CU_ASSERT(fix_boots(file, &r.fixes[k]));
		CU_ASSERT_STRING_NOT_EQUAL(r.fixes[k].change,
					   "kernel command line: drop memmap=exactmap");
		whole |= strstr(r.fixes[k].change,
				"drop memmap=exactmap and its 2 memmap= entries") != NULL;
	}
	CU_ASSERT(whole);
	doctor_report_free(&r);
}

static const struct test_case doctor_tests[] = {
	{ "exactmap_entry_grown", test_exactmap_entry_grown },
	{ "xen_mem_is_searched", test_xen_mem_is_searched },
	{ "long_map_no_change_helps", test_long_map_no_change_helps },
	{ "xen_builder_panic_is_xen_stage", test_xen_builder_panic_is_xen_stage },
	{ "json_keys_exactly", test_json_keys_exactly },
	{ "failing_boots_get_cause_and_fix", test_failing_boots_get_cause_and_fix },
	{ "boot_ok_has_no_fix", test_boot_ok_has_no_fix },
	{ "initrd_moved_byte_end", test_initrd_moved_byte_end },
	{ "edited_outcome_is_a_difference", test_edited_outcome_is_a_difference },
	{ "unreadable_logs_say_what_they_found", test_unreadable_logs_say_what_they_found },
	{ NULL, NULL },
};

static const struct test_case outcome_tests[] = {
	{ "outcome_remap_bug_with_lines", test_outcome_remap_bug },
	{ "outcome_early_conflict_on_xen_console", test_outcome_early_conflict },
	{ "outcome_xen_panic_is_xen_stage", test_outcome_xen_panic },
	{ "outcome_boot_ok", test_outcome_boot_ok },
	{ "outcome_last_boot_of_two", test_outcome_last_boot },
	{ "outcome_broken_e820_line", test_outcome_broken_e820_line },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct test_suite suites[] = {
		{ "outcome", outcome_tests },
		{ "doctor", doctor_tests },
		{ NULL, NULL },
	};

	return test_run_suites(suites, argc, argv);
}
