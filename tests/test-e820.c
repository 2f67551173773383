/* SPDX-License-Identifier: MIT */
/*
 * tests/test-e820.c - the E820 table: sanitize (Linux and Xen), range edits,
 * type names, and the kernel's mem=/memmap= options:
 * doc/behaviours.md#sanitize-splits-ram to #memmap-wildcard.
 */
#include <errno.h>

#include "tests/e820-testutil.h"

enum {
	RAM = E820_TYPE_RAM,
	RES = E820_TYPE_RESERVED,
	ACPI = E820_TYPE_ACPI,
	NVS = E820_TYPE_NVS,
	UNUS = E820_TYPE_UNUSABLE,
	PRAM = E820_TYPE_PRAM,
	SOFT = E820_TYPE_SOFT_RESERVED
};

/* --- sanitize (doc/behaviours.md#sanitize-splits-ram ...) ----------- */

static void test_sanitize_reserved_inside_ram_splits_it(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 0, 16 * MiB, RAM }, { 8 * MiB, 4 * MiB, RES } }, 2);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 8 * MiB, RAM }, { 8 * MiB, 4 * MiB, RES },
		     { 12 * MiB, 4 * MiB, RAM });
	e820_table_free(&t);
}

static void test_sanitize_merges_ram_but_not_pram(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 1 * MiB, 1 * MiB, RAM },
				 { 0, 1 * MiB, RAM },
				 { 4 * GiB, 1 * GiB, PRAM },
				 { 5 * GiB, 1 * GiB, PRAM } },
		 4);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 2 * MiB, RAM }, { 4 * GiB, 1 * GiB, PRAM },
		     { 5 * GiB, 1 * GiB, PRAM });
	e820_table_free(&t);
}

static void test_sanitize_never_merges_soft_reserved(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 0, 4 * KiB, SOFT }, { 4 * KiB, 4 * KiB, SOFT } }, 2);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	CU_ASSERT_EQUAL(t.nr, 2);
	e820_table_free(&t);
}

static void test_sanitize_xen_merges_pram(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 4 * GiB, 1 * GiB, PRAM }, { 5 * GiB, 1 * GiB, PRAM } }, 2);
	CU_ASSERT_EQUAL(e820_sanitize_xen(&t), 0);
	ASSERT_TABLE(&t, { 4 * GiB, 2 * GiB, PRAM });
	e820_table_free(&t);
}

static void test_sanitize_pram_overlap_splits_at_every_change_point(void)
{
	struct e820_table t;

	/* two overlapping PRAM entries: Linux cuts at each change point */
	table_of(&t, (struct ent[]){ { 0, 3 * MiB, PRAM }, { 1 * MiB, 3 * MiB, PRAM } }, 2);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 1 * MiB, PRAM }, { 1 * MiB, 2 * MiB, PRAM },
		     { 3 * MiB, 1 * MiB, PRAM });
	e820_table_free(&t);
}

static void test_sanitize_single_entry_is_refused(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 0, 16 * MiB, RAM } }, 1);
	CU_ASSERT_EQUAL(e820_sanitize(&t), -1);
	ASSERT_TABLE(&t, { 0, 16 * MiB, RAM });
	e820_table_free(&t);
}

static void test_sanitize_wrapping_entry_is_refused(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 8 * MiB, 1 * MiB, RES },
				 { 0, 16 * MiB, RAM },
				 { 0xfffffffffffff000ULL, 0x2000, RES } },
		 3);
	CU_ASSERT_EQUAL(e820_sanitize(&t), -1);
	ASSERT_TABLE(&t, { 8 * MiB, 1 * MiB, RES }, { 0, 16 * MiB, RAM },
		     { 0xfffffffffffff000ULL, 0x2000, RES });
	CU_ASSERT_EQUAL(e820_sanitize_xen(&t), -1);
	e820_table_free(&t);
}

