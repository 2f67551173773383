/* SPDX-License-Identifier: MIT */
/*
 * doctor/explain.c - the cause of a failed boot in the machine's terms:
 * the check that stopped it (a row of the kernel's behaviour table, with
 * the version and commit that brought it), the pfns it looked at, the E820
 * entry or hole in the way and the option that put it there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doctor/doctor-internal.h"

const struct kernel_behaviour_row *doctor_behaviour(enum kernel_behaviour b)
{
	size_t nr;
	const struct kernel_behaviour_row *rows = kernel_behaviours(&nr);

	for (size_t i = 0; i < nr; i++)
		if (rows[i].id == b)
			return &rows[i];
	return NULL;
}

/* "the kernel-conflict-bug check (since 4.3: 808fdb71936c ...)" */
static void behaviour_text(enum kernel_behaviour b, char *buf, size_t len)
{
	const struct kernel_behaviour_row *row = doctor_behaviour(b);

	if (!row) {
		snprintf(buf, len, "a check p2msim's table does not name");
		return;
	}
	snprintf(buf, len, "%s, in kernels since %s (%s)", row->name, row->since, row->source);
}

/* The first "NAME=..." token of a command line, as written. */
static void option_text(const char *cmdline, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	*buf = '\0';
	for (const char *p = cmdline; p && *p;) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (w > n && !strncmp(p, name, n)) {
			snprintf(buf, len, "%.*s", (int)w, p);
			return;
		}
		p += w;
	}
}

static void entry_text(const struct setup_stop *st, char *buf, size_t len)
{
	char name[32];

	if (!st->have_entry) {
		snprintf(buf, len, "a hole of the E820 map (no entry covers pfn %#" PRIx64 ")",
			 st->bad_pfn);
		return;
	}
	snprintf(buf, len, "E820 entry [mem %#018" PRIx64 "-%#018" PRIx64 "] %s", st->entry.addr,
		 st->entry.addr + st->entry.size - 1,
		 e820_type_name_buf(st->entry.type, E820_NAME_LINUX, name, sizeof(name)));
}

static void explain_conflict(struct doctor_report *r, const struct setup_stop *st)
{
	const struct kernel_model *km = &r->sim.model;
	const struct kernel_behaviour_row *swap = doctor_behaviour(KB_NVS_SWAP);
	char check[DOCTOR_TEXT_MAX * 2], entry[160], hint[400] = "";

	behaviour_text(st->check, check, sizeof(check));
	entry_text(st, entry, sizeof(entry));
	if (st->have_entry && st->entry.type == E820_TYPE_NVS && !kernel_has(km, KB_NVS_SWAP) &&
	    swap)
		snprintf(hint, sizeof(hint),
			 " Kernels since %s move a conflicting ACPI NVS range "
			 "out of the way instead (%s).",
			 swap->since, swap->source);
	snprintf(r->cause, sizeof(r->cause),
		 "the %s memory Xen's domain builder placed at pfns %#" PRIx64 "-%#" PRIx64
		 " is not all RAM in the dom0's E820: pfn %#" PRIx64 " lies in %s. Kernel %s "
		 "checks this and stops: %s.%s",
		 st->what, st->start, st->end - 1, st->bad_pfn, entry, km->release, check, hint);
}

