/* SPDX-License-Identifier: MIT */
/*
 * tests/test-setup.c - the kernel models, one test per behaviour of
 * doc/behaviours.md (named after its section), version selection from the
 * behaviour table, and the failure modes the kernels have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugfs-dump/dump.h"
#include "setup/kernlog.h"
#include "sim/sim.h"
#include "tests/testutil.h"

static const char seed_map[] =
	"0x0 +1029M usable\n1029M +1M ACPI data\n1200M +100M reserved\n2001M +303M usable\n";

struct run {
	struct simulation sim;
	struct p2msim_err err;
	int rc;
	char path[64];
};

/* Run a simulation on @map (plain table text; NULL: --e820 none). */
static void run(struct run *r, const char *map, const char *kernel, bool domu, uint64_t nr_pages,
		uint64_t max_pages, const char *kconfig, const char *cmdline)
{
	struct simulation_options o;

	memset(r, 0, sizeof(*r));
	simulation_options_init(&o);
	if (map) {
		int fd;

		strcpy(r->path, "/tmp/p2msim-test-XXXXXX");
		fd = mkstemp(r->path);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_FATAL(write(fd, map, strlen(map)) == (ssize_t)strlen(map));
		close(fd);
		o.e820_path = r->path;
	} else {
		o.e820_path = "none";
	}
	o.kernel = kernel;
	o.domu = o.domu_set = domu;
	o.domu_set = true;
	o.nr_pages = nr_pages;
	o.max_pages = max_pages;
	o.cmdline = cmdline;
	if (kconfig)
		CU_ASSERT_EQUAL_FATAL(kernel_config_set(&o.kconfig, kconfig, NULL), 0);
	r->rc = simulation_run(&o, &r->sim, &r->err);
	if (r->rc < 0 && r->rc != -EFAULT)
		fprintf(stderr, "\n    simulation: %s\n", r->err.msg);
}

static void done(struct run *r)
{
	simulation_free(&r->sim);
	if (r->path[0])
		unlink(r->path);
}

static bool logged(const struct run *r, const char *line)
{
	for (size_t i = 0; i < r->sim.res.nr_log; i++)
		if (!strcmp(r->sim.res.log[i], line))
			return true;
	return false;
}

/* The debugfs file the model's kernel would show, as text. */
static char *dump_text(const struct run *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (kernel_has(&r->sim.model, KB_TREE_P2M))
		dump_write_old(f, r->sim.res.p2m, r->sim.res.p2m_size, NULL);
	else
		dump_write_modern(f, r->sim.res.p2m, r->sim.res.p2m_size, NULL);
	fclose(f);
	return text;
}

static uint64_t count(const struct run *r, enum p2m_type type, uint64_t end)
{
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t n = 0;

	p2m_iter_init(&it, r->sim.res.p2m, 0, end, 0);
	while (p2m_iter_next(&it, &run))
		if (run.type == type)
			n += run.end - run.start;
	return n;
}

static void assert_sound(const struct run *r)
{
	struct p2msim_err err = { 0 };
	int rc = p2m_check(r->sim.res.p2m, &err);

	if (rc == 0)
		rc = hv_sim_check(r->sim.hv, &err);
	if (rc == 0)
		rc = hv_sim_check_p2m(r->sim.hv, r->sim.domid, r->sim.res.p2m, &err);
	if (rc < 0)
		fprintf(stderr, "\n    %s\n", err.msg);
	CU_ASSERT_EQUAL(rc, 0);
}

/* doc/behaviours.md#seed-identity-count to #old-dump-of-seed: the seed
 * under 2.6.39, the whole boot. */
