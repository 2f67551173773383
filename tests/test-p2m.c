/* SPDX-License-Identifier: MIT */
#include "p2m/p2m-internal.h"
#include "tests/testutil.h"

static void test_geometry_x86_64(void)
{
	const struct p2m_geometry *g = p2m_geometry_of(P2M_ARCH_X86_64);

	CU_ASSERT_EQUAL(1u << g->leaf_shift, 512);
	CU_ASSERT_EQUAL(g->invalid, 0xffffffffffffffffULL);
	CU_ASSERT_EQUAL(g->identity_bit, 0x4000000000000000ULL);
}

static const struct test_case geometry_cases[] = {
	{ "geometry_x86_64", test_geometry_x86_64 },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "geometry", geometry_cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
