/* SPDX-License-Identifier: MIT */
/*
 * xen/dom0-mem.c - Xen's dom0_mem=, mem= and availmem=.
 *
 * Rules implemented (read from xen-project/xen; the sizes and percentages
 * from docs/misc/xen-command-line.pandoc, "dom0_mem (x86)"):
 *
 * xen/common/lib.c (later xen/lib/parse-size.c) parse_size_and_unit():
 *   - simple_strtoull with base 0: "0x" hex, a leading 0 is octal;
 *   - unit T/G/M/K (either case), B for bytes; no unit means KiB;
 *   - "%" is left for the caller when it asks for the end pointer.
 *
 * xen/arch/x86/dom0_build.c parse_dom0_mem() / parse_amt() (4.14+):
 *   - the value is a comma list of min:<sz>, max:<sz> and <sz>; each item
 *     overwrites only its own field, and parsing stops at the first bad
 *     item (earlier items stay);
 *   - <sz> is [-]<size>, [-]<frac>% or [-]<size>+<frac>%, frac < 100;
 *     "-" means "available memory minus this";
 *   - every dom0_mem= on the command line is parsed in turn, so
 *     "dom0_mem=min:1G dom0_mem=max:4G" sets both.
 *
 * xen/arch/x86/dom0_build.c dom0_compute_nr_pages() (4.17, after "x86/dom0:
 * correct paging and IOMMU accounting", for a PV dom0 without shadow paging):
 *   avail  = free heap pages + boot module pages           (input here)
 *          - (max_vcpus - 1) vcpu structures                (not modelled)
 *          - IOMMU tables: sum over s = 9, 18, ... of max_pdx >> s
 *   get(sz)   = sz.pages + sz.percent * avail / 100, or avail - that when
 *               sz.minus (unsigned: a "minus" larger than avail wraps);
 *   nr_pages  = get(amount), or if that is 0, avail - min(avail / 16, 128 MiB);
 *   nr_pages  = min(max(nr_pages, get(min)), get(max), avail);
 *   max_pages = min(get(max), UINT_MAX); max defaults to LONG_MAX pages.
 *   The clip for kernels without XEN_ELFNOTE_INIT_P2M ("Dom0 memory clipped
 *   to %lu pages") and the vcpu reservation are not modelled.
 *
 * Xen then prints "Dom0 alloc.: A->B (N pages to be allocated)" where B-A is
 * the first 2^order chunk and N = nr_pages - chunk pages - initrd pages
 * (Xen 4.0 copied the initrd into the chunk, so it does not count there);
 * the xenlog reader exposes those numbers for checking.
 *
 * xen/arch/x86/e820.c machine_specific_memory_setup(), clip_to_limit(),
 * e820_change_range_type():
 *   - mem=L: every RAM entry reaching above L has [max(start, L), end)
 *     retyped UNUSABLE (splitting the entry, then merging equal
 *     neighbours); when the table is full the entry is cut or deleted;
 *   - availmem=A: walk RAM entries in table order summing sizes until the
 *     sum exceeds A; clip at that entry's end minus the excess.
 */
#include <errno.h>
#include <string.h>

#include "e820/e820-lib.h"
#include "util/parse.h"
#include "util/text.h"
#include "xen/dom0-mem.h"
#include "util/page.h"

#define XEN_E820MAX 1024
#define XEN_LONG_MAX ((uint64_t)INT64_MAX)
#define XEN_UINT_MAX ((uint64_t)UINT32_MAX)

uint64_t xen_parse_size(const char *s, const char **end)
{
	const char *p;
	uint64_t v = parse_kstrtoull(s, &p);

	switch (*p) {
	case 'T':
	case 't':
		v <<= 10;
		/* fall through */
	case 'G':
	case 'g':
		v <<= 10;
		/* fall through */
	case 'M':
	case 'm':
		v <<= 10;
		/* fall through */
	case 'K':
	case 'k':
		v <<= 10;
		/* fall through */
	case 'B':
	case 'b':
		p++;
		break;
	case '%':
		if (end)
			break;
		/* fall through */
	default:
		v <<= 10; /* no unit: KiB */
		break;
	}
	if (end)
		*end = p;
	return v;
}

