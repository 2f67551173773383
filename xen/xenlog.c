/* SPDX-License-Identifier: MIT */
/*
 * xen/xenlog.c - reading Xen's boot log; see xen/xenlog.h for the lines.
 *
 * The log goes through the E820 reader's line handling (quoted-printable,
 * mail quoting, console timestamps, "(XEN)") and its map parser, so a
 * broken map line is reported the same way.  Xen's lines are recognised
 * only with their "(XEN)" prefix, except for the hard-wrapped tail of the
 * command line, which mail clients print without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e820/e820-lib.h"
#include "util/parse.h"
#include "util/text.h"
#include "xen/xenlog.h"
#include "util/page.h"

#define MAX_CMDLINE_CONT 4 /* wrapped command-line lines joined */

static const char *skip_blanks(const char *p)
{
	while (text_is_space(*p))
		p++;
	return p;
}

static int scan_hex_opt0x(const char *s, uint64_t *v)
{
	int n0 = 0, n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		n0 = 2;
	n = parse_scan_u64(s + n0, 16, v);
	return n <= 0 ? n : n0 + n;
}

/* "A->B" or "A -> B" (hex); returns the characters read, 0 if none. */
static size_t scan_range(const char *s, struct xenlog_range *r, unsigned int line)
{
	const char *q = skip_blanks(s);
	uint64_t a, b;
	int n = scan_hex_opt0x(q, &a);

	if (n <= 0)
		return 0;
	q = skip_blanks(q + n);
	if (q[0] != '-' || q[1] != '>')
		return 0;
	q = skip_blanks(q + 2);
	n = scan_hex_opt0x(q, &b);
	if (n <= 0)
		return 0;
	r->set = true;
	r->start = a;
	r->end = b;
	r->line = line;
	return (size_t)(q + n - s);
}

static int lerr(const char *name, unsigned int line, struct p2msim_err *err, const char *what,
		const char *text)
{
	return p2msim_err_set(err, -EINVAL, "%s:%u: cannot read Xen's '%s' line '%.60s'", name,
			      line, what, text);
}

static int set_str(char **dst, const char *s, size_t n)
{
	char *d;

	if (*dst)
		return 0;
	d = malloc(n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, s, n);
	d[n] = '\0';
	while (n && text_is_space(d[n - 1]))
		d[--n] = '\0';
	*dst = d;
	return 0;
}

static int append_str(char **dst, const char *s)
{
	size_t a = strlen(*dst), b = strlen(s);
	char *d = realloc(*dst, a + b + 2);

	if (!d)
		return -ENOMEM;
	d[a] = ' ';
	memcpy(d + a + 1, s, b + 1);
	for (size_t end = a + 1 + b; end > a + 1 && text_is_space(d[end - 1]); end--)
		d[end - 1] = '\0';
	*dst = d;
	return 0;
}

/* A virtual-arrangement line "Name: A->B" by its name. */
static struct xenlog_range *virt_field(struct xenlog *log, const char *c, size_t *len)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "Loaded kernel:", offsetof(struct xenlog, v_kernel) },
		{ "Init. ramdisk:", offsetof(struct xenlog, v_initrd) },
		{ "Phys-Mach map:", offsetof(struct xenlog, v_p2m) },
		{ "Start info:", offsetof(struct xenlog, v_start_info) },
		{ "Xenstore ring:", offsetof(struct xenlog, v_xenstore) },
		{ "Console ring:", offsetof(struct xenlog, v_console) },
		{ "Page tables:", offsetof(struct xenlog, v_page_tables) },
		{ "Boot stack:", offsetof(struct xenlog, v_boot_stack) },
		{ "TOTAL:", offsetof(struct xenlog, v_total) },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t n = strlen(fields[i].name);

		if (!strncmp(c, fields[i].name, n)) {
			*len = n;
			return (void *)((char *)log + fields[i].off);
		}
	}
	return NULL;
}

/* The hex number after the first @key in @c ("0x" optional). */
static bool hex_after(const char *c, const char *key, uint64_t *v)
{
	const char *p = strstr(c, key);

	return p && scan_hex_opt0x(skip_blanks(p + strlen(key)), v) > 0;
}

