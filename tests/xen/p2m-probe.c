/* SPDX-License-Identifier: MIT */
/*
 * tests/xen/p2m-probe.c - read the live P2M of the PV dom0 it runs in, and
 * make a scratch domain for the cleanup test.  A small stand-alone reader
 * for the real-hypervisor harness (tests/xen/), independent of libp2msim,
 * so that captures made with it can check the simulator.
 *
 *   p2m-probe info            Xen version, physinfo, dom0 sizes, the
 *                             shared_info P2M fields
 *   p2m-probe e820            the machine memory map (XENMEM_machine_memory_map)
 *   p2m-probe runs [--all | --to PFN] [--mfn] [--leaves] [--json]
 *                             dom0's own P2M as runs [start, end) of type
 *                             pfn / identity / missing / foreign, over
 *                             [0, max_pfn), or with --all over the whole
 *                             list area [0, xen_p2m_size) (its size taken
 *                             from the kernel's "p2m virtual area" line)
 *   p2m-probe scratch [--hold SECS] [--pages N]
 *                             create a PV domain, give it N pages, print
 *                             "scratch domid D", wait, destroy it on exit,
 *                             SIGTERM, SIGINT or SIGHUP
 *
 * How the P2M is read (facts from the Xen public headers and the lab notes):
 * dom0 maps its own frames with DOMID_SELF (Xen refuses domid 0 as a
 * foreign domain to itself).  shared_info.arch gives p2m_cr3 (the page
 * table root, in cr3 format), p2m_vaddr (the virtual address of the linear
 * P2M list) and pfn_to_mfn_frame_list_list (the three-level MFN mirror the
 * toolstack reads).  The list's pages are found by walking the 4-level PV
 * page tables from p2m_cr3; the mirror is walked separately and compared
 * leaf by leaf.  Linux backs uniformly missing and uniformly identity 2 MiB
 * stretches with two shared leaf pages whose contents are the same (all
 * INVALID), so the page itself tells them apart: their addresses come from
 * /proc/kallsyms (symbols p2m_missing and p2m_identity, pointers to the
 * pages) read through the same page tables.
 */
#define XC_WANT_COMPAT_MAP_FOREIGN_API 1
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>

#define PAGE 4096UL
#define PER_PAGE 512UL				/* 8-byte entries per page */
#define FRAME(e) (((e) >> 12) & 0xffffffffffUL) /* bits 12..51 */
#define PTE_PRESENT 0x1UL
#define PTE_PSE 0x80UL
#define P2M_INVALID (~0UL)
#define P2M_IDENTITY (1UL << 62)
#define P2M_FOREIGN (1UL << 63)
#define NO_MFN (~0UL)

enum type {
	T_MISSING,
	T_PFN,
	T_IDENTITY,
	T_FOREIGN,
	T_NTYPES
};
static const char *const type_name[T_NTYPES] = { "missing", "pfn", "identity", "foreign" };

/* how a 2 MiB leaf of the list is backed */
enum leaf_kind {
	L_PRIVATE,
	L_SHARED_MISSING,
	L_SHARED_IDENTITY,
	L_UNMAPPED,
	L_NKINDS
};
static const char *const leaf_name[L_NKINDS] = { "private", "shared-missing", "shared-identity",
						 "unmapped" };

struct probe {
	xc_interface *xch;
	uint64_t nr_pages, max_pages, si_frame;
	uint64_t max_pfn, cr3, vaddr, gen, fll;
	uint64_t miss_leaf, ident_leaf; /* MFNs of the shared leaves */
	uint64_t miss_pte, ident_pte;	/* MFNs of the shared PTE pages */
	bool kallsyms;
	/* one mapped page per page-table level, reused while the MFN is the same */
	uint64_t pt_mfn[4];
	uint64_t *pt_map[4];
};

