/* SPDX-License-Identifier: MIT */
/*
 * live/replay.c - a hypervisor that is two: the model's (sim) and a real
 * one, kept in step operation by operation (see live-internal.h).
 *
 * The kernel model and the balloon model call the hypervisor interface;
 * given this backend they drive a real scratch domain with the very
 * XENMEM operations and M2P updates they make on the model, in the same
 * order and with the same pfns.  Only frame numbers differ: Xen hands out
 * its own MFNs, so each model MFN is paired with the real MFN handed out
 * by the same extent.  The pairs are kept as runs (live/runmap.c): a
 * model run [m, m + n) paired with real frames from r up or down, split
 * when a part is given back or paired anew, so that the replay's memory
 * and time follow the extents Xen hands out, not the frames.  Where
 * Xen's answer is frame by frame (extents of order 0), the frames of one
 * call are joined into runs as they arrive.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "live/live-internal.h"
#include "util/array.h"

struct replay {
	struct hv hv; /* must stay first */
	struct hv *model, *real;
	hv_domid_t model_domid, real_domid;
	struct live_runmap to_real; /* model mfn -> real mfn */
	struct live_runmap stamped; /* model mfns whose real frame holds the pattern */
	struct live_run *released;  /* real frames given back, as they were */
	size_t nr_released, alloc_released;
	uint64_t nr_frames; /* model mfns lie below */
	unsigned long real_ops;
};

static const struct hv_ops replay_ops;

static struct replay *replay_of(struct hv *hv)
{
	return (struct replay *)(void *)hv;
}

static const struct replay *creplay_of(const struct hv *hv)
{
	return (const struct replay *)(const void *)hv;
}

static bool ours(const struct replay *r, hv_domid_t domid)
{
	return domid == r->model_domid;
}

static int oom(struct p2msim_err *err)
{
	return p2msim_err_set(err, -ENOMEM, "replay: out of memory");
}

/*
 * Pair the model runs of @runs (model start and end, the real frame of
 * the start as val, step +1: an extent's frames are consecutive on both
 * sides) after joining the ones that continue one another.  @runs is
 * reordered.
 */
static int pair_runs(struct replay *r, struct live_run *runs, size_t n, struct p2msim_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (runs[i].end > r->nr_frames)
			return p2msim_err_set(err, -ERANGE,
					      "replay: model mfn %#" PRIx64 " beyond the %#" PRIx64
					      " frames paired",
					      runs[i].start > r->nr_frames ? runs[i].start :
									     r->nr_frames,
					      r->nr_frames);
	n = live_runs_coalesce(runs, n);
	for (size_t i = 0; i < n; i++)
		if (live_runmap_set(&r->to_real, &runs[i]) < 0 ||
		    live_runmap_clear(&r->stamped, runs[i].start, runs[i].end) < 0)
			return oom(err);
	return 0;
}

/* "the model did A, Xen did B" */
static int diverged(struct p2msim_err *err, const char *op, hv_domid_t domid, long model, long real,
		    size_t nr, const char *why)
{
	return p2msim_err_set(err, -EUCLEAN,
			      "replay %s(d%u): the model did %ld of %zu extents, "
			      "Xen %ld%s%s",
			      op, domid, model, nr, real, why && *why ? ": " : "", why ? why : "");
}

/* --- pass-through ---------------------------------------------------------------- */

static int rp_machine_memory_map(struct hv *hv, struct e820_table *out, struct p2msim_err *err)
{
	return hv_machine_memory_map(replay_of(hv)->model, out, err);
}

static int rp_memory_map(struct hv *hv, hv_domid_t domid, struct e820_table *out,
			 struct p2msim_err *err)
{
	return hv_memory_map(replay_of(hv)->model, domid, out, err);
}

static int rp_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which,
			  uint64_t *pages, struct p2msim_err *err)
{
	return hv_reservation(replay_of(hv)->model, domid, which, pages, err);
}

