/* SPDX-License-Identifier: MIT */
/*
 * hv/xen-stub.c - the xen backend's entry points when p2msim is built
 * without libxen*: every one says so.
 */
#include <errno.h>
#include <stddef.h>

#include "hv/hv.h"

static int no_xen(struct p2msim_err *err)
{
	return p2msim_err_set(err, -EOPNOTSUPP,
			      "p2msim was built without Xen support (configure --with-xen; "
			      "needs libxen-dev)");
}

int hv_xen_open(struct hv **out, struct p2msim_err *err)
{
	return hv_xen_open_env(out, NULL, err);
}

int hv_xen_open_env(struct hv **out, const struct hv_xen_env *env, struct p2msim_err *err)
{
	(void)env;
	if (out)
		*out = NULL;
	return no_xen(err);
}

int hv_xen_allow_modify(struct hv *hv, hv_domid_t domid, struct p2msim_err *err)
{
	(void)hv;
	(void)domid;
	return no_xen(err);
}

int hv_xen_destroy_scratch(struct hv *hv, struct p2msim_err *err)
{
	(void)hv;
	(void)err;
	return 0;
}

size_t hv_xen_scratch_domains(const struct hv *hv, hv_domid_t *ids, size_t max)
{
	(void)hv;
	(void)ids;
	(void)max;
	return 0;
}
