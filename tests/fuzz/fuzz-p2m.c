/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-p2m.c - the P2M engine driven by fuzzed operations,
 * under every configuration the kernel models use.
 *
 * Input: a configuration byte, two bytes of capacity (up to 4M pfns, so an
 * input runs in milliseconds), a byte of brk pool, then up to 64
 * operations of 12 bytes (kind, start, length, value).
 * Configuration: bit 0 x86_32, bit 1 compaction, bit 2 the 2.6.39 rules
 * (one top page when it fits, no identity mid, 2.6.39 write quirks and
 * range mode), bit 3 a brk pool, bit 4 shared pages from brk, bit 5 no
 * identity mid, bit 6 every leaf materialised (no implicit linear leaves).
 * A RAM write with bit 1 of its fifth byte continues the entry before it,
 * so that runs broken by other writes form again; a frame range with bit 3
 * goes in as up to four runs through p2m_set_runs().
 *
 * Properties: p2m_check passes after every operation, failed ones
 * included; errors are the documented ones (-ERANGE past the capacity,
 * -ENOSPC when the brk pool runs out); with the modern rules and no
 * failure, every run and probed value equals the interval model of
 * tests/refmodel.h, and with compaction the private pages equal the lower
 * bound; the debugfs writers and run collectors accept the result.
 */
#include <errno.h>

#include "debugfs-dump/dump.h"
#include "p2m/p2m.h"
#include "tests/fuzz/fuzz.h"
#include "tests/refmodel.h"

struct model {
	struct ref_map ref;
	bool valid; /* the engine must equal ref */
	const struct p2m_geometry *g;
};

static uint64_t ref_value_at(const struct model *m, uint64_t pfn)
{
	const struct ref_ival *iv = &m->ref.iv[ref_find(&m->ref, pfn)];

	switch (iv->kind) {
	case REF_MISSING:
		return m->g->invalid;
	case REF_IDENTITY:
		return p2m_identity_frame(m->g, pfn);
	case REF_LINEAR:
	default:
		return iv->v + (pfn - iv->start);
	}
}

static void compare(const struct p2m *p, const struct model *m)
{
	uint64_t cap = p2m_capacity(p);
	struct p2m_iter it;
	struct p2m_run run;
	uint64_t pos = 0;

	p2m_iter_init(&it, p, 0, cap, 0);
	while (p2m_iter_next(&it, &run)) {
		FUZZ_CHECK(run.start == pos && run.end > run.start, "run [%#llx, %#llx) at %#llx",
			   (unsigned long long)run.start, (unsigned long long)run.end,
			   (unsigned long long)pos);
		pos = run.end;
	}
	FUZZ_CHECK(pos == cap, "runs end at %#llx, capacity %#llx", (unsigned long long)pos,
		   (unsigned long long)cap);
	if (!m->valid)
		return;
	for (size_t i = 0; i < m->ref.nr; i++) {
		const struct ref_ival *iv = &m->ref.iv[i];
		uint64_t probes[3] = { iv->start, iv->end - 1,
				       iv->start + (iv->end - iv->start) / 2 };

		for (int k = 0; k < 3; k++) {
			uint64_t want = ref_value_at(m, probes[k]);

			FUZZ_CHECK(p2m_get(p, probes[k]) == want &&
					   p2m_lookup(p, probes[k]) == want,
				   "pfn %#llx: engine %#llx, model %#llx",
				   (unsigned long long)probes[k],
				   (unsigned long long)p2m_get(p, probes[k]),
				   (unsigned long long)want);
			FUZZ_CHECK(p2m_type_at(p, probes[k]) ==
					   p2m_value_type(m->g, probes[k], want),
				   "type at %#llx", (unsigned long long)probes[k]);
		}
	}
}

static void check(const struct p2m *p, bool compact)
{
	struct p2msim_err err;
	struct p2m_stats st;

	p2msim_err_clear(&err);
	FUZZ_CHECK(p2m_check(p, &err) == 0, "p2m_check: %s", err.msg);
	if (compact) {
		p2m_get_stats(p, &st);
		FUZZ_CHECK(st.private_pages == st.lower_bound, "%llu private pages, bound %llu",
			   (unsigned long long)st.private_pages,
			   (unsigned long long)st.lower_bound);
	}
}

