/* SPDX-License-Identifier: MIT */
/*
 * xen/model.h - the one table of Xen behaviours that decide what a PV dom0
 * is given, and turning a Xen version into the set of behaviours it had.
 *
 * Each row names the Xen release that introduced a behaviour (a mainline
 * release such as 4.16), the first release of each stable branch that got
 * it as a backport ("4.20.1 4.19.2"), and the commit that dates it.  The
 * code that builds the machine map, computes dom0_mem and reads Xen's log
 * tests behaviours, never versions.
 */
#ifndef P2MSIM_XEN_MODEL_H
#define P2MSIM_XEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum xen_behaviour {
	XB_IOMEM_BELOW_PADDR_BITS,  /* dom0 may access frames below 2^paddr_bits only */
	XB_DENY_MSI_WINDOW,	    /* the whole MSI window 0xfee00000-0xfeefffff denied */
	XB_DENY_LAPIC_PAGE_ONLY,    /* ... only the local APIC page (less restrictive) */
	XB_DENY_HT_HOLE,	    /* AMD: the 12 GiB HyperTransport range below 1 TiB */
	XB_HT_HOLE_DYNAMIC,	    /* AMD family 0x17+: below 2^paddr_bits instead */
	XB_PANIC_WORDS,		    /* dom0 builder panics: "Not enough RAM for domain 0
					 * allocation", "... too small for kernel image" */
	XB_LOG_XEN_KERNEL_COMPAT32, /* " Xen  kernel: 64-bit, lsb, compat32" */
	XB_LOG_DOM0_KERNEL_NO_PAE,  /* " Dom0 kernel: 64-bit, lsb, paddr ..." (no PAE) */
	XB_NR_BEHAVIOURS
};

struct xen_behaviour_row {
	enum xen_behaviour id;
	const char *name;
	const char *since;  /* first mainline release with it */
	const char *until;  /* first mainline release without it, or NULL */
	const char *stable; /* first stable releases with it: "4.20.1 4.19.2", or NULL */
	const char *source; /* the commit or log that dates it */
};

const struct xen_behaviour_row *xen_behaviours(size_t *nr);

/* The releases the table was checked against, oldest first (for messages
 * and "--xen list"). */
const char *const *xen_known_versions(size_t *nr);

#define XEN_DEFAULT_VERSION "4.17"

struct xen_model {
	char version[32]; /* as given or read ("4.20.5-pre") */
	unsigned int major, minor, patch;
	bool has[XB_NR_BEHAVIOURS];
	char warning[160]; /* newer than every row: the newest rows are used */
};

/*
 * "4.17", "4.20.5-pre", "4.14.6 (Debian 4.14.6-1)": -EINVAL for something
 * that is not a Xen version, -ENOTSUP for one older than the table knows
 * (the message lists the known ones).  A version newer than every row
 * gets the newest behaviours and xm->warning.
 */
int xen_model_init(struct xen_model *xm, const char *version, struct p2msim_err *err);

static inline bool xen_has(const struct xen_model *xm, enum xen_behaviour b)
{
	return xm->has[b];
}

#endif
