/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-formats.c - what one line of a log, mail or table is: a map
 * header, an entry of one of the formats below, noise a map may contain
 * ("e820: update", "[gap ...]"), or anything else.  Each format is one
 * recogniser function and one row of the recognisers[] table.
 *
 * Entry formats:
 *   WHO: [mem 0xA-0xB] TYPE     Linux >= 3.x, inclusive end; WHO is any
 *                               prefix (BIOS-e820, Xen, user, reserve
 *                               setup_data, ...); 2025 tip-tree size column
 *                               ("  256   MB") skipped; "[gap ..]" ignored.
 *   WHO: A - B (TYPE)           Linux 2.6.x, exclusive end.
 *   [A, B] (TYPE)               Xen >= 4.12, inclusive.
 *   A - B (TYPE)                Xen <= 4.11, exclusive (>= 8 hex digits).
 *   A-B : NAME                  /proc/iomem top level (nested lines and
 *                               non-E820 names such as "PCI Bus" skipped).
 *   A-B TYPE, A +SIZE TYPE, A B TYPE
 *                               plain table (only on lines without a log
 *                               prefix): inclusive ends, 0x or bare hex,
 *                               decimal, K/M/G/T suffixes, types by name or
 *                               number.
 *   base_addr = A, length = S, NAME
 *                               GRUB's lsmmap (its own type names).
 *   memmap=exactmap memmap=...  a kernel command line rebuilding the map (a
 *                               bare line starting with memmap=exactmap).
 * Linux formats print WHO only for entries; entries with a WHO that is not
 * one of the kernel's own (BIOS-e820, Xen, user, ...) count only when their
 * type parses, so "node 0: [mem ...]" lines are not mistaken for a map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e820/e820-parse.h"

/* WHO prefixes the kernel itself prints; a cut line with one of these is
 * an error rather than something else. */
static bool known_who(const char *who, size_t n)
{
	static const char *const names[] = {
		"BIOS-e820",	      "BIOS-88",  "BIOS-e801", "Xen", "user",
		"reserve setup_data", "extended", "modified",  "EFI", "x86/PVH",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(who, names[i], n))
			return true;
	return false;
}

static bool plausible_who(const char *who, size_t n)
{
	if (!n || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = who[i];

		if (!(is_alnum(c) || c == ' ' || c == '-' || c == '_' || c == '/' || c == '.'))
			return false;
	}
	return !text_is_space(who[0]);
}

int ep_scan_hex(const char *s, bool allow_0x, uint64_t *v)
{
	int n0 = 0, n;

	if (allow_0x && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && text_hexval(s[2]) >= 0)
		n0 = 2;
	n = parse_scan_u64(s + n0, 16, v);
	if (n <= 0)
		return n;
	return n0 + n;
}

/* Parse the type part of an entry: the whole rest, or the longest leading
 * part that is a type when the rest is an annotation starting with a
 * non-alphanumeric character ("<--", "===> ..."), as mails carry them. */
static int parse_type_rest(const char *rest, bool allow_bare, uint32_t *type)
{
	size_t n = strlen(rest);

	while (n && text_is_space(rest[n - 1]))
		n--;
	if (!n)
		return -ENODATA;
	if (!e820_type_parse(rest, n, allow_bare, type))
		return 0;
	for (size_t k = n; k-- > 1;) {
		const char *after;

		if (!text_is_space(rest[k]))
			continue;
		after = skip_ws(rest + k);
		if (is_alnum(*after) || *after == '(' || *after == ')')
			continue;
		if (!e820_type_parse(rest, k, allow_bare, type))
			return 0;
	}
	return -EINVAL;
}

/* The 2025 tip-tree size column between "]" and the type: "  256   MB",
 * " 639.9 KB". */
static const char *skip_size_column(const char *p)
{
	const char *q = skip_ws(p);

	if (!is_digit(*q))
		return p;
	while (is_digit(*q))
		q++;
	if (*q == '.' && is_digit(q[1]))
		q += 2;
	if (!text_is_space(*q))
		return p;
	q = skip_ws(q);
	if ((q[0] == 'K' || q[0] == 'M' || q[0] == 'G' || q[0] == 'T') && q[1] == 'B' &&
	    (text_is_space(q[2]) || !q[2]))
		return q + 2;
	return p;
}

