/* SPDX-License-Identifier: MIT */
/*
 * tests/faults.c - the allocation-failure injector of tests/faults.h.
 *
 * Link with -Wl,--wrap=SYMBOL for each symbol below (FAULT_WRAP_FLAGS in
 * tests/Makefile.inc): the linker then sends the calls that the test
 * program and the library objects make to __wrap_SYMBOL, which counts,
 * fails when told to, and otherwise calls the real function.  Calls made
 * inside shared libraries (json-c's own mallocs, libc's) are not seen;
 * the json-c and stdio entry points the library uses are wrapped instead.
 */
#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tests/faults.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTS_HAVE_LSAN 1
#endif
#endif
#ifdef FAULTS_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* --- the real functions ---------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
FILE *__real_fopen(const char *path, const char *mode);
DIR *__real_opendir(const char *path);
struct json_object *__real_json_object_new_object(void);
struct json_object *__real_json_object_new_array(void);
struct json_object *__real_json_object_new_string(const char *s);
struct json_object *__real_json_object_new_int64(int64_t v);
struct json_object *__real_json_object_new_uint64(uint64_t v);
int __real_json_object_array_add(struct json_object *arr, struct json_object *v);
int __real_json_object_object_add(struct json_object *o, const char *key, struct json_object *v);
struct json_tokener *__real_json_tokener_new(void);
const char *__real_json_object_to_json_string_ext(struct json_object *o, int flags);

/* The wrappers are only ever called through the linker's renaming. */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
FILE *__wrap_fopen(const char *path, const char *mode);
DIR *__wrap_opendir(const char *path);
struct json_object *__wrap_json_object_new_object(void);
struct json_object *__wrap_json_object_new_array(void);
struct json_object *__wrap_json_object_new_string(const char *s);
struct json_object *__wrap_json_object_new_int64(int64_t v);
struct json_object *__wrap_json_object_new_uint64(uint64_t v);
int __wrap_json_object_array_add(struct json_object *arr, struct json_object *v);
int __wrap_json_object_object_add(struct json_object *o, const char *key, struct json_object *v);
struct json_tokener *__wrap_json_tokener_new(void);
const char *__wrap_json_object_to_json_string_ext(struct json_object *o, int flags);

/* --- state (test program only) ------------------------------------------------ */

static struct {
	bool armed, fired;
	enum fault_mode mode;
	unsigned long calls, fail_at;
	bool trace;	     /* this sweep matches P2MSIM_FAULTS_SWEEP */
	unsigned int paused; /* fault_pause() depth */
} fs;

static bool should_fail(void)
{
	if (!fs.armed || fs.paused)
		return false;
	fs.calls++;
	if (fs.fail_at &&
	    (fs.calls == fs.fail_at || (fs.mode == FAULT_FROM && fs.calls > fs.fail_at))) {
		/* P2MSIM_FAULTS_BACKTRACE=K (and P2MSIM_FAULTS_SWEEP=part of
		 * a sweep's name): where call K is, to debug a finding; resolve
		 * the addresses with addr2line -f -e tests/test-faults */
		const char *bt = getenv("P2MSIM_FAULTS_BACKTRACE");

		if (bt && fs.trace && strtoul(bt, NULL, 0) == fs.calls) {
			void *frames[32];

			fprintf(stderr, "faults: call %lu fails here:\n", fs.calls);
			backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
		}
		fs.fired = true;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void fault_arm(unsigned long k, enum fault_mode mode)
{
	fs.armed = true;
	fs.fired = false;
	fs.mode = mode;
	fs.calls = 0;
	fs.fail_at = k;
}

unsigned long fault_disarm(void)
{
	fs.armed = false;
	return fs.calls;
}

bool fault_fired(void)
{
	return fs.fired;
}

void fault_pause(void)
{
	fs.paused++;
}

void fault_resume(void)
{
	if (fs.paused)
		fs.paused--;
}

/* --- live blocks: an open-addressing set of pointers ------------------------- */

#define TRACK_SLOTS (1u << 20)
static uintptr_t *track;
static size_t track_live;

static size_t track_home(uintptr_t p)
{
	return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ULL >> 44) & (TRACK_SLOTS - 1);
}

static void track_add(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	size_t i;

	if (!p)
		return;
	if (!track) {
		track = __real_calloc(TRACK_SLOTS, sizeof(*track));
		if (!track)
			abort();
	}
	if (track_live >= TRACK_SLOTS / 2) {
		fputs("faults: more live blocks than the tracker holds\n", stderr);
		abort();
	}
	for (i = track_home(p); track[i]; i = (i + 1) & (TRACK_SLOTS - 1))
		if (track[i] == p)
			return;
	track[i] = p;
	track_live++;
}

static void track_del(void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	size_t i, j;

	if (!p || !track)
		return;
	for (i = track_home(p); track[i] != p; i = (i + 1) & (TRACK_SLOTS - 1))
		if (!track[i])
			return; /* not ours (allocated inside a library) */
	track[i] = 0;
	track_live--;
	/* backward-shift deletion keeps every probe chain unbroken */
	for (j = (i + 1) & (TRACK_SLOTS - 1); track[j]; j = (j + 1) & (TRACK_SLOTS - 1)) {
		size_t h = track_home(track[j]);

		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			track[i] = track[j];
			track[j] = 0;
			i = j;
		}
	}
}

size_t fault_live(void)
{
	return track_live;
}

