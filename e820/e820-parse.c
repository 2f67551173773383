/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-parse.c - reading E820 maps from whatever people paste.
 *
 * Input is a log, a mail, a table, JSON, /proc/iomem or a
 * /sys/firmware/memmap directory.  JSON and the sysfs directory have their
 * own readers (e820-json.c, e820-sysfs.c).  Text is read line by line
 * (e820-text.c: quoted-printable, log prefixes), each line is classified by
 * the recognisers of e820-formats.c, and this file builds the document:
 *
 *  - a header line ("... RAM map:") opens a map; entries go to the open
 *    map, or to a new one when their kind (format and WHO) differs;
 *  - any other line after a map's entries closes it;
 *  - an entry line that is cut (no type, a partial type, "[mem" at the
 *    end) is joined with the next line when that line carries no log
 *    prefix of its own: mail clients hard-wrap long lines.  If it still
 *    does not parse, that is the error "FILE:LINE: ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e820/e820-parse.h"

/* --- the growing document ------------------------------------------------ */

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

struct e820_map *ep_doc_new_map(struct e820_doc *doc, const char *header, size_t hlen,
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
		free(doc->maps[i].first);
		e820_table_free(&doc->maps[i].table);
	}
	free(doc->maps);
	free(doc->name);
	for (size_t i = 0; i < doc->nr_warnings; i++)
		free(doc->warnings[i]);
	free(doc->warnings);
	memset(doc, 0, sizeof(*doc));
}

int ep_close_map(struct parser *p)
{
	struct e820_map *m = p->cur;

	p->cur = NULL;
	if (m && !m->table.nr)
		return perr(p, m->header_line, -EINVAL,
			    "'%s' is followed by no map entry (an empty map)",
			    m->header ? m->header : "map");
	return 0;
}

/* --- entries and maps ---------------------------------------------------- */

/* A plain-table line that does not parse is an error, not something
 * else, inside a table and in an input that has shown nothing but table
 * rows so far; in a log or a mail it is numbers in prose or a diagram. */
static bool strict_table(const struct parser *p)
{
	return (!p->saw_log && !p->saw_prose) ||
	       (p->cur && p->cur->kind && !strcmp(p->cur->kind, "table"));
}

#define MAX_WARNINGS 8

/* A warning about a line that was read all the same; the ones past
 * MAX_WARNINGS are counted in the last. */
static int add_warning(struct parser *p, unsigned int line, const char *what)
{
	struct e820_doc *doc = p->doc;
	char msg[P2MSIM_ERR_MSG_MAX], **w;

	if (doc->nr_warnings > MAX_WARNINGS)
		return 0;
	if (doc->nr_warnings == MAX_WARNINGS)
		snprintf(msg, sizeof(msg), "%s: more warnings like these not shown", p->t.name);
	else
		snprintf(msg, sizeof(msg), "%s:%u: %s", p->t.name, line, what);
	w = realloc(doc->warnings, (doc->nr_warnings + 1) * sizeof(*w));
	if (!w)
		return perr(p, 0, -ENOMEM, "out of memory");
	doc->warnings = w;
	w[doc->nr_warnings] = strdup(msg);
	if (!w[doc->nr_warnings])
		return perr(p, 0, -ENOMEM, "out of memory");
	doc->nr_warnings++;
	return 0;
}

static bool in_table(const struct parser *p)
{
	return p->cur && p->cur->kind && !strcmp(p->cur->kind, "table");
}

static void classify(struct parser *p, const char *line, struct line_info *li, struct stripped *st)
{
	ep_classify(line, strict_table(p), in_table(p), li, st);
}

int ep_add_entry(struct parser *p, struct line_info *li, unsigned int line)
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
			size = 0; /* printed as start-1 by the kernel */
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
		rc = ep_close_map(p);
		if (rc)
			return rc;
		p->cur = ep_doc_new_map(p->doc, NULL, 0, line, li->kindname);
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
	p->cur->table.entries[p->cur->table.nr - 1].flags = li->flags;
	return li->warn[0] ? add_warning(p, line, li->warn) : 0;
}

/* Remember the first line that almost was a map entry, to name it when
 * no map is found at all. */
static void note_near_miss(struct parser *p, unsigned int line, const char *text, const char *why)
{
	size_t n = strlen(text);

	if (p->near_line)
		return;
	p->near_line = line;
	snprintf(p->near, sizeof(p->near), "line %u '%.48s%s': %s", line, text, n > 48 ? "..." : "",
		 why);
}

/* A memmap=exactmap ... line: the table the kernel would build from it. */
static int add_memmap(struct parser *p, const char *c, unsigned int line)
{
	struct p2msim_err e;
	int rc;

	rc = ep_close_map(p);
	if (rc)
		return rc;
	p->cur = ep_doc_new_map(p->doc, NULL, 0, line, "memmap");
	if (!p->cur)
		return perr(p, 0, -ENOMEM, "out of memory");
	p2msim_err_clear(&e);
	rc = e820_apply_cmdline(&p->cur->table, c, NULL, &e);
	for (size_t i = 0; i < p->cur->table.nr; i++)
		p->cur->table.entries[i].line = line;
	if (rc == -ENOMEM || (rc && p->cur->table.nr))
		return perr(p, line, rc, "%s", e.msg);
	if (!p->cur->table.nr) {
		/* "memmap=exactmap" quoted in prose: no map, named if none is found */
		struct e820_map *m = &p->doc->maps[--p->doc->nr_maps];

		free(m->kind);
		free(m->header);
		free(m->first);
		e820_table_free(&m->table);
		p->cur = NULL;
		note_near_miss(p, line, c, "this memmap= line describes no memory");
		return 0;
	}
	p->cur = NULL;
	return 0;
}

