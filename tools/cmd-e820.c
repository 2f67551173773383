/* SPDX-License-Identifier: MIT */
/*
 * tools/cmd-e820.c - "p2msim e820": read a memory map from any log or file,
 * optionally sanitize it or apply mem=/memmap=, and print it in one of the
 * formats kernels, Xen and the kernel's interfaces use.  Option parsing and
 * printing only; the work is in e820/e820*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e820/e820.h"
#include "tools/p2msim.h"
#include "util/text.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2msim e820 [--e820] FILE|- [OPTIONS]\n"
		"Read an E820 memory map from a log, mail, table, JSON, /proc/iomem or a\n"
		"/sys/firmware/memmap directory and print it.\n"
		"\n"
		"  --e820 FILE|-      input (also as the first argument); '-' is stdin;\n"
		"                     default: /sys/firmware/memmap when readable\n"
		"  --map N            use map N of the input (0 = the first, the default)\n"
		"  --list-maps        list the maps found with their header line and exit\n"
		"  --sanitize         sort and merge as Linux e820__update_table does\n"
		"  --cmdline STR      apply the kernel's mem=/memmap= options (after the\n"
		"                     sanitize the platform setup does, as the kernel orders it)\n"
		"  --format F         linux (default), linux-old, xen, xen-old, table, json,\n"
		"                     iomem, memmap\n"
		"  --who PREFIX       the prefix of linux lines (default: the input's, else\n"
		"                     BIOS-e820; 'user' after mem=/memmap=)\n"
		"  --no-header        print entries only, without the \"... RAM map:\" line\n"
		"  -h, --help         this help\n"
		"\n"
		"Without --sanitize or --cmdline the map is printed as read: original order,\n"
		"nothing merged.  Exit status: 0 success, 1 bad input, 2 usage.\n");
}

enum {
	OPT_MAP = 256,
	OPT_LIST,
	OPT_SANITIZE,
	OPT_CMDLINE,
	OPT_FORMAT,
	OPT_WHO,
	OPT_NOHDR
};

static const struct option options[] = {
	{ "e820", required_argument, NULL, 'e' },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "list-maps", no_argument, NULL, OPT_LIST },
	{ "sanitize", no_argument, NULL, OPT_SANITIZE },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "who", required_argument, NULL, OPT_WHO },
	{ "no-header", no_argument, NULL, OPT_NOHDR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void list_maps(const struct e820_doc *doc)
{
	for (size_t i = 0; i < doc->nr_maps; i++) {
		const struct e820_map *m = &doc->maps[i];

		printf("%zu\tline %u\t%s\t%zu entries\t", i, m->header_line,
		       m->kind ? m->kind : "?", m->table.nr);
		if (m->header)
			printf("%s\n", m->header);
		else if (m->first)
			printf("(no header) first line: %s\n", m->first);
		else
			printf("(no header)\n");
	}
}

/* The who of a "linux:WHO" or "linux-old:WHO" kind, or NULL. */
static const char *kind_who(const char *kind)
{
	if (!kind)
		return NULL;
	if (starts_with(kind, "linux:"))
		return kind + 6;
	if (starts_with(kind, "linux-old:"))
		return kind + 10;
	return NULL;
}

static bool is_xen_kind(const char *kind)
{
	return kind && (!strcmp(kind, "xen") || !strcmp(kind, "xen-old"));
}

static void print_header(enum e820_format fmt, const struct e820_map *m, bool userdef)
{
	switch (fmt) {
	case E820_FMT_LINUX:
	case E820_FMT_LINUX_OLD:
		if (userdef)
			puts("user-defined physical RAM map:");
		else if (m->header && kind_who(m->kind))
			puts(m->header);
		else
			puts("BIOS-provided physical RAM map:");
		break;
	case E820_FMT_XEN:
	case E820_FMT_XEN_OLD:
		puts(m->header && is_xen_kind(m->kind) ? m->header : "Xen-e820 RAM map:");
		break;
	default:
		break;
	}
}

int cmd_e820(int argc, char *argv[])
{
	const char *input = NULL, *cmdline = NULL, *who = NULL;
	enum e820_format fmt = E820_FMT_LINUX;
	bool list = false, sanitize = false, header = true;
	unsigned long mapno = 0;
	struct e820_doc doc;
	struct e820_table t;
	struct e820_user user;
	struct p2msim_err err;
	const struct e820_map *m;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:h", options, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'e':
			input = optarg;
			break;
		case OPT_MAP:
			errno = 0;
			mapno = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-')
				return tool_usage("e820", "--map needs a map number, not '%s'",
						  optarg);
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_SANITIZE:
			sanitize = true;
			break;
		case OPT_CMDLINE:
			cmdline = optarg;
			break;
		case OPT_FORMAT:
			if (e820_format_parse(optarg, &fmt))
				return tool_usage("e820",
						  "unknown format '%s' (linux, linux-old, xen, "
						  "xen-old, table, json, iomem, memmap)",
						  optarg);
			break;
		case OPT_WHO:
			who = optarg;
			break;
		case OPT_NOHDR:
			header = false;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			return tool_usage("e820", "option '%s' needs a value", argv[optind - 1]);
		default:
			return tool_usage("e820", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (input || optind + 1 < argc)
			return tool_usage("e820", "one input only ('%s' is extra)", argv[argc - 1]);
		input = argv[optind];
	}
	if (!input) {
		struct stat st;

		if (stat("/sys/firmware/memmap", &st) || !S_ISDIR(st.st_mode))
			return tool_usage("e820", "no input: give --e820 FILE (or - for stdin)");
		input = "/sys/firmware/memmap";
	}

	p2msim_err_clear(&err);
	rc = e820_parse_file(input, &doc, &err);
	if (rc)
		return tool_fail(&err);
	for (size_t i = 0; i < doc.nr_warnings; i++)
		fprintf(stderr, "p2msim: warning: %s\n", doc.warnings[i]);
	if (list) {
		list_maps(&doc);
		e820_doc_free(&doc);
		return EXIT_OK;
	}
	if (mapno >= doc.nr_maps) {
		tool_error("%s: there is no map %lu (%zu map%s found; see --list-maps)", doc.name,
			   mapno, doc.nr_maps, doc.nr_maps == 1 ? "" : "s");
		e820_doc_free(&doc);
		return EXIT_FAIL;
	}
	m = &doc.maps[mapno];
	if (e820_table_copy(&t, &m->table)) {
		tool_error("out of memory");
		e820_doc_free(&doc);
		return EXIT_FAIL;
	}
	memset(&user, 0, sizeof(user));
	if (sanitize || cmdline) {
		/* -1 only means there was nothing to sanitize (< 2 entries) */
		rc = e820_sanitize(&t);
		if (rc < -1) {
			tool_error("out of memory");
			goto fail;
		}
	}
	if (cmdline) {
		rc = e820_apply_cmdline(&t, cmdline, &user, &err);
		if (rc) {
			tool_error("--cmdline: %s", err.msg);
			goto fail;
		}
	}
	if (!who)
		who = user.userdef ? "user" : kind_who(m->kind);
	if (header)
		print_header(fmt, m, user.userdef);
	rc = e820_print(stdout, &t, fmt, who, &err);
	if (rc) {
		tool_fail(&err);
		goto fail;
	}
	e820_table_free(&t);
	e820_doc_free(&doc);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
fail:
	e820_table_free(&t);
	e820_doc_free(&doc);
	return EXIT_FAIL;
}
