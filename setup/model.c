/* SPDX-License-Identifier: MIT */
/*
 * setup/model.c - the one table of kernel behaviours, and turning a version
 * string into the set of behaviours that kernel had.
 *
 * Each row names the version that introduced a behaviour and, when it is
 * gone, the version that removed it, with the commit or the boot log that
 * dates it.  Where a date comes from logs rather than a commit, the row
 * says which.  Algorithms (setup-tree.c, setup-linear.c) test behaviours,
 * never versions.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setup/setup.h"
#include "util/text.h"

static const struct kernel_behaviour_row behaviours[KB_NR_BEHAVIOURS] = {
	{ KB_IDENTITY_P2M, "identity-p2m", "2.6.39", NULL,
	  "Konrad Wilk's 1-1 P2M series (IDENTITY_FRAME_BIT, set_phys_range_identity)", NULL },
	{ KB_TREE_P2M, "tree-p2m", "2.6.38", "3.19",
	  "58e05027b530 'xen: convert p2m to a 3 level tree'; replaced by the linear list", NULL },
	{ KB_LINEAR_P2M, "linear-p2m", "3.19", NULL,
	  "Juergen Gross, 'xen: switch to linear virtual mapped sparse p2m list'", NULL },
	{ KB_MID_IDENTITY, "mid-identity", "3.14", NULL,
	  "3cb83e46d032 'x86/xen: compactly store large identity ranges in the p2m'", NULL },
	{ KB_EXTRA_ABOVE_4G, "extra-above-4g", "2.6.39", "3.0",
	  "24bdb0b62cc8 'xen: do not create the extra e820 region at an addr lower than 4G'; "
	  "3.0 starts it at mem_end",
	  NULL },
	{ KB_RELEASE_GAPS, "release-gaps", "2.6.39", "3.2",
	  "xen_return_unused_memory + xen_set_identity(map_raw); 3.2 releases all 1-1 pages",
	  NULL },
	{ KB_RELEASE_AREAS, "release-1-1-areas", "3.2", "3.18",
	  "David Vrabel's rework: xen_set_identity_and_release() releases the RAM under "
	  "every 1-1 area and rounds outward",
	  NULL },
	{ KB_FREEING_TWO_SPACES, "freeing-two-spaces", "3.2", "3.5",
	  "'Freeing  %lx-%lx pfn range' with two spaces", NULL },
	{ KB_POPULATE_BACK, "populate-back", "3.5", "3.18",
	  "xen_populate_chunk(): released pages come back above nr_pages ('Populating ...'); "
	  "corpus 001 (3.8), 021/022 (3.17.0-rc4)",
	  NULL },
	{ KB_QUIET_ZERO_COUNTS, "quiet-zero-counts", "3.5", "3.18",
	  "'Released'/'Set' printed only when non-zero; corpus 038 (3.2) prints zeros", NULL },
	{ KB_IGNORE_UNUSABLE, "ignore-unusable", "3.13", NULL,
	  "xen_ignore_unusable: 'Xen won't allow a 1:1 mapping to be created to UNUSABLE'", NULL },
	{ KB_REMAP, "remap", "3.18", NULL,
	  "4fbb67e3c87b 'xen/setup: Remap Xen Identity Mapped RAM'; dated from logs: the "
	  "3.17.0-rc4 dom0s of corpus 021/022 still populate back",
	  NULL },
	{ KB_REMAP_MAPS_ALL, "remap-maps-all", "5.16", NULL,
	  "344485a21ddb 'xen/x86: there's no highmem anymore in PV mode' (Jan Beulich, "
	  "merged for 5.16-rc1, a clean-up not sent to stable): xen_update_mem_tables() "
	  "no longer skips the kernel mapping of pfns at or above max_pfn, so a remap "
	  "target above a mem= limit BUGs; Debian's 5.10.223 boots the same shape "
	  "(Xen 4.14 and 4.17 lab boots), 6.1.192 BUGs",
	  NULL },
	{ KB_DISCARD_EXTRA_RAM, "discard-extra-ram", "4.3", NULL,
	  "David Vrabel, 'x86/xen: discard RAM regions above the maximum reservation' "
	  "(v3 30 July 2015, merged for 4.3; in the 4.18 and 5.10 sources); the 3.0 domU "
	  "of corpus 048 shows UNUSABLE; a 4.19.5-linuxkit log does too, unlike the "
	  "mainline sources around it (a non-mainline build: not re-dated)",
	  NULL },
	{ KB_512GB_LIMIT, "512gb-limit", "4.3", NULL,
	  "c70727a5bc18 'xen: allow more than 512 GB of RAM for 64 bit pv-domains'", NULL },
	{ KB_KSTRTOBOOL_TF, "kstrtobool-tf", "5.19", NULL,
	  "Jagdish Gediya, 'lib/kstrtox.c: Add \"false\"/\"true\" support to kstrtobool()' "
	  "(April 2022)",
	  NULL },
	{ KB_P2M_LIMIT, "p2m-limit", "4.3", NULL,
	  "P2M_LIMIT = CONFIG_XEN_MEMORY_HOTPLUG_LIMIT with balloon memory hotplug (same series)",
	  NULL },
	{ KB_KERNEL_CONFLICT, "kernel-conflict-bug", "4.3", NULL,
	  "808fdb71936c 'xen: check for kernel memory conflicting with memory layout'", NULL },
	{ KB_PT_CONFLICT, "pt-conflict-bug", "4.3", NULL, "xen_pt_check_e820 (same series)", NULL },
	{ KB_INITRD_MOVE, "initrd-move", "4.3", NULL,
	  "xen_find_free_area + 'initrd moved from ... to ...' (same series)", NULL },
	{ KB_MAX_PFN_LAST, "max-pfn-last", "5.12", NULL,
	  "98dd166ea3a3 'x86/xen/p2m: hint at the last populated P2M entry' (early 2021); "
	  "the stable series had it by the releases of its fix 4b511d5bfa74, whose diff "
	  "context shows it in each tree (see max-pfn-aligned); the releases that first "
	  "carried it are not found, so these are upper bounds (5.10.223 has it: Xen 4.14 "
	  "lab boots)",
	  "5.10.67 5.4.148 4.14.247 4.9.283 4.4.284" },
	{ KB_MAX_PFN_ALIGNED, "max-pfn-aligned", "5.15", NULL,
	  "4b511d5bfa74 'xen: fix setting of max_pfn in shared_info' (5.15 merge window): "
	  "ALIGN(pfn + 1, P2M_PER_PAGE); in the stable review series 5.14.6-rc1 and "
	  "5.10.67-rc1 (16 September 2021, patches 021/432 and 013/306), 5.4.148-rc1, "
	  "4.14.247-rc1, 4.9.283-rc1 and 4.4.284-rc1 (20 September 2021)",
	  "5.14.6 5.10.67 5.4.148 4.14.247 4.9.283 4.4.284" },
	{ KB_IBFT_RESERVE, "ibft-reserve", "6.5", NULL,
	  "Ross Lagerwall, 'iscsi_ibft: Fix finding the iBFT under Xen Dom 0' (May 2023); "
	  "absent from the 6.1 lab boots, present in corpus 007 (6.8) and the 6.12 boots",
	  NULL },
	{ KB_E820_EARLY_CHECKS, "e820-early-checks", "6.12", NULL,
	  "'xen: move checks for e820 conflicts further up', xen_chk_is_e820_usable", NULL },
	{ KB_NVS_SWAP, "nvs-swap", "6.12", NULL,
	  "be35d91c8880 'xen: tolerate ACPI NVS memory overlapping with Xen allocated memory'",
	  NULL },
	{ KB_NVS_SWAP_ADDR_FIX, "nvs-swap-addr-fix", "7.1", NULL,
	  "28e03f78e69c (May 2026): the swapped entry keeps its page offset; stable "
	  "kernels may carry it earlier",
	  NULL },
	{ KB_NONRAM_REMAP_LOG, "nonram-remap", "6.12", NULL,
	  "d05208cf7f05 'xen: add capability to remap non-RAM pages to different PFNs'", NULL },
	{ KB_BALLOON_SUBTRACT_RELEASED, "balloon-released", "3.2", NULL,
	  "'xen/balloon: account for pages released during memory setup'", NULL },
	{ KB_BALLOON_XSA300, "balloon-xsa300", "5.5", NULL,
	  "XSA-300 (Dec 2019): max_retry_count 4 and a si_mem_available() limit; also in "
	  "stable kernels (version approximate)",
	  NULL },
	{ KB_BALLOON_KTHREAD, "balloon-kthread", "5.15", NULL,
	  "'xen/balloon: use a kernel thread instead a workqueue' (version approximate)", NULL },
	{ KB_BALLOON_EXTRA_UNPOPULATED, "balloon-unpopulated", "6.10", NULL,
	  "a6aa4eb994ee 'xen/x86: add extra pages to unpopulated-alloc if available' (also "
	  "6.9.y stable), with CONFIG_XEN_UNPOPULATED_ALLOC as Debian builds",
	  NULL },
	{ KB_E820_NAMES_2610, "e820-old-format", "2.6.0", "3.4",
	  "e820_print_map ' Xen: a - b (usable)'; the [mem a-b] format is in corpus 001 "
	  "(3.8) but not 038 (3.2)",
	  NULL },
	{ KB_E820_RESERVED_KERN_USABLE, "reserved-kern-usable", "2.6.38", "6.10",
	  "E820_TYPE_RESERVED_KERN printed as usable until its removal", NULL },
};

const struct kernel_behaviour_row *kernel_behaviours(size_t *nr)
{
	*nr = KB_NR_BEHAVIOURS;
	return behaviours;
}

/* --- versions ------------------------------------------------------------------ */