static void explain_remap(struct doctor_report *r, const struct setup_stop *st)
{
	const struct setup_result *res = &r->sim.res;
	char check[DOCTOR_TEXT_MAX * 2], why[160], opt[80];

	behaviour_text(KB_REMAP, check, sizeof(check));
	option_text(r->kernel_cmdline, "mem=", opt, sizeof(opt));
	if (opt[0])
		snprintf(why, sizeof(why), "'%s' on the kernel command line", opt);
	else if (res->user.userdef)
		snprintf(why, sizeof(why), "the memmap= map of the kernel command line");
	else
		snprintf(why, sizeof(why), "the end of the kernel's E820 RAM");
	snprintf(r->cause, sizeof(r->cause),
		 "xen_remap_memory moves the RAM frames under the holes and non-RAM entries below "
		 "nr_pages (%#" PRIx64 ") to pfns %#" PRIx64 "-%#" PRIx64 ", but the kernel maps "
		 "pfns only below %#" PRIx64 " (%s), so pfn %#" PRIx64 " has no kernel mapping "
		 "and kernel %s BUGs: %s.",
		 res->ini_nr_pages, st->start, st->end - 1, st->limit_pfn, why, st->bad_pfn,
		 r->sim.model.release, check);
}

static void explain_stop(struct doctor_report *r)
{
	const struct setup_stop *st = &r->sim.res.stop;
	char check[DOCTOR_TEXT_MAX * 2], entry[160];
	const char *words = r->model.failure, *assumed = "";

	behaviour_text(st->check, check, sizeof(check));
	if (!strcmp(st->what, "kernel") || !strcmp(st->what, "page table") ||
	    !strcmp(st->what, "xen_start_info")) {
		explain_conflict(r, st);
	} else if (!strcmp(st->what, "remap")) {
		explain_remap(r, st);
	} else if (!strcmp(st->what, "initrd")) {
		entry_text(st, entry, sizeof(entry));
		snprintf(r->cause, sizeof(r->cause),
			 "the initrd at pfns %#" PRIx64 "-%#" PRIx64 " is not in RAM of the dom0's "
			 "E820 (pfn %#" PRIx64 " lies in %s) and no RAM entry has room to move it "
			 "to: %s.",
			 st->start, st->end - 1, st->bad_pfn, entry, check);
	} else if (!strcmp(st->what, "nvs-swap")) {
		snprintf(
			r->cause, sizeof(r->cause),
			"the ACPI NVS range at pfns %#" PRIx64 "-%#" PRIx64 " conflicts with what "
			"Xen placed, and no RAM entry above the domain's memory can take its place: "
			"%s.",
			st->start, st->end - 1, check);
	} else if (!strcmp(st->what, "brk")) {
		snprintf(r->cause, sizeof(r->cause),
			 "the three-level P2M of kernel %s takes its pages from the brk "
			 "reservation, and the identity ranges of this map use it up: %s.",
			 r->sim.model.release, check);
	} else {
		snprintf(r->cause, sizeof(r->cause), "kernel %s stops: %s", r->sim.model.release,
			 words[0] ? words : "(no words)");
	}
	/* a stop at what Xen placed, where the log does not say where */
	if (!strcmp(st->what, "initrd"))
		assumed = r->sim.initrd_assumed;
	else if (strcmp(st->what, "remap") && strcmp(st->what, "brk"))
		assumed = r->sim.kernel_assumed;
	if (assumed[0]) {
		size_t n = strlen(r->cause);

		snprintf(r->cause + n, sizeof(r->cause) - n, " Assumed: %s.", assumed);
	}
}

/*
 * A firmware map longer than Xen takes.  Xen's real-mode BIOS path keeps
 * the first 127 E820 entries and drops the rest; with no-real-mode it takes
 * the boot loader's whole map, and with about 150 entries its boot
 * allocator's region list overflows.  Xen 4.17 dies both ways before dom0
 * exists (the lab: 140 single-page GRUB holes, 147 entries: FATAL PAGE
 * FAULT on the map cut at 127; Xen BUG at common/page_alloc.c:286 in
 * bootmem_region_add with all 147).  None of the options searched acts
 * before that, so none is tried.
 */
#define XEN_E820_KEPT 127

