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

static const struct kernel_behaviour_row behaviours[KB_NR_BEHAVIOURS] = {
	{ KB_IDENTITY_P2M, "identity-p2m", "2.6.39", NULL,
	  "Konrad Wilk's 1-1 P2M series (IDENTITY_FRAME_BIT, set_phys_range_identity)" },
	{ KB_TREE_P2M, "tree-p2m", "2.6.38", "3.19",
	  "58e05027b530 'xen: convert p2m to a 3 level tree'; replaced by the linear list" },
	{ KB_LINEAR_P2M, "linear-p2m", "3.19", NULL,
	  "Juergen Gross, 'xen: switch to linear virtual mapped sparse p2m list'" },
	{ KB_MID_IDENTITY, "mid-identity", "3.14", NULL,
	  "3cb83e46d032 'x86/xen: compactly store large identity ranges in the p2m'" },
	{ KB_EXTRA_ABOVE_4G, "extra-above-4g", "2.6.39", "3.0",
	  "24bdb0b62cc8 'xen: do not create the extra e820 region at an addr lower than 4G'; "
	  "3.0 starts it at mem_end" },
	{ KB_RELEASE_GAPS, "release-gaps", "2.6.39", "3.2",
	  "xen_return_unused_memory + xen_set_identity(map_raw); 3.2 releases all 1-1 pages" },
	{ KB_RELEASE_AREAS, "release-1-1-areas", "3.2", "3.18",
	  "David Vrabel's rework: xen_set_identity_and_release() releases the RAM under "
	  "every 1-1 area and rounds outward" },
	{ KB_FREEING_TWO_SPACES, "freeing-two-spaces", "3.2", "3.5",
	  "'Freeing  %lx-%lx pfn range' with two spaces" },
	{ KB_POPULATE_BACK, "populate-back", "3.5", "3.18",
	  "xen_populate_chunk(): released pages come back above nr_pages ('Populating ...'); "
	  "corpus 001 (3.8), 021/022 (3.17.0-rc4)" },
	{ KB_QUIET_ZERO_COUNTS, "quiet-zero-counts", "3.5", "3.18",
	  "'Released'/'Set' printed only when non-zero; corpus 038 (3.2) prints zeros" },
	{ KB_IGNORE_UNUSABLE, "ignore-unusable", "3.13", NULL,
	  "xen_ignore_unusable: 'Xen won't allow a 1:1 mapping to be created to UNUSABLE'" },
	{ KB_REMAP, "remap", "3.18", NULL,
	  "4fbb67e3c87b 'xen/setup: Remap Xen Identity Mapped RAM'; dated from logs: the "
	  "3.17.0-rc4 dom0s of corpus 021/022 still populate back" },
	{ KB_DISCARD_EXTRA_RAM, "discard-extra-ram", "4.3", NULL,
	  "David Vrabel, 'x86/xen: discard RAM regions above the maximum reservation'; "
	  "no 4.x-6.x dom0 log in the corpus shows UNUSABLE, the 3.0 domU of corpus 048 does" },
	{ KB_512GB_LIMIT, "512gb-limit", "4.3", NULL,
	  "c70727a5bc18 'xen: allow more than 512 GB of RAM for 64 bit pv-domains'" },
	{ KB_KSTRTOBOOL_TF, "kstrtobool-tf", "5.19", NULL,
	  "Jagdish Gediya, 'lib/kstrtox.c: Add \"false\"/\"true\" support to kstrtobool()' "
	  "(April 2022)" },
	{ KB_P2M_LIMIT, "p2m-limit", "4.3", NULL,
	  "P2M_LIMIT = CONFIG_XEN_MEMORY_HOTPLUG_LIMIT with balloon memory hotplug (same series)" },
	{ KB_KERNEL_CONFLICT, "kernel-conflict-bug", "4.3", NULL,
	  "808fdb71936c 'xen: check for kernel memory conflicting with memory layout'" },
	{ KB_PT_CONFLICT, "pt-conflict-bug", "4.3", NULL,
	  "xen_pt_check_e820 (same series)" },
	{ KB_INITRD_MOVE, "initrd-move", "4.3", NULL,
	  "xen_find_free_area + 'initrd moved from ... to ...' (same series)" },
	{ KB_MAX_PFN_LAST, "max-pfn-last", "5.12", NULL,
	  "98dd166ea3a3 'x86/xen/p2m: hint at the last populated P2M entry' (early 2021)" },
	{ KB_MAX_PFN_ALIGNED, "max-pfn-aligned", "5.14", NULL,
	  "'x86/xen: fix max_pfn in shared_info' (July 2021): ALIGN(pfn + 1, P2M_PER_PAGE)" },
	{ KB_IBFT_RESERVE, "ibft-reserve", "6.5", NULL,
	  "Ross Lagerwall, 'iscsi_ibft: Fix finding the iBFT under Xen Dom 0' (May 2023); "
	  "absent from the 6.1 lab boots, present in corpus 007 (6.8) and the 6.12 boots" },
	{ KB_E820_EARLY_CHECKS, "e820-early-checks", "6.12", NULL,
	  "'xen: move checks for e820 conflicts further up', xen_chk_is_e820_usable" },
	{ KB_NVS_SWAP, "nvs-swap", "6.12", NULL,
	  "be35d91c8880 'xen: tolerate ACPI NVS memory overlapping with Xen allocated memory'" },
	{ KB_NVS_SWAP_ADDR_FIX, "nvs-swap-addr-fix", "7.1", NULL,
	  "28e03f78e69c (May 2026): the swapped entry keeps its page offset; stable "
	  "kernels may carry it earlier" },
	{ KB_NONRAM_REMAP_LOG, "nonram-remap", "6.12", NULL,
	  "d05208cf7f05 'xen: add capability to remap non-RAM pages to different PFNs'" },
	{ KB_BALLOON_SUBTRACT_RELEASED, "balloon-released", "3.2", NULL,
	  "'xen/balloon: account for pages released during memory setup'" },
	{ KB_BALLOON_XSA300, "balloon-xsa300", "5.5", NULL,
	  "XSA-300 (Dec 2019): max_retry_count 4 and a si_mem_available() limit; also in "
	  "stable kernels (version approximate)" },
	{ KB_BALLOON_KTHREAD, "balloon-kthread", "5.15", NULL,
	  "'xen/balloon: use a kernel thread instead a workqueue' (version approximate)" },
	{ KB_BALLOON_EXTRA_UNPOPULATED, "balloon-unpopulated", "6.10", NULL,
	  "a6aa4eb994ee 'xen/x86: add extra pages to unpopulated-alloc if available' (also "
	  "6.9.y stable), with CONFIG_XEN_UNPOPULATED_ALLOC as Debian builds" },
	{ KB_E820_NAMES_2610, "e820-old-format", "2.6.0", "3.4",
	  "e820_print_map ' Xen: a - b (usable)'; the [mem a-b] format is in corpus 001 "
	  "(3.8) but not 038 (3.2)" },
	{ KB_E820_RESERVED_KERN_USABLE, "reserved-kern-usable", "2.6.38", "6.10",
	  "E820_TYPE_RESERVED_KERN printed as usable until its removal" },
};

