// SPDX-License-Identifier: GPL-2.0
/*
 * Bochs 2.7 (Debian 12, cpu: model=corei7_skylake_x) loses the upper
 * halves of YMM registers across a context switch of an ordinary process
 * when their lower halves (the SSE state) are zero: no hypervisor
 * involved.  Documentation/testing.rst ("Open: ... AVX") has the context.
 *
 *   gcc -O2 -static -mavx -o ymm-lost scripts/experiments/bochs-ymm-lost.c
 *   scripts/vm-run --arch vmx --no-module --add ymm-lost -- \
 *       './ymm-lost 39; ./ymm-lost 24; ./ymm-lost 24 & ./ymm-lost 24; wait'
 *
 * prints "lost 0 of 1000" for getpid (39) and for sched_yield (24) alone,
 * and "lost 950 of 1000" or so (965 in another run) for each of two
 * sched_yield loops side by side
 * (2026-12-04).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static uint8_t hi[32] __attribute__((aligned(32)));
	long nr = argc > 1 ? atol(argv[1]) : 24, ret;
	uint8_t out[32];
	int i, lost = 0;

	for (i = 16; i < 32; i++)
		hi[i] = 0x5a;
	for (i = 0; i < 1000; i++) {
		/* YMM1 = 0x5a in bits 255:128, every XMM zero; then a syscall */
		asm volatile("vzeroall\n\t"
			     "vmovdqu %2, %%ymm1\n\t"
			     "syscall\n\t"
			     "vmovdqu %%ymm1, %1"
			     : "=a"(ret), "=m"(out) : "m"(hi), "0"(nr)
			     : "rcx", "r11", "memory", "xmm1");
		lost += out[31] != 0x5a;
	}
	printf("syscall %ld: lost %d of 1000\n", nr, lost);
	return lost != 0;
}
