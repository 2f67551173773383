/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/parse-json.c - the "runs" array of "p2msim simulate --json"
 * (doc/cli-json.md#json: half-open [start, end) pfn ranges, semantic types), read
 * with json-c.
 *
 * json-c keeps no positions for the objects it returns, so a message about
 * runs[k] finds its line with a small scan that only counts brackets and
 * skips strings in text json-c has already accepted.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "debugfs-dump/dump-internal.h"

static unsigned long line_at(const char *buf, size_t len, size_t off)
{
	unsigned long line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* Offset just past the string starting at buf[i] == '"'. */
static size_t skip_string(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return len;
}

static size_t skip_space(const char *buf, size_t len, size_t i)
{
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return i;
}

/* Line of element @k of the top-level "runs" array (1 if not found). */
static unsigned long run_line(const char *buf, size_t len, size_t k)
{
	size_t i = 0, n = 0;
	int depth = 0, runs_depth = -1;

	while (i < len) {
		char ch = buf[i];

		if (ch == '"') {
			size_t e = skip_string(buf, len, i);

			if (depth == 1 && runs_depth < 0 && e - i == 6 &&
			    !memcmp(buf + i, "\"runs\"", 6)) {
				size_t j = skip_space(buf, len, e);

				if (j < len && buf[j] == ':') {
					j = skip_space(buf, len, j + 1);
					if (j < len && buf[j] == '[')
						runs_depth = depth + 1;
				}
			}
			i = e;
			continue;
		}
		if (ch == '{' || ch == '[') {
			if (ch == '{' && depth == runs_depth && n++ == k)
				return line_at(buf, len, i);
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == runs_depth && ch == ']')
				break;
			depth--;
		}
		i++;
	}
	return 1;
}

struct jrun {
	uint64_t start, end;
	enum p2m_type type;
	size_t idx;
};

static int cmp_jrun(const void *a, const void *b)
{
	const struct jrun *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct jctx {
	const char *buf, *name;
	size_t len;
	struct p2msim_err *err;
};

static int jerr(const struct jctx *x, size_t idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int jerr(const struct jctx *x, size_t idx, const char *fmt, ...)
{
	char msg[P2MSIM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return p2msim_err_set(x->err, -EINVAL, "%s:%lu: runs[%zu]: %s", x->name,
			      run_line(x->buf, x->len, idx), idx, msg);
}

static int get_pfn(const struct jctx *x, size_t idx, struct json_object *o, const char *key,
		   uint64_t *v)
{
	struct json_object *n;

	if (!json_object_object_get_ex(o, key, &n))
		return jerr(x, idx, "no \"%s\"", key);
	if (!json_object_is_type(n, json_type_int))
		return jerr(x, idx, "\"%s\" is not an integer", key);
	if (json_object_get_int64(n) < 0)
		return jerr(x, idx, "\"%s\" is negative", key);
	*v = json_object_get_uint64(n);
	return 0;
}

static int get_run(const struct jctx *x, size_t idx, struct json_object *o, struct jrun *jr)
{
	static const char *const names[P2M_NR_TYPES] = {
		[P2M_MISSING] = "missing", [P2M_IDENTITY] = "identity", [P2M_PFN] = "pfn",
		[P2M_FOREIGN] = "foreign", [P2M_ABNORMAL] = "abnormal",
	};
	struct json_object *t;
	const char *s;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return jerr(x, idx, "not an object");
	jr->idx = idx;
	rc = get_pfn(x, idx, o, "start", &jr->start);
	if (rc == 0)
		rc = get_pfn(x, idx, o, "end", &jr->end);
	if (rc < 0)
		return rc;
	if (jr->end <= jr->start)
		return jerr(x, idx, "empty or reversed range [0x%" PRIx64 ", 0x%" PRIx64 ")",
			    jr->start, jr->end);
	if (!json_object_object_get_ex(o, "type", &t) || !json_object_is_type(t, json_type_string))
		return jerr(x, idx, "no \"type\" string");
	s = json_object_get_string(t);
	for (unsigned int i = 0; i < P2M_NR_TYPES; i++)
		if (!strcmp(s, names[i])) {
			jr->type = (enum p2m_type)i;
			return 0;
		}
	return jerr(x, idx, "unknown type \"%.40s\"", s);
}

static int parse_root(const struct jctx *x, struct json_object *root, struct dump_runs *r)
{
	struct json_object *runs;
	struct jrun *jr;
	size_t n;
	int rc = 0;

	if (!json_object_is_type(root, json_type_object))
		return p2msim_err_set(x->err, -EINVAL, "%s:1: the JSON value is not an object",
				      x->name);
	if (!json_object_object_get_ex(root, "runs", &runs))
		return p2msim_err_set(x->err, -EINVAL,
				      "%s:1: no \"runs\" key (simulate --json "
				      "prints one)",
				      x->name);
	if (!json_object_is_type(runs, json_type_array))
		return p2msim_err_set(x->err, -EINVAL, "%s:%lu: \"runs\" is not an array", x->name,
				      run_line(x->buf, x->len, 0));
	n = json_object_array_length(runs);
	if (!n)
		return p2msim_err_set(x->err, -EINVAL, "%s:%lu: \"runs\" is empty", x->name,
				      run_line(x->buf, x->len, 0));
	jr = calloc(n, sizeof(*jr));
	if (!jr)
		return p2msim_err_set(x->err, -ENOMEM, "%s: out of memory", x->name);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = get_run(x, i, json_object_array_get_idx(runs, i), &jr[i]);
	if (rc == 0)
		qsort(jr, n, sizeof(*jr), cmp_jrun);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = dump_runs_add(r, jr[i].start, jr[i].end, jr[i].type, x->err);
		if (rc < 0 && x->err)
			p2msim_err_prefix(x->err, "%s:%lu: runs[%zu]", x->name,
					  run_line(x->buf, x->len, jr[i].idx), jr[i].idx);
	}
	free(jr);
	return rc;
}

int dd_parse_json(struct dump_runs *r, const char *buf, size_t len, const char *name,
		  struct p2msim_err *err)
{
	struct jctx x = { buf, name, len, err };
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error je;
	size_t end;
	int rc;

	if (len > INT_MAX)
		return p2msim_err_set(err, -EFBIG, "%s: JSON input too large", name);
	if (memchr(buf, '\0', len))
		return p2msim_err_set(
			err, -EINVAL, "%s:%lu: NUL byte in JSON input", name,
			line_at(buf, len, (size_t)((const char *)memchr(buf, '\0', len) - buf)));
	tok = json_tokener_new();
	if (!tok)
		return p2msim_err_set(err, -ENOMEM, "%s: out of memory", name);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (je == json_tokener_continue || (!root && je == json_tokener_success)) {
		json_object_put(root);
		return p2msim_err_set(err, -EINVAL, "%s:%lu: JSON ends too early", name,
				      line_at(buf, len, len));
	}
	if (je != json_tokener_success) {
		json_object_put(root);
		return p2msim_err_set(err, -EINVAL, "%s:%lu: JSON: %s", name,
				      line_at(buf, len, end), json_tokener_error_desc(je));
	}
	while (end < len &&
	       (buf[end] == ' ' || buf[end] == '\t' || buf[end] == '\n' || buf[end] == '\r'))
		end++;
	if (end < len) {
		json_object_put(root);
		return p2msim_err_set(err, -EINVAL, "%s:%lu: text after the JSON value", name,
				      line_at(buf, len, end));
	}
	rc = parse_root(&x, root, r);
	json_object_put(root);
	return rc;
}
