/* SPDX-License-Identifier: MIT */
/*
 * tools/cmd-live.c - "p2msim live": the dom0 commands.  Option parsing,
 * the hypervisor connection, signal handling and printing; the work is in
 * live/ (live/live.h) over the xen backend (hv/hv.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "debugfs-dump/dump.h"
#include "hv/hv.h"
#include "live/live.h"
#include "p2m/p2m.h"
#include "e820/e820.h"
#include "tools/p2msim.h"
#include "util/json.h"

/*
 * The one piece of process-wide state: SIGINT, SIGTERM and SIGHUP only set
 * this flag, the scratch and balloon loops poll it, and the normal exit
 * path destroys what the connection created (hv_close).
 */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART; /* a hypercall in flight finishes; the loops look */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: p2msim live COMMAND [OPTIONS]\n"
		"Read, check and exercise a live Xen hypervisor from its dom0 (needs root).\n"
		"\n"
		"Commands:\n"
		"  e820 [--format F]        the machine memory map (XENMEM_machine_memory_map);\n"
		"                           F as for 'p2msim e820' (default xen)\n"
		"  info [--domid N] [--json]\n"
		"                           nr_pages, max_pages, guest width, shared_info's P2M\n"
		"                           fields, and the hypervisor's version and memory\n"
		"  dump [--domid N] [--show runs|dump] [--json] [--source auto|list|mirror]\n"
		"       [--to-max-pfn] [--p2m-size N]\n"
		"                           a PV domain's P2M (default: dom0's own) over\n"
		"                           [0, xen_p2m_size): runs (default), the debugfs p2m\n"
		"                           file the kernel would print, or JSON; any of them\n"
		"                           is input for 'p2msim diff'\n"
		"  check [--kernel VER] [--kconfig K=V] [--balloon T[,T...]] [--keep DIR] [-q]\n"
		"                           simulate dom0's boot from the live inputs and compare\n"
		"                           with the running dom0; exit 1 on any difference.\n"
		"                           --balloon: dom0 was taken through these xl mem-set\n"
		"                           targets (default: the current memory/target, if set);\n"
		"                           --keep: keep the inputs, both P2Ms and simulate.sh\n"
		"  scratch [--e820 FILE] [--pages N] [--max-pages N] [--kernel VER]\n"
		"          [--balloon T[,T...]] [--hold SECS]\n"
		"                           create a scratch PV domain, replay a domU boot of the\n"
		"                           kernel model (default %s) and the balloon targets on it\n"
		"                           with real XENMEM operations, check Xen against the\n"
		"                           model after every step, destroy it\n"
		"  balloon --domid N --target SIZE [--timeout SECS]\n"
		"                           write memory/target as 'xl mem-set' does and wait for\n"
		"                           the domain to get there (changes the domain: needs\n"
		"                           --allow-modify N)\n"
		"\n"
		"Common options:\n"
		"  --allow-modify N         allow changes to domain N (scratch domains the command\n"
		"                           creates are always allowed; nothing else is)\n"
		"  -h, --help\n"
		"\n"
		"Exit status: 0 done (check: no difference), 1 failure or difference, 2 usage.\n",
		KERNEL_DEFAULT_VERSION);
}

static bool parse_domid(const char *s, hv_domid_t *domid)
{
	uint64_t v;

	if (!strcmp(s, "self")) {
		*domid = HV_DOMID_SELF;
		return true;
	}
	if (!tool_parse_u64(s, &v) || v >= 0x7ff0)
		return false;
	*domid = (hv_domid_t)v;
	return true;
}

/* Options every live command takes, and the rest of argv. */
struct common {
	hv_domid_t allow[16];
	unsigned int nr_allow;
};

static int open_xen(const struct common *c, struct hv **hv)
{
	struct p2msim_err err = { 0 };

	if (hv_xen_open(hv, &err) < 0)
		return tool_fail(&err);
	for (unsigned int i = 0; i < c->nr_allow; i++)
		if (hv_xen_allow_modify(*hv, c->allow[i], &err) < 0) {
			hv_close(*hv);
			*hv = NULL;
			return tool_fail(&err);
		}
	return EXIT_OK;
}

