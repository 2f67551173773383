/* SPDX-License-Identifier: MIT */
/*
 * doctor/doctor.c - reproduce a logged boot, compare each outcome line
 * with the simulation's, name the cause of a failure in the machine's
 * terms, and search the options a user controls for the smallest changes
 * under which the simulated boot succeeds.
 *
 * The log's inputs drive the simulation exactly as `simulate --xen-log`
 * reads them; its outcome lines (doctor/outcome.c) are only compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor/doctor-internal.h"
#include "setup/kernlog.h"
#include "xen/xenlog.h"

void doctor_options_init(struct doctor_options *o)
{
	memset(o, 0, sizeof(*o));
	kernel_config_init(&o->kconfig);
}

void doctor_note(struct doctor_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nr_notes == DOCTOR_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nr_notes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

static int oom(struct p2msim_err *err)
{
	return p2msim_err_set(err, -ENOMEM, "out of memory");
}

/* --- the input ------------------------------------------------------------------------- */

/* stdin is read once; the simulations read the log again from a copy. */
static int spool(const char *buf, size_t len, char *path, size_t size, struct p2msim_err *err)
{
	const char *tmp = getenv("TMPDIR");
	int fd;
	size_t done = 0;

	snprintf(path, size, "%s/p2msim-doctor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n <= 0) {
			close(fd);
			unlink(path);
			return p2msim_err_set(err, -EIO, "%s: cannot write a copy of stdin", path);
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

/* What kind of log this is, as one-line errors. */
static int check_log(const char *name, const struct doctor_outcome *out, unsigned int last_line,
		     bool have_map_file, struct p2msim_err *err)
{
	if (out->hvm)
		return p2msim_err_set(err, -EINVAL,
				      "%s:%u: the log of a Linux HVM guest "
				      "('Hypervisor detected: Xen HVM'): an HVM guest has no P2M; "
				      "doctor reads PV dom0 boots",
				      name, out->hvm_line);
	if (!out->nr_xen_lines) {
		if (!out->nr_kernel_lines)
			return p2msim_err_set(err, -EINVAL,
					      "%s: no boot in it: no Xen line ('(XEN) "
					      "...') and no dom0 kernel line in %u line(s)",
					      name, out->nr_lines);
		if (!have_map_file)
			return p2msim_err_set(err, -EINVAL,
					      "%s: only the dom0's half of a boot (%u "
					      "kernel line(s), no '(XEN)' line): Xen's memory map "
					      "is needed (add xl dmesg, or give --e820)",
					      name, out->nr_kernel_lines);
		return 0;
	}
	if (out->pvh)
		return p2msim_err_set(err, -EINVAL,
				      "%s:%u: a PVH dom0 ('*** Building a PVH Dom0 "
				      "***'): it has no P2M to set up; doctor reads PV dom0 boots",
				      name, out->pvh_line);
	if (!out->last_xen_map_line && !have_map_file)
		return p2msim_err_set(err, -EINVAL,
				      "%s: the log is cut before Xen printed its "
				      "memory map (%u Xen line(s), the last input line is %u)",
				      name, out->nr_xen_lines, last_line);
	return 0;
}

/* --- the agreement table --------------------------------------------------------------- */

int doctor_add_row(struct doctor_report *r, const char *what, const char *log, const char *model,
		   unsigned int line, bool agree)
{
	struct doctor_row *row;

	if (r->nr_rows == r->alloc_rows) {
		size_t n = r->alloc_rows ? r->alloc_rows * 2 : 16;
		struct doctor_row *p = realloc(r->rows, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->rows = p;
		r->alloc_rows = n;
	}
	row = &r->rows[r->nr_rows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->what, sizeof(row->what), "%s", what);
	snprintf(row->log, sizeof(row->log), "%s", log);
	snprintf(row->model, sizeof(row->model), "%s", model);
	row->line = line;
	row->agree = agree;
	if (!agree)
		r->nr_differences++;
	return 0;
}

static void entry_text(const struct e820_table *t, size_t i, char *buf, size_t len)
{
	char name[32];

	if (i >= t->nr) {
		snprintf(buf, len, "(no such line)");
		return;
	}
	snprintf(buf, len, "[mem %#018" PRIx64 "-%#018" PRIx64 "] %s", t->entries[i].addr,
		 t->entries[i].addr + t->entries[i].size - 1,
		 e820_type_name_buf(t->entries[i].type, E820_NAME_LINUX, name, sizeof(name)));
}

static bool entry_same(const struct e820_entry *a, const struct e820_entry *b)
{
	/* E820_NAME_LINUX prints type 128 as its own name, 6.1 as usable */
	return a->addr == b->addr && a->size == b->size &&
	       (a->type == b->type ||
		(a->type == E820_TYPE_RAM && b->type == E820_TYPE_RESERVED_KERN) ||
		(b->type == E820_TYPE_RAM && a->type == E820_TYPE_RESERVED_KERN));
}

static int compare_e820(struct doctor_report *r, const char *who, const struct e820_table *log,
			const struct e820_table *model)
{
	char a[DOCTOR_TEXT_MAX], b[DOCTOR_TEXT_MAX], what[48];
	size_t n = log->nr > model->nr ? log->nr : model->nr, diff = 0;
	int rc;

	if (!log->nr)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i < log->nr && i < model->nr &&
		    entry_same(&log->entries[i], &model->entries[i]))
			continue;
		entry_text(log, i, a, sizeof(a));
		entry_text(model, i, b, sizeof(b));
		snprintf(what, sizeof(what), "%s: E820 line %zu", who, i + 1);
		rc = doctor_add_row(r, what, a, b, i < log->nr ? log->entries[i].line : 0, false);
		if (rc < 0)
			return rc;
		diff++;
	}
	if (diff)
		return 0;
	snprintf(a, sizeof(a), "%zu lines", log->nr);
	snprintf(b, sizeof(b), "%zu lines, the same", model->nr);
	snprintf(what, sizeof(what), "%s: [mem ...] lines", who);
	return doctor_add_row(r, what, a, b, log->entries[0].line, true);
}

static int compare_count(struct doctor_report *r, const char *what, const char *fmt,
			 const struct doctor_count *log, const struct doctor_count *model)
{
	char a[64], b[64];

	if (!log->set)
		return 0;
	snprintf(a, sizeof(a), fmt, (unsigned long long)log->value);
	if (model->set)
		snprintf(b, sizeof(b), fmt, (unsigned long long)model->value);
	else
		snprintf(b, sizeof(b), "not printed");
	return doctor_add_row(r, what, a, b, log->line, model->set && model->value == log->value);
}

static int compare(struct doctor_report *r)
{
	const struct doctor_outcome *l = &r->log, *m = &r->model;
	char a[DOCTOR_TEXT_MAX], b[DOCTOR_TEXT_MAX];
	int rc;

	if ((rc = compare_e820(r, "Xen", &l->e820, &m->e820)) < 0 ||
	    (rc = compare_e820(r, "user", &l->user_e820, &m->user_e820)) < 0 ||
	    (rc = compare_count(r, "Released", "%llu page(s)", &l->released, &m->released)) < 0 ||
	    (rc = compare_count(r, "Set 1-1", "%llu page(s)", &l->identity, &m->identity)) < 0 ||
	    (rc = compare_count(r, "p2m area", "size %llx", &l->p2m_area, &m->p2m_area)) < 0 ||
	    (rc = compare_count(r, "Remapped", "%llu page(s)", &l->remapped, &m->remapped)) < 0 ||
	    (rc = compare_count(r, "Remapped non-RAM", "%llu page(s)", &l->nonram, &m->nonram)) < 0)
		return rc;
	if (l->initrd_moved) {
		snprintf(a, sizeof(a),
			 "[mem %#010" PRIx64 "-%#010" PRIx64 "] to [mem %#010" PRIx64
			 "-%#010" PRIx64 "]",
			 l->initrd_from, l->initrd_from_end, l->initrd_to, l->initrd_to_end);
		if (m->initrd_moved)
			snprintf(b, sizeof(b),
				 "[mem %#010" PRIx64 "-%#010" PRIx64 "] to [mem %#010" PRIx64
				 "-%#010" PRIx64 "]",
				 m->initrd_from, m->initrd_from_end, m->initrd_to,
				 m->initrd_to_end);
		else
			snprintf(b, sizeof(b), "not moved");
		if ((rc = doctor_add_row(r, "initrd moved", a, b, l->initrd_line, !strcmp(a, b))) <
		    0)
			return rc;
	}
	if (l->stage != DOCTOR_STAGE_NONE || m->stage != DOCTOR_STAGE_NONE ||
	    (r->sim_rc < 0 && r->sim_rc != -EFAULT)) {
		const char *model_words = m->stage != DOCTOR_STAGE_NONE ? m->failure :
					  r->sim_rc < 0 && r->sim_rc != -EFAULT ?
									  r->sim_error :
									  "none: the boot goes on";
		bool agree;

		snprintf(a, sizeof(a), "%s",
			 l->stage != DOCTOR_STAGE_NONE ? l->failure :
			 l->remapped.set	       ? "none: the boot went on" :
							 "none printed");
		agree = l->stage != DOCTOR_STAGE_NONE ?
				strstr(model_words, l->failure) != NULL :
				m->stage == DOCTOR_STAGE_NONE &&
					!(r->sim_rc < 0 && r->sim_rc != -EFAULT);
		/* a log that simply ends says nothing against a stop */
		if (l->stage == DOCTOR_STAGE_NONE && !l->remapped.set)
			agree = true;
		if ((rc = doctor_add_row(r, "stop", a, model_words, l->failure_line, agree)) < 0)
			return rc;
	}
	return 0;
}

/* --- the run ----------------------------------------------------------------------------- */

void doctor_simulation_options(const struct doctor_options *o, const char *log_path,
			       struct simulation_options *so)
{
	simulation_options_init(so);
	so->xen_log_path = log_path;
	so->e820_path = o->e820_path;
	so->kernel = o->kernel;
	so->xen = o->xen;
	so->cmdline = o->cmdline;
	so->xen_cmdline = o->xen_cmdline;
	so->kconfig = o->kconfig;
	so->dom0_kernel = o->dom0_kernel;
	so->dom0_initrd = o->dom0_initrd;
	so->dom0_no_initrd = o->dom0_no_initrd;
}

void doctor_sim_options(const struct doctor_report *r, const struct doctor_options *o,
			const char *log_path, struct simulation_options *so)
{
	/* the boot as reproduced: its kernel, Xen and kernel command line */
	doctor_simulation_options(o, log_path, so);
	so->kernel = r->kernel;
	so->cmdline = r->kernel_cmdline;
	so->xen_cmdline = NULL;
	so->xen = r->xen[0] ? r->xen : NULL;
}

static int verdict(struct doctor_report *r)
{
	if (r->log.stage != DOCTOR_STAGE_NONE) {
		r->fails = true;
		r->stage = r->log.stage;
	} else if (r->model.stage != DOCTOR_STAGE_NONE) {
		r->fails = true;
		r->stage = r->model.stage;
	}
	r->reproduced = r->nr_differences == 0 && r->nr_rows > 0;
	return 0;
}

/* The outcome lines of a regular file, read as a stream, and the number
 * of its newlines (its last line, as an error names it). */
static int outcome_of_file(const char *path, struct doctor_outcome *o, unsigned int *last_line,
			   struct p2msim_err *err)
{
	char chunk[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY), rc;

	*last_line = 0;
	if (fd < 0)
		return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
				      strerror(errno));
	rc = doctor_outcome_parse_fd(path, fd, o, err);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
			for (ssize_t i = 0; i < n; i++)
				*last_line += chunk[i] == '\n';
	}
	close(fd);
	return rc;
}

