/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdbme's entry (gdbme.c): the Multiboot header, a stack, and the C code.
 * Multiboot 0.6.96, 3.2: 32-bit protected mode, flat segments, paging and
 * interrupts off; ESP is the kernel's to set.
 */

#define MB_HEADER_MAGIC		0x1BADB002	/* spec 3.1.1 */
#define MB_HDR_MEMINFO		(1 << 1)

	.section .multiboot, "a"
	.balign 4
	.long	MB_HEADER_MAGIC
	.long	MB_HDR_MEMINFO
	.long	-(MB_HEADER_MAGIC + MB_HDR_MEMINFO)

	.text
	.globl	_start
	.type	_start, @function
_start:
	movl	$stack_top, %esp
	call	gdbme_main
1:	cli
	hlt
	jmp	1b
	.size	_start, . - _start

	.bss
	.balign	16
stack:	.skip	4096
stack_top:

	.section .note.GNU-stack, "", @progbits
