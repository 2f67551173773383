/* SPDX-License-Identifier: MIT */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "p2msim-bench: no benchmarks yet\n");
	return 1;
}