static void test_sanitize_highest_type_wins_and_gaps_stay(void)
{
	struct e820_table t;

	/* NVS under UNUSABLE: 5 beats 4; zero-size entries vanish; a gap stays */
	table_of(&t,
		 (struct ent[]){ { 0x1000, 0x3000, NVS },
				 { 0x2000, 0x1000, UNUS },
				 { 0x9000, 0, RAM },
				 { 0x10000, 0x1000, ACPI },
				 { 0x0, 0x1000, RAM } },
		 5);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 0x1000, RAM }, { 0x1000, 0x1000, NVS }, { 0x2000, 0x1000, UNUS },
		     { 0x3000, 0x1000, NVS }, { 0x10000, 0x1000, ACPI });
	e820_table_free(&t);
}

static void test_sanitize_keeps_stale_slots_like_the_kernel(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 0, 1 * MiB, RAM },
				 { 1 * MiB, 1 * MiB, RAM },
				 { 2 * MiB, 1 * MiB, RAM } },
		 3);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 3 * MiB, RAM });
	/* the kernel memcpy()s the new entries over the start only */
	CU_ASSERT_FATAL(t.alloc > 2);
	CU_ASSERT_EQUAL(t.entries[1].addr, 1 * MiB);
	CU_ASSERT_EQUAL(t.entries[2].addr, 2 * MiB);
	e820_table_free(&t);
}

static void test_sanitize_many_overlapping_entries(void)
{
	struct e820_table t;

	/* 65536 nested entries: must be quick and exact */
	e820_table_init(&t);
	for (uint64_t i = 0; i < E820_MAX_ENTRIES; i++)
		CU_ASSERT_FATAL(e820_add(&t, i * 4096, (E820_MAX_ENTRIES - i) * 8192,
					 (uint32_t)(i % 3 + 1)) == 0);
	CU_ASSERT_EQUAL(e820_add(&t, 0, 1, RAM), -E2BIG);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	CU_ASSERT_EQUAL(t.entries[0].type, RAM);
	CU_ASSERT_EQUAL(t.entries[0].size, 4096);
	CU_ASSERT_EQUAL(t.entries[1].type, RES);
	CU_ASSERT_EQUAL(t.entries[2].type, ACPI);
	CU_ASSERT_EQUAL(t.entries[2].size, (uint64_t)(E820_MAX_ENTRIES * 2 - 4) * 4096);
	CU_ASSERT_EQUAL(t.entries[3].type, RES);
	CU_ASSERT_EQUAL(t.entries[4].type, RAM);
	CU_ASSERT_EQUAL(t.entries[4].addr + t.entries[4].size, (uint64_t)E820_MAX_ENTRIES * 8192);
	CU_ASSERT_EQUAL(t.nr, 5);
	e820_table_free(&t);
}

/* --- range edits -------------------------------------------------------- */

static void test_remove_range_cuts_head_tail_and_middle(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 0, 16 * MiB, RAM }, { 32 * MiB, 4 * MiB, RES } }, 2);
	CU_ASSERT_EQUAL(e820_remove_range(&t, 4 * MiB, 4 * MiB, RAM, true), 0);
	ASSERT_TABLE(&t, { 0, 4 * MiB, RAM }, { 32 * MiB, 4 * MiB, RES },
		     { 8 * MiB, 8 * MiB, RAM });
	/* type filter: reserved untouched */
	CU_ASSERT_EQUAL(e820_remove_range(&t, 32 * MiB, 4 * MiB, RAM, true), 0);
	CU_ASSERT_EQUAL(t.entries[1].size, 4 * MiB);
	/* whole entry: zeroed in place, gone after sanitize */
	CU_ASSERT_EQUAL(e820_remove_range(&t, 32 * MiB, 4 * MiB, 0, false), 0);
	CU_ASSERT_EQUAL(t.entries[1].size, 0);
	CU_ASSERT_EQUAL(t.entries[1].type, 0);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	ASSERT_TABLE(&t, { 0, 4 * MiB, RAM }, { 8 * MiB, 8 * MiB, RAM });
	e820_table_free(&t);
}

