/* SPDX-License-Identifier: MIT */
/*
 * sim/sim.h - one whole simulation (doc/simulation.md): a machine map and
 * the Xen and kernel options in, a booted guest's P2M out.  Xen's side
 * (xen/: dom0_mem, the machine map, its boot log) decides the domain's
 * pages, the in-memory Xen (hv/) builds the domain, a kernel model
 * (setup/) runs its memory setup, and the balloon (balloon/) can follow.
 * The result is printed in that kernel's own formats, described as JSON,
 * or drawn.
 */
#ifndef P2MSIM_SIM_SIM_H
#define P2MSIM_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "balloon/balloon.h"
#include "e820/e820.h"
#include "hv/hv.h"
#include "p2m/p2m.h"
#include "setup/setup.h"
#include "util/err.h"
#include "xen/model.h"
#include "xen/xenlog.h"

/*
 * Everything between "a machine map and some options" and "a booted
 * guest's P2M": where the map comes from, how many pages the domain gets
 * (dom0_mem= as Xen computes it, or given), the in-memory Xen holding the
 * machine frames, the domain it builds, and the kernel model's run.
 */
struct simulation_options {
	const char *e820_path;	  /* NULL: this machine's /sys/firmware/memmap or
					 * the default example; "none": no memory map
					 * (a domU gets -ENOSYS) */
	unsigned int map_index;	  /* which map of a file with several (0: the first) */
	bool map_set;		  /* map_index was given (refused with a Xen log
					 * and no e820_path) */
	const char *example;	  /* a built-in example (simulation_examples()) */
	const char *xen_log_path; /* a boot log: Xen's lines give the map, dom0_mem,
					 * nr_pages, the layout and Xen's version; the
					 * dom0's "Linux version" and "Command line"
					 * lines the kernel and its command line (unless
					 * given); with several boots, the last complete */
	const char *kernel;	  /* NULL: the log's, the example's, else
					 * KERNEL_DEFAULT_VERSION */
	const char *xen;	  /* Xen's version: NULL: the log's, else
					 * XEN_DEFAULT_VERSION */
	struct kernel_config kconfig;
	bool domu;
	bool domu_set;	/* domu given on the command line */
	bool e820_host; /* domU: the map is the host's, made the domain's
					 * by libxl's e820_host (current libxl rules) */
	enum p2m_arch arch;
	const char *dom0_mem;	      /* Xen's dom0_mem= value */
	const char *xen_cmdline;      /* Xen's command line (dom0_mem=, mem=, availmem=) */
	const char *cmdline;	      /* the guest kernel's command line */
	uint64_t nr_pages, max_pages; /* 0: from dom0_mem / the map */
	struct setup_layout layout;   /* used when layout.known */
	/* Where Xen put dom0's kernel and initrd, as its "Dom0 kernel: ...
	 * paddr A -> B" and "Init. ramdisk: A->B" lines give them (bytes, end
	 * exclusive; the initrd's size is what counts): unset, the log's
	 * lines, else assumed per version (and a failure that depends on it
	 * says so).  dom0_no_initrd: Xen handed over none. */
	struct xenlog_range dom0_kernel, dom0_initrd;
	bool dom0_no_initrd;
};

void simulation_options_init(struct simulation_options *o);

struct simulation {
	struct kernel_model model;
	struct xen_model xen;
	char *source;		   /* where the map came from, for messages */
	const char *example;	   /* the example used, or NULL */
	struct e820_table machine; /* machine map (dom0) or the domain's map (domU) */
	bool dom0;
	enum p2m_arch arch;
	struct hv *hv;
	hv_domid_t domid;
	uint64_t nr_pages, max_pages;
	struct setup_layout layout;
	struct setup_result res;
	char notes[8][240]; /* assumptions the simulation made */
	unsigned int nr_notes;
	/* the kernel's and the initrd's placement when assumed ("" when
	 * given or read from the log), as a failure that depends on it
	 * names it: "Xen placed the kernel at paddr A->B (...)" */
	char kernel_assumed[200], initrd_assumed[200];
	/* the boot of the Xen log that was read: physical lines [first, end)
	 * (0, 0: the whole log), for readers of the same boot's other lines */
	unsigned int log_first_line, log_end_line;
};

struct simulation_example {
	const char *name;
	const char *what;
};
const struct simulation_example *simulation_examples(size_t *nr);

/* 0 on success, -EFAULT when the kernel would stop (sim->res has the log),
 * other negative errors for bad input (message "FILE:LINE: ..." where the
 * input is a file). */
int simulation_run(const struct simulation_options *o, struct simulation *sim,
		   struct p2msim_err *err);
void simulation_free(struct simulation *sim);
/* Re-read what the guest published since the boot (shared_info.max_pfn
 * moves when a balloon hot-plugs memory). */
void simulation_refresh(struct simulation *sim);

/* Pictures of the pfn space: the E820 and the P2M as labelled bars whose
 * widths grow with the log of each range's size (identity and remapped
 * ranges marked), as text wrapped at @columns, or as an SVG document. */
int simulation_diagram(FILE *f, const struct simulation *sim, unsigned int columns,
		       struct p2msim_err *err);
int simulation_svg(FILE *f, const struct simulation *sim, struct p2msim_err *err);

/* The kernel's E820 as that kernel prints it ("Xen" lines), then, when
 * mem=/memmap= made one, "user-defined physical RAM map:" and its "user"
 * lines: the same printer as the boot log's, so the two always agree. */
void simulation_print_e820(FILE *f, const struct simulation *sim);
/* The guest's debugfs p2m file in its kernel's format (the tree's old
 * format with level lines, or the linear list's); nothing when the kernel
 * stopped before it had a P2M. */
int simulation_print_dump(FILE *f, const struct simulation *sim, struct p2msim_err *err);

/* The balloon of the booted guest (balloon_new_for_boot() on its model,
 * result and hypervisor); @sim must outlive it, @log may be NULL. */
int simulation_balloon_new(struct balloon **out, struct simulation *sim,
			   void (*log)(void *ctx, const char *line), void *log_ctx,
			   struct p2msim_err *err);

/* The JSON result of doc/cli-json.md#json (a json_object *, to be put by the
 * caller with json_object_put()).  NULL when out of memory. */
struct json_object;
struct json_object *simulation_to_json(const struct simulation *sim);

#endif
