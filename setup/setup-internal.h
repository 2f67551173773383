/* SPDX-License-Identifier: MIT */
/* setup/setup-internal.h - helpers the kernel models share. */
#ifndef P2MSIM_SETUP_INTERNAL_H
#define P2MSIM_SETUP_INTERNAL_H

#include "setup/setup.h"

#define PAGE_SHIFT_4K 12
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT_4K)
#define PFN_UP(x) (((x) + 0xfffULL) >> PAGE_SHIFT_4K)
#define PFN_PHYS(x) ((uint64_t)(x) << PAGE_SHIFT_4K)
#define ISA_START_ADDRESS 0xa0000ULL
#define ISA_END_ADDRESS 0x100000ULL
#define EXTRA_MEM_RATIO 10

int setup_log(struct setup_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int setup_log_e820(struct setup_result *res, const struct kernel_model *km,
		   const char *header, const struct e820_table *t, const char *who);
int setup_crash(struct setup_result *res, struct p2msim_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int setup_extra_add(struct setup_result *res, uint64_t start, uint64_t n,
		    struct p2msim_err *err);
int setup_extra_del(struct setup_result *res, uint64_t start, uint64_t n,
		    struct p2msim_err *err);
bool setup_in_extra(const struct setup_result *res, uint64_t pfn);

bool setup_e820_reserved(const struct e820_table *t, uint64_t start, uint64_t size);
uint64_t setup_end_of_ram_pfn(const struct e820_table *t);
int setup_apply_cmdline(struct setup_result *res, const struct kernel_model *km,
			const char *cmdline, struct p2msim_err *err);

int setup_run_tree(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		   struct p2msim_err *err);
int setup_run_linear(const struct setup_input *in, struct hv *hv, struct setup_result *res,
		     struct p2msim_err *err);

#endif
