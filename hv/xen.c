/* SPDX-License-Identifier: MIT */
/*
 * hv/xen.c - "xen", the real hypervisor through libxenctrl,
 * libxenforeignmemory and libxenstore, from dom0 (doc/design-p2m.md#toolstack-view).
 *
 * WHAT EACH OPERATION IS
 *
 *   machine_memory_map     xc_get_machine_memory_map (XENMEM_machine_memory_map)
 *   memory_map             -ENOSYS: Xen has no call that reads another
 *                          domain's pseudo-physical map
 *   set_memory_map         xc_domain_set_memory_map
 *   reservation            tot_pages / max_pages of XEN_DOMCTL_getdomaininfo
 *   set_max_pages          xc_domain_setmaxmem (KiB)
 *   populate_physmap, increase_reservation, decrease_reservation
 *                          the xc_domain_* calls that return the extents done
 *   machphys_update        MMU_MACHPHYS_UPDATE through mmu_update with the
 *                          domain as the foreign owner (libxenctrl's
 *                          exported but undeclared xc_*_mmu_update*)
 *   m2p                    the machphys table: XENMEM_machphys_mfn_list gives
 *                          its 2 MiB chunks, mapped read-only from DOMID_XEN
 *   domain_info, p2m_info  getdomaininfo, guest width, shared_info.arch
 *   set_p2m_info           shared_info.arch written through a writable
 *                          mapping, as the guest would (scratch domains)
 *   map_frames             xenforeignmemory_map; frames of our own domain
 *                          through DOMID_SELF, because Xen refuses a foreign
 *                          mapping whose owner is the caller
 *   create/destroy_domain  an empty PV domain with one vCPU
 *   xs_read, xs_write      libxenstore, opened on first use
 *   frame_types            xc_get_pfn_type_batch (exported, undeclared)
 *   xen_info               xc_version, xc_physinfo
 *   console_read           xc_readconsolering, incrementally, as xl dmesg
 *
 * SAFETY
 *
 * Reading is always allowed.  Every operation that changes a domain goes
 * through may_modify(): the domain must be a scratch domain this
 * connection created or one hv_xen_allow_modify() named.  Scratch domains
 * are kept in a registry and destroyed by hv_xen_destroy_scratch() and by
 * hv_close(); the command installs signal handlers that end up there.
 *
 * Errors name the libxenctrl call, the domain and errno:
 * "xc_domain_setmaxmem(d3): Operation not permitted (errno 1)", followed by
 * the last message libxenctrl logged when there is one (its logger is ours,
 * so the library prints nothing on its own).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "hv/hv.h"
#include "e820/e820.h"
#include "util/page.h"

/* Exported by libxenctrl since 4.x but declared only in its private
 * xc_private.h (doc/design-p2m.md#toolstack-view). */
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num, xen_pfn_t *arr);
struct xc_mmu;
struct xc_mmu *xc_alloc_mmu_updates(xc_interface *xch, unsigned int subject);
int xc_add_mmu_update(xc_interface *xch, struct xc_mmu *mmu, unsigned long long ptr,
		      unsigned long long val);
int xc_flush_mmu_updates(xc_interface *xch, struct xc_mmu *mmu);

#define M2P_CHUNK_SHIFT 21 /* the machphys table comes in 2 MiB chunks */
#define M2P_PER_CHUNK (1ULL << (M2P_CHUNK_SHIFT - 3))
#define MAX_E820 1024
#define TYPE_BATCH 1024
#define CONSOLE_CHUNK (64u * 1024u)

/* Marks a scratch domain in its handle, so that one left by a killed
 * process can be recognised ("p2msim scratch" in the UUID bytes). */
static const uint8_t scratch_handle[16] = {
	'p', '2', 'm', 's', 'i', 'm', ' ', 's', 'c', 'r', 'a', 't', 'c', 'h', 0, 1,
};

struct domid_set {
	hv_domid_t *ids;
	size_t nr, alloc;
};

struct hv_xen {
	struct hv hv;		  /* must stay first */
	xentoollog_logger logger; /* collects libxenctrl's messages */
	char last_log[256];	  /* the last of them, for error messages */
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	struct xs_handle *xsh;	  /* opened on first use */
	hv_domid_t self;	  /* our own domid */
	struct domid_set scratch; /* created here, destroyed at close */
	struct domid_set allowed; /* --allow-modify */
	/* The M2P: chunk MFNs and their read-only mappings, made on demand. */
	xen_pfn_t *m2p_chunk;
	uint64_t **m2p_map;
	size_t nr_m2p;
	bool m2p_tried;
};

static const struct hv_ops xen_ops;

static struct hv_xen *xen_of(struct hv *hv)
{
	return (struct hv_xen *)(void *)hv;
}

/* --- libxenctrl's log ---------------------------------------------------------- */

static void log_message(struct xentoollog_logger *logger, xentoollog_level level, int errnoval,
			const char *context, const char *format, va_list al)
	__attribute__((format(printf, 5, 0)));

