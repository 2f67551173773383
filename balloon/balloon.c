/* SPDX-License-Identifier: MIT */
/*
 * balloon/balloon.c - the Xen balloon driver, modelled.
 *
 * THE DRIVER (drivers/xen/balloon.c, 6.x)
 *
 * A kthread sleeps until the target changes or a timeout expires, then
 * runs one iteration on credit = target_pages - current_pages:
 *
 *   credit > 0, balloon not empty   increase_reservation(): take up to 512
 *                                   ballooned pfns from the list head,
 *                                   XENMEM_populate_physmap them (Xen
 *                                   writes the M2P and returns MFNs), set
 *                                   P2M pfn -> mfn (which may allocate a
 *                                   leaf), hand the pages to the allocator.
 *   credit > 0, balloon empty       reserve_additional_memory(): hot-plug a
 *                                   memory block of the credit rounded up
 *                                   to a section, P2M INVALID over it, its
 *                                   pages come online into the balloon;
 *                                   BP_WAIT.  Without hotplug the target
 *                                   is cut to current; BP_ECANCELED.
 *   credit < 0                      decrease_reservation(): alloc_page up
 *                                   to min(512, -credit, available) pages,
 *                                   P2M INVALID, append them to the
 *                                   balloon, XENMEM_decrease_reservation
 *                                   with their MFNs (BUG if short).
 *
 * then update_schedule(): BP_DONE resets delay and retry to 1; an error
 * doubles the delay (at most max_schedule_delay) and after max_retry_count
 * retries turns into BP_ECANCELED with both reset (doc/behaviours.md#balloon-backoff).  The
 * thread waits 0 s after BP_DONE while credit remains, schedule_delay s
 * after BP_EAGAIN, 1 s after BP_WAIT, and for a new target after
 * BP_ECANCELED.
 *
 * THE BALLOON LIST
 *
 * Ballooned pages are a LIFO stack (list_add at the head; x86-64 has no
 * highmem, so the tail is never used).  It is kept as runs (struct
 * bl_run): pfns ascending one apart, or blocks of ascending pfns each
 * below the one before, so that a 100 GiB extra region, a hotplug block
 * or the half of a dom0 ballooned out batch by batch is one run, not
 * millions of entries.
 *
 * ITERATIONS THAT FOLLOW EACH OTHER
 *
 * While the credit is large the kthread runs decrease iterations back to
 * back: 512 pages each, no wait, BP_DONE.  balloon_run() runs as many of
 * them as nothing can interrupt (no failure due, no test limit, enough
 * available memory) as one step, a run of the P2M at a time, when the
 * hypervisor can take their calls at once; everything it leaves is what
 * the iterations one by one leave, step count included (the twin tests
 * of tests/test-balloon.c compare the two).  Increase iterations do the
 * same (increase_merged()): the pfns they would pop, as runs of the
 * balloon list, go to Xen at once, which backs them a stretch of its free
 * memory at a time, and the P2M is set a stretch at a time.
 *
 * WHICH PAGES alloc_page() GIVES
 *
 * The kernel's page allocator is not modelled.  The model takes populated
 * pfns from the top of the P2M downwards; any choice gives the same page
 * counts, which is what the captures can check.  Pages ballooned last are
 * repopulated first, as the kernel's LIFO list does.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloon/balloon.h"
#include "p2m/p2m.h"
#include "e820/e820.h"
#include "setup/setup.h"
#include "util/array.h"
#include "util/page.h"

#define WAIT_IDLE 3600	 /* BP_DONE / BP_ECANCELED: 3600 * HZ */
#define STALL_STEPS 1000 /* no-progress iterations before run() stops */

/* The driver of a kernel, from the kernel model's rows (setup/model.c,
 * doc/behaviours.md#balloon-released and the balloon-* rows after it): the
 * tree families run the old worker, the linear family the 4.x+ driver. */
void balloon_policy_from_model(struct balloon_policy *pol, const struct kernel_model *km)
{
	bool tree = kernel_has(km, KB_TREE_P2M);
	bool xsa300 = kernel_has(km, KB_BALLOON_XSA300);

	memset(pol, 0, sizeof(*pol));
	snprintf(pol->name, sizeof(pol->name), "%s", km->version);
	/* 2.6.39-3.x: "xen/balloon: ...", with the full stop. */
	pol->init_line = tree ? "xen/balloon: Initialising balloon driver." :
				"xen:balloon: Initialising balloon driver";
	pol->max_retry_count = xsa300 ? 4 : BALLOON_RETRY_UNLIMITED;
	pol->max_schedule_delay = 32;
	pol->limit_to_available = xsa300;
	/* 3.x's hotplug variant of the old worker is not modelled: the
	 * target stays clamped to the balloon. */
	pol->hotplug = !tree && km->config.balloon_hotplug;
	pol->extra_to_unpopulated = kernel_has(km, KB_BALLOON_EXTRA_UNPOPULATED);
	pol->subtract_released = kernel_has(km, KB_BALLOON_SUBTRACT_RELEASED);
	pol->kthread = kernel_has(km, KB_BALLOON_KTHREAD);
	pol->legacy_worker = tree;
	pol->p2m_generation = kernel_has(km, KB_LINEAR_P2M);
	pol->max_pfn_hint = kernel_has(km, KB_MAX_PFN_ALIGNED) ? BALLOON_MAX_PFN_ALIGNED :
			    kernel_has(km, KB_MAX_PFN_LAST)    ? BALLOON_MAX_PFN_RAW :
								 BALLOON_MAX_PFN_KEEP;
	pol->section_pages = 32768;
}

int balloon_policy_for_kernel(struct balloon_policy *pol, const char *version,
			      struct p2msim_err *err)
{
	struct kernel_model km;
	int rc = kernel_model_init(&km, version, NULL, err);

	if (rc < 0)
		return rc;
	balloon_policy_from_model(pol, &km);
	return 0;
}

const char *balloon_state_name(enum bp_state state)
{
	switch (state) {
	case BP_DONE:
		return "done";
	case BP_WAIT:
		return "wait";
	case BP_EAGAIN:
		return "eagain";
	case BP_ECANCELED:
		return "ecanceled";
	}
	return "?";
}

/*
 * A run of the balloon list: n pfns, pushed in the order pfn(0), pfn(1),
 * ..., pfn(n - 1), the last nearest the head.  With bsize 0 they ascend
 * from base: pfn(i) = base + i.  Otherwise they are blocks of bsize
 * ascending pfns, each block just below the one pushed before it, the
 * first ending at base: pfn(i) = base - (i / bsize + 1) * bsize + i %
 * bsize.  bsize 1 is a descending run; bsize 512 is what the 4.x+ driver
 * leaves when it balloons out a long stretch of pfns (each batch of 512
 * is taken top down and pushed reversed).
 */
struct bl_run {
	uint64_t base, bsize, n;
};

struct balloon {
	struct balloon_config cfg;
	struct balloon_policy pol;
	struct balloon_stats st;
	enum bp_state state;
	uint64_t invalid; /* INVALID_P2M_ENTRY of the geometry */

	struct bl_run *runs; /* runs[nr_runs - 1] is the list head */
	size_t nr_runs, alloc_runs;

	struct balloon_region *hot;
	size_t nr_hot, alloc_hot;
	uint64_t unpopulated;

	uint64_t now; /* virtual seconds */
	bool kicked;  /* woken by a new target */
	bool watch_fired;
	int64_t target_diff;
	uint64_t fail_alloc_after;

	bool dead; /* the kernel would have BUG()ed */
	char dead_msg[P2MSIM_ERR_MSG_MAX];

	struct p2m_run *scan; /* scratch for find_pages() */
	size_t alloc_scan;
	/* No PFN entry at or above this pfn (UINT64_MAX: not known): where
	 * find_pages() starts.  Only the balloon's own writes keep it. */
	uint64_t scan_top;
	bool batchwise; /* balloon_set_batchwise() */

	/* scratch for decrease_merged() */
	struct p2m_frame_run *fr;
	size_t nr_fr, alloc_fr;
	struct hv_frame_run *hfr;
	size_t alloc_hfr;
	struct hv_gpfn_run *gr; /* scratch for increase_merged() */
	size_t alloc_gr;
	uint32_t *installed;
	struct balloon_region piece[BALLOON_BATCH];
	uint64_t frames[BALLOON_BATCH];
	uint64_t pfns[BALLOON_BATCH];
};

