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
	unsigned int line;	/* 0: not from a file (a simulation's log) */
};

/* Who stopped the boot. */
enum doctor_stage {
	DOCTOR_STAGE_NONE,	/* nothing did (or the log does not say) */
	DOCTOR_STAGE_XEN,	/* Xen panicked before dom0 ran */
	DOCTOR_STAGE_KERNEL,	/* the dom0 kernel stopped */
};

#define DOCTOR_TEXT_MAX 200

struct doctor_outcome {
	/* The dom0's "Xen: [mem A-B] type" lines and, after mem=/memmap=,
	 * its "user: [mem ...]" lines, each entry with its line number. */
	struct e820_table e820, user_e820;
	struct doctor_count released;	/* "Released N page(s)" */
	struct doctor_count identity;	/* "Set N page(s) to 1-1 mapping" (3.x) */
	struct doctor_count remapped;	/* "Remapped N page(s)" */
	struct doctor_count nonram;	/* "Remapped N non-RAM page(s)" (6.12) */
	struct doctor_count p2m_area;	/* "p2m virtual area at ..., size is X": X */
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
	unsigned int first_kernel_line;	/* the boot's "Linux version" line, or 0 */
	bool pvh;			/* Xen built a PVH dom0 */
	unsigned int pvh_line;
	bool hvm;			/* a Linux HVM guest's log ("Xen HVM") */
	unsigned int hvm_line;
	bool bios_e820;			/* the kernel printed "BIOS-e820:" lines */
	unsigned int last_xen_map_line;	/* Xen's last "... RAM map:" header, 0: none */
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
int doctor_outcome_parse(const char *name, const char *buf, size_t len,
			 struct doctor_outcome *o, struct p2msim_err *err);
/* The same for the lines a simulation printed (no prefixes, no line
 * numbers). */
int doctor_outcome_from_lines(char *const *lines, size_t nr, struct doctor_outcome *o,
			      struct p2msim_err *err);

#endif