/*
 * Join the next physical line to the logical line in lbuf when it is a
 * hard-wrapped continuation: it carries no log prefix of its own and is
 * not itself a header, an entry or blank.  Mail clients wrap at a blank
 * (join with one) and list archives cut anywhere (join without), so both
 * are tried, without first.  want_entry: keep the join only if it makes an
 * entry of the open map's kind, else leave everything as it was.  Returns
 * 1 when joined (li, st reclassified), 0 when not, < 0 on error.
 */
static int join_next(struct parser *p, unsigned int line, bool want_entry, struct line_info *li,
		     struct stripped *st)
{
	size_t olen = p->t.llen;
	unsigned int save_line = p->t.lineno;
	const char *s;
	size_t n;
	bool eof, dummy;
	char *copy, *orig = NULL;
	struct stripped nst;
	struct line_info nli;
	int rc;

	if (p->t.llen && p->t.lbuf[p->t.llen - 1] == '=' && !want_entry) {
		/* a soft line break outside a quoted-printable body */
		rc = ep_next_phys(&p->t, &s, &n, &eof);
		if (rc || eof)
			return rc;
		copy = xstrndup(s, n);
		if (!copy)
			return perr(p, 0, -ENOMEM, "out of memory");
		ep_strip_ansi(copy);
		p->t.lbuf[--p->t.llen] = '\0';
		rc = ep_lbuf_append_line(&p->t, copy, strlen(copy), line, &dummy);
		free(copy);
		if (rc)
			return rc;
		classify(p, p->t.lbuf, li, st);
		return 1;
	}
	p->t.hold = p->t.pos; /* the line read ahead may be given back */
	rc = ep_next_phys(&p->t, &s, &n, &eof);
	if (rc || eof) {
		p->t.hold = SIZE_MAX;
		return rc;
	}
	copy = xstrndup(s, n);
	orig = xstrndup(p->t.lbuf, p->t.llen);
	if (!copy || !orig) {
		free(copy);
		free(orig);
		p->t.hold = SIZE_MAX;
		return perr(p, 0, -ENOMEM, "out of memory");
	}
	ep_strip_ansi(copy);
	classify(p, copy, &nli, &nst);
	if (nst.log || nli.kind == L_HEADER || nli.kind == L_ENTRY || nli.kind == L_MEMMAP ||
	    !*nst.c)
		goto restore;
	for (int blank = 0; blank < 2; blank++) {
		p->t.llen = olen;
		p->t.lbuf[olen] = '\0';
		rc = blank ? ep_lbuf_append(&p->t, " ", 1, line) : 0;
		if (!rc)
			rc = ep_lbuf_append(&p->t, nst.c, strlen(nst.c), line);
		if (rc)
			goto out;
		classify(p, p->t.lbuf, li, st);
		if (li->kind == L_ENTRY &&
		    (!want_entry || !p->cur->kind || !strcmp(p->cur->kind, li->kindname))) {
			rc = 1;
			goto out;
		}
	}
	if (!want_entry) {
		rc = 1; /* the joined-with-a-blank line, to join on or report */
		goto out;
	}
restore:
	memcpy(p->t.lbuf, orig, olen + 1);
	p->t.llen = olen;
	p->t.pos = p->t.hold;
	p->t.lineno = save_line;
	classify(p, p->t.lbuf, li, st);
	rc = 0;
out:
	p->t.hold = SIZE_MAX;
	free(copy);
	free(orig);
	return rc;
}

/* Try to complete a cut entry line with the next line(s). */
static int try_continue(struct parser *p, unsigned int line, struct line_info *li,
			struct stripped *st)
{
	for (int joins = 0; joins < MAX_JOINS && li->kind == L_BAD; joins++) {
		int rc = join_next(p, line, false, li, st);

		if (rc <= 0)
			return rc;
	}
	return 0;
}

/* A line inside an open map that is not an entry: the first part of an
 * entry that a mail client or archive wrapped?  A continuation belongs to
 * the entry before it rather than ending the map. */
static int try_rejoin(struct parser *p, unsigned int line, struct line_info *li,
		      struct stripped *st)
{
	int rc;

	if (!p->cur || !*st->c)
		return 0;
	if (li->kind != L_OTHER && !(li->kind == L_IGNORE && li->kindname[0]))
		return 0;
	rc = join_next(p, line, true, li, st);
	return rc < 0 ? rc : 0;
}

