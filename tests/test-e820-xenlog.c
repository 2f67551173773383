/* SPDX-License-Identifier: MIT */
/*
 * tests/test-e820-xenlog.c - reading Xen boot logs: the xen-lab captures
 * (Xen 4.17.7, tests/data/xen-lab) and the corpus's xl dmesg excerpts.
 */
#include <errno.h>

#include "setup/xenlog.h"
#include "tests/e820-testutil.h"

static void load(const char *sub, const char *file, struct xenlog *log)
{
	struct p2msim_err err;
	int rc = xenlog_parse_file(data_path(sub, file), log, &err);

	if (rc)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

#define ASSERT_RANGE(r, a, b)                    \
	do {                                     \
		CU_ASSERT_TRUE((r).set);         \
		CU_ASSERT_EQUAL((r).start, (a)); \
		CU_ASSERT_EQUAL((r).end, (b));   \
	} while (0)

static void test_lab_log_gives_map_cmdline_and_layout(void)
{
	struct xenlog log;

	load("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", &log);
	CU_ASSERT_STRING_EQUAL(log.xen_version, "4.17.7");
	CU_ASSERT_STRING_EQUAL(log.cmdline, "console=com1 com1=115200,8n1 conring_size=256k "
			       "loglvl=all guest_loglvl=all noreboot=false dom0_mem=512M,max:512M "
			       "dom0_max_vcpus=1");
	CU_ASSERT_EQUAL(log.cmdline_line, 5);
	CU_ASSERT_TRUE(log.dom0_mem.seen);
	CU_ASSERT_EQUAL(log.dom0_mem.amount.pages, 131072);
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 131072);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "Xen-e820 RAM map:");
	ASSERT_TABLE(&log.e820, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED }, { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0x7fee0000, E820_TYPE_RAM },
		     { 0x7ffe0000, 0x20000, E820_TYPE_RESERVED },
		     { 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
		     { 0xfd00000000ULL, 0x300000000ULL, E820_TYPE_RESERVED });
	CU_ASSERT_EQUAL(log.system_ram_kb, 2096636);
	CU_ASSERT_EQUAL(log.dom0_type, XENLOG_DOM0_PV);
	CU_ASSERT_STRING_EQUAL(log.kernel_desc, "64-bit, PAE, lsb");
	ASSERT_RANGE(log.kernel_paddr, 0x1000000, 0x4a00000);
	ASSERT_RANGE(log.alloc, 0x70000000, 0x78000000);
	CU_ASSERT_TRUE(log.pages_to_allocate_set);
	CU_ASSERT_EQUAL(log.pages_to_allocate, 96944);
	ASSERT_RANGE(log.initrd, 0x7f4b0000, 0x7f9ff4c6);
	ASSERT_RANGE(log.v_kernel, 0xffffffff81000000ULL, 0xffffffff84a00000ULL);
	CU_ASSERT_FALSE(log.v_initrd.set);
	ASSERT_RANGE(log.v_p2m, 0x8000000000ULL, 0x8000100000ULL);
	ASSERT_RANGE(log.v_start_info, 0xffffffff84a00000ULL, 0xffffffff84a004b8ULL);
	ASSERT_RANGE(log.v_page_tables, 0xffffffff84a01000ULL, 0xffffffff84a2a000ULL);
	ASSERT_RANGE(log.v_boot_stack, 0xffffffff84a2a000ULL, 0xffffffff84a2b000ULL);
	ASSERT_RANGE(log.v_total, 0xffffffff80000000ULL, 0xffffffff84c00000ULL);
	CU_ASSERT_TRUE(log.v_entry_set);
	CU_ASSERT_EQUAL(log.v_entry, 0xffffffff830791c0ULL);
	CU_ASSERT_EQUAL(log.dom0_max_vcpus, 1);
	CU_ASSERT_EQUAL(log.xen_mem_limit, 0);
	xenlog_free(&log);
}

/* The dom0_mem rules on Xen's own map give the nr_pages the builder had,
 * which the "Dom0 alloc." line encodes (REF §4; lab and corpus). */