/* The logger is the first member after the hv; recover the backend. */
static struct hv_xen *xen_of_logger(struct xentoollog_logger *logger)
{
	return (struct hv_xen *)(void *)((char *)logger - offsetof(struct hv_xen, logger));
}

static void log_message(struct xentoollog_logger *logger, xentoollog_level level, int errnoval,
			const char *context, const char *format, va_list al)
{
	struct hv_xen *x = xen_of_logger(logger);

	(void)errnoval;
	(void)context;
	if (level < XTL_WARN)
		return;
	vsnprintf(x->last_log, sizeof(x->last_log), format, al);
}

static void log_destroy(struct xentoollog_logger *logger)
{
	(void)logger;
}

/* --- errors ---------------------------------------------------------------------- */

static void dom_name(char *buf, size_t len, hv_domid_t domid)
{
	if (domid == HV_DOMID_SELF)
		snprintf(buf, len, "DOMID_SELF");
	else
		snprintf(buf, len, "d%u", domid);
}

/* "CALL(dN): strerror (errno E)[: libxenctrl's last message]", -E. */
static int call_failed(struct hv_xen *x, struct p2msim_err *err, const char *call, hv_domid_t domid,
		       int e)
{
	char dom[16];
	int rc;

	if (e <= 0)
		e = EIO;
	dom_name(dom, sizeof(dom), domid);
	if (x->last_log[0])
		rc = p2msim_err_set(err, -e, "%s(%s): %s (errno %d): libxenctrl: %s", call, dom,
				    strerror(e), e, x->last_log);
	else
		rc = p2msim_err_set(err, -e, "%s(%s): %s (errno %d)", call, dom, strerror(e), e);
	x->last_log[0] = '\0';
	return rc;
}

static int nomem(struct p2msim_err *err, const char *op)
{
	return p2msim_err_set(err, -ENOMEM, "%s: out of memory", op);
}

/* --- who may be changed ------------------------------------------------------------- */

static bool set_has(const struct domid_set *s, hv_domid_t domid)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->ids[i] == domid)
			return true;
	return false;
}

/* Room for one more id. */
static int set_reserve(struct domid_set *s)
{
	if (s->nr == s->alloc) {
		size_t n = s->alloc ? 2 * s->alloc : 8;
		hv_domid_t *ids = realloc(s->ids, n * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		s->ids = ids;
		s->alloc = n;
	}
	return 0;
}

static int set_add(struct domid_set *s, hv_domid_t domid)
{
	if (set_has(s, domid))
		return 0;
	if (set_reserve(s) < 0)
		return -ENOMEM;
	s->ids[s->nr++] = domid;
	return 0;
}

static void set_del(struct domid_set *s, hv_domid_t domid)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->ids[i] == domid) {
			s->ids[i] = s->ids[--s->nr];
			return;
		}
}

/* The domid a domctl wants: DOMID_SELF is not one. */
static hv_domid_t real_domid(const struct hv_xen *x, hv_domid_t domid)
{
	return domid == HV_DOMID_SELF ? x->self : domid;
}

/* The domid a foreign mapping wants: our own frames only as DOMID_SELF. */
static uint32_t map_domid(const struct hv_xen *x, hv_domid_t domid)
{
	return domid == HV_DOMID_SELF || domid == x->self ? DOMID_SELF : domid;
}

static int may_modify(struct hv_xen *x, const char *op, hv_domid_t domid, struct p2msim_err *err)
{
	char dom[16];

	domid = real_domid(x, domid);
	if (set_has(&x->scratch, domid) || set_has(&x->allowed, domid))
		return 0;
	dom_name(dom, sizeof(dom), domid);
	return p2msim_err_set(err, -EPERM,
			      "%s(%s): refused: p2msim changes only the scratch domains it created "
			      "and domains named with --allow-modify (this one is neither)",
			      op, dom);
}

int hv_xen_allow_modify(struct hv *hv, hv_domid_t domid, struct p2msim_err *err)
{
	struct hv_xen *x;

	if (!hv || hv->ops != &xen_ops)
		return p2msim_err_set(err, -EINVAL,
				      "allow_modify: not a xen hypervisor connection");
	x = xen_of(hv);
	if (set_add(&x->allowed, real_domid(x, domid)) < 0)
		return nomem(err, "allow_modify");
	return 0;
}

size_t hv_xen_scratch_domains(const struct hv *hv, hv_domid_t *ids, size_t max)
{
	const struct hv_xen *x = (const struct hv_xen *)(const void *)hv;
	size_t n;

	if (!hv || hv->ops != &xen_ops)
		return 0;
	n = x->scratch.nr;
	for (size_t i = 0; i < n && i < max; i++)
		ids[i] = x->scratch.ids[i];
	return n;
}

/* --- domain info: the one place Xen versions differ ----------------------------------- */

