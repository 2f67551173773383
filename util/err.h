/* SPDX-License-Identifier: MIT */
/*
 * util/err.h - errors as values.
 *
 * Library code never prints and never exits.  A function that can fail
 * returns a negative errno-style code and, when the caller passed a
 * struct p2msim_err, fills it with one human-readable sentence.  Parsers
 * put "FILE:LINE: " at the front themselves, so the command line prints
 * "p2msim: " followed by the message and nothing else.
 */
#ifndef P2MSIM_UTIL_ERR_H
#define P2MSIM_UTIL_ERR_H

#include <stddef.h>

#define P2MSIM_ERR_MSG_MAX 512

struct p2msim_err {
	int code; /* negative errno, 0 when clear */
	char msg[P2MSIM_ERR_MSG_MAX];
};

/* Record an error and return @code (a negative errno) for tail calls:
 * "return p2msim_err_set(err, -EINVAL, "bad %s", x);".  @err may be NULL. */
int p2msim_err_set(struct p2msim_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "PREFIX: " in front of an error message already recorded. */
void p2msim_err_prefix(struct p2msim_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void p2msim_err_clear(struct p2msim_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

#endif
