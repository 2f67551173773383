/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "p2m/p2m-internal.h"

static const struct p2m_geometry geometries[] = {
	[P2M_ARCH_X86_64] = {
		.arch = P2M_ARCH_X86_64, .name = "x86_64",
		.leaf_shift = 9, .mid_shift = 9, .top_shift = 9, .value_bits = 64,
		.invalid = ~0ULL, .foreign_bit = 1ULL << 63, .identity_bit = 1ULL << 62,
		.max_mfn = (1ULL << 62) - 1, .pmds_per_mid = 1,
	},
	[P2M_ARCH_X86_32] = {
		.arch = P2M_ARCH_X86_32, .name = "x86_32",
		.leaf_shift = 10, .mid_shift = 10, .top_shift = 10, .value_bits = 32,
		.invalid = 0xffffffffULL, .foreign_bit = 1ULL << 31, .identity_bit = 1ULL << 30,
		.max_mfn = (1ULL << 30) - 1, .pmds_per_mid = 2,
	},
};

const struct p2m_geometry *p2m_geometry_of(enum p2m_arch arch)
{
	return &geometries[arch];
}

int p2m_arch_parse(const char *name, enum p2m_arch *arch)
{
	if (!strcmp(name, "x86_64") || !strcmp(name, "x86-64") || !strcmp(name, "amd64"))
		*arch = P2M_ARCH_X86_64;
	else if (!strcmp(name, "x86_32") || !strcmp(name, "x86-32") || !strcmp(name, "i386"))
		*arch = P2M_ARCH_X86_32;
	else
		return -EINVAL;
	return 0;
}
