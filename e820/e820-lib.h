/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-lib.h - what e820/ offers the other directories of the library
 * beyond the installed e820/e820.h: the reader of log lines that the Xen
 * log, kernel log and outcome parsers share with the E820 parser, and
 * growing a table in place.  Not installed, not exported.
 */
#ifndef P2MSIM_E820_LIB_H
#define P2MSIM_E820_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include "e820/e820.h"
#include "util/err.h"

/* The character of the memmap=nn?ss form that adds an entry of @type
 * (@ # $ !), or 0 when the kernel has none for it (nn%ss+type then). */
char e820_memmap_form(uint32_t type);

/* Grow the slot array to at least want slots (new slots zeroed). */
int e820_table_reserve(struct e820_table *t, size_t want);

/* Logical lines of a log as the E820 parser sees them: quoted-printable
 * decoded, colour codes removed, prefixes ("> ", timestamps, "(XEN)",
 * journalctl) peeled off.  Binary data and huge lines are errors. */
struct e820_text;
struct e820_text_line {
	const char *content; /* valid until the next call */
	unsigned int line;
	bool log; /* a log prefix was removed */
	bool xen; /* "(XEN)" was removed */
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
