/* SPDX-License-Identifier: MIT */
/*
 * tests/test-e820-parse.c - reading maps: every map of the corpus
 * (tests/data/e820, copied from a corpus of real machines' logs), the formats and log
 * artefacts of doc/cli-json.md#input-formats, bad input, round trips through every output
 * format, and sanitize idempotence.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/e820-testutil.h"
#include "util/text.h"

static void expect_error(const char *text, size_t len, int code, const char *prefix,
			 const char *needle);
#define EXPECT_ERROR(text, code, prefix, needle) \
	expect_error(text, sizeof(text) - 1, code, prefix, needle)

/* --- the corpus ---------------------------------------------------------- */

struct corpus_map {
	size_t entries;
	uint64_t usable;   /* bytes of "usable", exact */
	const char *index; /* the INDEX.md column, rounded */
};

static const struct corpus_file {
	const char *file;
	size_t nr_maps;
	struct corpus_map maps[3];
} corpus[] = {
	{ "001-msi-h61m-i3-2100-xen41-dom0-3.8.txt",
	  2,
	  { { 21, 8498322432ULL, "7.9 GiB" }, { 22, 8498319360ULL, "7.9 GiB" } } },
	{ "003-fujitsu-su310m1-xeon6242-128g-xen413-dom0-4.12.txt",
	  2,
	  { { 16, 136986985472ULL, "127.6 GiB" }, { 48, 136986984448ULL, "127.6 GiB" } } },
	{ "005-dell-latitude-e6420-xen414-qubes-dom0-4.19.86.txt",
	  2,
	  { { 18, 17050953728ULL, "15.9 GiB" }, { 20, 4294967296ULL, "4.0 GiB" } } },
	{ "006-amd-threadripper-acpinvs-64M-xen-dom0-6.11rc-patched.txt",
	  2,
	  { { 36, 68591296512ULL, "63.9 GiB" }, { 35, 4294967296ULL, "4.0 GiB" } } },
	{ "007-simply-nuc-amd-phoenix-64g-efi-xen418-dom0-6.8.txt",
	  2,
	  { { 21, 66346930176ULL, "61.8 GiB" }, { 21, 66346799104ULL, "61.8 GiB" } } },
	{ "009-gigabyte-amd-fam10h-rd890-xen414-dom0mem768M-xlonly.txt",
	  1,
	  { { 10, 17176246272ULL, "16.0 GiB" } } },
	{ "010-asuspro-d840mb-coffeelake-qubes-dom0-6.12.21-outcome.txt",
	  1,
	  { { 17, 4294967296ULL, "4.0 GiB" } } },
	{ "011-dell-iot-gateway-3001-baytrail-efi-xen414-input.txt",
	  1,
	  { { 25, 2012340224ULL, "1.9 GiB" } } },
	{ "012-qemu-i440fx-512M-kvm-guest-5.15.txt", 1, { { 8, 536345600ULL, "511 MiB" } } },
	{ "015-pcengines-apu2-coreboot-xen4161-dlme-dom0-5.8.txt",
	  2,
	  { { 9, 4276231168ULL, "4.0 GiB" }, { 11, 4276228096ULL, "4.0 GiB" } } },
	{ "016-pcengines-apu2-trenchboot-mb2-dom0mem2048M-outcome.txt",
	  1,
	  { { 10, 4276260864ULL, "4.0 GiB" } } },
	{ "017-amd-laptop-migoG17-32G-bare-6.17.txt", 1, { { 21, 33511731200ULL, "31.2 GiB" } } },
	{ "018-qemu-q35-128G-kvm-guest-centos7-3.10.txt",
	  1,
	  { { 11, 137438411776ULL, "128.0 GiB" } } },
	{ "019-asrock-b450m-ryzen5950x-efi-xen421-pvh-input.txt",
	  1,
	  { { 30, 51459575808ULL, "47.9 GiB" } } },
	{ "020-broadwell-ep-host-pv-domU-e820host-96G-6.12.21.txt",
	  1,
	  { { 19, 103078821888ULL, "96.0 GiB" } } },
	{ "021-xengt-host-3.17-dom0-freeing-populating-partial.txt",
	  1,
	  { { 4, 3217031168ULL, "3.0 GiB" } } },
	{ "022-xengt-notebook-3.17-dom0-set-150667-partial.txt",
	  1,
	  { { 7, 3615965184ULL, "3.4 GiB" } } },
	{ "023-xen331-32bit-pv-domU-2.6.29rc1-360M.txt", 1, { { 5, 376713216ULL, "359 MiB" } } },
	{ "025-hp-haswell-16G-efi-xen422unstable-input.txt",
	  1,
	  { { 22, 17064820736ULL, "15.9 GiB" } } },
	{ "026-lenovo-cb01-6core-32G-efi-xen4145-qubes-input.txt",
	  1,
	  { { 17, 34265489408ULL, "31.9 GiB" } } },
	{ "027-fujitsu-d3644b1-coffeelake-32G-efi-xen4112-input.txt",
	  1,
	  { { 22, 34088042496ULL, "31.7 GiB" } } },
	{ "028-openxt-tboot-intel-laptop-16G-efi-xen-input-dom0mem420M.txt",
	  1,
	  { { 24, 16981356544ULL, "15.8 GiB" } } },
	{ "030-qemu-seabios-2G-nested-xen416-input-dom0alloc.txt",
	  1,
	  { { 6, 2146958336ULL, "2.0 GiB" } } },
	{ "031-gigabyte-amd-fam10h-rd890-xen401-dom0mem768M-xlonly.txt",
	  1,
	  { { 10, 17176240128ULL, "16.0 GiB" } } },
	{ "032-uniwill-223II0-855GM-2G-bare-2.6.9-usermap.txt",
	  2,
	  { { 6, 2130115584ULL, "2.0 GiB" }, { 4, 2113534976ULL, "2.0 GiB" } } },
	{ "034-kvm-guest-memmap-pram-type12-user-map.txt", 1, { { 9, 7515630592ULL, "7.0 GiB" } } },
	{ "037-amd-a8440-warthog-4node-opteron-2G-bare-3.9-mem1G.txt",
	  2,
	  { { 9, 2146162688ULL, "2.0 GiB" }, { 9, 1073338368ULL, "1.0 GiB" } } },
	{ "038-opteron6128-host-pv-domU-2056M-xen412-3.2.txt",
	  1,
	  { { 3, 2155479040ULL, "2.0 GiB" } } },
	{ "039-alienware-m18r1-amd-7845hx-64G-bare-6.9.txt",
	  2,
	  { { 23, 68384489472ULL, "63.7 GiB" }, { 25, 68384489472ULL, "63.7 GiB" } } },
	{ "040-dell-xps8500-ivybridge-8G-xen412-input-dom0alloc.txt",
	  1,
	  { { 19, 8548988928ULL, "8.0 GiB" } } },
	{ "042-aws-ec2-m1small-pv-domU-1700M-2.6.35.txt", 1, { { 3, 1782185984ULL, "1.7 GiB" } } },
	{ "043-aws-ec2-pv-domU-7.5G-3.2.0-54-virtual.txt", 1, { { 3, 8061059072ULL, "7.5 GiB" } } },
	{ "044-supermicro-xeon-d1518-8G-xen4121-L0-host-input.txt",
	  1,
	  { { 15, 8482270208ULL, "7.9 GiB" } } },
	{ "045-qubes-stubdom-i7-9750h-pv-domU-144M-5.10.105.txt",
	  1,
	  { { 3, 150601728ULL, "144 MiB" } } },
	{ "047-core2-e8400-ami-8G-xen331-host-input-dom0alloc.txt",
	  1,
	  { { 10, 8589011968ULL, "8.0 GiB" } } },
	{ "048-intel-host-pv-domU-e820host-libxl-commit-2011-set-1-1.txt",
	  3,
	  { { 17, 4283650048ULL, "4.0 GiB" },
	    { 14, 2155479040ULL, "2.0 GiB" },
	    { 18, 2155479040ULL, "2.0 GiB" } } },
	{ "049-dell-poweredge-r910-4node-128G-bare-5.4.txt",
	  1,
	  { { 9, 137425149952ULL, "128.0 GiB" } } },
	{ "050-asus-z10pe-d16ws-dual-xeon-16G-memoryless-node-efi-bare-5.19.txt",
	  2,
	  { { 13, 17065390080ULL, "15.9 GiB" }, { 19, 17065390080ULL, "15.9 GiB" } } },
	{ "052-hp-proliant-bl685c-g7-8node-amd-64G-bare-5.3-suse.txt",
	  1,
	  { { 10, 68683550720ULL, "64.0 GiB" } } },
	{ "053-purism-librem14-coreboot-cometlake-32G-bare-5.10.txt",
	  1,
	  { { 14, 34228337664ULL, "31.9 GiB" } } },
	{ "056-supermicro-h8qg6-4s-opteron-8node-128G-type9-bare-5.4.txt",
	  1,
	  { { 12, 137436844032ULL, "128.0 GiB" } } },
};
#define NR_CORPUS (sizeof(corpus) / sizeof(corpus[0]))