static void test_seed_2639_boot(void)
{
	static const char dump[] =
		" [0x0->0x40000] pfn\n [0x0->0x40000] level entry\n"
		" [0x40000->0x40400] level middle\n [0x40000->0x40500] missing\n"
		" [0x40400->0x40600] level entry\n [0x40600->0x7d000] level middle\n"
		" [0x40500->0x7d100] identity\n [0x7d000->0x7d200] level entry\n"
		" [0x7d200->0x80000] level middle\n [0x7d100->0x1ffffff] missing\n"
		" [0x80000->0x1ffffff] level top\n";
	struct run r;
	struct p2m_stats st;
	char *text;

	run(&r, seed_map, "2.6.39", false, 0x40000, 0xC0000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Set 248832 page(s) to 1-1 mapping."));
	CU_ASSERT_TRUE(logged(&r, "1-1 mapping on 40500->7d100"));
	CU_ASSERT_EQUAL(r.sim.res.identity_set, 248832);
	p2m_get_stats(r.sim.res.p2m, &st);
	CU_ASSERT_EQUAL(st.brk_used, 7 + 2 + 4); /* init, graft of top[0], identity */
	text = dump_text(&r);
	CU_ASSERT_STRING_EQUAL(text, dump);
	free(text);
	assert_sound(&r);
	done(&r);
}

/* 2.6.39 prints its E820 in the old format and marks RAM past dom0's
 * pages below 4 GiB UNUSABLE; the extra region starts at 4 GiB. */
static void test_2639_e820_unusable_and_extra_at_4g(void)
{
	struct run r;

	run(&r, seed_map, "2.6.39", false, 0x40000, 0xC0000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, " Xen: 0000000040000000 - 0000000040500000 (unusable)"));
	CU_ASSERT_TRUE(logged(&r, " Xen: 0000000100000000 - 0000000113400000 (usable)"));
	CU_ASSERT_EQUAL(r.sim.res.nr_extra, 1);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].start, 0x100000);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].n, 0x13400);
	CU_ASSERT_EQUAL(r.sim.res.max_pfn, 0x113400);
	done(&r);
}

/* doc/behaviours.md#identity-rounding: 2.6.39 rounds identity inward, later kernels outward. */
static void test_identity_rounding_inward_vs_outward(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x3fffffff usable\n";
	struct run r;

	run(&r, map, "2.6.39", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Set 96 page(s) to 1-1 mapping."));
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x9f), P2M_PFN);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0xa0), P2M_IDENTITY);
	done(&r);
	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Remapped 97 page(s)"));
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x9f), P2M_IDENTITY);
	assert_sound(&r);
	done(&r);
}

/* doc/behaviours.md#domu-no-low-identity: a 2.6.39 domU never maps identity below 1 MiB. */
static void test_domu_no_low_identity_2639(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x3fffffff usable\n";
	struct run r;

	run(&r, map, "2.6.39", true, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Set 0 page(s) to 1-1 mapping."));
	CU_ASSERT_EQUAL(count(&r, P2M_IDENTITY, 0x100), 0);
	done(&r);
}

/* doc/behaviours.md#modern-seed and #modern-dump-of-seed: the seed under a
 * modern kernel, P2M_LIMIT 0. */
static void test_modern_seed(void)
{
	static const char dump[] = " [0x0->0x40000] pfn\n [0x40000->0x40500] missing\n"
				   " [0x40500->0x40600] identity\n [0x40600->0x7d000] missing\n"
				   " [0x7d000->0x7d100] identity\n [0x7d100->0xc0000] missing\n";
	struct run r;
	char *text;

	run(&r, seed_map, "6.1", false, 0x40000, 0xC0000, "XEN_BALLOON_MEMORY_HOTPLUG=n", NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Released 0 page(s)"));
	CU_ASSERT_TRUE(logged(&r, "p2m virtual area at (____ptrval____), size is 600000"));
	CU_ASSERT_TRUE(logged(&r, "Remapped 0 page(s)"));
	CU_ASSERT_EQUAL(r.sim.res.p2m_size, 0xC0000);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].start, 0x40000);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].n, 0x500);
	CU_ASSERT_EQUAL(r.sim.res.extra[1].start, 0x7D100);
	CU_ASSERT_EQUAL(r.sim.res.extra[1].n, 0x12F00);
	text = dump_text(&r);
	CU_ASSERT_STRING_EQUAL(text, dump);
	free(text);
	/* the semantic runs call the shared identity page identity: the
	 * hole, and [0x90000, 0xC0000) past the last extra region, which the
	 * rebuilt list maps to the identity page */
	CU_ASSERT_EQUAL(count(&r, P2M_IDENTITY, 0xC0000),
			(0x7D100 - 0x40500) + (0xC0000 - 0x90000));
	assert_sound(&r);
	done(&r);
}

