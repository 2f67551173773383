/* SPDX-License-Identifier: MIT */
/*
 * balloon/balloon.h - a model of Linux's Xen balloon driver
 * (drivers/xen/balloon.c and xen-balloon.c, doc/simulation.md#balloon) and of the toolstack
 * side that drives it (libxl_set_memory_target, i.e. `xl mem-set`).
 *
 * The driver moves a PV guest's pages between the guest and Xen: it
 * decreases the reservation (a page's P2M entry becomes INVALID and its
 * MFN goes back to Xen) and increases it (Xen populates a ballooned pfn
 * with a new MFN and the P2M entry goes missing -> pfn), in batches of 512
 * frames, until current_pages reaches target_pages.  Errors put it to
 * sleep with a doubling delay, and after max_retry_count failures it gives
 * up (BP_ECANCELED) until the target changes.
 *
 * The model works on a struct p2m (the guest's table) and a struct hv (the
 * hypervisor, usually the sim backend) for one domain; it has no globals,
 * and it never sleeps: time is virtual.  balloon_step() runs one
 * iteration of the driver's kthread and says how long the kernel would
 * have waited before it; balloon_run() repeats that until the target is
 * reached or the driver gives up.  After every step the P2M, the M2P and
 * the hypervisor's counts agree (p2m_check, p2m_check_m2p, hv_sim_check,
 * hv_sim_check_p2m prove it).
 *
 * Where the kernel would BUG() (a short decrease_reservation, a P2M entry
 * that cannot be written after populate), the model undoes the half-done
 * batch so that everything is consistent again, returns -EIO with the
 * reason, and refuses to run further.
 *
 * Kernel-era differences are fields of struct balloon_policy, each with
 * the change that introduced it; balloon_policy_from_model() fills them
 * from the kernel model's behaviour rows (KB_BALLOON_* and others).
 */
#ifndef P2MSIM_BALLOON_H
#define P2MSIM_BALLOON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"
#include "util/err.h"

struct p2m;
struct e820_table;

/* balloon_thread() state. */
enum bp_state {
	BP_DONE,      /* done or nothing to do */
	BP_WAIT,      /* hotplugged memory is being onlined (4.x+) */
	BP_EAGAIN,    /* error, sleep schedule_delay seconds */
	BP_ECANCELED, /* error, given up until the target changes */
};

const char *balloon_state_name(enum bp_state state); /* "done", "wait", ... */

#define BALLOON_RETRY_UNLIMITED 0 /* max_retry_count: retry forever */
#define BALLOON_BATCH 512	  /* frames per hypercall: PAGE_SIZE / 8 */

/* balloon_stats, as the kernel keeps it (doc/simulation.md#balloon). */
struct balloon_stats {
	uint64_t current_pages;	      /* pages the guest holds */
	uint64_t target_pages;	      /* pages it should hold */
	uint64_t target_unpopulated;  /* pages lent to xen_alloc_ballooned_pages */
	uint64_t balloon_low;	      /* ballooned lowmem pages */
	uint64_t balloon_high;	      /* ballooned highmem pages (0: x86-64) */
	uint64_t total_pages;	      /* pages the guest could ever hold */
	unsigned long schedule_delay; /* seconds before the next retry */
	unsigned long max_schedule_delay;
	unsigned long retry_count;
	unsigned long max_retry_count; /* BALLOON_RETRY_UNLIMITED = forever */
};

/* What shared_info.arch.max_pfn becomes when the P2M grows past it. */
enum balloon_max_pfn_hint {
	BALLOON_MAX_PFN_KEEP,	 /* not touched (three-level tree era) */
	BALLOON_MAX_PFN_RAW,	 /* 98dd166ea3a3: the pfn itself */
	BALLOON_MAX_PFN_ALIGNED, /* 2021 fix: ALIGN(pfn + 1, 512) */
};

/* One kernel era of the driver. */
struct balloon_policy {
	char name[48];	       /* the kernel version: "6.1" */
	const char *init_line; /* what balloon_init() prints */
	/* XSA-300 (Dec 2019): 4; unlimited before. */
	unsigned long max_retry_count;
	unsigned long max_schedule_delay; /* 32 s in every era */
	/* XSA-300: balloon down at most si_mem_available() pages per
	 * iteration, and retry when that left totalreserve_pages short. */
	bool limit_to_available;
	/* CONFIG_XEN_BALLOON_MEMORY_HOTPLUG (4.x+): with the balloon empty
	 * and credit left, hot-plug a memory block and populate that. */
	bool hotplug;
	/* a6aa4eb994ee (6.10, backported to stable): with
	 * XEN_UNPOPULATED_ALLOC the extra regions go to the unpopulated
	 * allocator, not to the balloon. */
	bool extra_to_unpopulated;
	/* 3.x+: current_pages starts at nr_pages - xen_released_pages
	 * (2.6.39/3.0: nr_pages, released pages being extra memory). */
	bool subtract_released;
	/* 5.15: a kthread whose state persists from one wake-up to the
	 * next; before, each workqueue run started from BP_DONE. */
	bool kthread;
	/* Before 4.x: the target is clamped to what the balloon holds
	 * (current_target()) and there is no hotplug. */
	bool legacy_worker;
	/* 3.19+ linear P2M (xen_alloc_p2m_entry): p2m_generation += 2 per
	 * page-table or leaf page installed, and max_pfn as above. */
	bool p2m_generation;
	enum balloon_max_pfn_hint max_pfn_hint;
	uint64_t section_pages; /* PAGES_PER_SECTION: 32768 on x86-64 */
};

