/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-internal.h - the in-memory Xen's private structures.
 *
 * Machine memory is described by extents, never by per-frame arrays, so
 * that a machine with hundreds of GiB costs a few kilobytes until it is
 * fragmented:
 *
 *   free   extents [start, end) of free machine frames, coalesced;
 *   owned  extents [start, end) of frames owned by one domain (or Xen),
 *          whose M2P is either unset for the whole extent or the linear
 *          run m2p, m2p + 1, ...  Neighbours that continue each other are
 *          merged, so a builder's contiguous chunk is one extent and a
 *          frame ballooned out of its middle splits it in three.
 *
 * Both are ordered maps keyed by start (a treap: expected O(log n) per
 * operation, iteration by successor search).  Every RAM frame of the
 * machine is in exactly one extent of exactly one of the two maps;
 * hv_sim_check() proves it.
 *
 * Tests include this header to reach the internals; nothing outside hv/
 * and tests/ should.
 */
#ifndef P2MSIM_HV_SIM_INTERNAL_H
#define P2MSIM_HV_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"
#include "e820/e820.h"
#include "util/page.h"

#define SIM_NO_M2P UINT64_MAX /* M2P entry unset (INVALID_M2P_ENTRY) */
#define SIM_OWNER_XEN 0x7ff2u /* DOMID_XEN: frames Xen keeps */

#define SIM_DOMU_MAX_ORDER 9 /* Xen CONFIG_DOMU_MAX_ORDER */
#define SIM_CTLDOM_MAX_ORDER \
	18 /* CONFIG_PAGEALLOC_MAX_ORDER: dom0 is the
					 * control and hardware domain */
#define SIM_DOM0_CHUNK_ORDER \
	15			   /* Xen's first dom0 chunk: the order of a
					 * 64-74 MiB kernel image (+ tables) */
#define SIM_DOMU_SUPERPAGE_ORDER 9 /* libxc meminit_pv: 2 MiB first */
#define SIM_MAX_DOMAINS 0x7ff0u	   /* DOMID_FIRST_RESERVED */

/* --- the extent map ------------------------------------------------------- */

struct xm_node {
	uint64_t start, end; /* [start, end) machine frames */
	uint64_t m2p;	     /* M2P of start, or SIM_NO_M2P */
	uint32_t owner;	     /* domid (owned map only) */
	uint32_t prio;	     /* treap priority */
	struct xm_node *l, *r;
	struct xm_node *prev, *next; /* the same nodes in key order */
};

struct xm {
	struct xm_node *root;
	struct xm_node *head, *tail; /* first and last in key order */
	struct xm_node *hint;	     /* the extent xm_lookup() found last */
	struct xm_node *spare;	     /* freed nodes, linked through r */
	void **blocks;		     /* nodes come in blocks of XM_BLOCK */
	size_t nr_blocks, block_used;
	size_t count;  /* nodes */
	uint64_t seed; /* xorshift state for priorities */
};

void xm_init(struct xm *m, uint64_t seed);
void xm_fini(struct xm *m);
/* A new detached node (NULL on -ENOMEM); nodes go back to their map's
 * store with xm_node_free(), all of them at xm_fini(). */
struct xm_node *xm_node_new(struct xm *m, uint64_t start, uint64_t end, uint32_t owner,
			    uint64_t m2p);
void xm_node_free(struct xm *m, struct xm_node *n);
/* Link a node whose start is not yet a key of the map. */
void xm_insert(struct xm *m, struct xm_node *n);
/* Unlink the node with this start (the caller owns it afterwards). */
struct xm_node *xm_remove(struct xm *m, uint64_t start);
struct xm_node *xm_find_le(const struct xm *m, uint64_t key); /* greatest start <= key */
struct xm_node *xm_find_lt(const struct xm *m, uint64_t key); /* greatest start < key */
struct xm_node *xm_find_ge(const struct xm *m, uint64_t key); /* smallest start >= key */
struct xm_node *xm_last(const struct xm *m);
/* The extent holding frame @key, or NULL.  Looking up next to the extent
 * found last (the one before or after it) costs O(1). */
struct xm_node *xm_lookup(const struct xm *m, uint64_t key);

/* Walking in key order costs O(1) a step: the nodes are also a list. */
static inline struct xm_node *xm_first(const struct xm *m)
{
	return m->head;
}

static inline struct xm_node *xm_next(const struct xm *m, const struct xm_node *n)
{
	(void)m;
	return n->next;
}

static inline struct xm_node *xm_prev(const struct xm *m, const struct xm_node *n)
{
	(void)m;
	return n->prev;
}

/* --- the simulated hypervisor ------------------------------------------------ */

typedef int (*hv_sim_frame_reader)(void *ctx, uint64_t mfn, void *page);

struct sim_domain {
	hv_domid_t domid;
	uint64_t tot_pages;
	uint64_t max_pages; /* HV_UNLIMITED: none */
	uint64_t shared_info_mfn;
	unsigned int guest_width;
	bool pv;
	bool has_map; /* XENMEM_set_memory_map was called */
	struct e820_table map;
	struct hv_p2m_info p2m_info;
	hv_sim_frame_reader reader; /* frames served by the guest model */
	void *reader_ctx;
	const struct p2m *p2m;		 /* hv_sim_attach_p2m() */
	uint64_t alias_start, alias_end; /* hv_sim_allow_m2p_alias() */
};

