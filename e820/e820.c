/* SPDX-License-Identifier: MIT */
/*
 * e820/e820.c - the E820 table, Linux's and Xen's sanitize, range edits
 * and type names.
 *
 * The table mimics the kernel's fixed array: entries beyond nr keep their
 * last contents (see e820/e820.h).  The range edits loop over nr as it
 * grows, like the kernel's loops, so pieces they append are visited too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e820/e820.h"
#include "e820/e820-lib.h"
#include "util/text.h"

void e820_table_init(struct e820_table *t)
{
	t->entries = NULL;
	t->nr = 0;
	t->alloc = 0;
}

void e820_table_free(struct e820_table *t)
{
	free(t->entries);
	e820_table_init(t);
}

/* Make room for at least want slots; new slots are zero, like the
 * kernel's __initdata array. */
int e820_table_reserve(struct e820_table *t, size_t want)
{
	struct e820_entry *n;
	size_t alloc;

	if (want <= t->alloc)
		return 0;
	if (want > E820_MAX_ENTRIES + 1)
		return -E2BIG;
	alloc = t->alloc ? t->alloc : 16;
	while (alloc < want)
		alloc *= 2;
	if (alloc > E820_MAX_ENTRIES + 1)
		alloc = E820_MAX_ENTRIES + 1;
	n = realloc(t->entries, alloc * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + t->alloc, 0, (alloc - t->alloc) * sizeof(*n));
	t->entries = n;
	t->alloc = alloc;
	return 0;
}

int e820_table_copy(struct e820_table *dst, const struct e820_table *src)
{
	struct e820_entry *n = NULL;

	if (dst == src)
		return 0;
	if (src->alloc) {
		n = malloc(src->alloc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memcpy(n, src->entries, src->alloc * sizeof(*n));
	}
	dst->entries = n;
	dst->nr = src->nr;
	dst->alloc = src->alloc;
	return 0;
}

int e820_add_line(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type,
		  unsigned int line)
{
	struct e820_entry *e;
	int rc;

	if (t->nr >= E820_MAX_ENTRIES)
		return -E2BIG;
	/* One spare slot past nr, so the stale slot a wildcard reads exists. */
	rc = e820_table_reserve(t, t->nr + 2);
	if (rc == -E2BIG)
		rc = e820_table_reserve(t, t->nr + 1);
	if (rc)
		return rc;
	e = &t->entries[t->nr++];
	e->addr = addr;
	e->size = size;
	e->type = type;
	e->line = line;
	e->flags = 0;
	return 0;
}

int e820_add(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type)
{
	return e820_add_line(t, addr, size, type, 0);
}

uint64_t e820_total(const struct e820_table *t, uint32_t type)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->nr; i++) {
		if (t->entries[i].type != type)
			continue;
		if (sum + t->entries[i].size < sum)
			return UINT64_MAX;
		sum += t->entries[i].size;
	}
	return sum;
}

bool e820_table_equal(const struct e820_table *a, const struct e820_table *b)
{
	if (a->nr != b->nr)
		return false;
	for (size_t i = 0; i < a->nr; i++) {
		const struct e820_entry *x = &a->entries[i], *y = &b->entries[i];

		if (x->addr != y->addr || x->size != y->size || x->type != y->type)
			return false;
	}
	return true;
}

/* --- sanitize ---------------------------------------------------------- */

/*
 * Both sanitizers sweep the sorted start/end points of the non-empty
 * entries.  The effective type at any address is the highest type among
 * the entries open there; a new output entry starts wherever it changes
 * (and, for Linux, at every change point while PRAM or soft reserved is
 * effective, since those never merge).  Output entries that would have
 * size zero are overwritten, exactly like the kernel's "move forward only
 * if the new size was non-zero".
 *
 * The kernel finds the highest open type by scanning its overlap list at
 * each change point (quadratic); here open types are counted per distinct
 * type and kept in a max-heap with lazy deletion, which gives the same
 * answer in O(n log n) even for 65536 overlapping entries.
 */
struct change_point {
	uint64_t addr;
	unsigned int is_end; /* starts sort before ends at one address */
	unsigned int rank;   /* index of the entry's type among distinct types */
	unsigned int line;
};

