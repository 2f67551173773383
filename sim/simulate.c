/* SPDX-License-Identifier: MIT */
/*
 * sim/simulate.c - one whole simulation: read the map, work out the
 * domain's pages as Xen does, build the domain on the in-memory Xen, run
 * the kernel model, and describe the result as JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "debugfs-dump/dump.h"
#include "setup/kernlog.h"
#include "sim/sim.h"
#include "xen/dom0-mem.h"
#include "xen/machine-map.h"
#include "xen/xenlog.h"
#include "util/json.h"
#include "util/page.h"

#define SYSFS_MEMMAP "/sys/firmware/memmap"

/* --- built-in examples ------------------------------------------------------------ */

struct example {
	const char *name, *what;
	const char *kernel;
	bool domu;
	const char *dom0_mem;
	uint64_t nr_pages, max_pages; /* 0: from dom0_mem */
	const char *map;	      /* plain table: START +SIZE TYPE */
};

static const struct example examples[] = {
	{ "seed",
	  "the 1-1 series' example (doc/behaviours.md#the-seed-map-s): RAM to 1029 MiB, ACPI, "
	  "a gap, reserved 1200-1300 MiB, RAM from 2001 MiB; dom0, dom0_mem=max:3G,1G",
	  "2.6.39", false, "max:3G,1G", 0x40000, 0xC0000,
	  "0x0 +1029M usable\n"
	  "1029M +1M ACPI data\n"
	  "1200M +100M reserved\n"
	  "2001M +303M usable\n" },
	{ "pc-2G",
	  "QEMU pc with 2 GiB under Xen 4.17 (the lab's baseline), "
	  "dom0_mem=512M,max:512M",
	  "6.1", false, "512M,max:512M", 0, 0,
	  "0x0000000000000000-0x000000000009fbff usable\n"
	  "0x000000000009fc00-0x000000000009ffff reserved\n"
	  "0x00000000000f0000-0x00000000000fffff reserved\n"
	  "0x0000000000100000-0x000000007ffdffff usable\n"
	  "0x000000007ffe0000-0x000000007fffffff reserved\n"
	  "0x00000000fec00000-0x00000000fec00fff reserved\n"
	  "0x00000000fee00000-0x00000000feefffff reserved\n"
	  "0x00000000fffc0000-0x00000000ffffffff reserved\n"
	  "0x000000fd00000000-0x000000ffffffffff reserved\n" },
	{ "pc-5G", "QEMU pc with 5 GiB (PCI hole below 4 GiB), dom0_mem=4G,max:4G", "6.1", false,
	  "4G,max:4G", 0, 0,
	  "0x0000000000000000-0x000000000009fbff usable\n"
	  "0x000000000009fc00-0x000000000009ffff reserved\n"
	  "0x00000000000f0000-0x00000000000fffff reserved\n"
	  "0x0000000000100000-0x00000000bffdffff usable\n"
	  "0x00000000bffe0000-0x00000000bfffffff reserved\n"
	  "0x00000000fec00000-0x00000000fec00fff reserved\n"
	  "0x00000000fee00000-0x00000000feefffff reserved\n"
	  "0x00000000fffc0000-0x00000000ffffffff reserved\n"
	  "0x0000000100000000-0x000000017fffffff usable\n"
	  "0x000000fd00000000-0x000000ffffffffff reserved\n" },
	{ "domu-2G", "a PV domU with a 2 GiB map and 1 GiB of pages (doc/behaviours.md#domu-2g)",
	  "6.1", true, NULL, 0x40000, 0, "0x0 +2G usable\n" },
};

const struct simulation_example *simulation_examples(size_t *nr)
{
	static struct simulation_example list[sizeof(examples) / sizeof(examples[0])];

	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		list[i] = (struct simulation_example){ examples[i].name, examples[i].what };
	*nr = sizeof(examples) / sizeof(examples[0]);
	return list;
}

static const struct example *find_example(const char *name)
{
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		if (!strcmp(examples[i].name, name))
			return &examples[i];
	return NULL;
}

void simulation_options_init(struct simulation_options *o)
{
	memset(o, 0, sizeof(*o));
	kernel_config_init(&o->kconfig);
	o->arch = P2M_ARCH_X86_64;
}

