/* SPDX-License-Identifier: MIT */
/*
 * tools/cmd-simulate.c - "p2msim simulate" and "p2msim dump": parse the
 * options, run a simulation (sim/simulate.c), print the parts asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "balloon/balloon.h"
#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "doctor/doctor.h"
#include "sim/sim.h"
#include "tools/p2msim.h"
#include "util/json.h"

enum show {
	SHOW_LOG = 1u << 0,
	SHOW_E820 = 1u << 1,
	SHOW_DUMP = 1u << 2,
	SHOW_RUNS = 1u << 3,
	SHOW_TREE = 1u << 4,
	SHOW_SUMMARY = 1u << 5,
	SHOW_DIAGRAM = 1u << 6,
	SHOW_MACHINE = 1u << 7,
	SHOW_WHY = 1u << 8,
};

static const struct {
	const char *name;
	unsigned int bit;
} show_names[] = {
	{ "log", SHOW_LOG },	     { "e820", SHOW_E820 },	  { "dump", SHOW_DUMP },
	{ "runs", SHOW_RUNS },	     { "tree", SHOW_TREE },	  { "summary", SHOW_SUMMARY },
	{ "diagram", SHOW_DIAGRAM }, { "machine", SHOW_MACHINE }, { "why", SHOW_WHY },
};

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: p2msim %s [OPTIONS]\n"
		"Run a kernel's Xen memory setup on a machine map and show the guest's P2M.\n"
		"\n"
		"Input:\n"
		"  --e820 FILE|-        machine map (dom0) or the domain's map (--domu), any format\n"
		"                       'p2msim e820' reads; 'none' for a domU without one.\n"
		"                       Default: this machine's /sys/firmware/memmap, else --example seed\n"
		"  --map N              map N of a file holding several (0 = the first; see\n"
		"                       'p2msim e820 --list-maps')\n"
		"  --example NAME       a built-in example ('--example list' lists them); it carries\n"
		"                       its own options, which the command line overrides\n"
		"  --xen-log FILE       a boot log (serial console, xl dmesg + dmesg, a mail): Xen's\n"
		"                       map when no --e820, dom0_mem, dom0's pages, where Xen put\n"
		"                       the kernel, Xen's version; the dom0's Linux version and\n"
		"                       Command line lines when --kernel/--cmdline are not given;\n"
		"                       the last complete boot of several\n"
		"Guest:\n"
		"  --kernel VER         kernel release (default %s): 2.6.39-3.17, 3.19 and later,\n"
		"                       as 6.1, 5.10.223, 5.10.0-32-amd64 or 'Debian 5.10.223-1';\n"
		"                       '--kernel list' shows each behaviour and its versions\n"
		"  --xen VER            Xen's version (default: the log's, else %s);\n"
		"                       '--xen list' shows Xen's behaviours\n"
		"  --kconfig NAME=y|n|N ISCSI_IBFT_FIND, XEN_512GB, XEN_BALLOON_MEMORY_HOTPLUG,\n"
		"                       XEN_MEMORY_HOTPLUG_LIMIT, XEN_MAX_DOMAIN_MEMORY, AMD_MEM_ENCRYPT\n"
		"                       (Debian's defaults)\n"
		"  --domu               a PV domU instead of dom0\n"
		"  --e820-host          (domU) the --e820 map is the host's; libxl's e820_host makes\n"
		"                       it the guest's, with --nr-pages as memory, --max-pages as maxmem\n"
		"  --arch x86_64|x86_32\n"
		"  --dom0-mem SPEC      Xen's dom0_mem= value\n"
		"  --nr-pages N         the domain's initial pages (overrides dom0_mem)\n"
		"  --max-pages N        its maximum reservation\n"
		"  --xen-cmdline STR    Xen's command line (dom0_mem=, mem=, availmem=)\n"
		"  --dom0-kernel RANGE  where Xen loaded the dom0 kernel, as its 'Dom0 kernel: ...\n"
		"                       paddr A -> B' line gives it (default: the log's, else the\n"
		"                       version's usual place); RANGE is A->B as Xen prints it\n"
		"                       (B exclusive), START-END (END inclusive) or START+SIZE\n"
		"  --dom0-initrd RANGE  the initrd Xen handed over, as its 'Init. ramdisk: A->B'\n"
		"                       line gives it (its size counts), or 'none'\n"
		"  --cmdline STR        the kernel's command line (mem=, memmap=, xen_512gb_limit)\n"
		"Output:\n"
		"  --show LIST          log,e820,dump,runs,tree,summary,diagram,machine,why\n"
		"                       (default: %s); machine: the map the guest received\n"
		"  --svg FILE           also write an SVG picture of the pfn space to FILE\n"
		"  --json               one JSON object (see doc/cli-json.md) instead\n"
		"  --check              also run the invariant checkers (P2M, M2P, hypervisor)\n"
		"  --matrix             instead, one line per kernel of --kernel A,B,... (default: every\n"
		"                       release the behaviour table names) and Xen of --xen X,Y,...:\n"
		"                       boots?, Remapped, max_pfn, p2m area, failure\n"
		"  --balloon T[,T...]   after the boot, set each target in turn as 'xl mem-set' does\n"
		"                       (T in xl's units: 384m, 1g, 524288k; no suffix is MiB), run\n"
		"                       the balloon driver until it is reached or gives up, and show\n"
		"                       the P2M after each step\n"
		"  -h, --help\n"
		"\n"
		"Exit status: 0 done, 1 bad input or the kernel would stop, 2 usage.\n",
		cmd, KERNEL_DEFAULT_VERSION, XEN_DEFAULT_VERSION,
		strcmp(cmd, "dump") ? "log,summary" : "dump");
}

static int parse_show(const char *list, unsigned int *show)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	*show = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(show_names) / sizeof(show_names[0]); i++)
			if (!strcmp(tok, show_names[i].name))
				break;
		if (i == sizeof(show_names) / sizeof(show_names[0])) {
			rc = -EINVAL;
			break;
		}
		*show |= show_names[i].bit;
	}
	free(copy);
	return rc;
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static void print_examples(void)
{
	size_t nr;
	const struct simulation_example *ex = simulation_examples(&nr);

	for (size_t i = 0; i < nr; i++)
		printf("%-8s %s\n", ex[i].name, ex[i].what);
}

static void print_behaviours(void)
{
	size_t nr;
	const struct kernel_behaviour_row *rows = kernel_behaviours(&nr);

	printf("Kernel behaviours and the versions that have them (p2msim models 2.6.39-3.17 "
	       "and 3.19+);\nsince/until are mainline versions, stable the first release of each "
	       "stable series that got it:\n");
	printf("  %-22s %-7s %-7s %s\n", "behaviour", "since", "until", "stable / source");
	for (size_t i = 0; i < nr; i++) {
		printf("  %-22s %-7s %-7s %s\n", rows[i].name, rows[i].since,
		       rows[i].until ? rows[i].until : "-", rows[i].stable ? rows[i].stable : "-");
		printf("  %-38s %s\n", "", rows[i].source);
	}
}

static void print_xen_behaviours(void)
{
	size_t nr, nk;
	const struct xen_behaviour_row *rows = xen_behaviours(&nr);
	const char *const *known = xen_known_versions(&nk);

	printf("Xen behaviours and the releases that have them (default Xen %s); since/until are\n"
	       "releases of the master branch, stable the first release of each stable branch that\n"
	       "got it:\n",
	       XEN_DEFAULT_VERSION);
	printf("  %-24s %-6s %-6s %s\n", "behaviour", "since", "until", "stable / source");
	for (size_t i = 0; i < nr; i++) {
		printf("  %-24s %-6s %-6s %s\n", rows[i].name, rows[i].since,
		       rows[i].until ? rows[i].until : "-", rows[i].stable ? rows[i].stable : "-");
		printf("  %-38s %s\n", "", rows[i].source);
	}
	printf("Checked against boots of Xen");
	for (size_t i = 0; i < nk; i++)
		printf("%s %s", i ? "," : "", known[i]);
	printf("\n");
}

static void print_log(const struct simulation *sim)
{
	for (size_t i = 0; i < sim->res.nr_log; i++)
		printf("%s\n", sim->res.log[i]);
}

static int print_runs(const struct simulation *sim, struct p2msim_err *err)
{
	struct dump_runs runs;
	int rc;

	if (!sim->res.p2m)
		return 0;
	dump_runs_init(&runs);
	rc = dump_runs_from_p2m(&runs, sim->res.p2m, 0, sim->res.p2m_size, err);
	if (rc == 0)
		rc = dump_runs_write(stdout, &runs);
	dump_runs_free(&runs);
	return rc;
}

static void print_tree(const struct simulation *sim)
{
	struct p2m_stats st;

	if (!sim->res.p2m)
		return;
	p2m_get_stats(sim->res.p2m, &st);
	printf("tree: top %" PRIu64 ", mid %" PRIu64 ", leaf %" PRIu64 " private page(s); "
	       "%" PRIu64 " shared; mirror %" PRIu64 "; lower bound %" PRIu64 "\n",
	       st.top, st.mid, st.leaf, st.shared, st.mirror, st.lower_bound);
	printf("tree: pages by source: heap %" PRIu64 ", brk %" PRIu64 ", builder %" PRIu64 "\n",
	       st.by_src[P2M_SRC_HEAP], st.by_src[P2M_SRC_BRK], st.by_src[P2M_SRC_BUILDER]);
	if (st.brk_pages)
		printf("tree: brk %" PRIu64 " of %" PRIu64 " page(s) used\n", st.brk_used,
		       st.brk_pages);
}

static void print_summary(const struct simulation *sim)
{
	const struct setup_result *res = &sim->res;
	uint64_t count[P2M_NR_TYPES] = { 0 };
	unsigned int shown = 0;
	struct p2m_iter it;
	struct p2m_run run;

	printf("kernel %s%s%s%s (%s), %s, %s, map from %s\n", sim->model.release,
	       strcmp(sim->model.release, sim->model.version) ? " [" : "",
	       strcmp(sim->model.release, sim->model.version) ? sim->model.version : "",
	       strcmp(sim->model.release, sim->model.version) ? "]" : "",
	       kernel_family_name(sim->model.family), sim->dom0 ? "dom0" : "domU",
	       sim->arch == P2M_ARCH_X86_64 ? "x86_64" : "x86_32", sim->source);
	printf("pages: nr_pages %#" PRIx64 ", max_pages %#" PRIx64 ", extra regions:",
	       sim->nr_pages, sim->max_pages);
	for (unsigned int i = 0; i < res->nr_extra; i++)
		if (res->extra[i].n)
			shown += printf(" [%#" PRIx64 ", %#" PRIx64 ")", res->extra[i].start,
					res->extra[i].start + res->extra[i].n) > 0;
	printf("%s\n", shown ? "" : " none");
	printf("released %" PRIu64 ", remapped %" PRIu64 ", identity set %" PRIu64
	       ", p2m size %#" PRIx64 ", max_pfn %#" PRIx64 "\n",
	       res->released, res->remapped, res->identity_set, res->p2m_size, res->max_pfn);
	if (res->p2m) {
		p2m_iter_init(&it, res->p2m, 0, res->max_pfn, 0);
		while (p2m_iter_next(&it, &run))
			count[run.type] += run.end - run.start;
		printf("over [0, max_pfn): pfn %" PRIu64 ", identity %" PRIu64 ", missing %" PRIu64
		       ", foreign %" PRIu64 "\n",
		       count[P2M_PFN], count[P2M_IDENTITY], count[P2M_MISSING], count[P2M_FOREIGN]);
	}
	for (unsigned int i = 0; i < sim->nr_notes; i++)
		printf("note: %s\n", sim->notes[i]);
}

static uint64_t m2p_of(void *ctx, uint64_t mfn, uint64_t *len)
{
	uint64_t pfn = ~0ULL;

	if (hv_m2p_run(ctx, mfn, &pfn, len, NULL) < 0)
		*len = 1;
	return pfn;
}

static int run_checks(const struct simulation *sim, struct p2msim_err *err)
{
	int rc;

	if (!sim->res.p2m)
		return 0;
	rc = p2m_check(sim->res.p2m, err);
	if (rc == 0)
		rc = p2m_check_m2p_runs(sim->res.p2m, m2p_of, sim->hv, err);
	if (rc == 0)
		rc = hv_sim_check(sim->hv, err);
	return rc;
}

/* The balloon's lines go where the output goes: printed, or into the
 * JSON log. */