/*
 * Xen 4.18 replaced xc_domain_getinfo() (which returns the next domain at
 * or after the one asked for, in its own structure) with
 * xc_domain_getinfo_single().  xc_domain_getinfolist() exists in both and
 * returns the same xc_domaininfo_t as the new call, so 4.17 asks it for one
 * domain and checks that the one it got is the one asked for.
 */
static int get_dominfo(struct hv_xen *x, hv_domid_t domid, xc_domaininfo_t *di,
		       struct p2msim_err *err)
{
	domid = real_domid(x, domid);
#ifdef HAVE_XC_DOMAIN_GETINFO_SINGLE
	if (xc_domain_getinfo_single(x->xch, domid, di) < 0)
		return call_failed(x, err, "xc_domain_getinfo_single", domid, errno);
	return 0;
#else
	int n = xc_domain_getinfolist(x->xch, domid, 1, di);

	if (n < 0)
		return call_failed(x, err, "xc_domain_getinfolist", domid, errno);
	if (n == 0 || di->domain != domid)
		return call_failed(x, err, "xc_domain_getinfolist", domid, ESRCH);
	return 0;
#endif
}

/* --- memory maps -------------------------------------------------------------------- */

static int xen_machine_memory_map(struct hv *hv, struct e820_table *out, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct e820entry *map = calloc(MAX_E820, sizeof(*map));
	int n, rc = 0;

	if (!map)
		return nomem(err, "machine_memory_map");
	n = xc_get_machine_memory_map(x->xch, map, MAX_E820);
	if (n < 0) {
		rc = call_failed(x, err, "xc_get_machine_memory_map", x->self, errno);
		goto out;
	}
	e820_table_free(out);
	e820_table_init(out);
	for (int i = 0; i < n && rc == 0; i++)
		if (e820_add(out, map[i].addr, map[i].size, map[i].type) < 0)
			rc = nomem(err, "machine_memory_map");
out:
	free(map);
	return rc;
}

static int xen_memory_map(struct hv *hv, hv_domid_t domid, struct e820_table *out,
			  struct p2msim_err *err)
{
	char dom[16];

	(void)hv;
	(void)out;
	dom_name(dom, sizeof(dom), domid);
	return p2msim_err_set(err, -ENOSYS,
			      "memory_map(%s): Xen has no call that reads another "
			      "domain's memory map (XENMEM_memory_map takes no domid)",
			      dom);
}

static int xen_set_memory_map(struct hv *hv, hv_domid_t domid, const struct e820_table *map,
			      struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct e820entry *e;
	int rc = may_modify(x, "xc_domain_set_memory_map", domid, err);

	if (rc < 0)
		return rc;
	if (map->nr == 0 || map->nr > MAX_E820)
		return p2msim_err_set(err, -EINVAL, "xc_domain_set_memory_map(d%u): %zu entries",
				      domid, map->nr);
	e = calloc(map->nr, sizeof(*e));
	if (!e)
		return nomem(err, "set_memory_map");
	for (size_t i = 0; i < map->nr; i++) {
		e[i].addr = map->entries[i].addr;
		e[i].size = map->entries[i].size;
		e[i].type = map->entries[i].type;
	}
	if (xc_domain_set_memory_map(x->xch, real_domid(x, domid), e, (uint32_t)map->nr) < 0)
		rc = call_failed(x, err, "xc_domain_set_memory_map", domid, errno);
	free(e);
	return rc;
}

/* --- reservations ---------------------------------------------------------------------- */

static int xen_reservation(struct hv *hv, hv_domid_t domid, enum hv_reservation which,
			   uint64_t *pages, struct p2msim_err *err)
{
	xc_domaininfo_t di;
	int rc = get_dominfo(xen_of(hv), domid, &di, err);

	if (rc < 0)
		return rc;
	*pages = which == HV_RESV_CURRENT ? di.tot_pages : di.max_pages;
	return 0;
}

static int xen_set_max_pages(struct hv *hv, hv_domid_t domid, uint64_t pages,
			     struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	uint64_t kib = pages == HV_UNLIMITED || pages > (UINT64_MAX >> 2) ? UINT64_MAX : pages << 2;
	int rc = may_modify(x, "xc_domain_setmaxmem", domid, err);

	if (rc < 0)
		return rc;
	if (xc_domain_setmaxmem(x->xch, real_domid(x, domid), kib) < 0)
		return call_failed(x, err, "xc_domain_setmaxmem", domid, errno);
	return 0;
}

enum xenmem_op {
	OP_POPULATE,
	OP_INCREASE,
	OP_DECREASE
};

static const char *const xenmem_call[] = {
	[OP_POPULATE] = "xc_domain_populate_physmap",
	[OP_INCREASE] = "xc_domain_increase_reservation",
	[OP_DECREASE] = "xc_domain_decrease_reservation",
};

