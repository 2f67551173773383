/* SPDX-License-Identifier: MIT */
/*
 * hv/hv.h - the hypervisor as a kernel or a toolstack sees it.
 *
 * One interface, two backends: "sim", an in-memory Xen that owns machine
 * frames, keeps the M2P, counts each domain's pages and fails the way Xen
 * fails (with fault injection for tests); and "xen", the real hypervisor
 * through libxenctrl / libxenforeignmemory / libxenstore when running in
 * dom0.  Kernel models call the guest-side operations (memory maps,
 * XENMEM reservation ops, MMU_MACHPHYS_UPDATE, shared_info); the live
 * commands call the toolstack-side ones (domain info, foreign mapping,
 * scratch domains, xenstore).
 *
 * Frame numbers are 64-bit.  For a PV domain "gpfn" arguments are pfns and
 * the frames XENMEM hands back are MFNs, as in Xen (doc/design-p2m.md#toolstack-view).
 *
 * Every operation returns 0 (or a count, where it says so) or a negative
 * errno, and fills the optional struct p2msim_err with one sentence naming
 * the call, the domain and the errno.  An operation a backend does not
 * have returns -EOPNOTSUPP.
 */
#ifndef P2MSIM_HV_H
#define P2MSIM_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct e820_table;
struct hv;

typedef uint32_t hv_domid_t;

#define HV_DOMID_SELF 0x7ff0u	/* DOMID_SELF: the calling domain */
#define HV_UNLIMITED UINT64_MAX /* max_pages with no limit */

struct hv_domain_info {
	hv_domid_t domid;
	uint64_t tot_pages;	    /* pages the domain holds now */
	uint64_t max_pages;	    /* its limit (XENMEM_maximum_reservation) */
	uint64_t shared_info_frame; /* MFN of its shared_info page */
	unsigned int guest_width;   /* 8 (x86-64) or 4 (x86-32) */
	bool pv;
	bool dying;
};

/* shared_info.arch: what a guest publishes about its P2M (doc/design-p2m.md#shared-info). */
struct hv_p2m_info {
	uint64_t max_pfn;		     /* entries, i.e. highest pfn + 1 */
	uint64_t pfn_to_mfn_frame_list_list; /* MFN of p2m_top_mfn; 0 unset, ~0 invalid */
	uint64_t p2m_cr3;		     /* folded MFN of the L4/L3 table; 0 = no linear list */
	uint64_t p2m_vaddr;		     /* VA of the linear list */
	uint64_t p2m_generation;	     /* odd while an update is in progress */
};

/* Frame types as Xen's XEN_DOMCTL_getpageframeinfo3 gives them (the
 * XEN_DOMCTL_PFINFO_* values shifted down by 28). */
enum {
	HV_FRAME_PLAIN = 0x0, /* NOTAB: an ordinary page of the domain */
	HV_FRAME_L1 = 0x1,    /* L1TAB .. L4TAB: a page table of that level */
	HV_FRAME_L2 = 0x2,
	HV_FRAME_L3 = 0x3,
	HV_FRAME_L4 = 0x4,
	HV_FRAME_PINNED = 0x8, /* LPINTAB: or'ed into a pinned table's type */
	HV_FRAME_BROKEN = 0xd,
	HV_FRAME_XALLOC = 0xe,
	HV_FRAME_INVALID = 0xf, /* XTAB: not a page of this domain */
};

/* The hypervisor as `xl info` describes it. */
struct hv_xen_info {
	unsigned int major, minor;
	char extra[32];	    /* extraversion, e.g. ".7" */
	char cmdline[1024]; /* Xen's command line (XENVER_commandline) */
	uint64_t total_pages, free_pages;
	uint64_t max_mfn; /* largest MFN the machine may have */
	unsigned int nr_cpus;
};

enum hv_reservation {
	HV_RESV_CURRENT, /* XENMEM_current_reservation */
	HV_RESV_MAXIMUM, /* XENMEM_maximum_reservation */
};

/* Machine frames [mfn, mfn + n). */
struct hv_frame_run {
	uint64_t mfn, n;
};

/* Guest frames as a frame list holds them: n gpfns from first on, each
 * one below the one before (@down) or above it. */
struct hv_gpfn_run {
	uint64_t first, n;
	bool down;
};

/* Guest frames [pfn, pfn + n) now backed by machine frames [mfn, mfn + n). */
typedef int (*hv_placed_fn)(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n);

struct hv_ops {
	const char *name; /* "sim" or "xen" */
	void (*close)(struct hv *hv);