static int rp_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err)
{
	return hv_m2p(replay_of(hv)->model, mfn, pfn, err);
}

static int rp_domain_info(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
			  struct p2msim_err *err)
{
	return hv_domain_info(replay_of(hv)->model, domid, info, err);
}

static int rp_p2m_info(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info,
		       struct p2msim_err *err)
{
	return hv_p2m_info(replay_of(hv)->model, domid, info, err);
}

static int rp_set_p2m_info(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
			   struct p2msim_err *err)
{
	return hv_set_p2m_info(replay_of(hv)->model, domid, info, err);
}

static int rp_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			 bool writable, void **addr, struct p2msim_err *err)
{
	return hv_map_frames(replay_of(hv)->model, domid, mfns, nr, writable, addr, err);
}

static void rp_unmap_frames(struct hv *hv, void *addr, size_t nr)
{
	hv_unmap_frames(replay_of(hv)->model, addr, nr);
}

static int rp_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err)
{
	return hv_xs_read(replay_of(hv)->model, path, value, err);
}

static int rp_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err)
{
	return hv_xs_write(replay_of(hv)->model, path, value, err);
}

/* --- replayed ------------------------------------------------------------------------ */

static int rp_set_memory_map(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
			     struct p2msim_err *err)
{
	struct replay *r = replay_of(hv);
	int rc = hv_set_memory_map(r->model, domid, map, err);

	if (rc < 0 || !ours(r, domid))
		return rc;
	r->real_ops++;
	return hv_set_memory_map(r->real, r->real_domid, map, err);
}

static int rp_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages, struct p2msim_err *err)
{
	struct replay *r = replay_of(hv);
	int rc = hv_set_max_pages(r->model, domid, pages, err);

	if (rc < 0 || !ours(r, domid))
		return rc;
	r->real_ops++;
	return hv_set_max_pages(r->real, r->real_domid, pages, err);
}

/* populate (@gpfns true) or increase: the model first, then Xen for the
 * extents the model did, pairing the frames each handed out. */
static long grow(struct hv *hv, const char *op, bool gpfns, hv_domid_t domid, uint64_t *frames,
		 size_t nr, unsigned int order, struct p2msim_err *err)
{
	struct replay *r = replay_of(hv);
	uint64_t *real = NULL;
	long done, rdone;
	struct p2msim_err rerr = { 0 };

	if (ours(r, domid) && nr) {
		real = malloc(nr * sizeof(*real));
		if (!real)
			return oom(err);
		memcpy(real, frames, nr * sizeof(*real)); /* the gpfns, for populate */
	}
	done = gpfns ? hv_populate_physmap(r->model, domid, frames, nr, order, err) :
		       hv_increase_reservation(r->model, domid, frames, nr, order, err);
	if (!real || done <= 0) {
		free(real);
		return done;
	}
	r->real_ops++;
	rdone = gpfns ? hv_populate_physmap(r->real, r->real_domid, real, (size_t)done, order,
					    &rerr) :
			hv_increase_reservation(r->real, r->real_domid, real, (size_t)done, order,
						&rerr);
	if (rdone > 0) {
		/* the extents each side did, as runs: one per extent, joined */
		struct live_run *runs = malloc((size_t)rdone * sizeof(*runs));
		int rc;

		if (!runs) {
			free(real);
			return oom(err);
		}
		for (long i = 0; i < rdone; i++)
			runs[i] = (struct live_run){ frames[i], frames[i] + (1ULL << order),
						     real[i], 1 };
		rc = pair_runs(r, runs, (size_t)rdone, err);
		free(runs);
		if (rc < 0) {
			free(real);
			return rc;
		}
	}
	free(real);
	if (rdone != done)
		return diverged(err, op, domid, done, rdone, nr, rerr.msg);
	return done;
}

static long rp_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				unsigned int order, struct p2msim_err *err)
{
	return grow(hv, "populate_physmap", true, domid, frames, nr, order, err);
}

