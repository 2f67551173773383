/* SPDX-License-Identifier: MIT */
/* tools/cmd-diff.c - "p2msim diff". */
#include "tools/p2msim.h"

int cmd_diff(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	tool_error("diff: not implemented yet");
	return EXIT_FAIL;
}
