/* SPDX-License-Identifier: MIT */
/*
 * doctor/doctor.h - from a dom0 boot log to what happened, why, and the
 * smallest change of the options a user controls under which it boots.
 *
 * A log (serial console, `xl dmesg` + `dmesg`, a mail quoting them) holds
 * two kinds of lines.  Inputs -- Xen's map, its and the kernel's command
 * lines, where Xen put the kernel -- drive a simulation (sim/).  Outcomes
 * -- what the dom0 printed about its memory setup, or the words a kernel or
 * Xen died with -- are never inputs: they are what the simulation's own
 * printed lines are compared with.  This header's first part reads the
 * outcomes; the rest reproduces, explains and searches for fixes.
 */
#ifndef P2MSIM_DOCTOR_DOCTOR_H
#define P2MSIM_DOCTOR_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "e820/e820.h"
#include "util/err.h"

/* --- what a boot printed: its outcome ------------------------------------------- */

/* One counted line ("Released 0 page(s)"): the value and where it was. */
struct doctor_count {
	bool set;
	uint64_t value;
	unsigned int line; /* 0: not from a file (a simulation's log) */
};

/* Who stopped the boot. */
enum doctor_stage {
	DOCTOR_STAGE_NONE,   /* nothing did (or the log does not say) */
	DOCTOR_STAGE_XEN,    /* Xen panicked before dom0 ran */
	DOCTOR_STAGE_KERNEL, /* the dom0 kernel stopped */
};

#define DOCTOR_TEXT_MAX 200

struct doctor_outcome {
	/* The dom0's "Xen: [mem A-B] type" lines and, after mem=/memmap=,
	 * its "user: [mem ...]" lines, each entry with its line number. */
	struct e820_table e820, user_e820;
	struct doctor_count released; /* "Released N page(s)" */
	struct doctor_count identity; /* "Set N page(s) to 1-1 mapping" (3.x) */
	struct doctor_count remapped; /* "Remapped N page(s)" */
	struct doctor_count nonram;   /* "Remapped N non-RAM page(s)" (6.12) */
	struct doctor_count p2m_area; /* "p2m virtual area at ..., size is X": X */
	/* "initrd moved from [mem A-B] to [mem C-D]", as printed */
	bool initrd_moved;
	unsigned int initrd_line;
	uint64_t initrd_from, initrd_from_end, initrd_to, initrd_to_end;
	/* The first words a kernel or Xen stopped with. */
	enum doctor_stage stage;
	char failure[DOCTOR_TEXT_MAX];
	unsigned int failure_line;
	/* What kind of boot the lines came from. */
	unsigned int nr_lines;		/* lines read */
	unsigned int nr_xen_lines;	/* "(XEN)" lines */
	unsigned int nr_kernel_lines;	/* lines of the dom0 kernel */
	unsigned int first_kernel_line; /* the boot's "Linux version" line, or 0 */
	bool pvh;			/* Xen built a PVH dom0 */
	unsigned int pvh_line;
	bool hvm; /* a Linux HVM guest's log ("Xen HVM") */
	unsigned int hvm_line;
	bool bios_e820;			/* the kernel printed "BIOS-e820:" lines */
	unsigned int last_xen_map_line; /* Xen's last "... RAM map:" header, 0: none */
	unsigned int dom0_build_line;	/* Xen's "*** Building a PV Dom0 ***" or
					 * "*** LOADING DOMAIN 0 ***", 0: none */
};

void doctor_outcome_init(struct doctor_outcome *o);
void doctor_outcome_free(struct doctor_outcome *o);

/*
 * Read the outcome lines of a whole log (the last boot of it: a second
 * "Linux version" or "Xen version" line starts over).  Prefixes (mail
 * quoting, console timestamps, "(XEN)") are handled as everywhere else.
 * -EINVAL "NAME:LINE: ..." for an outcome line that cannot be read (a
 * broken "Xen: [mem" line), -ENOMEM.
 */
int doctor_outcome_parse(const char *name, const char *buf, size_t len, struct doctor_outcome *o,
			 struct p2msim_err *err);
/* The same over a file read as a stream (a serial capture of several GiB);
 * fd stays the caller's. */
int doctor_outcome_parse_fd(const char *name, int fd, struct doctor_outcome *o,
			    struct p2msim_err *err);
/* The same for the lines a simulation printed (no prefixes, no line
 * numbers). */
int doctor_outcome_from_lines(char *const *lines, size_t nr, struct doctor_outcome *o,
			      struct p2msim_err *err);

/* --- reproduce, explain, fix ------------------------------------------------------- */

#include "sim/sim.h"

struct doctor_options {
	const char *kernel;	 /* NULL: the log's "Linux version", else 6.1 */
	const char *cmdline;	 /* NULL: the log's kernel "Command line:" */
	const char *xen_cmdline; /* NULL: the log's Xen "Command line:" */
	const char *e820_path;	 /* a machine map instead of Xen's printed one */
	const char *xen;	 /* Xen's version, NULL: the log's (else 4.17) */
	struct kernel_config kconfig;
	/* where Xen put the kernel and initrd when the log does not say
	 * (struct simulation_options' fields of the same names) */
	struct xenlog_range dom0_kernel, dom0_initrd;
	bool dom0_no_initrd;
	bool no_fixes; /* skip the search (--why, --matrix only) */
};