static void set_bad(struct line_info *li, enum line_kind k, const char *fmt, const char *arg)
{
	li->kind = k;
	snprintf(li->why, sizeof(li->why), fmt, arg);
}

/* The type after an entry's range; sets L_ENTRY or L_BAD. */
static void finish_type(struct line_info *li, const char *rest, bool known, bool allow_bare)
{
	int rc = parse_type_rest(rest, allow_bare, &li->type);
	char shown[48];

	if (!rc) {
		li->kind = L_ENTRY;
		return;
	}
	if (!known) {
		li->kind = L_OTHER;
		return;
	}
	if (rc == -ENODATA) {
		set_bad(li, L_BAD, "the entry has no type%s", "");
		return;
	}
	snprintf(shown, sizeof(shown), "%.40s", skip_ws(rest));
	set_bad(li, L_BAD, "unknown memory type '%s'", shown);
}

/* "WHO: [mem 0xA-0xB] TYPE" */
static bool try_linux(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *m = strchr(c, '['), *q, *w;
	size_t wlen;
	bool known;
	uint64_t a, b;
	int n;

	if (!m)
		return false;
	if (!starts_with(m, "[mem")) {
		const char *g = strstr(m, "[mem");

		m = g ? g : strstr(m, "[gap");
	}
	if (!m || m == c)
		return false;
	w = m;
	while (w > c && text_is_space(w[-1]))
		w--;
	if (w == c || w[-1] != ':')
		return false;
	wlen = (size_t)(w - 1 - c);
	while (wlen && text_is_space(c[wlen - 1]))
		wlen--;
	if (!plausible_who(c, wlen))
		return false;
	known = known_who(c, wlen);
	if (starts_with(m, "[gap")) {
		li->kind = L_IGNORE;
		return true;
	}
	snprintf(li->kindname, sizeof(li->kindname), "linux:%.*s", (int)wlen, c);
	q = skip_ws(m + 4);
	n = ep_scan_hex(q, true, &a);
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n || q[n] != '-')
		goto bad_range;
	q += n + 1;
	n = ep_scan_hex(q, true, &b);
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n)
		goto bad_range;
	q = skip_ws(q + n);
	if (*q != ']')
		goto bad_range;
	li->start = a;
	li->end = b;
	li->inclusive = true;
	finish_type(li, skip_size_column(q + 1), known, false);
	return true;
bad_range:
	if (known)
		set_bad(li, L_BAD,
			"expected '[mem START-END] TYPE'; the range is malformed or "
			"cut off%s",
			"");
	else
		li->kind = L_OTHER;
	return true;
}

/* "WHO: A - B (TYPE)" (Linux 2.6.x) */
static bool try_linux_old(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	for (const char *colon = strchr(c, ':'); colon; colon = strchr(colon + 1, ':')) {
		const char *q = skip_ws(colon + 1);
		size_t wlen = (size_t)(colon - c);
		uint64_t a, b;
		bool known;
		int n;

		if (q == colon + 1)
			continue;
		n = ep_scan_hex(q, false, &a);
		if (!n)
			continue;
		if (n < 0 || !text_is_space(q[n]))
			continue;
		q = skip_ws(q + n);
		if (*q != '-' || !text_is_space(q[1]))
			continue;
		q = skip_ws(q + 1);
		n = ep_scan_hex(q, false, &b);
		if (n <= 0 || (q[n] && !text_is_space(q[n])))
			continue;
		while (wlen && text_is_space(c[wlen - 1]))
			wlen--;
		if (!plausible_who(c, wlen))
			return false;
		known = known_who(c, wlen);
		snprintf(li->kindname, sizeof(li->kindname), "linux-old:%.*s", (int)wlen, c);
		li->start = a;
		li->end = b;
		li->inclusive = false;
		finish_type(li, q + n, known, false);
		return true;
	}
	return false;
}

