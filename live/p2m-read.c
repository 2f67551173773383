/* SPDX-License-Identifier: MIT */
/*
 * live/p2m-read.c - a live PV domain's P2M, read the way a toolstack can
 * (doc/design-p2m.md#shared-info and #toolstack-view).
 *
 * A 3.19+ Linux guest publishes two views of one table in shared_info.arch:
 *
 *   p2m_cr3, p2m_vaddr   the linear list itself: an array of unsigned long
 *                        at p2m_vaddr in the address space rooted at
 *                        p2m_cr3.  Its 4 KiB pages ("leaves", 512 pfns each)
 *                        are found by walking the guest's 4-level page
 *                        tables, whose entries hold MFNs.
 *
 *       L4[va>>39] -> L3[va>>30] -> L2[va>>21] -> L1[va>>12] -> leaf page
 *
 *   frame_list_list      the MFN mirror: a top page of mid-page MFNs, mid
 *                        pages of leaf MFNs -- the same leaves, for tools
 *                        that predate the list.
 *
 * Uniform leaves are not private pages: every all-missing 2 MiB stretch
 * maps the one p2m_missing page and every all-identity one the one
 * p2m_identity page, and a uniform 1 GiB stretch points its PMD at a
 * shared PTE page that maps such a page 512 times.  Both pages hold INVALID
 * in every word, so a leaf's type is decided by which page it is, never by
 * its contents.  The mirror cannot help there directly: Linux writes
 * p2m_missing's MFN into the mirror for identity leaves too.  That very
 * quirk is what names the pages when the kernel's symbols are not at hand:
 * the page that backs many mirror slots is p2m_missing, and the page the
 * list uses where the mirror says p2m_missing is p2m_identity.
 *
 * Reading costs one mapping per page-table page and private leaf, not per
 * pfn: an L1 page is copied once and its 512 entries give 512 leaves, and a
 * leaf known to be shared is never mapped.  The list is read between two
 * looks at p2m_generation, which the guest bumps around every change of
 * the list's mappings; a read that saw it move is made again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "live/live.h"
#include "p2m/p2m.h"
#include "util/json.h"
#include "util/page.h"

#define PTES 512u      /* entries of a page-table page */
#define LEAF_PFNS 512u /* 8-byte P2M entries of a leaf */
#define PTE_PRESENT 0x1ULL
#define PTE_PSE 0x80ULL
#define PTE_FRAME(e) (PFN_DOWN(e) & ((1ULL << 40) - 1)) /* bits 12..51 */
/* One 1 GiB step of the list's virtual area holds this many pfns; the
 * kernel sizes the area in such steps (xen_vmalloc_p2m_tree). */
#define AREA_STEP_PFNS (1ULL << 27)
/* P2M_LIMIT of Debian's 3.19+ kernels: CONFIG_XEN_MEMORY_HOTPLUG_LIMIT=512 (GiB). */
#define DEBIAN_P2M_LIMIT_PFNS (512ULL << 18)
#define MAP_BATCH 128u

const char *live_source_name(enum live_source src)
{
	switch (src) {
	case LIVE_SRC_LIST:
		return "linear list";
	case LIVE_SRC_MIRROR:
		return "frame-list-list";
	default:
		return "auto";
	}
}

const char *live_label_name(enum live_label label)
{
	switch (label) {
	case LIVE_LABEL_KALLSYMS:
		return "kallsyms";
	case LIVE_LABEL_MIRROR:
		return "mirror";
	default:
		return "none";
	}
}

static const char *const leaf_kind_names[] = {
	[LIVE_LEAF_PRIVATE] = "private",
	[LIVE_LEAF_MISSING] = "shared-missing",
	[LIVE_LEAF_IDENTITY] = "shared-identity",
	[LIVE_LEAF_SHARED] = "shared-other",
};

static void note(struct live_p2m *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct live_p2m *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nr_notes == LIVE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->nr_notes++], sizeof(p->notes[0]), fmt, ap);
	va_end(ap);
}

/* --- reading pages ------------------------------------------------------------------ */

struct pt_level {
	uint64_t mfn; /* LIVE_NO_MFN: empty */
	uint64_t e[PTES];
};

struct reader {
	struct hv *hv;
	hv_domid_t domid;      /* whose frames (HV_DOMID_SELF for our own) */
	uint64_t root;	       /* L4 MFN */
	struct pt_level pt[4]; /* the last page read at each level */
	struct p2msim_err *err;
};

static int read_page(struct reader *r, uint64_t mfn, void *buf)
{
	void *addr;
	int rc = hv_map_frames(r->hv, r->domid, &mfn, 1, false, &addr, r->err);

	if (rc < 0)
		return rc;
	memcpy(buf, addr, PAGE_SIZE);
	hv_unmap_frames(r->hv, addr, 1);
	return 0;
}

/* Entry @idx of the page-table page @mfn at @level (1..4). */
static int pt_entry(struct reader *r, int level, uint64_t mfn, unsigned int idx, uint64_t *e)
{
	struct pt_level *l = &r->pt[level - 1];
	int rc;

	if (l->mfn != mfn) {
		l->mfn = LIVE_NO_MFN;
		rc = read_page(r, mfn, l->e);
		if (rc < 0) {
			p2msim_err_prefix(r->err, "page-table L%d page %#" PRIx64, level, mfn);
			return rc;
		}
		l->mfn = mfn;
	}
	*e = l->e[idx];
	return 0;
}

