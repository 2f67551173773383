/* SPDX-License-Identifier: MIT */
/*
 * tests/test-live.c - the dom0 commands' library (live/) and the xen
 * backend's checks, without Xen: the in-memory Xen stands in for the
 * hypervisor and fixture files for /proc and the kernel log.
 *
 *   env        not root / no privcmd / not dom0 told apart; "built without
 *              Xen support" where it is
 *   system     kernel log records and dmesg lines, /proc/version, kallsyms
 *   walk       a synthetic guest: page tables (4 KiB, 2 MiB and 1 GiB
 *              entries), a linear list with private and shared leaves, its
 *              mirror, kernel symbols -- read, labelled, cross-checked
 *   mirror     the engine's own mirror read back through map_frames
 *   check      live check of a simulated dom0 against the model
 *   scratch    the replay onto a second in-memory Xen, step checks,
 *              signals, failures, divergence; its pairs as runs split and
 *              joined, a 16 GiB scratch domain in a limited address space
 *   balloon    live balloon waits, reaches, stalls
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "live/live-internal.h"
#include "live/live.h"
#include "p2m/p2m.h"
#include "e820/e820.h"
#include "sim/sim.h"
#include "tests/testutil.h"
#include "util/text.h"

#define INV UINT64_MAX
#define ID_BIT (1ULL << 62)

static char tmpdir[256];

static const char *srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d ? d : ".";
}

static void assert_ok(int rc, const struct p2msim_err *err)
{
	if (rc < 0)
		fprintf(stderr, "\n    %s\n", err->msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* A fixture file under the suite's temporary directory. */
static const char *fixture(const char *name, const char *text)
{
	static char paths[16][512];
	static unsigned int next;
	char *p = paths[next++ % 16];
	FILE *f;

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/p2msim-test-live-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	}
	snprintf(p, 512, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* --- env ----------------------------------------------------------------------------------- */

static void env_with(struct hv_xen_env *env, const char *privcmd, const char *caps,
		     const char *type, long euid)
{
	hv_xen_env_default(env);
	env->privcmd = privcmd;
	env->capabilities = caps;
	env->hypervisor_type = type;
	env->euid = euid;
}

static void test_not_root_is_told_to_run_as_root(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };

	env_with(&env, fixture("privcmd", ""), fixture("caps", "control_d\n"), NULL, 1000);
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs root"));
}

static void test_no_privcmd_on_xen_says_load_the_module(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };

	env_with(&env, "/nonexistent/privcmd", NULL, fixture("type", "xen\n"), 0);
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "xen-privcmd"));
}

static void test_no_privcmd_off_xen_says_not_running_on_xen(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };

	env_with(&env, "/nonexistent/privcmd", NULL, "/nonexistent/type", 0);
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not running on Xen"));
}

static void test_guest_without_control_d_is_not_dom0(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };

	env_with(&env, fixture("privcmd", ""), fixture("caps", "\n"), NULL, 0);
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not dom0"));
}

static void test_root_in_dom0_passes_the_checks(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };

	env_with(&env, fixture("privcmd", ""), fixture("caps", "control_d\n"), NULL, 0);
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), 0);
	/* without xenfs there is no capabilities file: libxenctrl decides */
	env.capabilities = "/nonexistent/capabilities";
	CU_ASSERT_EQUAL(hv_xen_preflight(&env, &err), 0);
}

static void test_open_reports_build_or_environment(void)
{
	struct hv_xen_env env;
	struct p2msim_err err = { 0 };
	struct hv *hv = NULL;

	env_with(&env, fixture("privcmd", ""), fixture("caps", "control_d\n"), NULL, 1000);
	CU_ASSERT_TRUE(hv_xen_open_env(&hv, &env, &err) < 0);
	CU_ASSERT_PTR_NULL(hv);
#ifdef HAVE_XEN
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs root"));
#else
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "built without Xen support"));
	CU_ASSERT_EQUAL(hv_xen_allow_modify(NULL, 0, &err), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(hv_xen_destroy_scratch(NULL, &err), 0);
#endif
}

static void test_xen_calls_are_refused_by_the_sim(void)
{
	struct hv *hv;
	struct p2msim_err err = { 0 };
	char *text;
	size_t len;

	assert_ok(hv_sim_open(&hv, NULL, &err), &err);
	CU_ASSERT_EQUAL(hv_console_read(hv, &text, &len, &err), -EOPNOTSUPP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "console_read"));
	/* the xen-only controls leave other backends alone */
	CU_ASSERT_EQUAL(hv_xen_scratch_domains(hv, NULL, 0), 0);
	hv_close(hv);
}

/* --- the running system ------------------------------------------------------------------- */

static void test_kmsg_records_and_dmesg_lines_lose_their_prefixes(void)
{
	struct live_kmsg k;
	struct p2msim_err err = { 0 };
	const char *path = fixture(
		"kmsg", "6,1,0,-;Linux version 6.1.0-56-amd64 (x)\n"
			" SUBSYSTEM=xen\n"
			"[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009efff] usable\n"
			"4,17,123456,-;Released 0 page(s)\n"
			"plain line; with a semicolon\n");

	assert_ok(live_kmsg_read(path, &k, &err), &err);
	CU_ASSERT_EQUAL(k.nr, 4);
	CU_ASSERT_STRING_EQUAL(k.lines[0], "Linux version 6.1.0-56-amd64 (x)");
	CU_ASSERT_STRING_EQUAL(k.lines[1],
			       "Xen: [mem 0x0000000000000000-0x000000000009efff] usable");
	CU_ASSERT_STRING_EQUAL(k.lines[2], "Released 0 page(s)");
	CU_ASSERT_STRING_EQUAL(k.lines[3], "plain line; with a semicolon");
	CU_ASSERT_PTR_EQUAL(live_kmsg_find(&k, "Released"), k.lines[2]);
	CU_ASSERT_PTR_NULL(live_kmsg_find(&k, "Remapped"));
	live_kmsg_free(&k);
	CU_ASSERT_TRUE(live_kmsg_read("/nonexistent/kmsg", &k, &err) < 0);
}

static void test_release_comes_from_proc_version(void)
{
	char rel[64];
	struct p2msim_err err = { 0 };

	assert_ok(live_kernel_release(fixture("version",
					      "Linux version 6.12.57+deb12-amd64 "
					      "(debian-kernel@lists.debian.org) #1 SMP\n"),
				      rel, sizeof(rel), &err),
		  &err);
	CU_ASSERT_STRING_EQUAL(rel, "6.12.57+deb12-amd64");
	CU_ASSERT_EQUAL(live_kernel_release(fixture("version2", "FreeBSD 14\n"), rel, sizeof(rel),
					    &err),
			-EINVAL);
}

static void test_kallsyms_gives_addresses_or_zero(void)
{
	static const char *const names[] = { "p2m_missing", "p2m_identity", "absent" };
	uint64_t a[3];
	struct p2msim_err err = { 0 };
	const char *path = fixture("kallsyms", "ffffffff81000000 T _text\n"
					       "ffffffff82a3b4c8 b p2m_missing\n"
					       "ffffffff82a3b4d0 b p2m_identity\n"
					       "ffffffffc0001000 t foo\t[xen_privcmd]\n");

	assert_ok(live_kallsyms_lookup(path, names, a, 3, &err), &err);
	CU_ASSERT_EQUAL(a[0], 0xffffffff82a3b4c8ULL);
	CU_ASSERT_EQUAL(a[1], 0xffffffff82a3b4d0ULL);
	CU_ASSERT_EQUAL(a[2], 0);
	CU_ASSERT_EQUAL(live_kallsyms_lookup("/nonexistent", names, a, 3, &err), -ENOENT);
}

