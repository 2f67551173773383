/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-e820.c - E820 parsing in every format (e820_parse_buffer
 * detects them per line, JSON as a whole), then everything a parsed map
 * goes through in "p2msim e820": every printer, the JSON array, Linux's and
 * Xen's sanitize, the range edits and Xen's low-memory fix-up.
 *
 * Properties: a failed parse returns a negative code with a message and an
 * empty document; a parsed document has at least one map, each map a kind
 * and at most E820_MAX_ENTRIES entries; sanitize either succeeds with a
 * sorted disjoint map or leaves the map unchanged; a sanitized map printed
 * in JSON reads back as the same map.
 */
#include <errno.h>

#include <json-c/json.h>

#include "xen/dom0-mem.h"
#include "tests/fuzz/fuzz.h"

static const enum e820_format formats[] = {
	E820_FMT_LINUX, E820_FMT_LINUX_OLD, E820_FMT_XEN,   E820_FMT_XEN_OLD,
	E820_FMT_TABLE, E820_FMT_JSON,	    E820_FMT_IOMEM, E820_FMT_MEMMAP,
};

static void print_all(const struct e820_table *t, const char *who)
{
	struct p2msim_err err;

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		int rc = e820_print(fuzz_null(), t, formats[f], who, &err);

		FUZZ_CHECK(rc == 0, "e820_print(%s): %d %s", e820_format_name(formats[f]), rc,
			   err.msg);
	}
	e820_print_linux_style(fuzz_null(), t, who, E820_NAME_LINUX_KERN);
	e820_print_linux_style(fuzz_null(), t, who, E820_NAME_IOMEM);
}

/* A sanitized map printed as JSON reads back as itself. */
static void json_round_trip(const struct e820_table *t)
{
	struct json_object *arr = e820_table_to_json(t);
	struct e820_doc doc;
	struct p2msim_err err;
	const char *text;
	int rc;

	FUZZ_CHECK(arr, "e820_table_to_json failed");
	text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	FUZZ_CHECK(text, "json_object_to_json_string_ext failed");
	if (!t->nr) {
		json_object_put(arr);
		return;
	}
	rc = e820_parse_buffer("round-trip", text, strlen(text), &doc, &err);
	FUZZ_CHECK(rc == 0, "sanitized map does not read back from JSON: %s\n%s", err.msg, text);
	FUZZ_CHECK(doc.nr_maps == 1 && e820_table_equal(&doc.maps[0].table, t),
		   "JSON round trip changed the map: %s", text);
	e820_doc_free(&doc);
	json_object_put(arr);
}

static void sanitize_one(const struct e820_table *in, bool xen)
{
	struct e820_table t;
	int rc;

	FUZZ_CHECK(e820_table_copy(&t, in) == 0, "copy");
	rc = xen ? e820_sanitize_xen(&t) : e820_sanitize(&t);
	if (rc) {
		FUZZ_CHECK(rc == -1 || rc == -E2BIG, "sanitize: %d", rc);
		FUZZ_CHECK(e820_table_equal(&t, in), "failed sanitize changed the map");
	} else {
		fuzz_check_sanitized(&t);
		print_all(&t, "sanitized");
		json_round_trip(&t);
		/* sanitizing twice changes nothing */
		{
			struct e820_table again;

			FUZZ_CHECK(e820_table_copy(&again, &t) == 0, "copy");
			rc = xen ? e820_sanitize_xen(&again) : e820_sanitize(&again);
			FUZZ_CHECK(rc == 0 || (rc == -1 && t.nr < 2), "second sanitize: %d", rc);
			FUZZ_CHECK(e820_table_equal(&again, &t), "sanitize is not idempotent");
			e820_table_free(&again);
		}
	}
	e820_table_free(&t);
}

/* The range edits, with a range taken from the map itself. */
static void edits(const struct e820_table *in)
{
	struct e820_table t;
	const struct e820_entry *e;
	uint64_t a, s;

	if (!in->nr)
		return;
	e = &in->entries[in->nr / 2];
	a = e->addr + e->size / 4;
	s = e->size / 2 + 1;
	FUZZ_CHECK(e820_table_copy(&t, in) == 0, "copy");
	if (e820_update_range(&t, a, s, E820_TYPE_RAM, E820_TYPE_RESERVED) == 0 &&
	    e820_remove_range(&t, e->addr, e->size, E820_TYPE_ACPI, true) == 0 &&
	    e820_remove_range(&t, a, s, 0, false) == 0 && e820_sanitize(&t) == 0)
		fuzz_check_sanitized(&t);
	(void)e820_total(&t, E820_TYPE_RAM);
	e820_table_free(&t);

	FUZZ_CHECK(e820_table_copy(&t, in) == 0, "copy");
	if (xen_e820_fixup_low(&t) == 0)
		print_all(&t, "fixup");
	e820_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e820_doc doc;
	struct p2msim_err err;
	int rc;

	p2msim_err_clear(&err);
	rc = e820_parse_buffer("fuzz", (const char *)data, size, &doc, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(!doc.nr_maps && !doc.maps && !doc.name, "failed parse left a document");
		return 0;
	}
	FUZZ_CHECK(doc.nr_maps > 0 && doc.name, "parsed document without a map");
	for (size_t i = 0; i < doc.nr_maps; i++) {
		const struct e820_map *m = &doc.maps[i];

		FUZZ_CHECK(m->kind && m->table.nr <= E820_MAX_ENTRIES &&
				   m->table.nr <= m->table.alloc,
			   "map %zu: kind %p nr %zu", i, (void *)m->kind, m->table.nr);
		print_all(&m->table, m->header ? m->header : "BIOS-e820");
		sanitize_one(&m->table, false);
		sanitize_one(&m->table, true);
		edits(&m->table);
	}
	e820_doc_free(&doc);
	return 0;
}