	/* --- memory maps ---------------------------------------------------- */
	/* (sim: *@out is overwritten as by e820_table_copy(); the caller
	 * frees it with e820_table_free().) */
	/* XENMEM_machine_memory_map (privileged). */
	int (*machine_memory_map)(struct hv *hv, struct e820_table *out, struct p2msim_err *err);
	/* XENMEM_memory_map for @domid: -ENOSYS when no map was set, as Xen
	 * answers a PV guest whose toolstack set none. */
	int (*memory_map)(struct hv *hv, hv_domid_t domid, struct e820_table *out,
			  struct p2msim_err *err);
	/* XENMEM_set_memory_map (toolstack). */
	int (*set_memory_map)(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
			      struct p2msim_err *err);

	/* --- reservations ------------------------------------------------------ */
	int (*reservation)(struct hv *hv, hv_domid_t domid, enum hv_reservation which,
			   uint64_t *pages, struct p2msim_err *err);
	/* xc_domain_setmaxmem, in pages (HV_UNLIMITED for none). */
	int (*set_max_pages)(struct hv *hv, hv_domid_t domid, uint64_t pages,
			     struct p2msim_err *err);
	/* XENMEM_populate_physmap: @frames holds @nr gpfns (extents of 2^order
	 * pages each); for a PV domain they come back as the MFNs now backing
	 * them, and the M2P says mfn -> gpfn.  Returns the number of extents
	 * done (a short count is partial success, as Xen's), or -errno when
	 * none was. */
	long (*populate_physmap)(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				 unsigned int order, struct p2msim_err *err);
	/* XENMEM_increase_reservation: @nr extents of frames with no gpfn;
	 * their MFNs are written to @frames.  Returns extents done. */
	long (*increase_reservation)(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				     unsigned int order, struct p2msim_err *err);
	/* XENMEM_decrease_reservation: give back @nr extents; for PV @frames
	 * are MFNs.  Returns extents done. */
	long (*decrease_reservation)(struct hv *hv, hv_domid_t domid, const uint64_t *frames,
				     size_t nr, unsigned int order, struct p2msim_err *err);

	/* Optional: what @calls decrease_reservation calls of order 0 do whose
	 * frame lists, one after another, hold the frames of @runs (each
	 * [mfn, mfn + n)), all at once.  Only when every one of those calls
	 * would succeed whole: otherwise (a fault rule armed, a frame not the
	 * domain's) it does nothing and returns -EAGAIN, and the caller makes
	 * the calls one by one.  Returns 0 or -errno. */
	int (*decrease_reservation_runs)(struct hv *hv, hv_domid_t domid,
					 const struct hv_frame_run *runs, size_t nr_runs,
					 unsigned long calls, struct p2msim_err *err);
	/* Optional: what @calls populate_physmap calls of order 0 do whose
	 * frame lists, one after another, hold the gpfns of @runs, all at
	 * once: the same frames, in the same order, as those calls would get,
	 * the M2P set for each.  @placed hears of every stretch of gpfns
	 * mapped linearly, in the order the frames were handed out.  Only
	 * when every one of those calls would succeed whole: otherwise (a
	 * fault rule armed, max_pages or free memory short) it does nothing
	 * and returns -EAGAIN, and the caller makes the calls one by one.
	 * Returns 0, -errno, or what @placed returned (then the calls are
	 * half done). */
	int (*populate_physmap_runs)(struct hv *hv, hv_domid_t domid,
				     const struct hv_gpfn_run *runs, size_t nr_runs,
				     unsigned long calls, hv_placed_fn placed, void *ctx,
				     struct p2msim_err *err);

	/* --- M2P ----------------------------------------------------------------- */
	/* MMU_MACHPHYS_UPDATE: M2P[@mfn] = @pfn; the frame must be @domid's. */
	int (*machphys_update)(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			       struct p2msim_err *err);
	/* Read M2P[@mfn] (the machphys mapping every PV guest has). */
	int (*m2p)(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err);
	/* Optional: machphys_update for @mfn + i -> @pfn + i, i < @n, one
	 * operation each as far as anything can tell, done in one step;
	 * returns how many succeeded, *@rc the error of the one that did not.
	 * Without it hv_machphys_update_range() makes the calls one by one. */
	uint64_t (*machphys_update_range)(struct hv *hv, hv_domid_t domid, uint64_t mfn,
					  uint64_t pfn, uint64_t n, int *rc,
					  struct p2msim_err *err);
	/* Optional: M2P[@mfn] and, in *@len, how many frames from @mfn on map
	 * to consecutive pfns (without it, hv_m2p_run() says 1). */
	int (*m2p_run)(struct hv *hv, uint64_t mfn, uint64_t *pfn, uint64_t *len,
		       struct p2msim_err *err);

