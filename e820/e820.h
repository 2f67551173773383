/* SPDX-License-Identifier: MIT */
/*
 * e820/e820.h - E820 memory maps: the table, Linux's and Xen's sanitize,
 * range edits, the kernel's mem=/memmap= options, readers for every format
 * people paste maps in, and writers for the formats kernels and Xen print.
 *
 * A struct e820_table is the kernel's e820 array: entries [0, nr) are the
 * map, in the order they were added.  Slots [nr, alloc) are kept as the
 * kernel's fixed-size array would keep them: a slot holds whatever was last
 * written there (zero if never), because e820_sanitize() leaves entries
 * beyond the new count untouched, exactly as Linux's memcpy does.  Only the
 * proposed memmap=nn*align wildcard reads such a stale slot (doc/behaviours.md#memmap-wildcard).
 *
 * Errors are values: functions return 0 or a negative errno and fill an
 * optional struct p2msim_err; parsers put "FILE:LINE: " in front.  Nothing
 * here prints on its own or exits; writers take a FILE * from the caller.
 */
#ifndef P2MSIM_E820_E820_H
#define P2MSIM_E820_E820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

/* E820 types (Linux asm/e820/types.h, doc/simulation.md#map). */
enum e820_type {
	E820_TYPE_RAM = 1,
	E820_TYPE_RESERVED = 2,
	E820_TYPE_ACPI = 3,
	E820_TYPE_NVS = 4,
	E820_TYPE_UNUSABLE = 5,
	E820_TYPE_PMEM = 7,
	E820_TYPE_PRAM = 12,
	E820_TYPE_RESERVED_KERN = 128,
	E820_TYPE_SOFT_RESERVED = 0xefffffff,
};

/* Largest table p2msim accepts (far above any real firmware's). */
#define E820_MAX_ENTRIES 65536

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
	unsigned int line;  /* source line, 0 if none */
	unsigned int flags; /* E820_ENTRY_*: how the entry was read */
};

/* /proc/iomem's "reserved RAM" or "reserved RAM failed" (the 2008
 * reserve-RAM patch): RAM, read as usable, marked so in tables. */
#define E820_ENTRY_RESERVED_RAM 1u

struct e820_table {
	struct e820_entry *entries;
	size_t nr, alloc; /* [nr, alloc): stale slots, see above */
};

void e820_table_init(struct e820_table *t);
void e820_table_free(struct e820_table *t);
/* dst (initialised or not) becomes a copy of src, stale slots included. */
int e820_table_copy(struct e820_table *dst, const struct e820_table *src);
/* Append an entry: 0, -ENOMEM, or -E2BIG past E820_MAX_ENTRIES. */
int e820_add(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type);
int e820_add_line(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type,
		  unsigned int line);

/*
 * Linux e820__update_table(): overlaps resolved by the numerically highest
 * type, zero-size entries dropped, adjacent equal types merged except PRAM
 * and soft reserved.  Returns -1 and leaves t unchanged when t has fewer
 * than two entries or an entry wraps past 2^64; 0 when sanitized; -ENOMEM
 * or -E2BIG (t unchanged) when the result cannot be stored.
 */
int e820_sanitize(struct e820_table *t);
/* Xen's sanitize_e820_map(): the same sweep, but every type merges
 * (Xen has no PRAM/soft-reserved exception).  Same return values. */
int e820_sanitize_xen(struct e820_table *t);

/*
 * Linux e820__range_remove(): cut [addr, addr+size) out of every entry
 * (of old_type only when check_type); the size is clamped at 2^64-1.
 * Entries inside the range are zeroed in place (sanitize drops them); an
 * entry that encloses the range is split with a new entry at the end.
 */
int e820_remove_range(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t old_type,
		      bool check_type);
/* Linux e820__range_update(): retype the old_type parts of the range,
 * appending split-off pieces.  -EINVAL when old_type == new_type (the
 * kernel BUG()s). */
int e820_update_range(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t old_type,
		      uint32_t new_type);