static void die(const char *what)
{
	fprintf(stderr, "p2m-probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *map_ro(struct probe *p, uint64_t mfn)
{
	return xc_map_foreign_range(p->xch, DOMID_SELF, PAGE, PROT_READ, mfn);
}

/* Translate a virtual address of dom0's kernel to an MFN.  Returns 0, or
 * the level (4..1) whose entry is not present.  *pte_page gets the MFN of
 * the level-1 table used, when there is one. */
static int va_to_mfn(struct probe *p, uint64_t va, uint64_t *mfn, uint64_t *pte_page)
{
	uint64_t table = FRAME(p->cr3);

	for (int level = 4; level >= 1; level--) {
		int k = level - 1;
		uint64_t e;

		if (p->pt_mfn[k] != table) {
			if (p->pt_map[k])
				munmap(p->pt_map[k], PAGE);
			p->pt_map[k] = map_ro(p, table);
			if (!p->pt_map[k]) {
				p->pt_mfn[k] = NO_MFN;
				die("map a page-table page");
			}
			p->pt_mfn[k] = table;
		}
		if (level == 1 && pte_page)
			*pte_page = table;
		e = p->pt_map[k][(va >> (12 + 9 * k)) & 511];
		if (!(e & PTE_PRESENT))
			return level;
		if ((level == 3 || level == 2) && (e & PTE_PSE)) {
			uint64_t span = 1UL << (9 * k); /* pages under the entry */

			*mfn = (FRAME(e) & ~(span - 1)) + ((va >> 12) & (span - 1));
			if (pte_page)
				*pte_page = NO_MFN;
			return 0;
		}
		table = FRAME(e);
	}
	*mfn = table;
	return 0;
}

/* The value of a kernel pointer variable named SYM, as an MFN of the page it
 * points to; NO_MFN if unknown. */
static uint64_t pointer_target_mfn(struct probe *p, uint64_t sym_va)
{
	uint64_t mfn, target, target_mfn;
	unsigned char *pg;

	if (!sym_va || va_to_mfn(p, sym_va, &mfn, NULL))
		return NO_MFN;
	pg = map_ro(p, mfn);
	if (!pg)
		return NO_MFN;
	memcpy(&target, pg + (sym_va & (PAGE - 1)), sizeof(target));
	munmap(pg, PAGE);
	if (va_to_mfn(p, target, &target_mfn, NULL))
		return NO_MFN;
	return target_mfn;
}

static void find_shared_pages(struct probe *p)
{
	static const char *const names[4] = { "p2m_missing", "p2m_identity", "p2m_missing_pte",
					      "p2m_identity_pte" };
	uint64_t addr[4] = { 0, 0, 0, 0 };
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");

	p->miss_leaf = p->ident_leaf = p->miss_pte = p->ident_pte = NO_MFN;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char t, name[256];

		if (sscanf(line, "%llx %c %255s", &a, &t, name) != 3)
			continue;
		for (int i = 0; i < 4; i++)
			if (!strcmp(name, names[i]))
				addr[i] = a;
	}
	fclose(f);
	p->miss_leaf = pointer_target_mfn(p, addr[0]);
	p->ident_leaf = pointer_target_mfn(p, addr[1]);
	p->miss_pte = pointer_target_mfn(p, addr[2]);
	p->ident_pte = pointer_target_mfn(p, addr[3]);
	p->kallsyms = p->miss_leaf != NO_MFN && p->ident_leaf != NO_MFN;
}

static void open_self(struct probe *p)
{
	xc_domaininfo_t info;
	shared_info_any_t *si;

	memset(p, 0, sizeof(*p));
	for (int k = 0; k < 4; k++)
		p->pt_mfn[k] = NO_MFN;
	p->xch = xc_interface_open(NULL, NULL, 0);
	if (!p->xch)
		die("xc_interface_open (not in dom0, or privcmd missing?)");
	/* xc_domain_getinfolist exists in 4.17 and later alike */
	if (xc_domain_getinfolist(p->xch, 0, 1, &info) != 1 || info.domain != 0)
		die("xc_domain_getinfolist(0)");
	p->nr_pages = info.tot_pages;
	p->max_pages = info.max_pages;
	p->si_frame = info.shared_info_frame;
	si = map_ro(p, p->si_frame);
	if (!si)
		die("map own shared_info with DOMID_SELF");
	p->max_pfn = si->x64.arch.max_pfn;
	p->cr3 = si->x64.arch.p2m_cr3;
	p->vaddr = si->x64.arch.p2m_vaddr;
	p->gen = si->x64.arch.p2m_generation;
	p->fll = si->x64.arch.pfn_to_mfn_frame_list_list;
	munmap(si, PAGE);
}

static uint64_t p2m_generation(struct probe *p)
{
	shared_info_any_t *si = map_ro(p, p->si_frame);
	uint64_t g;

	if (!si)
		die("map own shared_info with DOMID_SELF");
	g = si->x64.arch.p2m_generation;
	munmap(si, PAGE);
	return g;
}

/* ------------------------------------------------------------------ runs */
struct run {
	uint64_t start, end; /* [start, end) */
	enum type type;
	uint64_t mfn; /* first MFN (pfn runs, --mfn) */
};

struct runs {
	struct run *v;
	size_t n, cap;
	bool by_mfn; /* pfn runs also break where the MFN is not +1 */
	uint64_t count[T_NTYPES];
};

static void add_entry(struct runs *r, uint64_t pfn, uint64_t n, enum type t, uint64_t mfn)
{
	struct run *last = r->n ? &r->v[r->n - 1] : NULL;

	r->count[t] += n;
	if (last && last->end == pfn && last->type == t &&
	    !(r->by_mfn && t == T_PFN && last->mfn + (last->end - last->start) != mfn)) {
		last->end += n;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			die("realloc");
	}
	r->v[r->n++] = (struct run){ pfn, pfn + n, t, mfn };
}

static enum type classify(uint64_t e, uint64_t pfn)
{
	(void)pfn;
	if (e == P2M_INVALID)
		return T_MISSING;
	if (e & P2M_FOREIGN)
		return T_FOREIGN;
	if (e & P2M_IDENTITY)
		return T_IDENTITY;
	return T_PFN;
}

struct leafrun {
	uint64_t first, last; /* leaf indexes, inclusive */
	enum leaf_kind kind;
};

struct walk {
	uint64_t end; /* pfns walked: [0, end) */
	uint64_t leaves_by_kind[L_NKINDS];
	uint64_t shared_pte_missing, shared_pte_identity; /* PMD slots */
	uint64_t *leaf_mfn;				  /* per leaf, NO_MFN when unmapped */
	struct leafrun *lr;
	size_t nlr, caplr;
	uint64_t ident_mismatch; /* identity entries whose frame != pfn */
};

static void add_leafrun(struct walk *w, uint64_t leaf, enum leaf_kind k)
{
	w->leaves_by_kind[k]++;
	if (w->nlr && w->lr[w->nlr - 1].kind == k && w->lr[w->nlr - 1].last + 1 == leaf) {
		w->lr[w->nlr - 1].last = leaf;
		return;
	}
	if (w->nlr == w->caplr) {
		w->caplr = w->caplr ? 2 * w->caplr : 256;
		w->lr = realloc(w->lr, w->caplr * sizeof(*w->lr));
		if (!w->lr)
			die("realloc");
	}
	w->lr[w->nlr++] = (struct leafrun){ leaf, leaf, k };
}

/* Walk the linear list [0, limit) through the page tables. */
static void walk_list(struct probe *p, uint64_t limit, struct runs *r, struct walk *w)
{
	uint64_t nleaves_cap = 0, leaf;

	memset(w, 0, sizeof(*w));
	for (leaf = 0; leaf * PER_PAGE < limit; leaf++) {
		uint64_t base = leaf * PER_PAGE, n = PER_PAGE, mfn, pte_page = NO_MFN;
		int rc = va_to_mfn(p, p->vaddr + leaf * PAGE, &mfn, &pte_page);

		if (base + n > limit)
			n = limit - base;
		if (rc) {
			fprintf(stderr,
				"p2m-probe: P2M list page for pfn %#" PRIx64
				" is not mapped (level %d)\n",
				base, rc);
			exit(1);
		}
		if (leaf >= nleaves_cap) {
			nleaves_cap = nleaves_cap ? 2 * nleaves_cap : 4096;
			w->leaf_mfn = realloc(w->leaf_mfn, nleaves_cap * sizeof(*w->leaf_mfn));
			if (!w->leaf_mfn)
				die("realloc");
		}
		w->leaf_mfn[leaf] = mfn;
		if (leaf % PER_PAGE == 0 && pte_page != NO_MFN) {
			if (pte_page == p->miss_pte)
				w->shared_pte_missing++;
			else if (pte_page == p->ident_pte)
				w->shared_pte_identity++;
		}
		if (p->kallsyms && mfn == p->miss_leaf) {
			add_leafrun(w, leaf, L_SHARED_MISSING);
			add_entry(r, base, n, T_MISSING, 0);
		} else if (p->kallsyms && mfn == p->ident_leaf) {
			add_leafrun(w, leaf, L_SHARED_IDENTITY);
			add_entry(r, base, n, T_IDENTITY, base);
		} else {
			uint64_t *pg = map_ro(p, mfn);

			if (!pg)
				die("map a P2M list page");
			add_leafrun(w, leaf, L_PRIVATE);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t e = pg[i];
				enum type t = classify(e, base + i);

				if (t == T_IDENTITY &&
				    (e & ~(P2M_IDENTITY | P2M_FOREIGN)) != base + i)
					w->ident_mismatch++;
				add_entry(r, base + i, 1, t, t == T_PFN ? e : 0);
			}
			munmap(pg, PAGE);
		}
	}
	w->end = limit;
}