/*
 * Lines about the MMIO Xen keeps from dom0 (see xenlog.h).  Returns true
 * when @c was one of them; *rc is -E2BIG when a list is full.  A line of
 * the right kind that cannot be read is skipped: these facts only refine
 * the machine map.
 */
static bool platform_line(const char *c, struct xen_platform *pf, int *rc)
{
	uint64_t v;

	if (starts_with(c, "CPU Vendor: ")) {
		const char *p = skip_blanks(c + 12), *f;

		if (!pf->vendor) {
			if (starts_with(p, "AMD"))
				pf->vendor = XEN_CPU_AMD;
			else if (starts_with(p, "Intel"))
				pf->vendor = XEN_CPU_INTEL;
			else if (starts_with(p, "Hygon"))
				pf->vendor = XEN_CPU_HYGON;
			else
				pf->vendor = XEN_CPU_OTHER;
			f = strstr(p, "Family ");
			if (f && parse_scan_u64(f + 7, 10, &v) > 0 && v < 0x10000)
				pf->family = (unsigned int)v;
		}
		return true;
	}
	if (starts_with(c, "ACPI: Local APIC address ")) {
		if (!pf->lapic_set && hex_after(c, "address", &v)) {
			pf->lapic = v;
			pf->lapic_set = true;
		}
		return true;
	}
	if ((starts_with(c, "IOAPIC[") && strstr(c, "address ")) ||
	    starts_with(c, "ACPI: IOAPIC (")) {
		if (hex_after(c, starts_with(c, "IOAPIC[") ? "address " : "address[", &v))
			*rc = xen_platform_add_ioapic(pf, v);
		return true;
	}
	if (starts_with(c, "ACPI: HPET id: ")) {
		if (!pf->hpet_set && hex_after(c, "base:", &v)) {
			pf->hpet = v;
			pf->hpet_set = true;
		}
		return true;
	}
	/* Xen 4.20+ with iommu=debug ("AMD/IOMMU: log IVHD contents"); older
	 * Xen prints no AMD-Vi register address */
	if (starts_with(c, "AMD-Vi: IVHD: IOMMU @ ")) {
		if (hex_after(c, "IOMMU @ ", &v))
			*rc = xen_platform_add_amd_iommu(pf, v);
		return true;
	}
	if (strstr(c, "dmaru->address = ") || strstr(c, "drhd->address = ")) {
		if (hex_after(c, "->address = ", &v))
			*rc = xen_platform_add_drhd(pf, v);
		return true;
	}
	return false;
}

enum section {
	SEC_NONE,
	SEC_PHYS,
	SEC_VIRT
};

static int parse_lines(const char *name, struct e820_text *t, struct xenlog *log, bool *any_xen,
		       struct p2msim_err *err)
{
	struct e820_text_line l;
	enum section sec = SEC_NONE;
	int cont = -1; /* command-line continuations still allowed */
	int rc;

