/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-dom0-mem.c - Xen's dom0_mem= (dom0_mem_parse, the
 * options of a whole Xen command line) and dom0_compute_nr_pages
 * (dom0_mem_compute) on a machine map.
 *
 * Input: "SPEC\nMAP": the first line is the dom0_mem value or command
 * line, the rest a map (the 1-1 series' example map when it does not
 * parse).  The input's length picks the IOMMU flag.
 *
 * Properties: errors carry a message; a computed allocation never exceeds
 * the memory available; a maximum reservation fits Xen's unsigned int
 * unless there is none (UINT64_MAX).
 */
#include "xen/dom0-mem.h"
#include "tests/fuzz/fuzz.h"

static void compute(struct dom0_mem *dm, const struct e820_table *map, uint64_t avail, bool iommu)
{
	struct p2msim_err err;
	uint64_t nr, max;
	int rc;

	dm->avail_pages = avail;
	dm->iommu = iommu;
	p2msim_err_clear(&err);
	rc = dom0_mem_compute(dm, map, &nr, &max, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		return;
	}
	FUZZ_CHECK(nr <= (avail ? avail : dom0_mem_ram_pages(map)),
		   "nr_pages %llu above the available memory", (unsigned long long)nr);
	FUZZ_CHECK(max == UINT64_MAX || max <= UINT32_MAX, "max_pages %llu",
		   (unsigned long long)max);
	FUZZ_CHECK(dm->max.set || max == UINT64_MAX, "max_pages without max:");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest;
	size_t rest_len;
	char *spec = fuzz_split_line(data, size, &rest, &rest_len);
	struct e820_table map;
	struct dom0_mem dm;
	struct p2msim_err err;
	uint64_t ram;
	const char *end;
	int rc;

	fuzz_map_or_default(rest, rest_len, &map);
	ram = dom0_mem_ram_pages(&map);
	(void)xen_parse_size(spec, &end);
	FUZZ_CHECK(end >= spec && end <= spec + strlen(spec), "xen_parse_size end");

	p2msim_err_clear(&err);
	rc = dom0_mem_parse(spec, &dm, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
	} else {
		compute(&dm, &map, 0, false);
		compute(&dm, &map, 0, size & 1);
		compute(&dm, &map, ram / 3 + 1, size & 2);
		compute(&dm, &map, UINT64_MAX, false);
	}

	p2msim_err_clear(&err);
	rc = dom0_mem_from_xen_cmdline(spec, &dm, &err);
	if (rc)
		FUZZ_CHECK_ERR(rc, err);
	else
		compute(&dm, &map, 0, size & 1);

	e820_table_free(&map);
	free(spec);
	return 0;
}