/* Xen "[A, B] (TYPE)" */
static bool try_xen(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *q = skip_ws(c + 1);
	uint64_t a, b;
	int n;

	if (*c != '[')
		return false;
	n = ep_scan_hex(q, true, &a);
	if (n <= 0 || skip_ws(q + n)[0] != ',')
		return false;
	q = skip_ws(skip_ws(q + n) + 1);
	n = ep_scan_hex(q, true, &b);
	strcpy(li->kindname, "xen");
	if (n < 0) {
		set_bad(li, L_FATAL, "address does not fit in 64 bits%s", "");
		return true;
	}
	if (!n || skip_ws(q + n)[0] != ']') {
		set_bad(li, L_BAD,
			"expected '[START, END] (TYPE)'; the range is malformed or cut "
			"off%s",
			"");
		return true;
	}
	li->start = a;
	li->end = b;
	li->inclusive = true;
	finish_type(li, skip_ws(q + n) + 1, true, false);
	return true;
}

/* Xen "A - B (TYPE)" with >= 8 hex digits each */
static bool try_xen_old(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *q = c;
	uint64_t a, b;
	int n;

	n = ep_scan_hex(q, false, &a);
	if (n < 8 || !text_is_space(q[n]))
		return false;
	q = skip_ws(q + n);
	if (*q != '-' || !text_is_space(q[1]))
		return false;
	q = skip_ws(q + 1);
	n = ep_scan_hex(q, false, &b);
	if (n < 8 || (q[n] && !text_is_space(q[n])))
		return false;
	strcpy(li->kindname, "xen-old");
	li->start = a;
	li->end = b;
	li->inclusive = false;
	finish_type(li, q + n, true, false);
	return true;
}

/* /proc/iomem "A-B : NAME" */
static bool try_iomem(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *q = c;
	uint64_t a, b;
	int n, na;

	na = n = ep_scan_hex(q, false, &a);
	if (n <= 0 || q[n] != '-')
		return false;
	q += n + 1;
	n = ep_scan_hex(q, false, &b);
	if (n <= 0 || !starts_with(q + n, " : "))
		return false;
	if (l->indented) {
		li->kind = L_IGNORE; /* a child resource */
		return true;
	}
	/* the kernel prints at least 8 digits: fewer is a digit lost in a copy */
	if (na < 8 || n < 8)
		snprintf(li->warn, sizeof(li->warn),
			 "'%.*s' has %d hex digits where /proc/iomem "
			 "prints at least 8: a digit may have been lost",
			 na < 8 ? na : n, na < 8 ? c : q, na < 8 ? na : n);
	q += n + 3;
	strcpy(li->kindname, "iomem");
	li->start = a;
	li->end = b;
	li->inclusive = true;
	if (!strcmp(skip_ws(q), "Unknown E820 type")) {
		/* the kernel names every other type so; reserved is the
		 * closest that keeps it out of RAM */
		li->type = E820_TYPE_RESERVED;
		li->kind = L_ENTRY;
		return true;
	}
	if (parse_type_rest(q, false, &li->type)) {
		li->kind = L_IGNORE; /* PCI Bus, Video ROM, RAM buffer, ... */
		return true;
	}
	li->kind = L_ENTRY;
	/* the 2008 reserve-RAM patch's names: RAM all the same */
	if (prefix_ci(skip_ws(q), "reserved RAM"))
		li->flags |= E820_ENTRY_RESERVED_RAM;
	return true;
}

/* A plain-table number: 0x hex, bare hex (letters or zero-padded to >= 8
 * digits), or decimal; optional K/M/G/T (+ "B"/"iB").  Returns characters
 * read, 0 if none, -1 on overflow. */