	while ((rc = e820_text_next(t, &l)) > 0) {
		const char *c = l.content;
		struct xenlog_range *r;
		size_t n;

		rc = 0;
		if (!l.xen) {
			/* a hard-wrapped tail of "Command line:" */
			if (cont > 0 && !l.log && *c) {
				rc = append_str(&log->cmdline, c);
				if (rc)
					break;
				cont--;
				continue;
			} else {
				cont = -1;
			}
			if (l.log)
				sec = SEC_NONE; /* dom0 output ends the arrangement */
			continue;
		}
		cont = -1;
		*any_xen = true;

		if (starts_with(c, "Xen version ")) {
			const char *v = c + 12;

			rc = set_str(&log->xen_version, v, strcspn(v, " \t("));
		} else if (starts_with(c, "Built-in command line:")) {
			rc = set_str(&log->builtin_cmdline, skip_blanks(c + 22),
				     strlen(skip_blanks(c + 22)));
		} else if (starts_with(c, "Command line:")) {
			if (!log->cmdline) {
				rc = set_str(&log->cmdline, skip_blanks(c + 13),
					     strlen(skip_blanks(c + 13)));
				log->cmdline_line = l.line;
				cont = MAX_CMDLINE_CONT;
			}
		} else if (starts_with(c, "System RAM:")) {
			const char *p = strchr(c, '(');
			uint64_t kb;

			if (!p || parse_scan_u64(p + 1, 10, &kb) <= 0) {
				rc = lerr(name, l.line, err, "System RAM", c);
			} else if (!log->system_ram_kb) {
				log->system_ram_kb = kb;
			}
		} else if (starts_with(c, "Truncating RAM from ")) {
			uint64_t a, b;
			const char *p = c + 20;
			int k = parse_scan_u64(p, 10, &a);

			if (k <= 0 || !starts_with(p + k, "kB to ") ||
			    parse_scan_u64(p + k + 6, 10, &b) <= 0)
				rc = lerr(name, l.line, err, "Truncating RAM", c);
			else if (!log->truncated_from_kb) {
				log->truncated_from_kb = a;
				log->truncated_to_kb = b;
			}
		} else if (strstr(c, "*** Building a PVH Dom0 ***")) {
			if (!log->dom0_type)
				log->dom0_type = XENLOG_DOM0_PVH;
		} else if (strstr(c, "*** Building a PV Dom0 ***") ||
			   strstr(c, "*** LOADING DOMAIN 0 ***")) {
			if (!log->dom0_type)
				log->dom0_type = XENLOG_DOM0_PV;
		} else if (starts_with(c, "Dom0 kernel:")) {
			const char *p = strstr(c, ", paddr ");

			if (!p || !scan_range(p + 8, &(struct xenlog_range){ 0 }, l.line)) {
				rc = lerr(name, l.line, err, "Dom0 kernel", c);
			} else if (!log->kernel_paddr.set) {
				const char *d = skip_blanks(c + 12);

				scan_range(p + 8, &log->kernel_paddr, l.line);
				rc = set_str(&log->kernel_desc, d, (size_t)(p - d));
			}
		} else if (starts_with(c, "PHYSICAL MEMORY ARRANGEMENT")) {
			sec = SEC_PHYS;
		} else if (starts_with(c, "VIRTUAL MEMORY ARRANGEMENT")) {
			sec = SEC_VIRT;
		} else if (starts_with(c, "Dom0 alloc.:")) {
			struct xenlog_range tmp = { 0 };
			const char *p;

			n = scan_range(c + 12, &tmp, l.line);
			if (!n) {
				rc = lerr(name, l.line, err, "Dom0 alloc.", c);
			} else if (!log->alloc.set) {
				log->alloc = tmp;
				p = skip_blanks(c + 12 + n);
				if (*p == '(') {
					uint64_t pages;

					if (parse_scan_u64(p + 1, 10, &pages) <= 0 ||
					    !starts_with(skip_blanks(p + 1 +
								     strspn(p + 1, "0123456789")),
							 "pages"))
						rc = lerr(name, l.line, err, "Dom0 alloc.", c);
					else {
						log->pages_to_allocate = pages;
						log->pages_to_allocate_set = true;
					}
				} else if (*p) {
					rc = lerr(name, l.line, err, "Dom0 alloc.", c);
				}
			}
		} else if (sec == SEC_PHYS && starts_with(c, "Init. ramdisk:")) {
			struct xenlog_range tmp = { 0 };

			if (!scan_range(c + 14, &tmp, l.line))
				rc = lerr(name, l.line, err, "Init. ramdisk", c);
			else if (!log->initrd.set)
				log->initrd = tmp;
		} else if (sec == SEC_VIRT && (r = virt_field(log, c, &n))) {
			struct xenlog_range tmp = { 0 };

			if (!scan_range(c + n, &tmp, l.line))
				rc = lerr(name, l.line, err, c, c);
			else if (!r->set)
				*r = tmp;
		} else if (sec == SEC_VIRT && starts_with(c, "ENTRY ADDRESS:")) {
			uint64_t v;

			if (scan_hex_opt0x(skip_blanks(c + 14), &v) <= 0)
				rc = lerr(name, l.line, err, "ENTRY ADDRESS", c);
			else if (!log->v_entry_set) {
				log->v_entry = v;
				log->v_entry_set = true;
			}
		} else if (starts_with(c, "Dom0 has maximum ") && strstr(c, "VCPUs")) {
			uint64_t v;

			if (parse_scan_u64(c + 17, 10, &v) > 0 && !log->dom0_max_vcpus &&
			    v < 1u << 30)
				log->dom0_max_vcpus = (unsigned int)v;
		} else if (platform_line(c, &log->platform, &rc)) {
			if (rc == -E2BIG)
				rc = lerr(name, l.line, err, "too many IO-APICs or IOMMUs", c);
		} else if (starts_with(c, "Dom0 memory clipped to ")) {
			uint64_t v;

			if (parse_scan_u64(c + 23, 10, &v) > 0 && !log->clipped_pages)
				log->clipped_pages = v;
		} else {
			/* any other Xen line ends an arrangement block */
			sec = SEC_NONE;
		}
		if (rc)
			break;
	}
	if (rc == -ENOMEM)
		p2msim_err_set(err, rc, "out of memory");
	return rc < 0 ? rc : 0;
}

