/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-text.c - the lines of a log or mail as the map readers see
 * them; xen/xenlog.c reads Xen's boot log through the same reader.
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
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e820/e820-parse.h"

int ep_err(const struct e820_text *t, unsigned int line, int code, const char *fmt, ...)
{
	char msg[P2MSIM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return p2msim_err_set(t->err, code, "%s:%u: %s", t->name, line, msg);
	return p2msim_err_set(t->err, code, "%s: %s", t->name, msg);
}

/* --- physical and logical lines ------------------------------------------ */

static bool binary_byte(unsigned char c)
{
	/* Tabs, CR, FF and ESC (colour codes in console logs) are text. */
	return c < 0x20 && c != '\t' && c != '\r' && c != '\f' && c != 0x1b && c != '\v';
}

/*
 * Read more of a stream into its window, first dropping what was read
 * (all before pos, or before hold while a line read ahead may be given
 * back).  1: read some, 0: the end, < 0: an error.
 */
static int refill(struct e820_text *t)
{
	size_t keep = t->pos < t->hold ? t->pos : t->hold;

	if (t->fd < 0 || t->at_eof)
		return 0;
	if (keep) {
		memmove(t->win, t->win + keep, t->len - keep);
		t->len -= keep;
		t->pos -= keep;
		if (t->hold != SIZE_MAX)
			t->hold -= keep;
	}
	if (t->total > STREAM_MAX_LEN)
		return ep_err(t, 0, -EINVAL, "input larger than %llu GiB (the tool's limit)",
			      (unsigned long long)(STREAM_MAX_LEN >> 30));
	for (;;) {
		ssize_t n = read(t->fd, t->win + t->len, WINDOW_LEN - t->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ep_err(t, 0, errno == ENOMEM ? -ENOMEM : -EIO, "%s",
				      strerror(errno));
		if (!n) {
			t->at_eof = true;
			return 0;
		}
		t->len += (size_t)n;
		t->total += (uint64_t)n;
		return 1;
	}
}

bool ep_is_utf16(const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;

	if (len >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
		return true; /* a byte order mark */
	/* ASCII text as UTF-16 without a mark: every other byte NUL */
	return len >= 4 && ((b[0] && !b[1] && b[2] && !b[3]) || (!b[0] && b[1] && !b[2] && b[3]));
}

/* The index of the first binary byte of [b, b + len), or len.  Eight
 * bytes at a time: a word with no byte below 0x20 needs no closer look
 * (logs of GiBs are read through here). */
static size_t first_binary(const char *b, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, b + i, 8);
		if (!((x - 0x20 * ones) & ~x & highs))
			continue;
		for (size_t k = i; k < i + 8; k++)
			if (binary_byte((unsigned char)b[k]))
				return k;
	}
	for (; i < len; i++)
		if (binary_byte((unsigned char)b[i]))
			return i;
	return len;
}

/* Next physical line [*s, *s + *n) without its newline; false at the end. */
int ep_next_phys(struct e820_text *t, const char **s, size_t *n, bool *eof)
{
	const char *b, *e, *nl;
	size_t len, i;
	int rc;

	if (t->end_line && t->lineno >= t->end_line) {
		*eof = true;
		return 0;
	}
	for (;;) {
		b = t->buf + t->pos;
		e = t->buf + t->len;
		nl = memchr(b, '\n', (size_t)(e - b));
		if (nl || t->at_eof || (size_t)(e - b) > LINE_MAX_LEN)
			break;
		rc = refill(t);
		if (rc < 0)
			return rc;
	}
	*eof = t->pos >= t->len;
	if (*eof)
		return 0;
	if (t->lineno == 1 && t->pos == 0 && ep_is_utf16(t->buf, t->len))
		return ep_err(t, 1, -EINVAL,
			      "UTF-16 text (as Windows editors save \"Unicode\"); "
			      "p2msim reads UTF-8 or ASCII: convert it, e.g. iconv -f UTF-16 -t "
			      "UTF-8");
	if (t->lineno == UINT_MAX)
		return ep_err(t, t->lineno, -EINVAL, "more than %u lines (the tool's limit)",
			      UINT_MAX - 1);
	len = nl ? (size_t)(nl - b) : (size_t)(e - b);
	if (len > LINE_MAX_LEN)
		return ep_err(t, t->lineno, -EINVAL,
			      "line longer than %d bytes; this is not a memory map", LINE_MAX_LEN);
	if (t->lineno < t->first_line)
		len = 0; /* before the window: blank */
	i = first_binary(b, len);
	if (i < len)
		return ep_err(t, t->lineno, -EINVAL,
			      "binary data (byte 0x%02x); expected a text memory map",
			      (unsigned char)b[i]);
	*s = b;
	*n = len;
	t->pos = nl ? (size_t)(nl + 1 - t->buf) : t->len;
	t->lineno++;
	return 0;
}

int ep_lbuf_append(struct e820_text *t, const char *s, size_t n, unsigned int line)
{
	if (t->llen + n + 1 > LOGICAL_MAX_LEN)
		return ep_err(t, line, -EINVAL, "joined line longer than %d bytes",
			      LOGICAL_MAX_LEN);
	if (t->llen + n + 1 > t->lcap) {
		size_t cap = t->lcap ? t->lcap : 256;
		char *nb;

		while (cap < t->llen + n + 1)
			cap *= 2;
		nb = realloc(t->lbuf, cap);
		if (!nb)
			return ep_err(t, 0, -ENOMEM, "out of memory");
		t->lbuf = nb;
		t->lcap = cap;
	}
	memcpy(t->lbuf + t->llen, s, n);
	t->llen += n;
	t->lbuf[t->llen] = '\0';
	return 0;
}

/*
 * Non-breaking and other fixed-width spaces become plain spaces in
 * lbuf[from, llen): mail clients put U+00A0 where a log had blanks (Gmail
 * after "(XEN)"), as UTF-8 or, in a Latin-1 body, as the byte 0xa0.
 */
static void plain_spaces(struct e820_text *t, size_t from)
{
	unsigned char *b = (unsigned char *)t->lbuf;
	size_t r = from, w = from;
	uint64_t high = 0, x;
	size_t i = from;

	for (; i + 8 <= t->llen; i += 8) {
		memcpy(&x, b + i, 8);
		high |= x;
	}
	for (; i < t->llen; i++)
		high |= b[i];
	if (!(high & 0x8080808080808080ULL))
		return; /* ASCII, as almost every line */

	while (r < t->llen) {
		size_t skip = 0;

		if (b[r] == 0xc2 && r + 1 < t->llen && b[r + 1] == 0xa0)
			skip = 2; /* U+00A0 */
		else if (b[r] == 0xe2 && r + 2 < t->llen && b[r + 1] == 0x80 &&
			 (b[r + 2] == 0x87 || b[r + 2] == 0xaf))
			skip = 3; /* U+2007, U+202F */
		else if (b[r] == 0xa0 && (r == 0 || b[r - 1] < 0x80))
			skip = 1; /* Latin-1 NBSP */
		if (skip) {
			b[w++] = ' ';
			r += skip;
		} else {
			b[w++] = b[r++];
		}
	}
	t->llen = w;
	b[w] = '\0';
}

/* Append a physical line, decoding quoted-printable escapes in QP mode.
 * Sets *soft when the line ended in a QP soft line break. */
int ep_lbuf_append_line(struct e820_text *t, const char *s, size_t n, unsigned int line, bool *soft)
{
	size_t from = t->llen;
	int rc;

	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t') && !t->qp)
		n--;
	*soft = false;
	if (!t->qp) {
		rc = ep_lbuf_append(t, s, n, line);
		if (!rc && t->lbuf)
			plain_spaces(t, from);
		return rc;
	}
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
		rc = ep_lbuf_append(t, &c, 1, line);
		if (rc)
			return rc;
	}
	if (t->lbuf)
		plain_spaces(t, from);
	return 0;
}

