/* SPDX-License-Identifier: MIT */
/* util/parse.c - numbers and whole files for the parsers (util/parse.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/parse.h"
#include "util/text.h"

uint64_t parse_kstrtoull(const char *s, const char **end)
{
	unsigned int base = 10;
	uint64_t v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && text_hexval(p[2]) >= 0) {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	}
	for (;; p++) {
		int d = text_hexval(*p);

		if (d < 0 || (unsigned int)d >= base)
			break;
		v = v * base + (unsigned int)d; /* wraps like the kernel's */
	}
	if (end)
		*end = p;
	return v;
}

unsigned int parse_unit_shift(const char **p, const char *units)
{
	const char *u;
	char c = **p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	u = c ? strchr(units, c) : NULL;
	if (!u)
		return 0;
	(*p)++;
	return 10 * (unsigned int)(u - units + 1);
}

int parse_scan_u64(const char *s, unsigned int base, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	for (;; n++) {
		int d = text_hexval(s[n]);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (x > (UINT64_MAX - (unsigned int)d) / base)
			return -1;
		x = x * base + (unsigned int)d;
		if (n > 4096)
			return -1;
	}
	*v = x;
	return n;
}

int parse_read_fd(int fd, const char *name, char **out, size_t *outlen, struct p2msim_err *err)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap;
			char *nb;

			if (cap > PARSE_INPUT_MAX) {
				free(buf);
				return p2msim_err_set(err, -EINVAL, "%s: input larger than %zu MiB",
						      name, PARSE_INPUT_MAX >> 20);
			}
			/* one byte past the limit is enough to know */
			ncap = cap * 2 > PARSE_INPUT_MAX + 1 ? PARSE_INPUT_MAX + 1 : cap * 2;
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return p2msim_err_set(err, -ENOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			free(buf);
			return p2msim_err_set(err, -e, "%s: %s", name, strerror(e));
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