static void note(struct simulation *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct simulation *sim, const char *fmt, ...)
{
	va_list ap;

	if (sim->nr_notes == sizeof(sim->notes) / sizeof(sim->notes[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(sim->notes[sim->nr_notes++], sizeof(sim->notes[0]), fmt, ap);
	va_end(ap);
}

/* --- the map ------------------------------------------------------------------------- */

static int take_map(struct simulation *sim, struct e820_doc *doc, unsigned int index,
		    struct p2msim_err *err)
{
	const struct e820_map *m;

	if (doc->nr_maps == 0)
		return p2msim_err_set(err, -EINVAL, "%s: no memory map found", sim->source);
	if (index >= doc->nr_maps)
		return p2msim_err_set(err, -EINVAL,
				      "%s: --map %u, but the file has %zu map(s) "
				      "(0 to %zu)",
				      sim->source, index, doc->nr_maps, doc->nr_maps - 1);
	m = &doc->maps[index];
	if (m->table.nr == 0)
		return p2msim_err_set(err, -EINVAL, "%s:%u: the map is empty", sim->source,
				      m->header_line);
	return e820_table_copy(&sim->machine, &m->table) < 0 ?
		       p2msim_err_set(err, -ENOMEM, "out of memory") :
		       0;
}

/* x86-64 physical addresses have at most 52 bits (4 PiB); firmware cannot
 * describe memory above, and a map that does is a typo, not a machine. */
#define PHYS_ADDR_BITS 52

static int check_phys_limit(const struct simulation *sim, struct p2msim_err *err)
{
	const uint64_t limit = 1ULL << PHYS_ADDR_BITS;

	for (size_t i = 0; i < sim->machine.nr; i++) {
		const struct e820_entry *e = &sim->machine.entries[i];
		char name[48];

		if (e->addr < limit && e->size <= limit - e->addr)
			continue;
		e820_type_name_buf(e->type, E820_NAME_LINUX, name, sizeof(name));
		if (e->line)
			return p2msim_err_set(err, -EINVAL,
					      "%s:%u: %s at 0x%llx +0x%llx ends beyond "
					      "the %d-bit physical address space of x86-64 "
					      "(0x%llx): no machine has memory there",
					      sim->source, e->line, name,
					      (unsigned long long)e->addr,
					      (unsigned long long)e->size, PHYS_ADDR_BITS,
					      (unsigned long long)limit);
		return p2msim_err_set(err, -EINVAL,
				      "%s: %s at 0x%llx +0x%llx ends beyond the %d-bit "
				      "physical address space of x86-64 (0x%llx): no machine has "
				      "memory there",
				      sim->source, name, (unsigned long long)e->addr,
				      (unsigned long long)e->size, PHYS_ADDR_BITS,
				      (unsigned long long)limit);
	}
	return 0;
}

static int read_map(const struct simulation_options *o, const struct example *ex,
		    const struct xenlog *xlog, struct simulation *sim, bool *no_map,
		    struct p2msim_err *err)
{
	struct e820_doc doc = { 0 };
	struct stat st;
	int rc;

	*no_map = false;
	if (o->e820_path && !strcmp(o->e820_path, "none")) {
		*no_map = true;
		sim->source = strdup("no memory map");
		return sim->source ? 0 : p2msim_err_set(err, -ENOMEM, "out of memory");
	}
	if (o->e820_path) {
		sim->source = strdup(o->e820_path);
		rc = e820_parse_file(o->e820_path, &doc, err);
	} else if (xlog && o->map_set) {
		return p2msim_err_set(err, -EINVAL,
				      "--map selects a map of --e820 FILE; with "
				      "--xen-log alone the map is Xen's last RAM map of %s",
				      xlog->name);
	} else if (xlog && xlog->e820.nr) {
		unsigned int added = 0;

		/* What XENMEM_machine_memory_map returns: Xen's map plus the
		 * MMIO ranges Xen keeps from dom0 (xen/machine-map.c). */
		sim->source = strdup(xlog->name);
		rc = xenlog_machine_map(xlog, &sim->machine, &added, err);
		if (rc == 0)
			note(sim, "machine map: Xen's \"%s\" and %u range(s) Xen keeps from dom0%s",
			     xlog->e820_header ? xlog->e820_header : "RAM map", added,
			     xlog->platform.nr_ioapics ? "" : " (the log names no IO-APIC)");
		if (!sim->source)
			rc = p2msim_err_set(err, -ENOMEM, "out of memory");
		return rc;
	} else if (ex) {
		sim->source = strdup(ex->name);
		rc = e820_parse_buffer(ex->name, ex->map, strlen(ex->map), &doc, err);
	} else if (stat(SYSFS_MEMMAP, &st) == 0 && e820_parse_file(SYSFS_MEMMAP, &doc, NULL) == 0 &&
		   doc.nr_maps) {
		sim->source = strdup(SYSFS_MEMMAP);
		note(sim, "input: this machine's %s", SYSFS_MEMMAP);
		rc = 0;
	} else {
		e820_doc_free(&doc);
		memset(&doc, 0, sizeof(doc));
		ex = find_example("seed");
		sim->example = ex->name;
		sim->source = strdup(ex->name);
		note(sim, "input: %s is not readable, using the built-in seed example",
		     SYSFS_MEMMAP);
		rc = e820_parse_buffer(ex->name, ex->map, strlen(ex->map), &doc, err);
	}
	if (!sim->source)
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = take_map(sim, &doc, o->map_index, err);
	for (size_t i = 0; rc == 0 && i < doc.nr_warnings; i++)
		note(sim, "warning: %s", doc.warnings[i]);
	e820_doc_free(&doc);
	return rc;
}

/* --- pages --------------------------------------------------------------------------- */

#define XEN_MAX_DOMAIN_PAGES 0xffffffffULL /* unsigned int in struct domain */

static int dom0_pages(const struct simulation_options *o, const struct example *ex,
		      const struct xenlog *xlog, struct simulation *sim, struct p2msim_err *err)
{
	struct dom0_mem dm;
	struct e820_table xen_map;
	uint64_t mem_limit = 0, availmem = 0;
	const char *spec = o->dom0_mem ? o->dom0_mem : NULL;
	int rc;

	if (o->nr_pages) {
		sim->nr_pages = o->nr_pages;
		sim->max_pages = o->max_pages ? o->max_pages : 0xffffffffULL;
		return 0;
	}
	dom0_mem_init(&dm);
	if (o->xen_cmdline && (rc = dom0_mem_from_xen_cmdline(o->xen_cmdline, &dm, err)) < 0)
		return rc;
	if (!o->xen_cmdline && !spec && xlog && xlog->dom0_mem.seen)
		dm = xlog->dom0_mem;
	/* What Xen actually gave dom0 beats any estimate of its rules. */
	if (!spec && xlog && xenlog_dom0_nr_pages(xlog, &sim->nr_pages) == 0) {
		uint64_t nr = sim->nr_pages, max = 0xffffffffULL;

		if (dm.max.set && dom0_mem_compute(&dm, &sim->machine, &nr, &max, NULL) == 0 &&
		    max == UINT64_MAX)
			max = 0xffffffffULL;
		sim->max_pages = o->max_pages ? o->max_pages : dm.max.set ? max : 0xffffffffULL;
		note(sim, "nr_pages from Xen's \"Dom0 alloc.\" line");
		return 0;
	}
	if (!spec && !dm.seen && ex && ex->nr_pages) {
		sim->nr_pages = ex->nr_pages;
		sim->max_pages = o->max_pages ? o->max_pages : ex->max_pages;
		return 0;
	}
	if (!spec && !dm.seen && ex)
		spec = ex->dom0_mem;
	if (spec && (rc = dom0_mem_apply(&dm, spec, err)) < 0)
		return rc;
	/* Xen's own mem=/availmem= shrink what it can give dom0, not the
	 * machine map dom0 reads. */
	e820_table_init(&xen_map);
	if (e820_table_copy(&xen_map, &sim->machine) < 0)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	if (o->xen_cmdline) {
		xen_cmdline_mem_limits(o->xen_cmdline, &mem_limit, &availmem);
	} else if (xlog) {
		/* the log's own Xen command line */
		mem_limit = xlog->xen_mem_limit;
		availmem = xlog->xen_availmem;
	}
	rc = 0;
	if (mem_limit || availmem)
		rc = xen_clip_mem(&xen_map, mem_limit, availmem, NULL, err);
	if (rc == 0)
		rc = dom0_mem_compute(&dm, &xen_map, &sim->nr_pages, &sim->max_pages, err);
	e820_table_free(&xen_map);
	if (rc < 0)
		return rc;
	if (o->max_pages)
		sim->max_pages = o->max_pages;
	/* Xen keeps "no max:" as UINT_MAX pages, which dom0 reads back. */
	if (sim->max_pages == UINT64_MAX)
		sim->max_pages = 0xffffffffULL;
	if (!dm.avail_pages)
		note(sim, "dom0_mem: Xen's free memory estimated as all E820 RAM");
	return 0;
}

static int domu_pages(const struct simulation_options *o, const struct example *ex,
		      struct simulation *sim, bool no_map, struct p2msim_err *err)
{
	uint64_t ram = no_map ? 0 : PFN_DOWN(e820_total(&sim->machine, E820_TYPE_RAM));

	sim->nr_pages = o->nr_pages ? o->nr_pages : ex && ex->nr_pages ? ex->nr_pages : ram;
	if (!sim->nr_pages)
		return p2msim_err_set(err, -EINVAL, "a domU without a memory map needs --nr-pages");
	sim->max_pages = o->max_pages	     ? o->max_pages :
			 ex && ex->max_pages ? ex->max_pages :
			 ram > sim->nr_pages ? ram :
					       sim->nr_pages;
	return 0;
}

static uint64_t range_pages(const struct xenlog_range *r)
{
	return r->end > r->start ? PFN_UP(r->end - r->start) : 0;
}

/* A failure that depends on an assumed input says so: "...; assumed: X". */
static void name_assumption(struct p2msim_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void name_assumption(struct p2msim_err *err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!err)
		return;
	n = strlen(err->msg);
	if (n + 12 >= sizeof(err->msg))
		return;
	memcpy(err->msg + n, "; assumed: ", 12);
	n += 11;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
}

/* Xen's VIRTUAL MEMORY ARRANGEMENT in guest pfns: the kernel is mapped
 * from __START_KERNEL_map. */
#define START_KERNEL_MAP 0xffffffff80000000ULL

static bool va_pfns(const struct xenlog_range *r, uint64_t *s, uint64_t *e)
{
	if (!r->set || r->start < START_KERNEL_MAP || r->end < r->start)
		return false;
	*s = PFN_DOWN(r->start - START_KERNEL_MAP);
	*e = PFN_UP(r->end - START_KERNEL_MAP);
	return true;
}

static bool layout_from_log(const struct xenlog *xlog, struct setup_layout *lay)
{
	memset(lay, 0, sizeof(*lay));
	if (!va_pfns(&xlog->v_kernel, &lay->kernel_start, &lay->kernel_end) ||
	    !va_pfns(&xlog->v_start_info, &lay->start_info, &lay->start_info_end) ||
	    !va_pfns(&xlog->v_page_tables, &lay->pt_start, &lay->pt_end))
		return false;
	lay->known = true;
	if (va_pfns(&xlog->v_initrd, &lay->initrd_start, &lay->initrd_end)) {
		/* mapped: Xen prints its start and start + length */
		lay->initrd_bytes = xlog->v_initrd.end - xlog->v_initrd.start;
	} else if (xlog->initrd.set) {
		/* Xen 4.17 leaves the initrd unmapped; Linux finds it at pfn
		 * 0x8000 in every lab boot. */
		lay->initrd_start = 0x8000;
		lay->initrd_end = 0x8000 + PFN_UP(xlog->initrd.end - xlog->initrd.start);
		lay->initrd_bytes = xlog->initrd.end - xlog->initrd.start;
	}
	return true;
}

/* An initrd of @pages where Xen 4.17 hands an unmapped one over: after
 * the first chunk (pfn 0x8000 in every lab boot); none when it cannot fit. */
static void place_initrd(struct setup_layout *lay, uint64_t pages, uint64_t nr_pages)
{
	lay->initrd_start = pages && 0x8000 + pages <= nr_pages ? 0x8000 : 0;
	lay->initrd_end = lay->initrd_start ? 0x8000 + pages : 0;
}

/*
 * Where Xen put the kernel, its start info and page tables, and the
 * initrd: the caller's layout, else Xen's VIRTUAL MEMORY ARRANGEMENT, else
 * --dom0-kernel / "Dom0 kernel:" and --dom0-initrd / "Init. ramdisk:" with
 * what follows them as Xen 4.17 lays it out, else a Debian boot of the
 * kernel (setup_layout_default()).  What is assumed is named in
 * sim->kernel_assumed / initrd_assumed for a failure to cite.
 */
static void choose_layout(const struct simulation_options *o, const struct xenlog *xlog,
			  struct simulation *sim)
{
	struct setup_layout *lay = &sim->layout;
	const struct xenlog_range *k = o->dom0_kernel.set	      ? &o->dom0_kernel :
				       xlog && xlog->kernel_paddr.set ? &xlog->kernel_paddr :
									NULL;
	const struct xenlog_range *i = o->dom0_initrd.set	? &o->dom0_initrd :
				       xlog && xlog->initrd.set ? &xlog->initrd :
								  NULL;
	const char *why = xlog ? "Xen's log has no" : "no Xen log";

	if (o->layout.known) {
		*lay = o->layout;
		return;
	}
	if (xlog && layout_from_log(xlog, lay)) {
		note(sim, "boot layout from Xen's log%s",
		     o->dom0_kernel.set || o->dom0_initrd.set || o->dom0_no_initrd ?
			     ", but the kernel or initrd as given" :
			     "");
		if (o->dom0_kernel.set) {
			lay->kernel_start = o->dom0_kernel.start >> 12;
			lay->kernel_end = (o->dom0_kernel.end + 0xfff) >> 12;
		}
		if (o->dom0_no_initrd || o->dom0_initrd.set)
			place_initrd(lay, o->dom0_no_initrd ? 0 : range_pages(&o->dom0_initrd),
				     sim->nr_pages);
		return;
	}
	setup_layout_default(lay, &sim->model, sim->nr_pages);
	if (k)
		setup_layout_place_kernel(lay, &sim->model, k->start >> 12, (k->end + 0xfff) >> 12);
	else
		snprintf(
			sim->kernel_assumed, sizeof(sim->kernel_assumed),
			"Xen placed the kernel at paddr %#llx->%#llx (%s%s; --dom0-kernel sets it)",
			(unsigned long long)lay->kernel_start << 12,
			(unsigned long long)lay->kernel_end << 12, why,
			xlog ? " 'Dom0 kernel:' line" : "");
	if (o->dom0_no_initrd || i)
		place_initrd(lay, o->dom0_no_initrd ? 0 : range_pages(i), sim->nr_pages);
	else if (lay->initrd_end)
		snprintf(sim->initrd_assumed, sizeof(sim->initrd_assumed),
			 "Xen handed over a %llu MiB initrd, found at pfn %#llx (%s%s; "
			 "--dom0-initrd sets it)",
			 (unsigned long long)(lay->initrd_end - lay->initrd_start) >> 8,
			 (unsigned long long)lay->initrd_start, why,
			 xlog ? " 'Init. ramdisk:' line" : "");
	note(sim,
	     "boot layout: kernel pfn %#llx-%#llx (%s), page tables %#llx-%#llx, initrd "
	     "%#llx-%#llx (%s)",
	     (unsigned long long)lay->kernel_start, (unsigned long long)lay->kernel_end,
	     o->dom0_kernel.set ? "--dom0-kernel" :
	     k			? "Xen's 'Dom0 kernel:' line" :
	     xlog		? "assumed: the log has no VIRTUAL MEMORY ARRANGEMENT" :
				  "assumed: no Xen log",
	     (unsigned long long)lay->pt_start, (unsigned long long)lay->pt_end,
	     (unsigned long long)lay->initrd_start, (unsigned long long)lay->initrd_end,
	     o->dom0_no_initrd || o->dom0_initrd.set ? "--dom0-initrd" :
	     i					     ? "Xen's 'Init. ramdisk:' line" :
						       "assumed");
	sim->res.layout_assumed = sim->kernel_assumed[0] || sim->initrd_assumed[0];
}

/* A kernel stop at what Xen placed names the placement it assumed. */
static void name_layout_assumption(const struct simulation *sim, struct p2msim_err *err)
{
	const char *what = sim->res.stop.what;

	if (sim->kernel_assumed[0] &&
	    (!strcmp(what, "kernel") || !strcmp(what, "page table") ||
	     !strcmp(what, "xen_start_info") || !strcmp(what, "nvs-swap")))
		name_assumption(err, "%s", sim->kernel_assumed);
	else if (sim->initrd_assumed[0] && !strcmp(what, "initrd"))
		name_assumption(err, "%s", sim->initrd_assumed);
}

/* libxl e820_host=1: the guest's map is the host's, RAM cut to its
 * memory with the rest at 4 GiB (xen_libxl_e820_host). */
static int apply_e820_host(struct simulation *sim, bool no_map, struct p2msim_err *err)
{
	struct xen_libxl_e820_opts lo = {
		.target_kb = sim->nr_pages * 4,
		.max_kb = sim->max_pages * 4,
		.slack_kb = 0,
		.era = XEN_LIBXL_E820_MODERN,
	};
	struct e820_table guest;
	int rc;

	if (sim->dom0 || no_map)
		return p2msim_err_set(err, -EINVAL, "--e820-host needs --domu and the host's map");
	e820_table_init(&guest);
	rc = xen_libxl_e820_host(&sim->machine, &lo, &guest, err);
	if (rc == 0) {
		e820_table_free(&sim->machine);
		sim->machine = guest;
		note(sim, "domU map: libxl e820_host of %s", sim->source);
	} else {
		e820_table_free(&guest);
	}
	return rc;
}

/* --- the hypervisor and the domain ------------------------------------------------------ */

/* What libxl writes for a new domU and `xl mem-set` reads back (dom0's
 * are made on the first mem-set): static-max and target in KiB. */
static int domu_xenstore(struct simulation *sim, struct p2msim_err *err)
{
	static const char *const leaf[] = { "static-max", "target" };
	uint64_t pages[] = { sim->max_pages, sim->nr_pages };

	for (size_t i = 0; i < 2; i++) {
		char path[64], value[32];
		int rc;

		snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", sim->domid, leaf[i]);
		snprintf(value, sizeof(value), "%llu", (unsigned long long)pages[i] * 4);
		rc = hv_xs_write(sim->hv, path, value, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int build(struct simulation *sim, bool no_map, struct hv_extent **mfn_ext, size_t *nr_ext,
		 struct p2msim_err *err)
{
	struct hv_sim_config cfg = { 0 };
	struct e820_table synthetic;
	int rc;

	e820_table_init(&synthetic);
	if (sim->dom0) {
		cfg.machine = &sim->machine;
	} else {
		/* A host with room for the domain and then some. */
		uint64_t pages = sim->nr_pages + (sim->nr_pages >> 2) + 65536;

		if (e820_add(&synthetic, 1ULL << 20, PFN_PHYS(pages), E820_TYPE_RAM) < 0) {
			rc = p2msim_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		cfg.machine = &synthetic;
	}
	rc = hv_sim_open(&sim->hv, &cfg, err);
	if (rc < 0)
		goto out;
	sim->domid = sim->dom0 ? 0 : 1;
	rc = hv_sim_build_domain_extents(sim->hv, sim->domid, sim->nr_pages, sim->max_pages,
					 sim->arch == P2M_ARCH_X86_64 ? 8 : 4, mfn_ext, nr_ext,
					 err);
	/* say what did not fit, not only where it ran out */
	if (rc == -ENOMEM && hv_sim_out_of_memory(sim->hv) && err)
		p2msim_err_prefix(err,
				  "a %s of %llu pages (%llu GiB) does not fit in the memory "
				  "this process may use",
				  sim->dom0 ? "dom0" : "domU", (unsigned long long)sim->nr_pages,
				  (unsigned long long)((sim->nr_pages + (1ULL << 18) - 1) >> 18));
	if (rc == 0 && !sim->dom0 && !no_map)
		rc = hv_set_memory_map(sim->hv, sim->domid, &sim->machine, err);
	if (rc == 0 && !sim->dom0)
		rc = domu_xenstore(sim, err);
out:
	e820_table_free(&synthetic);
	return rc;
}

/* --- Xen's own stops ------------------------------------------------------------------- */

#define DOM0_CHUNK_ORDER 15	    /* a Debian kernel's v_end - v_start: 128 MiB */
#define ASSUMED_INITRD_PAGES 0x2000 /* as setup_layout_default() assumes */

static unsigned int order_of(uint64_t pages)
{
	unsigned int order = 0;

	while (order < 63 && (1ULL << order) < pages)
		order++;
	return order;
}

/*
 * The PV dom0 builder's checks before and while it allocates (pv/
 * dom0_build.c): the first chunk, of the order of the kernel's virtual
 * footprint, plus an initrd handed over in place must fit in nr_pages
 * ("Domain 0 allocation is too small for kernel image"); the chunk must
 * be found ("Not enough RAM for domain 0 allocation"); then the rest
 * ("Not enough RAM for DOM0 reservation").  Xen panics with these words.
 */
static int xen_panic(const struct simulation *sim, struct p2msim_err *err, const char *words)
{
	return p2msim_err_set(err, -EFAULT, "Xen %s would stop here: Panic on CPU 0: %s",
			      sim->xen.version, words);
}

static int dom0_too_small(const struct simulation_options *o, const struct simulation *sim,
			  const struct xenlog *xlog, struct p2msim_err *err)
{
	uint64_t chunk = 1ULL << DOM0_CHUNK_ORDER, initrd = ASSUMED_INITRD_PAGES;
	bool assumed = false;
	int rc;

	if (!sim->dom0 || !xen_has(&sim->xen, XB_PANIC_WORDS))
		return 0;
	if (xlog && xlog->alloc.set && xlog->alloc.end > xlog->alloc.start)
		chunk = 1ULL << order_of(PFN_DOWN(xlog->alloc.end - xlog->alloc.start));
	else if (xlog && xlog->v_total.set && xlog->v_total.end > xlog->v_total.start)
		chunk = 1ULL << order_of(PFN_UP(xlog->v_total.end - xlog->v_total.start));
	else if (!sim->model.build_known)
		return 0; /* the image's size is not known */
	if (o->dom0_no_initrd)
		initrd = 0;
	else if (o->dom0_initrd.set)
		initrd = range_pages(&o->dom0_initrd);
	else if (xlog && xlog->initrd.set)
		initrd = range_pages(&xlog->initrd);
	else if (xlog)
		initrd = 0;
	else
		assumed = true;
	if (chunk + initrd <= sim->nr_pages)
		return 0;
	rc = xen_panic(sim, err, "Domain 0 allocation is too small for kernel image");
	if (assumed && chunk <= sim->nr_pages)
		name_assumption(err,
				"Xen handed over a %llu MiB initrd (no Xen log; --dom0-initrd "
				"sets it)",
				(unsigned long long)(initrd >> 8));
	return rc;
}

/* A dom0 build that ran out of Xen's free memory, in Xen's words. */
static int dom0_build_failed(const struct simulation *sim, int rc, struct p2msim_err *err)
{
	const char *p;
	unsigned long long allocated;

	if (rc != -ENOMEM || !sim->dom0 || !xen_has(&sim->xen, XB_PANIC_WORDS) || !err ||
	    !strstr(err->msg, "not enough RAM") || !(p = strstr(err->msg, "(")) ||
	    sscanf(p, "(%llu allocated)", &allocated) != 1)
		return rc;
	return xen_panic(sim, err,
			 allocated ? "Not enough RAM for DOM0 reservation" :
				     "Not enough RAM for domain 0 allocation");
}

/* --- the boot log -------------------------------------------------------------------- */

/* The byte offset of physical line @line (1-based) of @buf. */
static size_t line_offset(const char *buf, size_t len, unsigned int line)
{
	size_t off = 0;

	for (unsigned int l = 1; l < line && off < len; off++)
		if (buf[off] == '\n')
			l++;
	return off;
}

#define MAX_BOOTS 64

/* The boot to read of a log holding @nr: the last complete one (Xen's map
 * and dom0 built or a panic), else the last; said in a note. */
static size_t pick_boot(struct simulation *sim, const char *name, const struct xenlog_boot *boots,
			size_t nr)
{
	size_t pick;

	for (pick = nr; pick-- > 0;)
		if (boots[pick].has_map && boots[pick].has_dom0_or_panic)
			break;
	if (pick >= nr)
		pick = nr - 1;
	note(sim, "%s holds %zu%s Xen boots; the last complete one, from line %u, is used", name,
	     nr, nr == MAX_BOOTS ? " or more" : "", boots[pick].first_line);
	return pick;
}

/*
 * Read a boot log: Xen's half (xen/xenlog.h) and the dom0's (setup/
 * kernlog.h), of the last complete boot when the file holds several (a
 * serial console kept across reboots, two pastes in one mail), as if the
 * lines before it were blank and the file ended after it, so FILE:LINE
 * stays right.  A regular file is read as a stream, three times (its
 * boots, then that boot's Xen and dom0 lines), keeping only those lines'
 * facts and its maps: a serial capture of several GiB; standard input is
 * read whole.
 */
static int read_boot_log(const struct simulation_options *o, struct simulation *sim,
			 struct xenlog *xlog, struct kernlog *klog, struct p2msim_err *err)
{
	const char *path = o->xen_log_path, *name = strcmp(path, "-") ? path : "<stdin>";
	struct xenlog_boot *boots = calloc(MAX_BOOTS, sizeof(*boots));
	unsigned int first = 0, end = 0;
	char *buf = NULL;
	size_t len = 0, nr = 0, pick;
	struct stat st;
	bool stream = strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int rc;

	if (!boots)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	if (stream) {
		rc = xenlog_boots_file(path, boots, MAX_BOOTS, &nr, err);
	} else {
		rc = xenlog_read_file(path, &buf, &len, err);
		if (rc == 0)
			rc = xenlog_boots(name, buf, len, boots, MAX_BOOTS, &nr, err);
	}
	if (rc == 0 && nr > 1) {
		pick = pick_boot(sim, name, boots, nr);
		first = boots[pick].first_line;
		end = pick + 1 < nr ? boots[pick + 1].first_line : 0;
		sim->log_first_line = first;
		sim->log_end_line = end;
		if (!stream) {
			size_t start = line_offset(buf, len, first);

			for (size_t i = 0; i < start; i++)
				if (buf[i] != '\n')
					buf[i] = ' ';
			if (end)
				len = line_offset(buf, len, end);
		}
	}
	if (rc == 0)
		rc = stream ? xenlog_parse_file_window(path, first, end, xlog, err) :
			      xenlog_parse_buffer(name, buf, len, xlog, err);
	if (rc == 0) {
		rc = stream ? kernlog_parse_file_window(path, first, end, klog, err) :
			      kernlog_parse_buffer(name, buf, len, klog, err);
		if (rc < 0)
			xenlog_free(xlog);
	}
	free(buf);
	free(boots);
	return rc;
}

/* Xen's version: given, the log's, or XEN_DEFAULT_VERSION; it decides the
 * machine map built from Xen's log (xen/machine-map.c). */
static int xen_from(const struct simulation_options *o, struct xenlog *xlog, struct simulation *sim,
		    struct p2msim_err *err)
{
	const char *v = o->xen			  ? o->xen :
			xlog && xlog->xen_version ? xlog->xen_version :
						    XEN_DEFAULT_VERSION;
	int rc = xen_model_init(&sim->xen, v, o->xen ? err : NULL);

	if (rc < 0 && o->xen)
		return rc;
	if (rc < 0) {
		note(sim,
		     "Xen version '%s' of the log is not one p2msim knows: Xen %s's rules used", v,
		     XEN_DEFAULT_VERSION);
		rc = xen_model_init(&sim->xen, XEN_DEFAULT_VERSION, err);
		if (rc < 0)
			return rc;
	}
	if (sim->xen.warning[0])
		note(sim, "%s", sim->xen.warning);
	if (xlog && o->xen)
		(void)xen_platform_set_version(&xlog->platform, o->xen);
	return 0;
}

int simulation_run(const struct simulation_options *o, struct simulation *sim,
		   struct p2msim_err *err)
{
	const struct example *ex = NULL;
	struct setup_input in = { 0 };
	struct xenlog xlog;
	struct kernlog klog;
	const char *kernel, *cmdline;
	bool have_log = false;
	struct hv_extent *mfn_ext = NULL;
	size_t nr_ext = 0;
	bool no_map = false;
	int rc;

	memset(sim, 0, sizeof(*sim));
	e820_table_init(&sim->machine);
	setup_result_init(&sim->res);
	/* Xen keeps a domain's tot_pages and max_pages in 32 bits */
	if (o->nr_pages > XEN_MAX_DOMAIN_PAGES || o->max_pages > XEN_MAX_DOMAIN_PAGES)
		return p2msim_err_set(
			err, -EINVAL,
			"%s %#" PRIx64 " is more than a Xen domain can hold (%#llx pages)",
			o->nr_pages > XEN_MAX_DOMAIN_PAGES ? "nr_pages" : "max_pages",
			o->nr_pages > XEN_MAX_DOMAIN_PAGES ? o->nr_pages : o->max_pages,
			XEN_MAX_DOMAIN_PAGES);
	if (o->example && !(ex = find_example(o->example)))
		return p2msim_err_set(err, -EINVAL, "unknown example '%s' (see --example list)",
				      o->example);
	sim->example = ex ? ex->name : NULL;
	if (o->xen_log_path) {
		rc = read_boot_log(o, sim, &xlog, &klog, err);
		if (rc < 0)
			return rc;
		have_log = true;
	}
	kernel = o->kernel ? o->kernel : ex ? ex->kernel : KERNEL_DEFAULT_VERSION;
	if (!o->kernel && have_log && klog.version_line) {
		kernel = klog.version_line;
		note(sim, "kernel from the dom0's \"Linux version\" line (%s:%u)", xlog.name,
		     klog.version_lineno);
	} else if (!o->kernel && have_log && !ex) {
		note(sim, "kernel %s assumed: the log has no dom0 \"Linux version\" line", kernel);
	}
	cmdline = o->cmdline;
	if (!cmdline && have_log && klog.cmdline) {
		cmdline = klog.cmdline;
		note(sim, "kernel command line from the dom0's \"Command line\" line (%s:%u)",
		     xlog.name, klog.cmdline_lineno);
	}
	rc = kernel_model_init(&sim->model, kernel, &o->kconfig, err);
	if (rc == 0 && sim->model.note[0])
		note(sim, "%s", sim->model.note);
	if (rc == 0 && sim->model.warning[0])
		note(sim, "%s", sim->model.warning);
	if (rc == 0)
		rc = xen_from(o, have_log ? &xlog : NULL, sim, err);
	if (rc < 0)
		goto out;
	if (have_log && xlog.dom0_type == XENLOG_DOM0_PVH)
		note(sim, "the log's dom0 is PVH; simulated as a PV dom0 on Xen's machine map");
	rc = read_map(o, ex, have_log ? &xlog : NULL, sim, &no_map, err);
	if (rc == 0)
		rc = check_phys_limit(sim, err);
	if (rc < 0)
		goto out;
	if (!ex && sim->example)
		ex = find_example(sim->example);
	sim->dom0 = o->domu_set ? !o->domu : !(ex && ex->domu);
	sim->arch = o->arch;
	if (!sim->dom0 && (o->dom0_kernel.set || o->dom0_initrd.set || o->dom0_no_initrd)) {
		rc = p2msim_err_set(err, -EINVAL,
				    "--dom0-kernel and --dom0-initrd describe a dom0, "
				    "not a domU");
		goto out;
	}
	if (sim->dom0 && no_map) {
		rc = p2msim_err_set(err, -EINVAL,
				    "dom0 always has a machine memory map "
				    "(--e820 none is for a domU)");
		goto out;
	}
	rc = sim->dom0 ? dom0_pages(o, ex, have_log ? &xlog : NULL, sim, err) :
			 domu_pages(o, ex, sim, no_map, err);
	if (rc == 0 && o->e820_host)
		rc = apply_e820_host(sim, no_map, err);
	if (rc < 0)
		goto out;
	rc = dom0_too_small(o, sim, have_log ? &xlog : NULL, err);
	if (rc == 0)
		rc = build(sim, no_map, &mfn_ext, &nr_ext, err);
	if (rc < 0) {
		rc = dom0_build_failed(sim, rc, err);
		goto out;
	}
	choose_layout(o, have_log ? &xlog : NULL, sim);
	in.model = &sim->model;
	in.dom0 = sim->dom0;
	in.arch = sim->arch;
	in.domid = sim->domid;
	in.nr_pages = sim->nr_pages;
	in.mfn_ext = mfn_ext;
	in.nr_mfn_ext = nr_ext;
	in.cmdline = cmdline;
	in.layout = sim->layout;
	rc = setup_run(&in, sim->hv, &sim->res, err);
	if (rc == -EFAULT && sim->res.crashed)
		name_layout_assumption(sim, err);
	if (sim->res.ini_nr_pages && sim->res.ini_nr_pages < sim->nr_pages) {
		/* xen_memory_setup() takes min(limit, nr_pages): the rest of
		 * what Xen gave stays the domain's, out of its P2M, with the
		 * M2P names the builder wrote */
		note(sim,
		     "kernel %s uses %#llx of the domain's %#llx pages (%s): the rest stay "
		     "its own, out of its P2M, the M2P naming them by pfns %#llx-%#llx",
		     sim->model.release, (unsigned long long)sim->res.ini_nr_pages,
		     (unsigned long long)sim->nr_pages,
		     sim->model.family != KERNEL_FAMILY_LINEAR ? "MAX_DOMAIN_PAGES" :
		     sim->dom0				       ? "MAXMEM" :
								 "the 512 GiB limit",
		     (unsigned long long)sim->res.ini_nr_pages,
		     (unsigned long long)sim->nr_pages - 1);
		(void)hv_sim_allow_m2p_alias(sim->hv, sim->domid, sim->res.ini_nr_pages,
					     sim->nr_pages);
	}
out:
	free(mfn_ext);
	if (have_log) {
		xenlog_free(&xlog);
		kernlog_free(&klog);
	}
	return rc;
}

void simulation_refresh(struct simulation *sim)
{
	struct hv_p2m_info info;

	if (sim->hv && hv_p2m_info(sim->hv, sim->domid, &info, NULL) == 0 && info.max_pfn)
		sim->res.max_pfn = info.max_pfn;
}

void simulation_free(struct simulation *sim)
{
	setup_result_free(&sim->res);
	hv_close(sim->hv);
	e820_table_free(&sim->machine);
	free(sim->source);
	memset(sim, 0, sizeof(*sim));
}

/* --- JSON ------------------------------------------------------------------------------- */

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return json_put(o, key, json_object_new_uint64(v));
}

static struct json_object *range(uint64_t start, uint64_t end, const char *type)
{
	struct json_object *o = json_object_new_object();

	if (!o || add_u64(o, "start", start) < 0 || add_u64(o, "end", end) < 0 ||
	    (type && json_put(o, "type", json_object_new_string(type)) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *runs_json(const struct simulation *sim)
{
	struct dump_runs runs;
	struct json_object *a = NULL;

	dump_runs_init(&runs);
	if (!sim->res.p2m)
		a = json_object_new_array();
	else if (dump_runs_from_p2m(&runs, sim->res.p2m, 0, sim->res.p2m_size, NULL) == 0)
		(void)dump_runs_to_json(&runs, &a, NULL);
	dump_runs_free(&runs);
	return a;
}

static struct json_object *tree_json(const struct simulation *sim)
{
	struct json_object *o = json_object_new_object();
	struct p2m_stats st = { 0 };

	if (!o)
		return NULL;
	if (sim->res.p2m)
		p2m_get_stats(sim->res.p2m, &st);
	if (add_u64(o, "top", st.top) < 0 || add_u64(o, "mid", st.mid) < 0 ||
	    add_u64(o, "leaf", st.leaf) < 0 || add_u64(o, "shared", st.shared) < 0 ||
	    add_u64(o, "private", st.private_pages + st.mirror) < 0 ||
	    add_u64(o, "brk", st.brk_used) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *simulation_to_json(const struct simulation *sim)
{
	const struct setup_result *res = &sim->res;
	struct json_object *o = json_object_new_object(), *a, *log;

	if (!o)
		return NULL;
	if (json_put(o, "kernel", json_object_new_string(sim->model.release)) < 0 ||
	    json_put(o, "domain", json_object_new_string(sim->dom0 ? "dom0" : "domU")) < 0 ||
	    add_u64(o, "nr_pages", sim->nr_pages) < 0 ||
	    add_u64(o, "max_pages", sim->max_pages) < 0 ||
	    json_put(o, "e820", e820_table_to_json(&res->e820)) < 0 ||
	    add_u64(o, "released", res->released) < 0 ||
	    add_u64(o, "remapped", res->remapped) < 0 ||
	    add_u64(o, "identity_set", res->identity_set) < 0 ||
	    add_u64(o, "p2m_size", res->p2m_size) < 0 || add_u64(o, "max_pfn", res->max_pfn) < 0 ||
	    json_put(o, "runs", runs_json(sim)) < 0)
		goto fail;
	a = json_object_new_array();
	if (json_put(o, "extra", a) < 0)
		goto fail;
	for (unsigned int i = 0; i < res->nr_extra; i++)
		if (res->extra[i].n &&
		    json_push(a, range(res->extra[i].start, res->extra[i].start + res->extra[i].n,
				       NULL)) < 0)
			goto fail;
	if (json_put(o, "tree", tree_json(sim)) < 0)
		goto fail;
	log = json_object_new_array();
	if (json_put(o, "log", log) < 0)
		goto fail;
	for (size_t i = 0; i < res->nr_log; i++)
		if (json_push(log, json_object_new_string(res->log[i])) < 0)
			goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int simulation_balloon_new(struct balloon **out, struct simulation *sim,
			   void (*log)(void *ctx, const char *line), void *log_ctx,
			   struct p2msim_err *err)
{
	return balloon_new_for_boot(out, &sim->model, &sim->res, sim->hv, sim->domid, log, log_ctx,
				    err);
}

void simulation_print_e820(FILE *f, const struct simulation *sim)
{
	setup_print_e820(f, &sim->model, &sim->res.e820, "Xen");
	if (sim->res.user.userdef) {
		fprintf(f, "user-defined physical RAM map:\n");
		setup_print_e820(f, &sim->model, &sim->res.user_e820, "user");
	}
}

int simulation_print_dump(FILE *f, const struct simulation *sim, struct p2msim_err *err)
{
	if (!sim->res.p2m)
		return 0;
	if (kernel_has(&sim->model, KB_TREE_P2M))
		return dump_write_old(f, sim->res.p2m, sim->res.p2m_size, err);
	return dump_write_modern(f, sim->res.p2m, sim->res.p2m_size, err);
}