static void test_update_range_retypes_and_appends_pieces(void)
{
	struct e820_table t;

	table_of(&t, (struct ent[]){ { 0, 16 * MiB, RAM } }, 1);
	CU_ASSERT_EQUAL(e820_update_range(&t, 4 * MiB, 4 * MiB, RAM, RES), 0);
	ASSERT_TABLE(&t, { 0, 4 * MiB, RAM }, { 4 * MiB, 4 * MiB, RES }, { 8 * MiB, 8 * MiB, RAM });
	CU_ASSERT_EQUAL(e820_update_range(&t, 0, UINT64_MAX, RAM, UNUS), 0);
	ASSERT_TABLE(&t, { 0, 4 * MiB, UNUS }, { 4 * MiB, 4 * MiB, RES },
		     { 8 * MiB, 8 * MiB, UNUS });
	CU_ASSERT_EQUAL(e820_update_range(&t, 0, 1, UNUS, UNUS), -EINVAL);
	e820_table_free(&t);
}

static void test_total_counts_one_type(void)
{
	struct e820_table t;

	table_of(&t,
		 (struct ent[]){ { 0, 0x9fc00, RAM },
				 { 0x9fc00, 0x400, RES },
				 { 1 * MiB, 255 * MiB, RAM } },
		 3);
	CU_ASSERT_EQUAL(e820_total(&t, RAM), 0x9fc00 + 255 * MiB);
	CU_ASSERT_EQUAL(e820_total(&t, RES), 0x400);
	CU_ASSERT_EQUAL(e820_total(&t, NVS), 0);
	e820_table_free(&t);
}

static void test_copy_is_deep_and_keeps_stale_slots(void)
{
	struct e820_table a, b;

	table_of(&a, (struct ent[]){ { 0, 1 * MiB, RAM }, { 1 * MiB, 1 * MiB, RAM } }, 2);
	CU_ASSERT_EQUAL(e820_sanitize(&a), 0);
	CU_ASSERT_EQUAL(e820_table_copy(&b, &a), 0);
	CU_ASSERT_TRUE(e820_table_equal(&a, &b));
	CU_ASSERT_EQUAL(b.entries[1].addr, 1 * MiB);
	b.entries[0].type = RES;
	CU_ASSERT_EQUAL(a.entries[0].type, RAM);
	e820_table_free(&a);
	e820_table_free(&b);
}

/* --- type names ---------------------------------------------------------- */

static void test_type_names_per_style(void)
{
	char buf[48];

	CU_ASSERT_STRING_EQUAL(e820_type_name(RAM, E820_NAME_LINUX), "usable");
	CU_ASSERT_STRING_EQUAL(e820_type_name(PRAM, E820_NAME_LINUX), "persistent (type 12)");
	CU_ASSERT_STRING_EQUAL(e820_type_name(SOFT, E820_NAME_LINUX), "soft reserved");
	CU_ASSERT_PTR_NULL(e820_type_name(E820_TYPE_RESERVED_KERN, E820_NAME_LINUX));
	CU_ASSERT_STRING_EQUAL(e820_type_name(E820_TYPE_RESERVED_KERN, E820_NAME_LINUX_KERN),
			       "usable");
	CU_ASSERT_STRING_EQUAL(e820_type_name(NVS, E820_NAME_LINUX_OLD), "(ACPI NVS)");
	CU_ASSERT_STRING_EQUAL(e820_type_name(UNUS, E820_NAME_XEN), "(unusable)");
	CU_ASSERT_STRING_EQUAL(e820_type_name(ACPI, E820_NAME_IOMEM), "ACPI Tables");
	CU_ASSERT_STRING_EQUAL(e820_type_name(9, E820_NAME_IOMEM), "Unknown E820 type");
	CU_ASSERT_STRING_EQUAL(e820_type_name_buf(20, E820_NAME_LINUX, buf, sizeof(buf)),
			       "type 20");
	CU_ASSERT_STRING_EQUAL(e820_type_name_buf(PRAM, E820_NAME_XEN, buf, sizeof(buf)),
			       "type 12");
}