/* Xen's own map: not the e820-verbose "Initial" one unless asked, and
 * never the "Dom0 memory map:" Xen prints for a PVH dom0 (what the dom0
 * gets, not what the machine has). */
static bool is_xen_map(const struct e820_map *m, bool initial)
{
	bool is_initial = m->header && starts_with(m->header, "Initial");

	if (m->header && strstr(m->header, "Dom0 memory map"))
		return false;
	return m->kind && (!strcmp(m->kind, "xen") || !strcmp(m->kind, "xen-old")) &&
	       is_initial == initial;
}

/* The log in buf, or, with path, the regular file at path read as a
 * stream twice (its Xen lines, then its maps): serial captures of several
 * GiB keep only what matters in memory. */
static int xenlog_parse(const char *name, const char *path, const char *buf, size_t len,
			unsigned int first_line, unsigned int end_line, struct xenlog *log,
			struct p2msim_err *err)
{
	struct e820_doc doc;
	struct e820_text *t;
	struct p2msim_err e2;
	bool any_xen = false;
	int fd = -1, rc;

	memset(log, 0, sizeof(*log));
	e820_table_init(&log->e820);
	dom0_mem_init(&log->dom0_mem);
	xen_platform_init(&log->platform);
	name = name ? name : "<input>";
	log->name = strdup(name);
	if (!log->name)
		return p2msim_err_set(err, -ENOMEM, "out of memory");

	if (path) {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			rc = p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
					    strerror(errno));
			goto fail;
		}
		rc = e820_text_open_fd(&t, name, fd, err);
	} else {
		rc = e820_text_open(&t, name, buf, len, err);
	}
	if (!rc) {
		e820_text_window(t, first_line, end_line);
		rc = parse_lines(name, t, log, &any_xen, err);
	}
	e820_text_close(t);
	if (fd >= 0)
		close(fd);
	if (rc)
		goto fail;
	if (!any_xen) {
		rc = p2msim_err_set(err, -ENOENT, "%s: no Xen boot log lines ('(XEN) ...') found",
				    name);
		goto fail;
	}

	p2msim_err_clear(&e2);
	rc = path ? e820_parse_file_window(path, first_line, end_line, &doc, &e2) :
		    e820_parse_buffer(name, buf, len, &doc, &e2);
	if (rc && rc != -ENOENT) {
		if (err)
			*err = e2;
		goto fail;
	}
	if (!rc) {
		const struct e820_map *m = NULL;

		/* the final map; the e820-verbose "Initial" one only if alone */
		for (size_t i = doc.nr_maps; i-- > 0 && !m;)
			if (is_xen_map(&doc.maps[i], false))
				m = &doc.maps[i];
		for (size_t i = doc.nr_maps; i-- > 0 && !m;)
			if (is_xen_map(&doc.maps[i], true))
				m = &doc.maps[i];
		if (m) {
			rc = e820_table_copy(&log->e820, &m->table);
			if (!rc && m->header)
				log->e820_header = strdup(m->header);
			log->e820_line = m->header_line;
			if (rc || (m->header && !log->e820_header)) {
				e820_doc_free(&doc);
				rc = p2msim_err_set(err, -ENOMEM, "out of memory");
				goto fail;
			}
		}
		e820_doc_free(&doc);
	}

	if (log->xen_version)
		(void)xen_platform_set_version(&log->platform, log->xen_version);

	/* dom0_mem: the built-in command line first, then the given one */
	if (log->builtin_cmdline) {
		rc = dom0_mem_from_xen_cmdline(log->builtin_cmdline, &log->dom0_mem, err);
		if (rc)
			goto fail;
	}
	if (log->cmdline) {
		struct dom0_mem given;

		rc = dom0_mem_from_xen_cmdline(log->cmdline, &given, err);
		if (rc) {
			p2msim_err_prefix(err, "%s:%u", name, log->cmdline_line);
			goto fail;
		}
		if (given.seen) {
			if (given.amount.set)
				log->dom0_mem.amount = given.amount;
			if (given.min.set)
				log->dom0_mem.min = given.min;
			if (given.max.set)
				log->dom0_mem.max = given.max;
			log->dom0_mem.seen = true;
		}
		xen_cmdline_mem_limits(log->cmdline, &log->xen_mem_limit, &log->xen_availmem);
	}
	return 0;
