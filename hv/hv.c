/* SPDX-License-Identifier: MIT */
/*
 * hv/hv.c - calling a hypervisor backend.
 *
 * Each wrapper refuses a backend that lacks the operation with -EOPNOTSUPP
 * and a sentence naming the operation and the backend, and otherwise calls
 * straight through: the backends fill the error themselves.
 */
#include <errno.h>
#include <stddef.h>

#include "hv/hv.h"

const char *hv_name(const struct hv *hv)
{
	return hv && hv->ops && hv->ops->name ? hv->ops->name : "(none)";
}

static int missing(const struct hv *hv, const char *op, struct p2msim_err *err)
{
	return p2msim_err_set(err, -EOPNOTSUPP, "%s: not supported by the %s hypervisor backend",
			      op, hv_name(hv));
}

/* The operation exists: a backend, its table and the slot. */
#define HAS(hv, op) ((hv) && (hv)->ops && (hv)->ops->op)

int hv_machine_memory_map(struct hv *hv, struct e820_table *out, struct p2msim_err *err)
{
	if (!HAS(hv, machine_memory_map))
		return missing(hv, "machine_memory_map", err);
	return hv->ops->machine_memory_map(hv, out, err);
}

int hv_memory_map(struct hv *hv, hv_domid_t domid, struct e820_table *out, struct p2msim_err *err)
{
	if (!HAS(hv, memory_map))
		return missing(hv, "memory_map", err);
	return hv->ops->memory_map(hv, domid, out, err);
}

int hv_set_memory_map(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
		      struct p2msim_err *err)
{
	if (!HAS(hv, set_memory_map))
		return missing(hv, "set_memory_map", err);
	return hv->ops->set_memory_map(hv, domid, map, err);
}

int hv_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which, uint64_t *pages,
		   struct p2msim_err *err)
{
	if (!HAS(hv, reservation))
		return missing(hv, "reservation", err);
	return hv->ops->reservation(hv, domid, which, pages, err);
}

int hv_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages, struct p2msim_err *err)
{
	if (!HAS(hv, set_max_pages))
		return missing(hv, "set_max_pages", err);
	return hv->ops->set_max_pages(hv, domid, pages, err);
}

long hv_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			 unsigned int order, struct p2msim_err *err)
{
	if (!HAS(hv, populate_physmap))
		return missing(hv, "populate_physmap", err);
	return hv->ops->populate_physmap(hv, domid, frames, nr, order, err);
}

long hv_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			     unsigned int order, struct p2msim_err *err)
{
	if (!HAS(hv, increase_reservation))
		return missing(hv, "increase_reservation", err);
	return hv->ops->increase_reservation(hv, domid, frames, nr, order, err);
}

long hv_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames, size_t nr,
			     unsigned int order, struct p2msim_err *err)
{
	if (!HAS(hv, decrease_reservation))
		return missing(hv, "decrease_reservation", err);
	return hv->ops->decrease_reservation(hv, domid, frames, nr, order, err);
}

int hv_decrease_reservation_runs(struct hv *hv, hv_domid_t domid, const struct hv_frame_run *runs,
				 size_t nr_runs, unsigned long calls, struct p2msim_err *err)
{
	if (!HAS(hv, decrease_reservation_runs))
		return -EOPNOTSUPP;
	return hv->ops->decrease_reservation_runs(hv, domid, runs, nr_runs, calls, err);
}

int hv_populate_physmap_runs(struct hv *hv, hv_domid_t domid, const struct hv_gpfn_run *runs,
			     size_t nr_runs, unsigned long calls, hv_placed_fn placed, void *ctx,
			     struct p2msim_err *err)
{
	if (!HAS(hv, populate_physmap_runs))
		return -EOPNOTSUPP;
	return hv->ops->populate_physmap_runs(hv, domid, runs, nr_runs, calls, placed, ctx, err);
}