static void test_type_parse_every_spelling(void)
{
	static const struct {
		const char *s;
		uint32_t type;
	} ok[] = {
		{ "usable", RAM },
		{ "(usable)", RAM },
		{ "System RAM", RAM },
		{ "reserved RAM failed", RAM },
		{ "Reserved", RES },
		{ "device reserved", RES },
		{ "ACPI  data", ACPI },
		{ "ACPI Tables", ACPI },
		{ "(ACPI NVS)", NVS },
		{ "ACPI Non-volatile Storage", NVS },
		{ "unusable", UNUS },
		{ "persistent (type 12)", PRAM },
		{ "persistent RAM (type 7)", 7 },
		{ "Persistent Memory (legacy)", PRAM },
		{ "soft reserved", SOFT },
		{ "type 9", 9 },
		{ "type 20", 20 },
		{ "Soft Reserved", SOFT },
	};
	uint32_t t;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_EQUAL(e820_type_parse(ok[i].s, strlen(ok[i].s), false, &t), 0);
		CU_ASSERT_EQUAL(t, ok[i].type);
	}
	CU_ASSERT_EQUAL(e820_type_parse("usabl", 5, false, &t), -EINVAL);
	CU_ASSERT_EQUAL(e820_type_parse("12", 2, false, &t), -EINVAL);
	CU_ASSERT_EQUAL(e820_type_parse("12", 2, true, &t), 0);
	CU_ASSERT_EQUAL(t, 12);
	CU_ASSERT_EQUAL(e820_type_parse("nvs", 3, true, &t), 0);
	CU_ASSERT_EQUAL(t, NVS);
	CU_ASSERT_EQUAL(e820_type_parse("type 99999999999", 16, false, &t), -EINVAL);
}

/* --- mem= and memmap= (doc/behaviours.md#memmap-exactmap ...) ------------ */

static void test_memparse_like_the_kernel(void)
{
	const char *end;

	CU_ASSERT_EQUAL(e820_memparse("640K", &end), 640 * KiB);
	CU_ASSERT_EQUAL(*end, '\0');
	CU_ASSERT_EQUAL(e820_memparse("0x1000@", &end), 0x1000);
	CU_ASSERT_EQUAL(*end, '@');
	CU_ASSERT_EQUAL(e820_memparse("010M", NULL), 8 * MiB); /* octal */
	CU_ASSERT_EQUAL(e820_memparse("1e", NULL), 1ULL << 60);
	CU_ASSERT_EQUAL(e820_memparse("x", &end), 0);
	CU_ASSERT_EQUAL(*end, 'x');
}

static void test_memmap_exactmap_builds_a_user_map(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 2 * GiB, RAM }, { 3 * GiB, 1 * GiB, RES } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "quiet memmap=exactmap,640K@0,255M@1M", &u, &err),
			0);
	CU_ASSERT_TRUE(u.userdef);
	ASSERT_TABLE(&t, { 0, 0xA0000, RAM }, { 0x100000, 0x10000000 - 0x100000, RAM });
	e820_table_free(&t);
}

static void test_exactmap_with_one_entry_panics(void)
{
	struct e820_table t;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 2 * GiB, RAM }, { 3 * GiB, 1 * GiB, RES } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=exactmap memmap=1G@0", NULL, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Invalid user supplied memory map"));
	e820_table_free(&t);
}

static void test_memmap_percent_add_loses_to_reserved(void)
{
	struct e820_table t;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 2 * GiB, RAM }, { 4 * GiB, 1 * GiB, RES } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=1G%4G+1", NULL, &err), 0);
	ASSERT_TABLE(&t, { 0, 2 * GiB, RAM }, { 4 * GiB, 1 * GiB, RES });
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=1G%4G-2+1", NULL, &err), 0);
	ASSERT_TABLE(&t, { 0, 2 * GiB, RAM }, { 4 * GiB, 1 * GiB, RAM });
	e820_table_free(&t);
}

static void test_memmap_percent_forms(void)
{
	struct e820_table t;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 2 * GiB, RAM }, { 4 * GiB, 1 * GiB, RES } }, 2);
	/* -old only: remove that type */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=1M%1M-1", NULL, &err), 0);
	ASSERT_TABLE(&t, { 0, 1 * MiB, RAM }, { 2 * MiB, 2 * GiB - 2 * MiB, RAM },
		     { 4 * GiB, 1 * GiB, RES });
	/* neither: remove any type; trailing junk: rejected before acting */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=512M%4G memmap=1M%0-1x", NULL, &err), 0);
	ASSERT_TABLE(&t, { 0, 1 * MiB, RAM }, { 2 * MiB, 2 * GiB - 2 * MiB, RAM },
		     { 4 * GiB + 512 * MiB, 512 * MiB, RES });
	/* same old and new type: the kernel BUG()s */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=1M%0-1+1", NULL, &err), -EINVAL);
	e820_table_free(&t);
}