/* --- a synthetic guest's page tables ------------------------------------------------------------ */

/*
 * dom0 with a linear list of 8 leaves (4096 pfns) at p2m_vaddr:
 *
 *   leaf 0  private: pfn [0, 0x9f), identity [0x9f, 0x100), pfn [0x100, 0x200)
 *   leaf 1  private: pfn
 *   leaf 2, 3  the shared identity page
 *   leaf 4  private: pfn [0x800, 0x900), INVALID [0x900, 0xa00)
 *   leaf 5, 6  the shared missing page
 *   leaf 7  the shared identity page
 *
 * mapped through L4 -> L3 -> L2 -> L1 (4 KiB pages); the kernel's data at
 * 0xffffffff82000000 through a 2 MiB page; the direct map through a 1 GiB
 * page at frame 0, where the pointers p2m_missing / p2m_identity point.
 * The mirror names p2m_missing for the identity leaves, as Linux does.
 */
#define G_VADDR 0xffffc90000000000ULL
#define G_DATA_VA 0xffffffff82000000ULL
#define G_DIRECT 0xffff888000000000ULL
#define G_L4 0x100001ULL
#define G_L3_LIST 0x100002ULL
#define G_L2_LIST 0x100003ULL
#define G_L1_LIST 0x100004ULL
#define G_L3_K 0x100005ULL
#define G_L2_K 0x100006ULL
#define G_L3_D 0x100007ULL
#define G_DATA 0x100200ULL /* 2 MiB aligned: the kernel's data page */
#define G_FLL 0x100010ULL
#define G_MID 0x100011ULL
#define G_LEAF0 0x100020ULL
#define G_LEAF1 0x100021ULL
#define G_LEAF4 0x100024ULL
#define G_MISSING 0x100030ULL
#define G_IDENTITY 0x100031ULL
#define G_MAX_PFN 0x900

struct guest {
	uint64_t pages[32][512];
	uint64_t mfns[32];
	unsigned int n;
};

static uint64_t *gpage(struct guest *g, uint64_t mfn)
{
	for (unsigned int i = 0; i < g->n; i++)
		if (g->mfns[i] == mfn)
			return g->pages[i];
	CU_ASSERT_FATAL(g->n < 32);
	g->mfns[g->n] = mfn;
	memset(g->pages[g->n], 0, 4096);
	return g->pages[g->n++];
}

static int guest_reader(void *ctx, uint64_t mfn, void *page)
{
	struct guest *g = ctx;

	for (unsigned int i = 0; i < g->n; i++)
		if (g->mfns[i] == mfn) {
			memcpy(page, g->pages[i], 4096);
			return 0;
		}
	return -ENOENT;
}

static unsigned int idx(uint64_t va, int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
}

static void build_guest(struct guest *g)
{
	static const uint64_t leaf_mfn[8] = { G_LEAF0, G_LEAF1,	  G_IDENTITY, G_IDENTITY,
					      G_LEAF4, G_MISSING, G_MISSING,  G_IDENTITY };
	uint64_t *p;

	memset(g, 0, sizeof(*g));
	/* the list */
	gpage(g, G_L4)[idx(G_VADDR, 4)] = G_L3_LIST << 12 | 0x67;
	gpage(g, G_L3_LIST)[idx(G_VADDR, 3)] = G_L2_LIST << 12 | 0x67;
	gpage(g, G_L2_LIST)[idx(G_VADDR, 2)] = G_L1_LIST << 12 | 0x67;
	for (unsigned int i = 0; i < 8; i++)
		gpage(g, G_L1_LIST)[idx(G_VADDR, 1) + i] = leaf_mfn[i] << 12 | 0x25;
	p = gpage(g, G_LEAF0);
	for (unsigned int i = 0; i < 512; i++)
		p[i] = i >= 0x9f && i < 0x100 ? (i | ID_BIT) : 0x1000 + i;
	p = gpage(g, G_LEAF1);
	for (unsigned int i = 0; i < 512; i++)
		p[i] = 0x2000 + i;
	p = gpage(g, G_LEAF4);
	for (unsigned int i = 0; i < 512; i++)
		p[i] = i < 0x100 ? 0x3000 + i : INV;
	p = gpage(g, G_MISSING);
	memset(p, 0xff, 4096);
	p = gpage(g, G_IDENTITY);
	memset(p, 0xff, 4096);
	/* the kernel's variables, through a 2 MiB page */
	gpage(g, G_L4)[idx(G_DATA_VA, 4)] = G_L3_K << 12 | 0x67;
	gpage(g, G_L3_K)[idx(G_DATA_VA, 3)] = G_L2_K << 12 | 0x67;
	gpage(g, G_L2_K)[idx(G_DATA_VA, 2)] = G_DATA << 12 | 0x80 | 0x63;
	p = gpage(g, G_DATA);
	p[1] = G_DIRECT + (G_MISSING << 12);  /* p2m_missing */
	p[2] = G_DIRECT + (G_IDENTITY << 12); /* p2m_identity */
	p[3] = 0x1000;			      /* xen_p2m_size */
	/* the direct map: one 1 GiB page from frame 0 covers the leaves' frames */
	gpage(g, G_L4)[idx(G_DIRECT, 4)] = G_L3_D << 12 | 0x67;
	gpage(g, G_L3_D)[idx(G_DIRECT + (G_MISSING << 12), 3)] = (0x100000ULL << 12) | 0x80 | 0x63;
	/* the mirror */
	p = gpage(g, G_FLL);
	memset(p, 0xff, 4096);
	p[0] = G_MID;
	p = gpage(g, G_MID);
	for (unsigned int i = 0; i < 512; i++)
		p[i] = i < 8 && leaf_mfn[i] != G_IDENTITY ? leaf_mfn[i] : G_MISSING;
}

static const char *kallsyms_fixture(void)
{
	return fixture("guest-kallsyms", "ffffffff82000008 b p2m_missing\n"
					 "ffffffff82000010 b p2m_identity\n"
					 "ffffffff82000018 D xen_p2m_size\n");
}

struct guest_hv {
	struct hv *hv;
	struct guest g;
};

static void open_guest(struct guest_hv *gh, uint64_t generation)
{
	struct p2msim_err err = { 0 };
	struct hv_p2m_info info = {
		.max_pfn = G_MAX_PFN,
		.pfn_to_mfn_frame_list_list = G_FLL,
		.p2m_cr3 = G_L4 << 12,
		.p2m_vaddr = G_VADDR,
		.p2m_generation = generation,
	};
	uint64_t *list = NULL;

	build_guest(&gh->g);
	assert_ok(hv_sim_open(&gh->hv, NULL, &err), &err);
	assert_ok(hv_sim_build_domain(gh->hv, 0, 1024, 1024, 8, &list, &err), &err);
	free(list);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(gh->hv, 0), 0);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_frame_reader(gh->hv, 0, guest_reader, &gh->g), 0);
	assert_ok(hv_set_p2m_info(gh->hv, 0, &info, &err), &err);
}

static void guest_env(struct live_env *env, const char *kallsyms, const char *kmsg)
{
	live_env_default(env);
	env->kallsyms = kallsyms;
	env->kmsg = kmsg;
}

/* "start-end type, ..." of a run list. */
static void runs_string(const struct dump_runs *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nr && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIx64 "-%" PRIx64 " %s",
				      i ? ", " : "", r->runs[i].start, r->runs[i].end,
				      p2m_type_name(r->runs[i].type));
}

