/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-parse.c - reading E820 maps from whatever people paste.
 *
 * Input is a log, a mail, a table, JSON, /proc/iomem or a
 * /sys/firmware/memmap directory.  Text is read line by line:
 *
 *  1. Physical lines.  A NUL or other binary control byte, or a line
 *     longer than LINE_MAX_LEN, is an error: real maps never contain them,
 *     and silently skipping would hide a broken capture.
 *  2. Quoted-printable.  A mail body is decoded ("=3D", soft line breaks
 *     "=" at the end of a line) when the input shows it is one: an "=3D"
 *     anywhere, or a line ending in "=20"/"=09".  Without those, only a map
 *     line that ends in "=" is joined with the next line.
 *  3. Prefixes are peeled off, repeatedly: "> " quoting, "[    0.000000]"
 *     and other console timestamps, "(XEN)", journalctl's
 *     "May 02 08:02:43 host kernel:", dmesg -x "kern  :info  :", "<6>".
 *  4. The rest is classified: a header ("... RAM map:"), an entry of one
 *     of the formats below, noise a map may contain ("e820: update",
 *     "[gap ...]"), or anything else.
 *  5. An entry line that is cut (no type, a partial type, "[mem" at the
 *     end) is joined with the next line when that line carries no log
 *     prefix of its own: mail clients hard-wrap long lines.  If it still
 *     does not parse, that is the error "FILE:LINE: ...".
 *
 * Entry formats:
 *   WHO: [mem 0xA-0xB] TYPE     Linux >= 3.x, inclusive end; WHO is any
 *                               prefix (BIOS-e820, Xen, user, reserve
 *                               setup_data, ...); 2025 tip-tree size column
 *                               ("  256   MB") skipped; "[gap ..]" ignored.
 *   WHO: A - B (TYPE)           Linux 2.6.x, exclusive end.
 *   [A, B] (TYPE)               Xen >= 4.12, inclusive.
 *   A - B (TYPE)                Xen <= 4.11, exclusive (>= 8 hex digits).
 *   A-B : NAME                  /proc/iomem top level (nested lines and
 *                               non-E820 names such as "PCI Bus" skipped).
 *   A-B TYPE, A +SIZE TYPE, A B TYPE
 *                               plain table (only on lines without a log
 *                               prefix): inclusive ends, 0x or bare hex,
 *                               decimal, K/M/G/T suffixes, types by name or
 *                               number.
 *   base_addr = A, length = S, NAME
 *                               GRUB's lsmmap (its own type names).
 *   memmap=exactmap memmap=...  a kernel command line rebuilding the map (a
 *                               bare line starting with memmap=exactmap).
 * Linux formats print WHO only for entries; entries with a WHO that is not
 * one of the kernel's own (BIOS-e820, Xen, user, ...) count only when their
 * type parses, so "node 0: [mem ...]" lines are not mistaken for a map.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "e820/e820.h"
#include "e820/e820-internal.h"

#define LINE_MAX_LEN	(64 * 1024)		/* one physical line */
#define LOGICAL_MAX_LEN	(256 * 1024)		/* after joins */
#define INPUT_MAX_LEN	((size_t)64 << 20)	/* whole input: maps, not archives */
#define MAX_JOINS	2			/* hard-wrap continuation lines */

/* --- small string helpers ------------------------------------------------ */