static void explain_long_map(struct doctor_report *r)
{
	const struct doctor_outcome *l = &r->log;
	bool cut = r->xen_map_entries == XEN_E820_KEPT;

	snprintf(r->cause, sizeof(r->cause),
		 "Xen stopped before it built dom0 ('%s', line %u) on a memory map of %s%u "
		 "entries (its \"%s\"): more than Xen takes. %s Xen dies on such a map before "
		 "dom0 exists (seen with Xen 4.17: 147 firmware entries cut to 127, FATAL PAGE "
		 "FAULT; with no-real-mode all 147 taken, Xen BUG at common/page_alloc.c:286 in "
		 "bootmem_region_add). The simulation does not model this stop of Xen's own "
		 "setup.",
		 l->failure, l->failure_line, cut ? "at least " : "", r->xen_map_entries,
		 r->xen_map_header,
		 cut ? "Xen's real-mode BIOS path keeps the first 127 E820 entries and drops "
		       "the rest, so Xen set up on a cut map." :
		       "Xen took the boot loader's whole map (no-real-mode or EFI), and its boot "
		       "allocator's list of RAM regions has no room for so many.");
	snprintf(
		r->no_fix_why, sizeof(r->no_fix_why),
		"the map is the firmware's (each GRUB cutmem or badram hole in RAM adds an entry), "
		"and Xen stops before it applies any of these options; what boots is a map of "
		"fewer entries (fewer holes: at most about 120 were seen to boot)");
}

/* " as Xen's mem=64M leaves it": Xen's own limits on the RAM it uses. */
static void xen_limit_text(const char *cmdline, char *buf, size_t len)
{
	char a[64] = "", b[64] = "";

	option_text(cmdline, "mem=", a, sizeof(a));
	option_text(cmdline, "availmem=", b, sizeof(b));
	if (a[0] || b[0])
		snprintf(buf, len, " as Xen's own %s%s%s leaves it", a, a[0] && b[0] ? " and " : "",
			 b);
}

int doctor_explain(struct doctor_report *r, struct p2msim_err *err)
{
	const struct doctor_outcome *l = &r->log;

	(void)err;
	r->cause[0] = '\0';
	if (!r->fails)
		return 0;
	if (r->sim.res.crashed) {
		explain_stop(r);
		if (l->stage == DOCTOR_STAGE_NONE)
			doctor_note(r, "the log does not show the boot stopping; the simulation "
				       "predicts it does");
		return 0;
	}
	if (r->model.stage == DOCTOR_STAGE_XEN) {
		char limit[DOCTOR_TEXT_MAX / 2] = "";

		xen_limit_text(r->xen_cmdline, limit, sizeof(limit));
		snprintf(r->cause, sizeof(r->cause),
			 "Xen %s's dom0 builder cannot give dom0 its pages (nr_pages %#" PRIx64
			 ", max_pages %#" PRIx64 ") from this machine's RAM%s and panics: '%s' "
			 "(dom0-build-panics, in Xen since 4.0; see --xen list)",
			 r->sim.xen.version, r->sim.nr_pages, r->sim.max_pages, limit,
			 r->model.failure);
		return 0;
	}
	if (r->sim_rc < 0 && r->sim_rc != -EFAULT) {
		snprintf(r->cause, sizeof(r->cause), "%s", r->sim_error);
		return 0;
	}
	if (l->stage == DOCTOR_STAGE_XEN && r->xen_map_entries >= XEN_E820_KEPT) {
		explain_long_map(r);
		return 0;
	}
	/* the log stopped, the simulation did not: say so, name no cause */
	if (l->stage == DOCTOR_STAGE_XEN)
		snprintf(r->cause, sizeof(r->cause),
			 "Xen stopped before it built dom0 ('%s', line %u); the simulation of this "
			 "machine does not: p2msim does not model this stop of Xen's own setup",
			 l->failure, l->failure_line);
	else
		snprintf(r->cause, sizeof(r->cause),
			 "the dom0 stopped ('%s', line %u); the simulation of its memory setup "
			 "boots: the stop is outside what p2msim models (not the P2M or the E820)",
			 l->failure, l->failure_line);
	return 0;
}