struct balloon_out {
	struct json_object *log; /* NULL: print */
};

static void balloon_line(void *ctx, const char *line)
{
	struct balloon_out *out = ctx;

	if (out->log)
		json_object_array_add(out->log, json_object_new_string(line));
	else
		printf("%s\n", line);
}

struct balloon_step_info {
	uint64_t target_pages, current_pages, max_pages;
	const char *state;
};

/* One "xl mem-set" and the driver's run; -EIO when the kernel would BUG. */
static int balloon_one(struct simulation *sim, struct balloon *b, const char *target,
		       struct balloon_step_info *info, struct p2msim_err *err)
{
	struct balloon_result res;
	struct hv_domain_info di;
	int rc = balloon_mem_set_and_run(b, target, 0, NULL, &res, err);

	if (rc < 0)
		return rc;
	simulation_refresh(sim);
	info->target_pages = balloon_get_stats(b)->target_pages;
	info->current_pages = balloon_get_stats(b)->current_pages;
	info->max_pages = hv_domain_info(sim->hv, sim->domid, &di, NULL) == 0 ? di.max_pages : 0;
	info->state = balloon_state_name(res.state);
	return 0;
}

static int write_svg(const char *path, const struct simulation *sim, struct p2msim_err *err)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return p2msim_err_set(err, -errno, "%s: %s", path, strerror(errno));
	rc = simulation_svg(f, sim, err);
	if (fclose(f) != 0 && rc == 0)
		rc = p2msim_err_set(err, -EIO, "%s: write error", path);
	return rc;
}