/* doc/behaviours.md#p2m-limit-512g: with memory hotplug the list covers 512 GiB. */
static void test_p2m_limit_512g(void)
{
	struct run r;
	char *text;

	run(&r, seed_map, "6.1", false, 0x40000, 0xC0000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "p2m virtual area at (____ptrval____), size is 40000000"));
	CU_ASSERT_EQUAL(r.sim.res.p2m_size, 0x8000000);
	text = dump_text(&r);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " [0x7d100->0x8000000] missing\n"));
	free(text);
	done(&r);
}

/* doc/behaviours.md#remap-low-hole: RAM under the low hole is remapped above nr_pages. */
static void test_remap_low_hole(void)
{
	static const char map[] =
		"0x0 +0x9FC00 usable\n0x9FC00 +0x400 reserved\n0xE0000 +0x20000 reserved\n"
		"1M +1028M usable\n1029M +1M ACPI data\n1200M +100M reserved\n2001M +303M usable\n";
	struct run r;

	run(&r, map, "6.1", false, 0x40000, 0xC0000, "XEN_BALLOON_MEMORY_HOTPLUG=n", NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Remapped 97 page(s)"));
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x0000000000000000-0x000000000009efff] usable"));
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x9e), P2M_PFN);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x9f), P2M_IDENTITY);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0xff), P2M_IDENTITY);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x40060), P2M_PFN);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x40061), P2M_MISSING);
	/* extra region 1 loses the remapped pfns */
	CU_ASSERT_EQUAL(r.sim.res.extra[0].start, 0x40061);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].start + r.sim.res.extra[0].n, 0x40500);
	/* the remapped frames are the ones the builder gave the low pfns */
	CU_ASSERT_EQUAL(count(&r, P2M_PFN, 0x50000), 0x40000);
	assert_sound(&r);
	done(&r);
}

/* doc/behaviours.md#domu-2g: a domU's limit is 512 GiB, its map covers static-max. */
static void test_domu_2g(void)
{
	struct run r;
	char *text;

	run(&r, "0x0 +2G usable\n", "6.1", true, 0x40000, 0, "XEN_BALLOON_MEMORY_HOTPLUG=n", NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.sim.res.max_pages, 512ULL << 18);
	CU_ASSERT_TRUE(logged(&r, "p2m virtual area at (____ptrval____), size is 400000"));
	text = dump_text(&r);
	CU_ASSERT_STRING_EQUAL(text, " [0x0->0x40000] pfn\n [0x40000->0x80000] missing\n");
	free(text);
	done(&r);
}

/* doc/behaviours.md#extra-ratio: extra is at most 10x the domain; RAM beyond is dropped
 * from 4.3 on and marked UNUSABLE before. */
static void test_extra_ratio_and_discard(void)
{
	struct run r;

	run(&r, "0x0 +8G usable\n", "6.1", true, 0x10000, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].start, 0x10000);
	CU_ASSERT_EQUAL(r.sim.res.extra[0].n, 0xA0000);
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x0000000000100000-0x00000000afffffff] usable"));
	CU_ASSERT_EQUAL(e820_total(&r.sim.res.e820, E820_TYPE_UNUSABLE), 0);
	done(&r);
	run(&r, "0x0 +8G usable\n", "4.2", true, 0x10000, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x00000000b0000000-0x00000001ffffffff] unusable"));
	done(&r);
}

