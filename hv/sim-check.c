/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-check.c - invariants of the in-memory Xen and of a guest P2M
 * against it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

#include "p2m/p2m.h"

/* --- checks ----------------------------------------------------------------------------------- */

struct m2p_span {
	uint64_t pfn, len, mfn;
};

/* The end of the ascending run of @v that begins at @i. */
static size_t span_run_end(const struct m2p_span *v, size_t i, size_t n)
{
	while (++i < n && v[i - 1].pfn <= v[i].pfn)
		;
	return i;
}

/* Merge the sorted [a, m) and [m, b) of @src into @dst. */
static void span_merge(struct m2p_span *dst, const struct m2p_span *src, size_t a, size_t m,
		       size_t b)
{
	size_t i = a, j = m, k = a;

	while (i < m && j < b)
		dst[k++] = src[j].pfn < src[i].pfn ? src[j++] : src[i++];
	memcpy(dst + k, src + i, (m - i) * sizeof(*dst));
	k += m - i;
	memcpy(dst + k, src + j, (b - j) * sizeof(*dst));
}

/*
 * Sort *@v (@n spans) by pfn: a natural merge sort, so its cost follows
 * the number of runs, not the number of spans.  Descending runs are turned
 * round first.  Each pass merges
 * neighbouring runs from one buffer into the other; *@v may come back as
 * the other buffer.
 */
