/* SPDX-License-Identifier: MIT */
/*
 * doctor/report.c - the doctor's report as text and as the JSON object of
 * `p2msim doctor --json`:
 *   {"boot": "ok"|"fails", "stage": "xen"|"kernel"|null, "cause": "...",
 *    "reproduced": bool, "differences": [{"what", "log", "model"}],
 *    "fixes": [{"change", "xen", "kernel", "xen_cmdline", "kernel_cmdline",
 *               "boot": "ok"}]}
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "doctor/doctor-internal.h"
#include "util/json.h"

static const char *stage_name(enum doctor_stage s)
{
	return s == DOCTOR_STAGE_XEN ? "xen" : s == DOCTOR_STAGE_KERNEL ? "kernel" : NULL;
}

int doctor_print(FILE *f, const struct doctor_report *r)
{
	size_t wl = 4, wg = 3;

	fprintf(f, "boot: %s%s%s, kernel %s\n", r->name, r->xen[0] ? ", Xen " : "", r->xen,
		r->kernel);
	if (r->kernel_cmdline)
		fprintf(f, "kernel command line: %s\n",
			*r->kernel_cmdline ? r->kernel_cmdline : "(none)");
	if (r->xen_cmdline)
		fprintf(f, "Xen command line: %s\n", r->xen_cmdline);
	for (unsigned int i = 0; i < r->nr_notes; i++)
		fprintf(f, "note: %s\n", r->notes[i]);

	for (size_t i = 0; i < r->nr_rows; i++) {
		size_t a = strlen(r->rows[i].what), b = strlen(r->rows[i].log);

		wl = a > wl ? a : wl;
		wg = b > wg ? b : wg;
	}
	fprintf(f, "\n%-*s  %-6s  %-*s  %s\n", (int)wl, "what", "line", (int)wg, "log", "model");
	for (size_t i = 0; i < r->nr_rows; i++) {
		const struct doctor_row *row = &r->rows[i];
		char line[16] = "";

		if (row->line)
			snprintf(line, sizeof(line), "%u", row->line);
		fprintf(f, "%-*s  %-6s  %-*s  %s%s\n", (int)wl, row->what, line, (int)wg, row->log,
			row->model, row->agree ? "" : "   <- DIFFERS");
	}
	if (!r->nr_rows)
		fprintf(f, "(the log holds no outcome line of the dom0 to compare)\n");
	fprintf(f, "\n%s: %u difference(s) in %zu compared line(s)\n",
		r->reproduced ? "reproduced" : "not reproduced", r->nr_differences, r->nr_rows);

	if (!r->fails) {
		fprintf(f, "verdict: the boot is fine; nothing to fix\n");
		return ferror(f) ? -EIO : 0;
	}
	fprintf(f, "verdict: the boot fails in %s: %s\n",
		r->stage == DOCTOR_STAGE_XEN ? "Xen" : "the dom0 kernel",
		r->log.stage != DOCTOR_STAGE_NONE ? r->log.failure : r->model.failure);
	fprintf(f, "cause: %s\n", r->cause);
	if (!r->searched) {
		fprintf(f, "fixes: none searched\n");
	} else if (!r->nr_fixes) {
		fprintf(f, "fixes: no change of these options helps (kernel mem=, memmap=, "
			   "xen_512gb_limit; Xen dom0_mem=, mem=, availmem=; the Xen and kernel "
			   "releases the tables name)");
		if (r->no_fix_why[0])
			fprintf(f, ": %s\n", r->no_fix_why);
		else
			fprintf(f, "; %u simulation(s) tried\n", r->nr_tried);
	} else {
		fprintf(f, "fixes (each a simulated boot that succeeds, smallest change first):\n");
		for (unsigned int i = 0; i < r->nr_fixes; i++) {
			const struct doctor_fix *x = &r->fixes[i];

			fprintf(f, "  %u. %s\n", i + 1, x->change);
			fprintf(f, "     kernel %s: %s\n", x->kernel,
				*x->kernel_cmdline ? x->kernel_cmdline : "(empty command line)");
			if (x->xen_cmdline)
				fprintf(f, "     Xen%s%s: %s\n", x->xen[0] ? " " : "", x->xen,
					x->xen_cmdline);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* A string or null: a NULL @s is JSON null, not a failure. */
static int put_str(struct json_object *o, const char *key, const char *s)
{
	if (!s)
		return json_object_object_add(o, key, NULL) < 0 ? -1 : 0;
	return json_put(o, key, json_object_new_string(s));
}

struct json_object *doctor_to_json(const struct doctor_report *r)
{
	struct json_object *o = json_object_new_object(), *diffs, *fixes;

	if (!o)
		return NULL;
	if (put_str(o, "boot", r->fails ? "fails" : "ok") < 0 ||
	    put_str(o, "stage", r->fails ? stage_name(r->stage) : NULL) < 0 ||
	    put_str(o, "cause", r->cause) < 0 ||
	    json_put(o, "reproduced", json_object_new_boolean(r->reproduced)) < 0)
		goto fail;
	diffs = json_object_new_array();
	if (json_put(o, "differences", diffs) < 0)
		goto fail;
	for (size_t i = 0; i < r->nr_rows; i++) {
		const struct doctor_row *row = &r->rows[i];
		struct json_object *d;

		if (row->agree)
			continue;
		d = json_object_new_object();
		if (json_push(diffs, d) < 0 || put_str(d, "what", row->what) < 0 ||
		    put_str(d, "log", row->log) < 0 || put_str(d, "model", row->model) < 0)
			goto fail;
	}
	fixes = json_object_new_array();
	if (json_put(o, "fixes", fixes) < 0)
		goto fail;
	for (unsigned int i = 0; i < r->nr_fixes; i++) {
		const struct doctor_fix *x = &r->fixes[i];
		struct json_object *j = json_object_new_object();

		if (json_push(fixes, j) < 0 || put_str(j, "change", x->change) < 0 ||
		    put_str(j, "xen", x->xen[0] ? x->xen : NULL) < 0 ||
		    put_str(j, "kernel", x->kernel) < 0 ||
		    put_str(j, "xen_cmdline", x->xen_cmdline) < 0 ||
		    put_str(j, "kernel_cmdline", x->kernel_cmdline) < 0 ||
		    put_str(j, "boot", "ok") < 0)
			goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}