/* doc/behaviours.md#512gb-limit-forms: the xen_512gb_limit forms, domU only. */
static void test_512gb_limit_forms(void)
{
	static const struct {
		const char *kernel, *cmdline, *kconfig;
		bool limited;
	} cases[] = {
		{ "4.19", NULL, NULL, true },
		{ "4.19", "xen_512gb_limit", "XEN_512GB=n", true },
		{ "4.19", "xen_512gb_limit=0", NULL, false },
		{ "4.19", "xen_512gb_limit=off", NULL, false },
		{ "4.19", "xen_512gb_limit=foo", NULL, true }, /* unparsable: default */
		{ "4.19", "xen_512gb_limit=foo", "XEN_512GB=n", false },
		{ "4.19", NULL, "XEN_512GB=n", false },
		{ "6.1", "xen_512gb_limit=foo", NULL, false }, /* 5.19+: "f" is false */
		{ "6.1", "xen_512gb_limit=true", "XEN_512GB=n", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run(&r, "0x0 +2G usable\n", cases[i].kernel, true, 0x40000, 0, cases[i].kconfig,
		    cases[i].cmdline);
		CU_ASSERT_EQUAL_FATAL(r.rc, 0);
		if (r.sim.res.max_pages != (cases[i].limited ? 512ULL << 18 : 1ULL << 34))
			fprintf(stderr, "\n    case %zu: max_pages %#" PRIx64 "\n", i,
				r.sim.res.max_pages);
		CU_ASSERT_EQUAL(r.sim.res.max_pages, cases[i].limited ? 512ULL << 18 : 1ULL << 34);
		done(&r);
	}
	/* dom0 is never limited */
	{
		struct run r;

		run(&r, seed_map, "6.1", false, 0x40000, 0, NULL, "xen_512gb_limit");
		CU_ASSERT_EQUAL_FATAL(r.rc, 0);
		CU_ASSERT_EQUAL(r.sim.res.max_pages, 0xffffffffULL);
		done(&r);
	}
}

/* doc/behaviours.md#enosys-single-entry: no memory map from Xen gives one RAM entry of
 * nr_pages plus 8 MiB. */
static void test_enosys_single_entry(void)
{
	struct run r;

	run(&r, NULL, "6.1", true, 0x10000, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x0000000000100000-0x00000000107fffff] usable"));
	done(&r);
	run(&r, NULL, "2.6.39", true, 0x10000, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, " Xen: 0000000000100000 - 0000000010000000 (usable)"));
	done(&r);
}

/* doc/behaviours.md#max-pfn-last in a boot: remapping beyond max_pfn re-aligns it to a
 * leaf (5.14+); the pc-2G baseline's max_pfn is nr_pages + 97. */
static void test_max_pfn_last(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x7ffdffff usable\n";
	struct run r;

	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.sim.res.max_pfn, 0x20061);
	done(&r);
	/* before the hint, max_pfn was the whole list */
	run(&r, map, "5.10", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.sim.res.max_pfn, 0x8000000);
	done(&r);
}

/* The iBFT reservation arrived in 6.5: 97 pages remapped on 6.1, 128 on
 * 6.8 and 6.12 (corpus 007, lab 6.12 boots); the build option turns it off. */
static void test_ibft_reservation_by_version(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x7ffdffff usable\n";
	static const struct {
		const char *kernel, *kconfig, *line;
	} cases[] = {
		{ "6.1", NULL, "Remapped 97 page(s)" },
		{ "6.4", NULL, "Remapped 97 page(s)" },
		{ "6.5", NULL, "Remapped 128 page(s)" },
		{ "6.8", NULL, "Remapped 128 page(s)" },
		{ "6.12", NULL, "Remapped 128 page(s)" },
		{ "6.12", "ISCSI_IBFT_FIND=n", "Remapped 97 page(s)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run(&r, map, cases[i].kernel, false, 0x20000, 0x20000, cases[i].kconfig, NULL);
		CU_ASSERT_EQUAL_FATAL(r.rc, 0);
		CU_ASSERT_TRUE(logged(&r, cases[i].line));
		CU_ASSERT_EQUAL(logged(&r, "Remapped 0 non-RAM page(s)"),
				strcmp(cases[i].kernel, "6.12") == 0);
		done(&r);
	}
}

/* doc/behaviours.md#nvs-swap-address: an ACPI NVS page inside the
 * kernel image moves to the top of RAM above nr_pages and keeps its frame. */
static void test_nvs_swap(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x1ffffff usable\n0x2000800-0x2000fff ACPI NVS\n"
				  "0x2001000-0x7ffdffff usable\n";
	struct run r;

	run(&r, map, "6.12", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Remapped 1 non-RAM page(s)"));
	/* pre-28e03f78: top - 0x1000 - 0x800 */
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x000000007ffde800-0x000000007ffdefff] ACPI NVS"));
	CU_ASSERT_EQUAL(p2m_pfn_to_mfn(r.sim.res.p2m, 0x7ffdf), 0x2000);
	CU_ASSERT_EQUAL(r.sim.res.max_pfn, 0x80000);
	done(&r);
	run(&r, map, "7.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Xen: [mem 0x000000007ffdf800-0x000000007ffdffff] ACPI NVS"));
	done(&r);
	/* 6.1 has no swap: it stops */
	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL(r.rc, -EFAULT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "Xen hypervisor allocated kernel memory "
						 "conflicts with E820 map"));
	done(&r);
}

/* 6.1 dom0 booted with mem= below its pages BUGs in xen_remap_memory
 * (lab capture pc-2G-dom0-linux-mem384M). */