const struct kernel_behaviour_row *kernel_behaviours(size_t *nr)
{
	*nr = KB_NR_BEHAVIOURS;
	return behaviours;
}

/* --- versions ------------------------------------------------------------------ */

struct kver {
	unsigned int v[3];
};

/* "6.1", "6.1.0-56-amd64", "linux-4.19.86-1.pvops", "2.6.39.4": the first
 * two or three dot-separated numbers; anything after them is a suffix. */
static int kver_parse(const char *s, struct kver *out)
{
	const char *p = s;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!strncmp(p, "linux-", 6))
		p += 6;
	while (n < 3 && isdigit((unsigned char)*p)) {
		unsigned long v = 0;

		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (unsigned long)(*p++ - '0');
			if (v > 100000)
				return -EINVAL;
		}
		out->v[n++] = (unsigned int)v;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (n < 2)
		return -EINVAL;
	/* 2.6.x: the third number is the release (2.6.39), later ones patch
	 * levels (6.1.192): only 2.x kernels compare all three. */
	if (out->v[0] >= 3)
		out->v[2] = 0;
	return 0;
}

static int kver_cmp(const struct kver *a, const struct kver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

static bool kver_in(const struct kver *v, const char *since, const char *until)
{
	struct kver s, u;

	if (kver_parse(since, &s) < 0 || kver_cmp(v, &s) < 0)
		return false;
	if (until && kver_parse(until, &u) == 0 && kver_cmp(v, &u) >= 0)
		return false;
	return true;
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
		return p2msim_err_set(err, -EINVAL, "--kconfig '%s': expected NAME=VALUE", assignment);
	if (!strncmp(name, "CONFIG_", 7))
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
				      "AMD_MEM_ENCRYPT)", assignment);
	if (rc < 0)
		return p2msim_err_set(err, -EINVAL, "--kconfig '%s': bad value", assignment);
	return 0;
}