	/* --- domains ---------------------------------------------------------------- */
	int (*domain_info)(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
			   struct p2msim_err *err);
	int (*p2m_info)(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info,
			struct p2msim_err *err);
	/* The guest writing its own shared_info.arch (kernel models, sim). */
	int (*set_p2m_info)(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
			    struct p2msim_err *err);
	/* Map @nr frames of @domid (MFNs for PV) into our address space.
	 * Frames are 4096 bytes; unmap with unmap_frames. */
	int (*map_frames)(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			  bool writable, void **addr, struct p2msim_err *err);
	void (*unmap_frames)(struct hv *hv, void *addr, size_t nr);
	/* A scratch PV domain with nothing in it, and its end. */
	int (*create_domain)(struct hv *hv, hv_domid_t *domid, struct p2msim_err *err);
	int (*destroy_domain)(struct hv *hv, hv_domid_t domid, struct p2msim_err *err);

	/* --- xenstore ------------------------------------------------------------------ */
	/* Read / write a xenstore path; read returns a malloc'ed string. */
	int (*xs_read)(struct hv *hv, const char *path, char **value, struct p2msim_err *err);
	int (*xs_write)(struct hv *hv, const char *path, const char *value, struct p2msim_err *err);

	/* --- what a toolstack checks (added with the xen backend) ------------- */
	/* xc_get_pfn_type_batch: Xen's type of each of @nr frames of @domid
	 * (MFNs for PV) into @types, one HV_FRAME_* value each. */
	int (*frame_types)(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			   uint32_t *types, struct p2msim_err *err);
	/* The hypervisor itself: version, command line, memory. */
	int (*xen_info)(struct hv *hv, struct hv_xen_info *info, struct p2msim_err *err);
	/* Xen's console ring as `xl dmesg` reads it: a malloc'ed, NUL-terminated
	 * string in *@text, its length in *@len. */
	int (*console_read)(struct hv *hv, char **text, size_t *len, struct p2msim_err *err);
};

/* A hypervisor connection: the backend's ops and its private state.
 * Backends embed it as their first member. */
struct hv {
	const struct hv_ops *ops;
};

/* --- calling the backend ------------------------------------------------------------ */
static inline void hv_close(struct hv *hv)
{
	if (hv)
		hv->ops->close(hv);
}

const char *hv_name(const struct hv *hv);

/* The wrappers below check for a missing operation (-EOPNOTSUPP with a
 * message naming it) and otherwise call the backend. */
int hv_machine_memory_map(struct hv *hv, struct e820_table *out, struct p2msim_err *err);
int hv_memory_map(struct hv *hv, hv_domid_t domid, struct e820_table *out, struct p2msim_err *err);
int hv_set_memory_map(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
		      struct p2msim_err *err);
int hv_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which, uint64_t *pages,
		   struct p2msim_err *err);
int hv_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages, struct p2msim_err *err);
long hv_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			 unsigned int order, struct p2msim_err *err);
long hv_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			     unsigned int order, struct p2msim_err *err);
long hv_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames, size_t nr,
			     unsigned int order, struct p2msim_err *err);
/* The backend's decrease_reservation_runs, or -EOPNOTSUPP (no message)
 * when it has none: then make the calls one by one. */
int hv_decrease_reservation_runs(struct hv *hv, hv_domid_t domid, const struct hv_frame_run *runs,
				 size_t nr_runs, unsigned long calls, struct p2msim_err *err);
/* The backend's populate_physmap_runs, or -EOPNOTSUPP (no message) when
 * it has none: then make the calls one by one. */
int hv_populate_physmap_runs(struct hv *hv, hv_domid_t domid, const struct hv_gpfn_run *runs,
			     size_t nr_runs, unsigned long calls, hv_placed_fn placed, void *ctx,
			     struct p2msim_err *err);
int hv_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
		       struct p2msim_err *err);
int hv_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err);
/* hv_machphys_update() for mfn + i -> pfn + i, i < n, stopping at the first
 * failure: returns how many were done, *@rc 0 or that failure's error. */
uint64_t hv_machphys_update_range(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
				  uint64_t n, int *rc, struct p2msim_err *err);
/* hv_m2p() and how many frames from @mfn on continue the mapping (>= 1). */
int hv_m2p_run(struct hv *hv, uint64_t mfn, uint64_t *pfn, uint64_t *len, struct p2msim_err *err);
int hv_domain_info(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
		   struct p2msim_err *err);