/*
 * The policy of a kernel model (setup/setup.h): the tree families (2.6.39
 * - 3.17) get the old worker (released pages subtracted from 3.2); the linear family (3.19+) the 4.x+ driver with
 * hotplug as configured, XSA-300's limits from 5.5 and the unpopulated
 * extra regions from 6.10; shared_info's max_pfn as the model's
 * KB_MAX_PFN_* behaviours say.  @pol->name points into @km.
 */
struct kernel_model;
void balloon_policy_from_model(struct balloon_policy *pol, const struct kernel_model *km);
/* The same for a kernel version as kernel_model_init() reads it, with
 * Debian's build options; -EINVAL / -ENOTSUP as kernel_model_init(). */
int balloon_policy_for_kernel(struct balloon_policy *pol, const char *version,
			      struct p2msim_err *err);

/* A pfn range: xen_extra_mem[] entries, hotplugged blocks. */
struct balloon_region {
	uint64_t start_pfn, n_pfns;
};

struct balloon_config {
	const struct balloon_policy *policy; /* NULL: KERNEL_DEFAULT_VERSION's */
	struct hv *hv;
	hv_domid_t domid; /* hypercalls and xenstore paths use it */
	struct p2m *p2m;
	bool pv;			    /* false: HVM (only target_diff differs) */
	uint64_t nr_pages;		    /* xen_start_info->nr_pages */
	uint64_t released_pages;	    /* xen_released_pages */
	uint64_t max_pfn;		    /* the kernel's max_pfn */
	const struct balloon_region *extra; /* xen_extra_mem[] */
	size_t nr_extra;
	/* The kernel's E820: hotplug memory goes into the first section-
	 * aligned gap of iomem (E820 entries and their "RAM buffer" tails,
	 * plus @busy, e.g. PCI windows from ACPI, in bytes). */
	const struct e820_table *e820;	   /* must outlive the balloon */
	const struct balloon_region *busy; /* [start_pfn, +n_pfns) taken; ditto */
	size_t nr_busy;
	/* Pages alloc_page(GFP_BALLOON) can never return (kernel image,
	 * page tables, memory in use); si_mem_available() is current_pages
	 * minus these.  0: every populated page can be ballooned. */
	uint64_t unavailable_pages;
	uint64_t totalreserve_pages;
	/* Kernel log lines, without the timestamp. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

struct balloon;

/*
 * balloon_init(): current = min(nr_pages - released, max_pfn), target and
 * total = current, delay and retry 1, and the extra regions (pfns below
 * max_pfn) appended to the balloon (6.1: total_pages grows by them; 6.12:
 * they go to the unpopulated allocator instead).  -ERANGE when the
 * released pages exceed nr_pages, as the kernel WARNs and gives up.
 */
int balloon_new(struct balloon **out, const struct balloon_config *cfg, struct p2msim_err *err);
void balloon_free(struct balloon *b);

/*
 * The balloon of a guest once a kernel model's memory setup ran
 * (setup/setup.h setup_run): the model's policy, nr_pages, released pages,
 * the kernel's max_pfn, its extra regions and E820 (from @res), its P2M and
 * the hypervisor @hv holding domain @domid.  @res and @hv must outlive the
 * balloon; @log may be NULL.  sim/sim.h's simulation_balloon_new() does
 * this for a whole simulation.
 */
struct kernel_model;
struct setup_result;
int balloon_new_for_boot(struct balloon **out, const struct kernel_model *km,
			 struct setup_result *res, struct hv *hv, hv_domid_t domid,
			 void (*log)(void *ctx, const char *line), void *log_ctx,
			 struct p2msim_err *err);

const struct balloon_stats *balloon_get_stats(const struct balloon *b);
enum bp_state balloon_state(const struct balloon *b);
/* target - current (what the next step works on). */
int64_t balloon_credit(const struct balloon *b);
/* Virtual seconds since balloon_new(). */
uint64_t balloon_time(const struct balloon *b);
/* Blocks hot-plugged so far. */
const struct balloon_region *balloon_hotplugged(const struct balloon *b, size_t *nr);
/* Pfns in the balloon, in the order increase would take them (the first
 * @max of them; returns how many were written). */
size_t balloon_list(const struct balloon *b, uint64_t *pfns, size_t max);
/* Extra pages in the 6.12 unpopulated allocator. */
uint64_t balloon_unpopulated(const struct balloon *b);
/* Change max_schedule_delay / max_retry_count (sysfs, rw). */
void balloon_set_limits(struct balloon *b, unsigned long max_schedule_delay,
			unsigned long max_retry_count);

/* --- targets ----------------------------------------------------------------- */

/* balloon_set_new_target(): pages; wakes the driver. */
void balloon_set_target(struct balloon *b, uint64_t pages);
/* sysfs target_kb (KiB) and target (bytes). */
void balloon_set_target_kib(struct balloon *b, uint64_t kib);
void balloon_set_target_bytes(struct balloon *b, uint64_t bytes);
/* sysfs "target": memparse() of @s (K, M, G, T, P, E suffixes). */
int balloon_set_target_string(struct balloon *b, const char *s, struct p2msim_err *err);
/*
 * The xenstore watch on memory/target (xen-balloon.c watch_target): read
 * /local/domain/<domid>/memory/target (KiB); a missing key changes nothing
 * ("ok for domain0").  On the first event read memory/static-max (or
 * memory_static_max) and fix target_diff: 0 for PV, static_max -
 * target_pages for HVM.  Sets target = target_kib / 4 - target_diff.
 * *@fired (optional) says whether a target was set.
 */
int balloon_xenstore_watch(struct balloon *b, bool *fired, struct p2msim_err *err);

/* --- running -------------------------------------------------------------------- */

struct balloon_step {
	uint64_t waited;	       /* seconds slept before the iteration */
	int64_t credit;		       /* credit the iteration worked on */
	uint64_t increased, decreased; /* pages moved */
	uint64_t hotplugged;	       /* pages hot-plugged */
	enum bp_state state;	       /* after update_schedule() */
};

/* One iteration of balloon_thread().  -EIO once the kernel would have
 * BUG()ed (the message says why; the state is consistent again). */
int balloon_step(struct balloon *b, struct balloon_step *step, struct p2msim_err *err);

struct balloon_result {
	enum bp_state state;
	uint64_t seconds; /* virtual time this run took */
	unsigned int steps;
	int64_t credit; /* left when it stopped */
	bool reached;	/* current == target */
	bool timed_out; /* stopped by @max_seconds */
};

/* balloon_run() would do nothing: no new target, and the credit is 0 or
 * the driver has given up. */
bool balloon_settled(const struct balloon *b);

/* Step until the credit is 0, the driver gives up (BP_ECANCELED), or
 * @max_seconds of virtual time pass (0: 86400). */
int balloon_run(struct balloon *b, uint64_t max_seconds, struct balloon_result *res,
		struct p2msim_err *err);

/* Tests: alloc_page(GFP_BALLOON) fails after @pages more successes
 * (UINT64_MAX: never). */
void balloon_fail_alloc_after(struct balloon *b, uint64_t pages);

/* Tests: balloon_run() makes every iteration on its own, as the kernel
 * does.  By default the decrease (and increase) iterations that would
 * follow each other with no wait and no failure run as one step, with the
 * same result. */
void balloon_set_batchwise(struct balloon *b, bool on);

/* --- the toolstack: xl mem-set ----------------------------------------------------- */

#define BALLOON_LIBXL_MAXMEM_CONSTANT_KIB 1024 /* x86 arch extra */
#define BALLOON_LIBXL_MIN_DOM0_MEM_KIB (128 * 1024)

/* xl's parse_mem_size_kb(): a number with an optional b/k/m/g/t suffix;
 * no suffix means MiB.  -EINVAL on anything else. */
int balloon_xl_parse_mem(const char *s, uint64_t *kib, struct p2msim_err *err);

struct balloon_xl_result {
	uint64_t target_kib;	 /* written to memory/target */
	uint64_t static_max_kib; /* memory/static-max */
	uint64_t videoram_kib;
	uint64_t max_pages; /* set with setmaxmem (when enforced) */
};

/*
 * libxl_set_memory_target(domid, target_kib, relative, enforce): for dom0
 * without memory/target, first create target (tot_pages in KiB) and
 * static-max (max_pages in KiB); refuse a target above static-max or, for
 * dom0, below 128 MiB (-EINVAL); with @enforce set max_pages to target +
 * videoram + 1 MiB (LIBXL_MAXMEM_CONSTANT); write memory/target and
 * /vm/<uuid>/memory (MiB).
 */
int balloon_xl_set_memory_target(struct hv *hv, hv_domid_t domid, int64_t target_kib, bool relative,
				 bool enforce, struct balloon_xl_result *res,
				 struct p2msim_err *err);
/* `xl mem-set DOMID MEM`: parse MEM and set the target, enforced. */
int balloon_xl_mem_set(struct hv *hv, hv_domid_t domid, const char *mem,
		       struct balloon_xl_result *res, struct p2msim_err *err);

/*
 * One `p2msim simulate --balloon MEM` step: `xl mem-set` on the balloon's
 * hypervisor and domain, the guest's xenstore watch, then balloon_run()
 * (@max_seconds as there).  @xl and @res are optional.
 */
int balloon_mem_set_and_run(struct balloon *b, const char *mem, uint64_t max_seconds,
			    struct balloon_xl_result *xl, struct balloon_result *res,
			    struct p2msim_err *err);

#endif