static void test_mem_below_nr_pages_bugs(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x7ffdffff usable\n";
	struct run r;

	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, "mem=384M");
	CU_ASSERT_EQUAL(r.rc, -EFAULT);
	CU_ASSERT_TRUE(r.sim.res.crashed);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "kernel BUG at arch/x86/xen/setup.c:314!"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.sim.res.log[r.sim.res.nr_log - 2],
				      "Failed to update kernel mapping for mfn="));
	done(&r);
	/* 5.10 (and every kernel before 5.16) leaves the kernel mapping of
	 * pfns above max_pfn alone: the same shape boots (Debian 5.10.223
	 * under Xen 4.14 and 4.17: Released 0, Remapped 97) */
	run(&r, map, "5.10.223", false, 0x20000, 0x20000, NULL, "mem=384M");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_FALSE(r.sim.res.crashed);
	CU_ASSERT_TRUE(logged(&r, "Remapped 97 page(s)"));
	CU_ASSERT_TRUE(logged(&r, "user: [mem 0x0000000000100000-0x0000000017ffffff] usable"));
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x20000), P2M_PFN);
	done(&r);
	run(&r, map, "5.16", false, 0x20000, 0x20000, NULL, "mem=384M");
	CU_ASSERT_EQUAL(r.rc, -EFAULT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "kernel BUG at arch/x86/xen/setup.c:313!"));
	done(&r);
	/* Debian 6.12.117 under Xen 4.20 (check-xen crash-mem-384M) */
	run(&r, map, "6.12.117", false, 0x20000, 0x20000, NULL, "mem=384M");
	CU_ASSERT_EQUAL(r.rc, -EFAULT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "kernel BUG at arch/x86/xen/setup.c:273!"));
	done(&r);
	/* memmap= changes the printed map, never the P2M */
	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, "memmap=64M$0x10000000");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "user-defined physical RAM map:"));
	CU_ASSERT_TRUE(logged(&r, "user: [mem 0x0000000010000000-0x0000000013ffffff] reserved"));
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x10000), P2M_PFN);
	done(&r);
}

/* 2.6.39's brk runs out on a map with holes in many 1 GiB slots. */
/* 2.6.39's brk runs out when many holes above dom0's own pages each need
 * a leaf (holes inside its RAM use the builder's leaves). */
static void test_2639_brk_exhaustion_bugs(void)
{
	static char map[65536];
	unsigned long long at = 1ULL << 31;
	struct run r;

	strcpy(map, "0x0-0x7fffffff usable\n");
	/* 300 single reserved pages 8 MiB apart, mid-leaf, above 2 GiB */
	for (int i = 0; i < 300; i++, at += 8ULL << 20) {
		char line[128];

		snprintf(line, sizeof(line), "%#llx-%#llx reserved\n%#llx-%#llx usable\n",
			 at + 0x1000, at + 0x1fff, at + 0x2000, at + (8ULL << 20) - 1);
		strcat(map, line);
	}
	run(&r, map, "2.6.39", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL(r.rc, -EFAULT);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "extend_brk"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.err.msg, "brk exhausted"));
	assert_sound(&r);
	done(&r);
	/* the same map has no trouble on a modern kernel */
	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL(r.rc, 0);
	done(&r);
}

