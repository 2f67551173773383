/* SPDX-License-Identifier: MIT */
/*
 * xen/model.c - the table of Xen behaviours (see xen/model.h).  Dates come
 * from the Xen tree (the release tags that first contain each commit, on
 * the master and stable-4.x branches) or, where a row says so, from boot
 * logs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen/model.h"

static const struct xen_behaviour_row behaviours[XB_NR_BEHAVIOURS] = {
	{ XB_IOMEM_BELOW_PADDR_BITS, "iomem-below-paddr-bits", "4.2", NULL, NULL,
	  "dom0's iomem permissions cover the frames below 2^paddr_bits (4.1's cover every "
	  "frame: corpus 001); XENMEM_machine_memory_map skips what lies beyond" },
	{ XB_DENY_MSI_WINDOW, "deny-msi-window", "4.2", "4.21", NULL,
	  "dom0_setup_permissions denies the interrupt address range 0xfee00000-0xfeefffff "
	  "(present in the 4.4 builder; 4.1 denies only the APIC pages)" },
	{ XB_DENY_LAPIC_PAGE_ONLY, "deny-lapic-page-only", "4.21", NULL, "4.20.1 4.19.2 4.18.5",
	  "381caa3885 'x86/dom0: be less restrictive with the Interrupt Address Range' "
	  "(Feb 2025; backports bc3006b9fe, e665204eb3, 7ce2ec63b2): only the local APIC page; "
	  "Xen 4.20.5 + Linux 6.12 lab boots" },
	{ XB_DENY_HT_HOLE, "deny-ht-hole", "4.2", NULL, NULL,
	  "AMD and Hygon: the 12 GiB HyperTransport range below 1 TiB is denied to dom0" },
	{ XB_HT_HOLE_DYNAMIC, "ht-hole-dynamic", "4.16", NULL, NULL,
	  "d6e38eea2d 'x86/AMD: make HT range dynamic for Fam17 and up': below 2^paddr_bits" },
	{ XB_PANIC_WORDS, "dom0-build-panics", "4.0", NULL, NULL,
	  "pv/dom0_build.c: panic(\"Not enough RAM for domain 0 allocation\") and "
	  "(\"Domain 0 allocation is too small for kernel image\"), unchanged 4.14-4.21" },
	{ XB_LOG_XEN_KERNEL_COMPAT32, "log-compat32", "4.0", "4.15", NULL,
	  "' Xen  kernel: 64-bit, lsb, compat32' (4.12, 4.14 pv/dom0_build.c); from 4.15 "
	  "'64-bit, lsb' with compat32 only when PV32 is built" },
	{ XB_LOG_DOM0_KERNEL_NO_PAE, "log-no-pae", "4.20", NULL, NULL,
	  "' Dom0 kernel: 64-bit, lsb, paddr ...' without PAE: Xen 4.20.5 lab boots "
	  "(4.14 and 4.17 print '64-bit, PAE, lsb')" },
};

const struct xen_behaviour_row *xen_behaviours(size_t *nr)
{
	*nr = XB_NR_BEHAVIOURS;
	return behaviours;
}

/* The Xen releases real boots (lab and public) show, which the rows were
 * checked against. */
static const char *const known[] = {
	"3.3", "4.0", "4.1", "4.12", "4.13", "4.14", "4.16", "4.17", "4.18", "4.20", "4.21",
};

const char *const *xen_known_versions(size_t *nr)
{
	*nr = sizeof(known) / sizeof(known[0]);
	return known;
}

struct xver {
	unsigned int major, minor, patch;
};

/* "4.20.5-pre", "4.17", "4.14.6 (Debian ...)"; -EINVAL if not X.Y. */
static int xver_parse(const char *s, struct xver *v)
{
	unsigned long n[3] = { 0 };
	int k = 0;
	char *end;

	while (*s == ' ')
		s++;
	while (k < 3 && isdigit((unsigned char)*s)) {
		n[k] = strtoul(s, &end, 10);
		if (n[k] > 999)
			return -EINVAL;
		k++;
		s = end;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	if (k < 2 || (*s && *s != '-' && *s != ' ' && *s != '+' && *s != '('))
		return -EINVAL;
	v->major = (unsigned int)n[0];
	v->minor = (unsigned int)n[1];
	v->patch = (unsigned int)n[2];
	return 0;
}

static int xver_cmp(const struct xver *a, const struct xver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	return 0;
}

static bool xver_in(const struct xver *v, const struct xen_behaviour_row *r)
{
	struct xver s, u;

	if (r->until && xver_parse(r->until, &u) == 0 && xver_cmp(v, &u) >= 0)
		return false;
	if (xver_parse(r->since, &s) == 0 && xver_cmp(v, &s) >= 0)
		return true;
	for (const char *p = r->stable; p && *p;) {
		struct xver b;

		while (*p == ' ')
			p++;
		if (xver_parse(p, &b) < 0)
			break;
		if (xver_cmp(v, &b) == 0 && v->patch >= b.patch)
			return true;
		p += strcspn(p, " ");
	}
	return false;
}

static void list_known(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", known[i]);
}

int xen_model_init(struct xen_model *xm, const char *version, struct p2msim_err *err)
{
	struct xver v, oldest, newest;
	char list[128];

	memset(xm, 0, sizeof(*xm));
	list_known(list, sizeof(list));
	if (!version || xver_parse(version, &v) < 0)
		return p2msim_err_set(err, -EINVAL, "--xen '%s': not a Xen version (known: %s)",
				      version ? version : "", list);
	xver_parse(known[0], &oldest);
	xver_parse(known[sizeof(known) / sizeof(known[0]) - 1], &newest);
	if (xver_cmp(&v, &oldest) < 0)
		return p2msim_err_set(err, -ENOTSUP,
				      "Xen %s is older than every Xen p2msim models "
				      "(known: %s)",
				      version, list);
	snprintf(xm->version, sizeof(xm->version), "%.*s", (int)strcspn(version, " ("), version);
	xm->major = v.major;
	xm->minor = v.minor;
	xm->patch = v.patch;
	for (int i = 0; i < XB_NR_BEHAVIOURS; i++) {
		struct xver r;

		if (xver_parse(behaviours[i].since, &r) == 0 && xver_cmp(&r, &newest) > 0)
			newest = r;
		if (behaviours[i].until && xver_parse(behaviours[i].until, &r) == 0 &&
		    xver_cmp(&r, &newest) > 0)
			newest = r;
	}
	if (xver_cmp(&v, &newest) > 0) {
		snprintf(xm->warning, sizeof(xm->warning),
			 "Xen %s is newer than every row of the Xen "
			 "behaviour table (newest: %u.%u): simulated with the newest behaviours",
			 xm->version, newest.major, newest.minor);
		v = newest;
	}
	for (int i = 0; i < XB_NR_BEHAVIOURS; i++)
		xm->has[behaviours[i].id] = xver_in(&v, &behaviours[i]);
	/* the less restrictive rule replaces the window */
	if (xm->has[XB_DENY_LAPIC_PAGE_ONLY])
		xm->has[XB_DENY_MSI_WINDOW] = false;
	return 0;
}
