/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz-simulate.c - "p2msim simulate" end to end on a fuzzed
 * machine map: simulation_run (map reading, dom0_mem, the sim hypervisor
 * and its domain builder, the kernel model's memory setup), then what the
 * command prints (JSON, dump, runs, pictures), then a balloon step.
 *
 * Input: a flag byte, then "DOM0_MEM\nCMDLINE\nBALLOON\nMAP".
 *   flags bits 0-2: kernel (2.6.39, 3.8, 3.16, 4.19, 5.10, 6.1, 6.12, 3.18
 *                   which is refused), bit 3: a domU, bit 4: x86_32,
 *   bit 5: CONFIG_XEN_512GB=n, bit 6: the DOM0_MEM line is --nr-pages,
 *   bit 7: run the balloon to the BALLOON line (xl mem-set units).
 * The map goes through a memfd, as a file would.  The domain is kept to
 * 1 GiB (dom0_mem, or --nr-pages capped; the map itself may be any size):
 * the checks after a boot visit every pfn, and at 4 GiB a run took a
 * quarter of a second, four executions a second; the P2M and the frames
 * of a dense 1 TiB guest take gigabytes, which is the size of the thing
 * being simulated, not a bug.
 *
 * Properties: an error has a message; -EFAULT (the kernel stops) comes
 * with res.crashed; a finished boot passes p2m_check, the M2P check and
 * the hypervisor's own check, and so does the guest after the balloon.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "balloon/balloon.h"
#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "sim/sim.h"
#include "xen/dom0-mem.h"
#include "tests/fuzz/fuzz.h"

#define MAX_PAGES_FUZZED (1ULL << 18) /* 1 GiB */

static const char *const kernels[] = { "2.6.39", "3.8", "3.16", "4.19",
				       "5.10",	 "6.1", "6.12", "3.18" };

static uint64_t m2p_of(void *hv, uint64_t mfn)
{
	return hv_sim_m2p_lookup(hv, mfn);
}

static void check_guest(const struct simulation *sim, const char *when)
{
	struct p2msim_err err;

	p2msim_err_clear(&err);
	FUZZ_CHECK(p2m_check(sim->res.p2m, &err) == 0, "%s: p2m_check: %s", when, err.msg);
	FUZZ_CHECK(p2m_check_m2p(sim->res.p2m, m2p_of, sim->hv, &err) == 0, "%s: M2P: %s", when,
		   err.msg);
	FUZZ_CHECK(hv_sim_check(sim->hv, &err) == 0, "%s: hv_sim_check: %s", when, err.msg);
}

static void outputs(const struct simulation *sim)
{
	struct p2msim_err err;
	struct json_object *j = simulation_to_json(sim);
	struct dump_runs r;

	FUZZ_CHECK(j && json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "JSON");
	json_object_put(j);
	FUZZ_CHECK(simulation_diagram(fuzz_null(), sim, 100, &err) == 0, "diagram: %s", err.msg);
	FUZZ_CHECK(simulation_svg(fuzz_null(), sim, &err) == 0, "svg: %s", err.msg);
	if (sim->res.p2m && sim->res.p2m_size <= p2m_capacity(sim->res.p2m)) {
		FUZZ_CHECK(dump_runs_from_p2m(&r, sim->res.p2m, 0, sim->res.max_pfn, &err) == 0,
			   "runs: %s", err.msg);
		dump_runs_free(&r);
	}
}

static void no_log(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void balloon(struct simulation *sim, const char *target)
{
	struct balloon *b;
	struct balloon_result res;
	struct p2msim_err err;
	uint64_t kib;
	int rc;

	/* a bounded target: the frames to populate come from the sim */
	if (balloon_xl_parse_mem(target, &kib, NULL) || kib / 4 > MAX_PAGES_FUZZED)
		return;
	p2msim_err_clear(&err);
	rc = simulation_balloon_new(&b, sim, no_log, NULL, &err);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		return;
	}
	rc = balloon_mem_set_and_run(b, target, 3600, NULL, &res, &err);
	if (rc)
		FUZZ_CHECK_ERR(rc, err);
	simulation_refresh(sim);
	check_guest(sim, "after the balloon");
	balloon_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct simulation_options o;
	struct simulation sim;
	struct p2msim_err err;
	char path[64], *dom0_mem, *cmdline, *target;
	const uint8_t *rest;
	size_t rest_len;
	unsigned int flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0];
	dom0_mem = fuzz_split_line(data + 1, size - 1, &rest, &rest_len);
	cmdline = fuzz_split_line(rest, rest_len, &rest, &rest_len);
	target = fuzz_split_line(rest, rest_len, &rest, &rest_len);

	if (fd < 0 && (fd = memfd_create("fuzz-map", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, rest, rest_len, 0) != (ssize_t)rest_len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	simulation_options_init(&o);
	o.e820_path = path;
	o.kernel = kernels[flags & 7];
	o.domu = flags & 8;
	o.domu_set = true;
	o.arch = flags & 16 ? P2M_ARCH_X86_32 : P2M_ARCH_X86_64;
	if (flags & 32)
		(void)kernel_config_set(&o.kconfig, "XEN_512GB=n", NULL);
	o.cmdline = cmdline;
	if (flags & 64) {
		o.nr_pages = strtoull(dom0_mem, NULL, 0);
		if (!o.nr_pages || o.nr_pages > MAX_PAGES_FUZZED)
			o.nr_pages = 1 + o.nr_pages % MAX_PAGES_FUZZED;
	} else {
		struct dom0_mem dm;
		uint64_t nr = UINT64_MAX, max;
		struct e820_doc doc;

		/* dom0_mem as given if it keeps the domain small, else 512M */
		o.dom0_mem = "512M";
		if (dom0_mem_parse(dom0_mem, &dm, NULL) == 0 &&
		    e820_parse_buffer("map", (const char *)rest, rest_len, &doc, NULL) == 0) {
			if (dom0_mem_compute(&dm, &doc.maps[0].table, &nr, &max, NULL) == 0 &&
			    nr <= MAX_PAGES_FUZZED && dm.seen)
				o.dom0_mem = dom0_mem;
			e820_doc_free(&doc);
		}
		if (o.domu)
			o.nr_pages = MAX_PAGES_FUZZED / 4;
	}

	p2msim_err_clear(&err);
	rc = simulation_run(&o, &sim, &err);
	if (getenv("P2MSIM_FUZZ_TRACE"))
		fprintf(stderr, "kernel %s %s dom0_mem %s nr_pages %" PRIu64 ": rc %d %s\n",
			o.kernel, o.domu ? "domU" : "dom0", o.dom0_mem ? o.dom0_mem : "-",
			o.nr_pages, rc, err.msg);
	if (rc) {
		FUZZ_CHECK_ERR(rc, err);
		FUZZ_CHECK(rc != -EFAULT || sim.res.crashed, "-EFAULT without a crash");
	} else {
		FUZZ_CHECK(sim.res.p2m && !sim.res.crashed, "a boot without a P2M");
		check_guest(&sim, "after the boot");
		outputs(&sim);
		if (flags & 128)
			balloon(&sim, target);
	}
	simulation_free(&sim);
	free(dom0_mem);
	free(cmdline);
	free(target);
	return 0;
}