/*
 * Translate @va.  0 and the MFN of its page, with *@l1 the L1 page that
 * maps it (LIVE_NO_MFN under a large page); -ENOENT when an entry on the
 * way is not present (*@level says which); other errors from mapping.
 */
static int va_to_mfn(struct reader *r, uint64_t va, uint64_t *mfn, uint64_t *l1, int *level)
{
	uint64_t table = r->root, e;
	int rc;

	*l1 = LIVE_NO_MFN;
	for (int lv = 4; lv >= 1; lv--) {
		unsigned int idx = (unsigned int)(va >> (12 + 9 * (lv - 1))) & (PTES - 1);

		rc = pt_entry(r, lv, table, idx, &e);
		if (rc < 0)
			return rc;
		if (!(e & PTE_PRESENT)) {
			*level = lv;
			return -ENOENT;
		}
		if ((lv == 3 || lv == 2) && (e & PTE_PSE)) {
			uint64_t span = 1ULL << (9 * (lv - 1)); /* 4 KiB pages under it */

			*mfn = (PTE_FRAME(e) & ~(span - 1)) + ((va >> 12) & (span - 1));
			return 0;
		}
		if (lv == 1)
			*l1 = table;
		table = PTE_FRAME(e);
	}
	*mfn = table;
	return 0;
}

/* The unsigned long at kernel address @va. */
static int read_kernel_ulong(struct reader *r, uint64_t va, uint64_t *val)
{
	unsigned char page[PAGE_SIZE];
	uint64_t mfn, l1;
	int level, rc;

	if (va & 7)
		return -EINVAL;
	rc = va_to_mfn(r, va, &mfn, &l1, &level);
	if (rc == 0)
		rc = read_page(r, mfn, page);
	if (rc == 0)
		memcpy(val, page + (va & (PAGE_SIZE - 1)), sizeof(*val));
	return rc;
}

/*
 * The MFN of each leaf [0, nleaves) of the list at @vaddr.  One walk per
 * L1 page: its entries give 512 leaves in a row.  *@mapped receives the
 * leaves found before the first unmapped one (-ENOENT then, with the
 * message naming it).
 */
static int list_leaves(struct reader *r, uint64_t vaddr, uint64_t nleaves, uint64_t *leaf_mfn,
		       uint64_t *mapped)
{
	uint64_t leaf = 0;

	while (leaf < nleaves) {
		uint64_t va = vaddr + leaf * PAGE_SIZE, mfn, l1, e;
		unsigned int first = (unsigned int)PFN_DOWN(va) & (PTES - 1);
		int level, rc = va_to_mfn(r, va, &mfn, &l1, &level);

		if (rc == -ENOENT) {
			*mapped = leaf;
			return p2msim_err_set(r->err, -ENOENT,
					      "the list page of pfn %#" PRIx64 " (va %#" PRIx64
					      ") is not mapped (no L%d entry)",
					      leaf * LEAF_PFNS, va, level);
		}
		if (rc < 0) {
			*mapped = leaf;
			return rc;
		}
		if (l1 == LIVE_NO_MFN) { /* a large page: contiguous frames */
			leaf_mfn[leaf++] = mfn;
			continue;
		}
		for (unsigned int i = first; i < PTES && leaf < nleaves; i++, leaf++) {
			rc = pt_entry(r, 1, l1, i, &e);
			if (rc < 0) {
				*mapped = leaf;
				return rc;
			}
			if (!(e & PTE_PRESENT)) {
				*mapped = leaf;
				return p2msim_err_set(r->err, -ENOENT,
						      "the list page of pfn %#" PRIx64
						      " (va %#" PRIx64
						      ") is not mapped (no L1 entry)",
						      leaf * LEAF_PFNS, vaddr + leaf * PAGE_SIZE);
			}
			leaf_mfn[leaf] = PTE_FRAME(e);
		}
	}
	*mapped = leaf;
	return 0;
}

/*
 * The leaf MFNs the mirror names for leaves [0, nleaves): top page ->
 * mid pages -> leaf MFNs (entries of the guest's width).  Slots under a
 * top entry of 0 or INVALID get LIVE_NO_MFN.
 */
static int mirror_leaves(struct reader *r, uint64_t fll, unsigned int width, uint64_t nleaves,
			 uint64_t *leaf_mfn)
{
	unsigned int per = PAGE_SIZE / width;
	uint64_t invalid = width == 4 ? UINT32_MAX : UINT64_MAX;
	unsigned char top[PAGE_SIZE], mid[PAGE_SIZE];
	uint64_t mid_mfn = LIVE_NO_MFN;
	int rc = read_page(r, fll, top);

	if (rc < 0) {
		p2msim_err_prefix(r->err, "frame-list-list page %#" PRIx64, fll);
		return rc;
	}
	for (uint64_t leaf = 0; leaf < nleaves; leaf++) {
		uint64_t t = leaf / per, m = leaf % per, tv, mv;

		if (t >= per) {
			leaf_mfn[leaf] = LIVE_NO_MFN;
			continue;
		}
		if (width == 4) {
			uint32_t v;

			memcpy(&v, top + t * 4, 4);
			tv = v;
		} else {
			memcpy(&tv, top + t * 8, 8);
		}
		if (tv == 0 || tv == invalid) {
			leaf_mfn[leaf] = LIVE_NO_MFN;
			continue;
		}
		if (tv != mid_mfn) {
			mid_mfn = LIVE_NO_MFN;
			rc = read_page(r, tv, mid);
			if (rc < 0) {
				p2msim_err_prefix(r->err, "mirror mid page %#" PRIx64, tv);
				return rc;
			}
			mid_mfn = tv;
		}
		if (width == 4) {
			uint32_t v;

			memcpy(&v, mid + m * 4, 4);
			mv = v;
		} else {
			memcpy(&mv, mid + m * 8, 8);
		}
		leaf_mfn[leaf] = mv == invalid ? LIVE_NO_MFN : mv;
	}
	return 0;
}

