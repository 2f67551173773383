/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-parse.h - shared between the readers of e820/: the text reader
 * (e820-text.c), the line recognisers (e820-formats.c), the document and
 * its driver (e820-parse.c), JSON (e820-json.c) and /sys/firmware/memmap
 * (e820-sysfs.c).  The ep_ prefix keeps these out of the installed
 * library's exports.
 */
#ifndef P2MSIM_E820_PARSE_H
#define P2MSIM_E820_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "e820/e820.h"
#include "e820/e820-lib.h"
#include "util/parse.h"
#include "util/text.h"

#define LINE_MAX_LEN (64 * 1024)	    /* one physical line */
#define LOGICAL_MAX_LEN (256 * 1024)	    /* after joins */
#define INPUT_MAX_LEN PARSE_INPUT_MAX	    /* an input read whole: JSON, a buffer */
#define STREAM_MAX_LEN ((uint64_t)16 << 30) /* a file read as a stream */
#define WINDOW_LEN \
	((size_t)4 << 20) /* a stream's window; quoted-printable
						 * is detected in its first fill */
#define MAX_JOINS 2	  /* hard-wrap continuation lines */

/* --- small string helpers ------------------------------------------------ */

static inline const char *skip_ws(const char *p)
{
	while (text_is_space(*p))
		p++;
	return p;
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length of the case-insensitive prefix match of lit at p, or 0. */
static inline size_t prefix_ci(const char *p, const char *lit)
{
	size_t n = 0;

	while (lit[n]) {
		if (lower(p[n]) != lower(lit[n]))
			return 0;
		n++;
	}
	return n;
}

static inline const char *find_ci(const char *p, const char *lit)
{
	const char first[3] = { lower(lit[0]), (char)(lower(lit[0]) - 'a' + 'A'), '\0' };

	for (p = strpbrk(p, first); p; p = strpbrk(p + 1, first))
		if (prefix_ci(p, lit))
			return p;
	return NULL;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A hex number "0x..." or bare hex digits.  Returns characters read, 0 if
 * none, -1 if it does not fit in 64 bits. */
int ep_scan_hex(const char *s, bool allow_0x, uint64_t *v);

/* --- the text reader (e820-text.c) --------------------------------------- */

/* Physical lines of a buffer or a stream joined into logical ones
 * (quoted-printable soft breaks decoded); the current logical line is
 * lbuf.  A stream is read through a window: buf/len are the window, and
 * only the current line (and one line read ahead, from hold) stays in it. */
struct e820_text {
	const char *name;
	const char *buf;
	size_t len;
	struct p2msim_err *err;
	bool qp; /* quoted-printable body */

	int fd;		/* a stream, or -1: buf is the whole input */
	char *win;	/* a stream's window (buf == win) */
	bool at_eof;	/* nothing more to read */
	uint64_t total; /* bytes read from the stream */
	size_t hold;	/* keep the window from here, or SIZE_MAX */

	size_t pos;			   /* next physical line */
	unsigned int lineno;		   /* its number, 1-based */
	unsigned int first_line, end_line; /* a window: lines before first_line read
						 * as blank, the input ends at end_line
						 * (0: no limit) */

	char *lbuf; /* the current logical line */
	size_t llen, lcap;
};

/* "NAME:LINE: message" (or "NAME: message" for line 0) into t->err;
 * returns code. */
int ep_err(const struct e820_text *t, unsigned int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set up t over buf (quoted-printable detected from the whole input). */
void ep_text_init(struct e820_text *t, const char *name, const char *buf, size_t len,
		  struct p2msim_err *err);
/* Set up t over a stream and fill its window (quoted-printable detected
 * there); t->fd stays the caller's.  0 or an error. */
int ep_text_init_fd(struct e820_text *t, const char *name, int fd, struct p2msim_err *err);
/* The rest of a stream after its first window, for JSON: a malloc'ed copy
 * of the whole input (at most INPUT_MAX_LEN). */
int ep_text_slurp(struct e820_text *t, char **buf, size_t *len);
void ep_text_release(struct e820_text *t);
/* Does the input start as UTF-16 text (a byte order mark, or NULs between
 * ASCII bytes)? */
bool ep_is_utf16(const char *buf, size_t len);
/* Next physical line [*s, *s + *n) without its newline; *eof at the end. */
int ep_next_phys(struct e820_text *t, const char **s, size_t *n, bool *eof);
int ep_lbuf_append(struct e820_text *t, const char *s, size_t n, unsigned int line);
/* Append a physical line, decoding quoted-printable escapes in QP mode.
 * Sets *soft when the line ended in a QP soft line break. */
int ep_lbuf_append_line(struct e820_text *t, const char *s, size_t n, unsigned int line,
			bool *soft);
/* Read the next logical line into lbuf; *line is its first line number.
 * Returns 1 when a line was read, 0 at the end, < 0 on error. */
int ep_read_logical(struct e820_text *t, unsigned int *line);
/* Step over whitespace-only lines. */
void ep_skip_blank_lines(struct e820_text *t);

/* A line with its prefixes peeled off. */
struct stripped {
	const char *c; /* content */
	bool log;      /* a log prefix (timestamp, (XEN), journal) was removed */
	bool xen;      /* "(XEN)" was removed */
	bool indented; /* the content was indented (after quoting) */
};

void ep_strip_ansi(char *s);
void ep_strip_prefixes(const char *line, struct stripped *st);

/* --- the line recognisers (e820-formats.c) ------------------------------- */

enum line_kind {
	L_OTHER,  /* not part of a map: ends the current map */
	L_IGNORE, /* blank, comment, noise a map may contain */
	L_HEADER,
	L_ENTRY,
	L_BAD,	 /* looks like an entry but does not parse (may be cut) */
	L_FATAL, /* an entry with impossible numbers: error right away */
	L_MEMMAP,
};

struct line_info {
	enum line_kind kind;
	char kindname[48];   /* map kind: "linux:Xen", "xen", "table", ... */
	uint64_t start, end; /* end inclusive or exclusive, see below */
	bool inclusive;
	bool has_size; /* "START +SIZE" */
	uint32_t type;
	char why[160];	    /* L_BAD / L_FATAL, or a near miss */
	char warn[160];	    /* L_ENTRY: read, but worth a warning */
	unsigned int flags; /* E820_ENTRY_* of the entry */
	bool near_miss;	    /* L_OTHER that almost was an entry: why says why
				 * not (named when no map is found) */
	size_t hlen;	    /* L_HEADER: length of the header text */
};

/* A line as the recognisers see it. */
struct ep_line {
	const char *c;	   /* content, prefixes removed */
	bool indented;	   /* the content was indented */
	bool strict_table; /* a plain-table line that does not parse is an
				 * error rather than something else */
	bool in_table;	   /* the open map is a table: a line starting with
				 * a number or sign must be a row */
};

/* One format's recogniser: true when it decided what the line is (an
 * entry, a header, a bad or ignorable line of its format), false to let
 * the next row try. */
struct ep_recogniser {
	const char *name;
	bool bare_only; /* only lines without a log prefix */
	bool (*recognise)(const struct ep_line *l, struct line_info *li);
};

/* Strip the prefixes of line into *st and classify what is left;
 * strict_table as for struct ep_recogniser. */
void ep_classify(const char *line, bool strict_table, bool in_table, struct line_info *li,
		 struct stripped *st);
/* Parse the type part of an entry (see e820-formats.c). */
int ep_parse_type_rest(const char *rest, bool allow_bare, uint32_t *type);

/* --- the document (e820-parse.c) ----------------------------------------- */

struct parser {
	struct e820_text t;
	struct e820_doc *doc;
	bool saw_log; /* a log line was seen: loose table rules */

	bool saw_prose;		/* an other line was seen: loose table rules */
	unsigned int near_line; /* the first near miss, 0 if none */
	char near[256];		/* its text and why */

	struct e820_map *cur; /* map receiving entries, or NULL */
	bool cur_open_header; /* cur has a header and no entry yet */
};

#define perr(p, ...) ep_err(&(p)->t, __VA_ARGS__)

struct e820_map *ep_doc_new_map(struct e820_doc *doc, const char *header, size_t hlen,
				unsigned int line, const char *kind);
/* Close the current map; a header with no entry under it is an error. */
int ep_close_map(struct parser *p);
/* Add a recognised entry to the current map, or to a new one when its
 * kind differs. */
int ep_add_entry(struct parser *p, struct line_info *li, unsigned int line);

/* --- JSON (e820-json.c) and /sys/firmware/memmap (e820-sysfs.c) ---------- */

bool ep_looks_like_json(const char *buf, size_t len);
int ep_parse_json(struct parser *p);
int ep_parse_sysfs(const char *path, struct e820_doc *doc, struct p2msim_err *err);

#endif