static int parse_text(struct parser *p)
{
	unsigned int line;
	int rc;

	for (;;) {
		struct line_info li;
		struct stripped st;

		ep_skip_blank_lines(&p->t);
		rc = ep_read_logical(&p->t, &line);
		if (rc <= 0)
			break;
		ep_strip_ansi(p->t.lbuf);
		p->t.llen = strlen(p->t.lbuf);
		classify(p, p->t.lbuf, &li, &st);
		if (li.kind == L_BAD) {
			rc = try_continue(p, line, &li, &st);
			if (rc)
				return rc;
		} else {
			rc = try_rejoin(p, line, &li, &st);
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
			if (li.near_miss)
				note_near_miss(p, line, st.c, li.why);
			p->saw_prose = true;
			if (p->cur && p->cur->table.nr) {
				rc = ep_close_map(p);
				if (rc)
					return rc;
			}
			break;
		case L_HEADER:
			p->saw_log = true;
			rc = ep_close_map(p);
			if (rc)
				return rc;
			p->cur = ep_doc_new_map(p->doc, st.c, li.hlen, line, NULL);
			if (!p->cur)
				return perr(p, 0, -ENOMEM, "out of memory");
			break;
		case L_ENTRY:
			if (strcmp(li.kindname, "table"))
				p->saw_log = true;
			rc = ep_add_entry(p, &li, line);
			if (rc)
				return rc;
			if (!p->cur->header && !p->cur->first) {
				p->cur->first = strdup(st.c);
				if (!p->cur->first)
					return perr(p, 0, -ENOMEM, "out of memory");
			}
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
	return ep_close_map(p);
}

/* --- entry points -------------------------------------------------------- */

/* The end of a parse: no map at all is an error that says what was
 * looked for, or names the line that came nearest. */
static int finish_doc(struct parser *p, int rc)
{
	ep_text_release(&p->t);
	if (!rc && !p->doc->nr_maps) {
		if (p->near_line)
			rc = perr(p, 0, -ENOENT, "no memory map found; the nearest was %s",
				  p->near);
		else
			rc = perr(
				p, 0, -ENOENT,
				"no memory map found in %u lines (looked for E820 "
				"lines of Linux, Xen and firmware logs, /proc/iomem, GRUB lsmmap, "
				"START-END TYPE tables, JSON, memmap=exactmap)",
				p->t.lineno ? p->t.lineno - 1 : 0);
	}
	if (rc)
		e820_doc_free(p->doc);
	return rc;
}

int e820_parse_buffer(const char *name, const char *buf, size_t len, struct e820_doc *doc,
		      struct p2msim_err *err)
{
	struct parser p;
	int rc;

	memset(doc, 0, sizeof(*doc));
	memset(&p, 0, sizeof(p));
	p.t.name = name ? name : "<input>";
	p.t.err = err;
	p.doc = doc;
	doc->name = strdup(p.t.name);
	if (!doc->name)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	if (ep_looks_like_json(buf, len) && !ep_is_utf16(buf, len)) {
		p.t.buf = buf;
		p.t.len = len;
		if (len > INPUT_MAX_LEN)
			rc = perr(&p, 0, -EINVAL,
				  "JSON input larger than %zu MiB (the tool's limit)",
				  INPUT_MAX_LEN >> 20);
		else if (memchr(buf, '\0', len))
			rc = perr(&p, 0, -EINVAL, "binary data (NUL byte) in JSON input");
		else
			rc = ep_parse_json(&p);
	} else {
		ep_text_init(&p.t, name, buf, len, err);
		rc = parse_text(&p);
	}
	return finish_doc(&p, rc);
}

/* A file read as a stream: a serial capture of several GiB keeps only its
 * maps in memory.  JSON is read whole. */
static int parse_fd(int fd, const char *name, unsigned int first_line, unsigned int end_line,
		    struct e820_doc *doc, struct p2msim_err *err)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.doc = doc;
	rc = ep_text_init_fd(&p.t, name, fd, err);
	if (rc) {
		ep_text_release(&p.t);
		return rc;
	}
	p.t.first_line = first_line;
	p.t.end_line = end_line;
	if (ep_looks_like_json(p.t.buf, p.t.len) && !ep_is_utf16(p.t.buf, p.t.len)) {
		char *buf;
		size_t len;

		rc = ep_text_slurp(&p.t, &buf, &len);
		ep_text_release(&p.t);
		if (rc)
			return rc;
		rc = e820_parse_buffer(name, buf, len, doc, err);
		free(buf);
		return rc;
	}
	doc->name = strdup(name);
	if (!doc->name) {
		ep_text_release(&p.t);
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	}
	return finish_doc(&p, parse_text(&p));
}

int e820_parse_file(const char *path, struct e820_doc *doc, struct p2msim_err *err)
{
	return e820_parse_file_window(path, 0, 0, doc, err);
}

int e820_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			   struct e820_doc *doc, struct p2msim_err *err)
{
	const char *name = path;
	struct stat stbuf;
	int fd, rc;

	memset(doc, 0, sizeof(*doc));
	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
		name = "<stdin>";
	} else {
		if (stat(path, &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
			return ep_parse_sysfs(path, doc, err);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
					      strerror(errno));
	}
	rc = parse_fd(fd, name, first_line, end_line, doc, err);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
