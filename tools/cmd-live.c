/* SPDX-License-Identifier: MIT */
/* tools/cmd-live.c - "p2msim live". */
#include "tools/p2msim.h"

int cmd_live(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	tool_error("live: not implemented yet");
	return EXIT_FAIL;
}
