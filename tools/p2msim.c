/* SPDX-License-Identifier: MIT */
/*
 * tools/p2msim.c - the p2msim command: one table of subcommands, each a thin
 * front end over libp2msim in its own file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "tools/p2msim.h"
#include "xen/xenlog.h"

static const struct p2msim_cmd commands[] = {
	{ "simulate", cmd_simulate,
	  "run a kernel's memory setup on a machine map and show the P2M" },
	{ "dump", cmd_dump, "print the debugfs p2m file the simulated kernel would show" },
	{ "e820", cmd_e820, "read, sanitize, edit and print an E820 memory map" },
	{ "diff", cmd_diff, "compare two dumps, run lists or JSON results" },
	{ "doctor", cmd_doctor,
	  "from a dom0 boot log: what happened, why, and the smallest change that boots" },
	{ "live", cmd_live, "read or check the P2M of a live Xen domain (dom0 only)" },
};

void tool_error(const char *fmt, ...)
{
	va_list ap;

	fputs("p2msim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_fail(const struct p2msim_err *err)
{
	tool_error("%s", err->msg[0] ? err->msg : "unknown error");
	return EXIT_FAIL;
}

int tool_print_json(struct json_object *o)
{
	if (!o) {
		tool_error("out of memory writing JSON");
		return EXIT_FAIL;
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_OK;
}

int tool_placement(bool kernel, const char *arg, struct xenlog_range *k, struct xenlog_range *i,
		   bool *no_initrd)
{
	struct p2msim_err err = { 0 };
	struct xenlog_range r;

	if (xenlog_range_parse(arg, !kernel, &r, &err) < 0) {
		tool_error("--dom0-%s %s", kernel ? "kernel" : "initrd", err.msg);
		return -EINVAL;
	}
	if (kernel) {
		*k = r;
	} else {
		*i = r;
		*no_initrd = !r.set;
	}
	return 0;
}

int tool_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "p2msim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'p2msim %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int tool_choice(const char *arg, const char *const names[])
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

bool tool_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: p2msim COMMAND [OPTIONS]\n"
		   "Simulate, inspect and check the P2M of Xen PV guests.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'p2msim COMMAND --help' describes a command's options.\n"
		   "Exit status: 0 success, 1 bad input, failure or difference, 2 usage.\n");
}

int main(int argc, char *argv[])
{
	if (argc < 2)
		return usage(stderr), EXIT_USAGE;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout), EXIT_OK;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("p2msim %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return tool_usage(NULL, "unknown command '%s'", argv[1]);
}