int hv_p2m_info(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info, struct p2msim_err *err);
int hv_set_p2m_info(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
		    struct p2msim_err *err);
int hv_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr, bool writable,
		  void **addr, struct p2msim_err *err);
void hv_unmap_frames(struct hv *hv, void *addr, size_t nr);
int hv_create_domain(struct hv *hv, hv_domid_t *domid, struct p2msim_err *err);
int hv_destroy_domain(struct hv *hv, hv_domid_t domid, struct p2msim_err *err);
int hv_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err);
int hv_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err);
int hv_frame_types(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
		   uint32_t *types, struct p2msim_err *err);
int hv_xen_info(struct hv *hv, struct hv_xen_info *info, struct p2msim_err *err);
int hv_console_read(struct hv *hv, char **text, size_t *len, struct p2msim_err *err);

/* --- the sim backend: an in-memory Xen ---------------------------------------------- */

struct hv_sim_config {
	/* Machine RAM: the RAM entries of this map become machine frames
	 * (MFN = address >> 12).  NULL: 1 << 20 frames from 1 MiB. */
	const struct e820_table *machine;
	/* Frames Xen keeps for itself, from the top of RAM down (default 0). */
	uint64_t xen_reserved_pages;
};

int hv_sim_open(struct hv **out, const struct hv_sim_config *cfg, struct p2msim_err *err);

/* A stretch of the builder's mfn_list: pfns [pfn, pfn + nr) are backed by
 * machine frames [mfn, mfn + nr). */
struct hv_extent {
	uint64_t pfn, mfn, nr;
};

/* The domain builder: create a PV domain with @nr_pages frames and limit
 * @max_pages, like Xen's dom0 builder (domid 0) or libxl for a domU, with
 * M2P set for each frame.  The builder's mfn_list comes back as extents in
 * pfn order, a malloc'ed array of *@nr_ext (Xen hands out aligned chunks,
 * so a 16 TiB dom0 is some 16 thousand extents). */
int hv_sim_build_domain_extents(struct hv *hv, hv_domid_t domid, uint64_t nr_pages,
				uint64_t max_pages, unsigned int guest_width,
				struct hv_extent **ext, size_t *nr_ext, struct p2msim_err *err);
/* The same, with the list one MFN per pfn (*@mfn_list, malloc'ed). */
int hv_sim_build_domain(struct hv *hv, hv_domid_t domid, uint64_t nr_pages, uint64_t max_pages,
			unsigned int guest_width, uint64_t **mfn_list, struct p2msim_err *err);

/* Fault injection: the next hypercall-level operation of kind @op (any
 * operation when NULL, e.g. "populate_physmap", "decrease_reservation")
 * numbered @nth from now (1 = the next one) fails with @error, or, when
 * @partial is non-zero, succeeds for only @partial extents. */
int hv_sim_inject(struct hv *hv, const char *op, unsigned long nth, int error, size_t partial);
/* Limit free machine memory to @pages frames (out-of-memory tests). */
int hv_sim_limit_free(struct hv *hv, uint64_t pages);
/* Number of guest-side operations made so far (for sweeps over k). */
unsigned long hv_sim_op_count(const struct hv *hv);
/* Consistency: no frame owned twice or leaked, tot_pages per domain equals
 * the frames it owns, M2P of every owned frame names a pfn of its owner
 * or is unset (the sim cannot know a domain's pfns: it checks that no pfn
 * is named by two frames of one domain; hv_sim_check_p2m() checks the M2P
 * against the guest's P2M). */
int hv_sim_check(struct hv *hv, struct p2msim_err *err);
/* pfns [@start, @end) of @domid may be named by two of its frames: the
 * guest's kernel left out of its P2M pages Xen gave it there (beyond the
 * kernel's limit), whose M2P still names them, and may put other frames
 * at those pfns (a kernel of 3.5-3.17 populating back).  Xen allows it;
 * hv_sim_check() then accepts it for those pfns only. */
int hv_sim_allow_m2p_alias(struct hv *hv, hv_domid_t domid, uint64_t start, uint64_t end);

/* --- more sim controls (added by the sim backend) --- */

/* The sim ran out of memory of its own (not Xen's heap) since it was
 * opened: an operation failed with -ENOMEM, or lost a write, where Xen
 * would not have, so a guest's result from then on is not Xen's.  Setup
 * and balloon runs report -ENOMEM when this is set.  False for other
 * backends. */
