/* SPDX-License-Identifier: MIT */
/*
 * setup/setup.h - kernel models: what a Linux PV guest's xen_memory_setup()
 * and P2M build do with a memory map, era by era.
 *
 * A kernel version selects behaviours from one table (setup/model.c):
 * each behaviour carries the version that introduced it and, if gone, the
 * version that removed it, so "--kernel 4.19" gets exactly what 4.19 did.
 * The algorithms read those behaviours, never version numbers.
 *
 * setup_run() boots the guest's memory setup against a hypervisor (hv.h):
 * it reads the memory map and reservation from it, releases and remaps
 * frames through it, and leaves the resulting P2M on the engine (p2m.h),
 * with every line the kernel would have printed.
 */
#ifndef P2MSIM_SETUP_H
#define P2MSIM_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/hv.h"
#include "p2m/p2m.h"
#include "e820/e820.h"
#include "util/err.h"
#include "xen/model.h"

/* --- kernel behaviours ---------------------------------------------------- */

enum kernel_behaviour {
	KB_IDENTITY_P2M,       /* 1-1 identity frames for holes and non-RAM */
	KB_TREE_P2M,	       /* three-level P2M tree in brk (until the linear list) */
	KB_LINEAR_P2M,	       /* virtually mapped linear list with shared pages */
	KB_MID_IDENTITY,       /* shared identity mid page */
	KB_EXTRA_ABOVE_4G,     /* dom0 extra region starts at 4 GiB at least */
	KB_RELEASE_GAPS,       /* 2.6.39: release only E820 gaps, identity on the raw map */
	KB_RELEASE_AREAS,      /* 3.2: release the RAM under every 1-1 area, round outward */
	KB_FREEING_TWO_SPACES, /* "Freeing  %lx-%lx pfn range" (3.2-3.4) */
	KB_POPULATE_BACK,      /* 3.5: released pages are populated back above nr_pages */
	KB_QUIET_ZERO_COUNTS,  /* 3.5: "Released"/"Set" only when non-zero */
	KB_IGNORE_UNUSABLE,    /* dom0: UNUSABLE is RAM */
	KB_REMAP,	       /* RAM under holes is remapped above nr_pages */
	KB_REMAP_MAPS_ALL,     /* the remap updates the kernel mapping above max_pfn too */
	KB_DISCARD_EXTRA_RAM,  /* RAM beyond the extra space is dropped, not UNUSABLE */
	KB_512GB_LIMIT,	       /* xen_512gb_limit / CONFIG_XEN_512GB for domU */
	KB_KSTRTOBOOL_TF,      /* kstrtobool() reads t/T/f/F too (xen_512gb_limit=foo is off) */
	KB_P2M_LIMIT,	       /* the p2m VA area covers the memory-hotplug limit */
	KB_KERNEL_CONFLICT,    /* BUG when the kernel image is not E820 RAM */
	KB_PT_CONFLICT,	       /* BUG when Xen's page tables are not E820 RAM */
	KB_INITRD_MOVE,	       /* an initrd outside E820 RAM is moved */
	KB_MAX_PFN_LAST,       /* shared_info max_pfn = last populated pfn, not the list size */
	KB_MAX_PFN_ALIGNED,    /* ... re-aligned to a leaf when the list grows */
	KB_IBFT_RESERVE, /* dom0 reserves [0x80000, 0x100000) for iBFT (CONFIG_ISCSI_IBFT_FIND) */
	KB_E820_EARLY_CHECKS,	      /* conflict checks before the walk; start_info checked too */
	KB_NVS_SWAP,		      /* a conflicting ACPI NVS range is swapped with RAM */
	KB_NVS_SWAP_ADDR_FIX,	      /* ... keeping its page offset right */
	KB_NONRAM_REMAP_LOG,	      /* "Remapped %u non-RAM page(s)" */
	KB_BALLOON_SUBTRACT_RELEASED, /* balloon: pages released at setup are not current */
	KB_BALLOON_XSA300,	      /* balloon: 4 retries, limited to available memory */
	KB_BALLOON_KTHREAD,	      /* balloon: a kthread rather than a workqueue */
	KB_BALLOON_EXTRA_UNPOPULATED, /* balloon: extra regions go to unpopulated-alloc */
	KB_E820_NAMES_2610,	      /* dmesg E820 type names of 2.6.x ("(usable)") */
	KB_E820_RESERVED_KERN_USABLE, /* type 128 printed as "usable" */
	KB_NR_BEHAVIOURS
};