static const char *skip_ws(const char *p)
{
	while (e820_is_space(*p))
		p++;
	return p;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length of the case-insensitive prefix match of lit at p, or 0. */
static size_t prefix_ci(const char *p, const char *lit)
{
	size_t n = 0;

	while (lit[n]) {
		if (lower(p[n]) != lower(lit[n]))
			return 0;
		n++;
	}
	return n;
}

static const char *find_ci(const char *p, const char *lit)
{
	for (; *p; p++)
		if (prefix_ci(p, lit))
			return p;
	return NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* --- the growing document ------------------------------------------------ */

struct parser {
	const char *name;
	const char *buf;
	size_t len;
	struct e820_doc *doc;
	struct p2msim_err *err;
	bool qp;			/* quoted-printable body */
	bool saw_log;			/* a log line was seen: loose table rules */

	size_t pos;			/* next physical line */
	unsigned int lineno;		/* its number, 1-based */

	char *lbuf;			/* the current logical line */
	size_t llen, lcap;

	struct e820_map *cur;		/* map receiving entries, or NULL */
	bool cur_open_header;		/* cur has a header and no entry yet */
};

static int perr(struct parser *p, unsigned int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct parser *p, unsigned int line, int code, const char *fmt, ...)
{
	char msg[P2MSIM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return p2msim_err_set(p->err, code, "%s:%u: %s", p->name, line, msg);
	return p2msim_err_set(p->err, code, "%s: %s", p->name, msg);
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static struct e820_map *doc_new_map(struct e820_doc *doc, const char *header, size_t hlen,
				    unsigned int line, const char *kind)
{
	struct e820_map *maps, *m;

	maps = realloc(doc->maps, (doc->nr_maps + 1) * sizeof(*maps));
	if (!maps)
		return NULL;
	doc->maps = maps;
	m = &maps[doc->nr_maps];
	memset(m, 0, sizeof(*m));
	e820_table_init(&m->table);
	m->header_line = line;
	if (header) {
		m->header = xstrndup(header, hlen);
		if (!m->header)
			return NULL;
	}
	if (kind) {
		m->kind = strdup(kind);
		if (!m->kind) {
			free(m->header);
			return NULL;
		}
	}
	doc->nr_maps++;
	return m;
}

void e820_doc_free(struct e820_doc *doc)
{
	for (size_t i = 0; i < doc->nr_maps; i++) {
		free(doc->maps[i].header);
		free(doc->maps[i].kind);
		e820_table_free(&doc->maps[i].table);
	}
	free(doc->maps);
	free(doc->name);
	memset(doc, 0, sizeof(*doc));
}

/* Close the current map; a header with no entry under it is an error. */
static int close_map(struct parser *p)
{
	struct e820_map *m = p->cur;

	p->cur = NULL;
	if (m && !m->table.nr)
		return perr(p, m->header_line, -EINVAL,
			    "'%s' is followed by no map entry (an empty map)",
			    m->header ? m->header : "map");
	return 0;
}

/* --- physical and logical lines ------------------------------------------ */

static bool binary_byte(unsigned char c)
{
	/* Tabs, CR, FF and ESC (colour codes in console logs) are text. */
	return c < 0x20 && c != '\t' && c != '\r' && c != '\f' && c != 0x1b && c != '\v';
}

/* Next physical line [*s, *s + *n) without its newline; false at the end. */
static int next_phys(struct parser *p, const char **s, size_t *n, bool *eof)
{
	const char *b = p->buf + p->pos, *e = p->buf + p->len, *nl;
	size_t len;

	*eof = p->pos >= p->len;
	if (*eof)
		return 0;
	nl = memchr(b, '\n', (size_t)(e - b));
	len = nl ? (size_t)(nl - b) : (size_t)(e - b);
	if (len > LINE_MAX_LEN)
		return perr(p, p->lineno, -EINVAL,
			    "line longer than %d bytes; this is not a memory map", LINE_MAX_LEN);
	for (size_t i = 0; i < len; i++)
		if (binary_byte((unsigned char)b[i]))
			return perr(p, p->lineno, -EINVAL,
				    "binary data (byte 0x%02x); expected a text memory map",
				    (unsigned char)b[i]);
	*s = b;
	*n = len;
	p->pos += len + (nl ? 1 : 0);
	p->lineno++;
	return 0;
}

static int lbuf_append(struct parser *p, const char *s, size_t n, unsigned int line)
{
	if (p->llen + n + 1 > LOGICAL_MAX_LEN)
		return perr(p, line, -EINVAL, "joined line longer than %d bytes", LOGICAL_MAX_LEN);
	if (p->llen + n + 1 > p->lcap) {
		size_t cap = p->lcap ? p->lcap : 256;
		char *nb;

		while (cap < p->llen + n + 1)
			cap *= 2;
		nb = realloc(p->lbuf, cap);
		if (!nb)
			return perr(p, 0, -ENOMEM, "out of memory");
		p->lbuf = nb;
		p->lcap = cap;
	}
	memcpy(p->lbuf + p->llen, s, n);
	p->llen += n;
	p->lbuf[p->llen] = '\0';
	return 0;
}

/* Append a physical line, decoding quoted-printable escapes in QP mode.
 * Sets *soft when the line ended in a QP soft line break. */
static int lbuf_append_line(struct parser *p, const char *s, size_t n, unsigned int line,
			    bool *soft)
{
	int rc;

	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t') && !p->qp)
		n--;
	*soft = false;
	if (!p->qp)
		return lbuf_append(p, s, n, line);
	while (n && s[n - 1] == '\r')
		n--;
	if (n && s[n - 1] == '=') {
		*soft = true;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=' && i + 2 < n && text_hexval(s[i + 1]) >= 0 &&
		    text_hexval(s[i + 2]) >= 0) {
			c = (char)(text_hexval(s[i + 1]) * 16 + text_hexval(s[i + 2]));
			i += 2;
			if (binary_byte((unsigned char)c) || !c)
				c = ' ';
		}
		rc = lbuf_append(p, &c, 1, line);
		if (rc)
			return rc;
	}
	return 0;
}

/* Read the next logical line into lbuf; *line is its first line number.
 * Returns 1 when a line was read, 0 at the end, < 0 on error. */
static int read_logical(struct parser *p, unsigned int *line)
{
	const char *s;
	size_t n;
	bool eof, soft;
	int rc;

	p->llen = 0;
	if (p->lbuf)
		p->lbuf[0] = '\0';
	*line = p->lineno;
	rc = next_phys(p, &s, &n, &eof);
	if (rc)
		return rc;
	if (eof)
		return 0;
	rc = lbuf_append_line(p, s, n, *line, &soft);
	if (rc)
		return rc;
	if (!p->lbuf)
		rc = lbuf_append(p, "", 0, *line);
	while (!rc && soft) {
		rc = next_phys(p, &s, &n, &eof);
		if (rc || eof)
			break;
		rc = lbuf_append_line(p, s, n, *line, &soft);
	}
	return rc ? rc : 1;
}

/* --- prefixes ------------------------------------------------------------ */

struct stripped {
	const char *c;		/* content */
	bool log;		/* a log prefix (timestamp, (XEN), journal) was removed */
	bool xen;		/* "(XEN)" was removed */
	bool indented;		/* the content was indented (after quoting) */
};

/* "HH:MM:SS" (hours may be one digit: checked from the second digit) */
static bool is_time(const char *q)
{
	return is_digit(q[0]) && is_digit(q[1]) && q[2] == ':' && is_digit(q[3]) &&
	       is_digit(q[4]) && q[5] == ':' && is_digit(q[6]) && is_digit(q[7]);
}

/* A console timestamp "[...]" at p: dmesg "[ 12.345]", "[2022-01-18
 * 10:00:00]", dmesg -T "[Wed Oct 15 21:07:12 2025]", Xen "[0000001b...]".
 * Returns its length including trailing blanks, or 0. */
static size_t timestamp_len(const char *p)
{
	const char *q = p + 1, *close;
	size_t n;
	bool has_time = false, all_hex = true, dmesg = true, seen_dot = false, seen_digit = false;

	if (*p != '[')
		return 0;
	close = strchr(q, ']');
	if (!close || close - q > 64 || close == q)
		return 0;
	n = (size_t)(close - q);
	for (size_t i = 0; i < n; i++) {
		char c = q[i];

		if (c == ',' || c == '[')
			return 0;
		if (i + 8 <= n && is_time(q + i))
			has_time = true;
		if (text_hexval(c) < 0)
			all_hex = false;
		if (is_digit(c))
			seen_digit = true;
		else if (c == '.' && seen_digit && !seen_dot)
			seen_dot = true;
		else if (c != ' ')
			dmesg = false;
	}
	if (!(has_time || (all_hex && n >= 8) || (dmesg && seen_dot)))
		return 0;
	if (!strncmp(q, "mem ", 4) || !strncmp(q, "gap ", 4))
		return 0;
	return (size_t)(skip_ws(close + 1) - p);
}

/* journalctl "May 02 08:02:43 host prog: " or ISO "2025-05-02T08:02:43+0200
 * host prog: "; syslog-style month names in any language. */
static size_t journal_len(const char *p)
{
	const char *q = p;
	size_t wl;

	/* first word: month name, or an ISO timestamp */
	wl = strcspn(q, " \t");
	if (!wl || wl > 40)
		return 0;
	if (memchr(q, 'T', wl) && memchr(q, ':', wl) && is_digit(q[0])) {
		q = skip_ws(q + wl);
	} else {
		if (wl > 12)
			return 0;
		for (size_t i = 0; i < wl; i++)
			if (is_digit(q[i]) || q[i] == ':' || q[i] == '[' || q[i] == '(')
				return 0;
		q = skip_ws(q + wl);
		if (!is_digit(q[0]))
			return 0;
		q += is_digit(q[1]) ? 2 : 1;
		if (!e820_is_space(*q))
			return 0;
		q = skip_ws(q);
		if (!(is_digit(q[0]) && is_digit(q[1]) && q[2] == ':' && is_digit(q[3]) &&
		      is_digit(q[4]) && q[5] == ':' && is_digit(q[6]) && is_digit(q[7])))
			return 0;
		q += 8;
		while (is_digit(*q) || *q == '.')
			q++;
		if (!e820_is_space(*q))
			return 0;
		q = skip_ws(q);
	}
	/* host */
	wl = strcspn(q, " \t");
	if (!wl || wl > 64 || q[wl - 1] == ':')
		return 0;
	q = skip_ws(q + wl);
	/* program: "kernel:", "xen[123]:" */
	wl = strcspn(q, " \t");
	if (wl < 2 || wl > 64 || q[wl - 1] != ':')
		return 0;
	return (size_t)(skip_ws(q + wl) - p);
}

/* dmesg -x "kern  :info  : " */
static size_t dmesg_x_len(const char *p)
{
	const char *q = p;

	if (!(q[0] >= 'a' && q[0] <= 'z'))
		return 0;
	while (*q >= 'a' && *q <= 'z')
		q++;
	q = skip_ws(q);
	if (*q++ != ':')
		return 0;
	if (!(*q >= 'a' && *q <= 'z'))
		return 0;
	while (*q >= 'a' && *q <= 'z')
		q++;
	q = skip_ws(q);
	if (*q != ':' || !e820_is_space(q[1]))
		return 0;
	return (size_t)(skip_ws(q + 1) - p);
}

static size_t quote_len(const char *p)
{
	const char *q = skip_ws(p);

	if (*q != '>')
		return 0;
	while (*q == '>') {
		q++;
		if (*q == ' ' || *q == '\t')
			q++;
		q = (*skip_ws(q) == '>') ? skip_ws(q) : q;
	}
	return (size_t)(q - p);
}

/* Strip ANSI colour sequences in place (ESC [ ... letter). */
static void strip_ansi(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (*r == 0x1b) {
			r++;
			if (*r == '[') {
				r++;
				while (*r && !((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z')))
					r++;
				if (*r)
					r++;
			}
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

static void strip_prefixes(const char *line, struct stripped *st)
{
	const char *c = line;
	size_t n;
	bool changed = true;

	st->log = st->xen = false;
	c += quote_len(c);
	st->indented = e820_is_space(*c);
	c = skip_ws(c);
	while (changed) {
		changed = false;
		if (c[0] == '<' && is_digit(c[1]) && c[2] == '>') {
			c = skip_ws(c + 3);
			st->log = changed = true;
		}
		if ((n = timestamp_len(c))) {
			c += n;
			st->log = changed = true;
		}
		if (!strncmp(c, "(XEN)", 5)) {
			c = skip_ws(c + 5);
			st->log = st->xen = changed = true;
		}
		if (!changed && (n = journal_len(c))) {
			c += n;
			st->log = changed = true;
		}
		if (!changed && (n = dmesg_x_len(c))) {
			c += n;
			st->log = changed = true;
		}
	}
	st->c = c;
}

/* --- classifying one line ------------------------------------------------ */

enum line_kind {
	L_OTHER,	/* not part of a map: ends the current map */
	L_IGNORE,	/* blank, comment, noise a map may contain */
	L_HEADER,
	L_ENTRY,
	L_BAD,		/* looks like an entry but does not parse (may be cut) */
	L_FATAL,	/* an entry with impossible numbers: error right away */
	L_MEMMAP,
};

struct line_info {
	enum line_kind kind;
	char kindname[48];	/* map kind: "linux:Xen", "xen", "table", ... */
	uint64_t start, end;	/* end inclusive or exclusive, see below */
	bool inclusive;
	bool has_size;		/* "START +SIZE" */
	uint32_t type;
	char why[160];		/* L_BAD / L_FATAL */
	size_t hlen;		/* L_HEADER: length of the header text */
};

/* WHO prefixes the kernel itself prints; a cut line with one of these is
 * an error rather than something else. */
static bool known_who(const char *who, size_t n)
{
	static const char *const names[] = {
		"BIOS-e820", "BIOS-88", "BIOS-e801", "Xen", "user", "reserve setup_data",
		"extended", "modified", "EFI", "x86/PVH",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(who, names[i], n))
			return true;
	return false;
}

static bool plausible_who(const char *who, size_t n)
{
	if (!n || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = who[i];

		if (!(is_alnum(c) || c == ' ' || c == '-' || c == '_' || c == '/' || c == '.'))
			return false;
	}
	return !e820_is_space(who[0]);
}

/* A hex number "0x..." or bare hex digits.  Returns characters read, 0 if
 * none, -1 if it does not fit in 64 bits. */
static int scan_hex(const char *s, bool allow_0x, uint64_t *v)
{
	int n0 = 0, n;

	if (allow_0x && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && text_hexval(s[2]) >= 0)
		n0 = 2;
	n = e820_scan_u64(s + n0, 16, v);
	if (n <= 0)
		return n;
	return n0 + n;
}

/* Parse the type part of an entry: the whole rest, or the longest leading
 * part that is a type when the rest is an annotation starting with a
 * non-alphanumeric character ("<--", "===> ..."), as mails carry them. */
static int parse_type_rest(const char *rest, bool allow_bare, uint32_t *type)
{
	size_t n = strlen(rest);

	while (n && e820_is_space(rest[n - 1]))
		n--;
	if (!n)
		return -ENODATA;
	if (!e820_type_parse(rest, n, allow_bare, type))
		return 0;
	for (size_t k = n; k-- > 1;) {
		const char *after;

		if (!e820_is_space(rest[k]))
			continue;
		after = skip_ws(rest + k);
		if (is_alnum(*after) || *after == '(' || *after == ')')
			continue;
		if (!e820_type_parse(rest, k, allow_bare, type))
			return 0;
	}
	return -EINVAL;
}

/* The 2025 tip-tree size column between "]" and the type: "  256   MB",
 * " 639.9 KB". */
static const char *skip_size_column(const char *p)
{
	const char *q = skip_ws(p);

	if (!is_digit(*q))
		return p;
	while (is_digit(*q))
		q++;
	if (*q == '.' && is_digit(q[1]))
		q += 2;
	if (!e820_is_space(*q))
		return p;
	q = skip_ws(q);
	if ((q[0] == 'K' || q[0] == 'M' || q[0] == 'G' || q[0] == 'T') && q[1] == 'B' &&
	    (e820_is_space(q[2]) || !q[2]))
		return q + 2;
	return p;
}

static void set_bad(struct line_info *li, enum line_kind k, const char *fmt, const char *arg)
{
	li->kind = k;
	snprintf(li->why, sizeof(li->why), fmt, arg);
}

/* The type after an entry's range; sets L_ENTRY or L_BAD. */
static void finish_type(struct line_info *li, const char *rest, bool known, bool allow_bare)
{
	int rc = parse_type_rest(rest, allow_bare, &li->type);
	char shown[48];

	if (!rc) {
		li->kind = L_ENTRY;
		return;
	}
	if (!known) {
		li->kind = L_OTHER;
		return;
	}
	if (rc == -ENODATA) {
		set_bad(li, L_BAD, "the entry has no type%s", "");
		return;
	}
	snprintf(shown, sizeof(shown), "%.40s", skip_ws(rest));
	set_bad(li, L_BAD, "unknown memory type '%s'", shown);
}

/* "WHO: [mem 0xA-0xB] TYPE" */
static bool try_linux(const char *c, struct line_info *li)
{
	const char *m = strstr(c, "[mem"), *q, *w;
	size_t wlen;
	bool known;
	uint64_t a, b;
	int n;

	if (!m)
		m = strstr(c, "[gap");
	if (!m || m == c)
		return false;
	w = m;
	while (w > c && e820_is_space(w[-1]))
		w--;
	if (w == c || w[-1] != ':')
		return false;
	wlen = (size_t)(w - 1 - c);
	while (wlen && e820_is_space(c[wlen - 1]))
		wlen--;
	if (!plausible_who(c, wlen))
		return false;
	known = known_who(c, wlen);
	if (!strncmp(m, "[gap", 4)) {
		li->kind = L_IGNORE;
		return true;
	}
	snprintf(li->kindname, sizeof(li->kindname), "linux:%.*s", (int)wlen, c);
	q = skip_ws(m + 4);
	n = scan_hex(q, true, &a);
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n || q[n] != '-')
		goto bad_range;
	q += n + 1;
	n = scan_hex(q, true, &b);
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n)
		goto bad_range;
	q = skip_ws(q + n);
	if (*q != ']')
		goto bad_range;
	li->start = a;
	li->end = b;
	li->inclusive = true;
	finish_type(li, skip_size_column(q + 1), known, false);
	return true;
bad_range:
	if (known)
		set_bad(li, L_BAD, "expected '[mem START-END] TYPE'; the range is malformed or "
			"cut off%s", "");
	else
		li->kind = L_OTHER;
	return true;
}

/* "WHO: A - B (TYPE)" (Linux 2.6.x) */
static bool try_linux_old(const char *c, struct line_info *li)
{
	for (const char *colon = strchr(c, ':'); colon; colon = strchr(colon + 1, ':')) {
		const char *q = skip_ws(colon + 1);
		size_t wlen = (size_t)(colon - c);
		uint64_t a, b;
		bool known;
		int n;

		if (q == colon + 1)
			continue;
		n = scan_hex(q, false, &a);
		if (!n)
			continue;
		if (n < 0 || !e820_is_space(q[n]))
			continue;
		q = skip_ws(q + n);
		if (*q != '-' || !e820_is_space(q[1]))
			continue;
		q = skip_ws(q + 1);
		n = scan_hex(q, false, &b);
		if (n <= 0 || (q[n] && !e820_is_space(q[n])))
			continue;
		while (wlen && e820_is_space(c[wlen - 1]))
			wlen--;
		if (!plausible_who(c, wlen))
			return false;
		known = known_who(c, wlen);
		snprintf(li->kindname, sizeof(li->kindname), "linux-old:%.*s", (int)wlen, c);
		li->start = a;
		li->end = b;
		li->inclusive = false;
		finish_type(li, q + n, known, false);
		return true;
	}
	return false;
}

/* Xen "[A, B] (TYPE)" */
static bool try_xen(const char *c, struct line_info *li)
{
	const char *q = skip_ws(c + 1);
	uint64_t a, b;
	int n;

	if (*c != '[')
		return false;
	n = scan_hex(q, true, &a);
	if (n <= 0 || skip_ws(q + n)[0] != ',')
		return false;
	q = skip_ws(skip_ws(q + n) + 1);
	n = scan_hex(q, true, &b);
	strcpy(li->kindname, "xen");
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n || skip_ws(q + n)[0] != ']') {
		set_bad(li, L_BAD, "expected '[START, END] (TYPE)'; the range is malformed or cut "
			"off%s", "");
		return true;
	}
	li->start = a;
	li->end = b;
	li->inclusive = true;
	finish_type(li, skip_ws(q + n) + 1, true, false);
	return true;
}

/* Xen "A - B (TYPE)" with >= 8 hex digits each */
static bool try_xen_old(const char *c, struct line_info *li)
{
	const char *q = c;
	uint64_t a, b;
	int n;

	n = scan_hex(q, false, &a);
	if (n < 8 || !e820_is_space(q[n]))
		return false;
	q = skip_ws(q + n);
	if (*q != '-' || !e820_is_space(q[1]))
		return false;
	q = skip_ws(q + 1);
	n = scan_hex(q, false, &b);
	if (n < 8 || (q[n] && !e820_is_space(q[n])))
		return false;
	strcpy(li->kindname, "xen-old");
	li->start = a;
	li->end = b;
	li->inclusive = false;
	finish_type(li, q + n, true, false);
	return true;
}

/* /proc/iomem "A-B : NAME" */
static bool try_iomem(const char *c, bool indented, struct line_info *li)
{
	const char *q = c;
	uint64_t a, b;
	int n;

	n = scan_hex(q, false, &a);
	if (n <= 0 || q[n] != '-')
		return false;
	q += n + 1;
	n = scan_hex(q, false, &b);
	if (n <= 0 || strncmp(q + n, " : ", 3))
		return false;
	q += n + 3;
	if (indented) {
		li->kind = L_IGNORE;	/* a child resource */
		return true;
	}
	strcpy(li->kindname, "iomem");
	li->start = a;
	li->end = b;
	li->inclusive = true;
	if (!strcmp(skip_ws(q), "Unknown E820 type")) {
		/* the kernel names every other type so; reserved is the
		 * closest that keeps it out of RAM */
		li->type = E820_TYPE_RESERVED;
		li->kind = L_ENTRY;
		return true;
	}
	if (parse_type_rest(q, false, &li->type))
		li->kind = L_IGNORE;	/* PCI Bus, Video ROM, RAM buffer, ... */
	else
		li->kind = L_ENTRY;
	return true;
}

/* A plain-table number: 0x hex, bare hex (letters or zero-padded to >= 8
 * digits), or decimal; optional K/M/G/T (+ "B"/"iB").  Returns characters
 * read, 0 if none, -1 on overflow. */
static int scan_table_num(const char *s, uint64_t *v, bool *hexish)
{
	int n, hn = 0;
	unsigned int shift = 0;
	uint64_t x;
	bool hex = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		n = scan_hex(s, true, &x);
		if (n <= 2)
			return n < 0 ? -1 : 0;
		hex = true;
	} else {
		while (text_hexval(s[hn]) >= 0)
			hn++;
		if (!hn || !is_digit(s[0]))
			return 0;
		for (int i = 0; i < hn; i++)
			if (!is_digit(s[i]))
				hex = true;
		if (hn >= 8 && s[0] == '0')
			hex = true;
		/* a decimal number followed by a unit letter that is a hex digit */
		if (hex && !(hn >= 8 && s[0] == '0')) {
			int dn = 0;

			while (is_digit(s[dn]))
				dn++;
			if (dn == hn - 1 && (lower(s[dn]) == 'b') && !is_alnum(s[hn]))
				hex = false;
		}
		n = e820_scan_u64(s, hex ? 16 : 10, &x);
		if (n < 0)
			return -1;
	}
	switch (lower(s[n])) {
	case 't': shift += 10; /* fall through */
	case 'g': shift += 10; /* fall through */
	case 'm': shift += 10; /* fall through */
	case 'k': shift += 10;
		n++;
		if (lower(s[n]) == 'i' && lower(s[n + 1]) == 'b')
			n += 2;
		else if (lower(s[n]) == 'b')
			n++;
		break;
	default:
		break;
	}
	if (shift && (x >> (64 - shift)))
		return -1;
	*v = x << shift;
	*hexish = hex;
	return n;
}

static bool try_table(const char *c, struct line_info *li, bool strict)
{
	const char *q = c;
	uint64_t a, b;
	bool hx, hx2, plus = false;
	int n;

	n = scan_table_num(q, &a, &hx);
	if (n == 0)
		return false;
	if (n < 0)
		goto overflow;
	q += n;
	if (*q == '-') {
		q++;
	} else if (e820_is_space(*q)) {
		q = skip_ws(q);
		if (*q == '+') {
			plus = true;
			q++;
		}
	} else {
		return false;
	}
	n = scan_table_num(q, &b, &hx2);
	if (n == 0)
		return false;
	if (n < 0)
		goto overflow;
	q += n;
	if (*q && !e820_is_space(*q))
		return false;	/* "2024-05-15 ...", "0x1000-0x1fff]": not a table row */
	strcpy(li->kindname, "table");
	li->start = a;
	li->end = b;
	li->inclusive = true;
	li->has_size = plus;
	{
		const char *rest = skip_ws(q);
		char *hash = NULL;
		char tmp[256];
		int rc;

		/* a trailing "# comment" */
		snprintf(tmp, sizeof(tmp), "%s", rest);
		hash = strchr(tmp, '#');
		if (hash)
			*hash = '\0';
		rc = parse_type_rest(tmp, true, &li->type);
		if (!rc) {
			li->kind = L_ENTRY;
			return true;
		}
		if (!strict) {
			li->kind = L_OTHER;
			return true;
		}
		if (rc == -ENODATA)
			set_bad(li, L_BAD, "the entry has no type (expected 'START-END TYPE', "
				"'START +SIZE TYPE' or 'START END TYPE')%s", "");
		else
			set_bad(li, L_BAD, "unknown memory type '%.40s'", skip_ws(tmp));
	}
	return true;
overflow:
	if (!strict)
		return false;
	set_bad(li, L_FATAL, "number does not fit in 64 bits%s", "");
	return true;
}

/* GRUB's lsmmap: "base_addr = 0x0, length = 0x9fc00, available RAM".  Its
 * names are its own ("reserved RAM" is type 2 here, RAM in /proc/iomem). */
static bool try_grub(const char *c, struct line_info *li)
{
	static const struct {
		const char *name;
		uint32_t type;
	} names[] = {
		{ "available RAM", E820_TYPE_RAM },
		{ "reserved RAM", E820_TYPE_RESERVED },
		{ "ACPI reclaimable RAM", E820_TYPE_ACPI },
		{ "ACPI non-volatile storage RAM", E820_TYPE_NVS },
		{ "faulty RAM (BadRAM)", E820_TYPE_UNUSABLE },
		{ "persistent RAM", E820_TYPE_PMEM },
		{ "persistent RAM (legacy)", E820_TYPE_PRAM },
		{ "RAM holding coreboot tables", 16 },
		{ "RAM holding firmware code", 20 },
	};
	const char *q;
	uint64_t a, b;
	int n;

	if (strncmp(c, "base_addr = ", 12))
		return false;
	strcpy(li->kindname, "grub");
	q = c + 12;
	n = scan_hex(q, true, &a);
	if (n <= 0 || strncmp(q + n, ", length = ", 11))
		goto bad;
	q += n + 11;
	n = scan_hex(q, true, &b);
	if (n <= 0 || strncmp(q + n, ", ", 2))
		goto bad;
	q = skip_ws(q + n + 2);
	li->start = a;
	li->end = b;
	li->has_size = true;
	li->inclusive = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(q, names[i].name)) {
			li->type = names[i].type;
			li->kind = L_ENTRY;
			return true;
		}
	if (!strncmp(q, "type = ", 7)) {
		uint64_t t;

		n = scan_hex(q + 7, true, &t);
		if (n > 0 && !q[7 + n] && t <= UINT32_MAX) {
			li->type = (uint32_t)t;
			li->kind = L_ENTRY;
			return true;
		}
	}
	set_bad(li, L_BAD, "unknown GRUB memory type '%.40s'", q);
	return true;
bad:
	set_bad(li, L_BAD, "expected 'base_addr = 0x..., length = 0x..., TYPE' (GRUB lsmmap)%s",
		"");
	return true;
}

/* "... RAM map:" with a few words before it. */
static bool try_header(const char *c, struct line_info *li)
{
	const char *r = find_ci(c, "RAM map"), *q;
	unsigned int words = 1;

	if (!r || r - c > 64)
		return false;
	for (q = c; q < r; q++)
		if (e820_is_space(*q) && !e820_is_space(q[1]))
			words++;
	if (words > 6)
		return false;
	q = skip_ws(r + 7);
	if (*q != ':')
		return false;
	for (q++; *q; q++)
		if (!e820_is_space(*q) && *q != '=')
			return false;
	li->kind = L_HEADER;
	li->hlen = (size_t)(strchr(r, ':') + 1 - c);
	return true;
}

static bool is_noise(const char *c)
{
	return !strncmp(c, "e820: update ", 13) || !strncmp(c, "e820: remove ", 13) ||
	       strstr(c, "out of order E820 entry") != NULL;
}

static void classify(struct parser *p, const char *line, struct line_info *li,
		     struct stripped *st)
{
	const char *c;

	memset(li, 0, sizeof(*li));
	li->kind = L_OTHER;
	strip_prefixes(line, st);
	c = st->c;
	if (!*c || c[0] == '#') {
		li->kind = L_IGNORE;
		return;
	}
	if (is_noise(c)) {
		li->kind = L_IGNORE;
		return;
	}
	if (try_header(c, li))
		return;
	if (!st->log && !strncmp(c, "memmap=exactmap", 15)) {
		li->kind = L_MEMMAP;
		return;
	}
	if (try_linux(c, li) || try_xen(c, li) || try_xen_old(c, li) || try_linux_old(c, li) ||
	    try_grub(c, li))
		return;
	if (!st->log && try_iomem(c, st->indented, li))
		return;
	if (!st->log) {
		bool strict = !p->saw_log ||
			      (p->cur && p->cur->kind && !strcmp(p->cur->kind, "table"));

		if (try_table(c, li, strict))
			return;
	}
	li->kind = L_OTHER;
}

/* --- entries and maps ---------------------------------------------------- */

static int add_entry(struct parser *p, struct line_info *li, unsigned int line)
{
	uint64_t size;
	int rc;

	if (li->has_size) {
		size = li->end;
		if (size && li->start > UINT64_MAX - (size - 1))
			return perr(p, line, -EINVAL,
				    "range 0x%llx +0x%llx runs past the end of the 64-bit space",
				    (unsigned long long)li->start, (unsigned long long)size);
	} else if (li->inclusive) {
		if (li->start == 0 && li->end == UINT64_MAX) {
			/* (a zero-size entry at 0 prints the same; it cannot be told apart) */
			return perr(p, line, -EINVAL,
				    "range 0x0-0xffffffffffffffff is 2^64 bytes; its size does "
				    "not fit in 64 bits");
		} else if (li->end + 1 == li->start) {
			size = 0;	/* printed as start-1 by the kernel */
		} else if (li->end < li->start) {
			return perr(p, line, -EINVAL, "end 0x%llx is before start 0x%llx",
				    (unsigned long long)li->end, (unsigned long long)li->start);
		} else {
			size = li->end - li->start + 1;
		}
	} else {
		if (li->end < li->start)
			return perr(p, line, -EINVAL, "end 0x%llx is before start 0x%llx",
				    (unsigned long long)li->end, (unsigned long long)li->start);
		size = li->end - li->start;
	}

	if (!p->cur || (p->cur->kind && strcmp(p->cur->kind, li->kindname))) {
		rc = close_map(p);
		if (rc)
			return rc;
		p->cur = doc_new_map(p->doc, NULL, 0, line, li->kindname);
		if (!p->cur)
			return perr(p, 0, -ENOMEM, "out of memory");
	} else if (!p->cur->kind) {
		p->cur->kind = strdup(li->kindname);
		if (!p->cur->kind)
			return perr(p, 0, -ENOMEM, "out of memory");
	}
	rc = e820_add_line(&p->cur->table, li->start, size, li->type, line);
	if (rc == -E2BIG)
		return perr(p, line, rc, "more than %d entries in one map", E820_MAX_ENTRIES);
	if (rc)
		return perr(p, 0, rc, "out of memory");
	return 0;
}

/* A memmap=exactmap ... line: the table the kernel would build from it. */
static int add_memmap(struct parser *p, const char *c, unsigned int line)
{
	struct p2msim_err e;
	int rc;

	rc = close_map(p);
	if (rc)
		return rc;
	p->cur = doc_new_map(p->doc, NULL, 0, line, "memmap");
	if (!p->cur)
		return perr(p, 0, -ENOMEM, "out of memory");
	p2msim_err_clear(&e);
	rc = e820_apply_cmdline(&p->cur->table, c, NULL, &e);
	for (size_t i = 0; i < p->cur->table.nr; i++)
		p->cur->table.entries[i].line = line;
	if (rc)
		return perr(p, line, rc, "%s", e.msg);
	if (!p->cur->table.nr)
		return perr(p, line, -EINVAL, "this memmap= line describes no memory");
	p->cur = NULL;
	return 0;
}

/* Try to complete a cut entry line with the next line(s). */
static int try_continue(struct parser *p, unsigned int line, struct line_info *li,
			struct stripped *st)
{
	for (int joins = 0; joins < MAX_JOINS && (li->kind == L_BAD); joins++) {
		size_t save_pos = p->pos;
		unsigned int save_line = p->lineno;
		const char *s;
		size_t n;
		bool eof, soft_join, dummy;
		char *copy;
		struct stripped nst;
		struct line_info nli;
		int rc;

		soft_join = p->llen && p->lbuf[p->llen - 1] == '=';
		rc = next_phys(p, &s, &n, &eof);
		if (rc || eof)
			return rc;
		copy = xstrndup(s, n);
		if (!copy)
			return perr(p, 0, -ENOMEM, "out of memory");
		strip_ansi(copy);
		if (!soft_join) {
			/* a hard-wrapped continuation carries no log prefix of its own
			 * and is not itself a header or an entry */
			classify(p, copy, &nli, &nst);
			if (nst.log || nli.kind == L_HEADER || nli.kind == L_ENTRY ||
			    nli.kind == L_MEMMAP || !*nst.c) {
				free(copy);
				p->pos = save_pos;
				p->lineno = save_line;
				return 0;
			}
			rc = lbuf_append(p, " ", 1, line);
			if (!rc)
				rc = lbuf_append(p, nst.c, strlen(nst.c), line);
		} else {
			p->lbuf[--p->llen] = '\0';
			rc = lbuf_append_line(p, copy, strlen(copy), line, &dummy);
		}
		free(copy);
		if (rc)
			return rc;
		classify(p, p->lbuf, li, st);
	}
	return 0;
}

/* Step over whitespace-only lines, which classify() ignores, without the
 * line machinery: a file of nothing but newlines is otherwise the slowest
 * input there is (tens of ns a line).  Over-long lines are left to
 * next_phys() to refuse. */
static void skip_blank_lines(struct parser *p)
{
	size_t i = p->pos;

	while (i < p->len) {
		size_t j = i;

		while (j < p->len && j - i <= LINE_MAX_LEN && e820_is_space(p->buf[j]))
			j++;
		if (j >= p->len || p->buf[j] != '\n' || j - i > LINE_MAX_LEN)
			break;
		i = j + 1;
		p->lineno++;
	}
	p->pos = i;
}

static int parse_text(struct parser *p)
{
	unsigned int line;
	int rc;

	for (;;) {
		struct line_info li;
		struct stripped st;

		skip_blank_lines(p);
		rc = read_logical(p, &line);
		if (rc <= 0)
			break;
		strip_ansi(p->lbuf);
		p->llen = strlen(p->lbuf);
		classify(p, p->lbuf, &li, &st);
		if (li.kind == L_BAD) {
			rc = try_continue(p, line, &li, &st);
			if (rc)
				return rc;
		}
		if (st.log)
			p->saw_log = true;

		switch (li.kind) {
		case L_IGNORE:
			break;
		case L_OTHER:
			if (li.kindname[0] == 'l' || li.kindname[0] == 'x')
				p->saw_log = true;
			if (p->cur && p->cur->table.nr) {
				rc = close_map(p);
				if (rc)
					return rc;
			}
			break;
		case L_HEADER:
			p->saw_log = true;
			rc = close_map(p);
			if (rc)
				return rc;
			p->cur = doc_new_map(p->doc, st.c, li.hlen, line, NULL);
			if (!p->cur)
				return perr(p, 0, -ENOMEM, "out of memory");
			break;
		case L_ENTRY:
			if (strcmp(li.kindname, "table"))
				p->saw_log = true;
			rc = add_entry(p, &li, line);
			if (rc)
				return rc;
			break;
		case L_MEMMAP:
			rc = add_memmap(p, st.c, line);
			if (rc)
				return rc;
			break;
		case L_BAD:
		case L_FATAL: {
			char shown[72];
			size_t n = strlen(st.c);

			snprintf(shown, sizeof(shown), "%.64s%s", st.c, n > 64 ? "..." : "");
			return perr(p, line, -EINVAL, "cannot read memory map line '%s': %s", shown,
				    li.why);
		}
		}
	}
	if (rc < 0)
		return rc;
	return close_map(p);
}

/* Does the input look like a quoted-printable mail body? */
static bool detect_qp(const char *buf, size_t len)
{
	const char *e = buf + len;

	for (const char *s = buf; s < e;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *le = nl ? nl : e;
		size_t n = (size_t)(le - s);

		while (n && s[n - 1] == '\r')
			n--;
		if (n && s[0] != '#') {
			for (size_t i = 0; i + 3 <= n; i++)
				if (!memcmp(s + i, "=3D", 3))
					return true;
			if (n >= 3 && (!memcmp(s + n - 3, "=20", 3) || !memcmp(s + n - 3, "=09", 3)))
				return true;
		}
		s = nl ? nl + 1 : e;
	}
	return false;
}

/* --- JSON ---------------------------------------------------------------- */

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
			n = scan_hex(s, true, &x);
		else
			n = e820_scan_u64(s, 10, &x);
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

static int parse_json(struct parser *p)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL, *arr = NULL;
	unsigned int *lines = NULL;
	size_t depth = 1;
	int rc = 0;

	if (!tok)
		return perr(p, 0, -ENOMEM, "out of memory");
	if (p->len > INT_MAX) {
		json_tokener_free(tok);
		return perr(p, 0, -EINVAL, "JSON input too large");
	}
	root = json_tokener_parse_ex(tok, p->buf, (int)p->len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)tok->char_offset < p->len) {
		size_t off = (size_t)tok->char_offset;
		unsigned int line = 1;
		bool trailing = root && json_tokener_get_error(tok) == json_tokener_success;

		for (size_t i = 0; i < off && i < p->len; i++)
			if (p->buf[i] == '\n')
				line++;
		if (trailing) {
			const char *r = p->buf + off;

			while (r < p->buf + p->len && (e820_is_space(*r) || *r == '\n'))
				r++;
			if (r == p->buf + p->len)
				goto parsed;
		}
		rc = perr(p, line, -EINVAL, "invalid JSON: %s",
			  trailing ? "text after the JSON value"
				   : json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
parsed:
	{
		unsigned int bad = json_overflowing_number(p->buf, p->len);

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
	p->cur = doc_new_map(p->doc, NULL, 0, 1, "json");
	lines = malloc((json_object_array_length(arr) + 1) * sizeof(*lines));
	if (!p->cur || !lines) {
		rc = perr(p, 0, -ENOMEM, "out of memory");
		goto out;
	}
	json_elem_lines(p->buf, p->len, depth, lines, json_object_array_length(arr));
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
			rc = perr(p, line, -EINVAL,
				  "e820[%zu]: \"start\" missing or not a number of bytes in 64 bits",
				  i);
			goto out;
		}
		if (json_object_object_get_ex(o, "end", &v)) {
			if (json_u64(v, &li.end)) {
				rc = perr(p, line, -EINVAL,
					  "e820[%zu]: \"end\" is not a number of bytes in 64 bits", i);
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
			rc = perr(p, line, -EINVAL, "e820[%zu] has neither \"end\" nor \"size\"", i);
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
		rc = add_entry(p, &li, line);
		if (rc)
			goto out;
	}
	rc = close_map(p);
out:
	free(lines);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

static bool looks_like_json(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (e820_is_space(buf[i]) || buf[i] == '\n'))
		i++;
	if (i < len && buf[i] == '{')
		return true;
	if (i < len && buf[i] == '[') {
		for (i++; i < len && (e820_is_space(buf[i]) || buf[i] == '\n'); i++)
			;
		return i < len && (buf[i] == '{' || buf[i] == ']');
	}
	return false;
}

/* --- entry points -------------------------------------------------------- */

int e820_parse_buffer(const char *name, const char *buf, size_t len, struct e820_doc *doc,
		      struct p2msim_err *err)
{
	struct parser p;
	int rc;

	memset(doc, 0, sizeof(*doc));
	memset(&p, 0, sizeof(p));
	p.name = name ? name : "<input>";
	p.buf = buf;
	p.len = len;
	p.doc = doc;
	p.err = err;
	p.lineno = 1;
	doc->name = strdup(p.name);
	if (!doc->name)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	if (len > INPUT_MAX_LEN) {
		rc = perr(&p, 0, -EINVAL, "input larger than %zu MiB", INPUT_MAX_LEN >> 20);
		goto fail;
	}
	if (looks_like_json(buf, len)) {
		if (memchr(buf, '\0', len)) {
			rc = perr(&p, 0, -EINVAL, "binary data (NUL byte) in JSON input");
			goto fail;
		}
		rc = parse_json(&p);
	} else {
		p.qp = detect_qp(buf, len);
		rc = parse_text(&p);
	}
	free(p.lbuf);
	p.lbuf = NULL;
	if (rc)
		goto fail;
	if (!doc->nr_maps) {
		rc = perr(&p, 0, -ENOENT, "no memory map found");
		goto fail;
	}
	return 0;
fail:
	free(p.lbuf);
	p.lbuf = NULL;
	e820_doc_free(doc);
	return rc;
}

int e820_read_fd(int fd, const char *name, char **out, size_t *outlen, struct p2msim_err *err)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap;
			char *nb;

			if (cap > INPUT_MAX_LEN) {
				free(buf);
				return p2msim_err_set(err, -EINVAL, "%s: input larger than %zu MiB",
						      name, INPUT_MAX_LEN >> 20);
			}
			/* one byte past the limit is enough to know */
			ncap = cap * 2 > INPUT_MAX_LEN + 1 ? INPUT_MAX_LEN + 1 : cap * 2;
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return p2msim_err_set(err, -ENOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			free(buf);
			return p2msim_err_set(err, -e, "%s: %s", name, strerror(e));
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Read one small sysfs attribute file, trimmed. */
static int read_attr(const char *dir, const char *sub, const char *attr, char *val, size_t len,
		     struct p2msim_err *err)
{
	char path[PATH_MAX];
	char *buf;
	size_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	rc = e820_read_fd(fd, path, &buf, &n, err);
	close(fd);
	if (rc)
		return rc;
	while (n && (buf[n - 1] == '\n' || e820_is_space(buf[n - 1])))
		n--;
	if (n >= len || memchr(buf, '\0', n) || memchr(buf, '\n', n)) {
		free(buf);
		return p2msim_err_set(err, -EINVAL, "%s:1: not a one-line value", path);
	}
	memcpy(val, buf, n);
	val[n] = '\0';
	free(buf);
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* /sys/firmware/memmap: numbered subdirectories with start, end
 * (inclusive, "0x..."), type ("System RAM", ...). */
static int parse_sysfs(const char *path, struct e820_doc *doc, struct p2msim_err *err)
{
	unsigned long *ids = NULL;
	size_t nids = 0, cap = 0;
	struct dirent *de;
	struct e820_map *m;
	DIR *d = opendir(path);
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	if (!d)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		char *end;
		unsigned long id;

		if (!is_digit(de->d_name[0]))
			continue;
		id = strtoul(de->d_name, &end, 10);
		if (*end)
			continue;
		if (nids == cap) {
			unsigned long *n;

			cap = cap ? cap * 2 : 64;
			if (cap > E820_MAX_ENTRIES * 2) {
				rc = p2msim_err_set(err, -E2BIG, "%s: more than %d entries", path,
						    E820_MAX_ENTRIES);
				goto out;
			}
			n = realloc(ids, cap * sizeof(*ids));
			if (!n) {
				rc = p2msim_err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			ids = n;
		}
		ids[nids++] = id;
	}
	if (nids)		/* qsort wants an array, even of nothing */
		qsort(ids, nids, sizeof(*ids), cmp_ulong);
	doc->name = strdup(path);
	m = doc->name ? doc_new_map(doc, NULL, 0, 1, "sysfs") : NULL;
	if (!m) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nids; i++) {
		char sub[32], sv[64], ev[64], tv[128], apath[PATH_MAX];
		uint64_t s, e;
		uint32_t type;
		int n;

		snprintf(sub, sizeof(sub), "%lu", ids[i]);
		rc = read_attr(path, sub, "start", sv, sizeof(sv), err);
		if (!rc)
			rc = read_attr(path, sub, "end", ev, sizeof(ev), err);
		if (!rc)
			rc = read_attr(path, sub, "type", tv, sizeof(tv), err);
		if (rc)
			goto out;
		snprintf(apath, sizeof(apath), "%s/%s", path, sub);
		n = scan_hex(sv, true, &s);
		if (n <= 0 || sv[n]) {
			rc = p2msim_err_set(err, -EINVAL, "%s/start:1: not a hex address", apath);
			goto out;
		}
		n = scan_hex(ev, true, &e);
		if (n <= 0 || ev[n]) {
			rc = p2msim_err_set(err, -EINVAL, "%s/end:1: not a hex address", apath);
			goto out;
		}
		if (e < s || (s == 0 && e == UINT64_MAX)) {
			rc = p2msim_err_set(err, -EINVAL, "%s/end:1: end 0x%llx is before start 0x%llx"
					    " or the range is 2^64 bytes", apath,
					    (unsigned long long)e, (unsigned long long)s);
			goto out;
		}
		if (!strcmp(tv, "Unknown E820 type"))
			type = E820_TYPE_RESERVED;
		else if (e820_type_parse(tv, strlen(tv), false, &type)) {
			rc = p2msim_err_set(err, -EINVAL, "%s/type:1: unknown memory type '%.40s'",
					    apath, tv);
			goto out;
		}
		rc = e820_add_line(&m->table, s, e - s + 1, type, 0);
		if (rc) {
			rc = p2msim_err_set(err, rc, "%s: %s", path,
					    rc == -E2BIG ? "too many entries" : "out of memory");
			goto out;
		}
	}
	if (!m->table.nr)
		rc = p2msim_err_set(err, -ENOENT, "%s: no numbered entries: not a "
				    "/sys/firmware/memmap directory", path);
out:
	closedir(d);
	free(ids);
	if (rc)
		e820_doc_free(doc);
	return rc;
}

int e820_parse_file(const char *path, struct e820_doc *doc, struct p2msim_err *err)
{
	const char *name = path;
	struct stat stbuf;
	char *buf;
	size_t len;
	int fd, rc;

	memset(doc, 0, sizeof(*doc));
	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
		name = "<stdin>";
	} else {
		if (stat(path, &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
			return parse_sysfs(path, doc, err);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s",
					      path, strerror(errno));
	}
	rc = e820_read_fd(fd, name, &buf, &len, err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc)
		return rc;
	rc = e820_parse_buffer(name, buf, len, doc, err);
	free(buf);
	return rc;
}

/* --- a line reader for other log parsers (xen/xenlog.c) ----------------- */

struct e820_text {
	struct parser p;
	struct e820_doc doc;	/* unused; perr() needs no document */
};

int e820_text_open(struct e820_text **out, const char *name, const char *buf, size_t len,
		   struct p2msim_err *err)
{
	struct e820_text *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	t->p.name = name ? name : "<input>";
	t->p.buf = buf;
	t->p.len = len;
	t->p.doc = &t->doc;
	t->p.err = err;
	t->p.lineno = 1;
	if (len > INPUT_MAX_LEN) {
		free(t);
		return p2msim_err_set(err, -EINVAL, "%s: input larger than %zu MiB",
				      name ? name : "<input>", INPUT_MAX_LEN >> 20);
	}
	t->p.qp = detect_qp(buf, len);
	*out = t;
	return 0;
}

int e820_text_next(struct e820_text *t, struct e820_text_line *l)
{
	struct stripped st;
	int rc = read_logical(&t->p, &l->line);

	if (rc <= 0)
		return rc;
	strip_ansi(t->p.lbuf);
	strip_prefixes(t->p.lbuf, &st);
	l->content = st.c;
	l->log = st.log;
	l->xen = st.xen;
	return 1;
}

void e820_text_close(struct e820_text *t)
{
	if (!t)
		return;
	free(t->p.lbuf);
	free(t);
}