static void test_memmap_operators_add_their_types(void)
{
	struct e820_table t;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 1 * GiB, RAM }, { 0xfec00000, 0x1000, RES } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t,
					   "memmap=1M#2G,1M$3G memmap=1G!4G "
					   "\"memmap=64M@1G\"",
					   NULL, &err),
			0);
	ASSERT_TABLE(&t, { 0, 1 * GiB + 64 * MiB, RAM }, { 2 * GiB, 1 * MiB, ACPI },
		     { 3 * GiB, 1 * MiB, RES }, { 0xfec00000, 0x1000, RES },
		     { 4 * GiB, 1 * GiB, PRAM });
	e820_table_free(&t);
}

static void test_memmap_trailing_junk_still_adds(void)
{
	struct e820_table t;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 1 * GiB, RAM }, { 2 * GiB, 1 * MiB, RES } }, 2);
	/* "$" form with junk: the region is added, then -EINVAL is ignored */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=1M$0x100000junk", NULL, &err), 0);
	ASSERT_TABLE(&t, { 0, 1 * MiB, RAM }, { 1 * MiB, 1 * MiB, RES },
		     { 2 * MiB, 1 * GiB - 2 * MiB, RAM }, { 2 * GiB, 1 * MiB, RES });
	e820_table_free(&t);
}

static void test_mem_and_memmap_nn_cut_ram_only(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t,
		 (struct ent[]){ { 0, 2 * GiB, RAM },
				 { 2 * GiB, 1 * MiB, ACPI },
				 { 4 * GiB, 4 * GiB, RAM } },
		 3);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "mem=1G", &u, &err), 0);
	CU_ASSERT_EQUAL(u.mem_limit, 1 * GiB);
	ASSERT_TABLE(&t, { 0, 1 * GiB, RAM }, { 2 * GiB, 1 * MiB, ACPI });
	/* memmap=nn is mem=nn without max_mem_size */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=512M", &u, &err), 0);
	CU_ASSERT_EQUAL(u.mem_limit, UINT64_MAX);
	ASSERT_TABLE(&t, { 0, 512 * MiB, RAM }, { 2 * GiB, 1 * MiB, ACPI });
	e820_table_free(&t);
}

static void test_mem_invalid_sets_userdef_without_cutting(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 2 * GiB, RAM }, { 2 * GiB, 1 * MiB, ACPI } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "mem=junk", &u, &err), 0);
	CU_ASSERT_TRUE(u.userdef);
	ASSERT_TABLE(&t, { 0, 2 * GiB, RAM }, { 2 * GiB, 1 * MiB, ACPI });
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "mem=nopentium memmap= mem", &u, &err), 0);
	CU_ASSERT_FALSE(u.userdef);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "root=/dev/sda -- mem=1G", &u, &err), 0);
	CU_ASSERT_FALSE(u.userdef);
	e820_table_free(&t);
}

/* doc/behaviours.md#memmap-wildcard: the last table entry is RAM ending at 2 GiB */
static void test_wildcard_reserves_top_of_last_ram(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t,
		 (struct ent[]){ { 0, 0x9fc00, RAM },
				 { 0x9fc00, 0x400, RES },
				 { 0xf0000, 0x10000, RES },
				 { 1 * MiB, 2 * GiB - 1 * MiB, RAM } },
		 4);
	CU_ASSERT_EQUAL(
		e820_apply_cmdline(&t, "memmap=12M*4096:oops ramoops.mem_name=oops", &u, &err), 0);
	ASSERT_TABLE(&t, { 0, 0x9fc00, RAM }, { 0x9fc00, 0x400, RES }, { 0xf0000, 0x10000, RES },
		     { 1 * MiB, 0x7F400000 - 1 * MiB, RAM },
		     { 0x7F400000, 0x80000000 - 0x7F400000, RES });
	CU_ASSERT_EQUAL(u.nr_named, 1);
	CU_ASSERT_STRING_EQUAL(u.named[0].name, "oops");
	CU_ASSERT_EQUAL(u.named[0].start, 0x7F400000);
	CU_ASSERT_EQUAL(u.named[0].size, 12 * MiB);
	e820_table_free(&t);
}

