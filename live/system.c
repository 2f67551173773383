/* SPDX-License-Identifier: MIT */
/*
 * live/system.c - what the running dom0 kernel tells user space about
 * itself: its log (/dev/kmsg), its release (/proc/version) and the
 * addresses of its symbols (/proc/kallsyms).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live/live.h"

#define KMSG_RECORD_MAX 8192
#define KMSG_INPUT_MAX (64u << 20)

void live_env_default(struct live_env *env)
{
	env->kallsyms = "/proc/kallsyms";
	env->kmsg = "/dev/kmsg";
	env->proc_version = "/proc/version";
	env->proc_cmdline = "/proc/cmdline";
	env->boot_dir = "/boot";
}

/* --- the kernel log --------------------------------------------------------------- */

static int add_line(struct live_kmsg *k, const char *s, size_t n)
{
	char *line;

	if (k->nr == k->alloc) {
		size_t a = k->alloc ? 2 * k->alloc : 256;
		char **nl = realloc(k->lines, a * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		k->lines = nl;
		k->alloc = a;
	}
	line = malloc(n + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, n);
	line[n] = '\0';
	k->lines[k->nr++] = line;
	return 0;
}

/* Length of a /dev/kmsg record header "pri,seq,usec,flags;", or 0. */
static size_t kmsg_header(const char *s, size_t n)
{
	size_t i = 0;

	for (int field = 0; field < 3; field++) {
		size_t start = i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i >= n || s[i] != ',')
			return 0;
		i++;
	}
	while (i < n && s[i] != ';' && s[i] != ' ')
		i++;
	return i < n && s[i] == ';' ? i + 1 : 0;
}

/*
 * One line of text without its prefixes: a /dev/kmsg record header or a
 * dmesg timestamp ("[    0.000000] ").  /dev/kmsg continuation lines
 * (" KEY=value") are dropped.
 */
static int add_text_line(struct live_kmsg *k, const char *s, size_t n)
{
	size_t h;

	if (n && s[0] == ' ')
		return 0;
	h = kmsg_header(s, n);
	s += h;
	n -= h;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close && close - s < 24) {
			n -= (size_t)(close + 1 - s);
			s = close + 1;
			if (n && s[0] == ' ') {
				s++;
				n--;
			}
		}
	}
	return add_line(k, s, n);
}

static int add_text(struct live_kmsg *k, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		int rc = add_text_line(k, buf + i, n);

		if (rc < 0)
			return rc;
		i += n + 1;
	}
	return 0;
}

int live_kmsg_read(const char *path, struct live_kmsg *k, struct p2msim_err *err)
{
	struct stat st;
	char *buf;
	size_t total = 0;
	int fd, rc = 0;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	buf = malloc(KMSG_RECORD_MAX + 1);
	if (!buf) {
		close(fd);
		return p2msim_err_set(err, -ENOMEM, "%s: out of memory", path);
	}
	/*
	 * /dev/kmsg hands out one record per read() and EAGAIN at the end
	 * (EPIPE when a record was overwritten meanwhile); a regular file is
	 * read in blocks, lines possibly split between them.
	 */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		char *text = NULL;
		size_t cap = 0;

		for (;;) {
			ssize_t got;

			if (cap - total < KMSG_RECORD_MAX + 1) {
				char *nt;

				if (cap >= KMSG_INPUT_MAX) {
					rc = p2msim_err_set(err, -EFBIG, "%s: more than %u MiB",
							    path, KMSG_INPUT_MAX >> 20);
					break;
				}
				nt = realloc(text, cap = cap ? 2 * cap : 65536);
				if (!nt) {
					rc = p2msim_err_set(err, -ENOMEM, "%s: out of memory",
							    path);
					break;
				}
				text = nt;
			}
			got = read(fd, text + total, cap - total - 1);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
				break;
			}
			if (got == 0)
				break;
			total += (size_t)got;
		}
		if (rc == 0 && add_text(k, text ? text : "", total) < 0)
			rc = p2msim_err_set(err, -ENOMEM, "%s: out of memory", path);
		free(text);
	} else {
		for (;;) {
			ssize_t got = read(fd, buf, KMSG_RECORD_MAX);

			if (got < 0 && (errno == EINTR || errno == EPIPE))
				continue;
			if (got < 0 && errno == EAGAIN)
				break;
			if (got < 0) {
				rc = p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
				break;
			}
			if (got == 0)
				break;
			if (add_text(k, buf, (size_t)got) < 0) {
				rc = p2msim_err_set(err, -ENOMEM, "%s: out of memory", path);
				break;
			}
		}
	}
	free(buf);
	close(fd);
	if (rc < 0)
		live_kmsg_free(k);
	return rc;
}

void live_kmsg_free(struct live_kmsg *k)
{
	for (size_t i = 0; i < k->nr; i++)
		free(k->lines[i]);
	free(k->lines);
	memset(k, 0, sizeof(*k));
}

const char *live_kmsg_find(const struct live_kmsg *k, const char *needle)
{
	for (size_t i = 0; i < k->nr; i++)
		if (strstr(k->lines[i], needle))
			return k->lines[i];
	return NULL;
}

/* --- the kernel's release --------------------------------------------------------------- */

int live_kernel_release(const char *proc_version, char *buf, size_t len, struct p2msim_err *err)
{
	FILE *f = fopen(proc_version, "r");
	char line[512], rel[128];

	if (!f)
		return p2msim_err_set(err, -errno, "%s: %s", proc_version, strerror(errno));
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return p2msim_err_set(err, -EINVAL, "%s:1: empty", proc_version);
	}
	fclose(f);
	if (sscanf(line, "Linux version %127s", rel) != 1)
		return p2msim_err_set(err, -EINVAL, "%s:1: not 'Linux version RELEASE ...'",
				      proc_version);
	if (strlen(rel) >= len)
		return p2msim_err_set(err, -ENAMETOOLONG, "%s:1: release too long", proc_version);
	memcpy(buf, rel, strlen(rel) + 1);
	return 0;
}

/* --- kernel symbols ------------------------------------------------------------------------ */

int live_kallsyms_lookup(const char *path, const char *const *names, uint64_t *addrs, size_t n,
			 struct p2msim_err *err)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t found = 0;

	for (size_t i = 0; i < n; i++)
		addrs[i] = 0;
	if (!f)
		return p2msim_err_set(err, -ENOENT, "%s: %s", path, strerror(errno));
	while (found < n && fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		/* "ffffffff82a3b4c8 b p2m_missing" (module symbols add "[mod]") */
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		for (size_t i = 0; i < n; i++)
			if (!addrs[i] && !strcmp(name, names[i])) {
				addrs[i] = a;
				found++;
			}
	}
	fclose(f);
	return 0;
}