static void blog(struct balloon *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void blog(struct balloon *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!b->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	b->cfg.log(b->cfg.log_ctx, line);
}

/* --- the balloon list ---------------------------------------------------------- */

static uint64_t bl_at(const struct bl_run *r, uint64_t i)
{
	if (!r->bsize)
		return r->base + i;
	return r->base - (i / r->bsize + 1) * r->bsize + i % r->bsize;
}

/* Would @pfn be the next pfn of @r? */
static bool bl_continues(const struct bl_run *r, uint64_t pfn)
{
	uint64_t blk;

	if (!r->bsize)
		return r->base <= UINT64_MAX - r->n && pfn == r->base + r->n;
	blk = (r->n / r->bsize + 1) * r->bsize;
	return blk <= r->base && pfn == r->base - blk + r->n % r->bsize;
}

static struct bl_run *bl_head(struct balloon *b)
{
	return b->nr_runs ? &b->runs[b->nr_runs - 1] : NULL;
}

static int bl_new_run(struct balloon *b, uint64_t base, uint64_t bsize, uint64_t n)
{
	struct bl_run *nr = array_room(b->runs, &b->alloc_runs, b->nr_runs + 1, sizeof(*nr));

	if (!nr)
		return -ENOMEM;
	b->runs = nr;
	b->runs[b->nr_runs++] = (struct bl_run){ base, bsize, n };
	return 0;
}

/* Push the ascending pfns [start, start + len). */
static int bl_push_asc(struct balloon *b, uint64_t start, uint64_t len)
{
	while (len) {
		struct bl_run *t = bl_head(b);
		uint64_t m;

		if (t && bl_continues(t, start)) {
			m = t->bsize ? t->bsize - t->n % t->bsize : len;
		} else if (t && !t->bsize && t->base >= t->n && start == t->base - t->n) {
			/* a block just below an ascending run: blocks of its size */
			t->bsize = t->n;
			t->base += t->n;
			m = t->bsize;
		} else {
			return bl_new_run(b, start, 0, len);
		}
		if (m > len)
			m = len;
		t->n += m;
		start += m;
		len -= m;
	}
	return 0;
}

static int bl_push(struct balloon *b, uint64_t pfn)
{
	return bl_push_asc(b, pfn, 1);
}

/* Push @count blocks of @bsize ascending pfns, each below the one before,
 * the first ending at @top. */
static int bl_push_blocks(struct balloon *b, uint64_t top, uint64_t bsize, uint64_t count)
{
	struct bl_run *t = bl_head(b);

	if (!count)
		return 0;
	if (t && t->bsize == bsize && t->n % bsize == 0 && bl_continues(t, top - bsize)) {
		t->n += count * bsize;
		return 0;
	}
	if (t && !t->bsize && t->n == bsize && top == t->base) {
		/* one block pushed as an ascending run: the next continues it */
		t->bsize = bsize;
		t->base += bsize;
		t->n += count * bsize;
		return 0;
	}
	return bl_new_run(b, top, bsize, count * bsize);
}

/* Push the descending pfns hi - 1, hi - 2, ..., hi - len. */
static int bl_push_desc(struct balloon *b, uint64_t hi, uint64_t len)
{
	while (len) {
		struct bl_run *t = bl_head(b);
		int rc;

		if (t && t->bsize == 1 && bl_continues(t, hi - 1)) {
			t->n += len;
			return 0;
		}
		rc = bl_push(b, hi - 1);
		if (rc < 0)
			return rc;
		hi--;
		len--;
	}
	return 0;
}

static uint64_t bl_pop(struct balloon *b)
{
	struct bl_run *t = bl_head(b);
	uint64_t pfn = bl_at(t, t->n - 1);

	if (--t->n == 0)
		b->nr_runs--;
	return pfn;
}

/* Pop @n pfns at once. */
static void bl_drop(struct balloon *b, uint64_t n)
{
	while (n) {
		struct bl_run *t = bl_head(b);
		uint64_t m = t->n < n ? t->n : n;

		t->n -= m;
		n -= m;
		if (!t->n)
			b->nr_runs--;
	}
}

/* Append [start, end), lowest first (extra regions, onlined memory). */
static int bl_push_range(struct balloon *b, uint64_t start, uint64_t end)
{
	return end > start ? bl_push_asc(b, start, end - start) : 0;
}

/* The first @max pfns from the head, without taking them. */
static size_t bl_peek(const struct balloon *b, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t r = b->nr_runs; r-- > 0 && n < max;) {
		const struct bl_run *t = &b->runs[r];

		for (uint64_t i = t->n; i-- > 0 && n < max;)
			out[n++] = bl_at(t, i);
	}
	return n;
}

size_t balloon_list(const struct balloon *b, uint64_t *pfns, size_t max)
{
	return bl_peek(b, pfns, max);
}

static bool balloon_is_inflated(const struct balloon *b)
{
	return b->st.balloon_low || b->st.balloon_high;
}

/* --- accessors ------------------------------------------------------------------------ */

const struct balloon_stats *balloon_get_stats(const struct balloon *b)
{
	return &b->st;
}

enum bp_state balloon_state(const struct balloon *b)
{
	return b->state;
}

static int64_t credit_of(const struct balloon *b)
{
	uint64_t target = b->st.target_pages;

	/* Before 4.x: current_target() clamps to what the balloon holds. */
	if (b->pol.legacy_worker) {
		uint64_t most = b->st.current_pages + b->st.balloon_low + b->st.balloon_high;

		if (target > most)
			target = most;
	}
	return (int64_t)target - (int64_t)b->st.current_pages;
}

int64_t balloon_credit(const struct balloon *b)
{
	return credit_of(b);
}

uint64_t balloon_time(const struct balloon *b)
{
	return b->now;
}

const struct balloon_region *balloon_hotplugged(const struct balloon *b, size_t *nr)
{
	*nr = b->nr_hot;
	return b->hot;
}

uint64_t balloon_unpopulated(const struct balloon *b)
{
	return b->unpopulated;
}

void balloon_set_limits(struct balloon *b, unsigned long max_schedule_delay,
			unsigned long max_retry_count)
{
	b->st.max_schedule_delay = max_schedule_delay ? max_schedule_delay : 1;
	b->st.max_retry_count = max_retry_count;
}

void balloon_fail_alloc_after(struct balloon *b, uint64_t pages)
{
	b->fail_alloc_after = pages;
}

void balloon_set_batchwise(struct balloon *b, bool on)
{
	b->batchwise = on;
}

/* --- init --------------------------------------------------------------------------- */

void balloon_free(struct balloon *b)
{
	if (!b)
		return;
	free(b->runs);
	free(b->hot);
	free(b->scan);
	free(b->fr);
	free(b->hfr);
	free(b->gr);
	free(b->installed);
	free(b);
}

int balloon_new(struct balloon **out, const struct balloon_config *cfg, struct p2msim_err *err)
{
	struct balloon *b;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->hv || !cfg->p2m)
		return p2msim_err_set(err, -EINVAL, "balloon: needs a hypervisor and a P2M");
	b = calloc(1, sizeof(*b));
	if (!b)
		return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
	b->cfg = *cfg;
	if (cfg->policy) {
		b->pol = *cfg->policy;
	} else {
		rc = balloon_policy_for_kernel(&b->pol, KERNEL_DEFAULT_VERSION, err);
		if (rc < 0) {
			balloon_free(b);
			return rc;
		}
	}
	b->invalid = p2m_geometry(cfg->p2m)->invalid;
	b->fail_alloc_after = UINT64_MAX;
	b->scan_top = UINT64_MAX;
	b->state = BP_DONE;
	blog(b, "%s", b->pol.init_line);

	if (b->pol.subtract_released && cfg->released_pages >= cfg->nr_pages && cfg->nr_pages) {
		balloon_free(b);
		return p2msim_err_set(err, -ERANGE,
				      "balloon: Released pages underflow current target (%" PRIu64
				      " >= %" PRIu64 ")",
				      cfg->released_pages, cfg->nr_pages);
	}
	b->st.current_pages = cfg->nr_pages;
	if (b->pol.subtract_released)
		b->st.current_pages -= cfg->released_pages;
	if (b->st.current_pages > cfg->max_pfn)
		b->st.current_pages = cfg->max_pfn;
	b->st.target_pages = b->st.current_pages;
	b->st.total_pages = b->st.current_pages;
	b->st.schedule_delay = 1;
	b->st.max_schedule_delay = b->pol.max_schedule_delay;
	b->st.retry_count = 1;
	b->st.max_retry_count = b->pol.max_retry_count;

	for (size_t i = 0; i < cfg->nr_extra; i++) {
		uint64_t start = cfg->extra[i].start_pfn;
		uint64_t end = start + cfg->extra[i].n_pfns;

		if (!cfg->extra[i].n_pfns)
			continue;
		if (b->pol.extra_to_unpopulated) {
			b->unpopulated += cfg->extra[i].n_pfns;
			continue;
		}
		/* Only pfns below max_pfn (a mem= limit cuts the rest). */
		if (end > cfg->max_pfn)
			end = cfg->max_pfn;
		rc = bl_push_range(b, start, end);
		if (rc < 0) {
			balloon_free(b);
			return p2msim_err_set(err, rc, "balloon: out of memory");
		}
		if (end > start) {
			b->st.balloon_low += end - start;
			if (!b->pol.legacy_worker)
				b->st.total_pages += end - start;
		}
	}
	*out = b;
	return 0;
}

