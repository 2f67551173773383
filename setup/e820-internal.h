/* SPDX-License-Identifier: MIT */
/* setup/e820-internal.h - helpers shared by the setup/e820*.c files. */
#ifndef P2MSIM_SETUP_E820_INTERNAL_H
#define P2MSIM_SETUP_E820_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "setup/e820.h"

/* Grow the slot array to at least want slots (new slots zeroed). */
int e820_table_reserve(struct e820_table *t, size_t want);

static inline int e820_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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

#endif
