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
/* Pair @n model frames with real ones (the domain builder's frames). */
int live_replay_pair(struct hv *replay, const uint64_t *model_mfns, const uint64_t *real_mfns,
		     size_t n, struct p2msim_err *err);
/* The real frame paired with @model_mfn, or LIVE_NO_MFN. */
uint64_t live_replay_real(const struct hv *replay, uint64_t model_mfn);
/* Real frames given back since the last call (to check that Xen took
 * them); the array stays the replay's. */
const uint64_t *live_replay_released(struct hv *replay, size_t *n, bool reset);
/* Per model frame: whether its real frame holds the check pattern. */
bool live_replay_stamped(const struct hv *replay, uint64_t model_mfn);
void live_replay_set_stamped(struct hv *replay, uint64_t model_mfn);
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