int balloon_new_for_boot(struct balloon **out, const struct kernel_model *km,
			 struct setup_result *res, struct hv *hv, hv_domid_t domid,
			 void (*log)(void *ctx, const char *line), void *log_ctx,
			 struct p2msim_err *err)
{
	struct balloon_region extra[SETUP_MAX_EXTRA];
	struct balloon_config cfg = { 0 };
	struct balloon_policy *pol;
	struct balloon *b = NULL;
	int rc;

	*out = NULL;
	if (!res->p2m || res->crashed)
		return p2msim_err_set(err, -EINVAL, "balloon: the guest did not boot");
	pol = malloc(sizeof(*pol));
	if (!pol)
		return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
	balloon_policy_from_model(pol, km);
	for (unsigned int i = 0; i < res->nr_extra; i++)
		extra[i] = (struct balloon_region){ res->extra[i].start, res->extra[i].n };
	cfg.policy = pol;
	cfg.hv = hv;
	cfg.domid = domid;
	cfg.p2m = res->p2m;
	cfg.pv = true;
	cfg.nr_pages = res->nr_pages;
	cfg.released_pages = res->released;
	cfg.max_pfn = res->kernel_max_pfn;
	cfg.extra = extra;
	cfg.nr_extra = res->nr_extra;
	cfg.e820 = &res->user_e820;
	cfg.log = log;
	cfg.log_ctx = log_ctx;
	rc = balloon_new(&b, &cfg, err);
	if (rc == 0) {
		/* The balloon keeps its own copy of the policy. */
		b->cfg.policy = NULL;
		b->cfg.extra = NULL;
		b->cfg.nr_extra = 0;
		*out = b;
	}
	free(pol);
	return rc;
}

/* --- targets ---------------------------------------------------------------------- */

void balloon_set_target(struct balloon *b, uint64_t pages)
{
	b->st.target_pages = pages;
	b->kicked = true;
}

void balloon_set_target_kib(struct balloon *b, uint64_t kib)
{
	balloon_set_target(b, (kib * 1024) >> PAGE_SHIFT);
}

void balloon_set_target_bytes(struct balloon *b, uint64_t bytes)
{
	balloon_set_target(b, bytes >> PAGE_SHIFT);
}

/* The kernel's memparse(): a number in any base, then K/M/G/T/P/E. */
int balloon_set_target_string(struct balloon *b, const char *s, struct p2msim_err *err)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned int shift = 0;

	switch (toupper((unsigned char)*end)) {
	case 'E':
		shift += 10;
		/* fall through */
	case 'P':
		shift += 10;
		/* fall through */
	case 'T':
		shift += 10;
		/* fall through */
	case 'G':
		shift += 10;
		/* fall through */
	case 'M':
		shift += 10;
		/* fall through */
	case 'K':
		shift += 10;
		end++;
		break;
	default:
		break;
	}
	if (end == s)
		return p2msim_err_set(err, -EINVAL, "balloon target '%s': not a size", s);
	balloon_set_target_bytes(b, shift >= 64 ? 0 : (uint64_t)v << shift);
	return 0;
}

static int xs_read_u64(struct balloon *b, const char *leaf, uint64_t *v, bool *found,
		       struct p2msim_err *err)
{
	char path[96], *s = NULL, *end;
	struct p2msim_err e = { 0 };
	int rc;

	*found = false;
	snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", b->cfg.domid, leaf);
	rc = hv_xs_read(b->cfg.hv, path, &s, &e);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		if (err)
			*err = e;
		return rc;
	}
	/* xenbus_scanf("%llu"): leading digits. */
	*v = strtoull(s, &end, 10);
	*found = end != s;
	free(s);
	return 0;
}

int balloon_xenstore_watch(struct balloon *b, bool *fired, struct p2msim_err *err)
{
	uint64_t kib, static_max;
	bool found;
	int rc;

	if (fired)
		*fired = false;
	rc = xs_read_u64(b, "target", &kib, &found, err);
	if (rc < 0 || !found)
		return rc; /* no key: "ok for domain0" */
	kib >>= PAGE_SHIFT - 10;
	if (!b->watch_fired) {
		bool have;

		b->watch_fired = true;
		rc = xs_read_u64(b, "static-max", &static_max, &have, err);
		if (rc == 0 && !have)
			rc = xs_read_u64(b, "memory_static_max", &static_max, &have, err);
		if (rc < 0)
			return rc;
		if (have)
			static_max >>= PAGE_SHIFT - 10;
		else
			static_max = kib;
		/* HVM: the memory the guest does not see as RAM. */
		b->target_diff = b->cfg.pv || b->cfg.domid == 0 ?
					 0 :
					 (int64_t)static_max - (int64_t)b->st.target_pages;
	}
	balloon_set_target(b, (uint64_t)((int64_t)kib - b->target_diff));
	if (fired)
		*fired = true;
	return 0;
}

/* --- the kernel would BUG() ----------------------------------------------------------- */

static int die(struct balloon *b, struct p2msim_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int die(struct balloon *b, struct p2msim_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->dead_msg, sizeof(b->dead_msg), fmt, ap);
	va_end(ap);
	b->dead = true;
	b->state = BP_ECANCELED;
	return p2msim_err_set(err, -EIO, "%s", b->dead_msg);
}

/* --- shared_info bookkeeping of xen_alloc_p2m_entry() ------------------------------------ */

struct p2m_pages {
	uint64_t mid, leaf;
};

static void p2m_pages(const struct balloon *b, struct p2m_pages *pp)
{
	struct p2m_stats st;

	if (!b->pol.p2m_generation) {
		pp->mid = pp->leaf = 0;
		return;
	}
	p2m_get_stats(b->cfg.p2m, &st);
	pp->mid = st.mid;
	pp->leaf = st.leaf;
}

/*
 * 3.19+: every page-table or leaf page xen_alloc_p2m_entry() installs
 * moves p2m_generation by 2, and a pfn at or past shared_info's max_pfn
 * raises it.  shared_info is plain memory for the guest; if the
 * hypervisor interface cannot read it (or nobody set it up), nothing is
 * written.
 */
static void note_p2m_installed(struct balloon *b, uint64_t installed, uint64_t hi_pfn, bool any)
{
	struct hv_p2m_info info;
	bool change = false;

	if (!installed && (!any || b->pol.max_pfn_hint == BALLOON_MAX_PFN_KEEP))
		return;
	if (hv_p2m_info(b->cfg.hv, b->cfg.domid, &info, NULL) < 0 || !info.max_pfn)
		return;
	if (installed && b->pol.p2m_generation) {
		info.p2m_generation += 2 * installed;
		change = true;
	}
	if (any && hi_pfn >= info.max_pfn) {
		if (b->pol.max_pfn_hint == BALLOON_MAX_PFN_ALIGNED) {
			info.max_pfn = (hi_pfn + 512) & ~511ULL;
			change = true;
		} else if (b->pol.max_pfn_hint == BALLOON_MAX_PFN_RAW) {
			/* 98dd166ea3a3: the raw pfn, one short of a count. */
			info.max_pfn = hi_pfn;
			change = true;
		}
	}
	if (change)
		hv_set_p2m_info(b->cfg.hv, b->cfg.domid, &info, NULL);
}

static void note_p2m_growth(struct balloon *b, const struct p2m_pages *before, uint64_t hi_pfn,
			    bool any)
{
	struct p2m_pages after;

	p2m_pages(b, &after);
	note_p2m_installed(b, (after.mid - before->mid) + (after.leaf - before->leaf), hi_pfn, any);
}

/* --- increase ------------------------------------------------------------------------- */