static int cmp_change(const void *a, const void *b)
{
	const struct change_point *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->is_end - (int)y->is_end;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct rank_heap {
	unsigned int *v;
	size_t n;
};

static void heap_push(struct rank_heap *h, unsigned int r)
{
	size_t i = h->n++;

	h->v[i] = r;
	while (i && h->v[(i - 1) / 2] < h->v[i]) {
		unsigned int tmp = h->v[i];

		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct rank_heap *h)
{
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->v[l] > h->v[m])
			m = l;
		if (r < h->n && h->v[r] > h->v[m])
			m = r;
		if (m == i)
			break;
		unsigned int tmp = h->v[i];

		h->v[i] = h->v[m];
		h->v[m] = tmp;
		i = m;
	}
}

static bool linux_mergeable(uint32_t type)
{
	/* 4.1+ (ec776ef6bbe1) never merges PRAM; 5.5+ soft reserved too. */
	return type != E820_TYPE_PRAM && type != E820_TYPE_SOFT_RESERVED;
}

static int sanitize(struct e820_table *t, bool xen)
{
	struct change_point *cp = NULL;
	struct e820_entry *out = NULL;
	uint32_t *types = NULL;
	unsigned int *count = NULL;
	struct rank_heap heap = { NULL, 0 };
	size_t n = t->nr, ncp = 0, ntypes = 0, nout = 0;
	uint32_t last_type = 0;
	uint64_t last_addr = 0;
	int rc = -ENOMEM;

	if (n < 2)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (t->entries[i].addr + t->entries[i].size < t->entries[i].addr)
			return -1;

	cp = malloc(2 * n * sizeof(*cp));
	types = malloc(n * sizeof(*types));
	count = calloc(n, sizeof(*count));
	heap.v = malloc(2 * n * sizeof(*heap.v));
	out = malloc(2 * n * sizeof(*out));
	if (!cp || !types || !count || !heap.v || !out)
		goto out;

	for (size_t i = 0; i < n; i++)
		types[i] = t->entries[i].type;
	qsort(types, n, sizeof(*types), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (!ntypes || types[ntypes - 1] != types[i])
			types[ntypes++] = types[i];

	for (size_t i = 0; i < n; i++) {
		const struct e820_entry *e = &t->entries[i];
		uint32_t *p;

		if (!e->size)
			continue;
		p = bsearch(&e->type, types, ntypes, sizeof(*types), cmp_u32);
		cp[ncp++] = (struct change_point){ e->addr, 0, (unsigned int)(p - types), e->line };
		cp[ncp++] = (struct change_point){ e->addr + e->size, 1, (unsigned int)(p - types),
						   e->line };
	}
	qsort(cp, ncp, sizeof(*cp), cmp_change);

	for (size_t c = 0; c < ncp; c++) {
		uint32_t cur = 0;

		if (!cp[c].is_end) {
			if (count[cp[c].rank]++ == 0)
				heap_push(&heap, cp[c].rank);
		} else {
			count[cp[c].rank]--;
		}
		while (heap.n && !count[heap.v[0]])
			heap_pop(&heap);
		if (heap.n)
			cur = types[heap.v[0]];

		if (cur == last_type && (xen || !cur || linux_mergeable(cur)))
			continue;
		if (last_type) {
			out[nout].size = cp[c].addr - last_addr;
			if (out[nout].size)
				nout++;
		}
		if (cur) {
			out[nout].addr = cp[c].addr;
			out[nout].type = cur;
			out[nout].line = cp[c].line;
			out[nout].flags = 0;
			last_addr = cp[c].addr;
		}
		last_type = cur;
	}

	if (nout > E820_MAX_ENTRIES) {
		rc = -E2BIG;
		goto out;
	}
	rc = e820_table_reserve(t, nout + 1);
	if (rc == -E2BIG)
		rc = e820_table_reserve(t, nout);
	if (rc)
		goto out;
	/* Slots [nout, old nr) keep their old contents, as after the
	 * kernel's memcpy of the new entries over the start of the array. */
	memcpy(t->entries, out, nout * sizeof(*out));
	t->nr = nout;
	rc = 0;
out:
	free(cp);
	free(types);
	free(count);
	free(heap.v);
	free(out);
	return rc;
}

int e820_sanitize(struct e820_table *t)
{
	return sanitize(t, false);
}

int e820_sanitize_xen(struct e820_table *t)
{
	return sanitize(t, true);
}

/* --- range edits ------------------------------------------------------- */

int e820_remove_range(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t old_type,
		      bool check_type)
{
	uint64_t end;

	if (size > UINT64_MAX - addr)
		size = UINT64_MAX - addr;
	end = addr + size;

	for (size_t i = 0; i < t->nr; i++) {
		struct e820_entry *e = &t->entries[i];
		uint64_t e_end = e->addr + e->size, fs, fe;

		if (check_type && e->type != old_type)
			continue;
		if (e->addr >= addr && e_end <= end) {
			/* covered: zeroed in place, dropped by the next sanitize */
			memset(e, 0, sizeof(*e));
			continue;
		}
		if (e->addr < addr && e_end > end) {
			uint32_t type = e->type;
			unsigned int line = e->line;
			int rc;

			e->size = addr - e->addr;
			rc = e820_add_line(t, end, e_end - end, type, line);
			if (rc)
				return rc;
			continue;
		}
		fs = e->addr > addr ? e->addr : addr;
		fe = e_end < end ? e_end : end;
		if (fs >= fe)
			continue;
		e->size -= fe - fs;
		if (e->addr < fs)
			continue;
		e->addr = fe;
	}
	return 0;
}

int e820_update_range(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t old_type,
		      uint32_t new_type)
{
	uint64_t end;
	int rc;

	if (old_type == new_type)
		return -EINVAL;
	if (size > UINT64_MAX - addr)
		size = UINT64_MAX - addr;
	end = addr + size;

	for (size_t i = 0; i < t->nr; i++) {
		struct e820_entry *e = &t->entries[i];
		uint64_t e_addr = e->addr, e_end = e->addr + e->size, fs, fe;
		unsigned int line = e->line;

		if (e->type != old_type)
			continue;
		if (e_addr >= addr && e_end <= end) {
			e->type = new_type;
			continue;
		}
		if (e_addr < addr && e_end > end) {
			e->size = addr - e_addr;
			rc = e820_add_line(t, addr, size, new_type, line);
			if (!rc)
				rc = e820_add_line(t, end, e_end - end, old_type, line);
			if (rc)
				return rc;
			continue;
		}
		fs = e_addr > addr ? e_addr : addr;
		fe = e_end < end ? e_end : end;
		if (fs >= fe)
			continue;
		rc = e820_add_line(t, fs, fe - fs, new_type, line);
		if (rc)
			return rc;
		e = &t->entries[i]; /* the add may have moved the array */
		e->size -= fe - fs;
		if (e->addr < fs)
			continue;
		e->addr = fe;
	}
	return 0;
}

/* --- type names -------------------------------------------------------- */

const char *e820_type_name(uint32_t type, enum e820_name_style style)
{
	switch (style) {
	case E820_NAME_LINUX:
	case E820_NAME_LINUX_KERN:
		switch (type) {
		case E820_TYPE_RAM:
			return "usable";
		case E820_TYPE_RESERVED:
			return "reserved";
		case E820_TYPE_ACPI:
			return "ACPI data";
		case E820_TYPE_NVS:
			return "ACPI NVS";
		case E820_TYPE_UNUSABLE:
			return "unusable";
		case E820_TYPE_PMEM:
			return "persistent (type 7)";
		case E820_TYPE_PRAM:
			return "persistent (type 12)";
		case E820_TYPE_SOFT_RESERVED:
			return "soft reserved";
		case E820_TYPE_RESERVED_KERN:
			/* 2.6.38-6.9 print the kernel-internal type as usable;
			 * it is gone since 6.10 and prints as a number. */
			return style == E820_NAME_LINUX_KERN ? "usable" : NULL;
		default:
			return NULL;
		}
	case E820_NAME_LINUX_OLD:
		/* Xen's names, and the kernel-reserved type printed as RAM */
		if (type == E820_TYPE_RESERVED_KERN)
			return "(usable)";
		/* fall through */
	case E820_NAME_XEN:
		switch (type) {
		case E820_TYPE_RAM:
			return "(usable)";
		case E820_TYPE_RESERVED:
			return "(reserved)";
		case E820_TYPE_ACPI:
			return "(ACPI data)";
		case E820_TYPE_NVS:
			return "(ACPI NVS)";
		case E820_TYPE_UNUSABLE:
			return "(unusable)";
		default:
			return NULL;
		}
	case E820_NAME_IOMEM:
		switch (type) {
		case E820_TYPE_RAM:
			return "System RAM";
		case E820_TYPE_RESERVED:
			return "Reserved";
		case E820_TYPE_ACPI:
			return "ACPI Tables";
		case E820_TYPE_NVS:
			return "ACPI Non-volatile Storage";
		case E820_TYPE_UNUSABLE:
			return "Unusable memory";
		case E820_TYPE_PMEM:
			return "Persistent Memory";
		case E820_TYPE_PRAM:
			return "Persistent Memory (legacy)";
		case E820_TYPE_SOFT_RESERVED:
			return "Soft Reserved";
		default:
			return "Unknown E820 type";
		}
	}
	return NULL;
}

const char *e820_type_name_buf(uint32_t type, enum e820_name_style style, char *buf, size_t len)
{
	const char *name = e820_type_name(type, style);

	if (!len)
		return buf;
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "type %u", type);
	return buf;
}