/* The command lines of the boot, for the cause and the fixes: the kernel's
 * from its half of the log (setup/kernlog.h), Xen's from Xen's. */
static int command_lines(struct doctor_report *r, const struct doctor_options *o,
			 const char *log_path, const struct xenlog *xl, struct p2msim_err *err)
{
	unsigned int first = r->sim.log_first_line, end = r->sim.log_end_line;
	struct kernlog kl;
	int rc = 0;

	if (o->cmdline) {
		r->kernel_cmdline = strdup(o->cmdline);
	} else if ((rc = kernlog_parse_file_window(log_path, first, end, &kl, err)) == 0) {
		r->kernel_cmdline = strdup(kl.cmdline ? kl.cmdline : "");
		kernlog_free(&kl);
	}
	if (rc < 0)
		return rc;
	if (o->xen_cmdline) {
		r->xen_cmdline = strdup(o->xen_cmdline);
	} else if (r->log.nr_xen_lines && xl) {
		if (xl->cmdline)
			r->xen_cmdline = strdup(xl->cmdline);
		if (!r->xen_cmdline)
			r->xen_cmdline = strdup("");
	}
	if (!r->kernel_cmdline || (r->log.nr_xen_lines && !r->xen_cmdline))
		return oom(err);
	return 0;
}