/* The three batch operations: extents done, or -errno when none was. */
static long xenmem(struct hv *hv, enum xenmem_op op, hv_domid_t domid, uint64_t *frames, size_t nr,
		   unsigned int order, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	xen_pfn_t *arr;
	long done;
	int rc = may_modify(x, xenmem_call[op], domid, err);

	if (rc < 0)
		return rc;
	if (nr == 0)
		return 0;
	if (!frames)
		return p2msim_err_set(err, -EFAULT, "%s(d%u): no extent list", xenmem_call[op],
				      domid);
	arr = malloc(nr * sizeof(*arr));
	if (!arr)
		return nomem(err, xenmem_call[op]);
	for (size_t i = 0; i < nr; i++)
		arr[i] = (xen_pfn_t)frames[i];
	domid = real_domid(x, domid);
	errno = 0;
	switch (op) {
	case OP_POPULATE:
		done = xc_domain_populate_physmap(x->xch, domid, nr, order, 0, arr);
		break;
	case OP_INCREASE:
		done = xc_domain_increase_reservation(x->xch, domid, nr, order, 0, arr);
		break;
	default:
		done = xc_domain_decrease_reservation(x->xch, domid, nr, order, arr);
		break;
	}
	if (done < 0) {
		rc = call_failed(x, err, xenmem_call[op], domid, errno);
		free(arr);
		return rc;
	}
	if (op != OP_DECREASE)
		for (long i = 0; i < done; i++)
			frames[i] = arr[i];
	if ((size_t)done < nr)
		p2msim_err_set(err, -ENOMEM, "%s(d%u): %ld of %zu extents of order %u done",
			       xenmem_call[op], domid, done, nr, order);
	free(arr);
	return done;
}

static long xen_populate_physmap(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				 unsigned int order, struct p2msim_err *err)
{
	return xenmem(hv, OP_POPULATE, domid, frames, nr, order, err);
}

static long xen_increase_reservation(struct hv *hv, hv_domid_t domid, uint64_t *frames, size_t nr,
				     unsigned int order, struct p2msim_err *err)
{
	return xenmem(hv, OP_INCREASE, domid, frames, nr, order, err);
}

static long xen_decrease_reservation(struct hv *hv, hv_domid_t domid, const uint64_t *frames,
				     size_t nr, unsigned int order, struct p2msim_err *err)
{
	uint64_t *copy;
	long done;

	if (nr == 0)
		return 0;
	copy = malloc(nr * sizeof(*copy));
	if (!copy)
		return nomem(err, "xc_domain_decrease_reservation");
	memcpy(copy, frames, nr * sizeof(*copy));
	done = xenmem(hv, OP_DECREASE, domid, copy, nr, order, err);
	free(copy);
	return done;
}

/* --- M2P ---------------------------------------------------------------------------------- */

