/* SPDX-License-Identifier: MIT */
/* debugfs-dump/dump-internal.h - shared between the files of debugfs-dump/;
 * the dd_ prefix keeps these out of the installed library's exports. */
#ifndef P2MSIM_DUMP_INTERNAL_H
#define P2MSIM_DUMP_INTERNAL_H

#include "debugfs-dump/dump.h"

/* Append a level run of an old dump (contiguous, merged like runs). */
int dd_runs_add_level(struct dump_runs *r, uint64_t start, uint64_t end, enum dump_level level,
		      struct p2msim_err *err);

/* Parse the "runs" array of a simulate --json result (parse-json.c). */
int dd_parse_json(struct dump_runs *r, const char *buf, size_t len, const char *name,
		  struct p2msim_err *err);

#endif
