/* SPDX-License-Identifier: MIT */
/*
 * util/parse.h - what every parser of the library needs, whatever it
 * reads (E820 maps, Xen's boot log, dom0_mem, a kernel log, an outcome):
 * numbers as the kernel or a strict parser reads them, and a whole file.
 * Internal to the library: not installed, not exported.
 */
#ifndef P2MSIM_UTIL_PARSE_H
#define P2MSIM_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The tool's limit on an input read whole. */
#define PARSE_INPUT_MAX ((size_t)64 << 20)

/* Linux simple_strtoull(s, end, 0): "0x" hex (only when a hex digit
 * follows), leading "0" octal, else decimal; wraps silently on overflow
 * as the kernel does.  *end == s when no digit was read. */
uint64_t parse_kstrtoull(const char *s, const char **end);

/* A size suffix at *p: its letter's place in units (upper case, each
 * 1024 times the one before, e.g. "KMGTPE") gives a shift of 10 per
 * place; either case is read and *p moves past it.  0 and *p unchanged
 * when *p is no such letter. */
unsigned int parse_unit_shift(const char **p, const char *units);

/* Strict hex/decimal for parsers: digits of base in [s, ...), at most
 * 64 bits.  Returns the number of characters read, 0 when none, -1 on
 * overflow. */
int parse_scan_u64(const char *s, unsigned int base, uint64_t *v);

/* Read a whole file descriptor (at most PARSE_INPUT_MAX) into a malloc'ed
 * buffer; name is the file's name in the error.  fd stays the caller's. */
int parse_read_fd(int fd, const char *name, char **out, size_t *outlen, struct p2msim_err *err);

#endif