#define GUEST_RUNS                                                                \
	"0-9f pfn, 9f-100 identity, 100-400 pfn, 400-800 identity, 800-900 pfn, " \
	"900-e00 missing, e00-1000 identity"

static void test_list_walk_labels_shared_leaves_by_kernel_symbols(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF };
	struct live_p2m p;
	struct p2msim_err err = { 0 };
	char s[512];

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	runs_string(&p.runs, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, GUEST_RUNS);
	CU_ASSERT_EQUAL(p.source, LIVE_SRC_LIST);
	CU_ASSERT_EQUAL(p.label, LIVE_LABEL_KALLSYMS);
	CU_ASSERT_EQUAL(p.missing_mfn, G_MISSING);
	CU_ASSERT_EQUAL(p.identity_mfn, G_IDENTITY);
	CU_ASSERT_EQUAL(p.p2m_size, 0x1000);
	CU_ASSERT_STRING_EQUAL(p.p2m_size_from, "the kernel's xen_p2m_size");
	CU_ASSERT_EQUAL(p.walked, 0x1000);
	CU_ASSERT_EQUAL(p.leaves_by_kind[LIVE_LEAF_PRIVATE], 3);
	CU_ASSERT_EQUAL(p.leaves_by_kind[LIVE_LEAF_IDENTITY], 3);
	CU_ASSERT_EQUAL(p.leaves_by_kind[LIVE_LEAF_MISSING], 2);
	CU_ASSERT_TRUE(p.cross_checked);
	CU_ASSERT_EQUAL(p.cross_compared, 8);
	CU_ASSERT_EQUAL(p.cross_differ, 0);
	CU_ASSERT_EQUAL(p.cross_identity_as_missing, 3);
	CU_ASSERT_EQUAL(p.bad_identity, 0);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_without_symbols_the_mirror_names_the_shared_leaves(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF };
	struct live_p2m p;
	struct p2msim_err err = { 0 };
	char s[512];

	open_guest(&gh, 0);
	guest_env(&env, "/nonexistent/kallsyms",
		  fixture("guest-kmsg",
			  "[    0.5] p2m virtual area at (____ptrval____), size is 8000\n"));
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	runs_string(&p.runs, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, GUEST_RUNS);
	CU_ASSERT_EQUAL(p.label, LIVE_LABEL_MIRROR);
	CU_ASSERT_EQUAL(p.missing_mfn, G_MISSING);
	CU_ASSERT_EQUAL(p.identity_mfn, G_IDENTITY);
	CU_ASSERT_STRING_EQUAL(p.p2m_size_from, "the kernel's \"p2m virtual area\" line");
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_a_domU_list_ends_where_the_page_tables_do(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = 0 }; /* by domid: not "ourselves" */
	struct live_p2m p;
	struct p2msim_err err = { 0 };
	char s[512];

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	CU_ASSERT_FALSE(p.self);
	CU_ASSERT_EQUAL(p.label, LIVE_LABEL_MIRROR); /* no kernel symbols for others */
	CU_ASSERT_EQUAL(p.p2m_size, 0x1000);	     /* assumed 128Mi pfns, cut at leaf 8 */
	runs_string(&p.runs, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, GUEST_RUNS);
	CU_ASSERT_TRUE(p.nr_notes > 0);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_to_max_pfn_stops_at_max_pfn(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF, .to_max_pfn = true };
	struct live_p2m p;
	struct p2msim_err err = { 0 };

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	CU_ASSERT_EQUAL(p.walked, G_MAX_PFN);
	CU_ASSERT_EQUAL(p.runs.end, G_MAX_PFN);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_the_mirror_alone_reads_shared_identity_as_missing(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF,
				    .source = LIVE_SRC_MIRROR,
				    .p2m_size = 0x1000 };
	struct live_p2m p;
	struct p2msim_err err = { 0 };
	char s[512];

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	runs_string(&p.runs, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "0-9f pfn, 9f-100 identity, 100-400 pfn, 400-800 missing, "
				  "800-900 pfn, 900-1000 missing");
	CU_ASSERT_FALSE(p.cross_checked);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_a_mirror_naming_another_leaf_is_a_cross_check_difference(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF };
	struct live_p2m p;
	struct p2msim_err err = { 0 };

	open_guest(&gh, 0);
	gpage(&gh.g, G_MID)[1] = 0x1000ff; /* leaf 1 in the mirror: some other page */
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	CU_ASSERT_EQUAL(p.cross_differ, 1);
	CU_ASSERT_EQUAL(p.cross_first_differ, 1);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_an_odd_generation_means_try_again(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF, .retries = 2 };
	struct live_p2m p;
	struct p2msim_err err = { 0 };

	open_guest(&gh, 3);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	CU_ASSERT_EQUAL(live_p2m_read(gh.hv, &o, &p, &err), -EAGAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "p2m_generation"));
	hv_close(gh.hv);
}

static void test_an_unmapped_list_page_falls_back_to_the_mirror(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF, .source = LIVE_SRC_LIST };
	struct live_p2m p;
	struct p2msim_err err = { 0 };

	open_guest(&gh, 0);
	gpage(&gh.g, G_L1_LIST)[idx(G_VADDR, 1) + 5] = 0; /* leaf 5 not present */
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	CU_ASSERT_EQUAL(live_p2m_read(gh.hv, &o, &p, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "pfn 0xa00"));
	o.source = LIVE_SRC_AUTO;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	CU_ASSERT_EQUAL(p.source, LIVE_SRC_MIRROR);
	CU_ASSERT_EQUAL(p.walked, G_MAX_PFN);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.notes[p.nr_notes - 1], "could not be read"));
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_the_debugfs_dump_of_a_live_read_has_the_kernels_quirk(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF };
	struct live_p2m p;
	struct p2m *m;
	struct p2msim_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	assert_ok(live_p2m_to_engine(&p, &m, &err), &err);
	assert_ok(dump_write_modern(f, m, p.walked, &err), &err);
	fclose(f);
	/* identity in a private leaf prints as identity; shared identity
	 * leaves print as missing, as /sys/kernel/debug/xen/mmu/p2m does */
	CU_ASSERT_STRING_EQUAL(buf, " [0x0->0x9f] pfn\n [0x9f->0x100] identity\n"
				    " [0x100->0x400] pfn\n [0x400->0x800] missing\n"
				    " [0x800->0x900] pfn\n [0x900->0x1000] missing\n");
	free(buf);
	p2m_free(m);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