/*
 * A kernel release: the mainline version it belongs to (2.6.39, 5.10) and
 * its stable level (2.6.39.4 -> 4, 5.10.223 -> 223; 0 for the series'
 * first release).  Releases of 3.0 and later name the mainline version
 * with two numbers, 2.6 ones with three.
 */
struct kver {
	unsigned int v[3]; /* mainline: 2.6.39 -> {2, 6, 39}, 5.10 -> {5, 10, 0} */
	unsigned int stable;
};

static const char *scan_num(const char *p, unsigned int *out)
{
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p++ - '0');
		if (v > 100000)
			return NULL;
	}
	*out = (unsigned int)v;
	return p;
}

/* "X.Y[.Z[.W]]" at @p; *end after the last number.  -EINVAL without two. */
static int kver_scan(const char *p, struct kver *out, const char **end)
{
	unsigned int n[4] = { 0 };
	int k = 0;

	memset(out, 0, sizeof(*out));
	while (k < 4 && (p = scan_num(p, &n[k])) != NULL) {
		k++;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (k < 2 || !p)
		return -EINVAL;
	*end = p;
	out->v[0] = n[0];
	out->v[1] = n[1];
	if (n[0] < 3) {
		out->v[2] = n[2];
		out->stable = n[3];
	} else {
		out->stable = n[2];
	}
	return 0;
}

static int kver_cmp(const struct kver *a, const struct kver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

static bool kver_same_series(const struct kver *a, const struct kver *b)
{
	return kver_cmp(a, b) == 0;
}

static int kver_parse_plain(const char *s, struct kver *out)
{
	const char *end;

	return kver_scan(s, out, &end);
}

/*
 * Distribution builds name a series and an ABI, not the stable release
 * (Debian's "5.10.0-32-amd64", Ubuntu's "5.15.0-91-generic"); the release
 * is in the "Linux version" line ("Debian 5.10.223-1").  The ABIs seen in
 * real boots, so that the uname form alone resolves too.
 */
static const struct kernel_distro_abi {
	const char *abi;     /* "5.10.0-32" */
	const char *release; /* the upstream release it was built from */
	const char *source;
} distro_abis[] = {
	{ "5.10.0-32", "5.10.223",
	  "Debian 11 linux-image-5.10.0-32-amd64: 'Debian 5.10.223-1' (Xen 4.14 lab boots)" },
	{ "6.1.0-56", "6.1.192",
	  "Debian 12 linux-image-6.1.0-56-amd64: 'Debian 6.1.192-2' (Xen 4.17 lab boots)" },
};

/* "X.Y.0-N" followed by "-", "." or the end: a distribution's ABI name. */
static bool distro_abi(const char *s, const struct kver *v, const char *end, unsigned int *abi)
{
	const char *p;

	(void)s;
	if (v->v[0] < 3 || v->stable != 0 || end[0] != '-' || !isdigit((unsigned char)end[1]))
		return false;
	if (end[-1] != '0' || end[-2] != '.')
		return false; /* "5.10-3": no third number */
	p = scan_num(end + 1, abi);
	return p && (*p == '-' || *p == '.' || *p == '\0');
}

/*
 * Resolve @s: "5.10.223", "6.1", "2.6.39.4", "6.12.117+deb13-amd64",
 * "4.19.86-1.pvops.qubes.x86_64", "linux-4.19.86", "Debian 5.10.223-1",
 * "5.10.0-32-amd64", or a whole "Linux version ..." line (its "Debian
 * X.Y.Z-N" wins over its uname release).  @note gets what was assumed.
 */
static int kver_resolve(const char *s, struct kver *out, char *note, size_t note_len)
{
	const char *deb = NULL, *p = s, *end;
	unsigned int abi;
	int rc;

	note[0] = '\0';
	/* the build's "#1 SMP Debian 5.10.223-1", not its compiler's "(Debian
	 * 10.2.1-6)": the last one */
	for (const char *q = strstr(s, "Debian "); q; q = strstr(q + 1, "Debian "))
		if (isdigit((unsigned char)q[7]))
			deb = q;
	if (deb && kver_scan(deb + 7, out, &end) == 0)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (starts_with(p, "Linux version "))
		p += 14;
	if (starts_with(p, "linux-"))
		p += 6;
	rc = kver_scan(p, out, &end);
	if (rc < 0)
		return rc;
	if (distro_abi(p, out, end, &abi)) {
		const struct kernel_distro_abi *best = NULL;
		unsigned int best_abi = 0;

		for (size_t i = 0; i < sizeof(distro_abis) / sizeof(distro_abis[0]); i++) {
			struct kver rv, av;
			const char *e;
			unsigned int n;

			if (kver_scan(distro_abis[i].abi, &av, &e) < 0 ||
			    !kver_same_series(&av, out) || e[0] != '-' || !scan_num(e + 1, &n) ||
			    n > abi || (best && n < best_abi))
				continue;
			if (kver_parse_plain(distro_abis[i].release, &rv) < 0)
				continue;
			best = &distro_abis[i];
			best_abi = n;
		}
		if (best) {
			struct kver rv;

			kver_parse_plain(best->release, &rv);
			out->stable = rv.stable;
			if (best_abi != abi)
				snprintf(note, note_len,
					 "kernel %.*s: a distribution ABI; taken as at least "
					 "%s (the release of ABI %s)",
					 (int)strcspn(p, " "), p, best->release, best->abi);
		} else {
			snprintf(note, note_len,
				 "kernel %.*s: a distribution ABI whose stable release "
				 "is unknown; taken as %u.%u (give the release, e.g. the \"Debian "
				 "%u.%u.N-M\" of its Linux version line)",
				 (int)strcspn(p, " "), p, out->v[0], out->v[1], out->v[0],
				 out->v[1]);
		}
	}
	return 0;
}

/*
 * Does release @v have a behaviour introduced in @since (mainline) and
 * backported to the stable releases @stable ("5.10.67 5.4.148": from
 * 5.10.67 on in 5.10.y, ...), removed in @until?
 */
static bool kver_in(const struct kver *v, const char *since, const char *until, const char *stable)
{
	struct kver s, u;

	if (until && kver_parse_plain(until, &u) == 0 && kver_cmp(v, &u) >= 0)
		return false;
	if (kver_parse_plain(since, &s) == 0 && kver_cmp(v, &s) >= 0)
		return true;
	for (const char *p = stable; p && *p;) {
		struct kver b;
		const char *end;

		while (*p == ' ')
			p++;
		if (kver_scan(p, &b, &end) < 0)
			break;
		if (kver_same_series(v, &b) && v->stable >= b.stable)
			return true;
		p = end;
	}
	return false;
}

/* --- build options ----------------------------------------------------------------- */

void kernel_config_init(struct kernel_config *kc)
{
	/* Debian's amd64 configs of 6.1 and 6.12. */
	kc->iscsi_ibft_find = true;
	kc->xen_512gb = true;
	kc->balloon_hotplug = true;
	kc->hotplug_limit_gib = 512;
	kc->max_domain_gib = 128;
	kc->amd_mem_encrypt = true;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "y") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "n") || !strcmp(v, "0") || !strcmp(v, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_number(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v || *end || n == 0 || n > (1ULL << 20))
		return -EINVAL;
	*out = n;
	return 0;
}

int kernel_config_set(struct kernel_config *kc, const char *assignment, struct p2msim_err *err)
{
	const char *eq = strchr(assignment, '=');
	const char *name = assignment;
	char key[64];
	size_t len;
	int rc = -EINVAL;

	if (!eq)
		return p2msim_err_set(err, -EINVAL, "--kconfig '%s': expected NAME=VALUE",
				      assignment);
	if (starts_with(name, "CONFIG_"))
		name += 7;
	len = (size_t)(eq - name);
	if (len >= sizeof(key))
		return p2msim_err_set(err, -EINVAL, "--kconfig '%s': unknown option", assignment);
	memcpy(key, name, len);
	key[len] = '\0';
	if (!strcmp(key, "ISCSI_IBFT_FIND"))
		rc = parse_bool(eq + 1, &kc->iscsi_ibft_find);
	else if (!strcmp(key, "XEN_512GB"))
		rc = parse_bool(eq + 1, &kc->xen_512gb);
	else if (!strcmp(key, "XEN_BALLOON_MEMORY_HOTPLUG"))
		rc = parse_bool(eq + 1, &kc->balloon_hotplug);
	else if (!strcmp(key, "XEN_MEMORY_HOTPLUG_LIMIT"))
		rc = parse_number(eq + 1, &kc->hotplug_limit_gib);
	else if (!strcmp(key, "AMD_MEM_ENCRYPT"))
		rc = parse_bool(eq + 1, &kc->amd_mem_encrypt);
	else if (!strcmp(key, "XEN_MAX_DOMAIN_MEMORY"))
		rc = parse_number(eq + 1, &kc->max_domain_gib);
	else
		return p2msim_err_set(err, -EINVAL,
				      "--kconfig '%s': unknown option (known: ISCSI_IBFT_FIND, "
				      "XEN_512GB, XEN_BALLOON_MEMORY_HOTPLUG, "
				      "XEN_MEMORY_HOTPLUG_LIMIT, XEN_MAX_DOMAIN_MEMORY, "
				      "AMD_MEM_ENCRYPT)",
				      assignment);
	if (rc < 0)
		return p2msim_err_set(err, -EINVAL, "--kconfig '%s': bad value", assignment);
	return 0;
}

/* --- builds ---------------------------------------------------------------------- */

/*
 * Facts of Debian's amd64 builds that the assumed boot layout needs (no
 * Xen log to read them from): where the image ends (Xen's "Dom0 kernel:
 * ... paddr 0x1000000 -> END") and how many page tables Xen builds for it
 * ("Page tables:").  A release takes the newest row at or below it.
 */
static const struct kernel_build_row {
	const char *since;
	uint64_t image_end_pfn;
	uint64_t pt_pages;
	const char *source;
} builds[] = {
	{ "5.10", 0x4600, 0x27,
	  "Debian 5.10.223-1 under Xen 4.14: paddr 0x1000000 -> 0x4600000, "
	  "page tables ffffffff84601000->ffffffff84628000" },
	{ "6.1", 0x4a00, 0x29, "Debian 6.1.192-2 under Xen 4.17: paddr 0x1000000 -> 0x4a00000" },
	{ "6.12", 0x4200, 0x25,
	  "Debian 6.12.117-1 under Xen 4.17 and 4.20: paddr 0x1000000 -> "
	  "0x4200000, page tables ffffffff84201000->ffffffff84226000" },
};

/*
 * Where xen_remap_memory() BUGs ("kernel BUG at arch/x86/xen/setup.c:LINE!")
 * when a remap target is not mapped: the line moves with every change to
 * setup.c, so only the releases a real log shows are known.
 */
static const struct kernel_bug_line_row {
	const char *since, *until;
	unsigned int line;
	const char *source;
} remap_bug_lines[] = {
	{ "5.16", "5.17", 313, "a 5.16.1 dom0 booted with mem=2048M (public report)" },
	{ "6.1", "6.2", 314, "Debian 6.1.192 (lab capture pc-2G-dom0-linux-mem384M)" },
	{ "6.12", "6.13", 273, "Debian 6.12.117 under Xen 4.20 (check-xen crash-mem-384M)" },
};

/* The newest version any table names: a release beyond it is simulated
 * with the newest behaviours, and said so. */
static void newest_known(struct kver *newest)
{
	struct kver v;

	memset(newest, 0, sizeof(*newest));
	for (size_t i = 0; i < KB_NR_BEHAVIOURS; i++) {
		if (kver_parse_plain(behaviours[i].since, &v) == 0 && kver_cmp(&v, newest) > 0)
			*newest = v;
		if (behaviours[i].until && kver_parse_plain(behaviours[i].until, &v) == 0 &&
		    kver_cmp(&v, newest) > 0)
			*newest = v;
	}
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++)
		if (kver_parse_plain(builds[i].since, &v) == 0 && kver_cmp(&v, newest) > 0)
			*newest = v;
}