fail:
	xenlog_free(log);
	return rc;
}

int xenlog_read_file(const char *path, char **buf, size_t *len, struct p2msim_err *err)
{
	const char *name = path;
	int fd, rc;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
		name = "<stdin>";
	} else {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
					      strerror(errno));
	}
	rc = parse_read_fd(fd, name, buf, len, err);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static int boots_scan(struct e820_text *t, struct xenlog_boot *boots, size_t max, size_t *nr)
{
	struct e820_text_line l;
	struct xenlog_boot *b = NULL;
	int rc;

	*nr = 0;
	while ((rc = e820_text_next(t, &l)) > 0) {
		const char *c = l.content;

		rc = 0;
		if (!l.xen)
			continue;
		if (starts_with(c, "Xen version ") && c[12] >= '0' && c[12] <= '9') {
			if (*nr == max) {
				/* keep the newest ones */
				memmove(boots, boots + 1, (max - 1) * sizeof(*boots));
				(*nr)--;
			}
			b = &boots[(*nr)++];
			memset(b, 0, sizeof(*b));
			b->first_line = l.line;
		} else if (!b && *nr == 0 && max) {
			/* a log cut before its "Xen version" line */
			b = &boots[(*nr)++];
			memset(b, 0, sizeof(*b));
			b->first_line = l.line;
		}
		if (!b)
			continue;
		if (strstr(c, "RAM map:"))
			b->has_map = true;
		if (strstr(c, "*** Building a PV") || strstr(c, "*** LOADING DOMAIN 0 ***") ||
		    strstr(c, "Panic on CPU") || strstr(c, "*** Building a PVH"))
			b->has_dom0_or_panic = true;
	}
	return rc < 0 ? rc : 0;
}

int xenlog_boots(const char *name, const char *buf, size_t len, struct xenlog_boot *boots,
		 size_t max, size_t *nr, struct p2msim_err *err)
{
	struct e820_text *t;
	int rc;

	*nr = 0;
	rc = e820_text_open(&t, name ? name : "<input>", buf, len, err);
	if (rc)
		return rc;
	rc = boots_scan(t, boots, max, nr);
	e820_text_close(t);
	return rc;
}

int xenlog_boots_file(const char *path, struct xenlog_boot *boots, size_t max, size_t *nr,
		      struct p2msim_err *err)
{
	struct e820_text *t;
	int fd = open(path, O_RDONLY), rc;

	*nr = 0;
	if (fd < 0)
		return p2msim_err_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
				      strerror(errno));
	rc = e820_text_open_fd(&t, path, fd, err);
	if (!rc) {
		rc = boots_scan(t, boots, max, nr);
		e820_text_close(t);
	}
	close(fd);
	return rc;
}

int xenlog_parse_buffer(const char *name, const char *buf, size_t len, struct xenlog *log,
			struct p2msim_err *err)
{
	return xenlog_parse(name, NULL, buf, len, 0, 0, log, err);
}