static void test_wildcard_long_name_still_reserves(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 0xA0000, RAM }, { 1 * MiB, 2 * GiB - 1 * MiB, RAM } }, 2);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=12M*4096:a-name-of-16char", &u, &err), 0);
	CU_ASSERT_EQUAL(u.nr_named, 0);
	CU_ASSERT_EQUAL(t.nr, 3);
	CU_ASSERT_EQUAL(t.entries[2].addr, 0x7F400000);
	CU_ASSERT_EQUAL(t.entries[2].type, RES);
	e820_table_free(&t);
}

static void test_wildcard_on_seed_map_takes_the_highest_ram(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	/* doc/behaviours.md#the-seed-map-s: the last RAM entry ends at 2304 MiB */
	table_of(&t,
		 (struct ent[]){ { 0, 1029 * MiB, RAM },
				 { 1029 * MiB, 1 * MiB, ACPI },
				 { 1200 * MiB, 100 * MiB, RES },
				 { 2001 * MiB, 303 * MiB, RAM } },
		 4);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=12M*2M:oops", &u, &err), 0);
	CU_ASSERT_EQUAL(t.nr, 5);
	CU_ASSERT_EQUAL(t.entries[3].size, 291 * MiB);
	CU_ASSERT_EQUAL(t.entries[4].addr, 2292 * MiB);
	CU_ASSERT_EQUAL(t.entries[4].size, 12 * MiB);
	e820_table_free(&t);
}

static void test_wildcard_reads_the_stale_slot_past_the_end(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	/* sanitize merges three entries into one: slot 1 keeps the old
	 * RAM entry [1G, 3G), which the proposal's loop starts at */
	table_of(&t,
		 (struct ent[]){ { 0, 1 * GiB, RAM },
				 { 1 * GiB, 2 * GiB, RAM },
				 { 3 * GiB, 1 * GiB, RAM } },
		 3);
	CU_ASSERT_EQUAL(e820_sanitize(&t), 0);
	CU_ASSERT_EQUAL(t.nr, 1);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=16M*1M:x", &u, &err), 0);
	ASSERT_TABLE(&t, { 0, 3 * GiB - 16 * MiB, RAM }, { 3 * GiB - 16 * MiB, 16 * MiB, RES },
		     { 3 * GiB, 1 * GiB, RAM });
	e820_table_free(&t);
}

static void test_wildcard_too_big_or_without_name_reserves_nothing(void)
{
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	table_of(&t, (struct ent[]){ { 0, 0xA0000, RAM }, { 1 * MiB, 1 * GiB, RAM } }, 2);
	/* larger than the entry's end: the unsigned result is "negative" */
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "memmap=4G*4096:big memmap=1M*4096", &u, &err), 0);
	CU_ASSERT_TRUE(u.userdef);
	CU_ASSERT_EQUAL(u.nr_named, 0);
	ASSERT_TABLE(&t, { 0, 0xA0000, RAM }, { 1 * MiB, 1 * GiB, RAM });
	e820_table_free(&t);
}

static void test_xen_lab_memmap_reserve_matches_the_kernel(void)
{
	struct e820_doc doc;
	struct e820_table t;
	struct e820_user u;
	struct p2msim_err err;

	/* Debian 6.1 dom0 booted with memmap=64M$0x10000000 printed both maps */
	CU_ASSERT_EQUAL_FATAL(
		e820_parse_file(data_path("xen-lab",
					  "pc-2G-dom0-memmap64M-at-256M--dom0-dmesg.txt"),
				&doc, &err),
		0);
	CU_ASSERT_EQUAL_FATAL(doc.nr_maps, 2);
	CU_ASSERT_EQUAL(e820_table_copy(&t, &doc.maps[0].table), 0);
	CU_ASSERT_EQUAL(e820_apply_cmdline(&t, "console=hvc0 memmap=64M$0x10000000", &u, &err), 0);
	CU_ASSERT_TRUE(u.userdef);
	CU_ASSERT_TRUE(e820_table_equal(&t, &doc.maps[1].table));
	CU_ASSERT_STRING_EQUAL(doc.maps[1].kind, "linux:user");
	e820_table_free(&t);
	e820_doc_free(&doc);
}