static enum bp_state increase_reservation(struct balloon *b, uint64_t credit,
					  struct balloon_step *step, int *fatal,
					  struct p2msim_err *err)
{
	struct p2msim_err herr = { 0 };
	struct p2m_pages before;
	uint64_t hi = 0;
	size_t nr = credit < BALLOON_BATCH ? (size_t)credit : BALLOON_BATCH;
	long rc;

	nr = bl_peek(b, b->pfns, nr);
	memcpy(b->frames, b->pfns, nr * sizeof(*b->frames));
	rc = hv_populate_physmap(b->cfg.hv, b->cfg.domid, b->frames, nr, 0, &herr);
	if (rc <= 0)
		return BP_EAGAIN;
	p2m_pages(b, &before);
	for (long i = 0; i < rc; i++) {
		uint64_t pfn = bl_pop(b);
		struct p2msim_err perr = { 0 };
		int r;

		b->st.balloon_low--;
		r = p2m_set(b->cfg.p2m, pfn, b->frames[i], &perr);
		if (r < 0) {
			long back;

			/* Every era ignores set_phys_to_machine() failing here
			 * and frees a page with no P2M entry; the model gives
			 * the frames back and the pfns to the balloon. */
			bl_push(b, pfn);
			b->st.balloon_low++;
			back = hv_decrease_reservation(b->cfg.hv, b->cfg.domid, b->frames + i,
						       (size_t)(rc - i), 0, &herr);
			b->st.current_pages += (uint64_t)i;
			step->increased += (uint64_t)i;
			note_p2m_growth(b, &before, hi, i > 0);
			*fatal = die(
				b, err,
				"balloon: set_phys_to_machine(%#" PRIx64
				") failed after populate_physmap (%s); Linux ignores it and uses a page without a P2M entry%s",
				pfn, perr.msg,
				back == rc - i ? "" : "; giving the frames back failed too");
			return BP_ECANCELED;
		}
		if (pfn > hi)
			hi = pfn;
	}
	b->st.current_pages += (uint64_t)rc;
	step->increased += (uint64_t)rc;
	if (b->scan_top != UINT64_MAX && hi >= b->scan_top)
		b->scan_top = hi + 1;
	note_p2m_growth(b, &before, hi, true);
	return BP_DONE;
}

/* --- decrease ------------------------------------------------------------------------- */

/* si_mem_available(), as far as the model knows it. */
static uint64_t mem_available(const struct balloon *b)
{
	return b->st.current_pages > b->cfg.unavailable_pages ?
		       b->st.current_pages - b->cfg.unavailable_pages :
		       0;
}

/* alloc_page(GFP_BALLOON) @n times: populated pfns from the top of the
 * P2M down.  Returns how many it found. */
static size_t find_pages(struct balloon *b, size_t n, uint64_t *out, struct p2msim_err *err,
			 int *rc)
{
	uint64_t hi = p2m_capacity(b->cfg.p2m), win = 4096;
	size_t got = 0;

	if (b->scan_top < hi)
		hi = b->scan_top;

	*rc = 0;
	while (got < n && hi > 0) {
		uint64_t lo = hi > win ? hi - win : 0;
		struct p2m_iter it;
		struct p2m_run run;
		size_t nr = 0;

		p2m_iter_init(&it, b->cfg.p2m, lo, hi, 0);
		while (p2m_iter_next(&it, &run)) {
			if (run.type != P2M_PFN)
				continue;
			struct p2m_run *ns =
				array_room(b->scan, &b->alloc_scan, nr + 1, sizeof(*ns));

			if (!ns) {
				*rc = p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
				return got;
			}
			b->scan = ns;
			b->scan[nr++] = run;
		}
		for (size_t k = nr; k-- > 0 && got < n;)
			for (uint64_t pfn = b->scan[k].end; pfn-- > b->scan[k].start && got < n;)
				out[got++] = pfn;
		hi = lo;
		if (win < (1ULL << 40))
			win <<= 1;
	}
	return got;
}

static enum bp_state decrease_reservation(struct balloon *b, uint64_t n, struct balloon_step *step,
					  int *fatal, struct p2msim_err *err)
{
	enum bp_state state = BP_DONE;
	struct p2msim_err herr = { 0 };
	size_t nr = n < BALLOON_BATCH ? (size_t)n : BALLOON_BATCH, want = nr, got;
	uint64_t avail = mem_available(b);
	long ret;
	int rc;

	/* alloc_page() fails once free memory is gone (or a test says so). */
	if (want > avail)
		want = (size_t)avail;
	if (want > b->fail_alloc_after)
		want = (size_t)b->fail_alloc_after;
	got = find_pages(b, want, b->pfns, err, &rc);
	if (rc < 0) {
		*fatal = rc;
		return BP_ECANCELED;
	}
	if (b->fail_alloc_after != UINT64_MAX)
		b->fail_alloc_after -= got;
	if (got < nr) {
		nr = got;
		state = BP_EAGAIN;
	}
	/* 4.x+: the pages were collected with list_add, so frame_list and
	 * the balloon see them in reverse allocation order. */
	if (!b->pol.legacy_worker)
		for (size_t i = 0; i < nr / 2; i++) {
			uint64_t t = b->pfns[i];

			b->pfns[i] = b->pfns[nr - 1 - i];
			b->pfns[nr - 1 - i] = t;
		}
	for (size_t i = 0; i < nr; i++) {
		b->frames[i] = p2m_pfn_to_mfn(b->cfg.p2m, b->pfns[i]);
		/* A populated entry sits in a private leaf: no allocation. */
		if (!p2m_set_noalloc(b->cfg.p2m, b->pfns[i], b->invalid) ||
		    bl_push(b, b->pfns[i]) < 0) {
			for (size_t j = i; j-- > 0;) {
				bl_pop(b);
				p2m_set_noalloc(b->cfg.p2m, b->pfns[j], b->frames[j]);
				b->st.balloon_low--;
			}
			p2m_set_noalloc(b->cfg.p2m, b->pfns[i], b->frames[i]);
			*fatal = p2msim_err_set(err, -ENOMEM,
						"balloon: cannot take pfn %#" PRIx64
						" out of the P2M",
						b->pfns[i]);
			return BP_ECANCELED;
		}
		b->st.balloon_low++;
	}
	ret = hv_decrease_reservation(b->cfg.hv, b->cfg.domid, b->frames, nr, 0, &herr);
	if (ret != (long)nr) {
		size_t done = ret > 0 ? (size_t)ret : 0;

		/* Undo the frames Xen kept: P2M back, out of the balloon. */
		for (size_t j = nr; j-- > done;) {
			bl_pop(b);
			p2m_set_noalloc(b->cfg.p2m, b->pfns[j], b->frames[j]);
			b->st.balloon_low--;
		}
		b->st.current_pages -= done;
		step->decreased += done;
		*fatal = die(
			b, err,
			"balloon: decrease_reservation of %zu frames returned %ld (%s); Linux BUG()s here (BUG_ON(ret != nr_pages))",
			nr, ret, herr.msg[0] ? herr.msg : "short");
		return BP_ECANCELED;
	}
	b->st.current_pages -= nr;
	step->decreased += nr;
	/* every PFN entry from the lowest page taken up is gone */
	if (got)
		b->scan_top = b->pfns[b->pol.legacy_worker ? got - 1 : 0];
	else if (want)
		b->scan_top = 0;
	return state;
}

/* --- iterations that follow each other with no wait, as one step ------------------------- */

static void update_schedule(struct balloon *b);
static uint64_t next_wait(const struct balloon *b);