static int print_json(struct simulation *sim, const char *balloon, struct p2msim_err *err)
{
	struct json_object *o = simulation_to_json(sim), *steps = NULL, *log;
	struct balloon *b = NULL;
	int rc = 0;

	if (!o) {
		tool_error("out of memory writing JSON");
		return EXIT_FAIL;
	}
	if (balloon && json_object_object_get_ex(o, "log", &log)) {
		struct balloon_out out = { log };
		char *list = strdup(balloon), *tok, *save = NULL;

		steps = json_object_new_array();
		rc = list && steps ? simulation_balloon_new(&b, sim, balloon_line, &out, err) :
				     p2msim_err_set(err, -ENOMEM, "out of memory");
		for (tok = list ? strtok_r(list, ",", &save) : NULL; rc == 0 && tok;
		     tok = strtok_r(NULL, ",", &save)) {
			struct balloon_step_info info;
			struct json_object *s;

			rc = balloon_one(sim, b, tok, &info, err);
			if (rc < 0)
				break;
			s = json_object_new_object();
			if (!s ||
			    json_put(s, "target_pages",
				     json_object_new_uint64(info.target_pages)) ||
			    json_put(s, "current_pages",
				     json_object_new_uint64(info.current_pages)) ||
			    json_put(s, "max_pages", json_object_new_uint64(info.max_pages)) ||
			    json_put(s, "state", json_object_new_string(info.state)) ||
			    json_push(steps, json_object_get(s)))
				rc = p2msim_err_set(err, -ENOMEM, "out of memory writing JSON");
			json_object_put(s);
		}
		free(list);
		/* the top level describes the state after the last step */
		if (rc == 0) {
			struct json_object *after = simulation_to_json(sim), *l2;

			if (after && json_object_object_get_ex(after, "log", &l2)) {
				json_object_object_add(after, "log", json_object_get(log));
				json_object_put(o);
				o = after;
			}
		}
		json_object_object_add(o, "balloon", steps);
		balloon_free(b);
	}
	/* the steps that were made are printed before the error */
	tool_print_json(o);
	return rc < 0 ? tool_fail(err) : EXIT_OK;
}

