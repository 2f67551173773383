/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-reservation.c - the XENMEM reservation operations of the in-memory
 * Xen (populate_physmap, increase/decrease_reservation, max_pages) and its
 * M2P (machphys_update, the M2P lookup).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

/* --- reservations ------------------------------------------------------------------------ */

int sim_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which, uint64_t *pages,
		    struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "reservation", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "reservation", domid, &d, err);
	if (rc < 0)
		return rc;
	*pages = which == HV_RESV_CURRENT ? d->tot_pages : d->max_pages;
	return 0;
}

int sim_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	int rc = sim_enter(s, "set_max_pages", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "set_max_pages", domid, &d, err);
	if (rc < 0)
		return rc;
	/* Xen dropped the new_max >= tot_pages check: a domain above its new
	 * limit keeps its pages but cannot grow until it shrinks. */
	d->max_pages = pages;
	return 0;
}

/* Room for @n more pages under max_pages. */
static bool under_max(const struct sim_domain *d, uint64_t n)
{
	return d->max_pages == HV_UNLIMITED ||
	       (d->tot_pages <= d->max_pages && n <= d->max_pages - d->tot_pages);
}

/* The result of a batch: the count, or the -errno (already recorded) of
 * the first extent when none was done. */
static long batch_result(size_t done, int why)
{
	return done || !why ? (long)done : why;
}

static long alloc_extents(struct hv *hv, const char *op, hv_domid_t domid, uint64_t *frames,
			  size_t nr, unsigned int order, bool with_gpfn, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	size_t partial, limit, i;
	int rc = sim_enter(s, op, &partial, err), why = 0;

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, op, domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0)
		return 0;
	if (!frames)
		return p2msim_err_set(err, -EFAULT, "%s(d%u): no extent list", op, d->domid);
	if (order > sim_max_order(s))
		return p2msim_err_set(err, -EINVAL,
				      "%s(d%u): order %u above the caller's max order %u", op,
				      d->domid, order, sim_max_order(s));
	limit = partial && partial < nr ? partial : nr;
	for (i = 0; i < limit; i++) {
		uint64_t mfn, gpfn = with_gpfn ? frames[i] : SIM_NO_M2P;

		if (!under_max(d, 1ULL << order)) {
			why = p2msim_err_set(err, -E2BIG,
					     "%s(d%u): over-allocation: %" PRIu64
					     " + %llu > max_pages %" PRIu64,
					     op, d->domid, d->tot_pages, 1ULL << order,
					     d->max_pages);
			break;
		}
		if (with_gpfn && gpfn > UINT64_MAX - (1ULL << order)) {
			why = p2msim_err_set(err, -EINVAL,
					     "%s(d%u): gpfn %#" PRIx64 " out of range", op,
					     d->domid, gpfn);
			break;
		}
		rc = sim_frames_alloc(s, order, d->domid, gpfn, &mfn);
		if (rc < 0) {
			why = p2msim_err_set(
				err, rc, "%s(d%u): could not allocate order=%u extent (%zu of %zu)",
				op, d->domid, order, i, nr);
			break;
		}
		d->tot_pages += 1ULL << order;
		frames[i] = mfn;
	}
	if (i == limit && limit < nr)
		why = p2msim_err_set(err, -EAGAIN,
				     "%s(d%u): injected partial success, %zu of %zu extents", op,
				     d->domid, limit, nr);
	return batch_result(i, why);
}

long sim_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			  unsigned int order, struct p2msim_err *err)
{
	return alloc_extents(hv, "populate_physmap", domid, frames, nr, order, true, err);
}

long sim_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
			      unsigned int order, struct p2msim_err *err)
{
	return alloc_extents(hv, "increase_reservation", domid, frames, nr, order, false, err);
}

long sim_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames, size_t nr,
			      unsigned int order, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	size_t partial, limit, i;
	int rc = sim_enter(s, "decrease_reservation", &partial, err), why = 0;

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "decrease_reservation", domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0)
		return 0;
	if (!frames)
		return p2msim_err_set(err, -EFAULT, "decrease_reservation(d%u): no extent list",
				      d->domid);
	if (order > sim_max_order(s))
		return p2msim_err_set(
			err, -EINVAL,
			"decrease_reservation(d%u): order %u above the caller's max order %u",
			d->domid, order, sim_max_order(s));
	limit = partial && partial < nr ? partial : nr;
	for (i = 0; i < limit; i++) {
		for (uint64_t j = 0; j < (1ULL << order); j++) {
			uint64_t mfn = frames[i] + j;
			const struct xm_node *n;

			if (frames[i] > UINT64_MAX - j || !sim_is_ram(s, mfn)) {
				why = p2msim_err_set(
					err, -EINVAL,
					"decrease_reservation(d%u): page number %#" PRIx64
					" invalid",
					d->domid, frames[i] + j);
				break;
			}
			n = xm_lookup(&s->owned, mfn);
			if (!n || n->owner != d->domid) {
				why = p2msim_err_set(
					err, -ENXIO,
					"decrease_reservation(d%u): bad page free: mfn %#" PRIx64
					" is not the domain's",
					d->domid, mfn);
				break;
			}
			rc = sim_frames_release(s, mfn, mfn + 1);
			if (rc < 0) {
				why = p2msim_err_set(err, rc,
						     "decrease_reservation(d%u): out of memory",
						     d->domid);
				break;
			}
			d->tot_pages--;
		}
		if (why)
			break;
	}
	if (!why && limit < nr)
		why = p2msim_err_set(
			err, -EAGAIN,
			"decrease_reservation(d%u): injected partial success, %zu of %zu extents",
			d->domid, limit, nr);
	return batch_result(i, why);
}