/* INDEX.md's rounding: GiB with one decimal from 1.0 GiB up, else MiB. */
static void index_size(uint64_t bytes, char *buf, size_t len)
{
	uint64_t tenths = (bytes * 10 + GiB / 2) / GiB;

	if (tenths >= 10)
		snprintf(buf, len, "%llu.%llu GiB", (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10));
	else
		snprintf(buf, len, "%llu MiB", (unsigned long long)((bytes + MiB / 2) / MiB));
}

static void test_corpus_every_map_parses_with_index_counts(void)
{
	for (size_t i = 0; i < NR_CORPUS; i++) {
		const struct corpus_file *c = &corpus[i];
		struct e820_doc doc;
		struct p2msim_err err;
		int rc = e820_parse_file(data_path("e820", c->file), &doc, &err);

		if (rc)
			fprintf(stderr, "\n%s: %s\n", c->file, err.msg);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(doc.nr_maps, c->nr_maps);
		for (size_t m = 0; m < c->nr_maps && m < doc.nr_maps; m++) {
			char got[32];
			uint64_t usable = e820_total(&doc.maps[m].table, E820_TYPE_RAM);

			CU_ASSERT_EQUAL(doc.maps[m].table.nr, c->maps[m].entries);
			CU_ASSERT_EQUAL(usable, c->maps[m].usable);
			index_size(usable, got, sizeof(got));
			CU_ASSERT_STRING_EQUAL(got, c->maps[m].index);
			if (doc.maps[m].table.nr != c->maps[m].entries ||
			    usable != c->maps[m].usable)
				fprintf(stderr, "\n%s map %zu: %zu entries, %llu usable\n", c->file,
					m, doc.maps[m].table.nr, (unsigned long long)usable);
		}
		e820_doc_free(&doc);
	}
}

static void test_corpus_035_truncated_lines_give_a_clear_error(void)
{
	struct e820_doc doc;
	struct p2msim_err err;
	const char *path =
		data_path("e820", "035-qemu-q35-1G-debian13-journalctl-TRUNCATED-lines.txt");
	char want[4200];

	CU_ASSERT_EQUAL(e820_parse_file(path, &doc, &err), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:15: cannot read memory map line 'BIOS-e820: [mem "
		 "0x0000000000000000-0x0000000000>'",
		 path);
	CU_ASSERT(starts_with(err.msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cut off"));
	CU_ASSERT_EQUAL(doc.nr_maps, 0);
}

static void test_corpus_headers_kinds_and_lines(void)
{
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(
			data_path("e820",
				  "048-intel-host-pv-domU-e820host-libxl-commit-2011-set-1-1.txt"),
			&doc, &err),
		0);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].header, "Initial Xen-e820 RAM map:");
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "xen-old");
	CU_ASSERT_EQUAL(doc.maps[0].header_line, 18);
	CU_ASSERT_STRING_EQUAL(doc.maps[1].kind, "linux-old:Xen");
	CU_ASSERT_EQUAL(doc.maps[1].header_line, 38);
	CU_ASSERT_EQUAL(doc.maps[1].table.entries[0].line, 39);
	/* old formats are end-exclusive */
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[0].size, 0x9d000);
	e820_doc_free(&doc);

	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("e820", "043-aws-ec2-pv-domU-7.5G-3.2.0-54-virtual.txt"),
				&doc, &err),
		0);
	CU_ASSERT_PTR_NULL(doc.maps[0].header);
	CU_ASSERT_EQUAL(doc.maps[0].header_line, 10);
	e820_doc_free(&doc);
}

