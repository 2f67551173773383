/* SPDX-License-Identifier: MIT */
/*
 * hv/xen-env.c - can this process talk to Xen as dom0?  The checks the xen
 * backend makes before it opens libxenctrl, built with or without Xen
 * support so that their messages are tested everywhere.
 *
 * libxenctrl's own failure for each case is an errno from open(2) or from
 * the first hypercall (EACCES, ENOENT, EPERM), which does not tell a user
 * whether to use sudo, load a module or log in to another machine.  So the
 * three situations are told apart first:
 *
 *   not root      /dev/xen/privcmd is root's only (mode 0600)
 *   no privcmd    not running on Xen at all, or xen-privcmd/xenfs missing
 *   not dom0      a Xen guest whose /proc/xen/capabilities lacks control_d
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/hv.h"

void hv_xen_env_default(struct hv_xen_env *env)
{
	env->privcmd = "/dev/xen/privcmd";
	env->capabilities = "/proc/xen/capabilities";
	env->hypervisor_type = "/sys/hypervisor/type";
	env->euid = -1;
}

/* The first line of a small file, without its newline; false if it
 * cannot be read. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

int hv_xen_preflight(const struct hv_xen_env *env, struct p2msim_err *err)
{
	struct hv_xen_env def;
	struct stat st;
	char line[256];
	long euid;

	if (!env) {
		hv_xen_env_default(&def);
		env = &def;
	}
	euid = env->euid >= 0 ? env->euid : (long)geteuid();
	if (stat(env->privcmd, &st) != 0) {
		if (read_line(env->hypervisor_type, line, sizeof(line)) && !strcmp(line, "xen"))
			return p2msim_err_set(
				err, -ENOENT,
				"%s does not exist: this system runs on Xen, but the "
				"xen-privcmd driver is not loaded (modprobe xen-privcmd; "
				"mount -t xenfs xenfs /proc/xen)",
				env->privcmd);
		return p2msim_err_set(
			err, -ENOENT,
			"%s does not exist: not running on Xen (p2msim live reads a "
			"live hypervisor from its dom0; 'p2msim simulate' works anywhere)",
			env->privcmd);
	}
	if (euid != 0)
		return p2msim_err_set(err, -EACCES,
				      "p2msim live needs root: libxenctrl talks to Xen through %s, "
				      "which only root may open (run it as root in dom0)",
				      env->privcmd);
	/* Without xenfs there is no capabilities file; libxenctrl will say. */
	if (read_line(env->capabilities, line, sizeof(line)) && !strstr(line, "control_d"))
		return p2msim_err_set(err, -EPERM,
				      "not dom0: %s says '%s', not control_d (this is a Xen guest; "
				      "p2msim live must run in the control domain)",
				      env->capabilities, line);
	return 0;
}
