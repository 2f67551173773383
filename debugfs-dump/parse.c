/* SPDX-License-Identifier: MIT */
/*
 * debugfs-dump/parse.c - recognise and parse the text formats: both debugfs
 * p2m formats, the run list and the xen-lab capture.  JSON is handed to
 * parse-json.c.
 *
 * Lines are (pointer, length) slices of the caller's buffer, never copied
 * into fixed buffers, so long lines and NUL bytes are just text that does
 * not match the grammar.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "debugfs-dump/dump-internal.h"
#include "util/text.h"

/* --- lines and tokens ----------------------------------------------------- */

struct cursor {
	const char *p, *end;
	unsigned long line; /* number of the line last returned */
};

struct slice {
	const char *s;
	size_t n;
	size_t i; /* scanning position */
};

static bool next_line(struct cursor *c, struct slice *l)
{
	const char *nl;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	l->s = c->p;
	l->n = (size_t)((nl ? nl : c->end) - c->p);
	l->i = 0;
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	while (l->n && (l->s[l->n - 1] == '\r' || l->s[l->n - 1] == ' ' || l->s[l->n - 1] == '\t'))
		l->n--;
	return true;
}

static void skip_blanks(struct slice *l)
{
	while (l->i < l->n && (l->s[l->i] == ' ' || l->s[l->i] == '\t'))
		l->i++;
}

static bool at_end(const struct slice *l)
{
	return l->i == l->n;
}

static bool blank(struct slice *l)
{
	skip_blanks(l);
	return at_end(l);
}

/* A comment: first non-blank character '#'. */
static bool comment(const struct slice *l)
{
	size_t i = 0;

	while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i < l->n && l->s[i] == '#';
}

static bool lit(struct slice *l, const char *s)
{
	size_t n = strlen(s);

	if (l->n - l->i < n || memcmp(l->s + l->i, s, n))
		return false;
	l->i += n;
	return true;
}

/* 1 on success, 0 if no digit, -1 on overflow. */
static int num(struct slice *l, unsigned int base, uint64_t *v)
{
	size_t start = l->i;
	uint64_t x = 0;
	int d;

	while (l->i < l->n && (d = text_hexval(l->s[l->i])) >= 0 && (unsigned int)d < base) {
		if (x > (UINT64_MAX - (unsigned int)d) / base)
			return -1;
		x = x * base + (unsigned int)d;
		l->i++;
	}
	*v = x;
	return l->i > start;
}

/* A lower-case word ([a-z]+). */
static bool word(struct slice *l, const char **w, size_t *n)
{
	size_t start = l->i;

	while (l->i < l->n && l->s[l->i] >= 'a' && l->s[l->i] <= 'z')
		l->i++;
	*w = l->s + start;
	*n = l->i - start;
	return *n > 0;
}

static int lookup(const char *w, size_t n, const char *const *names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (names[i] && strlen(names[i]) == n && !memcmp(names[i], w, n))
			return (int)i;
	return -1;
}

/* --- line grammars ---------------------------------------------------------- */

enum line_kind {
	LINE_NONE,     /* does not match */
	LINE_OVERFLOW, /* matches, but a number is too large */
	LINE_OK,
};

struct parsed {
	uint64_t start, end, count;
	bool have_count;
	bool level;	  /* debugfs: a level line */
	const char *name; /* type (or level) word */
	size_t name_n;
};

static enum line_kind hex_field(struct slice *l, bool need_0x, uint64_t *v)
{
	int rc;

	if (!lit(l, "0x") && need_0x)
		return LINE_NONE;
	rc = num(l, 16, v);
	return rc < 0 ? LINE_OVERFLOW : rc ? LINE_OK : LINE_NONE;
}

#define TRY(expr)                           \
	do {                                \
		enum line_kind k_ = (expr); \
		if (k_ != LINE_OK)          \
			return k_;          \
	} while (0)