static int scan_table_num(const char *s, uint64_t *v, bool *hexish)
{
	int n, hn = 0;
	unsigned int shift = 0;
	uint64_t x;
	bool hex = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		n = ep_scan_hex(s, true, &x);
		if (n <= 2)
			return n < 0 ? -1 : 0;
		hex = true;
	} else {
		while (text_hexval(s[hn]) >= 0)
			hn++;
		if (!hn || !is_digit(s[0]))
			return 0;
		for (int i = 0; i < hn; i++)
			if (!is_digit(s[i]))
				hex = true;
		if (hn >= 8 && s[0] == '0')
			hex = true;
		/* a decimal number followed by a unit letter that is a hex digit */
		if (hex && !(hn >= 8 && s[0] == '0')) {
			int dn = 0;

			while (is_digit(s[dn]))
				dn++;
			if (dn == hn - 1 && (lower(s[dn]) == 'b') && !is_alnum(s[hn]))
				hex = false;
		}
		n = parse_scan_u64(s, hex ? 16 : 10, &x);
		if (n < 0)
			return -1;
	}
	switch (lower(s[n])) {
	case 't':
		shift += 10; /* fall through */
	case 'g':
		shift += 10; /* fall through */
	case 'm':
		shift += 10; /* fall through */
	case 'k':
		shift += 10;
		n++;
		if (lower(s[n]) == 'i' && lower(s[n + 1]) == 'b')
			n += 2;
		else if (lower(s[n]) == 'b')
			n++;
		break;
	default:
		break;
	}
	if (shift && (x >> (64 - shift)))
		return -1;
	*v = x << shift;
	*hexish = hex;
	return n;
}

/* A line of a table that is not a row: an error inside a table (or for a
 * signed number, which nothing else starts with), else not a table line. */
static bool table_malformed(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;

	if (l->in_table && (is_digit(*c) || *c == '-' || *c == '+')) {
		set_bad(li, L_BAD,
			"expected 'START-END TYPE', 'START +SIZE TYPE' or 'START END "
			"TYPE'%s",
			"");
		return true;
	}
	if (l->strict_table && (*c == '-' || *c == '+') && is_digit(c[1])) {
		set_bad(li, L_BAD,
			"a signed number; expected 'START-END TYPE' with unsigned "
			"addresses%s",
			"");
		return true;
	}
	return false;
}

static bool try_table(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *q = c;
	uint64_t a, b;
	bool hx, hx2, plus = false;
	int n;

	n = scan_table_num(q, &a, &hx);
	if (n == 0)
		return table_malformed(l, li);
	if (n < 0)
		goto overflow;
	q += n;
	if (*q == '-') {
		q++;
	} else if (text_is_space(*q)) {
		q = skip_ws(q);
		if (*q == '+') {
			plus = true;
			q++;
		}
	} else {
		return table_malformed(l, li);
	}
	n = scan_table_num(q, &b, &hx2);
	if (n == 0)
		return table_malformed(l, li);
	if (n < 0)
		goto overflow;
	q += n;
	if (*q && !text_is_space(*q)) /* "2024-05-15 ...", "0x1000-0x1fff]" */
		return table_malformed(l, li);
	strcpy(li->kindname, "table");
	li->start = a;
	li->end = b;
	li->inclusive = true;
	li->has_size = plus;
	{
		const char *rest = skip_ws(q);
		char *hash = NULL;
		char tmp[256];
		int rc;

		/* a trailing "# comment" */
		snprintf(tmp, sizeof(tmp), "%s", rest);
		hash = strchr(tmp, '#');
		if (hash)
			*hash = '\0';
		rc = parse_type_rest(tmp, true, &li->type);
		if (!rc) {
			li->kind = L_ENTRY;
			return true;
		}
		if (rc == -ENODATA)
			set_bad(li, L_BAD,
				"the entry has no type (expected 'START-END TYPE', "
				"'START +SIZE TYPE' or 'START END TYPE')%s",
				"");
		else
			set_bad(li, L_BAD, "unknown memory type '%.40s'", skip_ws(tmp));
		if (!l->strict_table) {
			/* numbers in prose or a diagram: remembered, not an error */
			li->kind = L_OTHER;
			li->near_miss = true;
		}
	}
	return true;
overflow:
	if (!l->strict_table)
		return false;
	set_bad(li, L_FATAL, "number does not fit in 64 bits%s", "");
	return true;
}

/* GRUB's lsmmap: "base_addr = 0x0, length = 0x9fc00, available RAM".  Its
 * names are its own ("reserved RAM" is type 2 here, RAM in /proc/iomem). */