void dom0_mem_init(struct dom0_mem *dm)
{
	memset(dm, 0, sizeof(*dm));
	dm->max.pages = XEN_LONG_MAX; /* dom0_max_size = { .nr_pages = LONG_MAX } */
}

/* [-][<size>+][<frac>%] up to the next ',' or the end. */
static int parse_amt(const char *s, const char **ps, struct dom0_mem_size *sz)
{
	struct dom0_mem_size tmp = { true, false, 0, 0 };
	unsigned int items = 0;

	tmp.minus = *s == '-';
	if (tmp.minus)
		s++;
	for (;;) {
		uint64_t val;

		if (!(*s >= '0' && *s <= '9'))
			return -EINVAL;
		val = xen_parse_size(s, &s);
		if (*s == '%') {
			if (val >= 100)
				return -EINVAL;
			tmp.percent = (unsigned int)val;
			s++;
			items = 2; /* nothing may follow a fraction */
		} else {
			if (items)
				return -EINVAL; /* the size comes first */
			tmp.pages = val >> PAGE_SHIFT;
			items++;
		}
		if (*s != '+' || items >= 2)
			break;
		s++;
	}
	*ps = s;
	if (*s && *s != ',')
		return -EINVAL;
	*sz = tmp;
	return 0;
}

int dom0_mem_apply(struct dom0_mem *dm, const char *value, struct p2msim_err *err)
{
	const char *s = value;
	int rc = 0;

	dm->seen = true;
	do {
		if (starts_with(s, "min:"))
			rc = parse_amt(s + 4, &s, &dm->min);
		else if (starts_with(s, "max:"))
			rc = parse_amt(s + 4, &s, &dm->max);
		else
			rc = parse_amt(s, &s, &dm->amount);
	} while (!rc && *s++ == ',');
	if (rc)
		return p2msim_err_set(
			err, -EINVAL,
			"dom0_mem=%s: expected a list of [min:|max:][-]<size>[+<frac>%%]"
			" (sizes like 512M, 4G; no unit means KiB)",
			value);
	return 0;
}

/* Walk blank-separated words; call fn on the value of each that is
 * "dom0_mem=VAL", or on bare words when bare is set. */
static int each_option(const char *spec, bool bare, struct dom0_mem *dm, struct p2msim_err *err)
{
	const char *s = spec ? spec : "";
	char word[512];

	while (*s) {
		size_t n;

		while (text_is_space(*s) || *s == '\n')
			s++;
		n = strcspn(s, " \t\r\n");
		if (!n)
			break;
		if (n >= sizeof(word))
			return p2msim_err_set(err, -EINVAL, "option too long: %.40s...", s);
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (starts_with(word, "dom0_mem=")) {
			int rc = dom0_mem_apply(dm, word + 9, err);

			if (rc)
				return rc;
		} else if (bare && !strchr(word, '=')) {
			int rc = dom0_mem_apply(dm, word, err);

			if (rc)
				return rc;
		}
	}
	return 0;
}

int dom0_mem_parse(const char *spec, struct dom0_mem *out, struct p2msim_err *err)
{
	dom0_mem_init(out);
	if (spec && strchr(spec, '=') && !starts_with(spec, "dom0_mem=") && !strstr(spec, " "))
		return p2msim_err_set(err, -EINVAL, "'%s' is not a dom0_mem value", spec);
	return each_option(spec, true, out, err);
}

int dom0_mem_from_xen_cmdline(const char *cmdline, struct dom0_mem *out, struct p2msim_err *err)
{
	dom0_mem_init(out);
	return each_option(cmdline, false, out, err);
}

uint64_t dom0_mem_ram_pages(const struct e820_table *machine)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < machine->nr; i++) {
		const struct e820_entry *e = &machine->entries[i];
		uint64_t s, end;

		if (e->type != E820_TYPE_RAM)
			continue;
		s = PFN_UP(e->addr);
		end = PFN_DOWN(e->addr + e->size);
		if (e->addr + e->size < e->addr)
			end = UINT64_MAX >> PAGE_SHIFT;
		if (end > s)
			pages += end - s;
	}
	return pages;
}

