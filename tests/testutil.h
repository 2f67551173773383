/* SPDX-License-Identifier: MIT */
/*
 * tests/testutil.h - a few helpers shared by the CUnit suites: run a list
 * of suites with the basic runner and turn failures into an exit status
 * that automake's test driver understands.
 */
#ifndef P2MSIM_TESTUTIL_H
#define P2MSIM_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

struct test_suite {
	const char *name;
	const struct test_case *cases; /* terminated by { NULL, NULL } */
};

/* Run the suites; return 0 when every assertion passed, 1 otherwise, 99 on
 * a CUnit setup error.  Optional argv[1] limits the run to one suite. */
static inline int test_run_suites(const struct test_suite *suites, int argc, char **argv)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	for (const struct test_suite *s = suites; s->name; s++) {
		CU_pSuite cs;

		if (argc > 1 && strcmp(argv[1], s->name))
			continue;
		cs = CU_add_suite(s->name, NULL, NULL);
		if (!cs)
			goto setup_error;
		for (const struct test_case *c = s->cases; c->name; c++)
			if (!CU_add_test(cs, c->name, c->fn))
				goto setup_error;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto setup_error;
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;

setup_error:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 99;
}

#endif