static int span_sort(struct m2p_span **v, size_t n)
{
	struct m2p_span *a = *v, *b;

	for (size_t i = 0; i < n;) {
		size_t e = i + 1;

		while (e < n && a[e - 1].pfn > a[e].pfn)
			e++;
		for (size_t l = i, r = e - 1; l < r; l++, r--) {
			struct m2p_span t = a[l];

			a[l] = a[r];
			a[r] = t;
		}
		i = e > i + 1 ? e : span_run_end(a, i, n);
	}
	if (n < 2 || span_run_end(a, 0, n) == n)
		return 0;
	b = malloc(n * sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (;;) {
		size_t i = 0, runs = 0;

		while (i < n) {
			size_t m = span_run_end(a, i, n), e = m < n ? span_run_end(a, m, n) : n;

			span_merge(b, a, i, m, e);
			runs++;
			i = e;
		}
		*v = b;
		b = a;
		a = *v;
		if (runs == 1)
			break;
	}
	free(b);
	return 0;
}

/* No pfn of @d is named by two of its frames, but for those
 * hv_sim_allow_m2p_alias() allowed. */
static int check_m2p_unique(const struct hv_sim *s, const struct sim_domain *d,
			    struct p2msim_err *err)
{
	struct m2p_span *v;
	size_t n = 0, k = 0;
	int rc = 0;

	for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
		if (x->owner == d->domid && x->m2p != SIM_NO_M2P)
			n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return p2msim_err_set(err, -ENOMEM, "sim check: out of memory");
	for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
		if (x->owner == d->domid && x->m2p != SIM_NO_M2P)
			v[k++] = (struct m2p_span){ x->m2p, x->end - x->start, x->start };
	/* Xen hands chunks out top-down, so the extents in frame order are
	 * long runs of descending and ascending pfns (the remapped and
	 * ballooned extents): a natural merge sort puts them together in a
	 * few passes. */
	if (span_sort(&v, n) < 0) {
		free(v);
		return p2msim_err_set(err, -ENOMEM, "sim check: out of memory");
	}
	for (size_t i = 1; i < n; i++) {
		uint64_t end = v[i - 1].pfn + v[i - 1].len, e = v[i].pfn + v[i].len;

		if (v[i].pfn >= end)
			continue;
		/* an overlap inside the allowed pfns: go on with whichever
		 * span reaches further */
		if (v[i].pfn >= d->alias_start && (end < e ? end : e) <= d->alias_end) {
			if (end > e)
				v[i] = v[i - 1];
			continue;
		}
		rc = p2msim_err_set(err, -EUCLEAN,
				    "sim check: d%u: pfn %#" PRIx64 " is named by mfn %#" PRIx64
				    " and mfn %#" PRIx64,
				    d->domid, v[i].pfn, v[i - 1].mfn + (v[i].pfn - v[i - 1].pfn),
				    v[i].mfn);
		break;
	}
	free(v);
	return rc;
}

int hv_sim_allow_m2p_alias(struct hv *hv, hv_domid_t domid, uint64_t start, uint64_t end)
{
	struct sim_domain *d;

	if (!hv || hv->ops != &sim_ops || start > end)
		return -EINVAL;
	d = sim_find_domain(hv_sim_of(hv), domid);
	if (!d)
		return -ESRCH;
	d->alias_start = start;
	d->alias_end = end;
	return 0;
}

int hv_sim_check(struct hv *hv, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	const struct xm_node *f, *o, *prev = NULL;
	bool prev_free = false;
	uint64_t free_sum = 0, owned_sum = 0;
	size_t ri = 0;
	int rc;

	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_check: not a sim hypervisor");
	/* Walk both maps in address order: each extent is non-empty, in RAM,
	 * after the previous one of either map. */
	f = xm_first(&s->free);
	o = xm_first(&s->owned);
	while (f || o) {
		bool take_free = f && (!o || f->start < o->start);
		const struct xm_node *x = take_free ? f : o;

		if (x->start >= x->end)
			return p2msim_err_set(err, -EUCLEAN, "sim check: empty extent at %#" PRIx64,
					      x->start);
		if (prev && x->start < prev->end)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: frames %#" PRIx64 "-%#" PRIx64
					      " are in two extents (owned twice or owned and free)",
					      x->start,
					      (prev->end < x->end ? prev->end : x->end) - 1);
		while (ri < s->nr_ram && s->ram[ri].end <= x->start)
			ri++;
		if (ri == s->nr_ram || x->start < s->ram[ri].start || x->end > s->ram[ri].end)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: extent %#" PRIx64 "-%#" PRIx64
					      " is not machine RAM",
					      x->start, x->end - 1);
		if (take_free) {
			if (prev && prev_free && prev->end == x->start)
				return p2msim_err_set(err, -EUCLEAN,
						      "sim check: free extents at %#" PRIx64
						      " not merged",
						      x->start);
			free_sum += x->end - x->start;
			f = xm_next(&s->free, f);
		} else {
			if (x->owner != SIM_OWNER_XEN && !sim_find_domain(s, x->owner))
				return p2msim_err_set(err, -EUCLEAN,
						      "sim check: frames %#" PRIx64 "-%#" PRIx64
						      " belong to d%u, which does not exist",
						      x->start, x->end - 1, x->owner);
			owned_sum += x->end - x->start;
			o = xm_next(&s->owned, o);
		}
		prev = x;
		prev_free = take_free;
	}
	if (free_sum != s->nr_free)
		return p2msim_err_set(err, -EUCLEAN,
				      "sim check: %" PRIu64 " free frames counted, %" PRIu64
				      " recorded",
				      free_sum, s->nr_free);
	if (free_sum + owned_sum != s->total_frames)
		return p2msim_err_set(err, -EUCLEAN,
				      "sim check: %" PRIu64 " free + %" PRIu64
				      " owned frames != %" PRIu64 " RAM frames (a frame leaked)",
				      free_sum, owned_sum, s->total_frames);
	for (size_t i = 0; i < s->nr_doms; i++) {
		const struct sim_domain *d = s->doms[i];
		uint64_t mine = 0;
		const struct xm_node *si = xm_lookup(&s->owned, d->shared_info_mfn);

		for (const struct xm_node *x = xm_first(&s->owned); x; x = xm_next(&s->owned, x))
			if (x->owner == d->domid)
				mine += x->end - x->start;
		if (mine != d->tot_pages)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: d%u owns %" PRIu64
					      " frames but tot_pages is %" PRIu64,
					      d->domid, mine, d->tot_pages);
		if (!si || si->owner != SIM_OWNER_XEN)
			return p2msim_err_set(err, -EUCLEAN,
					      "sim check: d%u's shared_info frame is not Xen's",
					      d->domid);
		rc = check_m2p_unique(s, d, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct p2m_vs_hv {
	const struct hv_sim *s;
	const struct sim_domain *d;
	uint64_t named;
	struct p2msim_err *err;
};

/* pfns [pfn, pfn + n) -> mfns [mfn, mfn + n): owned by the domain, with
 * the M2P pointing back, an owned extent at a time. */
static int check_frame_run(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	struct p2m_vs_hv *c = ctx;
	const struct sim_domain *d = c->d;

	while (n) {
		const struct xm_node *x = xm_lookup(&c->s->owned, mfn);
		uint64_t len;

		if (!x || x->owner != d->domid)
			return p2msim_err_set(
				c->err, -EUCLEAN,
				"P2M/hv: d%u pfn %#" PRIx64 " -> mfn %#" PRIx64 ", a frame %s",
				d->domid, pfn, mfn,
				!x ? (sim_is_ram(c->s, mfn) ? "that is free" : "that is not RAM") :
				     "of another domain");
		if (sim_node_m2p(x, mfn) != pfn)
			return p2msim_err_set(c->err, -EUCLEAN,
					      "P2M/hv: d%u pfn %#" PRIx64 " -> mfn %#" PRIx64
					      " but M2P says pfn %#" PRIx64,
					      d->domid, pfn, mfn, sim_node_m2p(x, mfn));
		len = x->end - mfn < n ? x->end - mfn : n;
		c->named += len;
		pfn += len;
		mfn += len;
		n -= len;
	}
	return 0;
}

int hv_sim_check_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct p2m_vs_hv c = { .s = s, .err = err };
	int rc;

	if (!hv || hv->ops != &sim_ops)
		return p2msim_err_set(err, -EINVAL, "hv_sim_check_p2m: not a sim hypervisor");
	c.d = sim_find_domain(s, domid);
	if (!c.d)
		return p2msim_err_set(err, -ESRCH, "hv_sim_check_p2m: no domain %u", domid);
	rc = p2m_frame_runs(p2m, check_frame_run, &c);
	if (rc)
		return rc;
	if (c.named != c.d->tot_pages)
		return p2msim_err_set(
			err, -EUCLEAN,
			"P2M/hv: d%u has %" PRIu64 " pfn entries but owns %" PRIu64 " frames (%s)",
			c.d->domid, c.named, c.d->tot_pages,
			c.named < c.d->tot_pages ? "frames leaked out of the P2M" : "impossible");
	return 0;
}