static int collect_frame_run(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	struct balloon *b = ctx;
	struct p2m_frame_run *nf = array_room(b->fr, &b->alloc_fr, b->nr_fr + 1, sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	b->fr = nf;
	b->fr[b->nr_fr++] = (struct p2m_frame_run){ pfn, mfn, n };
	return 0;
}

/* How many of the decrease iterations from now on would each take a whole
 * batch and end in BP_DONE with no wait before the next: credit, free
 * memory (si_mem_available() under XSA-300, where falling short of
 * totalreserve_pages means a retry) and a test's allocation limit all
 * last for that many batches. */
static uint64_t clean_decrease_batches(const struct balloon *b)
{
	int64_t credit = credit_of(b);
	uint64_t c, a = mem_available(b), k;

	if (credit >= 0 || next_wait(b) != 0)
		return 0;
	c = (uint64_t)-credit;
	k = c / BALLOON_BATCH;
	if (a / BALLOON_BATCH < k)
		k = a / BALLOON_BATCH;
	if (b->fail_alloc_after != UINT64_MAX && b->fail_alloc_after / BALLOON_BATCH < k)
		k = b->fail_alloc_after / BALLOON_BATCH;
	/* a and c fall by a batch together: n = min(c, a) is a short of the
	 * credit in every one of them, or in none */
	if (b->pol.limit_to_available && a < c) {
		uint64_t tr = b->cfg.totalreserve_pages;
		uint64_t ok = a < tr ? 0 : (a - tr) / BALLOON_BATCH + 1;

		if (ok < k)
			k = ok;
	}
	return k;
}

/* Push the pages of @k batches onto the balloon list in the kernel's
 * order: the pieces (pfn ranges, highest first, as alloc_page gave them)
 * of each batch of 512 are pushed lowest first by the 4.x+ driver, highest
 * first by the old worker. */
static int push_batches(struct balloon *b, size_t nr_sel)
{
	uint64_t pos = 0;
	size_t nb = 0;
	int rc = 0;

	for (size_t i = 0; i < nr_sel && rc == 0; i++) {
		uint64_t lo = b->fr[b->nr_fr - 1 - i].pfn, hi = lo + b->fr[b->nr_fr - 1 - i].n;

		if (b->pol.legacy_worker) {
			rc = bl_push_desc(b, hi, hi - lo);
			continue;
		}
		while (hi > lo && rc == 0) {
			uint64_t off = pos % BALLOON_BATCH, m;

			if (off == 0 && hi - lo >= BALLOON_BATCH) {
				uint64_t f = (hi - lo) / BALLOON_BATCH;

				rc = bl_push_blocks(b, hi, BALLOON_BATCH, f);
				hi -= f * BALLOON_BATCH;
				pos += f * BALLOON_BATCH;
				continue;
			}
			m = hi - lo < BALLOON_BATCH - off ? hi - lo : BALLOON_BATCH - off;
			b->piece[nb++] = (struct balloon_region){ hi - m, m };
			hi -= m;
			pos += m;
			if (pos % BALLOON_BATCH == 0) {
				while (nb > 0 && rc == 0) {
					nb--;
					rc = bl_push_asc(b, b->piece[nb].start_pfn,
							 b->piece[nb].n_pfns);
				}
			}
		}
	}
	return rc;
}

/*
 * Run as one step the decrease iterations that would follow each other
 * with no wait and no failure (clean_decrease_batches()), when the
 * hypervisor can take their calls at once: the same P2M, balloon list,
 * stats, time, hypervisor state and operation count as the iterations one
 * by one, in time that follows the P2M's runs.  *@steps says how many
 * iterations it ran (0: none; the caller steps on its own).
 */
static int decrease_merged(struct balloon *b, uint64_t *steps, struct p2msim_err *err)
{
	uint64_t k = clean_decrease_batches(b), want, got = 0, lowest = 0;
	size_t nr_sel = 0;
	int rc;

	*steps = 0;
	if (!k || b->dead)
		return 0;
	b->nr_fr = 0;
	if (p2m_frame_runs(b->cfg.p2m, collect_frame_run, b) < 0)
		return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
	for (size_t i = b->nr_fr; i-- > 0;)
		got += b->fr[i].n;
	if (got / BALLOON_BATCH < k)
		k = got / BALLOON_BATCH;
	if (!k)
		return 0;
	want = k * BALLOON_BATCH;
	/* the top @want PFN entries: the last runs, the lowest one in part */
	if (b->alloc_hfr < b->nr_fr) {
		struct hv_frame_run *nh = realloc(b->hfr, b->nr_fr * sizeof(*nh));

		if (!nh)
			return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
		b->hfr = nh;
		b->alloc_hfr = b->nr_fr;
	}
	for (got = 0; got < want; nr_sel++) {
		struct p2m_frame_run *f = &b->fr[b->nr_fr - 1 - nr_sel];

		if (f->n > want - got) {
			uint64_t cut = f->n - (want - got);

			f->pfn += cut;
			f->mfn += cut;
			f->n -= cut;
		}
		b->hfr[nr_sel] = (struct hv_frame_run){ f->mfn, f->n };
		got += f->n;
		lowest = f->pfn;
	}
	rc = hv_decrease_reservation_runs(b->cfg.hv, b->cfg.domid, b->hfr, nr_sel, (unsigned long)k,
					  err);
	if (rc == -EAGAIN || rc == -EOPNOTSUPP)
		return 0;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < nr_sel; i++) {
		const struct p2m_frame_run *f = &b->fr[b->nr_fr - 1 - i];
		struct p2msim_err perr = { 0 };

		rc = p2m_set_range_pfnwise(b->cfg.p2m, f->pfn, f->pfn + f->n, P2M_FILL_MISSING, 0,
					   &perr);
		if (rc < 0)
			return p2msim_err_set(err, -ENOMEM,
					      "balloon: cannot take pfns %#" PRIx64 "-%#" PRIx64
					      " out of the P2M: %s",
					      f->pfn, f->pfn + f->n - 1, perr.msg);
	}
	if (push_batches(b, nr_sel) < 0)
		return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
	b->st.balloon_low += want;
	b->st.current_pages -= want;
	if (b->fail_alloc_after != UINT64_MAX)
		b->fail_alloc_after -= want;
	b->scan_top = lowest;
	/* every iteration waited 0 s: the time stays */
	b->kicked = false;
	b->state = BP_DONE;
	update_schedule(b);
	if (hv_sim_out_of_memory(b->cfg.hv))
		return p2msim_err_set(err, -ENOMEM, "out of memory in the simulated hypervisor");
	*steps = k;
	return 0;
}

/* --- increase iterations that follow each other, as one step ---------------------------- */

#define MERGE_RUNS 8192 /* gpfn runs populated at once */

/* How many of the increase iterations from now on would each populate a
 * whole batch and end in BP_DONE with no wait before the next: the credit
 * and the balloon last for that many batches (whether Xen has the frames
 * only Xen can say). */
static uint64_t clean_increase_batches(const struct balloon *b)
{
	int64_t credit = credit_of(b);
	uint64_t k;

	if (credit <= 0 || next_wait(b) != 0 || !(b->pol.legacy_worker || balloon_is_inflated(b)))
		return 0;
	k = (uint64_t)credit / BALLOON_BATCH;
	if (b->st.balloon_low / BALLOON_BATCH < k)
		k = b->st.balloon_low / BALLOON_BATCH;
	return k;
}

/* The first pfns of the balloon list, in the order increase takes them, as
 * gpfn runs in b->gr: at most @max pfns in whole batches, and MERGE_RUNS
 * runs.  Returns the pfns. */
static uint64_t bl_gpfn_runs(struct balloon *b, uint64_t max, size_t *nr)
{
	uint64_t got = 0, cut;
	size_t k = 0;

	*nr = 0;
	if (!b->gr) {
		b->gr = malloc(MERGE_RUNS * sizeof(*b->gr));
		if (!b->gr)
			return 0;
		b->alloc_gr = MERGE_RUNS;
	}
	for (size_t r = b->nr_runs; r-- > 0 && got < max && k < MERGE_RUNS;) {
		const struct bl_run *t = &b->runs[r];
		uint64_t i = t->n; /* pfn(i - 1) .. pfn(0) are still to come */

		while (i > 0 && got < max && k < MERGE_RUNS) {
			struct hv_gpfn_run g;

			if (!t->bsize) /* pushed ascending: popped descending */
				g = (struct hv_gpfn_run){ t->base + i - 1, i, true };
			else if (t->bsize == 1) /* pushed descending: popped ascending */
				g = (struct hv_gpfn_run){ t->base - i, i, false };
			else /* the rest of a block, descending */
				g = (struct hv_gpfn_run){ bl_at(t, i - 1), (i - 1) % t->bsize + 1,
							  true };
			if (g.n > max - got)
				g.n = max - got;
			b->gr[k++] = g;
			got += g.n;
			i -= g.n;
		}
	}
	/* whole batches only */
	for (cut = got % BALLOON_BATCH; cut;) {
		struct hv_gpfn_run *g = &b->gr[k - 1];
		uint64_t m = g->n < cut ? g->n : cut;

		g->n -= m;
		cut -= m;
		got -= m;
		if (!g->n)
			k--;
	}
	*nr = k;
	return got;
}

/* Can the runs' pfns be set as p2m_set() would, a stretch at a time?  They
 * must lie inside the P2M, and where a page would be installed (a pfn
 * outside a private leaf) it must come from the heap, which cannot run
 * out as the brk pool can.  *@installs says whether any page would be. */