/* --- models ---------------------------------------------------------------------- */

int kernel_model_init(struct kernel_model *km, const char *version,
		      const struct kernel_config *kc, struct p2msim_err *err)
{
	static const struct kver tree_from = { { 2, 6, 39 } }, tree_to = { { 3, 2, 0 } };
	static const struct kver release_to = { { 3, 18, 0 } }, linear_from = { { 3, 19, 0 } };
	struct kver v;

	memset(km, 0, sizeof(*km));
	if (!version || kver_parse(version, &v) < 0)
		return p2msim_err_set(err, -EINVAL,
				      "--kernel '%s': expected a version such as 2.6.39, 4.19, 6.1 "
				      "or 6.12.21", version ? version : "");
	snprintf(km->version, sizeof(km->version), "%s", version);
	km->major = v.v[0];
	km->minor = v.v[1];
	km->patch = v.v[2];
	if (kver_cmp(&v, &tree_from) >= 0 && kver_cmp(&v, &tree_to) < 0) {
		km->family = KERNEL_FAMILY_TREE_2639;
	} else if (kver_cmp(&v, &tree_to) >= 0 && kver_cmp(&v, &release_to) < 0) {
		km->family = KERNEL_FAMILY_TREE_RELEASE;
	} else if (kver_cmp(&v, &linear_from) >= 0) {
		km->family = KERNEL_FAMILY_LINEAR;
	} else if (kver_cmp(&v, &tree_from) < 0) {
		return p2msim_err_set(err, -ENOTSUP,
				      "kernel %s predates the 1-1 P2M (2.6.39): not modelled", version);
	} else {
		return p2msim_err_set(err, -ENOTSUP,
				      "kernel %s remaps RAM under holes on the three-level tree (3.18 "
				      "only), which p2msim does not model (modelled: 2.6.39-3.17, 3.19 "
				      "and later)", version);
	}
	for (int i = 0; i < KB_NR_BEHAVIOURS; i++)
		km->has[behaviours[i].id] = kver_in(&v, behaviours[i].since, behaviours[i].until);
	if (kc)
		km->config = *kc;
	else
		kernel_config_init(&km->config);
	if (!km->config.iscsi_ibft_find)
		km->has[KB_IBFT_RESERVE] = false;
	/* Debian 6.1.x: "kernel BUG at arch/x86/xen/setup.c:314!" (lab capture
	 * pc-2G-dom0-linux-mem384M). */
	km->remap_bug_line = km->major == 6 && km->minor == 1 ? 314 : 0;
	/* Xen loads Debian's images to 74 MiB (6.1) and 66 MiB (6.12). */
	km->image_end_pfn = km->major == 6 && km->minor >= 12 ? 0x4200 : 0x4a00;
	km->pt_pages = km->major == 6 && km->minor >= 12 ? 0x25 : 0x29;
	return 0;
}

void setup_layout_default(struct setup_layout *lay, const struct kernel_model *km,
			  uint64_t nr_pages)
{
	uint64_t end = km->image_end_pfn;

	memset(lay, 0, sizeof(*lay));
	/* Xen 4.17 loading a Debian kernel: image from 16 MiB, start info
	 * right after it, then the page tables and the boot stack; the
	 * initrd where Xen 4.17 put the lab's (pfn 0x8000), assumed 32 MiB. */
	lay->kernel_start = 0x1000;
	lay->kernel_end = end;
	lay->start_info = end;
	lay->start_info_end = end + 1;
	lay->pt_start = end + 1;
	lay->pt_end = end + 1 + km->pt_pages;
	lay->initrd_start = 0x8000;
	lay->initrd_end = 0x8000 + 0x2000;
	if (lay->initrd_end > nr_pages) {
		lay->initrd_start = 0;
		lay->initrd_end = 0;
	}
}
