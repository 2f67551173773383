/* SPDX-License-Identifier: MIT */
/*
 * live/balloon.c - "p2msim live balloon": set a domain's memory target the
 * way `xl mem-set` does and wait for its balloon driver to get there.
 *
 * The toolstack's side is balloon_xl_mem_set() (balloon/), run against
 * the real hypervisor: memory/target and static-max in xenstore (created
 * for dom0 on first use, as libxl does), max_pages enforced.  The guest's
 * side is its own driver; all we can do is watch tot_pages, which Xen
 * updates as the driver gives pages back or takes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "balloon/balloon.h"
#include "live/live-internal.h"

/* A line of progress for the caller, if it asked for them. */
#define say(o, ...) live_say((o)->progress, (o)->progress_ctx, __VA_ARGS__)
#define POLL_MS 250u

void live_balloon_opts_init(struct live_balloon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = 60;
	o->settle = 10;
}

static void pause_ms(const struct live_balloon_opts *o, unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	if (o->sleep_ms)
		o->sleep_ms(o->sleep_ctx, ms);
	else
		nanosleep(&ts, NULL);
}

int live_balloon_run(struct hv *hv, const struct live_balloon_opts *o,
		     struct live_balloon_result *res, struct p2msim_err *err)
{
	struct balloon_xl_result xr;
	struct hv_domain_info di;
	uint64_t last, kib;
	unsigned int elapsed_ms = 0, still_ms = 0, next_say = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = balloon_xl_parse_mem(o->target, &kib, err);
	if (rc < 0)
		return rc;
	rc = hv_domain_info(hv, o->domid, &di, err);
	if (rc < 0)
		return rc;
	res->start_pages = res->end_pages = last = di.tot_pages;
	rc = balloon_xl_mem_set(hv, o->domid, o->target, &xr, err);
	if (rc < 0)
		return rc;
	res->target_kib = xr.target_kib;
	res->target_pages = xr.target_kib / 4;
	say(o,
	    "d%u: memory/target %" PRIu64 " KiB (%" PRIu64 " pages), max_pages %" PRIu64
	    "; the domain holds %" PRIu64 " pages",
	    di.domid, xr.target_kib, res->target_pages, xr.max_pages, last);
	for (;;) {
		if (last == res->target_pages) {
			res->reached = true;
			break;
		}
		if (o->stop && *o->stop)
			return p2msim_err_set(err, -EINTR,
					      "d%u: stopped at %" PRIu64 " pages of %" PRIu64,
					      di.domid, last, res->target_pages);
		if (elapsed_ms >= o->timeout * 1000u)
			return p2msim_err_set(err, -ETIMEDOUT,
					      "d%u: %" PRIu64 " pages after %u s, target %" PRIu64,
					      di.domid, last, o->timeout, res->target_pages);
		if (still_ms >= o->settle * 1000u)
			return p2msim_err_set(err, -EAGAIN,
					      "d%u: stalled at %" PRIu64 " pages for %u s, "
					      "target %" PRIu64
					      " (the guest's balloon driver gave up "
					      "or has no pages to give)",
					      di.domid, last, o->settle, res->target_pages);
		pause_ms(o, POLL_MS);
		elapsed_ms += POLL_MS;
		res->seconds = elapsed_ms / 1000;
		rc = hv_domain_info(hv, o->domid, &di, err);
		if (rc < 0)
			return rc;
		still_ms = di.tot_pages == last ? still_ms + POLL_MS : 0;
		last = res->end_pages = di.tot_pages;
		if (elapsed_ms >= next_say) {
			say(o, "d%u: %" PRIu64 " pages, %" PRId64 " to go, %u.%u s", di.domid, last,
			    (int64_t)(res->target_pages - last), elapsed_ms / 1000,
			    elapsed_ms % 1000 / 100);
			next_say = elapsed_ms + 1000;
		}
	}
	say(o, "d%u: reached %" PRIu64 " pages after %u.%u s", di.domid, last, elapsed_ms / 1000,
	    elapsed_ms % 1000 / 100);
	return 0;
}
