/* SPDX-License-Identifier: MIT */
/*
 * e820/e820-sysfs.c - the /sys/firmware/memmap directory: the firmware's
 * map as the kernel kept it before any change, one numbered subdirectory
 * per entry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e820/e820-parse.h"

static int read_attr(const char *dir, const char *sub, const char *attr, char *val, size_t len,
		     struct p2msim_err *err)
{
	char path[PATH_MAX];
	char *buf;
	size_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	rc = parse_read_fd(fd, path, &buf, &n, err);
	close(fd);
	if (rc)
		return rc;
	while (n && (buf[n - 1] == '\n' || text_is_space(buf[n - 1])))
		n--;
	if (n >= len || memchr(buf, '\0', n) || memchr(buf, '\n', n)) {
		free(buf);
		return p2msim_err_set(err, -EINVAL, "%s:1: not a one-line value", path);
	}
	memcpy(val, buf, n);
	val[n] = '\0';
	free(buf);
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* /sys/firmware/memmap: numbered subdirectories with start, end
 * (inclusive, "0x..."), type ("System RAM", ...). */
int ep_parse_sysfs(const char *path, struct e820_doc *doc, struct p2msim_err *err)
{
	unsigned long *ids = NULL;
	size_t nids = 0, cap = 0;
	struct dirent *de;
	struct e820_map *m;
	DIR *d = opendir(path);
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	if (!d)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		char *end;
		unsigned long id;

		if (!is_digit(de->d_name[0]))
			continue;
		id = strtoul(de->d_name, &end, 10);
		if (*end)
			continue;
		if (nids == cap) {
			unsigned long *n;

			cap = cap ? cap * 2 : 64;
			if (cap > E820_MAX_ENTRIES * 2) {
				rc = p2msim_err_set(err, -E2BIG, "%s: more than %d entries", path,
						    E820_MAX_ENTRIES);
				goto out;
			}
			n = realloc(ids, cap * sizeof(*ids));
			if (!n) {
				rc = p2msim_err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			ids = n;
		}
		ids[nids++] = id;
	}
	if (nids) /* qsort wants an array, even of nothing */
		qsort(ids, nids, sizeof(*ids), cmp_ulong);
	doc->name = strdup(path);
	m = doc->name ? ep_doc_new_map(doc, NULL, 0, 1, "sysfs") : NULL;
	if (!m) {
		rc = p2msim_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nids; i++) {
		char sub[32], sv[64], ev[64], tv[128], apath[PATH_MAX];
		uint64_t s, e;
		uint32_t type;
		int n;

		snprintf(sub, sizeof(sub), "%lu", ids[i]);
		rc = read_attr(path, sub, "start", sv, sizeof(sv), err);
		if (!rc)
			rc = read_attr(path, sub, "end", ev, sizeof(ev), err);
		if (!rc)
			rc = read_attr(path, sub, "type", tv, sizeof(tv), err);
		if (rc)
			goto out;
		snprintf(apath, sizeof(apath), "%s/%s", path, sub);
		n = ep_scan_hex(sv, true, &s);
		if (n <= 0 || sv[n]) {
			rc = p2msim_err_set(err, -EINVAL, "%s/start:1: not a hex address", apath);
			goto out;
		}
		n = ep_scan_hex(ev, true, &e);
		if (n <= 0 || ev[n]) {
			rc = p2msim_err_set(err, -EINVAL, "%s/end:1: not a hex address", apath);
			goto out;
		}
		if (e < s || (s == 0 && e == UINT64_MAX)) {
			rc = p2msim_err_set(err, -EINVAL,
					    "%s/end:1: end 0x%llx is before start 0x%llx"
					    " or the range is 2^64 bytes",
					    apath, (unsigned long long)e, (unsigned long long)s);
			goto out;
		}
		if (!strcmp(tv, "Unknown E820 type"))
			type = E820_TYPE_RESERVED;
		else if (e820_type_parse(tv, strlen(tv), false, &type)) {
			rc = p2msim_err_set(err, -EINVAL, "%s/type:1: unknown memory type '%.40s'",
					    apath, tv);
			goto out;
		}
		rc = e820_add_line(&m->table, s, e - s + 1, type, 0);
		if (rc) {
			rc = p2msim_err_set(err, rc, "%s: %s", path,
					    rc == -E2BIG ? "too many entries" : "out of memory");
			goto out;
		}
	}
	if (!m->table.nr)
		rc = p2msim_err_set(err, -ENOENT,
				    "%s: no numbered entries: not a "
				    "/sys/firmware/memmap directory",
				    path);
out:
	closedir(d);
	free(ids);
	if (rc)
		e820_doc_free(doc);
	return rc;
}
