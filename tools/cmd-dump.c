/* SPDX-License-Identifier: MIT */
/* tools/cmd-dump.c - "p2msim dump". */
#include "tools/p2msim.h"

int cmd_dump(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	tool_error("dump: not implemented yet");
	return EXIT_FAIL;
}