/* Names as kernels, Xen and their patches print them, lower case with
 * single spaces.  Parenthesised forms are unwrapped before lookup. */
static const struct {
	const char *name;
	uint32_t type;
} known_names[] = {
	{ "usable", E820_TYPE_RAM },
	{ "system ram", E820_TYPE_RAM },
	{ "reserved ram", E820_TYPE_RAM }, /* RESERVE_PHYSICAL_START patch */
	{ "reserved ram failed", E820_TYPE_RAM },
	{ "reserved", E820_TYPE_RESERVED },
	{ "device reserved", E820_TYPE_RESERVED }, /* 2025 tip-tree wording */
	{ "acpi data", E820_TYPE_ACPI },
	{ "acpi tables", E820_TYPE_ACPI },
	{ "acpi nvs", E820_TYPE_NVS },
	{ "acpi non-volatile storage", E820_TYPE_NVS },
	{ "unusable", E820_TYPE_UNUSABLE },
	{ "unusable memory", E820_TYPE_UNUSABLE },
	{ "persistent memory", E820_TYPE_PMEM },
	{ "persistent memory (legacy)", E820_TYPE_PRAM },
	{ "soft reserved", E820_TYPE_SOFT_RESERVED },
	{ "reserved kern", E820_TYPE_RESERVED_KERN },
};