static void test_dom0_mem_rules_reproduce_dom0_alloc_lines(void)
{
	static const struct {
		const char *sub, *file;
		uint64_t nr_pages, max_pages;
	} cases[] = {
		{ "xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", 131072, 131072 },
		{ "xen-lab", "pc-2G-dom0-512M-max1G--xl-dmesg.txt", 131072, 262144 },
		{ "xen-lab", "pc-2G-dom0-512M-nomax--xl-dmesg.txt", 131072, UINT64_MAX },
		{ "xen-lab", "pc-2G-dom0-memmap64M-at-256M--xl-dmesg.txt", 131072, 131072 },
		{ "xen-lab", "pc-2G-xen-mem1536M--xl-dmesg.txt", 131072, 131072 },
		{ "xen-lab", "pc-5G-dom0-4G--xl-dmesg.txt", 1048576, 1048576 },
		{ "xen-lab", "q35-3G-dom0-512M--xl-dmesg.txt", 131072, 131072 },
		{ "xen-lab", "cheese-mb1-swiss--xl-dmesg.txt", 131072, 131072 },
		{ "e820", "009-gigabyte-amd-fam10h-rd890-xen414-dom0mem768M-xlonly.txt", 196608,
		  196608 },
		{ "e820", "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt", 196608,
		  196608 },
		{ "e820", "026-lenovo-cb01-6core-32G-efi-xen4145-qubes-input.txt", 1048576,
		  1048576 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xenlog log;
		struct p2msim_err err;
		uint64_t from_log, nr, max;

		load(cases[i].sub, cases[i].file, &log);
		CU_ASSERT_TRUE(log.dom0_mem.seen);
		CU_ASSERT_EQUAL(xenlog_dom0_nr_pages(&log, &from_log), 0);
		CU_ASSERT_EQUAL(from_log, cases[i].nr_pages);
		CU_ASSERT_EQUAL_FATAL(dom0_mem_compute(&log.dom0_mem, &log.e820, &nr, &max, &err), 0);
		CU_ASSERT_EQUAL(nr, from_log);
		CU_ASSERT_EQUAL(max, cases[i].max_pages);
		if (nr != from_log || from_log != cases[i].nr_pages)
			fprintf(stderr, "\n%s: log %llu computed %llu\n", cases[i].file,
				(unsigned long long)from_log, (unsigned long long)nr);
		/* Xen's System RAM line counts the same map */
		if (log.system_ram_kb)
			CU_ASSERT_EQUAL(dom0_mem_ram_pages(&log.e820) * 4, log.system_ram_kb);
		xenlog_free(&log);
	}
}

static void test_lab_xen_mem_option_and_truncation(void)
{
	struct xenlog log;

	load("xen-lab", "pc-2G-xen-mem1536M--xl-dmesg.txt", &log);
	CU_ASSERT_EQUAL(log.xen_mem_limit, 1536 * MiB);
	CU_ASSERT_EQUAL(log.truncated_from_kb, 2097024);
	CU_ASSERT_EQUAL(log.truncated_to_kb, 1572864);
	CU_ASSERT_EQUAL(log.e820.entries[4].type, E820_TYPE_UNUSABLE);
	CU_ASSERT_EQUAL(log.system_ram_kb, 1572476);
	xenlog_free(&log);
}

static void test_multiboot_map_with_147_entries_before_a_panic(void)
{
	struct xenlog log;

	load("xen-lab", "cheese-e820-over-128-no-real-mode--xl-dmesg.txt", &log);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "Multiboot-e820 RAM map:");
	CU_ASSERT_EQUAL(log.e820.nr, 147);
	CU_ASSERT_FALSE(log.alloc.set);		/* Xen died before building dom0 */
	CU_ASSERT_EQUAL(log.dom0_type, XENLOG_DOM0_UNKNOWN);
	xenlog_free(&log);
}

static void test_corpus_mail_logs(void)
{
	struct xenlog log;

	/* 026: quoted-printable, "> " quoting, the command line hard-wrapped
	 * over three lines, a built-in command line, dom0_mem given twice */
	load("e820", "026-lenovo-cb01-6core-32G-efi-xen4145-qubes-input.txt", &log);
	CU_ASSERT_STRING_EQUAL(log.builtin_cmdline, "ept=exec-sp spec-ctrl=unpriv-mmio");
	CU_ASSERT_STRING_EQUAL(log.cmdline, "placeholder console=none dom0_mem=min:1024M "
			       "dom0_mem=max:4096M ucode=scan smt=off gnttab_max_frames=2048 "
			       "gnttab_max_maptrack_frames=4096 no-real-mode edd=off");
	CU_ASSERT_EQUAL(log.dom0_mem.min.pages, 262144);
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 1048576);
	CU_ASSERT_FALSE(log.dom0_mem.amount.set);
	CU_ASSERT_EQUAL(log.pages_to_allocate, 1007932);	/* "t=" / "o" / "be allocated)" */
	CU_ASSERT_STRING_EQUAL(log.xen_version, "4.14.5");
	xenlog_free(&log);

	/* 007: a QP soft break inside "dom0_mem" */
	load("e820", "007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt", &log);
	CU_ASSERT_EQUAL(log.dom0_mem.min.pages, 1536);		/* 6144 KiB */
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 16777216);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "EFI RAM map:");
	CU_ASSERT_EQUAL(log.e820.nr, 21);	/* not the raw "EFI memory map" */
	CU_ASSERT_STRING_EQUAL(log.kernel_desc, "64-bit, lsb");
	xenlog_free(&log);

	/* 031: Xen 4.0.1 copies the initrd: only a virtual ramdisk line */
	load("e820", "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt", &log);
	CU_ASSERT_FALSE(log.initrd.set);
	ASSERT_RANGE(log.v_initrd, 0xffffffff81706000ULL, 0xffffffff833dc600ULL);
	CU_ASSERT_EQUAL(log.dom0_type, XENLOG_DOM0_PV);		/* LOADING DOMAIN 0 */
	xenlog_free(&log);

	/* 019: a PVH dom0 */
	load("e820", "019-asrock-b450m-ryzen5950x-efi-xen421-pvh-input.txt", &log);
	CU_ASSERT_EQUAL(log.dom0_type, XENLOG_DOM0_PVH);
	CU_ASSERT_EQUAL(log.dom0_mem.amount.pages, 36 * GiB >> 12);
	xenlog_free(&log);

	/* 047: Xen 3.3, an empty command line, the old end-exclusive map */
	load("e820", "047-core2-e8400-ami-8G-xen331-host-input-dom0alloc.txt", &log);
	CU_ASSERT_STRING_EQUAL(log.cmdline, "");
	CU_ASSERT_FALSE(log.dom0_mem.seen);
	CU_ASSERT_EQUAL(log.e820.nr, 10);
	CU_ASSERT_EQUAL(log.e820.entries[0].size, 0x9ec00);
	xenlog_free(&log);

	/* 048: only the e820-verbose "Initial" map is quoted */
	load("e820", "048-intel-host-pv-domU-e820host-libxl-commit-2011-set-1-1.txt", &log);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "Initial Xen-e820 RAM map:");
	CU_ASSERT_EQUAL(log.e820.nr, 17);
	xenlog_free(&log);
}

