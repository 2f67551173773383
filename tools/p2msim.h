/* SPDX-License-Identifier: MIT */
/* tools/p2msim.h - shared bits of the p2msim command's subcommands. */
#ifndef P2MSIM_TOOLS_H
#define P2MSIM_TOOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

/* Exit statuses (doc/cli-json.md#exit-status). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* bad input, simulation failure, difference found */
	EXIT_USAGE = 2,
};

struct p2msim_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *help; /* one line for "p2msim --help" */
};

/* Print "p2msim: MESSAGE" on stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the recorded error and return EXIT_FAIL. */
int tool_fail(const struct p2msim_err *err);
/* Print @o on stdout as the JSON outputs are printed (pretty, slashes
 * as they are) and drop it; EXIT_FAIL with "out of memory" if @o is NULL. */
struct json_object;
int tool_print_json(struct json_object *o);
/* Print a usage complaint and return EXIT_USAGE. */
int tool_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The index of @arg in the NULL-terminated @names, or -1: for options
 * that take one of a few keywords. */
int tool_choice(const char *arg, const char *const names[]);

/* An option's whole argument as an unsigned number (decimal, 0x hex or 0
 * octal, as strtoull base 0); false on a sign, junk or overflow. */
bool tool_parse_u64(const char *s, uint64_t *v);

/* --dom0-kernel (@kernel true) or --dom0-initrd RANGE into the options'
 * fields (xenlog_range_parse(); "none" for the initrd only); EXIT_FAIL
 * with the error printed. */
struct xenlog_range;
int tool_placement(bool kernel, const char *arg, struct xenlog_range *k, struct xenlog_range *i,
		   bool *no_initrd);

int cmd_simulate(int argc, char *argv[]);
int cmd_dump(int argc, char *argv[]);
int cmd_e820(int argc, char *argv[]);
int cmd_diff(int argc, char *argv[]);
int cmd_live(int argc, char *argv[]);
int cmd_doctor(int argc, char *argv[]);

#endif