static bool gpfns_settable(const struct balloon *b, size_t nr, bool *installs)
{
	uint64_t cap = p2m_capacity(b->cfg.p2m);

	*installs = false;
	for (size_t i = 0; i < nr; i++) {
		const struct hv_gpfn_run *g = &b->gr[i];
		uint64_t lo = g->down ? g->first - (g->n - 1) : g->first, hi = lo + g->n;
		struct p2m_iter it;
		struct p2m_run run;

		if (hi > cap)
			return false;
		p2m_iter_init(&it, b->cfg.p2m, lo, hi, P2M_ITER_SPLIT_LEVELS);
		while (!*installs && p2m_iter_next(&it, &run))
			if (run.level != P2M_LEVEL_LEAF)
				*installs = true;
	}
	return !*installs || p2m_alloc_src(b->cfg.p2m) != P2M_SRC_BRK;
}

#define MERGE_BATCHES 65536 /* batches populated at once */

struct placing {
	struct balloon *b;
	struct p2msim_err *err;
	uint64_t hi;	     /* highest pfn set */
	size_t run;	     /* the gpfn run the next stretch belongs to */
	uint64_t off, pos;   /* its offset there, its place in the batches */
	bool installs;	     /* some pfn lies outside a private leaf */
	uint32_t *installed; /* pages each batch installs */
};

/* The batch whose driver first sets a pfn of [s, e), part of the stretch
 * [lo, lo + n) at @pos, set highest first (@down) or lowest first. */
static uint64_t first_batch(uint64_t s, uint64_t e, uint64_t lo, uint64_t n, uint64_t pos,
			    bool down)
{
	return (down ? pos + (lo + n - e) : pos + (s - lo)) / BALLOON_BATCH;
}

/* What p2m_set() of each pfn of the stretch installs, and in which batch:
 * a leaf for every leaf not yet private, a mid for every shared mid, at
 * the first pfn of it the driver sets. */
static void count_installs(struct placing *pl, uint64_t lo, uint64_t n, bool down)
{
	const struct p2m_geometry *g = p2m_geometry(pl->b->cfg.p2m);
	uint64_t leaf = 1ULL << g->leaf_shift, mid = leaf << g->mid_shift;
	struct p2m_iter it;
	struct p2m_run run;

	p2m_iter_init(&it, pl->b->cfg.p2m, lo, lo + n, P2M_ITER_SPLIT_LEVELS);
	while (p2m_iter_next(&it, &run)) {
		if (run.level == P2M_LEVEL_LEAF)
			continue;
		for (uint64_t s = run.start; s < run.end;) {
			uint64_t e = (s | (leaf - 1)) + 1 < run.end ? (s | (leaf - 1)) + 1 :
								      run.end;

			pl->installed[first_batch(s, e, lo, n, pl->pos, down)]++;
			s = e;
		}
		if (run.level != P2M_LEVEL_TOP)
			continue;
		for (uint64_t s = run.start; s < run.end;) {
			uint64_t e = (s | (mid - 1)) + 1 < run.end ? (s | (mid - 1)) + 1 : run.end;

			pl->installed[first_batch(s, e, lo, n, pl->pos, down)]++;
			s = e;
		}
	}
}

/* The P2M entries of gpfns Xen has just backed (hv_placed_fn: the
 * stretches come in the order of the runs). */
static int place_frames(void *ctx, uint64_t pfn, uint64_t mfn, uint64_t n)
{
	struct placing *pl = ctx;
	struct p2msim_err perr = { 0 };
	bool down = pl->b->gr[pl->run].down;
	int rc = 0;

	if (pfn + n - 1 > pl->hi)
		pl->hi = pfn + n - 1;
	/* (p2m_pages() sees none before the linear P2M) */
	if (pl->installs && pl->b->pol.p2m_generation)
		count_installs(pl, pfn, n, down);
	pl->pos += n;
	pl->off += n;
	if (pl->off == pl->b->gr[pl->run].n) {
		pl->run++;
		pl->off = 0;
	}
	if (n == 1 && p2m_set_noalloc(pl->b->cfg.p2m, pfn, mfn))
		return 0;
	rc = p2m_set_range_pfnwise(pl->b->cfg.p2m, pfn, pfn + n, P2M_FILL_MFN, mfn, &perr);
	if (rc < 0)
		return p2msim_err_set(pl->err, -ENOMEM,
				      "balloon: cannot put pfns %#" PRIx64 "-%#" PRIx64
				      " into the P2M: %s",
				      pfn, pfn + n - 1, perr.msg);
	return 0;
}

/* What each batch's xen_alloc_p2m_entry() bookkeeping (note_p2m_growth())
 * does: p2m_generation follows the pages it installed, shared_info's
 * max_pfn the highest pfn of the batch. */
static void note_batches(struct balloon *b, size_t nr, const uint32_t *installed)
{
	uint64_t pos = 0, hi = 0;

	for (size_t i = 0; i < nr; i++) {
		const struct hv_gpfn_run *g = &b->gr[i];

		for (uint64_t done = 0; done < g->n;) {
			uint64_t m = BALLOON_BATCH - pos % BALLOON_BATCH, top;

			if (m > g->n - done)
				m = g->n - done;
			top = g->down ? g->first - done : g->first + done + m - 1;
			if (top > hi)
				hi = top;
			done += m;
			pos += m;
			if (pos % BALLOON_BATCH == 0) {
				note_p2m_installed(b, installed[pos / BALLOON_BATCH - 1], hi, true);
				hi = 0;
			}
		}
	}
}

/*
 * Run as one step the increase iterations that would follow each other
 * with no wait and no failure (clean_increase_batches()), when the P2M
 * can take the pfns (gpfns_settable()) and the hypervisor their calls at
 * once: the same P2M, M2P, balloon list, stats, time and
 * operation count as the iterations one by one, in time that follows the
 * runs of the balloon list and of Xen's free memory.  *@steps says how
 * many iterations it ran (0: none; the caller steps on its own).
 */
static int increase_merged(struct balloon *b, uint64_t *steps, struct p2msim_err *err)
{
	uint64_t k = clean_increase_batches(b);

	*steps = 0;
	if (k && !b->installed) {
		b->installed = malloc(MERGE_BATCHES * sizeof(*b->installed));
		if (!b->installed)
			return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
	}
	while (k && !b->dead) {
		struct placing pl = { .b = b, .err = err, .installed = b->installed };
		uint64_t got, batches;
		size_t nr;
		int rc;

		got = bl_gpfn_runs(b, (k < MERGE_BATCHES ? k : MERGE_BATCHES) * BALLOON_BATCH, &nr);
		if (!b->gr)
			return p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
		if (!got || !gpfns_settable(b, nr, &pl.installs))
			break;
		batches = got / BALLOON_BATCH;
		memset(b->installed, 0, batches * sizeof(*b->installed));
		rc = hv_populate_physmap_runs(b->cfg.hv, b->cfg.domid, b->gr, nr,
					      (unsigned long)batches, place_frames, &pl, err);
		if (rc == -EAGAIN || rc == -EOPNOTSUPP)
			break;
		if (rc < 0)
			return rc;
		bl_drop(b, got);
		b->st.balloon_low -= got;
		b->st.current_pages += got;
		note_batches(b, nr, b->installed);
		if (b->scan_top != UINT64_MAX && pl.hi >= b->scan_top)
			b->scan_top = pl.hi + 1;
		/* every iteration waited 0 s: the time stays */
		b->kicked = false;
		b->state = BP_DONE;
		update_schedule(b);
		*steps += batches;
		k -= batches;
	}
	if (hv_sim_out_of_memory(b->cfg.hv))
		return p2msim_err_set(err, -ENOMEM, "out of memory in the simulated hypervisor");
	return 0;
}

/* --- hotplug ---------------------------------------------------------------------------- */

struct byte_range {
	uint64_t start, end;
};

