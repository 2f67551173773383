/* SPDX-License-Identifier: MIT */
/*
 * doctor/why.c - why each run of a simulated P2M is what it is: for every
 * identity, remapped (RAM at or above nr_pages) and missing run, the rule
 * of the kernel's memory setup and the E820 entry or option behind it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "debugfs-dump/dump.h"
#include "doctor/doctor-internal.h"
#include "util/page.h"

/* The first non-RAM entry of @t overlapping pfns [s, e), or NULL; *gap
 * says whether some of the range is in no entry at all. */
static const struct e820_entry *nonram_in(const struct e820_table *t, uint64_t s, uint64_t e,
					  bool *gap)
{
	const struct e820_entry *best = NULL;
	uint64_t a = PFN_PHYS(s), b = PFN_PHYS(e), cur = a;

	for (size_t i = 0; i < t->nr; i++) {
		const struct e820_entry *x = &t->entries[i];

		if (x->type != E820_TYPE_RAM && x->addr < b && a < x->addr + x->size &&
		    (!best || x->addr < best->addr))
			best = x;
	}
	/* covered from a to b by entries of any type? */
	for (bool moved = true; moved && cur < b;) {
		moved = false;
		for (size_t i = 0; i < t->nr; i++)
			if (t->entries[i].addr <= cur &&
			    cur < t->entries[i].addr + t->entries[i].size) {
				cur = t->entries[i].addr + t->entries[i].size;
				moved = true;
			}
	}
	*gap = cur < b;
	return best;
}

static bool in_extra(const struct setup_result *res, uint64_t pfn)
{
	for (unsigned int i = 0; i < res->nr_extra; i++)
		if (res->extra[i].start <= pfn && pfn < res->extra[i].start + res->extra[i].n)
			return true;
	return false;
}

static void entry_text(const struct e820_entry *e, char *buf, size_t len)
{
	char name[32];

	snprintf(buf, len, "[mem %#018" PRIx64 "-%#018" PRIx64 "] %s", e->addr,
		 e->addr + e->size - 1,
		 e820_type_name_buf(e->type, E820_NAME_LINUX, name, sizeof(name)));
}

static void why_identity(const struct simulation *sim, const struct dump_run *run, char *buf,
			 size_t len)
{
	const struct setup_result *res = &sim->res;
	bool gap = false;
	const struct e820_entry *e = nonram_in(&sim->machine, run->start, run->end, &gap);
	const char *below =
		run->start >= res->ini_nr_pages ? "" :
		res->released			? "; the RAM frames under it were released" :
				"; the RAM frames under it were remapped above nr_pages";
	char ent[128];

	if (run->start >= res->p2m_size) {
		snprintf(buf, len, "beyond the P2M's end (%#" PRIx64 "): reads as identity",
			 res->p2m_size);
	} else if (e) {
		entry_text(e, ent, sizeof(ent));
		snprintf(buf, len,
			 "1-1 (rule identity-p2m): machine E820 entry %s%s: not RAM, "
			 "rounded out to whole pages%s",
			 ent, gap ? " and holes" : "", below);
	} else if (gap) {
		snprintf(buf, len, "1-1 (rule identity-p2m): a hole of the machine E820 map%s",
			 below);
	} else if (run->start >= res->kernel_max_pfn) {
		snprintf(buf, len,
			 "1-1 (rule identity-p2m): past the end of the kernel's E820 "
			 "RAM (pfn %#" PRIx64 ")",
			 res->kernel_max_pfn);
	} else {
		snprintf(buf, len,
			 "1-1: RAM in the machine map the kernel's setup treats as "
			 "non-RAM (iBFT area, a reserved range of its own)");
	}
}

int doctor_why(FILE *f, const struct simulation *sim, const char *cmdline, struct p2msim_err *err)
{
	const struct setup_result *res = &sim->res;
	struct dump_runs runs;
	int rc;

	if (!res->p2m)
		return p2msim_err_set(err, -EINVAL,
				      "no P2M to explain: the kernel stopped before "
				      "it built one");
	dump_runs_init(&runs);
	rc = dump_runs_from_p2m(&runs, res->p2m, 0, res->max_pfn ? res->max_pfn : res->p2m_size,
				err);
	if (rc < 0)
		return rc;
	fprintf(f, "why (over [0, max_pfn %#" PRIx64 "); nr_pages %#" PRIx64 "):\n", res->max_pfn,
		res->ini_nr_pages);
	for (size_t i = 0; i < runs.nr; i++) {
		const struct dump_run *run = &runs.runs[i];
		char why[400];

		switch (run->type) {
		case P2M_IDENTITY:
			why_identity(sim, run, why, sizeof(why));
			break;
		case P2M_MISSING:
			if (in_extra(res, run->start))
				snprintf(why, sizeof(why),
					 "missing: an extra (balloon) region, room "
					 "for max_pages %#" PRIx64 " above nr_pages",
					 res->max_pages);
			else if (run->start >= res->ini_nr_pages)
				snprintf(why, sizeof(why),
					 "missing: above nr_pages, never populated "
					 "(the remap targets end before it)");
			else
				snprintf(why, sizeof(why), "missing: released to Xen");
			break;
		case P2M_PFN:
			if (run->start < res->ini_nr_pages)
				continue; /* the domain's own RAM: no rule to name */
			snprintf(why, sizeof(why),
				 "remapped (rule remap): RAM frames that were "
				 "under holes and non-RAM below nr_pages %#" PRIx64 "%s",
				 res->ini_nr_pages,
				 cmdline && strstr(cmdline, "mem=") ?
					 "; the kernel's mem= limits what it maps" :
					 "");
			break;
		default:
			continue;
		}
		fprintf(f, "  [%#010" PRIx64 "-%#010" PRIx64 "] %10" PRIu64 " %-8s %s\n",
			run->start, run->end - 1, run->end - run->start, p2m_type_name(run->type),
			why);
	}
	dump_runs_free(&runs);
	return ferror(f) ? p2msim_err_set(err, -EIO, "write error") : 0;
}