static int xen_machphys_update(struct hv *hv, hv_domid_t domid, uint64_t mfn, uint64_t pfn,
			       struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct xc_mmu *mmu;
	int rc = may_modify(x, "mmu_update(MMU_MACHPHYS_UPDATE)", domid, err);

	if (rc < 0)
		return rc;
	mmu = xc_alloc_mmu_updates(x->xch, real_domid(x, domid));
	if (!mmu)
		return nomem(err, "machphys_update");
	errno = 0;
	if (xc_add_mmu_update(x->xch, mmu, (mfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, pfn) != 0 ||
	    xc_flush_mmu_updates(x->xch, mmu) != 0)
		rc = call_failed(x, err, "mmu_update(MMU_MACHPHYS_UPDATE)", domid,
				 errno ? errno : EINVAL);
	free(mmu);
	return rc;
}

/* The chunk MFNs of the machphys table, once. */
static int m2p_setup(struct hv_xen *x, struct p2msim_err *err)
{
	xc_physinfo_t pi;
	unsigned long max_mfn = 0;
	size_t n;
	int got;

	if (x->m2p_chunk)
		return 0;
	if (xc_maximum_ram_page(x->xch, &max_mfn) < 0 || max_mfn == 0) {
		memset(&pi, 0, sizeof(pi));
		if (xc_physinfo(x->xch, &pi) < 0)
			return call_failed(x, err, "xc_physinfo", x->self, errno);
		max_mfn = pi.max_mfn;
	}
	n = (size_t)(((uint64_t)max_mfn + M2P_PER_CHUNK) / M2P_PER_CHUNK);
	x->m2p_chunk = calloc(n, sizeof(*x->m2p_chunk));
	x->m2p_map = calloc(n, sizeof(*x->m2p_map));
	if (!x->m2p_chunk || !x->m2p_map) {
		free(x->m2p_chunk);
		free(x->m2p_map);
		x->m2p_chunk = NULL;
		x->m2p_map = NULL;
		return nomem(err, "m2p");
	}
	got = xc_machphys_mfn_list(x->xch, n, x->m2p_chunk);
	if (got < 0) {
		int e = errno;

		free(x->m2p_chunk);
		free(x->m2p_map);
		x->m2p_chunk = NULL;
		x->m2p_map = NULL;
		return call_failed(x, err, "xc_machphys_mfn_list", x->self, e);
	}
	/* 0 on success; Xen fills at most the table's chunks, the rest stay 0. */
	x->nr_m2p = n;
	return 0;
}

static int xen_m2p(struct hv *hv, uint64_t mfn, uint64_t *pfn, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	uint64_t chunk = mfn / M2P_PER_CHUNK;
	int rc = m2p_setup(x, err);

	if (rc < 0)
		return rc;
	if (chunk >= x->nr_m2p || !x->m2p_chunk[chunk])
		return p2msim_err_set(err, -EINVAL,
				      "m2p: mfn %#" PRIx64 " beyond the machphys table", mfn);
	if (!x->m2p_map[chunk]) {
		xen_pfn_t pages[1u << (M2P_CHUNK_SHIFT - PAGE_SHIFT)];
		int errs[1u << (M2P_CHUNK_SHIFT - PAGE_SHIFT)];
		size_t np = sizeof(pages) / sizeof(pages[0]);

		for (size_t i = 0; i < np; i++)
			pages[i] = x->m2p_chunk[chunk] + i;
		x->m2p_map[chunk] =
			xenforeignmemory_map(x->fmem, DOMID_XEN, PROT_READ, np, pages, errs);
		if (!x->m2p_map[chunk])
			return call_failed(x, err, "xenforeignmemory_map(machphys)", DOMID_XEN,
					   errno);
		for (size_t i = 0; i < np; i++)
			if (errs[i]) {
				xenforeignmemory_unmap(x->fmem, x->m2p_map[chunk], np);
				x->m2p_map[chunk] = NULL;
				return call_failed(x, err, "xenforeignmemory_map(machphys)",
						   DOMID_XEN, -errs[i]);
			}
	}
	*pfn = x->m2p_map[chunk][mfn % M2P_PER_CHUNK];
	/* INVALID_M2P_ENTRY is ~0UL; an entry of a 32-bit table would be ~0U. */
	return 0;
}

/* --- domains -------------------------------------------------------------------------------- */

static int xen_domain_info(struct hv *hv, hv_domid_t domid, struct hv_domain_info *info,
			   struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	xc_domaininfo_t di;
	unsigned int width = 0;
	int rc = get_dominfo(x, domid, &di, err);

	if (rc < 0)
		return rc;
	memset(info, 0, sizeof(*info));
	info->domid = di.domain;
	info->tot_pages = di.tot_pages;
	info->max_pages = di.max_pages;
	info->shared_info_frame = di.shared_info_frame;
	info->pv = !(di.flags & XEN_DOMINF_hvm_guest);
	info->dying = (di.flags & XEN_DOMINF_dying) != 0;
	/* A new domain has no width until a kernel is loaded: report 8. */
	if (xc_domain_get_guest_width(x->xch, di.domain, &width) < 0)
		return call_failed(x, err, "xc_domain_get_guest_width", di.domain, errno);
	info->guest_width = width ? width : 8;
	return 0;
}

static int map_pages(struct hv_xen *x, hv_domid_t domid, const uint64_t *mfns, size_t nr, int prot,
		     void **addr, struct p2msim_err *err)
{
	xen_pfn_t *arr = malloc(nr * sizeof(*arr));
	int *errs = calloc(nr, sizeof(*errs));
	int rc = 0;

	*addr = NULL;
	if (!arr || !errs) {
		rc = nomem(err, "map_frames");
		goto out;
	}
	for (size_t i = 0; i < nr; i++)
		arr[i] = (xen_pfn_t)mfns[i];
	*addr = xenforeignmemory_map(x->fmem, map_domid(x, domid), prot, nr, arr, errs);
	if (!*addr) {
		rc = call_failed(x, err, "xenforeignmemory_map", domid, errno);
		goto out;
	}
	for (size_t i = 0; i < nr; i++)
		if (errs[i]) {
			char dom[16];
			int e = errs[i] < 0 ? -errs[i] : errs[i];

			dom_name(dom, sizeof(dom), domid);
			rc = p2msim_err_set(err, -e,
					    "xenforeignmemory_map(%s): mfn %#" PRIx64
					    " (frame %zu of %zu): %s (errno %d)",
					    dom, mfns[i], i, nr, strerror(e), e);
			xenforeignmemory_unmap(x->fmem, *addr, nr);
			*addr = NULL;
			break;
		}
out:
	free(arr);
	free(errs);
	return rc;
}

static int xen_p2m_info(struct hv *hv, hv_domid_t domid, struct hv_p2m_info *info,
			struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct hv_domain_info di;
	shared_info_any_t *si;
	void *addr;
	int rc = xen_domain_info(hv, domid, &di, err);

	if (rc < 0)
		return rc;
	rc = map_pages(x, domid, &di.shared_info_frame, 1, PROT_READ, &addr, err);
	if (rc < 0)
		return rc;
	si = addr;
	memset(info, 0, sizeof(*info));
	if (di.guest_width == 4) {
		info->max_pfn = si->x32.arch.max_pfn;
		info->pfn_to_mfn_frame_list_list = si->x32.arch.pfn_to_mfn_frame_list_list;
		info->p2m_cr3 = si->x32.arch.p2m_cr3;
		info->p2m_vaddr = si->x32.arch.p2m_vaddr;
		info->p2m_generation = si->x32.arch.p2m_generation;
		if (info->pfn_to_mfn_frame_list_list == UINT32_MAX)
			info->pfn_to_mfn_frame_list_list = UINT64_MAX;
	} else {
		info->max_pfn = si->x64.arch.max_pfn;
		info->pfn_to_mfn_frame_list_list = si->x64.arch.pfn_to_mfn_frame_list_list;
		info->p2m_cr3 = si->x64.arch.p2m_cr3;
		info->p2m_vaddr = si->x64.arch.p2m_vaddr;
		info->p2m_generation = si->x64.arch.p2m_generation;
	}
	xenforeignmemory_unmap(x->fmem, addr, 1);
	return 0;
}

/* Write a domain's shared_info.arch P2M fields, as its kernel would
 * (the scratch domain's stand-in for a guest). */
static int xen_set_p2m_info(struct hv *hv, hv_domid_t domid, const struct hv_p2m_info *info,
			    struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct hv_domain_info di;
	shared_info_any_t *si;
	void *addr;
	int rc = may_modify(x, "set_p2m_info", domid, err);

	if (rc == 0)
		rc = xen_domain_info(hv, domid, &di, err);
	if (rc == 0)
		rc = map_pages(x, domid, &di.shared_info_frame, 1, PROT_READ | PROT_WRITE, &addr,
			       err);
	if (rc < 0)
		return rc;
	si = addr;
	if (di.guest_width == 4) {
		si->x32.arch.max_pfn = (uint32_t)info->max_pfn;
		si->x32.arch.pfn_to_mfn_frame_list_list =
			(uint32_t)info->pfn_to_mfn_frame_list_list;
		si->x32.arch.p2m_cr3 = (uint32_t)info->p2m_cr3;
		si->x32.arch.p2m_vaddr = (uint32_t)info->p2m_vaddr;
		si->x32.arch.p2m_generation = (uint32_t)info->p2m_generation;
	} else {
		si->x64.arch.max_pfn = info->max_pfn;
		si->x64.arch.pfn_to_mfn_frame_list_list = info->pfn_to_mfn_frame_list_list;
		si->x64.arch.p2m_cr3 = info->p2m_cr3;
		si->x64.arch.p2m_vaddr = info->p2m_vaddr;
		si->x64.arch.p2m_generation = info->p2m_generation;
	}
	xenforeignmemory_unmap(x->fmem, addr, 1);
	return 0;
}

static int xen_map_frames(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			  bool writable, void **addr, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	int rc;

	*addr = NULL;
	if (nr == 0)
		return p2msim_err_set(err, -EINVAL, "map_frames(d%u): no frames", domid);
	if (writable && (rc = may_modify(x, "xenforeignmemory_map(writable)", domid, err)) < 0)
		return rc;
	return map_pages(x, domid, mfns, nr, writable ? PROT_READ | PROT_WRITE : PROT_READ, addr,
			 err);
}

static void xen_unmap_frames(struct hv *hv, void *addr, size_t nr)
{
	xenforeignmemory_unmap(xen_of(hv)->fmem, addr, nr);
}

static int xen_create_domain(struct hv *hv, hv_domid_t *domid, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	struct xen_domctl_createdomain cfg;
	uint32_t id = 0;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.handle, scratch_handle, sizeof(cfg.handle));
	cfg.flags = 0; /* PV */
	cfg.max_vcpus = 1;
	cfg.max_evtchn_port = 1023;
	cfg.max_grant_frames = -1; /* Xen's defaults */
	cfg.max_maptrack_frames = -1;
#ifdef XEN_DOMCTL_GRANT_version
	cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
#endif
	/* Room in the registry first: a domain made must always be recorded. */
	if (set_reserve(&x->scratch) < 0)
		return nomem(err, "create_domain");
	if (xc_domain_create(x->xch, &id, &cfg) < 0)
		return call_failed(x, err, "xc_domain_create(PV scratch)", 0, errno);
	x->scratch.ids[x->scratch.nr++] = (hv_domid_t)id;
	*domid = (hv_domid_t)id;
	return 0;
}