static bool try_grub(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	static const struct {
		const char *name;
		uint32_t type;
	} names[] = {
		{ "available RAM", E820_TYPE_RAM },
		{ "reserved RAM", E820_TYPE_RESERVED },
		{ "ACPI reclaimable RAM", E820_TYPE_ACPI },
		{ "ACPI non-volatile storage RAM", E820_TYPE_NVS },
		{ "faulty RAM (BadRAM)", E820_TYPE_UNUSABLE },
		{ "persistent RAM", E820_TYPE_PMEM },
		{ "persistent RAM (legacy)", E820_TYPE_PRAM },
		{ "RAM holding coreboot tables", 16 },
		{ "RAM holding firmware code", 20 },
	};
	const char *q;
	uint64_t a, b;
	int n;

	if (c[0] != 'b' || !starts_with(c, "base_addr = "))
		return false;
	strcpy(li->kindname, "grub");
	q = c + 12;
	n = ep_scan_hex(q, true, &a);
	if (n <= 0 || !starts_with(q + n, ", length = "))
		goto bad;
	q += n + 11;
	n = ep_scan_hex(q, true, &b);
	if (n <= 0 || !starts_with(q + n, ", "))
		goto bad;
	q = skip_ws(q + n + 2);
	li->start = a;
	li->end = b;
	li->has_size = true;
	li->inclusive = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(q, names[i].name)) {
			li->type = names[i].type;
			li->kind = L_ENTRY;
			return true;
		}
	if (starts_with(q, "type = ")) {
		uint64_t t;

		n = ep_scan_hex(q + 7, true, &t);
		if (n > 0 && !q[7 + n] && t <= UINT32_MAX) {
			li->type = (uint32_t)t;
			li->kind = L_ENTRY;
			return true;
		}
	}
	set_bad(li, L_BAD, "unknown GRUB memory type '%.40s'", q);
	return true;
bad:
	set_bad(li, L_BAD, "expected 'base_addr = 0x..., length = 0x..., TYPE' (GRUB lsmmap)%s",
		"");
	return true;
}

/* "... RAM map:" with a few words before it; Xen's "Dom0 memory map:"
 * (a PVH dom0's map under dom0=verbose). */
static bool try_header(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;
	const char *r, *q;
	unsigned int words = 1;

	if (c[0] == 'D' && starts_with(c, "Dom") && is_digit(c[3])) {
		for (q = c + 3; is_digit(*q); q++)
			;
		if (!strcmp(q, " memory map:")) {
			li->kind = L_HEADER;
			li->hlen = strlen(c);
			return true;
		}
	}
	if (!strchr(c, ':'))
		return false; /* every header ends in one */
	r = find_ci(c, "RAM map");
	if (!r || r - c > 64)
		return false;
	for (q = c; q < r; q++)
		if (text_is_space(*q) && !text_is_space(q[1]))
			words++;
	if (words > 6)
		return false;
	q = skip_ws(r + 7);
	if (*q != ':')
		return false;
	for (q++; *q; q++)
		if (!text_is_space(*q) && *q != '=')
			return false;
	li->kind = L_HEADER;
	li->hlen = (size_t)(strchr(r, ':') + 1 - c);
	return true;
}

static bool is_noise(const char *c)
{
	if (c[0] == 'e' && (starts_with(c, "e820: update ") || starts_with(c, "e820: remove ")))
		return true;
	return strstr(c, "out of order E820 entry") != NULL;
}

/* An HVM guest's console prefix in Xen's log: "HVM4: " (Xen < 4.7) or
 * "(d4) ".  Returns its length (with the blanks after it), or 0. */
static size_t hvm_prefix_len(const char *c)
{
	const char *q;

	if (c[0] == 'H' && starts_with(c, "HVM") && is_digit(c[3])) {
		for (q = c + 3; is_digit(*q); q++)
			;
		if (*q == ':')
			return (size_t)(skip_ws(q + 1) - c);
	} else if (c[0] == '(' && c[1] == 'd' && is_digit(c[2])) {
		for (q = c + 2; is_digit(*q); q++)
			;
		if (*q == ')')
			return (size_t)(skip_ws(q + 1) - c);
	}
	return 0;
}

/*
 * SeaBIOS's map, as an HVM guest's firmware prints it (hvmloader passes it
 * on; Xen's log shows it as "(XEN) HVM4: ..."): a header "e820 map has N
 * items:" and "  I: START - END = TYPE NAME" with the end exclusive and
 * the type as a number.
 */