/* --- models ---------------------------------------------------------------------- */

int kernel_model_init(struct kernel_model *km, const char *version, const struct kernel_config *kc,
		      struct p2msim_err *err)
{
	struct kver v, newest;
	const struct kernel_build_row *build = &builds[0];

	memset(km, 0, sizeof(*km));
	if (!version || kver_resolve(version, &v, km->note, sizeof(km->note)) < 0)
		return p2msim_err_set(
			err, -EINVAL,
			"--kernel '%s': expected a release such as 2.6.39, 4.19, 6.1, "
			"5.10.223, 5.10.0-32-amd64 or 'Debian 5.10.223-1'",
			version ? version : "");
	snprintf(km->version, sizeof(km->version), "%s", version);
	km->major = v.v[0];
	km->minor = v.v[1];
	km->patch = v.v[0] < 3 ? v.v[2] : v.stable;
	if (v.v[0] < 3)
		snprintf(km->release, sizeof(km->release), "%u.%u.%u%s%.0u", v.v[0], v.v[1], v.v[2],
			 v.stable ? "." : "", v.stable);
	else
		snprintf(km->release, sizeof(km->release), "%u.%u%s%.0u", v.v[0], v.v[1],
			 v.stable ? "." : "", v.stable);
	newest_known(&newest);
	if (kver_cmp(&v, &newest) > 0) {
		snprintf(
			km->warning, sizeof(km->warning),
			"kernel %s is newer than every row of "
			"the behaviour table (newest: %u.%u): simulated with the newest behaviours",
			km->release, newest.v[0], newest.v[1]);
		v = newest;
	}
	for (int i = 0; i < KB_NR_BEHAVIOURS; i++)
		km->has[behaviours[i].id] =
			kver_in(&v, behaviours[i].since, behaviours[i].until, behaviours[i].stable);
	/* The families follow from the rows: the P2M's shape and what
	 * happens to the RAM under 1-1 areas. */
	if (!km->has[KB_IDENTITY_P2M]) {
		return p2msim_err_set(err, -ENOTSUP,
				      "kernel %s predates the 1-1 P2M (2.6.39): not modelled",
				      version);
	} else if (km->has[KB_LINEAR_P2M]) {
		km->family = KERNEL_FAMILY_LINEAR;
	} else if (km->has[KB_REMAP]) {
		return p2msim_err_set(
			err, -ENOTSUP,
			"kernel %s remaps RAM under holes on the three-level tree (3.18 "
			"only), which p2msim does not model (modelled: 2.6.39-3.17, 3.19 "
			"and later)",
			version);
	} else if (km->has[KB_RELEASE_AREAS]) {
		km->family = KERNEL_FAMILY_TREE_RELEASE;
	} else {
		km->family = KERNEL_FAMILY_TREE_2639;
	}
	if (kc)
		km->config = *kc;
	else
		kernel_config_init(&km->config);
	if (!km->config.iscsi_ibft_find)
		km->has[KB_IBFT_RESERVE] = false;
	for (size_t i = 0; i < sizeof(remap_bug_lines) / sizeof(remap_bug_lines[0]); i++)
		if (kver_in(&v, remap_bug_lines[i].since, remap_bug_lines[i].until, NULL))
			km->remap_bug_line = remap_bug_lines[i].line;
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++)
		if (kver_in(&v, builds[i].since, NULL, NULL)) {
			build = &builds[i];
			km->build_known = true;
		}
	km->image_end_pfn = build->image_end_pfn;
	km->pt_pages = build->pt_pages;
	return 0;
}

void setup_layout_place_kernel(struct setup_layout *lay, const struct kernel_model *km,
			       uint64_t start, uint64_t end)
{
	lay->kernel_start = start;
	lay->kernel_end = end;
	lay->start_info = end;
	lay->start_info_end = end + 1;
	lay->pt_start = end + 1;
	lay->pt_end = end + 1 + km->pt_pages;
}

void setup_layout_default(struct setup_layout *lay, const struct kernel_model *km,
			  uint64_t nr_pages)
{
	uint64_t end = km->image_end_pfn;

	memset(lay, 0, sizeof(*lay));
	/* Xen 4.17 loading a Debian kernel: image from 16 MiB, start info
	 * right after it, then the page tables and the boot stack; the
	 * initrd where Xen 4.17 put the lab's (pfn 0x8000), assumed 32 MiB. */
	setup_layout_place_kernel(lay, km, 0x1000, end);
	lay->initrd_start = 0x8000;
	lay->initrd_end = 0x8000 + 0x2000;
	if (lay->initrd_end > nr_pages) {
		lay->initrd_start = 0;
		lay->initrd_end = 0;
	}
}