/* Read the next logical line into lbuf; *line is its first line number.
 * Returns 1 when a line was read, 0 at the end, < 0 on error. */
int ep_read_logical(struct e820_text *t, unsigned int *line)
{
	const char *s;
	size_t n;
	bool eof, soft;
	int rc;

	t->llen = 0;
	if (t->lbuf)
		t->lbuf[0] = '\0';
	*line = t->lineno;
	rc = ep_next_phys(t, &s, &n, &eof);
	if (rc)
		return rc;
	if (eof)
		return 0;
	rc = ep_lbuf_append_line(t, s, n, *line, &soft);
	if (rc)
		return rc;
	if (!t->lbuf)
		rc = ep_lbuf_append(t, "", 0, *line);
	while (!rc && soft) {
		rc = ep_next_phys(t, &s, &n, &eof);
		if (rc || eof)
			break;
		rc = ep_lbuf_append_line(t, s, n, *line, &soft);
	}
	if (rc)
		return rc;
	/* a decoded "=20" at the end of a mail line is not part of the entry */
	while (t->llen && text_is_space(t->lbuf[t->llen - 1]))
		t->lbuf[--t->llen] = '\0';
	return 1;
}

/* Step over whitespace-only lines, which classify() ignores, without the
 * line machinery: a file of nothing but newlines is otherwise the slowest
 * input there is (tens of ns a line).  Over-long lines are left to
 * ep_next_phys() to refuse. */
