/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-json.c - JSON input: the E820 array ("p2msim e820
 * --format json", a bare array or an object with an "e820" key) and the
 * simulate --json result read by "p2msim diff" (its "runs" array), from
 * the same bytes.  Seeded with JSON only, with a JSON dictionary, so the
 * fuzzer spends its time inside json-c's output rather than on detection.
 *
 * Properties: as in fuzz-e820 and fuzz-dump (errors with messages, nothing
 * left behind), plus: what parses as E820 JSON re-prints as JSON that
 * reads back the same; what parses as runs JSON is a well-formed list.
 */
#include <json-c/json.h>

#include "debugfs-dump/dump.h"
#include "tests/fuzz/fuzz.h"

static void e820_json(const uint8_t *data, size_t size)
{
	struct e820_doc doc, back;
	struct p2msim_err err;
	struct json_object *arr;
	const char *text;
	int rc;

	p2msim_err_clear(&err);
	rc = e820_parse_buffer("fuzz.json", (const char *)data, size, &doc, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(!doc.nr_maps && !doc.maps, "failed parse left maps");
		return;
	}
	for (size_t i = 0; i < doc.nr_maps; i++) {
		const struct e820_table *t = &doc.maps[i].table;
		bool has_empty = false;

		for (size_t k = 0; k < t->nr; k++)
			if (!t->entries[k].size)
				has_empty = true;
		arr = e820_table_to_json(t);
		FUZZ_CHECK(arr, "to_json");
		text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY);
		FUZZ_CHECK(text, "to_json_string");
		/* an empty entry has no inclusive end to print */
		if (t->nr && !has_empty) {
			rc = e820_parse_buffer("back.json", text, strlen(text), &back, &err);
			FUZZ_CHECK(rc == 0, "printed JSON does not read back: %s\n%s", err.msg,
				   text);
			FUZZ_CHECK(e820_table_equal(&back.maps[0].table, t),
				   "JSON round trip changed map %zu", i);
			e820_doc_free(&back);
		}
		json_object_put(arr);
	}
	e820_doc_free(&doc);
}

static void runs_json(const uint8_t *data, size_t size)
{
	struct dump_runs r;
	struct p2msim_err err;
	int rc;

	p2msim_err_clear(&err);
	rc = dump_parse(&r, (const char *)data, size, "fuzz.json", DUMP_FMT_JSON, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(!r.nr && !r.runs, "failed parse left runs");
		return;
	}
	FUZZ_CHECK(r.format == DUMP_FMT_JSON && r.nr > 0, "JSON runs");
	for (size_t i = 0; i < r.nr; i++) {
		FUZZ_CHECK(r.runs[i].start < r.runs[i].end, "empty run");
		if (i)
			FUZZ_CHECK(r.runs[i - 1].end <= r.runs[i].start, "overlap");
	}
	FUZZ_CHECK(dump_runs_write(fuzz_null(), &r) == 0, "write");
	dump_runs_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	e820_json(data, size);
	runs_json(data, size);
	return 0;
}