static uint64_t get_memsize(const struct dom0_mem_size *sz, uint64_t avail)
{
	uint64_t pages = sz->pages + sz->percent * avail / 100;

	return sz->minus ? avail - pages : pages;
}

int dom0_mem_compute(const struct dom0_mem *dm, const struct e820_table *machine,
		     uint64_t *nr_pages, uint64_t *max_pages, struct p2msim_err *err)
{
	uint64_t avail = dm->avail_pages, nr, min, max;

	if (!avail)
		avail = dom0_mem_ram_pages(machine);
	if (!avail)
		return p2msim_err_set(err, -EINVAL, "the machine map has no RAM for dom0");

	if (dm->iommu) {
		uint64_t max_pdx = 0, iommu = 0;

		for (size_t i = 0; i < machine->nr; i++) {
			const struct e820_entry *e = &machine->entries[i];
			uint64_t end = PFN_DOWN(e->addr + e->size);

			if (e->type == E820_TYPE_RAM && end > max_pdx)
				max_pdx = end;
		}
		for (unsigned int s = 9; s < 64; s += 9)
			iommu += max_pdx >> s;
		if (iommu >= avail)
			return p2msim_err_set(err, -EINVAL,
					      "no memory left after the IOMMU tables");
		avail -= iommu;
	}

	nr = get_memsize(&dm->amount, avail);
	if (!nr) {
		uint64_t reserve = avail / 16;

		if (reserve > (128ULL << (20 - PAGE_SHIFT)))
			reserve = 128ULL << (20 - PAGE_SHIFT);
		nr = avail - reserve;
	}
	min = get_memsize(&dm->min, avail);
	max = get_memsize(&dm->max, avail);
	if (nr < min)
		nr = min;
	if (nr > max)
		nr = max;
	if (nr > avail)
		nr = avail;
	*nr_pages = nr;
	if (!dm->max.set)
		*max_pages = UINT64_MAX;
	else
		*max_pages = max < XEN_UINT_MAX ? max : XEN_UINT_MAX;
	return 0;
}

/* --- Xen's own map ------------------------------------------------------ */

/* Xen e820_change_range_type(): retype [s, e) if one entry of orig_type
 * holds it, then merge equal neighbours.  Returns 1 done, 0 not done. */
static int change_range_type(struct e820_table *t, uint64_t s, uint64_t e, uint32_t orig,
			     uint32_t new_type)
{
	uint64_t rs = 0, re = 0;
	size_t i;

	for (i = 0; i < t->nr; i++) {
		rs = t->entries[i].addr;
		re = rs + t->entries[i].size;
		if (s >= rs && e <= re)
			break;
	}
	if (i == t->nr || t->entries[i].type != orig)
		return 0;

	if (s == rs && e == re) {
		t->entries[i].type = new_type;
	} else {
		size_t extra = (s == rs || e == re) ? 1 : 2;
		struct e820_entry *en;

		if (t->nr + extra > XEN_E820MAX || e820_table_reserve(t, t->nr + extra))
			return 0;
		en = t->entries;
		memmove(&en[i + extra], &en[i], (t->nr - i) * sizeof(*en));
		t->nr += extra;
		if (s == rs) {
			en[i].size = e - s;
			en[i].type = new_type;
			en[i + 1].addr = e;
			en[i + 1].size = re - e;
		} else if (e == re) {
			en[i].size = s - rs;
			en[i + 1].addr = s;
			en[i + 1].size = e - s;
			en[i + 1].type = new_type;
		} else {
			en[i].size = s - rs;
			en[i + 1].addr = s;
			en[i + 1].size = e - s;
			en[i + 1].type = new_type;
			en[i + 2].addr = e;
			en[i + 2].size = re - e;
		}
	}
	for (i = 0; i + 1 < t->nr; i++) {
		struct e820_entry *en = t->entries;

		if (en[i].type != en[i + 1].type || en[i].addr + en[i].size != en[i + 1].addr)
			continue;
		en[i].size += en[i + 1].size;
		memmove(&en[i + 1], &en[i + 2], (t->nr - i - 2) * sizeof(*en));
		t->nr--;
		i--;
	}
	return 1;
}