static const struct test_case sanitize_cases[] = {
	{ "sanitize_reserved_inside_ram_splits_it", test_sanitize_reserved_inside_ram_splits_it },
	{ "sanitize_merges_ram_but_not_pram", test_sanitize_merges_ram_but_not_pram },
	{ "sanitize_never_merges_soft_reserved", test_sanitize_never_merges_soft_reserved },
	{ "sanitize_xen_merges_pram", test_sanitize_xen_merges_pram },
	{ "sanitize_pram_overlap_splits_at_every_change_point",
	  test_sanitize_pram_overlap_splits_at_every_change_point },
	{ "sanitize_single_entry_is_refused", test_sanitize_single_entry_is_refused },
	{ "sanitize_wrapping_entry_is_refused", test_sanitize_wrapping_entry_is_refused },
	{ "sanitize_highest_type_wins_and_gaps_stay",
	  test_sanitize_highest_type_wins_and_gaps_stay },
	{ "sanitize_keeps_stale_slots_like_the_kernel",
	  test_sanitize_keeps_stale_slots_like_the_kernel },
	{ "sanitize_many_overlapping_entries", test_sanitize_many_overlapping_entries },
	{ NULL, NULL },
};

static const struct test_case edit_cases[] = {
	{ "remove_range_cuts_head_tail_and_middle", test_remove_range_cuts_head_tail_and_middle },
	{ "update_range_retypes_and_appends_pieces", test_update_range_retypes_and_appends_pieces },
	{ "total_counts_one_type", test_total_counts_one_type },
	{ "copy_is_deep_and_keeps_stale_slots", test_copy_is_deep_and_keeps_stale_slots },
	{ "type_names_per_style", test_type_names_per_style },
	{ "type_parse_every_spelling", test_type_parse_every_spelling },
	{ NULL, NULL },
};

static const struct test_case cmdline_cases[] = {
	{ "memparse_like_the_kernel", test_memparse_like_the_kernel },
	{ "memmap_exactmap_builds_a_user_map", test_memmap_exactmap_builds_a_user_map },
	{ "exactmap_with_one_entry_panics", test_exactmap_with_one_entry_panics },
	{ "memmap_percent_add_loses_to_reserved", test_memmap_percent_add_loses_to_reserved },
	{ "memmap_percent_forms", test_memmap_percent_forms },
	{ "memmap_operators_add_their_types", test_memmap_operators_add_their_types },
	{ "memmap_trailing_junk_still_adds", test_memmap_trailing_junk_still_adds },
	{ "mem_and_memmap_nn_cut_ram_only", test_mem_and_memmap_nn_cut_ram_only },
	{ "mem_invalid_sets_userdef_without_cutting",
	  test_mem_invalid_sets_userdef_without_cutting },
	{ "wildcard_reserves_top_of_last_ram", test_wildcard_reserves_top_of_last_ram },
	{ "wildcard_long_name_still_reserves", test_wildcard_long_name_still_reserves },
	{ "wildcard_on_seed_map_takes_the_highest_ram",
	  test_wildcard_on_seed_map_takes_the_highest_ram },
	{ "wildcard_reads_the_stale_slot_past_the_end",
	  test_wildcard_reads_the_stale_slot_past_the_end },
	{ "wildcard_too_big_or_without_name_reserves_nothing",
	  test_wildcard_too_big_or_without_name_reserves_nothing },
	{ "xen_lab_memmap_reserve_matches_the_kernel",
	  test_xen_lab_memmap_reserve_matches_the_kernel },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sanitize", sanitize_cases },
	{ "edit", edit_cases },
	{ "cmdline", cmdline_cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
