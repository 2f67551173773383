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

#define SIM_NO_M2P	UINT64_MAX	/* M2P entry unset (INVALID_M2P_ENTRY) */
#define SIM_OWNER_XEN	0x7ff2u		/* DOMID_XEN: frames Xen keeps */
#define SIM_PAGE_SIZE	4096u

/* --- the extent map ------------------------------------------------------- */

struct xm_node {
	uint64_t start, end;		/* [start, end) machine frames */
	uint64_t m2p;			/* M2P of start, or SIM_NO_M2P */
	uint32_t owner;			/* domid (owned map only) */
	uint32_t prio;			/* treap priority */
	struct xm_node *l, *r;
};

struct xm {
	struct xm_node *root;
	size_t count;			/* nodes */
	uint64_t seed;			/* xorshift state for priorities */
};

void xm_init(struct xm *m, uint64_t seed);
void xm_fini(struct xm *m);
/* A new detached node (NULL on -ENOMEM). */
struct xm_node *xm_node_new(struct xm *m, uint64_t start, uint64_t end, uint32_t owner,
			    uint64_t m2p);
/* Link a node whose start is not yet a key of the map. */
void xm_insert(struct xm *m, struct xm_node *n);
/* Unlink the node with this start (the caller owns it afterwards). */
struct xm_node *xm_remove(struct xm *m, uint64_t start);
struct xm_node *xm_find_le(const struct xm *m, uint64_t key);	/* greatest start <= key */
struct xm_node *xm_find_lt(const struct xm *m, uint64_t key);	/* greatest start < key */
struct xm_node *xm_find_ge(const struct xm *m, uint64_t key);	/* smallest start >= key */
struct xm_node *xm_last(const struct xm *m);
/* The extent holding frame @key, or NULL. */
struct xm_node *xm_lookup(const struct xm *m, uint64_t key);

static inline struct xm_node *xm_first(const struct xm *m)
{
	return xm_find_ge(m, 0);
}

static inline struct xm_node *xm_next(const struct xm *m, const struct xm_node *n)
{
	return n->start == UINT64_MAX ? NULL : xm_find_ge(m, n->start + 1);
}

static inline struct xm_node *xm_prev(const struct xm *m, const struct xm_node *n)
{
	return xm_find_lt(m, n->start);
}

/* --- the simulated hypervisor ------------------------------------------------ */

typedef int (*hv_sim_frame_reader)(void *ctx, uint64_t mfn, void *page);

struct sim_domain {
	hv_domid_t domid;
	uint64_t tot_pages;
	uint64_t max_pages;		/* HV_UNLIMITED: none */
	uint64_t shared_info_mfn;
	unsigned int guest_width;
	bool pv;
	bool has_map;			/* XENMEM_set_memory_map was called */
	struct e820_table map;
	struct hv_p2m_info p2m_info;
	hv_sim_frame_reader reader;	/* frames served by the guest model */
	void *reader_ctx;
	const struct p2m *p2m;		/* hv_sim_attach_p2m() */
};

struct sim_rule {
	char op[32];			/* "" = any operation */
	unsigned long countdown;	/* fires when it reaches 0 */
	int error;
	size_t partial;
};

struct sim_page {			/* frame contents, by MFN */
	uint64_t mfn;
	struct sim_page *next;
	unsigned char data[SIM_PAGE_SIZE];
};

struct sim_mapping {			/* one map_frames() result */
	void *addr;
	size_t nr;
	hv_domid_t domid;
	bool writable;
	uint64_t *mfns;
	bool *backed;			/* frame i is in the content store's domain */
	struct sim_mapping *next;
};

struct sim_xs_node {
	char *path, *value;
};

struct sim_range {
	uint64_t start, end;
};

struct hv_sim {
	struct hv hv;			/* must stay first */
	struct e820_table machine;	/* XENMEM_machine_memory_map */
	struct sim_range *ram;		/* RAM frames, sorted and merged */
	size_t nr_ram;
	uint64_t total_frames;

	struct xm free, owned;
	uint64_t nr_free;
	uint64_t free_limit;		/* UINT64_MAX: no limit */

	struct sim_domain **doms;
	size_t nr_doms, alloc_doms;
	hv_domid_t current;		/* what DOMID_SELF means */

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

#endif
