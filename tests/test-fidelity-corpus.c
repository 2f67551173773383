/* SPDX-License-Identifier: MIT */
/*
 * tests/test-fidelity-corpus.c - the kernel models against the corpus's
 * real input -> outcome pairs (tests/data/fidelity/corpus/).
 *
 * Each NNN.case file describes one pair of a corpus file copied verbatim
 * next to it: the kernel (its "Linux version" line, checked), the domain
 * type, and whatever the excerpt does not print but the boot had.  Such
 * inputs are marked "assumed" with the reason and printed with the result,
 * so a reader sees which lines are predictions and which were given.
 *
 * The input is built as the real boot built it: for dom0, Xen's printed
 * map turned into XENMEM_machine_memory_map (xen/machine-map.c), the
 * dom0_mem of Xen's command line, nr_pages and the layout from Xen's
 * "Dom0 alloc." and arrangement lines, the kernel's command line; for a
 * domU with e820_host, libxl's transformation of the host map.  The model
 * must print the kernel's E820 ("Xen: [mem ...]" or the 2.6 "Xen: a - b"
 * format, compared entry by entry and by format), and every Released /
 * Remapped / "Set N page(s) to 1-1 mapping" count the excerpt holds.  A
 * count the excerpt does not hold is not compared: the files are
 * selections of their sources.
 *
 * A case that does not match must be listed in tests/KNOWN-DIFFERENCES
 * with the reason; a listed case that matches fails the test too.
 *
 * Descriptor keys (one per line, '#' starts a comment line):
 *   file NAME            the corpus file, in the same directory
 *   kernel VERSION       the model's version; must equal the file's
 *                        "Linux version" unless "kernel-unprinted WHY"
 *   domain dom0|domu
 *   outcome N            which guest E820 print of the file (default 0)
 *   xen VERSION          Xen's version, when the log has no version line
 *   cpu intel|amd FAMILY when the log has no "CPU Vendor" line
 *   ioapic ADDR...       IO-APICs / VT-d units the log does not list
 *   drhd ADDR...
 *   xen-cmdline TEXT     Xen's command line, when the log lacks options
 *   host-map FILE        the host's machine map as a plain table (domU,
 *                        with libxl), or
 *   guest-map FILE       the domU's own map as its toolstack set it
 *   outcome-as-map       no input map in the file: the outcome's map
 *                        stands in (for eras the models refuse anyway)
 *   libxl TARGET_KB MAX_KB SLACK_KB 2011-drop|2011|modern   e820_host
 *   nr-pages N, max-pages N
 *   assumed TEXT         an input taken from outside the log, and why
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e820/e820-lib.h"
#include "sim/sim.h"
#include "xen/machine-map.h"
#include "xen/xenlog.h"
#include "tests/fidelity.h"
#include "tests/testutil.h"
#include "util/text.h"

#define MAX_CASES 64
#define MAX_ASSUMED 8

struct ccase {
	char name[256];
	char path[1400]; /* the .case file */
	char dir[1024];
	char file[256];
	char kernel[64];
	bool kernel_unprinted;
	bool domu;
	unsigned int outcome;
	char xen[32];
	enum xen_cpu_vendor vendor;
	unsigned int family;
	struct xen_platform extra; /* ioapic / drhd lists */
	char xen_cmdline[1024];
	char host_map[256];
	bool outcome_as_map;
	bool libxl;
	struct xen_libxl_e820_opts libxl_opts;
	uint64_t nr_pages, max_pages;
	char assumed[MAX_ASSUMED][512];
	unsigned int nr_assumed;
	char why[2048];
	char compared[256]; /* what the pass rests on */
	bool passed;
};

/* --- descriptors ------------------------------------------------------------------ */

static int parse_addrs(char *v, struct xen_platform *pf, bool drhd)
{
	for (char *t = strtok(v, " \t"); t; t = strtok(NULL, " \t")) {
		char *end;
		unsigned long long a = strtoull(t, &end, 16);

		if (*end || (drhd ? xen_platform_add_drhd(pf, a) : xen_platform_add_ioapic(pf, a)))
			return -1;
	}
	return 0;
}