/* Xen's RAM map as printed: its header and size (a map Xen cut or could
 * not take explains a stop the simulation does not model). */
static void xen_map(struct doctor_report *r, const struct xenlog *xl)
{
	const char *h = xl->e820_header ? xl->e820_header : "RAM map";

	r->xen_map_entries = (unsigned int)xl->e820.nr;
	snprintf(r->xen_map_header, sizeof(r->xen_map_header), "%.*s", (int)strcspn(h, ":"), h);
}

/* What a failed boot's cause and fixes need of the log: Xen's half read
 * once (its map's size, its command line) and the kernel's command line. */
static int failed_boot_inputs(struct doctor_report *r, const struct doctor_options *o,
			      const char *log_path, struct p2msim_err *err)
{
	struct xenlog xl;
	bool have_xl;
	int rc;

	memset(&xl, 0, sizeof(xl));
	have_xl = xenlog_parse_file_window(log_path, r->sim.log_first_line, r->sim.log_end_line,
					   &xl, NULL) == 0;
	if (have_xl)
		xen_map(r, &xl);
	rc = command_lines(r, o, log_path, have_xl ? &xl : NULL, err);
	xenlog_free(&xl);
	return rc;
}

int doctor_run(const char *path, const struct doctor_options *o, struct doctor_report *r,
	       struct p2msim_err *err)
{
	struct simulation_options so;
	struct p2msim_err e = { 0 };
	char spooled[4096] = "", *buf = NULL;
	const char *log_path = path, *name = strcmp(path, "-") ? path : "<stdin>";
	size_t len = 0;
	unsigned int last_line;
	struct stat st;
	bool stream = strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int rc;

