/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz.h - what the fuzz targets share.
 *
 * Each tests/fuzz/fuzz-*.c defines LLVMFuzzerTestOneInput() and nothing
 * else that libFuzzer would not expect.  Built with --enable-fuzzing
 * (libFuzzer) it is linked with -fsanitize=fuzzer; otherwise (make check,
 * AFL++) tests/fuzz/driver.c supplies main(), which runs the files named
 * on the command line, or standard input, through the same function.
 *
 * Besides "no crash, no sanitizer report", targets check properties that
 * must hold for every input (FUZZ_CHECK): a failed parse leaves nothing
 * behind and says why, a sanitized map is sorted and disjoint, a run list
 * survives a write and re-read, a diff of a list with itself is empty.
 * A broken property aborts, so libFuzzer keeps the input as a crash.
 */
#ifndef P2MSIM_TESTS_FUZZ_H
#define P2MSIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e820/e820.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                               \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                     \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* A library error: negative code, recorded in err with a message. */
#define FUZZ_CHECK_ERR(rc, err)                                                                    \
	FUZZ_CHECK((rc) < 0 && (err).code == (rc) && (err).msg[0], "rc %d, err.code %d, msg '%s'", \
		   (rc), (err).code, (err).msg)

/* Where printers write: /dev/null, opened once per process. */
static inline FILE *fuzz_null(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

/* [p, p + n) as a NUL-terminated string of exactly n + 1 bytes (so an
 * over-read shows under ASan); NULs inside are kept and end it early. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Split the input at its first newline: *head gets the first line (a
 * fresh string), *rest and *rest_len the remainder.  Targets that take a
 * command line and a map read "CMDLINE\nMAP...".
 */
static inline char *fuzz_split_line(const uint8_t *data, size_t size, const uint8_t **rest,
				    size_t *rest_len)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;

	*rest = nl ? nl + 1 : data + size;
	*rest_len = size - n - (nl ? 1 : 0);
	return fuzz_strndup(data, n);
}

/* The 1-1 series' example machine (doc/behaviours.md#the-seed-map-s), for targets whose map
 * part does not parse. */
static inline void fuzz_default_map(struct e820_table *t)
{
	e820_table_init(t);
	if (e820_add(t, 0, 1029ULL << 20, E820_TYPE_RAM) ||
	    e820_add(t, 1029ULL << 20, 1ULL << 20, E820_TYPE_ACPI) ||
	    e820_add(t, 1200ULL << 20, 100ULL << 20, E820_TYPE_RESERVED) ||
	    e820_add(t, 2001ULL << 20, 303ULL << 20, E820_TYPE_RAM))
		abort();
}

/* The first map of an E820 document in [p, p + n), or the default map. */
static inline void fuzz_map_or_default(const uint8_t *p, size_t n, struct e820_table *t)
{
	struct e820_doc doc;
	struct p2msim_err err;

	if (!e820_parse_buffer("map", (const char *)p, n, &doc, &err)) {
		int rc = e820_table_copy(t, &doc.maps[0].table);

		e820_doc_free(&doc);
		if (!rc)
			return;
	}
	fuzz_default_map(t);
}

/* Linux's sanitize postcondition: sorted, disjoint, no empty entry, no
 * wrap. */
static inline void fuzz_check_sanitized(const struct e820_table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		FUZZ_CHECK(e->size && e->addr + e->size - 1 >= e->addr,
			   "entry %zu [%#llx +%#llx] empty or wraps", i,
			   (unsigned long long)e->addr, (unsigned long long)e->size);
		if (i)
			FUZZ_CHECK(t->entries[i - 1].addr + t->entries[i - 1].size <= e->addr,
				   "entry %zu overlaps or precedes entry %zu", i, i - 1);
	}
}

#endif