static void test_json_of_a_live_read_is_diff_input(void)
{
	struct guest_hv gh;
	struct live_env env;
	struct live_read_opts o = { .domid = HV_DOMID_SELF };
	struct live_p2m p;
	struct dump_runs back;
	struct json_object *j;
	struct p2msim_err err = { 0 };
	const char *text;
	char s[512];

	open_guest(&gh, 0);
	guest_env(&env, kallsyms_fixture(), "/nonexistent/kmsg");
	o.env = &env;
	assert_ok(live_p2m_read(gh.hv, &o, &p, &err), &err);
	j = live_p2m_to_json(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	text = json_object_to_json_string(j);
	assert_ok(dump_parse(&back, text, strlen(text), "live.json", DUMP_FMT_UNKNOWN, &err), &err);
	CU_ASSERT_EQUAL(back.format, DUMP_FMT_JSON);
	runs_string(&back, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, GUEST_RUNS);
	dump_runs_free(&back);
	json_object_put(j);
	live_p2m_free(&p);
	hv_close(gh.hv);
}

/* --- the engine's mirror, read back ------------------------------------------------------------- */

static void simulate_example(struct simulation *sim, const char *example, const char *kernel)
{
	struct simulation_options o;
	struct p2msim_err err = { 0 };

	simulation_options_init(&o);
	o.example = example;
	o.kernel = kernel;
	assert_ok(simulation_run(&o, sim, &err), &err);
}

static void test_the_mirror_reader_agrees_with_the_engine(void)
{
	struct simulation sim;
	struct live_read_opts o = { .domid = HV_DOMID_SELF, .to_max_pfn = true };
	struct live_p2m p;
	struct dump_runs want;
	struct dump_diff d = { 0 };
	struct dump_diff_opts dopt;
	struct p2msim_err err = { 0 };

	simulate_example(&sim, "pc-5G", "6.1");
	CU_ASSERT_EQUAL_FATAL(hv_sim_attach_p2m(sim.hv, 0, sim.res.p2m), 0);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(sim.hv, 0), 0);
	assert_ok(live_p2m_read(sim.hv, &o, &p, &err), &err);
	CU_ASSERT_EQUAL(p.source, LIVE_SRC_MIRROR); /* the sim publishes no page tables */
	CU_ASSERT_EQUAL(p.info.max_pfn, sim.res.max_pfn);
	dump_runs_init(&want);
	assert_ok(dump_runs_from_p2m(&want, sim.res.p2m, 0, sim.res.max_pfn, &err), &err);
	dump_diff_opts_init(&dopt);
	dopt.quirk = DUMP_QUIRK_ON; /* the mirror's own quirk: identity leaves as missing */
	assert_ok(dump_diff_runs(&d, &want, &p.runs, &dopt, &err), &err);
	CU_ASSERT_EQUAL(d.pages, 0);
	CU_ASSERT_TRUE(d.quirk_pages > 0); /* the PCI hole's whole leaves */
	dump_diff_free(&d);
	dump_runs_free(&want);
	live_p2m_free(&p);
	simulation_free(&sim);
}

/* --- live check against a simulated dom0 ---------------------------------------------------------- */

/* The kernel log the model says its boot printed. */
static const char *kmsg_of(const struct simulation *sim, const char *name)
{
	static char text[65536];
	size_t n = 0;

	text[0] = '\0';
	for (size_t i = 0; i < sim->res.nr_log && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "6,%zu,%zu,-;%s\n", i, i * 10,
				      sim->res.log[i]);
	return fixture(name, text);
}

static void check_env(struct live_env *env, const struct simulation *sim)
{
	live_env_default(env);
	env->kallsyms = "/nonexistent/kallsyms";
	env->kmsg = kmsg_of(sim, "check-kmsg");
	env->proc_version = fixture("check-version", "Linux version 6.1.0-56-amd64 (x) #1\n");
	env->proc_cmdline = fixture("check-cmdline", "console=hvc0 rdinit=/init\n");
	env->boot_dir = "/nonexistent";
}

static void test_live_check_of_a_dom0_the_model_made_finds_no_difference(void)
{
	struct simulation sim;
	struct live_env env;
	struct live_check_opts o;
	struct live_check c;
	struct p2msim_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	simulate_example(&sim, "pc-2G", "6.1");
	CU_ASSERT_EQUAL_FATAL(hv_sim_attach_p2m(sim.hv, 0, sim.res.p2m), 0);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(sim.hv, 0), 0);
	check_env(&env, &sim);
	live_check_opts_init(&o);
	o.env = &env;
	assert_ok(live_check_run(sim.hv, &o, &c, &err), &err);
	f = open_memstream(&buf, &len);
	live_check_write(f, &c);
	fclose(f);
	if (!c.ok)
		fprintf(stderr, "\n%s", buf);
	CU_ASSERT_TRUE(c.ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ok       e820"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ok       p2m "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ok       remapped         97"));
	free(buf);
	live_check_free(&c);
	simulation_free(&sim);
}

static void test_live_check_reports_a_pfn_the_model_did_not_predict(void)
{
	struct simulation sim;
	struct live_env env;
	struct live_check_opts o;
	struct live_check c;
	struct p2msim_err err = { 0 };

	simulate_example(&sim, "pc-2G", "6.1");
	check_env(&env, &sim);
	/* the running dom0 lost a page the model keeps */
	assert_ok(p2m_set(sim.res.p2m, 0x1234, p2m_geometry(sim.res.p2m)->invalid, &err), &err);
	CU_ASSERT_EQUAL_FATAL(hv_sim_attach_p2m(sim.hv, 0, sim.res.p2m), 0);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(sim.hv, 0), 0);
	live_check_opts_init(&o);
	o.env = &env;
	assert_ok(live_check_run(sim.hv, &o, &c, &err), &err);
	CU_ASSERT_FALSE(c.ok);
	CU_ASSERT_EQUAL(c.diff.pages, 1);
	CU_ASSERT_EQUAL(c.diff.ranges[0].start, 0x1234);
	CU_ASSERT_EQUAL(c.diff.ranges[0].type_a, P2M_PFN);
	CU_ASSERT_EQUAL(c.diff.ranges[0].type_b, P2M_MISSING);
	live_check_free(&c);
	simulation_free(&sim);
}

static void test_live_check_reports_a_kernel_line_the_model_did_not_print(void)
{
	struct simulation sim;
	struct live_env env;
	struct live_check_opts o;
	struct live_check c;
	struct p2msim_err err = { 0 };
	bool seen = false;

	simulate_example(&sim, "pc-2G", "6.1");
	CU_ASSERT_EQUAL_FATAL(hv_sim_attach_p2m(sim.hv, 0, sim.res.p2m), 0);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(sim.hv, 0), 0);
	check_env(&env, &sim);
	env.kmsg = fixture("check-kmsg-other",
			   "6,1,1,-;Xen: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
			   "6,2,2,-;Remapped 96 page(s)\n");
	live_check_opts_init(&o);
	o.env = &env;
	assert_ok(live_check_run(sim.hv, &o, &c, &err), &err);
	CU_ASSERT_FALSE(c.ok);
	for (unsigned int i = 0; i < c.nr_items; i++)
		if (!strcmp(c.items[i].name, "remapped")) {
			CU_ASSERT_EQUAL(c.items[i].state, LIVE_ITEM_DIFFERS);
			CU_ASSERT_PTR_NOT_NULL(strstr(c.items[i].detail, "kernel 96, model 97"));
			seen = true;
		}
	CU_ASSERT_TRUE(seen);
	live_check_free(&c);
	simulation_free(&sim);
}

static void test_live_check_refuses_a_domU(void)
{
	struct live_check_opts o;
	struct live_check c;
	struct p2msim_err err = { 0 };

	live_check_opts_init(&o);
	o.domid = 3;
	CU_ASSERT_EQUAL(live_check_run(NULL, &o, &c, &err), -EOPNOTSUPP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "live dump --domid 3"));
}

/* --- scratch ------------------------------------------------------------------------------------- */

static struct hv *open_real(void)
{
	struct e820_table map;
	struct hv_sim_config cfg = { 0 };
	struct p2msim_err err = { 0 };
	struct hv *hv;

	e820_table_init(&map);
	e820_add(&map, 1ULL << 20, 1ULL << 30, E820_TYPE_RAM);
	cfg.machine = &map;
	assert_ok(hv_sim_open(&hv, &cfg, &err), &err);
	e820_table_free(&map);
	return hv;
}

static const char *cheese_map(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/tests/xen/scratch-cheese.e820", srcdir());
	return path;
}