static int read_descriptor(struct ccase *c)
{
	char *text = fidelity_slurp(c->path, NULL), *line, *save = NULL;
	int rc = 0;

	if (!text)
		return -1;
	xen_platform_init(&c->extra);
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		char *v = line + strcspn(line, " \t");

		if (*line == '#' || !*line)
			continue;
		if (*v)
			*v++ = '\0';
		v += strspn(v, " \t");
		if (!strcmp(line, "file"))
			snprintf(c->file, sizeof(c->file), "%s", v);
		else if (!strcmp(line, "kernel"))
			snprintf(c->kernel, sizeof(c->kernel), "%s", v);
		else if (!strcmp(line, "kernel-unprinted"))
			c->kernel_unprinted = true;
		else if (!strcmp(line, "domain"))
			c->domu = !strcmp(v, "domu");
		else if (!strcmp(line, "outcome"))
			c->outcome = (unsigned int)strtoul(v, NULL, 10);
		else if (!strcmp(line, "xen"))
			snprintf(c->xen, sizeof(c->xen), "%s", v);
		else if (!strcmp(line, "cpu")) {
			c->vendor = starts_with(v, "amd") ? XEN_CPU_AMD : XEN_CPU_INTEL;
			c->family = (unsigned int)strtoul(v + strcspn(v, " \t"), NULL, 0);
		} else if (!strcmp(line, "ioapic") || !strcmp(line, "drhd"))
			rc = parse_addrs(v, &c->extra, !strcmp(line, "drhd"));
		else if (!strcmp(line, "xen-cmdline"))
			snprintf(c->xen_cmdline, sizeof(c->xen_cmdline), "%s", v);
		else if (!strcmp(line, "host-map") || !strcmp(line, "guest-map"))
			snprintf(c->host_map, sizeof(c->host_map), "%s", v);
		else if (!strcmp(line, "outcome-as-map"))
			c->outcome_as_map = true;
		else if (!strcmp(line, "libxl")) {
			unsigned long long t, m, s;
			char era[16];

			c->libxl = true;
			if (sscanf(v, "%llu %llu %llu %15s", &t, &m, &s, era) != 4)
				rc = -1;
			c->libxl_opts = (struct xen_libxl_e820_opts){
				t, m, s,
				!strcmp(era, "2011-drop") ? XEN_LIBXL_E820_2011_DROP_ISLANDS :
				!strcmp(era, "2011")	  ? XEN_LIBXL_E820_2011 :
							    XEN_LIBXL_E820_MODERN
			};
		} else if (!strcmp(line, "nr-pages"))
			c->nr_pages = strtoull(v, NULL, 0);
		else if (!strcmp(line, "max-pages"))
			c->max_pages = strtoull(v, NULL, 0);
		else if (!strcmp(line, "assumed")) {
			if (c->nr_assumed < MAX_ASSUMED)
				snprintf(c->assumed[c->nr_assumed++], sizeof(c->assumed[0]), "%s",
					 v);
		} else
			rc = -1;
		if (rc)
			fprintf(stderr, "%s: cannot read '%s %s'\n", c->path, line, v);
	}
	free(text);
	return rc || !c->file[0] || !c->kernel[0] ? -1 : 0;
}

/* --- what the corpus file says ------------------------------------------------------ */

struct outcome {
	char linux_version[64];
	char cmdline[1024]; /* the guest kernel's "Command line:" */
	struct {
		const char *fmt;
		bool seen;
		unsigned long long v;
	} counts[5];
};

static const char *const count_fmts[] = {
	"Released %llu page(s)",	   "Released %llu pages of unused memory",
	"Remapped %llu page(s)",	   "Remapped %llu non-RAM page(s)",
	"Set %llu page(s) to 1-1 mapping",
};

/* @line is @fmt ("text %llu text") exactly, the number aside; a trailing
 * full stop (2.6.39's "mapping.") is allowed. */

/* Count lines and the kernel's own lines, read through the E820 reader's
 * line handling (quoted-printable, mail quoting, timestamps, "(XEN)"). */