static const struct {
	const char *name;
	uint32_t type;
} bare_names[] = {
	{ "ram", E820_TYPE_RAM },
	{ "acpi", E820_TYPE_ACPI },
	{ "nvs", E820_TYPE_NVS },
	{ "pmem", E820_TYPE_PMEM },
	{ "pram", E820_TYPE_PRAM },
	{ "reserved_kern", E820_TYPE_RESERVED_KERN },
	{ "soft_reserved", E820_TYPE_SOFT_RESERVED },
};

/* Parse a decimal (or 0x hex) u32 filling all of s[0, len). */
static int parse_u32_all(const char *s, size_t len, uint32_t *v)
{
	uint64_t x = 0;
	unsigned int base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= len)
		return -EINVAL;
	for (; i < len; i++) {
		int d = text_hexval(s[i]);

		if (d < 0 || (unsigned int)d >= base)
			return -EINVAL;
		x = x * base + (unsigned int)d;
		if (x > UINT32_MAX)
			return -EINVAL;
	}
	*v = (uint32_t)x;
	return 0;
}

int e820_type_parse(const char *s, size_t len, bool allow_bare, uint32_t *type)
{
	char buf[64];
	size_t n = 0;

	/* Normalise: lower case, runs of blanks become one space, trimmed. */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t') {
			if (n && buf[n - 1] != ' ' && n < sizeof(buf) - 1)
				buf[n++] = ' ';
			continue;
		}
		if (n >= sizeof(buf) - 1)
			return -EINVAL;
		buf[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	if (!n)
		return -EINVAL;

	/* "(usable)" as 2.6.x and Xen print it; keep "(legacy)" inside. */
	if (buf[0] == '(' && buf[n - 1] == ')') {
		memmove(buf, buf + 1, n - 2);
		n -= 2;
		buf[n] = '\0';
		while (n && buf[n - 1] == ' ')
			buf[--n] = '\0';
		if (buf[0] == ' ')
			memmove(buf, buf + 1, n--);
	}

	for (size_t i = 0; i < sizeof(known_names) / sizeof(known_names[0]); i++)
		if (!strcmp(buf, known_names[i].name)) {
			*type = known_names[i].type;
			return 0;
		}
	/* "type 9", "persistent (type 12)", "persistent RAM (type 7)" */
	if (starts_with(buf, "type "))
		return parse_u32_all(buf + 5, n - 5, type);
	if (starts_with(buf, "persistent (type ") && buf[n - 1] == ')')
		return parse_u32_all(buf + 17, n - 18, type);
	if (starts_with(buf, "persistent ram (type ") && buf[n - 1] == ')')
		return parse_u32_all(buf + 21, n - 22, type);
	if (!allow_bare)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(bare_names) / sizeof(bare_names[0]); i++)
		if (!strcmp(buf, bare_names[i].name)) {
			*type = bare_names[i].type;
			return 0;
		}
	return parse_u32_all(buf, n, type);
}
