/* SPDX-License-Identifier: MIT */
/*
 * live/live.h - p2msim's dom0 face: what a live Xen PV domain's P2M is,
 * whether the kernel models predict it, and what Xen's memory operations
 * do on a scratch domain (doc/cli-json.md#commands; doc/design-p2m.md#toolstack-view).
 *
 * Everything here works through the hypervisor interface (hv/hv.h), so it
 * runs against the real hypervisor (the xen backend, in dom0) and against
 * the in-memory one (the sim backend, in the unit tests) alike.  Files
 * of the running system it reads -- /proc/kallsyms, the kernel log,
 * /proc/version, /proc/cmdline -- are named in a struct live_env so that
 * tests can put fixtures there.  Nothing here prints on its own (writers
 * take a FILE *) or exits.
 *
 *   live_p2m_read()    a domain's P2M as typed runs, from its linear list
 *                      (page tables at p2m_cr3/p2m_vaddr) or its MFN mirror
 *                      (the frame-list-list), cross-checked
 *   live_check_run()   simulate the running dom0 from what the hypervisor
 *                      and the kernel say about its boot, and compare
 *   live_scratch_run() a scratch domain driven by a kernel model and
 *                      balloon, checked against Xen after every step
 *   live_balloon_run() xl mem-set, then wait for the guest to get there
 */
#ifndef P2MSIM_LIVE_H
#define P2MSIM_LIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "sim/sim.h"
#include "util/err.h"

struct json_object;
struct p2m;

#define LIVE_NO_MFN UINT64_MAX

/* Files of the running system the live commands read. */
struct live_env {
	const char *kallsyms;	  /* /proc/kallsyms */
	const char *kmsg;	  /* /dev/kmsg (a file of dmesg or kmsg lines also works) */
	const char *proc_version; /* /proc/version */
	const char *proc_cmdline; /* /proc/cmdline */
	const char *boot_dir;	  /* /boot: config-RELEASE gives the kernel's options */
};

void live_env_default(struct live_env *env);

/* --- reading a live P2M ------------------------------------------------------------ */

enum live_source {
	LIVE_SRC_AUTO,	 /* the linear list, else the mirror */
	LIVE_SRC_LIST,	 /* page tables from p2m_cr3, list at p2m_vaddr */
	LIVE_SRC_MIRROR, /* pfn_to_mfn_frame_list_list -> mid -> leaves */
};

/* How the shared all-INVALID leaves were told apart. */
enum live_label {
	LIVE_LABEL_NONE,     /* not at all: shared identity reads as missing */
	LIVE_LABEL_KALLSYMS, /* the kernel's own p2m_missing / p2m_identity */
	LIVE_LABEL_MIRROR,   /* the mirror, which names p2m_missing for both */
};

const char *live_source_name(enum live_source src);
const char *live_label_name(enum live_label label);

struct live_read_opts {
	hv_domid_t domid; /* HV_DOMID_SELF: dom0 reading itself */
	enum live_source source;
	uint64_t p2m_size;	    /* 0: find it (see live_p2m_read) */
	bool to_max_pfn;	    /* stop at shared_info's max_pfn */
	const struct live_env *env; /* NULL: the running system's */
	unsigned int retries;	    /* re-reads while p2m_generation moves (0: 3) */
};

/* One kind of backing over a range of 2 MiB leaves. */
enum live_leaf_kind {
	LIVE_LEAF_PRIVATE,
	LIVE_LEAF_MISSING,  /* the shared p2m_missing page */
	LIVE_LEAF_IDENTITY, /* the shared p2m_identity page */
	LIVE_LEAF_SHARED,   /* another page backing several leaves */
};

struct live_leaf_run {
	uint64_t first, last; /* leaf indexes, inclusive */
	enum live_leaf_kind kind;
};

#define LIVE_MAX_NOTES 8

struct live_p2m {
	hv_domid_t domid; /* as asked (HV_DOMID_SELF possible) */
	bool self;
	struct hv_domain_info dom;
	struct hv_p2m_info info; /* shared_info.arch, as read last */
	enum live_source source; /* where the runs come from */
	uint64_t p2m_size;	 /* entries of the list area */
	char p2m_size_from[96];	 /* how p2m_size was found */
	uint64_t walked;	 /* the runs cover [0, walked) */
	struct dump_runs runs;	 /* semantic types */
	/* Leaf backing (list source), as leaf runs. */
	struct live_leaf_run *leaves;
	size_t nr_leaves, alloc_leaves;
	uint64_t leaves_by_kind[4];
	uint64_t missing_mfn, identity_mfn; /* LIVE_NO_MFN when unknown */
	enum live_label label;
	/* List against mirror, leaf by leaf. */
	bool cross_checked;
	uint64_t cross_compared, cross_differ, cross_identity_as_missing;
	uint64_t cross_first_differ; /* a leaf index, when cross_differ */
	/* Entries no Linux P2M holds. */
	uint64_t bad_identity; /* identity values naming another pfn */
	uint64_t bad_mfn;      /* MFNs above the machine's max_mfn */
	unsigned int rereads;  /* p2m_generation moved this often */
	char notes[LIVE_MAX_NOTES][200];
	unsigned int nr_notes;
};