static int read_lines(const char *name, const char *buf, size_t len, struct outcome *o,
		      bool guest_only, unsigned int occurrence)
{
	unsigned int seen[5] = { 0 };

	struct e820_text *t;
	struct e820_text_line l;
	int rc;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < 5; i++)
		o->counts[i].fmt = count_fmts[i];
	if (e820_text_open(&t, name, buf, len, NULL))
		return -1;
	while ((rc = e820_text_next(t, &l)) > 0) {
		const char *p = l.content;

		if (l.xen && guest_only)
			continue;
		if (starts_with(p, "Linux version ") && !o->linux_version[0])
			sscanf(p + 14, "%63s", o->linux_version);
		if (starts_with(p, "Command line: ") && !l.xen && !o->cmdline[0])
			snprintf(o->cmdline, sizeof(o->cmdline), "%s", p + 14);
		for (size_t i = 0; i < 5; i++) {
			unsigned long long v;

			/* a file with several outcomes (048) has each count once per outcome */
			if (!o->counts[i].seen && fidelity_line_is(p, o->counts[i].fmt, &v) &&
			    seen[i]++ == occurrence) {
				o->counts[i].seen = true;
				o->counts[i].v = v;
			}
		}
	}
	e820_text_close(t);
	return rc;
}

/* The n-th guest print ("Xen: [mem ...]" or " Xen: a - b (type)"). */
static const struct e820_map *guest_map(const struct e820_doc *doc, unsigned int n)
{
	for (size_t i = 0; i < doc->nr_maps; i++) {
		const char *k = doc->maps[i].kind;

		if (k && (!strcmp(k, "linux:Xen") || !strcmp(k, "linux-old:Xen")) && n-- == 0)
			return &doc->maps[i];
	}
	return NULL;
}

/* --- running a case -------------------------------------------------------------------- */