/* Every target of a --balloon list reads as xl mem-set reads it: refused
 * before the boot is simulated, not after its output. */
static int check_balloon_targets(const char *list, struct p2msim_err *err)
{
	const char *t = list;

	do {
		const char *comma = strchr(t, ',');
		size_t n = comma ? (size_t)(comma - t) : strlen(t);
		char one[64];
		uint64_t kib;

		if (n >= sizeof(one))
			return p2msim_err_set(err, -EINVAL, "--balloon: target '%.*s…' is too long",
					      20, t);
		memcpy(one, t, n);
		one[n] = '\0';
		if (balloon_xl_parse_mem(one, &kib, err) < 0)
			return -EINVAL;
		t = comma ? comma + 1 : NULL;
	} while (t);
	return 0;
}

/* Text: after the boot's output, each balloon step's lines and the P2M. */
static int print_balloon_steps(struct simulation *sim, const char *balloon, unsigned int show,
			       struct p2msim_err *err)
{
	struct balloon_out out = { NULL };
	struct balloon *b = NULL;
	char *list = strdup(balloon), *tok, *save = NULL;
	unsigned int n = 0;
	int rc;

	if (!list)
		return p2msim_err_set(err, -ENOMEM, "out of memory");
	rc = simulation_balloon_new(&b, sim, balloon_line, &out, err);
	for (tok = strtok_r(list, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		struct balloon_step_info info;

		printf("== balloon step %u: xl mem-set %u %s\n", ++n, sim->domid, tok);
		rc = balloon_one(sim, b, tok, &info, err);
		if (rc < 0)
			break;
		printf("balloon: target %" PRIu64 " pages, current %" PRIu64 ", max_pages %" PRIu64
		       ", state %s\n",
		       info.target_pages, info.current_pages, info.max_pages, info.state);
		if ((show & SHOW_DUMP) && (rc = simulation_print_dump(stdout, sim, err)) < 0)
			break;
		if ((show & SHOW_RUNS) && (rc = print_runs(sim, err)) < 0)
			break;
		if (show & SHOW_TREE)
			print_tree(sim);
		if (show & SHOW_SUMMARY)
			print_summary(sim);
	}
	balloon_free(b);
	free(list);
	return rc;
}

/* --matrix: the machine under each kernel of --kernel A,B,... (or every
 * release the behaviour table names). */
static int print_matrix(const char *cmd, struct simulation_options *o, bool other_output)
{
	struct p2msim_err err = { 0 };
	const char *kl[64], *xl[64];
	char *kernels = NULL, *xens = NULL, *save;
	size_t nk = 0, nx = 0;
	int rc;

	if (other_output)
		return tool_usage(cmd, "--matrix prints its own table (no --json, --svg, "
				       "--check or --balloon)");
	if ((o->kernel && !(kernels = strdup(o->kernel))) || (o->xen && !(xens = strdup(o->xen)))) {
		free(kernels);
		tool_error("out of memory");
		return EXIT_FAIL;
	}
	for (char *p = kernels ? strtok_r(kernels, ",", &save) : NULL; p && nk < 64;
	     p = strtok_r(NULL, ",", &save))
		kl[nk++] = p;
	for (char *p = xens ? strtok_r(xens, ",", &save) : NULL; p && nx < 64;
	     p = strtok_r(NULL, ",", &save))
		xl[nx++] = p;
	if (nx == 1) {
		o->xen = xl[0];
		nx = 0;
	}
	rc = doctor_matrix(stdout, o, nk ? kl : NULL, nk, nx ? xl : NULL, nx, &err);
	free(kernels);
	free(xens);
	return rc < 0 ? tool_fail(&err) : EXIT_OK;
}

static int simulate_main(int argc, char *argv[], const char *cmd, unsigned int show)
{
	enum {
		OPT_E820 = 256,
		OPT_MAP,
		OPT_EXAMPLE,
		OPT_XENLOG,
		OPT_KERNEL,
		OPT_XEN,
		OPT_KCONFIG,
		OPT_DOMU,
		OPT_ARCH,
		OPT_DOM0MEM,
		OPT_NRPAGES,
		OPT_MAXPAGES,
		OPT_XENCMD,
		OPT_CMDLINE,
		OPT_SHOW,
		OPT_JSON,
		OPT_CHECK,
		OPT_SVG,
		OPT_BALLOON,
		OPT_E820HOST,
		OPT_MATRIX,
		OPT_DOM0KERNEL,
		OPT_DOM0INITRD
	};
	static const struct option longopts[] = {
		{ "e820", required_argument, NULL, OPT_E820 },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "example", required_argument, NULL, OPT_EXAMPLE },
		{ "xen-log", required_argument, NULL, OPT_XENLOG },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "xen", required_argument, NULL, OPT_XEN },
		{ "kconfig", required_argument, NULL, OPT_KCONFIG },
		{ "domu", no_argument, NULL, OPT_DOMU },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "dom0-mem", required_argument, NULL, OPT_DOM0MEM },
		{ "nr-pages", required_argument, NULL, OPT_NRPAGES },
		{ "max-pages", required_argument, NULL, OPT_MAXPAGES },
		{ "xen-cmdline", required_argument, NULL, OPT_XENCMD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "balloon", required_argument, NULL, OPT_BALLOON },
		{ "e820-host", no_argument, NULL, OPT_E820HOST },
		{ "matrix", no_argument, NULL, OPT_MATRIX },
		{ "dom0-kernel", required_argument, NULL, OPT_DOM0KERNEL },
		{ "dom0-initrd", required_argument, NULL, OPT_DOM0INITRD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct simulation_options o;
	struct simulation sim;
	struct p2msim_err err = { 0 };
	bool json = false, check = false, matrix = false;
	const char *svg = NULL, *balloon = NULL;
	unsigned long map;
	char *end;
	int c, rc;

	simulation_options_init(&o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_E820:
			o.e820_path = optarg;
			break;
		case OPT_MAP:
			errno = 0;
			map = strtoul(optarg, &end, 10);
			if (errno || *end || map >= 65536)
				return tool_usage(
					cmd, "--map takes a map index (0 = the first), not '%s'",
					optarg);
			o.map_index = (unsigned int)map;
			o.map_set = true;
			break;
		case OPT_EXAMPLE:
			if (!strcmp(optarg, "list")) {
				print_examples();
				return EXIT_OK;
			}
			o.example = optarg;
			break;
		case OPT_XENLOG:
			o.xen_log_path = optarg;
			break;
		case OPT_KERNEL:
			if (!strcmp(optarg, "list")) {
				print_behaviours();
				return EXIT_OK;
			}
			o.kernel = optarg;
			break;
		case OPT_XEN:
			if (!strcmp(optarg, "list")) {
				print_xen_behaviours();
				return EXIT_OK;
			}
			o.xen = optarg;
			break;
		case OPT_KCONFIG:
			if (kernel_config_set(&o.kconfig, optarg, &err) < 0)
				return tool_usage(cmd, "%s", err.msg);
			break;
		case OPT_DOMU:
			o.domu = o.domu_set = true;
			break;
		case OPT_ARCH:
			if (p2m_arch_parse(optarg, &o.arch) < 0)
				return tool_usage(cmd, "--arch takes x86_64 or x86_32, not '%s'",
						  optarg);
			break;
		case OPT_DOM0MEM:
			o.dom0_mem = optarg;
			break;
		case OPT_NRPAGES:
			if (parse_count(optarg, &o.nr_pages) < 0) {
				tool_error("--nr-pages '%s': expected a number of pages above 0",
					   optarg);
				return EXIT_FAIL;
			}
			break;
		case OPT_MAXPAGES:
			if (parse_count(optarg, &o.max_pages) < 0) {
				tool_error("--max-pages '%s': expected a number of pages above 0",
					   optarg);
				return EXIT_FAIL;
			}
			break;
		case OPT_XENCMD:
			o.xen_cmdline = optarg;
			break;
		case OPT_CMDLINE:
			o.cmdline = optarg;
			break;
		case OPT_DOM0KERNEL:
		case OPT_DOM0INITRD:
			if (tool_placement(c == OPT_DOM0KERNEL, optarg, &o.dom0_kernel,
					   &o.dom0_initrd, &o.dom0_no_initrd) < 0)
				return EXIT_FAIL;
			break;
		case OPT_SHOW:
			if (parse_show(optarg, &show) < 0)
				return tool_usage(cmd,
						  "--show takes a list of log,e820,dump,runs,tree,"
						  "summary,diagram,machine,why, not '%s'",
						  optarg);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_SVG:
			svg = optarg;
			break;
		case OPT_BALLOON:
			if (check_balloon_targets(optarg, &err) < 0)
				return tool_fail(&err);
			balloon = optarg;
			break;
		case OPT_E820HOST:
			o.e820_host = true;
			break;
		case OPT_MATRIX:
			matrix = true;
			break;
		case 'h':
			usage(stdout, cmd);
			return EXIT_OK;
		default:
			return tool_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (matrix)
		return print_matrix(cmd, &o, json || balloon || svg || check);

	rc = simulation_run(&o, &sim, &err);
	if (sim.model.warning[0])
		tool_error("warning: %s", sim.model.warning);
	if (sim.xen.warning[0])
		tool_error("warning: %s", sim.xen.warning);
	if (rc < 0 && !sim.res.crashed) {
		simulation_free(&sim);
		return tool_fail(&err);
	}
	if (json) {
		int st = print_json(&sim, rc < 0 ? NULL : balloon, &err);

		if (rc < 0)
			tool_fail(&err);
		simulation_free(&sim);
		return rc < 0 ? EXIT_FAIL : st;
	}
	if (show & SHOW_LOG)
		print_log(&sim);
	if (rc < 0) {
		tool_fail(&err);
		simulation_free(&sim);
		return EXIT_FAIL;
	}
	if (show & SHOW_MACHINE) {
		printf("%s memory map (%s):\n", sim.dom0 ? "machine" : "domain",
		       sim.dom0 ? "XENMEM_machine_memory_map" : "XENMEM_memory_map");
		e820_print_xen(stdout, &sim.machine);
	}
	if (show & SHOW_E820)
		simulation_print_e820(stdout, &sim);
	if ((show & SHOW_DUMP) && simulation_print_dump(stdout, &sim, &err) < 0)
		goto fail;
	if ((show & SHOW_RUNS) && print_runs(&sim, &err) < 0)
		goto fail;
	if (show & SHOW_TREE)
		print_tree(&sim);
	if (show & SHOW_SUMMARY)
		print_summary(&sim);
	if ((show & SHOW_DIAGRAM) && simulation_diagram(stdout, &sim, 120, &err) < 0)
		goto fail;
	if ((show & SHOW_WHY) && doctor_why(stdout, &sim, o.cmdline, &err) < 0)
		goto fail;
	if (svg && write_svg(svg, &sim, &err) < 0)
		goto fail;
	if (balloon && print_balloon_steps(&sim, balloon, show, &err) < 0)
		goto fail;
	if (check && run_checks(&sim, &err) < 0)
		goto fail;
	if (check)
		printf("check: P2M, M2P and hypervisor invariants hold\n");
	simulation_free(&sim);
	return EXIT_OK;
fail:
	simulation_free(&sim);
	return tool_fail(&err);
}

int cmd_simulate(int argc, char *argv[])
{
	return simulate_main(argc, argv, "simulate", SHOW_LOG | SHOW_SUMMARY);
}

int cmd_dump(int argc, char *argv[])
{
	return simulate_main(argc, argv, "dump", SHOW_DUMP);
}