struct said {
	unsigned int n;
	bool published;
};

static void collect(void *ctx, const char *line)
{
	struct said *s = ctx;

	s->n++;
	s->published |= starts_with(line, "step publish: ok");
}

static void test_scratch_replays_boot_and_balloon_and_xen_agrees(void)
{
	static const char *const kernels[] = { "6.1", "6.12" };

	for (size_t k = 0; k < 2; k++) {
		struct hv *real = open_real();
		struct live_scratch_opts o;
		struct live_scratch_result res;
		struct hv_domain_info di;
		struct p2msim_err err = { 0 };
		struct said lines = { 0, false };
		uint64_t free_before = hv_sim_free_pages(real);

		live_scratch_opts_init(&o);
		o.e820_path = cheese_map();
		o.pages = 16384;
		o.kernel = kernels[k];
		o.balloon = "48m,96m,32m";
		o.progress = collect;
		o.progress_ctx = &lines;
		assert_ok(live_scratch_run(real, &o, &res, &err), &err);
		CU_ASSERT_EQUAL(res.steps, 6);
		CU_ASSERT_EQUAL(res.steps_ok, 6);
		CU_ASSERT_TRUE(res.destroyed);
		CU_ASSERT_TRUE(lines.n >= 8);
		CU_ASSERT_TRUE(lines.published);
		CU_ASSERT_EQUAL(hv_domain_info(real, res.domid, &di, NULL), -ESRCH);
		assert_ok(hv_sim_check(real, &err), &err);
		CU_ASSERT_EQUAL(hv_sim_free_pages(real), free_before);
		hv_close(real);
	}
}

static void test_scratch_stops_on_a_signal_and_destroys_its_domain(void)
{
	struct hv *real = open_real();
	struct live_scratch_opts o;
	struct live_scratch_result res;
	struct hv_domain_info di;
	struct p2msim_err err = { 0 };
	volatile sig_atomic_t stop = 1;

	live_scratch_opts_init(&o);
	o.stop = &stop;
	CU_ASSERT_EQUAL(live_scratch_run(real, &o, &res, &err), -EINTR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "destroyed"));
	CU_ASSERT_TRUE(res.destroyed);
	CU_ASSERT_EQUAL(hv_domain_info(real, res.domid, &di, NULL), -ESRCH);
	hv_close(real);
}

static void test_scratch_destroys_its_domain_when_xen_fails(void)
{
	struct hv *real = open_real();
	struct live_scratch_opts o;
	struct live_scratch_result res;
	struct hv_domain_info di;
	struct p2msim_err err = { 0 };

	live_scratch_opts_init(&o);
	o.pages = 2048;
	CU_ASSERT_EQUAL(hv_sim_inject(real, "populate_physmap", 2, ENOMEM, 0), 0);
	CU_ASSERT_TRUE(live_scratch_run(real, &o, &res, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "populate_physmap"));
	CU_ASSERT_TRUE(res.destroyed);
	CU_ASSERT_EQUAL(hv_domain_info(real, res.domid, &di, NULL), -ESRCH);
	hv_close(real);
}

