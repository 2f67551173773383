/* SPDX-License-Identifier: MIT */
/*
 * live/scratch.c - "p2msim live scratch": Xen's memory operations on a
 * domain of our own, checked against the model step by step.
 *
 * No guest kernel runs in the scratch domain.  p2msim plays it: the kernel
 * model's memory setup and the balloon model run against a replaying
 * hypervisor (live/replay.c), so every populate, increase, decrease and M2P
 * update they make on the model is made on the scratch domain too, with the
 * same pfns.  The steps:
 *
 *   build     max_pages, the memory map, and pfns [0, pages) populated as a
 *             domain builder does
 *   setup     the model's xen_memory_setup for a domU on that map
 *   balloon   each target, as xl mem-set and the guest's driver would
 *
 * and after each, Xen's view must be the model's (check_step): tot_pages
 * and max_pages, every frame the model maps a plain page of the domain
 * whose M2P names its pfn, frames given back no longer the domain's, and
 * each frame's contents what was written into it.  The model's frames are
 * taken as runs (pfn, model and real frames each going up or down one by
 * one) and handed to the hypervisor in bounded batches, so that only the
 * hypercalls, not the memory, follow the frames.  Last, the
 * model's P2M is laid out in the domain as a guest would publish it and
 * read back by domid (publish): the domU side of live dump, on a real
 * hypervisor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balloon/balloon.h"
#include "live/live-internal.h"
#include "p2m/p2m.h"
#include "util/page.h"

/* A line of progress for the caller, if it asked for them. */
#define say(o, ...) live_say((o)->progress, (o)->progress_ctx, __VA_ARGS__)
#define BUILD_BATCH 512u
#define CHECK_BATCH 256u
#define TYPE_BATCH 1024u
#define DEFAULT_MAP_PAGES 0x8000u /* 128 MiB */

void live_scratch_opts_init(struct live_scratch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pages = 8192;
}

static bool stopped(const struct live_scratch_opts *o)
{
	return o->stop && *o->stop;
}

/* The word the check writes at @i of the page of real frame @mfn. */
static uint64_t pattern(uint64_t mfn, unsigned int i)
{
	return (mfn * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)i << 32) ^ 0x70326d73696d4c56ULL;
}

struct scratch {
	const struct live_scratch_opts *o;
	struct hv *real, *model, *replay;
	hv_domid_t domid; /* real */
	hv_domid_t model_domid;
	struct setup_result res;
	bool have_res;
	struct hv_extent *builder_ext; /* the builder's frames, in pfn order */
	size_t nr_builder_ext;
	uint64_t nr_pages, max_pages;
	struct live_scratch_result *out;
};

/* --- checking a step --------------------------------------------------------------------- */

/*
 * What the model says the domain holds, as runs in pfn order: pfn + k is
 * backed by model frame model + mstep * k, paired with real frame real +
 * rstep * k (real LIVE_NO_MFN: not paired).  Steps are -1, 0 (a run of
 * one frame) or +1: the kernel model populates single pages, which Xen
 * hands out from the top down.
 */
struct frame_run {
	uint64_t pfn, n, model, real;
	int mstep, rstep;
};

struct frame_set {
	struct frame_run *r;
	size_t n, alloc;
	uint64_t frames; /* in all the runs */
};

static uint64_t step_by(uint64_t v, int step, uint64_t k)
{
	return step > 0 ? v + k : step < 0 ? v - k : v;
}

