/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-contents.c - what machine frames hold in the in-memory Xen: a
 * sparse store of written pages, the guest model's frame reader (its P2M
 * pages), and map_frames/unmap_frames over both.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

#include "p2m/p2m.h"

/* --- frame contents ---------------------------------------------------------------- */

static size_t page_bucket(const struct hv_sim *s, uint64_t mfn)
{
	return (size_t)((mfn * 0x9e3779b97f4a7c15ULL) >> 20) & (s->nr_buckets - 1);
}

struct sim_page *sim_page_find(const struct hv_sim *s, uint64_t mfn)
{
	if (!s->nr_buckets)
		return NULL;
	for (struct sim_page *p = s->buckets[page_bucket(s, mfn)]; p; p = p->next)
		if (p->mfn == mfn)
			return p;
	return NULL;
}

static int page_grow(struct hv_sim *s)
{
	size_t n = s->nr_buckets ? 2 * s->nr_buckets : 64;
	struct sim_page **nb = calloc(n, sizeof(*nb));
	size_t old = s->nr_buckets;
	struct sim_page **ob = s->buckets;

	if (!nb)
		return sim_oom(s);
	s->buckets = nb;
	s->nr_buckets = n;
	for (size_t i = 0; i < old; i++) {
		struct sim_page *p = ob[i];

		while (p) {
			struct sim_page *next = p->next;
			size_t b = page_bucket(s, p->mfn);

			p->next = nb[b];
			nb[b] = p;
			p = next;
		}
	}
	free(ob);
	return 0;
}

struct sim_page *sim_page_get(struct hv_sim *s, uint64_t mfn)
{
	struct sim_page *p = sim_page_find(s, mfn);
	size_t b;

	if (p)
		return p;
	if (s->nr_pages >= s->nr_buckets && page_grow(s) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		sim_oom(s);
		return NULL;
	}
	p->mfn = mfn;
	b = page_bucket(s, mfn);
	p->next = s->buckets[b];
	s->buckets[b] = p;
	s->nr_pages++;
	return p;
}

/* Freed frames lose their contents (Xen hands out scrubbed pages). */
void sim_page_drop_range(struct hv_sim *s, uint64_t start, uint64_t end)
{
	if (!s->nr_pages)
		return;
	if (end - start > s->nr_buckets) {
		for (size_t i = 0; i < s->nr_buckets; i++) {
			struct sim_page **link = &s->buckets[i];

			while (*link) {
				struct sim_page *p = *link;

				if (p->mfn >= start && p->mfn < end) {
					*link = p->next;
					free(p);
					s->nr_pages--;
				} else {
					link = &p->next;
				}
			}
		}
		return;
	}
	for (uint64_t mfn = start; mfn < end; mfn++) {
		struct sim_page **link = &s->buckets[page_bucket(s, mfn)];

		while (*link) {
			struct sim_page *p = *link;

			if (p->mfn == mfn) {
				*link = p->next;
				free(p);
				s->nr_pages--;
				break;
			}
			link = &p->next;
		}
	}
}

/* --- mapping frames ------------------------------------------------------------------------- */

int hv_sim_set_frame_reader(struct hv *hv, hv_domid_t domid, hv_frame_reader_fn fn, void *ctx)
{
	struct sim_domain *d;

	if (!hv || hv->ops != &sim_ops)
		return -EINVAL;
	d = sim_find_domain(hv_sim_of(hv), domid);
	if (!d)
		return -ESRCH;
	d->reader = fn;
	d->reader_ctx = ctx;
	d->p2m = NULL;
	return 0;
}

/* p2m_read_frame() gives one value per entry; the toolstack sees them at
 * the guest's width. */
static int read_p2m_frame(void *ctx, uint64_t mfn, void *page)
{
	const struct p2m *p2m = ctx;
	uint64_t vals[1024];
	const struct p2m_geometry *g = p2m_geometry(p2m);
	unsigned int n = 1u << g->leaf_shift;
	int rc = p2m_read_frame(p2m, mfn, vals);

	if (rc < 0)
		return rc;
	if (g->value_bits == 32) {
		uint32_t *out = page;

		for (unsigned int i = 0; i < n && i < 1024; i++)
			out[i] = (uint32_t)vals[i];
	} else {
		memcpy(page, vals, PAGE_SIZE);
	}
	return 0;
}

