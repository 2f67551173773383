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
 * and after each, Xen's view must be the model's (check_step).  Last, the
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
	struct p2m *builder_p2m; /* before setup: pfn i -> builder's frame */
	uint64_t *builder_list;
	uint64_t nr_pages, max_pages;
	struct live_scratch_result *out;
};

/* --- checking a step --------------------------------------------------------------------- */

struct frame_set {
	uint64_t *pfn, *model, *real;
	size_t n, alloc;
};

static int frames_add(struct frame_set *s, uint64_t pfn, uint64_t model, uint64_t real)
{
	if (s->n == s->alloc) {
		size_t a = s->alloc ? 2 * s->alloc : 4096;
		uint64_t *p = realloc(s->pfn, a * sizeof(*p)), *m, *r;

		if (!p)
			return -ENOMEM;
		s->pfn = p;
		m = realloc(s->model, a * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->model = m;
		r = realloc(s->real, a * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->real = r;
		s->alloc = a;
	}
	s->pfn[s->n] = pfn;
	s->model[s->n] = model;
	s->real[s->n] = real;
	s->n++;
	return 0;
}

static void frames_free(struct frame_set *s)
{
	free(s->pfn);
	free(s->model);
	free(s->real);
}

/* The model's pfn -> frame pairs: from its P2M after setup, from the
 * builder's list before. */
static int model_frames(struct scratch *x, struct frame_set *s, struct p2msim_err *err)
{
	const struct p2m *p2m = x->have_res ? x->res.p2m : NULL;
	struct p2m_iter it;
	struct p2m_run run;

	if (!p2m) {
		for (uint64_t pfn = 0; pfn < x->nr_pages; pfn++) {
			uint64_t real = live_replay_real(x->replay, x->builder_list[pfn]);

			if (frames_add(s, pfn, x->builder_list[pfn], real) < 0)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
		}
		return 0;
	}
	p2m_iter_init(&it, p2m, 0, p2m_capacity(p2m), 0);
	while (p2m_iter_next(&it, &run)) {
		if (run.type != P2M_PFN)
			continue;
		for (uint64_t pfn = run.start; pfn < run.end; pfn++) {
			uint64_t mfn = p2m_pfn_to_mfn(p2m, pfn);

			if (frames_add(s, pfn, mfn, live_replay_real(x->replay, mfn)) < 0)
				return p2msim_err_set(err, -ENOMEM, "out of memory");
		}
	}
	return 0;
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
 * the others, @CHECK_BATCH frames per mapping. */
static int check_contents(struct scratch *x, const struct frame_set *s, const char *step,
			  uint64_t *written, uint64_t *verified, struct p2msim_err *err)
{
	for (size_t i = 0; i < s->n; i += CHECK_BATCH) {
		size_t n = s->n - i < CHECK_BATCH ? s->n - i : CHECK_BATCH;
		bool fresh = false;
		void *addr;
		int rc;

		for (size_t k = 0; k < n; k++)
			fresh |= !live_replay_stamped(x->replay, s->model[i + k]);
		rc = hv_map_frames(x->real, x->domid, s->real + i, n, fresh, &addr, err);
		if (rc < 0)
			return rc;
		for (size_t k = 0; k < n; k++) {
			uint64_t *w = (uint64_t *)addr + k * (PAGE_SIZE / 8), mfn = s->real[i + k];

			if (!live_replay_stamped(x->replay, s->model[i + k])) {
				for (unsigned int j = 0; j < PAGE_SIZE / 8; j++)
					w[j] = pattern(mfn, j);
				live_replay_set_stamped(x->replay, s->model[i + k]);
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
						s->pfn[i + k], mfn, j, w[j]);
				}
			(*verified)++;
		}
		hv_unmap_frames(x->real, addr, n);
	}
	return 0;
}

static int check_step(struct scratch *x, const char *step, struct p2msim_err *err)
{
	struct frame_set s = { 0 };
	struct hv_domain_info ri, mi;
	uint32_t *types = NULL;
	const uint64_t *released;
	size_t nr_released;
	uint64_t written = 0, verified = 0;
	int rc;

	rc = model_frames(x, &s, err);
	if (rc < 0)
		goto out;
	rc = hv_domain_info(x->real, x->domid, &ri, err);
	if (rc == 0)
		rc = hv_domain_info(x->model, x->model_domid, &mi, err);
	if (rc < 0)
		goto out;
	if (ri.tot_pages != mi.tot_pages || ri.tot_pages != s.n) {
		rc = differs(err, step,
			     "tot_pages: Xen %" PRIu64 ", the model's hypervisor %" PRIu64
			     ", pfns the model's P2M maps %zu",
			     ri.tot_pages, mi.tot_pages, s.n);
		goto out;
	}
	if (ri.max_pages != mi.max_pages) {
		rc = differs(err, step, "max_pages: Xen %" PRIu64 ", model %" PRIu64, ri.max_pages,
			     mi.max_pages);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++)
		if (s.real[i] == LIVE_NO_MFN) {
			rc = differs(err, step,
				     "the model's frame %#" PRIx64 " of pfn %#" PRIx64 " was "
				     "never handed out by Xen",
				     s.model[i], s.pfn[i]);
			goto out;
		}
	/* types: every frame the model maps is a plain page of the domain */
	types = malloc((s.n ? s.n : 1) * sizeof(*types));
	if (!types) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = hv_frame_types(x->real, x->domid, s.real, s.n, types, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < s.n; i++)
		if (types[i] != HV_FRAME_PLAIN) {
			rc = differs(err, step,
				     "pfn %#" PRIx64 ": Xen says mfn %#" PRIx64 " is of type %#x, "
				     "not a plain page of d%u",
				     s.pfn[i], s.real[i], types[i], x->domid);
			goto out;
		}
	/* M2P through the machphys table */
	for (size_t i = 0; i < s.n; i++) {
		uint64_t pfn;

		rc = hv_m2p(x->real, s.real[i], &pfn, err);
		if (rc < 0)
			goto out;
		if (pfn != s.pfn[i]) {
			rc = differs(err, step,
				     "M2P[%#" PRIx64 "] is %#" PRIx64 ", the model's P2M has "
				     "the frame at pfn %#" PRIx64,
				     s.real[i], pfn, s.pfn[i]);
			goto out;
		}
	}
	/* frames given back are no longer the domain's */
	released = live_replay_released(x->replay, &nr_released, true);
	if (nr_released) {
		uint32_t *rt = malloc(nr_released * sizeof(*rt));

		if (!rt) {
			rc = p2msim_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		rc = hv_frame_types(x->real, x->domid, released, nr_released, rt, err);
		for (size_t i = 0; rc == 0 && i < nr_released; i++) {
			bool held = false;

			if (rt[i] == HV_FRAME_INVALID)
				continue;
			/* Xen may hand a frame given back straight back to us. */
			for (size_t k = 0; k < s.n && !held; k++)
				held = s.real[k] == released[i];
			if (!held)
				rc = differs(err, step,
					     "mfn %#" PRIx64 " was given back but Xen still "
					     "counts it as d%u's (type %#x)",
					     released[i], x->domid, rt[i]);
		}
		free(rt);
		if (rc < 0)
			goto out;
	}
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
	x->out->frames_checked += s.n;
	x->out->steps_ok++;
	say(x->o,
	    "step %s: ok: tot_pages %" PRIu64 ", max_pages %" PRIu64 ", %zu frames plain "
	    "pages of d%u with M2P = the model's pfn, %zu given back, contents %" PRIu64
	    " written, %" PRIu64 " read back",
	    step, ri.tot_pages, ri.max_pages, s.n, x->domid, nr_released, written, verified);
out:
	free(types);
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

/* The builder: max_pages, the map, and [0, pages) on both sides. */
static int build(struct scratch *x, const struct e820_table *map, struct p2msim_err *err)
{
	uint64_t *real = NULL;
	char kib[32];
	int rc;

	rc = hv_sim_build_domain(x->model, x->model_domid, x->nr_pages, x->max_pages, 8,
				 &x->builder_list, err);
	if (rc < 0)
		return rc;
	rc = hv_set_max_pages(x->real, x->domid, x->max_pages, err);
	if (rc == 0)
		rc = hv_set_memory_map(x->replay, x->model_domid, map, err);
	if (rc < 0)
		return rc;
	real = malloc(BUILD_BATCH * sizeof(*real));
	if (!real)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
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
		else
			rc = live_replay_pair(x->replay, x->builder_list + pfn, real, n, err);
	}
	free(real);
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
	in.mfn_list = x->builder_list;
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
	    ", max_pfn %#" PRIx64 "; %lu operations replayed on d%u so far",
	    km->version, x->res.released, x->res.remapped, x->res.identity_set, x->res.max_pfn,
	    live_replay_real_ops(x->replay), x->domid);
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
		say(x->o, "balloon to %s: current %" PRIu64 " pages, target %" PRIu64 ", %s", tok,
		    balloon_get_stats(b)->current_pages, balloon_get_stats(b)->target_pages,
		    balloon_state_name(br.state));
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
	free(x.builder_list);
	hv_close(x.model);
out_map:
	e820_table_free(&map);
	e820_table_free(&synthetic);
	return rc;
}