static int xen_destroy_domain(struct hv *hv, hv_domid_t domid, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);

	domid = real_domid(x, domid);
	if (!set_has(&x->scratch, domid))
		return p2msim_err_set(err, -EPERM,
				      "xc_domain_destroy(d%u): refused: p2msim destroys "
				      "only the scratch domains it created",
				      domid);
	if (xc_domain_destroy(x->xch, domid) < 0 && errno != ESRCH)
		return call_failed(x, err, "xc_domain_destroy", domid, errno);
	set_del(&x->scratch, domid);
	return 0;
}

int hv_xen_destroy_scratch(struct hv *hv, struct p2msim_err *err)
{
	struct hv_xen *x;
	int done = 0, rc = 0;

	if (!hv || hv->ops != &xen_ops)
		return 0;
	x = xen_of(hv);
	while (x->scratch.nr) {
		hv_domid_t id = x->scratch.ids[x->scratch.nr - 1];
		int r = xen_destroy_domain(hv, id, rc < 0 ? NULL : err);

		if (r < 0) {
			/* Keep going; forget it so that the loop ends. */
			set_del(&x->scratch, id);
			if (rc == 0)
				rc = r;
			continue;
		}
		done++;
	}
	return rc < 0 ? rc : done;
}

/* --- xenstore --------------------------------------------------------------------------------- */