/* " [0x%lx->0x%lx] %s" or " [0x%lx->0x%lx] level %s" */
static enum line_kind debugfs_line(struct slice l, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	skip_blanks(&l);
	if (!lit(&l, "["))
		return LINE_NONE;
	TRY(hex_field(&l, true, &p->start));
	if (!lit(&l, "->"))
		return LINE_NONE;
	TRY(hex_field(&l, true, &p->end));
	if (!lit(&l, "] "))
		return LINE_NONE;
	p->level = lit(&l, "level ");
	if (!word(&l, &p->name, &p->name_n) || !at_end(&l))
		return LINE_NONE;
	return LINE_OK;
}

/* dom0p2m: "[%#010lx-%#010lx] %8lu TYPE ..." (pfn 0 prints without 0x). */
static enum line_kind lab_line(struct slice l, struct parsed *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	skip_blanks(&l);
	if (!lit(&l, "["))
		return LINE_NONE;
	TRY(hex_field(&l, false, &p->start));
	if (!lit(&l, "-"))
		return LINE_NONE;
	TRY(hex_field(&l, false, &p->end));
	if (!lit(&l, "]"))
		return LINE_NONE;
	skip_blanks(&l);
	rc = num(&l, 10, &p->count);
	if (rc <= 0)
		return rc < 0 ? LINE_OVERFLOW : LINE_NONE;
	p->have_count = true;
	skip_blanks(&l);
	if (!word(&l, &p->name, &p->name_n))
		return LINE_NONE;
	if (!at_end(&l) && l.s[l.i] != ' ' && l.s[l.i] != '\t')
		return LINE_NONE;
	return LINE_OK;
}

/* run list: "0x%lx-0x%lx TYPE [PAGES]" */
static enum line_kind runs_line(struct slice l, struct parsed *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	skip_blanks(&l);
	TRY(hex_field(&l, true, &p->start));
	if (!lit(&l, "-"))
		return LINE_NONE;
	TRY(hex_field(&l, true, &p->end));
	if (l.i == l.n || (l.s[l.i] != ' ' && l.s[l.i] != '\t'))
		return LINE_NONE;
	skip_blanks(&l);
	if (!word(&l, &p->name, &p->name_n))
		return LINE_NONE;
	skip_blanks(&l);
	if (!at_end(&l)) {
		rc = num(&l, 10, &p->count);
		if (rc <= 0)
			return rc < 0 ? LINE_OVERFLOW : LINE_NONE;
		p->have_count = true;
		if (!at_end(&l))
			return LINE_NONE;
	}
	return LINE_OK;
}

static const char RUNS_HEADER[] = "# p2msim runs";

/* --- detection ---------------------------------------------------------------- */

static bool looks_like_json(const char *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return i < len && buf[i] == '{';
}

/* Any level line makes a debugfs dump the old format: the kernel always
 * prints one at MAX_DOMAIN_PAGES - 1. */
static bool has_level_line(const char *buf, size_t len)
{
	struct cursor c = { buf, buf + len, 0 };
	struct slice l;
	struct parsed p;

	while (next_line(&c, &l))
		if (debugfs_line(l, &p) == LINE_OK && p.level)
			return true;
	return false;
}

static enum dump_format detect(const char *buf, size_t len, unsigned long *line, bool *data)
{
	struct cursor c = { buf, buf + len, 0 };
	struct slice l;
	struct parsed p;

	*line = 1;
	*data = true;
	if (looks_like_json(buf, len))
		return DUMP_FMT_JSON;
	while (next_line(&c, &l)) {
		*line = c.line;
		if (l.n >= sizeof(RUNS_HEADER) - 1 &&
		    !memcmp(l.s, RUNS_HEADER, sizeof(RUNS_HEADER) - 1))
			return DUMP_FMT_RUNS;
		if (comment(&l) || blank(&l))
			continue;
		if (debugfs_line(l, &p) != LINE_NONE)
			return has_level_line(buf, len) ? DUMP_FMT_OLD : DUMP_FMT_MODERN;
		if (lab_line(l, &p) != LINE_NONE)
			return DUMP_FMT_LAB;
		if (runs_line(l, &p) != LINE_NONE)
			return DUMP_FMT_RUNS;
		return DUMP_FMT_UNKNOWN;
	}
	*data = false;
	return DUMP_FMT_UNKNOWN;
}