int xenlog_parse_file(const char *path, struct xenlog *log, struct p2msim_err *err)
{
	struct stat st;
	char *buf;
	size_t len;
	int rc;

	memset(log, 0, sizeof(*log));
	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return xenlog_parse(path, path, NULL, 0, 0, 0, log, err);
	/* stdin and pipes: read whole (they cannot be read twice) */
	rc = xenlog_read_file(path, &buf, &len, err);
	if (rc)
		return rc;
	rc = xenlog_parse_buffer(strcmp(path, "-") ? path : "<stdin>", buf, len, log, err);
	free(buf);
	return rc;
}

int xenlog_parse_file_window(const char *path, unsigned int first_line, unsigned int end_line,
			     struct xenlog *log, struct p2msim_err *err)
{
	memset(log, 0, sizeof(*log));
	return xenlog_parse(path, path, NULL, 0, first_line, end_line, log, err);
}

void xenlog_free(struct xenlog *log)
{
	free(log->name);
	free(log->xen_version);
	free(log->builtin_cmdline);
	free(log->cmdline);
	free(log->e820_header);
	free(log->kernel_desc);
	e820_table_free(&log->e820);
	memset(log, 0, sizeof(*log));
	e820_table_init(&log->e820);
	dom0_mem_init(&log->dom0_mem);
	xen_platform_init(&log->platform);
}

#define PLACEMENT_LIMIT (1ULL << 52) /* x86-64's physical address space */

/* A number of a placement option: C syntax, then an optional K/M/G/T. */
static bool option_number(const char *s, uint64_t *v, const char **end)
{
	unsigned int shift;
	unsigned long long n;
	const char *q;
	char *p;

	s = skip_blanks(s);
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoull(s, &p, 0);
	if (errno)
		return false;
	q = p;
	shift = parse_unit_shift(&q, "KMGT");
	if (shift && n > (UINT64_MAX >> shift))
		return false;
	*v = (uint64_t)n << shift;
	*end = skip_blanks(q);
	return true;
}

int xenlog_range_parse(const char *s, bool none_ok, struct xenlog_range *r, struct p2msim_err *err)
{
	const char *p = skip_blanks(s), *q;
	uint64_t a, b;
	bool ok = false;

	memset(r, 0, sizeof(*r));
	if (none_ok && !strcmp(p, "none"))
		return 0;
	if (starts_with(p, "paddr "))
		p += strlen("paddr ");
	if (strstr(p, "->")) {
		/* Xen's "A->B" as its log prints it */
		size_t n = scan_range(p, r, 0);

		ok = n && !*skip_blanks(p + n);
		a = r->start;
		b = r->end;
	} else if (option_number(p, &a, &q) && (*q == '-' || *q == '+')) {
		char op = *q;

		ok = option_number(q + 1, &b, &q) && !*q;
		if (ok && op == '+') {
			ok = b <= UINT64_MAX - a;
			b += ok ? a : 0;
		} else if (ok) {
			ok = b < UINT64_MAX; /* END is the last byte */
			b += ok;
		}
	}
	memset(r, 0, sizeof(*r));
	if (!ok)
		return p2msim_err_set(err, -EINVAL,
				      "'%s': expected START->END as Xen prints it "
				      "(END exclusive), START-END (END inclusive) or START+SIZE%s",
				      s, none_ok ? ", or none" : "");
	if (b <= a)
		return p2msim_err_set(err, -EINVAL,
				      "'%s': the range is empty or ends before it "
				      "starts",
				      s);
	if (b > PLACEMENT_LIMIT)
		return p2msim_err_set(err, -EINVAL,
				      "'%s': beyond the 52-bit physical address "
				      "space (%#llx)",
				      s, PLACEMENT_LIMIT);
	r->set = true;
	r->start = a;
	r->end = b;
	return 0;
}

int xenlog_dom0_nr_pages(const struct xenlog *log, uint64_t *nr_pages)
{
	uint64_t chunk, initrd = 0;

	if (!log->alloc.set || !log->pages_to_allocate_set || log->alloc.end < log->alloc.start)
		return -ENOENT;
	chunk = (log->alloc.end - log->alloc.start) / PAGE_SIZE;
	if (log->initrd.set && log->initrd.end > log->initrd.start)
		initrd = PFN_UP(log->initrd.end - log->initrd.start);
	*nr_pages = log->pages_to_allocate + chunk + initrd;
	return 0;
}