/* --- naming the shared pages ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The value occurring most often in v[0, n) (at least twice), or LIVE_NO_MFN. */
static uint64_t most_common(const uint64_t *v, uint64_t n, uint64_t skip, int *err)
{
	uint64_t *c = malloc((size_t)(n ? n : 1) * sizeof(*c)), best = LIVE_NO_MFN, best_n = 1;
	uint64_t k = 0;

	*err = 0;
	if (!c) {
		*err = -ENOMEM;
		return LIVE_NO_MFN;
	}
	for (uint64_t i = 0; i < n; i++)
		if (v[i] != LIVE_NO_MFN && v[i] != skip)
			c[k++] = v[i];
	qsort(c, (size_t)k, sizeof(*c), cmp_u64);
	for (uint64_t i = 0; i < k;) {
		uint64_t j = i;

		while (j < k && c[j] == c[i])
			j++;
		if (j - i > best_n) {
			best_n = j - i;
			best = c[i];
		}
		i = j;
	}
	free(c);
	return best;
}

/* dom0 reading itself: the kernel's own pointers p2m_missing and
 * p2m_identity, followed through its page tables. */
static void label_from_kallsyms(struct reader *r, const struct live_env *env, struct live_p2m *p)
{
	static const char *const names[] = { "p2m_missing", "p2m_identity" };
	uint64_t addr[2], ptr, mfn[2], l1;
	int level;

	if (live_kallsyms_lookup(env->kallsyms, names, addr, 2, NULL) < 0) {
		note(p, "%s unreadable: shared leaves told apart through the mirror",
		     env->kallsyms);
		return;
	}
	if (!addr[0] || !addr[1]) {
		note(p, "%s has no p2m_missing/p2m_identity (or hides addresses: kptr_restrict)",
		     env->kallsyms);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (read_kernel_ulong(r, addr[i], &ptr) < 0 ||
		    va_to_mfn(r, ptr, &mfn[i], &l1, &level) < 0) {
			p2msim_err_clear(r->err);
			note(p, "could not follow %s through the page tables", names[i]);
			return;
		}
	p->missing_mfn = mfn[0];
	p->identity_mfn = mfn[1];
	p->label = LIVE_LABEL_KALLSYMS;
}

/* Where the mirror names p2m_missing (the page behind most of its slots)
 * and the list has another page: that page is p2m_identity. */
static int label_from_mirror(struct live_p2m *p, const uint64_t *list, const uint64_t *mirror,
			     uint64_t n)
{
	uint64_t miss, ident, *cand;
	uint64_t k = 0;
	int e;

	miss = most_common(mirror, n, LIVE_NO_MFN, &e);
	if (e < 0)
		return e;
	if (miss == LIVE_NO_MFN)
		return 0;
	cand = malloc((size_t)(n ? n : 1) * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (uint64_t i = 0; list && i < n; i++)
		if (mirror[i] == miss && list[i] != miss)
			cand[k++] = list[i];
	ident = k ? most_common(cand, k, LIVE_NO_MFN, &e) : LIVE_NO_MFN;
	if (k == 1)
		ident = cand[0];
	free(cand);
	if (e < 0)
		return e;
	if (p->label == LIVE_LABEL_KALLSYMS) {
		if (miss != p->missing_mfn || (ident != LIVE_NO_MFN && ident != p->identity_mfn))
			note(p,
			     "the mirror names other shared pages (missing %#" PRIx64
			     ", identity %#" PRIx64 ") than the kernel's symbols",
			     miss, ident);
		return 0;
	}
	p->missing_mfn = miss;
	p->identity_mfn = ident;
	p->label = LIVE_LABEL_MIRROR;
	return 0;
}

/* --- runs --------------------------------------------------------------------------------- */

static int add_leaf_run(struct live_p2m *p, uint64_t leaf, enum live_leaf_kind kind)
{
	struct live_leaf_run *last = p->nr_leaves ? &p->leaves[p->nr_leaves - 1] : NULL;

	p->leaves_by_kind[kind]++;
	if (last && last->kind == kind && last->last + 1 == leaf) {
		last->last = leaf;
		return 0;
	}
	if (p->nr_leaves == p->alloc_leaves) {
		size_t n = p->alloc_leaves ? 2 * p->alloc_leaves : 64;
		struct live_leaf_run *nl = realloc(p->leaves, n * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		p->leaves = nl;
		p->alloc_leaves = n;
	}
	p->leaves[p->nr_leaves++] = (struct live_leaf_run){ leaf, leaf, kind };
	return 0;
}

/* The entries of one private leaf, pfns [base, base + n). */
static int add_entries(struct live_p2m *p, const struct p2m_geometry *g, const uint64_t *e,
		       uint64_t base, uint64_t n, uint64_t max_mfn, struct p2msim_err *err)
{
	uint64_t i = 0;

	while (i < n) {
		enum p2m_type t = p2m_value_type(g, base + i, e[i]);
		uint64_t j = i + 1;
		int rc;

		if (t == P2M_IDENTITY && (e[i] & ~(g->identity_bit | g->foreign_bit)) != base + i)
			p->bad_identity++;
		if (t == P2M_PFN && max_mfn && e[i] > max_mfn)
			p->bad_mfn++;
		while (j < n && p2m_value_type(g, base + j, e[j]) == t) {
			if (t == P2M_IDENTITY &&
			    (e[j] & ~(g->identity_bit | g->foreign_bit)) != base + j)
				p->bad_identity++;
			if (t == P2M_PFN && max_mfn && e[j] > max_mfn)
				p->bad_mfn++;
			j++;
		}
		rc = dump_runs_add(&p->runs, base + i, base + j, t, err);
		if (rc < 0)
			return rc;
		i = j;
	}
	return 0;
}

static enum live_leaf_kind leaf_kind(const struct live_p2m *p, uint64_t mfn, const uint64_t *shared,
				     size_t nr_shared)
{
	/* a slot the mirror leaves empty (top entry 0 or INVALID) */
	if (mfn == LIVE_NO_MFN || mfn == p->missing_mfn)
		return LIVE_LEAF_MISSING;
	if (mfn == p->identity_mfn && mfn != LIVE_NO_MFN)
		return LIVE_LEAF_IDENTITY;
	for (size_t i = 0; i < nr_shared; i++)
		if (shared[i] == mfn)
			return LIVE_LEAF_SHARED;
	return LIVE_LEAF_PRIVATE;
}

/*
 * Runs over [0, limit) from the leaf MFNs: shared leaves by their page,
 * private ones by their entries, mapped @MAP_BATCH at a time.  Pages that
 * back several leaves but are neither named page ("shared-other") are
 * read once and must hold INVALID only; they count as missing.
 */
static int build_runs(struct live_p2m *p, struct hv *hv, const uint64_t *leaf_mfn, uint64_t limit,
		      uint64_t max_mfn, struct p2msim_err *err)
{
	const struct p2m_geometry *g = p2m_geometry_of(P2M_ARCH_X86_64);
	uint64_t nleaves = (limit + LEAF_PFNS - 1) / LEAF_PFNS;
	uint64_t shared[8];
	size_t nr_shared = 0;
	uint64_t leaf = 0;
	int rc;

	/* Other pages behind two leaves in a row are shared pages too. */
	for (uint64_t i = 1; i < nleaves && nr_shared < 8; i++)
		if (leaf_mfn[i] == leaf_mfn[i - 1] && leaf_mfn[i] != p->missing_mfn &&
		    leaf_mfn[i] != p->identity_mfn) {
			bool known = false;

			for (size_t k = 0; k < nr_shared; k++)
				known |= shared[k] == leaf_mfn[i];
			if (!known)
				shared[nr_shared++] = leaf_mfn[i];
		}
	for (size_t k = 0; k < nr_shared; k++) {
		uint64_t e[LEAF_PFNS];
		struct reader r = { .hv = hv, .domid = p->domid, .err = err };

		rc = read_page(&r, shared[k], e);
		if (rc < 0)
			return rc;
		for (unsigned int i = 0; i < LEAF_PFNS; i++)
			if (e[i] != g->invalid)
				return p2msim_err_set(
					err, -EUCLEAN,
					"page %#" PRIx64 " backs several "
					"leaves of the list but holds a value other than "
					"INVALID (%#" PRIx64 " at %u)",
					shared[k], e[i], i);
		note(p,
		     "leaves on page %#" PRIx64 " (shared, all INVALID, neither p2m_missing nor "
		     "p2m_identity as far as known) read as missing",
		     shared[k]);
	}
	while (leaf < nleaves) {
		enum live_leaf_kind kind = leaf_kind(p, leaf_mfn[leaf], shared, nr_shared);
		uint64_t base = leaf * LEAF_PFNS,
			 n = limit - base < LEAF_PFNS ? limit - base : LEAF_PFNS;

		if (kind != LIVE_LEAF_PRIVATE) {
			rc = add_leaf_run(p, leaf, kind);
			if (rc == 0)
				rc = dump_runs_add(&p->runs, base, base + n,
						   kind == LIVE_LEAF_IDENTITY ? P2M_IDENTITY :
										P2M_MISSING,
						   err);
			if (rc < 0)
				return rc == -ENOMEM ? p2msim_err_set(err, rc, "out of memory") :
						       rc;
			leaf++;
			continue;
		}
		/* a batch of consecutive private leaves */
		uint64_t batch = 1;
		void *addr;

		while (batch < MAP_BATCH && leaf + batch < nleaves &&
		       leaf_kind(p, leaf_mfn[leaf + batch], shared, nr_shared) == LIVE_LEAF_PRIVATE)
			batch++;
		rc = hv_map_frames(hv, p->domid, leaf_mfn + leaf, (size_t)batch, false, &addr, err);
		if (rc < 0) {
			p2msim_err_prefix(err, "list pages of pfns %#" PRIx64 "-%#" PRIx64,
					  leaf * LEAF_PFNS, (leaf + batch) * LEAF_PFNS);
			return rc;
		}
		for (uint64_t b = 0; b < batch && rc == 0; b++) {
			uint64_t lb = (leaf + b) * LEAF_PFNS;
			uint64_t ln = limit - lb < LEAF_PFNS ? limit - lb : LEAF_PFNS;

			rc = add_leaf_run(p, leaf + b, LIVE_LEAF_PRIVATE);
			if (rc == 0)
				rc = add_entries(p, g, (const uint64_t *)addr + b * LEAF_PFNS, lb,
						 ln, max_mfn, err);
		}
		hv_unmap_frames(hv, addr, (size_t)batch);
		if (rc < 0)
			return rc == -ENOMEM ? p2msim_err_set(err, rc, "out of memory") : rc;
		leaf += batch;
	}
	return 0;
}

/* --- the size of the list ---------------------------------------------------------------- */

static uint64_t round_up(uint64_t v, uint64_t step)
{
	return (v + step - 1) / step * step;
}

/* xen_p2m_size of the running kernel: its variable, else its boot line. */
static bool own_p2m_size(struct reader *r, const struct live_env *env, struct live_p2m *p)
{
	static const char *const names[] = { "xen_p2m_size" };
	struct live_kmsg k;
	uint64_t addr, v;
	const char *line;

	if (live_kallsyms_lookup(env->kallsyms, names, &addr, 1, NULL) == 0 && addr &&
	    read_kernel_ulong(r, addr, &v) == 0 && v) {
		p->p2m_size = v;
		snprintf(p->p2m_size_from, sizeof(p->p2m_size_from), "the kernel's xen_p2m_size");
		return true;
	}
	p2msim_err_clear(r->err);
	if (live_kmsg_read(env->kmsg, &k, NULL) < 0)
		return false;
	line = live_kmsg_find(&k, "p2m virtual area at ");
	if (line && (line = strstr(line, "size is ")) &&
	    sscanf(line, "size is %" SCNx64, &v) == 1 && v >= 8) {
		p->p2m_size = v / 8;
		snprintf(p->p2m_size_from, sizeof(p->p2m_size_from),
			 "the kernel's \"p2m virtual area\" line");
	}
	live_kmsg_free(&k);
	return p->p2m_size != 0;
}

/* --- one read ------------------------------------------------------------------------------- */

static void reset(struct live_p2m *p)
{
	dump_runs_free(&p->runs);
	p->nr_leaves = 0;
	memset(p->leaves_by_kind, 0, sizeof(p->leaves_by_kind));
	p->cross_checked = false;
	p->cross_compared = p->cross_differ = p->cross_identity_as_missing = 0;
	p->bad_identity = p->bad_mfn = 0;
	p->missing_mfn = p->identity_mfn = LIVE_NO_MFN;
	p->label = LIVE_LABEL_NONE;
	p->nr_notes = 0;
}

static int read_once(struct hv *hv, const struct live_read_opts *o, const struct live_env *env,
		     struct live_p2m *p, uint64_t max_mfn, struct p2msim_err *err)
{
	struct reader r = { .hv = hv, .domid = o->domid, .err = err };
	uint64_t *list = NULL, *mirror = NULL, nleaves, mapped = 0, limit;
	bool have_list = p->info.p2m_cr3 && p->info.p2m_vaddr && p->dom.guest_width == 8;
	bool have_mirror = p->info.pfn_to_mfn_frame_list_list &&
			   p->info.pfn_to_mfn_frame_list_list != UINT64_MAX;
	int rc = 0;

	for (int i = 0; i < 4; i++)
		r.pt[i].mfn = LIVE_NO_MFN;
	r.root = PTE_FRAME(p->info.p2m_cr3);
	p->source = o->source;
	if (p->source == LIVE_SRC_AUTO)
		p->source = have_list ? LIVE_SRC_LIST : LIVE_SRC_MIRROR;
	if (p->source == LIVE_SRC_LIST && !have_list)
		return p2msim_err_set(err, -ENODATA,
				      "d%u publishes no linear list (p2m_cr3 %#" PRIx64
				      ", guest width %u): use the frame-list-list",
				      p->dom.domid, p->info.p2m_cr3, p->dom.guest_width);
	if (p->source == LIVE_SRC_MIRROR && !have_mirror)
		return p2msim_err_set(err, -ENODATA,
				      "d%u publishes no frame-list-list (%#" PRIx64 ")%s",
				      p->dom.domid, p->info.pfn_to_mfn_frame_list_list,
				      have_list ? ": use the linear list" : " and no linear list");
	if (p->source == LIVE_SRC_MIRROR && p->dom.guest_width != 8)
		note(p, "32-bit guest: only the mirror is read");

	/* how far */
	if (o->to_max_pfn || p->source == LIVE_SRC_MIRROR) {
		limit = o->p2m_size && !o->to_max_pfn ? o->p2m_size : p->info.max_pfn;
		if (!p->p2m_size_from[0])
			snprintf(p->p2m_size_from, sizeof(p->p2m_size_from),
				 o->to_max_pfn ? "max_pfn (as asked)" :
						 "max_pfn (the mirror's extent)");
	} else if (o->p2m_size) {
		limit = p->p2m_size = o->p2m_size;
		snprintf(p->p2m_size_from, sizeof(p->p2m_size_from), "given");
	} else if (p->self && (p->p2m_size || own_p2m_size(&r, env, p))) {
		limit = p->p2m_size;
	} else {
		uint64_t want = p->info.max_pfn > DEBIAN_P2M_LIMIT_PFNS ? p->info.max_pfn :
									  DEBIAN_P2M_LIMIT_PFNS;

		limit = p->p2m_size = round_up(want, AREA_STEP_PFNS);
		snprintf(p->p2m_size_from, sizeof(p->p2m_size_from),
			 "assumed: whole GiB of list covering max_pfn and P2M_LIMIT 512 GiB");
	}
	if (limit == 0)
		return p2msim_err_set(err, -ENODATA,
				      "d%u: max_pfn is 0: the guest published no P2M",
				      p->dom.domid);
	nleaves = (limit + LEAF_PFNS - 1) / LEAF_PFNS;
	if (nleaves > (SIZE_MAX / 2) / sizeof(uint64_t))
		return p2msim_err_set(err, -E2BIG, "d%u: a list of %#" PRIx64 " entries",
				      p->dom.domid, limit);
	list = malloc((size_t)nleaves * sizeof(*list));
	mirror = have_mirror ? malloc((size_t)nleaves * sizeof(*mirror)) : NULL;
	if (!list || (have_mirror && !mirror)) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory for %" PRIu64 " leaves", nleaves);
		goto out;
	}
	if (p->source == LIVE_SRC_LIST) {
		rc = list_leaves(&r, p->info.p2m_vaddr, nleaves, list, &mapped);
		if (rc == -ENOENT && !p->self && !o->p2m_size && !o->to_max_pfn &&
		    mapped * LEAF_PFNS >= p->info.max_pfn && mapped) {
			/* the assumed size was too large: the area ends here */
			note(p, "the list area ends at pfn %#" PRIx64 " (%s)", mapped * LEAF_PFNS,
			     err ? err->msg : "not mapped");
			p2msim_err_clear(err);
			nleaves = mapped;
			limit = p->p2m_size = mapped * LEAF_PFNS;
			rc = 0;
		}
		if (rc < 0)
			goto out;
	}
	if (have_mirror) {
		uint64_t per = PAGE_SIZE / p->dom.guest_width, span = per * per;
		uint64_t nm = nleaves < span ? nleaves : span;

		rc = mirror_leaves(&r, p->info.pfn_to_mfn_frame_list_list, p->dom.guest_width, nm,
				   mirror);
		for (uint64_t i = nm; rc == 0 && i < nleaves; i++)
			mirror[i] = LIVE_NO_MFN;
		if (rc < 0)
			goto out;
		if (p->source == LIVE_SRC_MIRROR)
			memcpy(list, mirror, (size_t)nleaves * sizeof(*list));
	}

	/* name the shared pages, then compare the two views */
	if (p->self && p->source == LIVE_SRC_LIST)
		label_from_kallsyms(&r, env, p);
	if (have_mirror) {
		rc = label_from_mirror(p, p->source == LIVE_SRC_LIST ? list : NULL, mirror,
				       nleaves);
		if (rc < 0) {
			rc = p2msim_err_set(err, rc, "out of memory");
			goto out;
		}
	}
	if (have_mirror && p->source == LIVE_SRC_LIST) {
		p->cross_checked = true;
		for (uint64_t i = 0; i < nleaves; i++) {
			if (mirror[i] == LIVE_NO_MFN)
				continue;
			p->cross_compared++;
			if (mirror[i] == list[i])
				continue;
			if (mirror[i] == p->missing_mfn && list[i] == p->identity_mfn)
				p->cross_identity_as_missing++;
			else if (!p->cross_differ++)
				p->cross_first_differ = i;
		}
	}
	if (p->source == LIVE_SRC_MIRROR)
		note(p, "the mirror names p2m_missing for shared identity leaves too: they read as "
			"missing");
	else if (p->label == LIVE_LABEL_NONE)
		note(p, "shared identity and missing leaves cannot be told apart here (no kernel "
			"symbols, no mirror): shared identity leaves read as missing");
	rc = build_runs(p, hv, list, limit, max_mfn, err);
	if (rc == 0)
		p->walked = limit;
out:
	free(list);
	free(mirror);
	return rc;
}

int live_p2m_read(struct hv *hv, const struct live_read_opts *o, struct live_p2m *p,
		  struct p2msim_err *err)
{
	struct live_env def;
	const struct live_env *env = o->env;
	struct hv_p2m_info after;
	struct hv_xen_info xi;
	unsigned int retries = o->retries ? o->retries : 3;
	uint64_t max_mfn = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	dump_runs_init(&p->runs);
	p->domid = o->domid;
	p->missing_mfn = p->identity_mfn = LIVE_NO_MFN;
	if (!env) {
		live_env_default(&def);
		env = &def;
	}
	rc = hv_domain_info(hv, o->domid, &p->dom, err);
	if (rc < 0)
		return rc;
	p->self = o->domid == HV_DOMID_SELF;
	if (!p->dom.pv)
		return p2msim_err_set(err, -EINVAL,
				      "d%u is not a PV domain: it has no guest-kept P2M",
				      p->dom.domid);
	if (hv_xen_info(hv, &xi, NULL) == 0)
		max_mfn = xi.max_mfn;
	for (unsigned int attempt = 0;; attempt++) {
		rc = hv_p2m_info(hv, o->domid, &p->info, err);
		if (rc < 0)
			return rc;
		if (p->info.p2m_generation & 1) {
			rc = p2msim_err_set(err, -EAGAIN,
					    "d%u is changing its P2M mappings "
					    "(p2m_generation %" PRIu64 " is odd)",
					    p->dom.domid, p->info.p2m_generation);
		} else {
			rc = read_once(hv, o, env, p, max_mfn, err);
			if (rc < 0 && rc != -ENOMEM && o->source == LIVE_SRC_AUTO &&
			    p->source == LIVE_SRC_LIST && p->info.pfn_to_mfn_frame_list_list &&
			    p->info.pfn_to_mfn_frame_list_list != UINT64_MAX) {
				/* the fallback: the list cannot be walked, the mirror may */
				struct live_read_opts mo = *o;
				char why[sizeof(err->msg)];

				snprintf(why, sizeof(why), "%s", err ? err->msg : "?");
				p2msim_err_clear(err);
				reset(p);
				p->p2m_size = 0;
				p->p2m_size_from[0] = '\0';
				mo.source = LIVE_SRC_MIRROR;
				rc = read_once(hv, &mo, env, p, max_mfn, err);
				if (rc == 0)
					note(p,
					     "the linear list could not be read (%s): read the "
					     "frame-list-list instead",
					     why);
			}
			if (rc < 0)
				break;
			rc = hv_p2m_info(hv, o->domid, &after, err);
			if (rc < 0)
				break;
			if (after.p2m_generation == p->info.p2m_generation)
				break;
			rc = p2msim_err_set(err, -EAGAIN,
					    "d%u changed its P2M mappings while they were "
					    "read (p2m_generation %" PRIu64 " -> %" PRIu64 ")",
					    p->dom.domid, p->info.p2m_generation,
					    after.p2m_generation);
		}
		if (attempt + 1 >= retries)
			break;
		p->rereads++;
		reset(p);
	}
	if (rc < 0)
		live_p2m_free(p);
	return rc;
}

void live_p2m_free(struct live_p2m *p)
{
	dump_runs_free(&p->runs);
	free(p->leaves);
	p->leaves = NULL;
	p->nr_leaves = p->alloc_leaves = 0;
}

/* --- outputs ------------------------------------------------------------------------------------ */

int live_p2m_to_engine(const struct live_p2m *p, struct p2m **out, struct p2msim_err *err)
{
	const struct p2m_geometry *g = p2m_geometry_of(P2M_ARCH_X86_64);
	struct p2m_config cfg;
	struct p2m *m;
	int rc;

	*out = NULL;
	p2m_config_init(&cfg, P2M_ARCH_X86_64, p->walked ? p->walked : 1);
	rc = p2m_new(&m, &cfg, err);
	if (rc < 0)
		return rc;
	/* Shared identity leaves as shared pages; every other run through
	 * private leaves, as the guest had them. */
	for (size_t i = 0; i < p->nr_leaves && rc == 0; i++) {
		const struct live_leaf_run *lr = &p->leaves[i];
		uint64_t s = lr->first * LEAF_PFNS, e = (lr->last + 1) * LEAF_PFNS;

		if (e > p->walked)
			e = p->walked;
		if (lr->kind == LIVE_LEAF_IDENTITY)
			rc = p2m_set_range(m, s, e, P2M_FILL_IDENTITY, 0, NULL, err);
		if (lr->kind != LIVE_LEAF_PRIVATE)
			continue;
		for (long k = dump_runs_find(&p->runs, s);
		     rc == 0 && k >= 0 && (size_t)k < p->runs.nr && p->runs.runs[k].start < e;
		     k++) {
			const struct dump_run *r = &p->runs.runs[k];
			uint64_t a = r->start > s ? r->start : s, b = r->end < e ? r->end : e;

			switch (r->type) {
			case P2M_PFN:
				rc = p2m_set_range_pfnwise(m, a, b, P2M_FILL_MFN, a + 1, err);
				break;
			case P2M_IDENTITY:
				rc = p2m_set_range_pfnwise(m, a, b, P2M_FILL_IDENTITY, 0, err);
				break;
			case P2M_FOREIGN:
				for (uint64_t x = a; rc == 0 && x < b; x++)
					rc = p2m_set(m, x, p2m_foreign_frame(g, x + 1), err);
				break;
			default:
				break;
			}
		}
	}
	if (rc < 0) {
		p2m_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int live_p2m_write_notes(FILE *f, const struct live_p2m *p)
{
	fprintf(f, "# live P2M of %s d%u: read from the %s over [0, %#" PRIx64 ") (%s)\n",
		p->self ? "our own domain," : "domain", p->dom.domid, live_source_name(p->source),
		p->walked, p->p2m_size_from);
	fprintf(f,
		"# nr_pages=%" PRIu64 " max_pages=%" PRIu64 " max_pfn=%#" PRIx64
		" p2m_size=%#" PRIx64 "\n",
		p->dom.tot_pages, p->dom.max_pages, p->info.max_pfn, p->p2m_size);
	fprintf(f,
		"# shared_info.arch: p2m_cr3=%#" PRIx64 " p2m_vaddr=%#" PRIx64
		" p2m_generation=%" PRIu64 " frame_list_list=%#" PRIx64 "\n",
		p->info.p2m_cr3, p->info.p2m_vaddr, p->info.p2m_generation,
		p->info.pfn_to_mfn_frame_list_list);
	fprintf(f,
		"# shared leaves named by %s: missing mfn %#" PRIx64 ", identity mfn %#" PRIx64
		"\n",
		live_label_name(p->label), p->missing_mfn, p->identity_mfn);
	fprintf(f,
		"# leaves: private=%" PRIu64 " shared-missing=%" PRIu64 " shared-identity=%" PRIu64
		" shared-other=%" PRIu64 "\n",
		p->leaves_by_kind[LIVE_LEAF_PRIVATE], p->leaves_by_kind[LIVE_LEAF_MISSING],
		p->leaves_by_kind[LIVE_LEAF_IDENTITY], p->leaves_by_kind[LIVE_LEAF_SHARED]);
	if (p->cross_checked)
		fprintf(f,
			"# list vs frame-list-list: %" PRIu64 " leaves compared, %" PRIu64
			" differ, %" PRIu64 " shared identity leaves mirrored as missing\n",
			p->cross_compared, p->cross_differ, p->cross_identity_as_missing);
	if (p->bad_identity || p->bad_mfn)
		fprintf(f,
			"# WARNING: %" PRIu64 " identity entries name another pfn, %" PRIu64
			" MFNs lie above the machine's max_mfn\n",
			p->bad_identity, p->bad_mfn);
	if (p->rereads)
		fprintf(f, "# read again %u time(s): p2m_generation moved\n", p->rereads);
	for (unsigned int i = 0; i < p->nr_notes; i++)
		fprintf(f, "# note: %s\n", p->notes[i]);
	return ferror(f) ? -EIO : 0;
}

static int put_u64(struct json_object *o, const char *key, uint64_t v)
{
	return json_put(o, key, json_object_new_uint64(v));
}

static int put_str(struct json_object *o, const char *key, const char *v)
{
	return json_put(o, key, json_object_new_string(v));
}

static struct json_object *shared_info_to_json(const struct live_p2m *p)
{
	struct json_object *si = json_object_new_object();

	if (!si || put_u64(si, "p2m_cr3", p->info.p2m_cr3) ||
	    put_u64(si, "p2m_vaddr", p->info.p2m_vaddr) ||
	    put_u64(si, "p2m_generation", p->info.p2m_generation) ||
	    put_u64(si, "pfn_to_mfn_frame_list_list", p->info.pfn_to_mfn_frame_list_list)) {
		json_object_put(si);
		return NULL;
	}
	return si;
}

/* How the list's pages are backed: the counts, then the runs of leaves. */
static struct json_object *leaves_to_json(const struct live_p2m *p)
{
	struct json_object *lv = json_object_new_object(), *runs = json_object_new_array();

	if (!lv || !runs || put_str(lv, "named_by", live_label_name(p->label)) ||
	    put_u64(lv, "missing_mfn", p->missing_mfn) ||
	    put_u64(lv, "identity_mfn", p->identity_mfn) ||
	    put_u64(lv, "private", p->leaves_by_kind[LIVE_LEAF_PRIVATE]) ||
	    put_u64(lv, "shared_missing", p->leaves_by_kind[LIVE_LEAF_MISSING]) ||
	    put_u64(lv, "shared_identity", p->leaves_by_kind[LIVE_LEAF_IDENTITY]) ||
	    put_u64(lv, "shared_other", p->leaves_by_kind[LIVE_LEAF_SHARED]))
		goto fail;
	for (size_t i = 0; i < p->nr_leaves; i++) {
		struct json_object *l = json_object_new_object();

		/* json_push() takes @l even when it fails; after it @l is the array's */
		if (json_push(runs, l) || put_u64(l, "start", p->leaves[i].first * LEAF_PFNS) ||
		    put_u64(l, "end", (p->leaves[i].last + 1) * LEAF_PFNS) ||
		    put_str(l, "backing", leaf_kind_names[p->leaves[i].kind]))
			goto fail;
	}
	if (json_put(lv, "runs", runs)) {
		json_object_put(lv);
		return NULL;
	}
	return lv;
fail:
	json_object_put(runs);
	json_object_put(lv);
	return NULL;
}

static struct json_object *cross_check_to_json(const struct live_p2m *p)
{
	struct json_object *cc = json_object_new_object();

	if (!cc || put_u64(cc, "compared", p->cross_compared) ||
	    put_u64(cc, "differ", p->cross_differ) ||
	    put_u64(cc, "identity_mirrored_as_missing", p->cross_identity_as_missing)) {
		json_object_put(cc);
		return NULL;
	}
	return cc;
}

struct json_object *live_p2m_to_json(const struct live_p2m *p)
{
	struct json_object *o = json_object_new_object(), *notes, *runs = NULL;

	if (!o || put_str(o, "source", "live") || put_u64(o, "domain", p->dom.domid) ||
	    put_u64(o, "nr_pages", p->dom.tot_pages) || put_u64(o, "max_pages", p->dom.max_pages) ||
	    put_u64(o, "guest_width", p->dom.guest_width) ||
	    put_u64(o, "max_pfn", p->info.max_pfn) || put_u64(o, "p2m_size", p->p2m_size) ||
	    put_str(o, "p2m_size_from", p->p2m_size_from) ||
	    put_str(o, "read_from", live_source_name(p->source)) ||
	    put_u64(o, "walked", p->walked) || json_put(o, "shared_info", shared_info_to_json(p)) ||
	    json_put(o, "leaves", leaves_to_json(p)) ||
	    (p->cross_checked && json_put(o, "cross_check", cross_check_to_json(p))) ||
	    json_put(o, "notes", notes = json_object_new_array()))
		goto fail;
	for (unsigned int i = 0; i < p->nr_notes; i++)
		if (json_push(notes, json_object_new_string(p->notes[i])))
			goto fail;
	if (dump_runs_to_json(&p->runs, &runs, NULL) || json_put(o, "runs", runs))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}
