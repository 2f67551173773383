/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-e820-cmdline.c - the kernel's mem= and memmap= options
 * applied to a map (e820_apply_cmdline), and Xen's mem=/availmem= clipping
 * (xen_clip_mem) of the same map.
 *
 * Input: "CMDLINE\nMAP": the first line is the command line, the rest a
 * map in any format (the 1-1 series' example map when it does not parse).
 *
 * Properties: a failure has a message; after a success with any option
 * seen (userdef) the map is sanitized; named reservations stay within
 * their table; Xen's clipping leaves no RAM above mem=.
 */
#include "xen/dom0-mem.h"
#include "tests/fuzz/fuzz.h"

static void linux_options(const struct e820_table *map, const char *cmdline)
{
	struct e820_table t;
	struct e820_user user;
	struct p2msim_err err;
	int rc;

	FUZZ_CHECK(e820_table_copy(&t, map) == 0, "copy");
	/* as "p2msim e820 --cmdline" and the kernel: sanitized first */
	(void)e820_sanitize(&t);
	p2msim_err_clear(&err);
	rc = e820_apply_cmdline(&t, cmdline, &user, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
	} else {
		FUZZ_CHECK(user.nr_named <= E820_USER_MAX_NAMED, "%u named", user.nr_named);
		for (unsigned int i = 0; i < user.nr_named; i++)
			FUZZ_CHECK(strlen(user.named[i].name) < E820_USER_NAME_LEN, "name");
		/* The user map may end up empty ("memmap=1P%" removes
		 * everything): Linux's sanitize only refuses fewer than two
		 * entries before dropping the empty ones, so the kernel goes on
		 * with no map, and so does p2msim. */
		if (user.userdef)
			fuzz_check_sanitized(&t);
		FUZZ_CHECK(e820_print(fuzz_null(), &t, E820_FMT_MEMMAP, NULL, &err) == 0, "print");
		FUZZ_CHECK(e820_print(fuzz_null(), &t, E820_FMT_LINUX, "user", &err) == 0, "print");
	}
	e820_table_free(&t);

	/* without a user struct and on the map as read (unsorted) */
	FUZZ_CHECK(e820_table_copy(&t, map) == 0, "copy");
	rc = e820_apply_cmdline(&t, cmdline, NULL, NULL);
	(void)rc;
	e820_table_free(&t);
}

static void xen_options(const struct e820_table *map, const char *cmdline)
{
	struct e820_table t;
	struct xen_clip_report rep;
	uint64_t mem, avail;

	xen_cmdline_mem_limits(cmdline, &mem, &avail);
	FUZZ_CHECK(e820_table_copy(&t, map) == 0, "copy");
	if (e820_sanitize_xen(&t) == 0 && xen_clip_mem(&t, mem, avail, &rep, NULL) == 0 && mem) {
		for (size_t i = 0; i < t.nr; i++)
			if (t.entries[i].type == E820_TYPE_RAM)
				FUZZ_CHECK(t.entries[i].addr + t.entries[i].size <= mem ||
						   t.entries[i].addr + t.entries[i].size <
							   t.entries[i].addr,
					   "RAM above mem=%#llx", (unsigned long long)mem);
	}
	e820_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_len;
	char *cmdline = fuzz_split_line(data, size, &rest, &rest_len);
	struct e820_table map;
	const char *end;

	fuzz_map_or_default(rest, rest_len, &map);
	(void)e820_memparse(cmdline, &end);
	FUZZ_CHECK(end >= cmdline && end <= cmdline + strlen(cmdline), "memparse end");
	linux_options(&map, cmdline);
	xen_options(&map, cmdline);
	e820_table_free(&map);
	free(cmdline);
	return 0;
}