/* The domain to read: "dom0 itself" is DOMID_SELF (Xen refuses a foreign
 * mapping of our own frames by domid). */
static hv_domid_t read_domid(hv_domid_t domid)
{
	return domid == 0 ? HV_DOMID_SELF : domid;
}

/* --- e820 ------------------------------------------------------------------------------ */

static int live_e820(struct hv *hv, enum e820_format fmt)
{
	struct p2msim_err err = { 0 };
	struct e820_table t;
	int rc;

	e820_table_init(&t);
	rc = hv_machine_memory_map(hv, &t, &err);
	if (rc == 0) {
		if (fmt == E820_FMT_XEN || fmt == E820_FMT_XEN_OLD)
			printf("XENMEM_machine_memory_map:\n");
		rc = e820_print(stdout, &t, fmt, "Xen", &err);
	}
	e820_table_free(&t);
	return rc < 0 ? tool_fail(&err) : EXIT_OK;
}

/* --- info -------------------------------------------------------------------------------- */

static int live_info(struct hv *hv, hv_domid_t domid, bool json)
{
	struct p2msim_err err = { 0 };
	struct hv_domain_info di;
	struct hv_p2m_info pi;
	struct hv_xen_info xi;
	bool have_xi;

	if (hv_domain_info(hv, domid, &di, &err) < 0 || hv_p2m_info(hv, domid, &pi, &err) < 0)
		return tool_fail(&err);
	have_xi = hv_xen_info(hv, &xi, &err) == 0;
	if (json) {
		struct json_object *o = json_object_new_object(), *s = json_object_new_object();
		char v[64];

		snprintf(v, sizeof(v), "%u.%u%s", xi.major, xi.minor, xi.extra);
		if (!o || !s || json_put(o, "domain", json_object_new_uint64(di.domid)) ||
		    json_put(o, "pv", json_object_new_boolean(di.pv)) ||
		    json_put(o, "guest_width", json_object_new_uint64(di.guest_width)) ||
		    json_put(o, "nr_pages", json_object_new_uint64(di.tot_pages)) ||
		    json_put(o, "max_pages", json_object_new_uint64(di.max_pages)) ||
		    json_put(o, "shared_info_frame",
			     json_object_new_uint64(di.shared_info_frame)) ||
		    json_put(s, "max_pfn", json_object_new_uint64(pi.max_pfn)) ||
		    json_put(s, "pfn_to_mfn_frame_list_list",
			     json_object_new_uint64(pi.pfn_to_mfn_frame_list_list)) ||
		    json_put(s, "p2m_cr3", json_object_new_uint64(pi.p2m_cr3)) ||
		    json_put(s, "p2m_vaddr", json_object_new_uint64(pi.p2m_vaddr)) ||
		    json_put(s, "p2m_generation", json_object_new_uint64(pi.p2m_generation)) ||
		    json_put(o, "shared_info", json_object_get(s)) ||
		    (have_xi &&
		     (json_put(o, "xen_version", json_object_new_string(v)) ||
		      json_put(o, "xen_cmdline", json_object_new_string(xi.cmdline)) ||
		      json_put(o, "total_pages", json_object_new_uint64(xi.total_pages)) ||
		      json_put(o, "free_pages", json_object_new_uint64(xi.free_pages)) ||
		      json_put(o, "max_mfn", json_object_new_uint64(xi.max_mfn))))) {
			json_object_put(o);
			o = NULL;
		}
		json_object_put(s);
		return tool_print_json(o);
	}
	printf("domain %u: %s, guest width %u (%s)%s\n", di.domid, di.pv ? "PV" : "HVM",
	       di.guest_width, di.guest_width == 4 ? "x86_32" : "x86_64",
	       di.dying ? ", dying" : "");
	printf("nr_pages %" PRIu64 " (tot_pages), max_pages %" PRIu64 ", shared_info mfn %#" PRIx64
	       "\n",
	       di.tot_pages, di.max_pages, di.shared_info_frame);
	printf("shared_info.arch: max_pfn %#" PRIx64 ", p2m_cr3 %#" PRIx64 ", p2m_vaddr %#" PRIx64
	       ", p2m_generation %" PRIu64 ", pfn_to_mfn_frame_list_list %#" PRIx64 "\n",
	       pi.max_pfn, pi.p2m_cr3, pi.p2m_vaddr, pi.p2m_generation,
	       pi.pfn_to_mfn_frame_list_list);
	if (have_xi)
		printf("xen %u.%u%s: total_pages %" PRIu64 ", free_pages %" PRIu64
		       ", max_mfn %#" PRIx64 ", %u cpu(s)\nxen command line: %s\n",
		       xi.major, xi.minor, xi.extra, xi.total_pages, xi.free_pages, xi.max_mfn,
		       xi.nr_cpus, xi.cmdline);
	return EXIT_OK;
}