static void test_corpus_mail_artefacts_decode(void)
{
	struct e820_doc doc;
	struct p2msim_err err;
	const struct e820_table *t;

	/* 034: quoted-printable soft breaks and "===>" annotations */
	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("e820", "034-kvm-guest-memmap-pram-type12-user-map.txt"),
				&doc, &err),
		0);
	t = &doc.maps[0].table;
	CU_ASSERT_EQUAL(t->entries[4].type, E820_TYPE_RESERVED);
	CU_ASSERT_EQUAL(t->entries[7].type, E820_TYPE_PRAM);
	CU_ASSERT_EQUAL(t->entries[7].addr, 4 * GiB);
	CU_ASSERT_EQUAL(t->entries[7].size, 1 * GiB);
	e820_doc_free(&doc);

	/* 039: Gmail hard wraps of the type ("ACPI" / "NVS") and the range */
	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("e820",
					  "039-alienware-m18r1-amd-7845hx-64G-bare-6.9.txt"),
				&doc, &err),
		0);
	t = &doc.maps[0].table;
	CU_ASSERT_EQUAL(t->entries[5].type, E820_TYPE_NVS);
	CU_ASSERT_EQUAL(t->entries[5].addr, 0x9f00000);
	CU_ASSERT_EQUAL(t->entries[5].line, 28);
	t = &doc.maps[1].table;
	CU_ASSERT_EQUAL(t->entries[7].addr, 0xa0297018); /* byte-granular */
	CU_ASSERT_EQUAL(t->entries[7].size, 0xa02b2858 - 0xa0297018);
	e820_doc_free(&doc);

	/* 056: raw "type 9" */
	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(
			data_path("e820",
				  "056-supermicro-h8qg6-4s-opteron-8node-128G-type9-bare-5.4.txt"),
			&doc, &err),
		0);
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[4].type, 9);
	e820_doc_free(&doc);
}

/* --- formats and prefixes ------------------------------------------------- */

static void test_log_prefixes_are_stripped(void)
{
	static const char text[] =
		"<6>[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"[Wed Oct 15 21:07:12 2025] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff]"
		" usable\n"
		"kern  :info  : [    0.000000] BIOS-e820: [mem 0x00000000c0000000-0x00000000c0000fff]"
		" reserved\n"
		"2025-05-02T08:02:43+0200 dom0 kernel: BIOS-e820: [mem 0x00000000c0001000-"
		"0x00000000c0001fff] ACPI NVS\n"
		"okt 15 21:07:12 migoG17 kernel: BIOS-e820: [mem 0x00000000c0002000-"
		"0x00000000c0002fff] ACPI data\n"
		"> > May 02 08:02:43 dom0 kernel: [    0.000000] BIOS-e820: [mem 0x00000000c0003000-"
		"0x00000000c0003fff] unusable\n"
		"(XEN) [2022-01-18 10:11:12.123] some Xen line\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL(doc.nr_maps, 1);
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x100000, 0xbff00000, E820_TYPE_RAM },
		     { 0xc0000000, 0x1000, E820_TYPE_RESERVED },
		     { 0xc0001000, 0x1000, E820_TYPE_NVS }, { 0xc0002000, 0x1000, E820_TYPE_ACPI },
		     { 0xc0003000, 0x1000, E820_TYPE_UNUSABLE });
	e820_doc_free(&doc);
}

static void test_xen_console_timestamps_and_both_xen_formats(void)
{
	static const char text[] =
		"(XEN) [2022-01-18 10:11:12.123] Xen-e820 RAM map:\n"
		"(XEN) [2022-01-18 10:11:12.123]  [0000000000000000, 000000000009fbff] (usable)\n"
		"(XEN) [0000001b2c3d4e5f]  [000000000009fc00, 000000000009ffff] (reserved)\n"
		"(XEN) [   14.123456]  [0000000000100000, 000000007ffdffff] (usable)\n"
		"(XEN) System RAM: 2047MB (2096636kB)\n"
		"(XEN) EFI RAM map:\n"
		"(XEN)  0000000000000000 - 000000000009f000 (usable)\n"
		"(XEN)  000000000009f000 - 0000000000100000 type 20\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 2);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "xen");
	CU_ASSERT_STRING_EQUAL(doc.maps[0].header, "Xen-e820 RAM map:");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0x100000, 0x7fee0000, E820_TYPE_RAM });
	CU_ASSERT_STRING_EQUAL(doc.maps[1].kind, "xen-old");
	ASSERT_TABLE(&doc.maps[1].table, { 0, 0x9f000, E820_TYPE_RAM }, { 0x9f000, 0x61000, 20 });
	e820_doc_free(&doc);
}

static void test_tip_tree_size_column_and_gap_lines(void)
{
	static const char text[] =
		"BIOS-provided physical RAM map:\n"
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff]  639   KB usable\n"
		"BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]   320   KB ...\n"
		"BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff]   64   KB device reserved\n"
		"[Firmware Bug]: out of order E820 entry!\n"
		"BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff]    2.9 GB System RAM\n"
		"BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff]   12   GB persistent RAM "
		"(type 12)\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL(doc.nr_maps, 1);
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0xbfee0000, E820_TYPE_RAM },
		     { 0xfd00000000ULL, 0x300000000ULL, E820_TYPE_PRAM });
	e820_doc_free(&doc);
}

static void test_lines_that_only_resemble_maps_are_ignored(void)
{
	static const char text[] =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n"
		"e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n"
		"  node   0: [mem 0x0000000000001000-0x000000000009ffff]\n"
		"init_memory_mapping: [mem 0x00000000-0x000fffff]\n"
		"RAMDISK: 02060000 - 0477c000\n"
		"PM: Registered nosave memory: 00000000000a0000 - 0000000000100000\n"
		"[mem 0x90000000-0xc7ffbfff] available for PCI devices\n"
		"e820: [mem 0x96bfd000-0x9d7fbfff] available for PCI devices\n"
		"Hyper-V: [mem 0x0000000100000000-0x00000001ffffffff] usable\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 2);
	CU_ASSERT_EQUAL(doc.maps[0].table.nr, 2);
	/* an unknown WHO with a valid type still counts, as its own map */
	CU_ASSERT_STRING_EQUAL(doc.maps[1].kind, "linux:Hyper-V");
	CU_ASSERT_EQUAL(doc.maps[1].table.entries[0].addr, 4 * GiB);
	e820_doc_free(&doc);
}