/* Entries in the list area: Linux 3.19+ logs "p2m virtual area at %p, size
 * is %lx" (bytes) at boot; read it back from the kernel log. */
static uint64_t p2m_area_entries(void)
{
	static const char key[] = "p2m virtual area at ";
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *at;
	unsigned long long size = 0;

	if (len <= 0)
		die("klogctl(SIZE_BUFFER)");
	buf = malloc((size_t)len + 1);
	if (!buf)
		die("malloc");
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0)
		die("klogctl(READ_ALL)");
	buf[len] = 0;
	at = strstr(buf, key);
	if (!at || !(at = strstr(at, "size is ")) || sscanf(at, "size is %llx", &size) != 1 ||
	    !size) {
		fprintf(stderr,
			"p2m-probe: no \"p2m virtual area ... size is\" line in the kernel log; use --to PFN\n");
		exit(1);
	}
	free(buf);
	return size / 8;
}

/* Compare the MFN mirror (frame list list -> mid pages -> leaf MFNs) with
 * the leaves found through the page tables.  Linux mirrors a 1 GiB stretch
 * backed by a shared PTE page as the "mid missing" page: for an identity
 * stretch that shows the missing leaf where the tables have the identity
 * one; those are counted apart. */
static void check_mirror(struct probe *p, const struct walk *w, FILE *out)
{
	uint64_t nleaves = (w->end + PER_PAGE - 1) / PER_PAGE, compared = 0, differ = 0,
		 shared_id = 0;
	uint64_t *top;

	if (!p->fll || p->fll == P2M_INVALID) {
		fprintf(out,
			"# frame-list-list: none (pfn_to_mfn_frame_list_list = %#" PRIx64 ")\n",
			p->fll);
		return;
	}
	top = map_ro(p, p->fll);
	if (!top)
		die("map the frame list list");
	for (uint64_t t = 0; t < PER_PAGE && t * PER_PAGE < nleaves; t++) {
		uint64_t *mid;

		if (top[t] == 0 || top[t] == P2M_INVALID)
			continue;
		mid = map_ro(p, top[t]);
		if (!mid)
			die("map a frame list page");
		for (uint64_t m = 0; m < PER_PAGE && t * PER_PAGE + m < nleaves; m++) {
			uint64_t leaf = t * PER_PAGE + m;

			compared++;
			if (mid[m] == w->leaf_mfn[leaf])
				continue;
			if (mid[m] == p->miss_leaf && w->leaf_mfn[leaf] == p->ident_leaf)
				shared_id++;
			else
				differ++;
		}
		munmap(mid, PAGE);
	}
	munmap(top, PAGE);
	fprintf(out,
		"# frame-list-list cross-check: %" PRIu64 " leaves compared, %" PRIu64 " differ"
		" (and %" PRIu64 " shared identity leaves mirrored as missing)\n",
		compared, differ, shared_id);
	if (differ)
		fprintf(stderr,
			"p2m-probe: the MFN mirror disagrees with the page tables for %" PRIu64
			" leaves\n",
			differ);
}