enum dump_format dump_detect(const char *buf, size_t len, unsigned long *line)
{
	unsigned long l;
	bool data;
	enum dump_format fmt = detect(buf, len, &l, &data);

	if (line)
		*line = l;
	return fmt;
}

/* --- parsing -------------------------------------------------------------------- */

struct pctx {
	struct dump_runs *r;
	const char *name;
	unsigned long line;
	struct p2msim_err *err;
};

static int perr(const struct pctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(const struct pctx *x, const char *fmt, ...)
{
	char msg[P2MSIM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return p2msim_err_set(x->err, -EINVAL, "%s:%lu: %s", x->name, x->line, msg);
}

/* Run an adder and put NAME:LINE in front of its message. */
static int located(const struct pctx *x, int rc)
{
	if (rc < 0 && x->err)
		p2msim_err_prefix(x->err, "%s:%lu", x->name, x->line);
	return rc;
}

static const char *const type_names[P2M_NR_TYPES] = {
	[P2M_MISSING] = "missing", [P2M_IDENTITY] = "identity", [P2M_PFN] = "pfn",
	[P2M_FOREIGN] = "foreign", [P2M_ABNORMAL] = "abnormal",
};

static int quoted_name(const struct pctx *x, const struct parsed *p, const char *what)
{
	return perr(x, "unknown %s '%.*s'", what, (int)(p->name_n > 40 ? 40 : p->name_n), p->name);
}

static int bad_line(const struct pctx *x, enum line_kind k, const char *fmt_name)
{
	if (k == LINE_OVERFLOW)
		return perr(x, "number too large");
	return perr(x, "not a line of a %s", fmt_name);
}

static int parse_debugfs(struct pctx *x, const char *buf, size_t len, bool old)
{
	/* The kernel's type_name[]: 2.6.39-3.18 and 3.19+ share it, and only
	 * the old loop can produce "abnormal". */
	static const char *const kt[] = { "identity", "missing", "pfn", "abnormal" };
	static const enum p2m_type kt_type[] = { P2M_IDENTITY, P2M_MISSING, P2M_PFN, P2M_ABNORMAL };
	static const char *const levels[] = { "top", "middle", "entry", "abnormal", "error" };
	const char *fmt_name = dump_format_name(old ? DUMP_FMT_OLD : DUMP_FMT_MODERN);
	struct cursor c = { buf, buf + len, 0 };
	uint64_t type_end = 0, level_end = 0;
	unsigned long lines = 0;
	struct slice l;
	struct parsed p;
	int idx, rc;

	while (next_line(&c, &l)) {
		enum line_kind k;

		x->line = c.line;
		if (blank(&l))
			continue;
		k = debugfs_line(l, &p);
		if (k != LINE_OK)
			return bad_line(x, k, fmt_name);
		if (p.end < p.start)
			return perr(x, "range 0x%" PRIx64 "->0x%" PRIx64 " ends before it starts",
				    p.start, p.end);
		lines++;
		if (p.level) {
			if (!old)
				return perr(x, "level line in a modern dump");
			idx = lookup(p.name, p.name_n, levels, DUMP_NR_LEVELS);
			if (idx < 0)
				return quoted_name(x, &p, "level");
			if (p.start != level_end)
				return perr(x,
					    "level range starts at 0x%" PRIx64 " but the previous "
					    "one ends at 0x%" PRIx64,
					    p.start, level_end);
			rc = located(x, dd_runs_add_level(x->r, p.start, p.end,
							  (enum dump_level)idx, x->err));
			if (rc < 0)
				return rc;
			level_end = p.end;
			continue;
		}
		idx = lookup(p.name, p.name_n, kt, old ? 4 : 3);
		if (idx < 0)
			return quoted_name(x, &p, "type");
		if (p.start != type_end)
			return perr(x,
				    "range starts at 0x%" PRIx64 " but the previous one ends "
				    "at 0x%" PRIx64,
				    p.start, type_end);
		rc = located(x, dump_runs_add(x->r, p.start, p.end, kt_type[idx], x->err));
		if (rc < 0)
			return rc;
		type_end = p.end;
	}
	if (!lines)
		return perr(x, "no ranges in this %s", fmt_name);
	if (old && type_end > level_end)
		return perr(x,
			    "type lines reach 0x%" PRIx64 " but level lines only 0x%" PRIx64
			    " (truncated?)",
			    type_end, level_end);
	/* 2.6.39-3.18: a type line is printed only on a change, and the last
	 * pfn is forced to abnormal, so a final abnormal run is never printed;
	 * the level lines still close at MAX_DOMAIN_PAGES - 1. */
	if (old && type_end < level_end) {
		/* Zero entries live in private leaves: every level line past the
		 * last type line must be "entry", or the file was cut short. */
		for (size_t i = x->r->nr_levels; i-- > 0 && x->r->levels[i].end > type_end;)
			if (x->r->levels[i].level != DUMP_LEVEL_ENTRY)
				return perr(x,
					    "type lines stop at 0x%" PRIx64 " but level lines "
					    "go on to 0x%" PRIx64 " (truncated?)",
					    type_end, level_end);
		return located(x, dump_runs_add(x->r, type_end, level_end, P2M_ABNORMAL, x->err));
	}
	return 0;
}

/* "# entries=N ..." of a lab capture, or 0. */
static bool lab_entries(struct slice l, uint64_t *n)
{
	skip_blanks(&l);
	return lit(&l, "# entries=") && num(&l, 10, n) > 0;
}

static int parse_lab(struct pctx *x, const char *buf, size_t len)
{
	static const char *const names[] = { "ram", "identity", "missing", "foreign" };
	static const enum p2m_type types[] = { P2M_PFN, P2M_IDENTITY, P2M_MISSING, P2M_FOREIGN };
	const char *fmt_name = dump_format_name(DUMP_FMT_LAB);
	struct cursor c = { buf, buf + len, 0 };
	unsigned long entries_line = 0;
	uint64_t entries = 0;
	struct slice l;
	struct parsed p;
	int idx, rc;

	while (next_line(&c, &l)) {
		enum line_kind k;

		x->line = c.line;
		if (comment(&l)) {
			if (lab_entries(l, &entries))
				entries_line = c.line;
			continue;
		}
		if (blank(&l))
			continue;
		k = lab_line(l, &p);
		if (k != LINE_OK)
			return bad_line(x, k, fmt_name);
		idx = lookup(p.name, p.name_n, names, 4);
		if (idx < 0)
			return quoted_name(x, &p, "type");
		if (p.end < p.start || p.end == UINT64_MAX)
			return perr(x, "bad inclusive range 0x%" PRIx64 "-0x%" PRIx64, p.start,
				    p.end);
		if (p.count != p.end - p.start + 1)
			return perr(x,
				    "count %" PRIu64 " does not match the range 0x%" PRIx64
				    "-0x%" PRIx64 " (%" PRIu64 " pfns)",
				    p.count, p.start, p.end, p.end - p.start + 1);
		rc = located(x, dump_runs_add(x->r, p.start, p.end + 1, types[idx], x->err));
		if (rc < 0)
			return rc;
	}
	if (!x->r->nr)
		return perr(x, "no ranges in this %s", fmt_name);
	if (entries_line && entries != x->r->covered) {
		x->line = entries_line;
		return perr(x,
			    "the ranges cover %" PRIu64
			    " pfns but the capture says entries=%" PRIu64 " (truncated?)",
			    x->r->covered, entries);
	}
	return 0;
}

static int parse_runs(struct pctx *x, const char *buf, size_t len)
{
	const char *fmt_name = dump_format_name(DUMP_FMT_RUNS);
	struct cursor c = { buf, buf + len, 0 };
	struct slice l;
	struct parsed p;
	int idx, rc;

	while (next_line(&c, &l)) {
		enum line_kind k;

		x->line = c.line;
		if (comment(&l) || blank(&l))
			continue;
		k = runs_line(l, &p);
		if (k != LINE_OK)
			return bad_line(x, k, fmt_name);
		idx = lookup(p.name, p.name_n, type_names, P2M_NR_TYPES);
		if (idx < 0)
			return quoted_name(x, &p, "type");
		if (p.end <= p.start)
			return perr(x, "empty or reversed range 0x%" PRIx64 "-0x%" PRIx64, p.start,
				    p.end);
		if (p.have_count && p.count != p.end - p.start)
			return perr(x,
				    "count %" PRIu64 " does not match the range (%" PRIu64 " pfns)",
				    p.count, p.end - p.start);
		rc = located(x, dump_runs_add(x->r, p.start, p.end, (enum p2m_type)idx, x->err));
		if (rc < 0)
			return rc;
	}
	return 0;
}

int dump_parse(struct dump_runs *r, const char *buf, size_t len, const char *name,
	       enum dump_format fmt, struct p2msim_err *err)
{
	struct pctx x = { r, name ? name : "<input>", 1, err };
	int rc;

	dump_runs_init(r);
	if (fmt == DUMP_FMT_UNKNOWN) {
		bool data;

		fmt = detect(buf, len, &x.line, &data);
		if (fmt == DUMP_FMT_UNKNOWN)
			return perr(&x, data ? "not a debugfs p2m dump, run list, lab P2M capture "
					       "or JSON result" :
					       "no P2M ranges (empty input)");
	}
	r->format = fmt;
	switch (fmt) {
	case DUMP_FMT_OLD:
	case DUMP_FMT_MODERN:
		rc = parse_debugfs(&x, buf, len, fmt == DUMP_FMT_OLD);
		break;
	case DUMP_FMT_LAB:
		rc = parse_lab(&x, buf, len);
		break;
	case DUMP_FMT_RUNS:
		rc = parse_runs(&x, buf, len);
		break;
	case DUMP_FMT_JSON:
		rc = dd_parse_json(r, buf, len, x.name, err);
		break;
	default:
		rc = p2msim_err_set(err, -EINVAL, "%s: unknown format %d", x.name, (int)fmt);
		break;
	}
	if (rc < 0)
		dump_runs_free(r);
	else
		r->format = fmt;
	return rc;
}

/* Dumps cost a line per run: even a badly fragmented P2M is a few MiB.
 * Endless input (/dev/zero, a pipe that never ends) stops here. */
#define DUMP_INPUT_MAX ((size_t)64 << 20)

int dump_parse_file(struct dump_runs *r, const char *path, enum dump_format fmt,
		    struct p2msim_err *err)
{
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, alloc = 0;
	int rc;

	dump_runs_init(r);
	if (!f)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	errno = 0;
	for (;;) {
		size_t got;

		if (alloc - len < 65536) {
			char *nb;

			if (alloc > SIZE_MAX / 2) {
				rc = p2msim_err_set(err, -EFBIG, "%s: file too large", path);
				goto out;
			}
			alloc = alloc ? alloc * 2 : 65536;
			nb = realloc(buf, alloc);
			if (!nb) {
				rc = p2msim_err_set(err, -ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, alloc - len, f);
		len += got;
		if (got == 0)
			break;
		if (len > DUMP_INPUT_MAX) {
			rc = p2msim_err_set(err, -EFBIG,
					    "%s: input larger than %zu MiB; not a P2M "
					    "description",
					    path, DUMP_INPUT_MAX >> 20);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = p2msim_err_set(err, errno ? -errno : -EIO, "%s: %s", path,
				    errno ? strerror(errno) : "read error");
		goto out;
	}
	rc = dump_parse(r, buf, len, std ? "<stdin>" : path, fmt, err);
out:
	free(buf);
	if (!std)
		fclose(f);
	return rc;
}