static long rp_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				    unsigned int order, struct p2msim_err *err)
{
	return grow(hv, "increase_reservation", false, domid, frames, nr, order, err);
}

/* Real frames [@mfn, @mfn + @n) were given back: joined to the run
 * before when they continue it upwards or downwards. */
static int note_released(struct replay *r, uint64_t mfn, uint64_t n)
{
	struct live_run *last = r->nr_released ? &r->released[r->nr_released - 1] : NULL, *more;

	if (last && mfn == last->end) {
		last->end += n;
		return 0;
	}
	if (last && mfn + n == last->start) {
		last->start = mfn;
		return 0;
	}
	more = array_room(r->released, &r->alloc_released, r->nr_released + 1,
			  sizeof(*r->released));
	if (!more)
		return -ENOMEM;
	r->released = more;
	r->released[r->nr_released++] = (struct live_run){ mfn, mfn + n, 0, 0 };
	return 0;
}

/* The model frames of @nr extents given back are paired no more, and
 * their real frames are released: both as runs. */
static int forget(struct replay *r, const uint64_t *frames, const uint64_t *real, size_t nr,
		  unsigned int order)
{
	struct live_run *runs = malloc(nr * sizeof(*runs));
	size_t n;
	int rc = 0;

	if (!runs)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++)
		runs[i] = (struct live_run){ frames[i], frames[i] + (1ULL << order), 0, 0 };
	n = live_runs_coalesce(runs, nr);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = live_runmap_clear(&r->to_real, runs[i].start, runs[i].end);
		if (rc == 0)
			rc = live_runmap_clear(&r->stamped, runs[i].start, runs[i].end);
	}
	free(runs);
	for (size_t i = 0; rc == 0 && i < nr; i++)
		rc = note_released(r, real[i], 1ULL << order);
	return rc;
}

static long rp_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames,
				    size_t nr, unsigned int order, struct p2msim_err *err)
{
	struct replay *r = replay_of(hv);
	uint64_t *real;
	long done, rdone;
	struct p2msim_err rerr = { 0 };

	if (!ours(r, domid) || nr == 0)
		return hv_decrease_reservation(r->model, domid, frames, nr, order, err);
	real = malloc(nr * sizeof(*real));
	if (!real)
		return oom(err);
	/* Frames the model does not hold fail on both sides alike; a frame
	 * the model holds must have a real partner. */
	for (size_t i = 0; i < nr; i++)
		real[i] = live_replay_real(hv, frames[i]);
	done = hv_decrease_reservation(r->model, domid, frames, nr, order, err);
	if (done <= 0) {
		free(real);
		return done;
	}
	for (long i = 0; i < done; i++)
		if (real[i] == LIVE_NO_MFN) {
			free(real);
			return p2msim_err_set(err, -EUCLEAN,
					      "replay decrease_reservation(d%u): model "
					      "mfn %#" PRIx64 " has no real frame",
					      domid, frames[i]);
		}
	r->real_ops++;
	rdone = hv_decrease_reservation(r->real, r->real_domid, real, (size_t)done, order, &rerr);
	if (rdone > 0 && forget(r, frames, real, (size_t)rdone, order) < 0) {
		free(real);
		return oom(err);
	}
	free(real);
	if (rdone != done)
		return diverged(err, "decrease_reservation", domid, done, rdone, nr, rerr.msg);
	return done;
}

static int rp_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			      struct p2msim_err *err)
{
	struct replay *r = replay_of(hv);
	uint64_t real;
	int rc = hv_machphys_update(r->model, domid, mfn, pfn, err);

	if (rc < 0 || !ours(r, domid))
		return rc;
	real = live_replay_real(hv, mfn);
	if (real == LIVE_NO_MFN)
		return p2msim_err_set(err, -EUCLEAN,
				      "replay machphys_update(d%u): model mfn %#" PRIx64
				      " has no real frame",
				      domid, mfn);
	r->real_ops++;
	return hv_machphys_update(r->real, r->real_domid, real, pfn, err);
}