/* The domain many calls at once go to, or NULL when they must be made one
 * by one: a fault rule is armed (it fires on the call it names), no such
 * domain, or no call. */
static struct sim_domain *runs_domain(struct hv_sim *s, hv_domid_t domid, unsigned long calls)
{
	return s->nr_rules || !calls ? NULL : sim_find_domain(s, domid);
}

/*
 * Many whole decrease_reservation calls at once (hv.h): the frames go back
 * a run at a time, each call still counts as one operation.  With a fault
 * rule armed the calls must be made one by one so that it fires on the one
 * it names; a frame that is not the domain's makes one of the calls fail,
 * which only the calls themselves can say.
 */
int sim_decrease_reservation_runs(struct hv *hv, hv_domid_t domid, const struct hv_frame_run *runs,
				  size_t nr_runs, unsigned long calls, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d = runs_domain(s, domid, calls);
	uint64_t total = 0;

	if (!d)
		return -EAGAIN;
	for (size_t i = 0; i < nr_runs; i++) {
		uint64_t mfn = runs[i].mfn, end = runs[i].mfn + runs[i].n;

		if (end < mfn)
			return -EAGAIN;
		while (mfn < end) {
			const struct xm_node *n = xm_lookup(&s->owned, mfn);

			if (!n || n->owner != d->domid || !sim_is_ram(s, mfn))
				return -EAGAIN;
			mfn = n->end < end ? n->end : end;
		}
		total += runs[i].n;
	}
	if (total > d->tot_pages)
		return -EAGAIN;
	s->op_count += calls;
	for (size_t i = 0; i < nr_runs; i++) {
		int rc = sim_frames_release(s, runs[i].mfn, runs[i].mfn + runs[i].n);

		if (rc < 0)
			return p2msim_err_set(err, rc, "decrease_reservation(d%u): out of memory",
					      d->domid);
		d->tot_pages -= runs[i].n;
	}
	return 0;
}

/*
 * Many whole populate_physmap calls of order 0 at once (hv.h).  Each page
 * alloc_extents() gives is the highest free frame, so the calls one after
 * another hand out free memory from its top down, an extent at a time:
 * here a stretch of it goes to a stretch of gpfns in one step, and the
 * owned extents it makes coalesce as the single frames would.  Each call
 * still counts as one operation.  With a fault rule armed the calls must
 * be made one by one so that it fires on the one it names; when max_pages
 * or free memory would stop one of the calls, so that only the calls can
 * say where.
 */
int sim_populate_physmap_runs(struct hv *hv, hv_domid_t domid, const struct hv_gpfn_run *runs,
			      size_t nr_runs, unsigned long calls, hv_placed_fn placed, void *ctx,
			      struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d = runs_domain(s, domid, calls);
	uint64_t total = 0;

	if (!d)
		return -EAGAIN;
	for (size_t i = 0; i < nr_runs; i++) {
		const struct hv_gpfn_run *r = &runs[i];

		if (!r->n)
			continue;
		/* (alloc_extents() refuses the gpfn UINT64_MAX) */
		if ((r->down ? r->first < r->n - 1 || r->first == UINT64_MAX :
			       r->n > UINT64_MAX - r->first) ||
		    r->n > UINT64_MAX - total)
			return -EAGAIN;
		total += r->n;
	}
	if (total > s->nr_free || (s->free_limit != UINT64_MAX && total > s->free_limit) ||
	    !under_max(d, total))
		return -EAGAIN;
	s->op_count += calls;
	for (size_t i = 0; i < nr_runs; i++) {
		uint64_t left = runs[i].n, cur = runs[i].first;

		while (left) {
			const struct xm_node *f = xm_last(&s->free);
			uint64_t m = f->end - f->start < left ? f->end - f->start : left;
			uint64_t hi = f->end, lo = hi - m;
			int rc = sim_free_take(s, lo, hi);

			if (s->free_limit != UINT64_MAX)
				s->free_limit -= m;
			d->tot_pages += m;
			left -= m;
			if (rc == 0 && runs[i].down) {
				/* frame hi - 1 - j backs gpfn cur - j: one linear stretch */
				rc = sim_own_insert(s, lo, hi, d->domid, cur - (m - 1));
				if (rc == 0 && placed &&
				    (rc = placed(ctx, cur - (m - 1), lo, m)) < 0)
					return rc;
				cur -= m;
			}
			/* gpfns that climb while the frames fall: a stretch a frame */
			for (uint64_t j = 0; rc == 0 && !runs[i].down && j < m; j++, cur++) {
				rc = sim_own_insert(s, hi - 1 - j, hi - j, d->domid, cur);
				if (rc == 0 && placed && (rc = placed(ctx, cur, hi - 1 - j, 1)) < 0)
					return rc;
			}
			if (rc < 0)
				return p2msim_err_set(
					err, rc, "populate_physmap(d%u): out of memory", d->domid);
		}
	}
	return 0;
}