static int cmp_byte_range(const void *a, const void *b)
{
	const struct byte_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* e820__reserve_resources_late(): the tail after RAM up to 64 KiB (first
 * MiB), 1 MiB (first 16 MiB) or 64 MiB is "RAM buffer". */
static uint64_t ram_buffer_end(uint64_t end)
{
	uint64_t align = end < (1ULL << 20)  ? 64 * 1024 :
			 end < (16ULL << 20) ? (1ULL << 20) :
					       (64ULL << 20);

	return (end + align - 1) & ~(align - 1);
}

/* allocate_resource(&iomem_resource, size, 0, -1, section): the lowest
 * section-aligned range that overlaps nothing in iomem. */
static bool find_hotplug_space(const struct balloon *b, uint64_t pages, uint64_t *start_pfn,
			       int *rc)
{
	const struct e820_table *e = b->cfg.e820;
	size_t n = (e ? 2 * e->nr : 0) + b->cfg.nr_busy + b->nr_hot, k = 0;
	uint64_t size = pages << PAGE_SHIFT, align = b->pol.section_pages << PAGE_SHIFT;
	uint64_t cur = 0;
	struct byte_range *v = malloc((n ? n : 1) * sizeof(*v));

	*rc = 0;
	if (!v) {
		*rc = -ENOMEM;
		return false;
	}
	for (size_t i = 0; e && i < e->nr; i++) {
		uint64_t s = e->entries[i].addr, end = s + e->entries[i].size;

		if (!e->entries[i].size)
			continue;
		v[k++] = (struct byte_range){ s, end };
		if (e->entries[i].type == E820_TYPE_RAM && ram_buffer_end(end) > end)
			v[k++] = (struct byte_range){ end, ram_buffer_end(end) };
	}
	for (size_t i = 0; i < b->cfg.nr_busy; i++)
		v[k++] = (struct byte_range){ b->cfg.busy[i].start_pfn << PAGE_SHIFT,
					      (b->cfg.busy[i].start_pfn + b->cfg.busy[i].n_pfns)
						      << PAGE_SHIFT };
	for (size_t i = 0; i < b->nr_hot; i++)
		v[k++] = (struct byte_range){ b->hot[i].start_pfn << PAGE_SHIFT,
					      (b->hot[i].start_pfn + b->hot[i].n_pfns)
						      << PAGE_SHIFT };
	/* Without a map: nothing below 4 GiB is assumed free. */
	if (!e)
		v[k++] = (struct byte_range){ 0, 1ULL << 32 };
	qsort(v, k, sizeof(*v), cmp_byte_range);
	for (size_t i = 0; i <= k; i++) {
		uint64_t cand = (cur + align - 1) & ~(align - 1);

		if (cand < cur)
			break;
		if (i == k || v[i].start >= cand + size) {
			free(v);
			if (cand + size < cand || (cand >> PAGE_SHIFT) + pages < pages)
				return false;
			*start_pfn = cand >> PAGE_SHIFT;
			return true;
		}
		if (v[i].end > cur)
			cur = v[i].end;
	}
	free(v);
	return false;
}

static enum bp_state reserve_additional_memory(struct balloon *b, struct balloon_step *step,
					       int *fatal, struct p2msim_err *err)
{
	int64_t credit = (int64_t)(b->st.target_pages + b->st.target_unpopulated) -
			 (int64_t)b->st.total_pages;
	uint64_t pages, start, section = b->pol.section_pages;
	struct p2m_pages before;
	int rc;

	if (!b->pol.hotplug) {
		/* No hotplug: the target is cut to what the guest has. */
		b->st.target_pages = b->st.current_pages + b->st.target_unpopulated;
		return BP_ECANCELED;
	}
	/* Already hot-plugged enough: wait for it to come online. */
	if (credit <= 0)
		return BP_WAIT;
	pages = ((uint64_t)credit + section - 1) / section * section;
	if (!find_hotplug_space(b, pages, &start, &rc)) {
		if (rc < 0) {
			*fatal = p2msim_err_set(err, rc, "balloon: out of memory");
			return BP_ECANCELED;
		}
		blog(b, "xen:balloon: Cannot allocate new System RAM resource");
		return BP_ECANCELED;
	}
	/* doc/simulation.md#balloon: the P2M's size (P2M_LIMIT) bounds what can be added. */
	if (start + pages > p2m_capacity(b->cfg.p2m)) {
		blog(b, "xen:balloon: set_phys_to_machine() failed, no memory added");
		return BP_ECANCELED;
	}
	p2m_pages(b, &before);
	for (uint64_t pfn = start; pfn < start + pages; pfn++) {
		struct p2msim_err perr;

		int r = p2m_set(b->cfg.p2m, pfn, b->invalid, &perr);

		if (r < 0) {
			/* The pfns done so far stay INVALID: the kernel does not
			 * restore identity there. */
			note_p2m_growth(b, &before, 0, false);
			/* -ENOMEM is our memory, not the kernel failing */
			if (r == -ENOMEM) {
				*fatal = p2msim_err_set(err, r, "balloon: %s", perr.msg);
				return BP_ECANCELED;
			}
			blog(b, "xen:balloon: set_phys_to_machine() failed, no memory added");
			return BP_ECANCELED;
		}
	}
	note_p2m_growth(b, &before, 0, false);
	{
		struct balloon_region *nh =
			array_room(b->hot, &b->alloc_hot, b->nr_hot + 1, sizeof(*nh));

		if (!nh) {
			*fatal = p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
			return BP_ECANCELED;
		}
		b->hot = nh;
	}
	/* add_memory_resource() and onlining: xen_online_page() appends
	 * every page, lowest first. */
	if (bl_push_range(b, start, start + pages) < 0) {
		*fatal = p2msim_err_set(err, -ENOMEM, "balloon: out of memory");
		return BP_ECANCELED;
	}
	b->hot[b->nr_hot++] = (struct balloon_region){ start, pages };
	b->st.balloon_low += pages;
	b->st.total_pages += pages;
	step->hotplugged += pages;
	return BP_WAIT;
}

/* --- the thread ------------------------------------------------------------------------- */

static void update_schedule(struct balloon *b)
{
	struct balloon_stats *st = &b->st;

	if (b->state == BP_WAIT || b->state == BP_ECANCELED)
		return;
	if (b->state == BP_DONE) {
		st->schedule_delay = 1;
		st->retry_count = 1;
		return;
	}
	++st->retry_count;
	if (st->max_retry_count != BALLOON_RETRY_UNLIMITED &&
	    st->retry_count > st->max_retry_count) {
		st->schedule_delay = 1;
		st->retry_count = 1;
		b->state = BP_ECANCELED;
		return;
	}
	st->schedule_delay <<= 1;
	if (st->schedule_delay > st->max_schedule_delay)
		st->schedule_delay = st->max_schedule_delay;
	b->state = BP_EAGAIN;
}

/* How long balloon_thread() sleeps before its next iteration. */
static uint64_t next_wait(const struct balloon *b)
{
	if (b->kicked)
		return 0;
	switch (b->state) {
	case BP_DONE:
		return credit_of(b) ? 0 : WAIT_IDLE;
	case BP_EAGAIN:
		return b->st.schedule_delay;
	case BP_WAIT:
		return 1;
	case BP_ECANCELED:
	default:
		return WAIT_IDLE;
	}
}

static int step_once(struct balloon *b, struct balloon_step *step, struct p2msim_err *err)
{
	struct balloon_step dummy;
	int64_t credit;
	int fatal = 0;

	if (!step)
		step = &dummy;
	memset(step, 0, sizeof(*step));
	if (b->dead)
		return p2msim_err_set(err, -EIO, "%s", b->dead_msg);
	step->waited = next_wait(b);
	b->now += step->waited;
	b->kicked = false;
	credit = credit_of(b);
	step->credit = credit;
	if (credit > 0) {
		if (b->pol.legacy_worker || balloon_is_inflated(b))
			b->state = increase_reservation(b, (uint64_t)credit, step, &fatal, err);
		else
			b->state = reserve_additional_memory(b, step, &fatal, err);
	} else if (credit < 0) {
		uint64_t n = (uint64_t)-credit;

		if (b->pol.limit_to_available && n > mem_available(b))
			n = mem_available(b);
		b->state = decrease_reservation(b, n, step, &fatal, err);
		if (b->pol.limit_to_available && b->state == BP_DONE && n != (uint64_t)-credit &&
		    n < b->cfg.totalreserve_pages)
			b->state = BP_EAGAIN;
	} else if (!b->pol.kthread) {
		/* Workqueue era (before 5.15): each run starts from BP_DONE. */
		b->state = BP_DONE;
	}
	/* a hypercall that failed for lack of our memory, not Xen's: the
	 * driver's reaction to it would not be the kernel's */
	if (hv_sim_out_of_memory(b->cfg.hv))
		return p2msim_err_set(err, -ENOMEM, "out of memory in the simulated hypervisor");
	if (fatal < 0)
		return fatal;
	update_schedule(b);
	step->state = b->state;
	return 0;
}

int balloon_step(struct balloon *b, struct balloon_step *step, struct p2msim_err *err)
{
	/* someone else may have written the P2M since */
	b->scan_top = UINT64_MAX;
	return step_once(b, step, err);
}

bool balloon_settled(const struct balloon *b)
{
	return !b->kicked && (credit_of(b) == 0 || b->state == BP_ECANCELED);
}

int balloon_run(struct balloon *b, uint64_t max_seconds, struct balloon_result *res,
		struct p2msim_err *err)
{
	struct balloon_result dummy;
	uint64_t start = b->now;
	unsigned int stalled = 0;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!max_seconds)
		max_seconds = 86400;
	if (b->dead)
		return p2msim_err_set(err, -EIO, "%s", b->dead_msg);
	b->scan_top = UINT64_MAX;
	for (;;) {
		struct balloon_step step;
		uint64_t merged = 0;
		int rc;

		res->credit = credit_of(b);
		if (balloon_settled(b))
			break;
		if (b->now - start + next_wait(b) > max_seconds || stalled >= STALL_STEPS) {
			res->timed_out = true;
			break;
		}
		rc = b->batchwise ? 0 : decrease_merged(b, &merged, err);
		if (rc == 0 && !merged && !b->batchwise)
			rc = increase_merged(b, &merged, err);
		if (rc == 0 && merged) {
			res->steps += (unsigned int)merged;
			stalled = 0;
			continue;
		}
		if (rc == 0)
			rc = step_once(b, &step, err);
		if (rc < 0) {
			res->state = b->state;
			res->seconds = b->now - start;
			res->credit = credit_of(b);
			return rc;
		}
		res->steps++;
		if (!step.waited && !step.increased && !step.decreased && !step.hotplugged)
			stalled++;
		else
			stalled = 0;
	}
	res->state = b->state;
	res->seconds = b->now - start;
	res->reached = b->st.current_pages == b->st.target_pages;
	return 0;
}