bool hv_sim_out_of_memory(const struct hv *hv);
/* Forget every pending hv_sim_inject() rule. */
void hv_sim_inject_clear(struct hv *hv);
/* The domain whose guest-side calls these are: what HV_DOMID_SELF means,
 * and whose max order applies to XENMEM extents (default 0). */
int hv_sim_set_current(struct hv *hv, hv_domid_t domid);
/* Machine frames: RAM frames in all, free ones now. */
uint64_t hv_sim_total_pages(const struct hv *hv);
uint64_t hv_sim_free_pages(const struct hv *hv);
/* Who owns machine frame @mfn: 0 and *@owner (a domid, or 0x7ff2 =
 * DOMID_XEN), -ENOENT when it is free, -EINVAL when it is not RAM. */
int hv_sim_frame_owner(const struct hv *hv, uint64_t mfn, hv_domid_t *owner);

/*
 * Frames a guest model keeps outside the frame store, typically its P2M
 * pages (which the engine numbers itself): map_frames() of @domid asks
 * @fn first and serves the 4096 bytes it writes to @page, read-only; @fn
 * returns -ENOENT for a frame it does not hold.  NULL removes the hook.
 */
typedef int (*hv_frame_reader_fn)(void *ctx, uint64_t mfn, void *page);
int hv_sim_set_frame_reader(struct hv *hv, hv_domid_t domid, hv_frame_reader_fn fn, void *ctx);
/* The usual reader: the pages of @p2m (leaves, mid_mfn and top_mfn pages,
 * shared ones included) as the toolstack maps them, packed to the guest
 * width (p2m_read_frame).  @p2m must outlive the hook; NULL removes it. */
struct p2m;
int hv_sim_attach_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m);

/* M2P[@mfn] for p2m_check_m2p(): @hv is the struct hv *; ~0 when unset or
 * not a frame. */
uint64_t hv_sim_m2p_lookup(void *hv, uint64_t mfn);
/* The guest's P2M and the hypervisor agree: every pfn entry of @p2m names
 * a frame @domid owns whose M2P names that pfn back, and there are exactly
 * tot_pages of them (so no owned frame is missing from the P2M). */
int hv_sim_check_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m,
		     struct p2msim_err *err);

/* --- the xen backend ------------------------------------------------------------------ */

/*
 * Where the xen backend looks before it opens anything, so that tests can
 * point it elsewhere: "not root", "no /dev/xen/privcmd" and "not dom0"
 * are each told apart with a sentence saying what to do.
 */
struct hv_xen_env {
	const char *privcmd;	     /* /dev/xen/privcmd */
	const char *capabilities;    /* /proc/xen/capabilities ("control_d" in dom0) */
	const char *hypervisor_type; /* /sys/hypervisor/type ("xen" on Xen) */
	long euid;		     /* -1: geteuid() */
};

void hv_xen_env_default(struct hv_xen_env *env);
/* The checks alone (built with or without Xen support): 0, or -EACCES
 * (not root), -ENOENT (no privcmd: not on Xen, or the module is not
 * loaded), -EPERM (a Xen guest that is not the control domain). */
int hv_xen_preflight(const struct hv_xen_env *env, struct p2msim_err *err);

/* Open the real hypervisor (libxenctrl etc.).  -EOPNOTSUPP with "built
 * without Xen support" when configured without it; the preflight errors
 * above; then whatever libxenctrl says.  hv_xen_open() uses the default
 * environment.
 *
 * The connection is read-only: an operation that changes a domain
 * (memory maps, reservations, max_pages, M2P, writable mappings, xenstore
 * writes under its /local/domain/N or /vm/UUID) fails with -EPERM unless
 * the domain is a scratch domain created through this connection or was
 * named with hv_xen_allow_modify().  Only scratch domains can be destroyed,
 * and hv_close() destroys those still alive. */
int hv_xen_open(struct hv **out, struct p2msim_err *err);
int hv_xen_open_env(struct hv **out, const struct hv_xen_env *env, struct p2msim_err *err);
/* Let this connection change @domid (p2msim live --allow-modify). */
int hv_xen_allow_modify(struct hv *hv, hv_domid_t domid, struct p2msim_err *err);
/* Destroy every scratch domain this connection created and is still
 * holding; returns how many, or the first error.  Safe to call twice. */
int hv_xen_destroy_scratch(struct hv *hv, struct p2msim_err *err);
/* Scratch domains currently held (for messages and tests). */
size_t hv_xen_scratch_domains(const struct hv *hv, hv_domid_t *ids, size_t max);

#endif