static void test_iomem_top_level_only(void)
{
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("xen-lab",
					  "pc-2G-dom0-memmap64M-at-256M--dom0-iomem.txt"),
				&doc, &err),
		0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "iomem");
	/* RAM buffer, PCI Bus, HPET and nested lines skipped */
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x1000, E820_TYPE_RESERVED },
		     { 0x1000, 0x9e000, E820_TYPE_RAM }, { 0x9fc00, 0x60400, E820_TYPE_RESERVED },
		     { 0x100000, 0xff00000, E820_TYPE_RAM },
		     { 0x10000000, 0x4000000, E820_TYPE_RESERVED },
		     { 0x14000000, 0xc061000, E820_TYPE_RAM },
		     { 0x7ffe0000, 0x20000, E820_TYPE_RESERVED },
		     { 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		     { 0xfee00000, 0x100000, E820_TYPE_RESERVED },
		     { 0xfffc0000, 0x40000, E820_TYPE_RESERVED },
		     { 0xfd00000000ULL, 0x300000000ULL, E820_TYPE_RESERVED });
	e820_doc_free(&doc);
}

static void test_plain_table_forms(void)
{
	static const char text[] = "# start-end type\n"
				   "0-0x9fbff usable\n"
				   "0x9fc00 +1K reserved\n"
				   "1048576-2097151 ACPI data   # decimal, inclusive\n"
				   "0x200000 0x2fffff nvs\n"
				   "00300000-003fffff 12\n"
				   "4G +1G System RAM\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "table");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED }, { 0x100000, 0x100000, E820_TYPE_ACPI },
		     { 0x200000, 0x100000, E820_TYPE_NVS }, { 0x300000, 0x100000, E820_TYPE_PRAM },
		     { 4 * GiB, 1 * GiB, E820_TYPE_RAM });
	e820_doc_free(&doc);
}

static void test_sysfs_firmware_memmap_dump_and_directory(void)
{
	struct e820_doc doc, dir;
	struct p2msim_err err;
	char tmpl[] = "/tmp/p2msim-memmap-XXXXXX";
	static const char *const ent[][3] = {
		{ "0x0", "0x9efff", "System RAM" },
		{ "0x9fc00", "0xfffff", "Reserved" },
		{ "0x100000", "0x20060fff", "System RAM" },
		{ "0x7ffe0000", "0x7fffffff", "Reserved" },
		{ "0xfec00000", "0xfec00fff", "Reserved" },
		{ "0xfee00000", "0xfeefffff", "Reserved" },
		{ "0xfffc0000", "0xffffffff", "Reserved" },
		{ "0xfd00000000", "0xffffffffff", "Reserved" },
	};
	/* subdirectory order is numeric, not alphabetical: 10 after 9 */
	static const char *const dirs[] = { "0", "1", "2", "3", "4", "5", "9", "10" };

	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("xen-lab",
					  "pc-2G-dom0-memmap64M-at-256M--dom0-firmware-memmap.txt"),
				&doc, &err),
		0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_EQUAL(doc.maps[0].table.nr, 8);

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpl));
	for (size_t i = 0; i < 8; i++) {
		static const char *const attr[] = { "start", "end", "type" };
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", tmpl, dirs[i]);
		CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
		for (int a = 0; a < 3; a++) {
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s/%s", tmpl, dirs[i], attr[a]);
			f = fopen(path, "w");
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fprintf(f, "%s\n", ent[i][a]);
			fclose(f);
		}
	}
	CU_ASSERT_EQUAL(e820_parse_file(tmpl, &dir, &err), 0);
	CU_ASSERT_STRING_EQUAL(dir.maps[0].kind, "sysfs");
	CU_ASSERT_TRUE(e820_table_equal(&dir.maps[0].table, &doc.maps[0].table));
	for (size_t i = 0; i < 8; i++) {
		static const char *const attr[] = { "start", "end", "type" };
		char path[512];

		for (int a = 0; a < 3; a++) {
			snprintf(path, sizeof(path), "%s/%s/%s", tmpl, dirs[i], attr[a]);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/%s", tmpl, dirs[i]);
		rmdir(path);
	}
	rmdir(tmpl);
	e820_doc_free(&dir);
	e820_doc_free(&doc);
}

static void test_grub_lsmmap(void)
{
	static const char text[] =
		"XENLAB-GRUB firmware E820 after the patch (lsmmap):\n"
		"base_addr = 0x0, length = 0x9fc00, available RAM\n"
		"base_addr = 0x9fc00, length = 0x400, reserved RAM\n"
		"base_addr = 0xc000000, length = 0x3000, ACPI non-volatile storage RAM\n"
		"base_addr = 0xc003000, length = 0x1000, ACPI reclaimable RAM\n"
		"base_addr = 0xc004000, length = 0x1000, type = 0x9\n"
		"XENLAB-GRUB cutmem: 3 range(s) removed\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "grub");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED }, { 0xc000000, 0x3000, E820_TYPE_NVS },
		     { 0xc003000, 0x1000, E820_TYPE_ACPI }, { 0xc004000, 0x1000, 9 });
	e820_doc_free(&doc);
	EXPECT_ERROR("base_addr = 0x0, length = 0x9fc00, available ROM\n", -EINVAL,
		     "t.txt:1: ", "unknown GRUB memory type");
}

static void test_json_input_object_array_and_sizes(void)
{
	static const char text[] =
		"{\"kernel\": \"6.1\", \"e820\": [\n"
		"  {\"start\": 0, \"end\": 654335, \"type\": \"usable\"},\n"
		"  {\"start\": \"0x9fc00\", \"size\": 1024, \"type\": 2},\n"
		"  {\"start\": 18446744073709547520, \"end\": 18446744073709551614, "
		"\"type\": \"persistent (type 12)\"}\n"
		"]}\n";
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "json");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xfffffffffffff000ULL, 0xfff, E820_TYPE_PRAM });
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[1].line, 3);
	e820_doc_free(&doc);
}

static void test_memmap_command_line_as_input(void)
{
	struct e820_doc doc;
	struct p2msim_err err;

	CU_ASSERT_EQUAL_FATAL(parse_str("memmap=exactmap memmap=640K@0 memmap=255M@1M "
					"memmap=1K$639K\n",
					&doc, &err),
			      0);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "memmap");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0x100000, 0xff00000, E820_TYPE_RAM });
	e820_doc_free(&doc);
}

/* --- pasted mails and logs (tests/data/pasted) ---------------------------- */

