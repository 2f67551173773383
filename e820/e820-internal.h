/* SPDX-License-Identifier: MIT */
/* e820/e820-internal.h - helpers shared by the e820/e820*.c files. */
#ifndef P2MSIM_E820_INTERNAL_H
#define P2MSIM_E820_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e820/e820.h"
#include "util/text.h"

/* Grow the slot array to at least want slots (new slots zeroed). */
int e820_table_reserve(struct e820_table *t, size_t want);

static inline int e820_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Linux simple_strtoull(s, end, 0): "0x" hex (only when a hex digit
 * follows), leading "0" octal, else decimal; wraps silently on overflow
 * as the kernel does.  *end == s when no digit was read. */
uint64_t e820_kstrtoull(const char *s, const char **end);

/* Strict hex/decimal for parsers: digits of base in [s, ...), at most
 * 64 bits.  Returns the number of characters read, 0 when none, -1 on
 * overflow. */
int e820_scan_u64(const char *s, unsigned int base, uint64_t *v);

/* Read a whole file descriptor (at most 64 MiB). */
int e820_read_fd(int fd, const char *name, char **out, size_t *outlen, struct p2msim_err *err);

/* Logical lines of a log as the E820 parser sees them: quoted-printable
 * decoded, colour codes removed, prefixes ("> ", timestamps, "(XEN)",
 * journalctl) peeled off.  Binary data and huge lines are errors. */
struct e820_text;
struct e820_text_line {
	const char *content;	/* valid until the next call */
	unsigned int line;
	bool log;		/* a log prefix was removed */
	bool xen;		/* "(XEN)" was removed */
};
int e820_text_open(struct e820_text **t, const char *name, const char *buf, size_t len,
		   struct p2msim_err *err);
/* The same over a file descriptor, read as a stream (inputs of several
 * GiB: only a window of them is in memory); fd stays the caller's. */
int e820_text_open_fd(struct e820_text **t, const char *name, int fd, struct p2msim_err *err);
/* 1: a line; 0: the end; < 0: an error (in err). */
int e820_text_next(struct e820_text *t, struct e820_text_line *l);
void e820_text_close(struct e820_text *t);
/* Read only physical lines [first_line, end_line) (end_line 0: to the
 * end): the lines before read as blank, so FILE:LINE stays right.  Call
 * before the first e820_text_next(). */
void e820_text_window(struct e820_text *t, unsigned int first_line, unsigned int end_line);
/* e820_parse_file() over such a window of a text file (JSON is read whole). */
int e820_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			   struct e820_doc *doc, struct p2msim_err *err);

#endif
