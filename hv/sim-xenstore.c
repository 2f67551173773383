/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-xenstore.c - the in-memory Xen's xenstore: a flat list of nodes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

/* --- xenstore ------------------------------------------------------------------------------ */

/* Relative paths are relative to the current domain's home. */
static char *xs_abs_path(const struct hv_sim *s, const char *path)
{
	size_t n = strlen(path) + 32;
	char *p = malloc(n);

	if (!p)
		return NULL;
	if (path[0] == '/')
		snprintf(p, n, "%s", path);
	else
		snprintf(p, n, "/local/domain/%u/%s", s->current, path);
	return p;
}

static struct sim_xs_node *xs_find(const struct hv_sim *s, const char *path)
{
	for (size_t i = 0; i < s->nr_xs; i++)
		if (!strcmp(s->xs[i].path, path))
			return &s->xs[i];
	return NULL;
}

int sim_xs_read(struct hv *hv, const char *path, char **value, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_xs_node *x;
	char *abs;
	int rc = sim_enter(s, "xs_read", NULL, err);

	*value = NULL;
	if (rc < 0)
		return rc;
	abs = xs_abs_path(s, path);
	if (!abs)
		return p2msim_err_set(err, sim_oom(s), "xs_read: out of memory");
	x = xs_find(s, abs);
	if (!x) {
		rc = p2msim_err_set(err, -ENOENT, "xs_read %s: no such node", abs);
		free(abs);
		return rc;
	}
	free(abs);
	*value = strdup(x->value);
	if (!*value)
		return p2msim_err_set(err, sim_oom(s), "xs_read: out of memory");
	return 0;
}

int sim_xs_write(struct hv *hv, const char *path, const char *value, struct p2msim_err *err)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_xs_node *x;
	char *abs, *v;
	int rc = sim_enter(s, "xs_write", NULL, err);

	if (rc < 0)
		return rc;
	abs = xs_abs_path(s, path);
	v = strdup(value);
	if (!abs || !v)
		goto nomem;
	x = xs_find(s, abs);
	if (x) {
		free(abs);
		free(x->value);
		x->value = v;
		return 0;
	}
	if (s->nr_xs == s->alloc_xs) {
		size_t n = s->alloc_xs ? 2 * s->alloc_xs : 16;
		struct sim_xs_node *nx = realloc(s->xs, n * sizeof(*nx));

		if (!nx)
			goto nomem;
		s->xs = nx;
		s->alloc_xs = n;
	}
	s->xs[s->nr_xs].path = abs;
	s->xs[s->nr_xs].value = v;
	s->nr_xs++;
	return 0;

nomem:
	free(abs);
	free(v);
	return p2msim_err_set(err, sim_oom(s), "xs_write: out of memory");
}