static void parse_pasted(const char *file, struct e820_doc *doc)
{
	struct p2msim_err err;
	int rc = e820_parse_file(data_path("pasted", file), doc, &err);

	if (rc)
		fprintf(stderr, "\n%s: %s\n", file, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_pasted_qp_nonbreaking_space_after_the_prefix(void)
{
	struct e820_doc doc;

	/* =C2=A0 (Gmail) and a literal U+00A0 read as blanks */
	parse_pasted("gmail-qp-nbsp.eml", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0xbff00000, E820_TYPE_RAM },
		     { 4 * GiB, 0x140000000ULL, E820_TYPE_RAM });
	e820_doc_free(&doc);
	parse_pasted("utf8-nbsp.txt", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_EQUAL(doc.maps[0].table.nr, 4);
	CU_ASSERT_EQUAL(e820_total(&doc.maps[0].table, E820_TYPE_RAM),
			0x9fc00 + 0xbff00000 + 0x140000000ULL);
	e820_doc_free(&doc);
}

static void test_pasted_iomem_trailing_qp_blank_keeps_unknown_types(void)
{
	struct e820_doc doc;

	parse_pasted("iomem-qp-trailing-20.eml", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x1000, E820_TYPE_RESERVED },
		     { 0x1000, 0x9ec00, E820_TYPE_RAM }, { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0xbff00000, E820_TYPE_RAM },
		     { 0xc0000000, 0x1000000, E820_TYPE_RESERVED },
		     { 4 * GiB, 0x140000000ULL, E820_TYPE_RAM });
	e820_doc_free(&doc);
}

static void test_pasted_hard_wrapped_entry_stays_in_its_map(void)
{
	struct e820_doc doc;

	/* cut in a number and in a word: one map, RAM above 4 GiB kept */
	parse_pasted("iomem-hard-wrapped.txt", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_EQUAL(doc.maps[0].table.nr, 8);
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[4].addr, 0x100000);
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[4].size, 0xbff00000);
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[4].line, 7);
	CU_ASSERT_EQUAL(e820_total(&doc.maps[0].table, E820_TYPE_RAM),
			0x9ec00 + 0xbff00000 + 0x180000000ULL);
	e820_doc_free(&doc);

	parse_pasted("xen-hard-wrapped.txt", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0xbff00000, E820_TYPE_RAM },
		     { 0xfec00000, 0x1000, E820_TYPE_RESERVED },
		     { 4 * GiB, 0x140000000ULL, E820_TYPE_RAM });
	e820_doc_free(&doc);
}

static void test_pasted_diagram_and_prose_are_no_map(void)
{
	struct e820_doc doc;
	struct p2msim_err err;
	const char *path = data_path("pasted", "ascii-diagram.eml");
	char want[4400];

	CU_ASSERT_EQUAL(e820_parse_file(path, &doc, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: no memory map found; the nearest was line 7 '0", path);
	CU_ASSERT(starts_with(err.msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown memory type"));
	CU_ASSERT_EQUAL(doc.nr_maps, 0);

	/* quoted memmap= prose in a mail: named, not an error of its own */
	path = data_path("pasted", "quoted-memmap-prose.eml");
	CU_ASSERT_EQUAL(e820_parse_file(path, &doc, &err), -ENOENT);
	snprintf(want, sizeof(want),
		 "%s: no memory map found; the nearest was line 7 "
		 "'memmap=exactmap memmap=X#Y': 'memmap=X#Y' is not a memmap= option",
		 path);
	CU_ASSERT(starts_with(err.msg, want));
	CU_ASSERT_EQUAL(doc.nr_maps, 0);
	EXPECT_ERROR("> Could you not boot with\n> memmap=exactmap memmap=X#Y\n", -ENOENT,
		     "t.txt: ",
		     "nearest was line 2 'memmap=exactmap memmap=X#Y': "
		     "'memmap=X#Y' is not a memmap= option");
	EXPECT_ERROR("memmap=exactmap is what you want\n", -ENOENT,
		     "t.txt: ", "describes no memory");
	EXPECT_ERROR("hello\nworld\n", -ENOENT, "t.txt: ", "no memory map found in 2 lines");
}

static void test_pasted_hvmloader_seabios_map(void)
{
	struct e820_doc doc;

	parse_pasted("hvmloader-seabios.txt", &doc);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 1);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].kind, "seabios:HVM4");
	CU_ASSERT_STRING_EQUAL(doc.maps[0].header, "HVM4: e820 map has 6 items:");
	ASSERT_TABLE(&doc.maps[0].table, { 0, 0x9fc00, E820_TYPE_RAM },
		     { 0x9fc00, 0x400, E820_TYPE_RESERVED },
		     { 0xf0000, 0x10000, E820_TYPE_RESERVED },
		     { 0x100000, 0xeff00000, E820_TYPE_RAM },
		     { 0xfc000000, 0x4000000, E820_TYPE_RESERVED },
		     { 4 * GiB, 0x10000000, E820_TYPE_RAM });
	e820_doc_free(&doc);
}

static void test_pasted_maps_are_named_by_header_or_first_line(void)
{
	struct e820_doc doc;

	parse_pasted("pvh-dom0-memory-map.txt", &doc);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].header, "Dom0 memory map:");
	CU_ASSERT_PTR_NULL(doc.maps[0].first);
	CU_ASSERT_EQUAL(doc.maps[0].table.nr, 3);
	e820_doc_free(&doc);
	parse_pasted("iomem-hard-wrapped.txt", &doc);
	CU_ASSERT_PTR_NULL(doc.maps[0].header);
	CU_ASSERT_STRING_EQUAL(doc.maps[0].first, "00000000-00000fff : Reserved");
	CU_ASSERT_EQUAL(doc.maps[0].header_line, 3);
	e820_doc_free(&doc);
}

/* --- bad input: one clear FILE:LINE error each ------------------------- */

static void expect_error(const char *text, size_t len, int code, const char *prefix,
			 const char *needle)
{
	struct e820_doc doc;
	struct p2msim_err err;
	int rc;

	p2msim_err_clear(&err);
	rc = e820_parse_buffer("t.txt", text, len, &doc, &err);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT(starts_with(err.msg, prefix));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
	if (rc != code || !starts_with(err.msg, prefix) || !strstr(err.msg, needle))
		fprintf(stderr, "\ngot %d '%s'\n", rc, err.msg);
	CU_ASSERT_EQUAL(doc.nr_maps, 0);
	CU_ASSERT_PTR_NULL(doc.maps);
}

