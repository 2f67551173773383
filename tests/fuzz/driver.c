/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/driver.c - main() for a fuzz target when libFuzzer does not
 * provide one: "make check" replays files through it, and AFL++ (built
 * with afl-clang-fast, see tests/fuzz/README) runs it on standard input.
 *
 *   fuzz-X FILE...   run each file once; a directory runs every file in it
 *   fuzz-X           run standard input (in a persistent loop under AFL++)
 *
 * Every input is copied into a buffer of exactly its size, so a read past
 * the end is a heap overflow that AddressSanitizer reports.  In a libFuzzer
 * build (P2MSIM_LIBFUZZER) this file is empty: libFuzzer has its own main().
 */
#ifndef P2MSIM_LIBFUZZER
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

static int read_all(FILE *f, uint8_t **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	/* exactly n bytes: the target must not read beyond them */
	{
		uint8_t *exact = malloc(n ? n : 1);

		if (!exact) {
			free(buf);
			return -ENOMEM;
		}
		memcpy(exact, buf, n);
		free(buf);
		*out = exact;
	}
	*len = n;
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;
	int rc;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = read_all(f, &buf, &len);
	fclose(f);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, fails = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
			char *sub = malloc(len);

			if (!sub)
				return 1;
			snprintf(sub, len, "%s/%s", path, names[i]->d_name);
			fails += run_path(sub);
			free(sub);
		}
		free(names[i]);
	}
	free(names);
	return fails;
}

int main(int argc, char *argv[])
{
	int fails = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			fails += run_path(argv[i]);
		return fails ? 1 : 0;
	}
#ifdef __AFL_FUZZ_TESTCASE_LEN
	/* AFL++ persistent mode: the test case arrives in shared memory. */
	__AFL_INIT();
	{
		const unsigned char *afl = __AFL_FUZZ_TESTCASE_BUF;

		while (__AFL_LOOP(10000)) {
			size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
			uint8_t *copy = malloc(len ? len : 1);

			if (!copy)
				return 1;
			memcpy(copy, afl, len);
			LLVMFuzzerTestOneInput(copy, len);
			free(copy);
		}
	}
	return 0;
#else
	{
		uint8_t *buf;
		size_t len;

		if (read_all(stdin, &buf, &len)) {
			fputs("standard input: read error\n", stderr);
			return 1;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		return 0;
	}
#endif
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int p2msim_fuzz_driver_unused;
#endif