static int write_table(const struct e820_table *t, char *path, size_t len)
{
	int fd;
	FILE *f;

	snprintf(path, len, "fidelity-corpus-map-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	e820_print(f, t, E820_FMT_TABLE, NULL, NULL);
	return fclose(f) ? -1 : 0;
}

/* The machine map the guest's Xen (and toolstack) handed it. */
static int build_input(struct ccase *c, const char *file, const struct e820_doc *doc,
		       const struct e820_map *seen, struct e820_table *map)
{
	struct xenlog log;
	struct e820_table host;
	struct p2msim_err err = { 0 };
	int rc;

	e820_table_init(&host);
	if (c->outcome_as_map) {
		rc = e820_table_copy(&host, &seen->table);
	} else if (c->host_map[0]) {
		char path[2048];
		struct e820_doc hd;

		snprintf(path, sizeof(path), "%s/%s", c->dir, c->host_map);
		rc = e820_parse_file(path, &hd, &err);
		if (rc == 0) {
			rc = e820_table_copy(&host, &hd.maps[0].table);
			e820_doc_free(&hd);
		}
	} else {
		rc = xenlog_parse_file(file, &log, &err);
		if (rc == 0) {
			struct xen_platform *pf = &log.platform;

			if (c->xen[0])
				xen_platform_set_version(pf, c->xen);
			if (c->vendor) {
				pf->vendor = c->vendor;
				pf->family = c->family;
			}
			for (unsigned int i = 0; i < c->extra.nr_ioapics && rc == 0; i++)
				rc = xen_platform_add_ioapic(pf, c->extra.ioapic[i]);
			for (unsigned int i = 0; i < c->extra.nr_drhd && rc == 0; i++)
				rc = xen_platform_add_drhd(pf, c->extra.drhd[i]);
			if (rc == 0)
				rc = xenlog_machine_map(&log, &host, NULL, &err);
			xenlog_free(&log);
		}
	}
	(void)doc;
	if (rc == 0 && c->libxl)
		rc = xen_libxl_e820_host(&host, &c->libxl_opts, map, &err);
	else if (rc == 0)
		rc = e820_table_copy(map, &host);
	if (rc)
		fidelity_why(c->why, sizeof(c->why), "no input: %s",
			     err.msg[0] ? err.msg : "cannot build the map");
	e820_table_free(&host);
	return rc;
}

static void compare(struct ccase *c, const struct e820_map *seen, const struct outcome *real,
		    const struct simulation *sim)
{
	size_t len = 0;
	char *buf;
	FILE *f = open_memstream(&buf, &len);
	struct e820_doc md = { 0 };
	const struct e820_map *mm;
	struct outcome model;

	/* the E820 print alone: other lines ("1-1 mapping on 9e->100") would
	 * read as broken map lines without their dmesg prefix */
	for (size_t i = 0; f && i < sim->res.nr_log; i++)
		if (strstr(sim->res.log[i], "Xen: ") || strstr(sim->res.log[i], "RAM map"))
			fprintf(f, "%s\n", sim->res.log[i]);
	if (!f || fclose(f)) {
		fidelity_why(c->why, sizeof(c->why), "out of memory");
		return;
	}
	if (e820_parse_buffer("model", buf, len, &md, NULL) || !(mm = guest_map(&md, 0))) {
		fidelity_why(c->why, sizeof(c->why), "the model printed no E820");
	} else if (strcmp(mm->kind, seen->kind)) {
		fidelity_why(c->why, sizeof(c->why), "E820 format: model %s, kernel %s", mm->kind,
			     seen->kind);
	} else if (!e820_table_equal(&mm->table, &seen->table)) {
		size_t i = 0, n = mm->table.nr < seen->table.nr ? mm->table.nr : seen->table.nr;
		const struct e820_entry *a, *b;

		while (i < n && mm->table.entries[i].addr == seen->table.entries[i].addr &&
		       mm->table.entries[i].size == seen->table.entries[i].size &&
		       mm->table.entries[i].type == seen->table.entries[i].type)
			i++;
		if (i == n) {
			fidelity_why(c->why, sizeof(c->why),
				     "%zu E820 entries, the kernel printed %zu", mm->table.nr,
				     seen->table.nr);
		} else {
			a = &mm->table.entries[i];
			b = &seen->table.entries[i];
			fidelity_why(c->why, sizeof(c->why),
				     "E820 entry %zu: model %#" PRIx64 "-%#" PRIx64
				     " type %u, kernel %#" PRIx64 "-%#" PRIx64 " type %u",
				     i + 1, a->addr, a->addr + a->size - 1, a->type, b->addr,
				     b->addr + b->size - 1, b->type);
		}
	}
	free(buf);
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	for (size_t i = 0; f && i < sim->res.nr_log; i++)
		fprintf(f, "%s\n", sim->res.log[i]);
	if (!f || fclose(f) || read_lines("model", buf, len, &model, false, 0) < 0)
		fidelity_why(c->why, sizeof(c->why), "cannot read the model's log");
	snprintf(c->compared, sizeof(c->compared), "%zu E820 entries (%s)", seen->table.nr,
		 !strcmp(seen->kind, "linux:Xen") ? "[mem a-b]" : "2.6 a - b");
	for (size_t i = 0; i < 5; i++) {
		size_t n = strlen(c->compared);

		if (!real->counts[i].seen)
			continue;
		/* the count line as printed: "Remapped 0 non-RAM page(s)" */
		snprintf(c->compared + n, sizeof(c->compared) - n, ", %.*s%llu%s",
			 (int)strcspn(count_fmts[i], "%"), count_fmts[i], real->counts[i].v,
			 strstr(count_fmts[i], "%llu") + 4);
		if (!model.counts[i].seen)
			fidelity_why(c->why, sizeof(c->why),
				     "the kernel printed '%s' (%llu), the model did not",
				     count_fmts[i], real->counts[i].v);
		else if (model.counts[i].v != real->counts[i].v)
			fidelity_why(c->why, sizeof(c->why), "'%s': model %llu, kernel %llu",
				     count_fmts[i], model.counts[i].v, real->counts[i].v);
	}
	e820_doc_free(&md);
	free(buf);
}

static void run_case(struct ccase *c)
{
	char file[2048], tmp[64] = "";
	size_t len;
	char *text;
	struct e820_doc doc = { 0 };
	const struct e820_map *seen;
	struct outcome real;
	struct e820_table map;
	struct simulation_options o;
	struct simulation sim;
	struct p2msim_err err = { 0 };
	int rc;

	snprintf(file, sizeof(file), "%s/%s", c->dir, c->file);
	e820_table_init(&map);
	if (!(text = fidelity_slurp(file, &len))) {
		fidelity_why(c->why, sizeof(c->why), "cannot open %s", c->file);
		goto out;
	}
	if (e820_parse_buffer(file, text, len, &doc, &err) ||
	    read_lines(file, text, len, &real, true, c->outcome) < 0) {
		fidelity_why(c->why, sizeof(c->why), "cannot read %s: %s", c->file, err.msg);
		goto out;
	}
	if (!(seen = guest_map(&doc, c->outcome))) {
		fidelity_why(c->why, sizeof(c->why), "%s has no guest E820 print %u", c->file,
			     c->outcome);
		goto out;
	}
	if (!c->kernel_unprinted && strcmp(real.linux_version, c->kernel)) {
		fidelity_why(c->why, sizeof(c->why),
			     "descriptor kernel '%s', the file's Linux version '%s'", c->kernel,
			     real.linux_version);
		goto out;
	}
	if (build_input(c, file, &doc, seen, &map) || write_table(&map, tmp, sizeof(tmp))) {
		if (!c->why[0])
			fidelity_why(c->why, sizeof(c->why), "cannot write the input map");
		goto out;
	}
	simulation_options_init(&o);
	o.kernel = c->kernel;
	o.e820_path = tmp;
	o.domu = c->domu;
	o.domu_set = true;
	o.nr_pages = c->nr_pages;
	o.max_pages = c->max_pages;
	if (!c->domu && !c->outcome_as_map)
		o.xen_log_path = file; /* dom0_mem, Dom0 alloc., the layout */
	if (c->xen_cmdline[0])
		o.xen_cmdline = c->xen_cmdline;
	if (real.cmdline[0])
		o.cmdline = real.cmdline;
	rc = simulation_run(&o, &sim, &err);
	if (rc < 0)
		fidelity_why(c->why, sizeof(c->why), "model failed: %s", err.msg);
	else
		compare(c, seen, &real, &sim);
	simulation_free(&sim);
out:
	c->passed = !c->why[0];
	if (tmp[0])
		unlink(tmp);
	e820_table_free(&map);
	e820_doc_free(&doc);
	free(text);
}

static size_t find_cases(struct ccase *cases, size_t max)
{
	struct dirent **ents;
	char dir[1024];
	size_t n = 0;
	int k;

	snprintf(dir, sizeof(dir), "%s/tests/data/fidelity/corpus", fidelity_srcdir());
	k = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		const char *d = ents[i]->d_name;
		size_t l = strlen(d);

		if (l > 5 && !strcmp(d + l - 5, ".case") && n < max) {
			struct ccase *c = &cases[n++];

			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "corpus/%.*s", (int)(l - 5), d);
			snprintf(c->dir, sizeof(c->dir), "%s", dir);
			snprintf(c->path, sizeof(c->path), "%s/%s", dir, d);
		}
		free(ents[i]);
	}
	if (k > 0)
		free(ents);
	return n;
}