static void test_bad_unknown_type_in_a_map_line(void)
{
	EXPECT_ERROR("BIOS-provided physical RAM map:\n"
		     "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		     "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usabel\n",
		     -EINVAL, "t.txt:3: ", "unknown memory type 'usabel'");
	EXPECT_ERROR("(XEN)  [0000000000000000, 000000000009fbff]\n", -EINVAL,
		     "t.txt:1: ", "no type");
}

static void test_bad_end_before_start(void)
{
	EXPECT_ERROR("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		     "BIOS-e820: [mem 0x0000000000200000-0x00000000000fffff] usable\n",
		     -EINVAL, "t.txt:2: ", "end 0xfffff is before start 0x200000");
	EXPECT_ERROR(" Xen: 0000000000100000 - 0000000000000000 (usable)\n", -EINVAL,
		     "t.txt:1: ", "before start");
}

static void test_bad_range_overflows_64_bits(void)
{
	EXPECT_ERROR("BIOS-e820: [mem 0x0000000000000000-0x10000000000000000] usable\n", -EINVAL,
		     "t.txt:1: ", "does not fit in 64 bits");
	EXPECT_ERROR("0x0-0x9ffff usable\n0xfffffffffffff000 +8K reserved\n", -EINVAL,
		     "t.txt:2: ", "runs past the end of the 64-bit space");
	EXPECT_ERROR("(XEN)  [0000000000000000, ffffffffffffffff] (reserved)\n", -EINVAL,
		     "t.txt:1: ", "2^64 bytes");
	EXPECT_ERROR("[{\"start\": 0, \"end\": 18446744073709551616, \"type\": 1}]", -EINVAL,
		     "t.txt:1: ", "does not fit in 64 bits");
}

static void test_bad_more_than_65536_entries(void)
{
	size_t n = E820_MAX_ENTRIES + 1, len = 0;
	char *text = malloc(n * 32 + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "0x%zx +4K usable\n", i * 4096);
	expect_error(text, len, -E2BIG, "t.txt:65537: ", "more than 65536 entries");
	free(text);
}

static void test_bad_empty_map(void)
{
	EXPECT_ERROR("[    0.000000] Linux version 6.1\n"
		     "[    0.000000] BIOS-provided physical RAM map:\n"
		     "[    0.000000] NX (Execute Disable) protection: active\n",
		     -EINVAL, "t.txt:2: ", "empty map");
	EXPECT_ERROR("Xen-e820 RAM map:\nXen-e820 RAM map:\n (XEN) nothing\n", -EINVAL,
		     "t.txt:1: ", "empty map");
}

static void test_bad_binary_junk_and_huge_lines(void)
{
	static const char junk[] = "BIOS-e820: [mem 0x0-0xfff] usable\n\x7f"
				   "ELF\x02\x01\x01\x00\x00";
	char *huge;

	EXPECT_ERROR(junk, -EINVAL, "t.txt:2: ", "binary data");
	huge = malloc(70001);
	CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
	memset(huge, 'a', 70000);
	huge[70000] = '\0';
	expect_error(huge, 70000, -EINVAL, "t.txt:1: ", "line longer than");
	free(huge);
}

static void test_bad_no_map_at_all(void)
{
	EXPECT_ERROR("hello\nworld\n", -ENOENT, "t.txt: ", "no memory map found");
	EXPECT_ERROR("", -ENOENT, "t.txt: ", "no memory map found");
}

static void test_bad_json(void)
{
	EXPECT_ERROR("[\n {\"start\": 0, \"end\": 4095, \"type\": 1},\n {\"start\": 1 \"end\"}\n]",
		     -EINVAL, "t.txt:3: ", "invalid JSON");
	EXPECT_ERROR("[\n {\"start\": 0, \"end\": 4095, \"type\": 1},\n {\"start\": 8192, "
		     "\"end\": 4095, \"type\": 1}\n]",
		     -EINVAL, "t.txt:3: ", "before start");
	EXPECT_ERROR("[\n {\"start\": -1, \"end\": 4095, \"type\": 1}\n]", -EINVAL,
		     "t.txt:2: ", "\"start\" missing or not a number");
	EXPECT_ERROR("[{\"start\": 0, \"end\": 4095, \"type\": \"nonsense\"}]", -EINVAL,
		     "t.txt:1: ", "unknown type 'nonsense'");
	EXPECT_ERROR("{\"e820\": 5}", -EINVAL, "t.txt:1: ", "not a JSON array");
}

/* --- round trips and idempotence ---------------------------------------- */

static bool iomem_names_every_type(const struct e820_table *t)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(e820_type_name(t->entries[i].type, E820_NAME_IOMEM),
			    "Unknown E820 type"))
			return false;
	return true;
}

static bool has_empty_entry(const struct e820_table *t)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!t->entries[i].size)
			return true;
	return false;
}

static void round_trip(const char *what, const struct e820_table *t, enum e820_format fmt)
{
	struct e820_doc doc;
	struct p2msim_err err;
	char *text = print_str(t, fmt, "Xen");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	rc = parse_str(text, &doc, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (!rc) {
		CU_ASSERT_EQUAL(doc.nr_maps, 1);
		CU_ASSERT_TRUE(e820_table_equal(&doc.maps[0].table, t));
		if (!e820_table_equal(&doc.maps[0].table, t))
			fprintf(stderr, "\n%s: %s round trip differs\n", what,
				e820_format_name(fmt));
		e820_doc_free(&doc);
	} else {
		fprintf(stderr, "\n%s: %s: %s\n", what, e820_format_name(fmt), err.msg);
	}
	free(text);
}

static void test_round_trip_every_format_is_identity(void)
{
	static const enum e820_format fmts[] = {
		E820_FMT_LINUX, E820_FMT_LINUX_OLD, E820_FMT_XEN,   E820_FMT_XEN_OLD,
		E820_FMT_TABLE, E820_FMT_JSON,	    E820_FMT_IOMEM,
	};
	unsigned int maps = 0;

	for (size_t i = 0; i < NR_CORPUS; i++) {
		struct e820_doc doc;
		struct p2msim_err err;

		CU_ASSERT_EQUAL_FATAL(
			e820_parse_file(data_path("e820", corpus[i].file), &doc, &err), 0);
		for (size_t m = 0; m < doc.nr_maps; m++) {
			struct e820_table *t = &doc.maps[m].table;
			struct e820_table s;

			maps++;
			CU_ASSERT_FALSE(has_empty_entry(t));
			for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
				if (fmts[f] == E820_FMT_IOMEM && !iomem_names_every_type(t))
					continue;
				round_trip(corpus[i].file, t, fmts[f]);
			}
			/* memmap= rebuilds the table through the kernel's own sanitize */
			CU_ASSERT_EQUAL_FATAL(e820_table_copy(&s, t), 0);
			e820_sanitize(&s);
			round_trip(corpus[i].file, &s, E820_FMT_MEMMAP);
			e820_table_free(&s);
		}
		e820_doc_free(&doc);
	}
	CU_ASSERT_EQUAL(maps, 53);
}

