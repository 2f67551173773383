/* SPDX-License-Identifier: MIT */
/* tests/e820-testutil.h - helpers shared by the E820 test programs. */
#ifndef P2MSIM_E820_TESTUTIL_H
#define P2MSIM_E820_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e820/e820.h"
#include "tests/testutil.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

struct ent {
	uint64_t addr, size;
	uint32_t type;
};

/* A fresh table holding the n entries. */
static inline void table_of(struct e820_table *t, const struct ent *e, size_t n)
{
	e820_table_init(t);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_FATAL(e820_add(t, e[i].addr, e[i].size, e[i].type) == 0);
}

/* Assert that t holds exactly the n entries. */
#define ASSERT_TABLE(t, ...)                                                    \
	do {                                                                    \
		const struct ent want_[] = { __VA_ARGS__ };                     \
		size_t n_ = sizeof(want_) / sizeof(want_[0]);                   \
		CU_ASSERT_EQUAL_FATAL((t)->nr, n_);                             \
		for (size_t i_ = 0; i_ < n_; i_++) {                            \
			CU_ASSERT_EQUAL((t)->entries[i_].addr, want_[i_].addr); \
			CU_ASSERT_EQUAL((t)->entries[i_].size, want_[i_].size); \
			CU_ASSERT_EQUAL((t)->entries[i_].type, want_[i_].type); \
		}                                                               \
	} while (0)

/* $top_srcdir/tests/data/SUB/NAME */
static inline const char *data_path(const char *sub, const char *name)
{
	static char path[4096];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/data/%s/%s", top ? top : ".", sub, name);
	return path;
}

/* Parse a string; returns the rc, message in err. */
static inline int parse_str(const char *text, struct e820_doc *doc, struct p2msim_err *err)
{
	p2msim_err_clear(err);
	return e820_parse_buffer("t.txt", text, strlen(text), doc, err);
}

/* Print t in fmt into a malloc'ed string. */
static inline char *print_str(const struct e820_table *t, enum e820_format fmt, const char *who)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct p2msim_err err;

	if (!f)
		return NULL;
	if (e820_print(f, t, fmt, who, &err)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

#endif