static int xs_connect(struct hv_xen *x, struct p2msim_err *err)
{
	if (x->xsh)
		return 0;
	x->xsh = xs_open(0);
	if (!x->xsh)
		return p2msim_err_set(err, errno ? -errno : -EIO,
				      "xs_open: %s (errno %d): is "
				      "xenstored running?",
				      strerror(errno), errno);
	return 0;
}

static int xen_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	unsigned int len = 0;
	char *v;
	int rc = xs_connect(x, err);

	*value = NULL;
	if (rc < 0)
		return rc;
	v = xs_read(x->xsh, XBT_NULL, path, &len);
	if (!v)
		return p2msim_err_set(err, -errno, "xs_read %s: %s (errno %d)", path,
				      strerror(errno), errno);
	*value = v;
	return 0;
}

/* The domain a xenstore path belongs to: /local/domain/N/..., a relative
 * path (our own home), or /vm/UUID/... of a domain with that handle. */
static int xs_path_domain(struct hv_xen *x, const char *path, hv_domid_t *domid)
{
	unsigned int n;
	char uuid[37];

	if (path[0] != '/') {
		*domid = x->self;
		return 0;
	}
	if (sscanf(path, "/local/domain/%u/", &n) == 1) {
		*domid = (hv_domid_t)n;
		return 0;
	}
	if (sscanf(path, "/vm/%36[0-9a-fA-F-]/", uuid) == 1) {
		struct domid_set *sets[2] = { &x->scratch, &x->allowed };

		for (int s = 0; s < 2; s++)
			for (size_t i = 0; i < sets[s]->nr; i++) {
				xc_domaininfo_t di;
				char want[37];
				const uint8_t *h;

				if (get_dominfo(x, sets[s]->ids[i], &di, NULL) < 0)
					continue;
				h = di.handle;
				snprintf(want, sizeof(want),
					 "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
					 "%02x%02x-%02x%02x%02x%02x%02x%02x",
					 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9],
					 h[10], h[11], h[12], h[13], h[14], h[15]);
				if (!strcasecmp(want, uuid)) {
					*domid = sets[s]->ids[i];
					return 0;
				}
			}
	}
	return -ENOENT;
}

static int xen_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	hv_domid_t domid;
	int rc;

	if (xs_path_domain(x, path, &domid) < 0)
		return p2msim_err_set(err, -EPERM,
				      "xs_write %s: refused: p2msim writes only under "
				      "/local/domain/N or /vm/UUID of a domain it may change",
				      path);
	rc = may_modify(x, "xs_write", domid, err);
	if (rc < 0) {
		p2msim_err_prefix(err, "%s", path);
		return rc;
	}
	rc = xs_connect(x, err);
	if (rc < 0)
		return rc;
	if (!xs_write(x->xsh, XBT_NULL, path, value, (unsigned int)strlen(value)))
		return p2msim_err_set(err, -errno, "xs_write %s: %s (errno %d)", path,
				      strerror(errno), errno);
	return 0;
}

/* --- what a toolstack checks ------------------------------------------------------------------ */

static int xen_frame_types(struct hv *hv, hv_domid_t domid, const uint64_t *mfns, size_t nr,
			   uint32_t *types, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	xen_pfn_t batch[TYPE_BATCH];

	for (size_t i = 0; i < nr; i += TYPE_BATCH) {
		size_t n = nr - i < TYPE_BATCH ? nr - i : TYPE_BATCH;

		for (size_t j = 0; j < n; j++)
			batch[j] = (xen_pfn_t)mfns[i + j];
		if (xc_get_pfn_type_batch(x->xch, real_domid(x, domid), (unsigned int)n, batch) < 0)
			return call_failed(x, err, "xc_get_pfn_type_batch", domid, errno);
		for (size_t j = 0; j < n; j++)
			types[i + j] = (uint32_t)((batch[j] >> XEN_DOMCTL_PFINFO_LTAB_SHIFT) & 0xf);
	}
	return 0;
}