int fault_leak_check(void)
{
#ifdef FAULTS_HAVE_LSAN
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

/* --- wrappers ------------------------------------------------------------------- */

void *__wrap_malloc(size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_malloc(n);
	track_add(p);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_calloc(n, size);
	track_add(p);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_realloc(old, n);
	if (p || !n) {
		track_del(old);
		track_add(p);
	}
	return p;
}

void __wrap_free(void *p)
{
	track_del(p);
	__real_free(p);
}

int __wrap_posix_memalign(void **out, size_t align, size_t n)
{
	int rc;

	if (should_fail())
		return ENOMEM;
	rc = __real_posix_memalign(out, align, n);
	if (!rc)
		track_add(*out);
	return rc;
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_aligned_alloc(align, n);
	track_add(p);
	return p;
}

char *__wrap_strdup(const char *s)
{
	char *p;

	if (should_fail())
		return NULL;
	p = __real_strdup(s);
	track_add(p);
	return p;
}

char *__wrap_strndup(const char *s, size_t n)
{
	char *p;

	if (should_fail())
		return NULL;
	p = __real_strndup(s, n);
	track_add(p);
	return p;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	return should_fail() ? NULL : __real_fopen(path, mode);
}

DIR *__wrap_opendir(const char *path)
{
	return should_fail() ? NULL : __real_opendir(path);
}

struct json_object *__wrap_json_object_new_object(void)
{
	return should_fail() ? NULL : __real_json_object_new_object();
}

struct json_object *__wrap_json_object_new_array(void)
{
	return should_fail() ? NULL : __real_json_object_new_array();
}

struct json_object *__wrap_json_object_new_string(const char *s)
{
	return should_fail() ? NULL : __real_json_object_new_string(s);
}

struct json_object *__wrap_json_object_new_int64(int64_t v)
{
	return should_fail() ? NULL : __real_json_object_new_int64(v);
}

struct json_object *__wrap_json_object_new_uint64(uint64_t v)
{
	return should_fail() ? NULL : __real_json_object_new_uint64(v);
}

int __wrap_json_object_array_add(struct json_object *arr, struct json_object *v)
{
	return should_fail() ? -1 : __real_json_object_array_add(arr, v);
}

int __wrap_json_object_object_add(struct json_object *o, const char *key, struct json_object *v)
{
	return should_fail() ? -1 : __real_json_object_object_add(o, key, v);
}

struct json_tokener *__wrap_json_tokener_new(void)
{
	return should_fail() ? NULL : __real_json_tokener_new();
}

const char *__wrap_json_object_to_json_string_ext(struct json_object *o, int flags)
{
	return should_fail() ? NULL : __real_json_object_to_json_string_ext(o, flags);
}

/* --- the sweep ---------------------------------------------------------------------- */

static bool code_ok(int rc, const int *ok)
{
	if (!ok)
		return rc == -ENOMEM;
	for (; *ok; ok++)
		if (rc == *ok)
			return true;
	return false;
}

unsigned long fault_sweep(const char *name, fault_op op, void *ctx, const int *ok_codes,
			  struct fault_sweep_result *res)
{
	static const enum fault_mode modes[] = { FAULT_ONE, FAULT_FROM };
	struct fault_sweep_result r = { 0, 0, 0, 0 };
	struct p2msim_err err;
	size_t live0 = fault_live();
	const char *only = getenv("P2MSIM_FAULTS_SWEEP");
	int rc, rc0;

	/* P2MSIM_FAULTS_SWEEP=part of a name: only the sweeps it names run
	 * (to debug one finding); "make check" does not set it */
	fs.trace = !only || strstr(name, only);
	if (!fs.trace) {
		if (res)
			*res = r;
		return 0;
	}

	/* a clean run: counts the calls; it succeeds, or fails with one of
	 * the codes allowed (an input that is meant to be refused) */
	p2msim_err_clear(&err);
	fault_arm(0, FAULT_ONE);
	rc0 = rc = op(ctx, &err);
	r.calls = fault_disarm();
	if ((rc && !code_ok(rc, ok_codes)) || fault_live() != live0) {
		printf("\n    %s: clean run: rc %d (%s), %zu blocks left\n", name, rc, err.msg,
		       fault_live() - live0);
		r.bad++;
	}
	for (unsigned int m = 0; m < 2 && !r.bad; m++) {
		for (unsigned long k = 1; k <= r.calls; k++) {
			const char *why = NULL;

			p2msim_err_clear(&err);
			fault_arm(k, modes[m]);
			rc = op(ctx, &err);
			fault_disarm();
			if (!fault_fired()) {
				why = "the failure was never injected (the operation is not deterministic)";
			} else if (rc == FAULT_BROKEN) {
				why = err.msg[0] ? err.msg : "an invariant broke";
			} else if (rc != rc0 && !code_ok(rc, ok_codes)) {
				why = "unexpected error code";
			} else if (!rc && rc0) {
				why = "a failed allocation made a refused input succeed";
			} else if (rc && (err.code != rc || !err.msg[0])) {
				why = "error without its message";
			} else if (fault_live() != live0) {
				why = "allocations left behind (a leak)";
			}
			r.runs++;
			r.failed_runs += rc != 0;
			if (why) {
				if (r.bad < 5)
					printf("\n    %s: %s call %lu fails: rc %d '%s': %s", name,
					       modes[m] == FAULT_ONE ? "only" : "from", k, rc,
					       err.msg, why);
				r.bad++;
				/* report a leak once, not for every later k */
				live0 = fault_live();
			}
		}
	}
	if (fault_leak_check()) {
		printf("\n    %s: LeakSanitizer found leaks (above)", name);
		r.bad++;
	}
	if (res)
		*res = r;
	return r.bad;
}
