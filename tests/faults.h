/* SPDX-License-Identifier: MIT */
/*
 * tests/faults.h - a test-only allocation-failure injector.
 *
 * Test programs that link tests/faults.c with FAULT_WRAP_FLAGS
 * (-Wl,--wrap=malloc,...) route every allocation the library makes
 * through it: malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * strdup, strndup, the json-c constructors and adders the library calls,
 * json-c's tokener and serializer, fopen and opendir.  Library code keeps
 * no state for this: the wrapping is done by the linker, for these test
 * programs only, and the state below lives in tests/faults.c.
 *
 * fault_arm(k, mode) counts the calls from now on and makes call number k
 * fail (FAULT_ONE), or call k and every later one (FAULT_FROM), exactly
 * as a failing allocator would: NULL with errno ENOMEM, -1 from the json-c
 * adders (which then do not take the value).  fault_sweep() runs an
 * operation once to count its calls, then once for every k, and checks
 * that each run ends cleanly: success, or the operation's own error with a
 * message; nothing allocated through the wrappers left live; and, in an
 * AddressSanitizer build, no leak anywhere (LeakSanitizer, once a sweep).
 *
 * To debug a finding: P2MSIM_FAULTS_SWEEP=TEXT runs only the sweeps whose
 * name contains TEXT, and P2MSIM_FAULTS_BACKTRACE=K prints a backtrace of
 * call K (resolve it with addr2line -f -e tests/test-faults).
 */
#ifndef P2MSIM_TESTS_FAULTS_H
#define P2MSIM_TESTS_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum fault_mode {
	FAULT_ONE,  /* only call k fails */
	FAULT_FROM, /* call k and every later one fail */
};

/* Start counting; call k (1-based) fails.  k == 0 only counts. */
void fault_arm(unsigned long k, enum fault_mode mode);
/* Stop counting and failing; returns the number of calls counted. */
unsigned long fault_disarm(void);
/* Did the armed failure happen? */
bool fault_fired(void);
/* Checks an operation makes of its own state (p2m_check, hv_sim_check)
 * allocate too: between fault_pause() and fault_resume() calls are neither
 * counted nor failed (they are still tracked as live blocks). */
void fault_pause(void);
void fault_resume(void);
/* Blocks allocated through the wrappers and not freed yet. */
size_t fault_live(void);
/* Run LeakSanitizer now (AddressSanitizer builds): 0 when no leak, or
 * when there is no LeakSanitizer. */
int fault_leak_check(void);

/*
 * The operation under test: runs to the end (freeing everything it
 * allocated, on success and on failure) and returns 0 or a negative errno,
 * with the message in err.  It must behave the same on every run.  It may
 * check its own invariants (p2m_check after a failed step, a table
 * unchanged by a failed sanitize) and report a violation with
 * FAULT_BROKEN, which fails the sweep whatever the return code.
 */
#define FAULT_BROKEN (-100000)
typedef int (*fault_op)(void *ctx, struct p2msim_err *err);

struct fault_sweep_result {
	unsigned long calls;	   /* allocation calls of a clean run */
	unsigned long runs;	   /* runs with an injected failure */
	unsigned long failed_runs; /* ... that returned an error */
	unsigned long bad;	   /* runs that did not end cleanly */
};

/*
 * Sweep k = 1 .. calls in both modes.  ok_codes lists the error codes a
 * failure may produce (0-terminated; NULL means -ENOMEM only).  Prints one
 * line per bad run (at most a few) and returns the number of bad runs.
 */
unsigned long fault_sweep(const char *name, fault_op op, void *ctx, const int *ok_codes,
			  struct fault_sweep_result *res);

#endif
