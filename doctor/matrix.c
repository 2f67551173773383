/* SPDX-License-Identifier: MIT */
/*
 * doctor/matrix.c - one machine under several kernel and Xen releases: "will
 * this box still boot dom0 after the upgrade?"  One simulation per kernel and
 * Xen, one line each: boots?, Remapped, max_pfn, the p2m area, the failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doctor/doctor-internal.h"

static const char *xen_name(const struct simulation *sim)
{
	return sim->xen.version[0] ? sim->xen.version : "-";
}

static int xen_cmp(const void *a, const void *b)
{
	const struct xen_model *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

size_t doctor_xen_releases(const char **out, size_t max)
{
	size_t nr, n = 0;
	const struct xen_behaviour_row *rows = xen_behaviours(&nr);
	struct xen_model m[2 * XB_NR_BEHAVIOURS];
	const char *name[2 * XB_NR_BEHAVIOURS];

	for (size_t i = 0; i < nr; i++) {
		const char *v[2] = { rows[i].since, rows[i].until };

		for (int k = 0; k < 2; k++) {
			bool dup = false;

			if (!v[k] || xen_model_init(&m[n], v[k], NULL) < 0 || m[n].warning[0])
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= !xen_cmp(&m[j], &m[n]);
			if (!dup)
				name[n++] = v[k];
		}
	}
	/* sort the names with their models */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && xen_cmp(&m[j - 1], &m[j]) > 0; j--) {
			struct xen_model t = m[j];
			const char *tn = name[j];

			m[j] = m[j - 1];
			m[j - 1] = t;
			name[j] = name[j - 1];
			name[j - 1] = tn;
		}
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = name[i];
	return n < max ? n : max;
}

int doctor_matrix(FILE *f, const struct simulation_options *base, const char *const *kernels,
		  size_t nr_kernels, const char *const *xens, size_t nr_xens,
		  struct p2msim_err *err)
{
	const char *table[2 * KB_NR_BEHAVIOURS];
	const char *one[1] = { base->xen };

	if (!kernels) {
		nr_kernels = doctor_kernel_releases(table, 2 * KB_NR_BEHAVIOURS);
		kernels = table;
	}
	if (!xens) {
		xens = one;
		nr_xens = 1;
	}
	fprintf(f, "%-22s %-6s %-6s %-10s %-12s %-12s %s\n", "kernel", "Xen", "boots", "Remapped",
		"max_pfn", "p2m area", "failure");
	for (size_t i = 0; i < nr_kernels * nr_xens; i++) {
		struct simulation_options o = *base;
		struct simulation sim;
		struct p2msim_err e = { 0 };
		int rc;

		o.kernel = kernels[i / nr_xens];
		o.xen = xens[i % nr_xens];
		rc = simulation_run(&o, &sim, &e);
		if (rc < 0 && rc != -EFAULT && !sim.res.nr_log) {
			simulation_free(&sim);
			/* an error of the input is the same for every kernel */
			if (rc != -EINVAL && rc != -ENOTSUP)
				return p2msim_err_set(err, rc, "%s", e.msg);
			fprintf(f, "%-22s %-6s %-6s %-10s %-12s %-12s %s\n", o.kernel,
				o.xen ? o.xen : "-", "-", "-", "-", "-", e.msg);
			continue;
		}
		if (rc == 0 && !sim.res.crashed) {
			char mp[24], area[24];

			snprintf(mp, sizeof(mp), "%#" PRIx64, sim.res.max_pfn);
			snprintf(area, sizeof(area), sim.res.vm_size ? "%#" PRIx64 : "-",
				 sim.res.vm_size);
			fprintf(f, "%-22s %-6s %-6s %-10" PRIu64 " %-12s %-12s %s\n", o.kernel,
				xen_name(&sim), "yes", sim.res.remapped, mp, area, "-");
		} else {
			const char *words = sim.res.nr_log ? sim.res.log[sim.res.nr_log - 1] :
							     e.msg;
			/* the placement a stop depends on, when assumed */
			const char *assumed = words != e.msg ? strstr(e.msg, "; assumed: ") : NULL;

			fprintf(f, "%-22s %-6s %-6s %-10s %-12s %-12s %s%s\n", o.kernel,
				xen_name(&sim), "no", "-", "-", "-", words, assumed ? assumed : "");
		}
		simulation_free(&sim);
	}
	return ferror(f) ? p2msim_err_set(err, -EIO, "write error") : 0;
}
