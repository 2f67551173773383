/* SPDX-License-Identifier: MIT */
/*
 * tests/test-e820-dom0.c - Xen's dom0_mem= (parse and the 4.17 page
 * computation), mem=/availmem= clipping of Xen's map, checked against the
 * numbers Xen printed in the corpus and the xen-lab captures.
 */
#include <errno.h>

#include "xen/dom0-mem.h"
#include "tests/e820-testutil.h"

#define PAGES(bytes) ((bytes) >> 12)

static void parse_ok(const char *spec, struct dom0_mem *dm)
{
	struct p2msim_err err;
	int rc = dom0_mem_parse(spec, dm, &err);

	if (rc)
		fprintf(stderr, "\n%s: %s\n", spec, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_xen_sizes_default_to_kib(void)
{
	const char *end;

	CU_ASSERT_EQUAL(xen_parse_size("768M", NULL), 768 * MiB);
	CU_ASSERT_EQUAL(xen_parse_size("6144", NULL), 6144 * KiB); /* no unit: KiB */
	CU_ASSERT_EQUAL(xen_parse_size("4096b", NULL), 4096);
	CU_ASSERT_EQUAL(xen_parse_size("0x10M", NULL), 16 * MiB);
	CU_ASSERT_EQUAL(xen_parse_size("1t", NULL), 1ULL << 40);
	CU_ASSERT_EQUAL(xen_parse_size("25%", &end), 25); /* left for the caller */
	CU_ASSERT_EQUAL(*end, '%');
}

static void test_dom0_mem_forms(void)
{
	struct dom0_mem dm;

	parse_ok("768M,max:768M", &dm); /* corpus 009/031 */
	CU_ASSERT_TRUE(dm.amount.set);
	CU_ASSERT_EQUAL(dm.amount.pages, 196608);
	CU_ASSERT_TRUE(dm.max.set);
	CU_ASSERT_EQUAL(dm.max.pages, 196608);
	CU_ASSERT_FALSE(dm.min.set);

	parse_ok("min:6144,max:65536m", &dm); /* corpus 007: min is 6 MiB */
	CU_ASSERT_EQUAL(dm.min.pages, 1536);
	CU_ASSERT_EQUAL(dm.max.pages, PAGES(64 * GiB));
	CU_ASSERT_FALSE(dm.amount.set);

	parse_ok("min:420M,max:420M,420M", &dm); /* corpus 028 */
	CU_ASSERT_EQUAL(dm.min.pages, 107520);
	CU_ASSERT_EQUAL(dm.max.pages, 107520);
	CU_ASSERT_EQUAL(dm.amount.pages, 107520);

	parse_ok("-1G", &dm);
	CU_ASSERT_TRUE(dm.amount.minus);
	CU_ASSERT_EQUAL(dm.amount.pages, 262144);

	parse_ok("1G+25%,max:-10%", &dm);
	CU_ASSERT_EQUAL(dm.amount.pages, 262144);
	CU_ASSERT_EQUAL(dm.amount.percent, 25);
	CU_ASSERT_TRUE(dm.max.minus);
	CU_ASSERT_EQUAL(dm.max.percent, 10);
	CU_ASSERT_EQUAL(dm.max.pages, 0);
}

static void test_dom0_mem_repeated_options_combine(void)
{
	struct dom0_mem dm;
	struct p2msim_err err;

	/* corpus 026: two options, each setting its own field */
	parse_ok("dom0_mem=min:1024M dom0_mem=max:4096M", &dm);
	CU_ASSERT_EQUAL(dm.min.pages, 262144);
	CU_ASSERT_EQUAL(dm.max.pages, 1048576);
	CU_ASSERT_FALSE(dm.amount.set);

	CU_ASSERT_EQUAL(dom0_mem_from_xen_cmdline("placeholder console=none dom0_mem=min:1024M "
						  "dom0_mem=max:4096M ucode=scan mem=8G",
						  &dm, &err),
			0);
	CU_ASSERT_TRUE(dm.seen);
	CU_ASSERT_EQUAL(dm.min.pages, 262144);
	CU_ASSERT_EQUAL(dm.max.pages, 1048576);
	CU_ASSERT_EQUAL(dom0_mem_from_xen_cmdline("console=com1", &dm, &err), 0);
	CU_ASSERT_FALSE(dm.seen);

	/* a later amount overrides an earlier one */
	parse_ok("2G 512M", &dm);
	CU_ASSERT_EQUAL(dm.amount.pages, 131072);
}

static void test_dom0_mem_bad_values(void)
{
	static const char *const bad[] = {
		"100%", "25%+1G", "foo", "1G,bar", "max:", "1G;", "--1G",
	};
	struct dom0_mem dm;
	struct p2msim_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(dom0_mem_parse(bad[i], &dm, &err), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "dom0_mem="));
	}
	/* parts before the bad item stay set, as in Xen */
	CU_ASSERT_EQUAL(dom0_mem_parse("max:2G,junk", &dm, &err), -EINVAL);
	CU_ASSERT_EQUAL(dm.max.pages, PAGES(2 * GiB));
}

