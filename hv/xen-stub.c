/* SPDX-License-Identifier: MIT */
/*
 * hv/xen-stub.c - hv_xen_open() when p2msim is built without libxen*.
 */
#include <errno.h>
#include <stddef.h>

#include "hv/hv.h"

int hv_xen_open(struct hv **out, struct p2msim_err *err)
{
	if (out)
		*out = NULL;
	return p2msim_err_set(err, -EOPNOTSUPP,
			      "p2msim was built without Xen support (configure --with-xen)");
}
