/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-json.c - maps as JSON: an array of {"start", "end" (inclusive)
 * or "size", "type"} objects, bare or as the "e820" member of an object
 * (the simulate --json output).  Numbers are bytes, as JSON integers or
 * strings ("0x..." or decimal); types by name or number.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "e820/e820-parse.h"

/* Where a byte-by-byte scan of a JSON text is: its line, and whether it is
 * inside a string (json-c keeps no positions, so error lines come from
 * such scans). */
struct json_scan {
	unsigned int line;
	bool in_str, esc;
};

/* Step over @c; true if it is outside every string and not a quote. */
static bool json_scan_syntax(struct json_scan *js, char c)
{
	if (c == '\n')
		js->line++;
	if (js->in_str) {
		if (js->esc)
			js->esc = false;
		else if (c == '\\')
			js->esc = true;
		else if (c == '"')
			js->in_str = false;
		return false;
	}
	if (c == '"') {
		js->in_str = true;
		return false;
	}
	return true;
}

/* Lines of the elements of the e820 array (objects or arrays opened at
 * depth want_depth + 1), in one scan for brace depth outside strings:
 * json-c keeps no positions.  lines[i] stays 1 if not found. */
static void json_elem_lines(const char *buf, size_t len, size_t want_depth, unsigned int *lines,
			    size_t n)
{
	struct json_scan js = { .line = 1 };
	size_t depth = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		lines[i] = 1;
	for (size_t i = 0; i < len && seen < n; i++) {
		char c = buf[i];

		if (!json_scan_syntax(&js, c))
			continue;
		if (c == '{' || c == '[') {
			depth++;
			if (depth == want_depth + 1)
				lines[seen++] = js.line;
		} else if (c == '}' || c == ']') {
			if (depth)
				depth--;
		}
	}
}

static int json_u64(struct json_object *v, uint64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		/* json-c keeps integers above INT64_MAX as unsigned; negative
		 * ones read as 0 through get_uint64 */
		if (json_object_get_int64(v) < 0)
			return -EINVAL;
		*out = json_object_get_uint64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v), *end;
		uint64_t x;
		int n;

		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			n = ep_scan_hex(s, true, &x);
		else
			n = parse_scan_u64(s, 10, &x);
		if (n <= 0)
			return -EINVAL;
		end = s + n;
		if (*end)
			return -EINVAL;
		*out = x;
		return 0;
	}
	return -EINVAL;
}

/* json-c clamps integer literals beyond 64 bits to UINT64_MAX without a
 * word; find such a literal first.  Returns its line, or 0. */
static unsigned int json_overflowing_number(const char *buf, size_t len)
{
	struct json_scan js = { .line = 1 };

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (!json_scan_syntax(&js, c))
			continue;
		if (is_digit(c) && (!i || !(is_alnum(buf[i - 1]) || buf[i - 1] == '.'))) {
			size_t j = i;
			uint64_t v = 0;
			bool over = false;

			for (; j < len && is_digit(buf[j]); j++) {
				unsigned int d = (unsigned int)(buf[j] - '0');

				if (v > (UINT64_MAX - d) / 10)
					over = true;
				else
					v = v * 10 + d;
			}
			if (over && !(j < len && (buf[j] == '.' || buf[j] == 'e' || buf[j] == 'E')))
				return js.line;
			i = j - 1;
		}
	}
	return 0;
}

int ep_parse_json(struct parser *p)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL, *arr = NULL;
	unsigned int *lines = NULL;
	size_t depth = 1;
	int rc = 0;

	if (!tok)
		return perr(p, 0, -ENOMEM, "out of memory");
	if (p->t.len > INT_MAX) {
		json_tokener_free(tok);
		return perr(p, 0, -EINVAL, "JSON input too large");
	}
	root = json_tokener_parse_ex(tok, p->t.buf, (int)p->t.len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < p->t.len) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		size_t off = json_tokener_get_parse_end(tok), col = 1;
		unsigned int line = 1;
		bool trailing = root && jerr == json_tokener_success;

		/* json-c stops at the end of a cut text asking for more: the
		 * place is just after its last token */
		if (jerr == json_tokener_continue) {
			off = p->t.len;
			while (off &&
			       (text_is_space(p->t.buf[off - 1]) || p->t.buf[off - 1] == '\n'))
				off--;
		}
		for (size_t i = 0; i < off && i < p->t.len; i++) {
			col++;
			if (p->t.buf[i] == '\n') {
				line++;
				col = 1;
			}
		}
		if (trailing) {
			const char *r = p->t.buf + off;

			while (r < p->t.buf + p->t.len && (text_is_space(*r) || *r == '\n'))
				r++;
			if (r == p->t.buf + p->t.len)
				goto parsed;
		}
		if (jerr == json_tokener_continue)
			rc = perr(p, line, -EINVAL,
				  "invalid JSON: unexpected end of the input at "
				  "column %zu (the text is cut: a value, array or object is not "
				  "closed)",
				  col);
		else
			rc = perr(p, line, -EINVAL, "invalid JSON at column %zu: %s", col,
				  trailing ? "text after the JSON value" :
					     json_tokener_error_desc(jerr));
		goto out;
	}
