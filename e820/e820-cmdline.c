/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-cmdline.c - the kernel's mem= and memmap= options.
 *
 * Linux parses these as early parameters, in command-line order, after the
 * platform's memory setup (xen_memory_setup() for a PV guest) filled and
 * sanitized e820_table and before the table is used.  Each option edits the
 * table directly; if any was seen ("userdef"), e820__finish_early_params()
 * sanitizes once more, panics with "Invalid user supplied memory map" when
 * that fails, and prints the result under "user-defined physical RAM map:".
 *
 * The forms and their quirks (Linux arch/x86/kernel/e820.c parse_memopt,
 * parse_memmap_one, parse_memmap_opt; doc/simulation.md#map):
 *   mem=nn          remove RAM from nn up; nn == 0 (also "mem=junk") is
 *                   rejected but still sets userdef; mem=nopentium is ignored.
 *   memmap=exactmap empty the table ("exactmapX" counts too: strncmp 8).
 *   memmap=nn@ss    add RAM; nn#ss ACPI; nn$ss reserved; nn!ss PRAM.
 *   memmap=nn%ss-old+new
 *                   both types: retype; only +new: ADD an entry of type new
 *                   (sanitize then lets the higher type win); only -old:
 *                   remove that type; neither: remove everything.  Unlike
 *                   the other forms, trailing junk rejects it before it acts.
 *   memmap=nn       any other character after nn: like mem=nn (without
 *                   max_mem_size); trailing junk after @#$! is rejected only
 *                   after the region was added, and the rejection is ignored.
 *   commas          one memmap= may carry several forms.
 *   memmap=nn*align:name
 *                   the 2024 wildcard proposal (Rostedt, POC/RFC, not merged):
 *                   reserve nn bytes at the top of the highest-indexed RAM entry
 *                   that fits, aligned down; see e820_wildcard().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e820/e820.h"
#include "e820/e820-lib.h"
#include "util/parse.h"
#include "util/text.h"

uint64_t e820_memparse(const char *s, const char **end)
{
	const char *p;
	uint64_t v = parse_kstrtoull(s, &p);
	/* memparse(): K, M, G, T, P, E in either case */
	unsigned int shift = parse_unit_shift(&p, "KMGTPE");

	if (end)
		*end = p;
	return shift >= 64 ? 0 : v << shift;
}

static void user_add_name(struct e820_user *user, uint64_t start, uint64_t size, const char *name,
			  size_t len)
{
	/* The proposal ignores the name table's failures: an empty or
	 * over-long name, or a full table, still reserves the memory. */
	if (!len || len >= E820_USER_NAME_LEN || user->nr_named >= E820_USER_MAX_NAMED)
		return;
	memcpy(user->named[user->nr_named].name, name, len);
	user->named[user->nr_named].name[len] = '\0';
	user->named[user->nr_named].start = start;
	user->named[user->nr_named].size = size;
	user->nr_named++;
}

/*
 * The wildcard's search, as proposed: walk from index nr_entries (one past
 * the last entry: the proposal's off-by-one reads a stale slot) down to 0,
 * take the first RAM or RESERVED_KERN entry whose top nn bytes, aligned
 * down, still start inside it.  The subtraction is unsigned, so nn larger
 * than the entry's end wraps; the result is then returned as a negative
 * s64, which the caller treats as "not found".  There is no check against
 * other reservations.
 */
static bool wildcard_search(const struct e820_table *t, uint64_t size, uint64_t align,
			    uint64_t *start)
{
	for (size_t i = t->nr + 1; i-- > 0;) {
		struct e820_entry e = { 0, 0, 0, 0, 0 };
		uint64_t s;

		if (i < t->alloc)
			e = t->entries[i];
		if (e.type != E820_TYPE_RAM && e.type != E820_TYPE_RESERVED_KERN)
			continue;
		s = e.addr + e.size - size;
		s &= ~(align - 1); /* ALIGN_DOWN; align 0 masks everything */
		if (s >= e.addr) {
			if ((int64_t)s < 0)
				return false;
			*start = s;
			return true;
		}
	}
	return false;
}

/* memmap=nn@ss, nn#ss, nn$ss, nn!ss: the type each form adds. */
static const char add_forms[] = "@#$!";
static const uint32_t add_types[] = { E820_TYPE_RAM, E820_TYPE_ACPI, E820_TYPE_RESERVED,
				      E820_TYPE_PRAM };

char e820_memmap_form(uint32_t type)
{
	for (size_t i = 0; i < sizeof(add_types) / sizeof(add_types[0]); i++)
		if (add_types[i] == type)
			return add_forms[i];
	return 0;
}

/* One element of a memmap= list.  Returns 0 or -ENOMEM/-E2BIG; the
 * kernel's -EINVAL for malformed forms is not an error here (ignored by
 * parse_memmap_opt). */

static int memmap_one(struct e820_table *t, struct e820_user *user, const char *p, const char *end)
{
	char buf[256];
	const char *q, *oldp, *form;
	uint64_t size, start;
	size_t len = (size_t)(end - p);

	if (starts_with(p, "exactmap") && len >= 8) {
		t->nr = 0;
		user->userdef = true;
		return 0;
	}
	/* Work on a NUL-terminated copy: the kernel's strings end at the comma. */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	p = buf;

	oldp = p;
	size = e820_memparse(p, &q);
	if (q == oldp)
		return 0;
	user->userdef = true;

	form = *q ? strchr(add_forms, *q) : NULL;
	if (form) {
		start = e820_memparse(q + 1, &q);
		return e820_add(t, start, size, add_types[form - add_forms]);
	}
	switch (*q) {
	case '*': {
		uint64_t align = e820_memparse(q + 1, &q);
		int rc;

		if (!wildcard_search(t, size, align, &start))
			return 0;
		if (*q != ':')
			return 0;
		q++;
		rc = e820_add(t, start, size, E820_TYPE_RESERVED);
		if (!rc)
			user_add_name(user, start, size, q, strlen(q));
		return rc;
	}
	case '%': {
		uint64_t from = 0, to = 0;

		start = e820_memparse(q + 1, &q);
		if (*q == '-')
			from = parse_kstrtoull(q + 1, &q);
		if (*q == '+')
			to = parse_kstrtoull(q + 1, &q);
		if (*q != '\0')
			return 0; /* rejected before anything is done */
		/* Types are u32 in the kernel: the u64 values are truncated. */
		if (from && to) {
			if ((uint32_t)from == (uint32_t)to)
				return -EINVAL; /* the kernel BUG()s */
			return e820_update_range(t, start, size, (uint32_t)from, (uint32_t)to);
		}
		if (to)
			return e820_add(t, start, size, (uint32_t)to);
		if (from)
			return e820_remove_range(t, start, size, (uint32_t)from, true);
		return e820_remove_range(t, start, size, 0, false);
	}
	default:
		return e820_remove_range(t, size, UINT64_MAX - size, E820_TYPE_RAM, true);
	}
}

static int memmap_opt(struct e820_table *t, struct e820_user *user, const char *val,
		      struct p2msim_err *err)
{
	while (val) {
		const char *comma = strchr(val, ',');
		const char *end = comma ? comma : val + strlen(val);
		int rc = memmap_one(t, user, val, end);

		if (rc == -EINVAL)
			return p2msim_err_set(err, rc,
					      "memmap=%.*s: old and new type are the same; "
					      "the kernel would BUG() in e820__range_update",
					      (int)(end - val), val);
		if (rc)
			return p2msim_err_set(err, rc, "memmap=%.*s: %s", (int)(end - val), val,
					      rc == -ENOMEM ? "out of memory" :
							      "more entries than p2msim accepts");
		val = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int mem_opt(struct e820_table *t, struct e820_user *user, const char *val,
		   struct p2msim_err *err)
{
	uint64_t size;
	int rc;

	if (!val)
		return 0;
	/* mem=nopentium only means something on 32-bit kernels. */
	if (!strcmp(val, "nopentium"))
		return 0;
	user->userdef = true;
	size = e820_memparse(val, NULL);
	if (size == 0)
		return 0;
	rc = e820_remove_range(t, size, UINT64_MAX - size, E820_TYPE_RAM, true);
	if (rc)
		return p2msim_err_set(err, rc, "mem=%s: out of memory", val);
	user->mem_limit = size;
	return 0;
}

/* Parameter names compare with '-' and '_' equal, like parameq(). */
static bool param_is(const char *name, size_t len, const char *want)
{
	if (strlen(want) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char a = name[i] == '-' ? '_' : name[i];
		char b = want[i] == '-' ? '_' : want[i];

		if (a != b)
			return false;
	}
	return true;
}

int e820_apply_cmdline(struct e820_table *t, const char *cmdline, struct e820_user *user,
		       struct p2msim_err *err)
{
	struct e820_user scratch;
	const char *s = cmdline ? cmdline : "";
	char *val = NULL;
	int rc = 0;

	if (!user)
		user = &scratch;
	memset(user, 0, sizeof(*user));
	user->mem_limit = UINT64_MAX;

	/* Split like the kernel's next_arg(): blanks separate, double
	 * quotes group, and the quotes around a value are dropped; "--"
	 * ends the kernel's parameters. */
	while (*s) {
		const char *tok, *eq = NULL;
		size_t tlen, nlen;
		bool inq = false, quoted;
		size_t vlen;

		while (text_is_space(*s) || *s == '\n')
			s++;
		if (!*s)
			break;
		tok = s;
		quoted = *s == '"';
		if (quoted) {
			inq = true;
			tok = ++s;
		}
		for (; *s; s++) {
			if (*s == '"')
				inq = !inq;
			else if (!inq && (text_is_space(*s) || *s == '\n'))
				break;
			else if (!eq && *s == '=')
				eq = s;
		}
		tlen = (size_t)(s - tok);
		if (tlen == 2 && starts_with(tok, "--") && !quoted)
			break;
		nlen = eq ? (size_t)(eq - tok) : tlen;
		if (!param_is(tok, nlen, "mem") && !param_is(tok, nlen, "memmap"))
			continue;

		free(val);
		val = NULL;
		if (eq) {
			const char *v = eq + 1;

			vlen = (size_t)(tok + tlen - v);
			if (vlen && *v == '"') {
				v++;
				vlen--;
			}
			if (vlen && v[vlen - 1] == '"')
				vlen--;
			val = malloc(vlen + 1);
			if (!val)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
			memcpy(val, v, vlen);
			val[vlen] = '\0';
		}
		if (param_is(tok, nlen, "mem"))
			rc = mem_opt(t, user, val, err);
		else if (val)
			rc = memmap_opt(t, user, val, err);
		if (rc)
			break;
	}
	free(val);
	if (rc)
		return rc;

	if (!user->userdef)
		return 0;
	rc = e820_sanitize(t);
	/* out of memory is ours, not the user's */
	if (rc == -ENOMEM || rc == -E2BIG)
		return p2msim_err_set(err, rc, "sanitizing the user map: %s",
				      rc == -ENOMEM ? "out of memory" :
						      "more entries than p2msim accepts");
	if (rc < 0)
		return p2msim_err_set(err, -EINVAL,
				      "Invalid user supplied memory map (the kernel panics: "
				      "fewer than two entries or an entry past 2^64)");
	return 0;
}