struct kernel_behaviour_row {
	enum kernel_behaviour id;
	const char *name;   /* short name for --show summary */
	const char *since;  /* first version with it */
	const char *until;  /* first version without it, or NULL */
	const char *source; /* the commit or log that dates it */
	const char *stable; /* stable releases that got it, the first of each
				 * series: "5.10.67 5.4.148" (NULL: none known) */
};

/* The behaviour table itself, for documentation and tests. */
const struct kernel_behaviour_row *kernel_behaviours(size_t *nr);

/* Build options that change the outcome (defaults: Debian's). */
struct kernel_config {
	bool iscsi_ibft_find;	    /* CONFIG_ISCSI_IBFT_FIND (y) */
	bool xen_512gb;		    /* CONFIG_XEN_512GB (y) */
	bool balloon_hotplug;	    /* CONFIG_XEN_BALLOON_MEMORY_HOTPLUG (y) */
	uint64_t hotplug_limit_gib; /* CONFIG_XEN_MEMORY_HOTPLUG_LIMIT (512) */
	uint64_t max_domain_gib;    /* CONFIG_XEN_MAX_DOMAIN_MEMORY (128), tree era */
	bool amd_mem_encrypt;	    /* CONFIG_AMD_MEM_ENCRYPT (y): a 4 MiB .init.scratch
					 * section follows _end in the loaded image */
};

void kernel_config_init(struct kernel_config *kc);
/* "NAME=y|n|NUMBER", NAME with or without CONFIG_. */
int kernel_config_set(struct kernel_config *kc, const char *assignment, struct p2msim_err *err);

/* Algorithm families; a version outside every family is refused. */
enum kernel_family {
	KERNEL_FAMILY_TREE_2639,    /* 2.6.39 - 3.1: identity + release of gaps */
	KERNEL_FAMILY_TREE_RELEASE, /* 3.2 - 3.17: release + populate back, tree */
	KERNEL_FAMILY_LINEAR,	    /* 3.19 and later: linear list, remap */
};

struct kernel_model {
	char version[48];		  /* as given */
	char release[32];		  /* what it resolved to: "5.10.223", "2.6.39.4" */
	char note[200];			  /* what was assumed resolving it, or "" */
	char warning[200];		  /* a release newer than every row, or "" */
	unsigned int major, minor, patch; /* patch: the stable level (2.6: the third
						 * number) */
	enum kernel_family family;
	bool has[KB_NR_BEHAVIOURS];
	struct kernel_config config;
	/* Where xen_remap_memory() BUGs when a remap target is not mapped:
	 * "kernel BUG at arch/x86/xen/setup.c:LINE!" (0: line unknown). */
	unsigned int remap_bug_line;
	/* Debian's build of this series, for the assumed boot layout
	 * (build_known: a row of the build table covers this release; before
	 * them, the oldest row's numbers stand in). */
	bool build_known;
	uint64_t image_end_pfn; /* _end of the kernel image, as a pfn */
	uint64_t pt_pages;	/* Xen's initial page tables for it */
};

#define KERNEL_DEFAULT_VERSION "6.1"

/* Resolve a release into a model: a mainline version ("6.1", "2.6.39", the
 * series' first release), a stable release ("5.10.223", "2.6.39.4"), a
 * distribution's ("6.12.117+deb13-amd64", "4.19.86-1.pvops.qubes.x86_64",
 * the ABI name "5.10.0-32-amd64", "Debian 5.10.223-1") or a whole "Linux
 * version" line.  Stable releases get the backports the table lists.
 * -EINVAL for a malformed version, -ENOTSUP for one no family models
 * (before 2.6.39, 3.18), with the reason.  km->note says what was assumed
 * (an ABI whose release is not known), km->warning when the release is
 * newer than every row (the newest behaviours are used). */
int kernel_model_init(struct kernel_model *km, const char *version, const struct kernel_config *kc,
		      struct p2msim_err *err);
static inline bool kernel_has(const struct kernel_model *km, enum kernel_behaviour b)
{
	return km->has[b];
}

/* What the family's algorithm is, in a few words ("2.6.39 tree", "linear
 * P2M list"), for summaries. */
const char *kernel_family_name(enum kernel_family family);

/* Print the E820 entries of @t as this kernel's e820 printout does, each
 * line tagged @who ("Xen", "user"): the 2.6 "who: a - b (type)" format or
 * the "who: [mem a-b] type" one, with the type names of its era (type 128
 * is "usable" until 6.10).  No header line. */
void setup_print_e820(FILE *f, const struct kernel_model *km, const struct e820_table *t,
		      const char *who);

/* --- the boot layout ---------------------------------------------------------- */