void doctor_options_init(struct doctor_options *o);

/* The simulation of the boot in LOG_PATH with the user's options: what
 * `simulate --xen-log LOG_PATH` with the same options runs.  so's strings
 * point into o. */
void doctor_simulation_options(const struct doctor_options *o, const char *log_path,
			       struct simulation_options *so);

/* One row of the agreement table. */
struct doctor_row {
	char what[48];
	char log[DOCTOR_TEXT_MAX];
	char model[DOCTOR_TEXT_MAX];
	unsigned int line; /* the log's line, 0: none */
	bool agree;
};

#define DOCTOR_MAX_FIXES 5
#define DOCTOR_MAX_NOTES 8

/* A change of the options a user controls, verified by a simulation. */
struct doctor_fix {
	char change[DOCTOR_TEXT_MAX]; /* "kernel: remove mem=384M" */
	unsigned int cost;	      /* the size of the change; fixes sort by it */
	char kernel[48];	      /* the kernel release it runs */
	char xen[16];		      /* the Xen version ("4.17"), "" when unknown */
	char *xen_cmdline;	      /* the whole new Xen command line */
	char *kernel_cmdline;	      /* the whole new kernel command line */
	char *dom0_mem;		      /* the dom0_mem= value it sets, or NULL */
};

struct doctor_report {
	char *name;
	/* what the boot was run with, and where each came from */
	char kernel[48];
	char *kernel_cmdline, *xen_cmdline;
	char xen[16];
	char notes[DOCTOR_MAX_NOTES][DOCTOR_TEXT_MAX];
	unsigned int nr_notes;
	/* the log against the simulation */
	struct doctor_outcome log, model;
	struct simulation sim;
	bool sim_ran;
	int sim_rc; /* 0, -EFAULT (the kernel stops) or an error */
	char sim_error[P2MSIM_ERR_MSG_MAX];
	struct doctor_row *rows;
	size_t nr_rows, alloc_rows;
	unsigned int nr_differences;
	bool reproduced;
	/* the verdict */
	bool fails;
	enum doctor_stage stage;
	char cause[1024];
	/* Xen's RAM map as the log prints it: its header ("Xen-e820 RAM map")
	 * and its number of entries (0: none printed) */
	char xen_map_header[48];
	unsigned int xen_map_entries;
	/* the fixes */
	bool searched;
	char no_fix_why[400]; /* why no option can help, when known
					 * without a search ("": not known) */
	struct doctor_fix fixes[DOCTOR_MAX_FIXES];
	unsigned int nr_fixes;
	unsigned int nr_tried; /* simulations the search ran */
};

/*
 * Read the log at @path ("-": stdin), reproduce its boot, compare, explain
 * and (unless o->no_fixes) search for fixes.  Errors (one line each): a
 * file with no boot in it, a log cut before Xen printed its map, the log
 * of a PVH dom0 or an HVM guest, unreadable input.  A boot that fails is
 * not an error: it is the report's verdict.
 */
int doctor_run(const char *path, const struct doctor_options *o, struct doctor_report *r,
	       struct p2msim_err *err);
void doctor_report_free(struct doctor_report *r);

/* The report as text: the agreement table, the verdict and cause, the
 * fixes.  0 or -EIO. */
int doctor_print(FILE *f, const struct doctor_report *r);

/* The JSON of `p2msim doctor --json` (put with json_object_put()); NULL
 * when out of memory. */
struct json_object;
struct json_object *doctor_to_json(const struct doctor_report *r);

/* --- why each run of the P2M is what it is ------------------------------------------- */

/* For each identity, remapped or missing run of the simulated P2M, the rule
 * and the E820 entry or option that made it.  0, -ENOMEM or -EIO. */
int doctor_why(FILE *f, const struct simulation *sim, const char *cmdline, struct p2msim_err *err);

/* --- the same machine under other kernels and Xens ------------------------------------ */

/* The kernel releases the behaviour table names (each row's since and
 * until), oldest first, from the first modelled one. */
size_t doctor_kernel_releases(const char **out, size_t max);

/* The Xen releases the Xen behaviour table names, oldest first. */
size_t doctor_xen_releases(const char **out, size_t max);

/*
 * One simulation per kernel in @kernels (NULL: doctor_kernel_releases())
 * and Xen in @xens (NULL: the one @base names or its log's) on the
 * machine @base describes, printed as one table: kernel, Xen, boots?,
 * Remapped, max_pfn, p2m area, failure.
 */
int doctor_matrix(FILE *f, const struct simulation_options *base, const char *const *kernels,
		  size_t nr_kernels, const char *const *xens, size_t nr_xens,
		  struct p2msim_err *err);

#endif