int hv_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
		       struct p2msim_err *err)
{
	if (!HAS(hv, machphys_update))
		return missing(hv, "machphys_update", err);
	return hv->ops->machphys_update(hv, domid, mfn, pfn, err);
}

uint64_t hv_machphys_update_range(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
				  uint64_t n, int *rc, struct p2msim_err *err)
{
	uint64_t i;

	*rc = 0;
	if (HAS(hv, machphys_update_range))
		return hv->ops->machphys_update_range(hv, domid, mfn, pfn, n, rc, err);
	for (i = 0; i < n; i++) {
		*rc = hv_machphys_update(hv, domid, mfn + i, pfn + i, err);
		if (*rc < 0)
			break;
	}
	return i;
}

int hv_m2p_run(struct hv *hv, uint64_t mfn, uint64_t *pfn, uint64_t *len, struct p2msim_err *err)
{
	*len = 1;
	if (HAS(hv, m2p_run))
		return hv->ops->m2p_run(hv, mfn, pfn, len, err);
	return hv_m2p(hv, mfn, pfn, err);
}

int hv_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err)
{
	if (!HAS(hv, m2p))
		return missing(hv, "m2p", err);
	return hv->ops->m2p(hv, mfn, pfn, err);
}

int hv_domain_info(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
		   struct p2msim_err *err)
{
	if (!HAS(hv, domain_info))
		return missing(hv, "domain_info", err);
	return hv->ops->domain_info(hv, domid, info, err);
}

int hv_p2m_info(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info, struct p2msim_err *err)
{
	if (!HAS(hv, p2m_info))
		return missing(hv, "p2m_info", err);
	return hv->ops->p2m_info(hv, domid, info, err);
}

int hv_set_p2m_info(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
		    struct p2msim_err *err)
{
	if (!HAS(hv, set_p2m_info))
		return missing(hv, "set_p2m_info", err);
	return hv->ops->set_p2m_info(hv, domid, info, err);
}

int hv_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr, bool writable,
		  void **addr, struct p2msim_err *err)
{
	if (!HAS(hv, map_frames))
		return missing(hv, "map_frames", err);
	return hv->ops->map_frames(hv, domid, mfns, nr, writable, addr, err);
}

void hv_unmap_frames(struct hv *hv, void *addr, size_t nr)
{
	if (HAS(hv, unmap_frames) && addr)
		hv->ops->unmap_frames(hv, addr, nr);
}

int hv_create_domain(struct hv *hv, hv_domid_t *domid, struct p2msim_err *err)
{
	if (!HAS(hv, create_domain))
		return missing(hv, "create_domain", err);
	return hv->ops->create_domain(hv, domid, err);
}

int hv_destroy_domain(struct hv *hv, hv_domid_t domid, struct p2msim_err *err)
{
	if (!HAS(hv, destroy_domain))
		return missing(hv, "destroy_domain", err);
	return hv->ops->destroy_domain(hv, domid, err);
}

int hv_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err)
{
	if (!HAS(hv, xs_read))
		return missing(hv, "xs_read", err);
	return hv->ops->xs_read(hv, path, value, err);
}

int hv_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err)
{
	if (!HAS(hv, xs_write))
		return missing(hv, "xs_write", err);
	return hv->ops->xs_write(hv, path, value, err);
}

int hv_frame_types(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
		   uint32_t *types, struct p2msim_err *err)
{
	if (!HAS(hv, frame_types))
		return missing(hv, "frame_types", err);
	return hv->ops->frame_types(hv, domid, mfns, nr, types, err);
}

int hv_xen_info(struct hv *hv, struct hv_xen_info *info, struct p2msim_err *err)
{
	if (!HAS(hv, xen_info))
		return missing(hv, "xen_info", err);
	return hv->ops->xen_info(hv, info, err);
}

int hv_console_read(struct hv *hv, char **text, size_t *len, struct p2msim_err *err)
{
	if (!HAS(hv, console_read))
		return missing(hv, "console_read", err);
	return hv->ops->console_read(hv, text, len, err);
}
