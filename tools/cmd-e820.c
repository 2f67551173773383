/* SPDX-License-Identifier: MIT */
/* tools/cmd-e820.c - "p2msim e820". */
#include "tools/p2msim.h"

int cmd_e820(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	tool_error("e820: not implemented yet");
	return EXIT_FAIL;
}
