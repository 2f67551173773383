/* SPDX-License-Identifier: MIT */
/*
 * util/page.h - the 4 KiB page every layer counts in (x86 PV guests and
 * Xen use no other size for the P2M, the machine map or the balloon), and
 * the frame <-> address conversions, named as in Linux.
 */
#ifndef P2MSIM_UTIL_PAGE_H
#define P2MSIM_UTIL_PAGE_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

/* The frame holding byte @a; the first frame at or after @a; the address
 * of frame @x. */
#define PFN_DOWN(a) ((uint64_t)(a) >> PAGE_SHIFT)
#define PFN_UP(a) (((uint64_t)(a) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((uint64_t)(x) << PAGE_SHIFT)

/* @a rounded down / up to a page boundary. */
#define PAGE_ALIGN_DOWN(a) ((uint64_t)(a)&PAGE_MASK)
#define PAGE_ALIGN_UP(a) (((uint64_t)(a) + PAGE_SIZE - 1) & PAGE_MASK)

#endif
