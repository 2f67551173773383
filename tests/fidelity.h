/* SPDX-License-Identifier: MIT */
/*
 * tests/fidelity.h - what the two fidelity suites (lab captures, corpus
 * pairs) share: reading their data, collecting reasons, and the
 * tests/KNOWN-DIFFERENCES list.
 */
#ifndef P2MSIM_TESTS_FIDELITY_H
#define P2MSIM_TESTS_FIDELITY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *fidelity_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d ? d : ".";
}

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static inline char *fidelity_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Append one reason to @why ("; " between reasons), never overflowing. */
static inline void fidelity_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void fidelity_why(char *why, size_t size, const char *fmt, ...)
{
	size_t n = strlen(why);
	va_list ap;

	if (n + 4 >= size)
		return;
	if (n)
		strcat(why, "; ");
	va_start(ap, fmt);
	vsnprintf(why + strlen(why), size - strlen(why), fmt, ap);
	va_end(ap);
}

/* Is @name listed in tests/KNOWN-DIFFERENCES ("NAME  reason" lines)? */
static inline bool fidelity_known(const char *known, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = known; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (*p != '#' && !strncmp(p, name, len) && (p[len] == ' ' || p[len] == '\t'))
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Does @line (to its end or a newline) read exactly as @fmt, which holds
 * one %llu?  An optional full stop may end it (2.6.39's "Set N page(s) to
 * 1-1 mapping.").  sscanf alone would take a longer line ("Remapped 0
 * non-RAM page(s)" for "Remapped %llu page(s)"). */
static inline bool fidelity_line_is(const char *line, const char *fmt, unsigned long long *v)
{
	const char *num = strstr(fmt, "%llu"), *suffix;
	size_t pre, sl, len = strcspn(line, "\r\n");
	char *end;

	if (!num)
		return false;
	suffix = num + 4;
	pre = (size_t)(num - fmt);
	sl = strlen(suffix);
	if (len <= pre || strncmp(line, fmt, pre) || line[pre] < '0' || line[pre] > '9')
		return false;
	*v = strtoull(line + pre, &end, 10);
	if (strncmp(end, suffix, sl))
		return false;
	end += sl;
	return end == line + len || (*end == '.' && end + 1 == line + len);
}

#endif