/* Where Xen's domain builder put things, in guest pfns ([start, end)). */
struct setup_layout {
	bool known;			   /* read from a Xen boot log */
	uint64_t kernel_start, kernel_end; /* what Xen loaded: _text to the image's end */
	uint64_t initrd_start, initrd_end;
	uint64_t initrd_bytes; /* its length (Xen's module length); 0: whole pages */
	uint64_t start_info, start_info_end;
	uint64_t pt_start, pt_end;   /* initial page tables */
	uint64_t p2m_start, p2m_end; /* the builder's mfn_list, if in the map */
};

/* The layout a Debian boot of this kernel under Xen 4.17 has. */
void setup_layout_default(struct setup_layout *lay, const struct kernel_model *km,
			  uint64_t nr_pages);
/* The kernel at pfns [start, end) where Xen loaded it (its "Dom0 kernel:
 * paddr" line): the start info and the page tables follow it, as Xen 4.17
 * lays them out after an image it does not map an initrd behind. */
void setup_layout_place_kernel(struct setup_layout *lay, const struct kernel_model *km,
			       uint64_t start, uint64_t end);

/* --- running a kernel's memory setup --------------------------------------------- */

#define SETUP_MAX_EXTRA 128 /* XEN_EXTRA_MEM_MAX_REGIONS */

struct setup_extra {
	uint64_t start, n; /* pfns */
};

struct setup_input {
	const struct kernel_model *model;
	bool dom0;
	enum p2m_arch arch;
	hv_domid_t domid;		 /* the guest, in the hv */
	uint64_t nr_pages;		 /* xen_start_info->nr_pages */
	const uint64_t *mfn_list;	 /* the builder's list: nr_pages MFNs, or */
	const struct hv_extent *mfn_ext; /* the same as extents in pfn order */
	size_t nr_mfn_ext;
	const char *cmdline; /* the kernel's command line */
	struct setup_layout layout;
};

/* Why a kernel stopped (res->crashed), in the machine's terms: the check
 * that stopped it, the pfns it was looking at and what was in the way. */
struct setup_stop {
	enum kernel_behaviour check; /* the behaviour whose check stopped it;
					 * KB_NR_BEHAVIOURS when none names it */
	char what[24];		     /* "kernel", "page table", "xen_start_info",
					 * "initrd", "remap", "nvs-swap", "brk" */
	uint64_t start, end;	     /* the pfns checked or remapped, [start, end) */
	uint64_t bad_pfn;	     /* the first of them that failed the check */
	bool have_entry;	     /* the E820 entry covering bad_pfn (else a gap) */
	struct e820_entry entry;
	uint64_t limit_pfn; /* the end of what the kernel maps (remap BUG) */
};

struct setup_result {
	struct p2m *p2m;
	struct e820_table e820;	     /* the kernel's E820 as printed ("Xen:") */
	struct e820_table user_e820; /* after mem=/memmap=, if any */
	struct e820_user user;
	uint64_t nr_pages;     /* xen_start_info->nr_pages */
	uint64_t ini_nr_pages; /* after the 512 GiB / MAX_DOMAIN_PAGES limit */
	uint64_t max_pages;    /* the limit xen_memory_setup used */
	uint64_t released, remapped, remapped_nonram, identity_set;
	uint64_t p2m_size;	 /* xen_p2m_size, or the tree's MAX_DOMAIN_PAGES */
	uint64_t max_pfn;	 /* shared_info.arch.max_pfn */
	uint64_t kernel_max_pfn; /* max_pfn of the kernel's E820 (balloon limit) */
	uint64_t vm_size;	 /* p2m virtual area, bytes (linear list) */
	struct setup_extra extra[SETUP_MAX_EXTRA];
	unsigned int nr_extra;
	char **log; /* what the kernel prints, in order */
	size_t nr_log, alloc_log;
	char model_version[48];
	bool crashed;		/* the kernel stopped (BUG, panic) */
	struct setup_stop stop; /* why, when crashed */
	bool log_lost;		/* a log line could not be kept (no memory) */
	bool layout_assumed;
};

void setup_result_init(struct setup_result *res);
void setup_result_free(struct setup_result *res);

/*
 * Run the model's memory setup for the guest @in describes.  On success 0.
 * When the real kernel would stop (BUG, panic) the result holds the log up
 * to that point, res->crashed is set and -EFAULT returns with the kernel's
 * own words in @err.  Other errors (-ENOMEM, a hypervisor failure the
 * kernel cannot meet, bad input) return their code.
 */
int setup_run(const struct setup_input *in, struct hv *hv, struct setup_result *res,
	      struct p2msim_err *err);

#endif