static bool try_seabios(const struct ep_line *l, struct line_info *li)
{
	size_t pl = hvm_prefix_len(l->c);
	const char *c = l->c + pl, *q;
	uint64_t a, b, t;
	int n;

	if (c[0] == 'e' && starts_with(c, "e820 map has ")) {
		for (q = c + 13; is_digit(*q); q++)
			;
		if (q == c + 13 || strcmp(q, " items:"))
			return false;
		li->kind = L_HEADER;
		li->hlen = strlen(l->c);
		return true;
	}
	q = c;
	while (is_digit(*q))
		q++;
	if (q == c || q[0] != ':' || !text_is_space(q[1]))
		return false;
	q = skip_ws(q + 1);
	n = ep_scan_hex(q, false, &a);
	if (n != 16 || !starts_with(q + n, " - "))
		return false;
	q += n + 3;
	n = ep_scan_hex(q, false, &b);
	if (n != 16 || !starts_with(q + n, " = "))
		return false;
	q += n + 3;
	snprintf(li->kindname, sizeof(li->kindname), "seabios%s%.*s", pl ? ":" : "",
		 (int)(pl ? strcspn(l->c, ":) \t") + (l->c[0] == '(') : 0), l->c);
	n = parse_scan_u64(q, 10, &t);
	if (n <= 0 || t > UINT32_MAX || (q[n] && !text_is_space(q[n]))) {
		set_bad(li, L_BAD, "expected 'I: START - END = TYPE NAME' (SeaBIOS)%s", "");
		return true;
	}
	li->start = a;
	li->end = b;
	li->inclusive = false;
	li->type = (uint32_t)t;
	li->kind = L_ENTRY;
	return true;
}

/* "memmap=exactmap ...": a kernel command line that rebuilds the map. */
static bool try_memmap(const struct ep_line *l, struct line_info *li)
{
	const char *c = l->c;

	if (c[0] != 'm' || !starts_with(c, "memmap=exactmap"))
		return false;
	/* every memmap= value a list of "exactmap" or sizes: quoted prose
	 * ("memmap=exactmap memmap=X#Y") is not a command line */
	for (const char *q = c; *q; q = skip_ws(q)) {
		size_t n = strcspn(q, " \t");
		const char *v = q + 7, *end = q + n;

		while (starts_with(q, "memmap=") && v < end) {
			size_t k = 0;

			while (v + k < end && v[k] != ',')
				k++;
			if (!is_digit(*v) && !starts_with(v, "exactmap")) {
				snprintf(li->why, sizeof(li->why),
					 "'%.*s' is not a memmap= option the kernel reads",
					 (int)(n < 40 ? n : 40), q);
				li->kind = L_OTHER;
				li->near_miss = true;
				return true;
			}
			v += k + 1;
		}
		q = end;
	}
	li->kind = L_MEMMAP;
	return true;
}

/*
 * The formats, tried in this order on every line that is not blank, a
 * comment or noise; the first that decides wins.  A new format is one
 * function above and one row here.
 */
static const struct ep_recogniser recognisers[] = {
	{ "header", false, try_header },
	{ "seabios", false, try_seabios },
	{ "memmap", true, try_memmap },
	{ "linux", false, try_linux },
	{ "xen", false, try_xen },
	{ "xen-old", false, try_xen_old },
	{ "linux-old", false, try_linux_old },
	{ "grub", false, try_grub },
	{ "iomem", true, try_iomem },
	{ "table", true, try_table },
};

void ep_classify(const char *line, bool strict_table, bool in_table, struct line_info *li,
		 struct stripped *st)
{
	struct ep_line l;
	const char *c;

	memset(li, 0, sizeof(*li));
	li->kind = L_OTHER;
	ep_strip_prefixes(line, st);
	c = st->c;
	if (!*c || c[0] == '#') {
		li->kind = L_IGNORE;
		return;
	}
	if (is_noise(c)) {
		li->kind = L_IGNORE;
		return;
	}
	l.c = c;
	l.indented = st->indented;
	l.strict_table = strict_table;
	l.in_table = in_table;
	for (size_t i = 0; i < sizeof(recognisers) / sizeof(recognisers[0]); i++) {
		const struct ep_recogniser *r = &recognisers[i];

		if (r->bare_only && st->log)
			continue;
		if (r->recognise(&l, li))
			return;
	}
	li->kind = L_OTHER;
}