parsed : {
	unsigned int bad = json_overflowing_number(p->t.buf, p->t.len);

	if (bad) {
		rc = perr(p, bad, -EINVAL, "a number does not fit in 64 bits");
		goto out;
	}
}
	if (json_object_is_type(root, json_type_object)) {
		if (!json_object_object_get_ex(root, "e820", &arr)) {
			rc = perr(p, 1, -EINVAL, "JSON object has no \"e820\" array");
			goto out;
		}
		depth = 2;
	} else {
		arr = root;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		rc = perr(p, 1, -EINVAL, "\"e820\" is not a JSON array");
		goto out;
	}
	p->cur = ep_doc_new_map(p->doc, NULL, 0, 1, "json");
	lines = malloc((json_object_array_length(arr) + 1) * sizeof(*lines));
	if (!p->cur || !lines) {
		rc = perr(p, 0, -ENOMEM, "out of memory");
		goto out;
	}
	json_elem_lines(p->t.buf, p->t.len, depth, lines, json_object_array_length(arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		unsigned int line = lines[i];
		struct line_info li;

		memset(&li, 0, sizeof(li));
		strcpy(li.kindname, "json");
		li.inclusive = true;
		if (!json_object_is_type(o, json_type_object)) {
			rc = perr(p, line, -EINVAL, "e820[%zu] is not an object", i);
			goto out;
		}
		if (!json_object_object_get_ex(o, "start", &v) || json_u64(v, &li.start)) {
			rc = perr(
				p, line, -EINVAL,
				"e820[%zu]: \"start\" missing or not a number of bytes in 64 bits",
				i);
			goto out;
		}
		if (json_object_object_get_ex(o, "end", &v)) {
			if (json_u64(v, &li.end)) {
				rc = perr(p, line, -EINVAL,
					  "e820[%zu]: \"end\" is not a number of bytes in 64 bits",
					  i);
				goto out;
			}
		} else if (json_object_object_get_ex(o, "size", &v)) {
			if (json_u64(v, &li.end)) {
				rc = perr(p, line, -EINVAL,
					  "e820[%zu]: \"size\" is not a number of bytes in 64 bits",
					  i);
				goto out;
			}
			li.has_size = true;
		} else {
			rc = perr(p, line, -EINVAL, "e820[%zu] has neither \"end\" nor \"size\"",
				  i);
			goto out;
		}
		if (!json_object_object_get_ex(o, "type", &v)) {
			rc = perr(p, line, -EINVAL, "e820[%zu] has no \"type\"", i);
			goto out;
		}
		if (json_object_is_type(v, json_type_int)) {
			int64_t t = json_object_get_int64(v);

			if (t < 0 || t > UINT32_MAX) {
				rc = perr(p, line, -EINVAL, "e820[%zu]: type %lld out of range", i,
					  (long long)t);
				goto out;
			}
			li.type = (uint32_t)t;
		} else if (!json_object_is_type(v, json_type_string) ||
			   e820_type_parse(json_object_get_string(v),
					   strlen(json_object_get_string(v)), true, &li.type)) {
			rc = perr(p, line, -EINVAL, "e820[%zu]: unknown type '%.40s'", i,
				  json_object_get_string(v));
			goto out;
		}
		rc = ep_add_entry(p, &li, line);
		if (rc)
			goto out;
	}
	rc = ep_close_map(p);
out:
	free(lines);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

bool ep_looks_like_json(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (text_is_space(buf[i]) || buf[i] == '\n'))
		i++;
	if (i < len && buf[i] == '{')
		return true;
	if (i < len && buf[i] == '[') {
		for (i++; i < len && (text_is_space(buf[i]) || buf[i] == '\n'); i++)
			;
		return i < len && (buf[i] == '{' || buf[i] == ']');
	}
	return false;
}

/* --- entry points -------------------------------------------------------- */
