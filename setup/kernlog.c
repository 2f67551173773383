/* SPDX-License-Identifier: MIT */
/*
 * setup/kernlog.c - the dom0 half of a boot log; see setup/kernlog.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e820/e820-lib.h"
#include "util/text.h"
#include "setup/kernlog.h"

/* The beginnings of the lines a dom0 prints as its memory setup's result
 * (arch/x86/xen/setup.c, p2m.c, the E820 printers). */
static const char *const outcome_prefixes[] = {
	"Xen: [mem ",  /* the kernel's E820, 3.x and later */
	"Xen: 0",      /* ... 2.6.x: " Xen: 0000000000000000 - ..." */
	"user: [mem ", /* after mem=/memmap= */
	"user: 0",
	"BIOS-provided physical RAM map",
	"user-defined physical RAM map",
	"e820: ",      /* e820__update_table and friends */
	"Released ",   /* "Released N page(s)" */
	"Remapped ",   /* "Remapped N page(s)", "... non-RAM page(s)" */
	"Set ",	       /* "Set N page(s) to 1-1 mapping" */
	"Freeing ",    /* "Freeing  a-b pfn range: N pages freed" */
	"Populating ", /* "Populating a-b pfn range: N pages added" */
	"p2m virtual area at ",
	"initrd moved from ",
	"RAMDISK: ",
	"Xen hypervisor allocated ", /* "... kernel memory conflicts with E820 map" */
	"Failed to update kernel mapping",
	"kernel BUG at ",
	"xen:balloon: ",
	"Memory: ",
};

bool kernlog_is_outcome(const char *content)
{
	while (text_is_space(*content))
		content++;
	for (size_t i = 0; i < sizeof(outcome_prefixes) / sizeof(outcome_prefixes[0]); i++)
		if (starts_with(content, outcome_prefixes[i]))
			return true;
	return false;
}

static int keep(char **dst, const char *s)
{
	size_t n = strlen(s);
	char *d;

	while (n && text_is_space(s[n - 1]))
		n--;
	d = malloc(n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, s, n);
	d[n] = '\0';
	free(*dst);
	*dst = d;
	return 0;
}

static const char *after(const char *c, const char *lit)
{
	size_t n = strlen(lit);

	return strncmp(c, lit, n) ? NULL : c + n;
}

static int parse(struct e820_text *t, struct kernlog *kl, struct p2msim_err *err)
{
	struct e820_text_line l;
	bool kernel_cmdline = false; /* the cmdline came from "Kernel command line:" */
	int rc;

	while ((rc = e820_text_next(t, &l)) > 0) {
		const char *c = l.content, *v;

		rc = 0;
		if (l.xen)
			continue;
		while (text_is_space(*c))
			c++;
		if (!*c)
			continue;
		kl->nr_lines++;
		if (kernlog_is_outcome(c)) {
			kl->nr_outcome_lines++;
		} else if (starts_with(c, "Linux version ") && c[14] >= '0' && c[14] <= '9') {
			/* a new boot: its command line follows */
			rc = keep(&kl->version_line, c);
			kl->version_lineno = l.line;
			kl->nr_version_lines++;
			free(kl->cmdline);
			kl->cmdline = NULL;
			kl->cmdline_lineno = 0;
		} else if ((v = after(c, "Command line:")) != NULL) {
			while (text_is_space(*v))
				v++;
			if (!kl->cmdline || kernel_cmdline) {
				rc = keep(&kl->cmdline, v);
				kl->cmdline_lineno = l.line;
				kernel_cmdline = false;
			}
		} else if ((v = after(c, "Kernel command line:")) != NULL && !kl->cmdline) {
			while (text_is_space(*v))
				v++;
			rc = keep(&kl->cmdline, v);
			kl->cmdline_lineno = l.line;
			kernel_cmdline = true;
		}
		if (rc)
			break;
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			p2msim_err_set(err, rc, "out of memory");
		kernlog_free(kl);
		return rc;
	}
	return 0;
}

int kernlog_parse_buffer(const char *name, const char *buf, size_t len, struct kernlog *kl,
			 struct p2msim_err *err)
{
	struct e820_text *t;
	int rc;

	memset(kl, 0, sizeof(*kl));
	rc = e820_text_open(&t, name ? name : "<input>", buf, len, err);
	if (rc)
		return rc;
	rc = parse(t, kl, err);
	e820_text_close(t);
	return rc;
}

int kernlog_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			      struct kernlog *kl, struct p2msim_err *err)
{
	struct e820_text *t;
	int fd, rc;

	memset(kl, 0, sizeof(*kl));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
				      strerror(errno));
	rc = e820_text_open_fd(&t, path, fd, err);
	if (!rc) {
		e820_text_window(t, first_line, end_line);
		rc = parse(t, kl, err);
		e820_text_close(t);
	}
	close(fd);
	return rc;
}

void kernlog_free(struct kernlog *kl)
{
	free(kl->version_line);
	free(kl->cmdline);
	memset(kl, 0, sizeof(*kl));
}