	memset(r, 0, sizeof(*r));
	doctor_outcome_init(&r->log);
	doctor_outcome_init(&r->model);
	r->name = strdup(name);
	if (!r->name)
		return oom(err);
	if (stream) {
		/* a regular file is read as a stream: captures of several GiB */
		rc = outcome_of_file(path, &r->log, &last_line, err);
	} else {
		rc = xenlog_read_file(path, &buf, &len, err);
		if (rc < 0)
			return rc;
		last_line = 0;
		for (size_t i = 0; i < len; i++)
			last_line += buf[i] == '\n';
		rc = doctor_outcome_parse(name, buf, len, &r->log, err);
	}
	if (rc == 0)
		rc = check_log(name, &r->log, last_line, o->e820_path != NULL, err);
	if (rc < 0)
		goto out;
	if (!strcmp(path, "-")) {
		rc = spool(buf, len, spooled, sizeof(spooled), err);
		if (rc < 0)
			goto out;
		log_path = spooled;
	}

	/* reproduce: the log's inputs as `simulate --xen-log` reads them */
	doctor_simulation_options(o, log_path, &so);
	r->sim_rc = simulation_run(&so, &r->sim, &e);
	r->sim_ran = true;
	snprintf(r->kernel, sizeof(r->kernel), "%s",
		 r->sim.model.release[0] ? r->sim.model.release :
		 o->kernel		 ? o->kernel :
					   KERNEL_DEFAULT_VERSION);
	if (r->sim.xen.version[0])
		snprintf(r->xen, sizeof(r->xen), "%u.%u", r->sim.xen.major, r->sim.xen.minor);
	for (unsigned int i = 0; i < r->sim.nr_notes; i++)
		doctor_note(r, "%s", r->sim.notes[i]);
	if (r->sim_rc < 0 && r->sim_rc != -EFAULT) {
		snprintf(r->sim_error, sizeof(r->sim_error), "%s", e.msg);
		/* a simulation that cannot run at all on a boot the log says
		 * went fine is bad input, not a verdict */
		if (r->log.stage == DOCTOR_STAGE_NONE) {
			if (err)
				*err = e;
			rc = r->sim_rc;
			goto out;
		}
	}
	rc = doctor_outcome_from_lines(r->sim.res.log, r->sim.res.nr_log, &r->model, err);
	/* Xen's own stop (its dom0 builder's panics): no kernel ran */
	if (rc == 0 && r->sim_rc == -EFAULT && !r->sim.res.crashed) {
		const char *w = strstr(e.msg, "Panic on CPU 0: ");

		r->model.stage = DOCTOR_STAGE_XEN;
		snprintf(r->model.failure, sizeof(r->model.failure), "%.*s",
			 (int)sizeof(r->model.failure) - 1,
			 w ? w + strlen("Panic on CPU 0: ") : e.msg);
		snprintf(r->sim_error, sizeof(r->sim_error), "%s", e.msg);
	}
	if (rc == 0)
		rc = compare(r);
	if (rc == -ENOMEM)
		rc = oom(err);
	if (rc == 0)
		rc = verdict(r);
	/* the command lines and Xen's map size matter to the cause and the
	 * fixes only: a boot that came up is not read again */
	if (rc == 0 && r->fails)
		rc = failed_boot_inputs(r, o, log_path, err);
	if (rc == 0)
		rc = doctor_explain(r, err);
	if (rc == 0 && r->fails && !o->no_fixes)
		rc = doctor_search_fixes(r, o, log_path, err);
out:
	if (spooled[0])
		unlink(spooled);
	free(buf);
	return rc;
}

void doctor_report_free(struct doctor_report *r)
{
	free(r->name);
	free(r->kernel_cmdline);
	free(r->xen_cmdline);
	doctor_outcome_free(&r->log);
	doctor_outcome_free(&r->model);
	if (r->sim_ran)
		simulation_free(&r->sim);
	free(r->rows);
	for (unsigned int i = 0; i < r->nr_fixes; i++) {
		free(r->fixes[i].xen_cmdline);
		free(r->fixes[i].kernel_cmdline);
		free(r->fixes[i].dom0_mem);
	}
	memset(r, 0, sizeof(*r));
}
