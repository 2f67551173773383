/* SPDX-License-Identifier: MIT */
/*
 * tools/cmd-doctor.c - `p2msim doctor LOG`: from a dom0 boot log to what
 * happened, why, and the smallest change that boots (doctor/doctor.h).
 * Options and printing only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "doctor/doctor.h"
#include "tools/p2msim.h"

static void usage(FILE *f)
{
	fputs("Usage: p2msim doctor [OPTIONS] LOG\n"
	      "Read a Xen PV dom0's boot log (serial console, xl dmesg + dmesg, a mail quoting\n"
	      "them; '-' for stdin), re-run its boot, compare every outcome line the log holds\n"
	      "with the simulation, name the cause of a failure and search the options a user\n"
	      "controls for the smallest changes under which the simulated boot succeeds.\n"
	      "\n"
	      "Input (what the log says, unless given):\n"
	      "  --kernel VER         the dom0 kernel (default: the log's 'Linux version', else 6.1);\n"
	      "                       with --matrix a list A,B,... of releases\n"
	      "  --xen VER            Xen's version (default: the log's 'Xen version', else 4.17);\n"
	      "                       with --matrix a list X,Y,...\n"
	      "  --cmdline STR        the kernel's command line (default: the log's)\n"
	      "  --xen-cmdline STR    Xen's command line (default: the log's)\n"
	      "  --e820 FILE          the machine map, instead of the one Xen printed\n"
	      "  --kconfig NAME=y|n|N a kernel build option (as for simulate)\n"
	      "  --dom0-kernel RANGE  where Xen loaded the kernel, when the log has no 'Dom0\n"
	      "                       kernel:' line (A->B as Xen prints it, START-END, START+SIZE)\n"
	      "  --dom0-initrd RANGE  the initrd Xen handed over ('Init. ramdisk:'), or 'none'\n"
	      "Output:\n"
	      "  --json               one JSON object: boot, stage, cause, reproduced,\n"
	      "                       differences, fixes\n"
	      "  --why                for each identity, remapped and missing run of the simulated\n"
	      "                       P2M, the rule and the E820 entry or option that made it\n"
	      "  --matrix             the same machine under every kernel release the behaviour\n"
	      "                       table names (or --kernel A,B,...) and Xen (--xen X,Y,...):\n"
	      "                       boots?, Remapped, max_pfn, p2m area, failure\n"
	      "  -h, --help\n"
	      "\n"
	      "Exit status: 0 the boot is fine, 1 it fails or the log cannot be read, 2 usage.\n",
	      f);
}

static size_t split(char *list, const char **out, size_t max)
{
	char *save;
	size_t n = 0;

	for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && n < max;
	     p = strtok_r(NULL, ",", &save))
		out[n++] = p;
	return n;
}

static int run_matrix(const char *log, const struct doctor_options *d, char *kernels, char *xens)
{
	struct simulation_options so;
	struct p2msim_err err = { 0 };
	const char *kl[64], *xl[64];
	size_t nk = split(kernels, kl, 64), nx = split(xens, xl, 64);

	doctor_simulation_options(d, log, &so);
	if (nx == 1) {
		so.xen = xl[0];
		nx = 0;
	}
	if (doctor_matrix(stdout, &so, nk ? kl : NULL, nk, nx ? xl : NULL, nx, &err) < 0)
		return tool_fail(&err);
	return EXIT_OK;
}

int cmd_doctor(int argc, char *argv[])
{
	enum {
		OPT_KERNEL = 256,
		OPT_CMDLINE,
		OPT_XENCMD,
		OPT_E820,
		OPT_KCONFIG,
		OPT_JSON,
		OPT_WHY,
		OPT_MATRIX,
		OPT_XEN,
		OPT_DOM0KERNEL,
		OPT_DOM0INITRD
	};
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "xen", required_argument, NULL, OPT_XEN },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "xen-cmdline", required_argument, NULL, OPT_XENCMD },
		{ "e820", required_argument, NULL, OPT_E820 },
		{ "kconfig", required_argument, NULL, OPT_KCONFIG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "why", no_argument, NULL, OPT_WHY },
		{ "matrix", no_argument, NULL, OPT_MATRIX },
		{ "dom0-kernel", required_argument, NULL, OPT_DOM0KERNEL },
		{ "dom0-initrd", required_argument, NULL, OPT_DOM0INITRD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_options d;
	struct doctor_report r;
	struct p2msim_err err = { 0 };
	bool json = false, why = false, matrix = false;
	char *kernels = NULL, *xens = NULL;
	int c, rc;

	doctor_options_init(&d);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			d.kernel = kernels = optarg;
			break;
		case OPT_XEN:
			d.xen = xens = optarg;
			break;
		case OPT_CMDLINE:
			d.cmdline = optarg;
			break;
		case OPT_XENCMD:
			d.xen_cmdline = optarg;
			break;
		case OPT_E820:
			d.e820_path = optarg;
			break;
		case OPT_KCONFIG:
			if (kernel_config_set(&d.kconfig, optarg, &err) < 0)
				return tool_usage("doctor", "%s", err.msg);
			break;
		case OPT_DOM0KERNEL:
		case OPT_DOM0INITRD:
			if (tool_placement(c == OPT_DOM0KERNEL, optarg, &d.dom0_kernel,
					   &d.dom0_initrd, &d.dom0_no_initrd) < 0)
				return EXIT_FAIL;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_WHY:
			why = true;
			break;
		case OPT_MATRIX:
			matrix = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return tool_usage("doctor", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return tool_usage("doctor", optind == argc ? "a LOG is needed" : "one LOG only");
	if (matrix && (json || why))
		return tool_usage("doctor", "--matrix prints its own table (no --json or --why)");
	if (matrix)
		return run_matrix(argv[optind], &d, kernels, xens);
	if ((kernels && strchr(kernels, ',')) || (xens && strchr(xens, ',')))
		return tool_usage("doctor", "lists of kernels or Xens are for --matrix");

	rc = doctor_run(argv[optind], &d, &r, &err);
	if (rc < 0) {
		doctor_report_free(&r);
		return tool_fail(&err);
	}
	if (json) {
		struct json_object *o = doctor_to_json(&r);

		if (!o) {
			doctor_report_free(&r);
			tool_error("out of memory");
			return EXIT_FAIL;
		}
		tool_print_json(o);
	} else {
		doctor_print(stdout, &r);
		if (why) {
			fputc('\n', stdout);
			if (doctor_why(stdout, &r.sim, r.kernel_cmdline, &err) < 0)
				printf("why: %s\n", err.msg);
		}
	}
	rc = r.fails ? EXIT_FAIL : EXIT_OK;
	doctor_report_free(&r);
	return rc;
}