/* --- dump ---------------------------------------------------------------------------------- */

static int live_dump(struct hv *hv, const struct live_read_opts *ro, const char *show, bool json)
{
	struct p2msim_err err = { 0 };
	struct live_p2m p;
	int rc = live_p2m_read(hv, ro, &p, &err);

	if (rc < 0)
		return tool_fail(&err);
	if (json) {
		if (tool_print_json(live_p2m_to_json(&p)) != EXIT_OK)
			rc = -ENOMEM;
	} else if (!strcmp(show, "dump")) {
		struct p2m *m;

		rc = live_p2m_to_engine(&p, &m, &err);
		if (rc == 0) {
			rc = dump_write_modern(stdout, m, p.walked, &err);
			p2m_free(m);
		}
		if (rc < 0)
			tool_fail(&err);
	} else {
		rc = dump_runs_write(stdout, &p.runs);
		if (rc == 0)
			rc = live_p2m_write_notes(stdout, &p);
		if (rc < 0)
			tool_error("write error");
	}
	live_p2m_free(&p);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* --- check ----------------------------------------------------------------------------------- */

static int live_check(struct hv *hv, const struct live_check_opts *o, bool quiet)
{
	struct p2msim_err err = { 0 };
	struct live_check c;
	int rc = live_check_run(hv, o, &c, &err);

	if (rc < 0)
		return tool_fail(&err);
	if (!quiet)
		live_check_write(stdout, &c);
	rc = c.ok ? EXIT_OK : EXIT_FAIL;
	if (!c.ok && quiet)
		tool_error("live check: the model and the running dom0 differ");
	live_check_free(&c);
	return rc;
}

/* --- scratch, balloon ------------------------------------------------------------------------ */

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
	fflush(stdout);
}

static int live_scratch(struct hv *hv, struct live_scratch_opts *o)
{
	struct p2msim_err err = { 0 };
	struct live_scratch_result res;
	int rc;

	o->stop = &stop_requested;
	o->progress = print_line;
	rc = live_scratch_run(hv, o, &res, &err);
	if (rc < 0) {
		if (stop_requested && rc == -EINTR)
			tool_error("%s (%s)", err.msg, strsignal(stop_requested));
		else
			tool_fail(&err);
		return EXIT_FAIL;
	}
	printf("scratch: %u step(s), Xen agreed with the model after each (%" PRIu64
	       " frame checks)\n",
	       res.steps_ok, res.frames_checked);
	return EXIT_OK;
}

static int live_balloon(struct hv *hv, struct live_balloon_opts *o)
{
	struct p2msim_err err = { 0 };
	struct live_balloon_result res;

	o->stop = &stop_requested;
	o->progress = print_line;
	if (live_balloon_run(hv, o, &res, &err) < 0)
		return tool_fail(&err);
	return EXIT_OK;
}

/* --- the command -------------------------------------------------------------------------------- */

