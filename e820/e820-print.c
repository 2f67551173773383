/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-print.c - writing E820 tables the ways kernels, Xen and the
 * kernel's own interfaces print them.
 *
 * Formats (verified against the sources, see the comments at each):
 *   Linux 3.x+  e820__print_table():  "%s: [mem %#018Lx-%#018Lx] " + type
 *   Linux 2.6.x e820_print_map():     " %s: %016Lx - %016Lx " + "(usable)"
 *   Xen >= 4.12 print_e820_memory_map(): " [%016lx, %016lx] " + "(usable)"
 *   Xen older:                        " %016Lx - %016Lx " + "(usable)"
 *   /proc/iomem r_show():             "%0*llx-%0*llx : %s" with width 8
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "e820/e820.h"
#include "e820/e820-lib.h"

static uint64_t last_byte(const struct e820_entry *e)
{
	/* inclusive end; a zero-size entry prints start-1, as the kernel's does */
	return e->addr + e->size - 1;
}

void e820_print_linux_style(FILE *f, const struct e820_table *t, const char *who,
			    enum e820_name_style style)
{
	char name[48];

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, "%s: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %s\n", who, e->addr,
			last_byte(e), e820_type_name_buf(e->type, style, name, sizeof(name)));
	}
}

void e820_print_linux(FILE *f, const struct e820_table *t, const char *who)
{
	e820_print_linux_style(f, t, who, E820_NAME_LINUX);
}

void e820_print_linux_old(FILE *f, const struct e820_table *t, const char *who)
{
	char name[48];

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, " %s: %016" PRIx64 " - %016" PRIx64 " %s\n", who, e->addr,
			e->addr + e->size,
			e820_type_name_buf(e->type, E820_NAME_LINUX_OLD, name, sizeof(name)));
	}
}

void e820_print_xen(FILE *f, const struct e820_table *t)
{
	char name[48];

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, " [%016" PRIx64 ", %016" PRIx64 "] %s\n", e->addr, last_byte(e),
			e820_type_name_buf(e->type, E820_NAME_XEN, name, sizeof(name)));
	}
}

void e820_print_xen_old(FILE *f, const struct e820_table *t)
{
	char name[48];

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, " %016" PRIx64 " - %016" PRIx64 " %s\n", e->addr, e->addr + e->size,
			e820_type_name_buf(e->type, E820_NAME_XEN, name, sizeof(name)));
	}
}

static void print_table(FILE *f, const struct e820_table *t)
{
	char name[48];

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, "0x%016" PRIx64 "-0x%016" PRIx64 " %s%s\n", e->addr, last_byte(e),
			e820_type_name_buf(e->type, E820_NAME_LINUX, name, sizeof(name)),
			e->flags & E820_ENTRY_RESERVED_RAM ?
				"  # /proc/iomem \"reserved RAM\": RAM the kernel set aside, read as usable" :
				"");
	}
}

static void print_iomem(FILE *f, const struct e820_table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];

		fprintf(f, "%08" PRIx64 "-%08" PRIx64 " : %s\n", e->addr, last_byte(e),
			e820_type_name(e->type, E820_NAME_IOMEM));
	}
}

/* A memparse() number: the largest K/M/G/T/P/E unit that divides it. */
static void put_size(FILE *f, uint64_t v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	if (!v) {
		fputc('0', f);
		return;
	}
	while (u < 5 && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		fprintf(f, "0x%" PRIx64, v);
	else
		fprintf(f, "%" PRIu64 "%c", v, units[u]);
}

/*
 * The kernel command line that rebuilds the table, as kexec tools passed
 * it: exactmap, then one memmap= per entry with the operator of its type;
 * types without an operator use nn%ss+type, which adds an entry.
 */
static void print_memmap(FILE *f, const struct e820_table *t)
{
	fputs("memmap=exactmap", f);
	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];
		char form = e820_memmap_form(e->type);

		fputs(" memmap=", f);
		put_size(f, e->size);
		fputc(form ? form : '%', f);
		put_size(f, e->addr);
		if (!form)
			fprintf(f, "+%" PRIu32, e->type);
	}
	fputc('\n', f);
}

struct json_object *e820_table_to_json(const struct e820_table *t)
{
	struct json_object *arr = json_object_new_array();
	char name[48];

	if (!arr)
		return NULL;
	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *e = &t->entries[i];
		struct json_object *o = json_object_new_object(), *v;

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			goto fail;
		}
		v = json_object_new_uint64(e->addr);
		if (!v || json_object_object_add(o, "start", v))
			goto fail_v;
		v = json_object_new_uint64(last_byte(e));
		if (!v || json_object_object_add(o, "end", v))
			goto fail_v;
		v = json_object_new_string(
			e820_type_name_buf(e->type, E820_NAME_LINUX, name, sizeof(name)));
		if (!v || json_object_object_add(o, "type", v))
			goto fail_v;
		continue;
	fail_v:
		json_object_put(v);
		goto fail;
	}
	return arr;
fail:
	json_object_put(arr);
	return NULL;
}

static const char *const format_names[] = {
	[E820_FMT_LINUX] = "linux", [E820_FMT_LINUX_OLD] = "linux-old",
	[E820_FMT_XEN] = "xen",	    [E820_FMT_XEN_OLD] = "xen-old",
	[E820_FMT_TABLE] = "table", [E820_FMT_JSON] = "json",
	[E820_FMT_IOMEM] = "iomem", [E820_FMT_MEMMAP] = "memmap",
};

int e820_format_parse(const char *name, enum e820_format *fmt)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcmp(name, format_names[i])) {
			*fmt = (enum e820_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *e820_format_name(enum e820_format fmt)
{
	if ((size_t)fmt < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[fmt];
	return "?";
}

int e820_print(FILE *f, const struct e820_table *t, enum e820_format fmt, const char *who,
	       struct p2msim_err *err)
{
	struct json_object *j;

	if (!who)
		who = "BIOS-e820";
	switch (fmt) {
	case E820_FMT_LINUX:
		e820_print_linux(f, t, who);
		return 0;
	case E820_FMT_LINUX_OLD:
		e820_print_linux_old(f, t, who);
		return 0;
	case E820_FMT_XEN:
		e820_print_xen(f, t);
		return 0;
	case E820_FMT_XEN_OLD:
		e820_print_xen_old(f, t);
		return 0;
	case E820_FMT_TABLE:
		print_table(f, t);
		return 0;
	case E820_FMT_IOMEM:
		print_iomem(f, t);
		return 0;
	case E820_FMT_MEMMAP:
		print_memmap(f, t);
		return 0;
	case E820_FMT_JSON: {
		const char *text;

		j = e820_table_to_json(t);
		if (!j)
			return p2msim_err_set(err, -ENOMEM, "out of memory");
		text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED);
		if (text)
			fprintf(f, "%s\n", text);
		json_object_put(j);
		return text ? 0 : p2msim_err_set(err, -ENOMEM, "out of memory");
	}
	}
	return p2msim_err_set(err, -EINVAL, "unknown output format %d", (int)fmt);
}
