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

/* 6.1 booted with mem=384M: its E820 lines, Released, the p2m area and the
 * remap BUG, each with the line it is on; no Remapped line (it died first). */
static void test_outcome_remap_bug(void)
{
	struct doctor_outcome o;

	parse("lab-pc-2G-dom0-linux-mem384M.console", &o);
	CU_ASSERT_EQUAL(o.e820.nr, 8);
	CU_ASSERT_EQUAL(o.e820.entries[0].line, 142);
	CU_ASSERT_EQUAL(o.e820.entries[2].addr, 0x100000);
	CU_ASSERT_EQUAL(o.e820.entries[2].size, 0x20061000 - 0x100000);
	CU_ASSERT_EQUAL(o.user_e820.nr, 8);
	CU_ASSERT_EQUAL(o.user_e820.entries[2].size, 0x18000000 - 0x100000);
	CU_ASSERT(o.released.set && o.released.value == 0 && o.released.line == 140);
	CU_ASSERT(o.p2m_area.set && o.p2m_area.value == 0x40000000 && o.p2m_area.line == 202);
	CU_ASSERT_FALSE(o.remapped.set);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_KERNEL);
	CU_ASSERT_STRING_EQUAL(o.failure, "kernel BUG at arch/x86/xen/setup.c:314!");
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

	parse("cheese-nvs-in-kernel-k6.1.console", &o);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_KERNEL);
	CU_ASSERT_STRING_EQUAL(o.failure, "Xen hypervisor allocated kernel memory conflicts with E820 map");
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

	parse("cheese-e820-over-128-no-real-mode-k6.1.console", &o);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT_STRING_EQUAL(o.failure, "Xen BUG at common/page_alloc.c:286");
	CU_ASSERT_EQUAL(o.dom0_build_line, 0);
	doctor_outcome_free(&o);
	parse("cheese-e820-over-128-entries-k6.1.console", &o);
	CU_ASSERT_EQUAL(o.stage, DOCTOR_STAGE_XEN);
	CU_ASSERT_STRING_EQUAL(o.failure, "FATAL PAGE FAULT");
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
	static const char text[] = "[    0.000000] Linux version 6.1.0\n"
				   "[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009ffff usable\n";
	struct doctor_outcome o;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL(doctor_outcome_parse("t.log", text, sizeof(text) - 1, &o, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "t.log:2: "));
}

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
		{ NULL, NULL },
	};

	return test_run_suites(suites, argc, argv);
}