/* Default dom0 sizes depend on Xen's free heap, which no log prints; the
 * logs still give dom0's nr_pages through the "Dom0 alloc." line. */
static void test_default_sized_dom0_nr_pages_from_the_log(void)
{
	static const struct {
		const char *file;
		uint64_t nr_pages;
	} cases[] = {
		{ "001-msi-h61m-i3-2100-xen41-dom0-3.8.txt", 1661249 + 16384 + 78372 },
		{ "005-dell-latitude-e6420-xen414-qubes-dom0-4.19.86.txt", 1048576 },
		{ "015-pcengines-apu2-coreboot-xen4161-dlme-dom0-5.8.txt", 983076 + 16384 },
		{ "030-qemu-seabios-2G-nested-xen416-input-dom0alloc.txt", 476919 + 8192 + 506 },
		{ "047-core2-e8400-ami-8G-xen331-host-input-dom0alloc.txt", 2022123 + 8192 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xenlog log;
		uint64_t nr;

		load("e820", cases[i].file, &log);
		CU_ASSERT_EQUAL(xenlog_dom0_nr_pages(&log, &nr), 0);
		CU_ASSERT_EQUAL(nr, cases[i].nr_pages);
		xenlog_free(&log);
	}
}

static void test_bad_logs(void)
{
	struct xenlog log;
	struct p2msim_err err;
	static const char cut[] =
		"(XEN) Xen version 4.17.7 (x)\n"
		"(XEN) PHYSICAL MEMORY ARRANGEMENT:\n"
		"(XEN)  Dom0 alloc.:   0000000070000000->000000007800>\n";
	static const char badmap[] =
		"(XEN) Xen-e820 RAM map:\n"
		"(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
		"(XEN)  [0000000000200000, 00000000000fffff] (usable)\n";
	static const char none[] = "[    0.000000] Linux version 6.1\n";

	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", cut, sizeof(cut) - 1, &log, &err), -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err.msg, "x.log:3: cannot read Xen's 'Dom0 alloc.' line", 45), 0);
	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", badmap, sizeof(badmap) - 1, &log, &err),
			-EINVAL);
	CU_ASSERT_EQUAL(strncmp(err.msg, "x.log:3: ", 9), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "before start"));
	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", none, sizeof(none) - 1, &log, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no Xen boot log lines"));
	CU_ASSERT_EQUAL(xenlog_parse_file(data_path("xen-lab", "no-such-file"), &log, &err),
			-ENOENT);
}

static const struct test_case xenlog_cases[] = {
	{ "lab_log_gives_map_cmdline_and_layout", test_lab_log_gives_map_cmdline_and_layout },
	{ "dom0_mem_rules_reproduce_dom0_alloc_lines",
	  test_dom0_mem_rules_reproduce_dom0_alloc_lines },
	{ "lab_xen_mem_option_and_truncation", test_lab_xen_mem_option_and_truncation },
	{ "multiboot_map_with_147_entries_before_a_panic",
	  test_multiboot_map_with_147_entries_before_a_panic },
	{ "corpus_mail_logs", test_corpus_mail_logs },
	{ "default_sized_dom0_nr_pages_from_the_log", test_default_sized_dom0_nr_pages_from_the_log },
	{ "bad_logs", test_bad_logs },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "xenlog", xenlog_cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