/* --- xl mem-set ---------------------------------------------------------------------------- */

int balloon_xl_parse_mem(const char *s, uint64_t *kib, struct p2msim_err *err)
{
	char *end;
	long long v;
	unsigned int shift = 0;
	bool down = false;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0 || strlen(end) > 1)
		return p2msim_err_set(err, -EINVAL, "invalid memory size: %s", s);
	switch (tolower((unsigned char)*end)) {
	case 't':
		shift += 10;
		/* fall through */
	case 'g':
		shift += 10;
		/* fall through */
	case '\0':
	case 'm':
		shift += 10;
		/* fall through */
	case 'k':
		break;
	case 'b':
		down = true;
		break;
	default:
		return p2msim_err_set(err, -EINVAL, "invalid memory size: %s", s);
	}
	if (!down && shift && (uint64_t)v > (UINT64_MAX >> shift))
		return p2msim_err_set(err, -EINVAL, "invalid memory size: %s", s);
	*kib = down ? (uint64_t)v >> 10 : (uint64_t)v << shift;
	return 0;
}

static int xs_get(struct hv *hv, const char *path, uint64_t *v, bool *found, struct p2msim_err *err)
{
	char *s = NULL, *end;
	int rc = hv_xs_read(hv, path, &s, err);

	*found = false;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	*v = strtoull(s, &end, 10);
	if (*end != '\0' || end == s) {
		rc = p2msim_err_set(err, -EINVAL, "invalid number '%s' in %s", s, path);
		free(s);
		return rc;
	}
	free(s);
	*found = true;
	return 0;
}

static int xs_put(struct hv *hv, const char *path, uint64_t v, struct p2msim_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return hv_xs_write(hv, path, buf, err);
}

/* Xen keeps max_pages in an unsigned int: "no limit" reads 0xffffffff. */
static uint64_t xen_max_pages(uint64_t pages)
{
	return pages == HV_UNLIMITED || pages > UINT32_MAX ? UINT32_MAX : pages;
}

/* libxl__fill_dom0_memory_info(): create what dom0 lacks. */
static int fill_dom0_memory_info(struct hv *hv, bool have_target, bool have_max,
				 struct p2msim_err *err)
{
	struct hv_domain_info info;
	int rc = hv_domain_info(hv, 0, &info, err);

	if (rc < 0)
		return rc;
	if (!have_target) {
		rc = xs_put(hv, "/local/domain/0/memory/target", info.tot_pages * 4, err);
		if (rc < 0)
			return rc;
	}
	if (!have_max)
		rc = xs_put(hv, "/local/domain/0/memory/static-max",
			    xen_max_pages(info.max_pages) * 4, err);
	return rc;
}

int balloon_xl_set_memory_target(struct hv *hv, hv_domid_t domid, int64_t target_kib, bool relative,
				 bool enforce, struct balloon_xl_result *res,
				 struct p2msim_err *err)
{
	char path[96];
	uint64_t cur = 0, max = 0, video = 0, new_target;
	bool have_target, have_max, have_video;
	struct balloon_xl_result dummy;
	int rc;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	for (int attempt = 0;; attempt++) {
		snprintf(path, sizeof(path), "/local/domain/%u/memory/target", domid);
		rc = xs_get(hv, path, &cur, &have_target, err);
		if (rc < 0)
			return rc;
		snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", domid);
		rc = xs_get(hv, path, &max, &have_max, err);
		if (rc < 0)
			return rc;
		if (domid != 0 || have_target || attempt)
			break;
		rc = fill_dom0_memory_info(hv, have_target, have_max, err);
		if (rc < 0)
			return rc;
	}
	if (!have_target)
		return p2msim_err_set(
			err, -ENOENT,
			"Cannot get target memory info from /local/domain/%u/memory/target", domid);
	if (!have_max)
		return p2msim_err_set(
			err, -ENOENT,
			"Cannot get memory info from /local/domain/%u/memory/static-max", domid);
	snprintf(path, sizeof(path), "/local/domain/%u/memory/videoram", domid);
	rc = xs_get(hv, path, &video, &have_video, err);
	if (rc < 0)
		return rc;
	if (relative)
		new_target = target_kib < 0 && (uint64_t)-target_kib > cur ?
				     0 :
				     cur + (uint64_t)target_kib;
	else
		new_target = (uint64_t)target_kib - video;
	if (new_target > max)
		return p2msim_err_set(
			err, -EINVAL,
			"memory_dynamic_max must be less than or equal to memory_static_max");
	if (domid == 0 && new_target < BALLOON_LIBXL_MIN_DOM0_MEM_KIB)
		return p2msim_err_set(err, -EINVAL,
				      "New target %" PRIu64
				      " for dom0 is below the minimum threshold",
				      new_target);
	res->target_kib = new_target;
	res->static_max_kib = max;
	res->videoram_kib = video;
	if (enforce) {
		/* xc_domain_setmaxmem(target + videoram + LIBXL_MAXMEM_CONSTANT);
		 * Xen keeps kib >> 2 pages. */
		uint64_t kib = new_target + video + BALLOON_LIBXL_MAXMEM_CONSTANT_KIB;

		rc = hv_set_max_pages(hv, domid, kib >> (PAGE_SHIFT - 10), err);
		if (rc < 0)
			return rc;
		res->max_pages = kib >> (PAGE_SHIFT - 10);
	}
	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", domid);
	rc = xs_put(hv, path, new_target, err);
	if (rc < 0)
		return rc;
	/* dom0's uuid is all zeros; others get one made of the domid. */
	snprintf(path, sizeof(path), "/vm/00000000-0000-0000-0000-%012x/memory", domid);
	return xs_put(hv, path, new_target / 1024, err);
}

int balloon_xl_mem_set(struct hv *hv, hv_domid_t domid, const char *mem,
		       struct balloon_xl_result *res, struct p2msim_err *err)
{
	uint64_t kib;
	int rc = balloon_xl_parse_mem(mem, &kib, err);

	if (rc < 0)
		return rc;
	if (kib > INT64_MAX)
		return p2msim_err_set(err, -EINVAL, "invalid memory size: %s", mem);
	return balloon_xl_set_memory_target(hv, domid, (int64_t)kib, false, true, res, err);
}

int balloon_mem_set_and_run(struct balloon *b, const char *mem, uint64_t max_seconds,
			    struct balloon_xl_result *xl, struct balloon_result *res,
			    struct p2msim_err *err)
{
	int rc = balloon_xl_mem_set(b->cfg.hv, b->cfg.domid, mem, xl, err);

	if (rc == 0)
		rc = balloon_xenstore_watch(b, NULL, err);
	if (rc == 0)
		rc = balloon_run(b, max_seconds, res, err);
	return rc;
}