static int frames_add(struct frame_set *s, const struct frame_run *fr)
{
	struct frame_run *last = s->n ? &s->r[s->n - 1] : NULL;

	s->frames += fr->n;
	if (last && last->pfn + last->n == fr->pfn &&
	    (last->real == LIVE_NO_MFN) == (fr->real == LIVE_NO_MFN)) {
		/* join when both sides continue with one step */
		int64_t dm = (int64_t)(fr->model - step_by(last->model, last->mstep, last->n - 1));
		int64_t dr = (int64_t)(fr->real - step_by(last->real, last->rstep, last->n - 1));

		if (fr->real == LIVE_NO_MFN)
			dr = 0;
		if ((dm == 1 || dm == -1) && (last->n == 1 || last->mstep == dm) &&
		    (fr->n == 1 || fr->mstep == dm) && dr >= -1 && dr <= 1 &&
		    (last->n == 1 || last->rstep == dr) && (fr->n == 1 || fr->rstep == dr)) {
			last->n += fr->n;
			last->mstep = (int)dm;
			last->rstep = (int)dr;
			return 0;
		}
	}
	if (s->n == s->alloc) {
		size_t a = s->alloc ? 2 * s->alloc : 256;
		struct frame_run *r = realloc(s->r, a * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->r = r;
		s->alloc = a;
	}
	s->r[s->n++] = *fr;
	return 0;
}

static void frames_free(struct frame_set *s)
{
	free(s->r);
}

/* Model frames model + mstep * k of pfns pfn + k, k < n, with the real
 * frames paired with them: split where the replay's runs end. */
static int add_model_run(struct scratch *x, struct frame_set *s, uint64_t pfn, uint64_t model,
			 int mstep, uint64_t n)
{
	while (n) {
		struct live_run pr;
		struct frame_run fr = { .pfn = pfn, .model = model, .mstep = mstep };
		bool paired = live_replay_real_run(x->replay, model, &pr);
		/* how far the model frames stay in that run (or gap) */
		uint64_t room = mstep > 0 ? pr.end - model : mstep < 0 ? model - pr.start + 1 : 1;

		fr.n = n < room ? n : room;
		fr.real = paired ? live_run_at(&pr, model) : LIVE_NO_MFN;
		fr.rstep = paired ? pr.step * mstep : 0;
		if (frames_add(s, &fr) < 0)
			return -ENOMEM;
		pfn += fr.n;
		model = step_by(model, mstep, fr.n);
		n -= fr.n;
	}
	return 0;
}

/* The model's pfn -> frame pairs: from its P2M after setup, from the
 * builder's extents before. */
static int model_frames(struct scratch *x, struct frame_set *s, struct p2msim_err *err)
{
	const struct p2m *p2m = x->have_res ? x->res.p2m : NULL;
	struct p2m_iter it;
	struct p2m_run run;

	if (!p2m) {
		for (size_t i = 0; i < x->nr_builder_ext; i++)
			if (add_model_run(x, s, x->builder_ext[i].pfn, x->builder_ext[i].mfn, 1,
					  x->builder_ext[i].nr) < 0)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	p2m_iter_init(&it, p2m, 0, p2m_capacity(p2m), 0);
	while (p2m_iter_next(&it, &run)) {
		if (run.type != P2M_PFN)
			continue;
		for (uint64_t pfn = run.start; pfn < run.end;) {
			uint64_t mfn = p2m_pfn_to_mfn(p2m, pfn), n = 1;
			int mstep = 0;

			/* the stretch of frames that go up (or down) one by one */
			if (pfn + 1 < run.end) {
				uint64_t next = p2m_pfn_to_mfn(p2m, pfn + 1);

				mstep = next == mfn + 1 ? 1 : next == mfn - 1 ? -1 : 0;
			}
			if (mstep)
				while (pfn + n < run.end &&
				       p2m_pfn_to_mfn(p2m, pfn + n) == step_by(mfn, mstep, n))
					n++;
			if (add_model_run(x, s, pfn, mfn, mstep, n) < 0)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
			pfn += n;
		}
	}
	return 0;
}

/*
 * Frames of a set taken a batch at a time, as the hypercalls that check
 * them take arrays: *@at walks the set (run @at->i, frame @at->k of it).
 */
struct frame_cursor {
	size_t i;
	uint64_t k;
};

/* Up to @max frames from @c on into @pfn, @model, @real (any may be
 * NULL); returns how many. */
static size_t frames_next(const struct frame_set *s, struct frame_cursor *c, size_t max,
			  uint64_t *pfn, uint64_t *model, uint64_t *real)
{
	size_t n = 0;

	while (n < max && c->i < s->n) {
		const struct frame_run *fr = &s->r[c->i];

		for (; n < max && c->k < fr->n; n++, c->k++) {
			if (pfn)
				pfn[n] = fr->pfn + c->k;
			if (model)
				model[n] = step_by(fr->model, fr->mstep, c->k);
			if (real)
				real[n] = fr->real == LIVE_NO_MFN ?
						  LIVE_NO_MFN :
						  step_by(fr->real, fr->rstep, c->k);
		}
		if (c->k == fr->n) {
			c->i++;
			c->k = 0;
		}
	}
	return n;
}

static int differs(struct p2msim_err *err, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int differs(struct p2msim_err *err, const char *step, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return p2msim_err_set(err, -EUCLEAN, "scratch step %s: Xen and the model disagree: %s",
			      step, msg);
}

/* Write the pattern into frames seen for the first time, check it in
 * the others, @CHECK_BATCH frames per mapping (with @o->contents_run_ends
 * only the first and last frame of each run). */
static int check_contents(struct scratch *x, const struct frame_set *s, const char *step,
			  uint64_t *written, uint64_t *verified, struct p2msim_err *err)
{
	uint64_t pfn[CHECK_BATCH], model[CHECK_BATCH], real[CHECK_BATCH];
	struct frame_cursor c = { 0, 0 };
	size_t n;

	struct live_run fresh_runs[CHECK_BATCH];

	for (;;) {
		size_t nr_fresh = 0;
		bool fresh = false;
		void *addr;
		int rc;

		for (n = 0; n < CHECK_BATCH && c.i < s->n; n++) {
			if (x->o->contents_run_ends && c.k == 1 && s->r[c.i].n > 2)
				c.k = s->r[c.i].n - 1;
			frames_next(s, &c, 1, pfn + n, model + n, real + n);
		}
		if (!n)
			return 0;
		for (size_t k = 0; k < n; k++)
			fresh |= !live_replay_stamped(x->replay, model[k]);
		rc = hv_map_frames(x->real, x->domid, real, n, fresh, &addr, err);
		if (rc < 0)
			return rc;
		for (size_t k = 0; k < n; k++) {
			uint64_t *w = (uint64_t *)addr + k * (PAGE_SIZE / 8), mfn = real[k];

			if (!live_replay_stamped(x->replay, model[k])) {
				for (unsigned int j = 0; j < PAGE_SIZE / 8; j++)
					w[j] = pattern(mfn, j);
				fresh_runs[nr_fresh++] =
					(struct live_run){ model[k], model[k] + 1, 0, 0 };
				(*written)++;
				continue;
			}
			for (unsigned int j = 0; j < PAGE_SIZE / 8; j++)
				if (w[j] != pattern(mfn, j)) {
					hv_unmap_frames(x->real, addr, n);
					return differs(
						err, step,
						"pfn %#" PRIx64 " (mfn %#" PRIx64 ") "
						"does not hold what was written into it (word %u: %#" PRIx64
						")",
						pfn[k], mfn, j, w[j]);
				}
			(*verified)++;
		}
		hv_unmap_frames(x->real, addr, n);
		/* the frames written, as the runs they make */
		nr_fresh = live_runs_coalesce(fresh_runs, nr_fresh);
		for (size_t k = 0; k < nr_fresh; k++)
			if (live_replay_set_stamped(x->replay, fresh_runs[k].start,
						    fresh_runs[k].end - fresh_runs[k].start) < 0)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
	}
}

/* The real frames of a set, as intervals in ascending order. */
static int real_intervals(const struct frame_set *s, struct live_run **out, size_t *nr)
{
	struct live_run *iv = malloc((s->n ? s->n : 1) * sizeof(*iv));
	size_t n = 0;

	if (!iv)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct frame_run *fr = &s->r[i];
		uint64_t lo;

		if (fr->real == LIVE_NO_MFN)
			continue;
		lo = fr->rstep < 0 ? fr->real - (fr->n - 1) : fr->real;
		/* a step of 0 over several frames names one frame */
		iv[n++] = (struct live_run){ lo, lo + (fr->rstep ? fr->n : 1), 0, 0 };
	}
	*nr = live_runs_coalesce(iv, n);
	*out = iv;
	return 0;
}

static bool in_intervals(const struct live_run *iv, size_t n, uint64_t mfn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (iv[mid].end <= mfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && iv[lo].start <= mfn;
}

/* Frames given back are no longer the domain's, unless Xen handed them
 * straight back to us. */
static int check_released(struct scratch *x, const struct frame_set *s, const char *step,
			  uint64_t *nr_released, struct p2msim_err *err)
{
	const struct live_run *released;
	struct live_run *held = NULL;
	uint64_t mfns[TYPE_BATCH];
	uint32_t types[TYPE_BATCH];
	size_t nr_runs, nr_held = 0;
	int rc = 0;

	released = live_replay_released(x->replay, &nr_runs, true);
	*nr_released = 0;
	for (size_t i = 0; i < nr_runs; i++)
		*nr_released += released[i].end - released[i].start;
	if (!nr_runs)
		return 0;
	if (real_intervals(s, &held, &nr_held) < 0)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < nr_runs; i++)
		for (uint64_t m = released[i].start; rc == 0 && m < released[i].end;) {
			size_t n = released[i].end - m < TYPE_BATCH ?
					   (size_t)(released[i].end - m) :
					   TYPE_BATCH;

			for (size_t k = 0; k < n; k++)
				mfns[k] = m + k;
			rc = hv_frame_types(x->real, x->domid, mfns, n, types, err);
			for (size_t k = 0; rc == 0 && k < n; k++)
				if (types[k] != HV_FRAME_INVALID &&
				    !in_intervals(held, nr_held, mfns[k]))
					rc = differs(err, step,
						     "mfn %#" PRIx64
						     " was given back but Xen still "
						     "counts it as d%u's (type %#x)",
						     mfns[k], x->domid, types[k]);
			m += n;
		}
	free(held);
	return rc;
}

static int check_step(struct scratch *x, const char *step, struct p2msim_err *err)
{
	struct frame_set s = { 0 };
	struct frame_cursor c = { 0, 0 };
	struct hv_domain_info ri, mi;
	uint64_t pfns[TYPE_BATCH], mfns[TYPE_BATCH];
	uint32_t types[TYPE_BATCH];
	uint64_t nr_released = 0, written = 0, verified = 0;
	size_t n;
	int rc;

	rc = model_frames(x, &s, err);
	if (rc < 0)
		goto out;
	rc = hv_domain_info(x->real, x->domid, &ri, err);
	if (rc == 0)
		rc = hv_domain_info(x->model, x->model_domid, &mi, err);
	if (rc < 0)
		goto out;
	if (ri.tot_pages != mi.tot_pages || ri.tot_pages != s.frames) {
		rc = differs(err, step,
			     "tot_pages: Xen %" PRIu64 ", the model's hypervisor %" PRIu64
			     ", pfns the model's P2M maps %" PRIu64,
			     ri.tot_pages, mi.tot_pages, s.frames);
		goto out;
	}
	if (ri.max_pages != mi.max_pages) {
		rc = differs(err, step, "max_pages: Xen %" PRIu64 ", model %" PRIu64, ri.max_pages,
			     mi.max_pages);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++)
		if (s.r[i].real == LIVE_NO_MFN) {
			rc = differs(err, step,
				     "the model's frame %#" PRIx64 " of pfn %#" PRIx64 " was "
				     "never handed out by Xen",
				     s.r[i].model, s.r[i].pfn);
			goto out;
		}
	/* types: every frame the model maps is a plain page of the domain */
	while ((n = frames_next(&s, &c, TYPE_BATCH, pfns, NULL, mfns)) != 0) {
		rc = hv_frame_types(x->real, x->domid, mfns, n, types, err);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (types[i] != HV_FRAME_PLAIN) {
				rc = differs(err, step,
					     "pfn %#" PRIx64 ": Xen says mfn %#" PRIx64
					     " is of type %#x, "
					     "not a plain page of d%u",
					     pfns[i], mfns[i], types[i], x->domid);
				goto out;
			}
	}
	/* M2P through the machphys table, a run of it at a time where the
	 * hypervisor tells runs */
	for (size_t i = 0; i < s.n; i++) {
		const struct frame_run *fr = &s.r[i];

		for (uint64_t k = 0; k < fr->n;) {
			uint64_t pfn, len, mfn = step_by(fr->real, fr->rstep, k);

			rc = hv_m2p_run(x->real, mfn, &pfn, &len, err);
			if (rc < 0)
				goto out;
			if (pfn != fr->pfn + k) {
				rc = differs(err, step,
					     "M2P[%#" PRIx64 "] is %#" PRIx64
					     ", the model's P2M has "
					     "the frame at pfn %#" PRIx64,
					     mfn, pfn, fr->pfn + k);
				goto out;
			}
			k += fr->rstep > 0 && len > 1 ? (len < fr->n - k ? len : fr->n - k) : 1;
		}
	}
	rc = check_released(x, &s, step, &nr_released, err);
	if (rc == 0)
		rc = check_contents(x, &s, step, &written, &verified, err);
	if (rc < 0)
		goto out;
	/* and the model itself is sound */
	rc = hv_sim_check(x->model, err);
	if (rc == 0 && x->have_res)
		rc = hv_sim_check_p2m(x->model, x->model_domid, x->res.p2m, err);
	if (rc < 0) {
		p2msim_err_prefix(err, "scratch step %s: the model", step);
		goto out;
	}
	x->out->frames_checked += s.frames;
	x->out->steps_ok++;
	say(x->o,
	    "step %s: ok: tot_pages %" PRIu64 ", max_pages %" PRIu64 ", %" PRIu64 " frames plain "
	    "pages of d%u with M2P = the model's pfn, %" PRIu64 " given back, contents %" PRIu64
	    " written, %" PRIu64 " read back",
	    step, ri.tot_pages, ri.max_pages, s.frames, x->domid, nr_released, written, verified);
out:
	frames_free(&s);
	return rc;
}

/* --- the steps ------------------------------------------------------------------------------- */

static int read_map(const struct live_scratch_opts *o, struct e820_table *map,
		    struct p2msim_err *err)
{
	struct e820_doc doc = { 0 };
	int rc;

	e820_table_init(map);
	/* libxl's one RAM entry; at least 128 MiB, because the models put the
	 * kernel image at 16-74 MiB and a kernel outside RAM stops the boot. */
	if (!o->e820_path)
		return e820_add(map, 0,
				(o->pages > DEFAULT_MAP_PAGES ? o->pages : DEFAULT_MAP_PAGES) *
					PAGE_SIZE,
				E820_TYPE_RAM) < 0 ?
			       p2msim_err_set(err, -ENOMEM, "out of memory") :
			       0;
	rc = e820_parse_file(o->e820_path, &doc, err);
	if (rc == 0 && (doc.nr_maps == 0 || doc.maps[0].table.nr == 0))
		rc = p2msim_err_set(err, -EINVAL, "%s: no memory map found", o->e820_path);
	if (rc == 0 && e820_table_copy(map, &doc.maps[0].table) < 0)
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
	e820_doc_free(&doc);
	return rc;
}

/* The model frames of pfns [@pfn, @pfn + @n) from the builder's extents,
 * from extent *@e on (advanced). */
static void builder_frames(const struct scratch *x, size_t *e, uint64_t pfn, size_t n,
			   uint64_t *mfns)
{
	for (size_t i = 0; i < n; i++) {
		const struct hv_extent *ext;

		while (*e < x->nr_builder_ext &&
		       x->builder_ext[*e].pfn + x->builder_ext[*e].nr <= pfn + i)
			(*e)++;
		ext = &x->builder_ext[*e];
		mfns[i] = *e < x->nr_builder_ext && ext->pfn <= pfn + i ?
				  ext->mfn + (pfn + i - ext->pfn) :
				  LIVE_NO_MFN;
	}
}

/* The builder: max_pages, the map, and [0, pages) on both sides. */
static int build(struct scratch *x, const struct e820_table *map, struct p2msim_err *err)
{
	uint64_t real[BUILD_BATCH], model[BUILD_BATCH];
	size_t e = 0;
	char kib[32];
	int rc;

	rc = hv_sim_build_domain_extents(x->model, x->model_domid, x->nr_pages, x->max_pages, 8,
					 &x->builder_ext, &x->nr_builder_ext, err);
	if (rc < 0)
		return rc;
	rc = hv_set_max_pages(x->real, x->domid, x->max_pages, err);
	if (rc == 0)
		rc = hv_set_memory_map(x->replay, x->model_domid, map, err);
	if (rc < 0)
		return rc;
	for (uint64_t pfn = 0; pfn < x->nr_pages && rc == 0; pfn += BUILD_BATCH) {
		size_t n = x->nr_pages - pfn < BUILD_BATCH ? (size_t)(x->nr_pages - pfn) :
							     BUILD_BATCH;
		long done;

		for (size_t i = 0; i < n; i++)
			real[i] = pfn + i;
		done = hv_populate_physmap(x->real, x->domid, real, n, 0, err);
		if (done < 0)
			rc = (int)done;
		else if ((size_t)done != n)
			rc = differs(err, "build",
				     "Xen populated %ld of %zu pfns from %#" PRIx64 " (the "
				     "model's builder all of them)",
				     done, n, pfn);
		if (rc < 0)
			break;
		builder_frames(x, &e, pfn, n, model);
		rc = live_replay_pair(x->replay, model, real, n, err);
	}
	if (rc < 0)
		return rc;
	/* what libxl writes for a new domU, which the balloon reads */
	snprintf(kib, sizeof(kib), "%" PRIu64, x->nr_pages * 4);
	rc = hv_xs_write(x->model, "/local/domain/1/memory/target", kib, err);
	snprintf(kib, sizeof(kib), "%" PRIu64, x->max_pages * 4);
	if (rc == 0)
		rc = hv_xs_write(x->model, "/local/domain/1/memory/static-max", kib, err);
	return rc;
}

static int setup(struct scratch *x, const struct kernel_model *km, struct p2msim_err *err)
{
	struct setup_input in = { 0 };

	in.model = km;
	in.dom0 = false;
	in.arch = P2M_ARCH_X86_64;
	in.domid = x->model_domid;
	in.nr_pages = x->nr_pages;
	in.mfn_ext = x->builder_ext;
	in.nr_mfn_ext = x->nr_builder_ext;
	setup_layout_default(&in.layout, km, x->nr_pages);
	setup_result_init(&x->res);
	x->have_res = true;
	return setup_run(&in, x->replay, &x->res, err);
}

static uint64_t replay_real(void *ctx, uint64_t model_mfn)
{
	return live_replay_real(ctx, model_mfn);
}

/*
 * The last step: the model's P2M laid out in the scratch domain as a guest
 * kernel would publish it, then read back by domid like any domU's -- the
 * page tables, the shared leaves named through the mirror -- and compared
 * with the model run for run.
 */
static int publish(struct scratch *x, struct p2msim_err *err)
{
	struct live_read_opts ro = { .domid = x->domid, .source = LIVE_SRC_AUTO };
	struct hv_p2m_info mi;
	struct live_p2m p;
	struct dump_runs want;
	struct dump_diff d = { 0 };
	struct dump_diff_opts dopt;
	size_t frames = 0;
	int rc;

	dump_runs_init(&want);
	rc = hv_p2m_info(x->model, x->model_domid, &mi, err);
	if (rc == 0)
		rc = live_publish_p2m(x->real, x->domid, x->res.p2m, x->res.p2m_size, mi.max_pfn,
				      replay_real, x->replay, &frames, err);
	if (rc < 0)
		return rc;
	rc = live_p2m_read(x->real, &ro, &p, err);
	if (rc < 0) {
		p2msim_err_prefix(err, "scratch step publish: reading d%u back", x->domid);
		return rc;
	}
	rc = dump_runs_from_p2m(&want, x->res.p2m, 0, x->res.p2m_size, err);
	dump_diff_opts_init(&dopt);
	dopt.quirk = DUMP_QUIRK_OFF;
	if (rc == 0)
		rc = dump_diff_runs(&d, &want, &p.runs, &dopt, err);
	if (rc == 0 && d.pages)
		rc = differs(err, "publish",
			     "read back by domid, %" PRIu64 " pfn(s) differ from the "
			     "model's P2M, first [%#" PRIx64 ", %#" PRIx64 ") model %s, read %s",
			     d.pages, d.ranges[0].start, d.ranges[0].end,
			     dump_type_name(d.ranges[0].type_a),
			     dump_type_name(d.ranges[0].type_b));
	else if (rc == 0 &&
		 (p.cross_differ || p.source != LIVE_SRC_LIST || p.walked != x->res.p2m_size))
		rc = differs(err, "publish",
			     "read back from the %s over [0, %#" PRIx64 "), %" PRIu64
			     " leaves where list and mirror disagree",
			     live_source_name(p.source), p.walked, p.cross_differ);
	if (rc == 0) {
		x->out->steps_ok++;
		say(x->o,
		    "step publish: ok: the model's P2M laid out in d%u's frames as a guest does "
		    "(%zu frames) and read back by domid: %zu runs over [0, %#" PRIx64 ") agree; "
		    "shared leaves named by the %s (%" PRIu64 " identity, %" PRIu64 " missing)",
		    x->domid, frames, p.runs.nr, p.walked, live_label_name(p.label),
		    p.leaves_by_kind[LIVE_LEAF_IDENTITY], p.leaves_by_kind[LIVE_LEAF_MISSING]);
	}
	dump_diff_free(&d);
	dump_runs_free(&want);
	live_p2m_free(&p);
	return rc;
}

/* Sleep in steps of 100 ms while not stopped. */
static int hold(const struct live_scratch_opts *o)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	for (unsigned int i = 0; i < o->hold * 10u; i++) {
		if (stopped(o))
			return -EINTR;
		nanosleep(&ts, NULL);
	}
	return stopped(o) ? -EINTR : 0;
}

static int run_steps(struct scratch *x, const struct e820_table *map, const struct kernel_model *km,
		     struct p2msim_err *err)
{
	struct simulation sim;
	struct balloon *b = NULL;
	char *list = NULL, *tok, *save = NULL, name[64];
	int rc;

	x->out->steps++;
	rc = build(x, map, err);
	if (rc == 0)
		rc = check_step(x, "build", err);
	if (rc < 0)
		return rc;
	if (stopped(x->o))
		return -EINTR;
	x->out->steps++;
	rc = setup(x, km, err);
	if (rc < 0)
		return rc;
	say(x->o,
	    "setup (kernel %s, domU): released %" PRIu64 ", remapped %" PRIu64 ", identity %" PRIu64
	    ", max_pfn %#" PRIx64 "; %lu operations replayed on d%u so far, frames paired in "
	    "%zu runs",
	    km->version, x->res.released, x->res.remapped, x->res.identity_set, x->res.max_pfn,
	    live_replay_real_ops(x->replay), x->domid, live_replay_runs(x->replay));
	snprintf(name, sizeof(name), "setup");
	rc = check_step(x, name, err);
	if (rc < 0)
		return rc;
	if (!x->o->balloon) {
		x->out->steps++;
		return stopped(x->o) ? -EINTR : publish(x, err);
	}

	/* the balloon sees the simulation the steps above made */
	memset(&sim, 0, sizeof(sim));
	sim.model = *km;
	sim.dom0 = false;
	sim.arch = P2M_ARCH_X86_64;
	sim.hv = x->replay;
	sim.domid = x->model_domid;
	sim.nr_pages = x->nr_pages;
	sim.max_pages = x->max_pages;
	sim.res = x->res;
	list = strdup(x->o->balloon);
	if (!list)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	rc = simulation_balloon_new(&b, &sim, NULL, NULL, err);
	for (tok = strtok_r(list, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct balloon_result br;

		if (stopped(x->o)) {
			rc = -EINTR;
			break;
		}
		x->out->steps++;
		rc = balloon_mem_set_and_run(b, tok, 0, NULL, &br, err);
		if (rc < 0)
			break;
		/* the balloon may have grown the P2M: the result is sim.res */
		x->res = sim.res;
		say(x->o,
		    "balloon to %s: current %" PRIu64 " pages, target %" PRIu64
		    ", %s; frames paired in %zu runs",
		    tok, balloon_get_stats(b)->current_pages, balloon_get_stats(b)->target_pages,
		    balloon_state_name(br.state), live_replay_runs(x->replay));
		snprintf(name, sizeof(name), "balloon %s", tok);
		rc = check_step(x, name, err);
	}
	balloon_free(b);
	free(list);
	x->res = sim.res;
	if (rc == 0) {
		x->out->steps++;
		rc = stopped(x->o) ? -EINTR : publish(x, err);
	}
	return rc;
}

int live_scratch_run(struct hv *real, const struct live_scratch_opts *o,
		     struct live_scratch_result *res, struct p2msim_err *err)
{
	struct scratch x;
	struct e820_table map, synthetic;
	struct kernel_model km;
	struct hv_sim_config cfg = { 0 };
	struct hv_xen_info mi;
	uint64_t ram;
	int rc, drc;

	memset(&x, 0, sizeof(x));
	memset(res, 0, sizeof(*res));
	x.o = o;
	x.real = real;
	x.out = res;
	x.model_domid = 1;
	e820_table_init(&synthetic);
	if (o->pages == 0)
		return p2msim_err_set(err, -EINVAL, "scratch: no pages");
	rc = kernel_model_init(&km, o->kernel ? o->kernel : KERNEL_DEFAULT_VERSION, NULL, err);
	if (rc < 0)
		return rc;
	if (km.family != KERNEL_FAMILY_LINEAR)
		return p2msim_err_set(err, -EOPNOTSUPP,
				      "scratch replays the 3.19+ models; %s is "
				      "older",
				      km.version);
	rc = read_map(o, &map, err);
	if (rc < 0)
		return rc;
	ram = e820_total(&map, E820_TYPE_RAM) / PAGE_SIZE;
	x.nr_pages = o->pages;
	x.max_pages = o->max_pages ? o->max_pages : ram > o->pages ? ram : o->pages;

	/* the model's hypervisor: a small machine with room for the domain */
	if (e820_add(&synthetic, 1ULL << 20, (x.max_pages + (x.max_pages >> 2) + 65536) * PAGE_SIZE,
		     E820_TYPE_RAM) < 0) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
		goto out_map;
	}
	cfg.machine = &synthetic;
	rc = hv_sim_open(&x.model, &cfg, err);
	if (rc == 0)
		rc = hv_xen_info(x.model, &mi, err);
	if (rc < 0)
		goto out_map;

	rc = hv_create_domain(real, &x.domid, err);
	if (rc < 0)
		goto out_model;
	res->domid = x.domid;
	say(o,
	    "scratch domain d%u created: PV, %" PRIu64 " pages, max_pages %" PRIu64 ", map %s "
	    "(%zu entries, %" PRIu64 " RAM pages)",
	    x.domid, x.nr_pages, x.max_pages, o->e820_path ? o->e820_path : "one RAM entry", map.nr,
	    ram);
	rc = live_replay_open(&x.replay, x.model, x.model_domid, real, x.domid, mi.max_mfn + 1,
			      err);
	if (rc == 0)
		rc = run_steps(&x, &map, &km, err);
	if (rc == -EINTR)
		p2msim_err_set(err, -EINTR,
			       "scratch: stopped by a signal after %u step(s); d%u "
			       "destroyed",
			       res->steps_ok, x.domid);
	if (rc == 0 && o->hold) {
		say(o, "holding d%u for %u s", x.domid, o->hold);
		rc = hold(o);
		if (rc == -EINTR)
			p2msim_err_set(err, -EINTR,
				       "scratch: stopped by a signal while holding d%u; "
				       "destroyed",
				       x.domid);
	}
	hv_close(x.replay);
	drc = hv_destroy_domain(real, x.domid, rc < 0 ? NULL : err);
	if (drc == 0) {
		res->destroyed = true;
		say(o, "scratch domain d%u destroyed", x.domid);
	} else if (rc == 0) {
		rc = drc;
	}
out_model:
	if (x.have_res)
		setup_result_free(&x.res);
	free(x.builder_ext);
	hv_close(x.model);
out_map:
	e820_table_free(&map);
	e820_table_free(&synthetic);
	return rc;
}