static void expect_rc(int rc, const struct p2msim_err *err, bool brk)
{
	FUZZ_CHECK(rc == 0 || rc == -ERANGE || (brk && rc == -ENOSPC), "rc %d: %s", rc, err->msg);
	if (rc)
		FUZZ_CHECK(err->code == rc && err->msg[0], "error without a message");
}

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void writers(const struct p2m *p, bool old)
{
	struct dump_runs r;
	struct p2msim_err err;
	uint64_t cap = p2m_capacity(p);

	FUZZ_CHECK(dump_write_modern(fuzz_null(), p, cap, &err) == 0, "modern: %s", err.msg);
	FUZZ_CHECK(dump_runs_from_modern(&r, p, cap, &err) == 0, "from modern: %s", err.msg);
	dump_runs_free(&r);
	FUZZ_CHECK(dump_runs_from_p2m(&r, p, 0, cap, &err) == 0, "runs: %s", err.msg);
	FUZZ_CHECK(r.covered == cap, "runs cover %llu of %llu", (unsigned long long)r.covered,
		   (unsigned long long)cap);
	dump_runs_free(&r);
	if (old) {
		FUZZ_CHECK(dump_write_old(fuzz_null(), p, cap, &err) == 0, "old: %s", err.msg);
		FUZZ_CHECK(dump_runs_from_old(&r, p, cap, &err) == 0, "from old: %s", err.msg);
		dump_runs_free(&r);
	}
}

/* [s, e) as up to four frame runs through p2m_set_runs(): pieces of it,
 * with a gap after each or not, frames descending from piece to piece as
 * Xen's chunks are or continuing each other (bits 4-7 of @how). */