static void test_scratch_reports_xen_doing_less_than_the_model(void)
{
	struct hv *real = open_real();
	struct live_scratch_opts o;
	struct live_scratch_result res;
	struct p2msim_err err = { 0 };

	live_scratch_opts_init(&o);
	o.pages = 2048;
	o.balloon = "4m";
	/* build: populate x4 (512 each), then the balloon's decrease */
	CU_ASSERT_EQUAL(hv_sim_inject(real, "decrease_reservation", 1, 0, 3), 0);
	/* the balloon model BUG()s on a short decrease, naming the replay's words */
	CU_ASSERT_TRUE(live_scratch_run(real, &o, &res, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the model did 512 of 512 extents, Xen 3"));
	CU_ASSERT_TRUE(res.destroyed);
	hv_close(real);
}

static void test_replay_pairs_frames_and_keeps_the_model_first(void)
{
	struct hv *model = open_real(), *real = open_real(), *rp;
	struct p2msim_err err = { 0 };
	hv_domid_t md, rd;
	uint64_t frames[4] = { 10, 11, 12, 13 }, pfn;

	assert_ok(hv_create_domain(model, &md, &err), &err);
	assert_ok(hv_create_domain(real, &rd, &err), &err);
	assert_ok(live_replay_open(&rp, model, md, real, rd, (1ULL << 18) + 256, &err), &err);
	assert_ok(hv_set_max_pages(rp, md, 16, &err), &err);
	CU_ASSERT_EQUAL(hv_populate_physmap(rp, md, frames, 4, 0, &err), 4);
	for (int i = 0; i < 4; i++) {
		uint64_t r = live_replay_real(rp, frames[i]);

		CU_ASSERT_NOT_EQUAL_FATAL(r, LIVE_NO_MFN);
		assert_ok(hv_m2p(real, r, &pfn, &err), &err);
		CU_ASSERT_EQUAL(pfn, 10 + (uint64_t)i);
	}
	assert_ok(hv_machphys_update(rp, md, frames[0], 99, &err), &err);
	assert_ok(hv_m2p(real, live_replay_real(rp, frames[0]), &pfn, &err), &err);
	CU_ASSERT_EQUAL(pfn, 99);
	CU_ASSERT_EQUAL(hv_decrease_reservation(rp, md, frames, 1, 0, &err), 1);
	CU_ASSERT_EQUAL(live_replay_real(rp, frames[0]), LIVE_NO_MFN);
	CU_ASSERT_EQUAL(live_replay_real_ops(rp), 3 + 1);
	hv_close(rp);
	hv_close(model);
	hv_close(real);
}

/* Runs of the map: a part given back splits its run, a part paired anew
 * replaces that part, runs that continue one another (up, down, or a
 * set) join, whatever the order they come in. */
static void test_runmap_splits_and_joins_runs(void)
{
	struct live_runmap m;
	struct live_run r;

	live_runmap_init(&m);
	/* frames 100..199 -> 1000..1099 given a frame at a time, downwards */
	for (uint64_t k = 200; k-- > 100;) {
		struct live_run one = { k, k + 1, 900 + k, 0 };

		CU_ASSERT_EQUAL(live_runmap_set(&m, &one), 0);
	}
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_TRUE(live_runmap_find(&m, 150, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 150), 1050);
	/* a hole in the middle: two runs, the gap reported as such */
	CU_ASSERT_EQUAL(live_runmap_clear(&m, 120, 130), 0);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_FALSE(live_runmap_find(&m, 125, &r));
	CU_ASSERT_EQUAL(r.start, 120);
	CU_ASSERT_EQUAL(r.end, 130);
	CU_ASSERT_TRUE(live_runmap_find(&m, 130, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 199), 1099);
	/* paired anew from the top down: a run of step -1 in between */
	CU_ASSERT_EQUAL(live_runmap_set(&m, &(struct live_run){ 120, 130, 5009, -1 }), 0);
	CU_ASSERT_EQUAL(m.n, 3);
	CU_ASSERT_TRUE(live_runmap_find(&m, 129, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 129), 5000);
	CU_ASSERT_EQUAL(live_run_at(&r, 120), 5009);
	/* a part of that run replaced: it splits around it */
	CU_ASSERT_EQUAL(live_runmap_set(&m, &(struct live_run){ 124, 126, 7, 1 }), 0);
	CU_ASSERT_EQUAL(m.n, 5);
	CU_ASSERT_TRUE(live_runmap_find(&m, 126, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 126), 5003);
	CU_ASSERT_TRUE(live_runmap_find(&m, 123, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 123), 5006);
	CU_ASSERT_TRUE(live_runmap_find(&m, 125, &r));
	CU_ASSERT_EQUAL(live_run_at(&r, 125), 8);
	/* put back as it was: one run again */
	CU_ASSERT_EQUAL(live_runmap_set(&m, &(struct live_run){ 120, 130, 1020, 1 }), 0);
	CU_ASSERT_EQUAL(m.n, 1);
	/* clearing across runs and past the end */
	CU_ASSERT_EQUAL(live_runmap_set(&m, &(struct live_run){ 300, 310, 0, 0 }), 0);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_EQUAL(live_runmap_clear(&m, 150, 305), 0);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_FALSE(live_runmap_find(&m, 150, &r));
	CU_ASSERT_EQUAL(r.end, 305);
	CU_ASSERT_TRUE(live_runmap_find(&m, 305, &r));
	CU_ASSERT_EQUAL(r.end, 310);
	CU_ASSERT_EQUAL(live_runmap_clear(&m, 0, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(m.n, 0);
	live_runmap_free(&m);
}

/* The map against a plain array, through random changes: runs set up,
 * down and as sets, cleared, in any order, over a few thousand keys. */
static void test_runmap_agrees_with_an_array_through_random_changes(void)
{
	enum {
		KEYS = 2048
	};
	static uint64_t want[KEYS];
	struct live_runmap m;
	uint64_t seed = 12345;
	unsigned int bad = 0;

	live_runmap_init(&m);
	for (size_t k = 0; k < KEYS; k++)
		want[k] = LIVE_NO_MFN;
	for (unsigned int op = 0; op < 20000 && !bad; op++) {
		uint64_t start, n, val;
		int step;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		start = (seed >> 20) % KEYS;
		n = 1 + (seed >> 40) % 64;
		if (start + n > KEYS)
			n = KEYS - start;
		step = (int)((seed >> 8) % 3) - 1;
		/* often the values next to what is there, so that runs join */
		val = (seed >> 50) % 4 ? 100000 + start * (step ? (uint64_t)step : 0) :
					 (seed >> 12) % 1000000;
		if (step < 0)
			val = 1000000 - start;
		if ((seed >> 4) % 5 == 0) {
			CU_ASSERT_EQUAL_FATAL(live_runmap_clear(&m, start, start + n), 0);
			for (uint64_t k = start; k < start + n; k++)
				want[k] = LIVE_NO_MFN;
		} else {
			struct live_run r = { start, start + n, val, step };

			CU_ASSERT_EQUAL_FATAL(live_runmap_set(&m, &r), 0);
			for (uint64_t k = start; k < start + n; k++)
				want[k] = live_run_at(&r, k);
		}
		if (op % 97)
			continue;
		for (uint64_t k = 0; k < KEYS; k++) {
			struct live_run r;
			bool found = live_runmap_find(&m, k, &r);
			uint64_t got = found ? live_run_at(&r, k) : LIVE_NO_MFN;

			if (got != want[k] || (found && (r.start > k || r.end <= k)) ||
			    (!found && (r.start > k || r.end <= k))) {
				fprintf(stderr,
					"\n    op %u key %" PRIu64 ": %#" PRIx64 ", want %#" PRIx64
					"\n",
					op, k, got, want[k]);
				bad++;
				break;
			}
		}
		CU_ASSERT_TRUE(m.n <= KEYS);
	}
	CU_ASSERT_EQUAL(bad, 0);
	live_runmap_free(&m);
	CU_ASSERT_EQUAL(m.n, 0);
}

/*
 * The pairing against Xen's own answer: after populating, giving back and
 * populating again parts of runs, every model frame the domain holds has
 * a real partner whose M2P names the model frame's pfn, no real frame is
 * paired twice, and the pairs are a few runs.
 */
static void test_replay_keeps_pairs_through_release_and_repopulate(void)
{
	struct hv *model = open_real(), *real = open_real(), *rp;
	struct p2msim_err err = { 0 };
	hv_domid_t md, rd, other;
	uint64_t frames[1024], mfns[1024], pfn, rpfn, rmfn;
	size_t nr_released;
	const struct live_run *released;

	assert_ok(hv_create_domain(model, &md, &err), &err);
	assert_ok(hv_create_domain(real, &rd, &err), &err);
	assert_ok(live_replay_open(&rp, model, md, real, rd, (1ULL << 18) + 256, &err), &err);
	assert_ok(hv_set_max_pages(rp, md, 4096, &err), &err);
	for (int i = 0; i < 1024; i++)
		frames[i] = (uint64_t)i;
	CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(rp, md, frames, 1024, 0, &err), 1024);
	memcpy(mfns, frames, sizeof(mfns));
	CU_ASSERT_TRUE(live_replay_runs(rp) <= 2);
	/* give back pfns 100..299 and 600..609, then every 7th of 700..999 */
	CU_ASSERT_EQUAL(hv_decrease_reservation(rp, md, mfns + 100, 200, 0, &err), 200);
	CU_ASSERT_EQUAL(hv_decrease_reservation(rp, md, mfns + 600, 10, 0, &err), 10);
	for (int i = 700; i < 1000; i += 7)
		CU_ASSERT_EQUAL(hv_decrease_reservation(rp, md, mfns + i, 1, 0, &err), 1);
	released = live_replay_released(rp, &nr_released, true);
	CU_ASSERT_TRUE(nr_released >= 3);
	CU_ASSERT_EQUAL(released[0].start < released[0].end, 1);
	/* another domain of the real Xen takes some of the frames given back,
	 * so that Xen hands out other frames than the model's */
	assert_ok(hv_create_domain(real, &other, &err), &err);
	assert_ok(hv_set_max_pages(real, other, 64, &err), &err);
	for (int i = 0; i < 50; i++)
		frames[i] = (uint64_t)i;
	CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(real, other, frames, 50, 0, &err), 50);
	/* and populate them again */
	for (int i = 100; i < 300; i++)
		frames[i - 100] = (uint64_t)i;
	CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(rp, md, frames, 200, 0, &err), 200);
	memcpy(mfns + 100, frames, 200 * sizeof(*frames));
	for (int i = 600; i < 610; i++)
		frames[i - 600] = (uint64_t)i;
	CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(rp, md, frames, 10, 0, &err), 10);
	memcpy(mfns + 600, frames, 10 * sizeof(*frames));
	for (int i = 700; i < 1000; i += 7) {
		frames[0] = (uint64_t)i;
		CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(rp, md, frames, 1, 0, &err), 1);
		mfns[i] = frames[0];
	}
	for (int i = 0; i < 1024; i++) {
		CU_ASSERT_EQUAL(hv_m2p(model, mfns[i], &pfn, NULL), 0);
		CU_ASSERT_EQUAL(pfn, (uint64_t)i);
		rmfn = live_replay_real(rp, mfns[i]);
		CU_ASSERT_NOT_EQUAL_FATAL(rmfn, LIVE_NO_MFN);
		CU_ASSERT_EQUAL(hv_m2p(real, rmfn, &rpfn, NULL), 0);
		if (rpfn != (uint64_t)i) {
			CU_FAIL("a model frame is paired with the wrong real frame");
			fprintf(stderr,
				"\n    pfn %d: model mfn %#" PRIx64 ", real %#" PRIx64
				" whose M2P is %#" PRIx64 "\n",
				i, mfns[i], rmfn, rpfn);
			break;
		}
	}
	/* what was given back and not handed out again has no partner */
	CU_ASSERT_EQUAL(hv_decrease_reservation(rp, md, mfns + 500, 1, 0, &err), 1);
	CU_ASSERT_EQUAL(live_replay_real(rp, mfns[500]), LIVE_NO_MFN);
	CU_ASSERT_NOT_EQUAL(live_replay_real(rp, mfns[501]), LIVE_NO_MFN);
	/* split where Xen's frames differ, not a run per frame */
	CU_ASSERT_TRUE(live_replay_runs(rp) > 2);
	CU_ASSERT_TRUE(live_replay_runs(rp) < 256);
	assert_ok(hv_sim_check(real, &err), &err);
	hv_close(rp);
	hv_close(model);
	hv_close(real);
}