/* Sum of the sizes of the entries of one type (saturating). */
uint64_t e820_total(const struct e820_table *t, uint32_t type);
/* Two tables hold the same entries [0, nr) (addr, size, type). */
bool e820_table_equal(const struct e820_table *a, const struct e820_table *b);

/* --- type names ------------------------------------------------------- */

enum e820_name_style {
	E820_NAME_LINUX,      /* dmesg since 6.10: usable, ACPI data, soft reserved,
				 * persistent (type 12), type 128 */
	E820_NAME_LINUX_KERN, /* dmesg 2.6.38-6.9: as LINUX but 128 prints usable */
	E820_NAME_LINUX_OLD,  /* dmesg 2.6.x: (usable), (ACPI NVS), type 12 */
	E820_NAME_XEN,	      /* Xen's console: (usable) ... (unusable), type 12 */
	E820_NAME_IOMEM,      /* /proc/iomem, /sys/firmware/memmap: System RAM, ... */
};

/* The name of a type in a style, or NULL when the style prints a number
 * ("type %u", "persistent (type %u)") that e820_type_name_buf() writes. */
const char *e820_type_name(uint32_t type, enum e820_name_style style);
/* Always writes the name (truncated to len); returns buf. */
const char *e820_type_name_buf(uint32_t type, enum e820_name_style style, char *buf, size_t len);
/*
 * Recognise a type written in any style or by number: "usable",
 * "(ACPI NVS)", "System RAM", "persistent (type 12)", "soft reserved",
 * "type 9", "reserved RAM failed", ... (case-insensitive, runs of spaces
 * are one).  With allow_bare, also "12", "0x80", "ram", "nvs", "pram" as a
 * hand-written table would have them.  Returns 0 or -EINVAL.
 */
int e820_type_parse(const char *s, size_t len, bool allow_bare, uint32_t *type);

/* --- printing --------------------------------------------------------- */

enum e820_format {
	E820_FMT_LINUX,	    /* WHO: [mem 0x%016llx-0x%016llx] usable (inclusive) */
	E820_FMT_LINUX_OLD, /*  WHO: %016llx - %016llx (usable)  (exclusive, 2.6.x) */
	E820_FMT_XEN,	    /*  [%016llx, %016llx] (usable)  (inclusive, Xen >= 4.12) */
	E820_FMT_XEN_OLD,   /*  %016llx - %016llx (usable)  (exclusive, Xen <= 4.11) */
	E820_FMT_TABLE,	    /* 0x%016llx-0x%016llx usable (inclusive, plain table) */
	E820_FMT_JSON,	    /* [{"start", "end" (inclusive), "type"}] */
	E820_FMT_IOMEM,	    /* %08llx-%08llx : System RAM (/proc/iomem top level) */
	E820_FMT_MEMMAP,    /* memmap=exactmap memmap=640K@0 ... (kernel command line) */
};

/* "linux", "linux-old", "xen", "xen-old", "table", "json", "iomem", "memmap". */
int e820_format_parse(const char *name, enum e820_format *fmt);
const char *e820_format_name(enum e820_format fmt);

/* One line per entry, exactly as the kernel's e820__print_table() prints
 * them (without the log prefix). */
void e820_print_linux(FILE *f, const struct e820_table *t, const char *who);
void e820_print_linux_style(FILE *f, const struct e820_table *t, const char *who,
			    enum e820_name_style style);
/* 2.6.x e820_print_map(): " WHO: %016Lx - %016Lx (usable)" with the end
 * exclusive. */
void e820_print_linux_old(FILE *f, const struct e820_table *t, const char *who);
/* Xen's print_e820_memory_map(): " [%016lx, %016lx] (usable)" (>= 4.12) and
 * " %016lx - %016lx (usable)" (older). */
void e820_print_xen(FILE *f, const struct e820_table *t);
void e820_print_xen_old(FILE *f, const struct e820_table *t);
/* Any format; who is the Linux prefix (NULL: "BIOS-e820").  Entries only:
 * no header line.  Fails only on -ENOMEM (JSON) or an unknown format. */
int e820_print(FILE *f, const struct e820_table *t, enum e820_format fmt, const char *who,
	       struct p2msim_err *err);

