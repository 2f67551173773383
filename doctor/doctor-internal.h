/* SPDX-License-Identifier: MIT */
/* doctor/doctor-internal.h - what the doctor/ files share. */
#ifndef P2MSIM_DOCTOR_INTERNAL_H
#define P2MSIM_DOCTOR_INTERNAL_H

#include "doctor/doctor.h"

void doctor_note(struct doctor_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int doctor_add_row(struct doctor_report *r, const char *what, const char *log, const char *model,
		   unsigned int line, bool agree);
/* The options of the report's own boot (its kernel and command lines). */
void doctor_sim_options(const struct doctor_report *r, const struct doctor_options *o,
			const char *log_path, struct simulation_options *so);
/* The behaviour row of @b, or NULL. */
const struct kernel_behaviour_row *doctor_behaviour(enum kernel_behaviour b);

/* r->cause from the simulation's stop or the log's words. */
int doctor_explain(struct doctor_report *r, struct p2msim_err *err);
/* r->fixes: the smallest verified changes. */
int doctor_search_fixes(struct doctor_report *r, const struct doctor_options *o,
			const char *log_path, struct p2msim_err *err);

#endif