static void test_fidelity_corpus_pairs(void)
{
	static struct ccase cases[MAX_CASES];
	char path[512];
	char *known;
	size_t n = find_cases(cases, MAX_CASES), passed = 0;

	snprintf(path, sizeof(path), "%s/tests/KNOWN-DIFFERENCES", fidelity_srcdir());
	known = fidelity_slurp(path, NULL);
	CU_ASSERT_FATAL(n >= 8);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		struct ccase *c = &cases[i];
		bool listed;

		if (read_descriptor(c) < 0) {
			CU_FAIL("a corpus case descriptor cannot be read");
			continue;
		}
		run_case(c);
		listed = fidelity_known(known, c->name);
		passed += c->passed;
		printf("    %s %-24s %s\n",
		       c->passed ? "PASS" :
		       listed	 ? "KNOWN" :
				   "FAIL",
		       c->name, c->passed ? c->compared : c->why);
		for (unsigned int a = 0; a < c->nr_assumed; a++)
			printf("         assumed: %s\n", c->assumed[a]);
		if (!c->passed && !listed)
			CU_FAIL("a corpus pair differs and is not in tests/KNOWN-DIFFERENCES");
		if (c->passed && listed)
			CU_FAIL("a corpus pair in tests/KNOWN-DIFFERENCES matches now: remove it");
	}
	printf("    %zu of %zu corpus pairs match\n", passed, n);
	free(known);
}

static const struct test_case cases[] = {
	{ "fidelity_corpus_pairs", test_fidelity_corpus_pairs },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "fidelity-corpus", cases },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return test_run_suites(suites, argc, argv);
}