static void test_round_trip_odd_types_and_bytes(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 0, 0x9fc01, E820_TYPE_RAM },
				 { 0x9fc01, 0x3ff, E820_TYPE_RESERVED },
				 { 1 * MiB, 1 * GiB, E820_TYPE_PMEM },
				 { 2 * GiB, 1 * GiB, E820_TYPE_SOFT_RESERVED },
				 { 3 * GiB, 1 * GiB, E820_TYPE_SOFT_RESERVED },
				 { 4 * GiB, 1 * GiB, 20 },
				 { 5 * GiB, 1 * GiB, E820_TYPE_RESERVED_KERN },
				 { 0xfffffffffffff000ULL, 0xfff, E820_TYPE_NVS } },
		 8);
	round_trip("odd", &t, E820_FMT_LINUX);
	round_trip("odd", &t, E820_FMT_XEN_OLD);
	round_trip("odd", &t, E820_FMT_XEN);
	round_trip("odd", &t, E820_FMT_TABLE);
	round_trip("odd", &t, E820_FMT_JSON);
	round_trip("odd", &t, E820_FMT_MEMMAP);
	/* 2.6.x printed the kernel-internal RESERVED_KERN as "(usable)" */
	t.entries[6].type = E820_TYPE_RAM;
	round_trip("odd", &t, E820_FMT_LINUX_OLD);
	e820_table_free(&t);
}

static void test_iomem_loses_unknown_types_to_reserved(void)
{
	struct e820_table t;
	struct e820_doc doc;
	struct p2msim_err err;
	char *text;

	table_of(&t, (struct ent[]){ { 0, 0x9fc00, E820_TYPE_RAM }, { 1 * MiB, 4096, 9 } }, 2);
	text = print_str(&t, E820_FMT_IOMEM, NULL);
	CU_ASSERT_STRING_EQUAL(text, "00000000-0009fbff : System RAM\n"
				     "00100000-00100fff : Unknown E820 type\n");
	CU_ASSERT_EQUAL_FATAL(parse_str(text, &doc, &err), 0);
	CU_ASSERT_EQUAL(doc.maps[0].table.entries[1].type, E820_TYPE_RESERVED);
	e820_doc_free(&doc);
	free(text);
	e820_table_free(&t);
}

static void test_sanitize_is_idempotent_on_the_corpus(void)
{
	for (size_t i = 0; i < NR_CORPUS; i++) {
		struct e820_doc doc;
		struct p2msim_err err;

		CU_ASSERT_EQUAL_FATAL(
			e820_parse_file(data_path("e820", corpus[i].file), &doc, &err), 0);
		for (size_t m = 0; m < doc.nr_maps; m++) {
			struct e820_table once, twice;

			CU_ASSERT_EQUAL_FATAL(e820_table_copy(&once, &doc.maps[m].table), 0);
			CU_ASSERT_EQUAL(e820_sanitize(&once), 0);
			CU_ASSERT_EQUAL_FATAL(e820_table_copy(&twice, &once), 0);
			CU_ASSERT_EQUAL(e820_sanitize(&twice), 0);
			CU_ASSERT_TRUE(e820_table_equal(&once, &twice));
			/* sorted, no overlap, no empty entries */
			for (size_t k = 1; k < once.nr; k++)
				CU_ASSERT_TRUE(once.entries[k - 1].addr +
						       once.entries[k - 1].size <=
					       once.entries[k].addr);
			e820_table_free(&once);
			e820_table_free(&twice);
		}
		e820_doc_free(&doc);
	}
}

static void test_printers_match_kernel_and_xen_formats(void)
{
	struct e820_table t;
	char *s;

	table_of(&t,
		 (struct ent[]){ { 0, 0x9f000, E820_TYPE_RAM },
				 { 0x100000, 1 * GiB, E820_TYPE_PRAM } },
		 2);
	s = print_str(&t, E820_FMT_LINUX, "Xen");
	CU_ASSERT_STRING_EQUAL(s, "Xen: [mem 0x0000000000000000-0x000000000009efff] usable\n"
				  "Xen: [mem 0x0000000000100000-0x00000000400fffff] persistent "
				  "(type 12)\n");
	free(s);
	s = print_str(&t, E820_FMT_LINUX_OLD, "Xen");
	CU_ASSERT_STRING_EQUAL(s, " Xen: 0000000000000000 - 000000000009f000 (usable)\n"
				  " Xen: 0000000000100000 - 0000000040100000 type 12\n");
	free(s);
	s = print_str(&t, E820_FMT_XEN, NULL);
	CU_ASSERT_STRING_EQUAL(s, " [0000000000000000, 000000000009efff] (usable)\n"
				  " [0000000000100000, 00000000400fffff] type 12\n");
	free(s);
	s = print_str(&t, E820_FMT_MEMMAP, NULL);
	CU_ASSERT_STRING_EQUAL(s, "memmap=exactmap memmap=636K@0 memmap=1G!1M\n");
	free(s);
	s = print_str(&t, E820_FMT_JSON, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"end\": 651263"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"type\": \"persistent (type 12)\""));
	free(s);
	e820_table_free(&t);
}

static const struct test_case corpus_cases[] = {
	{ "corpus_every_map_parses_with_index_counts",
	  test_corpus_every_map_parses_with_index_counts },
	{ "corpus_035_truncated_lines_give_a_clear_error",
	  test_corpus_035_truncated_lines_give_a_clear_error },
	{ "corpus_headers_kinds_and_lines", test_corpus_headers_kinds_and_lines },
	{ "corpus_mail_artefacts_decode", test_corpus_mail_artefacts_decode },
	{ NULL, NULL },
};

