/* SPDX-License-Identifier: MIT */
/* tools/cmd-simulate.c - "p2msim simulate". */
#include "tools/p2msim.h"

int cmd_simulate(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	tool_error("simulate: not implemented yet");
	return EXIT_FAIL;
}
