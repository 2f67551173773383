/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-xenlog.c - the Xen boot log reader (xl dmesg, serial
 * consoles, mails), then what the simulation does with a log: dom0's
 * nr_pages from the builder's lines, dom0_mem on Xen's map, Xen's
 * mem=/availmem= clipping.
 *
 * Then XENMEM_machine_memory_map from the log (xenlog_machine_map: Xen's
 * map with the MMIO ranges it keeps from dom0 inserted) and libxl's
 * e820_host of that map for a domU of the dom0 size, in each era.
 *
 * Properties: a failure has a message and leaves an empty, freeable log;
 * ranges that were read are marked set with a line number; the map Xen
 * printed has entries and a line; the dom0 allocation stays within the
 * memory available; the machine map is Xen's map plus the reported
 * number of RESERVED entries, with the same bytes of every other type.
 */
#include "xen/dom0-mem.h"
#include "xen/machine-map.h"
#include "xen/xenlog.h"
#include "tests/fuzz/fuzz.h"

static void check_range(const struct xenlog_range *r, const char *what)
{
	FUZZ_CHECK(!r->set || r->line > 0, "%s set without a line", what);
}

/* Bytes of every type but RESERVED (the added entries are RESERVED);
 * wraps like the sizes it adds, which is fine for a comparison. */
static uint64_t not_reserved_bytes(const struct e820_table *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->nr; i++)
		if (t->entries[i].type != E820_TYPE_RESERVED)
			n += t->entries[i].size;
	return n;
}

static void machine_map(const struct xenlog *log, uint64_t nr_pages)
{
	static const enum xen_libxl_e820_era eras[] = { XEN_LIBXL_E820_MODERN, XEN_LIBXL_E820_2011,
							XEN_LIBXL_E820_2011_DROP_ISLANDS };
	struct e820_table mm, guest;
	struct p2msim_err err;
	unsigned int added = 0;
	int rc;

	e820_table_init(&mm);
	p2msim_err_clear(&err);
	rc = xenlog_machine_map(log, &mm, &added, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		e820_table_free(&mm);
		return;
	}
	FUZZ_CHECK(mm.nr == log->e820.nr + added, "machine map: %zu entries, Xen's %zu + %u", mm.nr,
		   log->e820.nr, added);
	FUZZ_CHECK(not_reserved_bytes(&mm) == not_reserved_bytes(&log->e820),
		   "machine map changed more than RESERVED entries");
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++) {
		struct xen_libxl_e820_opts o = { nr_pages * 4, nr_pages * 4, 0, eras[i] };

		e820_table_init(&guest);
		p2msim_err_clear(&err);
		rc = xen_libxl_e820_host(&mm, &o, &guest, &err);
		if (rc)
			FUZZ_CHECK_ERR(rc, err);
		else
			e820_print_xen(fuzz_null(), &guest);
		e820_table_free(&guest);
	}
	e820_table_free(&mm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xenlog log;
	struct p2msim_err err;
	uint64_t nr, max;
	int rc;

	p2msim_err_clear(&err);
	rc = xenlog_parse_buffer("fuzz", (const char *)data, size, &log, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(!log.name && !log.cmdline && !log.e820.nr && !log.e820.entries,
			   "failed parse left data behind");
		xenlog_free(&log); /* must be harmless */
		return 0;
	}
	FUZZ_CHECK(log.name, "no name");
	check_range(&log.kernel_paddr, "kernel paddr");
	check_range(&log.alloc, "alloc");
	check_range(&log.initrd, "initrd");
	check_range(&log.v_p2m, "p2m");
	check_range(&log.v_total, "total");
	if (log.e820.nr) {
		FUZZ_CHECK(log.e820_line > 0, "map without a line");
		e820_print_xen(fuzz_null(), &log.e820);
	}
	if (xenlog_dom0_nr_pages(&log, &nr) == 0)
		FUZZ_CHECK(log.alloc.set && log.pages_to_allocate_set, "nr_pages from nothing");

	if (log.e820.nr) {
		struct e820_table t;

		log.dom0_mem.avail_pages = 0;
		p2msim_err_clear(&err);
		rc = dom0_mem_compute(&log.dom0_mem, &log.e820, &nr, &max, &err);
		if (rc)
			FUZZ_CHECK_ERR(rc, err);
		else
			FUZZ_CHECK(nr <= dom0_mem_ram_pages(&log.e820), "nr_pages above RAM");

		FUZZ_CHECK(e820_table_copy(&t, &log.e820) == 0, "copy");
		if (e820_sanitize_xen(&t) == 0)
			(void)xen_clip_mem(&t, log.xen_mem_limit, log.xen_availmem, NULL, NULL);
		(void)xen_e820_fixup_low(&t);
		e820_table_free(&t);
		machine_map(&log, rc ? 0x40000 : nr);
	}
	xenlog_free(&log);
	xenlog_free(&log); /* a freed log is empty and may be freed again */
	return 0;
}