/* A machine map from a capture. */
static void load_map(const char *sub, const char *file, struct e820_doc *doc)
{
	struct p2msim_err err;
	int rc = e820_parse_file(data_path(sub, file), doc, &err);

	if (rc)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void compute(const char *spec, const struct e820_table *t, uint64_t avail, uint64_t *nr,
		    uint64_t *max)
{
	struct dom0_mem dm;
	struct p2msim_err err;

	parse_ok(spec, &dm);
	dm.avail_pages = avail;
	CU_ASSERT_EQUAL_FATAL(dom0_mem_compute(&dm, t, nr, max, &err), 0);
}

static void test_lab_dom0_mem_gives_xl_nr_and_max_pages(void)
{
	struct e820_doc doc;
	uint64_t nr, max;

	/* xen-lab: xctest/xl reported nr_pages and max_pages of dom0 */
	load_map("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", &doc);
	compute("512M,max:512M", &doc.maps[0].table, 0, &nr, &max);
	CU_ASSERT_EQUAL(nr, 131072);
	CU_ASSERT_EQUAL(max, 131072);
	compute("512M,max:1G", &doc.maps[0].table, 0, &nr, &max);
	CU_ASSERT_EQUAL(nr, 131072);
	CU_ASSERT_EQUAL(max, 262144);
	compute("512M", &doc.maps[0].table, 0, &nr, &max);
	CU_ASSERT_EQUAL(nr, 131072);
	CU_ASSERT_EQUAL(max, UINT64_MAX); /* Xen: UINT_MAX, shown as 4294967295 */
	e820_doc_free(&doc);

	load_map("xen-lab", "pc-5G-dom0-4G--xl-dmesg.txt", &doc);
	compute("4G,max:4G", &doc.maps[0].table, 0, &nr, &max);
	CU_ASSERT_EQUAL(nr, 1048576);
	CU_ASSERT_EQUAL(max, 1048576);
	e820_doc_free(&doc);
}

/*
 * "Dom0 alloc.: A->B (N pages to be allocated)": N = nr_pages - the first
 * chunk (B - A) - the initrd pages Xen hands over in place (Xen 4.0 copied
 * the initrd into the chunk instead).  Chunks and initrds from the logs.
 */
static void test_corpus_dom0_alloc_lines_follow_from_nr_pages(void)
{
	static const struct {
		const char *file, *spec;
		uint64_t chunk_bytes, initrd_bytes, to_allocate;
	} cases[] = {
		/* 0x418000000->0x41c000000, initrd 0x42e29b000->0x42ffff6a4 */
		{ "009-gigabyte-amd-fam10h-rd890-xen414-dom0mem768M-xlonly.txt", "768M,max:768M",
		  0x4000000, 0x42ffff6a4ULL - 0x42e29b000ULL, 172699 },
		/* Xen 4.0.1: 0x420000000->0x424000000, the initrd is inside */
		{ "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt", "768M,max:768M",
		  0x4000000, 0, 180224 },
		/* 0x838000000->0x840000000, initrd 0x85c13c000->0x85dffff1d */
		{ "026-lenovo-cb01-6core-32G-efi-xen4145-qubes-input.txt",
		  "dom0_mem=min:1024M dom0_mem=max:4096M", 0x8000000,
		  0x85dffff1dULL - 0x85c13c000ULL, 1007932 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct e820_doc doc;
		uint64_t nr, max, initrd_pages = (cases[i].initrd_bytes + 4095) >> 12;

		load_map("e820", cases[i].file, &doc);
		compute(cases[i].spec, &doc.maps[0].table, 0, &nr, &max);
		CU_ASSERT_EQUAL(nr - PAGES(cases[i].chunk_bytes) - initrd_pages,
				cases[i].to_allocate);
		e820_doc_free(&doc);
	}
}

static void test_default_dom0_size_keeps_a_sixteenth_up_to_128M(void)
{
	struct e820_table t;
	uint64_t nr, max;

	table_of(&t, (struct ent[]){ { 0, 64 * GiB, E820_TYPE_RAM } }, 1);
	compute("", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 1000000 - 32768);
	CU_ASSERT_EQUAL(max, UINT64_MAX);
	compute("", &t, 100000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 100000 - 6250);
	/* min: raises the default, max: caps it */
	compute("min:3900M", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 998400);
	compute("max:1G", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 262144);
	CU_ASSERT_EQUAL(max, 262144);
	/* without avail_pages: every whole page of RAM */
	compute("", &t, 0, &nr, &max);
	CU_ASSERT_EQUAL(nr, PAGES(64 * GiB) - 32768);
	e820_table_free(&t);
}

static void test_negative_and_percent_amounts(void)
{
	struct e820_table t;
	uint64_t nr, max;

	table_of(&t, (struct ent[]){ { 0, 64 * GiB, E820_TYPE_RAM } }, 1);
	compute("-1G", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 1000000 - 262144);
	compute("1G+25%", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 262144 + 250000);
	compute("50%,max:-90%", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 100000);
	CU_ASSERT_EQUAL(max, 100000);
	/* "all but" more than there is: unsigned wrap, then clamped to avail */
	compute("-100G", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 1000000);
	/* max overrides min */
	compute("min:2G,max:1G,512M", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(nr, 262144);
	/* the max reservation is stored in 32 bits */
	compute("max:32T", &t, 1000000, &nr, &max);
	CU_ASSERT_EQUAL(max, 0xffffffffULL);
	e820_table_free(&t);
}

static void test_iommu_reservation_lowers_avail(void)
{
	struct e820_table t;
	struct dom0_mem dm;
	struct p2msim_err err;
	uint64_t nr, max;

	table_of(&t, (struct ent[]){ { 0, 4 * GiB, E820_TYPE_RAM } }, 1);
	parse_ok("", &dm);
	dm.iommu = true;
	CU_ASSERT_EQUAL(dom0_mem_compute(&dm, &t, &nr, &max, &err), 0);
	/* max_pdx 0x100000: 0x800 + 4 + 0 pages of tables */
	CU_ASSERT_EQUAL(nr, 0x100000 - 0x804 - 32768);
	e820_table_free(&t);
}

/* Xen's "System RAM: ...MB (...kB)" counts whole pages of its RAM entries. */
static void test_xen_system_ram_line_equals_whole_pages(void)
{
	static const struct {
		const char *file;
		uint64_t kb;
	} cases[] = {
		{ "001-msi-h61m-i3-2100-xen41-dom0-3.8.txt", 8299140 },
		{ "003-fujitsu-su310m1-xeon6242-128g-xen413-dom0-4.12.txt", 133776352 },
		{ "005-dell-latitude-e6420-xen414-qubes-dom0-4.19.86.txt", 16651320 },
		{ "007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt", 64791924 },
		{ "009-gigabyte-amd-fam10h-rd890-xen414-dom0mem768M-xlonly.txt", 16773676 },
		{ "011-dell-iot-gateway-3001-baytrail-efi-xen414-input.txt", 1965176 },
		{ "015-pcengines-apu2-coreboot-xen4161-dlme-dom0-5.8.txt", 4176004 },
		{ "019-asrock-b450m-ryzen5950x-efi-xen421-pvh-input.txt", 50253492 },
		{ "025-hp-haswell-16G-efi-xen422unstable-input.txt", 16664864 },
		{ "026-lenovo-cb01-6core-32G-efi-xen4145-qubes-input.txt", 33462392 },
		{ "027-fujitsu-d3644b1-coffeelake-32G-efi-xen4112-input.txt", 33289104 },
		{ "030-qemu-seabios-2G-nested-xen416-input-dom0alloc.txt", 2096636 },
		{ "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt", 16773672 },
		{ "040-dell-xps8500-ivybridge-8G-xen412-input-dom0alloc.txt", 8348620 },
		{ "044-supermicro-xeon-d1518-8G-xen4121-L0-host-input.txt", 8283464 },
		{ "047-core2-e8400-ami-8G-xen331-host-input-dom0alloc.txt", 8387704 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct e820_doc doc;

		load_map("e820", cases[i].file, &doc);
		CU_ASSERT_EQUAL(dom0_mem_ram_pages(&doc.maps[0].table) * 4, cases[i].kb);
		if (dom0_mem_ram_pages(&doc.maps[0].table) * 4 != cases[i].kb)
			fprintf(stderr, "\n%s: %llu kB\n", cases[i].file,
				(unsigned long long)dom0_mem_ram_pages(&doc.maps[0].table) * 4);
		e820_doc_free(&doc);
	}
}

/* --- Xen mem= / availmem= ------------------------------------------------- */

static void test_lab_xen_mem_clips_ram_to_unusable(void)
{
	struct e820_doc plain, clipped;
	struct xen_clip_report rep;
	struct p2msim_err err;
	uint64_t mem, avail;

	load_map("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", &plain);
	load_map("xen-lab", "pc-2G-xen-mem1536M--xl-dmesg.txt", &clipped);
	xen_cmdline_mem_limits("console=com1 dom0_mem=512M,max:512M mem=1536M", &mem, &avail);
	CU_ASSERT_EQUAL(mem, 1536 * MiB);
	CU_ASSERT_EQUAL(avail, 0);
	CU_ASSERT_EQUAL(xen_clip_mem(&plain.maps[0].table, mem, avail, &rep, &err), 0);
	CU_ASSERT_TRUE(e820_table_equal(&plain.maps[0].table, &clipped.maps[0].table));
	/* "Truncating RAM from 2097024kB to 1572864kB" */
	CU_ASSERT_EQUAL(rep.mem_old_limit >> 10, 2097024);
	CU_ASSERT_EQUAL(rep.mem_limit >> 10, 1572864);
	/* "System RAM: 1535MB (1572476kB)" */
	CU_ASSERT_EQUAL(dom0_mem_ram_pages(&plain.maps[0].table) * 4, 1572476);
	e820_doc_free(&plain);
	e820_doc_free(&clipped);
}

static void test_xen_availmem_clips_by_amount(void)
{
	struct e820_table t;
	struct xen_clip_report rep;
	struct p2msim_err err;
	uint64_t mem, avail;

	table_of(&t,
		 (struct ent[]){ { 0, 0x9f000, E820_TYPE_RAM },
				 { 0x9f000, 0x61000, E820_TYPE_RESERVED },
				 { 1 * MiB, 2 * GiB - 1 * MiB, E820_TYPE_RAM },
				 { 4 * GiB, 2 * GiB, E820_TYPE_RAM } },
		 4);
	xen_cmdline_mem_limits("availmem=3145728 mem=16G mem=8G", &mem, &avail);
	CU_ASSERT_EQUAL(mem, 8 * GiB);	 /* the last one wins */
	CU_ASSERT_EQUAL(avail, 3 * GiB); /* no unit: KiB */
	CU_ASSERT_EQUAL(xen_clip_mem(&t, 0, avail, &rep, &err), 0);
	/* 3 GiB of RAM ends 1 GiB - 0x9f000 + 1 MiB into the 4 GiB entry */
	ASSERT_TABLE(&t, { 0, 0x9f000, E820_TYPE_RAM }, { 0x9f000, 0x61000, E820_TYPE_RESERVED },
		     { 1 * MiB, 2 * GiB - 1 * MiB, E820_TYPE_RAM },
		     { 4 * GiB, 1 * GiB - 0x9f000 + 1 * MiB, E820_TYPE_RAM },
		     { 5 * GiB - 0x9f000 + 1 * MiB, 1 * GiB + 0x9f000 - 1 * MiB,
		       E820_TYPE_UNUSABLE });
	CU_ASSERT_EQUAL(rep.avail_old_limit, 6 * GiB);
	CU_ASSERT_EQUAL(e820_total(&t, E820_TYPE_RAM), 3 * GiB);
	e820_table_free(&t);
}

static void test_xen_fixup_cuts_ram_out_of_640k_to_1m(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 0, 16 * MiB, E820_TYPE_RAM },
				 { 16 * MiB, 1 * MiB, E820_TYPE_NVS } },
		 2);
	CU_ASSERT_EQUAL(xen_e820_fixup_low(&t), 0);
	ASSERT_TABLE(&t, { 0, 0xA0000, E820_TYPE_RAM }, { 1 * MiB, 15 * MiB, E820_TYPE_RAM },
		     { 16 * MiB, 1 * MiB, E820_TYPE_NVS });
	e820_table_free(&t);
	table_of(&t, (struct ent[]){ { 0, 16 * MiB, E820_TYPE_RAM } }, 1);
	CU_ASSERT_EQUAL(xen_e820_fixup_low(&t), -1);
	e820_table_free(&t);
}

static const struct test_case dom0_cases[] = {
	{ "xen_sizes_default_to_kib", test_xen_sizes_default_to_kib },
	{ "dom0_mem_forms", test_dom0_mem_forms },
	{ "dom0_mem_repeated_options_combine", test_dom0_mem_repeated_options_combine },
	{ "dom0_mem_bad_values", test_dom0_mem_bad_values },
	{ "lab_dom0_mem_gives_xl_nr_and_max_pages", test_lab_dom0_mem_gives_xl_nr_and_max_pages },
	{ "corpus_dom0_alloc_lines_follow_from_nr_pages",
	  test_corpus_dom0_alloc_lines_follow_from_nr_pages },
	{ "default_dom0_size_keeps_a_sixteenth_up_to_128M",
	  test_default_dom0_size_keeps_a_sixteenth_up_to_128M },
	{ "negative_and_percent_amounts", test_negative_and_percent_amounts },
	{ "iommu_reservation_lowers_avail", test_iommu_reservation_lowers_avail },
	{ "xen_system_ram_line_equals_whole_pages", test_xen_system_ram_line_equals_whole_pages },
	{ NULL, NULL },
};

static const struct test_case clip_cases[] = {
	{ "lab_xen_mem_clips_ram_to_unusable", test_lab_xen_mem_clips_ram_to_unusable },
	{ "xen_availmem_clips_by_amount", test_xen_availmem_clips_by_amount },
	{ "xen_fixup_cuts_ram_out_of_640k_to_1m", test_xen_fixup_cuts_ram_out_of_640k_to_1m },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "dom0_mem", dom0_cases },
	{ "xen_clip", clip_cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
