/* SPDX-License-Identifier: MIT */
/*
 * live/live-internal.h - pieces of live/ shared between its files and the
 * tests.
 */
#ifndef P2MSIM_LIVE_INTERNAL_H
#define P2MSIM_LIVE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "live/live.h"

/* Hand a printf-formatted line to a progress callback, if there is one. */
static inline __attribute__((format(printf, 3, 4))) void
live_say(void (*progress)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	progress(ctx, line);
}

/*
 * Runs of frames (live/runmap.c): keys [start, end) map to val + step *
 * (key - start), step -1, 0 or +1, as Xen's extents pair frames.
 */
struct live_run {
	uint64_t start, end;
	uint64_t val; /* the value of start */
	int step;
};

/* The value of @key, which must lie in @r. */
uint64_t live_run_at(const struct live_run *r, uint64_t key);
/* Whether @b begins where @a ends and continues its values; *@step
 * receives the joined run's step. */
bool live_run_continues(const struct live_run *a, const struct live_run *b, int *step);
/* Sort @runs (disjoint) by start and join those that continue one
 * another; returns how many are left. */
size_t live_runs_coalesce(struct live_run *runs, size_t n);

/* Disjoint runs in key order: memory and time follow the runs. */
struct live_rnode;
struct live_runmap {
	struct live_rnode *root;
	size_t n; /* runs */
	uint64_t seed;
};

void live_runmap_init(struct live_runmap *m);
void live_runmap_free(struct live_runmap *m);
/* The run holding @key (true), or the gap around it (false: *@out is
 * [end of the run before, start of the run after), val LIVE_NO_MFN). */
bool live_runmap_find(const struct live_runmap *m, uint64_t key, struct live_run *out);
/* Map @run's keys to its values, replacing what they mapped to (0 or
 * -ENOMEM). */
int live_runmap_set(struct live_runmap *m, const struct live_run *run);
/* Unmap [@start, @end), splitting the runs it cuts (0 or -ENOMEM). */
int live_runmap_clear(struct live_runmap *m, uint64_t start, uint64_t end);

/*
 * A replaying hypervisor: every operation goes to @model (the sim the
 * kernel model and balloon run against); the ones that change domain
 * @model_domid -- memory map, max_pages, populate, increase, decrease,
 * M2P updates -- are then made on @real for @real_domid with the same
 * pfns, and the MFNs each side hands out are paired, so that later
 * operations naming model MFNs reach the matching real frames.
 *
 * A real operation that does less than the model's (fewer extents) or
 * fails makes the whole operation fail with -EUCLEAN and a message saying
 * which side did what: from then on the two no longer describe the same
 * domain.  Model MFNs must lie below @model_frames.
 */
int live_replay_open(struct hv **out, struct hv *model, hv_domid_t model_domid, struct hv *real,
		     hv_domid_t real_domid, uint64_t model_frames, struct p2msim_err *err);
/* Pair @n model frames with real ones (the domain builder's frames),
 * kept as the runs they form. */
int live_replay_pair(struct hv *replay, const uint64_t *model_mfns, const uint64_t *real_mfns,
		     size_t n, struct p2msim_err *err);
/* The real frame paired with @model_mfn, or LIVE_NO_MFN. */
uint64_t live_replay_real(const struct hv *replay, uint64_t model_mfn);
/* The run of pairs holding @model_mfn: model frames [start, end) paired
 * with real frames from val on (true); or the unpaired gap around it
 * (false). */
bool live_replay_real_run(const struct hv *replay, uint64_t model_mfn, struct live_run *out);
/* Real frames given back since the last call (to check that Xen took
 * them), as runs of real frames in ascending order; the array stays the
 * replay's until the next call that resets it. */
const struct live_run *live_replay_released(struct hv *replay, size_t *n, bool reset);
/* Per model frame: whether its real frame holds the check pattern. */
bool live_replay_stamped(const struct hv *replay, uint64_t model_mfn);
/* Model frames [@model_mfn, @model_mfn + @n) hold it. */
int live_replay_set_stamped(struct hv *replay, uint64_t model_mfn, uint64_t n);
/* Runs of pairs the replay keeps (what its memory and time follow). */
size_t live_replay_runs(const struct hv *replay);
/* Operations made on the real side so far. */
unsigned long live_replay_real_ops(const struct hv *replay);

/*
 * Lay @p2m's [0, @p2m_size) out in @domid's frames as a 3.19+ Linux guest
 * does (linear list under page tables, shared leaves and PTE pages, MFN
 * mirror) and publish it in shared_info.arch with @max_pfn; model MFNs in
 * the entries become @real_mfn's.  The frames are populated above the
 * P2M's pfns; *@frames (optional) receives how many.
 */
int live_publish_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m, uint64_t p2m_size,
		     uint64_t max_pfn, uint64_t (*real_mfn)(void *ctx, uint64_t model_mfn),
		     void *ctx, size_t *frames, struct p2msim_err *err);

#endif
