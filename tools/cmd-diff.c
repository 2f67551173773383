/* SPDX-License-Identifier: MIT */
/*
 * tools/cmd-diff.c - "p2msim diff A B": the pfn ranges where two P2M
 * descriptions disagree.  Option parsing and printing only; reading,
 * format detection and the comparison are in debugfs-dump/.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugfs-dump/dump.h"
#include "tools/p2msim.h"

static void usage(FILE *f)
{
	fputs("Usage: p2msim diff [OPTIONS] A B\n"
	      "Compare two P2M descriptions and print the pfn ranges where they differ.\n"
	      "\n"
	      "A and B ('-' for standard input) may each be, recognised by content:\n"
	      "  an old debugfs p2m dump (2.6.39-3.18, with 'level' lines),\n"
	      "  a modern debugfs p2m dump (3.19+),\n"
	      "  a run list (p2msim simulate --show runs),\n"
	      "  a lab P2M capture (dom0-p2m.txt from dom0p2m; ram = pfn, inclusive ends),\n"
	      "  a JSON result (p2msim simulate --json; its \"runs\" array).\n"
	      "\n"
	      "Options:\n"
	      "  --range S-E        compare exactly the pfns [S, E) (hex with 0x, or decimal);\n"
	      "                     pfns a side does not describe differ as 'none'\n"
	      "  --max-pfn N        compare only pfns below N\n"
	      "  --union            compare over the union of both files' extents rather\n"
	      "                     than the range both describe (the default)\n"
	      "  --modern-quirk=auto|on|off\n"
	      "                     a modern debugfs dump prints whole leaves backed by the\n"
	      "                     shared identity page as 'missing'; with the quirk such a\n"
	      "                     leaf is not a difference when the other side says identity\n"
	      "                     over the whole leaf.  auto (default): applied to a side\n"
	      "                     that is a modern dump when the other is not; on: to both\n"
	      "                     sides; off: compare types exactly\n"
	      "  --arch x86_64|x86_32  leaf size for the quirk (512 or 1024 pfns)\n"
	      "  -q, --quiet        print nothing; only the exit status\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Output: one line per differing range, 'START-END TYPE_A TYPE_B PAGES' (hex,\n"
	      "half-open), then a summary line.\n"
	      "Exit status: 0 no difference, 1 differences or bad input, 2 usage.\n",
	      f);
}

static bool parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(s, '-');
	char buf[64];
	size_t n;

	if (!dash || (n = (size_t)(dash - s)) >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return tool_parse_u64(buf, lo) && tool_parse_u64(dash + 1, hi) && *lo <= *hi;
}

int cmd_diff(int argc, char *argv[])
{
	enum {
		OPT_RANGE = 256,
		OPT_MAX_PFN,
		OPT_UNION,
		OPT_QUIRK,
		OPT_ARCH
	};
	static const struct option longopts[] = {
		{ "range", required_argument, NULL, OPT_RANGE },
		{ "max-pfn", required_argument, NULL, OPT_MAX_PFN },
		{ "union", no_argument, NULL, OPT_UNION },
		{ "modern-quirk", required_argument, NULL, OPT_QUIRK },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_diff_opts o;
	struct dump_runs a, b;
	struct dump_diff d;
	struct p2msim_err err = { 0 };
	bool quiet = false;
	enum p2m_arch arch;
	int c, rc;

	dump_diff_opts_init(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RANGE:
			if (!parse_range(optarg, &o.range_start, &o.range_end))
				return tool_usage("diff",
						  "--range wants START-END with START <= END, "
						  "not '%s'",
						  optarg);
			o.have_range = true;
			break;
		case OPT_MAX_PFN:
			if (!tool_parse_u64(optarg, &o.max_pfn))
				return tool_usage("diff", "--max-pfn wants a number, not '%s'",
						  optarg);
			o.have_max_pfn = true;
			break;
		case OPT_UNION:
			o.scope = DUMP_SCOPE_UNION;
			break;
		case OPT_QUIRK: {
			static const char *const names[] = { "auto", "on", "off", NULL };
			static const enum dump_quirk quirks[] = { DUMP_QUIRK_AUTO, DUMP_QUIRK_ON,
								  DUMP_QUIRK_OFF };
			int i = tool_choice(optarg, names);

			if (i < 0)
				return tool_usage("diff",
						  "--modern-quirk takes auto, on or off, not '%s'",
						  optarg);
			o.quirk = quirks[i];
			break;
		}
		case OPT_ARCH:
			if (p2m_arch_parse(optarg, &arch) < 0)
				return tool_usage("diff", "unknown --arch '%s'", optarg);
			o.leaf_pfns = 1ULL << p2m_geometry_of(arch)->leaf_shift;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt && optopt < 256)
				return tool_usage("diff", "unknown or incomplete option '-%c'",
						  optopt);
			return tool_usage("diff", "unknown or incomplete option '%s'",
					  argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return tool_usage("diff", "expected two files, A and B");
	if (!strcmp(argv[optind], "-") && !strcmp(argv[optind + 1], "-"))
		return tool_usage("diff", "only one of A and B can be standard input");

	if (dump_parse_file(&a, argv[optind], DUMP_FMT_UNKNOWN, &err) < 0)
		return tool_fail(&err);
	if (dump_parse_file(&b, argv[optind + 1], DUMP_FMT_UNKNOWN, &err) < 0) {
		dump_runs_free(&a);
		return tool_fail(&err);
	}
	rc = dump_diff_runs(&d, &a, &b, &o, &err);
	dump_runs_free(&a);
	dump_runs_free(&b);
	if (rc < 0)
		return tool_fail(&err);
	if (d.start == d.end) {
		dump_diff_free(&d);
		tool_error("diff: %s and %s describe no common pfn range (try --union or --range)",
			   argv[optind], argv[optind + 1]);
		return EXIT_FAIL;
	}
	if (!quiet && (dump_diff_write(stdout, &d) < 0 ||
		       dump_diff_write_summary(stdout, &d, argv[optind], argv[optind + 1]) < 0)) {
		dump_diff_free(&d);
		tool_error("diff: write error on standard output");
		return EXIT_FAIL;
	}
	rc = d.nr ? EXIT_FAIL : EXIT_OK;
	dump_diff_free(&d);
	return rc;
}
