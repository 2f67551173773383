/* SPDX-License-Identifier: MIT */
/*
 * util/text.h - character classes the parsers share, locale-free (the
 * <ctype.h> ones follow the locale and want an unsigned char).
 */
#ifndef P2MSIM_UTIL_TEXT_H
#define P2MSIM_UTIL_TEXT_H

/* The value of hex digit @c, or -1. */
static inline int text_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