int cmd_live(int argc, char *argv[])
{
	enum {
		OPT_DOMID = 256,
		OPT_FORMAT,
		OPT_SHOW,
		OPT_JSON,
		OPT_SOURCE,
		OPT_TO_MAX_PFN,
		OPT_P2M_SIZE,
		OPT_KERNEL,
		OPT_KCONFIG,
		OPT_BALLOON,
		OPT_KEEP,
		OPT_E820,
		OPT_PAGES,
		OPT_MAX_PAGES,
		OPT_HOLD,
		OPT_TARGET,
		OPT_TIMEOUT,
		OPT_ALLOW
	};
	static const struct option longopts[] = {
		{ "domid", required_argument, NULL, OPT_DOMID },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "to-max-pfn", no_argument, NULL, OPT_TO_MAX_PFN },
		{ "p2m-size", required_argument, NULL, OPT_P2M_SIZE },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "kconfig", required_argument, NULL, OPT_KCONFIG },
		{ "balloon", required_argument, NULL, OPT_BALLOON },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "e820", required_argument, NULL, OPT_E820 },
		{ "pages", required_argument, NULL, OPT_PAGES },
		{ "max-pages", required_argument, NULL, OPT_MAX_PAGES },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "allow-modify", required_argument, NULL, OPT_ALLOW },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* which options each command takes (-h and --allow-modify: all) */
	static const struct {
		const char *name;
		int opts[8]; /* zero-terminated */
	} cmds[] = {
		{ "e820", { OPT_FORMAT } },
		{ "info", { OPT_DOMID, OPT_JSON } },
		{ "dump",
		  { OPT_DOMID, OPT_SHOW, OPT_JSON, OPT_SOURCE, OPT_TO_MAX_PFN, OPT_P2M_SIZE } },
		{ "check", { OPT_DOMID, OPT_KERNEL, OPT_KCONFIG, OPT_BALLOON, OPT_KEEP, 'q' } },
		{ "scratch",
		  { OPT_E820, OPT_PAGES, OPT_MAX_PAGES, OPT_KERNEL, OPT_BALLOON, OPT_HOLD } },
		{ "balloon", { OPT_DOMID, OPT_TARGET, OPT_TIMEOUT } },
	};
	struct common common = { .nr_allow = 0 };
	struct live_read_opts ro = { .domid = HV_DOMID_SELF, .source = LIVE_SRC_AUTO };
	struct live_check_opts co;
	struct live_scratch_opts so;
	struct live_balloon_opts bo;
	struct p2msim_err err = { 0 };
	enum e820_format fmt = E820_FMT_XEN;
	const char *sub, *show = "runs";
	hv_domid_t domid = 0;
	bool json = false, quiet = false, have_domid = false;
	struct hv *hv = NULL;
	uint64_t v;
	size_t ci;
	int c, st, li = -1;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (ci = 0; ci < sizeof(cmds) / sizeof(cmds[0]); ci++)
		if (!strcmp(sub, cmds[ci].name))
			break;
	if (ci == sizeof(cmds) / sizeof(cmds[0]))
		return tool_usage("live",
				  "unknown command '%s' (e820, info, dump, check, scratch, "
				  "balloon)",
				  sub);
	live_check_opts_init(&co);
	live_scratch_opts_init(&so);
	live_balloon_opts_init(&bo);
	opterr = 0;
	optind = 1;
	argc--;
	argv++;
	while ((li = -1, c = getopt_long(argc, argv, "qh", longopts, &li)) != -1) {
		if (c != 'h' && c != OPT_ALLOW && c != '?' && c != ':') {
			bool ok = false;

			for (size_t k = 0; k < 8 && cmds[ci].opts[k]; k++)
				ok |= cmds[ci].opts[k] == c;
			if (!ok && li >= 0)
				return tool_usage("live", "live %s takes no --%s", sub,
						  longopts[li].name);
			if (!ok)
				return tool_usage("live", "live %s takes no -%c", sub, c);
		}
		switch (c) {
		case OPT_DOMID:
			if (!parse_domid(optarg, &domid))
				return tool_usage("live", "--domid takes a domain id, not '%s'",
						  optarg);
			have_domid = true;
			break;
		case OPT_FORMAT:
			if (e820_format_parse(optarg, &fmt) < 0)
				return tool_usage("live",
						  "unknown format '%s' (linux, linux-old, xen, "
						  "xen-old, table, json, iomem, memmap)",
						  optarg);
			break;
		case OPT_SHOW:
			if (strcmp(optarg, "runs") && strcmp(optarg, "dump"))
				return tool_usage("live", "--show takes runs or dump, not '%s'",
						  optarg);
			show = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_SOURCE: {
			static const char *const names[] = { "auto", "list", "mirror", NULL };
			static const enum live_source sources[] = { LIVE_SRC_AUTO, LIVE_SRC_LIST,
								    LIVE_SRC_MIRROR };
			int i = tool_choice(optarg, names);

			if (i < 0)
				return tool_usage("live",
						  "--source takes auto, list or mirror, not '%s'",
						  optarg);
			ro.source = sources[i];
			break;
		}
		case OPT_TO_MAX_PFN:
			ro.to_max_pfn = true;
			break;
		case OPT_P2M_SIZE:
			if (!tool_parse_u64(optarg, &ro.p2m_size) || !ro.p2m_size)
				return tool_usage("live",
						  "--p2m-size takes a number of pfns, not '%s'",
						  optarg);
			break;
		case OPT_KERNEL:
			co.kernel = so.kernel = optarg;
			break;
		case OPT_KCONFIG:
			if (kernel_config_set(&co.kconfig, optarg, &err) < 0)
				return tool_usage("live", "%s", err.msg);
			co.kconfig_set = true;
			break;
		case OPT_BALLOON:
			co.balloon = so.balloon = optarg;
			break;
		case OPT_KEEP:
			co.keep_dir = optarg;
			break;
		case OPT_E820:
			so.e820_path = optarg;
			break;
		case OPT_PAGES:
			if (!tool_parse_u64(optarg, &so.pages) || !so.pages)
				return tool_usage("live",
						  "--pages takes a number of pages, not '%s'",
						  optarg);
			break;
		case OPT_MAX_PAGES:
			if (!tool_parse_u64(optarg, &so.max_pages) || !so.max_pages)
				return tool_usage("live",
						  "--max-pages takes a number of pages, not '%s'",
						  optarg);
			break;
		case OPT_HOLD:
			if (!tool_parse_u64(optarg, &v) || v > 86400)
				return tool_usage("live",
						  "--hold takes seconds (at most 86400), not '%s'",
						  optarg);
			so.hold = (unsigned int)v;
			break;
		case OPT_TARGET:
			bo.target = optarg;
			break;
		case OPT_TIMEOUT:
			if (!tool_parse_u64(optarg, &v) || !v || v > 86400)
				return tool_usage("live", "--timeout takes seconds, not '%s'",
						  optarg);
			bo.timeout = (unsigned int)v;
			break;
		case OPT_ALLOW:
			if (common.nr_allow == sizeof(common.allow) / sizeof(common.allow[0]))
				return tool_usage("live", "too many --allow-modify");
			if (!parse_domid(optarg, &common.allow[common.nr_allow]))
				return tool_usage("live",
						  "--allow-modify takes a domain id, not '%s'",
						  optarg);
			common.nr_allow++;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return tool_usage("live", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tool_usage("live", "unexpected argument '%s'", argv[optind]);
	if (!strcmp(sub, "balloon") && (!have_domid || !bo.target))
		return tool_usage("live", "live balloon needs --domid N and --target SIZE");
	if (!strcmp(sub, "check") && have_domid && domid != 0 && domid != HV_DOMID_SELF)
		return tool_usage("live",
				  "live check compares dom0 only (a domU's boot inputs cannot "
				  "be read from dom0); use live dump --domid %u and p2msim diff",
				  domid);

	if (!strcmp(sub, "scratch") || !strcmp(sub, "balloon"))
		catch_signals();
	st = open_xen(&common, &hv);
	if (st != EXIT_OK)
		return st;
	if (!strcmp(sub, "e820")) {
		st = live_e820(hv, fmt);
	} else if (!strcmp(sub, "info")) {
		st = live_info(hv, read_domid(domid), json);
	} else if (!strcmp(sub, "dump")) {
		ro.domid = read_domid(domid);
		st = live_dump(hv, &ro, show, json);
	} else if (!strcmp(sub, "check")) {
		co.domid = 0;
		st = live_check(hv, &co, quiet);
	} else if (!strcmp(sub, "scratch")) {
		st = live_scratch(hv, &so);
	} else {
		bo.domid = domid;
		st = live_balloon(hv, &bo);
	}
	/* destroys any scratch domain still held */
	hv_close(hv);
	return st;
}