/* x86-32 PAE guests: 1024-entry leaves, 32-bit values, 4 MiB alignment. */
static void test_x86_32_domu(void)
{
	struct simulation_options o;
	struct simulation sim;
	char path[] = "/tmp/p2msim-test-XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "0x0 +1G usable\n", 15) == 15);
	close(fd);
	simulation_options_init(&o);
	o.e820_path = path;
	o.kernel = "4.19";
	o.domu = o.domu_set = true;
	o.arch = P2M_ARCH_X86_32;
	o.nr_pages = 0x20000;
	CU_ASSERT_EQUAL_FATAL(kernel_config_set(&o.kconfig, "XEN_BALLOON_MEMORY_HOTPLUG=n", NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(simulation_run(&o, &sim, NULL), 0);
	CU_ASSERT_EQUAL(p2m_geometry(sim.res.p2m)->value_bits, 32);
	/* 4 bytes an entry, aligned to 4 MiB */
	CU_ASSERT_EQUAL(sim.res.vm_size % (4u << 20), 0);
	CU_ASSERT_EQUAL(p2m_get(sim.res.p2m, 0x3ffff), 0xffffffffULL);
	simulation_free(&sim);
	unlink(path);
}

/* 3.2-3.17: every 1-1 area releases the RAM under it (rounded outward);
 * from 3.5 the pages come back above nr_pages; identity can exceed what was
 * released when a hole lies above nr_pages (corpus 022). */
static void test_release_era_frees_and_populates_back(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x3fffffff usable\n0x40000000-0x401fffff reserved\n"
				  "0x40200000-0xbfffffff usable\n0xc0000000-0xc03fffff reserved\n"
				  "0xc0400000-0xffffffff usable\n";
	struct run r;

	run(&r, map, "3.8", false, 0x80000, 0x80000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Freeing 9f-100 pfn range: 97 pages freed"));
	CU_ASSERT_TRUE(logged(&r, "Freeing 40000-40200 pfn range: 512 pages freed"));
	CU_ASSERT_TRUE(logged(&r, "Released 609 pages of unused memory"));
	/* the hole at 3 GiB is above nr_pages: identity, nothing released */
	CU_ASSERT_TRUE(logged(&r, "Set 1633 page(s) to 1-1 mapping"));
	CU_ASSERT_TRUE(logged(&r, "Populating 80000-80261 pfn range: 609 pages added"));
	CU_ASSERT_EQUAL(count(&r, P2M_PFN, 0x100000), 0x80000);
	CU_ASSERT_EQUAL(p2m_type_at(r.sim.res.p2m, 0x9f), P2M_IDENTITY);
	assert_sound(&r);
	done(&r);
	/* 3.2 prints zero counts and does not populate back */
	run(&r, "0x0 +2G usable\n", "3.2", true, 0x40000, 0, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_TRUE(logged(&r, "Released 0 pages of unused memory"));
	CU_ASSERT_TRUE(logged(&r, "Set 0 page(s) to 1-1 mapping"));
	CU_ASSERT_TRUE(logged(&r, " Xen: 0000000000100000 - 0000000080000000 (usable)"));
	done(&r);
}

/* The pictures show every E820 and P2M change, remap targets included. */
static void test_pictures_mark_identity_and_remap(void)
{
	static const char map[] = "0x0-0x9fbff usable\n0x9fc00-0xfffff reserved\n"
				  "0x100000-0x7ffdffff usable\n";
	struct run r;
	char *text = NULL;
	size_t len = 0, rects = 0;
	FILE *f;

	run(&r, map, "6.1", false, 0x20000, 0x20000, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	f = open_memstream(&text, &len);
	CU_ASSERT_EQUAL(simulation_diagram(f, &r.sim, 100, NULL), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "|1-1"));	/* the low hole */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "|remap")); /* its frames at 0x20000 */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " 9f "));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " 20000 "));
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	CU_ASSERT_EQUAL(simulation_svg(f, &r.sim, NULL), 0);
	fclose(f);
	for (const char *p = text; (p = strstr(p, "<rect ")); p++)
		rects++;
	CU_ASSERT_TRUE(rects >= 8 && rects % 2 == 0); /* two tracks */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "</svg>"));
	free(text);
	done(&r);
}