/*
 * Read the P2M of a PV domain (doc/design-p2m.md#toolstack-view).  With the linear list, the
 * guest's page tables are walked from p2m_cr3 to find each 4 KiB page of
 * the list at p2m_vaddr; with the mirror, frame-list-list -> mid pages ->
 * leaf pages.  When both exist they are compared leaf by leaf.
 *
 * The shared missing and identity leaves hold the same (all INVALID) words:
 * only the page tells them apart.  For dom0 reading itself, the kernel's
 * symbols p2m_missing and p2m_identity (/proc/kallsyms) are followed
 * through the same page tables.  Otherwise the mirror tells: Linux writes
 * the MFN of p2m_missing into the mirror for both kinds, so the page that
 * backs many mirror slots is p2m_missing, and a page the list uses where
 * the mirror names p2m_missing is p2m_identity.  Without either, shared
 * identity leaves read as missing (a note says so).
 *
 * The list covers [0, xen_p2m_size), more than [0, max_pfn): xen_p2m_size
 * is taken from @o->p2m_size, else (own domain) the kernel's variable
 * through kallsyms or its "p2m virtual area ... size is" line, else the
 * kernel's rule for a Debian 3.19+ kernel (the area is a whole number of
 * 1 GiB of list, 512 GiB of pfns, covering max_pfn), cut at the first
 * leaf the page tables do not map.  The mirror covers [0, max_pfn).
 */
int live_p2m_read(struct hv *hv, const struct live_read_opts *o, struct live_p2m *p,
		  struct p2msim_err *err);
void live_p2m_free(struct live_p2m *p);

/* A struct p2m holding the runs with their leaf backing, for the debugfs
 * writers: shared identity leaves stay shared (so the modern dump prints
 * them "missing", as the kernel's file would); pfn entries get the pfn
 * itself as MFN. */
int live_p2m_to_engine(const struct live_p2m *p, struct p2m **out, struct p2msim_err *err);

/* The "# ..." lines describing the read (written after a run list). */
int live_p2m_write_notes(FILE *f, const struct live_p2m *p);
/* The JSON object of live dump --json: the simulate keys that apply
 * (domain, nr_pages, max_pages, max_pfn, p2m_size, runs) and the read's
 * own (shared_info, leaves, cross_check, notes). */
struct json_object *live_p2m_to_json(const struct live_p2m *p);

/* --- the running kernel ---------------------------------------------------------------- */

/* The kernel log as lines without priority or timestamp prefixes. */
struct live_kmsg {
	char **lines;
	size_t nr, alloc;
};

int live_kmsg_read(const char *path, struct live_kmsg *k, struct p2msim_err *err);
void live_kmsg_free(struct live_kmsg *k);
/* First line containing @needle, or NULL. */
const char *live_kmsg_find(const struct live_kmsg *k, const char *needle);

/* The release of the running kernel from /proc/version ("6.1.0-56-amd64"). */
int live_kernel_release(const char *proc_version, char *buf, size_t len, struct p2msim_err *err);

/* Addresses of kernel symbols (0 for those absent or hidden by
 * kptr_restrict).  -ENOENT when the file cannot be read. */
int live_kallsyms_lookup(const char *path, const char *const *names, uint64_t *addrs, size_t n,
			 struct p2msim_err *err);

/* --- live check ------------------------------------------------------------------------- */

struct live_check_opts {
	hv_domid_t domid;	      /* dom0 (0 or HV_DOMID_SELF); others are refused */
	const char *kernel;	      /* NULL: the running kernel's release */
	struct kernel_config kconfig; /* Debian's, or /boot/config-RELEASE, or as set */
	bool kconfig_set;	      /* @kconfig was given: do not read /boot */
	const char *balloon;	      /* targets dom0 was taken to (xl mem-set), "384m,512m" */
	const char *keep_dir;	      /* keep the gathered inputs and both P2Ms there */
	const struct live_env *env;
};

void live_check_opts_init(struct live_check_opts *o);

enum live_item_state {
	LIVE_ITEM_OK,
	LIVE_ITEM_DIFFERS,
	LIVE_ITEM_SKIPPED
};

struct live_check_item {
	char name[32];
	enum live_item_state state;
	char detail[400];
};

#define LIVE_MAX_ITEMS 16

