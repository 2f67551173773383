/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/runs.c - the in-memory run list, its text form and its JSON
 * form.  See dump.h for the run list format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "debugfs-dump/dump-internal.h"

const char *dump_format_name(enum dump_format fmt)
{
	static const char *const names[DUMP_NR_FORMATS] = {
		[DUMP_FMT_UNKNOWN] = "unknown format",	   [DUMP_FMT_OLD] = "old debugfs dump",
		[DUMP_FMT_MODERN] = "modern debugfs dump", [DUMP_FMT_RUNS] = "run list",
		[DUMP_FMT_LAB] = "lab P2M capture",	   [DUMP_FMT_JSON] = "JSON result",
	};
	return (unsigned int)fmt < DUMP_NR_FORMATS ? names[fmt] : "?";
}

const char *dump_level_name(enum dump_level level)
{
	static const char *const names[DUMP_NR_LEVELS] = {
		[DUMP_LEVEL_TOP] = "top",     [DUMP_LEVEL_MIDDLE] = "middle",
		[DUMP_LEVEL_ENTRY] = "entry", [DUMP_LEVEL_ABNORMAL] = "abnormal",
		[DUMP_LEVEL_ERROR] = "error",
	};
	return (unsigned int)level < DUMP_NR_LEVELS ? names[level] : "?";
}

const char *dump_type_name(unsigned int type)
{
	return type == DUMP_TYPE_NONE ? "none" : p2m_type_name((enum p2m_type)type);
}

void dump_runs_init(struct dump_runs *r)
{
	memset(r, 0, sizeof(*r));
}

void dump_runs_free(struct dump_runs *r)
{
	free(r->runs);
	free(r->levels);
	dump_runs_init(r);
}

static int grow(void **arr, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc ? *alloc : 16;
	void *p;

	if (need <= *alloc)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -ENOMEM;
		n *= 2;
	}
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*alloc = n;
	return 0;
}

int dump_runs_add(struct dump_runs *r, uint64_t start, uint64_t end, enum p2m_type type,
		  struct p2msim_err *err)
{
	struct dump_run *last = r->nr ? &r->runs[r->nr - 1] : NULL;

	if ((unsigned int)type >= P2M_NR_TYPES)
		return p2msim_err_set(err, -EINVAL, "bad run type %d", (int)type);
	if (end < start)
		return p2msim_err_set(err, -EINVAL,
				      "range 0x%" PRIx64 "-0x%" PRIx64 " ends before it starts",
				      start, end);
	if (end == start)
		return 0;
	if (last && start < last->end)
		return p2msim_err_set(err, -EINVAL,
				      "range 0x%" PRIx64 "-0x%" PRIx64 " overlaps or precedes "
				      "0x%" PRIx64 "-0x%" PRIx64,
				      start, end, last->start, last->end);
	if (last && start == last->end && type == last->type) {
		last->end = end;
	} else {
		if (grow((void **)&r->runs, &r->alloc, r->nr + 1, sizeof(*r->runs)) < 0)
			return p2msim_err_set(err, -ENOMEM, "out of memory for runs");
		r->runs[r->nr++] = (struct dump_run){ start, end, type };
		if (r->nr == 1)
			r->start = start;
	}
	r->end = end;
	r->covered += end - start;
	return 0;
}

int dd_runs_add_level(struct dump_runs *r, uint64_t start, uint64_t end, enum dump_level level,
		      struct p2msim_err *err)
{
	struct dump_level_run *last = r->nr_levels ? &r->levels[r->nr_levels - 1] : NULL;

	if (end <= start)
		return 0;
	if (last && start == last->end && level == last->level) {
		last->end = end;
		return 0;
	}
	if (grow((void **)&r->levels, &r->alloc_levels, r->nr_levels + 1, sizeof(*r->levels)) < 0)
		return p2msim_err_set(err, -ENOMEM, "out of memory for levels");
	r->levels[r->nr_levels++] = (struct dump_level_run){ start, end, level };
	return 0;
}

long dump_runs_find(const struct dump_runs *r, uint64_t pfn)
{
	size_t lo = 0, hi = r->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < r->runs[mid].start)
			hi = mid;
		else if (pfn >= r->runs[mid].end)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

void dump_runs_count(const struct dump_runs *r, uint64_t pages[P2M_NR_TYPES])
{
	memset(pages, 0, sizeof(uint64_t) * P2M_NR_TYPES);
	for (size_t i = 0; i < r->nr; i++)
		pages[r->runs[i].type] += r->runs[i].end - r->runs[i].start;
}

int dump_runs_from_p2m(struct dump_runs *r, const struct p2m *p2m, uint64_t start, uint64_t end,
		       struct p2msim_err *err)
{
	struct p2m_iter it;
	struct p2m_run run;
	int rc;

	dump_runs_init(r);
	p2m_iter_init(&it, p2m, start, end, 0);
	while (p2m_iter_next(&it, &run)) {
		rc = dump_runs_add(r, run.start, run.end, run.type, err);
		if (rc < 0) {
			dump_runs_free(r);
			return rc;
		}
	}
	return 0;
}

int dump_runs_write(FILE *f, const struct dump_runs *r)
{
	uint64_t pages[P2M_NR_TYPES];

	fputs("# p2msim runs v1: [start, end) pfn ranges in hex, type, pages\n", f);
	for (size_t i = 0; i < r->nr; i++) {
		const struct dump_run *run = &r->runs[i];

		fprintf(f, "0x%" PRIx64 "-0x%" PRIx64 " %s %" PRIu64 "\n", run->start, run->end,
			p2m_type_name(run->type), run->end - run->start);
	}
	dump_runs_count(r, pages);
	fprintf(f,
		"# pages %" PRIu64 ": pfn %" PRIu64 " identity %" PRIu64 " missing %" PRIu64
		" foreign %" PRIu64,
		r->covered, pages[P2M_PFN], pages[P2M_IDENTITY], pages[P2M_MISSING],
		pages[P2M_FOREIGN]);
	if (pages[P2M_ABNORMAL])
		fprintf(f, " abnormal %" PRIu64, pages[P2M_ABNORMAL]);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

static int json_add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	struct json_object *n = json_object_new_int64((int64_t)v);

	if (!n)
		return -ENOMEM;
	if (json_object_object_add(obj, key, n) < 0) {
		json_object_put(n);
		return -ENOMEM;
	}
	return 0;
}

int dump_runs_to_json(const struct dump_runs *r, struct json_object **out, struct p2msim_err *err)
{
	struct json_object *arr = json_object_new_array();

	*out = NULL;
	if (!arr)
		goto nomem;
	for (size_t i = 0; i < r->nr; i++) {
		struct json_object *o = json_object_new_object(), *t;

		if (!o)
			goto nomem;
		if (json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			goto nomem;
		}
		if (r->runs[i].end > INT64_MAX) {
			json_object_put(arr);
			return p2msim_err_set(err, -ERANGE,
					      "pfn 0x%" PRIx64 " does not fit "
					      "a JSON integer",
					      r->runs[i].end);
		}
		if (json_add_u64(o, "start", r->runs[i].start) < 0 ||
		    json_add_u64(o, "end", r->runs[i].end) < 0)
			goto nomem;
		t = json_object_new_string(p2m_type_name(r->runs[i].type));
		if (!t)
			goto nomem;
		if (json_object_object_add(o, "type", t) < 0) {
			json_object_put(t);
			goto nomem;
		}
	}
	*out = arr;
	return 0;
nomem:
	json_object_put(arr);
	return p2msim_err_set(err, -ENOMEM, "out of memory for the JSON runs");
}