/* --- M2P ------------------------------------------------------------------------------------ */

int sim_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct xm_node *n;
	int rc = sim_enter(s, "machphys_update", NULL, err);

	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "machphys_update", domid, &d, err);
	if (rc < 0)
		return rc;
	n = xm_lookup(&s->owned, mfn);
	if (!n || n->owner != d->domid)
		return p2msim_err_set(err, -EINVAL,
				      "machphys_update(d%u): mfn %#" PRIx64 " is not the domain's",
				      d->domid, mfn);
	if (sim_node_m2p(n, mfn) == pfn)
		return 0;
	rc = sim_own_split(s, mfn);
	if (rc == 0)
		rc = sim_own_split(s, mfn + 1);
	if (rc < 0)
		return p2msim_err_set(err, rc, "machphys_update(d%u): out of memory", d->domid);
	n = xm_lookup(&s->owned, mfn);
	n->m2p = pfn;
	sim_own_coalesce(s, n);
	return 0;
}

/*
 * A run of machphys updates in one step: split the owned extents at both
 * ends, give every extent in between its part of the run, merge.  Each
 * frame is still one operation: the op count advances by the number done
 * and, while a fault rule is armed, the frames go one by one through
 * sim_machphys_update() so that the rule fires on the frame it names.
 */
uint64_t sim_machphys_update_range(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
				   uint64_t n, int *rc, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct xm_node *x;
	uint64_t i, end;

	*rc = 0;
	if (s->nr_rules || n < 2 || mfn > UINT64_MAX - n || pfn > UINT64_MAX - n) {
		for (i = 0; i < n; i++)
			if ((*rc = sim_machphys_update(hv, domid, mfn + i, pfn + i, err)) < 0)
				break;
		return i;
	}
	*rc = sim_get_domain(s, "machphys_update", domid, &d, err);
	if (*rc < 0) {
		s->op_count++; /* the first update was made, and failed */
		return 0;
	}
	/* the frames the domain owns from @mfn on, without a gap */
	end = mfn;
	for (x = xm_lookup(&s->owned, mfn); x && x->owner == d->domid && end < mfn + n;
	     x = xm_find_ge(&s->owned, x->end)) {
		if (x->start > end)
			break;
		end = x->end < mfn + n ? x->end : mfn + n;
	}
	if (end > mfn) {
		if ((*rc = sim_own_split(s, mfn)) < 0 || (*rc = sim_own_split(s, end)) < 0) {
			p2msim_err_set(err, *rc, "machphys_update(d%u): out of memory", d->domid);
			return 0;
		}
		for (x = xm_lookup(&s->owned, mfn); x && x->start < end;) {
			uint64_t next = x->end;

			x->m2p = pfn + (x->start - mfn);
			x = sim_own_coalesce(s, x);
			x = xm_find_ge(&s->owned, x->end > next ? x->end : next);
		}
		s->op_count += end - mfn;
	}
	if (end == mfn + n)
		return n;
	/* the frame that is not the domain's fails as a single update would */
	*rc = sim_machphys_update(hv, domid, end, pfn + (end - mfn), err);
	return end - mfn + (*rc == 0);
}

static uint64_t m2p_of(const struct hv_sim *s, uint64_t mfn)
{
	const struct xm_node *n = xm_lookup(&s->owned, mfn);

	return n ? sim_node_m2p(n, mfn) : SIM_NO_M2P;
}

int sim_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);

	if (!s->nr_ram || mfn >= s->ram[s->nr_ram - 1].end)
		return p2msim_err_set(err, -EINVAL, "m2p: mfn %#" PRIx64 " beyond the machine",
				      mfn);
	*pfn = m2p_of(s, mfn);
	return 0;
}

int sim_m2p_run(struct hv *hv, uint64_t mfn, uint64_t *pfn, uint64_t *len, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	const struct xm_node *n;
	int rc = sim_m2p(hv, mfn, pfn, err);

	*len = 1;
	if (rc < 0)
		return rc;
	/* the extent's frames continue each other (or are all unset); frames
	 * no domain owns are unset up to the next owned extent */
	n = xm_lookup(&s->owned, mfn);
	if (n) {
		*len = n->end - mfn;
	} else {
		n = xm_find_ge(&s->owned, mfn);
		*len = (n ? n->start : s->ram[s->nr_ram - 1].end) - mfn;
	}
	return 0;
}

uint64_t hv_sim_m2p_lookup(void *hv, uint64_t mfn)
{
	struct hv *h = hv;

	if (!h || h->ops != &sim_ops)
		return SIM_NO_M2P;
	return m2p_of(hv_sim_of(h), mfn);
}