void ep_skip_blank_lines(struct e820_text *t)
{
	for (;;) {
		size_t i = t->pos;
		bool more = false;

		while (i < t->len) {
			size_t j = i;

			while (j < t->len && j - i <= LINE_MAX_LEN && text_is_space(t->buf[j]))
				j++;
			if (j >= t->len && !t->at_eof && j - i <= LINE_MAX_LEN) {
				more = true; /* the window ends inside blanks */
				break;
			}
			if (j >= t->len || t->buf[j] != '\n' || j - i > LINE_MAX_LEN)
				break;
			i = j + 1;
			t->lineno++;
		}
		t->pos = i;
		if (!more && (i < t->len || t->at_eof))
			return;
		if (refill(t) <= 0)
			return; /* an error is met again by ep_next_phys() */
	}
}

/* --- prefixes ------------------------------------------------------------ */

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
	if (starts_with(q, "mem ") || starts_with(q, "gap "))
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
		if (!text_is_space(*q))
			return 0;
		q = skip_ws(q);
		if (!(is_digit(q[0]) && is_digit(q[1]) && q[2] == ':' && is_digit(q[3]) &&
		      is_digit(q[4]) && q[5] == ':' && is_digit(q[6]) && is_digit(q[7])))
			return 0;
		q += 8;
		while (is_digit(*q) || *q == '.')
			q++;
		if (!text_is_space(*q))
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
	if (*q != ':' || !text_is_space(q[1]))
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
void ep_strip_ansi(char *s)
{
	char *w = strchr(s, 0x1b);

	if (!w)
		return; /* no colour code: nothing to do */
	for (const char *r = w; *r;) {
		if (*r == 0x1b) {
			r++;
			if (*r == '[') {
				r++;
				while (*r &&
				       !((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z')))
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

void ep_strip_prefixes(const char *line, struct stripped *st)
{
	const char *c = line;
	size_t n;
	bool changed = true;

	st->log = st->xen = false;
	c += quote_len(c);
	st->indented = text_is_space(*c);
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
		if (c[0] == '(' && starts_with(c, "(XEN)")) {
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

static bool detect_qp(const char *buf, size_t len)
{
	const char *e = buf + len;

	for (const char *s = buf; s < e;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *le = nl ? nl : e;
		size_t n = (size_t)(le - s);

		while (n && s[n - 1] == '\r')
			n--;
		if (n >= 43 && prefix_ci(s, "Content-Transfer-Encoding: quoted-printable"))
			return true;
		if (n && s[0] != '#') {
			for (size_t i = 0; i + 3 <= n; i++)
				if (!memcmp(s + i, "=3D", 3))
					return true;
			if (n >= 3 &&
			    (!memcmp(s + n - 3, "=20", 3) || !memcmp(s + n - 3, "=09", 3)))
				return true;
		}
		s = nl ? nl + 1 : e;
	}
	return false;
}

void ep_text_init(struct e820_text *t, const char *name, const char *buf, size_t len,
		  struct p2msim_err *err)
{
	memset(t, 0, sizeof(*t));
	t->name = name ? name : "<input>";
	t->buf = buf;
	t->len = len;
	t->err = err;
	t->lineno = 1;
	t->fd = -1;
	t->at_eof = true;
	t->hold = SIZE_MAX;
	t->qp = detect_qp(buf, len);
}

int ep_text_init_fd(struct e820_text *t, const char *name, int fd, struct p2msim_err *err)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->name = name ? name : "<input>";
	t->err = err;
	t->lineno = 1;
	t->fd = fd;
	t->hold = SIZE_MAX;
	t->win = malloc(WINDOW_LEN);
	if (!t->win)
		return ep_err(t, 0, -ENOMEM, "out of memory");
	t->buf = t->win;
	while (t->len < WINDOW_LEN && (rc = refill(t)) > 0)
		;
	if (rc < 0)
		return rc;
	t->qp = detect_qp(t->buf, t->len);
	return 0;
}

int ep_text_slurp(struct e820_text *t, char **out, size_t *outlen)
{
	size_t cap = t->len + 1, len = t->len;
	char *buf = malloc(cap);

	if (!buf)
		return ep_err(t, 0, -ENOMEM, "out of memory");
	memcpy(buf, t->buf, len);
	while (!t->at_eof) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > INPUT_MAX_LEN) {
				free(buf);
				return ep_err(t, 0, -EINVAL,
					      "JSON input larger than %zu MiB (the "
					      "tool's limit)",
					      INPUT_MAX_LEN >> 20);
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return ep_err(t, 0, -ENOMEM, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		n = read(t->fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return ep_err(t, 0, -EIO, "%s", strerror(e));
		}
		if (!n)
			t->at_eof = true;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

void ep_text_release(struct e820_text *t)
{
	free(t->lbuf);
	free(t->win);
	t->lbuf = t->win = NULL;
}

/* --- a line reader for other log parsers (xen/xenlog.c) ----------------- */

int e820_text_open(struct e820_text **out, const char *name, const char *buf, size_t len,
		   struct p2msim_err *err)
{
	struct e820_text *t;

	*out = NULL;
	if (len > INPUT_MAX_LEN)
		return p2msim_err_set(err, -EINVAL, "%s: input larger than %zu MiB",
				      name ? name : "<input>", INPUT_MAX_LEN >> 20);
	t = malloc(sizeof(*t));
	if (!t)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	ep_text_init(t, name, buf, len, err);
	*out = t;
	return 0;
}

int e820_text_next(struct e820_text *t, struct e820_text_line *l)
{
	struct stripped st;
	int rc = ep_read_logical(t, &l->line);

	if (rc <= 0)
		return rc;
	ep_strip_ansi(t->lbuf);
	ep_strip_prefixes(t->lbuf, &st);
	l->content = st.c;
	l->log = st.log;
	l->xen = st.xen;
	return 1;
}

int e820_text_open_fd(struct e820_text **out, const char *name, int fd, struct p2msim_err *err)
{
	struct e820_text *t = malloc(sizeof(*t));
	int rc;

	*out = NULL;
	if (!t)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	rc = ep_text_init_fd(t, name, fd, err);
	if (rc) {
		ep_text_release(t);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void e820_text_window(struct e820_text *t, unsigned int first_line, unsigned int end_line)
{
	t->first_line = first_line;
	t->end_line = end_line;
}

void e820_text_close(struct e820_text *t)
{
	if (!t)
		return;
	ep_text_release(t);
	free(t);
}