static const struct test_case format_cases[] = {
	{ "log_prefixes_are_stripped", test_log_prefixes_are_stripped },
	{ "xen_console_timestamps_and_both_xen_formats",
	  test_xen_console_timestamps_and_both_xen_formats },
	{ "tip_tree_size_column_and_gap_lines", test_tip_tree_size_column_and_gap_lines },
	{ "lines_that_only_resemble_maps_are_ignored",
	  test_lines_that_only_resemble_maps_are_ignored },
	{ "iomem_top_level_only", test_iomem_top_level_only },
	{ "plain_table_forms", test_plain_table_forms },
	{ "sysfs_firmware_memmap_dump_and_directory",
	  test_sysfs_firmware_memmap_dump_and_directory },
	{ "grub_lsmmap", test_grub_lsmmap },
	{ "json_input_object_array_and_sizes", test_json_input_object_array_and_sizes },
	{ "memmap_command_line_as_input", test_memmap_command_line_as_input },
	{ NULL, NULL },
};

static void expect_file_error(const char *file, int code, const char *where, const char *needle)
{
	struct e820_doc doc;
	struct p2msim_err err;
	const char *path = data_path("bad-input", file);
	char want[4200];
	int rc;

	p2msim_err_clear(&err);
	rc = e820_parse_file(path, &doc, &err);
	snprintf(want, sizeof(want), "%s%s", path, where);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT(starts_with(err.msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
	if (rc != code || !starts_with(err.msg, want) || !strstr(err.msg, needle))
		fprintf(stderr, "\ngot %d '%s'\n", rc, err.msg);
	CU_ASSERT_EQUAL(doc.nr_maps, 0);
}

static void test_bad_malformed_table_line_is_an_error(void)
{
	expect_file_error("table-malformed-line.txt", -EINVAL,
			  ":4: ", "cannot read memory map line '-0x100000-0x7fffffff usable'");
	/* a signed first row, and a glued type, too */
	EXPECT_ERROR("-0x100000-0x7fffffff usable\n", -EINVAL, "t.txt:1: ", "a signed number");
	EXPECT_ERROR("0x0-0x9fbff usable\n0x100000-0x7fffffffusable\n", -EINVAL,
		     "t.txt:2: ", "expected 'START-END TYPE'");
}

static void test_bad_truncated_json_says_unexpected_end(void)
{
	expect_file_error("truncated.json", -EINVAL,
			  ":4: ", "unexpected end of the input at column 30");
}

static void test_bad_utf16_is_named(void)
{
	expect_file_error("utf16.txt", -EINVAL, ":1: ", "UTF-16 text");
}

static void test_iomem_reserved_ram_is_marked_and_short_fields_warned(void)
{
	struct e820_doc doc;
	struct p2msim_err err;
	const struct e820_table *t;

	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("bad-input", "iomem-reserved-ram.txt"), &doc, &err), 0);
	t = &doc.maps[0].table;
	CU_ASSERT_EQUAL_FATAL(t->nr, 6);
	CU_ASSERT_EQUAL(t->entries[3].type, E820_TYPE_RAM);
	CU_ASSERT_EQUAL(t->entries[3].flags, E820_ENTRY_RESERVED_RAM);
	CU_ASSERT_EQUAL(t->entries[4].flags, E820_ENTRY_RESERVED_RAM);
	CU_ASSERT_EQUAL(t->entries[5].flags, 0);
	CU_ASSERT_EQUAL(t->entries[2].size, 0xf00000);
	CU_ASSERT_EQUAL_FATAL(doc.nr_warnings, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(doc.warnings[0], "iomem-reserved-ram.txt:5: '0ffffff' has "
						       "7 hex digits"));
	e820_doc_free(&doc);
}

static const struct test_case pasted_cases[] = {
	{ "pasted_qp_nonbreaking_space_after_the_prefix",
	  test_pasted_qp_nonbreaking_space_after_the_prefix },
	{ "pasted_iomem_trailing_qp_blank_keeps_unknown_types",
	  test_pasted_iomem_trailing_qp_blank_keeps_unknown_types },
	{ "pasted_hard_wrapped_entry_stays_in_its_map",
	  test_pasted_hard_wrapped_entry_stays_in_its_map },
	{ "pasted_diagram_and_prose_are_no_map", test_pasted_diagram_and_prose_are_no_map },
	{ "pasted_hvmloader_seabios_map", test_pasted_hvmloader_seabios_map },
	{ "pasted_maps_are_named_by_header_or_first_line",
	  test_pasted_maps_are_named_by_header_or_first_line },
	{ NULL, NULL },
};

static const struct test_case bad_cases[] = {
	{ "bad_unknown_type_in_a_map_line", test_bad_unknown_type_in_a_map_line },
	{ "bad_end_before_start", test_bad_end_before_start },
	{ "bad_range_overflows_64_bits", test_bad_range_overflows_64_bits },
	{ "bad_more_than_65536_entries", test_bad_more_than_65536_entries },
	{ "bad_empty_map", test_bad_empty_map },
	{ "bad_binary_junk_and_huge_lines", test_bad_binary_junk_and_huge_lines },
	{ "bad_no_map_at_all", test_bad_no_map_at_all },
	{ "bad_json", test_bad_json },
	{ "bad_malformed_table_line_is_an_error", test_bad_malformed_table_line_is_an_error },
	{ "bad_truncated_json_says_unexpected_end", test_bad_truncated_json_says_unexpected_end },
	{ "bad_utf16_is_named", test_bad_utf16_is_named },
	{ "iomem_reserved_ram_is_marked_and_short_fields_warned",
	  test_iomem_reserved_ram_is_marked_and_short_fields_warned },
	{ NULL, NULL },
};

static const struct test_case roundtrip_cases[] = {
	{ "round_trip_every_format_is_identity", test_round_trip_every_format_is_identity },
	{ "round_trip_odd_types_and_bytes", test_round_trip_odd_types_and_bytes },
	{ "iomem_loses_unknown_types_to_reserved", test_iomem_loses_unknown_types_to_reserved },
	{ "sanitize_is_idempotent_on_the_corpus", test_sanitize_is_idempotent_on_the_corpus },
	{ "printers_match_kernel_and_xen_formats", test_printers_match_kernel_and_xen_formats },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "corpus", corpus_cases }, { "formats", format_cases },       { "pasted", pasted_cases },
	{ "bad_input", bad_cases }, { "round_trip", roundtrip_cases }, { NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
