/* SPDX-License-Identifier: MIT */
/*
 * util/text.h - character classes and prefix tests the parsers share,
 * locale-free (the <ctype.h> ones follow the locale and want an unsigned
 * char).
 */
#ifndef P2MSIM_UTIL_TEXT_H
#define P2MSIM_UTIL_TEXT_H

#include <stdbool.h>
#include <string.h>

/* Blanks inside a line: space and the tabs/feeds, not the newline. */
static inline bool text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Does @s begin with @prefix?  (Instead of strncmp with a counted length.) */
static inline bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

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