static int cmd_runs(int argc, char **argv)
{
	bool all = false, json = false, leaves = false;
	uint64_t to = 0;
	struct probe p;
	struct runs r = { 0 };
	struct walk w;
	uint64_t gen_after;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mfn"))
			r.by_mfn = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--leaves"))
			leaves = true;
		else {
			fprintf(stderr, "p2m-probe runs: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	open_self(&p);
	if (!p.cr3 || !p.vaddr) {
		fprintf(stderr,
			"p2m-probe: shared_info has no p2m_cr3/p2m_vaddr (kernel without the linear list)\n");
		return 1;
	}
	find_shared_pages(&p);
	if (all)
		to = p2m_area_entries();
	walk_list(&p, to ? to : p.max_pfn, &r, &w);
	gen_after = p2m_generation(&p);

	if (json) {
		printf("{\"source\": \"p2m-probe\", \"domain\": 0, \"nr_pages\": %" PRIu64
		       ", \"max_pages\": %" PRIu64 ", \"max_pfn\": %" PRIu64
		       ", \"walked\": %" PRIu64 ", \"runs\": [",
		       p.nr_pages, p.max_pages, p.max_pfn, w.end);
		for (size_t i = 0; i < r.n; i++)
			printf("%s\n  {\"start\": %" PRIu64 ", \"end\": %" PRIu64
			       ", \"type\": \"%s\"}",
			       i ? "," : "", r.v[i].start, r.v[i].end, type_name[r.v[i].type]);
		printf("\n]}\n");
	} else {
		printf("# p2m-probe runs%s%s: dom0's own P2M read through p2m_cr3/p2m_vaddr (DOMID_SELF)\n",
		       all ? " --all" :
		       to  ? " --to" :
			     "",
		       r.by_mfn ? " --mfn" : "");
		printf("# nr_pages=%" PRIu64 " max_pages=%" PRIu64 " max_pfn=%#" PRIx64
		       " walked=[0, %#" PRIx64 ")\n",
		       p.nr_pages, p.max_pages, p.max_pfn, w.end);
		printf("# shared_info.arch: p2m_cr3=%#" PRIx64 " p2m_vaddr=%#" PRIx64
		       " p2m_generation=%" PRIu64 " frame_list_list=%#" PRIx64 "\n",
		       p.cr3, p.vaddr, p.gen, p.fll);
		if (p.kallsyms)
			printf("# shared leaves (kallsyms): missing mfn %#" PRIx64
			       ", identity mfn %#" PRIx64 "\n",
			       p.miss_leaf, p.ident_leaf);
		else
			printf("# shared leaves: unknown (/proc/kallsyms unreadable): shared identity leaves read as missing\n");
		printf("# leaves: private=%" PRIu64 " shared-missing=%" PRIu64
		       " shared-identity=%" PRIu64
		       "; 1 GiB slots on shared PTE pages: missing=%" PRIu64 " identity=%" PRIu64
		       "\n",
		       w.leaves_by_kind[L_PRIVATE], w.leaves_by_kind[L_SHARED_MISSING],
		       w.leaves_by_kind[L_SHARED_IDENTITY], w.shared_pte_missing,
		       w.shared_pte_identity);
		check_mirror(&p, &w, stdout);
		if (w.ident_mismatch)
			printf("# WARNING: %" PRIu64
			       " identity entries name another frame than their pfn\n",
			       w.ident_mismatch);
		if (gen_after != p.gen || (gen_after & 1))
			printf("# WARNING: p2m_generation moved (%" PRIu64 " -> %" PRIu64
			       "): the list changed while read\n",
			       p.gen, gen_after);
		printf("# totals: pfn=%" PRIu64 " identity=%" PRIu64 " missing=%" PRIu64
		       " foreign=%" PRIu64 " runs=%zu\n",
		       r.count[T_PFN], r.count[T_IDENTITY], r.count[T_MISSING], r.count[T_FOREIGN],
		       r.n);
		for (size_t i = 0; i < r.n; i++) {
			const struct run *x = &r.v[i];

			if (r.by_mfn && x->type == T_PFN)
				printf("[%#" PRIx64 ", %#" PRIx64 ") pfn mfn %#" PRIx64 "\n",
				       x->start, x->end, x->mfn);
			else
				printf("[%#" PRIx64 ", %#" PRIx64 ") %s\n", x->start, x->end,
				       type_name[x->type]);
		}
		if (leaves) {
			printf("# leaves (2 MiB of pfns each), [first, last] leaf index: backing\n");
			for (size_t i = 0; i < w.nlr; i++)
				printf("leaves [%#" PRIx64 ", %#" PRIx64 "] pfn [%#" PRIx64
				       ", %#" PRIx64 ") %s\n",
				       w.lr[i].first, w.lr[i].last, w.lr[i].first * PER_PAGE,
				       (w.lr[i].last + 1) * PER_PAGE, leaf_name[w.lr[i].kind]);
		}
	}
	free(r.v);
	free(w.lr);
	free(w.leaf_mfn);
	return 0;
}

/* ------------------------------------------------------------------ info, e820 */
static int cmd_info(void)
{
	struct probe p;
	xc_physinfo_t pi = { 0 };
	int major, minor;
	xen_extraversion_t extra;
	unsigned int width = 0;

	open_self(&p);
	major = xc_version(p.xch, XENVER_version, NULL);
	minor = major & 0xffff;
	major >>= 16;
	if (xc_version(p.xch, XENVER_extraversion, &extra) < 0)
		die("xc_version(extraversion)");
	if (xc_physinfo(p.xch, &pi))
		die("xc_physinfo");
	if (xc_domain_get_guest_width(p.xch, 0, &width))
		die("xc_domain_get_guest_width(0)");
	printf("xen_version=%d.%d%s\n", major, minor, extra);
	printf("total_pages=%" PRIu64 " free_pages=%" PRIu64 " max_mfn=%#" PRIx64 "\n",
	       (uint64_t)pi.total_pages, (uint64_t)pi.free_pages, (uint64_t)pi.max_mfn);
	printf("dom0 nr_pages=%" PRIu64 " max_pages=%" PRIu64
	       " guest_width=%u shared_info_mfn=%#" PRIx64 "\n",
	       p.nr_pages, p.max_pages, width * 8, p.si_frame);
	printf("shared_info.arch max_pfn=%#" PRIx64 " p2m_cr3=%#" PRIx64 " p2m_vaddr=%#" PRIx64
	       " p2m_generation=%" PRIu64 " frame_list_list=%#" PRIx64 "\n",
	       p.max_pfn, p.cr3, p.vaddr, p.gen, p.fll);
	return 0;
}

static int cmd_e820(void)
{
	static const char *const names[] = { "?",	  "usable",   "reserved",
					     "ACPI data", "ACPI NVS", "unusable" };
	struct e820entry map[1024];
	struct probe p;
	int n;

	open_self(&p);
	n = xc_get_machine_memory_map(p.xch, map, 1024);
	if (n < 0)
		die("xc_get_machine_memory_map");
	printf("# XENMEM_machine_memory_map: %d entries, [start, end] inclusive\n", n);
	for (int i = 0; i < n; i++)
		printf("[%016" PRIx64 ", %016" PRIx64 "] (%s)\n", (uint64_t)map[i].addr,
		       (uint64_t)(map[i].addr + map[i].size - 1),
		       map[i].type < 6 ? names[map[i].type] : "other");
	return 0;
}

/* ------------------------------------------------------------------ scratch */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int cmd_scratch(int argc, char **argv)
{
	struct xen_domctl_createdomain cfg = {
		.flags = 0, /* PV */
		.max_vcpus = 1,
		.max_evtchn_port = 1023,
		.max_grant_frames = -1,
		.max_maptrack_frames = -1,
#ifdef XEN_DOMCTL_GRANT_version /* Xen 4.17 and later; 4.14 has no grant_opts */
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
#endif
	};
	unsigned long hold = 600, pages = 256;
	uint32_t domid = 0;
	xc_interface *xch;
	xen_pfn_t *pfns;
	struct sigaction sa;
	time_t until;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--pages") && i + 1 < argc)
			pages = strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "p2m-probe scratch: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch)
		die("xc_interface_open");
	if (xc_domain_create(xch, &domid, &cfg))
		die("xc_domain_create (PV scratch domain)");
	/* from here on every exit path destroys the domain */
	if (xc_domain_setmaxmem(xch, domid, pages * 4)) {
		fprintf(stderr, "p2m-probe: xc_domain_setmaxmem(%u): %s\n", domid, strerror(errno));
		rc = 1;
		goto out;
	}
	pfns = calloc(pages, sizeof(*pfns));
	if (!pfns) {
		rc = 1;
		goto out;
	}
	for (unsigned long i = 0; i < pages; i++)
		pfns[i] = i;
	if (xc_domain_populate_physmap_exact(xch, domid, pages, 0, 0, pfns)) {
		fprintf(stderr, "p2m-probe: xc_domain_populate_physmap_exact(%u, %lu): %s\n", domid,
			pages, strerror(errno));
		free(pfns);
		rc = 1;
		goto out;
	}
	free(pfns);
	printf("scratch domid %u with %lu pages; holding for %lus\n", domid, pages, hold);
	fflush(stdout);
	until = time(NULL) + (time_t)hold;
	while (!got_signal && time(NULL) < until)
		usleep(100000);
out:
	if (xc_domain_destroy(xch, domid)) {
		fprintf(stderr, "p2m-probe: xc_domain_destroy(%u): %s\n", domid, strerror(errno));
		rc = 1;
	} else {
		printf("scratch domid %u destroyed%s%s\n", domid, got_signal ? " on " : "",
		       got_signal ? strsignal(got_signal) : "");
	}
	xc_interface_close(xch);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2m-probe info | e820 | runs [--all | --to PFN] [--mfn] [--leaves] [--json]\n"
		"                 | scratch [--hold SECS] [--pages N]\n"
		"Reads the live P2M of the PV dom0 it runs in (see the head of p2m-probe.c).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "runs"))
		return cmd_runs(argc - 1, argv + 1);
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "e820"))
		return cmd_e820();
	if (!strcmp(argv[1], "scratch"))
		return cmd_scratch(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
