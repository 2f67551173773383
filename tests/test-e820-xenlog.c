/* SPDX-License-Identifier: MIT */
/*
 * tests/test-e820-xenlog.c - reading Xen boot logs: the xen-lab captures
 * (Xen 4.17.7, tests/data/xen-lab) and the corpus's xl dmesg excerpts.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "xen/machine-map.h"
#include "xen/model.h"
#include "xen/xenlog.h"
#include "tests/e820-testutil.h"
#include "util/text.h"

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
	CU_ASSERT_STRING_EQUAL(log.cmdline,
			       "console=com1 com1=115200,8n1 conring_size=256k "
			       "loglvl=all guest_loglvl=all noreboot=false dom0_mem=512M,max:512M "
			       "dom0_max_vcpus=1");
	CU_ASSERT_EQUAL(log.cmdline_line, 5);
	CU_ASSERT_TRUE(log.dom0_mem.seen);
	CU_ASSERT_EQUAL(log.dom0_mem.amount.pages, 131072);
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 131072);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "Xen-e820 RAM map:");
	ASSERT_TABLE(&log.e820, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
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
 * which the "Dom0 alloc." line encodes (doc/simulation.md#xen; lab and corpus). */
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
		CU_ASSERT_EQUAL_FATAL(dom0_mem_compute(&log.dom0_mem, &log.e820, &nr, &max, &err),
				      0);
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
	CU_ASSERT_FALSE(log.alloc.set); /* Xen died before building dom0 */
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
	CU_ASSERT_STRING_EQUAL(log.cmdline,
			       "placeholder console=none dom0_mem=min:1024M "
			       "dom0_mem=max:4096M ucode=scan smt=off gnttab_max_frames=2048 "
			       "gnttab_max_maptrack_frames=4096 no-real-mode edd=off");
	CU_ASSERT_EQUAL(log.dom0_mem.min.pages, 262144);
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 1048576);
	CU_ASSERT_FALSE(log.dom0_mem.amount.set);
	CU_ASSERT_EQUAL(log.pages_to_allocate, 1007932); /* "t=" / "o" / "be allocated)" */
	CU_ASSERT_STRING_EQUAL(log.xen_version, "4.14.5");
	xenlog_free(&log);

	/* 007: a QP soft break inside "dom0_mem" */
	load("e820", "007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt", &log);
	CU_ASSERT_EQUAL(log.dom0_mem.min.pages, 1536); /* 6144 KiB */
	CU_ASSERT_EQUAL(log.dom0_mem.max.pages, 16777216);
	CU_ASSERT_STRING_EQUAL(log.e820_header, "EFI RAM map:");
	CU_ASSERT_EQUAL(log.e820.nr, 21); /* not the raw "EFI memory map" */
	CU_ASSERT_STRING_EQUAL(log.kernel_desc, "64-bit, lsb");
	xenlog_free(&log);

	/* 031: Xen 4.0.1 copies the initrd: only a virtual ramdisk line */
	load("e820", "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt", &log);
	CU_ASSERT_FALSE(log.initrd.set);
	ASSERT_RANGE(log.v_initrd, 0xffffffff81706000ULL, 0xffffffff833dc600ULL);
	CU_ASSERT_EQUAL(log.dom0_type, XENLOG_DOM0_PV); /* LOADING DOMAIN 0 */
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
	static const char cut[] = "(XEN) Xen version 4.17.7 (x)\n"
				  "(XEN) PHYSICAL MEMORY ARRANGEMENT:\n"
				  "(XEN)  Dom0 alloc.:   0000000070000000->000000007800>\n";
	static const char badmap[] = "(XEN) Xen-e820 RAM map:\n"
				     "(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
				     "(XEN)  [0000000000200000, 00000000000fffff] (usable)\n";
	static const char none[] = "[    0.000000] Linux version 6.1\n";

	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", cut, sizeof(cut) - 1, &log, &err), -EINVAL);
	CU_ASSERT(starts_with(err.msg, "x.log:3: cannot read Xen's 'Dom0 alloc.' line"));
	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", badmap, sizeof(badmap) - 1, &log, &err),
			-EINVAL);
	CU_ASSERT(starts_with(err.msg, "x.log:3: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "before start"));
	CU_ASSERT_EQUAL(xenlog_parse_buffer("x.log", none, sizeof(none) - 1, &log, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no Xen boot log lines"));
	CU_ASSERT_EQUAL(xenlog_parse_file(data_path("xen-lab", "no-such-file"), &log, &err),
			-ENOENT);
}

/* --- XENMEM_machine_memory_map -------------------------------------------------- */

/* The lab's Xen names its CPU, local APIC, IO-APIC and HPET; dom0 read
 * Xen's 7 entries plus the IO-APIC page and the MSI window (xctest). */
static void test_lab_log_names_the_platform_and_gives_dom0s_machine_map(void)
{
	struct xenlog log;
	struct e820_table m;
	unsigned int added = 0;
	struct p2msim_err err;

	load("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", &log);
	CU_ASSERT_EQUAL(log.platform.xen_major, 4);
	CU_ASSERT_EQUAL(log.platform.xen_minor, 17);
	CU_ASSERT_EQUAL(log.platform.vendor, XEN_CPU_AMD);
	CU_ASSERT_EQUAL(log.platform.family, 15);
	CU_ASSERT_TRUE(log.platform.lapic_set);
	CU_ASSERT_EQUAL(log.platform.lapic, 0xfee00000);
	CU_ASSERT_EQUAL(log.platform.nr_ioapics, 1); /* ACPI and IOAPIC[0] lines agree */
	CU_ASSERT_EQUAL(log.platform.ioapic[0], 0xfec00000);
	CU_ASSERT_TRUE(log.platform.hpet_set);
	CU_ASSERT_EQUAL(log.platform.hpet, 0xfed00000);
	CU_ASSERT_EQUAL(log.platform.nr_drhd, 0);
	e820_table_init(&m);
	CU_ASSERT_EQUAL_FATAL(xenlog_machine_map(&log, &m, &added, &err), 0);
	CU_ASSERT_EQUAL(added, 2);
	ASSERT_TABLE(&m, { 0, 0x9fc00, E820_TYPE_RAM }, { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0x7fee0000, E820_TYPE_RAM },
		     { 0x7ffe0000, 0x20000, E820_TYPE_RESERVED },
		     { 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x100000, E820_TYPE_RESERVED },
		     { 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
		     { 0xfd00000000ULL, 0x300000000ULL, E820_TYPE_RESERVED });
	e820_table_free(&m);
	xenlog_free(&log);
}

static void build_map(const struct ent *e, size_t n, const struct xen_platform *pf,
		      struct e820_table *out)
{
	struct e820_table x;
	struct p2msim_err err;

	table_of(&x, e, n);
	e820_table_init(out);
	CU_ASSERT_EQUAL_FATAL(xen_machine_map(&x, pf, out, NULL, &err), 0);
	e820_table_free(&x);
}

static const struct ent small_pc[] = {
	{ 0, 0x9fc00, E820_TYPE_RAM },
	{ 0xf0000, 0x10000, E820_TYPE_RESERVED },
	{ 0x100000, 0x7ff00000, E820_TYPE_RAM },
	{ 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
	{ 0x100000000ULL, 0x40000000, E820_TYPE_RAM },
};

/* Xen 4.1 keeps only the local APIC page and the IO-APIC pages (corpus
 * 001: fec00000 and fee00000, 4 KiB each, in dom0's map). */
static void test_xen41_denies_only_the_apic_pages(void)
{
	struct xen_platform pf;
	struct e820_table m;

	xen_platform_init(&pf);
	CU_ASSERT_EQUAL(xen_platform_set_version(&pf, "4.1.5-pre"), 0);
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&pf, 0xfec00000), 0);
	pf.vendor = XEN_CPU_INTEL;
	build_map(small_pc, 5, &pf, &m);
	ASSERT_TABLE(&m, small_pc[0], small_pc[1], small_pc[2],
		     { 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x1000, E820_TYPE_RESERVED }, small_pc[3], small_pc[4]);
	e820_table_free(&m);
}

/* Corpus 001, the one Xen 4.1 dom0 pair: above 1 MiB, where the 3.8
 * kernel edits nothing, dom0 printed Xen's map plus the IO-APIC page and
 * the local APIC page alone (the IO-APIC's address is not in the excerpt:
 * 0xfec00000, as on every PC of that time). */
static void test_xen41_machine_map_is_corpus_001s_dom0_map(void)
{
	struct xenlog log;
	struct e820_doc doc;
	struct e820_table m, a, b;
	struct p2msim_err err;

	load("e820", "001-msi-h61m-i3-2100-xen41-dom0-3.8.txt", &log);
	CU_ASSERT_EQUAL(log.platform.xen_major, 4);
	CU_ASSERT_EQUAL(log.platform.xen_minor, 1);
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&log.platform, 0xfec00000), 0);
	e820_table_init(&m);
	CU_ASSERT_EQUAL_FATAL(xenlog_machine_map(&log, &m, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("e820", "001-msi-h61m-i3-2100-xen41-dom0-3.8.txt"), &doc,
				&err),
		0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 2);
	e820_table_init(&a);
	e820_table_init(&b);
	for (size_t i = 0; i < m.nr; i++)
		if (m.entries[i].addr >= 0x100000)
			CU_ASSERT_EQUAL(e820_add(&a, m.entries[i].addr, m.entries[i].size,
						 m.entries[i].type),
					0);
	for (size_t i = 0; i < doc.maps[1].table.nr; i++) {
		const struct e820_entry *e = &doc.maps[1].table.entries[i];

		if (e->addr >= 0x100000)
			CU_ASSERT_EQUAL(e820_add(&b, e->addr, e->size, e->type), 0);
	}
	CU_ASSERT_EQUAL(a.nr, 20);
	CU_ASSERT_TRUE(e820_table_equal(&a, &b));
	e820_table_free(&a);
	e820_table_free(&b);
	e820_table_free(&m);
	e820_doc_free(&doc);
	xenlog_free(&log);
}

/* Neighbouring IO-APIC pages make one entry (corpus 003: fec00000-fec01fff);
 * VT-d register pages are denied one page each (corpus 005: fed90000-fed91fff). */
static void test_adjacent_denied_pages_make_one_entry(void)
{
	struct xen_platform pf;
	struct e820_table m;

	xen_platform_init(&pf);
	CU_ASSERT_EQUAL(xen_platform_set_version(&pf, "4.13.0-rc"), 0);
	pf.vendor = XEN_CPU_INTEL;
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&pf, 0xfec00000), 0);
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&pf, 0xfec01000), 0);
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&pf, 0xfec00000), 0); /* once */
	CU_ASSERT_EQUAL(xen_platform_add_drhd(&pf, 0xfed91000), 0);
	CU_ASSERT_EQUAL(xen_platform_add_drhd(&pf, 0xfed90000), 0);
	CU_ASSERT_EQUAL(pf.nr_ioapics, 2);
	build_map(small_pc, 5, &pf, &m);
	ASSERT_TABLE(&m, small_pc[0], small_pc[1], small_pc[2],
		     { 0xfec00000, 0x2000, E820_TYPE_RESERVED },
		     { 0xfed90000, 0x2000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x100000, E820_TYPE_RESERVED }, small_pc[3], small_pc[4]);
	e820_table_free(&m);
}