static int set_runs_op(struct p2m *p, struct model *m, uint64_t s, uint64_t e, uint64_t mfn,
		       uint8_t how, struct p2msim_err *err)
{
	struct p2m_frame_run runs[4];
	uint64_t cap = p2m_capacity(p), pieces = 1 + (how >> 6), step;
	size_t nr = 0;
	int rc;

	if (e > cap)
		e = cap;
	if (s >= e)
		return 0;
	step = (e - s + pieces - 1) / pieces;
	for (uint64_t at = s; at < e && nr < 4; at += step, nr++) {
		uint64_t len = e - at < step ? e - at : step;

		runs[nr].pfn = at;
		runs[nr].n = (how & 16) ? len - len / 4 : len;
		runs[nr].mfn = (how & 32) ? mfn + (at - s) : mfn + (4 - nr) * step;
	}
	rc = p2m_set_runs(p, runs, nr, err);
	for (size_t i = 0; i < nr && !rc; i++)
		if (runs[i].n)
			ref_assign(&m->ref, runs[i].pfn, runs[i].pfn + runs[i].n, REF_LINEAR,
				   runs[i].mfn);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p2m_config cfg;
	struct p2m *p;
	struct p2msim_err err;
	struct model m;
	unsigned int conf;
	uint64_t cap;
	bool old, use_brk, exact;
	uint8_t list_seed;

	if (size < 4)
		return 0;
	conf = data[0];
	old = conf & 4;
	use_brk = conf & 8;
	p2m_config_init(&cfg, conf & 1 ? P2M_ARCH_X86_32 : P2M_ARCH_X86_64,
			1 + get_le(data + 1, 2) * 64);
	cfg.compact = conf & 2;
	if (old) {
		/* 2.6.39: one top page covers 512 GiB (x86-64) */
		p2m_config_rules_2639(&cfg);
		if (cfg.nr_pfns > (1ULL << 27))
			cfg.top_pages = 0;
	}
	if (conf & 32)
		cfg.mid_identity = false;
	cfg.materialise = conf & 64;
	if (use_brk) {
		cfg.brk_pages = 1 + data[3];
		cfg.shared_from_brk = conf & 16;
	}
	list_seed = data[3];
	data += 4;
	size -= 4;

	p2msim_err_clear(&err);
	if (p2m_new(&p, &cfg, &err)) {
		FUZZ_CHECK(use_brk && err.code == -ENOSPC, "p2m_new: %s", err.msg);
		return 0;
	}
	cap = p2m_capacity(p);
	FUZZ_CHECK(cap >= cfg.nr_pfns, "capacity");
	m.g = p2m_geometry(p);
	m.valid = !old && !use_brk;
	if (ref_init(&m.ref, cap) < 0)
		abort();
	exact = cfg.compact && !old && !use_brk;
	check(p, exact);

	for (size_t off = 0; off + 12 <= size && off < 12 * 64; off += 12) {
		const uint8_t *op = data + off;
		uint64_t s = get_le(op + 1, 4) % (cap + cap / 8 + 2);
		uint64_t len = get_le(op + 5, 4), e;
		uint64_t mfn = 1 + get_le(op + 9, 3);
		const struct p2m_geometry *g = m.g;
		int rc = 0;

		/* mostly short ranges, sometimes huge ones */
		len = (len & 0x80000000u) ? len & 0x7fffffff : len % 4096;
		e = s + len > cap + cap / 8 + 2 ? cap + cap / 8 + 2 : s + len;
		/* whole leaves: mids kept as segments */
		if (op[4] & 4) {
			uint64_t mask = (1ULL << m.g->leaf_shift) - 1;

			s &= ~mask;
			e = (e + mask) & ~mask;
		}
		p2msim_err_clear(&err);
		if (getenv("P2MSIM_FUZZ_TRACE"))
			fprintf(stderr, "op %zu: kind %d [%#llx, %#llx) mfn %#llx\n", off / 12,
				op[0] % 13, (unsigned long long)s, (unsigned long long)e,
				(unsigned long long)mfn);
		switch (op[0] % 13) {
		case 0:
		case 1:
		case 2:
		case 3: {
			uint64_t v = op[0] % 13 == 0 ? mfn :
				     op[0] % 13 == 1 ? p2m_foreign_frame(g, mfn) :
				     op[0] % 13 == 2 ? g->invalid :
						       p2m_identity_frame(g, s);

			if (op[0] % 13 == 0 && (op[4] & 2) && s > 0 && s <= cap &&
			    p2m_type_at(p, s - 1) == P2M_PFN && p2m_get(p, s - 1) < g->max_mfn)
				v = p2m_get(p, s - 1) + 1;

			rc = p2m_set(p, s, v, &err);
			if (s >= cap)
				FUZZ_CHECK(v == g->invalid ? rc == 0 : rc == -ERANGE,
					   "set past the end");
			else if (!rc)
				ref_assign(&m.ref, s, s + 1,
					   op[0] % 13 == 2 ? REF_MISSING :
					   op[0] % 13 == 3 ? REF_IDENTITY :
							     REF_LINEAR,
					   v);
			break;
		}
		case 4:
		case 5:
			rc = p2m_set_range(p, s, e, P2M_FILL_IDENTITY, 0, NULL, &err);
			if (!rc && e <= cap)
				ref_assign(&m.ref, s, e, REF_IDENTITY, 0);
			break;
		case 6:
		case 7:
			rc = p2m_set_range(p, s, e, P2M_FILL_MISSING, 0, NULL, &err);
			if (!rc)
				ref_assign(&m.ref, s, e < cap ? e : cap, REF_MISSING, 0);
			break;
		case 8:
			if (e - s > 8192)
				e = s + 8192;
			if (op[4] & 8) {
				rc = set_runs_op(p, &m, s, e, mfn, op[4], &err);
				break;
			}
			rc = p2m_set_range(p, s, e, P2M_FILL_MFN, mfn, NULL, &err);
			if (!rc && e <= cap)
				ref_assign(&m.ref, s, e, REF_LINEAR, mfn);
			break;
		case 9:
			(void)p2m_compact(p);
			break;
		case 10:
			rc = p2m_mirror_rebuild(p, &err);
			break;
		case 11: {
			uint64_t v = (op[4] & 1) ? g->invalid : mfn;

			if (p2m_set_noalloc(p, s, v) && s < cap)
				ref_assign(&m.ref, s, s + 1,
					   v == g->invalid ? REF_MISSING : REF_LINEAR, v);
			break;
		}
		case 12: {
			/* a builder list over [0, n) */
			uint64_t n = len % 3000, *list = malloc((n ? n : 1) * sizeof(*list));
			uint64_t leaf = 1ULL << g->leaf_shift;

			if (!list)
				abort();
			for (uint64_t i = 0; i < n; i++)
				list[i] = mfn + i * (list_seed | 1);
			rc = p2m_graft_list(p, list, n, &err);
			if (n > cap) {
				FUZZ_CHECK(rc == -ERANGE, "graft past the end");
			} else if (!rc) {
				for (uint64_t i = 0; i < n; i++)
					ref_assign(&m.ref, i, i + 1, REF_LINEAR, list[i]);
				if (n % leaf && n < cap) {
					uint64_t le = (n + leaf - 1) / leaf * leaf;

					ref_assign(&m.ref, n, le < cap ? le : cap, REF_MISSING, 0);
				}
			}
			free(list);
			break;
		}
		}
		expect_rc(rc, &err, use_brk);
		if (rc && rc != -ERANGE)
			m.valid = false; /* a partial operation: the model cannot follow */
		check(p, exact);
	}
	compare(p, &m);
	writers(p, old && cfg.top_pages == 1 && cap <= (1ULL << 27));
	ref_fini(&m.ref);
	p2m_free(p);
	return 0;
}