/* A scratch run whose balloon steps give back and populate again parts of
 * the runs the boot paired, down below the boot's size and up past it,
 * each step checked against Xen; Xen's free memory is holed, so that its
 * frames and the model's make runs that do not line up. */
static void test_scratch_balloon_splits_and_repairs_runs(void)
{
	struct hv *real = open_real();
	struct live_scratch_opts o;
	struct live_scratch_result res;
	struct p2msim_err err = { 0 };
	uint64_t *frames = malloc(6144 * sizeof(*frames));
	hv_domid_t other;

	CU_ASSERT_PTR_NOT_NULL_FATAL(frames);
	assert_ok(hv_create_domain(real, &other, &err), &err);
	assert_ok(hv_set_max_pages(real, other, 6144, &err), &err);
	for (uint64_t i = 0; i < 6144; i++)
		frames[i] = i;
	CU_ASSERT_EQUAL_FATAL(hv_populate_physmap(real, other, frames, 6144, 0, &err), 6144);
	for (size_t i = 0; i < 6144; i += 3)
		CU_ASSERT_EQUAL(hv_decrease_reservation(real, other, frames + i, 1, 0, &err), 1);
	free(frames);
	live_scratch_opts_init(&o);
	o.pages = 24576;
	o.max_pages = 40960;
	o.balloon = "40m,88m,24m,150m,60m,96m";
	assert_ok(live_scratch_run(real, &o, &res, &err), &err);
	CU_ASSERT_EQUAL(res.steps, 9);
	CU_ASSERT_EQUAL(res.steps_ok, 9);
	CU_ASSERT_TRUE(res.frames_checked > 24576 * 4);
	assert_ok(hv_sim_check(real, &err), &err);
	hv_close(real);
}

/*
 * A 16 GiB scratch domain on the in-memory pair, boot and a balloon step,
 * in a child whose address space is limited to 1 GiB (not under the
 * sanitizers, whose shadow memory alone is larger): the replay and the
 * checks keep runs, not frames, and the pairs are as many runs as the
 * builder's extents.  The pairing tables by model frame alone
 * would have needed 9 bytes for each of the model machine's 80 M frames
 * (max_pages of 256 GiB).
 */
/* The most runs a progress line says the pairs take. */
static void most_runs(void *ctx, const char *line)
{
	const char *p = strstr(line, "frames paired in ");
	unsigned long *most = ctx, n;

	if (p && sscanf(p, "frames paired in %lu runs", &n) == 1 && n > *most)
		*most = n;
}