static int xen_xen_info(struct hv *hv, struct hv_xen_info *info, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	xen_extraversion_t extra;
	xen_commandline_t cmdline;
	xc_physinfo_t pi;
	int v;

	memset(info, 0, sizeof(*info));
	v = xc_version(x->xch, XENVER_version, NULL);
	if (v < 0)
		return call_failed(x, err, "xc_version(XENVER_version)", x->self, errno);
	info->major = (unsigned int)v >> 16;
	info->minor = (unsigned int)v & 0xffff;
	memset(extra, 0, sizeof(extra));
	if (xc_version(x->xch, XENVER_extraversion, &extra) == 0)
		snprintf(info->extra, sizeof(info->extra), "%.*s", (int)sizeof(extra), extra);
	memset(cmdline, 0, sizeof(cmdline));
	if (xc_version(x->xch, XENVER_commandline, &cmdline) == 0)
		snprintf(info->cmdline, sizeof(info->cmdline), "%.*s", (int)sizeof(cmdline),
			 cmdline);
	memset(&pi, 0, sizeof(pi));
	if (xc_physinfo(x->xch, &pi) < 0)
		return call_failed(x, err, "xc_physinfo", x->self, errno);
	info->total_pages = pi.total_pages;
	info->free_pages = pi.free_pages;
	info->max_mfn = pi.max_mfn;
	info->nr_cpus = pi.nr_cpus;
	return 0;
}

static int xen_console_read(struct hv *hv, char **text, size_t *len, struct p2msim_err *err)
{
	struct hv_xen *x = xen_of(hv);
	size_t cap = CONSOLE_CHUNK + 1, n = 0;
	char *buf = malloc(cap);
	uint32_t index = 0;

	*text = NULL;
	*len = 0;
	if (!buf)
		return nomem(err, "console_read");
	for (;;) {
		unsigned int got = CONSOLE_CHUNK;

		if (cap - n < CONSOLE_CHUNK + 1) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return nomem(err, "console_read");
			}
			buf = nb;
			cap *= 2;
		}
		if (xc_readconsolering(x->xch, buf + n, &got, 0, 1, &index) < 0) {
			int rc = call_failed(x, err, "xc_readconsolering", x->self, errno);

			free(buf);
			return rc;
		}
		if (got == 0)
			break;
		n += got;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* --- opening and closing ------------------------------------------------------------------------ */

static void xen_close(struct hv *hv)
{
	struct hv_xen *x = xen_of(hv);

	hv_xen_destroy_scratch(hv, NULL);
	for (size_t i = 0; x->m2p_map && i < x->nr_m2p; i++)
		if (x->m2p_map[i])
			xenforeignmemory_unmap(x->fmem, x->m2p_map[i],
					       1u << (M2P_CHUNK_SHIFT - PAGE_SHIFT));
	free(x->m2p_map);
	free(x->m2p_chunk);
	if (x->xsh)
		xs_close(x->xsh);
	if (x->fmem)
		xenforeignmemory_close(x->fmem);
	if (x->xch)
		xc_interface_close(x->xch);
	free(x->scratch.ids);
	free(x->allowed.ids);
	free(x);
}

int hv_xen_open(struct hv **out, struct p2msim_err *err)
{
	return hv_xen_open_env(out, NULL, err);
}

int hv_xen_open_env(struct hv **out, const struct hv_xen_env *env, struct p2msim_err *err)
{
	struct hv_xen *x;
	int rc;

	*out = NULL;
	rc = hv_xen_preflight(env, err);
	if (rc < 0)
		return rc;
	x = calloc(1, sizeof(*x));
	if (!x)
		return nomem(err, "xen");
	x->hv.ops = &xen_ops;
	x->logger.vmessage = log_message;
	x->logger.progress = NULL;
	x->logger.destroy = log_destroy;
	x->self = 0; /* the control domain; checked below */
	x->xch = xc_interface_open(&x->logger, &x->logger, 0);
	if (!x->xch) {
		rc = call_failed(x, err, "xc_interface_open", x->self, errno);
		free(x);
		return rc;
	}
	x->fmem = xenforeignmemory_open(&x->logger, 0);
	if (!x->fmem) {
		rc = call_failed(x, err, "xenforeignmemory_open", x->self, errno);
		xc_interface_close(x->xch);
		free(x);
		return rc;
	}
	*out = &x->hv;
	return 0;
}

static const struct hv_ops xen_ops = {
	.name = "xen",
	.close = xen_close,
	.machine_memory_map = xen_machine_memory_map,
	.memory_map = xen_memory_map,
	.set_memory_map = xen_set_memory_map,
	.reservation = xen_reservation,
	.set_max_pages = xen_set_max_pages,
	.populate_physmap = xen_populate_physmap,
	.increase_reservation = xen_increase_reservation,
	.decrease_reservation = xen_decrease_reservation,
	.machphys_update = xen_machphys_update,
	.m2p = xen_m2p,
	.domain_info = xen_domain_info,
	.p2m_info = xen_p2m_info,
	.set_p2m_info = xen_set_p2m_info,
	.map_frames = xen_map_frames,
	.unmap_frames = xen_unmap_frames,
	.create_domain = xen_create_domain,
	.destroy_domain = xen_destroy_domain,
	.xs_read = xen_xs_read,
	.xs_write = xen_xs_write,
	.frame_types = xen_frame_types,
	.xen_info = xen_xen_info,
	.console_read = xen_console_read,
};
