/* SPDX-License-Identifier: MIT */
/* setup/setup-internal.h - helpers the kernel models share. */
#ifndef P2MSIM_SETUP_INTERNAL_H
#define P2MSIM_SETUP_INTERNAL_H

#include "e820/e820.h"
#include "setup/setup.h"
#include "util/page.h"

#define ISA_START_ADDRESS 0xa0000ULL
#define ISA_END_ADDRESS 0x100000ULL
#define EXTRA_MEM_RATIO 10

int setup_log(struct setup_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int setup_log_e820(struct setup_result *res, const struct kernel_model *km, const char *header,
		   const struct e820_table *t, const char *who);
int setup_crash(struct setup_result *res, struct p2msim_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int setup_extra_add(struct setup_result *res, uint64_t start, uint64_t n, struct p2msim_err *err);
int setup_extra_del(struct setup_result *res, uint64_t start, uint64_t n, struct p2msim_err *err);
bool setup_in_extra(const struct setup_result *res, uint64_t pfn);

/* e820__update_table() as the kernel calls it: "nothing to do" (-1) and
 * "too many entries" (-E2BIG) are ignored; -ENOMEM is ours to report. */
int setup_sanitize(struct e820_table *t);
bool setup_e820_reserved(const struct e820_table *t, uint64_t start, uint64_t size);
void setup_stop_at(struct setup_result *res, enum kernel_behaviour check, const char *what,
		   uint64_t start, uint64_t end, const struct e820_table *map);
uint64_t setup_end_of_ram_pfn(const struct e820_table *t);
int setup_read_memory_map(struct setup_result *res, const struct setup_input *in, struct hv *hv,
			  uint64_t mem_end, struct e820_table *map, struct p2msim_err *err);
int setup_apply_cmdline(struct setup_result *res, const struct kernel_model *km,
			const char *cmdline, struct p2msim_err *err);

/* A boot on the three-level tree (2.6.39 - 3.17): what the tree-era models
 * share (setup-tree.c, setup-release.c). */
/* What a kernel model's run works with: its input, the model, the P2M
 * geometry, the hypervisor, and where the result and an error go.  The
 * state of each family (struct tree, struct linear) begins with it. */
struct setup_ctx {
	const struct setup_input *in;
	const struct kernel_model *km;
	const struct p2m_geometry *g;
	struct hv *hv;
	struct setup_result *res;
	struct p2msim_err *err;
};

void setup_ctx_init(struct setup_ctx *c, const struct setup_input *in, struct hv *hv,
		    struct setup_result *res, struct p2msim_err *err);
/* -ENOMEM, "out of memory in the kernel model". */
int setup_oom(const struct setup_ctx *c);

struct tree {
	struct setup_ctx c;
	struct p2m *p;
	struct e820_table map;	   /* the map Xen gave, trimmed in place */
	struct e820_table raw;	   /* map_raw: as Xen gave it */
	uint64_t max_domain_pages; /* MAX_DOMAIN_PAGES */
	uint64_t max_pfn, mem_end;
	uint64_t extra_start; /* xen_extra_mem_start, bytes */
	uint64_t max_p2m_pfn;
};

int tree_brk_crash(struct tree *t, const struct p2msim_err *perr);
int tree_new(struct tree *t);
int tree_read_memory_map(struct tree *t);
uint64_t tree_get_max_pages(struct tree *t, bool dom0_only);
void tree_invalidate(struct tree *t, uint64_t s, uint64_t e_incl);
int tree_identity(struct tree *t, uint64_t s, uint64_t e, uint64_t *total);
void tree_publish(struct tree *t);
int tree_run(const struct setup_input *in, struct hv *hv, struct setup_result *res,
	     struct p2msim_err *err, int (*setup_fn)(struct tree *t));

int setup_run_tree(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		   struct p2msim_err *err);
int setup_run_release(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		      struct p2msim_err *err);
int setup_run_linear(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		     struct p2msim_err *err);

#endif
