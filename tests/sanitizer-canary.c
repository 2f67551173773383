/* SPDX-License-Identifier: MIT */
/*
 * tests/sanitizer-canary.c - one deliberate bug per sanitizer, so that
 * tests/sanitizers.sh can prove a --enable-sanitizers build really reports
 * them (and a clean "make check" there means something).
 *
 *   sanitizer-canary leak       a lost allocation (LeakSanitizer)
 *   sanitizer-canary overflow   a read past a heap block (AddressSanitizer)
 *   sanitizer-canary ubsan      signed overflow (UndefinedBehaviorSanitizer)
 *   sanitizer-canary clean      nothing wrong: must exit 0
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

int main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "clean";

	if (!strcmp(mode, "leak")) {
		sink = malloc(4096);
		sink = NULL; /* the only pointer is gone */
		return 0;
	}
	if (!strcmp(mode, "overflow")) {
		char *volatile p = malloc(8);

		if (!p)
			return 99;
		printf("%d\n", p[8]);
		free(p);
		return 0;
	}
	if (!strcmp(mode, "ubsan")) {
		volatile int x = INT_MAX;

		x = x + argc; /* INT_MAX + 2 */
		printf("%d\n", x);
		return 0;
	}
	return strcmp(mode, "clean") ? 99 : 0;
}