int hv_sim_attach_p2m(struct hv *hv, hv_domid_t domid, const struct p2m *p2m)
{
	struct sim_domain *d;
	int rc = hv_sim_set_frame_reader(hv, domid, p2m ? read_p2m_frame : NULL, (void *)p2m);

	if (rc < 0)
		return rc;
	d = sim_find_domain(hv_sim_of(hv), domid);
	d->p2m = p2m;
	return 0;
}

int sim_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr, bool writable,
		   void **addr, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_domain *d;
	struct sim_mapping *m;
	unsigned char *buf;
	int rc = sim_enter(s, "map_frames", NULL, err);

	*addr = NULL;
	if (rc < 0)
		return rc;
	rc = sim_get_domain(s, "map_frames", domid, &d, err);
	if (rc < 0)
		return rc;
	if (nr == 0 || nr > SIZE_MAX / PAGE_SIZE)
		return p2msim_err_set(err, -EINVAL, "map_frames(d%u): %zu frames", d->domid, nr);
	m = calloc(1, sizeof(*m));
	buf = malloc(nr * PAGE_SIZE);
	if (m) {
		m->mfns = malloc(nr * sizeof(*m->mfns));
		m->backed = calloc(nr, sizeof(*m->backed));
	}
	if (!m || !buf || !m->mfns || !m->backed) {
		rc = p2msim_err_set(err, sim_oom(s), "map_frames(d%u): out of memory", d->domid);
		goto fail;
	}
	for (size_t i = 0; i < nr; i++) {
		unsigned char *page = buf + i * PAGE_SIZE;
		const struct xm_node *n;
		const struct sim_page *p;

		m->mfns[i] = mfns[i];
		if (d->reader && (rc = d->reader(d->reader_ctx, mfns[i], page)) != -ENOENT) {
			if (rc < 0) {
				rc = p2msim_err_set(err, rc,
						    "map_frames(d%u): reading mfn %#" PRIx64
						    " failed",
						    d->domid, mfns[i]);
				goto fail;
			}
			if (writable) {
				rc = p2msim_err_set(err, -EPERM,
						    "map_frames(d%u): mfn %#" PRIx64
						    " is a page the guest model serves read-only",
						    d->domid, mfns[i]);
				goto fail;
			}
			continue;
		}
		n = xm_lookup(&s->owned, mfns[i]);
		if (!n || n->owner != d->domid) {
			rc = p2msim_err_set(err, -EPERM,
					    "map_frames(d%u): mfn %#" PRIx64 " is not the domain's",
					    d->domid, mfns[i]);
			goto fail;
		}
		m->backed[i] = true;
		p = sim_page_find(s, mfns[i]);
		if (p)
			memcpy(page, p->data, PAGE_SIZE);
		else
			memset(page, 0, PAGE_SIZE);
	}
	m->addr = buf;
	m->nr = nr;
	m->domid = d->domid;
	m->writable = writable;
	m->next = s->mappings;
	s->mappings = m;
	*addr = buf;
	return 0;

fail:
	if (m) {
		free(m->mfns);
		free(m->backed);
	}
	free(m);
	free(buf);
	return rc;
}

static bool page_is_zero(const unsigned char *page)
{
	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (page[i])
			return false;
	return true;
}

void sim_unmap_frames(struct hv *hv, void *addr, size_t nr)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_mapping **link = &s->mappings;
	struct sim_mapping *m;

	(void)nr;
	while (*link && (*link)->addr != addr)
		link = &(*link)->next;
	m = *link;
	if (!m)
		return;
	*link = m->next;
	for (size_t i = 0; m->writable && i < m->nr; i++) {
		const unsigned char *page = (unsigned char *)m->addr + i * PAGE_SIZE;
		const struct xm_node *n = xm_lookup(&s->owned, m->mfns[i]);
		struct sim_page *p;

		/* Only frames the domain still owns keep what was written. */
		if (!m->backed[i] || !n || n->owner != m->domid)
			continue;
		p = sim_page_find(s, m->mfns[i]);
		if (!p && page_is_zero(page))
			continue;
		if (!p)
			p = sim_page_get(s, m->mfns[i]);
		if (p)
			memcpy(p->data, page, PAGE_SIZE);
	}
	free(m->addr);
	free(m->mfns);
	free(m->backed);
	free(m);
}