/* Xen 4.21 dropped the MSI window: the local APIC page is left. */
static void test_xen421_denies_the_lapic_page_without_the_msi_window(void)
{
	struct xen_platform pf;
	struct e820_table m;

	xen_platform_init(&pf);
	CU_ASSERT_EQUAL(xen_platform_set_version(&pf, "4.21.0"), 0);
	build_map(small_pc, 5, &pf, &m);
	ASSERT_TABLE(&m, small_pc[0], small_pc[1], small_pc[2],
		     { 0xfee00000, 0x1000, E820_TYPE_RESERVED }, small_pc[3], small_pc[4]);
	e820_table_free(&m);
}

/* The AMD HyperTransport range fd00000000-ffffffffff shows in a gap only
 * when dom0 may use frames above it, i.e. with more than 40 address bits;
 * from Xen 4.16 family 0x17+ has it at the top of the address space,
 * where it never shows. */
static void test_amd_hypertransport_range(void)
{
	static const struct ent big[] = {
		{ 0, 0x9fc00, E820_TYPE_RAM },
		{ 0x100000, 0x7ff00000, E820_TYPE_RAM },
		{ 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
		{ 0x100000000ULL, 0x40000000, E820_TYPE_RAM },
		{ 0x10000000000ULL, 0x40000000, E820_TYPE_RAM },
	};
	struct xen_platform pf;
	struct e820_table m;

	xen_platform_init(&pf);
	CU_ASSERT_EQUAL(xen_platform_set_version(&pf, "4.17.7"), 0);
	pf.vendor = XEN_CPU_AMD;
	pf.family = 0x10;
	pf.paddr_bits = 48;
	build_map(big, 5, &pf, &m);
	ASSERT_TABLE(&m, big[0], big[1], { 0xfee00000, 0x100000, E820_TYPE_RESERVED }, big[2],
		     big[3], { 0xfd00000000ULL, 0x300000000ULL, E820_TYPE_RESERVED }, big[4]);
	e820_table_free(&m);

	pf.family = 0x19; /* Zen: at 2^48 - 12 GiB, above everything */
	build_map(big, 5, &pf, &m);
	CU_ASSERT_EQUAL(m.nr, 6);
	e820_table_free(&m);
	CU_ASSERT_EQUAL(xen_platform_set_version(&pf, "4.15.1"), 0); /* still below 1 TiB */
	build_map(big, 5, &pf, &m);
	CU_ASSERT_EQUAL(m.nr, 7);
	e820_table_free(&m);

	/* 40 address bits: the range is the top of dom0's space (lab, 015) */
	pf.family = 0xf;
	pf.paddr_bits = 40;
	build_map(small_pc, 5, &pf, &m);
	CU_ASSERT_EQUAL(m.nr, 6);
	e820_table_free(&m);
	pf.vendor = XEN_CPU_INTEL; /* never on Intel */
	pf.paddr_bits = 48;
	build_map(big, 5, &pf, &m);
	CU_ASSERT_EQUAL(m.nr, 6);
	e820_table_free(&m);
}

/* The HPET is kept from dom0 only when its ACPI table asks (flags that
 * Xen does not print); AMD-Vi register blocks are 16 KiB. */
static void test_hpet_protection_and_amd_iommu_blocks(void)
{
	struct xen_platform pf;
	struct e820_table m;

	xen_platform_init(&pf);
	pf.hpet_set = true;
	pf.hpet = 0xfed00000;
	CU_ASSERT_EQUAL(xen_platform_add_amd_iommu(&pf, 0xfeb80000), 0);
	build_map(small_pc, 5, &pf, &m);
	ASSERT_TABLE(&m, small_pc[0], small_pc[1], small_pc[2],
		     { 0xfeb80000, 0x4000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x100000, E820_TYPE_RESERVED }, small_pc[3], small_pc[4]);
	e820_table_free(&m);
	pf.hpet_protect = XEN_HPET_PROTECT_64K;
	build_map(small_pc, 5, &pf, &m);
	CU_ASSERT_EQUAL(m.nr, 8);
	CU_ASSERT_EQUAL(m.entries[4].addr, 0xfed00000);
	CU_ASSERT_EQUAL(m.entries[4].size, 0x10000);
	e820_table_free(&m);
}

static void test_platform_lines_of_other_logs(void)
{
	static const char vtd[] =
		"(XEN) Xen version 4.14.0 (x)\n"
		"(XEN) CPU Vendor: Intel, Family 6 (0x6), Model 42 (0x2a), Stepping 7\n"
		"(XEN) [VT-D]Host address width 39\n"
		"(XEN) [VT-D]found ACPI_DMAR_DRHD:\n"
		"(XEN) [VT-D]  dmaru->address = fed90000\n"
		"(XEN) [VT-D]drhd->address = fed90000 iommu->reg = ffff82c00021d000\n"
		"(XEN) [VT-D]found ACPI_DMAR_DRHD:\n"
		"(XEN) [VT-D]  dmaru->address = fed91000\n"
		"(XEN) ACPI: IOAPIC (id[0x02] address[0xfec00000] gsi_base[0])\n"
		"(XEN) IOAPIC[0]: apic_id 2, version 32, address 0xfec00000, GSI 0-23\n"
		"(XEN) IOAPIC[1]: apic_id 3, version 32, address 0xfec01000, GSI 24-47\n"
		"[    0.000000] ACPI: IOAPIC (id[0x09] address[0xfec40000] gsi_base[48])\n";
	struct xenlog log;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(xenlog_parse_buffer("v.log", vtd, sizeof(vtd) - 1, &log, &err), 0);
	CU_ASSERT_EQUAL(log.platform.vendor, XEN_CPU_INTEL);
	CU_ASSERT_EQUAL(log.platform.family, 6);
	CU_ASSERT_EQUAL(log.platform.xen_minor, 14);
	CU_ASSERT_EQUAL(log.platform.nr_drhd, 2);
	CU_ASSERT_EQUAL(log.platform.drhd[1], 0xfed91000);
	CU_ASSERT_EQUAL(log.platform.nr_ioapics, 2); /* dom0's own line is not Xen's */
	CU_ASSERT_EQUAL(log.platform.ioapic[1], 0xfec01000);
	CU_ASSERT_FALSE(log.platform.lapic_set);
	xenlog_free(&log);

	/* Xen 4.20 with iommu=debug names each AMD-Vi unit: 16 KiB kept */
	{
		static const char amd[] =
			"(XEN) Xen version 4.20.1 (x)\n"
			"(XEN) CPU Vendor: AMD, Family 25 (0x19), Model 116 (0x74), Stepping 1\n"
			"(XEN) AMD-Vi: IVHD: IOMMU @ 0xf6000000 cap @ 0x40 seg 0x0000 info 0 attr 0x4\n"
			"(XEN) AMD-Vi: IVHD: IOMMU @ 0xf6000000 cap @ 0x40 seg 0x0000 info 0 attr 0x4\n"
			"(XEN) AMD-Vi: IVHD: IOMMU @ 0xfd200000 cap @ 0x40 seg 0x0000 info 0 attr 0x4\n";
		struct e820_table m;
		bool kept = false;

		CU_ASSERT_EQUAL_FATAL(
			xenlog_parse_buffer("a.log", amd, sizeof(amd) - 1, &log, &err), 0);
		CU_ASSERT_EQUAL(log.platform.nr_amd_iommu, 2);
		CU_ASSERT_EQUAL(log.platform.amd_iommu[0], 0xf6000000);
		CU_ASSERT_EQUAL(log.platform.amd_iommu[1], 0xfd200000);
		build_map(small_pc, 5, &log.platform, &m);
		for (size_t i = 0; i < m.nr; i++)
			kept |= m.entries[i].addr == 0xf6000000 && m.entries[i].size == 0x4000 &&
				m.entries[i].type == E820_TYPE_RESERVED;
		CU_ASSERT(kept);
		e820_table_free(&m);
		xenlog_free(&log);
	}

	/* corpus 007 and 015 print the CPU; 015 is Xen 4.16.1 */
	load("e820", "007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt", &log);
	CU_ASSERT_EQUAL(log.platform.vendor, XEN_CPU_AMD);
	CU_ASSERT_EQUAL(log.platform.family, 25);
	CU_ASSERT_EQUAL(log.platform.xen_major, 0); /* no version line in the excerpt */
	xenlog_free(&log);
	load("e820", "015-pcengines-apu2-coreboot-xen4161-dlme-dom0-5.8.txt", &log);
	CU_ASSERT_EQUAL(log.platform.family, 22);
	CU_ASSERT_EQUAL(log.platform.xen_minor, 16);
	xenlog_free(&log);
}

/* --- libxl e820_host ------------------------------------------------------------------- */

/* Corpus 048 (xen.git 364fab04's commit message): the host map, memory
 * 1 GiB, maxmem 2 GiB, the 8 MiB slack of 2011's libxl, Xen 4.1's
 * IO-APIC and local APIC pages; before the commit the RAM islands between
 * the ACPI ranges vanish, after it they are UNUSABLE.  The guest kernel
 * then adds the ISA range and merges the two reserved neighbours. */
static void test_libxl_e820_host_of_corpus_048(void)
{
	struct xenlog log;
	struct e820_table m, g;
	struct xen_libxl_e820_opts o = { 1 * GiB / KiB, 2 * GiB / KiB, 8 * MiB / KiB,
					 XEN_LIBXL_E820_2011 };
	struct p2msim_err err;

	load("e820", "048-intel-host-pv-domU-e820host-libxl-commit-2011-set-1-1.txt", &log);
	CU_ASSERT_EQUAL(xen_platform_set_version(&log.platform, "4.1"), 0);
	CU_ASSERT_EQUAL(xen_platform_add_ioapic(&log.platform, 0xfec00000), 0);
	e820_table_init(&m);
	CU_ASSERT_EQUAL_FATAL(xenlog_machine_map(&log, &m, NULL, &err), 0);
	e820_table_init(&g);
	CU_ASSERT_EQUAL_FATAL(xen_libxl_e820_host(&m, &o, &g, &err), 0);
	ASSERT_TABLE(&g, { 0, 0x40000000, E820_TYPE_RAM },
		     { 0x40000000, 0x9cf66000 - 0x40000000, E820_TYPE_UNUSABLE },
		     { 0x9cf66000, 0x19c000, E820_TYPE_NVS },
		     { 0x9d102000, 0x25bb000, E820_TYPE_UNUSABLE },
		     { 0x9f6bd000, 0x2000, E820_TYPE_RESERVED },
		     { 0x9f6bf000, 0x55000, E820_TYPE_UNUSABLE },
		     { 0x9f714000, 0xab000, E820_TYPE_NVS },
		     { 0x9f7bf000, 0x21000, E820_TYPE_UNUSABLE },
		     { 0x9f7e0000, 0x1f000, E820_TYPE_ACPI },
		     { 0x9f7ff000, 0x1000, E820_TYPE_UNUSABLE },
		     { 0x9f800000, 0x800000, E820_TYPE_RESERVED },
		     { 0xa0000000, 0x10000000, E820_TYPE_RESERVED },
		     { 0xfc000000, 0x1000000, E820_TYPE_RESERVED },
		     { 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x1000, E820_TYPE_RESERVED },
		     { 0xffe00000, 0x200000, E820_TYPE_RESERVED },
		     { 0x100000000ULL, 1 * GiB + 8 * MiB, E820_TYPE_RAM });
	e820_table_free(&g);

	o.era = XEN_LIBXL_E820_2011_DROP_ISLANDS;
	e820_table_init(&g);
	CU_ASSERT_EQUAL_FATAL(xen_libxl_e820_host(&m, &o, &g, &err), 0);
	CU_ASSERT_EQUAL(g.nr, 13);
	CU_ASSERT_EQUAL(g.entries[3].addr, 0x9f6bd000);
	e820_table_free(&g);

	/* 2011's libxl refuses memory == maxmem without slack; today's puts
	 * RAM cut at the first non-RAM entry at 4 GiB */
	o.era = XEN_LIBXL_E820_2011;
	o.target_kb = o.max_kb = 4 * GiB / KiB;
	o.slack_kb = 0;
	e820_table_init(&g);
	CU_ASSERT_EQUAL(xen_libxl_e820_host(&m, &o, &g, &err), -EINVAL);
	o.era = XEN_LIBXL_E820_MODERN;
	CU_ASSERT_EQUAL_FATAL(xen_libxl_e820_host(&m, &o, &g, &err), 0);
	CU_ASSERT_EQUAL(g.entries[0].size, 0x9cf66000);
	CU_ASSERT_EQUAL(g.nr, 16); /* no UNUSABLE fill: RAM reaches the NVS */
	CU_ASSERT_EQUAL(g.entries[15].addr, 0x100000000ULL);
	CU_ASSERT_EQUAL(g.entries[15].size, 4 * GiB - 0x9cf66000);
	e820_table_free(&g);
	e820_table_free(&m);
	xenlog_free(&log);
}

/* The Xen table: releases and stable backports choose the behaviours;
 * unknown versions are refused with the known ones, newer ones warned. */
static void test_xen_versions_choose_behaviours(void)
{
	struct xen_model xm;
	struct p2msim_err err = { 0 };

	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.17.7", NULL), 0);
	CU_ASSERT_TRUE(xen_has(&xm, XB_DENY_MSI_WINDOW));
	CU_ASSERT_TRUE(xen_has(&xm, XB_HT_HOLE_DYNAMIC));
	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.14.6 (Debian 4.14.6-1)", NULL), 0);
	CU_ASSERT_FALSE(xen_has(&xm, XB_HT_HOLE_DYNAMIC));
	CU_ASSERT_TRUE(xen_has(&xm, XB_LOG_XEN_KERNEL_COMPAT32));
	/* 4.20.0 still denies the window; 4.20.1 got the backport */
	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.20.0", NULL), 0);
	CU_ASSERT_TRUE(xen_has(&xm, XB_DENY_MSI_WINDOW));
	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.20.5-pre", NULL), 0);
	CU_ASSERT_FALSE(xen_has(&xm, XB_DENY_MSI_WINDOW));
	CU_ASSERT_TRUE(xen_has(&xm, XB_DENY_LAPIC_PAGE_ONLY));
	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.18.4", NULL), 0);
	CU_ASSERT_TRUE(xen_has(&xm, XB_DENY_MSI_WINDOW));
	CU_ASSERT_STRING_EQUAL(xm.warning, "");
	CU_ASSERT_EQUAL(xen_model_init(&xm, "4.99", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(xm.warning, "4.99"));
	CU_ASSERT_TRUE(xen_has(&xm, XB_DENY_LAPIC_PAGE_ONLY));
	CU_ASSERT_EQUAL(xen_model_init(&xm, "xen", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "4.14"));
	CU_ASSERT_EQUAL(xen_model_init(&xm, "2.0", &err), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "known: 3.3"));
}

/*
 * A serial capture far larger than what is read whole (64 MiB): a lab log
 * between two 40 MiB runs of console noise is read as a stream, and gives
 * the same map, command line and dom0_mem, at lines shifted by the noise.
 */
static void test_serial_capture_of_80_mib_is_read_as_a_stream(void)
{
	char path[] = "/tmp/p2msim-capture-XXXXXX";
	const char *noise = "[  OK  ] Started the console line that a serial capture repeats.\n";
	size_t nlen = strlen(noise), per = (40u << 20) / nlen;
	struct xenlog small, big;
	struct e820_doc doc;
	struct p2msim_err err;
	FILE *in, *out;
	int fd, c;

	load("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt", &small);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	out = fdopen(fd, "w");
	in = fopen(data_path("xen-lab", "pc-2G-dom0-512M--xl-dmesg.txt"), "r");
	CU_ASSERT_FATAL(out && in);
	for (size_t i = 0; i < per; i++)
		fputs(noise, out);
	while ((c = getc(in)) != EOF)
		putc(c, out);
	for (size_t i = 0; i < per; i++)
		fputs(noise, out);
	fclose(in);
	CU_ASSERT_FATAL(fclose(out) == 0);

	CU_ASSERT_EQUAL_FATAL(xenlog_parse_file(path, &big, &err), 0);
	CU_ASSERT_TRUE(e820_table_equal(&big.e820, &small.e820));
	CU_ASSERT_EQUAL(big.e820_line, small.e820_line + per);
	CU_ASSERT_EQUAL(big.cmdline_line, small.cmdline_line + per);
	CU_ASSERT_STRING_EQUAL(big.cmdline, small.cmdline);
	CU_ASSERT_EQUAL(big.dom0_mem.amount.pages, small.dom0_mem.amount.pages);
	CU_ASSERT_EQUAL_FATAL(e820_parse_file(path, &doc, &err), 0);
	CU_ASSERT_EQUAL(doc.maps[0].header_line, small.e820_line + per);
	e820_doc_free(&doc);
	xenlog_free(&big);
	xenlog_free(&small);
	unlink(path);
}

static const struct test_case xenlog_cases[] = {
	{ "serial_capture_of_80_mib_is_read_as_a_stream",
	  test_serial_capture_of_80_mib_is_read_as_a_stream },
	{ "lab_log_names_the_platform_and_gives_dom0s_machine_map",
	  test_lab_log_names_the_platform_and_gives_dom0s_machine_map },
	{ "xen41_denies_only_the_apic_pages", test_xen41_denies_only_the_apic_pages },
	{ "xen41_machine_map_is_corpus_001s_dom0_map",
	  test_xen41_machine_map_is_corpus_001s_dom0_map },
	{ "adjacent_denied_pages_make_one_entry", test_adjacent_denied_pages_make_one_entry },
	{ "xen421_denies_the_lapic_page_without_the_msi_window",
	  test_xen421_denies_the_lapic_page_without_the_msi_window },
	{ "amd_hypertransport_range", test_amd_hypertransport_range },
	{ "hpet_protection_and_amd_iommu_blocks", test_hpet_protection_and_amd_iommu_blocks },
	{ "platform_lines_of_other_logs", test_platform_lines_of_other_logs },
	{ "libxl_e820_host_of_corpus_048", test_libxl_e820_host_of_corpus_048 },
	{ "lab_log_gives_map_cmdline_and_layout", test_lab_log_gives_map_cmdline_and_layout },
	{ "dom0_mem_rules_reproduce_dom0_alloc_lines",
	  test_dom0_mem_rules_reproduce_dom0_alloc_lines },
	{ "lab_xen_mem_option_and_truncation", test_lab_xen_mem_option_and_truncation },
	{ "multiboot_map_with_147_entries_before_a_panic",
	  test_multiboot_map_with_147_entries_before_a_panic },
	{ "corpus_mail_logs", test_corpus_mail_logs },
	{ "default_sized_dom0_nr_pages_from_the_log",
	  test_default_sized_dom0_nr_pages_from_the_log },
	{ "bad_logs", test_bad_logs },
	{ "xen_versions_choose_behaviours", test_xen_versions_choose_behaviours },
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