static uint64_t clip_to_limit(struct e820_table *t, uint64_t limit)
{
	uint64_t old_limit = 0;

	for (;;) {
		size_t i;
		struct e820_entry *e;
		uint64_t end;

		for (i = 0; i < t->nr; i++)
			if (t->entries[i].type == E820_TYPE_RAM &&
			    t->entries[i].addr + t->entries[i].size > limit)
				break;
		if (i == t->nr)
			break;
		e = &t->entries[i];
		end = e->addr + e->size;
		if (end > old_limit)
			old_limit = end;
		if (change_range_type(t, e->addr > limit ? e->addr : limit, end, E820_TYPE_RAM,
				      E820_TYPE_UNUSABLE))
			continue;
		e = &t->entries[i];
		if (e->addr < limit) {
			e->size = limit - e->addr;
		} else {
			memmove(e, e + 1, (t->nr - i - 1) * sizeof(*e));
			t->nr--;
		}
	}
	return old_limit;
}

int xen_clip_mem(struct e820_table *t, uint64_t mem_limit, uint64_t availmem,
		 struct xen_clip_report *rep, struct p2msim_err *err)
{
	struct xen_clip_report r = { 0, 0, 0, 0 };

	(void)err;
	if (mem_limit) {
		r.mem_limit = mem_limit;
		r.mem_old_limit = clip_to_limit(t, mem_limit);
	}
	if (availmem) {
		uint64_t size = 0;
		size_t i;

		for (i = 0; i < t->nr && size <= availmem; i++)
			if (t->entries[i].type == E820_TYPE_RAM)
				size += t->entries[i].size;
		if (size > availmem) {
			const struct e820_entry *e = &t->entries[i - 1];

			r.avail_limit = e->addr + e->size - (size - availmem);
			r.avail_old_limit = clip_to_limit(t, r.avail_limit);
		}
	}
	if (rep)
		*rep = r;
	return 0;
}

/* The value of a "name=" option in a blank-separated command line. */
static const char *find_opt(const char *cmdline, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;

	for (const char *s = cmdline; s && *s;) {
		while (text_is_space(*s) || *s == '\n')
			s++;
		if (!strncmp(s, name, n) && s[n] == '=')
			found = s + n + 1; /* the last one wins */
		s += strcspn(s, " \t\r\n");
	}
	return found;
}

void xen_cmdline_mem_limits(const char *cmdline, uint64_t *mem_limit, uint64_t *availmem)
{
	const char *v;

	*mem_limit = 0;
	*availmem = 0;
	if ((v = find_opt(cmdline, "mem")))
		*mem_limit = xen_parse_size(v, NULL);
	if ((v = find_opt(cmdline, "availmem")))
		*availmem = xen_parse_size(v, NULL);
}

int xen_e820_fixup_low(struct e820_table *t)
{
	struct e820_table out;
	int rc;

	if (t->nr < 2)
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (t->entries[i].addr + t->entries[i].size < t->entries[i].addr)
			return -1;
	e820_table_init(&out);
	for (size_t i = 0; i < t->nr; i++) {
		struct e820_entry e = t->entries[i];
		uint64_t end = e.addr + e.size;

		if (e.type == E820_TYPE_RAM && e.addr < 0x100000 && end > 0xA0000) {
			if (e.addr < 0xA0000) {
				rc = e820_add_line(&out, e.addr, 0xA0000 - e.addr, e.type, e.line);
				if (rc)
					goto fail;
			}
			if (end <= 0x100000)
				continue;
			e.addr = 0x100000;
			e.size = end - e.addr;
		}
		rc = e820_add_line(&out, e.addr, e.size, e.type, e.line);
		if (rc)
			goto fail;
	}
	e820_table_free(t);
	*t = out;
	return 0;
fail:
	e820_table_free(&out);
	return rc;
}