struct live_check {
	char release[96];      /* the running kernel */
	struct simulation sim; /* the model's boot (and balloon steps) */
	bool have_sim;
	struct live_p2m live;
	struct dump_diff diff; /* model vs live over [0, max_pfn) */
	char inputs[8][200];   /* where each input came from */
	unsigned int nr_inputs;
	struct live_check_item items[LIVE_MAX_ITEMS];
	unsigned int nr_items;
	bool ballooned; /* pfn and missing compared as one class */
	bool ok;	/* no item differs */
};

/*
 * Gather the inputs of dom0's boot (the machine memory map, Xen's command
 * line and console ring -- dom0_mem, the "Dom0 alloc." pages, where the
 * builder put the kernel --, the kernel's release, command line and
 * options), run the kernel model on them (simulation_run), and compare
 * with what the hypervisor and the kernel show: the kernel's "Xen: [mem"
 * E820 lines and Released/Remapped counts, max_pfn, xen_p2m_size, and the
 * P2M run types over [0, max_pfn).  With @o->balloon, the model also takes
 * those xl mem-set steps and, since which pfns a balloon frees is the
 * buddy allocator's choice, pfn and missing are compared as one class plus
 * their page counts.  Returns 0 when the comparison was made (c->ok says
 * how it came out), a negative errno when it could not be.
 */
int live_check_run(struct hv *hv, const struct live_check_opts *o, struct live_check *c,
		   struct p2msim_err *err);
int live_check_write(FILE *f, const struct live_check *c);
void live_check_free(struct live_check *c);

/* --- live scratch ------------------------------------------------------------------------- */

struct live_scratch_opts {
	const char *e820_path; /* the domain's map; NULL: RAM [0, max(pages, 128 MiB)) */
	uint64_t pages;	       /* nr_pages (default 8192) */
	uint64_t max_pages;    /* 0: the map's RAM, at least pages */
	const char *kernel;    /* model (default KERNEL_DEFAULT_VERSION) */
	const char *balloon;   /* xl mem-set targets, "16m,40m" */
	unsigned int hold;     /* seconds to keep the domain at the end */
	/* Polled between steps and while holding: non-zero stops the run
	 * (-EINTR) and the domain is destroyed. */
	volatile sig_atomic_t *stop;
	/* Progress lines ("step ...: ok"), or NULL. */
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
	/* Each step writes a pattern into the frames it has not seen and reads
	 * it back from the others: into every frame (false, the default), or
	 * only the first and last frame of each run of frames the model maps
	 * (a domain too large to touch every page of in the time or memory
	 * there is, such as a large one on the in-memory Xen, which keeps
	 * every page written). */
	bool contents_run_ends;
};

void live_scratch_opts_init(struct live_scratch_opts *o);

struct live_scratch_result {
	hv_domid_t domid; /* the scratch domain */
	unsigned int steps, steps_ok;
	uint64_t frames_checked;
	bool destroyed;
};

/*
 * Create a scratch PV domain on @real, give it the memory map, and replay
 * on it a domU boot of the kernel model (the builder's populate, then every
 * XENMEM operation and M2P update the model makes) and then the balloon
 * targets.  After each step Xen's view must agree with the model's:
 * tot_pages and max_pages, the type of every frame (a plain page of the
 * domain where the model's P2M has it, not the domain's once given back),
 * M2P[mfn] == pfn through the machphys table, and frame contents written
 * at population read back after every later step.  The domain is
 * destroyed on every path.  0 when every step agreed; -EUCLEAN with the
 * first disagreement; other errors from the hypervisor.
 */
int live_scratch_run(struct hv *real, const struct live_scratch_opts *o,
		     struct live_scratch_result *res, struct p2msim_err *err);

/* --- live balloon ------------------------------------------------------------------------- */

struct live_balloon_opts {
	hv_domid_t domid;
	const char *target;   /* xl's units: 384m, 1g, 524288k */
	unsigned int timeout; /* seconds to wait (default 60) */
	unsigned int settle;  /* seconds without progress before giving up (default 10) */
	volatile sig_atomic_t *stop;
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
	/* Sleeping, replaceable by tests (NULL: nanosleep). */
	void (*sleep_ms)(void *ctx, unsigned int ms);
	void *sleep_ctx;
};

void live_balloon_opts_init(struct live_balloon_opts *o);

struct live_balloon_result {
	uint64_t target_kib, target_pages;
	uint64_t start_pages, end_pages;
	unsigned int seconds;
	bool reached;
};

/* Write the target as xl mem-set does (balloon_xl_mem_set: memory/target,
 * static-max, max_pages) and poll tot_pages until it equals the target,
 * stops moving for @settle seconds, or @timeout passes.  0 when reached,
 * -ETIMEDOUT / -EAGAIN (stalled) otherwise, with the pages reached. */
int live_balloon_run(struct hv *hv, const struct live_balloon_opts *o,
		     struct live_balloon_result *res, struct p2msim_err *err);

#endif
