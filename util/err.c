/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

int p2msim_err_set(struct p2msim_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void p2msim_err_prefix(struct p2msim_err *err, const char *fmt, ...)
{
	char old[P2MSIM_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 3);
		n += 2;
		/* the old message is cut rather than overflow */
		memcpy(err->msg + n, old, strnlen(old, sizeof(err->msg) - n - 1));
		err->msg[n + strnlen(old, sizeof(err->msg) - n - 1)] = '\0';
	}
}