/* The table as the JSON array of the simulate output (bytes, inclusive
 * end, LINUX type names).  Returns a new json-c object (NULL on -ENOMEM);
 * the caller owns it (json_object_put). */
struct json_object;
struct json_object *e820_table_to_json(const struct e820_table *t);

/* --- parsing ---------------------------------------------------------- */

/*
 * A document holds every map found in one input, in file order.  A map
 * starts at a header line ("Xen-e820 RAM map:", "BIOS-provided physical RAM
 * map:", ...) or, without one, where entries of a new kind begin; it ends
 * at the next header or at the first other line after its entries.
 *
 * kind says which format the entries had: "linux:WHO" (e.g. "linux:Xen"),
 * "linux-old:WHO", "xen", "xen-old", "iomem", "table", "json", "sysfs",
 * "memmap".  header is the header line as printed (log prefixes removed),
 * or NULL; header_line is its line, or that of the first entry.
 */
struct e820_doc {
	size_t nr_maps;
	struct e820_map {
		char *header;
		unsigned int header_line;
		struct e820_table table;
		char *kind;
		char *first; /* a map without a header: its first line as read
				 * (prefixes removed), to name it by; else NULL */
	} * maps;
	char *name;	    /* the input's name as used in messages */
	size_t nr_warnings; /* "NAME:LINE: ..." about entries read all the */
	char **warnings;    /* same (a digit that may be lost, ...) */
};

/*
 * Read every map of a file.  path "-" is stdin; a directory is read as
 * /sys/firmware/memmap (subdirectories 0, 1, ... with start, end, type).
 * Formats are detected per line (see doc/cli-json.md#input-formats): Linux [mem a-b] and old
 * a - b (type) with any WHO prefix, Xen [a, b] and a - b, /proc/iomem top
 * level, plain tables (START-END TYPE inclusive, START +SIZE TYPE,
 * START END TYPE inclusive), JSON, a memmap=exactmap command line; under
 * timestamps, (XEN), journalctl prefixes, "> " quoting and
 * quoted-printable.  Errors: "PATH:LINE: what is wrong", -EINVAL (bad
 * input), -ENOENT/-EIO (cannot read), -ENOMEM; no map at all is -ENOENT.
 */
int e820_parse_file(const char *path, struct e820_doc *doc, struct p2msim_err *err);
int e820_parse_buffer(const char *name, const char *buf, size_t len, struct e820_doc *doc,
		      struct p2msim_err *err);
void e820_doc_free(struct e820_doc *doc);

/* --- kernel command line (mem=, memmap=) ------------------------------- */

#define E820_USER_MAX_NAMED 8
#define E820_USER_NAME_LEN 16

struct e820_user {
	bool userdef;	    /* any mem=/memmap= seen: the kernel prints the user map */
	uint64_t mem_limit; /* mem= (max_mem_size), or ~0 */
	struct {
		char name[E820_USER_NAME_LEN];
		uint64_t start, size;
	} named[E820_USER_MAX_NAMED]; /* memmap=nn*align:name, memmap_named() */
	unsigned int nr_named;
};

/*
 * Apply the mem= and memmap= options of a Linux command line to t, in
 * command-line order, the way parse_early_param() then
 * e820__finish_early_params() do after xen_memory_setup(): every memmap=
 * form (exactmap, nn@ss, nn#ss, nn$ss, nn!ss, nn%ss-old+new, nn, comma
 * lists) and the proposed nn*align:name wildcard; then, if any option was
 * seen, sanitize.  A sanitize failure is -EINVAL "Invalid user supplied
 * memory map" (the kernel panics).  Malformed values are ignored as the
 * kernel ignores them (their parse errors are not reported); user may be
 * NULL.
 */
int e820_apply_cmdline(struct e820_table *t, const char *cmdline, struct e820_user *user,
		       struct p2msim_err *err);
/* Linux memparse(): simple_strtoull(base 0) then K/M/G/T/P/E. */
uint64_t e820_memparse(const char *s, const char **end);

#endif
