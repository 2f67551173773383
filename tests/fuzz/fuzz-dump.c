/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-dump.c - the P2M description parser with format
 * detection (dump_parse, DUMP_FMT_UNKNOWN): old and modern debugfs dumps,
 * run lists, lab captures, simulate's JSON result; then everything
 * "p2msim diff" does with a parsed list.
 *
 * Properties: a failed parse leaves an empty list and a message; a parsed
 * list is sorted, disjoint, merged, with consistent extent and counts; old
 * dumps' level lines are contiguous from 0; the list written as a run list
 * (and as JSON) reads back unchanged; a list differs from itself nowhere;
 * dump_runs_find finds every run by its ends.
 */
#include <errno.h>
#include <json-c/json.h>

#include "debugfs-dump/dump.h"
#include "tests/fuzz/fuzz.h"

static void check_runs(const struct dump_runs *r)
{
	uint64_t covered = 0, pages[P2M_NR_TYPES], sum = 0;

	FUZZ_CHECK(r->format != DUMP_FMT_UNKNOWN, "parsed list without a format");
	FUZZ_CHECK(r->nr <= r->alloc, "nr %zu > alloc %zu", r->nr, r->alloc);
	for (size_t i = 0; i < r->nr; i++) {
		const struct dump_run *x = &r->runs[i];

		FUZZ_CHECK(x->start < x->end, "run %zu empty", i);
		FUZZ_CHECK((unsigned int)x->type < P2M_NR_TYPES, "run %zu type %d", i,
			   (int)x->type);
		if (i) {
			FUZZ_CHECK(r->runs[i - 1].end <= x->start, "run %zu overlaps", i);
			FUZZ_CHECK(r->runs[i - 1].end < x->start || r->runs[i - 1].type != x->type,
				   "runs %zu and %zu not merged", i - 1, i);
		}
		covered += x->end - x->start;
		FUZZ_CHECK(dump_runs_find(r, x->start) == (long)i, "find start of run %zu", i);
		FUZZ_CHECK(dump_runs_find(r, x->end - 1) == (long)i, "find end of run %zu", i);
		if (i && r->runs[i - 1].end < x->start)
			FUZZ_CHECK(dump_runs_find(r, x->start - 1) == -1, "find in gap %zu", i);
	}
	FUZZ_CHECK(covered == r->covered, "covered %llu, runs sum to %llu",
		   (unsigned long long)r->covered, (unsigned long long)covered);
	if (r->nr)
		FUZZ_CHECK(r->start == r->runs[0].start && r->end == r->runs[r->nr - 1].end,
			   "extent");
	dump_runs_count(r, pages);
	for (unsigned int t = 0; t < P2M_NR_TYPES; t++)
		sum += pages[t];
	FUZZ_CHECK(sum == covered, "counts");
	for (size_t i = 0; i < r->nr_levels; i++) {
		const struct dump_level_run *l = &r->levels[i];

		FUZZ_CHECK(l->start <= l->end && l->start == (i ? r->levels[i - 1].end : 0),
			   "level run %zu not contiguous", i);
	}
}

static bool same_runs(const struct dump_runs *a, const struct dump_runs *b)
{
	if (a->nr != b->nr || a->covered != b->covered)
		return false;
	for (size_t i = 0; i < a->nr; i++)
		if (a->runs[i].start != b->runs[i].start || a->runs[i].end != b->runs[i].end ||
		    a->runs[i].type != b->runs[i].type)
			return false;
	return true;
}

static void round_trip_text(const struct dump_runs *r)
{
	struct dump_runs back;
	struct p2msim_err err;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	FUZZ_CHECK(f, "open_memstream");
	FUZZ_CHECK(dump_runs_write(f, r) == 0, "dump_runs_write");
	fclose(f);
	FUZZ_CHECK(dump_detect(text, len, NULL) == DUMP_FMT_RUNS, "written list not detected");
	rc = dump_parse(&back, text, len, "written", DUMP_FMT_UNKNOWN, &err);
	FUZZ_CHECK(rc == 0, "written run list does not parse: %s", err.msg);
	FUZZ_CHECK(same_runs(r, &back), "run list round trip changed the runs");
	dump_runs_free(&back);
	free(text);
}

static void round_trip_json(const struct dump_runs *r)
{
	struct json_object *arr, *root;
	struct dump_runs back;
	struct p2msim_err err;
	const char *text;
	int rc;

	rc = dump_runs_to_json(r, &arr, &err);
	if (rc) {
		FUZZ_CHECK(rc == -ERANGE && r->end > INT64_MAX, "dump_runs_to_json: %s", err.msg);
		return;
	}
	root = json_object_new_object();
	FUZZ_CHECK(root && json_object_object_add(root, "runs", arr) == 0, "json");
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	FUZZ_CHECK(text, "to_json_string");
	rc = dump_parse(&back, text, strlen(text), "json", DUMP_FMT_UNKNOWN, &err);
	if (r->nr) {
		FUZZ_CHECK(rc == 0, "JSON runs do not read back: %s", err.msg);
		FUZZ_CHECK(same_runs(r, &back), "JSON round trip changed the runs");
	} else {
		FUZZ_CHECK(rc < 0, "empty runs array accepted");
	}
	dump_runs_free(&back);
	json_object_put(root);
}

static void self_diff(const struct dump_runs *r, enum dump_quirk quirk, enum dump_scope scope)
{
	struct dump_diff_opts o;
	struct dump_diff d;
	struct p2msim_err err;

	dump_diff_opts_init(&o);
	o.quirk = quirk;
	o.scope = scope;
	FUZZ_CHECK(dump_diff_runs(&d, r, r, &o, &err) == 0, "diff: %s", err.msg);
	FUZZ_CHECK(d.nr == 0 && d.pages == 0, "a list differs from itself");
	FUZZ_CHECK(d.start == r->start && d.end == r->end, "self diff range");
	FUZZ_CHECK(dump_diff_write(fuzz_null(), &d) == 0, "write");
	FUZZ_CHECK(dump_diff_write_summary(fuzz_null(), &d, "a", "b") == 0, "summary");
	dump_diff_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_runs r;
	struct p2msim_err err;
	unsigned long line;
	enum dump_format fmt;
	int rc;

	fmt = dump_detect((const char *)data, size, &line);
	p2msim_err_clear(&err);
	rc = dump_parse(&r, (const char *)data, size, "fuzz", DUMP_FMT_UNKNOWN, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(!r.nr && !r.runs && !r.levels, "failed parse left runs");
		return 0;
	}
	FUZZ_CHECK(r.format == fmt, "dump_parse and dump_detect disagree");
	check_runs(&r);
	round_trip_text(&r);
	round_trip_json(&r);
	self_diff(&r, DUMP_QUIRK_OFF, DUMP_SCOPE_COMMON);
	self_diff(&r, DUMP_QUIRK_ON, DUMP_SCOPE_UNION);
	dump_runs_free(&r);

	/* every format forced, whatever the detection said */
	for (int f = DUMP_FMT_OLD; f < DUMP_NR_FORMATS; f++) {
		p2msim_err_clear(&err);
		rc = dump_parse(&r, (const char *)data, size, "fuzz", (enum dump_format)f, &err);
		if (rc)
			FUZZ_CHECK_ERR(rc, err);
		else
			check_runs(&r);
		dump_runs_free(&r);
	}
	return 0;
}