/* --- the replay itself ------------------------------------------------------------------- */

static void rp_close(struct hv *hv)
{
	struct replay *r = replay_of(hv);

	live_runmap_free(&r->to_real);
	live_runmap_free(&r->stamped);
	free(r->released);
	free(r);
}

int live_replay_open(struct hv **out, struct hv *model, hv_domid_t model_domid, struct hv *real,
		     hv_domid_t real_domid, uint64_t model_frames, struct p2msim_err *err)
{
	struct replay *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return oom(err);
	r->hv.ops = &replay_ops;
	r->model = model;
	r->real = real;
	r->model_domid = model_domid;
	r->real_domid = real_domid;
	r->nr_frames = model_frames;
	live_runmap_init(&r->to_real);
	live_runmap_init(&r->stamped);
	*out = &r->hv;
	return 0;
}

int live_replay_pair(struct hv *replay, const uint64_t *model_mfns, const uint64_t *real_mfns,
		     size_t n, struct p2msim_err *err)
{
	struct live_run *runs;
	int rc;

	if (!n)
		return 0;
	runs = malloc(n * sizeof(*runs));
	if (!runs)
		return oom(err);
	for (size_t i = 0; i < n; i++)
		runs[i] = (struct live_run){ model_mfns[i], model_mfns[i] + 1, real_mfns[i], 1 };
	rc = pair_runs(replay_of(replay), runs, n, err);
	free(runs);
	return rc;
}

bool live_replay_real_run(const struct hv *replay, uint64_t model_mfn, struct live_run *out)
{
	return live_runmap_find(&creplay_of(replay)->to_real, model_mfn, out);
}

uint64_t live_replay_real(const struct hv *replay, uint64_t model_mfn)
{
	struct live_run run;

	if (!live_replay_real_run(replay, model_mfn, &run))
		return LIVE_NO_MFN;
	return live_run_at(&run, model_mfn);
}

const struct live_run *live_replay_released(struct hv *replay, size_t *n, bool reset)
{
	struct replay *r = replay_of(replay);

	/* in ascending order, those that continue one another joined (a
	 * frame given back twice, handed out again in between, twice) */
	r->nr_released = live_runs_coalesce(r->released, r->nr_released);
	*n = r->nr_released;
	if (reset)
		r->nr_released = 0;
	return r->released;
}

bool live_replay_stamped(const struct hv *replay, uint64_t model_mfn)
{
	struct live_run run;

	return live_runmap_find(&creplay_of(replay)->stamped, model_mfn, &run);
}

int live_replay_set_stamped(struct hv *replay, uint64_t model_mfn, uint64_t n)
{
	struct live_run run = { model_mfn, model_mfn + n, 0, 0 };

	return live_runmap_set(&replay_of(replay)->stamped, &run);
}

size_t live_replay_runs(const struct hv *replay)
{
	const struct replay *r = creplay_of(replay);

	return r->to_real.n;
}

unsigned long live_replay_real_ops(const struct hv *replay)
{
	return creplay_of(replay)->real_ops;
}

static const struct hv_ops replay_ops = {
	.name = "replay",
	.close = rp_close,
	.machine_memory_map = rp_machine_memory_map,
	.memory_map = rp_memory_map,
	.set_memory_map = rp_set_memory_map,
	.reservation = rp_reservation,
	.set_max_pages = rp_set_max_pages,
	.populate_physmap = rp_populate_physmap,
	.increase_reservation = rp_increase_reservation,
	.decrease_reservation = rp_decrease_reservation,
	.machphys_update = rp_machphys_update,
	.m2p = rp_m2p,
	.domain_info = rp_domain_info,
	.p2m_info = rp_p2m_info,
	.set_p2m_info = rp_set_p2m_info,
	.map_frames = rp_map_frames,
	.unmap_frames = rp_unmap_frames,
	.xs_read = rp_xs_read,
	.xs_write = rp_xs_write,
};
