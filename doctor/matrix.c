/* SPDX-License-Identifier: MIT */
/*
 * doctor/matrix.c - one machine under several kernel releases: "will this
 * box still boot dom0 after the upgrade?"  One simulation per release, one
 * line each: boots?, Remapped, max_pfn, the p2m area, the failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doctor/doctor-internal.h"

int doctor_matrix(FILE *f, const struct simulation_options *base, const char *const *kernels,
		  size_t nr_kernels, struct p2msim_err *err)
{
	const char *table[2 * KB_NR_BEHAVIOURS];

	if (!kernels) {
		nr_kernels = doctor_kernel_releases(table, 2 * KB_NR_BEHAVIOURS);
		kernels = table;
	}
	fprintf(f, "%-22s %-6s %-10s %-12s %-12s %s\n", "kernel", "boots", "Remapped", "max_pfn",
		"p2m area", "failure");
	for (size_t i = 0; i < nr_kernels; i++) {
		struct simulation_options o = *base;
		struct simulation sim;
		struct p2msim_err e = { 0 };
		int rc;

		o.kernel = kernels[i];
		rc = simulation_run(&o, &sim, &e);
		if (rc < 0 && rc != -EFAULT && !sim.res.nr_log) {
			simulation_free(&sim);
			/* an error of the input is the same for every kernel */
			if (rc != -EINVAL && rc != -ENOTSUP)
				return p2msim_err_set(err, rc, "%s", e.msg);
			fprintf(f, "%-22s %-6s %-10s %-12s %-12s %s\n", kernels[i], "-", "-", "-", "-",
				e.msg);
			continue;
		}
		if (rc == 0 && !sim.res.crashed) {
			char mp[24], area[24];

			snprintf(mp, sizeof(mp), "%#" PRIx64, sim.res.max_pfn);
			snprintf(area, sizeof(area), sim.res.vm_size ? "%#" PRIx64 : "-",
				 sim.res.vm_size);
			fprintf(f, "%-22s %-6s %-10" PRIu64 " %-12s %-12s %s\n", kernels[i], "yes",
				sim.res.remapped, mp, area, "-");
		} else {
			const char *words = sim.res.nr_log ? sim.res.log[sim.res.nr_log - 1] : e.msg;

			fprintf(f, "%-22s %-6s %-10s %-12s %-12s %s\n", kernels[i], "no", "-", "-", "-",
				words);
		}
		simulation_free(&sim);
	}
	return ferror(f) ? p2msim_err_set(err, -EIO, "write error") : 0;
}