static void test_scratch_of_16_gib_runs_in_memory_that_follows_runs(void)
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	CU_ASSERT_TRUE_FATAL(pid >= 0);
	if (pid == 0) {
		const char *san = getenv("P2MSIM_SANITIZERS");
		bool sanitized = san && !strcmp(san, "yes");
		struct rlimit rl = { 1ULL << 30, 1ULL << 30 };
		struct e820_table map;
		struct hv_sim_config cfg = { 0 };
		struct live_scratch_opts o;
		struct live_scratch_result res;
		struct p2msim_err err = { 0 };
		struct hv *hv;
		unsigned long runs = 0;
		int rc;

		/* (a sanitizer's shadow memory needs more address space than
		 * that: there the runs bound below still holds the line) */
		if (!sanitized && setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(3);
		e820_table_init(&map);
		e820_add(&map, 1ULL << 20, 20ULL << 30, E820_TYPE_RAM);
		cfg.machine = &map;
		rc = hv_sim_open(&hv, &cfg, &err);
		live_scratch_opts_init(&o);
		o.pages = 4ULL << 20;
		o.max_pages = 64ULL << 20;
		o.balloon = "12g";
		o.contents_run_ends = true;
		o.progress = most_runs;
		o.progress_ctx = &runs;
		if (rc == 0)
			rc = live_scratch_run(hv, &o, &res, &err);
		/* build, setup, 12g: 4 + 4 + 3 Mi frames checked, and publish */
		if (rc == 0 && (res.steps_ok != 4 || res.frames_checked != 11ULL << 20))
			rc = p2msim_err_set(&err, -EINVAL, "%u steps of 4, %" PRIu64 " frames",
					    res.steps_ok, res.frames_checked);
		/* a run per extent the builder handed out (2 MiB superpages,
		 * from the top down, each paired with 512 single pages of
		 * Xen's, from the top down too): 8192 for 4 Mi frames */
		if (rc == 0 && (runs == 0 || runs > 8192 + 64))
			rc = p2msim_err_set(&err, -EINVAL, "the pairs took %lu runs", runs);
		if (rc < 0)
			fprintf(stderr, "\n    %s\n", err.msg);
		_exit(rc < 0 ? 1 : 0);
	}
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* --- balloon ------------------------------------------------------------------------------------ */

struct fake_guest {
	struct hv *hv;
	uint64_t *frames;
	uint64_t nr;
	unsigned int naps;
};

/* A guest driver giving back 4096 pages each time the poller sleeps. */
static void guest_balloons(void *ctx, unsigned int ms)
{
	struct fake_guest *g = ctx;
	uint64_t n = g->nr < 4096 ? g->nr : 4096;

	(void)ms;
	g->naps++;
	if (n &&
	    hv_decrease_reservation(g->hv, 0, g->frames + g->nr - n, (size_t)n, 0, NULL) == (long)n)
		g->nr -= n;
}

static void no_sleep(void *ctx, unsigned int ms)
{
	unsigned int *naps = ctx;

	(void)ms;
	(*naps)++;
}

static struct hv *sim_dom0(uint64_t pages, uint64_t **list)
{
	struct hv *hv = open_real();
	struct p2msim_err err = { 0 };

	assert_ok(hv_sim_build_domain(hv, 0, pages, pages, 8, list, &err), &err);
	CU_ASSERT_EQUAL_FATAL(hv_sim_set_current(hv, 0), 0);
	return hv;
}

static void test_live_balloon_writes_the_target_and_waits_until_reached(void)
{
	uint64_t *list;
	struct fake_guest g;
	struct live_balloon_opts o;
	struct live_balloon_result res;
	struct p2msim_err err = { 0 };
	char *v;

	g.hv = sim_dom0(65536, &list);
	g.frames = list;
	g.nr = 65536;
	g.naps = 0;
	live_balloon_opts_init(&o);
	o.domid = 0;
	o.target = "192m";
	o.sleep_ms = guest_balloons;
	o.sleep_ctx = &g;
	assert_ok(live_balloon_run(g.hv, &o, &res, &err), &err);
	CU_ASSERT_TRUE(res.reached);
	CU_ASSERT_EQUAL(res.start_pages, 65536);
	CU_ASSERT_EQUAL(res.end_pages, 49152);
	CU_ASSERT_EQUAL(res.target_kib, 196608);
	CU_ASSERT_EQUAL(g.naps, 4);
	assert_ok(hv_xs_read(g.hv, "/local/domain/0/memory/target", &v, &err), &err);
	CU_ASSERT_STRING_EQUAL(v, "196608");
	free(v);
	free(list);
	hv_close(g.hv);
}

static void test_live_balloon_gives_up_when_the_guest_does_nothing(void)
{
	uint64_t *list;
	struct hv *hv = sim_dom0(65536, &list);
	struct live_balloon_opts o;
	struct live_balloon_result res;
	struct p2msim_err err = { 0 };
	unsigned int naps = 0;

	live_balloon_opts_init(&o);
	o.domid = 0;
	o.target = "192m";
	o.settle = 2;
	o.sleep_ms = no_sleep;
	o.sleep_ctx = &naps;
	CU_ASSERT_EQUAL(live_balloon_run(hv, &o, &res, &err), -EAGAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stalled at 65536 pages"));
	CU_ASSERT_EQUAL(naps, 8); /* 2 s in 250 ms polls */
	CU_ASSERT_FALSE(res.reached);
	free(list);
	hv_close(hv);
}

static void test_live_balloon_refuses_a_target_xl_refuses(void)
{
	uint64_t *list;
	struct hv *hv = sim_dom0(65536, &list);
	struct live_balloon_opts o;
	struct live_balloon_result res;
	struct p2msim_err err = { 0 };

	live_balloon_opts_init(&o);
	o.domid = 0;
	o.target = "lots";
	CU_ASSERT_EQUAL(live_balloon_run(hv, &o, &res, &err), -EINVAL);
	o.target = "512m"; /* above static-max (256 MiB) */
	CU_ASSERT_EQUAL(live_balloon_run(hv, &o, &res, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "static_max"));
	free(list);
	hv_close(hv);
}

static const struct test_case env_cases[] = {
	{ "not_root_is_told_to_run_as_root", test_not_root_is_told_to_run_as_root },
	{ "no_privcmd_on_xen_says_load_the_module", test_no_privcmd_on_xen_says_load_the_module },
	{ "no_privcmd_off_xen_says_not_running_on_xen",
	  test_no_privcmd_off_xen_says_not_running_on_xen },
	{ "guest_without_control_d_is_not_dom0", test_guest_without_control_d_is_not_dom0 },
	{ "root_in_dom0_passes_the_checks", test_root_in_dom0_passes_the_checks },
	{ "open_reports_build_or_environment", test_open_reports_build_or_environment },
	{ "xen_calls_are_refused_by_the_sim", test_xen_calls_are_refused_by_the_sim },
	{ NULL, NULL },
};

static const struct test_case system_cases[] = {
	{ "kmsg_records_and_dmesg_lines_lose_their_prefixes",
	  test_kmsg_records_and_dmesg_lines_lose_their_prefixes },
	{ "release_comes_from_proc_version", test_release_comes_from_proc_version },
	{ "kallsyms_gives_addresses_or_zero", test_kallsyms_gives_addresses_or_zero },
	{ NULL, NULL },
};

static const struct test_case walk_cases[] = {
	{ "list_walk_labels_shared_leaves_by_kernel_symbols",
	  test_list_walk_labels_shared_leaves_by_kernel_symbols },
	{ "without_symbols_the_mirror_names_the_shared_leaves",
	  test_without_symbols_the_mirror_names_the_shared_leaves },
	{ "a_domU_list_ends_where_the_page_tables_do",
	  test_a_domU_list_ends_where_the_page_tables_do },
	{ "to_max_pfn_stops_at_max_pfn", test_to_max_pfn_stops_at_max_pfn },
	{ "the_mirror_alone_reads_shared_identity_as_missing",
	  test_the_mirror_alone_reads_shared_identity_as_missing },
	{ "a_mirror_naming_another_leaf_is_a_cross_check_difference",
	  test_a_mirror_naming_another_leaf_is_a_cross_check_difference },
	{ "an_odd_generation_means_try_again", test_an_odd_generation_means_try_again },
	{ "an_unmapped_list_page_falls_back_to_the_mirror",
	  test_an_unmapped_list_page_falls_back_to_the_mirror },
	{ "the_debugfs_dump_of_a_live_read_has_the_kernels_quirk",
	  test_the_debugfs_dump_of_a_live_read_has_the_kernels_quirk },
	{ "json_of_a_live_read_is_diff_input", test_json_of_a_live_read_is_diff_input },
	{ NULL, NULL },
};

static const struct test_case mirror_cases[] = {
	{ "the_mirror_reader_agrees_with_the_engine",
	  test_the_mirror_reader_agrees_with_the_engine },
	{ NULL, NULL },
};

static const struct test_case check_cases[] = {
	{ "live_check_of_a_dom0_the_model_made_finds_no_difference",
	  test_live_check_of_a_dom0_the_model_made_finds_no_difference },
	{ "live_check_reports_a_pfn_the_model_did_not_predict",
	  test_live_check_reports_a_pfn_the_model_did_not_predict },
	{ "live_check_reports_a_kernel_line_the_model_did_not_print",
	  test_live_check_reports_a_kernel_line_the_model_did_not_print },
	{ "live_check_refuses_a_domU", test_live_check_refuses_a_domU },
	{ NULL, NULL },
};

static const struct test_case scratch_cases[] = {
	{ "scratch_replays_boot_and_balloon_and_xen_agrees",
	  test_scratch_replays_boot_and_balloon_and_xen_agrees },
	{ "scratch_stops_on_a_signal_and_destroys_its_domain",
	  test_scratch_stops_on_a_signal_and_destroys_its_domain },
	{ "scratch_destroys_its_domain_when_xen_fails",
	  test_scratch_destroys_its_domain_when_xen_fails },
	{ "scratch_reports_xen_doing_less_than_the_model",
	  test_scratch_reports_xen_doing_less_than_the_model },
	{ "replay_pairs_frames_and_keeps_the_model_first",
	  test_replay_pairs_frames_and_keeps_the_model_first },
	{ "runmap_splits_and_joins_runs", test_runmap_splits_and_joins_runs },
	{ "runmap_agrees_with_an_array_through_random_changes",
	  test_runmap_agrees_with_an_array_through_random_changes },
	{ "replay_keeps_pairs_through_release_and_repopulate",
	  test_replay_keeps_pairs_through_release_and_repopulate },
	{ "scratch_balloon_splits_and_repairs_runs", test_scratch_balloon_splits_and_repairs_runs },
	{ "scratch_of_16_gib_runs_in_memory_that_follows_runs",
	  test_scratch_of_16_gib_runs_in_memory_that_follows_runs },
	{ NULL, NULL },
};

static const struct test_case balloon_cases[] = {
	{ "live_balloon_writes_the_target_and_waits_until_reached",
	  test_live_balloon_writes_the_target_and_waits_until_reached },
	{ "live_balloon_gives_up_when_the_guest_does_nothing",
	  test_live_balloon_gives_up_when_the_guest_does_nothing },
	{ "live_balloon_refuses_a_target_xl_refuses",
	  test_live_balloon_refuses_a_target_xl_refuses },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "env", env_cases },	      { "system", system_cases },
	{ "walk", walk_cases },	      { "mirror", mirror_cases },
	{ "check", check_cases },     { "scratch", scratch_cases },
	{ "balloon", balloon_cases }, { NULL, NULL },
};

static void remove_tmpdir(void)
{
	char cmd[600];

	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(int argc, char **argv)
{
	int rc = test_run_suites(suites, argc, argv);

	remove_tmpdir();
	return rc;
}