/* Versions: families and refusals. */
static void test_kernel_versions(void)
{
	struct kernel_model km;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL(kernel_model_init(&km, "6.1.0-56-amd64", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.family, KERNEL_FAMILY_LINEAR);
	CU_ASSERT_FALSE(kernel_has(&km, KB_IBFT_RESERVE));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "4.19.86-1.pvops.qubes.x86_64", NULL, NULL), 0);
	CU_ASSERT_TRUE(kernel_has(&km, KB_DISCARD_EXTRA_RAM));
	CU_ASSERT_FALSE(kernel_has(&km, KB_MAX_PFN_LAST));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "2.6.39.4", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.family, KERNEL_FAMILY_TREE_2639);
	CU_ASSERT_TRUE(kernel_has(&km, KB_E820_NAMES_2610));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "3.0", NULL, NULL), 0);
	CU_ASSERT_FALSE(kernel_has(&km, KB_EXTRA_ABOVE_4G));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "3.8", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.family, KERNEL_FAMILY_TREE_RELEASE);
	CU_ASSERT_TRUE(kernel_has(&km, KB_POPULATE_BACK));
	CU_ASSERT_FALSE(kernel_has(&km, KB_MID_IDENTITY));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "3.17.0-rc4-vgt+", NULL, NULL), 0);
	CU_ASSERT_TRUE(kernel_has(&km, KB_MID_IDENTITY));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "3.18", NULL, &err), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3.18"));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "2.6.38", NULL, NULL), -ENOTSUP);
	CU_ASSERT_EQUAL(kernel_model_init(&km, "six", NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(kernel_model_init(&km, "6", NULL, NULL), -EINVAL);
}

/* Releases as users have them: stable backports count, distribution names
 * resolve to the release they were built from, a release newer than every
 * row runs the newest rows with a warning naming it. */
static void test_kernel_releases_and_backports(void)
{
	static const struct {
		const char *given, *release;
		bool max_pfn_last;
	} cases[] = {
		{ "5.10", "5.10", false },
		{ "5.10.66", "5.10.66", false },
		{ "5.10.223", "5.10.223", true },
		{ "Debian 5.10.223-1", "5.10.223", true },
		{ "5.10.0-32-amd64", "5.10.223", true },
		{ "Linux version 5.10.0-32-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian "
		  "10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP "
		  "Debian 5.10.223-1 (2024-08-10)",
		  "5.10.223", true },
		{ "6.1.158", "6.1.158", true },
		{ "6.12.117+deb13-amd64", "6.12.117", true },
		{ "5.4.147", "5.4.147", false },
		{ "5.4.148", "5.4.148", true },
		/* 4.9.283-rc1 carried the fix, so the series had the hint */
		{ "4.9.282", "4.9.282", false },
		{ "4.9.283", "4.9.283", true },
		{ "2.6.39.4", "2.6.39.4", false },
	};
	struct kernel_model km;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(kernel_model_init(&km, cases[i].given, NULL, NULL), 0);
		CU_ASSERT_STRING_EQUAL(km.release, cases[i].release);
		CU_ASSERT_EQUAL(kernel_has(&km, KB_MAX_PFN_LAST), cases[i].max_pfn_last);
		CU_ASSERT_STRING_EQUAL(km.warning, "");
	}
	/* the Debian build and BUG line rows */
	CU_ASSERT_EQUAL(kernel_model_init(&km, "5.10.223", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.image_end_pfn, 0x4600);
	CU_ASSERT_EQUAL(km.remap_bug_line, 0);
	CU_ASSERT_EQUAL(kernel_model_init(&km, "5.16.1", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.remap_bug_line, 313);
	CU_ASSERT_EQUAL(kernel_model_init(&km, "6.1.192", NULL, NULL), 0);
	CU_ASSERT_EQUAL(km.remap_bug_line, 314);
	CU_ASSERT_EQUAL(km.image_end_pfn, 0x4a00);
	/* an ABI newer than the known one is at least its release; an
	 * unknown one is the series' first, said in the note */
	CU_ASSERT_EQUAL(kernel_model_init(&km, "5.10.0-35-amd64", NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(km.release, "5.10.223");
	CU_ASSERT_PTR_NOT_NULL(strstr(km.note, "at least 5.10.223"));
	CU_ASSERT_EQUAL(kernel_model_init(&km, "5.15.0-91-generic", NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(km.release, "5.15");
	CU_ASSERT_PTR_NOT_NULL(strstr(km.note, "unknown"));
	/* newer than every row */
	CU_ASSERT_EQUAL(kernel_model_init(&km, "9.99", NULL, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(km.warning, "9.99"));
	CU_ASSERT_TRUE(kernel_has(&km, KB_NVS_SWAP));
	CU_ASSERT_EQUAL(km.family, KERNEL_FAMILY_LINEAR);
}

/* The dom0 half of a log: the last boot's Linux version and command line;
 * Xen's own "Command line:" and the dom0's outcome lines are not inputs. */
static void test_kernlog_reads_the_dom0_inputs(void)
{
	static const char log[] =
		"(XEN) Command line: dom0_mem=512M,max:512M\n"
		"[    0.000000] Linux version 6.1.0-56-amd64 (x) #1 SMP Debian 6.1.192-2 (2026)\n"
		"[    0.000000] Command line: mem=384M\n"
		"(XEN) Xen version 4.20.5-pre (Debian 4.20.4)\n"
		"(XEN) Command line: dom0_mem=1G\n"
		"[    0.000000] Linux version 5.10.0-32-amd64 (x) #1 SMP Debian 5.10.223-1 (2024)\n"
		"[    0.000000] Command line: console=hvc0 xen_512gb_limit=0\n"
		"[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009efff] usable\n"
		"[    0.000000] Released 0 page(s)\n"
		"[    0.500000] Kernel command line: console=hvc0 xen_512gb_limit=0 extra\n"
		"[    0.742498] Remapped 97 page(s)\n";
	struct kernlog kl;
	struct kernel_model km;

	CU_ASSERT_EQUAL_FATAL(kernlog_parse_buffer("log", log, sizeof(log) - 1, &kl, NULL), 0);
	CU_ASSERT_EQUAL(kl.nr_version_lines, 2);
	CU_ASSERT_EQUAL(kl.version_lineno, 6);
	CU_ASSERT_STRING_EQUAL(kl.cmdline, "console=hvc0 xen_512gb_limit=0");
	CU_ASSERT_EQUAL(kl.cmdline_lineno, 7);
	CU_ASSERT_EQUAL(kl.nr_outcome_lines, 3);
	CU_ASSERT_EQUAL(kernel_model_init(&km, kl.version_line, NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(km.release, "5.10.223");
	kernlog_free(&kl);
	CU_ASSERT_TRUE(
		kernlog_is_outcome("Xen: [mem 0x0000000000000000-0x000000000009efff] usable"));
	CU_ASSERT_TRUE(kernlog_is_outcome("Remapped 0 non-RAM page(s)"));
	CU_ASSERT_TRUE(kernlog_is_outcome("kernel BUG at arch/x86/xen/setup.c:314!"));
	CU_ASSERT_FALSE(kernlog_is_outcome("Command line: mem=384M"));
	CU_ASSERT_FALSE(kernlog_is_outcome("Linux version 6.1.0-56-amd64"));
}

/* Every behaviour row names a version and a source. */
static void test_behaviour_table_is_dated(void)
{
	size_t nr;
	const struct kernel_behaviour_row *rows = kernel_behaviours(&nr);
	bool seen[KB_NR_BEHAVIOURS] = { false };

	CU_ASSERT_EQUAL(nr, KB_NR_BEHAVIOURS);
	for (size_t i = 0; i < nr; i++) {
		CU_ASSERT_PTR_NOT_NULL(rows[i].since);
		CU_ASSERT_TRUE(strlen(rows[i].source) > 10);
		CU_ASSERT_FALSE(seen[rows[i].id]);
		seen[rows[i].id] = true;
	}
}

static const struct test_case cases[] = {
	{ "seed_2639_boot", test_seed_2639_boot },
	{ "2639_e820_unusable_and_extra_at_4g", test_2639_e820_unusable_and_extra_at_4g },
	{ "kernel_releases_and_backports", test_kernel_releases_and_backports },
	{ "kernlog_reads_the_dom0_inputs", test_kernlog_reads_the_dom0_inputs },
	{ "identity_rounding_inward_vs_outward", test_identity_rounding_inward_vs_outward },
	{ "domu_no_low_identity_2639", test_domu_no_low_identity_2639 },
	{ "modern_seed", test_modern_seed },
	{ "p2m_limit_512g", test_p2m_limit_512g },
	{ "remap_low_hole", test_remap_low_hole },
	{ "domu_2g", test_domu_2g },
	{ "extra_ratio_and_discard", test_extra_ratio_and_discard },
	{ "512gb_limit_forms", test_512gb_limit_forms },
	{ "enosys_single_entry", test_enosys_single_entry },
	{ "max_pfn_last", test_max_pfn_last },
	{ "ibft_reservation_by_version", test_ibft_reservation_by_version },
	{ "nvs_swap", test_nvs_swap },
	{ "mem_below_nr_pages_bugs", test_mem_below_nr_pages_bugs },
	{ "2639_brk_exhaustion_bugs", test_2639_brk_exhaustion_bugs },
	{ "x86_32_domu", test_x86_32_domu },
	{ "release_era_frees_and_populates_back", test_release_era_frees_and_populates_back },
	{ "pictures_mark_identity_and_remap", test_pictures_mark_identity_and_remap },
	{ "kernel_versions", test_kernel_versions },
	{ "behaviour_table_is_dated", test_behaviour_table_is_dated },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "setup", cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
