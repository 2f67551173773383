/* SPDX-License-Identifier: MIT */
/*
 * setup/kernlog.h - reading the dom0 half of a boot log: which kernel
 * booted and with what command line, and which of its lines are outcomes.
 *
 * A serial console, `xl dmesg` followed by `dmesg`, or a mail quoting them
 * holds Xen's lines ("(XEN) ...") and the dom0 kernel's.  Two of the
 * kernel's lines are inputs of a simulation:
 *   Linux version 5.10.0-32-amd64 (...) #1 SMP Debian 5.10.223-1 (...)
 *                                       -> the kernel release (setup.h's
 *                                          kernel_model_init takes the line)
 *   Command line: ... mem=2048M memmap=... xen_512gb_limit ...
 *                                       -> the kernel's command line
 * Everything the kernel printed about its memory setup is an outcome --
 * what a simulation's own lines are compared with, never an input:
 * kernlog_is_outcome() tells them apart.
 */
#ifndef P2MSIM_SETUP_KERNLOG_H
#define P2MSIM_SETUP_KERNLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct kernlog {
	char *version_line; /* the last "Linux version ..." (from "Linux"), or NULL */
	unsigned int version_lineno;
	unsigned int nr_version_lines; /* more than one: several boots */
	char *cmdline;		       /* that boot's "Command line:" (or "Kernel command
					 * line:") after the colon, or NULL */
	unsigned int cmdline_lineno;
	unsigned int nr_lines; /* lines that were not Xen's */
	unsigned int nr_outcome_lines;
};

/*
 * Read the dom0 lines of a log (prefixes, timestamps and mail quoting are
 * removed as the E820 reader does; "(XEN)" lines are skipped).  0 with
 * empty fields when the log has no dom0 line; errors for unreadable input
 * ("FILE:LINE: ..."), -ENOMEM.
 */
int kernlog_parse_buffer(const char *name, const char *buf, size_t len, struct kernlog *kl,
			 struct p2msim_err *err);
/* The same over physical lines [first_line, end_line) of a file (one boot
 * of a serial capture; end_line 0: to the end), read as a stream. */
int kernlog_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			      struct kernlog *kl, struct p2msim_err *err);
void kernlog_free(struct kernlog *kl);

/*
 * Is @content (a line without its log prefix) one the kernel prints as
 * the result of its memory setup -- its E820 ("Xen: [mem ...]", "user:
 * [mem ...]", "e820: ..."), the counts ("Released", "Remapped", "Set ...
 * to 1-1 mapping", "Freeing", "Populating"), the P2M area, the initrd's
 * move, the words it stops with?  Those are never read as inputs.
 */
bool kernlog_is_outcome(const char *content);

#endif