struct sim_rule {
	char op[32];		 /* "" = any operation */
	unsigned long countdown; /* fires when it reaches 0 */
	int error;
	size_t partial;
};

struct sim_page { /* frame contents, by MFN */
	uint64_t mfn;
	struct sim_page *next;
	unsigned char data[PAGE_SIZE];
};

struct sim_mapping { /* one map_frames() result */
	void *addr;
	size_t nr;
	hv_domid_t domid;
	bool writable;
	uint64_t *mfns;
	bool *backed; /* frame i is in the content store's domain */
	struct sim_mapping *next;
};

struct sim_xs_node {
	char *path, *value;
};

struct sim_range {
	uint64_t start, end;
};

struct hv_sim {
	struct hv hv;		   /* must stay first */
	struct e820_table machine; /* XENMEM_machine_memory_map */
	struct sim_range *ram;	   /* RAM frames, sorted and merged */
	size_t nr_ram;
	uint64_t total_frames;

	struct xm free, owned;
	uint64_t nr_free;
	uint64_t free_limit; /* UINT64_MAX: no limit */

	struct sim_domain **doms;
	size_t nr_doms, alloc_doms;
	hv_domid_t current; /* what DOMID_SELF means */

	struct sim_rule *rules;
	size_t nr_rules, alloc_rules;
	unsigned long op_count;

	struct sim_page **buckets;
	size_t nr_buckets, nr_pages;

	struct sim_mapping *mappings;

	struct sim_xs_node *xs;
	size_t nr_xs, alloc_xs;

	/* The sim itself ran out of memory (not Xen's heap): an operation
	 * failed, or lost what a guest wrote, as Xen would not have; what
	 * follows is no longer a simulation of Xen (hv_sim_out_of_memory). */
	bool host_oom;
};

static inline struct hv_sim *hv_sim_of(struct hv *hv)
{
	return (struct hv_sim *)(void *)hv;
}

/* The M2P of frame @mfn of extent @n. */
static inline uint64_t sim_node_m2p(const struct xm_node *n, uint64_t mfn)
{
	return n->m2p == SIM_NO_M2P ? SIM_NO_M2P : n->m2p + (mfn - n->start);
}

/* --- between the files of the sim (sim.c lists them) ------------------------- */

extern const struct hv_ops sim_ops;

/* sim.c: domains and helpers */
int sim_oom(struct hv_sim *s);
struct sim_domain *sim_find_domain(const struct hv_sim *s, hv_domid_t domid);
int sim_get_domain(const struct hv_sim *s, const char *op, hv_domid_t domid, struct sim_domain **d,
		   struct p2msim_err *err);
unsigned int sim_max_order(const struct hv_sim *s);
bool sim_is_ram(const struct hv_sim *s, uint64_t mfn);

/* sim-faults.c: every operation enters here; *@partial caps a batch. */
int sim_enter(struct hv_sim *s, const char *op, size_t *partial, struct p2msim_err *err);

/* sim-frames.c: the free and owned maps */
int sim_free_add(struct hv_sim *s, uint64_t start, uint64_t end);
int sim_free_take(struct hv_sim *s, uint64_t start, uint64_t end);
struct xm_node *sim_own_coalesce(struct hv_sim *s, struct xm_node *n);
int sim_own_insert(struct hv_sim *s, uint64_t start, uint64_t end, uint32_t owner, uint64_t m2p);
int sim_own_split(struct hv_sim *s, uint64_t x);
int sim_frames_alloc(struct hv_sim *s, unsigned int order, uint32_t owner, uint64_t m2p,
		     uint64_t *mfn);
int sim_frames_release(struct hv_sim *s, uint64_t start, uint64_t end);

/* sim-contents.c: frame contents and mappings */
struct sim_page *sim_page_find(const struct hv_sim *s, uint64_t mfn);
struct sim_page *sim_page_get(struct hv_sim *s, uint64_t mfn);
void sim_page_drop_range(struct hv_sim *s, uint64_t start, uint64_t end);
int sim_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr, bool writable,
		   void **addr, struct p2msim_err *err);
void sim_unmap_frames(struct hv *hv, void *addr, size_t nr);

/* sim-reservation.c */
int sim_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which, uint64_t *pages,
		    struct p2msim_err *err);
int sim_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages, struct p2msim_err *err);
long sim_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			  unsigned int order, struct p2msim_err *err);
long sim_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			      unsigned int order, struct p2msim_err *err);
long sim_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames, size_t nr,
			      unsigned int order, struct p2msim_err *err);
int sim_decrease_reservation_runs(struct hv *hv, hv_domid_t domid, const struct hv_frame_run *runs,
				  size_t nr_runs, unsigned long calls, struct p2msim_err *err);
int sim_populate_physmap_runs(struct hv *hv, hv_domid_t domid, const struct hv_gpfn_run *runs,
			      size_t nr_runs, unsigned long calls, hv_placed_fn placed, void *ctx,
			      struct p2msim_err *err);
int sim_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			struct p2msim_err *err);
int sim_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err);
int sim_m2p_run(struct hv *hv, uint64_t mfn, uint64_t *pfn, uint64_t *len, struct p2msim_err *err);
uint64_t sim_machphys_update_range(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
				   uint64_t n, int *rc, struct p2msim_err *err);

/* sim-xenstore.c */
int sim_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err);
int sim_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err);

#endif
